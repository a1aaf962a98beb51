//! The name Kerberos asks a ticket for, from the command line against the AD lab (`lab/ad`):
//! a short name gets a ticket for the server's fully qualified name (`cifs/<fqdn>`), from the
//! hosts file through the Kerberos library or, for a name only WINS knows (a fake WINS server
//! on a loopback address of the test's), from the server's own statement of it; an
//! address gets one only where the domain knows an SPN for it (else NTLM, with the reason,
//! or a failure naming the SPN when NTLM is blocked), and the file server itself sees the
//! session signed and encrypted with the Kerberos key. The host knows the lab's names through
//! a hosts file bound over `/etc/hosts` in a private mount namespace; /etc is never written.

mod common;

use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::Sandbox;
use serde_json::Value;
use wnet_nbt::wire::name_service::{NbEntry, Packet};
use wnet_testlab::{AdLab, InUse, run_bounded};

const LIMIT: Duration = Duration::from_secs(60);

/// Another name of the file server, in the lab's DNS domain, known to the hosts file only.
const ALIAS: &str = "files";

/// The lab held shared, a sandbox, a hosts file naming the file server by its FQDN first
/// (its canonical name), its short name and an alias after, and alice's tickets.
struct World {
    lab: InUse<AdLab>,
    sandbox: Sandbox,
    hosts: PathBuf,
    krb5_conf: PathBuf,
    ccache: String,
}

/// The lab's krb5.conf with MIT's defaults for host name canonicalization
/// (`dns_canonicalize_hostname = true`) but no reverse lookups (`rdns = false`, so that an
/// address names itself), as a domain member's usually is.
fn canonicalizing_krb5_conf(lab: &AdLab, path: &std::path::Path) {
    let conf = fs::read_to_string(&lab.krb5_conf).expect("the lab's krb5.conf");
    let conf = conf.replace(
        "dns_canonicalize_hostname = false",
        "dns_canonicalize_hostname = true",
    );
    assert!(conf.contains("dns_canonicalize_hostname = true"), "{conf}");
    assert!(conf.contains("rdns = false"), "{conf}");
    fs::write(path, conf).expect("krb5.conf");
}

fn world() -> Option<World> {
    let lab = AdLab::acquire_or_skip()?;
    let mut sandbox = Sandbox::without_lab();
    let hosts = sandbox.root.join("hosts");
    fs::write(
        &hosts,
        format!(
            "127.0.0.1 localhost\n{} {} {}\n{} {} {} {ALIAS}.{}\n",
            lab.dc.address,
            lab.dc.fqdn,
            lab.dc.name,
            lab.fileserver.address,
            lab.fileserver.fqdn,
            lab.fileserver.name,
            lab.dns_domain,
        ),
    )
    .expect("the hosts file");
    let krb5_conf = sandbox.root.join("krb5.conf");
    canonicalizing_krb5_conf(&lab, &krb5_conf);
    sandbox.set("KRB5_CONFIG", &krb5_conf.display().to_string());
    sandbox.set("WNET_RESOLVE_ORDER", "hosts");
    let ccache = format!("FILE:{}", sandbox.root.join("alice.cc").display());
    sandbox.set("KRB5CCNAME", &ccache);
    let world = World {
        lab,
        sandbox,
        hosts,
        krb5_conf,
        ccache,
    };
    world.kinit();
    Some(world)
}

