//! A byte buffer for the agent protocol's lines, which may carry a password: every byte it
//! ever held is overwritten before its memory goes back to the allocator.
//!
//! A `Vec<u8>` that grows leaves the old allocation's bytes behind in freed memory, and a
//! `BufReader` keeps the bytes it read in a buffer of its own; neither is ever zeroed. This
//! buffer grows by copying into a new allocation and zeroing the old one, zeroes what is
//! consumed, and is read into directly (no intermediate buffer) by the client and the agent.

use std::fmt;
use std::io;

use zeroize::Zeroize as _;

/// A growable byte buffer that zeroes what it no longer holds (see the module docs).
///
/// Its storage is always fully initialized: bytes past [`filled`](SecretBuffer::filled) are
/// zero.
pub struct SecretBuffer {
    storage: Vec<u8>,
    filled: usize,
    limit: usize,
}

impl SecretBuffer {
    /// An empty buffer with `initial` bytes of storage that never grows past `limit` bytes.
    pub fn new(initial: usize, limit: usize) -> SecretBuffer {
        SecretBuffer {
            storage: vec![0; initial.min(limit)],
            filled: 0,
            limit,
        }
    }

    /// The bytes held.
    pub fn filled(&self) -> &[u8] {
        &self.storage[..self.filled]
    }

    /// Whether the buffer holds no byte.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Room to read into after the bytes held, grown first if there is none; empty when the
    /// buffer holds its limit. Call [`advance`](SecretBuffer::advance) with what was read.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        if self.filled == self.storage.len() {
            self.grow(self.filled.saturating_add(1));
        }
        &mut self.storage[self.filled..]
    }

    /// Counts `read` bytes written into [`spare_mut`](SecretBuffer::spare_mut) as held.
    pub fn advance(&mut self, read: usize) {
        self.filled = self.filled.saturating_add(read).min(self.storage.len());
    }

    /// The length of the first line held, its `\n` included, if a whole line is held; its end
    /// is looked for from `searched` on (the bytes before were searched already, so that a
    /// line read in many small pieces costs no more than one read whole).
    pub fn line_len(&self, searched: usize) -> Option<usize> {
        self.filled()
            .get(searched..)?
            .iter()
            .position(|byte| *byte == b'\n')
            .map(|index| searched + index + 1)
    }

    /// Whether the buffer holds `limit` bytes and can take no more.
    pub fn is_full(&self) -> bool {
        self.filled >= self.limit
    }

    /// Drops the first `count` bytes held, moving the rest to the front and zeroing the
    /// bytes behind them.
    pub fn consume(&mut self, count: usize) {
        let count = count.min(self.filled);
        self.storage.copy_within(count..self.filled, 0);
        let remaining = self.filled - count;
        self.storage[remaining..self.filled].zeroize();
        self.filled = remaining;
    }

    /// Zeroes every byte held.
    pub fn clear(&mut self) {
        self.consume(self.filled);
    }

    /// Whether every byte of the storage is zero: nothing the buffer held is left in it.
    pub fn is_zeroed(&self) -> bool {
        self.storage.iter().all(|byte| *byte == 0)
    }

    /// Grows the storage to at least `needed` bytes (at most the limit) by moving into a new
    /// allocation and zeroing the old one.
    fn grow(&mut self, needed: usize) {
        let size = needed
            .max(self.storage.len().saturating_mul(2))
            .max(64)
            .min(self.limit);
        if size <= self.storage.len() {
            return;
        }
        let mut storage = vec![0; size];
        storage[..self.filled].copy_from_slice(&self.storage[..self.filled]);
        self.storage.zeroize();
        self.storage = storage;
    }
}

impl io::Write for SecretBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let needed = self.filled.saturating_add(bytes.len());
        if needed > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "the line is longer than the buffer's limit",
            ));
        }
        if needed > self.storage.len() {
            self.grow(needed);
        }
        self.storage[self.filled..needed].copy_from_slice(bytes);
        self.filled = needed;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SecretBuffer {
    fn drop(&mut self) {
        self.storage.zeroize();
    }
}

impl fmt::Debug for SecretBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBuffer")
            .field("filled", &self.filled)
            .field("capacity", &self.storage.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::SecretBuffer;

    #[test]
    fn growing_and_consuming_leave_no_byte_behind() {
        let mut buffer = SecretBuffer::new(8, 1 << 10);
        buffer
            .write_all(b"{\"password\":\"hunter2\"}\nnext")
            .unwrap();
        assert_eq!(buffer.line_len(0), Some(23));
        assert_eq!(buffer.line_len(20), Some(23));
        buffer.consume(23);
        assert_eq!(buffer.filled(), b"next");
        // The storage, grown twice on the way, holds "next" and zeros: nothing of the line.
        assert!(buffer.storage.len() >= 27);
        assert!(buffer.storage[4..].iter().all(|byte| *byte == 0));
        assert!(!format!("{buffer:?}").contains("next"));
        buffer.clear();
        assert!(buffer.is_zeroed());
        assert!(buffer.is_empty());
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let mut buffer = SecretBuffer::new(4, 6);
        let spare = buffer.spare_mut();
        assert_eq!(spare.len(), 4);
        spare.copy_from_slice(b"abcd");
        buffer.advance(4);
        assert_eq!(buffer.spare_mut().len(), 2);
        buffer.advance(2);
        assert!(buffer.is_full());
        assert!(buffer.spare_mut().is_empty());
        assert!(buffer.write_all(b"x").is_err());
        assert_eq!(buffer.line_len(0), None);
        assert_eq!(buffer.line_len(7), None);
    }
}
