//! One TCP connection to an SMB2 server: framing, message ids and credits, a reader task that
//! matches responses to requests by message id (skipping interim STATUS_PENDING answers), a
//! writer task so that a dropped request never leaves half a frame on the wire, and a timeout
//! on every request.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::Error;
use crate::client::close_reason::{CloseReason, FrameError, Refusal};
use crate::ntstatus::NtStatus;
use crate::wire::lease::LeaseBreak;
use crate::wire::{ChainSlot, Command, HEADER_LENGTH, Header, Request, encode_chain};

/// The largest frame accepted from a server: 8 MiB reads plus headers, with room to spare.
const MAX_FRAME: usize = 16 << 20;
/// The message id of unsolicited oplock and lease break notifications.
const UNSOLICITED_MESSAGE_ID: u64 = u64::MAX;
/// Credits the client tries to hold, so that reads and writes can be pipelined.
const CREDIT_TARGET: usize = 512;
/// The most credits the client holds, whatever servers grant: a server granting the
/// maximum with every answer must not grow the count without bound.
const MAX_CREDITS: usize = 8192;
/// How many frames may wait for the writer task.
const WRITE_QUEUE: usize = 64;

/// Signing, verification and encryption of one session's messages. The connection asks the
/// session registered under the session id of the request a message answers (MS-SMB2
/// §3.2.5.1.3), never the session the response claims; it knows no cryptography itself.
pub trait MessageSecurity: Send + Sync {
    /// Signs and/or encrypts an outgoing message as the session requires (`command` says
    /// which request it is; a 3.1.1 tree connect is always signed).
    fn protect(&self, message: Vec<u8>, command: Command) -> Result<Vec<u8>, Error>;
    /// Protects a related compound: `messages` are padded and chained already (NextCommand
    /// set); each is signed on its own, or the whole chain is encrypted in one transform
    /// (MS-SMB2 §3.2.4.1.1, §3.2.4.1.4). Returns the bytes of the frame.
    fn protect_compound(&self, messages: Vec<(Vec<u8>, Command)>) -> Result<Vec<u8>, Error>;
    /// Whether the session encrypts its messages; then unsolicited messages on the
    /// connection are accepted only encrypted.
    fn encrypts(&self) -> bool;
    /// Whether an incoming message may be accepted: a signed one must carry a good
    /// signature, and one that arrived neither signed nor encrypted only when the session
    /// does not require signing (interim responses excepted by the caller). The caller has
    /// already refused a plaintext message on a session that [`encrypts`](Self::encrypts).
    fn accept(&self, message: &[u8], header: &Header, encrypted: bool) -> bool;
    /// Decrypts an incoming transform message.
    fn decrypt(&self, transform: &[u8]) -> Result<Vec<u8>, Error>;
}

/// What the caller gets back: the response message (header and body) and the request's
/// bytes as sent, which 3.1.1's pre-authentication hash needs.
#[derive(Debug)]
pub struct Exchange {
    /// The request as encoded (before signing), kept only for NEGOTIATE and SESSION_SETUP,
    /// whose bytes 3.1.1's pre-authentication hash covers; empty for every other command.
    pub request: Vec<u8>,
    /// The final response message.
    pub response: Vec<u8>,
    /// Its decoded header.
    pub header: Header,
}

type Reply = Result<(Vec<u8>, Header), Error>;

/// A request waiting for its response, with what verifying the response needs.
struct Pending {
    reply: oneshot::Sender<Reply>,
    /// The SessionId the request was sent under: its keys verify the response.
    session_id: u64,
    /// The request's command, which the response must repeat.
    command: Command,
}

struct Shared {
    /// Requests waiting for their responses, by message id.
    pending: Mutex<HashMap<u64, Pending>>,
    /// Why the connection ended, once it has.
    closed: Mutex<Option<CloseReason>>,
    next_message_id: Mutex<u64>,
    credits: Semaphore,
    security: RwLock<HashMap<u64, Arc<dyn MessageSecurity>>>,
    charge_credits: std::sync::atomic::AtomicBool,
    /// Where lease break notifications go ([`Connection::lease_breaks`]).
    lease_subscribers: Mutex<Vec<mpsc::UnboundedSender<LeaseBreak>>>,
}

/// A connection to an SMB2 server. Cheap to clone; the tasks stop when the last clone is
/// dropped, the server goes away, or a request goes unanswered for the timeout.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
    frames: mpsc::Sender<Vec<u8>>,
    timeout: Duration,
    tasks: Arc<Tasks>,
}

