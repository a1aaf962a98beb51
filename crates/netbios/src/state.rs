//! The state every command works on: a LANA's tables, its session table and its lazily
//! started network engines (resolver, responder, session listener, datagram endpoints).
//!
//! The command modules and the dispatcher (`engine`) all build on this module; it imports
//! none of them.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OnceCell;
use wnet_nbt::datagram::{DatagramConfig, DatagramEndpoint, DatagramFilter, DatagramReceiver};
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::name_service::name_table::Registrar;
use wnet_nbt::name_service::responder::{Responder, ResponderConfig};
use wnet_nbt::session::{SessionConfig, SessionListener};
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::lana::{Lana, NetbiosConfig};
use crate::names::LocalNames;
use crate::session_table::Sessions;
use crate::sync::lock;

/// Sessions per LANA when NCBRESET asks for 0.
pub const DEFAULT_SESSIONS: u8 = 16;
/// Names per LANA when NCBRESET asks for 0.
pub const DEFAULT_NAMES: u8 = 8;
/// Pending commands per LANA when NCBRESET asks for 0.
pub const DEFAULT_COMMANDS: u8 = 16;
/// The most sessions, names or commands a LANA can have.
pub const MAX_RESOURCES: u8 = 254;

/// What NCBRESET set up on a LANA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sessions at most.
    pub sessions: u8,
    /// Pending commands at most.
    pub commands: u8,
    /// Names at most.
    pub names: u8,
}

/// The tables of one LANA.
#[derive(Debug)]
pub(crate) struct LanaTables {
    /// `None` until NCBRESET defines the environment.
    pub(crate) limits: Option<Limits>,
    pub(crate) names: LocalNames,
}

/// A LANA's datagram endpoints.
pub(crate) struct LanaDatagrams {
    pub(crate) unicast: DatagramEndpoint,
    pub(crate) broadcast: Option<DatagramEndpoint>,
}

impl LanaDatagrams {
    /// Receivers for `filter` on both endpoints.
    pub(crate) fn subscribe(&self, filter: &DatagramFilter) -> Vec<DatagramReceiver> {
        let mut receivers = vec![self.unicast.subscribe(filter.clone())];
        if let Some(broadcast) = &self.broadcast {
            receivers.push(broadcast.subscribe(filter.clone()));
        }
        receivers
    }
}

/// One LANA's state: its tables and its lazily started network engines.
pub(crate) struct LanaState {
    pub(crate) lana: Lana,
    tables: Mutex<LanaTables>,
    responder: OnceCell<Arc<Responder>>,
    client: OnceCell<Arc<NameServiceClient>>,
    pub(crate) sessions: Mutex<Sessions>,
    datagrams: OnceCell<Arc<LanaDatagrams>>,
}

impl LanaState {
    pub(crate) fn new(lana: Lana) -> LanaState {
        LanaState {
            lana,
            tables: Mutex::new(LanaTables {
                limits: None,
                names: LocalNames::new(0),
            }),
            responder: OnceCell::new(),
            client: OnceCell::new(),
            sessions: Mutex::new(Sessions::default()),
            datagrams: OnceCell::new(),
        }
    }

