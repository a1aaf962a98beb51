//! Finding a server: the provider's configuration (timeouts, ports, the resolution order, the
//! security policy) and the name resolution it uses (an address, the hosts file, DNS,
//! multicast DNS, LLMNR, the NetBIOS name service — in a configurable order, Windows' by
//! default). The WNet API resolves a server-only name with it; the agent's SMB provider
//! resolves every server it connects to with it.
//!
//! Answers of the network steps are kept in a [`NameCache`] with the step that gave them, and
//! used before the steps until their TTL (at most [`MAX_CACHE_TTL`]) runs out.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use wnet_host::env_var;
use wnet_nbt::config::NameServiceConfig;
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::dns::llmnr::is_llmnr_name;
use crate::dns::llmnr_client::{LLMNR_TIMEOUT, resolve_llmnr};
use crate::dns::mdns::is_mdns_name;
use crate::dns::mdns_client::MdnsClient;
use crate::error::{Cause, NameQueryFailure, WinError, codes};
use crate::multicast::{InterfaceSelection, multicast_interfaces};
use crate::security_policy::SecurityPolicy;

/// The SMB port over TCP.
pub const SMB_PORT: u16 = 445;
/// The NetBIOS session service port.
pub const NETBIOS_SESSION_PORT: u16 = 139;
/// Default timeout of each network step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a session opened for a listing is kept by default after its last use.
pub const DEFAULT_IDLE_SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the mDNS step waits for an answer (one query, sent again halfway).
pub const MDNS_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the LLMNR step waits for an answer, one retransmission included
/// ([`LLMNR_TIMEOUT`], RFC 4795's default).
pub const LLMNR_STEP_TIMEOUT: Duration = LLMNR_TIMEOUT;
/// The most names the cache keeps; the oldest entry goes first.
pub const CACHE_SIZE: usize = 256;
/// The longest an answer is kept, whatever its TTL.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(600);
/// How long a DNS answer is kept: getaddrinfo does not give the record's TTL.
pub const DNS_CACHE_TTL: Duration = Duration::from_secs(60);

/// One way of turning a server name into an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolveStep {
    /// `/etc/hosts`.
    Hosts,
    /// The NetBIOS name service (`<20>` name; names of at most 15 characters without dots).
    Netbios,
    /// The system resolver (getaddrinfo, DNS).
    Dns,
    /// Multicast DNS (RFC 6762): names ending in `.local`, and single-label names asked as
    /// `NAME.local` (as Windows 10 and later do).
    Mdns,
    /// Link-Local Multicast Name Resolution (RFC 4795): single-label names.
    Llmnr,
}

impl ResolveStep {
    /// Every step, in Windows' order: the default resolution order.
    pub const WINDOWS_ORDER: [ResolveStep; 5] = [
        ResolveStep::Hosts,
        ResolveStep::Dns,
        ResolveStep::Mdns,
        ResolveStep::Llmnr,
        ResolveStep::Netbios,
    ];

    /// Its name in `WNET_RESOLVE_ORDER` and in output: `hosts`, `dns`, `mdns`, `llmnr`,
    /// `netbios`.
    pub fn name(self) -> &'static str {
        match self {
            ResolveStep::Hosts => "hosts",
            ResolveStep::Netbios => "netbios",
            ResolveStep::Dns => "dns",
            ResolveStep::Mdns => "mdns",
            ResolveStep::Llmnr => "llmnr",
        }
    }

    /// The step called `text` (any case; `nbt` for `netbios`).
    pub fn parse(text: &str) -> Option<ResolveStep> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hosts" => Some(ResolveStep::Hosts),
            "netbios" | "nbt" => Some(ResolveStep::Netbios),
            "dns" => Some(ResolveStep::Dns),
            "mdns" => Some(ResolveStep::Mdns),
            "llmnr" => Some(ResolveStep::Llmnr),
            _ => None,
        }
    }

    /// Whether the step can resolve `name` (not an address literal).
    pub fn applies_to(self, name: &str) -> bool {
        match self {
            ResolveStep::Hosts | ResolveStep::Dns => true,
            ResolveStep::Netbios => name.len() <= 15 && !name.contains('.'),
            ResolveStep::Mdns => is_mdns_name(name) || is_llmnr_name(name),
            ResolveStep::Llmnr => is_llmnr_name(name),
        }
    }

    /// Whether the step sends multicast on the link (mDNS, LLMNR).
    fn is_multicast(self) -> bool {
        matches!(self, ResolveStep::Mdns | ResolveStep::Llmnr)
    }
}

