//! Helpers shared by the drive's lab tests: a share of the Samba lab mounted with FUSE in a
//! fresh test directory, Samba's own client to check what the server holds, and SHA-256 of
//! files with `sha256sum`. Every subprocess runs with a time limit.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, SocketAddrV4};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use wnet_drive::{Drive, DriveOptions, mount, mounts};
use wnet_smb2::client::{Credentials, SessionOptions, negotiate_for};
use wnet_smb2::{Session, Tree, connect_tcp};
use wnet_testlab::{InUse, SambaLab, run_bounded};

/// The SMB client's request timeout (and TCP connect bound).
pub(crate) const SMB_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one smbclient run or one ordinary tool may take.
pub(crate) const TOOL_LIMIT: Duration = Duration::from_secs(120);

/// Fails the test with a clear message unless it runs as root (mounting needs it here).
pub(crate) fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the drive's lab tests mount with FUSE and use the Samba lab: run them as root"
    );
}

/// The Samba lab for a test: held shared, or used under an exclusive lease the test holds.
pub(crate) enum LabHold {
    /// A shared lease.
    Shared(InUse<SambaLab>),
    /// The lab as the test that holds it alone brought it up.
    Exclusive(SambaLab),
}

impl LabHold {
    pub(crate) fn lab(&self) -> &SambaLab {
        match self {
            LabHold::Shared(lab) => lab,
            LabHold::Exclusive(lab) => lab,
        }
    }
}

/// A lab share mounted at a fresh mount point, with a fresh test directory in it.
pub(crate) struct Mounted {
    pub(crate) drive: Option<Drive>,
    pub(crate) mount_point: PathBuf,
    /// The share's directory for this test on the server's disk.
    pub(crate) on_disk: PathBuf,
    /// The same directory through the mount.
    pub(crate) through_mount: PathBuf,
    /// The test directory's path inside the share (`name`).
    pub(crate) name: String,
    pub(crate) share: String,
    /// The ClientGuid the drive's connection was negotiated under.
    client_guid: [u8; 16],
    runtime: Option<tokio::runtime::Runtime>,
    lab: LabHold,
}

impl Mounted {
    /// Mounts the lab's public share as wnetalice and makes a fresh directory `name` in it.
    pub(crate) fn new(name: &str, options: DriveOptions) -> Mounted {
        require_root();
        let lab = SambaLab::acquire().expect("the Samba lab");
        Mounted::on(LabHold::Shared(lab), "public", name, options)
    }

    /// Mounts the lab's `share` (held shared) as wnetalice, with a fresh directory `name`.
    pub(crate) fn on_share(share: &str, name: &str, options: DriveOptions) -> Mounted {
        require_root();
        let lab = SambaLab::acquire().expect("the Samba lab");
        Mounted::on(LabHold::Shared(lab), share, name, options)
    }

    /// Mounts `share` of `lab` as wnetalice; the test directory `name` is made on the server's
    /// disk (mode 0777, so that the lab user may write in it even on a share it cannot write).
    pub(crate) fn on(lab: LabHold, share: &str, name: &str, options: DriveOptions) -> Mounted {
        require_root();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let share_dir = lab
            .lab()
            .share(share)
            .unwrap_or_else(|| panic!("the lab has a share {share}"))
            .path
            .clone();
        let on_disk = share_dir.join(name);
        let _ = fs::remove_dir_all(&on_disk);
        fs::create_dir(&on_disk).expect("the test directory on the server's disk");
        fs::set_permissions(&on_disk, fs::Permissions::from_mode(0o777))
            .expect("chmod 0777 the test directory");
        let tree = runtime.block_on(connect(lab.lab(), share));
        let client_guid = tree.session().negotiated().client_guid();
        let mount_point =
            std::env::temp_dir().join(format!("wnet-drive-{name}-{}", std::process::id()));
        let _ = mounts::unmount(&mount_point, true);
        fs::create_dir_all(&mount_point).expect("the mount point");
        let drive = mount(
            tree,
            &mount_point,
            &format!("//labserver/{share}"),
            options,
            runtime.handle().clone(),
        )
        .expect("mount");
        let through_mount = mount_point.join(name);
        Mounted {
            drive: Some(drive),
            mount_point,
            on_disk,
            through_mount,
            name: name.to_owned(),
            share: share.to_owned(),
            client_guid,
            runtime: Some(runtime),
            lab,
        }
    }

