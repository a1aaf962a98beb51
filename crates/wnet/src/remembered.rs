//! Remembered (persistent) connections: what `net use /persistent:yes` and
//! `CONNECT_UPDATE_PROFILE` keep, and Windows keeps under `HKCU\Network\<letter>`.
//!
//! The store is a JSON file, `<config_dir>/remembered.json`:
//!
//! ```text
//! {"version": 1, "connections": [{"local_name": "Z:", "remote_name": "\\\\server\\share", ...}]}
//! ```
//!
//! It never holds a password: a remembered connection is restored with the default
//! credentials (see [`crate::credentials`]) or the user name it remembers.
//!
//! It is read only if it is a regular file of the user's that group and others cannot write,
//! in a directory of the user's that they cannot write either (no symbolic links followed);
//! anything else is [`RememberedError::Io`] saying what is wrong. See `wnet_host::user_state`.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config_dir::config_dir;
use crate::drives::LocalName;
use crate::error::{Cause, WinError, codes};

/// The version of the file format this module reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The name of the store in the configuration directory.
pub const REMEMBERED_FILE_NAME: &str = "remembered.json";

/// `<config_dir>/remembered.json` (see [`config_dir`]).
pub fn remembered_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join(REMEMBERED_FILE_NAME))
}

/// One remembered connection. There is no password field, and there never will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedConnection {
    /// The local name: a drive letter such as `Z:`, or an absolute directory (a mount point).
    pub local_name: String,
    /// The network resource, `\\server\share`.
    pub remote_name: String,
    /// The user the connection was made as; empty for the default credentials.
    #[serde(default)]
    pub user_name: String,
    /// The provider's name (normally [`crate::resource::PROVIDER_NAME`]).
    pub provider: String,
    /// The resource type (`RESOURCETYPE_DISK`, ...).
    pub resource_type: u32,
    /// The connection flags it was made with (`CONNECT_*`).
    #[serde(default)]
    pub flags: u32,
}

/// The file as it is written.
#[derive(Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    connections: Vec<RememberedConnection>,
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RememberedError {
    /// The file could not be read, or written.
    #[error("remembered connections {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file is not the JSON this module writes.
    #[error("remembered connections {} are corrupt: {source}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// The file was written by a newer (or unknown) version of wnet.
    #[error(
        "remembered connections {} have format version {version}; this wnet reads version {}",
        path.display(),
        FORMAT_VERSION
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version it claims.
        version: u64,
    },
}

impl RememberedError {
    /// The Win32 code the WNet functions report for it: ERROR_CANNOT_OPEN_PROFILE when the
    /// file cannot be read or written, ERROR_BAD_PROFILE when its contents make no sense.
    pub fn win32_code(&self) -> u32 {
        match self {
            RememberedError::Io { .. } => codes::ERROR_CANNOT_OPEN_PROFILE,
            RememberedError::Corrupt { .. } | RememberedError::UnsupportedVersion { .. } => {
                codes::ERROR_BAD_PROFILE
            }
        }
    }

    /// The error as a WNet function returns it, with this error's text as its cause.
    pub fn to_win_error(&self) -> WinError {
        let cause = match self {
            RememberedError::Io { source, .. } => source
                .raw_os_error()
                .map_or_else(|| Cause::Profile(self.to_string()), Cause::Os),
            _ => Cause::Profile(self.to_string()),
        };
        WinError::with_cause(self.win32_code(), cause)
    }
}

/// Whether two local names are the same device ([`LocalName`]'s rule).
fn same_local(a: &str, b: &str) -> bool {
    LocalName::new(a) == LocalName::new(b)
}

/// The remembered connections of one user, and the file they live in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedStore {
    path: PathBuf,
    entries: Vec<RememberedConnection>,
}

impl RememberedStore {
    /// An empty store that [`RememberedStore::save`] will write to `path`.
    pub fn empty(path: &Path) -> RememberedStore {
        RememberedStore {
            path: path.to_owned(),
            entries: Vec::new(),
        }
    }

