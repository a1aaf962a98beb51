//! Paths by network name: the local path that a UNC path (`\\server\share\dir\f`,
//! `//server/share/dir/f`) or a redirected drive's path (`Z:\dir\f`) stands for, so that a
//! program's file calls reach the share as they do on Windows.
//!
//! A UNC path's share is served by the agent under the UNC dir (`Request::ServeShare`), which
//! connects it first when it is not connected: an implicit connection, over the session held
//! with the server or with the default credentials, as WNetAddConnection2 without a user
//! makes it. A drive letter's path is under its mount point; a letter that is not redirected
//! is ERROR_PATH_NOT_FOUND. Every other path is local and is returned as it is.
//!
//! The mount points found are remembered for the process, each with the device it was on, and
//! checked by one `stat` when used again: a share that was cancelled and unmounted meanwhile
//! is asked for again.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::connections::connections;
use super::unexpected;
use crate::agent_client::AgentClient;
use crate::agent_protocol::{Logon, Request, Response};
use crate::connect_credentials::resolve_credentials;
use crate::drives::LocalName;
use crate::error::{Cause, WinError, codes};
use crate::unc::UncName;

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetPath {
    /// A path of this machine, left as it is.
    Local,
    /// A path inside a share: `\\server\share` and the components below it (no `.`, `..`
    /// or empty ones left).
    Unc {
        /// `\\server\share`.
        share: UncName,
        /// The path below the share.
        rest: Vec<String>,
        /// Whether the path ended with a separator.
        trailing: bool,
    },
    /// A path on a drive letter: the letter and the components below its root.
    Drive {
        /// `X:`.
        letter: LocalName,
        /// The path below the root.
        rest: Vec<String>,
        /// Whether the path ended with a separator.
        trailing: bool,
    },
}

fn is_separator(c: char) -> bool {
    c == '\\' || c == '/'
}

/// Characters Windows refuses in a file name.
const BAD_NAME_CHARACTERS: &[char] = &['"', ':', '|', '<', '>', '?', '*'];

/// Whether `path` may name a network path or a drive's: it begins with two separators or with
/// a drive letter and a colon. Every other path is local; this is the whole cost of a local
/// path.
pub fn may_be_network_path(path: &str) -> bool {
    let mut characters = path.chars();
    match (characters.next(), characters.next()) {
        (Some(first), Some(second)) => may_begin_network_path(first, second),
        _ => false,
    }
}

/// Whether a path whose first two characters are `first` and `second` may name a network path
/// or a drive's (see [`may_be_network_path`]).
pub fn may_begin_network_path(first: char, second: char) -> bool {
    (is_separator(first) && is_separator(second)) || (first.is_ascii_alphabetic() && second == ':')
}

/// The components of `text` (the part of a path below its root), `.` and empty ones dropped
/// and `..` taking one back: ERROR_INVALID_NAME for a name with a character Windows refuses,
/// `above` for a `..` above the root (`None`: it stays at the root, as Windows does for a
/// drive).
fn components(text: &str, above: Option<u32>) -> Result<Vec<String>, WinError> {
    let mut rest: Vec<String> = Vec::new();
    for part in text.split(is_separator) {
        match part {
            "" | "." => {}
            ".." => {
                if rest.pop().is_none()
                    && let Some(code) = above
                {
                    return Err(WinError::new(code));
                }
            }
            name => {
                if name.contains(BAD_NAME_CHARACTERS) || name.chars().any(char::is_control) {
                    return Err(WinError::new(codes::ERROR_INVALID_NAME));
                }
                rest.push(name.to_owned());
            }
        }
    }
    Ok(rest)
}

