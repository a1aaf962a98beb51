//! Link-Local Multicast Name Resolution (RFC 4795) messages, sans-IO: a query for a
//! single-label name's A or AAAA records, and its response read with the C, TC and T flags.
//!
//! The resolver that sends these queries is [`super::llmnr_client`]. Responses
//! come from anyone on the link: they are read by [`super::wire::decode_message`] — the one
//! DNS parser — within [`LIMITS`], and one that does not repeat the question asked, under its
//! id, is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use wnet_nbt::wire::DomainName;

use super::wire::{
    CLASS_IN, DnsError, FLAG_QR, FLAG_TC, MessageLimits, RecordValue, ResponseCode, decode_message,
    encode_questions, same_name,
};

/// The LLMNR port (RFC 4795 §2).
pub const LLMNR_PORT: u16 = 5355;
/// The IPv4 group, 224.0.0.252 (RFC 4795 §2).
pub const LLMNR_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 252);
/// The IPv6 group, FF02::1:3 (RFC 4795 §2).
pub const LLMNR_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xFF02, 0, 0, 0, 0, 0, 1, 3);
/// A response's longest: our queries carry no EDNS0 option, so a responder answers within
/// DNS's 512 bytes and sets TC beyond (RFC 4795 §2.1, RFC 1035 §4.2.1).
pub const MAX_MESSAGE_LENGTH: usize = 512;
/// The most records read in any one section.
pub const MAX_RECORDS: usize = 64;
/// What a received message may be.
pub const LIMITS: MessageLimits = MessageLimits {
    max_length: MAX_MESSAGE_LENGTH,
    max_records: MAX_RECORDS,
};
/// Header flags (RFC 4795 §2.1.1): C, conflict; T, tentative (TC is DNS's).
const FLAG_C: u16 = 0x0400;
const FLAG_T: u16 = 0x0100;
/// The opcode: only the standard query (0) is defined.
const OPCODE: u16 = 0x7800;

/// A query for the A (`TYPE_A`) or AAAA (`TYPE_AAAA`) records of `name`, a single label
/// (RFC 4795 §2: LLMNR resolves single-label names by default), with `id`.
pub fn encode_query(id: u16, name: &str, record_type: u16) -> Result<Vec<u8>, DnsError> {
    let domain = single_label(name)?;
    encode_questions(id, 0, &[(&domain, record_type, CLASS_IN)])
}

/// An address of a response, with its TTL in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlmnrAddress {
    /// The address.
    pub address: IpAddr,
    /// Its TTL.
    pub ttl: u32,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmnrResponse {
    /// C: the name is claimed by more than one responder (RFC 4795 §2.1.1, §4).
    pub conflict: bool,
    /// TC: the response did not fit; ask again over TCP.
    pub truncated: bool,
    /// T: the responder has not yet checked that the name is its alone.
    pub tentative: bool,
    /// Its RCODE.
    pub code: ResponseCode,
    /// The answers of the type asked for the name asked, each once.
    pub addresses: Vec<LlmnrAddress>,
}

/// Reads the response to the query with `id` for `name` of `record_type`: a response of
/// another id, or whose question section is not that one question (RFC 4795 §2.1.1), is
/// refused; answers for other names or types are left out.
pub fn decode_response(
    message: &[u8],
    id: u16,
    name: &str,
    record_type: u16,
) -> Result<LlmnrResponse, DnsError> {
    let asked = single_label(name)?;
    let decoded = decode_message(message, LIMITS)?;
    if decoded.flags & FLAG_QR == 0 {
        return Err(DnsError::NotResponse);
    }
    if decoded.id != id {
        return Err(DnsError::WrongId {
            expected: id,
            received: decoded.id,
        });
    }
    if decoded.flags & OPCODE != 0 {
        return Err(DnsError::UnexpectedFlags {
            flags: decoded.flags,
        });
    }
    let [question] = decoded.questions.as_slice() else {
        return Err(DnsError::QuestionMismatch);
    };
    if !same_name(&question.name, &asked)
        || question.record_type != record_type
        || question.class != CLASS_IN
    {
        return Err(DnsError::QuestionMismatch);
    }
    let code = match decoded.flags & 0x000F {
        0 => ResponseCode::NoError,
        3 => ResponseCode::NameError,
        other => ResponseCode::Other(other as u8),
    };
    let mut addresses: Vec<LlmnrAddress> = Vec::new();
    for record in &decoded.answers {
        if record.class != CLASS_IN
            || record.record_type != record_type
            || !same_name(&record.name, &asked)
        {
            continue;
        }
        let address = match record.value {
            RecordValue::A(address) => IpAddr::V4(address),
            RecordValue::Aaaa(address) => IpAddr::V6(address),
            _ => continue,
        };
        if !addresses.iter().any(|known| known.address == address) {
            addresses.push(LlmnrAddress {
                address,
                ttl: record.ttl,
            });
        }
    }
    Ok(LlmnrResponse {
        conflict: decoded.flags & FLAG_C != 0,
        truncated: decoded.flags & FLAG_TC != 0,
        tentative: decoded.flags & FLAG_T != 0,
        code,
        addresses,
    })
}

