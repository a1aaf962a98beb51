//! Connections made again: the remembered devices at agent start, and the connections
//! whose server's connection was lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;
use wnet_smb2::client::SessionOptions;

use wnet::agent_protocol::{Logon, WireCredentials};
use wnet::connect_credentials::resolve_credentials;
use wnet::drives::LocalName;
use wnet::error::WinError;
use wnet::resource::connect;
use wnet::unc::UncName;

use crate::provider::{Provider, ProviderSession, ProviderTree};

use super::connections::connect_tree;
use super::{Workstation, lock};

/// How long after a failed reconnection the next is tried; it doubles with each failure in a
/// row, up to [`RECONNECT_RETRY_MAX`].
pub(super) const RECONNECT_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between reconnections.
pub(super) const RECONNECT_RETRY_MAX: Duration = Duration::from_secs(80);

/// The connections of one server to connect again, and what to do it with.
struct LostServer<S> {
    server_key: String,
    /// The server's name as the first lost connection names it.
    server: String,
    /// The session held, when it is still up (another connection made a new one).
    live_session: Option<S>,
    credentials: Option<WireCredentials>,
    logon: Logon,
    options: SessionOptions,
    /// `(local name, remote name, resource type)` of each lost connection.
    rows: Vec<(Option<LocalName>, UncName, u32)>,
}

