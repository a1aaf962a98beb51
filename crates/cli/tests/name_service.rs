//! `wnet lookup` and `wnet nbtstat` against Samba's nmbd in the labs.

use std::process::{Command, Output};
use std::time::Duration;

use wnet_testlab::{NetnsLab, SambaLab, run_bounded};

fn wnet(args: &[&str]) -> Output {
    run_bounded(
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            // Should a test ever resolve without --server or --broadcast, its broadcasts stay
            // on loopback instead of going out of every interface.
            .env("WNET_BROADCAST_ADDRESSES", "127.255.255.255")
            .args(args),
        Duration::from_secs(30),
    )
    .expect("wnet ran")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn lookup_asks_a_server_like_nmblookup() {
    let lab = SambaLab::acquire().expect("lab up");
    let server = lab.address.to_string();
    let output = wnet(&["lookup", &lab.server_name, "--server", &server]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{server} {}<00>\n", lab.server_name)
    );

    let output = wnet(&[
        "--json",
        "lookup",
        &format!("{}#20", lab.server_name),
        "--server",
        &server,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(body["name"], format!("{}<20>", lab.server_name));
    assert_eq!(body["addresses"][0]["address"], server);
    assert_eq!(body["addresses"][0]["group"], false);

    let output = wnet(&["lookup", "NOSUCHNAME", "--server", &server]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output).trim(), "NOSUCHNAME<00>: not found");

    let output = wnet(&["lookup", "BAD*NAME", "--server", &server]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn lookup_by_broadcast_finds_the_netns_host() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let output = wnet(&[
        "lookup",
        &lab.nmbd.name,
        "--broadcast",
        &lab.broadcast.to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{} {}<00>\n", lab.nmbd.address, lab.nmbd.name)
    );
}

#[test]
fn nbtstat_lists_the_remote_name_table_as_windows_does() {
    let lab = SambaLab::acquire().expect("lab up");
    let output = wnet(&["nbtstat", "-A", &lab.address.to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains(&format!("Node IpAddress: [{}]", lab.address)),
        "{table}"
    );
    for row in [
        format!("    {:<15}<00>  UNIQUE      Registered", lab.server_name),
        format!("    {:<15}<20>  UNIQUE      Registered", lab.server_name),
        format!("    {:<15}<00>  GROUP       Registered", lab.workgroup),
        "    MAC Address = 00-00-00-00-00-00".to_owned(),
    ] {
        assert!(
            table.lines().any(|line| line == row),
            "{row:?} missing from:\n{table}"
        );
    }

    let output = wnet(&["--json", "nbtstat", "-A", &lab.address.to_string()]);
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(body["address"], lab.address.to_string());
    assert!(
        body["names"]
            .as_array()
            .is_some_and(|names| names.len() >= 5)
    );
}

/// A name cache file of this test's own, so tests never see each other's answers.
fn private_cache(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wnet-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("name-cache.json")
}

#[test]
fn configured_b_node_resolution_drives_lookup_and_nbtstat_by_name() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let cache = private_cache("b-node");
    let with_lab_broadcast = |args: &[&str]| {
        run_bounded(
            Command::new(env!("CARGO_BIN_EXE_wnet"))
                .args(args)
                .env("WNET_NODE_TYPE", "B")
                .env("WNET_BROADCAST_ADDRESSES", lab.broadcast.to_string())
                .env("WNET_NAME_CACHE", &cache),
            Duration::from_secs(30),
        )
        .expect("wnet ran")
    };
    let output = with_lab_broadcast(&["nbtstat", "-c"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("No names in cache"),
        "{}",
        stdout(&output)
    );
    let output = with_lab_broadcast(&["lookup", &lab.nmbd.name]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("{} {}<00>\n", lab.nmbd.address, lab.nmbd.name)
    );

    // The answer is cached for at most Windows' 600 s, and `nbtstat -c` shows it.
    let output = with_lab_broadcast(&["nbtstat", "-c"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let row = table
        .lines()
        .find(|line| line.starts_with(&format!("    {:<15}<00>  UNIQUE", lab.nmbd.name)))
        .unwrap_or_else(|| panic!("no cache row in:\n{table}"));
    assert!(row.contains(&lab.nmbd.address.to_string()), "{row}");
    let life: u64 = row
        .split_whitespace()
        .last()
        .unwrap()
        .parse()
        .expect("life");
    assert!((500..=600).contains(&life), "{row}");
    let output = with_lab_broadcast(&["--json", "nbtstat", "-c"]);
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(body[0]["name"], lab.nmbd.name);
    assert_eq!(body[0]["addresses"][0], lab.nmbd.address.to_string());

    // With broadcasts going nowhere, only the cache can resolve the name now.
    let output = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            .args(["nbtstat", "-a", &lab.nmbd.name])
            .env("WNET_NODE_TYPE", "B")
            .env("WNET_BROADCAST_ADDRESSES", "127.255.255.255")
            .env("WNET_NAME_CACHE", &cache),
        Duration::from_secs(30),
    )
    .expect("wnet ran");
    assert!(output.status.success(), "{}", stderr(&output));
    let _ = std::fs::remove_dir_all(cache.parent().expect("dir"));

    let output = with_lab_broadcast(&["nbtstat", "-a", &lab.nmbd.name]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains(&format!("Node IpAddress: [{}]", lab.nmbd.address)),
        "{table}"
    );
    assert!(
        table.contains(&format!("{:<15}<00>  UNIQUE", lab.nmbd.name)),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(cache.parent().expect("dir"));

    let output = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            .args(["lookup", "X"])
            .env("WNET_NODE_TYPE", "Q"),
        Duration::from_secs(30),
    )
    .expect("wnet ran");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("WNET_NODE_TYPE"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_silent_host_fails_with_a_timeout_not_a_hang() {
    let output = wnet(&["--timeout", "400", "nbtstat", "-A", "127.0.0.1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no answer within"),
        "{}",
        stderr(&output)
    );
}
