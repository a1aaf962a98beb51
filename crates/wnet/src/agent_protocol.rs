//! The request/response protocol between the WNet library (and the CLI) and the per-user
//! agent: one JSON object per line over a Unix stream socket, each request carrying
//! [`PROTOCOL_VERSION`]. The agent answers a request of another version with
//! [`Response::Error`] (ERROR_NOT_SUPPORTED) rather than guessing.
//!
//! Passwords cross the socket (it is private to the user) as [`WireSecret`], whose `Debug`
//! never shows them and which zeroes them when dropped; neither side logs them. Both sides
//! read and write the lines that carry them through a
//! [`SecretBuffer`](crate::secret_buffer::SecretBuffer), zeroed once the line is used.

use serde::{Deserialize, Serialize};

use crate::drives::LocalName;
use crate::error::{Cause, NameQueryFailure, SmbFailure, WinError, codes};
use crate::neighbourhood::Neighbourhood;
use crate::security_policy::SecurityPolicy;
use crate::unc::UncName;

/// The protocol version this library speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A password in transit: serialized as a plain string, never shown by `Debug`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct WireSecret(pub String);

impl std::fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for WireSecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Credentials for a session, as the library resolved them (explicit, environment, saved).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WireCredentials {
    /// The account name.
    pub user: String,
    /// Its domain (may be empty).
    pub domain: String,
    /// The password.
    pub password: WireSecret,
    /// Where they came from, for `-v` output (never the secret).
    pub source: String,
    /// Whether the caller named the user (a different named user on a server the agent has a
    /// session with is ERROR_SESSION_CREDENTIAL_CONFLICT; default credentials reuse it).
    pub explicit: bool,
}

/// The longest credential cache name a request may carry (PATH_MAX).
pub const MAX_CCACHE_NAME: usize = 4096;

/// The credential cache types a caller may name: those whose caches other processes of the
/// same user see too (a MEMORY cache lives in one process, so the agent's would be another).
const CCACHE_TYPES: [&str; 4] = ["FILE", "DIR", "KEYRING", "KCM"];

/// A Kerberos credential cache name (`KRB5CCNAME`) as a caller sends it to the agent:
/// `TYPE:residual` with TYPE `FILE`, `DIR`, `KEYRING` or `KCM`, or an absolute path (a FILE
/// cache); a FILE or DIR cache by an absolute path, since the agent's working directory is not
/// the caller's. At most [`MAX_CCACHE_NAME`] bytes, with no control characters. A `KEYRING:`
/// cache of the session, process or thread keyring is the agent's own keyring's (the one it
/// inherited when started): `KEYRING:persistent:` and `KEYRING:user:` name the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CredentialCacheName(String);

impl CredentialCacheName {
    /// `text` checked by the rules above; ERROR_INVALID_PARAMETER saying which it breaks.
    pub fn parse(text: &str) -> Result<CredentialCacheName, WinError> {
        let refuse = |why: String| {
            WinError::with_cause(
                codes::ERROR_INVALID_PARAMETER,
                Cause::Other(format!("credential cache name: {why}")),
            )
        };
        if text.is_empty() {
            return Err(refuse("empty".into()));
        }
        if text.len() > MAX_CCACHE_NAME {
            return Err(refuse(format!(
                "{} bytes, longer than {MAX_CCACHE_NAME}",
                text.len()
            )));
        }
        if text.chars().any(char::is_control) {
            return Err(refuse("it holds a control character".into()));
        }
        let path = match text.split_once(':') {
            None => Some(text),
            Some((kind, residual)) => {
                if !CCACHE_TYPES.contains(&kind) {
                    return Err(refuse(format!(
                        "type {kind:?} is not one of {}",
                        CCACHE_TYPES.join(", ")
                    )));
                }
                match kind {
                    // `DIR::/dir/tkt` names one cache of a collection.
                    "DIR" => Some(residual.strip_prefix(':').unwrap_or(residual)),
                    "FILE" => Some(residual),
                    _ => None,
                }
            }
        };
        if let Some(path) = path
            && !path.starts_with('/')
        {
            return Err(refuse(format!("{text} is not an absolute path")));
        }
        Ok(CredentialCacheName(text.to_owned()))
    }

