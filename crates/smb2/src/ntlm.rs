//! An NTLMSSP client that speaks NTLMv2 only ([MS-NLMP]).
//!
//! [`NtlmClient`] is a two-step state machine: [`NtlmClient::negotiate_message`] gives the
//! NEGOTIATE_MESSAGE (2.2.1.1), and [`NtlmClient::authenticate_message`] parses the server's
//! CHALLENGE_MESSAGE (2.2.1.2) and answers with an AUTHENTICATE_MESSAGE (2.2.1.3) carrying the
//! NTLMv2 response (3.3.2) and, with NTLMSSP_NEGOTIATE_KEY_EXCH, a random exported session key
//! encrypted with the key exchange key (3.1.5.1.2, 3.4.5.1).
//!
//! NTLMv1 and LM are refused outright: the client never negotiates NTLMSSP_NEGOTIATE_LM_KEY,
//! never sends an LM or NTLMv1 response, and refuses a CHALLENGE_MESSAGE that cannot carry NTLMv2
//! as Windows does it (one without TargetInfo or without extended session security).
//!
//! Against relaying ([MS-NLMP] 3.1.5.1.2), the client copies the server's TargetInfo and adds
//! MsvAvFlags with the MIC bit, MsvAvChannelBindings (zero: no channel binding) and, when it is
//! given one, MsvAvTargetName (the SPN, `cifs/<server>`), all covered by the NTProofStr; the
//! AUTHENTICATE_MESSAGE carries a MIC over the three messages. Like Windows, and unlike the
//! specification's minimum (a MIC only when the server sent MsvAvTimestamp), the MIC is sent on
//! every NTLMv2 authentication, so a man in the middle cannot turn it off by stripping the
//! timestamp. [`NtlmAuthenticated::mech_list_mic`] then gives the SPNEGO mechListMIC that a
//! server expects with it. Passwords and keys are zeroed when dropped and never printed.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use zeroize::{Zeroize, Zeroizing};

use crate::bytes::{Reader, from_utf16le_lossy, optional_slice, utf16le};

pub use crate::ntlmssp::NTLMSSP_SIGNATURE;

/// NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE.
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// NTLM_NEGOTIATE_OEM: strings are in the OEM code page.
pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
/// NTLMSSP_REQUEST_TARGET: the server is asked for its TargetName.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// NTLMSSP_NEGOTIATE_SIGN: session key for message integrity.
pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
/// NTLMSSP_NEGOTIATE_SEAL: session key for message confidentiality.
pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
/// NTLMSSP_NEGOTIATE_LM_KEY: LM session keys (NTLMv1 only; never negotiated here).
pub const NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
/// NTLMSSP_NEGOTIATE_NTLM: NTLM authentication.
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
/// NTLMSSP_ANONYMOUS: an anonymous AUTHENTICATE_MESSAGE.
pub const NEGOTIATE_ANONYMOUS: u32 = 0x0000_0800;
/// NTLMSSP_NEGOTIATE_ALWAYS_SIGN.
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
/// NTLMSSP_TARGET_TYPE_DOMAIN.
pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
/// NTLMSSP_TARGET_TYPE_SERVER.
pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
/// NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY.
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// NTLMSSP_NEGOTIATE_TARGET_INFO: the CHALLENGE_MESSAGE carries TargetInfo.
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// NTLMSSP_NEGOTIATE_VERSION: the messages carry a Version.
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// NTLMSSP_NEGOTIATE_128: 128-bit session keys.
pub const NEGOTIATE_128: u32 = 0x2000_0000;
/// NTLMSSP_NEGOTIATE_KEY_EXCH: the client sends an encrypted random session key.
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
/// NTLMSSP_NEGOTIATE_56: 56-bit encryption.
pub const NEGOTIATE_56: u32 = 0x8000_0000;

/// The flags of the client's NEGOTIATE_MESSAGE.
pub const CLIENT_FLAGS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_SIGN
    | NEGOTIATE_SEAL
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | NEGOTIATE_KEY_EXCH
    | NEGOTIATE_56;

/// AvId MsvAvEOL: the end of the AV pair list (2.2.2.1).
pub const MSV_AV_EOL: u16 = 0x0000;
/// AvId MsvAvNbComputerName: the server's NetBIOS name.
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 0x0001;
/// AvId MsvAvNbDomainName: the server's NetBIOS domain name.
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 0x0002;
/// AvId MsvAvDnsComputerName: the server's DNS name.
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 0x0003;
/// AvId MsvAvDnsDomainName: the server's DNS domain name.
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 0x0004;
/// AvId MsvAvFlags: a 32-bit set of `AV_FLAG_*` bits.
pub const MSV_AV_FLAGS: u16 = 0x0006;
/// AvId MsvAvTimestamp: the server's FILETIME.
pub const MSV_AV_TIMESTAMP: u16 = 0x0007;
/// AvId MsvAvTargetName: the SPN of the server the client means to reach (UTF-16LE).
pub const MSV_AV_TARGET_NAME: u16 = 0x0009;
/// AvId MsvAvChannelBindings: the MD5 hash of the channel bindings (zero without binding).
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 0x000A;
/// MsvAvFlags bit: the AUTHENTICATE_MESSAGE carries a MIC.
pub const AV_FLAG_MIC_PRESENT: u32 = 0x0000_0002;

/// The Version structure (2.2.2.10) the client sends: 10.0, build 0, NTLMSSP_REVISION_W2K3.
/// It is informational only.
const CLIENT_VERSION: [u8; 8] = [10, 0, 0, 0, 0, 0, 0, 0x0F];

/// Size of the CHALLENGE_MESSAGE fixed fields up to and including TargetInfoFields.
const CHALLENGE_HEADER_LEN: usize = 48;
/// Size of the AUTHENTICATE_MESSAGE fixed fields with the Version and without a MIC.
const AUTHENTICATE_HEADER_LEN: usize = 72;
/// Where the MIC is in an AUTHENTICATE_MESSAGE that has one: after the Version.
pub const MIC_OFFSET: usize = 72;
/// Size of the AUTHENTICATE_MESSAGE fixed fields with the Version and the MIC.
const AUTHENTICATE_HEADER_LEN_WITH_MIC: usize = MIC_OFFSET + 16;

