//! Session commands (NCBCALL, NCBLISTEN, NCBSEND, NCBRECV, NCBHANGUP, NCBSSTAT, NCBCANCEL)
//! between this test's engine and the `ncb-echo` example in another process, impacket as a
//! caller, and Samba's smbd as the called node.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wnet_netbios::nb30::{ASYNCH, command, nrc, session_state};
use wnet_netbios::{Ncb, Netbios, NetbiosConfig, SharedNcb, name_field};
use wnet_testlab::{SambaLab, run_bounded};

/// Free name-service (UDP) and session-service (TCP) ports for one test.
fn free_ports() -> (u16, u16) {
    let udp = UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    let tcp = TcpListener::bind("127.0.0.1:0").expect("a TCP port");
    (
        udp.local_addr().expect("address").port(),
        tcp.local_addr().expect("address").port(),
    )
}

fn loopback_config(last: u8, name_port: u16, session_port: u16) -> NetbiosConfig {
    let mut config = NetbiosConfig::loopback_only(Ipv4Addr::new(127, 0, 0, last));
    config.name_port = name_port;
    config.session_port = session_port;
    config
}

/// The `ncb-echo` example, built by `cargo test` beside the test binaries.
fn ncb_echo_path() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary");
    let target = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    target.join("examples").join("ncb-echo")
}

