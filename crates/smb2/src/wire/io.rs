//! READ, WRITE and FLUSH (MS-SMB2 §2.2.17 … §2.2.22): moving a file's bytes.

use super::codec::{body, put_u16, put_u32, put_u64};
use super::create::FileId;
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::slice;

/// Appends a FLUSH body (MS-SMB2 §2.2.17) for `file_id` to `message`, which holds the 64-byte
/// header already.
pub(super) fn encode_flush(file_id: &FileId, message: &mut Vec<u8>) {
    put_u16(message, 24);
    put_u16(message, 0);
    put_u32(message, 0);
    message.extend_from_slice(&file_id.0);
}

/// READ request (MS-SMB2 §2.2.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// The file.
    pub file_id: FileId,
    /// Where to read.
    pub offset: u64,
    /// How many bytes.
    pub length: u32,
    /// The fewest bytes for a successful read.
    pub minimum_count: u32,
}

impl ReadRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 49);
        message.push(0x50); // Padding: data right after the response header
        message.push(0); // Flags
        put_u32(message, self.length);
        put_u64(message, self.offset);
        message.extend_from_slice(&self.file_id.0);
        put_u32(message, self.minimum_count);
        put_u32(message, 0); // Channel
        put_u32(message, 0); // RemainingBytes
        put_u16(message, 0); // ReadChannelInfoOffset
        put_u16(message, 0); // ReadChannelInfoLength
        message.push(0); // Buffer: one byte, as the structure size counts it
    }
}

/// READ response (MS-SMB2 §2.2.20): where the data lies in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResponse {
    /// Offset of the data in the message.
    pub data_offset: usize,
    /// Length of the data.
    pub data_length: usize,
}

impl ReadResponse {
    /// Decodes a READ response message; the data is `message[data_offset..][..data_length]`.
    pub fn decode(message: &[u8]) -> Result<ReadResponse, WireError> {
        let mut reader = body(message, Command::Read, 17)?;
        let data_offset = usize::from(reader.u8("DataOffset")?);
        reader.skip(1, "Reserved")?;
        let data_length = reader.u32("DataLength")? as usize;
        // Checked even when empty: callers slice the message at `data_offset`.
        slice(message, data_offset, data_length, "Read data")?;
        Ok(ReadResponse {
            data_offset,
            data_length,
        })
    }
}

/// WRITE request (MS-SMB2 §2.2.21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// The file.
    pub file_id: FileId,
    /// Where to write.
    pub offset: u64,
    /// The bytes.
    pub data: Vec<u8>,
    /// SMB2_WRITEFLAG_WRITE_THROUGH.
    pub write_through: bool,
}

impl WriteRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 49);
        put_u16(message, (HEADER_LENGTH + 48) as u16);
        put_u32(message, self.data.len() as u32);
        put_u64(message, self.offset);
        message.extend_from_slice(&self.file_id.0);
        put_u32(message, 0); // Channel
        put_u32(message, 0); // RemainingBytes
        put_u16(message, 0); // WriteChannelInfoOffset
        put_u16(message, 0); // WriteChannelInfoLength
        put_u32(message, u32::from(self.write_through)); // SMB2_WRITEFLAG_WRITE_THROUGH
        message.extend_from_slice(&self.data);
    }
}

/// WRITE response (MS-SMB2 §2.2.22): how many bytes were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteResponse {
    /// The number of bytes written.
    pub count: u32,
}

impl WriteResponse {
    /// Decodes a WRITE response message.
    pub fn decode(message: &[u8]) -> Result<WriteResponse, WireError> {
        let mut reader = body(message, Command::Write, 17)?;
        reader.skip(2, "Reserved")?;
        Ok(WriteResponse {
            count: reader.u32("Count")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;

    /// Found by the smb2_response fuzz target: an empty READ answer whose DataOffset points
    /// past the message must not decode (callers slice at that offset).
    #[test]
    fn empty_read_data_must_lie_inside_the_message() {
        let mut bytes = Vec::new();
        Header::request(Command::Read, 0, 0, 0).encode(&mut bytes);
        bytes.extend_from_slice(&17u16.to_le_bytes());
        bytes.push(0xF0); // DataOffset beyond the end
        bytes.push(0);
        bytes.extend_from_slice(&0u32.to_le_bytes()); // DataLength 0
        bytes.extend_from_slice(&[0; 9]);
        assert!(matches!(
            ReadResponse::decode(&bytes),
            Err(WireError::Read(crate::bytes::ReadError::OutOfBounds { .. }))
        ));
    }
}
