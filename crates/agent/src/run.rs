//! The agent's command line (`wnet-agent [--socket PATH] [--idle-timeout SECONDS] [-v|-vv]`),
//! as a library function so that a host other than the `wnet-agent` executable can run the
//! agent: the Python package starts the interpreter on its module `wnet._agent`, which calls
//! [`run`].

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::smb_provider::SmbProvider;
use crate::workstation::Workstation;
use wnet::resolve::ProviderConfig;

use crate::drives::{Backend, FuseRedirector, MountRecord, clean_stale_mounts};
use crate::server::{Agent, AgentConfig, AgentError};

const USAGE: &str = "usage: wnet-agent [--socket PATH] [--idle-timeout SECONDS] [-v|-vv]

The per-user wnet workstation agent: holds SMB sessions, the connection table and the drives
it mounts, and answers the WNet library over a private Unix socket. Started on demand; exits
when idle (with no connection).

Defaults: --socket $WNET_AGENT_SOCKET or $XDG_RUNTIME_DIR/wnet/agent.sock;
--idle-timeout $WNET_AGENT_IDLE or 300. Logs go to stderr (WNET_LOG sets the filter).

Socket activation: started by a service manager with a listening socket as descriptor 3
(LISTEN_FDS=1, LISTEN_PID=its pid; see contrib/systemd), it serves that socket instead, and
leaves it in place when it exits.";

/// Runs the agent with the command-line arguments `args` (without the program name) until it
/// stops; returns the process exit code (0 stopped normally or another agent already runs,
/// 1 failed, 2 bad arguments or configuration).
pub fn run(args: impl IntoIterator<Item = String>) -> u8 {
    keep_large_blocks();
    let mut socket = wnet::agent_client::agent_socket_path();
    let mut idle = wnet::agent_client::agent_idle_timeout();
    let mut verbosity = 0;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--socket" => match args.next() {
                Some(path) => socket = path.into(),
                None => return usage("--socket needs a path"),
            },
            "--idle-timeout" => match args.next().and_then(|value| value.parse::<f64>().ok()) {
                Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                    idle = Duration::from_secs_f64(seconds);
                }
                _ => return usage("--idle-timeout needs a number of seconds"),
            },
            "-v" => verbosity = 1,
            "-vv" => verbosity = 2,
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let default_filter = ["info", "debug", "trace"][verbosity];
    let filter = tracing_subscriber::EnvFilter::try_from_env("WNET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // A host that already logs (an embedding program) keeps its own subscriber.
        .try_init()
        .ok();

    let provider = match ProviderConfig::from_env() {
        Ok(config) => SmbProvider::new(config),
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            return 2;
        }
    };
    let inherited = match inherited_listener(&mut socket) {
        Ok(inherited) => inherited,
        Err(code) => return code,
    };
    let config = AgentConfig {
        socket,
        idle_timeout: idle,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("wnet-agent: cannot start a runtime: {error}");
            return 1;
        }
    };
    let backend = match Backend::from_env() {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            return 2;
        }
    };
    let record = MountRecord::new(config.socket.with_file_name("mounts"));
    let mut workstation = Workstation::new(provider);
    if let Some(backend) = backend {
        let redirector = FuseRedirector::new(runtime.handle().clone(), record.clone(), backend);
        workstation = workstation.with_redirector(Arc::new(redirector));
    }
    let result = runtime.block_on(async {
        let agent = match inherited {
            Some(listener) => Agent::serve_inherited(config, workstation, listener)?,
            None => Agent::bind(config, workstation)?,
        };
        // We hold the per-user lock: mounts a dead agent left are ours to detach.
        clean_stale_mounts(&record);
        let workstation = agent.workstation();
        tokio::spawn(async move { workstation.restore_remembered().await });
        agent.serve().await
    });
    match result {
        Ok(()) => 0,
        Err(AgentError::AlreadyRunning(lock)) => {
            eprintln!("wnet-agent: already running (lock {})", lock.display());
            0
        }
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            1
        }
    }
}

/// The listening socket a service manager passed, if any; `socket` becomes the path it is
/// bound to. Exit code 2 when what was passed is not such a socket.
fn inherited_listener(socket: &mut PathBuf) -> Result<Option<UnixListener>, u8> {
    match crate::activation::inherited_listener() {
        Ok(None) => Ok(None),
        Ok(Some(inherited)) => {
            if inherited.path != *socket {
                tracing::info!(
                    socket = %inherited.path.display(),
                    "serving the socket the service manager passed"
                );
            }
            *socket = inherited.path;
            Ok(Some(inherited.listener))
        }
        Err(error) => {
            eprintln!("wnet-agent: socket activation: {error}");
            Err(2)
        }
    }
}

fn usage(problem: &str) -> u8 {
    eprintln!("wnet-agent: {problem}\n{USAGE}");
    2
}

/// The largest block the C allocator takes from the heap rather than mapping on its own, and
/// how much free memory the heap keeps before it gives some back: each SMB read or write the
/// agent passes on is a block of up to 8 MiB, made and freed over and over. Mapped each time
/// (glibc's default above 128 KiB, and its own raised threshold gives the memory back soon),
/// every one cost fresh pages for the kernel to fault in and clear, which a profile of a
/// 256 MiB read through the file channel showed as a fifth of the agent's time.
const HEAP_BLOCK_MAX: i32 = 16 << 20;
const HEAP_KEPT_FREE: i32 = 64 << 20;

/// Tunes the C allocator for the agent's large, short-lived blocks (glibc only; elsewhere the
/// allocator's defaults stand).
fn keep_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt takes no pointer and only sets two of glibc's allocator parameters,
    // under the allocator's own lock, so it is sound at any time, from any thread.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, HEAP_BLOCK_MAX);
        nix::libc::mallopt(nix::libc::M_TRIM_THRESHOLD, HEAP_KEPT_FREE);
    }
}
