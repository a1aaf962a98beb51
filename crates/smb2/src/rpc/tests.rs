//! Tests against PDUs captured from Samba (testdata/srvsvc, see its README), synthetic
//! fragmented and large responses, and property tests that no input panics a parser.

use proptest::prelude::*;

use super::pdu::{PFC_FIRST_FRAG, PFC_LAST_FRAG, REQUEST_HEADER_LEN};
use super::srvsvc::{
    self, ERROR_MORE_DATA, OPNUM_NETR_SHARE_ENUM, SRVSVC, STYPE_CLUSTER_FS, STYPE_DEVICE,
    STYPE_DISKTREE, STYPE_IPC, STYPE_PRINTQ, STYPE_SPECIAL, STYPE_TEMPORARY, ShareKind, ShareType,
};
use super::*;

const BIND: &str = include_str!("../../testdata/srvsvc/bind.hex");
const BIND_ACK: &str = include_str!("../../testdata/srvsvc/bind_ack.hex");
const SMBCLIENT_REQUEST: &str =
    include_str!("../../testdata/srvsvc/smbclient-netshareenumall-request.hex");
const SMBCLIENT_RESPONSE: &str =
    include_str!("../../testdata/srvsvc/smbclient-netshareenumall-response.hex");
const RPCCLIENT_REQUEST: &str =
    include_str!("../../testdata/srvsvc/rpcclient-netshareenumall-request.hex");
const RPCCLIENT_RESPONSE: &str =
    include_str!("../../testdata/srvsvc/rpcclient-netshareenumall-response.hex");

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => panic!("not hex: {b}"),
        })
        .collect();
    assert!(digits.len().is_multiple_of(2));
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The shares the lab's Samba lists (hidden$ is `browseable = no`, which Samba leaves out).
fn lab_shares() -> Vec<ShareInfo1> {
    let share = |name: &str, share_type, remark: &str| ShareInfo1 {
        name: name.into(),
        share_type,
        remark: remark.into(),
    };
    vec![
        share(
            "public",
            STYPE_DISKTREE,
            "Read-write share for every lab user",
        ),
        share(
            "readonly",
            STYPE_DISKTREE,
            "Read-only share with sample files",
        ),
        share("alice", STYPE_DISKTREE, "Private share of wnetalice only"),
        share(
            "IPC$",
            STYPE_IPC | STYPE_SPECIAL,
            "IPC Service (wnet lab server)",
        ),
    ]
}

#[test]
fn srvsvc_and_ndr_uuids_print_as_specified() {
    assert_eq!(
        SRVSVC.to_string(),
        "4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0"
    );
    assert_eq!(
        NDR20.to_string(),
        "8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0"
    );
    assert_eq!(
        NDR20.to_le_bytes()[..16],
        [
            0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
            0x48, 0x60
        ]
    );
}

#[test]
fn bind_equals_samba_byte_for_byte() {
    // Samba offers one context, NDR 2.0 only, with 4280-byte fragments and call_id 1.
    assert_eq!(bind_request(1, SRVSVC, 4280, 4280), hex(BIND));
}

#[test]
fn samba_bind_ack_accepts_ndr() {
    let ack = parse_bind_ack(&hex(BIND_ACK)).unwrap();
    assert_eq!(ack.call_id, 1);
    assert_eq!(ack.max_xmit_frag, 4280);
    assert_eq!(ack.max_recv_frag, 4280);
    assert_eq!(ack.secondary_address, "\\pipe\\srvsvc");
    assert_eq!(ack.results.len(), 1);
    assert_eq!(ack.accepted(0), Ok(NDR20));
    assert_eq!(ack.accepted(1), Err(RpcError::MissingContext(1)));
}

#[test]
fn netshareenum_requests_equal_samba_byte_for_byte() {
    // smbclient -L passes a resume handle of 0; rpcclient passes none. Both send the bare
    // host as the server name.
    let stub = net_share_enum_request("198.51.100.2", 1, 0xffff_ffff, Some(0));
    let pdus = request_pdus(2, 0, OPNUM_NETR_SHARE_ENUM, &stub, 4280);
    assert_eq!(pdus, vec![hex(SMBCLIENT_REQUEST)]);

    let stub = net_share_enum_request("198.51.100.2", 1, 0xffff_ffff, None);
    let pdus = request_pdus(2, 0, OPNUM_NETR_SHARE_ENUM, &stub, 4280);
    assert_eq!(pdus, vec![hex(RPCCLIENT_REQUEST)]);
}