    /// The name, as the Kerberos library takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CredentialCacheName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CredentialCacheName {
    type Error = WinError;

    fn try_from(text: String) -> Result<CredentialCacheName, WinError> {
        CredentialCacheName::parse(&text)
    }
}

impl From<CredentialCacheName> for String {
    fn from(name: CredentialCacheName) -> String {
        name.0
    }
}

/// The one authentication mechanism a caller allows for a session it may set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredMechanism {
    /// Kerberos only: no NTLM fallback, whatever the policy.
    Kerberos,
    /// NTLM only: Kerberos is not tried.
    Ntlm,
}

/// What a request that may set up a session carries of the caller's logon, beyond its
/// credentials. The agent is started on demand, under whatever `KRB5CCNAME` its first caller
/// had: a session made from tickets takes them from the cache of the caller that asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logon {
    /// The caller's Kerberos credential cache (`KRB5CCNAME`), if it names one: the tickets a
    /// session without credentials is made from (the agent's own default otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccache: Option<CredentialCacheName>,
    /// The one mechanism the caller allows, if it requires one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<RequiredMechanism>,
}

impl Logon {
    /// This process's logon: its `KRB5CCNAME`, a relative FILE or DIR path made absolute
    /// from the working directory; a name the agent would refuse is not sent (the agent's
    /// default cache serves then).
    pub fn of_caller() -> Logon {
        let ccache = std::env::var("KRB5CCNAME")
            .ok()
            .and_then(|name| CredentialCacheName::parse(&absolute_ccache_name(&name)).ok());
        Logon {
            ccache,
            mechanism: None,
        }
    }

    /// The logon requiring `mechanism` (`None`: the agent chooses).
    #[must_use]
    pub fn requiring(mut self, mechanism: Option<RequiredMechanism>) -> Logon {
        self.mechanism = mechanism;
        self
    }
}

/// `name` with a relative FILE or DIR path made absolute from this process's working
/// directory (the agent's is another); other names as they are.
fn absolute_ccache_name(name: &str) -> String {
    let (prefix, path) = match name.split_once(':') {
        None => ("", name),
        Some(("FILE", path)) => ("FILE:", path),
        Some(("DIR", path)) if path.starts_with(':') => ("DIR::", &path[1..]),
        Some(("DIR", path)) => ("DIR:", path),
        Some(_) => return name.to_owned(),
    };
    if path.is_empty() || path.starts_with('/') {
        return name.to_owned();
    }
    match std::env::current_dir() {
        Ok(dir) => format!("{prefix}{}", dir.join(path).display()),
        Err(_) => name.to_owned(),
    }
}

/// One request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestEnvelope {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub version: u32,
    /// The request.
    pub request: Request,
}

