//! NetBIOS names (RFC 1001 §14, RFC 1002 §4.1): 15 characters and a suffix byte, their
//! first-level encoding, scope IDs, and the DNS-style labels with compression pointers that
//! carry them (and the plain domain names of redirect records) in name-service packets.

use std::fmt;
use std::str::FromStr;

use crate::wire::WireError;
use crate::wire::reader::Reader;

/// Length of a NetBIOS name: 15 characters and the suffix byte (RFC 1001 §14).
pub const NAME_LENGTH: usize = 16;
/// Length of a first-level encoded name (RFC 1001 §14.1): two letters per byte.
pub const ENCODED_LENGTH: usize = 32;
/// Longest label (RFC 1002 §4.1, after RFC 883).
pub const MAX_LABEL_LENGTH: usize = 63;
/// Longest encoded name, labels and length bytes included (RFC 1002 §4.1).
pub const MAX_ENCODED_NAME_LENGTH: usize = 255;
/// RFC 1002 §4.1 (RFC 883's label string pointers): a length byte whose top two bits are set
/// starts a two-byte compression pointer; the other 14 bits are an offset in the packet.
pub const POINTER_TAG: u8 = 0xC0;
/// Compression pointers followed at most while reading one name. Real names use one; the
/// backwards-only rule already ends every chain, this bounds the work on hostile input.
pub const MAX_POINTER_JUMPS: usize = 16;

/// Why a name given as text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// No name.
    #[error("the name is empty")]
    Empty,
    /// Over 15 characters.
    #[error("`{0}` is longer than 15 characters")]
    TooLong(String),
    /// A character NetBIOS names cannot hold.
    #[error("`{name}` holds a character NetBIOS names cannot: {character:?}")]
    BadCharacter {
        /// The name.
        name: String,
        /// The character.
        character: char,
    },
    /// The suffix of `NAME#XX` or `NAME<XX>` is not two hex digits.
    #[error("`{0}` has a suffix that is not two hex digits (NAME#20 or NAME<20>)")]
    BadSuffix(String),
    /// The scope ID is malformed.
    #[error(
        "the scope ID `{0}` is malformed (dot-separated labels of 1 to 63 bytes, 220 bytes in all)"
    )]
    BadScope(String),
    /// The domain name is malformed.
    #[error("the domain name `{0}` is malformed (dot-separated labels of 1 to 63 bytes)")]
    BadDomainName(String),
}

/// A NetBIOS name: 15 bytes of name, space padded, and a suffix byte naming the service.
///
/// The wildcard `*` used by node status requests is `*` followed by 15 NUL bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetbiosName {
    bytes: [u8; NAME_LENGTH],
}

