//! The agent's side of a file channel ([`wnet::file_channel`]): a client connection turned
//! over to one share's files. Requests are read one frame at a time and run concurrently (a
//! client pipelines its reads ahead and writes behind), at most [`IN_FLIGHT`] at once; each
//! reply goes back as soon as it is ready. The files a client leaves open are closed when it
//! goes.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use wnet::error::{Cause, WinError, codes};
use wnet::file_channel::{
    FileReply, FileRequest, MAX_DATA, MAX_LISTING, data_header, frame_length,
};
use wnet_drive::leases::LeaseKeys;
use wnet_drive::reopen::{DEFAULT_RECONNECT_WAIT, FileCell, RetryBytes, is_session_lost};
use wnet_smb2::Tree;
use wnet_smb2::client::LinkTargetObserver;
use wnet_smb2::client::{OpenFile, ReadBuffer};
use wnet_smb2::wire::file_info::{
    FILE_DISPOSITION_INFORMATION, FILE_RENAME_INFORMATION, disposition_information,
    rename_information,
};
use wnet_smb2::wire::lease::lease_state;
use wnet_smb2::wire::{CreateRequest, access, create_options, disposition, share_access};

use crate::smb_provider::{map_error, status_error};

/// The Win32 error a file operation failing with `error` gives on Windows (its NTSTATUS
/// mapped as RtlNtStatusToDosError does for the file statuses; the redirector's mapping for
/// the rest).
fn file_error(error: &wnet_smb2::Error) -> WinError {
    use wnet_smb2::NtStatus as S;
    let wnet_smb2::Error::Status { status, .. } = error else {
        return map_error(error);
    };
    let code = match *status {
        S::STATUS_SHARING_VIOLATION => codes::ERROR_SHARING_VIOLATION,
        S::STATUS_OBJECT_NAME_COLLISION => codes::ERROR_ALREADY_EXISTS,
        S::STATUS_DIRECTORY_NOT_EMPTY => codes::ERROR_DIR_NOT_EMPTY,
        S::STATUS_NOT_A_DIRECTORY => codes::ERROR_DIRECTORY,
        S::STATUS_FILE_IS_A_DIRECTORY | S::STATUS_DELETE_PENDING | S::STATUS_CANNOT_DELETE => {
            codes::ERROR_ACCESS_DENIED
        }
        S::STATUS_DISK_FULL => codes::ERROR_DISK_FULL,
        S::STATUS_OBJECT_NAME_INVALID => codes::ERROR_INVALID_NAME,
        S::STATUS_INVALID_PARAMETER => codes::ERROR_INVALID_PARAMETER,
        S::STATUS_MEDIA_WRITE_PROTECTED => codes::ERROR_WRITE_PROTECT,
        S::STATUS_FILE_CLOSED | S::STATUS_INVALID_HANDLE => codes::ERROR_INVALID_HANDLE,
        _ => return status_error(*status),
    };
    WinError::with_cause(code, Cause::NtStatus(status.0))
}

/// The most requests of one channel running at once (each read holds up to
/// [`MAX_DATA`] bytes).
const IN_FLIGHT: usize = 16;

/// Each open file's uses under way count against this many permits; a close takes them all,
/// so it runs after the reads and writes sent before it.
const USES: u32 = 1 << 20;

/// The files a channel has open, by handle.
#[derive(Default)]
struct OpenFiles {
    next: AtomicU64,
    files: Mutex<HashMap<u64, OpenEntry>>,
}

/// An open file: the cell that a reconnection reopens it in, and the permits of its uses
/// under way.
struct OpenEntry {
    cell: Arc<FileCell>,
    uses: Arc<Semaphore>,
}

