//! What the command line says about itself: each verb's examples and the environment
//! variables it reads, added to the clap grammar of the `args` module (which describes every
//! argument and switch once), and the manual pages and shell completions made from the whole.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::builder::StyledStr;
use clap::{CommandFactory as _, FromArgMatches as _};

use crate::args::Cli;
use crate::windows_syntax;

/// A command line that shows a verb at work, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The command line, as typed in a shell.
    pub command: &'static str,
    /// What it does, in a sentence.
    pub does: &'static str,
}

const fn ex(command: &'static str, does: &'static str) -> Example {
    Example { command, does }
}

/// An environment variable `wnet` reads (README.md's Configuration table has them all).
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    /// The variable's name (two related ones are written `A, B`).
    pub name: &'static str,
    /// Its value when unset.
    pub default: &'static str,
    /// What it sets.
    pub meaning: &'static str,
    /// The verbs that read it (directly or through the agent they start).
    pub verbs: &'static [&'static str],
}

const SMB: &[&str] = &["use", "view", "unc"];
const AGENT: &[&str] = &["use", "view", "user", "unc", "agent"];
const RESOLVE: &[&str] = &["lookup", "nbtstat", "responder", "resolve", "use", "view"];
const SERVER_NAMES: &[&str] = &["use", "view", "unc", "resolve"];
const NCB: &[&str] = &["nbtstat"];

