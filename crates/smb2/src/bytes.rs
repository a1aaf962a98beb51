//! The one bounds-checked little-endian reader for received bytes, and the one UTF-16LE
//! encoder and decoder, used by every codec in the crate (SMB2 messages, DCE/RPC PDUs, NDR
//! stubs, NTLM and SPNEGO tokens, transform headers).
//!
//! Every read checks the bytes that remain and fails with a [`ReadError`] naming the field,
//! so a hostile peer cannot make a decoder panic or read past the end. Each codec converts
//! [`ReadError`] into its own error type.

/// Why a read from received bytes failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The bytes ended before a field did.
    #[error("truncated: {field} at offset {offset} needs {needed} bytes, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// An offset/length pair points outside the message.
    #[error("{field}: offset {offset} and length {length} fall outside the {total}-byte message")]
    OutOfBounds {
        /// The buffer described.
        field: &'static str,
        /// The offset read.
        offset: usize,
        /// The length read.
        length: usize,
        /// The message length.
        total: usize,
    },
}

/// A UTF-16LE field has an odd length or an unpaired surrogate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: not valid UTF-16")]
pub struct BadUtf16 {
    /// The field.
    pub field: &'static str,
}

/// Reads little-endian fields from a byte slice, failing with the field's name and offset
/// instead of panicking when the bytes run out. Offsets (in errors, [`Reader::offset`] and
/// [`Reader::align`]) are relative to the start of the slice it was made with.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, offset: 0 }
    }

    /// A reader at `offset` into `bytes` (offsets in errors are relative to `bytes`).
    pub fn at(bytes: &'a [u8], offset: usize) -> Reader<'a> {
        Reader { bytes, offset }
    }

    /// The current offset.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The whole slice the reader reads, from its start (buffers are located by offsets
    /// from there).
    pub fn message(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes from the start up to the current offset.
    pub fn consumed(&self) -> &'a [u8] {
        self.bytes.get(..self.offset).unwrap_or(self.bytes)
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.offset)
    }

    /// Takes the next `count` bytes.
    pub fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], ReadError> {
        let truncated = ReadError::Truncated {
            field,
            offset: self.offset,
            needed: count,
            available: self.remaining(),
        };
        let end = self.offset.checked_add(count).ok_or(truncated)?;
        let taken = self.bytes.get(self.offset..end).ok_or(truncated)?;
        self.offset = end;
        Ok(taken)
    }

    /// Takes every byte that remains.
    pub fn rest(&mut self, field: &'static str) -> Result<&'a [u8], ReadError> {
        self.take(self.remaining(), field)
    }

    /// Skips `count` bytes.
    pub fn skip(&mut self, count: usize, field: &'static str) -> Result<(), ReadError> {
        self.take(count, field).map(|_| ())
    }

    /// Skips padding up to a multiple of `alignment` bytes from the start of the bytes (NDR
    /// aligns relative to the start of the stub; an alignment of 0 counts as 1).
    pub fn align(&mut self, alignment: usize, field: &'static str) -> Result<(), ReadError> {
        let alignment = alignment.max(1);
        let pad = (alignment - self.offset % alignment) % alignment;
        self.skip(pad, field)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ReadError> {
        let bytes = self.take(N, field)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    /// Reads a byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, ReadError> {
        let [byte] = self.array(field)?;
        Ok(byte)
    }

    /// Reads a little-endian u16.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, ReadError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian u32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, ReadError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// Reads a little-endian u64.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, ReadError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
}

/// The `length` bytes at `offset` of `message` (SMB2, NTLM and other buffers are located by an
/// offset from the start of their message), or an error naming `field`.
pub fn slice<'a>(
    message: &'a [u8],
    offset: usize,
    length: usize,
    field: &'static str,
) -> Result<&'a [u8], ReadError> {
    offset
        .checked_add(length)
        .and_then(|end| message.get(offset..end))
        .ok_or(ReadError::OutOfBounds {
            field,
            offset,
            length,
            total: message.len(),
        })
}

