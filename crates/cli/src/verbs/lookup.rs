//! `wnet lookup NAME[#XX] [--server ADDR] [--broadcast ADDR] [--all]`, like nmblookup.

use std::net::SocketAddrV4;

use serde_json::json;
use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, Retransmit};
use wnet_nbt::name_service::client::{QueryAnswer, QueryOptions};

use crate::args::LookupArgs;
use crate::exit::Exit;
use crate::name_cache_file;
use crate::verbs::{
    block_on, client, config_from_env, parse_name, query_failed, retransmit_within,
};

pub(crate) fn run(
    args: &LookupArgs,
    json: bool,
    timeout: Option<std::time::Duration>,
) -> Result<(), Exit> {
    let name = parse_name(&args.name)?;
    let answer = block_on(async {
        let client = client(config_from_env()?).await?;
        let name = client.scoped(name);
        let result = match (args.server, args.broadcast) {
            (Some(server), _) => {
                let options = QueryOptions {
                    targets: vec![SocketAddrV4::new(server, NAME_SERVICE_UDP_PORT)],
                    broadcast: false,
                    // As `nmblookup -U`: the host answers for its own names. Configured name
                    // servers (WNET_WINS_SERVERS) are asked with recursion.
                    recursion: false,
                    retransmit: retransmit_within(timeout, Retransmit::UNICAST),
                    collect_all: args.all,
                };
                client.query(&name, &options).await
            }
            (None, Some(broadcast)) => {
                let options = QueryOptions {
                    targets: vec![SocketAddrV4::new(broadcast, NAME_SERVICE_UDP_PORT)],
                    broadcast: true,
                    recursion: true,
                    retransmit: retransmit_within(timeout, Retransmit::BROADCAST),
                    collect_all: args.all,
                };
                client.query(&name, &options).await
            }
            (None, None) => {
                let cache = name_cache_file::cache_path();
                name_cache_file::preload(&client, &cache);
                let result = client.resolve(&name).await;
                if result.is_ok() {
                    name_cache_file::store(&client, &cache);
                }
                result
            }
        };
        result.map_err(|error| query_failed(&error))
    })?;
    print_answer(&answer, json);
    Ok(())
}

fn print_answer(answer: &QueryAnswer, json: bool) {
    if json {
        let addresses: Vec<_> = answer
            .addresses
            .iter()
            .map(|found| {
                let node_type = ["B", "P", "M", "H"][usize::from(found.owner_node_type & 3)];
                json!({
                    "address": found.address.to_string(),
                    "group": found.group,
                    "node_type": node_type,
                    "answered_by": found.answered_by.to_string(),
                })
            })
            .collect();
        let body = json!({
            "name": answer.name.name.to_string(),
            "addresses": addresses,
            "ttl": answer.ttl.as_secs(),
        });
        println!("{body}");
    } else {
        for found in &answer.addresses {
            println!("{} {}", found.address, answer.name.name);
        }
    }
}
