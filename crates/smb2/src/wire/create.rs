//! CREATE and CLOSE (MS-SMB2 §2.2.13 … §2.2.16): opening a file, directory or pipe, the
//! [`FileId`] the server hands back, and giving it back. The lease create context is in
//! [`super::lease`].

use super::attributes::{FileAttributes, read_file_attributes};
use super::codec::{body, pad_to_8, put_u16, put_u32, put_u64};
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::utf16le;

/// A file id (persistent and volatile halves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub [u8; 16]);

impl FileId {
    /// The id every pipe and compound uses for "the file of the previous request".
    pub const RELATED: FileId = FileId([0xFF; 16]);
    /// The id of an IOCTL that names no file (FSCTL_VALIDATE_NEGOTIATE_INFO): every bit set,
    /// the same bytes as [`FileId::RELATED`].
    pub const NONE: FileId = FileId([0xFF; 16]);
}

/// Access mask bits (MS-SMB2 §2.2.13.1).
pub mod access {
    /// Read data / list directory.
    pub const FILE_READ_DATA: u32 = 0x0000_0001;
    /// Write data / add file.
    pub const FILE_WRITE_DATA: u32 = 0x0000_0002;
    /// Append data.
    pub const FILE_APPEND_DATA: u32 = 0x0000_0004;
    /// Read extended attributes.
    pub const FILE_READ_EA: u32 = 0x0000_0008;
    /// Read attributes.
    pub const FILE_READ_ATTRIBUTES: u32 = 0x0000_0080;
    /// Write attributes.
    pub const FILE_WRITE_ATTRIBUTES: u32 = 0x0000_0100;
    /// Delete.
    pub const DELETE: u32 = 0x0001_0000;
    /// Read the security descriptor.
    pub const READ_CONTROL: u32 = 0x0002_0000;
    /// Synchronize.
    pub const SYNCHRONIZE: u32 = 0x0010_0000;
    /// The maximum access allowed.
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
}

/// Share access bits (MS-SMB2 §2.2.13).
pub mod share_access {
    /// Others may read.
    pub const READ: u32 = 0x1;
    /// Others may write.
    pub const WRITE: u32 = 0x2;
    /// Others may delete.
    pub const DELETE: u32 = 0x4;
    /// All of them.
    pub const ALL: u32 = READ | WRITE | DELETE;
}

/// Create dispositions (MS-SMB2 §2.2.13).
pub mod disposition {
    /// Replace if it exists, else create.
    pub const SUPERSEDE: u32 = 0;
    /// Open if it exists, else fail.
    pub const OPEN: u32 = 1;
    /// Create if it does not exist, else fail.
    pub const CREATE: u32 = 2;
    /// Open if it exists, else create.
    pub const OPEN_IF: u32 = 3;
    /// Overwrite if it exists, else fail.
    pub const OVERWRITE: u32 = 4;
    /// Overwrite if it exists, else create.
    pub const OVERWRITE_IF: u32 = 5;
}

/// Create options (MS-SMB2 §2.2.13).
pub mod create_options {
    /// The file must be a directory.
    pub const DIRECTORY_FILE: u32 = 0x0000_0001;
    /// Writes go through to the disk.
    pub const WRITE_THROUGH: u32 = 0x0000_0002;
    /// The file must not be a directory.
    pub const NON_DIRECTORY_FILE: u32 = 0x0000_0040;
    /// Delete the file when its last handle closes.
    pub const DELETE_ON_CLOSE: u32 = 0x0000_1000;
}

/// CREATE request (MS-SMB2 §2.2.13), without create contexts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// The path relative to the share, backslash-separated, without a leading backslash
    /// (empty for the share's root; for a pipe, its name such as `srvsvc`).
    pub name: String,
    /// [`access`] bits.
    pub desired_access: u32,
    /// [`file_attributes`](crate::wire::file_attributes) for a new file.
    pub file_attributes: u32,
    /// [`share_access`] bits.
    pub share_access: u32,
    /// [`disposition`].
    pub create_disposition: u32,
    /// [`create_options`].
    pub create_options: u32,
}

