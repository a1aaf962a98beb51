//! The NetBIOS session service (RFC 1001 §16, RFC 1002 §4.3) over TCP: calling a name,
//! listening for calls to our names, and message-framed sessions.
//!
//! - [`call`] connects to a node, sends a SESSION REQUEST and follows RETARGET responses;
//! - [`SessionListener`] accepts connections on the session port and hands each request to
//!   the pending [`SessionListener::listen`] that matches its names, answering the others
//!   with the RFC's refusals (0x82 for a name we do not serve, 0x80 for one we serve but
//!   nobody listens on);
//! - a [`Session`] sends and receives whole messages (up to 131,071 bytes, the 17-bit length);
//!   split into a [`SessionReader`] and a [`SessionWriter`], both halves work at once.
//!
//! Every wait has a bound: connecting and the session request's answer time out, and the
//! listener drops a connection that sends no request in time.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddrV4;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SESSION_SERVICE_TCP_PORT;
use crate::socket::ipv4;
use crate::wire::session::{
    HEADER_LENGTH, MAX_BODY_LENGTH, SessionHeader, SessionPacket, packet_type, refusal,
};
use crate::wire::{NetbiosName, ScopedName, WireError};

/// Settings of the session service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The session service port of other nodes (139).
    pub port: u16,
    /// How long a TCP connection may take.
    pub connect_timeout: Duration,
    /// How long the answer to a SESSION REQUEST, or a caller's request to our listener, may
    /// take.
    pub request_timeout: Duration,
    /// How many RETARGET responses a call follows (RFC 1002 leaves it open; loops end here).
    pub max_retargets: u8,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            port: SESSION_SERVICE_TCP_PORT,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            max_retargets: 3,
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The called node refused the session (a [`refusal`] code).
    #[error("the called node refused the session (code {code:#04x})")]
    Refused {
        /// The NEGATIVE SESSION RESPONSE's error code.
        code: u8,
    },
    /// No TCP connection could be made to any address.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// Connecting or the answer to the request took too long.
    #[error("the called node did not answer in time")]
    Timeout,
    /// More RETARGET responses than the configuration follows.
    #[error("too many retargets")]
    TooManyRetargets,
    /// The node answered with something that is not a session response.
    #[error("the called node answered with garbage: {0}")]
    Protocol(String),
    /// The connection failed after it was made.
    #[error("the connection failed: {0}")]
    Io(io::Error),
    /// No address to call.
    #[error("no address to call")]
    NoAddress,
}

/// Why a message could not be received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The peer closed the session between messages.
    #[error("the session was closed")]
    Closed,
    /// The connection ended in the middle of a message.
    #[error("the session ended in the middle of a message")]
    Aborted,
    /// The peer sent a packet that has no place in a session.
    #[error("the peer sent an invalid packet: {0}")]
    Protocol(WireError),
    /// The connection failed.
    #[error("the connection failed: {0}")]
    Io(io::Error),
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Longer than the 17-bit length allows.
    #[error("a {0}-byte message is longer than the session service's 131,071 bytes")]
    TooLong(usize),
    /// The connection failed.
    #[error("the connection failed: {0}")]
    Io(#[from] io::Error),
}

/// Why a listen ended without a session.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// The listener stopped.
    #[error("the session listener stopped")]
    Stopped,
}

/// An established session.
#[derive(Debug)]
pub struct Session {
    stream: TcpStream,
    called: ScopedName,
    calling: ScopedName,
    peer: SocketAddrV4,
}

impl Session {
    fn new(stream: TcpStream, called: ScopedName, calling: ScopedName) -> io::Result<Session> {
        stream.set_nodelay(true)?;
        let peer = ipv4(stream.peer_addr()?)?;
        Ok(Session {
            stream,
            called,
            calling,
            peer,
        })
    }

    /// The name that was called.
    pub fn called_name(&self) -> &ScopedName {
        &self.called
    }

    /// The caller's name.
    pub fn calling_name(&self) -> &ScopedName {
        &self.calling
    }

    /// The other end's address.
    pub fn peer(&self) -> SocketAddrV4 {
        self.peer
    }

