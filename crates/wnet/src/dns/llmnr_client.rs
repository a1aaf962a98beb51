//! The LLMNR resolver (RFC 4795) around the [`super::llmnr`] codec: a single-label name's A
//! record asked of 224.0.0.252:5355 (and FF02::1:3) on every chosen interface, answered by
//! unicast from the name's owner.
//!
//! The query is sent once, then once more halfway through the timeout (RFC 4795 §2.7 has the
//! sender retransmit after LLMNR_TIMEOUT, 1 s by default, when nothing came; a resolver step
//! that waits about 1 s in all retransmits sooner). Only a response with the query's id that
//! repeats its question is read; conflicts (C) and truncation (TC) are not acted on beyond
//! what the codec reports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use super::llmnr::{self, LLMNR_GROUP_V4, LLMNR_GROUP_V6, LLMNR_PORT};
use super::mdns_client::read_all;
use super::wire::{ResponseCode, TYPE_A};
use crate::multicast::{MulticastInterface, ipv4_query_socket, ipv6_query_socket};

/// RFC 4795 §7's LLMNR_TIMEOUT default: how long a sender waits before retransmitting, and
/// the timeout a resolver step uses by default.
pub const LLMNR_TIMEOUT: Duration = Duration::from_secs(1);

/// `name`'s IPv4 address and TTL from an LLMNR responder on `interfaces`, within `timeout`;
/// None for a name of more than one label, or when nobody answers in time.
pub async fn resolve_llmnr(
    interfaces: &[MulticastInterface],
    name: &str,
    timeout: Duration,
) -> Option<(Ipv4Addr, u32)> {
    if !llmnr::is_llmnr_name(name) {
        return None;
    }
    let id = super::query_id();
    let query = llmnr::encode_query(id, name, TYPE_A).ok()?;
    let mut sockets: Vec<(Arc<tokio::net::UdpSocket>, SocketAddr)> = Vec::new();
    for interface in interfaces {
        if let Ok(socket) = ipv4_query_socket(interface) {
            let group = SocketAddrV4::new(LLMNR_GROUP_V4, LLMNR_PORT);
            sockets.push((Arc::new(socket), group.into()));
        }
        if !interface.ipv6_link_local.is_empty()
            && let Ok(socket) = ipv6_query_socket(interface)
        {
            let group = SocketAddrV6::new(LLMNR_GROUP_V6, LLMNR_PORT, 0, interface.index);
            sockets.push((Arc::new(socket), group.into()));
        }
    }
    if sockets.is_empty() {
        return None;
    }
    let send = || async {
        for (socket, group) in &sockets {
            if let Err(error) = socket.send_to(&query, *group).await {
                tracing::debug!(%error, %group, "LLMNR query not sent");
            }
        }
    };
    let (mut datagrams, _readers) = read_all(sockets.iter().map(|(socket, _)| socket.clone()));
    let start = Instant::now();
    let deadline = start + timeout;
    send().await;
    let mut again = Some(start + timeout / 2);
    loop {
        tokio::select! {
            () = sleep_until(deadline) => return None,
            () = sleep_until(again.unwrap_or(deadline)), if again.is_some() => {
                send().await;
                again = None;
            }
            datagram = datagrams.recv() => {
                let (_, bytes) = datagram?;
                let Ok(response) = llmnr::decode_response(&bytes, id, name, TYPE_A) else {
                    continue;
                };
                if response.code != ResponseCode::NoError {
                    continue;
                }
                let found = response.addresses.iter().find_map(|found| match found.address {
                    IpAddr::V4(address) => Some((address, found.ttl)),
                    IpAddr::V6(_) => None,
                });
                if found.is_some() {
                    return found;
                }
            }
        }
    }
}
