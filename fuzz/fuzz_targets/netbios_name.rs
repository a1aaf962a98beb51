//! Any text as a NetBIOS name, and any 32 bytes as a first-level encoded name: parsing never
//! panics, and what parses round-trips through the encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::NetbiosName;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(name) = text.parse::<NetbiosName>() {
            let encoded = name.first_level_encode();
            assert_eq!(NetbiosName::first_level_decode(&encoded), Ok(name));
        }
    }
    if let Ok(name) = NetbiosName::first_level_decode(bytes) {
        assert_eq!(&name.first_level_encode()[..], bytes);
    }
});
