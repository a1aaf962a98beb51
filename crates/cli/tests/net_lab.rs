//! The WNet verbs (`wnet use`, `view`, `user`, `agent`) and the per-user agent against the
//! Samba lab (`lab/samba`: LABSERVER at 198.51.100.2 in workgroup WNETLAB), as a user meets
//! them: exit codes, Windows' "System error N has occurred." texts and the `--json` fields.
//!
//! Every test runs in a sandbox of its own: a private runtime directory (so its own agent
//! socket and `agent.log`), its own configuration directory, no DNS (hosts, then NetBIOS via
//! the lab's WINS server), broadcasts only onto the lab's link, and none of the caller's WNET_*
//! variables. The sandbox stops its agent when it is dropped, so no agent outlives its test,
//! and it holds the lab (shared) for as long as the test runs.
//!
//! These tests need root (the lab is a network namespace with Samba in it).

use std::fs;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use wnet_testlab::{InUse, LabLease, SambaLab, run_bounded};

/// The lab server's address.
const SERVER: &str = "198.51.100.2";
/// An address on the lab's link where nothing answers.
const NOBODY: &str = "198.51.100.77";
/// The lab's workgroup and server name.
const WORKGROUP: &str = "WNETLAB";
const SERVER_NAME: &str = "LABSERVER";
/// The longest a single `wnet` invocation may take before the test fails (it is killed).
const COMMAND_LIMIT: Duration = Duration::from_secs(90);

fn unc(share: &str) -> String {
    format!(r"\\{SERVER}\{share}")
}

