//! Name-service packets (RFC 1002 §4.2): one DNS-shaped structure — header, questions and
//! three sections of resource records — that holds every packet of the name service, with a
//! constructor for each packet of §4.2, [`Packet::kind`] to tell them apart, and typed views of
//! the packets whose RDATA says more than a record ([`Packet::wack`], [`Packet::redirect`]).
//!
//! Decoding keeps what is needed to re-encode the same bytes: the raw NM_FLAGS and RCODE,
//! whether a record's name was a compression pointer (Samba and Windows point the additional
//! record of a registration, refresh or release at the question; responses repeat the name in
//! full), the statistics block of a node status as sent, unknown RDATA, and bytes after the
//! last record.

use std::fmt;
use std::net::Ipv4Addr;

use crate::wire::WireError;
use crate::wire::name::{DomainName, ScopedName, WireLabels};
pub use crate::wire::node_status::{NodeName, NodeStatus, STATISTICS_LENGTH, name_flags};
use crate::wire::reader::Reader;

/// RFC 1002 §4.2.1.1: header length.
pub const HEADER_LENGTH: usize = 12;
/// RFC 1002 §4.2.1.2: QUESTION_TYPE and RR_TYPE NB (general name service resource record).
pub const RR_TYPE_NB: u16 = 0x0020;
/// RFC 1002 §4.2.1.2: QUESTION_TYPE and RR_TYPE NBSTAT (node status).
pub const RR_TYPE_NBSTAT: u16 = 0x0021;
/// RFC 1002 §4.2.1.3: RR_TYPE A (IP address), in redirects.
pub const RR_TYPE_A: u16 = 0x0001;
/// RFC 1002 §4.2.1.3: RR_TYPE NS (name server), in redirects.
pub const RR_TYPE_NS: u16 = 0x0002;
/// RFC 1002 §4.2.1.3: RR_TYPE NULL, in WACKs and negative responses.
pub const RR_TYPE_NULL: u16 = 0x000A;
/// RFC 1002 §4.2.1.2: QUESTION_CLASS and RR_CLASS IN (Internet).
pub const RR_CLASS_IN: u16 = 0x0001;

/// RFC 1002 §4.2.1.1 NM_FLAGS: AA, authoritative answer.
pub const FLAG_AUTHORITATIVE: u8 = 0x40;
/// NM_FLAGS: TC, truncation.
pub const FLAG_TRUNCATED: u8 = 0x20;
/// NM_FLAGS: RD, recursion desired.
pub const FLAG_RECURSION_DESIRED: u8 = 0x10;
/// NM_FLAGS: RA, recursion available.
pub const FLAG_RECURSION_AVAILABLE: u8 = 0x08;
/// NM_FLAGS: B, broadcast.
pub const FLAG_BROADCAST: u8 = 0x01;

/// RFC 1002 §4.2.1.3: NB_FLAGS and NB_ADDRESS, 6 bytes per entry.
pub const NB_ENTRY_LENGTH: usize = 6;
/// RFC 1002 §4.2.16: the RDATA of a WACK, the request's header word.
pub const WACK_RDATA_LENGTH: usize = 2;
/// Smallest question: a compression pointer, QUESTION_TYPE and QUESTION_CLASS.
const MIN_QUESTION_LENGTH: usize = 2 + 2 + 2;
/// Smallest resource record: the root name, RR_TYPE, RR_CLASS, TTL and RDLENGTH.
const MIN_RECORD_LENGTH: usize = 1 + 2 + 2 + 4 + 2;
/// The most entries a section count (16 bits) can hold.
const MAX_SECTION_ENTRIES: usize = u16::MAX as usize;

/// RFC 1002 §4.2.1.1 RCODEs.
pub mod rcode {
    /// No error.
    pub const OK: u8 = 0x0;
    /// FMT_ERR: the request was malformed.
    pub const FORMAT_ERROR: u8 = 0x1;
    /// SRV_ERR: server failure.
    pub const SERVER_ERROR: u8 = 0x2;
    /// NAM_ERR: the name does not exist.
    pub const NAME_ERROR: u8 = 0x3;
    /// IMP_ERR: unsupported request.
    pub const NOT_IMPLEMENTED: u8 = 0x4;
    /// RFS_ERR: refused for policy reasons.
    pub const REFUSED: u8 = 0x5;
    /// ACT_ERR: the name is owned by another node.
    pub const ACTIVE_ERROR: u8 = 0x6;
    /// CFT_ERR: name in conflict.
    pub const CONFLICT_ERROR: u8 = 0x7;

    /// The RFC's mnemonic of an RCODE (`NAM_ERR`), or `None` for one it does not define.
    pub fn mnemonic(rcode: u8) -> Option<&'static str> {
        Some(match rcode {
            OK => "OK",
            FORMAT_ERROR => "FMT_ERR",
            SERVER_ERROR => "SRV_ERR",
            NAME_ERROR => "NAM_ERR",
            NOT_IMPLEMENTED => "IMP_ERR",
            REFUSED => "RFS_ERR",
            ACTIVE_ERROR => "ACT_ERR",
            CONFLICT_ERROR => "CFT_ERR",
            _ => return None,
        })
    }
}

/// RFC 1002 §4.2.1.1 OPCODEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0: name query (and node status).
    Query,
    /// 5: name registration (and overwrite demand, conflict demand).
    Registration,
    /// 6: name release.
    Release,
    /// 7: WACK (wait for acknowledgement).
    Wack,
    /// 8: name refresh, as RFC 1002 numbers it.
    Refresh,
    /// 9: name refresh, as many implementations send it.
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
    /// The RCODE (`rcode::*`), four bits.
    pub rcode: u8,
}

impl Header {
    /// Whether every bit of `flag` is set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }

    /// The 16 bits after NAME_TRN_ID: R, OPCODE, NM_FLAGS, RCODE (a WACK echoes them).
    pub fn flags_word(&self) -> u16 {
        (u16::from(self.response) << 15)
            | (u16::from(self.opcode.bits() & 0xF) << 11)
            | (u16::from(self.flags & 0x7F) << 4)
            | u16::from(self.rcode & 0xF)
    }

    /// A header from NAME_TRN_ID and the 16 bits after it.
    pub fn from_flags_word(transaction_id: u16, word: u16) -> Result<Header, WireError> {
        Ok(Header {
            transaction_id,
            response: word & 0x8000 != 0,
            opcode: Opcode::from_bits(((word >> 11) & 0xF) as u8)?,
            flags: ((word >> 4) & 0x7F) as u8,
            rcode: (word & 0xF) as u8,
        })
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

/// One entry of NB RDATA (RFC 1002 §4.2.1.3): NB_FLAGS and NB_ADDRESS.
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
    /// The ONT bits: 0x6000.
    pub const ONT_MASK: u16 = 0x6000;

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
        ((self.flags & NbEntry::ONT_MASK) >> 13) as u8
    }
}

/// RR_NAME: a NetBIOS name, or a domain name in the NS and A records of a redirect
/// (RFC 1002 §4.2.15). Which one a record carries follows from its type
/// ([`RecordName::is_domain_type`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordName {
    /// A NetBIOS name with its scope (NB, NBSTAT, NULL and unknown record types).
    Netbios(ScopedName),
    /// A domain name (NS and A records).
    Domain(DomainName),
}

