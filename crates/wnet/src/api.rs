//! The WNet functions (mpr.dll's `WNet*`), blocking, with Windows' argument rules and error
//! codes. Connections live in the per-user agent, which is started on demand; remembered
//! connections in the per-user store; browsing goes through the NetBIOS name service.
//!
//! Every function returns `Result<_, WinError>`; the caller (the Python layer, the CLI) turns
//! the error into its own form. Failures with a cause are also recorded as the thread's last
//! extended error, which `WNetGetLastError` returns.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;

use crate::agent_client::AgentClient;
use crate::agent_protocol::{ConnectionEntry, Request, Response, ShareEntry, WireCredentials};
use crate::browse::{Browser, local_workgroup};
use crate::connect_credentials::env;
use crate::credentials::{self, CredentialFile, Credentials};
use crate::drives::is_valid_local_name;
use crate::error::{Cause, WinError, codes};
use crate::last_error::set_last_error;
use crate::remembered::{RememberedConnection, RememberedStore, remembered_path};
use crate::resource::{
    NetResource, PROVIDER_NAME, connect, display_type, info_level, resource_type, scope, usage,
};
use crate::unc::UncName;

pub use crate::connect_credentials::resolve_credentials;
pub use crate::remembered::restore_hint;

/// A wnet extension of `dwUsage` for `WNetOpenEnum`: list shares whose names end in `$`,
/// which Windows' enumeration hides.
pub const RESOURCEUSAGE_WNET_HIDDEN: u32 = 0x4000_0000;

/// What a successful add-connection did, for `-v` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The user the session runs as (empty: anonymous).
    pub user: String,
    /// Where the credentials came from (never the secret).
    pub source: String,
    /// Whether an existing session with the server was reused.
    pub session_reused: bool,
    /// The connection as the agent's table holds it.
    pub entry: ConnectionEntry,
}

fn record(error: WinError) -> WinError {
    if let Some(cause) = &error.cause {
        set_last_error(error.code, cause.to_string(), PROVIDER_NAME);
    }
    error
}

fn unexpected(response: &Response) -> WinError {
    WinError::with_cause(
        codes::ERROR_UNEXP_NET_ERR,
        Cause::Agent(format!("unexpected answer from the agent: {response:?}")),
    )
}

fn check_provider(resource: &NetResource) -> Result<(), WinError> {
    match resource.provider.as_deref() {
        None | Some("") => Ok(()),
        Some(name) if name.eq_ignore_ascii_case(PROVIDER_NAME) => Ok(()),
        Some(_) => Err(WinError::new(codes::ERROR_BAD_PROVIDER)),
    }
}

/// WNetAddConnection2/3: connects `resource.remote_name` (deviceless, or redirecting
/// `resource.local_name`), with `user`/`password` or the default credentials.
pub fn add_connection(
    resource: &NetResource,
    password: Option<&str>,
    user: Option<&str>,
    flags: u32,
) -> Result<Added, WinError> {
    add_connection_inner(resource, password, user, flags).map_err(record)
}

fn add_connection_inner(
    resource: &NetResource,
    password: Option<&str>,
    user: Option<&str>,
    flags: u32,
) -> Result<Added, WinError> {
    check_provider(resource)?;
    let remote = resource
        .remote_name
        .as_deref()
        .filter(|remote| !remote.is_empty())
        .ok_or_else(|| WinError::new(codes::ERROR_INVALID_PARAMETER))?;
    let unc = UncName::parse(remote)?;
    let local = resource
        .local_name
        .as_deref()
        .filter(|local| !local.is_empty());
    match resource.resource_type {
        resource_type::RESOURCETYPE_DISK | resource_type::RESOURCETYPE_PRINT => {}
        resource_type::RESOURCETYPE_ANY if local.is_none() => {}
        _ => return Err(WinError::new(codes::ERROR_BAD_DEV_TYPE)),
    }
    let credentials = resolve_credentials(&unc.server, user, password)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::AddConnection {
        remote_name: remote.to_owned(),
        local_name: local.map(str::to_owned),
        credentials: credentials.clone(),
        flags,
        resource_type: resource.resource_type,
    })?;
    let Response::Added {
        user,
        session_reused,
        source,
        entry,
    } = response
    else {
        return Err(unexpected(&response));
    };
    if flags & connect::CONNECT_UPDATE_PROFILE != 0
        && let Some(local) = local
    {
        remember(local, &entry, flags)?;
    }
    if flags & connect::CONNECT_CMD_SAVECRED != 0
        && let Some(credentials) = credentials.filter(|credentials| credentials.explicit)
    {
        save_credentials(&unc.server, &credentials)?;
    }
    Ok(Added {
        user,
        source,
        session_reused,
        entry,
    })
}

