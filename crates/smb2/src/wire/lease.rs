//! SMB2 leases (MS-SMB2 §2.2.13.2.8, §2.2.13.2.10, §2.2.14.2.10, §2.2.14.2.11, §2.2.23.2,
//! §2.2.24.2, §2.2.25.2): the `RqLs` create context a client asks for a lease with and the
//! server answers with, the lease break notification, and the lease break acknowledgment.
//!
//! Everything decoded here comes from the server: sizes are checked before any field is read,
//! and a context or notification that does not hold is an error, never a panic.

use super::{Command, CreateResponse, HEADER_LENGTH, WireError};
use crate::bytes::{Reader, slice, u16_at};

/// Lease states (MS-SMB2 §2.2.13.2.8, LeaseState): what the holder may cache.
pub mod lease_state {
    /// SMB2_LEASE_NONE: nothing.
    pub const NONE: u32 = 0x0000_0000;
    /// SMB2_LEASE_READ_CACHING: reads may be served from the cache.
    pub const READ: u32 = 0x0000_0001;
    /// SMB2_LEASE_HANDLE_CACHING: a close may be deferred.
    pub const HANDLE: u32 = 0x0000_0002;
    /// SMB2_LEASE_WRITE_CACHING: writes may be kept back.
    pub const WRITE: u32 = 0x0000_0004;
}

/// RequestedOplockLevel / OplockLevel SMB2_OPLOCK_LEVEL_LEASE (MS-SMB2 §2.2.13): the open
/// asks for (or was granted) a lease, described by its `RqLs` context.
pub const OPLOCK_LEVEL_LEASE: u8 = 0xFF;

/// The name of the lease create contexts, request and response (MS-SMB2 §2.2.13.2).
pub const LEASE_CONTEXT_NAME: [u8; 4] = *b"RqLs";

/// SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED (MS-SMB2 §2.2.23.2).
const ACK_REQUIRED: u32 = 0x0000_0001;
/// The data length of SMB2_CREATE_REQUEST_LEASE / _RESPONSE_LEASE (SMB 2.1).
pub const LEASE_V1_LENGTH: usize = 32;
/// The data length of SMB2_CREATE_REQUEST_LEASE_V2 / _RESPONSE_LEASE_V2 (SMB 3.x).
pub const LEASE_V2_LENGTH: usize = 52;
/// StructureSize of a lease break notification (an oplock break's is 24).
pub const LEASE_BREAK_NOTIFICATION_SIZE: u16 = 44;
/// StructureSize of a lease break acknowledgment and of its response.
pub const LEASE_BREAK_ACK_SIZE: u16 = 36;

/// Which form of the lease context to send: v1 for SMB 2.1, v2 for the 3.x dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseVersion {
    /// SMB2_CREATE_REQUEST_LEASE, 32 bytes (MS-SMB2 §2.2.13.2.8).
    V1,
    /// SMB2_CREATE_REQUEST_LEASE_V2, 52 bytes (MS-SMB2 §2.2.13.2.10).
    V2,
}

/// The lease a CREATE asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseRequest {
    /// The client's key for the lease (one per file the client caches).
    pub key: [u8; 16],
    /// The [`lease_state`] bits wanted.
    pub state: u32,
    /// Which context form.
    pub version: LeaseVersion,
}

