//! The SMB2 packet header (MS-SMB2 §2.2.1): 64 bytes, sync or async form.

use super::{Reader, WireError};

/// The length of the SMB2 header.
pub const HEADER_LENGTH: usize = 64;
/// The protocol id of an SMB2 message.
pub(crate) const PROTOCOL_ID: [u8; 4] = [0xFE, b'S', b'M', b'B'];

/// Header flags (MS-SMB2 §2.2.1.2).
pub mod flags {
    /// Set on responses.
    pub const SERVER_TO_REDIR: u32 = 0x0000_0001;
    /// The async form: AsyncId replaces Reserved and TreeId.
    pub const ASYNC_COMMAND: u32 = 0x0000_0002;
    /// Part of a related compound chain.
    pub const RELATED_OPERATIONS: u32 = 0x0000_0004;
    /// The message is signed.
    pub const SIGNED: u32 = 0x0000_0008;
    /// A DFS operation.
    pub const DFS_OPERATIONS: u32 = 0x1000_0000;
}

/// SMB2 commands (MS-SMB2 §2.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// NEGOTIATE.
    Negotiate,
    /// SESSION_SETUP.
    SessionSetup,
    /// LOGOFF.
    Logoff,
    /// TREE_CONNECT.
    TreeConnect,
    /// TREE_DISCONNECT.
    TreeDisconnect,
    /// CREATE.
    Create,
    /// CLOSE.
    Close,
    /// FLUSH.
    Flush,
    /// READ.
    Read,
    /// WRITE.
    Write,
    /// LOCK.
    Lock,
    /// IOCTL.
    Ioctl,
    /// CANCEL.
    Cancel,
    /// ECHO.
    Echo,
    /// QUERY_DIRECTORY.
    QueryDirectory,
    /// CHANGE_NOTIFY.
    ChangeNotify,
    /// QUERY_INFO.
    QueryInfo,
    /// SET_INFO.
    SetInfo,
    /// OPLOCK_BREAK.
    OplockBreak,
    /// A command code this client does not know.
    Unknown(u16),
}

impl Command {
    /// The command's code.
    pub fn code(self) -> u16 {
        match self {
            Command::Negotiate => 0x00,
            Command::SessionSetup => 0x01,
            Command::Logoff => 0x02,
            Command::TreeConnect => 0x03,
            Command::TreeDisconnect => 0x04,
            Command::Create => 0x05,
            Command::Close => 0x06,
            Command::Flush => 0x07,
            Command::Read => 0x08,
            Command::Write => 0x09,
            Command::Lock => 0x0A,
            Command::Ioctl => 0x0B,
            Command::Cancel => 0x0C,
            Command::Echo => 0x0D,
            Command::QueryDirectory => 0x0E,
            Command::ChangeNotify => 0x0F,
            Command::QueryInfo => 0x10,
            Command::SetInfo => 0x11,
            Command::OplockBreak => 0x12,
            Command::Unknown(code) => code,
        }
    }

    /// The command with this code.
    pub fn from_code(code: u16) -> Command {
        const KNOWN: [Command; 19] = [
            Command::Negotiate,
            Command::SessionSetup,
            Command::Logoff,
            Command::TreeConnect,
            Command::TreeDisconnect,
            Command::Create,
            Command::Close,
            Command::Flush,
            Command::Read,
            Command::Write,
            Command::Lock,
            Command::Ioctl,
            Command::Cancel,
            Command::Echo,
            Command::QueryDirectory,
            Command::ChangeNotify,
            Command::QueryInfo,
            Command::SetInfo,
            Command::OplockBreak,
        ];
        KNOWN
            .get(usize::from(code))
            .copied()
            .unwrap_or(Command::Unknown(code))
    }
}

/// An SMB2 header. In the async form `async_id` is set and `tree_id` is zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Credits this message consumes (one per 64 KiB of payload, at least one).
    pub credit_charge: u16,
    /// The NTSTATUS of a response (zero in requests; ChannelSequence lives here too).
    pub status: u32,
    /// The command.
    pub command: Command,
    /// Credits asked for (request) or granted (response).
    pub credits: u16,
    /// [`flags`].
    pub flags: u32,
    /// Offset of the next message of a compound chain, zero for the last.
    pub next_command: u32,
    /// The message id.
    pub message_id: u64,
    /// The async id of an async response (`flags` has ASYNC_COMMAND).
    pub async_id: Option<u64>,
    /// The tree id (sync form).
    pub tree_id: u32,
    /// The session id.
    pub session_id: u64,
    /// The signature (zero when unsigned).
    pub signature: [u8; 16],
}

