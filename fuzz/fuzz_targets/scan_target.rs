//! Any text as a scan target: parsing never panics, and a parsed block is never empty or
//! backwards.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::targets::ScanTarget;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(target) = text.parse::<ScanTarget>() {
            assert!(target.first() <= target.last());
            assert!(target.len() >= 1);
        }
    }
});
