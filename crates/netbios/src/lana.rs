//! LANAs: the adapters NetBIOS runs on. Here, one per IPv4 subnet of an up interface that has
//! a broadcast address, plus loopback, so that programs on one machine can talk NetBIOS to each
//! other (and tests can run without a network).
//!
//! Numbering is stable for the life of the engine: LANAs are numbered from 0 in the order of
//! interface index, then address, and a LANA keeps its number when others come and go; the
//! loopback LANA comes after the interfaces present when the engine starts. Set
//! `WNET_NETBIOS_INTERFACES=lo` to run on loopback alone (it is then LANA 0).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use wnet_host::env_var;
use wnet_nbt::config::{
    DATAGRAM_SERVICE_UDP_PORT, EnvError, NAME_SERVICE_UDP_PORT, NameServiceConfig,
    SESSION_SERVICE_TCP_PORT,
};
use wnet_nbt::interfaces::{Ipv4Interface, ipv4_interfaces, mac_address};

/// The loopback LANA's broadcast address: every socket bound to it with SO_REUSEADDR hears
/// what is sent to it, as hosts on a LAN hear a broadcast.
pub const LOOPBACK_BROADCAST: Ipv4Addr = Ipv4Addr::new(127, 255, 255, 255);

/// Settings of the NCB engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetbiosConfig {
    /// Name resolution: node type, WINS servers, scope, timers.
    pub name_service: NameServiceConfig,
    /// The name service port (137).
    pub name_port: u16,
    /// The session service port (139).
    pub session_port: u16,
    /// The datagram service port (138).
    pub datagram_port: u16,
    /// Interfaces to make LANAs of, by name; `None` for every one (loopback included).
    pub interfaces: Option<Vec<String>>,
    /// The address of the loopback LANA (`None`: no loopback LANA). Several programs on one
    /// machine each take an address of their own in 127.0.0.0/8.
    pub loopback_address: Option<Ipv4Addr>,
    /// How long a session call waits for the TCP connection and the session response.
    pub call_timeout: Duration,
    /// How often an open session sends a keep-alive (`None`: never); an hour by default, as
    /// NetBT's `SessionKeepAlive`.
    pub session_keep_alive: Option<Duration>,
}

impl Default for NetbiosConfig {
    fn default() -> Self {
        NetbiosConfig {
            name_service: NameServiceConfig::default(),
            name_port: NAME_SERVICE_UDP_PORT,
            session_port: SESSION_SERVICE_TCP_PORT,
            datagram_port: DATAGRAM_SERVICE_UDP_PORT,
            interfaces: None,
            loopback_address: Some(Ipv4Addr::LOCALHOST),
            call_timeout: Duration::from_secs(10),
            session_keep_alive: Some(Duration::from_secs(60 * 60)),
        }
    }
}

impl NetbiosConfig {
    /// The settings from the environment: those of [`NameServiceConfig::from_env`], and
    /// `WNET_NBT_NAME_PORT`, `WNET_NBT_SESSION_PORT`, `WNET_NBT_DATAGRAM_PORT`,
    /// `WNET_NETBIOS_INTERFACES` (comma-separated interface names), `WNET_NETBIOS_LOOPBACK`
    /// (the loopback LANA's address, or `off`).
    pub fn from_env() -> Result<NetbiosConfig, EnvError> {
        let port = |variable: &'static str, default: u16| -> Result<u16, EnvError> {
            env_var(variable).map_or(Ok(default), |value| {
                value.trim().parse().map_err(|_| EnvError {
                    variable,
                    problem: format!("`{value}` is not a port number"),
                })
            })
        };
        let name_port = port("WNET_NBT_NAME_PORT", NAME_SERVICE_UDP_PORT)?;
        let mut config = NetbiosConfig {
            name_service: NameServiceConfig::from_env(name_port)?,
            name_port,
            session_port: port("WNET_NBT_SESSION_PORT", SESSION_SERVICE_TCP_PORT)?,
            datagram_port: port("WNET_NBT_DATAGRAM_PORT", DATAGRAM_SERVICE_UDP_PORT)?,
            ..NetbiosConfig::default()
        };
        if let Some(list) = env_var("WNET_NETBIOS_INTERFACES") {
            config.interfaces = Some(list.split(',').map(|name| name.trim().to_owned()).collect());
        }
        if let Some(loopback) = env_var("WNET_NETBIOS_LOOPBACK") {
            config.loopback_address = match loopback.trim() {
                "off" | "no" | "0" => None,
                text => {
                    let address: Ipv4Addr = text.parse().map_err(|_| EnvError {
                        variable: "WNET_NETBIOS_LOOPBACK",
                        problem: format!("`{text}` is neither `off` nor an IPv4 address"),
                    })?;
                    if !address.is_loopback() {
                        return Err(EnvError {
                            variable: "WNET_NETBIOS_LOOPBACK",
                            problem: format!("{address} is not in 127.0.0.0/8"),
                        });
                    }
                    Some(address)
                }
            };
        }
        Ok(config)
    }

    /// The defaults with one LANA only: loopback at `address` (LANA 0), with broadcast
    /// registration and resolution timers fast enough for one machine. For programs and tests
    /// that talk NetBIOS between processes of one host.
    pub fn loopback_only(address: Ipv4Addr) -> NetbiosConfig {
        let mut config = NetbiosConfig {
            interfaces: Some(vec!["lo".to_owned()]),
            loopback_address: Some(address),
            ..NetbiosConfig::default()
        };
        config.name_service.broadcast = wnet_nbt::config::Retransmit {
            interval: Duration::from_millis(50),
            retries: 2,
        };
        config
    }

    fn wants(&self, interface: &str) -> bool {
        self.interfaces
            .as_ref()
            .is_none_or(|names| names.iter().any(|name| name == interface))
    }
}

