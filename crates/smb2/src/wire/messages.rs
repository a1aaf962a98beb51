//! The bodies of the requests this client sends and the responses it reads (MS-SMB2 §2.2.3 …
//! §2.2.38). A request body is appended after its 64-byte header, so offsets inside it are
//! counted from the start of the message as the protocol wants; a response body is decoded
//! from the whole message for the same reason.

use super::attributes::{FileAttributes, read_file_attributes};
use super::lease::{LeaseBreakAck, LeaseRequest, OPLOCK_LEVEL_LEASE};
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::{Reader, optional_slice, slice};
use crate::bytes::{from_utf16le, utf16le};

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

/// SESSION_SETUP request (MS-SMB2 §2.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetupRequest {
    /// [`security_mode`].
    pub security_mode: u8,
    /// [`capabilities`].
    pub capabilities: u32,
    /// The security blob (SPNEGO).
    pub security_buffer: Vec<u8>,
}

/// TREE_CONNECT request (MS-SMB2 §2.2.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeConnectRequest {
    /// `\\server\share`.
    pub path: String,
}

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

/// CLOSE request (MS-SMB2 §2.2.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// The file.
    pub file_id: FileId,
    /// Ask for the file's attributes after closing (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB).
    pub query_attributes: bool,
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

/// QUERY_DIRECTORY request (MS-SMB2 §2.2.33).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// The directory.
    pub file_id: FileId,
    /// The information class (e.g. [`FILE_DIRECTORY_INFORMATION`]).
    pub information_class: u8,
    /// SMB2_RESTART_SCANS and friends.
    pub flags: u8,
    /// The search pattern (`*` for all).
    pub pattern: String,
    /// The largest answer wanted.
    pub output_buffer_length: u32,
}

/// Query directory flag: start from the beginning.
pub const RESTART_SCANS: u8 = 0x01;
/// FileDirectoryInformation (MS-FSCC §2.4.10).
pub const FILE_DIRECTORY_INFORMATION: u8 = 0x01;

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

/// FSCTL_PIPE_TRANSCEIVE: write to a named pipe and read its answer in one round trip.
pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;

/// FSCTL_SET_ZERO_DATA: zero a range of a file, deallocating it where the server can
/// (MS-FSCC §2.3.85; input: FILE_ZERO_DATA_INFORMATION, two 64-bit offsets).
pub const FSCTL_SET_ZERO_DATA: u32 = 0x0009_80C8;

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// NEGOTIATE.
    Negotiate(NegotiateRequest),
    /// SESSION_SETUP.
    SessionSetup(SessionSetupRequest),
    /// LOGOFF.
    Logoff,
    /// TREE_CONNECT.
    TreeConnect(TreeConnectRequest),
    /// TREE_DISCONNECT.
    TreeDisconnect,
    /// CREATE.
    Create(CreateRequest),
    /// CREATE asking for a lease: RequestedOplockLevel SMB2_OPLOCK_LEVEL_LEASE and an `RqLs`
    /// create context.
    CreateWithLease(CreateRequest, LeaseRequest),
    /// CLOSE.
    Close(CloseRequest),
    /// FLUSH.
    Flush(FileId),
    /// READ.
    Read(ReadRequest),
    /// WRITE.
    Write(WriteRequest),
    /// QUERY_DIRECTORY.
    QueryDirectory(QueryDirectoryRequest),
    /// QUERY_INFO.
    QueryInfo(QueryInfoRequest),
    /// SET_INFO.
    SetInfo(SetInfoRequest),
    /// IOCTL.
    Ioctl(IoctlRequest),
    /// ECHO.
    Echo,
    /// OPLOCK_BREAK carrying a lease break acknowledgment.
    LeaseBreakAck(LeaseBreakAck),
}