impl OpenFiles {
    /// A handle for a file about to be opened (its lease key is made from it).
    fn next_handle(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn insert(&self, handle: u64, cell: FileCell) {
        let uses = Arc::new(Semaphore::new(USES as usize));
        let cell = Arc::new(cell);
        self.lock().insert(handle, OpenEntry { cell, uses });
    }

    fn get(&self, handle: u64) -> Result<Arc<FileCell>, WinError> {
        self.lock()
            .get(&handle)
            .map(|entry| Arc::clone(&entry.cell))
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    }

    /// Every open file's cell.
    fn cells(&self) -> Vec<Arc<FileCell>> {
        self.lock()
            .values()
            .map(|entry| Arc::clone(&entry.cell))
            .collect()
    }

    /// A use of `handle` under way, taken in the order requests arrive (none for a handle
    /// unknown or closing: the request fails on its own).
    fn use_of(&self, handle: u64) -> Option<OwnedSemaphorePermit> {
        let uses = self
            .lock()
            .get(&handle)
            .map(|entry| Arc::clone(&entry.uses))?;
        uses.try_acquire_owned().ok()
    }

    /// Removes `handle` once the uses of it under way are done.
    async fn remove_when_idle(&self, handle: u64) -> Result<Arc<FileCell>, WinError> {
        let uses = self
            .lock()
            .get(&handle)
            .map(|entry| Arc::clone(&entry.uses))
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))?;
        let _all = uses.acquire_many_owned(USES).await;
        self.lock()
            .remove(&handle)
            .map(|entry| entry.cell)
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, OpenEntry>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One file channel: the share's tree as the agent's connection has it now, the files the
/// client opened, and the lease keys they are opened under.
///
/// Files are opened with a durable handle and a read-and-handle lease (the agent caches
/// nothing, so breaks are acknowledged at once). When the connection is lost and the agent
/// reconnects it, each durable open is reopened on the new tree; a request that failed with
/// the connection waits for that (at most [`DEFAULT_RECONNECT_WAIT`]) and runs again there,
/// so a client's open files go on reading and writing.
struct Channel {
    trees: watch::Receiver<Tree>,
    files: OpenFiles,
    keys: LeaseKeys,
    /// Set when the client has gone: waits for a reconnection end, watchers stop.
    ended: watch::Sender<bool>,
    /// The sessions of the DFS link targets whose lease breaks the channel acknowledges.
    link_sessions: Mutex<HashSet<u64>>,
    /// Told of each DFS link target before a file opens there (kept for as long as the
    /// channel lives).
    link_observer: std::sync::OnceLock<Arc<LinkTargetObserver>>,
}

impl Channel {
    fn new(trees: watch::Receiver<Tree>) -> Channel {
        Channel {
            trees,
            files: OpenFiles::default(),
            keys: LeaseKeys::new(),
            ended: watch::Sender::new(false),
            link_sessions: Mutex::new(HashSet::new()),
            link_observer: std::sync::OnceLock::new(),
        }
    }

    /// Has `tree` tell the channel of each DFS link target its paths go to, whose lease
    /// breaks the channel then acknowledges too (once per session), before any file of the
    /// channel opens there.
    fn watch_link_targets(self: &Arc<Self>, tree: &Tree) {
        let observer = self.link_observer.get_or_init(|| {
            let channel = Arc::downgrade(self);
            Arc::new(move |target: &Tree| {
                let Some(channel) = channel.upgrade() else {
                    return;
                };
                let first = channel
                    .link_sessions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(target.session().id());
                if first {
                    channel.acknowledge_lease_breaks(target.clone());
                }
            })
        });
        tree.observe_link_targets(observer);
    }

    /// The tree as it is now.
    fn tree(&self) -> Tree {
        self.trees.borrow().clone()
    }

    /// The tree to send a request on: the current one, or — when its connection is known to
    /// be lost — the one the agent reconnects, waited for (bounded).
    async fn live_tree(&self) -> Tree {
        let tree = self.tree();
        if tree.session().is_connected() {
            return tree;
        }
        self.reconnected_tree().await.unwrap_or(tree)
    }

