//! SMB2/3 cryptography: message signing, the SMB 3.x key derivation, the 3.1.1 pre-authentication
//! integrity hash, and message encryption in SMB2 TRANSFORM_HEADERs.
//!
//! Everything here is a pure function over byte slices ([MS-SMB2] 3.1.4.1 signing, 3.1.4.2 the
//! KDF, 3.1.4.3 encryption, 3.2.5.3.1 the session keys, 2.2.41 the transform header). Keys are
//! 128-bit: the client negotiates AES-128 ciphers only.

use aes::Aes128;
use aes::cipher::BlockCipherEncrypt as _;
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use ccm::Ccm;
use ccm::consts::{U11, U16};
use cmac::Cmac;
use ghash::GHash;
use ghash::universal_hash::UniversalHash as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::bytes::{Reader, slice};

/// Size of the SMB2 header that starts every message ([MS-SMB2] 2.2.1).
pub const SMB2_HEADER_SIZE: usize = crate::wire::HEADER_LENGTH;
/// Offset of the 4-byte Flags field in the SMB2 header.
const FLAGS_OFFSET: usize = 16;
/// Offset of the 2-byte Command field in the SMB2 header.
const COMMAND_OFFSET: usize = 12;
/// Offset of the 8-byte MessageId field in the SMB2 header.
const MESSAGE_ID_OFFSET: usize = 24;
/// Offset of the 16-byte Signature field in the SMB2 header.
const SIGNATURE_OFFSET: usize = 48;
use crate::wire::flags::{SERVER_TO_REDIR as FLAGS_SERVER_TO_REDIR, SIGNED as FLAGS_SIGNED};
/// SMB2 CANCEL.
const COMMAND_CANCEL: u16 = 0x000C;
use crate::wire::PROTOCOL_ID as SMB2_PROTOCOL_ID;
/// ProtocolId of an SMB2 TRANSFORM_HEADER ([MS-SMB2] 2.2.41).
pub const TRANSFORM_PROTOCOL_ID: [u8; 4] = [0xFD, b'S', b'M', b'B'];
/// Size of the SMB2 TRANSFORM_HEADER.
pub const TRANSFORM_HEADER_SIZE: usize = 52;
/// Offset of the Nonce field in the transform header: the AAD runs from here to its end.
const TRANSFORM_NONCE_OFFSET: usize = 20;
/// Flags/EncryptionAlgorithm value of an encrypted message (0x0001 in every dialect).
const TRANSFORM_FLAGS_ENCRYPTED: u16 = 0x0001;

use crate::wire::dialect::{
    SMB_2_0_2 as DIALECT_2_0_2, SMB_2_1 as DIALECT_2_1, SMB_3_0 as DIALECT_3_0,
    SMB_3_0_2 as DIALECT_3_0_2, SMB_3_1_1 as DIALECT_3_1_1,
};

/// Errors of the signing, key derivation and encryption functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The buffer to sign is shorter than an SMB2 header.
    #[error("cannot sign a {len}-byte buffer: an SMB2 message starts with a 64-byte header")]
    MessageTooShort {
        /// Length of the buffer.
        len: usize,
    },
    /// The buffer to sign does not start with the SMB2 ProtocolId 0xFE 'S' 'M' 'B'.
    #[error("cannot sign: the buffer does not start with the SMB2 ProtocolId 0xFE 'SMB'")]
    NotSmb2,
    /// The message is too long for the AEAD algorithm or the 32-bit OriginalMessageSize.
    #[error("message of {len} bytes is too long to sign or encrypt")]
    MessageTooLong {
        /// Length of the message.
        len: usize,
    },
    /// A transform is shorter than the 52-byte TRANSFORM_HEADER.
    #[error("encrypted message is {len} bytes, shorter than the 52-byte TRANSFORM_HEADER")]
    TransformTooShort {
        /// Length of the buffer.
        len: usize,
    },
    /// A transform does not start with the ProtocolId 0xFD 'S' 'M' 'B'.
    #[error("encrypted message does not start with the TRANSFORM_HEADER ProtocolId 0xFD 'SMB'")]
    NotTransform,
    /// The transform header's Flags/EncryptionAlgorithm field is not 0x0001.
    #[error("TRANSFORM_HEADER Flags/EncryptionAlgorithm is {0:#06x}, not 0x0001 (encrypted)")]
    TransformFlags(u16),
    /// OriginalMessageSize does not match the length of the ciphertext that follows the header.
    #[error(
        "TRANSFORM_HEADER OriginalMessageSize is {declared} but {actual} bytes of ciphertext follow"
    )]
    TransformSize {
        /// The OriginalMessageSize field.
        declared: u32,
        /// Bytes after the header.
        actual: usize,
    },
    /// The AEAD tag (the transform's Signature) does not authenticate the message.
    #[error("decryption failed: the TRANSFORM_HEADER signature does not authenticate the message")]
    DecryptionFailed,
    /// Dialect 3.1.1 keys need the session's pre-authentication integrity hash.
    #[error("dialect 3.1.1 key derivation needs the pre-authentication integrity hash")]
    MissingPreauthHash,
    /// A dialect that is not 2.0.2, 2.1, 3.0, 3.0.2 or 3.1.1.
    #[error("no key derivation for dialect {0:#06x}")]
    UnknownDialect(u16),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(getrandom::Error),
    /// An encrypted message arrived on a session that negotiated no cipher.
    #[error("encrypted message but no cipher negotiated")]
    NoCipher,
}

/// The algorithm that signs a session's messages ([MS-SMB2] 3.1.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// HMAC-SHA256 truncated to 16 bytes: dialects 2.0.2 and 2.1.
    HmacSha256,
    /// AES-128-CMAC: dialects 3.0 and 3.0.2, and 3.1.1 unless AES-GMAC is negotiated.
    AesCmac,
    /// AES-128-GMAC: dialect 3.1.1 with SMB2_SIGNING_CAPABILITIES.
    AesGmac,
}

