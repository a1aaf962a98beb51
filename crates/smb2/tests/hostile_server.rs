//! Our client against a hostile SMB2 server ([`hostile`]): responses are verified with the
//! keys of the session that sent the request (MS-SMB2 §3.2.5.1.3), whatever SessionId they
//! claim; one that is unsigned where the session signs, signed with another key, under
//! another session, or plaintext on an encrypting session fails its request with a typed
//! error and closes the connection. Control cases show the harness itself is correct.
//!
//! A guest logon for explicit credentials is refused (insecure guest logons, error 1272 in
//! the layers above); a 3.0.2 final SESSION_SETUP response with a bad or missing signature
//! fails the session; a negotiation that FSCTL_VALIDATE_NEGOTIATE_INFO does not confirm
//! closes the connection.
//!
//! Server-driven sizes are bounded: a directory listing that never ends fails with
//! [`Error::LimitExceeded`] (entries, bytes, or answers without a new entry), the
//! directory is closed, and the session stays usable.
//!
//! NTLM: the client's AUTHENTICATE_MESSAGE carries a MIC and mechListMIC the server verifies
//! and the SPN `cifs/<name>` it meant to reach, so a server handed the logon by a relay sees it
//! was meant for another; the server's mechListMIC is verified.

mod hostile;

use std::time::Duration;

use hostile::{
    CompoundAnswers, DirectoryAnswers, HostileServer, Misbehave, NtlmLogon, Script,
    ServerMechListMic, Signature, TREE_ID, session_id,
};
use wnet_smb2::client::{
    Credentials, DirectoryLimits, MAX_DIRECTORY_ENTRIES, Refusal, SessionOptions, negotiate,
    server_identity,
};
use wnet_smb2::wire::dfs::ReferralKind;
use wnet_smb2::wire::{Command, dialect};
use wnet_smb2::{Connection, Error, NtStatus, Session, connect_tcp};

const TIMEOUT: Duration = Duration::from_secs(5);
const DIALECTS: [u16; 3] = [dialect::SMB_3_1_1, dialect::SMB_3_0_2, dialect::SMB_2_1];
const SHARE: &str = r"\\hostile\share";
/// The finding's response: unsigned, under SessionId 0.
const UNSIGNED_UNDER_SESSION_ZERO: Misbehave = Misbehave {
    session_id: Some(0),
    signature: Signature::Missing,
    plaintext: false,
};

fn credentials() -> Credentials {
    Credentials::new(Script::USER, "", Script::PASSWORD)
}

/// Connects to `server`, negotiates (asking for signing where `options` require it) and
/// sets up a session with the harness's account and `options`.
async fn try_logon(server: &HostileServer, options: &SessionOptions) -> Result<Session, Error> {
    let connection = connect_tcp(server.address, TIMEOUT).await.expect("connect");
    let negotiated = negotiate(&connection, options.require_signing)
        .await
        .expect("negotiate");
    Session::setup(&connection, &negotiated, &credentials(), options).await
}

/// Connects to `server`, negotiates and sets up a session (signing required by the server).
async fn logon(server: &HostileServer) -> (Connection, Session) {
    let session = try_logon(server, &SessionOptions::default())
        .await
        .expect("session setup");
    (session.connection().clone(), session)
}

/// Sets up a session with a server playing `script` and returns it with the error its
/// TREE_CONNECT ended in.
async fn refused_tree_connect(script: Script) -> (Session, Error) {
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let error = session
        .tree_connect(SHARE)
        .await
        .expect_err("the answer must be refused");
    (session, error)
}

/// Why the session's connection closed, as its text (empty while it is open).
fn closed_reason(session: &Session) -> String {
    session
        .connection()
        .closed_reason()
        .map(|reason| reason.to_string())
        .unwrap_or_default()
}

/// Asserts that the connection was closed because of a refused response to `command`.
fn assert_closed_by(session: &Session, command: Command) {
    assert!(!session.is_connected(), "the connection must be closed");
    let reason = closed_reason(session);
    assert!(reason.contains(&format!("{command:?}")), "{reason}");
}

/// Asserts that the connection was closed because of a refused TREE_CONNECT response.
fn assert_closed(session: &Session) {
    assert_closed_by(session, Command::TreeConnect);
}