/// `WNET_RESOLVE_ORDER`'s value: comma-separated step names.
pub fn parse_resolve_order(text: &str) -> Result<Vec<ResolveStep>, WinError> {
    text.split(',')
        .map(|step| {
            ResolveStep::parse(step).ok_or_else(|| {
                WinError::with_cause(
                    codes::ERROR_INVALID_PARAMETER,
                    Cause::Setting(format!(
                        "WNET_RESOLVE_ORDER: unknown step {:?} (hosts, dns, mdns, llmnr, netbios)",
                        step.trim()
                    )),
                )
            })
        })
        .collect()
}

/// How the provider reaches servers.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The timeout of each network step (connect, each request).
    pub timeout: Duration,
    /// Resolution order for names that are not address literals.
    pub resolve_order: Vec<ResolveStep>,
    /// The interfaces the mDNS and LLMNR steps ask on. [`InterfaceSelection::Nothing`] by
    /// default (no multicast); [`ProviderConfig::from_env`] takes the environment's.
    pub multicast: InterfaceSelection,
    /// Ports to try in order; 139 means SMB inside a NetBIOS session.
    pub ports: Vec<u16>,
    /// NetBIOS name service settings.
    pub name_service: NameServiceConfig,
    /// Our workstation name (NTLM, NetBIOS calling name).
    pub workstation: String,
    /// How long a session that a listing or a resource lookup opened is kept after its last
    /// use, for the next one with the same credentials (zero: logged off at once).
    pub idle_session_timeout: Duration,
    /// What every session must prove: signing, no guest logons.
    pub security: SecurityPolicy,
    /// A client keytab (`FILE:/path`, or a path) that Kerberos takes tickets from where the
    /// user's cache has none, for connections made with no credentials
    /// (`WNET_KERBEROS_KEYTAB`; MIT's `KRB5_CLIENT_KTNAME` does the same for every program).
    pub kerberos_keytab: Option<String>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            timeout: DEFAULT_TIMEOUT,
            resolve_order: ResolveStep::WINDOWS_ORDER.to_vec(),
            multicast: InterfaceSelection::Nothing,
            ports: vec![SMB_PORT, NETBIOS_SESSION_PORT],
            name_service: NameServiceConfig::default(),
            workstation: local_hostname(),
            idle_session_timeout: DEFAULT_IDLE_SESSION_TIMEOUT,
            security: SecurityPolicy::default(),
            kerberos_keytab: None,
        }
    }
}

impl ProviderConfig {
    /// The defaults, changed by `WNET_SMB_TIMEOUT` (seconds), `WNET_IDLE_SESSION_TIMEOUT`
    /// (seconds, 0 keeps no idle session), `WNET_RESOLVE_ORDER` (comma-separated `hosts`,
    /// `dns`, `mdns`, `llmnr`, `netbios`; that order by default, Windows'), the multicast
    /// interfaces ([`InterfaceSelection::from_env`]), `WNET_SMB_PORTS` (comma-separated),
    /// `WNET_KERBEROS_KEYTAB` (a client keytab), the NetBIOS variables of
    /// [`NameServiceConfig::from_env`] and the security policy ([`SecurityPolicy::load`]:
    /// the settings file, then its variables).
    pub fn from_env() -> Result<ProviderConfig, WinError> {
        let invalid = |what: String| {
            WinError::with_cause(codes::ERROR_INVALID_PARAMETER, Cause::Setting(what))
        };
        let seconds_of =
            |variable: &str, zero_allowed: bool| -> Result<Option<Duration>, WinError> {
                let Some(text) = env_var(variable) else {
                    return Ok(None);
                };
                text.parse()
                    .ok()
                    .filter(|seconds: &f64| {
                        seconds.is_finite()
                            && (*seconds > 0.0 || (zero_allowed && *seconds == 0.0))
                            && *seconds < 1e6
                    })
                    .map(|seconds| Some(Duration::from_secs_f64(seconds)))
                    .ok_or_else(|| invalid(format!("{variable}={text}: not a number of seconds")))
            };
        let mut config = ProviderConfig::default();
        if let Some(timeout) = seconds_of("WNET_SMB_TIMEOUT", false)? {
            config.timeout = timeout;
        }
        if let Some(timeout) = seconds_of("WNET_IDLE_SESSION_TIMEOUT", true)? {
            config.idle_session_timeout = timeout;
        }
        if let Some(order) = env_var("WNET_RESOLVE_ORDER") {
            config.resolve_order = parse_resolve_order(&order)?;
        }
        config.multicast = InterfaceSelection::from_env()?;
        if let Some(ports) = env_var("WNET_SMB_PORTS") {
            config.ports = ports
                .split(',')
                .map(|port| {
                    port.trim()
                        .parse::<u16>()
                        .ok()
                        .filter(|port| *port != 0)
                        .ok_or_else(|| invalid(format!("WNET_SMB_PORTS: bad port {port:?}")))
                })
                .collect::<Result<_, _>>()?;
        }
        config.name_service = NameServiceConfig::from_env(wnet_nbt::config::NAME_SERVICE_UDP_PORT)
            .map_err(|error| invalid(error.to_string()))?;
        config.security = SecurityPolicy::load().map_err(|error| error.to_win_error())?;
        config.kerberos_keytab = env_var("WNET_KERBEROS_KEYTAB").filter(|name| !name.is_empty());
        Ok(config)
    }
}