/// One LANA: an adapter address NetBIOS runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lana {
    /// Its number (`ncb_lana_num`).
    pub number: u8,
    /// The interface's name.
    pub interface: String,
    /// Our address on it.
    pub address: Ipv4Addr,
    /// Where its broadcasts go.
    pub broadcast: Ipv4Addr,
    /// The interface's MAC address (zeros on loopback).
    pub mac: [u8; 6],
    /// Whether this is the loopback LANA.
    pub loopback: bool,
}

impl Lana {
    /// The name-service socket address of this LANA for `port`.
    pub fn at(&self, port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(self.address, port)
    }
}

/// What a LANA is made of, before it has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Adapter {
    pub(crate) interface: String,
    pub(crate) address: Ipv4Addr,
    pub(crate) broadcast: Ipv4Addr,
    pub(crate) mac: [u8; 6],
    pub(crate) loopback: bool,
}

/// The adapters of this host under `config`: one per subnet of an up interface with a
/// broadcast address (the first address of each subnet, as Wine's NetBT does), then loopback.
pub(crate) fn adapters(config: &NetbiosConfig) -> io::Result<Vec<Adapter>> {
    let interfaces = ipv4_interfaces()?;
    Ok(adapters_of(config, &interfaces))
}

fn adapters_of(config: &NetbiosConfig, interfaces: &[Ipv4Interface]) -> Vec<Adapter> {
    let mut found: Vec<Adapter> = Vec::new();
    let mut subnets: Vec<(u32, u32)> = Vec::new();
    for interface in interfaces {
        if interface.loopback || !config.wants(&interface.name) {
            continue;
        }
        let Some(broadcast) = interface.broadcast else {
            continue;
        };
        let mask = u32::from(interface.netmask);
        let subnet = (u32::from(interface.address) & mask, mask);
        if subnets.contains(&subnet) {
            continue;
        }
        subnets.push(subnet);
        found.push(Adapter {
            interface: interface.name.clone(),
            address: interface.address,
            broadcast,
            mac: mac_address(&interface.name).unwrap_or([0; 6]),
            loopback: false,
        });
    }
    if let Some(address) = config.loopback_address {
        let loopback_name = interfaces
            .iter()
            .find(|interface| interface.loopback)
            .map_or_else(|| "lo".to_owned(), |interface| interface.name.clone());
        if config.wants(&loopback_name) {
            found.push(Adapter {
                interface: loopback_name,
                address,
                broadcast: LOOPBACK_BROADCAST,
                mac: [0; 6],
                loopback: true,
            });
        }
    }
    found
}

/// The LANAs of this host under `config`, numbered as a new engine numbers them.
pub fn current_lanas(config: &NetbiosConfig) -> io::Result<Vec<Lana>> {
    Ok(renumber(&[], adapters(config)?))
}

