//! Where wnet keeps per-user state between runs (the resolver's cache, published NCB session
//! tables, the agent's socket and log), and how it reads and writes it safely when other local
//! users share the machine.
//!
//! The rules, which every state file of wnet follows (here for the runtime directory, and in
//! `wnet::config_dir` for the configuration directory):
//!
//! - **Directories.** A state directory is used only if it is a real directory (not a symbolic
//!   link) owned by this user. A missing one is made with `mkdir` mode 0700 (never by
//!   following a link) and checked again. The runtime directory (`$XDG_RUNTIME_DIR/wnet`, else
//!   `/tmp/wnet-<uid>`) must also have no group or other permission bits: one of ours with
//!   looser bits is tightened to 0700, as tmux does; one owned by someone else, or a link, is
//!   an error ([`StateError`]) naming the path and what is wrong. There is no fallback name:
//!   the agent and its clients must agree on the path, so a hijacked `/tmp/wnet-<uid>` stops
//!   wnet until it is removed or `XDG_RUNTIME_DIR` is set. Other directories that hold state
//!   (the configuration directory, a directory named by a `WNET_*` variable) must not be
//!   writable by group or others.
//! - **Writing.** A state file is replaced whole ([`write_private`]): a temporary with an
//!   unpredictable name is created beside it with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600,
//!   written, flushed to disk and renamed over the file; on any error it is removed. A planted
//!   link at either name is replaced, never followed.
//! - **Reading.** A state file is opened with `O_NOFOLLOW` and checked on the open descriptor
//!   ([`open_private_read`]): a regular file, owned by this user, not writable by group or
//!   others. Anything else is refused, so another user cannot feed wnet a file.
//! - **Logs.** A log is opened for appending with `O_NOFOLLOW`, mode 0600, in a checked
//!   directory, and refused unless it is a regular file of ours ([`open_private_append`]).

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// How many temporary names [`write_private`] tries before it gives up.
const TEMPORARY_ATTEMPTS: usize = 16;

/// The uid this process runs as (the owner of `/proc/self`); `None` without procfs.
pub fn current_uid() -> Option<u32> {
    fs::metadata("/proc/self").ok().map(|meta| meta.uid())
}

/// Our uid for the ownership checks: an unknown uid is `u32::MAX`, which owns nothing, so the
/// checks fail closed.
fn my_uid() -> u32 {
    current_uid().unwrap_or(u32::MAX)
}