struct Tasks {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Removes a request's pending entry if its caller gives up (timeout or drop).
struct PendingGuard<'a> {
    shared: &'a Shared,
    message_id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.pending).remove(&self.message_id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connection {
    /// Starts the reader and writer tasks over an established stream (TCP to port 445, or a
    /// NetBIOS session on 139, whose message framing is the same). `timeout` bounds every
    /// request; one that runs out closes the connection.
    pub fn start<S>(stream: S, timeout: Duration) -> Connection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read_half, write_half) = tokio::io::split(stream);
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            closed: Mutex::new(None),
            next_message_id: Mutex::new(0),
            credits: Semaphore::new(1),
            security: RwLock::new(HashMap::new()),
            charge_credits: std::sync::atomic::AtomicBool::new(false),
            lease_subscribers: Mutex::new(Vec::new()),
        });
        let (frames, frame_queue) = mpsc::channel(WRITE_QUEUE);
        let reader = tokio::spawn(read_loop(read_half, Arc::clone(&shared)));
        let writer = tokio::spawn(write_loop(write_half, frame_queue, Arc::clone(&shared)));
        Connection {
            shared,
            frames,
            timeout,
            tasks: Arc::new(Tasks { reader, writer }),
        }
    }

    /// The timeout every request gets.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets CreditCharge on requests from now on (dialect 2.1 and later, MS-SMB2 §3.2.4.1.5).
    pub fn enable_credit_charge(&self) {
        self.shared
            .charge_credits
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Registers how a session's messages are protected and checked.
    pub fn set_security(&self, session_id: u64, security: Arc<dyn MessageSecurity>) {
        self.shared
            .security
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(session_id, security);
    }

    /// Forgets a session's security (after logoff).
    pub fn remove_security(&self, session_id: u64) {
        self.shared
            .security
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&session_id);
    }

    /// Whether the connection has ended, and why.
    pub fn closed_reason(&self) -> Option<CloseReason> {
        lock(&self.shared.closed).clone()
    }

    /// How many credits the client holds now (at most 8,192, whatever the server grants): how
    /// many 64 KiB units it may send before an answer grants more.
    pub fn credits_available(&self) -> usize {
        self.shared.credits.available_permits()
    }

    /// Closes the connection because of what a caller found (a negotiation that did not
    /// validate): every waiting request fails with `reason`, and so does every later one.
    pub fn abort(&self, reason: &CloseReason) {
        close(&self.shared, reason);
        self.tasks.reader.abort();
        self.tasks.writer.abort();
    }

    /// Sends `request` and waits for its final response, whatever its status.
    pub async fn exchange(
        &self,
        request: &Request,
        session_id: u64,
        tree_id: u32,
    ) -> Result<Exchange, Error> {
        self.timed(
            request.command(),
            self.exchange_chain(std::slice::from_ref(request), session_id, tree_id, 0),
        )
        .await?
        .pop()
        .ok_or(Error::Closed(CloseReason::NoResponse))
    }

    /// Sends `requests` as one related compound (MS-SMB2 §3.2.4.1.4) in one transport frame
    /// and waits for every final response, whatever their statuses; the responses come back
    /// in the requests' order. Each message after the first is flagged
    /// SMB2_FLAGS_RELATED_OPERATIONS, so a request naming [`crate::wire::FileId::RELATED`]
    /// works on the file the chain's CREATE opened. Messages are 8-byte aligned, each signed
    /// on its own when the session signs; the whole chain goes in one transform when it
    /// encrypts. Each message consumes its own credits.
    pub async fn exchange_compound(
        &self,
        requests: &[Request],
        session_id: u64,
        tree_id: u32,
    ) -> Result<Vec<Exchange>, Error> {
        self.exchange_compound_flagged(requests, session_id, tree_id, 0)
            .await
    }

    /// [`Connection::exchange_compound`], with `create_flags` added to the header of each
    /// CREATE (SMB2_FLAGS_DFS_OPERATIONS on a share in a DFS namespace).
    pub async fn exchange_compound_flagged(
        &self,
        requests: &[Request],
        session_id: u64,
        tree_id: u32,
        create_flags: u32,
    ) -> Result<Vec<Exchange>, Error> {
        let Some(first) = requests.first() else {
            return Ok(Vec::new());
        };
        self.timed(
            first.command(),
            self.exchange_chain(requests, session_id, tree_id, create_flags),
        )
        .await
    }

    /// Runs `exchange` under the connection's timeout.
    async fn timed<T>(
        &self,
        command: Command,
        exchange: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                // A server that leaves a request unanswered this long is taken as gone, as
                // Windows' redirector takes it: the connection is closed (its socket too), so
                // the requests waiting on it fail now instead of each waiting out its own
                // timeout, and its owner sees it lost (and may connect again).
                let reason = CloseReason::TimedOut {
                    command,
                    after: self.timeout,
                };
                close(&self.shared, &reason);
                self.tasks.reader.abort();
                self.tasks.writer.abort();
                Error::Timeout {
                    command,
                    after: self.timeout,
                }
            })?
    }

    /// Sends `request` and returns its response if the status is success (or one of
    /// `also_ok`); any other status becomes [`Error::Status`].
    pub async fn call(
        &self,
        request: &Request,
        session_id: u64,
        tree_id: u32,
        also_ok: &[NtStatus],
    ) -> Result<Exchange, Error> {
        let exchange = self.exchange(request, session_id, tree_id).await?;
        let status = NtStatus(exchange.header.status);
        if status == NtStatus::STATUS_SUCCESS || also_ok.contains(&status) {
            Ok(exchange)
        } else {
            Err(Error::Status {
                command: request.command(),
                status,
            })
        }
    }

    /// Subscribes to the lease break notifications the server sends on this connection
    /// (MS-SMB2 §2.2.23.2). Leases belong to the client, not to a session, and the server
    /// sends their breaks with SessionId 0, so every subscriber of the connection receives
    /// every break; a break that arrives while nobody subscribes is dropped (subscribe
    /// before opening with a lease). The channel is unbounded so that the reader task never
    /// waits for a slow subscriber: read it. A dropped receiver unsubscribes.
    ///
    /// Breaks are accepted unsigned (the worst a forged one can do is make the client drop
    /// its caches), but once any session of the connection encrypts, only encrypted ones.
    pub fn lease_breaks(&self) -> mpsc::UnboundedReceiver<LeaseBreak> {
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&self.shared.lease_subscribers).push(sender);
        receiver
    }

    /// Takes the credits `requests` consume (one per 64 KiB of payload each, once 2.1 charges
    /// credits) and their message ids, and says what each message's header carries.
    async fn reserve(&self, requests: &[Request]) -> Result<Vec<ChainSlot>, Error> {
        let charge_credits = self
            .shared
            .charge_credits
            .load(std::sync::atomic::Ordering::Relaxed);
        let charges: Vec<u16> = requests
            .iter()
            .map(|request| {
                if charge_credits {
                    request.credit_charge()
                } else {
                    1
                }
            })
            .collect();
        let total: u32 = charges.iter().map(|&charge| u32::from(charge)).sum();
        let permits = self
            .shared
            .credits
            .acquire_many(total)
            .await
            .map_err(|_| Error::Closed(CloseReason::Ended))?;
        permits.forget();
        let mut message_id = {
            let mut next = lock(&self.shared.next_message_id);
            let id = *next;
            *next += u64::from(total);
            id
        };
        let available = self.shared.credits.available_permits();
        let mut slots = Vec::with_capacity(requests.len());
        for (index, (request, &charge)) in requests.iter().zip(&charges).enumerate() {
            slots.push(ChainSlot {
                message_id,
                credit_charge: if request.command() == Command::Negotiate {
                    0
                } else {
                    charge
                },
                // Ask for more credits once per frame, on its first message.
                credits: if index == 0 && available < CREDIT_TARGET {
                    charge.saturating_add(64)
                } else {
                    charge
                },
            });
            message_id += u64::from(charge);
        }
        Ok(slots)
    }

    /// Sends `requests` (one, or a related compound) in one frame and waits for each final
    /// response, in order.
    async fn exchange_chain(
        &self,
        requests: &[Request],
        session_id: u64,
        tree_id: u32,
        create_flags: u32,
    ) -> Result<Vec<Exchange>, Error> {
        if let Some(reason) = self.closed_reason() {
            return Err(Error::Closed(reason));
        }
        let slots = self.reserve(requests).await?;
        for (request, slot) in requests.iter().zip(&slots) {
            tracing::debug!(command = ?request.command(), message_id = slot.message_id, session_id, tree_id, "smb2 request");
        }
        let mut messages = encode_chain(requests, &slots, session_id, tree_id, create_flags);
        // Copying every request (a write carries up to megabytes) would only serve the
        // pre-authentication hash, which covers NEGOTIATE and SESSION_SETUP alone.
        let sent: Vec<Vec<u8>> = messages
            .iter()
            .map(|(message, command)| {
                if matches!(command, Command::Negotiate | Command::SessionSetup) {
                    message.clone()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let message_ids: Vec<u64> = slots.iter().map(|slot| slot.message_id).collect();
        let security = self
            .shared
            .security
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&session_id)
            .cloned();
        let wire = match security {
            Some(security) if messages.len() > 1 => security.protect_compound(messages)?,
            Some(security) => {
                let (message, command) = messages.remove(0);
                security.protect(message, command)?
            }
            None => messages
                .into_iter()
                .flat_map(|(message, _)| message)
                .collect(),
        };
        let mut frame = Vec::with_capacity(4 + wire.len());
        frame.extend_from_slice(&frame_header(wire.len())?);
        frame.extend_from_slice(&wire);

        let mut replies = Vec::with_capacity(message_ids.len());
        let mut guards = Vec::with_capacity(message_ids.len());
        {
            let mut pending = lock(&self.shared.pending);
            for (&message_id, request) in message_ids.iter().zip(requests) {
                let (reply_sender, reply) = oneshot::channel();
                pending.insert(
                    message_id,
                    Pending {
                        reply: reply_sender,
                        session_id,
                        command: request.command(),
                    },
                );
                replies.push(reply);
            }
        }
        for &message_id in &message_ids {
            guards.push(PendingGuard {
                shared: &self.shared,
                message_id,
            });
        }
        // The reader may have failed every pending request just before these joined them.
        if let Some(reason) = self.closed_reason() {
            return Err(Error::Closed(reason));
        }
        self.frames
            .send(frame)
            .await
            .map_err(|_| Error::Closed(CloseReason::Ended))?;
        let mut exchanges = Vec::with_capacity(replies.len());
        for (reply, request) in replies.into_iter().zip(sent) {
            let (response, header) = reply
                .await
                .map_err(|_| Error::Closed(self.closed_reason().unwrap_or(CloseReason::Ended)))??;
            exchanges.push(Exchange {
                request,
                response,
                header,
            });
        }
        drop(guards);
        Ok(exchanges)
    }
}

fn frame_header(length: usize) -> Result<[u8; 4], Error> {
    if length > 0x00FF_FFFF {
        return Err(Error::TooLarge(length));
    }
    let [_, a, b, c] = (length as u32).to_be_bytes();
    Ok([0, a, b, c])
}

async fn write_loop<W: AsyncWrite>(
    writer: W,
    mut frames: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
) {
    tokio::pin!(writer);
    while let Some(frame) = frames.recv().await {
        if let Err(error) = writer.write_all(&frame).await {
            close(
                &shared,
                &CloseReason::WriteFailed {
                    kind: error.kind(),
                    text: error.to_string(),
                },
            );
            return;
        }
    }
    let _ = writer.shutdown().await;
}

async fn read_loop<R: AsyncRead>(reader: R, shared: Arc<Shared>) {
    tokio::pin!(reader);
    let reason = loop {
        let mut prefix = [0u8; 4];
        if let Err(error) = reader.read_exact(&mut prefix).await {
            break if error.kind() == std::io::ErrorKind::UnexpectedEof {
                CloseReason::ServerClosed
            } else {
                read_failed(&error)
            };
        }
        // A NetBIOS session keep-alive (port 139) carries nothing.
        if prefix[0] == 0x85 {
            continue;
        }
        let length =
            usize::from(prefix[1]) << 16 | usize::from(prefix[2]) << 8 | usize::from(prefix[3]);
        if prefix[0] != 0 || length > MAX_FRAME {
            break CloseReason::BadFrameHeader(prefix);
        }
        // Read into spare capacity: no zeroing of megabyte frames first.
        let mut frame = Vec::with_capacity(length);
        match (&mut reader)
            .take(length as u64)
            .read_to_end(&mut frame)
            .await
        {
            Ok(read) if read == length => {}
            Ok(_) => break CloseReason::ServerClosedMidMessage,
            Err(error) => break read_failed(&error),
        }
        if let Err(reason) = dispatch_frame(&shared, frame) {
            break reason;
        }
    };
    close(&shared, &reason);
}

fn read_failed(error: &std::io::Error) -> CloseReason {
    CloseReason::ReadFailed {
        kind: error.kind(),
        text: error.to_string(),
    }
}

/// Handles one received frame: decrypts it, splits a compound, and hands each response to
/// its waiting request. An error ends the connection.
fn dispatch_frame(shared: &Shared, frame: Vec<u8>) -> Result<(), CloseReason> {
    let (frame, sealed_by) = unseal_frame(frame, |session_id| {
        shared
            .security
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&session_id)
            .cloned()
    })
    .map_err(CloseReason::Frame)?;
    let mut members = CompoundMembers::default();
    while let Some(member) = members.next_member(&frame) {
        let (range, header) = member.map_err(CloseReason::Frame)?;
        if range == (0..frame.len()) {
            // A lone message (no compound): hand over the frame itself, uncopied.
            return deliver(shared, frame, header, sealed_by);
        }
        deliver(shared, frame[range].to_vec(), header, sealed_by)?;
    }
    Ok(())
}

