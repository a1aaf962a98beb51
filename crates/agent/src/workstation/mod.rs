//! The workstation: the SMB sessions and the connection table the agent holds for its user,
//! and the answer to each agent request. Windows' rules live here: one user per server
//! (ERROR_SESSION_CREDENTIAL_CONFLICT), a session reused by every connection to its server,
//! deviceless connections counted once per remote name, ERROR_NOT_CONNECTED for unknown names.
//! A session that a listing opened is kept idle for a while (`idle_sessions`) for the
//! next listing with the same credentials; it holds no connection, so it claims no server for
//! its user.
//!
//! The table is locked only to read or change it, never across a network round trip, so a
//! slow server holds up only the requests that need it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use wnet_smb2::client::SessionOptions;

use wnet::agent_protocol::{ConnectionEntry, Logon, Request, Response, WireCredentials};
use wnet::drives::LocalName;
use wnet::error::{WinError, codes};
use wnet::unc::UncName;

use crate::idle_sessions::{CredentialDigest, IdleSessions};
use crate::provider::{Provider, ProviderSession, ProviderTree};
use crate::redirector::{RedirectedDevice, Redirector};
use crate::smb_provider::SmbProvider;

mod connections;
mod dfs;
mod listing;
mod reconnection;
mod serving;

pub use serving::FileChannelTree;
mod sessions;
#[cfg(test)]
mod tests;

/// A session with one server, shared by the connections to it.
struct ServerEntry<S> {
    session: S,
    /// `DOMAIN\user` (or `user`, or empty for anonymous) as the session authenticated.
    user: String,
    /// What made the session, kept in memory (never written anywhere) to make it again when
    /// its connection is lost: the credentials (`None`: anonymous) and the session options.
    credentials: Option<WireCredentials>,
    /// The caller's logon that made it: the credential cache its tickets came from, the
    /// mechanism required.
    logon: Logon,
    options: SessionOptions,
    /// After a failed reconnection, when the next may be tried.
    retry_at: Option<Instant>,
    /// Failed reconnections in a row (each doubles the wait before the next).
    failed_reconnections: u32,
}

/// One row of the connection table.
struct ConnectionRow<T> {
    entry: ConnectionEntry,
    /// Lower-cased server name, the key of the sessions table.
    server_key: String,
    /// The share connected, and the path below it: the remote name itself, or where DFS
    /// referrals sent a namespace path.
    physical: UncName,
    tree: T,
    /// The mounted share of a redirected device.
    device: Option<Box<dyn RedirectedDevice<T>>>,
    /// The file channels serving the share through this connection now.
    file_channels: Arc<serving::FileChannels<T>>,
}

struct Table<P: Provider> {
    servers: HashMap<String, ServerEntry<P::Session>>,
    connections: Vec<ConnectionRow<P::Tree>>,
    /// Local names being connected right now (not in `connections` yet).
    reserved: HashSet<LocalName>,
    /// Sessions that listings and resource lookups opened, kept for the next one.
    idle: IdleSessions<P::Session>,
    /// The DFS referral and domain caches.
    dfs: dfs::DfsState,
}

/// Where a listing's session came from, and so where it goes afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListingSession {
    /// A session the connections to the server share: it stays theirs.
    Held,
    /// A kept idle session.
    Kept(CredentialDigest),
    /// Set up for this call; kept afterwards when `Some`.
    New(Option<CredentialDigest>),
}

impl<P: Provider> Table<P> {
    /// The server entry of `row` when the row's connection is lost and a reconnection is due
    /// at `now`.
    fn lost_server_due(
        &self,
        row: &ConnectionRow<P::Tree>,
        now: Instant,
    ) -> Option<&ServerEntry<P::Session>> {
        if row.tree.is_connected() {
            return None;
        }
        self.servers
            .get(&row.server_key)
            .filter(|server| server.retry_at.is_none_or(|at| at <= now))
    }

    fn local_name_in_use(&self, local: &LocalName) -> bool {
        self.reserved.contains(local)
            || self
                .connections
                .iter()
                .any(|row| row.entry.has_local_name(local))
    }
}

/// The agent's state and the logic of each request, over the network provider `P`.
pub struct Workstation<P: Provider = SmbProvider> {
    provider: P,
    table: Mutex<Table<P>>,
    redirector: Option<Arc<dyn Redirector<P::Tree>>>,
    /// Where shares are served for their UNC paths (`wnet::drives::unc_dir`).
    unc_dir: PathBuf,
    /// A reconnection of lost connections is running.
    reconnecting: AtomicBool,
    /// The workstation itself, once shared ([`Workstation::shared`]): what the DFS links of
    /// its drives are resolved by.
    me: std::sync::OnceLock<std::sync::Weak<Workstation<P>>>,
}

/// Frees a reserved local name when the connection attempt ends, whichever way.
struct Reservation<'a, P: Provider> {
    table: &'a Mutex<Table<P>>,
    local: Option<LocalName>,
}

impl<P: Provider> Drop for Reservation<'_, P> {
    fn drop(&mut self) {
        if let Some(local) = self.local.take() {
            lock(self.table).reserved.remove(&local);
        }
    }
}

impl<P: Provider> std::fmt::Debug for Workstation<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workstation").finish_non_exhaustive()
    }
}

