//! The connection table's changes: adding a connection (with its local device reserved,
//! connected and mounted) and cancelling one.

use std::sync::Arc;

use wnet_smb2::client::SessionOptions;

use wnet::agent_protocol::{ConnectionEntry, ConnectionName, Logon, Response, WireCredentials};
use wnet::drives::LocalName;
use wnet::error::{Cause, WinError, codes};
use wnet::resource::{connect, resource_type};
use wnet::unc::UncName;

use crate::provider::{Provider, ProviderSession, ProviderTree};
use crate::redirector::{LinkSource, RedirectRequest, RedirectedDevice, prepare_mount_point};

use super::sessions::{credential_conflict, credential_source, dialect_name, same_account};
use super::{
    ConnectionRow, Reservation, ServerEntry, Workstation, lock, unmount, unmount_row_device,
};

/// A share connected for a new connection row, with where its name landed.
struct Connected<P: Provider> {
    landing: super::dfs::Landing,
    session: P::Session,
    user: String,
    reused: bool,
    tree: P::Tree,
    share_kind: u32,
    device: Option<Box<dyn RedirectedDevice<P::Tree>>>,
}

impl<P: Provider> Workstation<P> {
    /// Windows' checks of the local name and flags, before any network traffic; reserves the
    /// local device to redirect (the one named, or with CONNECT_REDIRECT and none named, the
    /// highest free drive letter, as `net use *` picks).
    fn reserve_local_name(
        &self,
        local_name: Option<&LocalName>,
        flags: u32,
    ) -> Result<Reservation<'_, P>, WinError> {
        if flags & connect::CONNECT_INTERACTIVE != 0 && flags & connect::CONNECT_PROMPT != 0 {
            return Err(WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Other("wnet never prompts: pass the user name and password".into()),
            ));
        }
        if local_name.is_none() && flags & connect::CONNECT_REDIRECT == 0 {
            return Ok(Reservation {
                table: &self.table,
                local: None,
            });
        }
        if self.redirector.is_none() {
            return Err(WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Other("this agent redirects no local devices (no FUSE)".into()),
            ));
        }
        let mut table = lock(&self.table);
        let local = match local_name {
            Some(local) => {
                if table.local_name_in_use(local) {
                    return Err(WinError::new(codes::ERROR_ALREADY_ASSIGNED));
                }
                local.clone()
            }
            None => (b'D'..=b'Z')
                .rev()
                .map(|letter| LocalName::new(&format!("{}:", char::from(letter))))
                .find(|letter| !table.local_name_in_use(letter))
                .ok_or_else(|| WinError::new(codes::ERROR_NO_MORE_DEVICES))?,
        };
        table.reserved.insert(local.clone());
        Ok(Reservation {
            table: &self.table,
            local: Some(local),
        })
    }

    /// Connects the share and, with a local device, mounts it there; a failure leaves no
    /// tree connected.
    #[allow(clippy::too_many_arguments)] // the connection's parts, each needed
    async fn connect_and_redirect(
        &self,
        session: &P::Session,
        physical: &UncName,
        unc: &UncName,
        local: Option<&LocalName>,
        resource_kind: u32,
        flags: u32,
        (credentials, logon): (Option<&WireCredentials>, &Logon),
    ) -> Result<(P::Tree, u32, Option<Box<dyn RedirectedDevice<P::Tree>>>), WinError> {
        let share_path = physical.resource();
        let (tree, share_kind) =
            connect_tree(session, &share_path, &physical.path, resource_kind).await?;
        let links = self.link_source(&physical.share_root(), credentials, logon, &tree);
        let tree = match &links {
            Some(links) => tree.with_link_source(Arc::clone(links)),
            None => tree,
        };
        let Some(local) = local else {
            return Ok((tree, share_kind, None));
        };
        if share_kind != resource_type::RESOURCETYPE_DISK {
            let _ = tree.disconnect().await;
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEV_TYPE,
                Cause::Other(format!("{share_path} is not a disk share")),
            ));
        }
        match self
            .redirect(local, &tree, &unc.to_windows(), flags, credentials, links)
            .await
        {
            Ok(device) => Ok((tree, share_kind, Some(device))),
            Err(error) => {
                let _ = tree.disconnect().await;
                Err(error)
            }
        }
    }

    /// Mounts `tree` at the reserved local device.
    async fn redirect(
        &self,
        local: &LocalName,
        tree: &P::Tree,
        remote_name: &str,
        flags: u32,
        credentials: Option<&WireCredentials>,
        links: Option<LinkSource<P::Tree>>,
    ) -> Result<Box<dyn RedirectedDevice<P::Tree>>, WinError> {
        let Some(redirector) = self.redirector.clone() else {
            return Err(WinError::new(codes::ERROR_NOT_SUPPORTED));
        };
        let request = RedirectRequest {
            tree: tree.clone(),
            mount_point: prepare_mount_point(local)?,
            remote_name: remote_name.to_owned(),
            write_through: flags & connect::CONNECT_WRITE_THROUGH_SEMANTICS != 0,
            require_privacy: flags & connect::CONNECT_REQUIRE_PRIVACY != 0,
            credentials: credentials.cloned(),
            links,
        };
        tokio::task::spawn_blocking(move || redirector.redirect(request))
            .await
            .map_err(|error| {
                WinError::with_cause(codes::ERROR_UNEXP_NET_ERR, Cause::Other(error.to_string()))
            })?
    }

    /// Connects the share `unc` lands on (and mounts it at `local`): a namespace path
    /// through DFS referrals, a plain `\\server\share` where it is. A DFS target that cannot
    /// be reached gives way to the next.
    #[allow(clippy::too_many_arguments)] // the request's parts, each needed
    async fn connect_landed(
        &self,
        unc: &UncName,
        local: Option<&LocalName>,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        flags: u32,
        resource_kind: u32,
        options: &SessionOptions,
    ) -> Result<Connected<P>, WinError> {
        let (landing, (session, user, reused, tree, share_kind, device)) = self
            .connect_where_it_lands(unc, credentials, logon, |landing| async move {
                let physical = &landing.physical;
                let (session, user, reused) = self
                    .session_for(&physical.server, credentials, logon, options)
                    .await?;
                let redirected = self
                    .connect_and_redirect(
                        &session,
                        physical,
                        unc,
                        local,
                        resource_kind,
                        flags,
                        (credentials, logon),
                    )
                    .await;
                match redirected {
                    Ok((tree, share_kind, device)) => {
                        Ok((session, user, reused, tree, share_kind, device))
                    }
                    Err(error) => {
                        if !reused {
                            let _ = session.logoff().await;
                        }
                        Err(error)
                    }
                }
            })
            .await?;
        Ok(Connected {
            landing,
            session,
            user,
            reused,
            tree,
            share_kind,
            device,
        })
    }

    pub(super) async fn add_connection(
        &self,
        unc: &UncName,
        local_name: Option<&LocalName>,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        flags: u32,
        resource_kind: u32,
    ) -> Result<Response, WinError> {
        let unc = &share_to_connect(unc, local_name, flags)?;
        let reservation = self.reserve_local_name(local_name, flags)?;
        let local = reservation.local.clone();
        if local.is_some() && resource_kind == resource_type::RESOURCETYPE_PRINT {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEV_TYPE,
                Cause::Other("printer devices are not redirected here; connect without one".into()),
            ));
        }
        let options = session_options(flags);
        let Connected {
            landing,
            session,
            user,
            reused,
            tree,
            share_kind,
            device,
        } = self
            .connect_landed(
                unc,
                local.as_ref(),
                credentials,
                logon,
                flags,
                resource_kind,
                &options,
            )
            .await?;
        let mount_point = device
            .as_ref()
            .map(|device| wnet::drives::text_from_path(device.mount_point()));
        let entry = ConnectionEntry {
            local_name: local,
            user: user.clone(),
            resource_type: share_kind,
            mount_point,
            dfs_target: (!landing.physical.matches(unc)).then(|| landing.physical.clone()),
            ..self.session_entry(&session, unc.clone())
        };
        let source = credential_source(
            reused,
            &landing.physical.server,
            &user,
            credentials,
            logon,
            &entry.authentication,
        );
        let server = ServerEntry {
            session: session.clone(),
            user: user.clone(),
            credentials: credentials.cloned(),
            logon: logon.clone(),
            options,
            retry_at: None,
            failed_reconnections: 0,
        };
        let duplicate_tree = self.record_connection(
            landing.physical.server_key(),
            server,
            reused,
            (&entry, &landing.physical),
            tree,
            device,
        );
        drop(reservation);
        let duplicate_tree = match duplicate_tree {
            Ok(duplicate) => duplicate,
            Err((tree, device, held)) => {
                if let Some(device) = device {
                    unmount(device, true).await;
                }
                let _ = tree.disconnect().await;
                let _ = session.logoff().await;
                return Err(credential_conflict(&landing.physical.server, &held));
            }
        };
        // Windows counts a second deviceless connection to the same resource as the same.
        if let Some(tree) = duplicate_tree {
            let _ = tree.disconnect().await;
        }
        Ok(Response::Added {
            user,
            session_reused: reused,
            source,
            entry: Box::new(entry),
        })
    }

    /// The entry of a connection to `remote_name` with the facts of the session it rides;
    /// the connection's other fields (local name, user, resource type, mount point) for the
    /// caller to fill.
    fn session_entry(&self, session: &P::Session, remote_name: UncName) -> ConnectionEntry {
        ConnectionEntry {
            local_name: None,
            remote_name,
            user: String::new(),
            resource_type: 0,
            dialect: dialect_name(session.dialect()),
            signing: session.is_signing(),
            encryption: session.is_encrypting(),
            guest: session.is_guest(),
            policy: self.provider.config().security,
            mount_point: None,
            connected: true,
            session_id: session.id(),
            file_channels: 0,
            authentication: session.authentication(),
            dfs_target: None,
        }
    }

    /// Adds the connection (and the session, if new) to the table. `Ok(Some(tree))`: the
    /// same deviceless connection exists already, so this tree is surplus; `Err`: another
    /// user's session with the server appeared meanwhile (its user returned).
    #[allow(clippy::too_many_arguments)] // one row's parts, each needed
    #[allow(clippy::type_complexity)] // the parts handed back to undo
    fn record_connection(
        &self,
        server_key: String,
        server: ServerEntry<P::Session>,
        reused: bool,
        (entry, physical): (&ConnectionEntry, &UncName),
        tree: P::Tree,
        device: Option<Box<dyn RedirectedDevice<P::Tree>>>,
    ) -> Result<Option<P::Tree>, (P::Tree, Option<Box<dyn RedirectedDevice<P::Tree>>>, String)>
    {
        let mut table = lock(&self.table);
        // The table is not locked across the session setup, so another request may have
        // made a session with this server meanwhile: one user per server still holds.
        let user = server.user.as_str();
        let held = table
            .servers
            .get(&server_key)
            .map(|held| held.user.clone())
            .filter(|held| {
                let (domain, name) = user.split_once('\\').unwrap_or(("", user));
                !reused && !same_account(held, name, domain)
            });
        if let Some(held) = held {
            Err((tree, device, held))
        } else {
            match table.servers.get_mut(&server_key) {
                // The session held was lost: the new one (same user) takes its place.
                Some(held) if !reused && !held.session.is_connected() => *held = server,
                Some(_) => {}
                None => {
                    table.servers.insert(server_key.clone(), server);
                }
            }
            let duplicate = device.is_none()
                && table.connections.iter().any(|row| {
                    row.entry.local_name.is_none()
                        && row.entry.remote_name.matches(&entry.remote_name)
                });
            if duplicate {
                Ok(Some(tree))
            } else {
                table.connections.push(ConnectionRow {
                    entry: entry.clone(),
                    server_key,
                    physical: physical.clone(),
                    file_channels: std::sync::Arc::new(super::serving::FileChannels::new(
                        tree.clone(),
                    )),
                    tree,
                    device,
                });
                Ok(None)
            }
        }
    }

    pub(super) async fn cancel_connection(
        &self,
        name: &ConnectionName,
        force: bool,
    ) -> Result<Response, WinError> {
        let removed: Vec<ConnectionRow<P::Tree>> = {
            let mut table = lock(&self.table);
            // Windows refuses to cancel a device with open files unless forced.
            let open_files: usize = table
                .connections
                .iter()
                .filter(|row| row.entry.is_named_by(name))
                .filter_map(|row| row.device.as_ref())
                .map(|device| device.open_files())
                .sum();
            if open_files > 0 && !force {
                return Err(WinError::with_cause(
                    codes::ERROR_OPEN_FILES,
                    Cause::Other(format!(
                        "{open_files} file(s) open on {name}; close them or force the cancel"
                    )),
                ));
            }
            let (gone, kept): (Vec<_>, Vec<_>) = table
                .connections
                .drain(..)
                .partition(|row| row.entry.is_named_by(name));
            table.connections = kept;
            gone
        };
        if removed.is_empty() {
            return Err(WinError::new(codes::ERROR_NOT_CONNECTED));
        }
        let mut servers = Vec::new();
        for mut row in removed {
            unmount_row_device(&mut row, force).await;
            if let Err(error) = row.tree.disconnect().await {
                tracing::debug!(%error, remote = %row.entry.remote_name, "tree disconnect failed");
            }
            servers.push(row.server_key);
        }
        self.drop_unused_sessions(servers.iter().map(String::as_str))
            .await;
        Ok(Response::Ok)
    }
}