/// The `wnet-agent` built beside `wnet` (`cargo build --workspace` builds it).
fn agent_program() -> PathBuf {
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> Value {
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
fn assert_system_error(output: &Output, code: u32) -> String {
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
fn system_error(output: &Output) -> Option<u32> {
    let stderr = text(&output.stderr);
    let rest = stderr.split("System error ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[track_caller]
fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "wnet failed ({}): stdout {:?}, stderr {:?}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Whether process `pid` is gone (a zombie counts as gone: it no longer runs).
fn process_gone(pid: u64) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

/// Waits (at most `limit`) for `pid` to end; whether it did.
fn wait_gone(pid: u64, limit: Duration) -> bool {
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
fn run(command: &mut Command) -> Output {
    run_bounded(command, COMMAND_LIMIT).unwrap_or_else(|error| panic!("{error}"))
}

/// One test's private world: runtime and configuration directories, an agent socket, the
/// environment of every `wnet` it runs, and the lab, held until drop. Dropping it stops the
/// agent (`wnet agent stop`, then SIGTERM to the agent's own PID if it still runs) and
/// removes the directories.
struct Sandbox {
    root: PathBuf,
    /// Extra variables for every command (a test's own settings).
    env: Vec<(String, String)>,
    lab: Option<InUse<SambaLab>>,
}

impl Sandbox {
    /// A sandbox holding the lab (brought up if needed).
    fn new() -> Sandbox {
        let lab = SambaLab::acquire().unwrap_or_else(|error| panic!("the Samba lab: {error}"));
        assert_eq!(lab.address.to_string(), SERVER, "the lab moved");
        let mut sandbox = Sandbox::without_lab();
        sandbox.lab = Some(lab);
        sandbox
    }

    /// A sandbox that does not take the lab (for a test that holds it exclusively).
    fn without_lab() -> Sandbox {
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

    fn lab(&self) -> &SambaLab {
        self.lab.as_ref().expect("this sandbox holds the lab")
    }

    fn password(&self, user: &str) -> String {
        self.lab()
            .user(user)
            .unwrap_or_else(|| panic!("the lab has no user {user}"))
            .password
            .clone()
    }

    fn runtime_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    fn socket(&self) -> PathBuf {
        self.runtime_dir().join("wnet").join("agent.sock")
    }

    fn agent_log(&self) -> PathBuf {
        self.runtime_dir().join("wnet").join("agent.log")
    }

    fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// Sets a variable for every later command of this sandbox.
    fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(key, _)| key != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// `wnet ARGS` in this sandbox, not yet run.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.program(env!("CARGO_BIN_EXE_wnet"));
        command.args(args);
        command
    }

    /// `program` with this sandbox's environment, not yet run.
    fn program(&self, program: &str) -> Command {
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
    fn wnet(&self, args: &[&str]) -> Output {
        run(&mut self.command(args))
    }

    /// Runs `wnet ARGS` with extra variables for this one command.
    fn wnet_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (name, value) in vars {
            command.env(name, value);
        }
        run(&mut command)
    }

    /// `wnet use \\server\share PASSWORD /user:USER`, which must succeed.
    fn connect(&self, share: &str, user: &str) {
        let password = self.password(user);
        let output = self.wnet(&["use", &unc(share), &password, &format!("/user:{user}")]);
        assert_success(&output);
    }

    /// The `wnet --json use` rows.
    fn connections(&self) -> Vec<Value> {
        let output = self.wnet(&["--json", "use"]);
        assert_success(&output);
        match json(&output) {
            Value::Array(rows) => rows,
            other => panic!("wnet --json use printed {other}"),
        }
    }

    /// The running agent's `status --json`, or `None` when none runs.
    fn agent_status(&self) -> Option<Value> {
        let output = self.wnet(&["--json", "agent", "status"]);
        output.status.success().then(|| json(&output))
    }

    fn agent_pid(&self) -> Option<u64> {
        self.agent_status()
            .and_then(|status| status["pid"].as_u64())
    }

    /// Stops the agent if one runs and waits (5 s at most) until its process has ended;
    /// an agent that ignores the request gets SIGTERM, by its own PID.
    fn stop_agent(&self) {
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

/// A deviceless connection with /user and a password: listed (by this and by any other
/// `wnet` process, since the agent holds it), its user reported, deleted, and a second delete
/// is ERROR_NOT_CONNECTED.
#[test]
fn connect_list_user_and_delete_a_deviceless_connection() {
    let sandbox = Sandbox::new();
    let public = unc("public");
    let password = sandbox.password("wnetalice");

    let added = sandbox.wnet(&["use", &public, &password, "/user:wnetalice"]);
    assert_success(&added);
    assert_eq!(
        text(&added.stdout).trim(),
        "The command completed successfully."
    );

    // Another process, another time: the agent holds the connection for both.
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "one connection: {rows:?}");
    let row = &rows[0];
    assert_eq!(row["status"], "OK");
    assert_eq!(row["remote"], public.as_str());
    assert_eq!(row["local"], Value::Null);
    assert_eq!(row["user"], "wnetalice");
    assert_eq!(row["dialect"], "3.1.1");

    let user = sandbox.wnet(&["user", &public]);
    assert_success(&user);
    assert_eq!(text(&user.stdout).trim(), "wnetalice");

    // The text listing of yet another process shows it too, and one agent answers all.
    let pid = sandbox.agent_pid().expect("the agent runs");
    let listing = sandbox.wnet(&["use"]);
    assert_success(&listing);
    let listing = text(&listing.stdout);
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("OK") && line.contains(&public)),
        "not listed: {listing}"
    );
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["pid"].as_u64(), Some(pid), "the same agent");
    assert_eq!(status["connections"], 1);
    assert_eq!(status["sessions"], 1);

    let deleted = sandbox.wnet(&["use", &public, "/delete"]);
    assert_success(&deleted);
    assert_eq!(
        text(&deleted.stdout).trim(),
        format!("{public} was deleted successfully.")
    );
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    assert_eq!(
        sandbox.agent_status().expect("still running")["sessions"],
        0
    );

    let again = sandbox.wnet(&["use", &public, "/delete"]);
    let stderr = assert_system_error(&again, 2250);
    assert!(
        stderr.contains("This network connection does not exist."),
        "{stderr}"
    );
}

/// What the server refuses: a wrong password, a missing share, a user on a share that is
/// not for them — each with its Windows code and the NTSTATUS behind it.
#[test]
fn server_refusals_are_windows_errors_with_their_ntstatus() {
    let sandbox = Sandbox::new();
    let bob = sandbox.password("wnetbob");

    let wrong = sandbox.wnet(&["use", &unc("public"), "not-the-password", "/user:wnetalice"]);
    let stderr = assert_system_error(&wrong, 1326);
    assert!(
        stderr.contains("The user name or password is incorrect."),
        "{stderr}"
    );
    assert!(stderr.contains("NTSTATUS 0xc000006d"), "{stderr}");

    let missing = sandbox.wnet(&["use", &unc("no-such-share"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&missing, 67);
    assert!(
        stderr.contains("The network name cannot be found."),
        "{stderr}"
    );
    assert!(stderr.contains("NTSTATUS 0xc00000cc"), "{stderr}");

    let private = sandbox.wnet(&["use", &unc("alice"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&private, 5);
    assert!(stderr.contains("Access is denied."), "{stderr}");
    assert!(stderr.contains("NTSTATUS 0xc0000022"), "{stderr}");

    // Nothing failed half-way into the agent's tables.
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    assert_eq!(
        sandbox.agent_status().expect("the agent runs")["sessions"],
        0
    );
}

/// A host that does not answer is ERROR_BAD_NETPATH, within a bounded time.
#[test]
fn an_unreachable_host_is_a_bad_netpath_within_bounds() {
    let sandbox = Sandbox::new();
    let bob = sandbox.password("wnetbob");
    let started = Instant::now();
    let output = sandbox.wnet(&["use", &format!(r"\\{NOBODY}\public"), &bob, "/user:wnetbob"]);
    let took = started.elapsed();
    let stderr = assert_system_error(&output, 53);
    assert!(
        stderr.contains("The network path was not found."),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(30),
        "took {took:?} with WNET_SMB_TIMEOUT=5"
    );
}

/// One user per server: bob cannot connect to a server alice has a session with.
#[test]
fn a_second_user_for_the_same_server_is_a_credential_conflict() {
    let sandbox = Sandbox::new();
    sandbox.connect("public", "wnetalice");
    let bob = sandbox.password("wnetbob");
    let output = sandbox.wnet(&["use", &unc("readonly"), &bob, "/user:wnetbob"]);
    let stderr = assert_system_error(&output, 1219);
    assert!(
        stderr.contains("using more than one user name, are not allowed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("wnetalice"),
        "the cause names the holder: {stderr}"
    );
    // Alice's connection is untouched.
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["user"], "wnetalice");
}

/// Malformed local names and paths are refused before any connection is made.
#[test]
fn malformed_devices_and_names_are_refused() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");

    let bad_device = sandbox.wnet(&["use", "ZZ:", &public, &alice, "/user:wnetalice"]);
    let stderr = assert_system_error(&bad_device, 1200);
    assert!(
        stderr.contains("The specified device name is invalid."),
        "{stderr}"
    );
    let not_a_directory = sandbox.root.join("a-file");
    fs::write(&not_a_directory, b"").expect("a file");
    let file_device = sandbox.wnet(&[
        "use",
        &not_a_directory.display().to_string(),
        &public,
        &alice,
        "/user:wnetalice",
    ]);
    let stderr = assert_system_error(&file_device, 1200);
    assert!(stderr.contains("is not a directory"), "{stderr}");

    let malformed = sandbox.wnet(&["use", r"\\", &alice, "/user:wnetalice"]);
    let code = system_error(&malformed);
    assert!(
        matches!(code, Some(53 | 87)),
        "\\\\ must be ERROR_BAD_NETPATH or ERROR_INVALID_PARAMETER: {:?}",
        text(&malformed.stderr)
    );
    assert_eq!(malformed.status.code(), Some(1));

    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// Whether a FUSE mount sits at `path`.
fn is_mounted(path: &Path) -> bool {
    fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .any(|line| line.split(' ').nth(4) == Some(&*path.display().to_string()))
}

/// `wnet use Z: \\server\share` mounts the share at the drive's directory: a file written
/// there is on the server's disk, `wnet unc` names it by drive and by path, the letter cannot
/// be taken twice, a cancel with a file open is ERROR_OPEN_FILES, and a forced cancel takes
/// the mount away (the open file fails, nothing hangs).
#[test]
fn a_drive_letter_mounts_the_share() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");
    let output = sandbox.wnet(&["use", "z:", &public, &alice, "/user:wnetalice"]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Z");
    assert!(
        text(&output.stdout).contains(&format!("Z: is mounted at {}.", mount.display())),
        "{}",
        text(&output.stdout)
    );
    assert!(
        is_mounted(&mount),
        "{} is not a mount point",
        mount.display()
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["local"], "Z:");
    assert_eq!(rows[0]["status"], "OK");
    assert_eq!(rows[0]["mount_point"], mount.display().to_string());

    let share_dir = sandbox.lab().share("public").expect("public").path.clone();
    let name = format!("drive-{}", std::process::id());
    fs::create_dir(mount.join(&name)).expect("mkdir through the drive");
    fs::write(mount.join(&name).join("f.txt"), b"through Z:\n").expect("write through the drive");
    assert_eq!(
        fs::read(share_dir.join(&name).join("f.txt")).expect("the file on the server"),
        b"through Z:\n"
    );
    let expected = format!(r"{public}\{name}\f.txt");
    for path in [
        format!(r"Z:\{name}\f.txt"),
        mount.join(&name).join("f.txt").display().to_string(),
    ] {
        let output = sandbox.wnet(&["unc", &path]);
        assert_success(&output);
        assert_eq!(text(&output.stdout).trim(), expected, "wnet unc {path}");
    }

    let again = sandbox.wnet(&["use", "Z:", &unc("readonly"), &alice, "/user:wnetalice"]);
    assert_system_error(&again, 85);

    let held = fs::File::open(mount.join(&name).join("f.txt")).expect("open through the drive");
    let refused = sandbox.wnet(&["use", "Z:", "/delete"]);
    let stderr = assert_system_error(&refused, 2401);
    assert!(stderr.contains("open"), "{stderr}");
    assert!(is_mounted(&mount), "a refused cancel leaves the drive");

    let forced = sandbox.wnet(&["use", "Z:", "/delete", "/y"]);
    assert_success(&forced);
    let started = Instant::now();
    let mut buffer = [0u8; 16];
    let read = std::io::Read::read(&mut &held, &mut buffer);
    assert!(
        read.is_err(),
        "a read after the forced cancel fails: {read:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "and fails at once"
    );
    drop(held);
    assert!(!is_mounted(&mount), "the drive is gone");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    let _ = fs::remove_dir_all(share_dir.join(&name));
}

/// A drive connected with /persistent:yes and /savecred is remembered: it goes with the
/// agent (no mount left behind), is listed as Unavailable, comes back when the agent starts
/// again, and `wnet use /restore` reconnects it after a cancel that kept it remembered.
#[test]
fn remembered_drives_come_back_with_the_agent() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let public = unc("public");
    let output = sandbox.wnet(&[
        "use",
        "Y:",
        &public,
        &alice,
        "/user:wnetalice",
        "/persistent:yes",
        "/savecred",
    ]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Y");
    assert!(is_mounted(&mount));

    sandbox.stop_agent();
    assert!(!is_mounted(&mount), "the agent took its drive with it");
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "Unavailable");

    assert_success(&sandbox.wnet(&["agent", "start"]));
    // The agent restores in the background: the mount appears a moment before the
    // connection's row says OK.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut rows = sandbox.connections();
    while !(is_mounted(&mount) && rows[0]["status"] == "OK") && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
        rows = sandbox.connections();
    }
    assert!(
        is_mounted(&mount),
        "the agent restored the drive when it started"
    );
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    assert_eq!(rows[0]["user"], "wnetalice");

    assert_success(&sandbox.wnet(&["use", "Y:", "/delete", "/persistent:no"]));
    assert!(!is_mounted(&mount));
    let restored = sandbox.wnet(&["--json", "use", "/restore"]);
    assert_success(&restored);
    let rows = json(&restored);
    assert_eq!(rows[0]["local"], "Y:", "{rows}");
    assert_eq!(rows[0]["restored"], true, "{rows}");
    assert!(is_mounted(&mount), "/restore mounted it again");

    assert_success(&sandbox.wnet(&["use", "Y:", "/delete"]));
    assert!(!is_mounted(&mount));
    assert_eq!(sandbox.connections(), Vec::<Value>::new(), "and forgot it");
}

/// A second share of a server already connected reuses the agent's session, and `-v`
/// says so.
#[test]
fn a_second_share_reuses_the_session() {
    let sandbox = Sandbox::new();
    sandbox.connect("public", "wnetalice");
    let output = sandbox.wnet(&["-v", "use", &unc("readonly")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("reused the agent's session with 198.51.100.2 as wnetalice"),
        "-v must say the session was reused: {stderr}"
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|row| row["user"] == "wnetalice" && row["dialect"] == "3.1.1"),
        "{rows:?}"
    );
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["connections"], 2);
    assert_eq!(status["sessions"], 1, "one session for both: {status}");
}

/// WNET_USER/WNET_PASSWORD are the default credentials, and `-v` names them.
#[test]
fn default_credentials_from_the_environment() {
    let mut sandbox = Sandbox::new();
    let password = sandbox.password("wnetalice");
    sandbox.set("WNET_USER", "wnetalice");
    sandbox.set("WNET_PASSWORD", &password);
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("WNET_USER/WNET_PASSWORD from the environment"),
        "-v names the source: {stderr}"
    );
    assert!(
        !stderr.contains(&password),
        "-v shows no password: {stderr}"
    );
    assert_eq!(sandbox.connections()[0]["user"], "wnetalice");
}

fn write_credentials(sandbox: &Sandbox, mode: u32) -> PathBuf {
    let path = sandbox.config_dir().join("credentials");
    let body = format!(
        "# lab credentials\n[{SERVER}]\nusername = wnetbob\npassword = {}\n",
        sandbox.password("wnetbob")
    );
    fs::write(&path, body).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    fs::set_permissions(&path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|error| panic!("chmod {}: {error}", path.display()));
    path
}

/// A private credential file's section for the server is used, and `-v` names the file.
#[test]
fn default_credentials_from_the_credential_file() {
    let sandbox = Sandbox::new();
    let path = write_credentials(&sandbox, 0o600);
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    assert_success(&output);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "saved credentials for {SERVER} in {}",
            path.display()
        )),
        "-v names the file: {stderr}"
    );
    assert!(!stderr.contains(&sandbox.password("wnetbob")), "{stderr}");
    let user = sandbox.wnet(&["user", &unc("public")]);
    assert_success(&user);
    assert_eq!(text(&user.stdout).trim(), "wnetbob");
}

/// A credential file other users can read is refused, with the fix in the message.
#[test]
fn a_credential_file_readable_by_others_is_refused() {
    let sandbox = Sandbox::new();
    let path = write_credentials(&sandbox, 0o644);
    let output = sandbox.wnet(&["use", &unc("public")]);
    let stderr = assert_system_error(&output, 1205);
    assert!(
        stderr.contains(&format!("chmod 600 {}", path.display())),
        "the message says how to fix it: {stderr}"
    );
    assert!(!stderr.contains(&sandbox.password("wnetbob")), "{stderr}");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// With no credentials anywhere the session is anonymous, and the lab refuses it: Samba
/// accepts the null session but no share admits it, so the tree connect is
/// STATUS_ACCESS_DENIED, which Windows reports as error 5. (ERROR_LOGON_FAILURE, 1326, would
/// be the other Windows answer, from a server that refuses null sessions outright.)
#[test]
fn without_credentials_the_anonymous_session_is_refused() {
    let sandbox = Sandbox::new();
    let output = sandbox.wnet(&["-v", "use", &unc("public")]);
    let stderr = assert_system_error(&output, 5);
    assert!(stderr.contains("NTSTATUS 0xc0000022"), "{stderr}");
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
}

/// The shares of the server: listed ones by default, IPC$ with /all, and the JSON shape.
#[test]
fn view_lists_the_shares_of_the_server() {
    let sandbox = Sandbox::new();
    // Shares are listed over the agent's session (the lab refuses anonymous listings).
    sandbox.connect("public", "wnetalice");
    let server = format!(r"\\{SERVER}");

    let share_names = |output: &Output| -> Vec<String> {
        let listing = text(&output.stdout);
        let table = listing
            .split_once(&"-".repeat(79))
            .unwrap_or_else(|| panic!("no table: {listing}"))
            .1;
        table
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with("The command"))
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect()
    };

    let view = sandbox.wnet(&["view", &server]);
    assert_success(&view);
    assert!(
        text(&view.stdout).starts_with(&format!("Shared resources at {server}")),
        "{}",
        text(&view.stdout)
    );
    let names = share_names(&view);
    for share in ["public", "readonly", "alice"] {
        assert!(
            names.iter().any(|name| name == share),
            "{share} missing: {names:?}"
        );
    }
    assert!(!names.iter().any(|name| name.ends_with('$')), "{names:?}");

    let all = sandbox.wnet(&["view", &server, "/all"]);
    assert_success(&all);
    let all_names = share_names(&all);
    assert!(all_names.iter().any(|name| name == "IPC$"), "{all_names:?}");
    // hidden$ is not browseable at all: even /all does not see it.
    assert!(
        !all_names.iter().any(|name| name == "hidden$"),
        "{all_names:?}"
    );

    let listed = sandbox.wnet(&["--json", "view", &server]);
    assert_success(&listed);
    let listed = json(&listed);
    assert_eq!(listed["server"], SERVER);
    let shares = listed["shares"].as_array().expect("a shares array");
    let public = shares
        .iter()
        .find(|share| share["name"] == "public")
        .unwrap_or_else(|| panic!("public missing: {listed}"));
    assert_eq!(public["type"], "Disk");
    assert_eq!(public["share_type"], 0);
    assert_eq!(
        public["comment"].as_str(),
        Some(
            sandbox
                .lab()
                .share("public")
                .expect("public")
                .comment
                .as_str()
        )
    );
    assert!(
        shares
            .iter()
            .all(|share| !share["name"].as_str().unwrap_or_default().ends_with('$')),
        "{listed}"
    );
}

/// `wnet view \\server` with `user`'s credentials from the environment (password given).
fn view_as(sandbox: &Sandbox, user: &str, password: &str) -> Output {
    sandbox.wnet_with(
        &["view", &format!(r"\\{SERVER}")],
        &[("WNET_USER", user), ("WNET_PASSWORD", password)],
    )
}

/// The number of SMB sessions the running agent holds (kept idle ones included).
fn agent_sessions(sandbox: &Sandbox) -> Value {
    sandbox.agent_status().expect("the agent runs")["sessions"].clone()
}

/// A listing's session is kept for the next listing with the same credentials — user *and*
/// password: a wrong password is refused as before instead of riding on the kept session, and
/// another user gets a session of their own (a kept session claims no server for its user).
#[test]
fn listings_keep_a_session_for_the_same_credentials_only() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let bob = sandbox.password("wnetbob");

    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    let status = sandbox.agent_status().expect("the agent runs");
    assert_eq!(status["connections"], 0, "{status}");
    assert_eq!(
        status["sessions"], 1,
        "the listing's session is kept: {status}"
    );

    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    assert_eq!(agent_sessions(&sandbox), 1, "the kept session was reused");

    let wrong = view_as(&sandbox, "wnetalice", "not-the-password");
    let stderr = assert_system_error(&wrong, 1326);
    assert!(stderr.contains("NTSTATUS 0xc000006d"), "{stderr}");
    assert_eq!(agent_sessions(&sandbox), 1);

    assert_success(&view_as(&sandbox, "wnetbob", &bob));
    assert_eq!(agent_sessions(&sandbox), 2, "bob's own session, kept too");

    // A connection as bob now: no conflict with alice's kept session.
    sandbox.connect("public", "wnetbob");
    assert_eq!(sandbox.connections().len(), 1);
}

