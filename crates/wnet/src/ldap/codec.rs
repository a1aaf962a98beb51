//! The few LDAP v3 messages ([RFC 4511]) that listing a domain's computers needs, in BER's
//! definite-length form: a SASL BindRequest, a SearchRequest with a presence or an equality
//! filter, and the BindResponse, SearchResultEntry and SearchResultDone that answer them.
//!
//! Sans-IO: [`decode_message`] reads one message from the front of a buffer and says how much
//! it took, or that more bytes are needed. What it reads comes from the network: every length
//! is checked against what is there and against [`MAX_MESSAGE`], and an entry keeps at most
//! [`MAX_ATTRIBUTES`] attributes of [`MAX_VALUES`] values each.

/// The largest LDAP message read (1 MiB).
pub const MAX_MESSAGE: usize = 1 << 20;
/// The most attributes of an entry kept.
pub const MAX_ATTRIBUTES: usize = 64;
/// The most values of an attribute kept.
pub const MAX_VALUES: usize = 64;

/// The result code success.
pub const SUCCESS: u32 = 0;
/// The result code sizeLimitExceeded: the entries returned are a part of those matched.
pub const SIZE_LIMIT_EXCEEDED: u32 = 4;
/// The result code saslBindInProgress: the bind takes another step.
pub const SASL_BIND_IN_PROGRESS: u32 = 14;

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const BOOLEAN: u8 = 0x01;
const ENUMERATED: u8 = 0x0a;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const BIND_REQUEST: u8 = 0x60;
const BIND_RESPONSE: u8 = 0x61;
const SEARCH_REQUEST: u8 = 0x63;
const SEARCH_RESULT_ENTRY: u8 = 0x64;
const SEARCH_RESULT_DONE: u8 = 0x65;
/// AuthenticationChoice sasl, [3] constructed.
const SASL: u8 = 0xa3;
/// BindResponse serverSaslCreds, [7] primitive.
const SERVER_SASL_CREDS: u8 = 0x87;
/// Filter present, [7] primitive.
const FILTER_PRESENT: u8 = 0x87;
/// Filter equalityMatch, [3] constructed.
const FILTER_EQUALITY: u8 = 0xa3;

/// Why an LDAP message cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LdapCodecError {
    /// The message is longer than [`MAX_MESSAGE`] (or its length does not fit).
    #[error("an LDAP message of {0} bytes is too long")]
    TooLong(usize),
    /// The bytes are not the BER the message needs.
    #[error("a malformed LDAP message: {0}")]
    Malformed(&'static str),
}

/// A search's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The base object alone.
    Base = 0,
    /// The base object and everything under it.
    Subtree = 2,
}

/// The filters that can be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `(attribute=*)`.
    Present(String),
    /// `(attribute=value)`.
    Equal(String, String),
}

/// A SearchRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The base object's DN ("" for the rootDSE).
    pub base: String,
    /// The scope.
    pub scope: Scope,
    /// The most entries the server is to return (0: its own limit).
    pub size_limit: u32,
    /// The most seconds the server is to search (0: its own limit).
    pub time_limit: u32,
    /// The filter.
    pub filter: Filter,
    /// The attributes wanted.
    pub attributes: Vec<String>,
}

/// An LDAPResult: a code and the server's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapResult {
    /// resultCode.
    pub code: u32,
    /// diagnosticMessage.
    pub message: String,
}

/// An entry of a search's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its DN.
    pub dn: String,
    /// Its attributes and their values (values as bytes).
    pub attributes: Vec<(String, Vec<Vec<u8>>)>,
}

impl Entry {
    /// The values of `attribute` (in any case), none if absent.
    pub fn values(&self, attribute: &str) -> &[Vec<u8>] {
        self.attributes
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
            .map_or(&[], |(_, values)| values.as_slice())
    }
}

/// A server's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A BindResponse and its serverSaslCreds.
    Bind(LdapResult, Option<Vec<u8>>),
    /// A SearchResultEntry.
    Entry(Entry),
    /// A SearchResultDone.
    SearchDone(LdapResult),
    /// Any other operation (a SearchResultReference, a notice of disconnection), by its tag.
    Other(u8),
}

