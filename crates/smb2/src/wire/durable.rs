//! Durable handles, version 2 (MS-SMB2 §2.2.13.2.11, §2.2.13.2.12, §2.2.14.2.12): the `DH2Q`
//! create context a client asks for a durable open with, the server's `DH2Q` answer, and the
//! `DH2C` context that reopens a durable handle on a new connection after the old one was
//! lost. Also the encoding of a chain of several create contexts (MS-SMB2 §2.2.13.2), as a
//! durable open sends its context beside the lease's.
//!
//! Everything decoded here comes from the server: the answer's length is checked before any
//! field is read, and one that does not hold is an error, never a panic.

use super::lease::CreateContext;
use super::{CreateResponse, FileId, WireError};
use crate::bytes::Reader;

/// The name of the durable handle v2 request and response contexts.
pub const DURABLE_V2_REQUEST_NAME: [u8; 4] = *b"DH2Q";
/// The name of the durable handle v2 reconnect context.
pub const DURABLE_V2_RECONNECT_NAME: [u8; 4] = *b"DH2C";
/// The data length of SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2.
pub const DURABLE_V2_REQUEST_LENGTH: usize = 32;
/// The data length of SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2.
pub const DURABLE_V2_RESPONSE_LENGTH: usize = 8;
/// The data length of SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2.
pub const DURABLE_V2_RECONNECT_LENGTH: usize = 36;
/// SMB2_DHANDLE_FLAG_PERSISTENT: a persistent handle (continuously available shares only).
pub const DHANDLE_FLAG_PERSISTENT: u32 = 0x0000_0002;

/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 (MS-SMB2 §2.2.13.2.11): asks for a durable open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableV2Request {
    /// How long (milliseconds) the server keeps the open after the connection is lost; 0
    /// lets the server choose.
    pub timeout: u32,
    /// [`DHANDLE_FLAG_PERSISTENT`] or 0 (this client asks for durable, not persistent).
    pub flags: u32,
    /// The client's identifier of the open, the same when a create is replayed or the
    /// handle reopened.
    pub create_guid: [u8; 16],
}

impl DurableV2Request {
    /// The context's 32 bytes of data: Timeout, Flags, 8 reserved, CreateGuid.
    pub fn encode_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(DURABLE_V2_REQUEST_LENGTH);
        data.extend_from_slice(&self.timeout.to_le_bytes());
        data.extend_from_slice(&self.flags.to_le_bytes());
        data.extend_from_slice(&[0; 8]); // Reserved
        data.extend_from_slice(&self.create_guid);
        data
    }
}

/// SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2 (MS-SMB2 §2.2.14.2.12): the server made the open
/// durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableV2Response {
    /// How long (milliseconds) the server keeps the open after the connection is lost.
    pub timeout: u32,
    /// [`DHANDLE_FLAG_PERSISTENT`] when the handle is persistent.
    pub flags: u32,
}

impl DurableV2Response {
    /// Decodes the data of a `DH2Q` response context: exactly 8 bytes.
    pub fn decode(data: &[u8]) -> Result<DurableV2Response, WireError> {
        if data.len() != DURABLE_V2_RESPONSE_LENGTH {
            return Err(WireError::BadLength {
                field: "DH2Q response",
                found: data.len(),
            });
        }
        let mut reader = Reader::at(data, 0);
        let timeout = reader.u32("Timeout")?;
        let flags = reader.u32("Flags")?;
        Ok(DurableV2Response { timeout, flags })
    }

    /// The durability the CREATE response `message` (decoded as `response`) grants: `None`
    /// when it carries no `DH2Q` context; an error when the contexts or the `DH2Q` data do
    /// not decode.
    pub fn of_create_response(
        message: &[u8],
        response: &CreateResponse,
    ) -> Result<Option<DurableV2Response>, WireError> {
        CreateContext::decode_chain(
            message,
            response.create_contexts_offset as usize,
            response.create_contexts_length as usize,
        )?
        .iter()
        .find(|context| context.name == DURABLE_V2_REQUEST_NAME)
        .map(|context| DurableV2Response::decode(context.data))
        .transpose()
    }
}

