//! The agent's socket server: one instance per user (a lock file), a Unix socket in a private
//! directory, peers of another uid refused, one JSON request per line, and an exit after an
//! idle period with no connection held and no client attached.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::neighbourhood::NeighbourhoodWatch;
use crate::workstation::{FileChannelTree, Workstation};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use wnet::agent_protocol::{ErrorReply, PROTOCOL_VERSION, Request, RequestEnvelope, Response};
use wnet::error::{Cause, WinError, codes};
use wnet::secret_buffer::SecretBuffer;
use wnet_smb2::Tree;

/// The longest request line accepted, its newline included (requests are small; this bounds
/// a hostile client).
const MAX_LINE: usize = 1 << 20;
/// The line buffer's first allocation: room for any ordinary request.
const INITIAL_LINE: usize = 4096;
/// How often the idle check runs.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The socket's path; its directory is made private (0700) if it does not exist.
    pub socket: PathBuf,
    /// Exit after this long with no connection held and no client attached.
    pub idle_timeout: Duration,
}

/// Why the agent could not run.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Another agent of this user holds the lock.
    #[error("another wnet agent is running for this user (lock {0})")]
    AlreadyRunning(PathBuf),
    /// The socket's directory or the lock file in it is not this user's, or is a symbolic
    /// link (see `wnet_host::user_state`; a directory of ours with looser bits is tightened to
    /// 0700 instead).
    #[error(transparent)]
    InsecureState(#[from] wnet_host::user_state::StateError),
    /// A file-system or socket operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

/// The uid this process runs as (`u32::MAX`, which no peer has, if unknown).
pub fn current_uid() -> u32 {
    wnet_host::user_state::current_uid().unwrap_or(u32::MAX)
}

fn io_error<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> AgentError + 'a {
    move |source| AgentError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Makes the socket's directory (0700) or checks that the existing one is ours, private and
/// not a link, as the clients check it.
fn private_directory(dir: &Path) -> Result<(), AgentError> {
    wnet_host::user_state::check_dir(dir, wnet_host::user_state::DirRule::Private, true)?;
    Ok(())
}

/// A bound agent, ready to serve.
pub struct Agent {
    config: AgentConfig,
    listener: UnixListener,
    /// Whether the agent bound the socket (and so removes it when it stops); a socket the
    /// service manager handed over stays, for it to start the next agent on.
    bound_here: bool,
    _lock: File,
    workstation: Arc<Workstation>,
    neighbourhood: NeighbourhoodWatch,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Takes the per-user lock and binds the socket (replacing a stale one).
    pub fn bind(config: AgentConfig, workstation: Workstation) -> Result<Agent, AgentError> {
        let lock = Agent::lock(&config)?;
        // We hold the lock, so a socket file left here belongs to a dead agent.
        match fs::remove_file(&config.socket) {
            Ok(()) => tracing::info!(socket = %config.socket.display(), "removed a stale socket"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error("cannot remove", &config.socket)(error)),
        }
        let listener =
            UnixListener::bind(&config.socket).map_err(io_error("cannot bind", &config.socket))?;
        fs::set_permissions(&config.socket, fs::Permissions::from_mode(0o600))
            .map_err(io_error("cannot protect", &config.socket))?;
        Ok(Agent {
            config,
            listener,
            bound_here: true,
            _lock: lock,
            workstation: workstation.shared(),
            neighbourhood: NeighbourhoodWatch::new(),
        })
    }

    /// Takes the per-user lock and serves `listener`, a listening socket the service manager
    /// bound at `config.socket` and handed over (socket activation, see
    /// [`crate::activation`]). Its directory is held to the same rules as one the agent makes
    /// (this user's, private, not a link), the socket file is made 0600, and every client's
    /// uid is checked as usual.
    pub fn serve_inherited(
        config: AgentConfig,
        workstation: Workstation,
        listener: std::os::unix::net::UnixListener,
    ) -> Result<Agent, AgentError> {
        let lock = Agent::lock(&config)?;
        let meta = fs::symlink_metadata(&config.socket)
            .map_err(io_error("cannot inspect", &config.socket))?;
        if std::os::unix::fs::MetadataExt::uid(&meta) != current_uid() {
            return Err(AgentError::Io {
                what: "refusing a socket of another user at",
                path: config.socket.clone(),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            });
        }
        fs::set_permissions(&config.socket, fs::Permissions::from_mode(0o600))
            .map_err(io_error("cannot protect", &config.socket))?;
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| UnixListener::from_std(listener))
            .map_err(io_error("cannot serve", &config.socket))?;
        Ok(Agent {
            config,
            listener,
            bound_here: false,
            _lock: lock,
            workstation: workstation.shared(),
            neighbourhood: NeighbourhoodWatch::new(),
        })
    }

    /// Checks the socket's directory (making it if needed) and takes the per-user lock file
    /// in it.
    fn lock(config: &AgentConfig) -> Result<File, AgentError> {
        let dir = config
            .socket
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        private_directory(&dir)?;
        let lock_path = config.socket.with_extension("lock");
        // 0600, never through a link, and only a file of ours.
        let lock = wnet_host::user_state::open_private_append(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => Ok(lock),
            Err(fs::TryLockError::WouldBlock) => Err(AgentError::AlreadyRunning(lock_path)),
            Err(fs::TryLockError::Error(source)) => Err(AgentError::Io {
                what: "cannot lock",
                path: lock_path,
                source,
            }),
        }
    }

    /// The workstation the agent serves.
    pub fn workstation(&self) -> Arc<Workstation> {
        Arc::clone(&self.workstation)
    }

    /// Serves until stopped (a Stop request, SIGTERM or SIGINT) or idle; then disconnects
    /// everything and removes the socket.
    pub async fn serve(self) -> Result<(), AgentError> {
        let (stop, mut stopped) = watch::channel(false);
        let clients = Arc::new(AtomicUsize::new(0));
        let last_activity = Arc::new(std::sync::Mutex::new(Instant::now()));
        let mut idle_check = tokio::time::interval(IDLE_CHECK);
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(io_error("cannot watch signals for", &self.config.socket))?;
        let uid = current_uid();
        tracing::info!(socket = %self.config.socket.display(), pid = std::process::id(), "agent listening");
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let peer_uid = stream.peer_cred().map(|cred| cred.uid()).ok();
                    if peer_uid != Some(uid) {
                        tracing::warn!(?peer_uid, "refused a client of another uid");
                        refuse(stream).await;
                        continue;
                    }
                    let client = Client {
                        workstation: Arc::clone(&self.workstation),
                        neighbourhood: self.neighbourhood.clone(),
                        stop: stop.clone(),
                        clients: Arc::clone(&clients),
                        last_activity: Arc::clone(&last_activity),
                        idle_timeout: self.config.idle_timeout,
                    };
                    clients.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(client.serve(stream));
                }
                _ = stopped.changed() => break,
                _ = terminate.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = idle_check.tick() => {
                    if self.workstation.has_expired_sessions() {
                        let workstation = Arc::clone(&self.workstation);
                        tokio::spawn(async move { workstation.close_expired_sessions().await });
                    }
                    if self.workstation.has_lost_connections() {
                        let workstation = Arc::clone(&self.workstation);
                        tokio::spawn(async move { workstation.reconnect_lost_connections().await });
                    }
                    let idle_for = last_activity
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .elapsed();
                    let (connections, _) = self.workstation.counts();
                    if connections == 0
                        && clients.load(Ordering::SeqCst) == 0
                        && idle_for >= self.config.idle_timeout
                    {
                        tracing::info!(?idle_for, "idle with no connection; exiting");
                        break;
                    }
                }
            }
        }
        // Stop answering before the shutdown, which logs off over the network and may take
        // a request timeout per server: a client that connected now would wait in the
        // listener's backlog and be reset when this process ends, and an agent started for it
        // would find the lock still held and give up. So the socket goes first (while the lock
        // is held, so that it cannot be a new agent's), then the listener and the lock. A
        // socket the service manager handed over stays: it listens on it again, and starts
        // the next agent for the next client.
        if self.bound_here {
            let _ = fs::remove_file(&self.config.socket);
        }
        let Agent {
            listener,
            _lock: lock,
            workstation,
            ..
        } = self;
        drop(listener);
        drop(lock);
        workstation.shutdown().await;
        tracing::info!("agent stopped");
        Ok(())
    }
}

