//! The FUSE file system: every operation the kernel sends, answered over the share's SMB2
//! tree. Operations run as tasks on the agent's runtime, so a slow one holds up no other;
//! the FUSE threads only dispatch.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use tokio::sync::watch;
use wnet_smb2::client::OpenFile;
use wnet_smb2::wire::file_info::BasicInformation;
use wnet_smb2::wire::{
    CreateRequest, FileAttributes, access, create_options, disposition, share_access,
};
use wnet_smb2::{NtStatus, Tree};

use crate::DriveOptions;
use crate::attributes::{Owner, attributes_for_mode, file_attr, to_filetime};
use crate::errno::errno;
use crate::handles::{Handle, WriteOptions};
use crate::inodes::{InodeTable, ROOT, child_path};

/// The largest request the kernel is asked to send (its own limit may be lower).
const MAX_REQUEST: u32 = 1 << 20;
/// How files are opened: without the kernel's page cache (FOPEN_DIRECT_IO), so a read or
/// write of the caller's buffer is one request answered straight from (or into) it — the
/// page cache would only add a copy of every byte, and the drive reads ahead itself.
/// mmap still works where the kernel allows it with direct I/O (FUSE_DIRECT_IO_ALLOW_MMAP).
const FILE_OPEN_FLAGS: FopenFlags = FopenFlags::FOPEN_DIRECT_IO;
/// The size writes are gathered to.
const WRITE_CHUNK: usize = 1 << 20;

/// A directory's listing, as one QUERY_DIRECTORY walk returned it.
type Listing = Arc<Vec<(String, FileAttributes)>>;

/// What the file system and its owner (the mounted [`crate::Drive`]) share.
pub(crate) struct DriveState {
    /// The share the operations run over; replaced when the agent reconnects it.
    tree: RwLock<Tree>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) options: DriveOptions,
    pub(crate) owner: Owner,
    inodes: Mutex<InodeTable>,
    pub(crate) handles: Mutex<HashMap<u64, Arc<Handle>>>,
    directories: Mutex<HashMap<u64, (u64, Listing)>>,
    listings: Mutex<HashMap<String, (Listing, Instant)>>,
    next_handle: AtomicU64,
    pub(crate) abort: watch::Sender<bool>,
}

