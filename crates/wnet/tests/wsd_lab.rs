//! The WS-Discovery client against real `wsdd` hosts and a hostile peer, in network namespaces
//! of the test's own making: a bridge `wsdt-br` (198.51.100.225/28, multicast snooping off)
//! in the root namespace and a namespace per host on a veth into it, torn down by a guard
//! (see lab-recipes, "WS-Discovery and mDNS announcers in namespaces"). Every run of the
//! client uses that bridge only: nothing is multicast anywhere else.
//!
//! Where `lab/netns` has hosts that announce by WSD, the client is also run against them.
//!
//! Needs root, `ip` and `wsdd`; skips with a message otherwise.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wnet::multicast::{InterfaceSelection, multicast_interfaces};
use wnet::wsd::client::{MAX_COMPUTERS, WsdClient, WsdComputer, WsdEvent};
use wnet::wsd::metadata::Membership;
use wnet_testlab::run_bounded;

const BRIDGE: &str = "wsdt-br";
const BRIDGE_ADDRESS: &str = "198.51.100.225/28";
const WSDD: &str = "/usr/sbin/wsdd";
const PYTHON: &str = "/usr/bin/python3";

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = run_bounded(Command::new(program).args(args), Duration::from_secs(20))
        .map_err(|error| format!("{program} {args:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Why the fixture cannot be made here, if it cannot.
fn unavailable() -> Option<String> {
    if !nix::unistd::Uid::effective().is_root() {
        return Some("needs root for network namespaces".into());
    }
    for tool in [WSDD, PYTHON] {
        if !Path::new(tool).is_file() {
            return Some(format!("{tool} is not installed"));
        }
    }
    if run("ip", &["-V"]).is_err() {
        return Some("iproute2 is not installed".into());
    }
    None
}

/// A host on the bridge: its namespace and address.
struct Host {
    netns: String,
    address: Ipv4Addr,
}

/// The bridge, the namespaces and the processes started in them; all removed when dropped.
/// One at a time, across threads and processes: it holds a lock on a file while it lives.
struct Fixture {
    hosts: Vec<Host>,
    daemons: Vec<Child>,
    dir: PathBuf,
    _lock: std::fs::File,
}

impl Fixture {
    /// The bridge with `count` hosts, 198.51.100.226 onwards, namespaces `wsdtest1`...
    fn new(count: u8) -> Result<Fixture, String> {
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(std::env::temp_dir().join("wnet-wsd-lab.lock"))
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|error| format!("the fixture's lock: {error}"))?;
        let dir = std::env::temp_dir().join(format!("wnet-wsd-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let mut fixture = Fixture {
            hosts: Vec::new(),
            daemons: Vec::new(),
            dir,
            _lock: lock,
        };
        // Leftovers of a run that was killed.
        Fixture::remove(count.max(3));
        run(
            "ip",
            &[
                "link",
                "add",
                BRIDGE,
                "type",
                "bridge",
                "mcast_snooping",
                "0",
            ],
        )?;
        run("ip", &["addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE])?;
        run("ip", &["link", "set", BRIDGE, "up"])?;
        for number in 1..=count {
            fixture.hosts.push(Fixture::add_host(number)?);
        }
        Ok(fixture)
    }

    fn add_host(number: u8) -> Result<Host, String> {
        let netns = format!("wsdtest{number}");
        let address = Ipv4Addr::new(198, 51, 100, 225 + number);
        let outside = format!("wsdt{number}-h");
        let inside = format!("wsdt{number}-n");
        let cidr = format!("{address}/28");
        run("ip", &["netns", "add", &netns])?;
        run(
            "ip",
            &[
                "link", "add", &outside, "type", "veth", "peer", "name", &inside, "netns", &netns,
            ],
        )?;
        run("ip", &["link", "set", &outside, "master", BRIDGE, "up"])?;
        run(
            "ip",
            &["-n", &netns, "link", "set", &inside, "name", "eth0"],
        )?;
        run("ip", &["-n", &netns, "addr", "add", &cidr, "dev", "eth0"])?;
        run("ip", &["-n", &netns, "link", "set", "eth0", "up"])?;
        run("ip", &["-n", &netns, "link", "set", "lo", "up"])?;
        run(
            "ip",
            &["-n", &netns, "route", "add", "224.0.0.0/4", "dev", "eth0"],
        )?;
        Ok(Host { netns, address })
    }

    fn remove(count: u8) {
        for number in 1..=count {
            let _ = run("ip", &["netns", "del", &format!("wsdtest{number}")]);
        }
        let _ = run("ip", &["link", "del", BRIDGE]);
    }

    /// Starts `program` with `args` in the namespace of host `host`, its output in `log`.
    fn spawn_in(&mut self, host: usize, log: &str, program: &[&str]) -> Result<usize, String> {
        let log = std::fs::File::create(self.dir.join(log)).map_err(|error| error.to_string())?;
        let err = log.try_clone().map_err(|error| error.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.hosts[host].netns])
            .args(program)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|error| error.to_string())?;
        self.daemons.push(child);
        Ok(self.daemons.len() - 1)
    }

    /// Starts wsdd on host `host` as `name` in `workgroup` with endpoint `uuid`, over IPv4
    /// (`-4`) or IPv6 (`-6`), and waits until it has joined the group (and, over IPv4, serves
    /// its metadata).
    fn start_wsdd(
        &mut self,
        host: usize,
        family: &str,
        name: &str,
        workgroup: &str,
        uuid: &str,
    ) -> usize {
        let log = format!("wsdd-{name}.log");
        let daemon = self
            .spawn_in(
                host,
                &log,
                &[
                    PYTHON, WSDD, family, "-v", "-i", "eth0", "-n", name, "-w", workgroup, "-U",
                    uuid,
                ],
            )
            .expect("wsdd starts");
        let address = self.hosts[host].address;
        Fixture::wait_for(&format!("wsdd {name}"), || {
            std::fs::read_to_string(self.dir.join(&log))
                .is_ok_and(|text| text.contains("joined multicast group"))
                && (family == "-6"
                    || TcpStream::connect_timeout(&(address, 5357).into(), Duration::from_secs(1))
                        .is_ok())
        });
        daemon
    }

    /// Waits until the bridge's link-local IPv6 address is usable (not tentative).
    fn wait_for_ipv6() {
        Fixture::wait_for("the bridge's link-local IPv6 address", || {
            run_bounded(
                Command::new("ip").args(["-6", "addr", "show", "dev", BRIDGE, "scope", "link"]),
                Duration::from_secs(10),
            )
            .is_ok_and(|output| {
                let text = String::from_utf8_lossy(&output.stdout);
                text.contains("fe80::") && !text.contains("tentative")
            })
        });
    }

    fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ready() {
            assert!(Instant::now() < deadline, "{what} did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM to daemon `daemon` (wsdd says Bye), then waits for it to exit.
    fn stop(&mut self, daemon: usize) {
        let child = &mut self.daemons[daemon];
        let _ = run("kill", &["-TERM", &child.id().to_string()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn client() -> WsdClient {
        let interfaces = multicast_interfaces(&InterfaceSelection::Named(vec![BRIDGE.into()]))
            .expect("the interfaces");
        assert_eq!(interfaces.len(), 1, "{BRIDGE} is up");
        WsdClient::new(interfaces)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for child in &mut self.daemons {
            let _ = child.kill();
            let _ = child.wait();
        }
        Fixture::remove(self.hosts.len() as u8);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The fixture, or `None` with `skipped: <why>`.
fn fixture(count: u8) -> Option<Fixture> {
    if let Some(why) = unavailable() {
        eprintln!("skipped: {why}");
        return None;
    }
    Some(Fixture::new(count).expect("the WSD fixture"))
}

const UUID_1: &str = "6f1d1a5e-0000-4000-8000-000000000001";
const UUID_2: &str = "6f1d1a5e-0000-4000-8000-000000000002";
const UUID_6: &str = "6f1d1a5e-0000-4000-8000-000000000006";

fn endpoint(uuid: &str) -> String {
    format!("urn:uuid:{uuid}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs discover for `window`, returning what was found with when each first came.
async fn timed_discovery(
    client: &WsdClient,
    window: Duration,
) -> (Vec<(Duration, WsdComputer)>, Duration) {
    let started = Instant::now();
    let (found, mut computers) = mpsc::channel(16);
    let collect = async {
        let mut all = Vec::new();
        while let Some(computer) = computers.recv().await {
            all.push((started.elapsed(), computer));
        }
        all
    };
    let ((), all) = tokio::join!(client.discover(window, found), collect);
    (all, started.elapsed())
}

fn assert_found(computers: &[WsdComputer], uuid: &str, name: &str, group: &str, address: Ipv4Addr) {
    let computer = computers
        .iter()
        .find(|computer| computer.endpoint == endpoint(uuid))
        .unwrap_or_else(|| panic!("{name} not found in {computers:#?}"));
    assert_eq!(computer.name.as_deref(), Some(name), "{computer:?}");
    assert_eq!(
        computer.membership,
        Some(Membership::Workgroup(group.into())),
        "{computer:?}"
    );
    assert!(
        computer.addresses.contains(&IpAddr::V4(address)),
        "{computer:?}"
    );
}

/// The first event `wanted` takes, within 20 s.
async fn next_event(
    heard: &mut mpsc::Receiver<WsdEvent>,
    wanted: &dyn Fn(&WsdEvent) -> bool,
) -> Option<WsdEvent> {
    let wait = async {
        while let Some(event) = heard.recv().await {
            eprintln!("heard {event:?}");
            if wanted(&event) {
                return Some(event);
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .ok()
        .flatten()
}

#[test]
fn discovers_wsdd_hosts_and_hears_bye_and_hello() {
    init_tracing();
    let Some(mut lab) = fixture(3) else {
        return;
    };
    let first = lab.start_wsdd(0, "-4", "TESTWSD", "TESTWG", UUID_1);
    lab.start_wsdd(1, "-4", "TESTWSD2", "TESTWG2", UUID_2);
    lab.start_wsdd(2, "-6", "TESTWSD6", "TESTWG6", UUID_6);
    Fixture::wait_for_ipv6();
    let client = Fixture::client();
    let runtime = runtime();

    let (found, took) = runtime.block_on(timed_discovery(&client, Duration::from_secs(3)));
    for (when, computer) in &found {
        eprintln!("found after {when:?}: {computer:?}");
    }
    eprintln!("discover returned after {took:?}; {}", peak_rss());
    let computers: Vec<WsdComputer> = found.into_iter().map(|(_, computer)| computer).collect();
    assert_found(
        &computers,
        UUID_1,
        "TESTWSD",
        "TESTWG",
        lab.hosts[0].address,
    );
    assert_found(
        &computers,
        UUID_2,
        "TESTWSD2",
        "TESTWG2",
        lab.hosts[1].address,
    );
    // The IPv6-only host: found over FF02::C, its metadata read from its link-local XAddr.
    let v6 = computers
        .iter()
        .find(|computer| computer.endpoint == endpoint(UUID_6))
        .unwrap_or_else(|| panic!("TESTWSD6 not found in {computers:#?}"));
    assert_eq!(v6.name.as_deref(), Some("TESTWSD6"));
    assert_eq!(v6.membership, Some(Membership::Workgroup("TESTWG6".into())));
    assert!(
        v6.addresses
            .iter()
            .any(|address| matches!(address, IpAddr::V6(v6) if v6.is_unicast_link_local())),
        "{v6:?}"
    );
    let all = runtime.block_on(client.discover_all(Duration::from_secs(3)));
    assert_eq!(all.len(), 3, "{all:#?}");

    // Listening: wsdd's Bye when it stops, its Hello when it starts again.
    let (events, mut heard) = mpsc::channel(16);
    let listener = runtime.spawn({
        let client = client.clone();
        async move { client.listen(events).await }
    });
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    lab.stop(first);
    let wait = |heard: &mut mpsc::Receiver<WsdEvent>, wanted: &dyn Fn(&WsdEvent) -> bool| {
        runtime.block_on(next_event(heard, wanted))
    };
    let bye = wait(
        &mut heard,
        &|event| matches!(event, WsdEvent::Bye { endpoint: e } if *e == endpoint(UUID_1)),
    );
    assert!(bye.is_some(), "no Bye from TESTWSD");
    eprintln!("Bye heard {:?} after SIGTERM", stopped.elapsed());
    let restarted = Instant::now();
    lab.start_wsdd(0, "-4", "TESTWSD", "TESTWG", UUID_1);
    let hello = wait(
        &mut heard,
        &|event| matches!(event, WsdEvent::Hello(computer) if computer.endpoint == endpoint(UUID_1)),
    );
    eprintln!("Hello heard {:?} after restart", restarted.elapsed());
    let Some(WsdEvent::Hello(computer)) = hello else {
        panic!("no Hello from TESTWSD");
    };
    assert_found(
        &[computer],
        UUID_1,
        "TESTWSD",
        "TESTWG",
        lab.hosts[0].address,
    );
    drop(heard);
    let ended =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), listener).await });
    assert!(
        matches!(ended, Ok(Ok(Ok(())))),
        "listen ends when its receiver is dropped: {ended:?}"
    );
    eprintln!("after listening: {}", peak_rss());
}

/// A hostile peer's message builders and HTTP server: an endless body on `/endless`, nothing
/// at all on `/silent`, good metadata (GOODHOST) on `/good`. With [`HOSTILE_ANSWERS`] it
/// answers every Probe with junk, an oversized datagram, matches for another Probe and for a
/// printer, 300 endpoints, and one good computer; with [`HOSTILE_ANNOUNCER`] it multicasts
/// junk, a good Hello, 400 Hellos, a replayed Bye and a real one.
const HOSTILE_PEER: &str = r#"
import re, signal, socket, struct, sys, threading
signal.alarm(60)
me = sys.argv[1]
ENV = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
  'xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
  'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
  'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
  'xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof" '
  'xmlns:pub="http://schemas.microsoft.com/windows/pub/2005/07"><soap:Header>'
  '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>')
def match(n, relates, ep, types, xaddrs):
    return (ENV + '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches'
      '</wsa:Action><wsa:MessageID>urn:uuid:00000000-0000-4000-8000-%012d</wsa:MessageID>'
      '<wsa:RelatesTo>%s</wsa:RelatesTo></soap:Header><soap:Body><wsd:ProbeMatches>'
      '<wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>%s</wsa:Address>'
      '</wsa:EndpointReference><wsd:Types>%s</wsd:Types><wsd:XAddrs>%s</wsd:XAddrs>'
      '<wsd:MetadataVersion>1</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches>'
      '</soap:Body></soap:Envelope>' % (n, relates, ep, types, xaddrs)).encode()
GOOD = (ENV + '<wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse'
  '</wsa:Action><wsa:MessageID>urn:uuid:11111111-0000-4000-8000-000000000000</wsa:MessageID>'
  '</soap:Header><soap:Body><wsx:Metadata xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex">'
  '<wsx:MetadataSection Dialect="http://schemas.xmlsoap.org/ws/2006/02/devprof/Relationship">'
  '<wsdp:Relationship Type="http://schemas.xmlsoap.org/ws/2006/02/devprof/host"><wsdp:Host>'
  '<wsa:EndpointReference><wsa:Address>urn:uuid:good</wsa:Address></wsa:EndpointReference>'
  '<wsdp:Types>pub:Computer</wsdp:Types><wsdp:ServiceId>urn:uuid:good</wsdp:ServiceId>'
  '<pub:Computer>GOODHOST/Workgroup:SURVIVORS</pub:Computer></wsdp:Host></wsdp:Relationship>'
  '</wsx:MetadataSection></wsx:Metadata></soap:Body></soap:Envelope>').encode()
def serve(c):
    try:
        request = c.recv(65536)
        if b'POST /good' in request:
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(GOOD) + GOOD)
        elif b'POST /endless' in request:
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n\r\n')
            chunk = b'<a>' * 10000
            for _ in range(2000):
                c.sendall(chunk)
        else:
            c.recv(1)
    except OSError:
        pass
    finally:
        c.close()
def http():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((me, 5357))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=http, daemon=True).start()
"#;

/// The hostile peer's answers to Probes (after [`HOSTILE_PEER`]).
const HOSTILE_ANSWERS: &str = r"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
u.bind(('0.0.0.0', 3702))
u.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
  struct.pack('4s4s', socket.inet_aton('239.255.255.250'), socket.inet_aton(me)))
print('ready', flush=True)
answered = 0
n = 0
while answered < 10:
    data, source = u.recvfrom(65536)
    found = re.search(rb'<wsa:MessageID>([^<]*)</wsa:MessageID>', data)
    if b'/Probe</wsa:Action>' not in data or not found:
        continue
    answered += 1
    probe = found.group(1).decode()
    computer = 'wsdp:Device pub:Computer'
    def send(b):
        global n
        n += 1
        u.sendto(b, source)
    send(match(n, probe, 'urn:uuid:good', computer, 'http://%s:5357/good' % me))
    send(b'\x00\xff' * 100)
    send(b'<' * 60000)
    send(b'<soap:Envelope>' * 1000)
    send(match(n, 'urn:uuid:someone-else', 'urn:uuid:other', computer, 'http://%s:5357/good' % me))
    send(match(n, probe, 'urn:uuid:printer', 'wsdp:Device', 'http://%s:5357/good' % me))
    send(match(n, probe, 'urn:uuid:faraway', computer, 'http://192.0.2.2:5357/good'))
    send(match(n, probe, 'urn:uuid:named', computer, 'http://evil.example:5357/good'))
    for i in range(300):
        path = 'endless' if i % 2 else 'silent'
        send(match(n, probe, 'urn:uuid:flood-%d' % i, computer, 'http://%s:5357/%s' % (me, path)))
";

#[test]
fn hostile_peer_cannot_stall_or_flood_discovery() {
    init_tracing();
    let Some(mut lab) = fixture(1) else {
        return;
    };
    let script = lab.dir.join("hostile.py");
    std::fs::File::create(&script)
        .and_then(|mut file| file.write_all(format!("{HOSTILE_PEER}{HOSTILE_ANSWERS}").as_bytes()))
        .unwrap();
    let me = lab.hosts[0].address.to_string();
    lab.spawn_in(0, "hostile.log", &[PYTHON, script.to_str().unwrap(), &me])
        .unwrap();
    let log = lab.dir.join("hostile.log");
    Fixture::wait_for("the hostile peer", || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("ready"))
    });
    let client = Fixture::client();
    let runtime = runtime();
    let window = Duration::from_secs(4);
    let started = Instant::now();
    // A hang guard, not a timing assertion: discover must return at all.
    let all = runtime
        .block_on(async { tokio::time::timeout(window * 5, client.discover_all(window)).await })
        .expect("discover returns");
    eprintln!(
        "hostile discovery: {} computers in {:?}; peak RSS {}",
        all.len(),
        started.elapsed(),
        peak_rss()
    );
    assert!(all.len() <= MAX_COMPUTERS, "{}", all.len());
    let good = all
        .iter()
        .find(|computer| computer.endpoint == "urn:uuid:good")
        .unwrap_or_else(|| panic!("the good computer among {} found", all.len()));
    assert_eq!(good.name.as_deref(), Some("GOODHOST"));
    for ignored in ["urn:uuid:other", "urn:uuid:printer"] {
        assert!(
            all.iter().all(|computer| computer.endpoint != ignored),
            "{ignored}"
        );
    }
    // An XAddr naming a host is not looked up: its metadata is asked of the source.
    if let Some(named) = all.iter().find(|c| c.endpoint == "urn:uuid:named") {
        assert_eq!(named.name.as_deref(), Some("GOODHOST"));
        assert_eq!(named.addresses, [IpAddr::V4(lab.hosts[0].address)]);
    }
    // The endless, silent and off-link servers give no metadata.
    for computer in all
        .iter()
        .filter(|c| c.endpoint != "urn:uuid:good" && c.endpoint != "urn:uuid:named")
    {
        assert_eq!(computer.name, None, "{computer:?}");
    }
    // The XAddr off the link is neither fetched nor reported as an address.
    if let Some(faraway) = all.iter().find(|c| c.endpoint == "urn:uuid:faraway") {
        assert_eq!(faraway.addresses, [IpAddr::V4(lab.hosts[0].address)]);
    }
}

/// The hostile peer's announcements (after [`HOSTILE_PEER`]).
const HOSTILE_ANNOUNCER: &str = r#"
import time
def announce(action, n, ep, instance, number, xaddrs):
    body = ('<wsd:%s><wsa:EndpointReference><wsa:Address>%s</wsa:Address>'
      '</wsa:EndpointReference><wsd:Types>wsdp:Device pub:Computer</wsd:Types>'
      '<wsd:XAddrs>%s</wsd:XAddrs></wsd:%s>' % (action, ep, xaddrs, action))
    return (ENV + '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/%s</wsa:Action>'
      '<wsa:MessageID>urn:uuid:00000000-0000-4000-8000-%012d</wsa:MessageID>'
      '<wsd:AppSequence InstanceId="%d" MessageNumber="%d"/></soap:Header><soap:Body>%s'
      '</soap:Body></soap:Envelope>' % (action, n, instance, number, body)).encode()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(me))
u.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
group = ('239.255.255.250', 3702)
print('ready', flush=True)
time.sleep(1)
good = 'http://%s:5357/good' % me
u.sendto(announce('Hello', 1, 'urn:uuid:victim', 100, 1, good), group)
u.sendto(b'\x00\xff' * 100, group)
u.sendto(b'<' * 60000, group)
for i in range(400):
    path = 'endless' if i % 2 else 'silent'
    xaddr = 'http://%s:5357/%s' % (me, path)
    u.sendto(announce('Hello', 1000 + i, 'urn:uuid:flood-%d' % i, 1, 1, xaddr), group)
    if i % 50 == 49:
        time.sleep(0.05)
time.sleep(1)
# A replay: a Bye of the victim's older instance.
u.sendto(announce('Bye', 2, 'urn:uuid:victim', 99, 7, good), group)
time.sleep(0.3)
u.sendto(announce('Bye', 3, 'urn:uuid:victim', 100, 2, good), group)
print('sent', flush=True)
time.sleep(30)
"#;

#[test]
fn hostile_announcer_cannot_stall_or_fool_the_listener() {
    init_tracing();
    let Some(mut lab) = fixture(1) else {
        return;
    };
    let script = lab.dir.join("announcer.py");
    std::fs::write(&script, format!("{HOSTILE_PEER}{HOSTILE_ANNOUNCER}")).unwrap();
    let client = Fixture::client();
    let runtime = runtime();
    let (events, mut heard) = mpsc::channel(16);
    let listener = runtime.spawn({
        let client = client.clone();
        async move { client.listen(events).await }
    });
    // Read as they come: a listener whose receiver stalls stops reading its sockets.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let collector = runtime.spawn(async move {
        let mut all = Vec::new();
        loop {
            tokio::select! {
                event = heard.recv() => match event {
                    Some(event) => all.push(event),
                    None => break,
                },
                _ = &mut stopped => break,
            }
        }
        all
    });
    let me = lab.hosts[0].address.to_string();
    lab.spawn_in(0, "announcer.log", &[PYTHON, script.to_str().unwrap(), &me])
        .unwrap();
    let log = lab.dir.join("announcer.log");
    Fixture::wait_for("the hostile announcer", || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("sent"))
    });
    // Everything heard until two seconds after the last message was sent.
    std::thread::sleep(Duration::from_secs(2));
    let _ = stop.send(());
    let all: Vec<WsdEvent> = runtime.block_on(collector).expect("the collector");
    let victim = "urn:uuid:victim";
    let byes = all
        .iter()
        .filter(|event| matches!(event, WsdEvent::Bye { endpoint } if endpoint == victim))
        .count();
    let hellos = all
        .iter()
        .filter(|event| matches!(event, WsdEvent::Hello(_)))
        .count();
    eprintln!(
        "hostile announcer: {hellos} Hellos, {byes} Byes of the victim; peak RSS {}",
        peak_rss()
    );
    assert_eq!(byes, 1, "the replayed Bye is dropped, the real one heard");
    assert!(all.iter().any(
        |event| matches!(event, WsdEvent::Hello(c) if c.endpoint == victim && c.name.as_deref() == Some("GOODHOST"))
    ), "the victim's Hello, completed");
    assert!(hellos <= 401, "{hellos}");
    let ended =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), listener).await });
    assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
}

