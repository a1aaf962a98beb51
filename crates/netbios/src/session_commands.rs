//! The session commands (NCBCALL, NCBLISTEN, NCBSEND, NCBCHAINSEND, NCBRECV, NCBRECVANY,
//! NCBHANGUP) over the NetBIOS session service, and NCBSSTAT over the LANA's session table.
//!
//! Each session has a reader task that takes whole messages off the connection into a small
//! inbox (a full inbox stops the reading, so a peer cannot make us buffer without end);
//! NCBRECV and NCBRECVANY take from the inboxes, a part at a time when the caller's buffer is
//! smaller than the message (NRC_INCOMP). Sends go straight to the connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use wnet_nbt::session::{CallError, ReceiveError, Session, SessionReader, SessionWriter};
use wnet_nbt::wire::NetbiosName;

use crate::lana::NetbiosConfig;
use crate::nb30::{ANY_NAME, NCBNAMSZ, Nrc, SessionBuffer, SessionHeader, nrc};
use crate::ncb::Ncb;
use crate::outcome::{Outcome, room, structured};
use crate::published::{self, PublishedSession};
use crate::session_table::{Inbox, Lsn, SessionEntry};
use crate::state::{LanaState, scoped, session_config};
use crate::sync::lock;

/// Messages a session's inbox holds before its reader waits.
const INBOX_MESSAGES: usize = 32;

/// Timeouts of NCB in 500 ms units; 0 is none.
fn timeout_of(units: u8) -> Option<Duration> {
    (units != 0).then(|| Duration::from_millis(500) * u32::from(units))
}

/// Sessions open on `name`.
pub(crate) fn sessions_of_name(state: &Arc<LanaState>, name: &[u8; NCBNAMSZ]) -> usize {
    lock(&state.sessions)
        .entries
        .values()
        .filter(|entry| &entry.local_name == name)
        .count()
}

/// Sessions open on the LANA.
pub(crate) fn open_sessions(state: &Arc<LanaState>) -> u8 {
    u8::try_from(lock(&state.sessions).entries.len()).unwrap_or(u8::MAX)
}

/// NCBSSTAT's header and session records for `name` (`*` for all).
fn session_buffers(
    state: &Arc<LanaState>,
    name: &[u8; NCBNAMSZ],
) -> (SessionHeader, Vec<[u8; SessionBuffer::SIZE]>) {
    let sessions = lock(&state.sessions);
    let records: Vec<[u8; SessionBuffer::SIZE]> = sessions
        .entries
        .values()
        .filter(|entry| name[0] == b'*' || &entry.local_name == name)
        .map(|entry| {
            SessionBuffer {
                lsn: entry.lsn,
                state: entry.state(),
                local_name: entry.local_name,
                remote_name: entry.remote_name,
                rcvs_outstanding: 0,
                sends_outstanding: 0,
            }
            .to_bytes()
        })
        .collect();
    let header = SessionHeader {
        num_sess: u8::try_from(records.len()).unwrap_or(u8::MAX),
        ..SessionHeader::default()
    };
    (header, records)
}

/// Hangs up every session of the LANA.
pub(crate) async fn hang_up_all(state: &Arc<LanaState>) {
    let entries: Vec<Arc<SessionEntry>> = {
        let mut sessions = lock(&state.sessions);
        std::mem::take(&mut sessions.entries)
            .into_values()
            .collect()
    };
    for entry in entries {
        close(&entry).await;
    }
    publish(state);
}

/// Ends a session taken off the table: pending receives see NRC_SCLOSED.
async fn close(entry: &Arc<SessionEntry>) {
    entry.abort_tasks();
    lock(&entry.inbox).ended.get_or_insert(nrc::NRC_SCLOSED);
    entry.arrived.notify_waiters();
    let mut writer = entry.writer.lock().await;
    writer.hang_up().await;
}

fn entry(state: &Arc<LanaState>, lsn: u8) -> Option<Arc<SessionEntry>> {
    lock(&state.sessions).entries.get(&lsn).cloned()
}

fn forget(state: &Arc<LanaState>, lsn: u8) {
    lock(&state.sessions).entries.remove(&lsn);
    publish(state);
}