impl RecordName {
    /// Whether the records of `record_type` are named by domain names (NS and A) rather than
    /// NetBIOS names.
    pub fn is_domain_type(record_type: u16) -> bool {
        matches!(record_type, RR_TYPE_NS | RR_TYPE_A)
    }

    /// The NetBIOS name, if it is one.
    pub fn netbios(&self) -> Option<&ScopedName> {
        match self {
            RecordName::Netbios(name) => Some(name),
            RecordName::Domain(_) => None,
        }
    }

    /// The domain name, if it is one.
    pub fn domain(&self) -> Option<&DomainName> {
        match self {
            RecordName::Netbios(_) => None,
            RecordName::Domain(name) => Some(name),
        }
    }

    /// Appends the name as labels, uncompressed.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RecordName::Netbios(name) => name.encode(out),
            RecordName::Domain(name) => name.encode(out),
        }
    }

    /// Bytes the name takes on the wire, uncompressed.
    pub fn encoded_length(&self) -> usize {
        match self {
            RecordName::Netbios(name) => name.encoded_length(),
            RecordName::Domain(name) => name.encoded_length(),
        }
    }
}

impl From<ScopedName> for RecordName {
    fn from(name: ScopedName) -> RecordName {
        RecordName::Netbios(name)
    }
}

impl From<DomainName> for RecordName {
    fn from(name: DomainName) -> RecordName {
        RecordName::Domain(name)
    }
}

impl fmt::Display for RecordName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordName::Netbios(name) => write!(f, "{name}"),
            RecordName::Domain(name) => write!(f, "{name}"),
        }
    }
}

/// Resource record data, decoded by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// NB: addresses with flags (RFC 1002 §4.2.1.3); empty in some negative responses.
    Nb(Vec<NbEntry>),
    /// NBSTAT: a node status (RFC 1002 §4.2.18).
    NodeStatus(NodeStatus),
    /// A: NSD_IP_ADDR, the redirect's name server address (RFC 1002 §4.2.15).
    A(Ipv4Addr),
    /// NS: NSD_NAME, the redirect's name server (RFC 1002 §4.2.15). Written uncompressed; a
    /// compressed NSD_NAME decodes to the same name.
    Ns(DomainName),
    /// Anything else, as sent: NULL (empty in negative responses, the request's header word
    /// in WACKs) and unknown types.
    Other(Vec<u8>),
}

impl RecordData {
    /// Reads the RDATA of a `record_type` record; `rdata` ends where RDLENGTH says.
    fn read(record_type: u16, rdata: &mut Reader<'_>) -> Result<RecordData, WireError> {
        let offset = rdata.position();
        let length = rdata.remaining();
        let bad_length = WireError::BadRecordLength {
            record_type,
            offset,
            length,
        };
        Ok(match record_type {
            RR_TYPE_NB => {
                if !length.is_multiple_of(NB_ENTRY_LENGTH) {
                    return Err(bad_length);
                }
                let mut entries = Vec::with_capacity(length / NB_ENTRY_LENGTH);
                while rdata.remaining() > 0 {
                    let flags = rdata.u16("NB_FLAGS")?;
                    let address = Ipv4Addr::from(rdata.array::<4>("NB_ADDRESS")?);
                    entries.push(NbEntry { flags, address });
                }
                RecordData::Nb(entries)
            }
            RR_TYPE_NBSTAT => RecordData::NodeStatus(NodeStatus::read(rdata)?),
            RR_TYPE_A if length == 4 => RecordData::A(Ipv4Addr::from(rdata.array("NSD_IP_ADDR")?)),
            RR_TYPE_A => return Err(bad_length),
            RR_TYPE_NS => {
                let name = WireLabels::read(rdata)?.into_domain_name();
                if rdata.remaining() != 0 {
                    return Err(bad_length);
                }
                RecordData::Ns(name)
            }
            _ => RecordData::Other(rdata.rest().to_vec()),
        })
    }

    /// Appends the RDATA.
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
            RecordData::Ns(name) => name.encode(out),
            RecordData::Other(bytes) => out.extend_from_slice(bytes),
        }
    }
}

/// A resource record (RFC 1002 §4.2.1.3). Two records are equal when their contents are:
/// `name_pointer` says only how the name was written.
#[derive(Debug, Clone)]
pub struct ResourceRecord {
    /// RR_NAME.
    pub name: RecordName,
    /// The offset RR_NAME was sent as a compression pointer to, if it was: the record is
    /// encoded with that pointer when the bytes there name `name` in the packet being
    /// encoded, else with the name in full.
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

impl PartialEq for ResourceRecord {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.record_type == other.record_type
            && self.record_class == other.record_class
            && self.ttl == other.ttl
            && self.data == other.data
    }
}

impl Eq for ResourceRecord {}

impl ResourceRecord {
    /// A record of class IN, its name written in full.
    pub fn new(
        name: impl Into<RecordName>,
        record_type: u16,
        ttl: u32,
        data: RecordData,
    ) -> ResourceRecord {
        ResourceRecord {
            name: name.into(),
            name_pointer: None,
            record_type,
            record_class: RR_CLASS_IN,
            ttl,
            data,
        }
    }

    /// The NB entries, if this is an NB record.
    pub fn nb_entries(&self) -> Option<&[NbEntry]> {
        match &self.data {
            RecordData::Nb(entries) => Some(entries),
            _ => None,
        }
    }

    /// The name the labels say, as this record's type reads names.
    fn record_name(record_type: u16, labels: WireLabels<'_>) -> Result<RecordName, WireError> {
        Ok(if RecordName::is_domain_type(record_type) {
            RecordName::Domain(labels.into_domain_name())
        } else {
            RecordName::Netbios(labels.into_scoped_name()?)
        })
    }

    /// Whether a compression pointer to `target` in `packet` (the bytes encoded so far)
    /// names this record's name. A decoded record's pointer may not: names written
    /// partly compressed are re-encoded in full, which moves what follows them.
    fn pointer_names_it(&self, packet: &[u8], target: u16) -> bool {
        let mut reader = Reader::at(packet, usize::from(target));
        WireLabels::read(&mut reader)
            .and_then(|labels| Self::record_name(self.record_type, labels))
            .is_ok_and(|name| name == self.name)
    }

    /// Reads one record at the reader's position.
    fn read(reader: &mut Reader<'_>) -> Result<ResourceRecord, WireError> {
        let labels = WireLabels::read(reader)?;
        let record_type = reader.u16("RR_TYPE")?;
        let record_class = reader.u16("RR_CLASS")?;
        let ttl = reader.u32("TTL")?;
        let mut rdata = reader.untrusted_u16("RDLENGTH")?.window(reader, "RDATA")?;
        let name_pointer = labels.pointer();
        let name = Self::record_name(record_type, labels)?;
        Ok(ResourceRecord {
            name,
            name_pointer,
            record_type,
            record_class,
            ttl,
            data: RecordData::read(record_type, &mut rdata)?,
        })
    }

