//! `wnet nbtstat -A ADDR | -a NAME`: a remote node's name table and MAC, as nbtstat shows them;
//! `wnet nbtstat -c`: the resolver's cache.

use std::net::SocketAddrV4;
use std::time::Duration;

use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, Retransmit};

use crate::args::NbtstatArgs;
use crate::exit::Exit;
use crate::name_cache_file;
use crate::report::{CacheRow, nbtstat_cache_table, nbtstat_remote_table};
use crate::verbs::{
    block_on, client, config_from_env, host_status, parse_name, query_failed, retransmit_within,
};

/// Node status waits 1 s per try by default, four tries: a host on a LAN answers in
/// milliseconds, and 20 s (RFC 1002's unicast timers) is too long at a terminal.
const NODE_STATUS: Retransmit = Retransmit {
    interval: Duration::from_secs(1),
    retries: 3,
};

pub(crate) fn run(args: &NbtstatArgs, json: bool, timeout: Option<Duration>) -> Result<(), Exit> {
    if args.cache {
        print_cache(json);
        return Ok(());
    }
    if args.local_names {
        return Err(Exit::not_implemented("nbtstat -n"));
    }
    if args.sessions {
        return Err(Exit::not_implemented("nbtstat -s"));
    }
    let name = args.name.as_deref().map(parse_name).transpose()?;
    let status = block_on(async {
        let client = client(config_from_env()?).await?;
        let address = match (args.address, name) {
            (Some(address), _) => address,
            (None, Some(name)) => {
                let cache = name_cache_file::cache_path();
                name_cache_file::preload(&client, &cache);
                let answer = client
                    .resolve(&client.scoped(name))
                    .await
                    .map_err(|error| query_failed(&error))?;
                name_cache_file::store(&client, &cache);
                answer
                    .addresses
                    .first()
                    .map(|found| found.address)
                    .ok_or_else(|| Exit::failed("not_found", format!("{name}: no address")))?
            }
            (None, None) => return Err(Exit::usage("nbtstat needs -A ADDR or -a NAME")),
        };
        let target = SocketAddrV4::new(address, NAME_SERVICE_UDP_PORT);
        client
            .node_status(target, retransmit_within(timeout, NODE_STATUS))
            .await
            .map_err(|error| query_failed(&error))
    })?;
    let report = host_status(&status);
    if json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print!("{}", nbtstat_remote_table(&report));
    }
    Ok(())
}

/// `nbtstat -c`: the names earlier lookups resolved, with the seconds each has left.
fn print_cache(json: bool) {
    let now = std::time::SystemTime::now();
    let rows: Vec<CacheRow> = name_cache_file::load(&name_cache_file::cache_path(), now)
        .into_iter()
        .filter_map(|entry| {
            let name = entry.scoped_name()?.name;
            Some(CacheRow {
                name: String::from_utf8_lossy(name.name_bytes()).into_owned(),
                suffix: name.suffix(),
                group: entry.group,
                life_seconds: entry.remaining(now).as_secs(),
                addresses: entry.addresses,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string(&rows).unwrap_or_default());
    } else {
        print!("{}", nbtstat_cache_table(&rows));
    }
}