    /// Reads the store at `path`: empty if there is no file; [`RememberedError::Io`] if it
    /// cannot be read, [`RememberedError::Corrupt`] if it is not the expected JSON,
    /// [`RememberedError::UnsupportedVersion`] if another format version wrote it. Of two
    /// entries for the same local name the later wins.
    pub fn load(path: &Path) -> Result<RememberedStore, RememberedError> {
        let io_error = |source| RememberedError::Io {
            path: path.to_owned(),
            source,
        };
        // Only a file of ours that nobody else could have written, in a directory likewise.
        let file = match wnet_host::user_state::open_private_read(path) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(RememberedStore::empty(path)),
            Err(error) => return Err(io_error(io::Error::from(error))),
        };
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut &file, &mut bytes).map_err(io_error)?;
        RememberedStore::parse(&bytes, path)
    }

    /// Parses the bytes of a store file (see [`RememberedStore::load`]); `path` is where
    /// [`RememberedStore::save`] will write it and names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<RememberedStore, RememberedError> {
        let corrupt = |source| RememberedError::Corrupt {
            path: path.to_owned(),
            source,
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(corrupt)?;
        // The version is checked before the rest, so that a newer format is reported as such
        // rather than as corrupt.
        if let Some(version) = value.get("version").and_then(serde_json::Value::as_u64)
            && version != u64::from(FORMAT_VERSION)
        {
            return Err(RememberedError::UnsupportedVersion {
                path: path.to_owned(),
                version,
            });
        }
        let file: StoreFile = serde_json::from_value(value).map_err(corrupt)?;
        let mut store = RememberedStore::empty(path);
        for entry in file.connections {
            store.add(entry);
        }
        Ok(store)
    }

    /// The bytes [`RememberedStore::save`] writes: the store as JSON, with a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let file = StoreFile {
            version: FORMAT_VERSION,
            connections: self.entries.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// The file the store is read from and saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The remembered connections, in the order they were added.
    pub fn entries(&self) -> &[RememberedConnection] {
        &self.entries
    }

    /// The connection remembered for the local name `name` (`z:` finds `Z:`).
    pub fn find_local(&self, name: &str) -> Option<&RememberedConnection> {
        self.entries
            .iter()
            .find(|entry| same_local(&entry.local_name, name))
    }

    /// Remembers `entry`, replacing (in place) the connection remembered for the same local
    /// name, which is returned.
    pub fn add(&mut self, entry: RememberedConnection) -> Option<RememberedConnection> {
        if let Some(old) = self
            .entries
            .iter_mut()
            .find(|old| same_local(&old.local_name, &entry.local_name))
        {
            return Some(std::mem::replace(old, entry));
        }
        self.entries.push(entry);
        None
    }

    /// Forgets the connection remembered for the local name `name`, and returns it.
    pub fn remove_local(&mut self, name: &str) -> Option<RememberedConnection> {
        let position = self
            .entries
            .iter()
            .position(|entry| same_local(&entry.local_name, name))?;
        Some(self.entries.remove(position))
    }

    /// Writes the store to its file, replacing it whole, readable only by the user (0600, in a
    /// 0700 directory made if missing).
    pub fn save(&self) -> Result<(), RememberedError> {
        let io_error = |source| RememberedError::Io {
            path: self.path.clone(),
            source,
        };
        let bytes = self
            .to_bytes()
            .map_err(io::Error::other)
            .map_err(io_error)?;
        wnet_host::user_state::write_private(&self.path, &bytes).map_err(io_error)
    }
}

