//! The workstation's rules over an in-memory network (no sockets, tokio's paused clock): the
//! same rules the Samba lab tests (crates/cli/tests) check end to end, in milliseconds.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use wnet::UncName;
use wnet::agent_protocol::{
    ConnectionName, CredentialCacheName, Logon, RequiredMechanism, Response, WireCredentials,
    WireSecret,
};
use wnet::drives::LocalName;
use wnet::error::{WinError, codes};
use wnet::resolve::ProviderConfig;
use wnet::resource::resource_type::{RESOURCETYPE_ANY, RESOURCETYPE_DISK};

use super::Workstation;
use super::reconnection::{RECONNECT_RETRY, RECONNECT_RETRY_MAX};

mod memory;

use memory::{Devices, MemoryProvider, MemoryRedirector, Network};

const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn credentials(user: &str, password: &str) -> WireCredentials {
    WireCredentials {
        user: user.into(),
        domain: String::new(),
        password: WireSecret(password.into()),
        source: "test".into(),
        explicit: true,
    }
}

/// A network with `srv` (shares `a` and `b`; accounts alice and bob) and a workstation over
/// it redirecting into `devices`.
fn setup() -> (Network, Devices, Workstation<MemoryProvider>) {
    let network = Network::default();
    network.add_server("srv", &["a", "b"], &[("alice", "pw-a"), ("bob", "pw-b")]);
    let devices = Devices::default();
    let workstation = Workstation::new(MemoryProvider {
        network: network.clone(),
        config: ProviderConfig {
            idle_session_timeout: IDLE_TIMEOUT,
            ..ProviderConfig::default()
        },
    })
    .with_redirector(Arc::new(MemoryRedirector(devices.clone())));
    (network, devices, workstation)
}

async fn add(
    workstation: &Workstation<MemoryProvider>,
    remote: &str,
    local: Option<&str>,
    user: &str,
    password: &str,
) -> Result<bool, WinError> {
    let added = workstation
        .add_connection(
            &UncName::parse(remote)?,
            local.map(LocalName::parse).transpose()?.as_ref(),
            Some(&credentials(user, password)),
            &Logon::default(),
            0,
            RESOURCETYPE_DISK,
        )
        .await?;
    match added {
        Response::Added { session_reused, .. } => Ok(session_reused),
        other => panic!("unexpected answer {other:?}"),
    }
}

/// The session each connection of the table rides.
fn session_ids(workstation: &Workstation<MemoryProvider>) -> Vec<u64> {
    workstation
        .connections()
        .iter()
        .map(|entry| entry.session_id)
        .collect()
}

/// A name to cancel.
fn name(text: &str) -> ConnectionName {
    ConnectionName::parse(text).unwrap()
}

/// An existing directory to redirect (a local name that is a path, so that no drive
/// directory is made).
fn local_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("wnet-workstation-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.display().to_string()
}

#[tokio::test]
async fn a_second_user_for_a_server_is_a_credential_conflict() {
    let (network, _, workstation) = setup();
    assert!(
        !add(&workstation, r"\\srv\a", None, "alice", "pw-a")
            .await
            .unwrap()
    );
    let error = add(&workstation, r"\\srv\b", None, "bob", "pw-b")
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_SESSION_CREDENTIAL_CONFLICT);
    assert_eq!(error.code, 1219);
    // Refused before any traffic: bob never got a session, alice's stays.
    assert_eq!(network.opened(), 1);
    assert_eq!(network.logged_off(), 0);
    assert_eq!(workstation.counts(), (1, 1));
}

