//! [`DatagramEndpoint`]: the datagram service on one UDP socket.
//!
//! **Sending.** [`DatagramEndpoint::send_unique`] sends a DIRECT_UNIQUE datagram to addresses
//! the caller resolved (or [`DatagramEndpoint::send_unique_resolved`] resolves the name through
//! a [`NameServiceClient`] first); [`DatagramEndpoint::send_group`] sends a DIRECT_GROUP
//! datagram and [`DatagramEndpoint::send_broadcast`] a BROADCAST datagram, both to the
//! configured broadcast addresses (a B node's way, RFC 1001 §17.2). Data larger than one packet
//! is fragmented ([`split`]); the header carries our SOURCE_IP and SOURCE_PORT.
//!
//! **Receiving.** One task reads the socket, decodes, reassembles and hands every datagram to
//! each matching [`DatagramReceiver`] ([`DatagramEndpoint::subscribe`]): one per destination
//! name (NCBDGRECV for a name), one for every direct datagram (NCBDGRECV for any name, the
//! caller filters by its own names), one for BROADCAST datagrams (NCBDGRECVBC), or one for
//! everything. Each queue is bounded: when a receiver falls behind, further datagrams for it
//! are dropped and counted, never queued without end. Datagrams for another scope, malformed
//! packets, DATAGRAM ERRORs and NBDD query packets are counted and dropped.
//!
//! **Sharing port 138.** The socket is opened with SO_REUSEADDR (unless
//! [`DatagramConfig::reuse_address`] is off), so several processes of one host can bind the
//! same port when all of them set it: each gets every broadcast, but the kernel gives a
//! unicast datagram to one of them only. To receive broadcasts, bind the unspecified address
//! (0.0.0.0): a socket bound to a unicast address does not see them.
//!
//! **Unknown names.** RFC 1002 §5.3 has a node answer a DIRECT_UNIQUE datagram for a name it
//! does not own with DATAGRAM ERROR "destination name not present" (0x82). That is off by
//! default ([`DatagramConfig::answer_unknown_names`]): Windows and Samba stay silent, and an
//! answer to every stray datagram is a reflector for forged sources. When on, "owned" means a
//! receiver subscribed to that name, and no answer is sent while a receiver takes every direct
//! datagram (it may own the name).

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{DATAGRAM_SERVICE_UDP_PORT, MAX_DATAGRAM_LENGTH};
use crate::datagram::fragment::{FragmentError, Reassembled, Reassembler, ReassemblyLimits, split};
use crate::interfaces::ipv4_interfaces;
use crate::name_service::client::{NameServiceClient, QueryError};
use crate::socket::{bind_udp, id_seed, ipv4, is_transient};
use crate::wire::{
    DataKind, DatagramErrorCode, DatagramFlags, DatagramHeader, DatagramPacket, NetbiosName,
    ScopedName, SourceNodeType, WireError,
};

/// The largest UDP payload a socket can receive.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// Settings of a [`DatagramEndpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagramConfig {
    /// Where the socket is bound: 0.0.0.0:138 by default; port 0 picks a free port (tests).
    pub bind: SocketAddrV4,
    /// Set SO_REUSEADDR, so that other processes of this host can bind the same port.
    pub reuse_address: bool,
    /// SOURCE_IP to write in what we send. `None`: the bound address, or when that is
    /// 0.0.0.0, the address the kernel would send from to each destination.
    pub source_ip: Option<Ipv4Addr>,
    /// SNT to write in what we send.
    pub node_type: SourceNodeType,
    /// Where group and broadcast datagrams go. Empty: the broadcast address of every up
    /// IPv4 interface but loopback, at [`DatagramConfig::remote_port`].
    pub broadcast_addresses: Vec<SocketAddrV4>,
    /// The datagram port of other nodes (138), used with resolved names and interface
    /// broadcast addresses.
    pub remote_port: u16,
    /// The NetBIOS scope ID: received datagrams whose destination is in another scope are
    /// dropped.
    pub scope: String,
    /// The largest packet we send (576, RFC 1002 §6); larger data is fragmented.
    pub max_packet_length: usize,
    /// Bounds of the reassembly of received fragments.
    pub reassembly: ReassemblyLimits,
    /// Datagrams each receiver's queue holds before further ones are dropped.
    pub queue_capacity: usize,
    /// Answer a DIRECT_UNIQUE datagram for a name no receiver subscribed to with DATAGRAM
    /// ERROR 0x82 (see the module's documentation). Off by default.
    pub answer_unknown_names: bool,
}

