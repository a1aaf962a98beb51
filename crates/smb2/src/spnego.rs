//! The SPNEGO tokens that carry NTLMSSP or Kerberos in SMB2 security buffers ([RFC 4178],
//! [MS-SPNG]).
//!
//! A minimal DER codec: the client builds its first token, a GSS-API InitialContextToken
//! ([RFC 2743] 3.1) holding a NegTokenInit that offers NTLMSSP (OID 1.3.6.1.4.1.311.2.2.10) and
//! carries the NTLM NEGOTIATE_MESSAGE, and then NegTokenResp tokens carrying the
//! AUTHENTICATE_MESSAGE. It parses the server's NegTokenInit (the NEGOTIATE response's security
//! buffer, possibly a NegTokenInit2 with negHints, [MS-SPNG] 2.2.1) and NegTokenResp tokens.
//! For Kerberos the NegTokenInit offers the Kerberos v5 OID (1.2.840.113554.1.2.2) and carries
//! the AP-REQ; servers may answer with it or with Microsoft's variant (1.2.840.48018.1.2.2),
//! and [`Oid::is_kerberos`] takes both.
//!
//! Lengths may use the long form with up to 4 bytes; indefinite lengths are refused. Every
//! length is checked against the bytes that hold it.

use std::fmt;

use crate::ntlmssp::NTLMSSP_SIGNATURE;

/// The content octets of the SPNEGO OID 1.3.6.1.5.5.2.
pub const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// The content octets of the NTLMSSP OID 1.3.6.1.4.1.311.2.2.10.
pub const NTLMSSP_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

/// The content octets of the Kerberos v5 OID 1.2.840.113554.1.2.2.
pub const KERBEROS_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// The content octets of Microsoft's Kerberos OID 1.2.840.48018.1.2.2, which Windows offers
/// first and servers may name as the supportedMech of their answer.
pub const MS_KERBEROS_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

const TAG_APPLICATION_0: u8 = 0x60;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_OID: u8 = 0x06;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_ENUMERATED: u8 = 0x0a;
/// Context-specific constructed tag `[n]`.
const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// Errors of SPNEGO token parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpnegoError {
    /// The security buffer is empty.
    #[error("SPNEGO token is empty")]
    Empty,
    /// A tag, length or value runs past the end of the bytes that contain it.
    #[error("SPNEGO token truncated: the {what} at byte {at} runs past the end of its container")]
    Truncated {
        /// The element being read.
        what: &'static str,
        /// Offset of the element in the token.
        at: usize,
    },
    /// An indefinite length, or a long-form length of more than 4 bytes.
    #[error("SPNEGO token: unsupported length encoding {first:#04x} at byte {at}")]
    BadLength {
        /// The first length byte.
        first: u8,
        /// Its offset in the token.
        at: usize,
    },
    /// A tag other than the one the structure requires.
    #[error("SPNEGO token: expected {expected} at byte {at}, found tag {found:#04x}")]
    UnexpectedTag {
        /// What was expected.
        expected: &'static str,
        /// The tag found.
        found: u8,
        /// Its offset in the token.
        at: usize,
    },
    /// Bytes left over after an element that should fill its container.
    #[error("SPNEGO token: {len} unexpected bytes after the {what} at byte {at}")]
    TrailingData {
        /// The element that should have been last.
        what: &'static str,
        /// Offset of the leftover bytes.
        at: usize,
        /// How many bytes are left over.
        len: usize,
    },
    /// The GSS-API token's mechanism is not SPNEGO.
    #[error("GSS-API token for mechanism {0}, not SPNEGO (1.3.6.1.5.5.2)")]
    NotSpnego(Oid),
    /// A negState outside accept-completed, accept-incomplete, reject and request-mic.
    #[error("SPNEGO NegTokenResp: unknown negState {0:02x?}")]
    BadNegState(Vec<u8>),
}

/// An object identifier, kept as its DER content octets.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Oid(Vec<u8>);

