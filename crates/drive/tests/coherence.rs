//! One file, many users at once, through the mount: descriptors, directory listings,
//! truncation and unlink meeting one file, as ordinary programs make them meet (a shell
//! appending to a log while someone runs `ls`, an editor and a build on one file, logrotate
//! truncating a file a reader follows). Each case is checked against what the server's disk
//! holds afterwards, which is what a local file system would hold.

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::fd::AsFd as _;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{FallocateFlags, fallocate};
use nix::unistd::{Whence, lseek};
use wnet_drive::DriveOptions;

use common::{Mounted, TOOL_LIMIT, os_error, run, sorted_names, wait_until};

/// Lists `dir` again and again on another thread until the returned flag is raised; the
/// handle gives how many listings it made.
fn keep_listing(dir: &Path) -> (Arc<AtomicBool>, thread::JoinHandle<usize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let dir = dir.to_owned();
    let stop_flag = Arc::clone(&stop);
    let lister = thread::spawn(move || {
        let mut listings = 0;
        // Bounded: a test that forgets to stop it still ends.
        while !stop_flag.load(Ordering::Acquire) && listings < 200_000 {
            let entries = fs::read_dir(&dir).map(Iterator::count);
            assert!(entries.is_ok(), "ls {}: {entries:?}", dir.display());
            listings += 1;
            thread::sleep(Duration::from_millis(1));
        }
        listings
    });
    (stop, lister)
}

/// Runs shell `scripts` at once in `dir`, each bounded, and checks they all succeeded.
fn run_together(dir: &Path, scripts: &[String]) {
    let mut children: Vec<_> = scripts
        .iter()
        .map(|script| {
            Command::new("timeout")
                .arg(TOOL_LIMIT.as_secs().to_string())
                .arg("sh")
                .arg("-c")
                .arg(script)
                .current_dir(dir)
                .stdin(Stdio::null())
                .spawn()
                .expect("start sh")
        })
        .collect();
    for (child, script) in children.iter_mut().zip(scripts) {
        let status = child.wait().expect("wait for sh");
        assert!(status.success(), "{script}: {status}");
    }
}

fn appending_lines(prefix: &str, count: usize) -> String {
    format!("for i in $(seq {count}); do echo {prefix} $i; sleep 0.002; done >> log.txt")
}