impl Request {
    /// The request's command.
    pub fn command(&self) -> Command {
        match self {
            Request::Negotiate(_) => Command::Negotiate,
            Request::SessionSetup(_) => Command::SessionSetup,
            Request::Logoff => Command::Logoff,
            Request::TreeConnect(_) => Command::TreeConnect,
            Request::TreeDisconnect => Command::TreeDisconnect,
            Request::Create(_) | Request::CreateWithLease(..) => Command::Create,
            Request::Close(_) => Command::Close,
            Request::Flush(_) => Command::Flush,
            Request::Read(_) => Command::Read,
            Request::Write(_) => Command::Write,
            Request::QueryDirectory(_) => Command::QueryDirectory,
            Request::QueryInfo(_) => Command::QueryInfo,
            Request::SetInfo(_) => Command::SetInfo,
            Request::Ioctl(_) => Command::Ioctl,
            Request::Echo => Command::Echo,
            Request::LeaseBreakAck(_) => Command::OplockBreak,
        }
    }

    /// The larger of what the request sends and what it may receive, which sets its credit
    /// charge (MS-SMB2 §3.2.4.1.5).
    pub fn payload_size(&self) -> usize {
        match self {
            Request::Read(read) => read.length as usize,
            Request::Write(write) => write.data.len(),
            Request::QueryDirectory(query) => query.output_buffer_length as usize,
            Request::QueryInfo(query) => query.output_buffer_length as usize,
            Request::SetInfo(set) => set.buffer.len(),
            Request::Ioctl(ioctl) => ioctl.input.len().max(ioctl.max_output_response as usize),
            _ => 0,
        }
    }

    /// Credits the request costs: one per 64 KiB of payload, at least one.
    pub fn credit_charge(&self) -> u16 {
        let charge = self.payload_size().saturating_sub(1) / 65_536 + 1;
        u16::try_from(charge).unwrap_or(u16::MAX)
    }

