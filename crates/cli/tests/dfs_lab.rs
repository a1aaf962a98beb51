//! DFS against the AD lab's namespaces (`lab/ad`): `wnet unc --targets` (a link with two
//! targets, a link into a second namespace, a plain share, the referral cache), drives and
//! deviceless connections on a standalone root, its links and the domain's namespace,
//! referral loops, and failover to a link's second target when its first server stops. The
//! host knows the lab's names (the DC, fs1 and fs2) through a hosts file bound over
//! `/etc/hosts` in a private mount namespace, which the agent the command starts inherits;
//! /etc is never written. DNS (for the domain's controllers) is asked of the lab's DC alone.
//! Alice's password reaches the agent as the default credentials (`WNET_USER`,
//! `WNET_PASSWORD`).
//!
//! A drive is mounted in the agent's mount namespace: the tests read it as a user of that
//! namespace would, through `/proc/<agent>/root`.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Output;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use common::{Sandbox, assert_success, assert_system_error};
use serde_json::Value;
use wnet_testlab::{AdDfsLink, AdDfsRoot, AdLab, InUse, LabError, run_bounded};

const LIMIT: Duration = Duration::from_secs(60);

/// The longest a drive may take to land on a link's second target once the first one's
/// server is gone (the requirement of the failover issue, kept generous).
const FAILOVER_BOUND: Duration = Duration::from_secs(5);

/// How long a failover test waits for the second target at all before it gives up.
const FAILOVER_PATIENCE: Duration = Duration::from_secs(30);

/// The lab held (shared, or alone for a test that stops a server), a sandbox with alice's
/// credentials, and a hosts file naming the lab's servers.
struct World {
    lab: InUse<AdLab>,
    sandbox: Sandbox,
    hosts: PathBuf,
}

/// The world on the lab held shared; `None` (skipped) where the lab cannot run.
fn world() -> Option<World> {
    world_on(AdLab::acquire_or_skip()?)
}

/// The world on the lab held alone, for a test that stops one of its servers.
fn world_alone() -> Option<World> {
    match AdLab::acquire_alone() {
        Ok(lab) => world_on(lab),
        Err(LabError::Unavailable(why)) => {
            eprintln!("skipped: {why}");
            None
        }
        Err(error) => panic!("the AD lab failed: {error}"),
    }
}

fn world_on(lab: InUse<AdLab>) -> Option<World> {
    if lab.dfs.is_none() || lab.fileservers.len() < 2 {
        eprintln!("skipped: this lab/ad has no DFS namespaces or no second file server");
        return None;
    }
    let mut sandbox = Sandbox::without_lab();
    let hosts = sandbox.root.join("hosts");
    let mut text = format!(
        "127.0.0.1 localhost\n{} {} {}\n",
        lab.dc.address, lab.dc.fqdn, lab.dc.name
    );
    for server in &lab.fileservers {
        let _ = writeln!(text, "{} {} {}", server.address, server.fqdn, server.name);
    }
    fs::write(&hosts, text).expect("the hosts file");
    let alice = lab.user("alice").expect("alice");
    sandbox.set("KRB5_CONFIG", &lab.krb5_conf.display().to_string());
    sandbox.set("WNET_RESOLVE_ORDER", "hosts");
    // The domain's controllers are found through its SRV records: asked of the DC alone.
    sandbox.set("WNET_DNS_SERVERS", &lab.dns.to_string());
    sandbox.set("WNET_RESOLV_CONF", "/dev/null");
    sandbox.set("WNET_USER", &format!(r"{}\alice", lab.domain));
    sandbox.set("WNET_PASSWORD", &alice.password);
    Some(World {
        lab,
        sandbox,
        hosts,
    })
}

