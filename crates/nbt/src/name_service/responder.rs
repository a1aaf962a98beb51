//! The responder: registers our names, defends them, answers name queries and node status for
//! them, and releases them on shutdown — the local name table on the network.
//!
//! One task owns the socket's unsolicited channel and the [`NameTable`]; callers talk to it
//! through a command channel. Responses to our own registrations, refreshes and releases come
//! back through the transport's transactions, forwarded to the task.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{DEFAULT_TTL, NodeType, Retransmit};
use crate::name_service::name_table::{
    AddNameError, Destination, NameEvent, NameState, NameTable, Outgoing, Registrar, RequestKind,
};
use crate::name_service::transport::{Datagram, NameServiceSocket};
use crate::wire::name_service::{name_flags, rcode};
use crate::wire::{NbEntry, NetbiosName, NodeName, NodeStatus, Packet, PacketKind, ScopedName};

/// How long a forwarder waits for answers to one request before giving up on it.
const REQUEST_LIFETIME: Duration = Duration::from_secs(600);
/// How long a graceful shutdown may take to release the names.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(30);

/// Settings of a responder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponderConfig {
    /// Where to listen (137 by default; tests use other ports or namespaces).
    pub bind: SocketAddrV4,
    /// The address our names map to.
    pub address: Ipv4Addr,
    /// Who decides registrations: broadcast or a name server.
    pub registrar: Registrar,
    /// Where broadcast registrations and releases go.
    pub broadcasts: Vec<SocketAddrV4>,
    /// The scope ID (empty for none).
    pub scope: String,
    /// Our node type (the ONT bits of our names).
    pub node_type: NodeType,
    /// The TTL asked for and answered with.
    pub ttl: Duration,
    /// The unit id (MAC address) node status reports.
    pub mac: [u8; 6],
    /// Names the table holds at most.
    pub capacity: usize,
    /// A second address to receive broadcasts on, when `bind` is a unicast address: a socket
    /// bound to one address of a host does not see broadcasts, so a node that answers on its
    /// own address (several nodes sharing one port on a host, each on its own loopback
    /// address) also binds the broadcast address, shared with the other nodes
    /// (SO_REUSEADDR). Answers still leave from `bind`.
    pub broadcast_bind: Option<SocketAddrV4>,
    /// Give a name up when another host demands it: an unsolicited NAME CONFLICT DEMAND, a
    /// NAME RELEASE naming it, or a conflict demand answering our registration from anyone
    /// but our name server. Off by default, as Windows' NoNameReleaseOnDemand: anyone on the
    /// LAN can send those, and a name given up is a name a spoofer can then take.
    pub release_on_demand: bool,
}

impl ResponderConfig {
    /// A B-node responder on `bind` whose names map to `address`: RFC 1002's broadcast timers,
    /// no broadcast address (so nobody is asked and names are ours once the timers run out),
    /// no scope, the default TTL, a zero MAC and Windows' 254 names at most. Set the fields that
    /// differ.
    pub fn new(bind: SocketAddrV4, address: Ipv4Addr) -> ResponderConfig {
        ResponderConfig {
            bind,
            address,
            registrar: Registrar::Broadcast(Retransmit::BROADCAST),
            broadcasts: Vec::new(),
            scope: String::new(),
            node_type: NodeType::Broadcast,
            ttl: DEFAULT_TTL,
            mac: [0; 6],
            capacity: 254,
            broadcast_bind: None,
            release_on_demand: false,
        }
    }

    /// The same configuration with registration granted at once: nobody is asked, so there is
    /// nothing to wait for (benchmarks and tools that own their addresses).
    #[must_use]
    pub fn unopposed(mut self) -> ResponderConfig {
        self.registrar = Registrar::Broadcast(Retransmit {
            interval: Duration::ZERO,
            retries: 0,
        });
        self.broadcasts.clear();
        self
    }
}