impl SigningAlgorithm {
    /// The SigningAlgorithmId of SMB2_SIGNING_CAPABILITIES ([MS-SMB2] 2.2.3.1.7).
    pub fn id(self) -> u16 {
        match self {
            SigningAlgorithm::HmacSha256 => 0,
            SigningAlgorithm::AesCmac => 1,
            SigningAlgorithm::AesGmac => 2,
        }
    }

    /// The algorithm with a SigningAlgorithmId, if it is one of the three.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0 => Some(SigningAlgorithm::HmacSha256),
            1 => Some(SigningAlgorithm::AesCmac),
            2 => Some(SigningAlgorithm::AesGmac),
            _ => None,
        }
    }

    /// The algorithm a dialect uses when no signing capability was negotiated.
    pub fn for_dialect(dialect: u16) -> Self {
        if dialect >= DIALECT_3_0 {
            SigningAlgorithm::AesCmac
        } else {
            SigningAlgorithm::HmacSha256
        }
    }
}

/// Signs one SMB2 message in place ([MS-SMB2] 3.1.4.1).
///
/// `message` is a whole message starting with its 64-byte header (in a compound, one message
/// with its padding). Sets SMB2_FLAGS_SIGNED, zeroes the Signature field, computes the signature
/// over the message and writes it into the Signature field.
pub fn sign(
    algorithm: SigningAlgorithm,
    key: &[u8; 16],
    message: &mut [u8],
) -> Result<(), CryptoError> {
    let flags = SigningView::read(message)?.flags | FLAGS_SIGNED;
    // SigningView::read checked that the whole header is there, so these ranges are in it.
    message[FLAGS_OFFSET..FLAGS_OFFSET + 4].copy_from_slice(&flags.to_le_bytes());
    let signature = compute_signature(algorithm, key, &SigningView::read(message)?);
    message[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 16].copy_from_slice(&signature);
    Ok(())
}

/// Whether the Signature field of one SMB2 message is right ([MS-SMB2] 3.2.5.1.3).
///
/// The signature is recomputed over the message with the Signature field zeroed and compared in
/// constant time. A buffer that is not an SMB2 message does not verify.
pub fn verify(algorithm: SigningAlgorithm, key: &[u8; 16], message: &[u8]) -> bool {
    let Ok(view) = SigningView::read(message) else {
        return false;
    };
    let expected = compute_signature(algorithm, key, &view);
    expected.ct_eq(&view.signature).into()
}

/// What signing reads from an SMB2 message: the header fields the GMAC nonce uses, the bytes
/// before the Signature field, the field, and the bytes after it.
struct SigningView<'a> {
    command: u16,
    flags: u32,
    message_id: u64,
    head: &'a [u8],
    signature: [u8; 16],
    tail: &'a [u8],
}

impl<'a> SigningView<'a> {
    /// Reads `message`, which must be at least a header long and start with the SMB2
    /// ProtocolId.
    fn read(message: &'a [u8]) -> Result<SigningView<'a>, CryptoError> {
        let len = message.len();
        if len < SMB2_HEADER_SIZE {
            return Err(CryptoError::MessageTooShort { len });
        }
        let too_short = |_| CryptoError::MessageTooShort { len };
        let mut reader = Reader::new(message);
        if reader.array::<4>("ProtocolId").map_err(too_short)? != SMB2_PROTOCOL_ID {
            return Err(CryptoError::NotSmb2);
        }
        reader
            .skip(COMMAND_OFFSET - 4, "StructureSize")
            .map_err(too_short)?;
        let command = reader.u16("Command").map_err(too_short)?;
        reader
            .skip(FLAGS_OFFSET - COMMAND_OFFSET - 2, "CreditRequest")
            .map_err(too_short)?;
        let flags = reader.u32("Flags").map_err(too_short)?;
        reader
            .skip(MESSAGE_ID_OFFSET - FLAGS_OFFSET - 4, "NextCommand")
            .map_err(too_short)?;
        let message_id = reader.u64("MessageId").map_err(too_short)?;
        let head = slice(message, 0, SIGNATURE_OFFSET, "header").map_err(too_short)?;
        let mut reader = Reader::at(message, SIGNATURE_OFFSET);
        let signature = reader.array("Signature").map_err(too_short)?;
        let tail = reader.rest("body").map_err(too_short)?;
        Ok(SigningView {
            command,
            flags,
            message_id,
            head,
            signature,
            tail,
        })
    }
}

/// The signature of a message as if its Signature field were zero.
fn compute_signature(algorithm: SigningAlgorithm, key: &[u8; 16], view: &SigningView) -> [u8; 16] {
    let (head, tail) = (view.head, view.tail);
    let zero = [0u8; 16];
    let mut signature = [0u8; 16];
    match algorithm {
        SigningAlgorithm::HmacSha256 => {
            let mut mac = hmac_sha256(key);
            mac.update(head);
            mac.update(&zero);
            mac.update(tail);
            signature.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        SigningAlgorithm::AesCmac => {
            let mut mac = <Cmac<Aes128> as KeyInit>::new(key.into());
            mac.update(head);
            mac.update(&zero);
            mac.update(tail);
            signature.copy_from_slice(&mac.finalize().into_bytes());
        }
        SigningAlgorithm::AesGmac => {
            signature = gmac(key, &gmac_nonce(view), &[head, &zero, tail]);
        }
    }
    signature
}

/// The GMAC nonce of a message: its MessageId, then 4 bytes with bit 0 set for a
/// server-to-client message and bit 1 for a CANCEL request ([MS-SMB2] 3.1.4.1).
fn gmac_nonce(view: &SigningView) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&view.message_id.to_le_bytes());
    let mut role = 0u32;
    if view.flags & FLAGS_SERVER_TO_REDIR != 0 {
        role |= 1;
    }
    if view.command == COMMAND_CANCEL {
        role |= 2;
    }
    nonce[8..].copy_from_slice(&role.to_le_bytes());
    nonce
}

