//! Finding a server: the provider's configuration (timeouts, ports, the resolution order, the
//! security policy) and the name resolution it uses (an address, the hosts file, the NetBIOS
//! name service, DNS — in a configurable order). The WNet API resolves a server-only name with
//! it; the agent's SMB provider resolves every server it connects to with it.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use tokio::sync::OnceCell;
use wnet_host::env_var;
use wnet_nbt::config::NameServiceConfig;
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::error::{Cause, NameQueryFailure, WinError, codes};
use crate::security_policy::SecurityPolicy;

/// The SMB port over TCP.
pub const SMB_PORT: u16 = 445;
/// The NetBIOS session service port.
pub const NETBIOS_SESSION_PORT: u16 = 139;
/// Default timeout of each network step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a session opened for a listing is kept by default after its last use.
pub const DEFAULT_IDLE_SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// One way of turning a server name into an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolveStep {
    /// `/etc/hosts`.
    Hosts,
    /// The NetBIOS name service (`<20>` name; names of at most 15 characters without dots).
    Netbios,
    /// The system resolver (getaddrinfo, DNS).
    Dns,
}

/// How the provider reaches servers.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The timeout of each network step (connect, each request).
    pub timeout: Duration,
    /// Resolution order for names that are not address literals.
    pub resolve_order: Vec<ResolveStep>,
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
            resolve_order: vec![ResolveStep::Hosts, ResolveStep::Netbios, ResolveStep::Dns],
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
    /// `netbios`, `dns`), `WNET_SMB_PORTS` (comma-separated), `WNET_KERBEROS_KEYTAB` (a
    /// client keytab), the NetBIOS variables of
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
            config.resolve_order = order
                .split(',')
                .map(|step| match step.trim().to_ascii_lowercase().as_str() {
                    "hosts" => Ok(ResolveStep::Hosts),
                    "netbios" | "nbt" => Ok(ResolveStep::Netbios),
                    "dns" => Ok(ResolveStep::Dns),
                    other => Err(invalid(format!(
                        "WNET_RESOLVE_ORDER: unknown step {other:?} (hosts, netbios, dns)"
                    ))),
                })
                .collect::<Result<_, _>>()?;
        }
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

/// Turns server names into addresses, in the configured order. It keeps a NetBIOS name
/// client once one was needed.
#[derive(Debug)]
pub struct Resolver {
    config: ProviderConfig,
    names: OnceCell<NameServiceClient>,
}

impl Resolver {
    /// A resolver with `config`.
    pub fn new(config: ProviderConfig) -> Resolver {
        Resolver {
            config,
            names: OnceCell::new(),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The server's IPv4 address. ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve(&self, server: &str) -> Result<Ipv4Addr, WinError> {
        self.resolve_with_step(server)
            .await
            .map(|(address, _step)| address)
    }

    /// The server's IPv4 address and the step that found it (`None` for an address literal).
    /// ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve_with_step(
        &self,
        server: &str,
    ) -> Result<(Ipv4Addr, Option<ResolveStep>), WinError> {
        if let Ok(address) = server.parse::<Ipv4Addr>() {
            return Ok((address, None));
        }
        let mut tried = Vec::new();
        for step in &self.config.resolve_order {
            let found = match step {
                ResolveStep::Hosts => hosts_lookup(server),
                ResolveStep::Netbios => self.netbios_lookup(server).await,
                ResolveStep::Dns => self.dns_lookup(server).await,
            };
            if let Some(address) = found {
                tracing::debug!(server, ?step, %address, "resolved");
                return Ok((address, Some(*step)));
            }
            tried.push(format!("{step:?}").to_ascii_lowercase());
        }
        Err(WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::NameQuery {
                failure: NameQueryFailure::NotFound,
                detail: format!("cannot resolve {server} (tried: {})", tried.join(", ")),
            },
        ))
    }

    async fn netbios_lookup(&self, server: &str) -> Option<Ipv4Addr> {
        if server.len() > 15 || server.contains('.') {
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
        answer.addresses.first().map(|found| found.address)
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