/// This host's name, upper-cased and cut to 15 characters (the NetBIOS form).
pub fn local_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim().split('.').next().unwrap_or_default();
    let mut name: String = name
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_uppercase();
    if name.is_empty() {
        name = "WNET".into();
    }
    name
}

/// An answer kept by the [`Resolver`], with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The name asked, lower-cased.
    pub name: String,
    /// Its address.
    pub address: Ipv4Addr,
    /// The step that answered.
    pub source: ResolveStep,
    /// When the entry is dropped.
    pub expires: Instant,
}

/// The answers of the network steps, at most [`CACHE_SIZE`], each kept for its TTL capped at
/// [`MAX_CACHE_TTL`]; the oldest entry goes when full. Sans-IO: times are given.
#[derive(Debug, Default)]
pub struct NameCache {
    entries: VecDeque<CacheEntry>,
}

impl NameCache {
    /// The unexpired entry for `name` (any case) at `now`.
    pub fn get(&self, name: &str, now: Instant) -> Option<&CacheEntry> {
        self.entries
            .iter()
            .find(|entry| entry.expires > now && entry.name.eq_ignore_ascii_case(name))
    }

    /// Keeps `address` for `name` from `source` for `ttl` (capped) from `now`, in place of any
    /// entry for the name; nothing for a TTL of 0.
    pub fn insert(
        &mut self,
        name: &str,
        address: Ipv4Addr,
        source: ResolveStep,
        ttl: Duration,
        now: Instant,
    ) {
        self.entries
            .retain(|entry| entry.expires > now && !entry.name.eq_ignore_ascii_case(name));
        if ttl.is_zero() {
            return;
        }
        while self.entries.len() >= CACHE_SIZE {
            self.entries.pop_front();
        }
        self.entries.push_back(CacheEntry {
            name: name.to_ascii_lowercase(),
            address,
            source,
            expires: now + ttl.min(MAX_CACHE_TTL),
        });
    }

    /// The unexpired entries at `now`, oldest first.
    pub fn entries(&self, now: Instant) -> Vec<CacheEntry> {
        self.entries
            .iter()
            .filter(|entry| entry.expires > now)
            .cloned()
            .collect()
    }
}

/// How a name was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// The address.
    pub address: Ipv4Addr,
    /// The step that found it, now or when it was cached (`None` for an address literal).
    pub step: Option<ResolveStep>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// Turns server names into addresses, in the configured order, through a [`NameCache`]. It
/// keeps a NetBIOS name client once one was needed.
///
/// Where an mDNS and an LLMNR step are next to each other in the order and both apply to a
/// name (a single label), they run at once and the first answer wins, as Windows does.
#[derive(Debug)]
pub struct Resolver {
    config: ProviderConfig,
    names: OnceCell<NameServiceClient>,
    cache: Mutex<NameCache>,
}

