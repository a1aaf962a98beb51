//! Benchmark: the latency of one unicast name query through the library (encode, send over
//! loopback to our responder, receive, decode, match by transaction id) against a bare UDP
//! round trip on loopback, measured in the same run. Prints medians and their ratio.
//!
//! `cargo run --release -p wnet-nbt --example query_latency -- [QUERIES]`

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use wnet_nbt::config::{NameServiceConfig, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, QueryOptions};
use wnet_nbt::name_service::responder::{Responder, ResponderConfig};
use wnet_nbt::wire::{NetbiosName, ScopedName};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let queries: usize = std::env::args().nth(1).map_or(Ok(5000), |n| n.parse())?;

    // Bare UDP: an echo task and a client, both on loopback.
    let echo = UdpSocket::bind("127.0.0.1:0").await?;
    let echo_address = echo.local_addr()?;
    tokio::spawn(async move {
        let mut buffer = [0u8; 512];
        while let Ok((length, from)) = echo.recv_from(&mut buffer).await {
            let _ = echo.send_to(&buffer[..length], from).await;
        }
    });
    let bare = UdpSocket::bind("127.0.0.1:0").await?;
    let payload = [0u8; 50]; // the size of a name query
    let mut buffer = [0u8; 512];
    let mut bare_samples = Vec::with_capacity(queries);
    for _ in 0..queries {
        let started = Instant::now();
        bare.send_to(&payload, echo_address).await?;
        bare.recv_from(&mut buffer).await?;
        bare_samples.push(started.elapsed());
    }

    // A name query to our responder.
    let responder = Responder::start(
        ResponderConfig::new(
            SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
            Ipv4Addr::LOCALHOST,
        )
        .unopposed(),
    )
    .await?;
    let name: NetbiosName = "LATENCY".parse()?;
    responder.add_name(name, false).await?;
    let client = NameServiceClient::bind(
        NameServiceConfig::default(),
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
    )
    .await?;
    let options = QueryOptions {
        targets: vec![responder.local_addr()],
        broadcast: false,
        recursion: false,
        retransmit: Retransmit {
            interval: Duration::from_secs(1),
            retries: 0,
        },
        collect_all: false,
    };
    let question = ScopedName::new(name);
    let mut query_samples = Vec::with_capacity(queries);
    for _ in 0..queries {
        let started = Instant::now();
        client.query(&question, &options).await?;
        query_samples.push(started.elapsed());
    }
    let bare = median(bare_samples);
    let query = median(query_samples);
    println!("queries: {queries}");
    println!(
        "bare UDP round trip, median:        {:>8.1} µs",
        bare.as_secs_f64() * 1e6
    );
    println!(
        "wnet unicast name query, median:    {:>8.1} µs",
        query.as_secs_f64() * 1e6
    );
    println!("ratio: {:.2}x", query.as_secs_f64() / bare.as_secs_f64());
    responder.shutdown().await;
    Ok(())
}
