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
#[command(next_help_heading = "Global options")]
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

/// Yes or no, as `/persistent:` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    /// Remember the connection.
    Yes,
    /// Do not remember it (with /delete: keep the remembered entry).
    No,
}

/// `wnet use`: connect a share, list connections, cancel one or restore the remembered ones.
///
/// The operands are positional as in `net use`: `[DEVICE|*] \\server\share [PASSWORD|*]`,
/// the device and the password optional. clap fills the three in order whatever they are, so
/// they are private: [`UseArgs::operands`] gives them back as typed, for the verb to tell. They may hold a password: `Debug` shows
/// none of them, and they are zeroed when dropped.
#[derive(Args)]
#[allow(clippy::struct_excessive_bools)] // a command line: each switch is its own flag
pub struct UseArgs {
    /// The drive letter to map (Z:), or * for the next free one, counting down from Z:. Left
    /// out, the share is connected without a drive, as `net use \\server\share` does. With
    /// /delete: the drive or \\server\share to cancel.
    #[arg(value_name = "DEVICE|*")]
    device: Option<String>,
    /// The share: \\server\share or //server/share; \\server alone connects the server's
    /// IPC$ (net use \\server).
    #[arg(value_name = "\\\\server\\share")]
    remote: Option<String>,
    /// The password, or * to be asked for it without echo (from WNET_PASSWORD, else a line of
    /// standard input when it is not a terminal, else the terminal). Prefer * to a password on
    /// the command line, which other users can see.
    #[arg(value_name = "PASSWORD|*")]
    password: Option<String>,
    /// Connect as this user: DOMAIN\user or user@domain (net use /user:NAME). Without a
    /// password, asks for one. Without /user: WNET_USER and WNET_PASSWORD, then the
    /// credentials file, else an anonymous session.
    #[arg(long, visible_alias = "u", value_name = "NAME")]
    pub user: Option<String>,
    /// Remember the connection and restore it with /restore (yes), or not (no, the default)
    /// (net use /persistent:yes|no). With /delete, no keeps the remembered entry.
    #[arg(
        long,
        visible_alias = "p",
        value_name = "yes|no",
        ignore_case = true,
        hide_possible_values = true
    )]
    pub persistent: Option<YesNo>,
    /// Save the credentials given (or asked for) to the credentials file, for the next
    /// connection to this server (net use /savecred).
    #[arg(long)]
    pub savecred: bool,
    /// Refuse the connection unless every message is signed (net use /requireintegrity).
    #[arg(long, visible_alias = "requireintegrity")]
    pub integrity: bool,
    /// Refuse the connection unless every message is encrypted (net use /requireprivacy).
    #[arg(long, visible_alias = "requireprivacy")]
    pub privacy: bool,
    /// Ask the server to write through its cache on every write (net use /writethrough).
    #[arg(long)]
    pub writethrough: bool,
    /// Cancel the connection named by DEVICE (net use /delete).
    #[arg(long, visible_alias = "d")]
    pub delete: bool,
    /// With /delete: cancel even when files are open on it, without asking (net use /y).
    #[arg(long, visible_alias = "y")]
    pub force: bool,
    /// Reconnect every remembered connection (what Windows does at logon).
    #[arg(long)]
    pub restore: bool,
}

impl UseArgs {
    /// The operands as typed, in order: device, share, password, each when given.
    pub fn operands(&self) -> Vec<&str> {
        [&self.device, &self.remote, &self.password]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// The first switch given that only means something when connecting a share (`/user`,
    /// `/savecred`, ...), as Windows spells it.
    pub fn connect_switch(&self) -> Option<&'static str> {
        [
            (self.user.is_some(), "/user"),
            (self.savecred, "/savecred"),
            (self.integrity, "/integrity"),
            (self.privacy, "/privacy"),
            (self.writethrough, "/writethrough"),
        ]
        .into_iter()
        .find_map(|(given, switch)| given.then_some(switch))
    }
}

