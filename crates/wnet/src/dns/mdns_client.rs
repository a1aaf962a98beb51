//! The multicast DNS engine (RFC 6762) around the [`super::mdns`] codec: browsing for SMB
//! servers announced over DNS-SD (`_smb._tcp.local`, RFC 6763), listening for their
//! announcements and goodbyes, and resolving `name.local` to an IPv4 address.
//!
//! Queries are one-shot (RFC 6762 §5.1): sent from an ephemeral port of each chosen interface
//! (see [`crate::multicast`]) with the QU bit, and answered by unicast to that port; such
//! answers carry TTLs of at most 10 s (§6.7). What a browse hears is assembled by
//! [`BrowseState`], sans-IO: PTR → SRV → A/AAAA across messages, with follow-up SRV/TXT and
//! address queries for what the answers left out. Anyone on the link may answer: everything
//! kept is bounded ([`MAX_SERVERS`], [`MAX_ADDRESSES`]), every sending loop too, and a browse
//! returns at the end of its window whatever it hears.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};
use wnet_nbt::wire::DomainName;

use super::mdns::{
    self, MAX_MESSAGE_LENGTH, MDNS_GROUP_V4, MDNS_GROUP_V6, MDNS_PORT, MdnsResponse, SMB_SERVICE,
    service_instances,
};
use super::wire::{RecordValue, TYPE_A, same_name};
use crate::error::{Cause, WinError, codes};
use crate::multicast::{
    InterfaceSelection, MulticastInterface, ipv4_group_listener, ipv4_query_socket,
    ipv6_group_listener, ipv6_query_socket, multicast_interfaces,
};

/// The most servers a browse or a listener keeps: more instances than this are ignored.
pub const MAX_SERVERS: usize = 256;
/// The most addresses kept for one host.
pub const MAX_ADDRESSES: usize = 8;
/// When a browse query is sent again after the first, from the browse's start (RFC 6762
/// §5.2 doubles the interval from 1 s); only those within the window are sent.
pub const BROWSE_RETRANSMITS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];
/// The most datagrams waiting to be read, over all sockets: a flood is dropped, not queued.
const MAX_QUEUED_DATAGRAMS: usize = 64;

/// An SMB server announced over mDNS/DNS-SD (`_smb._tcp.local`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsServer {
    /// The instance label, the name to show (`Office NAS`).
    pub instance: String,
    /// The host of its SRV record (`MDNSHOST.local`).
    pub host: String,
    /// Its port (445).
    pub port: u16,
    /// The host's addresses, IPv4 first, each family as heard, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<IpAddr>,
    /// The TTL of its PTR record, in seconds.
    pub ttl: u32,
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnsEvent {
    /// A server announced, complete (SRV and an address known), or announced again with
    /// other records.
    Announced(MdnsServer),
    /// An instance withdrawn (its PTR record with TTL 0, RFC 6762 §10.1).
    Goodbye {
        /// The instance label.
        instance: String,
    },
}

/// What one message changed in a [`BrowseState`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowseUpdate {
    /// Servers now complete, or changed since last reported.
    pub servers: Vec<MdnsServer>,
    /// Instances withdrawn.
    pub goodbyes: Vec<String>,
    /// Instances whose SRV is unknown: ask their SRV and TXT.
    pub resolve: Vec<DomainName>,
    /// Hosts whose addresses are unknown: ask their A and AAAA.
    pub addresses: Vec<DomainName>,
}

/// An instance heard of, maybe not yet complete.
#[derive(Debug, Clone)]
struct PartialInstance {
    name: DomainName,
    instance: String,
    host: Option<DomainName>,
    port: Option<u16>,
    ttl: u32,
    /// Whether its SRV and TXT were asked since the last [`BrowseState::retry`].
    asked_srv: bool,
    /// Whether its host's addresses were asked since the last [`BrowseState::retry`].
    asked_addresses: bool,
    reported: Option<MdnsServer>,
}

/// A service's instances assembled from the messages heard, sans-IO: each message is given to
/// [`BrowseState::absorb`], which says which servers are complete and what to ask next.
#[derive(Debug, Clone)]
pub struct BrowseState {
    service: DomainName,
    instances: BTreeMap<String, PartialInstance>,
    /// Addresses of the instances' hosts only, by lower-cased host name.
    hosts: BTreeMap<String, Vec<IpAddr>>,
}