    pub(crate) fn lab(&self) -> &SambaLab {
        self.lab.lab()
    }

    pub(crate) fn drive(&self) -> &Drive {
        self.drive.as_ref().expect("the drive is mounted")
    }

    /// Connects the share again on a fresh session and hands the tree to the drive, as the
    /// agent does once it finds the drive's connection lost.
    pub(crate) fn reconnect(&self) {
        let runtime = self.runtime.as_ref().expect("the drive's runtime");
        let tree = runtime.block_on(connect_as(
            self.lab.lab(),
            &self.share,
            Some(self.client_guid),
        ));
        self.drive().reconnected(tree);
    }

    /// Unmounts (by force when asked).
    pub(crate) fn unmount(&mut self, force: bool) -> io::Result<()> {
        self.drive
            .take()
            .expect("the drive is mounted")
            .unmount(force)
    }

    /// Unmounts by force and stops the runtime: nothing of this drive talks to the server
    /// any more (the lab's namespace may go after this).
    pub(crate) fn shut_down(&mut self) {
        if let Some(drive) = self.drive.take() {
            let _ = drive.unmount(true);
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }

    /// `path` inside the test directory, as smbclient names it.
    pub(crate) fn remote(&self, path: &str) -> String {
        format!("{}/{path}", self.name)
    }

    /// Runs smbclient on this share as wnetalice and checks that it succeeded.
    pub(crate) fn smbclient(&self, commands: &str) -> Output {
        smbclient(self.lab(), &self.share, commands, None)
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.shut_down();
        let _ = fs::remove_dir(&self.mount_point);
        let _ = fs::remove_dir_all(&self.on_disk);
    }
}

/// A session and tree connection to `share` as wnetalice.
pub(crate) async fn connect(lab: &SambaLab, share: &str) -> Tree {
    connect_as(lab, share, None).await
}

/// [`connect`] under the ClientGuid `client_guid` (a connection made again, whose durable
/// handles the server ties to it), or a new one.
pub(crate) async fn connect_as(lab: &SambaLab, share: &str, client_guid: Option<[u8; 16]>) -> Tree {
    let user = lab.user("wnetalice").expect("the lab has wnetalice");
    let credentials = Credentials::new(&*user.name, "", user.password.as_str());
    let address = SocketAddr::V4(SocketAddrV4::new(lab.address, lab.ports.smb));
    let connection = connect_tcp(address, SMB_TIMEOUT).await.expect("connect");
    let options = SessionOptions {
        target_name: lab.address.to_string(),
        client_guid,
        ..SessionOptions::default()
    };
    let negotiated = negotiate_for(&connection, &options)
        .await
        .expect("negotiate");
    let session = Session::setup(&connection, &negotiated, &credentials, &options)
        .await
        .expect("session");
    session
        .tree_connect(&lab.smb_path(share).replace('/', "\\"))
        .await
        .expect("tree connect")
}

/// Runs `command` bounded by `limit`; a tool that does not finish in time fails the test.
pub(crate) fn run(command: &mut Command, limit: Duration) -> Output {
    run_bounded(command, limit).unwrap_or_else(|error| panic!("{error}"))
}

/// Fails the test unless `output` is a success.
pub(crate) fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs a shell command line (bounded) and checks that it succeeded.
pub(crate) fn sh(script: &str) -> Output {
    let output = run(Command::new("sh").arg("-c").arg(script), TOOL_LIMIT);
    assert_success(script, &output);
    output
}

/// Runs smbclient against `share` as wnetalice (in `local_dir` when given) and checks that it
/// succeeded: exit status 0 and no NT_STATUS error in what it printed.
pub(crate) fn smbclient(
    lab: &SambaLab,
    share: &str,
    commands: &str,
    local_dir: Option<&Path>,
) -> Output {
    let user = lab.user("wnetalice").expect("the lab has wnetalice");
    let mut command = Command::new("smbclient");
    command
        .arg(lab.smb_path(share))
        .arg("-U")
        .arg(format!("{}%{}", user.name, user.password))
        .arg("-c")
        .arg(commands);
    if let Some(dir) = local_dir {
        command.current_dir(dir);
    }
    let output = run(&mut command, TOOL_LIMIT);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && !said.contains("NT_STATUS_"),
        "smbclient -c '{commands}' failed ({}): {said}",
        output.status
    );
    output
}