#[tokio::test]
async fn a_second_share_on_a_server_reuses_its_session() {
    let (network, _, workstation) = setup();
    assert!(
        !add(&workstation, r"\\srv\a", None, "alice", "pw-a")
            .await
            .unwrap()
    );
    assert!(
        add(&workstation, r"\\SRV\b", None, "ALICE", "pw-a")
            .await
            .unwrap()
    );
    assert_eq!(network.opened(), 1);
    assert_eq!(workstation.counts(), (2, 1));
    // Both show the one session they ride.
    assert_eq!(session_ids(&workstation), [1, 1]);
    // The session goes with the last connection using it.
    workstation
        .cancel_connection(&name(r"\\srv\a"), false)
        .await
        .unwrap();
    assert_eq!(network.logged_off(), 0);
    workstation
        .cancel_connection(&name(r"\\srv\b"), false)
        .await
        .unwrap();
    assert_eq!(network.logged_off(), 1);
    assert_eq!(workstation.counts(), (0, 0));
}

/// Windows connects a server alone (`\\srv`, deviceless) to its IPC$: the session stays for
/// later connections to ride without credentials, the connection is listed as `\\srv\IPC$`
/// and cancelled by `\\srv`. With a device, a server alone is ERROR_BAD_NET_NAME.
#[tokio::test]
async fn a_server_alone_connects_its_ipc_share_for_later_connections_to_ride() {
    let (network, _, workstation) = setup();
    assert!(
        !add(&workstation, r"\\srv", None, "alice", "pw-a")
            .await
            .unwrap()
    );
    let listed = workstation.connections();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].remote_name.to_string(), r"\\srv\IPC$");
    assert_eq!(listed[0].resource_type, RESOURCETYPE_ANY);
    assert_eq!(listed[0].user, "alice");
    let unc = UncName::parse(r"\\srv\a").unwrap();
    let Response::Added {
        user,
        session_reused,
        ..
    } = workstation
        .add_connection(&unc, None, None, &Logon::default(), 0, RESOURCETYPE_DISK)
        .await
        .unwrap()
    else {
        panic!("not added");
    };
    assert!(session_reused);
    assert_eq!(user, "alice");
    assert_eq!(network.opened(), 1);
    // Both show the one session they ride.
    assert_eq!(session_ids(&workstation), [1, 1]);
    let device = local_dir("server-alone");
    let error = add(&workstation, r"\\srv", Some(&device), "alice", "pw-a")
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_BAD_NET_NAME);
    workstation
        .cancel_connection(&name(r"\\SRV"), false)
        .await
        .unwrap();
    let left = workstation.connections();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].remote_name.to_string(), r"\\srv\a");
    assert_eq!(network.logged_off(), 0, "the share still rides the session");
}

