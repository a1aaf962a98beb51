//! The RDATA of a NODE STATUS RESPONSE (RFC 1002 §4.2.18): the node's name table and its
//! statistics block.

use crate::wire::WireError;
use crate::wire::name::{NAME_LENGTH, NetbiosName};
use crate::wire::reader::Reader;

/// RFC 1002 §4.2.18: one NODE_NAME entry, the 16-byte name and its NAME_FLAGS.
pub const NODE_NAME_LENGTH: usize = NAME_LENGTH + 2;
/// RFC 1002 §4.2.18: the statistics block, UNIT_ID to SESSION_DATA_PACKET_SIZE.
pub const STATISTICS_LENGTH: usize = 46;
/// The most names NUM_NAMES (one byte) can count.
pub const MAX_NAMES: usize = 255;

/// NAME_FLAGS of a node status name entry (RFC 1002 §4.2.18).
pub mod name_flags {
    /// G: a group name.
    pub const GROUP: u16 = 0x8000;
    /// ONT: owner node type (two bits, 0 B, 1 P, 2 M, 3 H).
    pub const ONT_MASK: u16 = 0x6000;
    /// Shift of the ONT bits.
    pub const ONT_SHIFT: u16 = 13;
    /// DRG: being deregistered.
    pub const DEREGISTERING: u16 = 0x1000;
    /// CNF: in conflict.
    pub const CONFLICT: u16 = 0x0800;
    /// ACT: active (always set in responses).
    pub const ACTIVE: u16 = 0x0400;
    /// PRM: permanent (the node's own name).
    pub const PERMANENT: u16 = 0x0200;
}

/// One name of a node status response's name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeName {
    /// The name.
    pub name: NetbiosName,
    /// NAME_FLAGS (`name_flags::*`), reserved bits kept as received.
    pub flags: u16,
}

impl NodeName {
    /// `name` with `flags`.
    pub fn new(name: NetbiosName, flags: u16) -> NodeName {
        NodeName { name, flags }
    }

    /// G: whether it is a group name.
    pub fn is_group(&self) -> bool {
        self.flags & name_flags::GROUP != 0
    }

    /// ONT: the owner node type (0 B, 1 P, 2 M, 3 H).
    pub fn owner_node_type(&self) -> u8 {
        ((self.flags & name_flags::ONT_MASK) >> name_flags::ONT_SHIFT) as u8
    }

    /// DRG: whether the name is being deregistered.
    pub fn is_deregistering(&self) -> bool {
        self.flags & name_flags::DEREGISTERING != 0
    }

    /// CNF: whether the name is in conflict.
    pub fn is_in_conflict(&self) -> bool {
        self.flags & name_flags::CONFLICT != 0
    }

    /// ACT: whether the name is active.
    pub fn is_active(&self) -> bool {
        self.flags & name_flags::ACTIVE != 0
    }

    /// PRM: whether the name is the permanent node name.
    pub fn is_permanent(&self) -> bool {
        self.flags & name_flags::PERMANENT != 0
    }
}

/// Node status RDATA (RFC 1002 §4.2.18): NUM_NAMES, the name table, and the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The name table (at most 255 names are written: NUM_NAMES is one byte).
    pub names: Vec<NodeName>,
    /// The statistics block as sent, UNIT_ID (the MAC address) first. RFC 1002 gives it 46
    /// bytes, as Samba and Windows send; other peers send fewer or more, so the bytes are
    /// kept as they came and re-encoded unchanged. [`NodeStatus::decoded_statistics`] reads
    /// the fields.
    pub statistics: Vec<u8>,
}

impl NodeStatus {
    /// A name table with the unit id `mac` and the RFC's other statistics zeroed.
    pub fn new(names: Vec<NodeName>, mac: [u8; 6]) -> NodeStatus {
        NodeStatus::with_statistics(
            names,
            &Statistics {
                unit_id: mac,
                ..Statistics::default()
            },
        )
    }

    /// A name table with the full 46-byte statistics block `statistics`.
    pub fn with_statistics(names: Vec<NodeName>, statistics: &Statistics) -> NodeStatus {
        NodeStatus {
            names,
            statistics: statistics.to_bytes().to_vec(),
        }
    }

