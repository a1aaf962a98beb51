//! Per-user state another local user could plant: a fake agent, a hijacked runtime directory,
//! a name cache. Each case runs `wnet` as root with a file or process of uid 65534 (nobody,
//! through `setpriv`), and checks what a user would: the command fails with a clear error and
//! the password never reaches the other user, or the planted answer is not used.
//!
//! Giving files to another uid needs root (CI runs the tests as root); as another user these
//! tests only say they were skipped.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _, chown, lchown};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The other user.
const NOBODY: u32 = 65534;
/// The password the victim types; it must never reach the other user.
const PASSWORD: &str = "Victim-Secret-pw9";

fn is_root() -> bool {
    let root = fs::metadata("/proc/self").is_ok_and(|meta| {
        use std::os::unix::fs::MetadataExt as _;
        meta.uid() == 0
    });
    if !root {
        eprintln!("skipped: playing another uid needs root");
    }
    root
}

/// A scratch directory (0755, so that nobody can reach into it), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "wnet-trust-{label}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.subsec_nanos())
        ));
        fs::DirBuilder::new()
            .mode(0o755)
            .create(&dir)
            .expect("a scratch directory");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        Scratch(dir)
    }

    /// `XDG_RUNTIME_DIR` for the run.
    fn xdg(&self) -> PathBuf {
        self.0.join("xdg")
    }

    /// `wnet` with this scratch directory as its whole world.
    fn wnet(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_wnet"))
            .args(args)
            .env("XDG_RUNTIME_DIR", self.xdg())
            .env("WNET_CONFIG_DIR", self.0.join("config"))
            .env("WNET_BROADCAST_ADDRESSES", "127.255.255.255")
            // Should it try to start an agent, it must not start a real one.
            .env("WNET_AGENT_PROGRAM", "/bin/false")
            .env("WNET_AGENT_TIMEOUT", "5")
            .env_remove("WNET_AGENT_SOCKET")
            .env_remove("WNET_NAME_CACHE")
            .env_remove("RUST_LOG")
            .output()
            .expect("wnet runs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A fake agent run as nobody: accepts one connection, and prints how many bytes it got and
/// what they were.
const FAKE_AGENT: &str = include_str!("../../wnet/tests/fake_agent.py");

/// Starts the fake agent as nobody at `socket` (in a directory nobody can write).
fn fake_agent(socket: &Path) -> (Child, std::io::Lines<BufReader<ChildStdout>>) {
    let mut server = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(["/usr/bin/python3", "-c", FAKE_AGENT])
        .arg(socket)
        .stdout(Stdio::piped())
        .spawn()
        .expect("setpriv and python3 run");
    let mut lines = BufReader::new(server.stdout.take().expect("piped")).lines();
    assert_eq!(lines.next().expect("a line").expect("text"), "READY");
    (server, lines)
}

/// What the fake agent received first: after `wnet` ran, the test sends `PROBE` itself, so
/// `RECEIVED 5 PROBE` means `wnet` never connected, and anything else shows what it sent.
fn first_received(
    socket: &Path,
    mut server: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
) -> String {
    if let Ok(mut probe) = UnixStream::connect(socket) {
        let _ = probe.write_all(b"PROBE");
    }
    let report: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = server.wait();
    report.join("\n")
}

fn add_connection(scratch: &Scratch) -> Output {
    let user = "/user:alice";
    scratch.wnet(&["use", r"\\127.0.0.1\share", PASSWORD, user])
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_fake_agent_of_another_user_gets_no_password() {
    if !is_root() {
        return;
    }
    let scratch = Scratch::new("fake-agent");
    let runtime = scratch.xdg().join("wnet");
    fs::create_dir_all(&runtime).unwrap();
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
    // Nobody serves a socket, which then sits in our private directory as a file of ours:
    // only the peer's credentials tell.
    let theirs = scratch.0.join("theirs");
    fs::create_dir(&theirs).unwrap();
    chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
    let their_socket = theirs.join("agent.sock");
    let (server, lines) = fake_agent(&their_socket);
    let socket = runtime.join("agent.sock");
    fs::rename(&their_socket, &socket).unwrap();
    lchown(&socket, Some(0), Some(0)).unwrap();

    let output = add_connection(&scratch);
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("System error 5 "), "{said}");
    assert!(said.contains("runs as uid 65534"), "{said}");
    assert!(said.contains(&socket.display().to_string()), "{said}");
    // wnet connected (the fake agent accepted it) and sent nothing at all.
    assert_eq!(first_received(&socket, server, lines), "RECEIVED 0 ");
}

#[test]
fn a_runtime_directory_made_by_another_user_is_refused() {
    if !is_root() {
        return;
    }
    let scratch = Scratch::new("hijacked");
    // The other user made the directory first, open to all, with an agent in it.
    let runtime = scratch.xdg().join("wnet");
    fs::create_dir_all(&runtime).unwrap();
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o777)).unwrap();
    chown(&runtime, Some(NOBODY), Some(NOBODY)).unwrap();
    let socket = runtime.join("agent.sock");
    let (server, lines) = fake_agent(&socket);

    let output = add_connection(&scratch);
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("System error 5 "), "{said}");
    assert!(
        said.contains(&format!("{} is owned by uid 65534", runtime.display())),
        "{said}"
    );
    assert!(said.contains("XDG_RUNTIME_DIR"), "{said}");
    assert_eq!(first_received(&socket, server, lines), "RECEIVED 5 PROBE");
    // Nothing of ours was left in their directory (no log to follow, no state).
    let names: Vec<_> = fs::read_dir(&runtime)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["agent.sock"]);
}

#[test]
fn a_name_cache_planted_by_another_user_is_not_used() {
    if !is_root() {
        return;
    }
    let scratch = Scratch::new("name-cache");
    let runtime = scratch.xdg().join("wnet");
    fs::create_dir_all(&runtime).unwrap();
    fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    // FILESRV<20> -> 6.6.6.6
    let mut name = b"FILESRV        ".to_vec();
    name.push(0x20);
    let hex = name.iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
        hex
    });
    let cache = runtime.join("name-cache.json");
    fs::write(
        &cache,
        format!(
            r#"[{{"name":"{hex}","scope":"","addresses":["6.6.6.6"],"group":false,"expires_unix":{expires}}}]"#
        ),
    )
    .unwrap();
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o644)).unwrap();
    // Ours: it is used (so the planted case below is meaningful).
    let output = scratch.wnet(&["nbtstat", "-c"]);
    assert!(text(&output).contains("6.6.6.6"), "{}", text(&output));

    chown(&cache, Some(NOBODY), Some(NOBODY)).unwrap();
    let output = scratch.wnet(&["nbtstat", "-c"]);
    let said = text(&output);
    assert!(!said.contains("6.6.6.6"), "{said}");
}
