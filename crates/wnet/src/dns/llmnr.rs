//! Link-Local Multicast Name Resolution (RFC 4795) messages, sans-IO: a query for a
//! single-label name's A or AAAA records, and its response read with the C, TC and T flags.
//!
//! Nothing calls this module yet: the resolver that sends these queries comes next. Responses
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