/// What the library asks of the agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The agent's state.
    Status,
    /// WNetAddConnection2/3.
    AddConnection {
        /// `\\server\share`, perhaps with a directory below it.
        remote_name: UncName,
        /// `Z:` or a directory; `None` for a deviceless connection.
        local_name: Option<LocalName>,
        /// Credentials; `None` tries an anonymous session.
        credentials: Option<WireCredentials>,
        /// CONNECT_* flags.
        flags: u32,
        /// RESOURCETYPE_* of the NETRESOURCE.
        resource_type: u32,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// WNetCancelConnection2 by local or remote name.
    CancelConnection {
        /// A local device or `\\server\share`.
        name: ConnectionName,
        /// Cancel even with open files.
        force: bool,
    },
    /// The connection table.
    Connections,
    /// The shares of a server (srvsvc NetShareEnum level 1), over the agent's session with it
    /// or one made with `credentials`.
    Shares {
        /// The server as the user names it.
        server: String,
        /// Credentials if the agent has no session with the server yet.
        credentials: Option<WireCredentials>,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// Checks that `\\server\share\path` exists (WNetGetResourceInformation).
    ResourceInformation {
        /// The full remote path.
        remote_path: UncName,
        /// Credentials if the agent has no session with the server yet.
        credentials: Option<WireCredentials>,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// Serves `\\server\share` as a local directory for its UNC paths: mounts the share's
    /// deviceless connection under the UNC dir (`wnet::drives::unc_mount_point`), connecting
    /// it first, as Windows does implicitly for a UNC path, when it is not connected.
    ServeShare {
        /// The share (any path below it is ignored).
        remote_name: UncName,
        /// Credentials for the implicit connection, if the agent has no session with the
        /// server yet (as WNetAddConnection2 without a user and password sends them).
        credentials: Option<WireCredentials>,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// Turns this connection over to the files of `\\server\share` (see
    /// [`crate::file_channel`]): after the [`Response::FileChannel`] line, binary frames
    /// follow both ways. The share is connected first, implicitly, when it is not connected,
    /// as for [`Request::ServeShare`].
    FileChannel {
        /// The share (any path below it is ignored).
        remote_name: UncName,
        /// Credentials for the implicit connection, if the agent has no session with the
        /// server yet.
        credentials: Option<WireCredentials>,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// Where a path lands in DFS: the referrals followed, each with its targets and the one
    /// in use, and the physical path (what `dfsutil` and NetDfsGetClientInfo show).
    DfsTargets {
        /// The path, `\\server\share\...` or `\\domain\namespace\...`.
        remote_path: UncName,
        /// Credentials for sessions with the servers asked, if the agent has none yet.
        credentials: Option<WireCredentials>,
        /// The caller's logon: its credential cache, a mechanism it requires.
        #[serde(default)]
        logon: Logon,
    },
    /// The network neighbourhood the agent has heard of: servers and workgroups from NetBIOS,
    /// WS-Discovery and mDNS, merged. The first request runs a round of discovery and starts
    /// listening for announcements; later ones are answered at once from what was heard, and
    /// refresh it in the background when it is old.
    Neighbourhood,
    /// Stop the agent: drop every connection and exit.
    Stop,
}

/// One DFS referral a path was sent through ([`Response::DfsTargets`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DfsReferralHop {
    /// The part of the path the referral covers, `\\server\root[\link]`.
    pub prefix: String,
    /// Whether it is a link's referral (else a namespace root's).
    pub link: bool,
    /// Its targets, `\\server\share[\path]`, in the order the server gave them.
    pub targets: Vec<String>,
    /// The index in `targets` of the one in use.
    pub active: usize,
    /// How many seconds the referral stays cached.
    pub ttl_seconds: u64,
}

/// A connection of the agent's table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // a wire record: each flag is a fact shown as is
pub struct ConnectionEntry {
    /// The local device, if one is redirected.
    pub local_name: Option<LocalName>,
    /// `\\server\share` (or a directory below it) as the caller named it.
    pub remote_name: UncName,
    /// The user the session runs as (`DOMAIN\user`, or empty for anonymous).
    pub user: String,
    /// RESOURCETYPE_* (DISK, PRINT, or ANY for IPC).
    pub resource_type: u32,
    /// The SMB dialect, e.g. `3.1.1`.
    pub dialect: String,
    /// Whether messages are signed.
    pub signing: bool,
    /// Whether messages are encrypted.
    pub encryption: bool,
    /// Whether the server logged the session on as guest (only where the policy allows it).
    #[serde(default)]
    pub guest: bool,
    /// The policy the session was made under.
    #[serde(default)]
    pub policy: SecurityPolicy,
    /// Where a redirected device is mounted.
    #[serde(default)]
    pub mount_point: Option<String>,
    /// Whether the connection's SMB session is still up ("OK"; else "Disconnected").
    #[serde(default = "connected_by_default")]
    pub connected: bool,
    /// The SMB2 SessionId of the session the connection rides: connections that share a
    /// session (reused, not authenticated again) show the same; 0 when unknown.
    #[serde(default)]
    pub session_id: u64,
    /// How many file channels (`wnet.open_file`, or UNC paths served without a mount) use
    /// the connection's share now.
    #[serde(default)]
    pub file_channels: u32,
    /// How the session authenticated: `Kerberos`, `NTLM`, or `NTLM (Kerberos not used:
    /// why)`; empty when unknown.
    #[serde(default)]
    pub authentication: String,
    /// Where DFS referrals sent the remote name, a namespace path: the share connected and
    /// the path below it (`None` for a name that is where it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dfs_target: Option<UncName>,
}

fn connected_by_default() -> bool {
    true
}

impl ConnectionEntry {
    /// Whether the entry redirects the local device `name` ([`LocalName`]'s rule: drive
    /// letters without regard to case, directories exactly).
    pub fn has_local_name(&self, name: &LocalName) -> bool {
        self.local_name.as_ref() == Some(name)
    }

    /// Whether WNetCancelConnection2 of `name` cancels this entry: a redirected device by its
    /// local name, a deviceless connection by its remote name.
    pub fn is_named_by(&self, name: &ConnectionName) -> bool {
        match &self.local_name {
            Some(local) => name.local.as_ref() == Some(local),
            None => name
                .remote
                .as_ref()
                .is_some_and(|remote| remote.names_connection(&self.remote_name)),
        }
    }
}

/// A name WNetCancelConnection2 accepts: a local device or a network name, parsed by their
/// own rules (`//server/share` is both, an absolute directory and a network name). It
/// crosses the agent protocol as the caller's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionName {
    text: String,
    /// The name as a local device, if it is a valid one.
    pub local: Option<LocalName>,
    /// The name as a network name, if it is a valid one.
    pub remote: Option<UncName>,
}

impl ConnectionName {
    /// `text` as a local device and as a network name; ERROR_NOT_CONNECTED when it is
    /// neither (no connection can have it).
    pub fn parse(text: &str) -> Result<ConnectionName, WinError> {
        let local = LocalName::parse(text).ok();
        let remote = UncName::parse(text).ok();
        if local.is_none() && remote.is_none() {
            return Err(WinError::new(codes::ERROR_NOT_CONNECTED));
        }
        Ok(ConnectionName {
            text: text.to_owned(),
            local,
            remote,
        })
    }
}

impl std::fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for ConnectionName {
    type Error = WinError;

    fn try_from(text: String) -> Result<ConnectionName, WinError> {
        ConnectionName::parse(&text)
    }
}

impl From<ConnectionName> for String {
    fn from(name: ConnectionName) -> String {
        name.text
    }
}

/// A share of a server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShareEntry {
    /// The share's name.
    pub name: String,
    /// The srvsvc share type (STYPE_* with its flag bits).
    pub share_type: u32,
    /// The server's comment for it.
    pub comment: String,
}

/// The agent's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    /// Done.
    Ok,
    /// [`Request::Status`].
    Status {
        /// The agent's pid.
        pid: u32,
        /// Its protocol version.
        version: u32,
        /// Connections held.
        connections: usize,
        /// SMB sessions held.
        sessions: usize,
        /// Seconds of idleness (with no connection) after which it exits.
        idle_timeout_secs: u64,
    },
    /// [`Request::AddConnection`] succeeded.
    Added {
        /// The user the session runs as.
        user: String,
        /// Whether an existing session was reused (no new authentication).
        session_reused: bool,
        /// Where the credentials came from.
        source: String,
        /// The entry as the table now holds it.
        entry: Box<ConnectionEntry>,
    },
    /// [`Request::Connections`].
    Connections {
        /// The table.
        connections: Vec<ConnectionEntry>,
    },
    /// [`Request::Shares`].
    Shares {
        /// The server's shares, hidden ones included.
        shares: Vec<ShareEntry>,
    },
    /// [`Request::ResourceInformation`].
    ResourceInformation {
        /// `\\server\share`.
        remote_name: String,
        /// The rest of the path, `\dir\file`, if any.
        remaining_path: Option<String>,
        /// Whether the path is a directory.
        is_directory: bool,
    },
    /// [`Request::ServeShare`]: where the share is mounted.
    Served {
        /// The directory serving `\\server\share`.
        mount_point: String,
    },
    /// [`Request::FileChannel`]: the channel is open; binary frames follow.
    FileChannel {
        /// The most one read may ask of the server (the client reads ahead in pieces of it).
        max_read: u32,
        /// The most one write may carry.
        max_write: u32,
    },
    /// [`Request::DfsTargets`].
    DfsTargets {
        /// Where the path lands: the share that holds it and the path below.
        physical: UncName,
        /// The referrals followed, in order (none: the path is in no namespace).
        hops: Vec<DfsReferralHop>,
        /// Referral requests the agent has sent since it started (each cache miss costs one).
        referral_requests: u64,
    },
    /// [`Request::Neighbourhood`].
    Neighbourhood {
        /// What the agent has heard.
        view: Neighbourhood,
        /// How old its last complete round of discovery is, in seconds.
        round_age_secs: u64,
    },
    /// The request failed.
    Error(ErrorReply),
}

