//! The local name table: the names this node registers, defends, refreshes and releases
//! (RFC 1001 §15.2 and §15.5, RFC 1002 §5.1). Sans-IO: it takes events and the current
//! `Instant`, and queues the requests to send and the outcomes to report; the responder engine
//! does the I/O and the packet encoding.
//!
//! The table is generic over the name type so that it depends on nothing but equality; the
//! engine uses the wire module's NetBIOS names.
//!
//! Registration by broadcast (B node): the request is broadcast, and retransmitted on RFC 1002's
//! broadcast timers; a negative response from an owner refuses the name, silence grants it.
//! Registration with a name server (P node): the server's answer decides; a WACK extends the wait
//! by the TTL it carries; a granted name is refreshed at half its TTL.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use crate::config::Retransmit;
use crate::name_service::schedule::{Retransmission, Step};

/// RFC 1002 §4.2.6: RCODE of a negative registration response from an owner (active error).
pub const RCODE_ACTIVE_ERROR: u8 = 0x6;
/// RFC 1002 §4.2.6: RCODE of a name conflict demand (conflict error).
pub const RCODE_CONFLICT_ERROR: u8 = 0x7;

/// Who decides whether a name may be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrar {
    /// B node: broadcast the registration; owners object, silence grants.
    Broadcast(Retransmit),
    /// P node: ask this name server (WINS) by unicast; its answer decides.
    NameServer {
        /// The server's address and port.
        server: SocketAddrV4,
        /// Unicast retransmission.
        retransmit: Retransmit,
    },
}

impl Registrar {
    /// How a node with `settings` registers: with its first name server unless it is a B
    /// node or has none, by broadcast otherwise; and the node type its names then carry.
    pub fn for_settings(
        settings: &crate::config::NameServiceConfig,
    ) -> (Registrar, crate::config::NodeType) {
        use crate::config::NodeType;
        match settings.name_servers.first() {
            Some(server) if settings.node_type != NodeType::Broadcast => (
                Registrar::NameServer {
                    server: *server,
                    retransmit: settings.unicast,
                },
                settings.node_type,
            ),
            _ => (
                Registrar::Broadcast(settings.broadcast),
                NodeType::Broadcast,
            ),
        }
    }
    fn destination(self) -> Destination {
        match self {
            Registrar::Broadcast(_) => Destination::Broadcast,
            Registrar::NameServer { server, .. } => Destination::Unicast(server),
        }
    }

    fn retransmit(self) -> Retransmit {
        match self {
            Registrar::Broadcast(retransmit) | Registrar::NameServer { retransmit, .. } => {
                retransmit
            }
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Every broadcast address the engine serves.
    Broadcast,
    /// One address.
    Unicast(SocketAddrV4),
}

/// The state of a name in the table (RFC 1002 §4.2.18's name flags follow from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameState {
    /// Registration is under way; the name is not answered for yet.
    Registering,
    /// The name is ours: we answer queries for it and defend it.
    Active,
    /// Another node proved it owns the name (conflict demand, or a refused refresh); we no
    /// longer answer for it (the CNF flag).
    Conflict,
    /// The name is being released (the DRG flag).
    Releasing,
}

/// What a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// NAME REGISTRATION REQUEST.
    Registration,
    /// NAME REFRESH REQUEST.
    Refresh,
    /// NAME RELEASE REQUEST.
    Release,
}

/// A request the engine must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing<N> {
    /// Which request.
    pub kind: RequestKind,
    /// The name it is about.
    pub name: N,
    /// Whether the name is a group name (the G bit of NB_FLAGS).
    pub group: bool,
    /// The address the name maps to (NB_ADDRESS).
    pub address: Ipv4Addr,
    /// The TTL asked for.
    pub ttl: Duration,
    /// Where to send it.
    pub to: Destination,
    /// 1 for the first transmission; retransmissions count up and reuse the first's
    /// transaction id.
    pub attempt: u32,
}

/// An outcome the engine reports to whoever added or released the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameEvent<N> {
    /// The name is ours.
    Registered(N),
    /// The registration was refused (by an owner or the name server), with the RCODE; the name
    /// left the table.
    Refused {
        /// The name.
        name: N,
        /// The RCODE of the negative response.
        rcode: u8,
    },
    /// The name server never answered; the name left the table.
    Unanswered(N),
    /// The name went into conflict.
    Conflict(N),
    /// The name was released and left the table.
    Released(N),
}

