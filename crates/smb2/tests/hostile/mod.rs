//! A scriptable hostile SMB2 server for tests, on 127.0.0.1.
//!
//! It speaks just enough SMB2 to take one client connection through NEGOTIATE (3.1.1 with
//! pre-authentication integrity, 3.0.2 or 2.1, as the [`Script`] says), SESSION_SETUP with
//! NTLMv2 in SPNEGO (it checks the client's NTProofStr against the script's password and
//! derives the real session key, so it can sign and seal like a server would; it checks the
//! MIC and the SPNEGO mechListMIC as Samba does and records what each AUTHENTICATE_MESSAGE
//! carried, [`NtlmLogon`]), TREE_CONNECT, CREATE, CLOSE, FSCTL_VALIDATE_NEGOTIATE_INFO and,
//! when the script says how ([`DirectoryAnswers`]), QUERY_DIRECTORY; anything else gets
//! STATUS_NOT_SUPPORTED. Several sessions may be set up
//! on the connection; their ids are [`session_id`]`(0)`, `(1)`, ...
//!
//! Where it behaves it is correct: responses are signed with the session's key when the
//! session signs, and sealed with its server-to-client key when the session encrypts. Per
//! command, the script can make it misbehave ([`Misbehave`]): claim another SessionId, leave
//! the signature off, sign with the wrong key or with the claimed session's key, or answer in
//! plaintext on an encrypting session. The script can also make it log sessions on as guest
//! ([`Script::guest`]) or claim another dialect when it validates the negotiation
//! ([`Script::validated_dialect`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use wnet_smb2::crypto::{self, Cipher, PreauthHash, SessionKeys, SigningAlgorithm};
use wnet_smb2::spnego;
use wnet_smb2::wire::{
    Command, HEADER_LENGTH, Header, capabilities, context_type, dialect, flags, security_mode,
    session_flags,
};

/// NTSTATUS values the server sends.
const STATUS_SUCCESS: u32 = 0;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
const STATUS_NOT_SUPPORTED: u32 = 0xC000_00BB;
const STATUS_NO_MORE_FILES: u32 = 0x8000_0006;
const STATUS_NETWORK_SESSION_EXPIRED: u32 = 0xC000_035C;
/// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 §2.2.31).
const FSCTL_VALIDATE_NEGOTIATE_INFO: u32 = 0x0014_0204;
/// FSCTL_DFS_GET_REFERRALS (MS-DFSC §3.1.4.1).
const FSCTL_DFS_GET_REFERRALS: u32 = 0x0006_0194;
/// The ServerGuid the server negotiates with.
const SERVER_GUID: [u8; 16] = [0x48; 16];
/// The TreeId of every tree the server connects.
pub(crate) const TREE_ID: u32 = 7;
/// The FileId of every file the server opens.
pub(crate) const FILE_ID: [u8; 16] = [0x11; 16];
/// A key no session has: what [`Signature::Wrong`] signs with.
const WRONG_KEY: [u8; 16] = [0x5A; 16];

/// The body of an IOCTL response (MS-SMB2 §2.2.32) to `ctl_code` carrying `output`.
fn ioctl_body(ctl_code: u32, output: &[u8]) -> Vec<u8> {
    let mut body = vec![49, 0, 0, 0];
    body.extend_from_slice(&ctl_code.to_le_bytes());
    body.extend_from_slice(&[0xFF; 16]); // FileId
    body.extend_from_slice(&[0; 8]); // InputOffset, InputCount
    body.extend_from_slice(&((HEADER_LENGTH + 48) as u32).to_le_bytes());
    body.extend_from_slice(&(output.len() as u32).to_le_bytes());
    body.extend_from_slice(&[0; 8]); // Flags, Reserved2
    body.extend_from_slice(output);
    body
}

/// Writes one message (or compound) in a transport frame.
async fn write_frame(stream: &mut TcpStream, message: &[u8]) -> Result<(), String> {
    let mut prefix = (message.len() as u32).to_be_bytes();
    prefix[0] = 0;
    stream
        .write_all(&[&prefix[..], message].concat())
        .await
        .map_err(|error| format!("write: {error}"))
}

/// The SessionId the server gives the `n`th session set up on the connection (from 0).
pub(crate) fn session_id(n: u64) -> u64 {
    0x0000_4000_0000_0041 + n
}

/// How the server answers QUERY_DIRECTORY (FileDirectoryInformation, MS-FSCC §2.4.10).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum DirectoryAnswers {
    /// STATUS_NOT_SUPPORTED, as for any command the server does not know.
    #[default]
    NotSupported,
    /// Without end: every answer brings `per_answer` new names (`f0`, `f1`, ...), and the
    /// listing never reaches STATUS_NO_MORE_FILES.
    Endless {
        /// Names in each answer.
        per_answer: usize,
    },
    /// Without end, and without anything new: every answer holds only `.` and `..`.
    OnlyDots,
    /// These names (as sent, whatever they hold) in the first answer of each listing, then
    /// STATUS_NO_MORE_FILES.
    Names(&'static [&'static str]),
}

/// How the server answers a compound request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum CompoundAnswers {
    /// Each answer in a frame of its own (which MS-SMB2 allows).
    #[default]
    Separate,
    /// All answers in one frame, chained by NextCommand as a server does; the first member's
    /// NextCommand is `first_next_command` when set (a lie), else its padded length.
    OneFrame {
        /// The NextCommand the first member claims.
        first_next_command: Option<u32>,
    },
}

/// Where a response stands in the frame that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Last (or alone): NextCommand 0.
    Last,
    /// Followed by another: padded to 8 bytes, NextCommand its padded length.
    Next,
    /// Followed by another, NextCommand claiming this instead (a lie).
    Claiming(u32),
}

/// How a response's signature is made (when the response goes in plaintext).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Signature {
    /// As a correct server would: with the request's session's key where that session signs.
    #[default]
    Proper,
    /// With the key of the session the header claims ([`Misbehave::session_id`]).
    Claimed,
    /// With a key no session has.
    Wrong,
    /// None: SMB2_FLAGS_SIGNED clear and the Signature field zero.
    Missing,
}

