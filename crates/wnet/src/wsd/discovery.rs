//! Discovery messages over SOAP-over-UDP (WS-Discovery 2005/04 §§4–6): the Probe and Resolve
//! a client multicasts, and the ProbeMatches, ResolveMatches, Hello and Bye it receives.
//!
//! Matching a ProbeMatches to our Probe (its `RelatesTo` against our MessageID), dropping
//! repeats (the same MessageID again) and ordering announcements by AppSequence are the
//! caller's: this module only reads what a message says.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::xml::{self, Element};
use super::{
    DISCOVERY_TO, Envelope, MAX_DATAGRAM_LEN, MAX_FIELD_LEN, MAX_MATCHES, MAX_TYPES, MAX_XADDRS,
    MessageId, NS_ADDRESSING, NS_DEVPROF, NS_DISCOVERY, NS_PUB, WsdError, bounded, bounded_text,
    check_address, envelope_start,
};

/// The Probe's action.
pub const ACTION_PROBE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
/// The ProbeMatches' action.
pub const ACTION_PROBE_MATCHES: &str =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
/// The Resolve's action.
pub const ACTION_RESOLVE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve";
/// The ResolveMatches' action.
pub const ACTION_RESOLVE_MATCHES: &str =
    "http://schemas.xmlsoap.org/ws/2005/04/discovery/ResolveMatches";
/// The Hello's action.
pub const ACTION_HELLO: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello";
/// The Bye's action.
pub const ACTION_BYE: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye";

/// A multicast Probe for computers: Types `wsdp:Device pub:Computer`, as Windows' network
/// folder sends it.
pub fn encode_probe(message_id: &MessageId) -> Vec<u8> {
    probe_of_types(message_id, "wsdp:Device pub:Computer")
}

/// A multicast Probe for devices: Types `wsdp:Device` alone, as `wsdd --discovery` sends it.
/// `wsdd` (0.7) answers no other: it compares the Types' text with `wsdp:Device` as a
/// string, so a Probe for `wsdp:Device pub:Computer` goes unanswered; the matches' own Types
/// tell computers from printers.
pub fn encode_device_probe(message_id: &MessageId) -> Vec<u8> {
    probe_of_types(message_id, "wsdp:Device")
}

fn probe_of_types(message_id: &MessageId, types: &str) -> Vec<u8> {
    format!(
        "{}<wsa:To>{DISCOVERY_TO}</wsa:To><wsa:Action>{ACTION_PROBE}</wsa:Action>\
         <wsa:MessageID>{message_id}</wsa:MessageID></soap:Header><soap:Body><wsd:Probe>\
         <wsd:Types>{types}</wsd:Types></wsd:Probe></soap:Body></soap:Envelope>",
        envelope_start()
    )
    .into_bytes()
}

/// A multicast Resolve of the endpoint reference `address` (its `urn:uuid:`), asking for the
/// XAddrs of a service announced without them.
pub fn encode_resolve(message_id: &MessageId, address: &str) -> Result<Vec<u8>, WsdError> {
    let address = xml::escape(check_address(address)?);
    Ok(format!(
        "{}<wsa:To>{DISCOVERY_TO}</wsa:To><wsa:Action>{ACTION_RESOLVE}</wsa:Action>\
         <wsa:MessageID>{message_id}</wsa:MessageID></soap:Header><soap:Body><wsd:Resolve>\
         <wsa:EndpointReference><wsa:Address>{address}</wsa:Address></wsa:EndpointReference>\
         </wsd:Resolve></soap:Body></soap:Envelope>",
        envelope_start()
    )
    .into_bytes())
}

/// A type a target service says it implements: a qualified name, its prefix resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// The namespace URI.
    pub namespace: String,
    /// The local name.
    pub local_name: String,
}

impl QualifiedName {
    /// Whether this is `pub:Computer`, the type of a Windows (or `wsdd`) host.
    pub fn is_computer(&self) -> bool {
        self.namespace == NS_PUB && self.local_name == "Computer"
    }

    /// Whether this is `wsdp:Device`, DPWS' device type.
    pub fn is_device(&self) -> bool {
        self.namespace == NS_DEVPROF && self.local_name == "Device"
    }
}