impl LeaseRequest {
    /// The context's data: 32 bytes (v1) or 52 bytes (v2, no parent key, epoch 0).
    pub fn encode_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(LEASE_V2_LENGTH);
        data.extend_from_slice(&self.key);
        data.extend_from_slice(&self.state.to_le_bytes());
        data.extend_from_slice(&0u32.to_le_bytes()); // LeaseFlags: no parent key
        data.extend_from_slice(&0u64.to_le_bytes()); // LeaseDuration: reserved
        if self.version == LeaseVersion::V2 {
            data.extend_from_slice(&[0; 16]); // ParentLeaseKey
            data.extend_from_slice(&0u16.to_le_bytes()); // Epoch
            data.extend_from_slice(&0u16.to_le_bytes()); // Reserved
        }
        data
    }

    /// The whole SMB2_CREATE_CONTEXT (MS-SMB2 §2.2.13.2), the only one of its chain:
    /// Next 0, the name `RqLs` at 16, the data at 24 (8-aligned).
    pub fn encode_context(&self) -> Vec<u8> {
        let data = self.encode_data();
        let mut context = Vec::with_capacity(24 + data.len());
        context.extend_from_slice(&0u32.to_le_bytes()); // Next
        context.extend_from_slice(&16u16.to_le_bytes()); // NameOffset
        context.extend_from_slice(&4u16.to_le_bytes()); // NameLength
        context.extend_from_slice(&0u16.to_le_bytes()); // Reserved
        context.extend_from_slice(&24u16.to_le_bytes()); // DataOffset
        context.extend_from_slice(&(data.len() as u32).to_le_bytes()); // DataLength
        context.extend_from_slice(&LEASE_CONTEXT_NAME);
        context.extend_from_slice(&[0; 4]); // padding to 8
        context.extend_from_slice(&data);
        context
    }
}

/// A lease as the server granted it in its `RqLs` response context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantedLease {
    /// The lease's key (the client's own).
    pub key: [u8; 16],
    /// The [`lease_state`] bits granted.
    pub state: u32,
    /// The lease's epoch (v2 only; 0 for v1).
    pub epoch: u16,
}

impl GrantedLease {
    /// Decodes the data of an `RqLs` response context: 32 bytes (v1) or 52 (v2). Other
    /// lengths are refused.
    pub fn decode(data: &[u8]) -> Result<GrantedLease, WireError> {
        if data.len() != LEASE_V1_LENGTH && data.len() != LEASE_V2_LENGTH {
            return Err(WireError::BadLength {
                field: "RqLs response",
                found: data.len(),
            });
        }
        let mut reader = Reader::at(data, 0);
        let key = reader.array("LeaseKey")?;
        let state = reader.u32("LeaseState")?;
        reader.skip(4 + 8, "Flags/LeaseDuration")?;
        let epoch = if data.len() == LEASE_V2_LENGTH {
            reader.skip(16, "ParentLeaseKey")?;
            reader.u16("Epoch")?
        } else {
            0
        };
        Ok(GrantedLease { key, state, epoch })
    }
}

/// One create context of a CREATE response: its name and data, both checked to lie inside
/// the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateContext<'a> {
    /// The context's name (`RqLs`, `MxAc`, …).
    pub name: &'a [u8],
    /// The context's data.
    pub data: &'a [u8],
}

/// The most create contexts read from one response; a server sends a handful at most.
const MAX_CREATE_CONTEXTS: usize = 64;

impl<'a> CreateContext<'a> {
    /// Decodes the chain of create contexts `offset`/`length` name in a CREATE response
    /// `message` (MS-SMB2 §2.2.14): every context, name and data must lie inside the chain,
    /// and each Next must move forward.
    pub fn decode_chain(
        message: &'a [u8],
        offset: usize,
        length: usize,
    ) -> Result<Vec<CreateContext<'a>>, WireError> {
        let mut contexts = Vec::new();
        if length == 0 {
            return Ok(contexts);
        }
        let chain = slice(message, offset, length, "CreateContexts")?;
        let mut start = 0;
        loop {
            if contexts.len() == MAX_CREATE_CONTEXTS {
                return Err(WireError::BadEntryOffset(offset + start));
            }
            let mut reader = Reader::at(chain, start);
            let next = reader.u32("Next")? as usize;
            let name_offset = usize::from(reader.u16("NameOffset")?);
            let name_length = usize::from(reader.u16("NameLength")?);
            reader.skip(2, "Reserved")?;
            let data_offset = usize::from(reader.u16("DataOffset")?);
            let data_length = reader.u32("DataLength")? as usize;
            // Offsets count from the context's start, and the context ends at Next (or the chain).
            let end = if next == 0 {
                chain.len()
            } else {
                start
                    .checked_add(next)
                    .filter(|&end| end <= chain.len())
                    .ok_or(WireError::BadEntryOffset(offset + start))?
            };
            let context = chain
                .get(start..end)
                .ok_or(WireError::BadEntryOffset(offset + start))?;
            let name = slice(context, name_offset, name_length, "CreateContext name")?;
            let data = if data_length == 0 {
                &[][..]
            } else {
                slice(context, data_offset, data_length, "CreateContext data")?
            };
            contexts.push(CreateContext { name, data });
            if next == 0 {
                return Ok(contexts);
            }
            start = end;
        }
    }
}