/// A [`WinError`] across the socket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorReply {
    /// The Win32 code.
    pub code: u32,
    /// The NTSTATUS behind it.
    pub ntstatus: Option<u32>,
    /// Any other cause, as text.
    pub detail: Option<String>,
    /// What kind of cause `detail` explains, when it is typed (absent for `Cause::Other`;
    /// a reply without it reads as before, `detail` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CauseKind>,
}

/// The type of a [`Cause`] other than an NTSTATUS, whose text travels as
/// [`ErrorReply::detail`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CauseKind {
    /// [`Cause::Nrc`].
    Nrc {
        /// The NRC code.
        code: u8,
    },
    /// [`Cause::SessionRefused`].
    SessionRefused {
        /// The RFC 1002 code.
        code: u8,
    },
    /// [`Cause::Os`].
    Os {
        /// The errno.
        errno: i32,
    },
    /// [`Cause::Smb`].
    Smb {
        /// What failed.
        failure: SmbFailure,
    },
    /// [`Cause::NameQuery`].
    NameQuery {
        /// How it failed.
        failure: NameQueryFailure,
    },
    /// [`Cause::Agent`].
    Agent,
    /// [`Cause::Profile`].
    Profile,
    /// [`Cause::LocalPath`].
    LocalPath,
    /// [`Cause::Setting`].
    Setting,
}

