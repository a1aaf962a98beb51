//! The datagrams nmbd sent in the labs (testdata/samba/packets.json, the entries from port 138)
//! decode to what nmbd meant and re-encode byte for byte.
//!
//! They are browse announcements (MS-BRWS): a DIRECT_GROUP datagram to the workgroup's
//! `<1D>` (local master browser) name, whose user data is an SMB_COM_TRANSACTION to the
//! mailslot `\MAILSLOT\BROWSE` carrying a HostAnnouncement.

use std::net::Ipv4Addr;

use wnet_nbt::wire::{
    DataDatagram, DataKind, DatagramPacket, NetbiosName, ScopedName, SourceNodeType,
};

mod common;

use common::{Golden, on_port};

fn datagrams() -> Vec<Golden> {
    on_port(138)
}

fn data(golden: &Golden) -> DataDatagram {
    match DatagramPacket::decode(&golden.bytes) {
        Ok(DatagramPacket::Data(data)) => data,
        other => panic!("{}/{}: {other:?}", golden.step, golden.index),
    }
}

/// The fields of a HostAnnouncement (MS-BRWS 2.2.1) inside a mailslot SMB transaction.
#[derive(Debug)]
struct HostAnnouncement {
    mailslot: String,
    opcode: u8,
    periodicity_ms: u32,
    server_name: String,
    os_version: (u8, u8),
    server_type: u32,
    comment: String,
}

fn host_announcement(smb: &[u8]) -> HostAnnouncement {
    assert_eq!(&smb[..4], b"\xffSMB", "an SMB header");
    assert_eq!(smb[4], 0x25, "SMB_COM_TRANSACTION");
    // SMB header (32 bytes), WordCount, then the transaction's words; the data offset is
    // word 12 (counted from the SMB header), the mailslot name follows the 17 words.
    let word_count = usize::from(smb[32]);
    assert_eq!(word_count, 17);
    let word = |index: usize| u16::from_le_bytes([smb[33 + 2 * index], smb[34 + 2 * index]]);
    let data_offset = usize::from(word(12));
    let name_start = 33 + 2 * word_count + 2;
    let name_end = name_start + smb[name_start..].iter().position(|b| *b == 0).expect("NUL");
    let mailslot = String::from_utf8_lossy(&smb[name_start..name_end]).into_owned();
    let body = &smb[data_offset..];
    let text = |bytes: &[u8]| {
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    };
    HostAnnouncement {
        mailslot,
        opcode: body[0],
        periodicity_ms: u32::from_le_bytes(body[2..6].try_into().expect("4 bytes")),
        server_name: text(&body[6..22]),
        os_version: (body[22], body[23]),
        server_type: u32::from_le_bytes(body[24..28].try_into().expect("4 bytes")),
        comment: text(&body[32..]),
    }
}

#[test]
fn nmbd_s_datagrams_re_encode_byte_for_byte() {
    let all = datagrams();
    assert!(
        !all.is_empty(),
        "packets.json holds datagrams from port 138"
    );
    for golden in &all {
        let packet = DatagramPacket::decode(&golden.bytes).expect("decodes");
        assert_eq!(
            packet.encode().expect("encodes"),
            golden.bytes,
            "{}/{}",
            golden.step,
            golden.index
        );
    }
}

#[test]
fn the_registration_conflict_datagram_is_a_host_announcement_to_the_workgroup() {
    let all = datagrams();
    let golden = all
        .iter()
        .find(|g| g.step == "registration_conflict")
        .expect("a datagram in registration_conflict");
    let datagram = data(golden);
    assert_eq!(datagram.kind, DataKind::DirectGroup);
    assert!(datagram.header.flags.first && !datagram.header.flags.more);
    assert_eq!(datagram.header.flags.node_type, SourceNodeType::Mixed);
    assert_eq!(datagram.header.source_ip, Ipv4Addr::new(198, 51, 100, 131));
    assert_eq!(datagram.header.source_port, 138);
    assert_eq!(datagram.packet_offset, 0);
    let name = |text: &str| ScopedName::new(text.parse::<NetbiosName>().expect("a name"));
    assert_eq!(datagram.source, name("NBHOST1"));
    assert_eq!(datagram.destination, name("WNETBCAST#1D"));
    assert_eq!(datagram.dgm_length(), Some(207));

    let announcement = host_announcement(&datagram.user_data);
    assert_eq!(announcement.mailslot, "\\MAILSLOT\\BROWSE");
    assert_eq!(announcement.opcode, 1, "HostAnnouncement");
    assert_eq!(announcement.server_name, "NBHOST1");
    assert_eq!(announcement.os_version, (6, 1));
    assert_eq!(announcement.comment, "Samba 4.17.12-Debian");
    assert_eq!(announcement.periodicity_ms, 60_000);
    // SV_TYPE_WORKSTATION | SERVER | PRINTQ_SERVER | SERVER_UNIX | NT | SERVER_NT | DFS
    // (MS-BRWS 2.2.1.1), as nmbd announces itself.
    assert_eq!(announcement.server_type, 0x0080_9A03);

    // The second one, as nmbd lost the name: periodicity and server type zero — the
    // announcement that the server is going away.
    let last = all
        .iter()
        .rfind(|g| g.step == "registration_conflict")
        .expect("a second datagram");
    let gone = host_announcement(&data(last).user_data);
    assert_eq!(gone.server_name, "NBHOST1");
    assert_eq!((gone.periodicity_ms, gone.server_type), (0, 0));
}
