//! The per-user agent through the `wnet` command, against the Samba lab: started on demand,
//! status and stop, the idle exit, connections ending with their agent, another uid refused,
//! and no password in its log. Each test runs in a sandbox of its own (tests/common).
//!
//! These tests need root (the lab is a network namespace with Samba in it).

mod common;

use common::{
    SERVER_NAME, Sandbox, assert_success, assert_system_error, json, process_gone, run,
    system_error, text, unc, wait_gone,
};

use std::fs;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use wnet_testlab::run_bounded;

/// `agent status|start|stop`: not running is exit 1; started, it reports its PID and its
/// socket is private (0700 directory, 0600 socket); stopped, its process ends.
#[test]
fn agent_start_status_and_stop() {
    let sandbox = Sandbox::new();
    let none = sandbox.wnet(&["agent", "status"]);
    assert_eq!(none.status.code(), Some(1), "{}", text(&none.stderr));
    assert!(
        text(&none.stderr).contains("The wnet agent is not running"),
        "{}",
        text(&none.stderr)
    );

    let started = sandbox.wnet(&["agent", "start"]);
    assert_success(&started);
    let status = sandbox.agent_status().expect("the agent runs after start");
    assert_eq!(status["running"], true);
    assert_eq!(status["connections"], 0);
    assert_eq!(
        status["socket"].as_str(),
        Some(sandbox.socket().to_str().unwrap())
    );
    let pid = status["pid"].as_u64().expect("a pid");
    assert!(!process_gone(pid), "pid {pid} runs");

    let socket = fs::symlink_metadata(sandbox.socket()).expect("the socket exists");
    assert!(socket.file_type().is_socket());
    assert_eq!(socket.permissions().mode() & 0o777, 0o600, "socket mode");
    let dir = fs::metadata(sandbox.socket().parent().unwrap()).expect("its directory");
    assert_eq!(
        dir.permissions().mode() & 0o777,
        0o700,
        "socket directory mode"
    );

    // A second start finds the running agent.
    let again = sandbox.wnet(&["--json", "agent", "start"]);
    assert_success(&again);
    assert_eq!(json(&again)["pid"].as_u64(), Some(pid));

    let stopped = sandbox.wnet(&["--json", "agent", "stop"]);
    assert_success(&stopped);
    assert_eq!(json(&stopped)["stopped"], true);
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "agent {pid} still runs"
    );
    assert!(!sandbox.socket().exists(), "the socket is removed");
    let after = sandbox.wnet(&["agent", "status"]);
    assert_eq!(after.status.code(), Some(1));

    let not_running = sandbox.wnet(&["--json", "agent", "stop"]);
    assert_success(&not_running);
    assert_eq!(json(&not_running)["stopped"], false);
}

/// An agent with no connection exits by itself once idle (WNET_AGENT_IDLE seconds).
#[test]
fn an_idle_agent_exits_by_itself() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_AGENT_IDLE", "1");
    let started = sandbox.wnet(&["--json", "agent", "start"]);
    assert_success(&started);
    let status = json(&started);
    assert_eq!(status["idle_timeout_secs"], 1);
    let pid = status["pid"].as_u64().expect("a pid");
    assert!(
        wait_gone(pid, Duration::from_secs(10)),
        "the idle agent {pid} did not exit"
    );
    assert!(!sandbox.socket().exists(), "the socket is removed");
    assert!(sandbox.agent_status().is_none());
}