/// Kept sessions are logged off when their time is up (WNET_IDLE_SESSION_TIMEOUT), and with
/// 0 none is kept.
#[test]
fn kept_sessions_end_after_the_idle_session_timeout() {
    let mut sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "1");
    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    let deadline = Instant::now() + Duration::from_secs(20);
    while agent_sessions(&sandbox) != 0 {
        assert!(
            Instant::now() < deadline,
            "the kept session outlived its timeout by 19 s"
        );
        thread::sleep(Duration::from_millis(200));
    }
    sandbox.stop_agent();

    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "0");
    assert_success(&view_as(&sandbox, "wnetalice", &alice));
    assert_eq!(agent_sessions(&sandbox), 0, "nothing kept with 0");

    sandbox.set("WNET_IDLE_SESSION_TIMEOUT", "soon");
    sandbox.stop_agent();
    let refused = view_as(&sandbox, "wnetalice", &alice);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("WNET_IDLE_SESSION_TIMEOUT=soon"),
        "{}",
        text(&refused.stderr)
    );
}

/// Runs `wnet ARGS` until `found` holds for its output (about 20 s at most), for answers that
/// depend on nmbd having registered its names (just after the lab came up).
fn retry_until(
    sandbox: &Sandbox,
    args: &[&str],
    vars: &[(&str, &str)],
    found: impl Fn(&Output) -> bool,
) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let output = sandbox.wnet_with(args, vars);
        if found(&output) || Instant::now() >= deadline {
            return output;
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// Browsing: the servers of WNETLAB include LABSERVER, found through the lab's WINS
/// server; the workgroups include WNETLAB even when this machine is in another one.
#[test]
fn view_browses_servers_and_workgroups() {
    let sandbox = Sandbox::new();
    let has_labserver = |output: &Output| {
        output.status.success()
            && json(output)["servers"].as_array().is_some_and(|servers| {
                servers
                    .iter()
                    .any(|server| server["name"] == SERVER_NAME && server["address"] == SERVER)
            })
    };
    let servers = retry_until(&sandbox, &["--json", "view"], &[], has_labserver);
    assert!(
        has_labserver(&servers),
        "LABSERVER not found: {} {}",
        text(&servers.stdout),
        text(&servers.stderr)
    );
    assert_eq!(json(&servers)["workgroup"], WORKGROUP);

    let table = sandbox.wnet(&["view"]);
    assert_success(&table);
    assert!(
        text(&table.stdout).contains(&format!(r"\\{SERVER_NAME}")),
        "{}",
        text(&table.stdout)
    );

    // In another workgroup, WNETLAB can only come from the network.
    let elsewhere = [("WNET_WORKGROUP", "WNETTESTWG")];
    let has_wnetlab = |output: &Output| {
        output.status.success()
            && json(output)["workgroups"]
                .as_array()
                .is_some_and(|names| names.iter().any(|name| name == WORKGROUP))
    };
    let domains = retry_until(
        &sandbox,
        &["--json", "view", "/domain"],
        &elsewhere,
        has_wnetlab,
    );
    assert!(
        has_wnetlab(&domains),
        "WNETLAB not found: {} {}",
        text(&domains.stdout),
        text(&domains.stderr)
    );
    let names = json(&domains)["workgroups"].clone();
    assert!(
        names
            .as_array()
            .is_some_and(|names| names.iter().any(|name| name == "WNETTESTWG")),
        "the local workgroup is listed too: {names}"
    );

    let table = sandbox.wnet(&["view", "/domain"]);
    assert_success(&table);
    assert!(
        text(&table.stdout)
            .lines()
            .any(|line| line.trim() == WORKGROUP),
        "{}",
        text(&table.stdout)
    );
}

/// `agent status|start|stop`: not running is exit 1; started, it reports its PID and its
/// socket is private (0700 directory, 0600 socket); stopped, its process ends.
#[test]
fn agent_start_status_and_stop() {
    let sandbox = Sandbox::new();
    let none = sandbox.wnet(&["agent", "status"]);
    assert_eq!(none.status.code(), Some(1), "{}", text(&none.stderr));
    assert!(
        text(&none.stderr).contains("The wnet agent is not running"),
        "{}",
        text(&none.stderr)
    );

    let started = sandbox.wnet(&["agent", "start"]);
    assert_success(&started);
    let status = sandbox.agent_status().expect("the agent runs after start");
    assert_eq!(status["running"], true);
    assert_eq!(status["connections"], 0);
    assert_eq!(
        status["socket"].as_str(),
        Some(sandbox.socket().to_str().unwrap())
    );
    let pid = status["pid"].as_u64().expect("a pid");
    assert!(!process_gone(pid), "pid {pid} runs");

    let socket = fs::symlink_metadata(sandbox.socket()).expect("the socket exists");
    assert!(socket.file_type().is_socket());
    assert_eq!(socket.permissions().mode() & 0o777, 0o600, "socket mode");
    let dir = fs::metadata(sandbox.socket().parent().unwrap()).expect("its directory");
    assert_eq!(
        dir.permissions().mode() & 0o777,
        0o700,
        "socket directory mode"
    );

    // A second start finds the running agent.
    let again = sandbox.wnet(&["--json", "agent", "start"]);
    assert_success(&again);
    assert_eq!(json(&again)["pid"].as_u64(), Some(pid));

    let stopped = sandbox.wnet(&["--json", "agent", "stop"]);
    assert_success(&stopped);
    assert_eq!(json(&stopped)["stopped"], true);
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "agent {pid} still runs"
    );
    assert!(!sandbox.socket().exists(), "the socket is removed");
    let after = sandbox.wnet(&["agent", "status"]);
    assert_eq!(after.status.code(), Some(1));

    let not_running = sandbox.wnet(&["--json", "agent", "stop"]);
    assert_success(&not_running);
    assert_eq!(json(&not_running)["stopped"], false);
}