/// The environment variables the verbs read.
pub const ENVIRONMENT: &[Variable] = &[
    Variable {
        name: "WNET_USER, WNET_PASSWORD",
        default: "none",
        meaning: "default credentials for connections made without /user (DOMAIN\\user or \
                  user@domain); WNET_PASSWORD also answers a password prompt",
        verbs: &["use", "view", "user", "unc"],
    },
    Variable {
        name: "WNET_CONFIG_DIR",
        default: "$XDG_CONFIG_HOME/wnet (else ~/.config/wnet)",
        meaning: "holds credentials (per-server user and password, mode 0600) and \
                  remembered.json (remembered connections)",
        verbs: SMB,
    },
    Variable {
        name: "WNET_SMB_TIMEOUT",
        default: "15",
        meaning: "seconds each SMB step (connect, each request) may take",
        verbs: SMB,
    },
    Variable {
        name: "WNET_SMB_PORTS",
        default: "445,139",
        meaning: "ports tried in order; 139 means SMB inside a NetBIOS session",
        verbs: SMB,
    },
    Variable {
        name: "WNET_RESOLVE_ORDER",
        default: "hosts,dns,mdns,llmnr,netbios",
        meaning: "how server names are resolved, Windows' order by default (mdns and llmnr \
                  next to each other run at once)",
        verbs: SERVER_NAMES,
    },
    Variable {
        name: "WNET_DISCOVERY_INTERFACES",
        default: "the interfaces of WNET_BROADCAST_ADDRESSES, else every up multicast one",
        meaning: "where WS-Discovery, mDNS and LLMNR send multicast and listen \
                  (comma-separated names, or none)",
        verbs: SERVER_NAMES,
    },
    Variable {
        name: "WNET_REQUIRE_SECURITY_SIGNATURE",
        default: "1",
        meaning: "sign every authenticated session (Windows' RequireSecuritySignature)",
        verbs: SMB,
    },
    Variable {
        name: "WNET_ALLOW_INSECURE_GUEST_AUTH",
        default: "0",
        meaning: "accept guest logons (Windows' AllowInsecureGuestAuth)",
        verbs: SMB,
    },
    Variable {
        name: "WNET_IDLE_SESSION_TIMEOUT",
        default: "60",
        meaning: "seconds the agent keeps a session a listing opened, for the next one",
        verbs: &["view"],
    },
    Variable {
        name: "WNET_WORKGROUP",
        default: "WORKGROUP",
        meaning: "this machine's workgroup: its servers are browsed first, and servers no \
                  source places in a workgroup (mDNS) are listed in it",
        verbs: &["view"],
    },
    Variable {
        name: "WNET_DNS_SERVERS",
        default: "the nameservers of resolv.conf",
        meaning: "DNS servers asked for the domain controllers of the host's domains \
                  (krb5.conf's default_realm, resolv.conf's search list)",
        verbs: &["view"],
    },
    Variable {
        name: "WNET_RESOLV_CONF",
        default: "/etc/resolv.conf",
        meaning: "where the DNS servers and search list come from",
        verbs: &["view"],
    },
    Variable {
        name: "WNET_DRIVES_DIR",
        default: "$XDG_RUNTIME_DIR/wnet/drives (else /tmp/wnet-<uid>/drives)",
        meaning: "where drive letters are mounted (Z: at <dir>/Z)",
        verbs: &["use", "unc"],
    },
    Variable {
        name: "WNET_DRIVE_BACKEND",
        default: "fuse",
        meaning: "how the agent mounts drives: fuse, or cifs (the kernel's client, root only)",
        verbs: &["use"],
    },
    Variable {
        name: "WNET_AGENT_SOCKET",
        default: "$XDG_RUNTIME_DIR/wnet/agent.sock (else /tmp/wnet-<uid>/)",
        meaning: "the agent's socket",
        verbs: AGENT,
    },
    Variable {
        name: "WNET_AGENT_PROGRAM",
        default: "wnet-agent beside wnet, else on PATH",
        meaning: "the agent started on demand",
        verbs: AGENT,
    },
    Variable {
        name: "WNET_AGENT_TIMEOUT",
        default: "180",
        meaning: "seconds to wait for one answer of the agent",
        verbs: AGENT,
    },
    Variable {
        name: "WNET_AGENT_IDLE",
        default: "300",
        meaning: "seconds the agent stays with no connection and no client",
        verbs: &["agent", "use"],
    },
    Variable {
        name: "WNET_NODE_TYPE",
        default: "H",
        meaning: "NetBIOS node type: B broadcast, P name servers, M broadcast then servers, \
                  H servers then broadcast",
        verbs: RESOLVE,
    },
    Variable {
        name: "WNET_WINS_SERVERS",
        default: "none",
        meaning: "name servers (WINS), comma-separated IPv4 addresses",
        verbs: RESOLVE,
    },
    Variable {
        name: "WNET_BROADCAST_ADDRESSES",
        default: "every up interface's broadcast address",
        meaning: "where broadcasts go, comma-separated IPv4 addresses",
        verbs: RESOLVE,
    },
    Variable {
        name: "WNET_SCOPE_ID",
        default: "none",
        meaning: "NetBIOS scope ID",
        verbs: RESOLVE,
    },
    Variable {
        name: "WNET_NAME_CACHE",
        default: "$XDG_RUNTIME_DIR/wnet/name-cache.json (else /tmp/wnet-<uid>/)",
        meaning: "resolved names kept between runs (600 s each at most)",
        verbs: &["lookup", "nbtstat", "use", "view"],
    },
    Variable {
        name: "WNET_NETBIOS_INTERFACES",
        default: "every up interface with a broadcast address, and loopback",
        meaning: "the interfaces that become LANAs (comma-separated names)",
        verbs: NCB,
    },
    Variable {
        name: "WNET_NBT_NAME_PORT, WNET_NBT_SESSION_PORT",
        default: "137, 139",
        meaning: "the NetBIOS ports of the LANAs' nodes",
        verbs: NCB,
    },
    Variable {
        name: "WNET_NETBIOS_STATE_DIR",
        default: "$XDG_RUNTIME_DIR/wnet/netbios (else /tmp/wnet-<uid>/netbios)",
        meaning: "where NCB programs publish their session tables",
        verbs: NCB,
    },
    Variable {
        name: "WNET_NETBIOS_LOOPBACK",
        default: "127.0.0.1",
        meaning: "the loopback LANA's address, or off",
        verbs: NCB,
    },
    Variable {
        name: "RUST_LOG",
        default: "from -v",
        meaning: "log filter (tracing's env-filter syntax)",
        verbs: &[],
    },
];

