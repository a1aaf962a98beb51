//! Name-service packets (RFC 1002 §4.2): one DNS-shaped structure — header, questions and
//! three sections of resource records — that holds every packet of the name service, with
//! constructors for each packet the engines send and [`Packet::kind`] to tell them apart.
//!
//! Decoding keeps what is needed to re-encode the same bytes: the raw NM_FLAGS, whether a
//! record's name was a compression pointer (Samba points the additional record of a registration
//! at the question), unknown RDATA, and bytes after the last record.

use std::net::Ipv4Addr;

use crate::wire::WireError;
use crate::wire::name::{NAME_LENGTH, NetbiosName, ScopedName};
use crate::wire::reader::Reader;

/// RFC 1002 §4.2.1.1: header length.
pub const HEADER_LENGTH: usize = 12;
/// RFC 1002 §4.2.1.3: RR_TYPE NB (general name service resource record).
pub const RR_TYPE_NB: u16 = 0x0020;
/// RFC 1002 §4.2.1.3: RR_TYPE NBSTAT (node status resource record).
pub const RR_TYPE_NBSTAT: u16 = 0x0021;
/// RFC 1002 §4.2.1.3: RR_TYPE A (IP address), in redirects.
pub const RR_TYPE_A: u16 = 0x0001;
/// RFC 1002 §4.2.1.3: RR_TYPE NS (name server), in redirects.
pub const RR_TYPE_NS: u16 = 0x0002;
/// RFC 1002 §4.2.1.3: RR_TYPE NULL, in WACKs.
pub const RR_TYPE_NULL: u16 = 0x000A;
/// RFC 1002 §4.2.1.3: RR_CLASS IN.
pub const RR_CLASS_IN: u16 = 0x0001;

/// RFC 1002 §4.2.1.1 NM_FLAGS: authoritative answer.
pub const FLAG_AUTHORITATIVE: u8 = 0x40;
/// NM_FLAGS: truncation.
pub const FLAG_TRUNCATED: u8 = 0x20;
/// NM_FLAGS: recursion desired.
pub const FLAG_RECURSION_DESIRED: u8 = 0x10;
/// NM_FLAGS: recursion available.
pub const FLAG_RECURSION_AVAILABLE: u8 = 0x08;
/// NM_FLAGS: broadcast.
pub const FLAG_BROADCAST: u8 = 0x01;

/// RFC 1002 §4.2.1.1 RCODEs.
pub mod rcode {
    /// No error.
    pub const OK: u8 = 0x0;
    /// Format error: the request was malformed.
    pub const FORMAT_ERROR: u8 = 0x1;
    /// Server failure.
    pub const SERVER_ERROR: u8 = 0x2;
    /// The name does not exist.
    pub const NAME_ERROR: u8 = 0x3;
    /// Unsupported request.
    pub const NOT_IMPLEMENTED: u8 = 0x4;
    /// Refused for policy reasons.
    pub const REFUSED: u8 = 0x5;
    /// Active error: the name is owned by another node.
    pub const ACTIVE_ERROR: u8 = 0x6;
    /// Name in conflict.
    pub const CONFLICT_ERROR: u8 = 0x7;
}

/// RFC 1002 §4.2.1.1 OPCODEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0: name query (and node status).
    Query,
    /// 5: name registration.
    Registration,
    /// 6: name release.
    Release,
    /// 7: WACK (wait for acknowledgement).
    Wack,
    /// 8: name refresh, as RFC 1002 numbers it.
    Refresh,
    /// 9: name refresh, as most implementations send it.
    RefreshAlternate,
    /// 15: multi-homed name registration (Microsoft).
    MultiHomedRegistration,
}

impl Opcode {
    /// The opcode from its 4-bit value.
    pub fn from_bits(bits: u8) -> Result<Opcode, WireError> {
        Ok(match bits {
            0x0 => Opcode::Query,
            0x5 => Opcode::Registration,
            0x6 => Opcode::Release,
            0x7 => Opcode::Wack,
            0x8 => Opcode::Refresh,
            0x9 => Opcode::RefreshAlternate,
            0xF => Opcode::MultiHomedRegistration,
            other => return Err(WireError::UnknownOpcode(other)),
        })
    }

    /// The 4-bit value.
    pub fn bits(self) -> u8 {
        match self {
            Opcode::Query => 0x0,
            Opcode::Registration => 0x5,
            Opcode::Release => 0x6,
            Opcode::Wack => 0x7,
            Opcode::Refresh => 0x8,
            Opcode::RefreshAlternate => 0x9,
            Opcode::MultiHomedRegistration => 0xF,
        }
    }
}

