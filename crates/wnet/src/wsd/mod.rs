//! WS-Discovery, client side, sans-IO: the messages a client sends to find computers the way
//! Windows' Function Discovery does, and the answers and announcements it reads back.
//!
//! Windows (and `wsdd` on Linux and NAS boxes) speaks WS-Discovery as of April 2005
//! (namespace `http://schemas.xmlsoap.org/ws/2005/04/discovery`) over SOAP 1.2 and
//! SOAP-over-UDP on port 3702, with WS-Addressing of August 2004, and serves the host's
//! metadata by WS-Transfer Get over HTTP (port 5357) as the Devices Profile (DPWS, 2006/02)
//! describes. The metadata carries the computer's name and its workgroup or domain
//! (`pub:Computer`, `NAME/Workgroup:WG` or `NAME/Domain:DOM`).
//!
//! Windows' WSDAPI announces a Hello without XAddrs and answers a Probe or Resolve with the
//! one XAddr of the interface asked (WSDAPI's "Additional WS-Discovery functionality"), so a
//! client Resolves a service it heard of by Hello before it can fetch the metadata.
//!
//! [`discovery`] writes Probe and Resolve and reads ProbeMatches, ResolveMatches, Hello and
//! Bye; [`metadata`] writes the Get and its HTTP request head and reads the HTTP response and
//! the GetResponse. Every message received is hostile input: it is read by a bounded XML
//! reader (no DTD, no entities, limited depth, size and counts, namespace prefixes resolved
//! to their URIs), and every string kept is bounded in length.
//!
//! [`client`] is the engine around them: it Probes on every interface chosen for multicast
//! discovery, Resolves, fetches the metadata and merges the answers, and listens for Hello
//! and Bye.

pub mod client;
pub mod discovery;
pub mod metadata;
mod xml;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

pub use xml::{MAX_DEPTH, MAX_ELEMENTS};

/// The WS-Discovery port (WS-Discovery 2005/04 §2.4).
pub const DISCOVERY_PORT: u16 = 3702;
/// The IPv4 multicast group (WS-Discovery 2005/04 §2.4).
pub const MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);
/// The IPv6 link-local multicast group, FF02::C (WS-Discovery 2005/04 §2.4).
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xc);
/// The port Windows serves device metadata on (WSDAPI's HTTP port; `wsdd` uses it too).
pub const METADATA_HTTP_PORT: u16 = 5357;

/// APP_MAX_DELAY (WS-Discovery 2005/04 Appendix I): a target service waits up to this long,
/// at random, before answering a multicast Probe or Resolve.
pub const APP_MAX_DELAY: Duration = Duration::from_millis(500);
/// MATCH_TIMEOUT (WS-Discovery 1.1 and DPWS 1.1, Appendix B; KDE's kio-extras waits this
/// long): the longest a client waits for the matches of one Probe or Resolve.
pub const MATCH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `wsdd --discovery` waits for ProbeMatches (its PROBE_TIMEOUT): answers come
/// within APP_MAX_DELAY plus the retransmissions, so a short wait finds nearly all.
pub const PROBE_WAIT: Duration = Duration::from_secs(4);
/// MULTICAST_UDP_REPEAT as DPWS and `wsdd` use it: a multicast message is sent this many
/// times in all (SOAP-over-UDP Appendix I).
pub const MULTICAST_UDP_REPEAT: u32 = 4;
/// UNICAST_UDP_REPEAT (SOAP-over-UDP Appendix I): a unicast message is sent this many times.
pub const UNICAST_UDP_REPEAT: u32 = 2;
/// UDP_MIN_DELAY (SOAP-over-UDP Appendix I): the least first delay between repeats.
pub const UDP_MIN_DELAY: Duration = Duration::from_millis(50);
/// UDP_MAX_DELAY (SOAP-over-UDP Appendix I): the most first delay between repeats (each
/// later delay doubles).
pub const UDP_MAX_DELAY: Duration = Duration::from_millis(250);
/// UDP_UPPER_DELAY (SOAP-over-UDP Appendix I): no delay between repeats exceeds this.
pub const UDP_UPPER_DELAY: Duration = Duration::from_millis(500);
/// How long the metadata Get may take, connection to last byte (`wsdd`'s client allows 2 s).
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest datagram decoded: a UDP payload's bound (SOAP-over-UDP §3.2; WSDAPI accepts
/// 64 KiB though DPWS' MAX_ENVELOPE_SIZE is 32 767).
pub const MAX_DATAGRAM_LEN: usize = 65_536;
/// The largest HTTP metadata response read, head and body.
pub const MAX_METADATA_LEN: usize = 256 * 1024;
/// The longest string kept from a message (an address, a URL, a name).
pub const MAX_FIELD_LEN: usize = 1024;
/// The most types kept for one target service.
pub const MAX_TYPES: usize = 16;
/// The most XAddrs kept for one target service.
pub const MAX_XADDRS: usize = 16;
/// The most matches read from one ProbeMatches.
pub const MAX_MATCHES: usize = 16;