impl World {
    /// `wnet ARGS` in the sandbox, in a mount namespace whose /etc/hosts is the lab's.
    fn wnet(&self, args: &[&str]) -> Output {
        let mut unshare = self.sandbox.program("unshare");
        unshare
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/hosts && exec \"$@\"")
            .arg(&self.hosts)
            .arg(env!("CARGO_BIN_EXE_wnet"))
            .args(args);
        run_bounded(&mut unshare, LIMIT).expect("the command ran")
    }

    /// `wnet ARGS`, which must succeed.
    fn wnet_ok(&self, args: &[&str]) -> Output {
        let output = self.wnet(args);
        assert_success(&output);
        output
    }

    /// `wnet --json unc --targets PATH`, which must succeed.
    fn targets(&self, path: &str) -> Value {
        json(&self.wnet(&["--json", "unc", "--targets", path]))
    }

    /// The `wnet --json use` rows.
    fn connections(&self) -> Vec<Value> {
        match json(&self.wnet(&["--json", "use"])) {
            Value::Array(rows) => rows,
            other => panic!("wnet --json use printed {other}"),
        }
    }

    /// The standalone DFS root on the file server `server` (`fs1`).
    fn root(&self, server: &str) -> &AdDfsRoot {
        self.lab
            .dfs
            .iter()
            .flat_map(|dfs| &dfs.roots)
            .find(|root| root.server == server)
            .unwrap_or_else(|| panic!("the lab has no DFS root on {server}"))
    }

    /// The link of the lab's DFS roots called `name`.
    fn link(&self, name: &str) -> &AdDfsLink {
        self.lab
            .dfs
            .iter()
            .flat_map(|dfs| &dfs.roots)
            .flat_map(|root| &root.links)
            .find(|link| link.name == name)
            .unwrap_or_else(|| panic!("the lab has no DFS link {name}"))
    }

    /// The text of the marker file that target `index` of `link` holds
    /// (`fs2.corp.example.test\mirror`).
    fn names(&self, link: &str, index: usize) -> String {
        let target = &self.link(link).targets[index];
        assert!(
            !target.names.is_empty(),
            "the lab names no marker of {link}"
        );
        target.names.clone()
    }

    /// The directory on this machine of the file server share `unc` (`\\fs2...\projects`).
    fn share_directory(&self, unc: &str) -> PathBuf {
        let mut parts = unc.trim_start_matches('\\').split('\\');
        let (Some(host), Some(share)) = (parts.next(), parts.next()) else {
            panic!("{unc} is no share");
        };
        self.lab
            .fileservers
            .iter()
            .filter(|server| server.fqdn.eq_ignore_ascii_case(host))
            .flat_map(|server| &server.shares)
            .find(|candidate| candidate.name.eq_ignore_ascii_case(share))
            .unwrap_or_else(|| panic!("the lab has no share {unc}"))
            .path
            .clone()
    }

    /// The host name (`fs2`) of the file server that serves `unc`.
    fn server_of(&self, unc: &str) -> &str {
        let host = unc
            .trim_start_matches('\\')
            .split('\\')
            .next()
            .unwrap_or_default();
        self.lab
            .fileservers
            .iter()
            .find(|server| server.fqdn.eq_ignore_ascii_case(host))
            .unwrap_or_else(|| panic!("the lab has no file server for {unc}"))
            .name
            .as_str()
    }

    /// Maps drive `letter` (`Z`) to `remote`; the path of the drive's root as seen in the
    /// mount namespace of the agent, which mounted it.
    fn map(&self, letter: &str, remote: &str) -> PathBuf {
        self.wnet_ok(&["use", &format!("{letter}:"), remote]);
        let pid = self.sandbox.agent_pid().expect("the agent runs");
        let mount = self
            .sandbox
            .runtime_dir()
            .join("wnet")
            .join("drives")
            .join(letter);
        PathBuf::from(format!("/proc/{pid}/root{}", mount.display()))
    }
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

fn lower(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_ascii_lowercase()
}

/// The text of `path`, trimmed.
fn read(path: &std::path::Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .trim()
        .to_owned()
}

