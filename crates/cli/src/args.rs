//! The command-line grammar of `wnet` (clap derive).

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::duration::parse_timeout;

/// The `wnet` command line.
#[derive(Debug, Parser)]
#[command(
    name = "wnet",
    version,
    about = "The Windows Networking API on Linux: shares, NetBIOS names and sessions",
    long_about = "The Windows Networking API on Linux.\n\n\
        Map and list SMB shares like `net use` and `net view`, resolve and scan NetBIOS names \
        like `nmblookup`, `nbtstat` and `nbtscan`, all over the real protocols \
        (NetBIOS over TCP/IP, SMB2/3).",
    propagate_version = true
)]
pub struct Cli {
    /// Flags that every verb accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before or after any verb.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log more to standard error (-v info, -vv debug, -vvv trace; `RUST_LOG` overrides).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Give up on network operations after this long: `1500`, `1500ms`, `2s` or `1.5s`
    /// (a bare number is milliseconds). Each verb has its own default.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

/// Arguments of a verb whose implementation has not landed yet; accepted so that the verb can
/// say so instead of failing on its arguments.
#[derive(Debug, Args)]
pub struct PendingArgs {
    /// The verb's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<String>,
}

/// The verbs of `wnet`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect a share, list connections or cancel one (like `net use`).
    Use(PendingArgs),
    /// List servers of a domain or the shares of a server (like `net view`).
    View(PendingArgs),
    /// NetBIOS name tables, cache and sessions (like `nbtstat`).
    Nbtstat(PendingArgs),
    /// Node status of every address in ranges and lists (like `nbtscan`).
    Scan(PendingArgs),
    /// Resolve a NetBIOS name to addresses (like `nmblookup`).
    Lookup(PendingArgs),
    /// The user name behind a connection (`WNetGetUser`).
    User(PendingArgs),
    /// The universal (UNC) name of a local path (`WNetGetUniversalName`).
    Unc(PendingArgs),
    /// Start, stop or query the per-user agent.
    Agent(PendingArgs),
}

impl Command {
    /// The verb as typed on the command line.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Use(_) => "use",
            Command::View(_) => "view",
            Command::Nbtstat(_) => "nbtstat",
            Command::Scan(_) => "scan",
            Command::Lookup(_) => "lookup",
            Command::User(_) => "user",
            Command::Unc(_) => "unc",
            Command::Agent(_) => "agent",
        }
    }
}
