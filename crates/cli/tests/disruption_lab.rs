//! Connections and drives when the lab's server misbehaves: its smbd killed or stopped, a
//! kept session dropped, a server gone: operations fail within bounds and the agent connects
//! again. Each test runs in a sandbox of its own (tests/common).
//!
//! These tests need root (the lab is a network namespace with Samba in it).

mod common;

use common::{
    SERVER, agent_sessions, assert_success, continue_when_dropped, kill_smbd,
    kill_smbd_connections, lab_alone, smbd_connection_processes, system_error, text, unc, view_as,
};

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use wnet_testlab::SambaLab;

/// The server drops a mapped drive's connection (the smbd serving it is killed; the server
/// stays): the agent connects it again by itself, with the credentials it was made with, and
/// the drive serves files over the new connection — reads, writes, `wnet use` saying OK — with
/// one session still. The test holds the lab alone, since it kills every connection's smbd.
#[test]
fn a_mapped_drive_reconnects_after_the_server_drops_it() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let output = sandbox.wnet(&["use", "Y:", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Y");
    let share_dir = lab.share("public").expect("public").path.clone();
    let before = format!("reconnect-before-{}.txt", std::process::id());
    fs::write(mount.join(&before), b"written before\n").expect("write through the drive");
    assert_eq!(
        fs::read(share_dir.join(&before)).expect("on the server"),
        b"written before\n"
    );

    kill_smbd_connections(&lab);
    // Until the agent has connected again, operations fail (EIO); then they work. Bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let read_back = loop {
        match fs::read(mount.join(&before)) {
            Ok(bytes) => break bytes,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the drive never served files again after the server dropped it: {error}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(read_back, b"written before\n");
    let after = format!("reconnect-after-{}.txt", std::process::id());
    fs::write(mount.join(&after), b"written after\n").expect("write after the reconnection");
    assert_eq!(
        fs::read(share_dir.join(&after)).expect("on the server"),
        b"written after\n"
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["local"], "Y:");
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    assert_eq!(
        agent_sessions(&sandbox),
        1,
        "the lost session replaced, not added to"
    );
    assert_success(&sandbox.wnet(&["use", "Y:", "/delete"]));
}

/// The smbd serving a mapped drive stops answering (SIGSTOP; the server's main process still
/// takes new connections): the first operation fails after one request timeout
/// (WNET_SMB_TIMEOUT=5) and the agent takes the connection as lost (`wnet use` says so, as
/// Windows does after its session timeout), then connects it again, and the drive works while
/// the old smbd is still stopped.
#[test]
fn a_drive_whose_server_stops_answering_is_connected_again() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let before = smbd_connection_processes(&lab);
    let output = sandbox.wnet(&["use", "X:", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&output);
    let ours: Vec<u32> = smbd_connection_processes(&lab)
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "one smbd serves the agent's connection: {ours:?}"
    );
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("X");
    let share_dir = lab.share("public").expect("public").path.clone();
    let name = format!("hung-{}.txt", std::process::id());
    fs::write(share_dir.join(&name), b"on the server\n").expect("a file on the server");

    let _ = Command::new("kill")
        .args(["-STOP", &ours[0].to_string()])
        .status();
    let continued = continue_when_dropped(ours[0]);
    let started = Instant::now();
    let stuck = fs::read(mount.join(&name));
    let took = started.elapsed();
    assert!(
        stuck.is_err(),
        "a read from a stopped server cannot succeed"
    );
    assert!(
        took < Duration::from_secs(20),
        "the read failed within bounds: {took:?}"
    );
    // Connected again (a new smbd), the old one still stopped.
    let deadline = Instant::now() + Duration::from_secs(30);
    let read_back = loop {
        match fs::read(mount.join(&name)) {
            Ok(bytes) => break bytes,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the drive never worked again after its server stopped answering: {error}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(read_back, b"on the server\n");
    let rows = sandbox.connections();
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    drop(continued);
    assert_success(&sandbox.wnet(&["use", "X:", "/delete"]));
}

/// The server drops the connection under a kept listing session (its smbd for that
/// connection is killed, the server itself stays): the next listing is not an error — the
/// agent notices and lists over a new session. The test holds the lab alone, since it kills
/// every connection's smbd.
#[test]
fn a_listing_survives_the_server_dropping_the_kept_session() {
    let (_alone, lab, sandbox, password) = lab_alone();
    assert_success(&view_as(&sandbox, "wnetalice", &password));
    assert_eq!(agent_sessions(&sandbox), 1);

    kill_smbd_connections(&lab);

    let again = view_as(&sandbox, "wnetalice", &password);
    assert_success(&again);
    assert!(
        text(&again.stdout).contains("public"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        agent_sessions(&sandbox),
        1,
        "the dead session replaced, not added to"
    );
}

/// smbd is killed under a held session: the next operation fails with a Windows error within
/// a bound instead of hanging. The lab's namespace stays, so the lab's address still leads into
/// it (where nothing listens any more) and no packet follows the default route out of the
/// machine; the test holds the lab alone and brings it back up however it ends.
///
/// The bound is generous (60 s, with WNET_SMB_TIMEOUT=5): the agent sees its connection closed
/// by the kill and fails to reconnect at once (port closed), or waits for one request timeout.
#[test]
fn a_server_that_goes_away_fails_operations_within_bounds() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let connected = sandbox.wnet(&["use", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&connected);
    // Listing works before.
    assert_success(&sandbox.wnet(&["view", &format!(r"\\{SERVER}")]));

    // smbd dies (every smbd process of the lab, by PID), its namespace stays: the address
    // still leads into the lab, where nothing listens any more.
    kill_smbd(&lab);
    let started = Instant::now();
    let view = sandbox.wnet(&["view", &format!(r"\\{SERVER}")]);
    let took = started.elapsed();
    let code = system_error(&view);
    assert_eq!(view.status.code(), Some(1), "{}", text(&view.stderr));
    assert!(
        matches!(code, Some(53 | 59 | 64 | 67 | 1222)),
        "a network error Windows gives for a vanished server, not {code:?}: {}",
        text(&view.stderr)
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    eprintln!(
        "view after the lab went down: system error {code:?} in {took:?}: {}",
        text(&view.stderr).trim()
    );

    // The lab back: a new connection works again (the dead one is replaced).
    SambaLab::up().unwrap_or_else(|error| panic!("lab up: {error}"));
    let _ = sandbox.wnet(&["use", &unc("public"), "/delete"]);
    let again = sandbox.wnet(&["use", &unc("readonly"), &password, "/user:wnetalice"]);
    assert_success(&again);
}
