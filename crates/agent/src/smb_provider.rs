//! The SMB provider ("Microsoft Windows Network"): finds a server ([`wnet::resolve`]),
//! connects to it (445, else 139 with a NetBIOS session request), negotiates SMB2/3 and
//! authenticates — over `wnet-smb2`. Every failure becomes a [`WinError`] with the NTSTATUS
//! or system error behind it.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use wnet_nbt::session::{SessionConfig, call};
use wnet_nbt::wire::{NetbiosName, ScopedName};
use wnet_smb2::client::{
    Connection, Credentials, KerberosOptions, Mechanism, SessionOptions, list_shares,
    negotiate_for, server_dns_name,
};
use wnet_smb2::gssapi::KerberosCredentials;
use wnet_smb2::{NtStatus, Session, Tree};

use wnet::agent_protocol::{ShareEntry, WireCredentials};
use wnet::error::{Cause, WinError, codes};
use wnet::resolve::{NETBIOS_SESSION_PORT, ProviderConfig, ResolveStep, Resolver};

use crate::provider::{Provider, ProviderSession, ProviderTree};

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
    resolver: Resolver,
}

impl SmbProvider {
    /// A provider with `config`.
    pub fn new(config: ProviderConfig) -> SmbProvider {
        SmbProvider {
            resolver: Resolver::new(config),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ProviderConfig {
        self.resolver.config()
    }

    /// The server's IPv4 address. ERROR_BAD_NETPATH when no step finds it.
    pub async fn resolve(&self, server: &str) -> Result<Ipv4Addr, WinError> {
        self.resolver.resolve(server).await
    }

    /// Connects to `server`, negotiates and authenticates (`None`: an anonymous session),
    /// under the configured [`SecurityPolicy`](wnet::security_policy::SecurityPolicy): an
    /// authenticated session signs every message where it requires signatures, and a guest
    /// logon is refused unless it allows them.
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
            self.config().security.require_security_signature && !credentials.is_anonymous();
        options.allow_insecure_guest = self.config().security.allow_insecure_guest_auth;
        let (address, step) = self.resolver.resolve_with_step(server).await?;
        let (connection, address) = self.connect(server, address).await?;
        let negotiated = negotiate_for(&connection, &options)
            .await
            .map_err(|error| map_error(&error))?;
        if options.workstation.is_empty() {
            options.workstation.clone_from(&self.config().workstation);
        }
        // The name the user typed, as Windows does: NTLM names the service cifs/<server>.
        if options.target_name.is_empty() {
            options.target_name = server.to_owned();
        }
        if matches!(options.mechanism, Mechanism::Ntlm) {
            options.mechanism = mechanism_for(server, credentials, self.config());
            if let Mechanism::Kerberos(kerberos) = &mut options.mechanism
                && step == Some(ResolveStep::Netbios)
            {
                kerberos.service_host =
                    netbios_server_dns_name(server, &connection, &negotiated).await;
            }
        }
        let session = Session::setup(&connection, &negotiated, credentials, &options)
            .await
            .map_err(|error| match &options.mechanism {
                Mechanism::Kerberos(kerberos) => {
                    naming_the_service(map_error(&error), &kerberos.service_principal(&options))
                }
                Mechanism::Ntlm => map_error(&error),
            })?;
        Ok(ServerSession { session, address })
    }

    async fn connect(
        &self,
        server: &str,
        address: Ipv4Addr,
    ) -> Result<(Connection, SocketAddrV4), WinError> {
        let mut last_error = None;
        for &port in &self.config().ports {
            let target = SocketAddrV4::new(address, port);
            let attempt = if port == NETBIOS_SESSION_PORT {
                self.connect_netbios(server, target).await
            } else {
                wnet_smb2::connect_tcp(SocketAddr::V4(target), self.config().timeout)
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
        let calling = NetbiosName::new(&self.config().workstation, 0x00)
            .map_err(|error| bad_path(error.to_string()))?;
        let scope = &self.config().name_service.scope;
        let called =
            ScopedName::with_scope(called, scope).map_err(|error| bad_path(error.to_string()))?;
        let calling =
            ScopedName::with_scope(calling, scope).map_err(|error| bad_path(error.to_string()))?;
        let session_config = SessionConfig {
            port: target.port(),
            connect_timeout: self.config().timeout,
            request_timeout: self.config().timeout,
            ..SessionConfig::default()
        };
        let session = call(&[target], &called, &calling, &session_config)
            .await
            .map_err(|error| bad_path(format!("NetBIOS session to {target}: {error}")))?;
        Ok(Connection::start(
            session.into_stream(),
            self.config().timeout,
        ))
    }
}

/// The host name Kerberos names a server by that the NetBIOS name service found as `server`
/// (a short name the hosts file and DNS did not know, so neither does the Kerberos library,
/// which would only complete it with `qualify_shortname`): the DNS name the server states in
/// its NTLM CHALLENGE ([`server_dns_name`]), where that is `server` made fully qualified;
/// else `server`. One more SESSION_SETUP round trip, on the connection the logon then uses;
/// it carries an NTLM NEGOTIATE but no credentials and no AUTHENTICATE, so no NTLM logon is
/// made even where `BlockNTLM` forbids them.
async fn netbios_server_dns_name(
    server: &str,
    connection: &Connection,
    negotiated: &wnet_smb2::client::Negotiated,
) -> String {
    match server_dns_name(connection, negotiated).await {
        Ok(Some(stated)) => {
            if let Some(fqdn) = qualified_netbios_name(server, &stated) {
                tracing::debug!(server, %fqdn, "the server's DNS name, for Kerberos");
                fqdn
            } else {
                tracing::debug!(server, stated, "the server's DNS name is another host's");
                server.to_owned()
            }
        }
        Ok(None) => server.to_owned(),
        Err(error) => {
            tracing::debug!(server, %error, "the server did not state its DNS name");
            server.to_owned()
        }
    }
}

/// `stated`, a server's own claim of its DNS name, lower-cased, when it is a fully qualified
/// name of the host whose NetBIOS name is `netbios` (its first label): a server cannot steer
/// the client into asking a ticket for another host's service.
fn qualified_netbios_name(netbios: &str, stated: &str) -> Option<String> {
    let stated = stated.strip_suffix('.').unwrap_or(stated);
    let (first, domain) = stated.split_once('.')?;
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    };
    (first.eq_ignore_ascii_case(netbios) && domain.split('.').all(label_ok) && label_ok(first))
        .then(|| stated.to_ascii_lowercase())
}

/// `error`, from a Kerberos logon that failed with no NTLM to fall back to, naming the
/// service principal it asked a ticket for: where the domain knows no such SPN (an address,
/// an alias), that name is what the user or the domain's administrator must fix.
fn naming_the_service(mut error: WinError, service: &str) -> WinError {
    if let Some(Cause::Smb {
        failure: wnet::error::SmbFailure::Authentication,
        detail,
    }) = &mut error.cause
    {
        *detail = format!("{detail} (service {service})");
    }
    error
}

/// How a session with `server` authenticates, as Windows chooses (MS-SMB2 3.2.4.2.3 leaves it
/// to the client): Kerberos with the user's tickets when no credentials are given, and with a
/// password for an account of a DNS domain (`user@corp.example`, or `CORP.EXAMPLE\user`:
/// the realm is the domain in capitals); NTLM for other named accounts. Kerberos names the
/// service `cifs@<server>`, the server as the user typed it (see below); for an address it
/// works only where the domain knows an SPN for it. Where Kerberos cannot make the logon,
/// NTLM does, the reason kept in the session (see `wnet use -v`), unless `block_ntlm`
/// ([`wnet::security_policy`]'s `BlockNTLM`) forbids it; then a NetBIOS domain is tried as
/// the realm too. With no credentials and a keytab
/// configured (`WNET_KERBEROS_KEYTAB`), the keytab gets the tickets the cache lacks.
///
/// # The service's host name: the Kerberos library makes it canonical
///
/// A short name (`fs1`) or an alias must become the server's fully qualified name
/// (`cifs/fs1.corp.example`) before a ticket is asked for. We leave that to MIT's library,
/// which does it when the ticket is requested, for a host-based name (`cifs@fs1`), exactly as
/// for `kinit -S`, `smbclient` and every other GSS-API program on the host, under the host's
/// krb5.conf: with `dns_canonicalize_hostname = true` (its default) the system resolver's
/// canonical name (getaddrinfo's `AI_CANONNAME`: the first name of an `/etc/hosts` line, a
/// DNS CNAME's target or the search domain that answered), then the reverse lookup of its
/// address if `rdns` is on; with `false`, the name as given, a short one completed with
/// `qualify_shortname` (default: the first DNS search domain); with `fallback`, the name as
/// given first and the canonical one if the KDC knows no such SPN. Doing it ourselves would
/// mean reading krb5.conf as the library does (files and directories in `KRB5_CONFIG`,
/// includes, final sections) and would ask a ticket for a name the host's own tools would
/// not. Two cases are ours: a name only the NetBIOS name service knows, which the library
/// cannot look up (the server's own DNS name is taken: [`netbios_server_dns_name`]); and an
/// address, which `wnet-smb2` hands over as the principal `cifs/<address>`, never
/// reverse-resolved into a name as MIT's `rdns` would: Kerberos only where the domain knows
/// that SPN, else NTLM, as on Windows.
fn mechanism_for(server: &str, credentials: &Credentials, config: &ProviderConfig) -> Mechanism {
    let policy = config.security;
    let block_ntlm = policy.block_ntlm;
    let kerberos = |tickets| {
        Mechanism::Kerberos(KerberosOptions {
            service_host: server.to_owned(),
            credentials: tickets,
            ntlm_fallback: !block_ntlm,
            sign: policy.require_security_signature,
        })
    };
    if credentials.is_anonymous() {
        return kerberos(match &config.kerberos_keytab {
            Some(keytab) => KerberosCredentials::Keytab(keytab.clone()),
            None => KerberosCredentials::Default,
        });
    }
    let (user, domain) = (credentials.user(), credentials.domain());
    if domain.contains('.') || block_ntlm {
        let principal = if domain.is_empty() {
            user.to_owned()
        } else {
            format!("{user}@{}", domain.to_uppercase())
        };
        return kerberos(KerberosCredentials::Password {
            principal,
            password: credentials.password().clone(),
        });
    }
    Mechanism::Ntlm
}

#[cfg(test)]
mod mechanism_tests {
    use super::*;

    fn choice(user: &str, domain: &str, password: &str, block_ntlm: bool) -> String {
        choice_with(user, domain, password, block_ntlm, None)
    }

    fn choice_with(
        user: &str,
        domain: &str,
        password: &str,
        block_ntlm: bool,
        keytab: Option<&str>,
    ) -> String {
        let config = ProviderConfig {
            security: wnet::security_policy::SecurityPolicy {
                block_ntlm,
                ..wnet::security_policy::SecurityPolicy::default()
            },
            kerberos_keytab: keytab.map(str::to_owned),
            ..ProviderConfig::default()
        };
        let credentials = Credentials::new(user, domain, password);
        match mechanism_for("fs1.corp.example", &credentials, &config) {
            Mechanism::Ntlm => "NTLM".to_owned(),
            Mechanism::Kerberos(options) => {
                assert_eq!(options.service_host, "fs1.corp.example");
                assert_eq!(options.ntlm_fallback, !block_ntlm);
                assert!(options.sign);
                match options.credentials {
                    KerberosCredentials::Default => "tickets".to_owned(),
                    KerberosCredentials::Password { principal, .. } => principal,
                    KerberosCredentials::Ccache(name) => name,
                    KerberosCredentials::Keytab(name) => format!("keytab {name}"),
                }
            }
        }
    }

    #[test]
    fn tickets_without_credentials_a_password_for_a_dns_domain_ntlm_otherwise() {
        assert_eq!(choice("", "", "", false), "tickets");
        assert_eq!(
            choice("alice", "corp.example", "pw", false),
            "alice@CORP.EXAMPLE"
        );
        assert_eq!(choice("alice", "CORP", "pw", false), "NTLM");
        assert_eq!(choice("alice", "", "pw", false), "NTLM");
        // NTLM blocked: Kerberos for every account, the NetBIOS domain as the realm.
        assert_eq!(choice("alice", "CORP", "pw", true), "alice@CORP");
        assert_eq!(choice("", "", "", true), "tickets");
    }

    #[test]
    fn a_netbios_name_takes_the_dns_name_the_server_states_only_if_it_completes_it() {
        let take = |stated| qualified_netbios_name("FS1", stated);
        assert_eq!(
            take("fs1.corp.example.test").as_deref(),
            Some("fs1.corp.example.test")
        );
        assert_eq!(
            take("FS1.Corp.Example.").as_deref(),
            Some("fs1.corp.example")
        );
        // Another host, no domain, an empty label, a character no host name has.
        for stated in [
            "dc1.corp.example.test",
            "fs1",
            "fs1.",
            "fs1..example",
            "fs10.corp.example",
            "fs1.corp example",
            "fs1.corp/example",
        ] {
            assert_eq!(take(stated), None, "{stated}");
        }
    }

    #[test]
    fn a_kerberos_failure_names_the_service_principal_it_asked_for() {
        let refused = WinError::with_cause(
            codes::ERROR_UNEXP_NET_ERR,
            Cause::Smb {
                failure: wnet::error::SmbFailure::Authentication,
                detail: "Server not found in Kerberos database".into(),
            },
        );
        let text = naming_the_service(refused, "cifs/198.51.100.195").to_string();
        assert!(
            text.contains("Server not found in Kerberos database (service cifs/198.51.100.195)"),
            "{text}"
        );
        // A refusal from the server carries its NTSTATUS, not a Kerberos library's text.
        let status = status_error(NtStatus::STATUS_LOGON_FAILURE);
        assert_eq!(
            naming_the_service(status.clone(), "cifs/fs1").to_string(),
            status.to_string()
        );
    }

    #[test]
    fn a_configured_keytab_serves_connections_without_credentials_only() {
        let keytab = Some("FILE:/srv/wnet.keytab");
        assert_eq!(
            choice_with("", "", "", false, keytab),
            "keytab FILE:/srv/wnet.keytab"
        );
        assert_eq!(
            choice_with("alice", "corp.example", "pw", false, keytab),
            "alice@CORP.EXAMPLE"
        );
        assert_eq!(choice_with("alice", "CORP", "pw", false, keytab), "NTLM");
    }
}

impl Provider for SmbProvider {
    type Session = Session;
    type Tree = Tree;

    fn config(&self) -> &ProviderConfig {
        self.resolver.config()
    }

    async fn open_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        options: &SessionOptions,
    ) -> Result<Session, WinError> {
        let smb = credentials.map(|credentials| {
            Credentials::new(
                &*credentials.user,
                &*credentials.domain,
                credentials.password.0.as_str(),
            )
        });
        SmbProvider::open_session(self, server, smb.as_ref(), options)
            .await
            .map(|opened| opened.session)
    }
}

impl ProviderSession for Session {
    type Tree = Tree;

