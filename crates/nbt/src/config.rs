//! Settings of the NetBIOS engines: node type, name servers, ports, broadcast addresses and
//! timers, with RFC 1002's values as defaults.
//!
//! The engines take these as plain values; reading them from the environment or a file is the
//! job of the layers above.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;
use std::time::Duration;

/// RFC 1002 §6: the UDP port of the name service.
pub const NAME_SERVICE_UDP_PORT: u16 = 137;
/// RFC 1002 §6: the UDP port of the datagram service.
pub const DATAGRAM_SERVICE_UDP_PORT: u16 = 138;
/// RFC 1002 §6: the TCP port of the session service.
pub const SESSION_SERVICE_TCP_PORT: u16 = 139;
/// RFC 1002 §6: the largest datagram a node sends.
pub const MAX_DATAGRAM_LENGTH: usize = 576;
/// RFC 1002 §6 BCAST_REQ_RETRY_TIMEOUT: wait between broadcast retransmissions.
pub const BCAST_REQ_RETRY_TIMEOUT: Duration = Duration::from_millis(250);
/// RFC 1002 §6 BCAST_REQ_RETRY_COUNT: broadcast transmissions after the first.
pub const BCAST_REQ_RETRY_COUNT: u32 = 3;
/// RFC 1002 §6 UCAST_REQ_RETRY_TIMEOUT: wait between unicast retransmissions.
pub const UCAST_REQ_RETRY_TIMEOUT: Duration = Duration::from_secs(5);
/// RFC 1002 §6 UCAST_REQ_RETRY_COUNT: unicast transmissions after the first.
pub const UCAST_REQ_RETRY_COUNT: u32 = 3;
/// RFC 1002 §6 CONFLICT_TIMER: how long a B node keeps answering for a name in conflict.
pub const CONFLICT_TIMER: Duration = Duration::from_secs(1);
/// The TTL a node asks for when it registers a name (RFC 1002 leaves it to the node; three
/// days is what Windows and Samba ask for).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3 * 24 * 60 * 60);
/// How long a resolved name is cached at most, as Windows' `CacheTimeout` default (600 s).
pub const DEFAULT_CACHE_TIMEOUT: Duration = Duration::from_secs(600);

/// How a node resolves and registers names (RFC 1001 §10; the M and H orders of RFC 1001 §10.2
/// and Microsoft's hybrid node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NodeType {
    /// Broadcast only.
    Broadcast,
    /// Point-to-point: name servers (WINS) only.
    PointToPoint,
    /// Mixed: broadcast first, then name servers.
    Mixed,
    /// Hybrid: name servers first, then broadcast. Windows' default when a WINS server is set.
    #[default]
    Hybrid,
}

impl NodeType {
    /// The ONT bits of this node type in NB_FLAGS (RFC 1002 §4.2.1.3): B 0, P 1, M 2, H 3
    /// (H is Microsoft's value, reserved in the RFC).
    pub fn owner_node_type(self) -> u8 {
        match self {
            NodeType::Broadcast => 0,
            NodeType::PointToPoint => 1,
            NodeType::Mixed => 2,
            NodeType::Hybrid => 3,
        }
    }

    /// The single-letter name nbtstat and nmblookup print (B, P, M, H).
    pub fn letter(self) -> char {
        match self {
            NodeType::Broadcast => 'B',
            NodeType::PointToPoint => 'P',
            NodeType::Mixed => 'M',
            NodeType::Hybrid => 'H',
        }
    }
}

impl fmt::Display for NodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// A node type that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a node type (B, P, M or H)")]
pub struct NodeTypeError(pub String);

impl FromStr for NodeType {
    type Err = NodeTypeError;

    fn from_str(text: &str) -> Result<NodeType, NodeTypeError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "b" | "b-node" | "broadcast" => Ok(NodeType::Broadcast),
            "p" | "p-node" | "point-to-point" | "peer" => Ok(NodeType::PointToPoint),
            "m" | "m-node" | "mixed" => Ok(NodeType::Mixed),
            "h" | "h-node" | "hybrid" => Ok(NodeType::Hybrid),
            _ => Err(NodeTypeError(text.to_owned())),
        }
    }
}

/// When to retransmit a request and how often (one for broadcast, one for unicast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retransmit {
    /// Wait between transmissions, and after the last one.
    pub interval: Duration,
    /// Transmissions after the first.
    pub retries: u32,
}

impl Retransmit {
    /// RFC 1002's broadcast timers: 250 ms, three retries.
    pub const BROADCAST: Retransmit = Retransmit {
        interval: BCAST_REQ_RETRY_TIMEOUT,
        retries: BCAST_REQ_RETRY_COUNT,
    };
    /// RFC 1002's unicast timers: 5 s, three retries.
    pub const UNICAST: Retransmit = Retransmit {
        interval: UCAST_REQ_RETRY_TIMEOUT,
        retries: UCAST_REQ_RETRY_COUNT,
    };

