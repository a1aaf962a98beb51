//! Datagram-service packets (RFC 1002 §4.4): the three datagrams that carry user data
//! (DIRECT_UNIQUE, DIRECT_GROUP, BROADCAST), DATAGRAM ERROR, and the three packets of the
//! datagram distribution server's query (request, positive and negative response).
//!
//! Every packet starts with the same 10-byte header (RFC 1002 §4.4.1): MSG_TYPE, FLAGS,
//! DGM_ID, SOURCE_IP, SOURCE_PORT. A data datagram then has DGM_LENGTH and PACKET_OFFSET and,
//! within DGM_LENGTH bytes, SOURCE_NAME, DESTINATION_NAME and USER_DATA.
//!
//! Decoding is strict about extent: DGM_LENGTH must be exactly the bytes after PACKET_OFFSET,
//! and an error or query packet must end where its last field ends. Names are read as
//! RFC 1002 §4.1 allows, compression pointers included (backwards only, a bounded number);
//! they are written back uncompressed, so a packet whose names were compressed re-encodes to
//! a different (longer) byte string that decodes to the same packet. Every packet Samba and
//! Windows send (uncompressed names) re-encodes byte for byte.

use std::net::Ipv4Addr;

use crate::wire::WireError;
use crate::wire::name::{ScopedName, WireLabels};
use crate::wire::reader::Reader;

/// RFC 1002 §4.4.1: the header every datagram-service packet starts with (MSG_TYPE, FLAGS,
/// DGM_ID, SOURCE_IP, SOURCE_PORT).
pub const HEADER_LENGTH: usize = 10;
/// RFC 1002 §4.4.2: DGM_LENGTH and PACKET_OFFSET, after the header of a data datagram.
pub const DATA_HEADER_LENGTH: usize = HEADER_LENGTH + 4;
/// RFC 1002 §4.4.3: a DATAGRAM ERROR is the header and the one-byte ERROR_CODE.
pub const ERROR_PACKET_LENGTH: usize = HEADER_LENGTH + 1;

/// RFC 1002 §4.4.1 MSG_TYPE values.
pub mod msg_type {
    /// DIRECT_UNIQUE DATAGRAM.
    pub const DIRECT_UNIQUE: u8 = 0x10;
    /// DIRECT_GROUP DATAGRAM.
    pub const DIRECT_GROUP: u8 = 0x11;
    /// BROADCAST DATAGRAM.
    pub const BROADCAST: u8 = 0x12;
    /// DATAGRAM ERROR.
    pub const ERROR: u8 = 0x13;
    /// DATAGRAM QUERY REQUEST.
    pub const QUERY_REQUEST: u8 = 0x14;
    /// DATAGRAM POSITIVE QUERY RESPONSE.
    pub const POSITIVE_QUERY_RESPONSE: u8 = 0x15;
    /// DATAGRAM NEGATIVE QUERY RESPONSE.
    pub const NEGATIVE_QUERY_RESPONSE: u8 = 0x16;
}

/// RFC 1002 §4.4.1 FLAGS: M, more fragments follow.
pub const FLAG_MORE: u8 = 0x01;
/// FLAGS: F, the first fragment of a datagram.
pub const FLAG_FIRST: u8 = 0x02;
/// FLAGS: the two SNT (source end-node type) bits.
pub const SNT_MASK: u8 = 0x0C;
/// FLAGS: the four reserved bits (zero on the wire; kept as received).
pub const RESERVED_FLAGS_MASK: u8 = 0xF0;

/// RFC 1002 §4.4.1 SNT: the sending node's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SourceNodeType {
    /// 00: B node.
    #[default]
    Broadcast,
    /// 01: P node.
    PointToPoint,
    /// 10: M node.
    Mixed,
    /// 11: NBDD (the RFC's datagram distribution server; Microsoft's H nodes send this too).
    Nbdd,
}

impl SourceNodeType {
    /// The type from the two SNT bits (`bits & 3`).
    pub fn from_bits(bits: u8) -> SourceNodeType {
        match bits & 0x3 {
            0 => SourceNodeType::Broadcast,
            1 => SourceNodeType::PointToPoint,
            2 => SourceNodeType::Mixed,
            _ => SourceNodeType::Nbdd,
        }
    }

    /// The two SNT bits.
    pub fn bits(self) -> u8 {
        match self {
            SourceNodeType::Broadcast => 0,
            SourceNodeType::PointToPoint => 1,
            SourceNodeType::Mixed => 2,
            SourceNodeType::Nbdd => 3,
        }
    }
}