fn remember(local: &str, entry: &ConnectionEntry, flags: u32) -> Result<(), WinError> {
    let path = remembered_path().ok_or_else(|| WinError::new(codes::ERROR_CANNOT_OPEN_PROFILE))?;
    let mut store = RememberedStore::load(&path).map_err(|error| error.to_win_error())?;
    store.add(RememberedConnection {
        local_name: local.to_owned(),
        remote_name: entry.remote_name.clone(),
        user_name: entry.user.clone(),
        provider: PROVIDER_NAME.to_owned(),
        resource_type: entry.resource_type,
        flags,
    });
    store.save().map_err(|error| error.to_win_error())
}

fn save_credentials(server: &str, credentials: &WireCredentials) -> Result<(), WinError> {
    let path = credentials::credential_file_path()
        .ok_or_else(|| WinError::new(codes::ERROR_CANNOT_OPEN_PROFILE))?;
    let profile = |error: credentials::CredentialError| {
        WinError::with_cause(
            codes::ERROR_CANNOT_OPEN_PROFILE,
            Cause::Other(error.to_string()),
        )
    };
    let mut file = CredentialFile::load(&path).map_err(profile)?;
    let saved = Credentials {
        user: credentials.user.clone(),
        domain: credentials.domain.clone(),
        password: credentials::Secret::new(credentials.password.0.clone()),
    };
    file.set(server, &saved).map_err(profile)?;
    file.save(&path).map_err(profile)
}

fn load_remembered() -> Result<RememberedStore, WinError> {
    match remembered_path() {
        Some(path) => RememberedStore::load(&path).map_err(|error| error.to_win_error()),
        None => Ok(RememberedStore::empty(Path::new("/dev/null"))),
    }
}

/// What restoring one remembered device did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The remembered device.
    pub remembered: RememberedConnection,
    /// `Ok` when it is connected now (or was already), else why not.
    pub result: Result<(), WinError>,
}

/// Reconnects the remembered devices that are not connected (`wnet use --restore`), each with
/// the default credentials for its server (environment, then the credential file); a device
/// that needs a password it cannot find fails with the logon error, and a hint.
pub fn restore_remembered() -> Result<Vec<Restored>, WinError> {
    let store = load_remembered()?;
    if store.entries().is_empty() {
        return Ok(Vec::new());
    }
    let connected = connections()?;
    Ok(store
        .entries()
        .iter()
        .map(|remembered| {
            let local = crate::drives::canonical_local_name(&remembered.local_name);
            let already = connected.iter().any(|entry| entry.has_local_name(&local));
            let result = if already {
                Ok(())
            } else {
                let resource = NetResource {
                    local_name: Some(remembered.local_name.clone()),
                    remote_name: Some(remembered.remote_name.clone()),
                    resource_type: remembered.resource_type,
                    ..NetResource::default()
                };
                let flags = remembered.flags & !connect::CONNECT_UPDATE_PROFILE;
                match add_connection(&resource, None, None, flags) {
                    Ok(_) => Ok(()),
                    // The agent, started by this very call, may have restored it first.
                    Err(error)
                        if error.code == codes::ERROR_ALREADY_ASSIGNED
                            && connections().is_ok_and(|now| {
                                now.iter().any(|entry| {
                                    entry.has_local_name(&local)
                                        && entry
                                            .remote_name
                                            .eq_ignore_ascii_case(&remembered.remote_name)
                                })
                            }) =>
                    {
                        Ok(())
                    }
                    Err(error) => Err(restore_hint(error, remembered)),
                }
            };
            Restored {
                remembered: remembered.clone(),
                result,
            }
        })
        .collect())
}

