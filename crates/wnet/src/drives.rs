//! Local device names on POSIX: which names are valid, their canonical spelling, and where a
//! device is mounted. The agent mounts shares there (its `redirector` module); the WNet API
//! names them.
//!
//! `A:` … `Z:` are directories under the drives dir (`$WNET_DRIVES_DIR`, else `drives` in the
//! per-user runtime directory: `$XDG_RUNTIME_DIR/wnet/drives`); an absolute directory path
//! names itself.

use std::path::PathBuf;

use wnet_host::env_var;

/// The directory holding the drive letters' mount points.
pub fn drives_dir() -> PathBuf {
    env_var("WNET_DRIVES_DIR").map_or_else(
        || wnet_host::user_state::user_runtime_dir().join("drives"),
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
