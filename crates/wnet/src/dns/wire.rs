//! DNS messages (RFC 1035 §4), sans-IO: a query for one name and type, and the answers of a
//! response: SRV (RFC 2782) and A records, every other type skipped by its length.
//!
//! Underneath, [`decode_message`] reads any message — header, questions and the three record
//! sections with their raw classes and TTLs — and the record types A, AAAA (RFC 3596), PTR,
//! SRV and TXT; multicast DNS ([`super::mdns`]) and LLMNR ([`super::llmnr`]) read their
//! messages through it, so that the project has one DNS parser.
//!
//! A response is hostile input: every length and count is checked against the bytes left.
//! Names are read and written by `wnet_nbt`'s [`DomainName`] (NBNS is DNS's format): each
//! compression pointer (RFC 1035 §4.1.4) must point before the labels read since the last
//! one, so that no chain of them can loop, and a name is at most 255 bytes; names are shown
//! with DNS tools' `\DDD` escapes, so that a label holding a dot cannot pass for two.

use std::net::{Ipv4Addr, Ipv6Addr};

use wnet_nbt::wire::{DomainName, WireError};

/// TYPE A: a host address (RFC 1035 §3.2.2).
pub const TYPE_A: u16 = 1;
/// TYPE PTR: a domain name pointer (RFC 1035 §3.3.12); DNS-SD's service instances.
pub const TYPE_PTR: u16 = 12;
/// TYPE TXT: text strings (RFC 1035 §3.3.14); DNS-SD's key=value pairs.
pub const TYPE_TXT: u16 = 16;
/// TYPE AAAA: an IPv6 host address (RFC 3596 §2.1).
pub const TYPE_AAAA: u16 = 28;
/// TYPE SRV: a service location (RFC 2782).
pub const TYPE_SRV: u16 = 33;
/// CLASS IN (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;
/// The class field's low 15 bits: multicast DNS uses the top bit for the unicast-response
/// bit of a question and the cache-flush bit of a record (RFC 6762 §18.12, §18.13).
pub const CLASS_MASK: u16 = 0x7FFF;
/// At most this many strings in one TXT record are read; DNS-SD's are a handful.
pub const MAX_TXT_STRINGS: usize = 64;

/// The header's length (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;
/// Header flags: QR (a response), TC (truncated), RD (recursion desired).
pub(crate) const FLAG_QR: u16 = 0x8000;
pub(crate) const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;

/// What is wrong with a name to query or a message received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// The message ends before a field does.
    #[error(
        "DNS message truncated: {field} at offset {offset} needs {needed} bytes, {available} left"
    )]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Its length.
        needed: usize,
        /// The bytes left from `offset`.
        available: usize,
    },
    /// A name that cannot be read: cut short, a pointer that does not point backwards, a
    /// retired label type, over 255 bytes.
    #[error("DNS name: {0}")]
    Name(#[from] WireError),
    /// A name to query that cannot be written: an empty or over-long label, or over 255 bytes.
    #[error("cannot query {name:?}: not a valid DNS name")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The message is a query, not a response.
    #[error("DNS message is not a response")]
    NotResponse,
    /// The response answers another query.
    #[error("DNS response has id {received:#06x}, expected {expected:#06x}")]
    WrongId {
        /// The id of the query.
        expected: u16,
        /// The id of the response.
        received: u16,
    },
    /// The message is longer than its protocol allows.
    #[error("DNS message of {length} bytes is over the limit of {limit}")]
    MessageTooLong {
        /// Its length.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// A section counts more records than the caller accepts.
    #[error("DNS message counts {count} {section} records, over the limit of {limit}")]
    TooManyRecords {
        /// The section: "question", "answer", "authority" or "additional".
        section: &'static str,
        /// Its count.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A TXT record of more strings than [`MAX_TXT_STRINGS`].
    #[error("DNS TXT record at offset {offset} holds over {limit} strings")]
    TooManyTxtStrings {
        /// Where the record's data starts.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// A non-zero opcode or response code where the protocol allows only zero (multicast DNS
    /// ignores such messages, RFC 6762 §18.3, §18.11; LLMNR has only the standard query).
    #[error("DNS message flags {flags:#06x}: unexpected opcode or response code")]
    UnexpectedFlags {
        /// The header's flags.
        flags: u16,
    },
    /// The response does not repeat the question asked (LLMNR, RFC 4795 §2.1.1).
    #[error("DNS response answers another question")]
    QuestionMismatch,
    /// A record whose data does not fit its type: an A record not of 4 bytes, an AAAA not of
    /// 16, a PTR or SRV name overrunning its data, a TXT string overrunning it.
    #[error(
        "DNS record at offset {offset}: type {record_type} data of {length} bytes is malformed"
    )]
    BadRecordData {
        /// Where the record's data starts.
        offset: usize,
        /// Its type.
        record_type: u16,
        /// Its RDLENGTH.
        length: usize,
    },
}

impl DnsError {
    /// Whether the message ended before a field or a name did.
    pub fn is_truncation(&self) -> bool {
        matches!(
            self,
            DnsError::Truncated { .. } | DnsError::Name(WireError::Truncated { .. })
        )
    }
}

/// A response code (RCODE, RFC 1035 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCode {
    /// NOERROR.
    NoError,
    /// NXDOMAIN: the name does not exist.
    NameError,
    /// Any other: FORMERR, SERVFAIL, NOTIMP, REFUSED, ...
    Other(u8),
}

