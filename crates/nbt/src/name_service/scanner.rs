//! The range scanner: node status of every target from one UDP socket, sends paced at a rate,
//! answers matched to targets by transaction id, silent targets retried, results reported as
//! they arrive. The timing lives in the sans-IO [`ScanSchedule`]; this module does the I/O.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::config::NAME_SERVICE_UDP_PORT;
use crate::interfaces::{Ipv4Interface, ipv4_interfaces};
use crate::name_service::client::{NodeStatusAnswer, node_status_answer};
use crate::name_service::schedule::{Neighbour, RETRY_SPACING_DIVISOR, ScanSchedule, ScanStep};
use crate::neighbours::{NeighbourEntry, read_arp_table};
use crate::socket::{enable_recv_err, recv_error};
use crate::wire::{NetbiosName, Packet, ScopedName};

/// How a scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Probes per second (0: as fast as the socket takes them).
    pub rate: u32,
    /// How long to wait for each probe's answer.
    pub timeout: Duration,
    /// Probes after the first for a silent target, spaced within the timeout; a live on-link
    /// host (it answered ARP) gets [`LIVE_EXTRA_RETRIES`] more when this is not 0, and an
    /// address whose ARP is unresolved gets none.
    ///
    /// [`LIVE_EXTRA_RETRIES`]: crate::name_service::schedule::LIVE_EXTRA_RETRIES
    pub retries: u32,
    /// The port to probe (137).
    pub port: u16,
    /// Where the scanning socket binds (port 0 for any).
    pub bind: SocketAddrV4,
    /// The scope ID of the wildcard name.
    pub scope: String,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            rate: 10_000,
            timeout: Duration::from_secs(1),
            retries: 1,
            port: NAME_SERVICE_UDP_PORT,
            bind: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            scope: String::new(),
        }
    }
}

/// One result of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEvent {
    /// A target answered with its status.
    Found {
        /// The target probed.
        target: Ipv4Addr,
        /// Its answer.
        status: NodeStatusAnswer,
    },
    /// A target stayed silent through every retry.
    Silent(Ipv4Addr),
}

/// What a finished scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanSummary {
    /// Probes sent, retries included.
    pub probes: u64,
    /// Sends put off because the socket's send buffer was full (a put-off probe is tried again
    /// a retry spacing later, within the target's bound; it is never waited for, but for a
    /// first probe's brief wait while the socket is not known to be stalled).
    pub skipped: u64,
    /// Targets that answered.
    pub found: u64,
    /// Targets that stayed silent.
    pub silent: u64,
    /// Datagrams received that matched no outstanding probe (late, duplicate or stray).
    pub ignored: u64,
}

/// Transaction ids of the probes in flight, both ways.
#[derive(Debug, Default)]
struct InFlight {
    by_id: HashMap<u16, Ipv4Addr>,
    by_target: HashMap<Ipv4Addr, u16>,
    next_id: u16,
}

impl InFlight {
    /// The id of `target`'s probe, allocating one for a first probe; `None` when every id is
    /// in use (the schedule never lets that many probes fly at the rates it allows).
    fn id_for(&mut self, target: Ipv4Addr) -> Option<u16> {
        if let Some(id) = self.by_target.get(&target) {
            return Some(*id);
        }
        if self.by_id.len() > usize::from(u16::MAX) {
            return None;
        }
        while self.by_id.contains_key(&self.next_id) {
            self.next_id = self.next_id.wrapping_add(1);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.by_id.insert(id, target);
        self.by_target.insert(target, id);
        Some(id)
    }

    fn forget(&mut self, target: Ipv4Addr) {
        if let Some(id) = self.by_target.remove(&target) {
            self.by_id.remove(&id);
        }
    }
}

/// How often the neighbour table is read while on-link targets await answers.
const NEIGHBOUR_POLL: Duration = Duration::from_millis(25);

/// What the scan learns of on-link targets from the kernel's neighbour table.
#[derive(Debug)]
struct Neighbours {
    /// The subnets of this host's interfaces (loopback excepted: nothing there does ARP).
    subnets: Vec<Ipv4Interface>,
    /// When the table is next read; `None` once reading it failed (no procfs).
    next_read: Option<std::time::Instant>,
    /// Whether a probe went to an on-link target (until then the table is not read).
    probed_on_link: bool,
}

impl Neighbours {
    fn new() -> Self {
        let subnets: Vec<Ipv4Interface> = ipv4_interfaces()
            .unwrap_or_default()
            .into_iter()
            .filter(|interface| !interface.loopback && interface.prefix_len() < 32)
            .collect();
        let next_read = (!subnets.is_empty()).then(std::time::Instant::now);
        Neighbours {
            subnets,
            next_read,
            probed_on_link: false,
        }
    }