/// A failed restore's error, with what to do when it was the credentials.
pub fn restore_hint(error: WinError, remembered: &RememberedConnection) -> WinError {
    let credentials = matches!(
        error.code,
        codes::ERROR_LOGON_FAILURE | codes::ERROR_ACCESS_DENIED | codes::ERROR_INVALID_PASSWORD
    );
    if !credentials {
        return error;
    }
    let user = if remembered.user_name.is_empty() {
        "USER".to_owned()
    } else {
        remembered.user_name.clone()
    };
    WinError::with_cause(
        error.code,
        Cause::Other(format!(
            "the remembered connection {local} needs credentials; save them with `wnet use \
             {local} {remote} /user:{user} * /savecred`, or set WNET_USER and WNET_PASSWORD ({})",
            error
                .cause
                .map_or_else(String::new, |cause| cause.to_string()),
            local = remembered.local_name,
            remote = remembered.remote_name,
        )),
    )
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::resource::PROVIDER_NAME;
    use crate::test_dir::TempDir;

    fn entry(local: &str, remote: &str, user: &str) -> RememberedConnection {
        RememberedConnection {
            local_name: local.into(),
            remote_name: remote.into(),
            user_name: user.into(),
            provider: PROVIDER_NAME.into(),
            resource_type: 1,
            flags: 1,
        }
    }

    fn loaded(path: &Path) -> RememberedStore {
        RememberedStore::load(path).unwrap_or_else(|error| panic!("load: {error}"))
    }

    fn load_error(path: &Path, text: &str) -> RememberedError {
        fs::write(path, text).unwrap_or_else(|error| panic!("write: {error}"));
        RememberedStore::load(path).map_or_else(|error| error, |store| panic!("{text}: {store:?}"))
    }

    #[test]
    fn entries_survive_a_save_and_load_in_a_private_file() {
        let dir = TempDir::new("remembered");
        let path = dir.0.join("config").join(REMEMBERED_FILE_NAME);
        let mut store = loaded(&path);
        assert!(
            store.entries().is_empty(),
            "a missing file is an empty store"
        );
        assert_eq!(store.add(entry("Z:", r"\\labserver\public", "")), None);
        assert_eq!(
            store.add(entry("/mnt/data", r"\\files\data", r"WNETLAB\wnetalice")),
            None
        );
        store.save().unwrap_or_else(|error| panic!("save: {error}"));

        let mode = fs::metadata(&path).map_or_else(
            |error| panic!("stat: {error}"),
            |meta| meta.permissions().mode() & 0o777,
        );
        assert_eq!(mode, 0o600);
        let again = loaded(&path);
        assert_eq!(again, store);
        assert_eq!(again.path(), path);

        let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("read: {error}"));
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("json: {error}"));
        assert_eq!(json["version"], 1);
        assert_eq!(json["connections"][0]["remote_name"], r"\\labserver\public");
        assert!(!text.to_lowercase().contains("password"), "{text}");
        assert!(!text.to_lowercase().contains("secret"), "{text}");
    }

    #[test]
    fn add_replaces_and_remove_forgets_by_local_name() {
        let dir = TempDir::new("remembered");
        let mut store = RememberedStore::empty(&dir.0.join(REMEMBERED_FILE_NAME));
        store.add(entry("Z:", r"\\a\one", ""));
        store.add(entry("Y:", r"\\a\two", ""));
        store.add(entry("/mnt/x", r"\\a\three", ""));
        let old = store.add(entry("z:", r"\\b\four", "bob"));
        assert_eq!(old.map(|old| old.remote_name), Some(r"\\a\one".into()));
        assert_eq!(
            store
                .entries()
                .iter()
                .map(|entry| entry.remote_name.as_str())
                .collect::<Vec<_>>(),
            [r"\\b\four", r"\\a\two", r"\\a\three"]
        );
        assert_eq!(
            store
                .find_local("Z:")
                .map(|found| found.remote_name.as_str()),
            Some(r"\\b\four")
        );
        assert_eq!(
            store
                .find_local("y:")
                .map(|found| found.remote_name.as_str()),
            Some(r"\\a\two")
        );
        assert!(store.find_local("/mnt/x/").is_some());
        assert!(
            store.find_local("/MNT/X").is_none(),
            "directories keep their case"
        );
        assert!(store.find_local("X:").is_none());

        assert_eq!(
            store.remove_local("y:").map(|gone| gone.remote_name),
            Some(r"\\a\two".into())
        );
        assert!(store.remove_local("Y:").is_none());
        assert!(store.remove_local("/mnt/x").is_some());
        assert_eq!(store.entries().len(), 1);
        store.save().unwrap_or_else(|error| panic!("save: {error}"));
        assert_eq!(loaded(store.path()), store);
    }

    #[test]
    fn duplicate_entries_in_the_file_collapse_to_the_last() {
        let dir = TempDir::new("remembered");
        let path = dir.0.join(REMEMBERED_FILE_NAME);
        let file = StoreFile {
            version: 1,
            connections: vec![entry("Z:", r"\\a\one", ""), entry("z:", r"\\a\two", "")],
        };
        let text = serde_json::to_string(&file).unwrap_or_else(|error| panic!("{error}"));
        fs::write(&path, text).unwrap_or_else(|error| panic!("write: {error}"));
        let store = loaded(&path);
        assert_eq!(store.entries().len(), 1);
        assert_eq!(store.entries()[0].remote_name, r"\\a\two");
    }

    #[test]
    fn corrupt_files_and_unknown_versions_are_bad_profiles() {
        let dir = TempDir::new("remembered");
        let path = dir.0.join(REMEMBERED_FILE_NAME);
        for text in [
            "",
            "not json",
            "{\"version\":1,\"connections\":[",
            "{\"connections\":[]}",
            "{\"version\":1}",
            "{\"version\":1,\"connections\":[{\"local_name\":\"Z:\"}]}",
            "[]",
        ] {
            let error = load_error(&path, text);
            assert!(
                matches!(error, RememberedError::Corrupt { .. }),
                "{text}: {error:?}"
            );
            assert_eq!(error.win32_code(), codes::ERROR_BAD_PROFILE);
            assert_eq!(error.to_win_error().code, codes::ERROR_BAD_PROFILE);
        }
        let error = load_error(&path, "{\"version\":2,\"connections\":[],\"extra\":true}");
        assert!(
            matches!(
                error,
                RememberedError::UnsupportedVersion { version: 2, .. }
            ),
            "{error:?}"
        );
        assert_eq!(error.win32_code(), codes::ERROR_BAD_PROFILE);
        assert!(error.to_string().contains("version 2"), "{error}");

        // Fields this version does not know are ignored (a password would not be read).
        fs::write(
            &path,
            "{\"version\":1,\"connections\":[{\"local_name\":\"Z:\",\"remote_name\":\"\\\\\\\\s\\\\t\",\
             \"provider\":\"p\",\"resource_type\":1,\"password\":\"x\"}]}",
        )
        .unwrap_or_else(|error| panic!("write: {error}"));
        let store = loaded(&path);
        assert_eq!(store.entries()[0].remote_name, r"\\s\t");
        assert_eq!(store.entries()[0].user_name, "");
    }

    #[test]
    fn an_unreadable_file_cannot_open_the_profile() {
        let dir = TempDir::new("remembered");
        // A directory where the file should be cannot be read, even by root.
        let path = dir.0.join(REMEMBERED_FILE_NAME);
        fs::create_dir(&path).unwrap_or_else(|error| panic!("mkdir: {error}"));
        let error =
            RememberedStore::load(&path).map_or_else(|error| error, |store| panic!("{store:?}"));
        assert!(matches!(error, RememberedError::Io { .. }), "{error:?}");
        assert_eq!(error.win32_code(), codes::ERROR_CANNOT_OPEN_PROFILE);
        let win = error.to_win_error();
        assert_eq!(win.code, codes::ERROR_CANNOT_OPEN_PROFILE);
        // The cause says what is wrong (it is checked on the open file, not left to read(2)).
        assert!(
            matches!(&win.cause, Some(Cause::Profile(text)) if text.contains("not a regular file")),
            "{win:?}"
        );
        // Nor can a store be saved there.
        let error = RememberedStore::empty(&path)
            .save()
            .map_or_else(|error| error, |()| panic!("saved over a directory"));
        assert_eq!(error.win32_code(), codes::ERROR_CANNOT_OPEN_PROFILE);
    }

    #[test]
    fn a_store_another_user_could_have_written_is_refused_and_not_followed() {
        let dir = TempDir::new("remembered");
        let path = dir.0.join(REMEMBERED_FILE_NAME);
        let mut store = RememberedStore::empty(&path);
        store.add(entry("Z:", "\\\\server\\share", "alice"));
        store.save().unwrap_or_else(|error| panic!("save: {error}"));
        assert_eq!(loaded(&path).entries().len(), 1);

        // A link to a store elsewhere.
        let link_dir = TempDir::new("remembered");
        let link = link_dir.0.join(REMEMBERED_FILE_NAME);
        std::os::unix::fs::symlink(&path, &link).unwrap_or_else(|error| panic!("{error}"));
        let error = RememberedStore::load(&link).map_or_else(|error| error, |s| panic!("{s:?}"));
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(error.win32_code(), codes::ERROR_CANNOT_OPEN_PROFILE);

        // A store others may write.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666))
            .unwrap_or_else(|error| panic!("chmod: {error}"));
        let error = RememberedStore::load(&path).map_or_else(|error| error, |s| panic!("{s:?}"));
        assert!(
            error.to_string().contains("writable by other users"),
            "{error}"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|error| panic!("chmod: {error}"));

        // Another user's store (root can make one; CI runs the tests as root).
        if wnet_host::user_state::current_uid() == Some(0) {
            std::os::unix::fs::chown(&path, Some(65_534), Some(65_534))
                .unwrap_or_else(|error| panic!("chown: {error}"));
            let error =
                RememberedStore::load(&path).map_or_else(|error| error, |s| panic!("{s:?}"));
            assert!(error.to_string().contains("owned by uid 65534"), "{error}");
        }
    }
}
