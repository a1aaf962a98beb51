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

/// Arguments in the syntax of Windows' `net` command (`/user:NAME`, `/delete`, operands in
/// order), which the verb parses itself; `--name value` works too.
///
/// They may hold a password (`wnet use \\server\share PASSWORD`): `Debug` shows only how many
/// there are, and they are zeroed when dropped.
#[derive(Args)]
pub struct WindowsArgs {
    /// The verb's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<String>,
}

impl std::fmt::Debug for WindowsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowsArgs")
            .field("count", &self.args.len())
            .finish_non_exhaustive()
    }
}

impl Drop for WindowsArgs {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.args);
    }
}

/// `wnet lookup NAME[#XX] [--server ADDR] [--broadcast ADDR] [--all]`.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The name, with an optional suffix in hex (`LABSERVER`, `WNETLAB#1d`); `*` for any.
    pub name: String,
    /// Ask this name server (WINS) or host by unicast, like `nmblookup -U`.
    #[arg(long, value_name = "ADDR")]
    pub server: Option<std::net::Ipv4Addr>,
    /// Broadcast the query to this address, like `nmblookup -B`.
    #[arg(long, value_name = "ADDR")]
    pub broadcast: Option<std::net::Ipv4Addr>,
    /// Collect every responder until the timeout instead of stopping at the first answer.
    #[arg(long)]
    pub all: bool,
}

/// `wnet nbtstat -A ADDR | -a NAME | -c | -n | -s`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct NbtstatArgs {
    /// The name table and MAC address of the host at this address.
    #[arg(short = 'A', value_name = "ADDR")]
    pub address: Option<std::net::Ipv4Addr>,
    /// The name table and MAC address of the host with this name.
    #[arg(short = 'a', value_name = "NAME")]
    pub name: Option<String>,
    /// The names in the resolver's cache, with their addresses and lifetimes.
    #[arg(short = 'c')]
    pub cache: bool,
    /// Our registered names.
    #[arg(short = 'n')]
    pub local_names: bool,
    /// Our sessions.
    #[arg(short = 's')]
    pub sessions: bool,
}

/// `wnet scan TARGETS... [--rate N] [--retries N] [-s SEP] [--port N]` (with the global
/// `--timeout`, 1 s per probe by default).
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Addresses, CIDR blocks (198.51.100.0/24) or ranges (198.51.100.1-20).
    #[arg(required = true, value_name = "TARGETS")]
    pub targets: Vec<String>,
    /// Probes per second (0: unpaced, which overflows receive queues beyond a few hundred
    /// hosts).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub rate: u32,
    /// Probes after the first for a silent host.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
    /// Script-friendly output: no headers, fields separated by SEP.
    #[arg(short = 's', value_name = "SEP")]
    pub separator: Option<String>,
    /// The UDP port to probe.
    #[arg(long, default_value_t = 137, value_name = "N")]
    pub port: u16,
}

/// `wnet responder --name NAME[#XX]... [--group NAME[#XX]...] [--bind ADDR] [--port N]`.
#[derive(Debug, Args)]
pub struct ResponderArgs {
    /// A unique name to register and defend.
    #[arg(long = "name", value_name = "NAME[#XX]")]
    pub names: Vec<String>,
    /// A group name to register.
    #[arg(long = "group", value_name = "NAME[#XX]")]
    pub groups: Vec<String>,
    /// The address to answer on.
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    pub bind: std::net::Ipv4Addr,
    /// The UDP port to answer on.
    #[arg(long, default_value_t = 137, value_name = "N")]
    pub port: u16,
    /// Give a name up when another host sends a NAME CONFLICT DEMAND or NAME RELEASE for it
    /// (off by default, as Windows' NoNameReleaseOnDemand: anyone on the LAN can send them).
    #[arg(long)]
    pub release_on_demand: bool,
}

/// The verbs of `wnet`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect a share, list connections or cancel one (like `net use`):
    /// `use [DEVICE] \\server\share [PASSWORD|*] [/user:NAME] [/persistent:yes|no]
    /// [/savecred] [/integrity] [/privacy]`, `use NAME /delete`.
    Use(WindowsArgs),
    /// List servers of a workgroup, the workgroups, or a server's shares (like `net view`):
    /// `view [\\server [/all]] [/domain[:NAME]]`.
    View(WindowsArgs),
    /// NetBIOS name tables, cache and sessions (like `nbtstat`).
    Nbtstat(NbtstatArgs),
    /// Node status of every address in ranges and lists (like `nbtscan`).
    Scan(ScanArgs),
    /// Resolve a NetBIOS name to addresses (like `nmblookup`).
    Lookup(LookupArgs),
    /// Register NetBIOS names and answer for them until interrupted.
    Responder(ResponderArgs),
    /// The user name behind a connection (`WNetGetUser`).
    User(WindowsArgs),
    /// The universal (UNC) name of a local path (`WNetGetUniversalName`).
    Unc(WindowsArgs),
    /// Start, stop or query the per-user agent.
    Agent(WindowsArgs),
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
            Command::Responder(_) => "responder",
        }
    }
}
