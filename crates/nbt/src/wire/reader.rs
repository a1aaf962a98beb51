//! A bounds-checked cursor over a packet: every read says what it reads and how many bytes it
//! needs, and fails with a typed error, never a panic, when the packet is shorter.
//!
//! Lengths and counts read off the wire come back as [`Untrusted`] (hickory-proto's
//! `Restrict<T>` habit): the value can only be had by checking it against what is left.

use crate::wire::WireError;

/// A cursor over the bytes of one packet.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    packet: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `packet`.
    pub(crate) fn new(packet: &'a [u8]) -> Self {
        Reader {
            packet,
            position: 0,
        }
    }

    /// A cursor at `position` in `packet` (for following compression pointers). A position
    /// past the end is allowed: the first read from it fails.
    pub(crate) fn at(packet: &'a [u8], position: usize) -> Self {
        Reader { packet, position }
    }

    /// The whole packet.
    pub(crate) fn packet(&self) -> &'a [u8] {
        self.packet
    }

    /// The offset of the next byte.
    pub(crate) fn position(&self) -> usize {
        self.position
    }

    /// Bytes left after the cursor.
    pub(crate) fn remaining(&self) -> usize {
        self.packet.len().saturating_sub(self.position)
    }

    /// The next `length` bytes, which hold `field`.
    pub(crate) fn take(
        &mut self,
        length: usize,
        field: &'static str,
    ) -> Result<&'a [u8], WireError> {
        let bytes = self
            .position
            .checked_add(length)
            .and_then(|end| self.packet.get(self.position..end))
            .ok_or(WireError::Truncated {
                field,
                offset: self.position,
                needed: length,
                available: self.remaining(),
            })?;
        self.position += length;
        Ok(bytes)
    }

    /// Everything left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = self.packet.get(self.position..).unwrap_or_default();
        self.position = self.packet.len().max(self.position);
        rest
    }

    /// Moves the cursor forward to `end` (a position a look-ahead cursor reached).
    pub(crate) fn advance_to(&mut self, end: usize, field: &'static str) -> Result<(), WireError> {
        self.take(end.saturating_sub(self.position), field)
            .map(|_| ())
    }

    /// A cursor over the next `length` bytes only (the packet before them stays readable, for
    /// compression pointers); this cursor moves past them.
    pub(crate) fn window(
        &mut self,
        length: usize,
        field: &'static str,
    ) -> Result<Reader<'a>, WireError> {
        let start = self.position;
        self.take(length, field)?;
        let bounded = self.packet.get(..self.position).unwrap_or(self.packet);
        Ok(Reader::at(bounded, start))
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], WireError> {
        let bytes = self.take(N, field)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        let [byte] = self.array(field)?;
        Ok(byte)
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A one-byte count or length, to be checked before use.
    pub(crate) fn untrusted_u8(&mut self, field: &'static str) -> Result<Untrusted, WireError> {
        Ok(Untrusted {
            value: usize::from(self.u8(field)?),
            field,
        })
    }

    /// A two-byte count or length, to be checked before use.
    pub(crate) fn untrusted_u16(&mut self, field: &'static str) -> Result<Untrusted, WireError> {
        Ok(Untrusted {
            value: usize::from(self.u16(field)?),
            field,
        })
    }
}

/// A count or length read off the wire that nothing has checked yet. Its value is only given
/// out by a method that checks it against the bytes left, so that no count sizes an allocation
/// or a loop before the packet is known to hold that much.
#[derive(Debug, Clone, Copy)]
#[must_use = "a count read off the wire must be checked before it is used"]
pub(crate) struct Untrusted {
    value: usize,
    field: &'static str,
}

impl Untrusted {
    /// The count, if that many items of at least `min_item_size` bytes each fit in what
    /// `reader` has left; safe to size an allocation with.
    pub(crate) fn count_within(
        self,
        reader: &Reader<'_>,
        min_item_size: usize,
    ) -> Result<usize, WireError> {
        if self.value.saturating_mul(min_item_size) > reader.remaining() {
            return Err(WireError::CountTooLarge {
                field: self.field,
                count: self.value,
                min_item_size,
                remaining: reader.remaining(),
            });
        }
        Ok(self.value)
    }

    /// A cursor over the `value` bytes this length announces (see [`Reader::window`]).
    pub(crate) fn window<'a>(
        self,
        reader: &mut Reader<'a>,
        field: &'static str,
    ) -> Result<Reader<'a>, WireError> {
        reader.window(self.value, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_typed_errors() {
        let mut reader = Reader::new(&[1, 2, 3]);
        assert_eq!(reader.u16("first"), Ok(0x0102));
        assert_eq!(
            reader.u32("second"),
            Err(WireError::Truncated {
                field: "second",
                offset: 2,
                needed: 4,
                available: 1
            })
        );
        assert_eq!(reader.rest(), [3]);
        assert_eq!(reader.rest(), [] as [u8; 0]);
        let mut far = Reader::at(&[1, 2], 9);
        assert_eq!(far.remaining(), 0);
        assert!(far.u8("x").is_err());
        assert_eq!(far.rest(), [] as [u8; 0]);
        assert!(far.take(usize::MAX, "huge").is_err());
    }

    #[test]
    fn untrusted_counts_must_fit_what_is_left() {
        let bytes = [3, 0xAA, 0xBB, 0xCC];
        let mut reader = Reader::new(&bytes);
        let count = reader.untrusted_u8("NUM").expect("a byte");
        assert_eq!(count.count_within(&reader, 1), Ok(3));
        assert_eq!(
            count.count_within(&reader, 2),
            Err(WireError::CountTooLarge {
                field: "NUM",
                count: 3,
                min_item_size: 2,
                remaining: 3
            })
        );
        let mut window = count.window(&mut reader, "DATA").expect("3 bytes");
        assert_eq!(reader.remaining(), 0);
        assert_eq!(window.position(), 1);
        assert_eq!(window.rest(), [0xAA, 0xBB, 0xCC]);
        let mut short = Reader::new(&[9, 1]);
        let count = short.untrusted_u8("LEN").expect("a byte");
        assert!(matches!(
            count.window(&mut short, "DATA"),
            Err(WireError::Truncated { needed: 9, .. })
        ));
    }
}
