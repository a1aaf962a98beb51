//! Any bytes as the fields of nb30.h's structures and of an NCB: ADAPTER_STATUS, NAME_BUFFER,
//! SESSION_HEADER/BUFFER, FIND_NAME_HEADER/BUFFER and LANA_ENUM are laid out byte for byte
//! where a C caller (pywin32's netbios.py) reads them, whatever their values; records written
//! into a caller's buffer of any size go whole or not at all and never past its end; an NCB's
//! data never reaches past its buffer whatever `ncb_length` says, and its name fields read
//! back as the names they hold.
//!
//! The structures have no decoders in the crate (commands only write them), so each is read
//! back here at its C offsets and compared with the fields it was built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_nbt::wire::NetbiosName;
use wnet_netbios::nb30::{
    AdapterStatus, FindNameBuffer, FindNameHeader, LanaEnum, MAX_LANA, NCBNAMSZ, NameBuffer,
    SessionBuffer, SessionHeader, write_with_records,
};
use wnet_netbios::{Ncb, SharedNcb, name_field};

/// Reads fields off the fuzz input, zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        let (&first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        first
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.u8())
    }
    fn bytes(&mut self, count: usize) -> Vec<u8> {
        (0..count).map(|_| self.u8()).collect()
    }
}

fn le16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn adapter_status(input: &mut Input<'_>) {
    let status = AdapterStatus {
        adapter_address: input.array(),
        rev_major: input.u8(),
        adapter_type: input.u8(),
        rev_minor: input.u8(),
        duration: input.u16(),
        xmit_success: input.u32(),
        recv_success: input.u32(),
        free_ncbs: input.u16(),
        max_cfg_ncbs: input.u16(),
        max_ncbs: input.u16(),
        max_dgram_size: input.u16(),
        pending_sess: input.u16(),
        max_cfg_sess: input.u16(),
        max_sess: input.u16(),
        max_sess_pkt_size: input.u16(),
        name_count: input.u16(),
    };
    let bytes = status.to_bytes();
    let read = AdapterStatus {
        adapter_address: bytes[0..6].try_into().expect("six bytes"),
        rev_major: bytes[6],
        adapter_type: bytes[8],
        rev_minor: bytes[9],
        duration: le16(&bytes, 10),
        xmit_success: le32(&bytes, 20),
        recv_success: le32(&bytes, 24),
        free_ncbs: le16(&bytes, 40),
        max_cfg_ncbs: le16(&bytes, 42),
        max_ncbs: le16(&bytes, 44),
        max_dgram_size: le16(&bytes, 48),
        pending_sess: le16(&bytes, 50),
        max_cfg_sess: le16(&bytes, 52),
        max_sess: le16(&bytes, 54),
        max_sess_pkt_size: le16(&bytes, 56),
        name_count: le16(&bytes, 58),
    };
    assert_eq!(read, status);
    // Reserved bytes and the counters the engine does not keep stay zero.
    assert_eq!(bytes[7], 0);
    assert!(
        bytes[12..20]
            .iter()
            .chain(&bytes[28..40])
            .chain(&bytes[46..48])
            .all(|&b| b == 0)
    );
}

