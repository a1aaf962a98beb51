//! The mDNS and LLMNR engines against real peers on a throwaway link: a namespace
//! `mdnstest1` (198.51.100.242/28) on a bridge `mdnst-br` (198.51.100.241/28, multicast
//! snooping off) in the root namespace, where the client runs over the bridge alone. In the
//! namespace: avahi-daemon (no D-Bus, private mount namespace with a tmpfs /run) publishing
//! `_smb._tcp` port 445 as MDNSHOST; or a Python responder (LLMNR, or hostile mDNS).
//!
//! The link is built by a guard that removes it on drop, and the tests take it one at a time.
//! They need root and avahi-daemon; without them they are skipped with a note. Timings are
//! printed, never asserted.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wnet::dns::llmnr_client::resolve_llmnr;
use wnet::dns::mdns_client::{MAX_SERVERS, MdnsClient, MdnsEvent};
use wnet::multicast::{InterfaceSelection, multicast_interfaces};
use wnet::resolve::{ProviderConfig, Resolution, ResolveStep, Resolver};

const NETNS: &str = "mdnstest1";
const BRIDGE: &str = "mdnst-br";
const VETH: &str = "mdnst-v1";
const PEER: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 242);

/// One link at a time: the tests of this file share its names.
/// The link is one per machine: test processes (nextest runs each test in its own) take
/// turns through an exclusive lock on this file, held until the guard drops.
fn one_link_at_a_time() -> std::fs::File {
    let dir = std::env::temp_dir().join("wnet-lab");
    std::fs::create_dir_all(&dir).expect("the lab's lock directory");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("mdns-test-link.lock"))
        .expect("the link's lock file");
    file.lock().expect("the link's lock");
    file
}

