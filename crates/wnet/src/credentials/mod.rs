//! Credentials for a connection when the caller gives none: what Windows calls "the logon".
//!
//! Scripts written for Windows pass no user name or password and expect the interactive logon
//! to be used. On Linux there is no such logon to borrow, so [`default_credentials`] looks, in
//! this order, at `WNET_USER`/`WNET_PASSWORD` in the environment, at the user's credential file
//! (one section per server, in Samba's credentials-file keys) and finally falls back to an
//! anonymous session. [`CredentialSource`] says which one was used, for a `-v` log line; no
//! text this module produces ever contains a password.
//!
//! The credential file's format and its checks are in `file` ([`CredentialFile`]), the
//! password type in `secret` ([`Secret`]); both are re-exported here.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config_dir::config_dir;

mod file;
mod secret;

pub use file::{CredentialError, CredentialFile};
pub use secret::Secret;

/// The environment variable naming the user for [`default_credentials`].
pub const USER_VARIABLE: &str = "WNET_USER";
/// The environment variable holding the password for [`default_credentials`].
pub const PASSWORD_VARIABLE: &str = "WNET_PASSWORD";
/// The name of the credential file in the configuration directory.
pub const CREDENTIAL_FILE_NAME: &str = "credentials";

/// A user, the domain it belongs to and its password. All three empty means anonymous.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The user name, without its domain.
    pub user: String,
    /// The domain (or workgroup, or the server's own name for a local account); may be empty.
    pub domain: String,
    /// The password.
    pub password: Secret,
}

impl Credentials {
    /// Credentials for the user `name` (any form [`Credentials::parse_user`] accepts).
    pub fn from_name(name: &str, password: Secret) -> Credentials {
        let (domain, user) = Credentials::parse_user(name);
        Credentials {
            user,
            domain,
            password,
        }
    }

    /// Splits a user name as Windows accepts it into `(domain, user)`: `DOMAIN\user` (at the
    /// first backslash), `user@domain.tld` (at the last `@`; the domain is what follows it) or
    /// a plain `user`, whose domain is empty.
    pub fn parse_user(name: &str) -> (String, String) {
        if let Some((domain, user)) = name.split_once('\\') {
            (domain.to_owned(), user.to_owned())
        } else if let Some((user, domain)) = name.rsplit_once('@') {
            (domain.to_owned(), user.to_owned())
        } else {
            (String::new(), name.to_owned())
        }
    }

    /// No user, no domain, no password: an anonymous (null) session.
    pub fn anonymous() -> Credentials {
        Credentials::default()
    }

    /// Whether these are the anonymous credentials.
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.domain.is_empty() && self.password.is_empty()
    }

    /// The user as Windows writes it: `DOMAIN\user`, or `user` when there is no domain.
    pub fn qualified_user(&self) -> String {
        if self.domain.is_empty() {
            self.user.clone()
        } else {
            format!("{}\\{}", self.domain, self.user)
        }
    }
}

/// Where [`default_credentials`] found the credentials it returned. Its text, meant for a `-v`
/// log line, never contains the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// The caller gave them.
    Explicit,
    /// `WNET_USER` and `WNET_PASSWORD` (or `WNET_PASSWORD` and `USER`) in the environment.
    Environment,
    /// A section of the credential file.
    CredentialFile {
        /// The section's name as the file writes it.
        section: String,
        /// The file.
        path: PathBuf,
    },
    /// Nothing was found: an anonymous session.
    Anonymous,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Explicit => f.write_str("credentials given by the caller"),
            CredentialSource::Environment => {
                write!(
                    f,
                    "{USER_VARIABLE}/{PASSWORD_VARIABLE} from the environment"
                )
            }
            CredentialSource::CredentialFile { section, path } => {
                write!(f, "saved credentials for {section} in {}", path.display())
            }
            CredentialSource::Anonymous => f.write_str("anonymous (no credentials found)"),
        }
    }
}

/// `<config_dir>/credentials` (see [`config_dir`]).
pub fn credential_file_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join(CREDENTIAL_FILE_NAME))
}