/// Why a name could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// We hold the name already.
    #[error("the name is registered here already")]
    Duplicate,
    /// Our name table is full.
    #[error("the local name table is full")]
    TableFull,
    /// Another node or the name server refused it.
    #[error("refused: another node owns the name (RCODE {rcode:#x})")]
    Refused {
        /// The RCODE of the refusal.
        rcode: u8,
    },
    /// The name server never answered.
    #[error("the name server did not answer")]
    Unanswered,
    /// The responder has stopped.
    #[error("the responder has stopped")]
    Stopped,
}

/// A name of ours with its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalName {
    /// The name.
    pub name: NetbiosName,
    /// Whether it is a group name.
    pub group: bool,
    /// Its state.
    pub state: NameState,
}

enum Command {
    Add {
        name: NetbiosName,
        group: bool,
        reply: oneshot::Sender<Result<(), RegisterError>>,
    },
    Release {
        name: NetbiosName,
        reply: oneshot::Sender<bool>,
    },
    Names {
        reply: oneshot::Sender<Vec<LocalName>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// A running responder. Dropping it starts releasing the names in the background; call
/// [`Responder::shutdown`] to wait until they are released.
#[derive(Debug)]
pub struct Responder {
    commands: mpsc::Sender<Command>,
    task: Option<JoinHandle<()>>,
    local: SocketAddrV4,
}

impl Responder {
    /// Binds the socket and starts answering.
    pub async fn start(config: ResponderConfig) -> io::Result<Responder> {
        let (socket, unsolicited) =
            NameServiceSocket::bind_with_broadcast(config.bind, config.broadcast_bind).await?;
        let local = socket.local_addr()?;
        let (commands, command_rx) = mpsc::channel(64);
        let task = tokio::spawn(Engine::new(config, socket).run(command_rx, unsolicited));
        Ok(Responder {
            commands,
            task: Some(task),
            local,
        })
    }

    /// The address the responder listens on.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    /// Registers `name` (a group name if `group`) and waits for the outcome.
    pub async fn add_name(&self, name: NetbiosName, group: bool) -> Result<(), RegisterError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Add { name, group, reply })
            .await
            .map_err(|_| RegisterError::Stopped)?;
        answer.await.unwrap_or(Err(RegisterError::Stopped))
    }

    /// Registers several names at once (their registrations run side by side) and waits for
    /// every outcome, in the order given.
    pub async fn add_names(&self, names: &[(NetbiosName, bool)]) -> Vec<Result<(), RegisterError>> {
        let mut answers = Vec::with_capacity(names.len());
        for (name, group) in names {
            let (reply, answer) = oneshot::channel();
            let command = Command::Add {
                name: *name,
                group: *group,
                reply,
            };
            answers.push(match self.commands.send(command).await {
                Ok(()) => Some(answer),
                Err(_) => None,
            });
        }
        let mut outcomes = Vec::with_capacity(names.len());
        for answer in answers {
            let outcome = match answer {
                Some(answer) => answer.await.unwrap_or(Err(RegisterError::Stopped)),
                None => Err(RegisterError::Stopped),
            };
            outcomes.push(outcome);
        }
        outcomes
    }

    /// Releases `name` and waits until it is gone; false if we did not hold it.
    pub async fn release(&self, name: NetbiosName) -> bool {
        let (reply, answer) = oneshot::channel();
        if self
            .commands
            .send(Command::Release { name, reply })
            .await
            .is_err()
        {
            return false;
        }
        answer.await.unwrap_or(false)
    }

    /// Our names and their states.
    pub async fn names(&self) -> Vec<LocalName> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Names { reply }).await.is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Releases every name, waits (at most 30 s) until that is done, and stops.
    pub async fn shutdown(mut self) {
        let (reply, answer) = oneshot::channel();
        if self
            .commands
            .send(Command::Shutdown { reply })
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(SHUTDOWN_LIMIT, answer).await;
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        // Ask the task to release the names; it stops by itself once they are gone.
        if self.task.is_some() {
            let (reply, _) = oneshot::channel();
            let _ = self.commands.try_send(Command::Shutdown { reply });
        }
    }
}

