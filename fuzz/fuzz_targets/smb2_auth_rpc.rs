//! Any bytes as what a server sends during authentication and share listing: an NTLM
//! CHALLENGE_MESSAGE, a SPNEGO token, a DCE/RPC BIND_ACK, response fragments for the
//! assembler, a NetrShareEnum stub, and a transform (encrypted) message. None of them panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wnet_smb2::crypto::{Cipher, decrypt};
use wnet_smb2::ntlm::{ChallengeMessage, NtlmClient, NtlmCredentials};
use wnet_smb2::rpc::{ResponseAssembler, parse_bind_ack, srvsvc::parse_net_share_enum_response};
use wnet_smb2::spnego;

fuzz_target!(|bytes: &[u8]| {
    let _ = ChallengeMessage::parse(bytes);
    let mut client = NtlmClient::new(NtlmCredentials::new("user", "DOMAIN", "password"), "WS");
    let _ = client.negotiate_message();
    let _ = client.authenticate_message(bytes);
    let _ = spnego::parse(bytes);
    let _ = parse_bind_ack(bytes);
    let mut assembler = ResponseAssembler::with_limit(2, 1 << 16);
    for chunk in bytes.chunks(7) {
        if assembler.push(chunk).is_err() {
            break;
        }
    }
    let _ = parse_net_share_enum_response(bytes);
    let _ = decrypt(Cipher::Aes128Gcm, &[7; 16], bytes);
    let _ = decrypt(Cipher::Aes128Ccm, &[7; 16], bytes);
});
