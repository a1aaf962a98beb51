//! Shares served for their UNC paths: a program opening `\\server\share\file` reaches the
//! share through a directory, `<unc dir>/<server>/<share>`, where the share's deviceless
//! connection is mounted on demand with the same redirector as a drive letter. A share that is
//! not connected is connected first, implicitly, as Windows does for a UNC path: over the
//! session held with the server, else with the credentials the request carries (the default
//! ones, as WNetAddConnection2 without a user sends them). The connection is then in the table
//! like any deviceless one, and cancelling it unmounts the share and removes its directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use wnet::agent_protocol::{Logon, Response, WireCredentials};
use wnet::drives::{LocalName, unc_mount_point};
use wnet::error::{Cause, WinError, codes};
use wnet::resource::resource_type;
use wnet::unc::UncName;

use crate::provider::{Provider, ProviderSession};
use crate::redirector::{
    LinkSource, RedirectRequest, prepare_unc_mount_point, remove_unc_mount_point,
};

use super::{ConnectionRow, Reservation, Workstation, lock, unmount};

/// How long a request waits for another one mounting the same share.
const SERVE_WAIT: Duration = Duration::from_secs(60);

/// `name` without the path below its share.
/// Whether `row`'s tree is `share`'s: a connection to the share or to a directory below it.
/// A namespace path that DFS sent elsewhere below its share (`\\fs1\dfs\link` connects the
/// link's target) is not: its tree is another share's.
fn holds<T>(row: &ConnectionRow<T>, share: &UncName) -> bool {
    row.entry.remote_name.share_root().matches(share)
        && (row.entry.remote_name.path.is_empty() || row.physical.matches(&row.entry.remote_name))
}

/// Whether `row` is a deviceless connection that holds `share` ([`holds`]).
fn connects<T>(row: &ConnectionRow<T>, share: &UncName) -> bool {
    row.entry.local_name.is_none() && holds(row, share)
}

/// What the table holds for a share to serve.
enum Held<T> {
    /// It is served at this directory.
    Mounted(String),
    /// It is connected (this tree, of this resource type, with these session credentials and
    /// privacy) but not mounted: the caller reserved the mount point to mount it.
    Connected(T, u32, Option<WireCredentials>, bool),
    /// Another request is mounting it.
    Busy,
    /// It is not connected.
    Nothing,
}

impl<P: Provider> Workstation<P> {
    fn held_for(&self, share: &UncName, reserved: &LocalName) -> Held<P::Tree> {
        let mut table = lock(&self.table);
        if table.reserved.contains(reserved) {
            return Held::Busy;
        }
        let mounted = table.connections.iter().find_map(|row| {
            row.device
                .as_ref()
                .filter(|_| connects(row, share))
                .map(|device| wnet::drives::text_from_path(device.mount_point()))
        });
        if let Some(mount_point) = mounted {
            return Held::Mounted(mount_point);
        }
        let Some(row) = table.connections.iter().find(|row| connects(row, share)) else {
            return Held::Nothing;
        };
        let server = table.servers.get(&row.server_key);
        let held = Held::Connected(
            row.tree.clone(),
            row.entry.resource_type,
            server.and_then(|server| server.credentials.clone()),
            server.is_some_and(|server| server.session.is_encrypting()),
        );
        table.reserved.insert(reserved.clone());
        held
    }

    /// [`wnet::agent_protocol::Request::ServeShare`]: the directory serving the share of
    /// `unc`, mounted now if it is not yet, and connected first if it is not connected.
    pub(super) async fn serve_share(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Response, WinError> {
        let share = unc.share_root();
        let mount_point = unc_mount_point(&self.unc_dir, &share)?;
        if self.redirector.is_none() {
            return Err(WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Other("this agent mounts no shares (no FUSE)".into()),
            ));
        }
        // The mount point is reserved as a local name is, while one request mounts it.
        let reserved = LocalName::new(&wnet::drives::text_from_path(&mount_point));
        let deadline = Instant::now() + SERVE_WAIT;
        let mut connected = false;
        loop {
            let (tree, kind, session_credentials, private) = match self.held_for(&share, &reserved)
            {
                Held::Mounted(mount_point) => return Ok(Response::Served { mount_point }),
                Held::Busy if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                Held::Busy => return Err(WinError::new(codes::ERROR_BUSY)),
                // Cancelled again as soon as it was made: the caller may ask again.
                Held::Nothing if connected => {
                    return Err(WinError::new(codes::ERROR_NETNAME_DELETED));
                }
                Held::Nothing => {
                    self.connect_implicitly(&share, credentials, logon).await?;
                    connected = true;
                    continue;
                }
                Held::Connected(tree, kind, session_credentials, private) => {
                    (tree, kind, session_credentials, private)
                }
            };
            let links = self.link_source(&share, session_credentials.as_ref(), logon, &tree);
            if let Some(served) = self
                .mount_served(
                    &share,
                    &mount_point,
                    &reserved,
                    (tree, links),
                    kind,
                    session_credentials,
                    private,
                )
                .await?
            {
                return Ok(Response::Served {
                    mount_point: served,
                });
            }
        }
    }

