//! `wnet scan` against the labs' nmbd hosts: every host found on the Samba lab's /24 with
//! the default flags (most of its addresses silent, their ARP unresolved), and every nmbd host
//! of the broadcast-domain lab found under 20 % packet loss (`lab/netns loss 20`).
//!
//! Timing is not asserted here: `bench/scan` measures it.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use wnet_testlab::{NetnsLab, SambaLab, run_bounded};

const LIMIT: Duration = Duration::from_secs(60);

fn run(command: &mut Command) -> Output {
    run_bounded(command, LIMIT).unwrap_or_else(|error| panic!("{error}"))
}

/// The addresses `wnet scan -s : SUBNET` found (with default flags).
fn scan(subnet: &str) -> BTreeSet<Ipv4Addr> {
    let output = run(Command::new(env!("CARGO_BIN_EXE_wnet")).args(["scan", "-s", ":", subnet]));
    assert!(
        output.status.success(),
        "wnet scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split(':').next()?.trim().parse().ok())
        .collect()
}

#[test]
fn scan_of_the_samba_labs_24_finds_its_server() {
    let lab = SambaLab::acquire().unwrap_or_else(|error| panic!("the Samba lab: {error}"));
    let found = scan("198.51.100.0/24");
    assert!(found.contains(&lab.address), "{found:?}");
}

/// `lab/netns`, the script (this checkout's).
fn netns_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lab/netns")
}

/// Runs `lab/netns loss PERCENT`, which must succeed.
fn set_loss(percent: u8) {
    let output = run(Command::new(netns_script()).args(["loss", &percent.to_string()]));
    assert!(
        output.status.success(),
        "lab/netns loss {percent}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Ends the lab's packet loss when dropped, so that a failing test leaves the lab clean.
struct NoLossOnDrop;

impl Drop for NoLossOnDrop {
    fn drop(&mut self) {
        let _ = run_bounded(Command::new(netns_script()).args(["loss", "0"]), LIMIT);
    }
}

/// Under 20 % loss of the packets towards the hosts (probes and ARP requests; answers come
/// back whole), every nmbd host is still found.
///
/// Miss probability: a first scan without loss resolves the hosts' neighbour entries, so during
/// the lossy scan every nmbd host is a live neighbour and gets 1 + 1 + 4 (LIVE_EXTRA_RETRIES)
/// = 6 probes before it is given up, each lost independently with probability 0.2: it is
/// missed with probability 0.2^6 = 6.4e-5 per host (< 1e-4). (Without that first scan, a
/// host's ARP may fail too: its two ARP requests within the scan are both lost with
/// probability 0.04, which no NetBIOS retry policy can help; that is the kernel's to retry.)
#[test]
fn scan_finds_every_nmbd_host_under_20_percent_loss() {
    let Some(lab) = NetnsLab::acquire_exclusive_or_skip() else {
        return;
    };
    let nmbd_hosts: BTreeSet<Ipv4Addr> = lab
        .announcers("nbns")
        .map(|host| host.address)
        .chain([lab.nmbd.address])
        .collect();
    assert!(
        nmbd_hosts.len() >= 2,
        "the lab's NetBIOS hosts: {nmbd_hosts:?}"
    );
    let guard = NoLossOnDrop;
    set_loss(0);
    // Without loss: every nmbd host answers, and its neighbour entry is resolved.
    let found = scan(&lab.subnet);
    assert!(found.is_superset(&nmbd_hosts), "{found:?} {nmbd_hosts:?}");
    set_loss(20);
    let found = scan(&lab.subnet);
    drop(guard);
    assert!(
        found.is_superset(&nmbd_hosts),
        "under 20 % loss found {found:?}, expected {nmbd_hosts:?}"
    );
}