/// The names in directory `path`.
fn listing(path: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A file name no other run uses.
fn unique(stem: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{stem}-{}-{nanos}.txt", std::process::id())
}

#[test]
fn a_link_with_two_targets_lands_on_the_first_and_is_then_cached() {
    let Some(world) = world() else {
        return;
    };
    let mirror = world.link("mirror");
    let path = format!(r"{}\target.txt", mirror.path);
    let answer = world.targets(&path);
    let referrals = answer["referrals"].as_array().expect("referrals");
    assert_eq!(referrals.len(), 1, "{answer}");
    let hop = &referrals[0];
    assert_eq!(
        lower(&hop["prefix"]),
        mirror.path.to_ascii_lowercase(),
        "{answer}"
    );
    assert_eq!(hop["link"], true, "{answer}");
    assert_eq!(hop["active"], 0, "{answer}");
    let targets: Vec<String> = hop["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(lower)
        .collect();
    let expected: Vec<String> = mirror
        .targets
        .iter()
        .map(|target| target.path.to_ascii_lowercase())
        .collect();
    assert_eq!(targets, expected, "{answer}");
    assert!(
        hop["ttl_seconds"].as_u64().is_some_and(|ttl| ttl > 0),
        "{answer}"
    );
    assert_eq!(
        lower(&answer["physical"]),
        format!(r"{}\target.txt", expected[0]),
        "{answer}"
    );
    let requests = answer["referral_requests"].as_u64().expect("a count");
    assert!(requests >= 1, "{answer}");

    // The agent (still running) answers again from its referral cache: no new request.
    let again = world.targets(&path);
    assert_eq!(again["referral_requests"], requests, "{again}");
    assert_eq!(again["physical"], answer["physical"], "{again}");
    // So does a second path under the same link, within the referral's TTL.
    let other = world.targets(&format!(r"{}\elsewhere\other.txt", mirror.path));
    assert_eq!(other["referral_requests"], requests, "{other}");
    assert_eq!(
        lower(&other["physical"]),
        format!(r"{}\elsewhere\other.txt", expected[0]),
        "{other}"
    );

    // The human layout marks the active target and ends with where the path lands.
    let output = world.wnet(&["unc", "--targets", &path]);
    let text = String::from_utf8_lossy(&output.stdout).to_ascii_lowercase();
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(&format!("  * {} (active)\n", expected[0])),
        "{text}"
    );
    assert!(text.contains(&format!("    {}\n", expected[1])), "{text}");
    assert!(
        text.ends_with(&format!("lands on: {}\\target.txt\n", expected[0])),
        "{text}"
    );
}

#[test]
fn a_link_into_a_second_namespace_takes_two_referrals() {
    let Some(world) = world() else {
        return;
    };
    let nested = world.link("nested");
    let deep = world.link("deep");
    let answer = world.targets(&format!(r"{}\deep\target.txt", nested.path));
    let prefixes: Vec<String> = answer["referrals"]
        .as_array()
        .expect("referrals")
        .iter()
        .map(|hop| lower(&hop["prefix"]))
        .collect();
    assert_eq!(
        prefixes,
        [
            nested.path.to_ascii_lowercase(),
            deep.path.to_ascii_lowercase()
        ],
        "{answer}"
    );
    assert_eq!(
        lower(&answer["physical"]),
        format!(r"{}\target.txt", deep.targets[0].path.to_ascii_lowercase()),
        "{answer}"
    );
}

#[test]
fn a_plain_share_takes_no_referral() {
    let Some(world) = world() else {
        return;
    };
    let path = format!(r"\\{}\public\public.txt", world.lab.fileserver.fqdn);
    let answer = world.targets(&path);
    assert_eq!(answer["referrals"], serde_json::json!([]), "{answer}");
    assert_eq!(
        lower(&answer["physical"]),
        path.to_ascii_lowercase(),
        "{answer}"
    );
}

#[test]
fn a_drive_on_a_dfs_root_follows_its_links() {
    let Some(world) = world() else {
        return;
    };
    let root = world.root("fs1");
    let z = world.map("Z", &root.path);
    let names = listing(&z);
    for link in &root.links {
        assert!(names.contains(&link.name), "{} in {names:?}", link.name);
        let target = &link.targets[0];
        assert_eq!(
            read(&z.join(&link.name).join(&target.file)),
            target.names,
            "{}",
            link.path
        );
    }
    // A link into the second root, then that root's link back to fs1.
    let deep = world.link("deep");
    assert_eq!(
        read(
            &z.join("nested")
                .join(&deep.name)
                .join(&deep.targets[0].file)
        ),
        deep.targets[0].names
    );
}

#[test]
fn the_first_thing_done_on_a_dfs_drive_can_be_a_write_through_a_link() {
    let Some(world) = world() else {
        return;
    };
    let root = world.root("fs1");
    let projects = world.link("projects");
    let z = world.map("Z", &root.path);
    let name = unique("first-write");
    let content = format!("written first, through {}\n", projects.path);
    let on_drive = z.join(&projects.name).join(&name);
    fs::write(&on_drive, &content).expect("the write through the link");
    let on_server = world.share_directory(&projects.targets[0].path).join(&name);
    let landed = fs::read_to_string(&on_server);
    fs::remove_file(&on_drive).expect("the delete through the link");
    assert_eq!(landed.expect("the file on fs2's disk"), content);
    assert!(
        !on_server.exists(),
        "{} is still there",
        on_server.display()
    );
}

#[test]
fn a_deviceless_connection_to_a_link_is_listed_by_its_namespace_path() {
    let Some(world) = world() else {
        return;
    };
    let mirror = world.link("mirror");
    world.wnet_ok(&["use", &mirror.path]);
    let rows = world.connections();
    let row = rows
        .iter()
        .find(|row| row["local"].is_null())
        .unwrap_or_else(|| panic!("no deviceless connection in {rows:?}"));
    assert_eq!(row["remote"], mirror.path.as_str(), "{rows:?}");
    assert_eq!(row["status"], "OK", "{rows:?}");
    let text = String::from_utf8_lossy(&world.wnet_ok(&["use"]).stdout).into_owned();
    assert!(text.contains(&mirror.path), "{text}");
}

#[test]
fn the_domains_namespace_is_mapped_by_its_dns_and_netbios_names() {
    let Some(world) = world() else {
        return;
    };
    // The agent takes the Kerberos default realm for the host's domain.
    let krb5 = fs::read_to_string(&world.lab.krb5_conf).expect("the lab's krb5.conf");
    assert_eq!(
        wnet::domains::default_realm_of(&krb5).as_deref(),
        Some(world.lab.realm.as_str())
    );
    let sysvol = world
        .lab
        .dfs
        .iter()
        .flat_map(|dfs| &dfs.domain_roots)
        .find(|root| root.path.to_ascii_lowercase().ends_with(r"\sysvol"))
        .expect("the lab's sysvol namespace");
    let dns_domain = world.lab.dns_domain.to_ascii_lowercase();
    let y = world.map("Y", &sysvol.path);
    assert!(listing(&y).contains(&dns_domain), "{:?}", listing(&y));
    let x = world.map("X", &sysvol.netbios_path);
    assert!(listing(&x).contains(&dns_domain), "{:?}", listing(&x));
    let remotes: Vec<Value> = world
        .connections()
        .iter()
        .map(|row| row["remote"].clone())
        .collect();
    assert!(
        remotes.contains(&Value::from(sysvol.path.as_str())),
        "{remotes:?}"
    );
    assert!(
        remotes.contains(&Value::from(sysvol.netbios_path.as_str())),
        "{remotes:?}"
    );
}

/// The first path of a domain's namespace asks its controller for the domain referral (the
/// domains it knows), the DC referral (the domain's controllers) and the root referral; a
/// second namespace of the same domain asks only its root referral; a root referral's
/// prefix is shown as a root's, though Samba calls it non-root.
#[test]
fn a_domain_path_asks_the_domain_dc_and_root_referrals_once_each() {
    let Some(world) = world() else {
        return;
    };
    let roots: Vec<&str> = world
        .lab
        .dfs
        .iter()
        .flat_map(|dfs| &dfs.domain_roots)
        .map(|root| root.path.as_str())
        .collect();
    let [first, second, ..] = roots.as_slice() else {
        panic!("the lab has two domain namespaces: {roots:?}");
    };
    let dns_domain = world.lab.dns_domain.to_ascii_lowercase();
    let answer = world.targets(&format!(r"{first}\{dns_domain}"));
    assert_eq!(answer["referral_requests"], 3, "{answer}");
    assert_eq!(answer["referrals"][0]["link"], false, "{answer}");
    let dc = world.lab.dc.fqdn.to_ascii_lowercase();
    assert!(
        lower(&answer["physical"]).starts_with(&format!(r"\\{dc}\")),
        "{answer}"
    );
    let again = world.targets(second);
    assert_eq!(again["referral_requests"], 4, "{again}");
}

#[test]
fn a_referral_loop_fails_with_error_67_and_says_loop() {
    let Some(world) = world() else {
        return;
    };
    let root = world.root("fs1");
    assert!(!root.loops.is_empty(), "the lab has no loops");
    for link in &root.loops {
        let output = world.wnet(&["use", &format!(r"{}\x", link.path)]);
        let stderr = assert_system_error(&output, 67);
        assert!(stderr.contains("loop"), "{}: {stderr}", link.path);
    }
}

/// Starts a file server's smbd again when dropped, however the test ends.
struct SmbdStartedAgain<'a>(&'a str);

impl Drop for SmbdStartedAgain<'_> {
    fn drop(&mut self) {
        if let Err(error) = AdLab::start_smbd(self.0) {
            eprintln!("could not start smbd on {} again: {error}", self.0);
        }
    }
}

/// Stops the smbd of the server that serves `unc`; it starts again when the guard drops.
fn stop_server_of<'w>(world: &'w World, unc: &str) -> SmbdStartedAgain<'w> {
    let server = world.server_of(unc);
    let again = SmbdStartedAgain(server);
    AdLab::stop_smbd(server).unwrap_or_else(|error| panic!("stopping {server}: {error}"));
    again
}