/// How the server misbehaves in the responses to one command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Misbehave {
    /// Put this SessionId in the response header instead of the request's.
    pub(crate) session_id: Option<u64>,
    /// How the response is signed.
    pub(crate) signature: Signature,
    /// Send the response in plaintext even when the session encrypts.
    pub(crate) plaintext: bool,
}

/// What the server does on its one connection.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // independent behaviours a test switches on
pub(crate) struct Script {
    /// The dialect it chooses: 3.1.1, 3.0.2 or 2.1.
    pub(crate) dialect: u16,
    /// Whether its NEGOTIATE response says signing is required.
    pub(crate) require_signing: bool,
    /// Whether sessions get SMB2_SESSION_FLAG_ENCRYPT_DATA (3.x only).
    pub(crate) encrypt_data: bool,
    /// The account the client must log on with.
    pub(crate) user: String,
    /// Its domain.
    pub(crate) domain: String,
    /// Its password.
    pub(crate) password: String,
    /// Per command, how its responses misbehave; commands not listed behave.
    pub(crate) misbehave: Vec<(Command, Misbehave)>,
    /// How it answers QUERY_DIRECTORY.
    pub(crate) directory: DirectoryAnswers,
    /// Whether its share asks for encryption (SMB2_SHAREFLAG_ENCRYPT_DATA); every response
    /// after the TREE_CONNECT is then sealed.
    pub(crate) share_encrypts: bool,
    /// How it answers compound requests.
    pub(crate) compounds: CompoundAnswers,
    /// The credits every response grants.
    pub(crate) credits: u16,
    /// The MaxTransactSize, MaxReadSize and MaxWriteSize its NEGOTIATE response announces.
    pub(crate) io_size: u32,
    /// Whether it logs every session on as guest (SMB2_SESSION_FLAG_IS_GUEST, no keys),
    /// whatever the password.
    pub(crate) guest: bool,
    /// The dialect its FSCTL_VALIDATE_NEGOTIATE_INFO answer claims; `None`: the one chosen.
    pub(crate) validated_dialect: Option<u16>,
    /// The SPN it insists the client named (MsvAvTargetName), refusing others with
    /// STATUS_ACCESS_DENIED as a hardened server does; `None` accepts any.
    pub(crate) required_target_name: Option<String>,
    /// The mechListMIC of its final SPNEGO token.
    pub(crate) mech_list_mic: ServerMechListMic,
    /// The command whose first request finds the session expired: it and every request after
    /// it (but SESSION_SETUP and LOGOFF) get STATUS_NETWORK_SESSION_EXPIRED until the session
    /// is re-authenticated (MS-SMB2 §3.3.5.2.9).
    pub(crate) expire_at: Option<Command>,
    /// Whether a re-authentication is refused (STATUS_LOGON_FAILURE), as for an account
    /// disabled since the logon.
    pub(crate) refuse_reauthentication: bool,
    /// The output of every FSCTL_DFS_GET_REFERRALS, as given (a well-formed or a malformed
    /// RESP_GET_DFS_REFERRAL); `None`: STATUS_NOT_SUPPORTED.
    pub(crate) referral: Option<Vec<u8>>,
}

/// The mechListMIC the server puts in its final SPNEGO token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ServerMechListMic {
    /// None (accept-completed only).
    #[default]
    Absent,
    /// The right one, with the server-to-client keys.
    Correct,
    /// One signed with the client-to-server keys: what a tampering relay could not do better.
    Wrong,
}

/// What one AUTHENTICATE_MESSAGE carried, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NtlmLogon {
    /// MsvAvFlags of the NTLMv2 response, if present.
    pub(crate) av_flags: Option<u32>,
    /// MsvAvTargetName (the SPN the client meant to reach), if present.
    pub(crate) target_name: Option<String>,
    /// Whether the MIC (bytes 72..88) is HMAC_MD5(session key, NEGOTIATE || CHALLENGE ||
    /// AUTHENTICATE with the MIC zeroed).
    pub(crate) mic_valid: bool,
    /// Whether the client's SPNEGO mechListMIC verifies; `None` if it sent none.
    pub(crate) mech_list_mic_valid: Option<bool>,
}

impl Script {
    /// A well-behaved server choosing `dialect`, requiring signing, not encrypting, with
    /// the account [`Script::USER`] / [`Script::PASSWORD`] (no domain).
    pub(crate) fn new(dialect: u16) -> Script {
        Script {
            dialect,
            require_signing: true,
            encrypt_data: false,
            user: Script::USER.into(),
            domain: String::new(),
            password: Script::PASSWORD.into(),
            misbehave: Vec::new(),
            directory: DirectoryAnswers::NotSupported,
            share_encrypts: false,
            io_size: 1 << 20,
            credits: 64,
            compounds: CompoundAnswers::Separate,
            guest: false,
            validated_dialect: None,
            required_target_name: None,
            mech_list_mic: ServerMechListMic::Absent,
            expire_at: None,
            refuse_reauthentication: false,
            referral: None,
        }
    }

    /// Makes the session expire at the first request of `command`.
    pub(crate) fn expire_at(mut self, command: Command) -> Script {
        self.expire_at = Some(command);
        self
    }

    /// Makes the server refuse to re-authenticate a session.
    pub(crate) fn refusing_reauthentication(mut self) -> Script {
        self.refuse_reauthentication = true;
        self
    }

    /// The default account's user name.
    pub(crate) const USER: &'static str = "mallory";
    /// The default account's password.
    pub(crate) const PASSWORD: &'static str = "Hostile-pw1";

    /// Makes the responses to `command` misbehave.
    pub(crate) fn misbehave(mut self, command: Command, misbehave: Misbehave) -> Script {
        self.misbehave.push((command, misbehave));
        self
    }

    /// Makes the server answer QUERY_DIRECTORY as `answers` says.
    pub(crate) fn directory(mut self, answers: DirectoryAnswers) -> Script {
        self.directory = answers;
        self
    }