    /// Sends one message.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), SendError> {
        write_message(&mut self.stream, message).await
    }

    /// Receives the next message (keep-alives are skipped).
    pub async fn receive(&mut self) -> Result<Vec<u8>, ReceiveError> {
        read_message(&mut self.stream).await
    }

    /// The TCP stream under the session, for a protocol that frames its own messages the
    /// same way (SMB over NetBIOS on port 139).
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// The two halves, to receive and send at the same time.
    pub fn split(self) -> (SessionReader, SessionWriter) {
        let (read, write) = self.stream.into_split();
        (SessionReader { read }, SessionWriter { write })
    }
}

/// The receiving half of a session.
#[derive(Debug)]
pub struct SessionReader {
    read: OwnedReadHalf,
}

impl SessionReader {
    /// Receives the next message (keep-alives are skipped). Not cancel-safe: a receive
    /// dropped half-way leaves the stream in the middle of a message.
    pub async fn receive(&mut self) -> Result<Vec<u8>, ReceiveError> {
        read_message(&mut self.read).await
    }
}

/// The sending half of a session.
#[derive(Debug)]
pub struct SessionWriter {
    write: OwnedWriteHalf,
}

impl SessionWriter {
    /// Sends one message.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), SendError> {
        write_message(&mut self.write, message).await
    }

    /// Sends a keep-alive.
    pub async fn keep_alive(&mut self) -> Result<(), SendError> {
        let bytes = SessionPacket::KeepAlive.encode().unwrap_or_default();
        self.write.write_all(&bytes).await.map_err(SendError::Io)
    }

    /// Ends the session: the peer's next receive sees it closed.
    pub async fn hang_up(&mut self) {
        let _ = self.write.shutdown().await;
    }
}

/// Messages up to this size are copied behind their header and sent in one write.
const COPY_LIMIT: usize = 8 * 1024;

async fn write_message(
    stream: &mut (impl AsyncWriteExt + Unpin),
    message: &[u8],
) -> Result<(), SendError> {
    let header = SessionHeader {
        packet_type: packet_type::SESSION_MESSAGE,
        length: message.len(),
    }
    .encode()
    .ok_or(SendError::TooLong(message.len()))?;
    if message.len() <= COPY_LIMIT {
        // One buffer, so that the header does not travel in a segment of its own.
        let mut bytes = Vec::with_capacity(HEADER_LENGTH + message.len());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(message);
        stream.write_all(&bytes).await?;
    } else {
        // Large messages: one gathered write of header and data, no copy.
        let mut parts = [io::IoSlice::new(&header), io::IoSlice::new(message)];
        let mut parts: &mut [io::IoSlice<'_>] = &mut parts;
        while !parts.is_empty() {
            let written = stream.write_vectored(parts).await?;
            if written == 0 {
                return Err(SendError::Io(io::ErrorKind::WriteZero.into()));
            }
            io::IoSlice::advance_slices(&mut parts, written);
        }
    }
    Ok(())
}

async fn read_message(stream: &mut (impl AsyncReadExt + Unpin)) -> Result<Vec<u8>, ReceiveError> {
    loop {
        let Some(header) = read_header(stream).await? else {
            return Err(ReceiveError::Closed);
        };
        let body = read_body(stream, header.length).await?;
        match header.packet_type {
            packet_type::SESSION_MESSAGE => return Ok(body),
            packet_type::SESSION_KEEP_ALIVE if body.is_empty() => {}
            other => {
                let error = SessionPacket::decode_body(other, &body)
                    .err()
                    .unwrap_or(WireError::UnknownSessionType(other));
                return Err(ReceiveError::Protocol(error));
            }
        }
    }
}

/// A body of `length` bytes, read into fresh memory without zeroing it first.
async fn read_body(
    stream: &mut (impl AsyncReadExt + Unpin),
    length: usize,
) -> Result<Vec<u8>, ReceiveError> {
    let mut body = Vec::with_capacity(length);
    while body.len() < length {
        // `read_buf` fills the spare capacity, which is exactly what is still missing.
        let read = stream.read_buf(&mut body).await.map_err(ReceiveError::Io)?;
        if read == 0 {
            return Err(ReceiveError::Aborted);
        }
    }
    Ok(body)
}

/// The next header; `None` if the stream ended cleanly before it.
async fn read_header(
    stream: &mut (impl AsyncReadExt + Unpin),
) -> Result<Option<SessionHeader>, ReceiveError> {
    let mut header = [0u8; HEADER_LENGTH];
    let first = stream
        .read(&mut header[..1])
        .await
        .map_err(ReceiveError::Io)?;
    if first == 0 {
        return Ok(None);
    }
    read_exactly(stream, &mut header[1..]).await?;
    SessionHeader::decode(header)
        .map(Some)
        .map_err(ReceiveError::Protocol)
}

async fn read_exactly(
    stream: &mut (impl AsyncReadExt + Unpin),
    buffer: &mut [u8],
) -> Result<(), ReceiveError> {
    match stream.read_exact(buffer).await {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Err(ReceiveError::Aborted),
        Err(error) => Err(ReceiveError::Io(error)),
    }
}

/// Reads one whole packet (header and body) within `limit`.
async fn read_packet(stream: &mut TcpStream, limit: Duration) -> Result<SessionPacket, CallError> {
    let read = async {
        let header = read_header(stream)
            .await
            .map_err(|error| CallError::Protocol(error.to_string()))?
            .ok_or_else(|| CallError::Protocol("the connection closed".to_owned()))?;
        if header.length > MAX_BODY_LENGTH {
            return Err(CallError::Protocol("oversized packet".to_owned()));
        }
        let mut body = vec![0u8; header.length];
        read_exactly(stream, &mut body)
            .await
            .map_err(|error| CallError::Protocol(error.to_string()))?;
        SessionPacket::decode_body(header.packet_type, &body)
            .map_err(|error| CallError::Protocol(error.to_string()))
    };
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| CallError::Timeout)?
}

