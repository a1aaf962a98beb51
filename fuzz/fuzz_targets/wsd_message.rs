//! Any bytes as a WS-Discovery datagram (`wnet::wsd::discovery::decode_datagram`), as a
//! metadata HTTP response (`wnet::wsd::metadata::decode_http_response`, its body then read as
//! a GetResponse) and as a GetResponse by itself. None panics; what is read stays within the
//! limits (types, XAddrs and matches at most 16, strings at most 1 KiB), every XAddr kept
//! parses again to itself, and a Resolve and a Get for the text as an address are read back
//! as messages a client does not take for answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet::wsd::discovery::{
    DiscoveryMessage, TargetService, XAddr, decode_datagram, encode_resolve,
};
use wnet::wsd::metadata::{
    DeviceMetadata, decode_get_response, decode_http_response, encode_get, http_request_head,
};
use wnet::wsd::{MAX_FIELD_LEN, MAX_MATCHES, MAX_TYPES, MAX_XADDRS, MessageId, WsdError};

fn check_service(service: &TargetService) {
    assert!(service.address.len() <= MAX_FIELD_LEN && !service.address.is_empty());
    assert!(service.types.len() <= MAX_TYPES && service.xaddrs.len() <= MAX_XADDRS);
    for name in &service.types {
        assert!(name.namespace.len() <= MAX_FIELD_LEN && name.local_name.len() <= MAX_FIELD_LEN);
    }
    for xaddr in &service.xaddrs {
        assert_eq!(XAddr::parse(&xaddr.url).as_ref(), Some(xaddr));
        assert!(http_request_head(xaddr, 0).starts_with("POST /"));
    }
}

fn check_metadata(metadata: &DeviceMetadata) {
    for text in [
        &metadata.friendly_name,
        &metadata.manufacturer,
        &metadata.model_name,
    ]
    .into_iter()
    .flatten()
    {
        assert!(text.len() <= MAX_FIELD_LEN);
    }
    if let Some(computer) = &metadata.computer {
        assert!(!computer.name.is_empty() && computer.name.len() <= MAX_FIELD_LEN);
    }
}

fuzz_target!(|data: &[u8]| {
    match decode_datagram(data) {
        Ok(DiscoveryMessage::Hello { service, .. } | DiscoveryMessage::Bye { service, .. }) => {
            check_service(&service);
        }
        Ok(
            DiscoveryMessage::ProbeMatches { matches, .. }
            | DiscoveryMessage::ResolveMatches { matches, .. },
        ) => {
            assert!(matches.len() <= MAX_MATCHES);
            matches.iter().for_each(check_service);
        }
        Err(_) => {}
    }
    if let Ok(metadata) = decode_get_response(data) {
        check_metadata(&metadata);
    }
    if let Ok(body) = decode_http_response(data) {
        if let Ok(metadata) = decode_get_response(body) {
            check_metadata(&metadata);
        }
    }
    let text = String::from_utf8_lossy(data);
    let id = MessageId::from_random_bytes([7; 16]);
    if let Ok(resolve) = encode_resolve(&id, &text) {
        assert!(matches!(
            decode_datagram(&resolve),
            Err(WsdError::UnexpectedAction { .. })
        ));
    }
    if let Ok(get) = encode_get(&id, &text) {
        assert!(matches!(
            decode_get_response(&get),
            Err(WsdError::UnexpectedAction { .. })
        ));
    }
    for word in text.split_whitespace() {
        if let Some(xaddr) = XAddr::parse(word) {
            assert_eq!(XAddr::parse(&xaddr.url), Some(xaddr));
        }
    }
});