    /// Makes the server's share ask for encryption.
    pub(crate) fn encrypting_share(mut self) -> Script {
        self.share_encrypts = true;
        self
    }

    /// Makes the server log every session on as guest.
    pub(crate) fn guest(mut self) -> Script {
        self.guest = true;
        self
    }

    /// Makes the server claim `dialect` when it validates the negotiation.
    pub(crate) fn validated_dialect(mut self, dialect: u16) -> Script {
        self.validated_dialect = Some(dialect);
        self
    }

    /// Makes the server refuse logons that do not name `spn` as MsvAvTargetName.
    pub(crate) fn requiring_target_name(mut self, spn: &str) -> Script {
        self.required_target_name = Some(spn.into());
        self
    }

    /// Makes the server's final SPNEGO token carry `mic` as its mechListMIC.
    pub(crate) fn mech_list_mic(mut self, mic: ServerMechListMic) -> Script {
        self.mech_list_mic = mic;
        self
    }

    /// Makes sessions encrypt (SMB2_SESSION_FLAG_ENCRYPT_DATA).
    pub(crate) fn encrypting(mut self) -> Script {
        self.encrypt_data = true;
        self
    }

    fn misbehaviour(&self, command: Command) -> Misbehave {
        self.misbehave
            .iter()
            .find(|(listed, _)| *listed == command)
            .map(|(_, misbehave)| *misbehave)
            .unwrap_or_default()
    }
}

/// A running hostile server; dropping it stops it.
pub(crate) struct HostileServer {
    /// Where it listens.
    pub(crate) address: SocketAddr,
    task: JoinHandle<Result<(), String>>,
    directory_answers: Arc<AtomicUsize>,
    logons: Arc<Mutex<Vec<NtlmLogon>>>,
}

impl HostileServer {
    /// Listens on 127.0.0.1 (a free port) and serves one connection by `script`.
    pub(crate) async fn start(script: Script) -> HostileServer {
        HostileServer::start_at(script, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `address` (a loopback address; port 0 for a free one) and serves one
    /// connection by `script`.
    pub(crate) async fn start_at(script: Script, address: SocketAddr) -> HostileServer {
        let listener = TcpListener::bind(address).await.expect("a loopback port");
        let address = listener.local_addr().expect("a bound address");
        let directory_answers = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&directory_answers);
        let logons = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&logons);
        let task = tokio::spawn(async move {
            let (stream, _) = listener
                .accept()
                .await
                .map_err(|error| format!("accept: {error}"))?;
            ServerConnection::new(script, counter, seen)
                .serve(stream)
                .await
        });
        HostileServer {
            address,
            task,
            directory_answers,
            logons,
        }
    }

    /// What the AUTHENTICATE_MESSAGEs with a valid NTProofStr carried, in order.
    pub(crate) fn ntlm_logons(&self) -> Vec<NtlmLogon> {
        self.logons.lock().expect("the logons lock").clone()
    }

    /// How many QUERY_DIRECTORY requests the server has answered so far.
    pub(crate) fn directory_answers(&self) -> usize {
        self.directory_answers.load(Ordering::Relaxed)
    }

    /// Waits for the connection to end (the client hanging up) and says how it went.
    pub(crate) async fn finish(mut self) -> Result<(), String> {
        (&mut self.task)
            .await
            .map_err(|error| format!("server task: {error}"))?
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct ServerSession {
    /// 3.1.1's pre-authentication hash of this session's setup.
    preauth: PreauthHash,
    /// Set once the session is authenticated.
    keys: Option<SessionKeys>,
    /// The client's NEGOTIATE_MESSAGE and the server's CHALLENGE_MESSAGE, which the MIC covers.
    negotiate: Vec<u8>,
    challenge: Vec<u8>,
}

struct ServerConnection {
    script: Script,
    algorithm: SigningAlgorithm,
    cipher: Option<Cipher>,
    /// The connection's pre-authentication hash after NEGOTIATE.
    preauth: PreauthHash,
    server_challenge: [u8; 8],
    sessions: HashMap<u64, ServerSession>,
    /// How many names QUERY_DIRECTORY has sent.
    names_sent: usize,
    /// Whether a share that encrypts has been connected: from then on responses are sealed.
    share_sealing: bool,
    /// Whether the last CREATE opened a directory (what a POSTQUERY CLOSE reports).
    opened_directory: bool,
    /// How many QUERY_DIRECTORY requests it has answered, shared with [`HostileServer`].
    directory_answers: Arc<AtomicUsize>,
    /// What the logons carried, shared with [`HostileServer`].
    logons: Arc<Mutex<Vec<NtlmLogon>>>,
    /// Where the session stands with the script's expiry ([`Script::expire_at`]).
    expiry: Expiry,
}

/// Where a session stands with [`Script::expire_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// Its command has not come yet.
    NotYet,
    /// Expired: every request but SESSION_SETUP and LOGOFF fails until a re-authentication.
    Expired,
    /// Re-authenticated after it expired.
    Renewed,
}

impl ServerConnection {
    fn new(
        script: Script,
        directory_answers: Arc<AtomicUsize>,
        logons: Arc<Mutex<Vec<NtlmLogon>>>,
    ) -> ServerConnection {
        let algorithm = if script.dialect >= dialect::SMB_3_0 {
            SigningAlgorithm::AesCmac
        } else {
            SigningAlgorithm::HmacSha256
        };
        let cipher = match script.dialect {
            dialect::SMB_3_1_1 => Some(Cipher::Aes128Gcm),
            dialect::SMB_3_0 | dialect::SMB_3_0_2 => Some(Cipher::Aes128Ccm),
            _ => None,
        };
        ServerConnection {
            script,
            algorithm,
            cipher,
            preauth: PreauthHash::new(),
            server_challenge: *b"hostile!",
            sessions: HashMap::new(),
            names_sent: 0,
            share_sealing: false,
            opened_directory: false,
            directory_answers,
            logons,
            expiry: Expiry::NotYet,
        }
    }

