//! `wnet responder` against Samba's clients and nmbd, between the hosts of the netns lab:
//! nmblookup and nbtscan see our names, flags and MAC; conflicting claims fail; group names
//! coexist; names are released on exit.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use wnet_testlab::{NetnsLab, command_in, run_bounded};

const LIMIT: Duration = Duration::from_secs(30);

/// A responder running in `netns`; ended by SIGTERM on drop if still running.
struct Running {
    child: Child,
}

impl Running {
    /// Starts `wnet --json responder ARGS` in `netns` and waits for its announcement.
    fn start(netns: &str, args: &[&str]) -> (Running, serde_json::Value) {
        let mut child = command_in(netns, env!("CARGO_BIN_EXE_wnet"))
            .arg("--json")
            .arg("responder")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wnet responder starts");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, line) = mpsc::channel();
        std::thread::spawn(move || {
            for text in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(text);
            }
        });
        let announced = line
            .recv_timeout(LIMIT)
            .expect("the responder announced its names");
        let body = serde_json::from_str(&announced).expect("JSON");
        (Running { child }, body)
    }

    /// Sends SIGTERM and waits for the exit (bounded).
    fn stop(mut self) -> Output {
        terminate(self.child.id());
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the responder did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let child = std::mem::replace(&mut self.child, Command::new("true").spawn().expect("true"));
        child.wait_with_output().expect("output")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(self.child.id());
            let _ = self.child.wait();
        }
    }
}

/// SIGTERM to a process this test started (`ip netns exec` execs wnet, so the PID is wnet's).
fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

fn run(command: &mut Command) -> Output {
    run_bounded(command, LIMIT).expect("the tool ran")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `wnet scan -s :` and `nbtscan -s :` over `subnet` print the same lines.
fn assert_scan_matches_nbtscan(subnet: &str) {
    let sorted_lines = |output: &Output| {
        let mut lines: Vec<String> = text(output).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let theirs = sorted_lines(&run(Command::new("nbtscan").args(["-q", "-s", ":", subnet])));
    let ours = sorted_lines(&run(
        Command::new(env!("CARGO_BIN_EXE_wnet")).args(["scan", "-s", ":", subnet])
    ));
    assert_eq!(ours, theirs);
    assert!(ours.len() >= 2, "{ours:?}");
}

/// `nmblookup -A`'s table lists our names, flags and MAC.
fn assert_status_table(table: &str, mac: &str) {
    let row = |name: &str, suffix: &str, group: bool| {
        table.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.first() == Some(&name)
                && fields.get(1) == Some(&suffix)
                && fields.contains(&"<GROUP>") == group
                && fields.contains(&"<ACTIVE>")
        })
    };
    assert!(row("WNETRESP", "<00>", false), "{table}");
    assert!(row("WNETRESP", "<20>", false), "{table}");
    assert!(row("WNETGRP", "<00>", true), "{table}");
    assert!(
        table.contains(&format!(
            "MAC Address = {}",
            mac.to_uppercase().replace(':', "-")
        )),
        "{table}"
    );
}

