//! The WS-Discovery client engine: Probe, Resolve and metadata Get over the interfaces chosen
//! for multicast discovery (see [`crate::multicast`]), and listening for Hello and Bye.
//!
//! Around the sans-IO codec of [`super::discovery`] and [`super::metadata`], tokio I/O:
//! - two Probes, `wsdp:Device pub:Computer` (Windows') and `wsdp:Device` (the only one
//!   `wsdd` answers), leave every interface from a query socket per interface and family, each
//!   twice (SOAP-over-UDP repeats multicast: the second copy after a random delay between
//!   UDP_MIN_DELAY and UDP_MAX_DELAY, within APP_MAX_DELAY);
//! - a ProbeMatch that answers a Probe of ours (its RelatesTo) and says `pub:Computer` is kept; one
//!   without XAddrs is Resolved (multicast, on the interface it came in on, also twice);
//! - the metadata is fetched by HTTP from an XAddr whose host is an address on the receiving
//!   interface's link or the datagram's source (a host name is replaced by the source: host
//!   names from the wire are never looked up), at most MAX_CONCURRENT_FETCHES at a time, each
//!   within METADATA_TIMEOUT and MAX_METADATA_LEN.
//!
//! Everything received is hostile: datagrams that do not decode are logged at debug and
//! dropped, repeats (the same MessageID) and replayed announcements (an AppSequence not newer
//! than the last) are dropped, and every table is bounded.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::debug;

use super::discovery::{self, AppSequence, DiscoveryMessage, TargetService, XAddr, XAddrHost};
use super::metadata::{self, DeviceMetadata, Membership};
use super::{
    DISCOVERY_PORT, MATCH_TIMEOUT, MAX_DATAGRAM_LEN, MAX_METADATA_LEN, METADATA_TIMEOUT,
    MULTICAST_V4, MULTICAST_V6, MessageId, UDP_MAX_DELAY, UDP_MIN_DELAY, WsdError,
};
use crate::error::{Cause, WinError, codes};
use crate::multicast::{
    InterfaceSelection, MulticastInterface, ipv4_group_listener, ipv4_query_socket,
    ipv6_group_listener, ipv6_query_socket, multicast_interfaces,
};

/// The most computers one discovery takes (more answers are dropped).
pub const MAX_COMPUTERS: usize = 256;
/// The most metadata fetches under way at once.
pub const MAX_CONCURRENT_FETCHES: usize = 16;
/// The most computers (and announcement sequences) a listener remembers; the oldest go first.
pub const MAX_REMEMBERED: usize = 1024;
/// The most addresses kept for one computer.
pub const MAX_ADDRESSES: usize = 16;
/// The most XAddrs tried for one computer's metadata.
const MAX_FETCH_TARGETS: usize = 3;
/// The most MessageIDs remembered to drop repeats.
const MAX_RECENT_IDS: usize = 1024;
/// Datagrams queued between the sockets and the engine.
const CHANNEL_DEPTH: usize = 64;
/// How often a listener expires Resolves that went unanswered.
const LISTEN_TICK: Duration = Duration::from_secs(1);

/// A computer found by WS-Discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsdComputer {
    /// Its endpoint reference address (`urn:uuid:...`), its stable id.
    pub endpoint: String,
    /// Its name, from the metadata's `pub:Computer` (NAME of `NAME/Workgroup:WG`).
    pub name: Option<String>,
    /// Its workgroup or domain, from the same.
    pub membership: Option<Membership>,
    /// The hosts of its XAddrs on the link and the source addresses of its datagrams.
    pub addresses: Vec<IpAddr>,
    /// Its MetadataVersion, as it announced it.
    pub metadata_version: Option<u32>,
}

impl WsdComputer {
    /// Takes in what `other`, a later word on the same endpoint, says: its addresses added
    /// (at most MAX_ADDRESSES in all), its name, membership and metadata version where it has
    /// them. Whether anything changed.
    pub fn merge(&mut self, other: WsdComputer) -> bool {
        let before = self.clone();
        for address in other.addresses {
            add_address(&mut self.addresses, address);
        }
        if other.name.is_some() {
            self.name = other.name;
            self.membership = other.membership;
        }
        if other.metadata_version.is_some() {
            self.metadata_version = other.metadata_version.max(self.metadata_version);
        }
        *self != before
    }
}

/// `computer` merged into `computers`, deduplicated by endpoint (at most MAX_COMPUTERS).
/// Whether `computers` changed.
pub fn merge_into(computers: &mut Vec<WsdComputer>, computer: WsdComputer) -> bool {
    if let Some(known) = computers
        .iter_mut()
        .find(|known| known.endpoint == computer.endpoint)
    {
        return known.merge(computer);
    }
    if computers.len() >= MAX_COMPUTERS {
        return false;
    }
    computers.push(computer);
    true
}