/// Where an XAddr points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XAddrHost {
    /// An IPv4 or IPv6 literal (an IPv6 zone, as in `[fe80::1%25eth0]`, is dropped: the
    /// caller knows the interface the message came in on).
    Ip(IpAddr),
    /// A host name (letters, digits, `-` and `.`), lower-cased.
    Name(String),
}

/// A transport address of a target service (`wsd:XAddrs`): an `http://` URL, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XAddr {
    /// The URL as announced.
    pub url: String,
    /// Its host.
    pub host: XAddrHost,
    /// Its port (80 when it names none).
    pub port: u16,
    /// Its path and query, starting with `/`.
    pub path: String,
}

impl XAddr {
    /// `url` read as an XAddr a client can fetch metadata from: `http://`, a host that is an
    /// IPv4 or bracketed IPv6 literal or a host name, an optional port, a path without
    /// spaces or control characters; no user information. `None` for anything else (`https`
    /// included: Windows computers announce `http`).
    pub fn parse(url: &str) -> Option<XAddr> {
        if url.len() > MAX_FIELD_LEN {
            return None;
        }
        let scheme = url.get(..7)?;
        if !scheme.eq_ignore_ascii_case("http://") {
            return None;
        }
        let rest = url.get(7..)?;
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if path.contains('#') || path.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return None;
        }
        let path = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let (host, port) = parse_authority(authority)?;
        Some(XAddr {
            url: url.to_owned(),
            host,
            port,
            path,
        })
    }
}

fn parse_authority(authority: &str) -> Option<(XAddrHost, u16)> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed.split_once(']')?;
        let literal = literal
            .split_once('%')
            .map_or(literal, |(address, _zone)| address);
        let address: Ipv6Addr = literal.parse().ok()?;
        (XAddrHost::Ip(IpAddr::V6(address)), after)
    } else {
        let split = authority.find(':').unwrap_or(authority.len());
        let (host, after) = authority.split_at(split);
        let host = if let Ok(address) = host.parse::<Ipv4Addr>() {
            XAddrHost::Ip(IpAddr::V4(address))
        } else if is_host_name(host) {
            XAddrHost::Name(host.to_ascii_lowercase())
        } else {
            return None;
        };
        (host, after)
    };
    let port = if port.is_empty() || port == ":" {
        80
    } else {
        let digits = port.strip_prefix(':')?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|&port| port != 0)?
    };
    Some((host, port))
}

fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        // a dotted quad that did not parse as IPv4 (300.1.1.1) is not a name either
        && !host.split('.').all(|label| label.bytes().all(|b| b.is_ascii_digit()))
}

/// A target service's sequence of announcements (`wsd:AppSequence`, §7): a restarted
/// service has a greater InstanceId; within one, MessageNumber grows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSequence {
    /// The instance, greater after each restart.
    pub instance_id: u64,
    /// The sequence within the instance, when the service has several.
    pub sequence_id: Option<String>,
    /// The message's number within the sequence.
    pub message_number: u64,
}

/// What a discovery message's SOAP header says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageHeader {
    /// Its MessageID.
    pub message_id: Option<String>,
    /// The MessageID of the message it answers (a Probe's or Resolve's).
    pub relates_to: Option<String>,
    /// Its AppSequence, when present.
    pub app_sequence: Option<AppSequence>,
}

/// A target service as a Hello, Bye, ProbeMatch or ResolveMatch describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetService {
    /// Its endpoint reference's address, a stable id (usually `urn:uuid:`).
    pub address: String,
    /// The types it implements whose prefixes resolve (at most MAX_TYPES).
    pub types: Vec<QualifiedName>,
    /// Its transport addresses that are valid `http://` URLs (at most MAX_XADDRS were
    /// announced); empty when it announced none.
    pub xaddrs: Vec<XAddr>,
    /// Its MetadataVersion: a greater one means the metadata changed.
    pub metadata_version: Option<u32>,
}

impl TargetService {
    /// Whether it says it is a computer (`pub:Computer`).
    pub fn is_computer(&self) -> bool {
        self.types.iter().any(QualifiedName::is_computer)
    }
}