/// Asking a server for its DNS name starts an NTLM logon that is never finished: a server
/// that names no DNS host gives `None`, and the logon made next on the same connection (the
/// agent's Kerberos one; NTLM here) is a new session that signs as usual.
#[tokio::test]
async fn asking_the_servers_dns_name_leaves_the_connection_fit_for_a_logon() {
    for dialect in DIALECTS {
        let server = HostileServer::start(Script::new(dialect)).await;
        let connection = connect_tcp(server.address, TIMEOUT).await.expect("connect");
        let negotiated = negotiate(&connection, false).await.expect("negotiate");
        let name = server_identity(&connection)
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"))
            .dns_name;
        assert_eq!(name, None, "dialect {dialect:#06x}");
        let session = Session::setup(
            &connection,
            &negotiated,
            &credentials(),
            &SessionOptions::default(),
        )
        .await
        .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
        assert!(session.is_signing());
        session
            .tree_connect(SHARE)
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
    }
}

/// The control: a correct server on each dialect gets the client through NEGOTIATE, an
/// NTLMv2 SESSION_SETUP with signing, TREE_CONNECT, CREATE and CLOSE, every response
/// signed and verified.
#[tokio::test]
async fn a_correctly_signing_server_is_accepted_on_every_dialect() {
    for dialect in DIALECTS {
        let server = HostileServer::start(Script::new(dialect)).await;
        let (connection, session) = logon(&server).await;
        assert_eq!(session.negotiated().dialect, dialect);
        assert!(session.is_signing());
        let tree = session
            .tree_connect(SHARE)
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
        assert_eq!(tree.id(), TREE_ID);
        assert_eq!(
            session.is_negotiate_validated(),
            dialect == dialect::SMB_3_0_2,
            "dialect {dialect:#06x}"
        );
        let file = tree.open_existing("a.txt").await.expect("create");
        file.close().await.expect("close");
        assert!(session.is_connected());
        drop((tree, session, connection));
        tokio::time::timeout(TIMEOUT, server.finish())
            .await
            .expect("the server sees the client hang up")
            .expect("the server had nothing to complain about");
    }
}

/// The control for encryption: a server that seals every response is accepted.
#[tokio::test]
async fn a_correctly_encrypting_server_is_accepted() {
    for dialect in [dialect::SMB_3_1_1, dialect::SMB_3_0_2] {
        let server = HostileServer::start(Script::new(dialect).encrypting()).await;
        let (_connection, session) = logon(&server).await;
        assert!(session.is_encrypting());
        let tree = session
            .tree_connect(SHARE)
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
        let file = tree.open_existing("a.txt").await.expect("create");
        file.close().await.expect("close");
    }
}

/// The finding: TREE_CONNECT answered unsigned under SessionId 0 on a session whose server
/// requires signing. The response is verified as the requesting session's, so it is
/// refused, and the connection is closed.
#[tokio::test]
async fn an_unsigned_tree_connect_under_session_zero_is_refused() {
    for dialect in DIALECTS {
        let script =
            Script::new(dialect).misbehave(Command::TreeConnect, UNSIGNED_UNDER_SESSION_ZERO);
        let (session, error) = refused_tree_connect(script).await;
        assert!(
            matches!(
                error,
                Error::Refused(Refusal::SessionMismatch {
                    command: Command::TreeConnect,
                    expected,
                    found: 0,
                }) if expected == session.id()
            ),
            "dialect {dialect:#06x}: {error}"
        );
        assert_closed(&session);
    }
}

/// Unsigned under the right SessionId, or signed with a key the session does not have:
/// refused as a bad signature, and the connection is closed.
#[tokio::test]
async fn a_missing_or_wrong_signature_is_refused_and_closes_the_connection() {
    for signature in [Signature::Missing, Signature::Wrong] {
        let script = Script::new(dialect::SMB_3_1_1).misbehave(
            Command::TreeConnect,
            Misbehave {
                signature,
                ..Misbehave::default()
            },
        );
        let (session, error) = refused_tree_connect(script).await;
        assert!(
            matches!(
                error,
                Error::Refused(Refusal::BadSignature {
                    command: Command::TreeConnect
                })
            ),
            "{signature:?}: {error}"
        );
        assert_closed(&session);
    }
}