    async fn serve(mut self, mut stream: TcpStream) -> Result<(), String> {
        loop {
            let mut prefix = [0u8; 4];
            if stream.read_exact(&mut prefix).await.is_err() {
                return Ok(()); // the client hung up
            }
            let length =
                usize::from(prefix[1]) << 16 | usize::from(prefix[2]) << 8 | usize::from(prefix[3]);
            let mut frame = vec![0; length];
            stream
                .read_exact(&mut frame)
                .await
                .map_err(|error| format!("read: {error}"))?;
            let frame = if frame.starts_with(&crypto::TRANSFORM_PROTOCOL_ID) {
                let id = crypto::transform_session_id(&frame).map_err(|e| e.to_string())?;
                let cipher = self.cipher.ok_or("an encrypted request without a cipher")?;
                let key = self
                    .keys(id)
                    .ok_or("an encrypted request for a session without keys")?
                    .encryption;
                crypto::decrypt(cipher, &key, &frame).map_err(|e| format!("decrypt: {e}"))?
            } else {
                frame
            };
            // A compound: each answer in its own frame, or all in one as the script says.
            let mut start = 0;
            let mut chained = Vec::new();
            while start < frame.len() {
                let message = &frame[start..];
                let header = Header::decode(message).map_err(|error| error.to_string())?;
                let end = match header.next_command {
                    0 => frame.len(),
                    next => start + next as usize,
                };
                let compound = start > 0 || end < frame.len();
                let CompoundAnswers::OneFrame { first_next_command } = self.script.compounds else {
                    let response = self.answer(&frame[start..end.min(frame.len())], Link::Last)?;
                    write_frame(&mut stream, &response).await?;
                    start = end;
                    continue;
                };
                let link = match first_next_command {
                    _ if !compound || end >= frame.len() => Link::Last,
                    Some(lie) if start == 0 => Link::Claiming(lie),
                    _ => Link::Next,
                };
                chained.extend(self.answer(&frame[start..end.min(frame.len())], link)?);
                start = end;
            }
            if !chained.is_empty() {
                write_frame(&mut stream, &chained).await?;
            }
        }
    }

    fn keys(&self, session_id: u64) -> Option<&SessionKeys> {
        self.sessions.get(&session_id)?.keys.as_ref()
    }

    /// What the server answers to one request, before it is protected: the status, the
    /// body, and the SessionId and TreeId the answer is for.
    fn respond(
        &mut self,
        request: &[u8],
        header: &Header,
    ) -> Result<(u32, Vec<u8>, u64, u32), String> {
        let mut session = header.session_id;
        let mut tree_id = header.tree_id;
        if self.expiry == Expiry::NotYet && self.script.expire_at == Some(header.command) {
            self.expiry = Expiry::Expired;
        }
        if self.expiry == Expiry::Expired
            && !matches!(header.command, Command::SessionSetup | Command::Logoff)
        {
            return Ok((
                STATUS_NETWORK_SESSION_EXPIRED,
                error_body(),
                session,
                tree_id,
            ));
        }
        let (status, body) = match header.command {
            Command::Negotiate => {
                self.preauth.update(request);
                (STATUS_SUCCESS, self.negotiate_body())
            }
            Command::SessionSetup => {
                let (status, body, id) = self.session_setup(request, header.session_id)?;
                session = id;
                (status, body)
            }
            Command::TreeConnect => {
                tree_id = TREE_ID;
                (
                    STATUS_SUCCESS,
                    tree_connect_body(self.script.share_encrypts),
                )
            }
            Command::Create => {
                // The share's root, or anything opened as a directory, is a directory.
                let options = u32_at(request, HEADER_LENGTH + 40)?;
                let name_length = u16_at(request, HEADER_LENGTH + 46)?;
                self.opened_directory = name_length == 0 || options & 1 != 0;
                (STATUS_SUCCESS, create_body(self.opened_directory))
            }
            Command::Ioctl
                if u32_at(request, HEADER_LENGTH + 4)? == FSCTL_VALIDATE_NEGOTIATE_INFO =>
            {
                (STATUS_SUCCESS, self.validate_negotiate_body())
            }
            Command::Ioctl if u32_at(request, HEADER_LENGTH + 4)? == FSCTL_DFS_GET_REFERRALS => {
                match &self.script.referral {
                    Some(output) => (STATUS_SUCCESS, ioctl_body(FSCTL_DFS_GET_REFERRALS, output)),
                    None => (STATUS_NOT_SUPPORTED, error_body()),
                }
            }
            Command::Close => {
                let post_query = u16_at(request, HEADER_LENGTH + 2)? & 1 != 0;
                (
                    STATUS_SUCCESS,
                    close_body(post_query.then_some(self.opened_directory)),
                )
            }
            Command::QueryDirectory if self.script.directory != DirectoryAnswers::NotSupported => {
                self.query_directory(request)?
            }
            Command::Logoff | Command::TreeDisconnect | Command::Echo => {
                (STATUS_SUCCESS, vec![4, 0, 0, 0])
            }
            _ => (STATUS_NOT_SUPPORTED, error_body()),
        };
        Ok((status, body, session, tree_id))
    }