/// A name's key: its text, lower-cased (names compare ignoring ASCII case).
fn key(name: &DomainName) -> String {
    name.to_string().to_ascii_lowercase()
}

impl BrowseState {
    /// An empty state for `service` (`_smb._tcp.local`).
    pub fn new(service: DomainName) -> BrowseState {
        BrowseState {
            service,
            instances: BTreeMap::new(),
            hosts: BTreeMap::new(),
        }
    }

    /// How many instances are kept (at most [`MAX_SERVERS`]).
    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// Whether no instance is kept.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Lets incomplete instances be asked about again (after a browse retransmission).
    pub fn retry(&mut self) {
        for partial in self.instances.values_mut() {
            partial.asked_srv = false;
            partial.asked_addresses = false;
        }
    }

    /// Takes in one message: PTRs of the service add instances (TTL 0 withdraws them), SRV
    /// records of known instances and addresses of their hosts fill them in.
    pub fn absorb(&mut self, response: &MdnsResponse) -> BrowseUpdate {
        let mut update = BrowseUpdate::default();
        let found = service_instances(response, &self.service);
        for goodbye in found.goodbyes {
            if let Some(gone) = self.instances.remove(&key(&goodbye.name))
                && let Some(host) = gone.host
            {
                self.forget_host_if_unused(&host);
            }
            update.goodbyes.push(goodbye.instance);
        }
        for instance in found.instances {
            let name_key = key(&instance.name);
            if !self.instances.contains_key(&name_key) && self.instances.len() >= MAX_SERVERS {
                continue;
            }
            let partial = self
                .instances
                .entry(name_key)
                .or_insert_with(|| PartialInstance {
                    name: instance.name.clone(),
                    instance: instance.instance.clone(),
                    host: None,
                    port: None,
                    ttl: instance.ttl,
                    asked_srv: false,
                    asked_addresses: false,
                    reported: None,
                });
            partial.ttl = instance.ttl;
            if let (Some(host), Some(port)) = (instance.host, instance.port) {
                partial.host = Some(host);
                partial.port = Some(port);
            }
        }
        self.absorb_records(response);
        self.progress(&mut update);
        update
    }

    /// SRV records of known instances and addresses of their hosts, whatever the PTRs.
    fn absorb_records(&mut self, response: &MdnsResponse) {
        let records = response.answers.iter().chain(&response.additional);
        for record in records.clone().filter(|record| record.ttl > 0) {
            if let RecordValue::Srv { port, target, .. } = &record.value
                && let Some(partial) = self.instances.get_mut(&key(&record.name))
            {
                partial.host = Some(target.clone());
                partial.port = Some(*port);
            }
        }
        for record in records.filter(|record| record.ttl > 0) {
            let address = match record.value {
                RecordValue::A(address) => IpAddr::V4(address),
                RecordValue::Aaaa(address) => IpAddr::V6(address),
                _ => continue,
            };
            let wanted = self.instances.values().any(|partial| {
                partial
                    .host
                    .as_ref()
                    .is_some_and(|host| same_name(host, &record.name))
            });
            if !wanted {
                continue;
            }
            let addresses = self.hosts.entry(key(&record.name)).or_default();
            if !addresses.contains(&address) && addresses.len() < MAX_ADDRESSES {
                // IPv4 first: the resolver and SMB connect over IPv4.
                let at = match address {
                    IpAddr::V4(_) => addresses.iter().take_while(|known| known.is_ipv4()).count(),
                    IpAddr::V6(_) => addresses.len(),
                };
                addresses.insert(at, address);
            }
        }
    }

    fn forget_host_if_unused(&mut self, host: &DomainName) {
        let used = self.instances.values().any(|partial| {
            partial
                .host
                .as_ref()
                .is_some_and(|other| same_name(other, host))
        });
        if !used {
            self.hosts.remove(&key(host));
        }
    }