/// FLAGS of the header (RFC 1002 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DatagramFlags {
    /// M: more fragments of this datagram follow.
    pub more: bool,
    /// F: this is the first fragment.
    pub first: bool,
    /// SNT: the source's node type.
    pub node_type: SourceNodeType,
    /// The four reserved bits (top nibble), kept as received so that packets re-encode
    /// exactly; zero in what we send.
    pub reserved: u8,
}

impl DatagramFlags {
    /// The flags of a datagram sent whole: F set, M clear.
    pub fn whole(node_type: SourceNodeType) -> DatagramFlags {
        DatagramFlags {
            more: false,
            first: true,
            node_type,
            reserved: 0,
        }
    }

    /// The FLAGS byte.
    pub fn to_byte(self) -> u8 {
        (self.reserved & RESERVED_FLAGS_MASK)
            | (self.node_type.bits() << 2)
            | if self.first { FLAG_FIRST } else { 0 }
            | if self.more { FLAG_MORE } else { 0 }
    }

    /// Flags from the FLAGS byte (every bit kept).
    pub fn from_byte(byte: u8) -> DatagramFlags {
        DatagramFlags {
            more: byte & FLAG_MORE != 0,
            first: byte & FLAG_FIRST != 0,
            node_type: SourceNodeType::from_bits((byte & SNT_MASK) >> 2),
            reserved: byte & RESERVED_FLAGS_MASK,
        }
    }
}

/// The header every datagram-service packet starts with, MSG_TYPE aside (RFC 1002 §4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatagramHeader {
    /// FLAGS.
    pub flags: DatagramFlags,
    /// DGM_ID: the same in every fragment of one datagram; a DATAGRAM ERROR or query response
    /// echoes the id of the packet it answers.
    pub id: u16,
    /// SOURCE_IP: the IP address of the node that sent the datagram originally (a datagram
    /// distribution server forwards it unchanged).
    pub source_ip: Ipv4Addr,
    /// SOURCE_PORT: the UDP port of that node.
    pub source_port: u16,
}

impl DatagramHeader {
    fn encode(&self, msg_type: u8, out: &mut Vec<u8>) {
        out.push(msg_type);
        out.push(self.flags.to_byte());
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.source_ip.octets());
        out.extend_from_slice(&self.source_port.to_be_bytes());
    }

    fn decode(reader: &mut Reader<'_>) -> Result<(u8, DatagramHeader), WireError> {
        let msg_type = reader.u8("MSG_TYPE")?;
        let flags = DatagramFlags::from_byte(reader.u8("FLAGS")?);
        let id = reader.u16("DGM_ID")?;
        let source_ip = Ipv4Addr::from(reader.array::<4>("SOURCE_IP")?);
        let source_port = reader.u16("SOURCE_PORT")?;
        Ok((
            msg_type,
            DatagramHeader {
                flags,
                id,
                source_ip,
                source_port,
            },
        ))
    }
}

/// The three datagrams that carry user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// DIRECT_UNIQUE (0x10): to a unique name.
    DirectUnique,
    /// DIRECT_GROUP (0x11): to a group name.
    DirectGroup,
    /// BROADCAST (0x12): to every node (NCBDGSENDBC).
    Broadcast,
}

impl DataKind {
    /// MSG_TYPE.
    pub fn msg_type(self) -> u8 {
        match self {
            DataKind::DirectUnique => msg_type::DIRECT_UNIQUE,
            DataKind::DirectGroup => msg_type::DIRECT_GROUP,
            DataKind::Broadcast => msg_type::BROADCAST,
        }
    }
}

/// A DIRECT_UNIQUE, DIRECT_GROUP or BROADCAST datagram, or one fragment of one
/// (RFC 1002 §4.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataDatagram {
    /// Which of the three.
    pub kind: DataKind,
    /// The header.
    pub header: DatagramHeader,
    /// PACKET_OFFSET: where this fragment's user data starts in the whole datagram's.
    pub packet_offset: u16,
    /// SOURCE_NAME: the sender's name.
    pub source: ScopedName,
    /// DESTINATION_NAME: the name it is for.
    pub destination: ScopedName,
    /// USER_DATA of this fragment.
    pub user_data: Vec<u8>,
}

impl DataDatagram {
    /// DGM_LENGTH of this datagram: the names (uncompressed) and the user data, or `None`
    /// when that does not fit in 16 bits.
    pub fn dgm_length(&self) -> Option<u16> {
        let length =
            self.source.encoded_length() + self.destination.encoded_length() + self.user_data.len();
        u16::try_from(length).ok()
    }
}