/// An SRV record's data (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvData {
    /// Priority: lower first.
    pub priority: u16,
    /// Weight among records of one priority.
    pub weight: u16,
    /// The service's port.
    pub port: u16,
    /// The host, without the trailing dot ("." alone: the service is not offered).
    pub target: String,
}

/// A record's data, for the types this codec reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    /// An A record.
    A(Ipv4Addr),
    /// An SRV record.
    Srv(SrvData),
    /// Any other type, its data skipped.
    Other(u16),
}

/// A resource record of class IN (records of other classes are skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its owner name, lower-cased, without the trailing dot.
    pub name: String,
    /// Its data.
    pub data: RecordData,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Its RCODE.
    pub code: ResponseCode,
    /// TC: the answer did not fit a datagram; ask again over TCP.
    pub truncated: bool,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The additional section (an SRV answer's A records, often).
    pub additional: Vec<Record>,
}

/// A question of a decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked for, as sent (case kept).
    pub name: DomainName,
    /// Its QTYPE.
    pub record_type: u16,
    /// Its QCLASS, all 16 bits (multicast DNS's unicast-response bit included).
    pub class: u16,
}

/// A record's data, for the types [`decode_message`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordValue {
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    /// A PTR record: the name pointed to.
    Ptr(DomainName),
    /// An SRV record.
    Srv {
        /// Priority: lower first.
        priority: u16,
        /// Weight among records of one priority.
        weight: u16,
        /// The service's port.
        port: u16,
        /// The host (the root: the service is not offered).
        target: DomainName,
    },
    /// A TXT record's strings, each of at most 255 bytes, at most [`MAX_TXT_STRINGS`].
    Txt(Vec<Vec<u8>>),
    /// Another type, or a class other than IN: its data skipped.
    Other,
}

/// A resource record of a decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// Its owner name, as sent (case kept).
    pub name: DomainName,
    /// Its TYPE.
    pub record_type: u16,
    /// Its CLASS, all 16 bits (multicast DNS's cache-flush bit included).
    pub class: u16,
    /// Its TTL in seconds.
    pub ttl: u32,
    /// Its data, read when the class (without the top bit) is IN.
    pub value: RecordValue,
}

/// What a caller accepts of a message before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// The longest message.
    pub max_length: usize,
    /// The most records (or questions) in any one section.
    pub max_records: usize,
}

/// A decoded message of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its ID.
    pub id: u16,
    /// Its flags: QR, opcode, AA, TC, RD, RA, Z, RCODE (RFC 1035 §4.1.1).
    pub flags: u16,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<ResourceRecord>,
    /// The authority section.
    pub authorities: Vec<ResourceRecord>,
    /// The additional section.
    pub additional: Vec<ResourceRecord>,
}

