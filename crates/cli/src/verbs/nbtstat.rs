//! `wnet nbtstat -A ADDR | -a NAME`: a remote node's name table and MAC, as nbtstat shows them;
//! `wnet nbtstat -c`: the resolver's cache.

use std::net::SocketAddrV4;
use std::time::Duration;

use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, Retransmit};

use crate::args::NbtstatArgs;
use crate::exit::Exit;
use crate::name_cache_file;
use crate::report::{CacheRow, nbtstat_cache_table, nbtstat_local_table, nbtstat_remote_table};
use crate::verbs::{
    block_on, client, config_from_env, host_status, parse_name, query_failed, retransmit_within,
};
use wnet_netbios::NetbiosConfig;
use wnet_netbios::lana::current_lanas;

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
        return local_names(json, timeout);
    }
    if args.sessions {
        print_sessions(json);
        return Ok(());
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

/// Each LANA's own node is asked for its names twice, 250 ms apart, by default.
const LOCAL_STATUS: Retransmit = Retransmit {
    interval: Duration::from_millis(250),
    retries: 1,
};

/// `nbtstat -n`: the names registered on each LANA's address, by whatever program of this host
/// holds them (an NCB program, `wnet responder`, nmbd), asked with node status as a remote
/// node would ask. LANAs come from the NCB configuration (`WNET_NETBIOS_INTERFACES`,
/// `WNET_NETBIOS_LOOPBACK`, `WNET_NBT_NAME_PORT`).
fn local_names(json: bool, timeout: Option<Duration>) -> Result<(), Exit> {
    let config = NetbiosConfig::from_env().map_err(|error| Exit::usage(error.to_string()))?;
    let lanas = current_lanas(&config)
        .map_err(|error| Exit::failed("interfaces", format!("cannot list interfaces: {error}")))?;
    let scope = config.name_service.scope.clone();
    let tables = block_on(async {
        let client = client(config.name_service.clone()).await?;
        let mut tables = Vec::new();
        for lana in &lanas {
            let target = SocketAddrV4::new(lana.address, config.name_port);
            let names = match client
                .node_status(target, retransmit_within(timeout, LOCAL_STATUS))
                .await
            {
                Ok(answer) => host_status(&answer).names,
                Err(_) => Vec::new(),
            };
            tables.push(LocalTable {
                lana: lana.number,
                interface: lana.interface.clone(),
                address: lana.address,
                names,
            });
        }
        Ok(tables)
    })?;
    if json {
        println!("{}", serde_json::to_string(&tables).unwrap_or_default());
        return Ok(());
    }
    for table in &tables {
        println!();
        println!("{} (LANA {}):", table.interface, table.lana);
        println!("Node IpAddress: [{}] Scope Id: [{scope}]", table.address);
        print!("{}", nbtstat_local_table(&table.names));
    }
    Ok(())
}

/// One LANA's names, for `nbtstat -n`.
#[derive(Debug, serde::Serialize)]
struct LocalTable {
    lana: u8,
    interface: String,
    address: std::net::Ipv4Addr,
    names: Vec<crate::report::NameRow>,
}

/// `nbtstat -s`: the NetBIOS sessions of this user's programs (as their engines publish them).
fn print_sessions(json: bool) {
    let sessions = wnet_netbios::published::published_sessions();
    if json {
        let rows: Vec<serde_json::Value> = sessions
            .iter()
            .map(|session| {
                serde_json::json!({
                    "pid": session.pid,
                    "lana": session.lana,
                    "lsn": session.lsn,
                    "local_name": printable_name(&session.local_name),
                    "remote_name": printable_name(&session.remote_name),
                    "direction": if session.outgoing { "out" } else { "in" },
                    "remote": session.remote.to_string(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return;
    }
    print!("{}", crate::report::nbtstat_session_table(&sessions));
}

fn printable_name(bytes: &[u8]) -> String {
    crate::report::name_with_suffix(bytes)
}