impl CauseKind {
    /// The kind of `cause`, or `None` for an NTSTATUS (its own field) or untyped text.
    fn of(cause: &Cause) -> Option<CauseKind> {
        Some(match cause {
            Cause::Nrc(code) => CauseKind::Nrc { code: *code },
            Cause::SessionRefused(code) => CauseKind::SessionRefused { code: *code },
            Cause::Os(errno) => CauseKind::Os { errno: *errno },
            Cause::Smb { failure, .. } => CauseKind::Smb { failure: *failure },
            Cause::NameQuery { failure, .. } => CauseKind::NameQuery { failure: *failure },
            Cause::Agent(_) => CauseKind::Agent,
            Cause::Profile(_) => CauseKind::Profile,
            Cause::LocalPath(_) => CauseKind::LocalPath,
            Cause::Setting(_) => CauseKind::Setting,
            Cause::NtStatus(_) | Cause::Other(_) => return None,
        })
    }

    /// The cause of this kind that `detail` explains.
    fn cause(self, detail: String) -> Cause {
        match self {
            CauseKind::Nrc { code } => Cause::Nrc(code),
            CauseKind::SessionRefused { code } => Cause::SessionRefused(code),
            CauseKind::Os { errno } => Cause::Os(errno),
            CauseKind::Smb { failure } => Cause::Smb { failure, detail },
            CauseKind::NameQuery { failure } => Cause::NameQuery { failure, detail },
            CauseKind::Agent => Cause::Agent(detail),
            CauseKind::Profile => Cause::Profile(detail),
            CauseKind::LocalPath => Cause::LocalPath(detail),
            CauseKind::Setting => Cause::Setting(detail),
        }
    }
}

impl From<&WinError> for ErrorReply {
    fn from(error: &WinError) -> ErrorReply {
        let (ntstatus, detail) = match &error.cause {
            Some(Cause::NtStatus(status)) => (Some(*status), None),
            Some(other) => (None, Some(other.to_string())),
            None => (None, None),
        };
        ErrorReply {
            code: error.code,
            ntstatus,
            detail,
            kind: error.cause.as_ref().and_then(CauseKind::of),
        }
    }
}

