//! Negotiation (dialect, signing and cipher choice, 3.1.1's pre-authentication integrity) and
//! authenticated sessions (NTLMv2 or Kerberos in SPNEGO; guest and anonymous where the server
//! allows), with the session's signing and encryption registered on the connection.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::client::shares::SrvsvcPipe;
use crate::client::{
    AuthError, CloseReason, Connection, Error, Exchange, MessageSecurity, Refusal, Tree,
};
use zeroize::Zeroizing;

use crate::crypto::{self, Cipher, PreauthHash, SigningAlgorithm};
use crate::gssapi::{InitiatorContext, KerberosCredentials, KerberosError};
use crate::ntlm::{NtlmClient, NtlmCredentials};
use crate::ntstatus::NtStatus;
use crate::spnego;
use crate::wire::lease::LeaseBreak;
use crate::wire::{
    Command, FileId, Header, IoctlRequest, IoctlResponse, NegotiateContext, NegotiateRequest,
    NegotiateResponse, Request, SessionSetupRequest, SessionSetupResponse, TreeConnectRequest,
    TreeConnectResponse, capabilities, context_type, dialect, flags, security_mode, session_flags,
};

/// The credentials a session authenticates with.
pub type Credentials = NtlmCredentials;

/// The dialects offered, oldest first.
const DIALECTS: [u16; 5] = [
    dialect::SMB_2_0_2,
    dialect::SMB_2_1,
    dialect::SMB_3_0,
    dialect::SMB_3_0_2,
    dialect::SMB_3_1_1,
];
/// Hash algorithm id of SHA-512 in the preauth integrity context.
const SHA_512: u16 = 0x0001;
/// Signing algorithm ids of the signing capabilities context.
const HMAC_SHA256: u16 = 0x0000;
const AES_CMAC: u16 = 0x0001;
const AES_GMAC: u16 = 0x0002;
/// Cipher ids of the encryption capabilities context.
const AES_128_CCM: u16 = 0x0001;
const AES_128_GCM: u16 = 0x0002;

/// What NEGOTIATE settled, kept for the sessions of the connection.
#[derive(Debug, Clone)]
pub struct Negotiated {
    /// The dialect (`wire::dialect`).
    pub dialect: u16,
    /// Whether the server requires signing.
    pub server_requires_signing: bool,
    /// The signing algorithm of 3.x sessions.
    pub signing_algorithm: SigningAlgorithm,
    /// The cipher, if the server can encrypt.
    pub cipher: Option<Cipher>,
    /// Largest read (the server's MaxReadSize, capped at 8 MiB; the other two likewise).
    pub max_read_size: u32,
    /// Largest write.
    pub max_write_size: u32,
    /// Largest transact (IOCTL) buffer.
    pub max_transact_size: u32,
    /// The server's GUID.
    pub server_guid: [u8; 16],
    /// The server's capabilities (`wire::capabilities`): LEASING says it grants leases.
    pub capabilities: u32,
    /// The server's clock when it answered (SystemTime: 100 ns since 1601, 0 where the
    /// server does not say): a domain member keeps the domain's time, so a Kerberos clock-skew
    /// failure can say by how much this host's clock is off.
    pub server_time: u64,
    /// The server's SecurityMode (`wire::security_mode`), as VALIDATE_NEGOTIATE_INFO repeats it.
    server_security_mode: u16,
    /// What the client's NEGOTIATE said, which VALIDATE_NEGOTIATE_INFO sends again.
    client: ClientNegotiate,
    preauth: PreauthHash,
}

impl Negotiated {
    /// The ClientGuid this connection was negotiated under (MS-SMB2 §3.2.1.1: a server ties
    /// durable opens and leases to it; a connection made again under the same one can reopen
    /// them).
    pub fn client_guid(&self) -> [u8; 16] {
        self.client.guid
    }
}

/// The fields of the client's NEGOTIATE request that FSCTL_VALIDATE_NEGOTIATE_INFO repeats
/// (MS-SMB2 §2.2.31.4).
#[derive(Debug, Clone)]
struct ClientNegotiate {
    capabilities: u32,
    guid: [u8; 16],
    security_mode: u16,
    dialects: Vec<u16>,
}

/// Negotiates the dialect on a fresh connection, offering 2.0.2 up to 3.1.1, under a new
/// ClientGuid.
pub async fn negotiate(
    connection: &Connection,
    require_signing: bool,
) -> Result<Negotiated, Error> {
    negotiate_dialects(connection, require_signing, &DIALECTS).await
}

/// [`negotiate`] as `options` ask: signing required or not, and under
/// [`SessionOptions::client_guid`] when it is set (a connection made again to reopen the
/// durable handles of a lost one, which the server ties to its ClientGuid).
pub async fn negotiate_for(
    connection: &Connection,
    options: &SessionOptions,
) -> Result<Negotiated, Error> {
    negotiate_offering(
        connection,
        options.require_signing,
        &DIALECTS,
        options.client_guid,
    )
    .await
}

/// Negotiates on a fresh connection offering only `dialects` (`wire::dialect` values, each
/// one wnet speaks): as Samba's `client max protocol`, for a server that misbehaves with the
/// newer ones, and for tests of one dialect.
pub async fn negotiate_dialects(
    connection: &Connection,
    require_signing: bool,
    dialects: &[u16],
) -> Result<Negotiated, Error> {
    negotiate_offering(connection, require_signing, dialects, None).await
}

async fn negotiate_offering(
    connection: &Connection,
    require_signing: bool,
    dialects: &[u16],
    client_guid: Option<[u8; 16]>,
) -> Result<Negotiated, Error> {
    if dialects.is_empty() || dialects.iter().any(|offered| !DIALECTS.contains(offered)) {
        return Err(Error::Unsupported(format!(
            "cannot offer dialects {dialects:04x?}: wnet speaks {DIALECTS:04x?}"
        )));
    }
    let (client, request) = negotiate_request(require_signing, dialects, client_guid)?;
    let exchange = connection.call(&request, 0, 0, &[]).await?;
    let response = NegotiateResponse::decode(&exchange.response)?;
    if !dialects.contains(&response.dialect) {
        return Err(Error::Unsupported(format!(
            "the server chose dialect {:#06x}, which was not offered",
            response.dialect
        )));
    }
    if response.dialect >= dialect::SMB_2_1 {
        connection.enable_credit_charge();
    }
    let mut preauth = PreauthHash::new();
    if response.dialect == dialect::SMB_3_1_1 {
        preauth.update(&exchange.request);
        preauth.update(&exchange.response);
    }
    let signing_algorithm = match response.dialect {
        dialect::SMB_2_0_2 | dialect::SMB_2_1 => SigningAlgorithm::HmacSha256,
        dialect::SMB_3_1_1 => match first_id(response.context(context_type::SIGNING)) {
            Some(AES_GMAC) => SigningAlgorithm::AesGmac,
            Some(HMAC_SHA256) => SigningAlgorithm::HmacSha256,
            _ => SigningAlgorithm::AesCmac,
        },
        _ => SigningAlgorithm::AesCmac,
    };
    let cipher = match response.dialect {
        dialect::SMB_3_1_1 => match first_id(response.context(context_type::ENCRYPTION)) {
            Some(AES_128_GCM) => Some(Cipher::Aes128Gcm),
            Some(AES_128_CCM) => Some(Cipher::Aes128Ccm),
            _ => None,
        },
        dialect::SMB_3_0 | dialect::SMB_3_0_2
            if response.capabilities & capabilities::ENCRYPTION != 0 =>
        {
            Some(Cipher::Aes128Ccm)
        }
        _ => None,
    };
    Ok(Negotiated {
        dialect: response.dialect,
        server_requires_signing: response.security_mode & security_mode::SIGNING_REQUIRED != 0,
        signing_algorithm,
        cipher,
        max_read_size: io_size("MaxReadSize", response.max_read_size)?,
        max_write_size: io_size("MaxWriteSize", response.max_write_size)?,
        max_transact_size: io_size("MaxTransactSize", response.max_transact_size)?,
        server_guid: response.server_guid,
        capabilities: response.capabilities,
        server_time: response.system_time,
        server_security_mode: response.security_mode,
        client,
        preauth,
    })
}

