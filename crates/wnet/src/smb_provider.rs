//! The SMB provider ("Microsoft Windows Network"): finds a server (an address, the hosts file,
//! the NetBIOS name service, DNS — in a configurable order), connects to it (445, else 139
//! with a NetBIOS session request), negotiates SMB2/3 and authenticates, and lists shares —
//! over `wnet-smb2`. Every failure becomes a [`WinError`] with the NTSTATUS or system error
//! behind it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::sync::OnceCell;
use wnet_nbt::config::{NameServiceConfig, env_var};
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::session::{SessionConfig, call};
use wnet_nbt::wire::{NetbiosName, ScopedName};
use wnet_smb2::client::{Connection, Credentials, SessionOptions, negotiate};

use crate::security_policy::SecurityPolicy;
use wnet_smb2::{NtStatus, Session};

use crate::error::{Cause, WinError, codes};

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
        }
    }
}

impl ProviderConfig {
    /// The defaults, changed by `WNET_SMB_TIMEOUT` (seconds), `WNET_IDLE_SESSION_TIMEOUT`
    /// (seconds, 0 keeps no idle session), `WNET_RESOLVE_ORDER` (comma-separated `hosts`,
    /// `netbios`, `dns`), `WNET_SMB_PORTS` (comma-separated), the NetBIOS variables of
    /// [`NameServiceConfig::from_env`] and the security policy ([`SecurityPolicy::load`]:
    /// the settings file, then its variables).
    pub fn from_env() -> Result<ProviderConfig, WinError> {
        let invalid =
            |what: String| WinError::with_cause(codes::ERROR_INVALID_PARAMETER, Cause::Other(what));
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

/// An authenticated session with a server, and how it was reached.
#[derive(Debug, Clone)]
pub struct ServerSession {
    /// The SMB session.
    pub session: Session,
    /// The server's address.
    pub address: SocketAddrV4,
}

/// The SMB provider. One per agent; it keeps a NetBIOS name client for resolution.
#[derive(Debug)]
pub struct SmbProvider {
    config: ProviderConfig,
    names: OnceCell<NameServiceClient>,
}

impl SmbProvider {
    /// A provider with `config`.
    pub fn new(config: ProviderConfig) -> SmbProvider {
        SmbProvider {
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
        if let Ok(address) = server.parse::<Ipv4Addr>() {
            return Ok(address);
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
                return Ok(address);
            }
            tried.push(format!("{step:?}").to_ascii_lowercase());
        }
        Err(WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::Other(format!(
                "cannot resolve {server} (tried: {})",
                tried.join(", ")
            )),
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

    /// Connects to `server`, negotiates and authenticates (`None`: an anonymous session),
    /// under the configured [`SecurityPolicy`]: an authenticated session signs every message
    /// where it requires signatures, and a guest logon is refused unless it allows them.
    pub async fn open_session(
        &self,
        server: &str,
        credentials: Option<&Credentials>,
        options: &SessionOptions,
    ) -> Result<ServerSession, WinError> {
        let anonymous = Credentials::anonymous();
        let credentials = credentials.unwrap_or(&anonymous);
        let mut options = options.clone();
        // An anonymous session has no key to sign with: the caller asked for one by giving
        // no credentials, and only an explicit /integrity refuses it.
        options.require_signing |=
            self.config.security.require_security_signature && !credentials.is_anonymous();
        options.allow_insecure_guest = self.config.security.allow_insecure_guest_auth;
        let address = self.resolve(server).await?;
        let (connection, address) = self.connect(server, address).await?;
        let negotiated = negotiate(&connection, options.require_signing)
            .await
            .map_err(|error| map_error(&error))?;
        if options.workstation.is_empty() {
            options.workstation.clone_from(&self.config.workstation);
        }
        // The name the user typed, as Windows does: NTLM names the service cifs/<server>.
        if options.target_name.is_empty() {
            options.target_name = server.to_owned();
        }
        let session = Session::setup(&connection, &negotiated, credentials, &options)
            .await
            .map_err(|error| map_error(&error))?;
        Ok(ServerSession { session, address })
    }

    async fn connect(
        &self,
        server: &str,
        address: Ipv4Addr,
    ) -> Result<(Connection, SocketAddrV4), WinError> {
        let mut last_error = None;
        for &port in &self.config.ports {
            let target = SocketAddrV4::new(address, port);
            let attempt = if port == NETBIOS_SESSION_PORT {
                self.connect_netbios(server, target).await
            } else {
                wnet_smb2::connect_tcp(SocketAddr::V4(target), self.config.timeout)
                    .await
                    .map_err(|error| map_error(&error))
            };
            match attempt {
                Ok(connection) => return Ok((connection, target)),
                Err(error) => {
                    tracing::debug!(%target, %error, "connect failed");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| WinError::new(codes::ERROR_BAD_NETPATH)))
    }

    async fn connect_netbios(
        &self,
        server: &str,
        target: SocketAddrV4,
    ) -> Result<Connection, WinError> {
        let bad_path =
            |detail: String| WinError::with_cause(codes::ERROR_BAD_NETPATH, Cause::Other(detail));
        let by_name =
            server.parse::<Ipv4Addr>().is_err() && server.len() <= 15 && !server.contains('.');
        let called = if by_name {
            NetbiosName::new(server, 0x20).map_err(|error| bad_path(error.to_string()))?
        } else {
            // "*SMBSERVER" (space-padded, suffix 20) is the name SMB servers answer to when
            // the caller knows only an address; `NetbiosName::new` refuses '*'.
            let mut bytes = [b' '; 16];
            bytes[..10].copy_from_slice(b"*SMBSERVER");
            bytes[15] = 0x20;
            NetbiosName::from_bytes(bytes)
        };
        let calling = NetbiosName::new(&self.config.workstation, 0x00)
            .map_err(|error| bad_path(error.to_string()))?;
        let scope = &self.config.name_service.scope;
        let called =
            ScopedName::with_scope(called, scope).map_err(|error| bad_path(error.to_string()))?;
        let calling =
            ScopedName::with_scope(calling, scope).map_err(|error| bad_path(error.to_string()))?;
        let session_config = SessionConfig {
            port: target.port(),
            connect_timeout: self.config.timeout,
            request_timeout: self.config.timeout,
            ..SessionConfig::default()
        };
        let session = call(&[target], &called, &calling, &session_config)
            .await
            .map_err(|error| bad_path(format!("NetBIOS session to {target}: {error}")))?;
        Ok(Connection::start(
            session.into_stream(),
            self.config.timeout,
        ))
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

/// The Win32 error for an SMB client error, with its cause.
pub fn map_error(error: &wnet_smb2::Error) -> WinError {
    use crate::error::SmbFailure;
    use wnet_smb2::Error;
    let smb = |code, failure| {
        let detail = error.to_string();
        WinError::with_cause(code, Cause::Smb { failure, detail })
    };
    match error {
        Error::Status { status, .. } => status_error(*status),
        Error::Connect { source, .. } => match source.raw_os_error() {
            Some(errno) => WinError::with_cause(codes::ERROR_BAD_NETPATH, Cause::Os(errno)),
            None => WinError::with_cause(
                codes::ERROR_BAD_NETPATH,
                Cause::Smb {
                    failure: SmbFailure::Connect,
                    detail: source.to_string(),
                },
            ),
        },
        Error::Timeout { .. } | Error::Closed(_) => {
            smb(codes::ERROR_NETNAME_DELETED, SmbFailure::ConnectionLost)
        }
        Error::GuestLogonBlocked => WinError::with_cause(
            codes::ERROR_SMB_GUEST_LOGON_BLOCKED,
            Cause::Smb {
                failure: SmbFailure::GuestLogonBlocked,
                detail: format!(
                    "{error}; to allow them (insecure), set AllowInsecureGuestAuth = 1 and \
                     RequireSecuritySignature = 0 in the settings file"
                ),
            },
        ),
        Error::UnexpectedAnonymous => smb(codes::ERROR_LOGON_FAILURE, SmbFailure::Authentication),
        Error::Unsupported(_) => smb(codes::ERROR_NOT_SUPPORTED, SmbFailure::Unsupported),
        Error::Auth(_) | Error::Ntlm(_) | Error::Spnego(_) => {
            smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Authentication)
        }
        Error::Crypto(_) => smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Crypto),
        Error::Rpc(_) => smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Rpc),
        Error::LimitExceeded { .. } | Error::TooLarge(_) => {
            smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Limit)
        }
        _ => smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Protocol),
    }
}

/// The Win32 error Windows' redirector gives for an NTSTATUS.
pub fn status_error(status: NtStatus) -> WinError {
    let code = match status {
        NtStatus::STATUS_LOGON_FAILURE
        | NtStatus::STATUS_NO_SUCH_USER
        | NtStatus::STATUS_ACCOUNT_DISABLED
        | NtStatus::STATUS_ACCOUNT_LOCKED_OUT
        | NtStatus::STATUS_ACCOUNT_RESTRICTION
        | NtStatus::STATUS_INVALID_LOGON_HOURS
        | NtStatus::STATUS_INVALID_WORKSTATION
        | NtStatus::STATUS_PASSWORD_EXPIRED
        | NtStatus::STATUS_PASSWORD_MUST_CHANGE => codes::ERROR_LOGON_FAILURE,
        NtStatus::STATUS_WRONG_PASSWORD => codes::ERROR_INVALID_PASSWORD,
        NtStatus::STATUS_BAD_NETWORK_NAME => codes::ERROR_BAD_NET_NAME,
        NtStatus::STATUS_BAD_NETWORK_PATH => codes::ERROR_BAD_NETPATH,
        NtStatus::STATUS_ACCESS_DENIED | NtStatus::STATUS_NETWORK_ACCESS_DENIED => {
            codes::ERROR_ACCESS_DENIED
        }
        NtStatus::STATUS_OBJECT_NAME_NOT_FOUND | NtStatus::STATUS_NO_SUCH_FILE => {
            codes::ERROR_FILE_NOT_FOUND
        }
        NtStatus::STATUS_OBJECT_PATH_NOT_FOUND => codes::ERROR_PATH_NOT_FOUND,
        NtStatus::STATUS_NOT_SUPPORTED | NtStatus::STATUS_NOT_IMPLEMENTED => {
            codes::ERROR_NOT_SUPPORTED
        }
        NtStatus::STATUS_NETWORK_NAME_DELETED
        | NtStatus::STATUS_USER_SESSION_DELETED
        | NtStatus::STATUS_NETWORK_SESSION_EXPIRED => codes::ERROR_NETNAME_DELETED,
        NtStatus::STATUS_REQUEST_NOT_ACCEPTED | NtStatus::STATUS_INSUFF_SERVER_RESOURCES => {
            codes::ERROR_REQ_NOT_ACCEP
        }
        _ => codes::ERROR_UNEXP_NET_ERR,
    };
    WinError::with_cause(code, Cause::NtStatus(status.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_windows_does() {
        let code = |status| status_error(status).code;
        assert_eq!(
            code(NtStatus::STATUS_LOGON_FAILURE),
            codes::ERROR_LOGON_FAILURE
        );
        assert_eq!(
            code(NtStatus::STATUS_WRONG_PASSWORD),
            codes::ERROR_INVALID_PASSWORD
        );
        assert_eq!(
            code(NtStatus::STATUS_BAD_NETWORK_NAME),
            codes::ERROR_BAD_NET_NAME
        );
        assert_eq!(
            code(NtStatus::STATUS_ACCESS_DENIED),
            codes::ERROR_ACCESS_DENIED
        );
        let error = status_error(NtStatus::STATUS_LOGON_FAILURE);
        assert_eq!(error.ntstatus(), Some(0xC000_006D));
    }

    #[test]
    fn hosts_file_lookup_needs_no_network() {
        assert_eq!(hosts_lookup("localhost"), Some(Ipv4Addr::LOCALHOST));
        assert_eq!(hosts_lookup("no-such-host.invalid"), None);
    }

    #[tokio::test]
    async fn unresolvable_names_are_bad_netpaths() {
        let provider = SmbProvider::new(ProviderConfig {
            resolve_order: vec![ResolveStep::Hosts],
            ..ProviderConfig::default()
        });
        let error = provider.resolve("no-such-host.invalid").await.unwrap_err();
        assert_eq!(error.code, codes::ERROR_BAD_NETPATH);
        assert_eq!(
            provider.resolve("127.0.0.9").await.unwrap(),
            Ipv4Addr::new(127, 0, 0, 9)
        );
    }
}