/// The header (RFC 1002 §4.2.1.1); the section counts come from the packet's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// NAME_TRN_ID.
    pub transaction_id: u16,
    /// The R bit: a response.
    pub response: bool,
    /// The operation.
    pub opcode: Opcode,
    /// The seven NM_FLAGS bits (`FLAG_*`), reserved bits kept as received.
    pub flags: u8,
    /// The RCODE.
    pub rcode: u8,
}

impl Header {
    /// Whether every bit of `flag` is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }
}

/// A question entry (RFC 1002 §4.2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// QUESTION_NAME.
    pub name: ScopedName,
    /// QUESTION_TYPE: NB or NBSTAT.
    pub question_type: u16,
    /// QUESTION_CLASS: IN.
    pub question_class: u16,
}

/// One entry of NB RDATA (RFC 1002 §4.2.1.3): flags and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NbEntry {
    /// NB_FLAGS: the G bit (0x8000), the ONT bits (0x6000), the rest reserved.
    pub flags: u16,
    /// NB_ADDRESS.
    pub address: Ipv4Addr,
}

impl NbEntry {
    /// The G bit: 0x8000.
    pub const GROUP: u16 = 0x8000;

    /// An entry for `address`, a group name if `group`, owned by a node of type `ont`
    /// (0 B, 1 P, 2 M, 3 H).
    pub fn new(address: Ipv4Addr, group: bool, ont: u8) -> NbEntry {
        let group = if group { NbEntry::GROUP } else { 0 };
        NbEntry {
            flags: group | (u16::from(ont & 0x3) << 13),
            address,
        }
    }

    /// Whether the name is a group name.
    pub fn is_group(&self) -> bool {
        self.flags & NbEntry::GROUP != 0
    }

    /// The owner node type (0 B, 1 P, 2 M, 3 H).
    pub fn owner_node_type(&self) -> u8 {
        ((self.flags >> 13) & 0x3) as u8
    }
}

/// NAME_FLAGS of a node status name entry (RFC 1002 §4.2.18).
pub mod name_flags {
    /// Group name.
    pub const GROUP: u16 = 0x8000;
    /// Owner node type (two bits).
    pub const ONT_MASK: u16 = 0x6000;
    /// Being deregistered.
    pub const DEREGISTERING: u16 = 0x1000;
    /// In conflict.
    pub const CONFLICT: u16 = 0x0800;
    /// Active.
    pub const ACTIVE: u16 = 0x0400;
    /// Permanent (the node's own name).
    pub const PERMANENT: u16 = 0x0200;
}

/// One name of a node status response's name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeName {
    /// The name.
    pub name: NetbiosName,
    /// NAME_FLAGS (`name_flags::*`).
    pub flags: u16,
}

impl NodeName {
    /// Whether it is a group name.
    pub fn is_group(&self) -> bool {
        self.flags & name_flags::GROUP != 0
    }
}

/// Node status RDATA (RFC 1002 §4.2.18): the name table and the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The name table.
    pub names: Vec<NodeName>,
    /// The statistics as sent: the unit id (MAC) first, then the RFC's counters. Peers send
    /// fewer bytes than the RFC's 46 (Samba sends 46 minus a few); they are kept as they came.
    pub statistics: Vec<u8>,
}

/// The RFC's length of the statistics block.
pub const STATISTICS_LENGTH: usize = 46;

impl NodeStatus {
    /// A name table with the unit id `mac` and the RFC's other statistics zeroed.
    pub fn new(names: Vec<NodeName>, mac: [u8; 6]) -> NodeStatus {
        let mut statistics = vec![0u8; STATISTICS_LENGTH];
        statistics[..6].copy_from_slice(&mac);
        NodeStatus { names, statistics }
    }

    /// The unit id (MAC address), if the statistics hold one.
    pub fn unit_id(&self) -> Option<[u8; 6]> {
        self.statistics
            .get(..6)
            .and_then(|bytes| bytes.try_into().ok())
    }

