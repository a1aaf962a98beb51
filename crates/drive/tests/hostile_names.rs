//! A drive mounted on the hostile SMB2 server of `wnet-smb2`'s tests (on loopback), which
//! lists names no POSIX directory can hold: with `/` (which would alias a file in another
//! directory), `\`, NUL, `.`, `..`, empty, and longer than 255 bytes. `ls` through the mount
//! shows the good names only; the rest are skipped (and logged), and the listing works.

#[path = "../../smb2/tests/hostile/mod.rs"]
#[allow(dead_code)]
mod hostile;

use std::fs;
use std::time::Duration;

use hostile::{DirectoryAnswers, HostileServer, Script};
use wnet_drive::DriveOptions;
use wnet_smb2::client::{Credentials, SessionOptions, negotiate};
use wnet_smb2::wire::dialect;
use wnet_smb2::{Session, connect_tcp};

/// 256 bytes: one past what a POSIX name may hold.
const TOO_LONG: &str = concat!(
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
);

const LISTED: &[&str] = &[
    ".",
    "..",
    "good.txt",
    "../../etc/passwd",
    "sub/other.txt",
    "back\\slash",
    "nul\0byte",
    "",
    TOO_LONG,
    "also good",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_no_directory_can_hold_are_skipped() {
    assert_eq!(TOO_LONG.len(), 256);
    let server = HostileServer::start(
        Script::new(dialect::SMB_3_1_1).directory(DirectoryAnswers::Names(LISTED)),
    )
    .await;
    let connection = connect_tcp(server.address, Duration::from_secs(5))
        .await
        .expect("connect");
    let negotiated = negotiate(&connection, false).await.expect("negotiate");
    let credentials = Credentials::new(Script::USER, "", Script::PASSWORD);
    let session = Session::setup(
        &connection,
        &negotiated,
        &credentials,
        &SessionOptions::default(),
    )
    .await
    .expect("session");
    let tree = session
        .tree_connect(r"\\hostile\share")
        .await
        .expect("tree connect");

    let mount_point =
        std::env::temp_dir().join(format!("wnet-hostile-names-{}", std::process::id()));
    let _ = fs::remove_dir(&mount_point);
    fs::create_dir(&mount_point).expect("a mount point");
    let runtime = tokio::runtime::Handle::current();
    let at = mount_point.clone();
    let drive = tokio::task::spawn_blocking(move || {
        wnet_drive::mount(
            tree,
            &at,
            "//hostile/share",
            DriveOptions::default(),
            runtime,
        )
    })
    .await
    .expect("the mount task")
    .expect("mounted");

    let at = mount_point.clone();
    let listed = tokio::task::spawn_blocking(move || {
        let mut names: Vec<String> = fs::read_dir(&at)?
            .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        names.sort();
        Ok::<_, std::io::Error>(names)
    })
    .await
    .expect("the listing task");
    drop(drive);
    let _ = fs::remove_dir(&mount_point);
    assert_eq!(
        listed.expect("ls through the mount"),
        ["also good", "good.txt"]
    );
}
