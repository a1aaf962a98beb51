//! Any bytes: decoding never panics, and whatever decodes re-encodes to bytes that decode to
//! the same packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::Packet;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(packet) = Packet::decode(bytes) {
        let again = Packet::decode(&packet.encode()).expect("a re-encoded packet decodes");
        assert_eq!(again, packet);
    }
});
