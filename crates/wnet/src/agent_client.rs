//! The library's side of the agent: where its socket is, starting it on demand, and one
//! request/response exchange per call (blocking, with a timeout).
//!
//! Whom the client talks to is checked before it sends anything, since its requests carry
//! passwords: the socket's directory must be this user's and private (see
//! `wnet_host::user_state`), the socket file must be this user's, and the process that accepted
//! the connection must run as this user (`SO_PEERCRED`); otherwise the call fails with
//! ERROR_ACCESS_DENIED naming the socket and the uid found. root talking to another user's
//! agent is refused as well. The agent's log is opened without following links.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::agent_protocol::{
    Logon, PROTOCOL_VERSION, Request, RequestEnvelope, Response, WireCredentials,
};
use crate::secret_buffer::SecretBuffer;
use crate::unc::UncName;
use wnet_host::env_var;
use wnet_host::user_state::{DirRule, check_dir, open_private_append, open_private_read};

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
        || wnet_host::user_state::user_runtime_dir().join("agent.sock"),
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
    WinError::with_cause(codes::ERROR_NO_NETWORK, Cause::Agent(detail))
}

/// The agent's socket, or what leads to it, is not this user's: nothing is sent.
fn refused(detail: String) -> WinError {
    WinError::with_cause(codes::ERROR_ACCESS_DENIED, Cause::Agent(detail))
}

/// The effective uid of this process, which the agent must share.
fn my_uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// The directory the socket is in.
fn socket_dir(socket: &Path) -> &Path {
    socket
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Connects to the agent at `socket` if one answers there (`None` if none does), after
/// checking that the socket's directory and the socket are this user's, and before anything
/// is sent, that the process that accepted runs as this user.
fn open_agent_socket(socket: &Path) -> Result<Option<UnixStream>, WinError> {
    let uid = my_uid();
    match check_dir(socket_dir(socket), DirRule::Private, false) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(error) => return Err(refused(format!("the wnet agent's directory: {error}"))),
    }
    match std::fs::symlink_metadata(socket) {
        Ok(meta) if meta.uid() != uid => {
            return Err(refused(format!(
                "the wnet agent socket {} is owned by uid {}, not by you (uid {uid}): nothing \
                 was sent to it; remove it",
                socket.display(),
                meta.uid()
            )));
        }
        Ok(meta) if !meta.file_type().is_socket() => {
            return Err(refused(format!(
                "{} is not a socket: remove it",
                socket.display()
            )));
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(no_agent(format!(
                "cannot inspect {}: {error}",
                socket.display()
            )));
        }
    }
    let Ok(stream) = UnixStream::connect(socket) else {
        return Ok(None);
    };
    check_peer(&stream, socket, uid)?;
    Ok(Some(stream))
}

