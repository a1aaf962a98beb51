//! Benchmark (not a test): NetBIOS sessions through the NCB interface against raw TCP, both
//! between two processes on loopback, in the same run.
//!
//! ```text
//! cargo run --release -p wnet-netbios --example session_bench -- [MIB] [ROUND_TRIPS] [ROUNDS]
//! ```
//!
//! Each round measures TCP then NCB; the table shows the median of ROUNDS (default 5) rounds
//! and every round's ratio (on a small machine the scheduler makes single runs vary a lot).
//!
//! - throughput: MIB MiB (default 1024) sent as 64 KB messages (NCBSEND, NCBRECV on the other
//!   side) against the same bytes written to a TCP stream in 64 KB writes;
//! - latency: ROUND_TRIPS (default 20,000) one-byte messages echoed (NCBSEND + NCBRECV each
//!   way) against one-byte TCP ping-pong.
//!
//! The peer is this program again (`--serve-ncb` / `--serve-tcp`), so that both sides cross a
//! process boundary as real programs do. Ports are picked free on 127.0.0.1; the NCB peer uses
//! the loopback LANA at 127.0.0.91, the caller 127.0.0.92.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use wnet_nbt::config::Retransmit;
use wnet_netbios::nb30::{command, nrc};
use wnet_netbios::{Ncb, Netbios, NetbiosConfig, name_field};

/// The message size of the throughput run.
const MESSAGE: usize = 64 * 1024 - 1;
/// Message kinds: the first byte of each NCB message.
const PING: u8 = b'P';
const DATA: u8 = b'D';
const FINISH: u8 = b'F';

fn config(last: u8, name_port: u16, session_port: u16) -> NetbiosConfig {
    let mut config = NetbiosConfig::loopback_only(Ipv4Addr::new(127, 0, 0, last));
    config.name_port = name_port;
    config.session_port = session_port;
    config.name_service.broadcast = Retransmit {
        interval: Duration::from_millis(20),
        retries: 1,
    };
    config
}

fn check(what: &str, code: u8) -> Result<(), String> {
    if code == nrc::NRC_GOODRET {
        Ok(())
    } else {
        Err(format!("{what} failed: NRC {code:#04x}"))
    }
}

/// The NCB peer: registers BENCHSRV, takes one session, echoes pings, swallows data, answers
/// a finish.
fn serve_ncb(name_port: u16, session_port: u16) -> Result<(), String> {
    let engine = Netbios::new(config(91, name_port, session_port)).map_err(|e| e.to_string())?;
    let mut reset = Ncb::with_command(command::NCBRESET, 0);
    check("NCBRESET", engine.run(&mut reset))?;
    let mut add = Ncb::with_command(command::NCBADDNAME, 0);
    add.name = name_field(b"BENCHSRV");
    check("NCBADDNAME", engine.run(&mut add))?;
    println!("ready");
    let mut listen = Ncb::with_command(command::NCBLISTEN, 0);
    listen.name = name_field(b"BENCHSRV");
    listen.callname = name_field(b"*");
    check("NCBLISTEN", engine.run(&mut listen))?;
    let lsn = listen.lsn;
    let mut receive = Ncb::with_command(command::NCBRECV, 0);
    loop {
        receive.lsn = lsn;
        receive.buffer.resize(MESSAGE, 0);
        receive.length = MESSAGE as u16;
        if engine.run(&mut receive) != nrc::NRC_GOODRET {
            return Ok(());
        }
        let kind = receive.data().first().copied();
        if kind == Some(PING) || kind == Some(FINISH) {
            let mut send = Ncb::with_command(command::NCBSEND, 0);
            send.lsn = lsn;
            send.set_buffer(vec![kind.unwrap_or(PING)]);
            check("NCBSEND", engine.run(&mut send))?;
        }
    }
}