/// An idle agent holding a connection stays; connections do not survive a restart.
#[test]
fn connections_end_with_their_agent() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_AGENT_IDLE", "1");
    sandbox.connect("public", "wnetalice");
    let pid = sandbox.agent_pid().expect("the agent runs");
    // Well past the idle period: a connection keeps the agent.
    thread::sleep(Duration::from_secs(3));
    assert!(
        !process_gone(pid),
        "an agent with a connection must not exit when idle"
    );
    assert_eq!(sandbox.connections().len(), 1);

    assert_success(&sandbox.wnet(&["agent", "stop"]));
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "agent {pid} still runs"
    );
    sandbox.set("WNET_AGENT_IDLE", "60");
    assert_success(&sandbox.wnet(&["agent", "start"]));
    let restarted = sandbox.agent_status().expect("a new agent");
    assert_ne!(restarted["pid"].as_u64(), Some(pid));
    assert_eq!(restarted["connections"], 0);
    assert_eq!(restarted["sessions"], 0);
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    let user = sandbox.wnet(&["user", &unc("public")]);
    assert_system_error(&user, 2250);
}

/// A command right after `wnet agent stop` starts a new agent instead of reaching the one
/// going away (which used to reset it: System error 1222).
#[test]
fn a_command_right_after_stop_starts_a_new_agent() {
    let sandbox = Sandbox::new();
    let password = sandbox.password("wnetalice");
    let user = "/user:wnetalice";
    for round in 0..10 {
        let output = sandbox.wnet(&["use", &unc("public"), &password, user]);
        assert!(
            output.status.success(),
            "round {round}: {}",
            text(&output.stderr)
        );
        // More connections, so the stopping agent's shutdown takes longer (it disconnects
        // each over the network before it ends).
        for share in ["readonly", "alice", "hidden$"] {
            assert_success(&sandbox.wnet(&["use", &unc(share), &password, user]));
        }
        // Straight from the stop to the next command: no polling delay in between.
        let stop = run(sandbox
            .program("sh")
            .arg("-c")
            .arg(r#""$0" agent stop >/dev/null && exec "$0" use "$1" "$2" "$3""#)
            .args([env!("CARGO_BIN_EXE_wnet"), &unc("public"), &password, user]));
        assert!(
            stop.status.success(),
            "round {round}: the command right after the stop failed: {}",
            text(&stop.stderr)
        );
        assert_success(&sandbox.wnet(&["agent", "stop"]));
    }
}

/// Two users racing for one server: exactly one gets it, the other gets 1219, as if it had
/// come second (both used to succeed, leaving two users connected to one server).
#[test]
fn racing_users_of_one_server_leave_one_user() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let bob = sandbox.password("wnetbob");
    for round in 0..5 {
        let (first, second) = thread::scope(|scope| {
            let first =
                scope.spawn(|| sandbox.wnet(&["use", &unc("public"), &alice, "/user:wnetalice"]));
            let second =
                scope.spawn(|| sandbox.wnet(&["use", &unc("readonly"), &bob, "/user:wnetbob"]));
            (first.join().unwrap(), second.join().unwrap())
        });
        let outcomes = [&first, &second].map(|output| {
            if output.status.success() {
                None
            } else {
                system_error(output)
            }
        });
        assert!(
            matches!(outcomes, [None, Some(1219)] | [Some(1219), None]),
            "round {round}: one must win and the other get 1219: {outcomes:?} ({} / {})",
            text(&first.stderr),
            text(&second.stderr)
        );
        let rows = sandbox.connections();
        assert_eq!(rows.len(), 1, "round {round}: {rows:?}");
        assert_eq!(sandbox.agent_status().expect("running")["sessions"], 1);
        sandbox.stop_agent();
    }
}