/// Refuses the connection unless the process at its other end runs as `uid` (`SO_PEERCRED`,
/// the credentials it had when it called `listen`).
fn check_peer(stream: &UnixStream, socket: &Path, uid: u32) -> Result<(), WinError> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let peer = getsockopt(stream, PeerCredentials).map_err(|errno| {
        refused(format!(
            "cannot learn who serves {} (SO_PEERCRED: {errno}): nothing was sent to it",
            socket.display()
        ))
    })?;
    if peer.uid() != uid {
        return Err(refused(format!(
            "the process serving {} (pid {}) runs as uid {}, not as you (uid {uid}): nothing \
             was sent to it",
            socket.display(),
            peer.pid(),
            peer.uid()
        )));
    }
    Ok(())
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
    /// Connects to a running agent; `None` when none answers, or when the one that answers
    /// is not this user's (see the module's documentation; [`AgentClient::connect`] says so).
    pub fn connect_running() -> Option<AgentClient> {
        AgentClient::try_connect_running().ok().flatten()
    }

    /// Connects to a running agent: `None` when none answers; ERROR_ACCESS_DENIED when the
    /// socket, its directory or the process serving it is not this user's.
    fn try_connect_running() -> Result<Option<AgentClient>, WinError> {
        match open_agent_socket(&agent_socket_path())? {
            Some(stream) => AgentClient::from_stream(stream).map(Some),
            None => Ok(None),
        }
    }

    /// Connects to the agent, starting it first if none runs (ERROR_NO_NETWORK, with the
    /// reason, when it cannot be started; ERROR_ACCESS_DENIED when the socket, its directory
    /// or the process serving it is not this user's).
    pub fn connect() -> Result<AgentClient, WinError> {
        if let Some(client) = AgentClient::try_connect_running()? {
            return Ok(client);
        }
        // One start at a time in this process: threads that find no agent together would
        // otherwise each start one, and a loser that comes up after the winner has gone (an
        // interpreter takes a while to start) would stay behind as an agent nobody asked for.
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = AgentClient::try_connect_running()? {
            return Ok(client);
        }
        let socket = agent_socket_path();
        // Where this agent's lines begin in the log (earlier agents' lines stay above).
        let log_start = std::fs::metadata(log_beside(&socket)).map_or(0, |meta| meta.len());
        let mut child = spawn_agent()?;
        let deadline = Instant::now() + START_TIMEOUT;
        // The agent opens its socket some milliseconds after it starts: look often at first,
        // then less (1, 2, 4 ... up to 20 ms), so that a started agent is reached at once.
        let mut pause = Duration::from_millis(1);
        let result = loop {
            match open_agent_socket(&socket) {
                Ok(Some(stream)) => break AgentClient::from_stream(stream),
                Err(error) => break Err(error),
                Ok(None) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        break Err(no_agent(format!(
                            "the wnet agent exited ({status}) before opening {}: {}",
                            socket.display(),
                            last_log_line(&socket, log_start)
                        )));
                    }
                    if Instant::now() >= deadline {
                        break Err(no_agent(format!(
                            "the wnet agent did not open {} within {START_TIMEOUT:?}",
                            socket.display()
                        )));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(20));
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

    /// Turns this connection into a file channel for `share` (see [`crate::file_channel`]),
    /// connecting the share implicitly with `credentials` if the agent has no connection to
    /// it: the stream, and the most one read and one write may carry.
    pub fn into_file_channel(
        mut self,
        share: UncName,
        credentials: Option<WireCredentials>,
    ) -> Result<(UnixStream, u32, u32), WinError> {
        let response = self.call(Request::FileChannel {
            remote_name: share,
            credentials,
            logon: Logon::of_caller(),
        })?;
        match response {
            Response::FileChannel {
                max_read,
                max_write,
            } => Ok((self.stream, max_read, max_write)),
            other => Err(no_agent(format!(
                "the wnet agent answered a file channel request with {other:?}"
            ))),
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
    let mut bytes = Vec::new();
    let read = match open_private_read(&log) {
        Ok(Some(file)) => (&file).read_to_end(&mut bytes).is_ok(),
        _ => false,
    };
    read.then_some(())
        .and_then(|()| last_line_since(&bytes, start))
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
/// the agent has removed its socket or ended (5 s at most), so that a call made right after
/// starts a new agent instead of reaching the one that is going away. (An agent a service
/// manager started leaves the socket, which the manager keeps: the next call starts another.)
pub fn stop_agent() -> Result<bool, WinError> {
    let Some(mut agent) = AgentClient::connect_running() else {
        return Ok(false);
    };
    let socket = agent_socket_path();
    let inode = |path: &std::path::Path| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::symlink_metadata(path).ok().map(|meta| meta.ino())
    };
    let pid = match agent.call(Request::Status) {
        Ok(Response::Status { pid, .. }) => Some(pid),
        _ => None,
    };
    let before = inode(&socket);
    agent.call(Request::Stop)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while before.is_some()
        && inode(&socket) == before
        && !pid.is_some_and(process_ended)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(true)
}

/// Whether process `pid` has ended (it is gone, or a zombie waiting to be reaped).
fn process_ended(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state follows the command's name, which is in parentheses and may hold any byte.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| matches!(state, "Z" | "X"))
}

/// Spawns the agent, its stderr appended to `agent.log` beside the socket, in its own
/// process group so that a Ctrl-C meant for the caller does not stop it.
fn spawn_agent() -> Result<std::process::Child, WinError> {
    let socket = agent_socket_path();
    let log_path = log_beside(&socket);
    // Makes the directory (0700) or checks it, then opens the log without following a link.
    let log = open_private_append(&log_path).map_err(|error| match error {
        wnet_host::user_state::StateError::Io { .. } => no_agent(error.to_string()),
        _ => refused(format!("cannot start the wnet agent: {error}")),
    })?;
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
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::net::UnixListener;
    use std::process::{Command, Stdio};

    use super::*;
    use crate::test_dir::TempDir;
    use std::io::{BufRead as _, BufReader};
    use std::os::unix::net::UnixStream;

    use super::{AgentClient, last_line_since};
    use crate::agent_protocol::{Request, Response, WireCredentials, WireSecret};

    /// "Another user" in these tests (nobody).
    const OTHER: u32 = 65534;

    /// A private (0700) directory of ours for a socket, inside `scratch`.
    fn private_dir(scratch: &TempDir) -> PathBuf {
        let dir = scratch.0.join("wnet");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    fn is_root() -> bool {
        let root = my_uid() == 0;
        if !root {
            eprintln!("skipped: playing another uid needs root");
        }
        root
    }

    #[test]
    fn an_agent_of_our_own_uid_is_reached() {
        let scratch = TempDir::new("agent-client");
        let socket = private_dir(&scratch).join("agent.sock");
        assert!(
            open_agent_socket(&socket).unwrap().is_none(),
            "no socket yet"
        );
        let _listener = UnixListener::bind(&socket).unwrap();
        assert!(open_agent_socket(&socket).unwrap().is_some());
    }

    #[test]
    fn a_peer_of_another_uid_is_refused_by_its_credentials() {
        let scratch = TempDir::new("agent-client");
        let socket = private_dir(&scratch).join("agent.sock");
        let _listener = UnixListener::bind(&socket).unwrap();
        let stream = UnixStream::connect(&socket).unwrap();
        check_peer(&stream, &socket, my_uid()).unwrap();
        let error = check_peer(&stream, &socket, my_uid() + 1).unwrap_err();
        assert_eq!(error.code, codes::ERROR_ACCESS_DENIED);
        assert!(
            error
                .to_string()
                .contains(&format!("runs as uid {}", my_uid())),
            "{error}"
        );
    }

    #[test]
    fn a_socket_file_of_another_user_is_refused_before_connecting() {
        if !is_root() {
            return;
        }
        let scratch = TempDir::new("agent-client");
        let socket = private_dir(&scratch).join("agent.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        std::os::unix::fs::lchown(&socket, Some(OTHER), Some(OTHER)).unwrap();
        let error = open_agent_socket(&socket).unwrap_err();
        assert_eq!(error.code, codes::ERROR_ACCESS_DENIED);
        let text = error.to_string();
        assert!(text.contains("owned by uid 65534"), "{text}");
        assert!(text.contains(&socket.display().to_string()), "{text}");
        // Not even connected.
        let accepted = listener.accept().map(|_| ()).map_err(|error| error.kind());
        assert_eq!(accepted, Err(std::io::ErrorKind::WouldBlock));
    }

    #[test]
    fn a_hijacked_socket_directory_is_refused() {
        if !is_root() {
            return;
        }
        let scratch = TempDir::new("agent-client");
        let dir = private_dir(&scratch);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        std::os::unix::fs::chown(&dir, Some(OTHER), Some(OTHER)).unwrap();
        let error = open_agent_socket(&dir.join("agent.sock")).unwrap_err();
        assert_eq!(error.code, codes::ERROR_ACCESS_DENIED);
        assert!(error.to_string().contains("owned by uid 65534"), "{error}");
    }

    /// A fake agent: a listener run as nobody that reports what it received.
    const FAKE_AGENT: &str = include_str!("../tests/fake_agent.py");

    #[test]
    fn a_fake_agent_of_another_uid_receives_nothing() {
        use std::io::BufRead as _;
        if !is_root() {
            return;
        }
        let scratch = TempDir::new("agent-client");
        let dir = private_dir(&scratch);
        // Nobody binds the socket in a directory of its own; we then move it into ours and
        // make the file ours, so that only SO_PEERCRED can tell.
        let theirs = scratch.0.join("theirs");
        fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(OTHER), Some(OTHER)).unwrap();
        let their_socket = theirs.join("agent.sock");
        let mut server = Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .args(["/usr/bin/python3", "-c", FAKE_AGENT])
            .arg(&their_socket)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "READY");
        let socket = dir.join("agent.sock");
        fs::rename(&their_socket, &socket).unwrap();
        std::os::unix::fs::lchown(&socket, Some(0), Some(0)).unwrap();

        let error = open_agent_socket(&socket).unwrap_err();
        assert_eq!(error.code, codes::ERROR_ACCESS_DENIED);
        let text = error.to_string();
        assert!(text.contains("runs as uid 65534"), "{text}");
        assert!(text.contains(&socket.display().to_string()), "{text}");
        let report: Vec<String> = lines.map(Result::unwrap).collect();
        server.wait().unwrap();
        assert_eq!(report, ["RECEIVED 0 "]);
    }

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
                logon: Logon::default(),
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