/// The TCP peer: one connection; echoes every byte of a ping run, then swallows a stream and
/// answers one byte at its end.
fn serve_tcp(listener: &TcpListener) -> Result<(), String> {
    println!("ready");
    let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut header = [0u8; 9];
    loop {
        if stream.read_exact(&mut header).is_err() {
            return Ok(());
        }
        let count = u64::from_le_bytes(header[1..].try_into().map_err(|_| "header")?);
        if header[0] == PING {
            let mut byte = [0u8; 1];
            for _ in 0..count {
                stream.read_exact(&mut byte).map_err(|e| e.to_string())?;
                stream.write_all(&byte).map_err(|e| e.to_string())?;
            }
        } else {
            let mut left = count;
            let mut buffer = vec![0u8; MESSAGE];
            while left > 0 {
                let want = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
                let read = stream
                    .read(&mut buffer[..want])
                    .map_err(|e| e.to_string())?;
                if read == 0 {
                    return Err("the stream ended early".to_owned());
                }
                left -= read as u64;
            }
            stream.write_all(&[FINISH]).map_err(|e| e.to_string())?;
        }
    }
}

fn spawn_peer(args: &[String]) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if line.trim() != "ready" {
        let _ = child.kill();
        return Err(format!("the peer did not start: {line:?}"));
    }
    Ok(child)
}

struct Measured {
    throughput_mib_s: f64,
    round_trip: Duration,
}

/// MiB per second for `bytes` in `elapsed` (exact below 2^53 bytes).
#[allow(clippy::cast_precision_loss)]
fn mib_per_second(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1_048_576.0 / elapsed.as_secs_f64()
}

fn measure_tcp(bytes: u64, round_trips: u64) -> Result<Measured, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    drop(listener);
    let mut peer = spawn_peer(&["--serve-tcp".to_owned(), port.to_string()])?;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;

    let mut header = vec![PING];
    header.extend_from_slice(&round_trips.to_le_bytes());
    stream.write_all(&header).map_err(|e| e.to_string())?;
    let mut byte = [PING];
    let started = Instant::now();
    for _ in 0..round_trips {
        stream.write_all(&byte).map_err(|e| e.to_string())?;
        stream.read_exact(&mut byte).map_err(|e| e.to_string())?;
    }
    let round_trip = started.elapsed() / u32::try_from(round_trips).unwrap_or(u32::MAX);

    let mut header = vec![DATA];
    header.extend_from_slice(&bytes.to_le_bytes());
    stream.write_all(&header).map_err(|e| e.to_string())?;
    let chunk = vec![DATA; MESSAGE];
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let count = usize::try_from(left.min(MESSAGE as u64)).unwrap_or(MESSAGE);
        stream
            .write_all(&chunk[..count])
            .map_err(|e| e.to_string())?;
        left -= count as u64;
    }
    stream.read_exact(&mut byte).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    drop(stream);
    let _ = peer.wait();
    Ok(Measured {
        throughput_mib_s: mib_per_second(bytes, elapsed),
        round_trip,
    })
}

