//! The FUSE file system: every operation the kernel sends, answered over the share's SMB2
//! tree. Operations run as tasks on the agent's runtime, so a slow one holds up no other;
//! the FUSE threads only dispatch.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use tokio::sync::watch;
use wnet_smb2::client::LeaseBreak;
use wnet_smb2::client::OpenFile;
use wnet_smb2::wire::file_info::{
    BasicInformation, FILE_BASIC_INFORMATION, FILE_DISPOSITION_INFORMATION,
    FILE_RENAME_INFORMATION, disposition_information, rename_information,
};
use wnet_smb2::wire::lease::lease_state;
use wnet_smb2::wire::{
    CreateRequest, FileAttributes, access, create_options, disposition, share_access,
};
use wnet_smb2::{NtStatus, Tree};

use crate::DriveOptions;
use crate::attributes::{Owner, attributes_for_mode, file_attr, to_filetime};
use crate::errno::errno;
use crate::files::{Clock, FileState, WriteOptions};
use crate::handles::Handle;
use crate::inodes::{Dated, InodeTable, ROOT, child_path};
use crate::leases::{LeaseKeys, wanted};

/// The largest request the kernel is asked to send (its own limit may be lower).
const MAX_REQUEST: u32 = 1 << 20;
/// How files are opened: without the kernel's page cache (FOPEN_DIRECT_IO), so a read or
/// write of the caller's buffer is one request answered straight from (or into) it — the
/// page cache would only add a copy of every byte, and the drive reads ahead itself.
/// mmap still works where the kernel allows it with direct I/O (FUSE_DIRECT_IO_ALLOW_MMAP).
const FILE_OPEN_FLAGS: FopenFlags = FopenFlags::FOPEN_DIRECT_IO;
/// The size writes are gathered to.
const WRITE_CHUNK: usize = 1 << 20;

/// At most this many paths are remembered as absent (the oldest go first).
const MAX_ABSENT: usize = 16_384;

/// The longest name a directory entry may have, in bytes (NAME_MAX).
const NAME_MAX: usize = 255;

/// Names the drive gives files unlinked while open (see
/// [`DriveState::hiding_places_if_open`]); never listed or looked up through the mount.
const UNLINKED_PREFIX: &str = ".wnet-unlinked-";

/// A directory's listing, as one QUERY_DIRECTORY walk returned it.
struct ListingData {
    entries: Vec<(String, FileAttributes)>,
    /// When the walk was asked for, on the drive's clock.
    fetched_at: u64,
    /// The entries' names in lower case, made at the first lookup that asks.
    names: OnceLock<HashSet<String>>,
}

impl ListingData {
    fn new(entries: Vec<(String, FileAttributes)>, fetched_at: u64) -> ListingData {
        ListingData {
            entries,
            fetched_at,
            names: OnceLock::new(),
        }
    }

    /// Whether the listing names `name` (SMB names ignore case).
    fn has(&self, name: &str) -> bool {
        self.names
            .get_or_init(|| {
                self.entries
                    .iter()
                    .map(|(listed, _)| listed.to_lowercase())
                    .collect()
            })
            .contains(&name.to_lowercase())
    }
}

type Listing = Arc<ListingData>;

