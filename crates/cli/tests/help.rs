//! The command line explains itself: each verb's help (`--help`, `/?`, `wnet help VERB`, `-h`),
//! errors that point to the fix, and the manual pages and shell completions made from the same
//! grammar. No lab: nothing here touches the network.

use std::process::{Command, Output};

/// The verbs a user can see (the hidden `man` is for packagers).
const VERBS: [&str; 11] = [
    "use",
    "view",
    "nbtstat",
    "scan",
    "lookup",
    "resolve",
    "responder",
    "user",
    "unc",
    "agent",
    "completions",
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
        (&["completions"], "<SHELL>"),
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

/// A fresh directory of this test process.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wnet-help-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn contrib() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contrib")
}

/// `expected` is what `path` holds; with WNET_UPDATE_CONTRIB=1 it is written there instead.
fn check_generated(path: &std::path::Path, expected: &[u8], stale: &mut Vec<String>) {
    if std::env::var_os("WNET_UPDATE_CONTRIB").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("contrib directory");
        std::fs::write(path, expected).expect("contrib file written");
    } else if std::fs::read(path).ok().as_deref() != Some(expected) {
        stale.push(path.display().to_string());
    }
}

/// The committed man pages and completion scripts are what this build generates: CI fails
/// when a grammar change forgets them. `WNET_UPDATE_CONTRIB=1 cargo nextest run -p wnet-cli
/// contrib` rewrites them.
#[test]
fn contrib_man_pages_and_completions_are_up_to_date() {
    let mut stale = Vec::new();
    for (shell, file) in [
        ("bash", "wnet.bash"),
        ("zsh", "_wnet"),
        ("fish", "wnet.fish"),
    ] {
        let output = wnet(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        check_generated(
            &contrib().join("completions").join(file),
            &output.stdout,
            &mut stale,
        );
    }
    let dir = scratch("man");
    let output = wnet(&["man", dir.to_str().expect("a UTF-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut generated: Vec<String> = std::fs::read_dir(&dir)
        .expect("the pages")
        .map(|entry| {
            entry
                .expect("a page")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    generated.sort();
    assert_eq!(generated.len(), VERBS.len() + 1, "{generated:?}");
    for name in &generated {
        let page = std::fs::read(dir.join(name)).expect("a page");
        check_generated(&contrib().join("man").join(name), &page, &mut stale);
    }
    if let Ok(committed) = std::fs::read_dir(contrib().join("man")) {
        for entry in committed {
            let name = entry
                .expect("a page")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !generated.contains(&name) {
                stale.push(format!("contrib/man/{name} (no such page any more)"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with WNET_UPDATE_CONTRIB=1 cargo nextest run -p \
         wnet-cli contrib"
    );
}

#[test]
fn man_pages_render_with_man() {
    let dir = scratch("render");
    let output = wnet(&["man", dir.to_str().expect("a UTF-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut pages = vec!["wnet".to_owned()];
    pages.extend(VERBS.iter().map(|verb| format!("wnet-{verb}")));
    for page in pages {
        let rendered = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(dir.join(format!("{page}.1")))
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("man runs (scripts/setup installs man-db)");
        assert!(rendered.status.success(), "{page}: {}", stderr(&rendered));
        assert_eq!(stderr(&rendered), "", "{page}: groff warns");
        let text = words(&stdout(&rendered));
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "SEE ALSO"] {
            if page == "wnet-completions" && section == "ENVIRONMENT" {
                continue;
            }
            assert!(text.contains(section), "{page}: no {section} in {text}");
        }
        if let Some(verb) = page.strip_prefix("wnet-") {
            assert!(text.contains("EXAMPLES"), "{page}");
            for example in wnet_cli::help::examples(verb) {
                assert!(
                    text.contains(example.command),
                    "{page}: {}",
                    example.command
                );
            }
        }
    }
    let use_page = words(&stdout(
        &Command::new("man")
            .arg("-l")
            .arg(dir.join("wnet-use.1"))
            .env("MANWIDTH", "1000")
            .env("MANPAGER", "cat")
            .output()
            .expect("man runs"),
    ));
    assert!(use_page.contains("(net use /user:NAME)"), "{use_page}");
    assert!(use_page.contains("WNET_PASSWORD"), "{use_page}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn bash(script: &str) -> Output {
    Command::new("bash")
        .args(["-c", script])
        .env("WNET", env!("CARGO_BIN_EXE_wnet"))
        .output()
        .expect("bash runs")
}

#[test]
fn completions_load_in_bash() {
    let output = bash(r#"source <("$WNET" completions bash) && complete -p wnet"#);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    assert!(
        stdout(&output).contains("-F _wnet_extra"),
        "{}",
        stdout(&output)
    );
    for (shell, marker) in [("zsh", "#compdef wnet"), ("fish", "complete -c wnet")] {
        let script = help(&["completions", shell]);
        assert!(script.contains(marker), "{shell}");
        for verb in VERBS {
            assert!(script.contains(verb), "{shell}: {verb}");
        }
    }
}

/// What bash offers for the word being typed at the end of `line`, with `program` as wnet.
fn bash_completes(program: &str, line: &[&str]) -> Vec<String> {
    let words: Vec<String> = line.iter().map(|word| format!("'{word}'")).collect();
    let script = format!(
        r#"source <("$WNET" completions bash) || exit 1
COMP_WORDS=('{program}' {words}); COMP_CWORD={cword}; COMPREPLY=()
_wnet_extra '{program}' "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words.join(" "),
        cword = line.len(),
    );
    let output = bash(&script);
    assert!(output.status.success(), "{line:?}: {}", stderr(&output));
    stdout(&output)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_windows_switches_and_the_connections_in_use() {
    let real = env!("CARGO_BIN_EXE_wnet");
    assert_eq!(bash_completes(real, &["use", "/del"]), ["/delete"]);
    assert_eq!(bash_completes(real, &["use", "/pers"]), ["/persistent:"]);
    assert_eq!(bash_completes(real, &["view", "/a"]), ["/all"]);
    assert!(bash_completes(real, &["use", "--pri"]).contains(&"--privacy".to_owned()));
    // A wnet whose `--json use` lists two drives and a deviceless connection.
    let dir = scratch("fake");
    let fake = dir.join("wnet");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1 $2\" = '--json use' ] || exit 2\ncat <<'JSON'\n\
         [{\"local\":\"Z:\",\"remote\":\"\\\\\\\\srv\\\\share\",\"status\":\"OK\"},\
         {\"local\":\"Y:\",\"remote\":\"\\\\\\\\other\\\\docs\",\"status\":\"Unavailable\"},\
         {\"local\":null,\"remote\":\"\\\\\\\\srv\\\\IPC$\",\"status\":\"OK\"}]\nJSON\n",
    )
    .expect("a fake wnet");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let fake = fake.to_str().expect("a UTF-8 path");
    assert!(bash_completes(fake, &["use", "Z"]).contains(&"Z:".to_owned()));
    let shares = bash_completes(fake, &["use", "//s"]);
    assert!(shares.contains(&"//srv/share".to_owned()), "{shares:?}");
    assert!(shares.contains(&"//srv/IPC$".to_owned()), "{shares:?}");
    assert!(bash_completes(fake, &["--timeout", "5", "user", "Y"]).contains(&"Y:".to_owned()));
    assert!(!bash_completes(fake, &["scan", "Z"]).contains(&"Z:".to_owned()));
    let _ = std::fs::remove_dir_all(&dir);
}
