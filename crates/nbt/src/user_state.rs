//! Where wnet keeps per-user state between runs (the resolver's cache, published NCB session
//! tables), and how it writes it: private to the user, replaced whole.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// The uid this process runs as (the owner of `/proc/self`); `None` without procfs.
pub fn current_uid() -> Option<u32> {
    fs::metadata("/proc/self").ok().map(|meta| meta.uid())
}

/// `$XDG_RUNTIME_DIR/wnet`, else `/tmp/wnet-<uid>`.
pub fn user_runtime_dir() -> PathBuf {
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        PathBuf::from(runtime).join("wnet")
    } else {
        let uid = current_uid().unwrap_or(0);
        PathBuf::from(format!("/tmp/wnet-{uid}"))
    }
}

/// Replaces the file at `path` with `bytes`: its directory is made (0700) if missing, the
/// file (0600) is written beside it and renamed over it, so that a reader never sees half.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    fs::rename(&temporary, path)
}
