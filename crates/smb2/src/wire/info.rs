//! QUERY_INFO and SET_INFO (MS-SMB2 §2.2.37 … §2.2.40): reading and changing a file's or a
//! file system's information; the information classes are in [`super::file_info`].

use super::codec::{output_buffer, put_u16, put_u32};
use super::create::FileId;
use super::{Command, HEADER_LENGTH, WireError};

/// QUERY_INFO request (MS-SMB2 §2.2.37).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfoRequest {
    /// The file.
    pub file_id: FileId,
    /// SMB2_0_INFO_FILE (1), SMB2_0_INFO_FILESYSTEM (2), SMB2_0_INFO_SECURITY (3).
    pub info_type: u8,
    /// The information class.
    pub information_class: u8,
    /// The largest answer wanted.
    pub output_buffer_length: u32,
}

impl QueryInfoRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 41);
        message.push(self.info_type);
        message.push(self.information_class);
        put_u32(message, self.output_buffer_length);
        put_u16(message, 0); // InputBufferOffset
        put_u16(message, 0); // Reserved
        put_u32(message, 0); // InputBufferLength
        put_u32(message, 0); // AdditionalInformation
        put_u32(message, 0); // Flags
        message.extend_from_slice(&self.file_id.0);
        message.push(0);
    }
}

/// QUERY_INFO response (MS-SMB2 §2.2.38): the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfoResponse<'a> {
    /// The output buffer, inside the message.
    pub output_buffer: &'a [u8],
}

impl<'a> QueryInfoResponse<'a> {
    /// Decodes a QUERY_INFO response message.
    pub fn decode(message: &'a [u8]) -> Result<QueryInfoResponse<'a>, WireError> {
        Ok(QueryInfoResponse {
            output_buffer: output_buffer(message, Command::QueryInfo)?,
        })
    }
}

/// SET_INFO request (MS-SMB2 §2.2.39); the buffers come from [`crate::wire::file_info`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfoRequest {
    /// The file.
    pub file_id: FileId,
    /// SMB2_0_INFO_FILE or SMB2_0_INFO_FILESYSTEM.
    pub info_type: u8,
    /// The information class.
    pub information_class: u8,
    /// The encoded information.
    pub buffer: Vec<u8>,
}

impl SetInfoRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 33);
        message.push(self.info_type);
        message.push(self.information_class);
        put_u32(message, self.buffer.len() as u32);
        put_u16(message, (HEADER_LENGTH + 32) as u16); // BufferOffset
        put_u16(message, 0); // Reserved
        put_u32(message, 0); // AdditionalInformation
        message.extend_from_slice(&self.file_id.0);
        message.extend_from_slice(&self.buffer);
    }
}
