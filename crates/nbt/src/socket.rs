//! What the engines' sockets have in common: IPv4 addresses only, shared broadcast sockets,
//! errors that concern one send rather than the socket, and a per-run start for packet ids.

use std::io;
use std::net::{SocketAddr, SocketAddrV4};

use tokio::net::UdpSocket;

/// `address` as IPv4: NetBIOS over TCP/IP is IPv4 only.
pub(crate) fn ipv4(address: SocketAddr) -> io::Result<SocketAddrV4> {
    match address {
        SocketAddr::V4(address) => Ok(address),
        SocketAddr::V6(_) => Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "NetBIOS over TCP/IP runs over IPv4",
        )),
    }
}

/// A UDP socket on `address` with SO_BROADCAST, and SO_REUSEADDR when `shared` (so that other
/// sockets of the host may bind the same address and port, and all hear its broadcasts).
pub(crate) fn bind_udp(address: SocketAddrV4, shared: bool) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    socket.set_reuse_address(shared)?;
    socket.set_broadcast(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::V4(address).into())?;
    UdpSocket::from_std(socket.into())
}

/// Whether a receive error concerns one earlier send (an ICMP port or host unreachable, which
/// Linux reports on the next receive) or an interruption, not the socket itself.
pub(crate) fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || error.raw_os_error() == Some(113) // EHOSTUNREACH from an ICMP host unreachable
}

/// A start for transaction and datagram ids that differs from run to run, without a
/// random-number crate: the clock's nanoseconds mixed with the process id.
pub(crate) fn id_seed() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let mixed = nanos ^ std::process::id().rotate_left(16);
    (mixed ^ (mixed >> 16)) as u16
}

/// Asks the kernel to queue the errors of each send on `socket`'s error queue (`IP_RECVERR`),
/// with the destination they concern: an ICMP port unreachable from a host with nothing on
/// the port, or a host unreachable after ARP failed. Read them with [`recv_error`].
pub(crate) fn enable_recv_err(socket: &UdpSocket) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let on: libc::c_int = 1;
    let length = libc::socklen_t::try_from(size_of::<libc::c_int>())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    #[allow(unsafe_code)]
    // SAFETY: setsockopt on the descriptor of a socket borrowed for the call (so open), with a
    // pointer to a live c_int and its exact length; the kernel only reads it.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            (&raw const on).cast(),
            length,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Takes one error from `socket`'s error queue (see [`enable_recv_err`]) without waiting:
/// the destination of the send it concerns. `WouldBlock` when the queue is empty.
pub(crate) fn recv_error(socket: &UdpSocket) -> io::Result<Option<SocketAddrV4>> {
    let mut buffer = [std::mem::MaybeUninit::<u8>::uninit(); 512];
    let (_, from) = socket2::SockRef::from(socket)
        .recv_from_with_flags(&mut buffer, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT)?;
    Ok(from.as_socket_ipv4())
}
