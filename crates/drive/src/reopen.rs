//! Open files that outlive their connection.
//!
//! Every file is opened asking for a durable handle beside its lease. When the connection
//! behind the drive is lost and the agent connects the share again
//! ([`crate::Drive::reconnected`]), each durable open is reopened on the new tree and put in
//! its [`FileCell`], where every descriptor, read ahead and held-back write of it finds the
//! file. An operation that failed because the connection was lost waits — at most
//! [`crate::DriveOptions::reconnect_wait`], and not past a forced unmount — for its file to be
//! reopened, then runs once more on it; an open the server did not make durable, or that
//! could not be reopened, fails as before (EIO).

use std::future::Future;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use wnet_smb2::Tree;
use wnet_smb2::client::OpenFile;

/// How long an operation that lost its connection waits for its file to be reopened, unless
/// configured: the agent tries to reconnect every few seconds.
pub const DEFAULT_RECONNECT_WAIT: Duration = Duration::from_secs(30);

/// Where a [`FileCell`]'s file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Status {
    /// Bumped at each reopen.
    generation: u64,
    /// A reconnection could not reopen the file: it stays on its lost connection.
    lost: bool,
}

/// The SMB open behind one descriptor: replaced by its reopened self after a reconnection.
pub struct FileCell {
    file: RwLock<(OpenFile, u64)>,
    status: watch::Sender<Status>,
    aborted: watch::Receiver<bool>,
    wait: Duration,
}

impl std::fmt::Debug for FileCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCell")
            .field("file", &self.file().id())
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

/// Whether `error` says the connection the request went on is gone (not that the server
/// refused the request): the request may succeed on the file reopened elsewhere.
pub fn is_connection_lost(error: &wnet_smb2::Error, file: &OpenFile) -> bool {
    is_session_lost(error, file.tree().session())
}

/// Whether `error`, from a request of `session`, says its connection is gone: closed, or a
/// request timed out and the connection with it (the server was taken as gone).
pub fn is_session_lost(error: &wnet_smb2::Error, session: &wnet_smb2::Session) -> bool {
    match error {
        wnet_smb2::Error::Closed(_) => true,
        wnet_smb2::Error::Timeout { .. } => !session.is_connected(),
        _ => false,
    }
}

impl FileCell {
    /// The cell of `file`, opened just now. An operation that lost its connection waits up to
    /// `wait` for a reopen, and not past `aborted`.
    pub fn new(file: OpenFile, aborted: watch::Receiver<bool>, wait: Duration) -> FileCell {
        FileCell {
            file: RwLock::new((file, 0)),
            status: watch::channel(Status {
                generation: 0,
                lost: false,
            })
            .0,
            aborted,
            wait,
        }
    }

    /// The file as it is open now.
    pub fn file(&self) -> OpenFile {
        self.current().0
    }