/// Two sessions on one connection; the first one's TREE_CONNECT is answered under the
/// second one's SessionId and signed with the second one's key. Verified by the id it
/// claims, it would pass; verified as the request's session's, it is refused.
#[tokio::test]
async fn a_response_claiming_another_sessions_id_is_refused() {
    let script = Script::new(dialect::SMB_3_1_1).misbehave(
        Command::TreeConnect,
        Misbehave {
            session_id: Some(session_id(1)),
            signature: Signature::Claimed,
            plaintext: false,
        },
    );
    let server = HostileServer::start(script).await;
    let (connection, first) = logon(&server).await;
    assert_eq!(first.id(), session_id(0));
    let negotiated = first.negotiated().clone();
    let second = Session::setup(
        &connection,
        &negotiated,
        &credentials(),
        &SessionOptions::default(),
    )
    .await
    .expect("a second session");
    assert_eq!(second.id(), session_id(1));
    let error = first
        .tree_connect(SHARE)
        .await
        .expect_err("another session's answer must be refused");
    assert!(
        matches!(
            error,
            Error::Refused(Refusal::SessionMismatch {
                command: Command::TreeConnect,
                expected,
                found,
            }) if expected == session_id(0) && found == session_id(1)
        ),
        "{error}"
    );
    assert_closed(&first);
}

/// A session that encrypts gets its TREE_CONNECT answered in plaintext (signed correctly):
/// refused, and the connection is closed.
#[tokio::test]
async fn a_plaintext_response_on_an_encrypting_session_is_refused() {
    let script = Script::new(dialect::SMB_3_1_1).encrypting().misbehave(
        Command::TreeConnect,
        Misbehave {
            plaintext: true,
            ..Misbehave::default()
        },
    );
    let (session, error) = refused_tree_connect(script).await;
    assert!(session.is_encrypting());
    assert!(
        matches!(
            error,
            Error::Refused(Refusal::NotEncrypted {
                command: Command::TreeConnect
            })
        ),
        "{error}"
    );
    assert_closed(&session);
}

/// Not only TREE_CONNECT: in a CREATE and CLOSE compound on a signing session, the CLOSE
/// answered unsigned under SessionId 0 fails the compound and closes the connection.
#[tokio::test]
async fn a_later_compound_answer_under_session_zero_is_refused() {
    let script =
        Script::new(dialect::SMB_3_1_1).misbehave(Command::Close, UNSIGNED_UNDER_SESSION_ZERO);
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let tree = session
        .tree_connect(SHARE)
        .await
        .expect("the tree connect is answered correctly");
    let error = tree
        .stat("a.txt")
        .await
        .expect_err("the unsigned CLOSE must be refused");
    assert!(
        matches!(
            error,
            Error::Refused(Refusal::SessionMismatch {
                command: Command::Close,
                found: 0,
                ..
            })
        ),
        "{error}"
    );
    assert_closed_by(&session, Command::Close);
}

/// A compound answered in one frame whose NextCommand would cut the first member inside its
/// own header, or start the next one unaligned: the frame is refused as a whole and the
/// connection closed, instead of members delivered cut short. A truthful chain in one frame
/// (the control) is taken, every member's signature verified.
#[tokio::test]
async fn a_compound_whose_next_command_lies_closes_the_connection() {
    for (lie, refused) in [(Some(16), true), (Some(68), true), (None, false)] {
        let mut script = Script::new(dialect::SMB_3_1_1);
        script.compounds = CompoundAnswers::OneFrame {
            first_next_command: lie,
        };
        let server = HostileServer::start(script).await;
        let (_connection, session) = logon(&server).await;
        let tree = session.tree_connect(SHARE).await.expect("tree connect");
        let stat = tree.stat("a.txt").await;
        if refused {
            let error = stat.expect_err("a lying compound must be refused");
            assert!(matches!(error, Error::Closed(_)), "{lie:?}: {error}");
            let reason = closed_reason(&session);
            assert!(reason.contains("NextCommand"), "{reason}");
        } else {
            assert!(session.is_connected(), "{stat:?}");
            let file = tree.open_existing("a.txt").await.expect("create");
            file.close().await.expect("close");
        }
    }
}

/// How long a bounded listing may take before the test calls it a hang.
const LISTING_DEADLINE: Duration = Duration::from_secs(30);

/// Lists the root of a server answering QUERY_DIRECTORY as `answers` says, within `limits`;
/// returns the error the listing ended in, the session, and the server.
async fn endless_listing(
    answers: DirectoryAnswers,
    limits: DirectoryLimits,
) -> (Error, Session, wnet_smb2::Tree, HostileServer) {
    let server = HostileServer::start(Script::new(dialect::SMB_3_1_1).directory(answers)).await;
    let (_connection, session) = logon(&server).await;
    let tree = session.tree_connect(SHARE).await.expect("tree connect");
    let listed = tokio::time::timeout(LISTING_DEADLINE, tree.list_directory_within("", limits))
        .await
        .expect("the listing must end, not hang");
    let error = listed.expect_err("an endless listing must fail");
    (error, session, tree, server)
}