/// Numbers adapters, keeping the numbers of those already known (matched by interface and
/// address) and giving new ones the lowest free numbers. Adapters that vanished lose theirs.
pub(crate) fn renumber(known: &[Lana], adapters: Vec<Adapter>) -> Vec<Lana> {
    let mut lanas: Vec<Lana> = Vec::new();
    let mut fresh: Vec<Adapter> = Vec::new();
    for adapter in adapters {
        match known
            .iter()
            .find(|lana| lana.interface == adapter.interface && lana.address == adapter.address)
        {
            Some(lana) => lanas.push(Lana {
                broadcast: adapter.broadcast,
                mac: adapter.mac,
                ..lana.clone()
            }),
            None => fresh.push(adapter),
        }
    }
    for adapter in fresh {
        let Some(number) = (0..u8::MAX).find(|n| lanas.iter().all(|lana| lana.number != *n)) else {
            break;
        };
        lanas.push(Lana {
            number,
            interface: adapter.interface,
            address: adapter.address,
            broadcast: adapter.broadcast,
            mac: adapter.mac,
            loopback: adapter.loopback,
        });
    }
    lanas.sort_by_key(|lana| lana.number);
    lanas
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(name: &str, index: u32, address: [u8; 4], prefix: u32) -> Ipv4Interface {
        let netmask = Ipv4Addr::from(u32::MAX << (32 - prefix));
        let address = Ipv4Addr::from(address);
        Ipv4Interface {
            name: name.to_owned(),
            index: Some(index),
            address,
            netmask,
            broadcast: Some(Ipv4Addr::from(u32::from(address) | !u32::from(netmask))),
            loopback: name == "lo",
        }
    }

    fn host() -> Vec<Ipv4Interface> {
        vec![
            interface("lo", 1, [127, 0, 0, 1], 8),
            interface("eth0", 2, [198, 51, 100, 10], 24),
            interface("eth0", 2, [198, 51, 100, 11], 24),
            interface("wnl-host", 5, [198, 51, 100, 129], 26),
        ]
    }

    #[test]
    fn one_lana_per_subnet_then_loopback() {
        let lanas = renumber(&[], adapters_of(&NetbiosConfig::default(), &host()));
        let summary: Vec<(u8, &str, Ipv4Addr, Ipv4Addr)> = lanas
            .iter()
            .map(|l| (l.number, l.interface.as_str(), l.address, l.broadcast))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    0,
                    "eth0",
                    Ipv4Addr::new(198, 51, 100, 10),
                    Ipv4Addr::new(198, 51, 100, 255)
                ),
                (
                    1,
                    "wnl-host",
                    Ipv4Addr::new(198, 51, 100, 129),
                    Ipv4Addr::new(198, 51, 100, 191)
                ),
                (2, "lo", Ipv4Addr::LOCALHOST, LOOPBACK_BROADCAST),
            ]
        );
    }

    #[test]
    fn numbers_survive_adapters_coming_and_going() {
        let config = NetbiosConfig::default();
        let first = renumber(&[], adapters_of(&config, &host()));
        let mut fewer = host();
        fewer.remove(1);
        fewer.remove(1);
        let second = renumber(&first, adapters_of(&config, &fewer));
        let numbers: Vec<(u8, &str)> = second
            .iter()
            .map(|l| (l.number, l.interface.as_str()))
            .collect();
        assert_eq!(numbers, [(1, "wnl-host"), (2, "lo")]);
        let third = renumber(&second, adapters_of(&config, &host()));
        assert_eq!(third.len(), 3);
        assert_eq!(third[0].interface, "eth0");
        assert_eq!(third[0].number, 0);
    }

    #[test]
    fn the_interface_list_and_loopback_setting_choose_lanas() {
        let only_loopback = NetbiosConfig {
            interfaces: Some(vec!["lo".to_owned()]),
            loopback_address: Some(Ipv4Addr::new(127, 0, 0, 9)),
            ..NetbiosConfig::default()
        };
        let lanas = renumber(&[], adapters_of(&only_loopback, &host()));
        assert_eq!(lanas.len(), 1);
        assert_eq!(
            (lanas[0].number, lanas[0].address),
            (0, Ipv4Addr::new(127, 0, 0, 9))
        );
        let no_loopback = NetbiosConfig {
            loopback_address: None,
            ..NetbiosConfig::default()
        };
        assert!(
            adapters_of(&no_loopback, &host())
                .iter()
                .all(|adapter| !adapter.loopback)
        );
    }
}
