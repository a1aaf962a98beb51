//! A bounds-checked little-endian cursor over a received message.

use super::WireError;

/// Reads little-endian fields from a byte slice, failing with the field's name and offset
/// instead of panicking when the bytes run out.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at `offset` into `bytes` (offsets in errors are relative to `bytes`).
    pub fn at(bytes: &'a [u8], offset: usize) -> Reader<'a> {
        Reader { bytes, offset }
    }

    /// The current offset.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Takes the next `count` bytes.
    pub fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        let available = self.bytes.len().saturating_sub(self.offset);
        if count > available {
            return Err(WireError::Truncated {
                field,
                offset: self.offset,
                needed: count,
                available,
            });
        }
        let taken = &self.bytes[self.offset..self.offset + count];
        self.offset += count;
        Ok(taken)
    }

    /// Skips `count` bytes.
    pub fn skip(&mut self, count: usize, field: &'static str) -> Result<(), WireError> {
        self.take(count, field).map(|_| ())
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let bytes = self.take(N, field)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    /// Reads a byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// Reads a little-endian u16.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian u32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian u64.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
}

/// The `length` bytes at `offset` of `message`, or an error naming `field`.
pub(crate) fn slice<'a>(
    message: &'a [u8],
    offset: usize,
    length: usize,
    field: &'static str,
) -> Result<&'a [u8], WireError> {
    match offset.checked_add(length) {
        Some(end) if end <= message.len() => Ok(&message[offset..end]),
        _ => Err(WireError::OutOfBounds {
            field,
            offset,
            length,
            total: message.len(),
        }),
    }
}

/// A buffer given by an offset/length pair where a zero length may come with any offset.
pub(crate) fn optional_slice<'a>(
    message: &'a [u8],
    offset: usize,
    length: usize,
    field: &'static str,
) -> Result<&'a [u8], WireError> {
    if length == 0 {
        Ok(&[])
    } else {
        slice(message, offset, length, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_reports_truncation() {
        let mut reader = Reader::at(&[1, 0, 2, 0, 0, 0, 9], 0);
        assert_eq!(reader.u16("a").unwrap(), 1);
        assert_eq!(reader.u32("b").unwrap(), 2);
        assert_eq!(
            reader.u16("c"),
            Err(WireError::Truncated {
                field: "c",
                offset: 6,
                needed: 2,
                available: 1
            })
        );
        assert!(slice(&[0; 4], 3, 2, "x").is_err());
        assert!(slice(&[0; 4], usize::MAX, 2, "x").is_err());
        assert_eq!(optional_slice(&[0; 4], 99, 0, "x").unwrap(), &[] as &[u8]);
    }
}