impl CreateRequest {
    /// Appends the body to `message`, which holds the 64-byte header already:
    /// RequestedOplockLevel `oplock_level`, and the encoded `create_contexts` when there are
    /// some (a lease's `RqLs` context).
    pub(super) fn encode_body(
        &self,
        oplock_level: u8,
        create_contexts: Option<&[u8]>,
        message: &mut Vec<u8>,
    ) {
        let name = utf16le(&self.name);
        put_u16(message, 57);
        message.push(0); // SecurityFlags
        message.push(oplock_level); // RequestedOplockLevel
        put_u32(message, 2); // ImpersonationLevel: Impersonation
        put_u64(message, 0); // SmbCreateFlags
        put_u64(message, 0); // Reserved
        put_u32(message, self.desired_access);
        put_u32(message, self.file_attributes);
        put_u32(message, self.share_access);
        put_u32(message, self.create_disposition);
        put_u32(message, self.create_options);
        put_u16(message, (HEADER_LENGTH + 56) as u16);
        put_u16(message, name.len() as u16);
        let contexts_at = message.len();
        put_u32(message, 0); // CreateContextsOffset, patched below
        put_u32(message, 0); // CreateContextsLength, patched below
        message.extend_from_slice(&name);
        if name.is_empty() {
            message.push(0);
        }
        if let Some(contexts) = create_contexts {
            // The contexts start 8-aligned from the header's start (MS-SMB2 §2.2.13).
            pad_to_8(message);
            let offset = message.len() as u32;
            message[contexts_at..contexts_at + 4].copy_from_slice(&offset.to_le_bytes());
            message[contexts_at + 4..contexts_at + 8]
                .copy_from_slice(&(contexts.len() as u32).to_le_bytes());
            message.extend_from_slice(contexts);
        }
    }
}

/// CREATE response (MS-SMB2 §2.2.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateResponse {
    /// The oplock level granted;
    /// [`OPLOCK_LEVEL_LEASE`](super::lease::OPLOCK_LEVEL_LEASE) when a lease context says
    /// what was granted.
    pub oplock_level: u8,
    /// What the server did (superseded, opened, created, overwritten).
    pub create_action: u32,
    /// The file's attributes.
    pub attributes: FileAttributes,
    /// The handle.
    pub file_id: FileId,
    /// Where the create contexts lie in the message, as the server said (unchecked until
    /// [`CreateContext::decode_chain`](super::lease::CreateContext::decode_chain) reads them).
    pub create_contexts_offset: u32,
    /// Their length in bytes.
    pub create_contexts_length: u32,
}

impl CreateResponse {
    /// Decodes a CREATE response message.
    pub fn decode(message: &[u8]) -> Result<CreateResponse, WireError> {
        let mut reader = body(message, Command::Create, 89)?;
        let oplock_level = reader.u8("OplockLevel")?;
        reader.skip(1, "Flags")?;
        let create_action = reader.u32("CreateAction")?;
        let attributes = read_file_attributes(&mut reader)?;
        reader.skip(4, "Reserved2")?;
        let file_id = FileId(reader.array("FileId")?);
        let create_contexts_offset = reader.u32("CreateContextsOffset")?;
        let create_contexts_length = reader.u32("CreateContextsLength")?;
        Ok(CreateResponse {
            oplock_level,
            create_action,
            attributes,
            file_id,
            create_contexts_offset,
            create_contexts_length,
        })
    }
}

/// CLOSE request (MS-SMB2 §2.2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// The file.
    pub file_id: FileId,
    /// Ask for the file's attributes after closing (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB).
    pub query_attributes: bool,
}

impl CloseRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        put_u16(message, 24);
        put_u16(message, u16::from(self.query_attributes));
        put_u32(message, 0);
        message.extend_from_slice(&self.file_id.0);
    }
}

/// CLOSE response (MS-SMB2 §2.2.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseResponse {
    /// The file's attributes when the server filled them in (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB
    /// set in its Flags).
    pub attributes: Option<FileAttributes>,
}

impl CloseResponse {
    /// Decodes a CLOSE response message.
    pub fn decode(message: &[u8]) -> Result<CloseResponse, WireError> {
        let mut reader = body(message, Command::Close, 60)?;
        let flags = reader.u16("Flags")?;
        reader.skip(4, "Reserved")?;
        let attributes = read_file_attributes(&mut reader)?;
        Ok(CloseResponse {
            attributes: (flags & 0x0001 != 0).then_some(attributes),
        })
    }
}