/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 (MS-SMB2 §2.2.13.2.12): reopens a durable
/// handle on a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableV2Reconnect {
    /// The handle the server gave the durable open.
    pub file_id: FileId,
    /// The CreateGuid the open was asked for with.
    pub create_guid: [u8; 16],
    /// [`DHANDLE_FLAG_PERSISTENT`] when the handle was persistent, else 0.
    pub flags: u32,
}

impl DurableV2Reconnect {
    /// The context's 36 bytes of data: FileId, CreateGuid, Flags.
    pub fn encode_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(DURABLE_V2_RECONNECT_LENGTH);
        data.extend_from_slice(&self.file_id.0);
        data.extend_from_slice(&self.create_guid);
        data.extend_from_slice(&self.flags.to_le_bytes());
        data
    }
}

/// What a CREATE says of durability: ask for a durable open, or reopen one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// A `DH2Q` context: make the open durable.
    Request(DurableV2Request),
    /// A `DH2C` context: reopen this durable open.
    Reconnect(DurableV2Reconnect),
}

impl Durability {
    /// The context's name and data.
    pub fn context(&self) -> ([u8; 4], Vec<u8>) {
        match self {
            Durability::Request(request) => (DURABLE_V2_REQUEST_NAME, request.encode_data()),
            Durability::Reconnect(reconnect) => {
                (DURABLE_V2_RECONNECT_NAME, reconnect.encode_data())
            }
        }
    }
}