/// Decrypts a frame that starts with a transform header (MS-SMB2 §3.2.5.1.1) with the keys of
/// the session it names, which `security_for` looks up; returns the plaintext and that session.
/// A frame without a transform header comes back as it is, sealed by no session. This is the
/// part of the reader task that works on bytes alone (exposed for the fuzz targets).
#[doc(hidden)]
pub fn unseal_frame(
    frame: Vec<u8>,
    security_for: impl FnOnce(u64) -> Option<Arc<dyn MessageSecurity>>,
) -> Result<(Vec<u8>, Option<u64>), FrameError> {
    if !frame.starts_with(&[0xFD, b'S', b'M', b'B']) {
        return Ok((frame, None));
    }
    let session_id = frame
        .get(44..52)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(u64::from_le_bytes)
        .ok_or(FrameError::TruncatedTransform)?;
    let security = security_for(session_id).ok_or(FrameError::UnknownSession(session_id))?;
    let plaintext = security
        .decrypt(&frame)
        .map_err(|error| FrameError::Decryption(error.to_string()))?;
    Ok((plaintext, Some(session_id)))
}

/// Walks the messages of a (decrypted) frame: a lone message, or a compound whose members
/// NextCommand chains (MS-SMB2 §3.2.5.1.9). Each step yields where the next member lies and
/// its header; after an error or the last member it yields nothing. It keeps no borrow of the
/// frame between steps, so that the caller may take the frame itself for a lone message.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct CompoundMembers {
    start: usize,
    done: bool,
}