/// SOAP 1.2's envelope namespace.
pub const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing, August 2004.
pub const NS_ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Discovery, April 2005.
pub const NS_DISCOVERY: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
/// The Devices Profile for Web Services, February 2006.
pub const NS_DEVPROF: &str = "http://schemas.xmlsoap.org/ws/2006/02/devprof";
/// WS-MetadataExchange, September 2004.
pub const NS_MEX: &str = "http://schemas.xmlsoap.org/ws/2004/09/mex";
/// Microsoft's publication namespace (`pub:Computer`).
pub const NS_PUB: &str = "http://schemas.microsoft.com/windows/pub/2005/07";
/// The `wsa:To` of multicast discovery messages (WS-Discovery 2005/04 §2.4).
pub const DISCOVERY_TO: &str = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
/// WS-Addressing's anonymous endpoint: replies go back on the request's connection.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

/// What is wrong with a message received or a value to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsdError {
    /// The message is longer than its limit.
    #[error("WSD message of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Its length.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message is not UTF-8.
    #[error("WSD message is not UTF-8 at offset {offset}")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The message ends inside the document.
    #[error("WSD message truncated at offset {offset}")]
    Truncated {
        /// Its length.
        offset: usize,
    },
    /// The XML is not well-formed.
    #[error("WSD message malformed at offset {offset}: expected {expected}")]
    Syntax {
        /// Where.
        offset: usize,
        /// What should have been there.
        expected: &'static str,
    },
    /// An end tag does not close the element open.
    #[error("WSD message has a mismatched end tag before offset {offset}")]
    MismatchedEnd {
        /// Just past the end tag.
        offset: usize,
    },
    /// A document type declaration (and with it any entity declaration): refused, SOAP
    /// forbids them and they are how entity expansion attacks start.
    #[error("WSD message has a DTD or entity declaration at offset {offset}")]
    Doctype {
        /// Where it starts.
        offset: usize,
    },
    /// An entity reference other than the predefined five or a valid character reference.
    #[error("WSD message has an unknown entity reference at offset {offset}")]
    UnknownEntity {
        /// Where the `&` is.
        offset: usize,
    },
    /// A namespace prefix used but not declared.
    #[error("WSD message uses the undeclared namespace prefix {prefix:?}")]
    UnboundPrefix {
        /// The prefix.
        prefix: String,
    },
    /// Elements nest deeper than the limit.
    #[error("WSD message nests elements deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More of something than the limit.
    #[error("WSD message has more {field} than {limit}")]
    TooMany {
        /// What.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A string longer than its limit.
    #[error("WSD message has a {field} longer than {limit} bytes")]
    FieldTooLong {
        /// Which.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The root is not a SOAP 1.2 Envelope, or it has no Header or Body.
    #[error("WSD message is not a SOAP 1.2 envelope with a header and a body")]
    NotSoapEnvelope,
    /// A required element is missing or empty.
    #[error("WSD message lacks {element}")]
    Missing {
        /// The element, as `prefix:name` in the usual prefixes.
        element: &'static str,
    },
    /// A number that does not parse.
    #[error("WSD message has an invalid {field}")]
    InvalidNumber {
        /// Which.
        field: &'static str,
    },
    /// An action this decoder does not read (another client's Probe, say): not an error of
    /// the sender's, but nothing for a client.
    #[error("WSD message has the action {action:?}, not one a client reads")]
    UnexpectedAction {
        /// The action.
        action: String,
    },
    /// An endpoint address to send that is empty, too long, or holds control characters.
    #[error("cannot send to the endpoint address {address:?}")]
    InvalidAddress {
        /// The address.
        address: String,
    },
    /// The HTTP response is not one this client reads: malformed, chunked, or not 200.
    #[error("metadata HTTP response: {reason}")]
    Http {
        /// What was wrong.
        reason: &'static str,
    },
    /// The HTTP response's status is not 200.
    #[error("metadata HTTP response has status {status}")]
    HttpStatus {
        /// The status code.
        status: u16,
    },
}

impl WsdError {
    /// Whether more bytes might have made the message good.
    pub fn is_truncation(&self) -> bool {
        matches!(self, WsdError::Truncated { .. })
    }
}

/// A message's id, `urn:uuid:` and a version 4 UUID, made from random bytes the caller draws.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// The id made of 16 random bytes, with the version (4) and variant bits set (RFC 9562
    /// §5.4).
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> MessageId {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let mut hex = String::with_capacity(32);
        for byte in bytes {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        MessageId(format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SOAP envelope's opening with the namespaces our messages use, and its header's start.
fn envelope_start() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <soap:Envelope xmlns:soap=\"{NS_SOAP}\" xmlns:wsa=\"{NS_ADDRESSING}\" \
         xmlns:wsd=\"{NS_DISCOVERY}\" xmlns:wsdp=\"{NS_DEVPROF}\" xmlns:pub=\"{NS_PUB}\">\
         <soap:Header>"
    )
}

/// `address` checked as an endpoint address to write: not empty, at most MAX_FIELD_LEN
/// bytes, no control characters.
fn check_address(address: &str) -> Result<&str, WsdError> {
    if address.is_empty()
        || address.len() > MAX_FIELD_LEN
        || address.chars().any(char::is_control)
        || address.trim() != address
    {
        return Err(WsdError::InvalidAddress {
            address: address.chars().take(MAX_FIELD_LEN).collect(),
        });
    }
    Ok(address)
}

/// The envelope of a message received: its root parsed, the SOAP Header and Body found.
struct Envelope {
    root: xml::Element,
}

impl Envelope {
    fn parse(input: &[u8], limit: usize) -> Result<Envelope, WsdError> {
        let root = xml::parse(input, limit)?;
        if !root.is(NS_SOAP, "Envelope")
            || root.child(NS_SOAP, "Header").is_none()
            || root.child(NS_SOAP, "Body").is_none()
        {
            return Err(WsdError::NotSoapEnvelope);
        }
        Ok(Envelope { root })
    }

    fn header(&self) -> &xml::Element {
        self.root.child(NS_SOAP, "Header").unwrap_or(&self.root)
    }

    fn body(&self) -> &xml::Element {
        self.root.child(NS_SOAP, "Body").unwrap_or(&self.root)
    }

    /// The text of the header's `wsa:{name}`, trimmed and bounded.
    fn addressing(&self, name: &'static str) -> Result<Option<String>, WsdError> {
        self.header()
            .child(NS_ADDRESSING, name)
            .map(|element| bounded_text(element, name))
            .transpose()
    }
}

/// An element's text, trimmed, at most MAX_FIELD_LEN bytes.
fn bounded_text(element: &xml::Element, field: &'static str) -> Result<String, WsdError> {
    bounded(element.text.trim(), field)
}

fn bounded(text: &str, field: &'static str) -> Result<String, WsdError> {
    if text.len() > MAX_FIELD_LEN {
        return Err(WsdError::FieldTooLong {
            field,
            limit: MAX_FIELD_LEN,
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_a_version_4_uuid() {
        let id = MessageId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_str(), "urn:uuid:ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = MessageId::from_random_bytes([0; 16]);
        assert_eq!(
            id.to_string(),
            "urn:uuid:00000000-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn addresses_to_send_are_checked() {
        assert!(check_address("urn:uuid:1").is_ok());
        for bad in ["", " x", "a\nb", &"x".repeat(MAX_FIELD_LEN + 1)] {
            assert!(matches!(
                check_address(bad),
                Err(WsdError::InvalidAddress { .. })
            ));
        }
    }
}