    fn decode(rdata: &[u8]) -> Result<NodeStatus, WireError> {
        let mut reader = Reader::new(rdata);
        let count = usize::from(reader.u8()?);
        let count = reader.checked_count(count, NAME_LENGTH + 2, "node status names")?;
        let mut names = Vec::with_capacity(count);
        for _ in 0..count {
            let name = NetbiosName::from_bytes(reader.array()?);
            let flags = reader.u16()?;
            names.push(NodeName { name, flags });
        }
        let statistics = reader.take(reader.remaining())?.to_vec();
        Ok(NodeStatus { names, statistics })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        // At most 255 names fit the count byte; more are cut, never miscounted.
        let names = &self.names[..self.names.len().min(255)];
        out.push(names.len() as u8);
        for entry in names {
            out.extend_from_slice(entry.name.as_bytes());
            out.extend_from_slice(&entry.flags.to_be_bytes());
        }
        out.extend_from_slice(&self.statistics);
    }
}

/// Resource record data, decoded by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// NB: addresses with flags (empty in negative responses).
    Nb(Vec<NbEntry>),
    /// NBSTAT: a node status.
    NodeStatus(NodeStatus),
    /// A: an address (redirects).
    A(Ipv4Addr),
    /// Anything else (NULL in WACKs, NS in redirects), as sent.
    Other(Vec<u8>),
}

impl RecordData {
    fn decode(record_type: u16, rdata: &[u8]) -> Result<RecordData, WireError> {
        Ok(match record_type {
            RR_TYPE_NB if rdata.len().is_multiple_of(6) => RecordData::Nb(
                rdata
                    .chunks_exact(6)
                    .map(|entry| NbEntry {
                        flags: u16::from_be_bytes([entry[0], entry[1]]),
                        address: Ipv4Addr::new(entry[2], entry[3], entry[4], entry[5]),
                    })
                    .collect(),
            ),
            RR_TYPE_NB => {
                return Err(WireError::BadRecordLength {
                    record_type,
                    length: rdata.len(),
                });
            }
            RR_TYPE_NBSTAT => RecordData::NodeStatus(NodeStatus::decode(rdata)?),
            RR_TYPE_A if rdata.len() == 4 => {
                RecordData::A(Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]))
            }
            _ => RecordData::Other(rdata.to_vec()),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RecordData::Nb(entries) => {
                for entry in entries {
                    out.extend_from_slice(&entry.flags.to_be_bytes());
                    out.extend_from_slice(&entry.address.octets());
                }
            }
            RecordData::NodeStatus(status) => status.encode(out),
            RecordData::A(address) => out.extend_from_slice(&address.octets()),
            RecordData::Other(bytes) => out.extend_from_slice(bytes),
        }
    }
}

/// A resource record (RFC 1002 §4.2.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// RR_NAME.
    pub name: ScopedName,
    /// The offset RR_NAME pointed at, if it was sent as a compression pointer.
    pub name_pointer: Option<u16>,
    /// RR_TYPE.
    pub record_type: u16,
    /// RR_CLASS.
    pub record_class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// RDATA.
    pub data: RecordData,
}

impl ResourceRecord {
    /// The NB entries, if this is an NB record.
    pub fn nb_entries(&self) -> Option<&[NbEntry]> {
        match &self.data {
            RecordData::Nb(entries) => Some(entries),
            _ => None,
        }
    }
}

/// A name-service packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The header.
    pub header: Header,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<ResourceRecord>,
    /// The authority section.
    pub authorities: Vec<ResourceRecord>,
    /// The additional section.
    pub additionals: Vec<ResourceRecord>,
    /// Bytes after the last record, kept as received.
    pub trailing: Vec<u8>,
}

/// What a packet is, for dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// NAME QUERY REQUEST.
    NameQuery,
    /// NODE STATUS REQUEST.
    NodeStatusQuery,
    /// POSITIVE or NEGATIVE NAME QUERY RESPONSE (the RCODE tells).
    NameQueryResponse,
    /// REDIRECT NAME QUERY RESPONSE (NS and A records point at another server).
    Redirect,
    /// NODE STATUS RESPONSE.
    NodeStatusResponse,
    /// NAME REGISTRATION REQUEST (or overwrite demand, when not recursive).
    Registration,
    /// MULTI-HOMED NAME REGISTRATION REQUEST.
    MultiHomedRegistration,
    /// NAME REGISTRATION RESPONSE, positive or negative.
    RegistrationResponse,
    /// NAME CONFLICT DEMAND (a registration response with CFT_ERR).
    ConflictDemand,
    /// NAME RELEASE REQUEST.
    Release,
    /// NAME RELEASE RESPONSE.
    ReleaseResponse,
    /// NAME REFRESH REQUEST.
    Refresh,
    /// NAME REFRESH RESPONSE.
    RefreshResponse,
    /// WACK.
    Wack,
    /// Consistent in its header but not a packet the RFC defines.
    Other,
}

