//! The request bodies this client sends, as one enum: its command, its credit charge and its
//! encoding, which each command's module does. A body is appended after its 64-byte header,
//! so offsets inside it are counted from the start of the message as the protocol wants.

use super::codec::put_u16;
use super::create::{CloseRequest, CreateRequest, FileId};
use super::directory::QueryDirectoryRequest;
use super::durable::{Durability, encode_create_contexts};
use super::info::{QueryInfoRequest, SetInfoRequest};
use super::io::{ReadRequest, WriteRequest, encode_flush};
use super::ioctl::IoctlRequest;
use super::lease::{LEASE_CONTEXT_NAME, LeaseBreakAck, LeaseRequest, OPLOCK_LEVEL_LEASE};
use super::negotiate::NegotiateRequest;
use super::session::SessionSetupRequest;
use super::tree::TreeConnectRequest;
use super::{Command, HEADER_LENGTH};

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
    /// CREATE asking for a durable open or reopening one (a `DH2Q` or `DH2C` context), with
    /// a lease (RequestedOplockLevel SMB2_OPLOCK_LEVEL_LEASE and an `RqLs` context first)
    /// when `lease` is given.
    CreateDurable {
        /// The open.
        create: CreateRequest,
        /// The lease asked for (on a reopen: the lease the open held, MS-SMB2 §3.2.4.4).
        lease: Option<LeaseRequest>,
        /// The durable context.
        durability: Durability,
    },
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
            Request::Create(_) | Request::CreateWithLease(..) | Request::CreateDurable { .. } => {
                Command::Create
            }
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
    pub fn encode_body(&self, message: &mut Vec<u8>) {
        debug_assert_eq!(message.len(), HEADER_LENGTH);
        match self {
            Request::Negotiate(negotiate) => negotiate.encode_body(message),
            Request::SessionSetup(setup) => setup.encode_body(message),
            Request::Logoff | Request::TreeDisconnect | Request::Echo => {
                put_u16(message, 4);
                put_u16(message, 0);
            }
            Request::TreeConnect(tree) => tree.encode_body(message),
            Request::Create(create) => create.encode_body(0, None, message),
            Request::CreateWithLease(create, lease) => {
                create.encode_body(OPLOCK_LEVEL_LEASE, Some(&lease.encode_context()), message);
            }
            Request::CreateDurable {
                create,
                lease,
                durability,
            } => {
                let mut contexts = Vec::with_capacity(2);
                if let Some(lease) = lease {
                    contexts.push((LEASE_CONTEXT_NAME, lease.encode_data()));
                }
                contexts.push(durability.context());
                let level = if lease.is_some() {
                    OPLOCK_LEVEL_LEASE
                } else {
                    0
                };
                create.encode_body(level, Some(&encode_create_contexts(&contexts)), message);
            }
            Request::LeaseBreakAck(ack) => ack.encode_body(message),
            Request::Close(close) => close.encode_body(message),
            Request::Flush(file_id) => encode_flush(file_id, message),
            Request::Read(read) => read.encode_body(message),
            Request::Write(write) => write.encode_body(message),
            Request::QueryDirectory(query) => query.encode_body(message),
            Request::QueryInfo(query) => query.encode_body(message),
            Request::SetInfo(set) => set.encode_body(message),
            Request::Ioctl(ioctl) => ioctl.encode_body(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Header;
    use super::*;

    fn message(request: &Request) -> Vec<u8> {
        let mut bytes = Vec::new();
        Header::request(request.command(), 1, 0, 0).encode(&mut bytes);
        request.encode_body(&mut bytes);
        bytes
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
}