/// A tiny client run as uid/gid 65534: connects to `socket`, sends a status request and
/// prints `CONNECT-ERROR <errno>`, or `REPLY <line>` (`REPLY ` alone when the agent closed
/// the connection without a word).
fn status_as_nobody(socket: &Path) -> String {
    const CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as error:
    print("CONNECT-ERROR", error.errno)
    sys.exit(0)
try:
    s.sendall(b'{"version":1,"request":{"op":"status"}}\n')
except OSError as error:
    print("SEND-ERROR", error.errno)
data = b""
try:
    while b"\n" not in data and len(data) < 65536:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as error:
    print("RECV-ERROR", error.errno)
print("REPLY", data.decode(errors="replace").strip())
"#;
    let output = run_bounded(
        Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .args(["/usr/bin/python3", "-c", CLIENT])
            .arg(socket),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|error| panic!("setpriv: {error}"));
    assert!(
        output.status.success(),
        "the client failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Another uid gets no answer from the agent: the OS refuses it at the private directory,
/// and with the directory opened up the agent itself refuses it (SO_PEERCRED).
#[test]
fn another_uid_gets_no_status() {
    assert!(
        Path::new("/usr/bin/python3").is_file(),
        "this test needs /usr/bin/python3 for its client"
    );
    let sandbox = Sandbox::new();
    assert_success(&sandbox.wnet(&["agent", "start"]));

    // As it is: the 0700 directory keeps the other uid out.
    let refused = status_as_nobody(&sandbox.socket());
    assert!(
        !refused.contains("\"status\""),
        "another uid got a status: {refused}"
    );
    assert_eq!(
        refused.trim(),
        "CONNECT-ERROR 13",
        "the OS must refuse the other uid (EACCES)"
    );

    // Opened up (test only): the agent's own check must refuse it.
    for dir in [
        sandbox.root.clone(),
        sandbox.runtime_dir(),
        sandbox.socket().parent().unwrap().to_owned(),
    ] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o711)).unwrap();
    }
    fs::set_permissions(sandbox.socket(), fs::Permissions::from_mode(0o666)).unwrap();
    let answer = status_as_nobody(&sandbox.socket());
    assert!(
        !answer.contains("\"status\""),
        "another uid got a status: {answer}"
    );
    let reply = answer
        .lines()
        .find_map(|line| line.strip_prefix("REPLY"))
        .unwrap_or_else(|| panic!("the client did not connect: {answer}"))
        .trim();
    if !reply.is_empty() {
        let reply: Value =
            serde_json::from_str(reply).unwrap_or_else(|error| panic!("{error}: {reply}"));
        assert_eq!(reply["result"], "error", "{reply}");
        assert_eq!(reply["code"], 5, "ERROR_ACCESS_DENIED: {reply}");
    }
    // The agent is still there for its own user.
    assert!(sandbox.agent_status().is_some());
}

/// Even at trace level, the agent's log never holds a password, neither of a connection
/// that worked nor of one that failed.
#[test]
fn no_password_in_the_agent_log() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_LOG", "trace");
    assert_success(&sandbox.wnet(&["agent", "start"]));
    let alice = sandbox.password("wnetalice");
    let distinctive = "Qx7-distinctive-Pw-0912";
    sandbox.connect("public", "wnetalice");
    let failed = sandbox.wnet(&["use", &unc("readonly"), distinctive, "/user:wnetbob"]);
    assert_eq!(failed.status.code(), Some(1));
    let failed = sandbox.wnet_with(
        &["use", &format!(r"\\{SERVER_NAME}\public"), "/user:wnetbob"],
        &[("WNET_PASSWORD", distinctive)],
    );
    assert_eq!(failed.status.code(), Some(1));
    assert_success(&sandbox.wnet(&["agent", "stop"]));
    // The log is complete once the agent has ended.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = fs::read(sandbox.agent_log()).expect("agent.log beside the socket");
        if log.windows(13).any(|window| window == b"agent stopped") || Instant::now() >= deadline {
            break log;
        }
        thread::sleep(Duration::from_millis(50));
    };
    assert!(!log.is_empty(), "the agent logged nothing at trace level");
    assert!(
        log.windows(14).any(|window| window == b"add_connection"),
        "requests are logged: {}",
        text(&log)
    );
    for secret in [alice.as_str(), distinctive] {
        let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
        for form in [secret.as_bytes(), utf16.as_slice()] {
            assert!(
                !log.windows(form.len()).any(|window| window == form),
                "a password is in the agent log: {}",
                text(&log)
            );
        }
    }
}