async fn refuse(mut stream: UnixStream) {
    let reply = Response::Error(ErrorReply::from(&WinError::with_cause(
        codes::ERROR_ACCESS_DENIED,
        Cause::Agent("the wnet agent serves only its own user".into()),
    )));
    if let Ok(mut line) = serde_json::to_vec(&reply) {
        line.push(b'\n');
        let _ = stream.write_all(&line).await;
    }
}

struct Client {
    workstation: Arc<Workstation>,
    neighbourhood: NeighbourhoodWatch,
    stop: watch::Sender<bool>,
    clients: Arc<AtomicUsize>,
    last_activity: Arc<std::sync::Mutex<Instant>>,
    idle_timeout: Duration,
}

impl Client {
    fn touch(&self) {
        *self
            .last_activity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    async fn serve(self, stream: UnixStream) {
        let (mut reader, mut writer) = stream.into_split();
        let mut lines = SecretBuffer::new(INITIAL_LINE, MAX_LINE);
        let files = self.converse(&mut reader, &mut writer, &mut lines).await;
        if let Some(channel) = files {
            crate::file_service::serve_files(channel.changes(), reader, writer).await;
        }
        self.touch();
        self.clients.fetch_sub(1, Ordering::SeqCst);
    }

    /// Answers request lines until the client goes, sends a line that is too long, asks the
    /// agent to stop, or turns the connection into a file channel (the tree it serves is
    /// returned). A request line may carry a password: it is read straight into `lines` (no
    /// `BufReader`, whose own buffer would keep it), and zeroed there once answered; `lines`
    /// is left holding nothing.
    async fn converse<R, W>(
        &self,
        reader: &mut R,
        writer: &mut W,
        lines: &mut SecretBuffer,
    ) -> Option<FileChannelTree<Tree>>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut files = None;
        while let Some(length) = next_line(reader, lines).await {
            self.touch();
            let (response, next) = self.answer(&lines.filled()[..length]).await;
            lines.consume(length);
            self.touch();
            let Ok(mut reply) = serde_json::to_vec(&response) else {
                break;
            };
            reply.push(b'\n');
            if writer.write_all(&reply).await.is_err() {
                break;
            }
            match next {
                Next::Answer => {}
                Next::Stop => {
                    let _ = self.stop.send(true);
                    break;
                }
                // A client waits for the answer before its first frame: bytes already here
                // after the request line break the protocol.
                Next::Files(channel) => {
                    if lines.filled().is_empty() {
                        files = Some(channel);
                    }
                    break;
                }
            }
        }
        lines.clear();
        files
    }

