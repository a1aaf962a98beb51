//! `wnet-agent`: the per-user workstation agent. Normally started on demand by the WNet library
//! or `wnet agent start`; run it by hand with `--socket` to debug.

use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;
use wnet::smb_provider::{ProviderConfig, SmbProvider};
use wnet::workstation::Workstation;

use wnet_agent::drives::{Backend, FuseRedirector, MountRecord, clean_stale_mounts};
use wnet_agent::server::{Agent, AgentConfig, AgentError};

const USAGE: &str = "usage: wnet-agent [--socket PATH] [--idle-timeout SECONDS] [-v|-vv]

The per-user wnet workstation agent: holds SMB sessions and the connection table, and answers
the WNet library over a private Unix socket. Started on demand; exits when idle.

Defaults: --socket $WNET_AGENT_SOCKET or $XDG_RUNTIME_DIR/wnet/agent.sock;
--idle-timeout $WNET_AGENT_IDLE or 300. Logs go to stderr (WNET_LOG sets the filter).";

fn main() -> ExitCode {
    let mut socket = wnet::agent_client::agent_socket_path();
    let mut idle = wnet::agent_client::agent_idle_timeout();
    let mut verbosity = 0;
    let mut args = std::env::args().skip(1);
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
                return ExitCode::SUCCESS;
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
        .init();

    let provider = match ProviderConfig::from_env() {
        Ok(config) => SmbProvider::new(config),
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            return ExitCode::from(2);
        }
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
            return ExitCode::FAILURE;
        }
    };
    let backend = match Backend::from_env() {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            return ExitCode::from(2);
        }
    };
    let record = MountRecord::new(config.socket.with_file_name("mounts"));
    let redirector = FuseRedirector::new(runtime.handle().clone(), record.clone(), backend);
    let workstation = Workstation::new(provider).with_redirector(Arc::new(redirector));
    let result = runtime.block_on(async {
        let agent = Agent::bind(config, workstation)?;
        // We hold the per-user lock: mounts a dead agent left are ours to detach.
        clean_stale_mounts(&record);
        let workstation = agent.workstation();
        tokio::spawn(async move { workstation.restore_remembered().await });
        agent.serve().await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(AgentError::AlreadyRunning(lock)) => {
            eprintln!("wnet-agent: already running (lock {})", lock.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("wnet-agent: {error}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("wnet-agent: {problem}\n{USAGE}");
    ExitCode::from(2)
}
