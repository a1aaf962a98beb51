//! The library's side of the agent: where its socket is, starting it on demand, and one
//! request/response exchange per call (blocking, with a timeout).

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::agent_protocol::{PROTOCOL_VERSION, Request, RequestEnvelope, Response};
use crate::secret_buffer::SecretBuffer;
use wnet_nbt::config::env_var;

use crate::error::{Cause, WinError, codes};

/// Default idle period after which the agent exits when it holds no connection.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a started agent may take to answer on its socket.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take: an add-connection runs several network steps, each bounded
/// by the provider's own timeout.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(180);
/// The longest request line sent (the agent accepts 1 MiB).
const MAX_REQUEST: usize = 1 << 20;
/// The longest response line read: a connection table or a share list (each bounded by the
/// agent) with room to spare; a longer answer is an agent gone wrong.
const MAX_RESPONSE: usize = 64 << 20;

/// The agent's socket: `$WNET_AGENT_SOCKET`, else `agent.sock` in the per-user runtime
/// directory (`$XDG_RUNTIME_DIR/wnet`, else `/tmp/wnet-<uid>`).
pub fn agent_socket_path() -> PathBuf {
    env_var("WNET_AGENT_SOCKET").map_or_else(
        || wnet_nbt::user_state::user_runtime_dir().join("agent.sock"),
        PathBuf::from,
    )
}

/// The agent's idle timeout: `$WNET_AGENT_IDLE` seconds, else [`DEFAULT_IDLE_TIMEOUT`].
pub fn agent_idle_timeout() -> Duration {
    env_var("WNET_AGENT_IDLE")
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map_or(DEFAULT_IDLE_TIMEOUT, Duration::from_secs_f64)
}

fn request_timeout() -> Duration {
    env_var("WNET_AGENT_TIMEOUT")
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs_f64)
}

/// Held while this process starts an agent (see [`AgentClient::connect`]).
static STARTING: Mutex<()> = Mutex::new(());

/// The command this process starts the agent with, when its host is not a wnet program.
static AGENT_COMMAND: RwLock<Option<(PathBuf, Vec<OsString>)>> = RwLock::new(None);

/// Sets how this process starts the agent: `program` with `args` before the agent's own
/// (`--socket PATH`). For hosts where no `wnet-agent` sits beside the executable: the Python
/// extension, whose executable is the Python interpreter, has it run its `wnet._agent` module.
/// `$WNET_AGENT_PROGRAM` still comes first.
pub fn set_agent_command(program: impl Into<PathBuf>, args: Vec<OsString>) {
    *AGENT_COMMAND
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Some((program.into(), args));
}

/// The agent's command: `$WNET_AGENT_PROGRAM`, else the one set by [`set_agent_command`],
/// else [`agent_program`]'s search; the program and the arguments that precede the agent's.
fn agent_command() -> (PathBuf, Vec<OsString>) {
    if let Some(program) = env_var("WNET_AGENT_PROGRAM") {
        return (program.into(), Vec::new());
    }
    if let Some(command) = AGENT_COMMAND
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    {
        return command;
    }
    (agent_program(), Vec::new())
}