    async fn answer(&self, line: &[u8]) -> (Response, Next) {
        let invalid = |detail: String| {
            Response::Error(ErrorReply::from(&WinError::with_cause(
                codes::ERROR_INVALID_PARAMETER,
                Cause::Agent(detail),
            )))
        };
        let envelope: RequestEnvelope = match serde_json::from_slice(line) {
            Ok(envelope) => envelope,
            Err(error) => {
                return (invalid(format!("malformed request: {error}")), Next::Answer);
            }
        };
        if envelope.version != PROTOCOL_VERSION {
            let error = WinError::with_cause(
                codes::ERROR_NOT_SUPPORTED,
                Cause::Agent(format!(
                    "the agent speaks protocol version {PROTOCOL_VERSION}, the client {}; \
                     restart the agent (wnet agent stop)",
                    envelope.version
                )),
            );
            return (Response::Error(ErrorReply::from(&error)), Next::Answer);
        }
        match envelope.request {
            Request::Status => {
                let (connections, sessions) = self.workstation.counts();
                (
                    Response::Status {
                        pid: std::process::id(),
                        version: PROTOCOL_VERSION,
                        connections,
                        sessions,
                        idle_timeout_secs: self.idle_timeout.as_secs(),
                    },
                    Next::Answer,
                )
            }
            Request::Stop => (Response::Ok, Next::Stop),
            Request::Neighbourhood => match self.neighbourhood.view().await {
                Ok((view, age)) => (
                    Response::Neighbourhood {
                        view,
                        round_age_secs: age.as_secs(),
                    },
                    Next::Answer,
                ),
                Err(error) => (Response::Error(ErrorReply::from(&error)), Next::Answer),
            },
            Request::FileChannel {
                remote_name,
                credentials,
                logon,
            } => {
                tracing::debug!(op = "file_channel", "request");
                match self
                    .workstation
                    .file_tree(&remote_name, credentials.as_ref(), &logon)
                    .await
                {
                    Ok(channel) => {
                        let tree = channel.current();
                        (
                            Response::FileChannel {
                                max_read: tree.max_read_size(),
                                max_write: tree.max_write_size(),
                            },
                            Next::Files(channel),
                        )
                    }
                    Err(error) => (Response::Error(ErrorReply::from(&error)), Next::Answer),
                }
            }
            request => {
                tracing::debug!(op = request_name(&request), "request");
                let response = self.workstation.handle(request).await;
                if let Response::Error(error) = &response {
                    tracing::debug!(code = error.code, ntstatus = ?error.ntstatus, detail = ?error.detail, "request failed");
                }
                (response, Next::Answer)
            }
        }
    }
}

