//! A small DNS client for what browsing a domain needs: SRV records (`_ldap._tcp.dc._msdcs.`
//! names) and the A records of their targets, asked of the configured DNS servers only.
//!
//! `wire` is the sans-IO codec; [`DnsClient`] sends each query over UDP (and again over TCP
//! when the answer was truncated), bounded in attempts and time. The servers and the search
//! list come from `resolv.conf` (`$WNET_RESOLV_CONF`, else `/etc/resolv.conf`), the servers
//! from `$WNET_DNS_SERVERS` instead when it is set.

pub mod llmnr;
pub mod llmnr_client;
pub mod mdns;
pub mod mdns_client;
pub mod wire;

use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};
use wnet_host::env_var;

use crate::error::{Cause, WinError, codes};
use wire::{DnsError, RecordData, Response, ResponseCode, TYPE_A, TYPE_SRV};

/// The DNS port.
pub const DNS_PORT: u16 = 53;
/// How long one attempt waits for an answer by default (resolv.conf's default `timeout:5`
/// is long for browsing, which asks several names).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times a query is sent to each server by default.
pub const DEFAULT_ATTEMPTS: u32 = 2;
/// The largest datagram read (EDNS is not offered, so 512 would do; be lenient).
const MAX_UDP: usize = 4096;
/// The most servers asked, as resolv.conf's MAXNS.
const MAX_SERVERS: usize = 3;
/// The most search domains kept, as glibc's MAXDNSRCH.
const MAX_SEARCH: usize = 6;
/// The most SRV targets whose addresses are looked up.
const MAX_TARGETS: usize = 16;

/// Where DNS queries go and which domains the host is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// The servers, asked in order.
    pub servers: Vec<SocketAddr>,
    /// The search list (`domain` or `search` of resolv.conf), lower-case, without dots at
    /// the ends.
    pub search: Vec<String>,
    /// How long one attempt waits.
    pub timeout: Duration,
    /// How many times each server is asked.
    pub attempts: u32,
}

impl DnsConfig {
    /// The configuration of `resolv.conf` (`$WNET_RESOLV_CONF`, else `/etc/resolv.conf`),
    /// with `$WNET_DNS_SERVERS` (comma-separated addresses, each with an optional `:port`
    /// for IPv4) in place of its servers when set.
    pub fn from_env() -> Result<DnsConfig, WinError> {
        let path = env_var("WNET_RESOLV_CONF").unwrap_or_else(|| "/etc/resolv.conf".to_owned());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut config = DnsConfig::parse_resolv_conf(&text);
        if let Some(servers) = env_var("WNET_DNS_SERVERS") {
            config.servers = parse_servers(&servers)?;
        }
        Ok(config)
    }