fn add_address(addresses: &mut Vec<IpAddr>, address: IpAddr) {
    if !addresses.contains(&address) && addresses.len() < MAX_ADDRESSES {
        addresses.push(address);
    }
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsdEvent {
    /// A computer joined the network or changed, completed (Resolved, its metadata read).
    Hello(WsdComputer),
    /// A computer is leaving the network.
    Bye {
        /// Its endpoint reference address.
        endpoint: String,
    },
}

/// Whether the announcement numbered `new` is not newer than `last`, of the same endpoint
/// (WS-Discovery 2005/04 §7): an older instance, or in the same instance and sequence a
/// MessageNumber not greater — a replay or a stale copy.
pub fn is_stale(last: &AppSequence, new: &AppSequence) -> bool {
    new.instance_id < last.instance_id
        || (new.instance_id == last.instance_id
            && new.sequence_id == last.sequence_id
            && new.message_number <= last.message_number)
}

/// Where to fetch metadata from `xaddr`, announced in a datagram from `source` that came in
/// on `interface`: its host when that is an IPv4 address on the interface's link, an IPv6
/// link-local address (scoped to the interface) or the source itself; the source when the
/// host is a name (names from the wire are not looked up); `None` otherwise.
pub fn fetch_address(
    xaddr: &XAddr,
    source: SocketAddr,
    interface: &MulticastInterface,
) -> Option<SocketAddr> {
    match &xaddr.host {
        XAddrHost::Ip(IpAddr::V4(address)) => (interface.on_link(*address)
            || source.ip() == IpAddr::V4(*address))
        .then(|| SocketAddr::V4(SocketAddrV4::new(*address, xaddr.port))),
        XAddrHost::Ip(IpAddr::V6(address)) => {
            if address.is_unicast_link_local() && !interface.ipv6_link_local.is_empty() {
                Some(SocketAddr::V6(SocketAddrV6::new(
                    *address,
                    xaddr.port,
                    0,
                    interface.index,
                )))
            } else if let SocketAddr::V6(from) = source {
                (from.ip() == address).then(|| {
                    SocketAddr::V6(SocketAddrV6::new(*address, xaddr.port, 0, from.scope_id()))
                })
            } else {
                None
            }
        }
        XAddrHost::Name(_) => source_on_link(source, interface)
            .then(|| SocketAddr::new(source.ip(), xaddr.port))
            .map(|address| match (address, source) {
                (SocketAddr::V6(address), SocketAddr::V6(from)) => SocketAddr::V6(
                    SocketAddrV6::new(*address.ip(), address.port(), 0, from.scope_id()),
                ),
                (address, _) => address,
            }),
    }
}

/// Whether `source` is on `interface`'s link: an IPv4 address of its subnets, or an IPv6
/// link-local address.
fn source_on_link(source: SocketAddr, interface: &MulticastInterface) -> bool {
    match source.ip() {
        IpAddr::V4(address) => interface.on_link(address),
        IpAddr::V6(address) => address.is_unicast_link_local(),
    }
}

/// The addresses a service announced in a datagram from `source` on `interface` may be
/// reached at: the source, then its XAddrs' hosts that fetch_address accepts.
fn service_addresses(
    service: &TargetService,
    source: SocketAddr,
    interface: &MulticastInterface,
) -> Vec<IpAddr> {
    let mut addresses = vec![source.ip()];
    for xaddr in &service.xaddrs {
        if let (XAddrHost::Ip(host), Some(_)) =
            (&xaddr.host, fetch_address(xaddr, source, interface))
        {
            add_address(&mut addresses, *host);
        }
    }
    addresses
}

/// A map of at most `capacity` entries that forgets the least recently inserted first.
struct BoundedMap<V> {
    capacity: usize,
    next: u64,
    entries: HashMap<String, (u64, V)>,
    order: BTreeMap<u64, String>,
}

impl<V> BoundedMap<V> {
    fn new(capacity: usize) -> BoundedMap<V> {
        BoundedMap {
            capacity,
            next: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key).map(|(_, value)| value)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries.get_mut(key).map(|(_, value)| value)
    }

    fn insert(&mut self, key: String, value: V) {
        self.remove(&key);
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        self.next += 1;
        self.order.insert(self.next, key.clone());
        self.entries.insert(key, (self.next, value));
    }

    fn remove(&mut self, key: &str) -> Option<V> {
        let (stamp, value) = self.entries.remove(key)?;
        self.order.remove(&stamp);
        Some(value)
    }
}

/// The MessageIDs seen lately, to drop repeated copies of a message.
struct RecentIds {
    seen: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    fn new() -> RecentIds {
        RecentIds {
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether `id` is new (and remember it).
    fn insert(&mut self, id: &str) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() >= MAX_RECENT_IDS
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

/// 64 unpredictable bits: the process's random hash keys over a counter.
fn random_u64() -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.finish()
}

fn new_message_id() -> MessageId {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&random_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&random_u64().to_le_bytes());
    MessageId::from_random_bytes(bytes)
}

/// The delay before a multicast message's second copy: at random within
/// [UDP_MIN_DELAY, UDP_MAX_DELAY] (SOAP-over-UDP Appendix I), so within APP_MAX_DELAY.
fn repeat_delay() -> Duration {
    let span = UDP_MAX_DELAY.saturating_sub(UDP_MIN_DELAY).as_millis() as u64;
    UDP_MIN_DELAY + Duration::from_millis(random_u64() % (span + 1))
}

/// A socket a client sends Probes and Resolves from, on one interface and family.
struct QuerySocket {
    interface: usize,
    socket: Arc<UdpSocket>,
    group: SocketAddr,
}

fn query_sockets(interfaces: &[MulticastInterface]) -> Vec<QuerySocket> {
    let mut sockets = Vec::new();
    for (position, interface) in interfaces.iter().enumerate() {
        if !interface.ipv4.is_empty() {
            match ipv4_query_socket(interface) {
                Ok(socket) => sockets.push(QuerySocket {
                    interface: position,
                    socket: Arc::new(socket),
                    group: SocketAddr::V4(SocketAddrV4::new(MULTICAST_V4, DISCOVERY_PORT)),
                }),
                Err(error) => debug!(interface = %interface.name, %error, "WSD: no IPv4 socket"),
            }
        }
        if !interface.ipv6_link_local.is_empty() {
            match ipv6_query_socket(interface) {
                Ok(socket) => sockets.push(QuerySocket {
                    interface: position,
                    socket: Arc::new(socket),
                    group: SocketAddr::V6(SocketAddrV6::new(
                        MULTICAST_V6,
                        DISCOVERY_PORT,
                        0,
                        interface.index,
                    )),
                }),
                Err(error) => debug!(interface = %interface.name, %error, "WSD: no IPv6 socket"),
            }
        }
    }
    sockets
}

/// A datagram received, with the position of the interface it came in on when the socket
/// says it.
struct Datagram {
    interface: Option<usize>,
    source: SocketAddr,
    bytes: Vec<u8>,
}

/// Reads `socket` into `sink` until the sink closes.
fn spawn_receiver(
    tasks: &mut JoinSet<()>,
    socket: Arc<UdpSocket>,
    interface: Option<usize>,
    sink: mpsc::Sender<Datagram>,
) {
    tasks.spawn(async move {
        let mut buffer = vec![0; MAX_DATAGRAM_LEN];
        loop {
            match socket.recv_from(&mut buffer).await {
                Ok((length, source)) => {
                    let bytes = buffer.get(..length).unwrap_or_default().to_vec();
                    let datagram = Datagram {
                        interface,
                        source,
                        bytes,
                    };
                    if sink.send(datagram).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    debug!(%error, "WSD: receive failed");
                    // A socket that fails at once every time must not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
}

/// Sends `message` to `to` twice, the second copy after repeat_delay().
fn spawn_repeated(
    tasks: &mut JoinSet<()>,
    socket: Arc<UdpSocket>,
    to: SocketAddr,
    message: Vec<u8>,
) {
    tasks.spawn(async move {
        for copy in 0..2 {
            if copy > 0 {
                tokio::time::sleep(repeat_delay()).await;
            }
            if let Err(error) = socket.send_to(&message, to).await {
                debug!(%to, %error, "WSD: send failed");
            }
        }
    });
}

/// Why a metadata fetch failed.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Wsd(#[from] WsdError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the GetResponse answers another Get")]
    OtherRelatesTo,
}

/// The metadata of `endpoint` from `xaddr`, connecting to `address`: the Get POSTed, the
/// response read to the connection's end or to a complete envelope, at most MAX_METADATA_LEN
/// bytes.
async fn fetch_metadata(
    address: SocketAddr,
    xaddr: &XAddr,
    endpoint: &str,
) -> Result<DeviceMetadata, FetchError> {
    let id = new_message_id();
    let body = metadata::encode_get(&id, endpoint)?;
    let head = metadata::http_request_head(xaddr, body.len());
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    let mut response = Vec::new();
    let mut chunk = vec![0; 16 * 1024];
    loop {
        let length = stream.read(&mut chunk).await?;
        if length == 0 {
            return read_response(&response, &id);
        }
        if response.len() + length > MAX_METADATA_LEN {
            return Err(WsdError::TooLarge {
                size: response.len() + length,
                limit: MAX_METADATA_LEN,
            }
            .into());
        }
        response.extend_from_slice(chunk.get(..length).unwrap_or_default());
        // A server that keeps the connection open is done once the envelope is.
        if response.trim_ascii_end().ends_with(b"Envelope>")
            && let Ok(metadata) = read_response(&response, &id)
        {
            return Ok(metadata);
        }
    }
}

fn read_response(response: &[u8], id: &MessageId) -> Result<DeviceMetadata, FetchError> {
    let body = metadata::decode_http_response(response)?;
    let metadata = metadata::decode_get_response(body)?;
    if metadata
        .relates_to
        .as_deref()
        .is_some_and(|relates_to| relates_to != id.as_str())
    {
        return Err(FetchError::OtherRelatesTo);
    }
    Ok(metadata)
}

/// The metadata from the first of `targets` that gives it, each tried within
/// METADATA_TIMEOUT.
async fn fetch_first(endpoint: &str, targets: &[(XAddr, SocketAddr)]) -> Option<DeviceMetadata> {
    for (xaddr, address) in targets {
        let result =
            tokio::time::timeout(METADATA_TIMEOUT, fetch_metadata(*address, xaddr, endpoint))
                .await
                .unwrap_or(Err(FetchError::Timeout(METADATA_TIMEOUT)));
        match result {
            Ok(metadata) => return Some(metadata),
            Err(error) => debug!(%endpoint, url = %xaddr.url, %address, %error, "WSD: metadata"),
        }
    }
    None
}

/// A computer heard of and not yet complete.
struct Pending {
    interface: usize,
    source: SocketAddr,
    service: TargetService,
    addresses: Vec<IpAddr>,
    fetching: bool,
    since: Instant,
    /// Whether its Types say `pub:Computer`; otherwise (a Hello without Types, as `wsdd`
    /// sends it) only its metadata can say it is a computer.
    typed: bool,
}

/// A metadata fetch's end.
struct Fetched {
    endpoint: String,
    metadata: Option<DeviceMetadata>,
}

/// What the engine tells its caller.
enum Output {
    Computer(WsdComputer),
    Bye(String),
}

/// The state of one discovery or one listener: what was asked, who answered, what is under
/// way.
struct Engine<'a> {
    interfaces: &'a [MulticastInterface],
    sockets: Vec<QuerySocket>,
    /// Our Probes' MessageIDs (empty: a listener).
    probes: Vec<String>,
    recent: RecentIds,
    /// Our Resolves' MessageIDs and the endpoints they name.
    resolves: BoundedMap<String>,
    pending: HashMap<String, Pending>,
    sequences: BoundedMap<AppSequence>,
    /// The computers completed (a discovery's are never forgotten: MAX_COMPUTERS bounds them).
    known: BoundedMap<WsdComputer>,
    /// Computers a discovery still takes (None: a listener, which forgets the oldest).
    budget: Option<usize>,
    fetches: JoinSet<Fetched>,
    senders: JoinSet<()>,
    permits: Arc<Semaphore>,
}

impl<'a> Engine<'a> {
    fn new(interfaces: &'a [MulticastInterface], probes: Vec<String>) -> Engine<'a> {
        let budget = (!probes.is_empty()).then_some(MAX_COMPUTERS);
        Engine {
            interfaces,
            sockets: query_sockets(interfaces),
            probes,
            recent: RecentIds::new(),
            resolves: BoundedMap::new(MAX_COMPUTERS),
            pending: HashMap::new(),
            sequences: BoundedMap::new(MAX_REMEMBERED),
            known: BoundedMap::new(MAX_REMEMBERED),
            budget,
            fetches: JoinSet::new(),
            senders: JoinSet::new(),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_FETCHES)),
        }
    }

    /// The position of the interface a datagram from `source` came in on.
    fn interface_of(&self, datagram: &Datagram) -> Option<usize> {
        if datagram.interface.is_some() {
            return datagram.interface;
        }
        match datagram.source {
            SocketAddr::V4(source) => self
                .interfaces
                .iter()
                .position(|interface| interface.on_link(*source.ip())),
            SocketAddr::V6(source) => self
                .interfaces
                .iter()
                .position(|interface| interface.index == source.scope_id()),
        }
    }

    fn on_datagram(&mut self, datagram: &Datagram) -> Vec<Output> {
        let source = datagram.source;
        tracing::trace!(%source, length = datagram.bytes.len(), "WSD: datagram");
        let message = match discovery::decode_datagram(&datagram.bytes) {
            Ok(message) => message,
            Err(error) => {
                debug!(%source, %error, "WSD: datagram dropped");
                return Vec::new();
            }
        };
        if let Some(id) = &message.header().message_id
            && !self.recent.insert(id)
        {
            return Vec::new();
        }
        let Some(interface) = self.interface_of(datagram) else {
            debug!(%source, "WSD: datagram from off the link dropped");
            return Vec::new();
        };
        match message {
            DiscoveryMessage::ProbeMatches { header, matches } => {
                if !header
                    .relates_to
                    .is_some_and(|relates_to| self.probes.contains(&relates_to))
                {
                    debug!(%source, "WSD: ProbeMatches for another Probe dropped");
                    return Vec::new();
                }
                let mut outputs = Vec::new();
                for service in matches {
                    if service.is_computer() {
                        outputs.extend(self.offer(service, interface, source));
                    } else {
                        debug!(%source, endpoint = %service.address, "WSD: not a computer");
                    }
                }
                outputs
            }
            DiscoveryMessage::ResolveMatches { header, matches } => {
                let Some(endpoint) = header
                    .relates_to
                    .as_deref()
                    .and_then(|id| self.resolves.remove(id))
                else {
                    debug!(%source, "WSD: ResolveMatches for another Resolve dropped");
                    return Vec::new();
                };
                matches
                    .into_iter()
                    .filter(|service| service.address == endpoint)
                    .filter_map(|service| self.offer(service, interface, source))
                    .collect()
            }
            DiscoveryMessage::Hello { header, service } => {
                // wsdd's Hello has no Types: its metadata will tell.
                if !self.probes.is_empty() || !(service.is_computer() || service.types.is_empty()) {
                    debug!(%source, endpoint = %service.address, "WSD: Hello of no computer");
                    return Vec::new();
                }
                if !self.fresh(&service.address, header.app_sequence) {
                    debug!(%source, endpoint = %service.address, "WSD: stale Hello dropped");
                    return Vec::new();
                }
                // A Hello says the computer (re)joined or changed: complete it anew (unless
                // that is under way: a flood of Hellos starts no more fetches).
                self.known.remove(&service.address);
                self.offer(service, interface, source).into_iter().collect()
            }
            DiscoveryMessage::Bye { header, service } => {
                if !self.probes.is_empty() {
                    return Vec::new();
                }
                if !self.fresh(&service.address, header.app_sequence) {
                    debug!(%source, endpoint = %service.address, "WSD: stale Bye dropped");
                    return Vec::new();
                }
                self.known.remove(&service.address);
                self.pending.remove(&service.address);
                vec![Output::Bye(service.address)]
            }
        }
    }

    /// Whether an announcement of `endpoint` numbered `sequence` is newer than the last
    /// (and remember it).
    fn fresh(&mut self, endpoint: &str, sequence: Option<AppSequence>) -> bool {
        let Some(sequence) = sequence else {
            return true;
        };
        if self
            .sequences
            .get(endpoint)
            .is_some_and(|last| is_stale(last, &sequence))
        {
            return false;
        }
        self.sequences.insert(endpoint.to_owned(), sequence);
        true
    }

    /// A computer answered or announced: merged into what is known of it, or taken and
    /// Resolved or fetched. A computer output when it is complete or gained addresses.
    fn offer(
        &mut self,
        service: TargetService,
        interface: usize,
        source: SocketAddr,
    ) -> Option<Output> {
        let endpoint = service.address.clone();
        let on = self.interfaces.get(interface)?;
        let addresses = service_addresses(&service, source, on);
        if let Some(known) = self.known.get_mut(&endpoint) {
            let update = WsdComputer {
                endpoint,
                name: None,
                membership: None,
                addresses,
                metadata_version: service.metadata_version,
            };
            return known.merge(update).then(|| Output::Computer(known.clone()));
        }
        if let Some(pending) = self.pending.get_mut(&endpoint) {
            for address in addresses {
                add_address(&mut pending.addresses, address);
            }
            if pending.fetching || service.xaddrs.is_empty() {
                return None;
            }
            pending.service = service;
            pending.interface = interface;
            pending.source = source;
            return self.start_fetch(&endpoint);
        }
        if self.pending.len() >= MAX_COMPUTERS || self.budget == Some(0) {
            debug!(%endpoint, "WSD: computer limit reached, dropped");
            return None;
        }
        if let Some(budget) = &mut self.budget {
            *budget -= 1;
        }
        let needs_resolve = service.xaddrs.is_empty();
        let service_is_computer = service.is_computer();
        self.pending.insert(
            endpoint.clone(),
            Pending {
                interface,
                source,
                service,
                addresses,
                fetching: false,
                since: Instant::now(),
                typed: service_is_computer,
            },
        );
        if needs_resolve {
            self.resolve(&endpoint, interface, source);
            None
        } else {
            self.start_fetch(&endpoint)
        }
    }

    /// Multicasts a Resolve of `endpoint` on the interface and family it was heard on.
    fn resolve(&mut self, endpoint: &str, interface: usize, source: SocketAddr) {
        let Some(socket) = self.sockets.iter().find(|socket| {
            socket.interface == interface && socket.group.is_ipv4() == source.is_ipv4()
        }) else {
            debug!(%endpoint, "WSD: no socket to Resolve from");
            return;
        };
        let id = new_message_id();
        match discovery::encode_resolve(&id, endpoint) {
            Ok(message) => {
                debug!(%endpoint, "WSD: Resolve");
                self.resolves
                    .insert(id.as_str().to_owned(), endpoint.to_owned());
                spawn_repeated(
                    &mut self.senders,
                    socket.socket.clone(),
                    socket.group,
                    message,
                );
            }
            Err(error) => debug!(%endpoint, %error, "WSD: cannot Resolve"),
        }
    }

    /// Fetches the metadata of the pending `endpoint` from its usable XAddrs, or completes it
    /// without metadata when it has none.
    fn start_fetch(&mut self, endpoint: &str) -> Option<Output> {
        let pending = self.pending.get_mut(endpoint)?;
        let on = self.interfaces.get(pending.interface)?;
        let targets: Vec<(XAddr, SocketAddr)> = pending
            .service
            .xaddrs
            .iter()
            .filter_map(|xaddr| Some((xaddr.clone(), fetch_address(xaddr, pending.source, on)?)))
            .take(MAX_FETCH_TARGETS)
            .collect();
        if targets.is_empty() {
            debug!(%endpoint, "WSD: no XAddr on the link");
            return self.complete(endpoint, None);
        }
        // A fetch outlives a Bye of its computer: Hello and Bye in turn must not pile them up.
        if self.fetches.len() >= MAX_COMPUTERS {
            debug!(%endpoint, "WSD: too many metadata fetches under way");
            return self.complete(endpoint, None);
        }
        pending.fetching = true;
        let permits = self.permits.clone();
        let endpoint = endpoint.to_owned();
        self.fetches.spawn(async move {
            let metadata = match permits.acquire_owned().await {
                Ok(_permit) => fetch_first(&endpoint, &targets).await,
                Err(_) => None,
            };
            Fetched { endpoint, metadata }
        });
        None
    }

    /// The pending `endpoint` completed, with its metadata when it was read.
    fn complete(&mut self, endpoint: &str, metadata: Option<DeviceMetadata>) -> Option<Output> {
        let pending = self.pending.remove(endpoint)?;
        let computer = metadata.and_then(|metadata| metadata.computer);
        if !pending.typed && computer.is_none() {
            debug!(%endpoint, "WSD: not known to be a computer, dropped");
            return None;
        }
        let computer = WsdComputer {
            endpoint: endpoint.to_owned(),
            name: computer.as_ref().map(|computer| computer.name.clone()),
            membership: computer.map(|computer| computer.membership),
            addresses: pending.addresses,
            metadata_version: pending.service.metadata_version,
        };
        debug!(?computer, "WSD: computer");
        self.known.insert(endpoint.to_owned(), computer.clone());
        Some(Output::Computer(computer))
    }

    fn on_fetched(&mut self, fetched: Fetched) -> Option<Output> {
        self.complete(&fetched.endpoint, fetched.metadata)
    }

    /// A listener's housekeeping: computers whose Resolve went unanswered for MATCH_TIMEOUT
    /// complete without metadata; finished senders are reaped.
    fn expire(&mut self, now: Instant) -> Vec<Output> {
        while self.senders.try_join_next().is_some() {}
        let expired: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, pending)| {
                !pending.fetching && now.saturating_duration_since(pending.since) >= MATCH_TIMEOUT
            })
            .map(|(endpoint, _)| endpoint.clone())
            .collect();
        expired
            .iter()
            .filter_map(|endpoint| self.complete(endpoint, None))
            .collect()
    }
}

/// A WS-Discovery client over the interfaces chosen for multicast discovery.
#[derive(Debug, Clone)]
pub struct WsdClient {
    interfaces: Vec<MulticastInterface>,
}

impl WsdClient {
    /// A client over `interfaces`.
    pub fn new(interfaces: Vec<MulticastInterface>) -> WsdClient {
        WsdClient { interfaces }
    }

    /// A client over the interfaces the environment chooses
    /// ([`InterfaceSelection::from_env`]).
    pub fn from_env() -> Result<WsdClient, WinError> {
        let selection = InterfaceSelection::from_env()?;
        let interfaces = multicast_interfaces(&selection).map_err(|error| {
            WinError::with_cause(
                codes::ERROR_NO_NETWORK,
                Cause::Other(format!("listing the network interfaces: {error}")),
            )
        })?;
        Ok(WsdClient::new(interfaces))
    }

    /// The interfaces it uses.
    pub fn interfaces(&self) -> &[MulticastInterface] {
        &self.interfaces
    }

    /// Probes on every interface (IPv4 and IPv6 where it has addresses; for computers and,
    /// for `wsdd`'s sake, for devices), Resolves what answers without XAddrs, Gets the
    /// metadata of each over HTTP, and sends each computer to `found` as soon as it is
    /// complete (at most MAX_COMPUTERS); an endpoint is sent again when a later answer adds
    /// addresses to it (the later one holds all). Returns after `window`, or sooner when
    /// `found` is closed or no interface can send. While `found` is full, answers wait in the
    /// sockets: read it as the computers come.
    pub async fn discover(&self, window: Duration, found: mpsc::Sender<WsdComputer>) {
        let deadline = Instant::now() + window;
        if tokio::time::timeout_at(deadline, self.discover_until_closed(&found))
            .await
            .is_ok()
        {
            debug!("WSD: discovery ended early");
        }
    }

    async fn discover_until_closed(&self, found: &mpsc::Sender<WsdComputer>) {
        let probe = new_message_id();
        let device_probe = new_message_id();
        let mut engine = Engine::new(
            &self.interfaces,
            vec![probe.as_str().to_owned(), device_probe.as_str().to_owned()],
        );
        if engine.sockets.is_empty() {
            debug!("WSD: no interface to Probe on");
            return;
        }
        let (sink, mut datagrams) = mpsc::channel(CHANNEL_DEPTH);
        let mut receivers = JoinSet::new();
        let messages = [
            discovery::encode_probe(&probe),
            discovery::encode_device_probe(&device_probe),
        ];
        for socket in &engine.sockets {
            spawn_receiver(
                &mut receivers,
                socket.socket.clone(),
                Some(socket.interface),
                sink.clone(),
            );
            debug!(to = %socket.group, "WSD: Probe");
            for message in &messages {
                spawn_repeated(
                    &mut engine.senders,
                    socket.socket.clone(),
                    socket.group,
                    message.clone(),
                );
            }
        }
        drop(sink);
        loop {
            let output = tokio::select! {
                datagram = datagrams.recv() => match datagram {
                    Some(datagram) => engine.on_datagram(&datagram),
                    None => return,
                },
                Some(fetched) = engine.fetches.join_next(), if !engine.fetches.is_empty() => {
                    fetched.ok().and_then(|fetched| engine.on_fetched(fetched)).into_iter().collect()
                }
                () = found.closed() => return,
            };
            for output in output {
                if let Output::Computer(computer) = output
                    && found.send(computer).await.is_err()
                {
                    return;
                }
            }
        }
    }

    /// Discovers for `window` and collects what was found, deduplicated by endpoint.
    pub async fn discover_all(&self, window: Duration) -> Vec<WsdComputer> {
        let (found, mut computers) = mpsc::channel(CHANNEL_DEPTH);
        let collect = async {
            let mut all = Vec::new();
            while let Some(computer) = computers.recv().await {
                merge_into(&mut all, computer);
            }
            all
        };
        let ((), all) = tokio::join!(self.discover(window, found), collect);
        all
    }

    /// Listens for Hello and Bye on every interface (port 3702, 239.255.255.250 and, where
    /// the interface has a link-local IPv6 address, FF02::C) until `events` is closed. A
    /// Hello's computer is completed (Resolved if needed, its metadata read) before it is
    /// sent; a Bye is sent at once. Replayed announcements (AppSequence) are dropped; at most
    /// MAX_REMEMBERED computers are remembered. An error when no listening socket opens.
    /// While `events` is full, announcements wait in the sockets (and the kernel drops what
    /// does not fit): read it as the events come.
    pub async fn listen(&self, events: mpsc::Sender<WsdEvent>) -> io::Result<()> {
        let listeners = self.group_listeners()?;
        let mut engine = Engine::new(&self.interfaces, Vec::new());
        let (sink, mut datagrams) = mpsc::channel(CHANNEL_DEPTH);
        let mut receivers = JoinSet::new();
        for listener in listeners {
            spawn_receiver(&mut receivers, Arc::new(listener), None, sink.clone());
        }
        for socket in &engine.sockets {
            spawn_receiver(
                &mut receivers,
                socket.socket.clone(),
                Some(socket.interface),
                sink.clone(),
            );
        }
        drop(sink);
        let mut tick = tokio::time::interval(LISTEN_TICK);
        loop {
            let outputs = tokio::select! {
                datagram = datagrams.recv() => match datagram {
                    Some(datagram) => engine.on_datagram(&datagram),
                    None => return Ok(()),
                },
                Some(fetched) = engine.fetches.join_next(), if !engine.fetches.is_empty() => {
                    fetched.ok().and_then(|fetched| engine.on_fetched(fetched)).into_iter().collect()
                }
                _ = tick.tick() => engine.expire(Instant::now()),
                () = events.closed() => return Ok(()),
            };
            for output in outputs {
                let event = match output {
                    Output::Computer(computer) => WsdEvent::Hello(computer),
                    Output::Bye(endpoint) => WsdEvent::Bye { endpoint },
                };
                if events.send(event).await.is_err() {
                    return Ok(());
                }
            }
        }
    }

    /// The sockets on port 3702 joined to the groups on every interface: one for IPv4 (the
    /// group joined on each interface's address), one per interface for IPv6.
    fn group_listeners(&self) -> io::Result<Vec<UdpSocket>> {
        let mut listeners = Vec::new();
        let mut ipv4: Option<UdpSocket> = None;
        let mut last_error = None;
        for interface in &self.interfaces {
            if let Some((address, _)) = interface.ipv4.first() {
                let joined = match &ipv4 {
                    Some(socket) => socket.join_multicast_v4(MULTICAST_V4, *address),
                    None => ipv4_group_listener(interface, MULTICAST_V4, DISCOVERY_PORT)
                        .map(|socket| ipv4 = Some(socket)),
                };
                if let Err(error) = joined {
                    debug!(interface = %interface.name, %error, "WSD: cannot listen on IPv4");
                    last_error = Some(error);
                }
            }
            if !interface.ipv6_link_local.is_empty() {
                match ipv6_group_listener(interface, MULTICAST_V6, DISCOVERY_PORT) {
                    Ok(socket) => listeners.push(socket),
                    Err(error) => {
                        debug!(interface = %interface.name, %error, "WSD: cannot listen on IPv6");
                        last_error = Some(error);
                    }
                }
            }
        }
        listeners.extend(ipv4);
        match (listeners.is_empty(), last_error) {
            (true, Some(error)) => Err(error),
            (true, None) => Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "no interface to listen for WS-Discovery on",
            )),
            (false, _) => Ok(listeners),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn computer(endpoint: &str, addresses: &[&str]) -> WsdComputer {
        WsdComputer {
            endpoint: endpoint.to_owned(),
            name: None,
            membership: None,
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
            metadata_version: None,
        }
    }

    fn lab_interface() -> MulticastInterface {
        MulticastInterface {
            name: "wsdt-br".into(),
            index: 9,
            ipv4: vec![(Ipv4Addr::new(198, 51, 100, 225), 28)],
            ipv6_link_local: vec!["fe80::1".parse().unwrap()],
        }
    }

    fn sequence(instance_id: u64, sequence_id: Option<&str>, message_number: u64) -> AppSequence {
        AppSequence {
            instance_id,
            sequence_id: sequence_id.map(str::to_owned),
            message_number,
        }
    }

    #[test]
    fn merging_adds_addresses_and_keeps_names() {
        let mut first = computer("urn:uuid:1", &["198.51.100.226"]);
        let mut named = computer("urn:uuid:1", &["fe80::2", "198.51.100.226"]);
        named.name = Some("TESTWSD".into());
        named.membership = Some(Membership::Workgroup("TESTWG".into()));
        named.metadata_version = Some(3);
        assert!(first.merge(named.clone()));
        assert_eq!(first.addresses.len(), 2);
        assert_eq!(first.name.as_deref(), Some("TESTWSD"));
        // A later answer without metadata keeps the name; the same again changes nothing.
        assert!(!first.merge(computer("urn:uuid:1", &["198.51.100.226"])));
        assert_eq!(
            first.membership,
            Some(Membership::Workgroup("TESTWG".into()))
        );
        let mut older = computer("urn:uuid:1", &[]);
        older.metadata_version = Some(1);
        assert!(!first.merge(older));
        assert_eq!(first.metadata_version, Some(3));
    }

    #[test]
    fn merging_into_a_list_deduplicates_by_endpoint_and_is_bounded() {
        let mut all = Vec::new();
        assert!(merge_into(
            &mut all,
            computer("urn:uuid:1", &["198.51.100.226"])
        ));
        assert!(merge_into(
            &mut all,
            computer("urn:uuid:1", &["198.51.100.227"])
        ));
        assert!(!merge_into(
            &mut all,
            computer("urn:uuid:1", &["198.51.100.227"])
        ));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].addresses.len(), 2);
        for n in 0..MAX_COMPUTERS + 10 {
            merge_into(&mut all, computer(&format!("urn:uuid:x{n}"), &[]));
        }
        assert_eq!(all.len(), MAX_COMPUTERS);
        let mut many = computer("urn:uuid:1", &[]);
        many.addresses = (0..100u8)
            .map(|n| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)))
            .collect();
        all[0].merge(many);
        assert_eq!(all[0].addresses.len(), MAX_ADDRESSES);
    }

    #[test]
    fn app_sequence_orders_instances_then_message_numbers() {
        let last = sequence(100, None, 5);
        assert!(is_stale(&last, &sequence(100, None, 4)), "replay");
        assert!(
            is_stale(&last, &sequence(100, None, 5)),
            "same message again"
        );
        assert!(is_stale(&last, &sequence(99, None, 9)), "older instance");
        assert!(!is_stale(&last, &sequence(100, None, 6)));
        assert!(!is_stale(&last, &sequence(101, None, 1)), "restarted");
        assert!(
            !is_stale(&last, &sequence(100, Some("s2"), 1)),
            "another sequence"
        );
    }

    #[test]
    fn engine_drops_replayed_announcements() {
        let interfaces = [lab_interface()];
        let mut engine = Engine::new(&interfaces, Vec::new());
        assert!(engine.fresh("urn:uuid:1", Some(sequence(7, None, 2))));
        assert!(!engine.fresh("urn:uuid:1", Some(sequence(7, None, 1))));
        assert!(engine.fresh("urn:uuid:1", Some(sequence(7, None, 3))));
        assert!(engine.fresh("urn:uuid:2", Some(sequence(1, None, 1))));
        assert!(engine.fresh("urn:uuid:1", None));
    }

    fn xaddr(url: &str) -> XAddr {
        XAddr::parse(url).unwrap()
    }

    #[test]
    fn xaddrs_on_the_link_or_the_source_are_fetched() {
        let on = lab_interface();
        let source: SocketAddr = "198.51.100.226:3702".parse().unwrap();
        let fetch = |url: &str| fetch_address(&xaddr(url), source, &on);
        assert_eq!(
            fetch("http://198.51.100.230:5357/x"),
            Some("198.51.100.230:5357".parse().unwrap())
        );
        // Off the link: skipped, unless it is the source itself.
        assert_eq!(fetch("http://192.0.2.2:5357/x"), None);
        let far: SocketAddr = "192.0.2.9:3702".parse().unwrap();
        assert_eq!(
            fetch_address(&xaddr("http://192.0.2.9:5357/"), far, &on),
            Some("192.0.2.9:5357".parse().unwrap())
        );
        // A name is never looked up: the source is asked instead.
        assert_eq!(
            fetch("http://wsdhost.example:5357/x"),
            Some("198.51.100.226:5357".parse().unwrap())
        );
        assert_eq!(
            fetch_address(&xaddr("http://evil.example/"), far, &on),
            None
        );
        // IPv6 link-local: scoped to the interface.
        assert_eq!(
            fetch("http://[fe80::9]:5357/x"),
            Some(SocketAddr::V6(SocketAddrV6::new(
                "fe80::9".parse().unwrap(),
                5357,
                0,
                9
            )))
        );
        assert_eq!(fetch("http://[2001:db8::9]:5357/x"), None);
        let v6: SocketAddr = SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 7),
            3702,
            0,
            9,
        ));
        assert_eq!(
            fetch_address(&xaddr("http://host/x"), v6, &on),
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 7),
                80,
                0,
                9
            )))
        );
    }

    #[test]
    fn addresses_are_the_source_and_usable_xaddr_hosts() {
        let on = lab_interface();
        let source: SocketAddr = "198.51.100.226:3702".parse().unwrap();
        let service = TargetService {
            address: "urn:uuid:1".into(),
            types: vec![],
            xaddrs: vec![
                xaddr("http://198.51.100.226:5357/a"),
                xaddr("http://198.51.100.227:5357/a"),
                xaddr("http://8.8.8.8:5357/a"),
                xaddr("http://name:5357/a"),
            ],
            metadata_version: None,
        };
        let addresses: Vec<String> = service_addresses(&service, source, &on)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(addresses, ["198.51.100.226", "198.51.100.227"]);
    }

    #[test]
    fn bounded_map_forgets_the_oldest() {
        let mut map = BoundedMap::new(2);
        map.insert("a".into(), 1);
        map.insert("b".into(), 2);
        map.insert("a".into(), 3);
        map.insert("c".into(), 4);
        assert_eq!(map.get("b"), None, "b was the oldest");
        assert_eq!(map.get("a"), Some(&3));
        assert_eq!(map.remove("c"), Some(4));
        assert_eq!(map.get("c"), None);
    }

    #[test]
    fn repeated_message_ids_are_dropped_and_forgotten_in_time() {
        let mut recent = RecentIds::new();
        assert!(recent.insert("urn:uuid:1"));
        assert!(!recent.insert("urn:uuid:1"));
        for n in 0..MAX_RECENT_IDS {
            recent.insert(&n.to_string());
        }
        assert!(recent.insert("urn:uuid:1"));
        assert!(recent.seen.len() <= MAX_RECENT_IDS);
    }

    const CAPTURED_HELLO: &[u8] = include_bytes!("../../testdata/wsd/wsdd-captured-hello.xml");
    const CAPTURED_ENDPOINT: &str = "urn:uuid:6f1d1a5e-0000-4000-8000-000000000002";

    fn from_wsdd(bytes: Vec<u8>) -> Datagram {
        Datagram {
            interface: None,
            source: "198.51.100.227:3702".parse().unwrap(),
            bytes,
        }
    }

    fn edited(original: &[u8], edits: &[(&str, &str)]) -> Vec<u8> {
        let mut text = String::from_utf8(original.to_vec()).unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "{from}");
            text = text.replace(from, to);
        }
        text.into_bytes()
    }

    // The fetches the engine spawns never run: the test does not yield to the runtime.
    #[tokio::test(flavor = "current_thread")]
    async fn wsdds_untyped_hello_is_taken_a_printers_is_not() {
        let interfaces = [lab_interface()];
        let mut engine = Engine::new(&interfaces, Vec::new());
        assert!(
            engine
                .on_datagram(&from_wsdd(CAPTURED_HELLO.to_vec()))
                .is_empty()
        );
        let pending = &engine.pending[CAPTURED_ENDPOINT];
        assert!(pending.fetching && !pending.typed);
        // Its next Hello while the fetch is under way starts no other.
        let again = edited(
            CAPTURED_HELLO,
            &[
                ("11cdc16a", "51cdc16a"),
                ("MessageNumber=\"0\"", "MessageNumber=\"1\""),
            ],
        );
        assert!(engine.on_datagram(&from_wsdd(again)).is_empty());
        assert_eq!(engine.fetches.len(), 1);
        // Its metadata must say pub:Computer, or it is dropped.
        assert!(engine.complete(CAPTURED_ENDPOINT, None).is_none());
        assert!(engine.pending.is_empty());

        let printer = edited(
            CAPTURED_HELLO,
            &[
                ("11cdc16a", "21cdc16a"),
                (
                    "<wsd:XAddrs>",
                    "<wsd:Types>wsdp:Device</wsd:Types><wsd:XAddrs>",
                ),
            ],
        );
        assert!(engine.on_datagram(&from_wsdd(printer)).is_empty());
        assert!(engine.pending.is_empty());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn repeats_and_replayed_byes_are_dropped() {
        let interfaces = [lab_interface()];
        let mut engine = Engine::new(&interfaces, Vec::new());
        let hello = from_wsdd(CAPTURED_HELLO.to_vec());
        engine.on_datagram(&hello);
        engine.pending.clear();
        // The same MessageID again (SOAP-over-UDP's repeats): dropped.
        engine.on_datagram(&hello);
        assert!(engine.pending.is_empty());
        // A Bye of the instance before (a replay): dropped.
        let old_bye = edited(
            CAPTURED_HELLO,
            &[
                ("11cdc16a", "31cdc16a"),
                ("InstanceId=\"1796473577\"", "InstanceId=\"1796473000\""),
                ("discovery/Hello", "discovery/Bye"),
                ("wsd:Hello", "wsd:Bye"),
            ],
        );
        assert!(engine.on_datagram(&from_wsdd(old_bye)).is_empty());
        // The same instance's next message: heard.
        let bye = edited(
            CAPTURED_HELLO,
            &[
                ("11cdc16a", "41cdc16a"),
                ("MessageNumber=\"0\"", "MessageNumber=\"1\""),
                ("discovery/Hello", "discovery/Bye"),
                ("wsd:Hello", "wsd:Bye"),
            ],
        );
        let outputs = engine.on_datagram(&from_wsdd(bye));
        assert!(
            matches!(outputs.as_slice(), [Output::Bye(endpoint)] if endpoint == CAPTURED_ENDPOINT)
        );
    }

    #[test]
    fn repeats_wait_within_app_max_delay() {
        for _ in 0..100 {
            let delay = repeat_delay();
            assert!(delay >= UDP_MIN_DELAY && delay <= UDP_MAX_DELAY);
            assert!(delay <= super::super::APP_MAX_DELAY);
        }
        assert_ne!(new_message_id(), new_message_id());
    }
}
