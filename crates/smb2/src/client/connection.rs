//! One TCP connection to an SMB2 server: framing, message ids and credits, a reader task that
//! matches responses to requests by message id (skipping interim STATUS_PENDING answers), a
//! writer task so that a dropped request never leaves half a frame on the wire, and a timeout
//! on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::Error;
use crate::ntstatus::NtStatus;
use crate::wire::{Command, HEADER_LENGTH, Header, Request};

/// The largest frame accepted from a server: 8 MiB reads plus headers, with room to spare.
const MAX_FRAME: usize = 16 << 20;
/// The message id of unsolicited oplock and lease break notifications.
const UNSOLICITED_MESSAGE_ID: u64 = u64::MAX;
/// Credits the client tries to hold, so that reads and writes can be pipelined.
const CREDIT_TARGET: usize = 512;
/// How many frames may wait for the writer task.
const WRITE_QUEUE: usize = 64;

/// Signing, verification and encryption of one session's messages. The connection asks the
/// session registered under a message's session id; it knows no cryptography itself.
pub trait MessageSecurity: Send + Sync {
    /// Signs and/or encrypts an outgoing message as the session requires (`command` says
    /// which request it is; a 3.1.1 tree connect is always signed).
    fn protect(&self, message: Vec<u8>, command: Command) -> Result<Vec<u8>, Error>;
    /// Whether an incoming message may be accepted: a signed one must carry a good
    /// signature, and one that arrived neither signed nor encrypted only when the session
    /// does not require signing (interim responses excepted by the caller).
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

struct Shared {
    pending: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    /// Why the connection ended, once it has.
    closed: Mutex<Option<String>>,
    next_message_id: Mutex<u64>,
    credits: Semaphore,
    security: RwLock<HashMap<u64, Arc<dyn MessageSecurity>>>,
    charge_credits: std::sync::atomic::AtomicBool,
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
    pub fn closed_reason(&self) -> Option<String> {
        lock(&self.shared.closed).clone()
    }

    /// Sends `request` and waits for its final response, whatever its status.
    pub async fn exchange(
        &self,
        request: &Request,
        session_id: u64,
        tree_id: u32,
    ) -> Result<Exchange, Error> {
        let command = request.command();
        tokio::time::timeout(
            self.timeout,
            self.exchange_untimed(request, session_id, tree_id),
        )
        .await
        .map_err(|_| {
            // A server that leaves a request unanswered this long is taken as gone, as
            // Windows' redirector takes it: the connection is closed (its socket too), so the
            // requests waiting on it fail now instead of each waiting out its own timeout, and
            // its owner sees it lost (and may connect again).
            let reason = format!(
                "the server did not answer {command:?} within {:?}",
                self.timeout
            );
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

    async fn exchange_untimed(
        &self,
        request: &Request,
        session_id: u64,
        tree_id: u32,
    ) -> Result<Exchange, Error> {
        if let Some(reason) = self.closed_reason() {
            return Err(Error::Closed(reason));
        }
        let charge = if self
            .shared
            .charge_credits
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            request.credit_charge()
        } else {
            1
        };
        let permits = self
            .shared
            .credits
            .acquire_many(u32::from(charge))
            .await
            .map_err(|_| Error::Closed("connection closed".into()))?;
        permits.forget();
        let message_id = {
            let mut next = lock(&self.shared.next_message_id);
            let id = *next;
            *next += u64::from(charge);
            id
        };
        tracing::debug!(command = ?request.command(), message_id, session_id, tree_id, "smb2 request");
        let mut header = Header::request(request.command(), message_id, session_id, tree_id);
        header.credit_charge = if request.command() == Command::Negotiate {
            0
        } else {
            charge
        };
        let available = self.shared.credits.available_permits();
        header.credits = if available < CREDIT_TARGET {
            charge.saturating_add(64)
        } else {
            charge
        };
        let mut message = Vec::with_capacity(HEADER_LENGTH + 128 + request.payload_size());
        header.encode(&mut message);
        request.encode_body(&mut message);
        // Copying every request (a write carries up to megabytes) would only serve the
        // pre-authentication hash, which covers NEGOTIATE and SESSION_SETUP alone.
        let sent = if matches!(
            request.command(),
            Command::Negotiate | Command::SessionSetup
        ) {
            message.clone()
        } else {
            Vec::new()
        };
        let security = self
            .shared
            .security
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&session_id)
            .cloned();
        let message = match security {
            Some(security) => security.protect(message, request.command())?,
            None => message,
        };
        let mut frame = Vec::with_capacity(4 + message.len());
        frame.extend_from_slice(&frame_header(message.len())?);
        frame.extend_from_slice(&message);

        let (reply_sender, reply) = oneshot::channel();
        lock(&self.shared.pending).insert(message_id, reply_sender);
        let _guard = PendingGuard {
            shared: &self.shared,
            message_id,
        };
        // The reader may have failed every pending request just before this one joined them.
        if let Some(reason) = self.closed_reason() {
            return Err(Error::Closed(reason));
        }
        self.frames
            .send(frame)
            .await
            .map_err(|_| Error::Closed("connection closed".into()))?;
        let (response, header) = reply
            .await
            .map_err(|_| Error::Closed(self.closed_reason().unwrap_or_default()))??;
        Ok(Exchange {
            request: sent,
            response,
            header,
        })
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
            close(&shared, &format!("write failed: {error}"));
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
                "the server closed the connection".to_owned()
            } else {
                format!("read failed: {error}")
            };
        }
        // A NetBIOS session keep-alive (port 139) carries nothing.
        if prefix[0] == 0x85 {
            continue;
        }
        let length =
            usize::from(prefix[1]) << 16 | usize::from(prefix[2]) << 8 | usize::from(prefix[3]);
        if prefix[0] != 0 || length > MAX_FRAME {
            break format!("bad frame header {prefix:02x?}");
        }
        // Read into spare capacity: no zeroing of megabyte frames first.
        let mut frame = Vec::with_capacity(length);
        match (&mut reader)
            .take(length as u64)
            .read_to_end(&mut frame)
            .await
        {
            Ok(read) if read == length => {}
            Ok(_) => break "the server closed the connection mid-message".to_owned(),
            Err(error) => break format!("read failed: {error}"),
        }
        if let Err(reason) = dispatch_frame(&shared, frame) {
            break reason;
        }
    };
    close(&shared, &reason);
}