    /// Mounts the connected share's `tree` at `mount_point` (reserved as `reserved` by the
    /// caller, and freed here) and gives it to the share's connection: the directory serving
    /// it, or `None` when the connection went meanwhile.
    #[allow(clippy::too_many_arguments)] // what the table held for the share, each needed
    async fn mount_served(
        &self,
        share: &UncName,
        mount_point: &std::path::Path,
        reserved: &LocalName,
        (tree, links): (P::Tree, Option<LinkSource<P::Tree>>),
        kind: u32,
        session_credentials: Option<WireCredentials>,
        private: bool,
    ) -> Result<Option<String>, WinError> {
        let reservation = Reservation {
            table: &self.table,
            local: Some(reserved.clone()),
        };
        let Some(redirector) = self.redirector.clone() else {
            return Err(WinError::new(codes::ERROR_NOT_SUPPORTED));
        };
        if kind != resource_type::RESOURCETYPE_DISK {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEV_TYPE,
                Cause::Other(format!("{share} is not a disk share")),
            ));
        }
        let request = RedirectRequest {
            tree,
            mount_point: prepare_unc_mount_point(&self.unc_dir, mount_point)?,
            remote_name: share.to_windows(),
            write_through: false,
            require_privacy: private,
            credentials: session_credentials,
            links,
        };
        let device = tokio::task::spawn_blocking(move || redirector.redirect(request))
            .await
            .map_err(|error| {
                WinError::with_cause(codes::ERROR_UNEXP_NET_ERR, Cause::Other(error.to_string()))
            })?;
        let device = match device {
            Ok(device) => device,
            Err(error) => {
                remove_unc_mount_point(mount_point);
                // This user may not mount here (FUSE kept from users): for a UNC path that
                // is no refusal of the share, and the library serves it over SMB instead.
                if error.code == codes::ERROR_ACCESS_DENIED {
                    return Err(WinError {
                        code: codes::ERROR_NOT_SUPPORTED,
                        ..error
                    });
                }
                return Err(error);
            }
        };
        let served = wnet::drives::text_from_path(device.mount_point());
        let surplus = {
            let mut table = lock(&self.table);
            match table
                .connections
                .iter_mut()
                .find(|row| connects(row, share) && row.device.is_none())
            {
                Some(row) => {
                    row.entry.mount_point = Some(served.clone());
                    row.device = Some(device);
                    None
                }
                None => Some(device),
            }
        };
        drop(reservation);
        match surplus {
            None => {
                tracing::info!(share = %share, mount_point = %served, "serving for UNC paths");
                Ok(Some(served))
            }
            // The connection was cancelled while its share was mounted.
            Some(device) => {
                unmount(device, true).await;
                remove_unc_mount_point(mount_point);
                Ok(None)
            }
        }
    }
}

impl<P: Provider> Workstation<P> {
    /// [`wnet::agent_protocol::Request::FileChannel`]: the tree of the share of `unc`, from
    /// any connection to it (a drive letter's too), connecting it deviceless first when there
    /// is none, as `serve_share` does; the channel is counted on that connection (`wnet use
    /// --json` shows it) until the returned guard is dropped.
    pub async fn file_tree(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<FileChannelTree<P::Tree>, WinError> {
        let share = unc.share_root();
        let held = |table: &super::Table<P>| {
            table
                .connections
                .iter()
                .find(|row| holds(row, &share))
                .map(|row| (row.entry.resource_type, Arc::clone(&row.file_channels)))
        };
        let found = held(&lock(&self.table));
        let (kind, channels) = if let Some(found) = found {
            found
        } else {
            self.connect_implicitly(&share, credentials, logon).await?;
            held(&lock(&self.table)).ok_or_else(|| WinError::new(codes::ERROR_NETNAME_DELETED))?
        };
        if kind != resource_type::RESOURCETYPE_DISK {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEV_TYPE,
                Cause::Other(format!("{share} is not a disk share")),
            ));
        }
        channels.count.fetch_add(1, Ordering::Relaxed);
        Ok(FileChannelTree {
            trees: channels.tree.subscribe(),
            channels,
        })
    }
}

impl<P: Provider> Workstation<P> {
    /// Connects `share` as Windows does for a UNC path that names it: deviceless, a disk,
    /// over the session held with the server, else with `credentials`.
    async fn connect_implicitly(
        &self,
        share: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Response, WinError> {
        self.add_connection(
            share,
            None,
            credentials,
            logon,
            0,
            resource_type::RESOURCETYPE_DISK,
        )
        .await
    }
}

/// The file channels serving a share through one connection: how many there are, and the
/// connection's tree as it is now — a new one each time the agent reconnects it, which the
/// channels reopen their files on.
pub(super) struct FileChannels<T> {
    count: AtomicU32,
    tree: watch::Sender<T>,
}

impl<T> FileChannels<T> {
    /// No channel yet, over `tree`.
    pub(super) fn new(tree: T) -> FileChannels<T> {
        FileChannels {
            count: AtomicU32::new(0),
            tree: watch::Sender::new(tree),
        }
    }

    /// How many channels serve the share through the connection now.
    pub(super) fn count(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    /// The connection was made again: its channels go on over `tree`.
    pub(super) fn reconnected(&self, tree: T) {
        self.tree.send_replace(tree);
    }
}

/// A file channel's view of its connection: the tree it serves the share over now, and the
/// ones that replace it when the agent reconnects. The channel is counted on the connection
/// until this is dropped.
pub struct FileChannelTree<T> {
    trees: watch::Receiver<T>,
    channels: Arc<FileChannels<T>>,
}

impl<T: Clone> FileChannelTree<T> {
    /// The tree as it is now.
    pub fn current(&self) -> T {
        self.trees.borrow().clone()
    }

    /// The trees from now on: changed each time the agent reconnects the connection.
    pub fn changes(&self) -> watch::Receiver<T> {
        self.trees.clone()
    }
}

impl<T> std::fmt::Debug for FileChannelTree<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileChannelTree")
            .field("channels", &self.channels.count())
            .finish_non_exhaustive()
    }
}

impl<T> Drop for FileChannelTree<T> {
    fn drop(&mut self) {
        self.channels.count.fetch_sub(1, Ordering::Relaxed);
    }
}
