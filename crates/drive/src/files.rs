//! One view of each open file, shared by every descriptor open on it.
//!
//! A [`FileState`] exists for each file the mount has open. It holds:
//! - the file's **held-back writes**, in one queue whatever descriptor made them: a later write
//!   through any descriptor lands on the server after an earlier one, because the queue sends
//!   them in the order the kernel handed them over and never has two overlapping writes under
//!   way at once;
//! - the **size** the drive's own writes and truncations left the file at, which every
//!   attribute reply (lookup, getattr, a listing's entries) reports in place of a size the
//!   server gave before those changes reached it: the kernel appends at the size it was last
//!   told, so a stale one would put an append in the middle of the file;
//! - when the file last **changed** through the drive, on the drive's [`Clock`].
//!
//! Writes are answered as soon as they are queued: contiguous writes through one descriptor
//! gather into chunks (1 MiB), each sent as one multi-credit WRITE while up to
//! [`WRITES_IN_FLIGHT`] others are under way. The first failure of a descriptor's writes
//! sticks to that descriptor: its later writes fail with it, and its `flush` (every `close`)
//! and `fsync` report it, so a failed copy never ends in a successful `close`. With
//! write-through (the connection's CONNECT_WRITE_THROUGH_SEMANTICS), each write is sent at
//! once with SMB2_WRITEFLAG_WRITE_THROUGH and answered when the server has written it.

use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use fuser::{Errno, ReplyWrite};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use wnet_smb2::wire::FileAttributes;

use crate::attributes::to_filetime;
use crate::errno::errno;
use crate::reopen::{FileCell, RetryBytes};

/// How many WRITEs of one file may be under way at once.
pub const WRITES_IN_FLIGHT: u32 = 8;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The drive's logical clock: it ticks at every change the drive makes to a file. An answer
/// of the server is dated by the tick at which its request was sent, so that the drive knows
/// whether the answer may predate one of its own changes.
#[derive(Debug, Default)]
pub struct Clock(AtomicU64);

impl Clock {
    /// The current tick: date a request with it before sending it.
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// A new tick, later than every answer dated so far.
    fn tick(&self) -> u64 {
        self.0.fetch_add(1, Ordering::AcqRel) + 1
    }
}

/// The first failure of one descriptor's writes (it sticks).
#[derive(Debug, Default)]
pub struct WriteFailure(Mutex<Option<Errno>>);

impl WriteFailure {
    /// The failure, if any.
    pub fn get(&self) -> Option<Errno> {
        *lock(&self.0)
    }

    fn set(&self, errno: Errno) {
        lock(&self.0).get_or_insert(errno);
    }
}

/// How the writes of one file are sent.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// The size writes are gathered to before they are sent.
    pub chunk: usize,
    /// Send each write through to stable storage, unbuffered.
    pub write_through: bool,
}

/// What the drive knows of a file's size.
#[derive(Debug)]
struct View {
    /// The size after the drive's latest change (or as the server last told it).
    size: u64,
    /// The tick of the drive's latest change to the file (a write queued or settled, a
    /// truncation).
    changed_at: u64,
    /// Writes queued and not yet answered by the server.
    unsettled: u64,
    /// When the drive last wrote to or truncated the file (a FILETIME; 0 for never).
    written_at: u64,
}

enum WriteCommand {
    Write {
        file: Arc<FileCell>,
        failure: Arc<WriteFailure>,
        offset: u64,
        data: Vec<u8>,
        reply: ReplyWrite,
    },
    /// Send what is gathered, wait for every write under way, report `failure`.
    Barrier {
        failure: Option<Arc<WriteFailure>>,
        done: oneshot::Sender<Result<(), Errno>>,
    },
}