/// Reads a whole message within `limits`. When TC is set, the message may end anywhere: what
/// was whole is kept.
pub fn decode_message(message: &[u8], limits: MessageLimits) -> Result<Message, DnsError> {
    if message.len() > limits.max_length {
        return Err(DnsError::MessageTooLong {
            length: message.len(),
            limit: limits.max_length,
        });
    }
    let mut reader = Reader { message, offset: 0 };
    let id = reader.u16("ID")?;
    let flags = reader.u16("flags")?;
    let mut counts = [0usize; 4];
    for (count, (field, section)) in counts.iter_mut().zip([
        ("QDCOUNT", "question"),
        ("ANCOUNT", "answer"),
        ("NSCOUNT", "authority"),
        ("ARCOUNT", "additional"),
    ]) {
        *count = usize::from(reader.u16(field)?);
        if *count > limits.max_records {
            return Err(DnsError::TooManyRecords {
                section,
                count: *count,
                limit: limits.max_records,
            });
        }
    }
    let [questions, answers, authorities, additional] = counts;
    let mut decoded = Message {
        id,
        flags,
        questions: Vec::new(),
        answers: Vec::new(),
        authorities: Vec::new(),
        additional: Vec::new(),
    };
    let sections = (|| -> Result<(), DnsError> {
        for _ in 0..questions {
            let (name, end) = DomainName::decode(reader.message, reader.offset)?;
            reader.offset = end;
            let record_type = reader.u16("QTYPE")?;
            let class = reader.u16("QCLASS")?;
            decoded.questions.push(Question {
                name,
                record_type,
                class,
            });
        }
        for (count, section) in [
            (answers, &mut decoded.answers),
            (authorities, &mut decoded.authorities),
            (additional, &mut decoded.additional),
        ] {
            for _ in 0..count {
                section.push(reader.record()?);
            }
        }
        Ok(())
    })();
    match sections {
        Err(error) if flags & FLAG_TC != 0 && error.is_truncation() => Ok(decoded),
        Err(error) => Err(error),
        Ok(()) => Ok(decoded),
    }
}

/// Whether two names are the same, ignoring ASCII case (RFC 1035 §2.3.3; RFC 6762 §16).
pub fn same_name(a: &DomainName, b: &DomainName) -> bool {
    a.labels().len() == b.labels().len()
        && a.labels()
            .iter()
            .zip(b.labels())
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Writes a header with `id` and `flags` and `questions`, each a name, a type and a class
/// (all 16 bits), and no records.
pub(crate) fn encode_questions(
    id: u16,
    flags: u16,
    questions: &[(&DomainName, u16, u16)],
) -> Result<Vec<u8>, DnsError> {
    let count = u16::try_from(questions.len()).map_err(|_| DnsError::TooManyRecords {
        section: "question",
        count: questions.len(),
        limit: usize::from(u16::MAX),
    })?;
    let mut message = Vec::with_capacity(HEADER_LEN + questions.len() * 32);
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&flags.to_be_bytes());
    message.extend_from_slice(&count.to_be_bytes());
    message.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    for (name, record_type, class) in questions {
        name.encode(&mut message);
        message.extend_from_slice(&record_type.to_be_bytes());
        message.extend_from_slice(&class.to_be_bytes());
    }
    Ok(message)
}

/// A query for `name` of `record_type`, class IN, recursion desired, with `id`.
pub fn encode_query(id: u16, name: &str, record_type: u16) -> Result<Vec<u8>, DnsError> {
    let invalid = || DnsError::InvalidName {
        name: name.to_owned(),
    };
    let domain = DomainName::new(name).map_err(|_| invalid())?;
    if domain.labels().is_empty() {
        return Err(invalid());
    }
    encode_questions(id, FLAG_RD, &[(&domain, record_type, CLASS_IN)])
}

/// Decodes the response to the query with `id`.
pub fn decode_response(message: &[u8], id: u16) -> Result<Response, DnsError> {
    // The header first: a stray datagram is told apart before its body is read.
    let mut reader = Reader { message, offset: 0 };
    let received = reader.u16("ID")?;
    let flags = reader.u16("flags")?;
    if flags & FLAG_QR == 0 {
        return Err(DnsError::NotResponse);
    }
    if received != id {
        return Err(DnsError::WrongId {
            expected: id,
            received,
        });
    }
    let limits = MessageLimits {
        max_length: usize::MAX,
        max_records: usize::from(u16::MAX),
    };
    let decoded = decode_message(message, limits)?;
    let code = match flags & 0x000F {
        0 => ResponseCode::NoError,
        3 => ResponseCode::NameError,
        other => ResponseCode::Other(other as u8),
    };
    let records = |section: Vec<ResourceRecord>| -> Vec<Record> {
        section
            .into_iter()
            .filter(|record| record.class == CLASS_IN)
            .map(Record::from)
            .collect()
    };
    Ok(Response {
        code,
        truncated: flags & FLAG_TC != 0,
        answers: records(decoded.answers),
        additional: records(decoded.additional),
    })
}

