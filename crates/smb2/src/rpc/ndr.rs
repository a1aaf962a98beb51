//! A small NDR 2.0 (C706 chapter 14) writer and reader for little-endian stub data.
//!
//! Only what srvsvc needs: aligned integers, pointer referent ids (unique and embedded ref
//! pointers are both a 4-byte referent id on the wire; 0 is NULL), and `[string] wchar_t*`
//! conformant varying strings of UTF-16 with their NUL terminator. Alignment is relative to the
//! start of the stub, which is what NDR requires when the stub starts at an 8-byte boundary of
//! the PDU body (it always does in connection-oriented requests and responses).
//!
//! The reader checks every length against the bytes that remain before reading or allocating,
//! so hostile counts fail with [`NdrError`] instead of allocating or panicking.

use crate::bytes::{ReadError, Reader, from_utf16le, utf16le, utf16le_units};

/// Malformed NDR stub data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NdrError {
    /// The data ended before a value could be read.
    #[error("NDR data truncated at offset {offset}: {needed} more bytes needed")]
    Truncated {
        /// Offset of the value in the stub.
        offset: usize,
        /// Bytes the value needs.
        needed: usize,
    },
    /// A conformant or varying count exceeds the bytes that remain.
    #[error("NDR count {count} at offset {offset} exceeds the remaining data")]
    CountTooLarge {
        /// Offset of the count in the stub.
        offset: usize,
        /// The count.
        count: u32,
    },
    /// A conformant varying string whose offset and actual count do not fit its maximum count.
    #[error(
        "NDR varying string at offset {offset} is inconsistent (max {max}, offset {first}, actual {actual})"
    )]
    InconsistentString {
        /// Offset of the string in the stub.
        offset: usize,
        /// Maximum count.
        max: u32,
        /// Offset (first transmitted element).
        first: u32,
        /// Actual count.
        actual: u32,
    },
    /// A string that is not valid UTF-16.
    #[error("NDR string at offset {offset} is not valid UTF-16")]
    InvalidUtf16 {
        /// Offset of the string in the stub.
        offset: usize,
    },
    /// A value that violates the operation's IDL (a wrong union arm, a size mismatch).
    #[error("NDR value at offset {offset}: {what}")]
    Invalid {
        /// Offset of the value in the stub.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
}

/// The first referent id [`NdrWriter`] hands out; later ones step by 4 (as Samba and Windows
/// number them).
pub const FIRST_REFERENT_ID: u32 = 0x0002_0000;

/// Builds NDR 2.0 little-endian stub data.
#[derive(Debug, Clone)]
pub struct NdrWriter {
    buf: Vec<u8>,
    next_referent: u32,
}