/// The NEGOTIATE request offering `dialects`, with 3.1.1's contexts (a fresh salt), and what
/// of it VALIDATE_NEGOTIATE_INFO repeats.
fn negotiate_request(
    require_signing: bool,
    dialects: &[u16],
    client_guid: Option<[u8; 16]>,
) -> Result<(ClientNegotiate, Request), Error> {
    let mut salt = [0u8; 32];
    random(&mut salt)?;
    let client_guid = if let Some(guid) = client_guid {
        guid
    } else {
        let mut guid = [0u8; 16];
        random(&mut guid)?;
        guid
    };
    let mut preauth_context = Vec::with_capacity(38);
    preauth_context.extend_from_slice(&1u16.to_le_bytes()); // HashAlgorithmCount
    preauth_context.extend_from_slice(&32u16.to_le_bytes()); // SaltLength
    preauth_context.extend_from_slice(&SHA_512.to_le_bytes());
    preauth_context.extend_from_slice(&salt);
    let ciphers = [AES_128_GCM, AES_128_CCM];
    let mut encryption_context = (ciphers.len() as u16).to_le_bytes().to_vec();
    for id in ciphers {
        encryption_context.extend_from_slice(&id.to_le_bytes());
    }
    let algorithms = [AES_GMAC, AES_CMAC, HMAC_SHA256];
    let mut signing_context = (algorithms.len() as u16).to_le_bytes().to_vec();
    for id in algorithms {
        signing_context.extend_from_slice(&id.to_le_bytes());
    }
    let mut mode = security_mode::SIGNING_ENABLED;
    if require_signing {
        mode |= security_mode::SIGNING_REQUIRED;
    }
    let client = ClientNegotiate {
        capabilities: capabilities::LARGE_MTU | capabilities::ENCRYPTION | capabilities::LEASING,
        guid: client_guid,
        security_mode: mode,
        dialects: dialects.to_vec(),
    };
    let request = Request::Negotiate(NegotiateRequest {
        security_mode: mode,
        capabilities: client.capabilities,
        client_guid,
        dialects: client.dialects.clone(),
        contexts: vec![
            NegotiateContext {
                context_type: context_type::PREAUTH_INTEGRITY,
                data: preauth_context,
            },
            NegotiateContext {
                context_type: context_type::ENCRYPTION,
                data: encryption_context,
            },
            NegotiateContext {
                context_type: context_type::SIGNING,
                data: signing_context,
            },
        ],
    });
    Ok((client, request))
}

/// The smallest read, write or transact size a server may announce: MS-SMB2 §3.3.5.4 has
/// servers offer at least 64 KiB; below 4 KiB no message fits a useful payload, and zero
/// would have a reader loop without progress.
const MIN_IO_SIZE: u32 = 4096;
/// The largest read, write or transact size the client uses, whatever the server announces
/// (Windows caps its own at 8 MiB): a message stays well within a 16 MiB frame and its
/// credit charge within a few hundred credits.
const MAX_IO_SIZE: u32 = 8 << 20;

/// A size the server announced in its NEGOTIATE response, refused below [`MIN_IO_SIZE`] and
/// capped at [`MAX_IO_SIZE`].
fn io_size(field: &str, announced: u32) -> Result<u32, Error> {
    if announced < MIN_IO_SIZE {
        return Err(Error::Unsupported(format!(
            "the server announced a {field} of {announced} bytes, below the {MIN_IO_SIZE} \
             any SMB2 server offers"
        )));
    }
    Ok(announced.min(MAX_IO_SIZE))
}

/// The first algorithm id of a signing or encryption context (`count` then ids).
fn first_id(context: Option<&[u8]>) -> Option<u16> {
    match context? {
        [count_low, count_high, id_low, id_high, ..]
            if u16::from_le_bytes([*count_low, *count_high]) > 0 =>
        {
            Some(u16::from_le_bytes([*id_low, *id_high]))
        }
        _ => None,
    }
}

fn random(buffer: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buffer).map_err(|error| Error::Crypto(crypto::CryptoError::Random(error)))
}

/// What the caller requires of a session.
#[derive(Debug, Clone, Default)]
#[allow(clippy::struct_excessive_bools)] // independent switches, each a caller's choice
pub struct SessionOptions {
    /// Sign every message (CONNECT_REQUIRE_INTEGRITY).
    pub require_signing: bool,
    /// Encrypt every message (CONNECT_REQUIRE_PRIVACY).
    pub require_encryption: bool,
    /// Accept a session the server logs on as guest (Windows' AllowInsecureGuestAuth). Off by
    /// default: a guest session checked no password and can neither sign nor encrypt, so
    /// [`Session::setup`] fails with [`Error::GuestLogonBlocked`].
    pub allow_insecure_guest: bool,
    /// The workstation name sent in NTLM.
    pub workstation: String,
    /// The server's name as the user gave it (host name or address): NTLM names the service it
    /// authenticates to as `cifs/<target_name>` (MsvAvTargetName), so a server handed the
    /// logon by a relay can tell it was meant for another. Empty sends no name.
    pub target_name: String,
    /// Sends a wrong NTLM MIC, to prove that a server checks it: for tests only.
    #[doc(hidden)]
    pub corrupt_ntlm_mic_for_tests: bool,
    /// How the session authenticates: NTLMv2 (the default) or Kerberos.
    pub mechanism: Mechanism,
    /// The ClientGuid [`negotiate_for`] negotiates under: `None`, a new one for each
    /// connection (Samba hands a connection whose ClientGuid it knows to the process serving
    /// that client, so a shared one would tie every connection to one smbd); the one of a
    /// lost connection, to reopen its durable handles.
    pub client_guid: Option<[u8; 16]>,
}

/// The authentication mechanism of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mechanism {
    /// NTLMv2 with the [`Credentials`] given to [`Session::setup`].
    #[default]
    Ntlm,
    /// Kerberos v5 through the system's GSS-API ([`crate::gssapi`]), with mutual
    /// authentication; the [`Credentials`] given to [`Session::setup`] are not used.
    Kerberos(KerberosOptions),
}

/// What a Kerberos session needs besides the server's connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KerberosOptions {
    /// The server's DNS name as the domain knows it: the service principal is
    /// `cifs@<service_host>` (`cifs/<service_host>@REALM`). Empty takes
    /// [`SessionOptions::target_name`]; an address does not name a Kerberos service.
    pub service_host: String,
    /// Where the tickets come from: the default cache (`KRB5CCNAME`), a named cache, or a
    /// password.
    pub credentials: KerberosCredentials,
    /// Whether a logon Kerberos cannot make (no tickets, no service principal, the KDC or the
    /// server refusing) is made with NTLM and the [`Credentials`] given to
    /// [`Session::setup`] instead, the reason kept in [`Session::authentication`].
    pub ntlm_fallback: bool,
    /// Whether every message is signed when the logon is Kerberos (Windows'
    /// `RequireSecuritySignature` for an authenticated session), even if
    /// [`SessionOptions::require_signing`] is off because an NTLM fallback would be anonymous.
    pub sign: bool,
}

