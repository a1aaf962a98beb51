//! Shared by the CLI's lab tests (net_lab, agent_lab, disruption_lab): a sandbox per test —
//! its own runtime and configuration directories, no DNS, broadcasts only onto the lab's
//! link, none of the caller's WNET_* variables, its agent stopped when it is dropped — and
//! the helpers that run `wnet` in it, read its answers, and disturb the lab's server.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use wnet_testlab::{InUse, LabLease, SambaLab, run_bounded};

/// The lab server's address.
pub(crate) const SERVER: &str = "198.51.100.2";
/// An address on the lab's link where nothing answers.
pub(crate) const NOBODY: &str = "198.51.100.77";
/// The lab's workgroup and server name.
pub(crate) const WORKGROUP: &str = "WNETLAB";
pub(crate) const SERVER_NAME: &str = "LABSERVER";
/// The longest a single `wnet` invocation may take before the test fails (it is killed).
pub(crate) const COMMAND_LIMIT: Duration = Duration::from_secs(90);

pub(crate) fn unc(share: &str) -> String {
    format!(r"\\{SERVER}\{share}")
}

/// The `wnet-agent` built beside `wnet` (`cargo build --workspace` builds it).
pub(crate) fn agent_program() -> PathBuf {
    let wnet = Path::new(env!("CARGO_BIN_EXE_wnet"));
    let program = wnet
        .parent()
        .expect("wnet has a directory")
        .join("wnet-agent");
    assert!(
        program.is_file(),
        "{} does not exist: build the whole workspace first (cargo build --workspace)",
        program.display()
    );
    program
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): stdout {:?}, stderr {:?}",
            text(&output.stdout),
            text(&output.stderr)
        )
    })
}

/// Asserts that `output` is Windows' report of system error `code`: exit code 1 and the text
/// "System error N has occurred." on standard error. Returns standard error.
#[track_caller]
pub(crate) fn assert_system_error(output: &Output, code: u32) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected system error {code}: stdout {:?}, stderr {stderr:?}",
        text(&output.stdout)
    );
    assert!(
        stderr.contains(&format!("System error {code} has occurred.")),
        "expected system error {code}, got: {stderr}"
    );
    stderr
}

