//! Any bytes as a datagram-service packet (RFC 1002 §4.4): decoding never panics; whatever
//! decodes re-encodes to bytes that decode to the same packet and re-encode to themselves
//! (the input itself may differ where its names used compression pointers, which the encoder
//! never writes). A decoded data datagram fed to a small reassembler keeps it within bounds.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use wnet_nbt::datagram::{Reassembler, ReassemblyLimits};
use wnet_nbt::wire::DatagramPacket;

fuzz_target!(|bytes: &[u8]| {
    let Ok(packet) = DatagramPacket::decode(bytes) else {
        return;
    };
    let again = packet
        .encode()
        .expect("a decoded packet fits its 16-bit lengths");
    let decoded = DatagramPacket::decode(&again).expect("a re-encoded packet decodes");
    assert_eq!(decoded, packet);
    assert_eq!(decoded.encode().as_ref(), Ok(&again));
    if let DatagramPacket::Data(data) = packet {
        let limits = ReassemblyLimits {
            max_pending: 2,
            max_pending_bytes: 1024,
            max_fragments: 4,
            timeout: Duration::from_secs(1),
        };
        let mut reassembler = Reassembler::new(limits);
        let now = Instant::now();
        for _ in 0..3 {
            if let Some(whole) = reassembler.accept(data.clone(), now) {
                assert!(whole.user_data.len() <= usize::from(u16::MAX));
            }
            assert!(reassembler.pending() <= 2);
            assert!(reassembler.pending_bytes() <= 1024);
        }
    }
});