#[test]
fn samba_responses_list_the_lab_shares() {
    for (capture, resume_handle) in [(SMBCLIENT_RESPONSE, Some(0)), (RPCCLIENT_RESPONSE, None)] {
        let mut assembler = ResponseAssembler::new(2);
        let stub = assembler.push(&hex(capture)).unwrap().unwrap();
        assert!(assembler.is_complete());
        let shares = parse_net_share_enum_response(&stub).unwrap();
        assert_eq!(shares.shares, lab_shares());
        assert_eq!(shares.total_entries, 4);
        assert_eq!(shares.resume_handle, resume_handle);
        assert_eq!(shares.status, 0);
        assert!(!shares.is_more_data());
        let ipc = &shares.shares[3];
        assert!(ipc.is_special() && !ipc.is_temporary());
        assert_eq!(ipc.base_type(), STYPE_IPC);
        assert_eq!(
            ipc.decoded_type(),
            ShareType {
                kind: ShareKind::Ipc,
                special: true,
                temporary: false
            }
        );
    }
}

#[test]
fn share_types_decode_kind_and_flags() {
    let decoded = |value: u32| ShareType::from_stype(value);
    assert_eq!(decoded(STYPE_DISKTREE).kind, ShareKind::Disk);
    assert_eq!(decoded(STYPE_PRINTQ).kind, ShareKind::PrintQueue);
    assert_eq!(decoded(STYPE_DEVICE).kind, ShareKind::Device);
    assert_eq!(decoded(STYPE_IPC | STYPE_SPECIAL).kind, ShareKind::Ipc);
    assert_eq!(decoded(0x47).kind, ShareKind::Unknown(0x47));
    let flagged = decoded(STYPE_DISKTREE | STYPE_SPECIAL | STYPE_TEMPORARY | STYPE_CLUSTER_FS);
    assert_eq!(flagged.kind, ShareKind::Disk);
    assert!(flagged.special && flagged.temporary);
    assert!(!decoded(STYPE_PRINTQ).special && !decoded(STYPE_PRINTQ).temporary);
    assert_eq!(ShareType::from(STYPE_IPC), decoded(STYPE_IPC));
}

#[test]
fn samba_response_byte_by_byte_and_with_call_id_mismatch() {
    let pdu = hex(SMBCLIENT_RESPONSE);
    let mut assembler = ResponseAssembler::new(2);
    let mut out = None;
    for (i, b) in pdu.iter().enumerate() {
        let got = assembler.push(std::slice::from_ref(b)).unwrap();
        assert_eq!(got.is_some(), i == pdu.len() - 1);
        out = out.or(got);
    }
    assert_eq!(
        parse_net_share_enum_response(&out.unwrap()).unwrap().shares,
        lab_shares()
    );
    assert_eq!(assembler.push(&[0]), Err(RpcError::TrailingBytes(1)));

    assert_eq!(
        ResponseAssembler::new(3).push(&pdu),
        Err(RpcError::CallIdMismatch {
            expected: 3,
            got: 2
        })
    );
}

#[test]
fn our_bind_and_request_parse_under_our_own_rules() {
    let bind = bind_request(7, SRVSVC, 1432, 5840);
    assert_eq!(bind.len(), 72);
    assert_eq!(u16::from_le_bytes([bind[8], bind[9]]), 72);
    assert_eq!(bind[2], 11);
    // A BIND is not an answer to a bind.
    assert_eq!(
        parse_bind_ack(&bind),
        Err(RpcError::UnexpectedPacketType(11))
    );
}