/// A local scratch directory, removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("wnet-drive-scratch-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("a scratch directory");
        Scratch(path)
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `size` random bytes to `path`.
pub(crate) fn random_file(path: &Path, size: u64) {
    let mut source = fs::File::open("/dev/urandom")
        .expect("/dev/urandom")
        .take(size);
    let mut file = fs::File::create(path).expect("a local file");
    let copied = io::copy(&mut source, &mut file).expect("random bytes");
    assert_eq!(copied, size);
    file.flush().expect("flush");
}

/// `size` random bytes.
pub(crate) fn random_bytes(size: usize) -> Vec<u8> {
    let mut bytes = vec![0; size];
    fs::File::open("/dev/urandom")
        .expect("/dev/urandom")
        .read_exact(&mut bytes)
        .expect("random bytes");
    bytes
}

/// SHA-256 (hex) of each of `names` in `dir`, with `sha256sum` (reading them as any program
/// would: through the mount when `dir` is in it).
pub(crate) fn sha256_files(dir: &Path, names: &[String]) -> BTreeMap<String, String> {
    let mut hashes = BTreeMap::new();
    for batch in names.chunks(2000) {
        let output = run(
            Command::new("sha256sum")
                .arg("--")
                .args(batch)
                .current_dir(dir),
            TOOL_LIMIT,
        );
        assert_success(&format!("sha256sum in {}", dir.display()), &output);
        let text = String::from_utf8(output.stdout).expect("sha256sum prints text");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), batch.len(), "one hash per file");
        for (name, line) in batch.iter().zip(lines) {
            let (hash, listed) = line.split_once("  ").expect("sha256sum's line");
            assert_eq!(listed, name, "sha256sum answers in order");
            hashes.insert(name.clone(), hash.to_owned());
        }
    }
    hashes
}

/// SHA-256 (hex) of one file.
pub(crate) fn sha256_file(path: &Path) -> String {
    let dir = path.parent().expect("a file in a directory");
    let name = path
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    sha256_files(dir, std::slice::from_ref(&name))
        .remove(&name)
        .expect("its hash")
}

/// Names and sizes of the entries of `dir` (directories with size 0).
pub(crate) fn listing(dir: &Path) -> BTreeMap<String, u64> {
    fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("list {}: {error}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("a directory entry");
            let metadata = entry.metadata().expect("the entry's metadata");
            let size = if metadata.is_dir() { 0 } else { metadata.len() };
            (entry.file_name().to_string_lossy().into_owned(), size)
        })
        .collect()
}

/// The names in `dir`, sorted.
pub(crate) fn sorted_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("list {}: {error}", dir.display()))
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Whether something is mounted at `path` (any file system), per /proc/self/mountinfo.
pub(crate) fn is_mounted(path: &Path) -> bool {
    mounts::mount_table()
        .iter()
        .any(|entry| entry.mount_point == path)
}

/// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it held.
pub(crate) fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The raw OS error of an I/O failure, for assertions.
pub(crate) fn os_error(error: &io::Error) -> Option<nix::errno::Errno> {
    error.raw_os_error().map(nix::errno::Errno::from_raw)
}
