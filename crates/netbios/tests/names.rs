//! The name and adapter commands (NCBENUM, NCBRESET, NCBADDNAME, NCBADDGRNAME, NCBDELNAME,
//! NCBASTAT, NCBFINDNAME, NCBCANCEL) between engines on loopback addresses, and NCBASTAT
//! against Samba's nmbd.

mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use wnet_netbios::nb30::{ASYNCH, command, nrc};
use wnet_netbios::{Ncb, Netbios, NetbiosConfig, SharedNcb, name_field};
use wnet_testlab::{SambaLab, run_bounded};

/// A free UDP port, shared by the test's engines as their name-service port.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// An engine whose only LANA (0) is loopback at `127.0.0.<last>`, with fast broadcast timers.
fn loopback_engine(last: u8, name_port: u16) -> Netbios {
    let mut config = NetbiosConfig::loopback_only(Ipv4Addr::new(127, 0, 0, last));
    config.name_port = name_port;
    Netbios::new(config).expect("an engine")
}

fn run(engine: &Netbios, mut ncb: Ncb) -> (u8, Ncb) {
    let code = engine.run(&mut ncb);
    assert_eq!(code, ncb.retcode, "the result is also in ncb_retcode");
    assert_eq!(code, ncb.cmd_cplt, "and in ncb_cmd_cplt");
    (code, ncb)
}

fn reset(engine: &Netbios) {
    let (code, _) = run(engine, Ncb::with_command(command::NCBRESET, 0));
    assert_eq!(code, nrc::NRC_GOODRET);
}

fn add_name(engine: &Netbios, name: &[u8], group: bool) -> (u8, u8) {
    let code = if group {
        command::NCBADDGRNAME
    } else {
        command::NCBADDNAME
    };
    let mut ncb = Ncb::with_command(code, 0);
    ncb.name = name_field(name);
    let (code, ncb) = run(engine, ncb);
    (code, ncb.num)
}

fn with_buffer(command: u8, size: usize) -> Ncb {
    let mut ncb = Ncb::with_command(command, 0);
    ncb.set_buffer(vec![0; size]);
    ncb
}

/// The names of an ADAPTER_STATUS buffer: (name text, suffix, number, flags).
fn astat_names(buffer: &[u8]) -> Vec<(String, u8, u8, u8)> {
    let count = usize::from(u16::from_le_bytes([buffer[58], buffer[59]]));
    buffer[60..]
        .chunks_exact(18)
        .take(count)
        .map(|entry| {
            (
                String::from_utf8_lossy(&entry[..15]).trim_end().to_owned(),
                entry[15],
                entry[16],
                entry[17],
            )
        })
        .collect()
}