/// Handles one received frame: decrypts it, splits a compound, and hands each response to
/// its waiting request. An error ends the connection.
fn dispatch_frame(shared: &Shared, frame: Vec<u8>) -> Result<(), String> {
    let encrypted = frame.starts_with(&[0xFD, b'S', b'M', b'B']);
    let frame = if encrypted {
        let session_id = frame
            .get(44..52)
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .map(u64::from_le_bytes)
            .ok_or("truncated transform header")?;
        let security = shared
            .security
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&session_id)
            .cloned()
            .ok_or_else(|| format!("encrypted message for unknown session {session_id:#x}"))?;
        security
            .decrypt(&frame)
            .map_err(|error| format!("decryption failed: {error}"))?
    } else {
        frame
    };
    let mut start = 0;
    loop {
        let header = Header::decode(&frame[start..]).map_err(|error| error.to_string())?;
        let end = if header.next_command == 0 {
            frame.len()
        } else {
            start
                .checked_add(header.next_command as usize)
                .filter(|&end| end <= frame.len())
                .ok_or("compound NextCommand beyond the frame")?
        };
        if start == 0 && end == frame.len() {
            // A lone message (no compound): hand over the frame itself, uncopied.
            deliver(shared, frame, header, encrypted);
            return Ok(());
        }
        deliver(shared, frame[start..end].to_vec(), header, encrypted);
        if end >= frame.len() {
            return Ok(());
        }
        start = end;
    }
}

fn deliver(shared: &Shared, message: Vec<u8>, header: Header, encrypted: bool) {
    let message_id = header.message_id;
    shared.credits.add_permits(usize::from(header.credits));
    if header.message_id == UNSOLICITED_MESSAGE_ID {
        return; // oplock/lease breaks: we ask for neither
    }
    if header.status == NtStatus::STATUS_PENDING.0 && header.async_id.is_some() {
        return; // interim response; the final one follows
    }
    let security = shared
        .security
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&header.session_id)
        .cloned();
    let reply = match security {
        Some(security) if !security.accept(&message, &header, encrypted) => {
            Err(Error::BadSignature {
                command: header.command,
            })
        }
        _ => Ok((message, header)),
    };
    if let Some(waiter) = lock(&shared.pending).remove(&message_id) {
        let _ = waiter.send(reply);
    }
}

fn close(shared: &Shared, reason: &str) {
    tracing::debug!(%reason, "SMB2 connection closed");
    lock(&shared.closed).get_or_insert_with(|| reason.to_owned());
    shared.credits.close();
    for (_, waiter) in lock(&shared.pending).drain() {
        let _ = waiter.send(Err(Error::Closed(reason.to_owned())));
    }
}