/// Publishes the LANA's session table for `wnet nbtstat -s`.
fn publish(state: &Arc<LanaState>) {
    let sessions: Vec<PublishedSession> = lock(&state.sessions)
        .entries
        .values()
        .map(|entry| PublishedSession {
            pid: std::process::id(),
            lana: state.lana.number,
            lsn: entry.lsn,
            local_name: entry.local_name.to_vec(),
            remote_name: entry.remote_name.to_vec(),
            outgoing: entry.outgoing,
            remote: entry.peer,
        })
        .collect();
    published::publish(state.lana.number, &sessions);
}

/// An established session and who is at each end.
struct Established {
    reader: SessionReader,
    writer: SessionWriter,
    local_name: [u8; NCBNAMSZ],
    remote_name: [u8; NCBNAMSZ],
    outgoing: bool,
    peer: std::net::SocketAddrV4,
    keep_alive: Option<Duration>,
}

impl Established {
    fn new(
        session: Session,
        local_name: [u8; NCBNAMSZ],
        remote_name: [u8; NCBNAMSZ],
        outgoing: bool,
        keep_alive: Option<Duration>,
    ) -> Established {
        let peer = session.peer();
        let (reader, writer) = session.split();
        Established {
            reader,
            writer,
            local_name,
            remote_name,
            outgoing,
            peer,
            keep_alive,
        }
    }
}

/// Puts an established session in the table, starts its reader and publishes the table;
/// its number, or NRC_LOCTFUL when the table is full.
fn admit(state: &Arc<LanaState>, session: Established, request: &Ncb) -> Result<Lsn, Nrc> {
    let lsn = admit_entry(state, session, request)?;
    publish(state);
    Ok(lsn)
}

fn admit_entry(state: &Arc<LanaState>, session: Established, request: &Ncb) -> Result<Lsn, Nrc> {
    let Established {
        reader,
        writer,
        local_name,
        remote_name,
        outgoing,
        peer,
        keep_alive,
    } = session;
    let mut sessions = lock(&state.sessions);
    let limit = state
        .tables()
        .limits
        .map_or(0, |limits| usize::from(limits.sessions));
    if sessions.entries.len() >= limit {
        return Err(Nrc(nrc::NRC_LOCTFUL));
    }
    let Lsn(lsn) = sessions.next_lsn().ok_or(Nrc(nrc::NRC_LOCTFUL))?;
    let entry = Arc::new(SessionEntry {
        lsn,
        local_name,
        remote_name,
        outgoing,
        peer,
        rto: timeout_of(request.rto),
        sto: timeout_of(request.sto),
        writer: tokio::sync::Mutex::new(writer),
        inbox: Mutex::new(Inbox::default()),
        arrived: Arc::clone(&sessions.arrived),
        room: Notify::new(),
        tasks: Mutex::new(Vec::new()),
    });
    let mut tasks = vec![tokio::spawn(read_messages(Arc::clone(&entry), reader))];
    if let Some(interval) = keep_alive {
        tasks.push(tokio::spawn(send_keep_alives(
            Arc::downgrade(&entry),
            interval,
        )));
    }
    *lock(&entry.tasks) = tasks;
    sessions.entries.insert(lsn, entry);
    Ok(Lsn(lsn))
}

/// The keep-alive task: a SESSION KEEP ALIVE every `interval` (RFC 1002 §4.3.7), so that a
/// dead peer is noticed on an idle session, until the session ends.
async fn send_keep_alives(entry: std::sync::Weak<SessionEntry>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let Some(entry) = entry.upgrade() else {
            return;
        };
        if lock(&entry.inbox).ended.is_some() {
            return;
        }
        if entry.writer.lock().await.keep_alive().await.is_err() {
            return;
        }
    }
}

/// The reader task: whole messages into the inbox until the session ends.
async fn read_messages(entry: Arc<SessionEntry>, mut reader: SessionReader) {
    loop {
        loop {
            let room = entry.room.notified();
            if lock(&entry.inbox).messages.len() < INBOX_MESSAGES {
                break;
            }
            room.await;
        }
        let received = reader.receive().await;
        let mut inbox = lock(&entry.inbox);
        match received {
            Ok(message) => inbox.messages.push_back(message),
            Err(ReceiveError::Closed) => {
                inbox.ended.get_or_insert(nrc::NRC_SCLOSED);
            }
            Err(_) => {
                inbox.ended.get_or_insert(nrc::NRC_SABORT);
            }
        }
        let ended = inbox.ended.is_some();
        drop(inbox);
        entry.arrived.notify_waiters();
        if ended {
            return;
        }
    }
}

