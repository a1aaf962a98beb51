//! Datagrams between the hosts of the netns lab (198.51.100.128/26, broadcast
//! 198.51.100.191): a direct unique datagram from wnetnb2 to wnetnb3, and a group and a
//! broadcast datagram that listeners on both hosts receive.
//!
//! The programs in the namespaces are this test binary itself, run again with
//! `WNET_DATAGRAM_PEER` set: [`peer_process_for_netns_tests`] then becomes a listener or a
//! sender (and is a no-op in a normal run). That keeps the peer built with the test, always.
//! Every peer ends by itself after a bounded time; the test also kills it by PID if not.
//!
//! A port of our own (not 138) is used everywhere, so nmbd on wnetnb1 is never disturbed.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wnet_nbt::datagram::{DatagramConfig, DatagramEndpoint, DatagramFilter};
use wnet_nbt::wire::{DataKind, NetbiosName, ScopedName};
use wnet_testlab::{NetnsLab, command_in, run_bounded};

/// The environment variable that turns this binary into a peer: `listen` or `send`.
const PEER: &str = "WNET_DATAGRAM_PEER";
/// The peer's arguments, space separated.
const PEER_ARGS: &str = "WNET_DATAGRAM_PEER_ARGS";
/// How long any peer runs at most.
const PEER_LIMIT: Duration = Duration::from_secs(20);

fn name(text: &str) -> ScopedName {
    ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
}

fn kind_text(kind: DataKind) -> &'static str {
    match kind {
        DataKind::DirectUnique => "unique",
        DataKind::DirectGroup => "group",
        DataKind::Broadcast => "broadcast",
    }
}

/// The peer side. `listen PORT COUNT`: binds 0.0.0.0:PORT, prints `READY`, then one line
/// `GOT kind source destination source_address data` per datagram until COUNT arrived or
/// the limit passed. `send PORT UNIQUE_TARGET BROADCAST_ADDRESS`: sends a unique datagram to
/// UNIQUE_TARGET:PORT, then a group and a broadcast datagram to BROADCAST_ADDRESS:PORT.
#[tokio::test]
async fn peer_process_for_netns_tests() {
    let Ok(role) = std::env::var(PEER) else {
        return;
    };
    let args: Vec<String> = std::env::var(PEER_ARGS)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let port: u16 = args[0].parse().expect("a port");
    let mut out = std::io::stdout();
    match role.as_str() {
        "listen" => {
            let count: usize = args[1].parse().expect("a count");
            let endpoint = DatagramEndpoint::bind(DatagramConfig::bound_to(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                port,
            )))
            .await
            .expect("bound");
            let mut everything = endpoint.subscribe(DatagramFilter::Everything);
            writeln!(out, "READY").expect("stdout");
            out.flush().expect("stdout");
            let deadline = Instant::now() + PEER_LIMIT;
            for _ in 0..count {
                let left = deadline.saturating_duration_since(Instant::now());
                let Some(got) = everything.recv_timeout(left).await else {
                    break;
                };
                writeln!(
                    out,
                    "GOT {} {} {} {} {}",
                    kind_text(got.kind),
                    got.source.name.name(),
                    got.destination.name,
                    got.source_address,
                    String::from_utf8_lossy(&got.data)
                )
                .expect("stdout");
                out.flush().expect("stdout");
            }
        }
        "send" => {
            let unique: Ipv4Addr = args[1].parse().expect("an address");
            let broadcast: Ipv4Addr = args[2].parse().expect("an address");
            let endpoint = DatagramEndpoint::bind(DatagramConfig {
                broadcast_addresses: vec![SocketAddrV4::new(broadcast, port)],
                ..DatagramConfig::bound_to(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
            })
            .await
            .expect("bound");
            let source = name("NB2SENDER");
            endpoint
                .send_unique(
                    &source,
                    &name("NB3LISTENER"),
                    b"unique-to-nb3",
                    &[SocketAddrV4::new(unique, port)],
                )
                .await
                .expect("unique sent");
            endpoint
                .send_group(&source, &name("WNETGROUP#1E"), b"group-to-all")
                .await
                .expect("group sent");
            endpoint
                .send_broadcast(
                    &source,
                    &ScopedName::new(NetbiosName::wildcard()),
                    b"broadcast-to-all",
                )
                .await
                .expect("broadcast sent");
            writeln!(out, "SENT").expect("stdout");
        }
        other => panic!("unknown peer role {other}"),
    }
}

