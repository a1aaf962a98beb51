//! The FUSE file system: every operation the kernel sends, answered over the share's SMB2
//! tree. Operations run as tasks on the agent's runtime, so a slow one holds up no other;
//! the FUSE threads only dispatch.

use std::ffi::OsStr;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use fuser::{
    Errno, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use wnet_smb2::client::OpenFile;
use wnet_smb2::wire::file_info::{
    BasicInformation, FILE_DISPOSITION_INFORMATION, FILE_RENAME_INFORMATION,
    disposition_information, rename_information,
};
use wnet_smb2::wire::lease::lease_state;
use wnet_smb2::wire::{CreateRequest, FileAttributes, access, create_options, disposition};
use wnet_smb2::{NtStatus, Tree};

use crate::attributes::{attributes_for_mode, to_filetime};
use crate::errno::errno;
use crate::inodes::{Dated, ROOT, child_path};
use crate::leases::wanted;
use crate::state::{
    DriveState, Listing, ListingData, NAME_MAX, UNLINKED_PREFIX, hide, lock, mark_deleted,
    move_aside, open_request, set_basic_by_path,
};

/// The largest request the kernel is asked to send (its own limit may be lower).
const MAX_REQUEST: u32 = 1 << 20;
/// How files are opened: without the kernel's page cache (FOPEN_DIRECT_IO), so a read or
/// write of the caller's buffer is one request answered straight from (or into) it — the
/// page cache would only add a copy of every byte, and the drive reads ahead itself.
/// mmap still works where the kernel allows it with direct I/O (FUSE_DIRECT_IO_ALLOW_MMAP).
const FILE_OPEN_FLAGS: FopenFlags = FopenFlags::FOPEN_DIRECT_IO;
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

fn desired_access(flags: OpenFlags) -> (u32, bool) {
    let read = access::FILE_READ_DATA | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE;
    let write = access::FILE_WRITE_DATA | access::FILE_APPEND_DATA | access::FILE_WRITE_ATTRIBUTES;
    match flags.acc_mode() {
        OpenAccMode::O_RDONLY => (read, false),
        OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR => (read | write, true),
    }
}

async fn open(tree: &Tree, request: CreateRequest) -> Result<OpenFile, Errno> {
    tree.create(request).await.map_err(|error| errno(&error))
}

/// Opens a file asking for a lease under `key`, and with `durable` a durable handle (see
/// [`crate::reopen`]: asked for only where someone reconnects the drive, since the server
/// keeps a durable open of a lost connection for a minute, and with it what it knew of the
/// file). A server that refuses the lease key
/// (STATUS_INVALID_PARAMETER: Samba does so while the key still names a file deleted or
/// replaced behind the drive's back, whose last handle is closing) is asked again without
/// one: the open then says what became of the name.
async fn open_with_lease(
    tree: &Tree,
    request: CreateRequest,
    key: [u8; 16],
    wanted: u32,
    durable: bool,
) -> Result<OpenFile, Errno> {
    let opened = if durable {
        tree.create_durable_with_lease(request.clone(), key, wanted)
            .await
    } else {
        tree.create_with_lease(request.clone(), key, wanted).await
    };
    match opened {
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

    /// Answers that a name does not exist (a negative entry: inode 0) for the kernel not to
    /// keep: the drive remembers absent names itself (asking again costs no round trip to
    /// the server), and forgets them when another mount of the share in this process makes
    /// one (see [`DriveState::catch_up_with_the_share`]), which the kernel's copy would not.
    fn no_entry(state: &DriveState, reply: ReplyEntry) {
        reply.entry(
            &Duration::ZERO,
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
        self.state.catch_up_with_the_share();
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
        self.state.catch_up_with_the_share();
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
                    (Some(handle), _) => {
                        handle
                            .cell
                            .run(|file| async move { file.query_attributes().await })
                            .await
                    }
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
        self.state.catch_up_with_the_share();
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
                    (Some(handle), _) => (handle.file(), false),
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
        let (source, target, target_parent) = (from.clone(), to.clone(), to_parent.clone());
        spawn(
            &self.state,
            async move {
                if let Some(places) = hiding_places {
                    hide(&tree, &target, &places).await;
                }
                // The new name is given on the share the file is on: across DFS links, the
                // link's target. Both places are found first (a stat follows a link), and a
                // rename from one share to another is EXDEV.
                let name_there = if tree.is_dfs() {
                    let _ = tree.stat(&source).await;
                    let _ = tree.stat(&target_parent).await;
                    let (from_tree, _) = tree.route_of(&source);
                    let (to_tree, name_there) = tree.route_of(&target);
                    if !from_tree.is_same_tree(&to_tree) {
                        return Err(Errno::EXDEV);
                    }
                    name_there
                } else {
                    target.clone()
                };
                // Open, rename and close in one round trip.
                tree.set_info_by_path(
                    &source,
                    access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                    FILE_RENAME_INFORMATION,
                    rename_information(&name_there, replace),
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
        let durable = !state.options.reconnect_wait.is_zero();
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
                    durable,
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
            let closed = handle
                .cell
                .run(|file| async move { file.close_with_attributes().await })
                .await;
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
                        .cell
                        .run(|file| async move { file.zero_range(offset, end.min(size)).await })
                        .await
                        .map_err(|error| errno(&error))?;
                }
                if grows && end > size {
                    handle
                        .cell
                        .run(|file| async move { file.set_end_of_file(end).await })
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
                handle
                    .cell
                    .run(|file| async move { file.flush().await })
                    .await
                    .map_err(|error| errno(&error))
            },
            move |outcome| reply_empty(outcome, reply),
        );
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        self.state.catch_up_with_the_share();
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
        let durable = !state.options.reconnect_wait.is_zero();
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
                    durable,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::parent_of;

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
