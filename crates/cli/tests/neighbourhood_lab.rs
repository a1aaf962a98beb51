//! The merged network neighbourhood against the broadcast lab's announcers (`lab/netns`):
//! NBHOST1 answers NetBIOS only, WSDHOST WS-Discovery only (in workgroup WNETWSD, known from
//! nowhere else), MDNSHOST mDNS only, ALLHOST all three. `wnet view` lists each once with the
//! sources that saw it; a host that says Bye (or an mDNS goodbye) leaves a running agent's view
//! without a new round, and comes back with its Hello.
//!
//! Multicast goes only to the lab's bridge (WNET_DISCOVERY_INTERFACES), broadcasts only to the
//! lab's subnet.

mod common;

use std::collections::BTreeMap;
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use common::{Sandbox, assert_success, json, text};
use serde_json::Value;
use wnet_testlab::NetnsLab;

/// A sandbox whose discovery stays inside the netns lab.
fn lab_sandbox(lab: &NetnsLab) -> Sandbox {
    let mut sandbox = Sandbox::without_lab();
    sandbox.set("WNET_BROADCAST_ADDRESSES", &lab.broadcast.to_string());
    sandbox.set("WNET_DISCOVERY_INTERFACES", &lab.bridge.name);
    sandbox.set("WNET_WINS_SERVERS", "");
    sandbox.set("WNET_WORKGROUP", &lab.nmbd.workgroup);
    sandbox
}

/// Servers as `wnet --json view` lists them: name → (address, workgroup, sources).
type Listed = BTreeMap<String, (String, Value, Vec<String>)>;

/// `wnet --json view`'s servers.
fn servers(output: &Output) -> Listed {
    let mut found = BTreeMap::new();
    for server in json(output)["servers"].as_array().into_iter().flatten() {
        let name = server["name"].as_str().unwrap_or_default().to_owned();
        let sources = server["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|source| source.as_str().map(str::to_owned))
            .collect();
        let address = server["address"].as_str().unwrap_or_default().to_owned();
        let previous = found.insert(
            name.clone(),
            (address, server["workgroup"].clone(), sources),
        );
        assert!(
            previous.is_none(),
            "{name} listed twice: {}",
            text(&output.stdout)
        );
    }
    found
}

/// Runs `wnet --json view` until `done` holds of its servers (at most `limit`).
fn view_until(sandbox: &Sandbox, limit: Duration, done: impl Fn(&Listed) -> bool) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        let output = sandbox.wnet(&["--json", "view"]);
        assert_success(&output);
        if done(&servers(&output)) || Instant::now() >= deadline {
            return output;
        }
        thread::sleep(Duration::from_millis(300));
    }
}

/// The announcers as the lab describes them: name → (address, sources).
fn expected(lab: &NetnsLab) -> BTreeMap<String, (String, Vec<String>)> {
    lab.hosts
        .iter()
        .filter(|host| !host.announces.is_empty())
        .filter_map(|host| {
            let name = host.name.clone()?;
            Some((name, (host.address.to_string(), host.announces.clone())))
        })
        .collect()
}

fn lists_every_announcer(lab: &NetnsLab) -> impl Fn(&Listed) -> bool + '_ {
    move |found| {
        expected(lab).iter().all(|(name, (address, sources))| {
            found
                .get(name)
                .is_some_and(|(at, _, seen)| at == address && seen == sources)
        })
    }
}

#[test]
fn every_announcer_is_listed_once_with_the_sources_that_saw_it() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    assert!(
        expected(&lab).len() >= 4,
        "the lab's announcers: {:?}",
        lab.hosts
    );
    let sandbox = lab_sandbox(&lab);
    // Cold: no agent runs, so the command runs a round itself (nmbd may still be registering
    // its names right after the lab came up: a few rounds at most).
    let output = view_until(
        &sandbox,
        Duration::from_secs(30),
        lists_every_announcer(&lab),
    );
    let found = servers(&output);
    for (name, (address, sources)) in expected(&lab) {
        let (at, _, seen) = found
            .get(&name)
            .unwrap_or_else(|| panic!("{name} not listed: {}", text(&output.stdout)));
        assert_eq!((at, seen), (&address, &sources), "{name}");
    }
    assert_eq!(found["WSDHOST"].1, "WNETWSD", "WSD metadata's workgroup");
    assert_eq!(found["ALLHOST"].1, "WNETBCAST");
    assert!(!sandbox.socket().exists(), "a cold view starts no agent");
}

#[test]
fn a_workgroup_known_only_from_ws_discovery_is_listed() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let sandbox = lab_sandbox(&lab);
    let output = sandbox.wnet(&["--json", "view", "/domain"]);
    assert_success(&output);
    let answer = json(&output);
    assert_eq!(
        answer["sources"]["WNETWSD"],
        serde_json::json!(["wsd"]),
        "{answer}"
    );
    assert!(
        answer["workgroups"]
            .as_array()
            .is_some_and(|names| names.iter().any(|name| name == "WNETWSD")),
        "{answer}"
    );
    let servers_of = sandbox.wnet(&["--json", "view", "/domain:WNETWSD"]);
    assert_success(&servers_of);
    let listed: Vec<_> = servers(&servers_of).into_keys().collect();
    assert_eq!(listed, ["WSDHOST"], "{}", text(&servers_of.stdout));
}

/// With the agent running: a host's Bye (WSD) and goodbye (mDNS) take it out of the view the
/// agent answers from at once, and its Hello and announcement bring it back, all well within
/// the agent's 30 s between rounds.
#[test]
fn a_host_that_says_bye_leaves_the_agents_view_and_comes_back() {
    let Some(lab) = NetnsLab::acquire_exclusive_or_skip() else {
        return;
    };
    let sandbox = lab_sandbox(&lab);
    assert_success(&sandbox.wnet(&["agent", "start"]));
    let limit = Duration::from_secs(10);
    let first = view_until(
        &sandbox,
        Duration::from_secs(30),
        lists_every_announcer(&lab),
    );
    assert!(
        lists_every_announcer(&lab)(&servers(&first)),
        "{}",
        text(&first.stdout)
    );

    for (host, name, stop, start) in [
        ("wnetnb4", "WSDHOST", "stop-wsdd", "start-wsdd"),
        ("wnetnb5", "MDNSHOST", "stop-avahi", "start-avahi"),
    ] {
        lab.run(&[stop, host])
            .unwrap_or_else(|error| panic!("{error}"));
        let gone = view_until(&sandbox, limit, |found| !found.contains_key(name));
        lab.run(&[start, host])
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(
            !servers(&gone).contains_key(name),
            "{name} still listed after it left: {}",
            text(&gone.stdout)
        );
        let back = view_until(&sandbox, limit, |found| found.contains_key(name));
        assert!(
            servers(&back).contains_key(name),
            "{name} not back after it announced itself: {}",
            text(&back.stdout)
        );
    }
    // ALLHOST's other sources keep it listed whatever one of them says.
    let all = servers(&view_until(&sandbox, limit, |_| true));
    assert!(all.contains_key("ALLHOST"));
}
