//! Any bytes as a packet holding an encoded name, read from the offset the first byte gives:
//! label decoding (compression pointers, loops, overruns) never panics, stays within the
//! bytes, and whatever decodes re-encodes to a name that decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::{DomainName, ScopedName};

fuzz_target!(|bytes: &[u8]| {
    let offset = usize::from(bytes.first().copied().unwrap_or(0));
    if let Ok((name, end)) = ScopedName::decode(bytes, offset) {
        assert!(end <= bytes.len());
        let mut again = Vec::new();
        name.encode(&mut again);
        assert_eq!(again.len(), name.encoded_length());
        assert_eq!(ScopedName::decode(&again, 0), Ok((name, again.len())));
    }
    if let Ok((name, end)) = DomainName::decode(bytes, offset) {
        assert!(end <= bytes.len());
        let mut again = Vec::new();
        name.encode(&mut again);
        assert_eq!(again.len(), name.encoded_length());
        assert_eq!(DomainName::decode(&again, 0), Ok((name, again.len())));
    }
});
