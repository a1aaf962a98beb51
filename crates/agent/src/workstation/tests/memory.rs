//! An in-memory network for the workstation's tests: servers with shares and accounts,
//! sessions whose connection can be dropped, counters of the sessions opened and logged off,
//! and a redirector whose devices only record what happens to them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use wnet::agent_protocol::{Logon, ShareEntry, WireCredentials};
use wnet::error::{WinError, codes};
use wnet::resolve::ProviderConfig;
use wnet_smb2::client::SessionOptions;
use wnet_smb2::wire::dfs::{
    ReferralEntry, ReferralKind, ReferralResponse, header_flags, server_type,
};
use wnet_smb2::wire::{dialect, share_type};

use crate::provider::{Provider, ProviderSession, ProviderTree};
use crate::redirector::{RedirectRequest, RedirectedDevice, Redirector};

#[derive(Default)]
struct Server {
    /// Share name (lower-cased) → its directories.
    shares: HashMap<String, Vec<String>>,
    /// User (lower-cased) → password.
    accounts: HashMap<String, String>,
    down: bool,
    /// Bumped each time its connections are dropped: a session of an older epoch is lost.
    epoch: u64,
    /// Its DFS roots (share names, lower-cased).
    dfs_roots: Vec<String>,
    /// Its DFS links: `\server\root\link` (lower-cased) → targets, with the referral's TTL.
    dfs_links: Vec<(String, Vec<String>, u32)>,
}

#[derive(Default)]
struct State {
    servers: HashMap<String, Server>,
    opened: usize,
    logged_off: usize,
    /// The logon each session was opened with, in order.
    logons: Vec<Logon>,
    /// How many referrals were asked.
    referrals: usize,
}

/// The servers, shared by the provider and the test.
#[derive(Clone, Default)]
pub(super) struct Network(Arc<Mutex<State>>);

impl Network {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `server` with `shares` and `accounts` (`(user, password)`).
    pub(super) fn add_server(&self, server: &str, shares: &[&str], accounts: &[(&str, &str)]) {
        let server_entry = Server {
            shares: shares
                .iter()
                .map(|share| (share.to_ascii_lowercase(), vec!["dir".to_owned()]))
                .collect(),
            accounts: accounts
                .iter()
                .map(|(user, password)| (user.to_ascii_lowercase(), (*password).to_owned()))
                .collect(),
            ..Server::default()
        };
        self.state()
            .servers
            .insert(server.to_ascii_lowercase(), server_entry);
    }

    /// Makes `share` of `server` a DFS root whose `links` (`(name, targets, ttl seconds)`,
    /// each target `\\server\share`) the server refers to.
    pub(super) fn add_dfs_root(&self, server: &str, share: &str, links: &[(&str, &[&str], u32)]) {
        let mut state = self.state();
        let Some(entry) = state.servers.get_mut(&server.to_ascii_lowercase()) else {
            return;
        };
        entry.dfs_roots.push(share.to_ascii_lowercase());
        for (name, targets, ttl) in links {
            entry.dfs_links.push((
                format!("\\{server}\\{share}\\{name}").to_ascii_lowercase(),
                targets.iter().map(|target| (*target).to_owned()).collect(),
                *ttl,
            ));
        }
    }

    /// How many referrals were asked.
    pub(super) fn referrals(&self) -> usize {
        self.state().referrals
    }

    /// Drops every connection to `server`; `down`: it answers no new one either.
    pub(super) fn drop_connections(&self, server: &str, down: bool) {
        if let Some(entry) = self.state().servers.get_mut(&server.to_ascii_lowercase()) {
            entry.epoch += 1;
            entry.down = down;
        }
    }

    /// `server` answers again.
    pub(super) fn bring_up(&self, server: &str) {
        if let Some(entry) = self.state().servers.get_mut(&server.to_ascii_lowercase()) {
            entry.down = false;
        }
    }

    /// How many sessions were opened.
    pub(super) fn opened(&self) -> usize {
        self.state().opened
    }

    /// How many sessions were logged off.
    pub(super) fn logged_off(&self) -> usize {
        self.state().logged_off
    }

