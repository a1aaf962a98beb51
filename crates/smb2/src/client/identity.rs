//! What a server says of itself before anyone logs on: the names in the TargetInfo of the NTLM
//! CHALLENGE it sends to a NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.2, 2.2.2.1) — its NetBIOS and
//! DNS names and those of its domain. No credentials are sent, and the half-made session is
//! left to end with the connection.

use super::{Connection, Error};
use crate::bytes::from_utf16le_lossy;
use crate::ntlm::{
    ChallengeMessage, MSV_AV_DNS_COMPUTER_NAME, MSV_AV_DNS_DOMAIN_NAME, MSV_AV_NB_COMPUTER_NAME,
    MSV_AV_NB_DOMAIN_NAME, NtlmClient, NtlmCredentials,
};
use crate::ntstatus::NtStatus;
use crate::spnego;
use crate::wire::{Request, SessionSetupRequest, SessionSetupResponse};

use super::AuthError;

/// The longest name kept from an AV pair, in characters (a DNS name is at most 255 bytes).
const MAX_NAME_CHARS: usize = 255;

/// The names a server gives in its NTLM CHALLENGE; each is None where it gave none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerIdentity {
    /// MsvAvNbComputerName: its NetBIOS name.
    pub netbios_name: Option<String>,
    /// MsvAvNbDomainName: the NetBIOS name of its domain (or its own, standing alone).
    pub netbios_domain: Option<String>,
    /// MsvAvDnsComputerName: its DNS name.
    pub dns_name: Option<String>,
    /// MsvAvDnsDomainName: the DNS name of its domain.
    pub dns_domain: Option<String>,
}

impl ServerIdentity {
    /// The names in `challenge`'s TargetInfo (UTF-16LE, decoded lossily; empty or over-long
    /// ones dropped).
    pub fn from_challenge(challenge: &ChallengeMessage) -> ServerIdentity {
        let name = |id| {
            let text = from_utf16le_lossy(challenge.av_pair(id)?);
            let text = text.trim();
            (!text.is_empty() && text.chars().count() <= MAX_NAME_CHARS).then(|| text.to_owned())
        };
        ServerIdentity {
            netbios_name: name(MSV_AV_NB_COMPUTER_NAME),
            netbios_domain: name(MSV_AV_NB_DOMAIN_NAME),
            dns_name: name(MSV_AV_DNS_COMPUTER_NAME),
            dns_domain: name(MSV_AV_DNS_DOMAIN_NAME),
        }
    }
}

/// Asks the server on `connection` (negotiated, no session yet) for its NTLM CHALLENGE with
/// an anonymous NEGOTIATE_MESSAGE, and returns the names in it.
pub async fn server_identity(connection: &Connection) -> Result<ServerIdentity, Error> {
    let mut ntlm = NtlmClient::new(NtlmCredentials::anonymous(), "");
    let request = Request::SessionSetup(SessionSetupRequest {
        security_mode: crate::wire::security_mode::SIGNING_ENABLED as u8,
        capabilities: 0,
        security_buffer: spnego::init_token(&ntlm.negotiate_message()),
    });
    let exchange = connection
        .call(&request, 0, 0, &[NtStatus::STATUS_MORE_PROCESSING_REQUIRED])
        .await?;
    if NtStatus(exchange.header.status) != NtStatus::STATUS_MORE_PROCESSING_REQUIRED {
        return Err(AuthError::FinishedEarly.into());
    }
    let blob = SessionSetupResponse::decode(&exchange.response)?.security_buffer;
    let token = spnego::parse(&blob)?;
    let challenge = token
        .mech_token()
        .ok_or(Error::Auth(AuthError::NoChallenge))?;
    Ok(ServerIdentity::from_challenge(&ChallengeMessage::parse(
        challenge,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::utf16le;

    fn challenge_with(pairs: &[(u16, &[u8])]) -> ChallengeMessage {
        let mut info = Vec::new();
        for (id, value) in pairs {
            info.extend_from_slice(&id.to_le_bytes());
            info.extend_from_slice(&(value.len() as u16).to_le_bytes());
            info.extend_from_slice(value);
        }
        info.extend_from_slice(&[0, 0, 0, 0]);
        ChallengeMessage {
            flags: 0,
            server_challenge: [0; 8],
            target_name: Vec::new(),
            target_info: info,
            timestamp: None,
        }
    }

    #[test]
    fn the_challenges_names_are_read_and_empty_or_huge_ones_dropped() {
        let domain = utf16le("CORP");
        let computer = utf16le("DC1");
        let dns = utf16le("corp.example.test");
        let huge = utf16le(&"x".repeat(300));
        let challenge = challenge_with(&[
            (MSV_AV_NB_DOMAIN_NAME, &domain),
            (MSV_AV_NB_COMPUTER_NAME, &computer),
            (MSV_AV_DNS_DOMAIN_NAME, &dns),
            (MSV_AV_DNS_COMPUTER_NAME, &huge),
        ]);
        assert_eq!(
            ServerIdentity::from_challenge(&challenge),
            ServerIdentity {
                netbios_name: Some("DC1".into()),
                netbios_domain: Some("CORP".into()),
                dns_name: None,
                dns_domain: Some("corp.example.test".into()),
            }
        );
        let empty = challenge_with(&[(MSV_AV_NB_DOMAIN_NAME, &[])]);
        assert_eq!(
            ServerIdentity::from_challenge(&empty),
            ServerIdentity::default()
        );
    }
}