/// Calls `called` as `calling` at the first of `targets` that accepts a TCP connection,
/// following retargets.
pub async fn call(
    targets: &[SocketAddrV4],
    called: &ScopedName,
    calling: &ScopedName,
    config: &SessionConfig,
) -> Result<Session, CallError> {
    let request = SessionPacket::Request {
        called: called.clone(),
        calling: calling.clone(),
    }
    .encode()
    .ok_or_else(|| CallError::Protocol("names too long".to_owned()))?;
    let mut last_error = CallError::NoAddress;
    for target in targets {
        let mut target = *target;
        let mut retargets = 0u8;
        loop {
            let mut stream = match connect(target, config.connect_timeout).await {
                Ok(stream) => stream,
                Err(error) => {
                    last_error = error;
                    break;
                }
            };
            stream.write_all(&request).await.map_err(CallError::Io)?;
            match read_packet(&mut stream, config.request_timeout).await? {
                SessionPacket::Positive => {
                    return Session::new(stream, called.clone(), calling.clone())
                        .map_err(CallError::Io);
                }
                SessionPacket::Negative(code) => return Err(CallError::Refused { code }),
                SessionPacket::Retarget { address, port } => {
                    retargets += 1;
                    if retargets > config.max_retargets {
                        return Err(CallError::TooManyRetargets);
                    }
                    tracing::debug!(%address, port, "session retargeted");
                    target = SocketAddrV4::new(address, port);
                }
                other => {
                    return Err(CallError::Protocol(format!(
                        "{other:?} in answer to a session request"
                    )));
                }
            }
        }
    }
    Err(last_error)
}

async fn connect(target: SocketAddrV4, limit: Duration) -> Result<TcpStream, CallError> {
    match tokio::time::timeout(limit, TcpStream::connect(target)).await {
        Err(_) => Err(CallError::Timeout),
        Ok(Err(error)) => Err(CallError::Connect(error)),
        Ok(Ok(stream)) => {
            stream.set_nodelay(true).map_err(CallError::Io)?;
            Ok(stream)
        }
    }
}

/// A listen waiting for a call.
struct PendingListen {
    id: u64,
    called: NetbiosName,
    caller: Option<NetbiosName>,
    session: oneshot::Sender<Session>,
}

#[derive(Default)]
struct ListenerState {
    names: HashSet<NetbiosName>,
    pending: Vec<PendingListen>,
    next_id: u64,
}

