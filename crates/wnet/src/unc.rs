//! Network names: `\\server\share\path` and `//server/share/path` (separators may be mixed),
//! parsed into their parts and written back in Windows form.

use serde::{Deserialize, Serialize};

use crate::error::{WinError, codes};

/// Characters Windows refuses in a server (NetBIOS or DNS) name.
const BAD_SERVER_CHARACTERS: &[char] = &[
    '"', '/', '\\', '[', ']', ':', '|', '<', '>', '+', '=', ';', ',', '?', '*',
];
/// Characters Windows refuses in a share name.
const BAD_SHARE_CHARACTERS: &[char] = &[
    '"', '/', '\\', '[', ']', ':', '|', '<', '>', '+', '=', ';', ',', '?', '*',
];
/// Characters Windows refuses in a path component.
const BAD_PATH_CHARACTERS: &[char] = &['"', ':', '|', '<', '>', '?', '*'];
/// The longest server name (a DNS name).
const MAX_SERVER: usize = 255;
/// The longest share name Windows allows.
const MAX_SHARE: usize = 80;
/// The longest whole name (MAX_PATH).
const MAX_NAME: usize = 260;
/// The share of a server's named pipes, which a connection to the server alone connects.
pub const IPC_SHARE: &str = "IPC$";

/// A parsed network name. It crosses the agent protocol as its Windows form and is parsed
/// again, by [`UncName::parse`], when it is read, so a name the agent holds is always valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UncName {
    /// The server, as written.
    pub server: String,
    /// The share, if the name goes that far.
    pub share: Option<String>,
    /// The path inside the share, component by component.
    pub path: Vec<String>,
}

impl UncName {
    /// Parses `text`: ERROR_INVALID_PARAMETER for an empty name or one with control
    /// characters, ERROR_BAD_NETPATH for anything that is not `\\server[\share[\path]]`.
    pub fn parse(text: &str) -> Result<UncName, WinError> {
        if text.is_empty() || text.chars().any(char::is_control) || text.len() > MAX_NAME * 4 {
            return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
        }
        let bad_path = || WinError::new(codes::ERROR_BAD_NETPATH);
        let is_separator = |c: char| c == '\\' || c == '/';
        let mut chars = text.chars();
        if !(chars.next().is_some_and(is_separator) && chars.next().is_some_and(is_separator)) {
            return Err(bad_path());
        }
        let rest = &text[2..];
        let mut parts = rest.split(is_separator);
        let server = parts.next().unwrap_or_default();
        if server.is_empty()
            || server.len() > MAX_SERVER
            || server.contains(BAD_SERVER_CHARACTERS)
            || server.chars().all(|c| c == '.')
        {
            return Err(bad_path());
        }
        let share = match parts.next() {
            None | Some("") => None,
            Some(share) => {
                if share.len() > MAX_SHARE || share.contains(BAD_SHARE_CHARACTERS) {
                    return Err(bad_path());
                }
                Some(share.to_owned())
            }
        };
        let mut path: Vec<String> = parts.map(str::to_owned).collect();
        if share.is_none() && !path.is_empty() {
            // `\\server\\x`: an empty share name followed by more.
            if path.iter().any(|part| !part.is_empty()) {
                return Err(bad_path());
            }
            path.clear();
        }
        // One trailing separator is allowed (`\\server\share\dir\`); empty parts elsewhere
        // are not.
        if path.last().is_some_and(String::is_empty) {
            path.pop();
        }
        if path
            .iter()
            .any(|part| part.is_empty() || part.contains(BAD_PATH_CHARACTERS))
        {
            return Err(bad_path());
        }
        Ok(UncName {
            server: server.to_owned(),
            share,
            path,
        })
    }

    /// `\\server\share` (or `\\server`): the resource a connection is made to.
    pub fn resource(&self) -> String {
        match &self.share {
            Some(share) => format!(r"\\{}\{share}", self.server),
            None => format!(r"\\{}", self.server),
        }
    }

    /// The path inside the share in Windows form (`\dir\file`), empty for none.
    pub fn remaining_path(&self) -> String {
        let mut path = String::new();
        for part in &self.path {
            path.push('\\');
            path.push_str(part);
        }
        path
    }

    /// The whole name in Windows form.
    pub fn to_windows(&self) -> String {
        format!("{}{}", self.resource(), self.remaining_path())
    }

    /// The server name as the sessions table keys it (Windows compares server names without
    /// regard to case).
    pub fn server_key(&self) -> String {
        self.server.to_ascii_lowercase()
    }

    /// The share alone (`\\server\share`, or `\\server`), without the path below it.
    #[must_use]
    pub fn share_root(&self) -> UncName {
        UncName {
            server: self.server.clone(),
            share: self.share.clone(),
            path: Vec::new(),
        }
    }