impl World {
    /// `wnet ARGS` in the sandbox, with `vars`, in a mount namespace whose /etc/hosts is the
    /// lab's: the agent it starts lives there too.
    fn wnet(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut unshare = self.sandbox.program("unshare");
        unshare
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/hosts && exec \"$@\"")
            .arg(&self.hosts)
            .arg(env!("CARGO_BIN_EXE_wnet"))
            .args(args);
        for (name, value) in vars {
            unshare.env(name, value);
        }
        run_bounded(&mut unshare, LIMIT).expect("wnet ran")
    }

    /// kinit alice into the world's private cache.
    fn kinit(&self) {
        common::kinit_alice(&self.lab, &self.krb5_conf, &self.ccache, &[]);
    }

    /// The service principals alice's cache holds tickets for.
    fn tickets(&self) -> Vec<String> {
        let mut command = Command::new("klist");
        command
            .env("KRB5_CONFIG", &self.krb5_conf)
            .env("KRB5CCNAME", &self.ccache);
        let output = run_bounded(&mut command, LIMIT).expect("klist ran");
        assert!(output.status.success(), "klist: {output:?}");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().nth(4))
            .map(str::to_owned)
            .collect()
    }

    /// The file server's sessions, as `smbstatus --json` shows them from its own state.
    fn server_sessions(&self) -> Vec<Value> {
        let mut command = Command::new("smbstatus");
        command
            .arg(format!(
                "--configfile={}",
                self.lab.fileserver.config.display()
            ))
            .args(["--json", "--processes"]);
        let output = run_bounded(&mut command, LIMIT).expect("smbstatus ran");
        assert!(output.status.success(), "smbstatus: {output:?}");
        let status: Value = serde_json::from_slice(&output.stdout).expect("smbstatus JSON");
        status["sessions"]
            .as_object()
            .map(|sessions| sessions.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// Whether `tickets` hold one for `service` (`cifs/host`), in whichever realm: MIT keeps a
/// ticket got by referral, for a host no `[domain_realm]` maps, under the empty realm.
fn has_ticket_for(tickets: &[String], service: &str) -> bool {
    tickets
        .iter()
        .any(|ticket| ticket.split('@').next() == Some(service))
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn a_short_name_gets_a_ticket_for_the_servers_fully_qualified_name() {
    let Some(world) = world() else {
        return;
    };
    let short = format!(r"\\{}\public", world.lab.fileserver.name);
    let added = json(&world.wnet(&["--json", "use", &short], &[]));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    // What the user typed stays the connection's name.
    assert_eq!(added["remote"], short.as_str(), "{added}");
    let fqdn = format!("cifs/{}", world.lab.fileserver.fqdn);
    let bare = format!("cifs/{}", world.lab.fileserver.name);
    let tickets = world.tickets();
    assert!(has_ticket_for(&tickets, &fqdn), "{fqdn} in {tickets:?}");
    assert!(!has_ticket_for(&tickets, &bare), "{bare} in {tickets:?}");
    let deleted = world.wnet(&["use", &short, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &[]);

    // A krb5.conf that forbids canonicalization and qualification is obeyed: the ticket is
    // for the name as typed (which this domain knows too, as the NetBIOS name's SPN).
    let literal = world.sandbox.root.join("literal-krb5.conf");
    let conf = fs::read_to_string(&world.lab.krb5_conf).expect("the lab's krb5.conf");
    assert!(conf.contains("dns_canonicalize_hostname = false"), "{conf}");
    let conf = conf.replace("[libdefaults]", "[libdefaults]\n  qualify_shortname = \"\"");
    fs::write(&literal, conf).expect("krb5.conf");
    let literal = literal.display().to_string();
    let added = json(&world.wnet(
        &["--json", "use", &short],
        &[("KRB5_CONFIG", literal.as_str())],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    let tickets = world.tickets();
    assert!(has_ticket_for(&tickets, &bare), "{bare} in {tickets:?}");
    let deleted = world.wnet(&["use", &short, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &[]);
}

#[test]
fn an_alias_gets_a_ticket_for_the_servers_canonical_name() {
    let Some(world) = world() else {
        return;
    };
    let alias = format!("{ALIAS}.{}", world.lab.dns_domain);
    let share = format!(r"\\{alias}\public");
    let added = json(&world.wnet(&["--json", "use", &share], &[]));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    assert_eq!(added["remote"], share.as_str(), "{added}");
    let canonical = format!("cifs/{}", world.lab.fileserver.fqdn);
    let tickets = world.tickets();
    assert!(
        has_ticket_for(&tickets, &canonical),
        "{canonical} in {tickets:?}"
    );
    assert!(
        !has_ticket_for(&tickets, &format!("cifs/{alias}")),
        "{tickets:?}"
    );
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &[]);
}

#[test]
fn an_address_without_an_spn_falls_back_to_ntlm_and_says_why() {
    let Some(world) = world() else {
        return;
    };
    let alice = world.lab.user("alice").expect("alice");
    let user = format!("/user:{}", world.lab.principal(alice));
    let by_address = format!(r"\\{}\public", world.lab.fileserver.address);
    let spn = format!("cifs/{}", world.lab.fileserver.address);
    // MIT's defaults, under which its library would turn the address into the name the hosts
    // file gives it (rdns): an address is taken as it is, as on Windows.
    let defaults = world.sandbox.root.join("defaults-krb5.conf");
    let conf = fs::read_to_string(&world.krb5_conf).expect("krb5.conf");
    let conf = conf.replace("rdns = false", "rdns = true");
    assert!(conf.contains("dns_canonicalize_hostname = true"), "{conf}");
    fs::write(&defaults, conf).expect("krb5.conf");
    let defaults = defaults.display().to_string();
    let vars = [("KRB5_CONFIG", defaults.as_str())];
    // An account of the DNS domain: Kerberos first, for cifs/<address>, which the domain
    // does not know; then NTLM with the same account.
    let output = world.wnet(
        &["-v", "--json", "use", &by_address, &alice.password, &user],
        &vars,
    );
    let added = json(&output);
    let said = String::from_utf8_lossy(&output.stderr);
    let authentication = added["authentication"].as_str().unwrap_or_default();
    assert!(authentication.starts_with("NTLM"), "{added}");
    assert!(said.contains(&spn), "the reason names {spn}: {said}");
    let deleted = world.wnet(&["use", &by_address, "/delete"], &vars);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &vars);

    // NTLM blocked: no fallback, and the failure names the SPN that was tried.
    let refused = world.wnet(&["use", &by_address], &[vars[0], ("WNET_BLOCK_NTLM", "1")]);
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&spn) && said.contains("Kerberos"),
        "the failure names {spn}: {said}"
    );
    world.wnet(&["agent", "stop"], &vars);
}

#[test]
fn the_file_server_sees_the_kerberos_session_signed_and_encrypted() {
    let Some(world) = world() else {
        return;
    };
    let share = format!(r"\\{}\public", world.lab.fileserver.fqdn);
    let added = json(&world.wnet(&["--json", "use", &share, "/privacy"], &[]));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    assert_eq!(added["encryption"], true, "{added}");
    // smbstatus shows the session by its 32-bit global id, the low half of the SessionId.
    let id = added["session_id"]
        .as_str()
        .and_then(|id| u64::from_str_radix(id.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| panic!("a session id: {added}"));
    let sessions = world.server_sessions();
    let service = format!("cifs/{}", world.lab.fileserver.fqdn);
    let tickets = world.tickets();
    assert!(
        has_ticket_for(&tickets, &service),
        "{service} in {tickets:?}"
    );
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
    let ours = sessions
        .iter()
        .find(|session| session["session_id"] == (id & 0xffff_ffff).to_string().as_str())
        .unwrap_or_else(|| panic!("session {id:#x} in {sessions:?}"));
    // smbstatus (Samba 4.17) shows no authentication mechanism: Kerberos is proven by the
    // service ticket above and the session's keys, which the server derived from it.
    assert_eq!(ours["encryption"]["degree"], "full", "{ours}");
    assert_eq!(ours["signing"]["degree"], "full", "{ours}");
}

/// A WINS server on a loopback address of its own, for the test's lifetime (a minute at
/// most): it answers name queries for `name<20>` with `address` and every other with
/// nothing, as the name service of a network whose DNS does not know the server.
struct FakeWins {
    address: Ipv4Addr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeWins {
    /// `None` (the test skips) where this user may not bind the name service's port.
    fn start(name: &str, address: Ipv4Addr) -> Option<FakeWins> {
        let listen = Ipv4Addr::new(127, 61, 0, 137);
        let socket = match UdpSocket::bind(SocketAddrV4::new(listen, 137)) {
            Ok(socket) => socket,
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                eprintln!("skipped: cannot bind {listen}:137: {error}");
                return None;
            }
            Err(error) => panic!("the WINS port on {listen}: {error}"),
        };
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("a read timeout");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let name = name.to_ascii_uppercase();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut buffer = [0u8; 1024];
            while !stopped.load(Ordering::Relaxed) && started.elapsed() < LIMIT {
                let Ok((length, peer)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                let Some(query) = buffer
                    .get(..length)
                    .and_then(|bytes| Packet::decode(bytes).ok())
                else {
                    continue;
                };
                let Some(question) = query.questions.first() else {
                    continue;
                };
                if question.name.name.name() != name || question.name.name.suffix() != 0x20 {
                    continue;
                }
                let answer = Packet::positive_query_response(
                    query.header.transaction_id,
                    question.name.clone(),
                    300,
                    vec![NbEntry::new(address, false, 1)],
                );
                let _ = socket.send_to(&answer.encode(), peer);
            }
        });
        Some(FakeWins {
            address: listen,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for FakeWins {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_name_only_the_netbios_name_service_knows_gets_a_ticket_for_the_servers_fqdn() {
    let Some(world) = world() else {
        return;
    };
    // The hosts file knows the server only by its FQDN; the short name is WINS's alone, and
    // the Kerberos library neither looks names up nor completes them: whatever makes the
    // short name fully qualified is ours.
    let hosts = world.sandbox.root.join("hosts");
    fs::write(
        &hosts,
        format!(
            "127.0.0.1 localhost\n{} {}\n{} {}\n",
            world.lab.dc.address,
            world.lab.dc.fqdn,
            world.lab.fileserver.address,
            world.lab.fileserver.fqdn,
        ),
    )
    .expect("the hosts file");
    let literal = world.sandbox.root.join("literal-krb5.conf");
    let conf = fs::read_to_string(&world.lab.krb5_conf).expect("the lab's krb5.conf");
    let conf = conf.replace("[libdefaults]", "[libdefaults]\n  qualify_shortname = \"\"");
    fs::write(&literal, conf).expect("krb5.conf");
    let literal = literal.display().to_string();
    let Some(wins) = FakeWins::start(&world.lab.fileserver.name, world.lab.fileserver.address)
    else {
        return;
    };
    let wins_address = wins.address.to_string();
    let vars = [
        ("KRB5_CONFIG", literal.as_str()),
        ("WNET_RESOLVE_ORDER", "hosts,netbios"),
        ("WNET_NODE_TYPE", "P"),
        ("WNET_WINS_SERVERS", wins_address.as_str()),
    ];
    let short = format!(r"\\{}\public", world.lab.fileserver.name);
    let added = json(&world.wnet(&["--json", "use", &short], &vars));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    assert_eq!(added["remote"], short.as_str(), "{added}");
    let fqdn = format!("cifs/{}", world.lab.fileserver.fqdn);
    let tickets = world.tickets();
    assert!(has_ticket_for(&tickets, &fqdn), "{fqdn} in {tickets:?}");
    let deleted = world.wnet(&["use", &short, "/delete"], &vars);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &vars);
}