impl KerberosOptions {
    /// The host the service principal names: [`KerberosOptions::service_host`], else
    /// `options`' [`SessionOptions::target_name`]. Empty when neither names one.
    pub fn service_host<'a>(&'a self, options: &'a SessionOptions) -> &'a str {
        if self.service_host.is_empty() {
            &options.target_name
        } else {
            &self.service_host
        }
    }

    /// The service principal a logon asks a ticket for, as a user would look for it in
    /// `klist`: `cifs/<host>` (the Kerberos library may make the host canonical first, as
    /// krb5.conf says, and adds the realm).
    pub fn service_principal(&self, options: &SessionOptions) -> String {
        format!("cifs/{}", self.service_host(options))
    }

    /// An NTLM logon made because Kerberos failed with `error`, the reason naming the service.
    fn declined(&self, error: &Error, options: &SessionOptions) -> Authentication {
        Authentication::Ntlm {
            kerberos_declined: Some(format!(
                "{error} (service {})",
                self.service_principal(options)
            )),
        }
    }
}

/// How a session was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Kerberos, its AP-REP verified.
    Kerberos,
    /// NTLMv2 (anonymous when the credentials were): `kerberos_declined` says why Kerberos
    /// was not used when it was tried first.
    Ntlm {
        /// Why Kerberos could not make the logon, if it was tried.
        kerberos_declined: Option<String>,
    },
}

impl std::fmt::Display for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authentication::Kerberos => f.write_str("Kerberos"),
            Authentication::Ntlm {
                kerberos_declined: None,
            } => f.write_str("NTLM"),
            Authentication::Ntlm {
                kerberos_declined: Some(reason),
            } => write!(f, "NTLM (Kerberos not used: {reason})"),
        }
    }
}

/// Whether a Kerberos logon that failed with `error` may be made with NTLM instead on the
/// same connection: a failure of the tickets, of the KDC or of the server's check of the
/// AP-REQ, not a connection that is gone.
fn ntlm_may_follow(error: &Error) -> bool {
    matches!(
        error,
        Error::Kerberos(_) | Error::Auth(_) | Error::Status { .. }
    )
}

/// The most SESSION_SETUP rounds a Kerberos logon takes: the AP-REQ and its AP-REP are one;
/// a server that asks for more (a KRB-ERROR retried, DCE-style) gets a few.
const MAX_KERBEROS_ROUNDS: usize = 4;

/// The Kerberos token in a server's SPNEGO answer during a Kerberos logon: `None` for an
/// empty security buffer or an answer without a responseToken. A rejection, or a mechanism
/// other than Kerberos, fails.
fn kerberos_answer(blob: &[u8]) -> Result<Option<Vec<u8>>, Error> {
    if blob.is_empty() {
        return Ok(None);
    }
    match spnego::parse(blob)? {
        spnego::SpnegoToken::Resp(resp) => {
            if resp.neg_state == Some(spnego::NegState::Reject) {
                return Err(AuthError::KerberosRejected.into());
            }
            if let Some(mech) = &resp.supported_mech
                && !mech.is_kerberos()
            {
                return Err(AuthError::NotKerberos(mech.to_string()).into());
            }
            Ok(resp.response_token)
        }
        spnego::SpnegoToken::Init(_) => {
            Err(AuthError::NotKerberos("a NegTokenInit instead of an answer".into()).into())
        }
    }
}

/// What a successful authentication exchange leaves for the session's security.
struct Authenticated {
    session_id: u64,
    /// The final SESSION_SETUP response, and the exchange that carried it.
    response: SessionSetupResponse,
    exchange: crate::client::Exchange,
    /// The pre-authentication hash up to the final request (3.1.1).
    preauth: PreauthHash,
    session_key: Zeroizing<[u8; 16]>,
    /// The Kerberos principal the logon was made as, where the mechanism names one.
    principal: Option<String>,
}

/// Refuses a guest logon the caller did not allow, and an anonymous one it did not ask for.
fn check_logon_flags(
    response: &SessionSetupResponse,
    options: &SessionOptions,
    anonymous: bool,
) -> Result<(), Error> {
    if response.session_flags & session_flags::IS_GUEST != 0 && !options.allow_insecure_guest {
        return Err(Error::GuestLogonBlocked);
    }
    if response.session_flags & session_flags::IS_NULL != 0 && !anonymous {
        return Err(Error::UnexpectedAnonymous);
    }
    Ok(())
}

impl SessionOptions {
    /// The SPN of the server, `cifs/<target_name>`, or empty without a target name.
    pub fn service_principal_name(&self) -> String {
        if self.target_name.is_empty() {
            String::new()
        } else {
            format!("cifs/{}", self.target_name)
        }
    }
}

/// The NTLM CHALLENGE_MESSAGE in the server's first SPNEGO answer.
fn ntlm_challenge(blob: &[u8]) -> Result<Vec<u8>, Error> {
    let token = spnego::parse(blob)?;
    if let spnego::SpnegoToken::Resp(resp) = &token
        && resp.neg_state == Some(spnego::NegState::Reject)
    {
        return Err(AuthError::NtlmsspRejected.into());
    }
    token
        .mech_token()
        .map(<[u8]>::to_vec)
        .ok_or(Error::Auth(AuthError::NoChallenge))
}

/// Checks the mechListMIC of the server's final SPNEGO token, when it sends one and the client
/// has the key to check it: a wrong one means the token or the mechanism list was tampered with.
fn verify_server_mech_list_mic(
    blob: &[u8],
    authenticated: &crate::ntlm::NtlmAuthenticated,
    mech_types: &[u8],
) -> Result<(), Error> {
    if blob.is_empty() || !authenticated.has_mic() {
        return Ok(());
    }
    let token = spnego::parse(blob)?;
    if let spnego::SpnegoToken::Resp(resp) = &token
        && let Some(mic) = &resp.mech_list_mic
        && !authenticated.verify_server_mech_list_mic(mech_types, mic)
    {
        return Err(AuthError::BadMechListMic.into());
    }
    Ok(())
}

/// How a session's messages are signed and sealed.
struct SessionSecurity {
    session_id: u64,
    dialect: u16,
    algorithm: SigningAlgorithm,
    /// `None` for guest and anonymous sessions, which have no key.
    signing_key: Option<[u8; 16]>,
    sign_all: bool,
    encrypt: AtomicBool,
    cipher: Option<Cipher>,
    encryption_key: [u8; 16],
    decryption_key: [u8; 16],
}

