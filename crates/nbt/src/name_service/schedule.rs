//! When to send: retransmission of one request, and the pacing of a scan. Sans-IO: these take
//! the current `Instant` and say what to do next, so they are tested with a simulated clock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::config::Retransmit;

/// What a retransmission schedule asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send (or resend) the request now.
    Send,
    /// Nothing to do before this instant; wait for a response until then.
    WaitUntil(Instant),
    /// Every transmission has had its wait: the request is over.
    GiveUp,
}

/// The retransmission schedule of one request (RFC 1002 §4.2.1.1 timers).
#[derive(Debug, Clone)]
pub struct Retransmission {
    plan: Retransmit,
    sent: u32,
    next: Instant,
}

impl Retransmission {
    /// A schedule whose first transmission is due at `now`.
    pub fn new(plan: Retransmit, now: Instant) -> Self {
        Retransmission {
            plan,
            sent: 0,
            next: now,
        }
    }

    /// What to do at `now`. After [`Step::Send`], the caller sends once.
    pub fn poll(&mut self, now: Instant) -> Step {
        if now < self.next {
            return Step::WaitUntil(self.next);
        }
        if self.sent > self.plan.retries {
            return Step::GiveUp;
        }
        self.sent += 1;
        self.next = now + self.plan.interval;
        Step::Send
    }

    /// When the next transmission (or the end) is due.
    pub fn next_at(&self) -> Instant {
        self.next
    }

    /// Transmissions so far.
    pub fn sent(&self) -> u32 {
        self.sent
    }
}

/// Spaces sends evenly at a rate (sends per second); a rate of 0 means as fast as possible.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `rate` sends per second.
    pub fn new(rate: u32) -> Self {
        let interval = if rate == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(1) / rate
        };
        Pacer {
            interval,
            next: None,
        }
    }

    /// When the next send may go, at the earliest.
    pub fn ready_at(&self, now: Instant) -> Instant {
        self.next.map_or(now, |next| next.max(now))
    }

    /// Records a send at `now`. A pacer that fell behind (the caller slept past its slot, as a
    /// millisecond timer does at rates over 1,000 per second) catches up by sending back to
    /// back, but by no more than [`Pacer::BURST`] worth of sends.
    pub fn sent(&mut self, now: Instant) {
        let earliest = now.checked_sub(Self::BURST).unwrap_or(now);
        let base = self.next.map_or(now, |next| next.max(earliest));
        self.next = Some(base + self.interval);
    }
}

impl Pacer {
    /// The most a pacer that fell behind catches up at once.
    pub const BURST: Duration = Duration::from_millis(10);
}

/// What the kernel's neighbour (ARP) table says of a scanned target, as the scan last heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Neighbour {
    /// Nothing known: the target is off-link (behind a router), not looked up yet, or there is
    /// no table to read. It gets the plain retries.
    Unknown,
    /// On-link and ARP is in progress: the kernel holds the first probe and sends it if ARP
    /// resolves, so retries are held (they would only queue behind ARP).
    Pending,
    /// On-link and it answered ARP: a live host. Silence is then most likely loss, so it gets
    /// [`LIVE_EXTRA_RETRIES`] more retries than an unknown target.
    Live,
    /// ARP failed, or sending said the host is unreachable: nothing more is sent to it and it
    /// is reported silent at once.
    Failed,
}

/// Retries a live on-link host (one that answered ARP but not NetBIOS) gets beyond the scan's
/// `retries`, when `retries` is not 0: live hosts are few in a sparse scan, and loss is the
/// likely reason for their silence. With the default single retry a live host gets six probes
/// in all, which 20 % loss all drops with probability 0.2⁶ = 6.4e-5.
pub const LIVE_EXTRA_RETRIES: u32 = 4;

/// Retries are spaced at the timeout divided by this, so that they overlap the first wait.
pub const RETRY_SPACING_DIVISOR: u32 = 4;

/// The state of one scanned host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    /// Probes sent (the first included).
    sent: u32,
    /// When the first probe went.
    first: Instant,
    /// When the latest probe went.
    last: Instant,
    neighbour: Neighbour,
    /// Its key in the timer set; `None` while it waits in the retry queue.
    wake: Option<Instant>,
}