impl Default for DatagramConfig {
    fn default() -> Self {
        DatagramConfig {
            bind: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, DATAGRAM_SERVICE_UDP_PORT),
            reuse_address: true,
            source_ip: None,
            node_type: SourceNodeType::Broadcast,
            broadcast_addresses: Vec::new(),
            remote_port: DATAGRAM_SERVICE_UDP_PORT,
            scope: String::new(),
            max_packet_length: MAX_DATAGRAM_LENGTH,
            reassembly: ReassemblyLimits::default(),
            queue_capacity: 64,
            answer_unknown_names: false,
        }
    }
}

impl DatagramConfig {
    /// The defaults, bound to `bind`.
    pub fn bound_to(bind: SocketAddrV4) -> DatagramConfig {
        DatagramConfig {
            bind,
            ..DatagramConfig::default()
        }
    }
}

/// Why a datagram could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum DatagramError {
    /// The data cannot be cut into packets (names too long for the packet size, or more
    /// than 65,535 bytes).
    #[error(transparent)]
    Fragment(#[from] FragmentError),
    /// A packet could not be encoded.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// No address to send to: none given, no broadcast address configured and no interface
    /// with one.
    #[error("no address to send the datagram to")]
    NoTargets,
    /// The destination name could not be resolved.
    #[error(transparent)]
    Resolve(#[from] QueryError),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Which received datagrams a [`DatagramReceiver`] gets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatagramFilter {
    /// DIRECT_UNIQUE and DIRECT_GROUP datagrams to this name (NCBDGRECV for one name).
    Name(NetbiosName),
    /// Every DIRECT_UNIQUE and DIRECT_GROUP datagram, whatever its destination (NCBDGRECV for
    /// any name; the caller keeps those for its own names).
    AnyDirect,
    /// BROADCAST datagrams (NCBDGRECVBC).
    Broadcast,
    /// Every datagram.
    Everything,
}

impl DatagramFilter {
    fn matches(&self, datagram: &ReceivedDatagram) -> bool {
        let direct = datagram.kind != DataKind::Broadcast;
        match self {
            DatagramFilter::Name(name) => direct && datagram.destination.name == *name,
            DatagramFilter::AnyDirect => direct,
            DatagramFilter::Broadcast => !direct,
            DatagramFilter::Everything => true,
        }
    }
}

/// A datagram received whole (reassembled if it came in fragments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedDatagram {
    /// DIRECT_UNIQUE, DIRECT_GROUP or BROADCAST.
    pub kind: DataKind,
    /// SOURCE_NAME: who sent it.
    pub source: ScopedName,
    /// DESTINATION_NAME: whom it is for.
    pub destination: ScopedName,
    /// SOURCE_IP and SOURCE_PORT from the header: the node that sent it.
    pub source_address: SocketAddrV4,
    /// The UDP sender: the same node, or a datagram distribution server that forwarded it.
    pub sender: SocketAddrV4,
    /// SNT from the header.
    pub node_type: SourceNodeType,
    /// DGM_ID.
    pub id: u16,
    /// How many packets carried it.
    pub fragments: usize,
    /// The user data.
    pub data: Vec<u8>,
}

