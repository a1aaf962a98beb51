//! The drive against the Samba lab: a share mounted with FUSE and used with ordinary file
//! operations, each checked against the share's directory on the server's disk (or Samba's
//! own client).

mod common;

use std::fs::{self, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::{FileExt as _, MetadataExt as _, PermissionsExt as _};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
use wnet_drive::DriveOptions;

use common::{Mounted, TOOL_LIMIT, os_error, run, sh, sorted_names};

/// Options with caches short enough that a test sees the server's changes after a short sleep.
fn short_caches() -> DriveOptions {
    DriveOptions {
        attribute_timeout: Duration::from_millis(100),
        directory_timeout: Duration::from_millis(100),
        ..DriveOptions::default()
    }
}

fn errno_of<T: std::fmt::Debug>(result: std::io::Result<T>, what: &str) -> Errno {
    let error = result.expect_err(&format!("{what} must fail"));
    os_error(&error).unwrap_or_else(|| panic!("{what}: no OS error in {error}"))
}

#[test]
fn files_written_through_the_mount_are_on_the_server() {
    let mounted = Mounted::new("drive-basic", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    assert!(here.is_dir(), "the test directory shows through the mount");

    fs::write(here.join("hello.txt"), b"hello, drive\n").unwrap();
    assert_eq!(
        fs::read(there.join("hello.txt")).unwrap(),
        b"hello, drive\n"
    );
    assert_eq!(fs::read(here.join("hello.txt")).unwrap(), b"hello, drive\n");

    fs::write(there.join("from-server.txt"), b"written on the server").unwrap();
    assert_eq!(sorted_names(here), ["from-server.txt", "hello.txt"]);
    assert_eq!(
        fs::metadata(here.join("from-server.txt")).unwrap().len(),
        21
    );
}

/// rename of a file, of a directory with its contents, across directories, over an existing
/// file (which it replaces), and with RENAME_NOREPLACE (which refuses an existing target).
#[test]
fn renames_move_files_and_directories_on_the_server() {
    let mounted = Mounted::new("drive-rename", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    // A file.
    fs::write(here.join("a.txt"), b"file a").unwrap();
    fs::rename(here.join("a.txt"), here.join("b.txt")).unwrap();
    assert!(!there.join("a.txt").exists(), "the old name is gone");
    assert_eq!(fs::read(there.join("b.txt")).unwrap(), b"file a");
    assert_eq!(fs::read(here.join("b.txt")).unwrap(), b"file a");
    assert_eq!(
        errno_of(fs::metadata(here.join("a.txt")), "stat of the old name"),
        Errno::ENOENT
    );

    // A directory with contents, below it a subdirectory.
    fs::create_dir_all(here.join("d/sub")).unwrap();
    fs::write(here.join("d/x.txt"), b"x in d").unwrap();
    fs::write(here.join("d/sub/y.txt"), b"y in d/sub").unwrap();
    fs::rename(here.join("d"), here.join("e")).unwrap();
    assert!(!there.join("d").exists());
    assert_eq!(fs::read(there.join("e/x.txt")).unwrap(), b"x in d");
    assert_eq!(fs::read(there.join("e/sub/y.txt")).unwrap(), b"y in d/sub");
    // What the kernel knew of the old paths moved along.
    assert_eq!(fs::read(here.join("e/sub/y.txt")).unwrap(), b"y in d/sub");
    assert_eq!(sorted_names(&here.join("e")), ["sub", "x.txt"]);
    fs::write(here.join("e/sub/z.txt"), b"written after the move").unwrap();
    assert_eq!(
        fs::read(there.join("e/sub/z.txt")).unwrap(),
        b"written after the move"
    );

    // Across directories.
    fs::rename(here.join("b.txt"), here.join("e/sub/b.txt")).unwrap();
    assert!(!there.join("b.txt").exists());
    assert_eq!(fs::read(there.join("e/sub/b.txt")).unwrap(), b"file a");

    // Over an existing file: it is replaced.
    fs::write(here.join("new.txt"), b"the new contents").unwrap();
    fs::write(here.join("old.txt"), b"the old contents, longer").unwrap();
    fs::rename(here.join("new.txt"), here.join("old.txt")).unwrap();
    assert!(!there.join("new.txt").exists());
    assert_eq!(
        fs::read(there.join("old.txt")).unwrap(),
        b"the new contents"
    );
    assert_eq!(fs::read(here.join("old.txt")).unwrap(), b"the new contents");
    assert_eq!(sorted_names(there), ["e", "old.txt"]);
    assert_eq!(sorted_names(here), ["e", "old.txt"]);

    // RENAME_NOREPLACE: refused over an existing name, done to a free one.
    fs::write(here.join("keep.txt"), b"keep me").unwrap();
    let refused = renameat2(
        AT_FDCWD,
        &here.join("keep.txt"),
        AT_FDCWD,
        &here.join("old.txt"),
        RenameFlags::RENAME_NOREPLACE,
    );
    assert_eq!(refused, Err(Errno::EEXIST));
    assert_eq!(fs::read(there.join("keep.txt")).unwrap(), b"keep me");
    assert_eq!(
        fs::read(there.join("old.txt")).unwrap(),
        b"the new contents"
    );
    renameat2(
        AT_FDCWD,
        &here.join("keep.txt"),
        AT_FDCWD,
        &here.join("kept.txt"),
        RenameFlags::RENAME_NOREPLACE,
    )
    .expect("RENAME_NOREPLACE to a free name");
    assert_eq!(fs::read(there.join("kept.txt")).unwrap(), b"keep me");
    assert!(!there.join("keep.txt").exists());
}

/// unlink, rmdir (and of a directory that is not empty: ENOTEMPTY), mkdir (and of an
/// existing name: EEXIST).
#[test]
fn deletes_and_mkdir_give_posix_errors() {
    let mounted = Mounted::new("drive-delete", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    fs::write(here.join("gone.txt"), b"to be deleted").unwrap();
    fs::remove_file(here.join("gone.txt")).unwrap();
    assert!(!there.join("gone.txt").exists(), "unlink removed the file");
    assert_eq!(
        errno_of(fs::remove_file(here.join("gone.txt")), "a second unlink"),
        Errno::ENOENT
    );
    // A file the server wrote, deleted through the mount.
    fs::write(there.join("server.txt"), b"from the server").unwrap();
    fs::remove_file(here.join("server.txt")).unwrap();
    assert!(!there.join("server.txt").exists());

    fs::create_dir(here.join("dir")).unwrap();
    assert!(there.join("dir").is_dir(), "mkdir made a directory");
    assert_eq!(
        errno_of(
            fs::create_dir(here.join("dir")),
            "mkdir of an existing name"
        ),
        Errno::EEXIST
    );
    fs::write(here.join("file"), b"").unwrap();
    assert_eq!(
        errno_of(
            fs::create_dir(here.join("file")),
            "mkdir over an existing file"
        ),
        Errno::EEXIST
    );
    fs::create_dir_all(here.join("dir/a/b/c")).unwrap();
    assert!(there.join("dir/a/b/c").is_dir());

    fs::write(here.join("dir/a/b/c/f.txt"), b"keeps c busy").unwrap();
    assert_eq!(
        errno_of(
            fs::remove_dir(here.join("dir/a/b/c")),
            "rmdir of a full dir"
        ),
        Errno::ENOTEMPTY
    );
    assert!(
        there.join("dir/a/b/c/f.txt").is_file(),
        "a refused rmdir leaves everything in place"
    );
    // rmdir of a file, unlink of a directory.
    assert_eq!(
        errno_of(fs::remove_dir(here.join("file")), "rmdir of a file"),
        Errno::ENOTDIR
    );
    let unlinked = errno_of(fs::remove_file(here.join("dir")), "unlink of a directory");
    assert!(
        matches!(unlinked, Errno::EISDIR | Errno::EPERM),
        "unlink of a directory: {unlinked}"
    );
    assert!(there.join("dir").is_dir());

    fs::remove_file(here.join("dir/a/b/c/f.txt")).unwrap();
    fs::remove_dir(here.join("dir/a/b/c")).unwrap();
    assert!(!there.join("dir/a/b/c").exists(), "rmdir removed it");
    fs::remove_dir_all(here.join("dir")).unwrap();
    assert!(!there.join("dir").exists(), "rm -r removed the tree");
    assert_eq!(sorted_names(there), ["file"]);
    assert_eq!(sorted_names(here), ["file"]);

    // A file made read-only (chmod a-w: the READONLY attribute) is deleted as on a local
    // file system, where the directory's permissions decide.
    fs::set_permissions(here.join("file"), fs::Permissions::from_mode(0o444)).unwrap();
    fs::remove_file(here.join("file")).expect("rm of a read-only file");
    assert!(
        !there.join("file").exists(),
        "rm removed the read-only file"
    );
}

/// truncate (shrink and grow, by path and on an open file with writes pending), O_TRUNC, and
/// appends with `>>` and O_APPEND.
#[test]
fn truncate_and_append_change_the_file_on_the_server() {
    let mounted = Mounted::new("drive-truncate", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let data = common::random_bytes(10_000);

    fs::write(here.join("t.bin"), &data).unwrap();
    let here_t = here.join("t.bin");
    let there_t = there.join("t.bin");
    let truncated = run(
        Command::new("truncate").args(["-s", "1000"]).arg(&here_t),
        TOOL_LIMIT,
    );
    common::assert_success("truncate -s 1000", &truncated);
    assert_eq!(fs::read(&there_t).unwrap(), &data[..1000], "shrunk");
    assert_eq!(fs::metadata(&here_t).unwrap().len(), 1000);
    // Grow with set_len: the new bytes are zeros.
    OpenOptions::new()
        .write(true)
        .open(&here_t)
        .unwrap()
        .set_len(5000)
        .unwrap();
    let mut grown = data[..1000].to_vec();
    grown.resize(5000, 0);
    assert_eq!(fs::read(&there_t).unwrap(), grown, "grown with zeros");
    assert_eq!(fs::read(&here_t).unwrap(), grown);
    assert_eq!(fs::metadata(&here_t).unwrap().len(), 5000);

    // ftruncate between writes on one open file: the writes before it land first.
    {
        let mut file = fs::File::create(here.join("open.bin")).unwrap();
        file.write_all(&data).unwrap();
        file.set_len(3000).unwrap();
        file.seek(SeekFrom::End(0)).unwrap();
        file.write_all(b"tail").unwrap();
    }
    let mut expected = data[..3000].to_vec();
    expected.extend_from_slice(b"tail");
    assert_eq!(fs::read(there.join("open.bin")).unwrap(), expected);

    // O_TRUNC of an existing file.
    sh(&format!(": > '{}'", here_t.display()));
    assert_eq!(
        fs::metadata(&there_t).unwrap().len(),
        0,
        "O_TRUNC emptied it"
    );

    // Appends: `>>` twice, then O_APPEND from Rust after a write elsewhere in the file.
    let log = here.join("log.txt");
    sh(&format!(
        "echo first >> '{0}'; echo second >> '{0}'",
        log.display()
    ));
    assert_eq!(fs::read(there.join("log.txt")).unwrap(), b"first\nsecond\n");
    {
        let mut file = OpenOptions::new().append(true).open(&log).unwrap();
        file.write_all(b"third\n").unwrap();
        file.write_all(b"fourth\n").unwrap();
    }
    assert_eq!(
        fs::read(there.join("log.txt")).unwrap(),
        b"first\nsecond\nthird\nfourth\n"
    );
    // Appending to a file the server wrote (the mount learns its size from the server).
    fs::write(there.join("server.log"), b"server line\n").unwrap();
    fs::set_permissions(there.join("server.log"), fs::Permissions::from_mode(0o666)).unwrap();
    sh(&format!(
        "echo 'client line' >> '{}'",
        here.join("server.log").display()
    ));
    assert_eq!(
        fs::read(there.join("server.log")).unwrap(),
        b"server line\nclient line\n"
    );
    let mut read_back = String::new();
    fs::File::open(here.join("server.log"))
        .unwrap()
        .read_to_string(&mut read_back)
        .unwrap();
    assert_eq!(read_back, "server line\nclient line\n");
}

/// The read-only share: reading works, every change is refused (EROFS or EACCES) and leaves
/// the server's disk as it was.
#[test]
fn the_readonly_share_refuses_changes_and_serves_reads() {
    let mounted = Mounted::on_share("readonly", "drive-readonly", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let data = common::random_bytes(300_000);
    fs::write(there.join("data.bin"), &data).unwrap();
    fs::create_dir(there.join("sub")).unwrap();

    assert_eq!(fs::read(here.join("data.bin")).unwrap(), data);
    assert_eq!(
        fs::read_to_string(mounted.mount_point.join("hello.txt")).unwrap(),
        fs::read_to_string(there.parent().unwrap().join("hello.txt")).unwrap()
    );
    assert_eq!(sorted_names(here), ["data.bin", "sub"]);

    let refused = |errno: Errno, what: &str| {
        assert!(
            matches!(errno, Errno::EROFS | Errno::EACCES),
            "{what} on the read-only share: {errno}, not EROFS or EACCES"
        );
    };
    refused(
        errno_of(fs::write(here.join("new.txt"), b"no"), "creating a file"),
        "create",
    );
    refused(
        errno_of(
            OpenOptions::new().write(true).open(here.join("data.bin")),
            "opening for writing",
        ),
        "open for writing",
    );
    refused(
        errno_of(
            OpenOptions::new().append(true).open(here.join("data.bin")),
            "opening for appending",
        ),
        "open for appending",
    );
    refused(
        errno_of(fs::create_dir(here.join("newdir")), "mkdir"),
        "mkdir",
    );
    refused(
        errno_of(fs::remove_file(here.join("data.bin")), "unlink"),
        "unlink",
    );
    refused(errno_of(fs::remove_dir(here.join("sub")), "rmdir"), "rmdir");
    refused(
        errno_of(
            fs::rename(here.join("data.bin"), here.join("moved.bin")),
            "rename",
        ),
        "rename",
    );
    let truncate = run(
        Command::new("truncate")
            .args(["-s", "0"])
            .arg(here.join("data.bin")),
        TOOL_LIMIT,
    );
    assert!(!truncate.status.success(), "truncate must fail");
    let chmod = fs::set_permissions(here.join("data.bin"), fs::Permissions::from_mode(0o444));
    refused(errno_of(chmod, "chmod"), "chmod");

    assert_eq!(fs::read(there.join("data.bin")).unwrap(), data, "unchanged");
    assert_eq!(sorted_names(there), ["data.bin", "sub"]);
    assert_eq!(fs::read(here.join("data.bin")).unwrap(), data);
}

fn mtime(metadata: &fs::Metadata) -> SystemTime {
    metadata.modified().expect("an mtime")
}

/// `time` cut to SMB's resolution (FILETIME counts 100 ns intervals).
fn in_filetime_units(time: SystemTime) -> SystemTime {
    let since = time.duration_since(UNIX_EPOCH).expect("after 1970");
    UNIX_EPOCH + Duration::new(since.as_secs(), since.subsec_nanos() / 100 * 100)
}

/// stat matches the server's disk; `touch -d` sets the server's mtime; `chmod a-w` sets the
/// DOS read-only attribute (as smbclient shows it) and `chmod u+w` clears it; statfs gives the
/// server's file system's sizes.
#[test]
fn attributes_follow_the_server() {
    let mounted = Mounted::new("drive-attributes", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    // Size and mtime of a file the server wrote (as root: 0666 lets the lab user change it).
    fs::write(there.join("f.txt"), b"twelve bytes").unwrap();
    fs::set_permissions(there.join("f.txt"), fs::Permissions::from_mode(0o666)).unwrap();
    sh(&format!(
        "touch -d '2001-02-03 04:05:06.1234567 UTC' '{}'",
        there.join("f.txt").display()
    ));
    let on_disk = fs::metadata(there.join("f.txt")).unwrap();
    let through = fs::metadata(here.join("f.txt")).unwrap();
    assert_eq!(through.len(), 12);
    assert_eq!(mtime(&through), mtime(&on_disk));
    assert_eq!(
        mtime(&through),
        UNIX_EPOCH + Duration::new(981_173_106, 123_456_700)
    );
    assert!(through.is_file());
    assert_eq!(through.uid(), 0, "files belong to the mount's owner");

    // touch -d through the mount sets the server's mtime.
    sh(&format!(
        "touch -d '2010-01-02 03:04:05 UTC' '{}'",
        here.join("f.txt").display()
    ));
    let expected = UNIX_EPOCH + Duration::from_secs(1_262_401_445);
    assert_eq!(mtime(&fs::metadata(there.join("f.txt")).unwrap()), expected);
    assert_eq!(mtime(&fs::metadata(here.join("f.txt")).unwrap()), expected);
    // Writing through the mount moves it to now.
    let before = SystemTime::now() - Duration::from_secs(5);
    fs::write(here.join("f.txt"), b"changed").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let written = fs::metadata(here.join("f.txt")).unwrap();
    assert!(mtime(&written) > before, "mtime after a write");
    assert_eq!(written.len(), 7);
    assert_eq!(
        mtime(&written),
        in_filetime_units(mtime(&fs::metadata(there.join("f.txt")).unwrap())),
        "the server's mtime, in SMB's 100 ns units"
    );

    // Size seen while a writer has not closed yet.
    {
        let mut file = fs::File::create(here.join("growing.bin")).unwrap();
        file.write_all(&vec![7u8; 3 << 20]).unwrap();
        assert_eq!(
            fs::metadata(here.join("growing.bin")).unwrap().len(),
            3 << 20
        );
        assert_eq!(
            fs::metadata(there.join("growing.bin")).unwrap().len(),
            3 << 20
        );
    }

    // chmod a-w: READONLY on the server; chmod u+w: cleared.
    let f = here.join("f.txt");
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o644);
    fs::set_permissions(&f, fs::Permissions::from_mode(0o444)).unwrap();
    let allinfo = mounted.smbclient(&format!("allinfo {}", mounted.remote("f.txt")));
    let attributes = attributes_line(&allinfo.stdout);
    assert!(
        attributes.contains('R'),
        "chmod a-w sets the READONLY attribute: {attributes}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o444);
    fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
    let allinfo = mounted.smbclient(&format!("allinfo {}", mounted.remote("f.txt")));
    let attributes = attributes_line(&allinfo.stdout);
    assert!(
        !attributes.contains('R'),
        "chmod u+w clears the READONLY attribute: {attributes}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o644);
    assert_eq!(fs::read(&f).unwrap(), b"changed");

    // statfs: the sizes of the file system the share lives on.
    let drive = nix::sys::statvfs::statvfs(&mounted.mount_point).expect("statvfs of the mount");
    let disk = nix::sys::statvfs::statvfs(there.as_path()).expect("statvfs of the share");
    let drive_total = drive.blocks() * drive.fragment_size();
    let disk_total = disk.blocks() * disk.fragment_size();
    assert!(drive.blocks() > 0 && drive.fragment_size() > 0, "{drive:?}");
    assert!(drive.blocks_available() > 0, "{drive:?}");
    assert!(
        drive_total.abs_diff(disk_total) <= disk_total / 10,
        "total size through the mount {drive_total} vs the server's disk {disk_total}"
    );
    let df = sh(&format!("df -k '{}'", mounted.mount_point.display()));
    let df = String::from_utf8_lossy(&df.stdout);
    let total_k: u64 = df
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|field| field.parse().ok())
        .unwrap_or_else(|| panic!("df's total: {df}"));
    assert!(total_k > 0, "df: {df}");
}

/// The `attributes:` line of smbclient's `allinfo`.
fn attributes_line(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|line| line.trim().strip_prefix("attributes:"))
        .unwrap_or_else(|| panic!("allinfo printed no attributes: {text}"))
        .trim()
        .to_owned()
}

/// Reading back what one open file just wrote, writes past the end (a hole), pread past the
/// end, O_EXCL.
#[test]
fn open_files_read_and_write_as_posix_files_do() {
    let mounted = Mounted::new("drive-posix", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let data = common::random_bytes(3 << 20);

    // O_RDWR: what was written is read back before the file is closed.
    {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(here.join("rw.bin"))
            .unwrap();
        file.write_all(&data).unwrap();
        file.seek(SeekFrom::Start(1000)).unwrap();
        let mut back = vec![0; 5000];
        file.read_exact(&mut back).unwrap();
        assert_eq!(back, &data[1000..6000], "read back before close");
        // Overwrite in the middle, read the whole file again.
        file.seek(SeekFrom::Start(2 << 20)).unwrap();
        file.write_all(b"overwritten").unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut whole = Vec::new();
        file.read_to_end(&mut whole).unwrap();
        let mut expected = data.clone();
        expected[2 << 20..(2 << 20) + 11].copy_from_slice(b"overwritten");
        assert_eq!(whole.len(), expected.len());
        assert!(whole == expected, "the whole file after an overwrite");
    }
    let mut expected = data.clone();
    expected[2 << 20..(2 << 20) + 11].copy_from_slice(b"overwritten");
    assert!(fs::read(there.join("rw.bin")).unwrap() == expected);

    // A hole: a write 5 MiB past the start of an empty file.
    {
        let mut file = fs::File::create(here.join("sparse.bin")).unwrap();
        file.seek(SeekFrom::Start(5 << 20)).unwrap();
        file.write_all(b"end").unwrap();
    }
    let sparse = fs::read(there.join("sparse.bin")).unwrap();
    assert_eq!(sparse.len(), (5 << 20) + 3);
    assert!(
        sparse[..5 << 20].iter().all(|&byte| byte == 0),
        "zeros before"
    );
    assert_eq!(&sparse[5 << 20..], b"end");

    // pread at and past the end: nothing.
    {
        let file = fs::File::open(here.join("rw.bin")).unwrap();
        let mut buffer = [0u8; 100];
        assert_eq!(file.read_at(&mut buffer, 3 << 20).unwrap(), 0);
        assert_eq!(file.read_at(&mut buffer, 10 << 20).unwrap(), 0);
        assert_eq!(file.read_at(&mut buffer, (3 << 20) - 10).unwrap(), 10);
    }

    // O_EXCL of an existing name.
    assert_eq!(
        errno_of(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(here.join("rw.bin")),
            "O_EXCL of an existing file"
        ),
        Errno::EEXIST
    );
}

/// A file renamed or unlinked while open, and names with spaces and non-ASCII letters.
#[test]
fn open_files_outlive_rename_and_unlink_and_names_keep_their_letters() {
    let mounted = Mounted::new("drive-names", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    // Renamed while open: the open file keeps working, at its new name.
    {
        let mut file = fs::File::create(here.join("moving.txt")).unwrap();
        file.write_all(b"before ").unwrap();
        file.flush().unwrap();
        fs::rename(here.join("moving.txt"), here.join("moved.txt")).unwrap();
        file.write_all(b"after").unwrap();
    }
    assert_eq!(fs::read(there.join("moved.txt")).unwrap(), b"before after");
    assert!(!there.join("moving.txt").exists());

    // Unlinked while open for reading: the reader still reads it; the name is gone.
    fs::write(here.join("doomed.txt"), b"still readable").unwrap();
    {
        let mut file = fs::File::open(here.join("doomed.txt")).unwrap();
        fs::remove_file(here.join("doomed.txt")).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "still readable");
        assert_eq!(
            errno_of(fs::metadata(here.join("doomed.txt")), "stat of the name"),
            Errno::ENOENT
        );
    }
    assert!(
        common::wait_until(Duration::from_secs(5), || !there
            .join("doomed.txt")
            .exists()),
        "gone from the server once closed"
    );

    // Names with spaces and letters beyond ASCII, both ways.
    for name in ["with space.txt", "café ☕ naïve.txt", "Ünïcödé dir"] {
        if name.ends_with("dir") {
            fs::create_dir(here.join(name)).unwrap();
            assert!(there.join(name).is_dir(), "{name}");
        } else {
            fs::write(here.join(name), name.as_bytes()).unwrap();
            assert_eq!(fs::read(there.join(name)).unwrap(), name.as_bytes());
        }
    }
    fs::write(there.join("größe – ok.txt"), b"from the server").unwrap();
    assert_eq!(
        fs::read(here.join("größe – ok.txt")).unwrap(),
        b"from the server"
    );
    let name = "café ☕ naïve.txt";
    let allinfo = mounted.smbclient(&format!("allinfo \"{}\"", mounted.remote(name)));
    assert!(
        String::from_utf8_lossy(&allinfo.stdout)
            .contains(&format!("stream: [::$DATA], {} bytes", name.len())),
        "smbclient sees the file under its name: {}",
        String::from_utf8_lossy(&allinfo.stdout)
    );
}

/// mmap (which direct I/O still allows): a shared mapping's stores reach the server, and a
/// mapping reads what the server has.
#[test]
fn mapped_files_read_and_write_through_to_the_server() {
    let mounted = Mounted::new("drive-mmap", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let data = common::random_bytes(1 << 20);
    fs::write(there.join("mapped.bin"), &data).unwrap();
    fs::set_permissions(there.join("mapped.bin"), fs::Permissions::from_mode(0o666)).unwrap();
    let script = "import mmap, sys, hashlib
with open(sys.argv[1], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    print(hashlib.sha256(m[:]).hexdigest())
    m[4096:4096 + 6] = b'mapped'
    m.flush()
    m.close()
";
    let output = run(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(here.join("mapped.bin")),
        TOOL_LIMIT,
    );
    common::assert_success("python3 mmap", &output);
    let hash = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut original = data.clone();
    assert_eq!(
        hash,
        {
            let scratch = common::Scratch::new("mmap");
            fs::write(scratch.join("original.bin"), &original).unwrap();
            common::sha256_file(&scratch.join("original.bin"))
        },
        "the mapping reads what the server has"
    );
    original[4096..4102].copy_from_slice(b"mapped");
    assert!(
        fs::read(there.join("mapped.bin")).unwrap() == original,
        "the mapping's store is on the server"
    );
}

/// With write-through (CONNECT_WRITE_THROUGH_SEMANTICS) every write is sent as it comes:
/// dd with small blocks, python's pieces, and an overwrite land exactly.
#[test]
fn write_through_mounts_write_every_byte() {
    let mounted = Mounted::new(
        "drive-write-through",
        DriveOptions {
            write_through: true,
            ..short_caches()
        },
    );
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let scratch = common::Scratch::new("write-through");
    common::random_file(&scratch.join("source.bin"), 8 << 20);
    let dd = run(
        Command::new("dd")
            .arg(format!("if={}", scratch.join("source.bin").display()))
            .arg(format!("of={}", here.join("dd.bin").display()))
            .arg("bs=64k"),
        TOOL_LIMIT,
    );
    common::assert_success("dd", &dd);
    assert_eq!(
        common::sha256_file(&there.join("dd.bin")),
        common::sha256_file(&scratch.join("source.bin"))
    );
    {
        let mut file = OpenOptions::new()
            .write(true)
            .open(here.join("dd.bin"))
            .unwrap();
        file.seek(SeekFrom::Start(12345)).unwrap();
        file.write_all(b"through").unwrap();
        // No close yet: with write-through it is on the server already.
        let mut on_disk = vec![0; 7];
        fs::File::open(there.join("dd.bin"))
            .unwrap()
            .read_exact_at(&mut on_disk, 12345)
            .unwrap();
        assert_eq!(on_disk, b"through");
    }
}

/// The drive's own changes show at once, whatever its caches hold (default timeouts): sizes
/// in a listing right after a write, and a directory made where another was just renamed
/// away is empty.
#[test]
fn listings_show_the_mounts_own_changes_at_once() {
    let mounted = Mounted::new("drive-coherent", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    fs::write(here.join("f.txt"), b"").unwrap();
    fs::create_dir(here.join("d")).unwrap();
    fs::write(here.join("d/x.txt"), b"x").unwrap();
    // Listed (and cached) before the changes.
    assert_eq!(common::listing(here).get("f.txt"), Some(&0));
    assert_eq!(sorted_names(&here.join("d")), ["x.txt"]);

    fs::write(here.join("f.txt"), vec![1u8; 100]).unwrap();
    assert_eq!(
        common::listing(here).get("f.txt"),
        Some(&100),
        "the listing right after a write shows the new size"
    );
    let ls = sh(&format!("ls -l '{}'", here.display()));
    let ls = String::from_utf8_lossy(&ls.stdout);
    let line = ls
        .lines()
        .find(|line| line.ends_with(" f.txt"))
        .unwrap_or_else(|| panic!("ls -l lists f.txt: {ls}"));
    assert_eq!(line.split_whitespace().nth(4), Some("100"), "ls -l: {line}");
    OpenOptions::new()
        .write(true)
        .open(here.join("f.txt"))
        .unwrap()
        .set_len(40)
        .unwrap();
    assert_eq!(
        common::listing(here).get("f.txt"),
        Some(&40),
        "after truncate"
    );

    fs::rename(here.join("d"), here.join("e")).unwrap();
    fs::create_dir(here.join("d")).unwrap();
    assert_eq!(
        sorted_names(&here.join("d")),
        Vec::<String>::new(),
        "a new directory where one was renamed away is empty"
    );
    assert_eq!(sorted_names(&here.join("e")), ["x.txt"]);
    assert_eq!(sorted_names(&there.join("d")), Vec::<String>::new());
}

/// A write that returned is seen by a read through another open file of the same file (not
/// only once the writer closes), as on a local file system: a log read while it is written.
#[test]
fn a_reader_sees_writes_of_another_open_file_at_once() {
    let mounted = Mounted::new("drive-read-after-write", DriveOptions::default());
    let here = &mounted.through_mount;
    let mut writer = fs::File::create(here.join("log.txt")).unwrap();
    let mut reader = fs::File::open(here.join("log.txt")).unwrap();
    let mut buffer = [0u8; 100];
    // Plain read(2)s, no fstat in between (which would flush the writer by itself).
    assert_eq!(reader.read(&mut buffer).unwrap(), 0, "empty at first");
    writer.write_all(b"first line\n").unwrap();
    let read = reader.read(&mut buffer).unwrap();
    assert_eq!(
        &buffer[..read],
        b"first line\n",
        "the first write, read at once"
    );
    writer.write_all(b"second line\n").unwrap();
    let read = reader.read(&mut buffer).unwrap();
    assert_eq!(&buffer[..read], b"second line\n", "the next one");
    let mut fresh = [0u8; 100];
    let read = fs::File::open(here.join("log.txt"))
        .unwrap()
        .read(&mut fresh)
        .unwrap();
    assert_eq!(&fresh[..read], b"first line\nsecond line\n", "a new reader");
    drop(writer);
    assert_eq!(
        fs::read(mounted.on_disk.join("log.txt")).unwrap(),
        b"first line\nsecond line\n"
    );
}

/// Tools that keep times — `cp -p` (which sets them on the open copy before closing it) and
/// `tar x` (which sets them by name after closing) — leave those times on the server, not the
/// time the copy was closed.
#[test]
fn times_kept_by_cp_p_and_tar_stay_on_the_server() {
    let mounted = Mounted::new("drive-kept-times", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let scratch = common::Scratch::new("kept-times");
    common::random_file(&scratch.join("src.bin"), 3 << 20);
    fs::create_dir_all(scratch.join("tree/sub")).unwrap();
    fs::write(scratch.join("tree/sub/f.txt"), b"in a tarball").unwrap();
    sh(&format!(
        "cd '{0}' && touch -d '2005-05-05 05:05:05.5 UTC' src.bin \
         && touch -d '2006-06-06 06:06:06 UTC' tree/sub/f.txt tree/sub \
         && tar -cf tree.tar tree \
         && cp -p src.bin '{1}/cp-p.bin' && tar -C '{1}' -xf tree.tar",
        scratch.0.display(),
        here.display()
    ));
    let cp_time = UNIX_EPOCH + Duration::new(1_115_269_505, 500_000_000);
    let tar_time = UNIX_EPOCH + Duration::from_secs(1_149_573_966);
    // Whatever the drive still does in the background after the last close is done by then.
    std::thread::sleep(Duration::from_secs(1));
    for (path, expected) in [
        ("cp-p.bin", cp_time),
        ("tree/sub/f.txt", tar_time),
        ("tree/sub", tar_time),
    ] {
        assert_eq!(
            mtime(&fs::metadata(there.join(path)).unwrap()),
            expected,
            "{path} on the server's disk"
        );
        assert_eq!(
            mtime(&fs::metadata(here.join(path)).unwrap()),
            expected,
            "{path} through the mount"
        );
    }
    assert_eq!(
        common::sha256_file(&there.join("cp-p.bin")),
        common::sha256_file(&scratch.join("src.bin"))
    );
}

/// A file that grows on the server while it is open through the mount (a log another machine
/// appends to, followed with `tail -f`): a reader that had read to the end finds the new
/// bytes at the old end when it comes back.
#[test]
fn a_reader_at_the_end_sees_what_the_server_appends() {
    let mounted = Mounted::new("drive-growing", short_caches());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let first = common::random_bytes(100_000);
    fs::write(there.join("grows.log"), &first).unwrap();
    let mut reader = fs::File::open(here.join("grows.log")).unwrap();
    let mut seen = Vec::new();
    reader.read_to_end(&mut seen).unwrap();
    assert!(seen == first, "the first part");

    let second = common::random_bytes(50_000);
    OpenOptions::new()
        .append(true)
        .open(there.join("grows.log"))
        .unwrap()
        .write_all(&second)
        .unwrap();
    // Later than the drive trusts an end of file it found (END_OF_FILE_KEPT).
    std::thread::sleep(Duration::from_millis(300));
    let mut more = Vec::new();
    reader.read_to_end(&mut more).unwrap();
    assert_eq!(
        more.len(),
        second.len(),
        "the appended bytes, read at the old end"
    );
    assert!(more == second);

    // And with `tail -f`.
    let mut tail = std::process::Command::new("tail")
        .args(["-c", "+1", "-f", "-s", "0.1"])
        .arg(here.join("grows.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    OpenOptions::new()
        .append(true)
        .open(there.join("grows.log"))
        .unwrap()
        .write_all(b"\nthe last line\n")
        .unwrap();
    let mut stdout = tail.stdout.take().unwrap();
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buffer = vec![0u8; 65536];
        while let Ok(read) = stdout.read(&mut buffer) {
            if read == 0 {
                break;
            }
            all.extend_from_slice(&buffer[..read]);
            if all.ends_with(b"the last line\n") {
                let _ = sender.send(all.len());
                break;
            }
        }
    });
    let got = received.recv_timeout(Duration::from_secs(5));
    let _ = tail.kill();
    let _ = tail.wait();
    assert_eq!(
        got.ok(),
        Some(150_000 + 15),
        "tail -f shows the line the server appended"
    );
}

/// A file the server deleted while the mount still has it cached (default timeouts): opening
/// it says ENOENT (not a stale handle), and creating it again works at once.
#[test]
fn a_file_deleted_on_the_server_can_be_created_again_at_once() {
    let mounted = Mounted::new("drive-recreate", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    for name in ["x.txt", "y.txt"] {
        fs::write(there.join(name), b"first").unwrap();
        fs::set_permissions(there.join(name), fs::Permissions::from_mode(0o666)).unwrap();
    }
    // Listed and read through the mount: the kernel and the drive know both.
    assert_eq!(sorted_names(here), ["x.txt", "y.txt"]);
    assert_eq!(fs::read(here.join("x.txt")).unwrap(), b"first");
    fs::remove_file(there.join("x.txt")).unwrap();
    fs::remove_file(there.join("y.txt")).unwrap();

    fs::write(here.join("x.txt"), b"second").expect("create it again");
    assert_eq!(fs::read(there.join("x.txt")).unwrap(), b"second");
    assert_eq!(
        errno_of(fs::read(here.join("y.txt")), "reading a deleted file"),
        Errno::ENOENT
    );
}
