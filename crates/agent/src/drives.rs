//! The agent's drives: shares mounted with FUSE (`wnet-drive`) at redirected local devices,
//! a record of them beside the socket, and the clean-up of what a crashed agent left.
//!
//! With `WNET_DRIVE_BACKEND=cifs` the kernel's SMB client mounts them instead (`mount.cifs`
//! from cifs-utils, root only, the kernel's `cifs` file system): the kernel then makes its own
//! session with the same credentials, handed to `mount.cifs` in a 0600 file in the agent's
//! private directory that is removed right after. The server name must resolve through the
//! system's resolver (or be an address). Open files on such a drive are the kernel's: a cancel
//! without force unmounts it only when it is not busy.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use wnet::drives::drives_dir;
use wnet::error::{Cause, WinError, codes};
use wnet::secret_buffer::SecretBuffer;
use wnet_drive::{Drive, DriveOptions};
use wnet_host::user_state::{open_private_read, write_private};
use wnet_smb2::Tree;
use wnet_smb2::client::LinkResolver;

use crate::redirector::{RedirectRequest, RedirectedDevice, Redirector};

/// The mount points the agent holds, written to a file so that the next agent can detach
/// them if this one dies without unmounting.
#[derive(Debug, Clone)]
pub struct MountRecord {
    path: PathBuf,
    mounted: Arc<Mutex<Vec<PathBuf>>>,
}

impl MountRecord {
    /// The record kept at `path` (`mounts` beside the agent's socket).
    pub fn new(path: PathBuf) -> MountRecord {
        MountRecord {
            path,
            mounted: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The mount points a previous agent recorded: none if the record is not a file of this
    /// user's that nobody else could have written (see `wnet_host::user_state`), since the
    /// agent detaches what it lists.
    pub fn previous(&self) -> Vec<PathBuf> {
        let file = match open_private_read(&self.path) {
            Ok(Some(file)) => file,
            Ok(None) => return Vec::new(),
            Err(error) => {
                tracing::warn!(%error, "ignoring the mount record");
                return Vec::new();
            }
        };
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut &file, &mut text).is_err() {
            return Vec::new();
        }
        text.lines()
            .filter(|line| !line.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    fn update(&self, change: impl FnOnce(&mut Vec<PathBuf>)) {
        let mut mounted = self.mounted.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut mounted);
        let mut text = String::new();
        for path in mounted.iter() {
            text.push_str(&path.display().to_string());
            text.push('\n');
        }
        if let Err(error) = write_private(&self.path, text.as_bytes()) {
            tracing::warn!(path = %self.path.display(), %error, "cannot write the mount record");
        }
    }

    fn add(&self, mount_point: &Path) {
        self.update(|mounted| mounted.push(mount_point.to_owned()));
    }

    fn remove(&self, mount_point: &Path) {
        self.update(|mounted| mounted.retain(|path| path != mount_point));
    }
}

/// Detaches the wnet mounts a previous agent of this user left (under the drives dir, or
/// recorded in `record`), and starts the record afresh.
pub fn clean_stale_mounts(record: &MountRecord) {
    let uid = nix::unistd::getuid().as_raw();
    let cleaned = wnet_drive::mounts::clean_stale_mounts(uid, &drives_dir(), &record.previous());
    for mount_point in cleaned {
        tracing::info!(mount_point = %mount_point.display(), "detached a stale drive");
    }
    record.update(Vec::clear);
}

/// The Win32 code for a FUSE mount that failed: ERROR_ACCESS_DENIED when this user may not
/// mount (may not open `/dev/fuse`, or `fusermount3` refused), ERROR_NOT_SUPPORTED when the
/// system has no FUSE (no `/dev/fuse`, no `fusermount3`, no `fuse` in the kernel),
/// ERROR_BAD_DEVICE (the device cannot be redirected) for anything else. The error's text is
/// kept as the cause.
fn mount_error_code(error: &std::io::Error) -> u32 {
    match (error.kind(), error.raw_os_error()) {
        (std::io::ErrorKind::PermissionDenied, _) => codes::ERROR_ACCESS_DENIED,
        (std::io::ErrorKind::NotFound, _) | (_, Some(nix::libc::ENODEV)) => {
            codes::ERROR_NOT_SUPPORTED
        }
        _ => codes::ERROR_BAD_DEVICE,
    }
}

/// How drives are mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// FUSE, served by the agent over its own SMB session (the default).
    Fuse,
    /// The kernel's CIFS client (`WNET_DRIVE_BACKEND=cifs`).
    KernelCifs,
}

impl Backend {
    /// The backend `WNET_DRIVE_BACKEND` names (`fuse`, the default, or `cifs`); `None` for
    /// `none`: the agent mounts nothing (drive letters are refused with
    /// ERROR_NOT_SUPPORTED, and UNC paths are served over SMB by the library).
    pub fn from_env() -> Result<Option<Backend>, String> {
        match std::env::var("WNET_DRIVE_BACKEND").ok().as_deref() {
            None | Some("" | "fuse") => Ok(Some(Backend::Fuse)),
            Some("cifs") => Ok(Some(Backend::KernelCifs)),
            Some("none") => Ok(None),
            Some(other) => Err(format!(
                "WNET_DRIVE_BACKEND is fuse, cifs or none, not {other:?}"
            )),
        }
    }
}

/// Mounts shares with FUSE, serving them on the agent's runtime (or with the kernel's CIFS
/// client, when asked).
#[derive(Debug)]
pub struct FuseRedirector {
    runtime: tokio::runtime::Handle,
    record: MountRecord,
    backend: Backend,
}

impl FuseRedirector {
    /// A redirector serving file operations on `runtime`, recording its mounts in `record`.
    pub fn new(runtime: tokio::runtime::Handle, record: MountRecord, backend: Backend) -> Self {
        FuseRedirector {
            runtime,
            record,
            backend,
        }
    }