    /// The next connected tree, once the agent has reconnected; `None` when that does not
    /// happen within [`DEFAULT_RECONNECT_WAIT`] or the client goes first.
    async fn reconnected_tree(&self) -> Option<Tree> {
        let mut trees = self.trees.clone();
        let mut ended = self.ended.subscribe();
        let connected = async {
            trees
                .wait_for(|tree| tree.session().is_connected())
                .await
                .ok()
                .map(|tree| tree.clone())
        };
        tokio::select! {
            tree = tokio::time::timeout(DEFAULT_RECONNECT_WAIT, connected) => tree.ok().flatten(),
            _ = ended.wait_for(|&ended| ended) => None,
        }
    }

    /// Runs `operation` on a live tree; when it fails because the connection was lost and
    /// running it twice does no harm (`idempotent`), runs it once more on the reconnected
    /// tree.
    async fn on_tree<T, F, Fut>(&self, idempotent: bool, operation: F) -> Result<T, WinError>
    where
        F: Fn(Tree) -> Fut,
        Fut: Future<Output = Result<T, wnet_smb2::Error>>,
    {
        let tree = self.live_tree().await;
        match operation(tree.clone()).await {
            Err(error) if idempotent && is_session_lost(&error, tree.session()) => {
                match self.reconnected_tree().await {
                    Some(tree) => operation(tree).await,
                    None => Err(error),
                }
            }
            outcome => outcome,
        }
        .map_err(|error| file_error(&error))
    }

    /// Opens `create` as the client's file `handle`: a file durably and with a lease, a
    /// directory plainly.
    async fn open(&self, handle: u64, create: CreateRequest) -> Result<OpenFile, WinError> {
        let directory = create.create_options & create_options::DIRECTORY_FILE != 0;
        // Running a create twice may fail the second time (the file it made exists).
        let idempotent = create.create_disposition != disposition::CREATE;
        let key = self.keys.key(handle);
        self.on_tree(idempotent, |tree| {
            let create = create.clone();
            async move {
                if directory {
                    tree.create(create).await
                } else {
                    tree.create_durable_with_lease(create, key, LEASE).await
                }
            }
        })
        .await
    }

    /// Acknowledges, at once, the breaks of this channel's leases on `tree`'s connection
    /// (the agent caches nothing a break would take back), until the channel or the
    /// connection ends.
    fn acknowledge_lease_breaks(self: &Arc<Self>, tree: Tree) {
        let mut breaks = tree.session().lease_breaks();
        let mut ended = self.ended.subscribe();
        let keys = self.keys;
        tokio::spawn(async move {
            loop {
                let lease_break = tokio::select! {
                    lease_break = breaks.recv() => lease_break,
                    _ = ended.wait_for(|&ended| ended) => return,
                };
                let Some(lease_break) = lease_break else {
                    return; // the connection is gone
                };
                if keys.ino(&lease_break.key).is_none() || !lease_break.ack_required {
                    continue; // another channel's or a drive's lease
                }
                if let Err(error) = tree
                    .acknowledge_lease_break(lease_break.key, lease_break.new_state)
                    .await
                {
                    tracing::debug!(%error, "file channel: a lease break acknowledgment failed");
                }
            }
        });
    }