/// Why a state directory or file was refused.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// It belongs to another user (who may have made it to catch ours).
    #[error(
        "{} is owned by uid {owner}, not by you (uid {uid}), and wnet will not use it: remove \
         it, or set XDG_RUNTIME_DIR (WNET_CONFIG_DIR for the configuration) to a directory of \
         your own",
        path.display()
    )]
    OtherOwner {
        /// The directory or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// Our uid.
        uid: u32,
    },
    /// It is a symbolic link, which wnet does not follow for its private state.
    #[error("{} is a symbolic link, which wnet does not follow for its state: remove it", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A directory was expected.
    #[error("{} is not a directory", path.display())]
    NotDirectory {
        /// The path.
        path: PathBuf,
    },
    /// A regular file was expected (not a FIFO, device, socket or directory).
    #[error("{} is not a regular file", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
    },
    /// Group or other users may write it.
    #[error(
        "{} is writable by other users (mode {mode:04o}) and wnet will not use it: run \
         `chmod go-w {}`",
        path.display(),
        path.display()
    )]
    WritableByOthers {
        /// The directory or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The system refused an operation.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

impl From<StateError> for io::Error {
    fn from(error: StateError) -> io::Error {
        let kind = match &error {
            StateError::Io { source, .. } => source.kind(),
            StateError::NotDirectory { .. } => io::ErrorKind::NotADirectory,
            StateError::NotRegularFile { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::PermissionDenied,
        };
        io::Error::new(kind, error)
    }
}

/// What a checked directory must be besides ours and not a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirRule {
    /// No group or other permission bits (0700); looser bits are tightened. For the runtime
    /// directory, where the agent's socket lives.
    Private,
    /// Not writable by group or others; such a directory is refused, not changed. For
    /// directories the user chose (the configuration directory, `WNET_*` paths).
    NotWritableByOthers,
}

/// `$XDG_RUNTIME_DIR/wnet`, else `/tmp/wnet-<uid>` (the path only: see
/// [`private_runtime_dir`] for the checked directory).
pub fn user_runtime_dir() -> PathBuf {
    user_runtime_dir_in(
        std::env::var_os("XDG_RUNTIME_DIR").as_deref(),
        Path::new("/tmp"),
        my_uid(),
    )
}

/// [`user_runtime_dir`] from its inputs: `xdg/wnet` for a non-empty `xdg`, else
/// `fallback_base/wnet-<uid>`.
pub fn user_runtime_dir_in(xdg: Option<&OsStr>, fallback_base: &Path, uid: u32) -> PathBuf {
    match xdg.filter(|dir| !dir.is_empty()) {
        Some(runtime) => Path::new(runtime).join("wnet"),
        None => fallback_base.join(format!("wnet-{uid}")),
    }
}

/// The runtime directory ([`user_runtime_dir`]), made or checked ([`DirRule::Private`]).
pub fn private_runtime_dir() -> Result<PathBuf, StateError> {
    let dir = user_runtime_dir();
    check_dir(&dir, DirRule::Private, true)?;
    Ok(dir)
}

fn io_error<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Checks that `dir` is a directory owned by this user, not a symbolic link, and meets
/// `rule`. With `create`, a missing `dir` is made first (its missing parents and itself with
/// mode 0700). Returns whether it exists (always true with `create`).
pub fn check_dir(dir: &Path, rule: DirRule, create: bool) -> Result<bool, StateError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(StateError::Symlink {
                path: dir.to_owned(),
            });
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(StateError::NotDirectory {
                path: dir.to_owned(),
            });
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if !create {
                return Ok(false);
            }
            if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .map_err(io_error("create", parent))?;
            }
            // Not recursive: mkdir makes the last component itself, or fails if anything
            // (a link included) is there; whatever is there is then checked below.
            match fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(io_error("create", dir)(error)),
            }
        }
        Err(error) => return Err(io_error("inspect", dir)(error)),
    }
    // Checked on an open descriptor, so that what is checked is what is there now.
    let handle = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => StateError::Symlink {
                path: dir.to_owned(),
            },
            Some(libc::ENOTDIR) => StateError::NotDirectory {
                path: dir.to_owned(),
            },
            _ => io_error("open", dir)(error),
        })?;
    let meta = handle.metadata().map_err(io_error("inspect", dir))?;
    let uid = my_uid();
    if meta.uid() != uid {
        return Err(StateError::OtherOwner {
            path: dir.to_owned(),
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o7777;
    match rule {
        DirRule::Private if mode & 0o077 != 0 => {
            tracing::warn!("{} had mode {mode:04o}; tightened to 0700", dir.display());
            handle
                .set_permissions(fs::Permissions::from_mode(0o700))
                .map_err(io_error("change the mode of", dir))?;
        }
        DirRule::NotWritableByOthers if mode & 0o022 != 0 => {
            return Err(StateError::WritableByOthers {
                path: dir.to_owned(),
                mode,
            });
        }
        _ => {}
    }
    Ok(true)
}

/// The directory of `path` (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// An unpredictable suffix for a temporary name, so that nobody can plant something there
/// ahead of time (`O_EXCL` would refuse it anyway; this keeps a planted name from blocking us).
fn random_suffix() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher as _, Hasher as _};
        // The standard library's hasher keys are random per process.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish()
    })
}

/// Replaces the file at `path` with `bytes`, readable only by the user (0600). Its directory
/// is made (0700) if missing, else checked ([`DirRule::NotWritableByOthers`]); the bytes go to
/// a new temporary beside the file (`O_CREAT|O_EXCL|O_NOFOLLOW`, an unpredictable name),
/// which is flushed and renamed over `path`, so that a reader never sees half and a planted
/// link is replaced, not followed. The temporary is removed on any error.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_of(path);
    check_dir(dir, DirRule::NotWritableByOthers, true)?;
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    for _ in 0..TEMPORARY_ATTEMPTS {
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".{:016x}.tmp", random_suffix()));
        let temporary = dir.join(temporary_name);
        let opened = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temporary);
        let mut file = match opened {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        };
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::rename(&temporary, path));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        return written;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "no free temporary name beside {} after {TEMPORARY_ATTEMPTS} tries",
            path.display()
        ),
    ))
}

