//! The asking side of the name service: name queries (unicast and broadcast, collecting every
//! responder), resolution by node type with a cache, and node status.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{NAME_SERVICE_UDP_PORT, NameServiceConfig, Retransmit};
use crate::interfaces::ipv4_interfaces;
use crate::name_service::cache::NameCache;
use crate::name_service::resolver::{QuerySource, query_plan};
use crate::name_service::schedule::{Retransmission, Step};
use crate::name_service::transport::NameServiceSocket;
use crate::wire::name_service::{RR_TYPE_NBSTAT, rcode};
use crate::wire::{NbEntry, NetbiosName, NodeName, Packet, PacketKind, RecordData, ScopedName};

/// Names kept in the resolver's cache at most.
const CACHE_CAPACITY: usize = 1024;

/// Why a name could not be resolved or a node could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Every source was asked and none knows the name.
    #[error("{name}: not found")]
    NotFound {
        /// The name.
        name: String,
        /// The RCODE of the last negative answer, if any source answered at all.
        rcode: Option<u8>,
    },
    /// The host did not answer in time.
    #[error("{target}: no answer within {} ms", waited.as_millis())]
    Timeout {
        /// Who was asked.
        target: SocketAddrV4,
        /// How long we waited.
        waited: Duration,
    },
    /// The node type and configuration leave no source to ask (no name server, no broadcast
    /// address).
    #[error("no name server or broadcast address to ask")]
    NoSources,
    /// 65,536 requests are already open on the socket.
    #[error("too many requests in flight")]
    Busy,
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One address a name maps to, and who said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameAddress {
    /// The address.
    pub address: Ipv4Addr,
    /// Whether the name is a group name there.
    pub group: bool,
    /// The owner's node type (0 B, 1 P, 2 M, 3 H).
    pub owner_node_type: u8,
    /// The node that answered.
    pub answered_by: SocketAddrV4,
}

/// The answer to a name query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryAnswer {
    /// The name asked for.
    pub name: ScopedName,
    /// Every address found (several for a group name or several responders), without repeats.
    pub addresses: Vec<NameAddress>,
    /// The shortest TTL among the answers.
    pub ttl: Duration,
}

/// A node's status: its name table and unit id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatusAnswer {
    /// Who answered.
    pub from: SocketAddrV4,
    /// The name table.
    pub names: Vec<NodeName>,
    /// The unit id (MAC address); zeros when the node sent none.
    pub mac: [u8; 6],
}

/// How a query is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    /// Where to send it.
    pub targets: Vec<SocketAddrV4>,
    /// Set the B flag (a broadcast query).
    pub broadcast: bool,
    /// Set the RD flag (ask a name server to recurse).
    pub recursion: bool,
    /// Retransmission timers.
    pub retransmit: Retransmit,
    /// Keep collecting answers until the timers run out, instead of stopping one interval
    /// after the first positive answer.
    pub collect_all: bool,
}

/// A client of the name service on one UDP socket.
#[derive(Debug)]
pub struct NameServiceClient {
    socket: NameServiceSocket,
    config: NameServiceConfig,
    cache: Mutex<NameCache<ScopedName>>,
}

