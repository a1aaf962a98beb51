//! The workstation: the SMB sessions and the connection table the agent holds for its user,
//! and the answer to each agent request. Windows' rules live here: one user per server
//! (ERROR_SESSION_CREDENTIAL_CONFLICT), a session reused by every connection to its server,
//! deviceless connections counted once per remote name, ERROR_NOT_CONNECTED for unknown names.
//! A session that a listing opened is kept idle for a while ([`crate::idle_sessions`]) for the
//! next listing with the same credentials; it holds no connection, so it claims no server for
//! its user.
//!
//! The table is locked only to read or change it, never across a network round trip, so a
//! slow server holds up only the requests that need it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wnet_smb2::client::{Credentials, SessionOptions, list_shares};
use wnet_smb2::rpc::srvsvc::ShareInfo1;
use wnet_smb2::wire::dialect;
use wnet_smb2::{Session, Tree};

use wnet::agent_protocol::{ConnectionEntry, Request, Response, ShareEntry, WireCredentials};
use wnet::drives::{canonical_local_name, is_valid_local_name};
use wnet::error::{Cause, WinError, codes};
use wnet::resource::{connect, resource_type};
use wnet::unc::UncName;

use crate::idle_sessions::{CredentialDigest, IdleSessions};
use crate::redirector::{RedirectRequest, RedirectedDevice, Redirector, prepare_mount_point};
use crate::smb_provider::{ServerSession, SmbProvider, map_error};

/// A session with one server, shared by the connections to it.
struct ServerEntry {
    session: Session,
    /// `DOMAIN\user` (or `user`, or empty for anonymous) as the session authenticated.
    user: String,
    /// What made the session, kept in memory (never written anywhere) to make it again when
    /// its connection is lost: the credentials (`None`: anonymous) and the session options.
    credentials: Option<WireCredentials>,
    options: SessionOptions,
    /// After a failed reconnection, when the next may be tried.
    retry_at: Option<Instant>,
    /// Failed reconnections in a row (each doubles the wait before the next).
    failed_reconnections: u32,
}

/// One row of the connection table.
struct ConnectionRow {
    entry: ConnectionEntry,
    /// Lower-cased server name, the key of the sessions table.
    server_key: String,
    tree: Tree,
    /// The mounted share of a redirected device.
    device: Option<Box<dyn RedirectedDevice>>,
}

struct Table {
    servers: HashMap<String, ServerEntry>,
    connections: Vec<ConnectionRow>,
    /// Local names being connected right now (not in `connections` yet).
    reserved: HashSet<String>,
    /// Sessions that listings and resource lookups opened, kept for the next one.
    idle: IdleSessions,
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

impl Table {
    /// The server entry of `row` when the row's connection is lost and a reconnection is due
    /// at `now`.
    fn lost_server_due(&self, row: &ConnectionRow, now: Instant) -> Option<&ServerEntry> {
        if row.tree.session().is_connected() {
            return None;
        }
        self.servers
            .get(&row.server_key)
            .filter(|server| server.retry_at.is_none_or(|at| at <= now))
    }

    fn local_name_in_use(&self, local: &str) -> bool {
        self.reserved.contains(local)
            || self
                .connections
                .iter()
                .any(|row| row.entry.has_local_name(local))
    }
}

/// The agent's state and the logic of each request.
pub struct Workstation {
    provider: SmbProvider,
    table: Mutex<Table>,
    redirector: Option<Arc<dyn Redirector>>,
    /// A reconnection of lost connections is running.
    reconnecting: AtomicBool,
}

/// Frees a reserved local name when the connection attempt ends, whichever way.
struct Reservation<'a> {
    table: &'a Mutex<Table>,
    local: Option<String>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(local) = self.local.take() {
            lock(self.table).reserved.remove(&local);
        }
    }
}

impl std::fmt::Debug for Workstation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workstation").finish_non_exhaustive()
    }
}

fn user_label(credentials: Option<&WireCredentials>) -> String {
    match credentials {
        Some(credentials) if credentials.domain.is_empty() => credentials.user.clone(),
        Some(credentials) => format!("{}\\{}", credentials.domain, credentials.user),
        None => String::new(),
    }
}

