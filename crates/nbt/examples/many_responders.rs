//! Benchmark helper: a responder on every address of a block, each answering node status and
//! name queries for one name (`BENCH` + the last two octets), until interrupted.
//!
//! `cargo run --release -p wnet-nbt --example many_responders -- 127.0.0.0/22 [PORT]`
//!
//! Each address gets its own socket, so every answer comes from the address that was asked,
//! as a host's would; nbtscan matches answers by source address. Run it inside a network
//! namespace of its own (bench/scan does) so that the block is loopback and nothing else.

use std::net::SocketAddrV4;
use wnet_nbt::name_service::responder::{Responder, ResponderConfig};
use wnet_nbt::targets::ScanTarget;
use wnet_nbt::wire::NetbiosName;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let block: ScanTarget = args
        .next()
        .ok_or("usage: many_responders CIDR [PORT]")?
        .parse()?;
    let port: u16 = args.next().map_or(Ok(137), |port| port.parse())?;
    let mut responders = Vec::new();
    for address in block.addresses() {
        let [_, _, third, fourth] = address.octets();
        let name: NetbiosName = format!("BENCH{third:03}{fourth:03}").parse()?;
        let responder = Responder::start(ResponderConfig {
            mac: [0x02, 0, 0, 0, third, fourth],
            capacity: 4,
            ..ResponderConfig::new(SocketAddrV4::new(address, port), address).unopposed()
        })
        .await?;
        responder.add_name(name, false).await?;
        responders.push(responder);
    }
    println!("ready: {} responders", responders.len());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