impl DriveState {
    /// The share as it is connected now.
    pub(crate) fn tree(&self) -> Tree {
        self.tree
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs the operations over `tree` from now on (the share connected again, after its
    /// connection was lost). Files opened before stay on the old connection, and fail.
    pub(crate) fn replace_tree(&self, tree: Tree) {
        *self.tree.write().unwrap_or_else(PoisonError::into_inner) = tree;
        lock(&self.listings).clear();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DriveState {
    pub(crate) fn new(
        tree: Tree,
        runtime: tokio::runtime::Handle,
        options: DriveOptions,
        owner: Owner,
    ) -> DriveState {
        DriveState {
            tree: RwLock::new(tree),
            runtime,
            options,
            owner,
            inodes: Mutex::new(InodeTable::new()),
            handles: Mutex::new(HashMap::new()),
            directories: Mutex::new(HashMap::new()),
            listings: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            abort: watch::channel(false).0,
        }
    }

    fn is_aborted(&self) -> bool {
        *self.abort.borrow()
    }

    fn ttl(&self) -> Duration {
        self.options.attribute_timeout
    }

    fn new_handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    fn path(&self, ino: INodeNo) -> Result<String, Errno> {
        lock(&self.inodes).path(ino.0).ok_or(Errno::ENOENT)
    }

    fn attr(&self, ino: u64, attributes: &FileAttributes) -> FileAttr {
        file_attr(ino, attributes, self.owner)
    }

    /// The open file behind a FUSE file handle.
    fn handle(&self, fh: FileHandle) -> Option<Arc<Handle>> {
        lock(&self.handles).get(&fh.0).cloned()
    }

    /// The open files of the mount.
    pub(crate) fn open_files(&self) -> usize {
        lock(&self.handles).len()
    }

    /// Write handles of `ino` with writes that may still be buffered.
    fn dirty_handles(&self, ino: u64) -> Vec<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .filter(|handle| handle.ino == ino && handle.is_dirty())
            .cloned()
            .collect()
    }

    /// An open handle of `ino` that may write (and so set attributes).
    fn writable_handle(&self, ino: u64) -> Option<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .find(|handle| handle.ino == ino && handle.is_writable())
            .cloned()
    }

    fn forget_listing(&self, directory: &str) {
        lock(&self.listings).remove(directory);
    }

    /// Forgets the listings of `directory` and of every directory below it (it moved or was
    /// replaced: a new directory of that name must not be answered with its listing).
    fn forget_listings_under(&self, directory: &str) {
        let prefix = format!("{directory}\\");
        lock(&self.listings).retain(|path, _| path != directory && !path.starts_with(&prefix));
    }
}

/// Runs an operation as a task on the drive's runtime, answering EIO when the mount is
/// forced away first. `reply` gets the operation's outcome.
fn spawn<T, F, R>(state: &Arc<DriveState>, operation: F, reply: R)
where
    T: Send + 'static,
    F: Future<Output = Result<T, Errno>> + Send + 'static,
    R: FnOnce(Result<T, Errno>) + Send + 'static,
{
    if state.is_aborted() {
        reply(Err(Errno::EIO));
        return;
    }
    let mut aborted = state.abort.subscribe();
    state.runtime.spawn(async move {
        let outcome = tokio::select! {
            outcome = operation => outcome,
            _ = aborted.wait_for(|&aborted| aborted) => Err(Errno::EIO),
        };
        reply(outcome);
    });
}

fn name_str(name: &OsStr) -> Result<&str, Errno> {
    let name = name.to_str().ok_or(Errno::EINVAL)?;
    if name.is_empty() || name.contains('\\') {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

fn desired_access(flags: OpenFlags) -> (u32, bool) {
    let read = access::FILE_READ_DATA | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE;
    let write = access::FILE_WRITE_DATA | access::FILE_APPEND_DATA | access::FILE_WRITE_ATTRIBUTES;
    match flags.acc_mode() {
        OpenAccMode::O_RDONLY => (read, false),
        OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR => (read | write, true),
    }
}

fn open_request(
    path: String,
    desired_access: u32,
    disposition: u32,
    options: u32,
) -> CreateRequest {
    CreateRequest {
        name: path,
        desired_access,
        file_attributes: 0,
        share_access: share_access::ALL,
        create_disposition: disposition,
        create_options: options,
    }
}

async fn open(tree: &Tree, request: CreateRequest) -> Result<OpenFile, Errno> {
    tree.create(request).await.map_err(|error| errno(&error))
}

/// Answers an operation that returns nothing but its outcome.
fn reply_empty(outcome: Result<(), Errno>, reply: ReplyEmpty) {
    match outcome {
        Ok(()) => reply.ok(),
        Err(errno) => reply.error(errno),
    }
}

/// Caches fresh attributes of `ino` and answers with them (or the failure).
fn reply_attributes(
    state: &DriveState,
    ino: INodeNo,
    outcome: Result<FileAttributes, Errno>,
    reply: ReplyAttr,
) {
    match outcome {
        Ok(attributes) => {
            if let Ok(path) = state.path(ino) {
                lock(&state.inodes).cache(&path, attributes);
            }
            reply.attr(&state.ttl(), &state.attr(ino.0, &attributes));
        }
        Err(errno) => reply.error(errno),
    }
}

/// The SMB file system of one mounted share.
pub(crate) struct SmbFilesystem {
    pub(crate) state: Arc<DriveState>,
}

impl SmbFilesystem {
    fn child(&self, parent: INodeNo, name: &OsStr) -> Result<(String, String), Errno> {
        let parent_path = self.state.path(parent)?;
        let name = name_str(name)?;
        let path = child_path(&parent_path, name);
        Ok((parent_path, path))
    }

    /// Answers `reply` with the entry of `path` (counting the lookup).
    fn entry(state: &DriveState, path: &str, attributes: FileAttributes, reply: ReplyEntry) {
        let ino = lock(&state.inodes).lookup(path, attributes);
        reply.entry(&state.ttl(), &state.attr(ino, &attributes), Generation(0));
    }

    /// The path of `name` in `parent`, about to be made or removed: the parent's listing and
    /// attributes (its times change) are forgotten.
    fn changing_child(&self, parent: INodeNo, name: &OsStr) -> Result<String, Errno> {
        let (parent_path, path) = self.child(parent, name)?;
        self.state.forget_listing(&parent_path);
        lock(&self.state.inodes).invalidate(parent.0);
        Ok(path)
    }

    fn readdir_entries(&self, ino: INodeNo, fh: FileHandle) -> Result<(u64, Listing), Errno> {
        lock(&self.state.directories)
            .get(&fh.0)
            .cloned()
            .filter(|(opened_on, _)| *opened_on == ino.0)
            .ok_or(Errno::EBADF)
    }

    fn parent_ino(&self, ino: u64) -> u64 {
        let mut inodes = lock(&self.state.inodes);
        match inodes.path(ino) {
            Some(path) if !path.is_empty() => {
                let parent = path.rsplit_once('\\').map_or("", |(parent, _)| parent);
                inodes.ino(parent)
            }
            _ => ROOT,
        }
    }
}

impl Filesystem for SmbFilesystem {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Each is best effort: a kernel without it works, only slower.
        let _ = config.add_capabilities(InitFlags::FUSE_DO_READDIRPLUS);
        let _ = config.add_capabilities(InitFlags::FUSE_PARALLEL_DIROPS);
        let _ = config.add_capabilities(InitFlags::FUSE_DIRECT_IO_ALLOW_MMAP);
        let _ = config.set_max_write(MAX_REQUEST);
        if let Err(nearest) = config.set_max_readahead(MAX_REQUEST) {
            let _ = config.set_max_readahead(nearest);
        }
        let _ = config.set_max_background(64);
        let _ = config.set_congestion_threshold(48);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let Ok((_, path)) = self.child(parent, name) else {
            return reply.error(Errno::ENOENT);
        };
        let cached = lock(&self.state.inodes).fresh_attributes_of(&path, self.state.ttl());
        if let Some(attributes) = cached {
            return Self::entry(&self.state, &path, attributes, reply);
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let stat_path = path.clone();
        spawn(
            &self.state,
            async move { tree.stat(&stat_path).await.map_err(|error| errno(&error)) },
            move |outcome| match outcome {
                Ok(attributes) => Self::entry(&state, &path, attributes, reply),
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        lock(&self.state.inodes).forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        let path = match self.state.path(ino) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let dirty = self.state.dirty_handles(ino.0);
        if dirty.is_empty() {
            let cached = lock(&self.state.inodes).fresh_attributes(ino.0, self.state.ttl());
            if let Some(attributes) = cached {
                return reply.attr(&self.state.ttl(), &self.state.attr(ino.0, &attributes));
            }
        }
        let handle = fh.and_then(|fh| self.state.handle(fh));
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        spawn(
            &self.state,
            async move {
                for handle in dirty {
                    handle.barrier().await?;
                }
                match handle {
                    Some(handle) => handle.file.query_attributes().await,
                    None => tree.stat(&path).await,
                }
                .map_err(|error| errno(&error))
            },
            move |outcome| reply_attributes(&state, ino, outcome, reply),
        );
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        if uid.is_some_and(|uid| uid != self.state.owner.uid)
            || gid.is_some_and(|gid| gid != self.state.owner.gid)
        {
            return reply.error(Errno::EPERM);
        }
        let path = match self.state.path(ino) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        lock(&self.state.inodes).invalidate(ino.0);
        // Attributes are set through a handle that may write them: the caller's, else one
        // open for writing — a server updates the write time when a handle that wrote closes,
        // unless the time was set through that very handle (cp -p sets times before closing).
        let handle = fh
            .and_then(|fh| self.state.handle(fh))
            .filter(|handle| handle.is_writable())
            .or_else(|| self.state.writable_handle(ino.0));
        let dirty = self.state.dirty_handles(ino.0);
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let time = |time: Option<TimeOrNow>| match time {
            Some(TimeOrNow::SpecificTime(time)) => to_filetime(time),
            Some(TimeOrNow::Now) => to_filetime(SystemTime::now()),
            None => 0,
        };
        let (atime, mtime) = (time(atime), time(mtime));
        spawn(
            &self.state,
            async move {
                for handle in dirty {
                    handle.barrier().await?;
                }
                let mut wanted = access::FILE_READ_ATTRIBUTES
                    | access::FILE_WRITE_ATTRIBUTES
                    | access::SYNCHRONIZE;
                if size.is_some() {
                    wanted |= access::FILE_WRITE_DATA;
                }
                let (file, opened_here) = match handle.filter(|_| size.is_none()) {
                    Some(handle) => (handle.file.clone(), false),
                    None => (
                        open(&tree, open_request(path, wanted, disposition::OPEN, 0)).await?,
                        true,
                    ),
                };
                let result = async {
                    if let Some(size) = size {
                        file.set_end_of_file(size).await?;
                    }
                    let mut basic = BasicInformation {
                        last_access_time: atime,
                        last_write_time: mtime,
                        ..BasicInformation::default()
                    };
                    if let Some(mode) = mode {
                        let current = file.query_attributes().await?;
                        basic.attributes = attributes_for_mode(&current, mode).unwrap_or(0);
                    }
                    if basic != BasicInformation::default() {
                        file.set_basic_information(basic).await?;
                    }
                    file.query_attributes().await
                }
                .await
                .map_err(|error| errno(&error));
                if opened_here {
                    let _ = file.close().await;
                }
                result
            },
            move |outcome| reply_attributes(&state, ino, outcome, reply),
        );
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        let path = match self.changing_child(parent, name) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let create_path = path.clone();
        spawn(
            &self.state,
            async move {
                let directory = open(
                    &tree,
                    open_request(
                        create_path,
                        access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                        disposition::CREATE,
                        create_options::DIRECTORY_FILE,
                    ),
                )
                .await?;
                let attributes = directory.attributes;
                let _ = directory.close().await;
                Ok(attributes)
            },
            move |outcome| match outcome {
                Ok(attributes) => Self::entry(&state, &path, attributes, reply),
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.remove(parent, name, false, reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.remove(parent, name, true, reply);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if flags.contains(RenameFlags::RENAME_EXCHANGE)
            || flags.contains(RenameFlags::RENAME_WHITEOUT)
        {
            return reply.error(Errno::EINVAL);
        }
        let replace = !flags.contains(RenameFlags::RENAME_NOREPLACE);
        let ((from_parent, from), (to_parent, to)) =
            match (self.child(parent, name), self.child(newparent, newname)) {
                (Ok(from), Ok(to)) => (from, to),
                (Err(errno), _) | (_, Err(errno)) => return reply.error(errno),
            };
        for directory in [&from_parent, &to_parent] {
            self.state.forget_listing(directory);
        }
        {
            let mut inodes = lock(&self.state.inodes);
            inodes.invalidate(parent.0);
            inodes.invalidate(newparent.0);
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let (source, target) = (from.clone(), to.clone());
        spawn(
            &self.state,
            async move {
                let file = open(
                    &tree,
                    open_request(
                        source,
                        access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                        disposition::OPEN,
                        0,
                    ),
                )
                .await?;
                let renamed = file.rename(&target, replace).await;
                let _ = file.close().await;
                renamed.map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(()) => {
                    lock(&state.inodes).rename(&from, &to);
                    state.forget_listings_under(&from);
                    state.forget_listings_under(&to);
                    reply.ok();
                }
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let path = match self.state.path(ino) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let (wanted, writable) = desired_access(flags);
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let open_path = path.clone();
        spawn(
            &self.state,
            async move {
                open(
                    &tree,
                    open_request(
                        open_path,
                        wanted,
                        disposition::OPEN,
                        create_options::NON_DIRECTORY_FILE,
                    ),
                )
                .await
            },
            move |outcome| match outcome {
                Ok(file) => {
                    let fh = state.register(ino.0, file, writable);
                    reply.opened(FileHandle(fh), FILE_OPEN_FLAGS);
                }
                Err(Errno::ENOENT) => {
                    // Gone from the server while the kernel still had it (deleted elsewhere
                    // within the cache's timeout). The name is dropped from the inode table,
                    // so that nothing cached answers for it, and ESTALE makes the kernel look
                    // it up once more (with LOOKUP_REVAL), now answered by the server: the
                    // caller gets ENOENT, or with O_CREAT (which FUSE's open does not pass
                    // on) the file is created.
                    lock(&state.inodes).remove(&path);
                    state.forget_listing(path.rsplit_once('\\').map_or("", |(parent, _)| parent));
                    reply.error(Errno::ESTALE);
                }
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let Some(handle) = self.state.handle(fh) else {
            return reply.error(Errno::EBADF);
        };
        // A read sees every write that returned before it, through any handle of the file:
        // writes still buffered in other handles go to the server first (their failures are
        // theirs to report).
        let others: Vec<Arc<Handle>> = self
            .state
            .dirty_handles(ino.0)
            .into_iter()
            .filter(|other| !Arc::ptr_eq(other, &handle))
            .collect();
        let max_read = self.state.tree().max_read_size();
        spawn(
            &self.state,
            async move {
                for other in others {
                    let _ = other.barrier().await;
                }
                if handle.is_dirty() {
                    handle.barrier().await?;
                }
                handle.read(offset, size, max_read).await
            },
            move |outcome| match outcome {
                Ok(data) => reply.data(data.as_slice()),
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        if self.state.is_aborted() {
            return reply.error(Errno::EIO);
        }
        let Some(handle) = self.state.handle(fh) else {
            return reply.error(Errno::EBADF);
        };
        lock(&self.state.inodes).invalidate(ino.0);
        for other in lock(&self.state.handles).values() {
            if other.ino == ino.0 && !Arc::ptr_eq(other, &handle) {
                other.forget_read_ahead();
            }
        }
        handle.write(offset, data, reply);
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        let Some(handle) = self.state.handle(fh) else {
            return reply.error(Errno::EBADF);
        };
        spawn(
            &self.state,
            async move { handle.barrier().await },
            move |outcome| reply_empty(outcome, reply),
        );
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let Some(handle) = lock(&self.state.handles).remove(&fh.0) else {
            return reply.error(Errno::EBADF);
        };
        let state = Arc::clone(&self.state);
        // Answered at once: the kernel does not wait for a release, and its failures have
        // been reported by flush already. The handle is closed in the background.
        reply.ok();
        if state.is_aborted() {
            return;
        }
        state.runtime.clone().spawn(async move {
            let _ = handle.barrier().await;
            if let Ok(Some(attributes)) = handle.file.clone().close_with_attributes().await
                && let Ok(path) = state.path(ino)
            {
                lock(&state.inodes).cache(&path, attributes);
            }
        });
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let Some(handle) = self.state.handle(fh) else {
            return reply.error(Errno::EBADF);
        };
        spawn(
            &self.state,
            async move {
                handle.barrier().await?;
                handle.file.flush().await.map_err(|error| errno(&error))
            },
            move |outcome| reply_empty(outcome, reply),
        );
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let path = match self.state.path(ino) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let cached = lock(&self.state.listings)
            .get(&path)
            .filter(|(_, at)| at.elapsed() < self.state.options.directory_timeout)
            .map(|(listing, _)| Arc::clone(listing));
        if let Some(listing) = cached {
            let fh = self.state.new_handle();
            lock(&self.state.directories).insert(fh, (ino.0, listing));
            return reply.opened(FileHandle(fh), FopenFlags::empty());
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let list_path = path.clone();
        spawn(
            &self.state,
            async move {
                tree.list_directory(&list_path)
                    .await
                    .map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(entries) => {
                    let listing: Listing = Arc::new(
                        entries
                            .into_iter()
                            .map(|entry| (entry.name, entry.attributes))
                            .collect(),
                    );
                    {
                        let mut inodes = lock(&state.inodes);
                        for (name, attributes) in listing.iter() {
                            inodes.cache(&child_path(&path, name), *attributes);
                        }
                    }
                    lock(&state.listings).insert(path, (Arc::clone(&listing), Instant::now()));
                    let fh = state.new_handle();
                    lock(&state.directories).insert(fh, (ino.0, listing));
                    reply.opened(FileHandle(fh), FopenFlags::empty());
                }
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let (_, listing) = match self.readdir_entries(ino, fh) {
            Ok(entries) => entries,
            Err(errno) => return reply.error(errno),
        };
        let parent = self.parent_ino(ino.0);
        let path = self.state.path(ino).unwrap_or_default();
        let dots = [(".", ino.0), ("..", parent)];
        for index in offset as usize..listing.len() + 2 {
            let next = index as u64 + 1;
            let full = if let Some((name, dot_ino)) = dots.get(index) {
                reply.add(INodeNo(*dot_ino), next, FileType::Directory, name)
            } else {
                let (name, attributes) = &listing[index - 2];
                let child = lock(&self.state.inodes).ino(&child_path(&path, name));
                let kind = if attributes.is_directory() {
                    FileType::Directory
                } else {
                    FileType::RegularFile
                };
                reply.add(INodeNo(child), next, kind, name)
            };
            if full {
                break;
            }
        }
        reply.ok();
    }

    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let (_, listing) = match self.readdir_entries(ino, fh) {
            Ok(entries) => entries,
            Err(errno) => return reply.error(errno),
        };
        let parent = self.parent_ino(ino.0);
        let path = self.state.path(ino).unwrap_or_default();
        let ttl = self.state.ttl();
        let dot_attributes = lock(&self.state.inodes)
            .fresh_attributes(ino.0, Duration::MAX)
            .unwrap_or(FileAttributes {
                attributes: wnet_smb2::wire::file_attributes::DIRECTORY,
                ..FileAttributes::default()
            });
        for index in offset as usize..listing.len() + 2 {
            let next = index as u64 + 1;
            if index < 2 {
                let (name, dot_ino) = if index == 0 {
                    (".", ino.0)
                } else {
                    ("..", parent)
                };
                let attr = self.state.attr(dot_ino, &dot_attributes);
                if reply.add(INodeNo(dot_ino), next, name, &ttl, &attr, Generation(0)) {
                    break;
                }
                continue;
            }
            let (name, listed) = &listing[index - 2];
            let mut inodes = lock(&self.state.inodes);
            let child = inodes.ino(&child_path(&path, name));
            // The listing cached each entry's attributes in the inode table when it was
            // taken; what is there now is as new or newer (a stat, a setattr, a close). None
            // means the file changed through the mount since (a write): the listing's
            // attributes are then given with no time to live, so that the kernel asks again.
            let (attributes, entry_ttl) = match inodes.fresh_attributes(child, Duration::MAX) {
                Some(current) => (current, ttl),
                None => (*listed, Duration::ZERO),
            };
            let attr = self.state.attr(child, &attributes);
            if reply.add(INodeNo(child), next, name, &entry_ttl, &attr, Generation(0)) {
                break;
            }
            // The kernel holds a reference to each entry it accepted (not to . and ..).
            inodes.count_lookup(child);
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        lock(&self.state.directories).remove(&fh.0);
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let tree = self.state.tree();
        spawn(
            &self.state,
            async move { tree.fs_full_size().await.map_err(|error| errno(&error)) },
            move |outcome| match outcome {
                Ok(size) => {
                    let unit = u32::try_from(size.unit_size()).unwrap_or(4096);
                    reply.statfs(
                        size.total_units,
                        size.actual_available_units,
                        size.caller_available_units,
                        0,
                        0,
                        unit,
                        255,
                        unit,
                    );
                }
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let path = match self.changing_child(parent, name) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let open_flags = OpenFlags(flags);
        let (wanted, writable) = desired_access(open_flags);
        let create_disposition = if flags & nix::libc::O_EXCL != 0 {
            disposition::CREATE
        } else if flags & nix::libc::O_TRUNC != 0 {
            disposition::OVERWRITE_IF
        } else {
            disposition::OPEN_IF
        };
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let create_path = path.clone();
        spawn(
            &self.state,
            async move {
                open(
                    &tree,
                    open_request(
                        create_path,
                        wanted,
                        create_disposition,
                        create_options::NON_DIRECTORY_FILE,
                    ),
                )
                .await
            },
            move |outcome| match outcome {
                Ok(file) => {
                    let attributes = file.attributes;
                    let ino = lock(&state.inodes).lookup(&path, attributes);
                    let fh = state.register(ino, file, writable);
                    reply.created(
                        &state.ttl(),
                        &state.attr(ino, &attributes),
                        Generation(0),
                        FileHandle(fh),
                        FILE_OPEN_FLAGS,
                    );
                }
                Err(errno) => reply.error(errno),
            },
        );
    }
}

impl SmbFilesystem {
    /// unlink and rmdir: open for deletion, mark delete-pending (which is where a directory
    /// that is not empty says so), close.
    fn remove(&self, parent: INodeNo, name: &OsStr, directory: bool, reply: ReplyEmpty) {
        let path = match self.changing_child(parent, name) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let remove_path = path.clone();
        let remove_path_again = path.clone();
        spawn(
            &self.state,
            async move {
                let options = if directory {
                    create_options::DIRECTORY_FILE
                } else {
                    create_options::NON_DIRECTORY_FILE
                };
                let file = open(
                    &tree,
                    open_request(
                        remove_path,
                        access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                        disposition::OPEN,
                        options,
                    ),
                )
                .await?;
                let mut marked = file.set_delete_pending(true).await;
                if !directory
                    && matches!(&marked, Err(error)
                        if error.status() == Some(NtStatus::STATUS_CANNOT_DELETE))
                {
                    marked = delete_read_only(&tree, &remove_path_again, &file).await;
                }
                let closed = file.close().await;
                marked.map_err(|error| errno(&error))?;
                closed.map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(()) => {
                    lock(&state.inodes).remove(&path);
                    state.forget_listing(&path);
                    reply.ok();
                }
                Err(errno) => reply.error(errno),
            },
        );
    }
}

/// Marks `file` (open for deletion at `path`) delete-pending although it has the READONLY
/// attribute, which SMB refuses (STATUS_CANNOT_DELETE) where POSIX lets the directory's
/// permissions decide: the attribute is cleared first, and put back if the file still cannot
/// be deleted.
async fn delete_read_only(
    tree: &Tree,
    path: &str,
    file: &OpenFile,
) -> Result<(), wnet_smb2::Error> {
    let attributes = tree
        .create(open_request(
            path.to_owned(),
            access::FILE_READ_ATTRIBUTES | access::FILE_WRITE_ATTRIBUTES | access::SYNCHRONIZE,
            disposition::OPEN,
            create_options::NON_DIRECTORY_FILE,
        ))
        .await?;
    let current = attributes.attributes;
    let result = async {
        if let Some(writable) = attributes_for_mode(&current, 0o200) {
            attributes
                .set_basic_information(BasicInformation {
                    attributes: writable,
                    ..BasicInformation::default()
                })
                .await?;
        }
        let marked = file.set_delete_pending(true).await;
        if marked.is_err() {
            let _ = attributes
                .set_basic_information(BasicInformation {
                    attributes: current.attributes,
                    ..BasicInformation::default()
                })
                .await;
        }
        marked
    }
    .await;
    let _ = attributes.close().await;
    result
}

impl DriveState {
    /// Records an open file and returns its FUSE handle.
    fn register(&self, ino: u64, file: OpenFile, writable: bool) -> u64 {
        let handle = if writable {
            Handle::writer(
                ino,
                file,
                WriteOptions {
                    chunk: WRITE_CHUNK
                        .min(self.tree().max_write_size() as usize)
                        .max(4096),
                    write_through: self.options.write_through,
                },
                &self.runtime,
                self.abort.subscribe(),
            )
        } else {
            Handle::reader(ino, file)
        };
        let fh = self.new_handle();
        lock(&self.handles).insert(fh, Arc::new(handle));
        fh
    }
}
