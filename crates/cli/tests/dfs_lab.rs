//! `wnet unc --targets` against the AD lab's DFS namespaces (`lab/ad`): a link with two
//! targets, a link into a second namespace, a plain share, and the referral cache. The host
//! knows the lab's names (the DC, fs1 and fs2) through a hosts file bound over `/etc/hosts`
//! in a private mount namespace, which the agent the command starts inherits; /etc is never
//! written. Alice's password reaches the agent as the default credentials (`WNET_USER`,
//! `WNET_PASSWORD`).

mod common;

use std::fmt::Write as _;
use std::fs;
use std::process::Output;
use std::time::Duration;

use common::Sandbox;
use serde_json::Value;
use wnet_testlab::{AdDfsLink, AdLab, InUse, run_bounded};

const LIMIT: Duration = Duration::from_secs(60);

/// The lab held shared, a sandbox with alice's credentials, and a hosts file naming the
/// lab's servers.
struct World {
    lab: InUse<AdLab>,
    sandbox: Sandbox,
    hosts: std::path::PathBuf,
}

fn world() -> Option<World> {
    let lab = AdLab::acquire_or_skip()?;
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

    /// `wnet --json unc --targets PATH`, which must succeed.
    fn targets(&self, path: &str) -> Value {
        json(&self.wnet(&["--json", "unc", "--targets", path]))
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
