//! Sessions and their reuse: one user per server, the session held shared by every
//! connection to its server, idle sessions logged off when their time is up.

use tokio::time::Instant;

use wnet_smb2::client::SessionOptions;
use wnet_smb2::wire::dialect;

use wnet::agent_protocol::{Logon, RequiredMechanism, WireCredentials};
use wnet::error::{Cause, WinError, codes};

use crate::provider::{Provider, ProviderSession};

use super::{Workstation, lock};

fn user_label(credentials: Option<&WireCredentials>) -> String {
    match credentials {
        Some(credentials) if credentials.domain.is_empty() => credentials.user.clone(),
        Some(credentials) => format!("{}\\{}", credentials.domain, credentials.user),
        None => String::new(),
    }
}

fn same_user(existing: &str, asked: &WireCredentials) -> bool {
    same_account(existing, &asked.user, &asked.domain)
}

/// Whether the session label `existing` (`DOMAIN\user`, `user`, a Kerberos principal
/// `user@REALM`, or empty) is `domain\user`. A realm is its domain by its DNS name or, as the
/// NetBIOS domain name usually is, its first label.
pub(super) fn same_account(existing: &str, user: &str, domain: &str) -> bool {
    let (existing_domain, existing_user) = match existing.split_once('\\') {
        Some((domain, user)) => (domain, user),
        None => match existing.rsplit_once('@') {
            Some((user, realm)) => (realm, user),
            None => ("", existing),
        },
    };
    let realm_label = existing_domain.split('.').next().unwrap_or_default();
    existing_user.eq_ignore_ascii_case(user)
        && (domain.is_empty()
            || existing_domain.is_empty()
            || existing_domain.eq_ignore_ascii_case(domain)
            || realm_label.eq_ignore_ascii_case(domain))
}

/// Whether a session that says it authenticated as `authentication` (`Kerberos`, `NTLM`, or
/// `NTLM (Kerberos not used: why)`) did so with `mechanism`.
fn authenticated_with(authentication: &str, mechanism: RequiredMechanism) -> bool {
    match mechanism {
        RequiredMechanism::Kerberos => authentication == "Kerberos",
        RequiredMechanism::Ntlm => authentication.starts_with("NTLM"),
    }
}

fn mechanism_name(mechanism: RequiredMechanism) -> &'static str {
    match mechanism {
        RequiredMechanism::Kerberos => "Kerberos",
        RequiredMechanism::Ntlm => "NTLM",
    }
}

pub(super) fn credential_conflict(server: &str, user: &str) -> WinError {
    WinError::with_cause(
        codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
        Cause::Other(format!(
            "the agent holds a session with {server} as {}",
            if user.is_empty() { "anonymous" } else { user }
        )),
    )
}

pub(super) fn dialect_name(value: u16) -> String {
    match value {
        dialect::SMB_2_0_2 => "2.0.2".into(),
        dialect::SMB_2_1 => "2.1".into(),
        dialect::SMB_3_0 => "3.0".into(),
        dialect::SMB_3_0_2 => "3.0.2".into(),
        dialect::SMB_3_1_1 => "3.1.1".into(),
        other => format!("{other:#06x}"),
    }
}

/// Where a connection's credentials came from, for `-v` output: for a new session without
/// credentials that `authentication` says is Kerberos, the tickets of `logon`'s cache.
pub(super) fn credential_source(
    reused: bool,
    server: &str,
    user: &str,
    credentials: Option<&WireCredentials>,
    logon: &Logon,
    authentication: &str,
) -> String {
    if !reused && credentials.is_none() && authentication == "Kerberos" {
        let cache = logon.ccache.as_ref().map_or_else(
            || "the agent's default credential cache".to_owned(),
            ToString::to_string,
        );
        return format!("the Kerberos tickets of {user} in {cache}");
    }
    if reused {
        format!(
            "reused the agent's session with {server} as {}",
            if user.is_empty() { "anonymous" } else { user }
        )
    } else {
        credentials.map_or_else(
            || "anonymous (no credentials given or found)".to_owned(),
            |credentials| credentials.source.clone(),
        )
    }
}

