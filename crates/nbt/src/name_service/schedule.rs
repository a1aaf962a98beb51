//! When to send: retransmission of one request, and the pacing of a scan. Sans-IO: these take
//! the current `Instant` and say what to do next, so they are tested with a simulated clock.

use std::collections::{BTreeMap, VecDeque};
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

/// The state of one scanned host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    sent: u32,
    /// When the probe times out; `None` while it waits in the retry queue.
    deadline: Option<Instant>,
}

/// What a scan asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStep<T> {
    /// Send a probe to this target now (its first, or a retry).
    Send(T),
    /// This target stayed silent through every retry: report it as silent.
    Silent(T),
    /// Nothing to do before this instant.
    WaitUntil(Instant),
    /// Every target has answered or gone silent.
    Done,
}

/// The schedule of a scan: new targets and retries paced at a rate, each probe with a timeout,
/// retries for silent targets; responses may arrive at any time.
///
/// Retries go before new targets, so that the scan's end is near one timeout after the last
/// first probe, not one timeout per host.
#[derive(Debug)]
pub struct ScanSchedule<T, I> {
    targets: I,
    pacer: Pacer,
    timeout: Duration,
    retries: u32,
    /// Probes awaiting an answer, by target.
    outstanding: BTreeMap<T, Probe>,
    /// Targets whose probe timed out and that still have retries, in the order they timed out.
    retry_queue: VecDeque<T>,
    exhausted: bool,
}

impl<T: Ord + Copy, I: Iterator<Item = T>> ScanSchedule<T, I> {
    /// A scan of `targets`, at `rate` probes per second (0: unpaced), waiting `timeout` for each
    /// probe and retrying a silent target `retries` times.
    pub fn new(targets: I, rate: u32, timeout: Duration, retries: u32) -> Self {
        ScanSchedule {
            targets,
            pacer: Pacer::new(rate),
            timeout,
            retries,
            outstanding: BTreeMap::new(),
            retry_queue: VecDeque::new(),
            exhausted: false,
        }
    }

    /// Probes sent and not yet answered or given up.
    pub fn in_flight(&self) -> usize {
        self.outstanding.len()
    }

    /// Records an answer from `target`; returns false if no probe of it was outstanding (a
    /// duplicate or a stray answer).
    pub fn answered(&mut self, target: T) -> bool {
        let was_outstanding = self.outstanding.remove(&target).is_some();
        self.retry_queue.retain(|queued| *queued != target);
        was_outstanding
    }

    /// What to do at `now`. After [`ScanStep::Send`], the caller sends exactly one probe.
    pub fn poll(&mut self, now: Instant) -> ScanStep<T> {
        // Expire probes whose time is up: retry them, or report them silent.
        let expired: Vec<(T, Probe)> = self
            .outstanding
            .iter()
            .filter(|(_, probe)| probe.deadline.is_some_and(|deadline| deadline <= now))
            .map(|(target, probe)| (*target, *probe))
            .collect();
        for (target, probe) in expired {
            if probe.sent > self.retries {
                self.outstanding.remove(&target);
                return ScanStep::Silent(target);
            }
            self.retry_queue.push_back(target);
            if let Some(parked) = self.outstanding.get_mut(&target) {
                parked.deadline = None;
            }
        }

        let ready_at = self.pacer.ready_at(now);
        if ready_at <= now {
            if let Some(target) = self.retry_queue.pop_front() {
                if let Some(probe) = self.outstanding.get_mut(&target) {
                    probe.sent += 1;
                    probe.deadline = Some(now + self.timeout);
                }
                self.pacer.sent(now);
                return ScanStep::Send(target);
            }
            if !self.exhausted {
                if let Some(target) = self.targets.next() {
                    self.outstanding.insert(
                        target,
                        Probe {
                            sent: 1,
                            deadline: Some(now + self.timeout),
                        },
                    );
                    self.pacer.sent(now);
                    return ScanStep::Send(target);
                }
                self.exhausted = true;
            }
        }

        let next_deadline = self
            .outstanding
            .values()
            .filter_map(|probe| probe.deadline)
            .min();
        let has_sends = !self.retry_queue.is_empty() || !self.exhausted;
        match (has_sends, next_deadline) {
            (true, Some(deadline)) => ScanStep::WaitUntil(deadline.min(ready_at)),
            (true, None) => ScanStep::WaitUntil(ready_at),
            (false, Some(deadline)) => ScanStep::WaitUntil(deadline),
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

    /// Drives a schedule with a simulated clock; `answers(target, sends)` says whether the
    /// target answers its probe number `sends`, and after how long.
    fn simulate(
        targets: u32,
        rate: u32,
        timeout: Duration,
        retries: u32,
        answers: impl Fn(u32, u32) -> Option<Duration>,
    ) -> Simulated {
        let start = Instant::now();
        let mut now = start;
        let mut schedule = ScanSchedule::new(0..targets, rate, timeout, retries);
        let mut sends = Vec::new();
        let mut found = Vec::new();
        let mut silent = Vec::new();
        let mut pending: Vec<(Instant, u32)> = Vec::new();
        let mut sent_count = std::collections::HashMap::new();
        for _ in 0..1_000_000 {
            // Deliver answers due by now.
            pending.sort();
            while pending.first().is_some_and(|(at, _)| *at <= now) {
                let (_, target) = pending.remove(0);
                if schedule.answered(target) {
                    found.push(target);
                }
            }
            match schedule.poll(now) {
                ScanStep::Send(target) => {
                    let count = sent_count.entry(target).or_insert(0);
                    *count += 1;
                    sends.push((target, now - start));
                    if let Some(delay) = answers(target, *count) {
                        pending.push((now + delay, target));
                    }
                }
                ScanStep::Silent(target) => silent.push(target),
                ScanStep::WaitUntil(until) => {
                    let next_answer = pending.iter().map(|(at, _)| *at).min();
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
        let probes_of = |t| sends.iter().filter(|(target, _)| *target == t).count();
        assert_eq!(probes_of(3), 2);
        assert_eq!(probes_of(5), 3);
        assert_eq!(probes_of(0), 1);
    }

    #[test]
    fn pacing_holds_the_rate() {
        let sends = simulate(50, 100, 20 * MS, 0, |_, _| Some(MS)).sends;
        let last = sends.last().unwrap().1;
        // 50 sends at 100 per second: the last goes out at 490 ms.
        assert_eq!(last, 490 * MS);
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