/// One open file of the mount, as every descriptor on it sees it.
pub struct FileState {
    /// The lease the drive holds on the file (`lease_state` bits): as the latest open was
    /// granted it, or the latest break left it.
    lease: AtomicU32,
    /// SMB handles of the file still open: its descriptors, and those closing in the
    /// background after the kernel let them go.
    open_handles: AtomicUsize,
    clock: Arc<Clock>,
    view: Arc<Mutex<View>>,
    writes: mpsc::UnboundedSender<WriteCommand>,
}

impl std::fmt::Debug for FileState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileState")
            .field("view", &*lock(&self.view))
            .finish_non_exhaustive()
    }
}

impl FileState {
    /// The state of a file just opened, of the `size` the open's answer gave; its write
    /// queue runs on `runtime` until the state is dropped, and fails everything once
    /// `aborted` (the mount forced away).
    pub fn new(
        size: u64,
        clock: Arc<Clock>,
        options: WriteOptions,
        runtime: &tokio::runtime::Handle,
        aborted: watch::Receiver<bool>,
    ) -> FileState {
        let view = Arc::new(Mutex::new(View {
            size,
            changed_at: 0,
            unsettled: 0,
            written_at: 0,
        }));
        let (writes, queue) = mpsc::unbounded_channel();
        runtime.spawn(write_loop(
            queue,
            options,
            Arc::clone(&view),
            Arc::clone(&clock),
            aborted,
        ));
        FileState {
            lease: AtomicU32::new(0),
            open_handles: AtomicUsize::new(0),
            clock,
            view,
            writes,
        }
    }

    /// `attributes` from an answer dated `fetched_at`, as the drive must report them: when
    /// the answer may predate a change the drive made (or writes are still on their way), the
    /// size is the drive's and the write and change times are at least those of its latest
    /// write; otherwise the server's size is taken as the file's.
    pub fn reported(&self, mut attributes: FileAttributes, fetched_at: u64) -> FileAttributes {
        if attributes.is_directory() {
            return attributes;
        }
        let mut view = lock(&self.view);
        if view.unsettled == 0 && view.changed_at <= fetched_at {
            view.size = attributes.end_of_file;
        } else {
            attributes.end_of_file = view.size;
            attributes.allocation_size = attributes.allocation_size.max(view.size);
            attributes.last_write_time = attributes.last_write_time.max(view.written_at);
            attributes.change_time = attributes.change_time.max(view.written_at);
        }
        attributes
    }

    /// The lease the drive holds on the file (`lease_state` bits).
    pub fn lease(&self) -> u32 {
        self.lease.load(Ordering::Acquire)
    }

    /// The drive now holds `state` of the file's lease.
    pub fn set_lease(&self, state: u32) {
        self.lease.store(state, Ordering::Release);
    }

    /// An SMB handle of the file was opened.
    pub fn opened(&self) {
        self.open_handles.fetch_add(1, Ordering::AcqRel);
    }