impl NetbiosName {
    /// `name` (upper-cased, space padded) with `suffix`. The name is 1 to 15 printable ASCII
    /// characters, none of `\ / : * ? " < > |`.
    pub fn new(name: &str, suffix: u8) -> Result<NetbiosName, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(character) = name.chars().find(|c| !is_name_character(*c)) {
            return Err(NameError::BadCharacter {
                name: name.to_owned(),
                character,
            });
        }
        if name.len() > NAME_LENGTH - 1 {
            return Err(NameError::TooLong(name.to_owned()));
        }
        let mut bytes = [b' '; NAME_LENGTH];
        for (slot, byte) in bytes.iter_mut().zip(name.bytes()) {
            *slot = byte.to_ascii_uppercase();
        }
        bytes[NAME_LENGTH - 1] = suffix;
        Ok(NetbiosName { bytes })
    }

    /// The wildcard name `*`: `*` and 15 NUL bytes (RFC 1002 §4.2.17, node status requests).
    pub fn wildcard() -> NetbiosName {
        let mut bytes = [0u8; NAME_LENGTH];
        bytes[0] = b'*';
        NetbiosName { bytes }
    }

    /// A name from its 16 raw bytes, as found in packets (any byte values).
    pub fn from_bytes(bytes: [u8; NAME_LENGTH]) -> NetbiosName {
        NetbiosName { bytes }
    }

    /// The 16 raw bytes.
    pub fn as_bytes(&self) -> &[u8; NAME_LENGTH] {
        &self.bytes
    }

    /// The suffix byte.
    pub fn suffix(&self) -> u8 {
        self.bytes[NAME_LENGTH - 1]
    }

    /// The same name with another suffix.
    #[must_use]
    pub fn with_suffix(mut self, suffix: u8) -> NetbiosName {
        self.bytes[NAME_LENGTH - 1] = suffix;
        self
    }

    /// Whether this is the wildcard `*` (suffix 00).
    pub fn is_wildcard(&self) -> bool {
        *self == NetbiosName::wildcard()
    }

    /// The 15 name bytes without the trailing padding (spaces, or NULs for the wildcard).
    pub fn name_bytes(&self) -> &[u8] {
        let name = &self.bytes[..NAME_LENGTH - 1];
        let end = name
            .iter()
            .rposition(|byte| *byte != b' ' && *byte != 0)
            .map_or(0, |last| last + 1);
        &name[..end]
    }

    /// The name part as text (bytes outside ASCII are shown as U+FFFD).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(self.name_bytes()).into_owned()
    }

    /// First-level encoding (RFC 1001 §14.1): each half-byte plus `'A'`.
    pub fn first_level_encode(&self) -> [u8; ENCODED_LENGTH] {
        let mut encoded = [0u8; ENCODED_LENGTH];
        for (pair, byte) in encoded.chunks_exact_mut(2).zip(self.bytes) {
            pair[0] = b'A' + (byte >> 4);
            pair[1] = b'A' + (byte & 0x0F);
        }
        encoded
    }

    /// Decodes a first-level encoded name: exactly 32 characters, each in `'A'..='P'`.
    /// Error offsets count from the start of `encoded`.
    pub fn first_level_decode(encoded: &[u8]) -> Result<NetbiosName, WireError> {
        NetbiosName::first_level_decode_at(encoded, 0)
    }

    /// [`NetbiosName::first_level_decode`] of a label found at `offset` in a packet.
    fn first_level_decode_at(encoded: &[u8], offset: usize) -> Result<NetbiosName, WireError> {
        let encoded: &[u8; ENCODED_LENGTH] =
            encoded
                .try_into()
                .map_err(|_| WireError::BadEncodedNameLength {
                    offset,
                    length: encoded.len(),
                })?;
        let nibble = |index: usize| {
            let byte = encoded[index];
            (b'A'..=b'P').contains(&byte).then(|| byte - b'A').ok_or(
                WireError::BadEncodedCharacter {
                    offset: offset + index,
                    byte,
                },
            )
        };
        let mut bytes = [0u8; NAME_LENGTH];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = (nibble(2 * index)? << 4) | nibble(2 * index + 1)?;
        }
        Ok(NetbiosName { bytes })
    }
}

/// Characters a NetBIOS name may hold when given as text: printable ASCII and space, except
/// `\ / : * ? " < > |` (the wildcard is made with [`NetbiosName::wildcard`] or `"*"`).
fn is_name_character(c: char) -> bool {
    (c.is_ascii_graphic() || c == ' ')
        && !matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
}

/// Two hex digits, exactly.
fn hex_suffix(digits: &str) -> Option<u8> {
    if digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        u8::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

impl FromStr for NetbiosName {
    type Err = NameError;

    /// `NAME` (suffix 00), `NAME#XX` or `NAME<XX>` (hex suffix, the second as `Display`
    /// prints it), or `*` (the wildcard, also as `*#XX` or `*<XX>`). Surrounding white space
    /// is ignored.
    fn from_str(text: &str) -> Result<NetbiosName, NameError> {
        let text = text.trim();
        let (name, suffix) = if let Some((name, digits)) = text
            .strip_suffix('>')
            .and_then(|body| body.rsplit_once('<'))
        {
            (name, Some(digits))
        } else if let Some((name, digits)) = text.rsplit_once('#') {
            (name, Some(digits))
        } else {
            (text, None)
        };
        let suffix = match suffix {
            Some(digits) => hex_suffix(digits).ok_or_else(|| NameError::BadSuffix(text.into()))?,
            None => 0x00,
        };
        if name == "*" {
            return Ok(NetbiosName::wildcard().with_suffix(suffix));
        }
        NetbiosName::new(name, suffix)
    }
}

impl fmt::Display for NetbiosName {
    /// `NAME<xx>`, as nmblookup prints names; bytes that are not printable ASCII are dots.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.name_bytes() {
            let c = if byte.is_ascii_graphic() || *byte == b' ' {
                char::from(*byte)
            } else {
                '.'
            };
            write!(f, "{c}")?;
        }
        write!(f, "<{:02x}>", self.suffix())
    }
}

impl fmt::Debug for NetbiosName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetbiosName({self})")
    }
}

/// The labels of one name as read from a packet, compression pointers followed.
#[derive(Debug)]
pub(crate) struct WireLabels<'a> {
    /// Where the name starts in the packet.
    offset: usize,
    /// Each label with the offset of its first byte.
    labels: Vec<(usize, &'a [u8])>,
    /// The pointer's target, when the whole name was one compression pointer.
    pointer: Option<u16>,
}

