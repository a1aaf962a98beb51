//! NetBIOS names (RFC 1001 §14, RFC 1002 §4.1): 15 characters and a suffix byte, their
//! first-level encoding, scope IDs, and the DNS-style labels with compression pointers that
//! carry them in name-service packets.

use std::fmt;
use std::str::FromStr;

use crate::wire::WireError;
use crate::wire::reader::Reader;

/// Length of a NetBIOS name: 15 characters and the suffix byte.
pub const NAME_LENGTH: usize = 16;
/// Length of a first-level encoded name (RFC 1001 §14.1): two letters per byte.
pub const ENCODED_LENGTH: usize = 32;
/// Longest label (RFC 1002 §4.1, as in DNS).
pub const MAX_LABEL_LENGTH: usize = 63;
/// Longest encoded name, labels and length bytes included (RFC 1002 §4.1).
pub const MAX_ENCODED_NAME_LENGTH: usize = 255;
/// Compression pointers followed at most while reading one name.
const MAX_POINTER_JUMPS: usize = 16;

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
    /// The `#XX` suffix is not two hex digits.
    #[error("`{0}` has a suffix that is not two hex digits (NAME#20)")]
    BadSuffix(String),
    /// The scope ID is malformed.
    #[error("the scope ID `{0}` is malformed (dot-separated labels of 1 to 63 characters)")]
    BadScope(String),
}

/// A NetBIOS name: 15 bytes of name, space padded, and a suffix byte naming the service.
///
/// The wildcard `*` used by node status requests is `*` followed by 15 NUL bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetbiosName {
    bytes: [u8; NAME_LENGTH],
}

impl NetbiosName {
    /// `name` (upper-cased, space padded) with `suffix`.
    pub fn new(name: &str, suffix: u8) -> Result<NetbiosName, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > NAME_LENGTH - 1 {
            return Err(NameError::TooLong(name.to_owned()));
        }
        if let Some(character) = name.chars().find(|c| !is_name_character(*c)) {
            return Err(NameError::BadCharacter {
                name: name.to_owned(),
                character,
            });
        }
        let mut bytes = [b' '; NAME_LENGTH];
        for (slot, byte) in bytes.iter_mut().zip(name.bytes()) {
            *slot = byte.to_ascii_uppercase();
        }
        bytes[NAME_LENGTH - 1] = suffix;
        Ok(NetbiosName { bytes })
    }

    /// The wildcard name `*` (node status requests).
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

    /// Whether this is the wildcard `*`.
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

    /// Decodes a first-level encoded label; every character must be in `'A'..='P'`.
    pub fn first_level_decode(encoded: &[u8]) -> Result<NetbiosName, WireError> {
        if encoded.len() != ENCODED_LENGTH {
            return Err(WireError::BadEncodedNameLength(encoded.len()));
        }
        let mut bytes = [0u8; NAME_LENGTH];
        for (byte, pair) in bytes.iter_mut().zip(encoded.chunks_exact(2)) {
            let nibble = |c: u8| {
                (b'A'..=b'P')
                    .contains(&c)
                    .then(|| c - b'A')
                    .ok_or(WireError::BadEncodedCharacter(c))
            };
            *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Ok(NetbiosName { bytes })
    }
}

/// Characters a NetBIOS name may hold when given as text: printable ASCII except
/// `\ / : * ? " < > |` (the wildcard is made with [`NetbiosName::wildcard`]).
fn is_name_character(c: char) -> bool {
    (c.is_ascii_graphic() || c == ' ')
        && !matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
}

impl FromStr for NetbiosName {
    type Err = NameError;

    /// `NAME` (suffix 00), `NAME#XX` (hex suffix), or `*` (the wildcard).
    fn from_str(text: &str) -> Result<NetbiosName, NameError> {
        let text = text.trim();
        if text == "*" {
            return Ok(NetbiosName::wildcard());
        }
        match text.rsplit_once('#') {
            Some((name, suffix)) => {
                let valid = suffix.len() == 2 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
                let suffix = u8::from_str_radix(suffix, 16)
                    .ok()
                    .filter(|_| valid)
                    .ok_or_else(|| NameError::BadSuffix(text.to_owned()))?;
                NetbiosName::new(name, suffix)
            }
            None => NetbiosName::new(text, 0x00),
        }
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

/// A NetBIOS name with its scope ID, as it travels in name-service packets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopedName {
    /// The name.
    pub name: NetbiosName,
    /// The scope ID: dot-separated labels, empty for none.
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
        if !scope.is_empty()
            && (scope
                .split('.')
                .any(|label| label.is_empty() || label.len() > MAX_LABEL_LENGTH)
                || scoped.encoded_length() > MAX_ENCODED_NAME_LENGTH)
        {
            return Err(NameError::BadScope(scope.to_owned()));
        }
        Ok(scoped)
    }

