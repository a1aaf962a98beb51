//! The network control block: nb30.h's `NCB`, and the shared handle through which a command
//! runs in the background (ASYNCH) while its submitter polls or waits.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::nb30::{NCBNAMSZ, nrc};
use crate::sync::lock;

/// nb30.h's `NCB`. The buffer is owned: `length` is `ncb_length`, the part of `buffer` the
/// command may use (a send's data, a receive's room); after a receive it is the number of
/// bytes received.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Ncb {
    /// `ncb_command`: a command code of [`crate::nb30::command`], optionally with
    /// [`crate::nb30::ASYNCH`].
    pub command: u8,
    /// `ncb_retcode`: the result, [`nrc::NRC_PENDING`] while an ASYNCH command runs.
    pub retcode: u8,
    /// `ncb_lsn`: the local session number.
    pub lsn: u8,
    /// `ncb_num`: the number of a local name.
    pub num: u8,
    /// `ncb_buffer`: the command's data.
    pub buffer: Vec<u8>,
    /// `ncb_length`: how much of `buffer` the command uses, or received.
    pub length: u16,
    /// `ncb_callname`: the remote name (16 bytes, space padded, `*` for any).
    pub callname: [u8; NCBNAMSZ],
    /// `ncb_name`: the local name.
    pub name: [u8; NCBNAMSZ],
    /// `ncb_rto`: receive timeout in 500 ms units (0: none), set by NCBCALL and NCBLISTEN.
    pub rto: u8,
    /// `ncb_sto`: send timeout in 500 ms units (0: none).
    pub sto: u8,
    /// `ncb_lana_num`: the LANA the command runs on.
    pub lana_num: u8,
    /// `ncb_cmd_cplt`: [`nrc::NRC_PENDING`] while the command runs, then its result.
    pub cmd_cplt: u8,
    /// NCBCHAINSEND's second buffer (Windows passes its length and address in
    /// `ncb_callname`).
    pub chain_buffer: Vec<u8>,
    /// NCBCANCEL's target (Windows passes its address in `ncb_buffer`).
    pub cancel_target: Option<SharedNcb>,
}

impl Ncb {
    /// A zeroed NCB, as `NCB()` and `Reset()` make.
    pub fn new() -> Ncb {
        Ncb::default()
    }

    /// An NCB for `command` on `lana`.
    pub fn with_command(command: u8, lana: u8) -> Ncb {
        Ncb {
            command,
            lana_num: lana,
            ..Ncb::default()
        }
    }

    /// Sets `buffer` to `data` and `length` to its length (at most 65,535 bytes).
    pub fn set_buffer(&mut self, data: Vec<u8>) {
        self.length = u16::try_from(data.len()).unwrap_or(u16::MAX);
        self.buffer = data;
    }

    /// The part of the buffer the command may use: `buffer[..length]`, cut to the buffer.
    pub fn data(&self) -> &[u8] {
        let end = usize::from(self.length).min(self.buffer.len());
        &self.buffer[..end]
    }
}

impl fmt::Debug for Ncb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ncb")
            .field("command", &format_args!("{:#04x}", self.command))
            .field("retcode", &format_args!("{:#04x}", self.retcode))
            .field("lsn", &self.lsn)
            .field("num", &self.num)
            .field("length", &self.length)
            .field("buffer_len", &self.buffer.len())
            .field("callname", &String::from_utf8_lossy(&self.callname))
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("rto", &self.rto)
            .field("sto", &self.sto)
            .field("lana_num", &self.lana_num)
            .field("cmd_cplt", &format_args!("{:#04x}", self.cmd_cplt))
            .finish_non_exhaustive()
    }
}

/// Pads `text` with spaces to a 16-byte NCB name field (longer text is cut).
pub fn name_field(text: &[u8]) -> [u8; NCBNAMSZ] {
    let mut field = [b' '; NCBNAMSZ];
    let count = text.len().min(NCBNAMSZ);
    field[..count].copy_from_slice(&text[..count]);
    field
}

/// How a command gets the bytes of its NCB's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Data {
    /// It does not read them (it fills the buffer when it completes).
    None,
    /// A copy (the caller may read the NCB while the command runs).
    Copy,
    /// The buffer itself, given back when the command completes (the caller waits).
    Borrow,
}

type Post = Box<dyn FnMut(&Ncb) + Send>;

struct Slot {
    ncb: Mutex<Ncb>,
    done: Condvar,
    cancel_requested: AtomicBool,
    cancel: tokio::sync::Notify,
    post: Mutex<Option<Post>>,
}

/// An NCB that a command can run on in the background: the caller keeps a clone, reads the
/// fields while the command runs ([`nrc::NRC_PENDING`]) and waits for completion, as Windows'
/// `ncb_event`/`ncb_post` allow.
#[derive(Clone)]
pub struct SharedNcb {
    slot: Arc<Slot>,
}

impl SharedNcb {
    /// Shares `ncb`.
    pub fn new(ncb: Ncb) -> SharedNcb {
        SharedNcb {
            slot: Arc::new(Slot {
                ncb: Mutex::new(ncb),
                done: Condvar::new(),
                cancel_requested: AtomicBool::new(false),
                cancel: tokio::sync::Notify::new(),
                post: Mutex::new(None),
            }),
        }
    }