/// The agent's connection table; empty when no agent runs (none is started to ask).
pub fn connections() -> Result<Vec<ConnectionEntry>, WinError> {
    let Some(mut agent) = AgentClient::connect_running() else {
        return Ok(Vec::new());
    };
    match agent.call(Request::Connections)? {
        Response::Connections { connections } => Ok(connections),
        other => Err(unexpected(&other)),
    }
}

/// WNetCancelConnection2: cancels a redirected device, or every deviceless connection to a
/// remote name; CONNECT_UPDATE_PROFILE also forgets a remembered device.
pub fn cancel_connection(name: &str, flags: u32, force: bool) -> Result<(), WinError> {
    cancel_connection_inner(name, flags, force).map_err(record)
}

fn cancel_connection_inner(name: &str, flags: u32, force: bool) -> Result<(), WinError> {
    if name.is_empty() {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let forgot = if flags & connect::CONNECT_UPDATE_PROFILE != 0 && is_valid_local_name(name) {
        let mut store = load_remembered()?;
        let removed = store.remove_local(name).is_some();
        if removed {
            store.save().map_err(|error| error.to_win_error())?;
        }
        removed
    } else {
        false
    };
    let cancelled = match AgentClient::connect_running() {
        Some(mut agent) => agent.call(Request::CancelConnection {
            name: name.to_owned(),
            force,
        }),
        None => Err(WinError::new(codes::ERROR_NOT_CONNECTED)),
    };
    match cancelled {
        Ok(_) => Ok(()),
        Err(error) if error.code == codes::ERROR_NOT_CONNECTED && forgot => Ok(()),
        Err(error) => Err(error),
    }
}

/// The current user's name, as WNetGetUser(NULL) gives it.
pub fn current_user() -> String {
    env(credentials::USER_VARIABLE)
        .or_else(|| env("USER"))
        .or_else(|| env("LOGNAME"))
        .unwrap_or_else(|| {
            // The account database's name for this process's uid (the uid itself if it has
            // none).
            let uid = nix::unistd::getuid();
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |user| user.name)
        })
}

fn find_connection<'a>(
    connections: &'a [ConnectionEntry],
    name: &str,
) -> Option<&'a ConnectionEntry> {
    let remote = UncName::parse(name).ok().map(|unc| unc.to_windows());
    connections.iter().find(|entry| {
        entry.has_local_name(name)
            || remote
                .as_deref()
                .is_some_and(|remote| entry.remote_name.eq_ignore_ascii_case(remote))
    })
}

/// WNetGetUser: the user of a connection (by local or remote name), or the current user.
pub fn get_user(name: Option<&str>) -> Result<String, WinError> {
    let Some(name) = name.filter(|name| !name.is_empty()) else {
        return Ok(current_user());
    };
    let connections = connections()?;
    if let Some(entry) = find_connection(&connections, name) {
        return Ok(entry.user.clone());
    }
    if let Some(remembered) = load_remembered()?.find_local(name) {
        return Ok(remembered.user_name.clone());
    }
    Err(WinError::new(codes::ERROR_NOT_CONNECTED))
}

/// WNetGetConnection: the remote name a local device is redirected to.
pub fn get_connection(local_name: &str) -> Result<String, WinError> {
    if !is_valid_local_name(local_name) {
        return Err(WinError::new(codes::ERROR_BAD_DEVICE));
    }
    let connections = connections()?;
    let found = connections
        .iter()
        .find(|entry| entry.has_local_name(local_name));
    if let Some(entry) = found {
        return Ok(entry.remote_name.clone());
    }
    if load_remembered()?.find_local(local_name).is_some() {
        return Err(WinError::new(codes::ERROR_CONNECTION_UNAVAIL));
    }
    Err(WinError::new(codes::ERROR_NOT_CONNECTED))
}

