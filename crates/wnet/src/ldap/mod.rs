//! The computers of an Active Directory domain, read from a domain controller's LDAP server
//! with the user's Kerberos tickets.
//!
//! [`domain_computers`] binds with SASL GSSAPI ([RFC 4752]) as the service `ldap@<dc>`
//! (tickets from the default credential cache, `KRB5CCNAME`), agrees a signing security
//! layer (Samba's LDAP server requires one: `ldap server require strong auth`), reads the
//! rootDSE's `defaultNamingContext` and searches it for `(objectClass=computer)`, keeping
//! each entry's `dNSHostName`. The messages are [`codec`]'s and the layer [`sasl`]'s; this
//! module does the I/O, on a blocking socket in a blocking task (GSS-API calls may ask the
//! KDC), each read and write bounded by one deadline for the whole exchange, and the bytes
//! read bounded too.

pub mod codec;
pub mod sasl;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use wnet_smb2::gssapi::{InitiatorContext, KerberosCredentials, KerberosError};

use codec::{
    Entry, Filter, LdapCodecError, LdapResult, Response, SASL_BIND_IN_PROGRESS,
    SIZE_LIMIT_EXCEEDED, SUCCESS, Scope, Search, decode_message, encode_sasl_bind, encode_search,
};
use sasl::SaslError;

/// LDAP's port.
pub const LDAP_PORT: u16 = 389;
/// How long the whole exchange with a controller may take.
pub const LDAP_TIME: Duration = Duration::from_secs(5);
/// The most computers asked for and kept.
pub const MAX_COMPUTERS: u32 = 1000;
/// The most bytes read from the server in all.
const MAX_READ: usize = 16 << 20;
/// The most bind round trips.
const MAX_BIND_STEPS: usize = 6;

