//! The `wnet` binary as a user meets it: help, version, verbs, flags and exit codes.

use std::process::{Command, Output};

const VERBS: [&str; 9] = [
    "use",
    "view",
    "nbtstat",
    "scan",
    "lookup",
    "user",
    "unc",
    "agent",
    "responder",
];

/// Each verb not implemented yet, with arguments its grammar accepts.
const PENDING_VERB_LINES: [&[&str]; 5] = [
    &["use", "X:", r"\\server\share"],
    &["view", r"\\server"],
    &["user"],
    &["unc", "/tmp"],
    &["agent", "status"],
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

#[test]
fn unimplemented_verbs_say_so_and_exit_3() {
    for line in PENDING_VERB_LINES {
        let verb = line[0];
        let output = wnet(line);
        assert_eq!(output.status.code(), Some(3), "{verb}: {}", stderr(&output));
        assert_eq!(
            stderr(&output).trim(),
            format!("wnet {verb}: not yet implemented")
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn json_errors_are_one_object_on_stdout() {
    let output = wnet(&["--json", "view", r"\\server"]);
    assert_eq!(output.status.code(), Some(3));
    let body: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("JSON");
    assert_eq!(body["error"], "not_implemented");
    assert_eq!(body["message"], "wnet view: not yet implemented");
}

#[test]
fn global_flags_are_accepted_after_the_verb() {
    let output = wnet(&["view", "-v", "--timeout", "500", "--json"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
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
    let output = wnet(&["-vv", "view"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("wnet starting"),
        "{}",
        stderr(&output)
    );
    let quiet = wnet(&["view"]);
    assert!(!stderr(&quiet).contains("wnet starting"));
}