/// The answer of WNetGetUniversalName at REMOTE_NAME_INFO_LEVEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniversalName {
    /// `\\server\share\dir\file`.
    pub universal_name: String,
    /// `\\server\share`.
    pub connection_name: String,
    /// `\dir\file` (empty for the share itself).
    pub remaining_path: String,
}

/// Splits `path` at a local name that is a prefix of it: `X:\dir` at `X:`, `/mnt/x/dir` at
/// `/mnt/x`; the rest uses backslashes.
fn remaining_after(path: &str, local: &str) -> Option<String> {
    let rest = if local.len() == 2 && local.ends_with(':') {
        let head = path.get(..2)?;
        if !head.eq_ignore_ascii_case(local) {
            return None;
        }
        &path[2..]
    } else {
        let local = local.trim_end_matches('/');
        let rest = path.strip_prefix(local)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        rest
    };
    Some(rest.replace('/', "\\").trim_end_matches('\\').to_owned())
}

/// `(mount point, \\server\share, path inside the share)` of each cifs/smb3 mount of
/// `/proc/self/mountinfo`.
fn cifs_mounts() -> Vec<(String, String, String)> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|mountinfo| cifs_mounts_in(&mountinfo))
        .unwrap_or_default()
}

/// The cifs/smb3 mounts of mountinfo text.
fn cifs_mounts_in(mountinfo: &str) -> Vec<(String, String, String)> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mut after = after.split(' ');
            let fstype = after.next()?;
            if fstype != "cifs" && fstype != "smb3" {
                return None;
            }
            let source = after.next()?.replace("\\040", " ");
            let mount_point = before.split(' ').nth(4)?.replace("\\040", " ");
            let unc = UncName::parse(&source).ok()?;
            let share = format!("\\\\{}\\{}", unc.server, unc.share.clone()?);
            let inside: String = unc
                .path
                .iter()
                .flat_map(|part| ["\\", part.as_str()])
                .collect();
            Some((mount_point, share, inside))
        })
        .collect()
}

