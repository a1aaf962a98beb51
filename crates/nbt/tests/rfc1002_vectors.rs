//! Byte-exact vectors for every name-service packet of RFC 1002 §4.2, written by hand from the
//! RFC's diagrams (header words spelled out bit by bit below), with the header flags Samba sends
//! where the RFC leaves a choice (testdata/samba holds the captured ones). Each vector is
//! built by a constructor, decodes to that packet, has its kind, and every cut of it fails.
//!
//! Header word after NAME_TRN_ID: R (0x8000) | OPCODE << 11 | NM_FLAGS << 4 | RCODE, with
//! NM_FLAGS AA 0x40, TC 0x20, RD 0x10, RA 0x08, B 0x01.

use std::net::Ipv4Addr;

use wnet_nbt::wire::name_service::{RR_TYPE_NB, rcode};
use wnet_nbt::wire::{
    DomainName, Header, NbEntry, NetbiosName, NodeName, NodeStatus, Opcode, Packet, PacketKind,
    RecordData, ScopedName, Statistics, WireError,
};

/// Hex with any white space between the digits.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex: {text}");
    digits
        .chunks_exact(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).expect("ASCII");
            u8::from_str_radix(pair, 16).expect("hex digits")
        })
        .collect()
}

/// FRED<00> in no scope: 0x20, "EGFCEFEECACACACACACACACACACACAAA", 0x00.
const FRED: &str = "20 4547464345464545434143414341434143414341434143414341434143414141 00";
/// The wildcard `*`: 0x20, "CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0x00.
const WILDCARD: &str = "20 434b414141414141414141414141414141414141414141414141414141414141 00";
/// NB entry: H node (ONT 3, 0x6000), unique, 198.51.100.2.
const ENTRY: &str = "6000 c6336402";

fn fred() -> ScopedName {
    ScopedName::new("FRED".parse().expect("a name"))
}

fn entry() -> NbEntry {
    NbEntry::new(Ipv4Addr::new(198, 51, 100, 2), false, 3)
}

/// The constructor's bytes are the vector; the vector decodes to the constructor's packet,
/// of `kind`; no cut of it decodes.
fn check(packet: &Packet, vector: &str, kind: PacketKind) -> Vec<u8> {
    let bytes = hex(vector);
    assert_eq!(packet.encode(), bytes, "{kind:?} encodes to the vector");
    assert_eq!(
        Packet::decode(&bytes).as_ref(),
        Ok(packet),
        "{kind:?} decodes"
    );
    assert_eq!(packet.kind(), kind);
    for cut in 0..bytes.len() {
        assert!(
            Packet::decode(&bytes[..cut]).is_err(),
            "{kind:?} cut at {cut}"
        );
    }
    bytes
}

#[test]
fn name_query_request_4_2_12() {
    // |0|0x0|0|0|RD|0|00|B|0x0|: broadcast with RD, as B nodes and nmblookup send it.
    let vector = format!("1234 0110 0001 0000 0000 0000 {FRED} 0020 0001");
    check(
        &Packet::name_query(0x1234, fred(), true, true),
        &vector,
        PacketKind::NameQuery,
    );
    let unicast = format!("1234 0000 0001 0000 0000 0000 {FRED} 0020 0001");
    check(
        &Packet::name_query(0x1234, fred(), false, false),
        &unicast,
        PacketKind::NameQuery,
    );
}

#[test]
fn positive_name_query_response_4_2_13() {
    // |1|0x0|AA|0|RD|RA|00|0|0x0| = 0x8580; TTL 300000; two entries, the second a group.
    let vector = format!(
        "1234 8580 0000 0001 0000 0000 {FRED} 0020 0001 000493e0 000c {ENTRY} 8000 c6336403"
    );
    let group = NbEntry::new(Ipv4Addr::new(198, 51, 100, 3), true, 0);
    let bytes = check(
        &Packet::positive_query_response(0x1234, fred(), 300_000, vec![entry(), group]),
        &vector,
        PacketKind::NameQueryResponse,
    );
    let packet = Packet::decode(&bytes).expect("decodes");
    let entries = packet.answers[0].nb_entries().expect("NB");
    assert_eq!(entries[0].owner_node_type(), 3);
    assert!(!entries[0].is_group() && entries[1].is_group());
}