/// Errors of the NTLM exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NtlmError {
    /// The CHALLENGE_MESSAGE is shorter than its fixed fields.
    #[error("CHALLENGE_MESSAGE is {len} bytes, shorter than its 48-byte header")]
    ChallengeTooShort {
        /// Length of the message.
        len: usize,
    },
    /// The message does not start with "NTLMSSP\0".
    #[error("CHALLENGE_MESSAGE does not start with the signature \"NTLMSSP\\0\"")]
    BadSignature,
    /// The message is not a CHALLENGE_MESSAGE.
    #[error("expected a CHALLENGE_MESSAGE (MessageType 2), got MessageType {0}")]
    WrongMessageType(u32),
    /// A security buffer's offset and length point outside the message.
    #[error(
        "CHALLENGE_MESSAGE {field} (offset {offset}, length {len}) runs past the end of the {message_len}-byte message"
    )]
    FieldOutOfBounds {
        /// The field: "TargetName" or "TargetInfo".
        field: &'static str,
        /// Its BufferOffset.
        offset: u32,
        /// Its Len.
        len: u16,
        /// Length of the whole message.
        message_len: usize,
    },
    /// An AV pair in TargetInfo runs past the end of the field.
    #[error(
        "CHALLENGE_MESSAGE TargetInfo: the AV pair at byte {at} runs past the end of the field"
    )]
    AvPairTruncated {
        /// Offset of the pair within TargetInfo.
        at: usize,
    },
    /// TargetInfo does not end with MsvAvEOL.
    #[error("CHALLENGE_MESSAGE TargetInfo does not end with MsvAvEOL")]
    AvPairsUnterminated,
    /// The MsvAvTimestamp pair is not 8 bytes long.
    #[error("CHALLENGE_MESSAGE TargetInfo: MsvAvTimestamp is {len} bytes, not 8")]
    BadTimestamp {
        /// AvLen of the pair.
        len: u16,
    },
    /// The CHALLENGE_MESSAGE leaves only NTLMv1 or LM, which this client refuses.
    #[error(
        "the server's CHALLENGE_MESSAGE {0}, so it cannot take NTLMv2; NTLMv1 and LM are refused"
    )]
    NtlmV2Unavailable(&'static str),
    /// The server did not accept NTLMSSP_NEGOTIATE_UNICODE.
    #[error("the server's CHALLENGE_MESSAGE does not offer Unicode (NTLMSSP_NEGOTIATE_UNICODE)")]
    UnicodeNotOffered,
    /// A field of the AUTHENTICATE_MESSAGE does not fit its 16-bit length.
    #[error("AUTHENTICATE_MESSAGE {field} would be {len} bytes, more than a 16-bit length allows")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// `authenticate_message` was called before `negotiate_message`, or twice.
    #[error("NTLM exchange out of order: {0}")]
    OutOfOrder(&'static str),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(getrandom::Error),
}

/// A password, zeroed when dropped; `Debug` prints `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// Whether the password is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Password::new(password)
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Password(password)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The user an NTLM client authenticates as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtlmCredentials {
    user: String,
    domain: String,
    password: Password,
}

impl NtlmCredentials {
    /// A user name, its domain (empty for a local account of the server; see [`split_user`]) and
    /// password.
    pub fn new(
        user: impl Into<String>,
        domain: impl Into<String>,
        password: impl Into<Password>,
    ) -> Self {
        NtlmCredentials {
            user: user.into(),
            domain: domain.into(),
            password: password.into(),
        }
    }

    /// Anonymous credentials: empty user, domain and password ([MS-NLMP] 3.1.5.1.2, 3.2.5.1.2).
    pub fn anonymous() -> Self {
        NtlmCredentials::new("", "", "")
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The password (for a Kerberos logon with the same account).
    pub fn password(&self) -> &Password {
        &self.password
    }

    /// Whether these are anonymous credentials (empty user name and password).
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty() && self.password.is_empty()
    }
}

/// Splits `DOMAIN\user` or `user@domain` into `(domain, user)`; a bare `user` has an empty
/// domain.
pub fn split_user(name: &str) -> (&str, &str) {
    if let Some((domain, user)) = name.split_once('\\') {
        return (domain, user);
    }
    if let Some((user, domain)) = name.rsplit_once('@') {
        return (domain, user);
    }
    ("", name)
}

/// The result of the NTLM exchange: the AUTHENTICATE_MESSAGE to send and the session key.
///
/// The key is zeroed when dropped; `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct NtlmAuthenticated {
    /// The AUTHENTICATE_MESSAGE.
    pub message: Vec<u8>,
    /// The exported session key ([MS-NLMP] 3.1.5.1.2); all zero for an anonymous session.
    pub session_key: [u8; 16],
    /// The NegotiateFlags of the AUTHENTICATE_MESSAGE.
    flags: u32,
    /// Whether the AUTHENTICATE_MESSAGE carries a MIC.
    has_mic: bool,
}

impl NtlmAuthenticated {
    /// Whether the AUTHENTICATE_MESSAGE carries a MIC (every NTLMv2 logon; not anonymous).
    pub fn has_mic(&self) -> bool {
        self.has_mic
    }

    /// The SPNEGO mechListMIC ([RFC 4178] 5, [MS-SPNG] 3.3.5.1): the NTLM signature
    /// ([MS-NLMP] 3.4.4.2, sequence number 0) of `mech_types`, the DER MechTypeList the client
    /// sent, with the client-to-server keys. `None` without a MIC, where servers expect none.
    pub fn mech_list_mic(&self, mech_types: &[u8]) -> Option<[u8; 16]> {
        self.has_mic.then(|| {
            ntlm_signature(
                &self.session_key,
                self.flags,
                Direction::ClientToServer,
                mech_types,
            )
        })
    }

    /// Whether `mic` is the server's mechListMIC over `mech_types` (the server-to-client keys,
    /// sequence number 0). Always false without a MIC: there is no key to check it with.
    pub fn verify_server_mech_list_mic(&self, mech_types: &[u8], mic: &[u8]) -> bool {
        self.has_mic
            && ntlm_signature(
                &self.session_key,
                self.flags,
                Direction::ServerToClient,
                mech_types,
            )[..]
                == *mic
    }
}

/// Which way a signature goes, which picks the signing and sealing keys ([MS-NLMP] 3.4.5.2,
/// 3.4.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

/// The NTLM message signature with extended session security ([MS-NLMP] 3.4.4.2) for the first
/// message of a direction (sequence number 0, a fresh RC4 handle): Version 1, the first 8 bytes
/// of HMAC_MD5(SigningKey, SeqNum || message), RC4-sealed with the SealingKey when
/// NTLMSSP_NEGOTIATE_KEY_EXCH was negotiated, and SeqNum.
fn ntlm_signature(
    exported_session_key: &[u8; 16],
    flags: u32,
    direction: Direction,
    message: &[u8],
) -> [u8; 16] {
    let (sign_magic, seal_magic): (&[u8], &[u8]) = match direction {
        Direction::ClientToServer => (
            b"session key to client-to-server signing key magic constant\0",
            b"session key to client-to-server sealing key magic constant\0",
        ),
        Direction::ServerToClient => (
            b"session key to server-to-client signing key magic constant\0",
            b"session key to server-to-client sealing key magic constant\0",
        ),
    };
    let signing_key = Zeroizing::new(md5(&[exported_session_key, sign_magic]));
    let sequence = 0u32.to_le_bytes();
    let mut checksum = hmac_md5(&*signing_key, &[&sequence, message])[..8].to_vec();
    if flags & NEGOTIATE_KEY_EXCH != 0 {
        let key_len = if flags & NEGOTIATE_128 != 0 {
            16
        } else if flags & NEGOTIATE_56 != 0 {
            7
        } else {
            5
        };
        let sealing_key = Zeroizing::new(md5(&[&exported_session_key[..key_len], seal_magic]));
        checksum = rc4(&*sealing_key, &checksum);
    }
    let mut signature = [0u8; 16];
    signature[..4].copy_from_slice(&1u32.to_le_bytes());
    signature[4..12].copy_from_slice(&checksum);
    signature[12..].copy_from_slice(&sequence);
    signature
}

impl std::fmt::Debug for NtlmAuthenticated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmAuthenticated")
            .field("message_len", &self.message.len())
            .field("flags", &format_args!("{:#010x}", self.flags))
            .field("has_mic", &self.has_mic)
            .field("session_key", &"<redacted>")
            .finish()
    }
}

impl Drop for NtlmAuthenticated {
    fn drop(&mut self) {
        self.session_key.zeroize();
    }
}

/// A parsed CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// NegotiateFlags.
    pub flags: u32,
    /// ServerChallenge.
    pub server_challenge: [u8; 8],
    /// TargetName as sent (UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set).
    pub target_name: Vec<u8>,
    /// TargetInfo: the AV pairs up to and including MsvAvEOL (empty if the server sent none).
    pub target_info: Vec<u8>,
    /// The MsvAvTimestamp AV pair, if present.
    pub timestamp: Option<u64>,
}

impl ChallengeMessage {
    /// Parses a CHALLENGE_MESSAGE, checking every offset and length against the message.
    pub fn parse(message: &[u8]) -> Result<Self, NtlmError> {
        let len = message.len();
        if len < CHALLENGE_HEADER_LEN {
            return Err(NtlmError::ChallengeTooShort { len });
        }
        // The header's length is checked, so these reads cannot fail; if they did, the header
        // would be too short.
        let too_short = |_| NtlmError::ChallengeTooShort { len };
        let mut reader = Reader::new(message);
        if &reader.array::<8>("Signature").map_err(too_short)? != NTLMSSP_SIGNATURE {
            return Err(NtlmError::BadSignature);
        }
        let message_type = reader.u32("MessageType").map_err(too_short)?;
        if message_type != 2 {
            return Err(NtlmError::WrongMessageType(message_type));
        }
        let target_name = security_buffer(&mut reader, "TargetName")?.to_vec();
        let flags = reader.u32("NegotiateFlags").map_err(too_short)?;
        let server_challenge = reader.array("ServerChallenge").map_err(too_short)?;
        reader.skip(8, "Reserved").map_err(too_short)?;
        let info_field = security_buffer(&mut reader, "TargetInfo")?;
        let (target_info, timestamp) = if info_field.is_empty() {
            (Vec::new(), None)
        } else {
            parse_target_info(info_field)?
        };
        Ok(ChallengeMessage {
            flags,
            server_challenge,
            target_name,
            target_info,
            timestamp,
        })
    }