/// Checks an open state file: a regular file of ours, not writable by group or others.
fn check_file(file: &File, path: &Path) -> Result<(), StateError> {
    let meta = file.metadata().map_err(io_error("inspect", path))?;
    if !meta.is_file() {
        return Err(StateError::NotRegularFile {
            path: path.to_owned(),
        });
    }
    let uid = my_uid();
    if meta.uid() != uid {
        return Err(StateError::OtherOwner {
            path: path.to_owned(),
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(StateError::WritableByOthers {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

fn open_error<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(io::Error) -> StateError + 'a {
    move |error| match error.raw_os_error() {
        Some(libc::ELOOP) => StateError::Symlink {
            path: path.to_owned(),
        },
        _ => io_error(what, path)(error),
    }
}

/// Opens the state file at `path` for reading: `None` if there is none; an error if its
/// directory is not ours or writable by group or others ([`DirRule::NotWritableByOthers`]), or
/// if the file is a symbolic link, not a regular file, another user's, or writable by group or
/// others.
pub fn open_private_read(path: &Path) -> Result<Option<File>, StateError> {
    if !check_dir(parent_of(path), DirRule::NotWritableByOthers, false)? {
        return Ok(None);
    }
    // O_NONBLOCK: a FIFO planted under the name must not hang the open.
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(open_error(path, "open")(error)),
    };
    check_file(&file, path)?;
    Ok(Some(file))
}

/// Opens (creating, mode 0600) the log at `path` for appending, in a directory checked as
/// [`DirRule::Private`] (made if missing); refused unless it is a regular file of ours that
/// group and others cannot write, and never through a symbolic link.
pub fn open_private_append(path: &Path) -> Result<File, StateError> {
    check_dir(parent_of(path), DirRule::Private, true)?;
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(open_error(path, "open"))?;
    check_file(&file, path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt as _, symlink};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// The uid the tests give to "another user" (nobody).
    const OTHER: u32 = 65534;

    /// A fresh directory (0700, ours), removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Scratch {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "wnet-user-state-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Whether this test can give files to another uid (CI runs the tests as root).
    fn can_chown() -> bool {
        let root = current_uid() == Some(0);
        if !root {
            eprintln!("skipped: giving a file to another uid needs root");
        }
        root
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn the_runtime_directory_is_xdg_wnet_else_a_per_uid_name_in_the_base() {
        let base = Path::new("/base");
        assert_eq!(
            user_runtime_dir_in(Some(OsStr::new("/run/user/7")), base, 7),
            Path::new("/run/user/7/wnet")
        );
        assert_eq!(
            user_runtime_dir_in(Some(OsStr::new("")), base, 7),
            Path::new("/base/wnet-7")
        );
        assert_eq!(
            user_runtime_dir_in(None, base, 0),
            Path::new("/base/wnet-0")
        );
    }

    #[test]
    fn a_missing_runtime_directory_is_made_private() {
        let scratch = Scratch::new();
        let dir = user_runtime_dir_in(None, &scratch.0, 1000);
        assert!(check_dir(&dir, DirRule::Private, true).unwrap());
        assert_eq!(mode(&dir), 0o700);
        assert!(!check_dir(&scratch.0.join("absent"), DirRule::Private, false).unwrap());
    }

    #[test]
    fn a_hijacked_runtime_directory_is_refused_with_its_owner_named() {
        if !can_chown() {
            return;
        }
        let scratch = Scratch::new();
        let dir = user_runtime_dir_in(None, &scratch.0, 0);
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        std::os::unix::fs::chown(&dir, Some(OTHER), Some(OTHER)).unwrap();
        let error = check_dir(&dir, DirRule::Private, true).unwrap_err();
        assert!(
            matches!(
                error,
                StateError::OtherOwner {
                    owner: OTHER,
                    uid: 0,
                    ..
                }
            ),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&dir.display().to_string()), "{text}");
        assert!(text.contains("owned by uid 65534"), "{text}");
        assert!(text.contains("XDG_RUNTIME_DIR"), "{text}");
        // Left as it was: not tightened, not taken over.
        assert_eq!(mode(&dir), 0o777);
        // Nothing is written into it either.
        let error = write_private(&dir.join("name-cache.json"), b"[]").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_runtime_directory_of_ours_with_loose_bits_is_tightened() {
        let scratch = Scratch::new();
        let dir = scratch.0.join("wnet");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        check_dir(&dir, DirRule::Private, true).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // A directory the user chose is refused instead, and left alone.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o757)).unwrap();
        let error = check_dir(&dir, DirRule::NotWritableByOthers, true).unwrap_err();
        assert!(
            matches!(error, StateError::WritableByOthers { mode: 0o757, .. }),
            "{error:?}"
        );
        assert_eq!(mode(&dir), 0o757);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        check_dir(&dir, DirRule::NotWritableByOthers, true).unwrap();
    }

    #[test]
    fn a_symlinked_runtime_directory_is_refused() {
        let scratch = Scratch::new();
        let target = scratch.0.join("elsewhere");
        fs::create_dir(&target).unwrap();
        let dir = scratch.0.join("wnet");
        symlink(&target, &dir).unwrap();
        for rule in [DirRule::Private, DirRule::NotWritableByOthers] {
            let error = check_dir(&dir, rule, true).unwrap_err();
            assert!(matches!(error, StateError::Symlink { .. }), "{error:?}");
        }
        let error = write_private(&dir.join("state.json"), b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{error}");
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
    }

    #[test]
    fn planted_links_at_the_file_or_the_old_temporary_name_are_never_followed() {
        let scratch = Scratch::new();
        let victim = scratch.0.join("victim");
        fs::write(&victim, b"the victim's own text\n").unwrap();
        let state = scratch.0.join("state");
        fs::create_dir(&state).unwrap();
        let path = state.join("name-cache.json");
        // The name the old code wrote its temporary under, and the file's own name.
        symlink(
            &victim,
            path.with_extension(format!("tmp{}", std::process::id())),
        )
        .unwrap();
        symlink(&victim, &path).unwrap();
        write_private(&path, b"[]").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"the victim's own text\n");
        assert!(
            !fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&path).unwrap(), b"[]");
        assert_eq!(mode(&path), 0o600);
        // No temporary is left behind.
        let left: Vec<_> = fs::read_dir(&state)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_failed_write_leaves_no_temporary() {
        let scratch = Scratch::new();
        // A directory where the file should be: the rename fails.
        let path = scratch.0.join("busy");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        assert!(write_private(&path, b"data").is_err());
        let names: Vec<_> = fs::read_dir(&scratch.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [OsStr::new("busy")]);
    }

    #[test]
    fn state_files_are_read_only_if_ours_regular_and_not_writable_by_others() {
        let scratch = Scratch::new();
        let path = scratch.0.join("name-cache.json");
        assert!(open_private_read(&path).unwrap().is_none());
        write_private(&path, b"[]").unwrap();
        assert!(open_private_read(&path).unwrap().is_some());

        fs::set_permissions(&path, fs::Permissions::from_mode(0o622)).unwrap();
        let error = open_private_read(&path).unwrap_err();
        assert!(
            matches!(error, StateError::WritableByOthers { .. }),
            "{error:?}"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();

        let link = scratch.0.join("link.json");
        symlink(&path, &link).unwrap();
        let error = open_private_read(&link).unwrap_err();
        assert!(matches!(error, StateError::Symlink { .. }), "{error:?}");

        // A FIFO is refused at once, not waited on.
        let fifo = scratch.0.join("fifo.json");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|status| status.success()) {
            let error = open_private_read(&fifo).unwrap_err();
            assert!(
                matches!(error, StateError::NotRegularFile { .. }),
                "{error:?}"
            );
        }

        // In a directory others may write, even a file of ours is not trusted.
        fs::set_permissions(&scratch.0, fs::Permissions::from_mode(0o777)).unwrap();
        let error = open_private_read(&path).unwrap_err();
        assert!(
            matches!(error, StateError::WritableByOthers { .. }),
            "{error:?}"
        );
        fs::set_permissions(&scratch.0, fs::Permissions::from_mode(0o700)).unwrap();

        if can_chown() {
            std::os::unix::fs::chown(&path, Some(OTHER), Some(OTHER)).unwrap();
            let error = open_private_read(&path).unwrap_err();
            assert!(
                matches!(error, StateError::OtherOwner { owner: OTHER, .. }),
                "{error:?}"
            );
        }
    }

    #[test]
    fn a_planted_log_link_is_refused_and_its_target_untouched() {
        let scratch = Scratch::new();
        let victim = scratch.0.join("bashrc");
        fs::write(&victim, b"alias ll='ls -l'\n").unwrap();
        let dir = scratch.0.join("wnet");
        fs::create_dir(&dir).unwrap();
        let log = dir.join("agent.log");
        symlink(&victim, &log).unwrap();
        let error = open_private_append(&log).unwrap_err();
        assert!(matches!(error, StateError::Symlink { .. }), "{error:?}");
        assert_eq!(fs::read(&victim).unwrap(), b"alias ll='ls -l'\n");

        fs::remove_file(&log).unwrap();
        let mut file = open_private_append(&log).unwrap();
        file.write_all(b"line\n").unwrap();
        assert_eq!(mode(&log), 0o600);
        if can_chown() {
            std::os::unix::fs::chown(&log, Some(OTHER), Some(OTHER)).unwrap();
            let error = open_private_append(&log).unwrap_err();
            assert!(matches!(error, StateError::OtherOwner { .. }), "{error:?}");
        }
    }
}