    /// The NCB, to read or set fields (not while a command runs on it: the command writes its
    /// results when it completes).
    pub fn lock(&self) -> MutexGuard<'_, Ncb> {
        // An NCB holds plain values; one left half-written by a panic is still readable.
        lock(&self.slot.ncb)
    }

    /// A copy of the NCB as it is now.
    pub fn snapshot(&self) -> Ncb {
        self.lock().clone()
    }

    /// The NCB, taken out (a zeroed NCB is left in its place).
    pub fn take(&self) -> Ncb {
        std::mem::take(&mut *self.lock())
    }

    /// What a command needs of the NCB: every field, `length` cut to the buffer, and the
    /// buffer's bytes only when `with_data` (commands that send them); the others write into
    /// the NCB's own buffer when they complete.
    pub(crate) fn request(&self, with_data: Data) -> Ncb {
        let mut ncb = self.lock();
        let length = usize::from(ncb.length).min(ncb.buffer.len());
        let buffer = match with_data {
            Data::Copy => ncb.buffer[..length].to_vec(),
            // The caller waits and cannot look: the command borrows the buffer itself.
            Data::Borrow => std::mem::take(&mut ncb.buffer),
            Data::None => Vec::new(),
        };
        Ncb {
            command: ncb.command,
            retcode: ncb.retcode,
            lsn: ncb.lsn,
            num: ncb.num,
            buffer,
            length: length as u16,
            callname: ncb.callname,
            name: ncb.name,
            rto: ncb.rto,
            sto: ncb.sto,
            lana_num: ncb.lana_num,
            cmd_cplt: ncb.cmd_cplt,
            chain_buffer: if with_data == Data::None {
                Vec::new()
            } else {
                ncb.chain_buffer.clone()
            },
            cancel_target: ncb.cancel_target.clone(),
        }
    }

    /// Whether a command is running on it.
    pub fn is_pending(&self) -> bool {
        self.lock().cmd_cplt == nrc::NRC_PENDING
    }

    /// Waits until no command runs on it; returns `ncb_cmd_cplt`.
    pub fn wait(&self) -> u8 {
        let mut ncb = self.lock();
        while ncb.cmd_cplt == nrc::NRC_PENDING {
            ncb = self
                .slot
                .done
                .wait(ncb)
                .unwrap_or_else(PoisonError::into_inner);
        }
        ncb.cmd_cplt
    }

    /// Waits at most `timeout`; `None` if the command still runs.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<u8> {
        let deadline = Instant::now() + timeout;
        let mut ncb = self.lock();
        while ncb.cmd_cplt == nrc::NRC_PENDING {
            let left = deadline.checked_duration_since(Instant::now())?;
            ncb = self
                .slot
                .done
                .wait_timeout(ncb, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Some(ncb.cmd_cplt)
    }

    /// Sets the completion routine (`ncb_post`): called on the completing thread with the
    /// finished NCB, after the fields are written and waiters woken.
    pub fn set_post(&self, post: impl FnMut(&Ncb) + Send + 'static) {
        *lock(&self.slot.post) = Some(Box::new(post));
    }

    /// Whether `self` and `other` are the same NCB.
    pub fn same(&self, other: &SharedNcb) -> bool {
        Arc::ptr_eq(&self.slot, &other.slot)
    }

    /// Marks the NCB pending, as a command starts on it.
    pub(crate) fn begin(&self) {
        self.slot.cancel_requested.store(false, Ordering::SeqCst);
        let mut ncb = self.lock();
        ncb.retcode = nrc::NRC_PENDING;
        ncb.cmd_cplt = nrc::NRC_PENDING;
    }

    /// Writes a finished command's results and wakes whoever waits.
    pub(crate) fn complete(&self, finish: impl FnOnce(&mut Ncb), code: u8) {
        let mut post = lock(&self.slot.post);
        let finished = {
            let mut ncb = self.lock();
            finish(&mut ncb);
            ncb.retcode = code;
            ncb.cmd_cplt = code;
            // A copy for the completion routine only when there is one.
            post.is_some().then(|| ncb.clone())
        };
        self.slot.done.notify_all();
        if let (Some(post), Some(finished)) = (post.as_mut(), finished) {
            post(&finished);
        }
    }

    /// Asks the running command to stop with NRC_CMDCAN.
    pub(crate) fn request_cancel(&self) {
        self.slot.cancel_requested.store(true, Ordering::SeqCst);
        self.slot.cancel.notify_waiters();
    }

    /// Resolves when a cancel has been asked for (at once if it already was).
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.slot.cancel.notified();
            if self.slot.cancel_requested.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

impl fmt::Debug for SharedNcb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the NCB itself: a cancel target inside it could lead back here.
        f.debug_struct("SharedNcb")
            .field("pending", &self.is_pending())
            .finish_non_exhaustive()
    }
}

impl PartialEq for SharedNcb {
    fn eq(&self, other: &SharedNcb) -> bool {
        self.same(other)
    }
}

impl Eq for SharedNcb {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_wakes_waiters_and_calls_post() {
        let shared = SharedNcb::new(Ncb::with_command(0x33, 0));
        shared.begin();
        assert!(shared.is_pending());
        assert_eq!(shared.wait_timeout(Duration::from_millis(10)), None);
        let (tx, rx) = std::sync::mpsc::channel();
        shared.set_post(move |ncb| tx.send(ncb.retcode).unwrap());
        let waiter = {
            let shared = shared.clone();
            std::thread::spawn(move || shared.wait())
        };
        shared.complete(|ncb| ncb.lsn = 4, nrc::NRC_CMDTMO);
        assert_eq!(waiter.join().unwrap(), nrc::NRC_CMDTMO);
        assert_eq!(rx.recv().unwrap(), nrc::NRC_CMDTMO);
        assert_eq!(shared.lock().lsn, 4);
        assert!(!shared.is_pending());
    }

    #[test]
    fn name_fields_are_space_padded_and_cut() {
        assert_eq!(&name_field(b"ECHO"), b"ECHO            ");
        assert_eq!(&name_field(&[b'A'; 20]), &[b'A'; 16]);
    }
}