    fn on_link(&self, target: Ipv4Addr) -> bool {
        self.subnets.iter().any(|subnet| subnet.on_link(target))
    }

    /// When the scan should wake to read the table, if it reads it at all.
    fn wake_at<I: Iterator<Item = Ipv4Addr>>(
        &self,
        schedule: &ScanSchedule<Ipv4Addr, I>,
    ) -> Option<std::time::Instant> {
        self.next_read
            .filter(|_| self.probed_on_link && schedule.in_flight() > 0)
    }

    /// Reads the table if it is due and tells the schedule what it says of on-link targets.
    fn refresh<I: Iterator<Item = Ipv4Addr>>(
        &mut self,
        now: std::time::Instant,
        schedule: &mut ScanSchedule<Ipv4Addr, I>,
    ) {
        if self.wake_at(schedule).is_none_or(|at| at > now) {
            return;
        }
        let table = match read_arp_table() {
            Ok(table) => table,
            Err(error) => {
                tracing::debug!(%error, "no neighbour table: on-link targets treated as remote");
                self.next_read = None;
                return;
            }
        };
        self.next_read = Some(now + NEIGHBOUR_POLL);
        let updates: Vec<(Ipv4Addr, Neighbour)> = schedule
            .outstanding()
            .filter(|(target, _)| self.on_link(*target))
            .map(|(target, known)| (target, neighbour_state(table.get(&target).copied(), known)))
            .collect();
        for (target, state) in updates {
            schedule.neighbour(target, state);
        }
    }
}

/// What an on-link target's neighbour entry (`None`: no entry) means for the scan, given what
/// it knew before: an entry that vanished while ARP was in progress failed (and was collected).
fn neighbour_state(entry: Option<NeighbourEntry>, known: Neighbour) -> Neighbour {
    match (entry, known) {
        (_, Neighbour::Failed) | (None, Neighbour::Pending) => Neighbour::Failed,
        (Some(NeighbourEntry::Resolved), _) => Neighbour::Live,
        (Some(NeighbourEntry::Unresolved), _) => Neighbour::Pending,
        (None, known) => known,
    }
}

/// Whether a send error says the target cannot be reached at all (ARP failed, no route).
fn unreachable(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable
    )
}

/// Whether a send error says only that the socket or the kernel has no room now (the send
/// buffer is full, or no buffer could be had): the probe is skipped, the target goes on.
fn transient(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::WouldBlock || error.raw_os_error() == Some(libc::ENOBUFS)
}

/// Whether a send error may be an earlier probe's, reported late (see [`enable_recv_err`]).
fn pending_error(error: &io::Error) -> bool {
    unreachable(error) || error.kind() == io::ErrorKind::ConnectionRefused
}

/// One scan's I/O: the socket, the schedule and what is known of the probes.
struct Scanner<I> {
    socket: UdpSocket,
    options: ScanOptions,
    wildcard: ScopedName,
    schedule: ScanSchedule<Ipv4Addr, I>,
    neighbours: Neighbours,
    in_flight: InFlight,
    summary: ScanSummary,
    /// Whether the last send found the socket's buffer full (so first probes do not wait).
    stalled: bool,
}

