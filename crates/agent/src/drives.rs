//! The agent's drives: shares mounted with FUSE (`wnet-drive`) at redirected local devices,
//! a record of them beside the socket, and the clean-up of what a crashed agent left.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use wnet::drives::{RedirectedDevice, Redirector, drives_dir};
use wnet::error::{Cause, WinError, codes};
use wnet_drive::{Drive, DriveOptions};
use wnet_smb2::Tree;

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

    /// The mount points a previous agent recorded.
    pub fn previous(&self) -> Vec<PathBuf> {
        std::fs::read_to_string(&self.path)
            .map(|text| {
                text.lines()
                    .filter(|line| !line.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut Vec<PathBuf>)) {
        let mut mounted = self.mounted.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut mounted);
        let mut text = String::new();
        for path in mounted.iter() {
            text.push_str(&path.display().to_string());
            text.push('\n');
        }
        let written =
            std::fs::File::create(&self.path).and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(error) = written {
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

/// Mounts shares with FUSE, serving them on the agent's runtime.
#[derive(Debug)]
pub struct FuseRedirector {
    runtime: tokio::runtime::Handle,
    record: MountRecord,
}

impl FuseRedirector {
    /// A redirector serving file operations on `runtime`, recording its mounts in `record`.
    pub fn new(runtime: tokio::runtime::Handle, record: MountRecord) -> FuseRedirector {
        FuseRedirector { runtime, record }
    }
}

impl Redirector for FuseRedirector {
    fn redirect(
        &self,
        tree: Tree,
        mount_point: &Path,
        remote_name: &str,
        write_through: bool,
    ) -> Result<Box<dyn RedirectedDevice>, WinError> {
        let source = remote_name.replace('\\', "/");
        let options = DriveOptions::from_env(write_through);
        let drive = wnet_drive::mount(tree, mount_point, &source, options, self.runtime.clone())
            .map_err(|error| {
                WinError::with_cause(
                    codes::ERROR_BAD_DEVICE,
                    Cause::Other(format!(
                        "cannot mount {source} at {}: {error}",
                        mount_point.display()
                    )),
                )
            })?;
        self.record.add(mount_point);
        tracing::info!(%source, mount_point = %mount_point.display(), "mounted");
        Ok(Box::new(FuseDevice {
            drive,
            record: self.record.clone(),
        }))
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

    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError> {
        let FuseDevice { drive, record } = *self;
        let mount_point = drive.mount_point().to_owned();
        let result = drive.unmount(force);
        record.remove(&mount_point);
        result.map_err(|error| {
            WinError::with_cause(
                codes::ERROR_UNEXP_NET_ERR,
                Cause::Other(format!("unmount {}: {error}", mount_point.display())),
            )
        })
    }
}