    /// TargetName as a string (UTF-16LE decoded lossily, or the raw bytes as Latin-1 if the
    /// server uses OEM strings).
    pub fn target_name_string(&self) -> String {
        if self.flags & NEGOTIATE_UNICODE != 0 {
            from_utf16le_lossy(&self.target_name)
        } else {
            self.target_name.iter().map(|&b| char::from(b)).collect()
        }
    }

    /// The value of the first AV pair with this AvId in TargetInfo.
    pub fn av_pair(&self, id: u16) -> Option<&[u8]> {
        av_pairs(&self.target_info).find_map(|(av_id, value)| (av_id == id).then_some(value))
    }
}

/// A security buffer's bytes: reads its Len (2), MaxLen (2) and BufferOffset (4) from `reader`,
/// a reader over the whole message, and returns the bytes they locate in the message.
fn security_buffer<'a>(
    reader: &mut Reader<'a>,
    field: &'static str,
) -> Result<&'a [u8], NtlmError> {
    let message = reader.message();
    let too_short = |_| NtlmError::ChallengeTooShort { len: message.len() };
    let len = reader.u16(field).map_err(too_short)?;
    reader.skip(2, field).map_err(too_short)?;
    let offset = reader.u32(field).map_err(too_short)?;
    let out_of_bounds = |_| NtlmError::FieldOutOfBounds {
        field,
        offset,
        len,
        message_len: message.len(),
    };
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    optional_slice(message, start, usize::from(len), field).map_err(out_of_bounds)
}

/// Checks the AV pairs of TargetInfo ([MS-NLMP] 2.2.2.1) and returns them up to and including
/// MsvAvEOL, with the MsvAvTimestamp value if there is one.
fn parse_target_info(info: &[u8]) -> Result<(Vec<u8>, Option<u64>), NtlmError> {
    let mut reader = Reader::new(info);
    let mut timestamp = None;
    loop {
        let at = reader.offset();
        if reader.remaining() == 0 {
            return Err(NtlmError::AvPairsUnterminated);
        }
        let truncated = |_| NtlmError::AvPairTruncated { at };
        let id = reader.u16("AvId").map_err(truncated)?;
        let len = reader.u16("AvLen").map_err(truncated)?;
        let value = reader.take(usize::from(len), "Value").map_err(truncated)?;
        match id {
            MSV_AV_EOL => return Ok((reader.consumed().to_vec(), timestamp)),
            MSV_AV_TIMESTAMP => {
                let bytes: [u8; 8] = value
                    .try_into()
                    .map_err(|_| NtlmError::BadTimestamp { len })?;
                timestamp.get_or_insert(u64::from_le_bytes(bytes));
            }
            _ => {}
        }
    }
}

/// The AV pairs of a TargetInfo already checked by [`parse_target_info`], MsvAvEOL excluded.
fn av_pairs(info: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut reader = Reader::new(info);
    std::iter::from_fn(move || {
        let id = reader.u16("AvId").ok()?;
        let len = reader.u16("AvLen").ok()?;
        let value = reader.take(usize::from(len), "Value").ok()?;
        (id != MSV_AV_EOL).then_some((id, value))
    })
}

/// Upper-cases as Windows does: character by character, keeping characters whose upper case is
/// not a single character (such as 'ß').
fn upcase(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac =
        <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// NTOWFv2 ([MS-NLMP] 3.3.2): HMAC-MD5 keyed with MD4(UTF-16LE(password)) over
/// UTF-16LE(UPPERCASE(user) + domain). It is also LMOWFv2, the LMv2 response key.
fn ntowf_v2(password: &str, user: &str, domain: &str) -> Zeroizing<[u8; 16]> {
    let mut password16 = Zeroizing::new(utf16le(password));
    let nt_hash: Zeroizing<[u8; 16]> = Zeroizing::new(Md4::digest(&*password16).into());
    password16.zeroize();
    let identity = utf16le(&(upcase(user) + domain));
    Zeroizing::new(hmac_md5(&*nt_hash, &[&identity]))
}

/// The NTLMv2 client challenge structure `temp` ([MS-NLMP] 3.3.2, 2.2.2.7): Responserversion,
/// HiResponserversion, Z(6), Time, ClientChallenge, Z(4), the AV pairs, Z(4).
fn ntlmv2_temp(timestamp: u64, client_challenge: [u8; 8], target_info: &[u8]) -> Vec<u8> {
    let mut temp = Vec::with_capacity(32 + target_info.len());
    temp.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&timestamp.to_le_bytes());
    temp.extend_from_slice(&client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);
    temp
}

/// The NTLMv2 responses and the session base key ([MS-NLMP] 3.3.2).
struct Ntlmv2 {
    /// NtChallengeResponse: NTProofStr followed by `temp`.
    nt_response: Vec<u8>,
    /// LmChallengeResponse: HMAC-MD5(key, ServerChallenge || ClientChallenge) || ClientChallenge.
    lm_response: Vec<u8>,
    /// SessionBaseKey = HMAC-MD5(key, NTProofStr), which is also the KeyExchangeKey.
    session_base_key: Zeroizing<[u8; 16]>,
}

fn ntlmv2(
    response_key: &[u8; 16],
    server_challenge: [u8; 8],
    client_challenge: [u8; 8],
    timestamp: u64,
    target_info: &[u8],
) -> Ntlmv2 {
    let temp = ntlmv2_temp(timestamp, client_challenge, target_info);
    let nt_proof = hmac_md5(response_key, &[&server_challenge, &temp]);
    let mut nt_response = nt_proof.to_vec();
    nt_response.extend_from_slice(&temp);
    let mut lm_response = hmac_md5(response_key, &[&server_challenge, &client_challenge]).to_vec();
    lm_response.extend_from_slice(&client_challenge);
    Ntlmv2 {
        nt_response,
        lm_response,
        session_base_key: Zeroizing::new(hmac_md5(response_key, &[&nt_proof])),
    }
}

/// RC4 ([MS-NLMP] 6, RC4K): encrypts the exported session key with the key exchange key.
fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    debug_assert!(!key.is_empty());
    let mut state: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0u8;
    for i in 0..256 {
        j = j
            .wrapping_add(state[i])
            .wrapping_add(key.get(i % key.len().max(1)).copied().unwrap_or(0));
        state.swap(i, usize::from(j));
    }
    let (mut i, mut j) = (0u8, 0u8);
    let out = data
        .iter()
        .map(|&byte| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(state[usize::from(i)]);
            state.swap(usize::from(i), usize::from(j));
            byte ^ state[usize::from(state[usize::from(i)].wrapping_add(state[usize::from(j)]))]
        })
        .collect();
    state.zeroize();
    out
}

/// The current time as a Windows FILETIME (100 ns units since 1601-01-01).
fn filetime_now() -> u64 {
    const UNIX_EPOCH_AS_FILETIME_SECS: u64 = 11_644_473_600;
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    since_unix
        .as_secs()
        .saturating_add(UNIX_EPOCH_AS_FILETIME_SECS)
        .saturating_mul(10_000_000)
        .saturating_add(u64::from(since_unix.subsec_nanos() / 100))
}

/// Values that are random (or the clock) in a real exchange, fixed for tests.
#[derive(Clone)]
struct FixedInputs {
    client_challenge: [u8; 8],
    exported_session_key: [u8; 16],
    timestamp: u64,
}

