//! Sans-IO codecs of NetBIOS over TCP/IP: bytes in, typed values out, and back.
//!
//! - [`name`]: NetBIOS names, first-level encoding, scope IDs, domain names, labels and
//!   compression pointers (RFC 1001 §14, RFC 1002 §4.1);
//! - [`name_service`]: every name-service packet of RFC 1002 §4.2;
//! - [`node_status`]: the RDATA of a node status response (RFC 1002 §4.2.18);
//! - [`session`]: session-service packets (RFC 1002 §4.3);
//! - [`datagram`]: every datagram-service packet of RFC 1002 §4.4.
//!
//! Decoding never panics and never allocates more than the input justifies: every length and
//! count read off the wire is checked against the bytes that remain before it is used. For
//! every packet `p`, `Packet::decode(&p.encode()) == Ok(p)`; the bytes Samba sends re-encode
//! byte for byte.

pub mod datagram;
pub mod name;
pub mod name_service;
pub mod node_status;
mod reader;
pub mod session;

pub use datagram::{
    DataDatagram, DataKind, DatagramErrorCode, DatagramFlags, DatagramHeader, DatagramPacket,
    QueryKind, SourceNodeType,
};
pub use name::{DomainName, NameError, NetbiosName, ScopedName};
pub use name_service::{
    Header, NbEntry, Opcode, Packet, PacketKind, Question, RecordData, RecordName, Redirect,
    ResourceRecord, WaitForAcknowledgement,
};
pub use node_status::{NodeName, NodeStatus, Statistics};

/// Why bytes could not be decoded. Offsets count from the start of the packet (or of the
/// slice given to a standalone decoder).
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
    /// A count claims more items than the rest of the packet could hold.
    #[error(
        "{field} says {count}, but {count} items of at least {min_item_size} bytes cannot fit \
         in the {remaining} bytes left"
    )]
    CountTooLarge {
        /// The count field.
        field: &'static str,
        /// The count read.
        count: usize,
        /// The smallest size of one item.
        min_item_size: usize,
        /// Bytes left in the packet.
        remaining: usize,
    },
    /// A label length byte whose top two bits are 01 or 10 (RFC 1002 §4.1 allows only 00, a
    /// label of at most 63 bytes, and 11, a compression pointer).
    #[error("label length byte {byte:#04x} at offset {offset} has reserved type bits")]
    BadLabelType {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A compression pointer that does not point strictly before the name (or the part of it)
    /// being read: a forward pointer, a pointer to itself, or one into its own name.
    #[error("compression pointer at offset {offset} to {target} does not point backwards")]
    PointerNotBackwards {
        /// Where the pointer is.
        offset: usize,
        /// Where it points.
        target: u16,
    },
    /// More compression pointers in one name than any real name needs (a guard against loops
    /// on top of the backwards-only rule).
    #[error("the name at offset {offset} follows more than {limit} compression pointers")]
    TooManyPointers {
        /// Where the name starts.
        offset: usize,
        /// The most pointers followed in one name.
        limit: usize,
    },
    /// A name longer than 255 bytes, labels and length bytes counted (RFC 1002 §4.1).
    #[error("the name at offset {offset} is {length} bytes long, over 255")]
    NameTooLong {
        /// Where the name starts.
        offset: usize,
        /// Its length so far.
        length: usize,
    },
    /// The first label of a NetBIOS name is not 32 bytes long (RFC 1001 §14.1).
    #[error("the encoded NetBIOS name at offset {offset} is {length} bytes, not 32")]
    BadEncodedNameLength {
        /// Where the name starts.
        offset: usize,
        /// The length of its first label.
        length: usize,
    },
    /// A first-level encoded character outside `A`..=`P` (RFC 1001 §14.1).
    #[error("{byte:#04x} at offset {offset} is not a first-level encoding character (A to P)")]
    BadEncodedCharacter {
        /// Where the character is.
        offset: usize,
        /// The character.
        byte: u8,
    },
    /// A scope label that is not UTF-8 text or holds a dot, so that the scope cannot be
    /// written back as dot-separated text.
    #[error("the scope label at offset {offset} is not text without dots")]
    BadScopeLabel {
        /// Where the label's bytes start.
        offset: usize,
    },
    /// An OPCODE RFC 1002 §4.2.1.1 does not define.
    #[error("opcode {0:#x} is not a name-service opcode")]
    UnknownOpcode(u8),
    /// RDLENGTH that does not fit the record type.
    #[error("RDATA of type {record_type:#06x} at offset {offset} cannot be {length} bytes long")]
    BadRecordLength {
        /// The record type.
        record_type: u16,
        /// Where the RDATA starts.
        offset: usize,
        /// The RDLENGTH.
        length: usize,
    },
    /// A session packet type RFC 1002 §4.3.1 does not define.
    #[error("{0:#04x} is not a session packet type")]
    UnknownSessionType(u8),
    /// Reserved flag bits set in a session packet header (only the E bit may be).
    #[error("session header flags {0:#04x} have reserved bits set")]
    BadSessionFlags(u8),
    /// A session packet body of the wrong length for its type.
    #[error("session packet {packet_type:#04x} has a {length}-byte body, not {expected}")]
    SessionLength {
        /// The packet type.
        packet_type: u8,
        /// The body's length.
        length: usize,
        /// The length its type or header calls for.
        expected: usize,
    },
    /// MSG_TYPE that RFC 1002 §4.4.1 does not define (0x10 to 0x16 are).
    #[error("MSG_TYPE {0:#04x} is not a datagram-service packet type")]
    UnknownDatagramType(u8),
    /// DGM_LENGTH of a data datagram is not the number of bytes after PACKET_OFFSET
    /// (RFC 1002 §4.4.2).
    #[error("DGM_LENGTH says {dgm_length} bytes, but {actual} follow PACKET_OFFSET")]
    DatagramLengthMismatch {
        /// The DGM_LENGTH read.
        dgm_length: usize,
        /// The bytes that follow PACKET_OFFSET.
        actual: usize,
    },
    /// Bytes after the end of a packet whose length its fields fix.
    #[error("{length} bytes after the end of the packet at offset {offset}")]
    TrailingBytes {
        /// Where the packet ended.
        offset: usize,
        /// How many bytes follow.
        length: usize,
    },
    /// A datagram to encode whose names and user data exceed DGM_LENGTH's 65,535 bytes.
    #[error("names and user data of {length} bytes do not fit in DGM_LENGTH")]
    DatagramTooLong {
        /// Their length.
        length: usize,
    },
}
