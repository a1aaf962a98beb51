//! Our SMB2/3 client against the Samba lab's smbd: negotiation, NTLMv2 sessions with signing
//! and encryption, tree connects, directory listings and reads, the statuses of failures, and
//! the timeout that bounds every request.

use std::net::{SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use wnet_smb2::client::{
    Credentials, SessionOptions, negotiate, negotiate_dialects, negotiate_for,
};
use wnet_smb2::wire::dialect;
use wnet_smb2::{Error, NtStatus, Session, connect_tcp};
use wnet_testlab::SambaLab;

const TIMEOUT: Duration = Duration::from_secs(10);

fn address(lab: &SambaLab) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(lab.address, lab.ports.smb))
}

fn alice(lab: &SambaLab) -> Credentials {
    let user = lab.user("wnetalice").expect("the lab has wnetalice");
    Credentials::new(&*user.name, "", user.password.as_str())
}

async fn open_session(
    lab: &SambaLab,
    credentials: &Credentials,
    options: &SessionOptions,
) -> Result<Session, Error> {
    let connection = connect_tcp(address(lab), TIMEOUT).await?;
    let negotiated = negotiate_for(&connection, options).await?;
    // The name the user would type: NTLM sends cifs/<it> as MsvAvTargetName.
    let mut options = options.clone();
    if options.target_name.is_empty() {
        options.target_name = lab.address.to_string();
    }
    Session::setup(&connection, &negotiated, credentials, &options).await
}

#[tokio::test]
async fn negotiates_smb_3_1_1_and_lists_a_share_like_the_server_sees_it() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on");
    assert_eq!(session.negotiated().dialect, dialect::SMB_3_1_1);
    assert!(!session.is_guest() && !session.is_anonymous());

    let share = lab.share("public").expect("a public share");
    std::fs::write(share.path.join("smb2-probe.txt"), b"hello from the lab\n").unwrap();
    let tree = session
        .tree_connect(&lab.smb_path("public").replace('/', "\\"))
        .await
        .expect("tree connect");
    let entries = tree.list_directory("").await.expect("a listing");
    let mut ours: Vec<String> = entries.iter().map(|entry| entry.name.clone()).collect();
    ours.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&share.path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(ours, on_disk);

    let file = tree.open_existing("smb2-probe.txt").await.expect("open");
    assert_eq!(file.attributes.end_of_file, 19);
    assert_eq!(
        file.read_at(0, 4096).await.unwrap(),
        b"hello from the lab\n"
    );
    assert_eq!(file.read_at(19, 4096).await.unwrap(), b"");
    file.close().await.unwrap();
    tree.disconnect().await.unwrap();
    session.logoff().await.unwrap();
}

#[tokio::test]
async fn signing_and_encryption_when_required() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let signed = SessionOptions {
        require_signing: true,
        ..SessionOptions::default()
    };
    let signed_session = open_session(&lab, &alice(&lab), &signed)
        .await
        .expect("signed session");
    assert!(signed_session.is_signing());
    let tree = signed_session
        .tree_connect(&lab.smb_path("readonly").replace('/', "\\"))
        .await
        .expect("signed tree connect");
    tree.list_directory("").await.expect("signed listing");

    let sealed = SessionOptions {
        require_encryption: true,
        ..SessionOptions::default()
    };
    let session = open_session(&lab, &alice(&lab), &sealed)
        .await
        .expect("encrypted session");
    assert!(session.is_encrypting());
    let tree = session
        .tree_connect(&lab.smb_path("readonly").replace('/', "\\"))
        .await
        .expect("encrypted tree connect");
    tree.list_directory("").await.expect("encrypted listing");
}

