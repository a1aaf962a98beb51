//! Golden packets captured from Samba's nmblookup and nmbd (testdata/samba/capture) decode to
//! what the peers meant, re-encode byte for byte, and our constructors build the same bytes.

use std::net::Ipv4Addr;

use wnet_nbt::wire::name_service::{RR_TYPE_NB, RR_TYPE_NULL, STATISTICS_LENGTH, rcode};
use wnet_nbt::wire::{
    NbEntry, NetbiosName, Packet, PacketKind, RecordData, ScopedName, Statistics,
};

mod common;

use common::{golden, on_port};

fn name_service_packets() -> Vec<common::Golden> {
    on_port(137)
}

fn find(step: &str, index: u64) -> Packet {
    let golden = golden()
        .into_iter()
        .find(|p| p.step == step && p.index == index)
        .unwrap_or_else(|| panic!("no golden packet {step}/{index}"));
    Packet::decode(&golden.bytes).expect("decodes")
}

fn bytes_of(step: &str, index: u64) -> Vec<u8> {
    golden()
        .into_iter()
        .find(|p| p.step == step && p.index == index)
        .expect("golden packet")
        .bytes
}

fn scoped(text: &str) -> ScopedName {
    ScopedName::new(text.parse().expect("a name"))
}

#[test]
fn every_samba_packet_decodes_and_reencodes_byte_for_byte() {
    let packets = name_service_packets();
    assert!(packets.len() >= 20, "only {} golden packets", packets.len());
    for golden in packets {
        let packet = Packet::decode(&golden.bytes)
            .unwrap_or_else(|e| panic!("{}/{}: {e}", golden.step, golden.index));
        assert_eq!(
            packet.encode(),
            golden.bytes,
            "{}/{}",
            golden.step,
            golden.index
        );
        assert!(
            packet.trailing.is_empty(),
            "{}/{}",
            golden.step,
            golden.index
        );
        assert_ne!(
            packet.kind(),
            PacketKind::Other,
            "{}/{}",
            golden.step,
            golden.index
        );
    }
}

#[test]
fn unicast_query_and_positive_response() {
    let query = find("unicast_query", 0);
    assert_eq!(query.kind(), PacketKind::NameQuery);
    assert_eq!(query.subject(), Some(&scoped("LABSERVER")));
    assert!(query.header.has(0x10), "nmblookup --recursion sets RD");
    assert!(!query.header.has(0x01), "a unicast query has no B flag");

    let response = find("unicast_query", 1);
    assert_eq!(response.kind(), PacketKind::NameQueryResponse);
    assert_eq!(response.header.transaction_id, query.header.transaction_id);
    assert_eq!(response.header.rcode, rcode::OK);
    let entries = response.answers[0].nb_entries().unwrap();
    assert_eq!(
        entries,
        [NbEntry::new(Ipv4Addr::new(198, 51, 100, 2), false, 3)]
    );
    assert_eq!(
        entries[0].owner_node_type(),
        3,
        "Samba registers as an H node"
    );
}

#[test]
fn negative_response_carries_name_error() {
    let response = find("unicast_query_unknown", 1);
    assert_eq!(response.kind(), PacketKind::NameQueryResponse);
    assert_eq!(response.header.rcode, rcode::NAME_ERROR);
    assert_eq!(response.subject(), Some(&scoped("NOSUCHNAME")));
    // Samba answers with a NULL record and no RDATA.
    assert_eq!(response.answers[0].record_type, RR_TYPE_NULL);
    assert_eq!(response.answers[0].data, RecordData::Other(Vec::new()));
}

#[test]
fn group_names_carry_the_group_bit() {
    let response = find("group_query", 1);
    assert_eq!(response.subject(), Some(&scoped("WNETLAB#1e")));
    assert!(response.answers[0].nb_entries().unwrap()[0].is_group());
}

