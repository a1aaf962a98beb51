//! Windows' switch syntax (`/user:NAME`, `/delete`, `/?`) turned into the Unix syntax the clap
//! grammar (the `args` module) parses, so that one grammar describes, parses and documents
//! every switch.
//!
//! `/?` after any verb (or alone) asks for help, as in Windows. The verbs of `net`
//! ([`WINDOWS_VERBS`]) also take their switches as `/name` or `/name:value`, in any case:
//! `/USER:alice` becomes `--user=alice`. A word that starts with `//`, or has another `/`
//! after the first (`//server/share`, `/tmp/x`), is an operand and stays as it is.

use std::ffi::OsString;

/// The verbs whose switches are also written the Windows way.
pub const WINDOWS_VERBS: &[&str] = &["use", "view"];

/// A command line rewritten for clap, and which words were rewritten from what.
#[derive(Debug, Default)]
pub struct Rewritten {
    /// The words for clap, the program name first.
    pub args: Vec<OsString>,
    /// The verb, when one was found.
    pub verb: Option<String>,
    /// Each rewritten switch's name as clap sees it (`--user`) and as it was typed (`/user`).
    pub switches: Vec<(String, String)>,
}

/// Rewrites a command line (the program name first) from Windows' switch syntax to clap's.
pub fn rewrite(args: impl IntoIterator<Item = OsString>) -> Rewritten {
    let mut rewritten = Rewritten::default();
    let mut words = args.into_iter();
    rewritten.args.extend(words.next());
    let mut verb: Option<String> = None;
    let mut value_follows = false;
    let mut operands_only = false;
    for word in words {
        let Some(text) = word.to_str() else {
            rewritten.args.push(word);
            continue;
        };
        if operands_only || value_follows {
            value_follows = false;
            rewritten.args.push(word);
            continue;
        }
        if text == "--" {
            operands_only = true;
            rewritten.args.push(word);
            continue;
        }
        if text == "/?" || text == "-?" {
            rewritten.args.push("--help".into());
            continue;
        }
        match &verb {
            None => {
                // Global flags may come before the verb; only --timeout takes a separate value.
                if text == "--timeout" {
                    value_follows = true;
                } else if !text.starts_with('-') {
                    verb = Some(text.to_owned());
                    rewritten.verb.clone_from(&verb);
                }
                rewritten.args.push(word);
            }
            Some(verb) if WINDOWS_VERBS.contains(&verb.as_str()) => {
                let (clap_word, switch) = windows_switch(text);
                if let Some(switch) = switch {
                    rewritten.switches.push(switch);
                }
                rewritten.args.push(clap_word.into());
            }
            Some(_) => rewritten.args.push(word),
        }
    }
    rewritten
}

/// One word of a `net` verb: a Windows switch becomes `--name[=value]` (with what it was
/// typed as), a Unix one gets its name in lower case, anything else stays.
fn windows_switch(word: &str) -> (String, Option<(String, String)>) {
    if let Some(long) = word.strip_prefix("--") {
        let lowered = match long.split_once('=') {
            Some((name, value)) => format!("--{}={value}", name.to_ascii_lowercase()),
            None => format!("--{}", long.to_ascii_lowercase()),
        };
        return (lowered, None);
    }
    let Some(body) = word.strip_prefix('/') else {
        return (word.to_owned(), None);
    };
    if body.is_empty() || body.starts_with('/') || body.contains('/') {
        return (word.to_owned(), None);
    }
    let (name, value) = match body.split_once(':') {
        Some((name, value)) => (name.to_ascii_lowercase(), Some(value)),
        None => (body.to_ascii_lowercase(), None),
    };
    let clap_word = match value {
        Some(value) => format!("--{name}={value}"),
        None => format!("--{name}"),
    };
    (clap_word, Some((format!("--{name}"), format!("/{name}"))))
}

/// A clap error about a switch given the Windows way, told the Windows way: `unexpected
/// argument '/bogus'`, and a similar switch suggested as `/user`.
pub fn windows_error(mut error: clap::Error, rewritten: &Rewritten) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    let typed = |clap_name: &str| {
        let name = clap_name.split(['=', ' ']).next().unwrap_or(clap_name);
        rewritten
            .switches
            .iter()
            .find(|(rewritten_name, _)| rewritten_name == name)
            .map(|(_, typed)| typed.clone())
    };
    let invalid = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(invalid)) => invalid.clone(),
        _ => return error,
    };
    let Some(typed_invalid) = typed(&invalid) else {
        return error;
    };
    let suggested = match error.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(suggested)) => suggested
            .strip_prefix("--")
            .map(|name| format!("/{}", name.split(['=', ' ']).next().unwrap_or(name))),
        _ => None,
    };
    error.insert(ContextKind::InvalidArg, ContextValue::String(typed_invalid));
    if let Some(suggested) = suggested {
        error.insert(ContextKind::SuggestedArg, ContextValue::String(suggested));
    } else if error.kind() == clap::error::ErrorKind::UnknownArgument {
        // clap's tip would be to pass `--name` as a value; the switches are what helps.
        let verb = rewritten.verb.as_deref().unwrap_or("VERB");
        error.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![
                format!("'wnet {verb} /?' lists the switches of wnet {verb}").into(),
            ]),
        );
    }
    error
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    fn words(line: &[&str]) -> Vec<String> {
        rewrite(line.iter().map(Into::into))
            .args
            .iter()
            .map(|word| word.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn net_switches_become_long_options_and_operands_stay() {
        assert_eq!(
            words(&[
                "wnet",
                "--timeout",
                "use",
                "use",
                "Z:",
                r"\\srv\share",
                "//srv/share",
                "/USER:CORP\\alice",
                "/persistent:Yes",
                "/D",
                "--Force",
                "/?",
                "--",
                "/delete",
            ]),
            [
                "wnet",
                "--timeout",
                "use",
                "use",
                "Z:",
                r"\\srv\share",
                "//srv/share",
                "--user=CORP\\alice",
                "--persistent=Yes",
                "--d",
                "--force",
                "--help",
                "--",
                "/delete",
            ]
        );
    }

    #[test]
    fn other_verbs_keep_their_words_but_take_slash_question() {
        assert_eq!(
            words(&["wnet", "unc", "/tmp", "/x", "/?"]),
            ["wnet", "unc", "/tmp", "/x", "--help"]
        );
        assert_eq!(words(&["wnet", "/?"]), ["wnet", "--help"]);
    }
}