    /// The longest a request can take: every transmission's wait.
    pub fn total(self) -> Duration {
        self.interval.saturating_mul(self.retries.saturating_add(1))
    }
}

/// Settings of the name service engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServiceConfig {
    /// The node type, which decides between broadcast and name servers.
    pub node_type: NodeType,
    /// Name servers (WINS), asked in order.
    pub name_servers: Vec<SocketAddrV4>,
    /// Where broadcasts go. Empty means the broadcast address of every up IPv4 interface.
    pub broadcast_addresses: Vec<SocketAddrV4>,
    /// The NetBIOS scope ID (empty for none).
    pub scope: String,
    /// Broadcast retransmission.
    pub broadcast: Retransmit,
    /// Unicast retransmission.
    pub unicast: Retransmit,
    /// The TTL asked for when registering a name.
    pub registration_ttl: Duration,
    /// How long a resolved name stays in the cache at most, whatever TTL its answer carried
    /// (Windows' `CacheTimeout`, 600 s by default; name servers answer with TTLs of days).
    pub cache_timeout: Duration,
}

impl Default for NameServiceConfig {
    fn default() -> Self {
        NameServiceConfig {
            node_type: NodeType::default(),
            name_servers: Vec::new(),
            broadcast_addresses: Vec::new(),
            scope: String::new(),
            broadcast: Retransmit::BROADCAST,
            unicast: Retransmit::UNICAST,
            registration_ttl: DEFAULT_TTL,
            cache_timeout: DEFAULT_CACHE_TIMEOUT,
        }
    }
}

/// A setting in the environment that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct EnvError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

impl NameServiceConfig {
    /// The settings from the environment: `WNET_NODE_TYPE` (B, P, M or H),
    /// `WNET_WINS_SERVERS` and `WNET_BROADCAST_ADDRESSES` (comma-separated IPv4 addresses, to
    /// which `port` is added), `WNET_SCOPE_ID`. Unset or empty variables keep the defaults.
    pub fn from_env(port: u16) -> Result<NameServiceConfig, EnvError> {
        let mut config = NameServiceConfig::default();
        if let Some(node_type) = env_var("WNET_NODE_TYPE") {
            config.node_type = node_type.parse().map_err(|error: NodeTypeError| EnvError {
                variable: "WNET_NODE_TYPE",
                problem: error.to_string(),
            })?;
        }
        if let Some(servers) = env_var("WNET_WINS_SERVERS") {
            config.name_servers = env_addresses("WNET_WINS_SERVERS", &servers, port)?;
        }
        if let Some(broadcasts) = env_var("WNET_BROADCAST_ADDRESSES") {
            config.broadcast_addresses =
                env_addresses("WNET_BROADCAST_ADDRESSES", &broadcasts, port)?;
        }
        if let Some(scope) = env_var("WNET_SCOPE_ID") {
            config.scope = scope;
        }
        Ok(config)
    }
}

/// A variable's value, `None` when unset or blank: a private copy of `wnet_host::env_var`,
/// since this crate depends on no other wnet crate.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn env_addresses(
    variable: &'static str,
    value: &str,
    port: u16,
) -> Result<Vec<SocketAddrV4>, EnvError> {
    value
        .split(',')
        .map(|item| {
            item.trim()
                .parse::<Ipv4Addr>()
                .map(|address| SocketAddrV4::new(address, port))
                .map_err(|_| EnvError {
                    variable,
                    problem: format!("`{}` is not an IPv4 address", item.trim()),
                })
        })
        .collect()
}

/// `address` with the name service port.
pub fn name_service_address(address: Ipv4Addr) -> SocketAddrV4 {
    SocketAddrV4::new(address, NAME_SERVICE_UDP_PORT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_types_parse_in_every_spelling() {
        for (text, node_type) in [
            ("B", NodeType::Broadcast),
            ("p-node", NodeType::PointToPoint),
            ("Mixed", NodeType::Mixed),
            (" h ", NodeType::Hybrid),
        ] {
            assert_eq!(text.parse(), Ok(node_type));
        }
        assert_eq!("x".parse::<NodeType>(), Err(NodeTypeError("x".to_owned())));
        assert_eq!(NodeType::Hybrid.to_string(), "H");
        assert_eq!(NodeType::Mixed.owner_node_type(), 2);
    }

    #[test]
    fn rfc_timers_are_the_defaults() {
        let config = NameServiceConfig::default();
        assert_eq!(config.broadcast.total(), Duration::from_secs(1));
        assert_eq!(config.unicast.total(), Duration::from_secs(20));
        assert_eq!(config.registration_ttl.as_secs(), 259_200);
    }
}