/// The text of `path` read in another thread, or why not within `limit` (a read the agent
/// never answers fails the test instead of hanging it).
fn read_within(path: &std::path::Path, limit: Duration) -> Result<String, String> {
    let (sender, receiver) = mpsc::channel();
    let owned = path.to_path_buf();
    thread::spawn(move || {
        let _ = sender.send(fs::read_to_string(&owned).map(|text| text.trim().to_owned()));
    });
    match receiver.recv_timeout(limit) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer in {limit:?}")),
    }
}

/// Reads `path` until it says `wanted`: how long that took, and what came before.
fn time_until_it_says(path: &std::path::Path, wanted: &str) -> (Duration, Vec<String>) {
    let start = Instant::now();
    let mut before = Vec::new();
    loop {
        let left = FAILOVER_PATIENCE.saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "{} never said {wanted:?} in {FAILOVER_PATIENCE:?}: {before:?}",
            path.display()
        );
        match read_within(path, left) {
            Ok(text) if text == wanted => return (start.elapsed(), before),
            Ok(text) => before.push(text),
            Err(error) => before.push(error),
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_drive_on_a_dfs_root_fails_over_to_the_links_second_target_within_5_s() {
    let Some(world) = world_alone() else {
        return;
    };
    let mirror = world.link("mirror");
    let z = world.map("Z", &world.root("fs1").path);
    let marker = z.join(&mirror.name).join(&mirror.targets[0].file);
    assert_eq!(read(&marker), world.names("mirror", 0));
    let _started_again = stop_server_of(&world, &mirror.targets[0].path);
    let (elapsed, before) = time_until_it_says(&marker, &world.names("mirror", 1));
    eprintln!("a drive on the root failed over in {elapsed:?} (read before: {before:?})");
    assert!(elapsed <= FAILOVER_BOUND, "{elapsed:?}: {before:?}");
}

#[test]
fn a_drive_on_a_dfs_link_fails_over_to_its_second_target_within_5_s() {
    let Some(world) = world_alone() else {
        return;
    };
    let mirror = world.link("mirror");
    let z = world.map("Z", &mirror.path);
    let marker = z.join(&mirror.targets[0].file);
    assert_eq!(read(&marker), world.names("mirror", 0));
    let _started_again = stop_server_of(&world, &mirror.targets[0].path);
    let (elapsed, before) = time_until_it_says(&marker, &world.names("mirror", 1));
    eprintln!("a drive on the link failed over in {elapsed:?} (read before: {before:?})");
    assert!(elapsed <= FAILOVER_BOUND, "{elapsed:?}: {before:?}");
}