    /// An SMB handle of the file was closed.
    pub fn closed(&self) {
        let _ = self
            .open_handles
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                open.checked_sub(1)
            });
    }

    /// Whether the server still has the file open for the drive (a name removed or
    /// replaced now would stay on the server until the handles close).
    pub fn is_open(&self) -> bool {
        self.open_handles.load(Ordering::Acquire) > 0
    }

    /// The file's size as the drive knows it.
    pub fn size(&self) -> u64 {
        lock(&self.view).size
    }

    /// Whether writes are queued that the server has not answered yet.
    pub fn has_unsettled_writes(&self) -> bool {
        lock(&self.view).unsettled > 0
    }

    /// The file was truncated or re-created at `size`, as the server now has it.
    pub fn resized(&self, size: u64) {
        let mut view = lock(&self.view);
        view.size = size;
        view.changed_at = self.clock.tick();
        view.written_at = to_filetime(SystemTime::now());
    }

    /// Queues a write through `file` (in the order the kernel sent them); the reply follows
    /// when it is queued, or written with write-through. A descriptor whose write failed
    /// before gets that failure.
    pub fn write(
        &self,
        file: &Arc<FileCell>,
        failure: &Arc<WriteFailure>,
        offset: u64,
        data: &[u8],
        reply: ReplyWrite,
    ) {
        if let Some(errno) = failure.get() {
            reply.error(errno);
            return;
        }
        let Some(end) = offset.checked_add(data.len() as u64) else {
            reply.error(Errno::EFBIG);
            return;
        };
        {
            let mut view = lock(&self.view);
            view.size = view.size.max(end);
            view.unsettled += 1;
            view.changed_at = self.clock.tick();
            view.written_at = to_filetime(SystemTime::now());
        }
        let command = WriteCommand::Write {
            file: Arc::clone(file),
            failure: Arc::clone(failure),
            offset,
            data: data.to_vec(),
            reply,
        };
        if let Err(mpsc::error::SendError(WriteCommand::Write { reply, .. })) =
            self.writes.send(command)
        {
            settle(&self.view, &self.clock, 1);
            reply.error(Errno::EIO);
        }
    }

    /// Waits for every write queued before it, through any descriptor, and returns the
    /// first failure of `failure`'s descriptor (it stays: every later barrier returns it).
    pub async fn barrier(&self, failure: Option<&Arc<WriteFailure>>) -> Result<(), Errno> {
        let (done, result) = oneshot::channel();
        self.writes
            .send(WriteCommand::Barrier {
                failure: failure.cloned(),
                done,
            })
            .map_err(|_| Errno::EIO)?;
        result.await.unwrap_or(Err(Errno::EIO))
    }
}

/// `count` queued writes were answered (or failed): the file changed on the server.
fn settle(view: &Mutex<View>, clock: &Clock, count: u64) {
    let mut view = lock(view);
    view.unsettled = view.unsettled.saturating_sub(count);
    view.changed_at = clock.tick();
}

/// Writes gathered into one chunk: contiguous, through one descriptor.
struct Gathered {
    file: Arc<FileCell>,
    failure: Arc<WriteFailure>,
    offset: u64,
    data: Vec<u8>,
    /// How many queued writes it holds.
    writes: u64,
}

impl Gathered {
    fn range(&self) -> Range<u64> {
        self.offset..self.offset + self.data.len() as u64
    }