    /// Reports complete servers that changed, and asks once (until [`Self::retry`]) about the
    /// incomplete.
    fn progress(&mut self, update: &mut BrowseUpdate) {
        for partial in self.instances.values_mut() {
            let (Some(host), Some(port)) = (&partial.host, partial.port) else {
                if !partial.asked_srv {
                    partial.asked_srv = true;
                    update.resolve.push(partial.name.clone());
                }
                continue;
            };
            let addresses = self.hosts.get(&key(host)).cloned().unwrap_or_default();
            if addresses.is_empty() {
                if !partial.asked_addresses {
                    partial.asked_addresses = true;
                    update.addresses.push(host.clone());
                }
                continue;
            }
            let server = MdnsServer {
                instance: partial.instance.clone(),
                host: host.to_string(),
                port,
                addresses,
                ttl: partial.ttl,
            };
            if partial.reported.as_ref() != Some(&server) {
                partial.reported = Some(server.clone());
                update.servers.push(server);
            }
        }
    }
}

/// A socket of one interface and the group its queries go to.
struct QuerySocket {
    socket: Arc<UdpSocket>,
    group: SocketAddr,
}

/// Browses, listens and resolves over the chosen interfaces.
#[derive(Debug, Clone)]
pub struct MdnsClient {
    interfaces: Vec<MulticastInterface>,
}

impl MdnsClient {
    /// A client over `interfaces` (none: nothing is sent, nothing found).
    pub fn new(interfaces: Vec<MulticastInterface>) -> MdnsClient {
        MdnsClient { interfaces }
    }

    /// A client over the interfaces of the environment ([`InterfaceSelection::from_env`]).
    pub fn from_env() -> Result<MdnsClient, WinError> {
        let selection = InterfaceSelection::from_env()?;
        let interfaces = multicast_interfaces(&selection).map_err(|error| {
            WinError::with_cause(
                codes::ERROR_NO_NETWORK,
                Cause::Os(error.raw_os_error().unwrap_or(0)),
            )
        })?;
        Ok(MdnsClient::new(interfaces))
    }

    /// Its interfaces.
    pub fn interfaces(&self) -> &[MulticastInterface] {
        &self.interfaces
    }