/// After a listing failed on a limit, the directory was closed and the session still
/// answers: the connection is not torn down.
async fn assert_still_usable(session: &Session, tree: &wnet_smb2::Tree) {
    assert!(
        session.is_connected(),
        "a limit must not close the connection"
    );
    tree.stat("a.txt")
        .await
        .expect("the session must stay usable after the listing failed");
}

/// Fails unless `error` is the limit `what` of `limit` being passed.
fn assert_limit(error: &Error, what: &str, limit: u64) {
    assert!(
        matches!(error, Error::LimitExceeded { what: passed, limit: of } if *passed == what && *of == limit),
        "{error}"
    );
}

/// The finding: a server that sends new names forever. With the entry limit at 10,000 and
/// 500 names an answer, the 21st answer passes it: LimitExceeded names the entries.
#[tokio::test]
async fn an_endless_listing_ends_at_the_entry_limit() {
    let limits = DirectoryLimits {
        max_entries: 10_000,
        ..DirectoryLimits::default()
    };
    let (error, session, tree, server) =
        endless_listing(DirectoryAnswers::Endless { per_answer: 500 }, limits).await;
    assert_limit(&error, "directory entries", 10_000);
    assert_eq!(server.directory_answers(), 21);
    assert_still_usable(&session, &tree).await;
}

/// The same server against a byte limit of 1 MiB (and the default entry limit): the
/// answer that passes it ends the listing.
#[tokio::test]
async fn an_endless_listing_ends_at_the_byte_limit() {
    let limits = DirectoryLimits {
        max_bytes: 1 << 20,
        ..DirectoryLimits::default()
    };
    let (error, session, tree, _server) =
        endless_listing(DirectoryAnswers::Endless { per_answer: 500 }, limits).await;
    assert_limit(&error, "bytes of directory entries", 1_048_576);
    assert_still_usable(&session, &tree).await;
}

/// A server answering STATUS_SUCCESS with nothing new (only `.` and `..`) forever, under
/// the default limits: the third such answer ends the listing.
#[tokio::test]
async fn a_listing_of_only_dots_forever_ends_after_three_answers() {
    let (error, session, tree, server) =
        endless_listing(DirectoryAnswers::OnlyDots, DirectoryLimits::default()).await;
    assert_limit(&error, "directory answers without a new entry", 2);
    assert_eq!(server.directory_answers(), 3);
    assert_still_usable(&session, &tree).await;
}

/// The default limits themselves, through `list_directory`: a server streaming 800 new
/// names an answer (64,000 bytes, one 64 KiB buffer's worth) is stopped one entry past
/// [`MAX_DIRECTORY_ENTRIES`], after streaming over a million names. The server does not
/// require signing here: signing 84 MB each way takes some 10 s in a debug build and has
/// nothing to do with the bound (3 s without).
#[tokio::test]
async fn an_endless_listing_ends_at_the_default_entry_limit() {
    let mut script =
        Script::new(dialect::SMB_3_1_1).directory(DirectoryAnswers::Endless { per_answer: 800 });
    script.require_signing = false;
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let tree = session.tree_connect(SHARE).await.expect("tree connect");
    let started = std::time::Instant::now();
    let listed = tokio::time::timeout(LISTING_DEADLINE, tree.list_directory(""))
        .await
        .expect("the listing must end, not hang");
    eprintln!("a million names streamed in {:?}", started.elapsed());
    let error = listed.expect_err("an endless listing must fail");
    assert_limit(&error, "directory entries", MAX_DIRECTORY_ENTRIES as u64);
    assert_eq!(
        server.directory_answers(),
        // The answers that fill the limit, and the one that passes it.
        MAX_DIRECTORY_ENTRIES / 800 + 1
    );
    assert_still_usable(&session, &tree).await;
}

/// Encryption that cannot be provided is not pretended: a 2.1 server setting
/// SMB2_SESSION_FLAG_ENCRYPT_DATA (2.1 has no cipher), or a caller requiring encryption of a
/// 2.1 server, fails the session setup with a clear error instead of a plaintext session that
/// says it encrypts.
#[tokio::test]
async fn encryption_a_dialect_cannot_provide_fails_the_session() {
    let server = HostileServer::start(Script::new(dialect::SMB_2_1).encrypting()).await;
    let refused = try_logon(&server, &SessionOptions::default())
        .await
        .expect_err("a 2.1 session cannot encrypt");
    assert!(
        matches!(&refused, Error::Unsupported(text) if text.contains("encrypt")),
        "{refused}"
    );

    let server = HostileServer::start(Script::new(dialect::SMB_2_1)).await;
    let options = SessionOptions {
        require_encryption: true,
        ..SessionOptions::default()
    };
    let refused = try_logon(&server, &options)
        .await
        .expect_err("privacy cannot be provided on 2.1");
    assert!(
        matches!(&refused, Error::Unsupported(text) if text.contains("encrypt")),
        "{refused}"
    );
}