/// What a probe's timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// A retry is due then.
    Retry(Instant),
    /// The target is over (silent) then.
    End(Instant),
}

impl Wake {
    fn at(self) -> Instant {
        match self {
            Wake::Retry(at) | Wake::End(at) => at,
        }
    }
}

/// What firing a timer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fired<T> {
    /// No timer was due.
    Idle,
    /// A timer was handled (a retry queued, or a stale timer dropped).
    Handled,
    /// The target is over: silent.
    Silent(T),
}

/// What a scan asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStep<T> {
    /// Send the first probe to this target now. The caller may wait (briefly) for the socket.
    Send(T),
    /// Send a retry to this target now; one that would block is skipped, never waited for.
    Retry(T),
    /// This target stayed silent through every retry: report it as silent.
    Silent(T),
    /// Nothing to do before this instant.
    WaitUntil(Instant),
    /// Every target has answered or gone silent.
    Done,
}

/// The schedule of a scan: first probes paced at a rate, retries of silent targets spaced
/// within the timeout (every timeout / [`RETRY_SPACING_DIVISOR`]) so that they overlap the
/// first wait, and the neighbour table's word on on-link targets as an input
/// ([`ScanSchedule::neighbour`]).
///
/// A target probed first at `t` ends (is reported silent) at:
/// - unknown or live: its last probe + the timeout, and no later than `t` + 2 × timeout (the
///   hard bound: no retry goes out after `t` + 2 × timeout − spacing);
/// - pending (ARP in progress): `t` + timeout + spacing / 2, unless ARP resolves by then, when it
///   becomes live and gets its retries (a host whose first ARP request was lost);
/// - failed: at once.
///
/// (The half spacing past the timeout catches a host whose first ARP request was lost: the
/// kernel asks again a second after the first, which at the default 1 s timeout is just then.)
/// So a sparse scan ends near the last first probe + timeout + spacing / 2, and every scan by the
/// last first probe + 2 × timeout. Retries go before new targets.
#[derive(Debug)]
pub struct ScanSchedule<T, I> {
    targets: I,
    pacer: Pacer,
    timeout: Duration,
    spacing: Duration,
    retries: u32,
    /// Probes awaiting an answer, by target.
    outstanding: BTreeMap<T, Probe>,
    /// When each outstanding target next needs attention.
    timers: BTreeSet<(Instant, T)>,
    /// Targets due a retry, waiting for the pacer.
    retry_queue: VecDeque<T>,
    exhausted: bool,
}

impl<T: Ord + Copy, I: Iterator<Item = T>> ScanSchedule<T, I> {
    /// A scan of `targets`, at `rate` probes per second (0: unpaced), waiting `timeout` for each
    /// probe and retrying a silent target `retries` times (more if it is a live neighbour).
    pub fn new(targets: I, rate: u32, timeout: Duration, retries: u32) -> Self {
        ScanSchedule {
            targets,
            pacer: Pacer::new(rate),
            timeout,
            spacing: timeout / RETRY_SPACING_DIVISOR,
            retries,
            outstanding: BTreeMap::new(),
            timers: BTreeSet::new(),
            retry_queue: VecDeque::new(),
            exhausted: false,
        }
    }

    /// Probes sent and not yet answered or given up.
    pub fn in_flight(&self) -> usize {
        self.outstanding.len()
    }

