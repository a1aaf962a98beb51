//! Multicast DNS (RFC 6762) and DNS-based service discovery (RFC 6763) messages, sans-IO:
//! queries for a service type's instances (PTR), an instance's SRV and TXT, a host's A and
//! AAAA; responses and unsolicited announcements read into records with their TTLs and
//! cache-flush bits, and a service's instances assembled from one message.
//!
//! The engine that sends these queries and assembles the answers is
//! [`super::mdns_client`]. Messages are read by [`super::wire::decode_message`] — the one DNS
//! parser — within [`LIMITS`]: anyone on the link may send them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use wnet_nbt::wire::DomainName;

use super::wire::{
    CLASS_IN, CLASS_MASK, DnsError, FLAG_QR, MessageLimits, RecordValue, ResourceRecord, TYPE_A,
    TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, decode_message, encode_questions, same_name,
};

/// The multicast DNS port (RFC 6762 §3).
pub const MDNS_PORT: u16 = 5353;
/// The IPv4 group, 224.0.0.251 (RFC 6762 §3).
pub const MDNS_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// The IPv6 group, FF02::FB (RFC 6762 §3).
pub const MDNS_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xFF02, 0, 0, 0, 0, 0, 0, 0xFB);
/// The SMB service type that Macs, NAS boxes and Avahi announce (RFC 6763 §7).
pub const SMB_SERVICE: &str = "_smb._tcp.local";
/// A message's longest, even over jumbo frames (RFC 6762 §17).
pub const MAX_MESSAGE_LENGTH: usize = 9000;
/// The most records read in any one section.
pub const MAX_RECORDS: usize = 64;
/// What a received message may be.
pub const LIMITS: MessageLimits = MessageLimits {
    max_length: MAX_MESSAGE_LENGTH,
    max_records: MAX_RECORDS,
};
/// A question's unicast-response (QU) bit, the top bit of its class (RFC 6762 §5.4).
pub const UNICAST_RESPONSE: u16 = 0x8000;
/// A record's cache-flush bit, the top bit of its class (RFC 6762 §10.2).
pub const CACHE_FLUSH: u16 = 0x8000;
/// The flags' opcode and response code: both must be zero (RFC 6762 §18.3, §18.11).
const OPCODE_AND_RCODE: u16 = 0x780F;

/// A query asking `questions`, each a name and a type, class IN; `unicast_response` sets
/// the QU bit (RFC 6762 §5.4) so that responders answer the asker directly.
///
/// A continuous querier sends from port 5353 with `id` 0; a one-shot querier may send from
/// any port with any `id`, and is answered by unicast to that port (RFC 6762 §5.1, §6.7).
pub fn encode_query(
    id: u16,
    questions: &[(&DomainName, u16)],
    unicast_response: bool,
) -> Result<Vec<u8>, DnsError> {
    let class = if unicast_response {
        CLASS_IN | UNICAST_RESPONSE
    } else {
        CLASS_IN
    };
    let questions: Vec<_> = questions
        .iter()
        .map(|(name, record_type)| (*name, *record_type, class))
        .collect();
    let message = encode_questions(id, 0, &questions)?;
    if message.len() > MAX_MESSAGE_LENGTH {
        return Err(DnsError::MessageTooLong {
            length: message.len(),
            limit: MAX_MESSAGE_LENGTH,
        });
    }
    Ok(message)
}

/// A browse: the PTR query for a service type's instances (`_smb._tcp.local`, RFC 6763 §4.1).
pub fn browse_query(service: &str, unicast_response: bool) -> Result<Vec<u8>, DnsError> {
    let name = parse_name(service)?;
    encode_query(0, &[(&name, TYPE_PTR)], unicast_response)
}

/// A resolve: the SRV and TXT queries for an instance, its full name as a PTR gave it
/// (RFC 6763 §5; the instance label may hold dots and spaces).
pub fn resolve_query(instance: &DomainName, unicast_response: bool) -> Result<Vec<u8>, DnsError> {
    encode_query(
        0,
        &[(instance, TYPE_SRV), (instance, TYPE_TXT)],
        unicast_response,
    )
}

/// The A and AAAA queries for a host (`nas.local`, or an SRV record's target).
pub fn address_query(host: &DomainName, unicast_response: bool) -> Result<Vec<u8>, DnsError> {
    encode_query(0, &[(host, TYPE_A), (host, TYPE_AAAA)], unicast_response)
}