    /// Takes in a write through the same descriptor that starts inside it or at its end
    /// (overwriting what it covers); gives it back otherwise.
    fn absorb(
        &mut self,
        file: &Arc<FileCell>,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<(), (u64, Vec<u8>)> {
        let range = self.range();
        if !Arc::ptr_eq(file, &self.file) || offset < range.start || offset > range.end {
            return Err((offset, data));
        }
        let at = (offset - range.start) as usize;
        let overlap = data.len().min(self.data.len() - at);
        self.data[at..at + overlap].copy_from_slice(&data[..overlap]);
        self.data.extend_from_slice(&data[overlap..]);
        self.writes += 1;
        Ok(())
    }
}

/// The byte ranges of the WRITEs under way, each by a serial number.
type UnderWay = Vec<(u64, Range<u64>)>;

struct Writes {
    options: WriteOptions,
    in_flight: Arc<Semaphore>,
    /// The ranges of the WRITEs under way.
    ranges: Arc<Mutex<UnderWay>>,
    serial: u64,
    view: Arc<Mutex<View>>,
    clock: Arc<Clock>,
    aborted: watch::Receiver<bool>,
}

impl Writes {
    /// Sends one gathered chunk in the background, after every WRITE under way that it
    /// overlaps (waiting for room among the writes under way).
    async fn send(&mut self, chunk: Gathered) {
        if chunk.data.is_empty() {
            return;
        }
        if chunk.failure.get().is_some() {
            settle(&self.view, &self.clock, chunk.writes);
            return;
        }
        let range = chunk.range();
        let overlaps = lock(&self.ranges)
            .iter()
            .any(|(_, under_way)| under_way.start < range.end && range.start < under_way.end);
        if overlaps && let Err(errno) = self.drain().await {
            chunk.failure.set(errno);
            settle(&self.view, &self.clock, chunk.writes);
            return;
        }
        let permit = tokio::select! {
            permit = Arc::clone(&self.in_flight).acquire_owned() => permit,
            () = aborted(&mut self.aborted) => {
                chunk.failure.set(Errno::EIO);
                settle(&self.view, &self.clock, chunk.writes);
                return;
            }
        };
        let Ok(permit) = permit else {
            settle(&self.view, &self.clock, chunk.writes);
            return;
        };
        if chunk.failure.get().is_some() {
            // A write of this descriptor failed while this one waited for room: it would only
            // fail too, after as long again (a server that stopped answering: a whole
            // request timeout).
            settle(&self.view, &self.clock, chunk.writes);
            return;
        }
        self.serial += 1;
        let serial = self.serial;
        lock(&self.ranges).push((serial, range));
        let ranges = Arc::clone(&self.ranges);
        let view = Arc::clone(&self.view);
        let clock = Arc::clone(&self.clock);
        tokio::spawn(async move {
            if let Err(errno) = write_all(&chunk.file, chunk.offset, chunk.data, false).await {
                chunk.failure.set(errno);
            }
            lock(&ranges).retain(|(under_way, _)| *under_way != serial);
            settle(&view, &clock, chunk.writes);
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
        Ok(())
    }

    /// A write sent at once, unbuffered, answered when the server has it.
    async fn write_through(
        &mut self,
        file: Arc<FileCell>,
        failure: Arc<WriteFailure>,
        offset: u64,
        data: Vec<u8>,
        reply: ReplyWrite,
    ) {
        let length = data.len() as u32;
        let outcome = tokio::select! {
            outcome = write_all(&file, offset, data, true) => outcome,
            () = aborted(&mut self.aborted) => Err(Errno::EIO),
        };
        settle(&self.view, &self.clock, 1);
        match outcome {
            Ok(()) => reply.written(length),
            Err(errno) => {
                failure.set(errno);
                reply.error(errno);
            }
        }
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
/// out of space) fails the write: ENOSPC, as a short write to a full disk does. A write that
/// lost its connection is sent again, at the same offset, on the file reopened after a
/// reconnection (see [`FileCell::run`]): the same bytes at the same place, whether or not
/// the first one reached the disk.
async fn write_all(
    file: &FileCell,
    offset: u64,
    data: Vec<u8>,
    write_through: bool,
) -> Result<(), Errno> {
    let length = data.len();
    let mut data = RetryBytes::new(data, file.is_durable());
    let written = file
        .run(|open| {
            let bytes = data.take();
            async move { open.write_at_with(offset, bytes, write_through).await }
        })
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
    mut queue: mpsc::UnboundedReceiver<WriteCommand>,
    options: WriteOptions,
    view: Arc<Mutex<View>>,
    clock: Arc<Clock>,
    aborted: watch::Receiver<bool>,
) {
    let mut writes = Writes {
        options,
        in_flight: Arc::new(Semaphore::new(WRITES_IN_FLIGHT as usize)),
        ranges: Arc::new(Mutex::new(Vec::new())),
        serial: 0,
        view,
        clock,
        aborted,
    };
    let mut gathered: Option<Gathered> = None;
    while let Some(command) = queue.recv().await {
        match command {
            WriteCommand::Write {
                file,
                failure,
                offset,
                data,
                reply,
            } => {
                if let Some(errno) = failure.get() {
                    settle(&writes.view, &writes.clock, 1);
                    reply.error(errno);
                    continue;
                }
                if writes.options.write_through {
                    if let Some(chunk) = gathered.take() {
                        writes.send(chunk).await;
                    }
                    writes
                        .write_through(file, failure, offset, data, reply)
                        .await;
                    continue;
                }
                let length = data.len() as u32;
                let rest = match gathered.as_mut() {
                    Some(chunk) => chunk.absorb(&file, offset, data).err(),
                    None => Some((offset, data)),
                };
                if let Some((offset, data)) = rest {
                    if let Some(chunk) = gathered.take() {
                        writes.send(chunk).await;
                    }
                    let mut buffer = Vec::with_capacity(writes.options.chunk.max(data.len()));
                    buffer.extend_from_slice(&data);
                    gathered = Some(Gathered {
                        file,
                        failure,
                        offset,
                        data: buffer,
                        writes: 1,
                    });
                }
                reply.written(length);
                if gathered
                    .as_ref()
                    .is_some_and(|chunk| chunk.data.len() >= writes.options.chunk)
                    && let Some(chunk) = gathered.take()
                {
                    writes.send(chunk).await;
                }
            }
            WriteCommand::Barrier { failure, done } => {
                if let Some(chunk) = gathered.take() {
                    writes.send(chunk).await;
                }
                let drained = writes.drain().await;
                let outcome = drained.and_then(|()| {
                    failure
                        .and_then(|failure| failure.get())
                        .map_or(Ok(()), Err)
                });
                let _ = done.send(outcome);
            }
        }
    }
    if let Some(chunk) = gathered.take() {
        writes.send(chunk).await;
    }
    let _ = writes.drain().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(size: u64) -> FileAttributes {
        FileAttributes {
            end_of_file: size,
            ..FileAttributes::default()
        }
    }

    fn state(size: u64) -> (FileState, tokio::runtime::Runtime) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let state = FileState::new(
            size,
            Arc::new(Clock::default()),
            WriteOptions {
                chunk: 1 << 20,
                write_through: false,
            },
            runtime.handle(),
            watch::channel(false).1,
        );
        (state, runtime)
    }

    #[test]
    fn an_answer_older_than_a_change_reports_the_drives_size() {
        let (state, _runtime) = state(100);
        let before = state.clock.now();
        state.resized(300_000);
        // A listing taken before the change still says 100.
        assert_eq!(state.reported(attributes(100), before).end_of_file, 300_000);
        // An answer sent after it is the server's word (another client may have written).
        let after = state.clock.now();
        assert_eq!(
            state.reported(attributes(300_010), after).end_of_file,
            300_010
        );
        assert_eq!(state.size(), 300_010);
    }

    #[test]
    fn unsettled_writes_keep_the_drives_size() {
        let (state, _runtime) = state(10);
        {
            let mut view = lock(&state.view);
            view.unsettled = 1;
            view.size = 50;
        }
        let now = state.clock.now();
        assert_eq!(state.reported(attributes(10), now).end_of_file, 50);
        settle(&state.view, &state.clock, 1);
        // Settled after the answer was sent: still the drive's.
        assert_eq!(state.reported(attributes(10), now).end_of_file, 50);
        let later = state.clock.now();
        assert_eq!(state.reported(attributes(50), later).end_of_file, 50);
        assert!(!state.has_unsettled_writes());
    }

    #[test]
    fn an_older_answer_shows_the_time_of_the_drives_latest_write() {
        let (state, _runtime) = state(10);
        let before = state.clock.now();
        state.resized(20);
        let old = FileAttributes {
            end_of_file: 10,
            last_write_time: 1,
            change_time: 1,
            ..FileAttributes::default()
        };
        let reported = state.reported(old, before);
        assert!(reported.last_write_time > 1 && reported.change_time > 1);
        assert_eq!(reported.end_of_file, 20);
    }

    #[test]
    fn directories_are_reported_as_the_server_says() {
        let (state, _runtime) = state(0);
        state.resized(7);
        let directory = FileAttributes {
            attributes: wnet_smb2::wire::file_attributes::DIRECTORY,
            end_of_file: 0,
            ..FileAttributes::default()
        };
        assert_eq!(state.reported(directory, 0), directory);
    }
}