    /// The unit id (MAC address), if the statistics hold one.
    pub fn unit_id(&self) -> Option<[u8; 6]> {
        self.statistics
            .get(..6)
            .and_then(|bytes| bytes.try_into().ok())
    }

    /// The statistics fields; those the peer did not send read as zero.
    pub fn decoded_statistics(&self) -> Statistics {
        Statistics::from_bytes(&self.statistics)
    }

    /// Decodes node status RDATA. Error offsets count from the start of `rdata`.
    pub fn decode(rdata: &[u8]) -> Result<NodeStatus, WireError> {
        NodeStatus::read(&mut Reader::new(rdata))
    }

    /// Reads node status RDATA: everything up to the reader's end.
    pub(crate) fn read(reader: &mut Reader<'_>) -> Result<NodeStatus, WireError> {
        let count = reader
            .untrusted_u8("NUM_NAMES")?
            .count_within(reader, NODE_NAME_LENGTH)?;
        let mut names = Vec::with_capacity(count);
        for _ in 0..count {
            let name = NetbiosName::from_bytes(reader.array("NODE_NAME")?);
            let flags = reader.u16("NAME_FLAGS")?;
            names.push(NodeName { name, flags });
        }
        let statistics = reader.rest().to_vec();
        Ok(NodeStatus { names, statistics })
    }

    /// Appends the RDATA.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // NUM_NAMES is one byte: more names are cut, never miscounted.
        let names = &self.names[..self.names.len().min(MAX_NAMES)];
        out.push(names.len() as u8);
        for entry in names {
            out.extend_from_slice(entry.name.as_bytes());
            out.extend_from_slice(&entry.flags.to_be_bytes());
        }
        out.extend_from_slice(&self.statistics);
    }
}

/// The statistics block of RFC 1002 §4.2.18, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Statistics {
    /// UNIT_ID: the MAC address (Samba sends zeros).
    pub unit_id: [u8; 6],
    /// JUMPERS.
    pub jumpers: u8,
    /// TEST_RESULT.
    pub test_result: u8,
    /// VERSION_NUMBER.
    pub version_number: u16,
    /// PERIOD_OF_STATISTICS.
    pub period_of_statistics: u16,
    /// NUMBER_OF_CRCs.
    pub crc_errors: u16,
    /// NUMBER_ALIGNMENT_ERRORS.
    pub alignment_errors: u16,
    /// NUMBER_OF_COLLISIONS.
    pub collisions: u16,
    /// NUMBER_SEND_ABORTS.
    pub send_aborts: u16,
    /// NUMBER_GOOD_SENDS.
    pub good_sends: u32,
    /// NUMBER_GOOD_RECEIVES.
    pub good_receives: u32,
    /// NUMBER_RETRANSMITS.
    pub retransmits: u16,
    /// NUMBER_NO_RESOURCE_CONDITIONS.
    pub no_resource_conditions: u16,
    /// NUMBER_FREE_COMMAND_BLOCKS.
    pub free_command_blocks: u16,
    /// TOTAL_NUMBER_COMMAND_BLOCKS.
    pub total_command_blocks: u16,
    /// MAX_TOTAL_NUMBER_COMMAND_BLOCKS.
    pub max_total_command_blocks: u16,
    /// NUMBER_PENDING_SESSIONS.
    pub pending_sessions: u16,
    /// MAX_NUMBER_PENDING_SESSIONS.
    pub max_pending_sessions: u16,
    /// MAX_TOTAL_SESSIONS_POSSIBLE.
    pub max_total_sessions: u16,
    /// SESSION_DATA_PACKET_SIZE.
    pub session_data_packet_size: u16,
}

