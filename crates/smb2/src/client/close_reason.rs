//! Why a [`super::Connection`] ended, and why authentication failed, as types: what the
//! client's errors carry instead of their texts.

use std::time::Duration;

use crate::wire::{Command, WireError};

/// Why a connection ended (or why a request saw it end): [`super::Error::Closed`] carries it,
/// and [`super::Connection::closed_reason`] says it once the connection has closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// The server closed the connection between messages.
    #[error("the server closed the connection")]
    ServerClosed,
    /// The server closed the connection in the middle of a message.
    #[error("the server closed the connection mid-message")]
    ServerClosedMidMessage,
    /// Reading from the transport failed.
    #[error("read failed: {text}")]
    ReadFailed {
        /// The kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Its text.
        text: String,
    },
    /// Writing to the transport failed.
    #[error("write failed: {text}")]
    WriteFailed {
        /// The kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Its text.
        text: String,
    },
    /// A frame's 4-byte transport header was not a message (or announced a frame too large).
    #[error("bad frame header {0:02x?}")]
    BadFrameHeader([u8; 4]),
    /// A request went unanswered for the connection's timeout: the server is taken as gone.
    #[error("the server did not answer {command:?} within {after:?}")]
    TimedOut {
        /// The request.
        command: Command,
        /// The timeout.
        after: Duration,
    },
    /// A received frame could not be opened or split.
    #[error("{0}")]
    Frame(FrameError),
    /// A response was refused: the connection cannot be trusted with anything else.
    #[error("{0}")]
    Refused(Refusal),
    /// The connection's owner closed it ([`super::Connection::abort`]), for the reason given.
    #[error("{0}")]
    Aborted(String),
    /// The connection's tasks have stopped (the reason they stopped was given before).
    #[error("connection closed")]
    Ended,
    /// A request got no response at all.
    #[error("no response")]
    NoResponse,
    /// A compound came back with fewer responses than it had requests.
    #[error("a compound came back incomplete")]
    IncompleteCompound,
}

/// A response the client refused, closing its connection: what [`super::Error::Refused`]
/// carries, and [`CloseReason::Refused`] keeps for every request that waited on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A response's signature was missing or wrong on a session that signs.
    #[error("{command:?} response failed signature verification")]
    BadSignature {
        /// The request whose response it was.
        command: Command,
    },
    /// A response named another session than the request it answers (MS-SMB2 §3.2.5.1.3),
    /// in its header or in the transform that carried it.
    #[error(
        "{command:?} response came under session {found:#x}, but its request was sent under \
         session {expected:#x}"
    )]
    SessionMismatch {
        /// The request whose response it was.
        command: Command,
        /// The SessionId of the request.
        expected: u64,
        /// The SessionId the response carried.
        found: u64,
    },
    /// A response arrived unencrypted on a session that encrypts.
    #[error("{command:?} response arrived unencrypted on a session that encrypts")]
    NotEncrypted {
        /// The request whose response it was.
        command: Command,
    },
    /// A response carried another command than the request with its message id.
    #[error("{command:?} request was answered with a {found:?} response")]
    UnexpectedResponse {
        /// The request.
        command: Command,
        /// The command of the response.
        found: Command,
    },
    /// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 §3.2.5.14.12) showed that the NEGOTIATE the
    /// server answered is not the one the client sent, or the server would not confirm it:
    /// someone on the path may have tampered with it (a downgrade).
    #[error(
        "the server did not confirm the negotiation ({0}); the connection may be tampered with"
    )]
    NegotiateNotValidated(String),
}

/// Why authentication failed where neither NTLM nor SPNEGO decoding did.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The server ended the exchange after the first token, before any credentials.
    #[error("the server finished authentication before seeing any credentials")]
    FinishedEarly,
    /// The server's SPNEGO answer rejected NTLMSSP.
    #[error("the server rejected NTLMSSP")]
    NtlmsspRejected,
    /// The server's SPNEGO answer carried no NTLM CHALLENGE_MESSAGE.
    #[error("the server's answer carried no NTLM challenge")]
    NoChallenge,
    /// The server's SPNEGO mechListMIC did not verify.
    #[error("the server's SPNEGO mechListMIC is wrong: the exchange was tampered with")]
    BadMechListMic,
    /// The server's SPNEGO answer rejected Kerberos (no key for the service, a ticket it
    /// could not decrypt, a clock too far off).
    #[error("the server rejected Kerberos")]
    KerberosRejected,
    /// The server's SPNEGO answer chose a mechanism other than the Kerberos offered.
    #[error("the server answered Kerberos with {0}")]
    NotKerberos(String),
    /// Kerberos needs the server's DNS name for its service principal (`cifs@<name>`).
    #[error("Kerberos needs the server's DNS name, and none was given")]
    NoServiceName,
    /// The server kept asking for more tokens than a Kerberos exchange has.
    #[error("the server asked for more than {0} Kerberos session setup rounds")]
    TooManyRounds(usize),
    /// The server took a re-authentication of an expired session, but still finds it
    /// expired: the credentials were no newer (a Kerberos ticket that had run out too, which
    /// the server's clock-skew allowance let through).
    #[error("the session was logged on again, but with a ticket that has run out too")]
    ExpiredAgain,
}

/// Why a received frame could not be opened or split; each ends the connection.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A transform header too short to hold its SessionId.
    #[error("truncated transform header")]
    TruncatedTransform,
    /// An encrypted message for a session the connection has no keys for.
    #[error("encrypted message for unknown session {0:#x}")]
    UnknownSession(u64),
    /// The session could not decrypt the message.
    #[error("decryption failed: {0}")]
    Decryption(String),
    /// A member's header does not decode.
    #[error("{0}")]
    Header(WireError),
    /// A member's NextCommand is shorter than a header or not a multiple of 8: the next
    /// member would overlap this one's header or start unaligned.
    #[error("compound NextCommand {0} is shorter than a header or not 8-byte aligned")]
    NextCommandMisplaced(u32),
    /// A member's NextCommand points past the end of the frame.
    #[error("compound NextCommand beyond the frame")]
    NextCommandBeyondFrame,
}