    /// The server's IPC$ share (`\\server\IPC$`): what a connection to the server alone
    /// connects, as on Windows.
    #[must_use]
    pub fn server_ipc(&self) -> UncName {
        UncName {
            server: self.server.clone(),
            share: Some(IPC_SHARE.to_owned()),
            path: Vec::new(),
        }
    }

    /// Whether a caller naming a connection by this name means the connection to `connected`:
    /// the same name, or this server alone for the server's IPC$ connection (which Windows
    /// makes for `\\server` and cancels by it).
    pub fn names_connection(&self, connected: &UncName) -> bool {
        self.matches(connected) || (self.share.is_none() && self.server_ipc().matches(connected))
    }

    /// Whether both name the same thing, as Windows compares network names: without regard
    /// to case.
    pub fn matches(&self, other: &UncName) -> bool {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        same(&self.server, &other.server)
            && match (&self.share, &other.share) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            }
            && self.path.len() == other.path.len()
            && self.path.iter().zip(&other.path).all(|(a, b)| same(a, b))
    }
}

impl TryFrom<String> for UncName {
    type Error = WinError;

    fn try_from(text: String) -> Result<UncName, WinError> {
        UncName::parse(&text)
    }
}

impl From<UncName> for String {
    fn from(name: UncName) -> String {
        name.to_windows()
    }
}

impl std::fmt::Display for UncName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_windows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> UncName {
        UncName::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    fn code(text: &str) -> u32 {
        UncName::parse(text).map_or_else(|error| error.code, |name| panic!("{text}: {name:?}"))
    }

    #[test]
    fn both_forms_and_mixed_separators_parse_to_windows_form() {
        for text in [
            r"\\server\share\dir\file.txt",
            "//server/share/dir/file.txt",
            r"\\server/share\dir/file.txt",
        ] {
            let name = parsed(text);
            assert_eq!(name.server, "server");
            assert_eq!(name.share.as_deref(), Some("share"));
            assert_eq!(name.to_windows(), r"\\server\share\dir\file.txt");
            assert_eq!(name.resource(), r"\\server\share");
            assert_eq!(name.remaining_path(), r"\dir\file.txt");
        }
        assert_eq!(parsed(r"\\server").resource(), r"\\server");
        assert_eq!(parsed(r"\\server\").share, None);
        assert_eq!(
            parsed(r"\\server\hidden$\").to_windows(),
            r"\\server\hidden$"
        );
        assert_eq!(parsed(r"\\198.51.100.2\public").server, "198.51.100.2");
    }

    #[test]
    fn names_match_without_regard_to_case_and_cross_as_windows_text() {
        assert!(parsed(r"\\SRV\Share\Dir").matches(&parsed("//srv/share/dir")));
        assert!(!parsed(r"\\srv\share").matches(&parsed(r"\\srv\share\dir")));
        assert!(!parsed(r"\\srv").matches(&parsed(r"\\srv\share")));
        assert_eq!(parsed(r"\\Srv\a").server_key(), "srv");
        // A server alone names its IPC$ connection; a share names only itself.
        assert_eq!(parsed(r"\\srv").server_ipc().to_windows(), r"\\srv\IPC$");
        assert!(parsed(r"\\SRV").names_connection(&parsed(r"\\srv\ipc$")));
        assert!(!parsed(r"\\srv").names_connection(&parsed(r"\\srv\a")));
        assert!(!parsed(r"\\srv\a").names_connection(&parsed(r"\\srv\IPC$")));
        let json = serde_json::to_string(&parsed("//srv/share/dir")).unwrap();
        assert_eq!(json, r#""\\\\srv\\share\\dir""#);
        assert_eq!(
            serde_json::from_str::<UncName>(&json).unwrap(),
            parsed(r"\\srv\share\dir")
        );
        // What the agent reads is parsed by the same rule as what the library sends.
        for bad in [r#""C:\\dir""#, r#""\\\\ser*ver\\x""#, r#""""#] {
            assert!(serde_json::from_str::<UncName>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_names_get_windows_codes_never_a_panic() {
        for text in [
            "server\\share",
            r"\server\share",
            r"\\\share",
            r"\\",
            r"\\ser*ver\share",
            r"\\..\share",
            r"\\server\sha:re",
            r"\\server\share\\dir",
            r"\\server\share\di?r",
            r"\\server\\x",
            "C:\\dir",
        ] {
            assert_eq!(code(text), codes::ERROR_BAD_NETPATH, "{text}");
        }
        for text in ["", "\\\\server\\sh\0are", "\\\\server\n\\share"] {
            assert_eq!(code(text), codes::ERROR_INVALID_PARAMETER, "{text:?}");
        }
        assert_eq!(
            code(&format!(r"\\server\{}", "s".repeat(81))),
            codes::ERROR_BAD_NETPATH
        );
    }
}