    /// Appends the body to `message`, which holds the 64-byte header already.
    #[allow(clippy::too_many_lines)] // one short arm per command reads better than a split
    pub fn encode_body(&self, message: &mut Vec<u8>) {
        debug_assert_eq!(message.len(), HEADER_LENGTH);
        match self {
            Request::Negotiate(negotiate) => encode_negotiate(negotiate, message),
            Request::SessionSetup(setup) => {
                put_u16(message, 25);
                message.push(0); // Flags
                message.push(setup.security_mode);
                put_u32(message, setup.capabilities);
                put_u32(message, 0); // Channel
                put_u16(message, (HEADER_LENGTH + 24) as u16);
                put_u16(message, setup.security_buffer.len() as u16);
                put_u64(message, 0); // PreviousSessionId
                message.extend_from_slice(&setup.security_buffer);
            }
            Request::Logoff | Request::TreeDisconnect | Request::Echo => {
                put_u16(message, 4);
                put_u16(message, 0);
            }
            Request::TreeConnect(tree) => {
                let path = utf16le(&tree.path);
                put_u16(message, 9);
                put_u16(message, 0); // Flags
                put_u16(message, (HEADER_LENGTH + 8) as u16);
                put_u16(message, path.len() as u16);
                message.extend_from_slice(&path);
            }
            Request::Create(create) => encode_create(create, None, message),
            Request::CreateWithLease(create, lease) => encode_create(create, Some(lease), message),
            Request::LeaseBreakAck(ack) => ack.encode_body(message),
            Request::Close(close) => {
                put_u16(message, 24);
                put_u16(message, u16::from(close.query_attributes));
                put_u32(message, 0);
                message.extend_from_slice(&close.file_id.0);
            }
            Request::Flush(file_id) => {
                put_u16(message, 24);
                put_u16(message, 0);
                put_u32(message, 0);
                message.extend_from_slice(&file_id.0);
            }
            Request::Read(read) => {
                put_u16(message, 49);
                message.push(0x50); // Padding: data right after the response header
                message.push(0); // Flags
                put_u32(message, read.length);
                put_u64(message, read.offset);
                message.extend_from_slice(&read.file_id.0);
                put_u32(message, read.minimum_count);
                put_u32(message, 0); // Channel
                put_u32(message, 0); // RemainingBytes
                put_u16(message, 0); // ReadChannelInfoOffset
                put_u16(message, 0); // ReadChannelInfoLength
                message.push(0); // Buffer: one byte, as the structure size counts it
            }
            Request::Write(write) => {
                put_u16(message, 49);
                put_u16(message, (HEADER_LENGTH + 48) as u16);
                put_u32(message, write.data.len() as u32);
                put_u64(message, write.offset);
                message.extend_from_slice(&write.file_id.0);
                put_u32(message, 0); // Channel
                put_u32(message, 0); // RemainingBytes
                put_u16(message, 0); // WriteChannelInfoOffset
                put_u16(message, 0); // WriteChannelInfoLength
                put_u32(message, u32::from(write.write_through)); // SMB2_WRITEFLAG_WRITE_THROUGH
                message.extend_from_slice(&write.data);
            }
            Request::QueryDirectory(query) => {
                let pattern = utf16le(&query.pattern);
                put_u16(message, 33);
                message.push(query.information_class);
                message.push(query.flags);
                put_u32(message, 0); // FileIndex
                message.extend_from_slice(&query.file_id.0);
                put_u16(message, (HEADER_LENGTH + 32) as u16);
                put_u16(message, pattern.len() as u16);
                put_u32(message, query.output_buffer_length);
                message.extend_from_slice(&pattern);
                if pattern.is_empty() {
                    message.push(0);
                }
            }
            Request::QueryInfo(query) => {
                put_u16(message, 41);
                message.push(query.info_type);
                message.push(query.information_class);
                put_u32(message, query.output_buffer_length);
                put_u16(message, 0); // InputBufferOffset
                put_u16(message, 0); // Reserved
                put_u32(message, 0); // InputBufferLength
                put_u32(message, 0); // AdditionalInformation
                put_u32(message, 0); // Flags
                message.extend_from_slice(&query.file_id.0);
                message.push(0);
            }
            Request::SetInfo(set) => {
                put_u16(message, 33);
                message.push(set.info_type);
                message.push(set.information_class);
                put_u32(message, set.buffer.len() as u32);
                put_u16(message, (HEADER_LENGTH + 32) as u16); // BufferOffset
                put_u16(message, 0); // Reserved
                put_u32(message, 0); // AdditionalInformation
                message.extend_from_slice(&set.file_id.0);
                message.extend_from_slice(&set.buffer);
            }
            Request::Ioctl(ioctl) => {
                put_u16(message, 57);
                put_u16(message, 0);
                put_u32(message, ioctl.ctl_code);
                message.extend_from_slice(&ioctl.file_id.0);
                let input_offset = if ioctl.input.is_empty() {
                    0
                } else {
                    HEADER_LENGTH + 56
                };
                put_u32(message, input_offset as u32);
                put_u32(message, ioctl.input.len() as u32);
                put_u32(message, 0); // MaxInputResponse
                put_u32(message, 0); // OutputOffset
                put_u32(message, 0); // OutputCount
                put_u32(message, ioctl.max_output_response);
                put_u32(message, 1); // SMB2_0_IOCTL_IS_FSCTL
                put_u32(message, 0); // Reserved2
                message.extend_from_slice(&ioctl.input);
            }
        }
    }
}