    /// The protected response to one request message; `link` says whether it is followed by
    /// another in the same frame.
    fn answer(&mut self, request: &[u8], link: Link) -> Result<Vec<u8>, String> {
        let header = Header::decode(request).map_err(|error| error.to_string())?;
        let (status, body, session, tree_id) = self.respond(request, &header)?;
        let misbehave = self.script.misbehaviour(header.command);
        let claimed = misbehave.session_id.unwrap_or(session);
        let mut message = Vec::with_capacity(HEADER_LENGTH + body.len());
        Header {
            credit_charge: header.credit_charge,
            status,
            command: header.command,
            credits: self.script.credits,
            flags: flags::SERVER_TO_REDIR,
            next_command: 0,
            message_id: header.message_id,
            async_id: None,
            tree_id,
            session_id: claimed,
            signature: [0; 16],
        }
        .encode(&mut message);
        message.extend_from_slice(&body);
        if link != Link::Last {
            message.resize(message.len().next_multiple_of(8), 0);
            let next = match link {
                Link::Claiming(lie) => lie,
                _ => message.len() as u32,
            };
            message[20..24].copy_from_slice(&next.to_le_bytes());
        }

        let share_sealing = self.share_sealing;
        if header.command == Command::TreeConnect && self.script.share_encrypts {
            self.share_sealing = true; // from the next response on
        }
        let keys = self.keys(session);
        let seal = keys.is_some()
            && (self.script.encrypt_data || share_sealing)
            && self.cipher.is_some()
            && !matches!(header.command, Command::Negotiate | Command::SessionSetup)
            && !misbehave.plaintext;
        if seal && let (Some(keys), Some(cipher)) = (keys, self.cipher) {
            let nonce = crypto::random_nonce(cipher).map_err(|e| e.to_string())?;
            return crypto::encrypt(cipher, &keys.decryption, session, &message, nonce)
                .map_err(|error| error.to_string());
        }
        let key = match misbehave.signature {
            Signature::Proper => keys
                .filter(|_| {
                    self.script.require_signing
                        || header.flags & flags::SIGNED != 0
                        || header.command == Command::SessionSetup
                })
                .map(|keys| keys.signing),
            Signature::Claimed => self.keys(claimed).map(|keys| keys.signing),
            Signature::Wrong => Some(WRONG_KEY),
            Signature::Missing => None,
        };
        if let Some(key) = key {
            crypto::sign(self.algorithm, &key, &mut message).map_err(|e| e.to_string())?;
        }
        if header.command == Command::Negotiate {
            self.preauth.update(&message);
        } else if header.command == Command::SessionSetup
            && status == STATUS_MORE_PROCESSING_REQUIRED
            && let Some(server_session) = self.sessions.get_mut(&session)
        {
            server_session.preauth.update(&message);
        }
        Ok(message)
    }

    /// The status and body of a QUERY_DIRECTORY response (MS-SMB2 §2.2.34) by the script's
    /// [`DirectoryAnswers`].
    fn query_directory(&mut self, request: &[u8]) -> Result<(u32, Vec<u8>), String> {
        self.directory_answers.fetch_add(1, Ordering::Relaxed);
        // Flags (byte 3 of the body): SMB2_RESTART_SCANS (1) or SMB2_REOPEN (0x10) starts over.
        let restart = request
            .get(HEADER_LENGTH + 3)
            .ok_or("QUERY_DIRECTORY too short")?
            & 0x11
            != 0;
        if restart {
            self.names_sent = 0;
        }
        let names: Vec<String> = match self.script.directory {
            DirectoryAnswers::NotSupported => Vec::new(),
            DirectoryAnswers::Names(names) => {
                if self.names_sent > 0 {
                    return Ok((STATUS_NO_MORE_FILES, error_body()));
                }
                self.names_sent = names.len().max(1);
                names.iter().map(|&name| name.to_owned()).collect()
            }
            DirectoryAnswers::Endless { per_answer } => {
                let first = self.names_sent;
                self.names_sent += per_answer;
                (first..self.names_sent).map(|n| format!("f{n}")).collect()
            }
            DirectoryAnswers::OnlyDots => vec![".".into(), "..".into()],
        };
        let buffer = directory_information(&names);
        let mut body = vec![9, 0];
        body.extend_from_slice(&((HEADER_LENGTH + 8) as u16).to_le_bytes());
        body.extend_from_slice(&(buffer.len() as u32).to_le_bytes());
        body.extend_from_slice(&buffer);
        Ok((STATUS_SUCCESS, body))
    }

    /// The server's SecurityMode.
    fn security_mode(&self) -> u16 {
        if self.script.require_signing {
            security_mode::SIGNING_ENABLED | security_mode::SIGNING_REQUIRED
        } else {
            security_mode::SIGNING_ENABLED
        }
    }

    /// The server's Capabilities.
    fn capabilities(&self) -> u32 {
        if self.script.dialect >= dialect::SMB_3_0 {
            capabilities::ENCRYPTION
        } else {
            0
        }
    }

    /// The body of an IOCTL response (MS-SMB2 §2.2.32) carrying VALIDATE_NEGOTIATE_INFO's
    /// answer (§2.2.32.6): what the server negotiated, the dialect as the script says.
    fn validate_negotiate_body(&self) -> Vec<u8> {
        let mut output = self.capabilities().to_le_bytes().to_vec();
        output.extend_from_slice(&SERVER_GUID);
        output.extend_from_slice(&self.security_mode().to_le_bytes());
        let claimed = self.script.validated_dialect.unwrap_or(self.script.dialect);
        output.extend_from_slice(&claimed.to_le_bytes());
        ioctl_body(FSCTL_VALIDATE_NEGOTIATE_INFO, &output)
    }

    /// The body of the NEGOTIATE response (MS-SMB2 §2.2.4), with 3.1.1's contexts.
    fn negotiate_body(&self) -> Vec<u8> {
        let is_311 = self.script.dialect == dialect::SMB_3_1_1;
        let mut contexts: Vec<(u16, Vec<u8>)> = Vec::new();
        if is_311 {
            let mut preauth = vec![1, 0, 32, 0, 1, 0]; // one hash (SHA-512), a 32-byte salt
            preauth.extend_from_slice(&[0x33; 32]);
            contexts.push((context_type::PREAUTH_INTEGRITY, preauth));
            contexts.push((context_type::ENCRYPTION, vec![1, 0, 2, 0])); // AES-128-GCM
            contexts.push((context_type::SIGNING, vec![1, 0, 1, 0])); // AES-CMAC
        }
        let mode = self.security_mode();
        let caps = self.capabilities();
        let mut body = Vec::new();
        body.extend_from_slice(&65u16.to_le_bytes());
        body.extend_from_slice(&mode.to_le_bytes());
        body.extend_from_slice(&self.script.dialect.to_le_bytes());
        body.extend_from_slice(&(contexts.len() as u16).to_le_bytes());
        body.extend_from_slice(&SERVER_GUID);
        body.extend_from_slice(&caps.to_le_bytes());
        for max in [self.script.io_size; 3] {
            body.extend_from_slice(&max.to_le_bytes()); // MaxTransact/Read/WriteSize
        }
        body.extend_from_slice(&[0; 16]); // SystemTime, ServerStartTime
        let buffer_offset = (HEADER_LENGTH + 64) as u16;
        body.extend_from_slice(&buffer_offset.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes()); // no security blob: NTLM is assumed
        let context_offset = if is_311 { u32::from(buffer_offset) } else { 0 };
        body.extend_from_slice(&context_offset.to_le_bytes());
        for (index, (kind, data)) in contexts.iter().enumerate() {
            if index > 0 {
                while !(HEADER_LENGTH + body.len()).is_multiple_of(8) {
                    body.push(0);
                }
            }
            body.extend_from_slice(&kind.to_le_bytes());
            body.extend_from_slice(&(data.len() as u16).to_le_bytes());
            body.extend_from_slice(&[0; 4]);
            body.extend_from_slice(data);
        }
        body
    }