fn lines_of(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The smallest case of appends lost beside a listing: the kernel appends at the size it was
/// last told, and a listing taken before the drive's writes reached the server told it the
/// old one. Also after the attribute timeout has passed with the writes still held back.
#[test]
fn an_append_after_a_listing_lands_at_the_true_end() {
    let mounted = Mounted::new("coherence-append", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    for (name, between) in [("listed.txt", "listing"), ("waited.txt", "waiting")] {
        let path = here.join(name);
        fs::write(&path, b"").unwrap();
        // A listing the drive keeps, with the file at size 0.
        let _ = fs::read_dir(here).unwrap().count();
        let first = OpenOptions::new().write(true).open(&path).unwrap();
        first.write_all_at(&vec![b'A'; 300_000], 0).unwrap();
        if between == "listing" {
            let _ = fs::read_dir(here).unwrap().count();
        } else {
            thread::sleep(Duration::from_millis(1500));
        }
        let mut appender = OpenOptions::new().append(true).open(&path).unwrap();
        appender.write_all(b"ZZZZZZZZZZ").unwrap();
        assert_eq!(
            appender.metadata().unwrap().len(),
            300_010,
            "{between}: the size after the append"
        );
        drop(appender);
        drop(first);
        let on_server = fs::read(there.join(name)).unwrap();
        assert_eq!(
            on_server.len(),
            300_010,
            "{between}: the size on the server"
        );
        assert!(
            on_server[..300_000].iter().all(|&byte| byte == b'A'),
            "{between}: the first write is whole"
        );
        assert_eq!(
            &on_server[300_000..],
            b"ZZZZZZZZZZ",
            "{between}: the append is last"
        );
    }
}

/// A shell appending to a log while `ls` runs in a loop keeps every line, in order; two
/// shells appending at once keep every line of both.
#[test]
fn appends_beside_a_listing_loop_keep_every_line() {
    for (name, options) in [
        ("coherence-log", DriveOptions::default()),
        (
            "coherence-log-wt",
            DriveOptions {
                write_through: true,
                ..DriveOptions::default()
            },
        ),
    ] {
        let mounted = Mounted::new(name, options);
        let here = &mounted.through_mount;

        let (stop, lister) = keep_listing(here);
        run_together(here, &[appending_lines("line", 500)]);
        stop.store(true, Ordering::Release);
        let listings = lister.join().expect("the lister");
        assert!(listings > 10, "ls ran beside the writer ({listings} times)");
        let expected: Vec<String> = (1..=500).map(|i| format!("line {i}")).collect();
        assert_eq!(
            lines_of(&mounted.on_disk.join("log.txt")),
            expected,
            "{name}"
        );

        // Two writers and a lister.
        fs::remove_file(here.join("log.txt")).unwrap();
        let (stop, lister) = keep_listing(here);
        run_together(
            here,
            &[
                appending_lines("first", 300),
                appending_lines("second", 300),
            ],
        );
        stop.store(true, Ordering::Release);
        lister.join().expect("the lister");
        let lines = lines_of(&mounted.on_disk.join("log.txt"));
        assert_eq!(lines.len(), 600, "{name}: every record of both writers");
        for prefix in ["first", "second"] {
            let own: Vec<&String> = lines
                .iter()
                .filter(|line| line.starts_with(&format!("{prefix} ")))
                .collect();
            let expected: Vec<String> = (1..=300).map(|i| format!("{prefix} {i}")).collect();
            assert_eq!(own, expected.iter().collect::<Vec<_>>(), "{name}: {prefix}");
        }
    }
}

/// A later write through one descriptor wins over an earlier one through another, whatever
/// order they close in, with or without fsync between; a third descriptor reads it at once.
#[test]
fn a_later_write_through_another_descriptor_wins() {
    let mounted = Mounted::new("coherence-order", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    for (name, sync) in [("plain.bin", false), ("synced.bin", true)] {
        let path = here.join(name);
        fs::write(&path, b"").unwrap();
        let first = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let second = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        first.write_all_at(&vec![b'A'; 10_000], 0).unwrap();
        second.write_all_at(b"B", 5_000).unwrap();
        if sync {
            second.sync_all().unwrap();
        }
        let third = File::open(&path).unwrap();
        let mut byte = [0u8; 1];
        third.read_exact_at(&mut byte, 5_000).unwrap();
        assert_eq!(
            &byte, b"B",
            "{name}: a third descriptor reads the later write"
        );
        first.read_exact_at(&mut byte, 5_000).unwrap();
        assert_eq!(&byte, b"B", "{name}: the first descriptor reads it too");
        drop(second);
        drop(first);
        drop(third);
        let on_server = fs::read(there.join(name)).unwrap();
        assert_eq!(on_server.len(), 10_000, "{name}");
        assert_eq!(on_server[5_000], b'B', "{name}: byte 5000 on the server");
        assert_eq!(on_server[4_999], b'A');
        assert_eq!(on_server[5_001], b'A');
    }
}

/// A reader following a file sees a truncation made by another process at once; truncating
/// by name or re-creating with O_TRUNC while another descriptor holds writes ends with the
/// truncated size and content.
#[test]
fn truncation_reaches_every_descriptor_at_once() {
    let mounted = Mounted::new("coherence-truncate", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    // A reader 10 bytes into a 4 MiB file; `truncate -s 0` in another process.
    fs::write(there.join("big.bin"), vec![b'x'; 4 << 20]).unwrap();
    // Written by root on the server's disk: writable by the lab's user too.
    fs::set_permissions(there.join("big.bin"), fs::Permissions::from_mode(0o666)).unwrap();
    let mut reader = File::open(here.join("big.bin")).unwrap();
    let mut start = [0u8; 10];
    reader.read_exact(&mut start).unwrap();
    let output = run(
        Command::new("truncate")
            .args(["-s", "0"])
            .arg(here.join("big.bin")),
        TOOL_LIMIT,
    );
    assert!(output.status.success(), "truncate: {output:?}");
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert_eq!(
        rest.len(),
        0,
        "the reader reads nothing after the truncation"
    );
    assert_eq!(reader.metadata().unwrap().len(), 0);

    // Truncated by name while another descriptor holds writes.
    let path = here.join("held.bin");
    let writer = File::create(&path).unwrap();
    writer.write_all_at(&vec![b'A'; 100_000], 0).unwrap();
    nix::unistd::truncate(&path, 1_000).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), 1_000);
    drop(writer);
    assert_eq!(fs::read(there.join("held.bin")).unwrap(), vec![b'A'; 1_000]);

    // Re-created with O_TRUNC while another descriptor holds writes.
    let path = here.join("recreated.bin");
    let writer = File::create(&path).unwrap();
    writer.write_all_at(&vec![b'A'; 100_000], 0).unwrap();
    let mut again = File::create(&path).unwrap();
    again.write_all(b"new").unwrap();
    drop(again);
    assert_eq!(fs::metadata(&path).unwrap().len(), 3);
    drop(writer);
    assert_eq!(fs::read(there.join("recreated.bin")).unwrap(), b"new");
}

/// A file unlinked while open keeps working through its descriptor (fstat, ftruncate,
/// lseek to the end and to data, read, write, fallocate); its name is gone from listings at
/// once and can be made again; its directory can be removed; nothing is left on the server
/// once it is closed.
#[test]
fn an_unlinked_file_works_until_closed() {
    let mounted = Mounted::new("coherence-unlink", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;

    let path = here.join("doomed.txt");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    file.write_all(b"hello, unlinked").unwrap();
    fs::remove_file(&path).unwrap();
    assert!(
        fs::read_dir(here).unwrap().next().is_none(),
        "the name is gone from the listing at once"
    );
    assert_eq!(file.metadata().unwrap().len(), 15, "fstat");
    file.set_len(5).unwrap();
    assert_eq!(file.metadata().unwrap().len(), 5, "fstat after ftruncate");
    assert_eq!(
        lseek(file.as_fd(), 0, Whence::SeekEnd).unwrap(),
        5,
        "SEEK_END"
    );
    assert_eq!(
        lseek(file.as_fd(), 0, Whence::SeekData).unwrap(),
        0,
        "SEEK_DATA"
    );
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "hello");
    file.write_all(b" again").unwrap();
    fallocate(file.as_fd(), FallocateFlags::empty(), 0, 4096).unwrap();
    assert_eq!(file.metadata().unwrap().len(), 4096, "fallocate grew it");
    file.sync_all().unwrap();

    // The name is free at once, for a file of its own.
    fs::write(&path, b"a new file").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"a new file");
    assert_eq!(
        file.metadata().unwrap().len(),
        4096,
        "the open one is apart"
    );
    assert_eq!(sorted_names(here), ["doomed.txt"]);

    // A directory whose only file is unlinked while open can be removed.
    fs::create_dir(here.join("dir")).unwrap();
    let held = File::create(here.join("dir/inside.txt")).unwrap();
    fs::remove_file(here.join("dir/inside.txt")).unwrap();
    fs::remove_dir(here.join("dir")).unwrap();
    assert!(
        !there.join("dir").exists(),
        "the directory is gone on the server"
    );
    drop(held);
    drop(file);

    // Nothing hidden is left once every descriptor is closed.
    let share_root = there.parent().expect("the share's directory").to_owned();
    let leftovers = || {
        [share_root.as_path(), there.as_path()]
            .iter()
            .flat_map(|dir| fs::read_dir(dir).unwrap())
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().starts_with(".wnet-"))
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(5), || leftovers() == 0),
        "the unlinked files are deleted on the server once closed"
    );
    assert_eq!(fs::read(there.join("doomed.txt")).unwrap(), b"a new file");
}