/// AES-128-GMAC: the tag of GCM with an empty plaintext and `parts`, one after the other, as
/// the additional data (NIST SP 800-38D). Computed with GHASH over the parts as they lie, so
/// that a megabyte message is never copied to zero its Signature field: every part but the
/// last must be a whole number of 16-byte blocks (the header's 48 bytes before the Signature
/// field and the field itself are), since GHASH pads each call to a block.
fn gmac(key: &[u8; 16], nonce: &[u8; 12], parts: &[&[u8]]) -> [u8; 16] {
    let aes = <Aes128 as KeyInit>::new(key.into());
    let mut hash_key = ghash::Block::default();
    aes.encrypt_block(&mut hash_key);
    let mut ghash = GHash::new(&hash_key);
    let mut aad_len = 0u64;
    for part in parts {
        debug_assert!(
            aad_len.is_multiple_of(16),
            "only the last part may end mid-block"
        );
        ghash.update_padded(part);
        aad_len += part.len() as u64;
    }
    // The lengths block: the additional data's length in bits, then the ciphertext's (zero).
    let mut lengths = ghash::Block::default();
    lengths[..8].copy_from_slice(&(aad_len * 8).to_be_bytes());
    ghash.update(&[lengths]);
    let hash = ghash.finalize();
    let mut counter = ghash::Block::default();
    counter[..12].copy_from_slice(nonce);
    counter[15] = 1;
    aes.encrypt_block(&mut counter);
    let mut tag = [0u8; 16];
    for (out, (hashed, masked)) in tag.iter_mut().zip(hash.iter().zip(counter.iter())) {
        *out = hashed ^ masked;
    }
    tag
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The SMB 3.x key derivation function ([MS-SMB2] 3.1.4.2): NIST SP800-108 in counter mode with
/// HMAC-SHA256, r = 32, one iteration (i = 1), L = 128.
///
/// The input is `i (4 bytes, big-endian) || label || 0x00 || context || L (4 bytes,
/// big-endian)`, and the key is the first 16 bytes of the HMAC. `label` and `context` are passed
/// as the specification writes them, with their own terminating NUL where it has one.
pub fn kdf(key: &[u8; 16], label: &[u8], context: &[u8]) -> [u8; 16] {
    let mut mac = hmac_sha256(key);
    mac.update(&1u32.to_be_bytes());
    mac.update(label);
    mac.update(&[0]);
    mac.update(context);
    mac.update(&128u32.to_be_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    out
}

/// The keys of one session ([MS-SMB2] 3.2.1.3, 3.2.5.3.1), from the client's point of view.
///
/// Zeroed when dropped; `Debug` does not print them.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    /// Signs and verifies the session's messages (Session.SigningKey).
    pub signing: [u8; 16],
    /// Encrypts client-to-server messages (Session.EncryptionKey); zero before dialect 3.0.
    pub encryption: [u8; 16],
    /// Decrypts server-to-client messages (Session.DecryptionKey); zero before dialect 3.0.
    pub decryption: [u8; 16],
    /// Handed to applications such as DCE/RPC over named pipes (Session.ApplicationKey); the
    /// session key itself before dialect 3.0.
    pub application: [u8; 16],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl Drop for SessionKeys {
    fn drop(&mut self) {
        self.signing.zeroize();
        self.encryption.zeroize();
        self.decryption.zeroize();
        self.application.zeroize();
    }
}

/// Derives a session's keys from its session key ([MS-SMB2] 3.2.5.3.1).
///
/// - 2.0.2 and 2.1: the signing and application keys are the session key; no encryption keys.
/// - 3.0 and 3.0.2: KDF with the labels "SMB2AESCMAC"/"SmbSign", "SMB2AESCCM"/"ServerIn " and
///   "SMB2AESCCM"/"ServerOut", "SMB2APP"/"SmbRpc".
/// - 3.1.1: KDF with the labels "SMBSigningKey", "SMBC2SCipherKey", "SMBS2CCipherKey" and
///   "SMBAppKey", and the session's pre-authentication integrity hash as the context.
///
/// `session_key` is the first 16 bytes of the GSS session key (for NTLM, the exported session
/// key).
pub fn derive_keys(
    dialect: u16,
    session_key: &[u8; 16],
    preauth_hash: Option<&[u8; 64]>,
) -> Result<SessionKeys, CryptoError> {
    match dialect {
        DIALECT_2_0_2 | DIALECT_2_1 => Ok(SessionKeys {
            signing: *session_key,
            encryption: [0; 16],
            decryption: [0; 16],
            application: *session_key,
        }),
        DIALECT_3_0 | DIALECT_3_0_2 => Ok(SessionKeys {
            signing: kdf(session_key, b"SMB2AESCMAC\0", b"SmbSign\0"),
            encryption: kdf(session_key, b"SMB2AESCCM\0", b"ServerIn \0"),
            decryption: kdf(session_key, b"SMB2AESCCM\0", b"ServerOut\0"),
            application: kdf(session_key, b"SMB2APP\0", b"SmbRpc\0"),
        }),
        DIALECT_3_1_1 => {
            let hash = preauth_hash.ok_or(CryptoError::MissingPreauthHash)?;
            Ok(SessionKeys {
                signing: kdf(session_key, b"SMBSigningKey\0", hash),
                encryption: kdf(session_key, b"SMBC2SCipherKey\0", hash),
                decryption: kdf(session_key, b"SMBS2CCipherKey\0", hash),
                application: kdf(session_key, b"SMBAppKey\0", hash),
            })
        }
        other => Err(CryptoError::UnknownDialect(other)),
    }
}

/// The SMB 3.1.1 pre-authentication integrity hash ([MS-SMB2] 3.2.5.2, 3.2.5.3.1): SHA-512
/// chained over the NEGOTIATE and SESSION_SETUP messages.
///
/// It starts as 64 zero bytes and every message (header included, as sent or received) replaces
/// it with SHA-512(hash || message). Clone the connection's value after the NEGOTIATE exchange to
/// start a session's.
#[derive(Clone, PartialEq, Eq)]
pub struct PreauthHash {
    value: [u8; 64],
}

impl PreauthHash {
    /// The initial value: 64 zero bytes.
    pub fn new() -> Self {
        PreauthHash { value: [0; 64] }
    }

    /// Chains one message into the hash.
    pub fn update(&mut self, message: &[u8]) {
        let mut hasher = Sha512::new();
        hasher.update(self.value);
        hasher.update(message);
        self.value.copy_from_slice(&hasher.finalize());
    }

    /// The current hash value.
    pub fn value(&self) -> &[u8; 64] {
        &self.value
    }
}

impl Default for PreauthHash {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for PreauthHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreauthHash(")?;
        for byte in &self.value[..8] {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "…)")
    }
}

/// An encryption cipher ([MS-SMB2] 2.2.3.1.2 SMB2_ENCRYPTION_CAPABILITIES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// AES-128-CCM, cipher id 0x0001: dialects 3.0 and 3.0.2, and 3.1.1 if negotiated.
    Aes128Ccm,
    /// AES-128-GCM, cipher id 0x0002: dialect 3.1.1.
    Aes128Gcm,
}

impl Cipher {
    /// The cipher id of SMB2_ENCRYPTION_CAPABILITIES.
    pub fn id(self) -> u16 {
        match self {
            Cipher::Aes128Ccm => 1,
            Cipher::Aes128Gcm => 2,
        }
    }

    /// The cipher with an id, if it is one of the two.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            1 => Some(Cipher::Aes128Ccm),
            2 => Some(Cipher::Aes128Gcm),
            _ => None,
        }
    }

    /// How many bytes of the transform header's 16-byte Nonce field the cipher uses: 11 for CCM,
    /// 12 for GCM.
    pub fn nonce_len(self) -> usize {
        match self {
            Cipher::Aes128Ccm => 11,
            Cipher::Aes128Gcm => 12,
        }
    }
}