impl NameServiceClient {
    /// A client on a socket bound to `bind` (port 0 for any port).
    pub async fn bind(config: NameServiceConfig, bind: SocketAddrV4) -> io::Result<Self> {
        let (socket, _requests) = NameServiceSocket::bind(bind).await?;
        Ok(NameServiceClient {
            socket,
            config,
            cache: Mutex::new(NameCache::new(CACHE_CAPACITY)),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &NameServiceConfig {
        &self.config
    }

    /// `name` in the configured scope.
    pub fn scoped(&self, name: NetbiosName) -> ScopedName {
        ScopedName {
            name,
            scope: self.config.scope.clone(),
        }
    }

    /// Sends one name query and gathers the answers. Positive answers are merged; when every
    /// answer is negative, the result is [`QueryError::NotFound`] with the last RCODE.
    pub async fn query(
        &self,
        name: &ScopedName,
        options: &QueryOptions,
    ) -> Result<QueryAnswer, QueryError> {
        let mut transaction = self.socket.transaction().ok_or(QueryError::Busy)?;
        let request = Packet::name_query(
            transaction.id(),
            name.clone(),
            options.broadcast,
            options.recursion,
        )
        .encode();
        let mut schedule = Retransmission::new(options.retransmit, Instant::now().into_std());
        let mut addresses: Vec<NameAddress> = Vec::new();
        let mut ttl = Duration::MAX;
        let mut negative: Option<u8> = None;
        let mut stop_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if stop_at.is_some_and(|stop| now >= stop) {
                break;
            }
            let wait_until = match schedule.poll(now.into_std()) {
                Step::Send => {
                    for target in &options.targets {
                        self.socket.send_to(&request, *target).await?;
                    }
                    Instant::from_std(schedule.next_at())
                }
                Step::WaitUntil(at) => Instant::from_std(at),
                Step::GiveUp => break,
            };
            let wait_until = stop_at.map_or(wait_until, |stop| stop.min(wait_until));
            while let Some(datagram) = transaction.next_response(wait_until).await {
                let Ok(packet) = Packet::decode(&datagram.bytes) else {
                    continue;
                };
                if packet.kind() != PacketKind::NameQueryResponse {
                    continue;
                }
                if packet.header.rcode != rcode::OK {
                    negative = Some(packet.header.rcode);
                    if !options.broadcast {
                        return Err(QueryError::NotFound {
                            name: name.to_string(),
                            rcode: negative,
                        });
                    }
                    continue;
                }
                for record in &packet.answers {
                    let Some(entries) = record.nb_entries() else {
                        continue;
                    };
                    ttl = ttl.min(Duration::from_secs(u64::from(record.ttl)));
                    // 0.0.0.0 stands for "no address": Samba's WINS answers so for group names
                    // it keeps no members of, and nmblookup skips it too.
                    for entry in entries.iter().filter(|e| !e.address.is_unspecified()) {
                        let found = name_address(*entry, datagram.from);
                        if !addresses.iter().any(|known| known.address == found.address) {
                            addresses.push(found);
                        }
                    }
                }
                if addresses.is_empty() && !options.broadcast {
                    // A positive answer without a usable address: the server knows the name
                    // but no member of it.
                    return Err(QueryError::NotFound {
                        name: name.to_string(),
                        rcode: None,
                    });
                }
                if !addresses.is_empty() && !options.collect_all {
                    if options.broadcast {
                        // Other responders answer within the same interval; wait for them.
                        stop_at.get_or_insert(wait_until);
                    } else {
                        return Ok(QueryAnswer {
                            name: name.clone(),
                            addresses,
                            ttl,
                        });
                    }
                }
            }
        }
        if addresses.is_empty() {
            return Err(QueryError::NotFound {
                name: name.to_string(),
                rcode: negative,
            });
        }
        Ok(QueryAnswer {
            name: name.clone(),
            addresses,
            ttl: if ttl == Duration::MAX {
                Duration::ZERO
            } else {
                ttl
            },
        })
    }

    /// Resolves `name` as the configured node type does: the cache first, then each source of
    /// the query plan in turn. With no configured broadcast address, broadcasts go to every up
    /// interface's (loopback excluded).
    pub async fn resolve(&self, name: &ScopedName) -> Result<QueryAnswer, QueryError> {
        let now = Instant::now().into_std();
        if let Some(cached) = self.cache().get(name, now) {
            return Ok(QueryAnswer {
                name: name.clone(),
                addresses: cached
                    .addresses
                    .iter()
                    .map(|address| NameAddress {
                        address: *address,
                        group: cached.group,
                        owner_node_type: 0,
                        answered_by: SocketAddrV4::new(*address, NAME_SERVICE_UDP_PORT),
                    })
                    .collect(),
                ttl: cached.remaining(now),
            });
        }
        let interface_broadcasts = if self.config.broadcast_addresses.is_empty() {
            interface_broadcasts()?
        } else {
            Vec::new()
        };
        let plan = query_plan(&self.config, &interface_broadcasts);
        if plan.is_empty() {
            return Err(QueryError::NoSources);
        }
        let mut last_error = None;
        for source in plan {
            let options = match &source {
                QuerySource::NameServer(server) => QueryOptions {
                    targets: vec![*server],
                    broadcast: false,
                    recursion: true,
                    retransmit: source.retransmit(&self.config),
                    collect_all: false,
                },
                QuerySource::Broadcast(addresses) => QueryOptions {
                    targets: addresses.clone(),
                    broadcast: true,
                    recursion: true,
                    retransmit: source.retransmit(&self.config),
                    collect_all: false,
                },
            };
            match self.query(name, &options).await {
                Ok(answer) => {
                    let group = answer.addresses.iter().any(|a| a.group);
                    let addresses = answer.addresses.iter().map(|a| a.address).collect();
                    self.cache().insert(
                        name.clone(),
                        addresses,
                        group,
                        answer.ttl.min(self.config.cache_timeout),
                        Instant::now().into_std(),
                    );
                    return Ok(answer);
                }
                Err(error @ (QueryError::NotFound { .. } | QueryError::Timeout { .. })) => {
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or(QueryError::NoSources))
    }

    /// Puts an answer learned elsewhere (a cache kept across processes) in the cache, valid
    /// for `lifetime` from now (capped by the configured cache timeout).
    pub fn remember(
        &self,
        name: ScopedName,
        addresses: Vec<Ipv4Addr>,
        group: bool,
        lifetime: Duration,
    ) {
        self.cache().insert(
            name,
            addresses,
            group,
            lifetime.min(self.config.cache_timeout),
            Instant::now().into_std(),
        );
    }

    /// The cached answers, soonest to expire first: (name, addresses, group, time left).
    pub fn cached(&self) -> Vec<(ScopedName, Vec<Ipv4Addr>, bool, Duration)> {
        let now = Instant::now().into_std();
        self.cache()
            .entries(now)
            .into_iter()
            .map(|(name, entry)| {
                (
                    name.clone(),
                    entry.addresses.clone(),
                    entry.group,
                    entry.remaining(now),
                )
            })
            .collect()
    }

    /// Asks the node at `target` for its status (the wildcard name), retransmitting on
    /// `retransmit`'s timers.
    pub async fn node_status(
        &self,
        target: SocketAddrV4,
        retransmit: Retransmit,
    ) -> Result<NodeStatusAnswer, QueryError> {
        let mut transaction = self.socket.transaction().ok_or(QueryError::Busy)?;
        let request = Packet::node_status_query(
            transaction.id(),
            ScopedName {
                name: NetbiosName::wildcard(),
                scope: self.config.scope.clone(),
            },
        )
        .encode();
        let started = Instant::now();
        let mut schedule = Retransmission::new(retransmit, started.into_std());
        loop {
            let wait_until = match schedule.poll(Instant::now().into_std()) {
                Step::Send => {
                    self.socket.send_to(&request, target).await?;
                    Instant::from_std(schedule.next_at())
                }
                Step::WaitUntil(at) => Instant::from_std(at),
                Step::GiveUp => {
                    return Err(QueryError::Timeout {
                        target,
                        waited: started.elapsed(),
                    });
                }
            };
            while let Some(datagram) = transaction.next_response(wait_until).await {
                if let Some(answer) = node_status_answer(&datagram.bytes, datagram.from) {
                    return Ok(answer);
                }
            }
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, NameCache<ScopedName>> {
        // The cache holds plain values; one left half-updated by a panic is still usable.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn name_address(entry: NbEntry, answered_by: SocketAddrV4) -> NameAddress {
    NameAddress {
        address: entry.address,
        group: entry.is_group(),
        owner_node_type: entry.owner_node_type(),
        answered_by,
    }
}

/// The node status in a response datagram, if it is one.
pub(crate) fn node_status_answer(bytes: &[u8], from: SocketAddrV4) -> Option<NodeStatusAnswer> {
    let packet = Packet::decode(bytes).ok()?;
    if packet.kind() != PacketKind::NodeStatusResponse {
        return None;
    }
    let record = packet
        .answers
        .iter()
        .find(|r| r.record_type == RR_TYPE_NBSTAT)?;
    let RecordData::NodeStatus(status) = &record.data else {
        return None;
    };
    Some(NodeStatusAnswer {
        from,
        names: status.names.clone(),
        mac: status.unit_id().unwrap_or_default(),
    })
}

/// The broadcast addresses of the up IPv4 interfaces, loopback excluded, on the name port.
pub fn interface_broadcasts() -> io::Result<Vec<SocketAddrV4>> {
    Ok(ipv4_interfaces()?
        .into_iter()
        .filter(|interface| !interface.loopback)
        .filter_map(|interface| interface.broadcast)
        .map(|broadcast| SocketAddrV4::new(broadcast, NAME_SERVICE_UDP_PORT))
        .collect())
}
