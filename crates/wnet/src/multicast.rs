//! Where multicast discovery (WS-Discovery, mDNS, LLMNR) is sent and listened for: the
//! interfaces chosen, and sockets bound to one of them.
//!
//! The choice, from the environment ([`InterfaceSelection::from_env`]):
//! - `WNET_DISCOVERY_INTERFACES` names the interfaces (comma-separated), or is `none` to send
//!   no multicast at all;
//! - otherwise, where `WNET_BROADCAST_ADDRESSES` restricts NetBIOS broadcasts, the interfaces
//!   whose IPv4 broadcast address is among them: multicast goes where broadcasts go;
//! - otherwise every interface that is up, not loopback and multicast-capable.
//!
//! A multicast answer comes from anyone on the link; the decoders that read them are bounded
//! (see [`crate::wsd`] and [`crate::dns::mdns`]).

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use wnet_host::env_var;

use crate::error::{Cause, WinError, codes};

/// The kernel's interface flag: the interface is up.
const IFF_UP: u32 = 0x1;
/// The kernel's interface flag: a loopback interface.
const IFF_LOOPBACK: u32 = 0x8;
/// The kernel's interface flag: the interface supports multicast.
const IFF_MULTICAST: u32 = 0x1000;

/// Which interfaces multicast discovery uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceSelection {
    /// Every interface that is up, not loopback and multicast-capable.
    All,
    /// The interfaces with these names.
    Named(Vec<String>),
    /// The interfaces whose IPv4 broadcast address is one of these.
    Broadcasting(Vec<Ipv4Addr>),
    /// None: no multicast is sent or listened for.
    Nothing,
}