impl Packet {
    fn empty(header: Header) -> Packet {
        Packet {
            header,
            questions: Vec::new(),
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
            trailing: Vec::new(),
        }
    }

    fn request(transaction_id: u16, opcode: Opcode, flags: u8) -> Packet {
        Packet::empty(Header {
            transaction_id,
            response: false,
            opcode,
            flags,
            rcode: rcode::OK,
        })
    }

    fn response(transaction_id: u16, opcode: Opcode, flags: u8, rcode: u8) -> Packet {
        Packet::empty(Header {
            transaction_id,
            response: true,
            opcode,
            flags,
            rcode,
        })
    }

    fn question(name: ScopedName, question_type: u16) -> Question {
        Question {
            name,
            question_type,
            question_class: RR_CLASS_IN,
        }
    }

    fn record(name: ScopedName, record_type: u16, ttl: u32, data: RecordData) -> ResourceRecord {
        ResourceRecord {
            name,
            name_pointer: None,
            record_type,
            record_class: RR_CLASS_IN,
            ttl,
            data,
        }
    }

    /// The additional record of a registration, release or refresh: the question's name as a
    /// pointer to it (offset 12), as Samba and Windows send it.
    fn pointer_record(name: ScopedName, ttl: u32, entry: NbEntry) -> ResourceRecord {
        ResourceRecord {
            name_pointer: Some(HEADER_LENGTH as u16),
            ..Packet::record(name, RR_TYPE_NB, ttl, RecordData::Nb(vec![entry]))
        }
    }

    /// NAME QUERY REQUEST (RFC 1002 §4.2.12): broadcast or unicast, recursive or not.
    pub fn name_query(
        transaction_id: u16,
        name: ScopedName,
        broadcast: bool,
        recursion: bool,
    ) -> Packet {
        let mut flags = 0;
        if broadcast {
            flags |= FLAG_BROADCAST;
        }
        if recursion {
            flags |= FLAG_RECURSION_DESIRED;
        }
        let mut packet = Packet::request(transaction_id, Opcode::Query, flags);
        packet.questions.push(Packet::question(name, RR_TYPE_NB));
        packet
    }

    /// NODE STATUS REQUEST (RFC 1002 §4.2.17), usually for the wildcard name.
    pub fn node_status_query(transaction_id: u16, name: ScopedName) -> Packet {
        let mut packet = Packet::request(transaction_id, Opcode::Query, 0);
        packet
            .questions
            .push(Packet::question(name, RR_TYPE_NBSTAT));
        packet
    }

