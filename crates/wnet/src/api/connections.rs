//! Connections: add, cancel and look up connections in the agent's table, the user of a
//! connection, and restoring remembered devices.

use std::time::{Duration, Instant};

use super::{check_provider, load_remembered, record, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{
    ConnectionEntry, ConnectionName, Logon, Request, RequiredMechanism, Response, WireCredentials,
};
use crate::connect_credentials::{env, resolve_credentials};
use crate::credentials::{self, CredentialFile, Credentials};
use crate::drives::{LocalName, is_valid_local_name};
use crate::error::{Cause, WinError, codes};
use crate::remembered::{RememberedConnection, RememberedStore, remembered_path, restore_hint};
use crate::resource::{NetResource, PROVIDER_NAME, connect, resource_type};
use crate::unc::UncName;

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

/// WNetAddConnection2/3: connects `resource.remote_name` (deviceless, or redirecting
/// `resource.local_name`), with `user`/`password` or the default credentials.
pub fn add_connection(
    resource: &NetResource,
    password: Option<&str>,
    user: Option<&str>,
    flags: u32,
) -> Result<Added, WinError> {
    add_connection_requiring(resource, password, user, flags, None)
}

/// [`add_connection`] allowing only `mechanism` for a session it sets up (`None`: Kerberos
/// where Windows would use it, NTLM otherwise, as [`add_connection`] does). A session held
/// with the server already is reused only if it was authenticated that way.
pub fn add_connection_requiring(
    resource: &NetResource,
    password: Option<&str>,
    user: Option<&str>,
    flags: u32,
    mechanism: Option<RequiredMechanism>,
) -> Result<Added, WinError> {
    add_connection_inner(resource, password, user, flags, mechanism).map_err(record)
}

fn add_connection_inner(
    resource: &NetResource,
    password: Option<&str>,
    user: Option<&str>,
    flags: u32,
    mechanism: Option<RequiredMechanism>,
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
    let local = local.map(LocalName::parse).transpose()?;
    let credentials = resolve_credentials(&unc.server, user, password)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::AddConnection {
        remote_name: unc.clone(),
        local_name: local.clone(),
        credentials: credentials.clone(),
        flags,
        resource_type: resource.resource_type,
        logon: Logon::of_caller().requiring(mechanism),
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
        && let Some(local) = &local
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
        entry: *entry,
    })
}

fn remember(local: &LocalName, entry: &ConnectionEntry, flags: u32) -> Result<(), WinError> {
    let path = remembered_path().ok_or_else(|| WinError::new(codes::ERROR_CANNOT_OPEN_PROFILE))?;
    let mut store = RememberedStore::load(&path).map_err(|error| error.to_win_error())?;
    store.add(RememberedConnection {
        local_name: local.to_string(),
        remote_name: entry.remote_name.to_string(),
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
            Cause::Profile(error.to_string()),
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
            let local = LocalName::new(&remembered.local_name);
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
                    // The agent, started by this very call, restores remembered devices
                    // itself: it may have done so first, or be doing it now.
                    Err(error)
                        if error.code == codes::ERROR_ALREADY_ASSIGNED
                            && restored_by_agent(&local, &remembered.remote_name) =>
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

/// How long `wnet use /restore` waits for the agent's own restoration of a device it finds
/// reserved: one connection's worth of network steps, with room.
const AGENT_RESTORE_WAIT: Duration = Duration::from_secs(30);

/// Whether the agent holds `local` connected to `remote`, or comes to within
/// [`AGENT_RESTORE_WAIT`]: a device the agent is restoring is reserved before its connection
/// shows in the table. A device held for another remote name is an answer at once.
fn restored_by_agent(local: &LocalName, remote: &str) -> bool {
    let deadline = Instant::now() + AGENT_RESTORE_WAIT;
    loop {
        let Ok(table) = connections() else {
            return false;
        };
        if let Some(entry) = table.iter().find(|entry| entry.has_local_name(local)) {
            return UncName::parse(remote).is_ok_and(|remote| entry.remote_name.matches(&remote));
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
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
    let cancelled = match (ConnectionName::parse(name), AgentClient::connect_running()) {
        (Ok(name), Some(mut agent)) => agent.call(Request::CancelConnection { name, force }),
        (Err(error), _) => Err(error),
        (Ok(_), None) => Err(WinError::new(codes::ERROR_NOT_CONNECTED)),
    };
    if cancelled.is_ok() {
        // A share this process reached by UNC path may have been unmounted with it.
        super::paths::forget_served_paths();
    }
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
    let name = ConnectionName::parse(name).ok()?;
    connections.iter().find(|entry| {
        name.local
            .as_ref()
            .is_some_and(|local| entry.has_local_name(local))
            || name
                .remote
                .as_ref()
                .is_some_and(|remote| remote.names_connection(&entry.remote_name))
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
    let local = LocalName::parse(local_name)?;
    let connections = connections()?;
    let found = connections
        .iter()
        .find(|entry| entry.has_local_name(&local));
    if let Some(entry) = found {
        return Ok(entry.remote_name.to_string());
    }
    if load_remembered()?.find_local(local_name).is_some() {
        return Err(WinError::new(codes::ERROR_CONNECTION_UNAVAIL));
    }
    Err(WinError::new(codes::ERROR_NOT_CONNECTED))
}
