//! Any bytes after a valid SMB2 response header, as every response body the client decodes,
//! as a FileDirectoryInformation buffer and as a create context chain: decoding never panics,
//! and what a READ response says about its data lies inside the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_smb2::wire::durable::DurableV2Response;
use wnet_smb2::wire::lease::{CreateContext, GrantedLease, LeaseBreak, LeaseBreakResponse};
use wnet_smb2::wire::{
    Command, CreateResponse, DirectoryEntry, ErrorResponse, Header, IoctlResponse,
    NegotiateResponse, QueryDirectoryResponse, ReadResponse, SessionSetupResponse,
    TreeConnectResponse, WriteResponse,
};

fuzz_target!(|bytes: &[u8]| {
    let _ = Header::decode(bytes);
    let mut message = Vec::with_capacity(64 + bytes.len());
    let mut header = Header::request(Command::Read, 1, 2, 3);
    header.flags = 1;
    header.encode(&mut message);
    message.extend_from_slice(bytes);
    let _ = NegotiateResponse::decode(&message);
    let _ = SessionSetupResponse::decode(&message);
    let _ = TreeConnectResponse::decode(&message);
    if let Ok(created) = CreateResponse::decode(&message) {
        let _ = GrantedLease::of_create_response(&message, &created);
        let _ = DurableV2Response::of_create_response(&message, &created);
    }
    let _ = LeaseBreak::decode(&message);
    let _ = LeaseBreakResponse::decode(&message);
    if let Ok(contexts) = CreateContext::decode_chain(bytes, 0, bytes.len()) {
        for context in contexts {
            let _ = GrantedLease::decode(context.data);
            let _ = DurableV2Response::decode(context.data);
        }
    }
    if let Ok(read) = ReadResponse::decode(&message) {
        assert!(read.data_offset + read.data_length <= message.len());
    }
    let _ = WriteResponse::decode(&message);
    let _ = IoctlResponse::decode(&message);
    let _ = QueryDirectoryResponse::decode(&message);
    let _ = ErrorResponse::decode(&message);
    let _ = DirectoryEntry::decode_all(bytes);
});
