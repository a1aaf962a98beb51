//! `ncb-echo`: a NetBIOS echo server written against the NCB interface alone, as a Windows
//! program would be: NCBRESET, NCBADDNAME, then NCBLISTEN for any caller, and every message
//! received on a session (NCBRECV) is sent back (NCBSEND) until the caller hangs up.
//!
//! ```text
//! cargo run --release --example ncb-echo -- --name NAME [--bind ADDR] [--port N]
//!                                          [--name-port N] [--sessions N]
//! ```
//!
//! `--bind` picks the LANA: an address of an interface, or any 127.0.0.0/8 address for the
//! loopback LANA (the default, 127.0.0.1). `--port` is the session service port (139),
//! `--name-port` the name service port (137). `--sessions N` exits after N sessions (default:
//! serve until killed). One line goes to standard output when the name is registered
//! (`ready NAME lana L address A:P`), and one per session.

use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::sync::Arc;

use wnet_netbios::nb30::{command, nrc};
use wnet_netbios::{Ncb, Netbios, NetbiosConfig, name_field};

/// The largest message NCBRECV takes here.
const BUFFER: usize = 65_535;

struct Options {
    name: String,
    bind: Ipv4Addr,
    port: Option<u16>,
    name_port: Option<u16>,
    sessions: Option<u64>,
}

fn parse() -> Result<Options, String> {
    let mut options = Options {
        name: String::new(),
        bind: Ipv4Addr::LOCALHOST,
        port: None,
        name_port: None,
        sessions: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => options.name = value()?,
            "--bind" => {
                options.bind = value()?
                    .parse()
                    .map_err(|_| "--bind needs an IPv4 address".to_owned())?;
            }
            "--port" => {
                options.port = Some(value()?.parse().map_err(|_| "--port needs a port")?);
            }
            "--name-port" => {
                options.name_port = Some(value()?.parse().map_err(|_| "--name-port needs a port")?);
            }
            "--sessions" => {
                options.sessions = Some(value()?.parse().map_err(|_| "--sessions needs a count")?);
            }
            "-h" | "--help" => {
                return Err("usage: ncb-echo --name NAME [--bind ADDR] [--port N] \
                            [--name-port N] [--sessions N]"
                    .to_owned());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.name.is_empty() || options.name.len() > 15 {
        return Err("--name needs a NetBIOS name of 1 to 15 characters".to_owned());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("ncb-echo: {message}");
            return ExitCode::from(2);
        }
    };
    let mut config = match NetbiosConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ncb-echo: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = options.port {
        config.session_port = port;
    }
    if let Some(port) = options.name_port {
        config.name_port = port;
        for server in &mut config.name_service.name_servers {
            server.set_port(port);
        }
    }
    if options.bind.is_loopback() {
        config.loopback_address = Some(options.bind);
    }
    let session_port = config.session_port;
    let engine = match Netbios::new(config) {
        Ok(engine) => Arc::new(engine),
        Err(error) => {
            eprintln!("ncb-echo: NetBIOS cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(lana) = engine
        .lanas()
        .into_iter()
        .find(|lana| lana.address == options.bind)
    else {
        eprintln!("ncb-echo: no LANA has the address {}", options.bind);
        return ExitCode::FAILURE;
    };
    let lana = lana.number;
    let name = name_field(options.name.to_ascii_uppercase().as_bytes());

    let mut reset = Ncb::with_command(command::NCBRESET, lana);
    if engine.run(&mut reset) != nrc::NRC_GOODRET {
        eprintln!("ncb-echo: NCBRESET failed: {:#04x}", reset.retcode);
        return ExitCode::FAILURE;
    }
    let mut add = Ncb::with_command(command::NCBADDNAME, lana);
    add.name = name;
    if engine.run(&mut add) != nrc::NRC_GOODRET {
        eprintln!(
            "ncb-echo: NCBADDNAME {} failed: {:#04x}",
            options.name, add.retcode
        );
        return ExitCode::FAILURE;
    }
    println!(
        "ready {} lana {lana} address {}:{session_port}",
        options.name, options.bind
    );

    let mut served = 0u64;
    let mut workers = Vec::new();
    while options.sessions.is_none_or(|limit| served < limit) {
        let mut listen = Ncb::with_command(command::NCBLISTEN, lana);
        listen.name = name;
        listen.callname = name_field(b"*");
        let code = engine.run(&mut listen);
        if code != nrc::NRC_GOODRET {
            eprintln!("ncb-echo: NCBLISTEN failed: {code:#04x}");
            return ExitCode::FAILURE;
        }
        served += 1;
        println!(
            "session {} from {}",
            listen.lsn,
            String::from_utf8_lossy(&listen.callname[..15]).trim_end()
        );
        let engine = Arc::clone(&engine);
        workers.push(std::thread::spawn(move || echo(&engine, lana, listen.lsn)));
    }
    for worker in workers {
        let _ = worker.join();
    }
    let mut delete = Ncb::with_command(command::NCBDELNAME, lana);
    delete.name = name;
    engine.run(&mut delete);
    ExitCode::SUCCESS
}

/// Sends every message of session `lsn` back until the caller hangs up.
fn echo(engine: &Netbios, lana: u8, lsn: u8) {
    let mut echoed = 0u64;
    loop {
        let mut receive = Ncb::with_command(command::NCBRECV, lana);
        receive.lsn = lsn;
        receive.set_buffer(vec![0; BUFFER]);
        let code = engine.run(&mut receive);
        if code != nrc::NRC_GOODRET && code != nrc::NRC_INCOMP {
            println!("session {lsn} ended ({code:#04x}) after {echoed} messages");
            return;
        }
        let mut send = Ncb::with_command(command::NCBSEND, lana);
        send.lsn = lsn;
        send.set_buffer(receive.data().to_vec());
        let code = engine.run(&mut send);
        if code != nrc::NRC_GOODRET {
            println!("session {lsn} ended ({code:#04x}) after {echoed} messages");
            return;
        }
        echoed += 1;
    }
}
