//! Open files: the SMB handle behind a FUSE file handle, its read-ahead, and the file's
//! shared state ([`FileState`]: held-back writes and size, one per file whatever the number
//! of descriptors).
//!
//! Reads of a file read from start to end are served ahead: once the reads are sequential,
//! the handle keeps up to [`READ_AHEAD_CHUNKS`] 1 MiB READs under way beyond the last one,
//! so the kernel's requests are answered from memory instead of one round trip each. A read
//! elsewhere, or a write to the file, drops what was read ahead. The end of the file, as a
//! READ found it, is trusted only for [`END_OF_FILE_KEPT`]: the file may grow on the server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fuser::{Errno, ReplyWrite};
use tokio::sync::watch;
use wnet_smb2::client::{OpenFile, ReadBuffer};

use crate::errno::errno;
use crate::files::{FileState, WriteFailure};
use crate::reopen::FileCell;

/// The size of the READs a sequential reader is served ahead with.
pub const READ_AHEAD_CHUNK: u32 = 1 << 20;
/// How many of them may be under way beyond the reader.
pub const READ_AHEAD_CHUNKS: u64 = 8;

/// How long a READ that found the end of the file answers reads at that end: long enough for
/// the read that follows at once (every reader reads until it gets nothing), short enough
/// that one that comes back later (`tail -f`) finds what was appended on the server since.
pub const END_OF_FILE_KEPT: Duration = Duration::from_millis(100);

/// A READ read ahead: under way (`None`), or its data and when it came.
type ChunkResult = Option<Result<(Arc<ReadBuffer>, Instant), Errno>>;

/// The answer to a read: one piece of a READ's buffer, uncopied, or bytes gathered from
/// several.
#[derive(Debug)]
pub enum ReadData {
    /// `range` of one READ's data.
    Shared(Arc<ReadBuffer>, std::ops::Range<usize>),
    /// Gathered bytes.
    Owned(Vec<u8>),
}

impl ReadData {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            ReadData::Shared(buffer, range) => &buffer[range.clone()],
            ReadData::Owned(bytes) => bytes,
        }
    }
}

/// What was read ahead for one handle.
#[derive(Default)]
struct ReadAhead {
    /// Where the next sequential read starts.
    next: u64,
    /// How many reads in a row were sequential.
    streak: u64,
    /// Chunk index → its READ (done or under way).
    chunks: BTreeMap<u64, watch::Receiver<ChunkResult>>,
}

/// An open file of the mount.
pub struct Handle {
    /// The inode it was opened on.
    pub ino: u64,
    /// The SMB handle (reopened on a new connection after a reconnection).
    pub cell: Arc<FileCell>,
    /// The file as every descriptor on it sees it.
    pub state: Arc<FileState>,
    writable: bool,
    /// The first failure of this descriptor's writes.
    failure: Arc<WriteFailure>,
    read_ahead: Mutex<ReadAhead>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("ino", &self.ino)
            .field("file", &self.cell.file().id())
            .field("writable", &self.writable)
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// A descriptor of the file `state`, open through `cell`, for writing when `writable`.
    pub fn new(ino: u64, cell: Arc<FileCell>, state: Arc<FileState>, writable: bool) -> Handle {
        Handle {
            ino,
            cell,
            state,
            writable,
            failure: Arc::default(),
            read_ahead: Mutex::new(ReadAhead::default()),
        }
    }

    /// The SMB handle as it is open now.
    pub fn file(&self) -> OpenFile {
        self.cell.file()
    }

    /// Whether the file was opened for writing through this handle.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// Drops what was read ahead (the file changed).
    pub fn forget_read_ahead(&self) {
        let mut read_ahead = self
            .read_ahead
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        read_ahead.chunks.clear();
        read_ahead.streak = 0;
    }

    /// Drops the chunks read ahead from chunk `index` on.
    fn forget_read_ahead_from(&self, index: u64) {
        self.read_ahead
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .chunks
            .retain(|&kept, _| kept < index);
    }