/// `text` as a non-root name to query.
pub fn parse_name(text: &str) -> Result<DomainName, DnsError> {
    DomainName::new(text)
        .ok()
        .filter(|name| !name.labels().is_empty())
        .ok_or_else(|| DnsError::InvalidName {
            name: text.to_owned(),
        })
}

/// A record of a response, class IN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsRecord {
    /// Its owner name, case kept.
    pub name: DomainName,
    /// Cache-flush: this record replaces every cached one of its name and type, older than a
    /// second, rather than joining them (RFC 6762 §10.2).
    pub cache_flush: bool,
    /// Its TTL in seconds; 0 is a goodbye, the record is gone (RFC 6762 §10.1).
    pub ttl: u32,
    /// Its data.
    pub value: RecordValue,
}

/// A decoded response or unsolicited announcement (QR set; id 0 when multicast).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsResponse {
    /// Its id: 0, or a one-shot query's (RFC 6762 §18.1).
    pub id: u16,
    /// The answer section, class IN.
    pub answers: Vec<MdnsRecord>,
    /// The additional section, class IN: the SRV, TXT and addresses an answer implies.
    pub additional: Vec<MdnsRecord>,
}

/// Reads a response or announcement. Queries, opcodes and response codes other than zero
/// are refused (receivers ignore them, RFC 6762 §18); the questions and authority records a
/// response may carry are not kept, nor records of classes other than IN.
pub fn decode_response(message: &[u8]) -> Result<MdnsResponse, DnsError> {
    let decoded = decode_message(message, LIMITS)?;
    if decoded.flags & FLAG_QR == 0 {
        return Err(DnsError::NotResponse);
    }
    if decoded.flags & OPCODE_AND_RCODE != 0 {
        return Err(DnsError::UnexpectedFlags {
            flags: decoded.flags,
        });
    }
    let records = |section: Vec<ResourceRecord>| -> Vec<MdnsRecord> {
        section
            .into_iter()
            .filter(|record| record.class & CLASS_MASK == CLASS_IN)
            .map(|record| MdnsRecord {
                name: record.name,
                cache_flush: record.class & CACHE_FLUSH != 0,
                ttl: record.ttl,
                value: record.value,
            })
            .collect()
    };
    Ok(MdnsResponse {
        id: decoded.id,
        answers: records(decoded.answers),
        additional: records(decoded.additional),
    })
}

/// One `key=value` of a DNS-SD TXT record (RFC 6763 §6.3–6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtEntry {
    /// The key: printable ASCII without `=`, compared ignoring case.
    pub key: String,
    /// The value's bytes; `None` for a key alone (a boolean that is present).
    pub value: Option<Vec<u8>>,
}

/// A TXT record's strings as DNS-SD keys and values: empty strings, strings starting with `=`
/// or with a key of bytes other than printable ASCII are skipped, and of two of one key the
/// first is kept (RFC 6763 §6.4). At most as many as the strings (bounded by the decoder).
pub fn txt_entries(strings: &[Vec<u8>]) -> Vec<TxtEntry> {
    let mut entries: Vec<TxtEntry> = Vec::new();
    for string in strings {
        let (key, value) = match string.iter().position(|&byte| byte == b'=') {
            Some(at) => (
                string.get(..at).unwrap_or_default(),
                string.get(at + 1..).map(<[u8]>::to_vec),
            ),
            None => (string.as_slice(), None),
        };
        if key.is_empty() || !key.iter().all(|byte| (0x20..=0x7E).contains(byte)) {
            continue;
        }
        let key = String::from_utf8_lossy(key).into_owned();
        if entries
            .iter()
            .any(|entry| entry.key.eq_ignore_ascii_case(&key))
        {
            continue;
        }
        entries.push(TxtEntry { key, value });
    }
    entries
}

/// A service instance as one message describes it (RFC 6763 §4–6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInstance {
    /// Its full name (`Office NAS._smb._tcp.local`).
    pub name: DomainName,
    /// Its instance label, the name to show (UTF-8, RFC 6763 §4.1.1; invalid bytes replaced).
    pub instance: String,
    /// The host that offers it, from its SRV record, if the message holds one.
    pub host: Option<DomainName>,
    /// Its port, from the SRV record.
    pub port: Option<u16>,
    /// Its TXT record's keys and values.
    pub txt: Vec<TxtEntry>,
    /// The host's addresses, from A and AAAA records of the message, each once.
    pub addresses: Vec<IpAddr>,
    /// The PTR record's TTL in seconds.
    pub ttl: u32,
}