    /// Follows the agent's reconnections of the connection: on each new tree, acknowledges
    /// its lease breaks and reopens every durable open file (or marks it lost).
    async fn follow_reconnections(self: Arc<Self>) {
        let mut trees = self.trees.clone();
        let mut ended = self.ended.subscribe();
        loop {
            tokio::select! {
                changed = trees.changed() => if changed.is_err() { return },
                _ = ended.wait_for(|&ended| ended) => return,
            }
            let tree = trees.borrow_and_update().clone();
            if !tree.session().is_connected() {
                continue;
            }
            self.acknowledge_lease_breaks(tree.clone());
            self.watch_link_targets(&tree);
            for cell in self.files.cells() {
                let tree = tree.clone();
                tokio::spawn(async move { cell.reopen_on(&tree, |_| {}).await });
            }
        }
    }
}

/// The lease a channel's file is opened with: reads and the handle cached, which is what a
/// server asks before it makes an open durable.
const LEASE: u32 = lease_state::READ | lease_state::HANDLE;

/// The open file a request uses, if it uses one (a close waits for them instead).
fn handle_of(request: &FileRequest) -> Option<u64> {
    match request {
        FileRequest::Read { handle, .. }
        | FileRequest::Write { handle, .. }
        | FileRequest::Flush { handle }
        | FileRequest::SetSize { handle, .. }
        | FileRequest::Query { handle } => Some(*handle),
        _ => None,
    }
}

/// Serves the file channel over the share's tree — `trees` gives it as it is now and as the
/// agent's reconnections replace it — until the client closes the channel or sends a frame
/// that cannot be read; then closes what the client left open.
pub(crate) async fn serve_files<R, W>(trees: watch::Receiver<Tree>, mut reader: R, mut writer: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let channel = Arc::new(Channel::new(trees));
    // Subscribed before the first open, so that no break of its lease is missed.
    channel.acknowledge_lease_breaks(channel.tree());
    channel.watch_link_targets(&channel.tree());
    let reconnections = tokio::spawn(Arc::clone(&channel).follow_reconnections());
    let (replies, mut outgoing) = mpsc::channel::<Outgoing>(IN_FLIGHT);
    let sender = tokio::spawn(async move {
        while let Some(reply) = outgoing.recv().await {
            let sent = match reply {
                Outgoing::Frame(frame) => writer.write_all(&frame).await,
                Outgoing::Data(header, data) => match writer.write_all(&header).await {
                    Ok(()) => writer.write_all(&data).await,
                    Err(error) => Err(error),
                },
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let mut prefix = [0u8; 4];
        if reader.read_exact(&mut prefix).await.is_err() {
            break;
        }
        let Ok(length) = frame_length(prefix) else {
            tracing::debug!("file channel: a frame too long; closing");
            break;
        };
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            break;
        }
        let (id, request) = match FileRequest::decode_owned(body) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::debug!(%error, "file channel: a malformed frame; closing");
                break;
            }
        };
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            break;
        };
        let channel = Arc::clone(&channel);
        let replies = replies.clone();
        let using = handle_of(&request).and_then(|handle| channel.files.use_of(handle));
        tokio::spawn(async move {
            let reply = match request {
                FileRequest::Read {
                    handle,
                    offset,
                    length,
                } => read(&channel, id, handle, offset, length).await,
                request => Ok(Outgoing::Frame(
                    answer(&channel, request)
                        .await
                        .unwrap_or_else(|error| failed(&error))
                        .encode(id),
                )),
            };
            let reply = reply.unwrap_or_else(|error| Outgoing::Frame(failed(&error).encode(id)));
            drop(using);
            let _ = replies.send(reply).await;
            drop(permit);
        });
    }
    // Wait for the requests under way, then close what is left open.
    let _ = in_flight.acquire_many(IN_FLIGHT as u32).await;
    drop(replies);
    let _ = sender.await;
    let left = channel
        .files
        .lock()
        .drain()
        .map(|(_, entry)| entry.cell)
        .collect::<Vec<_>>();
    let mut closing = tokio::task::JoinSet::new();
    for cell in left {
        closing.spawn(async move { cell.run(|file| async move { file.close().await }).await });
    }
    while closing.join_next().await.is_some() {}
    channel.ended.send_replace(true);
    reconnections.abort();
}

/// A reply on its way to the client.
enum Outgoing {
    /// A whole frame.
    Frame(Vec<u8>),
    /// A data reply: its header, then the data where the SMB response holds it (not copied
    /// into a frame).
    Data([u8; 13], ReadBuffer),
}

