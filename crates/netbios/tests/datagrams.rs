//! Datagram commands (NCBDGSEND, NCBDGSENDBC, NCBDGRECV, NCBDGRECVBC) between two engines on
//! their own loopback addresses, sharing the datagram port as hosts on a LAN do.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use wnet_netbios::nb30::{ASYNCH, command, nrc};
use wnet_netbios::{Ncb, Netbios, NetbiosConfig, SharedNcb, name_field};

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn engine(last: u8, name_port: u16, datagram_port: u16) -> Netbios {
    let mut config = NetbiosConfig::loopback_only(Ipv4Addr::new(127, 0, 0, last));
    config.name_port = name_port;
    config.datagram_port = datagram_port;
    Netbios::new(config).expect("an engine")
}

/// NCBRESET and the names; returns their numbers.
fn setup(engine: &Netbios, names: &[(&[u8], bool)]) -> Vec<u8> {
    let mut reset = Ncb::with_command(command::NCBRESET, 0);
    assert_eq!(engine.run(&mut reset), nrc::NRC_GOODRET);
    names
        .iter()
        .map(|(name, group)| {
            let code = if *group {
                command::NCBADDGRNAME
            } else {
                command::NCBADDNAME
            };
            let mut add = Ncb::with_command(code, 0);
            add.name = name_field(name);
            assert_eq!(engine.run(&mut add), nrc::NRC_GOODRET);
            add.num
        })
        .collect()
}

/// Starts a receive (ASYNCH) so that it is pending before the datagram is sent.
fn pending_receive(engine: &Netbios, command: u8, num: u8, room: usize) -> SharedNcb {
    let mut ncb = Ncb::with_command(command | ASYNCH, 0);
    ncb.num = num;
    ncb.set_buffer(vec![0; room]);
    let shared = SharedNcb::new(ncb);
    assert_eq!(engine.submit(&shared), nrc::NRC_GOODRET);
    // The receive subscribes in the engine's runtime; give it a moment to be in place.
    std::thread::sleep(Duration::from_millis(100));
    shared
}

fn send(engine: &Netbios, command: u8, num: u8, to: &[u8], data: &[u8]) -> u8 {
    let mut ncb = Ncb::with_command(command, 0);
    ncb.num = num;
    ncb.callname = name_field(to);
    ncb.set_buffer(data.to_vec());
    engine.run(&mut ncb)
}

fn received(receive: &SharedNcb) -> (u8, Vec<u8>, Vec<u8>) {
    let code = receive
        .wait_timeout(Duration::from_secs(5))
        .expect("the datagram arrived in time");
    let ncb = receive.snapshot();
    (
        code,
        ncb.data().to_vec(),
        String::from_utf8_lossy(&ncb.callname)
            .trim_end()
            .as_bytes()
            .to_vec(),
    )
}

#[test]
fn unique_group_and_broadcast_datagrams_between_engines() {
    let (name_port, datagram_port) = (free_udp_port(), free_udp_port());
    let first = engine(71, name_port, datagram_port);
    let second = engine(72, name_port, datagram_port);
    let first_names = setup(&first, &[(b"WNETDG1", false), (b"WNETDGGRP", true)]);
    let second_names = setup(&second, &[(b"WNETDG2", false), (b"WNETDGGRP", true)]);

    // A unique name: resolved, sent to its owner alone.
    let receive = pending_receive(&first, command::NCBDGRECV, first_names[0], 600);
    assert_eq!(
        send(
            &second,
            command::NCBDGSEND,
            second_names[0],
            b"WNETDG1",
            b"to one"
        ),
        nrc::NRC_GOODRET
    );
    assert_eq!(
        received(&receive),
        (nrc::NRC_GOODRET, b"to one".to_vec(), b"WNETDG2".to_vec())
    );

    // A group name: both members' pending receives get it (the sender's own too).
    let at_first = pending_receive(&first, command::NCBDGRECV, first_names[1], 600);
    let at_second = pending_receive(&second, command::NCBDGRECV, second_names[1], 600);
    assert_eq!(
        send(
            &second,
            command::NCBDGSEND,
            second_names[0],
            b"WNETDGGRP",
            b"to all"
        ),
        nrc::NRC_GOODRET
    );
    assert_eq!(received(&at_first).1, b"to all");
    assert_eq!(received(&at_second).1, b"to all");

    // A broadcast datagram; a buffer too small keeps what fits (NRC_INCOMP).
    let broadcast = pending_receive(&first, command::NCBDGRECVBC, first_names[0], 4);
    assert_eq!(
        send(
            &second,
            command::NCBDGSENDBC,
            second_names[0],
            b"*",
            b"everyone"
        ),
        nrc::NRC_GOODRET
    );
    assert_eq!(
        received(&broadcast),
        (nrc::NRC_INCOMP, b"ever".to_vec(), b"WNETDG2".to_vec())
    );

    // A receive for any name (0xFF) says which of ours it was for.
    let any = pending_receive(&first, command::NCBDGRECV, 0xFF, 600);
    assert_eq!(
        send(
            &second,
            command::NCBDGSEND,
            second_names[0],
            b"WNETDG1",
            b"any"
        ),
        nrc::NRC_GOODRET
    );
    assert_eq!(received(&any).1, b"any");
    assert_eq!(any.snapshot().num, first_names[0]);

    // Bad name numbers and oversized datagrams.
    assert_eq!(
        send(&second, command::NCBDGSEND, 99, b"WNETDG1", b"x"),
        nrc::NRC_ILLNN
    );
    assert_eq!(
        send(
            &second,
            command::NCBDGSEND,
            second_names[0],
            b"WNETDG1",
            &[0; 513]
        ),
        nrc::NRC_BUFLEN
    );
}