    /// Handles one SESSION_SETUP leg: NTLM NEGOTIATE in, CHALLENGE out; AUTHENTICATE in,
    /// the session's keys derived. Returns the status, the body and the session id.
    fn session_setup(
        &mut self,
        request: &[u8],
        session_id: u64,
    ) -> Result<(u32, Vec<u8>, u64), String> {
        let offset = usize::from(u16_at(request, HEADER_LENGTH + 12)?);
        let length = usize::from(u16_at(request, HEADER_LENGTH + 14)?);
        let blob = request
            .get(offset..offset + length)
            .ok_or("SESSION_SETUP security buffer beyond the message")?;
        let token = spnego::parse(blob).map_err(|error| error.to_string())?;
        let ntlm = token.mech_token().ok_or("no NTLM token in SPNEGO")?;
        // MessageType 1, NEGOTIATE_MESSAGE: a new session's first leg, or a re-authentication's
        // on the session's own id.
        if ntlm.get(8..12) == Some(&1u32.to_le_bytes()[..]) {
            return self.first_leg(request, session_id, ntlm);
        }
        let session = self
            .sessions
            .get_mut(&session_id)
            .ok_or("SESSION_SETUP for an unknown session")?;
        session.preauth.update(request);
        let Some(session_key) = ntlmv2_session_key(
            ntlm,
            self.server_challenge,
            &self.script.user,
            &self.script.domain,
            &self.script.password,
        )?
        else {
            return Ok((STATUS_LOGON_FAILURE, error_body(), session_id));
        };
        let client_mech_list_mic = match &token {
            spnego::SpnegoToken::Resp(resp) => resp.mech_list_mic.clone(),
            spnego::SpnegoToken::Init(_) => None,
        };
        let logon = inspect_authenticate(
            ntlm,
            &session.negotiate,
            &session.challenge,
            &session_key,
            client_mech_list_mic.as_deref(),
        )?;
        self.logons
            .lock()
            .map_err(|_| "the logons lock is poisoned")?
            .push(logon.clone());
        // As Samba: a MIC announced by MsvAvFlags must verify, and so must the mechListMIC
        // that comes with it.
        if logon.av_flags.is_some_and(|flags| flags & 2 != 0)
            && (!logon.mic_valid || logon.mech_list_mic_valid != Some(true))
        {
            return Ok((STATUS_INVALID_PARAMETER, error_body(), session_id));
        }
        if let Some(spn) = &self.script.required_target_name
            && logon.target_name.as_ref() != Some(spn)
        {
            return Ok((STATUS_ACCESS_DENIED, error_body(), session_id));
        }
        if session.keys.is_some() {
            // A re-authentication (MS-SMB2 §3.3.5.5.3): the keys stay those of the first
            // logon, which sign this answer.
            if self.script.refuse_reauthentication {
                return Ok((STATUS_LOGON_FAILURE, error_body(), session_id));
            }
            self.expiry = Expiry::Renewed;
            let accepted = accept_completed(self.script.mech_list_mic, &session_key);
            return Ok((STATUS_SUCCESS, session_setup_body(0, &accepted), session_id));
        }
        if self.script.guest {
            // A guest logon: no password checked, no key, so nothing signed or sealed.
            let accepted = [0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00];
            return Ok((
                STATUS_SUCCESS,
                session_setup_body(session_flags::IS_GUEST, &accepted),
                session_id,
            ));
        }
        let keys = crypto::derive_keys(
            self.script.dialect,
            &session_key,
            (self.script.dialect == dialect::SMB_3_1_1).then(|| session.preauth.value()),
        )
        .map_err(|error| error.to_string())?;
        session.keys = Some(keys);
        let flags = if self.script.encrypt_data {
            session_flags::ENCRYPT_DATA
        } else {
            0
        };
        let accepted = accept_completed(self.script.mech_list_mic, &session_key);
        Ok((
            STATUS_SUCCESS,
            session_setup_body(flags, &accepted),
            session_id,
        ))
    }

    /// The first SESSION_SETUP leg: NTLM NEGOTIATE in, CHALLENGE out, for a new session
    /// (`session_id` 0) or a re-authentication of an existing one, which keeps its keys.
    fn first_leg(
        &mut self,
        request: &[u8],
        session_id: u64,
        ntlm: &[u8],
    ) -> Result<(u32, Vec<u8>, u64), String> {
        let challenge = self.challenge_message();
        if session_id != 0 {
            let session = self
                .sessions
                .get_mut(&session_id)
                .ok_or("a re-authentication of an unknown session")?;
            session.negotiate = ntlm.to_vec();
            session.challenge.clone_from(&challenge);
            let challenge = spnego::response_token(&challenge);
            return Ok((
                STATUS_MORE_PROCESSING_REQUIRED,
                session_setup_body(0, &challenge),
                session_id,
            ));
        }
        let id = session_id_for(self.sessions.len());
        let mut preauth = self.preauth.clone();
        preauth.update(request);
        self.sessions.insert(
            id,
            ServerSession {
                preauth,
                keys: None,
                negotiate: ntlm.to_vec(),
                challenge: challenge.clone(),
            },
        );
        let challenge = spnego::response_token(&challenge);
        Ok((
            STATUS_MORE_PROCESSING_REQUIRED,
            session_setup_body(0, &challenge),
            id,
        ))
    }