/// WNetGetUniversalName at REMOTE_NAME_INFO_LEVEL; level 1 uses its `universal_name`.
pub fn get_universal_name(local_path: &str, level: u32) -> Result<UniversalName, WinError> {
    if level != info_level::UNIVERSAL_NAME_INFO_LEVEL && level != info_level::REMOTE_NAME_INFO_LEVEL
    {
        return Err(WinError::new(codes::ERROR_INVALID_LEVEL));
    }
    if local_path.is_empty() {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let connections = connections()?;
    for entry in &connections {
        let Some(local) = entry.local_name.as_deref() else {
            continue;
        };
        let under_mount = entry
            .mount_point
            .as_deref()
            .and_then(|mount_point| remaining_after(local_path, mount_point));
        if let Some(rest) = remaining_after(local_path, local).or(under_mount) {
            return Ok(UniversalName {
                universal_name: format!("{}{rest}", entry.remote_name),
                connection_name: entry.remote_name.clone(),
                remaining_path: rest,
            });
        }
    }
    for (mount_point, share, inside) in cifs_mounts() {
        if let Some(rest) = remaining_after(local_path, &mount_point) {
            let rest = format!("{inside}{rest}");
            return Ok(UniversalName {
                universal_name: format!("{share}{rest}"),
                connection_name: share,
                remaining_path: rest,
            });
        }
    }
    let remembered = load_remembered()?;
    if remembered
        .entries()
        .iter()
        .any(|entry| remaining_after(local_path, &entry.local_name).is_some())
    {
        return Err(WinError::new(codes::ERROR_CONNECTION_UNAVAIL));
    }
    Err(WinError::new(codes::ERROR_NOT_CONNECTED))
}

fn share_resource(server: &str, share: &ShareEntry, scope_value: u32) -> NetResource {
    let decoded = crate::ShareType::from_stype(share.share_type);
    NetResource {
        scope: scope_value,
        resource_type: match decoded.kind {
            crate::ShareKind::Disk => resource_type::RESOURCETYPE_DISK,
            crate::ShareKind::PrintQueue => resource_type::RESOURCETYPE_PRINT,
            _ => resource_type::RESOURCETYPE_ANY,
        },
        display_type: if decoded.special {
            display_type::RESOURCEDISPLAYTYPE_SHAREADMIN
        } else {
            display_type::RESOURCEDISPLAYTYPE_SHARE
        },
        usage: usage::RESOURCEUSAGE_CONNECTABLE,
        local_name: None,
        remote_name: Some(format!("\\\\{server}\\{}", share.name)),
        comment: Some(share.comment.clone()),
        provider: Some(PROVIDER_NAME.to_owned()),
    }
}

/// A GLOBALNET container of the provider: a workgroup or a server.
fn container_resource(remote_name: String, display: u32, comment: Option<String>) -> NetResource {
    NetResource {
        scope: scope::RESOURCE_GLOBALNET,
        resource_type: resource_type::RESOURCETYPE_ANY,
        display_type: display,
        usage: usage::RESOURCEUSAGE_CONTAINER,
        local_name: None,
        remote_name: Some(remote_name),
        comment,
        provider: Some(PROVIDER_NAME.to_owned()),
    }
}

fn server_resource(name: &str) -> NetResource {
    container_resource(
        format!("\\\\{name}"),
        display_type::RESOURCEDISPLAYTYPE_SERVER,
        Some(String::new()),
    )
}

fn workgroup_resource(name: &str) -> NetResource {
    container_resource(
        name.to_owned(),
        display_type::RESOURCEDISPLAYTYPE_DOMAIN,
        None,
    )
}

fn runtime() -> Result<tokio::runtime::Runtime, WinError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            WinError::with_cause(
                codes::ERROR_NOT_ENOUGH_MEMORY,
                Cause::Other(error.to_string()),
            )
        })
}

/// The servers of a workgroup, found by NetBIOS browsing.
pub fn browse_servers(workgroup: &str) -> Result<Vec<crate::browse::BrowsedServer>, WinError> {
    runtime()?.block_on(async { Browser::from_env().await?.servers(workgroup).await })
}

/// The workgroups visible from here.
pub fn browse_workgroups() -> Result<Vec<String>, WinError> {
    runtime()?.block_on(async { Ok(Browser::from_env().await?.workgroups().await) })
}

/// The shares of `server` (over the agent's session with it, or one made with the default
/// credentials or `user`/`password`), hidden ones included.
pub fn server_shares(
    server: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Vec<ShareEntry>, WinError> {
    let credentials = resolve_credentials(server, user, password)?;
    let mut agent = AgentClient::connect()?;
    match agent.call(Request::Shares {
        server: server.to_owned(),
        credentials,
    })? {
        Response::Shares { shares } => Ok(shares),
        other => Err(unexpected(&other)),
    }
    .map_err(record)
}

struct Enumeration {
    items: VecDeque<NetResource>,
}

static ENUMERATIONS: Mutex<Option<(u32, HashMap<u32, Enumeration>)>> = Mutex::new(None);

fn with_enumerations<T>(work: impl FnOnce(&mut u32, &mut HashMap<u32, Enumeration>) -> T) -> T {
    let mut guard = ENUMERATIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (next, table) = guard.get_or_insert_with(|| (1, HashMap::new()));
    work(next, table)
}

fn type_matches(filter: u32, resource: &NetResource) -> bool {
    filter == resource_type::RESOURCETYPE_ANY
        || resource.is_container()
        || resource.resource_type == filter
}

fn usage_matches(filter: u32, resource: &NetResource) -> bool {
    let wanted = filter & (usage::RESOURCEUSAGE_CONNECTABLE | usage::RESOURCEUSAGE_CONTAINER);
    wanted == 0 || resource.usage & wanted != 0
}

/// WNetOpenEnum: starts an enumeration and returns its handle.
pub fn open_enum(
    scope_value: u32,
    type_filter: u32,
    usage_filter: u32,
    resource: Option<&NetResource>,
) -> Result<u32, WinError> {
    let items = enumerate(scope_value, type_filter, usage_filter, resource).map_err(record)?;
    Ok(with_enumerations(|next, table| {
        let handle = *next;
        *next = next.wrapping_add(1).max(1);
        table.insert(
            handle,
            Enumeration {
                items: items.into(),
            },
        );
        handle
    }))
}

/// WNetEnumResource: up to `count` more items (`u32::MAX`: all); ERROR_NO_MORE_ITEMS at the
/// end; ERROR_INVALID_HANDLE for a closed or unknown handle.
pub fn enum_resource(handle: u32, count: u32) -> Result<Vec<NetResource>, WinError> {
    with_enumerations(|_, table| {
        let enumeration = table
            .get_mut(&handle)
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))?;
        if enumeration.items.is_empty() {
            return Err(WinError::new(codes::ERROR_NO_MORE_ITEMS));
        }
        let take = (count as usize).min(enumeration.items.len()).max(1);
        Ok(enumeration.items.drain(..take).collect())
    })
}

