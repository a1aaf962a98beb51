//! The resolver's name cache, kept between `wnet` runs in a per-user file, so that
//! `wnet nbtstat -c` shows what earlier lookups learned and later lookups reuse it (until the
//! agent holds the cache, this file is where it lives).
//!
//! The file is `$WNET_NAME_CACHE` if set, else `$XDG_RUNTIME_DIR/wnet/name-cache.json`, else
//! `/tmp/wnet-<uid>/name-cache.json`; its directory is made private (0700) and checked as
//! `wnet_host::user_state` describes. It is rewritten whole, through a temporary file and a
//! rename, so a reader never sees half of it. A missing or unreadable file is an empty cache:
//! the cache is an optimisation, never a reason to fail. A file another user could have
//! written (not ours, writable by group or others, a link) is ignored with a warning, so that
//! nobody can make a name resolve to an address of their choosing.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use wnet_host::user_state::{
    open_private_read, private_runtime_dir, user_runtime_dir, write_private,
};
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::wire::{NetbiosName, ScopedName};

/// One cached answer as the file stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheFileEntry {
    /// The 16 bytes of the name (15 characters and the suffix byte), in hex.
    pub name: String,
    /// The scope ID, empty for none.
    pub scope: String,
    /// The addresses the name maps to.
    pub addresses: Vec<Ipv4Addr>,
    /// Whether it is a group name.
    pub group: bool,
    /// When the answer stops being valid, in seconds since the Unix epoch.
    pub expires_unix: u64,
}

impl CacheFileEntry {
    /// The name and scope, if the stored text is a valid name.
    pub fn scoped_name(&self) -> Option<ScopedName> {
        let bytes = hex_decode(&self.name)?;
        let name = NetbiosName::from_bytes(bytes);
        ScopedName::with_scope(name, &self.scope).ok()
    }

    /// Time left at `now` (zero once expired, and for an expiry no clock can hold: the file
    /// is anyone's to write, and `SystemTime` addition panics on overflow).
    pub fn remaining(&self, now: SystemTime) -> Duration {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(self.expires_unix))
            .and_then(|expires| expires.duration_since(now).ok())
            .unwrap_or(Duration::ZERO)
    }
}

/// Where the cache file is.
pub(crate) fn cache_path() -> PathBuf {
    if let Some(path) = std::env::var_os("WNET_NAME_CACHE").filter(|path| !path.is_empty()) {
        return PathBuf::from(path);
    }
    // The checked directory; if it is refused, the unchecked path, which `load` and `store`
    // then refuse too (the warning says why).
    let dir = private_runtime_dir().unwrap_or_else(|error| {
        tracing::warn!("the name cache is not kept: {error}");
        user_runtime_dir()
    });
    dir.join("name-cache.json")
}

/// The valid entries of the file at `path`, soonest to expire first.
pub(crate) fn load(path: &Path, now: SystemTime) -> Vec<CacheFileEntry> {
    let file = match open_private_read(path) {
        Ok(Some(file)) => file,
        Ok(None) => return Vec::new(),
        Err(error) => {
            tracing::warn!("ignoring the name cache: {error}");
            return Vec::new();
        }
    };
    let mut text = String::new();
    if let Err(error) = std::io::Read::read_to_string(&mut &file, &mut text) {
        tracing::warn!("ignoring the name cache {}: {error}", path.display());
        return Vec::new();
    }
    parse(&text, now).unwrap_or_else(|error| {
        tracing::warn!("ignoring the name cache {}: {error}", path.display());
        Vec::new()
    })
}

/// The valid entries of a cache file's text (unexpired at `now`, with a valid name), soonest
/// to expire first; an error if the text is not the JSON [`to_bytes`] writes.
pub fn parse(text: &str, now: SystemTime) -> Result<Vec<CacheFileEntry>, serde_json::Error> {
    let mut entries: Vec<CacheFileEntry> = serde_json::from_str(text)?;
    entries.retain(|entry| !entry.remaining(now).is_zero() && entry.scoped_name().is_some());
    entries.sort_by_key(|entry| entry.expires_unix);
    Ok(entries)
}

/// The text of a cache file holding `entries`.
pub fn to_bytes(entries: &[CacheFileEntry]) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(entries)
}

/// Puts the file's valid entries into `client`'s cache.
pub(crate) fn preload(client: &NameServiceClient, path: &Path) {
    let now = SystemTime::now();
    for entry in load(path, now) {
        if let Some(name) = entry.scoped_name() {
            let remaining = entry.remaining(now);
            client.remember(name, entry.addresses, entry.group, remaining);
        }
    }
}