    fn id(&self) -> u64 {
        Session::id(self)
    }

    fn is_connected(&self) -> bool {
        Session::is_connected(self)
    }

    fn is_signing(&self) -> bool {
        Session::is_signing(self)
    }

    fn is_encrypting(&self) -> bool {
        Session::is_encrypting(self)
    }

    fn authentication(&self) -> String {
        Session::authentication(self).to_string()
    }

    fn client_guid(&self) -> Option<[u8; 16]> {
        Some(self.negotiated().client_guid())
    }

    fn is_guest(&self) -> bool {
        Session::is_guest(self)
    }

    fn dialect(&self) -> u16 {
        self.negotiated().dialect
    }

    async fn tree_connect(&self, share_path: &str) -> Result<Tree, WinError> {
        Session::tree_connect(self, share_path)
            .await
            .map_err(|error| map_error(&error))
    }

    async fn list_shares(&self, server: &str) -> Result<Vec<ShareEntry>, WinError> {
        let shares = list_shares(self, server)
            .await
            .map_err(|error| map_error(&error))?;
        Ok(shares
            .into_iter()
            .map(|share| ShareEntry {
                name: share.name,
                share_type: share.share_type,
                comment: share.remark,
            })
            .collect())
    }

    async fn logoff(&self) -> Result<(), WinError> {
        Session::logoff(self)
            .await
            .map_err(|error| map_error(&error))
    }
}

impl ProviderTree for Tree {
    fn is_connected(&self) -> bool {
        self.session().is_connected()
    }

