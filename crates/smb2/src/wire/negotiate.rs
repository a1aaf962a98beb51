//! NEGOTIATE (MS-SMB2 §2.2.3, §2.2.4): the dialects, capabilities and negotiate contexts a
//! client offers, and the server's choice.

use super::codec::{body, pad_to_8, put_u16, put_u32};
use super::{Command, WireError};
use crate::bytes::{Reader, optional_slice};

/// Dialect revisions (MS-SMB2 §2.2.3).
pub mod dialect {
    /// SMB 2.0.2.
    pub const SMB_2_0_2: u16 = 0x0202;
    /// SMB 2.1.
    pub const SMB_2_1: u16 = 0x0210;
    /// SMB 3.0.
    pub const SMB_3_0: u16 = 0x0300;
    /// SMB 3.0.2.
    pub const SMB_3_0_2: u16 = 0x0302;
    /// SMB 3.1.1.
    pub const SMB_3_1_1: u16 = 0x0311;
}

/// SecurityMode bits of NEGOTIATE and SESSION_SETUP.
pub mod security_mode {
    /// Signing is enabled.
    pub const SIGNING_ENABLED: u16 = 0x0001;
    /// Signing is required.
    pub const SIGNING_REQUIRED: u16 = 0x0002;
}

/// Global capabilities (MS-SMB2 §2.2.3).
pub mod capabilities {
    /// DFS.
    pub const DFS: u32 = 0x0000_0001;
    /// Leasing.
    pub const LEASING: u32 = 0x0000_0002;
    /// Multi-credit operations.
    pub const LARGE_MTU: u32 = 0x0000_0004;
    /// Encryption (3.0, 3.0.2).
    pub const ENCRYPTION: u32 = 0x0000_0040;
}

/// Negotiate context types (MS-SMB2 §2.2.3.1).
pub mod context_type {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
    pub const PREAUTH_INTEGRITY: u16 = 0x0001;
    /// SMB2_ENCRYPTION_CAPABILITIES.
    pub const ENCRYPTION: u16 = 0x0002;
    /// SMB2_SIGNING_CAPABILITIES.
    pub const SIGNING: u16 = 0x0008;
}

/// A negotiate context: its type and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateContext {
    /// [`context_type`].
    pub context_type: u16,
    /// The context's data.
    pub data: Vec<u8>,
}

/// NEGOTIATE request (MS-SMB2 §2.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateRequest {
    /// [`security_mode`].
    pub security_mode: u16,
    /// [`capabilities`].
    pub capabilities: u32,
    /// The client's GUID.
    pub client_guid: [u8; 16],
    /// The dialects offered.
    pub dialects: Vec<u16>,
    /// Negotiate contexts (sent only when 3.1.1 is offered).
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        let with_contexts = !self.contexts.is_empty();
        put_u16(message, 36);
        put_u16(message, self.dialects.len() as u16);
        put_u16(message, self.security_mode);
        put_u16(message, 0);
        put_u32(message, self.capabilities);
        message.extend_from_slice(&self.client_guid);
        let context_offset_at = message.len();
        put_u32(message, 0); // NegotiateContextOffset, patched below
        put_u16(message, self.contexts.len() as u16);
        put_u16(message, 0);
        for dialect in &self.dialects {
            put_u16(message, *dialect);
        }
        if with_contexts {
            pad_to_8(message);
            let offset = message.len() as u32;
            message[context_offset_at..context_offset_at + 4]
                .copy_from_slice(&offset.to_le_bytes());
            for (index, context) in self.contexts.iter().enumerate() {
                if index > 0 {
                    pad_to_8(message);
                }
                put_u16(message, context.context_type);
                put_u16(message, context.data.len() as u16);
                put_u32(message, 0);
                message.extend_from_slice(&context.data);
            }
        }
    }
}

/// NEGOTIATE response (MS-SMB2 §2.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateResponse {
    /// [`security_mode`].
    pub security_mode: u16,
    /// The dialect chosen.
    pub dialect: u16,
    /// The server's GUID.
    pub server_guid: [u8; 16],
    /// [`capabilities`].
    pub capabilities: u32,
    /// Largest transact (IOCTL, query) buffer.
    pub max_transact_size: u32,
    /// Largest read.
    pub max_read_size: u32,
    /// Largest write.
    pub max_write_size: u32,
    /// The server's time (FILETIME).
    pub system_time: u64,
    /// The security blob (SPNEGO NegTokenInit2).
    pub security_buffer: Vec<u8>,
    /// Negotiate contexts (3.1.1).
    pub contexts: Vec<NegotiateContext>,
}