impl GrantedLease {
    /// The lease the CREATE response `message` (decoded as `response`) grants: `None` unless
    /// its OplockLevel is [`OPLOCK_LEVEL_LEASE`] and it carries an `RqLs` context; an error
    /// when the contexts or the lease do not decode.
    pub fn of_create_response(
        message: &[u8],
        response: &CreateResponse,
    ) -> Result<Option<GrantedLease>, WireError> {
        if response.oplock_level != OPLOCK_LEVEL_LEASE {
            return Ok(None);
        }
        CreateContext::decode_chain(
            message,
            response.create_contexts_offset as usize,
            response.create_contexts_length as usize,
        )?
        .iter()
        .find(|context| context.name == LEASE_CONTEXT_NAME)
        .map(|context| GrantedLease::decode(context.data))
        .transpose()
    }
}

/// A lease break notification (MS-SMB2 §2.2.23.2): the server takes some of a lease's
/// caching away because another client wants the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseBreak {
    /// The lease's key.
    pub key: [u8; 16],
    /// The [`lease_state`] the client holds now.
    pub current_state: u32,
    /// The [`lease_state`] the lease is breaking to: acknowledge with it (or less).
    pub new_state: u32,
    /// The lease's new epoch (3.x; 0 from a 2.1 server).
    pub epoch: u16,
    /// Whether the server waits for an acknowledgment before it lets the other open go on
    /// (SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED).
    pub ack_required: bool,
}

impl LeaseBreak {
    /// Decodes a whole OPLOCK_BREAK message (header and body) as a lease break
    /// notification; an oplock break (StructureSize 24), another command, or too few bytes
    /// are errors.
    pub fn decode(message: &[u8]) -> Result<LeaseBreak, WireError> {
        let command = Command::from_code(u16_at(message, 12, "Command")?);
        let mut reader = Reader::at(message, HEADER_LENGTH);
        let size = reader.u16("StructureSize")?;
        if command != Command::OplockBreak || size != LEASE_BREAK_NOTIFICATION_SIZE {
            return Err(WireError::BadStructureSize {
                command,
                found: size,
                expected: LEASE_BREAK_NOTIFICATION_SIZE,
            });
        }
        let epoch = reader.u16("NewEpoch")?;
        let flags = reader.u32("Flags")?;
        let key = reader.array("LeaseKey")?;
        let current_state = reader.u32("CurrentLeaseState")?;
        let new_state = reader.u32("NewLeaseState")?;
        reader.skip(12, "BreakReason/AccessMaskHint/ShareMaskHint")?;
        Ok(LeaseBreak {
            key,
            current_state,
            new_state,
            epoch,
            ack_required: flags & ACK_REQUIRED != 0,
        })
    }
}

/// A lease break acknowledgment (MS-SMB2 §2.2.24.2), sent as an OPLOCK_BREAK request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseBreakAck {
    /// The lease's key.
    pub key: [u8; 16],
    /// The [`lease_state`] the client keeps: the notification's new state or less.
    pub state: u32,
}

impl LeaseBreakAck {
    /// Appends the 36-byte body.
    pub fn encode_body(&self, message: &mut Vec<u8>) {
        message.extend_from_slice(&LEASE_BREAK_ACK_SIZE.to_le_bytes());
        message.extend_from_slice(&0u16.to_le_bytes()); // Reserved
        message.extend_from_slice(&0u32.to_le_bytes()); // Flags
        message.extend_from_slice(&self.key);
        message.extend_from_slice(&self.state.to_le_bytes());
        message.extend_from_slice(&0u64.to_le_bytes()); // LeaseDuration
    }
}

