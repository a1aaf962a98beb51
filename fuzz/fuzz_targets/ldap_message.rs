//! Any bytes as what an LDAP server sends (`wnet::ldap::codec::decode_message`, message after
//! message as the client reads them) and as SASL GSSAPI's framed buffers and security-layer
//! offer (`wnet::ldap::sasl`). None panics; a message never takes more bytes than there are,
//! entries keep their bounded attributes and values, host names kept are valid and lower-case;
//! a bind or search of ours encoded from the input decodes back as one whole message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet::ldap::codec::{
    Filter, MAX_ATTRIBUTES, MAX_VALUES, Response, Scope, Search, decode_message, encode_sasl_bind,
    encode_search,
};
use wnet::ldap::host_names;
use wnet::ldap::sasl::{RECEIVE_MAX, parse_offer, unframe};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    for _ in 0..64 {
        match decode_message(rest) {
            Ok(Some((message, used))) => {
                assert!(used > 0 && used <= rest.len());
                if let Response::Entry(entry) = &message.response {
                    assert!(entry.attributes.len() <= MAX_ATTRIBUTES);
                    assert!(entry.attributes.iter().all(|(_, v)| v.len() <= MAX_VALUES));
                    for name in host_names(std::slice::from_ref(entry)) {
                        assert_eq!(name, name.to_ascii_lowercase());
                        assert!(!name.is_empty() && name.len() <= 253);
                    }
                }
                rest = &rest[used..];
            }
            Ok(None) | Err(_) => break,
        }
    }
    if let Ok(Some((buffer, used))) = unframe(data) {
        assert!(used <= data.len() && buffer.len() <= RECEIVE_MAX as usize);
    }
    let _ = parse_offer(data);
    if data.len() > 1 << 16 {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let bind = encode_sasl_bind(7, &text, Some(data));
    let (message, used) = decode_message(&bind)
        .expect("a bind of ours decodes")
        .expect("whole");
    assert_eq!((message.id, used), (7, bind.len()));
    assert_eq!(message.response, Response::Other(0x60));
    let search = encode_search(
        u32::MAX,
        &Search {
            base: text.to_string(),
            scope: Scope::Subtree,
            size_limit: 1000,
            time_limit: 5,
            filter: Filter::Equal(text.to_string(), "computer".to_owned()),
            attributes: vec![text.to_string()],
        },
    );
    let (message, used) = decode_message(&search)
        .expect("a search of ours decodes")
        .expect("whole");
    assert_eq!((message.id, used), (u32::MAX, search.len()));
    assert_eq!(message.response, Response::Other(0x63));
});
