//! The datagram engine between endpoints on loopback (127.0.0.0/8 only): unique, group and
//! broadcast datagrams, fragmentation, a garbage flood, receive timeouts; and between the
//! hosts of the netns lab, with our `datagram_peer` example in the namespaces.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wnet_nbt::datagram::{
    DatagramConfig, DatagramEndpoint, DatagramFilter, DatagramReceiver, ReceivedDatagram, split,
};
use wnet_nbt::wire::{
    DataKind, DatagramFlags, DatagramHeader, DatagramPacket, NetbiosName, ScopedName,
};

const WAIT: Duration = Duration::from_secs(5);
/// Loopback's broadcast address: the kernel delivers it to every socket bound to 0.0.0.0 on
/// the port, and it never leaves the host.
const LOOPBACK_BROADCAST: Ipv4Addr = Ipv4Addr::new(127, 255, 255, 255);

fn name(text: &str) -> ScopedName {
    ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
}

fn at(ip: [u8; 4], port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from(ip), port)
}

async fn endpoint(config: DatagramConfig) -> DatagramEndpoint {
    DatagramEndpoint::bind(config).await.expect("bound")
}

async fn next(receiver: &mut DatagramReceiver) -> ReceivedDatagram {
    receiver
        .recv_timeout(WAIT)
        .await
        .expect("a datagram in time")
}

/// A sender on 127.0.0.2 whose group and broadcast datagrams go to loopback's broadcast
/// address at `port`.
async fn loopback_sender(port: u16) -> DatagramEndpoint {
    endpoint(DatagramConfig {
        broadcast_addresses: vec![SocketAddrV4::new(LOOPBACK_BROADCAST, port)],
        ..DatagramConfig::bound_to(at([127, 0, 0, 2], 0))
    })
    .await
}

#[tokio::test]
async fn a_unique_datagram_reaches_the_named_receiver_only() {
    let receiver = endpoint(DatagramConfig::bound_to(at([127, 0, 0, 3], 0))).await;
    let to = receiver.local_addr().unwrap();
    let mut fred = receiver.subscribe(DatagramFilter::Name(name("FRED#03").name));
    let mut barney = receiver.subscribe(DatagramFilter::Name(name("BARNEY").name));
    let mut broadcasts = receiver.subscribe(DatagramFilter::Broadcast);
    let mut any = receiver.subscribe(DatagramFilter::AnyDirect);
    let sender = loopback_sender(to.port()).await;

    sender
        .send_unique(&name("WILMA"), &name("FRED#03"), b"yabba dabba doo", &[to])
        .await
        .expect("sent");
    let got = next(&mut fred).await;
    assert_eq!(got.kind, DataKind::DirectUnique);
    assert_eq!(got.source, name("WILMA"));
    assert_eq!(got.destination, name("FRED#03"));
    assert_eq!(got.source_address, sender.local_addr().unwrap());
    assert_eq!(got.sender, sender.local_addr().unwrap());
    assert_eq!(got.fragments, 1);
    assert_eq!(got.data, b"yabba dabba doo");
    assert_eq!(next(&mut any).await, got);
    assert!(
        barney
            .recv_timeout(Duration::from_millis(100))
            .await
            .is_none()
    );
    assert!(broadcasts.try_recv().is_none());
}

#[tokio::test]
async fn group_and_broadcast_datagrams_reach_every_listener_sharing_the_port() {
    // Two endpoints on one port (SO_REUSEADDR), as two processes sharing 138 would be.
    let first = endpoint(DatagramConfig::bound_to(at([0, 0, 0, 0], 0))).await;
    let port = first.local_addr().unwrap().port();
    let second = endpoint(DatagramConfig::bound_to(at([0, 0, 0, 0], port))).await;
    let mut group_listeners = [
        first.subscribe(DatagramFilter::Name(name("FLINTSTONES#1E").name)),
        second.subscribe(DatagramFilter::Name(name("FLINTSTONES#1E").name)),
    ];
    let mut broadcast_listeners = [
        first.subscribe(DatagramFilter::Broadcast),
        second.subscribe(DatagramFilter::Broadcast),
    ];
    let sender = loopback_sender(port).await;

    sender
        .send_group(&name("WILMA"), &name("FLINTSTONES#1E"), b"to the group")
        .await
        .expect("sent");
    for listener in &mut group_listeners {
        let got = next(listener).await;
        assert_eq!(got.kind, DataKind::DirectGroup);
        assert_eq!(got.data, b"to the group");
    }
    let wildcard = ScopedName::new(NetbiosName::wildcard());
    sender
        .send_broadcast(&name("WILMA"), &wildcard, b"to everyone")
        .await
        .expect("sent");
    for listener in &mut broadcast_listeners {
        let got = next(listener).await;
        assert_eq!(got.kind, DataKind::Broadcast);
        assert_eq!(got.destination, wildcard);
        assert_eq!(got.data, b"to everyone");
        assert_eq!(
            got.source_address.port(),
            sender.local_addr().unwrap().port()
        );
    }
    // Broadcast datagrams are not for name receivers, nor group datagrams for broadcast ones.
    for listener in &mut group_listeners {
        assert!(listener.try_recv().is_none());
    }
    for listener in &mut broadcast_listeners {
        assert!(listener.try_recv().is_none());
    }
}