impl Drop for FixedInputs {
    fn drop(&mut self) {
        self.exported_session_key.zeroize();
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Start,
    /// The NEGOTIATE_MESSAGE sent, which the MIC covers.
    NegotiateSent(Vec<u8>),
    Done,
}

/// An NTLMSSP client for one authentication ([MS-NLMP] 3.1).
pub struct NtlmClient {
    credentials: NtlmCredentials,
    workstation: String,
    /// The SPN sent as MsvAvTargetName; empty for none.
    target_name: String,
    state: State,
    fixed: Option<FixedInputs>,
    corrupt_mic: bool,
}

impl std::fmt::Debug for NtlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmClient")
            .field("credentials", &self.credentials)
            .field("workstation", &self.workstation)
            .field("target_name", &self.target_name)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl NtlmClient {
    /// A client that authenticates `credentials` from the computer named `workstation`.
    pub fn new(credentials: NtlmCredentials, workstation: &str) -> Self {
        NtlmClient {
            credentials,
            workstation: workstation.to_owned(),
            target_name: String::new(),
            state: State::Start,
            fixed: None,
            corrupt_mic: false,
        }
    }

    /// Names the server the client means to reach: `spn` (such as `cifs/fileserver`) is sent
    /// as MsvAvTargetName, inside the NTLMv2 response, so a server that is given the response by
    /// a relay sees that it was meant for another.
    #[must_use]
    pub fn with_target_name(mut self, spn: impl Into<String>) -> Self {
        self.target_name = spn.into();
        self
    }

    /// Flips a bit of the MIC after computing it, to prove that a server checks MICs: for tests
    /// only.
    #[doc(hidden)]
    pub fn corrupt_mic_for_tests(&mut self) {
        self.corrupt_mic = true;
    }

    /// A client whose client challenge, exported session key and fallback timestamp (used when
    /// the server sends no MsvAvTimestamp) are fixed instead of random: for tests against
    /// published vectors only.
    #[doc(hidden)]
    pub fn with_fixed_randomness(
        credentials: NtlmCredentials,
        workstation: &str,
        client_challenge: [u8; 8],
        exported_session_key: [u8; 16],
        timestamp: u64,
    ) -> Self {
        NtlmClient {
            fixed: Some(FixedInputs {
                client_challenge,
                exported_session_key,
                timestamp,
            }),
            ..NtlmClient::new(credentials, workstation)
        }
    }

    /// The NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1) with [`CLIENT_FLAGS`], no domain or workstation
    /// and the client's Version.
    pub fn negotiate_message(&mut self) -> Vec<u8> {
        let mut message = Vec::with_capacity(40);
        message.extend_from_slice(NTLMSSP_SIGNATURE);
        message.extend_from_slice(&1u32.to_le_bytes());
        message.extend_from_slice(&CLIENT_FLAGS.to_le_bytes());
        message.extend_from_slice(&[0; 8]); // DomainNameFields
        message.extend_from_slice(&[0; 8]); // WorkstationFields
        message.extend_from_slice(&CLIENT_VERSION);
        self.state = State::NegotiateSent(message.clone());
        message
    }

    /// Parses the server's CHALLENGE_MESSAGE and builds the AUTHENTICATE_MESSAGE
    /// ([MS-NLMP] 3.1.5.1.2).
    ///
    /// The NegotiateFlags sent are the client's flags that the server also set, plus
    /// NTLMSSP_REQUEST_TARGET, as Windows does (so never NTLMSSP_NEGOTIATE_LM_KEY). A challenge
    /// without TargetInfo or without NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY is refused
    /// ([`NtlmError::NtlmV2Unavailable`]). The NTLMv2 response carries the server's AV pairs
    /// with MsvAvFlags (MIC present), MsvAvChannelBindings and MsvAvTargetName added, and the
    /// message carries the MIC. With MsvAvTimestamp in TargetInfo, the server's time goes into
    /// the NTLMv2 response and the LmChallengeResponse is Z(24); otherwise the client's clock is
    /// used and the LMv2 response is sent.
    pub fn authenticate_message(
        &mut self,
        challenge_bytes: &[u8],
    ) -> Result<NtlmAuthenticated, NtlmError> {
        let negotiate = match &self.state {
            State::Start => {
                return Err(NtlmError::OutOfOrder(
                    "authenticate_message called before negotiate_message",
                ));
            }
            State::Done => {
                return Err(NtlmError::OutOfOrder(
                    "authenticate_message called a second time",
                ));
            }
            State::NegotiateSent(negotiate) => negotiate.clone(),
        };
        let challenge = ChallengeMessage::parse(challenge_bytes)?;
        check_ntlmv2_possible(&challenge)?;
        let mut flags = (challenge.flags & CLIENT_FLAGS) | REQUEST_TARGET;
        let anonymous = self.credentials.is_anonymous();

        let lm_response;
        let nt_response;
        let mut encrypted_session_key = Vec::new();
        let mut session_key = Zeroizing::new([0u8; 16]);
        if anonymous {
            // [MS-NLMP] 3.1.5.1.2: LmChallengeResponse Z(1), empty NtChallengeResponse, no
            // session key, no MIC.
            flags = (flags | NEGOTIATE_ANONYMOUS) & !NEGOTIATE_KEY_EXCH;
            lm_response = vec![0u8];
            nt_response = Vec::new();
        } else {
            let client_challenge = match &self.fixed {
                Some(fixed) => fixed.client_challenge,
                None => random_bytes::<8>()?,
            };
            let timestamp = challenge.timestamp.unwrap_or_else(|| match &self.fixed {
                Some(fixed) => fixed.timestamp,
                None => filetime_now(),
            });
            let target_info = client_target_info(&challenge, &self.target_name)?;
            let response_key = ntowf_v2(
                self.credentials.password.as_str(),
                &self.credentials.user,
                &self.credentials.domain,
            );
            let v2 = ntlmv2(
                &response_key,
                challenge.server_challenge,
                client_challenge,
                timestamp,
                &target_info,
            );
            nt_response = v2.nt_response;
            lm_response = if challenge.timestamp.is_some() {
                vec![0u8; 24]
            } else {
                v2.lm_response
            };
            // For NTLMv2 the KeyExchangeKey is the SessionBaseKey ([MS-NLMP] 3.4.5.1).
            if flags & NEGOTIATE_KEY_EXCH != 0 {
                *session_key = match &self.fixed {
                    Some(fixed) => fixed.exported_session_key,
                    None => random_bytes::<16>()?,
                };
                encrypted_session_key = rc4(&*v2.session_base_key, &*session_key);
            } else {
                *session_key = *v2.session_base_key;
            }
        }

        let domain = utf16le(&self.credentials.domain);
        let user = utf16le(&self.credentials.user);
        let workstation = utf16le(&self.workstation);
        let version = if flags & NEGOTIATE_VERSION != 0 {
            CLIENT_VERSION
        } else {
            [0; 8]
        };
        let has_mic = !anonymous;
        let mut message = build_authenticate(
            flags,
            version,
            has_mic,
            &[
                ("DomainName", &domain),
                ("UserName", &user),
                ("Workstation", &workstation),
                ("LmChallengeResponse", &lm_response),
                ("NtChallengeResponse", &nt_response),
                ("EncryptedRandomSessionKey", &encrypted_session_key),
            ],
        )?;
        if has_mic {
            // MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE), the
            // MIC field zero while it is computed ([MS-NLMP] 3.1.5.1.2).
            let mut mic = hmac_md5(&*session_key, &[&negotiate, challenge_bytes, &message]);
            if self.corrupt_mic {
                mic[0] ^= 0x01;
            }
            message[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&mic);
        }
        self.state = State::Done;
        Ok(NtlmAuthenticated {
            message,
            session_key: *session_key,
            flags,
            has_mic,
        })
    }
}

/// Refuses a challenge that leaves NTLMv1 or LM. NTLMv2 as Windows sends it needs Unicode,
/// TargetInfo (the AV pairs that carry MsvAvFlags and MsvAvTargetName) and extended session
/// security (the signature of the mechListMIC); a server offering neither is an NTLMv1 server, or
/// a man in the middle downgrading.
fn check_ntlmv2_possible(challenge: &ChallengeMessage) -> Result<(), NtlmError> {
    if challenge.flags & NEGOTIATE_UNICODE == 0 {
        return Err(NtlmError::UnicodeNotOffered);
    }
    if challenge.target_info.is_empty() {
        return Err(NtlmError::NtlmV2Unavailable("carries no TargetInfo"));
    }
    if challenge.flags & NEGOTIATE_EXTENDED_SESSIONSECURITY == 0 {
        return Err(NtlmError::NtlmV2Unavailable(
            "does not offer extended session security",
        ));
    }
    Ok(())
}

/// The AV pairs the client sends in its NTLMv2 response ([MS-NLMP] 3.1.5.1.2): the server's,
/// less any MsvAvFlags, MsvAvTargetName and MsvAvChannelBindings, then MsvAvFlags (the server's
/// bits and the MIC bit), MsvAvChannelBindings (Z(16): no channel binding), MsvAvTargetName when
/// `spn` is not empty, and MsvAvEOL.
fn client_target_info(challenge: &ChallengeMessage, spn: &str) -> Result<Vec<u8>, NtlmError> {
    let mut av_flags = AV_FLAG_MIC_PRESENT;
    let mut info = Vec::with_capacity(challenge.target_info.len() + 64 + 2 * spn.len());
    for (id, value) in av_pairs(&challenge.target_info) {
        match id {
            MSV_AV_FLAGS => {
                if let Ok(bytes) = <[u8; 4]>::try_from(value) {
                    av_flags |= u32::from_le_bytes(bytes);
                }
            }
            MSV_AV_TARGET_NAME | MSV_AV_CHANNEL_BINDINGS => {}
            _ => push_av_pair(&mut info, id, value)?,
        }
    }
    push_av_pair(&mut info, MSV_AV_FLAGS, &av_flags.to_le_bytes())?;
    push_av_pair(&mut info, MSV_AV_CHANNEL_BINDINGS, &[0; 16])?;
    if !spn.is_empty() {
        push_av_pair(&mut info, MSV_AV_TARGET_NAME, &utf16le(spn))?;
    }
    push_av_pair(&mut info, MSV_AV_EOL, &[])?;
    Ok(info)
}

fn push_av_pair(info: &mut Vec<u8>, id: u16, value: &[u8]) -> Result<(), NtlmError> {
    let len = u16::try_from(value.len()).map_err(|_| NtlmError::FieldTooLong {
        field: "an AV pair of the NTLMv2 response",
        len: value.len(),
    })?;
    info.extend_from_slice(&id.to_le_bytes());
    info.extend_from_slice(&len.to_le_bytes());
    info.extend_from_slice(value);
    Ok(())
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut hash = Md5::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

fn random_bytes<const N: usize>() -> Result<[u8; N], NtlmError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(NtlmError::Random)?;
    Ok(bytes)
}

/// Lays out an AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3), with a zero MIC field after the Version
/// when `with_mic`. `payload` is in payload order (domain, user, workstation, LM, NT, session
/// key); the header's security buffers are in the order LM, NT, domain, user, workstation,
/// session key.
fn build_authenticate(
    flags: u32,
    version: [u8; 8],
    with_mic: bool,
    payload: &[(&'static str, &[u8]); 6],
) -> Result<Vec<u8>, NtlmError> {
    let mut fields = [(0u16, 0u32); 6];
    let mut offset = if with_mic {
        AUTHENTICATE_HEADER_LEN_WITH_MIC
    } else {
        AUTHENTICATE_HEADER_LEN
    };
    for (slot, (name, bytes)) in fields.iter_mut().zip(payload) {
        let too_long = || NtlmError::FieldTooLong {
            field: name,
            len: bytes.len(),
        };
        let len = u16::try_from(bytes.len()).map_err(|_| too_long())?;
        let at = u32::try_from(offset).map_err(|_| too_long())?;
        *slot = (len, at);
        offset += bytes.len();
    }
    let [domain, user, workstation, lm, nt, key] = fields;
    let mut message = Vec::with_capacity(offset);
    message.extend_from_slice(NTLMSSP_SIGNATURE);
    message.extend_from_slice(&3u32.to_le_bytes());
    for (len, at) in [lm, nt, domain, user, workstation, key] {
        message.extend_from_slice(&len.to_le_bytes());
        message.extend_from_slice(&len.to_le_bytes());
        message.extend_from_slice(&at.to_le_bytes());
    }
    message.extend_from_slice(&flags.to_le_bytes());
    message.extend_from_slice(&version);
    if with_mic {
        message.extend_from_slice(&[0; 16]);
    }
    for (_, bytes) in payload {
        message.extend_from_slice(bytes);
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The little-endian u16 at `at` of a message the test built or was given.
    fn le_u16(message: &[u8], at: usize) -> u16 {
        crate::bytes::u16_at(message, at, "test field").unwrap()
    }

    /// The little-endian u32 at `at` of a message the test built or was given.
    fn le_u32(message: &[u8], at: usize) -> u32 {
        crate::bytes::u32_at(message, at, "test field").unwrap()
    }

    fn utf16le_to_string(bytes: &[u8]) -> String {
        from_utf16le_lossy(bytes)
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // [MS-NLMP] 4.2.4.3: the CHALLENGE_MESSAGE of the NTLMv2 example.
    const SPEC_CHALLENGE: &str = "
        4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
        00000000000000002400240044000000060070170000000f5300650072007600
        6500720002000c0044006f006d00610069006e0001000c005300650072007600
        6500720000000000";

    // [MS-NLMP] 4.2.4.3: the AUTHENTICATE_MESSAGE of the NTLMv2 example.
    const SPEC_AUTHENTICATE: &str = "
        4e544c4d535350000300000018001800 6c00000054005400840000000c000c00
        48000000080008005400000010001000 5c00000010001000d8000000358288e2
        0501280a0000000f44006f006d006100 69006e00550073006500720043004f00
        4d005000550054004500520086c35097 ac9cec102554764a57cccc19aaaaaaaa
        aaaaaaaa68cd0ab851e51c96aabc927b ebef6a1c010100000000000000000000
        00000000aaaaaaaaaaaaaaaa00000000 02000c0044006f006d00610069006e00
        01000c00530065007200760065007200 0000000000000000c5dad2544fc97990
        94ce1ce90bc9d03e";

    // [MS-NLMP] 4.2.4.1.3: temp (the NTLMv2 client challenge structure).
    const SPEC_TEMP: &str = "
        0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
        02000c0044006f006d00610069006e00 01000c00530065007200760065007200
        00000000 00000000";

    fn spec_client() -> NtlmClient {
        NtlmClient::with_fixed_randomness(
            NtlmCredentials::new("User", "Domain", "Password"),
            "COMPUTER",
            [0xaa; 8],
            [0x55; 16],
            0,
        )
    }

    #[test]
    fn ms_nlmp_4_2_4_intermediate_values() {
        let response_key = ntowf_v2("Password", "User", "Domain");
        assert_eq!(
            response_key.to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f"),
            "NTOWFv2 (4.2.4.1.1)"
        );
        let challenge = ChallengeMessage::parse(&hex(SPEC_CHALLENGE)).unwrap();
        assert_eq!(challenge.flags, 0xe28a_8233);
        assert_eq!(challenge.server_challenge.to_vec(), hex("0123456789abcdef"));
        assert_eq!(challenge.target_name_string(), "Server");
        assert_eq!(challenge.timestamp, None);
        assert_eq!(
            challenge.av_pair(MSV_AV_NB_DOMAIN_NAME),
            Some(&utf16le("Domain")[..])
        );
        assert_eq!(
            challenge.av_pair(MSV_AV_NB_COMPUTER_NAME),
            Some(&utf16le("Server")[..])
        );
        assert_eq!(
            ntlmv2_temp(0, [0xaa; 8], &challenge.target_info),
            hex(SPEC_TEMP),
            "temp (4.2.4.1.3)"
        );
        let v2 = ntlmv2(
            &response_key,
            challenge.server_challenge,
            [0xaa; 8],
            0,
            &challenge.target_info,
        );
        assert_eq!(
            v2.session_base_key.to_vec(),
            hex("8de40ccadbc14a82f15cb0ad0de95ca3"),
            "SessionBaseKey (4.2.4.1.2)"
        );
        assert_eq!(
            v2.lm_response,
            hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"),
            "LMv2 response (4.2.4.2.1)"
        );
        assert_eq!(
            v2.nt_response[..16].to_vec(),
            hex("68cd0ab851e51c96aabc927bebef6a1c"),
            "NTProofStr (4.2.4.2.2)"
        );
        assert_eq!(v2.nt_response[16..].to_vec(), hex(SPEC_TEMP));
        assert_eq!(
            rc4(&*v2.session_base_key, &[0x55; 16]),
            hex("c5dad2544fc9799094ce1ce90bc9d03e"),
            "EncryptedRandomSessionKey (4.2.4.2.3)"
        );
    }

    /// The MIC of an AUTHENTICATE_MESSAGE recomputed from the bytes exchanged
    /// ([MS-NLMP] 3.1.5.1.2): HMAC-MD5 of the three messages with the MIC field zero.
    fn recomputed_mic(
        key: &[u8; 16],
        negotiate: &[u8],
        challenge: &[u8],
        message: &[u8],
    ) -> Vec<u8> {
        let mut zeroed = message.to_vec();
        zeroed[72..88].fill(0);
        let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(negotiate);
        mac.update(challenge);
        mac.update(&zeroed);
        mac.finalize().into_bytes().to_vec()
    }

    /// A security buffer of an AUTHENTICATE_MESSAGE: Len at `at`, offset at `at + 4`.
    fn field(message: &[u8], at: usize) -> &[u8] {
        let len = usize::from(le_u16(message, at));
        let offset = le_u32(message, at + 4) as usize;
        &message[offset..offset + len]
    }

    /// The AV pairs of the NTLMv2 response of an AUTHENTICATE_MESSAGE, read independently.
    fn sent_av_pairs(message: &[u8]) -> Vec<(u16, Vec<u8>)> {
        let nt = field(message, 20);
        let mut rest = &nt[44..];
        let mut pairs = Vec::new();
        loop {
            let id = u16::from_le_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
            pairs.push((id, rest[4..4 + len].to_vec()));
            rest = &rest[4 + len..];
            if id == MSV_AV_EOL {
                break;
            }
        }
        // Z(4) ends the blob (Windows pads with more zeros).
        assert!(
            rest.len() >= 4 && rest.iter().all(|&b| b == 0),
            "{rest:02x?}"
        );
        pairs
    }

    #[test]
    fn ms_nlmp_4_2_4_authenticate_message_with_mic() {
        let mut client = spec_client();
        let negotiate = client.negotiate_message();
        let challenge = hex(SPEC_CHALLENGE);
        let result = client.authenticate_message(&challenge).unwrap();
        let message = &result.message;
        let want = hex(SPEC_AUTHENTICATE);
        // The Version, then the MIC: the payload starts at 88, not 72.
        assert_eq!(message[64..72], CLIENT_VERSION);
        assert_eq!(
            le_u32(message, 32),
            88,
            "DomainName comes first in the payload"
        );
        assert!(result.has_mic());
        // The example's flags, domain, user, workstation and LMv2 response (no timestamp).
        assert_eq!(message[60..64], want[60..64]);
        for at in [12, 28, 36, 44] {
            assert_eq!(field(message, at), field(&want, at), "field at {at}");
        }
        // The NTLMv2 blob: the example's, with MsvAvFlags (MIC) and MsvAvChannelBindings (Z(16))
        // added before MsvAvEOL.
        let nt = field(message, 20);
        let spec_nt = field(&want, 20);
        assert_eq!(nt[16..44], spec_nt[16..44]);
        assert_eq!(
            nt[44..],
            hex(
                "02000c0044006f006d00610069006e00 01000c00530065007200760065007200
                 06000400 02000000
                 0a001000 00000000000000000000000000000000
                 00000000 00000000"
            )[..]
        );
        // The NTProofStr over that blob, from the example's ResponseKeyNT.
        let response_key = hex("0c868a403bfd7a93a3001ef22ef02e3f");
        let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(&response_key).unwrap();
        mac.update(&hex("0123456789abcdef"));
        mac.update(&nt[16..]);
        assert_eq!(nt[..16], mac.finalize().into_bytes()[..]);
        // The exported session key is the random session key of the example; the MIC is keyed
        // with it.
        assert_eq!(result.session_key, [0x55; 16]);
        assert_eq!(
            message[72..88],
            recomputed_mic(&[0x55; 16], &negotiate, &challenge, message)[..]
        );
        // The client's NEGOTIATE flags are the flags of the example's AUTHENTICATE.
        assert_eq!(negotiate[12..16], want[60..64]);
    }

    #[test]
    fn negotiate_message_bytes() {
        let mut client = NtlmClient::new(NtlmCredentials::anonymous(), "WS");
        assert_eq!(
            client.negotiate_message(),
            hex(
                "4e544c4d5353500001000000358288e2 0000000000000000 0000000000000000
                 0a0000000000000f"
            )
        );
    }

    // The CHALLENGE_MESSAGE a Windows server sent in Microsoft's SMB 3.1.1 pre-authentication
    // example (Open Specifications blog, "the anatomy of signing and cryptographic keys").
    const WINDOWS_CHALLENGE: &str = "
        4e544c4d53535000020000000c000c003800000015828ae20d1d8ba31179d008
        000000000000000050005000440000000a0092270000000f5300550054003300
        3100310002000c0053005500540033003100310001000c005300550054003300
        3100310004000c0053005500540033003100310003000c005300550054003300
        3100310007000800a1a1f5adcbaed00100000000";

    #[test]
    fn windows_challenge_with_timestamp() {
        let challenge = ChallengeMessage::parse(&hex(WINDOWS_CHALLENGE)).unwrap();
        assert_eq!(challenge.flags, 0xe28a_8215);
        assert_eq!(challenge.server_challenge.to_vec(), hex("0d1d8ba31179d008"));
        assert_eq!(challenge.target_name_string(), "SUT311");
        assert_eq!(challenge.timestamp, Some(0x01d0_aecb_adf5_a1a1));
        assert_eq!(
            challenge.av_pair(MSV_AV_DNS_COMPUTER_NAME),
            Some(&utf16le("SUT311")[..])
        );
        assert_eq!(challenge.av_pair(0x0009), None);

        let mut client = NtlmClient::with_fixed_randomness(
            NtlmCredentials::new("administrator", "DRIVER311", "secret"),
            "WS",
            [0x11; 8],
            [0x22; 16],
            0,
        )
        .with_target_name("cifs/SUT311");
        let negotiate = client.negotiate_message();
        let challenge_bytes = hex(WINDOWS_CHALLENGE);
        let result = client.authenticate_message(&challenge_bytes).unwrap();
        let message = &result.message;
        // The same NegotiateFlags as the Windows client's AUTHENTICATE in that example.
        assert_eq!(le_u32(message, 60), 0xe288_8215);
        // With MsvAvTimestamp the LmChallengeResponse is Z(24) ...
        assert_eq!(field(message, 12), [0u8; 24]);
        // ... and the server's time is in the NTLMv2 response, followed by its AV pairs and the
        // client's: MsvAvFlags with the MIC bit, no channel binding, the SPN it was given.
        let nt = field(message, 20);
        assert_eq!(nt[24..32], 0x01d0_aecb_adf5_a1a1u64.to_le_bytes());
        assert_eq!(nt[32..40], [0x11; 8]);
        let server_pairs = challenge.target_info.len() - 4;
        assert_eq!(
            nt[44..44 + server_pairs],
            challenge.target_info[..server_pairs]
        );
        let pairs = sent_av_pairs(message);
        let value = |id: u16| {
            let found: Vec<&Vec<u8>> = pairs
                .iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, v)| v)
                .collect();
            assert_eq!(found.len(), 1, "one AV pair {id:#x}");
            found[0].clone()
        };
        assert_eq!(
            value(MSV_AV_TIMESTAMP),
            0x01d0_aecb_adf5_a1a1u64.to_le_bytes()
        );
        assert_eq!(value(MSV_AV_FLAGS), AV_FLAG_MIC_PRESENT.to_le_bytes());
        assert_eq!(value(MSV_AV_CHANNEL_BINDINGS), [0; 16]);
        assert_eq!(utf16le_to_string(&value(MSV_AV_TARGET_NAME)), "cifs/SUT311");
        assert_eq!(pairs.last(), Some(&(MSV_AV_EOL, Vec::new())));
        // The MIC, after the Version, covers the three messages under the exported key.
        assert_eq!(
            le_u32(message, 32),
            88,
            "DomainName, the first of the payload"
        );
        assert_eq!(
            message[72..88],
            recomputed_mic(&[0x22; 16], &negotiate, &challenge_bytes, message)[..]
        );
        // KEY_EXCH: a 16-byte encrypted key is sent and the exported key is the random one.
        assert_eq!(le_u16(message, 52), 16);
        assert_eq!(result.session_key, [0x22; 16]);
        assert_eq!(
            format!("{result:?}"),
            format!(
                "NtlmAuthenticated {{ message_len: {}, flags: 0xe2888215, has_mic: true, \
                 session_key: \"<redacted>\" }}",
                message.len()
            )
        );
    }

    // The rest of Microsoft's SMB 3.1.1 example (crypto::tests): the NEGOTIATE_MESSAGE and the
    // Windows client's AUTHENTICATE_MESSAGE, whose exported session key the blog publishes.
    const WINDOWS_NEGOTIATE: &str = "4e544c4d5353500001000000978208e2 0000000000000000
        0000000000000000 060380250000000f";

    /// The Windows client's AUTHENTICATE_MESSAGE: the NTLM token of the example's second
    /// SESSION_SETUP request, whose security buffer starts at byte 88.
    fn windows_authenticate() -> Vec<u8> {
        let request = hex(crate::crypto::tests::SESSION_SETUP_REQUEST_2);
        let blob = &request[64 + 24..];
        let token = crate::spnego::parse(blob).unwrap();
        token.mech_token().unwrap().to_vec()
    }

    /// The CHALLENGE_MESSAGE that SPNEGO carries in the example's first SESSION_SETUP
    /// response parses (spnego's tests check the SPNEGO framing around it).
    #[test]
    fn windows_spnego_challenge_token_parses() {
        let response = hex(crate::crypto::tests::SESSION_SETUP_RESPONSE_1);
        // SecurityBufferOffset and SecurityBufferLength, 4 bytes into the body.
        let offset = usize::from(le_u16(&response, 64 + 4));
        let len = usize::from(le_u16(&response, 64 + 6));
        let token = crate::spnego::parse(&response[offset..offset + len]).unwrap();
        let ntlm = token.mech_token().unwrap();
        assert_eq!(ntlm.len(), 148);
        assert!(ChallengeMessage::parse(ntlm).is_ok());
    }

    #[test]
    fn windows_mic_and_mech_list_mics_are_reproduced() {
        let session_key = [
            0x27, 0x0e, 0x1b, 0xa8, 0x96, 0x58, 0x5e, 0xeb, 0x7a, 0xf3, 0x47, 0x2d, 0x3b, 0x4c,
            0x75, 0xa7,
        ];
        let authenticate = windows_authenticate();
        // The Windows AUTHENTICATE has MsvAvFlags = MIC present and MsvAvTargetName cifs/SUT311,
        // and its MIC is the HMAC this client computes.
        let pairs = sent_av_pairs(&authenticate);
        assert!(pairs.contains(&(MSV_AV_FLAGS, AV_FLAG_MIC_PRESENT.to_le_bytes().to_vec())));
        assert!(pairs.contains(&(MSV_AV_TARGET_NAME, utf16le("cifs/SUT311"))));
        assert_eq!(
            authenticate[72..88],
            recomputed_mic(
                &session_key,
                &hex(WINDOWS_NEGOTIATE),
                &hex(WINDOWS_CHALLENGE),
                &authenticate
            )[..]
        );
        // The SPNEGO mechListMICs of both sides over the mechanism list [NTLMSSP].
        let authenticated = NtlmAuthenticated {
            message: authenticate.clone(),
            session_key,
            flags: le_u32(&authenticate, 60),
            has_mic: true,
        };
        let mech_types = crate::spnego::mech_types();
        assert_eq!(
            authenticated
                .mech_list_mic(&mech_types)
                .map(|mic| mic.to_vec()),
            Some(hex("0100000063775a9a5fd97f0600000000"))
        );
        assert!(
            authenticated
                .verify_server_mech_list_mic(&mech_types, &hex("010000003b453cdc3524164200000000"))
        );
        assert!(
            !authenticated
                .verify_server_mech_list_mic(&mech_types, &hex("0100000063775a9a5fd97f0600000000"))
        );
    }

    #[test]
    fn servers_av_flags_are_kept_and_its_target_name_replaced() {
        // The Windows challenge with MsvAvFlags 0x1 (constrained) and a MsvAvTargetName
        // "cifs/evil" added by the server before MsvAvEOL.
        let mut challenge = hex(WINDOWS_CHALLENGE);
        let eol = challenge.len() - 4;
        let extra = [
            hex("06000400 01000000"),
            [hex("09001200"), utf16le("cifs/evil")].concat(),
        ]
        .concat();
        challenge.splice(eol..eol, extra.iter().copied());
        let info_len = le_u16(&challenge, 40) + extra.len() as u16;
        challenge[40..42].copy_from_slice(&info_len.to_le_bytes());
        challenge[42..44].copy_from_slice(&info_len.to_le_bytes());
        let mut client = NtlmClient::new(NtlmCredentials::new("u", "d", "p"), "WS")
            .with_target_name("cifs/SUT311");
        client.negotiate_message();
        let result = client.authenticate_message(&challenge).unwrap();
        let pairs = sent_av_pairs(&result.message);
        let flags: Vec<_> = pairs.iter().filter(|(id, _)| *id == MSV_AV_FLAGS).collect();
        assert_eq!(flags, [&(MSV_AV_FLAGS, 3u32.to_le_bytes().to_vec())]);
        let names: Vec<_> = pairs
            .iter()
            .filter(|(id, _)| *id == MSV_AV_TARGET_NAME)
            .collect();
        assert_eq!(names, [&(MSV_AV_TARGET_NAME, utf16le("cifs/SUT311"))]);
    }

    #[test]
    fn ntlmv1_and_lm_are_refused() {
        // A challenge without TargetInfo (an NTLMv1 server's) is refused.
        let mut no_info = hex(SPEC_CHALLENGE)[..0x38].to_vec();
        no_info[40..48].fill(0);
        no_info[12..20].fill(0);
        let mut client = spec_client();
        client.negotiate_message();
        let error = client.authenticate_message(&no_info).unwrap_err();
        assert_eq!(error, NtlmError::NtlmV2Unavailable("carries no TargetInfo"));
        assert!(
            error.to_string().contains("NTLMv1 and LM are refused"),
            "{error}"
        );
        // So is one without extended session security, even anonymously.
        let mut no_ess = hex(SPEC_CHALLENGE);
        let flags = le_u32(&no_ess, 20) & !NEGOTIATE_EXTENDED_SESSIONSECURITY;
        no_ess[20..24].copy_from_slice(&flags.to_le_bytes());
        for credentials in [
            NtlmCredentials::new("u", "d", "p"),
            NtlmCredentials::anonymous(),
        ] {
            let mut client = NtlmClient::new(credentials, "WS");
            client.negotiate_message();
            assert_eq!(
                client.authenticate_message(&no_ess),
                Err(NtlmError::NtlmV2Unavailable(
                    "does not offer extended session security"
                ))
            );
        }
        // A server offering NTLMSSP_NEGOTIATE_LM_KEY does not get it, and with a timestamp the
        // LmChallengeResponse is Z(24), never an LM or NTLMv1 response.
        let mut lm_key = hex(WINDOWS_CHALLENGE);
        let flags = le_u32(&lm_key, 20) | NEGOTIATE_LM_KEY;
        lm_key[20..24].copy_from_slice(&flags.to_le_bytes());
        let mut client = NtlmClient::new(NtlmCredentials::new("u", "d", "p"), "WS");
        assert_eq!(
            le_u32(&client.negotiate_message(), 12) & NEGOTIATE_LM_KEY,
            0
        );
        let result = client.authenticate_message(&lm_key).unwrap();
        assert_eq!(le_u32(&result.message, 60) & NEGOTIATE_LM_KEY, 0);
        assert_eq!(field(&result.message, 12), [0; 24]);
        assert!(field(&result.message, 20).len() > 24, "an NTLMv2 response");
    }

    #[test]
    fn random_inputs_differ_between_clients() {
        let run = || {
            let mut client = NtlmClient::new(NtlmCredentials::new("u", "d", "p"), "WS");
            client.negotiate_message();
            client.authenticate_message(&hex(SPEC_CHALLENGE)).unwrap()
        };
        let (a, b) = (run(), run());
        assert_ne!(a.session_key, b.session_key);
        assert_ne!(a.message, b.message);
    }

    #[test]
    fn no_key_exchange_exports_the_session_base_key() {
        let mut challenge = hex(SPEC_CHALLENGE);
        let flags = le_u32(&challenge, 20) & !NEGOTIATE_KEY_EXCH;
        challenge[20..24].copy_from_slice(&flags.to_le_bytes());
        let mut client = spec_client();
        client.negotiate_message();
        let result = client.authenticate_message(&challenge).unwrap();
        // SessionBaseKey = HMAC-MD5(ResponseKeyNT, NTProofStr), from the example's key.
        let nt_proof = &field(&result.message, 20)[..16];
        let response_key = hex("0c868a403bfd7a93a3001ef22ef02e3f");
        assert_eq!(result.session_key, hmac_md5(&response_key, &[nt_proof]));
        assert_eq!(le_u16(&result.message, 52), 0);
        assert_eq!(le_u32(&result.message, 60) & NEGOTIATE_KEY_EXCH, 0);
    }

    #[test]
    fn anonymous_authenticate() {
        let mut client = NtlmClient::new(NtlmCredentials::anonymous(), "WS");
        client.negotiate_message();
        let result = client
            .authenticate_message(&hex(WINDOWS_CHALLENGE))
            .unwrap();
        let message = &result.message;
        assert_eq!(result.session_key, [0; 16]);
        let flags = le_u32(message, 60);
        assert_ne!(flags & NEGOTIATE_ANONYMOUS, 0);
        assert_eq!(flags & NEGOTIATE_KEY_EXCH, 0);
        // LmChallengeResponse Z(1), empty NtChallengeResponse, domain, user and session key.
        assert_eq!(le_u16(message, 12), 1);
        let lm_at = le_u32(message, 16) as usize;
        assert_eq!(message[lm_at], 0);
        for field in [20, 28, 36, 52] {
            assert_eq!(le_u16(message, field), 0, "field at {field}");
        }
        assert_eq!(le_u16(message, 44), 4); // "WS"
        // No MIC: the payload starts right after the Version.
        assert!(!result.has_mic());
        assert_eq!(result.mech_list_mic(&crate::spnego::mech_types()), None);
        assert_eq!(le_u32(message, 32), 72);
        assert_eq!(message.len(), AUTHENTICATE_HEADER_LEN + 4 + 1);
    }

    #[test]
    fn calls_out_of_order_are_errors() {
        let mut client = spec_client();
        assert!(matches!(
            client.authenticate_message(&hex(SPEC_CHALLENGE)),
            Err(NtlmError::OutOfOrder(_))
        ));
        client.negotiate_message();
        // A bad challenge leaves the client waiting for a good one.
        assert_eq!(
            client.authenticate_message(&[]),
            Err(NtlmError::ChallengeTooShort { len: 0 })
        );
        client.authenticate_message(&hex(SPEC_CHALLENGE)).unwrap();
        assert!(matches!(
            client.authenticate_message(&hex(SPEC_CHALLENGE)),
            Err(NtlmError::OutOfOrder(_))
        ));
    }

    #[test]
    fn malformed_challenges_are_errors() {
        let good = hex(SPEC_CHALLENGE);
        let parse = ChallengeMessage::parse;
        for len in [0, 8, 12, 47] {
            assert_eq!(
                parse(&good[..len]),
                Err(NtlmError::ChallengeTooShort { len })
            );
        }
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(parse(&bad), Err(NtlmError::BadSignature));
        let mut bad = good.clone();
        bad[8] = 3;
        assert_eq!(parse(&bad), Err(NtlmError::WrongMessageType(3)));
        // Truncated: the TargetInfo field now runs past the end.
        assert_eq!(
            parse(&good[..good.len() - 1]),
            Err(NtlmError::FieldOutOfBounds {
                field: "TargetInfo",
                offset: 0x44,
                len: 0x24,
                message_len: good.len() - 1
            })
        );
        // TargetName offset beyond the end, and an offset that overflows.
        let mut bad = good.clone();
        bad[16..20].copy_from_slice(&0x1000u32.to_le_bytes());
        assert!(matches!(
            parse(&bad),
            Err(NtlmError::FieldOutOfBounds {
                field: "TargetName",
                ..
            })
        ));
        let mut bad = good.clone();
        bad[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse(&bad),
            Err(NtlmError::FieldOutOfBounds {
                field: "TargetInfo",
                ..
            })
        ));
        // An AV pair longer than TargetInfo.
        let mut bad = good.clone();
        bad[0x44 + 2] = 0x40;
        assert_eq!(parse(&bad), Err(NtlmError::AvPairTruncated { at: 0 }));
        // TargetInfo cut short of MsvAvEOL (its length shortened by the 4-byte EOL).
        let mut bad = good.clone();
        bad[40] = 0x20;
        assert_eq!(parse(&bad), Err(NtlmError::AvPairsUnterminated));
        // ... or in the middle of the EOL header.
        let mut bad = good.clone();
        bad[40] = 0x22;
        assert_eq!(parse(&bad), Err(NtlmError::AvPairTruncated { at: 0x20 }));
        // A MsvAvTimestamp that is not 8 bytes.
        let mut bad = good[..0x44].to_vec();
        bad[40..42].copy_from_slice(&12u16.to_le_bytes());
        bad.extend_from_slice(&hex("07000400 00000000 00000000"));
        assert_eq!(parse(&bad), Err(NtlmError::BadTimestamp { len: 4 }));
        // No Unicode.
        let mut bad = good.clone();
        bad[20] &= !0x01;
        let mut client = spec_client();
        client.negotiate_message();
        assert_eq!(
            client.authenticate_message(&bad),
            Err(NtlmError::UnicodeNotOffered)
        );
    }

    #[test]
    fn empty_target_info_parses_but_is_refused() {
        let mut message = hex(SPEC_CHALLENGE)[..0x38].to_vec();
        message[40..48].fill(0);
        message[12..20].fill(0);
        let challenge = ChallengeMessage::parse(&message).unwrap();
        assert!(challenge.target_info.is_empty());
        assert!(challenge.target_name.is_empty());
        let mut client = NtlmClient::new(NtlmCredentials::anonymous(), "WS");
        client.negotiate_message();
        assert!(matches!(
            client.authenticate_message(&message),
            Err(NtlmError::NtlmV2Unavailable(_))
        ));
    }

    #[test]
    fn rc4_known_answers() {
        assert_eq!(rc4(b"Key", b"Plaintext"), hex("bbf316e8d940af0ad3"));
        assert_eq!(rc4(b"Wiki", b"pedia"), hex("1021bf0420"));
    }

    #[test]
    fn user_names_split_and_upcase() {
        assert_eq!(split_user(r"CORP\alice"), ("CORP", "alice"));
        assert_eq!(split_user("alice@corp.example"), ("corp.example", "alice"));
        assert_eq!(split_user("alice"), ("", "alice"));
        assert_eq!(split_user(r"\alice"), ("", "alice"));
        assert_eq!(upcase("straße"), "STRAßE");
        // NTOWFv2 upper-cases the user but not the domain.
        assert_eq!(
            *ntowf_v2("Password", "user", "Domain"),
            *ntowf_v2("Password", "USER", "Domain")
        );
        assert_ne!(
            *ntowf_v2("Password", "User", "domain"),
            *ntowf_v2("Password", "User", "Domain")
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let credentials = NtlmCredentials::new("alice", "CORP", "hunter2");
        let printed = format!("{credentials:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<redacted>"));
        let client = NtlmClient::new(credentials, "WS");
        assert!(!format!("{client:?}").contains("hunter2"));
        assert!(NtlmCredentials::anonymous().is_anonymous());
    }

    proptest! {
        #[test]
        fn challenge_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ChallengeMessage::parse(&bytes);
        }

        #[test]
        fn authenticate_never_panics_on_challenge_like_input(
            tail in proptest::collection::vec(any::<u8>(), 0..300),
            offsets in proptest::collection::vec(0u8..=120, 4),
        ) {
            // A valid signature and type with random fields, so that parsing goes deep.
            let mut message = NTLMSSP_SIGNATURE.to_vec();
            message.extend_from_slice(&2u32.to_le_bytes());
            message.extend_from_slice(&tail);
            if message.len() >= 48 {
                message[12] = offsets[0];
                message[16] = offsets[1];
                message[40] = offsets[2];
                message[44] = offsets[3];
                message[17..20].fill(0);
                message[45..48].fill(0);
                message[20] |= 1;
            }
            let mut client = NtlmClient::new(NtlmCredentials::new("u", "d", "p"), "WS");
            client.negotiate_message();
            let _ = client.authenticate_message(&message);
        }
    }
}