    /// Browses `_smb._tcp.local` on every interface: one-shot PTR queries from an ephemeral
    /// port with the QU bit (RFC 6762 §5.1, §5.4), sent again at [`BROWSE_RETRANSMITS`];
    /// SRV/TXT and A/AAAA follow-ups for instances whose records the answers left out. Each
    /// complete server is sent to `found` as soon as known (again if its records change);
    /// returns after `window`, or when `found` is closed.
    pub async fn browse(&self, window: Duration, found: mpsc::Sender<MdnsServer>) {
        let start = Instant::now();
        let deadline = start + window;
        let (Ok(service), Ok(query)) = (
            mdns::parse_name(SMB_SERVICE),
            mdns::browse_query(SMB_SERVICE, true),
        ) else {
            return;
        };
        let sockets = self.query_sockets(true);
        if sockets.is_empty() {
            return;
        }
        let (mut datagrams, _readers) = read_all(sockets.iter().map(|s| s.socket.clone()));
        send_all(&sockets, &query).await;
        let mut state = BrowseState::new(service);
        let mut retransmits = BROWSE_RETRANSMITS
            .iter()
            .map(|after| start + *after)
            .filter(|at| *at < deadline);
        let mut next = retransmits.next();
        loop {
            tokio::select! {
                () = sleep_until(deadline) => return,
                () = sleep_until(next.unwrap_or(deadline)), if next.is_some() => {
                    send_all(&sockets, &query).await;
                    state.retry();
                    next = retransmits.next();
                }
                datagram = datagrams.recv() => {
                    let Some((index, bytes)) = datagram else { return };
                    let Ok(response) = mdns::decode_response(&bytes) else { continue };
                    let update = state.absorb(&response);
                    if let Some(socket) = sockets.get(index) {
                        follow_up(socket, &update).await;
                    }
                    for server in update.servers {
                        tracing::debug!(?server, "mDNS server found");
                        if !matches!(timeout_at(deadline, found.send(server)).await, Ok(Ok(()))) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Every server a browse of `window` finds, once each (by instance, the last heard).
    pub async fn browse_all(&self, window: Duration) -> Vec<MdnsServer> {
        let (sender, mut receiver) = mpsc::channel::<MdnsServer>(16);
        let mut servers: Vec<MdnsServer> = Vec::new();
        let collect = async {
            while let Some(server) = receiver.recv().await {
                if let Some(known) = servers
                    .iter_mut()
                    .find(|known| known.instance.eq_ignore_ascii_case(&server.instance))
                {
                    *known = server;
                } else if servers.len() < MAX_SERVERS {
                    servers.push(server);
                }
            }
        };
        tokio::join!(self.browse(window, sender), collect);
        servers
    }

    /// Listens on 224.0.0.251:5353 (and FF02::FB) of every interface for announcements and
    /// goodbyes of `_smb._tcp.local` instances, until `events` is closed. An error when no
    /// listener could be opened.
    pub async fn listen(&self, events: mpsc::Sender<MdnsEvent>) -> io::Result<()> {
        let mut sockets = Vec::new();
        let mut last_error = None;
        for interface in &self.interfaces {
            let v4 = ipv4_group_listener(interface, MDNS_GROUP_V4, MDNS_PORT);
            let v6 = ipv6_group_listener(interface, MDNS_GROUP_V6, MDNS_PORT);
            for socket in [v4, v6] {
                match socket {
                    Ok(socket) => sockets.push(Arc::new(socket)),
                    Err(error) => last_error = Some(error),
                }
            }
        }
        if sockets.is_empty() {
            return Err(last_error.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "no interface to listen on")
            }));
        }
        let service = mdns::parse_name(SMB_SERVICE)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        let (mut datagrams, _readers) = read_all(sockets.into_iter());
        let mut state = BrowseState::new(service);
        loop {
            let datagram = tokio::select! {
                () = events.closed() => return Ok(()),
                datagram = datagrams.recv() => datagram,
            };
            let Some((_, bytes)) = datagram else {
                return Ok(());
            };
            let Ok(response) = mdns::decode_response(&bytes) else {
                continue;
            };
            let update = state.absorb(&response);
            let goodbyes = update
                .goodbyes
                .into_iter()
                .map(|instance| MdnsEvent::Goodbye { instance });
            for event in goodbyes.chain(update.servers.into_iter().map(MdnsEvent::Announced)) {
                if events.send(event).await.is_err() {
                    return Ok(());
                }
            }
        }
    }

    /// `name.local` → its IPv4 address and the record's TTL: a one-shot A query (QU) on every
    /// interface, sent again once halfway through `timeout`. None when nobody answers in time
    /// or `name` is no `.local` name.
    pub async fn resolve(&self, name: &str, timeout: Duration) -> Option<(Ipv4Addr, u32)> {
        if !mdns::is_mdns_name(name) {
            return None;
        }
        let host = mdns::parse_name(name).ok()?;
        let query = mdns::encode_query(0, &[(&host, TYPE_A)], true).ok()?;
        let start = Instant::now();
        let deadline = start + timeout;
        let sockets = self.query_sockets(false);
        if sockets.is_empty() {
            return None;
        }
        let (mut datagrams, _readers) = read_all(sockets.iter().map(|s| s.socket.clone()));
        send_all(&sockets, &query).await;
        let mut again = Some(start + timeout / 2);
        loop {
            tokio::select! {
                () = sleep_until(deadline) => return None,
                () = sleep_until(again.unwrap_or(deadline)), if again.is_some() => {
                    send_all(&sockets, &query).await;
                    again = None;
                }
                datagram = datagrams.recv() => {
                    let (_, bytes) = datagram?;
                    let Ok(response) = mdns::decode_response(&bytes) else { continue };
                    if let Some(found) = address_of(&response, &host) {
                        return Some(found);
                    }
                }
            }
        }
    }

    /// One-shot query sockets of every interface: IPv4, and IPv6 when `ipv6`.
    fn query_sockets(&self, ipv6: bool) -> Vec<QuerySocket> {
        let mut sockets = Vec::new();
        for interface in &self.interfaces {
            match ipv4_query_socket(interface) {
                Ok(socket) => sockets.push(QuerySocket {
                    socket: Arc::new(socket),
                    group: SocketAddrV4::new(MDNS_GROUP_V4, MDNS_PORT).into(),
                }),
                Err(error) => tracing::debug!(interface.name, %error, "no IPv4 mDNS socket"),
            }
            if !ipv6 || interface.ipv6_link_local.is_empty() {
                continue;
            }
            match ipv6_query_socket(interface) {
                Ok(socket) => sockets.push(QuerySocket {
                    socket: Arc::new(socket),
                    group: SocketAddrV6::new(MDNS_GROUP_V6, MDNS_PORT, 0, interface.index).into(),
                }),
                Err(error) => tracing::debug!(interface.name, %error, "no IPv6 mDNS socket"),
            }
        }
        sockets
    }
}

/// The first A record of `host` with a TTL above 0 in `response`.
fn address_of(response: &MdnsResponse, host: &DomainName) -> Option<(Ipv4Addr, u32)> {
    response
        .answers
        .iter()
        .chain(&response.additional)
        .filter(|record| record.ttl > 0 && same_name(&record.name, host))
        .find_map(|record| match record.value {
            RecordValue::A(address) => Some((address, record.ttl)),
            _ => None,
        })
}

/// Sends `message` to each socket's group; a failure on one interface does not stop the rest.
async fn send_all(sockets: &[QuerySocket], message: &[u8]) {
    for socket in sockets {
        if let Err(error) = socket.socket.send_to(message, socket.group).await {
            tracing::debug!(%error, group = %socket.group, "mDNS query not sent");
        }
    }
}

/// The SRV/TXT and address queries an update asks for, on the socket the message came to.
async fn follow_up(socket: &QuerySocket, update: &BrowseUpdate) {
    let resolves = update
        .resolve
        .iter()
        .filter_map(|instance| mdns::resolve_query(instance, true).ok());
    let addresses = update
        .addresses
        .iter()
        .filter_map(|host| mdns::address_query(host, true).ok());
    for query in resolves.chain(addresses) {
        if let Err(error) = socket.socket.send_to(&query, socket.group).await {
            tracing::debug!(%error, "mDNS follow-up not sent");
        }
    }
}

/// Reads every socket into one bounded queue of (socket index, datagram); the readers stop
/// when the returned set is dropped.
pub(super) fn read_all(
    sockets: impl Iterator<Item = Arc<UdpSocket>>,
) -> (mpsc::Receiver<(usize, Vec<u8>)>, JoinSet<()>) {
    let (sender, receiver) = mpsc::channel(MAX_QUEUED_DATAGRAMS);
    let mut readers = JoinSet::new();
    for (index, socket) in sockets.enumerate() {
        let sender = sender.clone();
        readers.spawn(async move {
            let mut buffer = vec![0; MAX_MESSAGE_LENGTH + 1];
            while let Ok((length, _from)) = socket.recv_from(&mut buffer).await {
                let datagram = buffer.get(..length).unwrap_or_default().to_vec();
                // A full queue drops the datagram: a flood is not buffered.
                if let Err(mpsc::error::TrySendError::Closed(_)) =
                    sender.try_send((index, datagram))
                {
                    return;
                }
            }
        });
    }
    (receiver, readers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::mdns::MdnsRecord;
    use std::net::Ipv6Addr;

    fn name(text: &str) -> DomainName {
        mdns::parse_name(text).unwrap()
    }

    fn record(owner: &str, ttl: u32, value: RecordValue) -> MdnsRecord {
        MdnsRecord {
            name: name(owner),
            cache_flush: false,
            ttl,
            value,
        }
    }

    fn ptr(instance: &str, ttl: u32) -> MdnsRecord {
        record(
            SMB_SERVICE,
            ttl,
            RecordValue::Ptr(name(&format!("{instance}.{SMB_SERVICE}"))),
        )
    }

    fn srv(instance: &str, host: &str) -> MdnsRecord {
        record(
            &format!("{instance}.{SMB_SERVICE}"),
            120,
            RecordValue::Srv {
                priority: 0,
                weight: 0,
                port: 445,
                target: name(host),
            },
        )
    }

    fn a(host: &str, last: u8) -> MdnsRecord {
        record(host, 120, RecordValue::A(Ipv4Addr::new(198, 51, 100, last)))
    }

    fn response(answers: Vec<MdnsRecord>, additional: Vec<MdnsRecord>) -> MdnsResponse {
        MdnsResponse {
            id: 0,
            answers,
            additional,
        }
    }

    fn state() -> BrowseState {
        BrowseState::new(name(SMB_SERVICE))
    }

    #[test]
    fn a_complete_answer_gives_a_server_at_once_and_only_once() {
        let mut state = state();
        let aaaa = record(
            "nas.local",
            120,
            RecordValue::Aaaa(Ipv6Addr::new(0xFE80, 0, 0, 0, 0, 0, 0, 7)),
        );
        let message = response(
            vec![ptr("NAS", 4500)],
            vec![srv("NAS", "nas.local"), aaaa, a("NAS.local", 7)],
        );
        let update = state.absorb(&message);
        assert_eq!(
            update.servers,
            vec![MdnsServer {
                instance: "NAS".into(),
                host: "nas.local".into(),
                port: 445,
                addresses: vec![
                    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)),
                    IpAddr::V6(Ipv6Addr::new(0xFE80, 0, 0, 0, 0, 0, 0, 7)),
                ],
                ttl: 4500,
            }]
        );
        assert!(update.resolve.is_empty() && update.addresses.is_empty());
        // The same message again changes nothing.
        assert_eq!(state.absorb(&message), BrowseUpdate::default());
    }

    #[test]
    fn missing_records_are_asked_for_once_then_assembled() {
        let mut state = state();
        let update = state.absorb(&response(vec![ptr("NAS", 120)], vec![]));
        assert!(update.servers.is_empty());
        assert_eq!(update.resolve, vec![name("NAS._smb._tcp.local")]);
        // Asked once until retry.
        assert_eq!(
            state.absorb(&response(vec![ptr("NAS", 120)], vec![])),
            BrowseUpdate::default()
        );
        // The SRV's host is asked for at once, without waiting for a retry.
        let update = state.absorb(&response(vec![srv("NAS", "nas.local")], vec![]));
        assert_eq!(update.addresses, vec![name("nas.local")]);
        assert!(update.resolve.is_empty());
        state.retry();
        // An address of a host nobody named is not kept.
        state.absorb(&response(vec![a("other.local", 9)], vec![]));
        assert!(!state.hosts.contains_key("other.local"));
        let update = state.absorb(&response(vec![a("nas.local", 7)], vec![]));
        assert_eq!(update.servers.len(), 1);
        assert_eq!(update.servers[0].host, "nas.local");
        // A second address is reported as a change.
        let update = state.absorb(&response(vec![a("nas.local", 8)], vec![]));
        assert_eq!(update.servers[0].addresses.len(), 2);
    }

    #[test]
    fn goodbyes_withdraw_instances_and_their_hosts() {
        let mut state = state();
        state.absorb(&response(
            vec![ptr("NAS", 120)],
            vec![srv("NAS", "nas.local"), a("nas.local", 7)],
        ));
        let update = state.absorb(&response(vec![ptr("NAS", 0)], vec![]));
        assert_eq!(update.goodbyes, vec!["NAS".to_owned()]);
        assert!(state.is_empty() && state.hosts.is_empty());
        // Announced again, it is reported again.
        let update = state.absorb(&response(
            vec![ptr("NAS", 120)],
            vec![srv("NAS", "nas.local"), a("nas.local", 7)],
        ));
        assert_eq!(update.servers.len(), 1);
    }

    #[test]
    fn instances_and_addresses_are_bounded() {
        let mut state = state();
        for round in 0..(MAX_SERVERS / 32 + 2) {
            let answers = (0..32)
                .map(|i| ptr(&format!("i{round}-{i}"), 120))
                .collect();
            state.absorb(&response(answers, vec![]));
        }
        assert_eq!(state.len(), MAX_SERVERS);
        let mut state = self::state();
        let addresses = (0..40).map(|last| a("nas.local", last)).collect();
        let update = state.absorb(&response(
            vec![ptr("NAS", 120), srv("NAS", "nas.local")],
            addresses,
        ));
        assert_eq!(update.servers[0].addresses.len(), MAX_ADDRESSES);
    }

    #[tokio::test]
    async fn no_interface_means_nothing_sent_or_found() {
        let client = MdnsClient::new(Vec::new());
        let start = Instant::now();
        assert!(client.browse_all(Duration::from_secs(5)).await.is_empty());
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(
            client.resolve("nas.local", Duration::from_secs(5)).await,
            None
        );
        let (sender, _receiver) = mpsc::channel(1);
        assert!(client.listen(sender).await.is_err());
    }
}