/// A read, answered from the SMB response's own buffer.
async fn read(
    channel: &Channel,
    id: u32,
    handle: u64,
    offset: u64,
    length: u32,
) -> Result<Outgoing, WinError> {
    let cell = channel.files.get(handle)?;
    let length = length.min(MAX_DATA).min(channel.tree().max_read_size());
    let data = cell
        .run(|file| async move { file.read_buffer_at(offset, length).await })
        .await
        .map_err(|error| file_error(&error))?;
    let count = u32::try_from(data.len()).unwrap_or(u32::MAX);
    Ok(Outgoing::Data(data_header(id, count), data))
}

/// The reply for a failure.
fn failed(error: &WinError) -> FileReply {
    let ntstatus = match &error.cause {
        Some(Cause::NtStatus(status)) => *status,
        _ => 0,
    };
    FileReply::Failed {
        code: error.code,
        ntstatus,
        message: error.to_string(),
    }
}

/// A path from the client, checked: relative to the share, `\`-separated, no empty, `.` or
/// `..` component (the client resolves those; one here would climb out of what it names).
fn checked(path: String) -> Result<String, WinError> {
    let invalid = |why: &str| {
        WinError::with_cause(
            codes::ERROR_INVALID_NAME,
            Cause::Other(format!("{path:?}: {why}")),
        )
    };
    if path.is_empty() {
        return Ok(path);
    }
    if path.contains('\0') || path.contains('/') {
        return Err(invalid("a NUL or a slash in a path"));
    }
    if path
        .split('\\')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(invalid("an empty, . or .. component"));
    }
    Ok(path)
}

async fn answer(channel: &Channel, request: FileRequest) -> Result<FileReply, WinError> {
    Ok(match request {
        FileRequest::Open { path, mode } => {
            let handle = channel.files.next_handle();
            let create = CreateRequest {
                name: checked(path)?,
                desired_access: mode.access,
                file_attributes: mode.attributes,
                share_access: mode.share_access,
                create_disposition: mode.disposition,
                create_options: mode.options,
            };
            let file = channel.open(handle, create).await?;
            let info = file.attributes;
            let cell = FileCell::new(file, channel.ended.subscribe(), DEFAULT_RECONNECT_WAIT);
            channel.files.insert(handle, cell);
            FileReply::Opened { handle, info }
        }
        request @ (FileRequest::Write { .. }
        | FileRequest::WriteAndClose { .. }
        | FileRequest::Close { .. }
        | FileRequest::Flush { .. }
        | FileRequest::SetSize { .. }
        | FileRequest::Query { .. }) => use_file(channel, request).await?,
        FileRequest::Stat { path } => {
            let path = checked(path)?;
            FileReply::Info(
                channel
                    .on_tree(true, |tree| {
                        let path = path.clone();
                        async move { tree.stat(&path).await }
                    })
                    .await?,
            )
        }
        FileRequest::List { path } => {
            let path = checked(path)?;
            let entries = channel
                .on_tree(true, |tree| {
                    let path = path.clone();
                    async move { tree.list_directory(&path).await }
                })
                .await?;
            if entries.len() > MAX_LISTING {
                return Err(WinError::new(codes::ERROR_NOT_ENOUGH_MEMORY));
            }
            FileReply::Listing(
                entries
                    .into_iter()
                    .filter(|entry| entry.name != "." && entry.name != "..")
                    .map(|entry| (entry.name, entry.attributes))
                    .collect(),
            )
        }
        // Answered by `read`, from the SMB response's buffer.
        FileRequest::Read { .. } => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
        request @ (FileRequest::Rename { .. }
        | FileRequest::Delete { .. }
        | FileRequest::MakeDirectory { .. }) => change_names(channel, request).await?,
    })
}

