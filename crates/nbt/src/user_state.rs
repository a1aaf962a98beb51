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

/// The name `/etc/passwd` gives `uid`, if it lists it (users only a directory service knows
/// are not found).
pub fn user_name_of(uid: u32) -> Option<String> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    user_name_in_passwd(&passwd, uid)
}

/// The name of `uid` in the text of a passwd file (`name:password:uid:gid:…` lines).
fn user_name_in_passwd(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next().filter(|name| !name.is_empty())?;
        let listed: u32 = fields.nth(1)?.parse().ok()?;
        (listed == uid).then(|| name.to_owned())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_is_named_by_its_passwd_line() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      # a comment line\n\
                      broken line\n\
                      :x:5:5::/:/bin/false\n\
                      alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n";
        assert_eq!(user_name_in_passwd(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name_in_passwd(passwd, 1000).as_deref(), Some("alice"));
        // Unlisted, and a line with no name: not found.
        assert_eq!(user_name_in_passwd(passwd, 5), None);
        assert_eq!(user_name_in_passwd(passwd, 4242), None);
    }

    #[test]
    fn root_is_named_from_this_machine_s_passwd() {
        assert_eq!(user_name_of(0).as_deref(), Some("root"));
    }
}