    /// Appends the record to the packet that starts at `packet_start` in `out`; RDATA over
    /// 65535 bytes is cut there, so RDLENGTH always says what follows.
    fn encode(&self, out: &mut Vec<u8>, packet_start: usize) {
        let pointer = self
            .name_pointer
            .filter(|&target| self.pointer_names_it(&out[packet_start..], target));
        match pointer {
            Some(target) => out.extend_from_slice(
                &((u16::from(crate::wire::name::POINTER_TAG) << 8) | (target & 0x3FFF))
                    .to_be_bytes(),
            ),
            None => self.name.encode(out),
        }
        out.extend_from_slice(&self.record_type.to_be_bytes());
        out.extend_from_slice(&self.record_class.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let length_at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.data.encode(out);
        let length = (out.len() - length_at - 2).min(usize::from(u16::MAX));
        out.truncate(length_at + 2 + length);
        out[length_at..length_at + 2].copy_from_slice(&(length as u16).to_be_bytes());
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
    /// NAME QUERY REQUEST (§4.2.12).
    NameQuery,
    /// NODE STATUS REQUEST (§4.2.17).
    NodeStatusQuery,
    /// POSITIVE or NEGATIVE NAME QUERY RESPONSE (§4.2.13, §4.2.14; the RCODE tells).
    NameQueryResponse,
    /// REDIRECT NAME QUERY RESPONSE (§4.2.15): NS and A records point at another server.
    Redirect,
    /// NODE STATUS RESPONSE (§4.2.18).
    NodeStatusResponse,
    /// NAME REGISTRATION REQUEST (§4.2.2), or NAME OVERWRITE REQUEST & DEMAND (§4.2.3) when
    /// broadcast without RD.
    Registration,
    /// MULTI-HOMED NAME REGISTRATION REQUEST (Microsoft, opcode 15).
    MultiHomedRegistration,
    /// NAME REGISTRATION RESPONSE, positive or negative (§4.2.5, §4.2.6).
    RegistrationResponse,
    /// NAME CONFLICT DEMAND (§4.2.8): a registration response with CFT_ERR.
    ConflictDemand,
    /// NAME RELEASE REQUEST & DEMAND (§4.2.9).
    Release,
    /// NAME RELEASE RESPONSE, positive or negative (§4.2.10, §4.2.11).
    ReleaseResponse,
    /// NAME REFRESH REQUEST (§4.2.4), opcode 8 or 9.
    Refresh,
    /// A response with a refresh opcode.
    RefreshResponse,
    /// WAIT FOR ACKNOWLEDGEMENT (WACK) RESPONSE (§4.2.16).
    Wack,
    /// Consistent in its header but not a packet the RFC defines.
    Other,
}

/// What a WACK says (RFC 1002 §4.2.16): wait `ttl` seconds for the answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitForAcknowledgement {
    /// How long to wait for the real response, in seconds (the record's TTL).
    pub ttl: u32,
    /// The request's header word as echoed in RDATA (R, OPCODE, NM_FLAGS, RCODE).
    pub echoed: u16,
}

impl WaitForAcknowledgement {
    /// The request's opcode, if the echoed bits hold a known one.
    pub fn request_opcode(&self) -> Option<Opcode> {
        Opcode::from_bits(((self.echoed >> 11) & 0xF) as u8).ok()
    }

    /// The request's NM_FLAGS.
    pub fn request_flags(&self) -> u8 {
        ((self.echoed >> 4) & 0x7F) as u8
    }
}

/// What a REDIRECT NAME QUERY RESPONSE says (RFC 1002 §4.2.15): ask another name server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The domain the other server has authority over (the NS record's RR_NAME).
    pub domain: DomainName,
    /// NSD_NAME: the other server's name.
    pub server_name: DomainName,
    /// NSD_IP_ADDR: its address, from the additional A record, if there is one.
    pub server_address: Option<Ipv4Addr>,
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

    /// A request about `name` whose additional record carries `entry`, its name a pointer to
    /// the question (offset 12), as Samba and Windows send registrations, refreshes and
    /// releases.
    fn request_with_entry(
        transaction_id: u16,
        opcode: Opcode,
        flags: u8,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        let mut packet = Packet::request(transaction_id, opcode, flags);
        packet
            .questions
            .push(Packet::question(name.clone(), RR_TYPE_NB));
        packet.additionals.push(ResourceRecord {
            name_pointer: Some(HEADER_LENGTH as u16),
            ..ResourceRecord::new(name, RR_TYPE_NB, ttl, RecordData::Nb(vec![entry]))
        });
        packet
    }

    /// A response whose one answer names `name` in full.
    fn response_with_answer(
        header: Header,
        name: ScopedName,
        record_type: u16,
        ttl: u32,
        data: RecordData,
    ) -> Packet {
        let mut packet = Packet::empty(header);
        packet
            .answers
            .push(ResourceRecord::new(name, record_type, ttl, data));
        packet
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

    /// POSITIVE NAME QUERY RESPONSE (RFC 1002 §4.2.13): AA, RD and RA, as Samba sends it; one
    /// NB record with every entry of the name.
    pub fn positive_query_response(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entries: Vec<NbEntry>,
    ) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let header = Packet::response(transaction_id, Opcode::Query, flags, rcode::OK).header;
        Packet::response_with_answer(header, name, RR_TYPE_NB, ttl, RecordData::Nb(entries))
    }