/// The credentials to use for `server` when the caller gives none, and where they came from.
///
/// In order:
/// 1. `WNET_USER` (any form [`Credentials::parse_user`] accepts) with `WNET_PASSWORD`; without
///    `WNET_PASSWORD` the password is empty. `WNET_PASSWORD` without `WNET_USER` is used with
///    the user in `USER` (else `LOGNAME`), as Samba's `PASSWD` is; with neither it is ignored.
/// 2. The section for `server` in the credential file `file`, if one is given (normally
///    [`credential_file_path`]). Only that one name is looked up: a caller that knows the
///    server by several names (NetBIOS, DNS, address) calls again with the others.
/// 3. Anonymous.
///
/// The environment is read through `env`. The only errors are those of the credential file
/// (unreadable, insecure, another user's, a syntax error); the caller decides whether to stop
/// or to go on anonymously.
pub fn default_credentials(
    server: &str,
    env: &dyn Fn(&str) -> Option<String>,
    file: Option<&Path>,
) -> Result<(Credentials, CredentialSource), CredentialError> {
    let get = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(user) = get(USER_VARIABLE) {
        let password = Secret::new(env(PASSWORD_VARIABLE).unwrap_or_default());
        return Ok((
            Credentials::from_name(&user, password),
            CredentialSource::Environment,
        ));
    }
    if let Some(password) = get(PASSWORD_VARIABLE).map(Secret::new)
        && let Some(user) = get("USER").or_else(|| get("LOGNAME"))
    {
        return Ok((
            Credentials::from_name(&user, password),
            CredentialSource::Environment,
        ));
    }
    if let Some(path) = file {
        let store = CredentialFile::load(path)?;
        if let Some((section, credentials)) = store.lookup(server) {
            return Ok((
                credentials,
                CredentialSource::CredentialFile {
                    section,
                    path: path.to_owned(),
                },
            ));
        }
    }
    Ok((Credentials::anonymous(), CredentialSource::Anonymous))
}

#[cfg(test)]
mod tests {
    use super::file::tests::{SAMPLE, creds, parsed};
    use super::*;
    use crate::test_dir::TempDir;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn user_names_split_into_domain_and_user() {
        let split = |name: &str| Credentials::parse_user(name);
        assert_eq!(split(r"WNETLAB\alice"), ("WNETLAB".into(), "alice".into()));
        assert_eq!(
            split("alice@corp.example.com"),
            ("corp.example.com".into(), "alice".into())
        );
        assert_eq!(
            split("a@b@corp.example"),
            ("corp.example".into(), "a@b".into())
        );
        assert_eq!(split("alice"), (String::new(), "alice".into()));
        assert_eq!(split(""), (String::new(), String::new()));
        assert!(Credentials::anonymous().is_anonymous());
        assert!(!creds("alice", "", "").is_anonymous());
        assert_eq!(creds("alice", "LAB", "x").qualified_user(), r"LAB\alice");
        assert_eq!(creds("alice", "", "x").qualified_user(), "alice");
    }

    #[test]
    fn the_environment_comes_first_then_the_file_then_anonymous() {
        let dir = TempDir::new("credentials");
        let path = dir.file(SAMPLE, 0o600);
        let env_of = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };

        let env = env_of(&[
            ("WNET_USER", r"ENVDOM\envuser"),
            ("WNET_PASSWORD", "env pw"),
            ("USER", "unix"),
        ]);
        let (found, source) = default_credentials("LABSERVER", &env, Some(&path))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(found, creds("envuser", "ENVDOM", "env pw"));
        assert_eq!(source, CredentialSource::Environment);
        assert_eq!(
            source.to_string(),
            "WNET_USER/WNET_PASSWORD from the environment"
        );

        let env = env_of(&[("WNET_USER", "solo")]);
        let (found, _) = default_credentials("LABSERVER", &env, Some(&path))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(found, creds("solo", "", ""));

        let env = env_of(&[("WNET_PASSWORD", "pw only"), ("USER", "unix")]);
        let (found, source) = default_credentials("LABSERVER", &env, Some(&path))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(found, creds("unix", "", "pw only"));
        assert_eq!(source, CredentialSource::Environment);

        // WNET_PASSWORD with no user to go with it is ignored.
        let env = env_of(&[("WNET_PASSWORD", "pw only"), ("WNET_USER", "")]);
        let (found, source) = default_credentials("labserver", &env, Some(&path))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(found, creds("wnetalice", "WNETLAB", "Alice-lab-pw1"));
        assert_eq!(
            source.to_string(),
            format!("saved credentials for LABSERVER in {}", path.display())
        );

        let (found, source) = default_credentials("otherhost", &no_env, Some(&path))
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(found.is_anonymous());
        assert_eq!(source.to_string(), "anonymous (no credentials found)");
        let (found, _) = default_credentials("LABSERVER", &no_env, None)
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(found.is_anonymous());

        // An insecure file is an error, not a silent fallback.
        let path = dir.file(SAMPLE, 0o644);
        assert!(matches!(
            default_credentials("LABSERVER", &no_env, Some(&path)),
            Err(CredentialError::Insecure { .. })
        ));
        assert_eq!(
            CredentialSource::Explicit.to_string(),
            "credentials given by the caller"
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_or_display() {
        let credentials = creds("alice", "LAB", "Sup3r-secret");
        let printed = format!("{credentials:?} {credentials:#?} {}", credentials.password);
        assert!(!printed.contains("Sup3r-secret"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert_eq!(credentials.password.expose(), "Sup3r-secret");
        let store = parsed(SAMPLE);
        let printed = format!("{store:?}");
        assert!(!printed.contains("Alice-lab-pw1"), "{printed}");
    }
}
