//! Fragmentation of datagrams (RFC 1001 §17.1.1, RFC 1002 §4.4.1): sans-IO, no sockets, no
//! clock of its own.
//!
//! A datagram whose names and user data do not fit in one packet of at most
//! [`MAX_DATAGRAM_LENGTH`](crate::config::MAX_DATAGRAM_LENGTH) bytes is sent as several
//! packets with the same DGM_ID: the first with F and M set, the middle ones with M, the last
//! with neither; PACKET_OFFSET says where each piece of user data belongs. Every fragment
//! carries both names.
//!
//! [`split`] cuts user data into such fragments. [`Reassembler`] puts them back together,
//! keyed by the sender (SOURCE_IP, SOURCE_PORT) and DGM_ID, with bounded memory: a cap on the
//! messages in progress, on the bytes they hold and on the pieces per message, and a timeout
//! after which an incomplete message is dropped. Duplicate, overlapping and out-of-order
//! fragments are accepted (the first copy of a byte wins); fragments that contradict each
//! other (two different ends, data past the end, other names) drop the message.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::wire::datagram::DATA_HEADER_LENGTH;
use crate::wire::{DataDatagram, DataKind, DatagramFlags, DatagramHeader, ScopedName};

/// The most user data one datagram can carry in fragments: PACKET_OFFSET is 16 bits.
pub const MAX_MESSAGE_LENGTH: usize = u16::MAX as usize;

/// Why user data could not be cut into fragments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// The header and the two names alone fill the largest packet allowed.
    #[error(
        "the header and names take {overhead} bytes, leaving no room for data in packets of \
         {max_packet_length} bytes"
    )]
    NamesTooLong {
        /// Header and names.
        overhead: usize,
        /// The largest packet allowed.
        max_packet_length: usize,
    },
    /// More user data than PACKET_OFFSET can address.
    #[error("{length} bytes of user data is more than a datagram can carry ({MAX_MESSAGE_LENGTH})")]
    DataTooLong {
        /// The length of the user data.
        length: usize,
    },
}

/// Cuts `user_data` into data datagrams of at most `max_packet_length` bytes each, all with
/// the header's DGM_ID, SOURCE_IP and SOURCE_PORT and node type; F, M and PACKET_OFFSET are
/// set here (the header's own F and M are ignored). Data that fits in one packet gives one
/// datagram with F set and M clear; empty data gives one datagram with no user data.
pub fn split(
    kind: DataKind,
    header: DatagramHeader,
    source: &ScopedName,
    destination: &ScopedName,
    user_data: &[u8],
    max_packet_length: usize,
) -> Result<Vec<DataDatagram>, FragmentError> {
    if user_data.len() > MAX_MESSAGE_LENGTH {
        return Err(FragmentError::DataTooLong {
            length: user_data.len(),
        });
    }
    let overhead = DATA_HEADER_LENGTH + source.encoded_length() + destination.encoded_length();
    let room = max_packet_length.saturating_sub(overhead);
    if room == 0 {
        return Err(FragmentError::NamesTooLong {
            overhead,
            max_packet_length,
        });
    }
    let pieces: Vec<&[u8]> = if user_data.is_empty() {
        vec![&[]]
    } else {
        user_data.chunks(room).collect()
    };
    let last = pieces.len() - 1;
    let mut offset = 0usize;
    let mut fragments = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.into_iter().enumerate() {
        fragments.push(DataDatagram {
            kind,
            header: DatagramHeader {
                flags: DatagramFlags {
                    first: index == 0,
                    more: index != last,
                    ..header.flags
                },
                ..header
            },
            // Offsets stay below MAX_MESSAGE_LENGTH, checked above.
            packet_offset: u16::try_from(offset).unwrap_or(u16::MAX),
            source: source.clone(),
            destination: destination.clone(),
            user_data: piece.to_vec(),
        });
        offset += piece.len();
    }
    Ok(fragments)
}

/// The bounds of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Messages in progress at most; a new one beyond it evicts the oldest.
    pub max_pending: usize,
    /// User data held by all messages in progress at most; the oldest are evicted to make
    /// room, and a message that alone would exceed it is dropped.
    pub max_pending_bytes: usize,
    /// Fragments one message may have at most (bounds the per-piece overhead of tiny
    /// fragments).
    pub max_fragments: usize,
    /// How long an incomplete message is kept after its first fragment arrived.
    pub timeout: Duration,
}