fn lock<P: Provider>(table: &Mutex<Table<P>>) -> std::sync::MutexGuard<'_, Table<P>> {
    table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<P: Provider> Workstation<P> {
    /// A workstation over `provider`, with no sessions yet.
    pub fn new(provider: P) -> Workstation<P> {
        let idle = IdleSessions::new(provider.config().idle_session_timeout);
        Workstation {
            provider,
            table: Mutex::new(Table {
                servers: HashMap::new(),
                connections: Vec::new(),
                reserved: HashSet::new(),
                idle,
                dfs: dfs::DfsState::new(),
            }),
            redirector: None,
            unc_dir: wnet::drives::unc_dir(),
            reconnecting: AtomicBool::new(false),
            me: std::sync::OnceLock::new(),
        }
    }

    /// The workstation, shared: its drives can then follow DFS links, which it resolves.
    pub fn shared(self) -> Arc<Workstation<P>> {
        let shared = Arc::new(self);
        let _ = shared.me.set(Arc::downgrade(&shared));
        shared
    }

    /// The workstation redirecting local devices with `redirector` (without one, a local
    /// name is ERROR_NOT_SUPPORTED).
    #[must_use]
    pub fn with_redirector(mut self, redirector: Arc<dyn Redirector<P::Tree>>) -> Workstation<P> {
        self.redirector = Some(redirector);
        self
    }

    /// The workstation serving shares for their UNC paths under `dir` (rather than
    /// `wnet::drives::unc_dir`).
    #[must_use]
    pub fn with_unc_dir(mut self, dir: PathBuf) -> Workstation<P> {
        self.unc_dir = dir;
        self
    }

    /// How many connections and sessions it holds (idle sessions kept after listings
    /// included).
    pub fn counts(&self) -> (usize, usize) {
        let table = lock(&self.table);
        (
            table.connections.len(),
            table.servers.len() + table.idle.len(),
        )
    }

    /// Answers one request (all but [`Request::Status`] and [`Request::Stop`], which the
    /// agent answers itself).
    pub async fn handle(&self, request: Request) -> Response {
        let result = match request {
            Request::AddConnection {
                remote_name,
                local_name,
                credentials,
                flags,
                resource_type,
                logon,
            } => {
                self.add_connection(
                    &remote_name,
                    local_name.as_ref(),
                    credentials.as_ref(),
                    &logon,
                    flags,
                    resource_type,
                )
                .await
            }
            Request::CancelConnection { name, force } => self.cancel_connection(&name, force).await,
            Request::Connections => Ok(Response::Connections {
                connections: self.connections(),
            }),
            Request::Shares {
                server,
                credentials,
                logon,
            } => self.shares(&server, credentials.as_ref(), &logon).await,
            Request::ResourceInformation {
                remote_path,
                credentials,
                logon,
            } => {
                self.resource_information(remote_path, credentials.as_ref(), &logon)
                    .await
            }
            Request::ServeShare {
                remote_name,
                credentials,
                logon,
            } => {
                self.serve_share(&remote_name, credentials.as_ref(), &logon)
                    .await
            }
            Request::DfsTargets {
                remote_path,
                credentials,
                logon,
            } => {
                self.dfs_targets(&remote_path, credentials.as_ref(), &logon)
                    .await
            }
            // The server answers these itself (a file channel needs the connection, the
            // neighbourhood is the agent's, not a workstation's).
            Request::Status
            | Request::Stop
            | Request::Neighbourhood
            | Request::FileChannel { .. } => Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
        };
        result.unwrap_or_else(|error| Response::Error((&error).into()))
    }

    /// The connection table, each entry saying whether its session is still up and which
    /// session it rides now (a reconnection makes a new one).
    pub fn connections(&self) -> Vec<ConnectionEntry> {
        let table = lock(&self.table);
        table
            .connections
            .iter()
            .map(|row| ConnectionEntry {
                connected: row.tree.is_connected(),
                session_id: table
                    .servers
                    .get(&row.server_key)
                    .map_or(row.entry.session_id, |server| server.session.id()),
                file_channels: row.file_channels.count(),
                dfs_target: (!row.physical.matches(&row.entry.remote_name))
                    .then(|| row.physical.clone()),
                ..row.entry.clone()
            })
            .collect()
    }

    /// Disconnects everything (agent shutdown).
    pub async fn shutdown(&self) {
        let (rows, servers) = {
            let mut table = lock(&self.table);
            let rows: Vec<ConnectionRow<P::Tree>> = table.connections.drain(..).collect();
            let mut servers: Vec<P::Session> = table.idle.drain();
            servers.extend(table.servers.drain().map(|(_, entry)| entry.session));
            (rows, servers)
        };
        for mut row in rows {
            unmount_row_device(&mut row, true).await;
            let _ = row.tree.disconnect().await;
        }
        for session in servers {
            let _ = session.logoff().await;
        }
    }
}

/// Unmounts the device of `row`, if it has one; a share served for its UNC paths (a
/// deviceless row's) leaves no directory behind.
async fn unmount_row_device<T: 'static>(row: &mut ConnectionRow<T>, force: bool) {
    if let Some(device) = row.device.take() {
        let mount_point = device.mount_point().to_owned();
        unmount(device, force).await;
        if row.entry.local_name.is_none() {
            crate::redirector::remove_unc_mount_point(&mount_point);
        }
    }
}

/// Unmounts a device (off the runtime's threads: it waits for the kernel); a failure is
/// logged, the connection goes either way.
async fn unmount<T: 'static>(device: Box<dyn RedirectedDevice<T>>, force: bool) {
    let mount_point = device.mount_point().display().to_string();
    match tokio::task::spawn_blocking(move || device.unmount(force)).await {
        Ok(Ok(())) => tracing::debug!(%mount_point, force, "unmounted"),
        Ok(Err(error)) => tracing::warn!(%mount_point, %error, "unmount failed"),
        Err(error) => tracing::warn!(%mount_point, %error, "unmount task failed"),
    }
}
