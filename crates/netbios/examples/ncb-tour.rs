//! `ncb-tour`: what a Windows program does with `Netbios()`, step by step, printed as it goes:
//! NCBENUM, NCBASTAT of a remote name on the LANA of `--lab ADDR`'s link, then on the
//! loopback LANA NCBADDNAME, NCBCALL to `--call NAME` (an `ncb-echo`), NCBSEND, NCBRECV and
//! NCBHANGUP.
//!
//! ```text
//! cargo run --release -p wnet-netbios --example ncb-tour -- --lab 198.51.100.1 \
//!     --status LABSERVER --call WNETECHO
//! ```
//!
//! Ports and the loopback LANA's address come from the environment, as for every NCB program
//! (`WNET_NBT_NAME_PORT`, `WNET_NBT_SESSION_PORT`, `WNET_NETBIOS_LOOPBACK`).

use std::net::Ipv4Addr;
use std::process::ExitCode;

use wnet_netbios::nb30::{command, nrc};
use wnet_netbios::{Lana, Ncb, Netbios, NetbiosConfig, name_field};

fn show(what: &str, ncb: &Ncb) {
    println!(
        "  {what:<12} -> retcode {:#04x}{}",
        ncb.retcode,
        if ncb.retcode == nrc::NRC_GOODRET {
            " (NRC_GOODRET)"
        } else {
            ""
        }
    );
}

fn run(engine: &Netbios, what: &str, mut ncb: Ncb) -> Result<Ncb, String> {
    engine.run(&mut ncb);
    show(what, &ncb);
    if ncb.retcode == nrc::NRC_GOODRET {
        Ok(ncb)
    } else {
        Err(format!("{what} failed with NRC {:#04x}", ncb.retcode))
    }
}

fn tour(lab: Ipv4Addr, status_of: &str, echo: &str) -> Result<(), String> {
    let config = NetbiosConfig::from_env().map_err(|error| error.to_string())?;
    let engine = Netbios::new(config).map_err(|error| error.to_string())?;

    println!("NCBENUM: one LANA per IPv4 subnet, and loopback");
    let mut enumerate = Ncb::with_command(command::NCBENUM, 0);
    enumerate.set_buffer(vec![0; 256]);
    let enumerate = run(&engine, "NCBENUM", enumerate)?;
    let count = usize::from(enumerate.buffer[0]);
    println!(
        "  LANA_ENUM.length = {count}, lana = {:?}",
        &enumerate.buffer[1..=count]
    );
    let lanas = engine.lanas();
    for lana in &lanas {
        println!(
            "  LANA {}: {} {}",
            lana.number, lana.interface, lana.address
        );
    }
    let find = |test: &dyn Fn(&Lana) -> bool| lanas.iter().find(|lana| test(lana)).cloned();

    let lab_lana = find(&|lana| lana.address == lab).ok_or(format!("no LANA at {lab}"))?;
    println!(
        "\nNCBASTAT of {status_of} on LANA {} (its name table and MAC)",
        lab_lana.number
    );
    run(
        &engine,
        "NCBRESET",
        Ncb::with_command(command::NCBRESET, lab_lana.number),
    )?;
    let mut astat = Ncb::with_command(command::NCBASTAT, lab_lana.number);
    astat.callname = name_field(status_of.as_bytes());
    astat.set_buffer(vec![0; 60 + 18 * 32]);
    let astat = run(&engine, "NCBASTAT", astat)?;
    let mac = &astat.buffer[..6];
    println!(
        "  adapter_address {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    );
    let names = usize::from(u16::from_le_bytes([astat.buffer[58], astat.buffer[59]]));
    for entry in astat.buffer[60..].chunks_exact(18).take(names) {
        let text: String = entry[..15]
            .iter()
            .map(|&byte| {
                if byte.is_ascii_graphic() || byte == b' ' {
                    byte as char
                } else {
                    '.'
                }
            })
            .collect();
        let kind = if entry[17] & 0x80 != 0 {
            "GROUP"
        } else {
            "UNIQUE"
        };
        println!("  {text:<15}<{:02X}>  {kind}", entry[15]);
    }

    let loopback = find(&|lana| lana.loopback).ok_or("no loopback LANA")?;
    let lana = loopback.number;
    println!(
        "\nA session on the loopback LANA {lana} ({}) with {echo}",
        loopback.address
    );
    run(
        &engine,
        "NCBRESET",
        Ncb::with_command(command::NCBRESET, lana),
    )?;
    let mut add = Ncb::with_command(command::NCBADDNAME, lana);
    add.name = name_field(b"WNETTOUR");
    let add = run(&engine, "NCBADDNAME", add)?;
    println!("  WNETTOUR is name number {}", add.num);
    let mut call = Ncb::with_command(command::NCBCALL, lana);
    call.name = name_field(b"WNETTOUR");
    call.callname = name_field(echo.as_bytes());
    call.rto = 10;
    let call = run(&engine, "NCBCALL", call)?;
    println!("  session number (LSN) {}", call.lsn);
    let mut send = Ncb::with_command(command::NCBSEND, lana);
    send.lsn = call.lsn;
    send.set_buffer(b"hello through Netbios()".to_vec());
    run(&engine, "NCBSEND", send)?;
    let mut receive = Ncb::with_command(command::NCBRECV, lana);
    receive.lsn = call.lsn;
    receive.set_buffer(vec![0; 100]);
    let receive = run(&engine, "NCBRECV", receive)?;
    println!("  received {:?}", String::from_utf8_lossy(receive.data()));
    let mut hangup = Ncb::with_command(command::NCBHANGUP, lana);
    hangup.lsn = call.lsn;
    run(&engine, "NCBHANGUP", hangup)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|index| args.get(index + 1))
            .cloned()
    };
    let (Some(lab), Some(status_of), Some(echo)) = (
        value("--lab").and_then(|text| text.parse().ok()),
        value("--status"),
        value("--call"),
    ) else {
        eprintln!("usage: ncb-tour --lab ADDR --status NAME --call NAME");
        return ExitCode::from(2);
    };
    match tour(lab, &status_of, &echo) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ncb-tour: {message}");
            ExitCode::FAILURE
        }
    }
}