/// RFC 1002 §4.4.3 ERROR_CODE values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatagramErrorCode {
    /// 0x82: DESTINATION NAME NOT PRESENT.
    DestinationNameNotPresent,
    /// 0x83: INVALID SOURCE NAME FORMAT.
    InvalidSourceNameFormat,
    /// 0x84: INVALID DESTINATION NAME FORMAT.
    InvalidDestinationNameFormat,
    /// A code RFC 1002 does not define, kept as received.
    Other(u8),
}

impl DatagramErrorCode {
    /// The code from its byte.
    pub fn from_byte(byte: u8) -> DatagramErrorCode {
        match byte {
            0x82 => DatagramErrorCode::DestinationNameNotPresent,
            0x83 => DatagramErrorCode::InvalidSourceNameFormat,
            0x84 => DatagramErrorCode::InvalidDestinationNameFormat,
            other => DatagramErrorCode::Other(other),
        }
    }

    /// The byte.
    pub fn to_byte(self) -> u8 {
        match self {
            DatagramErrorCode::DestinationNameNotPresent => 0x82,
            DatagramErrorCode::InvalidSourceNameFormat => 0x83,
            DatagramErrorCode::InvalidDestinationNameFormat => 0x84,
            DatagramErrorCode::Other(other) => other,
        }
    }
}

/// The three packets of a datagram distribution server query (RFC 1002 §4.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// DATAGRAM QUERY REQUEST (0x14): can the NBDD forward to this name?
    Request,
    /// DATAGRAM POSITIVE QUERY RESPONSE (0x15).
    Positive,
    /// DATAGRAM NEGATIVE QUERY RESPONSE (0x16).
    Negative,
}

impl QueryKind {
    /// MSG_TYPE.
    pub fn msg_type(self) -> u8 {
        match self {
            QueryKind::Request => msg_type::QUERY_REQUEST,
            QueryKind::Positive => msg_type::POSITIVE_QUERY_RESPONSE,
            QueryKind::Negative => msg_type::NEGATIVE_QUERY_RESPONSE,
        }
    }
}

/// Any packet of the datagram service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatagramPacket {
    /// DIRECT_UNIQUE, DIRECT_GROUP or BROADCAST (0x10 to 0x12).
    Data(DataDatagram),
    /// DATAGRAM ERROR (0x13, RFC 1002 §4.4.3).
    Error {
        /// The header; DGM_ID is the failed datagram's.
        header: DatagramHeader,
        /// ERROR_CODE.
        code: DatagramErrorCode,
    },
    /// DATAGRAM QUERY REQUEST or RESPONSE (0x14 to 0x16, RFC 1002 §4.4.4).
    Query {
        /// Which of the three.
        kind: QueryKind,
        /// The header.
        header: DatagramHeader,
        /// DESTINATION_NAME: the name asked about.
        destination: ScopedName,
    },
}

impl DatagramPacket {
    /// MSG_TYPE.
    pub fn msg_type(&self) -> u8 {
        match self {
            DatagramPacket::Data(data) => data.kind.msg_type(),
            DatagramPacket::Error { .. } => msg_type::ERROR,
            DatagramPacket::Query { kind, .. } => kind.msg_type(),
        }
    }

    /// The header.
    pub fn header(&self) -> &DatagramHeader {
        match self {
            DatagramPacket::Data(data) => &data.header,
            DatagramPacket::Error { header, .. } | DatagramPacket::Query { header, .. } => header,
        }
    }

