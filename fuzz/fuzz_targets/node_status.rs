//! Any bytes as node status RDATA: decoding never panics, and whatever decodes re-encodes to
//! the same bytes (the statistics block is kept as sent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::NodeStatus;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(status) = NodeStatus::decode(bytes) {
        let mut again = Vec::new();
        status.encode(&mut again);
        assert_eq!(again, bytes);
        let _ = status.decoded_statistics();
    }
});
