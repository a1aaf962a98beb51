//! Universal names: the UNC name of a local path, through the agent's connections, the
//! system's cifs/smb3 mounts, or (to tell "unavailable" from "not connected") the remembered
//! devices.

use super::mountinfo::cifs_mounts;
use super::{connections::connections, load_remembered};
use crate::drives::LocalName;
use crate::error::{WinError, codes};
use crate::resource::info_level;

/// The answer of WNetGetUniversalName at REMOTE_NAME_INFO_LEVEL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniversalName {
    /// `\\server\share\dir\file`.
    pub universal_name: String,
    /// `\\server\share`.
    pub connection_name: String,
    /// `\dir\file` (empty for the share itself).
    pub remaining_path: String,
}

/// Splits `path` at a local name that is a prefix of it: `X:\dir` at `X:`, `/mnt/x/dir` at
/// `/mnt/x`; the rest uses backslashes.
fn remaining_after(path: &str, local: &str) -> Option<String> {
    let rest = if local.len() == 2 && local.ends_with(':') {
        let head = path.get(..2)?;
        if !head.eq_ignore_ascii_case(local) {
            return None;
        }
        &path[2..]
    } else {
        let local = local.trim_end_matches('/');
        let rest = path.strip_prefix(local)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        rest
    };
    Some(rest.replace('/', "\\").trim_end_matches('\\').to_owned())
}

/// WNetGetUniversalName at REMOTE_NAME_INFO_LEVEL; level 1 uses its `universal_name`.
pub fn get_universal_name(local_path: &str, level: u32) -> Result<UniversalName, WinError> {
    if level != info_level::UNIVERSAL_NAME_INFO_LEVEL && level != info_level::REMOTE_NAME_INFO_LEVEL
    {
        return Err(WinError::new(codes::ERROR_INVALID_LEVEL));
    }
    if local_path.is_empty() {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let connections = connections()?;
    for entry in &connections {
        let Some(local) = entry.local_name.as_ref().map(LocalName::as_str) else {
            continue;
        };
        let under_mount = entry
            .mount_point
            .as_deref()
            .and_then(|mount_point| remaining_after(local_path, mount_point));
        if let Some(rest) = remaining_after(local_path, local).or(under_mount) {
            return Ok(UniversalName {
                universal_name: format!("{}{rest}", entry.remote_name),
                connection_name: entry.remote_name.to_string(),
                remaining_path: rest,
            });
        }
    }
    for (mount_point, share, inside) in cifs_mounts() {
        if let Some(rest) = remaining_after(local_path, &mount_point) {
            let rest = format!("{inside}{rest}");
            return Ok(UniversalName {
                universal_name: format!("{share}{rest}"),
                connection_name: share,
                remaining_path: rest,
            });
        }
    }
    let remembered = load_remembered()?;
    if remembered
        .entries()
        .iter()
        .any(|entry| remaining_after(local_path, &entry.local_name).is_some())
    {
        return Err(WinError::new(codes::ERROR_CONNECTION_UNAVAIL));
    }
    Err(WinError::new(codes::ERROR_NOT_CONNECTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_prefixes_split_paths() {
        assert_eq!(
            remaining_after("Z:\\dir\\f.txt", "z:").as_deref(),
            Some("\\dir\\f.txt")
        );
        assert_eq!(remaining_after("Z:", "Z:").as_deref(), Some(""));
        assert_eq!(remaining_after("Y:\\dir", "Z:"), None);
        assert_eq!(
            remaining_after("/mnt/x/dir/f", "/mnt/x").as_deref(),
            Some("\\dir\\f")
        );
        assert_eq!(remaining_after("/mnt/xy/f", "/mnt/x"), None);
    }
}