impl Statistics {
    /// The fields of a statistics block; a short block reads as if padded with zeros, bytes
    /// past the 46th are ignored.
    pub fn from_bytes(bytes: &[u8]) -> Statistics {
        let mut block = [0u8; STATISTICS_LENGTH];
        let present = bytes.len().min(STATISTICS_LENGTH);
        block[..present].copy_from_slice(&bytes[..present]);
        let mut reader = Reader::new(&block);
        // The block is exactly as long as the fields, so no read below can fail; zero is what
        // a failed read would mean anyway.
        let u8_field = |r: &mut Reader<'_>| r.u8("statistics").unwrap_or_default();
        let unit_id = reader.array("UNIT_ID").unwrap_or_default();
        let jumpers = u8_field(&mut reader);
        let test_result = u8_field(&mut reader);
        let u16_field = |r: &mut Reader<'_>| r.u16("statistics").unwrap_or_default();
        let u32_field = |r: &mut Reader<'_>| r.u32("statistics").unwrap_or_default();
        Statistics {
            unit_id,
            jumpers,
            test_result,
            version_number: u16_field(&mut reader),
            period_of_statistics: u16_field(&mut reader),
            crc_errors: u16_field(&mut reader),
            alignment_errors: u16_field(&mut reader),
            collisions: u16_field(&mut reader),
            send_aborts: u16_field(&mut reader),
            good_sends: u32_field(&mut reader),
            good_receives: u32_field(&mut reader),
            retransmits: u16_field(&mut reader),
            no_resource_conditions: u16_field(&mut reader),
            free_command_blocks: u16_field(&mut reader),
            total_command_blocks: u16_field(&mut reader),
            max_total_command_blocks: u16_field(&mut reader),
            pending_sessions: u16_field(&mut reader),
            max_pending_sessions: u16_field(&mut reader),
            max_total_sessions: u16_field(&mut reader),
            session_data_packet_size: u16_field(&mut reader),
        }
    }