    /// The file as it is open now, and its generation.
    fn current(&self) -> (OpenFile, u64) {
        self.file
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the server made the current open durable.
    pub fn is_durable(&self) -> bool {
        self.file().is_durable()
    }

    /// The file was reopened as `file` on a new connection: operations run on it from now on,
    /// and those waiting run again.
    pub fn reopened(&self, file: OpenFile) {
        let generation = {
            let mut current = self.file.write().unwrap_or_else(PoisonError::into_inner);
            current.0 = file;
            current.1 += 1;
            current.1
        };
        self.status.send_replace(Status {
            generation,
            lost: false,
        });
    }

    /// A reconnection could not reopen the file: operations that wait for it fail now.
    pub fn lost(&self) {
        self.status.send_modify(|status| status.lost = true);
    }

    /// Reopens the durable open in this cell on `tree`, a new connection of the share (the
    /// bounded retries of `reopen_with_retries`), and puts the reopened file in it once
    /// `prepare` has seen it; an open that is not durable, that the server will not reopen,
    /// or whose mount or channel ends meanwhile is marked [`FileCell::lost`]. Whether the file
    /// was reopened.
    pub async fn reopen_on(&self, tree: &Tree, prepare: impl FnOnce(&OpenFile)) -> bool {
        let old = self.file();
        if !old.is_durable() {
            self.lost();
            return false;
        }
        let mut aborted = self.aborted.clone();
        let reopened = tokio::select! {
            reopened = reopen_with_retries(tree, &old) => reopened,
            _ = aborted.wait_for(|&aborted| aborted) => {
                self.lost();
                return false;
            }
        };
        match reopened {
            Ok(file) => {
                tracing::debug!(lease = file.lease_state(), "durable handle reopened");
                prepare(&file);
                self.reopened(file);
                true
            }
            Err(error) => {
                tracing::info!(%error, "an open file could not be reopened: it fails");
                self.lost();
                false
            }
        }
    }

    /// Waits until the file is reopened past `generation` (true), or until it is known lost,
    /// the mount is forced away, or the wait runs out (false).
    async fn reopened_since(&self, generation: u64) -> bool {
        if self.wait.is_zero() {
            return false;
        }
        let mut status = self.status.subscribe();
        let mut aborted = self.aborted.clone();
        let reopened = async {
            status
                .wait_for(|status| status.generation > generation || status.lost)
                .await
                .is_ok_and(|status| status.generation > generation)
        };
        tokio::select! {
            reopened = tokio::time::timeout(self.wait, reopened) => reopened.unwrap_or(false),
            _ = aborted.wait_for(|&aborted| aborted) => false,
        }
    }

    /// Runs `operation` on the file; when it fails because the connection was lost and the
    /// open is durable, waits (bounded) for the file to be reopened and runs it once more on
    /// the reopened file. Other failures, and a file not reopened in time, are returned.
    pub async fn run<T, F, Fut>(&self, mut operation: F) -> Result<T, wnet_smb2::Error>
    where
        F: FnMut(OpenFile) -> Fut,
        Fut: Future<Output = Result<T, wnet_smb2::Error>>,
    {
        let (file, generation) = self.current();
        let durable = file.is_durable();
        match operation(file.clone()).await {
            Err(error) if durable && is_connection_lost(&error, &file) => {
                tracing::debug!(%error, "connection lost: waiting for the file to be reopened");
                if self.reopened_since(generation).await {
                    operation(self.file()).await
                } else {
                    Err(error)
                }
            }
            outcome => outcome,
        }
    }
}

/// A write's bytes for [`FileCell::run`]: the first attempt takes them; a second one (on the
/// file reopened after a lost connection, which only a durable open gets) takes a copy kept
/// for it, made only for a durable open.
#[derive(Debug)]
pub struct RetryBytes {
    data: Option<Vec<u8>>,
    kept: Option<Vec<u8>>,
    durable: bool,
}

impl RetryBytes {
    /// `data`, to be written to a file whose open is `durable` or not.
    pub fn new(data: Vec<u8>, durable: bool) -> RetryBytes {
        RetryBytes {
            data: Some(data),
            kept: None,
            durable,
        }
    }

    /// The bytes for the next attempt.
    pub fn take(&mut self) -> Vec<u8> {
        match self.data.take() {
            Some(bytes) if self.durable => {
                self.kept = Some(bytes.clone());
                bytes
            }
            Some(bytes) => bytes,
            None => self.kept.take().unwrap_or_default(),
        }
    }
}

/// How many times a reopen the server refuses is tried, and how long apart: a server that
/// has not yet seen the old connection go still holds the open (Samba answers
/// STATUS_OBJECT_NAME_NOT_FOUND until it has marked it disconnected).
const REOPEN_TRIES: u32 = 5;
const REOPEN_PAUSE: Duration = Duration::from_millis(200);

/// Reopens the durable `file` on `tree`, trying again (a bounded number of times) while the
/// server refuses with a status; a lost connection ends the tries at once.
async fn reopen_with_retries(tree: &Tree, file: &OpenFile) -> Result<OpenFile, wnet_smb2::Error> {
    let mut tries = 1;
    loop {
        match tree.reopen(file).await {
            Err(error) if error.status().is_some() && tries < REOPEN_TRIES => {
                tracing::debug!(%error, tries, "reopen refused: tried again");
                tries += 1;
                tokio::time::sleep(REOPEN_PAUSE).await;
            }
            outcome => return outcome,
        }
    }
}