impl Oid {
    /// An OID from its DER content octets (without tag and length).
    pub fn from_der_content(content: &[u8]) -> Self {
        Oid(content.to_vec())
    }

    /// The DER content octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether this is the NTLMSSP mechanism, 1.3.6.1.4.1.311.2.2.10.
    pub fn is_ntlmssp(&self) -> bool {
        self.0 == NTLMSSP_OID
    }

    /// Whether this is Kerberos v5, by its standard OID or Microsoft's.
    pub fn is_kerberos(&self) -> bool {
        self.0 == KERBEROS_OID || self.0 == MS_KERBEROS_OID
    }
}

impl fmt::Display for Oid {
    /// Dotted decimal; content that is not a valid OID encoding is printed as hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut arcs: Vec<u64> = Vec::new();
        let mut value: u64 = 0;
        let mut valid = !self.0.is_empty();
        for &byte in &self.0 {
            if value > (u64::MAX >> 7) {
                valid = false;
                break;
            }
            value = (value << 7) | u64::from(byte & 0x7f);
            if byte & 0x80 == 0 {
                arcs.push(value);
                value = 0;
            }
        }
        let complete = valid && self.0.last().is_some_and(|&b| b & 0x80 == 0);
        let Some((&first, rest)) = arcs.split_first().filter(|_| complete) else {
            for byte in &self.0 {
                write!(f, "{byte:02x}")?;
            }
            return Ok(());
        };
        let (a, b) = match first {
            0..40 => (0, first),
            40..80 => (1, first - 40),
            _ => (2, first - 80),
        };
        write!(f, "{a}.{b}")?;
        for arc in rest {
            write!(f, ".{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// The negState of a NegTokenResp ([RFC 4178] 4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NegState {
    /// accept-completed (0): authentication is done.
    AcceptCompleted,
    /// accept-incomplete (1): more tokens follow.
    AcceptIncomplete,
    /// reject (2): authentication failed.
    Reject,
    /// request-mic (3): the acceptor wants a mechListMIC.
    RequestMic,
}

/// A NegTokenInit (or NegTokenInit2) ([RFC 4178] 4.2.1, [MS-SPNG] 2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegTokenInit {
    /// mechTypes, in the sender's order of preference.
    pub mech_types: Vec<Oid>,
    /// mechToken, the optimistic token of the first mechanism.
    pub mech_token: Option<Vec<u8>>,
}

impl NegTokenInit {
    /// Whether NTLMSSP is among the mechanisms.
    pub fn offers_ntlmssp(&self) -> bool {
        self.mech_types.iter().any(Oid::is_ntlmssp)
    }

    /// Whether Kerberos (either OID) is among the mechanisms.
    pub fn offers_kerberos(&self) -> bool {
        self.mech_types.iter().any(Oid::is_kerberos)
    }
}

/// A NegTokenResp ([RFC 4178] 4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegTokenResp {
    /// negState.
    pub neg_state: Option<NegState>,
    /// supportedMech, the mechanism the acceptor chose.
    pub supported_mech: Option<Oid>,
    /// responseToken, the mechanism's token (for NTLM, the CHALLENGE_MESSAGE).
    pub response_token: Option<Vec<u8>>,
    /// mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

/// A parsed SPNEGO token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpnegoToken {
    /// A NegTokenInit, as in the SMB2 NEGOTIATE response.
    Init(NegTokenInit),
    /// A NegTokenResp, as in SESSION_SETUP responses.
    Resp(NegTokenResp),
}

impl SpnegoToken {
    /// The mechanism token inside: mechToken of a NegTokenInit, responseToken of a NegTokenResp.
    pub fn mech_token(&self) -> Option<&[u8]> {
        match self {
            SpnegoToken::Init(init) => init.mech_token.as_deref(),
            SpnegoToken::Resp(resp) => resp.response_token.as_deref(),
        }
    }
}

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// The client's first token: a GSS-API InitialContextToken for SPNEGO whose NegTokenInit offers
/// NTLMSSP only and carries `mech_token` (the NTLM NEGOTIATE_MESSAGE) as mechToken.
pub fn init_token(mech_token: &[u8]) -> Vec<u8> {
    init_token_offering(&mech_types(), mech_token)
}