impl Default for ReassemblyLimits {
    /// 64 messages, 256 KiB, 256 fragments each, 5 seconds. RFC 1001 sets no timer; fragments of
    /// one datagram are sent back to back, so seconds are plenty.
    fn default() -> Self {
        ReassemblyLimits {
            max_pending: 64,
            max_pending_bytes: 256 * 1024,
            max_fragments: 256,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A datagram put back together (or received whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// DIRECT_UNIQUE, DIRECT_GROUP or BROADCAST.
    pub kind: DataKind,
    /// The header of the first fragment that arrived (F and M as it carried them).
    pub header: DatagramHeader,
    /// SOURCE_NAME.
    pub source: ScopedName,
    /// DESTINATION_NAME.
    pub destination: ScopedName,
    /// The whole user data.
    pub user_data: Vec<u8>,
    /// How many packets carried it (1 for a datagram sent whole).
    pub fragments: usize,
}

/// What the reassembler has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Messages completed from more than one fragment.
    pub completed: u64,
    /// Incomplete messages dropped at their timeout.
    pub expired: u64,
    /// Incomplete messages evicted to stay within the limits.
    pub evicted: u64,
    /// Fragments or messages dropped because fragments contradicted each other, or a message
    /// outgrew [`MAX_MESSAGE_LENGTH`] or its fragment limit.
    pub inconsistent: u64,
    /// Fragments ignored as duplicates (same offset) or empty.
    pub ignored: u64,
}

/// Who sent a datagram, and which: SOURCE_IP, SOURCE_PORT, DGM_ID.
type Key = (Ipv4Addr, u16, u16);

#[derive(Debug)]
struct Pending {
    kind: DataKind,
    header: DatagramHeader,
    source: ScopedName,
    destination: ScopedName,
    started: Instant,
    /// Pieces of user data by PACKET_OFFSET.
    pieces: BTreeMap<u16, Vec<u8>>,
    /// The length of the whole user data, once the last fragment (M clear) arrived.
    total: Option<usize>,
    bytes: usize,
}

impl Pending {
    /// The whole user data, if the pieces cover it without a gap.
    fn assemble(&self) -> Option<Vec<u8>> {
        let total = self.total?;
        let mut data = Vec::with_capacity(total);
        for (offset, piece) in &self.pieces {
            let offset = usize::from(*offset);
            if offset > data.len() {
                return None;
            }
            let skip = data.len() - offset;
            if let Some(new) = piece.get(skip..) {
                data.extend_from_slice(new);
            }
        }
        (data.len() == total).then_some(data)
    }
}

/// Puts fragmented datagrams back together (see the module's documentation).
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    pending: HashMap<Key, Pending>,
    bytes: usize,
    stats: ReassemblyStats,
}

impl Reassembler {
    /// An empty reassembler with these limits.
    pub fn new(limits: ReassemblyLimits) -> Reassembler {
        Reassembler {
            limits,
            pending: HashMap::new(),
            bytes: 0,
            stats: ReassemblyStats::default(),
        }
    }

    /// What it has done so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    /// Messages in progress.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes of user data held by messages in progress.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest message in progress times out, if there is one.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.pending
            .values()
            .map(|p| p.started + self.limits.timeout)
            .min()
    }

