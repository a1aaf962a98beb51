//! Open files: the SMB handle behind a FUSE file handle and, for a file opened for writing,
//! its write-behind task.
//!
//! Writes are answered as soon as they are buffered: contiguous writes gather into chunks
//! (1 MiB), each sent as one multi-credit WRITE while up to [`WRITES_IN_FLIGHT`] others are
//! under way. The first failure sticks: later writes fail with it, and `flush` (every
//! `close`), `fsync` and a read or stat of the file wait for the writes before them and report
//! it, so a failed copy never ends in a successful `close`. With write-through (the
//! connection's CONNECT_WRITE_THROUGH_SEMANTICS), each write is sent at once with
//! SMB2_WRITEFLAG_WRITE_THROUGH and answered when the server has written it.
//!
//! Reads of a file read from start to end are served ahead: once the reads are sequential,
//! the handle keeps up to [`READ_AHEAD_CHUNKS`] 1 MiB READs under way beyond the last one,
//! so the kernel's requests are answered from memory instead of one round trip each. A read
//! elsewhere, or a write to the file, drops what was read ahead. The end of the file, as a
//! READ found it, is trusted only for [`END_OF_FILE_KEPT`]: the file may grow on the server.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use fuser::{Errno, ReplyWrite};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use wnet_smb2::client::{OpenFile, ReadBuffer};

use crate::errno::errno;

/// How many WRITEs of one file may be under way at once.
pub const WRITES_IN_FLIGHT: u32 = 8;
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

/// How writes of one handle are sent.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// The size writes are gathered to before they are sent.
    pub chunk: usize,
    /// Send each write through to stable storage, unbuffered.
    pub write_through: bool,
}

enum WriteCommand {
    Write {
        offset: u64,
        data: Vec<u8>,
        reply: ReplyWrite,
    },
    /// Send what is buffered, wait for every write under way, report the first failure.
    Barrier {
        done: oneshot::Sender<Result<(), Errno>>,
    },
}