/// A discovery message a client reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryMessage {
    /// A service joined the network or changed (§4.1).
    Hello {
        /// The header.
        header: MessageHeader,
        /// The service.
        service: TargetService,
    },
    /// A service is leaving the network (§4.2).
    Bye {
        /// The header.
        header: MessageHeader,
        /// The service (usually its address only).
        service: TargetService,
    },
    /// The answer of services matching a Probe (§5.3).
    ProbeMatches {
        /// The header; `relates_to` names the Probe.
        header: MessageHeader,
        /// The services that match (at most MAX_MATCHES).
        matches: Vec<TargetService>,
    },
    /// The answer of the service a Resolve named (§6.2).
    ResolveMatches {
        /// The header; `relates_to` names the Resolve.
        header: MessageHeader,
        /// The service (none when it sent an empty answer).
        matches: Vec<TargetService>,
    },
}

impl DiscoveryMessage {
    /// The message's header.
    pub fn header(&self) -> &MessageHeader {
        match self {
            DiscoveryMessage::Hello { header, .. }
            | DiscoveryMessage::Bye { header, .. }
            | DiscoveryMessage::ProbeMatches { header, .. }
            | DiscoveryMessage::ResolveMatches { header, .. } => header,
        }
    }
}

/// Reads a datagram received on the discovery port or in answer to a Probe or Resolve.
///
/// Other actions (another client's Probe or Resolve) are [`WsdError::UnexpectedAction`]; a
/// match answering someone else's Probe is read all the same (matching is the caller's).
pub fn decode_datagram(datagram: &[u8]) -> Result<DiscoveryMessage, WsdError> {
    let envelope = Envelope::parse(datagram, MAX_DATAGRAM_LEN)?;
    let action = envelope.addressing("Action")?.ok_or(WsdError::Missing {
        element: "wsa:Action",
    })?;
    let header = MessageHeader {
        message_id: envelope.addressing("MessageID")?,
        relates_to: envelope.addressing("RelatesTo")?,
        app_sequence: app_sequence(envelope.header())?,
    };
    let root = &envelope.root;
    let body = envelope.body();
    let (name, element): (&'static str, &'static str) = match action.as_str() {
        ACTION_HELLO => ("Hello", "wsd:Hello"),
        ACTION_BYE => ("Bye", "wsd:Bye"),
        ACTION_PROBE_MATCHES => ("ProbeMatches", "wsd:ProbeMatches"),
        ACTION_RESOLVE_MATCHES => ("ResolveMatches", "wsd:ResolveMatches"),
        _ => return Err(WsdError::UnexpectedAction { action }),
    };
    let content = body
        .child(NS_DISCOVERY, name)
        .ok_or(WsdError::Missing { element })?;
    let ancestors = [root, body, content];
    match name {
        "Hello" => Ok(DiscoveryMessage::Hello {
            header,
            service: target_service(&ancestors, content)?,
        }),
        "Bye" => Ok(DiscoveryMessage::Bye {
            header,
            service: target_service(&ancestors, content)?,
        }),
        "ProbeMatches" => Ok(DiscoveryMessage::ProbeMatches {
            header,
            matches: matches(&ancestors, content, "ProbeMatch")?,
        }),
        _ => Ok(DiscoveryMessage::ResolveMatches {
            header,
            matches: matches(&ancestors, content, "ResolveMatch")?,
        }),
    }
}

fn matches(
    ancestors: &[&Element],
    content: &Element,
    name: &'static str,
) -> Result<Vec<TargetService>, WsdError> {
    let mut matches = Vec::new();
    for element in content.children_named(NS_DISCOVERY, name) {
        if matches.len() == MAX_MATCHES {
            return Err(WsdError::TooMany {
                field: "matches",
                limit: MAX_MATCHES,
            });
        }
        let mut chain = ancestors.to_vec();
        chain.push(element);
        matches.push(target_service(&chain, element)?);
    }
    Ok(matches)
}

