//! What marks a token as NTLMSSP: shared by `ntlm`, which writes and checks it, and `spnego`,
//! which recognises a raw NTLMSSP token by it, so that neither imports the other.

/// The signature that starts every NTLMSSP message.
pub const NTLMSSP_SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