impl<'a> WireLabels<'a> {
    /// Reads the name at the reader's position and leaves the reader after it (after the first
    /// compression pointer, if there is one).
    ///
    /// Every pointer must point before the start of the run of labels it ends — so strictly
    /// backwards, never into itself or its own name — and at most [`MAX_POINTER_JUMPS`] are
    /// followed. The labels, counted as if uncompressed, stay within 255 bytes, which also
    /// bounds the label list.
    pub(crate) fn read(reader: &mut Reader<'a>) -> Result<WireLabels<'a>, WireError> {
        let offset = reader.position();
        let mut cursor = reader.clone();
        let mut labels = Vec::new();
        // The terminating zero byte counts.
        let mut length = 1usize;
        let mut jumps = 0usize;
        let mut run_start = offset;
        let mut end = None;
        let mut pointer = None;
        loop {
            let at = cursor.position();
            let byte = cursor.u8("label length")?;
            match byte & POINTER_TAG {
                0x00 if byte == 0 => break,
                0x00 => {
                    let label_at = cursor.position();
                    let label = cursor.take(usize::from(byte), "label")?;
                    length += 1 + label.len();
                    if length > MAX_ENCODED_NAME_LENGTH {
                        return Err(WireError::NameTooLong { offset, length });
                    }
                    labels.push((label_at, label));
                }
                POINTER_TAG => {
                    let low = cursor.u8("compression pointer")?;
                    let target = u16::from_be_bytes([byte & !POINTER_TAG, low]);
                    if usize::from(target) >= run_start {
                        return Err(WireError::PointerNotBackwards { offset: at, target });
                    }
                    jumps += 1;
                    if jumps > MAX_POINTER_JUMPS {
                        return Err(WireError::TooManyPointers {
                            offset,
                            limit: MAX_POINTER_JUMPS,
                        });
                    }
                    if end.is_none() {
                        end = Some(cursor.position());
                        pointer = labels.is_empty().then_some(target);
                    }
                    run_start = usize::from(target);
                    cursor = Reader::at(cursor.packet(), run_start);
                }
                _ => return Err(WireError::BadLabelType { offset: at, byte }),
            }
        }
        reader.advance_to(end.unwrap_or(cursor.position()), "name")?;
        Ok(WireLabels {
            offset,
            labels,
            pointer,
        })
    }

    /// The pointer's target, when the whole name was one compression pointer.
    pub(crate) fn pointer(&self) -> Option<u16> {
        self.pointer
    }

    /// The labels as a NetBIOS name: a first-level encoded first label, then the scope's.
    pub(crate) fn into_scoped_name(self) -> Result<ScopedName, WireError> {
        let Some(((first_at, first), scope_labels)) = self.labels.split_first() else {
            return Err(WireError::BadEncodedNameLength {
                offset: self.offset,
                length: 0,
            });
        };
        let name = NetbiosName::first_level_decode_at(first, *first_at)?;
        let mut scope = String::new();
        for (at, label) in scope_labels {
            let text = std::str::from_utf8(label)
                .ok()
                .filter(|text| !text.contains('.'))
                .ok_or(WireError::BadScopeLabel { offset: *at })?;
            if !scope.is_empty() {
                scope.push('.');
            }
            scope.push_str(text);
        }
        Ok(ScopedName { name, scope })
    }

    /// The labels as a domain name.
    pub(crate) fn into_domain_name(self) -> DomainName {
        DomainName {
            labels: self
                .labels
                .into_iter()
                .map(|(_, label)| label.to_vec())
                .collect(),
        }
    }
}

/// A NetBIOS name with its scope ID, as it travels in name-service packets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopedName {
    /// The name.
    pub name: NetbiosName,
    /// The scope ID: dot-separated labels, empty for none. [`ScopedName::with_scope`] checks
    /// it; a scope set directly is written as its non-empty labels, each cut to 63 bytes, as
    /// many as fit in 255 bytes.
    pub scope: String,
}

impl ScopedName {
    /// `name` in no scope.
    pub fn new(name: NetbiosName) -> ScopedName {
        ScopedName {
            name,
            scope: String::new(),
        }
    }

    /// `name` in `scope`, checked: labels of 1 to 63 bytes, and the whole encoded name within
    /// 255 bytes.
    pub fn with_scope(name: NetbiosName, scope: &str) -> Result<ScopedName, NameError> {
        let scoped = ScopedName {
            name,
            scope: scope.to_owned(),
        };
        // On the wire: the name's label, the scope's labels (a length byte each: one per dot,
        // and one more), and the zero byte.
        let encoded_length = (1 + ENCODED_LENGTH) + (scope.len() + 1) + 1;
        let valid = scope.is_empty()
            || (scope
                .split('.')
                .all(|label| (1..=MAX_LABEL_LENGTH).contains(&label.len()))
                && encoded_length <= MAX_ENCODED_NAME_LENGTH);
        if !valid {
            return Err(NameError::BadScope(scope.to_owned()));
        }
        Ok(scoped)
    }

