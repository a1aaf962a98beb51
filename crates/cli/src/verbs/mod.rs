//! The verbs that are implemented, one module each.

pub(crate) mod lookup;
pub(crate) mod nbtstat;
pub(crate) mod net;
pub(crate) mod resolve;
pub(crate) mod responder;
pub(crate) mod scan;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use wnet::error::NameQueryFailure;
use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, NameServiceConfig, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, QueryError};
use wnet_nbt::wire::NetbiosName;

use crate::exit::Exit;
use crate::report::{HostStatus, NameRow, NameStatus};

/// The name-service settings from the environment (see [`NameServiceConfig::from_env`]).
pub(crate) fn config_from_env() -> Result<NameServiceConfig, Exit> {
    NameServiceConfig::from_env(NAME_SERVICE_UDP_PORT)
        .map_err(|error| Exit::usage(error.to_string()))
}

/// Runs a future to completion on a runtime made for this one command.
pub(crate) fn block_on<T>(future: impl Future<Output = Result<T, Exit>>) -> Result<T, Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            Exit::failed(
                "runtime",
                format!("cannot start the async runtime: {error}"),
            )
        })?;
    runtime.block_on(future)
}

/// Retransmission that fits in `timeout`: four transmissions evenly spread, as RFC 1002's
/// timers are, or `default` when no timeout was given.
pub(crate) fn retransmit_within(timeout: Option<Duration>, default: Retransmit) -> Retransmit {
    timeout.map_or(default, |total| Retransmit {
        interval: total / 4,
        retries: 3,
    })
}

/// A client on an ephemeral port of every address.
pub(crate) async fn client(config: NameServiceConfig) -> Result<NameServiceClient, Exit> {
    NameServiceClient::bind(config, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
        .await
        .map_err(|error| Exit::failed("socket", format!("cannot open a UDP socket: {error}")))
}

/// Parses a NetBIOS name given on the command line.
pub(crate) fn parse_name(text: &str) -> Result<NetbiosName, Exit> {
    text.parse()
        .map_err(|error| Exit::usage(format!("{error}")))
}

/// The failure of a query, for people and scripts.
pub(crate) fn query_failed(error: &QueryError) -> Exit {
    let win = wnet::WinError::from(error);
    let kind = match &win.cause {
        Some(wnet::Cause::NameQuery { failure, .. }) => match failure {
            NameQueryFailure::NotFound => "not_found",
            NameQueryFailure::Timeout => "timeout",
            NameQueryFailure::Network => "network",
        },
        _ => "network",
    };
    Exit::failed(kind, error.to_string())
}

/// The report form of a node status answer.
pub(crate) fn host_status(answer: &wnet_nbt::name_service::client::NodeStatusAnswer) -> HostStatus {
    HostStatus {
        address: *answer.from.ip(),
        names: answer
            .names
            .iter()
            .map(|entry| NameRow {
                name: String::from_utf8_lossy(entry.name.name_bytes()).into_owned(),
                suffix: entry.name.suffix(),
                group: entry.is_group(),
                status: node_name_status(entry.flags),
            })
            .collect(),
        mac: answer.mac,
    }
}

fn node_name_status(flags: u16) -> NameStatus {
    use wnet_nbt::wire::name_service::name_flags;
    if flags & name_flags::CONFLICT != 0 {
        NameStatus::Conflict
    } else if flags & name_flags::DEREGISTERING != 0 {
        NameStatus::Deregistered
    } else if flags & name_flags::ACTIVE != 0 {
        NameStatus::Registered
    } else {
        NameStatus::Registering
    }
}