#[tokio::test]
async fn failures_carry_the_servers_status() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let wrong = Credentials::new("wnetalice", "", "not-the-password");
    let error = open_session(&lab, &wrong, &SessionOptions::default())
        .await
        .expect_err("a wrong password fails");
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_LOGON_FAILURE),
        "{error}"
    );

    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on");
    let error = session
        .tree_connect(&format!("\\\\{}\\no-such-share", lab.address))
        .await
        .expect_err("a missing share fails");
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_BAD_NETWORK_NAME),
        "{error}"
    );

    let bob = lab.user("wnetbob").expect("wnetbob");
    let bob = Credentials::new(&*bob.name, "", bob.password.as_str());
    let bob_session = session_for(&lab, &bob).await;
    let error = bob_session
        .tree_connect(&lab.smb_path("alice").replace('/', "\\"))
        .await
        .expect_err("bob may not use alice's share");
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_ACCESS_DENIED),
        "{error}"
    );

    let tree = session
        .tree_connect(&lab.smb_path("public").replace('/', "\\"))
        .await
        .expect("tree connect");
    let error = tree.stat("no/such/file").await.expect_err("missing file");
    assert!(
        matches!(
            error.status(),
            Some(NtStatus::STATUS_OBJECT_PATH_NOT_FOUND | NtStatus::STATUS_OBJECT_NAME_NOT_FOUND)
        ),
        "{error}"
    );
}

async fn session_for(lab: &SambaLab, credentials: &Credentials) -> Session {
    open_session(lab, credentials, &SessionOptions::default())
        .await
        .expect("logs on")
}

/// A server that accepts the TCP connection and then says nothing: the request must fail
/// with a timeout, not hang.
#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let connection = connect_tcp(address, Duration::from_millis(300))
        .await
        .unwrap();
    let started = Instant::now();
    let error = negotiate(&connection, false).await.expect_err("no answer");
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The silent server is taken as gone: the connection is closed, and says why.
    let reason = connection
        .closed_reason()
        .expect("the connection is closed")
        .to_string();
    assert!(reason.contains("did not answer"), "{reason}");
    silent.abort();
}

/// A server that closes the connection mid-request: the request fails at once.
#[tokio::test]
async fn a_server_that_hangs_up_fails_the_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let closer = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        drop(socket);
    });
    let connection = connect_tcp(address, TIMEOUT).await.unwrap();
    let error = negotiate(&connection, false).await.expect_err("hung up");
    assert!(matches!(error, Error::Closed(_)), "{error}");
    closer.await.unwrap();
}

#[tokio::test]
async fn lists_the_servers_shares_over_srvsvc() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on");
    let shares = wnet_smb2::client::list_shares(&session, &lab.address.to_string())
        .await
        .expect("NetrShareEnum");
    let listed = sorted_listing(shares);
    // Samba leaves non-browseable shares out; the rest are listed with their comments.
    let mut expected: Vec<(String, u32, String)> = lab
        .shares
        .iter()
        .filter(|share| !share.hidden)
        .map(|share| (share.name.clone(), 0, share.comment.clone()))
        .collect();
    expected.push((
        "IPC$".into(),
        0x8000_0003,
        format!("IPC Service ({})", lab.server_string),
    ));
    expected.sort();
    assert_eq!(listed, expected);
    // The second listing runs on the pipe the first kept open, and lists the same.
    let again = wnet_smb2::client::list_shares(&session, &lab.address.to_string())
        .await
        .expect("NetrShareEnum on the kept pipe");
    assert_eq!(sorted_listing(again), expected);
}

/// A listing as `(name, type, remark)`, sorted.
fn sorted_listing(shares: Vec<wnet_smb2::rpc::srvsvc::ShareInfo1>) -> Vec<(String, u32, String)> {
    let mut listed: Vec<(String, u32, String)> = shares
        .into_iter()
        .map(|share| (share.name, share.share_type, share.remark))
        .collect();
    listed.sort();
    listed
}