/// Forwards the answers to one of our requests to the engine, until the request's lifetime
/// ends or the engine aborts it.
async fn forward_answers(
    mut transaction: crate::name_service::transport::Transaction,
    name: NetbiosName,
    answers: mpsc::UnboundedSender<Answer>,
) {
    let deadline = Instant::now() + REQUEST_LIFETIME;
    while let Some(datagram) = transaction.next_response(deadline).await {
        let Ok(packet) = Packet::decode(&datagram.bytes) else {
            continue;
        };
        let from = datagram.from;
        if answers.send(Answer { name, packet, from }).is_err() {
            break;
        }
    }
}

/// A response to one of our requests, forwarded to the engine.
struct Answer {
    name: NetbiosName,
    packet: Packet,
    /// Who sent it.
    from: SocketAddrV4,
}

struct Engine {
    config: ResponderConfig,
    socket: NameServiceSocket,
    table: NameTable<NetbiosName>,
    adding: HashMap<NetbiosName, oneshot::Sender<Result<(), RegisterError>>>,
    releasing: HashMap<NetbiosName, oneshot::Sender<bool>>,
    /// The open request of each name: its transaction id and the task forwarding its answers.
    requests: HashMap<NetbiosName, (RequestKind, u16, JoinHandle<()>)>,
    answers_tx: mpsc::UnboundedSender<Answer>,
    answers_rx: Option<mpsc::UnboundedReceiver<Answer>>,
    shutdown: Option<(oneshot::Sender<()>, Instant)>,
}

impl Engine {
    fn new(config: ResponderConfig, socket: NameServiceSocket) -> Engine {
        let table = NameTable::new(
            config.address,
            config.registrar,
            config.ttl,
            config.capacity,
        );
        let (answers_tx, answers_rx) = mpsc::unbounded_channel();
        Engine {
            config,
            socket,
            table,
            adding: HashMap::new(),
            releasing: HashMap::new(),
            requests: HashMap::new(),
            answers_tx,
            answers_rx: Some(answers_rx),
            shutdown: None,
        }
    }

    fn scoped(&self, name: NetbiosName) -> ScopedName {
        ScopedName {
            name,
            scope: self.config.scope.clone(),
        }
    }

    fn entry(&self, group: bool) -> NbEntry {
        NbEntry::new(
            self.config.address,
            group,
            self.config.node_type.owner_node_type(),
        )
    }