/// The share a connection to `unc` connects: the share it names, or for a server alone
/// (deviceless), its IPC$, as Windows makes it — a session for later connections to ride,
/// listed and cancelled as `\\server\IPC$`. A device redirects a share, never a server.
fn share_to_connect(
    unc: &UncName,
    local_name: Option<&LocalName>,
    flags: u32,
) -> Result<UncName, WinError> {
    match &unc.share {
        Some(_) => Ok(unc.clone()),
        None if local_name.is_none() && flags & connect::CONNECT_REDIRECT == 0 => {
            Ok(unc.server_ipc())
        }
        None => Err(WinError::with_cause(
            codes::ERROR_BAD_NET_NAME,
            Cause::Other(format!("{unc} names a server: a device redirects a share")),
        )),
    }
}

/// The session options the CONNECT_* `flags` ask for: signing, encryption.
fn session_options(flags: u32) -> SessionOptions {
    SessionOptions {
        require_signing: flags & connect::CONNECT_REQUIRE_INTEGRITY != 0,
        require_encryption: flags & connect::CONNECT_REQUIRE_PRIVACY != 0,
        ..SessionOptions::default()
    }
}

/// Connects to the share, checks a path below it (a directory) and the resource type asked
/// for; the tree is disconnected again when a check fails.
pub(super) async fn connect_tree<S: ProviderSession>(
    session: &S,
    share_path: &str,
    path: &[String],
    resource_kind: u32,
) -> Result<(S::Tree, u32), WinError> {
    let tree = session.tree_connect(share_path).await?;
    let share_kind = match tree.share_type() {
        wnet_smb2::wire::share_type::PRINT => resource_type::RESOURCETYPE_PRINT,
        wnet_smb2::wire::share_type::PIPE => resource_type::RESOURCETYPE_ANY,
        _ => resource_type::RESOURCETYPE_DISK,
    };
    let wrong_type = (resource_kind == resource_type::RESOURCETYPE_PRINT
        && share_kind != resource_type::RESOURCETYPE_PRINT)
        || (resource_kind == resource_type::RESOURCETYPE_DISK
            && share_kind == resource_type::RESOURCETYPE_PRINT);
    let problem = if wrong_type {
        Some(WinError::new(codes::ERROR_BAD_DEV_TYPE))
    } else if path.is_empty() {
        None
    } else {
        let path = path.join("\\");
        match tree.is_directory(&path).await {
            Ok(true) => None,
            Ok(false) => Some(WinError::with_cause(
                codes::ERROR_BAD_NET_NAME,
                Cause::Other(format!("{path} is not a directory")),
            )),
            Err(error) => Some(WinError {
                code: codes::ERROR_BAD_NET_NAME,
                cause: error.cause,
            }),
        }
    };
    match problem {
        None => Ok((tree, share_kind)),
        Some(error) => {
            let _ = tree.disconnect().await;
            Err(error)
        }
    }
}