fn same_user(existing: &str, asked: &WireCredentials) -> bool {
    same_account(existing, &asked.user, &asked.domain)
}

/// Whether the session label `existing` (`DOMAIN\user`, `user` or empty) is `domain\user`.
fn same_account(existing: &str, user: &str, domain: &str) -> bool {
    let (existing_domain, existing_user) = existing.split_once('\\').unwrap_or(("", existing));
    existing_user.eq_ignore_ascii_case(user)
        && (domain.is_empty()
            || existing_domain.is_empty()
            || existing_domain.eq_ignore_ascii_case(domain))
}

fn credential_conflict(server: &str, user: &str) -> WinError {
    WinError::with_cause(
        codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
        Cause::Other(format!(
            "the agent holds a session with {server} as {}",
            if user.is_empty() { "anonymous" } else { user }
        )),
    )
}

fn dialect_name(value: u16) -> String {
    match value {
        dialect::SMB_2_0_2 => "2.0.2".into(),
        dialect::SMB_2_1 => "2.1".into(),
        dialect::SMB_3_0 => "3.0".into(),
        dialect::SMB_3_0_2 => "3.0.2".into(),
        dialect::SMB_3_1_1 => "3.1.1".into(),
        other => format!("{other:#06x}"),
    }
}

fn smb_credentials(credentials: &WireCredentials) -> Credentials {
    Credentials::new(
        &*credentials.user,
        &*credentials.domain,
        credentials.password.0.as_str(),
    )
}

/// Where a connection's credentials came from, for `-v` output.
fn credential_source(
    reused: bool,
    server: &str,
    user: &str,
    credentials: Option<&WireCredentials>,
) -> String {
    if reused {
        format!(
            "reused the agent's session with {server} as {}",
            if user.is_empty() { "anonymous" } else { user }
        )
    } else {
        credentials.map_or_else(
            || "anonymous (no credentials given or found)".to_owned(),
            |credentials| credentials.source.clone(),
        )
    }
}

/// How long after a failed reconnection the next is tried; it doubles with each failure in a
/// row, up to [`RECONNECT_RETRY_MAX`].
const RECONNECT_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between reconnections.
const RECONNECT_RETRY_MAX: Duration = Duration::from_secs(80);

/// The connections of one server to connect again, and what to do it with.
struct LostServer {
    server_key: String,
    /// The server's name as the first lost connection names it.
    server: String,
    /// The session held, when it is still up (another connection made a new one).
    live_session: Option<Session>,
    credentials: Option<WireCredentials>,
    options: SessionOptions,
    /// `(local name, remote name, resource type)` of each lost connection.
    rows: Vec<(Option<String>, String, u32)>,
}