    /// The logon each session was opened with, in order.
    pub(super) fn logons(&self) -> Vec<Logon> {
        self.state().logons.clone()
    }
}

/// The provider over a [`Network`].
pub(super) struct MemoryProvider {
    pub(super) network: Network,
    pub(super) config: ProviderConfig,
}

impl Provider for MemoryProvider {
    type Session = MemorySession;
    type Tree = MemoryTree;

    fn config(&self) -> &ProviderConfig {
        &self.config
    }

    async fn open_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        _options: &SessionOptions,
    ) -> Result<MemorySession, WinError> {
        let key = server.to_ascii_lowercase();
        let mut state = self.network.state();
        let entry = state
            .servers
            .get(&key)
            .filter(|entry| !entry.down)
            .ok_or_else(|| WinError::new(codes::ERROR_BAD_NETPATH))?;
        if let Some(credentials) = credentials {
            let password = entry.accounts.get(&credentials.user.to_ascii_lowercase());
            if password != Some(&credentials.password.0) {
                return Err(WinError::new(codes::ERROR_LOGON_FAILURE));
            }
        }
        let epoch = entry.epoch;
        state.opened += 1;
        state.logons.push(logon.clone());
        Ok(MemorySession {
            network: self.network.clone(),
            id: state.opened as u64,
            server: key,
            epoch,
            logged_off: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// A session with a server of the [`Network`].
#[derive(Clone)]
pub(super) struct MemorySession {
    network: Network,
    /// The how-manyth session opened on the network.
    id: u64,
    server: String,
    epoch: u64,
    logged_off: Arc<AtomicBool>,
}

impl MemorySession {
    fn lost() -> WinError {
        WinError::new(codes::ERROR_NETNAME_DELETED)
    }
}

impl ProviderSession for MemorySession {
    type Tree = MemoryTree;

    fn id(&self) -> u64 {
        self.id
    }

    fn is_connected(&self) -> bool {
        !self.logged_off.load(Ordering::SeqCst)
            && self
                .network
                .state()
                .servers
                .get(&self.server)
                .is_some_and(|server| !server.down && server.epoch == self.epoch)
    }

    fn is_signing(&self) -> bool {
        true
    }

    fn is_encrypting(&self) -> bool {
        false
    }

    fn is_guest(&self) -> bool {
        false
    }

    fn dialect(&self) -> u16 {
        dialect::SMB_3_1_1
    }

    async fn tree_connect(&self, share_path: &str) -> Result<MemoryTree, WinError> {
        if !self.is_connected() {
            return Err(MemorySession::lost());
        }
        let share = share_path.rsplit('\\').next().unwrap_or_default();
        // Every server has the share of its named pipes.
        if share.eq_ignore_ascii_case("IPC$") {
            return Ok(MemoryTree {
                session: self.clone(),
                directories: Vec::new(),
                pipes: true,
                dfs: false,
            });
        }
        let state = self.network.state();
        let server = state.servers.get(&self.server);
        let share = share.to_ascii_lowercase();
        let directories = server
            .and_then(|server| server.shares.get(&share).cloned())
            .ok_or_else(|| WinError::new(codes::ERROR_BAD_NET_NAME))?;
        Ok(MemoryTree {
            session: self.clone(),
            directories,
            pipes: false,
            dfs: server.is_some_and(|server| server.dfs_roots.contains(&share)),
        })
    }

    async fn dfs_referral(
        &self,
        _server: &str,
        path: &str,
    ) -> Result<Option<ReferralResponse>, WinError> {
        if !self.is_connected() {
            return Err(MemorySession::lost());
        }
        let mut state = self.network.state();
        state.referrals += 1;
        let asked = path.to_ascii_lowercase();
        let link = state.servers.get(&self.server).and_then(|server| {
            server
                .dfs_links
                .iter()
                .find(|(link, _, _)| asked == *link || asked.starts_with(&format!("{link}\\")))
        });
        Ok(link.map(|(link, targets, ttl)| ReferralResponse {
            path_consumed_chars: u16::try_from(link.len()).unwrap_or(u16::MAX),
            header_flags: header_flags::STORAGE_SERVERS,
            entries: targets
                .iter()
                .map(|target| ReferralEntry {
                    version: 3,
                    server_type: server_type::NON_ROOT,
                    entry_flags: 0,
                    ttl_seconds: *ttl,
                    proximity: 0,
                    kind: ReferralKind::Target {
                        dfs_path: link.clone(),
                        dfs_alternate_path: link.clone(),
                        network_address: format!("\\{}", target.trim_start_matches('\\')),
                    },
                })
                .collect(),
        }))
    }

    async fn list_shares(&self, _server: &str) -> Result<Vec<ShareEntry>, WinError> {
        if !self.is_connected() {
            return Err(MemorySession::lost());
        }
        let state = self.network.state();
        let mut shares: Vec<ShareEntry> = state
            .servers
            .get(&self.server)
            .map(|server| {
                server
                    .shares
                    .keys()
                    .map(|name| ShareEntry {
                        name: name.clone(),
                        share_type: 0,
                        comment: String::new(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        shares.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(shares)
    }

    async fn logoff(&self) -> Result<(), WinError> {
        if self.logged_off.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.network.state().logged_off += 1;
        Ok(())
    }
}

/// A connected share.
#[derive(Clone)]
pub(super) struct MemoryTree {
    session: MemorySession,
    directories: Vec<String>,
    /// Whether it is IPC$.
    pipes: bool,
    /// Whether it is a DFS root.
    dfs: bool,
}

impl ProviderTree for MemoryTree {
    fn is_connected(&self) -> bool {
        self.session.is_connected()
    }

    fn is_dfs(&self) -> bool {
        self.dfs
    }

    fn share_type(&self) -> u8 {
        if self.pipes {
            share_type::PIPE
        } else {
            share_type::DISK
        }
    }

    async fn is_directory(&self, path: &str) -> Result<bool, WinError> {
        if !self.is_connected() {
            return Err(MemorySession::lost());
        }
        if self
            .directories
            .iter()
            .any(|dir| dir.eq_ignore_ascii_case(path))
        {
            Ok(true)
        } else {
            Err(WinError::new(codes::ERROR_FILE_NOT_FOUND))
        }
    }

    async fn disconnect(&self) -> Result<(), WinError> {
        Ok(())
    }
}

/// What the redirector's devices saw, shared with the test.
#[derive(Clone, Default)]
pub(super) struct Devices {
    /// Files open on every device.
    pub(super) open_files: Arc<AtomicUsize>,
    /// `force` of each unmount.
    pub(super) unmounts: Arc<Mutex<Vec<bool>>>,
    /// How many times a device was handed a reconnected tree.
    pub(super) reconnected: Arc<AtomicUsize>,
}

/// A redirector mounting nothing.
pub(super) struct MemoryRedirector(pub(super) Devices);

struct MemoryDevice {
    mount_point: PathBuf,
    tree: Mutex<MemoryTree>,
    devices: Devices,
}

impl Redirector<MemoryTree> for MemoryRedirector {
    fn redirect(
        &self,
        request: RedirectRequest<MemoryTree>,
    ) -> Result<Box<dyn RedirectedDevice<MemoryTree>>, WinError> {
        Ok(Box::new(MemoryDevice {
            mount_point: request.mount_point,
            tree: Mutex::new(request.tree),
            devices: self.0.clone(),
        }))
    }
}

impl RedirectedDevice<MemoryTree> for MemoryDevice {
    fn mount_point(&self) -> &Path {
        &self.mount_point
    }

    fn open_files(&self) -> usize {
        self.devices.open_files.load(Ordering::SeqCst)
    }

    fn is_connected(&self) -> bool {
        self.tree
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_connected()
    }

    fn reconnected(&self, tree: MemoryTree) {
        *self.tree.lock().unwrap_or_else(PoisonError::into_inner) = tree;
        self.devices.reconnected.fetch_add(1, Ordering::SeqCst);
    }

    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError> {
        self.devices
            .unmounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(force);
        Ok(())
    }
}