    /// The packet's bytes. Fails only for a data datagram whose names and user data exceed
    /// what DGM_LENGTH (16 bits) can count.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        self.header().encode(self.msg_type(), &mut out);
        match self {
            DatagramPacket::Data(data) => {
                let length = data.dgm_length().ok_or(WireError::DatagramTooLong {
                    length: data.source.encoded_length()
                        + data.destination.encoded_length()
                        + data.user_data.len(),
                })?;
                out.reserve(usize::from(length) + 4);
                out.extend_from_slice(&length.to_be_bytes());
                out.extend_from_slice(&data.packet_offset.to_be_bytes());
                data.source.encode(&mut out);
                data.destination.encode(&mut out);
                out.extend_from_slice(&data.user_data);
            }
            DatagramPacket::Error { code, .. } => out.push(code.to_byte()),
            DatagramPacket::Query { destination, .. } => destination.encode(&mut out),
        }
        Ok(out)
    }

    /// Decodes one packet, which must fill `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<DatagramPacket, WireError> {
        let mut reader = Reader::new(bytes);
        let (msg_type, header) = DatagramHeader::decode(&mut reader)?;
        let packet = match msg_type {
            msg_type::DIRECT_UNIQUE | msg_type::DIRECT_GROUP | msg_type::BROADCAST => {
                let kind = match msg_type {
                    msg_type::DIRECT_UNIQUE => DataKind::DirectUnique,
                    msg_type::DIRECT_GROUP => DataKind::DirectGroup,
                    _ => DataKind::Broadcast,
                };
                // DGM_LENGTH is only compared, never used to size or index anything.
                let dgm_length = usize::from(reader.u16("DGM_LENGTH")?);
                let packet_offset = reader.u16("PACKET_OFFSET")?;
                if dgm_length != reader.remaining() {
                    return Err(WireError::DatagramLengthMismatch {
                        dgm_length,
                        actual: reader.remaining(),
                    });
                }
                let source = WireLabels::read(&mut reader)?.into_scoped_name()?;
                let destination = WireLabels::read(&mut reader)?.into_scoped_name()?;
                let user_data = reader.rest().to_vec();
                DatagramPacket::Data(DataDatagram {
                    kind,
                    header,
                    packet_offset,
                    source,
                    destination,
                    user_data,
                })
            }
            msg_type::ERROR => DatagramPacket::Error {
                header,
                code: DatagramErrorCode::from_byte(reader.u8("ERROR_CODE")?),
            },
            msg_type::QUERY_REQUEST
            | msg_type::POSITIVE_QUERY_RESPONSE
            | msg_type::NEGATIVE_QUERY_RESPONSE => {
                let kind = match msg_type {
                    msg_type::QUERY_REQUEST => QueryKind::Request,
                    msg_type::POSITIVE_QUERY_RESPONSE => QueryKind::Positive,
                    _ => QueryKind::Negative,
                };
                let destination = WireLabels::read(&mut reader)?.into_scoped_name()?;
                DatagramPacket::Query {
                    kind,
                    header,
                    destination,
                }
            }
            other => return Err(WireError::UnknownDatagramType(other)),
        };
        if reader.remaining() > 0 {
            return Err(WireError::TrailingBytes {
                offset: reader.position(),
                length: reader.remaining(),
            });
        }
        Ok(packet)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::NetbiosName;

    fn header() -> DatagramHeader {
        DatagramHeader {
            flags: DatagramFlags::whole(SourceNodeType::Broadcast),
            id: 0x1234,
            source_ip: Ipv4Addr::new(198, 51, 100, 131),
            source_port: 138,
        }
    }

    fn name(text: &str) -> ScopedName {
        ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
    }

    fn data(kind: DataKind, user_data: &[u8]) -> DatagramPacket {
        DatagramPacket::Data(DataDatagram {
            kind,
            header: header(),
            packet_offset: 0,
            source: name("FRED"),
            destination: name("BARNEY#03"),
            user_data: user_data.to_vec(),
        })
    }

    #[test]
    fn a_direct_unique_datagram_is_laid_out_as_rfc_1002_draws_it() {
        let bytes = data(DataKind::DirectUnique, b"hi").encode().unwrap();
        assert_eq!(&bytes[..10], b"\x10\x02\x12\x34\xc6\x33\x64\x83\x00\x8a");
        assert_eq!(&bytes[10..12], &(34u16 + 34 + 2).to_be_bytes());
        assert_eq!(&bytes[12..14], b"\x00\x00");
        assert_eq!(bytes[14], 0x20);
        assert_eq!(&bytes[15..47], b"EGFCEFEECACACACACACACACACACACAAA");
        assert_eq!(bytes[47], 0);
        assert_eq!(&bytes[bytes.len() - 2..], b"hi");
        assert_eq!(
            DatagramPacket::decode(&bytes),
            Ok(data(DataKind::DirectUnique, b"hi"))
        );
    }

    #[test]
    fn error_and_query_packets_round_trip() {
        for code in [0x82, 0x83, 0x84, 0x99] {
            let packet = DatagramPacket::Error {
                header: header(),
                code: DatagramErrorCode::from_byte(code),
            };
            let bytes = packet.encode().unwrap();
            assert_eq!(bytes.len(), ERROR_PACKET_LENGTH);
            assert_eq!(bytes[0], 0x13);
            assert_eq!(bytes[10], code);
            assert_eq!(DatagramPacket::decode(&bytes), Ok(packet));
        }
        assert_eq!(
            DatagramErrorCode::from_byte(0x82),
            DatagramErrorCode::DestinationNameNotPresent
        );
        for kind in [QueryKind::Request, QueryKind::Positive, QueryKind::Negative] {
            let packet = DatagramPacket::Query {
                kind,
                header: header(),
                destination: name("WILMA#20"),
            };
            let bytes = packet.encode().unwrap();
            assert_eq!(bytes.len(), HEADER_LENGTH + 34);
            assert_eq!(bytes[0], kind.msg_type());
            assert_eq!(DatagramPacket::decode(&bytes), Ok(packet));
        }
    }

    #[test]
    fn every_cut_of_a_packet_fails_with_a_typed_error() {
        let packets = [
            data(DataKind::DirectGroup, b"payload"),
            DatagramPacket::Error {
                header: header(),
                code: DatagramErrorCode::InvalidSourceNameFormat,
            },
            DatagramPacket::Query {
                kind: QueryKind::Request,
                header: header(),
                destination: name("X"),
            },
        ];
        for packet in packets {
            let bytes = packet.encode().unwrap();
            for cut in 0..bytes.len() {
                assert!(DatagramPacket::decode(&bytes[..cut]).is_err(), "{cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(DatagramPacket::decode(&longer).is_err());
        }
    }

    #[test]
    fn hostile_lengths_and_types_are_refused() {
        let mut bytes = data(DataKind::Broadcast, b"abc").encode().unwrap();
        // DGM_LENGTH larger than the packet, then smaller.
        bytes[10..12].copy_from_slice(&0xFFFFu16.to_be_bytes());
        assert_eq!(
            DatagramPacket::decode(&bytes),
            Err(WireError::DatagramLengthMismatch {
                dgm_length: 0xFFFF,
                actual: 71
            })
        );
        bytes[10..12].copy_from_slice(&3u16.to_be_bytes());
        assert!(matches!(
            DatagramPacket::decode(&bytes),
            Err(WireError::DatagramLengthMismatch { dgm_length: 3, .. })
        ));
        bytes[0] = 0x17;
        assert_eq!(
            DatagramPacket::decode(&bytes),
            Err(WireError::UnknownDatagramType(0x17))
        );
        // DGM_LENGTH right, but a name that runs past it.
        let short = b"\x10\x02\x00\x01\x7f\x00\x00\x01\x00\x8a\x00\x03\x00\x00\x20AA";
        assert!(matches!(
            DatagramPacket::decode(short),
            Err(WireError::Truncated { field: "label", .. })
        ));
        // An error packet with bytes after ERROR_CODE.
        let mut trailing = DatagramPacket::Error {
            header: header(),
            code: DatagramErrorCode::Other(1),
        }
        .encode()
        .unwrap();
        trailing.extend_from_slice(b"xyz");
        assert_eq!(
            DatagramPacket::decode(&trailing),
            Err(WireError::TrailingBytes {
                offset: 11,
                length: 3
            })
        );
        let mut huge = DataDatagram {
            kind: DataKind::DirectUnique,
            header: header(),
            packet_offset: 0,
            source: name("A"),
            destination: name("B"),
            user_data: vec![0; 65_535 - 68],
        };
        assert!(DatagramPacket::Data(huge.clone()).encode().is_ok());
        huge.user_data.push(0);
        assert_eq!(
            DatagramPacket::Data(huge).encode(),
            Err(WireError::DatagramTooLong { length: 65_536 })
        );
    }

    #[test]
    fn compression_loops_in_names_are_refused_and_backward_pointers_followed() {
        // The source name, then a destination that points back at it: accepted, written back
        // uncompressed.
        let mut bytes = b"\x11\x02\x00\x07\x7f\x00\x00\x01\x00\x8a".to_vec();
        let mut names = Vec::new();
        name("FRED").encode(&mut names);
        names.extend_from_slice(&[0xC0, 14]);
        names.extend_from_slice(b"data");
        bytes.extend_from_slice(&(names.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&names);
        let DatagramPacket::Data(decoded) = DatagramPacket::decode(&bytes).unwrap() else {
            panic!("a data datagram");
        };
        assert_eq!(decoded.destination, name("FRED"));
        assert_eq!(decoded.user_data, b"data");
        let again = DatagramPacket::Data(decoded.clone()).encode().unwrap();
        assert_eq!(again.len(), bytes.len() + 32);
        assert_eq!(
            DatagramPacket::decode(&again),
            Ok(DatagramPacket::Data(decoded))
        );

        // A pointer to itself, and a pointer forwards, as the source name.
        for pointer in [[0xC0, 14], [0xC0, 16]] {
            let mut looped = b"\x12\x02\x00\x07\x7f\x00\x00\x01\x00\x8a\x00\x04\x00\x00".to_vec();
            looped.extend_from_slice(&pointer);
            looped.extend_from_slice(&[0xC0, 14]);
            assert!(matches!(
                DatagramPacket::decode(&looped),
                Err(WireError::PointerNotBackwards { offset: 14, .. })
            ));
        }
        // A query whose name is a pointer into the header: not a NetBIOS name.
        let into_header = b"\x14\x02\x00\x07\x7f\x00\x00\x01\x00\x8a\xC0\x00";
        assert!(DatagramPacket::decode(into_header).is_err());
    }

    #[test]
    fn flags_keep_every_bit() {
        for byte in 0..=u8::MAX {
            assert_eq!(DatagramFlags::from_byte(byte).to_byte(), byte);
        }
        let flags = DatagramFlags::from_byte(0x0A);
        assert!(flags.first && !flags.more);
        assert_eq!(flags.node_type, SourceNodeType::Mixed);
    }

    fn arb_name() -> impl Strategy<Value = ScopedName> {
        (
            any::<[u8; 16]>(),
            proptest::collection::vec("[A-Za-z0-9-]{1,20}", 0..3),
        )
            .prop_map(|(bytes, labels)| {
                ScopedName::with_scope(NetbiosName::from_bytes(bytes), &labels.join("."))
                    .expect("a short scope")
            })
    }

    fn arb_header() -> impl Strategy<Value = DatagramHeader> {
        (any::<u8>(), any::<u16>(), any::<[u8; 4]>(), any::<u16>()).prop_map(
            |(flags, id, ip, port)| DatagramHeader {
                flags: DatagramFlags::from_byte(flags),
                id,
                source_ip: Ipv4Addr::from(ip),
                source_port: port,
            },
        )
    }

    fn arb_packet() -> impl Strategy<Value = DatagramPacket> {
        let data = (
            prop_oneof![
                Just(DataKind::DirectUnique),
                Just(DataKind::DirectGroup),
                Just(DataKind::Broadcast)
            ],
            arb_header(),
            any::<u16>(),
            arb_name(),
            arb_name(),
            proptest::collection::vec(any::<u8>(), 0..600),
        )
            .prop_map(
                |(kind, header, packet_offset, source, destination, user_data)| {
                    DatagramPacket::Data(DataDatagram {
                        kind,
                        header,
                        packet_offset,
                        source,
                        destination,
                        user_data,
                    })
                },
            );
        let error = (arb_header(), any::<u8>()).prop_map(|(header, code)| DatagramPacket::Error {
            header,
            code: DatagramErrorCode::from_byte(code),
        });
        let query = (
            prop_oneof![
                Just(QueryKind::Request),
                Just(QueryKind::Positive),
                Just(QueryKind::Negative)
            ],
            arb_header(),
            arb_name(),
        )
            .prop_map(|(kind, header, destination)| DatagramPacket::Query {
                kind,
                header,
                destination,
            });
        prop_oneof![data, error, query]
    }

    proptest! {
        #[test]
        fn packets_round_trip(packet in arb_packet()) {
            let bytes = packet.encode().unwrap();
            prop_assert_eq!(DatagramPacket::decode(&bytes), Ok(packet));
        }

        #[test]
        fn any_bytes_decode_or_fail_without_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            if let Ok(packet) = DatagramPacket::decode(&bytes) {
                let again = packet.encode().unwrap();
                prop_assert!(again.len() >= bytes.len());
                prop_assert_eq!(DatagramPacket::decode(&again), Ok(packet));
            }
        }

        #[test]
        fn valid_headers_with_any_tail_never_panic(
            msg_type in 0x10u8..=0x16,
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = vec![msg_type, 0x02, 0, 1, 127, 0, 0, 1, 0, 138];
            if msg_type <= 0x12 {
                bytes.extend_from_slice(&(tail.len() as u16).to_be_bytes());
                bytes.extend_from_slice(&[0, 0]);
            }
            bytes.extend_from_slice(&tail);
            let _ = DatagramPacket::decode(&bytes);
        }
    }
}