/// What `path` names, by its spelling alone (and, for `//name/…`, whether `/name` exists
/// here: a local path of that form stays local). ERROR_INVALID_NAME for a NUL or a character
/// Windows refuses, ERROR_BAD_NETPATH for a UNC path without a server or share or climbing
/// above its share.
pub fn classify(path: &str) -> Result<NetPath, WinError> {
    if !may_be_network_path(path) {
        return Ok(NetPath::Local);
    }
    if path.contains('\0') {
        return Err(WinError::new(codes::ERROR_INVALID_NAME));
    }
    let trailing = path.ends_with(is_separator);
    if let Some(rest) = path.get(2..)
        && path.as_bytes()[1] == b':'
    {
        let letter = LocalName::new(&path[..2]);
        let rest = components(rest, None)?;
        let trailing = trailing && !rest.is_empty();
        return Ok(NetPath::Drive {
            letter,
            rest,
            trailing,
        });
    }
    let after = &path[2..];
    if path.starts_with("//") {
        // `//usr/lib` is a local path too (POSIX leaves two leading slashes to the system;
        // Linux reads them as one): it stays local when `/usr` exists here.
        let first = after.split(is_separator).next().unwrap_or_default();
        if !first.is_empty() && Path::new("/").join(first).symlink_metadata().is_ok() {
            return Ok(NetPath::Local);
        }
    }
    let bad_path = || WinError::new(codes::ERROR_BAD_NETPATH);
    let mut parts = after.splitn(3, is_separator);
    let server = parts.next().unwrap_or_default();
    let share = parts.next().unwrap_or_default();
    let below = parts.next().unwrap_or_default();
    if server.is_empty() || share.is_empty() || share == "." || share == ".." {
        return Err(bad_path());
    }
    let share = UncName::parse(&format!(r"\\{server}\{share}")).map_err(|error| {
        if error.code == codes::ERROR_INVALID_PARAMETER {
            WinError::new(codes::ERROR_INVALID_NAME)
        } else {
            error
        }
    })?;
    let rest = components(below, Some(codes::ERROR_BAD_NETPATH))?;
    let trailing = trailing && !rest.is_empty();
    Ok(NetPath::Unc {
        share,
        rest,
        trailing,
    })
}

/// A mount point found, with the device it was on then.
#[derive(Debug, Clone)]
struct Mounted {
    path: PathBuf,
    device: u64,
}

impl Mounted {
    /// The mount point, if the same file system is still mounted there.
    fn current(&self) -> Option<&Path> {
        let now = std::fs::metadata(&self.path).ok()?;
        (now.dev() == self.device).then_some(self.path.as_path())
    }

    /// `path` as found now: it must be a mount point (on another device than its parent).
    fn find(path: PathBuf) -> Result<Mounted, WinError> {
        let not_mounted = |why: String| {
            WinError::with_cause(
                codes::ERROR_PATH_NOT_FOUND,
                Cause::LocalPath(format!("{}: {why}", path.display())),
            )
        };
        let device = std::fs::metadata(&path)
            .map_err(|error| not_mounted(error.to_string()))?
            .dev();
        let parent = path
            .parent()
            .and_then(|parent| std::fs::metadata(parent).ok())
            .map(|meta| meta.dev());
        if parent == Some(device) {
            return Err(not_mounted("nothing is mounted there".into()));
        }
        Ok(Mounted { path, device })
    }
}

/// The mount points found, by `server\share` (lower case) or drive letter.
static MOUNTED: Mutex<Option<HashMap<String, Mounted>>> = Mutex::new(None);

fn remembered(key: &str) -> Option<PathBuf> {
    let mounted = MOUNTED.lock().unwrap_or_else(PoisonError::into_inner);
    let found = mounted.as_ref()?.get(key)?;
    found.current().map(Path::to_path_buf)
}

fn remember(key: String, mounted: Mounted) {
    MOUNTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(key, mounted);
}

/// Where the agent serves `share`, connecting it implicitly if it is not connected.
fn served_share(share: &UncName) -> Result<PathBuf, WinError> {
    let key = format!(
        "{}\\{}",
        share.server.to_lowercase(),
        share.share.as_deref().unwrap_or_default().to_lowercase()
    );
    if let Some(path) = remembered(&key) {
        return Ok(path);
    }
    let credentials = resolve_credentials(&share.server, None, None)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::ServeShare {
        remote_name: share.clone(),
        credentials,
        logon: Logon::of_caller(),
    })?;
    let Response::Served { mount_point } = response else {
        return Err(unexpected(&response));
    };
    let mounted = Mounted::find(crate::drives::path_from_text(&mount_point))?;
    let path = mounted.path.clone();
    remember(key, mounted);
    Ok(path)
}

/// Where the drive `letter` is mounted: ERROR_PATH_NOT_FOUND when it is not redirected.
fn drive_root(letter: &LocalName) -> Result<PathBuf, WinError> {
    let key = letter.as_str().to_owned();
    if let Some(path) = remembered(&key) {
        return Ok(path);
    }
    let not_found = || {
        WinError::with_cause(
            codes::ERROR_PATH_NOT_FOUND,
            Cause::LocalPath(format!("{letter} is not redirected")),
        )
    };
    let table = connections().map_err(|_| not_found())?;
    let mount_point = table
        .iter()
        .find(|entry| entry.has_local_name(letter))
        .and_then(|entry| entry.mount_point.clone())
        .ok_or_else(not_found)?;
    let mounted =
        Mounted::find(crate::drives::path_from_text(&mount_point)).map_err(|_| not_found())?;
    let path = mounted.path.clone();
    remember(key, mounted);
    Ok(path)
}