type Aes128Ccm = Ccm<Aes128, U16, U11>;

/// A fresh random Nonce field for [`encrypt`]: the cipher's [`Cipher::nonce_len`] bytes from the
/// system's random number generator, the rest zero.
pub fn random_nonce(cipher: Cipher) -> Result<[u8; 16], CryptoError> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce[..cipher.nonce_len()]).map_err(CryptoError::Random)?;
    Ok(nonce)
}

/// Encrypts one SMB2 message (or compound) into an SMB2 TRANSFORM_HEADER followed by the
/// ciphertext ([MS-SMB2] 2.2.41, 3.1.4.3).
///
/// The header holds ProtocolId 0xFD 'S' 'M' 'B', the AEAD tag as its Signature, `nonce` as its
/// Nonce (written as given: the cipher uses its first 11 or 12 bytes, and [`random_nonce`]
/// leaves the rest zero), OriginalMessageSize, Flags = 0x0001 and `session_id`. The AAD is the
/// header from its Nonce field to its end (32 bytes). A nonce must never be used twice with a
/// key.
pub fn encrypt(
    cipher: Cipher,
    key: &[u8; 16],
    session_id: u64,
    message: &[u8],
    nonce: [u8; 16],
) -> Result<Vec<u8>, CryptoError> {
    let size = u32::try_from(message.len())
        .map_err(|_| CryptoError::MessageTooLong { len: message.len() })?;
    let mut out = Vec::with_capacity(TRANSFORM_HEADER_SIZE + message.len());
    out.extend_from_slice(&TRANSFORM_PROTOCOL_ID);
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&TRANSFORM_FLAGS_ENCRYPTED.to_le_bytes());
    out.extend_from_slice(&session_id.to_le_bytes());
    out.extend_from_slice(message);
    let (header, body) = out.split_at_mut(TRANSFORM_HEADER_SIZE);
    let aad = &header[TRANSFORM_NONCE_OFFSET..];
    let too_long = |_| CryptoError::MessageTooLong { len: message.len() };
    let tag: [u8; 16] = match cipher {
        Cipher::Aes128Ccm => {
            let nonce: &[u8; 11] = first_bytes(&nonce);
            Aes128Ccm::new(key.into())
                .encrypt_inout_detached(nonce.into(), aad, body.into())
                .map_err(too_long)?
                .into()
        }
        Cipher::Aes128Gcm => {
            let nonce: &[u8; 12] = first_bytes(&nonce);
            Aes128Gcm::new(key.into())
                .encrypt_inout_detached(nonce.into(), aad, body.into())
                .map_err(too_long)?
                .into()
        }
    };
    out[4..20].copy_from_slice(&tag);
    Ok(out)
}

/// The SessionId of a TRANSFORM_HEADER, to find the session whose key decrypts it.
pub fn transform_session_id(transform: &[u8]) -> Result<u64, CryptoError> {
    Ok(TransformHeader::read(transform)?.session_id)
}

/// A TRANSFORM_HEADER ([MS-SMB2] 2.2.41) as read from the start of an encrypted message.
struct TransformHeader<'a> {
    signature: [u8; 16],
    nonce: [u8; 16],
    original_message_size: u32,
    flags: u16,
    session_id: u64,
    /// The header from its Nonce field to its end: the additional authenticated data.
    aad: &'a [u8],
    /// What follows the header.
    ciphertext: &'a [u8],
}