/// A lease break response (MS-SMB2 §2.2.25.2): the server's answer to a
/// [`LeaseBreakAck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseBreakResponse {
    /// The lease's key.
    pub key: [u8; 16],
    /// The [`lease_state`] now held.
    pub state: u32,
}

impl LeaseBreakResponse {
    /// Decodes a whole OPLOCK_BREAK response (header and body).
    pub fn decode(message: &[u8]) -> Result<LeaseBreakResponse, WireError> {
        let mut reader = Reader::at(message, HEADER_LENGTH);
        let size = reader.u16("StructureSize")?;
        if size != LEASE_BREAK_ACK_SIZE {
            return Err(WireError::BadStructureSize {
                command: Command::OplockBreak,
                found: size,
                expected: LEASE_BREAK_ACK_SIZE,
            });
        }
        reader.skip(2 + 4, "Reserved/Flags")?;
        let key = reader.array("LeaseKey")?;
        let state = reader.u32("LeaseState")?;
        reader.skip(8, "LeaseDuration")?;
        Ok(LeaseBreakResponse { key, state })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;

    const KEY: [u8; 16] = [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0x10,
    ];

    #[test]
    fn lease_request_contexts_are_byte_exact() {
        let v1 = LeaseRequest {
            key: KEY,
            state: lease_state::READ | lease_state::HANDLE | lease_state::WRITE,
            version: LeaseVersion::V1,
        };
        let mut expected = vec![
            0, 0, 0, 0, // Next
            16, 0, // NameOffset
            4, 0, // NameLength
            0, 0, // Reserved
            24, 0, // DataOffset
            32, 0, 0, 0, // DataLength
            b'R', b'q', b'L', b's', 0, 0, 0, 0, // name, padding
        ];
        expected.extend_from_slice(&KEY);
        expected.extend_from_slice(&[7, 0, 0, 0]); // LeaseState RWH
        expected.extend_from_slice(&[0; 4 + 8]); // LeaseFlags, LeaseDuration
        assert_eq!(v1.encode_context(), expected);
        assert_eq!(v1.encode_data().len(), LEASE_V1_LENGTH);

        let v2 = LeaseRequest {
            version: LeaseVersion::V2,
            state: lease_state::READ,
            ..v1
        };
        let mut expected = vec![
            0, 0, 0, 0, 16, 0, 4, 0, 0, 0, 24, 0, 52, 0, 0, 0, b'R', b'q', b'L', b's', 0, 0, 0, 0,
        ];
        expected.extend_from_slice(&KEY);
        expected.extend_from_slice(&[1, 0, 0, 0]);
        expected.extend_from_slice(&[0; 4 + 8 + 16 + 2 + 2]);
        assert_eq!(v2.encode_context(), expected);
        assert_eq!(v2.encode_data().len(), LEASE_V2_LENGTH);
    }

    /// A create context chain as Samba sends it: an `MxAc` context, then `RqLs` v2.
    fn response_chain(lease_data: &[u8]) -> Vec<u8> {
        let mut chain = Vec::new();
        // MxAc: 16 header + 4 name + 4 pad + 8 data = 32.
        chain.extend_from_slice(&32u32.to_le_bytes());
        chain.extend_from_slice(&16u16.to_le_bytes());
        chain.extend_from_slice(&4u16.to_le_bytes());
        chain.extend_from_slice(&0u16.to_le_bytes());
        chain.extend_from_slice(&24u16.to_le_bytes());
        chain.extend_from_slice(&8u32.to_le_bytes());
        chain.extend_from_slice(b"MxAc\0\0\0\0");
        chain.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0x01, 0x1F, 0x00]);
        chain.extend_from_slice(&0u32.to_le_bytes());
        chain.extend_from_slice(&16u16.to_le_bytes());
        chain.extend_from_slice(&4u16.to_le_bytes());
        chain.extend_from_slice(&0u16.to_le_bytes());
        chain.extend_from_slice(&24u16.to_le_bytes());
        chain.extend_from_slice(&(lease_data.len() as u32).to_le_bytes());
        chain.extend_from_slice(b"RqLs\0\0\0\0");
        chain.extend_from_slice(lease_data);
        chain
    }

    #[test]
    fn response_contexts_and_granted_leases_decode() {
        let mut lease = KEY.to_vec();
        lease.extend_from_slice(&5u32.to_le_bytes()); // RW
        lease.extend_from_slice(&[0; 12]);
        lease.extend_from_slice(&[0; 16]); // ParentLeaseKey
        lease.extend_from_slice(&3u16.to_le_bytes()); // Epoch
        lease.extend_from_slice(&[0; 2]);
        let mut message = vec![0xAA; 152]; // where a CREATE response puts its contexts
        message.extend_from_slice(&response_chain(&lease));
        let contexts = CreateContext::decode_chain(&message, 152, message.len() - 152).unwrap();
        assert_eq!(contexts.len(), 2);
        assert_eq!(contexts[0].name, b"MxAc");
        assert_eq!(contexts[0].data.len(), 8);
        assert_eq!(contexts[1].name, b"RqLs");
        assert_eq!(
            GrantedLease::decode(contexts[1].data).unwrap(),
            GrantedLease {
                key: KEY,
                state: 5,
                epoch: 3
            }
        );
        // A v1 answer (2.1) has no epoch.
        assert_eq!(GrantedLease::decode(&lease[..32]).unwrap().epoch, 0);
        assert!(GrantedLease::decode(&lease[..31]).is_err());
        assert!(GrantedLease::decode(&lease[..40]).is_err());
    }

    #[test]
    fn hostile_context_chains_are_refused() {
        let mut lease = KEY.to_vec();
        lease.extend_from_slice(&[0; 16]);
        let chain = response_chain(&lease);
        // Cut anywhere before the end: refused, never a panic.
        for cut in 1..chain.len() {
            assert!(
                CreateContext::decode_chain(&chain, 0, cut).is_err(),
                "a chain cut at {cut} decoded"
            );
        }
        // The chain itself outside the message.
        assert!(CreateContext::decode_chain(&chain, 8, chain.len()).is_err());
        assert!(CreateContext::decode_chain(&chain, usize::MAX, 2).is_err());
        // Data past its context.
        let mut bad = chain.clone();
        bad[32 + 12..32 + 16].copy_from_slice(&1000u32.to_le_bytes());
        assert!(CreateContext::decode_chain(&bad, 0, bad.len()).is_err());
        // A Next that leaves the chain, and one that does not move (0 means "last").
        let mut bad = chain.clone();
        bad[0..4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(CreateContext::decode_chain(&bad, 0, bad.len()).is_err());
        // An empty chain is none.
        assert!(
            CreateContext::decode_chain(&chain, 0, 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_leased_create_request_places_its_context_aligned() {
        let create = super::super::CreateRequest {
            name: "a.txt".into(), // 10 bytes of UTF-16 at 120: contexts at 136
            desired_access: 0x0012_0089,
            file_attributes: 0,
            share_access: 7,
            create_disposition: 1,
            create_options: 0,
        };
        let lease = LeaseRequest {
            key: KEY,
            state: lease_state::READ | lease_state::HANDLE,
            version: LeaseVersion::V2,
        };
        let request = super::super::Request::CreateWithLease(create, lease);
        let mut message = Vec::new();
        Header::request(request.command(), 1, 0, 0).encode(&mut message);
        request.encode_body(&mut message);
        assert_eq!(message[67], OPLOCK_LEVEL_LEASE);
        assert_eq!(&message[64 + 48..64 + 52], &136u32.to_le_bytes());
        assert_eq!(&message[64 + 52..64 + 56], &76u32.to_le_bytes());
        assert_eq!(&message[130..136], &[0; 6]); // padding after the name
        assert_eq!(&message[136..], &lease.encode_context()[..]);
    }

    #[test]
    fn a_create_response_gives_its_lease_only_at_lease_level() {
        let mut lease = KEY.to_vec();
        lease.extend_from_slice(&7u32.to_le_bytes());
        lease.extend_from_slice(&[0; 12]);
        let chain = response_chain(&lease);
        let mut message = Vec::new();
        let mut header = Header::request(Command::Create, 1, 0, 0);
        header.flags = super::super::flags::SERVER_TO_REDIR;
        header.encode(&mut message);
        message.extend_from_slice(&89u16.to_le_bytes());
        message.push(OPLOCK_LEVEL_LEASE);
        message.push(0);
        message.extend_from_slice(&1u32.to_le_bytes()); // CreateAction
        message.extend_from_slice(&[0; 56]); // times, sizes, attributes, Reserved2
        message.extend_from_slice(&[9; 16]); // FileId
        message.extend_from_slice(&152u32.to_le_bytes());
        message.extend_from_slice(&(chain.len() as u32).to_le_bytes());
        message.extend_from_slice(&chain);
        let response = CreateResponse::decode(&message).unwrap();
        assert_eq!(
            GrantedLease::of_create_response(&message, &response).unwrap(),
            Some(GrantedLease {
                key: KEY,
                state: 7,
                epoch: 0
            })
        );
        let plain = CreateResponse {
            oplock_level: 0,
            ..response
        };
        assert_eq!(
            GrantedLease::of_create_response(&message, &plain).unwrap(),
            None
        );
        let beyond = CreateResponse {
            create_contexts_length: chain.len() as u32 + 1,
            ..response
        };
        assert!(GrantedLease::of_create_response(&message, &beyond).is_err());
    }

    fn break_notification(flags: u32, size: u16) -> Vec<u8> {
        let mut message = Vec::new();
        let mut header = Header::request(Command::OplockBreak, u64::MAX, 0, 0);
        header.flags = super::super::flags::SERVER_TO_REDIR;
        header.credits = 0;
        header.encode(&mut message);
        message.extend_from_slice(&size.to_le_bytes());
        message.extend_from_slice(&2u16.to_le_bytes()); // NewEpoch
        message.extend_from_slice(&flags.to_le_bytes());
        message.extend_from_slice(&KEY);
        message.extend_from_slice(&7u32.to_le_bytes()); // CurrentLeaseState RWH
        message.extend_from_slice(&1u32.to_le_bytes()); // NewLeaseState R
        message.extend_from_slice(&[0; 12]);
        message
    }

    #[test]
    fn break_notifications_decode_and_truncations_are_refused() {
        let message = break_notification(ACK_REQUIRED, 44);
        assert_eq!(message.len(), 64 + 44);
        assert_eq!(
            LeaseBreak::decode(&message).unwrap(),
            LeaseBreak {
                key: KEY,
                current_state: 7,
                new_state: 1,
                epoch: 2,
                ack_required: true,
            }
        );
        assert!(
            !LeaseBreak::decode(&break_notification(0, 44))
                .unwrap()
                .ack_required
        );
        for cut in 0..message.len() {
            assert!(LeaseBreak::decode(&message[..cut]).is_err(), "cut at {cut}");
        }
        // An oplock break (24) is not a lease break.
        assert!(matches!(
            LeaseBreak::decode(&break_notification(0, 24)),
            Err(WireError::BadStructureSize { found: 24, .. })
        ));
    }

    #[test]
    fn lease_break_ack_layout_and_response() {
        let mut message = Vec::new();
        Header::request(Command::OplockBreak, 5, 1, 1).encode(&mut message);
        LeaseBreakAck {
            key: KEY,
            state: lease_state::READ,
        }
        .encode_body(&mut message);
        assert_eq!(message.len(), 64 + 36);
        assert_eq!(&message[64..66], &36u16.to_le_bytes());
        assert_eq!(&message[72..88], &KEY);
        assert_eq!(&message[88..92], &1u32.to_le_bytes());
        // The response has the same layout.
        assert_eq!(
            LeaseBreakResponse::decode(&message).unwrap(),
            LeaseBreakResponse {
                key: KEY,
                state: lease_state::READ
            }
        );
        assert!(LeaseBreakResponse::decode(&message[..99]).is_err());
    }
}