fn joined(mut root: PathBuf, rest: &[String], trailing: bool) -> PathBuf {
    root.extend(rest);
    if trailing {
        root.as_mut_os_string().push("/");
    }
    root
}

/// The local path `path` stands for: under the agent's mount of its share for a UNC path
/// (connecting the share implicitly, as Windows does, when it is not connected), under the
/// drive's mount point for a redirected drive letter, `path` itself for any other. Errors are
/// Windows' for the same path: ERROR_BAD_NETPATH, ERROR_BAD_NET_NAME, ERROR_LOGON_FAILURE… of
/// the implicit connection, ERROR_PATH_NOT_FOUND for a drive letter that is not redirected,
/// ERROR_INVALID_NAME or ERROR_BAD_NETPATH for a malformed path ([`classify`]). The result
/// never names a place outside the share or drive.
pub fn local_path_for(path: &str) -> Result<PathBuf, WinError> {
    match classify(path)? {
        NetPath::Local => Ok(PathBuf::from(path)),
        NetPath::Unc {
            share,
            rest,
            trailing,
        } => Ok(joined(served_share(&share)?, &rest, trailing)),
        NetPath::Drive {
            letter,
            rest,
            trailing,
        } => Ok(joined(drive_root(&letter)?, &rest, trailing)),
    }
}

/// Whether the path support is on: unless `WNET_PATHS` is `0`, `off`, `no` or `false`.
pub fn path_support_enabled() -> bool {
    !wnet_host::env_var("WNET_PATHS").is_some_and(|value| {
        ["0", "off", "no", "false"]
            .iter()
            .any(|off| value.trim().eq_ignore_ascii_case(off))
    })
}

/// Whether `path` names a network or drive path ([`classify`] is not `Local`; a malformed
/// network path is one too).
pub fn is_network_path(path: &str) -> bool {
    !matches!(classify(path), Ok(NetPath::Local))
}

/// The Win32 code Windows gives a file call failing with `errno` (ERROR_FILE_NOT_FOUND for
/// ENOENT, ERROR_ACCESS_DENIED for EACCES…), for the `winerror` of an `OSError` raised by a
/// file call on a network path.
pub fn code_for_errno(errno: i32) -> u32 {
    use nix::errno::Errno;
    match Errno::from_raw(errno) {
        Errno::ENOENT => codes::ERROR_FILE_NOT_FOUND,
        Errno::EACCES | Errno::EPERM | Errno::EISDIR | Errno::EROFS => codes::ERROR_ACCESS_DENIED,
        Errno::EEXIST => codes::ERROR_ALREADY_EXISTS,
        Errno::ENOTEMPTY => codes::ERROR_DIR_NOT_EMPTY,
        Errno::ENOTDIR => codes::ERROR_DIRECTORY,
        Errno::ENOSPC => codes::ERROR_DISK_FULL,
        Errno::EBUSY => codes::ERROR_SHARING_VIOLATION,
        Errno::EXDEV => codes::ERROR_NOT_SAME_DEVICE,
        Errno::ENAMETOOLONG => codes::ERROR_FILENAME_EXCED_RANGE,
        Errno::EINVAL => codes::ERROR_INVALID_PARAMETER,
        Errno::ENOTCONN | Errno::ECONNRESET | Errno::EIO => codes::ERROR_UNEXP_NET_ERR,
        Errno::ETIMEDOUT => codes::ERROR_SEM_TIMEOUT,
        _ => codes::ERROR_GEN_FAILURE,
    }
}

