//! The async SMB2/3 client: a [`Connection`] carries messages; [`negotiate`] and
//! [`Session::setup`] make it usable; a [`Tree`] is a connected share with its open files.

mod close_reason;
mod connection;
mod identity;
mod links;
mod session;
mod shares;
mod tree;

use std::time::Duration;

pub use close_reason::{AuthError, CloseReason, Refusal};
pub use connection::{Connection, Exchange, MessageSecurity};
pub use identity::{ServerIdentity, server_identity};
pub use links::{LinkResolver, LinkRoute, LinkTargetObserver, MAX_LINK_ROUTES, ResolveFuture};
// The reader task's work on bytes alone, for the fuzz targets.
#[doc(hidden)]
pub use close_reason::FrameError;
#[doc(hidden)]
pub use connection::{CompoundMembers, unseal_frame};
pub use session::{
    Authentication, Credentials, KerberosOptions, Mechanism, Negotiated, Session, SessionOptions,
    negotiate, negotiate_dialects, negotiate_for,
};
pub use shares::{MAX_SHARE_LIST_BYTES, MAX_SHARES, list_shares};
pub use tree::{
    DURABLE_TIMEOUT_MS, DirectoryLimits, MAX_DIRECTORY_BYTES, MAX_DIRECTORY_ENTRIES,
    MAX_REFERRAL_BYTES, OpenFile, ReadBuffer, Tree,
};

pub use crate::wire::lease::LeaseBreak;

use crate::crypto::CryptoError;
use crate::ntlm::NtlmError;
use crate::ntstatus::NtStatus;
use crate::rpc::RpcError;
use crate::spnego::SpnegoError;
use crate::wire::{Command, WireError};

/// Why an SMB2 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TCP connection could not be made.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The server's address.
        address: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with an error status.
    #[error("{command:?} failed: {status}")]
    Status {
        /// The request.
        command: Command,
        /// The server's NTSTATUS.
        status: NtStatus,
    },
    /// No answer within the configured time.
    #[error("{command:?} got no answer within {after:?}")]
    Timeout {
        /// The request.
        command: Command,
        /// The timeout.
        after: Duration,
    },
    /// The connection ended (the reason says how).
    #[error("connection lost: {0}")]
    Closed(CloseReason),
    /// A response did not decode.
    #[error("malformed response: {0}")]
    Protocol(#[from] WireError),
    /// A response was refused, and the connection with it: a bad or missing signature, another
    /// session, plaintext on an encrypting session, another command, or a negotiation the
    /// server did not confirm (see [`Refusal`]).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The server sent more than the client takes for one result (a directory listing, a
    /// share list); what was gathered so far is dropped. A server sending without end is
    /// the likely cause; a caller who expects more can raise the limit where the operation
    /// takes one ([`DirectoryLimits`]).
    #[error("the server sent more {what} than the limit of {limit}")]
    LimitExceeded {
        /// What was counted: `"directory entries"`, `"bytes of directory entries"`, ...
        what: &'static str,
        /// The limit that was passed.
        limit: u64,
    },
    /// The server logged the session on as guest (SMB2_SESSION_FLAG_IS_GUEST): it checked no
    /// password, and a guest session can neither sign nor encrypt, so anyone on the path
    /// could have answered. Refused unless the caller allows insecure guest logons
    /// ([`SessionOptions::allow_insecure_guest`], Windows' AllowInsecureGuestAuth).
    #[error(
        "the server logged the session on as guest, without checking the password; insecure \
         guest logons are refused (AllowInsecureGuestAuth)"
    )]
    GuestLogonBlocked,
    /// The server logged a session on as anonymous (SMB2_SESSION_FLAG_IS_NULL) although the
    /// caller gave credentials: nothing was authenticated, so the session is refused.
    #[error("the server logged the session on as anonymous although credentials were given")]
    UnexpectedAnonymous,
    /// A message too large for the transport's 24-bit length.
    #[error("message of {0} bytes is too large to send")]
    TooLarge(usize),
    /// Authentication could not proceed (the server rejected NTLMSSP, a wrong mechListMIC).
    #[error("authentication: {0}")]
    Auth(#[from] AuthError),
    /// The server's NTLM CHALLENGE_MESSAGE could not be answered.
    #[error("authentication: {0}")]
    Ntlm(#[from] NtlmError),
    /// The server's SPNEGO token did not decode.
    #[error("authentication: {0}")]
    Spnego(#[from] SpnegoError),
    /// Kerberos could not run: GSS-API absent, no tickets, the KDC or the server's AP-REP
    /// refused.
    #[error("authentication: {0}")]
    Kerberos(#[from] crate::gssapi::KerberosError),
    /// Signing, sealing, unsealing or key derivation failed.
    #[error("cryptography: {0}")]
    Crypto(#[from] CryptoError),
    /// The server cannot give what the caller requires (a dialect, signing, encryption).
    #[error("{0}")]
    Unsupported(String),
    /// A DCE/RPC exchange over a pipe failed.
    #[error("RPC: {0}")]
    Rpc(#[from] RpcError),
    /// The server refused a request because the session's logon expired
    /// (STATUS_NETWORK_SESSION_EXPIRED: its Kerberos ticket ran out), and logging the session
    /// on again with its credentials failed for the reason given (no renewed ticket in the
    /// cache, the KDC refusing): get new tickets (`kinit`) and the next request re-authenticates.
    #[error("the session's logon expired and could not be renewed: {0}")]
    SessionExpired(#[source] std::sync::Arc<Error>),
}

impl Error {
    /// The NTSTATUS behind the error, if the server sent one.
    pub fn status(&self) -> Option<NtStatus> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::SessionExpired(_) => Some(NtStatus::STATUS_NETWORK_SESSION_EXPIRED),
            _ => None,
        }
    }
}

/// Opens a TCP connection to an SMB2 server (port 445) with TCP_NODELAY set — without it,
/// Nagle's algorithm and delayed ACKs stall small requests by tens of milliseconds — and
/// starts a [`Connection`] on it. `timeout` bounds the TCP connect and every request.
pub async fn connect_tcp(
    address: std::net::SocketAddr,
    timeout: Duration,
) -> Result<Connection, Error> {
    let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address))
        .await
        .map_err(|_| Error::Connect {
            address,
            source: std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {timeout:?}"),
            ),
        })?
        .map_err(|source| Error::Connect { address, source })?;
    stream
        .set_nodelay(true)
        .map_err(|source| Error::Connect { address, source })?;
    Ok(Connection::start(stream, timeout))
}