/// An agent with no connection exits by itself once idle (WNET_AGENT_IDLE seconds).
#[test]
fn an_idle_agent_exits_by_itself() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_AGENT_IDLE", "1");
    let started = sandbox.wnet(&["--json", "agent", "start"]);
    assert_success(&started);
    let status = json(&started);
    assert_eq!(status["idle_timeout_secs"], 1);
    let pid = status["pid"].as_u64().expect("a pid");
    assert!(
        wait_gone(pid, Duration::from_secs(10)),
        "the idle agent {pid} did not exit"
    );
    assert!(!sandbox.socket().exists(), "the socket is removed");
    assert!(sandbox.agent_status().is_none());
}

/// An idle agent holding a connection stays; connections do not survive a restart.
#[test]
fn connections_end_with_their_agent() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_AGENT_IDLE", "1");
    sandbox.connect("public", "wnetalice");
    let pid = sandbox.agent_pid().expect("the agent runs");
    // Well past the idle period: a connection keeps the agent.
    thread::sleep(Duration::from_secs(3));
    assert!(
        !process_gone(pid),
        "an agent with a connection must not exit when idle"
    );
    assert_eq!(sandbox.connections().len(), 1);

    assert_success(&sandbox.wnet(&["agent", "stop"]));
    assert!(
        wait_gone(pid, Duration::from_secs(5)),
        "agent {pid} still runs"
    );
    sandbox.set("WNET_AGENT_IDLE", "60");
    assert_success(&sandbox.wnet(&["agent", "start"]));
    let restarted = sandbox.agent_status().expect("a new agent");
    assert_ne!(restarted["pid"].as_u64(), Some(pid));
    assert_eq!(restarted["connections"], 0);
    assert_eq!(restarted["sessions"], 0);
    assert_eq!(sandbox.connections(), Vec::<Value>::new());
    let user = sandbox.wnet(&["user", &unc("public")]);
    assert_system_error(&user, 2250);
}