    pub(crate) fn tables(&self) -> MutexGuard<'_, LanaTables> {
        lock(&self.tables)
    }

    /// The LANA's responder if it has started.
    pub(crate) fn started_responder(&self) -> Option<&Arc<Responder>> {
        self.responder.get()
    }

    /// The address of the node called `callname`: a dotted IPv4 address written as the name
    /// (as Windows and Wine accept), else the name resolved on the LANA.
    pub(crate) async fn address_of(
        &self,
        config: &NetbiosConfig,
        callname: &[u8; 16],
    ) -> Option<Ipv4Addr> {
        let text = String::from_utf8_lossy(callname);
        if let Ok(address) = text.trim_end_matches([' ', '\0']).parse::<Ipv4Addr>() {
            return Some(address);
        }
        let client = self.client(config).await.ok()?;
        let answer = client.resolve(&scoped(config, *callname)).await.ok()?;
        answer.addresses.first().map(|found| found.address)
    }

    /// The LANA's resolver: broadcasts on the LANA's broadcast address, asks the configured
    /// name servers, from the LANA's address.
    pub(crate) async fn client(
        &self,
        config: &NetbiosConfig,
    ) -> io::Result<Arc<NameServiceClient>> {
        let client = self
            .client
            .get_or_try_init(|| async {
                tracing::debug!(lana = self.lana.number, "starting the LANA's resolver");
                let mut settings = config.name_service.clone();
                settings.broadcast_addresses =
                    vec![SocketAddrV4::new(self.lana.broadcast, config.name_port)];
                NameServiceClient::bind(settings, SocketAddrV4::new(self.lana.address, 0))
                    .await
                    .map(Arc::new)
                    .inspect_err(|error| {
                        tracing::error!(lana = self.lana.number, "resolver cannot start: {error}");
                    })
            })
            .await?;
        Ok(Arc::clone(client))
    }

    /// The LANA's responder, started on first use: it answers on the LANA's address and
    /// hears its broadcasts, and registers by broadcast or with the first name server.
    pub(crate) async fn responder(&self, config: &NetbiosConfig) -> io::Result<Arc<Responder>> {
        let responder = self
            .responder
            .get_or_try_init(|| async {
                let settings = &config.name_service;
                let port = config.name_port;
                let broadcast = SocketAddrV4::new(self.lana.broadcast, port);
                let (registrar, node_type) = Registrar::for_settings(settings);
                Responder::start(ResponderConfig {
                    registrar,
                    broadcasts: vec![broadcast],
                    scope: settings.scope.clone(),
                    node_type,
                    ttl: settings.registration_ttl,
                    mac: self.lana.mac,
                    capacity: usize::from(MAX_RESOURCES),
                    broadcast_bind: Some(broadcast),
                    ..ResponderConfig::new(self.lana.at(port), self.lana.address)
                })
                .await
                .map(Arc::new)
            })
            .await?;
        Ok(Arc::clone(responder))
    }

    /// The LANA's session listener, started on first use at the LANA's address.
    pub(crate) async fn listener(
        &self,
        config: &NetbiosConfig,
    ) -> io::Result<Arc<SessionListener>> {
        if let Some(listener) = lock(&self.sessions).listener.clone() {
            return Ok(listener);
        }
        let bound =
            SessionListener::bind(self.lana.at(config.session_port), session_config(config))
                .await?;
        let mut sessions = lock(&self.sessions);
        Ok(Arc::clone(sessions.listener.get_or_insert(Arc::new(bound))))
    }

    /// The LANA's datagram endpoints, started on first use.
    pub(crate) async fn datagrams(&self, config: &NetbiosConfig) -> io::Result<Arc<LanaDatagrams>> {
        let endpoints = self
            .datagrams
            .get_or_try_init(|| async {
                let port = config.datagram_port;
                let broadcast = SocketAddrV4::new(self.lana.broadcast, port);
                let settings = DatagramConfig {
                    source_ip: Some(self.lana.address),
                    broadcast_addresses: vec![broadcast],
                    remote_port: port,
                    scope: config.name_service.scope.clone(),
                    ..DatagramConfig::bound_to(self.lana.at(port))
                };
                let unicast = DatagramEndpoint::bind(settings.clone()).await?;
                let broadcast = DatagramEndpoint::bind(DatagramConfig {
                    bind: broadcast,
                    ..settings
                })
                .await
                .inspect_err(|error| {
                    tracing::warn!(
                        lana = self.lana.number,
                        "no datagram broadcasts on {broadcast}: {error}"
                    );
                })
                .ok();
                Ok::<_, io::Error>(Arc::new(LanaDatagrams { unicast, broadcast }))
            })
            .await?;
        Ok(Arc::clone(endpoints))
    }
}

/// `name` in the configured scope.
pub(crate) fn scoped(config: &NetbiosConfig, name: [u8; 16]) -> ScopedName {
    ScopedName {
        name: NetbiosName::from_bytes(name),
        scope: config.name_service.scope.clone(),
    }
}

/// The session service settings of `config`.
pub(crate) fn session_config(config: &NetbiosConfig) -> SessionConfig {
    SessionConfig {
        port: config.session_port,
        connect_timeout: config.call_timeout,
        ..SessionConfig::default()
    }
}
