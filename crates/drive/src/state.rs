//! The drive's state behind the FUSE file system: the share's tree, the inode table with its
//! dated attributes, directory listings and names known absent, the open files' shared state,
//! lease keys, and the operations on the server that keep them coherent (open with a lease,
//! resize, rename, delete and hide a file still open).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use fuser::{Errno, FileAttr, FileHandle, INodeNo};
use tokio::sync::watch;
use wnet_smb2::client::OpenFile;
use wnet_smb2::client::{LeaseBreak, LinkTargetObserver};
use wnet_smb2::wire::file_info::{BasicInformation, FILE_BASIC_INFORMATION};
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
use crate::inodes::{Dated, InodeTable, child_path};
use crate::leases::LeaseKeys;
use crate::reopen::FileCell;

/// The size writes are gathered to.
pub(crate) const WRITE_CHUNK: usize = 1 << 20;

/// At most this many paths are remembered as absent (the oldest go first).
pub(crate) const MAX_ABSENT: usize = 16_384;

/// The longest name a directory entry may have, in bytes (NAME_MAX).
pub(crate) const NAME_MAX: usize = 255;

/// Names the drive gives files unlinked while open (see
/// [`DriveState::hiding_places_if_open`]); never listed or looked up through the mount.
pub(crate) const UNLINKED_PREFIX: &str = ".wnet-unlinked-";

/// A directory's listing, as one QUERY_DIRECTORY walk returned it.
pub(crate) struct ListingData {
    pub(crate) entries: Vec<(String, FileAttributes)>,
    /// When the walk was asked for, on the drive's clock.
    pub(crate) fetched_at: u64,
    /// The entries' names in lower case, made at the first lookup that asks.
    pub(crate) names: OnceLock<HashSet<String>>,
}

impl ListingData {
    pub(crate) fn new(entries: Vec<(String, FileAttributes)>, fetched_at: u64) -> ListingData {
        ListingData {
            entries,
            fetched_at,
            names: OnceLock::new(),
        }
    }