impl From<ErrorReply> for WinError {
    fn from(reply: ErrorReply) -> WinError {
        match (reply.ntstatus, reply.detail, reply.kind) {
            (Some(status), _, _) => WinError::with_cause(reply.code, Cause::NtStatus(status)),
            (None, Some(detail), Some(kind)) => {
                WinError::with_cause(reply.code, kind.cause(detail))
            }
            (None, Some(detail), None) => WinError::with_cause(reply.code, Cause::Other(detail)),
            (None, None, _) => WinError::new(reply.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(local_name: Option<&str>, remote_name: &str) -> ConnectionEntry {
        serde_json::from_value(serde_json::json!({
            "local_name": local_name, "remote_name": remote_name, "user": "",
            "resource_type": 1, "dialect": "3.1.1", "signing": true, "encryption": false
        }))
        .unwrap()
    }

    fn name(text: &str) -> ConnectionName {
        ConnectionName::parse(text).unwrap()
    }

    /// An entry redirects a device by `LocalName`'s rule: a trailing slash does not matter,
    /// the case of a directory does.
    #[test]
    fn an_entry_compares_local_names_by_one_rule() {
        let entry = entry(Some("/mnt/share/"), r"\\s\x");
        assert_eq!(entry.local_name, Some(LocalName::new("/mnt/share")));
        assert!(entry.has_local_name(&LocalName::new("/mnt/share/")));
        assert!(!entry.has_local_name(&LocalName::new("/MNT/SHARE")));
        assert!(entry.is_named_by(&name("/mnt/share")));
        // A redirected device is cancelled by its device, never by its remote name.
        assert!(!entry.is_named_by(&name(r"\\s\x")));
    }

    /// A deviceless connection is named by its remote name, in any case and either form;
    /// `//s/x` is both a directory and a network name.
    #[test]
    fn a_deviceless_entry_is_named_by_its_remote_name() {
        let entry = entry(None, "//s/x");
        assert_eq!(entry.remote_name.to_string(), r"\\s\x");
        assert!(entry.is_named_by(&name(r"\\S\X")));
        assert!(entry.is_named_by(&name("//s/x")));
        assert!(!entry.is_named_by(&name(r"\\s\y")));
        assert!(!entry.is_named_by(&name(r"\\s")));
        // The connection to a server alone is its IPC$, and the server names it.
        let ipc = self::entry(None, r"\\s\IPC$");
        assert!(ipc.is_named_by(&name(r"\\S")));
        assert!(ipc.is_named_by(&name(r"\\s\ipc$")));
        let both = name("//s/x");
        assert!(both.local.is_some() && both.remote.is_some());
        assert_eq!(serde_json::to_string(&both).unwrap(), r#""//s/x""#);
        assert_eq!(
            ConnectionName::parse("nothing").unwrap_err().code,
            codes::ERROR_NOT_CONNECTED
        );
    }

    /// The agent reads only names that parse: a request with a bad one is refused whole.
    #[test]
    fn requests_with_malformed_names_do_not_read() {
        for request in [
            r#"{"op":"add_connection","remote_name":"C:\\x","local_name":null,"credentials":null,"flags":0,"resource_type":1}"#,
            r#"{"op":"add_connection","remote_name":"\\\\s\\x","local_name":"ZZ:","credentials":null,"flags":0,"resource_type":1}"#,
            r#"{"op":"cancel_connection","name":"nothing","force":false}"#,
            r#"{"op":"resource_information","remote_path":"s\\x","credentials":null}"#,
        ] {
            assert!(
                serde_json::from_str::<Request>(request).is_err(),
                "{request}"
            );
        }
    }

    #[test]
    fn requests_round_trip_and_passwords_stay_out_of_debug() {
        let request = RequestEnvelope {
            version: PROTOCOL_VERSION,
            request: Request::AddConnection {
                remote_name: UncName::parse(r"\\srv\share").unwrap(),
                local_name: None,
                credentials: Some(WireCredentials {
                    user: "alice".into(),
                    domain: "LAB".into(),
                    password: WireSecret("s3cret-pw".into()),
                    source: "explicit".into(),
                    explicit: true,
                }),
                flags: 0,
                resource_type: 1,
                logon: Logon::default(),
            },
        };
        let json = serde_json::to_string(&request).unwrap();
        assert!(json.contains("\"op\":\"add_connection\""), "{json}");
        let back: RequestEnvelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back, request);
        assert!(!format!("{request:?}").contains("s3cret-pw"));
    }

    #[test]
    fn credential_cache_names_are_bounded_and_name_the_users_caches() {
        for good in [
            "FILE:/tmp/krb5cc_1000",
            "/tmp/krb5cc_1000",
            "DIR:/run/user/1000/krb5cc",
            "DIR::/run/user/1000/krb5cc/tkt",
            "KEYRING:persistent:1000",
            "KCM:",
            "KCM:1000",
        ] {
            let name = CredentialCacheName::parse(good).unwrap();
            assert_eq!(name.as_str(), good);
        }
        for bad in [
            "",
            "MEMORY:x",
            "file:/tmp/x",
            "FILE:relative/cc",
            "DIR:cc",
            "krb5cc",
            "FILE:/tmp/x\nKCM:",
            "FILE:/tmp/\u{7}",
        ] {
            let error = CredentialCacheName::parse(bad).unwrap_err();
            assert_eq!(error.code, codes::ERROR_INVALID_PARAMETER, "{bad:?}");
        }
        let long = format!("FILE:/{}", "a".repeat(MAX_CCACHE_NAME));
        assert!(CredentialCacheName::parse(&long).is_err());
        // A request naming a bad cache is refused whole; one naming none reads as before.
        let request =
            r#"{"op":"shares","server":"s","credentials":null,"logon":{"ccache":"MEMORY:x"}}"#;
        assert!(serde_json::from_str::<Request>(request).is_err());
        let old = r#"{"op":"shares","server":"s","credentials":null}"#;
        let Request::Shares { logon, .. } = serde_json::from_str(old).unwrap() else {
            panic!("not a shares request");
        };
        assert_eq!(logon, Logon::default());
    }

    #[test]
    fn a_relative_cache_path_is_made_absolute_for_the_agent() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            absolute_ccache_name("FILE:cc"),
            format!("FILE:{}", here.join("cc").display())
        );
        assert_eq!(
            absolute_ccache_name("cc"),
            here.join("cc").display().to_string()
        );
        assert_eq!(
            absolute_ccache_name("DIR::d/tkt"),
            format!("DIR::{}", here.join("d/tkt").display())
        );
        for kept in ["FILE:/tmp/cc", "KEYRING:persistent:1000", "KCM:", "/tmp/cc"] {
            assert_eq!(absolute_ccache_name(kept), kept);
        }
    }

    #[test]
    fn a_logon_crosses_with_its_cache_and_mechanism() {
        let logon = Logon {
            ccache: Some(CredentialCacheName::parse("FILE:/tmp/cc").unwrap()),
            mechanism: Some(RequiredMechanism::Kerberos),
        };
        let json = serde_json::to_string(&logon).unwrap();
        assert_eq!(json, r#"{"ccache":"FILE:/tmp/cc","mechanism":"kerberos"}"#);
        assert_eq!(serde_json::from_str::<Logon>(&json).unwrap(), logon);
        assert_eq!(serde_json::to_string(&Logon::default()).unwrap(), "{}");
    }

    #[test]
    fn errors_keep_their_cause() {
        let error = WinError::with_cause(1326, Cause::NtStatus(0xC000_006D));
        let reply = ErrorReply::from(&error);
        let json = serde_json::to_string(&Response::Error(reply)).unwrap();
        let Response::Error(back) = serde_json::from_str(&json).unwrap() else {
            panic!("not an error: {json}");
        };
        assert_eq!(WinError::from(back), error);
    }

    #[test]
    fn typed_causes_cross_and_old_replies_still_read() {
        for cause in [
            Cause::Smb {
                failure: SmbFailure::ConnectionLost,
                detail: "connection lost: the server closed the connection".into(),
            },
            Cause::NameQuery {
                failure: NameQueryFailure::Timeout,
                detail: "192.0.2.1:137: no answer within 750 ms".into(),
            },
            Cause::Profile("bad file".into()),
            Cause::Os(2), // ENOENT
            Cause::Nrc(0x14),
            Cause::Other("words".into()),
        ] {
            let error = WinError::with_cause(59, cause);
            let json = serde_json::to_string(&Response::Error(ErrorReply::from(&error))).unwrap();
            let Response::Error(back) = serde_json::from_str(&json).unwrap() else {
                panic!("not an error: {json}");
            };
            assert_eq!(WinError::from(back), error, "{json}");
        }
        // A reply of the fields before `kind` reads as it did: its detail as words.
        let old = r#"{"result":"error","code":59,"ntstatus":null,"detail":"gone"}"#;
        let Response::Error(back) = serde_json::from_str(old).unwrap() else {
            panic!("not an error");
        };
        assert_eq!(
            WinError::from(back),
            WinError::with_cause(59, Cause::Other("gone".into()))
        );
    }
}
