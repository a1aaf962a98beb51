//! A LANA's session table: its sessions, each with the inbox its reader task fills.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use wnet_nbt::session::{SessionListener, SessionWriter};

use crate::nb30::{NCBNAMSZ, nrc, session_state};
use crate::outcome::Outcome;
use crate::sync::lock;

/// A local session number (`ncb_lsn`), 1 to 254.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lsn(pub(crate) u8);

/// What a session's reader has taken off the connection.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    pub(crate) messages: VecDeque<Vec<u8>>,
    /// How much of the first message earlier receives took.
    pub(crate) taken: usize,
    /// How the session ended, once it has: NRC_SCLOSED or NRC_SABORT.
    pub(crate) ended: Option<u8>,
}

/// One session of the table.
pub(crate) struct SessionEntry {
    pub(crate) lsn: u8,
    pub(crate) local_name: [u8; NCBNAMSZ],
    pub(crate) remote_name: [u8; NCBNAMSZ],
    pub(crate) outgoing: bool,
    pub(crate) peer: std::net::SocketAddrV4,
    pub(crate) rto: Option<Duration>,
    pub(crate) sto: Option<Duration>,
    pub(crate) writer: tokio::sync::Mutex<SessionWriter>,
    pub(crate) inbox: Mutex<Inbox>,
    /// Signalled when the reader took a message or the session ended.
    pub(crate) arrived: Arc<Notify>,
    /// Signalled when a receive made room in the inbox.
    pub(crate) room: Notify,
    /// The reader task, and the keep-alive task if there is one.
    pub(crate) tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl SessionEntry {
    pub(crate) fn state(&self) -> u8 {
        if lock(&self.inbox).ended.is_some() {
            session_state::SESSION_ABORTED
        } else {
            session_state::SESSION_ESTABLISHED
        }
    }

    /// Takes what fits in `room` bytes of the next message; `None` if nothing has arrived.
    pub(crate) fn take(&self, room: usize) -> Option<Outcome> {
        let mut inbox = lock(&self.inbox);
        let taken = inbox.taken;
        let Some(message) = inbox.messages.front() else {
            return inbox.ended.map(Outcome::code);
        };
        let rest = message.len() - taken;
        if rest > room {
            let part = message[taken..taken + room].to_vec();
            inbox.taken += room;
            return Some(Outcome::data(nrc::NRC_INCOMP, part));
        }
        let mut whole = inbox.messages.pop_front().unwrap_or_default();
        if taken > 0 {
            whole.drain(..taken);
        }
        inbox.taken = 0;
        self.room.notify_one();
        Some(Outcome::data(nrc::NRC_GOODRET, whole))
    }

    pub(crate) fn abort_tasks(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

/// A LANA's sessions, numbered 1 to 254.
#[derive(Default)]
pub(crate) struct Sessions {
    pub(crate) entries: BTreeMap<u8, Arc<SessionEntry>>,
    last_lsn: u8,
    /// Signalled when any session of the LANA receives (for NCBRECVANY).
    pub(crate) arrived: Arc<Notify>,
    pub(crate) listener: Option<Arc<SessionListener>>,
}

impl Sessions {
    pub(crate) fn next_lsn(&mut self) -> Option<Lsn> {
        let mut lsn = self.last_lsn;
        for _ in 0..254 {
            lsn = if lsn >= 254 { 1 } else { lsn + 1 };
            if !self.entries.contains_key(&lsn) {
                self.last_lsn = lsn;
                return Some(Lsn(lsn));
            }
        }
        None
    }
}
