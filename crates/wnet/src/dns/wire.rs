//! DNS messages (RFC 1035 §4), sans-IO: a query for one name and type, and the answers of a
//! response: SRV (RFC 2782) and A records, every other type skipped by its length.
//!
//! A response is hostile input: every length and count is checked against the bytes left.
//! Names are read and written by `wnet_nbt`'s [`DomainName`] (NBNS is DNS's format): each
//! compression pointer (RFC 1035 §4.1.4) must point before the labels read since the last
//! one, so that no chain of them can loop, and a name is at most 255 bytes; names are shown
//! with DNS tools' `\DDD` escapes, so that a label holding a dot cannot pass for two.

use std::net::Ipv4Addr;

use wnet_nbt::wire::{DomainName, WireError};

/// TYPE A: a host address (RFC 1035 §3.2.2).
pub const TYPE_A: u16 = 1;
/// TYPE SRV: a service location (RFC 2782).
pub const TYPE_SRV: u16 = 33;
/// CLASS IN (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;

/// The header's length (RFC 1035 §4.1.1).
const HEADER_LEN: usize = 12;
/// Header flags: QR (a response), TC (truncated), RD (recursion desired).
const FLAG_QR: u16 = 0x8000;
const FLAG_TC: u16 = 0x0200;
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
    /// An A record whose data is not 4 bytes, or an SRV record whose target overruns its data.
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

/// A query for `name` of `record_type`, class IN, recursion desired, with `id`.
pub fn encode_query(id: u16, name: &str, record_type: u16) -> Result<Vec<u8>, DnsError> {
    let invalid = || DnsError::InvalidName {
        name: name.to_owned(),
    };
    let domain = DomainName::new(name).map_err(|_| invalid())?;
    if domain.labels().is_empty() {
        return Err(invalid());
    }
    let mut message = Vec::with_capacity(HEADER_LEN + domain.encoded_length() + 4);
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&FLAG_RD.to_be_bytes());
    message.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    domain.encode(&mut message);
    message.extend_from_slice(&record_type.to_be_bytes());
    message.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(message)
}

/// Decodes the response to the query with `id`.
pub fn decode_response(message: &[u8], id: u16) -> Result<Response, DnsError> {
    let mut reader = Reader { message, offset: 0 };
    let received = reader.u16("ID")?;
    let flags = reader.u16("flags")?;
    let questions = reader.u16("QDCOUNT")?;
    let answers = reader.u16("ANCOUNT")?;
    let authorities = reader.u16("NSCOUNT")?;
    let additional = reader.u16("ARCOUNT")?;
    if flags & FLAG_QR == 0 {
        return Err(DnsError::NotResponse);
    }
    if received != id {
        return Err(DnsError::WrongId {
            expected: id,
            received,
        });
    }
    let code = match flags & 0x000F {
        0 => ResponseCode::NoError,
        3 => ResponseCode::NameError,
        other => ResponseCode::Other(other as u8),
    };
    let truncated = flags & FLAG_TC != 0;
    let mut response = Response {
        code,
        truncated,
        answers: Vec::new(),
        additional: Vec::new(),
    };
    // A truncated response may end anywhere: keep what was whole.
    let sections = (|| -> Result<(), DnsError> {
        for _ in 0..questions {
            reader.name()?;
            reader.take(4, "question type and class")?;
        }
        for _ in 0..answers {
            if let Some(record) = reader.record()? {
                response.answers.push(record);
            }
        }
        for _ in 0..authorities {
            reader.record()?;
        }
        for _ in 0..additional {
            if let Some(record) = reader.record()? {
                response.additional.push(record);
            }
        }
        Ok(())
    })();
    match sections {
        Err(error) if truncated && error.is_truncation() => Ok(response),
        Err(error) => Err(error),
        Ok(()) => Ok(response),
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

    fn name(&mut self) -> Result<String, DnsError> {
        let (name, end) = read_name(self.message, self.offset)?;
        self.offset = end;
        Ok(name)
    }

    /// A record, or None for one of another class.
    fn record(&mut self) -> Result<Option<Record>, DnsError> {
        let name = self.name()?;
        let record_type = self.u16("TYPE")?;
        let class = self.u16("CLASS")?;
        self.take(4, "TTL")?;
        let length = usize::from(self.u16("RDLENGTH")?);
        let start = self.offset;
        let data = self.take(length, "RDATA")?;
        if class != CLASS_IN {
            return Ok(None);
        }
        let malformed = DnsError::BadRecordData {
            offset: start,
            record_type,
            length,
        };
        let data = match record_type {
            TYPE_A => match <[u8; 4]>::try_from(data) {
                Ok(octets) => RecordData::A(Ipv4Addr::from(octets)),
                Err(_) => return Err(malformed),
            },
            TYPE_SRV => {
                let [p0, p1, w0, w1, o0, o1, ..] = *data else {
                    return Err(malformed);
                };
                let (target, end) = read_name(self.message, start + 6)?;
                if end != start + length {
                    return Err(malformed);
                }
                RecordData::Srv(SrvData {
                    priority: u16::from_be_bytes([p0, p1]),
                    weight: u16::from_be_bytes([w0, w1]),
                    port: u16::from_be_bytes([o0, o1]),
                    target,
                })
            }
            other => RecordData::Other(other),
        };
        Ok(Some(Record { name, data }))
    }
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

/// The name at `start`, lower-cased, dotted and escaped ("." for the root), and the offset
/// after it where it is stored (after its first pointer, if it has one).
fn read_name(message: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let (name, end) = DomainName::decode(message, start)?;
    Ok((name.to_string().to_ascii_lowercase(), end))
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