/// The pipe a listing keeps breaks when the server's RPC worker ends (samba-dcerpcd starts
/// another on demand): the next listing notices and lists on a new pipe.
#[tokio::test]
async fn a_listing_survives_its_kept_pipe_breaking() {
    let _alone = SambaLab::acquire_exclusive().expect("the Samba lab, alone");
    let lab = SambaLab::up().expect("the Samba lab");
    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on");
    let server = lab.address.to_string();
    let first = wnet_smb2::client::list_shares(&session, &server)
        .await
        .expect("NetrShareEnum");
    let workers: Vec<u32> = lab
        .processes()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim().starts_with("rpcd_"))
        })
        .collect();
    assert!(!workers.is_empty(), "no RPC worker serves the pipe");
    for pid in &workers {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    // Until samba-dcerpcd has reaped them it may still hand a new pipe to a dead worker.
    let deadline = Instant::now() + Duration::from_secs(10);
    while workers
        .iter()
        .any(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        assert!(
            Instant::now() < deadline,
            "the killed workers were never reaped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = wnet_smb2::client::list_shares(&session, &server)
        .await
        .expect("NetrShareEnum on a new pipe");
    assert_eq!(sorted_listing(second), sorted_listing(first));
}

#[tokio::test]
async fn anonymous_sessions_are_null_sessions() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let result = open_session(&lab, &Credentials::anonymous(), &SessionOptions::default()).await;
    let session = result.expect("Samba accepts a null session");
    assert!(session.is_anonymous(), "{session:?}");
    // restrict anonymous = 2: the null session may not list shares.
    let error = wnet_smb2::client::list_shares(&session, &lab.address.to_string())
        .await
        .expect_err("anonymous listing refused");
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_ACCESS_DENIED),
        "{error}"
    );
}

/// The file operations a mounted drive needs, checked against the share's directory on disk:
/// create and write in parallel 1 MiB (multi-credit) requests, read them back the same way,
/// truncate, set the write time, rename over an existing file, delete, make and remove a
/// directory, and the volume's size.
#[tokio::test]
#[allow(clippy::too_many_lines)] // one walk through the operations, in the order a user does them
async fn file_operations_show_on_the_servers_disk() {
    use wnet_smb2::wire::file_info::BasicInformation;
    use wnet_smb2::wire::{CreateRequest, access, create_options, disposition, share_access};

    let lab = SambaLab::acquire().expect("the Samba lab");
    let share = lab.share("public").expect("a public share");
    let dir = share.path.join("smb2-fileops");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    // Made by root here; the lab's users write in it through smbd.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::write(dir.join("old.txt"), b"to be replaced").unwrap();
    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on");
    let tree = session
        .tree_connect(&lab.smb_path("public").replace('/', "\\"))
        .await
        .expect("tree connect");
    assert!(tree.max_read_size() >= 1 << 20 && tree.max_write_size() >= 1 << 20);

    let read_write = access::FILE_READ_DATA
        | access::FILE_WRITE_DATA
        | access::FILE_READ_ATTRIBUTES
        | access::FILE_WRITE_ATTRIBUTES
        | access::DELETE
        | access::SYNCHRONIZE;
    let file = tree
        .create(CreateRequest {
            name: "smb2-fileops\\data.bin".into(),
            desired_access: read_write,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::CREATE,
            create_options: create_options::NON_DIRECTORY_FILE,
        })
        .await
        .expect("create");
    let chunk = 1usize << 20;
    let data: Vec<u8> = (0..3 * chunk).map(|i| (i * 7 % 251) as u8).collect();
    let writes = data.chunks(chunk).enumerate().map(|(index, part)| {
        let file = file.clone();
        let part = part.to_vec();
        async move { file.write_at((index * chunk) as u64, part).await }
    });
    for written in futures_join_all(writes).await {
        assert_eq!(written.expect("write") as usize, chunk);
    }
    let reads = (0..3).map(|index| {
        let file = file.clone();
        async move { file.read_at((index * chunk) as u64, chunk as u32).await }
    });
    let read: Vec<u8> = futures_join_all(reads)
        .await
        .into_iter()
        .flat_map(|part| part.expect("read"))
        .collect();
    assert!(read == data, "the data read back differs");
    file.flush().await.expect("flush");
    assert_eq!(std::fs::read(dir.join("data.bin")).unwrap(), data);

    file.set_end_of_file(1000).await.expect("truncate");
    assert_eq!(file.query_attributes().await.unwrap().end_of_file, 1000);
    // 2001-09-09T01:46:40Z as a FILETIME.
    let filetime = (1_000_000_000u64 + 11_644_473_600) * 10_000_000;
    file.set_basic_information(BasicInformation {
        last_write_time: filetime,
        ..BasicInformation::default()
    })
    .await
    .expect("set times");
    file.rename("smb2-fileops\\old.txt", true)
        .await
        .expect("rename over an existing file");
    let closed = file.close_with_attributes().await.expect("close");
    assert_eq!(closed.map(|attributes| attributes.end_of_file), Some(1000));
    let renamed = std::fs::metadata(dir.join("old.txt")).unwrap();
    assert_eq!(renamed.len(), 1000);
    assert_eq!(
        renamed
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_000_000_000
    );
    assert!(!dir.join("data.bin").exists());

    let doomed = tree
        .create(CreateRequest {
            name: "smb2-fileops\\old.txt".into(),
            desired_access: access::DELETE | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::OPEN,
            create_options: create_options::NON_DIRECTORY_FILE,
        })
        .await
        .expect("open for delete");
    doomed.set_delete_pending(true).await.expect("delete");
    doomed.close().await.unwrap();
    assert!(!dir.join("old.txt").exists());

    let made = tree
        .create(CreateRequest {
            name: "smb2-fileops\\sub".into(),
            desired_access: access::FILE_READ_ATTRIBUTES | access::DELETE | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::CREATE,
            create_options: create_options::DIRECTORY_FILE,
        })
        .await
        .expect("mkdir");
    assert!(dir.join("sub").is_dir());
    made.set_delete_pending(true).await.expect("rmdir");
    made.close().await.unwrap();
    assert!(!dir.join("sub").exists());

    let size = tree.fs_full_size().await.expect("volume size");
    assert!(size.total_units > 0 && size.unit_size() >= 512);
    assert!(size.caller_available_units <= size.total_units);
    tree.disconnect().await.unwrap();
    session.logoff().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs futures concurrently (each on its own task) and returns their outputs in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.expect("the task ran to its end"));
    }
    outputs
}