impl CompoundMembers {
    /// The next member of `frame` (the same frame at every step): its range in the frame and
    /// its header.
    pub fn next_member(
        &mut self,
        frame: &[u8],
    ) -> Option<Result<(Range<usize>, Header), FrameError>> {
        if self.done {
            return None;
        }
        let start = self.start;
        let step = || {
            let rest = frame.get(start..).unwrap_or_default();
            let header = Header::decode(rest).map_err(FrameError::Header)?;
            let end = if header.next_command == 0 {
                frame.len()
            } else if (header.next_command as usize) < HEADER_LENGTH
                || !header.next_command.is_multiple_of(8)
            {
                // MS-SMB2 §2.2.1: each member starts 8-byte aligned, after a whole header.
                return Err(FrameError::NextCommandMisplaced(header.next_command));
            } else {
                start
                    .checked_add(header.next_command as usize)
                    .filter(|&end| end <= frame.len())
                    .ok_or(FrameError::NextCommandBeyondFrame)?
            };
            Ok((start..end, header))
        };
        let member = step();
        match &member {
            Ok((range, _)) if range.end < frame.len() => self.start = range.end,
            _ => self.done = true,
        }
        Some(member)
    }
}

/// Hands one response to the request it answers, after checking it as MS-SMB2 §3.2.5.1.3
/// says: with the keys of the session that sent the request (by message id), whatever
/// SessionId the response claims. `sealed_by` is the session whose keys decrypted the frame.
///
/// A response that names another session than its request's (NEGOTIATE and a SESSION_SETUP
/// sent without a session excepted: the server assigns the id), repeats another command,
/// arrives in plaintext on an encrypting session, or lacks a good signature where the session
/// requires one fails its request with a typed error and ends the connection (the error is
/// the reason): a server, or a path to it, that forges or strips protection cannot be trusted
/// with anything else on it.
fn deliver(
    shared: &Shared,
    message: Vec<u8>,
    header: Header,
    sealed_by: Option<u64>,
) -> Result<(), CloseReason> {
    let room = MAX_CREDITS.saturating_sub(shared.credits.available_permits());
    shared
        .credits
        .add_permits(usize::from(header.credits).min(room));
    if header.message_id == UNSOLICITED_MESSAGE_ID {
        deliver_unsolicited(shared, &message, &header, sealed_by.is_some());
        return Ok(());
    }
    if header.status == NtStatus::STATUS_PENDING.0 && header.async_id.is_some() {
        return Ok(()); // interim response, never signed (§3.3.4.1.1); the final one follows
    }
    let Some(pending) = lock(&shared.pending).remove(&header.message_id) else {
        tracing::debug!(message_id = header.message_id, command = ?header.command, "response to no pending request dropped");
        return Ok(());
    };
    match check_response(shared, &pending, &message, &header, sealed_by) {
        Ok(()) => {
            let _ = pending.reply.send(Ok((message, header)));
            Ok(())
        }
        Err(refusal) => {
            // Close first, so that whoever gets the error finds the connection closed.
            let reason = CloseReason::Refused(refusal.clone());
            close(shared, &reason);
            let _ = pending.reply.send(Err(refusal.into()));
            Err(reason)
        }
    }
}