impl<P: Provider> Workstation<P> {
    /// Reconnects the remembered devices that are not connected (at agent start), each with
    /// the default credentials for its server; a failure is logged with what to do.
    pub async fn restore_remembered(&self) {
        let Some(path) = wnet::remembered::remembered_path() else {
            return;
        };
        let store = match wnet::remembered::RememberedStore::load(&path) {
            Ok(store) => store,
            Err(error) => {
                tracing::warn!(%error, "cannot read the remembered connections");
                return;
            }
        };
        for remembered in store.entries() {
            let (local, remote) = (&remembered.local_name, &remembered.remote_name);
            // The store is a file: its names are checked as a caller's are.
            let names =
                LocalName::parse(local).and_then(|local| Ok((local, UncName::parse(remote)?)));
            let (local, unc) = match names {
                Ok(names) => names,
                Err(error) => {
                    tracing::warn!(local, remote, %error, "cannot restore");
                    continue;
                }
            };
            if lock(&self.table).local_name_in_use(&local) {
                continue;
            }
            let flags = remembered.flags & !connect::CONNECT_UPDATE_PROFILE;
            let result = match resolve_credentials(&unc.server, None, None) {
                Ok(credentials) => {
                    let kind = remembered.resource_type;
                    // The agent's own logon: no caller is there to name a cache.
                    let logon = Logon::default();
                    self.add_connection(
                        &unc,
                        Some(&local),
                        credentials.as_ref(),
                        &logon,
                        flags,
                        kind,
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(_) => tracing::info!(%local, remote, "restored"),
                Err(error) => {
                    let error = wnet::remembered::restore_hint(error, remembered);
                    tracing::warn!(%local, remote, %error, "cannot restore");
                }
            }
        }
    }

    /// Whether a connection has lost its server's connection and may be made again now.
    pub fn has_lost_connections(&self) -> bool {
        let table = lock(&self.table);
        let now = Instant::now();
        table
            .connections
            .iter()
            .any(|row| table.lost_server_due(row, now).is_some())
    }

    /// Connects again the connections whose server's connection was lost (the server
    /// restarted, the network dropped): a new session with the credentials and options that
    /// made the lost one (or the session held, if another connection made a new one), a new
    /// tree for each connection, and its device served over it. A server that cannot be
    /// reached is tried again after `RECONNECT_RETRY` (5 s), doubled with each failure in a row
    /// up to `RECONNECT_RETRY_MAX` (80 s). One reconnection runs at a time (the agent calls this
    /// periodically).
    pub async fn reconnect_lost_connections(&self) {
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        for lost in self.lost_servers() {
            let server_key = lost.server_key.clone();
            let (credentials, logon) = (lost.credentials.clone(), lost.logon.clone());
            if let Err(error) = self.reconnect_server(lost).await {
                tracing::info!(server = %server_key, %error, "reconnection failed; will try again");
                self.fail_over(&server_key, credentials.as_ref(), &logon)
                    .await;
                if let Some(server) = lock(&self.table).servers.get_mut(&server_key) {
                    let wait = RECONNECT_RETRY
                        .saturating_mul(2_u32.saturating_pow(server.failed_reconnections))
                        .min(RECONNECT_RETRY_MAX);
                    server.failed_reconnections = server.failed_reconnections.saturating_add(1);
                    server.retry_at = Some(Instant::now() + wait);
                }
            }
        }
        self.reconnecting.store(false, Ordering::SeqCst);
    }

    /// The servers with lost connections that are due for a try.
    fn lost_servers(&self) -> Vec<LostServer<P::Session>> {
        let table = lock(&self.table);
        let now = Instant::now();
        let mut lost: Vec<LostServer<P::Session>> = Vec::new();
        for row in &table.connections {
            let Some(server) = table.lost_server_due(row, now) else {
                continue;
            };
            let connection = (
                row.entry.local_name.clone(),
                row.physical.clone(),
                row.entry.resource_type,
            );
            if let Some(known) = lost
                .iter_mut()
                .find(|known| known.server_key == row.server_key)
            {
                known.rows.push(connection);
                continue;
            }
            lost.push(LostServer {
                server_key: row.server_key.clone(),
                server: row.physical.server.clone(),
                live_session: Some(server.session.clone()).filter(ProviderSession::is_connected),
                credentials: server.credentials.clone(),
                logon: server.logon.clone(),
                // The first try negotiates under the lost connection's ClientGuid, so that the
                // drives can reopen their durable handles; later ones under a new one (Samba
                // hands a known ClientGuid's connection to the process that served it, which
                // may be the one that hangs).
                options: SessionOptions {
                    client_guid: (server.failed_reconnections == 0)
                        .then(|| server.session.client_guid())
                        .flatten(),
                    ..server.options.clone()
                },
                rows: vec![connection],
            });
        }
        lost
    }

    /// Moves the lost connections of `server_key` that a DFS namespace path landed there to
    /// the next target of their referral, when one can be reached: their devices and file
    /// channels go on over the new target's share (files open on the lost one stay lost).
    async fn fail_over(
        &self,
        server_key: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) {
        let landed: Vec<(Option<LocalName>, UncName)> = lock(&self.table)
            .connections
            .iter()
            .filter(|row| {
                row.server_key == server_key
                    && !row.tree.is_connected()
                    && !row.physical.matches(&row.entry.remote_name)
            })
            .map(|row| (row.entry.local_name.clone(), row.entry.remote_name.clone()))
            .collect();
        for (local_name, remote_name) in landed {
            let moved = self
                .land_elsewhere(&remote_name, server_key, credentials, logon)
                .await;
            let (physical, tree) = match moved {
                Ok(Some(moved)) => moved,
                Ok(None) => continue,
                Err(error) => {
                    tracing::info!(remote = %remote_name, %error, "no other DFS target");
                    continue;
                }
            };
            let mut table = lock(&self.table);
            let row = table.connections.iter_mut().find(|row| {
                row.entry.local_name == local_name
                    && row.entry.remote_name == remote_name
                    && !row.tree.is_connected()
            });
            if let Some(row) = row {
                if let Some(device) = &row.device {
                    device.reconnected(tree.clone());
                }
                row.file_channels.reconnected(tree.clone());
                row.tree = tree;
                row.server_key = physical.server_key();
                tracing::info!(remote = %remote_name, target = %physical, "failed over to the next DFS target");
                row.physical = physical;
            }
        }
    }

    /// Lands `remote_name` on a server other than `server_key` (marking the target there
    /// failed) and connects the share there; `None` when it lands on the same server still.
    async fn land_elsewhere(
        &self,
        remote_name: &UncName,
        server_key: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Option<(UncName, P::Tree)>, WinError> {
        let mut landing = self.land(remote_name, credentials, logon).await?;
        if landing.physical.server_key() == server_key {
            if !self.target_unreachable(&landing) {
                return Ok(None);
            }
            landing = self.land(remote_name, credentials, logon).await?;
        }
        if landing.physical.server_key() == server_key {
            return Ok(None);
        }
        let tree = self
            .connect_link_target(&landing.physical, credentials, logon)
            .await?;
        let links = self.link_source(&landing.physical.share_root(), credentials, logon, &tree);
        let tree = match links {
            Some(links) => tree.with_link_source(links),
            None => tree,
        };
        Ok(Some((landing.physical, tree)))
    }

    async fn reconnect_server(&self, lost: LostServer<P::Session>) -> Result<(), WinError> {
        let (session, new_session) = if let Some(session) = lost.live_session {
            (session, false)
        } else {
            let session = self
                .provider
                .open_session(
                    &lost.server,
                    lost.credentials.as_ref(),
                    &lost.logon,
                    &lost.options,
                )
                .await?;
            (session, true)
        };
        let mut trees = Vec::new();
        for (local_name, remote_name, resource_kind) in lost.rows {
            match connect_tree(&session, &remote_name.resource(), &[], resource_kind).await {
                Ok((tree, _)) => trees.push((local_name, remote_name, tree)),
                Err(error) => {
                    for (_, _, tree) in trees {
                        let _ = tree.disconnect().await;
                    }
                    if new_session {
                        let _ = session.logoff().await;
                    }
                    return Err(error);
                }
            }
        }
        // The table may have changed meanwhile: each tree goes to its connection if that is
        // still there and still lost.
        let mut surplus = Vec::new();
        {
            let mut table = lock(&self.table);
            if new_session && let Some(server) = table.servers.get_mut(&lost.server_key) {
                server.session = session.clone();
                server.retry_at = None;
                server.failed_reconnections = 0;
            }
            for (local_name, remote_name, tree) in trees {
                let row = table.connections.iter_mut().find(|row| {
                    row.entry.local_name == local_name
                        && row.physical == remote_name
                        && !row.tree.is_connected()
                });
                match row {
                    Some(row) => {
                        let tree = tree.with_links_of(&row.tree);
                        if let Some(device) = &row.device {
                            device.reconnected(tree.clone());
                        }
                        row.file_channels.reconnected(tree.clone());
                        row.tree = tree;
                        tracing::info!(remote = %remote_name, local = ?local_name, "reconnected");
                    }
                    None => surplus.push(tree),
                }
            }
        }
        for tree in surplus {
            let _ = tree.disconnect().await;
        }
        Ok(())
    }
}