    /// A CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2) without NTLMSSP_NEGOTIATE_KEY_ECH, so the
    /// session key is the SessionBaseKey.
    fn challenge_message(&self) -> Vec<u8> {
        use wnet_smb2::ntlm::*;
        let name = utf16le("HOSTILE");
        let mut target_info = Vec::new();
        for (id, value) in [
            (MSV_AV_NB_DOMAIN_NAME, name.as_slice()),
            (MSV_AV_NB_COMPUTER_NAME, name.as_slice()),
            (MSV_AV_EOL, &[][..]),
        ] {
            target_info.extend_from_slice(&id.to_le_bytes());
            target_info.extend_from_slice(&(value.len() as u16).to_le_bytes());
            target_info.extend_from_slice(value);
        }
        let negotiate_flags = NEGOTIATE_UNICODE
            | REQUEST_TARGET
            | NEGOTIATE_SIGN
            | NEGOTIATE_NTLM
            | NEGOTIATE_ALWAYS_SIGN
            | TARGET_TYPE_SERVER
            | NEGOTIATE_EXTENDED_SESSIONSECURITY
            | NEGOTIATE_TARGET_INFO
            | NEGOTIATE_128;
        let header_length = 56u32;
        let mut message = NTLMSSP_SIGNATURE.to_vec();
        message.extend_from_slice(&2u32.to_le_bytes());
        push_security_buffer(&mut message, name.len(), header_length);
        message.extend_from_slice(&negotiate_flags.to_le_bytes());
        message.extend_from_slice(&self.server_challenge);
        message.extend_from_slice(&[0; 8]);
        push_security_buffer(
            &mut message,
            target_info.len(),
            header_length + name.len() as u32,
        );
        message.extend_from_slice(&[0; 8]); // Version
        message.extend_from_slice(&name);
        message.extend_from_slice(&target_info);
        message
    }
}

fn session_id_for(n: usize) -> u64 {
    session_id(n as u64)
}

/// The session key of an NTLMv2 AUTHENTICATE_MESSAGE ([MS-NLMP] 3.3.2, 3.4.5.1): `None` when
/// its NTProofStr does not match the password.
fn ntlmv2_session_key(
    authenticate: &[u8],
    server_challenge: [u8; 8],
    user: &str,
    domain: &str,
    password: &str,
) -> Result<Option<[u8; 16]>, String> {
    if authenticate.get(..8) != Some(&wnet_smb2::ntlm::NTLMSSP_SIGNATURE[..]) {
        return Err("not an NTLMSSP message".into());
    }
    let nt_length = usize::from(u16_at(authenticate, 20)?);
    let nt_offset = u32_at(authenticate, 24)? as usize;
    let nt_response = authenticate
        .get(nt_offset..nt_offset + nt_length)
        .ok_or("NtChallengeResponse beyond the message")?;
    if nt_response.len() < 16 + 28 {
        return Ok(None); // not NTLMv2
    }
    let negotiate_flags = u32_at(authenticate, 60)?;
    if negotiate_flags & wnet_smb2::ntlm::NEGOTIATE_KEY_EXCH != 0 {
        return Err("the client asked for key exchange, which was not offered".into());
    }
    let (nt_proof, temp) = nt_response.split_at(16);
    let nt_hash: [u8; 16] = Md4::digest(utf16le(password)).into();
    let identity = utf16le(&(user.to_uppercase() + domain));
    let response_key = hmac_md5(&nt_hash, &[&identity]);
    if hmac_md5(&response_key, &[&server_challenge, temp]) != nt_proof {
        return Ok(None);
    }
    Ok(Some(hmac_md5(&response_key, &[nt_proof])))
}

/// SPNEGO negTokenResp { negState accept-completed [, mechListMIC] }.
fn accept_completed(mech_list_mic: ServerMechListMic, session_key: &[u8; 16]) -> Vec<u8> {
    let magic = match mech_list_mic {
        ServerMechListMic::Absent => {
            return vec![0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00];
        }
        ServerMechListMic::Correct => SERVER_TO_CLIENT,
        ServerMechListMic::Wrong => CLIENT_TO_SERVER,
    };
    let mic = ntlm_signature(session_key, magic, &spnego::mech_types());
    [
        &[
            0xa1, 0x1b, 0x30, 0x19, 0xa0, 0x03, 0x0a, 0x01, 0x00, 0xa3, 0x12, 0x04, 0x10,
        ][..],
        &mic,
    ]
    .concat()
}

/// The signing-key magic constants of [MS-NLMP] 3.4.5.2.
const CLIENT_TO_SERVER: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_TO_CLIENT: &[u8] = b"session key to server-to-client signing key magic constant\0";

/// The NTLM signature (extended session security, no key exchange, sequence number 0) of
/// `message` with the signing key of `magic` ([MS-NLMP] 3.4.4.2).
fn ntlm_signature(session_key: &[u8; 16], magic: &[u8], message: &[u8]) -> [u8; 16] {
    let signing_key: [u8; 16] = Md5::new()
        .chain_update(session_key)
        .chain_update(magic)
        .finalize()
        .into();
    let checksum = hmac_md5(&signing_key, &[&0u32.to_le_bytes(), message]);
    let mut signature = [0u8; 16];
    signature[..4].copy_from_slice(&1u32.to_le_bytes());
    signature[4..12].copy_from_slice(&checksum[..8]);
    signature
}

/// Reads the AV pairs of an NTLMv2 AUTHENTICATE_MESSAGE (whose NTProofStr has verified) and
/// checks its MIC and the client's mechListMIC.
fn inspect_authenticate(
    authenticate: &[u8],
    negotiate: &[u8],
    challenge: &[u8],
    session_key: &[u8; 16],
    mech_list_mic: Option<&[u8]>,
) -> Result<NtlmLogon, String> {
    let nt_length = usize::from(u16_at(authenticate, 20)?);
    let nt_offset = u32_at(authenticate, 24)? as usize;
    let nt_response = authenticate
        .get(nt_offset..nt_offset + nt_length)
        .ok_or("NtChallengeResponse beyond the message")?;
    let mut logon = NtlmLogon {
        av_flags: None,
        target_name: None,
        mic_valid: false,
        mech_list_mic_valid: None,
    };
    let mut at = 44;
    loop {
        let id = u16_at(nt_response, at)?;
        let len = usize::from(u16_at(nt_response, at + 2)?);
        let value = nt_response
            .get(at + 4..at + 4 + len)
            .ok_or("an AV pair runs past the NTLMv2 response")?;
        match id {
            0x0000 => break,
            0x0006 => logon.av_flags = Some(u32_at(value, 0)?),
            0x0009 => {
                let units: Vec<u16> = value
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                    .collect();
                logon.target_name = Some(String::from_utf16_lossy(&units));
            }
            _ => {}
        }
        at += 4 + len;
    }
    if let Some(mic) = authenticate.get(72..88) {
        let mut zeroed = authenticate.to_vec();
        zeroed[72..88].fill(0);
        logon.mic_valid = hmac_md5(session_key, &[negotiate, challenge, &zeroed]) == mic;
    }
    logon.mech_list_mic_valid = mech_list_mic.map(|mic| {
        ntlm_signature(session_key, CLIENT_TO_SERVER, &spnego::mech_types())[..] == *mic
    });
    Ok(logon)
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn push_security_buffer(message: &mut Vec<u8>, length: usize, offset: u32) {
    let length = length as u16;
    message.extend_from_slice(&length.to_le_bytes());
    message.extend_from_slice(&length.to_le_bytes());
    message.extend_from_slice(&offset.to_le_bytes());
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| format!("message too short for a u16 at {at}"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| format!("message too short for a u32 at {at}"))
}

/// SESSION_SETUP response body (MS-SMB2 §2.2.6).
fn session_setup_body(flags: u16, blob: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&9u16.to_le_bytes());
    body.extend_from_slice(&flags.to_le_bytes());
    body.extend_from_slice(&((HEADER_LENGTH + 8) as u16).to_le_bytes());
    body.extend_from_slice(&(blob.len() as u16).to_le_bytes());
    body.extend_from_slice(blob);
    body
}

/// TREE_CONNECT response body (MS-SMB2 §2.2.10): a disk share, full access, flagged
/// SMB2_SHAREFLAG_ENCRYPT_DATA when `encrypts`.
fn tree_connect_body(encrypts: bool) -> Vec<u8> {
    let mut body = vec![16, 0, 1, 0];
    let share_flags: u32 = if encrypts { 0x0000_8000 } else { 0 };
    body.extend_from_slice(&share_flags.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes()); // Capabilities
    body.extend_from_slice(&0x001F_01FFu32.to_le_bytes()); // MaximalAccess
    body
}

/// CREATE response body (MS-SMB2 §2.2.14): a file (or directory) opened, no create contexts.
fn create_body(directory: bool) -> Vec<u8> {
    let mut body = vec![89, 0, 0, 0];
    body.extend_from_slice(&1u32.to_le_bytes()); // FILE_OPENED
    body.extend_from_slice(&[0; 32]); // times
    body.extend_from_slice(&4096u64.to_le_bytes()); // AllocationSize
    body.extend_from_slice(&5u64.to_le_bytes()); // EndOfFile
    body.extend_from_slice(&file_attributes(directory).to_le_bytes());
    body.extend_from_slice(&[0; 4]);
    body.extend_from_slice(&FILE_ID);
    body.extend_from_slice(&[0; 8]); // CreateContextsOffset, CreateContextsLength
    body.push(0); // the one byte of Buffer that StructureSize 89 counts
    body
}

/// A FileDirectoryInformation buffer (MS-FSCC §2.4.10) naming `names`, entries 8-aligned.
fn directory_information(names: &[String]) -> Vec<u8> {
    let mut buffer = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let start = buffer.len();
        let name = utf16le(name);
        let length = (64 + name.len()).next_multiple_of(8);
        let next = if index + 1 < names.len() { length } else { 0 };
        buffer.extend_from_slice(&(next as u32).to_le_bytes());
        buffer.extend_from_slice(&[0; 52]); // FileIndex, times, sizes
        buffer.extend_from_slice(&0x80u32.to_le_bytes()); // FILE_ATTRIBUTE_NORMAL
        buffer.extend_from_slice(&(name.len() as u32).to_le_bytes());
        buffer.extend_from_slice(&name);
        if next != 0 {
            buffer.resize(start + length, 0);
        }
    }
    buffer
}

