//! Sans-IO codecs of NetBIOS over TCP/IP: bytes in, typed values out, and back.
//!
//! - [`name`]: NetBIOS names, first-level encoding, scope IDs, labels and compression pointers;
//! - [`name_service`]: every name-service packet of RFC 1002 §4.2.
//!
//! Decoding never panics and never allocates more than the input justifies: every length and
//! count read off the wire is checked against the bytes that remain before it is used.

pub mod name;
pub mod name_service;
mod reader;

pub use name::{NameError, NetbiosName, ScopedName};
pub use name_service::{
    Header, NbEntry, NodeName, NodeStatus, Opcode, Packet, PacketKind, Question, RecordData,
    ResourceRecord,
};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The packet ended early.
    #[error("truncated: {needed} more bytes needed at offset {offset}")]
    Truncated {
        /// Where the read started.
        offset: usize,
        /// How many bytes it needed.
        needed: usize,
    },
    /// A count claims more items than the rest of the packet could hold.
    #[error("{count} {what} cannot fit in the {remaining} bytes left")]
    CountTooLarge {
        /// What was counted.
        what: &'static str,
        /// The count read.
        count: usize,
        /// Bytes left in the packet.
        remaining: usize,
    },
    /// A label length byte with the reserved top bits 01 or 10.
    #[error("label type byte {byte:#04x} at offset {offset} is reserved")]
    BadLabelType {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A compression pointer that does not point strictly backwards.
    #[error("compression pointer at offset {offset} to {target} does not point backwards")]
    BadPointer {
        /// Where the pointer is.
        offset: usize,
        /// Where it points.
        target: u16,
    },
    /// Too many compression pointers in one name.
    #[error("compression pointers loop in the name at offset {offset}")]
    PointerLoop {
        /// Where the name starts.
        offset: usize,
    },
    /// A name longer than 255 bytes.
    #[error("the name at offset {offset} is longer than 255 bytes")]
    NameTooLong {
        /// Where the name starts.
        offset: usize,
    },
    /// The first label of a NetBIOS name is not 32 bytes long.
    #[error("an encoded NetBIOS name must be 32 bytes, not {0}")]
    BadEncodedNameLength(usize),
    /// A first-level encoded character outside `A`..`P`.
    #[error("{0:#04x} is not a first-level encoding character (A to P)")]
    BadEncodedCharacter(u8),
    /// A scope label that is not UTF-8 text.
    #[error("a scope label of the name at offset {offset} is not text")]
    BadScopeLabel {
        /// Where the name starts.
        offset: usize,
    },
    /// An opcode RFC 1002 does not define.
    #[error("opcode {0:#x} is not a name-service opcode")]
    UnknownOpcode(u8),
    /// RDATA whose length does not fit its type.
    #[error("RDATA of type {record_type:#06x} cannot be {length} bytes long")]
    BadRecordLength {
        /// The record type.
        record_type: u16,
        /// The RDLENGTH.
        length: usize,
    },
}