impl InterfaceSelection {
    /// The selection of the environment (see the module's documentation).
    pub fn from_env() -> Result<InterfaceSelection, WinError> {
        if let Some(names) = env_var("WNET_DISCOVERY_INTERFACES") {
            return InterfaceSelection::parse_names(&names);
        }
        let Some(broadcasts) = env_var("WNET_BROADCAST_ADDRESSES") else {
            return Ok(InterfaceSelection::All);
        };
        let addresses = broadcasts
            .split(',')
            .map(|text| {
                text.trim()
                    .parse::<Ipv4Addr>()
                    .map_err(|_| setting(format!("WNET_BROADCAST_ADDRESSES: bad address {text:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InterfaceSelection::Broadcasting(addresses))
    }

    /// `WNET_DISCOVERY_INTERFACES`'s value: `none`, or interface names.
    fn parse_names(text: &str) -> Result<InterfaceSelection, WinError> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(InterfaceSelection::Nothing);
        }
        let names: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = names.iter().find(|name| !is_interface_name(name)) {
            return Err(setting(format!(
                "WNET_DISCOVERY_INTERFACES: {bad:?} is no interface name"
            )));
        }
        if names.is_empty() {
            return Ok(InterfaceSelection::Nothing);
        }
        Ok(InterfaceSelection::Named(names))
    }
}

fn setting(text: String) -> WinError {
    WinError::with_cause(codes::ERROR_INVALID_PARAMETER, Cause::Setting(text))
}

/// Whether `name` can be a Linux interface name (at most 15 bytes, no `/`, whitespace or `:`,
/// not `.` or `..`): names are read from the environment and used in sysfs paths.
fn is_interface_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
}

/// One interface multicast discovery uses, with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MulticastInterface {
    /// Its name (`eth0`).
    pub name: String,
    /// The kernel's index of it.
    pub index: u32,
    /// Its IPv4 addresses with their prefix lengths: where IPv4 multicast leaves from.
    pub ipv4: Vec<(Ipv4Addr, u32)>,
    /// Its link-local IPv6 addresses: where IPv6 multicast leaves from.
    pub ipv6_link_local: Vec<Ipv6Addr>,
}

impl MulticastInterface {
    /// Whether `address` is on one of its IPv4 subnets.
    pub fn on_link(&self, address: Ipv4Addr) -> bool {
        self.ipv4.iter().any(|(own, prefix)| {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(address) & mask == u32::from(*own) & mask
        })
    }
}

/// The interfaces `selection` chooses that are up and multicast-capable, ordered by index.
/// Loopback is taken only when named.
pub fn multicast_interfaces(selection: &InterfaceSelection) -> io::Result<Vec<MulticastInterface>> {
    if *selection == InterfaceSelection::Nothing {
        return Ok(Vec::new());
    }
    let mut found: BTreeMap<u32, MulticastInterface> = BTreeMap::new();
    let mut broadcasts: BTreeMap<u32, Vec<Ipv4Addr>> = BTreeMap::new();
    for interface in if_addrs::get_if_addrs()? {
        let Some(index) = interface.index else {
            continue;
        };
        let entry = found.entry(index).or_insert_with(|| MulticastInterface {
            name: interface.name.clone(),
            index,
            ipv4: Vec::new(),
            ipv6_link_local: Vec::new(),
        });
        match interface.addr {
            if_addrs::IfAddr::V4(v4) => {
                entry
                    .ipv4
                    .push((v4.ip, u32::from(v4.netmask).leading_ones()));
                if let Some(broadcast) = v4.broadcast {
                    broadcasts.entry(index).or_default().push(broadcast);
                }
            }
            if_addrs::IfAddr::V6(v6) => {
                if v6.ip.is_unicast_link_local() {
                    entry.ipv6_link_local.push(v6.ip);
                }
            }
        }
    }
    let chosen = found.into_values().filter(|interface| {
        let flags = interface_flags(&interface.name).unwrap_or(0);
        let usable = flags & IFF_UP != 0 && flags & IFF_MULTICAST != 0;
        let loopback = flags & IFF_LOOPBACK != 0;
        usable
            && match selection {
                InterfaceSelection::All => !loopback,
                InterfaceSelection::Named(names) => names.contains(&interface.name),
                InterfaceSelection::Broadcasting(wanted) => {
                    !loopback
                        && broadcasts
                            .get(&interface.index)
                            .is_some_and(|own| own.iter().any(|address| wanted.contains(address)))
                }
                InterfaceSelection::Nothing => false,
            }
    });
    Ok(chosen.collect())
}

/// The kernel's flags of the interface called `name` (`/sys/class/net/NAME/flags`).
fn interface_flags(name: &str) -> Option<u32> {
    if !is_interface_name(name) {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/flags")).ok()?;
    u32::from_str_radix(text.trim().trim_start_matches("0x"), 16).ok()
}

impl MulticastInterface {
    /// Its first IPv4 address; AddrNotAvailable, naming it, without one.
    fn first_ipv4(&self) -> io::Result<Ipv4Addr> {
        self.ipv4
            .first()
            .map(|(address, _)| *address)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("{} has no IPv4 address", self.name),
                )
            })
    }

    /// Its first link-local IPv6 address; AddrNotAvailable, naming it, without one.
    fn first_ipv6(&self) -> io::Result<Ipv6Addr> {
        self.ipv6_link_local.first().copied().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{} has no link-local IPv6 address", self.name),
            )
        })
    }
}

