//! IOCTL (MS-SMB2 §2.2.31, §2.2.32): file system controls, such as a named pipe's
//! transceive.

use super::codec::{body, put_u16, put_u32};
use super::create::FileId;
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::optional_slice;

/// FSCTL_PIPE_TRANSCEIVE: write to a named pipe and read its answer in one round trip.
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;

/// FSCTL_SET_ZERO_DATA: zero a range of a file, deallocating it where the server can
/// (MS-FSCC §2.3.85; input: FILE_ZERO_DATA_INFORMATION, two 64-bit offsets).
pub const FSCTL_SET_ZERO_DATA: u32 = 0x0009_80C8;

/// IOCTL request (MS-SMB2 §2.2.31), always an FSCTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlRequest {
    /// The control code, e.g. [`FSCTL_PIPE_TRANSCEIVE`].
    pub ctl_code: u32,
    /// The file.
    pub file_id: FileId,
    /// The input bytes.
    pub input: Vec<u8>,
    /// The largest output wanted.
    pub max_output_response: u32,
}

impl IoctlRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 57);
        put_u16(message, 0);
        put_u32(message, self.ctl_code);
        message.extend_from_slice(&self.file_id.0);
        let input_offset = if self.input.is_empty() {
            0
        } else {
            HEADER_LENGTH + 56
        };
        put_u32(message, input_offset as u32);
        put_u32(message, self.input.len() as u32);
        put_u32(message, 0); // MaxInputResponse
        put_u32(message, 0); // OutputOffset
        put_u32(message, 0); // OutputCount
        put_u32(message, self.max_output_response);
        put_u32(message, 1); // SMB2_0_IOCTL_IS_FSCTL
        put_u32(message, 0); // Reserved2
        message.extend_from_slice(&self.input);
    }
}

/// IOCTL response (MS-SMB2 §2.2.32): the output bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoctlResponse {
    /// The output bytes.
    pub output: Vec<u8>,
}

impl IoctlResponse {
    /// Decodes an IOCTL response message.
    pub fn decode(message: &[u8]) -> Result<IoctlResponse, WireError> {
        let mut reader = body(message, Command::Ioctl, 49)?;
        reader.skip(2 + 4 + 16, "Reserved/CtlCode/FileId")?;
        reader.skip(8, "InputOffset/InputCount")?;
        let output_offset = reader.u32("OutputOffset")? as usize;
        let output_count = reader.u32("OutputCount")? as usize;
        Ok(IoctlResponse {
            output: optional_slice(message, output_offset, output_count, "Ioctl output")?.to_vec(),
        })
    }
}
