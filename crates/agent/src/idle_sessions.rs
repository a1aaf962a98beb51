//! Sessions kept for a while after a listing or a resource lookup that opened them, as
//! Windows' redirector keeps an idle session: the next listing of the same server with the
//! same credentials then costs no NEGOTIATE and SESSION_SETUP.
//!
//! A kept session is found again only with the same credentials — user, domain *and*
//! password — so a wrong password never rides on a session another call authenticated. The
//! store holds no password: it compares a keyed digest of the credentials (HMAC-SHA256 under a
//! key drawn at start, never written anywhere).

use std::time::Duration;

use tokio::time::Instant;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use wnet::agent_protocol::{Logon, RequiredMechanism, WireCredentials};

use crate::provider::ProviderSession;

/// The most sessions kept at once; beyond it, the oldest is logged off.
pub(crate) const CAPACITY: usize = 32;

/// What identifies the credentials a session was set up with, without holding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CredentialDigest([u8; 32]);

struct IdleSession<S> {
    /// Lower-cased server name, as the caller named it.
    server_key: String,
    digest: CredentialDigest,
    session: S,
    expires: Instant,
}

/// The kept sessions, oldest first.
pub(crate) struct IdleSessions<S> {
    /// The digest key; `None` (no randomness available) keeps nothing.
    key: Option<[u8; 32]>,
    timeout: Duration,
    sessions: Vec<IdleSession<S>>,
}

