//! Socket activation without systemd: the test binds the agent's socket, as the service
//! manager does for `contrib/systemd/wnet-agent.socket`, and starts `wnet-agent` with it as
//! descriptor 3, `LISTEN_FDS=1` and `LISTEN_PID` its own pid (a shell duplicates the socket to
//! 3 and execs the agent, so that the pid is the agent's). The agent answers on that socket,
//! leaves the socket file when it stops, and refuses a socket whose directory is not private.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wnet::agent_protocol::{PROTOCOL_VERSION, Request, RequestEnvelope, Response};

/// Makes descriptor 0 (the listening socket) descriptor 3, sets the protocol's variables for
/// the shell's own pid, and execs the agent with it.
const ACTIVATE: &str = "exec 3<&0 0</dev/null; LISTEN_FDS=1; LISTEN_PID=$$; \
                        export LISTEN_FDS LISTEN_PID; exec \"$0\" \"$@\"";

struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "wnet-agent-activation-{label}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(dir.join("wnet"))
            .expect("a private directory");
        Scratch(dir)
    }

    fn socket(&self) -> PathBuf {
        self.0.join("wnet").join("agent.sock")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Starts the agent on `listener` as the service manager would.
fn activate(listener: UnixListener, scratch: &Scratch) -> Child {
    Command::new("sh")
        .arg("-c")
        .arg(ACTIVATE)
        .arg(env!("CARGO_BIN_EXE_wnet-agent"))
        .args(["--idle-timeout", "60"])
        .env("XDG_RUNTIME_DIR", &scratch.0)
        .env_remove("WNET_AGENT_SOCKET")
        // No lab here: name resolution stays on this machine.
        .env("WNET_RESOLVE_ORDER", "hosts")
        .stdin(Stdio::from(OwnedFd::from(listener)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs")
}

fn call(socket: &Path, request: Request) -> Response {
    let mut stream = UnixStream::connect(socket).expect("the socket answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a timeout");
    let mut line = serde_json::to_vec(&RequestEnvelope {
        version: PROTOCOL_VERSION,
        request,
    })
    .expect("a request line");
    line.push(b'\n');
    stream.write_all(&line).expect("the request is sent");
    let mut reply = String::new();
    BufReader::new(stream)
        .read_line(&mut reply)
        .expect("an answer");
    serde_json::from_str(&reply).unwrap_or_else(|error| panic!("{error}: {reply:?}"))
}

fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_activated_agent_answers_on_the_inherited_socket_and_leaves_it() {
    let scratch = Scratch::new("serve");
    let socket = scratch.socket();
    let listener = UnixListener::bind(&socket).unwrap();
    let mut agent = activate(listener, &scratch);
    // The socket listens before the agent runs: the first request waits in its backlog.
    let status = call(&socket, Request::Status);
    let Response::Status { pid, .. } = status else {
        panic!("not a status: {status:?}");
    };
    assert_eq!(pid, agent.id(), "another process answered");
    // The agent made the socket private and took the lock beside it.
    let mode = fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(socket.with_extension("lock").exists());
    assert!(matches!(call(&socket, Request::Stop), Response::Ok));
    let exit = wait(&mut agent, Duration::from_secs(30)).expect("the agent stops");
    assert!(exit.success(), "{exit}");
    // The service manager's socket stays for the next agent.
    assert!(
        fs::symlink_metadata(&socket).is_ok(),
        "the socket was removed"
    );
}

#[test]
fn an_inherited_socket_in_a_directory_others_may_enter_is_refused() {
    let scratch = Scratch::new("open-dir");
    let socket = scratch.socket();
    let listener = UnixListener::bind(&socket).unwrap();
    // A directory of another user's: the agent must not serve from it (as root, the test
    // can make one; a user's own directory with looser bits would be tightened instead).
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to give the directory to another user");
        return;
    }
    std::os::unix::fs::chown(socket.parent().unwrap(), Some(65534), Some(65534)).unwrap();
    let mut agent = activate(listener, &scratch);
    let exit = wait(&mut agent, Duration::from_secs(30)).expect("the agent exits");
    let mut said = String::new();
    std::io::Read::read_to_string(&mut agent.stderr.take().unwrap(), &mut said).unwrap();
    assert_eq!(exit.code(), Some(1), "{said}");
    assert!(said.contains("wnet-agent:"), "{said}");
}

#[test]
fn a_passed_descriptor_that_is_not_a_listening_socket_is_refused() {
    let scratch = Scratch::new("not-listening");
    let (ours, theirs) = UnixStream::pair().unwrap();
    let mut agent = Command::new("sh")
        .arg("-c")
        .arg(ACTIVATE)
        .arg(env!("CARGO_BIN_EXE_wnet-agent"))
        .env("XDG_RUNTIME_DIR", &scratch.0)
        .env_remove("WNET_AGENT_SOCKET")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exit = wait(&mut agent, Duration::from_secs(30)).expect("the agent exits");
    let mut said = String::new();
    std::io::Read::read_to_string(&mut agent.stderr.take().unwrap(), &mut said).unwrap();
    assert_eq!(exit.code(), Some(2), "{said}");
    assert!(said.contains("is not listening"), "{said}");
    drop(ours);
}