impl std::fmt::Debug for UseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UseArgs")
            .field("operands", &self.operands().len())
            .field("user", &self.user)
            .field("persistent", &self.persistent)
            .field("delete", &self.delete)
            .field("restore", &self.restore)
            .finish_non_exhaustive()
    }
}

impl Drop for UseArgs {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.device.zeroize();
        self.remote.zeroize();
        self.password.zeroize();
        self.user.zeroize();
    }
}

/// `wnet view`: the servers of a workgroup, the workgroups, or a server's shares.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The server whose shares to list: \\server or //server. Left out, lists every server
    /// of the network neighbourhood (NetBIOS, WS-Discovery and mDNS merged).
    #[arg(value_name = "\\\\server")]
    pub server: Option<String>,
    /// Show hidden shares too, those whose name ends in $ (net view /all).
    #[arg(long)]
    pub all: bool,
    /// Without a name, list the workgroups; with one, list that workgroup's servers
    /// (net view /domain, net view /domain:NAME).
    #[arg(long, value_name = "NAME", num_args = 0..=1, require_equals = true)]
    pub domain: Option<Option<String>>,
    /// List the shares as this user (DOMAIN\user or user@domain), asking for the password
    /// (or reading WNET_PASSWORD). Without it: WNET_USER and WNET_PASSWORD, then the
    /// credentials file, else an anonymous session.
    #[arg(long, visible_alias = "u", value_name = "NAME")]
    pub user: Option<String>,
}

/// `wnet user [DEVICE|\\server\share]`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// The drive (Z:) or share (\\server\share) whose user to show; left out, the default
    /// user (WNET_USER, else the login name).
    #[arg(value_name = "DEVICE|\\\\server\\share")]
    pub name: Option<String>,
}

/// `wnet unc [--targets] PATH`.
#[derive(Debug, Args)]
pub struct UncArgs {
    /// A path on a mapped drive (Z:\dir\file.txt) or under its mount point; with --targets,
    /// also a UNC path (\\server\share\dir, \\domain\namespace\dir).
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub path: String,
    /// Show where the path lands in DFS namespaces: each referral on the way (its prefix,
    /// its targets in order with the active one marked, its TTL) and the physical
    /// \\server\share\path (Windows: dfsutil client property state, NetDfsGetClientInfo).
    #[arg(long)]
    pub targets: bool,
}

/// What `wnet agent` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentAction {
    /// Start the agent unless it runs, and show its status.
    Start,
    /// Stop the agent: its connections and drives go with it.
    Stop,
    /// Show whether the agent runs, its pid, connections and sessions.
    Status,
}

/// `wnet agent [start|stop|status]`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// What to do with the agent.
    #[arg(value_enum, default_value_t = AgentAction::Status)]
    pub action: AgentAction,
}

/// `wnet completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `wnet man DIR` (hidden: for packagers and the test that keeps contrib/man up to date).
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write wnet.1 and wnet-VERB.1 into.
    #[arg(value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: std::path::PathBuf,
}

/// `wnet lookup NAME[#XX] [--server ADDR] [--broadcast ADDR] [--all]`.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The name, with an optional suffix in hex (LABSERVER, WNETLAB#1d); * for any.
    pub name: String,
    /// Ask this name server (WINS) or host by unicast (nmblookup -U ADDR).
    #[arg(long, value_name = "ADDR")]
    pub server: Option<std::net::Ipv4Addr>,
    /// Broadcast the query to this address (nmblookup -B ADDR).
    #[arg(long, value_name = "ADDR")]
    pub broadcast: Option<std::net::Ipv4Addr>,
    /// Collect every responder until the timeout instead of stopping at the first answer
    /// (as nmblookup does).
    #[arg(long)]
    pub all: bool,
}

/// `wnet resolve NAME`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The server name (FILESERVER, nas.local, fs1.corp.example) or an IPv4 address.
    pub name: String,
}