/// Counters of what the endpoint did.
#[derive(Debug, Default)]
pub struct DatagramStats {
    /// Packets sent (each fragment counts).
    pub sent: AtomicU64,
    /// Packets received.
    pub received: AtomicU64,
    /// Packets that did not decode, or came from IPv6.
    pub malformed: AtomicU64,
    /// Datagrams handed to at least one receiver.
    pub delivered: AtomicU64,
    /// Datagrams no receiver wanted.
    pub undelivered: AtomicU64,
    /// Datagrams dropped for a receiver whose queue was full.
    pub queue_full: AtomicU64,
    /// Datagrams for another scope.
    pub foreign_scope: AtomicU64,
    /// DATAGRAM ERROR packets received.
    pub errors_received: AtomicU64,
    /// DATAGRAM ERROR packets sent for unknown names.
    pub errors_sent: AtomicU64,
    /// NBDD query packets received (ignored: we are no NBDD and send no queries).
    pub queries_ignored: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[derive(Debug)]
struct Subscription {
    id: u64,
    filter: DatagramFilter,
    queue: mpsc::Sender<ReceivedDatagram>,
}

#[derive(Debug)]
struct Shared {
    socket: UdpSocket,
    config: DatagramConfig,
    subscriptions: Mutex<Vec<Subscription>>,
    next_subscription: AtomicU64,
    next_id: AtomicU16,
    stats: DatagramStats,
}

impl Shared {
    fn subscriptions(&self) -> MutexGuard<'_, Vec<Subscription>> {
        // Each operation is one push, retain or scan: the list stays consistent after a panic
        // elsewhere.
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The datagram service on one UDP socket (see the module's documentation). Dropping it
/// stops the receive task; its receivers then end.
#[derive(Debug)]
pub struct DatagramEndpoint {
    shared: Arc<Shared>,
    receiver: JoinHandle<()>,
}

impl DatagramEndpoint {
    /// Opens the socket (SO_BROADCAST on, SO_REUSEADDR as configured), binds it and starts
    /// the receive task. Must be called within a tokio runtime.
    #[expect(
        clippy::unused_async,
        reason = "async like the other engines' bind, and it needs the runtime"
    )]
    pub async fn bind(config: DatagramConfig) -> io::Result<DatagramEndpoint> {
        let socket = bind_udp(config.bind, config.reuse_address)?;
        let shared = Arc::new(Shared {
            socket,
            config,
            subscriptions: Mutex::new(Vec::new()),
            next_subscription: AtomicU64::new(0),
            next_id: AtomicU16::new(id_seed()),
            stats: DatagramStats::default(),
        });
        let receiver = tokio::spawn(receive_loop(Arc::clone(&shared)));
        Ok(DatagramEndpoint { shared, receiver })
    }

    /// The address the socket is bound to (with the port the kernel chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        ipv4(self.shared.socket.local_addr()?)
    }

    /// The settings in use.
    pub fn config(&self) -> &DatagramConfig {
        &self.shared.config
    }

    /// What the endpoint has done so far.
    pub fn stats(&self) -> &DatagramStats {
        &self.shared.stats
    }