/// A command right after `wnet agent stop` starts a new agent instead of reaching the one
/// going away (which used to reset it: System error 1222).
#[test]
fn a_command_right_after_stop_starts_a_new_agent() {
    let sandbox = Sandbox::new();
    let password = sandbox.password("wnetalice");
    let user = "/user:wnetalice";
    for round in 0..10 {
        let output = sandbox.wnet(&["use", &unc("public"), &password, user]);
        assert!(
            output.status.success(),
            "round {round}: {}",
            text(&output.stderr)
        );
        // More connections, so the stopping agent's shutdown takes longer (it disconnects
        // each over the network before it ends).
        for share in ["readonly", "alice", "hidden$"] {
            assert_success(&sandbox.wnet(&["use", &unc(share), &password, user]));
        }
        // Straight from the stop to the next command: no polling delay in between.
        let stop = run(sandbox
            .program("sh")
            .arg("-c")
            .arg(r#""$0" agent stop >/dev/null && exec "$0" use "$1" "$2" "$3""#)
            .args([env!("CARGO_BIN_EXE_wnet"), &unc("public"), &password, user]));
        assert!(
            stop.status.success(),
            "round {round}: the command right after the stop failed: {}",
            text(&stop.stderr)
        );
        assert_success(&sandbox.wnet(&["agent", "stop"]));
    }
}

/// Two users racing for one server: exactly one gets it, the other gets 1219, as if it had
/// come second (both used to succeed, leaving two users connected to one server).
#[test]
fn racing_users_of_one_server_leave_one_user() {
    let sandbox = Sandbox::new();
    let alice = sandbox.password("wnetalice");
    let bob = sandbox.password("wnetbob");
    for round in 0..5 {
        let (first, second) = thread::scope(|scope| {
            let first =
                scope.spawn(|| sandbox.wnet(&["use", &unc("public"), &alice, "/user:wnetalice"]));
            let second =
                scope.spawn(|| sandbox.wnet(&["use", &unc("readonly"), &bob, "/user:wnetbob"]));
            (first.join().unwrap(), second.join().unwrap())
        });
        let outcomes = [&first, &second].map(|output| {
            if output.status.success() {
                None
            } else {
                system_error(output)
            }
        });
        assert!(
            matches!(outcomes, [None, Some(1219)] | [Some(1219), None]),
            "round {round}: one must win and the other get 1219: {outcomes:?} ({} / {})",
            text(&first.stderr),
            text(&second.stderr)
        );
        let rows = sandbox.connections();
        assert_eq!(rows.len(), 1, "round {round}: {rows:?}");
        assert_eq!(sandbox.agent_status().expect("running")["sessions"], 1);
        sandbox.stop_agent();
    }
}

/// A tiny client run as uid/gid 65534: connects to `socket`, sends a status request and
/// prints `CONNECT-ERROR <errno>`, or `REPLY <line>` (`REPLY ` alone when the agent closed
/// the connection without a word).
fn status_as_nobody(socket: &Path) -> String {
    const CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as error:
    print("CONNECT-ERROR", error.errno)
    sys.exit(0)
try:
    s.sendall(b'{"version":1,"request":{"op":"status"}}\n')
except OSError as error:
    print("SEND-ERROR", error.errno)
data = b""
try:
    while b"\n" not in data and len(data) < 65536:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as error:
    print("RECV-ERROR", error.errno)
print("REPLY", data.decode(errors="replace").strip())
"#;
    let output = run_bounded(
        Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .args(["/usr/bin/python3", "-c", CLIENT])
            .arg(socket),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|error| panic!("setpriv: {error}"));
    assert!(
        output.status.success(),
        "the client failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Another uid gets no answer from the agent: the OS refuses it at the private directory,
/// and with the directory opened up the agent itself refuses it (SO_PEERCRED).
#[test]
fn another_uid_gets_no_status() {
    assert!(
        Path::new("/usr/bin/python3").is_file(),
        "this test needs /usr/bin/python3 for its client"
    );
    let sandbox = Sandbox::new();
    assert_success(&sandbox.wnet(&["agent", "start"]));

    // As it is: the 0700 directory keeps the other uid out.
    let refused = status_as_nobody(&sandbox.socket());
    assert!(
        !refused.contains("\"status\""),
        "another uid got a status: {refused}"
    );
    assert_eq!(
        refused.trim(),
        "CONNECT-ERROR 13",
        "the OS must refuse the other uid (EACCES)"
    );

    // Opened up (test only): the agent's own check must refuse it.
    for dir in [
        sandbox.root.clone(),
        sandbox.runtime_dir(),
        sandbox.socket().parent().unwrap().to_owned(),
    ] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o711)).unwrap();
    }
    fs::set_permissions(sandbox.socket(), fs::Permissions::from_mode(0o666)).unwrap();
    let answer = status_as_nobody(&sandbox.socket());
    assert!(
        !answer.contains("\"status\""),
        "another uid got a status: {answer}"
    );
    let reply = answer
        .lines()
        .find_map(|line| line.strip_prefix("REPLY"))
        .unwrap_or_else(|| panic!("the client did not connect: {answer}"))
        .trim();
    if !reply.is_empty() {
        let reply: Value =
            serde_json::from_str(reply).unwrap_or_else(|error| panic!("{error}: {reply}"));
        assert_eq!(reply["result"], "error", "{reply}");
        assert_eq!(reply["code"], 5, "ERROR_ACCESS_DENIED: {reply}");
    }
    // The agent is still there for its own user.
    assert!(sandbox.agent_status().is_some());
}