/// Whether `header`'s message may answer `pending` (see [`deliver`]).
fn check_response(
    shared: &Shared,
    pending: &Pending,
    message: &[u8],
    header: &Header,
    sealed_by: Option<u64>,
) -> Result<(), Refusal> {
    let command = pending.command;
    if header.command != command {
        return Err(Refusal::UnexpectedResponse {
            command,
            found: header.command,
        });
    }
    // The server assigns the SessionId in the first SESSION_SETUP response (§3.2.5.3.1);
    // NEGOTIATE has none. Every other response names its request's session.
    let server_assigns_id = command == Command::Negotiate
        || (command == Command::SessionSetup && pending.session_id == 0);
    let session_id = if server_assigns_id {
        header.session_id
    } else {
        pending.session_id
    };
    if header.session_id != session_id || sealed_by.is_some_and(|sealer| sealer != session_id) {
        return Err(Refusal::SessionMismatch {
            command,
            expected: session_id,
            found: sealed_by
                .filter(|&sealer| sealer != session_id)
                .unwrap_or(header.session_id),
        });
    }
    let security = shared
        .security
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&session_id)
        .cloned();
    let Some(security) = security else {
        return Ok(()); // no keys yet (session setup) or no longer (logoff): nothing to check
    };
    if sealed_by.is_none() && security.encrypts() {
        return Err(Refusal::NotEncrypted { command });
    }
    if !security.accept(message, header, sealed_by.is_some()) {
        return Err(Refusal::BadSignature { command });
    }
    Ok(())
}