/// Why a name could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddNameError {
    /// The table holds the name already.
    #[error("the name is in the local name table already")]
    Duplicate,
    /// The table is full.
    #[error("the local name table is full")]
    TableFull,
}

/// A request under way.
#[derive(Debug, Clone)]
struct Pending {
    kind: RequestKind,
    schedule: Retransmission,
    /// While a WACK holds the request, when the wait for the final answer ends.
    wack_until: Option<Instant>,
}

impl Pending {
    fn new(kind: RequestKind, retransmit: Retransmit, now: Instant) -> Self {
        Pending {
            kind,
            schedule: Retransmission::new(retransmit, now),
            wack_until: None,
        }
    }

    fn poll(&mut self, now: Instant) -> Step {
        match self.wack_until {
            Some(until) if now < until => Step::WaitUntil(until),
            // The WACK's wait ran out without a final answer.
            Some(_) => Step::GiveUp,
            None => self.schedule.poll(now),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry<N> {
    name: N,
    group: bool,
    state: NameState,
    request: Option<Pending>,
    /// When to refresh (name-server registrations).
    refresh_at: Option<Instant>,
}

/// The names this node owns or is claiming.
#[derive(Debug, Clone)]
pub struct NameTable<N> {
    address: Ipv4Addr,
    registrar: Registrar,
    ttl: Duration,
    capacity: usize,
    entries: Vec<Entry<N>>,
    outgoing: Vec<Outgoing<N>>,
    events: Vec<NameEvent<N>>,
}

impl<N: Clone + Eq + std::fmt::Debug> NameTable<N> {
    /// A table for names mapping to `address`, registered through `registrar` with `ttl`,
    /// holding at most `capacity` names.
    pub fn new(address: Ipv4Addr, registrar: Registrar, ttl: Duration, capacity: usize) -> Self {
        NameTable {
            address,
            registrar,
            ttl,
            capacity,
            entries: Vec::new(),
            outgoing: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The address our names map to.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// Starts registering `name` (a group name if `group`).
    pub fn add(&mut self, name: N, group: bool, now: Instant) -> Result<(), AddNameError> {
        if self.entries.iter().any(|entry| entry.name == name) {
            return Err(AddNameError::Duplicate);
        }
        if self.entries.len() >= self.capacity {
            return Err(AddNameError::TableFull);
        }
        self.entries.push(Entry {
            name,
            group,
            state: NameState::Registering,
            request: Some(Pending::new(
                RequestKind::Registration,
                self.registrar.retransmit(),
                now,
            )),
            refresh_at: None,
        });
        Ok(())
    }

    /// Starts releasing `name`; false if the table does not hold it. A name that is not
    /// active (still registering, or in conflict) leaves at once, with nothing sent.
    pub fn release(&mut self, name: &N, now: Instant) -> bool {
        let retransmit = self.registrar.retransmit();
        let Some(index) = self.entries.iter().position(|entry| entry.name == *name) else {
            return false;
        };
        let entry = &mut self.entries[index];
        match entry.state {
            NameState::Active => {
                entry.state = NameState::Releasing;
                entry.request = Some(Pending::new(RequestKind::Release, retransmit, now));
                entry.refresh_at = None;
            }
            NameState::Releasing => {}
            NameState::Registering | NameState::Conflict => {
                let entry = self.entries.remove(index);
                self.events.push(NameEvent::Released(entry.name));
            }
        }
        true
    }

    /// Starts releasing every name (on shutdown).
    pub fn release_all(&mut self, now: Instant) {
        let names: Vec<N> = self
            .entries
            .iter()
            .map(|entry| entry.name.clone())
            .collect();
        for name in names {
            self.release(&name, now);
        }
    }

    /// Advances timers to `now`, queueing requests and events; returns when to call again.
    pub fn poll(&mut self, now: Instant) -> Option<Instant> {
        let retransmit = self.registrar.retransmit();
        let mut wake: Option<Instant> = None;
        let mut earliest = |at: Instant| wake = Some(wake.map_or(at, |w| w.min(at)));
        let mut index = 0;
        while index < self.entries.len() {
            let entry = &mut self.entries[index];
            if entry.request.is_none() {
                match entry.refresh_at {
                    Some(at) if entry.state == NameState::Active && now >= at => {
                        entry.refresh_at = None;
                        entry.request = Some(Pending::new(RequestKind::Refresh, retransmit, now));
                    }
                    Some(at) => earliest(at),
                    None => {}
                }
            }
            let Some(request) = &mut entry.request else {
                index += 1;
                continue;
            };
            let kind = request.kind;
            match request.poll(now) {
                Step::Send => {
                    earliest(request.schedule.next_at());
                    self.outgoing.push(Outgoing {
                        kind,
                        name: entry.name.clone(),
                        group: entry.group,
                        address: self.address,
                        ttl: self.ttl,
                        to: self.registrar.destination(),
                        attempt: request.schedule.sent(),
                    });
                    index += 1;
                }
                Step::WaitUntil(at) => {
                    earliest(at);
                    index += 1;
                }
                Step::GiveUp => {
                    entry.request = None;
                    match (kind, self.registrar) {
                        (RequestKind::Registration, Registrar::Broadcast(_)) => {
                            // Nobody objected within the broadcast timers: the name is ours.
                            entry.state = NameState::Active;
                            self.events.push(NameEvent::Registered(entry.name.clone()));
                            index += 1;
                        }
                        (RequestKind::Registration, Registrar::NameServer { .. }) => {
                            let entry = self.entries.remove(index);
                            self.events.push(NameEvent::Unanswered(entry.name));
                        }
                        (RequestKind::Refresh, _) => {
                            // The server is silent; keep the name and try again later.
                            let retry_at = now + refresh_interval(Duration::ZERO, self.ttl);
                            entry.refresh_at = Some(retry_at);
                            earliest(retry_at);
                            index += 1;
                        }
                        (RequestKind::Release, _) => {
                            let entry = self.entries.remove(index);
                            self.events.push(NameEvent::Released(entry.name));
                        }
                    }
                }
            }
        }
        wake
    }

    /// A registration, refresh or release response for `name` arrived (matched by the engine
    /// through its transaction id). `rcode` 0 is positive; `ttl` is the granted TTL.
    pub fn on_response(&mut self, name: &N, rcode: u8, ttl: Duration, now: Instant) {
        let Some(index) = self.entries.iter().position(|entry| entry.name == *name) else {
            return;
        };
        let entry = &mut self.entries[index];
        let Some(kind) = entry.request.as_ref().map(|request| request.kind) else {
            return;
        };
        match (kind, rcode) {
            (RequestKind::Registration, 0) => {
                // A positive answer to a broadcast registration means nothing: silence decides
                // (RFC 1002 §5.1.1.1), so the broadcast request runs its course.
                if matches!(self.registrar, Registrar::NameServer { .. }) {
                    entry.request = None;
                    entry.state = NameState::Active;
                    entry.refresh_at = Some(now + refresh_interval(ttl, self.ttl));
                    self.events.push(NameEvent::Registered(entry.name.clone()));
                }
            }
            (RequestKind::Registration, rcode) => {
                let entry = self.entries.remove(index);
                self.events.push(NameEvent::Refused {
                    name: entry.name,
                    rcode,
                });
            }
            (RequestKind::Refresh, 0) => {
                entry.request = None;
                entry.refresh_at = Some(now + refresh_interval(ttl, self.ttl));
            }
            (RequestKind::Refresh, _) => {
                entry.request = None;
                entry.state = NameState::Conflict;
                self.events.push(NameEvent::Conflict(entry.name.clone()));
            }
            (RequestKind::Release, _) => {
                let entry = self.entries.remove(index);
                self.events.push(NameEvent::Released(entry.name));
            }
        }
    }

    /// A WACK for `name`'s request: wait up to `ttl` for the final answer, without resending.
    pub fn on_wait_for_acknowledgement(&mut self, name: &N, ttl: Duration, now: Instant) {
        if let Some(request) = self
            .entries
            .iter_mut()
            .find(|entry| entry.name == *name)
            .and_then(|entry| entry.request.as_mut())
        {
            request.wack_until = Some(now + ttl);
        }
    }

    /// Another node asks to register `name` for `claimant`. Returns the RCODE of the negative
    /// response to send back, if we defend the name: we do when it is active here and it is
    /// unique here or claimed as unique (two group registrations coexist). Our own broadcasts,
    /// looped back to us, are recognised by the address and ignored.
    pub fn on_registration_request(&self, name: &N, group: bool, claimant: Ipv4Addr) -> Option<u8> {
        if claimant == self.address {
            return None;
        }
        let entry = self.entries.iter().find(|entry| entry.name == *name)?;
        let defend = entry.state == NameState::Active && !(entry.group && group);
        defend.then_some(RCODE_ACTIVE_ERROR)
    }

    /// A name conflict demand for `name`: it goes into conflict and is no longer answered for.
    pub fn on_conflict_demand(&mut self, name: &N) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.name == *name && entry.state == NameState::Active)
        {
            entry.state = NameState::Conflict;
            entry.request = None;
            entry.refresh_at = None;
            self.events.push(NameEvent::Conflict(entry.name.clone()));
        }
    }

    /// Whether we answer a query for `name`, and if so whether it is a group name.
    pub fn answers_for(&self, name: &N) -> Option<bool> {
        self.entries
            .iter()
            .find(|entry| entry.name == *name && entry.state == NameState::Active)
            .map(|entry| entry.group)
    }

    /// Every name with its group flag and state, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = (&N, bool, NameState)> {
        self.entries
            .iter()
            .map(|entry| (&entry.name, entry.group, entry.state))
    }

    /// Whether the table holds no names.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The requests to send, oldest first.
    pub fn take_outgoing(&mut self) -> Vec<Outgoing<N>> {
        std::mem::take(&mut self.outgoing)
    }

    /// The outcomes to report, oldest first.
    pub fn take_events(&mut self) -> Vec<NameEvent<N>> {
        std::mem::take(&mut self.events)
    }
}

/// Refresh at half the granted TTL (or of the asked TTL when the server granted none).
fn refresh_interval(granted: Duration, asked: Duration) -> Duration {
    let ttl = if granted.is_zero() { asked } else { granted };
    (ttl / 2).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const TTL: Duration = Duration::from_secs(300);
    const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 2), 137);

