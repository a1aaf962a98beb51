//! The WNet verbs, in the syntax of Windows' `net use` / `net view`:
//!
//! - `wnet use` — list connections (and remembered ones);
//! - `wnet use [DEVICE|*] \\server\share [PASSWORD|*] [/user:NAME] [/persistent:yes|no]
//!   [/savecred] [/integrity] [/privacy]` — connect;
//! - `wnet use DEVICE|\\server\share /delete [/force]` — cancel;
//! - `wnet view [\\server [/all]] [/domain[:NAME]]` — servers, workgroups or shares;
//! - `wnet user [NAME]`, `wnet unc [--targets] PATH`, `wnet agent start|stop|status`.
//!
//! Options take Windows' `/name:value` form or Unix's `--name value` (see
//! [`crate::windows_syntax`]); their grammar is [`crate::args`]. A password is never
//! needed on the command line: `*` or no password with `/user` prompts (or reads
//! `WNET_PASSWORD`).

use std::io::{IsTerminal as _, Read};

use serde_json::json;
use wnet::agent_client::{AgentClient, agent_socket_path, start_agent, stop_agent};
use wnet::agent_protocol::{Request, Response};
use wnet::api;
use wnet::drives::LocalName;
use wnet::error::WinError;
use wnet::neighbourhood::NeighbourServer;
use wnet::remembered::{RememberedStore, remembered_path};
use wnet::resource::{NetResource, connect, info_level, resource_type};
use wnet::{ShareKind, ShareType, UncName};
use zeroize::Zeroizing;

use crate::args::{AgentAction, AgentArgs, UncArgs, UseArgs, UserArgs, ViewArgs, YesNo};
use crate::exit::Exit;
use crate::report;

/// A failed WNet call as the CLI reports it: Windows' "System error N has occurred." with
/// the standard text and the cause.
fn win_failed(error: &WinError) -> Exit {
    let cause = error
        .cause
        .as_ref()
        .map(|cause| format!("\n({cause})"))
        .unwrap_or_default();
    Exit::failed(
        "win32",
        format!(
            "System error {} has occurred.\n\n{}{cause}",
            error.code,
            error.message()
        ),
    )
}

fn is_remote(word: &str) -> bool {
    word.starts_with("\\\\") || word.starts_with("//")
}

/// The password: `$WNET_PASSWORD`, else a line of standard input when it is not a terminal,
/// else asked for on the terminal without echo. Zeroed when dropped.
fn prompt_password(user: &str, remote: &str) -> Result<Zeroizing<String>, Exit> {
    let unreadable =
        |error: std::io::Error| Exit::failed("input", format!("cannot read a password: {error}"));
    if let Ok(password) = std::env::var("WNET_PASSWORD") {
        return Ok(Zeroizing::new(password));
    }
    if !std::io::stdin().is_terminal() {
        // Standard input's own buffer would keep the line: read its descriptor directly.
        use std::os::fd::AsFd as _;
        let fd = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(unreadable)?;
        return read_password_line(std::fs::File::from(fd)).map_err(unreadable);
    }
    rpassword::prompt_password(format!(
        "Enter the password for '{user}' to connect to '{remote}': "
    ))
    .map(Zeroizing::new)
    .map_err(unreadable)
}