impl<'a> TransformHeader<'a> {
    /// Reads the header, checking its length and ProtocolId.
    fn read(transform: &'a [u8]) -> Result<TransformHeader<'a>, CryptoError> {
        let len = transform.len();
        if len < TRANSFORM_HEADER_SIZE {
            return Err(CryptoError::TransformTooShort { len });
        }
        let too_short = |_| CryptoError::TransformTooShort { len };
        let mut reader = Reader::new(transform);
        if reader.array::<4>("ProtocolId").map_err(too_short)? != TRANSFORM_PROTOCOL_ID {
            return Err(CryptoError::NotTransform);
        }
        let signature = reader.array("Signature").map_err(too_short)?;
        let nonce = reader.array("Nonce").map_err(too_short)?;
        let original_message_size = reader.u32("OriginalMessageSize").map_err(too_short)?;
        reader.skip(2, "Reserved").map_err(too_short)?;
        let flags = reader.u16("Flags").map_err(too_short)?;
        let session_id = reader.u64("SessionId").map_err(too_short)?;
        let aad = slice(
            transform,
            TRANSFORM_NONCE_OFFSET,
            TRANSFORM_HEADER_SIZE - TRANSFORM_NONCE_OFFSET,
            "TRANSFORM_HEADER",
        )
        .map_err(too_short)?;
        let ciphertext = reader
            .take(reader.remaining(), "ciphertext")
            .map_err(too_short)?;
        Ok(TransformHeader {
            signature,
            nonce,
            original_message_size,
            flags,
            session_id,
            aad,
            ciphertext,
        })
    }
}

/// Decrypts and authenticates an SMB2 TRANSFORM_HEADER and its ciphertext ([MS-SMB2]
/// 3.2.5.1.1.1), returning the SMB2 message (or compound) inside.
///
/// Checks the ProtocolId, Flags/EncryptionAlgorithm = 0x0001 and that OriginalMessageSize is the
/// length of the ciphertext; the caller checks the SessionId.
pub fn decrypt(cipher: Cipher, key: &[u8; 16], transform: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let header = TransformHeader::read(transform)?;
    if header.flags != TRANSFORM_FLAGS_ENCRYPTED {
        return Err(CryptoError::TransformFlags(header.flags));
    }
    let declared = header.original_message_size;
    let actual = header.ciphertext.len();
    if usize::try_from(declared).ok() != Some(actual) {
        return Err(CryptoError::TransformSize { declared, actual });
    }
    let tag = &header.signature;
    let nonce_field = &header.nonce;
    let aad = header.aad;
    let mut plaintext = header.ciphertext.to_vec();
    let result = match cipher {
        Cipher::Aes128Ccm => {
            let nonce: &[u8; 11] = first_bytes(nonce_field);
            Aes128Ccm::new(key.into()).decrypt_inout_detached(
                nonce.into(),
                aad,
                plaintext.as_mut_slice().into(),
                tag.into(),
            )
        }
        Cipher::Aes128Gcm => {
            let nonce: &[u8; 12] = first_bytes(nonce_field);
            Aes128Gcm::new(key.into()).decrypt_inout_detached(
                nonce.into(),
                aad,
                plaintext.as_mut_slice().into(),
                tag.into(),
            )
        }
    };
    if result.is_err() {
        plaintext.zeroize();
        return Err(CryptoError::DecryptionFailed);
    }
    Ok(plaintext)
}

/// The first `N` bytes of a slice that the caller knows is at least that long.
fn first_bytes<const N: usize>(bytes: &[u8]) -> &[u8; N] {
    bytes
        .first_chunk::<N>()
        .expect("callers pass slices of at least N bytes")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes hex, ignoring whitespace.
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key16(s: &str) -> [u8; 16] {
        hex(s).try_into().unwrap()
    }

    // RFC 4493 section 4: AES-CMAC with K = 2b7e1516 28aed2a6 abf71588 09cf4f3c.
    #[test]
    fn aes_cmac_matches_rfc4493() {
        let key = key16("2b7e151628aed2a6abf7158809cf4f3c");
        let message = hex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
             30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
        );
        let cases = [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ];
        for (len, want) in cases {
            let mut mac = <Cmac<Aes128> as KeyInit>::new((&key).into());
            mac.update(&message[..len]);
            assert_eq!(
                mac.finalize().into_bytes().to_vec(),
                hex(want),
                "{len} bytes"
            );
        }
    }