/// A directory of the public share that the lab's users may write in, made afresh.
fn scratch_dir(lab: &SambaLab, name: &str) -> std::path::PathBuf {
    let share = lab.share("public").expect("a public share");
    let dir = share.path.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("the scratch directory");
    // Made by root here; the lab's users write in it through smbd.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .expect("the scratch directory open to all");
    dir
}

/// `Tree::stat` runs CREATE and CLOSE as one compound, and `Tree::set_info_by_path` CREATE,
/// SET_INFO and CLOSE: on a plain, a signed and an encrypted session they give what the
/// separate requests give, a missing file fails with the CREATE's status, and a SET_INFO that
/// fails leaves no handle open behind it.
#[tokio::test]
#[allow(clippy::too_many_lines)] // the same walk on three kinds of session
async fn compounds_on_plain_signed_and_encrypted_sessions() {
    use wnet_smb2::wire::file_info::{
        self, BasicInformation, FILE_BASIC_INFORMATION, FILE_RENAME_INFORMATION,
    };
    use wnet_smb2::wire::{CreateRequest, access, create_options, disposition};

    let lab = SambaLab::acquire().expect("the Samba lab");
    let dir = scratch_dir(&lab, "smb2-compound");
    let plain = SessionOptions::default();
    let signed = SessionOptions {
        require_signing: true,
        ..SessionOptions::default()
    };
    let sealed = SessionOptions {
        require_encryption: true,
        ..SessionOptions::default()
    };
    for (kind, options) in [("plain", plain), ("signed", signed), ("sealed", sealed)] {
        let session = open_session(&lab, &alice(&lab), &options)
            .await
            .expect("alice logs on");
        assert_eq!(session.is_signing(), kind == "signed", "{kind}");
        assert_eq!(session.is_encrypting(), kind == "sealed", "{kind}");
        let tree = session
            .tree_connect(&lab.smb_path("public").replace('/', "\\"))
            .await
            .expect("tree connect");
        let name = format!("{kind}.txt");
        let path = format!("smb2-compound\\{name}");
        // Made through smbd, so that alice owns it and may set its times.
        let made = open_for_writing(&tree, &path, None).await.expect("create");
        made.write_at(0, b"0123456789".to_vec()).await.unwrap();
        made.close().await.unwrap();

        let stat = tree.stat(&path).await.expect("stat");
        let open = tree.open_existing(&path).await.expect("open");
        assert_eq!(stat, open.attributes, "{kind}: stat differs from CREATE");
        assert_eq!(stat.end_of_file, 10);
        open.close().await.unwrap();
        assert!(tree.stat("smb2-compound").await.unwrap().is_directory());
        let error = tree
            .stat("smb2-compound\\missing.txt")
            .await
            .expect_err("a missing file");
        assert!(
            matches!(&error, Error::Status { command, status }
                if *command == wnet_smb2::wire::Command::Create
                    && *status == NtStatus::STATUS_OBJECT_NAME_NOT_FOUND),
            "{kind}: {error}"
        );

        // New times by path, then a rename by path: each one round trip.
        let filetime = (1_000_000_000u64 + 11_644_473_600) * 10_000_000;
        tree.set_info_by_path(
            &path,
            access::FILE_WRITE_ATTRIBUTES | access::SYNCHRONIZE,
            FILE_BASIC_INFORMATION,
            BasicInformation {
                last_write_time: filetime,
                ..BasicInformation::default()
            }
            .encode(),
        )
        .await
        .expect("set times by path");
        let modified = std::fs::metadata(dir.join(&name))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        assert_eq!(modified.as_secs(), 1_000_000_000, "{kind}");
        let renamed = format!("smb2-compound\\{kind}-renamed.txt");
        tree.set_info_by_path(
            &path,
            access::DELETE | access::SYNCHRONIZE,
            FILE_RENAME_INFORMATION,
            file_info::rename_information(&renamed, false),
        )
        .await
        .expect("rename by path");
        assert!(dir.join(format!("{kind}-renamed.txt")).exists());
        assert!(!dir.join(&name).exists());

        // A rename onto an existing file without replace fails in SET_INFO; the CLOSE of
        // the compound must still have closed the file: an exclusive open succeeds.
        std::fs::write(dir.join("taken.txt"), b"x").unwrap();
        let error = tree
            .set_info_by_path(
                &renamed,
                access::DELETE | access::SYNCHRONIZE,
                FILE_RENAME_INFORMATION,
                file_info::rename_information("smb2-compound\\taken.txt", false),
            )
            .await
            .expect_err("the target exists");
        assert_eq!(
            error.status(),
            Some(NtStatus::STATUS_OBJECT_NAME_COLLISION),
            "{kind}: {error}"
        );
        let exclusive = tree
            .create(CreateRequest {
                name: renamed.clone(),
                desired_access: access::DELETE | access::FILE_READ_DATA | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: 0,
                create_disposition: disposition::OPEN,
                create_options: create_options::NON_DIRECTORY_FILE,
            })
            .await
            .expect("no handle left open by the failed compound");
        exclusive.set_delete_pending(true).await.unwrap();
        exclusive.close().await.unwrap();
        let error = tree
            .set_info_by_path(
                "smb2-compound\\missing.txt",
                access::DELETE | access::SYNCHRONIZE,
                FILE_RENAME_INFORMATION,
                file_info::rename_information("smb2-compound\\other.txt", false),
            )
            .await
            .expect_err("a missing file");
        assert_eq!(
            error.status(),
            Some(NtStatus::STATUS_OBJECT_NAME_NOT_FOUND),
            "{kind}: {error}"
        );
        // A write and a close in one compound: the bytes are on the disk and the handle is
        // gone (an exclusive open succeeds). A write the open may not make fails with the
        // server's status, and closes the handle all the same.
        let written = format!("smb2-compound\\{kind}-written.txt");
        let file = open_for_writing(&tree, &written, None)
            .await
            .expect("create");
        let count = file
            .write_and_close(0, b"in one round trip".to_vec())
            .await
            .expect("write and close");
        assert_eq!(count, 17, "{kind}");
        assert_eq!(
            std::fs::read(dir.join(format!("{kind}-written.txt"))).unwrap(),
            b"in one round trip",
            "{kind}"
        );
        let reader = tree.open_existing(&written).await.expect("open to read");
        let error = reader
            .write_and_close(0, b"refused".to_vec())
            .await
            .expect_err("a read-only open cannot write");
        assert_eq!(
            error.status(),
            Some(NtStatus::STATUS_ACCESS_DENIED),
            "{kind}: {error}"
        );
        let exclusive = tree
            .create(CreateRequest {
                name: written.clone(),
                desired_access: access::DELETE | access::FILE_READ_DATA | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: 0,
                create_disposition: disposition::OPEN,
                create_options: create_options::NON_DIRECTORY_FILE,
            })
            .await
            .expect("no handle left open by write_and_close");
        exclusive.set_delete_pending(true).await.unwrap();
        exclusive.close().await.unwrap();

        // The connection still works after the compounds (credits and message ids agree).
        tree.list_directory("smb2-compound").await.expect("listing");
        tree.disconnect().await.unwrap();
        session.logoff().await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opens `path` of the public share for reading and writing on `tree`, with a lease when
/// `lease` names one.
async fn open_for_writing(
    tree: &wnet_smb2::Tree,
    path: &str,
    lease: Option<([u8; 16], u32)>,
) -> Result<wnet_smb2::client::OpenFile, Error> {
    use wnet_smb2::wire::{CreateRequest, access, create_options, disposition, share_access};
    let request = CreateRequest {
        name: path.to_owned(),
        desired_access: access::FILE_READ_DATA
            | access::FILE_WRITE_DATA
            | access::FILE_READ_ATTRIBUTES
            | access::SYNCHRONIZE,
        file_attributes: 0,
        share_access: share_access::ALL,
        create_disposition: disposition::OPEN_IF,
        create_options: create_options::NON_DIRECTORY_FILE,
    };
    match lease {
        Some((key, wanted)) => tree.create_with_lease(request, key, wanted).await,
        None => tree.create(request).await,
    }
}

/// Samba grants a sole opener a read-write-handle lease; a second client opening the file for
/// writing makes it break the lease (write caching goes) and hold the second open until the
/// first acknowledges, which then completes well inside the 35 s break timeout.
#[tokio::test]
async fn leases_are_granted_broken_and_acknowledged() {
    use wnet_smb2::wire::lease::lease_state::{HANDLE, READ, WRITE};

    let lab = SambaLab::acquire().expect("the Samba lab");
    let dir = scratch_dir(&lab, "smb2-lease");
    let path = "smb2-lease\\leased.txt";
    let share = lab.smb_path("public").replace('/', "\\");
    let first = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("first client");
    let mut breaks = first.lease_breaks();
    let first_tree = first.tree_connect(&share).await.expect("tree connect");
    let key = *b"wnet-lease-key-1";
    let leased = open_for_writing(&first_tree, path, Some((key, READ | HANDLE | WRITE)))
        .await
        .expect("open with a lease");
    let granted = leased.lease_state();
    assert_eq!(
        granted & (READ | WRITE),
        READ | WRITE,
        "granted {granted:#x}"
    );
    leased
        .write_at(0, b"cached".to_vec())
        .await
        .expect("a write under the lease");

    // Another client (its own connection, so its own client GUID) opens for writing.
    let second = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("second client");
    let second_tree = second.tree_connect(&share).await.expect("tree connect");
    let started = Instant::now();
    let contender = tokio::spawn(async move { open_for_writing(&second_tree, path, None).await });
    let lease_break = tokio::time::timeout(Duration::from_secs(5), breaks.recv())
        .await
        .expect("a lease break within 5 s")
        .expect("the connection is up");
    assert_eq!(lease_break.key, key);
    assert_eq!(lease_break.current_state, granted);
    assert_eq!(lease_break.new_state & WRITE, 0, "{lease_break:?}");
    assert!(lease_break.ack_required, "{lease_break:?}");
    assert!(
        !contender.is_finished(),
        "the second open did not wait for the acknowledgment"
    );
    first_tree
        .acknowledge_lease_break(key, lease_break.new_state)
        .await
        .expect("the acknowledgment");
    let opened = contender
        .await
        .expect("the contender ran")
        .expect("the second open completes");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the second open took {:?}",
        started.elapsed()
    );
    // An acknowledgment the server no longer waits for is not an error.
    first_tree
        .acknowledge_lease_break(key, lease_break.new_state)
        .await
        .expect("a late acknowledgment");
    opened.close().await.expect("close");
    leased.close().await.expect("close");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Samba sends lease breaks unencrypted (SessionId 0) even to an encrypting session, and an
/// encrypting connection refuses unencrypted ones, so an encrypting session asks for no
/// lease: it is granted none, and a second client's open goes through at once.
#[tokio::test]
async fn an_encrypting_session_holds_no_lease() {
    use wnet_smb2::wire::lease::lease_state::{HANDLE, READ, WRITE};

    let lab = SambaLab::acquire().expect("the Samba lab");
    let dir = scratch_dir(&lab, "smb2-lease-sealed");
    let path = "smb2-lease-sealed\\sealed.txt";
    let share = lab.smb_path("public").replace('/', "\\");
    let sealed = SessionOptions {
        require_encryption: true,
        ..SessionOptions::default()
    };
    let first = open_session(&lab, &alice(&lab), &sealed)
        .await
        .expect("first client");
    let mut breaks = first.lease_breaks();
    let first_tree = first.tree_connect(&share).await.expect("tree connect");
    let opened = open_for_writing(
        &first_tree,
        path,
        Some((*b"wnet-lease-key-2", READ | HANDLE | WRITE)),
    )
    .await
    .expect("open");
    assert_eq!(opened.lease_state(), 0);
    let second = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("second client");
    let second_tree = second.tree_connect(&share).await.expect("tree connect");
    let started = Instant::now();
    let contender = open_for_writing(&second_tree, path, None)
        .await
        .expect("the second open");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(breaks.try_recv().is_err(), "a break for a lease never held");
    contender.close().await.unwrap();
    opened.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every dialect, signed where the client requires it and where it does not: the final
/// SESSION_SETUP response verifies where it is signed (MS-SMB2 §3.2.5.3.1), and on 3.0 and
/// 3.0.2 FSCTL_VALIDATE_NEGOTIATE_INFO confirms the negotiation, with Samba's real answer.
#[tokio::test]
async fn every_dialect_verifies_its_session_and_3_0_validates_the_negotiation() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    for offered in [
        dialect::SMB_2_0_2,
        dialect::SMB_2_1,
        dialect::SMB_3_0,
        dialect::SMB_3_0_2,
        dialect::SMB_3_1_1,
    ] {
        for require_signing in [false, true] {
            let options = SessionOptions {
                require_signing,
                ..SessionOptions::default()
            };
            let connection = connect_tcp(address(&lab), TIMEOUT).await.expect("connect");
            let negotiated = negotiate_dialects(&connection, require_signing, &[offered])
                .await
                .expect("negotiate");
            assert_eq!(negotiated.dialect, offered);
            let session = Session::setup(&connection, &negotiated, &alice(&lab), &options)
                .await
                .unwrap_or_else(|error| panic!("{offered:#06x}: alice logs on: {error}"));
            assert_eq!(session.is_signing(), require_signing, "{offered:#06x}");
            let tree = session
                .tree_connect(&lab.smb_path("public").replace('/', "\\"))
                .await
                .unwrap_or_else(|error| panic!("{offered:#06x}: tree connect: {error}"));
            let validates = matches!(offered, dialect::SMB_3_0 | dialect::SMB_3_0_2);
            assert_eq!(
                session.is_negotiate_validated(),
                validates,
                "{offered:#06x}"
            );
            tree.list_directory("")
                .await
                .unwrap_or_else(|error| panic!("{offered:#06x}: listing: {error}"));
        }
    }
}

#[tokio::test]
async fn samba_checks_the_ntlm_mic() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    // The client's MIC, MsvAvFlags, MsvAvTargetName and mechListMIC are accepted ...
    let session = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("alice logs on with a MIC");
    assert!(!session.is_guest() && !session.is_anonymous());
    session.logoff().await.unwrap();
    // ... and Samba does check the MIC: a wrong one is refused, so the logon above means the
    // MIC was right.
    let corrupted = SessionOptions {
        corrupt_ntlm_mic_for_tests: true,
        ..SessionOptions::default()
    };
    let error = open_session(&lab, &alice(&lab), &corrupted)
        .await
        .expect_err("a wrong MIC is refused");
    // Samba's answer to a MIC that does not verify (auth_ntlmssp's MIC check).
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_INVALID_PARAMETER),
        "{error}"
    );
}