impl<I: Iterator<Item = Ipv4Addr>> Scanner<I> {
    /// Sends one probe to `target`. A first probe may wait for the socket, at most a retry
    /// spacing (the kernel holds probes to unresolved neighbours against the send buffer until
    /// ARP gives up); a retry that would block is skipped, never waited for.
    async fn send(&mut self, target: Ipv4Addr, first: bool) {
        let Some(id) = self.in_flight.id_for(target) else {
            return;
        };
        if first && !self.neighbours.probed_on_link {
            self.neighbours.probed_on_link = self.neighbours.on_link(target);
        }
        let probe = Packet::node_status_query(id, self.wildcard.clone()).encode();
        let to = SocketAddrV4::new(target, self.options.port);
        let mut sent = self.send_once(&probe, to, first).await;
        if sent.as_ref().is_err_and(pending_error) {
            // With IP_RECVERR a send reports the error of an earlier probe (its ICMP reply),
            // and clears it: this probe did not go, so it goes again, once.
            self.drain_errors();
            sent = self.send_once(&probe, to, first).await;
        }
        match sent {
            Ok(_) => {
                self.summary.probes += 1;
                self.stalled = false;
            }
            Err(error) if transient(&error) => {
                self.summary.skipped += 1;
                self.stalled = true;
                tracing::debug!(%target, first, "probe put off: the send buffer is full");
                self.schedule.unsent(target, Instant::now().into_std());
            }
            Err(error) => {
                // A target that cannot be sent to (unreachable, or a broadcast address: EACCES)
                // must not end the scan, nor wait its timeout: it is over.
                tracing::debug!(%target, %error, "probe not sent");
                self.schedule.neighbour(target, Neighbour::Failed);
            }
        }
    }

    /// One attempt at sending `probe`: a first probe waits for the socket at most a retry
    /// spacing (and not at all once a send found no room, until one goes), a retry not at all.
    async fn send_once(&self, probe: &[u8], to: SocketAddrV4, first: bool) -> io::Result<usize> {
        if first && !self.stalled {
            let wait = self.options.timeout / RETRY_SPACING_DIVISOR;
            tokio::time::timeout(wait, self.socket.send_to(probe, to))
                .await
                .unwrap_or_else(|_| Err(io::ErrorKind::WouldBlock.into()))
        } else {
            self.socket.try_send_to(probe, SocketAddr::V4(to))
        }
    }

    /// Handles what has arrived, without waiting.
    fn drain(&mut self, buffer: &mut [u8], report: &mut impl FnMut(ScanEvent)) {
        self.drain_errors();
        while let Ok((length, from)) = self.socket.try_recv_from(buffer) {
            let bytes = buffer.get(..length).unwrap_or_default();
            self.on_datagram(bytes, from, report);
        }
    }

    /// Takes the per-destination errors queued on the socket: a target whose host said
    /// nothing listens on the port, or that ARP could not find, is over.
    fn drain_errors(&mut self) {
        while let Ok(destination) = self
            .socket
            .try_io(Interest::ERROR, || recv_error(&self.socket))
        {
            if let Some(destination) = destination {
                tracing::debug!(target = %destination.ip(), "the probe's destination reported an error");
                self.schedule
                    .neighbour(*destination.ip(), Neighbour::Failed);
            }
        }
    }

    /// Waits for an answer until `at` (or the next read of the neighbour table).
    async fn wait(
        &mut self,
        at: std::time::Instant,
        buffer: &mut [u8],
        report: &mut impl FnMut(ScanEvent),
    ) {
        let at = self
            .neighbours
            .wake_at(&self.schedule)
            .map_or(at, |read| read.min(at));
        tokio::select! {
            received = self.socket.recv_from(buffer) => match received {
                Ok((length, from)) => {
                    let bytes = buffer.get(..length).unwrap_or_default();
                    self.on_datagram(bytes, from, report);
                }
                // ICMP errors from earlier probes surface here; they end nothing.
                Err(error) => tracing::trace!(%error, "receive error ignored"),
            },
            _ = self.socket.ready(Interest::ERROR) => self.drain_errors(),
            () = tokio::time::sleep_until(Instant::from_std(at)) => {}
        }
    }

    fn on_datagram(&mut self, bytes: &[u8], from: SocketAddr, report: &mut impl FnMut(ScanEvent)) {
        on_datagram(
            bytes,
            from,
            &mut self.schedule,
            &mut self.in_flight,
            &mut self.summary,
            report,
        );
    }