/// The requests that use an open file (reads but those answered by [`read`]): each runs on
/// the file as it is open now, and once more on the file reopened when the connection was lost
/// on the way.
async fn use_file(channel: &Channel, request: FileRequest) -> Result<FileReply, WinError> {
    let smb = |error: wnet_smb2::Error| file_error(&error);
    Ok(match request {
        FileRequest::Write {
            handle,
            offset,
            data,
        } => {
            let cell = channel.files.get(handle)?;
            let mut data = RetryBytes::new(data, cell.is_durable());
            let written = cell
                .run(|file| {
                    let bytes = data.take();
                    async move { file.write_at(offset, bytes).await }
                })
                .await
                .map_err(smb)?;
            FileReply::Written(written)
        }
        FileRequest::WriteAndClose {
            handle,
            offset,
            data,
        } => {
            // After the uses sent before it, as a close; closed even if the write fails.
            let cell = channel.files.remove_when_idle(handle).await?;
            let mut data = RetryBytes::new(data, cell.is_durable());
            let written = cell
                .run(|file| {
                    let bytes = data.take();
                    async move { file.write_and_close(offset, bytes).await }
                })
                .await
                .map_err(smb)?;
            FileReply::Written(written)
        }
        FileRequest::Close { handle } => {
            channel
                .files
                .remove_when_idle(handle)
                .await?
                .run(|file| async move { file.close().await })
                .await
                .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::Flush { handle } => {
            channel
                .files
                .get(handle)?
                .run(|file| async move { file.flush().await })
                .await
                .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::SetSize { handle, size } => {
            channel
                .files
                .get(handle)?
                .run(|file| async move { file.set_end_of_file(size).await })
                .await
                .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::Query { handle } => FileReply::Info(
            channel
                .files
                .get(handle)?
                .run(|file| async move { file.query_attributes().await })
                .await
                .map_err(smb)?,
        ),
        _ => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
    })
}

/// The requests that make, remove or rename names. They are not run twice: one whose
/// connection was lost on the way may have been done, and a second run would then fail
/// (or, for a rename, undo nothing but report a missing name).
async fn change_names(channel: &Channel, request: FileRequest) -> Result<FileReply, WinError> {
    match request {
        FileRequest::Rename { from, to, replace } => {
            let (from, to) = (checked(from)?, checked(to)?);
            channel
                .on_tree(false, |tree| {
                    let (from, to) = (from.clone(), to.clone());
                    async move {
                        tree.set_info_by_path(
                            &from,
                            access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                            FILE_RENAME_INFORMATION,
                            rename_information(&to, replace),
                        )
                        .await
                    }
                })
                .await?;
        }
        FileRequest::Delete { path, directory } => {
            let kind = if directory {
                create_options::DIRECTORY_FILE
            } else {
                create_options::NON_DIRECTORY_FILE
            };
            let create = CreateRequest {
                name: checked(path)?,
                desired_access: access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::OPEN,
                create_options: kind,
            };
            channel
                .on_tree(false, |tree| {
                    let create = create.clone();
                    async move {
                        tree.set_info_on(
                            create,
                            FILE_DISPOSITION_INFORMATION,
                            disposition_information(true),
                        )
                        .await
                    }
                })
                .await?;
        }
        FileRequest::MakeDirectory { path } => {
            let create = CreateRequest {
                name: checked(path)?,
                desired_access: access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::CREATE,
                create_options: create_options::DIRECTORY_FILE,
            };
            channel
                .on_tree(false, |tree| {
                    let create = create.clone();
                    async move { tree.create_and_close(create).await }
                })
                .await?;
        }
        _ => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
    }
    Ok(FileReply::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_or_hide_a_separator_are_refused() {
        assert_eq!(checked(String::new()), Ok(String::new()));
        assert_eq!(checked("a\\b c".into()), Ok("a\\b c".into()));
        for bad in [
            "..",
            "a\\..\\..\\b",
            ".\\a",
            "a\\\\b",
            "\\a",
            "a/b",
            "a\0b",
            "a\\",
        ] {
            assert_eq!(
                checked(bad.into()).map_err(|error| error.code),
                Err(codes::ERROR_INVALID_NAME),
                "{bad:?}"
            );
        }
    }
}
