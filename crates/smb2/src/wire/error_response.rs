//! The error response (MS-SMB2 §2.2.2): what a server answers in place of any command's body
//! when the status is an error.

use super::codec::body;
use super::{Command, WireError};

/// An error response's ErrorData, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The ErrorData bytes.
    pub error_data: Vec<u8>,
}

impl ErrorResponse {
    /// Decodes an error response message.
    pub fn decode(message: &[u8]) -> Result<ErrorResponse, WireError> {
        let mut reader = body(message, Command::from_code(0xFFFF), 9)?;
        reader.skip(2, "ErrorContextCount/Reserved")?;
        let count = reader.u32("ByteCount")? as usize;
        Ok(ErrorResponse {
            error_data: reader.take(count, "ErrorData")?.to_vec(),
        })
    }
}