/// An instance withdrawn: a PTR record with TTL 0 (RFC 6762 §10.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goodbye {
    /// Its full name.
    pub name: DomainName,
    /// Its instance label.
    pub instance: String,
}

/// A service's instances announced and withdrawn in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRecords {
    /// Instances present, PTR → SRV → A/AAAA followed through both sections.
    pub instances: Vec<ServiceInstance>,
    /// Instances gone.
    pub goodbyes: Vec<Goodbye>,
}

/// The instances of `service` in `response`: each PTR record of the service's name (in
/// either section) is an instance, or a goodbye when its TTL is 0; its SRV, TXT and the
/// SRV target's addresses are looked up among all the message's records. SRV, TXT or
/// address records without a PTR (a later update) are left to the caller's cache.
pub fn service_instances(response: &MdnsResponse, service: &DomainName) -> ServiceRecords {
    let records: Vec<&MdnsRecord> = response
        .answers
        .iter()
        .chain(&response.additional)
        .collect();
    let mut found = ServiceRecords::default();
    for record in &records {
        let RecordValue::Ptr(name) = &record.value else {
            continue;
        };
        if !same_name(&record.name, service) {
            continue;
        }
        let instance = instance_label(name);
        if record.ttl == 0 {
            if !found.goodbyes.iter().any(|g| same_name(&g.name, name)) {
                found.goodbyes.push(Goodbye {
                    name: name.clone(),
                    instance,
                });
            }
            continue;
        }
        if found.instances.iter().any(|i| same_name(&i.name, name)) {
            continue;
        }
        let mut service_instance = ServiceInstance {
            name: name.clone(),
            instance,
            host: None,
            port: None,
            txt: Vec::new(),
            addresses: Vec::new(),
            ttl: record.ttl,
        };
        for other in records.iter().filter(|other| other.ttl > 0) {
            if !same_name(&other.name, name) {
                continue;
            }
            match &other.value {
                RecordValue::Srv { port, target, .. } if service_instance.host.is_none() => {
                    service_instance.host = Some(target.clone());
                    service_instance.port = Some(*port);
                }
                RecordValue::Txt(strings) if service_instance.txt.is_empty() => {
                    service_instance.txt = txt_entries(strings);
                }
                _ => {}
            }
        }
        if let Some(host) = &service_instance.host {
            service_instance.addresses = host_addresses(&records, host);
        }
        found.instances.push(service_instance);
    }
    found
}