/// A message and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// messageID (0 for unsolicited notices).
    pub id: u32,
    /// What it says.
    pub response: Response,
}

/// Appends tag, length and `content`.
fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// The content octets of a non-negative INTEGER or ENUMERATED.
fn integer(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    let mut content = Vec::with_capacity(5);
    // A leading bit set would make it negative.
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    content
}

/// An LDAPMessage with `id` around the operation `op` (already tagged).
fn message(id: u32, op: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    tlv(&mut content, INTEGER, &integer(id));
    content.extend_from_slice(op);
    let mut out = Vec::new();
    tlv(&mut out, SEQUENCE, &content);
    out
}

/// A BindRequest (version 3, no name) with SASL `mechanism` and `credentials`; no
/// credentials at all when `credentials` is `None`.
pub fn encode_sasl_bind(id: u32, mechanism: &str, credentials: Option<&[u8]>) -> Vec<u8> {
    let mut sasl = Vec::new();
    tlv(&mut sasl, OCTET_STRING, mechanism.as_bytes());
    if let Some(credentials) = credentials {
        tlv(&mut sasl, OCTET_STRING, credentials);
    }
    let mut bind = Vec::new();
    tlv(&mut bind, INTEGER, &integer(3));
    tlv(&mut bind, OCTET_STRING, b"");
    tlv(&mut bind, SASL, &sasl);
    let mut op = Vec::new();
    tlv(&mut op, BIND_REQUEST, &bind);
    message(id, &op)
}

/// A SearchRequest (aliases never dereferenced, values wanted).
pub fn encode_search(id: u32, search: &Search) -> Vec<u8> {
    let mut request = Vec::new();
    tlv(&mut request, OCTET_STRING, search.base.as_bytes());
    tlv(&mut request, ENUMERATED, &integer(search.scope as u32));
    tlv(&mut request, ENUMERATED, &integer(0));
    tlv(&mut request, INTEGER, &integer(search.size_limit));
    tlv(&mut request, INTEGER, &integer(search.time_limit));
    tlv(&mut request, BOOLEAN, &[0]);
    match &search.filter {
        Filter::Present(attribute) => tlv(&mut request, FILTER_PRESENT, attribute.as_bytes()),
        Filter::Equal(attribute, value) => {
            let mut ava = Vec::new();
            tlv(&mut ava, OCTET_STRING, attribute.as_bytes());
            tlv(&mut ava, OCTET_STRING, value.as_bytes());
            tlv(&mut request, FILTER_EQUALITY, &ava);
        }
    }
    let mut attributes = Vec::new();
    for attribute in &search.attributes {
        tlv(&mut attributes, OCTET_STRING, attribute.as_bytes());
    }
    tlv(&mut request, SEQUENCE, &attributes);
    let mut op = Vec::new();
    tlv(&mut op, SEARCH_REQUEST, &request);
    message(id, &op)
}

/// A reader of BER elements within a slice.
struct Reader<'a> {
    rest: &'a [u8],
}

