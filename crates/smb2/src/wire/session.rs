//! SESSION_SETUP (MS-SMB2 §2.2.5, §2.2.6): the security blobs of authentication. LOGOFF has
//! no body beyond its StructureSize and is encoded by [`super::Request`].

use super::codec::{body, put_u16, put_u32, put_u64};
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::optional_slice;

/// SESSION_SETUP request (MS-SMB2 §2.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupRequest {
    /// [`security_mode`](super::security_mode).
    pub security_mode: u8,
    /// [`capabilities`](super::capabilities).
    pub capabilities: u32,
    /// The security blob (SPNEGO).
    pub security_buffer: Vec<u8>,
}

impl SessionSetupRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 25);
        message.push(0); // Flags
        message.push(self.security_mode);
        put_u32(message, self.capabilities);
        put_u32(message, 0); // Channel
        put_u16(message, (HEADER_LENGTH + 24) as u16);
        put_u16(message, self.security_buffer.len() as u16);
        put_u64(message, 0); // PreviousSessionId
        message.extend_from_slice(&self.security_buffer);
    }
}

/// Session flags of a SESSION_SETUP response.
pub mod session_flags {
    /// Logged on as guest.
    pub const IS_GUEST: u16 = 0x0001;
    /// Logged on anonymously.
    pub const IS_NULL: u16 = 0x0002;
    /// The server requires encryption for this session.
    pub const ENCRYPT_DATA: u16 = 0x0004;
}

/// SESSION_SETUP response (MS-SMB2 §2.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupResponse {
    /// [`session_flags`].
    pub session_flags: u16,
    /// The security blob.
    pub security_buffer: Vec<u8>,
}

impl SessionSetupResponse {
    /// Decodes a SESSION_SETUP response message.
    pub fn decode(message: &[u8]) -> Result<SessionSetupResponse, WireError> {
        let mut reader = body(message, Command::SessionSetup, 9)?;
        let session_flags = reader.u16("SessionFlags")?;
        let offset = usize::from(reader.u16("SecurityBufferOffset")?);
        let length = usize::from(reader.u16("SecurityBufferLength")?);
        let security_buffer = optional_slice(message, offset, length, "SecurityBuffer")?.to_vec();
        Ok(SessionSetupResponse {
            session_flags,
            security_buffer,
        })
    }
}