/// Why the domain's computers could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LdapError {
    /// The connection failed, or a read or write did.
    #[error("LDAP connection: {0}")]
    Io(#[from] std::io::Error),
    /// The exchange took longer than [`LDAP_TIME`].
    #[error("LDAP: no answer in time")]
    Timeout,
    /// The server sent more than this client reads.
    #[error("LDAP: the server sent too much")]
    TooMuch,
    /// Kerberos failed (no tickets, most often).
    #[error(transparent)]
    Kerberos(#[from] KerberosError),
    /// The server's bytes are not LDAP.
    #[error(transparent)]
    Codec(#[from] LdapCodecError),
    /// The security layer could not be agreed.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// The server answered with an error.
    #[error("LDAP: result code {}: {}", .0.code, .0.message)]
    Refused(LdapResult),
    /// The server answered out of turn.
    #[error("LDAP: {0}")]
    Protocol(&'static str),
}

/// The `dNSHostName`s (lower-case, each once) of the computers of the domain whose controller
/// `dc_host` is at `address`, read with the user's tickets within [`LDAP_TIME`].
pub async fn domain_computers(dc_host: &str, address: Ipv4Addr) -> Result<Vec<String>, LdapError> {
    let dc_host = dc_host.trim_end_matches('.').to_ascii_lowercase();
    let deadline = Instant::now() + LDAP_TIME;
    let task = tokio::task::spawn_blocking(move || {
        let target = SocketAddr::from((address, LDAP_PORT));
        let mut session = Session::connect(target, deadline)?;
        session.bind(&dc_host)?;
        session.computers()
    });
    match tokio::time::timeout(LDAP_TIME + Duration::from_millis(500), task).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(LdapError::Protocol("the LDAP task failed")),
        Err(_) => Err(LdapError::Timeout),
    }
}

/// Whether `name` may be a DNS host name: letters, digits, `-`, `_` and dots, ≤ 253.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.')
        && !name.contains("..")
}

/// The host names of `entries`' `dNSHostName`s, lower-case, each once, invalid ones dropped.
pub fn host_names(entries: &[Entry]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for value in entries.iter().flat_map(|entry| entry.values("dNSHostName")) {
        let Ok(name) = std::str::from_utf8(value) else {
            continue;
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if is_host_name(&name) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// What a GSS-API security context does for the bind: [`InitiatorContext`], or a stand-in
/// in tests.
pub trait SecurityContext {
    /// One step of establishing the context (empty input for the first).
    fn step(&mut self, input: &[u8]) -> Result<Vec<u8>, KerberosError>;
    /// Whether the context is established.
    fn is_complete(&self) -> bool;
    /// Wraps a message (signed; sealed too when `confidential`).
    fn wrap(&mut self, message: &[u8], confidential: bool) -> Result<Vec<u8>, KerberosError>;
    /// Unwraps the peer's message.
    fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>, KerberosError>;
}

impl SecurityContext for InitiatorContext {
    fn step(&mut self, input: &[u8]) -> Result<Vec<u8>, KerberosError> {
        InitiatorContext::step(self, input)
    }
    fn is_complete(&self) -> bool {
        InitiatorContext::is_complete(self)
    }
    fn wrap(&mut self, message: &[u8], confidential: bool) -> Result<Vec<u8>, KerberosError> {
        InitiatorContext::wrap(self, message, confidential)
    }
    fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>, KerberosError> {
        Ok(InitiatorContext::unwrap(self, token)?.message.to_vec())
    }
}

/// What the client does after a BindResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindStep {
    /// Send another BindRequest with these credentials.
    Send(Vec<u8>),
    /// The bind is done: the security layer is on, and the server receives wrapped buffers
    /// of at most this many bytes.
    Done(u32),
}

/// The client side of a SASL GSSAPI bind (RFC 4752 3.1), sans-IO: the context's tokens until
/// it is established, then the server's wrapped offer answered with the chosen layer
/// ([`sasl::choose_layer`]), then success.
#[derive(Debug)]
pub struct GssapiBind<C> {
    context: C,
    /// The server's largest buffer, once the layer is chosen.
    server_max: Option<u32>,
}

impl<C: SecurityContext> GssapiBind<C> {
    /// The bind and the credentials of its first request (the context's first token).
    pub fn start(mut context: C) -> Result<(Self, Vec<u8>), LdapError> {
        let token = context.step(&[])?;
        Ok((
            GssapiBind {
                context,
                server_max: None,
            },
            token,
        ))
    }

    /// The step after the server's BindResponse: its `result` and serverSaslCreds.
    pub fn answer(
        &mut self,
        result: LdapResult,
        credentials: Option<&[u8]>,
    ) -> Result<BindStep, LdapError> {
        let credentials = credentials.unwrap_or_default();
        match result.code {
            SUCCESS => self
                .server_max
                .map(BindStep::Done)
                .ok_or(LdapError::Protocol(
                    "the bind ended before a security layer was agreed",
                )),
            SASL_BIND_IN_PROGRESS if !self.context.is_complete() => {
                Ok(BindStep::Send(self.context.step(credentials)?))
            }
            SASL_BIND_IN_PROGRESS if self.server_max.is_none() => {
                let offer = sasl::parse_offer(&self.context.unwrap(credentials)?)?;
                let chosen = sasl::choose_layer(offer, false)?;
                // RFC 4752: the reply is wrapped without confidentiality, whatever is chosen.
                let reply = self.context.wrap(&sasl::reply(chosen), false)?;
                self.server_max = Some(offer.max_size);
                Ok(BindStep::Send(reply))
            }
            SASL_BIND_IN_PROGRESS => {
                Err(LdapError::Protocol("a bind step after the security layer"))
            }
            _ => Err(LdapError::Refused(result)),
        }
    }
}

/// One connection to an LDAP server.
struct Session {
    stream: TcpStream,
    deadline: Instant,
    /// Bytes read and not yet used (raw before the security layer, framed after it).
    raw: Vec<u8>,
    /// Unwrapped bytes not yet decoded.
    plain: Vec<u8>,
    read_total: usize,
    next_id: u32,
    /// The context, once the security layer is on.
    layer: Option<(InitiatorContext, u32)>,
}

impl Session {
    fn connect(target: SocketAddr, deadline: Instant) -> Result<Session, LdapError> {
        let stream = TcpStream::connect_timeout(&target, LDAP_TIME)?;
        Ok(Session {
            stream,
            deadline,
            raw: Vec::new(),
            plain: Vec::new(),
            read_total: 0,
            next_id: 0,
            layer: None,
        })
    }

    fn remaining(&self) -> Result<Duration, LdapError> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or(LdapError::Timeout)
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn send(&mut self, message: &[u8]) -> Result<(), LdapError> {
        let bytes = match &mut self.layer {
            None => message.to_vec(),
            Some((context, server_max)) => {
                sasl::frame(&context.wrap(message, false)?, *server_max)?
            }
        };
        self.stream.set_write_timeout(Some(self.remaining()?))?;
        self.stream.write_all(&bytes).map_err(timeout)?;
        Ok(())
    }

    /// Reads more bytes into `raw`.
    fn fill(&mut self) -> Result<(), LdapError> {
        self.stream.set_read_timeout(Some(self.remaining()?))?;
        let mut buffer = [0u8; 16384];
        let read = self.stream.read(&mut buffer).map_err(timeout)?;
        if read == 0 {
            return Err(LdapError::Protocol("the server closed the connection"));
        }
        self.read_total += read;
        if self.read_total > MAX_READ {
            return Err(LdapError::TooMuch);
        }
        self.raw.extend_from_slice(&buffer[..read]);
        Ok(())
    }

    /// The next message from the server.
    fn receive(&mut self) -> Result<codec::Message, LdapError> {
        loop {
            if self.layer.is_none() {
                if let Some((message, used)) = decode_message(&self.raw)? {
                    self.raw.drain(..used);
                    return Ok(message);
                }
                self.fill()?;
                continue;
            }
            if let Some((message, used)) = decode_message(&self.plain)? {
                self.plain.drain(..used);
                return Ok(message);
            }
            match sasl::unframe(&self.raw)? {
                Some((wrapped, used)) => {
                    let Some((context, _)) = &mut self.layer else {
                        return Err(LdapError::Protocol("no security layer"));
                    };
                    let unwrapped = context.unwrap(wrapped)?;
                    self.plain.extend_from_slice(&unwrapped.message);
                    self.raw.drain(..used);
                }
                None => self.fill()?,
            }
        }
    }

    /// The next message answering `id` (unsolicited notices end the exchange).
    fn answer(&mut self, id: u32) -> Result<Response, LdapError> {
        let message = self.receive()?;
        if message.id != id {
            return Err(LdapError::Protocol("an answer to another request"));
        }
        Ok(message.response)
    }

    /// The SASL GSSAPI bind as `ldap@dc_host`, through to the security layer.
    fn bind(&mut self, dc_host: &str) -> Result<(), LdapError> {
        let context =
            InitiatorContext::new(&format!("ldap@{dc_host}"), &KerberosCredentials::Default)?;
        let (mut bind, mut token) = GssapiBind::start(context)?;
        for _ in 0..MAX_BIND_STEPS {
            let id = self.id();
            self.send(&encode_sasl_bind(id, "GSSAPI", Some(&token)))?;
            let Response::Bind(result, credentials) = self.answer(id)? else {
                return Err(LdapError::Protocol("a bind answered by something else"));
            };
            match bind.answer(result, credentials.as_deref())? {
                BindStep::Send(next) => token = next,
                BindStep::Done(server_max) => {
                    self.layer = Some((bind.context, server_max));
                    return Ok(());
                }
            }
        }
        Err(LdapError::Protocol("the bind took too many steps"))
    }

    /// The entries of `search`, at most [`MAX_COMPUTERS`].
    fn search(&mut self, search: &Search) -> Result<Vec<Entry>, LdapError> {
        let id = self.id();
        self.send(&encode_search(id, search))?;
        let mut entries = Vec::new();
        loop {
            match self.answer(id)? {
                Response::Entry(entry) => {
                    if entries.len() < MAX_COMPUTERS as usize {
                        entries.push(entry);
                    }
                }
                Response::SearchDone(result)
                    if result.code == SUCCESS || result.code == SIZE_LIMIT_EXCEEDED =>
                {
                    return Ok(entries);
                }
                Response::SearchDone(result) => return Err(LdapError::Refused(result)),
                // References to other partitions are not followed.
                Response::Other(_) => {}
                Response::Bind(..) => return Err(LdapError::Protocol("a bind answer to a search")),
            }
        }
    }

    /// The domain's computers' host names.
    fn computers(&mut self) -> Result<Vec<String>, LdapError> {
        let root = self.search(&Search {
            base: String::new(),
            scope: Scope::Base,
            size_limit: 1,
            time_limit: 5,
            filter: Filter::Present("objectClass".to_owned()),
            attributes: vec!["defaultNamingContext".to_owned()],
        })?;
        let base = root
            .first()
            .and_then(|entry| entry.values("defaultNamingContext").first())
            .and_then(|value| String::from_utf8(value.clone()).ok())
            .filter(|base| !base.is_empty())
            .ok_or(LdapError::Protocol(
                "the rootDSE has no defaultNamingContext",
            ))?;
        let entries = self.search(&Search {
            base,
            scope: Scope::Subtree,
            size_limit: MAX_COMPUTERS,
            time_limit: 5,
            filter: Filter::Equal("objectClass".to_owned(), "computer".to_owned()),
            attributes: vec!["dNSHostName".to_owned()],
        })?;
        Ok(host_names(&entries))
    }
}

/// A read or write that timed out is [`LdapError::Timeout`].
fn timeout(error: std::io::Error) -> LdapError {
    match error.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => LdapError::Timeout,
        _ => LdapError::Io(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked_lowered_and_once() {
        let entry = |values: &[&[u8]]| Entry {
            dn: "CN=X".into(),
            attributes: vec![(
                "dnshostname".into(),
                values.iter().map(|v| v.to_vec()).collect(),
            )],
        };
        let entries = [
            entry(&[b"FS1.corp.example.test."]),
            entry(&[b"fs1.corp.example.test"]),
            entry(&[b"dc1.corp.example.test", b"bad name", b"\xff", b"", b"a..b"]),
            Entry {
                dn: "CN=Y".into(),
                attributes: Vec::new(),
            },
        ];
        assert_eq!(
            host_names(&entries),
            ["fs1.corp.example.test", "dc1.corp.example.test"]
        );
    }

    /// A context that completes on its second step; "wrapping" prefixes `W`.
    #[derive(Debug, Default)]
    struct FakeContext {
        steps: usize,
        wrapped: Vec<Vec<u8>>,
    }

    impl SecurityContext for FakeContext {
        fn step(&mut self, input: &[u8]) -> Result<Vec<u8>, KerberosError> {
            self.steps += 1;
            match self.steps {
                1 => Ok(b"AP-REQ".to_vec()),
                2 if input == b"AP-REP" => Ok(Vec::new()),
                _ => Err(KerberosError::State("unexpected step")),
            }
        }
        fn is_complete(&self) -> bool {
            self.steps >= 2
        }
        fn wrap(&mut self, message: &[u8], confidential: bool) -> Result<Vec<u8>, KerberosError> {
            assert!(!confidential, "the layer reply is never sealed");
            self.wrapped.push(message.to_vec());
            Ok([b"W", message].concat())
        }
        fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>, KerberosError> {
            token
                .strip_prefix(b"W")
                .map(<[u8]>::to_vec)
                .ok_or(KerberosError::State("bad signature"))
        }
    }

    fn result(code: u32) -> LdapResult {
        LdapResult {
            code,
            message: String::new(),
        }
    }

    #[test]
    fn a_samba_like_bind_agrees_integrity() {
        let (mut bind, token) = GssapiBind::start(FakeContext::default()).unwrap();
        assert_eq!(token, b"AP-REQ");
        // The AP-REP completes the context: an empty response follows.
        let step = bind.answer(result(14), Some(b"AP-REP")).unwrap();
        assert_eq!(step, BindStep::Send(Vec::new()));
        // Samba offers every layer and takes 16 MiB - 1.
        let step = bind.answer(result(14), Some(b"W\x07\xff\xff\xff")).unwrap();
        assert_eq!(step, BindStep::Send(b"W\x02\x10\x10\x00".to_vec()));
        assert_eq!(
            bind.answer(result(0), None).unwrap(),
            BindStep::Done(0xff_ffff)
        );
        // Nothing more after the layer.
        assert!(matches!(
            bind.answer(result(14), Some(b"W\x07\x00\x00\x00")),
            Err(LdapError::Protocol(_))
        ));
    }

    #[test]
    fn a_bind_that_skips_or_spoils_the_layer_fails() {
        let started = || GssapiBind::start(FakeContext::default()).unwrap().0;
        // Success before any layer: refused, not taken as a plain connection.
        let mut bind = started();
        bind.answer(result(14), Some(b"AP-REP")).unwrap();
        assert!(matches!(
            bind.answer(result(0), None),
            Err(LdapError::Protocol(_))
        ));
        // An offer of no protection, a short one, one not signed.
        for (offer, expected) in [
            (&b"W\x01\x00\x00\x00"[..], "NoProtection"),
            (&b"W\x02\x00"[..], "BadOffer"),
            (&b"\x02\x00\x00\x00"[..], "State"),
        ] {
            let mut bind = started();
            bind.answer(result(14), Some(b"AP-REP")).unwrap();
            let error = bind.answer(result(14), Some(offer)).unwrap_err();
            assert!(format!("{error:?}").contains(expected), "{error:?}");
        }
        // The server refuses: its code is kept (49, invalidCredentials).
        let mut bind = started();
        assert!(matches!(
            bind.answer(result(49), None),
            Err(LdapError::Refused(LdapResult { code: 49, .. }))
        ));
        // A bad AP-REP is the context's error.
        let mut bind = started();
        assert!(matches!(
            bind.answer(result(14), Some(b"forged")),
            Err(LdapError::Kerberos(_))
        ));
    }

    #[test]
    fn a_closed_port_is_an_error_soon() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let started = Instant::now();
        let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        assert!(Session::connect(target, started + LDAP_TIME).is_err());
        assert!(started.elapsed() < LDAP_TIME);
    }
}