/// Forgets the mount points remembered for this process (after this process cancelled a
/// connection: the next use asks again).
pub fn forget_served_paths() {
    *MOUNTED.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(path: &str) -> u32 {
        classify(path).map_or_else(|error| error.code, |named| panic!("{path}: {named:?}"))
    }

    fn unc(path: &str) -> (String, Vec<String>) {
        match classify(path) {
            Ok(NetPath::Unc { share, rest, .. }) => (share.to_string(), rest),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn local_paths_are_told_by_their_first_two_characters() {
        for local in [
            "",
            "a",
            "/",
            "/tmp/x",
            "./x",
            "relative\\name",
            "a/b",
            "é:",
            "1:x",
        ] {
            assert!(!may_be_network_path(local), "{local:?}");
            assert_eq!(classify(local).unwrap(), NetPath::Local, "{local:?}");
        }
        for network in [r"\\s\x", "//s/x", r"\/s", "Z:", "z:\\", "c:/x", "q:x"] {
            assert!(may_be_network_path(network), "{network:?}");
        }
    }

    #[test]
    fn unc_paths_in_either_form_name_their_share_and_the_path_below() {
        for path in [
            r"\\server\share\dir\f.txt",
            "//server/share/dir/f.txt",
            r"\\server/share\dir//./f.txt",
            r"\\server\share\dir\sub\..\f.txt",
        ] {
            let (share, rest) = unc(path);
            assert_eq!(share, r"\\server\share", "{path}");
            assert_eq!(rest, ["dir", "f.txt"], "{path}");
        }
        assert_eq!(unc(r"\\server\share").1, Vec::<String>::new());
        assert_eq!(unc(r"\\server\share\").1, Vec::<String>::new());
        let Ok(NetPath::Unc { trailing, .. }) = classify(r"\\s\x\dir\") else {
            panic!("not a UNC path");
        };
        assert!(trailing);
    }

    /// A local path spelled `//name/…` stays local when `/name` exists here.
    #[test]
    fn double_slash_local_paths_stay_local() {
        assert_eq!(classify("//tmp/x").unwrap(), NetPath::Local);
        assert_eq!(
            unc("//no-such-root-dir-for-wnet/share").0,
            r"\\no-such-root-dir-for-wnet\share"
        );
    }

    #[test]
    fn malformed_unc_paths_are_windows_errors_never_local() {
        for path in [
            r"\\server",
            r"\\server\",
            r"\\\\x",
            r"\\\x\y",
            r"\\server\\f",
            r"\\server\..\f",
            r"\\server\.\f",
            r"\\server\share\..",
            r"\\server\share\..\other\f",
            r"\\server\share\a\..\..\f",
            "//no-such-root-dir-for-wnet",
        ] {
            assert_eq!(code(path), codes::ERROR_BAD_NETPATH, "{path}");
        }
        for path in [
            "\\\\server\\share\\a\0b",
            "\\\\server\0x\\share",
            r"\\server\share\a<b",
            r"\\server\share\a:b",
            "\\\\server\\share\\a\u{1}",
            "Z:\\a\0b",
            "Z:\\a?",
        ] {
            assert_eq!(code(path), codes::ERROR_INVALID_NAME, "{path:?}");
        }
        assert_eq!(code(r"\\se*rver\share"), codes::ERROR_BAD_NETPATH);
    }

    #[test]
    fn drive_paths_name_their_letter_and_stay_at_its_root() {
        for (path, rest) in [
            (r"z:\reports\q3.txt", &["reports", "q3.txt"][..]),
            ("Z:/reports/q3.txt", &["reports", "q3.txt"][..]),
            (r"Z:reports\q3.txt", &["reports", "q3.txt"][..]),
            (r"Z:\..\..\reports\x\..\q3.txt", &["reports", "q3.txt"][..]),
            ("Z:", &[][..]),
            (r"Z:\", &[][..]),
        ] {
            match classify(path) {
                Ok(NetPath::Drive {
                    letter, rest: got, ..
                }) => {
                    assert_eq!(letter.as_str(), "Z:", "{path}");
                    assert_eq!(got, rest, "{path}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
    }

    #[test]
    fn file_errors_get_windows_codes() {
        assert_eq!(code_for_errno(2), codes::ERROR_FILE_NOT_FOUND);
        assert_eq!(code_for_errno(13), codes::ERROR_ACCESS_DENIED);
        assert_eq!(code_for_errno(17), 183);
        assert_eq!(code_for_errno(39), 145);
        assert!(is_network_path(r"\\s\x") && is_network_path(r"\\") && is_network_path("Z:"));
        assert!(!is_network_path("/tmp") && !is_network_path("//tmp/x"));
    }

    #[test]
    fn paths_below_a_root_are_joined_under_it() {
        let root = PathBuf::from("/run/wnet/unc/s/x");
        assert_eq!(
            joined(root.clone(), &["a".into(), "b".into()], false),
            PathBuf::from("/run/wnet/unc/s/x/a/b")
        );
        assert_eq!(
            joined(root.clone(), &["a".into()], true).as_os_str(),
            "/run/wnet/unc/s/x/a/"
        );
        assert_eq!(joined(root.clone(), &[], false), root);
    }
}
