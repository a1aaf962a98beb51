//! The drive when things go wrong: smbd killed in the middle of a copy, the mount forced away
//! under open files and under a read the server does not answer, and a plain unmount. Every
//! wait is bounded: a hang fails the test.
//!
//! The tests that stop or kill lab processes hold the lab alone (an exclusive lease) and
//! touch only smbd processes of the lab, by PID. The lab's namespace is never taken down
//! while the drive may still send to it: the drive is unmounted and its runtime stopped
//! before the lab is restarted.

mod common;

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use wnet_drive::reopen::DEFAULT_RECONNECT_WAIT;
use wnet_drive::{DriveOptions, mounts};
use wnet_testlab::SambaLab;

use common::{
    LabHold, Mounted, Scratch, TOOL_LIMIT, assert_success, is_mounted, random_file, run,
    sha256_file, wait_until,
};

const MIB: u64 = 1 << 20;

/// Brings the lab back up when dropped, so that a failing test leaves it as it found it.
/// Declared before the drive, so that the drive is gone first.
struct LabBackUp;

impl Drop for LabBackUp {
    fn drop(&mut self) {
        if let Err(error) = SambaLab::up() {
            eprintln!("could not bring the Samba lab back up: {error}");
        }
    }
}

/// Lab processes stopped with SIGSTOP, continued (SIGCONT) when dropped.
struct Stopped(Vec<u32>);

impl Stopped {
    /// Stops `pids` (SIGSTOP) until the result is dropped.
    fn now(pids: Vec<u32>) -> Stopped {
        for &pid in &pids {
            signal(pid, Signal::SIGSTOP).expect("SIGSTOP our smbd");
        }
        Stopped(pids)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for &pid in &self.0 {
            let _ = signal(pid, Signal::SIGCONT);
        }
    }
}

/// Sends `signal` to the lab process `pid`.
fn signal(pid: u32, signal: Signal) -> nix::Result<()> {
    kill(
        Pid::from_raw(i32::try_from(pid).expect("a PID fits in pid_t")),
        signal,
    )
}

/// The lab's smbd processes (the main one and one per client connection).
fn smbd_processes(lab: &SambaLab) -> Vec<u32> {
    lab.processes()
        .into_iter()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "smbd")
        })
        .collect()
}

/// Mounts the public share (directory `name`) on a lab held alone, and finds the smbd process
/// that serves the drive's connection: the one that was not there before.
fn mount_alone(lab: &SambaLab, name: &str) -> (Mounted, Vec<u32>) {
    mount_alone_with(lab, name, DriveOptions::default())
}

/// [`mount_alone`] with `options`.
fn mount_alone_with(lab: &SambaLab, name: &str, options: DriveOptions) -> (Mounted, Vec<u32>) {
    let before = smbd_processes(lab);
    let mounted = Mounted::on(LabHold::Exclusive(lab.clone()), "public", name, options);
    let ours: Vec<u32> = smbd_processes(lab)
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert_eq!(ours.len(), 1, "one new smbd for the drive's connection");
    (mounted, ours)
}

/// Kills every smbd process of the lab (by PID) and waits, bounded, until they are gone.
fn kill_smbd(lab: &SambaLab) {
    let smbd = smbd_processes(lab);
    assert!(!smbd.is_empty(), "the lab runs smbd");
    for &pid in &smbd {
        let _ = signal(pid, Signal::SIGKILL);
    }
    let gone = wait_until(Duration::from_secs(10), || {
        lab.processes().iter().all(|pid| !smbd.contains(pid))
    });
    assert!(gone, "smbd {smbd:?} still running 10 s after SIGKILL");
}

/// Starts `command` with its output in files of `scratch` named after `label`.
fn spawn(command: &mut Command, scratch: &Scratch, label: &str) -> Child {
    let stdout = File::create(scratch.join(&format!("{label}.out"))).expect("an output file");
    let stderr = File::create(scratch.join(&format!("{label}.err"))).expect("an output file");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {label}: {error}"))
}

