//! Browsing without SMB1: workgroups and servers found through the NetBIOS name service.
//!
//! - Workgroups: the group names (`<00>`, `<1E>`) and master-browser names (`<1D>`) in the
//!   node status of every local master browser that answers a broadcast for
//!   `\x01\x02__MSBROWSE__\x02<01>`, and of every configured WINS server (the API adds this
//!   machine's workgroup, [`local_workgroup`]).
//! - Servers of a workgroup or domain: every node that answers for the group `NAME<00>`, the
//!   domain controllers' group `NAME<1C>` or the domain master browser `NAME<1B>` (by
//!   broadcast and through WINS), named by the unique `<20>` name of its node status.
//!
//! [`discover_neighbourhood`] runs a cold round of every source at once (NetBIOS here,
//! WS-Discovery and mDNS over the interfaces [`crate::multicast`] chooses) and merges what
//! they find into one [`Neighbourhood`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, NameServiceConfig, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, QueryOptions, interface_broadcasts};
use wnet_nbt::wire::{NetbiosName, NodeName};

use crate::dns::mdns_client::{MdnsClient, MdnsServer};
use crate::error::{Cause, NameQueryFailure, WinError, codes};
use crate::multicast::{InterfaceSelection, multicast_interfaces};
use crate::neighbourhood::{Neighbourhood, Sighting, Source};
use crate::wsd::client::{WsdClient, WsdComputer};
use crate::wsd::metadata::Membership;

/// The name of the local master browsers' group, `\x01\x02__MSBROWSE__\x02<01>` (its bytes:
/// [`NetbiosName::new`] refuses the control characters a name typed by a user may not hold).
const MSBROWSE: [u8; 16] = *b"\x01\x02__MSBROWSE__\x02\x01";

/// The workgroup this machine is in: `$WNET_WORKGROUP`, else `WORKGROUP` as on Windows.
pub fn local_workgroup() -> String {
    std::env::var("WNET_WORKGROUP")
        .ok()
        .map(|name| name.trim().to_ascii_uppercase())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "WORKGROUP".to_owned())
}

/// A server found by browsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsedServer {
    /// Its NetBIOS name (the `<20>` name).
    pub name: String,
    /// Its address.
    pub address: Ipv4Addr,
}

/// A NetBIOS browser over one name-service socket.
#[derive(Debug)]
pub struct Browser {
    client: NameServiceClient,
    /// Timers for broadcast queries and node status, where a round of discovery wants
    /// shorter ones than RFC 1002's (see [`ROUND_TIMERS`]); `None`: the configuration's.
    timers: Option<RoundTimers>,
}

/// The timers of a round of discovery's NetBIOS queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundTimers {
    /// A broadcast group query: every answer within the whole plan is collected.
    pub broadcast: Retransmit,
    /// Node status of a node that answered a query a moment ago, and queries to WINS.
    pub unicast: Retransmit,
}

/// A round's timers: a group query is sent twice 200 ms apart and answers collected for
/// 400 ms (nmblookup collects for about 300 ms after one send); node status of a node that
/// just answered is asked three times 250 ms apart, not RFC 1002's 5 s apart, so that a
/// lost datagram costs a quarter of a second, not five. The agent's later rounds make up
/// for a node missed.
pub const ROUND_TIMERS: RoundTimers = RoundTimers {
    broadcast: Retransmit {
        interval: Duration::from_millis(200),
        retries: 1,
    },
    unicast: Retransmit {
        interval: Duration::from_millis(250),
        retries: 2,
    },
};

/// ERROR_NO_NETWORK: the name service cannot be used at all.
fn no_network(detail: String) -> WinError {
    let failure = NameQueryFailure::Network;
    WinError::with_cause(
        codes::ERROR_NO_NETWORK,
        Cause::NameQuery { failure, detail },
    )
}