    /// The 46-byte block.
    pub fn to_bytes(&self) -> [u8; STATISTICS_LENGTH] {
        let mut out = Vec::with_capacity(STATISTICS_LENGTH);
        out.extend_from_slice(&self.unit_id);
        out.push(self.jumpers);
        out.push(self.test_result);
        for field in [
            self.version_number,
            self.period_of_statistics,
            self.crc_errors,
            self.alignment_errors,
            self.collisions,
            self.send_aborts,
        ] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        out.extend_from_slice(&self.good_sends.to_be_bytes());
        out.extend_from_slice(&self.good_receives.to_be_bytes());
        for field in [
            self.retransmits,
            self.no_resource_conditions,
            self.free_command_blocks,
            self.total_command_blocks,
            self.max_total_command_blocks,
            self.pending_sessions,
            self.max_pending_sessions,
            self.max_total_sessions,
            self.session_data_packet_size,
        ] {
            out.extend_from_slice(&field.to_be_bytes());
        }
        let mut block = [0u8; STATISTICS_LENGTH];
        block.copy_from_slice(&out);
        block
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_statistics_block_has_the_rfc_layout() {
        let statistics = Statistics {
            unit_id: [0x02, 0, 0x5e, 0x10, 0x20, 0x30],
            jumpers: 1,
            test_result: 2,
            version_number: 0x0304,
            period_of_statistics: 0x0506,
            crc_errors: 7,
            alignment_errors: 8,
            collisions: 9,
            send_aborts: 10,
            good_sends: 0x0B0C_0D0E,
            good_receives: 0x0F10_1112,
            retransmits: 19,
            no_resource_conditions: 20,
            free_command_blocks: 21,
            total_command_blocks: 22,
            max_total_command_blocks: 23,
            pending_sessions: 24,
            max_pending_sessions: 25,
            max_total_sessions: 26,
            session_data_packet_size: 0x05D4,
        };
        let bytes = statistics.to_bytes();
        assert_eq!(
            bytes.to_vec(),
            [
                0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 1, 2, 3, 4, 5, 6, 0, 7, 0, 8, 0, 9, 0, 10,
                0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0, 19, 0, 20, 0, 21, 0, 22, 0, 23,
                0, 24, 0, 25, 0, 26, 0x05, 0xD4,
            ]
        );
        assert_eq!(Statistics::from_bytes(&bytes), statistics);
        // A short block: what is missing reads as zero.
        let short = Statistics::from_bytes(&bytes[..9]);
        assert_eq!(short.unit_id, statistics.unit_id);
        assert_eq!(short.version_number, 0x0300);
        assert_eq!(short.session_data_packet_size, 0);
    }

    #[test]
    fn a_name_table_decodes_and_keeps_odd_statistics() {
        let mut rdata = vec![2];
        rdata.extend_from_slice(b"LABSERVER      \x20");
        rdata.extend_from_slice(&[0x04, 0x00]);
        rdata.extend_from_slice(b"WNETLAB        \x1e");
        rdata.extend_from_slice(&[0x84, 0x00]);
        rdata.extend_from_slice(&[0xAA; 6]);
        rdata.extend_from_slice(&[1, 2, 3]);
        let status = NodeStatus::decode(&rdata).unwrap();
        assert_eq!(status.names.len(), 2);
        assert!(status.names[0].is_active() && !status.names[0].is_group());
        assert!(status.names[1].is_group());
        assert_eq!(status.names[1].name.to_string(), "WNETLAB<1e>");
        assert_eq!(status.unit_id(), Some([0xAA; 6]));
        assert_eq!(status.statistics.len(), 9);
        let mut again = Vec::new();
        status.encode(&mut again);
        assert_eq!(again, rdata);
        // No statistics at all.
        assert_eq!(NodeStatus::decode(&[0]).unwrap().unit_id(), None);
    }

    #[test]
    fn name_flags_read_each_bit() {
        let name = NodeName::new(NetbiosName::wildcard(), 0xFE00);
        assert!(name.is_group());
        assert_eq!(name.owner_node_type(), 3);
        assert!(name.is_deregistering() && name.is_in_conflict());
        assert!(name.is_active() && name.is_permanent());
        let plain = NodeName::new(NetbiosName::wildcard(), 0x2000);
        assert_eq!(plain.owner_node_type(), 1);
        assert!(!plain.is_group() && !plain.is_active() && !plain.is_permanent());
        assert!(!plain.is_deregistering() && !plain.is_in_conflict());
    }

    #[test]
    fn counts_larger_than_the_rdata_are_refused() {
        assert_eq!(
            NodeStatus::decode(&[200, 0, 0]),
            Err(WireError::CountTooLarge {
                field: "NUM_NAMES",
                count: 200,
                min_item_size: NODE_NAME_LENGTH,
                remaining: 2
            })
        );
        assert!(matches!(
            NodeStatus::decode(&[]),
            Err(WireError::Truncated {
                field: "NUM_NAMES",
                ..
            })
        ));
    }

    #[test]
    fn more_than_255_names_are_cut_not_miscounted() {
        let names = vec![NodeName::new(NetbiosName::wildcard(), 0); 300];
        let status = NodeStatus::new(names, [1; 6]);
        let mut rdata = Vec::new();
        status.encode(&mut rdata);
        let decoded = NodeStatus::decode(&rdata).unwrap();
        assert_eq!(decoded.names.len(), MAX_NAMES);
        assert_eq!(decoded.unit_id(), Some([1; 6]));
    }

    proptest! {
        #[test]
        fn node_status_round_trips(
            names in proptest::collection::vec((any::<[u8; 16]>(), any::<u16>()), 0..20),
            statistics in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            let status = NodeStatus {
                names: names
                    .into_iter()
                    .map(|(bytes, flags)| NodeName::new(NetbiosName::from_bytes(bytes), flags))
                    .collect(),
                statistics,
            };
            let mut rdata = Vec::new();
            status.encode(&mut rdata);
            prop_assert_eq!(NodeStatus::decode(&rdata), Ok(status));
        }

        #[test]
        fn statistics_round_trip(bytes in any::<[u8; 46]>()) {
            prop_assert_eq!(Statistics::from_bytes(&bytes).to_bytes(), bytes);
        }

        #[test]
        fn arbitrary_rdata_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(status) = NodeStatus::decode(&bytes) {
                let mut again = Vec::new();
                status.encode(&mut again);
                prop_assert_eq!(again, bytes);
            }
        }
    }
}