/// `wnet nbtstat -A ADDR | -a NAME | -c | -n | -s`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct NbtstatArgs {
    /// The name table and MAC address of the host at this address (nbtstat -A).
    #[arg(short = 'A', value_name = "ADDR")]
    pub address: Option<std::net::Ipv4Addr>,
    /// The name table and MAC address of the host with this name, resolved first
    /// (nbtstat -a).
    #[arg(short = 'a', value_name = "NAME")]
    pub name: Option<String>,
    /// The names in the resolver's cache (WNET_NAME_CACHE), with their addresses and lifetimes
    /// (nbtstat -c).
    #[arg(short = 'c')]
    pub cache: bool,
    /// Our registered names: the NetBIOS names of the LANAs' nodes (nbtstat -n).
    #[arg(short = 'n')]
    pub local_names: bool,
    /// Our NetBIOS sessions, as the NCB programs publish them (nbtstat -s).
    #[arg(short = 's')]
    pub sessions: bool,
}

/// `wnet scan TARGETS... [--rate N] [--retries N] [-s SEP] [--port N]` (with the global
/// `--timeout`, 1 s per probe by default).
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Addresses, CIDR blocks (198.51.100.0/24) or ranges (198.51.100.1-20), as nbtscan takes
    /// them.
    #[arg(required = true, value_name = "TARGETS")]
    pub targets: Vec<String>,
    /// Probes per second (0: unpaced, which overflows receive queues beyond a few hundred
    /// hosts); nbtscan paces by bandwidth instead (-b).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub rate: u32,
    /// Probes after the first for a silent host (nbtscan -m), spaced a quarter timeout apart
    /// within the wait. On a local subnet, a host that answered ARP but not NetBIOS gets 4
    /// more (if N > 0); an address ARP has not resolved gets none unless ARP resolves within
    /// the timeout plus an eighth; one that refused the port or is unreachable, none.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
    /// Script-friendly output: no headers, fields separated by SEP (nbtscan -s SEP).
    #[arg(short = 's', value_name = "SEP")]
    pub separator: Option<String>,
    /// The UDP port to probe (nbtscan always probes 137).
    #[arg(long, default_value_t = 137, value_name = "N")]
    pub port: u16,
}

