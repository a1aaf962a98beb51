//! `wnet nbtstat -A ADDR | -a NAME`: a remote node's name table and MAC, as nbtstat shows them.

use std::net::SocketAddrV4;
use std::time::Duration;

use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, Retransmit};

use crate::args::NbtstatArgs;
use crate::exit::Exit;
use crate::report::nbtstat_remote_table;
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
        return Err(Exit::not_implemented(
            "nbtstat -c (the name cache lives in the agent)",
        ));
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
                let answer = client
                    .resolve(&client.scoped(name))
                    .await
                    .map_err(|error| query_failed(&error))?;
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
