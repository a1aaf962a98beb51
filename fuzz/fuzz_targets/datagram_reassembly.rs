//! Any bytes as a sequence of datagram fragments from four senders, fed to a small
//! [`Reassembler`] with a simulated clock: out-of-order, duplicate, overlapping, contradicting
//! and other-named fragments, timeouts and evictions. It never panics and stays within its
//! limits, and every datagram it puts together holds exactly the bytes its sender's fragments
//! carried at each offset. The same bytes as user data, cut by `split` and fed back in an order
//! the first byte picks, come back whole, once.
#![no_main]

use std::net::Ipv4Addr;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use wnet_nbt::datagram::{MAX_MESSAGE_LENGTH, Reassembler, ReassemblyLimits, split};
use wnet_nbt::wire::datagram::DATA_HEADER_LENGTH;
use wnet_nbt::wire::{
    DataDatagram, DataKind, DatagramFlags, DatagramHeader, NetbiosName, ScopedName, SourceNodeType,
};

const LIMITS: ReassemblyLimits = ReassemblyLimits {
    max_pending: 3,
    max_pending_bytes: 2048,
    max_fragments: 8,
    timeout: Duration::from_secs(1),
};

/// The bytes each sender's datagram holds, offset by offset: every fragment of one sender
/// agrees (made once; comparing and copying slices keeps an input fast).
static PATTERNS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    (0..4u8)
        .map(|sender| {
            (0..=MAX_MESSAGE_LENGTH + 255)
                .map(|offset| {
                    (offset as u8).wrapping_mul(31) ^ (offset >> 8) as u8 ^ sender.wrapping_mul(97)
                })
                .collect()
        })
        .collect()
});

fn name(text: &str) -> ScopedName {
    ScopedName::new(NetbiosName::new(text, 0x20).expect("a valid name"))
}

fn header(sender: u16, more: bool, first: bool) -> DatagramHeader {
    DatagramHeader {
        flags: DatagramFlags {
            more,
            first,
            ..DatagramFlags::whole(SourceNodeType::Broadcast)
        },
        id: sender,
        source_ip: Ipv4Addr::new(192, 0, 2, 1),
        source_port: 138,
    }
}

/// Up to 256 fragments described by four bytes each: sender, M, F, other names and clock advance in the
/// first; PACKET_OFFSET in the next two; the length of the piece in the last.
fn interleaved(ops: &[u8]) {
    let mut reassembler = Reassembler::new(LIMITS);
    let start = Instant::now();
    let mut now = start;
    let (sender_name, receiver, other) = (name("SENDER"), name("RECEIVER"), name("OTHER"));
    for op in ops.chunks_exact(4).take(256) {
        let sender = u16::from(op[0] & 0b11);
        let more = op[0] & 0b100 != 0;
        let first = op[0] & 0b1000 != 0;
        let other_names = op[0] & 0b1_0000 != 0;
        now += Duration::from_millis(u64::from(op[0] >> 5) * 150);
        let offset = u16::from_le_bytes([op[1], op[2]]);
        let length = usize::from(op[3]);
        let at = usize::from(offset);
        let user_data = PATTERNS[usize::from(sender)][at..at + length].to_vec();
        let datagram = DataDatagram {
            kind: DataKind::DirectUnique,
            header: header(sender, more, first),
            packet_offset: offset,
            source: sender_name.clone(),
            destination: if other_names { &other } else { &receiver }.clone(),
            user_data,
        };
        if let Some(whole) = reassembler.accept(datagram, now) {
            assert!(whole.user_data.len() <= MAX_MESSAGE_LENGTH);
            assert!(whole.fragments >= 1 && whole.fragments <= LIMITS.max_fragments);
            let expected = &PATTERNS[usize::from(whole.header.id)][..whole.user_data.len()];
            assert!(whole.user_data == expected, "the bytes its sender sent");
        }
        assert!(reassembler.pending() <= LIMITS.max_pending);
        assert!(reassembler.pending_bytes() <= LIMITS.max_pending_bytes);
        if let Some(expiry) = reassembler.next_expiry() {
            assert!(
                expiry > now,
                "expired messages are dropped before a fragment is taken"
            );
        }
    }
    reassembler.expire(now + LIMITS.timeout);
    assert_eq!(reassembler.pending(), 0);
    assert_eq!(reassembler.pending_bytes(), 0);
}

/// `data` cut into fragments of 1 to 64 bytes of user data (at most 64 of them, so that an
/// input costs microseconds), fed back reversed and/or each twice, as `selector` says: the
/// datagram comes back whole exactly once (a datagram that fits one packet, every time it
/// arrives).
fn split_and_reassemble(selector: u8, data: &[u8]) {
    let room = 1 + usize::from(selector >> 2);
    let data = &data[..data.len().min(room * 64).min(MAX_MESSAGE_LENGTH)];
    let source = name("SENDER");
    let destination = name("RECEIVER");
    let overhead = DATA_HEADER_LENGTH + source.encoded_length() + destination.encoded_length();
    let max_packet_length = overhead + room;
    let mut fragments = split(
        DataKind::DirectGroup,
        header(7, false, false),
        &source,
        &destination,
        data,
        max_packet_length,
    )
    .expect("room for data, and no more than 64 KiB of it");
    if selector & 1 != 0 {
        fragments.reverse();
    }
    let copies = if selector & 2 != 0 { 2 } else { 1 };
    let count = fragments.len();
    let mut reassembler = Reassembler::new(ReassemblyLimits {
        max_fragments: count,
        ..ReassemblyLimits::default()
    });
    let now = Instant::now();
    let mut completed = 0;
    for fragment in fragments {
        for _ in 0..copies {
            if let Some(whole) = reassembler.accept(fragment.clone(), now) {
                assert_eq!(whole.user_data, data);
                assert_eq!(whole.fragments, count);
                completed += 1;
            }
        }
    }
    let expected = if count == 1 { copies } else { 1 };
    assert_eq!(completed, expected);
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    interleaved(rest);
    split_and_reassemble(selector, rest);
});