/// `wnet responder --name NAME[#XX]... [--group NAME[#XX]...] [--bind ADDR] [--port N]`.
#[derive(Debug, Args)]
pub struct ResponderArgs {
    /// A unique name to register and defend (nmbd's netbios name); repeat for more.
    #[arg(long = "name", value_name = "NAME[#XX]")]
    pub names: Vec<String>,
    /// A group name to register (nmbd's workgroup); repeat for more.
    #[arg(long = "group", value_name = "NAME[#XX]")]
    pub groups: Vec<String>,
    /// The address to answer on (nmbd's interfaces).
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
///
/// Each verb's examples and the environment variables it reads are in the `help` module, which
/// adds them to this grammar.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect a share, list connections or cancel one (like net use).
    ///
    /// Without arguments, lists the connections and the remembered ones that are not
    /// connected. With a share, connects it, to a drive letter when one is given; with
    /// /delete, cancels a connection; with /restore, reconnects the remembered ones.
    ///
    /// Switches are written as in Windows (/user:NAME, /delete, in any case) or as in Unix
    /// (--user NAME, --delete). --timeout does not apply: WNET_SMB_TIMEOUT and
    /// WNET_AGENT_TIMEOUT bound each step.
    #[command(override_usage = "wnet use [OPTIONS]\n       \
        wnet use [DEVICE|*] \\\\server\\share [PASSWORD|*] [/user:NAME] [/persistent:yes|no] \
        [/savecred] [/integrity] [/privacy] [/writethrough]\n       \
        wnet use DEVICE|\\\\server\\share /delete [/y] [/persistent:no]\n       \
        wnet use /restore")]
    Use(UseArgs),
    /// List the servers of a workgroup, the workgroups, or a server's shares (like net view).
    ///
    /// Without arguments, lists every server of the network neighbourhood, as Windows'
    /// Network folder does: NetBIOS's (every workgroup's master browser and group members),
    /// WS-Discovery's computers and mDNS's SMB services, each once with its workgroup and the
    /// sources that saw it; a running agent answers from what it has heard. With
    /// /domain:NAME, the servers of that workgroup or domain; with /domain, the workgroups and
    /// domains; with \\server, the shares of that server and the drives connected to them.
    ///
    /// Switches are written as in Windows (/all, /domain:NAME) or as in Unix (--all,
    /// --domain=NAME). --timeout does not apply: WNET_SMB_TIMEOUT and WNET_AGENT_TIMEOUT bound
    /// each step.
    #[command(override_usage = "wnet view [\\\\server [/all] [/user:NAME]]\n       \
        wnet view [/domain[:NAME]]")]
    View(ViewArgs),
    /// NetBIOS name tables, cache and sessions (like nbtstat).
    ///
    /// One of -A, -a, -c, -n or -s, as in Windows' nbtstat. A remote name table is asked for
    /// with a node status request (UDP 137): four tries, 1 s apart, unless --timeout.
    Nbtstat(NbtstatArgs),
    /// Node status of every address in ranges and lists (like nbtscan).
    ///
    /// Sends a node status request to each address, paced and retried, and prints the
    /// NetBIOS name, server, user and MAC address of each host that answers. --timeout is
    /// how long each probe waits (1 s by default, as nbtscan's -t); retries go within that
    /// wait, so a scan ends about one timeout after its last probe, and never more than two
    /// timeouts after it.
    Scan(ScanArgs),
    /// Resolve a NetBIOS name to addresses (like nmblookup).
    ///
    /// Asks as the node type says (WNET_NODE_TYPE: name servers then broadcast by default),
    /// or only the server or broadcast address given. Broadcasts are sent 4 times, 250 ms
    /// apart, unicast queries 4 times, 5 s apart; --timeout spreads the four over its time.
    Lookup(LookupArgs),
    /// Resolve a server name as use and view do, and say which step answered.
    ///
    /// Tries the steps of WNET_RESOLVE_ORDER in turn (Windows' order by default: the hosts
    /// file, DNS, mDNS and LLMNR at once, NetBIOS) and prints the address with the step
    /// that found it: hosts, dns, mdns, llmnr or netbios. mDNS and LLMNR ask on the
    /// interfaces of WNET_DISCOVERY_INTERFACES and wait 1 s each. --timeout does not apply:
    /// WNET_SMB_TIMEOUT bounds DNS.
    Resolve(ResolveArgs),
    /// Register NetBIOS names and answer for them until interrupted (like nmbd).
    ///
    /// Registers each name by broadcast (or with the name servers of WNET_WINS_SERVERS),
    /// then answers name queries and node status requests for them until Ctrl-C, releasing
    /// them on the way out.
    Responder(ResponderArgs),
    /// The user name behind a connection (WNetGetUser).
    ///
    /// Prints the user a drive or share was connected as, or the default user when none is
    /// given.
    User(UserArgs),
    /// The universal (UNC) name of a local path (WNetGetUniversalName).
    ///
    /// Turns a path on a mapped drive into \\server\share\path; with --targets, follows
    /// DFS referrals and shows the targets of each and where the path lands.
    Unc(UncArgs),
    /// Start, stop or query the per-user agent.
    ///
    /// The agent holds the SMB sessions, the connection table and the drives' mounts; it is
    /// started on demand by the first verb that needs it and exits after WNET_AGENT_IDLE
    /// seconds with nothing to do.
    Agent(AgentArgs),
    /// Print the shell completion script for bash, zsh or fish.
    ///
    /// Load it in the running shell (bash: source <(wnet completions bash)) or install it:
    /// the generated scripts are also in contrib/completions.
    Completions(CompletionsArgs),
    /// Write the manual pages (wnet.1 and one per verb) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
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
            Command::Resolve(_) => "resolve",
            Command::User(_) => "user",
            Command::Unc(_) => "unc",
            Command::Agent(_) => "agent",
            Command::Responder(_) => "responder",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
        }
    }
}