impl NegotiateResponse {
    /// Decodes a NEGOTIATE response message.
    pub fn decode(message: &[u8]) -> Result<NegotiateResponse, WireError> {
        let mut reader = body(message, Command::Negotiate, 65)?;
        let security_mode = reader.u16("SecurityMode")?;
        let dialect = reader.u16("DialectRevision")?;
        let context_count = reader.u16("NegotiateContextCount")?;
        let server_guid = reader.array("ServerGuid")?;
        let capabilities = reader.u32("Capabilities")?;
        let max_transact_size = reader.u32("MaxTransactSize")?;
        let max_read_size = reader.u32("MaxReadSize")?;
        let max_write_size = reader.u32("MaxWriteSize")?;
        let system_time = reader.u64("SystemTime")?;
        reader.skip(8, "ServerStartTime")?;
        let buffer_offset = usize::from(reader.u16("SecurityBufferOffset")?);
        let buffer_length = usize::from(reader.u16("SecurityBufferLength")?);
        let context_offset = reader.u32("NegotiateContextOffset")? as usize;
        let security_buffer =
            optional_slice(message, buffer_offset, buffer_length, "SecurityBuffer")?.to_vec();
        let mut contexts = Vec::new();
        if dialect == dialect::SMB_3_1_1 && context_count > 0 {
            let mut reader = Reader::at(message, context_offset);
            for index in 0..context_count {
                if index > 0 {
                    let padding = (8 - reader.offset() % 8) % 8;
                    reader.skip(padding, "NegotiateContext padding")?;
                }
                let context_type = reader.u16("ContextType")?;
                let length = usize::from(reader.u16("DataLength")?);
                reader.skip(4, "Reserved")?;
                let data = reader.take(length, "NegotiateContext data")?.to_vec();
                contexts.push(NegotiateContext { context_type, data });
            }
        }
        Ok(NegotiateResponse {
            security_mode,
            dialect,
            server_guid,
            capabilities,
            max_transact_size,
            max_read_size,
            max_write_size,
            system_time,
            security_buffer,
            contexts,
        })
    }

    /// The data of the first context of `context_type`.
    pub fn context(&self, context_type: u16) -> Option<&[u8]> {
        self.contexts
            .iter()
            .find(|context| context.context_type == context_type)
            .map(|context| context.data.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;

    #[test]
    fn negotiate_request_layout() {
        let request = NegotiateRequest {
            security_mode: security_mode::SIGNING_ENABLED,
            capabilities: capabilities::LARGE_MTU,
            client_guid: [7; 16],
            dialects: vec![dialect::SMB_2_1, dialect::SMB_3_1_1],
            contexts: vec![
                NegotiateContext {
                    context_type: context_type::PREAUTH_INTEGRITY,
                    data: vec![1; 38],
                },
                NegotiateContext {
                    context_type: context_type::SIGNING,
                    data: vec![2; 6],
                },
            ],
        };
        let mut bytes = Vec::new();
        Header::request(Command::Negotiate, 1, 0, 0).encode(&mut bytes);
        request.encode_body(&mut bytes);
        // 64 header + 36 fixed + 2 dialects = 104, padded to 104 (already aligned).
        assert_eq!(&bytes[64..66], &36u16.to_le_bytes());
        assert_eq!(&bytes[66..68], &2u16.to_le_bytes());
        assert_eq!(&bytes[100..104], &[0x10, 0x02, 0x11, 0x03]);
        assert_eq!(&bytes[92..96], &104u32.to_le_bytes());
        assert_eq!(&bytes[96..98], &2u16.to_le_bytes());
        // First context at 104 (8 header + 38 data = 146), second padded to 152.
        assert_eq!(&bytes[104..106], &1u16.to_le_bytes());
        assert_eq!(&bytes[152..154], &8u16.to_le_bytes());
        assert_eq!(bytes.len(), 152 + 8 + 6);
    }
}
