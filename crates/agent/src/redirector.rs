//! The interface the workstation uses to mount and unmount shares at local devices
//! (implemented with FUSE, `wnet-drive`, by the agent's `drives` module), and the making of
//! their mount points.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use wnet::agent_protocol::WireCredentials;
use wnet::drives::{LocalName, drives_dir};
use wnet::error::{Cause, WinError, codes};
use wnet_smb2::Tree;

/// Makes the mount point of `local_name` ready: a drive letter's directory is created (the
/// drives dir private to the user); a named directory must exist and be a directory.
pub fn prepare_mount_point(local_name: &LocalName) -> Result<PathBuf, WinError> {
    let path = local_name.mount_point();
    if local_name.is_drive_letter() {
        use wnet_host::user_state::{DirRule, check_dir};
        let dir = drives_dir();
        // Made 0700 if missing; else it must be ours, not a link, not writable by others.
        check_dir(&dir, DirRule::NotWritableByOthers, true)
            .map_err(std::io::Error::from)
            .and_then(|_| match std::fs::create_dir(&path) {
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                other => other,
            })
            .map_err(|error| {
                WinError::with_cause(
                    codes::ERROR_BAD_DEVICE,
                    Cause::LocalPath(format!("cannot make {}: {error}", path.display())),
                )
            })?;
        return Ok(path);
    }
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.is_dir() => Ok(path),
        Ok(_) => Err(WinError::with_cause(
            codes::ERROR_BAD_DEVICE,
            Cause::LocalPath(format!("{} is not a directory", path.display())),
        )),
        Err(error) => Err(WinError::with_cause(
            codes::ERROR_BAD_DEVICE,
            Cause::LocalPath(format!("{}: {error}", path.display())),
        )),
    }
}

/// Makes the directory serving a share for its UNC paths ready: `mount_point`, a child of a
/// child of `unc_dir` ([`wnet::drives::unc_mount_point`]); `unc_dir` and the server's
/// directory are made private to the user if missing, else must be the user's, not links and
/// not writable by others.
pub fn prepare_unc_mount_point(unc_dir: &Path, mount_point: &Path) -> Result<PathBuf, WinError> {
    use wnet_host::user_state::{DirRule, check_dir};
    let cannot = |error: std::io::Error| {
        WinError::with_cause(
            codes::ERROR_BAD_DEVICE,
            Cause::LocalPath(format!("cannot make {}: {error}", mount_point.display())),
        )
    };
    let server_dir = mount_point
        .parent()
        .filter(|server_dir| server_dir.parent() == Some(unc_dir))
        .ok_or_else(|| cannot(std::io::ErrorKind::InvalidInput.into()))?;
    check_dir(unc_dir, DirRule::NotWritableByOthers, true)
        .and_then(|_| check_dir(server_dir, DirRule::NotWritableByOthers, true))
        .map_err(std::io::Error::from)
        .and_then(|_| match std::fs::create_dir(mount_point) {
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        })
        .map_err(cannot)?;
    match std::fs::symlink_metadata(mount_point) {
        Ok(metadata) if metadata.is_dir() => Ok(mount_point.to_owned()),
        Ok(_) => Err(cannot(std::io::ErrorKind::NotADirectory.into())),
        Err(error) => Err(cannot(error)),
    }
}

/// Removes the directory of a share no longer served for its UNC paths, and its server's
/// directory when that is empty (a program holding the path then finds nothing there rather
/// than an empty local directory to write into).
pub fn remove_unc_mount_point(mount_point: &Path) {
    if std::fs::remove_dir(mount_point).is_ok()
        && let Some(server_dir) = mount_point.parent()
    {
        let _ = std::fs::remove_dir(server_dir);
    }
}

/// A share mounted at a local device, served over trees of type `T` (the provider's).
pub trait RedirectedDevice<T = Tree>: Send + Sync {
    /// Where it is mounted.
    fn mount_point(&self) -> &Path;
    /// How many files are open on it.
    fn open_files(&self) -> usize;
    /// Whether its SMB connection is still up.
    fn is_connected(&self) -> bool;
    /// Serves the share over `tree` from now on: the same share, connected again after its
    /// connection was lost.
    fn reconnected(&self, tree: T);
    /// Unmounts it (blocking); `force` fails every operation on it with EIO first.
    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError>;
}

/// Where a DFS link below a connected share sends a path ([`LinkSource`]).
#[derive(Debug, Clone)]
pub struct LinkLanding<T> {
    /// The link target's share, connected.
    pub tree: T,
    /// How many leading components of the path the link covers.
    pub covered: usize,
    /// The path on the target the covered components stand for (`dir\sub`, empty for its
    /// root).
    pub target_path: String,
    /// How long that holds (the referrals' TTL).
    pub ttl: Duration,
}

/// A future that lands a path below a DFS share.
pub type LinkFuture<T> = Pin<Box<dyn Future<Output = Result<LinkLanding<T>, WinError>> + Send>>;

/// Lands the paths below a connected DFS share (`\`-separated, below the share) that cross
/// its links: the workstation, through referrals, with the connection's credentials.
pub type LinkSource<T> = Arc<dyn Fn(String) -> LinkFuture<T> + Send + Sync>;

/// What a redirection mounts, and how.
#[derive(Clone)]
pub struct RedirectRequest<T = Tree> {
    /// The connected share (what a FUSE drive serves its operations over).
    pub tree: T,
    /// Where to mount it (an existing directory).
    pub mount_point: PathBuf,
    /// `\\server\share`.
    pub remote_name: String,
    /// CONNECT_WRITE_THROUGH_SEMANTICS.
    pub write_through: bool,
    /// CONNECT_REQUIRE_PRIVACY (a kernel CIFS mount is then sealed).
    pub require_privacy: bool,
    /// The session's credentials (a kernel CIFS mount makes its own session with them).
    pub credentials: Option<WireCredentials>,
    /// For a DFS share, where the paths that cross its links land.
    pub links: Option<LinkSource<T>>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for RedirectRequest<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedirectRequest")
            .field("tree", &self.tree)
            .field("mount_point", &self.mount_point)
            .field("remote_name", &self.remote_name)
            .field("write_through", &self.write_through)
            .field("require_privacy", &self.require_privacy)
            .field("links", &self.links.is_some())
            .finish_non_exhaustive()
    }
}

/// Mounts shares connected as trees of type `T` (the provider's) at local devices.
pub trait Redirector<T = Tree>: Send + Sync {
    /// Mounts the share of `request` at its mount point (blocking).
    fn redirect(
        &self,
        request: RedirectRequest<T>,
    ) -> Result<Box<dyn RedirectedDevice<T>>, WinError>;
}
