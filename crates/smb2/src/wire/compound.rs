//! Encoding of the messages a client sends: one request, or a related compound chain
//! (MS-SMB2 §3.2.4.1.4) whose messages are 8-byte aligned, name the next by NextCommand, and
//! after the first carry SMB2_FLAGS_RELATED_OPERATIONS.

use super::{Command, HEADER_LENGTH, Header, Request, flags};

/// What one message of a chain needs besides its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSlot {
    /// The message id (the first of the request's credit charge).
    pub message_id: u64,
    /// The CreditCharge (0 on NEGOTIATE, as MS-SMB2 §3.2.4.1.5 wants).
    pub credit_charge: u16,
    /// The credits asked for.
    pub credits: u16,
}

/// Encodes `requests` (with their `slots`, pairwise) as a chain of messages of `session_id`
/// and `tree_id`: every message but the last padded to 8 bytes with its NextCommand set to
/// its padded length, and every message after the first flagged RELATED_OPERATIONS. One
/// request gives one message, unpadded and unflagged. Each CREATE's header also gets
/// `create_flags` (SMB2_FLAGS_DFS_OPERATIONS for a share in a DFS namespace, MS-SMB2
/// §3.2.4.3). The messages are returned apart, so that each can be signed on its own (the
/// padding is part of what a signature covers).
pub fn encode_chain(
    requests: &[Request],
    slots: &[ChainSlot],
    session_id: u64,
    tree_id: u32,
    create_flags: u32,
) -> Vec<(Vec<u8>, Command)> {
    let count = requests.len().min(slots.len());
    let mut messages = Vec::with_capacity(count);
    for (index, (request, slot)) in requests.iter().zip(slots).enumerate() {
        let mut header = Header::request(request.command(), slot.message_id, session_id, tree_id);
        header.credit_charge = slot.credit_charge;
        header.credits = slot.credits;
        if index > 0 {
            header.flags |= flags::RELATED_OPERATIONS;
        }
        if request.command() == Command::Create {
            header.flags |= create_flags;
        }
        let mut message = Vec::with_capacity(HEADER_LENGTH + 128 + request.payload_size());
        header.encode(&mut message);
        request.encode_body(&mut message);
        if index + 1 < count {
            while !message.len().is_multiple_of(8) {
                message.push(0);
            }
            // A message beyond 4 GiB cannot be framed anyway (the transport's length has
            // 24 bits): the frame check refuses it before anything is sent.
            let next = u32::try_from(message.len()).unwrap_or(u32::MAX);
            message[20..24].copy_from_slice(&next.to_le_bytes());
        }
        messages.push((message, request.command()));
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::file_info::{FILE_BASIC_INFORMATION, INFO_FILE};
    use crate::wire::{CloseRequest, CreateRequest, FileId, SetInfoRequest};

    #[test]
    fn a_related_chain_is_aligned_linked_and_flagged() {
        let requests = [
            Request::Create(CreateRequest {
                name: "dir\\a.txt".into(), // 18 bytes: 64 + 56 + 18 = 138, padded to 144
                desired_access: 0x0010_0100,
                file_attributes: 0,
                share_access: 7,
                create_disposition: 1,
                create_options: 0,
            }),
            Request::SetInfo(SetInfoRequest {
                file_id: FileId::RELATED,
                info_type: INFO_FILE,
                information_class: FILE_BASIC_INFORMATION,
                buffer: vec![0; 40], // 64 + 32 + 40 = 136, aligned already
            }),
            Request::Close(CloseRequest {
                file_id: FileId::RELATED,
                query_attributes: false,
            }),
        ];
        let slots: Vec<ChainSlot> = (0..3)
            .map(|index| ChainSlot {
                message_id: 10 + index,
                credit_charge: 1,
                credits: if index == 0 { 65 } else { 1 },
            })
            .collect();
        let messages = encode_chain(&requests, &slots, 0x55, 7, 0);
        let lengths: Vec<usize> = messages.iter().map(|(message, _)| message.len()).collect();
        assert_eq!(lengths, [144, 136, 64 + 24]);
        let headers: Vec<Header> = messages
            .iter()
            .map(|(message, _)| Header::decode(message).unwrap())
            .collect();
        assert_eq!(
            headers.iter().map(|h| h.next_command).collect::<Vec<_>>(),
            [144, 136, 0]
        );
        assert_eq!(
            headers
                .iter()
                .map(|h| h.flags & flags::RELATED_OPERATIONS != 0)
                .collect::<Vec<_>>(),
            [false, true, true]
        );
        assert_eq!(
            headers.iter().map(|h| h.message_id).collect::<Vec<_>>(),
            [10, 11, 12]
        );
        assert!(
            headers
                .iter()
                .all(|h| h.session_id == 0x55 && h.tree_id == 7)
        );
        assert_eq!(headers[0].credits, 65);
        assert_eq!(
            messages
                .iter()
                .map(|(_, command)| *command)
                .collect::<Vec<_>>(),
            [Command::Create, Command::SetInfo, Command::Close]
        );
        // The padding is zeros, and the related requests name the previous file.
        assert_eq!(&messages[0].0[138..], &[0; 6]);
        assert_eq!(&messages[1].0[64 + 16..64 + 32], &[0xFF; 16]);
        assert_eq!(&messages[2].0[64 + 8..64 + 24], &[0xFF; 16]);
        // Concatenated, each NextCommand lands on the next header.
        let chain: Vec<u8> = messages.into_iter().flat_map(|(m, _)| m).collect();
        assert_eq!(&chain[144..148], b"\xFESMB");
        assert_eq!(&chain[144 + 136..144 + 140], b"\xFESMB");
    }

    #[test]
    fn create_flags_mark_the_creates_of_a_chain_only() {
        let requests = [
            Request::Create(CreateRequest {
                name: "fs1\\dfs\\a.txt".into(),
                desired_access: 0x0010_0080,
                file_attributes: 0,
                share_access: 7,
                create_disposition: 1,
                create_options: 0,
            }),
            Request::Close(CloseRequest {
                file_id: FileId::RELATED,
                query_attributes: false,
            }),
        ];
        let slots: Vec<ChainSlot> = (0..2)
            .map(|index| ChainSlot {
                message_id: index,
                credit_charge: 1,
                credits: 1,
            })
            .collect();
        let messages = encode_chain(&requests, &slots, 1, 2, flags::DFS_OPERATIONS);
        let dfs: Vec<bool> = messages
            .iter()
            .map(|(message, _)| Header::decode(message).unwrap().flags & flags::DFS_OPERATIONS != 0)
            .collect();
        assert_eq!(dfs, [true, false]);
    }

    #[test]
    fn a_single_request_is_neither_padded_nor_flagged() {
        let slot = ChainSlot {
            message_id: 3,
            credit_charge: 1,
            credits: 1,
        };
        let messages = encode_chain(&[Request::Echo], &[slot], 1, 0, 0);
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].0.len(), 68);
        let header = Header::decode(&messages[0].0).unwrap();
        assert_eq!((header.next_command, header.flags), (0, 0));
    }
}