    fn ttl_seconds(&self) -> u32 {
        u32::try_from(self.config.ttl.as_secs()).unwrap_or(u32::MAX)
    }

    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut unsolicited: mpsc::Receiver<Datagram>,
    ) {
        let Some(mut answers) = self.answers_rx.take() else {
            return;
        };
        let mut commands_open = true;
        loop {
            let now = Instant::now();
            let wake = self.table.poll(now.into_std());
            self.flush().await;
            if let Some((_, deadline)) = &self.shutdown {
                if self.table.is_empty() || now >= *deadline {
                    if let Some((reply, _)) = self.shutdown.take() {
                        let _ = reply.send(());
                    }
                    break;
                }
            } else if !commands_open {
                // Every handle is gone: release the names, then stop.
                self.begin_shutdown(oneshot::channel().0, now);
                continue;
            }
            let sleep_until = wake.map_or(now + Duration::from_secs(3600), Instant::from_std);
            tokio::select! {
                command = commands.recv(), if commands_open => match command {
                    Some(command) => self.on_command(command, Instant::now()),
                    None => commands_open = false,
                },
                Some(datagram) = unsolicited.recv() => self.on_unsolicited(datagram).await,
                Some(answer) = answers.recv() => self.on_answer(&answer, Instant::now()),
                () = tokio::time::sleep_until(sleep_until) => {}
            }
        }
        for (_, _, forwarder) in self.requests.values() {
            forwarder.abort();
        }
    }

    fn begin_shutdown(&mut self, reply: oneshot::Sender<()>, now: Instant) {
        self.table.release_all(now.into_std());
        self.shutdown = Some((reply, now + SHUTDOWN_LIMIT));
    }

    fn on_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Add { name, group, reply } => {
                if self.shutdown.is_some() {
                    let _ = reply.send(Err(RegisterError::Stopped));
                    return;
                }
                match self.table.add(name, group, now.into_std()) {
                    Ok(()) => {
                        self.adding.insert(name, reply);
                    }
                    Err(AddNameError::Duplicate) => {
                        let _ = reply.send(Err(RegisterError::Duplicate));
                    }
                    Err(AddNameError::TableFull) => {
                        let _ = reply.send(Err(RegisterError::TableFull));
                    }
                }
            }
            Command::Release { name, reply } => {
                if self.table.release(&name, now.into_std()) {
                    self.releasing.insert(name, reply);
                } else {
                    let _ = reply.send(false);
                }
            }
            Command::Names { reply } => {
                let names = self
                    .table
                    .names()
                    .map(|(name, group, state)| LocalName {
                        name: *name,
                        group,
                        state,
                    })
                    .collect();
                let _ = reply.send(names);
            }
            Command::Shutdown { reply } => self.begin_shutdown(reply, now),
        }
    }

    /// Sends what the table queued and reports its outcomes.
    async fn flush(&mut self) {
        for outgoing in self.table.take_outgoing() {
            self.send_request(&outgoing).await;
        }
        for event in self.table.take_events() {
            let (name, outcome) = match event {
                NameEvent::Registered(name) => (name, Ok(())),
                NameEvent::Refused { name, rcode } => (name, Err(RegisterError::Refused { rcode })),
                NameEvent::Unanswered(name) => (name, Err(RegisterError::Unanswered)),
                NameEvent::Conflict(name) => {
                    tracing::warn!(%name, "name in conflict: another node owns it");
                    (
                        name,
                        Err(RegisterError::Refused {
                            rcode: rcode::CONFLICT_ERROR,
                        }),
                    )
                }
                NameEvent::Released(name) => {
                    if let Some(reply) = self.releasing.remove(&name) {
                        let _ = reply.send(true);
                    }
                    (name, Err(RegisterError::Stopped))
                }
            };
            if let Some((_, _, forwarder)) = self.requests.remove(&name) {
                forwarder.abort();
            }
            if let Some(reply) = self.adding.remove(&name) {
                let _ = reply.send(outcome);
            }
        }
    }

    async fn send_request(&mut self, outgoing: &Outgoing<NetbiosName>) {
        let reuse = self
            .requests
            .get(&outgoing.name)
            .filter(|(kind, _, _)| *kind == outgoing.kind && outgoing.attempt > 1)
            .map(|(_, id, _)| *id);
        let id = if let Some(id) = reuse {
            id
        } else {
            let Some(transaction) = self.socket.transaction() else {
                tracing::warn!("no transaction id free; request not sent");
                return;
            };
            let id = transaction.id();
            let forwarder = tokio::spawn(forward_answers(
                transaction,
                outgoing.name,
                self.answers_tx.clone(),
            ));
            if let Some((_, _, old)) = self
                .requests
                .insert(outgoing.name, (outgoing.kind, id, forwarder))
            {
                old.abort();
            }
            id
        };
        let name = self.scoped(outgoing.name);
        let entry = self.entry(outgoing.group);
        let broadcast = outgoing.to == Destination::Broadcast;
        let packet = match outgoing.kind {
            RequestKind::Registration => {
                Packet::registration_request(id, name, self.ttl_seconds(), entry, broadcast)
            }
            RequestKind::Refresh => Packet::refresh_request(id, name, self.ttl_seconds(), entry),
            RequestKind::Release => Packet::release_request(id, name, entry, broadcast),
        };
        let bytes = packet.encode();
        let targets = match outgoing.to {
            Destination::Broadcast => self.config.broadcasts.clone(),
            Destination::Unicast(server) => vec![server],
        };
        for target in targets {
            if let Err(error) = self.socket.send_to(&bytes, target).await {
                tracing::warn!(%target, %error, "cannot send a name-service request");
            }
        }
    }

    fn on_answer(&mut self, answer: &Answer, now: Instant) {
        let packet = &answer.packet;
        let ttl = packet.answers.first().map_or(Duration::ZERO, |record| {
            Duration::from_secs(u64::from(record.ttl))
        });
        match packet.kind() {
            PacketKind::RegistrationResponse
            | PacketKind::RefreshResponse
            | PacketKind::ReleaseResponse => {
                self.table
                    .on_response(&answer.name, packet.header.rcode, ttl, now.into_std());
            }
            PacketKind::ConflictDemand => {
                // Our name server may tell us to give a name up; anyone else only when asked
                // to listen to them.
                let from_our_server = matches!(
                    self.config.registrar,
                    Registrar::NameServer { server, .. } if server == answer.from
                );
                if from_our_server || self.config.release_on_demand {
                    self.table.on_conflict_demand(&answer.name);
                } else {
                    tracing::info!(name = %answer.name, from = %answer.from,
                        "a name conflict demand ignored (release on demand is off)");
                }
            }
            PacketKind::Wack => {
                self.table
                    .on_wait_for_acknowledgement(&answer.name, ttl, now.into_std());
            }
            _ => {}
        }
    }

    async fn on_unsolicited(&mut self, datagram: Datagram) {
        let Ok(packet) = Packet::decode(&datagram.bytes) else {
            tracing::debug!(from = %datagram.from, "undecodable name-service packet ignored");
            return;
        };
        let Some(subject) = packet.subject().cloned() else {
            return;
        };
        if subject.scope != self.config.scope {
            return;
        }
        let trn = packet.header.transaction_id;
        let reply = match packet.kind() {
            PacketKind::NameQuery => match self.table.answers_for(&subject.name) {
                Some(group) => Some(Packet::positive_query_response(
                    trn,
                    subject,
                    self.ttl_seconds(),
                    vec![self.entry(group)],
                )),
                // A directed query for a name we do not hold gets a negative answer; a
                // broadcast one is for someone else.
                None if !packet.header.has(crate::wire::name_service::FLAG_BROADCAST) => Some(
                    Packet::negative_query_response(trn, subject, rcode::NAME_ERROR),
                ),
                None => None,
            },
            PacketKind::NodeStatusQuery => {
                let ours =
                    subject.name.is_wildcard() || self.table.answers_for(&subject.name).is_some();
                ours.then(|| Packet::node_status_response(trn, subject, self.node_status()))
            }
            PacketKind::Registration | PacketKind::MultiHomedRegistration => {
                let claim = packet
                    .additionals
                    .first()
                    .and_then(|record| record.nb_entries()?.first().copied());
                claim.and_then(|claim| {
                    let rcode = self.table.on_registration_request(&subject.name, claim.is_group(), claim.address)?;
                    tracing::info!(name = %subject.name, claimant = %claim.address, "defending our name");
                    Some(Packet::registration_response(trn, subject, rcode, 0, claim))
                })
            }
            PacketKind::ConflictDemand | PacketKind::Release => {
                let ours = self.table.answers_for(&subject.name) == Some(false);
                if ours && self.config.release_on_demand {
                    tracing::info!(name = %subject.name, from = %datagram.from,
                        "giving the name up on demand");
                    self.table.on_conflict_demand(&subject.name);
                } else if ours {
                    tracing::info!(name = %subject.name, from = %datagram.from,
                        "a demand to give the name up ignored (release on demand is off)");
                }
                None
            }
            _ => None,
        };
        let Some(reply) = reply else {
            return;
        };
        if let Err(error) = self.socket.send_to(&reply.encode(), datagram.from).await {
            tracing::debug!(to = %datagram.from, %error, "cannot answer");
        }
    }

    fn node_status(&self) -> NodeStatus {
        let ont = u16::from(self.config.node_type.owner_node_type()) << 13;
        let names = self
            .table
            .names()
            .filter(|(_, _, state)| *state != NameState::Registering)
            .map(|(name, group, state)| {
                let mut flags = ont;
                if group {
                    flags |= name_flags::GROUP;
                }
                flags |= match state {
                    NameState::Active | NameState::Registering => name_flags::ACTIVE,
                    NameState::Conflict => name_flags::CONFLICT,
                    NameState::Releasing => name_flags::DEREGISTERING | name_flags::ACTIVE,
                };
                NodeName { name: *name, flags }
            })
            .collect();
        NodeStatus::new(names, self.config.mac)
    }
}