    fn mount_fuse(&self, request: RedirectRequest) -> Result<Box<dyn RedirectedDevice>, WinError> {
        let source = request.remote_name.replace('\\', "/");
        let options = DriveOptions::from_env(request.write_through);
        let mount_point = request.mount_point;
        let links = request
            .links
            .map(|links| Arc::new(crate::smb_provider::AgentLinks(links)) as Arc<dyn LinkResolver>);
        let drive = wnet_drive::mount_with_links(
            request.tree,
            links,
            &mount_point,
            &source,
            options,
            self.runtime.clone(),
        )
        .map_err(|error| {
            WinError::with_cause(
                mount_error_code(&error),
                Cause::LocalPath(format!(
                    "cannot mount {source} at {}: {error}",
                    mount_point.display()
                )),
            )
        })?;
        self.record.add(&mount_point);
        tracing::info!(%source, mount_point = %mount_point.display(), "mounted");
        Ok(Box::new(FuseDevice {
            drive,
            record: self.record.clone(),
        }))
    }

    fn mount_cifs(&self, request: &RedirectRequest) -> Result<Box<dyn RedirectedDevice>, WinError> {
        let not_supported =
            |why: String| WinError::with_cause(codes::ERROR_NOT_SUPPORTED, Cause::Other(why));
        if !nix::unistd::getuid().is_root() {
            return Err(not_supported("kernel CIFS drives need root".into()));
        }
        let program = ["/usr/sbin/mount.cifs", "/sbin/mount.cifs"]
            .into_iter()
            .map(Path::new)
            .find(|path| path.is_file())
            .ok_or_else(|| not_supported("mount.cifs is missing (Debian's cifs-utils)".into()))?;
        let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
        if !filesystems.lines().any(|line| line.ends_with("\tcifs")) {
            return Err(not_supported("this kernel has no cifs file system".into()));
        }
        let source = request.remote_name.replace('\\', "/");
        let mut options = format!(
            "uid={},gid={},vers=3.1.1{}{}",
            nix::unistd::getuid(),
            nix::unistd::getgid(),
            if request.require_privacy { ",seal" } else { "" },
            if request.write_through {
                ",cache=none"
            } else {
                ""
            },
        );
        let credentials_file = if let Some(credentials) = &request.credentials {
            let path = self
                .record
                .path
                .with_file_name(format!("cifs-credentials-{}", std::process::id()));
            // mount.cifs reads the password from this file. Our copy of its text is built in
            // a buffer that zeroes what it held (a `format!` string would leave copies behind
            // as it grows, and none of them zeroed).
            let mut text = SecretBuffer::new(256, usize::MAX);
            write!(
                text,
                "username={}\npassword={}\ndomain={}\n",
                credentials.user, credentials.password.0, credentials.domain
            )
            .map_err(|error| not_supported(format!("{}: {error}", path.display())))?;
            write_private(&path, text.filled())
                .map_err(|error| not_supported(format!("{}: {error}", path.display())))?;
            options.push_str(",credentials=");
            options.push_str(&path.display().to_string());
            Some(path)
        } else {
            options.push_str(",guest");
            None
        };
        let output = Command::new(program)
            .arg(&source)
            .arg(&request.mount_point)
            .arg("-o")
            .arg(&options)
            .output();
        if let Some(path) = credentials_file {
            let _ = std::fs::remove_file(path);
        }
        let output = output.map_err(|error| not_supported(format!("mount.cifs: {error}")))?;
        if !output.status.success() {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_DEVICE,
                Cause::LocalPath(format!(
                    "mount.cifs {source}: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )),
            ));
        }
        tracing::info!(%source, mount_point = %request.mount_point.display(), "mounted with kernel CIFS");
        Ok(Box::new(CifsDevice {
            mount_point: request.mount_point.clone(),
        }))
    }
}

impl Redirector for FuseRedirector {
    fn redirect(&self, request: RedirectRequest) -> Result<Box<dyn RedirectedDevice>, WinError> {
        match self.backend {
            Backend::Fuse => self.mount_fuse(request),
            Backend::KernelCifs => self.mount_cifs(&request),
        }
    }
}

/// A share the kernel's CIFS client mounted.
struct CifsDevice {
    mount_point: PathBuf,
}

impl RedirectedDevice for CifsDevice {
    fn mount_point(&self) -> &Path {
        &self.mount_point
    }