    // RFC 4231 test cases 1 and 2 (full-length HMAC-SHA256).
    #[test]
    fn hmac_sha256_matches_rfc4231() {
        let mut mac = hmac_sha256(&[0x0b; 20]);
        mac.update(b"Hi There");
        assert_eq!(
            mac.finalize().into_bytes().to_vec(),
            hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        let mut mac = hmac_sha256(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            mac.finalize().into_bytes().to_vec(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    // Microsoft Open Specifications blog, "SMB 2 and SMB 3 security in Windows 10: the anatomy
    // of signing and cryptographic keys", appendix: key derivation examples.
    #[test]
    fn smb30_keys_match_microsoft_example() {
        let keys = derive_keys(0x0300, &key16("7CD451825D0450D235424E44BA6E78CC"), None).unwrap();
        assert_eq!(keys.signing, key16("0B7E9C5CAC36C0F6EA9AB275298CEDCE"));
        assert_eq!(keys.encryption, key16("FAD27796665B313EBB578F388632B4F7"));
        assert_eq!(keys.decryption, key16("B0F0427F7CEB416D1D9DCC0CD4F99447"));
        assert_eq!(keys.application, key16("BB23A4575AA26C721AF525AF15A87B4F"));
        // The second channel's session key.
        let keys = derive_keys(0x0302, &key16("4E01A2B313BCF660CC250BEF021AEDE6"), None).unwrap();
        assert_eq!(keys.signing, key16("BA1A17DBBFEC349BCA105563D598952F"));
    }

    #[test]
    fn smb2_keys_are_the_session_key() {
        let session_key = [7u8; 16];
        for dialect in [0x0202, 0x0210] {
            let keys = derive_keys(dialect, &session_key, None).unwrap();
            assert_eq!(keys.signing, session_key);
            assert_eq!(keys.application, session_key);
            assert_eq!(keys.encryption, [0; 16]);
        }
        assert_eq!(
            derive_keys(0x0311, &session_key, None),
            Err(CryptoError::MissingPreauthHash)
        );
        assert_eq!(
            derive_keys(0x02FF, &session_key, None),
            Err(CryptoError::UnknownDialect(0x02FF))
        );
        assert_eq!(
            format!("{:?}", derive_keys(0x0202, &session_key, None).unwrap()),
            "SessionKeys(<redacted>)"
        );
    }

    // The same blog's SMB 3.1.1 example: the pre-authentication hash over NEGOTIATE and two
    // SESSION_SETUP round trips, the keys derived from it, and the final SESSION_SETUP response
    // signed with AES-CMAC under the derived signing key.
    pub(crate) const NEGOTIATE_REQUEST: &str = "
        FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000
        00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32
        6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000
        010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000
        0200060000000000020002000100";
    pub(crate) const NEGOTIATE_RESPONSE: &str = "
        FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000
        000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942
        BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001
        80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182
        3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000
        60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51
        FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000
        5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000
        7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000
        3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562
        6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075
        626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4
        83CA5B65385A251117BEB30712E50000020004000000000001000200";
    pub(crate) const SESSION_SETUP_REQUEST_1: &str = "
        FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000
        00000000000000000000000000000000000000000000000019000001010000000000000058004A00
        0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A
        04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000
        000F";
    pub(crate) const SESSION_SETUP_RESPONSE_1: &str = "
        FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000
        190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003
        0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038
        00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53
        005500540033003100310002000C0053005500540033003100310001000C00530055005400330031
        00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1
        A1F5ADCBAED00100000000";
    pub(crate) const SESSION_SETUP_REQUEST_2: &str = "
        FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000
        1900000000100000000000000000000000000000000000001900000101000000000000005800CF01
        0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000
        001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000
        001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055
        005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049
        0056004500520033003100310000000000000000000000000000000000000000000000000063078E
        B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000
        0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055
        00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004
        00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B
        8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016
        0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F
        5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000";
    pub(crate) const SESSION_SETUP_RESPONSE_2: &str = "
        FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000
        1900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019A0030A01
        00A3120410010000003B453CDC3524164200000000";

    #[test]
    fn smb311_preauth_hash_keys_and_signature_match_microsoft_example() {
        let mut hash = PreauthHash::new();
        assert_eq!(hash.value(), &[0u8; 64]);
        let steps = [
            (
                NEGOTIATE_REQUEST,
                "DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C7362B8C47122594CDE0
                 CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426",
            ),
            (
                NEGOTIATE_RESPONSE,
                "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99
                 7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513",
            ),
            (
                SESSION_SETUP_REQUEST_1,
                "AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5D432F8ED42C55E33
                 197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9",
            ),
            (
                SESSION_SETUP_RESPONSE_1,
                "2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B8835740A7376008563336
                 4C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387",
            ),
            (
                SESSION_SETUP_REQUEST_2,
                "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97
                 51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01",
            ),
        ];
        for (i, (message, want)) in steps.iter().enumerate() {
            hash.update(&hex(message));
            assert_eq!(hash.value().to_vec(), hex(want), "after message {i}");
        }
        let session_key = key16("270E1BA896585EEB7AF3472D3B4C75A7");
        let keys = derive_keys(0x0311, &session_key, Some(hash.value())).unwrap();
        assert_eq!(keys.signing, key16("73FE7A9A77BEF0BDE49C650D8CCB5F76"));
        assert_eq!(keys.encryption, key16("629BCBC54422A0F572B97F45989B6073"));
        assert_eq!(keys.decryption, key16("E2AF0DCEFAC68DA71A0DFBD0D1350D74"));
        assert_eq!(keys.application, key16("6D7AD7954E9EC61E907B4D473DC178FF"));

        // The final SESSION_SETUP response is signed (Flags 0x9) with AES-CMAC.
        let response = hex(SESSION_SETUP_RESPONSE_2);
        assert!(verify(SigningAlgorithm::AesCmac, &keys.signing, &response));
        let mut resigned = response.clone();
        resigned[SIGNATURE_OFFSET..SIGNATURE_OFFSET + 16].fill(0xAA);
        sign(SigningAlgorithm::AesCmac, &keys.signing, &mut resigned).unwrap();
        assert_eq!(resigned, response);
        assert!(!verify(
            SigningAlgorithm::HmacSha256,
            &keys.signing,
            &response
        ));
        assert!(!verify(
            SigningAlgorithm::AesCmac,
            &keys.application,
            &response
        ));
    }

    // Microsoft Open Specifications blog, "Encryption in SMB 3.0: A Protocol Perspective": an
    // AES-128-CCM WRITE request and a READ response.
    #[test]
    fn smb30_ccm_matches_microsoft_example() {
        let keys = derive_keys(0x0300, &key16("B4546771B515F766A86735532DD6C4F0"), None).unwrap();
        assert_eq!(keys.encryption, key16("261B72350558F2E9DCF613070383EDBF"));
        assert_eq!(keys.decryption, key16("8FE2B57EC34D2DB5B1A9727F526BBDB5"));
        let request = hex(
            "FE534D4240000100000000000900400008000000000000000400000000000000
             FFFE0000010000001100001400E4080000000000000000000000000000000000
             3100700017000000000000000000000015010000390000020100000039020000
             00000000000000007000000000000000536D623320656E6372797074696F6E20
             74657374696E67",
        );
        let nonce: [u8; 16] = key16("66E69A111892584FB5ED524A744DA3EE");
        let transform = encrypt(
            Cipher::Aes128Ccm,
            &keys.encryption,
            0x0008_E400_1400_0011,
            &request,
            nonce,
        )
        .unwrap();
        let want = hex(
            "FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A
             744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5
             2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4
             4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5
             AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6
             C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB",
        );
        assert_eq!(transform, want);
        assert_eq!(transform_session_id(&transform), Ok(0x0008_E400_1400_0011));

        let response = hex(
            "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014
             00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079
             E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787
             1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1
             77309E5B",
        );
        let plain = decrypt(Cipher::Aes128Ccm, &keys.decryption, &response).unwrap();
        assert_eq!(
            plain,
            hex(
                "FE534D4240000100000000000900210009000000000000000400000000000000
                 FFFE0000010000001100001400E4080000000000000000000000000000000000
                 11000000170000000000000000000000"
            )
        );
    }

    // Microsoft Open Specifications blog, "SMB 3.1.1 Encryption in Windows 10": AES-128-GCM.
    #[test]
    fn smb311_gcm_matches_microsoft_example() {
        let preauth: [u8; 64] = hex(
            "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9
             77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770",
        )
        .try_into()
        .unwrap();
        let keys = derive_keys(
            0x0311,
            &key16("419FDDF34C1E001909D362AE7FB6AF79"),
            Some(&preauth),
        )
        .unwrap();
        assert_eq!(keys.encryption, key16("A2F5E80E5D59103034F32E52F698E5EC"));
        assert_eq!(keys.decryption, key16("748C50868C90F302962A5C35F5F9A8BF"));
        let request = hex(
            "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000
             25000000001000000000000000000000000000000000000031007000170000000000000000000000
             0600000004000000010000000400000000000000000000007000000000000000536D623320656E63
             72797074696F6E2074657374696E67",
        );
        let mut nonce = [0u8; 16];
        nonce[..12].copy_from_slice(&hex("C7D6822D269CAF48904C664C"));
        let transform = encrypt(
            Cipher::Aes128Gcm,
            &keys.encryption,
            0x1000_0000_0025,
            &request,
            nonce,
        )
        .unwrap();
        let want = hex(
            "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000
             0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02
             D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4
             4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9
             1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8",
        );
        assert_eq!(transform, want);

        let response = hex(
            "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000
             00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8
             F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B
             82E03C9E18A050FF0EA1C967",
        );
        let plain = decrypt(Cipher::Aes128Gcm, &keys.decryption, &response).unwrap();
        assert_eq!(
            plain,
            hex(
                "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000
                 25000000001000000000000000000000000000000000000011000000170000000000000000000000"
            )
        );
    }

    fn sample_message(command: u16, flags: u32, message_id: u64) -> Vec<u8> {
        let mut message = vec![0u8; 100];
        message[..4].copy_from_slice(&SMB2_PROTOCOL_ID);
        message[4..6].copy_from_slice(&64u16.to_le_bytes());
        message[COMMAND_OFFSET..COMMAND_OFFSET + 2].copy_from_slice(&command.to_le_bytes());
        message[FLAGS_OFFSET..FLAGS_OFFSET + 4].copy_from_slice(&flags.to_le_bytes());
        message[MESSAGE_ID_OFFSET..MESSAGE_ID_OFFSET + 8]
            .copy_from_slice(&message_id.to_le_bytes());
        for (i, byte) in message[64..].iter_mut().enumerate() {
            *byte = i as u8;
        }
        message
    }

    /// GMAC computed in place, over the header, a zero Signature field and the rest, is
    /// GCM's tag over a zeroed copy, for messages that end on a block and mid-block, from a
    /// bare header to a megabyte.
    #[test]
    fn gmac_in_place_matches_gcm_over_a_copy() {
        let key = [0x42u8; 16];
        for len in [64, 65, 79, 80, 100, 1 << 20, (1 << 20) + 17] {
            let mut message = sample_message(0x0008, FLAGS_SERVER_TO_REDIR, 77);
            message.resize(len, 0);
            for (i, byte) in message.iter_mut().enumerate().skip(64) {
                *byte = (i % 251) as u8;
            }
            message[48..64].copy_from_slice(&[0xEE; 16]); // a signature to be ignored
            let mut copy = message.clone();
            copy[48..64].fill(0);
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&77u64.to_le_bytes());
            nonce[8] = 1;
            let expected = Aes128Gcm::new((&key).into())
                .encrypt_inout_detached((&nonce).into(), &copy, (&mut [][..]).into())
                .unwrap();
            let ours = compute_signature(
                SigningAlgorithm::AesGmac,
                &key,
                &SigningView::read(&message).unwrap(),
            );
            assert_eq!(ours[..], expected[..], "length {len}");
        }
    }

    #[test]
    fn sign_verify_round_trip_and_tamper_detection() {
        let key = [0x42u8; 16];
        for algorithm in [
            SigningAlgorithm::HmacSha256,
            SigningAlgorithm::AesCmac,
            SigningAlgorithm::AesGmac,
        ] {
            let mut message = sample_message(0x0008, 0, 17);
            sign(algorithm, &key, &mut message).unwrap();
            assert_eq!(
                crate::bytes::u32_at(&message, FLAGS_OFFSET, "Flags").unwrap() & FLAGS_SIGNED,
                FLAGS_SIGNED
            );
            assert_ne!(&message[48..64], &[0u8; 16]);
            assert!(verify(algorithm, &key, &message), "{algorithm:?}");
            assert!(
                !verify(algorithm, &[0x43; 16], &message),
                "{algorithm:?} wrong key"
            );
            for position in [0usize, 20, 30, 50, 70, 99] {
                let mut tampered = message.clone();
                tampered[position] ^= 0x01;
                assert!(
                    !verify(algorithm, &key, &tampered),
                    "{algorithm:?} byte {position}"
                );
            }
            assert!(!verify(algorithm, &key, &message[..63]));
        }
    }

    // Signatures of sample messages computed independently with Python's `cryptography`
    // (AESGCM with the 12-byte nonce MessageId || role bits, CMAC) and `hmac`/`hashlib`.
    #[test]
    fn signatures_match_python_cryptography() {
        let key = [0x42u8; 16];
        let cases = [
            (
                SigningAlgorithm::HmacSha256,
                0x0008,
                0,
                "0539ea8be1867f9106c7c1c846bee3f8",
            ),
            (
                SigningAlgorithm::AesCmac,
                0x0008,
                0,
                "759e69ad9a224818dd7a3eb3c6f00b0d",
            ),
            (
                SigningAlgorithm::AesGmac,
                0x0008,
                0,
                "9fe12d014736692797e1717d0fb79012",
            ),
            (
                SigningAlgorithm::AesGmac,
                0x0008,
                1,
                "fbcff1966abf323e9d88a8d8ba5955ba",
            ),
            (
                SigningAlgorithm::AesGmac,
                0x000C,
                0,
                "25320002b97e826415fedb3409aa31ed",
            ),
        ];
        for (algorithm, command, flags, want) in cases {
            let mut message = sample_message(command, flags, 17);
            sign(algorithm, &key, &mut message).unwrap();
            assert_eq!(
                message[48..64].to_vec(),
                hex(want),
                "{algorithm:?} {command} {flags}"
            );
        }
    }

    #[test]
    fn gmac_nonce_distinguishes_role_and_cancel() {
        let key = [0x11u8; 16];
        let signature = |command, flags| {
            let mut message = sample_message(command, flags, 5);
            sign(SigningAlgorithm::AesGmac, &key, &mut message).unwrap();
            message[48..64].to_vec()
        };
        let request = signature(0x0008, 0);
        // The role and cancel bits only enter the nonce: Flags and Command themselves are also
        // in the AAD, so compare against an independent GCM computation.
        let expect = |command: u16, flags: u32, role: u32| {
            let mut message = sample_message(command, flags | FLAGS_SIGNED, 5);
            message[48..64].fill(0);
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&5u64.to_le_bytes());
            nonce[8..].copy_from_slice(&role.to_le_bytes());
            Aes128Gcm::new((&key).into())
                .encrypt_inout_detached((&nonce).into(), &message, (&mut [][..]).into())
                .unwrap()
                .to_vec()
        };
        assert_eq!(request, expect(0x0008, 0, 0));
        assert_eq!(
            signature(0x0008, FLAGS_SERVER_TO_REDIR),
            expect(0x0008, 1, 1)
        );
        assert_eq!(signature(COMMAND_CANCEL, 0), expect(COMMAND_CANCEL, 0, 2));
        assert_eq!(
            signature(COMMAND_CANCEL, FLAGS_SERVER_TO_REDIR),
            expect(COMMAND_CANCEL, 1, 3)
        );
    }

    #[test]
    fn sign_rejects_non_messages() {
        let mut short = vec![0xFE, b'S', b'M', b'B'];
        assert_eq!(
            sign(SigningAlgorithm::AesCmac, &[0; 16], &mut short),
            Err(CryptoError::MessageTooShort { len: 4 })
        );
        let mut not_smb2 = vec![0u8; 64];
        assert_eq!(
            sign(SigningAlgorithm::AesCmac, &[0; 16], &mut not_smb2),
            Err(CryptoError::NotSmb2)
        );
    }

    #[test]
    fn encrypt_decrypt_round_trip_and_tamper_detection() {
        let key = [0x24u8; 16];
        for cipher in [Cipher::Aes128Ccm, Cipher::Aes128Gcm] {
            let message = sample_message(0x0008, 0, 9);
            let nonce = random_nonce(cipher).unwrap();
            assert!(nonce[cipher.nonce_len()..].iter().all(|&b| b == 0));
            let transform = encrypt(cipher, &key, 0x1234, &message, nonce).unwrap();
            assert_eq!(transform.len(), TRANSFORM_HEADER_SIZE + message.len());
            assert_eq!(&transform[..4], &TRANSFORM_PROTOCOL_ID);
            assert_eq!(&transform[20..36], &nonce);
            assert_eq!(
                crate::bytes::u32_at(&transform, 36, "OriginalMessageSize").unwrap(),
                100
            );
            assert_eq!(&transform[42..44], &[1, 0]);
            assert_ne!(&transform[52..], &message[..]);
            assert_eq!(decrypt(cipher, &key, &transform).unwrap(), message);
            assert_eq!(transform_session_id(&transform), Ok(0x1234));

            // Every byte from the Signature on is authenticated: tag, AAD and ciphertext.
            for position in [4usize, 19, 20, 35, 44, 51, 52, 151] {
                let mut tampered = transform.clone();
                tampered[position] ^= 0x80;
                assert_eq!(
                    decrypt(cipher, &key, &tampered),
                    Err(CryptoError::DecryptionFailed),
                    "{cipher:?} byte {position}"
                );
            }
            assert_eq!(
                decrypt(cipher, &[0x25; 16], &transform),
                Err(CryptoError::DecryptionFailed)
            );
            let mut bad_flags = transform.clone();
            bad_flags[42] = 2;
            assert_eq!(
                decrypt(cipher, &key, &bad_flags),
                Err(CryptoError::TransformFlags(2))
            );
            assert_eq!(
                decrypt(cipher, &key, &transform[..transform.len() - 1]),
                Err(CryptoError::TransformSize {
                    declared: 100,
                    actual: 99
                })
            );
            assert_eq!(
                decrypt(cipher, &key, &transform[..51]),
                Err(CryptoError::TransformTooShort { len: 51 })
            );
            let mut not_transform = transform.clone();
            not_transform[0] = 0xFE;
            assert_eq!(
                decrypt(cipher, &key, &not_transform),
                Err(CryptoError::NotTransform)
            );
        }
    }

    #[test]
    fn the_other_cipher_does_not_decrypt() {
        let key = [0x24u8; 16];
        let message = sample_message(0x0008, 0, 9);
        let nonce = random_nonce(Cipher::Aes128Gcm).unwrap();
        let transform = encrypt(Cipher::Aes128Gcm, &key, 1, &message, nonce).unwrap();
        assert_eq!(
            decrypt(Cipher::Aes128Ccm, &key, &transform),
            Err(CryptoError::DecryptionFailed)
        );
    }

    #[test]
    fn ids_round_trip() {
        for cipher in [Cipher::Aes128Ccm, Cipher::Aes128Gcm] {
            assert_eq!(Cipher::from_id(cipher.id()), Some(cipher));
        }
        assert_eq!(Cipher::from_id(3), None);
        for algorithm in [
            SigningAlgorithm::HmacSha256,
            SigningAlgorithm::AesCmac,
            SigningAlgorithm::AesGmac,
        ] {
            assert_eq!(SigningAlgorithm::from_id(algorithm.id()), Some(algorithm));
        }
        assert_eq!(
            SigningAlgorithm::for_dialect(0x0210),
            SigningAlgorithm::HmacSha256
        );
        assert_eq!(
            SigningAlgorithm::for_dialect(0x0311),
            SigningAlgorithm::AesCmac
        );
    }
}