impl Header {
    /// A request header for `command`.
    pub fn request(command: Command, message_id: u64, session_id: u64, tree_id: u32) -> Header {
        Header {
            credit_charge: 1,
            status: 0,
            command,
            credits: 1,
            flags: 0,
            next_command: 0,
            message_id,
            async_id: None,
            tree_id,
            session_id,
            signature: [0; 16],
        }
    }

    /// Appends the 64 header bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&PROTOCOL_ID);
        out.extend_from_slice(&64u16.to_le_bytes());
        out.extend_from_slice(&self.credit_charge.to_le_bytes());
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&self.command.code().to_le_bytes());
        out.extend_from_slice(&self.credits.to_le_bytes());
        let mut flags = self.flags;
        if self.async_id.is_some() {
            flags |= flags::ASYNC_COMMAND;
        }
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&self.next_command.to_le_bytes());
        out.extend_from_slice(&self.message_id.to_le_bytes());
        if let Some(async_id) = self.async_id {
            out.extend_from_slice(&async_id.to_le_bytes());
        } else {
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&self.tree_id.to_le_bytes());
        }
        out.extend_from_slice(&self.session_id.to_le_bytes());
        out.extend_from_slice(&self.signature);
    }

    /// Decodes the header at the start of `message`.
    pub fn decode(message: &[u8]) -> Result<Header, WireError> {
        let mut reader = Reader::at(message, 0);
        let protocol_id = reader.array::<4>("ProtocolId")?;
        if protocol_id != PROTOCOL_ID {
            return Err(WireError::BadProtocolId(protocol_id));
        }
        let structure_size = reader.u16("StructureSize")?;
        let credit_charge = reader.u16("CreditCharge")?;
        let status = reader.u32("Status")?;
        let command = Command::from_code(reader.u16("Command")?);
        if structure_size != 64 {
            return Err(WireError::BadStructureSize {
                command,
                found: structure_size,
                expected: 64,
            });
        }
        let credits = reader.u16("Credit")?;
        let flags = reader.u32("Flags")?;
        let next_command = reader.u32("NextCommand")?;
        let message_id = reader.u64("MessageId")?;
        let (async_id, tree_id) = if flags & flags::ASYNC_COMMAND != 0 {
            (Some(reader.u64("AsyncId")?), 0)
        } else {
            reader.skip(4, "Reserved")?;
            (None, reader.u32("TreeId")?)
        };
        let session_id = reader.u64("SessionId")?;
        let signature = reader.array("Signature")?;
        Ok(Header {
            credit_charge,
            status,
            command,
            credits,
            flags,
            next_command,
            message_id,
            async_id,
            tree_id,
            session_id,
            signature,
        })
    }

    /// Whether this is a response.
    pub fn is_response(&self) -> bool {
        self.flags & flags::SERVER_TO_REDIR != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_in_both_forms() {
        let mut header = Header::request(Command::Read, 7, 0x1122_3344_5566_7788, 9);
        header.credit_charge = 16;
        header.credits = 64;
        let mut bytes = Vec::new();
        header.encode(&mut bytes);
        assert_eq!(bytes.len(), HEADER_LENGTH);
        assert_eq!(&bytes[..4], &PROTOCOL_ID);
        assert_eq!(Header::decode(&bytes).unwrap(), header);

        header.async_id = Some(42);
        header.tree_id = 0;
        header.flags = flags::SERVER_TO_REDIR | flags::ASYNC_COMMAND;
        let mut bytes = Vec::new();
        header.encode(&mut bytes);
        assert_eq!(Header::decode(&bytes).unwrap(), header);
    }

    #[test]
    fn command_codes_round_trip() {
        for code in 0..=0x13 {
            assert_eq!(Command::from_code(code).code(), code);
        }
        assert_eq!(Command::from_code(0x13), Command::Unknown(0x13));
    }

    #[test]
    fn rejects_other_protocols_and_short_headers() {
        assert!(matches!(
            Header::decode(&[0xFF, b'S', b'M', b'B']),
            Err(WireError::BadProtocolId(_))
        ));
        assert!(matches!(
            Header::decode(&PROTOCOL_ID),
            Err(WireError::Read(crate::bytes::ReadError::Truncated { .. }))
        ));
    }
}
