//! Any bytes as a frame the SMB2 reader task received, through exactly what it does to a frame
//! before it touches any state: `unseal_frame` (transform header, session lookup, decryption
//! with the session's key) and `CompoundMembers` (NextCommand splitting), then the signature
//! check of each member with a fixed signing key.
//!
//! The first byte chooses: bit 0 seals the rest with the fixed key first (so that the fuzzer
//! reaches the splitting of decrypted compounds), bit 1 picks AES-128-CCM over GCM, bits 2-3
//! the signing algorithm, bit 4 signs each member before checking it. Checked: a sealed frame
//! unseals to what was sealed; members lie in order, back to back, inside the frame; each
//! header re-encodes to one that decodes the same; a member signed with the key verifies.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wnet_smb2::client::{CompoundMembers, Error, MessageSecurity, unseal_frame};
use wnet_smb2::crypto::{self, Cipher, SigningAlgorithm};
use wnet_smb2::wire::{Command, Header, flags};

const SESSION_ID: u64 = 0x0000_4000_0000_0011;
const ENCRYPTION_KEY: [u8; 16] = [0x5A; 16];
const SIGNING_KEY: [u8; 16] = [0xC3; 16];

/// A session with fixed keys that signs and seals as a negotiated one does.
struct FixedKeys {
    cipher: Cipher,
    algorithm: SigningAlgorithm,
}

impl MessageSecurity for FixedKeys {
    fn protect(&self, message: Vec<u8>, _: Command) -> Result<Vec<u8>, Error> {
        Ok(message)
    }
    fn protect_compound(&self, messages: Vec<(Vec<u8>, Command)>) -> Result<Vec<u8>, Error> {
        Ok(messages
            .into_iter()
            .flat_map(|(message, _)| message)
            .collect())
    }
    fn encrypts(&self) -> bool {
        true
    }
    fn accept(&self, message: &[u8], header: &Header, encrypted: bool) -> bool {
        encrypted
            || (header.flags & flags::SIGNED != 0
                && crypto::verify(self.algorithm, &SIGNING_KEY, message))
    }
    fn decrypt(&self, transform: &[u8]) -> Result<Vec<u8>, Error> {
        crypto::decrypt(self.cipher, &ENCRYPTION_KEY, transform).map_err(Error::Crypto)
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    let cipher = if selector & 0b10 != 0 {
        Cipher::Aes128Ccm
    } else {
        Cipher::Aes128Gcm
    };
    let algorithm = match (selector >> 2) & 0b11 {
        0 => SigningAlgorithm::HmacSha256,
        1 => SigningAlgorithm::AesCmac,
        _ => SigningAlgorithm::AesGmac,
    };
    let keys = Arc::new(FixedKeys { cipher, algorithm });
    let seal = selector & 1 != 0;
    let frame = if seal {
        let nonce = [selector; 16];
        crypto::encrypt(cipher, &ENCRYPTION_KEY, SESSION_ID, rest, nonce)
            .expect("a fuzz input fits OriginalMessageSize")
    } else {
        rest.to_vec()
    };
    let lookup = |session_id| {
        (session_id == SESSION_ID).then(|| Arc::clone(&keys) as Arc<dyn MessageSecurity>)
    };
    let Ok((frame, sealed_by)) = unseal_frame(frame, lookup) else {
        assert!(!seal, "a frame sealed with the session's key must unseal");
        return;
    };
    if seal {
        assert_eq!(sealed_by, Some(SESSION_ID));
        assert_eq!(frame, rest, "unsealing gives back what was sealed");
    } else {
        assert!(sealed_by.is_none() || rest.starts_with(&crypto::TRANSFORM_PROTOCOL_ID));
    }

    let mut members = CompoundMembers::default();
    let mut expected_start = 0;
    let mut count = 0;
    while let Some(member) = members.next_member(&frame) {
        let Ok((range, header)) = member else {
            assert!(
                members.next_member(&frame).is_none(),
                "nothing follows an error"
            );
            break;
        };
        count += 1;
        assert!(count <= frame.len(), "every member moves forward");
        assert_eq!(range.start, expected_start);
        assert!(range.start < range.end && range.end <= frame.len());
        expected_start = range.end;

        let mut encoded = Vec::new();
        header.encode(&mut encoded);
        assert_eq!(Header::decode(&encoded).as_ref(), Ok(&header));

        let message = &frame[range];
        let accepted = keys.accept(message, &header, sealed_by.is_some());
        assert!(accepted || sealed_by.is_none());
        if selector & 0b1_0000 != 0 && message.len() >= crypto::SMB2_HEADER_SIZE {
            let mut signed = message.to_vec();
            crypto::sign(algorithm, &SIGNING_KEY, &mut signed).expect("a whole header signs");
            let header = Header::decode(&signed).expect("signing keeps the header decodable");
            assert!(
                keys.accept(&signed, &header, false),
                "a signed member verifies"
            );
        }
    }
});
