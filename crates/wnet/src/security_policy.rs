//! The redirector's security policy: what a session must prove before wnet uses it.
//!
//! The defaults are Windows 11 24H2's: every authenticated session is signed
//! (`RequireSecuritySignature`), and a server that logs a session on as guest — checking no
//! password, able neither to sign nor to encrypt — is refused with
//! ERROR_SMB_GUEST_LOGON_BLOCKED (1272) (`AllowInsecureGuestAuth` off). An anonymous session,
//! which the caller asks for by giving no credentials where none are configured, cannot sign
//! and is not held to the first rule; `/integrity` still refuses it.
//!
//! Each setting is named after the Windows value it mirrors (under
//! `HKLM\SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters`) and is read, the
//! later winning, from:
//!
//! 1. the settings file, [`SETTINGS_FILE_NAME`] in the configuration directory
//!    (`Name = value` lines, `#` comments; values `1`/`0`, `yes`/`no`, `true`/`false`);
//! 2. the environment: `WNET_REQUIRE_SECURITY_SIGNATURE`, `WNET_ALLOW_INSECURE_GUEST_AUTH`,
//!    `WNET_BLOCK_NTLM`.
//!
//! `BlockNTLM` (off by default) keeps NTLM from being used at all: Kerberos or nothing.
//!
//! A value that is not one of those, or an unknown name in the file, is an error that names
//! it: a policy is never guessed.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use wnet_host::user_state::open_private_read;

use crate::config_dir::config_dir;
use crate::error::{Cause, WinError, codes};

/// The settings file's name in the configuration directory.
pub const SETTINGS_FILE_NAME: &str = "settings";
/// The environment variable for [`SecurityPolicy::require_security_signature`].
pub const REQUIRE_SIGNATURE_VARIABLE: &str = "WNET_REQUIRE_SECURITY_SIGNATURE";
/// The environment variable for [`SecurityPolicy::allow_insecure_guest_auth`].
pub const ALLOW_GUEST_VARIABLE: &str = "WNET_ALLOW_INSECURE_GUEST_AUTH";
/// The environment variable for [`SecurityPolicy::block_ntlm`].
pub const BLOCK_NTLM_VARIABLE: &str = "WNET_BLOCK_NTLM";

/// The settings name of [`SecurityPolicy::require_security_signature`].
const REQUIRE_SIGNATURE_NAME: &str = "RequireSecuritySignature";
/// The settings name of [`SecurityPolicy::allow_insecure_guest_auth`].
const ALLOW_GUEST_NAME: &str = "AllowInsecureGuestAuth";
/// The settings name of [`SecurityPolicy::block_ntlm`].
const BLOCK_NTLM_NAME: &str = "BlockNTLM";

/// What a session must prove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct SecurityPolicy {
    /// Sign every message of every authenticated session, whatever the server asks
    /// (Windows' `RequireSecuritySignature`, on by default since Windows 11 24H2). Off, a
    /// session signs only where the server requires it or the caller asks (`/integrity`).
    pub require_security_signature: bool,
    /// Accept a session the server logs on as guest (Windows' `AllowInsecureGuestAuth`, off
    /// by default). Even on, a guest session cannot sign, so it also needs
    /// `require_security_signature` off.
    pub allow_insecure_guest_auth: bool,
    /// Never authenticate with NTLM (Windows' SMB client `BlockNTLM`, off by default): a
    /// session is Kerberos or nothing, as hardened domains run.
    #[serde(default)]
    pub block_ntlm: bool,
}

impl Default for SecurityPolicy {
    fn default() -> SecurityPolicy {
        SecurityPolicy {
            require_security_signature: true,
            allow_insecure_guest_auth: false,
            block_ntlm: false,
        }
    }
}

/// Why the policy could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// Where the bad setting is: a file and line, or a variable.
    pub place: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.problem)
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    /// ERROR_INVALID_PARAMETER with this error as its cause.
    pub fn to_win_error(&self) -> WinError {
        WinError::with_cause(
            codes::ERROR_INVALID_PARAMETER,
            Cause::Setting(self.to_string()),
        )
    }
}

impl SecurityPolicy {
    /// The policy of this process: the defaults, then the settings file in the
    /// configuration directory (if there is one), then the environment.
    pub fn load() -> Result<SecurityPolicy, PolicyError> {
        let file = settings_path();
        let text = match &file {
            Some(path) => read_settings(path)?,
            None => None,
        };
        let place = file.as_deref().map(Path::display);
        SecurityPolicy::from_sources(
            text.as_deref()
                .zip(place.map(|place| place.to_string()))
                .as_ref()
                .map(|(text, place)| (*text, place.as_str())),
            &|name| std::env::var(name).ok(),
        )
    }