/// WNetCloseEnum.
pub fn close_enum(handle: u32) -> Result<(), WinError> {
    with_enumerations(|_, table| {
        table
            .remove(&handle)
            .map(|_| ())
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    })
}

/// What a GLOBALNET container is.
enum Container {
    Root,
    Provider,
    Workgroup(String),
    Server(String),
}

fn classify(resource: &NetResource) -> Result<Container, WinError> {
    check_provider(resource)?;
    let name = resource.remote_name.as_deref().unwrap_or_default();
    let marked_leaf = resource.usage != 0 && !resource.is_container();
    if name.is_empty() {
        return if resource.display_type == display_type::RESOURCEDISPLAYTYPE_NETWORK
            || resource.provider.is_some()
        {
            Ok(Container::Provider)
        } else {
            Ok(Container::Root)
        };
    }
    if name.eq_ignore_ascii_case(PROVIDER_NAME) {
        return Ok(Container::Provider);
    }
    if name.starts_with("\\\\") || name.starts_with("//") {
        let unc = UncName::parse(name)?;
        if unc.share.is_some() || marked_leaf {
            return Err(WinError::new(codes::ERROR_NOT_CONTAINER));
        }
        return Ok(Container::Server(unc.server));
    }
    if marked_leaf {
        return Err(WinError::new(codes::ERROR_NOT_CONTAINER));
    }
    Ok(Container::Workgroup(name.to_owned()))
}