    /// NEGATIVE NAME QUERY RESPONSE (RFC 1002 §4.2.14) with `rcode` (FMT_ERR, SRV_ERR, NAM_ERR,
    /// IMP_ERR, RFS_ERR): a NULL record without RDATA, as Samba sends it.
    pub fn negative_query_response(transaction_id: u16, name: ScopedName, rcode: u8) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let header = Packet::response(transaction_id, Opcode::Query, flags, rcode).header;
        Packet::response_with_answer(header, name, RR_TYPE_NULL, 0, RecordData::Other(Vec::new()))
    }

    /// REDIRECT NAME QUERY RESPONSE (RFC 1002 §4.2.15): the server `server_name` at
    /// `server_address` has authority over `domain`. RD only; an NS record in the authority
    /// section and an A record in the additional section whose name points at NSD_NAME, as
    /// the RFC suggests.
    pub fn redirect_query_response(
        transaction_id: u16,
        domain: DomainName,
        server_name: DomainName,
        server_address: Ipv4Addr,
        ttl: u32,
    ) -> Packet {
        let mut packet = Packet::response(
            transaction_id,
            Opcode::Query,
            FLAG_RECURSION_DESIRED,
            rcode::OK,
        );
        // NSD_NAME follows the NS record's name, type, class, TTL and RDLENGTH; a domain name
        // is at most 255 bytes, so the offset fits a pointer's 14 bits.
        let server_name_at = HEADER_LENGTH + domain.encoded_length() + 2 + 2 + 4 + 2;
        packet.authorities.push(ResourceRecord::new(
            domain,
            RR_TYPE_NS,
            ttl,
            RecordData::Ns(server_name.clone()),
        ));
        packet.additionals.push(ResourceRecord {
            name_pointer: Some(server_name_at as u16),
            ..ResourceRecord::new(server_name, RR_TYPE_A, ttl, RecordData::A(server_address))
        });
        packet
    }

    /// NODE STATUS RESPONSE (RFC 1002 §4.2.18): AA, the name repeated in full.
    pub fn node_status_response(
        transaction_id: u16,
        name: ScopedName,
        status: NodeStatus,
    ) -> Packet {
        let header =
            Packet::response(transaction_id, Opcode::Query, FLAG_AUTHORITATIVE, rcode::OK).header;
        Packet::response_with_answer(
            header,
            name,
            RR_TYPE_NBSTAT,
            0,
            RecordData::NodeStatus(status),
        )
    }

    /// NAME REGISTRATION REQUEST (RFC 1002 §4.2.2): RD, and B when `broadcast` (a B node's
    /// registration as Samba and Windows broadcast it).
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
        Packet::request_with_entry(
            transaction_id,
            Opcode::Registration,
            flags,
            name,
            ttl,
            entry,
        )
    }

    /// NAME OVERWRITE REQUEST & DEMAND (RFC 1002 §4.2.3): a broadcast registration without RD,
    /// as the RFC's B node sends it after its last unanswered request.
    pub fn overwrite_demand(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        Packet::request_with_entry(
            transaction_id,
            Opcode::Registration,
            FLAG_BROADCAST,
            name,
            ttl,
            entry,
        )
    }

    /// MULTI-HOMED NAME REGISTRATION REQUEST (opcode 15, as Windows sends it to a WINS server
    /// for each address of a multi-homed host): RD, unicast.
    pub fn multi_homed_registration_request(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        Packet::request_with_entry(
            transaction_id,
            Opcode::MultiHomedRegistration,
            FLAG_RECURSION_DESIRED,
            name,
            ttl,
            entry,
        )
    }

    /// NAME REFRESH REQUEST (RFC 1002 §4.2.4), with opcode 8. For opcode 9, as many
    /// implementations send it, set `header.opcode` to [`Opcode::RefreshAlternate`].
    pub fn refresh_request(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        Packet::request_with_entry(transaction_id, Opcode::Refresh, 0, name, ttl, entry)
    }

    /// NAME RELEASE REQUEST & DEMAND (RFC 1002 §4.2.9), broadcast or to a name server; TTL 0.
    pub fn release_request(
        transaction_id: u16,
        name: ScopedName,
        entry: NbEntry,
        broadcast: bool,
    ) -> Packet {
        let flags = if broadcast { FLAG_BROADCAST } else { 0 };
        Packet::request_with_entry(transaction_id, Opcode::Release, flags, name, 0, entry)
    }

    /// NAME REGISTRATION RESPONSE (RFC 1002 §4.2.5, §4.2.6): AA, RD and RA; positive with
    /// `rcode` 0, negative with FMT_ERR, SRV_ERR, IMP_ERR, RFS_ERR, ACT_ERR (an end node's
    /// defence) or CFT_ERR. `entry` echoes the request's NB entry, as RFC 1002 and Samba do.
    pub fn registration_response(
        transaction_id: u16,
        name: ScopedName,
        rcode: u8,
        ttl: u32,
        entry: NbEntry,
    ) -> Packet {
        let flags = FLAG_AUTHORITATIVE | FLAG_RECURSION_DESIRED | FLAG_RECURSION_AVAILABLE;
        let header = Packet::response(transaction_id, Opcode::Registration, flags, rcode).header;
        Packet::response_with_answer(header, name, RR_TYPE_NB, ttl, RecordData::Nb(vec![entry]))
    }

    /// NAME CONFLICT DEMAND (RFC 1002 §4.2.8): a registration response with CFT_ERR and TTL 0,
    /// telling the owner of `entry` to give the name up.
    pub fn conflict_demand(transaction_id: u16, name: ScopedName, entry: NbEntry) -> Packet {
        Packet::registration_response(transaction_id, name, rcode::CONFLICT_ERROR, 0, entry)
    }

    /// NAME RELEASE RESPONSE (RFC 1002 §4.2.10, §4.2.11): AA; positive with `rcode` 0,
    /// negative with FMT_ERR, SRV_ERR, RFS_ERR or ACT_ERR. TTL 0.
    pub fn release_response(
        transaction_id: u16,
        name: ScopedName,
        rcode: u8,
        entry: NbEntry,
    ) -> Packet {
        let header =
            Packet::response(transaction_id, Opcode::Release, FLAG_AUTHORITATIVE, rcode).header;
        Packet::response_with_answer(header, name, RR_TYPE_NB, 0, RecordData::Nb(vec![entry]))
    }

    /// WAIT FOR ACKNOWLEDGEMENT (WACK) RESPONSE (RFC 1002 §4.2.16): wait `ttl` seconds; a NULL
    /// record whose RDATA echoes the request's header word.
    pub fn wait_for_acknowledgement(
        transaction_id: u16,
        name: ScopedName,
        ttl: u32,
        request: &Header,
    ) -> Packet {
        let header =
            Packet::response(transaction_id, Opcode::Wack, FLAG_AUTHORITATIVE, rcode::OK).header;
        let echoed = request.flags_word().to_be_bytes().to_vec();
        Packet::response_with_answer(header, name, RR_TYPE_NULL, ttl, RecordData::Other(echoed))
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
            .or_else(|| self.answers.first().and_then(|r| r.name.netbios()))
    }

    /// The TTL and echoed request header of a WACK: a WACK response whose first answer is a
    /// NULL record with two bytes of RDATA.
    pub fn wack(&self) -> Option<WaitForAcknowledgement> {
        if self.kind() != PacketKind::Wack {
            return None;
        }
        let record = self.answers.first()?;
        let RecordData::Other(rdata) = &record.data else {
            return None;
        };
        let echoed: [u8; WACK_RDATA_LENGTH] = rdata.as_slice().try_into().ok()?;
        Some(WaitForAcknowledgement {
            ttl: record.ttl,
            echoed: u16::from_be_bytes(echoed),
        })
    }

    /// The other server a redirect names: its first NS record, and the A record named like
    /// its NSD_NAME (or else the first A record).
    pub fn redirect(&self) -> Option<Redirect> {
        if self.kind() != PacketKind::Redirect {
            return None;
        }
        let (domain, server_name) =
            self.authorities
                .iter()
                .find_map(|record| match (&record.name, &record.data) {
                    (RecordName::Domain(domain), RecordData::Ns(server)) => {
                        Some((domain.clone(), server.clone()))
                    }
                    _ => None,
                })?;
        let addresses = self
            .additionals
            .iter()
            .filter_map(|record| match record.data {
                RecordData::A(address) => Some((&record.name, address)),
                _ => None,
            });
        let named = addresses
            .clone()
            .find(|(name, _)| name.domain() == Some(&server_name));
        let server_address = named.or(addresses.clone().next()).map(|(_, a)| a);
        Some(Redirect {
            domain,
            server_name,
            server_address,
        })
    }

    /// Decodes one packet. Never panics; every length and count is checked against the bytes
    /// left before it is used.
    pub fn decode(bytes: &[u8]) -> Result<Packet, WireError> {
        let mut reader = Reader::new(bytes);
        let transaction_id = reader.u16("NAME_TRN_ID")?;
        let word = reader.u16("OPCODE, NM_FLAGS and RCODE")?;
        let header = Header::from_flags_word(transaction_id, word)?;
        let question_count = reader.untrusted_u16("QDCOUNT")?;
        let answer_count = reader.untrusted_u16("ANCOUNT")?;
        let authority_count = reader.untrusted_u16("NSCOUNT")?;
        let additional_count = reader.untrusted_u16("ARCOUNT")?;
        let mut packet = Packet::empty(header);
        let question_count = question_count.count_within(&reader, MIN_QUESTION_LENGTH)?;
        packet.questions.reserve_exact(question_count);
        for _ in 0..question_count {
            let name = WireLabels::read(&mut reader)?.into_scoped_name()?;
            packet.questions.push(Question {
                name,
                question_type: reader.u16("QUESTION_TYPE")?,
                question_class: reader.u16("QUESTION_CLASS")?,
            });
        }
        packet.answers = read_records(&mut reader, answer_count)?;
        packet.authorities = read_records(&mut reader, authority_count)?;
        packet.additionals = read_records(&mut reader, additional_count)?;
        packet.trailing = reader.rest().to_vec();
        Ok(packet)
    }

    /// Appends the packet to `out`. Sections over 65535 entries are cut there, so the counts
    /// always say what follows.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        fn capped<T>(section: &[T]) -> &[T] {
            &section[..section.len().min(MAX_SECTION_ENTRIES)]
        }
        let packet_start = out.len();
        let questions = capped(&self.questions);
        let answers = capped(&self.answers);
        let authorities = capped(&self.authorities);
        let additionals = capped(&self.additionals);
        out.extend_from_slice(&self.header.transaction_id.to_be_bytes());
        out.extend_from_slice(&self.header.flags_word().to_be_bytes());
        for count in [
            questions.len(),
            answers.len(),
            authorities.len(),
            additionals.len(),
        ] {
            out.extend_from_slice(&(count as u16).to_be_bytes());
        }
        for question in questions {
            question.name.encode(out);
            out.extend_from_slice(&question.question_type.to_be_bytes());
            out.extend_from_slice(&question.question_class.to_be_bytes());
        }
        for record in answers.iter().chain(authorities).chain(additionals) {
            record.encode(out, packet_start);
        }
        out.extend_from_slice(&self.trailing);
    }

    /// The packet's bytes. `Packet::decode(&p.encode()) == Ok(p)` for every decoded packet,
    /// every packet the constructors build, and every packet whose record names match their
    /// types and whose name pointers point at the name they stand for.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.encode_into(&mut out);
        out
    }
}