/// NCBCALL: a session from our name `ncb_name` to `ncb_callname`.
pub(crate) async fn call(config: &NetbiosConfig, state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    if state.tables().names.find(&request.name).is_none() {
        return Outcome::code(nrc::NRC_NOWILD);
    }
    if request.callname[0] == b'*' {
        return Outcome::code(nrc::NRC_NOWILD);
    }
    let literal = String::from_utf8_lossy(&request.callname)
        .trim_end_matches([' ', '\0'])
        .parse::<std::net::Ipv4Addr>()
        .ok();
    // A name written as an IPv4 address is called as *SMBSERVER, as Windows does.
    let called = if literal.is_some() {
        let mut name = [b' '; NCBNAMSZ];
        name[..10].copy_from_slice(b"*SMBSERVER");
        name
    } else {
        request.callname
    };
    let Some(address) = state.address_of(config, &request.callname).await else {
        return Outcome::code(nrc::NRC_NOCALL);
    };
    let target = std::net::SocketAddrV4::new(address, config.session_port);
    let session = wnet_nbt::session::call(
        &[target],
        &scoped(config, called),
        &scoped(config, request.name),
        &session_config(config),
    )
    .await;
    let session = match session {
        Ok(session) => session,
        Err(error) => return Outcome::code(call_error_code(&error)),
    };
    match admit(
        state,
        Established::new(
            session,
            request.name,
            called,
            true,
            config.session_keep_alive,
        ),
        request,
    ) {
        Ok(Lsn(lsn)) => Outcome {
            lsn: Some(lsn),
            ..Outcome::code(nrc::NRC_GOODRET)
        },
        Err(code) => Outcome::from(code),
    }
}

/// NCBLISTEN: waits for a call to our name `ncb_name` from `ncb_callname` (`*`: anyone);
/// the caller's name comes back in `ncb_callname`.
pub(crate) async fn listen(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
) -> Outcome {
    if state.tables().names.find(&request.name).is_none() {
        return Outcome::code(nrc::NRC_NOWILD);
    }
    let listener = match state.listener(config).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(
                lana = state.lana.number,
                "session service cannot start: {error}"
            );
            return Outcome::code(nrc::NRC_SYSTEM);
        }
    };
    let ours = NetbiosName::from_bytes(request.name);
    listener.add_name(ours);
    let caller = (request.callname[0] != b'*').then(|| NetbiosName::from_bytes(request.callname));
    let Ok(session) = listener.listen(ours, caller).await else {
        return Outcome::code(nrc::NRC_SABORT);
    };
    let remote = *session.calling_name().name.as_bytes();
    match admit(
        state,
        Established::new(
            session,
            request.name,
            remote,
            false,
            config.session_keep_alive,
        ),
        request,
    ) {
        Ok(Lsn(lsn)) => Outcome {
            lsn: Some(lsn),
            callname: Some(remote),
            ..Outcome::code(nrc::NRC_GOODRET)
        },
        Err(code) => Outcome::from(code),
    }
}

/// NCBSEND, NCBSENDNA (one buffer) and NCBCHAINSEND, NCBCHAINSENDNA (two, as one message).
pub(crate) async fn send(state: &Arc<LanaState>, request: &Ncb, chained: bool) -> Outcome {
    let Some(entry) = entry(state, request.lsn) else {
        return Outcome::code(nrc::NRC_SNUMOUT);
    };
    if let Some(ended) = lock(&entry.inbox).ended {
        forget(state, entry.lsn);
        return Outcome::code(ended);
    }
    let chained_message;
    let message: &[u8] = if chained {
        chained_message = [request.data(), &request.chain_buffer].concat();
        &chained_message
    } else {
        request.data()
    };
    let mut writer = entry.writer.lock().await;
    let sent = match entry.sto {
        Some(limit) => tokio::time::timeout(limit, writer.send(message))
            .await
            .map_err(|_| nrc::NRC_CMDTMO),
        None => Ok(writer.send(message).await),
    };
    drop(writer);
    match sent {
        Ok(Ok(())) => Outcome::code(nrc::NRC_GOODRET),
        // A send that times out or fails ends the session, as on Windows.
        Err(code) => {
            forget(state, entry.lsn);
            close(&entry).await;
            Outcome::code(code)
        }
        Ok(Err(_)) => {
            forget(state, entry.lsn);
            close(&entry).await;
            Outcome::code(nrc::NRC_SABORT)
        }
    }
}

