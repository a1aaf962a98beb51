//! Any bytes as what a server answers to CLOSE and QUERY_INFO: the first byte picks the
//! decoder (a CLOSE response after a valid header, FileNetworkOpenInformation or
//! FileFsFullSizeInformation), the rest is its input. Decoding never panics, and what decodes
//! re-encodes (in the layout MS-SMB2 §2.2.16 and MS-FSCC §2.4.29, §2.5.4 give) to bytes that
//! decode the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_smb2::wire::file_info::FsFullSize;
use wnet_smb2::wire::{CloseResponse, Command, FileAttributes, Header};

/// The times, sizes and attributes in the order CLOSE and FileNetworkOpenInformation share.
fn encode_attributes(attributes: &FileAttributes, out: &mut Vec<u8>) {
    for value in [
        attributes.creation_time,
        attributes.last_access_time,
        attributes.last_write_time,
        attributes.change_time,
        attributes.allocation_size,
        attributes.end_of_file,
    ] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&attributes.attributes.to_le_bytes());
}

fn close_response(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(64 + body.len());
    let mut header = Header::request(Command::Close, 1, 2, 3);
    header.flags = 1;
    header.encode(&mut message);
    message.extend_from_slice(body);
    message
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let message = close_response(rest);
            let Ok(CloseResponse { attributes }) = CloseResponse::decode(&message) else {
                return;
            };
            let mut body = Vec::new();
            body.extend_from_slice(&60u16.to_le_bytes());
            body.extend_from_slice(&u16::from(attributes.is_some()).to_le_bytes());
            body.extend_from_slice(&[0; 4]);
            encode_attributes(&attributes.unwrap_or_default(), &mut body);
            assert_eq!(body.len(), 60);
            assert_eq!(
                CloseResponse::decode(&close_response(&body)),
                Ok(CloseResponse { attributes })
            );
        }
        1 => {
            let Ok(attributes) = FileAttributes::decode_network_open_information(rest) else {
                assert!(rest.len() < 52);
                return;
            };
            let mut again = Vec::new();
            encode_attributes(&attributes, &mut again);
            assert_eq!(&again[..], &rest[..52]);
            assert_eq!(
                FileAttributes::decode_network_open_information(&again),
                Ok(attributes)
            );
        }
        _ => {
            let Ok(size) = FsFullSize::decode(rest) else {
                assert!(rest.len() < 32);
                return;
            };
            let FsFullSize {
                total_units,
                caller_available_units,
                actual_available_units,
                sectors_per_unit,
                bytes_per_sector,
            } = size;
            let mut again = Vec::new();
            for value in [total_units, caller_available_units, actual_available_units] {
                again.extend_from_slice(&value.to_le_bytes());
            }
            again.extend_from_slice(&sectors_per_unit.to_le_bytes());
            again.extend_from_slice(&bytes_per_sector.to_le_bytes());
            assert_eq!(&again[..], &rest[..32]);
            assert_eq!(FsFullSize::decode(&again), Ok(size));
            assert!(size.unit_size() >= 1);
        }
    }
});