/// `ncb-echo` serving `name` at `127.0.0.<last>`, killed on drop.
struct Echo {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Echo {
    fn start(name: &str, last: u8, name_port: u16, session_port: u16) -> Echo {
        let mut child = Command::new(ncb_echo_path())
            .args(["--name", name, "--bind", &format!("127.0.0.{last}")])
            .args(["--port", &session_port.to_string()])
            .args(["--name-port", &name_port.to_string()])
            .env("WNET_NETBIOS_INTERFACES", "lo")
            .env("WNET_NODE_TYPE", "B")
            .env_remove("WNET_WINS_SERVERS")
            .stdout(Stdio::piped())
            .spawn()
            .expect("ncb-echo starts (built by cargo test as an example)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let echo = Echo { child, lines };
        let ready = echo.line_starting("ready", Duration::from_secs(10));
        assert!(ready.contains(name), "{ready}");
        echo
    }

    /// The next line that starts with `prefix`, within `timeout`.
    fn line_starting(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(error) => {
                    panic!("ncb-echo printed no `{prefix}` line within {timeout:?}: {error}")
                }
            }
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(engine: &Netbios, mut ncb: Ncb) -> (u8, Ncb) {
    let code = engine.run(&mut ncb);
    (code, ncb)
}

fn setup(engine: &Netbios, name: &[u8]) {
    assert_eq!(
        run(engine, Ncb::with_command(command::NCBRESET, 0)).0,
        nrc::NRC_GOODRET
    );
    let mut add = Ncb::with_command(command::NCBADDNAME, 0);
    add.name = name_field(name);
    assert_eq!(run(engine, add).0, nrc::NRC_GOODRET);
}

fn call(engine: &Netbios, ours: &[u8], theirs: &[u8], rto: u8) -> (u8, u8) {
    let mut call = Ncb::with_command(command::NCBCALL, 0);
    call.name = name_field(ours);
    call.callname = name_field(theirs);
    call.rto = rto;
    call.sto = 20;
    let (code, ncb) = run(engine, call);
    (code, ncb.lsn)
}

fn send(engine: &Netbios, lsn: u8, data: &[u8]) -> u8 {
    let mut ncb = Ncb::with_command(command::NCBSEND, 0);
    ncb.lsn = lsn;
    ncb.set_buffer(data.to_vec());
    run(engine, ncb).0
}

fn receive(engine: &Netbios, lsn: u8, room: usize) -> (u8, Vec<u8>) {
    let mut ncb = Ncb::with_command(command::NCBRECV, 0);
    ncb.lsn = lsn;
    ncb.set_buffer(vec![0; room]);
    let (code, ncb) = run(engine, ncb);
    (code, ncb.data().to_vec())
}

#[test]
fn a_call_to_ncb_echo_keeps_messages_whole_and_hangs_up() {
    let (name_port, session_port) = free_ports();
    let echo = Echo::start("WNETECHO1", 61, name_port, session_port);
    let engine = Netbios::new(loopback_config(62, name_port, session_port)).expect("engine");
    setup(&engine, b"WNETCALLER1");

    let (code, lsn) = call(&engine, b"WNETCALLER1", b"WNETECHO1", 0);
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_ne!(lsn, 0, "LSNs start at 1");
    let line = echo.line_starting("session", Duration::from_secs(5));
    assert!(line.ends_with("from WNETCALLER1"), "{line}");

    // Two sends, two receives: message boundaries hold.
    assert_eq!(send(&engine, lsn, b"hello"), nrc::NRC_GOODRET);
    assert_eq!(send(&engine, lsn, b"world!"), nrc::NRC_GOODRET);
    assert_eq!(
        receive(&engine, lsn, 100),
        (nrc::NRC_GOODRET, b"hello".to_vec())
    );
    assert_eq!(
        receive(&engine, lsn, 100),
        (nrc::NRC_GOODRET, b"world!".to_vec())
    );

    // 60 KB intact.
    let big: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(send(&engine, lsn, &big), nrc::NRC_GOODRET);
    assert_eq!(receive(&engine, lsn, 65_535), (nrc::NRC_GOODRET, big));

    // A buffer too small: NRC_INCOMP with what fits, the rest on the next receive.
    assert_eq!(send(&engine, lsn, b"0123456789"), nrc::NRC_GOODRET);
    assert_eq!(
        receive(&engine, lsn, 4),
        (nrc::NRC_INCOMP, b"0123".to_vec())
    );
    assert_eq!(
        receive(&engine, lsn, 100),
        (nrc::NRC_GOODRET, b"456789".to_vec())
    );

    // NCBSSTAT lists the session.
    let mut status = Ncb::with_command(command::NCBSSTAT, 0);
    status.name = name_field(b"*");
    status.set_buffer(vec![0; 200]);
    let (code, status) = run(&engine, status);
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_eq!(status.buffer[1], 1, "one session");
    assert_eq!(status.buffer[4], lsn);
    assert_eq!(status.buffer[5], session_state::SESSION_ESTABLISHED);
    assert_eq!(&status.buffer[6..22], &name_field(b"WNETCALLER1"));
    assert_eq!(&status.buffer[22..38], &name_field(b"WNETECHO1"));

    // Both processes publish the session for `wnet nbtstat -s`: ours out, the echo's in.
    let published = wnet_netbios::published::published_sessions();
    let ours = published
        .iter()
        .find(|session| session.pid == std::process::id())
        .expect("our session is published");
    assert!(ours.outgoing);
    assert_eq!(
        ours.remote.to_string(),
        format!("127.0.0.61:{session_port}")
    );
    assert_eq!(ours.remote_name, name_field(b"WNETECHO1"));
    let theirs = published
        .iter()
        .find(|session| session.pid == echo.child.id())
        .expect("the echo's session is published");
    assert!(!theirs.outgoing);
    assert_eq!(theirs.remote_name, name_field(b"WNETCALLER1"));

    let mut hangup = Ncb::with_command(command::NCBHANGUP, 0);
    hangup.lsn = lsn;
    assert_eq!(run(&engine, hangup.clone()).0, nrc::NRC_GOODRET);
    assert!(
        wnet_netbios::published::published_sessions()
            .iter()
            .all(|session| session.pid != std::process::id()),
        "a hung-up session is no longer published"
    );
    let ended = echo.line_starting("session ", Duration::from_secs(5));
    assert!(
        ended.contains("(0x0a)"),
        "the peer sees NRC_SCLOSED: {ended}"
    );
    assert_eq!(
        run(&engine, hangup).0,
        nrc::NRC_SNUMOUT,
        "that session is gone"
    );
    assert_eq!(send(&engine, lsn, b"late"), nrc::NRC_SNUMOUT);
}

#[test]
fn calls_nobody_answers_and_timeouts() {
    let (name_port, session_port) = free_ports();
    let engine = Netbios::new(loopback_config(63, name_port, session_port)).expect("engine");
    setup(&engine, b"WNETLONELY");
    // A name nobody has.
    assert_eq!(
        call(&engine, b"WNETLONELY", b"NOSUCHNAME", 0).0,
        nrc::NRC_NOCALL
    );
    // A name that is ours but has no listen pending: the session service refuses the call.
    let mut second = Ncb::with_command(command::NCBADDNAME, 0);
    second.name = name_field(b"WNETIDLE");
    assert_eq!(run(&engine, second).0, nrc::NRC_GOODRET);
    assert_eq!(
        call(&engine, b"WNETLONELY", b"WNETIDLE", 0).0,
        nrc::NRC_NOCALL
    );
    // The local name must be ours.
    assert_eq!(call(&engine, b"NOTOURS", b"WNETIDLE", 0).0, nrc::NRC_NOWILD);

    // An ASYNCH listen stays pending until NCBCANCEL, then completes with NRC_CMDCAN.
    let mut listen = Ncb::with_command(command::NCBLISTEN | ASYNCH, 0);
    listen.name = name_field(b"WNETIDLE");
    listen.callname = name_field(b"*");
    let listen = SharedNcb::new(listen);
    assert_eq!(engine.submit(&listen), nrc::NRC_GOODRET);
    std::thread::sleep(Duration::from_millis(100));
    assert!(listen.is_pending());
    let mut cancel = Ncb::with_command(command::NCBCANCEL, 0);
    cancel.cancel_target = Some(listen.clone());
    assert_eq!(run(&engine, cancel).0, nrc::NRC_GOODRET);
    assert_eq!(
        listen.wait_timeout(Duration::from_secs(2)),
        Some(nrc::NRC_CMDCAN)
    );

    // A receive with Rto (500 ms units) times out with NRC_CMDTMO; the session stays up.
    let echo = Echo::start("WNETECHO2", 64, name_port, session_port);
    let (code, lsn) = call(&engine, b"WNETLONELY", b"WNETECHO2", 1);
    assert_eq!(code, nrc::NRC_GOODRET);
    let started = Instant::now();
    assert_eq!(receive(&engine, lsn, 10).0, nrc::NRC_CMDTMO);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(send(&engine, lsn, b"still up"), nrc::NRC_GOODRET);
    assert_eq!(
        receive(&engine, lsn, 100),
        (nrc::NRC_GOODRET, b"still up".to_vec())
    );
    drop(echo);
    // The echo process was killed: the session ends.
    let (code, _) = receive(&engine, lsn, 10);
    assert!(
        code == nrc::NRC_SCLOSED || code == nrc::NRC_SABORT,
        "{code:#04x}"
    );
}

#[test]
fn impacket_calls_our_listen_and_exchanges_messages() {
    // impacket sends a session request only to port 139 (elsewhere it speaks direct-hosted
    // SMB), so the echo's session service is on 139 of its own loopback address.
    let (name_port, _) = free_ports();
    let echo = Echo::start("WNETECHO3", 65, name_port, 139);
    let script = "from impacket.nmb import NetBIOSTCPSession\n\
         s = NetBIOSTCPSession('IMPACKET', 'WNETECHO3', '127.0.0.65', sess_port=139, timeout=5)\n\
         for message in (b'first', b'second message', bytes(range(256)) * 100):\n\
         \x20   s.send_packet(message)\n\
         \x20   answer = s.recv_packet(5).get_trailer()\n\
         \x20   assert answer == message, (len(answer), len(message))\n\
         s.close()\n\
         print('ok')\n";
    let output = run_bounded(
        Command::new("python3").args(["-c", script]),
        Duration::from_secs(30),
    )
    .expect("python3 ran");
    assert!(
        output.status.success(),
        "impacket: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
    let line = echo.line_starting("session", Duration::from_secs(5));
    assert!(line.ends_with("from IMPACKET"), "{line}");
}

#[test]
fn calls_to_samba_get_positive_session_responses() {
    let lab = SambaLab::acquire().expect("lab up");
    let engine = common::lab_engine(&lab);
    // No name of ours is registered on the lab's link: the calling name is only sent.
    let mut add = Ncb::with_command(command::NCBRESET, 0);
    assert_eq!(engine.run(&mut add), nrc::NRC_GOODRET);
    let mut name = Ncb::with_command(command::NCBADDNAME, 0);
    name.name = name_field(b"WNETNCBTEST");
    assert_eq!(engine.run(&mut name), nrc::NRC_GOODRET);
    // By name (resolved on the lab's link, called as LABSERVER<20>), and by address (called
    // as *SMBSERVER<20>, as Windows and Wine do when the name is an IP address).
    for callname in [lab.server_name.clone(), lab.address.to_string()] {
        let mut ncb = Ncb::with_command(command::NCBCALL, 0);
        ncb.name = name_field(b"WNETNCBTEST");
        ncb.callname = name_field(callname.as_bytes());
        let (code, ncb) = run(&engine, ncb);
        assert_eq!(code, nrc::NRC_GOODRET, "NCBCALL {callname}");
        let mut hangup = Ncb::with_command(command::NCBHANGUP, 0);
        hangup.lsn = ncb.lsn;
        assert_eq!(run(&engine, hangup).0, nrc::NRC_GOODRET);
    }
}

#[test]
fn idle_sessions_send_keep_alives() {
    use std::io::{Read, Write};

    use wnet_nbt::wire::session::SessionPacket;
    use wnet_nbt::wire::{NetbiosName, ScopedName};

    let (name_port, session_port) = free_ports();
    let mut config = loopback_config(66, name_port, session_port);
    config.session_keep_alive = Some(Duration::from_millis(100));
    let engine = Netbios::new(config).expect("engine");
    setup(&engine, b"WNETKEEP");
    let mut listen = Ncb::with_command(command::NCBLISTEN | ASYNCH, 0);
    listen.name = name_field(b"WNETKEEP");
    listen.callname = name_field(b"*");
    let listen = SharedNcb::new(listen);
    assert_eq!(engine.submit(&listen), nrc::NRC_GOODRET);
    std::thread::sleep(Duration::from_millis(100));

    // A bare TCP caller: it asks for the session, then only listens.
    let mut caller = std::net::TcpStream::connect((Ipv4Addr::new(127, 0, 0, 66), session_port))
        .expect("connect");
    caller
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let request = SessionPacket::Request {
        called: ScopedName::new(NetbiosName::from_bytes(name_field(b"WNETKEEP"))),
        calling: ScopedName::new(NetbiosName::from_bytes(name_field(b"RAWPEER"))),
    };
    caller
        .write_all(&request.encode().expect("a request"))
        .expect("sent");
    let mut answer = [0u8; 4];
    caller.read_exact(&mut answer).expect("an answer");
    assert_eq!(answer, [0x82, 0, 0, 0], "positive session response");
    assert_eq!(
        listen.wait_timeout(Duration::from_secs(2)),
        Some(nrc::NRC_GOODRET)
    );
    for _ in 0..2 {
        caller.read_exact(&mut answer).expect("a keep-alive");
        assert_eq!(answer, [0x85, 0, 0, 0], "SESSION KEEP ALIVE");
    }
}
