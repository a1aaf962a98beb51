//! Any bytes as a session-service packet: decoding never panics, and whatever decodes
//! re-encodes to a packet that decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::session::SessionPacket;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(packet) = SessionPacket::decode(bytes) {
        let again = packet
            .encode()
            .expect("a decoded packet fits its own length");
        assert_eq!(SessionPacket::decode(&again), Ok(packet));
    }
});