/// Whether `name` is resolved by LLMNR: one label (a trailing dot allowed) that is a valid
/// DNS label and not an IPv4 address's text (RFC 4795 §2).
pub fn is_llmnr_name(name: &str) -> bool {
    single_label(name).is_ok() && name.parse::<IpAddr>().is_err()
}

/// `name` as a one-label domain name.
fn single_label(name: &str) -> Result<DomainName, DnsError> {
    DomainName::new(name)
        .ok()
        .filter(|domain| domain.labels().len() == 1)
        .ok_or_else(|| DnsError::InvalidName {
            name: name.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::{TYPE_A, TYPE_AAAA};

    /// A response to our query for `name` with `flags` and answers of `name`.
    fn response(id: u16, flags: u16, name: &str, record_type: u16, answers: &[&[u8]]) -> Vec<u8> {
        let mut out = encode_query(id, name, record_type).unwrap();
        out[2..4].copy_from_slice(&flags.to_be_bytes());
        out[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for data in answers {
            out.extend_from_slice(&[0xC0, 12]);
            out.extend_from_slice(&record_type.to_be_bytes());
            out.extend_from_slice(&[0, 1, 0, 0, 0, 30]);
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn queries_are_written_as_rfc_4795_says() {
        assert_eq!(
            encode_query(0x1234, "Print1", TYPE_AAAA).unwrap(),
            [
                0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 6, b'P', b'r', b'i', b'n', b't', b'1', 0,
                0, 28, 0, 1
            ]
        );
        for bad in ["", ".", "a.b", &"x".repeat(64)] {
            assert!(matches!(
                encode_query(1, bad, TYPE_A),
                Err(DnsError::InvalidName { .. })
            ));
        }
    }

    #[test]
    fn a_response_gives_addresses_and_flags() {
        let message = response(
            7,
            0x8500,
            "print1",
            TYPE_A,
            &[&[198, 51, 100, 9], &[198, 51, 100, 9]],
        );
        let decoded = decode_response(&message, 7, "PRINT1", TYPE_A).unwrap();
        assert!(decoded.conflict && decoded.tentative && !decoded.truncated);
        assert_eq!(decoded.code, ResponseCode::NoError);
        assert_eq!(
            decoded.addresses,
            vec![LlmnrAddress {
                address: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9)),
                ttl: 30,
            }]
        );
        let v6 = [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        let message = response(7, 0x8000, "print1", TYPE_AAAA, &[&v6]);
        let decoded = decode_response(&message, 7, "print1", TYPE_AAAA).unwrap();
        assert_eq!(decoded.addresses.len(), 1);
        assert!(!decoded.conflict && !decoded.tentative);
    }

    #[test]
    fn another_id_or_question_is_refused() {
        let message = response(7, 0x8000, "print1", TYPE_A, &[&[1, 2, 3, 4]]);
        assert_eq!(
            decode_response(&message, 8, "print1", TYPE_A),
            Err(DnsError::WrongId {
                expected: 8,
                received: 7
            })
        );
        assert_eq!(
            decode_response(&message, 7, "print2", TYPE_A),
            Err(DnsError::QuestionMismatch)
        );
        assert_eq!(
            decode_response(&message, 7, "print1", TYPE_AAAA),
            Err(DnsError::QuestionMismatch)
        );
        let mut no_question = message.clone();
        no_question[5] = 0;
        assert!(decode_response(&no_question, 7, "print1", TYPE_A).is_err());
        let query = encode_query(7, "print1", TYPE_A).unwrap();
        assert_eq!(
            decode_response(&query, 7, "print1", TYPE_A),
            Err(DnsError::NotResponse)
        );
        let mut opcode = message.clone();
        opcode[2] |= 0x08;
        assert!(matches!(
            decode_response(&opcode, 7, "print1", TYPE_A),
            Err(DnsError::UnexpectedFlags { .. })
        ));
    }

    #[test]
    fn truncated_and_oversized_input_is_refused() {
        let whole = response(7, 0x8000, "print1", TYPE_A, &[&[1, 2, 3, 4]]);
        for cut in 0..whole.len() {
            let error = decode_response(&whole[..cut], 7, "print1", TYPE_A).unwrap_err();
            assert!(error.is_truncation(), "cut at {cut}: {error:?}");
        }
        // With TC set, the whole records before the cut are kept.
        let mut cut = response(7, 0x8200, "print1", TYPE_A, &[&[1, 2, 3, 4], &[5, 6, 7, 8]]);
        cut.truncate(cut.len() - 2);
        let decoded = decode_response(&cut, 7, "print1", TYPE_A).unwrap();
        assert!(decoded.truncated);
        assert_eq!(decoded.addresses.len(), 1);
        let mut long = whole.clone();
        long.resize(MAX_MESSAGE_LENGTH + 1, 0);
        assert!(matches!(
            decode_response(&long, 7, "print1", TYPE_A),
            Err(DnsError::MessageTooLong { .. })
        ));
    }

    #[test]
    fn single_labels_go_to_llmnr() {
        for yes in ["print1", "PRINT1.", "nas-2"] {
            assert!(is_llmnr_name(yes), "{yes}");
        }
        for no in ["", ".", "nas.local", "a.b", "::1", &"x".repeat(64)] {
            assert!(!is_llmnr_name(no), "{no}");
        }
    }
}
