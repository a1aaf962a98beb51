//! Once the agent has answered a request that carried a password, no copy of the password is
//! left in its memory: a `wnet-agent` process gets requests with distinctive passwords over
//! its socket (to a loopback port with nothing listening, so that each fails at once), and
//! its readable mappings are then searched through `/proc/PID/mem` for the passwords, in
//! UTF-8 and in UTF-16LE (NTLM's encoding).
//!
//! Reading another process's memory needs ptrace access to it; the agent is this test's
//! child, which Yama's default scope (1) allows, and root may always. Where the kernel
//! refuses anyway, the test says so and checks nothing rather than pass by accident.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A `wnet-agent` of this test's own, in a private directory; stopped (by its PID) and its
/// directory removed when dropped.
struct AgentProcess {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl AgentProcess {
    fn start(name: &str) -> AgentProcess {
        let dir = std::env::temp_dir().join(format!("wnet-secrets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a private directory");
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("a private directory");
        let socket = dir.join("agent.sock");
        let log = File::create(dir.join("agent.log")).expect("the agent's log");
        let child = Command::new(env!("CARGO_BIN_EXE_wnet-agent"))
            .arg("--socket")
            .arg(&socket)
            .arg("--idle-timeout")
            .arg("120")
            .env("XDG_RUNTIME_DIR", &dir)
            .env("WNET_SMB_PORTS", closed_port().to_string())
            .env("WNET_SMB_TIMEOUT", "5")
            .env("WNET_RESOLVE_ORDER", "hosts")
            .env("WNET_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("wnet-agent starts");
        let agent = AgentProcess { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(20);
        while UnixStream::connect(&agent.socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "the agent did not open its socket: {}",
                agent.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port with nothing listening: a connection to it is refused at once.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("a loopback port").port()
}

/// Sends `request` (one JSON line) on a connection of its own and returns the answer.
fn exchange(socket: &Path, request: &serde_json::Value) -> serde_json::Value {
    let mut stream = UnixStream::connect(socket).expect("the agent answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    let mut line = serde_json::to_vec(request).expect("JSON");
    line.push(b'\n');
    stream.write_all(&line).expect("the agent reads");
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .expect("the agent answers");
    serde_json::from_str(&reply).expect("a JSON answer")
}

/// Where in `pid`'s readable memory any of `needles` occurs: the mapping (its
/// `/proc/PID/maps` line), the offset and the bytes around it, for each found. `Err` when the process's memory cannot be read at all.
fn mappings_holding(pid: u32, needles: &[Vec<u8>]) -> Result<Vec<String>, std::io::Error> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
    let mut memory = File::open(format!("/proc/{pid}/mem"))?;
    let mut found = Vec::new();
    let mut read_any = false;
    for mapping in maps.lines() {
        let mut fields = mapping.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with('r') || mapping.ends_with("[vvar]") || mapping.contains("[vsyscall]")
        {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        let mut bytes = vec![0; usize::try_from(end - start).expect("a mapping fits in memory")];
        if memory.seek(SeekFrom::Start(start)).is_err() || memory.read_exact(&mut bytes).is_err() {
            continue;
        }
        read_any = true;
        for needle in needles {
            if let Some(offset) = memchr::memmem::find(&bytes, needle) {
                let around = &bytes
                    [offset.saturating_sub(32)..(offset + needle.len() + 32).min(bytes.len())];
                found.push(format!(
                    "{mapping} at +{offset:#x}: {:?}",
                    String::from_utf8_lossy(around)
                ));
            }
        }
    }
    if read_any {
        Ok(found)
    } else {
        Err(std::io::Error::other("no mapping could be read"))
    }
}

/// Where the part of a password searched for on its own begins (see `needles`).
const TAIL_FROM: usize = 17;

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn credentials(password: &str) -> serde_json::Value {
    serde_json::json!({
        "user": "alice",
        "domain": "LAB",
        "password": password,
        "source": "explicit",
        "explicit": true,
    })
}

#[test]
fn the_agent_keeps_no_password_once_it_has_answered() {
    let agent = AgentProcess::start("answered");
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // Distinctive passwords, one of them with characters that JSON escapes (a parser copies
    // an escaped string to unescape it).
    let passwords = [
        format!("Plain-secret-pad-{nonce}-add"),
        format!("Escaped\\secret\"pad-{nonce}-\\add\""),
        format!("Plain-secret-pad-{nonce}-shares"),
        format!("Plain-secret-pad-{nonce}-resource"),
    ];
    let requests = [
        serde_json::json!({"version": 1, "request": {
            "op": "add_connection", "remote_name": "\\\\127.0.0.1\\share", "local_name": null,
            "credentials": credentials(&passwords[0]), "flags": 0, "resource_type": 1}}),
        serde_json::json!({"version": 1, "request": {
            "op": "add_connection", "remote_name": "\\\\127.0.0.1\\share", "local_name": null,
            "credentials": credentials(&passwords[1]), "flags": 0, "resource_type": 1}}),
        serde_json::json!({"version": 1, "request": {
            "op": "shares", "server": "127.0.0.1",
            "credentials": credentials(&passwords[2])}}),
        serde_json::json!({"version": 1, "request": {
            "op": "resource_information", "remote_path": "\\\\127.0.0.1\\share\\dir",
            "credentials": credentials(&passwords[3])}}),
    ];
    for request in &requests {
        let answer = exchange(&agent.socket, request);
        // Each fails (nothing listens), and says so without the password.
        assert_eq!(answer["result"], "error", "{answer}");
        for password in &passwords {
            assert!(!answer.to_string().contains(password.as_str()), "{answer}");
        }
    }
    // A freed block's first 16 bytes become the allocator's links: the tails (unique by the
    // nonce in them) find a copy in freed memory too.
    let needles: Vec<Vec<u8>> = passwords
        .iter()
        .flat_map(|password| {
            let tail = &password[TAIL_FROM..];
            [
                password.as_bytes().to_vec(),
                tail.as_bytes().to_vec(),
                utf16le(password),
                utf16le(tail),
            ]
        })
        .collect();
    // The search finds what the agent does hold: its socket's path.
    let socket = agent.socket.to_str().unwrap().as_bytes().to_vec();
    match mappings_holding(agent.pid(), &[socket]) {
        Ok(holding) => assert!(!holding.is_empty(), "the search finds nothing at all"),
        Err(error) => {
            eprintln!("cannot read the agent's memory ({error}); nothing checked");
            return;
        }
    }
    // The answer goes out after the request is dropped; give any task still finishing with
    // it a moment.
    let deadline = Instant::now() + Duration::from_secs(3);
    let holding = loop {
        let holding = match mappings_holding(agent.pid(), &needles) {
            Ok(holding) => holding,
            Err(error) => {
                eprintln!("cannot read the agent's memory ({error}); nothing checked");
                return;
            }
        };
        if holding.is_empty() || Instant::now() >= deadline {
            break holding;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        holding.is_empty(),
        "a password is still in the agent's memory, in:\n{}\nagent log:\n{}",
        holding.join("\n"),
        agent.log()
    );
    assert!(
        !agent.log().contains(&format!("{nonce}")),
        "{}",
        agent.log()
    );
}