#[test]
fn negative_name_query_response_4_2_14_for_every_rcode() {
    // 0x8580 | RCODE; a NULL record, TTL 0, no RDATA, as Samba answers.
    for code in [
        rcode::FORMAT_ERROR,
        rcode::SERVER_ERROR,
        rcode::NAME_ERROR,
        rcode::NOT_IMPLEMENTED,
        rcode::REFUSED,
        rcode::ACTIVE_ERROR,
        rcode::CONFLICT_ERROR,
    ] {
        let vector = format!("1234 858{code:x} 0000 0001 0000 0000 {FRED} 000a 0001 00000000 0000");
        let bytes = check(
            &Packet::negative_query_response(0x1234, fred(), code),
            &vector,
            PacketKind::NameQueryResponse,
        );
        assert_eq!(Packet::decode(&bytes).expect("decodes").header.rcode, code);
    }
    // The RFC's own figure uses an NB record with RDLENGTH 0: also a negative response.
    let rfc = hex(&format!(
        "1234 8583 0000 0001 0000 0000 {FRED} 0020 0001 00000000 0000"
    ));
    let packet = Packet::decode(&rfc).expect("decodes");
    assert_eq!(packet.kind(), PacketKind::NameQueryResponse);
    assert_eq!(packet.answers[0].data, RecordData::Nb(vec![]));
    assert_eq!(packet.encode(), rfc);
}

#[test]
fn redirect_name_query_response_4_2_15() {
    // |1|0x0|0|0|RD|0|00|0|0x0| = 0x8100; no question or answer; an NS record for
    // NETBIOS.COM whose NSD_NAME (at offset 35 = 0x23) is NS.NETBIOS.COM, and an A record
    // whose name points at NSD_NAME.
    let vector = "0005 8100 0000 0000 0001 0001 \
                  074e455442494f5303434f4d00 0002 0001 00000e10 0010 \
                  024e53 074e455442494f53 03434f4d00 \
                  c023 0001 0001 00000e10 0004 c6336435";
    let packet = Packet::redirect_query_response(
        5,
        DomainName::new("NETBIOS.COM").expect("a domain"),
        DomainName::new("NS.NETBIOS.COM").expect("a domain"),
        Ipv4Addr::new(198, 51, 100, 53),
        3600,
    );
    check(&packet, vector, PacketKind::Redirect);
    let redirect = packet.redirect().expect("a redirect");
    assert_eq!(
        redirect.server_address,
        Some(Ipv4Addr::new(198, 51, 100, 53))
    );

    // NSD_NAME itself compressed, "NS" then a pointer to NETBIOS.COM at 12, as the RFC
    // allows: the same redirect (written back uncompressed).
    let compressed = hex("0005 8100 0000 0000 0001 0001 \
         074e455442494f5303434f4d00 0002 0001 00000e10 0005 024e53 c00c \
         c023 0001 0001 00000e10 0004 c6336435");
    let decoded = Packet::decode(&compressed).expect("decodes");
    assert_eq!(decoded.redirect(), Some(redirect));
}

#[test]
fn node_status_request_and_response_4_2_17_and_4_2_18() {
    // Request: |0|0x0|0|0|0|0|00|0|0x0|, the wildcard, NBSTAT.
    let request = format!("3c35 0000 0001 0000 0000 0000 {WILDCARD} 0021 0001");
    check(
        &Packet::node_status_query(0x3c35, ScopedName::new(NetbiosName::wildcard())),
        &request,
        PacketKind::NodeStatusQuery,
    );

    // Response: |1|0x0|AA|0|0|0|00|0|0x0| = 0x8400; the name repeated in full; RDLENGTH
    // 1 + 2 * 18 + 46 = 83 (0x53).
    let statistics = Statistics {
        unit_id: [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30],
        version_number: 0x0100,
        session_data_packet_size: 0x05d4,
        ..Statistics::default()
    };
    let names = vec![
        // FRED<00>: unique, B node, active, permanent.
        NodeName::new("FRED".parse().expect("a name"), 0x0600),
        // WORKGROUP<1e>: group, H node, active.
        NodeName::new("WORKGROUP#1e".parse().expect("a name"), 0xe400),
    ];
    let status = NodeStatus::with_statistics(names, &statistics);
    let response = format!(
        "3c35 8400 0000 0001 0000 0000 {WILDCARD} 0021 0001 00000000 0053 02 \
         4652454420202020202020202020 2000 0600 \
         574f524b47524f55502020202020 201e e400 \
         02005e102030 00 00 0100 0000 0000 0000 0000 0000 00000000 00000000 \
         0000 0000 0000 0000 0000 0000 0000 0000 05d4"
    );
    let bytes = check(
        &Packet::node_status_response(0x3c35, ScopedName::new(NetbiosName::wildcard()), status),
        &response,
        PacketKind::NodeStatusResponse,
    );
    let packet = Packet::decode(&bytes).expect("decodes");
    let RecordData::NodeStatus(status) = &packet.answers[0].data else {
        panic!("no node status");
    };
    assert!(status.names[0].is_permanent() && status.names[0].is_active());
    assert!(status.names[1].is_group());
    assert_eq!(status.names[1].owner_node_type(), 3);
    assert_eq!(status.decoded_statistics(), statistics);
    assert_eq!(status.unit_id(), Some([0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]));
}