    /// The targets awaiting an answer, with what the schedule knows of their neighbour entry.
    pub fn outstanding(&self) -> impl Iterator<Item = (T, Neighbour)> + '_ {
        self.outstanding
            .iter()
            .map(|(target, probe)| (*target, probe.neighbour))
    }

    /// The retries a target with this neighbour state gets.
    pub fn retries_for(&self, neighbour: Neighbour) -> u32 {
        match neighbour {
            Neighbour::Unknown | Neighbour::Pending => self.retries,
            Neighbour::Live if self.retries == 0 => 0,
            Neighbour::Live => self.retries.saturating_add(LIVE_EXTRA_RETRIES),
            Neighbour::Failed => 0,
        }
    }

    /// Records what the neighbour table (or a send error) says of `target`. Ignored for a
    /// target not outstanding; a failed target stays failed.
    pub fn neighbour(&mut self, target: T, neighbour: Neighbour) {
        let Some(probe) = self.outstanding.get_mut(&target) else {
            return;
        };
        if probe.neighbour == neighbour || probe.neighbour == Neighbour::Failed {
            return;
        }
        probe.neighbour = neighbour;
        if let Some(at) = probe.wake {
            self.timers.remove(&(at, target));
            self.arm(target);
        }
    }

    /// Records that the probe just asked for (first or retry) could not be sent, the socket
    /// having no room: it does not count, and is tried again a spacing later, within the
    /// target's bound (never waited for).
    pub fn unsent(&mut self, target: T, now: Instant) {
        let Some(probe) = self.outstanding.get_mut(&target) else {
            return;
        };
        probe.sent = probe.sent.saturating_sub(1);
        probe.last = now;
        match probe.wake.take() {
            Some(at) => {
                self.timers.remove(&(at, target));
            }
            None => self.retry_queue.retain(|queued| *queued != target),
        }
        self.arm(target);
    }

    /// Records an answer from `target`; returns false if no probe of it was outstanding (a
    /// duplicate or a stray answer).
    pub fn answered(&mut self, target: T) -> bool {
        let Some(probe) = self.outstanding.remove(&target) else {
            return false;
        };
        match probe.wake {
            Some(at) => {
                self.timers.remove(&(at, target));
            }
            None => self.retry_queue.retain(|queued| *queued != target),
        }
        true
    }

    /// When `probe` next needs attention.
    fn wake_of(&self, probe: &Probe) -> Wake {
        let bound = probe.first + 2 * self.timeout;
        match probe.neighbour {
            Neighbour::Failed => Wake::End(probe.first),
            Neighbour::Pending => Wake::End(probe.first + self.timeout + self.spacing / 2),
            Neighbour::Unknown | Neighbour::Live => {
                let retry_at = probe.last + self.spacing;
                let retry_cutoff = bound.checked_sub(self.spacing).unwrap_or(bound);
                if probe.sent <= self.retries_for(probe.neighbour) && retry_at <= retry_cutoff {
                    Wake::Retry(retry_at)
                } else {
                    Wake::End((probe.last + self.timeout).min(bound))
                }
            }
        }
    }

    /// Puts `target`'s next attention on the timers.
    fn arm(&mut self, target: T) {
        let Some(probe) = self.outstanding.get(&target) else {
            return;
        };
        let at = self.wake_of(probe).at();
        if let Some(probe) = self.outstanding.get_mut(&target) {
            probe.wake = Some(at);
        }
        self.timers.insert((at, target));
    }

    /// Handles the first timer due by `now`: queues a retry or ends the target.
    fn fire_timer(&mut self, now: Instant) -> Fired<T> {
        let Some(&(at, target)) = self.timers.first().filter(|(at, _)| *at <= now) else {
            return Fired::Idle;
        };
        self.timers.remove(&(at, target));
        let Some(probe) = self.outstanding.get(&target).copied() else {
            return Fired::Handled;
        };
        if probe.wake != Some(at) {
            return Fired::Handled;
        }
        match self.wake_of(&probe) {
            Wake::Retry(_) => {
                if let Some(probe) = self.outstanding.get_mut(&target) {
                    probe.wake = None;
                }
                self.retry_queue.push_back(target);
                Fired::Handled
            }
            Wake::End(_) => {
                self.outstanding.remove(&target);
                Fired::Silent(target)
            }
        }
    }

    /// The next queued retry still due at `now`; a queued target whose state changed goes back
    /// on the timers.
    fn next_retry(&mut self, now: Instant) -> Option<T> {
        while let Some(target) = self.retry_queue.pop_front() {
            let Some(probe) = self.outstanding.get(&target).copied() else {
                continue;
            };
            match self.wake_of(&probe) {
                Wake::Retry(at) if at <= now => {
                    if let Some(probe) = self.outstanding.get_mut(&target) {
                        probe.sent += 1;
                        probe.last = now;
                    }
                    self.arm(target);
                    return Some(target);
                }
                _ => self.arm(target),
            }
        }
        None
    }

    /// What to do at `now`. After [`ScanStep::Send`] or [`ScanStep::Retry`], the caller sends
    /// (at most) one probe.
    pub fn poll(&mut self, now: Instant) -> ScanStep<T> {
        // Timers due: queue retries, report the targets that are over.
        loop {
            match self.fire_timer(now) {
                Fired::Idle => break,
                Fired::Handled => {}
                Fired::Silent(target) => return ScanStep::Silent(target),
            }
        }

        let ready_at = self.pacer.ready_at(now);
        if ready_at <= now {
            if let Some(target) = self.next_retry(now) {
                self.pacer.sent(now);
                return ScanStep::Retry(target);
            }
            // A queued target that went back on the timers may be over already.
            if self.timers.first().is_some_and(|(at, _)| *at <= now) {
                return self.poll(now);
            }
            if !self.exhausted {
                if let Some(target) = self.targets.next() {
                    self.outstanding.insert(
                        target,
                        Probe {
                            sent: 1,
                            first: now,
                            last: now,
                            neighbour: Neighbour::Unknown,
                            wake: None,
                        },
                    );
                    self.arm(target);
                    self.pacer.sent(now);
                    return ScanStep::Send(target);
                }
                self.exhausted = true;
            }
        }

        let next_timer = self.timers.first().map(|(at, _)| *at);
        let has_sends = !self.retry_queue.is_empty() || !self.exhausted;
        match (has_sends, next_timer) {
            (true, Some(at)) => ScanStep::WaitUntil(at.min(ready_at)),
            (true, None) => ScanStep::WaitUntil(ready_at),
            (false, Some(at)) => ScanStep::WaitUntil(at),
            (false, None) => ScanStep::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn retransmission_follows_the_rfc_broadcast_timers() {
        let start = Instant::now();
        let mut schedule = Retransmission::new(Retransmit::BROADCAST, start);
        let mut sends = Vec::new();
        let mut now = start;
        loop {
            match schedule.poll(now) {
                Step::Send => sends.push(now - start),
                Step::WaitUntil(until) => now = until,
                Step::GiveUp => break,
            }
        }
        assert_eq!(sends, [Duration::ZERO, 250 * MS, 500 * MS, 750 * MS]);
        assert_eq!(now - start, 1000 * MS);
        assert_eq!(schedule.sent(), 4);
    }

    #[test]
    fn pacer_spaces_sends_and_catches_up_at_most_one_burst_after_a_stall() {
        let start = Instant::now();
        let mut pacer = Pacer::new(1000);
        assert_eq!(pacer.ready_at(start), start);
        pacer.sent(start);
        assert_eq!(pacer.ready_at(start), start + MS);
        // The caller stalled for 100 ms: it may send 10 ms worth back to back, then the normal
        // interval again.
        let late = start + 100 * MS;
        let mut burst = 0;
        while pacer.ready_at(late) == late {
            pacer.sent(late);
            burst += 1;
            assert!(burst <= 100, "the burst does not stop");
        }
        assert_eq!(burst, 11);
        assert_eq!(pacer.ready_at(late), late + MS);
        let mut unpaced = Pacer::new(0);
        unpaced.sent(start);
        assert_eq!(unpaced.ready_at(start), start);
    }

    /// What a simulated scan did: sends (target, when), targets found, targets reported
    /// silent, and how long the scan took.
    struct Simulated {
        sends: Vec<(u32, Duration)>,
        found: Vec<u32>,
        silent: Vec<u32>,
        elapsed: Duration,
    }

    /// How often the simulated scanner reads the neighbour table, as the real one does.
    const TABLE_POLL: Duration = Duration::from_millis(25);

    /// Drives a schedule with a simulated clock; `answers(target, sends)` says whether the
    /// target answers its probe number `sends`, and after how long.
    fn simulate(
        targets: u32,
        rate: u32,
        timeout: Duration,
        retries: u32,
        answers: impl Fn(u32, u32) -> Option<Duration>,
    ) -> Simulated {
        simulate_neighbours(
            targets,
            (rate, timeout, retries),
            |_, _| Neighbour::Unknown,
            |target, probe, _| answers(target, probe),
        )
    }

    /// [`simulate`] with a neighbour table: `neighbour(target, since)` is the target's
    /// neighbour state `since` its first probe, read every [`TABLE_POLL`]; `answers(target,
    /// probe, since)` also gets how long after the target's first probe this one went.
    fn simulate_neighbours(
        targets: u32,
        (rate, timeout, retries): (u32, Duration, u32),
        neighbour: impl Fn(u32, Duration) -> Neighbour,
        answers: impl Fn(u32, u32, Duration) -> Option<Duration>,
    ) -> Simulated {
        let start = Instant::now();
        let mut now = start;
        let mut schedule = ScanSchedule::new(0..targets, rate, timeout, retries);
        let mut sends = Vec::new();
        let mut found = Vec::new();
        let mut silent = Vec::new();
        let mut pending: Vec<(Instant, u32)> = Vec::new();
        let mut sent_count = std::collections::HashMap::new();
        let mut first_sent = std::collections::HashMap::new();
        for _ in 0..1_000_000 {
            // Deliver answers due by now.
            pending.sort();
            while pending.first().is_some_and(|(at, _)| *at <= now) {
                let (_, target) = pending.remove(0);
                if schedule.answered(target) {
                    found.push(target);
                }
            }
            let states: Vec<(u32, Neighbour)> = schedule
                .outstanding()
                .map(|(target, _)| {
                    (
                        target,
                        neighbour(target, now.saturating_duration_since(first_sent[&target])),
                    )
                })
                .collect();
            for (target, state) in states {
                schedule.neighbour(target, state);
            }
            match schedule.poll(now) {
                ScanStep::Send(target) | ScanStep::Retry(target) => {
                    let count = sent_count.entry(target).or_insert(0);
                    *count += 1;
                    let first = *first_sent.entry(target).or_insert(now);
                    sends.push((target, now - start));
                    if let Some(delay) = answers(target, *count, now - first) {
                        pending.push((now + delay, target));
                    }
                }
                ScanStep::Silent(target) => silent.push(target),
                ScanStep::WaitUntil(until) => {
                    let next_answer = pending.iter().map(|(at, _)| *at).min();
                    let until = until.min(now + TABLE_POLL);
                    now = next_answer.map_or(until, |at| at.min(until)).max(now);
                }
                ScanStep::Done => {
                    return Simulated {
                        sends,
                        found,
                        silent,
                        elapsed: now - start,
                    };
                }
            }
        }
        panic!("the scan did not end");
    }

    fn probes_of(sends: &[(u32, Duration)], target: u32) -> Vec<Duration> {
        sends
            .iter()
            .filter(|(sent_to, _)| *sent_to == target)
            .map(|(_, at)| *at)
            .collect()
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_sparse_on_link_scan_ends_one_timeout_plus_half_a_spacing_after_its_last_send() {
        // A /24 with one live host that answers; ARP never resolves for the other 253.
        let Simulated {
            sends,
            found,
            silent,
            elapsed,
        } = simulate_neighbours(
            254,
            (10_000, SECOND, 1),
            |target, _| {
                if target == 1 {
                    Neighbour::Live
                } else {
                    Neighbour::Pending
                }
            },
            |target, _, _| (target == 1).then_some(MS),
        );
        assert_eq!(found, [1]);
        assert_eq!(silent.len(), 253);
        // No retries queue behind ARP.
        assert_eq!(sends.len(), 254);
        // The last first probe goes at 25.3 ms; then a timeout and half a retry spacing.
        assert!(elapsed <= 26 * MS + SECOND + 125 * MS, "{elapsed:?}");
        assert!(elapsed >= SECOND + 125 * MS, "{elapsed:?}");
    }

    #[test]
    fn off_link_retries_overlap_the_first_wait() {
        let Simulated {
            sends,
            silent,
            elapsed,
            ..
        } = simulate(254, 10_000, SECOND, 1, |_, _| None);
        assert_eq!(silent.len(), 254);
        assert_eq!(sends.len(), 2 * 254);
        for target in 0..254 {
            let probes = probes_of(&sends, target);
            assert_eq!(probes.len(), 2);
            // The retry goes a quarter timeout after the first probe (give or take the pacer).
            let gap = probes[1].saturating_sub(probes[0]);
            assert!(gap >= 250 * MS && gap <= 280 * MS, "{gap:?}");
        }
        // The last retry at about 275 ms, then one timeout: not two timeouts.
        assert!(elapsed <= 26 * MS + 250 * MS + SECOND + MS, "{elapsed:?}");
    }

    #[test]
    fn live_neighbours_get_the_extra_retries_within_the_bound() {
        // Four live hosts that never answer NetBIOS, the rest unknown and silent too.
        let Simulated {
            sends,
            silent,
            elapsed,
            ..
        } = simulate_neighbours(
            16,
            (0, SECOND, 1),
            |target, _| {
                if target < 4 {
                    Neighbour::Live
                } else {
                    Neighbour::Unknown
                }
            },
            |_, _, _| None,
        );
        assert_eq!(silent.len(), 16);
        for target in 0..4 {
            assert_eq!(
                probes_of(&sends, target).len(),
                2 + LIVE_EXTRA_RETRIES as usize
            );
        }
        for target in 4..16 {
            assert_eq!(probes_of(&sends, target).len(), 2);
        }
        assert!(elapsed <= 2 * SECOND, "{elapsed:?}");
        // --retries 0 means no retry, live or not.
        let none = simulate_neighbours(4, (0, SECOND, 0), |_, _| Neighbour::Live, |_, _, _| None);
        assert_eq!(none.sends.len(), 4);
        assert!(none.elapsed <= SECOND + MS, "{:?}", none.elapsed);
    }

    #[test]
    fn a_host_whose_arp_resolves_late_gets_retries_and_is_found() {
        // Target 5's first ARP request is lost: its entry is incomplete until the kernel's
        // second try at 1 s. The probe the kernel held then goes out and is lost too; retries
        // after the resolution are answered.
        let Simulated {
            sends,
            found,
            silent,
            elapsed,
        } = simulate_neighbours(
            254,
            (10_000, SECOND, 1),
            |target, since| {
                if target == 5 && since >= SECOND {
                    Neighbour::Live
                } else {
                    Neighbour::Pending
                }
            },
            |target, _, since| (target == 5 && since >= SECOND).then_some(MS),
        );
        assert_eq!(found, [5]);
        assert_eq!(silent.len(), 253);
        let probes = probes_of(&sends, 5);
        assert_eq!(probes.len(), 2, "{probes:?}");
        assert!(probes[1] >= SECOND, "{probes:?}");
        // Everyone else ended at about 1.15 s; target 5 was waited for, within the bound.
        assert!(elapsed <= 26 * MS + 2 * SECOND, "{elapsed:?}");
    }

    #[test]
    fn a_late_host_that_stays_silent_ends_within_two_timeouts() {
        let Simulated {
            sends,
            silent,
            elapsed,
            ..
        } = simulate_neighbours(
            1,
            (0, SECOND, 1),
            |_, since| {
                if since >= SECOND {
                    Neighbour::Live
                } else {
                    Neighbour::Pending
                }
            },
            |_, _, _| None,
        );
        assert_eq!(silent, [0]);
        // The first probe, then retries from 1 s every 250 ms up to 1.75 s (inclusive).
        let probes = probes_of(&sends, 0);
        assert_eq!(probes.len(), 5, "{probes:?}");
        assert!(
            probes
                .iter()
                .skip(1)
                .all(|at| *at >= SECOND && *at <= 1750 * MS)
        );
        assert_eq!(elapsed, 2 * SECOND);
    }

    #[test]
    fn failed_neighbours_end_at_once() {
        let Simulated {
            sends,
            silent,
            elapsed,
            ..
        } = simulate_neighbours(
            3,
            (0, SECOND, 3),
            |_, since| {
                if since >= 100 * MS {
                    Neighbour::Failed
                } else {
                    Neighbour::Pending
                }
            },
            |_, _, _| None,
        );
        assert_eq!(sends.len(), 3);
        assert_eq!(silent.len(), 3);
        assert!(elapsed <= 100 * MS + TABLE_POLL, "{elapsed:?}");
    }

    #[test]
    fn many_retries_stay_within_two_timeouts() {
        let Simulated { sends, elapsed, .. } =
            simulate_neighbours(10, (0, SECOND, 100), |_, _| Neighbour::Live, |_, _, _| None);
        // Retries every 250 ms until 1.75 s: eight probes each, not 105.
        assert_eq!(sends.len(), 80);
        assert_eq!(elapsed, 2 * SECOND);
    }

    #[test]
    fn every_answering_target_is_found_once() {
        let Simulated {
            sends,
            mut found,
            silent,
            ..
        } = simulate(100, 0, 100 * MS, 1, |_, _| Some(MS));
        assert_eq!(sends.len(), 100);
        found.sort_unstable();
        assert_eq!(found, (0..100).collect::<Vec<_>>());
        assert!(silent.is_empty());
    }

    #[test]
    fn silent_targets_cost_about_one_timeout_in_total_not_one_each() {
        // Half the targets never answer; 1000 per second, 500 ms timeout, no retries.
        let Simulated {
            sends,
            found,
            silent,
            elapsed,
        } = simulate(1000, 1000, 500 * MS, 0, |target, _| {
            (target % 2 == 0).then_some(MS)
        });
        assert_eq!(sends.len(), 1000);
        assert_eq!(found.len(), 500);
        assert_eq!(silent.len(), 500);
        // Send time (~1 s) plus one timeout, not 500 timeouts.
        assert!(elapsed <= 1000 * MS + 500 * MS + 10 * MS, "{elapsed:?}");
    }

    #[test]
    fn silent_targets_are_retried_then_reported() {
        // Target 3 answers only its second probe; target 5 never answers.
        let Simulated {
            sends,
            mut found,
            silent,
            ..
        } = simulate(8, 0, 50 * MS, 2, |target, probe| match target {
            3 => (probe == 2).then_some(MS),
            5 => None,
            _ => Some(MS),
        });
        found.sort_unstable();
        assert_eq!(found, [0, 1, 2, 3, 4, 6, 7]);
        assert_eq!(silent, [5]);
        assert_eq!(probes_of(&sends, 3).len(), 2);
        assert_eq!(probes_of(&sends, 5).len(), 3);
        assert_eq!(probes_of(&sends, 0).len(), 1);
    }

    #[test]
    fn pacing_holds_the_rate() {
        let sends = simulate(50, 100, 20 * MS, 0, |_, _| Some(MS)).sends;
        let last = sends.last().unwrap().1;
        // 50 sends at 100 per second: the last goes out at 490 ms.
        assert_eq!(last, 490 * MS);
    }

    #[test]
    fn unsent_probes_are_deferred_not_waited_for_and_bounded() {
        let start = Instant::now();
        let mut schedule = ScanSchedule::new(0..2u32, 0, SECOND, 0);
        assert_eq!(schedule.poll(start), ScanStep::Send(0));
        schedule.unsent(0, start);
        // The next target goes at once; the unsent one a spacing later, as a retry.
        assert_eq!(schedule.poll(start), ScanStep::Send(1));
        assert_eq!(schedule.poll(start), ScanStep::WaitUntil(start + 250 * MS));
        assert_eq!(schedule.poll(start + 250 * MS), ScanStep::Retry(0));
        // It never goes through: tried every spacing until the bound, then over.
        let mut now = start + 250 * MS;
        schedule.unsent(0, now);
        let mut attempts = 1;
        loop {
            match schedule.poll(now) {
                ScanStep::Retry(0) => {
                    attempts += 1;
                    schedule.unsent(0, now);
                }
                ScanStep::Silent(_) => {}
                ScanStep::WaitUntil(at) => now = at,
                ScanStep::Done => break,
                step => panic!("{step:?}"),
            }
            assert!(attempts < 100, "unbounded");
        }
        assert_eq!(attempts, 7, "every 250 ms from 250 ms to 1.75 s");
        assert!(now <= start + 2 * SECOND, "{:?}", now - start);
    }

    #[test]
    fn stray_and_duplicate_answers_are_not_counted() {
        let mut schedule = ScanSchedule::new(0..2u32, 0, 10 * MS, 0);
        let now = Instant::now();
        assert_eq!(schedule.poll(now), ScanStep::Send(0));
        assert!(!schedule.answered(1));
        assert!(schedule.answered(0));
        assert!(!schedule.answered(0));
        assert_eq!(schedule.in_flight(), 0);
    }
}