/// This test binary, run as a peer in `netns`.
fn peer_in(netns: &str, role: &str, args: &str) -> std::process::Command {
    let mut command = command_in(
        netns,
        std::env::current_exe().expect("the test binary's path"),
    );
    command
        .args(["--exact", "peer_process_for_netns_tests", "--nocapture"])
        .env(PEER, role)
        .env(PEER_ARGS, args);
    command
}

/// A listener peer running in a namespace, with its output lines.
struct Listener {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    fn start(netns: &str, port: u16, count: usize) -> Listener {
        let mut child = peer_in(netns, "listen", &format!("{port} {count}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the listener starts");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        let listener = Listener { child, lines };
        let deadline = Instant::now() + PEER_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match listener.lines.recv_timeout(left) {
                Ok(line) if line == "READY" => return listener,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the listener in {netns} never became ready")
                }
            }
        }
    }

    /// The `GOT` lines, once the listener has ended by itself (bounded; killed by PID if not).
    fn received(mut self) -> Vec<String> {
        let deadline = Instant::now() + PEER_LIMIT + Duration::from_secs(5);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if Instant::now() >= deadline {
                // Ours: end it by its PID.
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut got: Vec<String> = self
            .lines
            .try_iter()
            .filter_map(|line| line.strip_prefix("GOT ").map(str::to_owned))
            .collect();
        got.sort();
        got
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn unique_group_and_broadcast_datagrams_cross_the_netns_lab() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let hosts: Vec<_> = lab.free_hosts().cloned().collect();
    assert!(hosts.len() >= 2, "the lab has two free hosts");
    let (nb2, nb3) = (&hosts[0], &hosts[1]);
    // A port per process, so that parallel runs never meet.
    let port = 20_000 + (std::process::id() % 20_000) as u16;

    let on_nb3 = Listener::start(&nb3.netns, port, 3);
    let on_nb2 = Listener::start(&nb2.netns, port, 2);
    let sent = run_bounded(
        &mut peer_in(
            &nb2.netns,
            "send",
            &format!("{port} {} {}", nb3.address, lab.broadcast),
        ),
        PEER_LIMIT,
    )
    .expect("the sender ran");
    assert!(
        String::from_utf8_lossy(&sent.stdout).contains("SENT"),
        "sender: {}",
        String::from_utf8_lossy(&sent.stderr)
    );

    let from = nb2.address;
    let on_nb3 = on_nb3.received();
    let on_nb2 = on_nb2.received();
    let line = |kind: &str, destination: &str, data: &str| {
        (kind.to_owned(), destination.to_owned(), data.to_owned())
    };
    let parse = |lines: &[String]| -> Vec<(String, String, String)> {
        lines
            .iter()
            .map(|text| {
                let fields: Vec<&str> = text.split(' ').collect();
                assert_eq!(fields[1], "NB2SENDER", "{text}");
                assert!(
                    fields[3].starts_with(&format!("{from}:")),
                    "SOURCE_IP is the sender's: {text}"
                );
                line(fields[0], fields[2], fields[4])
            })
            .collect()
    };
    assert_eq!(
        parse(&on_nb3),
        [
            line("broadcast", "*<00>", "broadcast-to-all"),
            line("group", "WNETGROUP<1e>", "group-to-all"),
            line("unique", "NB3LISTENER<00>", "unique-to-nb3"),
        ]
    );
    assert_eq!(
        parse(&on_nb2),
        [
            line("broadcast", "*<00>", "broadcast-to-all"),
            line("group", "WNETGROUP<1e>", "group-to-all"),
        ],
        "the sender's own host hears its broadcasts, not the unique datagram"
    );
}