fn small_structures(input: &mut Input<'_>) {
    let name = NameBuffer {
        name: input.array(),
        name_num: input.u8(),
        name_flags: input.u8(),
    };
    let bytes = name.to_bytes();
    assert_eq!(
        (&bytes[..NCBNAMSZ], bytes[16], bytes[17]),
        (&name.name[..], name.name_num, name.name_flags)
    );

    let header = SessionHeader {
        sess_name: input.u8(),
        num_sess: input.u8(),
        rcv_dg_outstanding: input.u8(),
        rcv_any_outstanding: input.u8(),
    };
    let bytes = header.to_bytes();
    assert_eq!(
        bytes,
        [
            header.sess_name,
            header.num_sess,
            header.rcv_dg_outstanding,
            header.rcv_any_outstanding
        ]
    );

    let session = SessionBuffer {
        lsn: input.u8(),
        state: input.u8(),
        local_name: input.array(),
        remote_name: input.array(),
        rcvs_outstanding: input.u8(),
        sends_outstanding: input.u8(),
    };
    let bytes = session.to_bytes();
    assert_eq!(
        SessionBuffer {
            lsn: bytes[0],
            state: bytes[1],
            local_name: bytes[2..18].try_into().expect("16 bytes"),
            remote_name: bytes[18..34].try_into().expect("16 bytes"),
            rcvs_outstanding: bytes[34],
            sends_outstanding: bytes[35],
        },
        session
    );

    let find = FindNameHeader {
        node_count: input.u16(),
        unique_group: input.u8(),
    };
    let bytes = find.to_bytes();
    assert_eq!(
        (le16(&bytes, 0), bytes[2], bytes[3]),
        (find.node_count, 0, find.unique_group)
    );

    let found = FindNameBuffer {
        length: input.u8(),
        access_control: input.u8(),
        frame_control: input.u8(),
        destination_addr: input.array(),
        source_addr: input.array(),
    };
    let bytes = found.to_bytes();
    assert_eq!(
        FindNameBuffer {
            length: bytes[0],
            access_control: bytes[1],
            frame_control: bytes[2],
            destination_addr: bytes[3..9].try_into().expect("six bytes"),
            source_addr: bytes[9..15].try_into().expect("six bytes"),
        },
        found
    );
    assert!(
        bytes[15..].iter().all(|&b| b == 0),
        "routing info stays empty"
    );
    let address = std::net::Ipv4Addr::from(input.array::<4>());
    let field = FindNameBuffer::address_field(address);
    assert_eq!(
        (&field[..2], &field[2..]),
        (&[0, 0][..], &address.octets()[..])
    );
}

fn lana_enum(input: &mut Input<'_>) {
    let count = usize::from(input.u16() % 300);
    let lanas = input.bytes(count);
    let bytes = LanaEnum {
        lanas: lanas.clone(),
    }
    .to_bytes();
    let kept = count.min(MAX_LANA);
    assert_eq!(usize::from(bytes[0]), kept);
    assert_eq!(&bytes[1..=kept], &lanas[..kept]);
    assert!(bytes[kept + 1..].iter().all(|&b| b == 0));
}

fn records(input: &mut Input<'_>) {
    let mut out = vec![0xEE; usize::from(input.u8())];
    let header_length = usize::from(input.u8() % 64);
    let header = input.bytes(header_length);
    let record_length = usize::from(input.u8() % 40);
    let records: Vec<Vec<u8>> = (0..input.u8() % 16)
        .map(|_| input.bytes(record_length))
        .collect();
    let slices: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let (written, complete) = write_with_records(&mut out, &header, &slices);
    let whole: Vec<u8> = [header.clone(), records.concat()].concat();
    assert!(written <= out.len());
    assert_eq!(complete, whole.len() <= out.len());
    assert_eq!(&out[..written], &whole[..written]);
    assert!(
        out[written..].iter().all(|&b| b == 0xEE),
        "nothing past what it reports"
    );
    if written >= header.len() && record_length > 0 {
        assert_eq!(
            (written - header.len()) % record_length,
            0,
            "records go whole"
        );
    } else if !complete {
        assert_eq!(written, out.len().min(header.len()));
    }
}

fn ncb(input: &mut Input<'_>) {
    let mut ncb = Ncb::with_command(input.u8(), input.u8());
    ncb.length = input.u16();
    let buffer_length = usize::from(input.u8());
    ncb.buffer = input.bytes(buffer_length);
    ncb.callname = input.array();
    let name_length = usize::from(input.u8() % 24);
    ncb.name = name_field(&input.bytes(name_length));
    let data = ncb.data().to_vec();
    assert_eq!(data.len(), usize::from(ncb.length).min(ncb.buffer.len()));
    assert_eq!(&data[..], &ncb.buffer[..data.len()]);
    for field in [ncb.callname, ncb.name] {
        assert_eq!(NetbiosName::from_bytes(field).as_bytes(), &field);
    }
    let shared = SharedNcb::new(ncb.clone());
    assert_eq!(shared.snapshot(), ncb);
    assert_eq!(shared.take(), ncb);
    assert_eq!(shared.snapshot(), Ncb::new());
    let mut set = Ncb::new();
    set.set_buffer(data.clone());
    assert_eq!(set.data(), &data[..]);
}

fuzz_target!(|bytes: &[u8]| {
    let mut input = Input(bytes);
    match input.u8() % 5 {
        0 => adapter_status(&mut input),
        1 => small_structures(&mut input),
        2 => lana_enum(&mut input),
        3 => records(&mut input),
        _ => ncb(&mut input),
    }
});