    /// Bytes the name takes on the wire, uncompressed.
    pub fn encoded_length(&self) -> usize {
        let scope: usize = if self.scope.is_empty() {
            0
        } else {
            self.scope.split('.').map(|label| 1 + label.len()).sum()
        };
        1 + ENCODED_LENGTH + scope + 1
    }

    /// Appends the name as labels: the first-level encoded name, the scope's labels, a zero.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ENCODED_LENGTH as u8);
        out.extend_from_slice(&self.name.first_level_encode());
        if !self.scope.is_empty() {
            for label in self.scope.split('.') {
                // Lengths were checked when the scope was made; a longer label is cut rather
                // than written with a wrong length byte.
                let label = &label.as_bytes()[..label.len().min(MAX_LABEL_LENGTH)];
                out.push(label.len() as u8);
                out.extend_from_slice(label);
            }
        }
        out.push(0);
    }

    /// Reads a name at the reader's position, following compression pointers (which must point
    /// strictly backwards, at most 16 of them). Returns the name and whether it was (or ended
    /// in) a pointer, with the pointer's target.
    pub(crate) fn decode(reader: &mut Reader<'_>) -> Result<(ScopedName, Option<u16>), WireError> {
        let packet = reader.packet();
        let start = reader.position();
        let mut labels: Vec<&[u8]> = Vec::new();
        let mut total = 0usize;
        let mut jumps = 0usize;
        let mut pointer = None;
        let mut cursor = reader.clone();
        let mut lowest = start;
        loop {
            let at = cursor.position();
            let length = cursor.u8()?;
            match length & 0xC0 {
                0x00 if length == 0 => break,
                0x00 => {
                    let label = cursor.take(usize::from(length))?;
                    total += 1 + label.len();
                    // The terminating zero byte counts too.
                    if total + 1 > MAX_ENCODED_NAME_LENGTH {
                        return Err(WireError::NameTooLong { offset: start });
                    }
                    labels.push(label);
                }
                0xC0 => {
                    let low = cursor.u8()?;
                    let target = u16::from_be_bytes([length & 0x3F, low]);
                    if usize::from(target) >= lowest {
                        return Err(WireError::BadPointer { offset: at, target });
                    }
                    jumps += 1;
                    if jumps > MAX_POINTER_JUMPS {
                        return Err(WireError::PointerLoop { offset: start });
                    }
                    if jumps == 1 {
                        // The name ends here in the packet; the rest is read elsewhere. A name
                        // that is all pointer is remembered as one, to be re-encoded the same.
                        reader.take(cursor.position() - reader.position())?;
                        pointer = Some(labels.is_empty().then_some(target));
                    }
                    lowest = usize::from(target);
                    cursor = Reader::at(packet, usize::from(target));
                }
                _ => {
                    return Err(WireError::BadLabelType {
                        offset: at,
                        byte: length,
                    });
                }
            }
        }
        let pointer = if let Some(pointer) = pointer {
            pointer
        } else {
            reader.take(cursor.position() - reader.position())?;
            None
        };
        let Some((first, scope_labels)) = labels.split_first() else {
            return Err(WireError::BadEncodedNameLength(0));
        };
        let name = NetbiosName::first_level_decode(first)?;
        let mut scope = String::new();
        for (index, label) in scope_labels.iter().enumerate() {
            if index > 0 {
                scope.push('.');
            }
            // A scope label is text without dots: a dot would split it into two labels when the
            // name is encoded again.
            let label = std::str::from_utf8(label)
                .ok()
                .filter(|label| !label.contains('.'))
                .ok_or(WireError::BadScopeLabel { offset: start })?;
            scope.push_str(label);
        }
        Ok((ScopedName { name, scope }, pointer))
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

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn text_forms_parse_and_print() {
        let name: NetbiosName = "labserver#1D".parse().unwrap();
        assert_eq!(name.name(), "LABSERVER");
        assert_eq!(name.suffix(), 0x1d);
        assert_eq!(name.to_string(), "LABSERVER<1d>");
        assert_eq!("FRED".parse::<NetbiosName>().unwrap().suffix(), 0);
        let wildcard: NetbiosName = "*".parse().unwrap();
        assert!(wildcard.is_wildcard());
        assert_eq!(wildcard.as_bytes()[1..], [0u8; 15]);
        assert_eq!(wildcard.name(), "*");
        let browse = NetbiosName::from_bytes(*b"\x01\x02__MSBROWSE__\x02\x01");
        assert_eq!(browse.to_string(), "..__MSBROWSE__.<01>");
    }

    #[test]
    fn bad_names_say_why() {
        assert_eq!("".parse::<NetbiosName>(), Err(NameError::Empty));
        assert_eq!(
            "SIXTEENCHARSLONG".parse::<NetbiosName>(),
            Err(NameError::TooLong("SIXTEENCHARSLONG".into()))
        );
        assert!(matches!(
            "A*B".parse::<NetbiosName>(),
            Err(NameError::BadCharacter { character: '*', .. })
        ));
        assert!(matches!(
            "A\u{7}".parse::<NetbiosName>(),
            Err(NameError::BadCharacter { .. })
        ));
        for bad in ["X#2", "X#zz", "X#200", "X#"] {
            assert_eq!(
                bad.parse::<NetbiosName>(),
                Err(NameError::BadSuffix(bad.into()))
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
    }

    #[test]
    fn scoped_names_round_trip_through_labels() {
        let name = ScopedName::with_scope("FRED".parse().unwrap(), "NETBIOS.COM").unwrap();
        let bytes = encoded(&name);
        assert_eq!(bytes.len(), name.encoded_length());
        assert_eq!(&bytes[33..], b"\x07NETBIOS\x03COM\x00");
        let mut reader = Reader::new(&bytes);
        assert_eq!(ScopedName::decode(&mut reader).unwrap(), (name, None));
        assert_eq!(reader.remaining(), 0);
    }

    #[test]
    fn scope_labels_with_dots_or_bytes_that_are_not_text_are_refused() {
        // Found by the name_service_packet fuzz target: a label "a.b" re-encoded as two labels.
        for label in [&b"a.b"[..], &[0xff, 0xfe][..]] {
            let mut bytes = encoded(&ScopedName::new(NetbiosName::wildcard()));
            bytes.pop();
            bytes.push(label.len() as u8);
            bytes.extend_from_slice(label);
            bytes.push(0);
            let mut reader = Reader::new(&bytes);
            assert_eq!(
                ScopedName::decode(&mut reader),
                Err(WireError::BadScopeLabel { offset: 0 })
            );
        }
    }

    #[test]
    fn compression_pointers_are_followed_backwards_only() {
        let name = ScopedName::new("FRED".parse().unwrap());
        let mut packet = encoded(&name);
        packet.extend_from_slice(&[0xC0, 0x00, 0xFF]);
        let mut reader = Reader::at(&packet, 34);
        assert_eq!(ScopedName::decode(&mut reader).unwrap(), (name, Some(0)));
        assert_eq!(reader.position(), 36, "the reader stops after the pointer");

        // A pointer to itself, and one that points forwards.
        for (packet, offset) in [(vec![0xC0, 0x00], 0), (vec![0xC0, 0x02, 0x00], 0)] {
            let mut reader = Reader::at(&packet, offset);
            assert!(matches!(
                ScopedName::decode(&mut reader),
                Err(WireError::BadPointer { .. })
            ));
        }
        // A label then a pointer back to that label: a loop.
        let looped = [0x01, b'A', 0xC0, 0x00];
        let mut reader = Reader::at(&looped, 2);
        assert!(ScopedName::decode(&mut reader).is_err());
    }

    #[test]
    fn hostile_names_get_typed_errors() {
        let mut bad_encoding = vec![0x20];
        bad_encoding.extend_from_slice(&[b'Z'; 32]);
        bad_encoding.push(0);
        let cases: [(Vec<u8>, &str); 6] = [
            (vec![], "empty"),
            (vec![0x20, b'A'], "label overrun"),
            (vec![0x40], "reserved label type"),
            (vec![0x00], "no first label"),
            (vec![0x02, b'A', b'A', 0x00], "short first label"),
            (bad_encoding, "bad encoding char"),
        ];
        for (bytes, what) in cases {
            let mut reader = Reader::new(&bytes);
            assert!(ScopedName::decode(&mut reader).is_err(), "{what}");
        }
        let mut too_long = encoded(&ScopedName::new(NetbiosName::wildcard()));
        too_long.pop();
        for _ in 0..5 {
            too_long.push(63);
            too_long.extend_from_slice(&[b'x'; 63]);
        }
        too_long.push(0);
        let mut reader = Reader::new(&too_long);
        assert!(matches!(
            ScopedName::decode(&mut reader),
            Err(WireError::NameTooLong { .. })
        ));
    }
}
