//! TREE_CONNECT (MS-SMB2 §2.2.9, §2.2.10): the share a client attaches to. TREE_DISCONNECT
//! has no body beyond its StructureSize and is encoded by [`super::Request`].

use super::codec::{body, put_u16};
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::utf16le;

/// TREE_CONNECT request (MS-SMB2 §2.2.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectRequest {
    /// `\\server\share`.
    pub path: String,
}

impl TreeConnectRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        let path = utf16le(&self.path);
        put_u16(message, 9);
        put_u16(message, 0); // Flags
        put_u16(message, (HEADER_LENGTH + 8) as u16);
        put_u16(message, path.len() as u16);
        message.extend_from_slice(&path);
    }
}

/// Share types of a TREE_CONNECT response.
pub mod share_type {
    /// A disk share.
    pub const DISK: u8 = 0x01;
    /// A named-pipe share (IPC$).
    pub const PIPE: u8 = 0x02;
    /// A printer share.
    pub const PRINT: u8 = 0x03;
}

/// Share flag: the share requires encryption.
pub const SHARE_FLAG_ENCRYPT_DATA: u32 = 0x0000_8000;
/// Share flag: the share is in a DFS namespace (SMB2_SHAREFLAG_DFS).
pub const SHARE_FLAG_DFS: u32 = 0x0000_0001;
/// Share flag: the share is the root of a DFS namespace (SMB2_SHAREFLAG_DFS_ROOT).
pub const SHARE_FLAG_DFS_ROOT: u32 = 0x0000_0002;
/// Share capability: the share is in a DFS namespace (SMB2_SHARE_CAP_DFS).
pub const SHARE_CAP_DFS: u32 = 0x0000_0008;

/// TREE_CONNECT response (MS-SMB2 §2.2.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConnectResponse {
    /// [`share_type`].
    pub share_type: u8,
    /// Share flags.
    pub share_flags: u32,
    /// Share capabilities.
    pub capabilities: u32,
    /// The most access the user has to the share.
    pub maximal_access: u32,
}

impl TreeConnectResponse {
    /// Decodes a TREE_CONNECT response message.
    pub fn decode(message: &[u8]) -> Result<TreeConnectResponse, WireError> {
        let mut reader = body(message, Command::TreeConnect, 16)?;
        let share_type = reader.u8("ShareType")?;
        reader.skip(1, "Reserved")?;
        Ok(TreeConnectResponse {
            share_type,
            share_flags: reader.u32("ShareFlags")?,
            capabilities: reader.u32("Capabilities")?,
            maximal_access: reader.u32("MaximalAccess")?,
        })
    }
}