    /// A receiver of the datagrams that match `filter`, from now on. Several receivers may
    /// match one datagram; each gets a copy.
    pub fn subscribe(&self, filter: DatagramFilter) -> DatagramReceiver {
        let (queue, datagrams) = mpsc::channel(self.shared.config.queue_capacity.max(1));
        let id = self
            .shared
            .next_subscription
            .fetch_add(1, Ordering::Relaxed);
        self.shared
            .subscriptions()
            .push(Subscription { id, filter, queue });
        DatagramReceiver {
            id,
            datagrams,
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Sends a DIRECT_UNIQUE datagram from `source` to `destination` at each of `targets`
    /// (the addresses the caller resolved the name to, with their datagram port).
    pub async fn send_unique(
        &self,
        source: &ScopedName,
        destination: &ScopedName,
        data: &[u8],
        targets: &[SocketAddrV4],
    ) -> Result<(), DatagramError> {
        self.send(DataKind::DirectUnique, source, destination, data, targets)
            .await
    }

    /// Resolves `destination` through `names` and sends a DIRECT_UNIQUE datagram to every
    /// address found, at [`DatagramConfig::remote_port`].
    pub async fn send_unique_resolved(
        &self,
        names: &NameServiceClient,
        source: &ScopedName,
        destination: &ScopedName,
        data: &[u8],
    ) -> Result<(), DatagramError> {
        let answer = names.resolve(destination).await?;
        let targets: Vec<SocketAddrV4> = answer
            .addresses
            .iter()
            .map(|found| SocketAddrV4::new(found.address, self.shared.config.remote_port))
            .collect();
        self.send_unique(source, destination, data, &targets).await
    }

    /// Sends a DIRECT_GROUP datagram from `source` to the group name `destination`, to the
    /// broadcast addresses.
    pub async fn send_group(
        &self,
        source: &ScopedName,
        destination: &ScopedName,
        data: &[u8],
    ) -> Result<(), DatagramError> {
        let targets = self.broadcast_targets()?;
        self.send(DataKind::DirectGroup, source, destination, data, &targets)
            .await
    }

    /// Sends a BROADCAST datagram from `source` to the broadcast addresses, for every node
    /// (NCBDGSENDBC). `destination` is what DESTINATION_NAME says; NetBIOS uses the wildcard
    /// `*` (`ScopedName::new(NetbiosName::wildcard())`).
    pub async fn send_broadcast(
        &self,
        source: &ScopedName,
        destination: &ScopedName,
        data: &[u8],
    ) -> Result<(), DatagramError> {
        let targets = self.broadcast_targets()?;
        self.send(DataKind::Broadcast, source, destination, data, &targets)
            .await
    }

    /// Sends one datagram of `kind` to each of `targets`, fragmented as needed; every target
    /// gets the same DGM_ID.
    pub async fn send(
        &self,
        kind: DataKind,
        source: &ScopedName,
        destination: &ScopedName,
        data: &[u8],
        targets: &[SocketAddrV4],
    ) -> Result<(), DatagramError> {
        if targets.is_empty() {
            return Err(DatagramError::NoTargets);
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let port = self.local_addr()?.port();
        for target in targets {
            let header = DatagramHeader {
                flags: DatagramFlags::whole(self.shared.config.node_type),
                id,
                source_ip: self.source_ip_for(*target),
                source_port: port,
            };
            let fragments = split(
                kind,
                header,
                source,
                destination,
                data,
                self.shared.config.max_packet_length,
            )?;
            for fragment in fragments {
                let bytes = DatagramPacket::Data(fragment).encode()?;
                self.shared.socket.send_to(&bytes, *target).await?;
                bump(&self.shared.stats.sent);
            }
        }
        Ok(())
    }

    /// The configured broadcast addresses, or every interface's.
    fn broadcast_targets(&self) -> Result<Vec<SocketAddrV4>, DatagramError> {
        let config = &self.shared.config;
        let targets = if config.broadcast_addresses.is_empty() {
            ipv4_interfaces()?
                .into_iter()
                .filter(|interface| !interface.loopback)
                .filter_map(|interface| interface.broadcast)
                .map(|broadcast| SocketAddrV4::new(broadcast, config.remote_port))
                .collect()
        } else {
            config.broadcast_addresses.clone()
        };
        if targets.is_empty() {
            return Err(DatagramError::NoTargets);
        }
        Ok(targets)
    }

    /// SOURCE_IP for a datagram to `target`.
    fn source_ip_for(&self, target: SocketAddrV4) -> Ipv4Addr {
        if let Some(ip) = self.shared.config.source_ip {
            return ip;
        }
        let bound = self.shared.config.bind.ip();
        if !bound.is_unspecified() {
            return *bound;
        }
        route_source(target).unwrap_or(*bound)
    }
}

impl Drop for DatagramEndpoint {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// The address the kernel would send from to `target`: a UDP socket connected to it (no
/// packet is sent) says.
fn route_source(target: SocketAddrV4) -> Option<Ipv4Addr> {
    let probe = std::net::UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    probe.set_broadcast(true).ok()?;
    probe.connect(target).ok()?;
    match probe.local_addr().ok()? {
        SocketAddr::V4(local) if !local.ip().is_unspecified() => Some(*local.ip()),
        _ => None,
    }
}

/// Received datagrams that match one [`DatagramFilter`]. Unsubscribes when dropped.
#[derive(Debug)]
pub struct DatagramReceiver {
    id: u64,
    datagrams: mpsc::Receiver<ReceivedDatagram>,
    shared: Weak<Shared>,
}

impl DatagramReceiver {
    /// The next datagram; `None` once the endpoint is gone.
    pub async fn recv(&mut self) -> Option<ReceivedDatagram> {
        self.datagrams.recv().await
    }

    /// The next datagram, or `None` when none arrives within `timeout` (or the endpoint is
    /// gone).
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Option<ReceivedDatagram> {
        tokio::time::timeout(timeout, self.datagrams.recv())
            .await
            .ok()
            .flatten()
    }

    /// A datagram already queued, without waiting.
    pub fn try_recv(&mut self) -> Option<ReceivedDatagram> {
        self.datagrams.try_recv().ok()
    }
}

impl Drop for DatagramReceiver {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.subscriptions().retain(|s| s.id != self.id);
        }
    }
}

async fn receive_loop(shared: Arc<Shared>) {
    let mut buffer = vec![0u8; MAX_UDP_PAYLOAD];
    let mut reassembler = Reassembler::new(shared.config.reassembly);
    loop {
        let (length, from) = match shared.socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) if is_transient(&error) => continue,
            Err(error) => {
                tracing::warn!(%error, "datagram socket failed; receiving stops");
                return;
            }
        };
        bump(&shared.stats.received);
        let SocketAddr::V4(from) = from else {
            bump(&shared.stats.malformed);
            continue;
        };
        let packet = match DatagramPacket::decode(buffer.get(..length).unwrap_or_default()) {
            Ok(packet) => packet,
            Err(error) => {
                tracing::debug!(%from, %error, "malformed datagram dropped");
                bump(&shared.stats.malformed);
                continue;
            }
        };
        match packet {
            DatagramPacket::Data(data) => {
                if data.destination.scope != shared.config.scope {
                    bump(&shared.stats.foreign_scope);
                    continue;
                }
                if let Some(whole) = reassembler.accept(data, Instant::now()) {
                    deliver(&shared, whole, from).await;
                }
            }
            DatagramPacket::Error { header, code } => {
                tracing::debug!(%from, id = header.id, ?code, "datagram error received");
                bump(&shared.stats.errors_received);
            }
            DatagramPacket::Query { .. } => bump(&shared.stats.queries_ignored),
        }
    }
}