impl Browser {
    /// A browser with the name-service settings of the environment.
    pub async fn from_env() -> Result<Browser, WinError> {
        let config = NameServiceConfig::from_env(NAME_SERVICE_UDP_PORT).map_err(|error| {
            WinError::with_cause(
                codes::ERROR_INVALID_PARAMETER,
                Cause::Setting(error.to_string()),
            )
        })?;
        let client = NameServiceClient::bind(config, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
            .await
            .map_err(|error| no_network(format!("name service socket: {error}")))?;
        Ok(Browser {
            client,
            timers: None,
        })
    }

    /// The same browser on a round of discovery's timers ([`ROUND_TIMERS`]).
    #[must_use]
    pub fn with_round_timers(mut self) -> Browser {
        self.timers = Some(ROUND_TIMERS);
        self
    }

    fn broadcast_timers(&self) -> Retransmit {
        self.timers
            .map_or(self.client.config().broadcast, |timers| timers.broadcast)
    }

    fn unicast_timers(&self) -> Retransmit {
        self.timers
            .map_or(self.client.config().unicast, |timers| timers.unicast)
    }

    fn broadcasts(&self) -> Vec<SocketAddrV4> {
        let configured = &self.client.config().broadcast_addresses;
        if configured.is_empty() {
            interface_broadcasts().unwrap_or_default()
        } else {
            configured.clone()
        }
    }

    /// Every address that answers for `name`, by broadcast and through the name servers.
    async fn responders(&self, name: NetbiosName) -> Vec<Ipv4Addr> {
        let config = self.client.config();
        let scoped = self.client.scoped(name);
        let mut found = Vec::new();
        let plans = [
            (self.broadcasts(), true, false, self.broadcast_timers()),
            (
                config.name_servers.clone(),
                false,
                true,
                self.unicast_timers(),
            ),
        ];
        for (targets, broadcast, recursion, retransmit) in plans {
            if targets.is_empty() {
                continue;
            }
            let options = QueryOptions {
                targets,
                broadcast,
                recursion,
                retransmit,
                collect_all: true,
            };
            if let Ok(answer) = self.client.query(&scoped, &options).await {
                for address in answer.addresses {
                    if !address.address.is_broadcast() && !found.contains(&address.address) {
                        found.push(address.address);
                    }
                }
            }
        }
        found
    }

    /// The name table of the node at `address`.
    pub async fn node_names(&self, address: Ipv4Addr) -> Vec<NodeName> {
        self.node_names_with(address, self.unicast_timers()).await
    }

    /// The name table of the node at `address`, asked on `retransmit`'s timers: shorter
    /// ones than RFC 1002's 20 s for a node known to be up, which answers at once if it
    /// runs a name service.
    pub async fn node_names_with(
        &self,
        address: Ipv4Addr,
        retransmit: Retransmit,
    ) -> Vec<NodeName> {
        let target = SocketAddrV4::new(address, NAME_SERVICE_UDP_PORT);
        self.client
            .node_status(target, retransmit)
            .await
            .map(|answer| answer.names)
            .unwrap_or_default()
    }

    /// The workgroups and domains the name service shows: the group names of every local
    /// master browser and WINS server, sorted.
    pub async fn workgroups(&self) -> Vec<String> {
        let mut workgroups = Vec::new();
        let mut nodes = self.responders(NetbiosName::from_bytes(MSBROWSE)).await;
        for server in &self.client.config().name_servers {
            if !nodes.contains(server.ip()) {
                nodes.push(*server.ip());
            }
        }
        for node in nodes {
            for entry in self.node_names(node).await {
                let suffix = entry.name.suffix();
                let is_workgroup_name = (entry.is_group() && matches!(suffix, 0x00 | 0x1E))
                    || (!entry.is_group() && suffix == 0x1D);
                let name = entry.name.name().trim_end().to_owned();
                if is_workgroup_name && !name.starts_with('\u{1}') && !workgroups.contains(&name) {
                    workgroups.push(name);
                }
            }
        }
        workgroups.sort();
        workgroups
    }

    /// The servers of `workgroup`, sorted by name.
    pub async fn servers(&self, workgroup: &str) -> Result<Vec<BrowsedServer>, WinError> {
        let name = |suffix| {
            NetbiosName::new(workgroup, suffix).map_err(|error| {
                WinError::with_cause(codes::ERROR_BAD_NET_NAME, Cause::Other(error.to_string()))
            })
        };
        // The group's members, its domain controllers and its domain master browser, asked at
        // once: each query waits out its timers to collect every answer.
        let (members, controllers, master) = tokio::join!(
            self.responders(name(0x00)?),
            self.responders(name(0x1C)?),
            self.responders(name(0x1B)?),
        );
        let mut addresses = members;
        for address in controllers.into_iter().chain(master) {
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        let mut servers = BTreeMap::new();
        for address in addresses {
            let names = self.node_names(address).await;
            if let Some(server) = names
                .iter()
                .find(|entry| !entry.is_group() && entry.name.suffix() == 0x20)
            {
                servers.insert(
                    server.name.name().trim_end().to_owned(),
                    BrowsedServer {
                        name: server.name.name().trim_end().to_owned(),
                        address,
                    },
                );
            }
        }
        Ok(servers.into_values().collect())
    }

    /// The workgroup of the server at `address` (its `<00>` group name).
    pub async fn workgroup_of(&self, address: Ipv4Addr) -> Option<String> {
        self.node_names(address)
            .await
            .into_iter()
            .find(|entry| entry.is_group() && entry.name.suffix() == 0x00)
            .map(|entry| entry.name.name().trim_end().to_owned())
    }

    /// The address of `server` through the name service (its `<20>` name).
    pub async fn resolve(&self, server: &str) -> Option<Ipv4Addr> {
        let name = NetbiosName::new(server, 0x20).ok()?;
        let answer = self.client.resolve(&self.client.scoped(name)).await.ok()?;
        answer.addresses.first().map(|found| found.address)
    }
}

/// What a round of discovery looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryScope<'a> {
    /// The workgroups and domains (`net view /domain`).
    Workgroups,
    /// The servers of one workgroup or domain (`net view`, `net view /domain:NAME`).
    ServersOf(&'a str),
    /// Everything: the workgroups and every workgroup's servers (the agent's rounds).
    Everything,
}

/// How long a cold round listens for WS-Discovery and mDNS answers. WSD responders wait up to
/// APP_MAX_DELAY (500 ms) before they answer, and a computer needs a Resolve and a metadata Get
/// after that; mDNS responders answer within 120 ms.
pub const DISCOVERY_WINDOW: Duration = Duration::from_millis(1500);

/// The most workgroups whose servers a round of [`DiscoveryScope::Everything`] asks NetBIOS
/// for (each costs a broadcast query and node status of every member).
pub const MAX_BROWSED_WORKGROUPS: usize = 16;

/// When a multicast source's part of a cold round is over: no sooner than `least` after it
/// began (responders may wait before they answer), then as soon as nothing new has come for
/// `quiet`, and at the latest after [`DISCOVERY_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settling {
    /// The least a round listens.
    pub least: Duration,
    /// How long a round listens past its last news.
    pub quiet: Duration,
}

/// mDNS responders answer a shared record within 20–120 ms (RFC 6762 §6) and unique ones at
/// once; the engine's follow-up SRV and address queries are answered at once too.
pub const MDNS_SETTLING: Settling = Settling {
    least: Duration::from_millis(300),
    quiet: Duration::from_millis(150),
};

/// WS-Discovery responders (Windows) wait up to APP_MAX_DELAY (500 ms) before they answer a
/// Probe; a computer then needs a Resolve and a metadata Get, both answered at once.
pub const WSD_SETTLING: Settling = Settling {
    least: Duration::from_millis(600),
    quiet: Duration::from_millis(200),
};

/// One cold round of discovery through every source at once, merged. The NetBIOS part needs
/// the name service (ERROR_NO_NETWORK when it cannot be used); WS-Discovery and mDNS are
/// skipped where no interface is chosen for multicast.
pub async fn discover_neighbourhood(scope: DiscoveryScope<'_>) -> Result<Neighbourhood, WinError> {
    let browser = Arc::new(Browser::from_env().await?.with_round_timers());
    let interfaces =
        multicast_interfaces(&InterfaceSelection::from_env()?).unwrap_or_else(|error| {
            tracing::debug!(%error, "no interfaces for multicast discovery");
            Vec::new()
        });
    let wsd = WsdClient::new(interfaces.clone());
    let mdns = MdnsClient::new(interfaces);
    // Each engine returns at once where it has no interface.
    let (mut view, computers, mdns_servers) = tokio::join!(
        nbns_round(&browser, scope),
        settled(|found| wsd.discover(DISCOVERY_WINDOW, found), WSD_SETTLING),
        async {
            if scope == DiscoveryScope::Workgroups {
                return Vec::new();
            }
            settled(|found| mdns.browse(DISCOVERY_WINDOW, found), MDNS_SETTLING).await
        }
    );
    for computer in &computers {
        if let Some(workgroup) = wsd_workgroup(computer) {
            view.observe_workgroup(workgroup, Source::Wsd);
        }
        if let Some(sighting) = wsd_sighting(computer) {
            view.observe(sighting);
        }
    }
    for server in &mdns_servers {
        if let Some(sighting) = mdns_sighting(server) {
            view.observe(sighting);
        }
    }
    Ok(view)
}

/// The workgroup or domain a WS-Discovery computer's metadata names.
pub fn wsd_workgroup(computer: &WsdComputer) -> Option<&str> {
    match computer.membership.as_ref()? {
        Membership::Workgroup(name) | Membership::Domain(name) => Some(name),
        Membership::Unknown => None,
    }
}

/// A WS-Discovery computer as the neighbourhood sees it: named by its metadata, at its first
/// IPv4 address, in the workgroup or domain it names, known by its endpoint; `None` without
/// a name (its metadata could not be read) or an IPv4 address.
pub fn wsd_sighting(computer: &WsdComputer) -> Option<Sighting> {
    let name = computer.name.clone().filter(|name| !name.is_empty())?;
    let address = first_ipv4(&computer.addresses)?;
    Some(Sighting {
        name,
        address,
        workgroup: wsd_workgroup(computer).map(str::to_owned),
        source: Source::Wsd,
        identity: Some(computer.endpoint.clone()),
    })
}

/// What `engine` sends on the channel it is given until its part of the round settles (see
/// [`Settling`]); the engine is dropped then, or when it is done.
async fn settled<T, Engine>(
    engine: impl FnOnce(tokio::sync::mpsc::Sender<T>) -> Engine,
    settling: Settling,
) -> Vec<T>
where
    Engine: std::future::Future<Output = ()>,
{
    let (found, mut heard) = tokio::sync::mpsc::channel(64);
    let engine = engine(found);
    let start = tokio::time::Instant::now();
    let mut items = Vec::new();
    let mut last_news = start;
    let mut engine_done = false;
    tokio::pin!(engine);
    loop {
        let over = (start + settling.least)
            .max(last_news + settling.quiet)
            .min(start + DISCOVERY_WINDOW);
        tokio::select! {
            () = &mut engine, if !engine_done => engine_done = true,
            item = heard.recv() => match item {
                Some(item) => {
                    items.push(item);
                    last_news = tokio::time::Instant::now();
                }
                None => break,
            },
            () = tokio::time::sleep_until(over) => break,
        }
    }
    items
}

/// The first IPv4 address among `addresses`: SMB is reached over IPv4 here.
fn first_ipv4(addresses: &[std::net::IpAddr]) -> Option<Ipv4Addr> {
    addresses.iter().find_map(|address| match address {
        std::net::IpAddr::V4(v4) => Some(*v4),
        std::net::IpAddr::V6(_) => None,
    })
}

/// An mDNS SMB service as the neighbourhood sees it: named by its host (`NAS.local` shows as
/// `NAS`), at its first IPv4 address, known by its instance name; `None` without an IPv4
/// address (SMB is reached over IPv4 here).
pub fn mdns_sighting(server: &MdnsServer) -> Option<Sighting> {
    let address = first_ipv4(&server.addresses)?;
    let name = if server.host.is_empty() {
        server.instance.clone()
    } else {
        server.host.clone()
    };
    Some(Sighting {
        name,
        address,
        workgroup: None,
        source: Source::Mdns,
        identity: Some(server.instance.clone()),
    })
}

/// What NetBIOS browsing finds for `scope`.
async fn nbns_round(browser: &Arc<Browser>, scope: DiscoveryScope<'_>) -> Neighbourhood {
    let mut view = Neighbourhood::new();
    let local = local_workgroup();
    let (workgroups, local_servers) = match scope {
        DiscoveryScope::ServersOf(workgroup) => (vec![workgroup.to_owned()], None),
        DiscoveryScope::Workgroups => (browser.workgroups().await, None),
        // This machine's workgroup is browsed at once, even before a master browser serves it,
        // while the others are being found.
        DiscoveryScope::Everything => {
            let (found, servers) = tokio::join!(browser.workgroups(), browser.servers(&local));
            (found, Some(servers.unwrap_or_default()))
        }
    };
    // An asked workgroup is known only if its servers answer (their sightings say so).
    if !matches!(scope, DiscoveryScope::ServersOf(_)) {
        for workgroup in &workgroups {
            view.observe_workgroup(workgroup, Source::Nbns);
        }
    }
    if scope == DiscoveryScope::Workgroups {
        return view;
    }
    let workgroups: Vec<String> = match &local_servers {
        Some(_) => workgroups
            .into_iter()
            .filter(|name| *name != local)
            .collect(),
        None => workgroups,
    };
    for server in local_servers.into_iter().flatten() {
        view.observe(Sighting {
            name: server.name,
            address: server.address,
            workgroup: Some(local.clone()),
            source: Source::Nbns,
            identity: None,
        });
    }
    let mut rounds = tokio::task::JoinSet::new();
    for workgroup in workgroups.into_iter().take(MAX_BROWSED_WORKGROUPS) {
        let browser = Arc::clone(browser);
        rounds.spawn(async move {
            let servers = browser.servers(&workgroup).await.unwrap_or_default();
            (workgroup, servers)
        });
    }
    while let Some(Ok((workgroup, servers))) = rounds.join_next().await {
        for server in servers {
            view.observe(Sighting {
                name: server.name,
                address: server.address,
                workgroup: Some(workgroup.clone()),
                source: Source::Nbns,
                identity: None,
            });
        }
    }
    view
}