impl SessionSecurity {
    /// Derives the session's keys and decides what is signed and sealed; checks the signature
    /// servers put on the final SESSION_SETUP response.
    fn establish(
        negotiated: &Negotiated,
        options: &SessionOptions,
        session_key: &[u8; 16],
        preauth: &PreauthHash,
        response: &SessionSetupResponse,
        exchange: &crate::client::Exchange,
        anonymous: bool,
    ) -> Result<SessionSecurity, Error> {
        let is_311 = negotiated.dialect == dialect::SMB_3_1_1;
        // Samba 4.17 leaves IS_NULL clear for an anonymous NTLM logon, so what we sent counts
        // too: anonymous sessions have no key to sign with.
        let anonymous_or_guest = anonymous
            || response.session_flags & (session_flags::IS_GUEST | session_flags::IS_NULL) != 0;
        let keys = crypto::derive_keys(
            negotiated.dialect,
            session_key,
            is_311.then(|| preauth.value()),
        )?;
        let sign_all =
            !anonymous_or_guest && (options.require_signing || negotiated.server_requires_signing);
        // MS-SMB2 §3.2.5.3.1: a 3.1.1 server signs the final response, which proves it knew
        // the key and saw the same pre-authentication hash. 3.0 and 3.0.2 servers sign it
        // where the session signs (Samba and Windows do); a signature that is there must be
        // right whatever the dialect, and one that is missing where signing is required is a
        // server that cannot prove it holds the key.
        let signed = exchange.header.flags & flags::SIGNED != 0;
        let must_be_signed = is_311 || (negotiated.dialect >= dialect::SMB_3_0 && sign_all);
        if !anonymous_or_guest
            && (signed || must_be_signed)
            && (!signed
                || !crypto::verify(
                    negotiated.signing_algorithm,
                    &keys.signing,
                    &exchange.response,
                ))
        {
            return Err(Error::Refused(Refusal::BadSignature {
                command: Command::SessionSetup,
            }));
        }
        let encrypt =
            options.require_encryption || response.session_flags & session_flags::ENCRYPT_DATA != 0;
        if encrypt && !anonymous_or_guest && negotiated.cipher.is_none() {
            // A server that asks for encryption on a dialect without a cipher (2.0.2, 2.1)
            // would get plaintext while the session claimed to encrypt: no session at all.
            return Err(Error::Unsupported(format!(
                "the server requires encryption, which SMB dialect {:#06x} cannot provide",
                negotiated.dialect
            )));
        }
        Ok(SessionSecurity {
            session_id: exchange.header.session_id,
            dialect: negotiated.dialect,
            algorithm: negotiated.signing_algorithm,
            signing_key: (!anonymous_or_guest).then_some(keys.signing),
            sign_all,
            encrypt: AtomicBool::new(encrypt && !anonymous_or_guest),
            cipher: negotiated.cipher,
            encryption_key: keys.encryption,
            decryption_key: keys.decryption,
        })
    }
}

impl SessionSecurity {
    /// Whether messages are sealed rather than signed.
    fn sealing(&self) -> Option<Cipher> {
        self.cipher.filter(|_| self.encrypt.load(Ordering::Relaxed))
    }

    /// Puts `message` (one message, or a whole compound) in a transform.
    fn seal(&self, cipher: Cipher, message: &[u8]) -> Result<Vec<u8>, Error> {
        let nonce = crypto::random_nonce(cipher)?;
        Ok(crypto::encrypt(
            cipher,
            &self.encryption_key,
            self.session_id,
            message,
            nonce,
        )?)
    }

    /// Signs one message when the session signs. A 3.1.1 tree connect always is, and so is
    /// every IOCTL on 3.0 and 3.0.2, so that FSCTL_VALIDATE_NEGOTIATE_INFO is (MS-SMB2
    /// §3.2.4.1.1; a signed request any server takes).
    fn sign(&self, message: &mut [u8], command: Command) -> Result<(), Error> {
        let always_signed = match command {
            Command::TreeConnect => self.dialect == dialect::SMB_3_1_1,
            Command::Ioctl => matches!(self.dialect, dialect::SMB_3_0 | dialect::SMB_3_0_2),
            _ => false,
        };
        if let Some(key) = &self.signing_key
            && (self.sign_all || always_signed)
        {
            crypto::sign(self.algorithm, key, message)?;
        }
        Ok(())
    }
}

impl MessageSecurity for SessionSecurity {
    fn protect(&self, mut message: Vec<u8>, command: Command) -> Result<Vec<u8>, Error> {
        if let Some(cipher) = self.sealing() {
            return self.seal(cipher, &message);
        }
        self.sign(&mut message, command)?;
        Ok(message)
    }

    fn protect_compound(&self, messages: Vec<(Vec<u8>, Command)>) -> Result<Vec<u8>, Error> {
        let sealing = self.sealing();
        let mut chain = Vec::with_capacity(messages.iter().map(|(message, _)| message.len()).sum());
        for (mut message, command) in messages {
            if sealing.is_none() {
                self.sign(&mut message, command)?;
            }
            chain.extend_from_slice(&message);
        }
        match sealing {
            Some(cipher) => self.seal(cipher, &chain),
            None => Ok(chain),
        }
    }

    fn encrypts(&self) -> bool {
        self.sealing().is_some()
    }

    fn accept(&self, message: &[u8], header: &Header, encrypted: bool) -> bool {
        if encrypted {
            return true;
        }
        let Some(key) = &self.signing_key else {
            return true;
        };
        if header.flags & flags::SIGNED != 0 {
            crypto::verify(self.algorithm, key, message)
        } else {
            // MS-SMB2 §3.2.5.1.3: where signing is required every response is verified,
            // error statuses too (the caller has excepted interim responses and breaks).
            !self.sign_all
        }
    }

    fn decrypt(&self, transform: &[u8]) -> Result<Vec<u8>, Error> {
        let cipher = self.cipher.ok_or(crypto::CryptoError::NoCipher)?;
        Ok(crypto::decrypt(cipher, &self.decryption_key, transform)?)
    }
}

struct SessionInner {
    connection: Connection,
    negotiated: Negotiated,
    session_id: u64,
    flags: u16,
    anonymous: bool,
    authentication: Authentication,
    /// The Kerberos principal of the logon, if it was one.
    principal: Option<String>,
    security: Arc<SessionSecurity>,
    /// A bound `IPC$\srvsvc` pipe kept for the next share listing.
    srvsvc: Mutex<Option<SrvsvcPipe>>,
    /// Whether FSCTL_VALIDATE_NEGOTIATE_INFO has confirmed the negotiation (3.0 and 3.0.2).
    negotiate_validated: AtomicBool,
    /// What the session logged on with, to log on again when the server says it expired.
    logon: Logon,
    /// Re-authentications so far. A request reads the count before it is sent; one that
    /// meets an expired session takes the lock to write, and re-authenticates only if nobody
    /// has since: requests that meet the expiry together cause one re-authentication, and
    /// new ones wait for it rather than meet the expiry again.
    reauthentication: tokio::sync::RwLock<Reauthentication>,
    /// How many re-authentications succeeded.
    renewed: AtomicU64,
}

/// The credentials and options a session logged on with (the caller's options, before a
/// Kerberos logon made them require signing).
struct Logon {
    credentials: Credentials,
    options: SessionOptions,
}

/// The re-authentications of a session.
#[derive(Default)]
struct Reauthentication {
    /// How many were tried.
    attempts: u64,
    /// Why the latest failed, if it did: the requests that waited for it fail with it.
    failure: Option<Arc<Error>>,
}

/// An authenticated session. Cheap to clone.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &format_args!("{:#x}", self.inner.session_id))
            .field(
                "dialect",
                &format_args!("{:#06x}", self.inner.negotiated.dialect),
            )
            .field("flags", &self.inner.flags)
            .finish_non_exhaustive()
    }
}

/// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 §2.2.31.4).
const FSCTL_VALIDATE_NEGOTIATE_INFO: u32 = 0x0014_0204;
/// The size of VALIDATE_NEGOTIATE_INFO's answer (MS-SMB2 §2.2.32.6).
const VALIDATE_NEGOTIATE_RESPONSE_LEN: usize = 24;

/// The server's VALIDATE_NEGOTIATE_INFO answer (MS-SMB2 §2.2.32.6).
struct ValidateNegotiateAnswer {
    capabilities: u32,
    guid: [u8; 16],
    security_mode: u16,
    dialect: u16,
}