/// The service an element describes; `ancestors` ends with the element itself, for the
/// prefixes its Types use.
fn target_service(ancestors: &[&Element], element: &Element) -> Result<TargetService, WsdError> {
    let address = element
        .child(NS_ADDRESSING, "EndpointReference")
        .and_then(|reference| reference.child(NS_ADDRESSING, "Address"))
        .map(|address| bounded_text(address, "wsa:Address"))
        .transpose()?
        .filter(|address| !address.is_empty())
        .ok_or(WsdError::Missing {
            element: "wsa:EndpointReference/wsa:Address",
        })?;
    let mut types = Vec::new();
    if let Some(types_element) = element.child(NS_DISCOVERY, "Types") {
        let mut chain = ancestors.to_vec();
        chain.push(types_element);
        for name in types_element.text.split_whitespace() {
            if types.len() == MAX_TYPES {
                return Err(WsdError::TooMany {
                    field: "types",
                    limit: MAX_TYPES,
                });
            }
            if let Some(name) = resolve_qualified_name(&chain, name)? {
                types.push(name);
            }
        }
    }
    let mut xaddrs = Vec::new();
    if let Some(list) = element.child(NS_DISCOVERY, "XAddrs") {
        for (count, url) in list.text.split_whitespace().enumerate() {
            if count == MAX_XADDRS {
                return Err(WsdError::TooMany {
                    field: "XAddrs",
                    limit: MAX_XADDRS,
                });
            }
            xaddrs.extend(XAddr::parse(url));
        }
    }
    let metadata_version = element
        .child(NS_DISCOVERY, "MetadataVersion")
        .map(|version| {
            version
                .text
                .trim()
                .parse::<u32>()
                .map_err(|_| WsdError::InvalidNumber {
                    field: "wsd:MetadataVersion",
                })
        })
        .transpose()?;
    Ok(TargetService {
        address,
        types,
        xaddrs,
        metadata_version,
    })
}

/// `text` (`prefix:local` or `local`) resolved in the scope of `ancestors`; `None` when its
/// prefix is not declared (a type we cannot name is one we do not look for).
fn resolve_qualified_name(
    ancestors: &[&Element],
    text: &str,
) -> Result<Option<QualifiedName>, WsdError> {
    bounded(text, "type")?;
    let (prefix, local) = text.split_once(':').unwrap_or(("", text));
    if local.is_empty() {
        return Ok(None);
    }
    let Some(namespace) = xml::lookup_prefix(ancestors, prefix) else {
        return Ok(None);
    };
    Ok(Some(QualifiedName {
        namespace: bounded(namespace, "type's namespace")?,
        local_name: local.to_owned(),
    }))
}

