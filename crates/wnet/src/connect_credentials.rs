//! The credentials a connection to a server uses: the caller's, else the environment's, else
//! the credential file's, else none (anonymous), in the agent protocol's form. Both the WNet
//! API and the agent (restoring remembered connections) resolve them here.

use crate::agent_protocol::{WireCredentials, WireSecret};
use crate::credentials::{self, CredentialSource, Credentials};
use crate::error::{Cause, WinError, codes};

fn wire(credentials: &Credentials, source: &CredentialSource, explicit: bool) -> WireCredentials {
    WireCredentials {
        user: credentials.user.clone(),
        domain: credentials.domain.clone(),
        password: WireSecret(credentials.password.expose().to_owned()),
        source: source.to_string(),
        explicit,
    }
}

/// A non-empty environment variable.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The credentials for `server`: the caller's, else the environment's, else the credential
/// file's, else none (anonymous).
pub fn resolve_credentials(
    server: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Option<WireCredentials>, WinError> {
    if user.is_some() || password.is_some() {
        let name = user
            .map(str::to_owned)
            .or_else(|| env(credentials::USER_VARIABLE))
            .or_else(|| env("USER"))
            .unwrap_or_default();
        let given = Credentials::from_name(
            &name,
            credentials::Secret::new(password.unwrap_or_default().to_owned()),
        );
        return Ok(Some(wire(
            &given,
            &CredentialSource::Explicit,
            user.is_some(),
        )));
    }
    let file = credentials::credential_file_path();
    let (found, source) =
        credentials::default_credentials(server, &env, file.as_deref()).map_err(|error| {
            WinError::with_cause(
                codes::ERROR_CANNOT_OPEN_PROFILE,
                Cause::Profile(error.to_string()),
            )
        })?;
    Ok(match source {
        CredentialSource::Anonymous => None,
        CredentialSource::Environment => Some(wire(&found, &source, true)),
        _ => Some(wire(&found, &source, false)),
    })
}