/// The header of an element: its tag and its content's length, or that more bytes are
/// needed (`None`); `header_len` is the header's size.
fn header(bytes: &[u8]) -> Result<Option<(u8, usize, usize)>, LdapCodecError> {
    let [tag, first, ..] = *bytes else {
        return Ok(None);
    };
    if tag & 0x1f == 0x1f {
        return Err(LdapCodecError::Malformed("a multi-byte tag"));
    }
    if first < 0x80 {
        return Ok(Some((tag, usize::from(first), 2)));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 {
        return Err(LdapCodecError::Malformed("an indefinite length"));
    }
    if count > 4 {
        return Err(LdapCodecError::TooLong(usize::MAX));
    }
    let Some(octets) = bytes.get(2..2 + count) else {
        return Ok(None);
    };
    let len = octets
        .iter()
        .fold(0usize, |len, octet| (len << 8) | usize::from(*octet));
    Ok(Some((tag, len, 2 + count)))
}

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element's tag and content, which must be all there.
    fn any(&mut self) -> Result<(u8, &'a [u8]), LdapCodecError> {
        let (tag, len, header_len) =
            header(self.rest)?.ok_or(LdapCodecError::Malformed("a truncated header"))?;
        let end = header_len
            .checked_add(len)
            .filter(|end| *end <= self.rest.len())
            .ok_or(LdapCodecError::Malformed("a length past the end"))?;
        let content = &self.rest[header_len..end];
        self.rest = &self.rest[end..];
        Ok((tag, content))
    }

    /// The next element, which must have `tag`.
    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], LdapCodecError> {
        match self.any()? {
            (found, content) if found == tag => Ok(content),
            _ => Err(LdapCodecError::Malformed(what)),
        }
    }

    /// The next element, a non-negative INTEGER or ENUMERATED (`tag`) that fits 32 bits.
    fn unsigned(&mut self, tag: u8, what: &'static str) -> Result<u32, LdapCodecError> {
        let content = self.expect(tag, what)?;
        let content = match content {
            [0, rest @ ..] if !rest.is_empty() => rest,
            [first, ..] if first & 0x80 != 0 => return Err(LdapCodecError::Malformed(what)),
            [] => return Err(LdapCodecError::Malformed(what)),
            other => other,
        };
        if content.len() > 4 {
            return Err(LdapCodecError::Malformed(what));
        }
        Ok(content
            .iter()
            .fold(0u32, |value, octet| (value << 8) | u32::from(*octet)))
    }
}

fn text(bytes: &[u8], what: &'static str) -> Result<String, LdapCodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| LdapCodecError::Malformed(what))
}

/// resultCode, matchedDN and diagnosticMessage at the front of `reader`.
fn ldap_result(reader: &mut Reader<'_>) -> Result<LdapResult, LdapCodecError> {
    let code = reader.unsigned(ENUMERATED, "a result code")?;
    reader.expect(OCTET_STRING, "a matched DN")?;
    let message = reader.expect(OCTET_STRING, "a diagnostic message")?;
    Ok(LdapResult {
        code,
        message: String::from_utf8_lossy(message).into_owned(),
    })
}

fn entry(content: &[u8]) -> Result<Entry, LdapCodecError> {
    let mut reader = Reader { rest: content };
    let dn = text(
        reader.expect(OCTET_STRING, "an entry's DN")?,
        "an entry's DN",
    )?;
    let mut list = Reader {
        rest: reader.expect(SEQUENCE, "an entry's attributes")?,
    };
    let mut attributes = Vec::new();
    while !list.is_empty() {
        let mut attribute = Reader {
            rest: list.expect(SEQUENCE, "an attribute")?,
        };
        let name = text(
            attribute.expect(OCTET_STRING, "an attribute's type")?,
            "an attribute's type",
        )?;
        let mut set = Reader {
            rest: attribute.expect(SET, "an attribute's values")?,
        };
        let mut values = Vec::new();
        while !set.is_empty() {
            let value = set.expect(OCTET_STRING, "an attribute's value")?;
            if values.len() < MAX_VALUES {
                values.push(value.to_vec());
            }
        }
        if attributes.len() < MAX_ATTRIBUTES {
            attributes.push((name, values));
        }
    }
    Ok(Entry { dn, attributes })
}