impl From<ResourceRecord> for Record {
    fn from(record: ResourceRecord) -> Record {
        let data = match record.value {
            RecordValue::A(address) => RecordData::A(address),
            RecordValue::Srv {
                priority,
                weight,
                port,
                target,
            } => RecordData::Srv(SrvData {
                priority,
                weight,
                port,
                target: name_text(&target),
            }),
            _ => RecordData::Other(record.record_type),
        };
        Record {
            name: name_text(&record.name),
            data,
        }
    }
}

/// A bounds-checked reader over a whole message (names point into it).
struct Reader<'a> {
    message: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, needed: usize, field: &'static str) -> Result<&'a [u8], DnsError> {
        let bytes = slice_at(self.message, self.offset, needed, field)?;
        self.offset += needed;
        Ok(bytes)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, DnsError> {
        let bytes = self.take(2, field)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DnsError> {
        let bytes = self.take(4, field)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn record(&mut self) -> Result<ResourceRecord, DnsError> {
        let (name, end) = DomainName::decode(self.message, self.offset)?;
        self.offset = end;
        let record_type = self.u16("TYPE")?;
        let class = self.u16("CLASS")?;
        let ttl = self.u32("TTL")?;
        let length = usize::from(self.u16("RDLENGTH")?);
        let start = self.offset;
        let data = self.take(length, "RDATA")?;
        let value = if class & CLASS_MASK == CLASS_IN {
            record_value(self.message, start, data, record_type)?
        } else {
            RecordValue::Other
        };
        Ok(ResourceRecord {
            name,
            record_type,
            class,
            ttl,
            value,
        })
    }
}

/// The data of a record of `record_type` (class IN) that is `data`, at `start` in `message`.
fn record_value(
    message: &[u8],
    start: usize,
    data: &[u8],
    record_type: u16,
) -> Result<RecordValue, DnsError> {
    let malformed = DnsError::BadRecordData {
        offset: start,
        record_type,
        length: data.len(),
    };
    // A name in the data must end where the data does (compression may point before it).
    let name_at = |at: usize| -> Result<DomainName, DnsError> {
        let (name, end) = DomainName::decode(message, at)?;
        if end == start + data.len() {
            Ok(name)
        } else {
            Err(malformed.clone())
        }
    };
    Ok(match record_type {
        TYPE_A => match <[u8; 4]>::try_from(data) {
            Ok(octets) => RecordValue::A(Ipv4Addr::from(octets)),
            Err(_) => return Err(malformed),
        },
        TYPE_AAAA => match <[u8; 16]>::try_from(data) {
            Ok(octets) => RecordValue::Aaaa(Ipv6Addr::from(octets)),
            Err(_) => return Err(malformed),
        },
        TYPE_PTR => RecordValue::Ptr(name_at(start)?),
        TYPE_SRV => {
            let [p0, p1, w0, w1, o0, o1, ..] = *data else {
                return Err(malformed);
            };
            RecordValue::Srv {
                priority: u16::from_be_bytes([p0, p1]),
                weight: u16::from_be_bytes([w0, w1]),
                port: u16::from_be_bytes([o0, o1]),
                target: name_at(start + 6)?,
            }
        }
        TYPE_TXT => {
            let mut strings = Vec::new();
            let mut rest = data;
            while let Some((&length, tail)) = rest.split_first() {
                let Some(text) = tail.get(..usize::from(length)) else {
                    return Err(malformed);
                };
                if strings.len() == MAX_TXT_STRINGS {
                    return Err(DnsError::TooManyTxtStrings {
                        offset: start,
                        limit: MAX_TXT_STRINGS,
                    });
                }
                strings.push(text.to_vec());
                rest = tail.get(usize::from(length)..).unwrap_or_default();
            }
            RecordValue::Txt(strings)
        }
        _ => RecordValue::Other,
    })
}

fn slice_at<'a>(
    message: &'a [u8],
    offset: usize,
    needed: usize,
    field: &'static str,
) -> Result<&'a [u8], DnsError> {
    let available = message.len().saturating_sub(offset);
    offset
        .checked_add(needed)
        .and_then(|end| message.get(offset..end))
        .ok_or(DnsError::Truncated {
            field,
            offset,
            needed,
            available,
        })
}