    /// Reads `size` bytes at `offset`: from what was read ahead when the reads are
    /// sequential (starting more READs ahead), else with READs of at most `max_read` sent
    /// together. Shorter at the end of the file. What was read ahead more than `trust` ago
    /// is read again (the file may have changed on the server since).
    pub async fn read(
        &self,
        offset: u64,
        size: u32,
        max_read: u32,
        trust: Duration,
    ) -> Result<ReadData, Errno> {
        if size == 0 {
            return Ok(ReadData::Owned(Vec::new()));
        }
        let chunk = u64::from(READ_AHEAD_CHUNK.min(max_read.max(4096)));
        let end = offset + u64::from(size);
        let wanted = {
            let mut read_ahead = self
                .read_ahead
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let first = offset / chunk;
            let sequential = offset == read_ahead.next || read_ahead.chunks.contains_key(&first);
            read_ahead.next = end;
            if sequential {
                read_ahead.streak += 1;
                let last = (end - 1) / chunk;
                let ahead = read_ahead.streak.min(READ_AHEAD_CHUNKS);
                read_ahead.chunks.retain(|&index, _| index >= first);
                for index in first..=last + ahead {
                    read_ahead
                        .chunks
                        .entry(index)
                        .or_insert_with(|| self.start_chunk(index * chunk, chunk as u32));
                }
                Some(
                    (first..=last)
                        .filter_map(|index| {
                            read_ahead.chunks.get(&index).map(|rx| (index, rx.clone()))
                        })
                        .collect::<Vec<_>>(),
                )
            } else {
                read_ahead.chunks.clear();
                read_ahead.streak = 0;
                None
            }
        };
        let Some(wanted) = wanted else {
            return read_direct(&self.cell, offset, size, max_read)
                .await
                .map(ReadData::Owned);
        };
        let single = wanted.len() == 1;
        let mut data = Vec::new();
        for (index, mut receiver) in wanted {
            let (bytes, read_at) = match receiver.wait_for(Option::is_some).await {
                Ok(result) => match result.as_ref() {
                    Some(Ok((bytes, read_at))) => (Arc::clone(bytes), *read_at),
                    Some(Err(errno)) => return Err(*errno),
                    None => return Err(Errno::EIO),
                },
                Err(_) => return Err(Errno::EIO),
            };
            let short = (bytes.len() as u64) < chunk;
            let age = read_at.elapsed();
            if (short && age > END_OF_FILE_KEPT) || age > trust {
                // An end of the file found a while ago, or data read before the file may have
                // changed: read again (and ahead, from the next read on) from the server.
                self.forget_read_ahead_from(index);
                return read_direct(&self.cell, offset, size, max_read)
                    .await
                    .map(ReadData::Owned);
            }
            let chunk_start = index * chunk;
            let from = (offset.max(chunk_start) - chunk_start).min(bytes.len() as u64) as usize;
            let to = (end.min(chunk_start + chunk) - chunk_start).min(bytes.len() as u64) as usize;
            if single {
                return Ok(ReadData::Shared(bytes, from..to.max(from)));
            }
            if from < to {
                data.extend_from_slice(&bytes[from..to]);
            }
            if short {
                break; // the end of the file
            }
        }
        Ok(ReadData::Owned(data))
    }

    fn start_chunk(&self, offset: u64, length: u32) -> watch::Receiver<ChunkResult> {
        let (sender, receiver) = watch::channel(None);
        let cell = Arc::clone(&self.cell);
        tokio::spawn(async move {
            let result = cell
                .run(|file| async move { file.read_buffer_at(offset, length).await })
                .await
                .map(|buffer| (Arc::new(buffer), Instant::now()))
                .map_err(|error| errno(&error));
            let _ = sender.send(Some(result));
        });
        receiver
    }

    /// Queues a write in the file's queue (called in the order the kernel sent them); the
    /// reply follows when it is queued, or written with write-through.
    pub fn write(&self, offset: u64, data: &[u8], reply: ReplyWrite) {
        if !self.writable {
            reply.error(Errno::EBADF);
            return;
        }
        self.state
            .write(&self.cell, &self.failure, offset, data, reply);
    }

    /// Waits for every write queued before it, through any descriptor of the file, and
    /// returns the first failure of this descriptor's writes (it stays: every later barrier
    /// returns it too).
    pub async fn barrier(&self) -> Result<(), Errno> {
        self.state.barrier(Some(&self.failure)).await
    }
}

/// Reads `size` bytes at `offset` in READs of at most `max_read`, all in flight at once.
async fn read_direct(
    cell: &Arc<FileCell>,
    offset: u64,
    size: u32,
    max_read: u32,
) -> Result<Vec<u8>, Errno> {
    let max_read = max_read.clamp(4096, 8 << 20);
    if size <= max_read {
        return cell
            .run(|file| async move { file.read_at(offset, size).await })
            .await
            .map_err(|error| errno(&error));
    }
    let mut parts = Vec::new();
    let mut start = 0u32;
    while start < size {
        let length = max_read.min(size - start);
        let cell = Arc::clone(cell);
        let at = offset + u64::from(start);
        parts.push(tokio::spawn(async move {
            cell.run(|file| async move { file.read_at(at, length).await })
                .await
        }));
        start += length;
    }
    let mut data = Vec::with_capacity(size as usize);
    for part in parts {
        let part = part
            .await
            .map_err(|_| Errno::EIO)?
            .map_err(|error| errno(&error))?;
        let short = (part.len() as u32) < max_read;
        data.extend_from_slice(&part);
        if short {
            break; // the end of the file
        }
    }
    Ok(data)
}