fn app_sequence(header: &Element) -> Result<Option<AppSequence>, WsdError> {
    let Some(element) = header.child(NS_DISCOVERY, "AppSequence") else {
        return Ok(None);
    };
    let number = |name: &'static str, field: &'static str| {
        element
            .attribute(name)
            .and_then(|value| value.trim().parse::<u64>().ok())
            .ok_or(WsdError::InvalidNumber { field })
    };
    Ok(Some(AppSequence {
        instance_id: number("InstanceId", "AppSequence InstanceId")?,
        sequence_id: element
            .attribute("SequenceId")
            .map(|id| bounded(id.trim(), "AppSequence SequenceId"))
            .transpose()?,
        message_number: number("MessageNumber", "AppSequence MessageNumber")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsd::MAX_DEPTH;

    const HELLO: &[u8] = include_bytes!("../../testdata/wsd/wsdd-hello.xml");
    const BYE: &[u8] = include_bytes!("../../testdata/wsd/wsdd-bye.xml");
    const PROBE_MATCHES: &[u8] = include_bytes!("../../testdata/wsd/wsdd-probe-matches.xml");
    const RESOLVE_MATCHES: &[u8] = include_bytes!("../../testdata/wsd/wsdd-resolve-matches.xml");
    const OTHER_PROBE_MATCHES: &[u8] = include_bytes!("../../testdata/wsd/other-probe-matches.xml");
    const FILER: &str = "urn:uuid:5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c";

    fn ours() -> MessageId {
        MessageId::from_random_bytes([0; 16])
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn filer_xaddr(host: IpAddr) -> XAddr {
        let url = match host {
            IpAddr::V4(v4) => format!("http://{v4}:5357/5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c"),
            IpAddr::V6(v6) => format!("http://[{v6}]:5357/5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c"),
        };
        XAddr {
            url,
            host: XAddrHost::Ip(host),
            port: 5357,
            path: "/5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c".to_owned(),
        }
    }

    #[test]
    fn reads_wsdd_hello() {
        let DiscoveryMessage::Hello { header, service } = decode_datagram(HELLO).unwrap() else {
            panic!("not a Hello");
        };
        assert_eq!(
            header.message_id.as_deref(),
            Some("urn:uuid:0f9b4a52-6f2b-4f33-9d4e-2c1f3d5e7a10")
        );
        assert_eq!(header.relates_to, None);
        assert_eq!(
            header.app_sequence,
            Some(AppSequence {
                instance_id: 1_764_928_800,
                sequence_id: Some("urn:uuid:7e3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6".to_owned()),
                message_number: 1,
            })
        );
        assert_eq!(service.address, FILER);
        assert!(service.is_computer());
        assert!(service.types[0].is_device());
        assert_eq!(
            service.xaddrs,
            [filer_xaddr(Ipv4Addr::new(192, 0, 2, 20).into())]
        );
        assert_eq!(service.metadata_version, Some(1));
    }

    #[test]
    fn reads_wsdd_bye() {
        let DiscoveryMessage::Bye { header, service } = decode_datagram(BYE).unwrap() else {
            panic!("not a Bye");
        };
        assert_eq!(header.app_sequence.unwrap().message_number, 7);
        assert_eq!(service.address, FILER);
        assert!(service.types.is_empty() && service.xaddrs.is_empty());
        assert_eq!(service.metadata_version, None);
    }

    #[test]
    fn reads_probe_matches_answering_our_probe() {
        let message = decode_datagram(PROBE_MATCHES).unwrap();
        assert_eq!(
            message.header().relates_to.as_deref(),
            Some(ours().as_str())
        );
        let DiscoveryMessage::ProbeMatches { matches, .. } = message else {
            panic!("not ProbeMatches");
        };
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].address, FILER);
        assert!(matches[0].is_computer());
    }

    #[test]
    fn reads_resolve_matches_with_ipv6() {
        let DiscoveryMessage::ResolveMatches { header, matches } =
            decode_datagram(RESOLVE_MATCHES).unwrap()
        else {
            panic!("not ResolveMatches");
        };
        assert_eq!(
            header.relates_to.as_deref(),
            Some("urn:uuid:11111111-1111-4111-8111-111111111111")
        );
        let v6: Ipv6Addr = "2001:db8::20".parse().unwrap();
        assert_eq!(matches[0].xaddrs, [filer_xaddr(v6.into())]);
    }

    #[test]
    fn reads_other_prefixes_and_someone_elses_matches() {
        let DiscoveryMessage::ProbeMatches { header, matches } =
            decode_datagram(OTHER_PROBE_MATCHES).unwrap()
        else {
            panic!("not ProbeMatches");
        };
        // Not our Probe's id: read all the same, matching is the caller's.
        assert_ne!(header.relates_to.as_deref(), Some(ours().as_str()));
        assert_eq!(matches.len(), 2);
        let first = &matches[0];
        assert_eq!(
            first.address,
            "urn:uuid:6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"
        );
        // unknown:Type has no declared prefix and is left out.
        assert_eq!(first.types.len(), 2);
        assert!(first.types[0].is_device() && first.types[1].is_computer());
        let hosts: Vec<_> = first
            .xaddrs
            .iter()
            .map(|x| (&x.host, x.port, &*x.path))
            .collect();
        let link_local = XAddrHost::Ip("fe80::1".parse().unwrap());
        let name = XAddrHost::Name("desktop-7q2k9.corp.example".to_owned());
        let v4 = XAddrHost::Ip(Ipv4Addr::new(198, 51, 100, 7).into());
        // https, user information and ftp are dropped.
        assert_eq!(
            hosts,
            [
                (&v4, 5357, "/6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"),
                (&link_local, 5357, "/6b7c8d9e"),
                (&name, 80, "/meta?x=1"),
            ]
        );
        assert_eq!(first.metadata_version, Some(42));
        assert!(!matches[1].is_computer() && matches[1].xaddrs.is_empty());
    }

    #[test]
    fn probe_is_well_formed_and_not_read_as_an_answer() {
        let probe = encode_probe(&ours());
        let root = xml::parse(&probe, MAX_DATAGRAM_LEN).unwrap();
        let header = root.child(crate::wsd::NS_SOAP, "Header").unwrap();
        let field = |name| &header.child(NS_ADDRESSING, name).unwrap().text;
        assert_eq!(field("To"), DISCOVERY_TO);
        assert_eq!(field("Action"), ACTION_PROBE);
        assert_eq!(field("MessageID"), ours().as_str());
        let body = root.child(crate::wsd::NS_SOAP, "Body").unwrap();
        let probe_element = body.child(NS_DISCOVERY, "Probe").unwrap();
        let types_element = probe_element.child(NS_DISCOVERY, "Types").unwrap();
        let chain = [&root, body, probe_element, types_element];
        let types: Vec<_> = types_element
            .text
            .split_whitespace()
            .map(|name| resolve_qualified_name(&chain, name).unwrap().unwrap())
            .collect();
        assert!(types[0].is_device() && types[1].is_computer());
        let device = encode_device_probe(&ours());
        assert!(text(&device).contains("<wsd:Types>wsdp:Device</wsd:Types>"));
        assert!(xml::parse(&device, MAX_DATAGRAM_LEN).is_ok());
        assert_eq!(
            decode_datagram(&probe),
            Err(WsdError::UnexpectedAction {
                action: ACTION_PROBE.to_owned()
            })
        );
    }

    #[test]
    fn resolve_names_the_endpoint_escaped() {
        let resolve = encode_resolve(&ours(), "urn:x<&>").unwrap();
        let root = xml::parse(&resolve, MAX_DATAGRAM_LEN).unwrap();
        let address = root.descendant(NS_ADDRESSING, "Address").unwrap();
        assert_eq!(address.text, "urn:x<&>");
        assert!(text(&resolve).contains(ACTION_RESOLVE));
        assert!(matches!(
            encode_resolve(&ours(), "a\r\nb"),
            Err(WsdError::InvalidAddress { .. })
        ));
    }

    #[test]
    fn truncated_messages_are_refused_at_every_length() {
        for message in [
            HELLO,
            BYE,
            PROBE_MATCHES,
            RESOLVE_MATCHES,
            OTHER_PROBE_MATCHES,
        ] {
            let end = text(message).trim_end().len();
            for length in 0..end {
                let result = decode_datagram(&message[..length]);
                assert!(result.is_err_and(|error| error.is_truncation()), "{length}");
            }
            assert!(decode_datagram(&message[..end]).is_ok());
        }
    }

    #[test]
    fn dtd_and_entities_are_refused() {
        let hello = text(HELLO);
        let with_doctype = hello.replacen(
            "?>\n",
            "?>\n<!DOCTYPE lol [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>",
            1,
        );
        assert!(matches!(
            decode_datagram(with_doctype.as_bytes()),
            Err(WsdError::Doctype { .. })
        ));
        let with_entity = hello.replace(FILER, "&b;");
        assert!(matches!(
            decode_datagram(with_entity.as_bytes()),
            Err(WsdError::UnknownEntity { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "<x>".repeat(MAX_DEPTH) + &"</x>".repeat(MAX_DEPTH);
        let hello = text(HELLO).replace("<wsd:Hello>", &format!("<wsd:Hello>{deep}"));
        assert_eq!(
            decode_datagram(hello.as_bytes()),
            Err(WsdError::TooDeep { limit: MAX_DEPTH })
        );
    }

    #[test]
    fn oversized_datagrams_are_refused() {
        let padding = format!("<!--{}-->", " ".repeat(MAX_DATAGRAM_LEN));
        let hello = text(HELLO).replacen("?>", &format!("?>{padding}"), 1);
        assert!(matches!(
            decode_datagram(hello.as_bytes()),
            Err(WsdError::TooLarge { .. })
        ));
    }

    #[test]
    fn counts_and_lengths_are_bounded() {
        let hello = text(HELLO);
        let xaddrs = "http://192.0.2.1/ ".repeat(MAX_XADDRS + 1);
        let many_xaddrs = hello.replace(
            "http://192.0.2.20:5357/5a9e4c1e-3d0b-5f6a-9c8d-7b6a5f4e3d2c",
            &xaddrs,
        );
        assert!(matches!(
            decode_datagram(many_xaddrs.as_bytes()),
            Err(WsdError::TooMany {
                field: "XAddrs",
                ..
            })
        ));
        let types = "pub:Computer ".repeat(MAX_TYPES + 1);
        let many_types = hello.replace("wsdp:Device pub:Computer", &types);
        assert!(matches!(
            decode_datagram(many_types.as_bytes()),
            Err(WsdError::TooMany { field: "types", .. })
        ));
        let long_namespace = hello.replace(
            "http://schemas.microsoft.com/windows/pub/2005/07",
            &"u".repeat(MAX_FIELD_LEN + 1),
        );
        assert!(matches!(
            decode_datagram(long_namespace.as_bytes()),
            Err(WsdError::FieldTooLong { .. })
        ));
        let long = hello.replace(FILER, &"u".repeat(MAX_FIELD_LEN + 1));
        assert!(matches!(
            decode_datagram(long.as_bytes()),
            Err(WsdError::FieldTooLong { .. })
        ));
        let matches = text(PROBE_MATCHES);
        let start = matches.find("<wsd:ProbeMatch>").unwrap();
        let end = matches.find("</wsd:ProbeMatches>").unwrap();
        let many = matches.replace(
            &matches[start..end],
            &matches[start..end].repeat(MAX_MATCHES + 1),
        );
        assert!(matches!(
            decode_datagram(many.as_bytes()),
            Err(WsdError::TooMany {
                field: "matches",
                ..
            })
        ));
    }

    #[test]
    fn missing_parts_are_reported() {
        let hello = text(HELLO);
        let no_action = hello.replace("wsa:Action>", "wsa:Other>");
        assert!(matches!(
            decode_datagram(no_action.as_bytes()),
            Err(WsdError::Missing {
                element: "wsa:Action"
            })
        ));
        let no_address = hello.replace("wsa:Address>", "wsa:Other>");
        assert!(matches!(
            decode_datagram(no_address.as_bytes()),
            Err(WsdError::Missing { .. })
        ));
        let bad_version = hello.replace("<wsd:MetadataVersion>1", "<wsd:MetadataVersion>-1");
        assert!(matches!(
            decode_datagram(bad_version.as_bytes()),
            Err(WsdError::InvalidNumber { .. })
        ));
        let soap11 = hello.replace(
            "http://www.w3.org/2003/05/soap-envelope",
            "http://schemas.xmlsoap.org/soap/envelope/",
        );
        assert_eq!(
            decode_datagram(soap11.as_bytes()),
            Err(WsdError::NotSoapEnvelope)
        );
        let no_sequence = hello.replace(" InstanceId=\"1764928800\"", "");
        assert!(matches!(
            decode_datagram(no_sequence.as_bytes()),
            Err(WsdError::InvalidNumber { .. })
        ));
    }

    #[test]
    fn xaddrs_are_checked() {
        let ok = [
            ("http://192.0.2.1", "/", 80),
            ("HTTP://192.0.2.1:8080/a/b", "/a/b", 8080),
            ("http://[::1]:1/x", "/x", 1),
            ("http://host-1.example.:5357?q", "/?q", 5357),
            ("http://192.0.2.1:/", "/", 80),
        ];
        for (url, path, port) in ok {
            let xaddr = XAddr::parse(url).unwrap();
            assert_eq!((&*xaddr.path, xaddr.port), (path, port), "{url}");
        }
        for url in [
            "https://192.0.2.1/",
            "http://",
            "http:///x",
            "http://300.1.1.1/",
            "http://1.2.3/",
            "http://a_b/",
            "http://-a/",
            "http://[::1/",
            "http://[zz::1]/",
            "http://192.0.2.1:0/",
            "http://192.0.2.1:65536/",
            "http://192.0.2.1:+1/",
            "http://192.0.2.1:80:80/",
            "http://a@b/",
            "http://b/#frag",
            "http://b/a b",
            "http://é/",
        ] {
            assert_eq!(XAddr::parse(url), None, "{url}");
        }
    }
}