/// One message from the front of `bytes`, and how many bytes it took; `None` when `bytes`
/// holds only a part of it.
pub fn decode_message(bytes: &[u8]) -> Result<Option<(Message, usize)>, LdapCodecError> {
    let Some((tag, len, header_len)) = header(bytes)? else {
        return Ok(None);
    };
    if tag != SEQUENCE {
        return Err(LdapCodecError::Malformed("not an LDAPMessage"));
    }
    if len > MAX_MESSAGE {
        return Err(LdapCodecError::TooLong(len));
    }
    let end = header_len + len;
    let Some(content) = bytes.get(header_len..end) else {
        return Ok(None);
    };
    let mut reader = Reader { rest: content };
    let id = reader.unsigned(INTEGER, "a message id")?;
    let (op, body) = reader.any()?;
    // Controls may follow; they are not read.
    let mut body_reader = Reader { rest: body };
    let response = match op {
        BIND_RESPONSE => {
            let result = ldap_result(&mut body_reader)?;
            let mut credentials = None;
            while !body_reader.is_empty() {
                let (tag, content) = body_reader.any()?;
                if tag == SERVER_SASL_CREDS {
                    credentials = Some(content.to_vec());
                }
            }
            Response::Bind(result, credentials)
        }
        SEARCH_RESULT_ENTRY => Response::Entry(entry(body)?),
        SEARCH_RESULT_DONE => Response::SearchDone(ldap_result(&mut body_reader)?),
        other => Response::Other(other),
    };
    Ok(Some((Message { id, response }, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_message(id: u32, dn: &str, attributes: &[(&str, &[&str])]) -> Vec<u8> {
        let mut list = Vec::new();
        for (name, values) in attributes {
            let mut set = Vec::new();
            for value in *values {
                tlv(&mut set, OCTET_STRING, value.as_bytes());
            }
            let mut attribute = Vec::new();
            tlv(&mut attribute, OCTET_STRING, name.as_bytes());
            tlv(&mut attribute, SET, &set);
            tlv(&mut list, SEQUENCE, &attribute);
        }
        let mut body = Vec::new();
        tlv(&mut body, OCTET_STRING, dn.as_bytes());
        tlv(&mut body, SEQUENCE, &list);
        let mut op = Vec::new();
        tlv(&mut op, SEARCH_RESULT_ENTRY, &body);
        message(id, &op)
    }

    fn result_message(id: u32, tag: u8, code: u32, creds: Option<&[u8]>) -> Vec<u8> {
        let mut body = Vec::new();
        tlv(&mut body, ENUMERATED, &integer(code));
        tlv(&mut body, OCTET_STRING, b"");
        tlv(&mut body, OCTET_STRING, b"said");
        if let Some(creds) = creds {
            tlv(&mut body, SERVER_SASL_CREDS, creds);
        }
        let mut op = Vec::new();
        tlv(&mut op, tag, &body);
        message(id, &op)
    }

    #[test]
    fn a_sasl_bind_is_ber_as_rfc_4511_says() {
        let bind = encode_sasl_bind(1, "GSSAPI", Some(&[0xaa, 0xbb]));
        assert_eq!(
            bind,
            [
                0x30, 0x18, 0x02, 0x01, 0x01, 0x60, 0x13, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0c,
                0x04, 0x06, b'G', b'S', b'S', b'A', b'P', b'I', 0x04, 0x02, 0xaa, 0xbb
            ]
        );
        // No credentials: the mechanism alone.
        let bind = encode_sasl_bind(200, "GSSAPI", None);
        assert_eq!(&bind[..6], [0x30, 0x15, 0x02, 0x02, 0x00, 0xc8]);
    }

    #[test]
    fn long_lengths_take_the_long_form() {
        let credentials = vec![7u8; 300];
        let bind = encode_sasl_bind(1, "GSSAPI", Some(&credentials));
        assert_eq!(&bind[..4], [0x30, 0x82, 0x01, 0x48]);
        assert_eq!(bind.len(), 4 + 0x148);
    }

    #[test]
    fn a_search_has_its_filter_and_attributes() {
        let search = Search {
            base: String::new(),
            scope: Scope::Base,
            size_limit: 0,
            time_limit: 5,
            filter: Filter::Present("objectClass".into()),
            attributes: vec!["defaultNamingContext".into()],
        };
        let bytes = encode_search(2, &search);
        let expected_tail = [
            0x87, 0x0b, b'o', b'b', b'j', b'e', b'c', b't', b'C', b'l', b'a', b's', b's', 0x30,
            0x16, 0x04, 0x14,
        ];
        let at = bytes
            .windows(expected_tail.len())
            .position(|window| window == expected_tail);
        assert!(at.is_some(), "{bytes:02x?}");
        let search = Search {
            filter: Filter::Equal("objectClass".into(), "computer".into()),
            scope: Scope::Subtree,
            ..search
        };
        let bytes = encode_search(3, &search);
        assert!(bytes.windows(2).any(|w| w == [0xa3, 0x17]), "{bytes:02x?}");
        assert_eq!(bytes[1] as usize, bytes.len() - 2);
    }

    #[test]
    fn responses_decode() {
        let bytes = result_message(1, BIND_RESPONSE, 14, Some(b"token"));
        let (message, used) = decode_message(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(message.id, 1);
        assert_eq!(
            message.response,
            Response::Bind(
                LdapResult {
                    code: 14,
                    message: "said".into()
                },
                Some(b"token".to_vec())
            )
        );
        let mut stream = entry_message(
            3,
            "CN=FS1,CN=Computers,DC=corp",
            &[("dNSHostName", &["fs1.corp.example.test"])],
        );
        stream.extend(result_message(3, SEARCH_RESULT_DONE, 0, None));
        let (first, used) = decode_message(&stream).unwrap().unwrap();
        let Response::Entry(entry) = first.response else {
            panic!("{first:?}");
        };
        assert_eq!(
            entry.values("dnshostname"),
            [b"fs1.corp.example.test".to_vec()]
        );
        assert!(entry.values("cn").is_empty());
        let (done, rest) = decode_message(&stream[used..]).unwrap().unwrap();
        assert_eq!(used + rest, stream.len());
        assert!(matches!(
            done.response,
            Response::SearchDone(LdapResult { code: 0, .. })
        ));
    }

    #[test]
    fn a_part_of_a_message_asks_for_more() {
        let bytes = entry_message(3, "CN=X", &[("dNSHostName", &["x.test"])]);
        for cut in 0..bytes.len() {
            assert_eq!(decode_message(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn hostile_encodings_are_errors_not_panics() {
        // Indefinite length, a multi-byte tag, a five-byte length, a length past the limit.
        assert!(decode_message(&[0x30, 0x80, 0, 0]).is_err());
        assert!(decode_message(&[0x3f, 0x01, 0x00]).is_err());
        assert!(decode_message(&[0x30, 0x85, 1, 0, 0, 0, 0]).is_err());
        assert_eq!(
            decode_message(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]),
            Err(LdapCodecError::TooLong(0x7fff_ffff))
        );
        // Not a SEQUENCE; an inner length past the outer one; a negative or huge id.
        assert!(decode_message(&[0x04, 0x00]).is_err());
        assert!(decode_message(&[0x30, 0x05, 0x02, 0x09, 0x01, 0x61, 0x00]).is_err());
        assert!(decode_message(&[0x30, 0x05, 0x02, 0x01, 0x80, 0x61, 0x00]).is_err());
        assert!(decode_message(&[0x30, 0x08, 0x02, 0x05, 1, 0, 0, 0, 0, 0x61]).is_err());
        // A BindResponse without its result.
        assert!(decode_message(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x61, 0x00]).is_err());
        // Every corruption of one byte of a good entry decodes or fails, but never panics.
        let good = entry_message(3, "CN=X", &[("dNSHostName", &["x.test", "y.test"])]);
        for at in 0..good.len() {
            for value in [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff] {
                let mut bad = good.clone();
                bad[at] = value;
                let _ = decode_message(&bad);
            }
        }
    }

    #[test]
    fn entries_keep_a_bounded_number_of_values() {
        let values: Vec<String> = (0..200).map(|i| format!("h{i}.test")).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let bytes = entry_message(3, "CN=X", &[("dNSHostName", &values)]);
        let (message, _) = decode_message(&bytes).unwrap().unwrap();
        let Response::Entry(entry) = message.response else {
            panic!();
        };
        assert_eq!(entry.values("dNSHostName").len(), MAX_VALUES);
    }

    #[test]
    fn integers_are_minimal_and_non_negative() {
        assert_eq!(integer(0), [0]);
        assert_eq!(integer(127), [127]);
        assert_eq!(integer(128), [0, 128]);
        assert_eq!(integer(256), [1, 0]);
        assert_eq!(integer(u32::MAX), [0, 0xff, 0xff, 0xff, 0xff]);
    }
}