fn bind_ack_pdu(results: &[(u16, u16)]) -> Vec<u8> {
    let mut pdu = vec![5, 0, 12, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0];
    pdu.extend_from_slice(&5840u16.to_le_bytes());
    pdu.extend_from_slice(&4280u16.to_le_bytes());
    pdu.extend_from_slice(&0x1234u32.to_le_bytes());
    pdu.extend_from_slice(&[4, 0, b'1', b'3', b'5', 0, 0, 0]); // sec_addr "135", pad to 4
    pdu.extend_from_slice(&[results.len() as u8, 0, 0, 0]);
    for &(result, reason) in results {
        pdu.extend_from_slice(&result.to_le_bytes());
        pdu.extend_from_slice(&reason.to_le_bytes());
        pdu.extend_from_slice(&[0; 20]);
    }
    let len = pdu.len() as u16;
    pdu[8..10].copy_from_slice(&len.to_le_bytes());
    pdu
}

#[test]
fn bind_ack_rejections_are_typed() {
    let ack = parse_bind_ack(&bind_ack_pdu(&[(2, 2), (2, 1), (1, 0), (3, 3), (9, 9)])).unwrap();
    assert_eq!(ack.call_id, 9);
    assert_eq!(ack.assoc_group_id, 0x1234);
    assert_eq!(ack.secondary_address, "135");
    assert_eq!(
        ack.accepted(0),
        Err(RpcError::ContextRejected {
            result: 2,
            reason: ProviderReason::PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED
        })
    );
    assert_eq!(
        ack.results[1],
        ContextResult::ProviderRejection {
            reason: ProviderReason::ABSTRACT_SYNTAX_NOT_SUPPORTED
        }
    );
    assert!(matches!(
        ack.results[2],
        ContextResult::UserRejection { .. }
    ));
    assert_eq!(ack.results[3], ContextResult::NegotiateAck { features: 3 });
    assert_eq!(
        ack.results[4],
        ContextResult::Other {
            result: 9,
            reason: 9
        }
    );
    let err = ack.accepted(0).unwrap_err().to_string();
    assert!(
        err.contains("proposed transfer syntaxes not supported"),
        "{err}"
    );

    // Truncated and padded BIND_ACKs.
    let pdu = bind_ack_pdu(&[(0, 0)]);
    let mut short = pdu.clone();
    short.pop();
    assert!(matches!(
        parse_bind_ack(&short),
        Err(RpcError::Truncated { .. })
    ));
    let mut long = pdu.clone();
    long.push(0);
    assert_eq!(parse_bind_ack(&long), Err(RpcError::TrailingBytes(1)));
    let mut lying = pdu;
    lying[8] -= 1; // frag_length one short of the results
    lying.pop();
    assert!(matches!(
        parse_bind_ack(&lying),
        Err(RpcError::Truncated { .. })
    ));
}

#[test]
fn bind_nak_and_fault_are_errors() {
    // BIND_NAK: provider_reject_reason 4, one supported version 5.0.
    let nak = [
        5, 0, 13, 3, 0x10, 0, 0, 0, 21, 0, 0, 0, 1, 0, 0, 0, 4, 0, 1, 5, 0,
    ];
    let err = parse_bind_ack(&nak).unwrap_err();
    assert_eq!(
        err,
        RpcError::BindNak {
            reason: BindNakReason::PROTOCOL_VERSION_NOT_SUPPORTED
        }
    );
    assert_eq!(
        err.to_string(),
        "bind refused: protocol version not supported"
    );

    assert_eq!(
        parse_bind_ack(&fault_pdu(1, 0x1c01_0003)),
        Err(RpcError::Fault {
            status: nca::UNK_IF
        })
    );
}

fn fault_pdu(call_id: u32, status: u32) -> Vec<u8> {
    let mut pdu = vec![5, 0, 3, 3, 0x10, 0, 0, 0, 32, 0, 0, 0];
    pdu.extend_from_slice(&call_id.to_le_bytes());
    pdu.extend_from_slice(&[32, 0, 0, 0, 0, 0, 0, 0]); // alloc_hint, p_cont_id, cancel, flags
    pdu.extend_from_slice(&status.to_le_bytes());
    pdu.extend_from_slice(&[0; 4]);
    pdu
}