impl Resolver {
    /// A resolver with `config`.
    pub fn new(config: ProviderConfig) -> Resolver {
        Resolver {
            config,
            names: OnceCell::new(),
            cache: Mutex::new(NameCache::default()),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The answers it keeps now, oldest first.
    pub fn cache_entries(&self) -> Vec<CacheEntry> {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries(Instant::now())
    }

    /// The server's IPv4 address. ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve(&self, server: &str) -> Result<Ipv4Addr, WinError> {
        self.resolve_detailed(server)
            .await
            .map(|resolution| resolution.address)
    }

    /// The server's IPv4 address and the step that found it, now or when cached (`None` for
    /// an address literal). ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve_with_step(
        &self,
        server: &str,
    ) -> Result<(Ipv4Addr, Option<ResolveStep>), WinError> {
        self.resolve_detailed(server)
            .await
            .map(|resolution| (resolution.address, resolution.step))
    }

    /// The server's address, the step that found it and whether the cache answered.
    /// ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve_detailed(&self, server: &str) -> Result<Resolution, WinError> {
        if let Ok(address) = server.parse::<Ipv4Addr>() {
            return Ok(Resolution {
                address,
                step: None,
                cached: false,
            });
        }
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(server, Instant::now())
            .map(|entry| (entry.address, entry.source));
        if let Some((address, source)) = cached {
            return Ok(Resolution {
                address,
                step: Some(source),
                cached: true,
            });
        }
        let mut tried = Vec::new();
        let order = &self.config.resolve_order;
        let mut index = 0;
        while let Some(&step) = order.get(index) {
            index += 1;
            if !step.applies_to(server) {
                continue;
            }
            tried.push(step.name());
            let partner = order
                .get(index)
                .copied()
                .filter(|next| next.is_multicast() && step.is_multicast() && *next != step)
                .filter(|next| next.applies_to(server));
            let found = if let Some(partner) = partner {
                index += 1;
                tried.push(partner.name());
                self.multicast_race(server, step, partner).await
            } else {
                self.run_step(server, step)
                    .await
                    .map(|(address, ttl)| (address, ttl, step))
            };
            if let Some((address, ttl, step)) = found {
                tracing::debug!(server, ?step, %address, "resolved");
                if step != ResolveStep::Hosts {
                    self.cache
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(server, address, step, ttl, Instant::now());
                }
                return Ok(Resolution {
                    address,
                    step: Some(step),
                    cached: false,
                });
            }
        }
        Err(WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::NameQuery {
                failure: NameQueryFailure::NotFound,
                detail: format!("cannot resolve {server} (tried: {})", tried.join(", ")),
            },
        ))
    }

    /// One step's answer and how long it may be kept.
    async fn run_step(&self, server: &str, step: ResolveStep) -> Option<(Ipv4Addr, Duration)> {
        match step {
            ResolveStep::Hosts => hosts_lookup(server).map(|address| (address, Duration::ZERO)),
            ResolveStep::Netbios => self.netbios_lookup(server).await,
            ResolveStep::Dns => self
                .dns_lookup(server)
                .await
                .map(|address| (address, DNS_CACHE_TTL)),
            ResolveStep::Mdns => self.mdns_lookup(server).await,
            ResolveStep::Llmnr => self.llmnr_lookup(server).await,
        }
    }

    /// Two multicast steps at once: the first answer wins, else the other's.
    async fn multicast_race(
        &self,
        server: &str,
        first: ResolveStep,
        second: ResolveStep,
    ) -> Option<(Ipv4Addr, Duration, ResolveStep)> {
        let tag = |step: ResolveStep| {
            move |found: Option<(Ipv4Addr, Duration)>| found.map(|(a, ttl)| (a, ttl, step))
        };
        let mut one = std::pin::pin!(self.run_step(server, first));
        let mut two = std::pin::pin!(self.run_step(server, second));
        tokio::select! {
            found = &mut one => match tag(first)(found) {
                Some(found) => Some(found),
                None => tag(second)(two.await),
            },
            found = &mut two => match tag(second)(found) {
                Some(found) => Some(found),
                None => tag(first)(one.await),
            },
        }
    }

    async fn mdns_lookup(&self, server: &str) -> Option<(Ipv4Addr, Duration)> {
        let name = if is_mdns_name(server) {
            server.to_owned()
        } else {
            format!("{}.local", server.trim_end_matches('.'))
        };
        let client = MdnsClient::new(multicast_interfaces(&self.config.multicast).ok()?);
        let (address, ttl) = client.resolve(&name, MDNS_TIMEOUT).await?;
        Some((address, Duration::from_secs(u64::from(ttl))))
    }

    async fn llmnr_lookup(&self, server: &str) -> Option<(Ipv4Addr, Duration)> {
        let interfaces = multicast_interfaces(&self.config.multicast).ok()?;
        let (address, ttl) = resolve_llmnr(&interfaces, server, LLMNR_STEP_TIMEOUT).await?;
        Some((address, Duration::from_secs(u64::from(ttl))))
    }

    async fn netbios_lookup(&self, server: &str) -> Option<(Ipv4Addr, Duration)> {
        if !ResolveStep::Netbios.applies_to(server) {
            return None;
        }
        let name = NetbiosName::new(server, 0x20).ok()?;
        let client = self
            .names
            .get_or_try_init(|| {
                NameServiceClient::bind(
                    self.config.name_service.clone(),
                    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                )
            })
            .await
            .ok()?;
        let scoped = ScopedName::with_scope(name, &self.config.name_service.scope).ok()?;
        let answer = client.resolve(&scoped).await.ok()?;
        answer
            .addresses
            .first()
            .map(|found| (found.address, answer.ttl))
    }

    async fn dns_lookup(&self, server: &str) -> Option<Ipv4Addr> {
        let lookup = tokio::net::lookup_host((server, SMB_PORT));
        let mut addresses = tokio::time::timeout(self.config.timeout, lookup)
            .await
            .ok()?
            .ok()?;
        addresses.find_map(|address| match address.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
    }
}