    /// Whether the listing names `name` (SMB names ignore case).
    pub(crate) fn has(&self, name: &str) -> bool {
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

pub(crate) type Listing = Arc<ListingData>;

/// What the file system and its owner (the mounted [`crate::Drive`]) share.
pub(crate) struct DriveState {
    /// The share the operations run over; replaced when the agent reconnects it.
    pub(crate) tree: RwLock<Tree>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) options: DriveOptions,
    pub(crate) owner: Owner,
    pub(crate) inodes: Mutex<InodeTable>,
    pub(crate) handles: Mutex<HashMap<u64, Arc<Handle>>>,
    /// The SMB opens of the mount's files (by inode), descriptors and those still closing,
    /// to reopen on a new connection after a reconnection.
    pub(crate) cells: Mutex<Vec<(u64, Weak<FileCell>)>>,
    /// The shared state of each file the mount has open (by inode), kept until the kernel
    /// forgets the inode: the size it reports must stay the drive's own after a close too.
    pub(crate) files: Mutex<HashMap<u64, Arc<FileState>>>,
    pub(crate) clock: Arc<Clock>,
    /// Serial numbers of the names of files unlinked while open.
    pub(crate) unlinked: AtomicU64,
    pub(crate) lease_keys: LeaseKeys,
    /// Tells the kernel to drop what it cached of a file another client changed.
    pub(crate) notifier: OnceLock<fuser::Notifier>,
    pub(crate) directories: Mutex<HashMap<u64, (u64, Listing)>>,
    pub(crate) listings: Mutex<HashMap<String, (Listing, Instant)>>,
    /// Bumped whenever a listing is forgotten: a listing taken across a bump is not kept.
    pub(crate) listings_generation: AtomicU64,
    /// Paths known not to exist, and since when (see [`DriveState::is_absent`]).
    pub(crate) absent: Mutex<HashMap<String, Instant>>,
    /// Changes made through the process's mounts of this share (see [`ShareChanges`]), and
    /// the count this mount's caches are up to.
    pub(crate) share_changes: Arc<AtomicU64>,
    pub(crate) share_changes_seen: AtomicU64,
    pub(crate) next_handle: AtomicU64,
    pub(crate) abort: watch::Sender<bool>,
    /// The sessions of the DFS link targets whose lease breaks the drive takes.
    pub(crate) link_sessions: Mutex<HashSet<u64>>,
    /// Told of each DFS link target before a file opens there (kept as long as the drive).
    pub(crate) link_observer: OnceLock<Arc<LinkTargetObserver>>,
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
    /// connection was lost), and reopens every durable open of the mount on it (see
    /// [`crate::reopen`]); files that cannot be reopened stay on the old connection, and fail.
    pub(crate) fn replace_tree(self: &Arc<Self>, tree: Tree) {
        let tree = tree.with_links_of(&self.tree());
        self.watch_lease_breaks(&tree);
        let reopen_on = tree.clone();
        *self.tree.write().unwrap_or_else(PoisonError::into_inner) = tree;
        {
            let mut listings = lock(&self.listings);
            self.listings_generation.fetch_add(1, Ordering::AcqRel);
            listings.clear();
        }
        let cells: Vec<(u64, Arc<FileCell>)> = {
            let mut cells = lock(&self.cells);
            cells.retain(|(_, cell)| cell.strong_count() > 0);
            cells
                .iter()
                .filter_map(|(ino, cell)| cell.upgrade().map(|cell| (*ino, cell)))
                .collect()
        };
        for (ino, cell) in cells {
            let state = Arc::clone(self);
            let tree = reopen_on.clone();
            self.runtime
                .spawn(async move { state.reopen(&tree, ino, &cell).await });
        }
    }

    /// Reopens the open in `cell` (of the file `ino`) on `tree`, or marks it lost; the file's
    /// lease is what the server grants the reopened open.
    async fn reopen(&self, tree: &Tree, ino: u64, cell: &FileCell) {
        cell.reopen_on(tree, |file| {
            if let Some(file_state) = self.file_state(ino) {
                file_state.set_lease(file.lease_state());
            }
        })
        .await;
    }
}

/// The count of changes made through each share the process has mounted, shared by all the
/// mounts of that share (a drive letter and the directory serving its UNC paths, say), so
/// that each knows when to stop trusting its caches. A share is named by its mount source
/// (`//server/share`), compared without case as SMB names are.
pub(crate) struct ShareChanges;

impl ShareChanges {
    /// The counter of `share`, made at its first mount, dropped with its last.
    fn of(share: &str) -> Arc<AtomicU64> {
        static SHARES: Mutex<Vec<(String, Weak<AtomicU64>)>> = Mutex::new(Vec::new());
        let key = share.to_lowercase();
        let mut shares = lock(&SHARES);
        shares.retain(|(_, counter)| counter.strong_count() > 0);
        if let Some(counter) = shares
            .iter()
            .find(|(name, _)| *name == key)
            .and_then(|(_, counter)| counter.upgrade())
        {
            return counter;
        }
        let counter = Arc::new(AtomicU64::new(0));
        shares.push((key, Arc::downgrade(&counter)));
        counter
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DriveState {
    pub(crate) fn new(
        tree: Tree,
        runtime: tokio::runtime::Handle,
        options: DriveOptions,
        owner: Owner,
        share: &str,
    ) -> DriveState {
        let share_changes = ShareChanges::of(share);
        let seen = share_changes.load(Ordering::Acquire);
        DriveState {
            tree: RwLock::new(tree),
            runtime,
            options,
            owner,
            inodes: Mutex::new(InodeTable::new()),
            handles: Mutex::new(HashMap::new()),
            cells: Mutex::new(Vec::new()),
            files: Mutex::new(HashMap::new()),
            clock: Arc::new(Clock::default()),
            unlinked: AtomicU64::new(1),
            lease_keys: LeaseKeys::new(),
            notifier: OnceLock::new(),
            directories: Mutex::new(HashMap::new()),
            listings: Mutex::new(HashMap::new()),
            listings_generation: AtomicU64::new(0),
            absent: Mutex::new(HashMap::new()),
            share_changes,
            share_changes_seen: AtomicU64::new(seen),
            next_handle: AtomicU64::new(1),
            abort: watch::channel(false).0,
            link_sessions: Mutex::new(HashSet::new()),
            link_observer: OnceLock::new(),
        }
    }

    pub(crate) fn is_aborted(&self) -> bool {
        *self.abort.borrow()
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.options.attribute_timeout
    }

    pub(crate) fn new_handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn path(&self, ino: INodeNo) -> Result<String, Errno> {
        lock(&self.inodes).path(ino.0).ok_or(Errno::ENOENT)
    }

    pub(crate) fn attr(&self, ino: u64, attributes: &FileAttributes) -> FileAttr {
        file_attr(ino, attributes, self.owner)
    }

    /// The open file behind a FUSE file handle.
    pub(crate) fn handle(&self, fh: FileHandle) -> Option<Arc<Handle>> {
        lock(&self.handles).get(&fh.0).cloned()
    }

    /// The open files of the mount.
    pub(crate) fn open_files(&self) -> usize {
        lock(&self.handles).len()
    }

    /// The open descriptors of `ino`.
    pub(crate) fn handles_of(&self, ino: u64) -> Vec<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .filter(|handle| handle.ino == ino)
            .cloned()
            .collect()
    }

    /// An open descriptor of `ino` that may write (and so set attributes and the size).
    pub(crate) fn writable_handle(&self, ino: u64) -> Option<Arc<Handle>> {
        lock(&self.handles)
            .values()
            .find(|handle| handle.ino == ino && handle.is_writable())
            .cloned()
    }

    /// The descriptor to work on `ino` through: the caller's, else any open one (the file
    /// may have lost its name: unlinked while open).
    pub(crate) fn handle_for(&self, ino: u64, fh: Option<FileHandle>) -> Option<Arc<Handle>> {
        fh.and_then(|fh| self.handle(fh))
            .filter(|handle| handle.ino == ino)
            .or_else(|| lock(&self.handles).values().find(|h| h.ino == ino).cloned())
    }

    /// The shared state of `ino`, if the mount has had it open.
    pub(crate) fn file_state(&self, ino: u64) -> Option<Arc<FileState>> {
        lock(&self.files).get(&ino).cloned()
    }

    /// The tick to date a request to the server with, before it is sent.
    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Attributes of `ino` from a server's answer, as the drive reports them: with its own
    /// size where the answer may predate the drive's changes. Cached attributes are reported
    /// again at every use, so that a change made after they were cached is never hidden by
    /// them.
    pub(crate) fn reported(&self, ino: u64, dated: Dated) -> FileAttributes {
        match self.file_state(ino) {
            Some(file) => file.reported(dated.attributes, dated.fetched_at),
            None => dated.attributes,
        }
    }

    /// Drops what every descriptor of `ino` read ahead.
    pub(crate) fn forget_read_ahead_of(&self, ino: u64) {
        for handle in self.handles_of(ino) {
            handle.forget_read_ahead();
        }
    }

    /// The file `ino` was truncated, extended or re-created at `size` on the server: its
    /// state says so and no descriptor reads ahead from before.
    pub(crate) fn resized(&self, ino: u64, size: u64) {
        if let Some(file) = self.file_state(ino) {
            file.resized(size);
        }
        self.forget_read_ahead_of(ino);
    }

    /// The file `ino` changed through the mount: what was read ahead of it and what is
    /// cached of its attributes and its directory's listing are dropped.
    pub(crate) fn changed(&self, ino: u64) {
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

    /// `directory`'s names changed through the mount: its listing is forgotten (every change
    /// passes here or by [`DriveState::forget_listings_under`]).
    pub(crate) fn forget_listing(&self, directory: &str) {
        self.note_change();
        let mut listings = lock(&self.listings);
        self.listings_generation.fetch_add(1, Ordering::AcqRel);
        listings.remove(directory);
    }

    /// Tells the process's other mounts of the share that this one changed it. Changes they
    /// made before, which this mount has not caught up with, are caught up with now.
    fn note_change(&self) {
        let before = self.share_changes.fetch_add(1, Ordering::AcqRel);
        if self.share_changes_seen.swap(before + 1, Ordering::AcqRel) != before {
            self.forget_metadata();
        }
    }

    /// Drops what this mount cached of the share's names and attributes when another mount
    /// of the share in this process changed it since: a file made through drive X: is seen
    /// at once by its UNC path, as Windows' one redirector shows it. Called before an
    /// operation answers from those caches.
    pub(crate) fn catch_up_with_the_share(&self) {
        let current = self.share_changes.load(Ordering::Acquire);
        if self.share_changes_seen.swap(current, Ordering::AcqRel) != current {
            self.forget_metadata();
        }
    }

    /// Forgets every listing, absent name and cached attribute.
    fn forget_metadata(&self) {
        {
            let mut listings = lock(&self.listings);
            self.listings_generation.fetch_add(1, Ordering::AcqRel);
            listings.clear();
        }
        lock(&self.absent).clear();
        lock(&self.inodes).invalidate_all();
    }

    /// Whether `path` was found not to exist (or removed through the mount) less than the
    /// attribute timeout ago.
    pub(crate) fn is_absent(&self, path: &str) -> bool {
        lock(&self.absent)
            .get(path)
            .is_some_and(|at| at.elapsed() < self.ttl())
    }

    /// Remembers that `path` does not exist, for the attribute timeout.
    pub(crate) fn remember_absent(&self, path: String) {
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
    pub(crate) fn forget_absent(&self, path: &str) {
        lock(&self.absent).remove(path);
    }

    /// A directory was moved to `path`: neither it nor anything below it is absent.
    pub(crate) fn forget_absent_under(&self, path: &str) {
        let prefix = format!("{path}\\");
        let mut absent = lock(&self.absent);
        absent.remove(path);
        if !absent.is_empty() {
            absent.retain(|absent, _| !absent.starts_with(&prefix));
        }
    }

    /// The listing of `directory`, if one was taken less than the directory timeout ago.
    pub(crate) fn fresh_listing(&self, directory: &str) -> Option<Listing> {
        lock(&self.listings)
            .get(directory)
            .filter(|(_, at)| at.elapsed() < self.options.directory_timeout)
            .map(|(listing, _)| Arc::clone(listing))
    }

    /// Forgets the listings of `directory` and of every directory below it (it moved or was
    /// replaced: a new directory of that name must not be answered with its listing).
    pub(crate) fn forget_listings_under(&self, directory: &str) {
        self.note_change();
        let prefix = format!("{directory}\\");
        let mut listings = lock(&self.listings);
        self.listings_generation.fetch_add(1, Ordering::AcqRel);
        listings.retain(|path, _| path != directory && !path.starts_with(&prefix));
    }
}

impl DriveState {
    /// Has `tree` tell the drive of each DFS link target its paths go to, whose lease breaks
    /// the drive then takes too (once per session), before any file opens there.
    pub(crate) fn watch_link_targets(self: &Arc<Self>, tree: &Tree) {
        let observer = self.link_observer.get_or_init(|| {
            let state = Arc::downgrade(self);
            Arc::new(move |target: &Tree| {
                let Some(state) = Weak::upgrade(&state) else {
                    return;
                };
                if lock(&state.link_sessions).insert(target.session().id()) {
                    state.watch_lease_breaks(target);
                }
            })
        });
        tree.observe_link_targets(observer);
    }

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
    pub(crate) async fn lease_broken(self: Arc<Self>, tree: Tree, lease_break: LeaseBreak) {
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
    pub(crate) fn changed_elsewhere(&self, ino: u64) {
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
    pub(crate) fn hiding_places_if_open(&self, path: &str) -> Option<Vec<String>> {
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
pub(crate) async fn set_basic_by_path(
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
pub(crate) fn with_basic(
    mut attributes: FileAttributes,
    basic: &BasicInformation,
) -> FileAttributes {
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
pub(crate) async fn hide(tree: &Tree, path: &str, places: &[String]) {
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
pub(crate) async fn move_aside(file: &OpenFile, places: &[String]) -> Option<String> {
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
pub(crate) async fn mark_deleted(
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
pub(crate) async fn delete_read_only(
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
    pub(crate) fn register(
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
        let cell = Arc::new(FileCell::new(
            file,
            self.abort.subscribe(),
            self.options.reconnect_wait,
        ));
        {
            let mut cells = lock(&self.cells);
            cells.retain(|(_, cell)| cell.strong_count() > 0);
            cells.push((ino, Arc::downgrade(&cell)));
        }
        let handle = Handle::new(ino, cell, file_state, writable);
        let fh = self.new_handle();
        lock(&self.handles).insert(fh, Arc::new(handle));
        fh
    }
}

/// The directory `path` is in (the root for the root's entries).
pub(crate) fn parent_of(path: &str) -> &str {
    path.rsplit_once('\\').map_or("", |(parent, _)| parent)
}

pub(crate) fn open_request(
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