#[test]
fn node_status_statistics_of_other_lengths_are_kept() {
    // A peer that sends only the unit id, and one that sends 4 bytes more than the RFC.
    for extra in ["", "deadbeef"] {
        let statistics = if extra.is_empty() {
            "02005e102030".to_owned()
        } else {
            format!("{} {extra}", "00".repeat(46))
        };
        let length = 1 + statistics.replace(' ', "").len() / 2;
        let bytes = hex(&format!(
            "0001 8400 0000 0001 0000 0000 {WILDCARD} 0021 0001 00000000 {length:04x} 00 {statistics}"
        ));
        let packet = Packet::decode(&bytes).expect("decodes");
        assert_eq!(packet.encode(), bytes);
    }
}

#[test]
fn registration_request_4_2_2_and_overwrite_demand_4_2_3() {
    // Unicast to a name server: |0|0x5|0|0|RD|0|00|0|0x0| = 0x2900; the additional record's
    // name is a pointer to the question (0xC00C), as Samba and Windows send it.
    let unicast = format!(
        "4838 2900 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 000493e0 0006 {ENTRY}"
    );
    check(
        &Packet::registration_request(0x4838, fred(), 300_000, entry(), false),
        &unicast,
        PacketKind::Registration,
    );
    // Broadcast, RD and B (0x2910), as Samba's B-node registration in testdata/samba.
    let broadcast = format!(
        "4838 2910 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 000493e0 0006 {ENTRY}"
    );
    check(
        &Packet::registration_request(0x4838, fred(), 300_000, entry(), true),
        &broadcast,
        PacketKind::Registration,
    );
    // Overwrite request & demand: |0|0x5|0|0|0|0|00|1|0x0| = 0x2810.
    let overwrite = format!(
        "4839 2810 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 000493e0 0006 {ENTRY}"
    );
    check(
        &Packet::overwrite_demand(0x4839, fred(), 300_000, entry()),
        &overwrite,
        PacketKind::Registration,
    );
}

#[test]
fn multi_homed_registration_request() {
    // Opcode 0xF with RD: 0x7900.
    let vector = format!(
        "0101 7900 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 000493e0 0006 {ENTRY}"
    );
    check(
        &Packet::multi_homed_registration_request(0x0101, fred(), 300_000, entry()),
        &vector,
        PacketKind::MultiHomedRegistration,
    );
}

#[test]
fn refresh_request_4_2_4_with_opcode_8_and_9() {
    // |0|0x8|0|0|0|0|00|0|0x0| = 0x4000; opcode 9 is 0x4800.
    let vector = format!(
        "0202 4000 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 000493e0 0006 {ENTRY}"
    );
    let mut refresh = Packet::refresh_request(0x0202, fred(), 300_000, entry());
    check(&refresh, &vector, PacketKind::Refresh);
    refresh.header.opcode = Opcode::RefreshAlternate;
    check(
        &refresh,
        &vector.replacen("4000", "4800", 1),
        PacketKind::Refresh,
    );
}

