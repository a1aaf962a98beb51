//! Local device names on POSIX: which names are valid, their canonical spelling, and where a
//! device is mounted. The agent mounts shares there (its `redirector` module); the WNet API
//! names them.
//!
//! `A:` … `Z:` are directories under the drives dir (`$WNET_DRIVES_DIR`, else `drives` in the
//! per-user runtime directory: `$XDG_RUNTIME_DIR/wnet/drives`); an absolute directory path
//! names itself. A share used by its UNC path (`\\server\share\…`) is served under the UNC
//! dir (`$WNET_UNC_DIR`, else `unc` in the runtime directory), at `<server>/<share>` in lower
//! case ([`unc_mount_point`]).

use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use wnet_host::env_var;

use crate::error::{WinError, codes};
use crate::unc::UncName;

/// The directory holding the drive letters' mount points.
pub fn drives_dir() -> PathBuf {
    env_var("WNET_DRIVES_DIR").map_or_else(
        || wnet_host::user_state::user_runtime_dir().join("drives"),
        PathBuf::from,
    )
}

/// The first of the characters U+EF80..U+EFFF that stand, one each, for the bytes 0x80..0xFF
/// of a local path that are not UTF-8 (as OPTU-8 spells them): the crates' names are UTF-8,
/// a Linux path is bytes. [`path_from_text`] turns them back into the bytes where a name
/// reaches the file system, and [`text_from_path`] spells a path with them.
const ESCAPED_BYTES: u32 = 0xEF00;

/// The character that stands for `byte` of a path that is not UTF-8 (`None` below 0x80,
/// which is always UTF-8).
pub fn escaped_byte(byte: u8) -> Option<char> {
    (byte >= 0x80)
        .then(|| char::from_u32(ESCAPED_BYTES + u32::from(byte)))
        .flatten()
}

/// The byte a character of [`escaped_byte`] stands for.
pub fn unescaped_byte(character: char) -> Option<u8> {
    u32::from(character)
        .checked_sub(ESCAPED_BYTES)
        .and_then(|byte| u8::try_from(byte).ok())
        .filter(|byte| *byte >= 0x80)
}