    /// The scope's labels as they are written: non-empty, at most 63 bytes (cut on a character
    /// boundary), as many as fit in 255 bytes. For a checked scope, all of its labels.
    fn scope_labels(&self) -> Vec<&str> {
        let mut length = 1 + ENCODED_LENGTH + 1;
        let mut labels = Vec::new();
        for label in self.scope.split('.').filter(|label| !label.is_empty()) {
            let mut cut = label.len().min(MAX_LABEL_LENGTH);
            while !label.is_char_boundary(cut) {
                cut -= 1;
            }
            let label = &label[..cut];
            if label.is_empty() || length + 1 + label.len() > MAX_ENCODED_NAME_LENGTH {
                break;
            }
            length += 1 + label.len();
            labels.push(label);
        }
        labels
    }

    /// Bytes the name takes on the wire, uncompressed.
    pub fn encoded_length(&self) -> usize {
        let scope: usize = self.scope_labels().iter().map(|l| 1 + l.len()).sum();
        1 + ENCODED_LENGTH + scope + 1
    }

    /// Appends the name as labels (RFC 1002 §4.1): the first-level encoded name, the scope's
    /// labels, a zero byte.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ENCODED_LENGTH as u8);
        out.extend_from_slice(&self.name.first_level_encode());
        for label in self.scope_labels() {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
    }

    /// Decodes the name at `offset` in `packet`, following compression pointers backwards.
    /// Returns the name and the offset just after it.
    pub fn decode(packet: &[u8], offset: usize) -> Result<(ScopedName, usize), WireError> {
        let mut reader = Reader::at(packet, offset);
        let name = WireLabels::read(&mut reader)?.into_scoped_name()?;
        Ok((name, reader.position()))
    }
}

impl fmt::Display for ScopedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scope.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}.{}", self.name, self.scope)
        }
    }
}

/// A domain name in labels, as the NS and A records of a redirect carry it (RFC 1002
/// §4.2.15): the domain an NBNS has authority over, and the NBNS's own name. Labels are kept as
/// raw bytes; the name always fits the wire (labels of 1 to 63 bytes, 255 bytes in all).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct DomainName {
    labels: Vec<Vec<u8>>,
}

impl DomainName {
    /// The root: no labels, a single zero byte on the wire.
    pub fn root() -> DomainName {
        DomainName::default()
    }

    /// A name from dot-separated text (`NETBIOS.COM`, a trailing dot allowed; `` or `.` for
    /// the root), checked against the wire's limits.
    pub fn new(text: &str) -> Result<DomainName, NameError> {
        let trimmed = text.strip_suffix('.').unwrap_or(text);
        if trimmed.is_empty() {
            return Ok(DomainName::root());
        }
        let labels: Vec<Vec<u8>> = trimmed.split('.').map(|l| l.as_bytes().to_vec()).collect();
        // A length byte per label (one per dot, and one more) and the zero byte.
        let encoded_length = (trimmed.len() + 1) + 1;
        let fits = labels
            .iter()
            .all(|label| (1..=MAX_LABEL_LENGTH).contains(&label.len()))
            && encoded_length <= MAX_ENCODED_NAME_LENGTH;
        if !fits {
            return Err(NameError::BadDomainName(text.to_owned()));
        }
        Ok(DomainName { labels })
    }

    /// The labels, outermost last.
    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// Bytes the name takes on the wire, uncompressed.
    pub fn encoded_length(&self) -> usize {
        self.labels.iter().map(|l| 1 + l.len()).sum::<usize>() + 1
    }

    /// Appends the name as labels and a zero byte.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for label in &self.labels {
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }

    /// Decodes the name at `offset` in `packet`, following compression pointers backwards.
    /// Returns the name and the offset just after it.
    pub fn decode(packet: &[u8], offset: usize) -> Result<(DomainName, usize), WireError> {
        let mut reader = Reader::at(packet, offset);
        let name = WireLabels::read(&mut reader)?.into_domain_name();
        Ok((name, reader.position()))
    }
}

