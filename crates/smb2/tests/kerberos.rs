//! Our SMB2/3 client with Kerberos against the AD lab's member file server: tickets from the
//! process's `KRB5CCNAME` (a FILE or KEYRING cache kinit filled), from a named DIR cache whatever
//! `KRB5CCNAME` says, and from a password; the share's file read over a session that signs
//! with the Kerberos-derived key; and an empty cache refused with a typed error.
//!
//! MIT krb5 reads `KRB5_CONFIG` (the lab's realm) and `KRB5CCNAME` from the environment, which
//! a test cannot change safely while other threads run: each test re-runs itself as a child
//! process with them set (`WNET_KERBEROS_CHILD` marks the child), and the child does the work.

use std::net::{SocketAddr, SocketAddrV4};
use std::process::Command;
use std::time::Duration;

use wnet_smb2::client::{Authentication, KerberosOptions, Mechanism, SessionOptions, negotiate};
use wnet_smb2::gssapi::{KerberosCredentials, KerberosError};
use wnet_smb2::ntlm::NtlmCredentials;
use wnet_smb2::wire::dialect;
use wnet_smb2::{Error, Session, connect_tcp};
use wnet_testlab::{AdLab, Scratch, run_bounded, run_bounded_with_input};

const TIMEOUT: Duration = Duration::from_secs(10);
const CHILD: &str = "WNET_KERBEROS_CHILD";
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the test `name` again in a child process with the lab's krb5.conf, `ccache` as
/// `KRB5CCNAME` and the `extra` variables, and fails unless the child passes.
fn run_in_child(lab: &AdLab, name: &str, ccache: &str, extra: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", name, "--nocapture"])
        .envs(extra.iter().copied())
        .env(CHILD, "1")
        .env("KRB5_CONFIG", &lab.krb5_conf)
        .env("KRB5CCNAME", ccache)
        .env_remove("KRB5_TRACE");
    let output = run_bounded(&mut command, CHILD_TIMEOUT).expect("the child ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "child {name}: {text}");
    assert!(
        text.contains("1 passed"),
        "child {name} ran no test: {text}"
    );
}

/// kinit `alice` into `ccache` (any cache name: `FILE:`, `DIR:`).
fn kinit_alice(lab: &AdLab, ccache: &str) {
    let output = try_kinit_alice(lab, ccache);
    assert!(
        output.status.success(),
        "kinit alice into {ccache}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// kinit `alice` into `ccache`, whatever comes of it.
fn try_kinit_alice(lab: &AdLab, ccache: &str) -> std::process::Output {
    let alice = lab.user("alice").expect("the lab has alice");
    let mut command = Command::new("kinit");
    command
        .env("KRB5_CONFIG", &lab.krb5_conf)
        .env("KRB5CCNAME", ccache)
        .arg(lab.principal(alice));
    run_bounded_with_input(
        &mut command,
        format!("{}\n", alice.password).as_bytes(),
        TIMEOUT,
    )
    .expect("kinit ran")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A Kerberos session with the file server, signing every message.
async fn kerberos_session(lab: &AdLab, credentials: KerberosCredentials) -> Result<Session, Error> {
    // The NTLM credentials are not used: a Kerberos session must not need any.
    session_with_fallback(lab, credentials, None).await
}

/// A session with the file server, signing every message: Kerberos, or with `ntlm` NTLM as
/// those credentials where Kerberos cannot make the logon.
async fn session_with_fallback(
    lab: &AdLab,
    credentials: KerberosCredentials,
    ntlm: Option<&NtlmCredentials>,
) -> Result<Session, Error> {
    session_with_options(lab, credentials, ntlm, false).await
}

/// [`session_with_fallback`], every message encrypted where `encrypt`.
async fn session_with_options(
    lab: &AdLab,
    credentials: KerberosCredentials,
    ntlm: Option<&NtlmCredentials>,
    encrypt: bool,
) -> Result<Session, Error> {
    let address = SocketAddr::V4(SocketAddrV4::new(lab.fileserver.address, 445));
    let connection = connect_tcp(address, TIMEOUT).await?;
    let negotiated = negotiate(&connection, true).await?;
    let options = SessionOptions {
        require_signing: true,
        require_encryption: encrypt,
        target_name: lab.fileserver.fqdn.clone(),
        mechanism: Mechanism::Kerberos(KerberosOptions {
            service_host: lab.fileserver.fqdn.clone(),
            credentials,
            ntlm_fallback: ntlm.is_some(),
            sign: true,
        }),
        ..SessionOptions::default()
    };
    let anonymous = NtlmCredentials::anonymous();
    Session::setup(
        &connection,
        &negotiated,
        ntlm.unwrap_or(&anonymous),
        &options,
    )
    .await
}

/// Reads the `public` share's file over `session` and checks it against the file on disk.
async fn read_public_file(lab: &AdLab, session: &Session) {
    let share = lab.share("public").expect("a public share");
    let expected = std::fs::read(share.path.join(&share.file)).expect("the share's file");
    let tree = session
        .tree_connect(&format!(r"\\{}\{}", lab.fileserver.fqdn, share.name))
        .await
        .expect("tree connect");
    let file = tree.open_existing(&share.file).await.expect("open");
    let content = file.read_at(0, 65536).await.expect("read");
    assert_eq!(content, expected);
    assert!(String::from_utf8_lossy(&content).contains("public"));
    file.close().await.expect("close");
    tree.disconnect().await.expect("tree disconnect");
}

fn lab_status() -> AdLab {
    AdLab::status()
        .expect("lab/ad status")
        .expect("the parent holds the lab up")
}

/// The child's part of the tests that take tickets from `KRB5CCNAME`.
fn read_with_the_default_cache() {
    let lab = lab_status();
    runtime().block_on(async {
        let session = kerberos_session(&lab, KerberosCredentials::Default)
            .await
            .expect("a Kerberos session from KRB5CCNAME");
        assert_eq!(session.negotiated().dialect, dialect::SMB_3_1_1);
        assert!(!session.is_guest() && !session.is_anonymous());
        // Every response was verified with the key derived from the Kerberos session key
        // (signing required): the 3.1.1 SESSION_SETUP answer, the tree connect, the create,
        // the read. A wrong key fails the first of them.
        assert!(session.is_signing());
        assert_eq!(session.authentication(), &Authentication::Kerberos);
        // The tickets' principal, read back from the established context.
        let alice = lab.user("alice").expect("the lab has alice");
        assert_eq!(session.principal(), Some(lab.principal(alice).as_str()));
        read_public_file(&lab, &session).await;
        session.logoff().await.expect("logoff");
    });
}

#[test]
fn kerberos_from_krb5ccname_reads_the_share_signed_with_its_key() {
    if in_child() {
        read_with_the_default_cache();
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-krb5ccname");
    let ccache = format!("FILE:{}", scratch.path("alice.cc").display());
    kinit_alice(&lab, &ccache);
    run_in_child(
        &lab,
        "kerberos_from_krb5ccname_reads_the_share_signed_with_its_key",
        &ccache,
        &[],
    );
}

/// Destroys a credential cache on drop.
struct Kdestroy<'a>(&'a AdLab, String);

impl Drop for Kdestroy<'_> {
    fn drop(&mut self) {
        let _ = run_bounded(
            Command::new("kdestroy")
                .env("KRB5_CONFIG", &self.0.krb5_conf)
                .env("KRB5CCNAME", &self.1),
            TIMEOUT,
        );
    }
}

#[test]
fn a_keyring_cache_in_krb5ccname_serves_too() {
    if in_child() {
        read_with_the_default_cache();
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    // The session keyring, which kinit and the child inherit from this process.
    let ccache = format!("KEYRING:session:wnet-krb-{}", std::process::id());
    let output = try_kinit_alice(&lab, &ccache);
    let _destroy = Kdestroy(&lab, ccache.clone());
    if !output.status.success() {
        // Kernels or containers without keyrings for this process.
        eprintln!(
            "skipped: no kernel keyring here: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    run_in_child(
        &lab,
        "a_keyring_cache_in_krb5ccname_serves_too",
        &ccache,
        &[],
    );
}

#[test]
fn an_empty_credential_cache_is_a_typed_error() {
    if in_child() {
        let lab = lab_status();
        runtime().block_on(async {
            let error = kerberos_session(&lab, KerberosCredentials::Default)
                .await
                .expect_err("no tickets, no session");
            let Error::Kerberos(KerberosError::NoCredentials(message)) = &error else {
                panic!("not NoCredentials: {error:?}");
            };
            assert!(message.contains("credentials"), "{message}");
            assert!(
                error
                    .to_string()
                    .starts_with("authentication: Kerberos: no usable")
            );
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-empty");
    let ccache = format!("FILE:{}", scratch.path("nothing.cc").display());
    run_in_child(
        &lab,
        "an_empty_credential_cache_is_a_typed_error",
        &ccache,
        &[],
    );
}

#[test]
fn without_tickets_ntlm_makes_the_logon_and_says_why() {
    if in_child() {
        let lab = lab_status();
        let alice = lab
            .users
            .iter()
            .find(|user| user.name == "alice")
            .expect("alice");
        let ntlm = NtlmCredentials::new("alice", lab.domain.as_str(), alice.password.as_str());
        runtime().block_on(async {
            let session = session_with_fallback(&lab, KerberosCredentials::Default, Some(&ntlm))
                .await
                .expect("an NTLM session where Kerberos has no tickets");
            let Authentication::Ntlm {
                kerberos_declined: Some(reason),
            } = session.authentication()
            else {
                panic!("not NTLM after Kerberos: {:?}", session.authentication());
            };
            assert!(reason.contains("no usable"), "{reason}");
            assert!(session.is_signing() && !session.is_guest());
            read_public_file(&lab, &session).await;
            session.logoff().await.expect("logoff");
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-fallback");
    let ccache = format!("FILE:{}", scratch.path("nothing.cc").display());
    run_in_child(
        &lab,
        "without_tickets_ntlm_makes_the_logon_and_says_why",
        &ccache,
        &[],
    );
}

#[test]
fn a_named_dir_cache_serves_whatever_krb5ccname_says() {
    if in_child() {
        let lab = lab_status();
        let named = std::env::var("WNET_TEST_DIR_CCACHE").expect("the DIR cache's name");
        runtime().block_on(async {
            let session = kerberos_session(&lab, KerberosCredentials::Ccache(named))
                .await
                .expect("a Kerberos session from the DIR cache");
            assert!(session.is_signing());
            read_public_file(&lab, &session).await;
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-dir");
    let dir = scratch.path("collection");
    std::fs::create_dir(&dir).expect("the DIR cache's directory");
    let named = format!("DIR:{}", dir.display());
    kinit_alice(&lab, &named);
    // KRB5CCNAME names an empty cache: only the named one has tickets.
    let empty = format!("FILE:{}", scratch.path("empty.cc").display());
    run_in_child(
        &lab,
        "a_named_dir_cache_serves_whatever_krb5ccname_says",
        &empty,
        &[("WNET_TEST_DIR_CCACHE", &named)],
    );
}

#[test]
fn a_password_gets_tickets_without_any_cache() {
    if in_child() {
        let lab = lab_status();
        let alice = lab.user("alice").expect("the lab has alice");
        runtime().block_on(async {
            let credentials = KerberosCredentials::Password {
                principal: lab.principal(alice),
                password: alice.password.as_str().into(),
            };
            let session = kerberos_session(&lab, credentials)
                .await
                .expect("a Kerberos session from a password");
            read_public_file(&lab, &session).await;
            let wrong = KerberosCredentials::Password {
                principal: lab.principal(alice),
                password: "not-the-password".into(),
            };
            let error = kerberos_session(&lab, wrong)
                .await
                .expect_err("a wrong password gets no ticket");
            assert!(matches!(error, Error::Kerberos(_)), "{error:?}");
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-password");
    let empty = format!("FILE:{}", scratch.path("empty.cc").display());
    run_in_child(
        &lab,
        "a_password_gets_tickets_without_any_cache",
        &empty,
        &[],
    );
}

/// How long the service tickets of the expiry tests last. Samba's KDC will not issue a
/// service ticket from a TGT with less than about two minutes left, so the short ticket is a
/// service ticket got straight from the AS (`kinit -S`), which it issues for any lifetime;
/// smbd then ends the session's logon when that ticket ends (STATUS_NETWORK_SESSION_EXPIRED).
const SHORT_TICKET: Duration = Duration::from_secs(20);
/// The most the expiry tests wait for the server to find the session expired.
const EXPIRY_WAIT: Duration = Duration::from_secs(60);

/// kinit `alice` into `ccache` with a service ticket for the file server alone, lasting
/// [`SHORT_TICKET`], and no TGT: nothing in the cache can renew it.
fn kinit_short_service_ticket(lab: &AdLab, ccache: &str) {
    let alice = lab.user("alice").expect("the lab has alice");
    let mut command = Command::new("kinit");
    command
        .env("KRB5_CONFIG", &lab.krb5_conf)
        .env("KRB5CCNAME", ccache)
        .arg("-l")
        .arg(format!("{}s", SHORT_TICKET.as_secs()))
        .arg("-S")
        .arg(format!("cifs/{}@{}", lab.fileserver.fqdn, lab.realm))
        .arg(lab.principal(alice));
    let output = run_bounded_with_input(
        &mut command,
        format!("{}\n", alice.password).as_bytes(),
        TIMEOUT,
    )
    .expect("kinit ran");
    assert!(
        output.status.success(),
        "kinit -S into {ccache}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A file of alice's own on the `public` share, created for one test, opened for reading
/// and writing (and deleted on close).
async fn scratch_file(lab: &AdLab, session: &Session, name: &str) -> wnet_smb2::client::OpenFile {
    use wnet_smb2::wire::{access, create_options, disposition, share_access};
    let share = lab.share("public").expect("a public share");
    let tree = session
        .tree_connect(&format!(r"\\{}\{}", lab.fileserver.fqdn, share.name))
        .await
        .expect("tree connect");
    tree.create(wnet_smb2::wire::CreateRequest {
        name: name.to_owned(),
        desired_access: access::FILE_READ_DATA
            | access::FILE_WRITE_DATA
            | access::FILE_READ_ATTRIBUTES
            | access::DELETE
            | access::SYNCHRONIZE,
        file_attributes: 0,
        share_access: share_access::ALL,
        create_disposition: disposition::OVERWRITE_IF,
        create_options: create_options::DELETE_ON_CLOSE,
    })
    .await
    .expect("create the test's file")
}

/// Writes and reads `file` until the server has found the session's ticket expired and the
/// session was re-authenticated (or [`EXPIRY_WAIT`] passes): every read and write must work
/// throughout. Each round starts, after a pause, with four reads at once, so that the expiry
/// meets several requests together. Returns the session's re-authentications at the end.
async fn use_file_across_expiry(session: &Session, file: &wnet_smb2::client::OpenFile) -> u64 {
    let deadline = tokio::time::Instant::now() + EXPIRY_WAIT;
    let mut round = 0u32;
    let mut text = String::new();
    while session.reauthentications() == 0 && tokio::time::Instant::now() < deadline {
        if round > 0 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (a, b, c, d) = tokio::join!(
                file.read_at(0, 64),
                file.read_at(0, 64),
                file.read_at(0, 64),
                file.read_at(0, 64)
            );
            for read in [a, b, c, d] {
                let read = read.unwrap_or_else(|error| panic!("read in round {round}: {error}"));
                assert_eq!(read, text.as_bytes(), "round {round}");
            }
        }
        round += 1;
        text = format!("round {round:04}");
        let written = file
            .write_at(0, text.clone().into_bytes())
            .await
            .unwrap_or_else(|error| panic!("write in round {round}: {error}"));
        assert_eq!(written as usize, text.len());
    }
    session.reauthentications()
}

/// The child's part of the renewal tests: a session (encrypting where `encrypt`) from the
/// short service ticket, a file held open, the tickets renewed, the file used across the
/// expiry.
fn renew_under_an_open_file(encrypt: bool) {
    let lab = lab_status();
    let ccache = std::env::var("KRB5CCNAME").expect("the child's cache");
    runtime().block_on(async {
        let session = session_with_options(&lab, KerberosCredentials::Default, None, encrypt)
            .await
            .expect("a Kerberos session from the short service ticket");
        assert_eq!(session.is_encrypting(), encrypt);
        let name = format!("renewed-under-open-file-{encrypt}.txt");
        let file = scratch_file(&lab, &session, &name).await;
        // The user renews their tickets (a fresh kinit, with a TGT this time) while the
        // file is open; the session's own ticket still runs out.
        kinit_alice(&lab, &ccache);
        let renewed = use_file_across_expiry(&session, &file).await;
        assert_eq!(
            renewed, 1,
            "the server never said the session expired within {EXPIRY_WAIT:?}, or the \
                 four requests that met it re-authenticated more than once"
        );
        // The session goes on with the keys of its first logon (signing verified).
        assert!(session.is_signing());
        file.write_at(0, b"after renewal".to_vec())
            .await
            .expect("write after renewal");
        assert_eq!(
            file.read_at(0, 64).await.expect("read after renewal"),
            b"after renewal"
        );
        file.close().await.expect("close");
        assert_eq!(session.reauthentications(), 1);
        assert_eq!(session.is_encrypting(), encrypt);
    });
}

#[test]
fn an_expired_ticket_is_renewed_under_an_open_file() {
    if in_child() {
        renew_under_an_open_file(false);
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-renewed");
    let ccache = format!("FILE:{}", scratch.path("alice.cc").display());
    kinit_short_service_ticket(&lab, &ccache);
    run_in_child(
        &lab,
        "an_expired_ticket_is_renewed_under_an_open_file",
        &ccache,
        &[],
    );
}

#[test]
fn an_encrypted_session_is_renewed_sealed() {
    if in_child() {
        renew_under_an_open_file(true);
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-renewed-sealed");
    let ccache = format!("FILE:{}", scratch.path("alice.cc").display());
    kinit_short_service_ticket(&lab, &ccache);
    run_in_child(&lab, "an_encrypted_session_is_renewed_sealed", &ccache, &[]);
}

#[test]
fn an_expired_ticket_that_cannot_be_renewed_is_a_clear_error() {
    if in_child() {
        let lab = lab_status();
        let ccache = std::env::var("KRB5CCNAME").expect("the child's cache");
        runtime().block_on(async {
            let session = kerberos_session(&lab, KerberosCredentials::Default)
                .await
                .expect("a Kerberos session from the short service ticket");
            let file = scratch_file(&lab, &session, "expired-not-renewed.txt").await;
            let started = tokio::time::Instant::now();
            let error = loop {
                match file.read_at(0, 64).await {
                    Ok(_) if started.elapsed() < EXPIRY_WAIT => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    Ok(_) => panic!("the session did not expire within {EXPIRY_WAIT:?}"),
                    Err(error) => break error,
                }
            };
            // Within a few seconds of the ticket's end, not after a hang.
            assert!(
                started.elapsed() < SHORT_TICKET + Duration::from_secs(15),
                "{:?}",
                started.elapsed()
            );
            let Error::SessionExpired(cause) = &error else {
                panic!("not SessionExpired: {error:?}");
            };
            // MIT's client and acceptor both allow for clock skew: the expired ticket may
            // still make the new logon, which the server then finds expired at once.
            assert!(
                matches!(
                    **cause,
                    Error::Kerberos(_) | Error::Auth(wnet_smb2::client::AuthError::ExpiredAgain)
                ),
                "{cause:?}"
            );
            assert_eq!(
                error.status(),
                Some(wnet_smb2::NtStatus::STATUS_NETWORK_SESSION_EXPIRED)
            );
            assert!(
                error
                    .to_string()
                    .contains("expired and could not be renewed"),
                "{error}"
            );
            let before = session.reauthentications();
            // New tickets: the next request re-authenticates and the open file works again.
            kinit_alice(&lab, &ccache);
            file.write_at(0, b"after kinit".to_vec())
                .await
                .expect("write after kinit");
            assert_eq!(file.read_at(0, 64).await.expect("read"), b"after kinit");
            assert_eq!(session.reauthentications(), before + 1);
            file.close().await.expect("close");
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-not-renewed");
    let ccache = format!("FILE:{}", scratch.path("alice.cc").display());
    kinit_short_service_ticket(&lab, &ccache);
    run_in_child(
        &lab,
        "an_expired_ticket_that_cannot_be_renewed_is_a_clear_error",
        &ccache,
        &[],
    );
}

/// A keytab for `alice` in `path`, made with ktutil from her password (the salt fetched from
/// the KDC, `-f`), as an administrator would export one for a service account.
fn keytab_for_alice(lab: &AdLab, path: &std::path::Path) {
    let alice = lab.user("alice").expect("the lab has alice");
    let script = format!(
        "addent -password -p {} -k 1 -e aes256-cts-hmac-sha1-96 -f\n{}\nwkt {}\nq\n",
        lab.principal(alice),
        alice.password,
        path.display()
    );
    let mut command = Command::new("ktutil");
    command.env("KRB5_CONFIG", &lab.krb5_conf);
    let output =
        run_bounded_with_input(&mut command, script.as_bytes(), TIMEOUT).expect("ktutil ran");
    assert!(
        output.status.success() && path.exists(),
        "ktutil: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_client_keytab_serves_where_the_cache_is_empty() {
    if in_child() {
        read_with_the_default_cache();
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-keytab");
    let keytab = scratch.path("alice.keytab");
    keytab_for_alice(&lab, &keytab);
    // No tickets and no password anywhere: MIT's GSS-API gets them with the keytab that
    // KRB5_CLIENT_KTNAME names.
    let empty = format!("FILE:{}", scratch.path("empty.cc").display());
    let keytab_name = format!("FILE:{}", keytab.display());
    run_in_child(
        &lab,
        "a_client_keytab_serves_where_the_cache_is_empty",
        &empty,
        &[("KRB5_CLIENT_KTNAME", &keytab_name)],
    );
}

#[test]
fn a_keytab_the_caller_names_serves_where_the_cache_is_empty() {
    if in_child() {
        let lab = lab_status();
        let keytab = std::env::var("WNET_TEST_KEYTAB").expect("the keytab's name");
        runtime().block_on(async {
            // First a keytab that is not there: the cache is empty, so nothing.
            let missing = KerberosCredentials::Keytab("FILE:/nonexistent/wnet.keytab".into());
            let error = kerberos_session(&lab, missing)
                .await
                .expect_err("no keytab, no tickets");
            assert!(matches!(error, Error::Kerberos(_)), "{error:?}");
            // The tickets it gets are stored in the default cache, as KRB5_CLIENT_KTNAME's.
            let session = kerberos_session(&lab, KerberosCredentials::Keytab(keytab))
                .await
                .expect("a Kerberos session with the keytab's keys");
            assert_eq!(session.authentication(), &Authentication::Kerberos);
            assert!(session.is_signing());
            read_public_file(&lab, &session).await;
        });
        return;
    }
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("krb-named-keytab");
    let keytab = scratch.path("alice.keytab");
    keytab_for_alice(&lab, &keytab);
    // Neither tickets nor KRB5_CLIENT_KTNAME: only the keytab the caller names.
    let empty = format!("FILE:{}", scratch.path("empty.cc").display());
    let keytab_name = format!("FILE:{}", keytab.display());
    run_in_child(
        &lab,
        "a_keytab_the_caller_names_serves_where_the_cache_is_empty",
        &empty,
        &[("WNET_TEST_KEYTAB", &keytab_name)],
    );
}