#[test]
fn registration_responses_4_2_5_to_4_2_8() {
    // |1|0x5|AA|0|RD|RA|00|0|RCODE| = 0xAD80 | RCODE: positive, the defence with ACT_ERR (as
    // testdata/samba's), and the conflict demand with CFT_ERR and TTL 0.
    let positive = format!("4838 ad80 0000 0001 0000 0000 {FRED} 0020 0001 000493e0 0006 {ENTRY}");
    check(
        &Packet::registration_response(0x4838, fred(), rcode::OK, 300_000, entry()),
        &positive,
        PacketKind::RegistrationResponse,
    );
    let defence = format!("4838 ad86 0000 0001 0000 0000 {FRED} 0020 0001 00000000 0006 {ENTRY}");
    check(
        &Packet::registration_response(0x4838, fred(), rcode::ACTIVE_ERROR, 0, entry()),
        &defence,
        PacketKind::RegistrationResponse,
    );
    let conflict = format!("4838 ad87 0000 0001 0000 0000 {FRED} 0020 0001 00000000 0006 {ENTRY}");
    check(
        &Packet::conflict_demand(0x4838, fred(), entry()),
        &conflict,
        PacketKind::ConflictDemand,
    );
}

#[test]
fn release_request_and_responses_4_2_9_to_4_2_11() {
    // Request, broadcast: |0|0x6|0|0|0|0|00|B|0x0| = 0x3010; TTL 0.
    let request = format!(
        "0303 3010 0001 0000 0000 0001 {FRED} 0020 0001 c00c 0020 0001 00000000 0006 {ENTRY}"
    );
    check(
        &Packet::release_request(0x0303, fred(), entry(), true),
        &request,
        PacketKind::Release,
    );
    // Responses: |1|0x6|AA|0|0|0|00|0|RCODE| = 0xB400 | RCODE.
    for code in [rcode::OK, rcode::NAME_ERROR, rcode::ACTIVE_ERROR] {
        let response =
            format!("0303 b40{code:x} 0000 0001 0000 0000 {FRED} 0020 0001 00000000 0006 {ENTRY}");
        check(
            &Packet::release_response(0x0303, fred(), code, entry()),
            &response,
            PacketKind::ReleaseResponse,
        );
    }
}

#[test]
fn wait_for_acknowledgement_4_2_16() {
    // |1|0x7|AA|0|0|0|00|0|0x0| = 0xBC00; a NULL record, TTL 30, RDATA the request's header
    // word (a unicast registration: 0x2900).
    let vector = format!("4838 bc00 0000 0001 0000 0000 {FRED} 000a 0001 0000001e 0002 2900");
    let request = Packet::registration_request(0x4838, fred(), 300_000, entry(), false);
    let packet = Packet::wait_for_acknowledgement(0x4838, fred(), 30, &request.header);
    check(&packet, &vector, PacketKind::Wack);
    let wack = packet.wack().expect("a WACK");
    assert_eq!(wack.ttl, 30);
    assert_eq!(wack.request_opcode(), Some(Opcode::Registration));
}

#[test]
fn header_words_decode_bit_by_bit() {
    let header = Header::from_flags_word(7, 0xAD86).expect("a known opcode");
    assert!(header.response);
    assert_eq!(header.opcode, Opcode::Registration);
    assert_eq!(header.flags, 0x40 | 0x10 | 0x08);
    assert_eq!(header.rcode, rcode::ACTIVE_ERROR);
    assert_eq!(header.flags_word(), 0xAD86);
    assert_eq!(
        Header::from_flags_word(7, 0x1000),
        Err(WireError::UnknownOpcode(2))
    );
}

#[test]
fn scoped_names_travel_with_their_scope() {
    let name =
        ScopedName::with_scope("FRED".parse().expect("a name"), "NETBIOS.COM").expect("a scope");
    let vector = format!(
        "0001 0000 0001 0000 0000 0000 {} 074e455442494f53 03434f4d00 0020 0001",
        FRED.trim_end_matches(" 00")
    );
    let bytes = check(
        &Packet::name_query(1, name.clone(), false, false),
        &vector,
        PacketKind::NameQuery,
    );
    assert_eq!(
        Packet::decode(&bytes).expect("decodes").subject(),
        Some(&name)
    );
    // A record naming the question by pointer carries the scope too.
    let registration = Packet::registration_request(2, name.clone(), 0, entry(), false);
    let decoded = Packet::decode(&registration.encode()).expect("decodes");
    assert_eq!(decoded.additionals[0].name.netbios(), Some(&name));
    assert_eq!(decoded.additionals[0].record_type, RR_TYPE_NB);
}
