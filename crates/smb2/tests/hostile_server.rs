//! Our client against a hostile SMB2 server ([`hostile`]): responses are verified with the
//! keys of the session that sent the request (MS-SMB2 §3.2.5.1.3), whatever SessionId they
//! claim; one that is unsigned where the session signs, signed with another key, under
//! another session, or plaintext on an encrypting session fails its request with a typed
//! error and closes the connection. Control cases show the harness itself is correct.

mod hostile;

use std::time::Duration;

use hostile::{HostileServer, Misbehave, Script, Signature, TREE_ID, session_id};
use wnet_smb2::client::{Credentials, SessionOptions, negotiate};
use wnet_smb2::wire::{Command, dialect};
use wnet_smb2::{Connection, Error, Session, connect_tcp};

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

/// Connects to `server`, negotiates and sets up a session (signing required by the server).
async fn logon(server: &HostileServer) -> (Connection, Session) {
    let connection = connect_tcp(server.address, TIMEOUT).await.expect("connect");
    let negotiated = negotiate(&connection, false).await.expect("negotiate");
    let session = Session::setup(
        &connection,
        &negotiated,
        &credentials(),
        &SessionOptions::default(),
    )
    .await
    .expect("session setup");
    (connection, session)
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

/// Asserts that the connection was closed because of a refused response to `command`.
fn assert_closed_by(session: &Session, command: Command) {
    assert!(!session.is_connected(), "the connection must be closed");
    let reason = session.connection().closed_reason().unwrap_or_default();
    assert!(reason.contains(&format!("{command:?}")), "{reason}");
}

/// Asserts that the connection was closed because of a refused TREE_CONNECT response.
fn assert_closed(session: &Session) {
    assert_closed_by(session, Command::TreeConnect);
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
                Error::SessionMismatch {
                    command: Command::TreeConnect,
                    expected,
                    found: 0,
                } if expected == session.id()
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
                Error::BadSignature {
                    command: Command::TreeConnect
                }
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
            Error::SessionMismatch {
                command: Command::TreeConnect,
                expected,
                found,
            } if expected == session_id(0) && found == session_id(1)
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
            Error::NotEncrypted {
                command: Command::TreeConnect
            }
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
            Error::SessionMismatch {
                command: Command::Close,
                found: 0,
                ..
            }
        ),
        "{error}"
    );
    assert_closed_by(&session, Command::Close);
}
