//! Redirected drives: an SMB2/3 share served as a FUSE file system by the agent.
//!
//! [`mount`] mounts a connected [`Tree`] at a directory (a drive letter's directory under the
//! drives dir, or one the user named) and serves every file operation over the tree's
//! session: lookups and attributes with a short cache, directory listings with their
//! attributes in one walk (readdirplus), reads split into multi-credit READs in flight
//! together, writes gathered into 1 MiB WRITEs sent behind the writer in one queue per file
//! whatever the number of descriptors (see [`files`] and [`handles`]), truncate, fallocate,
//! rename, delete (a file still open is hidden until it closes), mkdir/rmdir and statfs.
//! [`Drive::unmount`] takes it away, by force when files are open (they fail with EIO from
//! then on, nothing waits).
//!
//! Root mounts directly; other users go through `fusermount3`, as FUSE file systems do (fuser
//! calls it when `mount(2)` is refused). A user who may not open `/dev/fuse` (a system whose
//! device is mode 0600, FUSE kept from users) cannot mount at all: `fusermount3` opens the
//! device as the calling user too, so the error says so, as a permission error.

pub mod attributes;
pub mod errno;
pub mod files;
mod filesystem;
pub mod handles;
pub mod inodes;
pub mod leases;
pub mod mounts;
pub mod reopen;
mod state;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fuser::{Config, MountOption};
use wnet_smb2::Tree;
use wnet_smb2::client::LinkResolver;

use crate::attributes::Owner;
use crate::filesystem::SmbFilesystem;
use crate::state::DriveState;

/// How long attributes and directory listings are trusted, unless configured.
pub const DEFAULT_CACHE_TIMEOUT: Duration = Duration::from_secs(1);

/// How a drive behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriveOptions {
    /// How long the kernel and the drive trust a file's attributes
    /// (`WNET_DRIVE_ATTR_TIMEOUT`, seconds).
    pub attribute_timeout: Duration,
    /// How long a directory listing is reused (`WNET_DRIVE_DIR_TIMEOUT`, seconds).
    pub directory_timeout: Duration,
    /// Every write goes through to the server's disk before it returns
    /// (CONNECT_WRITE_THROUGH_SEMANTICS).
    pub write_through: bool,
    /// How long an operation on an open file that lost its connection waits for the file to
    /// be reopened after a reconnection ([`Drive::reconnected`]) before it fails with EIO;
    /// zero (the default, for a drive nobody reconnects) fails it at once. The agent, which
    /// reconnects, uses [`reopen::DEFAULT_RECONNECT_WAIT`].
    pub reconnect_wait: Duration,
}

impl Default for DriveOptions {
    fn default() -> Self {
        DriveOptions {
            attribute_timeout: DEFAULT_CACHE_TIMEOUT,
            directory_timeout: DEFAULT_CACHE_TIMEOUT,
            write_through: false,
            reconnect_wait: Duration::ZERO,
        }
    }
}

fn seconds(value: Option<String>) -> Option<Duration> {
    value
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0 && *seconds <= 3600.0)
        .map(Duration::from_secs_f64)
}

impl DriveOptions {
    /// The defaults, with the cache timeouts from the environment where set (invalid values
    /// are ignored), for a drive the agent reconnects: an open file that lost its connection
    /// waits [`reopen::DEFAULT_RECONNECT_WAIT`] for it.
    pub fn from_env(write_through: bool) -> DriveOptions {
        let defaults = DriveOptions::default();
        DriveOptions {
            attribute_timeout: seconds(std::env::var("WNET_DRIVE_ATTR_TIMEOUT").ok())
                .unwrap_or(defaults.attribute_timeout),
            directory_timeout: seconds(std::env::var("WNET_DRIVE_DIR_TIMEOUT").ok())
                .unwrap_or(defaults.directory_timeout),
            write_through,
            reconnect_wait: reopen::DEFAULT_RECONNECT_WAIT,
        }
    }
}

/// A mounted share. Dropping it unmounts it by force.
pub struct Drive {
    session: Option<fuser::BackgroundSession>,
    state: Arc<DriveState>,
    mount_point: PathBuf,
}

impl std::fmt::Debug for Drive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drive")
            .field("mount_point", &self.mount_point)
            .finish_non_exhaustive()
    }
}

/// Mounts `tree` at `mount_point` (an existing directory), named `source` in the mount table
/// (`//server/share`). Its file operations run on `runtime`. Blocking: call it outside the
/// runtime's own threads (e.g. from `spawn_blocking`).
pub fn mount(
    tree: Tree,
    mount_point: &Path,
    source: &str,
    options: DriveOptions,
    runtime: tokio::runtime::Handle,
) -> io::Result<Drive> {
    mount_with_links(tree, None, mount_point, source, options, runtime)
}