/// Whether this process may build network namespaces (root); else the tests skip.
fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn run(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The namespace on its bridge, and what runs in it; all removed on drop.
struct Link {
    dir: PathBuf,
    peer: Option<Child>,
}

impl Link {
    /// The link, or None (skip) when it cannot be built here.
    fn build() -> Option<Link> {
        if !is_root() {
            eprintln!("skipped: network namespaces need root");
            return None;
        }
        // A namespace left by a test run that was killed goes first.
        if Path::new("/run/netns").join(NETNS).exists() {
            run(&["ip", "netns", "delete", NETNS]);
            run(&["ip", "link", "delete", BRIDGE]);
        }
        assert!(
            run(&["ip", "netns", "add", NETNS]),
            "cannot create netns {NETNS}"
        );
        let dir = std::env::temp_dir().join(format!("wnet-mdns-lab-{}", std::process::id()));
        let link = Link { dir, peer: None };
        let steps: &[&[&str]] = &[
            &[
                "ip",
                "link",
                "add",
                BRIDGE,
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ],
            &["ip", "addr", "add", "198.51.100.241/28", "dev", BRIDGE],
            &["ip", "link", "set", BRIDGE, "up"],
            &[
                "ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NETNS,
            ],
            &["ip", "link", "set", VETH, "master", BRIDGE, "up"],
            &[
                "ip",
                "-n",
                NETNS,
                "addr",
                "add",
                "198.51.100.242/28",
                "dev",
                "eth0",
            ],
            &["ip", "-n", NETNS, "link", "set", "eth0", "up"],
            &["ip", "-n", NETNS, "link", "set", "lo", "up"],
            &[
                "ip",
                "-n",
                NETNS,
                "route",
                "add",
                "224.0.0.0/4",
                "dev",
                "eth0",
            ],
        ];
        for step in steps {
            assert!(run(step), "{step:?} failed");
        }
        std::fs::create_dir_all(link.dir.join("services")).ok()?;
        Some(link)
    }

    fn client() -> MdnsClient {
        let interfaces = multicast_interfaces(&InterfaceSelection::Named(vec![BRIDGE.into()]))
            .expect("interfaces");
        assert_eq!(interfaces.len(), 1, "{interfaces:?}");
        MdnsClient::new(interfaces)
    }

    /// Starts avahi-daemon publishing MDNSHOST's `_smb._tcp` on 445; true once it says the
    /// service is established (bounded wait).
    fn start_avahi(&mut self) -> bool {
        let config = self.dir.join("avahi-daemon.conf");
        let services = self.dir.join("services");
        let log = self.dir.join("avahi.log");
        let written = std::fs::write(
            &config,
            "[server]\nhost-name=MDNSHOST\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\n\
             enable-dbus=no\n[publish]\npublish-workstation=no\npublish-hinfo=no\n\
             [wide-area]\nenable-wide-area=no\n",
        )
        .and_then(|()| {
            std::fs::write(
                services.join("smb.service"),
                "<?xml version=\"1.0\" standalone='no'?>\n<service-group>\n\
                 <name>MDNSHOST</name>\n<service><type>_smb._tcp</type><port>445</port>\
                 </service>\n</service-group>\n",
            )
        });
        let Ok(log_file) = written.and_then(|()| std::fs::File::create(&log)) else {
            return false;
        };
        let script = format!(
            "mount -t tmpfs tmpfs /run && mount --bind {} /etc/avahi/services && \
             exec avahi-daemon -f {} --no-drop-root --no-chroot --no-rlimits",
            services.display(),
            config.display()
        );
        let Ok(stderr) = log_file.try_clone() else {
            return false;
        };
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                NETNS,
                "unshare",
                "-m",
                "--propagation",
                "private",
            ])
            .args(["sh", "-c", &script])
            .stdout(log_file)
            .stderr(stderr)
            .spawn();
        let Ok(child) = child else { return false };
        self.peer = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("successfully established") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Runs a Python responder in the namespace; true once it is listening (bounded wait).
    fn start_python(&mut self, code: &str) -> bool {
        let script = self.dir.join("responder.py");
        let ready = self.dir.join("ready");
        if std::fs::write(&script, code).is_err() {
            return false;
        }
        let child = Command::new("ip")
            .args(["netns", "exec", NETNS, "python3"])
            .arg(&script)
            .arg(&ready)
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.peer = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ready.exists() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Stops the peer (SIGTERM: avahi sends its goodbyes) and waits for it, bounded.
    fn stop_peer(&mut self) {
        let Some(mut child) = self.peer.take() else {
            return;
        };
        run(&["kill", "-TERM", &child.id().to_string()]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stop_peer();
        run(&["ip", "link", "del", VETH]);
        run(&["ip", "link", "del", BRIDGE]);
        run(&["ip", "netns", "del", NETNS]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Browse (the first server as soon as complete, then a whole window) and resolve.
async fn browse_and_resolve(client: &MdnsClient) {
    let start = Instant::now();
    let (sender, mut receiver) = mpsc::channel(8);
    let browse = tokio::spawn({
        let client = client.clone();
        async move { client.browse(Duration::from_secs(2), sender).await }
    });
    let first = tokio::time::timeout(Duration::from_secs(3), receiver.recv())
        .await
        .expect("a server within the window")
        .expect("a server");
    let first_after = start.elapsed();
    browse.await.expect("browse ends");
    println!("mDNS browse: first server after {first_after:?}: {first:?}");
    assert_eq!(first.instance, "MDNSHOST");
    assert!(
        first.host.eq_ignore_ascii_case("MDNSHOST.local"),
        "{first:?}"
    );
    assert_eq!(first.port, 445);
    assert!(first.addresses.contains(&IpAddr::V4(PEER)), "{first:?}");

    let start = Instant::now();
    let all = client.browse_all(Duration::from_secs(2)).await;
    println!(
        "mDNS browse_all (2 s window): {:?}: {all:?}",
        start.elapsed()
    );
    assert_eq!(all.len(), 1, "{all:?}");

    let start = Instant::now();
    let answer = client
        .resolve("MDNSHOST.local", Duration::from_secs(2))
        .await;
    println!("mDNS resolve: {:?}: {answer:?}", start.elapsed());
    assert_eq!(answer.map(|(address, _)| address), Some(PEER));
    assert_eq!(
        client
            .resolve("NOSUCHHOST.local", Duration::from_millis(500))
            .await,
        None
    );
}

/// The resolver's mDNS step, raced with LLMNR (nobody answers that): a single label
/// is asked as MDNSHOST.local; the second time the cache answers, source kept.
async fn resolver_step_finds_and_caches() {
    let resolver = Resolver::new(ProviderConfig {
        resolve_order: vec![ResolveStep::Llmnr, ResolveStep::Mdns],
        multicast: InterfaceSelection::Named(vec![BRIDGE.into()]),
        ..ProviderConfig::default()
    });
    let start = Instant::now();
    let resolution = resolver
        .resolve_detailed("MDNSHOST")
        .await
        .expect("resolved");
    println!(
        "resolver (llmnr+mdns step): {:?}: {resolution:?}",
        start.elapsed()
    );
    let expected = Resolution {
        address: PEER,
        step: Some(ResolveStep::Mdns),
        cached: false,
    };
    assert_eq!(resolution, expected);
    let again = resolver.resolve_detailed("mdnshost").await.expect("cached");
    assert_eq!(
        again,
        Resolution {
            cached: true,
            ..expected
        }
    );
    assert_eq!(resolver.cache_entries().len(), 1);
}

#[test]
fn avahi_is_browsed_resolved_and_heard_leaving() {
    let _one = one_link_at_a_time();
    if !std::path::Path::new("/usr/sbin/avahi-daemon").exists() {
        eprintln!("skipped: no avahi-daemon");
        return;
    }
    let Some(mut link) = Link::build() else {
        return;
    };
    assert!(link.start_avahi(), "avahi-daemon did not start");
    let client = Link::client();
    let runtime = runtime();
    runtime.block_on(async {
        browse_and_resolve(&client).await;
        resolver_step_finds_and_caches().await;

        // Listen, then stop avahi: its goodbyes withdraw the instance.
        let (sender, mut events) = mpsc::channel(16);
        let listener = tokio::spawn({
            let client = client.clone();
            async move { client.listen(sender).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The link stays up until the goodbye is read (dropped at the end of the test).
        let _link = tokio::task::spawn_blocking(move || {
            link.stop_peer();
            link
        })
        .await
        .expect("avahi stopped");
        let goodbye = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(event) = events.recv().await {
                if let MdnsEvent::Goodbye { instance } = event {
                    return Some(instance);
                }
            }
            None
        })
        .await
        .expect("a goodbye within 5 s");
        assert_eq!(goodbye.as_deref(), Some("MDNSHOST"));
        drop(events);
        let ended = tokio::time::timeout(Duration::from_secs(2), listener).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
    });
}

/// An LLMNR responder (RFC 4795): answers A queries for LLMNRHOST with 198.51.100.242,
/// only the second copy of each query (to show the retransmission), by unicast.
const LLMNR_RESPONDER: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("224.0.0.252", 5355))
mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.252"), socket.inet_aton("198.51.100.242"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
open(sys.argv[1], "w").close()
seen = set()
for _ in range(100):
    data, peer = s.recvfrom(2048)
    ident = data[:2]
    qname_end = data.index(b"\0", 12) + 1
    question = data[12:qname_end + 4]
    name = data[13:13 + data[12]].lower()
    if name != b"llmnrhost" or question[-4:] != b"\0\x01\0\x01":
        continue
    if (peer, ident) not in seen:
        seen.add((peer, ident))
        continue
    answer = b"\xc0\x0c\0\x01\0\x01\0\0\0\x1e\0\x04" + socket.inet_aton("198.51.100.242")
    reply = ident + b"\x80\0\0\x01\0\x01\0\0\0\0" + question + answer
    # A reply to another id first: it must be ignored.
    s.sendto(b"\xff\xff" + reply[2:], peer)
    s.sendto(reply, peer)
"#;

#[test]
fn llmnr_resolves_after_one_retransmission() {
    let _one = one_link_at_a_time();
    let Some(mut link) = Link::build() else {
        return;
    };
    assert!(
        link.start_python(LLMNR_RESPONDER),
        "responder did not start"
    );
    let interfaces = Link::client().interfaces().to_vec();
    runtime().block_on(async {
        let start = Instant::now();
        let found = resolve_llmnr(&interfaces, "LLMNRHOST", Duration::from_secs(2)).await;
        println!(
            "LLMNR resolve (answered on the retransmission): {:?}",
            start.elapsed()
        );
        assert_eq!(found, Some((PEER, 30)));
        assert_eq!(
            resolve_llmnr(&interfaces, "other", Duration::from_millis(400)).await,
            None
        );
        // Names of more than one label are not LLMNR's.
        assert_eq!(
            resolve_llmnr(&interfaces, "llmnrhost.example", Duration::from_millis(400)).await,
            None
        );
    });
}

/// A hostile mDNS responder: answers every query, by unicast, with a burst of garbage,
/// pointer loops, and messages of 64 PTRs each naming new instances (with SRV and A), so
/// that many more instances than MAX_SERVERS are offered.
const HOSTILE_RESPONDER: &str = r#"
import socket, struct, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("224.0.0.251", 5353))
mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.251"), socket.inet_aton("198.51.100.242"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
open(sys.argv[1], "w").close()
def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".")) + b"\0"
def rr(owner, rtype, ttl, data):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(data)) + data
counter = 0
for _ in range(20):
    data, peer = s.recvfrom(9000)
    for burst in range(40):
        s.sendto(os.urandom(300), peer)
        # A PTR whose target points at itself.
        loop = rr(name("_smb._tcp.local"), 12, 120, b"\xc0\x27")
        s.sendto(b"\0\0\x84\0\0\0\0\x01\0\0\0\0" + loop, peer)
        answers = b""
        additional = b""
        for i in range(20):
            counter += 1
            inst = name("evil%d._smb._tcp.local" % counter)
            host = name("evil%d.local" % counter)
            answers += rr(name("_smb._tcp.local"), 12, 120, inst)
            additional += rr(inst, 33, 120, b"\0\0\0\0\x01\xbd" + host)
            additional += rr(host, 1, 120, bytes([198, 51, 100, counter % 250]))
        s.sendto(struct.pack(">HHHHHH", 0, 0x8400, 0, 20, 0, 40) + answers + additional, peer)
"#;

#[test]
fn a_hostile_responder_cannot_hold_or_swell_a_browse() {
    let _one = one_link_at_a_time();
    let Some(mut link) = Link::build() else {
        return;
    };
    assert!(
        link.start_python(HOSTILE_RESPONDER),
        "responder did not start"
    );
    let client = Link::client();
    runtime().block_on(async {
        let start = Instant::now();
        let all = tokio::time::timeout(
            Duration::from_secs(5),
            client.browse_all(Duration::from_millis(2500)),
        )
        .await
        .expect("the browse ends with its window");
        println!(
            "hostile browse: {} servers in {:?}",
            all.len(),
            start.elapsed()
        );
        assert!(!all.is_empty());
        assert!(all.len() <= MAX_SERVERS, "{}", all.len());
        assert!(all.iter().all(|server| server.instance.starts_with("evil")));
    });
}

/// A terse mDNS responder: answers each question with its one record and nothing more (no
/// additional section), so that the browse must ask SRV/TXT and then A/AAAA itself.
const TERSE_RESPONDER: &str = r#"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("224.0.0.251", 5353))
mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.251"), socket.inet_aton("198.51.100.242"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
open(sys.argv[1], "w").close()
def name(text):
    return b"".join(bytes([len(l)]) + l.encode() for l in text.split(".")) + b"\0"
def rr(owner, rtype, data):
    return owner + struct.pack(">HHIH", rtype, 1, 120, len(data)) + data
for _ in range(50):
    data, peer = s.recvfrom(9000)
    at, labels = 12, []
    while data[at]:
        labels.append(data[at + 1:at + 1 + data[at]].decode())
        at += 1 + data[at]
    asked = ".".join(labels).lower()
    rtype = struct.unpack(">H", data[at + 1:at + 3])[0]
    if asked == "_smb._tcp.local" and rtype == 12:
        record = rr(name("_smb._tcp.local"), 12, name("TERSE._smb._tcp.local"))
    elif asked == "terse._smb._tcp.local" and rtype == 33:
        record = rr(name("TERSE._smb._tcp.local"), 33, b"\0\0\0\0\x01\xbd" + name("terse.local"))
    elif asked == "terse.local" and rtype == 1:
        record = rr(name("terse.local"), 1, socket.inet_aton("198.51.100.242"))
    else:
        continue
    s.sendto(data[:2] + b"\x84\0\0\0\0\x01\0\0\0\0" + record, peer)
"#;

#[test]
fn a_browse_asks_for_what_the_answers_left_out() {
    let _one = one_link_at_a_time();
    let Some(mut link) = Link::build() else {
        return;
    };
    assert!(
        link.start_python(TERSE_RESPONDER),
        "responder did not start"
    );
    let client = Link::client();
    runtime().block_on(async {
        let start = Instant::now();
        let (sender, mut receiver) = mpsc::channel(8);
        let browse = tokio::spawn({
            let client = client.clone();
            async move { client.browse(Duration::from_secs(2), sender).await }
        });
        let server = tokio::time::timeout(Duration::from_secs(3), receiver.recv())
            .await
            .expect("a server within the window")
            .expect("a server");
        println!(
            "mDNS browse with follow-ups: complete after {:?}: {server:?}",
            start.elapsed()
        );
        browse.await.expect("browse ends");
        assert_eq!(server.instance, "TERSE");
        assert_eq!(server.host, "terse.local");
        assert_eq!(server.port, 445);
        assert_eq!(server.addresses, vec![IpAddr::V4(PEER)]);
    });
}