impl ValidateNegotiateAnswer {
    /// Decodes exactly [`VALIDATE_NEGOTIATE_RESPONSE_LEN`] bytes.
    fn decode(output: &[u8]) -> Option<ValidateNegotiateAnswer> {
        let output: &[u8; VALIDATE_NEGOTIATE_RESPONSE_LEN] = output.try_into().ok()?;
        let mut guid = [0u8; 16];
        guid.copy_from_slice(&output[4..20]);
        Some(ValidateNegotiateAnswer {
            capabilities: u32::from_le_bytes([output[0], output[1], output[2], output[3]]),
            guid,
            security_mode: u16::from_le_bytes([output[20], output[21]]),
            dialect: u16::from_le_bytes([output[22], output[23]]),
        })
    }
}

/// NTLMv2 in SPNEGO: NEGOTIATE, then CHALLENGE answered with AUTHENTICATE. `session_id` is 0
/// for a new session, the session's own to re-authenticate it (MS-SMB2 §3.2.4.2.3).
async fn authenticate_ntlm(
    connection: &Connection,
    negotiated: &Negotiated,
    credentials: &Credentials,
    options: &SessionOptions,
    mode: u8,
    session_id: u64,
) -> Result<Authenticated, Error> {
    let mut ntlm = NtlmClient::new(credentials.clone(), &options.workstation)
        .with_target_name(options.service_principal_name());
    if options.corrupt_ntlm_mic_for_tests {
        ntlm.corrupt_mic_for_tests();
    }
    let mut preauth = negotiated.preauth.clone();
    let is_311 = negotiated.dialect == dialect::SMB_3_1_1;
    let first = Request::SessionSetup(SessionSetupRequest {
        security_mode: mode,
        capabilities: 0,
        security_buffer: spnego::init_token(&ntlm.negotiate_message()),
    });
    let exchange = connection
        .call(
            &first,
            session_id,
            0,
            &[NtStatus::STATUS_MORE_PROCESSING_REQUIRED],
        )
        .await?;
    if NtStatus(exchange.header.status) != NtStatus::STATUS_MORE_PROCESSING_REQUIRED {
        return Err(AuthError::FinishedEarly.into());
    }
    let session_id = exchange.header.session_id;
    if is_311 {
        preauth.update(&exchange.request);
        preauth.update(&exchange.response);
    }
    let challenge_blob = SessionSetupResponse::decode(&exchange.response)?.security_buffer;
    let challenge = ntlm_challenge(&challenge_blob)?;
    let authenticated = ntlm.authenticate_message(&challenge)?;

    // With an NTLM MIC, SPNEGO's mechListMIC protects the mechanism list ([MS-SPNG]
    // 3.3.5.1); servers that see the MIC flag require it.
    let mech_types = spnego::mech_types();
    let mech_list_mic = authenticated.mech_list_mic(&mech_types);
    let second = Request::SessionSetup(SessionSetupRequest {
        security_mode: mode,
        capabilities: 0,
        security_buffer: spnego::response_token_with_mic(
            &authenticated.message,
            mech_list_mic.as_ref().map(<[u8; 16]>::as_slice),
        ),
    });
    let exchange = connection.call(&second, session_id, 0, &[]).await?;
    if is_311 {
        preauth.update(&exchange.request);
    }
    let response = SessionSetupResponse::decode(&exchange.response)?;
    check_logon_flags(&response, options, credentials.is_anonymous())?;
    verify_server_mech_list_mic(&response.security_buffer, &authenticated, &mech_types)?;
    Ok(Authenticated {
        session_id,
        response,
        exchange,
        preauth,
        session_key: Zeroizing::new(authenticated.session_key),
        principal: None,
    })
}

/// The name [`InitiatorContext::new`] gets for the SMB service on `host`: the host-based
/// `cifs@<host>` for a name, which the Kerberos library makes canonical as krb5.conf says; the
/// principal `cifs/<address>` for an address, taken as it is, as Windows does (Kerberos only
/// where the domain knows that SPN), never reverse-resolved into a name the KDC may know
/// (MIT's `rdns`).
fn gss_service_name(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        format!("cifs/{host}")
    } else {
        format!("cifs@{host}")
    }
}

/// Kerberos in SPNEGO: the AP-REQ in a NegTokenInit, then the server's answers fed back to
/// GSS-API until the context completes, which needs the server's AP-REP (mutual
/// authentication): a server that finishes without one, or with one that does not verify,
/// fails the logon. The session key is the first 16 bytes of the context's (MS-SMB2
/// §3.2.5.3.1).
///
/// Only Kerberos is offered, so there is no mechanism list to downgrade and no mechListMIC is
/// sent or checked ([RFC 4178] 5: not needed when the first mechanism is chosen).
///
/// `session_id` is 0 for a new session, the session's own to re-authenticate it: the context
/// is a new one, so its tickets come from the credentials again (a renewed or re-acquired
/// ticket in the cache, the password).
async fn authenticate_kerberos(
    connection: &Connection,
    negotiated: &Negotiated,
    kerberos: &KerberosOptions,
    options: &SessionOptions,
    mode: u8,
    mut session_id: u64,
) -> Result<Authenticated, Error> {
    let host = kerberos.service_host(options);
    if host.is_empty() {
        return Err(AuthError::NoServiceName.into());
    }
    let service = gss_service_name(host);
    let credentials = kerberos.credentials.clone();
    // The first step may ask the KDC for a service ticket: blocking I/O, off the runtime.
    let (mut context, ap_req) = tokio::task::spawn_blocking(move || {
        let mut context = InitiatorContext::new(&service, &credentials)?;
        let ap_req = context.step(&[])?;
        Ok::<_, KerberosError>((context, ap_req))
    })
    .await
    .map_err(|_| KerberosError::State("the GSS-API call did not finish"))??;

    let mut preauth = negotiated.preauth.clone();
    let is_311 = negotiated.dialect == dialect::SMB_3_1_1;
    let mut token = spnego::kerberos_init_token(&ap_req);
    for _ in 0..MAX_KERBEROS_ROUNDS {
        let request = Request::SessionSetup(SessionSetupRequest {
            security_mode: mode,
            capabilities: 0,
            security_buffer: token,
        });
        let exchange = connection
            .call(
                &request,
                session_id,
                0,
                &[NtStatus::STATUS_MORE_PROCESSING_REQUIRED],
            )
            .await?;
        if session_id == 0 {
            session_id = exchange.header.session_id;
        }
        if is_311 {
            preauth.update(&exchange.request);
        }
        let response = SessionSetupResponse::decode(&exchange.response)?;
        let answer = kerberos_answer(&response.security_buffer)?;
        if NtStatus(exchange.header.status) == NtStatus::STATUS_MORE_PROCESSING_REQUIRED {
            if is_311 {
                preauth.update(&exchange.response);
            }
            let next = context.step(answer.as_deref().unwrap_or_default())?;
            token = spnego::response_token(&next);
            continue;
        }
        // Success: the answer must complete the context (verify the AP-REP).
        if !context.is_complete() {
            context.step(answer.as_deref().unwrap_or_default())?;
        }
        if !context.is_complete() {
            return Err(KerberosError::State(
                "the server finished the logon before mutual authentication completed",
            )
            .into());
        }
        check_logon_flags(&response, options, false)?;
        let session_key = crate::gssapi::smb_session_key(&context.session_key()?);
        // The name is shown, never relied on: a library that cannot say it costs nothing.
        let principal = context.initiator_name().ok();
        return Ok(Authenticated {
            session_id,
            response,
            exchange,
            preauth,
            session_key,
            principal,
        });
    }
    Err(AuthError::TooManyRounds(MAX_KERBEROS_ROUNDS).into())
}