/// CLOSE response body (MS-SMB2 §2.2.16): without attributes, or with those of a file or
/// directory (`Some(directory)`) when the request asked for them (POSTQUERY_ATTRIB).
fn close_body(attributes_of: Option<bool>) -> Vec<u8> {
    let Some(directory) = attributes_of else {
        let mut body = vec![60, 0, 0, 0];
        body.extend_from_slice(&[0; 56]);
        return body;
    };
    let mut body = vec![60, 0, 1, 0];
    body.extend_from_slice(&[0; 4]); // Reserved
    body.extend_from_slice(&[0; 32]); // times
    body.extend_from_slice(&4096u64.to_le_bytes()); // AllocationSize
    body.extend_from_slice(&(if directory { 0u64 } else { 5 }).to_le_bytes()); // EndOfFile
    body.extend_from_slice(&file_attributes(directory).to_le_bytes());
    body
}

/// FILE_ATTRIBUTE_DIRECTORY or FILE_ATTRIBUTE_NORMAL.
fn file_attributes(directory: bool) -> u32 {
    if directory { 0x10 } else { 0x80 }
}

/// ERROR response body (MS-SMB2 §2.2.2).
fn error_body() -> Vec<u8> {
    vec![9, 0, 0, 0, 0, 0, 0, 0, 0]
}