fn measure_ncb(bytes: u64, round_trips: u64) -> Result<Measured, String> {
    let name_port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let session_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut peer = spawn_peer(&[
        "--serve-ncb".to_owned(),
        name_port.to_string(),
        session_port.to_string(),
    ])?;
    let engine = Netbios::new(config(92, name_port, session_port)).map_err(|e| e.to_string())?;
    let mut reset = Ncb::with_command(command::NCBRESET, 0);
    check("NCBRESET", engine.run(&mut reset))?;
    let mut add = Ncb::with_command(command::NCBADDNAME, 0);
    add.name = name_field(b"BENCHCLI");
    check("NCBADDNAME", engine.run(&mut add))?;
    let mut call = Ncb::with_command(command::NCBCALL, 0);
    call.name = name_field(b"BENCHCLI");
    call.callname = name_field(b"BENCHSRV");
    check("NCBCALL", engine.run(&mut call))?;
    let lsn = call.lsn;

    let mut send = Ncb::with_command(command::NCBSEND, 0);
    send.lsn = lsn;
    send.set_buffer(vec![PING]);
    let mut receive = Ncb::with_command(command::NCBRECV, 0);
    let started = Instant::now();
    for _ in 0..round_trips {
        check("NCBSEND", engine.run(&mut send))?;
        receive.lsn = lsn;
        receive.set_buffer(vec![0; 16]);
        check("NCBRECV", engine.run(&mut receive))?;
    }
    let round_trip = started.elapsed() / u32::try_from(round_trips).unwrap_or(u32::MAX);

    let messages = bytes.div_ceil(MESSAGE as u64);
    let started = Instant::now();
    for _ in 0..messages {
        send.lsn = lsn;
        send.buffer.clear();
        send.buffer.resize(MESSAGE, DATA);
        send.length = MESSAGE as u16;
        check("NCBSEND", engine.run(&mut send))?;
    }
    send.set_buffer(vec![FINISH]);
    check("NCBSEND", engine.run(&mut send))?;
    receive.set_buffer(vec![0; 16]);
    check("NCBRECV", engine.run(&mut receive))?;
    let elapsed = started.elapsed();
    let mut hangup = Ncb::with_command(command::NCBHANGUP, 0);
    hangup.lsn = lsn;
    engine.run(&mut hangup);
    let _ = peer.wait();
    Ok(Measured {
        throughput_mib_s: mib_per_second(messages * MESSAGE as u64, elapsed),
        round_trip,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("--serve-ncb") => {
            let port = |index: usize| args.get(index).and_then(|text| text.parse().ok());
            match (port(1), port(2)) {
                (Some(name_port), Some(session_port)) => serve_ncb(name_port, session_port),
                _ => Err("--serve-ncb NAME_PORT SESSION_PORT".to_owned()),
            }
        }
        Some("--serve-tcp") => match args.get(1).and_then(|text| text.parse::<u16>().ok()) {
            Some(port) => TcpListener::bind(("127.0.0.1", port))
                .map_err(|e| e.to_string())
                .and_then(|listener| serve_tcp(&listener)),
            None => Err("--serve-tcp PORT".to_owned()),
        },
        _ => {
            let mib: u64 = args.first().and_then(|t| t.parse().ok()).unwrap_or(1024);
            let round_trips: u64 = args.get(1).and_then(|t| t.parse().ok()).unwrap_or(20_000);
            let rounds: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(5);
            bench(mib * 1_048_576, round_trips.max(1), rounds.max(1))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("session_bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn bench(bytes: u64, round_trips: u64, rounds: usize) -> Result<(), String> {
    let mut tcp_rates = Vec::new();
    let mut ncb_rates = Vec::new();
    let mut tcp_trips = Vec::new();
    let mut ncb_trips = Vec::new();
    for round in 1..=rounds {
        let tcp = measure_tcp(bytes, round_trips)?;
        let ncb = measure_ncb(bytes, round_trips)?;
        eprintln!(
            "round {round}: throughput {:.2} of TCP, round trip {:.2}x TCP",
            ncb.throughput_mib_s / tcp.throughput_mib_s,
            ncb.round_trip.as_secs_f64() / tcp.round_trip.as_secs_f64()
        );
        tcp_rates.push(tcp.throughput_mib_s);
        ncb_rates.push(ncb.throughput_mib_s);
        tcp_trips.push(tcp.round_trip.as_secs_f64() * 1e6);
        ncb_trips.push(ncb.round_trip.as_secs_f64() * 1e6);
    }
    let (tcp_rate, ncb_rate) = (median(tcp_rates), median(ncb_rates));
    let (tcp_trip, ncb_trip) = (median(tcp_trips), median(ncb_trips));
    println!("| measure (median of {rounds} rounds) | raw TCP | NCB session | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| throughput, {} MiB in 64 KB messages | {tcp_rate:.0} MiB/s | {ncb_rate:.0} MiB/s | {:.2} of TCP |",
        bytes / 1_048_576,
        ncb_rate / tcp_rate
    );
    println!(
        "| round trip of 1 byte ({round_trips} in a row) | {tcp_trip:.1} µs | {ncb_trip:.1} µs | {:.2}× TCP |",
        ncb_trip / tcp_trip
    );
    Ok(())
}