    /// POSITIVE NAME QUERY RESPONSE (RFC 1002 §4.2.13), flags as Samba sends them.
    pub fn positive_query_response(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entries: Vec<NbEntry>,
    ) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let mut packet = Packet::response(transaction_id, Opcode::Query, flags, rcode::OK);
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NB,
            ttl,
            RecordData::Nb(entries),
        ));
        packet
    }

    /// NEGATIVE NAME QUERY RESPONSE (RFC 1002 §4.2.14) with `rcode`: a NULL record without
    /// RDATA, as Samba sends it.
    pub fn negative_query_response(transaction_id: u16, name: ScopedName, rcode: u8) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let mut packet = Packet::response(transaction_id, Opcode::Query, flags, rcode);
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NULL,
            0,
            RecordData::Other(Vec::new()),
        ));
        packet
    }

    /// NODE STATUS RESPONSE (RFC 1002 §4.2.18).
    pub fn node_status_response(
        transaction_id: u16,
        name: ScopedName,
        status: NodeStatus,
    ) -> Packet {
        let mut packet =
            Packet::response(transaction_id, Opcode::Query, FLAG_AUTHORITATIVE, rcode::OK);
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NBSTAT,
            0,
            RecordData::NodeStatus(status),
        ));
        packet
    }

    /// NAME REGISTRATION REQUEST (RFC 1002 §4.2.2), or a broadcast one when `broadcast`.
    pub fn registration_request(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
        broadcast: bool,
    ) -> Packet {
        let mut flags = FLAG_RECURSION_DESIRED;
        if broadcast {
            flags |= FLAG_BROADCAST;
        }
        let mut packet = Packet::request(transaction_id, Opcode::Registration, flags);
        packet
            .questions
            .push(Packet::question(name.clone(), RR_TYPE_NB));
        packet
            .additionals
            .push(Packet::pointer_record(name, ttl, entry));
        packet
    }

    /// NAME REFRESH REQUEST (RFC 1002 §4.2.4), with opcode 8.
    pub fn refresh_request(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        let mut packet = Packet::request(transaction_id, Opcode::Refresh, 0);
        packet
            .questions
            .push(Packet::question(name.clone(), RR_TYPE_NB));
        packet
            .additionals
            .push(Packet::pointer_record(name, ttl, entry));
        packet
    }

    /// NAME RELEASE REQUEST (RFC 1002 §4.2.9), broadcast or to a name server.
    pub fn release_request(
        transaction_id: u16,
        name: ScopedName,
        entry: NbEntry,
        broadcast: bool,
    ) -> Packet {
        let flags = if broadcast { FLAG_BROADCAST } else { 0 };
        let mut packet = Packet::request(transaction_id, Opcode::Release, flags);
        packet
            .questions
            .push(Packet::question(name.clone(), RR_TYPE_NB));
        packet
            .additionals
            .push(Packet::pointer_record(name, 0, entry));
        packet
    }

    /// NAME REGISTRATION RESPONSE (RFC 1002 §4.2.5, §4.2.6): positive with `rcode` 0, a
    /// defence with ACT_ERR, a conflict demand with CFT_ERR (§4.2.8). `entry` echoes the
    /// request's NB entry, as RFC 1002 and Samba do.
    pub fn registration_response(
        transaction_id: u16,
        name: ScopedName,
        rcode: u8,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let mut packet = Packet::response(transaction_id, Opcode::Registration, flags, rcode);
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NB,
            ttl,
            RecordData::Nb(vec![entry]),
        ));
        packet
    }

    /// NAME RELEASE RESPONSE (RFC 1002 §4.2.10, §4.2.11).
    pub fn release_response(
        transaction_id: u16,
        name: ScopedName,
        rcode: u8,
        entry: NbEntry,
    ) -> Packet {
        let flags = FLAG_AUTHORITATIVE;
        let mut packet = Packet::response(transaction_id, Opcode::Release, flags, rcode);
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NB,
            0,
            RecordData::Nb(vec![entry]),
        ));
        packet
    }

    /// WACK (RFC 1002 §4.2.16): wait `ttl` seconds; RDATA echoes the request's header flags.
    pub fn wait_for_acknowledgement(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        request: &Header,
    ) -> Packet {
        let mut packet =
            Packet::response(transaction_id, Opcode::Wack, FLAG_AUTHORITATIVE, rcode::OK);
        let echoed = header_word(*request).to_be_bytes().to_vec();
        packet.answers.push(Packet::record(
            name,
            RR_TYPE_NULL,
            ttl,
            RecordData::Other(echoed),
        ));
        packet
    }

    /// What this packet is.
    pub fn kind(&self) -> PacketKind {
        let header = &self.header;
        let question_type = self.questions.first().map(|q| q.question_type);
        let answer_type = self.answers.first().map(|r| r.record_type);
        match (header.response, header.opcode) {
            (false, Opcode::Query) => match question_type {
                Some(RR_TYPE_NB) => PacketKind::NameQuery,
                Some(RR_TYPE_NBSTAT) => PacketKind::NodeStatusQuery,
                _ => PacketKind::Other,
            },
            (true, Opcode::Query) => match answer_type {
                Some(RR_TYPE_NBSTAT) => PacketKind::NodeStatusResponse,
                Some(_) => PacketKind::NameQueryResponse,
                None if self.authorities.iter().any(|r| r.record_type == RR_TYPE_NS) => {
                    PacketKind::Redirect
                }
                None => PacketKind::Other,
            },
            (false, Opcode::Registration) => PacketKind::Registration,
            (false, Opcode::MultiHomedRegistration) => PacketKind::MultiHomedRegistration,
            (true, Opcode::Registration | Opcode::MultiHomedRegistration)
                if header.rcode == rcode::CONFLICT_ERROR =>
            {
                PacketKind::ConflictDemand
            }
            (true, Opcode::Registration | Opcode::MultiHomedRegistration) => {
                PacketKind::RegistrationResponse
            }
            (false, Opcode::Release) => PacketKind::Release,
            (true, Opcode::Release) => PacketKind::ReleaseResponse,
            (false, Opcode::Refresh | Opcode::RefreshAlternate) => PacketKind::Refresh,
            (true, Opcode::Refresh | Opcode::RefreshAlternate) => PacketKind::RefreshResponse,
            (true, Opcode::Wack) => PacketKind::Wack,
            (false, Opcode::Wack) => PacketKind::Other,
        }
    }

    /// The name the packet is about: the first question's, or else the first answer's.
    pub fn subject(&self) -> Option<&ScopedName> {
        self.questions
            .first()
            .map(|q| &q.name)
            .or_else(|| self.answers.first().map(|r| &r.name))
    }

    /// Decodes one packet. Never panics; every length and count is checked before use.
    pub fn decode(bytes: &[u8]) -> Result<Packet, WireError> {
        let mut reader = Reader::new(bytes);
        let transaction_id = reader.u16()?;
        let word = reader.u16()?;
        let header = Header {
            transaction_id,
            response: word & 0x8000 != 0,
            opcode: Opcode::from_bits(((word >> 11) & 0xF) as u8)?,
            flags: ((word >> 4) & 0x7F) as u8,
            rcode: (word & 0xF) as u8,
        };
        let question_count = usize::from(reader.u16()?);
        let answer_count = usize::from(reader.u16()?);
        let authority_count = usize::from(reader.u16()?);
        let additional_count = usize::from(reader.u16()?);
        // A question takes at least 6 bytes (a pointer and type and class), a record 12.
        let question_count = reader.checked_count(question_count, 6, "questions")?;
        let mut packet = Packet::empty(header);
        packet.questions.reserve(question_count);
        for _ in 0..question_count {
            let (name, _) = ScopedName::decode(&mut reader)?;
            packet.questions.push(Question {
                name,
                question_type: reader.u16()?,
                question_class: reader.u16()?,
            });
        }
        packet.answers = decode_records(&mut reader, answer_count, "answer records")?;
        packet.authorities = decode_records(&mut reader, authority_count, "authority records")?;
        packet.additionals = decode_records(&mut reader, additional_count, "additional records")?;
        packet.trailing = reader.take(reader.remaining())?.to_vec();
        Ok(packet)
    }

    /// Encodes the packet; `Packet::decode(&p.encode()) == Ok(p)` for every decoded packet.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&self.header.transaction_id.to_be_bytes());
        out.extend_from_slice(&header_word(self.header).to_be_bytes());
        for count in [
            self.questions.len(),
            self.answers.len(),
            self.authorities.len(),
            self.additionals.len(),
        ] {
            out.extend_from_slice(&(count.min(usize::from(u16::MAX)) as u16).to_be_bytes());
        }
        for question in &self.questions {
            question.name.encode(&mut out);
            out.extend_from_slice(&question.question_type.to_be_bytes());
            out.extend_from_slice(&question.question_class.to_be_bytes());
        }
        for record in self
            .answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
        {
            match record.name_pointer {
                Some(target) => out.extend_from_slice(&(0xC000 | (target & 0x3FFF)).to_be_bytes()),
                None => record.name.encode(&mut out),
            }
            out.extend_from_slice(&record.record_type.to_be_bytes());
            out.extend_from_slice(&record.record_class.to_be_bytes());
            out.extend_from_slice(&record.ttl.to_be_bytes());
            let length_at = out.len();
            out.extend_from_slice(&[0, 0]);
            record.data.encode(&mut out);
            let length = (out.len() - length_at - 2).min(usize::from(u16::MAX)) as u16;
            out[length_at..length_at + 2].copy_from_slice(&length.to_be_bytes());
        }
        out.extend_from_slice(&self.trailing);
        out
    }
}

