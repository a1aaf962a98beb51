//! The session tables of this user's NetBIOS programs, for `wnet nbtstat -s`.
//!
//! Sessions live in the process that made them, as on Windows they live in the NetBT driver;
//! to show them machine-wide (per user, here), each engine writes its LANAs' tables to
//! `sessions-<pid>-<lana>.json` in a private directory whenever they change, and removes the
//! file when the table empties. Readers skip files whose process is gone.
//!
//! The directory is `$WNET_NETBIOS_STATE_DIR`, else `$XDG_RUNTIME_DIR/wnet/netbios`, else
//! `/tmp/wnet-<uid>/netbios`; it is created 0700 and files 0600.

use std::fs;
use std::net::SocketAddrV4;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wnet_nbt::user_state::{user_runtime_dir, write_private};

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

/// Replaces LANA `lana`'s published table of this process with `sessions` (removes it when
/// empty). Failures are logged: showing sessions must never break them.
pub(crate) fn publish(lana: u8, sessions: &[PublishedSession]) {
    let dir = state_dir();
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
    let Ok(entries) = fs::read_dir(state_dir()) else {
        return Vec::new();
    };
    let mut sessions: Vec<PublishedSession> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("sessions-") && name.ends_with(".json")
        })
        .filter_map(|entry| fs::read(entry.path()).ok())
        .filter_map(|bytes| serde_json::from_slice::<Vec<PublishedSession>>(&bytes).ok())
        .flatten()
        .filter(|session| Path::new(&format!("/proc/{}", session.pid)).exists())
        .collect();
    sessions.sort_by_key(|session| (session.pid, session.lana, session.lsn));
    sessions
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
}
