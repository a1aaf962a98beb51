//! The scanner against our responders on loopback addresses: every answering host found once,
//! with its names; silent hosts reported (without retries once they refused the port).

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use wnet_nbt::config::{NodeType, Retransmit};
use wnet_nbt::name_service::name_table::Registrar;
use wnet_nbt::name_service::responder::{Responder, ResponderConfig};
use wnet_nbt::name_service::scanner::{ScanEvent, ScanOptions, scan};
use wnet_nbt::targets::ScanTarget;

#[tokio::test]
async fn scan_finds_every_responder_and_reports_the_silent_ones() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    let mut responders = Vec::new();
    for (last, name) in [(61u8, "SCANME1"), (65, "SCANME2")] {
        let address = Ipv4Addr::new(127, 0, 0, last);
        let responder = Responder::start(ResponderConfig {
            bind: SocketAddrV4::new(address, port),
            address,
            registrar: Registrar::Broadcast(Retransmit {
                interval: Duration::from_millis(10),
                retries: 0,
            }),
            broadcasts: Vec::new(),
            scope: String::new(),
            node_type: NodeType::Broadcast,
            ttl: Duration::from_secs(60),
            mac: [2, 0, 0, 0, 0, last],
            capacity: 8,
            broadcast_bind: None,
            release_on_demand: false,
        })
        .await
        .expect("a responder");
        responder
            .add_name(name.parse().unwrap(), false)
            .await
            .unwrap();
        responders.push(responder);
    }

    let targets: ScanTarget = "127.0.0.60-69".parse().unwrap();
    let options = ScanOptions {
        rate: 0,
        timeout: Duration::from_millis(200),
        retries: 1,
        port,
        bind: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
        ..ScanOptions::default()
    };
    let mut found = Vec::new();
    let mut silent = Vec::new();
    let summary = scan(targets.addresses(), &options, |event| match event {
        ScanEvent::Found { target, status } => {
            found.push((target, status.names[0].name.to_string(), status.mac));
        }
        ScanEvent::Silent(target) => silent.push(target),
    })
    .await
    .expect("the scan ran");

    found.sort();
    assert_eq!(
        found,
        [
            (
                Ipv4Addr::new(127, 0, 0, 61),
                "SCANME1<00>".to_owned(),
                [2, 0, 0, 0, 0, 61]
            ),
            (
                Ipv4Addr::new(127, 0, 0, 65),
                "SCANME2<00>".to_owned(),
                [2, 0, 0, 0, 0, 65]
            ),
        ]
    );
    silent.sort();
    assert_eq!(silent.len(), 8);
    assert!(!silent.contains(&Ipv4Addr::new(127, 0, 0, 61)));
    assert_eq!(summary.found, 2);
    assert_eq!(summary.silent, 8);
    // The silent addresses answer with ICMP port unreachable (nothing listens there), which
    // the scanner reads from the socket's error queue: they are over without a retry.
    assert_eq!(
        summary.probes,
        2 + 8,
        "one probe per answering host, one per refusing one"
    );
    for responder in responders {
        responder.shutdown().await;
    }
}