fn enumerate(
    scope_value: u32,
    type_filter: u32,
    usage_filter: u32,
    resource: Option<&NetResource>,
) -> Result<Vec<NetResource>, WinError> {
    if !matches!(
        type_filter,
        resource_type::RESOURCETYPE_ANY
            | resource_type::RESOURCETYPE_DISK
            | resource_type::RESOURCETYPE_PRINT
    ) {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let show_hidden = usage_filter & RESOURCEUSAGE_WNET_HIDDEN != 0;
    let items = match scope_value {
        scope::RESOURCE_CONNECTED => {
            if resource.is_some() {
                return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
            }
            connections()?
                .into_iter()
                .map(|entry| NetResource {
                    scope: scope::RESOURCE_CONNECTED,
                    resource_type: entry.resource_type,
                    display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
                    usage: usage::RESOURCEUSAGE_CONNECTABLE,
                    local_name: entry.local_name,
                    remote_name: Some(entry.remote_name),
                    comment: None,
                    provider: Some(PROVIDER_NAME.to_owned()),
                })
                .filter(|item| type_matches(type_filter, item))
                .collect()
        }
        scope::RESOURCE_REMEMBERED => {
            if resource.is_some() {
                return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
            }
            load_remembered()?
                .entries()
                .iter()
                .map(|entry| NetResource {
                    scope: scope::RESOURCE_REMEMBERED,
                    resource_type: entry.resource_type,
                    display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
                    usage: usage::RESOURCEUSAGE_CONNECTABLE,
                    local_name: Some(entry.local_name.clone()),
                    remote_name: Some(entry.remote_name.clone()),
                    comment: None,
                    provider: Some(entry.provider.clone()),
                })
                .filter(|item| type_matches(type_filter, item))
                .collect()
        }
        scope::RESOURCE_CONTEXT => {
            let mut items = vec![NetResource {
                scope: scope::RESOURCE_GLOBALNET,
                resource_type: resource_type::RESOURCETYPE_ANY,
                display_type: display_type::RESOURCEDISPLAYTYPE_ROOT,
                usage: usage::RESOURCEUSAGE_CONTAINER,
                local_name: None,
                remote_name: Some("Entire Network".to_owned()),
                comment: None,
                provider: Some(PROVIDER_NAME.to_owned()),
            }];
            items.extend(
                browse_servers(&local_workgroup())?
                    .iter()
                    .map(|server| server_resource(&server.name)),
            );
            items
        }
        scope::RESOURCE_GLOBALNET => {
            let container = resource.map_or(Ok(Container::Root), classify)?;
            let items = match container {
                Container::Root => vec![NetResource::provider_root()],
                Container::Provider => browse_workgroups()?
                    .iter()
                    .map(|name| workgroup_resource(name))
                    .collect(),
                Container::Workgroup(name) => browse_servers(&name)?
                    .iter()
                    .map(|server| server_resource(&server.name))
                    .collect(),
                Container::Server(server) => server_shares(&server, None, None)?
                    .iter()
                    .filter(|share| show_hidden || !share.name.ends_with('$'))
                    .map(|share| share_resource(&server, share, scope::RESOURCE_GLOBALNET))
                    .collect(),
            };
            items
                .into_iter()
                .filter(|item| type_matches(type_filter, item) && usage_matches(usage_filter, item))
                .collect()
        }
        _ => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
    };
    Ok(items)
}

/// WNetGetResourceInformation: the provider's resource for a remote path, and the part of
/// the path below it; the path must exist on the server.
pub fn get_resource_information(
    resource: &NetResource,
) -> Result<(NetResource, Option<String>), WinError> {
    get_resource_information_inner(resource).map_err(record)
}

fn get_resource_information_inner(
    resource: &NetResource,
) -> Result<(NetResource, Option<String>), WinError> {
    check_provider(resource)?;
    let remote = resource
        .remote_name
        .as_deref()
        .filter(|remote| !remote.is_empty())
        .ok_or_else(|| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    let unc = UncName::parse(remote).map_err(|_| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if unc.share.is_none() {
        runtime()?
            .block_on(async {
                crate::resolve::Resolver::new(crate::resolve::ProviderConfig::from_env()?)
                    .resolve(&unc.server)
                    .await
            })
            .map_err(|error| WinError {
                code: codes::ERROR_BAD_NET_NAME,
                cause: error.cause,
            })?;
        return Ok((server_resource(&unc.server), None));
    }
    let credentials = resolve_credentials(&unc.server, None, None)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::ResourceInformation {
        remote_path: remote.to_owned(),
        credentials,
    })?;
    let Response::ResourceInformation {
        remote_name,
        remaining_path,
        ..
    } = response
    else {
        return Err(unexpected(&response));
    };
    Ok((
        NetResource {
            scope: 0,
            resource_type: resource_type::RESOURCETYPE_DISK,
            display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
            usage: usage::RESOURCEUSAGE_CONNECTABLE,
            local_name: None,
            remote_name: Some(remote_name),
            comment: None,
            provider: Some(PROVIDER_NAME.to_owned()),
        },
        remaining_path,
    ))
}

/// WNetGetResourceParent: share → server → workgroup → provider.
pub fn get_resource_parent(resource: &NetResource) -> Result<NetResource, WinError> {
    check_provider(resource)?;
    let remote = resource
        .remote_name
        .as_deref()
        .filter(|remote| !remote.is_empty())
        .ok_or_else(|| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if remote.eq_ignore_ascii_case(PROVIDER_NAME) {
        return Ok(NetResource {
            provider: Some(PROVIDER_NAME.to_owned()),
            ..NetResource::default()
        });
    }
    if !(remote.starts_with("\\\\") || remote.starts_with("//")) {
        return Ok(NetResource::provider_root());
    }
    let unc = UncName::parse(remote).map_err(|_| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if unc.share.is_some() {
        return Ok(server_resource(&unc.server));
    }
    let workgroup = runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let address = match unc.server.parse() {
            Ok(address) => Some(address),
            Err(_) => browser.resolve(&unc.server).await,
        };
        Ok::<_, WinError>(match address {
            Some(address) => browser.workgroup_of(address).await,
            None => None,
        })
    })?;
    Ok(workgroup_resource(
        &workgroup.unwrap_or_else(local_workgroup),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cifs_mounts_of_mountinfo_name_their_share() {
        let mountinfo = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
90 22 0:50 / /mnt/lab\\040share rw,relatime shared:60 - cifs //labserver/public/sub/dir rw,vers=3.1.1
91 22 0:51 / /mnt/other rw shared:61 - smb3 //srv/data rw
92 22 0:52 / /mnt/fuse rw - fuse //srv/data rw,user_id=0
";
        let mounts = cifs_mounts_in(mountinfo);
        assert_eq!(
            mounts,
            [
                (
                    "/mnt/lab share".to_owned(),
                    "\\\\labserver\\public".to_owned(),
                    "\\sub\\dir".to_owned()
                ),
                (
                    "/mnt/other".to_owned(),
                    "\\\\srv\\data".to_owned(),
                    String::new()
                ),
            ]
        );
    }

    #[test]
    fn local_prefixes_split_paths() {
        assert_eq!(
            remaining_after("Z:\\dir\\f.txt", "z:").as_deref(),
            Some("\\dir\\f.txt")
        );
        assert_eq!(remaining_after("Z:", "Z:").as_deref(), Some(""));
        assert_eq!(remaining_after("Y:\\dir", "Z:"), None);
        assert_eq!(
            remaining_after("/mnt/x/dir/f", "/mnt/x").as_deref(),
            Some("\\dir\\f")
        );
        assert_eq!(remaining_after("/mnt/xy/f", "/mnt/x"), None);
    }

    #[test]
    fn enumeration_handles_follow_windows_rules() {
        let handle = open_enum(scope::RESOURCE_GLOBALNET, 0, 0, None).unwrap();
        let items = enum_resource(handle, 10).unwrap();
        assert_eq!(items, vec![NetResource::provider_root()]);
        assert_eq!(
            enum_resource(handle, 10).unwrap_err().code,
            codes::ERROR_NO_MORE_ITEMS
        );
        close_enum(handle).unwrap();
        assert_eq!(
            enum_resource(handle, 10).unwrap_err().code,
            codes::ERROR_INVALID_HANDLE
        );
        assert_eq!(
            close_enum(handle).unwrap_err().code,
            codes::ERROR_INVALID_HANDLE
        );
        let share = NetResource {
            remote_name: Some("\\\\srv\\share".into()),
            ..NetResource::default()
        };
        assert_eq!(
            open_enum(scope::RESOURCE_GLOBALNET, 0, 0, Some(&share))
                .unwrap_err()
                .code,
            codes::ERROR_NOT_CONTAINER
        );
        assert_eq!(
            open_enum(scope::RESOURCE_CONNECTED, 0, 0, Some(&share))
                .unwrap_err()
                .code,
            codes::ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            open_enum(9, 0, 0, None).unwrap_err().code,
            codes::ERROR_INVALID_PARAMETER
        );
    }
}
