//! Our resolver and node status against Samba's nmbd in the labs.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::Command;
use std::time::{Duration, Instant};

use wnet_nbt::config::{NameServiceConfig, NodeType, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, QueryError, QueryOptions};
use wnet_nbt::wire::{NetbiosName, ScopedName};
use wnet_testlab::{NetnsLab, SambaLab, run_bounded};

const QUICK: Retransmit = Retransmit {
    interval: Duration::from_millis(250),
    retries: 3,
};

async fn client(config: NameServiceConfig) -> NameServiceClient {
    NameServiceClient::bind(config, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .await
        .expect("a socket")
}

fn at137(address: Ipv4Addr) -> SocketAddrV4 {
    SocketAddrV4::new(address, 137)
}

fn scoped(text: &str) -> ScopedName {
    ScopedName::new(text.parse::<NetbiosName>().expect("a name"))
}

/// The names `nmblookup -A` reports: (name, suffix, group).
fn nmblookup_names(address: Ipv4Addr) -> Vec<(String, u8, bool)> {
    let output = run_bounded(
        Command::new("nmblookup").args(["-U", &address.to_string(), "-A", &address.to_string()]),
        Duration::from_secs(30),
    )
    .expect("nmblookup ran");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            // "\tLABSERVER       <00> -         H <ACTIVE> "
            let line = line.strip_prefix('\t')?;
            let open = line.find(" <")?;
            let name = line.get(..15)?.trim_end().to_owned();
            let suffix = u8::from_str_radix(line.get(open + 2..open + 4)?, 16).ok()?;
            Some((name, suffix, line.contains("<GROUP>")))
        })
        .collect()
}

#[tokio::test]
async fn node_status_reports_exactly_the_names_nmblookup_reports() {
    let lab = SambaLab::acquire().expect("lab up");
    let client = client(NameServiceConfig::default()).await;
    let answer = client
        .node_status(at137(lab.address), QUICK)
        .await
        .expect("an answer");
    let ours: Vec<(String, u8, bool)> = answer
        .names
        .iter()
        .map(|entry| {
            let printable: String = entry.name.as_bytes()[..15]
                .iter()
                .map(|b| {
                    if b.is_ascii_graphic() || *b == b' ' {
                        char::from(*b)
                    } else {
                        '.'
                    }
                })
                .collect();
            (
                printable.trim_end().to_owned(),
                entry.name.suffix(),
                entry.is_group(),
            )
        })
        .collect();
    let theirs = nmblookup_names(lab.address);
    assert!(theirs.len() >= 5, "nmblookup saw {theirs:?}");
    assert_eq!(ours, theirs);
    assert_eq!(answer.from, at137(lab.address));
}