/// `nbtstat -n` in `netns`: each LANA's node (eth0's address, loopback) lists the names the
/// responder of the test registered.
fn assert_local_names_listed(netns: &str, address: std::net::Ipv4Addr) {
    let local = run(command_in(netns, env!("CARGO_BIN_EXE_wnet"))
        .args(["nbtstat", "-n"])
        .env_remove("WNET_NETBIOS_INTERFACES"));
    assert!(
        local.status.success(),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let table = text(&local);
    assert!(table.contains("eth0 (LANA 0):"), "{table}");
    assert!(
        table.contains(&format!("Node IpAddress: [{address}] Scope Id: []")),
        "{table}"
    );
    for row in [
        "    WNETRESP       <00>  UNIQUE      Registered",
        "    WNETRESP       <20>  UNIQUE      Registered",
        "    WNETGRP        <00>  GROUP       Registered",
    ] {
        assert!(
            table.lines().any(|line| line == row),
            "{row:?} missing:\n{table}"
        );
    }
}

#[test]
fn samba_tools_see_our_names_flags_and_mac_and_conflicts_fail() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let mut free = lab.free_hosts();
    let (host, other) = (
        free.next().expect("a free host"),
        free.next().expect("another"),
    );
    let (responder, announced) = Running::start(
        &host.netns,
        &[
            "--name",
            "WNETRESP",
            "--name",
            "WNETRESP#20",
            "--group",
            "WNETGRP",
        ],
    );
    assert_eq!(announced["address"], host.address.to_string());

    assert_local_names_listed(&host.netns, host.address);
    let eth0 = run(command_in(&host.netns, "cat").arg("/sys/class/net/eth0/address"));
    let mac = String::from_utf8_lossy(&eth0.stdout).trim().to_owned();
    assert_eq!(mac.len(), 17, "eth0's MAC: {mac}");

    // nmblookup by broadcast, from the root namespace on the bridge.
    let broadcast = lab.broadcast.to_string();
    let found = run(Command::new("nmblookup").args(["-B", &broadcast, "WNETRESP"]));
    assert!(
        text(&found)
            .lines()
            .any(|l| l == format!("{} WNETRESP<00>", host.address)),
        "{}",
        text(&found)
    );

    // nmblookup -A: our names with their flags, and our MAC.
    let address = host.address.to_string();
    let status = run(Command::new("nmblookup").args(["-A", &address]));
    assert_status_table(&text(&status), &mac);

    // nbtscan: name, server flag and MAC.
    let scan = run(Command::new("nbtscan").args(["-s", "|", &address]));
    assert_eq!(
        text(&scan).trim(),
        format!("{address}|WNETRESP       |<server>|<unknown>|{mac}"),
    );

    // wnet scan finds what nbtscan finds on the whole subnet, line for line.
    assert_scan_matches_nbtscan(&lab.subnet);

    // A unique claim on our name from the other host fails; a group claim on our group works.
    let conflict = run(command_in(&other.netns, env!("CARGO_BIN_EXE_wnet")).args([
        "responder",
        "--name",
        "WNETRESP",
    ]));
    assert_eq!(conflict.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&conflict.stderr).contains("WNETRESP<00>: refused"),
        "{}",
        String::from_utf8_lossy(&conflict.stderr)
    );
    let (member, _) = Running::start(&other.netns, &["--group", "WNETGRP"]);
    let group = run(Command::new("nmblookup").args(["-B", &broadcast, "WNETGRP"]));
    let group = text(&group);
    let members: Vec<&str> = group
        .lines()
        .filter(|l| l.ends_with("WNETGRP<00>"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        members.contains(&host.address.to_string().as_str()),
        "{members:?}"
    );
    assert!(
        members.contains(&other.address.to_string().as_str()),
        "{members:?}"
    );
    assert!(member.stop().status.success());

    // nmbd defends its own name against us.
    let refused = run(command_in(&other.netns, env!("CARGO_BIN_EXE_wnet")).args([
        "responder",
        "--name",
        &lab.nmbd.name,
    ]));
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Stopping releases the names: nobody answers for them any more.
    let stopped = responder.stop();
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    let gone = run(Command::new("nmblookup").args(["-B", &broadcast, "WNETRESP"]));
    assert!(
        text(&gone).contains("failed to find name"),
        "{}",
        text(&gone)
    );
}

#[test]
fn bad_responder_arguments_are_refused_before_any_traffic() {
    for args in [
        &["responder"][..],
        &["responder", "--name", "*"],
        &["responder", "--name", "WAY-TOO-LONG-NAME"],
        &["responder", "--group", "A#G1"],
    ] {
        let output = run(Command::new(env!("CARGO_BIN_EXE_wnet")).args(args));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