/// Writes `client`'s cache to the file. Failures are logged, not returned: a lookup that
/// worked must not fail because its answer could not be kept.
pub(crate) fn store(client: &NameServiceClient, path: &Path) {
    let now = SystemTime::now();
    let entries: Vec<CacheFileEntry> = client
        .cached()
        .into_iter()
        .map(|(name, addresses, group, remaining)| CacheFileEntry {
            name: hex_encode(name.name.as_bytes()),
            scope: name.scope,
            addresses,
            group,
            expires_unix: (now + remaining)
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
        })
        .collect();
    if let Err(error) = write_atomically(path, &entries) {
        tracing::warn!("cannot keep the name cache in {}: {error}", path.display());
    }
}

fn write_atomically(path: &Path, entries: &[CacheFileEntry]) -> std::io::Result<()> {
    let body = to_bytes(entries).map_err(std::io::Error::other)?;
    write_private(path, &body)
}

fn hex_encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

fn hex_decode(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * index..2 * index + 2)?, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::MetadataExt as _;

    use super::*;

    fn entry(name: &str, expires_unix: u64) -> CacheFileEntry {
        let name = NetbiosName::new(name, 0x20).unwrap();
        CacheFileEntry {
            name: hex_encode(name.as_bytes()),
            scope: String::new(),
            addresses: vec![Ipv4Addr::new(198, 51, 100, 7)],
            group: false,
            expires_unix,
        }
    }

    #[test]
    fn names_round_trip_through_hex_and_bad_text_is_no_name() {
        let stored = entry("FILESRV", 0);
        let name = stored.scoped_name().unwrap();
        assert_eq!(name.name, NetbiosName::new("FILESRV", 0x20).unwrap());
        for bad in ["", "zz", &"g".repeat(32), &"é".repeat(16)] {
            assert_eq!(hex_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_expiry_no_clock_can_hold_is_dropped_not_a_panic() {
        let name = hex_encode(NetbiosName::new("FILESRV", 0x20).unwrap().as_bytes());
        let text = format!(
            r#"[{{"name":"{name}","scope":"","addresses":["198.51.100.7"],"group":false,"expires_unix":18446744073709551615}}]"#
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(parse(&text, now).unwrap(), []);
    }

    #[test]
    fn load_keeps_valid_entries_soonest_first_and_survives_garbage() {
        let dir = std::env::temp_dir().join(format!("wnet-cache-test-{}", std::process::id()));
        let path = dir.join("nested").join("name-cache.json");
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let entries = [
            entry("LATER", 1_500),
            entry("GONE", 999),
            entry("SOON", 1_100),
        ];
        write_atomically(&path, &entries).unwrap();
        let mode = fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let loaded = load(&path, now);
        let names: Vec<String> = loaded
            .iter()
            .map(|entry| entry.scoped_name().unwrap().name.name())
            .collect();
        assert_eq!(names, ["SOON", "LATER"]);
        assert_eq!(loaded[0].remaining(now), Duration::from_secs(100));

        write_private(&path, b"{not json").unwrap();
        assert!(load(&path, now).is_empty());
        assert!(load(&dir.join("missing.json"), now).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_cache_planted_by_another_user_is_ignored() {
        let dir = std::env::temp_dir().join(format!("wnet-cache-planted-{}", std::process::id()));
        let path = dir.join("name-cache.json");
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut planted = entry("FILESRV", 5_000);
        planted.addresses = vec![Ipv4Addr::new(6, 6, 6, 6)];
        write_atomically(&path, std::slice::from_ref(&planted)).unwrap();
        assert_eq!(load(&path, now).len(), 1, "ours is read");

        // Writable by others: anyone could have put 6.6.6.6 there.
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
        assert!(load(&path, now).is_empty());
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();

        // Another user's file (needs root to make one; CI runs the tests as root).
        if wnet_host::user_state::current_uid() == Some(0) {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            let loaded = load(&path, now);
            assert!(
                loaded
                    .iter()
                    .all(|entry| !entry.addresses.contains(&Ipv4Addr::new(6, 6, 6, 6))),
                "{loaded:?}"
            );
            assert!(loaded.is_empty());
        }

        // A link to a cache elsewhere is not followed.
        fs::remove_file(&path).unwrap();
        let elsewhere = dir.join("elsewhere.json");
        write_atomically(&elsewhere, std::slice::from_ref(&planted)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert!(load(&path, now).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