    async fn run(mut self, mut report: impl FnMut(ScanEvent)) -> ScanSummary {
        let mut buffer = vec![0u8; 2048];
        loop {
            // Take what has arrived before deciding what to send, so that sends never starve
            // the receive queue.
            self.drain(&mut buffer, &mut report);
            let now = Instant::now().into_std();
            self.neighbours.refresh(now, &mut self.schedule);
            match self.schedule.poll(now) {
                ScanStep::Send(target) => self.send(target, true).await,
                ScanStep::Retry(target) => self.send(target, false).await,
                ScanStep::Silent(target) => {
                    self.in_flight.forget(target);
                    self.summary.silent += 1;
                    report(ScanEvent::Silent(target));
                }
                ScanStep::WaitUntil(at) => self.wait(at, &mut buffer, &mut report).await,
                ScanStep::Done => return self.summary,
            }
        }
    }
}

/// Scans `targets`, calling `report` with each result as it arrives.
///
/// For targets on a local interface's subnet, the kernel's neighbour table decides the
/// retries (see [`ScanSchedule`]): none while ARP is in progress, more for a host that
/// answered ARP, and none after ARP failed.
///
/// # Errors
///
/// When the socket cannot be bound.
pub async fn scan(
    targets: impl Iterator<Item = Ipv4Addr>,
    options: &ScanOptions,
    report: impl FnMut(ScanEvent),
) -> io::Result<ScanSummary> {
    let socket = UdpSocket::bind(options.bind).await?;
    if let Err(error) = enable_recv_err(&socket) {
        tracing::debug!(%error, "no per-destination errors: unreachable targets wait their time");
    }
    let scanner = Scanner {
        socket,
        options: options.clone(),
        wildcard: ScopedName {
            name: NetbiosName::wildcard(),
            scope: options.scope.clone(),
        },
        schedule: ScanSchedule::new(targets, options.rate, options.timeout, options.retries),
        neighbours: Neighbours::new(),
        in_flight: InFlight::default(),
        summary: ScanSummary::default(),
        stalled: false,
    };
    Ok(scanner.run(report).await)
}

fn on_datagram<I: Iterator<Item = Ipv4Addr>>(
    bytes: &[u8],
    from: SocketAddr,
    schedule: &mut ScanSchedule<Ipv4Addr, I>,
    in_flight: &mut InFlight,
    summary: &mut ScanSummary,
    report: &mut impl FnMut(ScanEvent),
) {
    let SocketAddr::V4(from) = from else {
        summary.ignored += 1;
        return;
    };
    let [high, low, ..] = *bytes else {
        summary.ignored += 1;
        return;
    };
    let id = u16::from_be_bytes([high, low]);
    let Some(&target) = in_flight.by_id.get(&id) else {
        summary.ignored += 1;
        return;
    };
    let Some(status) = node_status_answer(bytes, from) else {
        summary.ignored += 1;
        return;
    };
    if schedule.answered(target) {
        in_flight.forget(target);
        summary.found += 1;
        report(ScanEvent::Found { target, status });
    } else {
        summary.ignored += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbour_entries_map_to_what_the_schedule_needs() {
        use Neighbour::{Failed, Live, Pending, Unknown};
        let resolved = Some(NeighbourEntry::Resolved);
        let unresolved = Some(NeighbourEntry::Unresolved);
        assert_eq!(neighbour_state(resolved, Unknown), Live);
        assert_eq!(neighbour_state(unresolved, Unknown), Pending);
        // ARP resolved late.
        assert_eq!(neighbour_state(resolved, Pending), Live);
        // No entry yet, or none ever (our own address): nothing learnt.
        assert_eq!(neighbour_state(None, Unknown), Unknown);
        assert_eq!(neighbour_state(None, Live), Live);
        // An entry that vanished while ARP was in progress failed and was collected.
        assert_eq!(neighbour_state(None, Pending), Failed);
        // Failed stays failed.
        assert_eq!(neighbour_state(resolved, Failed), Failed);
    }

    #[test]
    fn send_errors_are_sorted_into_put_off_and_over() {
        let full = io::Error::from(io::ErrorKind::WouldBlock);
        let no_buffers = io::Error::from_raw_os_error(libc::ENOBUFS);
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        let unreachable = io::Error::from_raw_os_error(libc::EHOSTUNREACH);
        let broadcast = io::Error::from_raw_os_error(libc::EACCES);
        assert!(transient(&full) && transient(&no_buffers));
        assert!(!transient(&refused) && !transient(&broadcast));
        assert!(pending_error(&refused) && pending_error(&unreachable));
        assert!(!pending_error(&broadcast) && !pending_error(&full));
    }
}