/// An open file of the mount.
pub struct Handle {
    /// The inode it was opened on.
    pub ino: u64,
    /// The SMB handle.
    pub file: OpenFile,
    writer: Option<mpsc::UnboundedSender<WriteCommand>>,
    /// Writes were sent since the last barrier.
    dirty: AtomicBool,
    read_ahead: Mutex<ReadAhead>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("ino", &self.ino)
            .field("file", &self.file.id())
            .field("writable", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// A handle for reading only.
    pub fn reader(ino: u64, file: OpenFile) -> Handle {
        Handle {
            ino,
            file,
            writer: None,
            dirty: AtomicBool::new(false),
            read_ahead: Mutex::new(ReadAhead::default()),
        }
    }

    /// A handle that may write, with its write-behind task on `runtime`; `aborted` fails
    /// everything once the mount is forced away.
    pub fn writer(
        ino: u64,
        file: OpenFile,
        options: WriteOptions,
        runtime: &tokio::runtime::Handle,
        aborted: watch::Receiver<bool>,
    ) -> Handle {
        let (commands, queue) = mpsc::unbounded_channel();
        runtime.spawn(write_loop(file.clone(), queue, options, aborted));
        Handle {
            ino,
            file,
            writer: Some(commands),
            dirty: AtomicBool::new(false),
            read_ahead: Mutex::new(ReadAhead::default()),
        }
    }

    /// Whether the file was opened for writing through this handle.
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// Whether writes may be buffered in this handle.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
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
    /// together. Shorter at the end of the file.
    pub async fn read(&self, offset: u64, size: u32, max_read: u32) -> Result<ReadData, Errno> {
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
            return read_direct(&self.file, offset, size, max_read)
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
            if short && read_at.elapsed() > END_OF_FILE_KEPT {
                // An end of the file found a while ago: read again (and ahead, from the next
                // read on) from the server.
                self.forget_read_ahead_from(index);
                return read_direct(&self.file, offset, size, max_read)
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
        let file = self.file.clone();
        tokio::spawn(async move {
            let result = file
                .read_buffer_at(offset, length)
                .await
                .map(|buffer| (Arc::new(buffer), Instant::now()))
                .map_err(|error| errno(&error));
            let _ = sender.send(Some(result));
        });
        receiver
    }

    /// Queues a write (called in the order the kernel sent them); the reply follows when it
    /// is buffered, or written with write-through.
    pub fn write(&self, offset: u64, data: &[u8], reply: ReplyWrite) {
        let Some(writer) = &self.writer else {
            reply.error(Errno::EBADF);
            return;
        };
        self.dirty.store(true, Ordering::Release);
        self.forget_read_ahead();
        let command = WriteCommand::Write {
            offset,
            data: data.to_vec(),
            reply,
        };
        if let Err(mpsc::error::SendError(WriteCommand::Write { reply, .. })) = writer.send(command)
        {
            reply.error(Errno::EIO);
        }
    }

    /// Waits for every write queued before it and returns the first failure of this handle's
    /// writes (it stays: every later barrier returns it too).
    pub async fn barrier(&self) -> Result<(), Errno> {
        let Some(writer) = &self.writer else {
            return Ok(());
        };
        let (done, result) = oneshot::channel();
        writer
            .send(WriteCommand::Barrier { done })
            .map_err(|_| Errno::EIO)?;
        let outcome = result.await.unwrap_or(Err(Errno::EIO));
        self.dirty.store(false, Ordering::Release);
        outcome
    }
}

/// Reads `size` bytes at `offset` in READs of at most `max_read`, all in flight at once.
async fn read_direct(
    file: &OpenFile,
    offset: u64,
    size: u32,
    max_read: u32,
) -> Result<Vec<u8>, Errno> {
    let max_read = max_read.clamp(4096, 8 << 20);
    if size <= max_read {
        return file
            .read_at(offset, size)
            .await
            .map_err(|error| errno(&error));
    }
    let mut parts = Vec::new();
    let mut start = 0u32;
    while start < size {
        let length = max_read.min(size - start);
        let file = file.clone();
        let at = offset + u64::from(start);
        parts.push(tokio::spawn(async move { file.read_at(at, length).await }));
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

struct Writes {
    file: OpenFile,
    options: WriteOptions,
    in_flight: Arc<Semaphore>,
    failure: Arc<Mutex<Option<Errno>>>,
    aborted: watch::Receiver<bool>,
}

impl Writes {
    fn failure(&self) -> Option<Errno> {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fail(failure: &Mutex<Option<Errno>>, errno: Errno) {
        failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(errno);
    }

    /// Sends one gathered chunk in the background (waiting for room among the writes under
    /// way).
    async fn send(&mut self, offset: u64, data: Vec<u8>) {
        if data.is_empty() || self.failure().is_some() {
            return;
        }
        let permit = tokio::select! {
            permit = Arc::clone(&self.in_flight).acquire_owned() => permit,
            () = aborted(&mut self.aborted) => {
                Self::fail(&self.failure, Errno::EIO);
                return;
            }
        };
        let Ok(permit) = permit else {
            return;
        };
        if self.failure().is_some() {
            // A write failed while this one waited for room: it would only fail too, after
            // as long again (a server that stopped answering: a whole request timeout).
            return;
        }
        let file = self.file.clone();
        let failure = Arc::clone(&self.failure);
        tokio::spawn(async move {
            if let Err(errno) = write_all(&file, offset, data, false).await {
                Self::fail(&failure, errno);
            }
            drop(permit);
        });
    }

    /// Waits until no write is under way.
    async fn drain(&mut self) -> Result<(), Errno> {
        let all = tokio::select! {
            all = self.in_flight.acquire_many(WRITES_IN_FLIGHT) => all,
            () = aborted(&mut self.aborted) => return Err(Errno::EIO),
        };
        drop(all);
        self.failure().map_or(Ok(()), Err)
    }
}

/// Resolves once the mount is forced away.
async fn aborted(aborted: &mut watch::Receiver<bool>) {
    if aborted.wait_for(|&aborted| aborted).await.is_err() {
        // The drive is gone without an abort: wait forever, the other branch decides.
        std::future::pending::<()>().await;
    }
}

/// Writes `data` at `offset`. A server that writes less than asked (it does so only when
/// out of space) fails the write: ENOSPC, as a short write to a full disk does.
async fn write_all(
    file: &OpenFile,
    offset: u64,
    data: Vec<u8>,
    write_through: bool,
) -> Result<(), Errno> {
    let length = data.len();
    let written = file
        .write_at_with(offset, data, write_through)
        .await
        .map_err(|error| errno(&error))? as usize;
    if written == length {
        Ok(())
    } else {
        tracing::warn!(offset, length, written, "the server wrote less than asked");
        Err(Errno::ENOSPC)
    }
}

async fn write_loop(
    file: OpenFile,
    mut queue: mpsc::UnboundedReceiver<WriteCommand>,
    options: WriteOptions,
    aborted: watch::Receiver<bool>,
) {
    let mut writes = Writes {
        file,
        options,
        in_flight: Arc::new(Semaphore::new(WRITES_IN_FLIGHT as usize)),
        failure: Arc::new(Mutex::new(None)),
        aborted,
    };
    let mut buffer: Vec<u8> = Vec::new();
    let mut buffer_offset = 0u64;
    while let Some(command) = queue.recv().await {
        match command {
            WriteCommand::Write {
                offset,
                data,
                reply,
            } => {
                if let Some(errno) = writes.failure() {
                    reply.error(errno);
                    continue;
                }
                let length = data.len() as u32;
                if writes.options.write_through {
                    match write_all(&writes.file, offset, data, true).await {
                        Ok(()) => reply.written(length),
                        Err(errno) => {
                            Writes::fail(&writes.failure, errno);
                            reply.error(errno);
                        }
                    }
                    continue;
                }
                if !buffer.is_empty() && offset != buffer_offset + buffer.len() as u64 {
                    let chunk = std::mem::take(&mut buffer);
                    writes.send(buffer_offset, chunk).await;
                }
                if buffer.is_empty() {
                    buffer_offset = offset;
                    buffer.reserve(writes.options.chunk.max(data.len()));
                }
                buffer.extend_from_slice(&data);
                reply.written(length);
                if buffer.len() >= writes.options.chunk {
                    let chunk = std::mem::take(&mut buffer);
                    writes.send(buffer_offset, chunk).await;
                }
            }
            WriteCommand::Barrier { done } => {
                let chunk = std::mem::take(&mut buffer);
                writes.send(buffer_offset, chunk).await;
                let _ = done.send(writes.drain().await);
            }
        }
    }
    let chunk = std::mem::take(&mut buffer);
    writes.send(buffer_offset, chunk).await;
    let _ = writes.drain().await;
}