/// Waits for `child` at most `limit`; a child still running then is killed and fails the test.
fn wait_bounded(child: &mut Child, limit: Duration, label: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{label} hung: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn said(scratch: &Scratch, label: &str) -> String {
    let out = fs::read_to_string(scratch.join(&format!("{label}.out"))).unwrap_or_default();
    let err = fs::read_to_string(scratch.join(&format!("{label}.err"))).unwrap_or_default();
    format!("{out}{err}")
}

fn file_size(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// smbd is killed while `dd` writes a 256 MiB file through the mount and `cp` reads another
/// out of it: each either fails (non-zero exit) or produced the whole, identical file —
/// never a short or corrupt file reported as a success — and neither hangs. Operations on
/// the mount then fail within a bound. smbd restarted, a fresh mount copies correctly.
#[test]
fn smbd_killed_mid_copy_fails_the_copy_without_hanging() {
    common::require_root();
    let _alone = SambaLab::acquire_exclusive().expect("the Samba lab, alone");
    let _back_up = LabBackUp;
    let lab = SambaLab::up().expect("the Samba lab");
    let scratch = Scratch::new("killed");
    let mut mounted = Mounted::on(
        LabHold::Exclusive(lab.clone()),
        "public",
        "drive-killed",
        DriveOptions::default(),
    );
    let here = mounted.through_mount.clone();
    let there = mounted.on_disk.clone();
    random_file(&scratch.join("source.bin"), 256 * MIB);
    random_file(&there.join("remote.bin"), 256 * MIB);
    fs::set_permissions(there.join("remote.bin"), fs::Permissions::from_mode(0o666))
        .expect("chmod");

    let mut writer = spawn(
        Command::new("dd")
            .arg(format!("if={}", scratch.join("source.bin").display()))
            .arg(format!("of={}", here.join("written.bin").display()))
            .arg("bs=1M"),
        &scratch,
        "dd",
    );
    let mut reader = spawn(
        Command::new("cp")
            .arg(here.join("remote.bin"))
            .arg(scratch.join("copied.bin")),
        &scratch,
        "cp",
    );
    // A third program has written bytes the drive still holds when smbd dies; they go to
    // the server only when it closes the file.
    let (mut closer, closer_go) =
        start_user(&scratch, "closer", "write", &here.join("closed.bin"), 0, 0);
    assert!(
        wait_until(Duration::from_secs(30), || said(&scratch, "closer")
            .contains("open")),
        "the closer wrote: {}",
        said(&scratch, "closer")
    );
    // Mid-copy: some of each file is through, not all.
    let underway = wait_until(Duration::from_secs(60), || {
        file_size(&there.join("written.bin")) >= 16 * MIB
            && file_size(&scratch.join("copied.bin")) >= 16 * MIB
    });
    let written_then = file_size(&there.join("written.bin"));
    let copied_then = file_size(&scratch.join("copied.bin"));
    kill_smbd(&lab);
    let killed_at = Instant::now();
    assert!(
        underway,
        "both copies were under way (written {written_then}, copied {copied_then})"
    );
    eprintln!("smbd killed with {written_then} bytes written and {copied_then} copied");

    File::create(&closer_go).expect("the go file");
    let closer_status = wait_bounded(&mut closer, Duration::from_secs(30), "the closer");
    let closer_said = said(&scratch, "closer");
    assert!(closer_status.success(), "the closer ran: {closer_said}");
    assert!(
        closer_said.contains("errno 5"),
        "close reports that the buffered bytes never reached the server: {closer_said}"
    );
    let wrote = wait_bounded(&mut writer, Duration::from_secs(60), "dd");
    let read = wait_bounded(&mut reader, Duration::from_secs(60), "cp");
    eprintln!(
        "dd {wrote} and cp {read} {:?} after the kill\ndd: {}\ncp: {}",
        killed_at.elapsed(),
        said(&scratch, "dd"),
        said(&scratch, "cp")
    );
    let source = sha256_file(&scratch.join("source.bin"));
    if wrote.success() {
        assert_eq!(
            sha256_file(&there.join("written.bin")),
            source,
            "dd reported success: the file must be whole"
        );
    } else {
        assert!(
            file_size(&there.join("written.bin")) < 256 * MIB
                || sha256_file(&there.join("written.bin")) != source
                || written_then == 256 * MIB,
            "dd failed although the file was complete"
        );
    }
    if read.success() {
        assert_eq!(
            sha256_file(&scratch.join("copied.bin")),
            sha256_file(&there.join("remote.bin")),
            "cp reported success: the copy must be whole"
        );
    }
    assert!(
        !wrote.success() || !read.success(),
        "at least one copy must notice that the server went away"
    );

    the_mount_fails_within_bounds(&mounted);

    // smbd restarted (only once the drive is gone: the restart recreates the namespace) and a
    // fresh mount works.
    mounted.shut_down();
    drop(mounted);
    a_fresh_mount_copies_after_the_restart(&scratch);
}

/// With the server gone, the drive says so and its operations fail with EIO, quickly.
fn the_mount_fails_within_bounds(mounted: &Mounted) {
    assert!(
        !mounted.drive().is_connected(),
        "the drive knows it lost its server"
    );
    let started = Instant::now();
    let (done, answered) = std::sync::mpsc::channel();
    let never_there = mounted.through_mount.join("never-there");
    let mount_point = mounted.mount_point.clone();
    std::thread::spawn(move || {
        let stat = fs::metadata(&never_there).map(|_| ());
        let listing = fs::read_dir(&mount_point).map(|_| ());
        let _ = done.send((stat, listing));
    });
    let (stat, listing) = answered
        .recv_timeout(Duration::from_secs(30))
        .expect("stat and opendir answer within 30 s with the server gone");
    eprintln!(
        "stat and opendir with the server gone: {:?}: {stat:?}, {listing:?}",
        started.elapsed()
    );
    assert_eq!(
        stat.expect_err("stat with the server gone").raw_os_error(),
        Some(nix::libc::EIO),
        "EIO for a lookup with the server gone"
    );
    assert_eq!(
        listing
            .expect_err("opendir with the server gone")
            .raw_os_error(),
        Some(nix::libc::EIO)
    );
}

/// Restarts the lab and copies a file through a fresh mount of it.
fn a_fresh_mount_copies_after_the_restart(scratch: &Scratch) {
    let lab = SambaLab::up().expect("the Samba lab again");
    let mounted = Mounted::on(
        LabHold::Exclusive(lab),
        "public",
        "drive-killed",
        DriveOptions::default(),
    );
    random_file(&scratch.join("again.bin"), 8 * MIB);
    let dd = run(
        Command::new("dd")
            .arg(format!("if={}", scratch.join("again.bin").display()))
            .arg(format!(
                "of={}",
                mounted.through_mount.join("again.bin").display()
            ))
            .arg("bs=1M"),
        TOOL_LIMIT,
    );
    assert_success("dd after the restart", &dd);
    assert_eq!(
        sha256_file(&mounted.on_disk.join("again.bin")),
        sha256_file(&scratch.join("again.bin"))
    );
}

/// A python3 program that opens `path` — to read (`read`: reads a byte first) or to write
/// (`write`: writes 1000 bytes, which the drive keeps buffered) — says `open`, waits (at most
/// 60 s) for the file `go` to appear, then reads `length` bytes at `offset` (prints `read <n>`)
/// or writes 1000 more bytes and closes (prints `wrote`), or prints `errno <e>` for the first
/// failure.
const USER: &str = "import os, sys, time
mode, path, go, offset, length = sys.argv[1:3] + sys.argv[3:4] + [int(a) for a in sys.argv[4:6]]
if mode == 'read':
    fd = os.open(path, os.O_RDONLY)
    os.read(fd, 1)
else:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.write(fd, b'w' * 1000)
print('open', flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.01)
try:
    if mode == 'read':
        print('read', len(os.pread(fd, length, offset)), flush=True)
    else:
        os.write(fd, b'w' * 1000)
        os.close(fd)
        print('wrote', flush=True)
except OSError as error:
    print('errno', error.errno, flush=True)
";

fn start_user(
    scratch: &Scratch,
    label: &str,
    mode: &str,
    path: &Path,
    offset: u64,
    length: u64,
) -> (Child, std::path::PathBuf) {
    let go = scratch.join(&format!("{label}.go"));
    let child = spawn(
        Command::new("python3")
            .arg("-c")
            .arg(USER)
            .arg(mode)
            .arg(path)
            .arg(&go)
            .arg(offset.to_string())
            .arg(length.to_string()),
        scratch,
        label,
    );
    (child, go)
}

/// Lets the user process `label` go on (creating its go file, when given) and checks that it
/// ends within 5 s, having met EIO or ENOTCONN. Returns what it said.
fn fails_with_eio(scratch: &Scratch, child: &mut Child, label: &str, go: Option<&Path>) -> String {
    if let Some(go) = go {
        File::create(go).expect("the go file");
    }
    let status = wait_bounded(child, Duration::from_secs(5), label);
    let said = said(scratch, label);
    assert!(status.success(), "{label} ran: {said}");
    assert!(
        said.contains("errno 5") || said.contains("errno 107"),
        "{label} gets EIO or ENOTCONN after the forced unmount: {said}"
    );
    said
}

/// A forced unmount while one process holds a file open and another is blocked in a read
/// the server does not answer (its smbd stopped): both get EIO (or ENOTCONN) at once, nothing
/// hangs, and the mount is gone from the mount table.
#[test]
fn forced_unmount_fails_open_and_blocked_files_with_eio() {
    common::require_root();
    let _alone = SambaLab::acquire_exclusive().expect("the Samba lab, alone");
    let _back_up = LabBackUp;
    let lab = SambaLab::up().expect("the Samba lab");
    let scratch = Scratch::new("forced");
    let (mut mounted, ours) = mount_alone(&lab, "drive-forced");
    let there = mounted.on_disk.clone();
    let here = mounted.through_mount.clone();
    random_file(&there.join("held.bin"), 4 * MIB);
    random_file(&there.join("blocked.bin"), 8 * MIB);

    let (mut holder, holder_go) =
        start_user(&scratch, "holder", "read", &here.join("held.bin"), 0, 4096);
    let (mut blocked, blocked_go) = start_user(
        &scratch,
        "blocked",
        "read",
        &here.join("blocked.bin"),
        6 * MIB,
        65536,
    );
    let (mut writer, writer_go) =
        start_user(&scratch, "writer", "write", &here.join("written.bin"), 0, 0);
    let all_open = wait_until(Duration::from_secs(30), || {
        ["holder", "blocked", "writer"]
            .iter()
            .all(|label| said(&scratch, label).contains("open"))
    });
    assert!(
        all_open,
        "all three opened their files: {} / {} / {}",
        said(&scratch, "holder"),
        said(&scratch, "blocked"),
        said(&scratch, "writer")
    );
    assert!(
        mounted.drive().open_files() >= 3,
        "the drive counts the open files: {}",
        mounted.drive().open_files()
    );

    // The server stops answering this connection; the second reader's read now waits for it.
    let stopped = Stopped::now(ours);
    File::create(&blocked_go).expect("the go file");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        blocked.try_wait().expect("wait").is_none(),
        "the read waits for the stopped server: {}",
        said(&scratch, "blocked")
    );

    let started = Instant::now();
    let (done, unmounted) = std::sync::mpsc::channel();
    let drive = mounted.drive.take().expect("the drive");
    std::thread::spawn(move || {
        let _ = done.send(drive.unmount(true));
    });
    let result = unmounted
        .recv_timeout(Duration::from_secs(10))
        .expect("the forced unmount returns within 10 s");
    result.expect("the forced unmount succeeds");
    eprintln!("forced unmount took {:?}", started.elapsed());
    assert!(
        !is_mounted(&mounted.mount_point),
        "the mount is gone from /proc/self/mountinfo"
    );

    // The blocked read fails at once (long before the request's own 10 s timeout); the
    // holder's next read fails too, and so does the writer's next write (its buffered bytes
    // are not reported written).
    let blocked_said = fails_with_eio(&scratch, &mut blocked, "blocked", None);
    let holder_said = fails_with_eio(&scratch, &mut holder, "holder", Some(&holder_go));
    let writer_said = fails_with_eio(&scratch, &mut writer, "writer", Some(&writer_go));
    eprintln!(
        "blocked reader: {}; holder: {}; writer: {}; {:?} after the unmount",
        blocked_said.trim().replace('\n', " "),
        holder_said.trim().replace('\n', " "),
        writer_said.trim().replace('\n', " "),
        started.elapsed()
    );
    drop(stopped);
}

/// The server stops answering (its smbd for this drive stopped, the connection kept open)
/// while `dd` writes through the mount and `cp` reads out of it: both fail within one SMB
/// request timeout (10 s) and a margin, instead of hanging, and neither reports an
/// incomplete file done.
#[test]
fn an_unanswering_server_fails_copies_within_the_request_timeout() {
    common::require_root();
    let _alone = SambaLab::acquire_exclusive().expect("the Samba lab, alone");
    let _back_up = LabBackUp;
    let lab = SambaLab::up().expect("the Samba lab");
    let scratch = Scratch::new("unanswering");
    let (mounted, ours) = mount_alone(&lab, "drive-unanswering");
    let here = mounted.through_mount.clone();
    let there = mounted.on_disk.clone();
    random_file(&scratch.join("source.bin"), 256 * MIB);
    random_file(&there.join("remote.bin"), 256 * MIB);

    let mut writer = spawn(
        Command::new("dd")
            .arg(format!("if={}", scratch.join("source.bin").display()))
            .arg(format!("of={}", here.join("written.bin").display()))
            .arg("bs=1M"),
        &scratch,
        "dd",
    );
    let mut reader = spawn(
        Command::new("cp")
            .arg(here.join("remote.bin"))
            .arg(scratch.join("copied.bin")),
        &scratch,
        "cp",
    );
    let underway = wait_until(Duration::from_secs(60), || {
        file_size(&there.join("written.bin")) >= 16 * MIB
            && file_size(&scratch.join("copied.bin")) >= 16 * MIB
    });
    let stopped = Stopped::now(ours);
    let stopped_at = Instant::now();
    assert!(underway, "both copies were under way");

    let (wrote, read) = std::thread::scope(|scope| {
        let read = scope.spawn(|| {
            let status = wait_bounded(&mut reader, Duration::from_secs(60), "cp");
            eprintln!("cp ended {:?} after smbd stopped", stopped_at.elapsed());
            status
        });
        let wrote = wait_bounded(&mut writer, Duration::from_secs(60), "dd");
        eprintln!("dd ended {:?} after smbd stopped", stopped_at.elapsed());
        (wrote, read.join().expect("the cp waiter"))
    });
    let took = stopped_at.elapsed();
    eprintln!(
        "dd {wrote} and cp {read} {took:?} after smbd stopped\ndd: {}\ncp: {}",
        said(&scratch, "dd"),
        said(&scratch, "cp")
    );
    assert!(
        took < Duration::from_secs(16),
        "both ended within one request timeout (10 s) and a margin: {took:?}"
    );
    assert!(
        !wrote.success() || file_size(&there.join("written.bin")) == 256 * MIB,
        "dd did not report an incomplete file as written"
    );
    assert!(
        !read.success() || file_size(&scratch.join("copied.bin")) == 256 * MIB,
        "cp did not report an incomplete copy as done"
    );
    assert!(
        !wrote.success() && !read.success(),
        "both copies notice that the server stopped answering"
    );
    assert!(
        !mounted.drive().is_connected(),
        "the drive takes a server that stopped answering as gone"
    );
    drop(stopped);
}

/// A python3 program that copies `source` to `target` (either may be on the mount) in 1 MiB
/// reads and writes through one descriptor each, pausing `pause` seconds after each block and
/// writing how many bytes it copied to the file `progress`; it fsyncs and closes the target and
/// prints `done`. A failure is an exception: it exits non-zero, with the errno on stderr.
const SLOW_COPY: &str = "import os, sys, time
source, target, progress, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
fi = os.open(source, os.O_RDONLY)
fo = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
done = 0
while True:
    block = os.read(fi, 1 << 20)
    if not block:
        break
    view = memoryview(block)
    while view:
        view = view[os.write(fo, view):]
    done += len(block)
    with open(progress + '.tmp', 'w') as f:
        f.write(str(done))
    os.replace(progress + '.tmp', progress)
    time.sleep(pause)
os.fsync(fo)
os.close(fo)
os.close(fi)
print('done', done, flush=True)
";

/// Starts a [`SLOW_COPY`] of `source` to `target`, its output and progress named `label`.
fn slow_copy(scratch: &Scratch, source: &Path, target: &Path, label: &str) -> Child {
    spawn(
        Command::new("python3")
            .arg("-c")
            .arg(SLOW_COPY)
            .arg(source)
            .arg(target)
            .arg(scratch.join(&format!("{label}.progress")))
            .arg("0.05"),
        scratch,
        label,
    )
}

/// How far a [`SLOW_COPY`] got.
fn progress(path: &Path) -> u64 {
    fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// The connection behind the drive is lost — the smbd serving it killed (SIGTERM: it drops
/// the connection and keeps the durable opens for their timeout; after a SIGKILL, as after a
/// server crash, Samba keeps nothing to reopen) — while one program
/// reads a file out of the mount and another writes one into it, each through a descriptor
/// opened before. The drive is then handed a freshly connected tree, as the agent does when it
/// reconnects: the files' durable handles are reopened on it, the reads and the held-back
/// writes that failed with the connection are sent again there, and both programs finish
/// successfully with files identical (SHA-256) to their sources, on the server's disk too.
/// Before durable handles were reopened, both failed with EIO.
#[test]
fn open_files_survive_a_killed_connection() {
    common::require_root();
    let _alone = SambaLab::acquire_exclusive().expect("the Samba lab, alone");
    let _back_up = LabBackUp;
    let lab = SambaLab::up().expect("the Samba lab");
    let scratch = Scratch::new("durable");
    let options = DriveOptions {
        reconnect_wait: DEFAULT_RECONNECT_WAIT,
        ..DriveOptions::default()
    };
    let (mounted, ours) = mount_alone_with(&lab, "drive-durable", options);
    let here = mounted.through_mount.clone();
    let there = mounted.on_disk.clone();
    random_file(&scratch.join("source.bin"), 48 * MIB);
    random_file(&there.join("remote.bin"), 48 * MIB);
    fs::set_permissions(there.join("remote.bin"), fs::Permissions::from_mode(0o666))
        .expect("chmod");

    let mut writer = slow_copy(
        &scratch,
        &scratch.join("source.bin"),
        &here.join("written.bin"),
        "writer",
    );
    let mut reader = slow_copy(
        &scratch,
        &here.join("remote.bin"),
        &scratch.join("copied.bin"),
        "reader",
    );
    let underway = wait_until(Duration::from_secs(60), || {
        progress(&scratch.join("writer.progress")) >= 8 * MIB
            && progress(&scratch.join("reader.progress")) >= 8 * MIB
    });
    assert!(
        underway,
        "both copies under way: {} / {}",
        said(&scratch, "writer"),
        said(&scratch, "reader")
    );

    // Only the smbd of the drive's connection dies: the server stays up for the reconnection.
    // The drive is reconnected as soon as it finds its connection lost, as fast as the agent
    // could: the reopens must wait for the server to have let the old connection go.
    for &pid in &ours {
        signal(pid, Signal::SIGTERM).expect("SIGTERM the drive's smbd");
    }
    let killed_at = Instant::now();
    assert!(
        wait_until(Duration::from_secs(15), || !mounted.drive().is_connected()),
        "the drive finds its connection lost"
    );
    let (written_then, read_then) = (
        progress(&scratch.join("writer.progress")),
        progress(&scratch.join("reader.progress")),
    );
    eprintln!(
        "connection lost {:?} after the kill, {written_then} bytes written and {read_then} read",
        killed_at.elapsed()
    );
    mounted.reconnect();
    eprintln!("reconnected {:?} after the kill", killed_at.elapsed());

    let wrote = wait_bounded(&mut writer, Duration::from_secs(120), "the writer");
    let read = wait_bounded(&mut reader, Duration::from_secs(120), "the reader");
    eprintln!(
        "writer {wrote}, reader {read}, {:?} after the kill\nwriter: {}\nreader: {}",
        killed_at.elapsed(),
        said(&scratch, "writer"),
        said(&scratch, "reader")
    );
    assert!(
        written_then < 48 * MIB && read_then < 48 * MIB,
        "the connection was lost mid-copy ({written_then} written, {read_then} read)"
    );
    assert!(
        wrote.success(),
        "the writer went on across the lost connection: {}",
        said(&scratch, "writer")
    );
    assert!(
        read.success(),
        "the reader went on across the lost connection: {}",
        said(&scratch, "reader")
    );
    assert_eq!(
        sha256_file(&there.join("written.bin")),
        sha256_file(&scratch.join("source.bin")),
        "the file written through the mount is on the server's disk, whole"
    );
    assert_eq!(
        sha256_file(&scratch.join("copied.bin")),
        sha256_file(&there.join("remote.bin")),
        "the file read through the mount is the server's, whole"
    );
    assert!(
        mounted.drive().is_connected(),
        "the drive is connected again"
    );
}

/// A plain unmount with nothing open removes the mount at once; the files stay on the server.
/// The drive counts open files while they are open.
#[test]
fn unmount_with_nothing_open_removes_the_mount() {
    let mut mounted = Mounted::new("drive-unmount", DriveOptions::default());
    let here = mounted.through_mount.clone();
    {
        fs::write(here.join("kept.txt"), b"kept after the unmount").expect("write");
        let _open = File::open(here.join("kept.txt")).expect("open");
        assert_eq!(mounted.drive().open_files(), 1, "one file open");
    }
    // The kernel releases a closed file in the background.
    assert!(
        wait_until(Duration::from_secs(5), || mounted.drive().open_files() == 0),
        "no file open after close: {}",
        mounted.drive().open_files()
    );
    assert!(mounts::is_wnet_mount(&mounted.mount_point));
    let started = Instant::now();
    mounted.unmount(false).expect("a plain unmount");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        !is_mounted(&mounted.mount_point),
        "the mount is gone from /proc/self/mountinfo"
    );
    assert!(
        !here.exists(),
        "the mount point is an empty directory again"
    );
    assert_eq!(
        fs::read(mounted.on_disk.join("kept.txt")).expect("the file on the server"),
        b"kept after the unmount"
    );
}