/// Whether the server refused `exchanges` (their first request) because the session's logon
/// expired.
fn expired(exchanges: &[Exchange]) -> bool {
    exchanges.first().is_some_and(|first| {
        NtStatus(first.header.status) == NtStatus::STATUS_NETWORK_SESSION_EXPIRED
    })
}

/// The SecurityMode of a SESSION_SETUP request: signing required where the caller or the
/// server requires it.
fn setup_security_mode(negotiated: &Negotiated, options: &SessionOptions) -> u8 {
    if options.require_signing || negotiated.server_requires_signing {
        security_mode::SIGNING_REQUIRED as u8
    } else {
        security_mode::SIGNING_ENABLED as u8
    }
}

impl Session {
    /// Authenticates on a negotiated connection.
    ///
    /// The session keeps `credentials` and `options` (passwords zeroed when it is dropped):
    /// when the server answers a request with STATUS_NETWORK_SESSION_EXPIRED (the Kerberos
    /// ticket the logon was made with has run out), the session is re-authenticated with them
    /// and the request sent again; see [`Session::call`].
    pub async fn setup(
        connection: &Connection,
        negotiated: &Negotiated,
        credentials: &Credentials,
        options: &SessionOptions,
    ) -> Result<Session, Error> {
        if options.require_encryption && negotiated.cipher.is_none() {
            return Err(Error::Unsupported(format!(
                "encryption was required, but dialect {:#06x} with this server offers none",
                negotiated.dialect
            )));
        }
        let mode = setup_security_mode(negotiated, options);
        let (authenticated, anonymous, authentication) =
            logon_with_mechanism(connection, negotiated, credentials, options, mode).await?;
        let Authenticated {
            session_id,
            response,
            exchange,
            preauth,
            session_key,
            principal,
        } = authenticated;
        let anonymous_or_guest = anonymous
            || response.session_flags & (session_flags::IS_GUEST | session_flags::IS_NULL) != 0;
        if anonymous_or_guest && (options.require_signing || options.require_encryption) {
            return Err(Error::Unsupported(
                "the server logged the session on as guest or anonymous, which cannot sign or \
                 encrypt, but signing or encryption was required"
                    .into(),
            ));
        }
        let signed_kerberos;
        let options = match (&options.mechanism, &authentication) {
            (Mechanism::Kerberos(kerberos), Authentication::Kerberos)
                if kerberos.sign && !options.require_signing =>
            {
                signed_kerberos = SessionOptions {
                    require_signing: true,
                    ..options.clone()
                };
                &signed_kerberos
            }
            _ => options,
        };
        let logon = Logon {
            credentials: credentials.clone(),
            options: options.clone(),
        };
        let security = Arc::new(SessionSecurity::establish(
            negotiated,
            options,
            &session_key,
            &preauth,
            &response,
            &exchange,
            anonymous,
        )?);
        connection.set_security(
            session_id,
            Arc::clone(&security) as Arc<dyn MessageSecurity>,
        );
        Ok(Session {
            inner: Arc::new(SessionInner {
                connection: connection.clone(),
                negotiated: negotiated.clone(),
                session_id,
                flags: response.session_flags,
                anonymous,
                authentication,
                principal,
                security,
                srvsvc: Mutex::new(None),
                negotiate_validated: AtomicBool::new(false),
                logon,
                reauthentication: tokio::sync::RwLock::new(Reauthentication::default()),
                renewed: AtomicU64::new(0),
            }),
        })
    }