#[test]
fn enum_reset_and_the_local_name_table() {
    let engine = loopback_engine(41, free_port());
    let (code, ncb) = run(&engine, with_buffer(command::NCBENUM, 256));
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_eq!(&ncb.buffer[..2], &[1, 0], "one LANA, number 0");

    let (code, _) = run(&engine, with_buffer(command::NCBENUM, 10));
    assert_eq!(code, nrc::NRC_BUFLEN);
    let (code, _) = run(&engine, Ncb::with_command(command::NCBADDNAME, 7));
    assert_eq!(code, nrc::NRC_BRIDGE, "no LANA 7");
    let mut before_reset = Ncb::with_command(command::NCBADDNAME, 0);
    before_reset.name = name_field(b"EARLY");
    assert_eq!(run(&engine, before_reset).0, nrc::NRC_ENVNOTDEF);

    reset(&engine);
    assert_eq!(add_name(&engine, b"WNETNCB1", false), (nrc::NRC_GOODRET, 2));
    assert_eq!(add_name(&engine, b"WNETGRP", true), (nrc::NRC_GOODRET, 3));
    assert_eq!(add_name(&engine, b"WNETNCB1", false).0, nrc::NRC_DUPNAME);
    assert_eq!(add_name(&engine, b"*", false).0, nrc::NRC_NOWILD);

    let mut astat = with_buffer(command::NCBASTAT, 600);
    astat.callname = name_field(b"*");
    let (code, ncb) = run(&engine, astat);
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_eq!(usize::from(ncb.length), 60 + 2 * 18);
    assert_eq!(ncb.buffer[6], 3, "rev_major");
    assert_eq!(
        astat_names(&ncb.buffer),
        [
            ("WNETNCB1".to_owned(), b' ', 2, 0x04),
            ("WNETGRP".to_owned(), b' ', 3, 0x84),
        ]
    );

    // Room for the header and one name: the header and that name, NRC_INCOMP.
    let mut short = with_buffer(command::NCBASTAT, 60 + 18 + 5);
    short.callname = name_field(b"*");
    let (code, ncb) = run(&engine, short);
    assert_eq!((code, ncb.length), (nrc::NRC_INCOMP, 78));
    // Less than the header: its first bytes, NRC_BUFLEN.
    let mut tiny = with_buffer(command::NCBASTAT, 20);
    tiny.callname = name_field(b"*");
    let (code, ncb) = run(&engine, tiny);
    assert_eq!((code, ncb.length, ncb.buffer[6]), (nrc::NRC_BUFLEN, 20, 3));

    let mut delete = Ncb::with_command(command::NCBDELNAME, 0);
    delete.name = name_field(b"WNETNCB1");
    assert_eq!(run(&engine, delete.clone()).0, nrc::NRC_GOODRET);
    assert_eq!(run(&engine, delete).0, nrc::NRC_NOWILD);

    for (command, expected) in [
        (command::NCBTRACE, nrc::NRC_ILLCMD),
        (command::NCBLANSTALERT, nrc::NRC_ILLCMD),
        (command::NCBACTION, nrc::NRC_ILLCMD),
        (command::NCBUNLINK, nrc::NRC_GOODRET),
        (0x7F, nrc::NRC_ILLCMD),
    ] {
        let (code, _) = run(&engine, Ncb::with_command(command, 0));
        assert_eq!(code, expected, "command {command:#04x}");
    }

    // NCBRESET drops the names.
    reset(&engine);
    let mut astat = with_buffer(command::NCBASTAT, 600);
    astat.callname = name_field(b"*");
    assert!(astat_names(&run(&engine, astat).1.buffer).is_empty());
}

#[test]
fn names_are_defended_found_and_asked_across_engines() {
    let port = free_port();
    let first = loopback_engine(42, port);
    let second = loopback_engine(43, port);
    reset(&first);
    reset(&second);
    assert_eq!(add_name(&first, b"WNETOWNER", false).0, nrc::NRC_GOODRET);
    assert_eq!(
        add_name(&second, b"WNETOWNER", false).0,
        nrc::NRC_INUSE,
        "a unique name owned by another node"
    );
    assert_eq!(add_name(&first, b"WNETSHARED", true).0, nrc::NRC_GOODRET);
    assert_eq!(add_name(&second, b"WNETSHARED", true).0, nrc::NRC_GOODRET);

    let mut find = with_buffer(command::NCBFINDNAME, 200);
    find.callname = name_field(b"WNETOWNER");
    let (code, ncb) = run(&second, find);
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_eq!(&ncb.buffer[..4], &[1, 0, 0, 0], "one node, a unique name");
    assert_eq!(&ncb.buffer[4 + 3..4 + 9], &[0, 0, 127, 0, 0, 43], "our end");
    assert_eq!(
        &ncb.buffer[4 + 9..4 + 15],
        &[0, 0, 127, 0, 0, 42],
        "its end"
    );

    let mut find = with_buffer(command::NCBFINDNAME, 200);
    find.callname = name_field(b"NOBODYHAS");
    assert_eq!(run(&second, find).0, nrc::NRC_CMDTMO);

    let mut remote = with_buffer(command::NCBASTAT, 600);
    remote.callname = name_field(b"WNETOWNER");
    let (code, ncb) = run(&second, remote);
    assert_eq!(code, nrc::NRC_GOODRET);
    let names = astat_names(&ncb.buffer);
    assert!(
        names.contains(&("WNETOWNER".to_owned(), b' ', 0, 0x04)),
        "{names:?}"
    );
    assert!(
        names.contains(&("WNETSHARED".to_owned(), b' ', 0, 0x84)),
        "{names:?}"
    );
}