#[test]
fn node_status_response_lists_what_nmblookup_lists() {
    let query = find("node_status", 0);
    assert_eq!(query.kind(), PacketKind::NodeStatusQuery);
    assert!(query.subject().unwrap().name.is_wildcard());
    let response = find("node_status", 1);
    assert_eq!(response.kind(), PacketKind::NodeStatusResponse);
    let RecordData::NodeStatus(status) = &response.answers[0].data else {
        panic!("no node status data");
    };
    let names: Vec<(String, bool)> = status
        .names
        .iter()
        .map(|entry| (entry.name.to_string(), entry.is_group()))
        .collect();
    let expected = [
        ("LABSERVER<00>", false),
        ("LABSERVER<03>", false),
        ("LABSERVER<20>", false),
        ("..__MSBROWSE__.<01>", true),
        ("WNETLAB<00>", true),
        ("WNETLAB<1d>", false),
        ("WNETLAB<1e>", true),
    ];
    let expected: Vec<(String, bool)> = expected
        .iter()
        .map(|(n, g)| ((*n).to_owned(), *g))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(status.unit_id(), Some([0; 6]));
    // Samba sends the RFC's whole 46-byte statistics block, all zeros.
    assert_eq!(status.statistics.len(), STATISTICS_LENGTH);
    assert_eq!(status.decoded_statistics(), Statistics::default());
    assert!(
        status.names.iter().all(|n| n.flags & 0x0400 != 0),
        "all active"
    );
}

#[test]
fn broadcast_registration_defence_and_query() {
    let query = find("broadcast_query", 0);
    assert!(query.header.has(0x01), "broadcast flag");
    let registration = find("registration_conflict", 0);
    assert_eq!(registration.kind(), PacketKind::Registration);
    assert!(registration.header.has(0x01) && registration.header.has(0x10));
    assert_eq!(registration.additionals[0].name_pointer, Some(12));
    let defence = find("registration_conflict", 5);
    assert_eq!(defence.kind(), PacketKind::RegistrationResponse);
    assert_eq!(defence.header.rcode, rcode::ACTIVE_ERROR);
    // The defence echoes the claimant's own entry (RFC 1002 §4.2.6), not the owner's.
    let echoed = defence.answers[0].nb_entries().unwrap()[0];
    assert_eq!(echoed, registration.additionals[0].nb_entries().unwrap()[0]);
    assert_eq!(echoed.address, Ipv4Addr::new(198, 51, 100, 131));
}

#[test]
fn our_constructors_build_samba_s_bytes() {
    let query = find("unicast_query", 0);
    let trn = query.header.transaction_id;
    assert_eq!(
        Packet::name_query(trn, scoped("LABSERVER"), false, true).encode(),
        bytes_of("unicast_query", 0)
    );
    let response = find("unicast_query", 1);
    assert_eq!(
        Packet::positive_query_response(
            trn,
            scoped("LABSERVER"),
            response.answers[0].ttl,
            vec![NbEntry::new(Ipv4Addr::new(198, 51, 100, 2), false, 3)],
        )
        .encode(),
        bytes_of("unicast_query", 1)
    );
    let unknown = find("unicast_query_unknown", 1);
    assert_eq!(
        Packet::negative_query_response(
            unknown.header.transaction_id,
            scoped("NOSUCHNAME"),
            rcode::NAME_ERROR
        )
        .encode(),
        bytes_of("unicast_query_unknown", 1)
    );
    let status_query = find("node_status", 0);
    assert_eq!(
        Packet::node_status_query(
            status_query.header.transaction_id,
            ScopedName::new(NetbiosName::wildcard())
        )
        .encode(),
        bytes_of("node_status", 0)
    );
    let broadcast = find("broadcast_query", 0);
    assert_eq!(
        Packet::name_query(
            broadcast.header.transaction_id,
            scoped("NBHOST1"),
            true,
            true
        )
        .encode(),
        bytes_of("broadcast_query", 0)
    );

    let registration = find("registration_conflict", 0);
    let record = &registration.additionals[0];
    assert_eq!(record.record_type, RR_TYPE_NB);
    let entry = record.nb_entries().unwrap()[0];
    assert_eq!(
        Packet::registration_request(
            registration.header.transaction_id,
            registration.subject().unwrap().clone(),
            record.ttl,
            entry,
            true,
        )
        .encode(),
        bytes_of("registration_conflict", 0)
    );
    let defence = find("registration_conflict", 5);
    assert_eq!(
        Packet::registration_response(
            defence.header.transaction_id,
            defence.subject().unwrap().clone(),
            rcode::ACTIVE_ERROR,
            defence.answers[0].ttl,
            defence.answers[0].nb_entries().unwrap()[0],
        )
        .encode(),
        bytes_of("registration_conflict", 5)
    );
}

#[test]
fn every_truncation_of_every_golden_packet_is_a_typed_error() {
    for golden in name_service_packets() {
        for length in 0..golden.bytes.len() {
            let cut = &golden.bytes[..length];
            // A cut may land on a record boundary and still be a valid, shorter packet only if
            // the counts agree, which they never do here: every cut must fail.
            assert!(
                Packet::decode(cut).is_err(),
                "{}/{} cut at {length} decoded",
                golden.step,
                golden.index
            );
        }
    }
}