/// [`mount`], following the DFS links below a DFS share with `links`: a path under the
/// drive that crosses a link lands on the link's target (see
/// [`wnet_smb2::client::LinkResolver`]), whose lease breaks the drive takes as its own.
pub fn mount_with_links(
    tree: Tree,
    links: Option<Arc<dyn LinkResolver>>,
    mount_point: &Path,
    source: &str,
    options: DriveOptions,
    runtime: tokio::runtime::Handle,
) -> io::Result<Drive> {
    let owner = Owner {
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
    };
    let tree = match links {
        Some(links) => tree.with_links(links),
        None => tree,
    };
    // Lease breaks are listened for before the first open: one that comes before anyone
    // listens is lost (a link target's, before the first open there).
    let breaks_of = tree.clone();
    let state = Arc::new(DriveState::new(tree, runtime, options, owner, source));
    state.watch_lease_breaks(&breaks_of);
    state.watch_link_targets(&breaks_of);
    let filesystem = SmbFilesystem {
        state: Arc::clone(&state),
    };
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(source.to_owned()),
        MountOption::Subtype("wnet".to_owned()),
        MountOption::DefaultPermissions,
        MountOption::NoDev,
        MountOption::NoSuid,
        MountOption::NoAtime,
    ];
    config.n_threads = Some(2);
    let session = fuser::spawn_mount(filesystem, mount_point, &config).map_err(explain)?;
    state.set_notifier(session.notifier());
    Ok(Drive {
        session: Some(session),
        state,
        mount_point: mount_point.to_owned(),
    })
}

/// The FUSE device.
const FUSE_DEVICE: &str = "/dev/fuse";

/// `error` from fuser's mount, with its cause where fuser's own words leave it out: a device
/// this user may not open, or one that does not exist.
fn explain(error: io::Error) -> io::Error {
    let device = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(FUSE_DEVICE);
    match device {
        Err(device) if device.kind() == io::ErrorKind::PermissionDenied => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "this user may not use FUSE: {FUSE_DEVICE}: {device} (fusermount3 opens it as \
                 the user too; an administrator can open it to users, e.g. mode 0666 as \
                 Debian ships it, or to a group of theirs)"
            ),
        ),
        Err(device) if device.kind() == io::ErrorKind::NotFound => io::Error::new(
            io::ErrorKind::NotFound,
            format!("this system has no FUSE: {FUSE_DEVICE}: {device} (modprobe fuse)"),
        ),
        _ => error,
    }
}

impl Drive {
    /// Where the share is mounted.
    pub fn mount_point(&self) -> &Path {
        &self.mount_point
    }

    /// How many files are open on it.
    pub fn open_files(&self) -> usize {
        self.state.open_files()
    }

    /// Whether the SMB connection behind it is still up.
    pub fn is_connected(&self) -> bool {
        self.state.tree().session().is_connected()
    }

    /// Serves the drive over `tree` from now on: the same share, connected again after its
    /// connection was lost. New opens, lookups and listings go to `tree`; every file open
    /// with a durable handle is reopened on it, in the background, and the operations that
    /// wait for it go on there (see [`reopen`]). Files that cannot be reopened stay on the
    /// old connection (their operations fail with EIO).
    pub fn reconnected(&self, tree: Tree) {
        self.state.replace_tree(tree);
    }

    /// Unmounts. Without `force`, a busy mount (a file open, a process's working directory
    /// in it) is detached lazily and goes when it is no longer used; with `force`, every
    /// operation on it fails with EIO from now on (pending ones at once) before it is
    /// detached. Blocking.
    pub fn unmount(mut self, force: bool) -> io::Result<()> {
        self.take_down(force)
    }

    fn take_down(&mut self, force: bool) -> io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        if force {
            self.state.abort.send_replace(true);
        }
        let plain = if force {
            Err(io::Error::from(io::ErrorKind::ResourceBusy))
        } else {
            mounts::unmount(&self.mount_point, false)
        };
        if plain.is_ok() {
            // The kernel ends the FUSE connection: the session's threads return.
            let _ = session.join();
            return Ok(());
        }
        let detached = mounts::unmount(&self.mount_point, true);
        // The threads serve (with EIO once forced) until the last user lets go; they are not
        // waited for.
        drop(session);
        detached
    }
}

impl Drop for Drive {
    fn drop(&mut self) {
        if let Err(error) = self.take_down(true) {
            tracing::warn!(mount_point = %self.mount_point.display(), %error, "unmount failed");
        }
    }
}