#[test]
fn an_asynch_command_is_pending_until_cancelled() {
    let engine = loopback_engine(44, free_port());
    reset(&engine);
    // Adapter status of an address where nobody answers: it runs for seconds.
    let mut ncb = with_buffer(command::NCBASTAT | ASYNCH, 600);
    ncb.callname = name_field(b"127.0.0.99");
    let pending = SharedNcb::new(ncb);
    assert_eq!(engine.submit(&pending), nrc::NRC_GOODRET);
    assert!(pending.is_pending());
    assert_eq!(pending.lock().retcode, nrc::NRC_PENDING);

    let mut cancel = Ncb::with_command(command::NCBCANCEL, 0);
    cancel.cancel_target = Some(pending.clone());
    let (code, _) = run(&engine, cancel.clone());
    assert_eq!(code, nrc::NRC_GOODRET);
    assert_eq!(
        pending.wait_timeout(Duration::from_secs(1)),
        Some(nrc::NRC_CMDCAN)
    );
    assert_eq!(pending.lock().retcode, nrc::NRC_CMDCAN);
    // Cancelling it again: it has completed.
    assert_eq!(run(&engine, cancel).0, nrc::NRC_CANOCCR);

    // A name command cannot be cancelled; an NCB still pending cannot be submitted again.
    let mut slow_add = Ncb::with_command(command::NCBADDNAME | ASYNCH, 0);
    slow_add.name = name_field(b"WNETSLOW");
    let adding = SharedNcb::new(slow_add);
    assert_eq!(engine.submit(&adding), nrc::NRC_GOODRET);
    assert_eq!(engine.submit(&adding), nrc::NRC_TOOMANY);
    let mut cancel = Ncb::with_command(command::NCBCANCEL, 0);
    cancel.cancel_target = Some(adding.clone());
    assert_eq!(run(&engine, cancel).0, nrc::NRC_CANCEL);
    assert_eq!(
        adding.wait_timeout(Duration::from_secs(5)),
        Some(nrc::NRC_GOODRET)
    );
}

/// A name as nmblookup prints it: bytes that are not printable ASCII become dots.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '.'
            }
        })
        .collect()
}

#[test]
fn adapter_status_of_samba_equals_nmblookup() {
    let lab = SambaLab::acquire().expect("lab up");
    let engine = common::lab_engine(&lab);
    reset(&engine);
    let output = run_bounded(
        Command::new("nmblookup").args(["-A", &lab.address.to_string()]),
        Duration::from_secs(20),
    )
    .expect("nmblookup ran");
    // nmblookup -A lines: "\tNAME            <20> -         B <ACTIVE> "
    let expected: Vec<(String, u8, bool)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("<ACTIVE>"))
        .filter_map(|line| {
            let line = line.trim_start();
            let open = line.find('<')?;
            let name = line[..open].trim_end().to_owned();
            let suffix = u8::from_str_radix(&line[open + 1..open + 3], 16).ok()?;
            Some((name, suffix, line.contains("<GROUP>")))
        })
        .collect();
    assert!(expected.len() >= 5, "{expected:?}");

    for callname in [lab.address.to_string(), lab.server_name.clone()] {
        let mut astat = with_buffer(command::NCBASTAT, 1000);
        astat.callname = name_field(callname.as_bytes());
        let (code, ncb) = run(&engine, astat);
        assert_eq!(code, nrc::NRC_GOODRET, "NCBASTAT {callname}");
        let ours: Vec<(String, u8, bool)> = astat_names(&ncb.buffer)
            .into_iter()
            .map(|(name, suffix, _, flags)| (printable(&name), suffix, flags & 0x80 != 0))
            .collect();
        let mut ours_sorted = ours.clone();
        ours_sorted.sort();
        let mut expected_sorted: Vec<(String, u8, bool)> = expected
            .iter()
            .map(|(name, suffix, group)| (printable(name), *suffix, *group))
            .collect();
        expected_sorted.sort();
        assert_eq!(ours_sorted, expected_sorted, "NCBASTAT {callname}");
    }
}