/// A name lower-cased, dotted and escaped ("." for the root).
fn name_text(name: &DomainName) -> String {
    name.to_string().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `query` (as built by `encode_query`) with `answers` appended raw.
    fn response(query: &[u8], flags: u16, counts: [u16; 3], records: &[u8]) -> Vec<u8> {
        let mut message = query.to_vec();
        message[2..4].copy_from_slice(&flags.to_be_bytes());
        message[6..8].copy_from_slice(&counts[0].to_be_bytes());
        message[8..10].copy_from_slice(&counts[1].to_be_bytes());
        message[10..12].copy_from_slice(&counts[2].to_be_bytes());
        message.extend_from_slice(records);
        message
    }

    fn srv_record(target: &[u8]) -> Vec<u8> {
        // Owner: pointer to the question's name at 12.
        let mut record = vec![0xC0, 12, 0, 33, 0, 1, 0, 0, 2, 88];
        let rdata_len = 6 + target.len();
        record.extend_from_slice(&(rdata_len as u16).to_be_bytes());
        record.extend_from_slice(&[0, 0, 0, 100, 1, 133]);
        record.extend_from_slice(target);
        record
    }

    const QUERY_NAME: &str = "_ldap._tcp.dc._msdcs.corp.example.test";

    #[test]
    fn queries_are_written_as_rfc_1035_says() {
        let query = encode_query(0x1234, "a.bc.", TYPE_SRV).unwrap();
        assert_eq!(
            query,
            [
                0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 33,
                0, 1
            ]
        );
        for bad in ["", ".", "a..b", &"x".repeat(64), &["abc"; 64].join(".")] {
            assert!(
                matches!(
                    encode_query(1, bad, TYPE_A),
                    Err(DnsError::InvalidName { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn srv_answers_and_their_addresses_are_read() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        // Target "dc1" + pointer to "corp.example.test" inside the question (12 + 21).
        let mut records = srv_record(&[3, b'd', b'c', b'1', 0xC0, 33]);
        let target_at = query.len() + 10 + 2 + 6;
        records.extend_from_slice(&[0xC0, target_at as u8, 0, 1, 0, 1, 0, 0, 0, 9, 0, 4]);
        records.extend_from_slice(&[198, 51, 100, 194]);
        let message = response(&query, 0x8580, [1, 0, 1], &records);
        let decoded = decode_response(&message, 7).unwrap();
        assert_eq!(decoded.code, ResponseCode::NoError);
        assert!(!decoded.truncated);
        assert_eq!(
            decoded.answers,
            vec![Record {
                name: QUERY_NAME.to_owned(),
                data: RecordData::Srv(SrvData {
                    priority: 0,
                    weight: 100,
                    port: 389,
                    target: "dc1.corp.example.test".to_owned(),
                }),
            }]
        );
        assert_eq!(
            decoded.additional,
            vec![Record {
                name: "dc1.corp.example.test".to_owned(),
                data: RecordData::A(Ipv4Addr::new(198, 51, 100, 194)),
            }]
        );
    }

    #[test]
    fn error_codes_ids_and_queries_are_told_apart() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        let nxdomain = response(&query, 0x8583, [0, 0, 0], &[]);
        assert_eq!(
            decode_response(&nxdomain, 7).unwrap().code,
            ResponseCode::NameError
        );
        assert_eq!(
            decode_response(&nxdomain, 8),
            Err(DnsError::WrongId {
                expected: 8,
                received: 7
            })
        );
        assert_eq!(decode_response(&query, 7), Err(DnsError::NotResponse));
        let refused = response(&query, 0x8185, [0, 0, 0], &[]);
        assert_eq!(
            decode_response(&refused, 7).unwrap().code,
            ResponseCode::Other(5)
        );
    }

    #[test]
    fn compression_loops_and_forward_pointers_are_refused() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        // Owner name a pointer to itself.
        let at = query.len();
        let mut records = vec![0xC0 | (at >> 8) as u8, at as u8];
        records.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
        ));
        // A pointer past the end of the message.
        let records = [0xFF, 0xFF, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4];
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
        ));
        // Two labels pointing at each other: the later one may point back, the earlier not.
        let mut records = vec![1, b'a', 0xC0, (at + 4) as u8, 1, b'b', 0xC0, at as u8];
        records.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
        ));
        // A label, then a pointer back to that label: backwards, yet a loop.
        let mut records = vec![1, b'a', 0xC0, at as u8];
        records.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
        ));
        // Label type 01 (extended, retired).
        let records = [0x41, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4];
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::BadLabelType { byte: 0x41, .. }))
        ));
    }

    #[test]
    fn lengths_past_the_end_are_refused() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        let whole = srv_record(&[3, b'd', b'c', b'1', 0]);
        // Every cut of a good answer is an error, never a panic or a partial record.
        for cut in 0..whole.len() {
            let message = response(&query, 0x8180, [1, 0, 0], &whole[..cut]);
            let error = decode_response(&message, 7).unwrap_err();
            assert!(error.is_truncation(), "cut at {cut}: {error:?}");
        }
        // RDLENGTH past the end.
        let mut long = whole.clone();
        long[11] = 200;
        let message = response(&query, 0x8180, [1, 0, 0], &long);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Truncated { field: "RDATA", .. })
        ));
        // An SRV target running past RDLENGTH, and an A record of 3 bytes.
        let mut short = whole.clone();
        short[11] -= 1;
        short.pop();
        short.extend_from_slice(&[0; 8]);
        let message = response(&query, 0x8180, [1, 0, 0], &short);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::BadRecordData {
                record_type: 33,
                ..
            })
        ));
        let a = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3];
        let message = response(&query, 0x8180, [1, 0, 0], &a);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::BadRecordData { record_type: 1, .. })
        ));
        // A count larger than the records: truncated, unless TC says the server cut it.
        let message = response(&query, 0x8180, [2, 0, 0], &whole);
        assert!(decode_response(&message, 7).unwrap_err().is_truncation());
        let message = response(&query, 0x8380, [2, 0, 0], &whole);
        let decoded = decode_response(&message, 7).unwrap();
        assert!(decoded.truncated);
        assert_eq!(decoded.answers.len(), 1);
    }

    #[test]
    fn names_over_255_bytes_are_refused() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        // Owner name: five 63-byte labels.
        let mut records = Vec::new();
        for _ in 0..5 {
            records.push(63);
            records.extend_from_slice(&[b'x'; 63]);
        }
        records.push(0);
        records.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        assert!(matches!(
            decode_response(&message, 7),
            Err(DnsError::Name(WireError::NameTooLong { .. }))
        ));
    }

    #[test]
    fn a_label_holding_a_dot_cannot_pass_for_two() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        let records = srv_record(&[8, b'e', b'v', b'i', b'l', b'.', b'c', b'o', b'm', 0]);
        let message = response(&query, 0x8180, [1, 0, 0], &records);
        let decoded = decode_response(&message, 7).unwrap();
        let RecordData::Srv(srv) = &decoded.answers[0].data else {
            panic!("{decoded:?}");
        };
        assert_eq!(srv.target, "evil\\046com");
    }

    #[test]
    fn records_of_other_types_and_classes_are_skipped() {
        let query = encode_query(7, QUERY_NAME, TYPE_SRV).unwrap();
        let mut records = vec![0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 1, b'x'];
        records.extend_from_slice(&[0xC0, 12, 0, 1, 0, 3, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        let message = response(&query, 0x8180, [2, 0, 0], &records);
        let decoded = decode_response(&message, 7).unwrap();
        assert_eq!(
            decoded.answers,
            vec![Record {
                name: QUERY_NAME.to_owned(),
                data: RecordData::Other(16)
            }]
        );
    }
}