/// A durable open (DH2Q beside its lease) outlives its connection: the client drops the
/// connection with a write made, and a new session reopens the handle (DH2C with the same
/// lease key) and reads the write back through it, then writes on through it.
#[tokio::test]
async fn a_durable_open_is_reopened_on_a_new_connection() {
    use wnet_smb2::client::CloseReason;
    use wnet_smb2::wire::lease::lease_state::{HANDLE, READ, WRITE};
    use wnet_smb2::wire::{CreateRequest, access, create_options, disposition, share_access};

    let lab = SambaLab::acquire().expect("the Samba lab");
    let dir = scratch_dir(&lab, "smb2-durable");
    let share = lab.smb_path("public").replace('/', "\\");
    let first = open_session(&lab, &alice(&lab), &SessionOptions::default())
        .await
        .expect("first client");
    let first_tree = first.tree_connect(&share).await.expect("tree connect");
    let key = *b"wnet-durable-key";
    let request = CreateRequest {
        name: "smb2-durable\\kept.bin".to_owned(),
        desired_access: access::FILE_READ_DATA
            | access::FILE_WRITE_DATA
            | access::FILE_READ_ATTRIBUTES
            | access::SYNCHRONIZE,
        file_attributes: 0,
        share_access: share_access::ALL,
        create_disposition: disposition::OPEN_IF,
        create_options: create_options::NON_DIRECTORY_FILE,
    };
    let file = first_tree
        .create_durable_with_lease(request, key, READ | HANDLE | WRITE)
        .await
        .expect("a durable open");
    assert!(file.is_durable(), "Samba makes the leased open durable");
    assert!(
        file.durable_timeout()
            .is_some_and(|timeout| !timeout.is_zero())
    );
    file.write_at(0, b"before".to_vec()).await.expect("a write");
    first.connection().abort(&CloseReason::Aborted(
        "the test drops the connection".into(),
    ));
    assert!(
        file.read_at(0, 6).await.is_err(),
        "the old connection is gone"
    );

    // The server ties the durable open to the ClientGuid it was made under: the connection
    // made again negotiates under the same one.
    let again = SessionOptions {
        client_guid: Some(first.negotiated().client_guid()),
        ..SessionOptions::default()
    };
    let second = open_session(&lab, &alice(&lab), &again)
        .await
        .expect("second client");
    let second_tree = second.tree_connect(&share).await.expect("tree connect");
    // smbd marks the open disconnected once it has seen the connection go: a reopen sent
    // before may find it still held, and is tried again.
    let mut reopened = Err(Error::Unsupported("not tried".into()));
    for _ in 0..50 {
        reopened = second_tree.reopen(&file).await;
        if reopened.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reopened = reopened.expect("the durable open reopened");
    assert!(reopened.is_durable());
    assert_ne!(reopened.lease_state(), 0, "the lease comes back with it");
    assert_eq!(reopened.read_at(0, 6).await.expect("a read"), b"before");
    reopened
        .write_at(6, b" after".to_vec())
        .await
        .expect("a write on the reopened handle");
    reopened.close().await.expect("close");
    assert_eq!(
        std::fs::read(dir.join("kept.bin")).expect("the file on the server's disk"),
        b"before after"
    );
    // A plain open cannot be reopened.
    let plain = second_tree
        .create(CreateRequest {
            name: "smb2-durable\\kept.bin".to_owned(),
            desired_access: access::FILE_READ_DATA | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::OPEN,
            create_options: create_options::NON_DIRECTORY_FILE,
        })
        .await
        .expect("a plain open");
    assert!(!plain.is_durable());
    assert!(matches!(
        second_tree.reopen(&plain).await,
        Err(Error::Unsupported(_))
    ));
    plain.close().await.expect("close");
    let _ = std::fs::remove_dir_all(&dir);
}
