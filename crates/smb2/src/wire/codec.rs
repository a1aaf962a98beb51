//! What every message body shares: little-endian writers for the requests, the
//! StructureSize check every response starts with, and bounds-checked buffer slices.

use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::{Reader, optional_slice, slice};

/// Pads `message` with zeros to a multiple of 8 bytes.
pub(super) fn pad_to_8(message: &mut Vec<u8>) {
    while !message.len().is_multiple_of(8) {
        message.push(0);
    }
}

pub(super) fn put_u16(message: &mut Vec<u8>, value: u16) {
    message.extend_from_slice(&value.to_le_bytes());
}

pub(super) fn put_u32(message: &mut Vec<u8>, value: u32) {
    message.extend_from_slice(&value.to_le_bytes());
}

pub(super) fn put_u64(message: &mut Vec<u8>, value: u64) {
    message.extend_from_slice(&value.to_le_bytes());
}

/// Reads a body's StructureSize and checks it.
pub(super) fn body(
    message: &[u8],
    command: Command,
    expected: u16,
) -> Result<Reader<'_>, WireError> {
    let mut reader = Reader::at(message, HEADER_LENGTH);
    let found = reader.u16("StructureSize")?;
    if found != expected {
        return Err(WireError::BadStructureSize {
            command,
            found,
            expected,
        });
    }
    Ok(reader)
}

/// The bytes of a buffer `field` at `offset` inside `message`.
pub fn buffer_at<'a>(
    message: &'a [u8],
    offset: usize,
    length: usize,
    field: &'static str,
) -> Result<&'a [u8], WireError> {
    Ok(slice(message, offset, length, field)?)
}

/// The output buffer of a QUERY_DIRECTORY or QUERY_INFO response (MS-SMB2 §2.2.34,
/// §2.2.38), whose bodies share a layout.
pub(super) fn output_buffer(message: &[u8], command: Command) -> Result<&[u8], WireError> {
    let mut reader = body(message, command, 9)?;
    let offset = usize::from(reader.u16("OutputBufferOffset")?);
    let length = reader.u32("OutputBufferLength")? as usize;
    Ok(optional_slice(message, offset, length, "OutputBuffer")?)
}
