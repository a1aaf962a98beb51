//! `wnet responder --name NAME[#XX]... [--group NAME[#XX]...] [--bind ADDR] [--port N]
//! [--release-on-demand]`: registers the names, answers for them until interrupted, then
//! releases them.

use std::net::{Ipv4Addr, SocketAddrV4};

use serde_json::json;
use wnet_nbt::interfaces::{Ipv4Interface, ipv4_interfaces, mac_address};
use wnet_nbt::name_service::name_table::Registrar;
use wnet_nbt::name_service::responder::{Responder, ResponderConfig};
use wnet_nbt::wire::NetbiosName;

use crate::args::ResponderArgs;
use crate::exit::Exit;
use crate::verbs::{block_on, config_from_env, parse_name};

/// Names a responder holds at most (Windows' per-LANA limit is 254).
const CAPACITY: usize = 254;

pub(crate) fn run(args: &ResponderArgs, json: bool) -> Result<(), Exit> {
    if args.names.is_empty() && args.groups.is_empty() {
        return Err(Exit::usage(
            "give at least one --name or --group to register",
        ));
    }
    let mut wanted: Vec<(NetbiosName, bool)> = Vec::new();
    for text in &args.names {
        wanted.push((parse_name(text)?, false));
    }
    for text in &args.groups {
        wanted.push((parse_name(text)?, true));
    }
    if wanted.iter().any(|(name, _)| name.is_wildcard()) {
        return Err(Exit::usage("`*` is the wildcard, not a name to register"));
    }
    let settings = config_from_env()?;
    block_on(async {
        let interfaces = ipv4_interfaces().map_err(|error| {
            Exit::failed("interfaces", format!("cannot list interfaces: {error}"))
        })?;
        let address = our_address(args.bind, &interfaces);
        let interface = interfaces
            .iter()
            .find(|interface| interface.address == address);
        let mac = interface
            .and_then(|interface| mac_address(&interface.name))
            .unwrap_or_default();
        let broadcasts: Vec<SocketAddrV4> = if settings.broadcast_addresses.is_empty() {
            interface
                .and_then(|interface| interface.broadcast)
                .map(|broadcast| SocketAddrV4::new(broadcast, args.port))
                .into_iter()
                .collect()
        } else {
            settings
                .broadcast_addresses
                .iter()
                .map(|target| SocketAddrV4::new(*target.ip(), args.port))
                .collect()
        };
        let (registrar, node_type) = Registrar::for_settings(&settings);
        let responder = Responder::start(ResponderConfig {
            bind: SocketAddrV4::new(args.bind, args.port),
            address,
            registrar,
            broadcasts,
            scope: settings.scope.clone(),
            node_type,
            ttl: settings.registration_ttl,
            mac,
            capacity: CAPACITY,
            broadcast_bind: None,
            release_on_demand: args.release_on_demand,
        })
        .await
        .map_err(|error| {
            Exit::failed(
                "socket",
                format!("cannot listen on {}:{}: {error}", args.bind, args.port),
            )
        })?;
        let outcomes = responder.add_names(&wanted).await;
        let refused: Vec<String> = wanted
            .iter()
            .zip(&outcomes)
            .filter_map(|((name, _), outcome)| {
                outcome
                    .as_ref()
                    .err()
                    .map(|error| format!("{name}: {error}"))
            })
            .collect();
        if !refused.is_empty() {
            // Release whatever was registered before giving up.
            responder.shutdown().await;
            return Err(Exit::failed("name_conflict", refused.join("\n")));
        }
        announce(&wanted, address, responder.local_addr(), json);
        wait_for_interrupt().await;
        responder.shutdown().await;
        eprintln!("names released");
        Ok(())
    })
}

/// The address our names map to: the bound address, or for a wildcard bind the first
/// interface that is not loopback (loopback when there is no other).
fn our_address(bind: Ipv4Addr, interfaces: &[Ipv4Interface]) -> Ipv4Addr {
    if !bind.is_unspecified() {
        return bind;
    }
    interfaces
        .iter()
        .find(|interface| !interface.loopback)
        .map_or(Ipv4Addr::LOCALHOST, |interface| interface.address)
}

fn announce(names: &[(NetbiosName, bool)], address: Ipv4Addr, listening: SocketAddrV4, json: bool) {
    if json {
        let registered: Vec<_> = names
            .iter()
            .map(|(name, group)| json!({ "name": name.to_string(), "group": group }))
            .collect();
        let body = json!({
            "registered": registered,
            "address": address.to_string(),
            "listening": listening.to_string(),
        });
        println!("{body}");
    } else {
        for (name, group) in names {
            let kind = if *group { "GROUP" } else { "UNIQUE" };
            println!("registered {name} {kind} {address}");
        }
        eprintln!("answering on {listening}; interrupt (Ctrl-C) releases the names and stops");
    }
}

/// Waits for Ctrl-C or SIGTERM.
async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
