//! Responders against each other and against our client, on loopback addresses: registration,
//! defence, group names, queries, node status, release, and a flood of garbage.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use wnet_nbt::config::{NameServiceConfig, NodeType, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, QueryError, QueryOptions};
use wnet_nbt::name_service::name_table::{NameState, Registrar};
use wnet_nbt::name_service::responder::{RegisterError, Responder, ResponderConfig};
use wnet_nbt::wire::name_service::rcode;
use wnet_nbt::wire::{NetbiosName, ScopedName};

const FAST: Retransmit = Retransmit {
    interval: Duration::from_millis(30),
    retries: 3,
};

/// A free UDP port shared by the test's loopback addresses.
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A B-node responder at `address:port` whose "broadcasts" go to the `peers` (loopback has no
/// broadcast domain, so each peer stands for one host on it).
async fn responder(address: Ipv4Addr, port: u16, peers: &[Ipv4Addr], mac: [u8; 6]) -> Responder {
    Responder::start(ResponderConfig {
        bind: SocketAddrV4::new(address, port),
        address,
        registrar: Registrar::Broadcast(FAST),
        broadcasts: peers
            .iter()
            .map(|peer| SocketAddrV4::new(*peer, port))
            .collect(),
        scope: String::new(),
        node_type: NodeType::Broadcast,
        ttl: Duration::from_secs(300),
        mac,
        capacity: 32,
        broadcast_bind: None,
        release_on_demand: false,
    })
    .await
    .expect("a responder")
}

fn name(text: &str) -> NetbiosName {
    text.parse().expect("a name")
}

async fn client() -> NameServiceClient {
    NameServiceClient::bind(
        NameServiceConfig::default(),
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
    )
    .await
    .expect("a client")
}

fn unicast(to: SocketAddrV4) -> QueryOptions {
    QueryOptions {
        targets: vec![to],
        broadcast: false,
        recursion: false,
        retransmit: FAST,
        collect_all: false,
    }
}

#[tokio::test]
async fn unique_names_are_defended_and_group_names_shared() {
    let port = free_port();
    let (a, b) = (Ipv4Addr::new(127, 0, 0, 21), Ipv4Addr::new(127, 0, 0, 22));
    let first = responder(a, port, &[b], [2, 0, 0, 0, 0, 21]).await;
    let second = responder(b, port, &[a], [2, 0, 0, 0, 0, 22]).await;

    first
        .add_name(name("FRED"), false)
        .await
        .expect("FRED is free");
    assert_eq!(
        second.add_name(name("FRED"), false).await,
        Err(RegisterError::Refused {
            rcode: rcode::ACTIVE_ERROR
        })
    );
    assert_eq!(
        second.add_name(name("FRED"), true).await,
        Err(RegisterError::Refused {
            rcode: rcode::ACTIVE_ERROR
        }),
        "a group claim on a unique name is refused too"
    );
    first
        .add_name(name("WORKGROUP"), true)
        .await
        .expect("group");
    second
        .add_name(name("WORKGROUP"), true)
        .await
        .expect("groups coexist");
    assert_eq!(
        second.add_name(name("WORKGROUP#1d"), false).await,
        Ok(()),
        "another suffix is another name"
    );
    assert_eq!(
        first.add_name(name("FRED"), false).await,
        Err(RegisterError::Duplicate)
    );

    let names = second.names().await;
    assert!(names.iter().all(|n| n.state == NameState::Active));
    assert_eq!(names.len(), 2);
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn queries_and_node_status_are_answered_for_our_names() {
    let port = free_port();
    let address = Ipv4Addr::new(127, 0, 0, 31);
    let responder = responder(address, port, &[], [0x02, 0x57, 0x4e, 0x45, 0x54, 0x31]).await;
    responder.add_name(name("WNETTEST"), false).await.unwrap();
    responder
        .add_name(name("WNETTEST#20"), false)
        .await
        .unwrap();
    responder.add_name(name("WNETGROUP"), true).await.unwrap();
    let target = SocketAddrV4::new(address, port);
    let client = client().await;

    let answer = client
        .query(&ScopedName::new(name("WNETTEST#20")), &unicast(target))
        .await
        .expect("answered");
    assert_eq!(answer.addresses[0].address, address);
    assert!(!answer.addresses[0].group);
    let group = client
        .query(&ScopedName::new(name("WNETGROUP")), &unicast(target))
        .await
        .expect("answered");
    assert!(group.addresses[0].group);
    match client
        .query(&ScopedName::new(name("NOTOURS")), &unicast(target))
        .await
    {
        Err(QueryError::NotFound { rcode: Some(3), .. }) => {}
        other => panic!("expected a negative answer, got {other:?}"),
    }

    let status = client.node_status(target, FAST).await.expect("status");
    assert_eq!(status.mac, [0x02, 0x57, 0x4e, 0x45, 0x54, 0x31]);
    let listed: Vec<(String, bool)> = status
        .names
        .iter()
        .map(|n| (n.name.to_string(), n.is_group()))
        .collect();
    assert_eq!(
        listed,
        [
            ("WNETTEST<00>".to_owned(), false),
            ("WNETTEST<20>".to_owned(), false),
            ("WNETGROUP<00>".to_owned(), true)
        ]
    );
    assert!(status.names.iter().all(|n| n.flags & 0x0400 != 0), "active");
    responder.shutdown().await;
}

#[tokio::test]
async fn a_released_name_can_be_taken_by_another_node() {
    let port = free_port();
    let (a, b) = (Ipv4Addr::new(127, 0, 0, 41), Ipv4Addr::new(127, 0, 0, 42));
    let first = responder(a, port, &[b], [0; 6]).await;
    let second = responder(b, port, &[a], [0; 6]).await;
    first.add_name(name("MOVING"), false).await.unwrap();
    assert!(second.add_name(name("MOVING"), false).await.is_err());
    assert!(first.release(name("MOVING")).await);
    assert!(!first.release(name("MOVING")).await);
    second
        .add_name(name("MOVING"), false)
        .await
        .expect("free again");
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_flood_of_garbage_does_not_stop_the_answers() {
    let port = free_port();
    let address = Ipv4Addr::new(127, 0, 0, 51);
    let responder = responder(address, port, &[], [0; 6]).await;
    responder.add_name(name("SURVIVOR"), false).await.unwrap();
    let target = SocketAddrV4::new(address, port);

    // 20,000 hostile datagrams, bounded in count: runts, compression loops, huge counts,
    // truncated records and random bytes.
    let flood = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut seed: u32 = 0x2545_f491;
    for index in 0..20_000u32 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let bytes: Vec<u8> = match index % 4 {
            0 => vec![0x12, 0x34, 0x01],
            1 => [
                &[0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0][..],
                &[0xC0, 0x0C, 0, 0x20, 0, 1][..],
            ]
            .concat(),
            2 => vec![0, 2, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            _ => (0..(seed % 600))
                .map(|i| (seed >> (i % 24)) as u8)
                .collect(),
        };
        let _ = flood.send_to(&bytes, target);
    }
    let client = client().await;
    let answer = client
        .query(&ScopedName::new(name("SURVIVOR")), &unicast(target))
        .await
        .expect("still answering");
    assert_eq!(answer.addresses[0].address, address);
    responder.shutdown().await;
}

#[tokio::test]
async fn nodes_on_their_own_loopback_addresses_share_broadcasts() {
    // Loopback's broadcast address reaches every socket bound to it with SO_REUSEADDR: nodes
    // of one host, each on its own address, form a broadcast domain as hosts on a LAN do.
    let port = free_port();
    let broadcast = SocketAddrV4::new(Ipv4Addr::new(127, 255, 255, 255), port);
    let node = |last: u8| {
        let address = Ipv4Addr::new(127, 0, 0, last);
        Responder::start(ResponderConfig {
            registrar: Registrar::Broadcast(FAST),
            broadcasts: vec![broadcast],
            broadcast_bind: Some(broadcast),
            ..ResponderConfig::new(SocketAddrV4::new(address, port), address)
        })
    };
    let first = node(31).await.expect("first node");
    let second = node(32).await.expect("second node");
    first
        .add_name(name("SHARED"), false)
        .await
        .expect("registered");
    let conflict = second.add_name(name("SHARED"), false).await;
    assert!(
        matches!(conflict, Err(RegisterError::Refused { .. })),
        "{conflict:?}"
    );
    second
        .add_name(name("OTHER"), false)
        .await
        .expect("registered");

    let client = client().await;
    let options = QueryOptions {
        targets: vec![broadcast],
        broadcast: true,
        ..unicast(broadcast)
    };
    let answer = client
        .query(&ScopedName::new(name("OTHER")), &options)
        .await
        .expect("answered by broadcast");
    let addresses: Vec<Ipv4Addr> = answer.addresses.iter().map(|a| a.address).collect();
    assert_eq!(addresses, [Ipv4Addr::new(127, 0, 0, 32)]);
    first.shutdown().await;
    second.shutdown().await;
}

/// Sends a spoofed NAME CONFLICT DEMAND and a NAME RELEASE for `victim`'s name from another
/// host (another loopback address), as a LAN attacker would.
fn spoof_demands(victim: SocketAddrV4, spoofer: Ipv4Addr, target: &str) {
    use wnet_nbt::wire::name_service::{NbEntry, Packet};
    let socket = UdpSocket::bind(SocketAddrV4::new(spoofer, 0)).expect("the spoofer's socket");
    let entry = NbEntry::new(*victim.ip(), false, 0);
    let subject = ScopedName::new(name(target));
    let conflict = Packet::conflict_demand(0x4242, subject.clone(), entry);
    let release = Packet::release_request(0x4243, subject, entry, false);
    for packet in [conflict, release] {
        socket
            .send_to(&packet.encode(), victim)
            .expect("the spoofed packet is sent");
    }
}

/// As Windows' NoNameReleaseOnDemand: a spoofed conflict demand or release from another host
/// takes no name away by default; with `release_on_demand` the responder gives it up.
#[tokio::test]
async fn spoofed_conflict_demands_and_releases_take_no_name_by_default() {
    let port = free_port();
    let address = Ipv4Addr::new(127, 0, 0, 61);
    let victim = SocketAddrV4::new(address, port);
    let responder = responder(address, port, &[], [0; 6]).await;
    responder.add_name(name("KEEPME"), false).await.unwrap();
    spoof_demands(victim, Ipv4Addr::new(127, 0, 0, 62), "KEEPME");
    let client = client().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = client
        .query(&ScopedName::new(name("KEEPME")), &unicast(victim))
        .await
        .expect("the name is still answered for");
    assert_eq!(answer.addresses[0].address, address);
    assert!(
        responder
            .names()
            .await
            .iter()
            .all(|local| local.state == NameState::Active),
        "the name stays active"
    );
    responder.shutdown().await;

    // Honoured when asked for.
    let port = free_port();
    let address = Ipv4Addr::new(127, 0, 0, 63);
    let victim = SocketAddrV4::new(address, port);
    let mut config = ResponderConfig::new(victim, address).unopposed();
    config.release_on_demand = true;
    let responder = Responder::start(config).await.expect("a responder");
    responder.add_name(name("GIVEUP"), false).await.unwrap();
    spoof_demands(victim, Ipv4Addr::new(127, 0, 0, 64), "GIVEUP");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        responder
            .names()
            .await
            .iter()
            .all(|local| local.state == NameState::Conflict),
        "given up on demand"
    );
    match client
        .query(&ScopedName::new(name("GIVEUP")), &unicast(victim))
        .await
    {
        Err(QueryError::NotFound { .. }) => {}
        other => panic!("a name given up is not answered for: {other:?}"),
    }
    responder.shutdown().await;
}