    /// The `nameserver`, `domain`, `search` and `options timeout:N attempts:N` lines of a
    /// resolv.conf; the last `domain` or `search` line wins, as in glibc.
    pub fn parse_resolv_conf(text: &str) -> DnsConfig {
        let mut config = DnsConfig {
            servers: Vec::new(),
            search: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
        };
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            match fields.next() {
                Some("nameserver") => {
                    if let Some(address) = fields.next().and_then(|text| text.parse().ok())
                        && config.servers.len() < MAX_SERVERS
                    {
                        config.servers.push(SocketAddr::new(address, DNS_PORT));
                    }
                }
                Some("domain" | "search") => {
                    config.search = fields.filter_map(normal_domain).take(MAX_SEARCH).collect();
                }
                Some("options") => {
                    for option in fields {
                        if let Some(seconds) = option.strip_prefix("timeout:")
                            && let Ok(seconds) = seconds.parse::<u64>()
                        {
                            config.timeout = Duration::from_secs(seconds.clamp(1, 30));
                        } else if let Some(count) = option.strip_prefix("attempts:")
                            && let Ok(count) = count.parse::<u32>()
                        {
                            config.attempts = count.clamp(1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        config
    }
}

/// A domain name lower-cased without dots at its ends, or None if empty.
pub(crate) fn normal_domain(name: &str) -> Option<String> {
    let name = name.trim().trim_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

fn parse_servers(text: &str) -> Result<Vec<SocketAddr>, WinError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpAddr>()
                .map(|address| SocketAddr::new(address, DNS_PORT))
                .or_else(|_| entry.parse::<SocketAddr>())
                .map_err(|_| {
                    WinError::with_cause(
                        codes::ERROR_INVALID_PARAMETER,
                        Cause::Setting(format!("WNET_DNS_SERVERS: bad address {entry:?}")),
                    )
                })
        })
        .collect()
}

/// Why a query got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum DnsQueryError {
    /// No DNS server is configured.
    #[error("no DNS server is configured")]
    NoServers,
    /// The name cannot be asked.
    #[error(transparent)]
    Name(DnsError),
    /// No server answered in time.
    #[error("no DNS server answered for {name}")]
    Timeout {
        /// The name asked.
        name: String,
    },
    /// A server answered with an error code other than NXDOMAIN.
    #[error("DNS server refused {name}: RCODE {code}")]
    Refused {
        /// The name asked.
        name: String,
        /// The RCODE.
        code: u8,
    },
    /// The last answer was malformed.
    #[error("malformed DNS answer for {name}: {error}")]
    Malformed {
        /// The name asked.
        name: String,
        /// What was wrong.
        error: DnsError,
    },
}

/// A service's host found by SRV, with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHost {
    /// The host's name (the SRV target), lower-case, without the trailing dot.
    pub host: String,
    /// The service's port.
    pub port: u16,
    /// Its IPv4 addresses (from the additional section, else asked).
    pub addresses: Vec<Ipv4Addr>,
}

/// Sends queries to the configured servers.
#[derive(Debug, Clone)]
pub struct DnsClient {
    config: DnsConfig,
}

impl DnsClient {
    /// A client with `config`.
    pub fn new(config: DnsConfig) -> DnsClient {
        DnsClient { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &DnsConfig {
        &self.config
    }

    /// The answer to `name` of `record_type` from the first server that gives one; an
    /// NXDOMAIN answer is an answer (with no records).
    pub async fn query(&self, name: &str, record_type: u16) -> Result<Response, DnsQueryError> {
        if self.config.servers.is_empty() {
            return Err(DnsQueryError::NoServers);
        }
        let mut last = DnsQueryError::Timeout {
            name: name.to_owned(),
        };
        for _ in 0..self.config.attempts.max(1) {
            for server in &self.config.servers {
                let id = query_id();
                let query =
                    wire::encode_query(id, name, record_type).map_err(DnsQueryError::Name)?;
                let answer = match udp_exchange(*server, &query, id, self.config.timeout).await {
                    Some(Ok(response)) if response.truncated => {
                        tcp_exchange(*server, &query, id, self.config.timeout).await
                    }
                    other => other,
                };
                match answer {
                    Some(Ok(response)) => match response.code {
                        ResponseCode::NoError | ResponseCode::NameError => return Ok(response),
                        ResponseCode::Other(code) => {
                            last = DnsQueryError::Refused {
                                name: name.to_owned(),
                                code,
                            };
                        }
                    },
                    Some(Err(error)) => {
                        last = DnsQueryError::Malformed {
                            name: name.to_owned(),
                            error,
                        };
                    }
                    None => {}
                }
            }
        }
        Err(last)
    }

    /// The hosts of the SRV records of `name`, by priority then weight (heaviest first),
    /// with their IPv4 addresses.
    pub async fn service_hosts(&self, name: &str) -> Result<Vec<ServiceHost>, DnsQueryError> {
        let response = self.query(name, TYPE_SRV).await?;
        let mut records: Vec<_> = response
            .answers
            .iter()
            .filter_map(|record| match &record.data {
                RecordData::Srv(srv) if srv.target != "." => Some(srv.clone()),
                _ => None,
            })
            .collect();
        records.sort_by_key(|srv| (srv.priority, std::cmp::Reverse(srv.weight)));
        let mut hosts: Vec<ServiceHost> = Vec::new();
        for srv in records.into_iter().take(MAX_TARGETS) {
            if hosts.iter().any(|host| host.host == srv.target) {
                continue;
            }
            let mut addresses: Vec<Ipv4Addr> = response
                .additional
                .iter()
                .filter(|record| record.name == srv.target)
                .filter_map(|record| match record.data {
                    RecordData::A(address) => Some(address),
                    _ => None,
                })
                .collect();
            if addresses.is_empty() {
                addresses = self.addresses(&srv.target).await;
            }
            hosts.push(ServiceHost {
                host: srv.target,
                port: srv.port,
                addresses,
            });
        }
        Ok(hosts)
    }

    /// The IPv4 addresses of `host` (its A records, CNAMEs not followed), empty if none.
    pub async fn addresses(&self, host: &str) -> Vec<Ipv4Addr> {
        let Ok(response) = self.query(host, TYPE_A).await else {
            return Vec::new();
        };
        let mut addresses = Vec::new();
        for record in &response.answers {
            if let RecordData::A(address) = record.data
                && !addresses.contains(&address)
            {
                addresses.push(address);
            }
        }
        addresses
    }
}

/// An unpredictable query id (RFC 5452 §9.2): the process's random hash keys over a counter.
fn query_id() -> u16 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.finish() as u16
}

/// One query over UDP: the answer from `server` with `id`, or None on timeout or a socket
/// error. Datagrams from elsewhere or for other ids are dropped, until the deadline.
async fn udp_exchange(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> Option<Result<Response, DnsError>> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await.ok()?;
    socket.connect(server).await.ok()?;
    socket.send(query).await.ok()?;
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0; MAX_UDP];
    loop {
        let received = timeout_at(deadline, socket.recv(&mut buffer)).await.ok()?;
        let Ok(length) = received else {
            return None;
        };
        let answer = buffer.get(..length).unwrap_or_default();
        let decoded = wire::decode_response(answer, id);
        if !matches!(
            decoded,
            Err(DnsError::WrongId { .. } | DnsError::NotResponse)
        ) {
            return Some(decoded);
        }
    }
}

/// One query over TCP (RFC 1035 §4.2.2: each message after its two-byte length).
async fn tcp_exchange(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> Option<Result<Response, DnsError>> {
    let deadline = Instant::now() + timeout;
    let exchange = async {
        let mut stream = TcpStream::connect(server).await.ok()?;
        let length = u16::try_from(query.len()).ok()?;
        let mut framed = length.to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        stream.write_all(&framed).await.ok()?;
        let mut length = [0; 2];
        stream.read_exact(&mut length).await.ok()?;
        let mut answer = vec![0; usize::from(u16::from_be_bytes(length))];
        stream.read_exact(&mut answer).await.ok()?;
        Some(wire::decode_response(&answer, id))
    };
    timeout_at(deadline, exchange).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_gives_servers_search_list_and_options() {
        let config = DnsConfig::parse_resolv_conf(
            "# comment\nnameserver 198.51.100.194\nnameserver ::1\nnameserver bogus\n\
             domain old.example\nsearch Corp.Example.Test. other.example ; trailing\n\
             options ndots:1 timeout:3 attempts:9\n",
        );
        assert_eq!(
            config.servers,
            vec![
                "198.51.100.194:53".parse().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert_eq!(config.search, ["corp.example.test", "other.example"]);
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert_eq!(config.attempts, 5);
        let empty = DnsConfig::parse_resolv_conf("");
        assert!(empty.servers.is_empty() && empty.search.is_empty());
    }

    #[test]
    fn dns_server_settings_take_addresses_and_ports() {
        assert_eq!(
            parse_servers("198.51.100.194, 127.0.0.1:5353").unwrap(),
            vec![
                "198.51.100.194:53".parse().unwrap(),
                "127.0.0.1:5353".parse().unwrap()
            ]
        );
        let error = parse_servers("dc1").unwrap_err();
        assert_eq!(error.code, codes::ERROR_INVALID_PARAMETER);
    }

    /// A UDP server on 127.0.0.1 answering each query once with `answer(query)`.
    async fn serve_once(answer: impl Fn(&[u8]) -> Vec<u8> + Send + 'static) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = vec![0; 512];
            if let Ok(Ok((length, peer))) =
                tokio::time::timeout(Duration::from_secs(5), socket.recv_from(&mut buffer)).await
            {
                let reply = answer(&buffer[..length]);
                let _ = socket.send_to(&reply, peer).await;
            }
        });
        address
    }

    #[tokio::test]
    async fn srv_hosts_come_with_their_addresses_and_garbage_is_an_error() {
        let server = serve_once(|query| {
            let mut reply = query.to_vec();
            reply[2] = 0x85;
            reply[3] = 0x80;
            reply[7] = 1;
            reply[11] = 1;
            // SRV 0 100 389 dc1.<question's domain after "_ldap._tcp.dc._msdcs.">
            reply.extend_from_slice(&[0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 12]);
            reply.extend_from_slice(&[0, 0, 0, 100, 1, 133, 3, b'd', b'c', b'1', 0xC0, 33]);
            let target = query.len() + 12 + 6;
            reply.extend_from_slice(&[0xC0, target as u8, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            reply.extend_from_slice(&[127, 0, 0, 9]);
            reply
        })
        .await;
        let client = DnsClient::new(DnsConfig {
            servers: vec![server],
            search: Vec::new(),
            timeout: Duration::from_secs(2),
            attempts: 1,
        });
        let hosts = client
            .service_hosts("_ldap._tcp.dc._msdcs.corp.example.test")
            .await
            .unwrap();
        assert_eq!(
            hosts,
            vec![ServiceHost {
                host: "dc1.corp.example.test".into(),
                port: 389,
                addresses: vec![Ipv4Addr::new(127, 0, 0, 9)],
            }]
        );

        let server = serve_once(|query| {
            let mut reply = query.to_vec();
            reply[2] = 0x81;
            reply[7] = 3;
            reply
        })
        .await;
        let client = DnsClient::new(DnsConfig {
            servers: vec![server],
            ..client.config().clone()
        });
        match client.query("corp.example.test", TYPE_A).await {
            Err(DnsQueryError::Malformed { error, .. }) => assert!(error.is_truncation()),
            other => panic!("{other:?}"),
        }
        let silent = DnsClient::new(DnsConfig {
            servers: vec![],
            ..client.config().clone()
        });
        assert!(matches!(
            silent.query("corp.example.test", TYPE_A).await,
            Err(DnsQueryError::NoServers)
        ));
    }
}