fn header_word(header: Header) -> u16 {
    (u16::from(header.response) << 15)
        | (u16::from(header.opcode.bits()) << 11)
        | (u16::from(header.flags & 0x7F) << 4)
        | u16::from(header.rcode & 0xF)
}

/// `count` records; each takes at least 12 bytes (a pointer, type, class, TTL, length).
fn decode_records(
    reader: &mut Reader<'_>,
    count: usize,
    what: &'static str,
) -> Result<Vec<ResourceRecord>, WireError> {
    let count = reader.checked_count(count, 12, what)?;
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        records.push(decode_record(reader)?);
    }
    Ok(records)
}

fn decode_record(reader: &mut Reader<'_>) -> Result<ResourceRecord, WireError> {
    let (name, name_pointer) = ScopedName::decode(reader)?;
    let record_type = reader.u16()?;
    let record_class = reader.u16()?;
    let ttl = reader.u32()?;
    let length = usize::from(reader.u16()?);
    let rdata = reader.take(length)?;
    Ok(ResourceRecord {
        name,
        name_pointer,
        record_type,
        record_class,
        ttl,
        data: RecordData::decode(record_type, rdata)?,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn arb_name() -> impl Strategy<Value = ScopedName> {
        (
            proptest::array::uniform16(any::<u8>()),
            proptest::collection::vec("[a-z0-9]{1,12}", 0..3),
        )
            .prop_map(|(bytes, labels)| ScopedName {
                name: NetbiosName::from_bytes(bytes),
                scope: labels.join("."),
            })
    }

    fn arb_entry() -> impl Strategy<Value = NbEntry> {
        (any::<u16>(), any::<[u8; 4]>()).prop_map(|(flags, ip)| NbEntry {
            flags,
            address: Ipv4Addr::from(ip),
        })
    }

    fn arb_data() -> impl Strategy<Value = (u16, RecordData)> {
        prop_oneof![
            proptest::collection::vec(arb_entry(), 0..4)
                .prop_map(|e| (RR_TYPE_NB, RecordData::Nb(e))),
            (
                proptest::collection::vec(
                    (proptest::array::uniform16(any::<u8>()), any::<u16>()),
                    0..5
                ),
                proptest::collection::vec(any::<u8>(), 0..50),
            )
                .prop_map(|(names, statistics)| (
                    RR_TYPE_NBSTAT,
                    RecordData::NodeStatus(NodeStatus {
                        names: names
                            .into_iter()
                            .map(|(bytes, flags)| NodeName {
                                name: NetbiosName::from_bytes(bytes),
                                flags
                            })
                            .collect(),
                        statistics,
                    })
                )),
            any::<[u8; 4]>().prop_map(|ip| (RR_TYPE_A, RecordData::A(Ipv4Addr::from(ip)))),
            proptest::collection::vec(any::<u8>(), 0..8)
                .prop_map(|bytes| (RR_TYPE_NULL, RecordData::Other(bytes))),
        ]
    }

    fn arb_record() -> impl Strategy<Value = ResourceRecord> {
        (arb_name(), any::<bool>(), arb_data(), any::<u32>()).prop_map(
            |(name, pointer, (record_type, data), ttl)| ResourceRecord {
                // A pointer must point backwards at a name: the first question's, at 12.
                name_pointer: None.or(pointer.then_some(HEADER_LENGTH as u16)),
                name,
                record_type,
                record_class: RR_CLASS_IN,
                ttl,
                data,
            },
        )
    }

    fn arb_packet() -> impl Strategy<Value = Packet> {
        (
            any::<u16>(),
            any::<bool>(),
            prop_oneof![
                Just(0u8),
                Just(5),
                Just(6),
                Just(7),
                Just(8),
                Just(9),
                Just(15)
            ],
            0u8..0x80,
            0u8..16,
            arb_name(),
            proptest::collection::vec(arb_record(), 0..3),
            proptest::collection::vec(arb_record(), 0..2),
            proptest::collection::vec(arb_record(), 0..2),
        )
            .prop_map(
                |(
                    id,
                    response,
                    opcode,
                    flags,
                    rcode,
                    question,
                    answers,
                    authorities,
                    additionals,
                )| {
                    let mut packet = Packet::empty(Header {
                        transaction_id: id,
                        response,
                        opcode: Opcode::from_bits(opcode).expect("a valid opcode"),
                        flags,
                        rcode,
                    });
                    packet.questions.push(Question {
                        name: question.clone(),
                        question_type: RR_TYPE_NB,
                        question_class: RR_CLASS_IN,
                    });
                    // A pointer stands for the question's name, so the record carries it.
                    let point = |mut record: ResourceRecord| {
                        if record.name_pointer.is_some() {
                            record.name = question.clone();
                        }
                        record
                    };
                    packet.answers = answers.into_iter().map(point).collect();
                    packet.authorities = authorities.into_iter().map(point).collect();
                    packet.additionals = additionals.into_iter().map(point).collect();
                    packet
                },
            )
    }

    proptest! {
        #[test]
        fn packets_round_trip(packet in arb_packet()) {
            let bytes = packet.encode();
            prop_assert_eq!(Packet::decode(&bytes), Ok(packet));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Packet::decode(&bytes);
        }

        #[test]
        fn mutated_packets_never_panic(packet in arb_packet(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut bytes = packet.encode();
            for (at, value) in flips {
                let len = bytes.len();
                bytes[at % len] = value;
            }
            if let Ok(decoded) = Packet::decode(&bytes) {
                // Whatever decodes re-encodes to a packet that decodes the same.
                prop_assert_eq!(Packet::decode(&decoded.encode()), Ok(decoded));
            }
        }
    }

    #[test]
    fn counts_larger_than_the_packet_are_refused_before_allocating() {
        let mut bytes =
            Packet::name_query(1, ScopedName::new(NetbiosName::wildcard()), false, false).encode();
        bytes[4..6].copy_from_slice(&u16::MAX.to_be_bytes());
        assert!(matches!(
            Packet::decode(&bytes),
            Err(WireError::CountTooLarge {
                what: "questions",
                count: 65535,
                ..
            })
        ));
        let mut status = vec![0u8; 3];
        status[0] = 200;
        assert!(matches!(
            NodeStatus::decode(&status),
            Err(WireError::CountTooLarge {
                what: "node status names",
                ..
            })
        ));
    }

    #[test]
    fn unknown_opcodes_and_bad_rdata_lengths_are_typed_errors() {
        let mut bytes =
            Packet::name_query(1, ScopedName::new(NetbiosName::wildcard()), false, false).encode();
        bytes[2] = 0x18; // opcode 3
        assert_eq!(Packet::decode(&bytes), Err(WireError::UnknownOpcode(3)));
        let mut response = Packet::positive_query_response(
            2,
            ScopedName::new(NetbiosName::wildcard()),
            0,
            vec![NbEntry::new(Ipv4Addr::LOCALHOST, false, 0)],
        )
        .encode();
        // Claim 5 bytes of RDATA and drop one: an NB record must be a multiple of 6.
        let length_at = response.len() - 8;
        response[length_at..length_at + 2].copy_from_slice(&5u16.to_be_bytes());
        response.pop();
        assert_eq!(
            Packet::decode(&response),
            Err(WireError::BadRecordLength {
                record_type: RR_TYPE_NB,
                length: 5
            })
        );
    }

    #[test]
    fn packet_kinds_are_told_apart() {
        let name = ScopedName::new("FRED".parse().expect("a name"));
        let entry = NbEntry::new(Ipv4Addr::new(198, 51, 100, 9), false, 0);
        let cases = [
            (
                Packet::name_query(1, name.clone(), true, false),
                PacketKind::NameQuery,
            ),
            (
                Packet::node_status_query(1, name.clone()),
                PacketKind::NodeStatusQuery,
            ),
            (
                Packet::positive_query_response(1, name.clone(), 1, vec![entry]),
                PacketKind::NameQueryResponse,
            ),
            (
                Packet::negative_query_response(1, name.clone(), rcode::NAME_ERROR),
                PacketKind::NameQueryResponse,
            ),
            (
                Packet::node_status_response(1, name.clone(), NodeStatus::new(vec![], [0; 6])),
                PacketKind::NodeStatusResponse,
            ),
            (
                Packet::registration_request(1, name.clone(), 1, entry, true),
                PacketKind::Registration,
            ),
            (
                Packet::registration_response(1, name.clone(), rcode::ACTIVE_ERROR, 0, entry),
                PacketKind::RegistrationResponse,
            ),
            (
                Packet::registration_response(1, name.clone(), rcode::CONFLICT_ERROR, 0, entry),
                PacketKind::ConflictDemand,
            ),
            (
                Packet::release_request(1, name.clone(), entry, true),
                PacketKind::Release,
            ),
            (
                Packet::release_response(1, name.clone(), rcode::OK, entry),
                PacketKind::ReleaseResponse,
            ),
            (
                Packet::refresh_request(1, name.clone(), 1, entry),
                PacketKind::Refresh,
            ),
        ];
        for (packet, kind) in cases {
            assert_eq!(packet.kind(), kind);
            assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
        }
        let request = Packet::registration_request(9, name.clone(), 1, entry, false);
        let wack = Packet::wait_for_acknowledgement(9, name, 30, &request.header);
        assert_eq!(wack.kind(), PacketKind::Wack);
        assert_eq!(wack.answers[0].data, RecordData::Other(vec![0x29, 0x00]));
        let mut redirect = Packet::response(3, Opcode::Query, FLAG_AUTHORITATIVE, rcode::OK);
        redirect.authorities.push(Packet::record(
            ScopedName::new(NetbiosName::wildcard()),
            RR_TYPE_NS,
            0,
            RecordData::Other(b"\x04nbns\x00".to_vec()),
        ));
        assert_eq!(redirect.kind(), PacketKind::Redirect);
    }
}