/// One line of `input`, read a byte at a time (nothing after the line is consumed, and no
/// buffer but the zeroed result ever holds it), without its line break.
fn read_password_line(mut input: impl Read) -> std::io::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let mut byte = Zeroizing::new([0u8; 1]);
    loop {
        match input.read(&mut byte[..]) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => {
                if line.len() == line.capacity() {
                    // Grow by hand: a Vec's own growth would leave the old bytes unzeroed.
                    let mut grown = Zeroizing::new(Vec::with_capacity(line.capacity() * 2));
                    grown.extend_from_slice(&line);
                    line = grown;
                }
                line.push(byte[0]);
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = std::str::from_utf8(&line).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "the password is not UTF-8")
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// `wnet use ...`.
pub(crate) fn run_use(args: &UseArgs, json: bool, verbose: u8) -> Result<(), Exit> {
    if args.delete {
        return delete(args, json);
    }
    if args.restore {
        return restore(json);
    }
    if args.operands().is_empty() {
        if let Some(switch) = args.connect_switch() {
            return Err(Exit::usage(format!(
                "wnet use {switch} needs the share to connect, \\\\server\\share\n\
                 Usage: wnet use [DEVICE|*] \\\\server\\share [PASSWORD|*] {switch}\n\
                 For more information, try 'wnet use /?'."
            )));
        }
        return list_connections(json, verbose);
    }
    connect_share(args, json, verbose)
}

fn delete(args: &UseArgs, json: bool) -> Result<(), Exit> {
    let [name] = args.operands()[..] else {
        return Err(Exit::usage(
            "wnet use /delete needs exactly one DEVICE or \\\\server\\share: the connection to cancel",
        ));
    };
    let flags = if args.persistent == Some(YesNo::No) {
        0
    } else {
        connect::CONNECT_UPDATE_PROFILE
    };
    api::cancel_connection(name, flags, args.force).map_err(|error| win_failed(&error))?;
    if json {
        println!("{}", json!({ "deleted": name }));
    } else {
        println!("{name} was deleted successfully.");
    }
    Ok(())
}

/// The CONNECT_* flags of `wnet use`'s switches.
fn connect_flags(args: &UseArgs) -> u32 {
    let mut flags = match args.persistent {
        Some(YesNo::Yes) => connect::CONNECT_UPDATE_PROFILE,
        Some(YesNo::No) | None => connect::CONNECT_TEMPORARY,
    };
    if args.savecred {
        flags |= connect::CONNECT_CMD_SAVECRED | connect::CONNECT_COMMANDLINE;
    }
    if args.integrity {
        flags |= connect::CONNECT_REQUIRE_INTEGRITY;
    }
    if args.privacy {
        flags |= connect::CONNECT_REQUIRE_PRIVACY;
    }
    if args.writethrough {
        flags |= connect::CONNECT_WRITE_THROUGH_SEMANTICS;
    }
    flags
}

fn connect_share(args: &UseArgs, json: bool, verbose: u8) -> Result<(), Exit> {
    let (device, remote, password) = match args.operands()[..] {
        [remote] if is_remote(remote) => (None, remote.to_owned(), None),
        [remote, password] if is_remote(remote) => (None, remote.to_owned(), Some(password)),
        [device, remote] if is_remote(remote) => (Some(device.to_owned()), remote.to_owned(), None),
        [device, remote, password] if is_remote(remote) => {
            (Some(device.to_owned()), remote.to_owned(), Some(password))
        }
        _ => {
            return Err(Exit::usage(
                "wnet use needs the share to connect, \\\\server\\share (or //server/share), \
                 after the DEVICE if one is given\n\
                 Usage: wnet use [DEVICE|*] \\\\server\\share [PASSWORD|*] [/user:NAME] [/persistent:yes|no]\n\
                 For more information, try 'wnet use /?'.",
            ));
        }
    };
    let user = args.user.clone();
    // A password on the command line stays in `args` (zeroed with them); one asked for is
    // zeroed when `prompted` goes.
    let prompted = match (password, &user) {
        (Some("*"), _) | (None, Some(_)) => Some(prompt_password(
            user.as_deref().unwrap_or_default(),
            &remote,
        )?),
        _ => None,
    };
    let password = prompted.as_deref().map(String::as_str).or(password);
    let mut flags = connect_flags(args);
    let local_name = match device.as_deref() {
        Some("*") => {
            flags |= connect::CONNECT_REDIRECT;
            None
        }
        other => other.map(str::to_owned),
    };
    let resource = NetResource {
        resource_type: resource_type::RESOURCETYPE_DISK,
        local_name,
        remote_name: Some(remote.clone()),
        ..NetResource::default()
    };
    let added = api::add_connection(&resource, password, user.as_deref(), flags)
        .map_err(|error| win_failed(&error))?;
    if verbose > 0 {
        let session = if added.session_reused {
            ""
        } else {
            "; new session"
        };
        eprintln!("credentials: {}{session}", added.source);
        eprintln!("authentication: {}", added.entry.authentication);
    }
    if json {
        println!(
            "{}",
            json!({
                "remote": added.entry.remote_name,
                "local": added.entry.local_name,
                "mount_point": added.entry.mount_point,
                "user": added.user,
                "credentials": added.source,
                "authentication": added.entry.authentication,
                "session_reused": added.session_reused,
                "session_id": session_id(added.entry.session_id),
                "dialect": added.entry.dialect,
                "signing": added.entry.signing,
                "encryption": added.entry.encryption,
                "guest": added.entry.guest,
                "policy": added.entry.policy,
            })
        );
    } else {
        if let Some(local) = &added.entry.local_name {
            if device.as_deref() == Some("*") {
                println!(
                    "Drive {local} is now connected to {}.",
                    added.entry.remote_name
                );
            }
            if let Some(mount_point) = &added.entry.mount_point {
                println!("{local} is mounted at {mount_point}.");
            }
        }
        println!("The command completed successfully.");
    }
    Ok(())
}

/// `wnet use /restore`: reconnects the remembered devices.
fn restore(json: bool) -> Result<(), Exit> {
    let restored = api::restore_remembered().map_err(|error| win_failed(&error))?;
    let failed = restored.iter().filter(|one| one.result.is_err()).count();
    if json {
        let rows: Vec<_> = restored
            .iter()
            .map(|one| {
                json!({
                    "local": one.remembered.local_name,
                    "remote": one.remembered.remote_name,
                    "restored": one.result.is_ok(),
                    "error": one.result.as_ref().err().map(|error| error.code),
                    "message": one.result.as_ref().err().map(ToString::to_string),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else if restored.is_empty() {
        println!("There are no remembered connections.");
    } else {
        for one in &restored {
            let remembered = &one.remembered;
            match &one.result {
                Ok(()) => println!(
                    "{} is connected to {}.",
                    remembered.local_name, remembered.remote_name
                ),
                Err(error) => eprintln!(
                    "{} could not be connected to {}: {error}",
                    remembered.local_name, remembered.remote_name
                ),
            }
        }
    }
    if failed > 0 {
        return Err(Exit::failed(
            "use",
            format!("{failed} remembered connection(s) could not be restored"),
        ));
    }
    if !json {
        println!("The command completed successfully.");
    }
    Ok(())
}

/// The SMB2 SessionId a connection rides, as JSON shows it: hexadecimal text (a 64-bit
/// number does not survive every JSON reader), `null` when unknown.
fn session_id(id: u64) -> serde_json::Value {
    if id == 0 {
        serde_json::Value::Null
    } else {
        json!(format!("{id:#018x}"))
    }
}

/// How the connection's share is reached by path, as JSON shows it: `"mount"` (a drive, or
/// the directory serving its UNC paths), `"smb"` (file channels straight over SMB: the
/// direct file API, or UNC paths where the agent cannot mount), `null` when neither is in use.
fn served(entry: &wnet::agent_protocol::ConnectionEntry) -> serde_json::Value {
    if entry.mount_point.is_some() {
        json!("mount")
    } else if entry.file_channels > 0 {
        json!("smb")
    } else {
        serde_json::Value::Null
    }
}

fn list_connections(json: bool, verbose: u8) -> Result<(), Exit> {
    let connections = api::connections().map_err(|error| win_failed(&error))?;
    let remembered = remembered_path()
        .map(|path| RememberedStore::load(&path))
        .transpose()
        .map_err(|error| win_failed(&error.to_win_error()))?;
    let mut rows = Vec::new();
    for entry in &connections {
        rows.push(json!({
            "status": if entry.connected { "OK" } else { "Disconnected" },
            "local": entry.local_name,
            "remote": entry.remote_name,
            "mount_point": entry.mount_point,
            "served": served(entry),
            "file_channels": entry.file_channels,
            "user": entry.user,
            "authentication": entry.authentication,
            "session_id": session_id(entry.session_id),
            "dialect": entry.dialect,
            "signing": entry.signing,
            "encryption": entry.encryption,
            "guest": entry.guest,
            "policy": entry.policy,
            "dfs_target": entry.dfs_target,
        }));
    }
    for entry in remembered.iter().flat_map(RememberedStore::entries) {
        let connected = connections
            .iter()
            .any(|connection| connection.has_local_name(&LocalName::new(&entry.local_name)));
        if !connected {
            rows.push(json!({
                "status": "Unavailable",
                "local": entry.local_name,
                "remote": entry.remote_name,
                "user": entry.user_name,
            }));
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if rows.is_empty() {
        println!("There are no entries in the list.");
        return Ok(());
    }
    println!("New connections will not be remembered.\n");
    println!("{:<13}{:<11}{:<29}Network", "Status", "Local", "Remote");
    println!("{}", "-".repeat(79));
    for row in &rows {
        let remote = row["remote"].as_str().unwrap_or_default();
        let start = format!(
            "{:<13}{:<11}",
            row["status"].as_str().unwrap_or_default(),
            row["local"].as_str().unwrap_or_default(),
        );
        // A remote name too long for its column goes on its own line, as `net use` does.
        if remote.chars().count() < REMOTE_COLUMN {
            println!("{start}{remote:<REMOTE_COLUMN$}Microsoft Windows Network");
        } else {
            println!("{start}{remote}");
            println!("{:<53}Microsoft Windows Network", "");
        }
        if let Some(mount_point) = row["mount_point"].as_str() {
            println!("{:<24}mounted at {mount_point}", "");
        }
        if verbose > 0
            && let Some(target) = row["dfs_target"].as_str()
        {
            println!("{:<24}DFS target: {target}", "");
        }
        if verbose > 0
            && let Some(authentication) = row["authentication"].as_str()
        {
            println!("{:<24}{}", "", session_words(row, authentication));
        }
    }
    println!("The command completed successfully.");
    Ok(())
}

/// The width of `wnet use`'s Remote column.
const REMOTE_COLUMN: usize = 29;

/// What `wnet -v use` says of a connection's session: how it authenticated and as whom, the
/// dialect, and what the connection proved (signing, encryption).
fn session_words(row: &serde_json::Value, authentication: &str) -> String {
    let user = row["user"]
        .as_str()
        .filter(|user| !user.is_empty())
        .map(|user| format!(" as {user}"))
        .unwrap_or_default();
    let dialect = row["dialect"]
        .as_str()
        .filter(|dialect| !dialect.is_empty())
        .map(|dialect| format!("; SMB {dialect}"))
        .unwrap_or_default();
    let proven: Vec<&str> = [("signing", "signed"), ("encryption", "encrypted")]
        .into_iter()
        .filter(|(key, _)| row[key].as_bool() == Some(true))
        .map(|(_, word)| word)
        .collect();
    let proven = if proven.is_empty() {
        String::new()
    } else {
        format!(", {}", proven.join(" and "))
    };
    format!("authentication: {authentication}{user}{dialect}{proven}")
}

fn share_type_name(share_type: u32) -> &'static str {
    match ShareType::from_stype(share_type).kind {
        ShareKind::Disk => "Disk",
        ShareKind::PrintQueue => "Print",
        ShareKind::Device => "Device",
        ShareKind::Ipc => "IPC",
        ShareKind::Unknown(_) => "Other",
    }
}

/// The names of `sources`, in their order (NetBIOS, WS-Discovery, mDNS, DNS, directory).
fn source_names(
    sources: &std::collections::BTreeSet<wnet::neighbourhood::Source>,
) -> Vec<&'static str> {
    sources.iter().map(|source| source.name()).collect()
}

/// `wnet view ...`.
pub(crate) fn run_view(args: &ViewArgs, json: bool) -> Result<(), Exit> {
    match args.server.as_deref() {
        Some(server) if is_remote(server) => view_shares(server, args, json),
        None => {
            let Some(name) = &args.domain else {
                let servers = api::browse_neighbourhood().map_err(|error| win_failed(&error))?;
                print_servers(&wnet::browse::local_workgroup(), &servers, json);
                return Ok(());
            };
            let Some(name) = name.as_deref().filter(|name| !name.is_empty()) else {
                return view_workgroups(json);
            };
            let workgroup = name.to_ascii_uppercase();
            let servers = api::browse_servers(&workgroup).map_err(|error| win_failed(&error))?;
            print_servers(&workgroup, &servers, json);
            Ok(())
        }
        Some(other) => Err(Exit::usage(format!(
            "wnet view takes a server as \\\\server or //server, not {other:?}\n\
             Usage: wnet view [\\\\server [/all]] [/domain[:NAME]]\n\
             For more information, try 'wnet view /?'."
        ))),
    }
}

/// `wnet view /domain`: the workgroups and domains, with their sources in JSON.
fn view_workgroups(json: bool) -> Result<(), Exit> {
    let workgroups = api::browse_workgroups().map_err(|error| win_failed(&error))?;
    if json {
        let names: Vec<_> = workgroups.iter().map(|group| group.name.clone()).collect();
        let sources: serde_json::Map<_, _> = workgroups
            .iter()
            .map(|group| (group.name.clone(), json!(source_names(&group.sources))))
            .collect();
        println!("{}", json!({ "workgroups": names, "sources": sources }));
    } else {
        println!("Domain\n\n{}", "-".repeat(79));
        for workgroup in workgroups {
            println!("{}", workgroup.name);
        }
        println!("The command completed successfully.");
    }
    Ok(())
}

/// Servers as `wnet view` shows them: name, address, workgroup and sources. `workgroup` is
/// the one asked (this machine's when none was).
fn print_servers(workgroup: &str, servers: &[NeighbourServer], json: bool) {
    if json {
        let rows: Vec<_> = servers
            .iter()
            .map(|server| {
                json!({
                    "name": server.name,
                    "address": server.address.to_string(),
                    "workgroup": server.workgroup,
                    "sources": source_names(&server.sources),
                })
            })
            .collect();
        println!("{}", json!({ "workgroup": workgroup, "servers": rows }));
        return;
    }
    println!(
        "{:<22}{:<16}{:<16}Seen by\n\n{}",
        "Server Name",
        "Address",
        "Workgroup",
        "-".repeat(79)
    );
    for server in servers {
        println!(
            "{:<21} {:<15} {:<15} {}",
            format!("\\\\{}", server.name),
            server.address,
            server.workgroup.as_deref().unwrap_or("-"),
            source_names(&server.sources).join(", ")
        );
    }
    println!("The command completed successfully.");
}

fn view_shares(server: &str, args: &ViewArgs, json: bool) -> Result<(), Exit> {
    let name = server
        .trim_start_matches(['\\', '/'])
        .trim_end_matches(['\\', '/']);
    let show_all = args.all;
    let user = args.user.as_deref();
    let password = match user {
        Some(user) => Some(prompt_password(user, server)?),
        None => None,
    };
    let shares = api::server_shares(name, user, password.as_deref().map(String::as_str))
        .map_err(|error| win_failed(&error))?;
    let shown: Vec<_> = shares
        .iter()
        .filter(|share| show_all || !share.name.ends_with('$'))
        .collect();
    let connections = api::connections().unwrap_or_default();
    if json {
        let rows: Vec<_> = shown
            .iter()
            .map(|share| {
                json!({
                    "name": share.name,
                    "type": share_type_name(share.share_type),
                    "share_type": share.share_type,
                    "comment": share.comment,
                })
            })
            .collect();
        println!("{}", json!({ "server": name, "shares": rows }));
        return Ok(());
    }
    println!("Shared resources at \\\\{name}\n\n");
    println!("{:<14}{:<6}{:<9}Comment", "Share name", "Type", "Used as");
    println!("{}", "-".repeat(79));
    for share in shown {
        let remote = UncName::parse(&format!("\\\\{name}\\{}", share.name)).ok();
        let used_as = connections
            .iter()
            .filter(|entry| {
                remote
                    .as_ref()
                    .is_some_and(|remote| entry.remote_name.matches(remote))
            })
            .find_map(|entry| entry.local_name.as_ref().map(LocalName::as_str))
            .unwrap_or_default();
        println!(
            "{:<14}{:<6}{:<9}{}",
            share.name,
            share_type_name(share.share_type),
            used_as,
            share.comment
        );
    }
    println!("The command completed successfully.");
    Ok(())
}

/// `wnet user [NAME]`.
pub(crate) fn run_user(args: &UserArgs, json: bool) -> Result<(), Exit> {
    let name = args.name.as_deref();
    let user = api::get_user(name).map_err(|error| win_failed(&error))?;
    if json {
        println!("{}", json!({ "name": name, "user": user }));
    } else {
        println!("{user}");
    }
    Ok(())
}

/// `wnet unc PATH`.
pub(crate) fn run_unc(args: &UncArgs, json: bool) -> Result<(), Exit> {
    let path = &args.path;
    if args.targets {
        let targets = api::dfs_targets(path).map_err(|error| win_failed(&error))?;
        if json {
            println!("{}", report::dfs_targets_json(path, &targets));
        } else {
            print!("{}", report::dfs_targets_report(&targets));
        }
        return Ok(());
    }
    let name = api::get_universal_name(path, info_level::REMOTE_NAME_INFO_LEVEL)
        .map_err(|error| win_failed(&error))?;
    if json {
        println!(
            "{}",
            json!({
                "universal_name": name.universal_name,
                "connection_name": name.connection_name,
                "remaining_path": name.remaining_path,
            })
        );
    } else {
        println!("{}", name.universal_name);
    }
    Ok(())
}

/// `wnet agent start|stop|status`.
pub(crate) fn run_agent(args: &AgentArgs, json: bool) -> Result<(), Exit> {
    let socket = agent_socket_path();
    match args.action {
        AgentAction::Start => {
            if AgentClient::connect_running().is_none() {
                start_agent().map_err(|error| win_failed(&error))?;
            }
            let mut agent = AgentClient::connect().map_err(|error| win_failed(&error))?;
            print_status(&mut agent, json, &socket)
        }
        AgentAction::Stop => {
            let stopped = stop_agent().map_err(|error| win_failed(&error))?;
            if json {
                println!("{}", json!({ "stopped": stopped }));
            } else if stopped {
                println!("The wnet agent was stopped.");
            } else {
                println!("The wnet agent is not running.");
            }
            Ok(())
        }
        AgentAction::Status => match AgentClient::connect_running() {
            Some(mut agent) => print_status(&mut agent, json, &socket),
            None => Err(Exit::failed(
                "not_running",
                format!(
                    "The wnet agent is not running (socket {}).",
                    socket.display()
                ),
            )),
        },
    }
}

fn print_status(agent: &mut AgentClient, json: bool, socket: &std::path::Path) -> Result<(), Exit> {
    match agent
        .call(Request::Status)
        .map_err(|error| win_failed(&error))?
    {
        Response::Status {
            pid,
            version,
            connections,
            sessions,
            idle_timeout_secs,
        } => {
            if json {
                println!(
                    "{}",
                    json!({
                        "running": true,
                        "pid": pid,
                        "protocol": version,
                        "connections": connections,
                        "sessions": sessions,
                        "idle_timeout_secs": idle_timeout_secs,
                        "socket": socket,
                    })
                );
            } else {
                println!(
                    "The wnet agent is running: pid {pid}, {connections} connection(s), \
                     {sessions} session(s), socket {}, exits after {idle_timeout_secs} s idle.",
                    socket.display()
                );
            }
            Ok(())
        }
        other => Err(Exit::failed(
            "agent",
            format!("unexpected answer: {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::read_password_line;
    use crate::args::UseArgs;
    use crate::help::parse_from;

    #[test]
    fn a_piped_password_is_one_line_and_nothing_more_is_consumed() {
        let mut input: &[u8] = b"p\xc3\xa4ss word\\\"\r\nnext line\n";
        let password = read_password_line(&mut input).unwrap();
        assert_eq!(password.as_str(), "p\u{e4}ss word\\\"");
        assert_eq!(input, b"next line\n");
        let long = "x".repeat(1000);
        assert_eq!(read_password_line(long.as_bytes()).unwrap().as_str(), long);
        assert!(read_password_line(&b"\xff\n"[..]).is_err());
    }

    #[test]
    fn a_password_argument_never_shows_in_debug() {
        let cli = parse_from(["wnet", "use", "\\\\srv\\share", "Hunter2-on-argv"].map(Into::into))
            .unwrap();
        let crate::Command::Use(args) = &cli.command else {
            panic!("not use: {cli:?}");
        };
        let _: &UseArgs = args;
        assert_eq!(args.operands(), [r"\\srv\share", "Hunter2-on-argv"]);
        assert!(!format!("{cli:?} {cli:#?}").contains("Hunter2"));
    }
}