/// The agent program: `$WNET_AGENT_PROGRAM`, else `wnet-agent` beside this program (or one
/// directory up, where cargo puts binaries next to test executables), else from `PATH`.
pub fn agent_program() -> PathBuf {
    if let Some(program) = env_var("WNET_AGENT_PROGRAM") {
        return program.into();
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(2) {
            let candidate = dir.join("wnet-agent");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from("wnet-agent")
}

fn no_agent(detail: String) -> WinError {
    WinError::with_cause(codes::ERROR_NO_NETWORK, Cause::Other(detail))
}

/// A connection to the agent.
///
/// A request may carry a password: it is serialized into a [`SecretBuffer`] and that buffer is
/// zeroed once written, and the response is read (without a `BufReader`, whose own buffer
/// would keep the bytes) into another that is zeroed once parsed.
#[derive(Debug)]
pub struct AgentClient {
    stream: UnixStream,
    request: SecretBuffer,
    response: SecretBuffer,
}

impl AgentClient {
    /// Connects to a running agent; `None` when none answers.
    pub fn connect_running() -> Option<AgentClient> {
        let stream = UnixStream::connect(agent_socket_path()).ok()?;
        AgentClient::from_stream(stream).ok()
    }

    /// Connects to the agent, starting it first if none runs (ERROR_NO_NETWORK, with the
    /// reason, when it cannot be started).
    pub fn connect() -> Result<AgentClient, WinError> {
        if let Some(client) = AgentClient::connect_running() {
            return Ok(client);
        }
        // One start at a time in this process: threads that find no agent together would
        // otherwise each start one, and a loser that comes up after the winner has gone (an
        // interpreter takes a while to start) would stay behind as an agent nobody asked for.
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = AgentClient::connect_running() {
            return Ok(client);
        }
        let socket = agent_socket_path();
        // Where this agent's lines begin in the log (earlier agents' lines stay above).
        let log_start = std::fs::metadata(log_beside(&socket)).map_or(0, |meta| meta.len());
        let mut child = spawn_agent()?;
        let deadline = Instant::now() + START_TIMEOUT;
        let result = loop {
            match UnixStream::connect(&socket) {
                Ok(stream) => break AgentClient::from_stream(stream),
                Err(error) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        break Err(no_agent(format!(
                            "the wnet agent exited ({status}) before opening {}: {}",
                            socket.display(),
                            last_log_line(&socket, log_start)
                        )));
                    }
                    if Instant::now() >= deadline {
                        break Err(no_agent(format!(
                            "the wnet agent did not open {} within {START_TIMEOUT:?}: {error}",
                            socket.display()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        };
        // A thread reaps the agent when it exits, so that it never lingers as a zombie.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        result
    }

    fn from_stream(stream: UnixStream) -> Result<AgentClient, WinError> {
        let timeout = request_timeout();
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|error| no_agent(format!("agent socket: {error}")))?;
        Ok(AgentClient::over(stream))
    }

    fn over(stream: UnixStream) -> AgentClient {
        AgentClient {
            stream,
            request: SecretBuffer::new(1024, MAX_REQUEST),
            response: SecretBuffer::new(4096, MAX_RESPONSE),
        }
    }

    /// Sends one request and reads its response; an error response becomes `Err`. Neither
    /// line stays in this client's memory afterwards.
    pub fn call(&mut self, request: Request) -> Result<Response, WinError> {
        let envelope = RequestEnvelope {
            version: PROTOCOL_VERSION,
            request,
        };
        let sent = self.send(&envelope);
        self.request.clear();
        // The envelope's password zeroes itself here.
        drop(envelope);
        sent?;
        let line = self.receive();
        let parsed = line.and_then(|length| {
            serde_json::from_slice::<Response>(&self.response.filled()[..length])
                .map_err(|error| no_agent(format!("unreadable answer from the agent: {error}")))
        });
        self.response.clear();
        match parsed? {
            Response::Error(error) => Err(error.into()),
            response => Ok(response),
        }
    }

    fn send(&mut self, envelope: &RequestEnvelope) -> Result<(), WinError> {
        serde_json::to_writer(&mut self.request, envelope)
            .and_then(|()| self.request.write_all(b"\n").map_err(serde_json::Error::io))
            .map_err(|error| no_agent(format!("cannot encode a request: {error}")))?;
        self.stream
            .write_all(self.request.filled())
            .map_err(|error| no_agent(format!("lost the wnet agent: {error}")))
    }

    /// Reads until the response buffer holds a whole line: its length.
    fn receive(&mut self) -> Result<usize, WinError> {
        let mut searched = 0;
        loop {
            if let Some(length) = self.response.line_len(searched) {
                return Ok(length);
            }
            searched = self.response.filled().len();
            if self.response.is_full() {
                return Err(no_agent(format!(
                    "the wnet agent's answer is longer than {MAX_RESPONSE} bytes"
                )));
            }
            match self.stream.read(self.response.spare_mut()) {
                Ok(0) => return Err(no_agent("the wnet agent closed the connection".into())),
                Ok(read) => self.response.advance(read),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(no_agent(format!("lost the wnet agent: {error}"))),
            }
        }
    }
}

/// The agent's log: `agent.log` beside the socket.
pub fn agent_log_path() -> PathBuf {
    log_beside(&agent_socket_path())
}

fn log_beside(socket: &std::path::Path) -> PathBuf {
    socket
        .parent()
        .map_or_else(|| PathBuf::from("agent.log"), |dir| dir.join("agent.log"))
}

fn last_log_line(socket: &std::path::Path, start: u64) -> String {
    let log = log_beside(socket);
    std::fs::read(&log)
        .ok()
        .and_then(|bytes| last_line_since(&bytes, start))
        .unwrap_or_else(|| format!("see {}", log.display()))
}

/// The last non-blank line of `log` written at or after byte `start` (the whole log if it is
/// shorter than that: it was replaced).
fn last_line_since(log: &[u8], start: u64) -> Option<String> {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let new = log.get(start..).unwrap_or(log);
    String::from_utf8_lossy(new)
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map(str::to_owned)
}

/// Starts the agent in the background (`wnet agent start`); a thread reaps it when it exits.
pub fn start_agent() -> Result<(), WinError> {
    let mut child = spawn_agent()?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Stops the running agent, if any (`wnet agent stop`): whether one was running. Returns once
/// the agent has removed its socket (5 s at most), so that a call made right after starts a
/// new agent instead of reaching the one that is going away.
pub fn stop_agent() -> Result<bool, WinError> {
    let Some(mut agent) = AgentClient::connect_running() else {
        return Ok(false);
    };
    let socket = agent_socket_path();
    let inode = |path: &std::path::Path| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::symlink_metadata(path).ok().map(|meta| meta.ino())
    };
    let before = inode(&socket);
    agent.call(Request::Stop)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while before.is_some() && inode(&socket) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(true)
}

/// Spawns the agent, its stderr appended to `agent.log` beside the socket, in its own
/// process group so that a Ctrl-C meant for the caller does not stop it.
fn spawn_agent() -> Result<std::process::Child, WinError> {
    let socket = agent_socket_path();
    let dir = socket.parent().map(PathBuf::from).unwrap_or_default();
    let log_path = log_beside(&socket);
    if !dir.as_os_str().is_empty() {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|error| no_agent(format!("cannot create {}: {error}", dir.display())))?;
    }
    let log = {
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(|error| no_agent(format!("cannot open {}: {error}", log_path.display())))?
    };
    let (program, leading) = agent_command();
    let mut command = Command::new(&program);
    command
        .args(&leading)
        .arg("--socket")
        .arg(&socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    command.spawn().map_err(|error| {
        no_agent(format!(
            "cannot start the wnet agent {}: {error}",
            program.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::os::unix::net::UnixStream;

    use super::{AgentClient, last_line_since};
    use crate::agent_protocol::{Request, Response, WireCredentials, WireSecret};

    #[test]
    fn a_call_leaves_no_password_in_the_clients_buffers() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let agent = std::thread::spawn(move || {
            let mut reader = BufReader::new(theirs);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            reader
                .get_mut()
                .write_all(b"{\"result\":\"shares\",\"shares\":[]}\n")
                .unwrap();
            line
        });
        let mut client = AgentClient::over(ours);
        let password = "Tr0ub4dor&3-in-a-long-password".repeat(100);
        let response = client
            .call(Request::Shares {
                server: "srv".into(),
                credentials: Some(WireCredentials {
                    user: "alice".into(),
                    domain: String::new(),
                    password: WireSecret(password.clone()),
                    source: "explicit".into(),
                    explicit: true,
                }),
            })
            .unwrap();
        assert_eq!(response, Response::Shares { shares: Vec::new() });
        // The line went out whole, in the protocol's format...
        let sent = agent.join().unwrap();
        assert!(
            sent.starts_with("{\"version\":1,\"request\":{\"op\":\"shares\""),
            "{sent}"
        );
        assert!(sent.contains(&format!("\"password\":\"{password}\"")));
        // ...and neither the request (which grew past its first allocation) nor the response
        // is left in the client.
        assert!(client.request.is_zeroed(), "{:?}", client.request);
        assert!(client.response.is_zeroed(), "{:?}", client.response);
    }

    #[test]
    fn an_agent_that_exits_early_is_explained_by_its_own_lines_only() {
        let earlier = b"old agent: listening\nold agent: stopped\n";
        let mut log = earlier.to_vec();
        let start = log.len() as u64;
        // Nothing new: no line from an earlier agent stands in for this one's.
        assert_eq!(last_line_since(&log, start), None);
        log.extend_from_slice(b"new agent: cannot bind the socket: permission denied\n\n");
        assert_eq!(
            last_line_since(&log, start).as_deref(),
            Some("new agent: cannot bind the socket: permission denied")
        );
        // A log replaced by a shorter one is read whole.
        assert_eq!(
            last_line_since(b"fresh: failed\n", start).as_deref(),
            Some("fresh: failed")
        );
    }
}