    fn open_files(&self) -> usize {
        0 // the kernel's; a busy mount is detached lazily on cancel
    }

    fn is_connected(&self) -> bool {
        true
    }

    fn reconnected(&self, _tree: Tree) {
        // The kernel's client keeps its own session, and reconnects it itself.
    }

    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError> {
        let plain = if force {
            Err(std::io::Error::from(std::io::ErrorKind::ResourceBusy))
        } else {
            wnet_drive::mounts::unmount(&self.mount_point, false)
        };
        plain
            .or_else(|_| wnet_drive::mounts::unmount(&self.mount_point, true))
            .map_err(|error| {
                WinError::with_cause(
                    codes::ERROR_UNEXP_NET_ERR,
                    Cause::LocalPath(format!("umount {}: {error}", self.mount_point.display())),
                )
            })
    }
}

struct FuseDevice {
    drive: Drive,
    record: MountRecord,
}

impl RedirectedDevice for FuseDevice {
    fn mount_point(&self) -> &Path {
        self.drive.mount_point()
    }

    fn open_files(&self) -> usize {
        self.drive.open_files()
    }

    fn is_connected(&self) -> bool {
        self.drive.is_connected()
    }

    fn reconnected(&self, tree: Tree) {
        self.drive.reconnected(tree);
    }

    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError> {
        let FuseDevice { drive, record } = *self;
        let mount_point = drive.mount_point().to_owned();
        let result = drive.unmount(force);
        record.remove(&mount_point);
        result.map_err(|error| {
            WinError::with_cause(
                codes::ERROR_UNEXP_NET_ERR,
                Cause::LocalPath(format!("unmount {}: {error}", mount_point.display())),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _, symlink};

    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("wnet-agent-{label}-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
        dir
    }

    #[test]
    fn mount_failures_map_to_the_codes_of_their_cause() {
        use std::io::{Error, ErrorKind};
        let code = |error: Error| mount_error_code(&error);
        assert_eq!(
            code(Error::from_raw_os_error(nix::libc::EACCES)),
            codes::ERROR_ACCESS_DENIED
        );
        assert_eq!(
            code(Error::from_raw_os_error(nix::libc::EPERM)),
            codes::ERROR_ACCESS_DENIED
        );
        assert_eq!(
            code(Error::new(
                ErrorKind::PermissionDenied,
                "fusermount3: mount failed: Operation not permitted"
            )),
            codes::ERROR_ACCESS_DENIED
        );
        assert_eq!(
            code(Error::from_raw_os_error(nix::libc::ENOENT)),
            codes::ERROR_NOT_SUPPORTED
        );
        assert_eq!(
            code(Error::from_raw_os_error(nix::libc::ENODEV)),
            codes::ERROR_NOT_SUPPORTED
        );
        assert_eq!(
            code(Error::other("fusermount3: bad mount point")),
            codes::ERROR_BAD_DEVICE
        );
    }

    #[test]
    fn the_mount_record_is_ours_and_never_written_through_a_link() {
        let dir = scratch("mount-record");
        let victim = dir.join("victim");
        fs::write(&victim, b"keep me\n").unwrap();
        let path = dir.join("mounts");
        symlink(&victim, &path).unwrap();
        let record = MountRecord::new(path.clone());
        // A planted link is neither read nor written through.
        assert!(record.previous().is_empty());
        record.add(Path::new("/run/user/0/wnet/drives/Z"));
        assert_eq!(fs::read(&victim).unwrap(), b"keep me\n");
        assert_eq!(
            record.previous(),
            [PathBuf::from("/run/user/0/wnet/drives/Z")]
        );
        // A record others could have written is ignored: the agent detaches what it lists.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(record.previous().is_empty());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        if nix::unistd::geteuid().is_root() {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            assert!(record.previous().is_empty());
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