#[tokio::test(start_paused = true)]
async fn listing_sessions_are_kept_for_the_same_password_until_their_time_is_up() {
    let (network, _, workstation) = setup();
    let alice = credentials("alice", "pw-a");
    let shares = workstation
        .shares("srv", Some(&alice), &Logon::default())
        .await
        .unwrap();
    assert!(matches!(shares, Response::Shares { shares } if shares.len() == 2));
    workstation
        .shares("srv", Some(&alice), &Logon::default())
        .await
        .unwrap();
    assert_eq!(
        network.opened(),
        1,
        "the second listing rides the kept session"
    );
    // The same user with another password never rides on it.
    let error = workstation
        .shares(
            "srv",
            Some(&credentials("alice", "wrong")),
            &Logon::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_LOGON_FAILURE);
    workstation
        .shares("srv", Some(&credentials("bob", "pw-b")), &Logon::default())
        .await
        .unwrap();
    assert_eq!(network.opened(), 2);
    assert_eq!(workstation.counts(), (0, 2));

    tokio::time::advance(IDLE_TIMEOUT.saturating_sub(Duration::from_millis(1))).await;
    assert!(!workstation.has_expired_sessions());
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(workstation.has_expired_sessions());
    workstation.close_expired_sessions().await;
    assert_eq!(network.logged_off(), 2);
    assert_eq!(workstation.counts(), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn lost_connections_are_retried_with_a_doubling_wait_and_come_back() {
    let (network, devices, workstation) = setup();
    let dir = local_dir("reconnect");
    add(&workstation, r"\\srv\a", Some(&dir), "alice", "pw-a")
        .await
        .unwrap();
    assert!(!workstation.has_lost_connections());

    network.drop_connections("srv", true);
    assert!(workstation.has_lost_connections());
    assert!(!workstation.connections()[0].connected);
    let mut waits = Vec::new();
    for _ in 0..6 {
        workstation.reconnect_lost_connections().await;
        // Due again once the wait is over (in whole seconds), not before.
        let mut wait = Duration::ZERO;
        while !workstation.has_lost_connections() {
            tokio::time::advance(Duration::from_secs(1)).await;
            wait += Duration::from_secs(1);
            assert!(wait <= RECONNECT_RETRY_MAX, "never due again");
        }
        waits.push(wait.as_secs());
    }
    assert_eq!(RECONNECT_RETRY, Duration::from_secs(5));
    assert_eq!(waits, [5, 10, 20, 40, 80, 80]);
    assert_eq!(network.opened(), 1, "no session while the server is down");

    network.bring_up("srv");
    workstation.reconnect_lost_connections().await;
    assert!(!workstation.has_lost_connections());
    assert!(workstation.connections()[0].connected);
    assert_eq!(network.opened(), 2);
    assert_eq!(devices.reconnected.load(Ordering::SeqCst), 1);

    // The back-off starts over after a success.
    network.drop_connections("srv", true);
    workstation.reconnect_lost_connections().await;
    tokio::time::advance(RECONNECT_RETRY.saturating_sub(Duration::from_millis(1))).await;
    assert!(!workstation.has_lost_connections());
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(workstation.has_lost_connections());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_device_with_open_files_is_cancelled_only_when_forced() {
    let (network, devices, workstation) = setup();
    let dir = local_dir("open-files");
    add(&workstation, r"\\srv\a", Some(&dir), "alice", "pw-a")
        .await
        .unwrap();
    devices.open_files.store(1, Ordering::SeqCst);

    let error = workstation
        .cancel_connection(&name(&dir), false)
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_OPEN_FILES);
    assert_eq!(error.code, 2401);
    assert_eq!(workstation.counts(), (1, 1));
    assert!(devices.unmounts.lock().unwrap().is_empty());

    workstation
        .cancel_connection(&name(&dir), true)
        .await
        .unwrap();
    assert_eq!(*devices.unmounts.lock().unwrap(), [true]);
    assert_eq!(network.logged_off(), 1);
    assert_eq!(workstation.counts(), (0, 0));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn served(response: Response) -> String {
    match response {
        Response::Served { mount_point } => mount_point,
        other => panic!("not served: {other:?}"),
    }
}

/// A share used by its UNC path is served under the UNC dir: connected implicitly (over the
/// session held with the server, made by connecting the server alone) when it is not, mounted
/// once, and gone with its directory when its connection is cancelled.
#[tokio::test]
async fn a_share_used_by_unc_path_is_connected_implicitly_and_served_once() {
    let (network, devices, workstation) = setup();
    let unc_dir = std::env::temp_dir().join(format!("wnet-unc-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&unc_dir);
    let workstation = workstation.with_unc_dir(unc_dir.clone());
    add(&workstation, r"\\srv", None, "alice", "pw-a")
        .await
        .unwrap();
    let file = UncName::parse(r"\\SRV\A\dir\file.txt").unwrap();
    let mount_point = served(
        workstation
            .serve_share(&file, None, &Logon::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        mount_point,
        unc_dir.join("srv").join("a").display().to_string()
    );
    assert!(std::path::Path::new(&mount_point).is_dir());
    // The implicit connection rides alice's session and is listed like any deviceless one.
    assert_eq!(network.opened(), 1);
    let listed = workstation.connections();
    let entry = listed
        .iter()
        .find(|entry| {
            entry
                .remote_name
                .matches(&UncName::parse(r"\\srv\a").unwrap())
        })
        .unwrap();
    assert!(entry.local_name.is_none());
    assert_eq!(entry.user, "alice");
    assert_eq!(entry.mount_point.as_deref(), Some(mount_point.as_str()));
    // Served once: the second use finds the mount.
    let again = UncName::parse("//srv/a").unwrap();
    assert_eq!(
        served(
            workstation
                .serve_share(&again, None, &Logon::default())
                .await
                .unwrap()
        ),
        mount_point
    );
    assert_eq!(workstation.counts(), (2, 1));
    // A server alone or a share it does not have is refused; nothing is mounted for them.
    let no_share = UncName::parse(r"\\srv\nothing").unwrap();
    let error = workstation
        .serve_share(&no_share, None, &Logon::default())
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_BAD_NET_NAME);
    let server = UncName::parse(r"\\srv").unwrap();
    let error = workstation
        .serve_share(&server, None, &Logon::default())
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_BAD_NETPATH);
    assert!(!unc_dir.join("srv").join("nothing").exists());
    // Cancelled, it is unmounted and its directory removed.
    workstation
        .cancel_connection(&name(r"\\srv\a"), false)
        .await
        .unwrap();
    assert_eq!(devices.unmounts.lock().unwrap().len(), 1);
    assert!(!std::path::Path::new(&mount_point).exists());
    // A share already connected deviceless is mounted without a second connection.
    add(&workstation, r"\\srv\b", None, "alice", "pw-a")
        .await
        .unwrap();
    let b = UncName::parse(r"\\srv\b\x").unwrap();
    served(
        workstation
            .serve_share(&b, None, &Logon::default())
            .await
            .unwrap(),
    );
    assert_eq!(workstation.counts(), (2, 1));
    workstation.shutdown().await;
    assert!(!unc_dir.join("srv").exists());
    let _ = std::fs::remove_dir_all(&unc_dir);
}

/// A caller that requires a mechanism rides a held session only if it was made with it (the
/// memory network's sessions are NTLM ones).
#[tokio::test(start_paused = true)]
async fn a_required_mechanism_rides_only_a_session_made_with_it() {
    let (network, _, workstation) = setup();
    assert!(
        !add(&workstation, r"\\srv\a", None, "alice", "pw-a")
            .await
            .unwrap()
    );
    let unc = UncName::parse(r"\\srv\b").unwrap();
    let kerberos = Logon::default().requiring(Some(RequiredMechanism::Kerberos));
    let error = workstation
        .add_connection(&unc, None, None, &kerberos, 0, RESOURCETYPE_DISK)
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_SESSION_CREDENTIAL_CONFLICT);
    assert!(error.to_string().contains("not Kerberos"), "{error}");
    let ntlm = Logon::default().requiring(Some(RequiredMechanism::Ntlm));
    let Response::Added { session_reused, .. } = workstation
        .add_connection(&unc, None, None, &ntlm, 0, RESOURCETYPE_DISK)
        .await
        .unwrap()
    else {
        panic!("not added");
    };
    assert!(session_reused);
    assert_eq!(network.opened(), 1);
}

/// A session made from the caller's credential cache is made again from it when its
/// connection is lost, whatever cache the agent itself would use.
#[tokio::test(start_paused = true)]
async fn a_lost_session_is_made_again_with_the_callers_logon() {
    let (network, _, workstation) = setup();
    let logon = Logon {
        ccache: Some(CredentialCacheName::parse("FILE:/tmp/krb5cc_caller").unwrap()),
        mechanism: Some(RequiredMechanism::Kerberos),
    };
    let unc = UncName::parse(r"\\srv\a").unwrap();
    workstation
        .add_connection(&unc, None, None, &logon, 0, RESOURCETYPE_DISK)
        .await
        .unwrap();
    network.drop_connections("srv", false);
    workstation.reconnect_lost_connections().await;
    assert!(workstation.connections()[0].connected);
    assert_eq!(network.logons(), [logon.clone(), logon]);
}

mod dfs;