    /// The kept srvsvc pipe, if there is one (the caller has it alone until it gives it back).
    pub(crate) fn take_srvsvc_pipe(&self) -> Option<SrvsvcPipe> {
        self.inner
            .srvsvc
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Keeps `pipe` for the next listing; one already kept is closed instead.
    pub(crate) fn keep_srvsvc_pipe(&self, pipe: SrvsvcPipe) {
        let surplus = self
            .inner
            .srvsvc
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(pipe);
        if let Some(surplus) = surplus {
            surplus.close_in_background();
        }
    }

    /// The connection the session runs on.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// Whether the session's connection is still up.
    pub fn is_connected(&self) -> bool {
        self.inner.connection.closed_reason().is_none()
    }

    /// The session id.
    pub fn id(&self) -> u64 {
        self.inner.session_id
    }

    /// What negotiation settled.
    pub fn negotiated(&self) -> &Negotiated {
        &self.inner.negotiated
    }

    /// How the session was authenticated (and why not with Kerberos, if it was tried).
    pub fn authentication(&self) -> &Authentication {
        &self.inner.authentication
    }

    /// How many times the session was re-authenticated after the server said its logon had
    /// expired ([`Session::exchange_compound`]).
    pub fn reauthentications(&self) -> u64 {
        self.inner.renewed.load(Ordering::Relaxed)
    }

    /// The Kerberos principal the session logged on as (`alice@CORP.EXAMPLE`, the client of
    /// the tickets used), for a Kerberos logon; `None` for NTLM.
    pub fn principal(&self) -> Option<&str> {
        self.inner.principal.as_deref()
    }

    /// Whether the server logged the session on as guest.
    pub fn is_guest(&self) -> bool {
        self.inner.flags & session_flags::IS_GUEST != 0
    }

    /// Whether the session is anonymous (a null session).
    pub fn is_anonymous(&self) -> bool {
        self.inner.anonymous || self.inner.flags & session_flags::IS_NULL != 0
    }

    /// Whether FSCTL_VALIDATE_NEGOTIATE_INFO has confirmed the negotiation: true once a tree
    /// is connected on a 3.0 or 3.0.2 session with a key, false on every other session.
    pub fn is_negotiate_validated(&self) -> bool {
        self.inner.negotiate_validated.load(Ordering::Relaxed)
    }

    /// Whether every message is signed.
    pub fn is_signing(&self) -> bool {
        self.inner.security.sign_all
    }

    /// Whether every message is encrypted.
    pub fn is_encrypting(&self) -> bool {
        self.inner.security.encrypt.load(Ordering::Relaxed)
    }

    /// Subscribes to the lease break notifications of the session's connection; see
    /// [`Connection::lease_breaks`]: leases are the client's, so a subscriber receives the
    /// breaks of every session on the connection, and a break nobody subscribed to is lost.
    pub fn lease_breaks(&self) -> tokio::sync::mpsc::UnboundedReceiver<LeaseBreak> {
        self.inner.connection.lease_breaks()
    }

    /// Sends `request` under the session (on the tree `tree_id`, 0 for none) and returns its
    /// response if the status is success (or one of `also_ok`); any other status becomes
    /// [`Error::Status`]. A request the server refuses because the session expired is sent
    /// again once the session is re-authenticated; see [`Session::exchange_compound`].
    pub async fn call(
        &self,
        request: &Request,
        tree_id: u32,
        also_ok: &[NtStatus],
    ) -> Result<Exchange, Error> {
        let exchange = self.exchange(request, tree_id).await?;
        let status = NtStatus(exchange.header.status);
        if status == NtStatus::STATUS_SUCCESS || also_ok.contains(&status) {
            Ok(exchange)
        } else {
            Err(Error::Status {
                command: request.command(),
                status,
            })
        }
    }

    /// Sends `request` under the session and returns its final response, whatever its
    /// status, as [`Session::exchange_compound`] does.
    pub async fn exchange(&self, request: &Request, tree_id: u32) -> Result<Exchange, Error> {
        self.exchange_compound(std::slice::from_ref(request), tree_id)
            .await?
            .pop()
            .ok_or(Error::Closed(CloseReason::NoResponse))
    }

    /// Sends `requests` under the session, as one related compound when there are several
    /// ([`Connection::exchange_compound`]), and returns their final responses, whatever their
    /// statuses.
    ///
    /// When the server refuses the (first) request with STATUS_NETWORK_SESSION_EXPIRED — the
    /// Kerberos ticket of the logon has run out, and the server checked nothing else (MS-SMB2
    /// §3.3.5.2.9) — the session is re-authenticated on its own SessionId with the
    /// credentials it logged on with (MS-SMB2 §3.2.4.2.3: a new context, so a renewed or
    /// re-acquired ticket from the cache, or the password; NTLM's stored credentials), and
    /// the requests are sent again, once. The keys stay those of the first logon (MS-SMB2
    /// §3.3.5.5.3 and Samba: a re-authentication derives none). Requests that meet the
    /// expiry at once cause one re-authentication; one that cannot be made fails each of
    /// them with [`Error::SessionExpired`], and the next request tries again (after a
    /// `kinit`, say).
    pub async fn exchange_compound(
        &self,
        requests: &[Request],
        tree_id: u32,
    ) -> Result<Vec<Exchange>, Error> {
        self.exchange_compound_flagged(requests, tree_id, 0).await
    }

    /// [`Session::exchange_compound`], with `create_flags` added to the header of each
    /// CREATE (SMB2_FLAGS_DFS_OPERATIONS on a share in a DFS namespace).
    pub(crate) async fn exchange_compound_flagged(
        &self,
        requests: &[Request],
        tree_id: u32,
        create_flags: u32,
    ) -> Result<Vec<Exchange>, Error> {
        let seen = self.inner.reauthentication.read().await.attempts;
        let exchanges = self.send(requests, tree_id, create_flags).await?;
        if !expired(&exchanges) {
            return Ok(exchanges);
        }
        self.reauthenticate(seen).await?;
        let exchanges = self.send(requests, tree_id, create_flags).await?;
        if expired(&exchanges) {
            // Sent once again only: a session that expires at once has credentials no newer.
            return Err(Error::SessionExpired(Arc::new(
                AuthError::ExpiredAgain.into(),
            )));
        }
        Ok(exchanges)
    }

    /// Sends `requests` once, one alone or as a compound.
    async fn send(
        &self,
        requests: &[Request],
        tree_id: u32,
        create_flags: u32,
    ) -> Result<Vec<Exchange>, Error> {
        self.inner
            .connection
            .exchange_compound_flagged(requests, self.id(), tree_id, create_flags)
            .await
    }

    /// Re-authenticates the expired session, unless another request has tried since the one
    /// that met the expiry read `seen` attempts: then that attempt's outcome is this one's.
    async fn reauthenticate(&self, seen: u64) -> Result<(), Error> {
        let mut state = self.inner.reauthentication.write().await;
        if state.attempts == seen {
            tracing::info!(
                session_id = format_args!("{:#x}", self.id()),
                "the server says the session expired: re-authenticating"
            );
            let outcome = self.log_on_again().await;
            // Counted once it is over: a caller that gives up meanwhile (its future dropped)
            // leaves the count as it was, and the next waiter tries in its place.
            state.attempts += 1;
            state.failure = match outcome {
                Ok(()) => {
                    self.inner.renewed.fetch_add(1, Ordering::Relaxed);
                    None
                }
                Err(error) => {
                    tracing::info!(%error, "re-authentication failed");
                    Some(Arc::new(error))
                }
            };
        }
        match &state.failure {
            Some(failure) => Err(Error::SessionExpired(Arc::clone(failure))),
            None => Ok(()),
        }
    }

    /// One SESSION_SETUP exchange on the session's own id, with the mechanism and
    /// credentials of its logon. The connection signs (or seals) it and checks its answers
    /// with the session's keys, which stay as they are.
    async fn log_on_again(&self) -> Result<(), Error> {
        let inner = &self.inner;
        let Logon {
            credentials,
            options,
        } = &inner.logon;
        let mode = setup_security_mode(&inner.negotiated, options);
        let connection = &inner.connection;
        let negotiated = &inner.negotiated;
        let authenticated = match (&inner.authentication, &options.mechanism) {
            (Authentication::Kerberos, Mechanism::Kerberos(kerberos)) => {
                authenticate_kerberos(connection, negotiated, kerberos, options, mode, self.id())
                    .await?
            }
            _ => {
                authenticate_ntlm(
                    connection,
                    negotiated,
                    credentials,
                    options,
                    mode,
                    self.id(),
                )
                .await?
            }
        };
        if authenticated.session_id != self.id() {
            return Err(Error::Refused(Refusal::SessionMismatch {
                command: Command::SessionSetup,
                expected: self.id(),
                found: authenticated.session_id,
            }));
        }
        Ok(())
    }

    /// Connects to a share, `\\server\share` (the server part as the server knows itself or
    /// by address).
    pub async fn tree_connect(&self, path: &str) -> Result<Tree, Error> {
        let request = Request::TreeConnect(TreeConnectRequest {
            path: path.to_owned(),
        });
        let exchange = self.call(&request, 0, &[]).await?;
        let response = TreeConnectResponse::decode(&exchange.response)?;
        let tree_id = exchange.header.tree_id;
        let mut encryption_starts = false;
        if response.share_flags & crate::wire::SHARE_FLAG_ENCRYPT_DATA != 0 {
            if self.inner.security.cipher.is_none() || self.inner.security.signing_key.is_none() {
                return Err(Error::Unsupported(format!(
                    "share {path} requires encryption, which this session cannot do"
                )));
            }
            encryption_starts = !self.inner.security.encrypt.swap(true, Ordering::Relaxed);
        }
        let validated = match self.validate_negotiate(tree_id).await {
            Ok(validated) => validated,
            Err(error) => {
                let reason = match &error {
                    Error::Refused(Refusal::NegotiateNotValidated(reason)) => {
                        CloseReason::Refused(Refusal::NegotiateNotValidated(reason.clone()))
                    }
                    other => CloseReason::Aborted(other.to_string()),
                };
                self.inner.connection.abort(&reason);
                return Err(error);
            }
        };
        if encryption_starts && !validated {
            // Nothing sealed has come back yet: one sealed ECHO proves the server seals with
            // this session's keys before anyone is told the share is encrypted (a plaintext
            // or forged answer closes the connection).
            self.call(&Request::Echo, 0, &[]).await?;
        }
        Ok(Tree::new(self.clone(), tree_id, path, response))
    }

    /// Runs FSCTL_VALIDATE_NEGOTIATE_INFO on the first tree of a 3.0 or 3.0.2 session that
    /// has a key (MS-SMB2 §3.2.5.14.12): the server repeats, in a signed answer, what it
    /// negotiated with what the client sent, so a NEGOTIATE rewritten on the path (fewer
    /// dialects, signing not required) shows. 3.1.1 needs none (its pre-authentication hash
    /// covers the NEGOTIATE); guest and anonymous sessions cannot sign the answer.
    ///
    /// As Samba's client, a signed (or sealed) STATUS_NOT_SUPPORTED,
    /// STATUS_INVALID_DEVICE_REQUEST or STATUS_FILE_CLOSED is taken from servers that do not implement the control; any other
    /// failure, an unsigned answer or a value that differs fails it. Returns whether the
    /// exchange took place.
    async fn validate_negotiate(&self, tree_id: u32) -> Result<bool, Error> {
        let negotiated = &self.inner.negotiated;
        if !matches!(negotiated.dialect, dialect::SMB_3_0 | dialect::SMB_3_0_2)
            || self.inner.security.signing_key.is_none()
            || self.inner.negotiate_validated.load(Ordering::Relaxed)
        {
            return Ok(false);
        }
        let client = &negotiated.client;
        let mut input = Vec::with_capacity(24 + 2 * client.dialects.len());
        input.extend_from_slice(&client.capabilities.to_le_bytes());
        input.extend_from_slice(&client.guid);
        input.extend_from_slice(&client.security_mode.to_le_bytes());
        input.extend_from_slice(&(client.dialects.len() as u16).to_le_bytes());
        for offered in &client.dialects {
            input.extend_from_slice(&offered.to_le_bytes());
        }
        let request = Request::Ioctl(IoctlRequest {
            ctl_code: FSCTL_VALIDATE_NEGOTIATE_INFO,
            file_id: FileId::NONE,
            input,
            max_output_response: VALIDATE_NEGOTIATE_RESPONSE_LEN as u32,
        });
        let exchange = self.exchange(&request, tree_id).await?;
        // An encrypting session's answer arrived sealed (the connection refuses plaintext
        // there), which proves the key as a signature would.
        if exchange.header.flags & flags::SIGNED == 0 && !self.is_encrypting() {
            return Err(Error::Refused(Refusal::NegotiateNotValidated(
                "its answer to FSCTL_VALIDATE_NEGOTIATE_INFO was not signed".into(),
            )));
        }
        let status = NtStatus(exchange.header.status);
        match status {
            NtStatus::STATUS_SUCCESS => {}
            NtStatus::STATUS_NOT_SUPPORTED
            | NtStatus::STATUS_INVALID_DEVICE_REQUEST
            | NtStatus::STATUS_FILE_CLOSED => {
                self.inner
                    .negotiate_validated
                    .store(true, Ordering::Relaxed);
                return Ok(true);
            }
            _ => {
                return Err(Error::Refused(Refusal::NegotiateNotValidated(format!(
                    "FSCTL_VALIDATE_NEGOTIATE_INFO failed with {status}"
                ))));
            }
        }
        let output = IoctlResponse::decode(&exchange.response)?.output;
        let answer = ValidateNegotiateAnswer::decode(&output).ok_or_else(|| {
            Error::Refused(Refusal::NegotiateNotValidated(format!(
                "its FSCTL_VALIDATE_NEGOTIATE_INFO answer has {} bytes, not {}",
                output.len(),
                VALIDATE_NEGOTIATE_RESPONSE_LEN
            )))
        })?;
        // Each field as NEGOTIATE said it and as the validation says it, both shown the same
        // way (so that the texts differ exactly when the values do).
        let fields = [
            (
                "dialect",
                format!("{:#06x}", negotiated.dialect),
                format!("{:#06x}", answer.dialect),
            ),
            (
                "server GUID",
                format!("{:02x?}", negotiated.server_guid),
                format!("{:02x?}", answer.guid),
            ),
            (
                "security mode",
                format!("{:#x}", negotiated.server_security_mode),
                format!("{:#x}", answer.security_mode),
            ),
            (
                "capabilities",
                format!("{:#x}", negotiated.capabilities),
                format!("{:#x}", answer.capabilities),
            ),
        ];
        if let Some((what, said, now)) = fields.into_iter().find(|(_, said, now)| said != now) {
            return Err(Error::Refused(Refusal::NegotiateNotValidated(format!(
                "NEGOTIATE said {what} {said}, validation says {now}"
            ))));
        }
        self.inner
            .negotiate_validated
            .store(true, Ordering::Relaxed);
        Ok(true)
    }

    /// Logs the session off and forgets its keys.
    pub async fn logoff(&self) -> Result<(), Error> {
        let result = self
            .inner
            .connection
            .call(&Request::Logoff, self.id(), 0, &[])
            .await
            .map(|_| ());
        self.inner.connection.remove_security(self.id());
        result
    }
}

/// The SESSION_SETUP exchanges of `options.mechanism`: Kerberos, and NTLM where Kerberos
/// cannot make the logon and the options let NTLM follow. Returns the logon, whether it is
/// anonymous, and how it was authenticated.
async fn logon_with_mechanism(
    connection: &Connection,
    negotiated: &Negotiated,
    credentials: &Credentials,
    options: &SessionOptions,
    mode: u8,
) -> Result<(Authenticated, bool, Authentication), Error> {
    let ntlm = || authenticate_ntlm(connection, negotiated, credentials, options, mode, 0);
    Ok(match &options.mechanism {
        Mechanism::Ntlm => (
            ntlm().await?,
            credentials.is_anonymous(),
            Authentication::Ntlm {
                kerberos_declined: None,
            },
        ),
        Mechanism::Kerberos(kerberos) => {
            match authenticate_kerberos(connection, negotiated, kerberos, options, mode, 0).await {
                Ok(authenticated) => (authenticated, false, Authentication::Kerberos),
                Err(error) if kerberos.ntlm_fallback && ntlm_may_follow(&error) => {
                    tracing::info!(%error, "Kerberos logon not made; NTLM instead");
                    (
                        ntlm().await?,
                        credentials.is_anonymous(),
                        kerberos.declined(&error, options),
                    )
                }
                Err(error) => return Err(error),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::hex;

    #[test]
    fn an_address_is_a_principal_and_a_name_a_host_based_service() {
        assert_eq!(gss_service_name("fs1"), "cifs@fs1");
        assert_eq!(
            gss_service_name("fs1.corp.example"),
            "cifs@fs1.corp.example"
        );
        assert_eq!(gss_service_name("198.51.100.195"), "cifs/198.51.100.195");
        assert_eq!(gss_service_name("2001:db8::5"), "cifs/2001:db8::5");
    }

    #[test]
    fn kerberos_answer_takes_the_ap_rep_under_either_oid() {
        let ms = hex("a1 1b 30 19 a0 03 0a 01 00 a1 0b 06 09 2a864882f712010202
                      a2 05 04 03 aabbcc");
        assert_eq!(kerberos_answer(&ms).unwrap(), Some(hex("aabbcc")));
        let standard = hex("a1 1b 30 19 a0 03 0a 01 00 a1 0b 06 09 2a864886f712010202
                            a2 05 04 03 aabbcc");
        assert_eq!(kerberos_answer(&standard).unwrap(), Some(hex("aabbcc")));
        // accept-completed alone, or nothing: no token (the context then stays incomplete).
        assert_eq!(
            kerberos_answer(&hex("a1 07 30 05 a0 03 0a 01 00")).unwrap(),
            None
        );
        assert_eq!(kerberos_answer(&[]).unwrap(), None);
    }

    #[test]
    fn kerberos_answer_refuses_rejection_other_mechanisms_and_garbage() {
        assert!(matches!(
            kerberos_answer(&hex("a1 07 30 05 a0 03 0a 01 02")),
            Err(Error::Auth(AuthError::KerberosRejected))
        ));
        // supportedMech NTLMSSP.
        assert!(matches!(
            kerberos_answer(&hex("a1 10 30 0e a1 0c 06 0a 2b06010401823702020a")),
            Err(Error::Auth(AuthError::NotKerberos(mech))) if mech == "1.3.6.1.4.1.311.2.2.10"
        ));
        assert!(matches!(
            kerberos_answer(&spnego::kerberos_init_token(&[1])),
            Err(Error::Auth(AuthError::NotKerberos(_)))
        ));
        assert!(matches!(
            kerberos_answer(&hex("a1 05 30 03 a2 01")),
            Err(Error::Spnego(_))
        ));
        for len in 0..64u8 {
            let noise: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xa1).collect();
            let _ = kerberos_answer(&noise);
        }
    }
}