/// The finding: a server answering explicit credentials with SMB2_SESSION_FLAG_IS_GUEST got
/// a session (unsigned). Insecure guest logons are refused by default, as Windows refuses
/// them (AllowInsecureGuestAuth); allowed, the session is a guest's and signs nothing.
#[tokio::test]
async fn a_guest_logon_for_credentials_is_refused_unless_allowed() {
    for dialect in DIALECTS {
        let server = HostileServer::start(Script::new(dialect).guest()).await;
        let error = try_logon(&server, &SessionOptions::default())
            .await
            .expect_err("a guest logon must be refused");
        assert!(
            matches!(error, Error::GuestLogonBlocked),
            "dialect {dialect:#06x}: {error}"
        );

        let server = HostileServer::start(Script::new(dialect).guest()).await;
        let allowed = SessionOptions {
            allow_insecure_guest: true,
            ..SessionOptions::default()
        };
        let session = try_logon(&server, &allowed).await.expect("guest allowed");
        assert!(session.is_guest() && !session.is_signing() && !session.is_encrypting());
        let required = SessionOptions {
            require_signing: true,
            ..allowed
        };
        let server = HostileServer::start(Script::new(dialect).guest()).await;
        let error = try_logon(&server, &required)
            .await
            .expect_err("a guest cannot sign");
        assert!(matches!(error, Error::Unsupported(_)), "{error}");
    }
}

/// The finding: the final SESSION_SETUP response of 3.0 and 3.0.2 was never verified. One
/// signed with a key the session does not have, or unsigned where signing is required,
/// fails the session.
#[tokio::test]
async fn a_3_0_session_setup_that_cannot_prove_the_key_fails() {
    for signature in [Signature::Wrong, Signature::Missing] {
        let script = Script::new(dialect::SMB_3_0_2).misbehave(
            Command::SessionSetup,
            Misbehave {
                signature,
                ..Misbehave::default()
            },
        );
        let server = HostileServer::start(script).await;
        let error = try_logon(&server, &SessionOptions::default())
            .await
            .expect_err("the session must fail");
        assert!(
            matches!(
                error,
                Error::Refused(Refusal::BadSignature {
                    command: Command::SessionSetup
                })
            ),
            "{signature:?}: {error}"
        );
    }
}

/// The finding: FSCTL_VALIDATE_NEGOTIATE_INFO was never sent, so a downgraded negotiation
/// went unnoticed. A server whose signed answer claims another dialect than the one it
/// chose fails the first tree connect and the connection is closed.
#[tokio::test]
async fn a_negotiation_the_server_does_not_confirm_closes_the_connection() {
    let script = Script::new(dialect::SMB_3_0_2).validated_dialect(dialect::SMB_3_1_1);
    let (session, error) = refused_tree_connect(script).await;
    assert!(
        matches!(&error, Error::Refused(Refusal::NegotiateNotValidated(reason)) if reason.contains("dialect")),
        "{error}"
    );
    assert!(!session.is_connected(), "the connection must be closed");
    assert!(!session.is_negotiate_validated());
}

/// The answer to FSCTL_VALIDATE_NEGOTIATE_INFO must be signed even where the session does
/// not sign everything: unsigned, it proves nothing, and the connection is closed.
#[tokio::test]
async fn an_unsigned_validation_answer_closes_the_connection() {
    let mut script = Script::new(dialect::SMB_3_0_2).misbehave(
        Command::Ioctl,
        Misbehave {
            signature: Signature::Missing,
            ..Misbehave::default()
        },
    );
    script.require_signing = false;
    let (session, error) = refused_tree_connect(script).await;
    assert!(!session.is_signing());
    assert!(
        matches!(&error, Error::Refused(Refusal::NegotiateNotValidated(reason)) if reason.contains("not signed")),
        "{error}"
    );
    assert!(!session.is_connected(), "the connection must be closed");
}

fn typed(name: &str) -> SessionOptions {
    SessionOptions {
        target_name: name.into(),
        ..SessionOptions::default()
    }
}