impl Default for NdrWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl NdrWriter {
    /// An empty stub whose referent ids start at [`FIRST_REFERENT_ID`].
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            next_referent: FIRST_REFERENT_ID,
        }
    }

    /// Pads with zeros to a multiple of `n` bytes (1, 2, 4 or 8) from the start of the stub.
    pub fn align(&mut self, n: usize) {
        let n = n.max(1);
        while !self.buf.len().is_multiple_of(n) {
            self.buf.push(0);
        }
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Aligns to 2 and appends a little-endian `u16`.
    pub fn u16(&mut self, v: u16) {
        self.align(2);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Aligns to 4 and appends a little-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Aligns to 8 and appends a little-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.align(8);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends a non-NULL pointer (unique, or embedded ref): a fresh referent id. The
    /// pointee follows later, where NDR defers it.
    pub fn referent(&mut self) -> u32 {
        let id = self.next_referent;
        self.next_referent = self.next_referent.wrapping_add(4);
        self.u32(id);
        id
    }

    /// Appends a NULL unique pointer.
    pub fn null_pointer(&mut self) {
        self.u32(0);
    }

    /// Appends a unique pointer: a referent id when `present`, else NULL. Returns `present`.
    pub fn unique_pointer(&mut self, present: bool) -> bool {
        if present {
            self.referent();
        } else {
            self.null_pointer();
        }
        present
    }

    /// Appends the pointee of a `[string] wchar_t*`: maximum count, offset 0, actual count
    /// (both counts include the NUL terminator), then the UTF-16LE code units and the NUL.
    pub fn wide_string(&mut self, s: &str) {
        let text = utf16le(s);
        // Code units, with the NUL terminator.
        let count = u32::try_from(text.len() / 2 + 1).unwrap_or(u32::MAX);
        self.u32(count);
        self.u32(0);
        self.u32(count);
        self.buf.extend_from_slice(&text);
        self.buf.extend_from_slice(&[0, 0]);
    }

    /// Appends raw bytes (already NDR-encoded).
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// The stub so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The finished stub.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads NDR 2.0 little-endian stub data, checking every access against the end: the NDR
/// layer (alignment of integers, pointers, conformant counts, strings) over
/// [`crate::bytes::Reader`].
#[derive(Debug, Clone)]
pub struct NdrReader<'a> {
    reader: Reader<'a>,
}

impl From<ReadError> for NdrError {
    fn from(error: ReadError) -> NdrError {
        match error {
            ReadError::Truncated { offset, needed, .. } => NdrError::Truncated { offset, needed },
            ReadError::OutOfBounds { offset, length, .. } => NdrError::Truncated {
                offset,
                needed: length,
            },
        }
    }
}

impl<'a> NdrReader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            reader: Reader::new(data),
        }
    }

    /// The current offset from the start of the stub.
    pub fn position(&self) -> usize {
        self.reader.offset()
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.reader.remaining()
    }

    /// Skips padding up to a multiple of `n` bytes (1, 2, 4 or 8) from the start of the stub.
    pub fn align(&mut self, n: usize) -> Result<(), NdrError> {
        Ok(self.reader.align(n, "NDR alignment padding")?)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, NdrError> {
        Ok(self.reader.u8("NDR byte")?)
    }

    /// Aligns to 2 and reads a little-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, NdrError> {
        self.align(2)?;
        Ok(self.reader.u16("NDR short")?)
    }

    /// Aligns to 4 and reads a little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, NdrError> {
        self.align(4)?;
        Ok(self.reader.u32("NDR long")?)
    }

    /// Aligns to 8 and reads a little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, NdrError> {
        self.align(8)?;
        Ok(self.reader.u64("NDR hyper")?)
    }

    /// Reads a pointer's referent id: `None` for NULL.
    pub fn pointer(&mut self) -> Result<Option<u32>, NdrError> {
        Ok(Some(self.u32()?).filter(|&id| id != 0))
    }

    /// Reads the maximum count of a conformant array of elements at least `min_element_size`
    /// bytes long, and checks that so many elements can fit in the bytes that remain, so a
    /// caller may allocate `count` elements.
    pub fn conformant_count(&mut self, min_element_size: usize) -> Result<u32, NdrError> {
        let offset = self.position();
        let count = self.u32()?;
        self.check_fits(offset, count, min_element_size)?;
        Ok(count)
    }

    fn check_fits(&self, offset: usize, count: u32, element_size: usize) -> Result<(), NdrError> {
        let fits = usize::try_from(count)
            .ok()
            .and_then(|c| c.checked_mul(element_size))
            .is_some_and(|bytes| bytes <= self.remaining());
        if fits {
            Ok(())
        } else {
            Err(NdrError::CountTooLarge { offset, count })
        }
    }

    /// Reads the pointee of a `[string] wchar_t*`: maximum count, offset, actual count and the
    /// UTF-16LE code units, returning the text up to (not including) the first NUL. A string
    /// without a terminator is accepted as it is.
    pub fn wide_string(&mut self) -> Result<String, NdrError> {
        let offset = self.position();
        let max = self.u32()?;
        let first = self.u32()?;
        let actual_offset = self.position();
        let actual = self.u32()?;
        let consistent = u64::from(first) + u64::from(actual) <= u64::from(max);
        if !consistent {
            return Err(NdrError::InconsistentString {
                offset,
                max,
                first,
                actual,
            });
        }
        self.check_fits(actual_offset, actual, 2)?;
        // check_fits guarantees actual * 2 <= remaining, so this cannot overflow.
        let bytes = self.reader.take(actual as usize * 2, "NDR string")?;
        // The text ends at the first NUL, if there is one.
        let text = utf16le_units(bytes)
            .position(|unit| unit == 0)
            .and_then(|nul| bytes.get(..nul * 2))
            .unwrap_or(bytes);
        from_utf16le(text, "NDR string").map_err(|_| NdrError::InvalidUtf16 { offset })
    }

    /// An [`NdrError::Invalid`] at the current offset.
    pub fn invalid(&self, what: &'static str) -> NdrError {
        NdrError::Invalid {
            offset: self.position(),
            what,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_align_from_stub_start() {
        let mut w = NdrWriter::new();
        w.u8(1);
        w.u16(0x0203);
        w.u8(4);
        w.u32(0x0506_0708);
        w.u64(0x1122_3344_5566_7788);
        assert_eq!(
            w.as_bytes(),
            [
                1, 0, 3, 2, 4, 0, 0, 0, 8, 7, 6, 5, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
                0x22, 0x11
            ]
        );
        let bytes = w.into_bytes();
        let mut r = NdrReader::new(&bytes);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u8(), Ok(4));
        assert_eq!(r.u32(), Ok(0x0506_0708));
        assert_eq!(r.u64(), Ok(0x1122_3344_5566_7788));
        assert_eq!(r.remaining(), 0);
        assert!(matches!(
            r.u8(),
            Err(NdrError::Truncated { offset: 24, .. })
        ));
    }

    #[test]
    fn referents_count_up_by_four() {
        let mut w = NdrWriter::new();
        assert_eq!(w.referent(), 0x0002_0000);
        w.null_pointer();
        assert!(w.unique_pointer(true));
        let bytes = w.into_bytes();
        let mut r = NdrReader::new(&bytes);
        assert_eq!(r.pointer(), Ok(Some(0x0002_0000)));
        assert_eq!(r.pointer(), Ok(None));
        assert_eq!(r.pointer(), Ok(Some(0x0002_0004)));
    }

    #[test]
    fn wide_string_round_trip_and_layout() {
        let mut w = NdrWriter::new();
        w.wide_string("a\u{e9}");
        assert_eq!(
            w.as_bytes(),
            [3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, b'a', 0, 0xe9, 0, 0, 0]
        );
        w.wide_string("");
        w.wide_string("\u{1f600}x");
        let bytes = w.into_bytes();
        let mut r = NdrReader::new(&bytes);
        assert_eq!(r.wide_string().as_deref(), Ok("a\u{e9}"));
        assert_eq!(r.wide_string().as_deref(), Ok(""));
        assert_eq!(r.wide_string().as_deref(), Ok("\u{1f600}x"));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn hostile_counts_fail_before_allocating() {
        let mut w = NdrWriter::new();
        w.u32(u32::MAX);
        w.u32(0);
        w.u32(u32::MAX);
        let bytes = w.into_bytes();
        assert!(matches!(
            NdrReader::new(&bytes).wide_string(),
            Err(NdrError::CountTooLarge { offset: 8, .. })
        ));
        assert!(matches!(
            NdrReader::new(&bytes).conformant_count(12),
            Err(NdrError::CountTooLarge { offset: 0, .. })
        ));

        let mut w = NdrWriter::new();
        w.u32(2);
        w.u32(1);
        w.u32(2);
        w.bytes(&[0; 4]);
        let bytes = w.into_bytes();
        assert!(matches!(
            NdrReader::new(&bytes).wide_string(),
            Err(NdrError::InconsistentString { .. })
        ));
    }

    #[test]
    fn unpaired_surrogate_is_an_error() {
        let mut w = NdrWriter::new();
        w.u32(2);
        w.u32(0);
        w.u32(2);
        w.bytes(&[0x00, 0xd8, 0, 0]);
        let bytes = w.into_bytes();
        assert_eq!(
            NdrReader::new(&bytes).wide_string(),
            Err(NdrError::InvalidUtf16 { offset: 0 })
        );
    }
}