#[test]
fn faults_end_the_call() {
    for status in [nca::OP_RNG_ERROR, nca::ACCESS_DENIED] {
        let mut assembler = ResponseAssembler::new(4);
        assert_eq!(
            assembler.push(&fault_pdu(4, status)),
            Err(RpcError::Fault { status })
        );
    }
    // A fault after a first fragment, in the same chunk.
    let mut chunk = response_pdus(4, 0, &[0; 64], 48).remove(0);
    chunk.extend_from_slice(&fault_pdu(4, nca::OP_RNG_ERROR));
    assert_eq!(
        ResponseAssembler::new(4).push(&chunk),
        Err(RpcError::Fault {
            status: nca::OP_RNG_ERROR
        })
    );
    assert_eq!(
        ResponseAssembler::new(5).push(&fault_pdu(4, 5)),
        Err(RpcError::CallIdMismatch {
            expected: 5,
            got: 4
        })
    );
}

#[test]
fn request_fragmentation() {
    let stub: Vec<u8> = (0..=255).collect();
    // 24-byte header + at most 100 bytes, rounded down to 96.
    let pdus = request_pdus(3, 1, 15, &stub, 124);
    assert_eq!(pdus.len(), 3);
    let mut joined = Vec::new();
    let mut remaining = stub.len();
    for (i, pdu) in pdus.iter().enumerate() {
        assert!(pdu.len() <= 124);
        assert_eq!(usize::from(u16::from_le_bytes([pdu[8], pdu[9]])), pdu.len());
        let flags = pdu[3];
        assert_eq!(flags & PFC_FIRST_FRAG != 0, i == 0);
        assert_eq!(flags & PFC_LAST_FRAG != 0, i == 2);
        let alloc_hint = u32::from_le_bytes([pdu[16], pdu[17], pdu[18], pdu[19]]);
        assert_eq!(alloc_hint as usize, remaining);
        assert_eq!(&pdu[20..24], &[1, 0, 15, 0]);
        let body = &pdu[REQUEST_HEADER_LEN..];
        if i < 2 {
            assert_eq!(body.len(), 96);
        }
        remaining -= body.len();
        joined.extend_from_slice(body);
    }
    assert_eq!(joined, stub);

    // An empty stub is one fragment; absurdly small fragments still make progress.
    let one = request_pdus(1, 0, 0, &[], 4280);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0][3], PFC_FIRST_FRAG | PFC_LAST_FRAG);
    assert_eq!(request_pdus(1, 0, 0, &[0; 17], 0).len(), 3);
}

/// A level-1 NetrShareEnum response stub, written with our own NDR writer.
fn encode_response(shares: &[ShareInfo1], total: u32, resume: Option<u32>, status: u32) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.u32(1);
    w.u32(1);
    w.referent();
    w.u32(shares.len() as u32);
    w.referent();
    w.u32(shares.len() as u32);
    for share in shares {
        w.referent();
        w.u32(share.share_type);
        // A NULL remark when it is empty, as some servers send.
        w.unique_pointer(!share.remark.is_empty());
    }
    for share in shares {
        w.wide_string(&share.name);
        if !share.remark.is_empty() {
            w.wide_string(&share.remark);
        }
    }
    w.u32(total);
    if let Some(handle) = resume {
        w.referent();
        w.u32(handle);
    } else {
        w.null_pointer();
    }
    w.u32(status);
    w.into_bytes()
}

fn synthetic_shares(n: usize) -> Vec<ShareInfo1> {
    (0..n)
        .map(|i| ShareInfo1 {
            name: format!("share{i:04}"),
            share_type: if i % 7 == 0 {
                srvsvc::STYPE_PRINTQ
            } else {
                STYPE_DISKTREE
            },
            remark: if i % 3 == 0 {
                String::new()
            } else {
                format!("comment \u{e9}\u{1f4c1} number {i}")
            },
        })
        .collect()
}