/// Hands a whole datagram to every matching receiver; answers for an unknown name if asked to.
async fn deliver(shared: &Shared, whole: Reassembled, from: SocketAddrV4) {
    let datagram = ReceivedDatagram {
        kind: whole.kind,
        source_address: SocketAddrV4::new(whole.header.source_ip, whole.header.source_port),
        sender: from,
        node_type: whole.header.flags.node_type,
        id: whole.header.id,
        fragments: whole.fragments,
        source: whole.source,
        destination: whole.destination,
        data: whole.user_data,
    };
    let (delivered, owner_may_exist) = {
        let mut subscriptions = shared.subscriptions();
        let mut delivered = false;
        subscriptions.retain(|subscription| {
            if !subscription.filter.matches(&datagram) {
                return true;
            }
            match subscription.queue.try_send(datagram.clone()) {
                Ok(()) => {
                    delivered = true;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    bump(&shared.stats.queue_full);
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        let owner_may_exist = subscriptions.iter().any(|s| {
            matches!(
                s.filter,
                DatagramFilter::AnyDirect | DatagramFilter::Everything
            ) || s.filter == DatagramFilter::Name(datagram.destination.name)
        });
        (delivered, owner_may_exist)
    };
    if delivered {
        bump(&shared.stats.delivered);
        return;
    }
    bump(&shared.stats.undelivered);
    if shared.config.answer_unknown_names
        && datagram.kind == DataKind::DirectUnique
        && !owner_may_exist
    {
        let error = DatagramPacket::Error {
            header: DatagramHeader {
                flags: DatagramFlags::whole(shared.config.node_type),
                id: datagram.id,
                source_ip: shared
                    .config
                    .source_ip
                    .or_else(|| route_source(from))
                    .unwrap_or(*shared.config.bind.ip()),
                source_port: shared.socket.local_addr().map_or(0, |a| a.port()),
            },
            code: DatagramErrorCode::DestinationNameNotPresent,
        };
        // The reply goes to the UDP sender, not to SOURCE_IP from the payload.
        if let Ok(bytes) = error.encode()
            && shared.socket.send_to(&bytes, from).await.is_ok()
        {
            bump(&shared.stats.errors_sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> ScopedName {
        ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
    }

    async fn endpoint(config: DatagramConfig) -> DatagramEndpoint {
        DatagramEndpoint::bind(config).await.expect("bound")
    }

    fn loopback(last: u8) -> DatagramConfig {
        DatagramConfig::bound_to(SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, last), 0))
    }

    #[tokio::test]
    async fn filters_route_datagrams_and_dropped_receivers_unsubscribe() {
        let receiver = endpoint(loopback(1)).await;
        let sender = endpoint(loopback(1)).await;
        let to = [receiver.local_addr().unwrap()];
        let mut fred = receiver.subscribe(DatagramFilter::Name(name("FRED").name));
        let mut broadcasts = receiver.subscribe(DatagramFilter::Broadcast);
        let everything = receiver.subscribe(DatagramFilter::Everything);
        assert_eq!(receiver.shared.subscriptions().len(), 3);
        drop(everything);
        assert_eq!(receiver.shared.subscriptions().len(), 2);

        sender
            .send_unique(&name("WILMA"), &name("FRED"), b"one", &to)
            .await
            .unwrap();
        sender
            .send(DataKind::Broadcast, &name("WILMA"), &name("*"), b"two", &to)
            .await
            .unwrap();
        let got = fred.recv_timeout(Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            (got.kind, got.data.as_slice()),
            (DataKind::DirectUnique, &b"one"[..])
        );
        assert_eq!(got.source, name("WILMA"));
        assert_eq!(got.source_address, sender.local_addr().unwrap());
        let got = broadcasts
            .recv_timeout(Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            (got.kind, got.data.as_slice()),
            (DataKind::Broadcast, &b"two"[..])
        );
        assert_eq!(fred.try_recv(), None);
    }

    #[tokio::test]
    async fn unknown_names_get_an_error_only_when_asked() {
        let receiver = endpoint(DatagramConfig {
            answer_unknown_names: true,
            ..loopback(1)
        })
        .await;
        let sender = endpoint(loopback(1)).await;
        let to = [receiver.local_addr().unwrap()];
        let _fred = receiver.subscribe(DatagramFilter::Name(name("FRED").name));
        sender
            .send_unique(&name("WILMA"), &name("NOBODY"), b"x", &to)
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while sender.stats().errors_received.load(Ordering::Relaxed) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "no DATAGRAM ERROR");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(receiver.stats().errors_sent.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn no_targets_is_an_error_not_a_silent_success() {
        let sender = endpoint(loopback(1)).await;
        assert!(matches!(
            sender.send_unique(&name("A"), &name("B"), b"", &[]).await,
            Err(DatagramError::NoTargets)
        ));
    }
}