/// Encodes a chain of create contexts (MS-SMB2 §2.2.13.2), each as `name` and `data`: a
/// 16-byte header, the 4-byte name at 16, the data at 24, every context starting 8-aligned
/// and naming the next by its Next offset (0 for the last).
pub fn encode_create_contexts(contexts: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut chain = Vec::new();
    for (index, (name, data)) in contexts.iter().enumerate() {
        let start = chain.len();
        chain.extend_from_slice(&0u32.to_le_bytes()); // Next, patched below
        chain.extend_from_slice(&16u16.to_le_bytes()); // NameOffset
        chain.extend_from_slice(&4u16.to_le_bytes()); // NameLength
        chain.extend_from_slice(&0u16.to_le_bytes()); // Reserved
        chain.extend_from_slice(&24u16.to_le_bytes()); // DataOffset
        chain.extend_from_slice(&(data.len() as u32).to_le_bytes()); // DataLength
        chain.extend_from_slice(name);
        chain.extend_from_slice(&[0; 4]); // padding to 8
        chain.extend_from_slice(data);
        if index + 1 < contexts.len() {
            while !chain.len().is_multiple_of(8) {
                chain.push(0);
            }
            let next = (chain.len() - start) as u32;
            chain[start..start + 4].copy_from_slice(&next.to_le_bytes());
        }
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::super::lease::{LeaseRequest, LeaseVersion, OPLOCK_LEVEL_LEASE, lease_state};
    use super::super::{Command, Header, Request, flags};
    use super::*;

    const GUID: [u8; 16] = [
        0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE,
        0xAF,
    ];

    #[test]
    fn request_and_reconnect_data_are_byte_exact() {
        let request = DurableV2Request {
            timeout: 60_000,
            flags: 0,
            create_guid: GUID,
        };
        let mut expected = 60_000u32.to_le_bytes().to_vec();
        expected.extend_from_slice(&[0; 4 + 8]);
        expected.extend_from_slice(&GUID);
        assert_eq!(request.encode_data(), expected);
        assert_eq!(request.encode_data().len(), DURABLE_V2_REQUEST_LENGTH);

        let reconnect = DurableV2Reconnect {
            file_id: FileId([7; 16]),
            create_guid: GUID,
            flags: 0,
        };
        let mut expected = vec![7; 16];
        expected.extend_from_slice(&GUID);
        expected.extend_from_slice(&[0; 4]);
        assert_eq!(reconnect.encode_data(), expected);
        assert_eq!(reconnect.encode_data().len(), DURABLE_V2_RECONNECT_LENGTH);
    }

    #[test]
    fn responses_decode_and_other_lengths_are_refused() {
        let mut data = 30_000u32.to_le_bytes().to_vec();
        data.extend_from_slice(&DHANDLE_FLAG_PERSISTENT.to_le_bytes());
        assert_eq!(
            DurableV2Response::decode(&data).unwrap(),
            DurableV2Response {
                timeout: 30_000,
                flags: DHANDLE_FLAG_PERSISTENT
            }
        );
        for cut in 0..data.len() {
            assert!(matches!(
                DurableV2Response::decode(&data[..cut]),
                Err(WireError::BadLength { found, .. }) if found == cut
            ));
        }
        data.push(0);
        assert!(DurableV2Response::decode(&data).is_err());
    }

    #[test]
    fn a_chain_of_two_contexts_decodes_as_the_server_would_read_it() {
        let lease = LeaseRequest {
            key: [3; 16],
            state: lease_state::READ | lease_state::HANDLE,
            version: LeaseVersion::V2,
        };
        let durable = Durability::Request(DurableV2Request {
            timeout: 0,
            flags: 0,
            create_guid: GUID,
        });
        let chain = encode_create_contexts(&[
            (super::super::lease::LEASE_CONTEXT_NAME, lease.encode_data()),
            durable.context(),
        ]);
        // RqLs v2: 24 + 52 = 76, padded to 80; then DH2Q: 24 + 32.
        assert_eq!(&chain[0..4], &80u32.to_le_bytes());
        assert_eq!(chain.len(), 80 + 56);
        let contexts = CreateContext::decode_chain(&chain, 0, chain.len()).unwrap();
        assert_eq!(contexts.len(), 2);
        assert_eq!(contexts[0].name, b"RqLs");
        assert_eq!(contexts[0].data, &lease.encode_data()[..]);
        assert_eq!(contexts[1].name, b"DH2Q");
        assert_eq!(contexts[1].data.len(), DURABLE_V2_REQUEST_LENGTH);
        // One context alone is the lease's own encoding.
        assert_eq!(
            encode_create_contexts(&[(
                super::super::lease::LEASE_CONTEXT_NAME,
                lease.encode_data()
            )]),
            lease.encode_context()
        );
    }

    #[test]
    fn a_durable_create_request_places_its_chain_aligned() {
        let create = super::super::CreateRequest {
            name: "a.txt".into(),
            desired_access: 0x0012_0089,
            file_attributes: 0,
            share_access: 7,
            create_disposition: 1,
            create_options: 0,
        };
        let lease = LeaseRequest {
            key: [3; 16],
            state: lease_state::READ,
            version: LeaseVersion::V2,
        };
        let reconnect = Durability::Reconnect(DurableV2Reconnect {
            file_id: FileId([9; 16]),
            create_guid: GUID,
            flags: 0,
        });
        let request = Request::CreateDurable {
            create,
            lease: Some(lease),
            durability: reconnect,
        };
        assert_eq!(request.command(), Command::Create);
        let mut message = Vec::new();
        Header::request(request.command(), 1, 0, 0).encode(&mut message);
        request.encode_body(&mut message);
        assert_eq!(message[67], OPLOCK_LEVEL_LEASE);
        assert_eq!(&message[64 + 48..64 + 52], &136u32.to_le_bytes());
        let chain = &message[136..];
        let contexts = CreateContext::decode_chain(chain, 0, chain.len()).unwrap();
        assert_eq!(contexts[1].name, b"DH2C");
        assert_eq!(contexts[1].data, &reconnect.context().1[..]);

        // Without a lease: no lease level, the durable context alone.
        let request = Request::CreateDurable {
            create: super::super::CreateRequest {
                name: "a.txt".into(),
                desired_access: 1,
                file_attributes: 0,
                share_access: 7,
                create_disposition: 1,
                create_options: 0,
            },
            lease: None,
            durability: reconnect,
        };
        let mut message = Vec::new();
        Header::request(request.command(), 1, 0, 0).encode(&mut message);
        request.encode_body(&mut message);
        assert_eq!(message[67], 0);
        let contexts = CreateContext::decode_chain(&message[136..], 0, message.len() - 136)
            .expect("the chain");
        assert_eq!(contexts.len(), 1);
        assert_eq!(contexts[0].name, b"DH2C");
    }

    /// A CREATE response carrying `chain` at 152.
    fn create_response(chain: &[u8], length: u32) -> Vec<u8> {
        let mut message = Vec::new();
        let mut header = Header::request(Command::Create, 1, 0, 0);
        header.flags = flags::SERVER_TO_REDIR;
        header.encode(&mut message);
        message.extend_from_slice(&89u16.to_le_bytes());
        message.push(OPLOCK_LEVEL_LEASE);
        message.push(0);
        message.extend_from_slice(&1u32.to_le_bytes());
        message.extend_from_slice(&[0; 56]);
        message.extend_from_slice(&[9; 16]);
        message.extend_from_slice(&152u32.to_le_bytes());
        message.extend_from_slice(&length.to_le_bytes());
        message.extend_from_slice(chain);
        message
    }

    #[test]
    fn a_create_response_says_whether_it_is_durable() {
        let mut granted = 60_000u32.to_le_bytes().to_vec();
        granted.extend_from_slice(&0u32.to_le_bytes());
        let chain = encode_create_contexts(&[(*b"MxAc", vec![0; 8]), (*b"DH2Q", granted)]);
        let message = create_response(&chain, chain.len() as u32);
        let response = CreateResponse::decode(&message).unwrap();
        assert_eq!(
            DurableV2Response::of_create_response(&message, &response).unwrap(),
            Some(DurableV2Response {
                timeout: 60_000,
                flags: 0
            })
        );
        // No DH2Q: not durable.
        let chain = encode_create_contexts(&[(*b"MxAc", vec![0; 8])]);
        let message = create_response(&chain, chain.len() as u32);
        let response = CreateResponse::decode(&message).unwrap();
        assert_eq!(
            DurableV2Response::of_create_response(&message, &response).unwrap(),
            None
        );
    }

    #[test]
    fn hostile_durable_answers_are_refused_without_panics() {
        let mut granted = 60_000u32.to_le_bytes().to_vec();
        granted.extend_from_slice(&0u32.to_le_bytes());
        let chain = encode_create_contexts(&[(*b"DH2Q", granted)]);
        // Cut anywhere: the message ends before the chain it announces.
        let whole = create_response(&chain, chain.len() as u32);
        for cut in 152..whole.len() {
            let message = &whole[..cut];
            let response = CreateResponse::decode(message).unwrap();
            assert!(
                DurableV2Response::of_create_response(message, &response).is_err(),
                "cut at {cut}"
            );
        }
        // A DH2Q of the wrong length.
        let chain = encode_create_contexts(&[(*b"DH2Q", vec![0; 7])]);
        let message = create_response(&chain, chain.len() as u32);
        let response = CreateResponse::decode(&message).unwrap();
        assert!(matches!(
            DurableV2Response::of_create_response(&message, &response),
            Err(WireError::BadLength { found: 7, .. })
        ));
        // A length past the message.
        let message = create_response(&chain, u32::MAX);
        let response = CreateResponse::decode(&message).unwrap();
        assert!(DurableV2Response::of_create_response(&message, &response).is_err());
    }

    proptest::proptest! {
        #[test]
        fn durable_decoders_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = DurableV2Response::decode(&bytes);
            let message = create_response(&bytes, bytes.len() as u32);
            if let Ok(response) = CreateResponse::decode(&message) {
                let _ = DurableV2Response::of_create_response(&message, &response);
            }
        }
    }
}