#[test]
fn thousand_shares_round_trip() {
    let request = net_share_enum_request(
        &srvsvc::unc_server_name("labserver"),
        1,
        srvsvc::MAX_PREFERRED_LENGTH,
        Some(0),
    );
    assert_eq!(&request[..4], &[0, 0, 2, 0]);
    let mut r = NdrReader::new(&request);
    r.pointer().unwrap();
    assert_eq!(r.wide_string().unwrap(), "\\\\labserver");

    let shares = synthetic_shares(1000);
    let stub = encode_response(&shares, 1200, Some(1000), ERROR_MORE_DATA);
    let pdus = response_pdus(2, 0, &stub, 4280);
    assert!(pdus.len() > 10);
    let mut assembler = ResponseAssembler::new(2);
    let mut out = None;
    for pdu in &pdus {
        assert!(out.is_none());
        out = assembler.push(pdu).unwrap();
    }
    let parsed = parse_net_share_enum_response(&out.unwrap()).unwrap();
    assert_eq!(parsed.shares, shares);
    assert_eq!(parsed.total_entries, 1200);
    assert_eq!(parsed.resume_handle, Some(1000));
    assert!(parsed.is_more_data());
}

#[test]
fn response_across_three_fragments_in_odd_chunks() {
    let shares = lab_shares();
    let stub = encode_response(&shares, 4, None, 0);
    // Three fragments: 24-byte header + up to 176 bytes of stub each.
    let room = (stub.len() / 3 + 8) & !7;
    let pdus = response_pdus(9, 0, &stub, (room + 24) as u16);
    assert_eq!(pdus.len(), 3);
    let all: Vec<u8> = pdus.concat();
    // Chunks that straddle fragment boundaries, including a split inside a header.
    let cuts = [
        0,
        5,
        pdus[0].len() + 3,
        pdus[0].len() + pdus[1].len() + 10,
        all.len(),
    ];
    let mut assembler = ResponseAssembler::new(9);
    let mut out = None;
    for pair in cuts.windows(2) {
        assert!(out.is_none());
        out = assembler.push(&all[pair[0]..pair[1]]).unwrap();
    }
    assert_eq!(out.as_deref(), Some(stub.as_slice()));
    let parsed = parse_net_share_enum_response(&stub).unwrap();
    assert_eq!(parsed.shares, shares);
    assert_eq!(parsed.resume_handle, None);

    // The same fragments, all in one chunk.
    assert_eq!(ResponseAssembler::new(9).push(&all), Ok(Some(stub.clone())));
    // Out of order: a continuation first, or a repeated first fragment.
    assert_eq!(
        ResponseAssembler::new(9).push(&pdus[1]),
        Err(RpcError::FragmentOrder)
    );
    let twice = [pdus[0].clone(), pdus[0].clone()].concat();
    assert_eq!(
        ResponseAssembler::new(9).push(&twice),
        Err(RpcError::FragmentOrder)
    );
    // Over the limit.
    assert_eq!(
        ResponseAssembler::with_limit(9, 100).push(&all),
        Err(RpcError::ResponseTooLarge { limit: 100 })
    );
    // Bytes after the last fragment.
    let mut extra = all.clone();
    extra.extend_from_slice(&[5, 0]);
    assert_eq!(
        ResponseAssembler::new(9).push(&extra),
        Err(RpcError::TrailingBytes(2))
    );
}

#[test]
fn failed_enumeration_with_null_container() {
    let mut w = NdrWriter::new();
    w.u32(1);
    w.u32(1);
    w.null_pointer();
    w.u32(0);
    w.null_pointer();
    w.u32(5);
    let parsed = parse_net_share_enum_response(&w.into_bytes()).unwrap();
    assert_eq!(
        parsed,
        ShareEnum {
            status: 5,
            ..ShareEnum::default()
        }
    );
}

#[test]
fn hostile_share_counts_are_rejected() {
    let mut w = NdrWriter::new();
    w.u32(1);
    w.u32(1);
    w.referent();
    w.u32(0x4000_0000);
    w.referent();
    w.u32(0x4000_0000);
    let stub = w.into_bytes();
    assert!(matches!(
        parse_net_share_enum_response(&stub),
        Err(RpcError::Ndr(NdrError::CountTooLarge { .. }))
    ));

    // Level 2 is not parsed; mismatched discriminant; mismatched counts.
    for (level, disc, entries, size) in [(2, 2, 0, 0), (1, 2, 0, 0), (1, 1, 2, 1)] {
        let mut w = NdrWriter::new();
        w.u32(level);
        w.u32(disc);
        w.referent();
        w.u32(entries);
        w.referent();
        w.u32(size);
        w.bytes(&[0; 64]);
        assert!(matches!(
            parse_net_share_enum_response(&w.into_bytes()),
            Err(RpcError::Ndr(NdrError::Invalid { .. }))
        ));
    }
}

