//! DCE/RPC over a named pipe: connection-oriented PDUs (C706 chapter 12, MS-RPCE), the NDR 2.0
//! transfer syntax, and srvsvc `NetrShareEnum` (MS-SRVS) at level 1.
//!
//! Everything here is sans-IO: functions turn values into the bytes to write to the pipe, and
//! bytes read from the pipe into typed values. The SMB layer opens `\PIPE\srvsvc` and moves the
//! bytes (FSCTL_PIPE_TRANSCEIVE, or WRITE then READ). A share enumeration is:
//!
//! 1. write [`bind_request`] with [`srvsvc::SRVSVC`]; read one PDU and pass it to
//!    [`parse_bind_ack`], then [`BindAck::accepted`] for the context;
//! 2. write each PDU of [`request_pdus`] with the stub of
//!    [`srvsvc::net_share_enum_request`] and opnum [`srvsvc::OPNUM_NETR_SHARE_ENUM`];
//! 3. feed whatever the pipe returns to a [`ResponseAssembler`] until it yields the stub, and
//!    decode it with [`srvsvc::parse_net_share_enum_response`].
//!
//! Only little-endian, ASCII, IEEE data representation is produced and accepted (what every
//! Windows and Samba server sends), and no authentication verifier is used: the pipe is already
//! inside an authenticated SMB session.

pub mod ndr;
pub mod pdu;
pub mod srvsvc;

#[cfg(test)]
mod tests;

pub use ndr::{NdrError, NdrReader, NdrWriter};
pub use pdu::{
    BindAck, BindNakReason, ContextResult, NDR20, PacketType, ProviderReason, ResponseAssembler,
    SyntaxId, Uuid, bind_request, parse_bind_ack, request_pdus, response_pdus,
};
pub use srvsvc::{ShareEnum, ShareInfo1, net_share_enum_request, parse_net_share_enum_response};

/// Why an RPC exchange failed: malformed bytes, a rejection by the server, or a fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The input ended before a complete PDU (or PDU part) could be read.
    #[error("truncated RPC PDU: {needed} bytes needed, {available} available")]
    Truncated {
        /// Bytes the PDU (or the part being read) needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// The PDU is not DCE/RPC connection-oriented version 5.0 or 5.1.
    #[error("unsupported RPC version {major}.{minor}")]
    UnsupportedVersion {
        /// `rpc_vers`.
        major: u8,
        /// `rpc_vers_minor`.
        minor: u8,
    },
    /// The packed data representation is not little-endian ASCII IEEE.
    #[error("unsupported data representation {0:02x?}")]
    UnsupportedDataRepresentation([u8; 4]),
    /// `frag_length` is smaller than the fixed part of its PDU type.
    #[error("invalid frag_length {frag_length} for PDU type {ptype}")]
    InvalidFragLength {
        /// The PDU type.
        ptype: u8,
        /// The `frag_length` field.
        frag_length: u16,
    },
    /// The PDU carries an authentication verifier; this client binds without authentication.
    #[error("unexpected authentication verifier ({auth_length} bytes)")]
    UnexpectedAuth {
        /// The `auth_length` field.
        auth_length: u16,
    },
    /// A PDU of another type than the exchange expects.
    #[error("unexpected PDU type {0}")]
    UnexpectedPacketType(u8),
    /// A response PDU answers another call than the one being assembled.
    #[error("call_id mismatch: expected {expected}, got {got}")]
    CallIdMismatch {
        /// The call id of the request.
        expected: u32,
        /// The call id in the response.
        got: u32,
    },
    /// Fragments out of order: a first fragment in the middle of a response, or a
    /// continuation before any first fragment.
    #[error("response fragments out of order")]
    FragmentOrder,
    /// Bytes left over after a complete PDU or a complete response.
    #[error("{0} bytes after the end of the RPC response")]
    TrailingBytes(usize),
    /// The reassembled stub would exceed the assembler's limit.
    #[error("RPC response larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The BIND_ACK has no result for the presentation context.
    #[error("no result for presentation context {0} in BIND_ACK")]
    MissingContext(usize),
    /// The server rejected the presentation context (in a BIND_ACK result).
    #[error("presentation context rejected: result {result}, reason {reason}")]
    ContextRejected {
        /// The `result` field (1 user rejection, 2 provider rejection).
        result: u16,
        /// The provider's reason.
        reason: ProviderReason,
    },
    /// The server refused the association with a BIND_NAK.
    #[error("bind refused: {reason}")]
    BindNak {
        /// `provider_reject_reason`.
        reason: BindNakReason,
    },
    /// The server answered the call with a FAULT PDU.
    #[error("RPC fault 0x{status:08x}")]
    Fault {
        /// The fault status: an NCA status code such as 0x1c010002 (`nca_op_rng_error`), or a
        /// Win32 error such as 5 (access denied).
        status: u32,
    },
    /// The stub data is not valid NDR for the expected operation.
    #[error("NDR: {0}")]
    Ndr(#[from] NdrError),
    /// A response went on for more reads of the pipe than the client makes.
    #[error("the response never ended")]
    NeverEnded,
    /// The pipe returned nothing in the middle of a response.
    #[error("the pipe ended inside a response")]
    PipeEnded,
    /// The operation answered with a Win32 error.
    #[error("{operation} failed with Win32 error {status}")]
    Failed {
        /// The operation, such as `"NetrShareEnum"`.
        operation: &'static str,
        /// Its Win32 error code.
        status: u32,
    },
}

impl From<crate::bytes::ReadError> for RpcError {
    /// A read past the end of a PDU: `needed` counts from the start of the PDU, as
    /// `available` does.
    fn from(error: crate::bytes::ReadError) -> RpcError {
        use crate::bytes::ReadError;
        match error {
            ReadError::Truncated {
                offset,
                needed,
                available,
                ..
            } => RpcError::Truncated {
                needed: offset.saturating_add(needed),
                available: offset.saturating_add(available),
            },
            ReadError::OutOfBounds {
                offset,
                length,
                total,
                ..
            } => RpcError::Truncated {
                needed: offset.saturating_add(length),
                available: total,
            },
        }
    }
}

/// NCA status codes a FAULT PDU may carry (C706 appendix E; MS-RPCE 2.2.2.11).
pub mod nca {
    /// The server does not export the operation number (`nca_op_rng_error`).
    pub const OP_RNG_ERROR: u32 = 0x1c01_0002;
    /// The server does not support the interface (`nca_unk_if`).
    pub const UNK_IF: u32 = 0x1c01_0003;
    /// The stub could not unmarshal the request (`nca_proto_error`).
    pub const PROTO_ERROR: u32 = 0x1c01_000b;
    /// The server's stub rejected the arguments (`nca_s_fault_ndr`).
    pub const FAULT_NDR: u32 = 0x0000_06f7;
    /// Access denied (Win32 `ERROR_ACCESS_DENIED`, used as a fault status by Windows).
    pub const ACCESS_DENIED: u32 = 0x0000_0005;
    /// The call was cancelled (`nca_s_fault_cancel`).
    pub const FAULT_CANCEL: u32 = 0x1c00_000d;
    /// The server ran out of a resource (`nca_s_fault_remote_no_memory`).
    pub const FAULT_REMOTE_NO_MEMORY: u32 = 0x1c00_001b;
    /// The context handle does not match (`nca_s_fault_context_mismatch`).
    pub const FAULT_CONTEXT_MISMATCH: u32 = 0x1c00_001a;
}