#[tokio::test]
async fn the_authenticate_carries_a_valid_mic_and_the_spn() {
    for dialect in DIALECTS {
        let server = HostileServer::start(Script::new(dialect)).await;
        let session = try_logon(&server, &typed("hostile"))
            .await
            .expect("session setup");
        assert!(session.is_signing());
        assert_eq!(
            server.ntlm_logons(),
            [NtlmLogon {
                av_flags: Some(0x2),
                target_name: Some("cifs/hostile".into()),
                mic_valid: true,
                mech_list_mic_valid: Some(true),
            }],
            "dialect {dialect:#06x}"
        );
    }
}

#[tokio::test]
async fn a_relayed_logon_shows_the_server_it_was_meant_for() {
    // The user typed \\fileserver; a relay hands the logon to this server, which knows itself
    // as cifs/hostile: the SPN inside the NTProofStr says the logon was not meant for it.
    let script = Script::new(dialect::SMB_3_1_1).requiring_target_name("cifs/hostile");
    let server = HostileServer::start(script).await;
    let refused = try_logon(&server, &typed("fileserver"))
        .await
        .expect_err("a logon meant for another server is refused");
    assert_eq!(
        refused.status(),
        Some(NtStatus::STATUS_ACCESS_DENIED),
        "{refused}"
    );
    let logons = server.ntlm_logons();
    assert_eq!(logons.len(), 1);
    assert_eq!(logons[0].target_name.as_deref(), Some("cifs/fileserver"));
    assert!(logons[0].mic_valid);

    // Control: the same server accepts a logon meant for it.
    let script = Script::new(dialect::SMB_3_1_1).requiring_target_name("cifs/hostile");
    let server = HostileServer::start(script).await;
    try_logon(&server, &typed("hostile"))
        .await
        .expect("a logon meant for this server");
}

#[tokio::test]
async fn a_wrong_mic_is_refused_by_a_checking_server() {
    let server = HostileServer::start(Script::new(dialect::SMB_3_1_1)).await;
    let options = SessionOptions {
        corrupt_ntlm_mic_for_tests: true,
        ..typed("hostile")
    };
    let refused = try_logon(&server, &options)
        .await
        .expect_err("a wrong MIC is refused");
    assert_eq!(
        refused.status(),
        Some(NtStatus::STATUS_INVALID_PARAMETER),
        "{refused}"
    );
    let logons = server.ntlm_logons();
    assert_eq!(logons.len(), 1);
    assert!(!logons[0].mic_valid);
}

#[tokio::test]
async fn the_servers_mech_list_mic_is_verified() {
    let script = Script::new(dialect::SMB_3_1_1).mech_list_mic(ServerMechListMic::Correct);
    let server = HostileServer::start(script).await;
    try_logon(&server, &typed("hostile"))
        .await
        .expect("a right mechListMIC is accepted");

    let script = Script::new(dialect::SMB_3_1_1).mech_list_mic(ServerMechListMic::Wrong);
    let server = HostileServer::start(script).await;
    let refused = try_logon(&server, &typed("hostile"))
        .await
        .expect_err("a wrong mechListMIC fails the session");
    assert!(
        matches!(&refused, Error::Auth(_)) && refused.to_string().contains("mechListMIC"),
        "{refused}"
    );
}

/// A share that asks for encryption (SMB2_SHAREFLAG_ENCRYPT_DATA) turns the session's
/// encryption on; it is reported only once a sealed answer has come back. A server that
/// keeps answering in plaintext fails the tree connect, and the connection is closed,
/// instead of a connection reported as encrypted that never was.
#[tokio::test]
async fn share_encryption_is_reported_only_once_proven() {
    for dialect in [dialect::SMB_3_1_1, dialect::SMB_3_0_2] {
        let server = HostileServer::start(Script::new(dialect).encrypting_share()).await;
        let (_connection, session) = logon(&server).await;
        assert!(!session.is_encrypting());
        let tree = session
            .tree_connect(SHARE)
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
        assert!(session.is_encrypting());
        let file = tree.open_existing("a.txt").await.expect("create");
        file.close().await.expect("close");

        // 3.0.2 proves the keys with its sealed VALIDATE_NEGOTIATE_INFO, 3.1.1 with an ECHO.
        let first_sealed = if dialect == dialect::SMB_3_1_1 {
            Command::Echo
        } else {
            Command::Ioctl
        };
        let script = Script::new(dialect).encrypting_share().misbehave(
            first_sealed,
            Misbehave {
                plaintext: true,
                ..Misbehave::default()
            },
        );
        let (session, error) = refused_tree_connect(script).await;
        assert!(
            matches!(
                error,
                Error::Refused(Refusal::NotEncrypted { command }) if command == first_sealed
            ),
            "dialect {dialect:#06x}: {error}"
        );
        assert!(!session.is_connected());
    }
}