    /// Drops the messages in progress whose timeout has passed at `now`.
    pub fn expire(&mut self, now: Instant) {
        let timeout = self.limits.timeout;
        let expired: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.started) >= timeout)
            .map(|(key, _)| *key)
            .collect();
        for key in expired {
            self.remove(key);
            self.stats.expired += 1;
        }
    }

    /// Takes one received data datagram at `now`. Returns the whole datagram when this packet
    /// was one (M clear at offset 0) or completed one; `None` while fragments are missing or
    /// when the packet was dropped. Timed-out messages are dropped first.
    pub fn accept(&mut self, datagram: DataDatagram, now: Instant) -> Option<Reassembled> {
        self.expire(now);
        let DataDatagram {
            kind,
            header,
            packet_offset,
            source,
            destination,
            user_data,
        } = datagram;
        if !header.flags.more && packet_offset == 0 {
            return Some(Reassembled {
                kind,
                header,
                source,
                destination,
                user_data,
                fragments: 1,
            });
        }
        let key = (header.source_ip, header.source_port, header.id);
        let offset = usize::from(packet_offset);
        let end = offset + user_data.len();
        if user_data.is_empty() && header.flags.more {
            self.stats.ignored += 1;
            return None;
        }
        if end > MAX_MESSAGE_LENGTH || user_data.len() > self.limits.max_pending_bytes {
            self.drop_inconsistent(key);
            return None;
        }
        if let Some(pending) = self.pending.get(&key) {
            if pending.kind != kind
                || pending.source != source
                || pending.destination != destination
            {
                // Another datagram with the same id, or a forgery: keep the first.
                self.stats.inconsistent += 1;
                return None;
            }
            if pending.pieces.contains_key(&packet_offset) {
                self.stats.ignored += 1;
                return None;
            }
            let contradicts = if header.flags.more {
                pending.total.is_some_and(|total| end > total)
            } else {
                pending.total.is_some_and(|total| total != end)
                    || pending
                        .pieces
                        .iter()
                        .any(|(at, piece)| usize::from(*at) + piece.len() > end)
            };
            if contradicts || pending.pieces.len() >= self.limits.max_fragments {
                self.drop_inconsistent(key);
                return None;
            }
        } else {
            while self.pending.len() >= self.limits.max_pending.max(1) {
                self.evict_oldest(None);
            }
            self.pending.insert(
                key,
                Pending {
                    kind,
                    header,
                    source,
                    destination,
                    started: now,
                    pieces: BTreeMap::new(),
                    total: None,
                    bytes: 0,
                },
            );
        }
        while self.bytes + user_data.len() > self.limits.max_pending_bytes {
            if !self.evict_oldest(Some(key)) {
                // Only this message is left and it alone would exceed the limit.
                self.drop_inconsistent(key);
                return None;
            }
        }
        let pending = self.pending.get_mut(&key)?;
        if !header.flags.more {
            pending.total = Some(end);
        }
        pending.bytes += user_data.len();
        self.bytes += user_data.len();
        pending.pieces.insert(packet_offset, user_data);
        let whole = pending.assemble()?;
        let pending = self.remove(key)?;
        self.stats.completed += 1;
        Some(Reassembled {
            kind: pending.kind,
            header: pending.header,
            source: pending.source,
            destination: pending.destination,
            user_data: whole,
            fragments: pending.pieces.len(),
        })
    }

    fn remove(&mut self, key: Key) -> Option<Pending> {
        let pending = self.pending.remove(&key)?;
        self.bytes = self.bytes.saturating_sub(pending.bytes);
        Some(pending)
    }

    fn drop_inconsistent(&mut self, key: Key) {
        self.remove(key);
        self.stats.inconsistent += 1;
    }

    /// Evicts the message that started first, other than `keep`; false when there is none.
    fn evict_oldest(&mut self, keep: Option<Key>) -> bool {
        let oldest = self
            .pending
            .iter()
            .filter(|(key, _)| Some(**key) != keep)
            .min_by_key(|(_, p)| p.started)
            .map(|(key, _)| *key);
        match oldest {
            Some(key) => {
                self.remove(key);
                self.stats.evicted += 1;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config::MAX_DATAGRAM_LENGTH;
    use crate::wire::{DatagramPacket, NetbiosName, SourceNodeType};

    fn name(text: &str) -> ScopedName {
        ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
    }

    fn header(id: u16) -> DatagramHeader {
        DatagramHeader {
            flags: DatagramFlags::whole(SourceNodeType::Broadcast),
            id,
            source_ip: Ipv4Addr::LOCALHOST,
            source_port: 138,
        }
    }

    fn fragments(id: u16, data: &[u8], max: usize) -> Vec<DataDatagram> {
        split(
            DataKind::DirectUnique,
            header(id),
            &name("SOURCE"),
            &name("DEST"),
            data,
            max,
        )
        .expect("splits")
    }

    fn data(length: usize) -> Vec<u8> {
        (0..length).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn small_data_is_one_whole_datagram() {
        let pieces = fragments(1, b"hello", MAX_DATAGRAM_LENGTH);
        assert_eq!(pieces.len(), 1);
        assert!(pieces[0].header.flags.first && !pieces[0].header.flags.more);
        let empty = fragments(1, b"", MAX_DATAGRAM_LENGTH);
        assert_eq!(empty.len(), 1);
        assert!(empty[0].user_data.is_empty());
        let mut reassembler = Reassembler::new(ReassemblyLimits::default());
        let whole = reassembler
            .accept(pieces[0].clone(), Instant::now())
            .unwrap();
        assert_eq!(whole.user_data, b"hello");
        assert_eq!(whole.fragments, 1);
    }

    #[test]
    fn fragments_stay_within_the_packet_limit_and_carry_first_more_and_offsets() {
        let message = data(1500);
        let pieces = fragments(7, &message, MAX_DATAGRAM_LENGTH);
        // 576 - 14 - 34 - 34 = 494 bytes of data per packet.
        assert_eq!(pieces.len(), 4);
        for (index, piece) in pieces.iter().enumerate() {
            let bytes = DatagramPacket::Data(piece.clone()).encode().unwrap();
            assert!(bytes.len() <= MAX_DATAGRAM_LENGTH);
            assert_eq!(piece.header.flags.first, index == 0);
            assert_eq!(piece.header.flags.more, index != 3);
            assert_eq!(usize::from(piece.packet_offset), index * 494);
            assert_eq!(piece.header.id, 7);
        }
        assert_eq!(
            split(
                DataKind::DirectGroup,
                header(1),
                &name("A"),
                &name("B"),
                b"x",
                82
            ),
            Err(FragmentError::NamesTooLong {
                overhead: 82,
                max_packet_length: 82
            })
        );
        assert_eq!(
            split(
                DataKind::DirectGroup,
                header(1),
                &name("A"),
                &name("B"),
                &vec![0; 65_536],
                576
            ),
            Err(FragmentError::DataTooLong { length: 65_536 })
        );
    }

    #[test]
    fn out_of_order_and_duplicate_fragments_reassemble() {
        let message = data(1500);
        let mut pieces = fragments(9, &message, 200);
        pieces.reverse();
        let duplicate = pieces[2].clone();
        pieces.insert(1, duplicate);
        let mut reassembler = Reassembler::new(ReassemblyLimits::default());
        let now = Instant::now();
        let mut done = None;
        for piece in pieces {
            assert!(done.is_none(), "completed early");
            done = reassembler.accept(piece, now);
        }
        let done = done.expect("complete");
        assert_eq!(done.user_data, message);
        assert_eq!(reassembler.pending(), 0);
        assert_eq!(reassembler.pending_bytes(), 0);
        assert_eq!(reassembler.stats().ignored, 1);
        assert_eq!(reassembler.stats().completed, 1);
    }

    #[test]
    fn overlapping_fragments_keep_the_first_copy() {
        let mut reassembler = Reassembler::new(ReassemblyLimits::default());
        let now = Instant::now();
        let piece = |offset: u16, bytes: &[u8], more: bool| DataDatagram {
            kind: DataKind::DirectGroup,
            header: DatagramHeader {
                flags: DatagramFlags {
                    more,
                    first: offset == 0,
                    ..DatagramFlags::default()
                },
                ..header(3)
            },
            packet_offset: offset,
            source: name("S"),
            destination: name("D"),
            user_data: bytes.to_vec(),
        };
        assert_eq!(reassembler.accept(piece(0, b"abcd", true), now), None);
        assert_eq!(reassembler.accept(piece(6, b"gh", false), now), None);
        let done = reassembler
            .accept(piece(2, b"XXEF", true), now)
            .expect("complete");
        assert_eq!(done.user_data, b"abcdEFgh");
    }

    #[test]
    fn contradictions_drop_the_message() {
        let now = Instant::now();
        let mut reassembler = Reassembler::new(ReassemblyLimits::default());
        let pieces = fragments(5, &data(1000), 200);
        let last = pieces.last().unwrap().clone();
        reassembler.accept(pieces[0].clone(), now);
        // A second "last" fragment that ends elsewhere.
        let mut early_end = last.clone();
        early_end.packet_offset -= 10;
        reassembler.accept(last.clone(), now);
        assert_eq!(reassembler.accept(early_end, now), None);
        assert_eq!(reassembler.pending(), 0);
        assert_eq!(reassembler.stats().inconsistent, 1);
        // Fragments with other names under the same id are ignored, not merged.
        reassembler.accept(pieces[0].clone(), now);
        let mut other = pieces[1].clone();
        other.source = name("INTRUDER");
        assert_eq!(reassembler.accept(other, now), None);
        assert_eq!(reassembler.pending(), 1);
        // An offset that puts the end past 65,535 bytes.
        let mut far = pieces[1].clone();
        far.header.id = 99;
        far.packet_offset = u16::MAX;
        assert_eq!(reassembler.accept(far, now), None);
        assert_eq!(reassembler.pending(), 1);
    }

    #[test]
    fn incomplete_messages_time_out() {
        let limits = ReassemblyLimits {
            timeout: Duration::from_millis(100),
            ..ReassemblyLimits::default()
        };
        let mut reassembler = Reassembler::new(limits);
        let start = Instant::now();
        let pieces = fragments(5, &data(1000), 200);
        reassembler.accept(pieces[0].clone(), start);
        assert_eq!(
            reassembler.next_expiry(),
            Some(start + Duration::from_millis(100))
        );
        reassembler.expire(start + Duration::from_millis(99));
        assert_eq!(reassembler.pending(), 1);
        // The rest arrives too late: the start is gone, so the message never completes.
        for piece in &pieces[1..] {
            assert_eq!(
                reassembler.accept(piece.clone(), start + Duration::from_millis(150)),
                None
            );
        }
        assert_eq!(reassembler.stats().expired, 1);
    }

    #[test]
    fn memory_stays_within_the_limits() {
        let limits = ReassemblyLimits {
            max_pending: 4,
            max_pending_bytes: 1000,
            max_fragments: 3,
            timeout: Duration::from_secs(60),
        };
        let mut reassembler = Reassembler::new(limits);
        let now = Instant::now();
        // Many senders each start a message and never finish it.
        for id in 0..100u16 {
            let pieces = fragments(id, &data(900), 200);
            reassembler.accept(pieces[0].clone(), now + Duration::from_millis(id.into()));
            assert!(reassembler.pending() <= 4);
            assert!(reassembler.pending_bytes() <= 1000);
        }
        assert!(reassembler.stats().evicted >= 96);
        // One message with too many fragments is dropped.
        let pieces = fragments(500, &data(2000), 100);
        for piece in pieces.iter().take(5) {
            reassembler.accept(piece.clone(), now);
        }
        assert!(reassembler.stats().inconsistent >= 1);
        // A message larger than the byte limit never completes but never breaks it.
        let pieces = fragments(600, &data(1900), 576);
        for piece in pieces {
            assert_eq!(reassembler.accept(piece, now), None);
            assert!(reassembler.pending_bytes() <= 1000);
        }
    }

    proptest! {
        #[test]
        fn any_split_reassembles_in_any_order(
            // At most 4000 / (100 - 82) = 223 fragments: within the default 256.
            length in 0usize..4000,
            max in 100usize..700,
            seed in any::<u64>(),
        ) {
            let message = data(length);
            let mut pieces = fragments(42, &message, max);
            // A cheap deterministic shuffle from the seed.
            let count = pieces.len();
            for i in 0..count {
                let j = (seed.wrapping_mul(i as u64 + 1).rotate_left(17) as usize) % count;
                pieces.swap(i, j);
            }
            let mut reassembler = Reassembler::new(ReassemblyLimits::default());
            let now = Instant::now();
            let mut results: Vec<Reassembled> =
                pieces.into_iter().filter_map(|p| reassembler.accept(p, now)).collect();
            prop_assert_eq!(results.len(), 1);
            let done = results.pop().unwrap();
            prop_assert_eq!(done.user_data, message);
            prop_assert_eq!(reassembler.pending_bytes(), 0);
        }

        #[test]
        fn hostile_fragment_streams_stay_bounded(
            stream in proptest::collection::vec(
                (0u16..4, any::<u16>(), proptest::collection::vec(any::<u8>(), 0..300), any::<bool>()),
                0..200,
            ),
        ) {
            let limits = ReassemblyLimits {
                max_pending: 3,
                max_pending_bytes: 2000,
                max_fragments: 8,
                timeout: Duration::from_secs(1),
            };
            let mut reassembler = Reassembler::new(limits);
            let start = Instant::now();
            for (step, (id, offset, bytes, more)) in stream.into_iter().enumerate() {
                let datagram = DataDatagram {
                    kind: DataKind::DirectUnique,
                    header: DatagramHeader {
                        flags: DatagramFlags { more, ..DatagramFlags::default() },
                        ..header(id)
                    },
                    packet_offset: offset % 2048,
                    source: name("S"),
                    destination: name("D"),
                    user_data: bytes,
                };
                let now = start + Duration::from_millis(step as u64 * 20);
                if let Some(done) = reassembler.accept(datagram, now) {
                    prop_assert!(done.user_data.len() <= MAX_MESSAGE_LENGTH);
                }
                prop_assert!(reassembler.pending() <= 3);
                prop_assert!(reassembler.pending_bytes() <= 2000);
            }
        }
    }
}