/// A buffer given by an offset/length pair where a zero length may come with any offset.
pub fn optional_slice<'a>(
    message: &'a [u8],
    offset: usize,
    length: usize,
    field: &'static str,
) -> Result<&'a [u8], ReadError> {
    if length == 0 {
        Ok(&[])
    } else {
        slice(message, offset, length, field)
    }
}

/// Reads a little-endian u16 at `offset` of `message`, or an error naming `field`.
pub fn u16_at(message: &[u8], offset: usize, field: &'static str) -> Result<u16, ReadError> {
    Reader::at(message, offset).u16(field)
}

/// Reads a little-endian u32 at `offset` of `message`, or an error naming `field`.
pub fn u32_at(message: &[u8], offset: usize, field: &'static str) -> Result<u32, ReadError> {
    Reader::at(message, offset).u32(field)
}

/// Encodes `text` as UTF-16LE, as SMB2, NTLM and NDR strings are.
pub fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The UTF-16 code units of UTF-16LE bytes; a trailing odd byte is ignored.
pub fn utf16le_units(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
}

/// Decodes UTF-16LE bytes; `field` names the field in the error (an odd length or an unpaired
/// surrogate).
pub fn from_utf16le(bytes: &[u8], field: &'static str) -> Result<String, BadUtf16> {
    if !bytes.len().is_multiple_of(2) {
        return Err(BadUtf16 { field });
    }
    char::decode_utf16(utf16le_units(bytes))
        .collect::<Result<String, _>>()
        .map_err(|_| BadUtf16 { field })
}

/// Decodes UTF-16LE bytes, replacing unpaired surrogates (and a trailing odd byte is ignored).
pub fn from_utf16le_lossy(bytes: &[u8]) -> String {
    char::decode_utf16(utf16le_units(bytes))
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_reports_truncation() {
        let mut reader = Reader::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(reader.u16("a").unwrap(), 1);
        assert_eq!(reader.u32("b").unwrap(), 2);
        assert_eq!(
            reader.u16("c"),
            Err(ReadError::Truncated {
                field: "c",
                offset: 6,
                needed: 2,
                available: 1
            })
        );
        assert_eq!(reader.remaining(), 1);
        assert!(slice(&[0; 4], 3, 2, "x").is_err());
        assert!(slice(&[0; 4], usize::MAX, 2, "x").is_err());
        assert_eq!(optional_slice(&[0; 4], 99, 0, "x").unwrap(), &[] as &[u8]);
        assert!(Reader::at(&[0; 4], usize::MAX).take(2, "x").is_err());
        assert!(Reader::at(&[0; 4], 9).skip(0, "x").is_err());
    }

    #[test]
    fn aligns_from_the_start() {
        let mut reader = Reader::new(&[0; 9]);
        reader.u8("a").unwrap();
        reader.align(4, "pad").unwrap();
        assert_eq!(reader.offset(), 4);
        reader.align(4, "pad").unwrap();
        assert_eq!(reader.offset(), 4);
        reader.u8("b").unwrap();
        assert!(reader.align(8, "pad").is_ok());
        assert_eq!(reader.offset(), 8);
        reader.u8("c").unwrap();
        assert!(reader.align(2, "pad").is_err());
    }

    #[test]
    fn utf16_round_trip_and_errors() {
        let bytes = utf16le("\\\\srv\\Share ü");
        assert_eq!(from_utf16le(&bytes, "t").unwrap(), "\\\\srv\\Share ü");
        assert_eq!(from_utf16le(&[0x41], "t"), Err(BadUtf16 { field: "t" }));
        assert_eq!(
            from_utf16le(&[0x00, 0xD8], "t"),
            Err(BadUtf16 { field: "t" })
        );
        assert_eq!(from_utf16le_lossy(&[0x41, 0, 0x00, 0xD8]), "A\u{FFFD}");
    }
}
