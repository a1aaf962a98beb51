//! A bounds-checked cursor over a packet: every read says how many bytes it needs and fails
//! with a typed error, never a panic, when the packet is shorter.

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

    /// A cursor at `position` in `packet` (for following compression pointers).
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

    /// The next `length` bytes.
    pub(crate) fn take(&mut self, length: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .position
            .checked_add(length)
            .filter(|end| *end <= self.packet.len())
            .ok_or(WireError::Truncated {
                offset: self.position,
                needed: length,
            })?;
        let bytes = &self.packet[self.position..end];
        self.position = end;
        Ok(bytes)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A count read off the wire, checked against what is left: `count` items of at least
    /// `min_size` bytes each must fit in the rest of the packet. Returns the count, safe to
    /// size an allocation with.
    pub(crate) fn checked_count(
        &self,
        count: usize,
        min_size: usize,
        what: &'static str,
    ) -> Result<usize, WireError> {
        if count.saturating_mul(min_size) > self.remaining() {
            return Err(WireError::CountTooLarge {
                what,
                count,
                remaining: self.remaining(),
            });
        }
        Ok(count)
    }
}
