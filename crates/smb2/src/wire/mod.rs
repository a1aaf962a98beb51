//! Sans-IO codecs for SMB2/3 messages (MS-SMB2 §2.2): the 64-byte sync header, the requests a
//! client sends and the responses it reads. Requests are encoded, responses decoded; decoding
//! never panics and reports the field and offset that did not hold.

mod attributes;
mod codec;
mod compound;
mod create;
pub mod dfs;
mod directory;
pub mod durable;
mod error_response;
pub mod file_info;
mod header;
mod info;
mod io;
mod ioctl;
pub mod lease;
mod negotiate;
mod request;
mod session;
mod tree;

pub use crate::bytes::{ReadError, Reader, from_utf16le, utf16le};
pub use attributes::{FileAttributes, file_attributes};
pub use codec::buffer_at;
pub use compound::{ChainSlot, encode_chain};
pub use create::{
    CloseRequest, CloseResponse, CreateRequest, CreateResponse, FileId, access, create_options,
    disposition, share_access,
};
pub use directory::{
    DirectoryEntry, FILE_DIRECTORY_INFORMATION, QueryDirectoryRequest, QueryDirectoryResponse,
    RESTART_SCANS,
};
pub use error_response::ErrorResponse;
pub(crate) use header::PROTOCOL_ID;
pub use header::{Command, HEADER_LENGTH, Header, flags};
pub use info::{QueryInfoRequest, QueryInfoResponse, SetInfoRequest};
pub use io::{ReadRequest, ReadResponse, WriteRequest, WriteResponse};
pub use ioctl::{FSCTL_PIPE_TRANSCEIVE, FSCTL_SET_ZERO_DATA, IoctlRequest, IoctlResponse};
pub use negotiate::{
    NegotiateContext, NegotiateRequest, NegotiateResponse, capabilities, context_type, dialect,
    security_mode,
};
pub use request::Request;
pub use session::{SessionSetupRequest, SessionSetupResponse, session_flags};
pub use tree::{
    SHARE_CAP_DFS, SHARE_FLAG_DFS, SHARE_FLAG_DFS_ROOT, SHARE_FLAG_ENCRYPT_DATA,
    TreeConnectRequest, TreeConnectResponse, share_type,
};

/// Why bytes did not decode as the SMB2 message they claimed to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// A field, or a buffer an offset/length pair names, lies beyond the bytes received.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The protocol id is not 0xFE 'S' 'M' 'B' (or 0xFD for a transform header).
    #[error("not an SMB2 message: protocol id {0:02x?}")]
    BadProtocolId([u8; 4]),
    /// A StructureSize field does not have the value the command fixes.
    #[error("{command:?}: structure size {found}, expected {expected}")]
    BadStructureSize {
        /// The command whose body it is.
        command: Command,
        /// The size read.
        found: u16,
        /// The size MS-SMB2 gives.
        expected: u16,
    },
    /// A UTF-16 field has an odd length or an unpaired surrogate.
    #[error("{0}: not valid UTF-16")]
    BadUtf16(&'static str),
    /// A structure whose length the protocol fixes came with another length.
    #[error("{field}: {found} bytes, which is not a length it may have")]
    BadLength {
        /// The structure.
        field: &'static str,
        /// The length it came with.
        found: usize,
    },
    /// A directory entry's NextEntryOffset does not move forward inside the buffer.
    #[error("directory entry at offset {0} has a NextEntryOffset that leaves the buffer")]
    BadEntryOffset(usize),
    /// A DFS referral response (MS-DFSC §2.2.4) breaks a rule beyond truncation.
    #[error("{field} at offset {offset}: {problem:?}")]
    BadReferral {
        /// The field.
        field: &'static str,
        /// Where it is in the response.
        offset: usize,
        /// What is wrong with it.
        problem: dfs::ReferralProblem,
    },
}

impl From<crate::bytes::BadUtf16> for WireError {
    fn from(error: crate::bytes::BadUtf16) -> WireError {
        WireError::BadUtf16(error.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::{optional_slice, slice};

    /// The reader's errors are wire errors, naming the field and where it fell short.
    #[test]
    fn reader_errors_are_wire_errors() {
        let mut reader = Reader::at(&[1, 0, 2, 0, 0, 0, 9], 0);
        assert_eq!(reader.u16("a").unwrap(), 1);
        assert_eq!(reader.u32("b").unwrap(), 2);
        assert_eq!(
            reader.u16("c").map_err(WireError::from),
            Err(WireError::Read(ReadError::Truncated {
                field: "c",
                offset: 6,
                needed: 2,
                available: 1
            }))
        );
        assert_eq!(
            slice(&[0; 4], 3, 2, "x").map_err(WireError::from),
            Err(WireError::Read(ReadError::OutOfBounds {
                field: "x",
                offset: 3,
                length: 2,
                total: 4
            }))
        );
        assert_eq!(optional_slice(&[0; 4], 99, 0, "x").unwrap(), &[] as &[u8]);
        let bytes = utf16le("\\\\srv\\Share ü");
        assert_eq!(from_utf16le(&bytes, "t").unwrap(), "\\\\srv\\Share ü");
        assert_eq!(
            from_utf16le(&[0x41], "t").map_err(WireError::from),
            Err(WireError::BadUtf16("t"))
        );
        assert_eq!(
            from_utf16le(&[0x00, 0xD8], "t").map_err(WireError::from),
            Err(WireError::BadUtf16("t"))
        );
    }

    proptest::proptest! {
        #[test]
        fn response_decoders_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut bytes = Vec::new();
            Header::request(Command::Negotiate, 0, 0, 0).encode(&mut bytes);
            bytes.extend_from_slice(&tail);
            let _ = NegotiateResponse::decode(&bytes);
            let _ = SessionSetupResponse::decode(&bytes);
            let _ = TreeConnectResponse::decode(&bytes);
            if let Ok(created) = CreateResponse::decode(&bytes) {
                let _ = lease::GrantedLease::of_create_response(&bytes, &created);
            }
            let _ = lease::LeaseBreak::decode(&bytes);
            let _ = lease::CreateContext::decode_chain(&tail, 0, tail.len());
            let _ = ReadResponse::decode(&bytes);
            let _ = WriteResponse::decode(&bytes);
            let _ = IoctlResponse::decode(&bytes);
            let _ = QueryInfoResponse::decode(&bytes);
            let _ = ErrorResponse::decode(&bytes);
            let _ = DirectoryEntry::decode_all(&tail);
        }
    }
}