/// `/etc/hosts` lookup (IPv4 only, case-insensitive), with no network traffic.
fn hosts_lookup(server: &str) -> Option<Ipv4Addr> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let address: Ipv4Addr = fields.next()?.parse().ok()?;
        fields
            .any(|name| name.eq_ignore_ascii_case(server))
            .then_some(address)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_lookup_needs_no_network() {
        assert_eq!(hosts_lookup("localhost"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(hosts_lookup("no-such-host.invalid"), None);
    }

    #[test]
    fn resolve_orders_name_every_step() {
        assert_eq!(
            parse_resolve_order("hosts, DNS,mdns ,llmnr,nbt").unwrap(),
            vec![
                ResolveStep::Hosts,
                ResolveStep::Dns,
                ResolveStep::Mdns,
                ResolveStep::Llmnr,
                ResolveStep::Netbios
            ]
        );
        let error = parse_resolve_order("hosts,wins").unwrap_err();
        assert_eq!(error.code, codes::ERROR_INVALID_PARAMETER);
        for step in ResolveStep::WINDOWS_ORDER {
            assert_eq!(ResolveStep::parse(step.name()), Some(step));
        }
        let config = ProviderConfig::default();
        assert_eq!(config.resolve_order, ResolveStep::WINDOWS_ORDER);
        assert_eq!(config.multicast, InterfaceSelection::Nothing);
    }

    #[test]
    fn steps_apply_to_the_names_they_can_resolve() {
        use ResolveStep::{Dns, Hosts, Llmnr, Mdns, Netbios};
        let cases: [(&str, [bool; 5]); 5] = [
            // hosts, dns, mdns, llmnr, netbios
            ("nas", [true, true, true, true, true]),
            ("nas.local", [true, true, true, false, false]),
            ("nas.example.com", [true, true, false, false, false]),
            ("averyveryverylongname", [true, true, true, true, false]),
            ("bad..local", [true, true, false, false, false]),
        ];
        for (name, expected) in cases {
            let applies = [Hosts, Dns, Mdns, Llmnr, Netbios].map(|step| step.applies_to(name));
            assert_eq!(applies, expected, "{name}");
        }
    }

    #[test]
    fn the_cache_keeps_answers_for_their_capped_ttl_and_drops_the_oldest() {
        let now = Instant::now();
        let mut cache = NameCache::default();
        let address = Ipv4Addr::new(198, 51, 100, 7);
        cache.insert(
            "NAS",
            address,
            ResolveStep::Mdns,
            Duration::from_secs(10),
            now,
        );
        let entry = cache.get("nas", now).unwrap();
        assert_eq!((entry.address, entry.source), (address, ResolveStep::Mdns));
        assert!(cache.get("nas", now + Duration::from_secs(11)).is_none());
        // Capped at MAX_CACHE_TTL.
        cache.insert(
            "far",
            address,
            ResolveStep::Dns,
            Duration::from_secs(86400),
            now,
        );
        assert_eq!(cache.get("far", now).unwrap().expires, now + MAX_CACHE_TTL);
        // A new answer replaces the old; a TTL of 0 removes it.
        cache.insert(
            "nas",
            address,
            ResolveStep::Llmnr,
            Duration::from_secs(5),
            now,
        );
        assert_eq!(cache.get("NAS", now).unwrap().source, ResolveStep::Llmnr);
        assert_eq!(cache.entries(now).len(), 2);
        cache.insert("nas", address, ResolveStep::Llmnr, Duration::ZERO, now);
        assert!(cache.get("nas", now).is_none());
        // Bounded: the oldest goes.
        for index in 0..CACHE_SIZE + 10 {
            let name = format!("host{index}");
            cache.insert(
                &name,
                address,
                ResolveStep::Netbios,
                Duration::from_secs(60),
                now,
            );
        }
        let entries = cache.entries(now);
        assert_eq!(entries.len(), CACHE_SIZE);
        assert_eq!(entries[0].name, "host10");
        assert!(cache.get("far", now).is_none());
    }

    #[tokio::test]
    async fn a_cached_answer_keeps_its_source() {
        let resolver = Resolver::new(ProviderConfig {
            resolve_order: Vec::new(),
            ..ProviderConfig::default()
        });
        let address = Ipv4Addr::new(198, 51, 100, 7);
        resolver.cache.lock().unwrap().insert(
            "nas",
            address,
            ResolveStep::Netbios,
            Duration::from_secs(60),
            Instant::now(),
        );
        assert_eq!(
            resolver.resolve_detailed("NAS").await.unwrap(),
            Resolution {
                address,
                step: Some(ResolveStep::Netbios),
                cached: true
            }
        );
        assert_eq!(
            resolver.resolve_with_step("nas").await.unwrap(),
            (address, Some(ResolveStep::Netbios))
        );
        assert_eq!(resolver.cache_entries().len(), 1);
        assert!(resolver.resolve("other").await.is_err());
    }

    #[tokio::test]
    async fn multicast_steps_without_interfaces_send_nothing_and_fail_fast() {
        let resolver = Resolver::new(ProviderConfig {
            resolve_order: vec![ResolveStep::Mdns, ResolveStep::Llmnr],
            ..ProviderConfig::default()
        });
        let start = Instant::now();
        let error = resolver.resolve("nas").await.unwrap_err();
        assert!(start.elapsed() < MDNS_TIMEOUT);
        assert!(
            format!("{error:?}").contains("tried: mdns, llmnr"),
            "{error:?}"
        );
        // A dotted name is neither LLMNR's nor mDNS's: nothing is tried.
        let error = resolver.resolve("nas.example.com").await.unwrap_err();
        assert!(format!("{error:?}").contains("tried: )"), "{error:?}");
    }

    #[tokio::test]
    async fn unresolvable_names_are_bad_netpaths() {
        let resolver = Resolver::new(ProviderConfig {
            resolve_order: vec![ResolveStep::Hosts],
            ..ProviderConfig::default()
        });
        let error = resolver.resolve("no-such-host.invalid").await.unwrap_err();
        assert_eq!(error.code, codes::ERROR_BAD_NETPATH);
        assert_eq!(
            resolver.resolve("127.0.0.9").await.unwrap(),
            Ipv4Addr::new(127, 0, 0, 9)
        );
        assert_eq!(
            resolver.resolve_with_step("localhost").await.unwrap(),
            (Ipv4Addr::LOCALHOST, Some(ResolveStep::Hosts))
        );
        assert_eq!(
            resolver.resolve_with_step("127.0.0.9").await.unwrap().1,
            None
        );
    }
}