/// A non-blocking UDP socket of `domain` whose own multicast is not looped back to it.
fn udp_socket(domain: socket2::Domain) -> io::Result<socket2::Socket> {
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    if domain == socket2::Domain::IPV6 {
        socket.set_only_v6(true)?;
        socket.set_multicast_loop_v6(false)?;
    } else {
        socket.set_multicast_loop_v4(false)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// `socket`, bound to `address`, as tokio's.
fn bound(socket: socket2::Socket, address: SocketAddr) -> io::Result<tokio::net::UdpSocket> {
    socket.bind(&address.into())?;
    tokio::net::UdpSocket::from_std(socket.into())
}

/// A UDP socket that sends IPv4 multicast out of `interface` (its first address) and receives
/// the answers: bound to an ephemeral port, TTL 1 (link-local traffic), loopback of its own
/// multicast off.
pub fn ipv4_query_socket(interface: &MulticastInterface) -> io::Result<tokio::net::UdpSocket> {
    let address = interface.first_ipv4()?;
    let socket = udp_socket(socket2::Domain::IPV4)?;
    socket.set_multicast_if_v4(&address)?;
    socket.set_multicast_ttl_v4(1)?;
    bound(socket, SocketAddr::V4(SocketAddrV4::new(address, 0)))
}

/// A UDP socket that sends IPv6 multicast out of `interface` and receives the answers: bound to
/// an ephemeral port of its first link-local address, hop limit 1, own multicast not looped.
pub fn ipv6_query_socket(interface: &MulticastInterface) -> io::Result<tokio::net::UdpSocket> {
    let address = interface.first_ipv6()?;
    let socket = udp_socket(socket2::Domain::IPV6)?;
    socket.set_multicast_if_v6(interface.index)?;
    socket.set_multicast_hops_v6(1)?;
    bound(
        socket,
        SocketAddr::V6(SocketAddrV6::new(address, 0, 0, interface.index)),
    )
}

/// A UDP socket that listens on `port` for the IPv4 multicast `group` on `interface` (for
/// announcements: WSD Hello/Bye, mDNS): shared with other listeners on the port
/// (`SO_REUSEADDR`), bound to the group so that only its datagrams arrive.
pub fn ipv4_group_listener(
    interface: &MulticastInterface,
    group: Ipv4Addr,
    port: u16,
) -> io::Result<tokio::net::UdpSocket> {
    let address = interface.first_ipv4()?;
    let socket = udp_socket(socket2::Domain::IPV4)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::V4(SocketAddrV4::new(group, port)).into())?;
    socket.join_multicast_v4(&group, &address)?;
    tokio::net::UdpSocket::from_std(socket.into())
}

/// A UDP socket that listens on `[::]:port` for the IPv6 multicast `group` on `interface` (for
/// announcements: WSD Hello/Bye on FF02::C, mDNS on FF02::FB): shared with other listeners on
/// the port (`SO_REUSEADDR`), IPv6 only; the group is joined on the interface's index, so a
/// datagram's source carries the scope of the interface it came in on.
pub fn ipv6_group_listener(
    interface: &MulticastInterface,
    group: Ipv6Addr,
    port: u16,
) -> io::Result<tokio::net::UdpSocket> {
    interface.first_ipv6()?;
    let socket = udp_socket(socket2::Domain::IPV6)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)).into())?;
    socket.join_multicast_v6(&group, interface.index)?;
    tokio::net::UdpSocket::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_interfaces_are_named_or_none() {
        assert_eq!(
            InterfaceSelection::parse_names("none").unwrap(),
            InterfaceSelection::Nothing
        );
        assert_eq!(
            InterfaceSelection::parse_names(" wnb-br , eth1").unwrap(),
            InterfaceSelection::Named(vec!["wnb-br".into(), "eth1".into()])
        );
        assert_eq!(
            InterfaceSelection::parse_names(" , ").unwrap(),
            InterfaceSelection::Nothing
        );
        for bad in ["../etc", "a/b", "eth0:1", "sixteen-letters!"] {
            let error = InterfaceSelection::parse_names(bad).unwrap_err();
            assert_eq!(error.code, codes::ERROR_INVALID_PARAMETER, "{bad}");
        }
    }

    #[test]
    fn nothing_selects_no_interface_and_loopback_only_by_name() {
        assert!(
            multicast_interfaces(&InterfaceSelection::Nothing)
                .unwrap()
                .is_empty()
        );
        let all = multicast_interfaces(&InterfaceSelection::All).unwrap();
        assert!(all.iter().all(|interface| interface.name != "lo"));
        let unknown =
            multicast_interfaces(&InterfaceSelection::Named(vec!["no-such-if0".into()])).unwrap();
        assert!(unknown.is_empty());
    }

    #[test]
    fn only_interfaces_with_a_wanted_broadcast_are_chosen() {
        // No interface broadcasts to 0.0.0.1.
        let chosen = multicast_interfaces(&InterfaceSelection::Broadcasting(vec![Ipv4Addr::new(
            0, 0, 0, 1,
        )]))
        .unwrap();
        assert!(chosen.is_empty());
    }

    #[test]
    fn on_link_follows_the_prefix() {
        let interface = MulticastInterface {
            name: "wnb-br".into(),
            index: 7,
            ipv4: vec![(Ipv4Addr::new(198, 51, 100, 129), 26)],
            ipv6_link_local: vec![],
        };
        assert!(interface.on_link(Ipv4Addr::new(198, 51, 100, 190)));
        assert!(!interface.on_link(Ipv4Addr::new(198, 51, 100, 2)));
    }
}
