//! The datagram commands (NCBDGSEND, NCBDGSENDBC, NCBDGRECV, NCBDGRECVBC) over the NetBIOS
//! datagram service.
//!
//! As in NetBIOS everywhere, a datagram is delivered only to receive commands pending when it
//! arrives; with none pending it is dropped. Each LANA has two endpoints on the datagram port:
//! one on its address (sends, and datagrams to us alone) and one on its broadcast address
//! (shared with the other nodes of the host, for group and broadcast datagrams).

use std::net::SocketAddrV4;
use std::sync::Arc;

use wnet_nbt::datagram::{
    DatagramConfig, DatagramEndpoint, DatagramFilter, DatagramReceiver, ReceivedDatagram,
};
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::engine::{Engine, LanaState, Outcome};
use crate::nb30::nrc;
use crate::ncb::Ncb;

/// The largest datagram an NCB sends or receives (nb30.h's datagram limit).
pub(crate) const MAX_NCB_DATAGRAM: usize = 512;
/// The name number that means "any of our names" to NCBDGRECV.
const ANY_NAME: u8 = 0xFF;

/// A LANA's datagram endpoints.
pub(crate) struct LanaDatagrams {
    unicast: DatagramEndpoint,
    broadcast: Option<DatagramEndpoint>,
}

impl LanaDatagrams {
    /// Receivers for `filter` on both endpoints.
    fn subscribe(&self, filter: &DatagramFilter) -> Vec<DatagramReceiver> {
        let mut receivers = vec![self.unicast.subscribe(filter.clone())];
        if let Some(broadcast) = &self.broadcast {
            receivers.push(broadcast.subscribe(filter.clone()));
        }
        receivers
    }
}

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

impl Engine {
    /// The LANA's datagram endpoints, started on first use.
    pub(crate) async fn datagrams(
        &self,
        state: &Arc<LanaState>,
    ) -> std::io::Result<Arc<LanaDatagrams>> {
        let endpoints = state
            .datagrams
            .get_or_try_init(|| async {
                let port = self.config.datagram_port;
                let broadcast = SocketAddrV4::new(state.lana.broadcast, port);
                let config = DatagramConfig {
                    source_ip: Some(state.lana.address),
                    broadcast_addresses: vec![broadcast],
                    remote_port: port,
                    scope: self.config.name_service.scope.clone(),
                    ..DatagramConfig::bound_to(state.lana.at(port))
                };
                let unicast = DatagramEndpoint::bind(config.clone()).await?;
                let broadcast = DatagramEndpoint::bind(DatagramConfig {
                    bind: broadcast,
                    ..config
                })
                .await
                .inspect_err(|error| {
                    tracing::warn!(
                        lana = state.lana.number,
                        "no datagram broadcasts on {broadcast}: {error}"
                    );
                })
                .ok();
                Ok::<_, std::io::Error>(Arc::new(LanaDatagrams { unicast, broadcast }))
            })
            .await?;
        Ok(Arc::clone(endpoints))
    }

    /// Our name numbered `num`, as a datagram's source.
    fn source_name(&self, state: &Arc<LanaState>, num: u8) -> Option<ScopedName> {
        let name = state
            .tables()
            .names
            .by_number(num)
            .map(|entry| entry.name)?;
        Some(self.scoped(name))
    }

    /// NCBDGSEND: a datagram from our name `ncb_num` to `ncb_callname` (a unique name is sent
    /// to its owner, a group name or one nobody answers for is broadcast); NCBDGSENDBC: a
    /// broadcast datagram from `ncb_num`.
    pub(crate) async fn send_datagram(
        &self,
        state: &Arc<LanaState>,
        request: &Ncb,
        broadcast: bool,
    ) -> Outcome {
        let data = request.data();
        if data.len() > MAX_NCB_DATAGRAM {
            return Outcome::code(nrc::NRC_BUFLEN);
        }
        let Some(source) = self.source_name(state, request.num) else {
            return Outcome::code(nrc::NRC_ILLNN);
        };
        let Ok(endpoints) = self.datagrams(state).await else {
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
            let destination = self.scoped(request.callname);
            let owners = match self.client(state).await {
                Ok(client) => client.resolve(&destination).await.ok(),
                Err(_) => None,
            };
            match owners {
                Some(answer) if !answer.addresses.iter().any(|found| found.group) => {
                    let targets: Vec<SocketAddrV4> = answer
                        .addresses
                        .iter()
                        .map(|found| SocketAddrV4::new(found.address, self.config.datagram_port))
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
        &self,
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
        let Ok(endpoints) = self.datagrams(state).await else {
            return Outcome::code(nrc::NRC_SYSTEM);
        };
        let mut receivers = endpoints.subscribe(&filter);
        let room = crate::engine::room(request);
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
}