/// The client's first token for Kerberos: a GSS-API InitialContextToken for SPNEGO whose
/// NegTokenInit offers Kerberos v5 only and carries `ap_req` (the Kerberos mechanism's own
/// InitialContextToken, as gss_init_sec_context makes it) as mechToken.
pub fn kerberos_init_token(ap_req: &[u8]) -> Vec<u8> {
    init_token_offering(&kerberos_mech_types(), ap_req)
}

/// The DER MechTypeList of the client's Kerberos NegTokenInit: a SEQUENCE holding the
/// Kerberos v5 OID.
pub fn kerberos_mech_types() -> Vec<u8> {
    tlv(TAG_SEQUENCE, &tlv(TAG_OID, KERBEROS_OID))
}

/// An InitialContextToken whose NegTokenInit offers `mech_type_list` (DER) with `mech_token`.
fn init_token_offering(mech_type_list: &[u8], mech_token: &[u8]) -> Vec<u8> {
    let mech_types = tlv(context(0), mech_type_list);
    let token = tlv(context(2), &tlv(TAG_OCTET_STRING, mech_token));
    let neg_token_init = tlv(TAG_SEQUENCE, &[mech_types, token].concat());
    let inner = [tlv(TAG_OID, SPNEGO_OID), tlv(context(0), &neg_token_init)].concat();
    tlv(TAG_APPLICATION_0, &inner)
}

/// The DER MechTypeList of the client's NegTokenInit (a SEQUENCE holding the NTLMSSP OID): what
/// the mechListMIC signs ([RFC 4178] 5).
pub fn mech_types() -> Vec<u8> {
    tlv(TAG_SEQUENCE, &tlv(TAG_OID, NTLMSSP_OID))
}

/// A NegTokenResp carrying `mech_token` (the NTLM AUTHENTICATE_MESSAGE) as responseToken and
/// nothing else.
pub fn response_token(mech_token: &[u8]) -> Vec<u8> {
    response_token_with_mic(mech_token, None)
}

/// A NegTokenResp carrying `mech_token` as responseToken and, if there is one, `mech_list_mic`
/// as mechListMIC, as Windows sends the AUTHENTICATE_MESSAGE when NTLM has a MIC
/// ([MS-SPNG] 3.3.5.1).
pub fn response_token_with_mic(mech_token: &[u8], mech_list_mic: Option<&[u8]>) -> Vec<u8> {
    let mut fields = tlv(context(2), &tlv(TAG_OCTET_STRING, mech_token));
    if let Some(mic) = mech_list_mic {
        fields.extend_from_slice(&tlv(context(3), &tlv(TAG_OCTET_STRING, mic)));
    }
    tlv(context(1), &tlv(TAG_SEQUENCE, &fields))
}

/// One DER element: its tag, its content and where the element and its content start in the
/// whole token.
struct Element<'a> {
    tag: u8,
    at: usize,
    content: Reader<'a>,
}

