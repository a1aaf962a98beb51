//! Sans-IO codecs for SMB2/3 messages (MS-SMB2 §2.2): the 64-byte sync header, the requests a
//! client sends and the responses it reads. Requests are encoded, responses decoded; decoding
//! never panics and reports the field and offset that did not hold.

mod attributes;
mod compound;
pub mod file_info;
mod header;
pub mod lease;
mod messages;

pub use crate::bytes::{Reader, from_utf16le, utf16le};
pub use attributes::{FileAttributes, file_attributes};
pub use compound::{ChainSlot, encode_chain};
pub(crate) use header::PROTOCOL_ID;
pub use header::{Command, HEADER_LENGTH, Header, flags};
pub use messages::*;

/// Why bytes did not decode as the SMB2 message they claimed to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The bytes ended before a field did.
    #[error("truncated: {field} at offset {offset} needs {needed} bytes, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
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
    /// An offset/length pair points outside the message.
    #[error("{field}: offset {offset} and length {length} fall outside the {total}-byte message")]
    OutOfBounds {
        /// The buffer described.
        field: &'static str,
        /// The offset read.
        offset: usize,
        /// The length read.
        length: usize,
        /// The message length.
        total: usize,
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
}

impl From<crate::bytes::ReadError> for WireError {
    fn from(error: crate::bytes::ReadError) -> WireError {
        use crate::bytes::ReadError;
        match error {
            ReadError::Truncated {
                field,
                offset,
                needed,
                available,
            } => WireError::Truncated {
                field,
                offset,
                needed,
                available,
            },
            ReadError::OutOfBounds {
                field,
                offset,
                length,
                total,
            } => WireError::OutOfBounds {
                field,
                offset,
                length,
                total,
            },
        }
    }
}

impl From<crate::bytes::BadUtf16> for WireError {
    fn from(error: crate::bytes::BadUtf16) -> WireError {
        WireError::BadUtf16(error.field)
    }
}