impl<P: Provider> Workstation<P> {
    /// Logs off the idle sessions whose time is up (the agent calls this periodically).
    pub async fn close_expired_sessions(&self) {
        let expired = lock(&self.table).idle.expired(Instant::now());
        for session in expired {
            tracing::debug!("logging off an idle session");
            let _ = session.logoff().await;
        }
    }

    /// Whether an idle session's time is up.
    pub fn has_expired_sessions(&self) -> bool {
        lock(&self.table).idle.any_expired(Instant::now())
    }

    /// The session with `server`: the one held, if its user fits, or a new one (not yet in
    /// the table: the caller adds it). Returns whether it was reused.
    pub(super) async fn session_for(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        options: &SessionOptions,
    ) -> Result<(P::Session, String, bool), WinError> {
        let key = server.to_ascii_lowercase();
        let held = lock(&self.table)
            .servers
            .get(&key)
            .map(|entry| (entry.session.clone(), entry.user.clone()));
        if let Some((session, user)) = held {
            if let Some(asked) = credentials.filter(|asked| asked.explicit)
                && !same_user(&user, asked)
            {
                return Err(credential_conflict(server, &user));
            }
            if (options.require_signing && !session.is_signing())
                || (options.require_encryption && !session.is_encrypting())
            {
                return Err(WinError::with_cause(
                    codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
                    Cause::Other(format!(
                        "the session held with {server} is not signed or encrypted as required; \
                         cancel its connections first"
                    )),
                ));
            }
            if let Some(required) = logon.mechanism
                && !authenticated_with(&session.authentication(), required)
            {
                return Err(WinError::with_cause(
                    codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
                    Cause::Other(format!(
                        "the session held with {server} was authenticated with {}, not {}; \
                         cancel its connections first",
                        session.authentication(),
                        mechanism_name(required)
                    )),
                ));
            }
            if session.is_connected() {
                return Ok((session, user, true));
            }
            // The held session's connection is lost: a new session for this connection (the
            // entry stays, with what reconnects its connections, until the new one replaces
            // it).
        }
        let session = self
            .provider
            .open_session(server, credentials, logon, options)
            .await?;
        // A logon from tickets runs as their principal, which only the session knows.
        let user = match (credentials, session.principal()) {
            (None, Some(principal)) => principal,
            _ => user_label(credentials),
        };
        Ok((session, user, false))
    }

    pub(super) async fn drop_unused_sessions<'a>(&self, servers: impl Iterator<Item = &'a str>) {
        let mut unused = Vec::new();
        {
            let mut table = lock(&self.table);
            for server in servers {
                let in_use = table.connections.iter().any(|row| row.server_key == server);
                if !in_use && let Some(entry) = table.servers.remove(server) {
                    unused.push(entry.session);
                }
            }
        }
        for session in unused {
            let _ = session.logoff().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet::agent_protocol::WireSecret;

    fn credentials(user: &str, domain: &str) -> WireCredentials {
        WireCredentials {
            user: user.into(),
            domain: domain.into(),
            password: WireSecret(String::new()),
            source: String::new(),
            explicit: true,
        }
    }

    #[test]
    fn users_compare_as_windows_does() {
        assert!(same_user("wnetalice", &credentials("WNETALICE", "")));
        assert!(same_user("LAB\\wnetalice", &credentials("wnetalice", "")));
        assert!(same_user(
            "LAB\\wnetalice",
            &credentials("wnetalice", "lab")
        ));
        assert!(!same_user(
            "LAB\\wnetalice",
            &credentials("wnetalice", "OTHER")
        ));
        assert!(!same_user("wnetalice", &credentials("wnetbob", "")));
        assert!(!same_user("", &credentials("wnetbob", "")));
    }

    #[test]
    fn a_kerberos_principal_is_its_user_in_its_domain() {
        let principal = "alice@CORP.EXAMPLE.TEST";
        assert!(same_user(principal, &credentials("alice", "")));
        assert!(same_user(principal, &credentials("ALICE", "corp")));
        assert!(same_user(
            principal,
            &credentials("alice", "corp.example.test")
        ));
        assert!(!same_user(principal, &credentials("alice", "OTHER")));
        assert!(!same_user(principal, &credentials("bob", "CORP")));
    }
}
