//! The credential file's format: `[server]` sections with Samba's credentials-file keys,
//! parsed and written back with its comments and unknown keys kept, and the checks made before
//! it is read.
//!
//! The credential file is refused, as ssh refuses a private key, when other users could read
//! it or when it belongs to someone else; it is never read through a symbolic link, nor from a
//! directory that is not the user's or that others can write (see `wnet_host::user_state`).

use std::io::{self, Read as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroize as _;

use super::{Credentials, Secret};
use wnet_host::user_state::{StateError, open_private_read};

/// Why the credential file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// It could not be read or written.
    #[error("credential file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Other users could read or change it.
    #[error(
        "the credential file {} is accessible by other users (mode {mode:04o}) and is refused; \
         run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Insecure {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// It belongs to another user.
    #[error(
        "the credential file {} belongs to uid {uid}, not to this user, and is refused",
        path.display()
    )]
    OtherOwner {
        /// The file.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// A line of it makes no sense.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An entry that the file cannot hold (a value with a line break, surrounding spaces, ...).
    #[error("credentials for {server} cannot be saved: {message}")]
    InvalidEntry {
        /// The server they were for.
        server: String,
        /// What is wrong with them.
        message: String,
    },
}

/// The keys of a section this module understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Username,
    Password,
    Domain,
}

impl Key {
    fn parse(key: &str) -> Option<Key> {
        [Key::Username, Key::Password, Key::Domain]
            .into_iter()
            .find(|known| known.name().eq_ignore_ascii_case(key))
    }

    fn name(self) -> &'static str {
        match self {
            Key::Username => "username",
            Key::Password => "password",
            Key::Domain => "domain",
        }
    }
}

/// A line of a section's body: one of the known keys (written back from the section's values)
/// or anything else (a comment, a blank line, an unknown key), kept as it was.
#[derive(Debug, Clone)]
enum Line {
    Key(Key),
    Other(String),
}

/// One `[server]` section.
#[derive(Debug, Clone)]
struct Section {
    name: String,
    /// The header line as the file wrote it.
    header: String,
    body: Vec<Line>,
    username: Option<String>,
    password: Option<Secret>,
    domain: Option<String>,
}

impl Section {
    fn credentials(&self) -> Credentials {
        let (named_domain, user) = Credentials::parse_user(self.username.as_deref().unwrap_or(""));
        Credentials {
            user,
            domain: self.domain.clone().unwrap_or(named_domain),
            password: self.password.clone().unwrap_or_default(),
        }
    }

    fn value(&self, key: Key) -> Option<&str> {
        match key {
            Key::Username => self.username.as_deref(),
            Key::Password => self.password.as_ref().map(Secret::expose),
            Key::Domain => self.domain.as_deref(),
        }
    }

    /// Replaces the values with `credentials`, keeping the other lines and the position of the
    /// key lines that stay.
    fn assign(&mut self, credentials: &Credentials) {
        self.username = Some(credentials.user.clone());
        self.password = Some(credentials.password.clone());
        self.domain = Some(credentials.domain.clone()).filter(|domain| !domain.is_empty());
        let mut seen = Vec::new();
        self.body.retain(|line| match line {
            Line::Key(key) if seen.contains(key) => false,
            Line::Key(Key::Domain) if credentials.domain.is_empty() => false,
            Line::Key(key) => {
                seen.push(*key);
                true
            }
            Line::Other(_) => true,
        });
        let last_key = self
            .body
            .iter()
            .rposition(|line| matches!(line, Line::Key(_)));
        let mut at = last_key.map_or(0, |position| position + 1);
        for key in [Key::Username, Key::Password, Key::Domain] {
            if !seen.contains(&key) && self.value(key).is_some() {
                self.body.insert(at, Line::Key(key));
                at += 1;
            }
        }
    }

    fn write(&self, out: &mut String) {
        out.push_str(&self.header);
        out.push('\n');
        for line in &self.body {
            match line {
                Line::Key(key) => {
                    out.push_str(key.name());
                    out.push_str(" = ");
                    out.push_str(self.value(*key).unwrap_or(""));
                }
                Line::Other(text) => out.push_str(text),
            }
            out.push('\n');
        }
    }
}

