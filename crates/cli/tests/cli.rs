//! The `wnet` binary as a user meets it: help, version, verbs, flags and exit codes.

use std::process::{Command, Output};

const VERBS: [&str; 10] = [
    "use",
    "view",
    "nbtstat",
    "scan",
    "lookup",
    "resolve",
    "user",
    "unc",
    "agent",
    "responder",
];

fn wnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wnet"))
        // Should a test ever resolve without --server or --broadcast, its broadcasts stay
        // on loopback instead of going out of every interface.
        .env("WNET_BROADCAST_ADDRESSES", "127.255.255.255")
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("wnet runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_every_verb_and_global_flag() {
    let output = wnet(&["--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .expect("a Commands section")
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    for verb in VERBS {
        assert!(
            commands.contains(&verb),
            "{verb} missing from: {commands:?}"
        );
    }
    for flag in ["--json", "--verbose", "--timeout", "--version"] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn version_is_the_crate_version() {
    let output = wnet(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        stdout(&output).trim(),
        format!("wnet {}", env!("CARGO_PKG_VERSION"))
    );
}

/// A private, empty runtime directory: no agent runs there, none is started by these lines.
fn isolated_runtime() -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("wnet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    dir
}

fn wnet_isolated(args: &[&str]) -> Output {
    let runtime = isolated_runtime();
    Command::new(env!("CARGO_BIN_EXE_wnet"))
        .env("WNET_BROADCAST_ADDRESSES", "127.255.255.255")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("WNET_CONFIG_DIR", runtime.join("config"))
        .env_remove("WNET_AGENT_SOCKET")
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .expect("wnet runs")
}

#[test]
fn wnet_errors_are_windows_system_errors() {
    // No agent runs, so no connection exists: WNetGetUniversalName says ERROR_NOT_CONNECTED.
    let output = wnet_isolated(&["unc", "/tmp"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("System error 2250 has occurred."),
        "{}",
        stderr(&output)
    );
    let output = wnet_isolated(&["agent", "status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not running"));
}

#[test]
fn json_errors_are_one_object_on_stdout() {
    let output = wnet_isolated(&["--json", "user", "Q:"]);
    assert_eq!(output.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("JSON");
    assert_eq!(body["error"], "win32");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| message.contains("2250")),
        "{body}"
    );
}

#[test]
fn global_flags_are_accepted_after_the_verb() {
    let output = wnet_isolated(&["unc", "-v", "--timeout", "500", "--json", "/tmp"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let body: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("JSON");
    assert_eq!(body["error"], "win32");
}

#[test]
fn verb_grammars_reject_bad_arguments() {
    for line in [
        &["nbtstat"][..],
        &["nbtstat", "-A", "198.51.100.2", "-c"],
        &["nbtstat", "-A", "not-an-address"],
        &["scan"],
        &["scan", "198.51.100.1", "--rate", "fast"],
        &["scan", "198.51.100.0/33"],
        &["scan", "198.51.100.9-1"],
        &["lookup"],
        &["lookup", "X", "--server", "host.example"],
        &["responder", "--port", "70000"],
        &["use", r"\\server\share", "/bogus"],
        &["use", "a", "b", "c", "d"],
        &["use", "/delete"],
        &["view", "a", "b"],
        &["user", "a", "b"],
        &["unc"],
        &["agent", "restart"],
    ] {
        let output = wnet(line);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{line:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn usage_errors_exit_2_with_a_reason() {
    let output = wnet(&["--timeout", "soon", "lookup", "X"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a number of milliseconds or seconds"));

    let output = wnet(&["--timeout", "0", "lookup", "X"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("at least 1ms"));

    let output = wnet(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unrecognized subcommand"));

    let output = wnet(&[]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn verbose_logging_goes_to_stderr() {
    let output = wnet_isolated(&["-vv", "unc", "/tmp"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("wnet starting"),
        "{}",
        stderr(&output)
    );
    let quiet = wnet_isolated(&["unc", "/tmp"]);
    assert!(!stderr(&quiet).contains("wnet starting"));
}

/// `wnet resolve` says which step answered; only the hosts step runs (no network: DNS here
/// points at an address tests must not use, and no multicast interface is chosen).
#[test]
fn resolve_names_the_step_that_answered() {
    let resolve = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            .env("WNET_RESOLVE_ORDER", "hosts")
            .env("WNET_DISCOVERY_INTERFACES", "none")
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .expect("wnet runs")
    };
    let output = resolve(&["--json", "resolve", "localhost"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(body["address"], "127.0.0.1");
    assert_eq!(body["source"], "hosts");
    assert_eq!(body["cached"], false);
    let output = resolve(&["resolve", "198.51.100.7"]);
    assert_eq!(stdout(&output), "198.51.100.7\t198.51.100.7\taddress\n");
    let output = resolve(&["--json", "resolve", "no-such-host.invalid"]);
    assert_eq!(output.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(body["error"], "not_found");
    let bad = Command::new(env!("CARGO_BIN_EXE_wnet"))
        .env("WNET_RESOLVE_ORDER", "hosts,wins")
        .args(["resolve", "x"])
        .output()
        .expect("wnet runs");
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}