/// Hands a lease break notification to the connection's subscribers. Oplock breaks (we never
/// ask for oplocks), other unsolicited messages, malformed notifications and, on a connection
/// with an encrypting session, unencrypted ones are dropped with a debug log.
fn deliver_unsolicited(shared: &Shared, message: &[u8], header: &Header, encrypted: bool) {
    if header.command != Command::OplockBreak {
        tracing::debug!(command = ?header.command, "unsolicited message dropped");
        return;
    }
    if !encrypted
        && shared
            .security
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .any(|security| security.encrypts())
    {
        tracing::debug!("unencrypted break notification on an encrypted connection dropped");
        return;
    }
    let lease_break = match LeaseBreak::decode(message) {
        Ok(lease_break) => lease_break,
        Err(error) => {
            // An oplock break (StructureSize 24) lands here too.
            tracing::debug!(%error, "break notification dropped");
            return;
        }
    };
    tracing::debug!(?lease_break, "lease break");
    let mut subscribers = lock(&shared.lease_subscribers);
    subscribers.retain(|subscriber| subscriber.send(lease_break).is_ok());
    if subscribers.is_empty() {
        tracing::debug!("lease break arrived with no subscriber");
    }
}

fn close(shared: &Shared, reason: &CloseReason) {
    tracing::debug!(%reason, "SMB2 connection closed");
    lock(&shared.closed).get_or_insert_with(|| reason.clone());
    shared.credits.close();
    for (_, pending) in lock(&shared.pending).drain() {
        let _ = pending.reply.send(Err(Error::Closed(reason.clone())));
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::lease::LEASE_BREAK_NOTIFICATION_SIZE;
    use crate::wire::{CloseRequest, CreateRequest, FileId, QueryInfoRequest, flags};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A session that neither signs nor seals, but may say it encrypts.
    struct Plain {
        encrypts: bool,
    }

    impl MessageSecurity for Plain {
        fn protect(&self, message: Vec<u8>, _: Command) -> Result<Vec<u8>, Error> {
            Ok(message)
        }
        fn protect_compound(&self, messages: Vec<(Vec<u8>, Command)>) -> Result<Vec<u8>, Error> {
            Ok(messages
                .into_iter()
                .flat_map(|(message, _)| message)
                .collect())
        }
        fn encrypts(&self) -> bool {
            self.encrypts
        }
        fn accept(&self, _: &[u8], _: &Header, _: bool) -> bool {
            true
        }
        fn decrypt(&self, _: &[u8]) -> Result<Vec<u8>, Error> {
            Err(Error::Crypto(crate::crypto::CryptoError::NoCipher))
        }
    }

    fn frame(messages: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = messages.concat();
        let mut frame = frame_header(body.len()).unwrap().to_vec();
        frame.extend_from_slice(&body);
        frame
    }

    /// A response to `request` with `status`, padded to 8 and chained when `chained`.
    fn response(request: &Header, status: u32, chained: bool) -> Vec<u8> {
        let mut header = request.clone();
        header.flags = flags::SERVER_TO_REDIR | (request.flags & flags::RELATED_OPERATIONS);
        header.status = status;
        header.next_command = 0;
        let mut message = Vec::new();
        header.encode(&mut message);
        message.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0, 0]); // an error body
        if chained {
            while message.len() % 8 != 0 {
                message.push(0);
            }
            let next = message.len() as u32;
            message[20..24].copy_from_slice(&next.to_le_bytes());
        }
        message
    }

    fn members(frame: &[u8]) -> Vec<Result<(Range<usize>, Header), FrameError>> {
        let mut members = CompoundMembers::default();
        std::iter::from_fn(|| members.next_member(frame)).collect()
    }

    #[test]
    fn a_frame_splits_into_its_compound_members_and_stops_at_a_bad_one() {
        let first = Header::request(Command::Close, 7, 1, 2);
        let lone = response(&first, 0, false);
        assert_eq!(
            members(&lone),
            [Ok((0..lone.len(), Header::decode(&lone).unwrap()))]
        );

        let chained = response(&first, 0, true);
        let second = response(&Header::request(Command::Close, 8, 1, 2), 0, false);
        let compound = [chained.clone(), second.clone()].concat();
        let split = members(&compound);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].as_ref().unwrap().0, 0..chained.len());
        assert_eq!(split[1].as_ref().unwrap().0, chained.len()..compound.len());
        assert_eq!(split[1].as_ref().unwrap().1.message_id, 8);

        // A NextCommand past the end, and a member that is no header: one error, then nothing.
        let mut beyond = chained.clone();
        beyond[20..24].copy_from_slice(&4096u32.to_le_bytes());
        assert_eq!(members(&beyond), [Err(FrameError::NextCommandBeyondFrame)]);
        // A NextCommand that would cut the member inside its own header, or unaligned.
        for misplaced in [1u32, 8, 63, 68, 100] {
            let mut short = compound.clone();
            short[20..24].copy_from_slice(&misplaced.to_le_bytes());
            assert_eq!(
                members(&short),
                [Err(FrameError::NextCommandMisplaced(misplaced))],
                "{misplaced}"
            );
        }
        let garbage = [chained, vec![0; 64]].concat();
        let split = members(&garbage);
        assert_eq!(split.len(), 2);
        assert!(matches!(split[1], Err(FrameError::Header(_))));
    }

    #[test]
    fn only_a_transform_header_is_unsealed_and_only_with_its_sessions_keys() {
        let plain = response(&Header::request(Command::Echo, 1, 0, 0), 0, false);
        let no_keys = |_| -> Option<Arc<dyn MessageSecurity>> { panic!("not looked up") };
        assert_eq!(unseal_frame(plain.clone(), no_keys), Ok((plain, None)));

        let mut transform = vec![0xFD, b'S', b'M', b'B'];
        transform.resize(51, 0);
        assert_eq!(
            unseal_frame(transform.clone(), |_| None),
            Err(FrameError::TruncatedTransform)
        );
        transform.resize(52, 0);
        transform[44] = 9;
        assert_eq!(
            unseal_frame(transform.clone(), |_| None),
            Err(FrameError::UnknownSession(9))
        );
        let sealer = |id| -> Option<Arc<dyn MessageSecurity>> {
            assert_eq!(id, 9);
            Some(Arc::new(Plain { encrypts: true }))
        };
        assert!(matches!(
            unseal_frame(transform, sealer),
            Err(FrameError::Decryption(_))
        ));
    }

    /// Reads one frame and returns the headers of its chained messages, checking that each
    /// NextCommand is 8-aligned.
    async fn read_chain(server: &mut tokio::io::DuplexStream) -> Vec<Header> {
        let mut prefix = [0u8; 4];
        server.read_exact(&mut prefix).await.unwrap();
        let length = u32::from_be_bytes(prefix) as usize;
        let mut chain = vec![0; length];
        server.read_exact(&mut chain).await.unwrap();
        let mut headers = Vec::new();
        let mut start = 0;
        loop {
            let header = Header::decode(&chain[start..]).unwrap();
            let next = header.next_command as usize;
            headers.push(header);
            if next == 0 {
                return headers;
            }
            assert_eq!(next % 8, 0);
            start += next;
        }
    }

    /// A compound of three goes out in one frame, chained and related; its answers come back
    /// in order whether the server compounds them (first round) or sends them one by one in
    /// another order (second round), and the credits and message ids go on from there.
    #[tokio::test]
    async fn a_compound_is_one_frame_and_its_answers_come_back_in_order() {
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let connection = Connection::start(client, Duration::from_secs(5));
        connection.set_security(1, Arc::new(Plain { encrypts: false }));
        let requests = [
            Request::Create(CreateRequest {
                name: "a".into(),
                desired_access: 0x80,
                file_attributes: 0,
                share_access: 7,
                create_disposition: 1,
                create_options: 0,
            }),
            Request::QueryInfo(QueryInfoRequest {
                file_id: FileId::RELATED,
                info_type: 1,
                information_class: 34,
                output_buffer_length: 56,
            }),
            Request::Close(CloseRequest {
                file_id: FileId::RELATED,
                query_attributes: false,
            }),
        ];
        // The connection starts with one credit: an ECHO answered with ten more.
        let echo = tokio::spawn({
            let connection = connection.clone();
            async move { connection.exchange(&Request::Echo, 1, 0).await }
        });
        let mut request = [0u8; 4 + 68];
        server.read_exact(&mut request).await.unwrap();
        let mut answer = response(&Header::decode(&request[4..]).unwrap(), 0, false);
        answer[14..16].copy_from_slice(&10u16.to_le_bytes());
        server.write_all(&frame(&[answer])).await.unwrap();
        echo.await.unwrap().unwrap();
        for round in 0..2u32 {
            let sender = tokio::spawn({
                let connection = connection.clone();
                let requests = requests.clone();
                async move { connection.exchange_compound(&requests, 1, 2).await }
            });
            let headers = read_chain(&mut server).await;
            let commands: Vec<Command> = headers.iter().map(|h| h.command).collect();
            assert_eq!(
                commands,
                [Command::Create, Command::QueryInfo, Command::Close]
            );
            let ids: Vec<u64> = headers.iter().map(|h| h.message_id).collect();
            let first = 1 + u64::from(round) * 3;
            assert_eq!(ids, [first, first + 1, first + 2]);
            assert_eq!(
                headers
                    .iter()
                    .map(|h| h.flags & flags::RELATED_OPERATIONS != 0)
                    .collect::<Vec<_>>(),
                [false, true, true]
            );
            // Each answer grants credits back (the first more, for the next round).
            let statuses = [0, 0xC000_0034, 0xC000_0034];
            if round == 0 {
                let mut answers: Vec<Vec<u8>> = headers
                    .iter()
                    .zip(statuses)
                    .enumerate()
                    .map(|(index, (header, status))| response(header, status, index < 2))
                    .collect();
                answers[0][14..16].copy_from_slice(&3u16.to_le_bytes());
                server.write_all(&frame(&answers)).await.unwrap();
            } else {
                for index in [2, 0, 1] {
                    let answer = response(&headers[index], statuses[index], false);
                    server.write_all(&frame(&[answer])).await.unwrap();
                }
            }
            let exchanges = sender.await.unwrap().unwrap();
            let got: Vec<(Command, u32)> = exchanges
                .iter()
                .map(|e| (e.header.command, e.header.status))
                .collect();
            assert_eq!(
                got,
                [
                    (Command::Create, 0),
                    (Command::QueryInfo, 0xC000_0034),
                    (Command::Close, 0xC000_0034)
                ]
            );
        }
    }

    /// A response repeating another command than the request with its message id is
    /// refused with a typed error, and the connection is closed before the caller sees it.
    #[tokio::test]
    async fn a_response_with_another_command_is_refused_and_closes_the_connection() {
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let connection = Connection::start(client, Duration::from_secs(5));
        let echo = tokio::spawn({
            let connection = connection.clone();
            async move { connection.exchange(&Request::Echo, 0, 0).await }
        });
        let mut request = [0u8; 4 + 68];
        server.read_exact(&mut request).await.unwrap();
        let mut header = Header::decode(&request[4..]).unwrap();
        header.command = Command::Close;
        server
            .write_all(&frame(&[response(&header, 0, false)]))
            .await
            .unwrap();
        let error = echo
            .await
            .unwrap()
            .expect_err("a CLOSE cannot answer an ECHO");
        assert!(
            matches!(
                error,
                Error::Refused(Refusal::UnexpectedResponse {
                    command: Command::Echo,
                    found: Command::Close
                })
            ),
            "{error}"
        );
        assert!(connection.closed_reason().is_some());
    }

    /// An unencrypted lease break notification (as Samba sends it), `size` its StructureSize,
    /// cut to `length` body bytes.
    fn notification_frame(size: u16, length: usize) -> Vec<u8> {
        let mut message = Vec::new();
        let mut header = Header::request(Command::OplockBreak, UNSOLICITED_MESSAGE_ID, 0, 0);
        header.flags = crate::wire::flags::SERVER_TO_REDIR;
        header.credits = 0;
        header.encode(&mut message);
        let mut body = size.to_le_bytes().to_vec();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&1u32.to_le_bytes()); // ACK_REQUIRED
        body.extend_from_slice(&[0x42; 16]);
        body.extend_from_slice(&7u32.to_le_bytes());
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(&[0; 12]);
        body.truncate(length);
        message.extend_from_slice(&body);
        let mut frame = frame_header(message.len()).unwrap().to_vec();
        frame.extend_from_slice(&message);
        frame
    }

    /// Sends `frames` from a fake server and returns what a subscriber received.
    async fn breaks_received(encrypting: bool, frames: &[Vec<u8>]) -> Vec<LeaseBreak> {
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let connection = Connection::start(client, Duration::from_secs(5));
        connection.set_security(
            1,
            Arc::new(Plain {
                encrypts: encrypting,
            }),
        );
        let mut breaks = connection.lease_breaks();
        let dropped = connection.lease_breaks();
        drop(dropped); // a gone subscriber is skipped, not an error
        for frame in frames {
            server.write_all(frame).await.unwrap();
        }
        // An echo answered after the notifications: once it is back, they were handled. It
        // goes without a session: a plaintext answer on the encrypting one would be refused.
        let echo = tokio::spawn({
            let connection = connection.clone();
            async move { connection.exchange(&Request::Echo, 0, 0).await }
        });
        let mut request = [0u8; 4 + 68];
        tokio::io::AsyncReadExt::read_exact(&mut server, &mut request)
            .await
            .unwrap();
        let mut response = Vec::new();
        let mut header = Header::decode(&request[4..]).unwrap();
        header.flags = crate::wire::flags::SERVER_TO_REDIR;
        header.encode(&mut response);
        response.extend_from_slice(&[4, 0, 0, 0]);
        let mut frame = frame_header(response.len()).unwrap().to_vec();
        frame.extend_from_slice(&response);
        server.write_all(&frame).await.unwrap();
        echo.await.unwrap().unwrap();
        let mut received = Vec::new();
        while let Ok(lease_break) = breaks.try_recv() {
            received.push(lease_break);
        }
        received
    }

    #[tokio::test]
    async fn lease_breaks_reach_subscribers_unless_the_connection_encrypts() {
        let good = notification_frame(LEASE_BREAK_NOTIFICATION_SIZE, 44);
        let received = breaks_received(false, std::slice::from_ref(&good)).await;
        assert_eq!(
            received,
            [LeaseBreak {
                key: [0x42; 16],
                current_state: 7,
                new_state: 3,
                epoch: 1,
                ack_required: true,
            }]
        );
        // Unencrypted on an encrypting connection: dropped.
        assert!(
            breaks_received(true, std::slice::from_ref(&good))
                .await
                .is_empty()
        );
        // Oplock breaks and truncated notifications are dropped; the connection goes on.
        let oplock = notification_frame(24, 24);
        let truncated = notification_frame(LEASE_BREAK_NOTIFICATION_SIZE, 30);
        let received = breaks_received(false, &[oplock, truncated, good]).await;
        assert_eq!(received.len(), 1);
    }
}