    fn node(last_octet: u8) -> NameTable<&'static str> {
        NameTable::new(
            Ipv4Addr::new(198, 51, 100, last_octet),
            Registrar::Broadcast(Retransmit::BROADCAST),
            TTL,
            16,
        )
    }

    fn with_server() -> NameTable<&'static str> {
        NameTable::new(
            Ipv4Addr::new(198, 51, 100, 9),
            Registrar::NameServer {
                server: SERVER,
                retransmit: Retransmit::UNICAST,
            },
            TTL,
            16,
        )
    }

    /// Runs `nodes` on one simulated broadcast link until nothing is pending or `until`:
    /// every broadcast registration reaches every other node, whose defence comes back as a
    /// negative response. Returns each node's requests with their send times.
    fn run_link(
        nodes: &mut [&mut NameTable<&'static str>],
        start: Instant,
        until: Duration,
    ) -> Vec<Vec<(Duration, Outgoing<&'static str>)>> {
        let mut sent = vec![Vec::new(); nodes.len()];
        let mut now = start;
        while now <= start + until {
            let mut wake: Option<Instant> = None;
            for index in 0..nodes.len() {
                if let Some(at) = nodes[index].poll(now) {
                    wake = Some(wake.map_or(at, |w| w.min(at)));
                }
                for request in nodes[index].take_outgoing() {
                    sent[index].push((now - start, request.clone()));
                    if request.kind != RequestKind::Registration {
                        continue;
                    }
                    for other in 0..nodes.len() {
                        if other == index {
                            continue;
                        }
                        if let Some(rcode) = nodes[other].on_registration_request(
                            &request.name,
                            request.group,
                            request.address,
                        ) {
                            nodes[index].on_response(&request.name, rcode, Duration::ZERO, now);
                        }
                    }
                }
            }
            match wake {
                Some(at) if at > now => now = at,
                Some(_) => {}
                None => break,
            }
        }
        sent
    }

    #[test]
    fn an_unopposed_broadcast_registration_succeeds_after_the_rfc_timers() {
        let mut alone = node(1);
        let start = Instant::now();
        alone.add("FRED", false, start).unwrap();
        let sent = run_link(&mut [&mut alone], start, Duration::from_secs(5));
        let times: Vec<Duration> = sent[0].iter().map(|(at, _)| *at).collect();
        assert_eq!(times, [Duration::ZERO, 250 * MS, 500 * MS, 750 * MS]);
        let attempts: Vec<u32> = sent[0].iter().map(|(_, r)| r.attempt).collect();
        assert_eq!(attempts, [1, 2, 3, 4]);
        assert!(
            sent[0]
                .iter()
                .all(|(_, r)| r.to == Destination::Broadcast && !r.group)
        );
        assert_eq!(alone.take_events(), [NameEvent::Registered("FRED")]);
        assert_eq!(alone.answers_for(&"FRED"), Some(false));
    }

    #[test]
    fn an_owner_defends_its_unique_name_and_the_claimant_is_refused() {
        let (mut owner, mut claimant) = (node(1), node(2));
        let start = Instant::now();
        owner.add("FRED", false, start).unwrap();
        run_link(&mut [&mut owner], start, Duration::from_secs(5));
        owner.take_events();
        let later = start + Duration::from_secs(2);
        claimant.add("FRED", false, later).unwrap();
        let sent = run_link(
            &mut [&mut owner, &mut claimant],
            later,
            Duration::from_secs(5),
        );
        assert_eq!(sent[1].len(), 1, "the claimant stops at the first refusal");
        assert_eq!(
            claimant.take_events(),
            [NameEvent::Refused {
                name: "FRED",
                rcode: RCODE_ACTIVE_ERROR
            }]
        );
        assert!(claimant.is_empty());
        assert_eq!(owner.answers_for(&"FRED"), Some(false));
    }

    #[test]
    fn group_names_coexist_and_unique_claims_on_them_are_refused() {
        let (mut member, mut newcomer) = (node(1), node(2));
        let start = Instant::now();
        member.add("WORKGROUP", true, start).unwrap();
        member.add("SOLO", false, start).unwrap();
        run_link(&mut [&mut member], start, Duration::from_secs(5));
        newcomer.add("WORKGROUP", true, start).unwrap();
        run_link(
            &mut [&mut member, &mut newcomer],
            start,
            Duration::from_secs(5),
        );
        assert_eq!(newcomer.take_events(), [NameEvent::Registered("WORKGROUP")]);

        let mut unique_claim = node(3);
        unique_claim.add("WORKGROUP", false, start).unwrap();
        unique_claim.add("SOLO", true, start).unwrap();
        run_link(
            &mut [&mut member, &mut unique_claim],
            start,
            Duration::from_secs(5),
        );
        let events = unique_claim.take_events();
        assert!(events.contains(&NameEvent::Refused {
            name: "WORKGROUP",
            rcode: RCODE_ACTIVE_ERROR
        }));
        assert!(events.contains(&NameEvent::Refused {
            name: "SOLO",
            rcode: RCODE_ACTIVE_ERROR
        }));
    }

    #[test]
    fn our_own_looped_back_broadcast_is_not_defended_against() {
        let mut table = node(1);
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        run_link(&mut [&mut table], start, Duration::from_secs(5));
        assert_eq!(
            table.on_registration_request(&"FRED", false, table.address()),
            None
        );
        assert_eq!(
            table.on_registration_request(&"FRED", false, Ipv4Addr::new(198, 51, 100, 77)),
            Some(RCODE_ACTIVE_ERROR)
        );
        assert_eq!(
            table.on_registration_request(&"OTHER", false, Ipv4Addr::new(198, 51, 100, 77)),
            None
        );
    }

    #[test]
    fn names_still_registering_are_neither_answered_nor_defended() {
        let mut table = node(1);
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        table.poll(start);
        assert_eq!(table.answers_for(&"FRED"), None);
        assert_eq!(
            table.on_registration_request(&"FRED", false, Ipv4Addr::new(198, 51, 100, 7)),
            None
        );
    }

    #[test]
    fn release_broadcasts_then_forgets_the_name() {
        let mut table = node(1);
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        run_link(&mut [&mut table], start, Duration::from_secs(5));
        table.take_events();
        let later = start + Duration::from_secs(10);
        assert!(table.release(&"FRED", later));
        assert_eq!(table.answers_for(&"FRED"), None);
        assert_eq!(
            table.names().map(|(_, _, state)| state).collect::<Vec<_>>(),
            [NameState::Releasing]
        );
        let sent = run_link(&mut [&mut table], later, Duration::from_secs(5));
        assert_eq!(sent[0].len(), 4);
        assert!(sent[0].iter().all(|(_, r)| r.kind == RequestKind::Release));
        assert_eq!(table.take_events(), [NameEvent::Released("FRED")]);
        assert!(table.is_empty());
        assert!(!table.release(&"FRED", later));
    }

    #[test]
    fn a_name_still_registering_is_released_at_once() {
        let mut table = node(1);
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        table.poll(start);
        table.take_outgoing();
        table.release_all(start);
        assert!(table.is_empty());
        assert!(table.take_outgoing().is_empty());
        assert_eq!(table.take_events(), [NameEvent::Released("FRED")]);
    }

    #[test]
    fn a_conflict_demand_stops_answers_for_the_name() {
        let mut table = node(1);
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        run_link(&mut [&mut table], start, Duration::from_secs(5));
        table.take_events();
        table.on_conflict_demand(&"FRED");
        assert_eq!(table.take_events(), [NameEvent::Conflict("FRED")]);
        assert_eq!(table.answers_for(&"FRED"), None);
        assert_eq!(
            table.names().map(|(_, _, state)| state).collect::<Vec<_>>(),
            [NameState::Conflict]
        );
    }

    #[test]
    fn duplicates_and_a_full_table_are_refused() {
        let mut table = NameTable::new(
            Ipv4Addr::LOCALHOST,
            Registrar::Broadcast(Retransmit::BROADCAST),
            TTL,
            2,
        );
        let now = Instant::now();
        table.add("A", false, now).unwrap();
        assert_eq!(table.add("A", true, now), Err(AddNameError::Duplicate));
        table.add("B", false, now).unwrap();
        assert_eq!(table.add("C", false, now), Err(AddNameError::TableFull));
    }

    #[test]
    fn a_name_server_grants_and_the_name_is_refreshed_at_half_its_ttl() {
        let mut table = with_server();
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        table.poll(start);
        let first = table.take_outgoing();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].to, Destination::Unicast(SERVER));
        table.on_response(&"FRED", 0, Duration::from_secs(600), start + MS);
        assert_eq!(table.take_events(), [NameEvent::Registered("FRED")]);
        let wake = table.poll(start + MS).unwrap();
        assert_eq!(wake, start + MS + Duration::from_secs(300));
        table.poll(wake);
        let refresh = table.take_outgoing();
        assert_eq!(refresh.len(), 1);
        assert_eq!(refresh[0].kind, RequestKind::Refresh);
        table.on_response(&"FRED", 0, Duration::from_secs(600), wake);
        assert_eq!(table.answers_for(&"FRED"), Some(false));
    }

    #[test]
    fn a_wack_holds_retransmission_until_the_final_answer() {
        let mut table = with_server();
        let start = Instant::now();
        table.add("FRED", false, start).unwrap();
        table.poll(start);
        table.take_outgoing();
        table.on_wait_for_acknowledgement(&"FRED", Duration::from_secs(30), start + MS);
        // Well past the unicast retransmission timer: nothing resent while the WACK holds.
        table.poll(start + Duration::from_secs(12));
        assert!(table.take_outgoing().is_empty());
        table.on_response(&"FRED", 0, TTL, start + Duration::from_secs(13));
        assert_eq!(table.take_events(), [NameEvent::Registered("FRED")]);

        let mut expired = with_server();
        expired.add("BARNEY", false, start).unwrap();
        expired.poll(start);
        expired.on_wait_for_acknowledgement(&"BARNEY", Duration::from_secs(2), start);
        expired.poll(start + Duration::from_secs(3));
        assert_eq!(expired.take_events(), [NameEvent::Unanswered("BARNEY")]);
    }

    #[test]
    fn a_name_server_refusal_or_silence_removes_the_name() {
        let start = Instant::now();
        let mut refused = with_server();
        refused.add("FRED", false, start).unwrap();
        refused.poll(start);
        refused.on_response(&"FRED", RCODE_ACTIVE_ERROR, Duration::ZERO, start);
        assert_eq!(
            refused.take_events(),
            [NameEvent::Refused {
                name: "FRED",
                rcode: RCODE_ACTIVE_ERROR
            }]
        );

        let mut silent = with_server();
        silent.add("FRED", false, start).unwrap();
        let mut now = start;
        let mut sends = 0;
        while let Some(at) = silent.poll(now) {
            sends += silent.take_outgoing().len();
            now = at;
        }
        assert_eq!(sends, 4);
        assert_eq!(now - start, Duration::from_secs(20));
        assert_eq!(silent.take_events(), [NameEvent::Unanswered("FRED")]);
    }
}