/// What a connection does after a request is answered.
enum Next {
    /// Reads the next request.
    Answer,
    /// Stops the agent.
    Stop,
    /// Serves the files of this share (a file channel), over its connection's tree as it
    /// is now and as reconnections replace it.
    Files(FileChannelTree<Tree>),
}

/// Reads until `lines` holds a whole line: its length, `None` when the client has gone, the
/// read failed, or the line is longer than the buffer's limit.
async fn next_line<R: AsyncRead + Unpin>(
    reader: &mut R,
    lines: &mut SecretBuffer,
) -> Option<usize> {
    let mut searched = 0;
    loop {
        if let Some(length) = lines.line_len(searched) {
            return Some(length);
        }
        searched = lines.filled().len();
        if lines.is_full() {
            return None;
        }
        match reader.read(lines.spare_mut()).await {
            Ok(0) | Err(_) => return None,
            Ok(read) => lines.advance(read),
        }
    }
}

/// The request's name for logs (never its arguments, which may hold a password).
fn request_name(request: &Request) -> &'static str {
    match request {
        Request::Status => "status",
        Request::AddConnection { .. } => "add_connection",
        Request::CancelConnection { .. } => "cancel_connection",
        Request::Connections => "connections",
        Request::Shares { .. } => "shares",
        Request::ResourceInformation { .. } => "resource_information",
        Request::ServeShare { .. } => "serve_share",
        Request::FileChannel { .. } => "file_channel",
        Request::DfsTargets { .. } => "dfs_targets",
        Request::Neighbourhood => "neighbourhood",
        Request::Stop => "stop",
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{DirBuilderExt as _, symlink};

    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    use crate::smb_provider::SmbProvider;
    use crate::workstation::Workstation;
    use tokio::sync::watch;
    use wnet::agent_protocol::{
        PROTOCOL_VERSION, Request, RequestEnvelope, Response, WireCredentials, WireSecret,
    };
    use wnet::resolve::ProviderConfig;
    use wnet::secret_buffer::SecretBuffer;

    use super::{Client, INITIAL_LINE, MAX_LINE};

    #[test]
    fn a_symlinked_socket_directory_is_refused() {
        let dir =
            std::env::temp_dir().join(format!("wnet-agent-socket-dir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
        let real = dir.join("real");
        fs::DirBuilder::new().mode(0o700).create(&real).unwrap();
        let link = dir.join("wnet");
        symlink(&real, &link).unwrap();
        let error = private_directory(&link).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A loopback port with nothing listening: a connection to it is refused at once.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn an_answered_request_leaves_no_password_in_the_line_buffer() {
        let provider = SmbProvider::new(ProviderConfig {
            ports: vec![closed_port()],
            timeout: Duration::from_secs(5),
            ..ProviderConfig::default()
        });
        let (stop, _stopped) = watch::channel(false);
        let client = Client {
            workstation: Workstation::new(provider).shared(),
            neighbourhood: NeighbourhoodWatch::new(),
            stop,
            clients: Arc::new(AtomicUsize::new(1)),
            last_activity: Arc::new(std::sync::Mutex::new(Instant::now())),
            idle_timeout: Duration::from_secs(60),
        };
        // Longer than the buffer's first allocation, so that it grows while reading it.
        let password = "correct-horse-battery-staple/".repeat(INITIAL_LINE / 16);
        let request = RequestEnvelope {
            version: PROTOCOL_VERSION,
            request: Request::AddConnection {
                remote_name: wnet::UncName::parse(r"\\127.0.0.1\share").unwrap(),
                local_name: None,
                credentials: Some(WireCredentials {
                    user: "alice".into(),
                    domain: String::new(),
                    password: WireSecret(password),
                    source: "explicit".into(),
                    explicit: true,
                }),
                flags: 0,
                resource_type: 1,
                logon: wnet::agent_protocol::Logon::default(),
            },
        };
        let mut line = serde_json::to_vec(&request).unwrap();
        line.push(b'\n');
        let (mut ours, theirs) = tokio::io::duplex(1 << 16);
        ours.write_all(&line).await.unwrap();
        ours.shutdown().await.unwrap();
        let (mut reader, mut writer) = tokio::io::split(theirs);
        let mut lines = SecretBuffer::new(INITIAL_LINE, MAX_LINE);
        client.converse(&mut reader, &mut writer, &mut lines).await;
        drop((reader, writer));
        let mut reply = String::new();
        ours.read_to_string(&mut reply).await.unwrap();
        let answer: Response = serde_json::from_str(&reply).unwrap();
        assert!(matches!(answer, Response::Error(_)), "{reply}");
        assert!(lines.is_zeroed(), "{lines:?}");
    }
}
