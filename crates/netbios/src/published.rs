//! The session tables of this user's NetBIOS programs, for `wnet nbtstat -s`.
//!
//! Sessions live in the process that made them, as on Windows they live in the NetBT driver;
//! to show them machine-wide (per user, here), each engine writes its LANAs' tables to
//! `sessions-<pid>-<lana>.json` in a private directory whenever they change, and removes the
//! file when the table empties. Readers skip files whose process is gone.
//!
//! The directory is `$WNET_NETBIOS_STATE_DIR`, else `$XDG_RUNTIME_DIR/wnet/netbios`, else
//! `/tmp/wnet-<uid>/netbios`; it is created 0700 and files 0600, and both are checked as
//! `wnet_host::user_state` describes: nothing is published into a directory that is not ours,
//! and a table file that is not ours (or that others could write) is not shown.

use std::fs;
use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wnet_host::user_state::{
    DirRule, StateError, check_dir, open_private_read, private_runtime_dir, user_runtime_dir,
    write_private,
};

/// One session as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedSession {
    /// The process that holds it.
    pub pid: u32,
    /// Its LANA.
    pub lana: u8,
    /// Its local session number.
    pub lsn: u8,
    /// Our name (16 bytes).
    pub local_name: Vec<u8>,
    /// The peer's name (16 bytes).
    pub remote_name: Vec<u8>,
    /// Whether we called (out) or listened (in).
    pub outgoing: bool,
    /// The peer's address.
    pub remote: SocketAddrV4,
}

/// Where the tables are published.
pub fn state_dir() -> PathBuf {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = set("WNET_NETBIOS_STATE_DIR") {
        PathBuf::from(dir)
    } else {
        user_runtime_dir().join("netbios")
    }
}

/// [`state_dir`], checked: the runtime directory as private (0700, ours), the directory
/// itself as ours and not writable by others (made if missing when `create`).
fn checked_state_dir(create: bool) -> Result<PathBuf, StateError> {
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let dir = match set("WNET_NETBIOS_STATE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => private_runtime_dir()?.join("netbios"),
    };
    check_dir(&dir, DirRule::NotWritableByOthers, create)?;
    Ok(dir)
}

/// Replaces LANA `lana`'s published table of this process with `sessions` (removes it when
/// empty). Failures are logged: showing sessions must never break them.
pub(crate) fn publish(lana: u8, sessions: &[PublishedSession]) {
    let dir = match checked_state_dir(!sessions.is_empty()) {
        Ok(dir) => dir,
        Err(error) => {
            tracing::warn!("not publishing the session table: {error}");
            return;
        }
    };
    let path = dir.join(format!("sessions-{}-{lana}.json", std::process::id()));
    let outcome = if sessions.is_empty() {
        match fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    } else {
        write_atomically(&path, sessions)
    };
    if let Err(error) = outcome {
        tracing::debug!(
            "cannot publish the session table in {}: {error}",
            dir.display()
        );
    }
}

fn write_atomically(path: &Path, sessions: &[PublishedSession]) -> std::io::Result<()> {
    let body = serde_json::to_vec(sessions).map_err(std::io::Error::other)?;
    write_private(path, &body)
}

/// Every published session of live processes, by process, LANA and LSN.
pub fn published_sessions() -> Vec<PublishedSession> {
    let dir = match checked_state_dir(false) {
        Ok(dir) => dir,
        Err(error) => {
            tracing::warn!("not reading published session tables: {error}");
            return Vec::new();
        }
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut sessions: Vec<PublishedSession> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("sessions-") && name.ends_with(".json")
        })
        .filter_map(|entry| read_table(&entry.path()))
        .filter_map(|bytes| serde_json::from_slice::<Vec<PublishedSession>>(&bytes).ok())
        .flatten()
        .filter(|session| Path::new(&format!("/proc/{}", session.pid)).exists())
        .collect();
    sessions.sort_by_key(|session| (session.pid, session.lana, session.lsn));
    sessions
}

/// The bytes of a published table, if it is a file of ours that nobody else could have written.
fn read_table(path: &Path) -> Option<Vec<u8>> {
    let file = match open_private_read(path) {
        Ok(file) => file?,
        Err(error) => {
            tracing::warn!("ignoring a published session table: {error}");
            return None;
        }
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;

    use super::*;

    #[test]
    fn tables_are_published_read_back_and_removed() {
        let dir = std::env::temp_dir().join(format!("wnet-published-{}", std::process::id()));
        let session = PublishedSession {
            pid: std::process::id(),
            lana: 3,
            lsn: 1,
            local_name: b"LOCAL           ".to_vec(),
            remote_name: b"REMOTE          ".to_vec(),
            outgoing: true,
            remote: "127.0.0.9:139".parse().unwrap(),
        };
        let path = dir.join("sessions-1-3.json");
        write_atomically(&path, std::slice::from_ref(&session)).unwrap();
        let mode = fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let read: Vec<PublishedSession> =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(read, [session]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tables_others_could_have_written_are_not_read() {
        let dir =
            std::env::temp_dir().join(format!("wnet-published-planted-{}", std::process::id()));
        let path = dir.join("sessions-1-3.json");
        write_atomically(&path, &[]).unwrap();
        assert_eq!(read_table(&path).as_deref(), Some(&b"[]"[..]));
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
        assert_eq!(read_table(&path), None);
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        if wnet_host::user_state::current_uid() == Some(0) {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            assert_eq!(read_table(&path), None);
        }
        let link = dir.join("sessions-2-3.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert_eq!(read_table(&link), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