struct ListenerShared {
    state: Mutex<ListenerState>,
    config: SessionConfig,
}

impl ListenerShared {
    fn state(&self) -> MutexGuard<'_, ListenerState> {
        // The state holds plain values; one left half-updated by a panic is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Accepts calls on the session port and hands them to pending listens.
pub struct SessionListener {
    shared: Arc<ListenerShared>,
    local: SocketAddrV4,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for SessionListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionListener")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl SessionListener {
    /// Listens on `address` (port 0 for any).
    pub async fn bind(address: SocketAddrV4, config: SessionConfig) -> io::Result<SessionListener> {
        let listener = TcpListener::bind(address).await?;
        let local = ipv4(listener.local_addr()?)?;
        let shared = Arc::new(ListenerShared {
            state: Mutex::new(ListenerState::default()),
            config,
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(SessionListener {
            shared,
            local,
            task,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    /// Serves `name`: calls to it are refused with "not listening" (0x80) rather than "not
    /// present" (0x82) while no listen waits.
    pub fn add_name(&self, name: NetbiosName) {
        self.shared.state().names.insert(name);
    }

    /// Stops serving `name`.
    pub fn remove_name(&self, name: NetbiosName) {
        self.shared.state().names.remove(&name);
    }

    /// Waits for a call to `called` from `caller` (`None`: anyone). Cancel-safe: dropping
    /// the future withdraws the listen.
    pub async fn listen(
        &self,
        called: NetbiosName,
        from: Option<NetbiosName>,
    ) -> Result<Session, ListenError> {
        let (sender, receiver) = oneshot::channel();
        let id = {
            let mut state = self.shared.state();
            state.names.insert(called);
            let id = state.next_id;
            state.next_id += 1;
            state.pending.push(PendingListen {
                id,
                called,
                caller: from,
                session: sender,
            });
            id
        };
        let withdraw = Withdraw {
            shared: &self.shared,
            id,
        };
        let session = receiver.await.map_err(|_| ListenError::Stopped);
        drop(withdraw);
        session
    }
}

/// Removes a pending listen when its future ends or is dropped.
struct Withdraw<'a> {
    shared: &'a ListenerShared,
    id: u64,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.shared
            .state()
            .pending
            .retain(|pending| pending.id != self.id);
    }
}

impl Drop for SessionListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<ListenerShared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::debug!(%error, "session accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::spawn(answer(stream, Arc::clone(&shared)));
    }
}

/// Reads a caller's request and gives the session to the matching listen, or refuses it.
async fn answer(mut stream: TcpStream, shared: Arc<ListenerShared>) {
    let limit = shared.config.request_timeout;
    let (called, calling) = loop {
        match read_packet(&mut stream, limit).await {
            Ok(SessionPacket::Request { called, calling }) => break (called, calling),
            Ok(SessionPacket::KeepAlive) => {}
            Ok(other) => {
                tracing::debug!(?other, "not a session request; connection dropped");
                return;
            }
            Err(error) => {
                tracing::debug!(%error, "no session request; connection dropped");
                return;
            }
        }
    };
    let listen = {
        let mut state = shared.state();
        let found = state.pending.iter().position(|pending| {
            pending.called == called.name
                && !pending.session.is_closed()
                && pending.caller.is_none_or(|caller| caller == calling.name)
        });
        match found {
            Some(index) => Ok(state.pending.remove(index)),
            None if state.names.contains(&called.name) => {
                Err(refusal::NOT_LISTENING_ON_CALLED_NAME)
            }
            None => Err(refusal::CALLED_NAME_NOT_PRESENT),
        }
    };
    let listen = match listen {
        Ok(listen) => listen,
        Err(code) => {
            let bytes = SessionPacket::Negative(code).encode().unwrap_or_default();
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    let positive = SessionPacket::Positive.encode().unwrap_or_default();
    if stream.write_all(&positive).await.is_err() {
        return;
    }
    match Session::new(stream, called, calling) {
        Ok(session) => {
            // A listen withdrawn since it was picked drops the session: the caller sees it
            // closed.
            let _ = listen.session.send(session);
        }
        Err(error) => tracing::debug!(%error, "session setup failed"),
    }
}