/// The N of "System error N has occurred." on standard error, if any.
pub(crate) fn system_error(output: &Output) -> Option<u32> {
    let stderr = text(&output.stderr);
    let rest = stderr.split("System error ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[track_caller]
pub(crate) fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "wnet failed ({}): stdout {:?}, stderr {:?}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Whether process `pid` is gone (a zombie counts as gone: it no longer runs).
pub(crate) fn process_gone(pid: u64) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

/// Waits (at most `limit`) for `pid` to end; whether it did.
pub(crate) fn wait_gone(pid: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if process_gone(pid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `command` (killed after [`COMMAND_LIMIT`]).
pub(crate) fn run(command: &mut Command) -> Output {
    run_bounded(command, COMMAND_LIMIT).unwrap_or_else(|error| panic!("{error}"))
}

/// One test's private world: runtime and configuration directories, an agent socket, the
/// environment of every `wnet` it runs, and the lab, held until drop. Dropping it stops the
/// agent (`wnet agent stop`, then SIGTERM to the agent's own PID if it still runs) and
/// removes the directories.
pub(crate) struct Sandbox {
    /// The directory that holds everything of the sandbox.
    pub(crate) root: PathBuf,
    /// Extra variables for every command (a test's own settings).
    env: Vec<(String, String)>,
    lab: Option<InUse<SambaLab>>,
}

impl Sandbox {
    /// A sandbox holding the lab (brought up if needed).
    pub(crate) fn new() -> Sandbox {
        let lab = SambaLab::acquire().unwrap_or_else(|error| panic!("the Samba lab: {error}"));
        assert_eq!(lab.address.to_string(), SERVER, "the lab moved");
        let mut sandbox = Sandbox::without_lab();
        sandbox.lab = Some(lab);
        sandbox
    }

    /// A sandbox that does not take the lab (for a test that holds it exclusively).
    pub(crate) fn without_lab() -> Sandbox {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        // Checked here, before a sandbox exists whose drop would need it.
        agent_program();
        let root = std::env::temp_dir().join(format!(
            "wnet-net-lab-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        for dir in [root.clone(), root.join("run"), root.join("config")] {
            fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                .unwrap_or_else(|error| panic!("chmod {}: {error}", dir.display()));
        }
        Sandbox {
            root,
            env: Vec::new(),
            lab: None,
        }
    }

    pub(crate) fn lab(&self) -> &SambaLab {
        self.lab.as_ref().expect("this sandbox holds the lab")
    }

    pub(crate) fn password(&self, user: &str) -> String {
        self.lab()
            .user(user)
            .unwrap_or_else(|| panic!("the lab has no user {user}"))
            .password
            .clone()
    }

    pub(crate) fn runtime_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    pub(crate) fn socket(&self) -> PathBuf {
        self.runtime_dir().join("wnet").join("agent.sock")
    }

    pub(crate) fn agent_log(&self) -> PathBuf {
        self.runtime_dir().join("wnet").join("agent.log")
    }

    pub(crate) fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// Sets a variable for every later command of this sandbox.
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(key, _)| key != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// `wnet ARGS` in this sandbox, not yet run.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = self.program(env!("CARGO_BIN_EXE_wnet"));
        command.args(args);
        command
    }

    /// `program` with this sandbox's environment, not yet run.
    pub(crate) fn program(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        // None of the caller's settings: every WNET_* variable goes, then the sandbox's.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("WNET_") {
                command.env_remove(&name);
            }
        }
        command
            .env_remove("WNET_USER")
            .env_remove("WNET_PASSWORD")
            .env_remove("RUST_LOG")
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env("WNET_AGENT_SOCKET", self.socket())
            .env("WNET_AGENT_PROGRAM", agent_program())
            .env("WNET_CONFIG_DIR", self.config_dir())
            .env("WNET_RESOLVE_ORDER", "hosts,netbios")
            .env("WNET_WINS_SERVERS", SERVER)
            .env("WNET_BROADCAST_ADDRESSES", "198.51.100.255")
            .env("WNET_WORKGROUP", WORKGROUP)
            .env("WNET_SMB_TIMEOUT", "5")
            .env("WNET_AGENT_TIMEOUT", "60");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs `wnet ARGS`.
    pub(crate) fn wnet(&self, args: &[&str]) -> Output {
        run(&mut self.command(args))
    }

    /// Runs `wnet ARGS` with extra variables for this one command.
    pub(crate) fn wnet_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (name, value) in vars {
            command.env(name, value);
        }
        run(&mut command)
    }

    /// `wnet use \\server\share PASSWORD /user:USER`, which must succeed.
    pub(crate) fn connect(&self, share: &str, user: &str) {
        let password = self.password(user);
        let output = self.wnet(&["use", &unc(share), &password, &format!("/user:{user}")]);
        assert_success(&output);
    }

    /// The `wnet --json use` rows.
    pub(crate) fn connections(&self) -> Vec<Value> {
        let output = self.wnet(&["--json", "use"]);
        assert_success(&output);
        match json(&output) {
            Value::Array(rows) => rows,
            other => panic!("wnet --json use printed {other}"),
        }
    }

    /// The running agent's `status --json`, or `None` when none runs.
    pub(crate) fn agent_status(&self) -> Option<Value> {
        let output = self.wnet(&["--json", "agent", "status"]);
        output.status.success().then(|| json(&output))
    }

    pub(crate) fn agent_pid(&self) -> Option<u64> {
        self.agent_status()
            .and_then(|status| status["pid"].as_u64())
    }

    /// Stops the agent if one runs and waits (5 s at most) until its process has ended;
    /// an agent that ignores the request gets SIGTERM, by its own PID.
    pub(crate) fn stop_agent(&self) {
        let pid = self.agent_pid();
        let _ = self.wnet(&["agent", "stop"]);
        let Some(pid) = pid else { return };
        if wait_gone(pid, Duration::from_secs(5)) {
            return;
        }
        // Still there: only signal it if it is our agent (its command line names our socket).
        let ours = fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
            let socket = self.socket();
            let socket = socket.as_os_str().as_encoded_bytes();
            cmdline.windows(socket.len()).any(|window| window == socket)
        });
        if ours {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            wait_gone(pid, Duration::from_secs(5));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_agent();
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Whether a FUSE mount sits at `path`.
pub(crate) fn is_mounted(path: &Path) -> bool {
    fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|line| line.split(' ').nth(4) == Some(&*path.display().to_string()))
}

/// Brings the lab back up when dropped, so that a failing test leaves it as it found it.
pub(crate) struct LabBackUp;

impl Drop for LabBackUp {
    fn drop(&mut self) {
        if let Err(error) = SambaLab::up() {
            eprintln!("could not bring the Samba lab back up: {error}");
        }
    }
}

/// The lab held alone and up (brought back up however the test ends, before it is let go), a
/// sandbox with no hold of its own on the lab, and wnetalice's password. The first item holds
/// the lab: keep it bound for the whole test.
pub(crate) fn lab_alone() -> ((LabBackUp, LabLease), SambaLab, Sandbox, String) {
    let lease = SambaLab::acquire_exclusive().unwrap_or_else(|error| panic!("{error}"));
    let back_up = LabBackUp;
    let lab = SambaLab::up().unwrap_or_else(|error| panic!("the Samba lab: {error}"));
    let sandbox = Sandbox::without_lab();
    let password = lab.user("wnetalice").expect("wnetalice").password.clone();
    ((back_up, lease), lab, sandbox, password)
}

/// Kills every smbd process of the lab (by PID) and waits, bounded, until they are gone.
pub(crate) fn kill_smbd(lab: &SambaLab) {
    let smbd: Vec<u32> = lab
        .processes()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "smbd")
        })
        .collect();
    assert!(!smbd.is_empty(), "the lab runs smbd");
    for pid in &smbd {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while lab.processes().iter().any(|pid| smbd.contains(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the smbd processes that serve connections (children of smbd's main process, which
/// stays and takes new connections), by PID: to a client, the server dropped its connection.
pub(crate) fn kill_smbd_connections(lab: &SambaLab) {
    let children = smbd_connection_processes(lab);
    assert!(!children.is_empty(), "no smbd serves a connection");
    for pid in &children {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// The lab's smbd processes that serve a connection each (the children of smbd's main one).
pub(crate) fn smbd_connection_processes(lab: &SambaLab) -> Vec<u32> {
    let smbd: Vec<u32> = lab
        .processes()
        .into_iter()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "smbd")
        })
        .collect();
    let parent_of = |pid: u32| -> Option<u32> {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("PPid:"))?
            .trim()
            .parse()
            .ok()
    };
    smbd.iter()
        .copied()
        .filter(|pid| parent_of(*pid).is_some_and(|parent| smbd.contains(&parent)))
        .collect()
}

/// Continues the stopped process `pid` (SIGCONT) when dropped, however the test ends.
pub(crate) fn continue_when_dropped(pid: u32) -> impl Drop {
    struct Continue(u32);
    impl Drop for Continue {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-CONT", &self.0.to_string()])
                .status();
        }
    }
    Continue(pid)
}

/// `wnet view \\server` with `user`'s credentials from the environment (password given).
pub(crate) fn view_as(sandbox: &Sandbox, user: &str, password: &str) -> Output {
    sandbox.wnet_with(
        &["view", &format!(r"\\{SERVER}")],
        &[("WNET_USER", user), ("WNET_PASSWORD", password)],
    )
}

/// The number of SMB sessions the running agent holds (kept idle ones included).
pub(crate) fn agent_sessions(sandbox: &Sandbox) -> Value {
    sandbox.agent_status().expect("the agent runs")["sessions"].clone()
}

/// `kinit` of the AD lab's alice into `ccache`, with `krb5_conf` and `options`, her password
/// on its standard input; a kinit that fails fails the test.
pub(crate) fn kinit_alice(
    lab: &wnet_testlab::AdLab,
    krb5_conf: &Path,
    ccache: &str,
    options: &[&str],
) {
    let alice = lab.user("alice").expect("alice");
    let mut command = Command::new("kinit");
    command
        .env("KRB5_CONFIG", krb5_conf)
        .env("KRB5CCNAME", ccache)
        .args(options)
        .arg(lab.principal(alice));
    let output = wnet_testlab::run_bounded_with_input(
        &mut command,
        format!("{}\n", alice.password).as_bytes(),
        Duration::from_secs(60),
    )
    .expect("kinit ran");
    assert!(output.status.success(), "kinit: {output:?}");
}
