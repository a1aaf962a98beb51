//! Redirected local devices on POSIX: where a device name is mounted, and the interface the
//! workstation uses to mount and unmount shares there (implemented by the agent with FUSE,
//! `wnet-drive`).
//!
//! `A:` … `Z:` are directories under the drives dir (`$WNET_DRIVES_DIR`, else `drives` in the
//! per-user runtime directory: `$XDG_RUNTIME_DIR/wnet/drives`); an absolute directory path
//! names itself.

use std::path::{Path, PathBuf};

use wnet_nbt::config::env_var;
use wnet_smb2::Tree;

use crate::agent_protocol::WireCredentials;
use crate::error::{Cause, WinError, codes};

/// The directory holding the drive letters' mount points.
pub fn drives_dir() -> PathBuf {
    env_var("WNET_DRIVES_DIR").map_or_else(
        || wnet_nbt::user_state::user_runtime_dir().join("drives"),
        PathBuf::from,
    )
}

/// Whether `name` is a drive letter (`X:`).
pub fn is_drive_letter(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// The canonical spelling of a local name: an upper-case drive letter, or the directory
/// without trailing slashes.
pub fn canonical_local_name(name: &str) -> String {
    if is_drive_letter(name) {
        name.to_ascii_uppercase()
    } else if name.len() > 1 {
        name.trim_end_matches('/').to_owned()
    } else {
        name.to_owned()
    }
}

/// Whether `name` is a valid local device name here: `A:` … `Z:` or an absolute directory.
pub fn is_valid_local_name(name: &str) -> bool {
    is_drive_letter(name)
        || (name.starts_with('/') && name.trim_end_matches('/').len() > 1 && !name.contains('\0'))
}

/// Where the device `local_name` is mounted: `<drives dir>/X` for `X:`, the directory itself
/// for an absolute path.
pub fn mount_point(local_name: &str) -> PathBuf {
    if is_drive_letter(local_name) {
        drives_dir().join(local_name[..1].to_ascii_uppercase())
    } else {
        PathBuf::from(canonical_local_name(local_name))
    }
}

/// Makes the mount point of `local_name` ready: a drive letter's directory is created (the
/// drives dir private to the user); a named directory must exist and be a directory.
pub fn prepare_mount_point(local_name: &str) -> Result<PathBuf, WinError> {
    let path = mount_point(local_name);
    if is_drive_letter(local_name) {
        use wnet_nbt::user_state::{DirRule, check_dir};
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
                    Cause::Other(format!("cannot make {}: {error}", path.display())),
                )
            })?;
        return Ok(path);
    }
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.is_dir() => Ok(path),
        Ok(_) => Err(WinError::with_cause(
            codes::ERROR_BAD_DEVICE,
            Cause::Other(format!("{} is not a directory", path.display())),
        )),
        Err(error) => Err(WinError::with_cause(
            codes::ERROR_BAD_DEVICE,
            Cause::Other(format!("{}: {error}", path.display())),
        )),
    }
}

/// A share mounted at a local device.
pub trait RedirectedDevice: Send + Sync {
    /// Where it is mounted.
    fn mount_point(&self) -> &Path;
    /// How many files are open on it.
    fn open_files(&self) -> usize;
    /// Whether its SMB connection is still up.
    fn is_connected(&self) -> bool;
    /// Serves the share over `tree` from now on: the same share, connected again after its
    /// connection was lost.
    fn reconnected(&self, tree: Tree);
    /// Unmounts it (blocking); `force` fails every operation on it with EIO first.
    fn unmount(self: Box<Self>, force: bool) -> Result<(), WinError>;
}

/// What a redirection mounts, and how.
#[derive(Debug, Clone)]
pub struct RedirectRequest {
    /// The connected share (what a FUSE drive serves its operations over).
    pub tree: Tree,
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
}

/// Mounts shares at local devices.
pub trait Redirector: Send + Sync {
    /// Mounts the share of `request` at its mount point (blocking).
    fn redirect(&self, request: RedirectRequest) -> Result<Box<dyn RedirectedDevice>, WinError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_and_their_mount_points() {
        assert!(is_drive_letter("x:") && is_drive_letter("Z:"));
        assert!(!is_drive_letter("/x") && !is_drive_letter("xy:") && !is_drive_letter("1:"));
        assert_eq!(canonical_local_name("x:"), "X:");
        assert_eq!(canonical_local_name("/mnt/share/"), "/mnt/share");
        assert_eq!(canonical_local_name("/"), "/");
        assert!(mount_point("q:").ends_with("drives/Q"));
        assert_eq!(mount_point("/mnt/s/"), PathBuf::from("/mnt/s"));
    }

    #[test]
    fn local_names() {
        assert!(is_valid_local_name("Z:"));
        assert!(is_valid_local_name("/mnt/x"));
        assert!(!is_valid_local_name("ZZ:"));
        assert!(!is_valid_local_name("Z"));
        assert!(!is_valid_local_name("relative/dir"));
    }
}