/// Reads DER elements from a slice of the token, keeping absolute offsets for errors.
#[derive(Clone, Copy)]
struct Reader<'a> {
    data: &'a [u8],
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, base: 0 }
    }

    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The next element, which must fit in what is left.
    fn next(&mut self, what: &'static str) -> Result<Element<'a>, SpnegoError> {
        let at = self.base;
        let truncated = SpnegoError::Truncated { what, at };
        let (&tag, rest) = self.data.split_first().ok_or(truncated.clone())?;
        let (&first, rest) = rest.split_first().ok_or(truncated.clone())?;
        let (len, rest, header) = match first {
            0x00..=0x7f => (usize::from(first), rest, 2),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                let (len_bytes, rest) = rest.split_at_checked(count).ok_or(truncated.clone())?;
                let len = len_bytes
                    .iter()
                    .fold(0usize, |len, &b| (len << 8) | usize::from(b));
                (len, rest, 2 + count)
            }
            _ => {
                return Err(SpnegoError::BadLength { first, at: at + 1 });
            }
        };
        let (content, rest) = rest.split_at_checked(len).ok_or(truncated)?;
        self.data = rest;
        self.base = at + header + len;
        Ok(Element {
            tag,
            at,
            content: Reader {
                data: content,
                base: at + header,
            },
        })
    }

    /// The next element, which must have `tag`.
    fn expect(&mut self, tag: u8, expected: &'static str) -> Result<Reader<'a>, SpnegoError> {
        let element = self.next(expected)?;
        if element.tag != tag {
            return Err(SpnegoError::UnexpectedTag {
                expected,
                found: element.tag,
                at: element.at,
            });
        }
        Ok(element.content)
    }

    /// Fails if anything is left after `what`.
    fn finish(&self, what: &'static str) -> Result<(), SpnegoError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(SpnegoError::TrailingData {
                what,
                at: self.base,
                len: self.data.len(),
            })
        }
    }

    /// The content of the only element, which must have `tag`.
    fn only(mut self, tag: u8, expected: &'static str) -> Result<Reader<'a>, SpnegoError> {
        let content = self.expect(tag, expected)?;
        self.finish(expected)?;
        Ok(content)
    }
}

/// Parses a security buffer from the server: a GSS-API InitialContextToken holding a
/// NegTokenInit (or NegTokenInit2, whose negHints are ignored), a bare NegTokenInit or
/// NegTokenResp, or a raw NTLMSSP message, which is returned as the responseToken of an otherwise
/// empty NegTokenResp.
pub fn parse(blob: &[u8]) -> Result<SpnegoToken, SpnegoError> {
    if blob.is_empty() {
        return Err(SpnegoError::Empty);
    }
    if blob.starts_with(NTLMSSP_SIGNATURE) {
        return Ok(SpnegoToken::Resp(NegTokenResp {
            response_token: Some(blob.to_vec()),
            ..NegTokenResp::default()
        }));
    }
    let mut reader = Reader::new(blob);
    let outer = reader.next("SPNEGO token")?;
    reader.finish("SPNEGO token")?;
    match outer.tag {
        TAG_APPLICATION_0 => {
            let mut inner = outer.content;
            let oid = inner.expect(TAG_OID, "the GSS-API mechanism OID")?;
            if oid.bytes() != SPNEGO_OID {
                return Err(SpnegoError::NotSpnego(Oid::from_der_content(oid.bytes())));
            }
            let token = inner.next("NegotiationToken")?;
            inner.finish("NegotiationToken")?;
            negotiation_token(&token)
        }
        _ => negotiation_token(&outer),
    }
}

/// A NegotiationToken: `[0]` NegTokenInit or `[1]` NegTokenResp.
fn negotiation_token(token: &Element<'_>) -> Result<SpnegoToken, SpnegoError> {
    match token.tag {
        t if t == context(0) => Ok(SpnegoToken::Init(neg_token_init(token.content)?)),
        t if t == context(1) => Ok(SpnegoToken::Resp(neg_token_resp(token.content)?)),
        found => Err(SpnegoError::UnexpectedTag {
            expected: "NegTokenInit [0] or NegTokenResp [1]",
            found,
            at: token.at,
        }),
    }
}

/// NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] };
/// NegTokenInit2 has negHints at [3] and mechListMIC at [4]. Only [0] and [2] matter here.
fn neg_token_init(content: Reader<'_>) -> Result<NegTokenInit, SpnegoError> {
    let mut fields = content.only(TAG_SEQUENCE, "NegTokenInit SEQUENCE")?;
    let mut init = NegTokenInit::default();
    while !fields.is_empty() {
        let field = fields.next("NegTokenInit field")?;
        match field.tag {
            t if t == context(0) => {
                let mut list = field.content.only(TAG_SEQUENCE, "mechTypes SEQUENCE")?;
                while !list.is_empty() {
                    let oid = list.expect(TAG_OID, "mechTypes OID")?;
                    init.mech_types.push(Oid::from_der_content(oid.bytes()));
                }
            }
            t if t == context(2) => {
                let token = field
                    .content
                    .only(TAG_OCTET_STRING, "mechToken OCTET STRING")?;
                init.mech_token = Some(token.bytes().to_vec());
            }
            // reqFlags, mechListMIC, negHints and anything newer.
            _ => {}
        }
    }
    Ok(init)
}

/// NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED, supportedMech [1] OID,
/// responseToken [2] OCTET STRING, mechListMIC [3] OCTET STRING }, all optional.
fn neg_token_resp(content: Reader<'_>) -> Result<NegTokenResp, SpnegoError> {
    let mut fields = content.only(TAG_SEQUENCE, "NegTokenResp SEQUENCE")?;
    let mut resp = NegTokenResp::default();
    while !fields.is_empty() {
        let field = fields.next("NegTokenResp field")?;
        match field.tag {
            t if t == context(0) => {
                let state = field.content.only(TAG_ENUMERATED, "negState ENUMERATED")?;
                resp.neg_state = Some(match state.bytes() {
                    [0] => NegState::AcceptCompleted,
                    [1] => NegState::AcceptIncomplete,
                    [2] => NegState::Reject,
                    [3] => NegState::RequestMic,
                    other => return Err(SpnegoError::BadNegState(other.to_vec())),
                });
            }
            t if t == context(1) => {
                let oid = field.content.only(TAG_OID, "supportedMech OID")?;
                resp.supported_mech = Some(Oid::from_der_content(oid.bytes()));
            }
            t if t == context(2) => {
                let token = field
                    .content
                    .only(TAG_OCTET_STRING, "responseToken OCTET STRING")?;
                resp.response_token = Some(token.bytes().to_vec());
            }
            t if t == context(3) => {
                let mic = field
                    .content
                    .only(TAG_OCTET_STRING, "mechListMIC OCTET STRING")?;
                resp.mech_list_mic = Some(mic.bytes().to_vec());
            }
            _ => {}
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::{
        NEGOTIATE_RESPONSE, SESSION_SETUP_REQUEST_1, SESSION_SETUP_REQUEST_2,
        SESSION_SETUP_RESPONSE_1, SESSION_SETUP_RESPONSE_2, hex,
    };
    use proptest::prelude::*;

    /// The security buffer of an SMB2 message whose (offset, length) fields are at `field` in
    /// the body.
    fn security_buffer(message: &str, field: usize) -> Vec<u8> {
        let message = hex(message);
        let at = 64 + field;
        let offset = usize::from(u16::from_le_bytes([message[at], message[at + 1]]));
        let len = usize::from(u16::from_le_bytes([message[at + 2], message[at + 3]]));
        message[offset..offset + len].to_vec()
    }

    fn ntlmssp_oid() -> Oid {
        Oid::from_der_content(NTLMSSP_OID)
    }

    #[test]
    fn init_token_is_the_windows_client_token() {
        // Microsoft's SMB 3.1.1 example: the first SESSION_SETUP request's security buffer.
        let windows = security_buffer(SESSION_SETUP_REQUEST_1, 12);
        let ntlm_negotiate = &windows[windows.len() - 40..];
        assert!(ntlm_negotiate.starts_with(NTLMSSP_SIGNATURE));
        assert_eq!(init_token(ntlm_negotiate), windows);
        assert_eq!(
            parse(&windows),
            Ok(SpnegoToken::Init(NegTokenInit {
                mech_types: vec![ntlmssp_oid()],
                mech_token: Some(ntlm_negotiate.to_vec()),
            }))
        );
    }

    #[test]
    fn response_token_bytes() {
        assert_eq!(
            response_token(&[1, 2, 3]),
            hex("a1 09 30 07 a2 05 04 03 010203")
        );
        let long = vec![0x5a; 300];
        let token = response_token(&long);
        assert_eq!(token[..12], hex("a1 82 0138 30 82 0134 a2 82 0130")[..]);
        assert_eq!(token[12..16], hex("04 82 012c")[..]);
        assert_eq!(token[16..], long[..]);
        assert_eq!(
            parse(&token),
            Ok(SpnegoToken::Resp(NegTokenResp {
                response_token: Some(long),
                ..NegTokenResp::default()
            }))
        );
    }

    #[test]
    fn init_token_round_trips_with_long_lengths() {
        let mech = vec![7u8; 70_000];
        let token = init_token(&mech);
        assert_eq!(token[..2], [0x60, 0x83]);
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.mech_token(), Some(&mech[..]));
    }

    #[test]
    fn windows_negotiate_response_neg_token_init() {
        // The NEGOTIATE response offers NEGOEX (1.3.6.1.4.1.311.2.2.30) and NTLMSSP, with a
        // NEGOEX mechToken.
        let blob = security_buffer(NEGOTIATE_RESPONSE, 56);
        let SpnegoToken::Init(init) = parse(&blob).unwrap() else {
            panic!("not a NegTokenInit");
        };
        let names: Vec<String> = init.mech_types.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["1.3.6.1.4.1.311.2.2.30", "1.3.6.1.4.1.311.2.2.10"]);
        assert!(init.offers_ntlmssp());
        let token = init.mech_token.unwrap();
        assert_eq!(token.len(), 0x108);
        assert!(token.starts_with(b"NEGOEXTS"));
    }

    #[test]
    fn windows_session_setup_neg_token_resps() {
        // The server's challenge: accept-incomplete, NTLMSSP, the CHALLENGE_MESSAGE.
        let challenge = parse(&security_buffer(SESSION_SETUP_RESPONSE_1, 4)).unwrap();
        let SpnegoToken::Resp(resp) = &challenge else {
            panic!("not a NegTokenResp");
        };
        assert_eq!(resp.neg_state, Some(NegState::AcceptIncomplete));
        assert_eq!(resp.supported_mech, Some(ntlmssp_oid()));
        assert_eq!(resp.mech_list_mic, None);
        let ntlm = challenge.mech_token().unwrap();
        assert_eq!(ntlm.len(), 148);
        assert!(ntlm.starts_with(NTLMSSP_SIGNATURE));

        // The client's AUTHENTICATE, with 2-byte lengths and a mechListMIC.
        let SpnegoToken::Resp(resp) = parse(&security_buffer(SESSION_SETUP_REQUEST_2, 12)).unwrap()
        else {
            panic!("not a NegTokenResp");
        };
        assert_eq!(resp.neg_state, Some(NegState::AcceptIncomplete));
        assert_eq!(resp.response_token.as_ref().map(Vec::len), Some(0x1a6));
        assert_eq!(
            resp.mech_list_mic,
            Some(hex("0100000063775a9a5fd97f0600000000"))
        );

        // The server's final token: accept-completed and its mechListMIC.
        assert_eq!(
            parse(&security_buffer(SESSION_SETUP_RESPONSE_2, 4)),
            Ok(SpnegoToken::Resp(NegTokenResp {
                neg_state: Some(NegState::AcceptCompleted),
                mech_list_mic: Some(hex("010000003b453cdc3524164200000000")),
                ..NegTokenResp::default()
            }))
        );
    }

    #[test]
    fn neg_token_init2_with_neg_hints() {
        // NegTokenInit2 as Windows servers used to send it: mechTypes [NTLMSSP] and negHints
        // { hintName "not_defined_in_RFC4178@please_ignore" }.
        let blob = hex("60 48 06 06 2b0601050502 a0 3e 30 3c
             a0 0e 30 0c 06 0a 2b06010401823702020a
             a3 2a 30 28 a0 26 1b 24 6e6f745f646566696e65645f696e5f524643343137384070
             6c656173655f69676e6f7265");
        assert_eq!(
            parse(&blob),
            Ok(SpnegoToken::Init(NegTokenInit {
                mech_types: vec![ntlmssp_oid()],
                mech_token: None,
            }))
        );
    }

    #[test]
    fn four_byte_lengths_and_bare_tokens() {
        let blob = hex("a1 84 00000009 30 07 a2 05 04 03 010203");
        assert_eq!(parse(&blob).unwrap().mech_token(), Some(&[1u8, 2, 3][..]));
        let bare_init = hex("a0 0e 30 0c a0 0a 30 08 06 06 2b0601050502");
        let SpnegoToken::Init(init) = parse(&bare_init).unwrap() else {
            panic!("not a NegTokenInit");
        };
        assert_eq!(init.mech_types[0].to_string(), "1.3.6.1.5.5.2");
        assert!(!init.offers_ntlmssp());
    }

    #[test]
    fn raw_ntlmssp_is_a_response_token() {
        let raw = hex("4e544c4d53535000 02000000");
        assert_eq!(parse(&raw).unwrap().mech_token(), Some(&raw[..]));
    }

    #[test]
    fn malformed_tokens_are_errors() {
        assert_eq!(parse(&[]), Err(SpnegoError::Empty));
        // Every proper prefix of a valid token is truncated somewhere.
        let good = init_token(&[0x4e; 40]);
        for len in 1..good.len() {
            assert!(
                matches!(parse(&good[..len]), Err(SpnegoError::Truncated { .. })),
                "prefix of {len} bytes"
            );
        }
        assert_eq!(
            parse(&[good.clone(), vec![0]].concat()),
            Err(SpnegoError::TrailingData {
                what: "SPNEGO token",
                at: good.len(),
                len: 1
            })
        );
        // Kerberos instead of SPNEGO.
        assert_eq!(
            parse(&hex("60 0b 06 09 2a864886f712010202")),
            Err(SpnegoError::NotSpnego(Oid::from_der_content(&hex(
                "2a864886f712010202"
            ))))
        );
        assert_eq!(
            parse(&hex("a1 80 30 00 0000")),
            Err(SpnegoError::BadLength { first: 0x80, at: 1 })
        );
        assert_eq!(
            parse(&hex("a1 85 0000000002 30 00")),
            Err(SpnegoError::BadLength { first: 0x85, at: 1 })
        );
        assert_eq!(
            parse(&hex("a1 05 30 03 a0 01 0a")),
            Err(SpnegoError::Truncated {
                what: "negState ENUMERATED",
                at: 6
            })
        );
        assert_eq!(
            parse(&hex("a1 07 30 05 a0 03 0a 01 07")),
            Err(SpnegoError::BadNegState(vec![7]))
        );
        assert_eq!(
            parse(&hex("a1 07 30 05 a2 03 02 01 07")),
            Err(SpnegoError::UnexpectedTag {
                expected: "responseToken OCTET STRING",
                found: 0x02,
                at: 6
            })
        );
        assert_eq!(
            parse(&hex("a1 09 30 07 a2 05 04 01 07 04 00")),
            Err(SpnegoError::TrailingData {
                what: "responseToken OCTET STRING",
                at: 9,
                len: 2
            })
        );
        assert!(matches!(
            parse(&hex("a2 00")),
            Err(SpnegoError::UnexpectedTag { found: 0xa2, .. })
        ));
        assert!(matches!(
            parse(&hex("a0 02 31 00")),
            Err(SpnegoError::UnexpectedTag { found: 0x31, .. })
        ));
    }

    #[test]
    fn kerberos_init_token_bytes_and_round_trip() {
        let ap_req = [1u8, 2, 3];
        let token = kerberos_init_token(&ap_req);
        assert_eq!(
            token,
            hex("60 22 06 06 2b0601050502 a0 18 30 16
                 a0 0d 30 0b 06 09 2a864886f712010202
                 a2 05 04 03 010203")
        );
        let SpnegoToken::Init(init) = parse(&token).unwrap() else {
            panic!("not a NegTokenInit");
        };
        assert_eq!(init.mech_token.as_deref(), Some(&ap_req[..]));
        assert!(init.offers_kerberos() && !init.offers_ntlmssp());
        assert_eq!(init.mech_types[0].to_string(), "1.2.840.113554.1.2.2");
        assert_eq!(kerberos_mech_types(), hex("30 0b 06 09 2a864886f712010202"));
        // A large AP-REQ (a ticket with a PAC) takes long-form lengths.
        let large = vec![0x6e; 5000];
        assert_eq!(
            parse(&kerberos_init_token(&large)).unwrap().mech_token(),
            Some(&large[..])
        );
    }

    #[test]
    fn kerberos_answers_with_either_oid() {
        // accept-completed, supportedMech Microsoft's Kerberos OID, the AP-REP.
        let ms = hex("a1 1b 30 19 a0 03 0a 01 00 a1 0b 06 09 2a864882f712010202
                      a2 05 04 03 aabbcc");
        let SpnegoToken::Resp(resp) = parse(&ms).unwrap() else {
            panic!("not a NegTokenResp");
        };
        assert_eq!(resp.neg_state, Some(NegState::AcceptCompleted));
        let mech = resp.supported_mech.unwrap();
        assert!(mech.is_kerberos() && !mech.is_ntlmssp());
        assert_eq!(mech.to_string(), "1.2.840.48018.1.2.2");
        assert_eq!(resp.response_token, Some(hex("aabbcc")));
        assert!(Oid::from_der_content(KERBEROS_OID).is_kerberos());
        assert!(!ntlmssp_oid().is_kerberos());
    }

    #[test]
    fn truncated_kerberos_tokens_are_errors() {
        let good = kerberos_init_token(&[0x6e; 60]);
        for len in 1..good.len() {
            assert!(
                matches!(parse(&good[..len]), Err(SpnegoError::Truncated { .. })),
                "prefix of {len} bytes"
            );
        }
    }

    #[test]
    fn oid_display() {
        assert_eq!(ntlmssp_oid().to_string(), "1.3.6.1.4.1.311.2.2.10");
        assert_eq!(
            Oid::from_der_content(&hex("2a864886f712010202")).to_string(),
            "1.2.840.113554.1.2.2"
        );
        assert_eq!(Oid::from_der_content(&[0x88, 0x37]).to_string(), "2.999");
        // Invalid encodings print as hex rather than fail.
        assert_eq!(Oid::from_der_content(&[0x2b, 0x86]).to_string(), "2b86");
        assert_eq!(Oid::from_der_content(&[]).to_string(), "");
        assert_eq!(
            Oid::from_der_content(&[0xff; 12]).to_string(),
            "ffffffffffffffffffffffff"
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_mutated_tokens(
            mech in proptest::collection::vec(any::<u8>(), 0..200),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            response in any::<bool>(),
            kerberos in any::<bool>(),
        ) {
            let mut token = match (response, kerberos) {
                (true, _) => response_token(&mech),
                (false, false) => init_token(&mech),
                (false, true) => kerberos_init_token(&mech),
            };
            let parsed = parse(&token).unwrap();
            prop_assert_eq!(parsed.mech_token(), Some(&mech[..]));
            for (index, value) in flips {
                let at = index.index(token.len());
                token[at] = value;
            }
            let _ = parse(&token);
        }

        #[test]
        fn oid_display_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
            let _ = Oid::from_der_content(&bytes).to_string();
        }
    }
}
