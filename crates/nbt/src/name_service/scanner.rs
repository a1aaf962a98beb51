//! The range scanner: node status of every target from one UDP socket, sends paced at a rate,
//! answers matched to targets by transaction id, silent targets retried, results reported as
//! they arrive. The timing lives in the sans-IO [`ScanSchedule`]; this module does the I/O.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::config::NAME_SERVICE_UDP_PORT;
use crate::name_service::client::{NodeStatusAnswer, node_status_answer};
use crate::name_service::schedule::{ScanSchedule, ScanStep};
use crate::wire::{NetbiosName, Packet, ScopedName};

/// How a scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Probes per second (0: as fast as the socket takes them).
    pub rate: u32,
    /// How long to wait for each probe's answer.
    pub timeout: Duration,
    /// Probes after the first for a silent target.
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

/// Scans `targets`, calling `report` with each result as it arrives.
pub async fn scan(
    targets: impl Iterator<Item = Ipv4Addr>,
    options: &ScanOptions,
    mut report: impl FnMut(ScanEvent),
) -> io::Result<ScanSummary> {
    let socket = UdpSocket::bind(options.bind).await?;
    let wildcard = ScopedName {
        name: NetbiosName::wildcard(),
        scope: options.scope.clone(),
    };
    let mut schedule = ScanSchedule::new(targets, options.rate, options.timeout, options.retries);
    let mut in_flight = InFlight::default();
    let mut summary = ScanSummary::default();
    let mut buffer = vec![0u8; 2048];
    loop {
        // Take what has arrived before deciding what to send, so that sends never starve
        // the receive queue.
        while let Ok((length, from)) = socket.try_recv_from(&mut buffer) {
            on_datagram(
                &buffer[..length],
                from,
                &mut schedule,
                &mut in_flight,
                &mut summary,
                &mut report,
            );
        }
        match schedule.poll(Instant::now().into_std()) {
            ScanStep::Send(target) => {
                let Some(id) = in_flight.id_for(target) else {
                    continue;
                };
                let probe = Packet::node_status_query(id, wildcard.clone()).encode();
                summary.probes += 1;
                if let Err(error) = socket
                    .send_to(&probe, SocketAddrV4::new(target, options.port))
                    .await
                {
                    // One unreachable target (no route, say) must not end the scan.
                    tracing::debug!(%target, %error, "probe not sent");
                }
            }
            ScanStep::Silent(target) => {
                in_flight.forget(target);
                summary.silent += 1;
                report(ScanEvent::Silent(target));
            }
            ScanStep::WaitUntil(at) => {
                tokio::select! {
                    received = socket.recv_from(&mut buffer) => match received {
                        Ok((length, from)) => on_datagram(&buffer[..length], from, &mut schedule, &mut in_flight, &mut summary, &mut report),
                        // ICMP errors from earlier probes surface here; they end nothing.
                        Err(error) => tracing::trace!(%error, "receive error ignored"),
                    },
                    () = tokio::time::sleep_until(Instant::from_std(at)) => {}
                }
            }
            ScanStep::Done => return Ok(summary),
        }
    }
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