impl<S> std::fmt::Debug for IdleSessions<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdleSessions")
            .field("timeout", &self.timeout)
            .field("kept", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl<S: ProviderSession> IdleSessions<S> {
    /// A store keeping sessions for `timeout` after their last use (zero keeps none).
    pub(crate) fn new(timeout: Duration) -> IdleSessions<S> {
        let mut key = [0; 32];
        let key = match getrandom::fill(&mut key) {
            Ok(()) => Some(key),
            Err(error) => {
                tracing::warn!(%error, "no randomness for the session digest; idle sessions are not kept");
                None
            }
        };
        IdleSessions {
            key,
            timeout,
            sessions: Vec::new(),
        }
    }

    /// How many sessions are kept.
    pub(crate) fn len(&self) -> usize {
        self.sessions.len()
    }

    /// The digest of `credentials` (`None`: anonymous, or the tickets of `logon`'s cache)
    /// and of what `logon` requires, or `None` when nothing is kept.
    pub(crate) fn digest(
        &self,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Option<CredentialDigest> {
        let key = self.key.filter(|_| !self.timeout.is_zero())?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
        // Another cache may hold another principal's tickets; another required mechanism
        // may refuse the session kept.
        let cache = logon.ccache.as_ref().map_or("", |name| name.as_str());
        let mechanism = match logon.mechanism {
            None => "",
            Some(RequiredMechanism::Kerberos) => "kerberos",
            Some(RequiredMechanism::Ntlm) => "ntlm",
        };
        let (domain, user) = credentials.map_or((String::new(), String::new()), |credentials| {
            (
                credentials.domain.to_lowercase(),
                credentials.user.to_lowercase(),
            )
        });
        let password = credentials.map_or("", |credentials| credentials.password.0.as_str());
        let account = if credentials.is_some() {
            "account"
        } else {
            "anonymous"
        };
        // Each field with its length, so that no two different lists run together into the
        // same bytes; names compare case-insensitively, as Windows does.
        let fields = [cache, mechanism, account, &domain, &user, password];
        let length: usize = fields.iter().map(|field| 8 + field.len()).sum();
        // The message is whole SHA-256 blocks (zeros after the fields), made in one buffer
        // that is zeroed when dropped and never grows: the hash then reads it in place and
        // copies none of it (the password) into its own block buffer, which nothing wipes.
        let mut message = Zeroizing::new(Vec::with_capacity(length.next_multiple_of(64)));
        for field in fields {
            message.extend_from_slice(&(field.len() as u64).to_le_bytes());
            message.extend_from_slice(field.as_bytes());
        }
        message.resize(length.next_multiple_of(64), 0);
        mac.update(&message);
        Some(CredentialDigest(mac.finalize().into_bytes().into()))
    }

    /// Takes the kept session with `server_key` for `digest`, if it is still connected.
    pub(crate) fn take(&mut self, server_key: &str, digest: CredentialDigest) -> Option<S> {
        let index = self
            .sessions
            .iter()
            .position(|kept| kept.server_key == server_key && kept.digest == digest)?;
        let kept = self.sessions.remove(index);
        kept.session.is_connected().then_some(kept.session)
    }

    /// Keeps `session` for the store's timeout. Returns the sessions to log off: `session`
    /// itself when an equal one is kept already (two listings ran at once) or its connection
    /// is gone, else the oldest one when the store is full.
    pub(crate) fn keep(
        &mut self,
        server_key: &str,
        digest: CredentialDigest,
        session: S,
        now: Instant,
    ) -> Option<S> {
        let duplicate = self
            .sessions
            .iter()
            .any(|kept| kept.server_key == server_key && kept.digest == digest);
        if duplicate || !session.is_connected() {
            return Some(session);
        }
        self.sessions.push(IdleSession {
            server_key: server_key.to_owned(),
            digest,
            session,
            expires: now + self.timeout,
        });
        (self.sessions.len() > CAPACITY).then(|| self.sessions.remove(0).session)
    }

    /// Takes the sessions whose time is up at `now`.
    pub(crate) fn expired(&mut self, now: Instant) -> Vec<S> {
        let (expired, kept) = std::mem::take(&mut self.sessions)
            .into_iter()
            .partition(|kept| kept.expires <= now);
        self.sessions = kept;
        expired.into_iter().map(|kept| kept.session).collect()
    }

    /// Whether a session's time is up at `now`.
    pub(crate) fn any_expired(&self, now: Instant) -> bool {
        self.sessions.iter().any(|kept| kept.expires <= now)
    }

    /// Takes every kept session (shutdown).
    pub(crate) fn drain(&mut self) -> Vec<S> {
        self.sessions.drain(..).map(|kept| kept.session).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet::agent_protocol::WireSecret;

    fn credentials(domain: &str, user: &str, password: &str) -> WireCredentials {
        WireCredentials {
            user: user.into(),
            domain: domain.into(),
            password: WireSecret(password.into()),
            source: "test".into(),
            explicit: true,
        }
    }

    #[test]
    fn digests_tell_credentials_apart_by_every_field() {
        let store = IdleSessions::<wnet_smb2::Session>::new(Duration::from_secs(60));
        let digest = |c: Option<&WireCredentials>| store.digest(c, &Logon::default()).unwrap();
        let alice = credentials("LAB", "alice", "pw1");
        assert_eq!(
            digest(Some(&alice)),
            digest(Some(&credentials("lab", "ALICE", "pw1")))
        );
        assert_ne!(
            digest(Some(&alice)),
            digest(Some(&credentials("LAB", "alice", "pw2")))
        );
        assert_ne!(
            digest(Some(&alice)),
            digest(Some(&credentials("LAB", "bob", "pw1")))
        );
        assert_ne!(
            digest(Some(&alice)),
            digest(Some(&credentials("", "alice", "pw1")))
        );
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            digest(Some(&credentials("ab", "c", "x"))),
            digest(Some(&credentials("a", "bc", "x")))
        );
        assert_ne!(digest(None), digest(Some(&credentials("", "", ""))));
        // Tickets from another cache, or another mechanism required, are another logon.
        let cache = |name: &str| Logon {
            ccache: Some(wnet::agent_protocol::CredentialCacheName::parse(name).unwrap()),
            mechanism: None,
        };
        let tickets = |logon: &Logon| store.digest(None, logon).unwrap();
        assert_ne!(
            tickets(&cache("FILE:/tmp/a")),
            tickets(&cache("FILE:/tmp/b"))
        );
        assert_ne!(tickets(&cache("FILE:/tmp/a")), digest(None));
        assert_ne!(
            tickets(&Logon::default().requiring(Some(RequiredMechanism::Kerberos))),
            digest(None)
        );
        // Another store (another agent) digests with another key.
        let other = IdleSessions::<wnet_smb2::Session>::new(Duration::from_secs(60));
        assert_ne!(
            other.digest(Some(&alice), &Logon::default()),
            store.digest(Some(&alice), &Logon::default())
        );
    }

    #[test]
    fn a_zero_timeout_keeps_nothing() {
        let store = IdleSessions::<wnet_smb2::Session>::new(Duration::ZERO);
        assert_eq!(store.digest(None, &Logon::default()), None);
        assert_eq!(store.len(), 0);
    }
}