/// A name longer than 255 bytes is ENAMETOOLONG, as on a local file system.
#[test]
fn names_over_255_bytes_are_too_long() {
    let mounted = Mounted::new("coherence-names", DriveOptions::default());
    let here = &mounted.through_mount;
    let long = "n".repeat(256);
    let error = File::create(here.join(&long)).expect_err("a 256-byte name");
    assert_eq!(os_error(&error), Some(Errno::ENAMETOOLONG));
    let error = fs::metadata(here.join(&long)).expect_err("stat of a 256-byte name");
    assert_eq!(os_error(&error), Some(Errno::ENAMETOOLONG));
    fs::write(here.join("n".repeat(255)), b"fits").unwrap();
}

/// fallocate: growing, keeping the size, punching a hole (zeros read back) and zeroing a
/// range, each as the server then holds it.
#[test]
fn fallocate_grows_and_zeroes_files() {
    let mounted = Mounted::new("coherence-fallocate", DriveOptions::default());
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(0)
        .open(here.join("f.bin"))
        .unwrap();
    file.write_all_at(&vec![b'x'; 10_000], 0).unwrap();
    fallocate(file.as_fd(), FallocateFlags::empty(), 0, 20_000).unwrap();
    assert_eq!(file.metadata().unwrap().len(), 20_000);
    fallocate(file.as_fd(), FallocateFlags::FALLOC_FL_KEEP_SIZE, 0, 50_000).unwrap();
    assert_eq!(file.metadata().unwrap().len(), 20_000, "KEEP_SIZE keeps it");
    fallocate(
        file.as_fd(),
        FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
        1_000,
        1_000,
    )
    .unwrap();
    fallocate(
        file.as_fd(),
        FallocateFlags::FALLOC_FL_ZERO_RANGE,
        5_000,
        100,
    )
    .unwrap();
    let mut back = vec![0u8; 20_000];
    file.read_exact_at(&mut back, 0).unwrap();
    drop(file);
    let mut expected = vec![b'x'; 10_000];
    expected.resize(20_000, 0);
    expected[1_000..2_000].fill(0);
    expected[5_000..5_100].fill(0);
    assert_eq!(back, expected, "read back through the mount");
    assert_eq!(
        fs::read(there.join("f.bin")).unwrap(),
        expected,
        "on the server"
    );
}