/// Whether `a` and `b` name the same server (case-insensitively).
fn same_server(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// The user's saved credentials: a file of `[server]` sections with Samba's credentials-file
/// keys.
///
/// ```text
/// # comments start with # or ;
/// [LABSERVER]
/// username = wnetalice
/// password = Alice-lab-pw1
/// domain = WNETLAB
/// ```
///
/// A section's name is the server as the user writes it (a NetBIOS name, a DNS name or an IP
/// literal) and is matched case-insensitively. Spaces around `=` are optional and a value is the
/// rest of its line, trimmed (a password keeps its inner spaces; there are no trailing
/// comments). `username` may be `DOMAIN\user` or `user@domain`, whose domain is used unless the
/// section has a `domain` key. Other keys are ignored but kept when the file is saved again.
#[derive(Debug, Clone, Default)]
pub struct CredentialFile {
    /// The lines before the first section (comments and blank lines).
    preamble: Vec<String>,
    sections: Vec<Section>,
}

impl CredentialFile {
    /// An empty store.
    pub fn new() -> CredentialFile {
        CredentialFile::default()
    }

    /// Reads the file at `path`: an empty store if there is none; an error if it cannot be
    /// read, if other users can access it (any of the mode bits 0o077), if it belongs to another
    /// user, or for a line that makes no sense.
    pub fn load(path: &Path) -> Result<CredentialFile, CredentialError> {
        let io_error = |source| CredentialError::Io {
            path: path.to_owned(),
            source,
        };
        // Opened without following a link, in a directory of ours that others cannot write;
        // ownership and group/other write bits are checked on the open file.
        let mut file = match open_private_read(path) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(CredentialFile::new()),
            Err(StateError::OtherOwner { owner, .. }) => {
                return Err(CredentialError::OtherOwner {
                    path: path.to_owned(),
                    uid: owner,
                });
            }
            Err(StateError::WritableByOthers {
                path: refused,
                mode,
            }) if refused == path => {
                return Err(CredentialError::Insecure {
                    path: path.to_owned(),
                    mode,
                });
            }
            Err(error) => return Err(io_error(io::Error::from(error))),
        };
        let meta = file.metadata().map_err(io_error)?;
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(CredentialError::Insecure {
                path: path.to_owned(),
                mode,
            });
        }
        let mut text = String::new();
        let read = file.read_to_string(&mut text).map_err(io_error);
        let parsed = read.and_then(|_| CredentialFile::parse(&text, path));
        text.zeroize();
        parsed
    }

    /// Parses the text of a credential file; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<CredentialFile, CredentialError> {
        let syntax = |line: usize, message: String| CredentialError::Syntax {
            path: path.to_owned(),
            line,
            message,
        };
        let mut store = CredentialFile::new();
        // The line number of each section's header, to blame a section without a user.
        let mut header_lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            // A file edited on Windows may end lines in `\r`s that `lines` keeps; kept lines
            // are written back with `\n` alone, so that saving again changes nothing.
            let raw = raw.trim_end_matches('\r');
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                match store.sections.last_mut() {
                    Some(section) => section.body.push(Line::Other(raw.to_owned())),
                    None => store.preamble.push(raw.to_owned()),
                }
            } else if let Some(inner) = line.strip_prefix('[') {
                let Some(name) = inner.strip_suffix(']').map(str::trim) else {
                    return Err(syntax(number, "a section header must end with `]`".into()));
                };
                if name.is_empty() {
                    return Err(syntax(number, "the section has no server name".into()));
                }
                if let Some(earlier) = store
                    .sections
                    .iter()
                    .position(|section| same_server(&section.name, name))
                {
                    return Err(syntax(
                        number,
                        format!(
                            "section [{name}] repeats the section on line {}",
                            header_lines[earlier]
                        ),
                    ));
                }
                header_lines.push(number);
                store.sections.push(Section {
                    name: name.to_owned(),
                    header: raw.to_owned(),
                    body: Vec::new(),
                    username: None,
                    password: None,
                    domain: None,
                });
            } else if let Some((key, value)) = line.split_once('=') {
                let key = key.trim();
                let value = value.trim();
                if key.is_empty() || key.contains(char::is_whitespace) {
                    return Err(syntax(number, "expected `key = value`".into()));
                }
                let Some(section) = store.sections.last_mut() else {
                    return Err(syntax(
                        number,
                        format!("`{key}` comes before any [server] section"),
                    ));
                };
                match Key::parse(key) {
                    Some(known) => {
                        match known {
                            Key::Username => section.username = Some(value.to_owned()),
                            Key::Password => section.password = Some(Secret::new(value.to_owned())),
                            Key::Domain => section.domain = Some(value.to_owned()),
                        }
                        section.body.push(Line::Key(known));
                    }
                    None => section.body.push(Line::Other(raw.to_owned())),
                }
            } else {
                return Err(syntax(
                    number,
                    "expected a comment, a [server] section or `key = value`".into(),
                ));
            }
        }
        for (section, line) in store.sections.iter().zip(header_lines) {
            if section.username.as_deref().is_none_or(str::is_empty) {
                return Err(syntax(
                    line,
                    format!("section [{}] has no username", section.name),
                ));
            }
        }
        Ok(store)
    }

    /// The servers the file has credentials for, as it writes them.
    pub fn servers(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|section| section.name.as_str())
    }

    fn section(&self, server: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|section| same_server(&section.name, server))
    }

    /// The credentials saved for `server` (matched case-insensitively) and the name of their
    /// section as the file writes it.
    pub(super) fn lookup(&self, server: &str) -> Option<(String, Credentials)> {
        self.section(server)
            .map(|section| (section.name.clone(), section.credentials()))
    }

    /// The credentials saved for `server` (matched case-insensitively).
    pub fn get(&self, server: &str) -> Option<Credentials> {
        self.section(server).map(Section::credentials)
    }

    /// Saves `credentials` for `server`, replacing its section's user, domain and password (its
    /// comments and other keys stay) or adding a section at the end. Refused for anonymous
    /// credentials and for names or values the file cannot hold: line breaks, surrounding
    /// spaces, `]` in the server, `\` or `@` in the user (write the domain apart).
    pub fn set(&mut self, server: &str, credentials: &Credentials) -> Result<(), CredentialError> {
        let invalid = |message: &str| CredentialError::InvalidEntry {
            server: server.to_owned(),
            message: message.to_owned(),
        };
        let unwritable = |value: &str| {
            value.contains(['\n', '\r'])
                || value.trim() != value
                || value.contains(char::is_control)
        };
        if server.is_empty() || unwritable(server) || server.contains(['[', ']']) {
            return Err(invalid("the server name cannot be a section name"));
        }
        if credentials.user.is_empty() {
            return Err(invalid("there is no user name"));
        }
        if unwritable(&credentials.user) || credentials.user.contains(['\\', '@']) {
            return Err(invalid("the user name cannot be written"));
        }
        if unwritable(&credentials.domain) || credentials.domain.contains(['\\', '@']) {
            return Err(invalid("the domain cannot be written"));
        }
        if unwritable(credentials.password.expose()) {
            return Err(invalid(
                "the password has a line break, a control character or surrounding spaces",
            ));
        }
        if let Some(section) = self
            .sections
            .iter_mut()
            .find(|section| same_server(&section.name, server))
        {
            section.assign(credentials);
        } else {
            let mut section = Section {
                name: server.to_owned(),
                header: format!("[{server}]"),
                body: Vec::new(),
                username: None,
                password: None,
                domain: None,
            };
            section.assign(credentials);
            // A blank line before the new section, unless there is one already.
            let previous = self.sections.last_mut().map(|last| &mut last.body);
            match previous {
                Some(body) if !matches!(body.last(), Some(Line::Other(text)) if text.trim().is_empty()) =>
                {
                    body.push(Line::Other(String::new()));
                }
                None if self
                    .preamble
                    .last()
                    .is_some_and(|text| !text.trim().is_empty()) =>
                {
                    self.preamble.push(String::new());
                }
                _ => {}
            }
            self.sections.push(section);
        }
        Ok(())
    }

    /// Forgets the credentials saved for `server`; whether there were any.
    pub fn remove(&mut self, server: &str) -> bool {
        let before = self.sections.len();
        self.sections
            .retain(|section| !same_server(&section.name, server));
        self.sections.len() != before
    }

    /// The file's text, as [`CredentialFile::save`] writes it. It contains the passwords:
    /// callers should not keep it about (public for the fuzz targets' round trips).
    #[doc(hidden)]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for line in &self.preamble {
            out.push_str(line);
            out.push('\n');
        }
        for section in &self.sections {
            section.write(&mut out);
        }
        out
    }

    /// Writes the store to `path`, replacing the file whole, readable only by the user (0600,
    /// in a 0700 directory made if missing).
    pub fn save(&self, path: &Path) -> Result<(), CredentialError> {
        let mut text = self.to_text();
        let written = wnet_host::user_state::write_private(path, text.as_bytes());
        text.zeroize();
        written.map_err(|source| CredentialError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::test_dir::TempDir;

    impl TempDir {
        pub(in crate::credentials) fn file(&self, text: &str, mode: u32) -> PathBuf {
            let path = self.0.join("credentials");
            fs::write(&path, text).unwrap_or_else(|error| panic!("write: {error}"));
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .unwrap_or_else(|error| panic!("chmod: {error}"));
            path
        }
    }

    pub(in crate::credentials) const SAMPLE: &str = "\
# wnet credentials
; another comment

[LABSERVER]
username = wnetalice
password = Alice-lab-pw1
domain = WNETLAB

[files.example.com]
username=EXAMPLE\\bob
password=  two  inner  spaces \t
colour = blue

[192.0.2.7]
  username   =carol@corp.example.com
password=
[OVERRIDE]
username = NAMED\\dave
domain = GIVEN
password = p=w#;x
";

    pub(in crate::credentials) fn parsed(text: &str) -> CredentialFile {
        CredentialFile::parse(text, Path::new("test"))
            .unwrap_or_else(|error| panic!("parse: {error}"))
    }

    pub(in crate::credentials) fn creds(user: &str, domain: &str, password: &str) -> Credentials {
        Credentials {
            user: user.into(),
            domain: domain.into(),
            password: Secret::new(password.into()),
        }
    }

    #[test]
    fn carriage_returns_at_line_ends_are_dropped_so_saving_twice_changes_nothing() {
        // Found by the wnet_input fuzz target: `lines` leaves a bare `\r` that ends a line,
        // which the written `\n` then turned into a CRLF, so each save dropped one more.
        let text = "# lab\r\r\n\r\r\n[srv]\r\r\nusername = alice\r\r\nfoo = bar\r\r";
        let once = parsed(text).to_text();
        assert_eq!(once, "# lab\n\n[srv]\nusername = alice\nfoo = bar\n");
        assert_eq!(parsed(&once).to_text(), once);
    }

    #[test]
    fn sections_comments_spacing_and_domain_forms() {
        let store = parsed(SAMPLE);
        assert_eq!(
            store.servers().collect::<Vec<_>>(),
            ["LABSERVER", "files.example.com", "192.0.2.7", "OVERRIDE"]
        );
        assert_eq!(
            store.get("labserver"),
            Some(creds("wnetalice", "WNETLAB", "Alice-lab-pw1"))
        );
        assert_eq!(
            store.get("FILES.EXAMPLE.COM"),
            Some(creds("bob", "EXAMPLE", "two  inner  spaces"))
        );
        assert_eq!(
            store.get("192.0.2.7"),
            Some(creds("carol", "corp.example.com", ""))
        );
        assert_eq!(
            store.get("override"),
            Some(creds("dave", "GIVEN", "p=w#;x"))
        );
        assert_eq!(store.get("elsewhere"), None);
        assert!(parsed("").servers().next().is_none());
    }

    #[test]
    fn syntax_errors_name_their_line() {
        for (text, line, words) in [
            ("# c\nusername = x\n", 2, "before any"),
            ("[A]\nusername = x\njust words\n", 3, "expected"),
            ("[A]\nusername = x\n[B\n", 3, "`]`"),
            ("[A]\nusername = x\n[ ]\n", 3, "no server name"),
            ("[A]\nusername = x\n = value\n", 3, "key = value"),
            ("[A]\nusername = x\n[a]\nusername = y\n", 3, "line 1"),
            ("[A]\nusername = x\n\n[B]\npassword = y\n", 4, "no username"),
        ] {
            match CredentialFile::parse(text, Path::new("/some/credentials")) {
                Err(error @ CredentialError::Syntax { line: got, .. }) => {
                    assert_eq!(got, line, "{text:?}: {error}");
                    let message = error.to_string();
                    assert!(message.contains(words), "{text:?}: {message}");
                    assert!(
                        message.starts_with(&format!("/some/credentials:{line}: ")),
                        "{message}"
                    );
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn files_other_users_can_access_are_refused() {
        let dir = TempDir::new("credentials");
        for mode in [0o644, 0o640, 0o604, 0o660, 0o700] {
            let path = dir.file(SAMPLE, mode);
            match CredentialFile::load(&path) {
                Err(error @ CredentialError::Insecure { mode: got, .. }) => {
                    assert_eq!(got, mode);
                    let message = error.to_string();
                    assert!(message.contains(&format!("{mode:04o}")), "{message}");
                    assert!(
                        message.contains(&format!("chmod 600 {}", path.display())),
                        "{message}"
                    );
                    assert!(!message.contains("Alice-lab-pw1"));
                }
                other if mode == 0o700 => {
                    // Only the owner's bits: accepted.
                    assert!(other.is_ok(), "{mode:o}: {other:?}");
                }
                other => panic!("{mode:o}: {other:?}"),
            }
        }
        for mode in [0o600, 0o400] {
            let path = dir.file(SAMPLE, mode);
            let store =
                CredentialFile::load(&path).unwrap_or_else(|error| panic!("{mode:o}: {error}"));
            assert_eq!(
                store.get("LABSERVER").map(|c| c.user),
                Some("wnetalice".into())
            );
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .unwrap_or_else(|error| panic!("chmod: {error}"));
        }
    }

    #[test]
    fn a_file_of_another_user_is_refused() {
        let me = fs::metadata("/proc/self").map_or(u32::MAX, |meta| meta.uid());
        if me != 0 {
            // Only root can give a file away; nothing to check otherwise.
            return;
        }
        let dir = TempDir::new("credentials");
        let path = dir.file(SAMPLE, 0o600);
        std::os::unix::fs::chown(&path, Some(65_534), None)
            .unwrap_or_else(|error| panic!("chown: {error}"));
        match CredentialFile::load(&path) {
            Err(error @ CredentialError::OtherOwner { uid: 65_534, .. }) => {
                assert!(error.to_string().contains("uid 65534"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_link_or_a_directory_others_can_write_is_refused() {
        let dir = TempDir::new("credentials");
        let path = dir.file(SAMPLE, 0o600);
        let link = dir.0.join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap_or_else(|error| panic!("{error}"));
        match CredentialFile::load(&link) {
            Err(error @ CredentialError::Io { .. }) => {
                assert!(error.to_string().contains("symbolic link"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o777))
            .unwrap_or_else(|error| panic!("chmod: {error}"));
        match CredentialFile::load(&path) {
            Err(error @ CredentialError::Io { .. }) => {
                let text = error.to_string();
                assert!(text.contains("writable by other users"), "{text}");
                assert!(!text.contains("Alice-lab-pw1"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        // Nor is anything saved there.
        assert!(parsed(SAMPLE).save(&path).is_err());
    }

    #[test]
    fn a_missing_file_is_an_empty_store_and_an_unreadable_one_an_error() {
        let dir = TempDir::new("credentials");
        let store = CredentialFile::load(&dir.0.join("absent"))
            .unwrap_or_else(|error| panic!("missing: {error}"));
        assert!(store.servers().next().is_none());
        // A directory where the file should be cannot be read.
        let path = dir.0.join("credentials");
        fs::create_dir(&path).unwrap_or_else(|error| panic!("mkdir: {error}"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|error| panic!("chmod: {error}"));
        assert!(matches!(
            CredentialFile::load(&path),
            Err(CredentialError::Io { .. })
        ));
    }

    #[test]
    fn set_and_remove_keep_the_other_sections_and_comments() {
        let dir = TempDir::new("credentials");
        let path = dir.0.join("sub").join("credentials");
        let mut store = parsed(SAMPLE);
        store
            .set("labserver", &creds("alice2", "", "new pw"))
            .unwrap_or_else(|error| panic!("set: {error}"));
        store
            .set("NEWHOST", &creds("eve", "EVIL", "pw"))
            .unwrap_or_else(|error| panic!("set: {error}"));
        assert!(store.remove("192.0.2.7"));
        assert!(!store.remove("192.0.2.7"));
        store
            .save(&path)
            .unwrap_or_else(|error| panic!("save: {error}"));

        let mode = fs::metadata(&path).map_or_else(
            |error| panic!("stat: {error}"),
            |meta| meta.permissions().mode() & 0o777,
        );
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("read: {error}"));
        assert!(
            text.starts_with("# wnet credentials\n; another comment\n"),
            "{text}"
        );
        assert!(text.contains("colour = blue"), "{text}");
        assert!(!text.contains("carol"), "{text}");
        // The new section comes last, after a blank line.
        assert!(
            text.ends_with("p=w#;x\n\n[NEWHOST]\nusername = eve\npassword = pw\ndomain = EVIL\n"),
            "{text}"
        );
        assert!(!text.contains("Alice-lab-pw1"), "{text}");
        // The existing section keeps its header and position, and loses its domain line.
        assert!(
            text.contains("[LABSERVER]\nusername = alice2\npassword = new pw\n\n[files"),
            "{text}"
        );

        let again = CredentialFile::load(&path).unwrap_or_else(|error| panic!("load: {error}"));
        assert_eq!(
            again.servers().collect::<Vec<_>>(),
            ["LABSERVER", "files.example.com", "OVERRIDE", "NEWHOST"]
        );
        assert_eq!(again.get("LABSERVER"), Some(creds("alice2", "", "new pw")));
        assert_eq!(again.get("newhost"), Some(creds("eve", "EVIL", "pw")));
        assert_eq!(
            again.get("files.example.com"),
            Some(creds("bob", "EXAMPLE", "two  inner  spaces"))
        );
        assert_eq!(
            again.get("OVERRIDE"),
            Some(creds("dave", "GIVEN", "p=w#;x"))
        );
        // Saving what was loaded changes nothing.
        again
            .save(&path)
            .unwrap_or_else(|error| panic!("save: {error}"));
        assert_eq!(fs::read_to_string(&path).ok(), Some(text));
    }

    #[test]
    fn entries_the_file_cannot_hold_are_refused() {
        let mut store = CredentialFile::new();
        for (server, credentials) in [
            ("", creds("a", "", "p")),
            ("[x]", creds("a", "", "p")),
            ("host", Credentials::anonymous()),
            ("host", creds("a\nb", "", "p")),
            ("host", creds(r"D\a", "", "p")),
            ("host", creds("a", "", " p")),
            ("host", creds("a", "", "p\nusername = x")),
        ] {
            let result = store.set(server, &credentials);
            assert!(
                matches!(result, Err(CredentialError::InvalidEntry { .. })),
                "{server:?} {credentials:?}: {result:?}"
            );
        }
        assert!(store.servers().next().is_none());
        // A store that was empty gets its first section with no blank line before it.
        store
            .set("host", &creds("a", "", "p w"))
            .unwrap_or_else(|error| panic!("set: {error}"));
        assert_eq!(store.to_text(), "[host]\nusername = a\npassword = p w\n");
    }
}