#[tokio::test]
async fn unicast_query_to_the_wins_server_finds_the_server_and_refuses_unknown_names() {
    let lab = SambaLab::acquire().expect("lab up");
    let client = client(NameServiceConfig::default()).await;
    let options = QueryOptions {
        targets: vec![at137(lab.address)],
        broadcast: false,
        recursion: true,
        retransmit: QUICK,
        collect_all: false,
    };
    let answer = client
        .query(&scoped(&lab.server_name), &options)
        .await
        .expect("found");
    let addresses: Vec<Ipv4Addr> = answer.addresses.iter().map(|a| a.address).collect();
    assert_eq!(addresses, [lab.address]);
    assert!(!answer.addresses[0].group);
    assert!(answer.ttl > Duration::ZERO);

    // Asked without recursion, nmbd answers for its own membership of the workgroup.
    let direct = QueryOptions {
        recursion: false,
        ..options.clone()
    };
    let group = client
        .query(&scoped(&format!("{}#1e", lab.workgroup)), &direct)
        .await
        .expect("the workgroup's browser election name");
    assert_eq!(group.addresses[0].address, lab.address);
    assert!(group.addresses[0].group);
    // Asked with recursion, the WINS server holds no member address for the group and says
    // 0.0.0.0, which means none.
    assert!(matches!(
        client
            .query(&scoped(&format!("{}#1e", lab.workgroup)), &options)
            .await,
        Err(QueryError::NotFound { .. })
    ));

    let started = Instant::now();
    match client.query(&scoped("NOSUCHNAME"), &options).await {
        Err(QueryError::NotFound { rcode: Some(3), .. }) => {}
        other => panic!("expected a negative answer, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a negative answer ends the query"
    );
}

#[tokio::test]
async fn p_node_resolution_uses_the_name_server_and_caches_the_answer() {
    let lab = SambaLab::acquire().expect("lab up");
    let config = NameServiceConfig {
        node_type: NodeType::PointToPoint,
        name_servers: vec![at137(lab.address)],
        unicast: QUICK,
        ..NameServiceConfig::default()
    };
    let client = client(config).await;
    let name = scoped(&lab.server_name);
    let answer = client.resolve(&name).await.expect("resolved");
    assert_eq!(answer.addresses[0].address, lab.address);
    let cached = client.cached();
    assert_eq!(cached.len(), 1);
    assert_eq!(cached[0].0, name);
    assert_eq!(cached[0].1, [lab.address]);
}

#[tokio::test]
async fn b_node_resolution_finds_the_netns_host_by_broadcast() {
    let Some(lab) = NetnsLab::acquire_or_skip() else {
        return;
    };
    let config = NameServiceConfig {
        node_type: NodeType::Broadcast,
        broadcast_addresses: vec![at137(lab.broadcast)],
        ..NameServiceConfig::default()
    };
    let client = NameServiceClient::bind(config, SocketAddrV4::new(lab.bridge.address, 0))
        .await
        .expect("a socket on the bridge");
    let answer = client
        .resolve(&scoped(&lab.nmbd.name))
        .await
        .expect("resolved");
    let addresses: Vec<Ipv4Addr> = answer.addresses.iter().map(|a| a.address).collect();
    assert_eq!(
        addresses,
        [lab.nmbd.address],
        "one entry even if nmbd answers twice"
    );

    match client.resolve(&scoped("NOBODYHASME")).await {
        Err(QueryError::NotFound { rcode: None, .. }) => {}
        other => panic!("expected silence, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_host_times_out_on_schedule() {
    let client = client(NameServiceConfig::default()).await;
    // A loopback port nobody listens on: the kernel answers with ICMP port unreachable, which
    // must not end or hang the request; it ends when its timers run out.
    let silent = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9);
    let plan = Retransmit {
        interval: Duration::from_millis(100),
        retries: 2,
    };
    let started = Instant::now();
    match client.node_status(silent, plan).await {
        Err(QueryError::Timeout { target, .. }) => assert_eq!(target, silent),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn registration_with_samba_s_wins_server_is_granted_and_released() {
    use wnet_nbt::name_service::name_table::Registrar;
    use wnet_nbt::name_service::responder::{Responder, ResponderConfig};

    let lab = SambaLab::acquire().expect("lab up");
    let wins = at137(lab.address);
    // A per-process name, so that parallel runs never meet in the WINS database.
    let name: NetbiosName = format!("WNETWINS{}", std::process::id() % 10_000)
        .parse()
        .expect("a name");
    let responder = Responder::start(ResponderConfig {
        bind: SocketAddrV4::new(lab.host_address, 0),
        address: lab.host_address,
        registrar: Registrar::NameServer {
            server: wins,
            retransmit: QUICK,
        },
        broadcasts: Vec::new(),
        scope: String::new(),
        node_type: NodeType::Hybrid,
        ttl: Duration::from_secs(300),
        mac: [0; 6],
        capacity: 4,
        broadcast_bind: None,
        release_on_demand: false,
    })
    .await
    .expect("a responder");
    responder
        .add_name(name, false)
        .await
        .expect("the WINS server grants the name");

    // The WINS server now answers for the name with our address.
    let client = client(NameServiceConfig::default()).await;
    let options = QueryOptions {
        targets: vec![wins],
        broadcast: false,
        recursion: true,
        retransmit: QUICK,
        collect_all: false,
    };
    let answer = client
        .query(&ScopedName::new(name), &options)
        .await
        .expect("registered");
    assert_eq!(answer.addresses[0].address, lab.host_address);
    assert_eq!(
        answer.addresses[0].owner_node_type, 3,
        "registered as an H node"
    );

    // Releasing tells the WINS server, which then no longer knows the name.
    assert!(responder.release(name).await);
    match client.query(&ScopedName::new(name), &options).await {
        Err(QueryError::NotFound { rcode: Some(3), .. }) => {}
        other => panic!("expected the name to be gone, got {other:?}"),
    }
    responder.shutdown().await;
}
