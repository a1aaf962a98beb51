//! The command line explains itself: each verb's help (`--help`, `/?`, `wnet help VERB`, `-h`),
//! and errors that point to the fix. No lab: nothing here touches the network.

use std::process::{Command, Output};

/// The verbs.
const VERBS: [&str; 9] = [
    "use",
    "view",
    "nbtstat",
    "scan",
    "lookup",
    "responder",
    "user",
    "unc",
    "agent",
];

fn wnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wnet"))
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

fn help(args: &[&str]) -> String {
    let output = wnet(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn every_verb_shows_its_usage_arguments_switches_and_examples() {
    let grammar = wnet_cli::help::command();
    for verb in VERBS {
        let text = words(&help(&[verb, "--help"]));
        assert!(
            text.contains(&format!("Usage: wnet {verb}")),
            "{verb}: {text}"
        );
        let command = grammar
            .find_subcommand(verb)
            .expect("a verb of the grammar");
        for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
            let shown = match (arg.get_long(), arg.get_short(), arg.get_value_names()) {
                (Some(long), _, _) => format!("--{long}"),
                (None, Some(short), _) => format!("-{short}"),
                (None, None, Some(names)) => names[0].to_string(),
                (None, None, None) => arg.get_id().to_string(),
            };
            assert!(
                text.contains(&shown),
                "{verb}: {shown} missing from: {text}"
            );
        }
        let examples = wnet_cli::help::examples(verb);
        assert!(
            (3..=5).contains(&examples.len()),
            "{verb} has {} examples",
            examples.len()
        );
        assert!(text.contains("Examples:"), "{verb}: {text}");
        for example in examples {
            assert!(
                text.contains(example.command),
                "{verb}: {}",
                example.command
            );
        }
    }
}

/// The help as words separated by single spaces, whatever the wrapping.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn use_and_view_explain_each_windows_switch_and_the_environment() {
    let text = words(&help(&["use", "--help"]));
    for switch in [
        "DEVICE|*",
        r"\\server\share",
        "PASSWORD|*",
        "net use /user:NAME",
        "net use /persistent:yes|no",
        "net use /savecred",
        "net use /requireintegrity",
        "net use /requireprivacy",
        "net use /writethrough",
        "net use /delete",
        "net use /y",
        "/restore",
        "WNET_USER",
        "WNET_PASSWORD",
        "WNET_SMB_TIMEOUT",
    ] {
        assert!(text.contains(switch), "use: {switch} missing from: {text}");
    }
    let text = words(&help(&["view", "--help"]));
    for switch in [
        r"\\server",
        "net view /all",
        "net view /domain, net view /domain:NAME",
        "WNET_WORKGROUP",
    ] {
        assert!(text.contains(switch), "view: {switch} missing from: {text}");
    }
    let text = words(&help(&["nbtstat", "--help"]));
    for switch in [
        "nbtstat -A",
        "nbtstat -a",
        "nbtstat -c",
        "nbtstat -n",
        "nbtstat -s",
    ] {
        assert!(text.contains(switch), "nbtstat: {switch} missing");
    }
}

/// Every environment variable the help names is in README.md's Configuration table.
#[test]
fn the_environment_in_help_is_the_readme_configuration() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let table: String = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration section")
        .to_owned();
    for variable in wnet_cli::help::ENVIRONMENT {
        for name in variable.name.split(", ") {
            assert!(table.contains(&format!("`{name}`")), "{name} not in README");
        }
    }
}

#[test]
fn slash_question_and_help_verb_print_the_long_help_and_h_the_short() {
    for verb in VERBS {
        let long = help(&[verb, "--help"]);
        assert_eq!(help(&[verb, "/?"]), long, "wnet {verb} /?");
        assert_eq!(help(&["help", verb]), long, "wnet help {verb}");
        let short = help(&[verb, "-h"]);
        assert!(short.contains(&format!("Usage: wnet {verb}")), "{short}");
        assert!(short.len() < long.len(), "{verb}: -h is not shorter");
        assert!(!short.contains("Examples:"), "{verb}: {short}");
        assert!(short.contains(&format!("wnet help {verb}")), "{short}");
    }
    assert_eq!(help(&["/?"]), help(&["--help"]));
}

#[test]
fn a_wrong_switch_gets_the_usage_and_the_close_one() {
    for (line, typed, suggested) in [
        (
            &["use", r"\\srv\share", "/delet"][..],
            "'/delet'",
            "'/delete'",
        ),
        (
            &["use", "Z:", "/PERSISTANT:no"],
            "'/persistant'",
            "'/persistent'",
        ),
        (
            &["use", r"\\srv\share", "--usr", "alice"],
            "'--usr'",
            "'--user'",
        ),
        (&["view", r"\\srv", "/al"], "'/al'", "'/all'"),
        (
            &["nbtstat", "-A", "198.51.100.7", "--rate", "2"],
            "'--rate'",
            "",
        ),
        (&["agent", "restrat"], "'restrat'", "'start'"),
    ] {
        let output = wnet(line);
        assert_eq!(output.status.code(), Some(2), "{line:?}");
        let message = stderr(&output);
        assert!(message.contains(typed), "{line:?}: {message}");
        assert!(message.contains(suggested), "{line:?}: {message}");
        assert!(message.contains("Usage: wnet "), "{line:?}: {message}");
    }
    let output = wnet(&["use", r"\\srv\share", "/bogus"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("'wnet use /?' lists the switches"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_argument_is_named() {
    for (line, named) in [
        (&["unc"][..], "<PATH>"),
        (&["lookup"], "<NAME>"),
        (&["scan"], "<TARGETS>"),
        (&["use", "/delete"], "DEVICE"),
        (&["use", "Z:"], r"\\server\share"),
        (&["use", "/user:alice"], r"\\server\share"),
    ] {
        let output = wnet(line);
        assert_eq!(output.status.code(), Some(2), "{line:?}");
        assert!(
            stderr(&output).contains(named),
            "{line:?}: {}",
            stderr(&output)
        );
    }
}