fn encode_negotiate(negotiate: &NegotiateRequest, message: &mut Vec<u8>) {
    let with_contexts = !negotiate.contexts.is_empty();
    put_u16(message, 36);
    put_u16(message, negotiate.dialects.len() as u16);
    put_u16(message, negotiate.security_mode);
    put_u16(message, 0);
    put_u32(message, negotiate.capabilities);
    message.extend_from_slice(&negotiate.client_guid);
    let context_offset_at = message.len();
    put_u32(message, 0); // NegotiateContextOffset, patched below
    put_u16(message, negotiate.contexts.len() as u16);
    put_u16(message, 0);
    for dialect in &negotiate.dialects {
        put_u16(message, *dialect);
    }
    if with_contexts {
        pad_to_8(message);
        let offset = message.len() as u32;
        message[context_offset_at..context_offset_at + 4].copy_from_slice(&offset.to_le_bytes());
        for (index, context) in negotiate.contexts.iter().enumerate() {
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

fn encode_create(create: &CreateRequest, lease: Option<&LeaseRequest>, message: &mut Vec<u8>) {
    let name = utf16le(&create.name);
    put_u16(message, 57);
    message.push(0); // SecurityFlags
    message.push(if lease.is_some() {
        OPLOCK_LEVEL_LEASE
    } else {
        0
    }); // RequestedOplockLevel
    put_u32(message, 2); // ImpersonationLevel: Impersonation
    put_u64(message, 0); // SmbCreateFlags
    put_u64(message, 0); // Reserved
    put_u32(message, create.desired_access);
    put_u32(message, create.file_attributes);
    put_u32(message, create.share_access);
    put_u32(message, create.create_disposition);
    put_u32(message, create.create_options);
    put_u16(message, (HEADER_LENGTH + 56) as u16);
    put_u16(message, name.len() as u16);
    let contexts_at = message.len();
    put_u32(message, 0); // CreateContextsOffset, patched below
    put_u32(message, 0); // CreateContextsLength, patched below
    message.extend_from_slice(&name);
    if name.is_empty() {
        message.push(0);
    }
    if let Some(lease) = lease {
        // The contexts start 8-aligned from the header's start (MS-SMB2 §2.2.13).
        pad_to_8(message);
        let context = lease.encode_context();
        let offset = message.len() as u32;
        message[contexts_at..contexts_at + 4].copy_from_slice(&offset.to_le_bytes());
        message[contexts_at + 4..contexts_at + 8]
            .copy_from_slice(&(context.len() as u32).to_le_bytes());
        message.extend_from_slice(&context);
    }
}

fn pad_to_8(message: &mut Vec<u8>) {
    while !message.len().is_multiple_of(8) {
        message.push(0);
    }
}

fn put_u16(message: &mut Vec<u8>, value: u16) {
    message.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(message: &mut Vec<u8>, value: u32) {
    message.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(message: &mut Vec<u8>, value: u64) {
    message.extend_from_slice(&value.to_le_bytes());
}

/// Reads a body's StructureSize and checks it.
fn body(message: &[u8], command: Command, expected: u16) -> Result<Reader<'_>, WireError> {
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

/// CREATE response (MS-SMB2 §2.2.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateResponse {
    /// The oplock level granted; [`OPLOCK_LEVEL_LEASE`] when a lease context says what was
    /// granted.
    pub oplock_level: u8,
    /// What the server did (superseded, opened, created, overwritten).
    pub create_action: u32,
    /// The file's attributes.
    pub attributes: FileAttributes,
    /// The handle.
    pub file_id: FileId,
    /// Where the create contexts lie in the message, as the server said (unchecked until
    /// [`crate::wire::lease::decode_create_contexts`] reads them).
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

/// WRITE response (MS-SMB2 §2.2.22): how many bytes were written.
pub fn decode_write_response(message: &[u8]) -> Result<u32, WireError> {
    let mut reader = body(message, Command::Write, 17)?;
    reader.skip(2, "Reserved")?;
    Ok(reader.u32("Count")?)
}

/// Decodes a CLOSE response (MS-SMB2 §2.2.16): the attributes when the server filled them in
/// (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB set in its Flags).
pub fn decode_close_response(message: &[u8]) -> Result<Option<FileAttributes>, WireError> {
    let mut reader = body(message, Command::Close, 60)?;
    let flags = reader.u16("Flags")?;
    reader.skip(4, "Reserved")?;
    let attributes = read_file_attributes(&mut reader)?;
    Ok((flags & 0x0001 != 0).then_some(attributes))
}

/// IOCTL response (MS-SMB2 §2.2.32): the output bytes.
pub fn decode_ioctl_response(message: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut reader = body(message, Command::Ioctl, 49)?;
    reader.skip(2 + 4 + 16, "Reserved/CtlCode/FileId")?;
    reader.skip(8, "InputOffset/InputCount")?;
    let output_offset = reader.u32("OutputOffset")? as usize;
    let output_count = reader.u32("OutputCount")? as usize;
    Ok(optional_slice(message, output_offset, output_count, "Ioctl output")?.to_vec())
}

/// QUERY_DIRECTORY and QUERY_INFO responses (MS-SMB2 §2.2.34, §2.2.38): the output buffer.
pub fn decode_output_buffer(message: &[u8], command: Command) -> Result<&[u8], WireError> {
    let mut reader = body(message, command, 9)?;
    let offset = usize::from(reader.u16("OutputBufferOffset")?);
    let length = reader.u32("OutputBufferLength")? as usize;
    Ok(optional_slice(message, offset, length, "OutputBuffer")?)
}

/// The ErrorData of an error response (MS-SMB2 §2.2.2), for diagnostics.
pub fn decode_error_response(message: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut reader = body(message, Command::from_code(0xFFFF), 9)?;
    reader.skip(2, "ErrorContextCount/Reserved")?;
    let count = reader.u32("ByteCount")? as usize;
    Ok(reader.take(count, "ErrorData")?.to_vec())
}

/// One entry of FileDirectoryInformation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The file's name.
    pub name: String,
    /// Its attributes.
    pub attributes: FileAttributes,
}

/// Decodes a FileDirectoryInformation buffer (MS-FSCC §2.4.10).
pub fn decode_directory_entries(buffer: &[u8]) -> Result<Vec<DirectoryEntry>, WireError> {
    let mut entries = Vec::new();
    let mut offset = 0;
    loop {
        let mut reader = Reader::at(buffer, offset);
        let next = reader.u32("NextEntryOffset")? as usize;
        reader.skip(4, "FileIndex")?;
        let creation_time = reader.u64("CreationTime")?;
        let last_access_time = reader.u64("LastAccessTime")?;
        let last_write_time = reader.u64("LastWriteTime")?;
        let change_time = reader.u64("ChangeTime")?;
        let end_of_file = reader.u64("EndOfFile")?;
        let allocation_size = reader.u64("AllocationSize")?;
        let attributes = reader.u32("FileAttributes")?;
        let name_length = reader.u32("FileNameLength")? as usize;
        let name = from_utf16le(reader.take(name_length, "FileName")?, "FileName")?;
        entries.push(DirectoryEntry {
            name,
            attributes: FileAttributes {
                creation_time,
                last_access_time,
                last_write_time,
                change_time,
                allocation_size,
                end_of_file,
                attributes,
            },
        });
        if next == 0 {
            return Ok(entries);
        }
        match offset.checked_add(next) {
            Some(following) if following < buffer.len() => offset = following,
            _ => return Err(WireError::BadEntryOffset(offset)),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;
    use crate::wire::file_attributes;

    fn message(request: &Request) -> Vec<u8> {
        let mut bytes = Vec::new();
        Header::request(request.command(), 1, 0, 0).encode(&mut bytes);
        request.encode_body(&mut bytes);
        bytes
    }

    #[test]
    fn negotiate_request_layout() {
        let request = Request::Negotiate(NegotiateRequest {
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
        });
        let bytes = message(&request);
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

    #[test]
    fn fixed_request_sizes_match_structure_sizes() {
        let file_id = FileId([3; 16]);
        for (request, size) in [
            (Request::Echo, 4),
            (
                Request::Close(CloseRequest {
                    file_id,
                    query_attributes: false,
                }),
                24,
            ),
            (
                Request::Read(ReadRequest {
                    file_id,
                    offset: 0,
                    length: 65_536,
                    minimum_count: 0,
                }),
                49,
            ),
            (
                Request::Create(CreateRequest {
                    name: String::new(),
                    desired_access: 0,
                    file_attributes: 0,
                    share_access: 0,
                    create_disposition: 0,
                    create_options: 0,
                }),
                57,
            ),
            (
                Request::QueryInfo(QueryInfoRequest {
                    file_id,
                    info_type: 1,
                    information_class: 5,
                    output_buffer_length: 100,
                }),
                41,
            ),
            (
                Request::SetInfo(SetInfoRequest {
                    file_id,
                    info_type: 1,
                    information_class: 20,
                    buffer: vec![0; 8],
                }),
                32 + 8,
            ),
        ] {
            let bytes = message(&request);
            // The structure size counts one byte of the variable buffer.
            assert_eq!(bytes.len() - 64, size, "{:?}", request.command());
        }
    }

    #[test]
    fn credit_charge_counts_64k_units() {
        let read = |length| {
            Request::Read(ReadRequest {
                file_id: FileId::default(),
                offset: 0,
                length,
                minimum_count: 0,
            })
        };
        assert_eq!(read(0).credit_charge(), 1);
        assert_eq!(read(65_536).credit_charge(), 1);
        assert_eq!(read(65_537).credit_charge(), 2);
        assert_eq!(read(1 << 20).credit_charge(), 16);
    }

    #[test]
    fn directory_entries_decode_and_reject_bad_offsets() {
        let mut buffer = Vec::new();
        for (index, name) in ["a.txt", "dir"].iter().enumerate() {
            let name = utf16le(name);
            let start = buffer.len();
            buffer.extend_from_slice(&0u32.to_le_bytes());
            buffer.extend_from_slice(&0u32.to_le_bytes());
            for time in 0..4u64 {
                buffer.extend_from_slice(&time.to_le_bytes());
            }
            buffer.extend_from_slice(&(10u64 + index as u64).to_le_bytes());
            buffer.extend_from_slice(&4096u64.to_le_bytes());
            let attributes = if index == 1 {
                file_attributes::DIRECTORY
            } else {
                file_attributes::ARCHIVE
            };
            buffer.extend_from_slice(&attributes.to_le_bytes());
            buffer.extend_from_slice(&(name.len() as u32).to_le_bytes());
            buffer.extend_from_slice(&name);
            while buffer.len() % 8 != 0 {
                buffer.push(0);
            }
            if index == 0 {
                let next = (buffer.len() - start) as u32;
                buffer[start..start + 4].copy_from_slice(&next.to_le_bytes());
            }
        }
        let entries = decode_directory_entries(&buffer).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "a.txt");
        assert_eq!(entries[0].attributes.end_of_file, 10);
        assert!(entries[1].attributes.is_directory());

        let mut looping = buffer.clone();
        looping[0..4].copy_from_slice(&0x1000u32.to_le_bytes());
        assert_eq!(
            decode_directory_entries(&looping),
            Err(WireError::BadEntryOffset(0))
        );
    }

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
            Err(WireError::OutOfBounds { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn response_decoders_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut bytes = Vec::new();
            Header::request(Command::Negotiate, 0, 0, 0).encode(&mut bytes);
            bytes.extend_from_slice(&tail);
            let _ = NegotiateResponse::decode(&bytes);
            let _ = SessionSetupResponse::decode(&bytes);
            let _ = TreeConnectResponse::decode(&bytes);
            if let Ok(created) = CreateResponse::decode(&bytes) {
                let _ = super::super::lease::granted_lease(&bytes, &created);
            }
            let _ = super::super::lease::LeaseBreak::decode(&bytes);
            let _ = super::super::lease::decode_create_contexts(&tail, 0, tail.len());
            let _ = ReadResponse::decode(&bytes);
            let _ = decode_write_response(&bytes);
            let _ = decode_ioctl_response(&bytes);
            let _ = decode_output_buffer(&bytes, Command::QueryInfo);
            let _ = decode_error_response(&bytes);
            let _ = decode_directory_entries(&tail);
        }
    }
}