/// Even at trace level, the agent's log never holds a password, neither of a connection
/// that worked nor of one that failed.
#[test]
fn no_password_in_the_agent_log() {
    let mut sandbox = Sandbox::new();
    sandbox.set("WNET_LOG", "trace");
    assert_success(&sandbox.wnet(&["agent", "start"]));
    let alice = sandbox.password("wnetalice");
    let distinctive = "Qx7-distinctive-Pw-0912";
    sandbox.connect("public", "wnetalice");
    let failed = sandbox.wnet(&["use", &unc("readonly"), distinctive, "/user:wnetbob"]);
    assert_eq!(failed.status.code(), Some(1));
    let failed = sandbox.wnet_with(
        &["use", &format!(r"\\{SERVER_NAME}\public"), "/user:wnetbob"],
        &[("WNET_PASSWORD", distinctive)],
    );
    assert_eq!(failed.status.code(), Some(1));
    assert_success(&sandbox.wnet(&["agent", "stop"]));
    // The log is complete once the agent has ended.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = fs::read(sandbox.agent_log()).expect("agent.log beside the socket");
        if log.windows(13).any(|window| window == b"agent stopped") || Instant::now() >= deadline {
            break log;
        }
        thread::sleep(Duration::from_millis(50));
    };
    assert!(!log.is_empty(), "the agent logged nothing at trace level");
    assert!(
        log.windows(14).any(|window| window == b"add_connection"),
        "requests are logged: {}",
        text(&log)
    );
    for secret in [alice.as_str(), distinctive] {
        let utf16: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
        for form in [secret.as_bytes(), utf16.as_slice()] {
            assert!(
                !log.windows(form.len()).any(|window| window == form),
                "a password is in the agent log: {}",
                text(&log)
            );
        }
    }
}