/// Another SMB client's write and truncation of a file the mount has open and has read
/// ahead are seen through the mount after the server breaks the drive's lease, even with
/// caches trusted for a minute (without the break, the old bytes and size would stay).
#[test]
fn another_clients_changes_are_seen_after_a_lease_break() {
    let minute = Duration::from_secs(60);
    let mounted = Mounted::new(
        "coherence-lease",
        DriveOptions {
            attribute_timeout: minute,
            directory_timeout: minute,
            ..DriveOptions::default()
        },
    );
    let here = &mounted.through_mount;
    let there = &mounted.on_disk;
    fs::write(there.join("shared.bin"), vec![b'x'; 2 << 20]).unwrap();
    fs::set_permissions(there.join("shared.bin"), fs::Permissions::from_mode(0o666)).unwrap();

    let mut reader = File::open(here.join("shared.bin")).unwrap();
    let mut start = [0u8; 10];
    reader.read_exact(&mut start).unwrap();
    assert_eq!(reader.metadata().unwrap().len(), 2 << 20);

    // The other client: its own connection and session.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let other = runtime.block_on(common::connect(mounted.lab(), "public"));
    let file = runtime
        .block_on(other.create(wnet_smb2::wire::CreateRequest {
            name: format!("{}\\shared.bin", mounted.name),
            desired_access: wnet_smb2::wire::access::FILE_READ_DATA
                | wnet_smb2::wire::access::FILE_WRITE_DATA
                | wnet_smb2::wire::access::FILE_READ_ATTRIBUTES
                | wnet_smb2::wire::access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: wnet_smb2::wire::share_access::ALL,
            create_disposition: wnet_smb2::wire::disposition::OPEN,
            create_options: 0,
        }))
        .expect("the other client opens the file");
    runtime
        .block_on(file.write_at(100, b"CHANGED!".to_vec()))
        .expect("the other client writes");
    let read_at_100 = |reader: &File| {
        let mut bytes = [0u8; 8];
        reader.read_exact_at(&mut bytes, 100).map(|()| bytes)
    };
    assert!(
        wait_until(Duration::from_secs(10), || read_at_100(&reader)
            .is_ok_and(|bytes| &bytes == b"CHANGED!")),
        "the reader sees the other client's write: {:?}",
        read_at_100(&reader).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    );

    runtime
        .block_on(file.set_end_of_file(50))
        .expect("the other client truncates");
    assert!(
        wait_until(Duration::from_secs(10), || reader
            .metadata()
            .is_ok_and(|metadata| metadata.len() == 50)),
        "the reader's fstat sees the truncation: {:?}",
        reader.metadata().map(|metadata| metadata.len())
    );
    reader.seek(SeekFrom::Start(0)).unwrap();
    let mut all = Vec::new();
    reader.read_to_end(&mut all).unwrap();
    assert_eq!(all, vec![b'x'; 50], "the reader reads what is left");
    runtime.block_on(file.close()).expect("close");
}

#[test]
fn a_change_through_another_mount_of_the_share_is_seen_at_once() {
    // A drive letter and the directory serving UNC paths are two mounts of one share in one
    // agent; Windows' one redirector shows a change made through either at once.
    let minute = Duration::from_secs(60);
    let options = DriveOptions {
        attribute_timeout: minute,
        directory_timeout: minute,
        ..DriveOptions::default()
    };
    let first = Mounted::new("coherence-sibling-a", options);
    let second = Mounted::new("coherence-sibling-b", options);
    let here = &first.through_mount;
    let there = second.mount_point.join(&first.name);
    // A listing, a missing name and a file's size, each trusted for a minute by the first.
    fs::write(here.join("kept.txt"), b"short").unwrap();
    assert_eq!(sorted_names(here), ["kept.txt"]);
    assert!(!here.join("made.txt").exists());
    assert_eq!(fs::metadata(here.join("kept.txt")).unwrap().len(), 5);

    fs::write(there.join("made.txt"), b"through the other mount").unwrap();
    fs::write(there.join("kept.txt"), b"much longer now").unwrap();
    assert_eq!(sorted_names(here), ["kept.txt", "made.txt"]);
    assert_eq!(
        fs::read(here.join("made.txt")).unwrap(),
        b"through the other mount"
    );
    assert_eq!(fs::metadata(here.join("kept.txt")).unwrap().len(), 15);
    assert_eq!(fs::read(here.join("kept.txt")).unwrap(), b"much longer now");

    fs::remove_file(there.join("made.txt")).unwrap();
    assert_eq!(sorted_names(here), ["kept.txt"]);
    assert!(!here.join("made.txt").exists());
}