impl fmt::Display for DomainName {
    /// Dot-separated labels; `.` for the root. Bytes other than printable ASCII, and dots or
    /// backslashes inside a label, are written `\DDD` (decimal), as DNS tools do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return write!(f, ".");
        }
        for (index, label) in self.labels.iter().enumerate() {
            if index > 0 {
                write!(f, ".")?;
            }
            for byte in label {
                if byte.is_ascii_graphic() && !matches!(byte, b'.' | b'\\') {
                    write!(f, "{}", char::from(*byte))?;
                } else {
                    write!(f, "\\{byte:03}")?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({self})")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn encoded(name: &ScopedName) -> Vec<u8> {
        let mut out = Vec::new();
        name.encode(&mut out);
        out
    }

    #[test]
    fn first_level_encoding_matches_rfc_1001() {
        // RFC 1001 §14.1's example: "FRED" padded with spaces.
        let fred = NetbiosName::new("fred", 0x20).unwrap();
        assert_eq!(
            &fred.first_level_encode(),
            b"EGFCEFEECACACACACACACACACACACACA"
        );
        assert_eq!(
            &NetbiosName::wildcard().first_level_encode(),
            b"CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            NetbiosName::first_level_decode(b"EGFCEFEECACACACACACACACACACACACA").unwrap(),
            fred
        );
        // RFC 1001 §14.1: "The NetBIOS name" in scope SCOPE.ID.COM. The RFC prints
        // FEGHGFCAEOGFHEECEJEPFDCAHEGBGNGF, with two typos: 'h' (0x68) is GI, not GH, and
        // 'n' (0x6E) is GO, not HE.
        let the = NetbiosName::from_bytes(*b"The NetBIOS name");
        assert_eq!(
            &the.first_level_encode(),
            b"FEGIGFCAEOGFHEECEJEPFDCAGOGBGNGF"
        );
        let scoped = ScopedName::with_scope(the, "SCOPE.ID.COM").unwrap();
        let mut expected = b"\x20FEGIGFCAEOGFHEECEJEPFDCAGOGBGNGF".to_vec();
        expected.extend_from_slice(b"\x05SCOPE\x02ID\x03COM\x00");
        assert_eq!(encoded(&scoped), expected);
    }

    #[test]
    fn first_level_decoding_rejects_what_is_not_a_to_p() {
        assert_eq!(
            NetbiosName::first_level_decode(b"EGFC"),
            Err(WireError::BadEncodedNameLength {
                offset: 0,
                length: 4
            })
        );
        let mut lower = *b"EGFCEFEECACACACACACACACACACACACA";
        lower[5] = b'e';
        assert_eq!(
            NetbiosName::first_level_decode(&lower),
            Err(WireError::BadEncodedCharacter {
                offset: 5,
                byte: b'e'
            })
        );
        lower[5] = b'Q';
        assert!(NetbiosName::first_level_decode(&lower).is_err());
    }

    #[test]
    fn text_forms_parse_and_print() {
        let name: NetbiosName = "labserver#1D".parse().unwrap();
        assert_eq!(name.name(), "LABSERVER");
        assert_eq!(name.suffix(), 0x1d);
        assert_eq!(name.to_string(), "LABSERVER<1d>");
        assert_eq!("LABSERVER<1d>".parse::<NetbiosName>(), Ok(name));
        assert_eq!(" FRED ".parse::<NetbiosName>().unwrap().suffix(), 0);
        assert_eq!(
            "FRED".parse::<NetbiosName>().unwrap().as_bytes(),
            b"FRED           \x00"
        );
        let wildcard: NetbiosName = "*".parse().unwrap();
        assert!(wildcard.is_wildcard());
        assert_eq!(wildcard.as_bytes()[1..], [0u8; 15]);
        assert_eq!(wildcard.name(), "*");
        assert_eq!(wildcard.to_string(), "*<00>");
        assert_eq!("*<00>".parse::<NetbiosName>(), Ok(wildcard));
        assert_eq!(
            "*#20".parse::<NetbiosName>(),
            Ok(wildcard.with_suffix(0x20))
        );
        let browse = NetbiosName::from_bytes(*b"\x01\x02__MSBROWSE__\x02\x01");
        assert_eq!(browse.to_string(), "..__MSBROWSE__.<01>");
        assert_eq!(format!("{browse:?}"), "NetbiosName(..__MSBROWSE__.<01>)");
        assert_eq!(
            "FIFTEEN-CHARS-X".parse::<NetbiosName>().unwrap().name(),
            "FIFTEEN-CHARS-X"
        );
    }

    #[test]
    fn bad_names_say_why() {
        assert_eq!("".parse::<NetbiosName>(), Err(NameError::Empty));
        assert_eq!("  ".parse::<NetbiosName>(), Err(NameError::Empty));
        assert_eq!("#20".parse::<NetbiosName>(), Err(NameError::Empty));
        assert_eq!(
            "SIXTEENCHARSLONG".parse::<NetbiosName>(),
            Err(NameError::TooLong("SIXTEENCHARSLONG".into()))
        );
        for (bad, character) in [
            ("A*B", '*'),
            ("A\u{7}", '\u{7}'),
            ("A\\B", '\\'),
            ("A/B", '/'),
            ("A:B", ':'),
            ("A?B", '?'),
            ("A\"B", '"'),
            ("A|B", '|'),
            ("A<B", '<'),
            ("A>B", '>'),
            ("É", 'É'),
            ("A\tB", '\t'),
        ] {
            assert_eq!(
                bad.parse::<NetbiosName>(),
                Err(NameError::BadCharacter {
                    name: bad.into(),
                    character
                }),
                "{bad}"
            );
        }
        for bad in ["X#2", "X#zz", "X#200", "X#", "X<2>", "X<>", "X<+1>", "X#+1"] {
            assert_eq!(
                bad.parse::<NetbiosName>(),
                Err(NameError::BadSuffix(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            ScopedName::with_scope(NetbiosName::wildcard(), "a..b"),
            Err(NameError::BadScope("a..b".into()))
        );
        let long_label = "x".repeat(64);
        assert!(ScopedName::with_scope(NetbiosName::wildcard(), &long_label).is_err());
        let many = vec!["y".repeat(60); 4].join(".");
        assert!(ScopedName::with_scope(NetbiosName::wildcard(), &many).is_err());
        assert_eq!(
            DomainName::new("a..b"),
            Err(NameError::BadDomainName("a..b".into()))
        );
        assert!(DomainName::new(&"z".repeat(64)).is_err());
        assert!(DomainName::new(&vec!["w".repeat(63); 4].join(".")).is_err());
    }

    #[test]
    fn the_longest_scope_fits_exactly() {
        // 1 + 32 + scope (220 bytes of text: each label is 1 + len on the wire) + 1 + 1 = 255.
        let scope = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(28),
        ]
        .join(".");
        let name = ScopedName::with_scope(NetbiosName::wildcard(), &scope).unwrap();
        assert_eq!(name.encoded_length(), MAX_ENCODED_NAME_LENGTH);
        let bytes = encoded(&name);
        assert_eq!(bytes.len(), 255);
        assert_eq!(ScopedName::decode(&bytes, 0), Ok((name, 255)));
        assert!(ScopedName::with_scope(NetbiosName::wildcard(), &format!("{scope}d")).is_err());
    }

    #[test]
    fn unchecked_scopes_are_written_as_valid_labels() {
        // The fuzzer's find: a scope with empty labels once wrote a zero byte inside the name.
        let name = ScopedName {
            name: NetbiosName::wildcard(),
            scope: format!("..a..{}.é", "b".repeat(70)),
        };
        let bytes = encoded(&name);
        assert_eq!(bytes.len(), name.encoded_length());
        let (decoded, end) = ScopedName::decode(&bytes, 0).unwrap();
        assert_eq!(end, bytes.len());
        assert_eq!(decoded.scope, format!("a.{}.é", "b".repeat(63)));
    }

    #[test]
    fn scoped_names_round_trip_through_labels() {
        let name = ScopedName::with_scope("FRED".parse().unwrap(), "NETBIOS.COM").unwrap();
        let bytes = encoded(&name);
        assert_eq!(bytes.len(), name.encoded_length());
        assert_eq!(&bytes[33..], b"\x07NETBIOS\x03COM\x00");
        assert_eq!(
            ScopedName::decode(&bytes, 0),
            Ok((name.clone(), bytes.len()))
        );
        assert_eq!(name.to_string(), "FRED<00>.NETBIOS.COM");
    }

    #[test]
    fn domain_names_round_trip_and_print() {
        let name = DomainName::new("NS.NETBIOS.COM.").unwrap();
        assert_eq!(name.labels().len(), 3);
        let mut bytes = Vec::new();
        name.encode(&mut bytes);
        assert_eq!(bytes, b"\x02NS\x07NETBIOS\x03COM\x00");
        assert_eq!(bytes.len(), name.encoded_length());
        assert_eq!(
            DomainName::decode(&bytes, 0),
            Ok((name.clone(), bytes.len()))
        );
        assert_eq!(name.to_string(), "NS.NETBIOS.COM");
        assert_eq!(format!("{name:?}"), "DomainName(NS.NETBIOS.COM)");
        assert_eq!(DomainName::new("."), Ok(DomainName::root()));
        assert_eq!(DomainName::root().to_string(), ".");
        assert_eq!(DomainName::decode(&[0], 0), Ok((DomainName::root(), 1)));
        let odd = DomainName::decode(b"\x03a.\x01\x00", 0).unwrap().0;
        assert_eq!(odd.to_string(), "a\\046\\001");
    }

    #[test]
    fn compression_pointers_are_followed_backwards_only() {
        let name = ScopedName::new("FRED".parse().unwrap());
        let mut packet = encoded(&name);
        packet.extend_from_slice(&[0xC0, 0x00, 0xFF]);
        assert_eq!(ScopedName::decode(&packet, 34), Ok((name.clone(), 36)));
        let mut reader = Reader::at(&packet, 34);
        assert_eq!(WireLabels::read(&mut reader).unwrap().pointer(), Some(0));

        // A scope label, then a pointer to a name without scope: compressed, not a whole
        // pointer, and the reader stops after the pointer.
        let mut partial = encoded(&name);
        partial.push(ENCODED_LENGTH as u8);
        partial.extend_from_slice(&name.name.first_level_encode());
        partial.extend_from_slice(b"\x03COM\xC0\x21");
        partial.push(0xFF);
        let mut reader = Reader::at(&partial, 34);
        let labels = WireLabels::read(&mut reader).unwrap();
        assert_eq!(labels.pointer(), None);
        assert_eq!(reader.position(), partial.len() - 1);
        assert_eq!(
            labels.into_scoped_name().unwrap(),
            ScopedName::with_scope(name.name, "COM").unwrap()
        );

        // A pointer to itself, one that points forwards, and one into its own name.
        for (packet, offset, pointer_at, target) in [
            (vec![0xC0, 0x00], 0, 0, 0),
            (vec![0xC0, 0x02, 0x00], 0, 0, 2),
            (vec![0x01, b'A', 0xC0, 0x00], 0, 2, 0),
            (vec![0x00, 0x01, b'A', 0xC0, 0x01], 1, 3, 1),
        ] {
            assert_eq!(
                ScopedName::decode(&packet, offset),
                Err(WireError::PointerNotBackwards {
                    offset: pointer_at,
                    target
                }),
                "{packet:?}"
            );
        }
        // A label then a pointer back to that label, reached through an earlier pointer.
        let looped = [0x01, b'A', 0xC0, 0x00, 0xC0, 0x02];
        assert!(matches!(
            DomainName::decode(&looped, 4),
            Err(WireError::PointerNotBackwards { offset: 2, .. })
        ));
    }

    #[test]
    fn long_pointer_chains_are_cut_off() {
        // A name, then pointers each pointing at the one before: a chain of backwards jumps.
        let mut packet = encoded(&ScopedName::new(NetbiosName::wildcard()));
        let mut previous = 0u16;
        for _ in 0..=MAX_POINTER_JUMPS {
            let here = packet.len() as u16;
            packet.extend_from_slice(&(0xC000 | previous).to_be_bytes());
            previous = here;
        }
        // Reading the last pointer jumps MAX_POINTER_JUMPS + 1 times.
        let last = usize::from(previous);
        assert_eq!(
            ScopedName::decode(&packet, last),
            Err(WireError::TooManyPointers {
                offset: last,
                limit: MAX_POINTER_JUMPS
            })
        );
        // One fewer is fine.
        let second_last = last - 2;
        assert_eq!(
            ScopedName::decode(&packet, second_last),
            Ok((ScopedName::new(NetbiosName::wildcard()), last))
        );
    }

    #[test]
    fn hostile_names_get_typed_errors() {
        let mut bad_encoding = vec![0x20];
        bad_encoding.extend_from_slice(&[b'Z'; 32]);
        bad_encoding.push(0);
        let truncated = |field, offset, needed, available| WireError::Truncated {
            field,
            offset,
            needed,
            available,
        };
        let cases: [(Vec<u8>, WireError); 9] = [
            (vec![], truncated("label length", 0, 1, 0)),
            (vec![0x20, b'A'], truncated("label", 1, 32, 1)),
            (vec![0x20], truncated("label", 1, 32, 0)),
            (vec![0xC0], truncated("compression pointer", 1, 1, 0)),
            (
                vec![0x40],
                WireError::BadLabelType {
                    offset: 0,
                    byte: 0x40,
                },
            ),
            (
                vec![0x80],
                WireError::BadLabelType {
                    offset: 0,
                    byte: 0x80,
                },
            ),
            (
                vec![0x00],
                WireError::BadEncodedNameLength {
                    offset: 0,
                    length: 0,
                },
            ),
            (
                vec![0x02, b'A', b'A', 0x00],
                WireError::BadEncodedNameLength {
                    offset: 1,
                    length: 2,
                },
            ),
            (
                bad_encoding,
                WireError::BadEncodedCharacter {
                    offset: 1,
                    byte: b'Z',
                },
            ),
        ];
        for (bytes, error) in cases {
            assert_eq!(ScopedName::decode(&bytes, 0), Err(error), "{bytes:?}");
        }
        let mut bad_scope = encoded(&ScopedName::new(NetbiosName::wildcard()));
        bad_scope.pop();
        bad_scope.extend_from_slice(b"\x03a.b\x00");
        assert_eq!(
            ScopedName::decode(&bad_scope, 0),
            Err(WireError::BadScopeLabel { offset: 34 })
        );
        bad_scope.truncate(33);
        bad_scope.extend_from_slice(b"\x02\xff\xfe\x00");
        assert_eq!(
            ScopedName::decode(&bad_scope, 0),
            Err(WireError::BadScopeLabel { offset: 34 })
        );
        let mut too_long = encoded(&ScopedName::new(NetbiosName::wildcard()));
        too_long.pop();
        for _ in 0..5 {
            too_long.push(63);
            too_long.extend_from_slice(&[b'x'; 63]);
        }
        too_long.push(0);
        assert_eq!(
            ScopedName::decode(&too_long, 0),
            Err(WireError::NameTooLong {
                offset: 0,
                length: 1 + 33 + 3 * 64 + 64
            })
        );
        assert!(matches!(
            ScopedName::decode(&[0x20], 7),
            Err(WireError::Truncated { offset: 7, .. })
        ));
    }

    fn arb_text_name() -> impl Strategy<Value = String> {
        // Printable ASCII without the forbidden characters, never starting with a space
        // (the parser trims).
        "[A-Za-z0-9!#$%&'()+,.;=@^_`{}~-][A-Za-z0-9 !#$%&'()+,.;=@^_`{}~-]{0,14}"
    }

    fn arb_scope() -> impl Strategy<Value = String> {
        proptest::collection::vec("[A-Za-z0-9-]{1,63}", 0..4)
            .prop_map(|labels| labels.join("."))
            .prop_filter("fits in 255 bytes", |scope| scope.len() <= 220)
    }

    proptest! {
        #[test]
        fn text_names_round_trip_through_display(text in arb_text_name(), suffix in any::<u8>()) {
            let name = NetbiosName::new(&text, suffix).unwrap();
            prop_assert_eq!(name.to_string().parse::<NetbiosName>(), Ok(name));
            prop_assert_eq!(format!("{}#{suffix:02X}", text.trim_end()).parse::<NetbiosName>(), Ok(name));
            prop_assert_eq!(name.name(), text.trim_end().to_ascii_uppercase());
        }

        #[test]
        fn first_level_encoding_round_trips(bytes in any::<[u8; 16]>()) {
            let name = NetbiosName::from_bytes(bytes);
            let encoded = name.first_level_encode();
            prop_assert!(encoded.iter().all(|c| (b'A'..=b'P').contains(c)));
            prop_assert_eq!(NetbiosName::first_level_decode(&encoded), Ok(name));
        }

        #[test]
        fn scoped_names_round_trip(bytes in any::<[u8; 16]>(), scope in arb_scope(), prefix in 0usize..8) {
            let name = ScopedName::with_scope(NetbiosName::from_bytes(bytes), &scope).unwrap();
            let mut packet = vec![0u8; prefix];
            name.encode(&mut packet);
            prop_assert_eq!(packet.len(), prefix + name.encoded_length());
            prop_assert_eq!(ScopedName::decode(&packet, prefix), Ok((name.clone(), packet.len())));
            // And through a compression pointer placed after it.
            let pointer_at = packet.len();
            packet.extend_from_slice(&(0xC000 | prefix as u16).to_be_bytes());
            prop_assert_eq!(ScopedName::decode(&packet, pointer_at), Ok((name, pointer_at + 2)));
        }

        #[test]
        fn domain_names_round_trip(scope in arb_scope()) {
            let name = DomainName::new(&scope).unwrap();
            let mut bytes = Vec::new();
            name.encode(&mut bytes);
            prop_assert_eq!(bytes.len(), name.encoded_length());
            prop_assert_eq!(DomainName::decode(&bytes, 0), Ok((name.clone(), bytes.len())));
            prop_assert_eq!(DomainName::new(&name.to_string()), Ok(name));
        }

        #[test]
        fn any_text_parses_or_says_why(text in any::<String>()) {
            if let Ok(name) = text.parse::<NetbiosName>() {
                prop_assert_eq!(name.to_string().parse::<NetbiosName>(), Ok(name));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_name_decoders(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            offset in 0usize..310,
        ) {
            if let Ok((name, end)) = ScopedName::decode(&bytes, offset) {
                prop_assert!(end <= bytes.len());
                let mut again = Vec::new();
                name.encode(&mut again);
                prop_assert_eq!(ScopedName::decode(&again, 0), Ok((name, again.len())));
            }
            if let Ok((name, end)) = DomainName::decode(&bytes, offset) {
                prop_assert!(end <= bytes.len());
                let mut again = Vec::new();
                name.encode(&mut again);
                prop_assert_eq!(DomainName::decode(&again, 0), Ok((name, again.len())));
            }
        }
    }
}