/// Brings the lab back up when dropped, so that a failing test leaves it as it found it.
struct LabBackUp;

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
fn lab_alone() -> ((LabBackUp, LabLease), SambaLab, Sandbox, String) {
    let lease = SambaLab::acquire_exclusive().unwrap_or_else(|error| panic!("{error}"));
    let back_up = LabBackUp;
    let lab = SambaLab::up().unwrap_or_else(|error| panic!("the Samba lab: {error}"));
    let sandbox = Sandbox::without_lab();
    let password = lab.user("wnetalice").expect("wnetalice").password.clone();
    ((back_up, lease), lab, sandbox, password)
}

/// Kills every smbd process of the lab (by PID) and waits, bounded, until they are gone.
fn kill_smbd(lab: &SambaLab) {
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
fn kill_smbd_connections(lab: &SambaLab) {
    let children = smbd_connection_processes(lab);
    assert!(!children.is_empty(), "no smbd serves a connection");
    for pid in &children {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// The lab's smbd processes that serve a connection each (the children of smbd's main one).
fn smbd_connection_processes(lab: &SambaLab) -> Vec<u32> {
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

/// The server drops a mapped drive's connection (the smbd serving it is killed; the server
/// stays): the agent connects it again by itself, with the credentials it was made with, and
/// the drive serves files over the new connection — reads, writes, `wnet use` saying OK — with
/// one session still. The test holds the lab alone, since it kills every connection's smbd.
#[test]
fn a_mapped_drive_reconnects_after_the_server_drops_it() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let output = sandbox.wnet(&["use", "Y:", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&output);
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("Y");
    let share_dir = lab.share("public").expect("public").path.clone();
    let before = format!("reconnect-before-{}.txt", std::process::id());
    fs::write(mount.join(&before), b"written before\n").expect("write through the drive");
    assert_eq!(
        fs::read(share_dir.join(&before)).expect("on the server"),
        b"written before\n"
    );

    kill_smbd_connections(&lab);
    // Until the agent has connected again, operations fail (EIO); then they work. Bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let read_back = loop {
        match fs::read(mount.join(&before)) {
            Ok(bytes) => break bytes,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the drive never served files again after the server dropped it: {error}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(read_back, b"written before\n");
    let after = format!("reconnect-after-{}.txt", std::process::id());
    fs::write(mount.join(&after), b"written after\n").expect("write after the reconnection");
    assert_eq!(
        fs::read(share_dir.join(&after)).expect("on the server"),
        b"written after\n"
    );
    let rows = sandbox.connections();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["local"], "Y:");
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    assert_eq!(
        agent_sessions(&sandbox),
        1,
        "the lost session replaced, not added to"
    );
    assert_success(&sandbox.wnet(&["use", "Y:", "/delete"]));
}

/// The smbd serving a mapped drive stops answering (SIGSTOP; the server's main process still
/// takes new connections): the first operation fails after one request timeout
/// (WNET_SMB_TIMEOUT=5) and the agent takes the connection as lost (`wnet use` says so, as
/// Windows does after its session timeout), then connects it again, and the drive works while
/// the old smbd is still stopped.
#[test]
fn a_drive_whose_server_stops_answering_is_connected_again() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let before = smbd_connection_processes(&lab);
    let output = sandbox.wnet(&["use", "X:", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&output);
    let ours: Vec<u32> = smbd_connection_processes(&lab)
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "one smbd serves the agent's connection: {ours:?}"
    );
    let mount = sandbox.runtime_dir().join("wnet").join("drives").join("X");
    let share_dir = lab.share("public").expect("public").path.clone();
    let name = format!("hung-{}.txt", std::process::id());
    fs::write(share_dir.join(&name), b"on the server\n").expect("a file on the server");

    let _ = Command::new("kill")
        .args(["-STOP", &ours[0].to_string()])
        .status();
    let continued = continue_when_dropped(ours[0]);
    let started = Instant::now();
    let stuck = fs::read(mount.join(&name));
    let took = started.elapsed();
    assert!(
        stuck.is_err(),
        "a read from a stopped server cannot succeed"
    );
    assert!(
        took < Duration::from_secs(20),
        "the read failed within bounds: {took:?}"
    );
    // Connected again (a new smbd), the old one still stopped.
    let deadline = Instant::now() + Duration::from_secs(30);
    let read_back = loop {
        match fs::read(mount.join(&name)) {
            Ok(bytes) => break bytes,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the drive never worked again after its server stopped answering: {error}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(read_back, b"on the server\n");
    let rows = sandbox.connections();
    assert_eq!(rows[0]["status"], "OK", "{rows:?}");
    drop(continued);
    assert_success(&sandbox.wnet(&["use", "X:", "/delete"]));
}

/// Continues the stopped process `pid` (SIGCONT) when dropped, however the test ends.
fn continue_when_dropped(pid: u32) -> impl Drop {
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

/// The server drops the connection under a kept listing session (its smbd for that
/// connection is killed, the server itself stays): the next listing is not an error — the
/// agent notices and lists over a new session. The test holds the lab alone, since it kills
/// every connection's smbd.
#[test]
fn a_listing_survives_the_server_dropping_the_kept_session() {
    let (_alone, lab, sandbox, password) = lab_alone();
    assert_success(&view_as(&sandbox, "wnetalice", &password));
    assert_eq!(agent_sessions(&sandbox), 1);

    kill_smbd_connections(&lab);

    let again = view_as(&sandbox, "wnetalice", &password);
    assert_success(&again);
    assert!(
        text(&again.stdout).contains("public"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(
        agent_sessions(&sandbox),
        1,
        "the dead session replaced, not added to"
    );
}

/// smbd is killed under a held session: the next operation fails with a Windows error within
/// a bound instead of hanging. The lab's namespace stays, so the lab's address still leads into
/// it (where nothing listens any more) and no packet follows the default route out of the
/// machine; the test holds the lab alone and brings it back up however it ends.
///
/// The bound is generous (60 s, with WNET_SMB_TIMEOUT=5): the agent sees its connection closed
/// by the kill and fails to reconnect at once (port closed), or waits for one request timeout.
#[test]
fn a_server_that_goes_away_fails_operations_within_bounds() {
    let (_alone, lab, sandbox, password) = lab_alone();
    let connected = sandbox.wnet(&["use", &unc("public"), &password, "/user:wnetalice"]);
    assert_success(&connected);
    // Listing works before.
    assert_success(&sandbox.wnet(&["view", &format!(r"\\{SERVER}")]));

    // smbd dies (every smbd process of the lab, by PID), its namespace stays: the address
    // still leads into the lab, where nothing listens any more.
    kill_smbd(&lab);
    let started = Instant::now();
    let view = sandbox.wnet(&["view", &format!(r"\\{SERVER}")]);
    let took = started.elapsed();
    let code = system_error(&view);
    assert_eq!(view.status.code(), Some(1), "{}", text(&view.stderr));
    assert!(
        matches!(code, Some(53 | 59 | 64 | 67 | 1222)),
        "a network error Windows gives for a vanished server, not {code:?}: {}",
        text(&view.stderr)
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
    eprintln!(
        "view after the lab went down: system error {code:?} in {took:?}: {}",
        text(&view.stderr).trim()
    );

    // The lab back: a new connection works again (the dead one is replaced).
    SambaLab::up().unwrap_or_else(|error| panic!("lab up: {error}"));
    let _ = sandbox.wnet(&["use", &unc("public"), "/delete"]);
    let again = sandbox.wnet(&["use", &unc("readonly"), &password, "/user:wnetalice"]);
    assert_success(&again);
}
