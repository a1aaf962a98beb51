//! Any bytes as a multicast DNS response (`wnet::dns::mdns::decode_response`, then the
//! `_smb._tcp` instances assembled from it) and as an LLMNR response
//! (`wnet::dns::llmnr::decode_response`, under the id of its first two bytes). None panics;
//! records stay within the section limits, TXT within its string limit, and every address of
//! an instance is one of the message's records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet::dns::wire::{MAX_TXT_STRINGS, RecordValue, TYPE_A};
use wnet::dns::{llmnr, mdns};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = mdns::decode_response(data) {
        assert!(data.len() <= mdns::MAX_MESSAGE_LENGTH);
        assert!(response.answers.len() <= mdns::MAX_RECORDS);
        assert!(response.additional.len() <= mdns::MAX_RECORDS);
        for record in response.answers.iter().chain(&response.additional) {
            if let RecordValue::Txt(strings) = &record.value {
                assert!(strings.len() <= MAX_TXT_STRINGS);
                assert!(mdns::txt_entries(strings).len() <= strings.len());
            }
        }
        if let Ok(service) = mdns::parse_name(mdns::SMB_SERVICE) {
            let found = mdns::service_instances(&response, &service);
            let records = response.answers.len() + response.additional.len();
            assert!(found.instances.len() + found.goodbyes.len() <= records);
            for instance in &found.instances {
                assert!(instance.addresses.len() <= records);
            }
        }
    }
    let id = match data {
        [high, low, ..] => u16::from_be_bytes([*high, *low]),
        _ => 0,
    };
    if let Ok(response) = llmnr::decode_response(data, id, "print1", TYPE_A) {
        assert!(data.len() <= llmnr::MAX_MESSAGE_LENGTH);
        assert!(response.addresses.len() <= llmnr::MAX_RECORDS);
    }
    let _ = llmnr::is_llmnr_name(&String::from_utf8_lossy(data));
    let _ = mdns::is_mdns_name(&String::from_utf8_lossy(data));
});