#[tokio::test]
async fn a_large_datagram_is_fragmented_and_reassembled_intact() {
    let receiver = endpoint(DatagramConfig::bound_to(at([127, 0, 0, 3], 0))).await;
    let to = receiver.local_addr().unwrap();
    let mut fred = receiver.subscribe(DatagramFilter::Name(name("FRED").name));
    let sender = loopback_sender(to.port()).await;
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    sender
        .send_unique(&name("WILMA"), &name("FRED"), &data, &[to])
        .await
        .expect("sent");
    let got = next(&mut fred).await;
    assert_eq!(got.data, data);
    // 576 - 14 - 34 - 34 = 494 bytes per packet.
    assert_eq!(got.fragments, 3000usize.div_ceil(494));
    assert_eq!(
        sender.stats().sent.load(Ordering::Relaxed),
        got.fragments as u64
    );
}

#[tokio::test]
async fn a_garbage_flood_does_not_stop_valid_datagrams() {
    let receiver = endpoint(DatagramConfig::bound_to(at([127, 0, 0, 3], 0))).await;
    let to = receiver.local_addr().unwrap();
    let mut fred = receiver.subscribe(DatagramFilter::Name(name("FRED").name));
    let sender = loopback_sender(to.port()).await;

    // 2,000 packets of junk: random bytes, truncated headers, lying DGM_LENGTHs, fragments
    // that never complete, DATAGRAM ERRORs and queries. Bounded in count.
    let flood = UdpSocket::bind(at([127, 0, 0, 4], 0)).expect("a flood socket");
    let mut state = 0x2545_f491_u32;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for round in 0..2000u32 {
        let length = (random() % 600) as usize;
        let mut junk: Vec<u8> = (0..length).map(|_| random() as u8).collect();
        if let Some(first) = junk.first_mut() {
            *first = 0x10 + (round % 8) as u8;
        }
        if junk.len() > 12 && round % 3 == 0 {
            junk[10..12].copy_from_slice(&0xFFFF_u16.to_be_bytes());
        }
        flood.send_to(&junk, to).expect("sent junk");
        if round % 100 == 99 {
            // Let the receiver drain, so the kernel's buffer is not what is being tested.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // The first fragment of 100 datagrams that never complete: held, bounded, then evicted.
    let flood_port = flood.local_addr().expect("bound").port();
    for id in 0..100u16 {
        let header = DatagramHeader {
            flags: DatagramFlags::default(),
            id,
            source_ip: Ipv4Addr::new(127, 0, 0, 4),
            source_port: flood_port,
        };
        let fragments = split(
            DataKind::DirectUnique,
            header,
            &name("MALLORY"),
            &name("FRED"),
            &[0xAB; 2000],
            576,
        )
        .expect("fragments");
        let bytes = DatagramPacket::Data(fragments[0].clone())
            .encode()
            .expect("encodes");
        flood.send_to(&bytes, to).expect("sent a fragment");
    }
    sender
        .send_unique(&name("WILMA"), &name("FRED"), b"still here", &[to])
        .await
        .expect("sent");
    let got = next(&mut fred).await;
    assert_eq!(got.data, b"still here");
    assert!(receiver.stats().malformed.load(Ordering::Relaxed) > 1000);
}

#[tokio::test]
async fn receiving_with_a_timeout_returns_instead_of_hanging() {
    let receiver = endpoint(DatagramConfig::bound_to(at([127, 0, 0, 3], 0))).await;
    let mut fred = receiver.subscribe(DatagramFilter::Everything);
    let started = Instant::now();
    assert!(
        fred.recv_timeout(Duration::from_millis(200))
            .await
            .is_none()
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // And a receiver ends when its endpoint is gone.
    drop(receiver);
    assert!(fred.recv_timeout(WAIT).await.is_none());
}