/// Each verb's examples.
pub const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "use",
        &[
            ex(
                "wnet use",
                "List the connections, and the remembered ones not connected.",
            ),
            ex(
                r"wnet use Z: \\fileserver\projects /user:CORP\alice",
                "Map Z: to a share as CORP\\alice, asking for her password.",
            ),
            ex(
                r"wnet use * \\fileserver\projects * /persistent:yes",
                "Map the next free drive letter, ask for the password, and remember the \
                 connection for wnet use /restore.",
            ),
            ex(
                r"wnet --json use \\fileserver\secure --user alice --privacy",
                "Connect without a drive, refusing unless encrypted; print the result as JSON.",
            ),
            ex(
                "wnet use Z: /delete /y",
                "Cancel Z:, even with files open on it.",
            ),
        ],
    ),
    (
        "view",
        &[
            ex(
                "wnet view",
                "List every server nearby (NetBIOS, WS-Discovery, mDNS), with who saw it.",
            ),
            ex("wnet view /domain", "List the workgroups and domains."),
            ex(
                "wnet view /domain:LAB",
                "List the servers of workgroup LAB.",
            ),
            ex(
                r"wnet view \\fileserver /all",
                "List every share of fileserver, the hidden ones ($) too.",
            ),
            ex(
                r"wnet --json view \\fileserver /user:alice",
                "List the shares alice may see, as JSON.",
            ),
        ],
    ),
    (
        "nbtstat",
        &[
            ex(
                "wnet nbtstat -A 198.51.100.7",
                "The name table and MAC address of the host at 198.51.100.7.",
            ),
            ex(
                "wnet nbtstat -a FILESERVER",
                "The same, for the host named FILESERVER.",
            ),
            ex("wnet nbtstat -c", "The names in the resolver's cache."),
            ex("wnet nbtstat -n", "Our registered names."),
            ex("wnet --json nbtstat -s", "Our NetBIOS sessions, as JSON."),
        ],
    ),
    (
        "scan",
        &[
            ex(
                "wnet scan 198.51.100.0/24",
                "Every host of a /24 that answers.",
            ),
            ex(
                "wnet scan 198.51.100.1-20 198.51.100.99 --retries 2",
                "A range and an address, three probes for a silent host.",
            ),
            ex(
                "wnet scan -s , 198.51.100.0/24",
                "Script-friendly: no header, fields separated by commas.",
            ),
            ex(
                "wnet --timeout 300ms scan 198.51.100.0/24 --rate 500",
                "Wait 300 ms per probe, 500 probes per second at most.",
            ),
        ],
    ),
    (
        "lookup",
        &[
            ex("wnet lookup FILESERVER", "The addresses of FILESERVER."),
            ex(
                "wnet lookup 'LAB#1d' --broadcast 198.51.100.255",
                "The master browser of workgroup LAB, by broadcast.",
            ),
            ex(
                "wnet lookup FILESERVER --server 198.51.100.2",
                "Ask the WINS server at 198.51.100.2 only.",
            ),
            ex(
                "wnet lookup '*' --broadcast 198.51.100.255 --all",
                "Every host that answers a broadcast, until the timeout.",
            ),
        ],
    ),
    (
        "resolve",
        &[
            ex(
                "wnet resolve FILESERVER",
                "The address of FILESERVER and the step that found it.",
            ),
            ex(
                "wnet --json resolve nas.local",
                "A .local name, by mDNS, as JSON with its source.",
            ),
            ex(
                "WNET_RESOLVE_ORDER=llmnr,netbios wnet resolve PRINTER",
                "Only LLMNR, then NetBIOS.",
            ),
        ],
    ),
    (
        "responder",
        &[
            ex(
                "wnet responder --name MYBOX",
                "Register MYBOX and answer for it.",
            ),
            ex(
                "wnet responder --name MYBOX --name 'MYBOX#20' --group LAB",
                "A workstation and a server name, and the group LAB.",
            ),
            ex(
                "wnet responder --name TEST --bind 198.51.100.5 --port 1137",
                "Answer on one address and an unprivileged port.",
            ),
        ],
    ),
    (
        "user",
        &[
            ex("wnet user", "The default user."),
            ex("wnet user Z:", "The user Z: was connected as."),
            ex(
                r"wnet user \\fileserver\projects",
                "The user a share was connected as.",
            ),
        ],
    ),
    (
        "unc",
        &[
            ex(
                r"wnet unc Z:\reports\q3.txt",
                r"The network name of a file on Z:, as \\fileserver\projects\reports\q3.txt.",
            ),
            ex(
                r#"wnet unc "$XDG_RUNTIME_DIR/wnet/drives/Z/reports""#,
                "The same for a path under the drive's mount point.",
            ),
            ex(
                r"wnet --json unc Z:\reports",
                "The universal name, the connection and the rest of the path, as JSON.",
            ),
            ex(
                r"wnet unc --targets \\corp.example\files\reports\q3.txt",
                "The DFS referrals the path goes through, each target with the active one \
                 marked, and the share it lands on.",
            ),
            ex(
                r"wnet --json unc --targets Z:\reports",
                "The same for a path on a mapped drive, as JSON with the referral requests sent.",
            ),
        ],
    ),
    (
        "agent",
        &[
            ex("wnet agent", "Whether the agent runs, and what it holds."),
            ex("wnet agent start", "Start the agent unless it runs."),
            ex(
                "wnet agent stop",
                "Stop the agent, cancelling its connections.",
            ),
            ex("wnet --json agent status", "The agent's status as JSON."),
        ],
    ),
    (
        "completions",
        &[
            ex(
                "source <(wnet completions bash)",
                "Complete wnet in the running bash.",
            ),
            ex(
                "wnet completions zsh > ~/.zfunc/_wnet",
                "Install zsh completions (with ~/.zfunc in fpath).",
            ),
            ex(
                "wnet completions fish > ~/.config/fish/completions/wnet.fish",
                "Install fish completions.",
            ),
        ],
    ),
];

