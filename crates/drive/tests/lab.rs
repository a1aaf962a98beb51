//! The drive against the Samba lab: a share mounted with FUSE and used with ordinary file
//! operations, each checked against the share's directory on the server's disk.

use std::fs;

use std::net::{SocketAddr, SocketAddrV4};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wnet_drive::{Drive, DriveOptions, mount, mounts};
use wnet_smb2::client::{Credentials, SessionOptions, negotiate};
use wnet_smb2::{Session, Tree, connect_tcp};
use wnet_testlab::SambaLab;

const TIMEOUT: Duration = Duration::from_secs(10);

struct Mounted {
    drive: Option<Drive>,
    mount_point: PathBuf,
    /// The share's directory for this test on the server's disk.
    on_disk: PathBuf,
    /// The same directory through the mount.
    through_mount: PathBuf,
    runtime: tokio::runtime::Runtime,
    _lab: wnet_testlab::InUse<SambaLab>,
}

impl Mounted {
    /// Mounts the lab's public share as wnetalice and makes a fresh directory `name` in it.
    fn new(name: &str, options: DriveOptions) -> Mounted {
        let lab = SambaLab::acquire().expect("the Samba lab");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test setup");
        let share = lab.share("public").expect("a public share").path.clone();
        let on_disk = share.join(name);
        let _ = fs::remove_dir_all(&on_disk);
        fs::create_dir(&on_disk).expect("test setup");
        fs::set_permissions(&on_disk, fs::Permissions::from_mode(0o777)).expect("test setup");
        let tree = runtime.block_on(connect(&lab));
        let mount_point =
            std::env::temp_dir().join(format!("wnet-drive-{name}-{}", std::process::id()));
        let _ = mounts::unmount(&mount_point, true);
        fs::create_dir_all(&mount_point).expect("test setup");
        let drive = mount(
            tree,
            &mount_point,
            "//labserver/public",
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
            runtime,
            _lab: lab,
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(drive) = self.drive.take() {
            let _ = drive.unmount(true);
        }
        let _ = fs::remove_dir(&self.mount_point);
        let _ = fs::remove_dir_all(&self.on_disk);
        let _ = &self.runtime;
    }
}

async fn connect(lab: &SambaLab) -> Tree {
    let user = lab.user("wnetalice").expect("the lab has wnetalice");
    let credentials = Credentials::new(&*user.name, "", user.password.as_str());
    let address = SocketAddr::V4(SocketAddrV4::new(lab.address, lab.ports.smb));
    let connection = connect_tcp(address, TIMEOUT).await.expect("connect");
    let options = SessionOptions::default();
    let negotiated = negotiate(&connection, false).await.expect("negotiate");
    let session = Session::setup(&connection, &negotiated, &credentials, &options)
        .await
        .expect("session");
    session
        .tree_connect(&lab.smb_path("public").replace('/', "\\"))
        .await
        .expect("tree connect")
}

fn sorted_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("test setup")
        .map(|entry| {
            entry
                .expect("test setup")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
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