    fn share_type(&self) -> u8 {
        Tree::share_type(self)
    }

    async fn is_directory(&self, path: &str) -> Result<bool, WinError> {
        self.stat(path)
            .await
            .map(|attributes| attributes.is_directory())
            .map_err(|error| map_error(&error))
    }

    async fn disconnect(&self) -> Result<(), WinError> {
        Tree::disconnect(self)
            .await
            .map_err(|error| map_error(&error))
    }
}

/// The Win32 error for an SMB client error, with its cause.
pub fn map_error(error: &wnet_smb2::Error) -> WinError {
    use wnet::error::SmbFailure;
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
        Error::Auth(_) | Error::Ntlm(_) | Error::Spnego(_) | Error::Kerberos(_) => {
            smb(codes::ERROR_UNEXP_NET_ERR, SmbFailure::Authentication)
        }
        // The logon expired and could not be made again (no renewed ticket): the user must
        // log on again, which is what ERROR_NOT_AUTHENTICATED says; the NTSTATUS the server
        // sent (STATUS_NETWORK_SESSION_EXPIRED) is in the detail.
        Error::SessionExpired(_) => WinError::with_cause(
            codes::ERROR_NOT_AUTHENTICATED,
            Cause::Smb {
                failure: SmbFailure::Authentication,
                detail: format!("{error}; renew the Kerberos tickets (kinit)"),
            },
        ),
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
    use wnet::resolve::ResolveStep;

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
    fn an_expired_logon_not_renewed_says_to_renew_the_tickets() {
        let cause = wnet_smb2::Error::Kerberos(wnet_smb2::gssapi::KerberosError::NoCredentials(
            "Ticket expired".into(),
        ));
        let error = map_error(&wnet_smb2::Error::SessionExpired(std::sync::Arc::new(
            cause,
        )));
        assert_eq!(error.code, codes::ERROR_NOT_AUTHENTICATED);
        let text = error.to_string();
        assert!(
            text.contains("Ticket expired") && text.contains("kinit"),
            "{text}"
        );
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
