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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use fuser::{Errno, ReplyWrite};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use wnet_smb2::client::OpenFile;

use crate::errno::errno;

/// How many WRITEs of one file may be under way at once.
pub const WRITES_IN_FLIGHT: u32 = 8;

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
        }
    }

    /// Whether writes may be buffered in this handle.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Queues a write (called in the order the kernel sent them); the reply follows when it
    /// is buffered, or written with write-through.
    pub fn write(&self, offset: u64, data: &[u8], reply: ReplyWrite) {
        let Some(writer) = &self.writer else {
            reply.error(Errno::EBADF);
            return;
        };
        self.dirty.store(true, Ordering::Release);
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