/// The path a local name spells, the bytes of [`escaped_byte`]'s characters restored.
pub fn path_from_text(text: &str) -> PathBuf {
    if !text
        .chars()
        .any(|character| unescaped_byte(character).is_some())
    {
        return PathBuf::from(text);
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut buffer = [0; 4];
    for character in text.chars() {
        match unescaped_byte(character) {
            Some(byte) => bytes.push(byte),
            None => bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes()),
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

/// `path` as a local name: its UTF-8 as it is, each other byte as [`escaped_byte`]'s
/// character, so that [`path_from_text`] gives the path back.
pub fn text_from_path(path: &Path) -> String {
    let mut text = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        text.push_str(chunk.valid());
        text.extend(
            chunk
                .invalid()
                .iter()
                .filter_map(|byte| escaped_byte(*byte)),
        );
    }
    text
}

/// The directory under which shares used by UNC path are mounted (`<server>/<share>`).
pub fn unc_dir() -> PathBuf {
    env_var("WNET_UNC_DIR").map_or_else(
        || wnet_host::user_state::user_runtime_dir().join("unc"),
        PathBuf::from,
    )
}

/// Where the share of `name` (`\\server\share`, any path below it ignored) is served under
/// `unc_dir`: `<unc_dir>/<server>/<share>`, both in lower case (Windows compares them without
/// regard to case). ERROR_BAD_NETPATH for a name without a share, or whose server or share is
/// not one directory name (`.`, `..`): the mount point is always a child of a child of
/// `unc_dir`.
pub fn unc_mount_point(unc_dir: &std::path::Path, name: &UncName) -> Result<PathBuf, WinError> {
    let component = |part: &str| -> Result<String, WinError> {
        let lower = part.to_lowercase();
        if lower.is_empty() || lower == "." || lower == ".." || lower.contains(['/', '\\', '\0']) {
            Err(WinError::new(codes::ERROR_BAD_NETPATH))
        } else {
            Ok(lower)
        }
    };
    let share = name
        .share
        .as_deref()
        .ok_or_else(|| WinError::new(codes::ERROR_BAD_NETPATH))?;
    Ok(unc_dir
        .join(component(&name.server)?)
        .join(component(share)?))
}

/// Whether `name` is a drive letter (`X:`).
pub fn is_drive_letter(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// A local device name in its canonical spelling, compared by one rule everywhere: a drive
/// letter upper-cased (`z:` is `Z:`, as on Windows), a directory exactly as POSIX names it,
/// without trailing slashes (`/mnt/share/` is `/mnt/share`; `/mnt/Share` is another). It
/// crosses the agent protocol as that spelling and is checked again, by [`LocalName::parse`],
/// when it is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalName(String);

impl LocalName {
    /// `name` in its canonical spelling, valid or not (for comparing with names already
    /// held; [`LocalName::parse`] checks a caller's).
    pub fn new(name: &str) -> LocalName {
        if is_drive_letter(name) {
            return LocalName(name.to_ascii_uppercase());
        }
        let trimmed = name.trim_end_matches('/');
        if trimmed.is_empty() && !name.is_empty() {
            LocalName("/".to_owned())
        } else {
            LocalName(trimmed.to_owned())
        }
    }

    /// A caller's local name: `A:` … `Z:` or an absolute directory, else ERROR_BAD_DEVICE.
    pub fn parse(name: &str) -> Result<LocalName, WinError> {
        if is_valid_local_name(name) {
            Ok(LocalName::new(name))
        } else {
            Err(WinError::new(codes::ERROR_BAD_DEVICE))
        }
    }

    /// The canonical spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is a drive letter.
    pub fn is_drive_letter(&self) -> bool {
        is_drive_letter(&self.0)
    }

    /// Where the device is mounted: `<drives dir>/X` for `X:`, the directory itself for an
    /// absolute path (bytes that are not UTF-8 restored: [`path_from_text`]).
    pub fn mount_point(&self) -> PathBuf {
        match self.0.strip_suffix(':') {
            Some(letter) if self.is_drive_letter() => drives_dir().join(letter),
            _ => path_from_text(&self.0),
        }
    }
}

impl TryFrom<String> for LocalName {
    type Error = WinError;

    fn try_from(name: String) -> Result<LocalName, WinError> {
        LocalName::parse(&name)
    }
}

impl From<LocalName> for String {
    fn from(name: LocalName) -> String {
        name.0
    }
}

impl std::fmt::Display for LocalName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The canonical spelling of a local name ([`LocalName`]): an upper-case drive letter, or
/// the directory without trailing slashes.
pub fn canonical_local_name(name: &str) -> String {
    LocalName::new(name).0
}

/// Whether `name` is a valid local device name here: `A:` … `Z:` or an absolute directory.
pub fn is_valid_local_name(name: &str) -> bool {
    is_drive_letter(name)
        || (name.starts_with('/') && name.trim_end_matches('/').len() > 1 && !name.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One rule wherever two local names meet: the connection table (`has_local_name`) and
    /// the remembered store compare through `LocalName`.
    #[test]
    fn local_names_compare_by_one_rule() {
        assert_eq!(LocalName::new("z:"), LocalName::new("Z:"));
        assert_eq!(LocalName::new("/mnt/share/"), LocalName::new("/mnt/share"));
        assert_ne!(LocalName::new("/mnt/Share"), LocalName::new("/mnt/share"));
        assert_eq!(LocalName::new("//").as_str(), "/");
        assert_eq!(LocalName::parse("q:").unwrap().as_str(), "Q:");
        assert!(LocalName::parse("q:").unwrap().is_drive_letter());
        for bad in ["", "Z", "ZZ:", "relative/dir", "/", "/a\0b"] {
            assert_eq!(
                LocalName::parse(bad).unwrap_err().code,
                codes::ERROR_BAD_DEVICE,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn local_names_cross_in_their_canonical_spelling_and_are_checked_when_read() {
        assert_eq!(
            serde_json::to_string(&LocalName::new("z:")).unwrap(),
            r#""Z:""#
        );
        let read: LocalName = serde_json::from_str(r#""/mnt/share/""#).unwrap();
        assert_eq!(read.as_str(), "/mnt/share");
        for bad in [r#""""#, r#""ZZ:""#, r#""relative""#] {
            assert!(serde_json::from_str::<LocalName>(bad).is_err(), "{bad}");
        }
    }

    /// A directory whose bytes are not UTF-8 is a local name spelled with one character per
    /// such byte, and its mount point is the directory itself, byte for byte.
    #[test]
    fn paths_that_are_not_utf8_round_trip_through_local_names() {
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/mnt/caf\xe9/\xff\xfe"));
        let text = text_from_path(path);
        assert_eq!(text, "/mnt/caf\u{efe9}/\u{efff}\u{effe}");
        assert_eq!(path_from_text(&text), path);
        assert_eq!(LocalName::parse(&text).unwrap().mount_point(), path);
        assert_eq!(text_from_path(Path::new("/mnt/café")), "/mnt/café");
        assert_eq!(path_from_text("/mnt/café"), Path::new("/mnt/café"));
        assert_eq!(escaped_byte(0x41), None);
        assert_eq!(unescaped_byte('\u{ef41}'), None);
        assert_eq!(unescaped_byte('\u{ef80}'), Some(0x80));
    }

    #[test]
    fn local_names_and_their_mount_points() {
        assert!(is_drive_letter("x:") && is_drive_letter("Z:"));
        assert!(!is_drive_letter("/x") && !is_drive_letter("xy:") && !is_drive_letter("1:"));
        assert_eq!(canonical_local_name("x:"), "X:");
        assert_eq!(canonical_local_name("/mnt/share/"), "/mnt/share");
        assert_eq!(canonical_local_name("/"), "/");
        assert!(LocalName::new("q:").mount_point().ends_with("drives/Q"));
        assert_eq!(
            LocalName::new("/mnt/s/").mount_point(),
            PathBuf::from("/mnt/s")
        );
    }

    #[test]
    fn shares_are_served_at_one_lower_case_directory_below_the_unc_dir() {
        let dir = std::path::Path::new("/run/user/1000/wnet/unc");
        let at = |text: &str| unc_mount_point(dir, &UncName::parse(text).unwrap());
        assert_eq!(
            at(r"\\Server\Public\dir\f.txt").unwrap(),
            dir.join("server").join("public")
        );
        assert_eq!(
            at("//server/public").unwrap(),
            at(r"\\SERVER\PUBLIC").unwrap()
        );
        for bad in [r"\\server", r"\\server\..", r"\\server\."] {
            assert_eq!(at(bad).unwrap_err().code, codes::ERROR_BAD_NETPATH, "{bad}");
        }
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