/// The read, write and transact sizes of the NEGOTIATE response are the server's to say, but
/// not without bounds: zero (which would have a reader loop without progress) or anything
/// below 4 KiB fails the negotiation; a size past 8 MiB is capped there.
#[tokio::test]
async fn announced_io_sizes_are_bounded() {
    for (announced, expected) in [
        (0, None),
        (4095, None),
        (4096, Some(4096)),
        (1 << 20, Some(1 << 20)),
        (u32::MAX, Some(8 << 20)),
    ] {
        let mut script = Script::new(dialect::SMB_3_1_1);
        script.io_size = announced;
        let server = HostileServer::start(script).await;
        let connection = connect_tcp(server.address, TIMEOUT).await.expect("connect");
        match (negotiate(&connection, false).await, expected) {
            (Ok(negotiated), Some(expected)) => {
                assert_eq!(negotiated.max_read_size, expected);
                assert_eq!(negotiated.max_write_size, expected);
                assert_eq!(negotiated.max_transact_size, expected);
            }
            (Err(error), None) => assert!(
                matches!(&error, Error::Unsupported(reason) if reason.contains("announced a Max")),
                "{announced}: {error}"
            ),
            (outcome, expected) => panic!("{announced}: {outcome:?}, expected {expected:?}"),
        }
    }
}

/// Credits are the server's to grant, but not without bounds either: a server granting the
/// most a header can carry with every answer leaves the client holding at most 8,192.
#[tokio::test]
async fn granted_credits_are_capped() {
    let mut script = Script::new(dialect::SMB_3_1_1);
    script.credits = u16::MAX;
    let server = HostileServer::start(script).await;
    let (connection, session) = logon(&server).await;
    let tree = session.tree_connect(SHARE).await.expect("tree connect");
    for _ in 0..4 {
        let file = tree.open_existing("a.txt").await.expect("create");
        file.close().await.expect("close");
    }
    assert_eq!(connection.credits_available(), 8192);
}

/// A server that grants no credits leaves the client nothing to send with: the next request
/// fails when the connection's timeout runs out (the connection is closed) instead of
/// waiting for ever.
#[tokio::test]
async fn a_server_granting_no_credits_times_out_instead_of_hanging() {
    let mut script = Script::new(dialect::SMB_3_1_1);
    script.credits = 0;
    let server = HostileServer::start(script).await;
    let connection = connect_tcp(server.address, Duration::from_millis(500))
        .await
        .expect("connect");
    let negotiated = negotiate(&connection, false).await.expect("negotiate");
    assert_eq!(connection.credits_available(), 0);
    let started = std::time::Instant::now();
    let error = Session::setup(
        &connection,
        &negotiated,
        &credentials(),
        &SessionOptions::default(),
    )
    .await
    .expect_err("no credit to send with");
    assert!(
        matches!(
            error,
            Error::Timeout {
                command: Command::SessionSetup,
                ..
            }
        ),
        "{error}"
    );
    assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
    assert!(connection.closed_reason().is_some());
}

/// The client lists what the server sent, `.` and `..` aside, up to STATUS_NO_MORE_FILES:
/// names a POSIX directory cannot hold reach the caller as sent, for the layer that maps them
/// to a file system to refuse (the drive skips them: tests/hostile_names.rs of wnet-drive).
#[tokio::test]
async fn a_listing_passes_odd_names_on_as_sent() {
    static NAMES: &[&str] = &[
        ".",
        "..",
        "good.txt",
        "a/b",
        "c\\d",
        "nul\0x",
        "",
        "also good",
    ];
    let server = HostileServer::start(
        Script::new(dialect::SMB_3_1_1).directory(DirectoryAnswers::Names(NAMES)),
    )
    .await;
    let (_connection, session) = logon(&server).await;
    let tree = session.tree_connect(SHARE).await.expect("tree connect");
    let listed: Vec<String> = tree
        .list_directory("")
        .await
        .expect("a listing")
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    assert_eq!(
        listed,
        ["good.txt", "a/b", "c\\d", "nul\0x", "", "also good"]
    );
    assert_eq!(
        server.directory_answers(),
        2,
        "one answer, then STATUS_NO_MORE_FILES"
    );
}