/// What the file system and its owner (the mounted [`crate::Drive`]) share.
pub(crate) struct DriveState {
    /// The share the operations run over; replaced when the agent reconnects it.
    tree: RwLock<Tree>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) options: DriveOptions,
    pub(crate) owner: Owner,
    inodes: Mutex<InodeTable>,
    pub(crate) handles: Mutex<HashMap<u64, Arc<Handle>>>,
    /// The shared state of each file the mount has open (by inode), kept until the kernel
    /// forgets the inode: the size it reports must stay the drive's own after a close too.
    files: Mutex<HashMap<u64, Arc<FileState>>>,
    clock: Arc<Clock>,
    /// Serial numbers of the names of files unlinked while open.
    unlinked: AtomicU64,
    lease_keys: LeaseKeys,
    /// Tells the kernel to drop what it cached of a file another client changed.
    notifier: OnceLock<fuser::Notifier>,
    directories: Mutex<HashMap<u64, (u64, Listing)>>,
    listings: Mutex<HashMap<String, (Listing, Instant)>>,
    /// Bumped whenever a listing is forgotten: a listing taken across a bump is not kept.
    listings_generation: AtomicU64,
    /// Paths known not to exist, and since when (see [`DriveState::is_absent`]).
    absent: Mutex<HashMap<String, Instant>>,
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
    pub(crate) fn replace_tree(self: &Arc<Self>, tree: Tree) {
        self.watch_lease_breaks(&tree);
        *self.tree.write().unwrap_or_else(PoisonError::into_inner) = tree;
        let mut listings = lock(&self.listings);
        self.listings_generation.fetch_add(1, Ordering::AcqRel);
        listings.clear();
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
            files: Mutex::new(HashMap::new()),
            clock: Arc::new(Clock::default()),
            unlinked: AtomicU64::new(1),
            lease_keys: LeaseKeys::new(),
            notifier: OnceLock::new(),
            directories: Mutex::new(HashMap::new()),
            listings: Mutex::new(HashMap::new()),
            listings_generation: AtomicU64::new(0),
            absent: Mutex::new(HashMap::new()),
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

    /// The open descriptors of `ino`.
    fn handles_of(&self, ino: u64) -> Vec<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .filter(|handle| handle.ino == ino)
            .cloned()
            .collect()
    }

    /// An open descriptor of `ino` that may write (and so set attributes and the size).
    fn writable_handle(&self, ino: u64) -> Option<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .find(|handle| handle.ino == ino && handle.is_writable())
            .cloned()
    }

    /// The descriptor to work on `ino` through: the caller's, else any open one (the file
    /// may have lost its name: unlinked while open).
    fn handle_for(&self, ino: u64, fh: Option<FileHandle>) -> Option<Arc<Handle>> {
        fh.and_then(|fh| self.handle(fh))
            .filter(|handle| handle.ino == ino)
            .or_else(|| lock(&self.handles).values().find(|h| h.ino == ino).cloned())
    }

    /// The shared state of `ino`, if the mount has had it open.
    fn file_state(&self, ino: u64) -> Option<Arc<FileState>> {
        lock(&self.files).get(&ino).cloned()
    }

    /// The tick to date a request to the server with, before it is sent.
    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Attributes of `ino` from a server's answer, as the drive reports them: with its own
    /// size where the answer may predate the drive's changes. Cached attributes are reported
    /// again at every use, so that a change made after they were cached is never hidden by
    /// them.
    fn reported(&self, ino: u64, dated: Dated) -> FileAttributes {
        match self.file_state(ino) {
            Some(file) => file.reported(dated.attributes, dated.fetched_at),
            None => dated.attributes,
        }
    }

    /// Drops what every descriptor of `ino` read ahead.
    fn forget_read_ahead_of(&self, ino: u64) {
        for handle in self.handles_of(ino) {
            handle.forget_read_ahead();
        }
    }

    /// The file `ino` was truncated, extended or re-created at `size` on the server: its
    /// state says so and no descriptor reads ahead from before.
    fn resized(&self, ino: u64, size: u64) {
        if let Some(file) = self.file_state(ino) {
            file.resized(size);
        }
        self.forget_read_ahead_of(ino);
    }

    /// The file `ino` changed through the mount: what was read ahead of it and what is
    /// cached of its attributes and its directory's listing are dropped.
    fn changed(&self, ino: u64) {
        self.forget_read_ahead_of(ino);
        let parent = {
            let mut inodes = lock(&self.inodes);
            inodes.invalidate(ino);
            inodes.path(ino).map(|path| parent_of(&path).to_owned())
        };
        if let Some(parent) = parent {
            self.forget_listing(&parent);
        }
    }

    fn forget_listing(&self, directory: &str) {
        let mut listings = lock(&self.listings);
        self.listings_generation.fetch_add(1, Ordering::AcqRel);
        listings.remove(directory);
    }

    /// Whether `path` was found not to exist (or removed through the mount) less than the
    /// attribute timeout ago.
    fn is_absent(&self, path: &str) -> bool {
        lock(&self.absent)
            .get(path)
            .is_some_and(|at| at.elapsed() < self.ttl())
    }

    /// Remembers that `path` does not exist, for the attribute timeout.
    fn remember_absent(&self, path: String) {
        let ttl = self.ttl();
        let mut absent = lock(&self.absent);
        if absent.len() >= MAX_ABSENT {
            absent.retain(|_, at| at.elapsed() < ttl);
            if absent.len() >= MAX_ABSENT {
                absent.clear();
            }
        }
        absent.insert(path, Instant::now());
    }

    /// `path` is about to exist (made through the mount).
    fn forget_absent(&self, path: &str) {
        lock(&self.absent).remove(path);
    }

    /// A directory was moved to `path`: neither it nor anything below it is absent.
    fn forget_absent_under(&self, path: &str) {
        let prefix = format!("{path}\\");
        let mut absent = lock(&self.absent);
        absent.remove(path);
        if !absent.is_empty() {
            absent.retain(|absent, _| !absent.starts_with(&prefix));
        }
    }

    /// The listing of `directory`, if one was taken less than the directory timeout ago.
    fn fresh_listing(&self, directory: &str) -> Option<Listing> {
        lock(&self.listings)
            .get(directory)
            .filter(|(_, at)| at.elapsed() < self.options.directory_timeout)
            .map(|(listing, _)| Arc::clone(listing))
    }

    /// Forgets the listings of `directory` and of every directory below it (it moved or was
    /// replaced: a new directory of that name must not be answered with its listing).
    fn forget_listings_under(&self, directory: &str) {
        let prefix = format!("{directory}\\");
        let mut listings = lock(&self.listings);
        self.listings_generation.fetch_add(1, Ordering::AcqRel);
        listings.retain(|path, _| path != directory && !path.starts_with(&prefix));
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
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let name = name.to_str().ok_or(Errno::EINVAL)?;
    if name.is_empty() || name.contains('\\') {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

/// Whether a name the server listed may show through the mount: not one the drive hides
/// (files unlinked while open), and not one a POSIX directory cannot hold — empty, `.`,
/// `..`, over 255 bytes, or with `/`, `\` or NUL, which a hostile server could send to
/// alias another file or break a path. Those are skipped and logged.
fn listable(name: &str) -> bool {
    if name.starts_with(UNLINKED_PREFIX) {
        return false;
    }
    let posix = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= NAME_MAX
        && !name.contains(['/', '\\', '\0']);
    if !posix {
        tracing::warn!(
            name = name.escape_debug().to_string(),
            "the server listed a name no POSIX directory can hold: skipped"
        );
    }
    posix
}

/// The directory `path` is in (the root for the root's entries).
fn parent_of(path: &str) -> &str {
    path.rsplit_once('\\').map_or("", |(parent, _)| parent)
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

/// Opens a file asking for a lease under `key`. A server that refuses the lease key
/// (STATUS_INVALID_PARAMETER: Samba does so while the key still names a file deleted or
/// replaced behind the drive's back, whose last handle is closing) is asked again without
/// one: the open then says what became of the name.
async fn open_with_lease(
    tree: &Tree,
    request: CreateRequest,
    key: [u8; 16],
    wanted: u32,
) -> Result<OpenFile, Errno> {
    match tree.create_with_lease(request.clone(), key, wanted).await {
        Err(error) if error.status() == Some(NtStatus::STATUS_INVALID_PARAMETER) => {
            tracing::debug!(%error, name = %request.name, "lease refused: opened without one");
            open(tree, request).await
        }
        outcome => outcome.map_err(|error| errno(&error)),
    }
}

/// Answers an operation that returns nothing but its outcome.
fn reply_empty(outcome: Result<(), Errno>, reply: ReplyEmpty) {
    match outcome {
        Ok(()) => reply.ok(),
        Err(errno) => reply.error(errno),
    }
}

/// Caches fresh attributes of `ino` (from an answer dated `fetched_at`) and answers with
/// them (or the failure).
fn reply_attributes(
    state: &DriveState,
    ino: INodeNo,
    fetched_at: u64,
    outcome: Result<FileAttributes, Errno>,
    reply: ReplyAttr,
) {
    match outcome {
        Ok(attributes) => {
            let dated = Dated {
                attributes,
                fetched_at,
            };
            if let Ok(path) = state.path(ino) {
                lock(&state.inodes).cache(&path, dated);
            }
            let attributes = state.reported(ino.0, dated);
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

    /// Answers `reply` with the entry of `path` (counting the lookup), from attributes of an
    /// answer dated `fetched_at`.
    fn entry(
        state: &DriveState,
        path: &str,
        attributes: FileAttributes,
        fetched_at: u64,
        reply: ReplyEntry,
    ) {
        let dated = Dated {
            attributes,
            fetched_at,
        };
        let ino = lock(&state.inodes).lookup(path, dated);
        let attributes = state.reported(ino, dated);
        reply.entry(&state.ttl(), &state.attr(ino, &attributes), Generation(0));
    }

    /// Answers that a name does not exist, for the kernel to remember for the attribute
    /// timeout (a negative entry: inode 0): asking again for a name that is not there costs
    /// no round trip. The kernel forgets it at once when the name is made through the mount.
    fn no_entry(state: &DriveState, reply: ReplyEntry) {
        reply.entry(
            &state.ttl(),
            &state.attr(0, &FileAttributes::default()),
            Generation(0),
        );
    }

    /// The path of `name` in `parent`, about to be made or removed: the parent's listing and
    /// attributes (its times change) are forgotten.
    fn changing_child(&self, parent: INodeNo, name: &OsStr) -> Result<String, Errno> {
        let (parent_path, path) = self.child(parent, name)?;
        self.state.forget_listing(&parent_path);
        self.state.forget_absent(&path);
        lock(&self.state.inodes).touch_directory(parent.0, to_filetime(SystemTime::now()));
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
        let (parent_path, path) = match self.child(parent, name) {
            Ok(paths) => paths,
            Err(errno) => return reply.error(errno),
        };
        if name.to_string_lossy().starts_with(UNLINKED_PREFIX) {
            return Self::no_entry(&self.state, reply);
        }
        if self.state.is_absent(&path) {
            return Self::no_entry(&self.state, reply);
        }
        let cached = lock(&self.state.inodes).fresh_attributes_of(&path, self.state.ttl());
        if let Some(dated) = cached {
            return Self::entry(
                &self.state,
                &path,
                dated.attributes,
                dated.fetched_at,
                reply,
            );
        }
        // A fresh listing of the directory that does not name it: it does not exist (asked
        // again of the server once the listing is older than the directory timeout).
        if let Some(listing) = self.state.fresh_listing(&parent_path)
            && !listing.has(&name.to_string_lossy())
        {
            return Self::no_entry(&self.state, reply);
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let stat_path = path.clone();
        let fetched_at = state.now();
        // A name made through the mount while the lookup was under way is not remembered as
        // absent (every change forgets a listing, which moves the generation).
        let generation = state.listings_generation.load(Ordering::Acquire);
        spawn(
            &self.state,
            async move { tree.stat(&stat_path).await.map_err(|error| errno(&error)) },
            move |outcome| match outcome {
                Ok(attributes) => Self::entry(&state, &path, attributes, fetched_at, reply),
                Err(Errno::ENOENT) => {
                    if state.listings_generation.load(Ordering::Acquire) == generation {
                        state.remember_absent(path);
                    }
                    Self::no_entry(&state, reply);
                }
                Err(errno) => reply.error(errno),
            },
        );
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        let gone = {
            let mut inodes = lock(&self.state.inodes);
            inodes.forget(ino.0, nlookup);
            !inodes.contains(ino.0)
        };
        if gone {
            // The kernel keeps no size of it any more. A file still closing in the background
            // keeps its state until it is closed (see `release`).
            let mut files = lock(&self.state.files);
            if files.get(&ino.0).is_some_and(|file| !file.is_open()) {
                files.remove(&ino.0);
            }
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        let cached = lock(&self.state.inodes).fresh_attributes(ino.0, self.state.ttl());
        if let Some(dated) = cached {
            let attributes = self.state.reported(ino.0, dated);
            return reply.attr(&self.state.ttl(), &self.state.attr(ino.0, &attributes));
        }
        // Through an open descriptor when there is one (fstat, and a file unlinked while
        // open has no name to ask by), else by name. Writes still on their way go first, so
        // that the server's times are those they leave, as its size is.
        let handle = self.state.handle_for(ino.0, fh);
        let file_state = self
            .state
            .file_state(ino.0)
            .filter(|file_state| file_state.has_unsettled_writes());
        let path = self.state.path(ino);
        if handle.is_none()
            && let Err(errno) = path
        {
            return reply.error(errno);
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let fetched_at = state.now();
        spawn(
            &self.state,
            async move {
                if let Some(file_state) = file_state {
                    file_state.barrier(None).await?;
                }
                match (handle, path) {
                    (Some(handle), _) => handle.file.query_attributes().await,
                    (None, Ok(path)) => tree.stat(&path).await,
                    (None, Err(errno)) => return Err(errno),
                }
                .map_err(|error| errno(&error))
            },
            move |outcome| reply_attributes(&state, ino, fetched_at, outcome, reply),
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
        // Attributes are set through a handle that may write them: the caller's, else one
        // open for writing — a server updates the write time when a handle that wrote closes,
        // unless the time was set through that very handle (cp -p sets times before closing).
        // A file unlinked while open has no name left: only its descriptors reach it.
        let handle = fh
            .and_then(|fh| self.state.handle(fh))
            .filter(|handle| handle.ino == ino.0 && handle.is_writable())
            .or_else(|| self.state.writable_handle(ino.0));
        let path = self.state.path(ino);
        if handle.is_none()
            && let Err(errno) = path
        {
            return reply.error(errno);
        }
        let file_state = self.state.file_state(ino.0);
        // What is known of the file before the change (chmod starts from its attributes).
        let cached = lock(&self.state.inodes).fresh_attributes(ino.0, self.state.ttl());
        if size.is_some() {
            // A truncation is seen by every descriptor at once: nothing read ahead survives.
            self.state.changed(ino.0);
        } else {
            lock(&self.state.inodes).invalidate(ino.0);
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let time = |time: Option<TimeOrNow>| match time {
            Some(TimeOrNow::SpecificTime(time)) => to_filetime(time),
            Some(TimeOrNow::Now) => to_filetime(SystemTime::now()),
            None => 0,
        };
        let (atime, mtime) = (time(atime), time(mtime));
        let fetched_at = state.now();
        let resized_state = Arc::clone(&self.state);
        spawn(
            &self.state,
            async move {
                // The writes queued before (through any descriptor) reach the server first:
                // a truncation or a time set after them must not be undone by them.
                if let Some(file_state) = &file_state {
                    file_state.barrier(None).await?;
                }
                if handle.is_none()
                    && size.is_none()
                    && let Ok(path) = &path
                {
                    let current = cached.map(|dated| dated.attributes);
                    return set_basic_by_path(&tree, path, current, mode, atime, mtime).await;
                }
                let mut wanted = access::FILE_READ_ATTRIBUTES
                    | access::FILE_WRITE_ATTRIBUTES
                    | access::SYNCHRONIZE;
                if size.is_some() {
                    wanted |= access::FILE_WRITE_DATA;
                }
                let (file, opened_here) = match (handle, path) {
                    (Some(handle), _) => (handle.file.clone(), false),
                    (None, Ok(path)) => (
                        open(&tree, open_request(path, wanted, disposition::OPEN, 0)).await?,
                        true,
                    ),
                    (None, Err(errno)) => return Err(errno),
                };
                let result = async {
                    if let Some(size) = size {
                        file.set_end_of_file(size).await?;
                        resized_state.resized(ino.0, size);
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
            move |outcome| reply_attributes(&state, ino, fetched_at, outcome, reply),
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
        let fetched_at = state.now();
        let create_path = path.clone();
        spawn(
            &self.state,
            async move {
                // Made and closed in one round trip.
                tree.create_and_close(open_request(
                    create_path,
                    access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                    disposition::CREATE,
                    create_options::DIRECTORY_FILE,
                ))
                .await
                .map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(attributes) => Self::entry(&state, &path, attributes, fetched_at, reply),
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
            let now = to_filetime(SystemTime::now());
            inodes.touch_directory(parent.0, now);
            inodes.touch_directory(newparent.0, now);
        }
        // A target the mount has open is replaced as POSIX replaces it: its descriptors keep
        // the old file, hidden away until they close.
        let hiding_places = if replace {
            self.state.hiding_places_if_open(&to)
        } else {
            None
        };
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let (source, target) = (from.clone(), to.clone());
        spawn(
            &self.state,
            async move {
                if let Some(places) = hiding_places {
                    hide(&tree, &target, &places).await;
                }
                // Open, rename and close in one round trip.
                tree.set_info_by_path(
                    &source,
                    access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                    FILE_RENAME_INFORMATION,
                    rename_information(&target, replace),
                )
                .await
                .map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(()) => {
                    lock(&state.inodes).rename(&from, &to);
                    state.forget_listings_under(&from);
                    state.forget_listings_under(&to);
                    state.forget_absent_under(&to);
                    state.remember_absent(from);
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
        let (access_wanted, writable) = desired_access(flags);
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let open_path = path.clone();
        let fetched_at = state.now();
        let key = state.lease_keys.key(ino.0);
        spawn(
            &self.state,
            async move {
                open_with_lease(
                    &tree,
                    open_request(
                        open_path,
                        access_wanted,
                        disposition::OPEN,
                        create_options::NON_DIRECTORY_FILE,
                    ),
                    key,
                    wanted(writable),
                )
                .await
            },
            move |outcome| match outcome {
                Ok(file) => {
                    let lease = file.lease_state();
                    let fh = state.register(ino.0, file, writable, fetched_at, lease);
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
        _ino: INodeNo,
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
        // A read sees every write that returned before it, through any descriptor of the
        // file: the writes still on their way go to the server first (the failures of other
        // descriptors' writes are theirs to report).
        let max_read = self.state.tree().max_read_size();
        // What was read ahead is good until a break while the drive holds a READ lease;
        // without one, for the attribute timeout only.
        let trust = if handle.state.lease() & lease_state::READ != 0 {
            Duration::MAX
        } else {
            self.state.ttl()
        };
        spawn(
            &self.state,
            async move {
                if handle.state.has_unsettled_writes() {
                    handle.barrier().await?;
                }
                handle.read(offset, size, max_read, trust).await
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
        // Every descriptor's read-ahead, the cached attributes and the directory's listing
        // are dropped before the write is queued: a read or stat that comes after it cannot
        // be answered from before it.
        self.state.changed(ino.0);
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
            let fetched_at = state.now();
            let closed = handle.file.clone().close_with_attributes().await;
            handle.state.closed();
            if !handle.state.is_open() && !lock(&state.inodes).contains(ino.0) {
                lock(&state.files).remove(&ino.0);
            }
            if let Ok(Some(attributes)) = closed
                && let Ok(path) = state.path(ino)
            {
                lock(&state.inodes).cache(
                    &path,
                    Dated {
                        attributes,
                        fetched_at,
                    },
                );
            }
        });
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        use nix::libc::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE};
        let Some(handle) = self.state.handle(fh) else {
            return reply.error(Errno::EBADF);
        };
        if !handle.is_writable() {
            return reply.error(Errno::EBADF);
        }
        let Some(end) = offset.checked_add(length) else {
            return reply.error(Errno::EFBIG);
        };
        let keep_size = mode & FALLOC_FL_KEEP_SIZE != 0;
        let zero = match mode & !FALLOC_FL_KEEP_SIZE {
            0 => false,
            FALLOC_FL_ZERO_RANGE => true,
            FALLOC_FL_PUNCH_HOLE if keep_size => true,
            _ => return reply.error(Errno::EOPNOTSUPP),
        };
        // SMB servers allocate as data is written: reserving space is not asked for, only
        // the size (unless kept) and the zeroed range are real changes.
        let grows = !keep_size && end > handle.state.size();
        if !zero && !grows {
            return reply_empty(Ok(()), reply);
        }
        self.state.changed(ino.0);
        let state = Arc::clone(&self.state);
        spawn(
            &self.state,
            async move {
                handle.barrier().await?;
                let size = handle.state.size();
                if zero && offset < size {
                    handle
                        .file
                        .zero_range(offset, end.min(size))
                        .await
                        .map_err(|error| errno(&error))?;
                }
                if grows && end > size {
                    handle
                        .file
                        .set_end_of_file(end)
                        .await
                        .map_err(|error| errno(&error))?;
                    state.resized(ino.0, end);
                } else {
                    state.forget_read_ahead_of(ino.0);
                }
                Ok(())
            },
            move |outcome| reply_empty(outcome, reply),
        );
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
        if let Some(listing) = self.state.fresh_listing(&path) {
            let fh = self.state.new_handle();
            lock(&self.state.directories).insert(fh, (ino.0, listing));
            return reply.opened(FileHandle(fh), FopenFlags::empty());
        }
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let list_path = path.clone();
        let fetched_at = state.now();
        let generation = state.listings_generation.load(Ordering::Acquire);
        spawn(
            &self.state,
            async move {
                tree.list_directory(&list_path)
                    .await
                    .map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(entries) => {
                    let listing: Listing = Arc::new(ListingData::new(
                        entries
                            .into_iter()
                            .filter(|entry| listable(&entry.name))
                            .map(|entry| (entry.name, entry.attributes))
                            .collect(),
                        fetched_at,
                    ));
                    {
                        let mut inodes = lock(&state.inodes);
                        for (name, attributes) in &listing.entries {
                            let child = child_path(&path, name);
                            inodes.cache(
                                &child,
                                Dated {
                                    attributes: *attributes,
                                    fetched_at,
                                },
                            );
                        }
                    }
                    // Kept for the next listing and for lookups only if nothing in the drive
                    // changed while it was taken (it might miss a name made since).
                    let mut listings = lock(&state.listings);
                    if state.listings_generation.load(Ordering::Acquire) == generation {
                        listings.insert(path, (Arc::clone(&listing), Instant::now()));
                    }
                    drop(listings);
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
        for index in offset as usize..listing.entries.len() + 2 {
            let next = index as u64 + 1;
            let full = if let Some((name, dot_ino)) = dots.get(index) {
                reply.add(INodeNo(*dot_ino), next, FileType::Directory, name)
            } else {
                let (name, attributes) = &listing.entries[index - 2];
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
            .map_or(
                FileAttributes {
                    attributes: wnet_smb2::wire::file_attributes::DIRECTORY,
                    ..FileAttributes::default()
                },
                |dated| dated.attributes,
            );
        for index in offset as usize..listing.entries.len() + 2 {
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
            let (name, listed) = &listing.entries[index - 2];
            let mut inodes = lock(&self.state.inodes);
            let child = inodes.ino(&child_path(&path, name));
            // The listing cached each entry's attributes in the inode table when it was
            // taken; what is there now is as new or newer (a stat, a setattr, a close). None
            // means the file changed through the mount since (a write): the listing's
            // attributes are then given with no time to live, so that the kernel asks again,
            // and with the size the drive's own writes left (the kernel takes the size of
            // every entry it is given, and appends there).
            let (dated, entry_ttl) = match inodes.fresh_attributes(child, Duration::MAX) {
                Some(current) => (current, ttl),
                None => (
                    Dated {
                        attributes: *listed,
                        fetched_at: listing.fetched_at,
                    },
                    Duration::ZERO,
                ),
            };
            let attributes = self.state.reported(child, dated);
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
        let (access_wanted, writable) = desired_access(open_flags);
        let create_disposition = if flags & nix::libc::O_EXCL != 0 {
            disposition::CREATE
        } else if flags & nix::libc::O_TRUNC != 0 {
            disposition::OVERWRITE_IF
        } else {
            disposition::OPEN_IF
        };
        let truncates = create_disposition == disposition::OVERWRITE_IF;
        // Re-created with O_TRUNC while open: the writes queued before go first, so that
        // none lands after the truncation.
        let earlier_writes = lock(&self.state.inodes)
            .find(&path)
            .and_then(|ino| self.state.file_state(ino))
            .filter(|_| truncates);
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let create_path = path.clone();
        let fetched_at = state.now();
        let keyed = lock(&self.state.inodes).ino(&path);
        let key = state.lease_keys.key(keyed);
        spawn(
            &self.state,
            async move {
                if let Some(file_state) = earlier_writes {
                    file_state.barrier(None).await?;
                }
                open_with_lease(
                    &tree,
                    open_request(
                        create_path,
                        access_wanted,
                        create_disposition,
                        create_options::NON_DIRECTORY_FILE,
                    ),
                    key,
                    wanted(writable),
                )
                .await
            },
            move |outcome| match outcome {
                Ok(file) => {
                    let ino = lock(&state.inodes).ino(&path);
                    // The name went to another node meanwhile: the lease is keyed to the old
                    // one, and its breaks would not reach this file: taken as none.
                    let lease = if ino == keyed { file.lease_state() } else { 0 };
                    if truncates {
                        state.resized(ino, file.attributes.end_of_file);
                    }
                    let dated = Dated {
                        attributes: file.attributes,
                        fetched_at,
                    };
                    lock(&state.inodes).lookup(&path, dated);
                    let fh = state.register(ino, file, writable, fetched_at, lease);
                    let attributes = state.reported(ino, dated);
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
    /// that is not empty says so), close. A file the mount still has open is first renamed
    /// out of the way (see [`DriveState::hiding_places_if_open`]): its descriptors keep working, the
    /// name is free at once, and the server deletes it when the last descriptor closes.
    fn remove(&self, parent: INodeNo, name: &OsStr, directory: bool, reply: ReplyEmpty) {
        let path = match self.changing_child(parent, name) {
            Ok(path) => path,
            Err(errno) => return reply.error(errno),
        };
        let hiding_places = (!directory)
            .then(|| self.state.hiding_places_if_open(&path))
            .flatten();
        let state = Arc::clone(&self.state);
        let tree = state.tree();
        let remove_path = path.clone();
        spawn(
            &self.state,
            async move {
                let options = if directory {
                    create_options::DIRECTORY_FILE
                } else {
                    create_options::NON_DIRECTORY_FILE
                };
                let delete = || {
                    open_request(
                        remove_path.clone(),
                        access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                        disposition::OPEN,
                        options,
                    )
                };
                if hiding_places.is_none() {
                    // Opened, marked delete-pending and closed in one round trip; a read-only
                    // file (STATUS_CANNOT_DELETE) takes the long way below.
                    match tree
                        .set_info_on(
                            delete(),
                            FILE_DISPOSITION_INFORMATION,
                            disposition_information(true),
                        )
                        .await
                    {
                        Err(error)
                            if !directory
                                && error.status() == Some(NtStatus::STATUS_CANNOT_DELETE) => {}
                        outcome => return outcome.map_err(|error| errno(&error)),
                    }
                }
                let file = open(&tree, delete()).await?;
                let moved = match &hiding_places {
                    Some(places) => move_aside(&file, places).await,
                    None => None,
                };
                let deleted_path = moved.unwrap_or(remove_path);
                let marked = mark_deleted(&tree, &deleted_path, &file, directory).await;
                let closed = file.close().await;
                marked.map_err(|error| errno(&error))?;
                closed.map_err(|error| errno(&error))
            },
            move |outcome| match outcome {
                Ok(()) => {
                    lock(&state.inodes).remove(&path);
                    state.forget_listing(&path);
                    state.remember_absent(path);
                    reply.ok();
                }
                Err(errno) => reply.error(errno),
            },
        );
    }
}

impl DriveState {
    /// Takes the lease breaks of `tree`'s connection from now on, until the drive is gone
    /// (or forced away).
    pub(crate) fn watch_lease_breaks(self: &Arc<Self>, tree: &Tree) {
        let mut breaks = tree.session().lease_breaks();
        let state = Arc::downgrade(self);
        let mut aborted = self.abort.subscribe();
        let tree = tree.clone();
        self.runtime.spawn(async move {
            loop {
                let lease_break = tokio::select! {
                    lease_break = breaks.recv() => lease_break,
                    changed = aborted.changed() => {
                        if changed.is_err() || *aborted.borrow() {
                            return;
                        }
                        continue;
                    }
                };
                let Some(lease_break) = lease_break else {
                    return; // the connection is gone
                };
                let Some(state) = Weak::upgrade(&state) else {
                    return;
                };
                // Each break on its own: one that waits for writes holds up no other.
                tokio::spawn(state.lease_broken(tree.clone(), lease_break));
            }
        });
    }

    /// Gives back what a break takes: the writes held back first when WRITE goes, the
    /// caches when READ goes; then acknowledges it.
    async fn lease_broken(self: Arc<Self>, tree: Tree, lease_break: LeaseBreak) {
        let Some(ino) = self.lease_keys.ino(&lease_break.key) else {
            return; // another mount's lease on the same connection
        };
        let new_state = lease_break.new_state;
        tracing::debug!(
            ino,
            current = lease_break.current_state,
            new_state,
            "lease break"
        );
        if let Some(file) = self.file_state(ino) {
            file.set_lease(new_state);
            if new_state & lease_state::READ == 0 {
                self.changed_elsewhere(ino);
            }
            if new_state & lease_state::WRITE == 0
                && let Err(errno) = file.barrier(None).await
            {
                tracing::debug!(ino, ?errno, "writes held back failed at a lease break");
            }
        }
        if lease_break.ack_required
            && let Err(error) = tree
                .acknowledge_lease_break(lease_break.key, new_state)
                .await
        {
            tracing::debug!(ino, %error, "lease break acknowledgment failed");
        }
    }

    /// Another client changed the file `ino`: nothing cached of it answers again, in the
    /// drive or in the kernel.
    fn changed_elsewhere(&self, ino: u64) {
        self.changed(ino);
        if let Some(notifier) = self.notifier.get() {
            // The kernel may have forgotten the inode already: nothing to drop then.
            let _ = notifier.inval_inode(INodeNo(ino), 0, 0);
        }
    }

    /// Lets the drive tell the kernel what to drop (see [`DriveState::changed_elsewhere`]).
    pub(crate) fn set_notifier(&self, notifier: fuser::Notifier) {
        let _ = self.notifier.set(notifier);
    }

    /// Where a file the mount has open goes when its name is unlinked or replaced, best
    /// first: a hidden name in the share's root (so that its directory can be removed), else
    /// in its own directory. `None` when no descriptor has `path` open.
    fn hiding_places_if_open(&self, path: &str) -> Option<Vec<String>> {
        let ino = lock(&self.inodes).find(path)?;
        // Open through a descriptor, or still closing in the background.
        if !self.file_state(ino).is_some_and(|file| file.is_open()) {
            return None;
        }
        let since_epoch = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let tag = format!(
            "{UNLINKED_PREFIX}{:x}-{:x}-{:x}",
            std::process::id(),
            since_epoch.as_nanos() & 0xffff_ffff_ffff,
            self.unlinked.fetch_add(1, Ordering::Relaxed)
        );
        let parent = parent_of(path);
        let mut places = vec![tag.clone()];
        if !parent.is_empty() {
            places.push(child_path(parent, &tag));
        }
        Some(places)
    }
}

/// chmod and touch by name: the mode's READONLY bit and the times set in one compound round
/// trip (CREATE, SET_INFO, CLOSE), from the attributes `current`ly known (a stat first when
/// none are). Returns the attributes the file has now.
async fn set_basic_by_path(
    tree: &Tree,
    path: &str,
    current: Option<FileAttributes>,
    mode: Option<u32>,
    atime: u64,
    mtime: u64,
) -> Result<FileAttributes, Errno> {
    let current = match current {
        Some(current) => current,
        None => tree.stat(path).await.map_err(|error| errno(&error))?,
    };
    let basic = BasicInformation {
        last_access_time: atime,
        last_write_time: mtime,
        attributes: mode
            .and_then(|mode| attributes_for_mode(&current, mode))
            .unwrap_or(0),
        ..BasicInformation::default()
    };
    if basic == BasicInformation::default() {
        return Ok(current);
    }
    tree.set_info_by_path(
        path,
        access::FILE_WRITE_ATTRIBUTES | access::SYNCHRONIZE,
        FILE_BASIC_INFORMATION,
        basic.encode(),
    )
    .await
    .map_err(|error| errno(&error))?;
    Ok(with_basic(current, &basic))
}

/// `attributes` after `basic` was set on the file: what it set changed, the change time is
/// now.
fn with_basic(mut attributes: FileAttributes, basic: &BasicInformation) -> FileAttributes {
    if basic.attributes != 0 {
        attributes.attributes = basic.attributes;
    }
    if basic.last_access_time != 0 {
        attributes.last_access_time = basic.last_access_time;
    }
    if basic.last_write_time != 0 {
        attributes.last_write_time = basic.last_write_time;
    }
    attributes.change_time = to_filetime(SystemTime::now());
    attributes
}

/// Moves the file at `path` (replaced by a rename while the mount has it open) to the first
/// of `places` that takes it and marks it delete-pending; left where it is when none does
/// (the rename then replaces it as the server sees fit).
async fn hide(tree: &Tree, path: &str, places: &[String]) {
    let Ok(file) = tree
        .create(open_request(
            path.to_owned(),
            access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
            disposition::OPEN,
            create_options::NON_DIRECTORY_FILE,
        ))
        .await
    else {
        return;
    };
    if let Some(place) = move_aside(&file, places).await
        && let Err(error) = mark_deleted(tree, &place, &file, false).await
    {
        tracing::debug!(%error, place, "a hidden replaced file stays");
    }
    let _ = file.close().await;
}

/// Renames `file` (open with DELETE access) to the first of `places` that takes it, and
/// returns where it went; `None` when none did.
async fn move_aside(file: &OpenFile, places: &[String]) -> Option<String> {
    for place in places {
        match file.rename(place, false).await {
            Ok(()) => return Some(place.clone()),
            Err(error) => tracing::debug!(%error, place, "cannot move an open file aside there"),
        }
    }
    None
}

/// Marks `file`, open for deletion at `path`, delete-pending; a file with the READONLY
/// attribute has it cleared first (see [`delete_read_only`]).
async fn mark_deleted(
    tree: &Tree,
    path: &str,
    file: &OpenFile,
    directory: bool,
) -> Result<(), wnet_smb2::Error> {
    match file.set_delete_pending(true).await {
        Err(error) if !directory && error.status() == Some(NtStatus::STATUS_CANNOT_DELETE) => {
            delete_read_only(tree, path, file).await
        }
        marked => marked,
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
    /// Records a descriptor of `ino` open through `file` (whose CREATE answer is dated
    /// `fetched_at`, and granted `lease`) and returns its FUSE handle. The file's shared
    /// state is made with its first descriptor.
    fn register(
        &self,
        ino: u64,
        file: OpenFile,
        writable: bool,
        fetched_at: u64,
        lease: u32,
    ) -> u64 {
        let file_state = {
            let mut files = lock(&self.files);
            if let Some(existing) = files.get(&ino) {
                existing.reported(file.attributes, fetched_at);
                Arc::clone(existing)
            } else {
                let made = Arc::new(FileState::new(
                    file.attributes.end_of_file,
                    Arc::clone(&self.clock),
                    WriteOptions {
                        chunk: WRITE_CHUNK
                            .min(self.tree().max_write_size() as usize)
                            .max(4096),
                        write_through: self.options.write_through,
                    },
                    &self.runtime,
                    self.abort.subscribe(),
                ));
                files.insert(ino, Arc::clone(&made));
                made
            }
        };
        file_state.set_lease(lease);
        file_state.opened();
        let handle = Handle::new(ino, file, file_state, writable);
        let fh = self.new_handle();
        lock(&self.handles).insert(fh, Arc::new(handle));
        fh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_no_posix_directory_can_hold_are_not_listed() {
        for name in ["a.txt", "with space", "café ☕", &"n".repeat(255)] {
            assert!(listable(name), "{name}");
        }
        for name in [
            "",
            ".",
            "..",
            "a/b",
            "../../etc/passwd",
            "a\\b",
            "nul\0inside",
            &"n".repeat(256),
            ".wnet-unlinked-1-2-3",
        ] {
            assert!(!listable(name), "{name:?}");
        }
    }

    #[test]
    fn parents_and_name_limits() {
        assert_eq!(parent_of("a\\b\\c"), "a\\b");
        assert_eq!(parent_of("a"), "");
        assert_eq!(
            name_str(OsStr::new(&"n".repeat(256))),
            Err(Errno::ENAMETOOLONG)
        );
        assert_eq!(name_str(OsStr::new("a\\b")), Err(Errno::EINVAL));
        assert_eq!(name_str(OsStr::new("ok")), Ok("ok"));
    }
}
