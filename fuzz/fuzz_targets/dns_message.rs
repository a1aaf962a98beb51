//! Any bytes as a DNS response (`wnet::dns::wire::decode_response`, under the id of its own
//! first two bytes, so that decoding goes past the id check), and as the text of the files
//! the domain search reads (resolv.conf, krb5.conf's `default_realm`). None panics; names
//! decoded stay within RFC 1035's 255 bytes (four characters a byte at most once escaped),
//! and records never outnumber the counts; a query
//! for a name that encodes decodes, once marked as a response, to no records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet::dns::DnsConfig;
use wnet::dns::wire::{RecordData, TYPE_SRV, decode_response, encode_query};
use wnet::domains::default_realm_of;

fuzz_target!(|data: &[u8]| {
    let id = match data {
        [high, low, ..] => u16::from_be_bytes([*high, *low]),
        _ => 0,
    };
    if let Ok(response) = decode_response(data, id) {
        let count = |at: usize| match data.get(at..at + 2) {
            Some(bytes) => usize::from(u16::from_be_bytes([bytes[0], bytes[1]])),
            None => 0,
        };
        assert!(response.answers.len() <= count(6));
        assert!(response.additional.len() <= count(10));
        for record in response.answers.iter().chain(&response.additional) {
            assert!(record.name.len() <= 4 * 255);
            if let RecordData::Srv(srv) = &record.data {
                assert!(srv.target.len() <= 4 * 255);
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    let config = DnsConfig::parse_resolv_conf(&text);
    assert!(config.servers.len() <= 3 && config.search.len() <= 6);
    let _ = default_realm_of(&text);
    if let Ok(mut query) = encode_query(id, &text, TYPE_SRV) {
        query[2] |= 0x80;
        let decoded = decode_response(&query, id).expect("a query of ours decodes");
        assert!(decoded.answers.is_empty() && decoded.additional.is_empty());
    }
});
