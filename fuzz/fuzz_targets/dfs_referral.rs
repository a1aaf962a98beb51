//! Any bytes as a DFS referral response (`wnet_smb2::wire::dfs::ReferralResponse::decode`:
//! entry sizes, string offsets past the end, unterminated strings, counts). None panics;
//! entries never outnumber NumberOfReferrals or the limit, strings stay within the limit, and
//! PathConsumed comes back as half the wire's byte count. The bytes after the first two are
//! also sent as a request path, which encodes to the level, the path and a terminator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_smb2::wire::dfs::{
    MAX_EXPANDED_NAMES, MAX_REFERRALS, MAX_STRING_BYTES, ReferralKind, ReferralResponse,
    encode_referral_request,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = ReferralResponse::decode(data) {
        let word = |at: usize| u16::from_le_bytes([data[at], data[at + 1]]);
        assert_eq!(response.path_consumed_chars, word(0) / 2);
        assert_eq!(response.entries.len(), usize::from(word(2)));
        assert!(response.entries.len() <= MAX_REFERRALS);
        let short = |text: &String| text.encode_utf16().count() * 2 <= MAX_STRING_BYTES;
        for entry in &response.entries {
            assert!((1..=4).contains(&entry.version));
            match &entry.kind {
                ReferralKind::Target {
                    dfs_path,
                    dfs_alternate_path,
                    network_address,
                } => {
                    assert!(short(dfs_path) && short(dfs_alternate_path) && short(network_address))
                }
                ReferralKind::NameList {
                    special_name,
                    expanded_names,
                } => {
                    assert!(entry.version >= 3);
                    assert!(expanded_names.len() <= MAX_EXPANDED_NAMES);
                    assert!(short(special_name) && expanded_names.iter().all(short));
                }
            }
        }
    }
    let path = String::from_utf8_lossy(data.get(2..).unwrap_or_default());
    let level = data.first().copied().map_or(4, u16::from);
    let request = encode_referral_request(level, &path);
    assert_eq!(request.len(), 2 + 2 * path.encode_utf16().count() + 2);
    assert!(request.ends_with(&[0, 0]));
});