/// The addresses of `host` among `records` (TTL above 0), each once.
fn host_addresses(records: &[&MdnsRecord], host: &DomainName) -> Vec<IpAddr> {
    let mut addresses = Vec::new();
    for record in records
        .iter()
        .filter(|record| record.ttl > 0 && same_name(&record.name, host))
    {
        let address = match record.value {
            RecordValue::A(address) => IpAddr::V4(address),
            RecordValue::Aaaa(address) => IpAddr::V6(address),
            _ => continue,
        };
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    addresses
}

/// A name's first label as text.
fn instance_label(name: &DomainName) -> String {
    name.labels()
        .first()
        .map(|label| String::from_utf8_lossy(label).into_owned())
        .unwrap_or_default()
}

/// Whether `name` is resolved by multicast DNS: it ends in `.local` (a trailing dot allowed,
/// any case) below at least one label (RFC 6762 §3).
pub fn is_mdns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let Some(at) = name.len().checked_sub(".local".len()) else {
        return false;
    };
    at > 0
        && name
            .get(at..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".local"))
        && parse_name(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::MAX_TXT_STRINGS;
    use wnet_nbt::wire::WireError;

    fn wire_name(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        DomainName::new(text).unwrap().encode(&mut out);
        out
    }

    fn record(owner: &[u8], record_type: u16, class: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
        let mut out = owner.to_vec();
        out.extend_from_slice(&record_type.to_be_bytes());
        out.extend_from_slice(&class.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    fn message(flags: u16, counts: [u16; 4], body: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0];
        out.extend_from_slice(&flags.to_be_bytes());
        for count in counts {
            out.extend_from_slice(&count.to_be_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    /// What avahi-daemon multicasts for a Samba share (captured shape, Avahi 0.8): the PTR
    /// in the answers, SRV, TXT, A and AAAA with cache-flush in the additional section, the
    /// instance name compressed against the service type at 12.
    fn avahi_announcement(ptr_ttl: u32) -> Vec<u8> {
        let mut body = record(&wire_name(SMB_SERVICE), TYPE_PTR, 1, ptr_ttl, &{
            let mut target = vec![10];
            target.extend_from_slice(b"Office NAS");
            target.extend_from_slice(&[0xC0, 12]);
            target
        });
        // The instance name sits in the PTR's data: 12 + 17 (owner) + 10 (fixed fields).
        let instance = [0xC0, 39];
        let mut srv = vec![0, 0, 0, 0, 1, 189];
        srv.extend_from_slice(&wire_name("nas.local"));
        body.extend(record(&instance, TYPE_SRV, 0x8001, 120, &srv));
        body.extend(record(
            &instance,
            TYPE_TXT,
            0x8001,
            4500,
            b"\x0cmodel=Xserve\x06path=/\x05adisk\x0bMODEL=Other",
        ));
        body.extend(record(
            &wire_name("nas.local"),
            TYPE_A,
            0x8001,
            120,
            &[198, 51, 100, 7],
        ));
        let mut v6 = [0u8; 16];
        v6[..2].copy_from_slice(&[0xFE, 0x80]);
        v6[15] = 7;
        body.extend(record(&wire_name("NAS.local"), TYPE_AAAA, 0x8001, 120, &v6));
        message(0x8400, [0, 1, 0, 4], &body)
    }

    fn smb() -> DomainName {
        parse_name(SMB_SERVICE).unwrap()
    }

    #[test]
    fn queries_are_written_as_rfc_6762_says() {
        let query = browse_query(SMB_SERVICE, true).unwrap();
        let mut expected = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(&wire_name(SMB_SERVICE));
        expected.extend_from_slice(&[0, 12, 0x80, 1]);
        assert_eq!(query, expected);
        let query = browse_query(SMB_SERVICE, false).unwrap();
        assert_eq!(query[query.len() - 2..], [0, 1]);
        let host = parse_name("nas.local").unwrap();
        let query = address_query(&host, false).unwrap();
        assert_eq!(query[4..6], [0, 2]);
        assert!(query.ends_with(&[0, 28, 0, 1]));
        let query = resolve_query(&host, false).unwrap();
        assert!(query.ends_with(&[0, 16, 0, 1]));
        for bad in ["", ".", "a..local", &"x".repeat(64)] {
            assert!(matches!(
                browse_query(bad, false),
                Err(DnsError::InvalidName { .. })
            ));
        }
        // Our own query is not a response.
        assert_eq!(
            decode_response(&browse_query(SMB_SERVICE, false).unwrap()),
            Err(DnsError::NotResponse)
        );
    }

    #[test]
    fn an_avahi_announcement_gives_one_instance() {
        let decoded = decode_response(&avahi_announcement(4500)).unwrap();
        assert_eq!(decoded.id, 0);
        assert_eq!((decoded.answers.len(), decoded.additional.len()), (1, 4));
        assert!(!decoded.answers[0].cache_flush);
        assert!(decoded.additional.iter().all(|record| record.cache_flush));
        assert_eq!(decoded.additional[1].ttl, 4500);
        let found = service_instances(&decoded, &smb());
        assert!(found.goodbyes.is_empty());
        let [instance] = found.instances.as_slice() else {
            panic!("{found:?}");
        };
        assert_eq!(instance.instance, "Office NAS");
        assert_eq!(instance.name.labels().len(), 4);
        assert_eq!(instance.host, Some(parse_name("nas.local").unwrap()));
        assert_eq!(instance.port, Some(445));
        assert_eq!(instance.ttl, 4500);
        assert_eq!(
            instance.addresses,
            vec![
                IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)),
                IpAddr::V6(Ipv6Addr::new(0xFE80, 0, 0, 0, 0, 0, 0, 7)),
            ]
        );
        let txt = |key: &str, value: Option<&[u8]>| TxtEntry {
            key: key.to_owned(),
            value: value.map(<[u8]>::to_vec),
        };
        assert_eq!(
            instance.txt,
            vec![
                txt("model", Some(b"Xserve")),
                txt("path", Some(b"/")),
                txt("adisk", None),
            ]
        );
        // Another service type finds nothing.
        let other = parse_name("_afpovertcp._tcp.local").unwrap();
        assert_eq!(
            service_instances(&decoded, &other),
            ServiceRecords::default()
        );
    }

    #[test]
    fn a_ptr_of_ttl_zero_is_a_goodbye() {
        let decoded = decode_response(&avahi_announcement(0)).unwrap();
        let found = service_instances(&decoded, &smb());
        assert!(found.instances.is_empty());
        assert_eq!(found.goodbyes.len(), 1);
        assert_eq!(found.goodbyes[0].instance, "Office NAS");
    }

    #[test]
    fn txt_strings_follow_rfc_6763() {
        let strings: Vec<Vec<u8>> = [&b""[..], b"=x", b"a=1", b"A=2", b"b=", b"c", b"\x01k=v"]
            .iter()
            .map(|s| s.to_vec())
            .collect();
        let entries = txt_entries(&strings);
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(entries[1].value, Some(Vec::new()));
        // More strings than MAX_TXT_STRINGS are refused; a string past the data too.
        let many = vec![0u8; MAX_TXT_STRINGS + 1];
        let body = record(&wire_name("x.local"), TYPE_TXT, 1, 1, &many);
        assert!(matches!(
            decode_response(&message(0x8400, [0, 1, 0, 0], &body)),
            Err(DnsError::TooManyTxtStrings { .. })
        ));
        let body = record(&wire_name("x.local"), TYPE_TXT, 1, 1, &[5, b'a']);
        assert!(matches!(
            decode_response(&message(0x8400, [0, 1, 0, 0], &body)),
            Err(DnsError::BadRecordData {
                record_type: 16,
                ..
            })
        ));
    }

    #[test]
    fn truncated_input_is_refused_at_every_length() {
        let whole = avahi_announcement(4500);
        for cut in 0..whole.len() {
            let error = decode_response(&whole[..cut]).unwrap_err();
            assert!(
                error.is_truncation() || matches!(error, DnsError::BadRecordData { .. }),
                "cut at {cut}: {error:?}"
            );
        }
    }

    #[test]
    fn pointer_loops_are_refused() {
        // A PTR whose target points at itself, and one pointing forwards.
        for target in [[0xC0, 39], [0xC0, 60]] {
            let body = record(&wire_name(SMB_SERVICE), TYPE_PTR, 1, 1, &target);
            assert!(matches!(
                decode_response(&message(0x8400, [0, 1, 0, 0], &body)),
                Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
            ));
        }
        // An owner that is a pointer to itself.
        let body = record(&[0xC0, 12], TYPE_A, 1, 1, &[1, 2, 3, 4]);
        assert!(matches!(
            decode_response(&message(0x8400, [0, 1, 0, 0], &body)),
            Err(DnsError::Name(WireError::PointerNotBackwards { .. }))
        ));
    }

    #[test]
    fn oversized_messages_and_counts_are_refused() {
        let mut long = avahi_announcement(1);
        long.resize(MAX_MESSAGE_LENGTH + 1, 0);
        assert_eq!(
            decode_response(&long),
            Err(DnsError::MessageTooLong {
                length: MAX_MESSAGE_LENGTH + 1,
                limit: MAX_MESSAGE_LENGTH
            })
        );
        let crowded = message(0x8400, [0, 0, 0, 65], &[]);
        assert!(matches!(
            decode_response(&crowded),
            Err(DnsError::TooManyRecords {
                section: "additional",
                count: 65,
                ..
            })
        ));
        // A response code or opcode other than zero is ignored by receivers.
        for flags in [0x8403, 0x8C00] {
            assert_eq!(
                decode_response(&message(flags, [0; 4], &[])),
                Err(DnsError::UnexpectedFlags { flags })
            );
        }
    }

    #[test]
    fn local_names_go_to_mdns() {
        for yes in ["nas.local", "NAS.LOCAL.", "a.b.local"] {
            assert!(is_mdns_name(yes), "{yes}");
        }
        for no in [
            "local",
            ".local",
            "nas",
            "nas.example.com",
            "nas.localx",
            "a..local",
        ] {
            assert!(!is_mdns_name(no), "{no}");
        }
    }
}
