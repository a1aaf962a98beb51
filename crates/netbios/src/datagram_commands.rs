//! The datagram commands (NCBDGSEND, NCBDGSENDBC, NCBDGRECV, NCBDGRECVBC) over the NetBIOS
//! datagram service.
//!
//! As in NetBIOS everywhere, a datagram is delivered only to receive commands pending when it
//! arrives; with none pending it is dropped. Each LANA has two endpoints on the datagram port:
//! one on its address (sends, and datagrams to us alone) and one on its broadcast address
//! (shared with the other nodes of the host, for group and broadcast datagrams).

use std::net::SocketAddrV4;
use std::sync::Arc;

use wnet_nbt::datagram::{DatagramFilter, DatagramReceiver, ReceivedDatagram};
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::lana::NetbiosConfig;
use crate::nb30::{ANY_NAME, nrc};
use crate::ncb::Ncb;
use crate::outcome::{Outcome, room};
use crate::state::{LanaState, scoped};

/// The largest datagram an NCB sends or receives (nb30.h's datagram limit).
const MAX_NCB_DATAGRAM: usize = 512;

/// The next datagram either endpoint's receiver gets.
async fn next(receivers: &mut [DatagramReceiver]) -> Option<ReceivedDatagram> {
    match receivers {
        [] => None,
        [only] => only.recv().await,
        [first, second, ..] => tokio::select! {
            datagram = first.recv() => datagram,
            datagram = second.recv() => datagram,
        },
    }
}

/// Our name numbered `num`, as a datagram's source.
fn source_name(config: &NetbiosConfig, state: &Arc<LanaState>, num: u8) -> Option<ScopedName> {
    let name = state
        .tables()
        .names
        .by_number(num)
        .map(|entry| entry.name)?;
    Some(scoped(config, name))
}

/// NCBDGSEND: a datagram from our name `ncb_num` to `ncb_callname` (a unique name is sent
/// to its owner, a group name or one nobody answers for is broadcast); NCBDGSENDBC: a
/// broadcast datagram from `ncb_num`.
pub(crate) async fn send_datagram(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
    broadcast: bool,
) -> Outcome {
    let data = request.data();
    if data.len() > MAX_NCB_DATAGRAM {
        return Outcome::code(nrc::NRC_BUFLEN);
    }
    let Some(source) = source_name(config, state, request.num) else {
        return Outcome::code(nrc::NRC_ILLNN);
    };
    let Ok(endpoints) = state.datagrams(config).await else {
        return Outcome::code(nrc::NRC_SYSTEM);
    };
    let sent = if broadcast {
        let everyone = ScopedName {
            name: NetbiosName::wildcard(),
            scope: source.scope.clone(),
        };
        endpoints
            .unicast
            .send_broadcast(&source, &everyone, data)
            .await
    } else {
        let destination = scoped(config, request.callname);
        let owners = match state.client(config).await {
            Ok(client) => client.resolve(&destination).await.ok(),
            Err(_) => None,
        };
        match owners {
            Some(answer) if !answer.addresses.iter().any(|found| found.group) => {
                let targets: Vec<SocketAddrV4> = answer
                    .addresses
                    .iter()
                    .map(|found| SocketAddrV4::new(found.address, config.datagram_port))
                    .collect();
                endpoints
                    .unicast
                    .send_unique(&source, &destination, data, &targets)
                    .await
            }
            _ => {
                endpoints
                    .unicast
                    .send_group(&source, &destination, data)
                    .await
            }
        }
    };
    match sent {
        Ok(()) => Outcome::code(nrc::NRC_GOODRET),
        Err(error) => {
            tracing::debug!(lana = state.lana.number, "datagram not sent: {error}");
            Outcome::code(nrc::NRC_SYSTEM)
        }
    }
}

/// NCBDGRECV: the next datagram to our name `ncb_num` (0xFF: to any of our names);
/// NCBDGRECVBC: the next broadcast datagram. The sender's name comes back in
/// `ncb_callname`; data beyond the buffer is lost (NRC_INCOMP).
pub(crate) async fn receive_datagram(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
    broadcast: bool,
) -> Outcome {
    let filter = if broadcast {
        DatagramFilter::Broadcast
    } else if request.num == ANY_NAME {
        DatagramFilter::AnyDirect
    } else {
        match state.tables().names.by_number(request.num) {
            Some(entry) => DatagramFilter::Name(NetbiosName::from_bytes(entry.name)),
            None => return Outcome::code(nrc::NRC_ILLNN),
        }
    };
    let Ok(endpoints) = state.datagrams(config).await else {
        return Outcome::code(nrc::NRC_SYSTEM);
    };
    let mut receivers = endpoints.subscribe(&filter);
    let room = room(request);
    loop {
        let Some(datagram) = next(&mut receivers).await else {
            return Outcome::code(nrc::NRC_SYSTEM);
        };
        if filter == DatagramFilter::AnyDirect
            && state
                .tables()
                .names
                .find(datagram.destination.name.as_bytes())
                .is_none()
        {
            continue;
        }
        let count = datagram.data.len().min(room);
        let code = if count < datagram.data.len() {
            nrc::NRC_INCOMP
        } else {
            nrc::NRC_GOODRET
        };
        let mut outcome = Outcome::data(code, datagram.data[..count].to_vec());
        outcome.callname = Some(*datagram.source.name.as_bytes());
        if request.num == ANY_NAME && !broadcast {
            outcome.num = state
                .tables()
                .names
                .find(datagram.destination.name.as_bytes())
                .map(|entry| entry.number);
        }
        return outcome;
    }
}