fn lock(table: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Workstation {
    /// A workstation over `provider`, with no sessions yet.
    pub fn new(provider: SmbProvider) -> Workstation {
        let idle = IdleSessions::new(provider.config().idle_session_timeout);
        Workstation {
            provider,
            table: Mutex::new(Table {
                servers: HashMap::new(),
                connections: Vec::new(),
                reserved: HashSet::new(),
                idle,
            }),
            redirector: None,
            reconnecting: AtomicBool::new(false),
        }
    }

    /// The workstation redirecting local devices with `redirector` (without one, a local
    /// name is ERROR_NOT_SUPPORTED).
    #[must_use]
    pub fn with_redirector(mut self, redirector: Arc<dyn Redirector>) -> Workstation {
        self.redirector = Some(redirector);
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

    /// Logs off the idle sessions whose time is up (the agent calls this periodically).
    pub async fn close_expired_sessions(&self) {
        let expired = lock(&self.table).idle.expired(Instant::now());
        for session in expired {
            tracing::debug!("logging off an idle session");
            let _ = session.logoff().await;
        }
    }

    /// Whether an idle session's time is up.
    pub fn has_expired_sessions(&self) -> bool {
        lock(&self.table).idle.any_expired(Instant::now())
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
            } => {
                self.add_connection(
                    &remote_name,
                    local_name.as_deref(),
                    credentials.as_ref(),
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
            } => self.shares(&server, credentials.as_ref()).await,
            Request::ResourceInformation {
                remote_path,
                credentials,
            } => {
                self.resource_information(&remote_path, credentials.as_ref())
                    .await
            }
            Request::Status | Request::Stop => Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
        };
        result.unwrap_or_else(|error| Response::Error((&error).into()))
    }

    /// The connection table, each entry saying whether its session is still up.
    pub fn connections(&self) -> Vec<ConnectionEntry> {
        lock(&self.table)
            .connections
            .iter()
            .map(|row| ConnectionEntry {
                connected: row.tree.session().is_connected(),
                ..row.entry.clone()
            })
            .collect()
    }

    /// The session with `server`: the one held, if its user fits, or a new one (not yet in
    /// the table: the caller adds it). Returns whether it was reused.
    async fn session_for(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        options: &SessionOptions,
    ) -> Result<(Session, String, bool), WinError> {
        let key = server.to_ascii_lowercase();
        let held = lock(&self.table)
            .servers
            .get(&key)
            .map(|entry| (entry.session.clone(), entry.user.clone()));
        if let Some((session, user)) = held {
            if let Some(asked) = credentials.filter(|asked| asked.explicit)
                && !same_user(&user, asked)
            {
                return Err(credential_conflict(server, &user));
            }
            if (options.require_signing && !session.is_signing())
                || (options.require_encryption && !session.is_encrypting())
            {
                return Err(WinError::with_cause(
                    codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
                    Cause::Other(format!(
                        "the session held with {server} is not signed or encrypted as required; \
                         cancel its connections first"
                    )),
                ));
            }
            if session.is_connected() {
                return Ok((session, user, true));
            }
            // The held session's connection is lost: a new session for this connection (the
            // entry stays, with what reconnects its connections, until the new one replaces
            // it).
        }
        let smb = credentials.map(smb_credentials);
        let ServerSession { session, .. } = self
            .provider
            .open_session(server, smb.as_ref(), options)
            .await?;
        Ok((session, user_label(credentials), false))
    }

    /// Windows' checks of the local name and flags, before any network traffic; reserves the
    /// local device to redirect (the one named, or with CONNECT_REDIRECT and none named, the
    /// highest free drive letter, as `net use *` picks).
    fn reserve_local_name(
        &self,
        local_name: Option<&str>,
        flags: u32,
    ) -> Result<Reservation<'_>, WinError> {
        if flags & connect::CONNECT_INTERACTIVE != 0 && flags & connect::CONNECT_PROMPT != 0 {
            return Err(WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Other("wnet never prompts: pass the user name and password".into()),
            ));
        }
        let named = local_name.filter(|local| !local.is_empty());
        if named.is_none() && flags & connect::CONNECT_REDIRECT == 0 {
            return Ok(Reservation {
                table: &self.table,
                local: None,
            });
        }
        if let Some(local) = named
            && !is_valid_local_name(local)
        {
            return Err(WinError::new(codes::ERROR_BAD_DEVICE));
        }
        if self.redirector.is_none() {
            return Err(WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Other("this agent redirects no local devices (no FUSE)".into()),
            ));
        }
        let mut table = lock(&self.table);
        let local = match named {
            Some(local) => {
                let local = canonical_local_name(local);
                if table.local_name_in_use(&local) {
                    return Err(WinError::new(codes::ERROR_ALREADY_ASSIGNED));
                }
                local
            }
            None => (b'D'..=b'Z')
                .rev()
                .map(|letter| format!("{}:", char::from(letter)))
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
    async fn connect_and_redirect(
        &self,
        session: &Session,
        unc: &UncName,
        local: Option<&str>,
        resource_kind: u32,
        flags: u32,
        credentials: Option<&WireCredentials>,
    ) -> Result<(Tree, u32, Option<Box<dyn RedirectedDevice>>), WinError> {
        let share = unc.share.as_deref().unwrap_or_default();
        let share_path = format!("\\\\{}\\{share}", unc.server);
        let (tree, share_kind) =
            connect_tree(session, &share_path, &unc.path, resource_kind).await?;
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
            .redirect(local, &tree, &unc.to_windows(), flags, credentials)
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
        local: &str,
        tree: &Tree,
        remote_name: &str,
        flags: u32,
        credentials: Option<&WireCredentials>,
    ) -> Result<Box<dyn RedirectedDevice>, WinError> {
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
        };
        tokio::task::spawn_blocking(move || redirector.redirect(request))
            .await
            .map_err(|error| {
                WinError::with_cause(codes::ERROR_UNEXP_NET_ERR, Cause::Other(error.to_string()))
            })?
    }

    async fn add_connection(
        &self,
        remote_name: &str,
        local_name: Option<&str>,
        credentials: Option<&WireCredentials>,
        flags: u32,
        resource_kind: u32,
    ) -> Result<Response, WinError> {
        let unc = UncName::parse(remote_name)?;
        if unc.share.is_none() {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_NET_NAME,
                Cause::Other(format!("{remote_name} names a server, not a share")),
            ));
        }
        let reservation = self.reserve_local_name(local_name, flags)?;
        let local = reservation.local.clone();
        if local.is_some() && resource_kind == resource_type::RESOURCETYPE_PRINT {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEV_TYPE,
                Cause::Other("printer devices are not redirected here; connect without one".into()),
            ));
        }
        let options = SessionOptions {
            require_signing: flags & connect::CONNECT_REQUIRE_INTEGRITY != 0,
            require_encryption: flags & connect::CONNECT_REQUIRE_PRIVACY != 0,
            ..SessionOptions::default()
        };
        let server_key = unc.server.to_ascii_lowercase();
        let (session, user, reused) = self.session_for(&unc.server, credentials, &options).await?;
        let redirected = self
            .connect_and_redirect(
                &session,
                &unc,
                local.as_deref(),
                resource_kind,
                flags,
                credentials,
            )
            .await;
        let (tree, share_kind, device) = match redirected {
            Ok(redirected) => redirected,
            Err(error) => {
                if !reused {
                    let _ = session.logoff().await;
                }
                return Err(error);
            }
        };
        let entry = ConnectionEntry {
            local_name: local.clone(),
            remote_name: unc.to_windows(),
            user: user.clone(),
            resource_type: share_kind,
            dialect: dialect_name(session.negotiated().dialect),
            signing: session.is_signing(),
            encryption: session.is_encrypting(),
            guest: session.is_guest(),
            policy: self.provider.config().security,
            mount_point: device
                .as_ref()
                .map(|device| device.mount_point().display().to_string()),
            connected: true,
        };
        let source = credential_source(reused, &unc.server, &user, credentials);
        let server = ServerEntry {
            session: session.clone(),
            user: user.clone(),
            credentials: credentials.cloned(),
            options,
            retry_at: None,
            failed_reconnections: 0,
        };
        let duplicate_tree =
            self.record_connection(server_key, server, reused, &entry, tree, device);
        drop(reservation);
        let duplicate_tree = match duplicate_tree {
            Ok(duplicate) => duplicate,
            Err((tree, device, held)) => {
                if let Some(device) = device {
                    unmount(device, true).await;
                }
                let _ = tree.disconnect().await;
                let _ = session.logoff().await;
                return Err(credential_conflict(&unc.server, &held));
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
            entry,
        })
    }

    /// Adds the connection (and the session, if new) to the table. `Ok(Some(tree))`: the
    /// same deviceless connection exists already, so this tree is surplus; `Err`: another
    /// user's session with the server appeared meanwhile (its user returned).
    #[allow(clippy::too_many_arguments)] // one row's parts, each needed
    #[allow(clippy::type_complexity)] // the parts handed back to undo
    fn record_connection(
        &self,
        server_key: String,
        server: ServerEntry,
        reused: bool,
        entry: &ConnectionEntry,
        tree: Tree,
        device: Option<Box<dyn RedirectedDevice>>,
    ) -> Result<Option<Tree>, (Tree, Option<Box<dyn RedirectedDevice>>, String)> {
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
                        && row
                            .entry
                            .remote_name
                            .eq_ignore_ascii_case(&entry.remote_name)
                });
            if duplicate {
                Ok(Some(tree))
            } else {
                table.connections.push(ConnectionRow {
                    entry: entry.clone(),
                    server_key,
                    tree,
                    device,
                });
                Ok(None)
            }
        }
    }

    async fn cancel_connection(&self, name: &str, force: bool) -> Result<Response, WinError> {
        let local = canonical_local_name(name);
        let removed: Vec<ConnectionRow> = {
            let mut table = lock(&self.table);
            let by_local = |row: &ConnectionRow| row.entry.has_local_name(&local);
            let remote = UncName::parse(name).ok().map(|unc| unc.to_windows());
            let by_remote = |row: &ConnectionRow| {
                row.entry.local_name.is_none()
                    && remote
                        .as_deref()
                        .is_some_and(|remote| row.entry.remote_name.eq_ignore_ascii_case(remote))
            };
            // Windows refuses to cancel a device with open files unless forced.
            let open_files: usize = table
                .connections
                .iter()
                .filter(|row| by_local(row))
                .filter_map(|row| row.device.as_ref())
                .map(|device| device.open_files())
                .sum();
            if open_files > 0 && !force {
                return Err(WinError::with_cause(
                    codes::ERROR_OPEN_FILES,
                    Cause::Other(format!(
                        "{open_files} file(s) open on {local}; close them or force the cancel"
                    )),
                ));
            }
            let (gone, kept): (Vec<_>, Vec<_>) = table
                .connections
                .drain(..)
                .partition(|row| by_local(row) || by_remote(row));
            table.connections = kept;
            gone
        };
        if removed.is_empty() {
            return Err(WinError::new(codes::ERROR_NOT_CONNECTED));
        }
        let mut servers = Vec::new();
        for mut row in removed {
            if let Some(device) = row.device.take() {
                unmount(device, force).await;
            }
            if let Err(error) = row.tree.disconnect().await {
                tracing::debug!(%error, remote = row.entry.remote_name, "tree disconnect failed");
            }
            servers.push(row.server_key);
        }
        self.drop_unused_sessions(servers.iter().map(String::as_str))
            .await;
        Ok(Response::Ok)
    }

    async fn drop_unused_sessions<'a>(&self, servers: impl Iterator<Item = &'a str>) {
        let mut unused = Vec::new();
        {
            let mut table = lock(&self.table);
            for server in servers {
                let in_use = table.connections.iter().any(|row| row.server_key == server);
                if !in_use && let Some(entry) = table.servers.remove(server) {
                    unused.push(entry.session);
                }
            }
        }
        for session in unused {
            let _ = session.logoff().await;
        }
    }

    /// A session for a listing or a resource lookup: the one the connections to `server`
    /// share, else a kept idle one with the same credentials, else a new one.
    async fn listing_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
    ) -> Result<(Session, ListingSession), WinError> {
        let key = server.to_ascii_lowercase();
        {
            let mut table = lock(&self.table);
            let digest = table.idle.digest(credentials);
            if !table.servers.contains_key(&key)
                && let Some(digest) = digest
                && let Some(session) = table.idle.take(&key, digest)
            {
                return Ok((session, ListingSession::Kept(digest)));
            }
        }
        let (session, _, reused) = self
            .session_for(server, credentials, &SessionOptions::default())
            .await?;
        if reused {
            return Ok((session, ListingSession::Held));
        }
        let digest = lock(&self.table).idle.digest(credentials);
        Ok((session, ListingSession::New(digest)))
    }

    /// Hands a listing's session back: kept for the next listing, or logged off.
    async fn release_listing_session(&self, server: &str, session: Session, from: ListingSession) {
        let digest = match from {
            ListingSession::Held => return,
            ListingSession::Kept(digest) | ListingSession::New(Some(digest)) => digest,
            ListingSession::New(None) => {
                let _ = session.logoff().await;
                return;
            }
        };
        let surplus = lock(&self.table).idle.keep(
            &server.to_ascii_lowercase(),
            digest,
            session,
            Instant::now(),
        );
        if let Some(surplus) = surplus {
            let _ = surplus.logoff().await;
        }
    }

    /// Runs `work` on a listing session: with a kept session whose connection turns out to be
    /// gone (the server restarted, say), once more on a new one.
    async fn on_listing_session<T, F>(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        work: impl Fn(Session) -> F,
    ) -> Result<T, WinError>
    where
        F: Future<Output = Result<T, WinError>>,
    {
        let (mut session, mut from) = self.listing_session(server, credentials).await?;
        let mut result = work(session.clone()).await;
        if matches!(from, ListingSession::Kept(_))
            && matches!(&result, Err(error) if error.code == codes::ERROR_NETNAME_DELETED)
        {
            tracing::debug!(server, "the kept session is gone; listing on a new one");
            let _ = session.logoff().await;
            (session, from) = self.listing_session(server, credentials).await?;
            result = work(session.clone()).await;
        }
        self.release_listing_session(server, session, from).await;
        result
    }

    async fn shares(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
    ) -> Result<Response, WinError> {
        let shares = self
            .on_listing_session(server, credentials, |session| async move {
                list_shares(&session, server)
                    .await
                    .map_err(|error| map_error(&error))
            })
            .await?;
        Ok(Response::Shares {
            shares: shares.into_iter().map(share_entry).collect(),
        })
    }

    async fn resource_information(
        &self,
        remote_path: &str,
        credentials: Option<&WireCredentials>,
    ) -> Result<Response, WinError> {
        let unc = UncName::parse(remote_path)?;
        let Some(share) = unc.share.clone() else {
            return Err(WinError::new(codes::ERROR_BAD_NET_NAME));
        };
        let share_path = format!("\\\\{}\\{share}", unc.server);
        let path = unc.path.join("\\");
        let attributes = self
            .on_listing_session(&unc.server, credentials, |session| {
                let (share_path, path) = (&share_path, &path);
                async move {
                    let tree = session
                        .tree_connect(share_path)
                        .await
                        .map_err(|error| map_error(&error))?;
                    let stat = tree.stat(path).await;
                    let _ = tree.disconnect().await;
                    stat.map_err(|error| WinError {
                        code: codes::ERROR_BAD_NET_NAME,
                        cause: map_error(&error).cause,
                    })
                }
            })
            .await?;
        Ok(Response::ResourceInformation {
            remote_name: share_path,
            remaining_path: (!unc.path.is_empty()).then(|| format!("\\{path}")),
            is_directory: attributes.is_directory(),
        })
    }

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
            let local = canonical_local_name(&remembered.local_name);
            if lock(&self.table).local_name_in_use(&local) {
                continue;
            }
            let server = match UncName::parse(&remembered.remote_name) {
                Ok(unc) => unc.server,
                Err(error) => {
                    tracing::warn!(remote = remembered.remote_name, %error, "cannot restore");
                    continue;
                }
            };
            let flags = remembered.flags & !connect::CONNECT_UPDATE_PROFILE;
            let result = match wnet::connect_credentials::resolve_credentials(&server, None, None) {
                Ok(credentials) => {
                    self.add_connection(
                        &remembered.remote_name,
                        Some(&local),
                        credentials.as_ref(),
                        flags,
                        remembered.resource_type,
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(_) => tracing::info!(%local, remote = remembered.remote_name, "restored"),
                Err(error) => {
                    let error = wnet::remembered::restore_hint(error, remembered);
                    tracing::warn!(%local, remote = remembered.remote_name, %error, "cannot restore");
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
    /// reached is tried again after [`RECONNECT_RETRY`], doubled with each failure in a row
    /// up to [`RECONNECT_RETRY_MAX`]. One reconnection runs at a time (the agent calls this
    /// periodically).
    pub async fn reconnect_lost_connections(&self) {
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        for lost in self.lost_servers() {
            let server_key = lost.server_key.clone();
            if let Err(error) = self.reconnect_server(lost).await {
                tracing::info!(server = %server_key, %error, "reconnection failed; will try again");
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
    fn lost_servers(&self) -> Vec<LostServer> {
        let table = lock(&self.table);
        let now = Instant::now();
        let mut lost: Vec<LostServer> = Vec::new();
        for row in &table.connections {
            let Some(server) = table.lost_server_due(row, now) else {
                continue;
            };
            let connection = (
                row.entry.local_name.clone(),
                row.entry.remote_name.clone(),
                row.entry.resource_type,
            );
            if let Some(known) = lost
                .iter_mut()
                .find(|known| known.server_key == row.server_key)
            {
                known.rows.push(connection);
                continue;
            }
            let Ok(unc) = UncName::parse(&row.entry.remote_name) else {
                continue;
            };
            lost.push(LostServer {
                server_key: row.server_key.clone(),
                server: unc.server,
                live_session: Some(server.session.clone()).filter(Session::is_connected),
                credentials: server.credentials.clone(),
                options: server.options.clone(),
                rows: vec![connection],
            });
        }
        lost
    }

    async fn reconnect_server(&self, lost: LostServer) -> Result<(), WinError> {
        let (session, new_session) = if let Some(session) = lost.live_session {
            (session, false)
        } else {
            let smb = lost.credentials.as_ref().map(smb_credentials);
            let ServerSession { session, .. } = self
                .provider
                .open_session(&lost.server, smb.as_ref(), &lost.options)
                .await?;
            (session, true)
        };
        let mut trees = Vec::new();
        for (local_name, remote_name, resource_kind) in lost.rows {
            let unc = UncName::parse(&remote_name)?;
            let share = unc.share.as_deref().unwrap_or_default();
            let share_path = format!("\\\\{}\\{share}", unc.server);
            match connect_tree(&session, &share_path, &[], resource_kind).await {
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
                        && row.entry.remote_name == remote_name
                        && !row.tree.session().is_connected()
                });
                match row {
                    Some(row) => {
                        if let Some(device) = &row.device {
                            device.reconnected(tree.clone());
                        }
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

    /// Disconnects everything (agent shutdown).
    pub async fn shutdown(&self) {
        let (rows, servers) = {
            let mut table = lock(&self.table);
            let rows: Vec<ConnectionRow> = table.connections.drain(..).collect();
            let mut servers: Vec<Session> = table.idle.drain();
            servers.extend(table.servers.drain().map(|(_, entry)| entry.session));
            (rows, servers)
        };
        for mut row in rows {
            if let Some(device) = row.device.take() {
                unmount(device, true).await;
            }
            let _ = row.tree.disconnect().await;
        }
        for session in servers {
            let _ = session.logoff().await;
        }
    }
}

/// Unmounts a device (off the runtime's threads: it waits for the kernel); a failure is
/// logged, the connection goes either way.
async fn unmount(device: Box<dyn RedirectedDevice>, force: bool) {
    let mount_point = device.mount_point().display().to_string();
    match tokio::task::spawn_blocking(move || device.unmount(force)).await {
        Ok(Ok(())) => tracing::debug!(%mount_point, force, "unmounted"),
        Ok(Err(error)) => tracing::warn!(%mount_point, %error, "unmount failed"),
        Err(error) => tracing::warn!(%mount_point, %error, "unmount task failed"),
    }
}

/// Connects to the share, checks a path below it (a directory) and the resource type asked
/// for; the tree is disconnected again when a check fails.
async fn connect_tree(
    session: &Session,
    share_path: &str,
    path: &[String],
    resource_kind: u32,
) -> Result<(Tree, u32), WinError> {
    let tree = session
        .tree_connect(share_path)
        .await
        .map_err(|error| map_error(&error))?;
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
        match tree.stat(&path).await {
            Ok(attributes) if attributes.is_directory() => None,
            Ok(_) => Some(WinError::with_cause(
                codes::ERROR_BAD_NET_NAME,
                Cause::Other(format!("{path} is not a directory")),
            )),
            Err(error) => Some(WinError {
                code: codes::ERROR_BAD_NET_NAME,
                cause: map_error(&error).cause,
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

fn share_entry(share: ShareInfo1) -> ShareEntry {
    ShareEntry {
        name: share.name,
        share_type: share.share_type,
        comment: share.remark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet::agent_protocol::WireSecret;

    fn credentials(user: &str, domain: &str) -> WireCredentials {
        WireCredentials {
            user: user.into(),
            domain: domain.into(),
            password: WireSecret(String::new()),
            source: String::new(),
            explicit: true,
        }
    }

    #[test]
    fn users_compare_as_windows_does() {
        assert!(same_user("wnetalice", &credentials("WNETALICE", "")));
        assert!(same_user("LAB\\wnetalice", &credentials("wnetalice", "")));
        assert!(same_user(
            "LAB\\wnetalice",
            &credentials("wnetalice", "lab")
        ));
        assert!(!same_user(
            "LAB\\wnetalice",
            &credentials("wnetalice", "OTHER")
        ));
        assert!(!same_user("wnetalice", &credentials("wnetbob", "")));
        assert!(!same_user("", &credentials("wnetbob", "")));
    }
}