    /// The defaults, changed by `file` (its text and its name for errors), then by the
    /// variables `env` gives.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SecurityPolicy, PolicyError> {
        let mut policy = SecurityPolicy::default();
        if let Some((text, place)) = file {
            for (index, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or_default().trim();
                if line.is_empty() {
                    continue;
                }
                let at = || format!("{place}, line {}", index + 1);
                let Some((name, value)) = line.split_once('=') else {
                    return Err(PolicyError {
                        place: at(),
                        problem: format!("{line:?} is not `Name = value`"),
                    });
                };
                let setting = policy.setting(name.trim()).ok_or_else(|| PolicyError {
                    place: at(),
                    problem: format!(
                        "unknown setting {:?} (known: {REQUIRE_SIGNATURE_NAME}, \
                         {ALLOW_GUEST_NAME}, {BLOCK_NTLM_NAME})",
                        name.trim()
                    ),
                })?;
                *setting = parse_switch(value.trim()).ok_or_else(|| PolicyError {
                    place: at(),
                    problem: bad_value(value.trim()),
                })?;
            }
        }
        for (variable, name) in [
            (REQUIRE_SIGNATURE_VARIABLE, REQUIRE_SIGNATURE_NAME),
            (ALLOW_GUEST_VARIABLE, ALLOW_GUEST_NAME),
            (BLOCK_NTLM_VARIABLE, BLOCK_NTLM_NAME),
        ] {
            let Some(value) = env(variable).filter(|value| !value.is_empty()) else {
                continue;
            };
            let switch = parse_switch(value.trim()).ok_or_else(|| PolicyError {
                place: variable.to_owned(),
                problem: bad_value(&value),
            })?;
            if let Some(setting) = policy.setting(name) {
                *setting = switch;
            }
        }
        Ok(policy)
    }

    /// The field behind a settings name (compared without regard to case, as the registry
    /// compares value names).
    fn setting(&mut self, name: &str) -> Option<&mut bool> {
        if name.eq_ignore_ascii_case(REQUIRE_SIGNATURE_NAME) {
            Some(&mut self.require_security_signature)
        } else if name.eq_ignore_ascii_case(ALLOW_GUEST_NAME) {
            Some(&mut self.allow_insecure_guest_auth)
        } else if name.eq_ignore_ascii_case(BLOCK_NTLM_NAME) {
            Some(&mut self.block_ntlm)
        } else {
            None
        }
    }
}

/// The settings file, in the configuration directory.
pub fn settings_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join(SETTINGS_FILE_NAME))
}

/// The settings file's text, `None` if there is none. Read as every state file is
/// ([`open_private_read`]): a file another user could have written, or one reached through a
/// link, is refused — it would decide what this user's connections must prove.
fn read_settings(path: &Path) -> Result<Option<String>, PolicyError> {
    use std::io::Read as _;
    let refused = |problem: String| PolicyError {
        place: path.display().to_string(),
        problem,
    };
    let Some(mut file) = open_private_read(path).map_err(|error| refused(error.to_string()))?
    else {
        return Ok(None);
    };
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|error| refused(error.to_string()))?;
    Ok(Some(text))
}

fn parse_switch(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

fn bad_value(value: &str) -> String {
    format!("{value:?} is not a switch (1 or 0, yes or no, true or false)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(file: Option<&str>, vars: &[(&str, &str)]) -> Result<SecurityPolicy, PolicyError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        SecurityPolicy::from_sources(file.map(|text| (text, "settings")), &|name| {
            vars.iter()
                .find(|(variable, _)| variable == name)
                .map(|(_, value)| value.clone())
        })
    }

    #[test]
    fn the_defaults_are_windows_11_24h2s() {
        let policy = with(None, &[]).unwrap();
        assert!(policy.require_security_signature);
        assert!(!policy.allow_insecure_guest_auth);
        assert!(!policy.block_ntlm);
    }

    #[test]
    fn ntlm_is_blocked_by_the_file_or_the_environment() {
        assert!(with(Some("BlockNTLM = 1\n"), &[]).unwrap().block_ntlm);
        assert!(
            with(None, &[(BLOCK_NTLM_VARIABLE, "yes")])
                .unwrap()
                .block_ntlm
        );
        let policy = with(Some("blockntlm = yes"), &[(BLOCK_NTLM_VARIABLE, "0")]).unwrap();
        assert!(!policy.block_ntlm);
    }

    #[test]
    fn the_file_sets_and_the_environment_overrides() {
        let file = "# for the old NAS\nRequireSecuritySignature = 0\nallowinsecureguestauth=yes\n";
        let policy = with(Some(file), &[]).unwrap();
        assert!(!policy.require_security_signature);
        assert!(policy.allow_insecure_guest_auth);
        let policy = with(Some(file), &[(REQUIRE_SIGNATURE_VARIABLE, "1")]).unwrap();
        assert!(policy.require_security_signature);
        assert!(policy.allow_insecure_guest_auth);
        let policy = with(None, &[(ALLOW_GUEST_VARIABLE, "true")]).unwrap();
        assert!(policy.allow_insecure_guest_auth);
    }

    #[test]
    fn bad_settings_name_their_place() {
        let error = with(Some("\nRequireSecuritySignature = maybe\n"), &[]).unwrap_err();
        assert_eq!(error.place, "settings, line 2");
        assert!(error.problem.contains("\"maybe\""), "{error}");
        let error = with(Some("RequireSigning = 0"), &[]).unwrap_err();
        assert!(error.problem.contains("unknown setting"), "{error}");
        let error = with(Some("RequireSecuritySignature"), &[]).unwrap_err();
        assert!(error.problem.contains("Name = value"), "{error}");
        let error = with(None, &[(ALLOW_GUEST_VARIABLE, "sure")]).unwrap_err();
        assert_eq!(error.place, ALLOW_GUEST_VARIABLE);
        assert_eq!(error.to_win_error().code, codes::ERROR_INVALID_PARAMETER);
    }

    #[test]
    fn a_settings_file_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = crate::test_dir::TempDir::new("policy");
        let path = dir.0.join(SETTINGS_FILE_NAME);
        assert_eq!(read_settings(&path), Ok(None));
        std::fs::write(&path, "AllowInsecureGuestAuth = 1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let error = read_settings(&path).unwrap_err();
        assert!(error.problem.contains("writ"), "{error}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_settings(&path).unwrap().is_some());
        let link = dir.0.join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(read_settings(&link).is_err());
    }
}
