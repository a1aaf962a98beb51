//! The SMB provider ("Microsoft Windows Network"): finds a server ([`wnet::resolve`]),
//! connects to it (445, else 139 with a NetBIOS session request), negotiates SMB2/3 and
//! authenticates — over `wnet-smb2`. Every failure becomes a [`WinError`] with the NTSTATUS
//! or system error behind it.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use wnet_nbt::session::{SessionConfig, call};
use wnet_nbt::wire::{NetbiosName, ScopedName};
use wnet_smb2::client::{
    Connection, Credentials, KerberosOptions, Mechanism, SessionOptions, list_shares,
    negotiate_for, server_identity,
};
use wnet_smb2::gssapi::{KerberosCredentials, KerberosFailure};
use wnet_smb2::wire::dfs::ReferralResponse;
use wnet_smb2::{NtStatus, Session, Tree};

use wnet::agent_protocol::{Logon, RequiredMechanism, ShareEntry, WireCredentials};
use wnet::error::{Cause, WinError, codes};
use wnet::resolve::{NETBIOS_SESSION_PORT, ProviderConfig, ResolveStep, Resolver};

use crate::provider::{Provider, ProviderSession, ProviderTree};
use crate::redirector::LinkSource;
use std::sync::Arc;
use wnet_smb2::client::{LinkResolver, LinkRoute, ResolveFuture};

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

    /// Connects to `server`, negotiates and authenticates (`None`: the tickets of `logon`'s
    /// credential cache, else an anonymous session), under the configured
    /// [`SecurityPolicy`](wnet::security_policy::SecurityPolicy) and the mechanism `logon`
    /// requires: an authenticated session signs every message where it requires signatures,
    /// and a guest logon is refused unless it allows them.
    pub async fn open_session(
        &self,
        server: &str,
        credentials: Option<&Credentials>,
        logon: &Logon,
        options: &SessionOptions,
    ) -> Result<ServerSession, WinError> {
        let anonymous = Credentials::anonymous();
        let credentials = credentials.unwrap_or(&anonymous);
        let mut options = options.clone();
        // Chosen before any traffic: NTLM required where the policy blocks it fails here.
        let mechanism = matches!(options.mechanism, Mechanism::Ntlm)
            .then(|| mechanism_for(server, credentials, self.config(), logon))
            .transpose()?;
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
        if let Some(mut mechanism) = mechanism {
            if let Mechanism::Kerberos(kerberos) = &mut mechanism
                && step == Some(ResolveStep::Netbios)
            {
                kerberos.service_host = netbios_server_dns_name(server, &connection).await;
            }
            options.mechanism = mechanism;
        }
        let session = Session::setup(&connection, &negotiated, credentials, &options)
            .await
            .map_err(|error| {
                let skew = clock_skew(negotiated.server_time, std::time::SystemTime::now());
                let mapped = setup_error(&error, &options.mechanism, skew);
                match &options.mechanism {
                    Mechanism::Kerberos(kerberos) => {
                        naming_the_service(mapped, &kerberos.service_principal(&options))
                    }
                    Mechanism::Ntlm => mapped,
                }
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
/// its NTLM CHALLENGE ([`server_identity`]), where that is `server` made fully qualified;
/// else `server`. One more SESSION_SETUP round trip, on the connection the logon then uses;
/// it carries an NTLM NEGOTIATE but no credentials and no AUTHENTICATE, so no NTLM logon is
/// made even where `BlockNTLM` forbids them.
async fn netbios_server_dns_name(server: &str, connection: &Connection) -> String {
    match server_identity(connection)
        .await
        .map(|identity| identity.dns_name)
    {
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
        && !detail.contains(service)
    {
        *detail = format!("{detail} (service {service})");
    }
    error
}

/// How a session with `server` authenticates, as Windows chooses (MS-SMB2 3.2.4.2.3 leaves it
/// to the client): Kerberos with the user's tickets when no credentials are given (from the
/// caller's credential cache, `logon.ccache`, else the agent's default; from the keytab, if
/// one is configured), and with a password
/// for an account of a DNS domain (`user@corp.example`, or `CORP.EXAMPLE\user`: the realm is
/// the domain in capitals); NTLM for other named accounts. Kerberos names the service
/// `cifs@<server>`, the server as the user typed it (see below); for an address it works only
/// where the domain knows an SPN for it. Where Kerberos cannot
/// make the logon, NTLM does, the reason kept in the session (see `wnet use -v`), unless
/// `block_ntlm` ([`wnet::security_policy`]'s `BlockNTLM`) or the caller
/// ([`RequiredMechanism::Kerberos`]) forbids it; then a NetBIOS domain is tried as the realm
/// too. [`RequiredMechanism::Ntlm`] is NTLM alone, ERROR_NTLM_BLOCKED where the policy
/// blocks it. With no credentials and a keytab configured for the agent
/// (`WNET_KERBEROS_KEYTAB`, a deliberate choice such as a service account's), the keytab gets
/// the tickets, whatever cache the caller names.
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
fn mechanism_for(
    server: &str,
    credentials: &Credentials,
    config: &ProviderConfig,
    logon: &Logon,
) -> Result<Mechanism, WinError> {
    let policy = config.security;
    let block_ntlm = match logon.mechanism {
        Some(RequiredMechanism::Ntlm) if policy.block_ntlm => {
            return Err(WinError::with_cause(
                codes::ERROR_NTLM_BLOCKED,
                Cause::Other(
                    "NTLM was required, but BlockNTLM (WNET_BLOCK_NTLM) blocks it: allow NTLM \
                     or use Kerberos"
                        .into(),
                ),
            ));
        }
        Some(RequiredMechanism::Ntlm) => return Ok(Mechanism::Ntlm),
        Some(RequiredMechanism::Kerberos) => true,
        None => policy.block_ntlm,
    };
    let kerberos = |tickets| {
        Mechanism::Kerberos(KerberosOptions {
            service_host: server.to_owned(),
            credentials: tickets,
            ntlm_fallback: !block_ntlm,
            sign: policy.require_security_signature,
        })
    };
    if credentials.is_anonymous() {
        let tickets = match (&config.kerberos_keytab, &logon.ccache) {
            (Some(keytab), _) => KerberosCredentials::Keytab(keytab.clone()),
            (None, Some(ccache)) => KerberosCredentials::Ccache(ccache.as_str().to_owned()),
            (None, None) => KerberosCredentials::Default,
        };
        return Ok(kerberos(tickets));
    }
    let (user, domain) = (credentials.user(), credentials.domain());
    if domain.contains('.') || block_ntlm {
        let principal = if domain.is_empty() {
            user.to_owned()
        } else {
            format!("{user}@{}", domain.to_uppercase())
        };
        return Ok(kerberos(KerberosCredentials::Password {
            principal,
            password: credentials.password().clone(),
        }));
    }
    Ok(Mechanism::Ntlm)
}

#[cfg(test)]
mod mechanism_tests {
    use super::*;
    use wnet::agent_protocol::CredentialCacheName;

    fn choice(user: &str, domain: &str, password: &str, block_ntlm: bool) -> String {
        choice_for(user, domain, password, block_ntlm, &Logon::default())
    }

    fn choice_for(
        user: &str,
        domain: &str,
        password: &str,
        block_ntlm: bool,
        logon: &Logon,
    ) -> String {
        choice_with(user, domain, password, block_ntlm, None, logon)
    }

    fn choice_with(
        user: &str,
        domain: &str,
        password: &str,
        block_ntlm: bool,
        keytab: Option<&str>,
        logon: &Logon,
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
        match mechanism_for("fs1.corp.example", &credentials, &config, logon) {
            Err(error) => format!("error {}", error.code),
            Ok(Mechanism::Ntlm) => "NTLM".to_owned(),
            Ok(Mechanism::Kerberos(options)) => {
                assert_eq!(options.service_host, "fs1.corp.example");
                let kerberos_required = logon.mechanism == Some(RequiredMechanism::Kerberos);
                assert_eq!(options.ntlm_fallback, !block_ntlm && !kerberos_required);
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
            choice_with("", "", "", false, keytab, &Logon::default()),
            "keytab FILE:/srv/wnet.keytab"
        );
        assert_eq!(
            choice_with(
                "alice",
                "corp.example",
                "pw",
                false,
                keytab,
                &Logon::default()
            ),
            "alice@CORP.EXAMPLE"
        );
        assert_eq!(
            choice_with("alice", "CORP", "pw", false, keytab, &Logon::default()),
            "NTLM"
        );
        // The agent's keytab is its deliberate choice: it serves even where the caller names
        // a cache of its own.
        let caller = Logon {
            ccache: Some(CredentialCacheName::parse("FILE:/tmp/krb5cc_caller").unwrap()),
            mechanism: None,
        };
        assert_eq!(
            choice_with("", "", "", false, keytab, &caller),
            "keytab FILE:/srv/wnet.keytab"
        );
    }

    #[test]
    fn the_callers_cache_serves_a_logon_without_credentials() {
        let logon = Logon {
            ccache: Some(CredentialCacheName::parse("FILE:/tmp/krb5cc_caller").unwrap()),
            mechanism: None,
        };
        assert_eq!(
            choice_for("", "", "", false, &logon),
            "FILE:/tmp/krb5cc_caller"
        );
        // Named credentials do not take tickets from any cache.
        assert_eq!(choice_for("alice", "CORP", "pw", false, &logon), "NTLM");
        assert_eq!(
            choice_for("alice", "corp.example", "pw", false, &logon),
            "alice@CORP.EXAMPLE"
        );
    }

    #[test]
    fn a_required_mechanism_is_the_only_one() {
        let kerberos = Logon::default().requiring(Some(RequiredMechanism::Kerberos));
        let ntlm = Logon::default().requiring(Some(RequiredMechanism::Ntlm));
        // Kerberos required: no fallback, and a NetBIOS domain taken as the realm.
        assert_eq!(choice_for("", "", "", false, &kerberos), "tickets");
        assert_eq!(
            choice_for("alice", "CORP", "pw", false, &kerberos),
            "alice@CORP"
        );
        // NTLM required: even with no credentials or a DNS domain; refused where blocked.
        assert_eq!(choice_for("", "", "", false, &ntlm), "NTLM");
        assert_eq!(
            choice_for("alice", "corp.example", "pw", false, &ntlm),
            "NTLM"
        );
        assert_eq!(
            choice_for("alice", "CORP", "pw", true, &ntlm),
            format!("error {}", codes::ERROR_NTLM_BLOCKED)
        );
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
        logon: &Logon,
        options: &SessionOptions,
    ) -> Result<Session, WinError> {
        let smb = credentials.map(|credentials| {
            Credentials::new(
                &*credentials.user,
                &*credentials.domain,
                credentials.password.0.as_str(),
            )
        });
        SmbProvider::open_session(self, server, smb.as_ref(), logon, options)
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

    fn principal(&self) -> Option<String> {
        Session::principal(self).map(str::to_owned)
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

    async fn dfs_referral(
        &self,
        server: &str,
        path: &str,
    ) -> Result<Option<ReferralResponse>, WinError> {
        let ipc = Session::tree_connect(self, &format!("\\\\{server}\\IPC$"))
            .await
            .map_err(|error| map_error(&error))?;
        let referral = ipc.dfs_referral(path).await;
        let _ = ipc.disconnect().await;
        match referral {
            Ok(referral) => Ok(Some(referral)),
            Err(wnet_smb2::Error::Status { status, .. }) if no_referral(status) => {
                tracing::debug!(server, path, %status, "no DFS referral");
                Ok(None)
            }
            Err(error) => Err(map_error(&error)),
        }
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

    fn is_dfs(&self) -> bool {
        Tree::is_dfs(self)
    }

    fn with_link_source(self, links: LinkSource<Tree>) -> Tree {
        self.with_links(Arc::new(AgentLinks(links)))
    }

    fn with_links_of(self, other: &Tree) -> Tree {
        Tree::with_links_of(self, other)
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

/// The workstation's landing of the paths below a DFS share, as the SMB client's link
/// resolver: a failure to land is the client's error, its NTSTATUS as near as the Win32 code
/// says.
pub struct AgentLinks(pub LinkSource<Tree>);

impl LinkResolver for AgentLinks {
    fn resolve<'a>(&'a self, path: &'a str) -> ResolveFuture<'a> {
        let landing = (self.0)(path.to_owned());
        Box::pin(async move {
            let landing = landing.await.map_err(|error| {
                tracing::info!(path, %error, "DFS link not followed");
                wnet_smb2::Error::Status {
                    command: wnet_smb2::wire::Command::Create,
                    status: link_status(&error),
                }
            })?;
            Ok(LinkRoute {
                covered: landing.covered,
                tree: landing.tree,
                target_path: landing.target_path,
                ttl: landing.ttl,
            })
        })
    }
}

/// The NTSTATUS a failed landing is reported with on a drive or a file channel.
fn link_status(error: &WinError) -> NtStatus {
    match error.code {
        codes::ERROR_ACCESS_DENIED => NtStatus::STATUS_ACCESS_DENIED,
        codes::ERROR_LOGON_FAILURE => NtStatus::STATUS_LOGON_FAILURE,
        codes::ERROR_BAD_NETPATH | codes::ERROR_SEM_TIMEOUT => NtStatus::STATUS_BAD_NETWORK_PATH,
        _ => NtStatus::STATUS_BAD_NETWORK_NAME,
    }
}

/// Whether a server's answer to a referral request says it has none for the path: it runs no
/// DFS (STATUS_FS_DRIVER_REQUIRED, and from servers that lack the control
/// STATUS_NOT_SUPPORTED or STATUS_INVALID_DEVICE_REQUEST), or the path is in no namespace
/// it holds (STATUS_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_DFS_UNAVAILABLE).
fn no_referral(status: NtStatus) -> bool {
    [
        NtStatus::STATUS_NOT_FOUND,
        NtStatus::STATUS_FS_DRIVER_REQUIRED,
        NtStatus::STATUS_NOT_SUPPORTED,
        NtStatus::STATUS_INVALID_DEVICE_REQUEST,
        NtStatus::STATUS_OBJECT_PATH_NOT_FOUND,
        NtStatus::STATUS_OBJECT_NAME_NOT_FOUND,
        NtStatus::STATUS_DFS_UNAVAILABLE,
    ]
    .contains(&status)
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

/// The Win32 error for a session setup that failed under `mechanism`: a Kerberos failure
/// the krb5 error explains ([`kerberos_error`], with `skew`), else as [`map_error`] has it.
fn setup_error(error: &wnet_smb2::Error, mechanism: &Mechanism, skew: Option<i64>) -> WinError {
    if let (wnet_smb2::Error::Kerberos(failed), Mechanism::Kerberos(kerberos)) = (error, mechanism)
        && let Some(failure) = failed.failure()
    {
        let library = failed.to_string();
        return kerberos_error(failure, kerberos, &library, &krb5_config(), skew);
    }
    map_error(error)
}

/// Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_EPOCH_SECONDS: i64 = 11_644_473_600;

/// How many seconds the server's clock (`server_time`, a FILETIME from its NEGOTIATE answer)
/// is ahead of this host's at `now`; `None` when the server gave no time.
fn clock_skew(server_time: u64, now: std::time::SystemTime) -> Option<i64> {
    if server_time == 0 {
        return None;
    }
    let server = i64::try_from(server_time / 10_000_000).ok()? - FILETIME_UNIX_EPOCH_SECONDS;
    let here = match now.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).ok()?,
        Err(before) => -i64::try_from(before.duration().as_secs()).ok()?,
    };
    Some(server - here)
}

/// `seconds` (the server's clock minus this host's) in words: `3 min 20 s behind`.
fn skew_words(seconds: i64) -> String {
    let direction = if seconds >= 0 { "behind" } else { "ahead of" };
    let amount = seconds.unsigned_abs();
    let (days, rest) = (amount / 86_400, amount % 86_400);
    let (hours, rest) = (rest / 3600, rest % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    let mut parts = Vec::new();
    for (value, unit) in [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")] {
        if value > 0 || (unit == "s" && parts.is_empty()) {
            parts.push(format!("{value} {unit}"));
        }
    }
    format!("{} {direction}", parts.join(" "))
}

/// The Kerberos configuration the library reads: `KRB5_CONFIG`, else its default.
fn krb5_config() -> String {
    std::env::var("KRB5_CONFIG")
        .ok()
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| "/etc/krb5.conf".to_owned())
}

/// The Win32 error for a Kerberos logon that failed with `failure` (`library`: the Kerberos
/// library's words, kept at the end), saying what to fix: the SPN tried, the cache the
/// tickets were looked for in, the krb5.conf (`config`) that names the realm's KDCs, how far
/// this host's clock is off the server's (`skew`, seconds the server is ahead).
pub fn kerberos_error(
    failure: KerberosFailure,
    kerberos: &KerberosOptions,
    library: &str,
    config: &str,
    skew: Option<i64>,
) -> WinError {
    use wnet::error::SmbFailure;
    let spn = format!("cifs/{}", kerberos.service_host);
    let tickets = match &kerberos.credentials {
        KerberosCredentials::Ccache(name) => format!("the credential cache {name}"),
        KerberosCredentials::Password { principal, .. } => format!("the tickets for {principal}"),
        KerberosCredentials::Default => "the default credential cache (KRB5CCNAME)".to_owned(),
        KerberosCredentials::Keytab(name) => format!("the keytab {name}"),
    };
    let (code, fix) = match failure {
        KerberosFailure::NoTickets => (
            codes::ERROR_NO_SUCH_LOGON_SESSION,
            format!(
                "no usable Kerberos tickets in {tickets}, and NTLM is not allowed: run kinit \
                 user@REALM, or give a user and password"
            ),
        ),
        KerberosFailure::KdcUnreachable => (
            codes::ERROR_NO_LOGON_SERVERS,
            format!(
                "no KDC of the realm answered: check that the domain controller is up and \
                 reachable, and the realm's kdc entries in {config} (or its DNS SRV records)"
            ),
        ),
        KerberosFailure::ClockSkew => (
            codes::ERROR_TIME_SKEW,
            format!(
                "this host's clock and the domain's differ by more than the allowed skew (5 \
                 minutes unless krb5.conf's clockskew says otherwise){}: synchronise this \
                 host's clock with the domain controller",
                skew.map(|skew| format!("; it is {} the file server's", skew_words(skew)))
                    .unwrap_or_default()
            ),
        ),
        KerberosFailure::UnknownService => (
            codes::ERROR_WRONG_TARGET_NAME,
            format!(
                "the domain has no service principal {spn}: connect to the server by the DNS \
                 name the domain knows it by (not an address or an alias), or register the \
                 SPN for it (setspn -S {spn}, samba-tool spn add)"
            ),
        ),
        KerberosFailure::UnknownClient => (
            codes::ERROR_LOGON_FAILURE,
            format!("the domain does not know the user of {tickets}: check the user and realm"),
        ),
        KerberosFailure::PasswordExpired => (
            codes::ERROR_PASSWORD_EXPIRED,
            "the account's password has expired: change it (kpasswd) and log on again".to_owned(),
        ),
        KerberosFailure::WrongPassword => (
            codes::ERROR_LOGON_FAILURE,
            "the KDC refused the password: check it".to_owned(),
        ),
        KerberosFailure::AccountRevoked => (
            codes::ERROR_LOGON_FAILURE,
            "the account is disabled, expired or locked out: ask the domain's administrator"
                .to_owned(),
        ),
        KerberosFailure::UnknownRealm => (
            codes::ERROR_NO_SUCH_DOMAIN,
            format!(
                "{config} does not know the realm of {tickets} or of {spn}: add the realm with \
                 its kdc under [realms], map the server's DNS domain to it under \
                 [domain_realm], or set dns_lookup_kdc = true{}",
                netbios_realm_hint(&kerberos.credentials)
            ),
        ),
        _ => (codes::ERROR_UNEXP_NET_ERR, String::new()),
    };
    let detail = if fix.is_empty() {
        library.to_owned()
    } else {
        format!("{fix} ({library})")
    };
    WinError::with_cause(
        code,
        Cause::Smb {
            failure: SmbFailure::Authentication,
            detail,
        },
    )
}

/// For a password logon whose realm has no dot (`CORP\alice` made `alice@CORP` where NTLM
/// may not serve it), the likelier fix: a NetBIOS domain is not the realm.
fn netbios_realm_hint(credentials: &KerberosCredentials) -> String {
    match credentials {
        KerberosCredentials::Password { principal, .. }
            if principal
                .rsplit_once('@')
                .is_some_and(|(_, realm)| !realm.contains('.')) =>
        {
            "; a NetBIOS domain name is not a Kerberos realm: give the user as \
             user@<the domain's DNS name>"
                .to_owned()
        }
        _ => String::new(),
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

    /// Each Kerberos failure is its Windows error, with what to fix named.
    #[test]
    fn kerberos_failures_say_what_to_fix() {
        let kerberos = KerberosOptions {
            service_host: "198.51.100.195".into(),
            credentials: KerberosCredentials::Ccache("FILE:/tmp/alice.cc".into()),
            ntlm_fallback: false,
            sign: true,
        };
        let error = |failure| {
            let skew = Some(-200);
            kerberos_error(failure, &kerberos, "the library's words", "/k.conf", skew)
        };
        for (failure, code, named) in [
            (
                KerberosFailure::NoTickets,
                codes::ERROR_NO_SUCH_LOGON_SESSION,
                "FILE:/tmp/alice.cc",
            ),
            (
                KerberosFailure::KdcUnreachable,
                codes::ERROR_NO_LOGON_SERVERS,
                "/k.conf",
            ),
            (
                KerberosFailure::ClockSkew,
                codes::ERROR_TIME_SKEW,
                "it is 3 min 20 s ahead of the file server's",
            ),
            (
                KerberosFailure::UnknownService,
                codes::ERROR_WRONG_TARGET_NAME,
                "cifs/198.51.100.195",
            ),
            (
                KerberosFailure::UnknownClient,
                codes::ERROR_LOGON_FAILURE,
                "user",
            ),
            (
                KerberosFailure::PasswordExpired,
                codes::ERROR_PASSWORD_EXPIRED,
                "kpasswd",
            ),
            (
                KerberosFailure::WrongPassword,
                codes::ERROR_LOGON_FAILURE,
                "password",
            ),
            (
                KerberosFailure::AccountRevoked,
                codes::ERROR_LOGON_FAILURE,
                "locked out",
            ),
            (
                KerberosFailure::UnknownRealm,
                codes::ERROR_NO_SUCH_DOMAIN,
                "/k.conf does not know the realm of the credential cache FILE:/tmp/alice.cc or \
                 of cifs/198.51.100.195",
            ),
        ] {
            let error = error(failure);
            assert_eq!(error.code, code, "{failure:?}");
            let text = error.to_string();
            assert!(text.contains(named), "{failure:?}: {text}");
            assert!(text.contains("(the library's words)"), "{text}");
        }
    }

    /// A NetBIOS domain taken as the realm is named as the likelier mistake.
    #[test]
    fn a_netbios_domain_as_realm_is_named() {
        let with = |principal: &str| {
            let kerberos = KerberosOptions {
                service_host: "fs1.corp.example".into(),
                credentials: KerberosCredentials::Password {
                    principal: principal.into(),
                    password: "pw".into(),
                },
                ntlm_fallback: false,
                sign: true,
            };
            kerberos_error(
                KerberosFailure::UnknownRealm,
                &kerberos,
                "",
                "/k.conf",
                None,
            )
            .to_string()
        };
        assert!(with("alice@CORP").contains("a NetBIOS domain name is not a Kerberos realm"));
        assert!(!with("alice@CORP.EXAMPLE").contains("NetBIOS"));
    }

    /// The skew is the server's NEGOTIATE time against this host's, said in words.
    #[test]
    fn clock_skew_is_read_from_the_servers_time() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let filetime = |unix: u64| (unix + 11_644_473_600) * 10_000_000;
        assert_eq!(clock_skew(filetime(1_700_000_425), now), Some(425));
        assert_eq!(clock_skew(filetime(1_699_996_400), now), Some(-3600));
        assert_eq!(clock_skew(0, now), None);
        assert_eq!(skew_words(425), "7 min 5 s behind");
        assert_eq!(skew_words(-3600), "1 h ahead of");
        assert_eq!(skew_words(90_061), "1 d 1 h 1 min 1 s behind");
        assert_eq!(skew_words(0), "0 s behind");
    }

    /// A setup error of another kind, or of Kerberos without a krb5 error to read, maps as
    /// before.
    #[test]
    fn other_setup_errors_map_as_before() {
        let mechanism = Mechanism::Kerberos(KerberosOptions::default());
        let state = wnet_smb2::Error::Kerberos(wnet_smb2::gssapi::KerberosError::State("x"));
        assert_eq!(
            setup_error(&state, &mechanism, None).code,
            codes::ERROR_UNEXP_NET_ERR
        );
        let no_tickets = wnet_smb2::Error::Kerberos(
            wnet_smb2::gssapi::KerberosError::NoCredentials("none".into()),
        );
        assert_eq!(
            setup_error(&no_tickets, &mechanism, None).code,
            codes::ERROR_NO_SUCH_LOGON_SESSION
        );
        assert_eq!(
            setup_error(&no_tickets, &Mechanism::Ntlm, None).code,
            codes::ERROR_UNEXP_NET_ERR
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