/// A server that finds the session expired at its first CREATE (as when a Kerberos ticket
/// runs out): the client logs the same session on again with the NTLM credentials it was set
/// up with, and sends the CREATE again. The server answers with the keys of the first logon,
/// which the client still verifies with, on every dialect.
#[tokio::test]
async fn an_expired_session_is_logged_on_again_and_the_request_sent_again() {
    for dialect in DIALECTS {
        let server = HostileServer::start(Script::new(dialect).expire_at(Command::Create)).await;
        let (_connection, session) = logon(&server).await;
        let tree = session.tree_connect(SHARE).await.expect("tree connect");
        let file = tree
            .open_existing("a.txt")
            .await
            .unwrap_or_else(|error| panic!("dialect {dialect:#06x}: {error}"));
        assert_eq!(session.reauthentications(), 1);
        assert_eq!(
            session.id(),
            session_id(0),
            "the same session, not a new one"
        );
        // Two AUTHENTICATE_MESSAGEs, each with a good NTProofStr and MIC.
        let logons = server.ntlm_logons();
        assert_eq!(logons.len(), 2, "dialect {dialect:#06x}");
        assert!(logons.iter().all(|logon| logon.mic_valid));
        // Signed answers still verify: the keys did not change.
        file.close().await.expect("close");
        tree.disconnect().await.expect("tree disconnect");
        assert!(session.is_connected());
    }
}

/// A server that refuses the re-authentication of an expired session: the request fails
/// with [`Error::SessionExpired`], its cause the server's status, the NTSTATUS behind it
/// STATUS_NETWORK_SESSION_EXPIRED; the connection stays.
#[tokio::test]
async fn a_refused_reauthentication_fails_the_request_with_its_cause() {
    let script = Script::new(dialect::SMB_3_1_1)
        .expire_at(Command::Create)
        .refusing_reauthentication();
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let tree = session.tree_connect(SHARE).await.expect("tree connect");
    let error = tree
        .open_existing("a.txt")
        .await
        .expect_err("no new logon, no file");
    let Error::SessionExpired(cause) = &error else {
        panic!("not SessionExpired: {error:?}");
    };
    assert_eq!(cause.status(), Some(NtStatus::STATUS_LOGON_FAILURE));
    assert_eq!(
        error.status(),
        Some(NtStatus::STATUS_NETWORK_SESSION_EXPIRED)
    );
    assert_eq!(session.reauthentications(), 0);
    assert!(session.is_connected());
}

/// A RESP_GET_DFS_REFERRAL with one version 3 entry whose three string offsets are `offsets`
/// (relative to the entry), and `strings` after the entry.
fn referral(offsets: [u16; 3], strings: &[&str]) -> Vec<u8> {
    let mut answer = vec![0x20, 0, 1, 0, 2, 0, 0, 0]; // PathConsumed, 1 referral, flags
    answer.extend_from_slice(&[3, 0, 34, 0, 0, 0, 0, 0]); // V3, Size 34, link, no flags
    answer.extend_from_slice(&600_u32.to_le_bytes());
    for offset in offsets {
        answer.extend_from_slice(&offset.to_le_bytes());
    }
    answer.extend_from_slice(&[0; 16]); // ServiceSiteGuid
    for text in strings {
        for unit in text.encode_utf16().chain([0]) {
            answer.extend_from_slice(&unit.to_le_bytes());
        }
    }
    answer
}

/// A server's referral whose strings point past its answer is a malformed answer that says
/// which field was wrong; the connection stays fit for the next request. A well-formed one
/// decodes to its target.
#[tokio::test]
async fn a_malformed_referral_is_an_error_that_names_the_field() {
    let mut script = Script::new(dialect::SMB_3_1_1);
    script.referral = Some(referral([0x0FF0, 34, 34], &[r"\srv\dfs\link"]));
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let ipc = session.tree_connect(r"\\hostile\IPC$").await.unwrap();
    let error = ipc.dfs_referral(r"\hostile\dfs\link").await.unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("DFSPath at offset"), "{text}");
    assert!(session.is_connected(), "a malformed answer closes nothing");

    let mut script = Script::new(dialect::SMB_3_1_1);
    script.referral = Some(referral(
        [34, 34, 34 + 2 * 14],
        &[r"\srv\dfs\link", r"\fs2\mirror"],
    ));
    let server = HostileServer::start(script).await;
    let (_connection, session) = logon(&server).await;
    let ipc = session.tree_connect(r"\\hostile\IPC$").await.unwrap();
    let answer = ipc.dfs_referral(r"\srv\dfs\link").await.unwrap();
    let Some(ReferralKind::Target {
        network_address, ..
    }) = answer.entries.first().map(|entry| &entry.kind)
    else {
        panic!("{answer:?}");
    };
    assert_eq!(network_address, r"\fs2\mirror");
}