/// The examples of `verb` (none for an unknown verb).
pub fn examples(verb: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == verb)
        .map_or(&[], |(_, examples)| examples)
}

/// The environment variables `verb` reads; for `None` (the `wnet` command itself), all.
pub fn environment(verb: Option<&str>) -> impl Iterator<Item = &'static Variable> {
    ENVIRONMENT.iter().filter(move |variable| {
        verb.is_none_or(|verb| variable.verbs.is_empty() || variable.verbs.contains(&verb))
    })
}

fn heading(text: &str) -> String {
    let style = clap::builder::styling::Style::new().bold().underline();
    format!("{style}{text}{style:#}")
}

fn literal(text: &str) -> String {
    let style = clap::builder::styling::Style::new().bold();
    format!("{style}{text}{style:#}")
}

/// The text after a verb's long help: its examples and environment.
fn after_long_help(verb: &str) -> StyledStr {
    let mut text = String::new();
    let examples = examples(verb);
    if !examples.is_empty() {
        text.push_str(&heading("Examples:"));
        text.push('\n');
        for example in examples {
            let _ = writeln!(
                text,
                "  {}\n          {}",
                literal(example.command),
                example.does
            );
        }
    }
    let variables: Vec<_> = environment(Some(verb)).collect();
    if verb != "completions" && !variables.is_empty() {
        text.push('\n');
        text.push_str(&heading("Environment:"));
        text.push('\n');
        for variable in variables {
            let _ = writeln!(
                text,
                "  {}\n          {} (default: {})",
                literal(variable.name),
                variable.meaning,
                variable.default
            );
        }
    }
    StyledStr::from(text.trim_end().to_owned())
}

/// The whole grammar of `wnet`, with each verb's examples and environment: what parses the
/// command line, prints help and makes the manual pages and completions.
pub fn command() -> clap::Command {
    let mut command = Cli::command()
        .after_help("'wnet help VERB' (or 'wnet VERB /?') explains a verb, with examples.")
        .after_long_help(format!(
            "Every verb explains itself, with examples: wnet help VERB, wnet VERB --help or \
             wnet VERB /? (-h: the short form). Manual pages: man wnet-VERB.\n\n\
             Exit codes: 0 success, 1 the operation failed, 2 the command line is wrong.\n\n\
             {}\n  {}\n          {} (default: {})",
            heading("Environment:"),
            literal("RUST_LOG"),
            "log filter (tracing's env-filter syntax)",
            "from -v"
        ));
    let verbs: Vec<String> = command
        .get_subcommands()
        .map(|verb| verb.get_name().to_owned())
        .collect();
    for verb in verbs {
        let short = format!("Examples, environment and more: wnet help {verb} (or --help, /?).");
        let long = after_long_help(&verb);
        command = command.mut_subcommand(&verb, |sub| sub.after_help(short).after_long_help(long));
    }
    command
}