type Check = fn(&RpcError) -> bool;

#[test]
fn headers_are_checked() {
    let good = hex(SMBCLIENT_RESPONSE);
    let cases: [(usize, u8, Check); 5] = [
        (0, 4, |e| matches!(e, RpcError::UnsupportedVersion { .. })),
        (1, 2, |e| matches!(e, RpcError::UnsupportedVersion { .. })),
        (4, 0x00, |e| {
            matches!(e, RpcError::UnsupportedDataRepresentation(_))
        }),
        (10, 16, |e| matches!(e, RpcError::UnexpectedAuth { .. })),
        (2, 0, |e| matches!(e, RpcError::UnexpectedPacketType(0))),
    ];
    for (offset, value, check) in cases {
        let mut pdu = good.clone();
        pdu[offset] = value;
        let err = ResponseAssembler::new(2).push(&pdu).unwrap_err();
        assert!(check(&err), "offset {offset}: {err:?}");
    }
    let mut tiny = good;
    tiny[8..10].copy_from_slice(&16u16.to_le_bytes());
    assert!(matches!(
        ResponseAssembler::new(2).push(&tiny),
        Err(RpcError::InvalidFragLength { .. })
    ));
}

proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_bind_ack(&data);
        let _ = parse_net_share_enum_response(&data);
        let _ = NdrReader::new(&data).wide_string();
        let _ = ResponseAssembler::new(2).push(&data);
    }

    #[test]
    fn mutated_samba_pdus_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        for capture in [BIND_ACK, SMBCLIENT_RESPONSE, RPCCLIENT_RESPONSE] {
            let mut pdu = hex(capture);
            for (at, value) in &flips {
                let i = at.index(pdu.len());
                pdu[i] = *value;
            }
            let _ = parse_bind_ack(&pdu);
            let mut assembler = ResponseAssembler::new(2);
            let split = cut.index(pdu.len() + 1);
            if let Ok(None) = assembler.push(&pdu[..split])
                && let Ok(Some(stub)) = assembler.push(&pdu[split..])
            {
                let _ = parse_net_share_enum_response(&stub);
            }
            let _ = parse_net_share_enum_response(&pdu[24.min(pdu.len())..]);
        }
    }

    #[test]
    fn assembler_survives_random_chunks(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16),
    ) {
        let mut assembler = ResponseAssembler::with_limit(1, 4096);
        for chunk in &chunks {
            if assembler.push(chunk).is_err() {
                break;
            }
        }
    }

    #[test]
    fn any_fragmentation_reassembles(
        stub in proptest::collection::vec(any::<u8>(), 0..2000),
        max_frag in 0u16..600,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let all = response_pdus(77, 0, &stub, max_frag).concat();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(all.len() + 1)).collect();
        points.push(0);
        points.push(all.len());
        points.sort_unstable();
        let mut assembler = ResponseAssembler::new(77);
        let mut out = None;
        for pair in points.windows(2) {
            prop_assert!(out.is_none() || pair[0] == pair[1]);
            if let Some(got) = assembler.push(&all[pair[0]..pair[1]]).unwrap() {
                out = Some(got);
            }
        }
        prop_assert_eq!(out, Some(stub));
    }

    #[test]
    fn share_lists_round_trip(
        names in proptest::collection::vec(("[a-zA-Z0-9$ ]{0,12}", any::<u32>(), "\\PC{0,20}"), 0..20),
        total in any::<u32>(),
        resume in proptest::option::of(any::<u32>()),
        status in any::<u32>(),
    ) {
        let shares: Vec<ShareInfo1> = names
            .into_iter()
            .map(|(name, share_type, remark)| ShareInfo1 {
                // NUL ends a [string]; keep test strings free of it.
                name: name.replace('\0', ""),
                share_type,
                remark: remark.replace('\0', ""),
            })
            .collect();
        let stub = encode_response(&shares, total, resume, status);
        let parsed = parse_net_share_enum_response(&stub).unwrap();
        prop_assert_eq!(parsed, ShareEnum { shares, total_entries: total, resume_handle: resume, status });
    }
}