/// The process's peak and current resident size, from `/proc/self/status`.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .filter(|line| line.starts_with("VmHWM") || line.starts_with("VmRSS"))
                .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A `lab/netns` host that announces by WSD: its address, name and workgroup.
type LabWsdHost = (Ipv4Addr, String, String);

/// `lab/netns` hosts that announce by WSD, if the lab is up with any: (address, name,
/// workgroup).
fn lab_wsd_hosts() -> Option<(String, Vec<LabWsdHost>)> {
    let script = wnet_testlab::lab_dir().join("netns");
    let output = run_bounded(
        Command::new(script).args(["status", "--json"]),
        Duration::from_secs(30),
    )
    .ok()?;
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let bridge = status["bridge"]["name"].as_str()?.to_owned();
    let hosts = status["hosts"]
        .as_array()?
        .iter()
        .filter(|host| {
            host["announces"]
                .as_array()
                .is_some_and(|announces| announces.iter().any(|a| a == "wsd"))
        })
        .filter_map(|host| {
            Some((
                host["address"].as_str()?.parse().ok()?,
                host["name"].as_str()?.to_owned(),
                host["workgroup"].as_str()?.to_owned(),
            ))
        })
        .collect::<Vec<_>>();
    (!hosts.is_empty()).then_some((bridge, hosts))
}

#[test]
fn discovers_the_netns_labs_wsd_hosts() {
    init_tracing();
    let Some(_lab) = wnet_testlab::NetnsLab::acquire_or_skip() else {
        return;
    };
    let (bridge, hosts) = lab_wsd_hosts().expect("lab/netns has hosts that announce by WSD");
    let interfaces = multicast_interfaces(&InterfaceSelection::Named(vec![bridge])).unwrap();
    assert_eq!(interfaces.len(), 1);
    let client = WsdClient::new(interfaces);
    let runtime = runtime();
    let (found, took) = runtime.block_on(timed_discovery(&client, Duration::from_secs(4)));
    for (when, computer) in &found {
        eprintln!("lab: found after {when:?}: {computer:?}");
    }
    eprintln!("lab: discover returned after {took:?}");
    for (address, name, workgroup) in hosts {
        let computer = found
            .iter()
            .map(|(_, computer)| computer)
            .find(|computer| computer.name.as_deref() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!(computer.membership, Some(Membership::Workgroup(workgroup)));
        assert!(computer.addresses.contains(&IpAddr::V4(address)));
    }
}