/// Parses a command line (the program name first), Windows' switch syntax and all.
///
/// # Errors
///
/// clap's error for a wrong command line (or for `--help` and `--version`, which print
/// themselves), with a switch given as `/name` told as typed.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    let rewritten = windows_syntax::rewrite(args);
    let mut command = command();
    command
        .try_get_matches_from_mut(rewritten.args.iter())
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .map_err(|error| {
            let mut error = error.format(&mut command);
            // clap shows the usage with some errors only: a wrong value gets it too.
            if error.get(clap::error::ContextKind::Usage).is_none() && error.use_stderr() {
                let verb = rewritten
                    .verb
                    .as_deref()
                    .and_then(|verb| command.find_subcommand_mut(verb));
                let usage = match verb {
                    Some(verb) => verb.render_usage(),
                    None => command.render_usage(),
                };
                error.insert(
                    clap::error::ContextKind::Usage,
                    clap::error::ContextValue::StyledStr(usage),
                );
            }
            windows_syntax::windows_error(error, &rewritten)
        })
}

/// What bash completes beyond the grammar: the switches of use and view in Windows' spelling
/// (`/user:`, `/delete`: `{switches}` is filled from the grammar), and the drive letters and
/// shares that `wnet --json use` lists (connected and remembered; it never starts the agent,
/// and is given 2 s) for the operands of use, user and unc. Shares are offered as
/// //server/share, which needs no quoting.
const BASH_EXTRA: &str = r#"
# Added by wnet: Windows' spelling of the switches of use and view, and the drive letters and
# shares in use or remembered (from `wnet --json use`, which never starts the agent) for the
# operands of use, user and unc.
_wnet_extra() {
    _wnet "$@"
    local cur="${COMP_WORDS[COMP_CWORD]}" verb="" word skip=""
    for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        if [[ -n "$skip" ]]; then skip=""; continue; fi
        case "$word" in
            --timeout) skip=1 ;;
            -*|/*) ;;
            *) verb="$word"; break ;;
        esac
    done
    case "$cur" in
        -*) return 0 ;;
        /[!/]*)
            local switches
            case "$verb" in
{switches}
                *) return 0 ;;
            esac
            COMPREPLY=($(compgen -W "$switches" -- "$cur"))
            if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]]; then
                compopt -o nospace 2>/dev/null
            fi
            return 0 ;;
    esac
    case "$verb" in use|user|unc) ;; *) return 0 ;; esac
    local json names
    json=$(timeout 2 "${COMP_WORDS[0]}" --json use 2>/dev/null) || return 0
    names=$(printf '%s\n' "$json" | grep -o '"\(local\|remote\)":"[^"]*"' |
        sed -e 's/^"[a-z]*":"//' -e 's/"$//' -e 's/\\\\/\//g')
    local IFS=$'\n'
    COMPREPLY+=($(compgen -W "$names" -- "$cur"))
}
complete -F _wnet_extra -o bashdefault -o default wnet
"#;

/// The `case` arms of [`BASH_EXTRA`]: each verb of [`windows_syntax::WINDOWS_VERBS`] with
/// its switches as Windows spells them (`/user:` for one that takes a value), from `command`
/// once built.
fn bash_windows_switches(command: &clap::Command) -> String {
    let mut arms = String::new();
    for verb in windows_syntax::WINDOWS_VERBS {
        let Some(sub) = command.find_subcommand(verb) else {
            continue;
        };
        let mut switches = vec!["/?".to_owned()];
        for arg in sub.get_arguments().filter(|arg| !arg.is_global_set()) {
            let Some(long) = arg.get_long() else {
                continue;
            };
            if long == "help" || long == "version" {
                continue;
            }
            let values = arg.get_num_args().unwrap_or_default();
            for name in std::iter::once(long).chain(arg.get_all_aliases().unwrap_or_default()) {
                if values.min_values() == 0 {
                    switches.push(format!("/{name}"));
                }
                if values.takes_values() {
                    switches.push(format!("/{name}:"));
                }
            }
        }
        let _ = writeln!(
            arms,
            "                {verb}) switches=\"{}\" ;;",
            switches.join(" ")
        );
    }
    arms.trim_end().to_owned()
}

/// Writes the completion script of `shell` for `wnet`: the grammar's, and for bash the
/// drive letters and shares in use.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut command = command();
    clap_complete::generate(shell, &mut command, "wnet", out);
    if shell == clap_complete::Shell::Bash {
        let extra = BASH_EXTRA.replace("{switches}", &bash_windows_switches(&command));
        out.write_all(extra.as_bytes())?;
    }
    Ok(())
}

/// The file names of the manual pages: `wnet.1`, then `wnet-VERB.1` for each visible verb.
pub fn man_page_names() -> Vec<String> {
    let command = command();
    std::iter::once("wnet.1".to_owned())
        .chain(
            command
                .get_subcommands()
                .filter(|verb| !verb.is_hide_set())
                .map(|verb| format!("wnet-{}.1", verb.get_name())),
        )
        .collect()
}

/// Writes `wnet.1` and one `wnet-VERB.1` per visible verb into `dir`, and returns their
/// paths.
///
/// # Errors
///
/// The I/O error of a page that cannot be written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut command = command().disable_help_subcommand(true);
    command.build();
    let verbs: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set())
        .cloned()
        .collect();
    let names: Vec<String> = verbs
        .iter()
        .map(|verb| format!("wnet-{}", verb.get_name()))
        .collect();
    let mut written = Vec::new();
    let mut pages = vec![(None, command.clone())];
    pages.extend(
        verbs
            .into_iter()
            .map(|verb| (Some(verb.get_name().to_owned()), verb)),
    );
    for (verb, page) in pages {
        let name = verb
            .as_ref()
            .map_or_else(|| "wnet".to_owned(), |verb| format!("wnet-{verb}"));
        let path = dir.join(format!("{name}.1"));
        let mut out = Vec::new();
        render_man_page(&page, verb.as_deref(), &names, &mut out)?;
        std::fs::write(&path, out)?;
        written.push(path);
    }
    Ok(written)
}

fn render_man_page(
    page: &clap::Command,
    verb: Option<&str>,
    pages: &[String],
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    use roff::{Roff, bold, roman};
    let title = verb.map_or_else(|| "wnet".to_owned(), |verb| format!("wnet-{verb}"));
    let man = clap_mangen::Man::new(page.clone())
        .title(title.to_uppercase())
        .manual("wnet manual")
        .source(format!("wnet {}", env!("CARGO_PKG_VERSION")));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if page.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if page.has_subcommands() {
        man.render_subcommands_section(out)?;
    }
    let mut roff = Roff::new();
    let examples = verb.map_or(&[][..], examples);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for example in examples {
            roff.control("TP", []);
            roff.text([bold(example.command)]);
            roff.text([roman(example.does)]);
        }
    }
    if verb != Some("completions") {
        roff.control("SH", ["ENVIRONMENT"]);
        for variable in environment(verb) {
            roff.control("TP", []);
            roff.text([bold(variable.name)]);
            roff.text([roman(format!(
                "{} (default: {}).",
                variable.meaning, variable.default
            ))]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman(
        "0 success, 1 the operation failed, 2 the command line is wrong.",
    )]);
    roff.control("SH", ["SEE ALSO"]);
    let see_also: Vec<String> = std::iter::once("wnet".to_owned())
        .chain(pages.iter().cloned())
        .filter(|name| *name != title)
        .map(|name| format!("{name}(1)"))
        .collect();
    roff.text([roman(see_also.join(", "))]);
    roff.to_writer(out)?;
    man.render_version_section(out)?;
    Ok(())
}