/// `count` records (checked: each takes at least 11 bytes).
fn read_records(
    reader: &mut Reader<'_>,
    count: crate::wire::reader::Untrusted,
) -> Result<Vec<ResourceRecord>, WireError> {
    let count = count.count_within(reader, MIN_RECORD_LENGTH)?;
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        records.push(ResourceRecord::read(reader)?);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::name::NetbiosName;
    use crate::wire::node_status::NodeName;

    fn scoped(text: &str) -> ScopedName {
        ScopedName::new(text.parse().expect("a name"))
    }

    fn arb_scoped_name() -> impl Strategy<Value = ScopedName> {
        (
            any::<[u8; 16]>(),
            proptest::collection::vec("[a-zA-Z0-9-]{1,20}", 0..3),
        )
            .prop_map(|(bytes, labels)| ScopedName {
                name: NetbiosName::from_bytes(bytes),
                scope: labels.join("."),
            })
    }

    fn arb_domain_name() -> impl Strategy<Value = DomainName> {
        proptest::collection::vec("[a-zA-Z0-9-]{1,20}", 0..4)
            .prop_map(|labels| DomainName::new(&labels.join(".")).expect("a valid domain"))
    }

    fn arb_entry() -> impl Strategy<Value = NbEntry> {
        (any::<u16>(), any::<[u8; 4]>()).prop_map(|(flags, ip)| NbEntry {
            flags,
            address: Ipv4Addr::from(ip),
        })
    }

    fn arb_node_status() -> impl Strategy<Value = NodeStatus> {
        (
            proptest::collection::vec((any::<[u8; 16]>(), any::<u16>()), 0..5),
            proptest::collection::vec(any::<u8>(), 0..60),
        )
            .prop_map(|(names, statistics)| NodeStatus {
                names: names
                    .into_iter()
                    .map(|(bytes, flags)| NodeName::new(NetbiosName::from_bytes(bytes), flags))
                    .collect(),
                statistics,
            })
    }

    /// A record whose name has the kind its type calls for.
    fn arb_record() -> impl Strategy<Value = ResourceRecord> {
        let netbios = (
            arb_scoped_name(),
            prop_oneof![
                proptest::collection::vec(arb_entry(), 0..4)
                    .prop_map(|e| (RR_TYPE_NB, RecordData::Nb(e))),
                arb_node_status().prop_map(|s| (RR_TYPE_NBSTAT, RecordData::NodeStatus(s))),
                proptest::collection::vec(any::<u8>(), 0..8)
                    .prop_map(|b| (RR_TYPE_NULL, RecordData::Other(b))),
                (
                    0x0100u16..0x0200,
                    proptest::collection::vec(any::<u8>(), 0..8)
                )
                    .prop_map(|(t, b)| (t, RecordData::Other(b))),
            ],
        )
            .prop_map(|(name, (t, data))| (RecordName::Netbios(name), t, data));
        let domain = (
            arb_domain_name(),
            prop_oneof![
                any::<[u8; 4]>().prop_map(|ip| (RR_TYPE_A, RecordData::A(Ipv4Addr::from(ip)))),
                arb_domain_name().prop_map(|n| (RR_TYPE_NS, RecordData::Ns(n))),
            ],
        )
            .prop_map(|(name, (t, data))| (RecordName::Domain(name), t, data));
        (prop_oneof![netbios, domain], any::<u16>(), any::<u32>()).prop_map(
            |((name, record_type, data), record_class, ttl)| ResourceRecord {
                name,
                name_pointer: None,
                record_type,
                record_class,
                ttl,
                data,
            },
        )
    }

    fn arb_opcode() -> impl Strategy<Value = Opcode> {
        prop_oneof![0u8..1, 5u8..10, 15u8..16]
            .prop_map(|bits| Opcode::from_bits(bits).expect("a valid opcode"))
    }

    fn arb_packet() -> impl Strategy<Value = Packet> {
        (
            (
                any::<u16>(),
                any::<bool>(),
                arb_opcode(),
                0u8..0x80,
                0u8..16,
            ),
            proptest::collection::vec((arb_scoped_name(), any::<u16>(), any::<u16>()), 0..3),
            proptest::collection::vec((arb_record(), any::<bool>()), 0..3),
            proptest::collection::vec((arb_record(), any::<bool>()), 0..2),
            proptest::collection::vec((arb_record(), any::<bool>()), 0..3),
            proptest::collection::vec(any::<u8>(), 0..4),
        )
            .prop_map(
                |(
                    (transaction_id, response, opcode, flags, rcode),
                    questions,
                    answers,
                    authorities,
                    additionals,
                    trailing,
                )| {
                    let mut packet = Packet::empty(Header {
                        transaction_id,
                        response,
                        opcode,
                        flags,
                        rcode,
                    });
                    packet.questions = questions
                        .into_iter()
                        .map(|(name, question_type, question_class)| Question {
                            name,
                            question_type,
                            question_class,
                        })
                        .collect();
                    // A record with a NetBIOS name may point at the first question's name, at
                    // offset 12, as registrations do; then it carries that name.
                    let first = packet.questions.first().map(|q| q.name.clone());
                    let point = |(mut record, pointer): (ResourceRecord, bool)| {
                        if let (true, Some(first), RecordName::Netbios(_)) =
                            (pointer, &first, &record.name)
                        {
                            record.name = RecordName::Netbios(first.clone());
                            record.name_pointer = Some(HEADER_LENGTH as u16);
                        }
                        record
                    };
                    packet.answers = answers.into_iter().map(point).collect();
                    packet.authorities = authorities.into_iter().map(point).collect();
                    packet.additionals = additionals.into_iter().map(point).collect();
                    packet.trailing = trailing;
                    packet
                },
            )
    }

    /// Every constructor, with arbitrary arguments, and the kind it must have.
    fn arb_constructed() -> impl Strategy<Value = (Packet, PacketKind)> {
        let args = (
            any::<u16>(),
            arb_scoped_name(),
            any::<u32>(),
            arb_entry(),
            any::<bool>(),
            any::<bool>(),
        );
        (
            args,
            0u8..8,
            proptest::collection::vec(arb_entry(), 0..5),
            arb_node_status(),
            (arb_domain_name(), arb_domain_name(), any::<[u8; 4]>()),
            0usize..15,
        )
            .prop_map(
                |(
                    (id, name, ttl, entry, broadcast, recursion),
                    rcode,
                    entries,
                    status,
                    (domain, server, ip),
                    which,
                )| {
                    let request =
                        Packet::registration_request(id, name.clone(), ttl, entry, broadcast);
                    match which {
                        0 => (
                            Packet::name_query(id, name, broadcast, recursion),
                            PacketKind::NameQuery,
                        ),
                        1 => (
                            Packet::node_status_query(id, name),
                            PacketKind::NodeStatusQuery,
                        ),
                        2 => (
                            Packet::positive_query_response(id, name, ttl, entries),
                            PacketKind::NameQueryResponse,
                        ),
                        3 => (
                            Packet::negative_query_response(id, name, rcode),
                            PacketKind::NameQueryResponse,
                        ),
                        4 => (
                            Packet::redirect_query_response(
                                id,
                                domain,
                                server,
                                Ipv4Addr::from(ip),
                                ttl,
                            ),
                            PacketKind::Redirect,
                        ),
                        5 => (
                            Packet::node_status_response(id, name, status),
                            PacketKind::NodeStatusResponse,
                        ),
                        6 => (request, PacketKind::Registration),
                        7 => (
                            Packet::overwrite_demand(id, name, ttl, entry),
                            PacketKind::Registration,
                        ),
                        8 => (
                            Packet::multi_homed_registration_request(id, name, ttl, entry),
                            PacketKind::MultiHomedRegistration,
                        ),
                        9 => (
                            Packet::refresh_request(id, name, ttl, entry),
                            PacketKind::Refresh,
                        ),
                        10 => (
                            Packet::release_request(id, name, entry, broadcast),
                            PacketKind::Release,
                        ),
                        11 => {
                            let rcode = rcode % 7; // 7, CFT_ERR, makes a conflict demand
                            (
                                Packet::registration_response(id, name, rcode, ttl, entry),
                                PacketKind::RegistrationResponse,
                            )
                        }
                        12 => (
                            Packet::conflict_demand(id, name, entry),
                            PacketKind::ConflictDemand,
                        ),
                        13 => (
                            Packet::release_response(id, name, rcode, entry),
                            PacketKind::ReleaseResponse,
                        ),
                        _ => (
                            Packet::wait_for_acknowledgement(id, name, ttl, &request.header),
                            PacketKind::Wack,
                        ),
                    }
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
        fn every_constructed_packet_round_trips_with_its_kind((packet, kind) in arb_constructed()) {
            prop_assert_eq!(packet.kind(), kind);
            let bytes = packet.encode();
            let decoded = Packet::decode(&bytes);
            prop_assert_eq!(decoded.as_ref(), Ok(&packet));
            // And the bytes are the packet's whole: no cut of them decodes.
            for cut in [0, HEADER_LENGTH, bytes.len() / 2, bytes.len() - 1] {
                prop_assert!(Packet::decode(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(packet) = Packet::decode(&bytes) {
                prop_assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
            }
        }

        #[test]
        fn arbitrary_bodies_after_a_valid_header_never_panic(
            header in any::<[u8; 4]>(),
            counts in any::<[u8; 8]>(),
            body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            // Small counts and a known opcode, so that the decoder reaches the sections.
            let mut bytes = header.to_vec();
            bytes[2] &= 0x87;
            for pair in counts.chunks_exact(2) {
                bytes.extend_from_slice(&[0, pair[1] % 4]);
            }
            bytes.extend_from_slice(&body);
            if let Ok(packet) = Packet::decode(&bytes) {
                prop_assert_eq!(Packet::decode(&packet.encode()), Ok(packet));
            }
        }

        #[test]
        fn mutated_packets_never_panic(
            packet in arb_packet(),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
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

    /// The variant's name; exhaustive, so that a new variant must be added to the test below
    /// (or to its own packet family's tests).
    fn variant(error: &WireError) -> &'static str {
        match error {
            WireError::Truncated { .. } => "Truncated",
            WireError::CountTooLarge { .. } => "CountTooLarge",
            WireError::BadLabelType { .. } => "BadLabelType",
            WireError::PointerNotBackwards { .. } => "PointerNotBackwards",
            WireError::TooManyPointers { .. } => "TooManyPointers",
            WireError::NameTooLong { .. } => "NameTooLong",
            WireError::BadEncodedNameLength { .. } => "BadEncodedNameLength",
            WireError::BadEncodedCharacter { .. } => "BadEncodedCharacter",
            WireError::BadScopeLabel { .. } => "BadScopeLabel",
            WireError::UnknownOpcode(_) => "UnknownOpcode",
            WireError::BadRecordLength { .. } => "BadRecordLength",
            // Session-service errors: wire::session's tests produce them.
            WireError::UnknownSessionType(_)
            | WireError::BadSessionFlags(_)
            | WireError::SessionLength { .. } => "session",
            // Datagram-service errors (wire::datagram); no name-service packet yields them.
            WireError::UnknownDatagramType(_) => "UnknownDatagramType",
            WireError::DatagramLengthMismatch { .. } => "DatagramLengthMismatch",
            WireError::TrailingBytes { .. } => "TrailingBytes",
            WireError::DatagramTooLong { .. } => "DatagramTooLong",
        }
    }

    fn name_query_bytes() -> Vec<u8> {
        Packet::name_query(0x1234, scoped("FRED"), true, true).encode()
    }

    /// A header with counts 1, 0, 0, 0 and then `question`.
    fn with_question(question: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(question);
        bytes
    }

    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "one table: a hostile packet per error variant"
    )]
    fn every_error_variant_comes_from_some_packet() {
        let valid = name_query_bytes();
        let response = Packet::positive_query_response(
            1,
            scoped("FRED"),
            0,
            vec![NbEntry::new(Ipv4Addr::LOCALHOST, false, 0)],
        )
        .encode();
        let rdlength_at = response.len() - 8;

        let mut cases: Vec<(&str, Vec<u8>, WireError)> = Vec::new();
        cases.push((
            "empty packet",
            vec![],
            WireError::Truncated {
                field: "NAME_TRN_ID",
                offset: 0,
                needed: 2,
                available: 0,
            },
        ));
        cases.push((
            "a header cut short",
            valid[..7].to_vec(),
            WireError::Truncated {
                field: "ANCOUNT",
                offset: 6,
                needed: 2,
                available: 1,
            },
        ));
        let mut count = valid.clone();
        count[4..6].copy_from_slice(&u16::MAX.to_be_bytes());
        cases.push((
            "QDCOUNT larger than the packet",
            count,
            WireError::CountTooLarge {
                field: "QDCOUNT",
                count: 65535,
                min_item_size: 6,
                remaining: 38,
            },
        ));
        let mut records = response.clone();
        records[6..8].copy_from_slice(&5u16.to_be_bytes());
        cases.push((
            "ANCOUNT larger than the packet",
            records,
            WireError::CountTooLarge {
                field: "ANCOUNT",
                count: 5,
                min_item_size: 11,
                remaining: 50,
            },
        ));
        cases.push((
            "a reserved label type",
            with_question(&[0x80, 0, 0, 0, 0, 0]),
            WireError::BadLabelType {
                offset: 12,
                byte: 0x80,
            },
        ));
        cases.push((
            "a self-pointer",
            with_question(&[0xC0, 12, 0, 0x20, 0, 1]),
            WireError::PointerNotBackwards {
                offset: 12,
                target: 12,
            },
        ));
        cases.push((
            "a forward pointer",
            with_question(&[0xC0, 14, 0, 0x20, 0, 1]),
            WireError::PointerNotBackwards {
                offset: 12,
                target: 14,
            },
        ));
        // Seventeen pointers in a chain through the header's own bytes is impossible (they
        // must go backwards and the header is only 12 bytes), so the chain lives in the
        // trailing part of an additional record's name: see `long_pointer_chains` below.
        cases.push((
            "a label running past the end",
            with_question(&[0x20, b'E', b'G', b'F', b'C', b'E', b'F']),
            WireError::Truncated {
                field: "label",
                offset: 13,
                needed: 32,
                available: 6,
            },
        ));
        let mut long = with_question(&[]);
        long.push(0x20);
        long.extend_from_slice(&NetbiosName::wildcard().first_level_encode());
        for _ in 0..4 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.extend_from_slice(&[0, 0, 0x20, 0, 1]);
        cases.push((
            "a name over 255 bytes",
            long,
            WireError::NameTooLong {
                offset: 12,
                length: 290,
            },
        ));
        cases.push((
            "a first label that is not 32 bytes",
            with_question(b"\x04FRED\x00\x00\x20\x00\x01"),
            WireError::BadEncodedNameLength {
                offset: 13,
                length: 4,
            },
        ));
        let mut lower = valid.clone();
        lower[20] = b'e';
        cases.push((
            "a lower-case first-level character",
            lower,
            WireError::BadEncodedCharacter {
                offset: 20,
                byte: b'e',
            },
        ));
        let mut scope = with_question(&[]);
        scope.push(0x20);
        scope.extend_from_slice(&NetbiosName::wildcard().first_level_encode());
        scope.extend_from_slice(b"\x02\xC3\x28\x00\x00\x20\x00\x01");
        cases.push((
            "a scope label that is not UTF-8",
            scope,
            WireError::BadScopeLabel { offset: 46 },
        ));
        let mut opcode = valid.clone();
        opcode[2] = 0x18;
        cases.push(("opcode 3", opcode, WireError::UnknownOpcode(3)));
        // Claim 5 bytes of RDATA and drop one: an NB record is a multiple of 6.
        let mut nb = response.clone();
        nb[rdlength_at..rdlength_at + 2].copy_from_slice(&5u16.to_be_bytes());
        nb.pop();
        cases.push((
            "NB RDATA of 5 bytes",
            nb,
            WireError::BadRecordLength {
                record_type: RR_TYPE_NB,
                offset: rdlength_at + 2,
                length: 5,
            },
        ));
        let mut overrun = response.clone();
        overrun[rdlength_at..rdlength_at + 2].copy_from_slice(&7u16.to_be_bytes());
        cases.push((
            "RDLENGTH past the end",
            overrun,
            WireError::Truncated {
                field: "RDATA",
                offset: rdlength_at + 2,
                needed: 7,
                available: 6,
            },
        ));

        let mut seen: Vec<&str> = Vec::new();
        for (what, bytes, error) in cases {
            assert_eq!(Packet::decode(&bytes), Err(error.clone()), "{what}");
            seen.push(variant(&error));
        }
        seen.push(variant(&long_pointer_chains()));
        seen.extend(
            redirect_record_errors()
                .iter()
                .map(variant)
                .collect::<Vec<_>>(),
        );
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen,
            [
                "BadEncodedCharacter",
                "BadEncodedNameLength",
                "BadLabelType",
                "BadRecordLength",
                "BadScopeLabel",
                "CountTooLarge",
                "NameTooLong",
                "PointerNotBackwards",
                "TooManyPointers",
                "Truncated",
                "UnknownOpcode",
            ]
        );
    }

    /// A registration whose additional records point back, each at the one before, more
    /// times than any name may jump.
    fn long_pointer_chains() -> WireError {
        let mut bytes = Packet::registration_request(
            7,
            scoped("FRED"),
            0,
            NbEntry::new(Ipv4Addr::LOCALHOST, false, 0),
            false,
        )
        .encode();
        let records = 1 + crate::wire::name::MAX_POINTER_JUMPS;
        bytes[10..12].copy_from_slice(&(records as u16).to_be_bytes());
        // The first additional record starts at 50 with a pointer to 12; each next record is
        // a pointer to the start of the one before, with an empty NULL RDATA.
        bytes.truncate(50);
        let mut previous = HEADER_LENGTH as u16;
        for _ in 0..records {
            let here = bytes.len() as u16;
            bytes.extend_from_slice(&(0xC000 | previous).to_be_bytes());
            bytes.extend_from_slice(&[0x00, 0x0A, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
            previous = here;
        }
        let error = Packet::decode(&bytes).expect_err("too many jumps");
        assert_eq!(
            error,
            WireError::TooManyPointers {
                offset: usize::from(previous),
                limit: crate::wire::name::MAX_POINTER_JUMPS,
            }
        );
        error
    }

    /// Redirect records with RDATA that does not fit their types.
    fn redirect_record_errors() -> Vec<WireError> {
        let redirect = Packet::redirect_query_response(
            5,
            DomainName::new("NETBIOS.COM").expect("a domain"),
            DomainName::new("NS.NETBIOS.COM").expect("a domain"),
            Ipv4Addr::new(198, 51, 100, 53),
            3600,
        )
        .encode();
        // NS: RDLENGTH at 12 + 13 + 8; NSD_NAME is 16 bytes. Say 17 and add a byte.
        let mut ns = redirect.clone();
        ns[33..35].copy_from_slice(&17u16.to_be_bytes());
        ns.insert(51, 0xEE);
        // A: RDLENGTH 5 with one more byte.
        let mut a = redirect.clone();
        let a_length_at = redirect.len() - 6;
        a[a_length_at..a_length_at + 2].copy_from_slice(&5u16.to_be_bytes());
        a.push(0);
        let errors = vec![
            Packet::decode(&ns).expect_err("NS RDATA longer than NSD_NAME"),
            Packet::decode(&a).expect_err("A RDATA of 5 bytes"),
        ];
        assert_eq!(
            errors,
            [
                WireError::BadRecordLength {
                    record_type: RR_TYPE_NS,
                    offset: 35,
                    length: 17
                },
                WireError::BadRecordLength {
                    record_type: RR_TYPE_A,
                    offset: a_length_at + 2,
                    length: 5
                },
            ]
        );
        errors
    }

    #[test]
    fn every_truncation_of_every_constructed_packet_fails() {
        let name = ScopedName::with_scope("FRED".parse().expect("a name"), "NETBIOS.COM")
            .expect("a scope");
        let entry = NbEntry::new(Ipv4Addr::new(198, 51, 100, 9), true, 1);
        let packets = [
            Packet::name_query(1, name.clone(), true, true),
            Packet::positive_query_response(2, name.clone(), 300, vec![entry, entry]),
            Packet::node_status_response(
                3,
                name.clone(),
                NodeStatus::new(vec![NodeName::new(name.name, 0x0400)], [2; 6]),
            ),
            Packet::registration_request(4, name.clone(), 300, entry, true),
            Packet::redirect_query_response(
                5,
                DomainName::new("NETBIOS.COM").expect("a domain"),
                DomainName::new("NS.NETBIOS.COM").expect("a domain"),
                Ipv4Addr::new(198, 51, 100, 53),
                3600,
            ),
            Packet::wait_for_acknowledgement(
                6,
                name.clone(),
                30,
                &Packet::refresh_request(6, name, 0, entry).header,
            ),
        ];
        for packet in packets {
            let bytes = packet.encode();
            assert_eq!(Packet::decode(&bytes).as_ref(), Ok(&packet));
            for cut in 0..bytes.len() {
                assert!(
                    Packet::decode(&bytes[..cut]).is_err(),
                    "{:?} cut at {cut}",
                    packet.kind()
                );
            }
        }
    }

    #[test]
    fn oversized_sections_and_rdata_are_cut_not_miscounted() {
        let mut packet = Packet::name_query(1, scoped("FRED"), false, false);
        packet.answers =
            vec![
                ResourceRecord::new(scoped("X"), RR_TYPE_NULL, 0, RecordData::Other(Vec::new()));
                MAX_SECTION_ENTRIES + 2
            ];
        let decoded = Packet::decode(&packet.encode()).expect("decodes");
        assert_eq!(decoded.answers.len(), MAX_SECTION_ENTRIES);
        let mut big = Packet::name_query(1, scoped("FRED"), false, false);
        big.answers = vec![ResourceRecord::new(
            scoped("X"),
            RR_TYPE_NULL,
            0,
            RecordData::Other(vec![7; 70_000]),
        )];
        let decoded = Packet::decode(&big.encode()).expect("decodes");
        assert_eq!(
            decoded.answers[0].data,
            RecordData::Other(vec![7; usize::from(u16::MAX)])
        );
    }

    #[test]
    fn every_rcode_has_its_mnemonic_and_round_trips() {
        let names = [
            "OK", "FMT_ERR", "SRV_ERR", "NAM_ERR", "IMP_ERR", "RFS_ERR", "ACT_ERR", "CFT_ERR",
        ];
        for (code, mnemonic) in (0u8..).zip(names) {
            assert_eq!(rcode::mnemonic(code), Some(mnemonic));
            let packet = Packet::negative_query_response(9, scoped("FRED"), code);
            let decoded = Packet::decode(&packet.encode()).expect("decodes");
            assert_eq!(decoded.header.rcode, code);
            assert_eq!(decoded.kind(), PacketKind::NameQueryResponse);
        }
        assert_eq!(rcode::mnemonic(8), None);
    }

    #[test]
    fn views_read_wacks_and_redirects() {
        let request = Packet::registration_request(
            9,
            scoped("FRED"),
            300,
            NbEntry::new(Ipv4Addr::LOCALHOST, false, 1),
            false,
        );
        let wack = Packet::wait_for_acknowledgement(9, scoped("FRED"), 30, &request.header);
        let view = wack.wack().expect("a WACK");
        assert_eq!(view.ttl, 30);
        assert_eq!(view.echoed, 0x2900);
        assert_eq!(view.request_opcode(), Some(Opcode::Registration));
        assert_eq!(view.request_flags(), FLAG_RECURSION_DESIRED);
        assert_eq!(request.wack(), None);
        assert_eq!(request.redirect(), None);

        let redirect = Packet::redirect_query_response(
            5,
            DomainName::new("NETBIOS.COM").expect("a domain"),
            DomainName::new("NS.NETBIOS.COM").expect("a domain"),
            Ipv4Addr::new(198, 51, 100, 53),
            3600,
        );
        let view = redirect.redirect().expect("a redirect");
        assert_eq!(view.domain.to_string(), "NETBIOS.COM");
        assert_eq!(view.server_name.to_string(), "NS.NETBIOS.COM");
        assert_eq!(view.server_address, Some(Ipv4Addr::new(198, 51, 100, 53)));
        assert_eq!(redirect.subject(), None);
        assert_eq!(redirect.additionals[0].name.to_string(), "NS.NETBIOS.COM");
    }

    #[test]
    fn refresh_requests_with_opcode_9_are_refreshes_too() {
        let mut refresh = Packet::refresh_request(
            3,
            scoped("FRED"),
            300,
            NbEntry::new(Ipv4Addr::LOCALHOST, false, 0),
        );
        refresh.header.opcode = Opcode::RefreshAlternate;
        let bytes = refresh.encode();
        assert_eq!(bytes[2..4], [0x48, 0x00]);
        let decoded = Packet::decode(&bytes).expect("decodes");
        assert_eq!(decoded.kind(), PacketKind::Refresh);
        assert_eq!(decoded, refresh);
        let mut response = decoded.clone();
        response.header.response = true;
        assert_eq!(response.kind(), PacketKind::RefreshResponse);
    }

    #[test]
    fn packets_that_are_not_rfc_packets_are_other() {
        let mut wack_request = Packet::name_query(1, scoped("FRED"), false, false);
        wack_request.header.opcode = Opcode::Wack;
        assert_eq!(wack_request.kind(), PacketKind::Other);
        let mut odd_question = Packet::name_query(1, scoped("FRED"), false, false);
        odd_question.questions[0].question_type = RR_TYPE_NULL;
        assert_eq!(odd_question.kind(), PacketKind::Other);
        let empty_response = Packet::response(1, Opcode::Query, 0, rcode::OK);
        assert_eq!(empty_response.kind(), PacketKind::Other);
        assert_eq!(empty_response.subject(), None);
    }
}