/// NCBRECV: the next message (or the rest of one) of session `ncb_lsn`.
pub(crate) async fn receive(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    let Some(entry) = entry(state, request.lsn) else {
        return Outcome::code(nrc::NRC_SNUMOUT);
    };
    let room = room(request);
    let wait = async {
        loop {
            let arrived = entry.arrived.notified();
            if let Some(outcome) = entry.take(room) {
                return outcome;
            }
            arrived.await;
        }
    };
    let outcome = match entry.rto {
        Some(limit) => tokio::time::timeout(limit, wait)
            .await
            .unwrap_or_else(|_| Outcome::code(nrc::NRC_CMDTMO)),
        None => wait.await,
    };
    if outcome.code == nrc::NRC_SCLOSED || outcome.code == nrc::NRC_SABORT {
        forget(state, entry.lsn);
    }
    outcome
}

/// NCBRECVANY: the next message on any session of name number `ncb_num` (0xFF: of any name);
/// the session's number comes back in `ncb_lsn`.
pub(crate) async fn receive_any(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    let name = if request.num == ANY_NAME {
        None
    } else {
        match state.tables().names.by_number(request.num) {
            Some(entry) => Some((entry.name, entry.number)),
            None => return Outcome::code(nrc::NRC_ILLNN),
        }
    };
    let room = room(request);
    let arrived = Arc::clone(&lock(&state.sessions).arrived);
    loop {
        let notified = arrived.notified();
        let candidates: Vec<Arc<SessionEntry>> = lock(&state.sessions)
            .entries
            .values()
            .filter(|entry| name.is_none_or(|(bytes, _)| entry.local_name == bytes))
            .cloned()
            .collect();
        for entry in candidates {
            if let Some(outcome) = entry.take(room) {
                if outcome.code == nrc::NRC_SCLOSED || outcome.code == nrc::NRC_SABORT {
                    forget(state, entry.lsn);
                }
                let number = name.map_or_else(
                    || {
                        state
                            .tables()
                            .names
                            .find(&entry.local_name)
                            .map_or(0, |found| found.number)
                    },
                    |(_, number)| number,
                );
                return Outcome {
                    lsn: Some(entry.lsn),
                    num: Some(number),
                    ..outcome
                };
            }
        }
        notified.await;
    }
}

/// NCBHANGUP: ends session `ncb_lsn`; its pending receives see NRC_SCLOSED.
pub(crate) async fn hang_up(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    let Some(entry) = lock(&state.sessions).entries.remove(&request.lsn) else {
        return Outcome::code(nrc::NRC_SNUMOUT);
    };
    publish(state);
    close(&entry).await;
    Outcome::code(nrc::NRC_GOODRET)
}

/// The NRC code of a failed call.
fn call_error_code(error: &CallError) -> u8 {
    match error {
        CallError::Refused { code } if *code == 0x83 => nrc::NRC_REMTFUL,
        CallError::Refused { .. } | CallError::Connect(_) => nrc::NRC_NOCALL,
        CallError::Timeout => nrc::NRC_CMDTMO,
        _ => nrc::NRC_SABORT,
    }
}

/// NCBSSTAT: the sessions of the name in `ncb_name` (`*` for all names).
pub(crate) fn session_status(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    if room(request) < SessionHeader::SIZE {
        return Outcome::code(nrc::NRC_BUFLEN);
    }
    let number = if request.name[0] == b'*' {
        0
    } else {
        match state.tables().names.find(&request.name) {
            Some(entry) => entry.number,
            None => return Outcome::code(nrc::NRC_NOWILD),
        }
    };
    let (header, sessions) = session_buffers(state, &request.name);
    let header = SessionHeader {
        sess_name: number,
        ..header
    };
    let records: Vec<&[u8]> = sessions.iter().map(<[u8; 36]>::as_slice).collect();
    structured(request, &header.to_bytes(), &records)
}
