//! A connected share and the files opened on it.

use std::sync::Arc;

#[cfg(doc)]
use crate::client::Connection;
use crate::client::links::{LinkResolver, LinkTargetObserver, Links};
use crate::client::{CloseReason, Error, Exchange, Session};
use crate::ntstatus::NtStatus;
use crate::wire::Command;
use crate::wire::dfs::{FSCTL_DFS_GET_REFERRALS, ReferralResponse, encode_referral_request};
use crate::wire::durable::{Durability, DurableV2Reconnect, DurableV2Request, DurableV2Response};
use crate::wire::file_info::{
    self, BasicInformation, FILE_BASIC_INFORMATION, FILE_DISPOSITION_INFORMATION,
    FILE_END_OF_FILE_INFORMATION, FILE_FS_FULL_SIZE_INFORMATION, FILE_NETWORK_OPEN_INFORMATION,
    FILE_RENAME_INFORMATION, FsFullSize, INFO_FILE, INFO_FILESYSTEM,
};
use crate::wire::lease::{
    GrantedLease, LeaseBreakAck, LeaseBreakResponse, LeaseRequest, LeaseVersion,
};
use crate::wire::{
    CloseRequest, CloseResponse, CreateRequest, CreateResponse, DirectoryEntry,
    FILE_DIRECTORY_INFORMATION, FSCTL_PIPE_TRANSCEIVE, FSCTL_SET_ZERO_DATA, FileAttributes, FileId,
    IoctlRequest, IoctlResponse, QueryDirectoryRequest, QueryDirectoryResponse, QueryInfoRequest,
    QueryInfoResponse, RESTART_SCANS, ReadRequest, ReadResponse, Request, SHARE_CAP_DFS,
    SHARE_FLAG_DFS, SHARE_FLAG_DFS_ROOT, SetInfoRequest, TreeConnectResponse, WriteRequest,
    WriteResponse, access, capabilities, create_options, dialect, disposition, flags, share_access,
};

/// The most entries one directory listing returns by default (2^20): a directory of a
/// million files still lists; a server streaming names without end is stopped.
pub const MAX_DIRECTORY_ENTRIES: usize = 1_048_576;
/// The most FileDirectoryInformation bytes one directory listing takes by default, over all
/// its answers (256 MiB). An entry is 64 bytes and its UTF-16 name, 8-aligned (MS-FSCC
/// §2.4.10): a million entries with 100-character names are 264 MB, and fit.
pub const MAX_DIRECTORY_BYTES: usize = 256 * 1024 * 1024;
/// How many QUERY_DIRECTORY answers of one listing may bring no new entry: only `.` and `..`
/// are left out, so a server may send them alone in an answer each, and no more.
const MAX_ANSWERS_WITHOUT_ENTRIES: usize = 2;
/// The most bytes of a DFS referral answer taken ([`Tree::dfs_referral`]): 64 KiB holds
/// hundreds of targets.
pub const MAX_REFERRAL_BYTES: u32 = 65_536;
/// The output buffer asked for by each QUERY_DIRECTORY (one credit's worth).
const DIRECTORY_BUFFER: u32 = 65_536;

/// Bounds on one directory listing ([`OpenFile::query_directory_within`],
/// [`Tree::list_directory_within`]); a listing that would pass one fails with
/// [`Error::LimitExceeded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryLimits {
    /// The most entries the listing returns (`.` and `..` not counted).
    pub max_entries: usize,
    /// The most FileDirectoryInformation bytes the server may send for the listing, over
    /// all its answers (`.` and `..` counted).
    pub max_bytes: usize,
}

impl Default for DirectoryLimits {
    /// [`MAX_DIRECTORY_ENTRIES`] and [`MAX_DIRECTORY_BYTES`].
    fn default() -> DirectoryLimits {
        DirectoryLimits {
            max_entries: MAX_DIRECTORY_ENTRIES,
            max_bytes: MAX_DIRECTORY_BYTES,
        }
    }
}

impl DirectoryLimits {
    /// How many QUERY_DIRECTORY answers a listing within these limits can take: every answer
    /// that does not end it brings a new entry, or is one of the few allowed without.
    fn max_answers(&self) -> usize {
        self.max_entries
            .saturating_add(MAX_ANSWERS_WITHOUT_ENTRIES)
            .saturating_add(1)
    }
}

/// A directory listing being gathered, answer by answer, within its [`DirectoryLimits`]
/// (sans-IO: the buffers of the QUERY_DIRECTORY answers in, the entries out).
#[derive(Debug)]
struct DirectoryListing {
    limits: DirectoryLimits,
    entries: Vec<DirectoryEntry>,
    bytes: usize,
    answers_without_entries: usize,
}

impl DirectoryListing {
    fn new(limits: DirectoryLimits) -> DirectoryListing {
        DirectoryListing {
            limits,
            entries: Vec::new(),
            bytes: 0,
            answers_without_entries: 0,
        }
    }

    /// Takes the (non-empty) FileDirectoryInformation buffer of one answer: its entries
    /// other than `.` and `..` join the listing. Fails when a limit is passed, counted
    /// before decoding so that nothing beyond a limit is kept.
    fn take_answer(&mut self, buffer: &[u8]) -> Result<(), Error> {
        self.bytes = self.bytes.saturating_add(buffer.len());
        if self.bytes > self.limits.max_bytes {
            return Err(limit_exceeded(
                "bytes of directory entries",
                self.limits.max_bytes,
            ));
        }
        let before = self.entries.len();
        for entry in DirectoryEntry::decode_all(buffer)? {
            if entry.name == "." || entry.name == ".." {
                continue;
            }
            if self.entries.len() >= self.limits.max_entries {
                return Err(limit_exceeded("directory entries", self.limits.max_entries));
            }
            self.entries.push(entry);
        }
        if self.entries.len() == before {
            self.answers_without_entries += 1;
            if self.answers_without_entries > MAX_ANSWERS_WITHOUT_ENTRIES {
                return Err(limit_exceeded(
                    "directory answers without a new entry",
                    MAX_ANSWERS_WITHOUT_ENTRIES,
                ));
            }
        }
        Ok(())
    }

    fn into_entries(self) -> Vec<DirectoryEntry> {
        self.entries
    }
}

/// [`Error::LimitExceeded`] for a `usize` limit.
pub(crate) fn limit_exceeded(what: &'static str, limit: usize) -> Error {
    Error::LimitExceeded {
        what,
        limit: u64::try_from(limit).unwrap_or(u64::MAX),
    }
}

/// The timeout a durable open asks for (milliseconds): how long the server keeps it after
/// its connection is lost (the server may give less).
pub const DURABLE_TIMEOUT_MS: u32 = 60_000;

/// The lease state a CREATE response (`message`, decoded as `created`) grants under `key`:
/// 0 for none, for a grant under another key, or for a lease context that does not decode
/// (the caller then caches nothing; the open stands either way).
fn granted_lease(message: &[u8], created: &CreateResponse, key: [u8; 16]) -> u32 {
    match GrantedLease::of_create_response(message, created) {
        Ok(Some(granted)) if granted.key == key => granted.state,
        Ok(Some(_)) => {
            tracing::debug!("the server granted a lease for another key: taken as none");
            0
        }
        Ok(None) => 0,
        Err(error) => {
            tracing::debug!(%error, "malformed lease context: taken as no lease");
            0
        }
    }
}

/// What a durable open needs to be reopened on another connection.
#[derive(Debug)]
struct DurableOpen {
    /// The CREATE that opened it (the reopen names the same file).
    request: CreateRequest,
    /// The lease key it was opened under.
    lease_key: [u8; 16],
    create_guid: [u8; 16],
    /// How long the server keeps it after its connection is lost (milliseconds).
    timeout: u32,
    /// The durable handle's flags as granted.
    flags: u32,
}

/// How many times one CREATE may be sent on to where a link's resolver says.
const MAX_LINK_FOLLOWS: usize = 4;

/// The path of the CREATE that starts `requests`, if one does.
fn create_path(requests: &[Request]) -> Option<&str> {
    match requests.first()? {
        Request::Create(create)
        | Request::CreateWithLease(create, _)
        | Request::CreateDurable { create, .. } => Some(&create.name),
        _ => None,
    }
}

/// `requests` with the CREATE that starts them naming `path`.
fn with_create_path(requests: &[Request], path: &str) -> Vec<Request> {
    let mut renamed = requests.to_vec();
    if let Some(
        Request::Create(create)
        | Request::CreateWithLease(create, _)
        | Request::CreateDurable { create, .. },
    ) = renamed.first_mut()
    {
        path.clone_into(&mut create.name);
    }
    renamed
}

/// A connected share. Cheap to clone.
///
/// On a share in a DFS namespace ([`Tree::is_dfs`]) every CREATE is a DFS operation (MS-SMB2
/// §3.2.4.3): flagged SMB2_FLAGS_DFS_OPERATIONS, its name the whole path
/// `server\share\path`, so that a path that crosses a DFS link fails with
/// STATUS_PATH_NOT_COVERED and the caller asks for a referral ([`Tree::dfs_referral`]).
#[derive(Debug, Clone)]
pub struct Tree {
    session: Session,
    id: u32,
    response: TreeConnectResponse,
    /// `server\share`, as the tree was connected, for the names of DFS operations; `None`
    /// on a share outside any DFS namespace.
    dfs_prefix: Option<Arc<str>>,
    /// The links followed below a DFS share ([`Tree::with_links`]).
    links: Option<Arc<Links>>,
}

impl Tree {
    pub(crate) fn new(
        session: Session,
        id: u32,
        share_path: &str,
        response: TreeConnectResponse,
    ) -> Tree {
        let is_dfs = response.share_flags & (SHARE_FLAG_DFS | SHARE_FLAG_DFS_ROOT) != 0
            || response.capabilities & SHARE_CAP_DFS != 0;
        let dfs_prefix = is_dfs.then(|| Arc::from(share_path.trim_start_matches('\\')));
        Tree {
            session,
            id,
            response,
            dfs_prefix,
            links: None,
        }
    }

    /// This tree following the DFS links below it with `resolver`: a CREATE that the server
    /// answers with STATUS_PATH_NOT_COVERED goes where the resolver says, and so does every
    /// later one under the same link (see [`LinkResolver`]). A share outside any DFS
    /// namespace has no links: it is returned as it is.
    #[must_use]
    pub fn with_links(mut self, resolver: Arc<dyn LinkResolver>) -> Tree {
        if self.is_dfs() {
            self.links = Some(Arc::new(Links::new(resolver)));
        }
        self
    }

    /// This tree following the links `other` follows, with the routes it has found: the same
    /// share connected again after its connection was lost.
    #[must_use]
    pub fn with_links_of(mut self, other: &Tree) -> Tree {
        if self.is_dfs() {
            self.links.clone_from(&other.links);
        }
        self
    }

    /// Tells `observer` of the tree of every link target this tree's paths go to (those found
    /// so far, and each new one before any CREATE goes there), for as long as the caller
    /// keeps it: a holder of leases listens for the target connection's lease breaks with
    /// it. A tree that follows no links tells nothing.
    pub fn observe_link_targets(&self, observer: &Arc<LinkTargetObserver>) {
        if let Some(links) = &self.links {
            links.observe(observer);
        }
    }

    /// The tree and the path on it that `path` (below this share) stands for: a link's target
    /// when a route found earlier covers it, else this tree and `path` itself.
    pub fn route_of(&self, path: &str) -> (Tree, String) {
        self.links
            .as_ref()
            .and_then(|links| links.route(path))
            .unwrap_or_else(|| (self.clone(), path.to_owned()))
    }

    /// Whether both are the same connected share (the same tree of the same session).
    pub fn is_same_tree(&self, other: &Tree) -> bool {
        self.id == other.id && self.session.id() == other.session.id()
    }

    /// Whether the share is in a DFS namespace (a DFS root, or a share the server says DFS
    /// covers): its paths may cross links to other shares.
    pub fn is_dfs(&self) -> bool {
        self.dfs_prefix.is_some()
    }

    /// Whether the share is the root of a DFS namespace (SMB2_SHAREFLAG_DFS_ROOT).
    pub fn is_dfs_root(&self) -> bool {
        self.response.share_flags & SHARE_FLAG_DFS_ROOT != 0
    }

    /// The name of a CREATE of `path` on this share: on a DFS share, the whole path.
    fn name_on_share(&self, path: &str) -> String {
        match &self.dfs_prefix {
            Some(prefix) if path.is_empty() => prefix.to_string(),
            Some(prefix) => format!("{prefix}\\{path}"),
            None => path.to_owned(),
        }
    }

    /// The header flags of this share's CREATEs.
    fn create_flags(&self) -> u32 {
        if self.dfs_prefix.is_some() {
            flags::DFS_OPERATIONS
        } else {
            0
        }
    }

    /// Sends `requests` as one compound on this share, the CREATE that starts it named as
    /// the share takes it.
    async fn send_compound(&self, requests: &[Request]) -> Result<Vec<Exchange>, Error> {
        let renamed;
        let requests = match create_path(requests) {
            Some(path) if self.dfs_prefix.is_some() => {
                renamed = with_create_path(requests, &self.name_on_share(path));
                renamed.as_slice()
            }
            _ => requests,
        };
        self.session
            .exchange_compound_flagged(requests, self.id, self.create_flags())
            .await
    }

    /// Sends `requests` as one compound, where the path of the CREATE that starts it goes:
    /// over a link's target when it crosses one ([`Tree::with_links`]), else on this share.
    /// Returns the tree that answered, with the exchanges.
    async fn exchange_compound(
        &self,
        requests: &[Request],
    ) -> Result<(Tree, Vec<Exchange>), Error> {
        let (Some(links), Some(path)) = (&self.links, create_path(requests)) else {
            return Ok((self.clone(), self.send_compound(requests).await?));
        };
        let (mut tree, mut target_path) = links
            .route(path)
            .unwrap_or_else(|| (self.clone(), path.to_owned()));
        // A path is sent back to the resolver a few times at most: a target that is itself a
        // DFS share covering less answers STATUS_PATH_NOT_COVERED again, and the resolver
        // lands the path further.
        for _ in 0..MAX_LINK_FOLLOWS {
            let exchanges = if tree.is_same_tree(self) && target_path == path {
                self.send_compound(requests).await?
            } else {
                tree.send_compound(&with_create_path(requests, &target_path))
                    .await?
            };
            let not_covered = exchanges.first().is_some_and(|exchange| {
                NtStatus(exchange.header.status) == NtStatus::STATUS_PATH_NOT_COVERED
            });
            if !not_covered {
                return Ok((tree, exchanges));
            }
            (tree, target_path) = links.follow(path).await?;
        }
        Err(Error::Status {
            command: Command::Create,
            status: NtStatus::STATUS_PATH_NOT_COVERED,
        })
    }

    /// The session the tree belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The tree id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The share's type (`wire::share_type`).
    pub fn share_type(&self) -> u8 {
        self.response.share_type
    }

    /// The most access the user has to the share.
    pub fn maximal_access(&self) -> u32 {
        self.response.maximal_access
    }

    /// The largest READ the server accepts.
    pub fn max_read_size(&self) -> u32 {
        self.session.negotiated().max_read_size
    }

    /// The largest WRITE the server accepts.
    pub fn max_write_size(&self) -> u32 {
        self.session.negotiated().max_write_size
    }

    /// The size and free space of the share's volume.
    pub async fn fs_full_size(&self) -> Result<FsFullSize, Error> {
        let root = self
            .create(CreateRequest {
                name: String::new(),
                desired_access: access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::OPEN,
                create_options: create_options::DIRECTORY_FILE,
            })
            .await?;
        let buffer = root
            .query_info(INFO_FILESYSTEM, FILE_FS_FULL_SIZE_INFORMATION, 32)
            .await;
        root.close().await?;
        Ok(FsFullSize::decode(&buffer?)?)
    }

    async fn call(&self, request: &Request, also_ok: &[NtStatus]) -> Result<Exchange, Error> {
        self.call_routed(request, also_ok)
            .await
            .map(|(_, exchange)| exchange)
    }

    /// [`Tree::call`], returning the tree that answered (a link's target, for a CREATE whose
    /// path crosses one).
    async fn call_routed(
        &self,
        request: &Request,
        also_ok: &[NtStatus],
    ) -> Result<(Tree, Exchange), Error> {
        let (tree, mut exchanges) = self
            .exchange_compound(std::slice::from_ref(request))
            .await?;
        let exchange = exchanges
            .pop()
            .ok_or(Error::Closed(CloseReason::NoResponse))?;
        let status = NtStatus(exchange.header.status);
        if status == NtStatus::STATUS_SUCCESS || also_ok.contains(&status) {
            Ok((tree, exchange))
        } else {
            Err(Error::Status {
                command: request.command(),
                status,
            })
        }
    }

    /// Opens or creates a file, directory or pipe.
    pub async fn create(&self, request: CreateRequest) -> Result<OpenFile, Error> {
        let (tree, exchange) = self.call_routed(&Request::Create(request), &[]).await?;
        let created = CreateResponse::decode(&exchange.response)?;
        Ok(OpenFile {
            tree,
            file_id: created.file_id,
            attributes: created.attributes,
            lease_state: 0,
            durable: None,
        })
    }

    /// Opens or creates a file asking for a lease (MS-SMB2 §3.2.4.3.8) under `key` with the
    /// `wire::lease::lease_state` bits `wanted`: an `RqLs` v2 context on the 3.x dialects, v1
    /// on 2.1, and a plain [`Tree::create`] on 2.0.2, when the server lacks the LEASING
    /// capability, or when the session encrypts (its breaks would come unencrypted and be
    /// refused; see [`Connection::lease_breaks`]). [`OpenFile::lease_state`] says what the
    /// server granted (0 for none). A grant for another key, or a lease context that does not
    /// decode, counts as none (the caller then caches nothing); the open stands either way.
    ///
    /// Subscribe with [`Session::lease_breaks`] before opening, so that no break is missed.
    pub async fn create_with_lease(
        &self,
        request: CreateRequest,
        key: [u8; 16],
        wanted: u32,
    ) -> Result<OpenFile, Error> {
        let Some(version) = self.lease_version() else {
            return self.create(request).await;
        };
        let lease = LeaseRequest {
            key,
            state: wanted,
            version,
        };
        let (tree, exchange) = self
            .call_routed(&Request::CreateWithLease(request, lease), &[])
            .await?;
        let created = CreateResponse::decode(&exchange.response)?;
        let lease_state = granted_lease(&exchange.response, &created, key);
        Ok(OpenFile {
            tree,
            file_id: created.file_id,
            attributes: created.attributes,
            lease_state,
            durable: None,
        })
    }

    /// Opens or creates a file as [`Tree::create_with_lease`] does, asking besides for a
    /// durable handle (a `DH2Q` context, MS-SMB2 §3.2.4.3.5: not persistent, the server's
    /// default timeout) on the 3.x dialects, where the lease context is v2; on other
    /// dialects, or without a lease, it is [`Tree::create_with_lease`]. A server grants
    /// durability only with a lease that caches handles; [`OpenFile::is_durable`] says
    /// whether it did, and a durable open can be reopened after its connection was lost
    /// with [`Tree::reopen`]. A `DH2Q` answer that does not decode counts as not durable.
    pub async fn create_durable_with_lease(
        &self,
        request: CreateRequest,
        key: [u8; 16],
        wanted: u32,
    ) -> Result<OpenFile, Error> {
        if self.lease_version() != Some(LeaseVersion::V2) {
            return self.create_with_lease(request, key, wanted).await;
        }
        let mut create_guid = [0u8; 16];
        if getrandom::fill(&mut create_guid).is_err() {
            // No randomness: the open is not made durable, as a reused guid could reopen
            // another client's handle.
            return self.create_with_lease(request, key, wanted).await;
        }
        let lease = LeaseRequest {
            key,
            state: wanted,
            version: LeaseVersion::V2,
        };
        let durability = Durability::Request(DurableV2Request {
            timeout: DURABLE_TIMEOUT_MS,
            flags: 0,
            create_guid,
        });
        let (tree, exchange) = self
            .call_routed(
                &Request::CreateDurable {
                    create: request.clone(),
                    lease: Some(lease),
                    durability,
                },
                &[],
            )
            .await?;
        let created = CreateResponse::decode(&exchange.response)?;
        let lease_state = granted_lease(&exchange.response, &created, key);
        let durable = match DurableV2Response::of_create_response(&exchange.response, &created) {
            Ok(Some(granted)) => Some(Arc::new(DurableOpen {
                request,
                lease_key: key,
                create_guid,
                timeout: granted.timeout,
                flags: granted.flags,
            })),
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(%error, "malformed durable handle context: taken as none");
                None
            }
        };
        Ok(OpenFile {
            tree,
            file_id: created.file_id,
            attributes: created.attributes,
            lease_state,
            durable,
        })
    }

    /// Reopens the durable open `file` (made on a connection since lost) on this tree: a
    /// CREATE of the same name with a `DH2C` context naming its FileId and CreateGuid, and
    /// the lease context of its lease (MS-SMB2 §3.2.4.4). Returns the open as the server has
    /// it again (durable still, its lease as the server grants it now). Fails with
    /// [`Error::Unsupported`] for an open that is not durable, and with the server's status
    /// when it no longer keeps the open (STATUS_OBJECT_NAME_NOT_FOUND: its timeout ran out
    /// or another client took the file).
    pub async fn reopen(&self, file: &OpenFile) -> Result<OpenFile, Error> {
        let Some(durable) = &file.durable else {
            return Err(Error::Unsupported(
                "the open is not durable: it cannot be reopened".to_owned(),
            ));
        };
        let lease = (file.lease_state != 0).then_some(LeaseRequest {
            key: durable.lease_key,
            state: file.lease_state,
            version: LeaseVersion::V2,
        });
        let durability = Durability::Reconnect(DurableV2Reconnect {
            file_id: file.file_id,
            create_guid: durable.create_guid,
            flags: durable.flags,
        });
        let (tree, exchange) = self
            .call_routed(
                &Request::CreateDurable {
                    create: durable.request.clone(),
                    lease,
                    durability,
                },
                &[],
            )
            .await?;
        let created = CreateResponse::decode(&exchange.response)?;
        let lease_state = if lease.is_some() {
            granted_lease(&exchange.response, &created, durable.lease_key)
        } else {
            0
        };
        Ok(OpenFile {
            tree,
            file_id: created.file_id,
            attributes: created.attributes,
            lease_state,
            durable: Some(Arc::clone(durable)),
        })
    }

    /// The lease context this tree's session would send: v2 on the 3.x dialects, v1 on 2.1,
    /// none on 2.0.2, without the LEASING capability, or when the session encrypts.
    fn lease_version(&self) -> Option<LeaseVersion> {
        let negotiated = self.session.negotiated();
        // Lease breaks come with SessionId 0, and Samba (4.17) sends them unencrypted even
        // to an encrypting session; an encrypting connection accepts only encrypted ones
        // (else a man in the middle could drop a break unnoticed while the cache goes
        // stale). So an encrypting session asks for no lease: nothing is cached.
        if negotiated.capabilities & capabilities::LEASING == 0 || self.session.is_encrypting() {
            return None;
        }
        match negotiated.dialect {
            dialect::SMB_2_0_2 => None,
            dialect::SMB_2_1 => Some(LeaseVersion::V1),
            _ => Some(LeaseVersion::V2),
        }
    }

    /// Acknowledges a lease break (MS-SMB2 §2.2.24.2) for `key`, keeping the
    /// `wire::lease::lease_state` bits `state` (the break's `new_state`, or less), and reads
    /// the server's response. Send it only for breaks with `ack_required`.
    ///
    /// A server that has finished the break already — its break timeout ran out
    /// (STATUS_UNSUCCESSFUL: the lease is not breaking), or the lease's last open closed
    /// (STATUS_OBJECT_NAME_NOT_FOUND) — leaves nothing to acknowledge: those give `Ok(())`.
    /// Any other failure, such as STATUS_REQUEST_NOT_ACCEPTED for a state that is not a
    /// subset of the break's, is an [`Error::Status`].
    pub async fn acknowledge_lease_break(&self, key: [u8; 16], state: u32) -> Result<(), Error> {
        let request = Request::LeaseBreakAck(LeaseBreakAck { key, state });
        match self.call(&request, &[]).await {
            Ok(exchange) => {
                LeaseBreakResponse::decode(&exchange.response)?;
                Ok(())
            }
            Err(Error::Status { status, .. })
                if status == NtStatus::STATUS_UNSUCCESSFUL
                    || status == NtStatus::STATUS_OBJECT_NAME_NOT_FOUND =>
            {
                tracing::debug!(%status, "lease break over before its acknowledgment");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Opens `create`, runs `middle` on the opened file ([`FileId::RELATED`]) and closes it,
    /// all in one related compound: one round trip. Returns the CREATE's answer and the
    /// exchanges of `middle`. The first failure in the chain is the error (after a failed
    /// CREATE the server fails the rest with its status); when the file was opened but the
    /// compound's CLOSE failed, it is closed on its own.
    async fn on_path(
        &self,
        create: CreateRequest,
        middle: Vec<Request>,
    ) -> Result<(CreateResponse, Vec<Exchange>), Error> {
        let mut requests = Vec::with_capacity(middle.len() + 2);
        requests.push(Request::Create(create));
        requests.extend(middle);
        requests.push(Request::Close(CloseRequest {
            file_id: FileId::RELATED,
            query_attributes: false,
        }));
        let (tree, mut exchanges) = self.exchange_compound(&requests).await?;
        if exchanges.len() != requests.len() {
            return Err(Error::Closed(CloseReason::IncompleteCompound));
        }
        let failure = |exchange: &Exchange| {
            let status = NtStatus(exchange.header.status);
            (status != NtStatus::STATUS_SUCCESS).then_some(Error::Status {
                command: exchange.header.command,
                status,
            })
        };
        let (Some(create), Some(close)) = (exchanges.first(), exchanges.last()) else {
            return Err(Error::Closed(CloseReason::IncompleteCompound));
        };
        if let Some(error) = failure(create) {
            return Err(error);
        }
        let created = CreateResponse::decode(&create.response)?;
        let close_failed = failure(close);
        let middle_error = exchanges
            .get(1..exchanges.len().saturating_sub(1))
            .unwrap_or_default()
            .iter()
            .find_map(failure);
        if let Some(close_error) = close_failed {
            let file = OpenFile {
                tree,
                file_id: created.file_id,
                attributes: created.attributes,
                lease_state: 0,
                durable: None,
            };
            let closed = file.close().await;
            if middle_error.is_none() {
                tracing::debug!(%close_error, "compound CLOSE failed; closed on its own");
                closed?;
            }
        }
        if let Some(error) = middle_error {
            return Err(error);
        }
        exchanges.pop();
        exchanges.remove(0);
        Ok((created, exchanges))
    }

    /// Sets one file information class (`wire::file_info`) on `path` in one round trip:
    /// CREATE with `desired_access`, SET_INFO and CLOSE as one compound. A rename
    /// (FileRenameInformation, with DELETE access) or new attributes (FileBasicInformation,
    /// with FILE_WRITE_ATTRIBUTES) by path.
    pub async fn set_info_by_path(
        &self,
        path: &str,
        desired_access: u32,
        information_class: u8,
        buffer: Vec<u8>,
    ) -> Result<(), Error> {
        let create = CreateRequest {
            name: path.to_owned(),
            desired_access,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::OPEN,
            create_options: 0,
        };
        self.set_info_on(create, information_class, buffer).await
    }

    /// Sets one file information class on what `create` opens (or makes), in one round trip:
    /// CREATE, SET_INFO and CLOSE as one compound. As [`Tree::set_info_by_path`], for a
    /// caller that needs its own create options or disposition (a delete that must find a
    /// file, not a directory).
    pub async fn set_info_on(
        &self,
        create: CreateRequest,
        information_class: u8,
        buffer: Vec<u8>,
    ) -> Result<(), Error> {
        let set = Request::SetInfo(SetInfoRequest {
            file_id: FileId::RELATED,
            info_type: INFO_FILE,
            information_class,
            buffer,
        });
        self.on_path(create, vec![set]).await.map(|_| ())
    }

    /// Opens (or makes) what `create` names and closes it again in one round trip (CREATE
    /// and CLOSE as one compound); returns its attributes as the CREATE found them. A
    /// directory made with `disposition::CREATE`, a stat.
    pub async fn create_and_close(&self, create: CreateRequest) -> Result<FileAttributes, Error> {
        let (created, _) = self.on_path(create, Vec::new()).await?;
        Ok(created.attributes)
    }

    /// Opens an existing file or directory for reading its attributes (and listing it).
    pub async fn open_existing(&self, path: &str) -> Result<OpenFile, Error> {
        self.create(CreateRequest {
            name: path.to_owned(),
            desired_access: access::FILE_READ_ATTRIBUTES
                | access::FILE_READ_DATA
                | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::OPEN,
            create_options: 0,
        })
        .await
    }

    /// The attributes of `path` (empty for the share's root) as the CREATE that opens it
    /// gives them: CREATE and CLOSE in one compound, one round trip.
    pub async fn stat(&self, path: &str) -> Result<FileAttributes, Error> {
        let create = CreateRequest {
            name: path.to_owned(),
            desired_access: access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::ALL,
            create_disposition: disposition::OPEN,
            create_options: 0,
        };
        self.create_and_close(create).await
    }

    /// Opens a named pipe of IPC$ (`srvsvc`) for reading and writing.
    pub async fn open_pipe(&self, name: &str) -> Result<OpenFile, Error> {
        self.create(CreateRequest {
            name: name.to_owned(),
            desired_access: access::FILE_READ_DATA
                | access::FILE_WRITE_DATA
                | access::FILE_APPEND_DATA
                | access::FILE_READ_EA
                | access::FILE_READ_ATTRIBUTES
                | access::READ_CONTROL
                | access::SYNCHRONIZE,
            file_attributes: 0,
            share_access: share_access::READ | share_access::WRITE,
            create_disposition: disposition::OPEN,
            create_options: create_options::NON_DIRECTORY_FILE,
        })
        .await
    }

    /// Lists a directory (`""` for the share's root), without `.` and `..`, within the
    /// default [`DirectoryLimits`].
    pub async fn list_directory(&self, path: &str) -> Result<Vec<DirectoryEntry>, Error> {
        self.list_directory_within(path, DirectoryLimits::default())
            .await
    }

    /// Lists a directory as [`Tree::list_directory`], within `limits`. A listing that passes
    /// one fails with [`Error::LimitExceeded`]; the directory is closed either way, and the
    /// session stays usable.
    pub async fn list_directory_within(
        &self,
        path: &str,
        limits: DirectoryLimits,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let directory = self
            .create(CreateRequest {
                name: path.to_owned(),
                desired_access: access::FILE_READ_DATA
                    | access::FILE_READ_ATTRIBUTES
                    | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::OPEN,
                create_options: create_options::DIRECTORY_FILE,
            })
            .await?;
        let entries = directory.query_directory_within("*", limits).await;
        let closed = directory.close().await;
        let entries = entries?;
        closed?;
        Ok(entries)
    }

    /// Asks the server for the DFS referral of `path` (MS-DFSC §3.1.4.2; `\\server\\share\\link`
    /// with one leading backslash, `\\domain` for a DC referral, empty for a domain referral)
    /// with FSCTL_DFS_GET_REFERRALS at referral level 4, on this tree, which should be the
    /// server's IPC$. A server that is not a DFS server, or has no referral for the path,
    /// answers with an error status (STATUS_NOT_FOUND, STATUS_FS_DRIVER_REQUIRED, ...): an
    /// [`Error::Status`]. The answer is bounded by [`MAX_REFERRAL_BYTES`] and decoded
    /// with its every offset checked.
    pub async fn dfs_referral(&self, path: &str) -> Result<ReferralResponse, Error> {
        let max_output = self
            .session
            .negotiated()
            .max_transact_size
            .min(MAX_REFERRAL_BYTES);
        let request = Request::Ioctl(IoctlRequest {
            ctl_code: FSCTL_DFS_GET_REFERRALS,
            file_id: FileId::NONE,
            input: encode_referral_request(4, path),
            max_output_response: max_output,
        });
        let exchange = self.call(&request, &[]).await?;
        let output = IoctlResponse::decode(&exchange.response)?.output;
        Ok(ReferralResponse::decode(&output)?)
    }

    /// Disconnects the tree.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.call(&Request::TreeDisconnect, &[]).await.map(|_| ())
    }
}

/// The data of one READ, left in the response message it arrived in (no copy).
#[derive(Debug, Default, Clone)]
pub struct ReadBuffer {
    message: Vec<u8>,
    start: usize,
    end: usize,
}

impl std::ops::Deref for ReadBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.message[self.start..self.end]
    }
}

/// An open file, directory or pipe. Close it with [`OpenFile::close`]; a dropped handle stays
/// open on the server until the tree or session goes. Clones name the same server handle (so
/// requests on it can run concurrently); close it once.
#[derive(Debug, Clone)]
pub struct OpenFile {
    tree: Tree,
    file_id: FileId,
    /// The attributes CREATE returned.
    pub attributes: FileAttributes,
    lease_state: u32,
    /// Set when the server made the open durable.
    durable: Option<Arc<DurableOpen>>,
}

impl OpenFile {
    /// Whether the server made the open durable ([`Tree::create_durable_with_lease`]): it
    /// keeps it for [`OpenFile::durable_timeout`] after the connection is lost, and
    /// [`Tree::reopen`] can take it up on a new connection.
    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// How long the server keeps the open after its connection is lost, if it is durable.
    pub fn durable_timeout(&self) -> Option<std::time::Duration> {
        self.durable
            .as_ref()
            .map(|durable| std::time::Duration::from_millis(u64::from(durable.timeout)))
    }

    /// The tree the file was opened on.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The file id.
    pub fn id(&self) -> FileId {
        self.file_id
    }

    /// The `wire::lease::lease_state` bits the server granted when the file was opened with
    /// [`Tree::create_with_lease`]; 0 when it granted none (or the file was opened without
    /// asking). Breaks that come later are not reflected here.
    pub fn lease_state(&self) -> u32 {
        self.lease_state
    }

    /// Reads up to `length` bytes at `offset`; an empty result is the end of the file.
    pub async fn read_at(&self, offset: u64, length: u32) -> Result<Vec<u8>, Error> {
        self.read_chunk(offset, length)
            .await
            .map(|(_, data)| data.to_vec())
    }

    /// Reads up to `length` bytes at `offset` into the response's own buffer, uncopied; an
    /// empty result is the end of the file.
    pub async fn read_buffer_at(&self, offset: u64, length: u32) -> Result<ReadBuffer, Error> {
        self.read_chunk(offset, length).await.map(|(_, data)| data)
    }

    /// One READ: its status (success, or STATUS_BUFFER_OVERFLOW when a pipe message goes on)
    /// and its data, empty at the end of the file.
    async fn read_chunk(&self, offset: u64, length: u32) -> Result<(NtStatus, ReadBuffer), Error> {
        let request = Request::Read(ReadRequest {
            file_id: self.file_id,
            offset,
            length,
            minimum_count: 0,
        });
        let exchange = self
            .tree
            .call(
                &request,
                &[
                    NtStatus::STATUS_END_OF_FILE,
                    NtStatus::STATUS_BUFFER_OVERFLOW,
                ],
            )
            .await?;
        let status = NtStatus(exchange.header.status);
        if status == NtStatus::STATUS_END_OF_FILE {
            return Ok((status, ReadBuffer::default()));
        }
        let read = ReadResponse::decode(&exchange.response)?;
        Ok((
            status,
            ReadBuffer {
                start: read.data_offset,
                end: read.data_offset + read.data_length,
                message: exchange.response,
            },
        ))
    }

    /// Writes `data` at `offset`; returns how many bytes the server wrote.
    pub async fn write_at(&self, offset: u64, data: Vec<u8>) -> Result<u32, Error> {
        self.write_at_with(offset, data, false).await
    }

    /// Writes `data` at `offset`, through to stable storage when `write_through`
    /// (SMB2_WRITEFLAG_WRITE_THROUGH); returns how many bytes the server wrote.
    pub async fn write_at_with(
        &self,
        offset: u64,
        data: Vec<u8>,
        write_through: bool,
    ) -> Result<u32, Error> {
        let request = Request::Write(WriteRequest {
            file_id: self.file_id,
            offset,
            data,
            write_through,
        });
        let exchange = self.tree.call(&request, &[]).await?;
        Ok(WriteResponse::decode(&exchange.response)?.count)
    }

    /// Asks the server to write the file's data to stable storage (FLUSH).
    pub async fn flush(&self) -> Result<(), Error> {
        self.tree
            .call(&Request::Flush(self.file_id), &[])
            .await
            .map(|_| ())
    }

    /// One QUERY_INFO: the answer's buffer.
    pub async fn query_info(
        &self,
        info_type: u8,
        information_class: u8,
        output_buffer_length: u32,
    ) -> Result<Vec<u8>, Error> {
        let request = Request::QueryInfo(QueryInfoRequest {
            file_id: self.file_id,
            info_type,
            information_class,
            output_buffer_length,
        });
        let exchange = self.tree.call(&request, &[]).await?;
        Ok(QueryInfoResponse::decode(&exchange.response)?
            .output_buffer
            .to_vec())
    }

    /// The file's current times, sizes and attributes (FileNetworkOpenInformation).
    pub async fn query_attributes(&self) -> Result<FileAttributes, Error> {
        let buffer = self
            .query_info(INFO_FILE, FILE_NETWORK_OPEN_INFORMATION, 56)
            .await?;
        Ok(FileAttributes::decode_network_open_information(&buffer)?)
    }

    /// One SET_INFO of a file information class.
    pub async fn set_file_info(&self, information_class: u8, buffer: Vec<u8>) -> Result<(), Error> {
        let request = Request::SetInfo(SetInfoRequest {
            file_id: self.file_id,
            info_type: INFO_FILE,
            information_class,
            buffer,
        });
        self.tree.call(&request, &[]).await.map(|_| ())
    }

    /// Sets the file's size, cutting or extending it with zeros.
    pub async fn set_end_of_file(&self, size: u64) -> Result<(), Error> {
        self.set_file_info(
            FILE_END_OF_FILE_INFORMATION,
            file_info::end_of_file_information(size),
        )
        .await
    }

    /// Sets times and attributes (zero fields stay as they are).
    pub async fn set_basic_information(&self, basic: BasicInformation) -> Result<(), Error> {
        self.set_file_info(FILE_BASIC_INFORMATION, basic.encode())
            .await
    }

    /// Renames the file to `new_path` (from the share's root), replacing an existing file
    /// there when `replace`. The handle must have been opened with DELETE access.
    pub async fn rename(&self, new_path: &str, replace: bool) -> Result<(), Error> {
        self.set_file_info(
            FILE_RENAME_INFORMATION,
            file_info::rename_information(new_path, replace),
        )
        .await
    }

    /// Marks the file (or empty directory) for deletion when its last handle closes. The
    /// handle must have been opened with DELETE access.
    pub async fn set_delete_pending(&self, delete: bool) -> Result<(), Error> {
        self.set_file_info(
            FILE_DISPOSITION_INFORMATION,
            file_info::disposition_information(delete),
        )
        .await
    }

    /// Zeroes the bytes from `offset` up to `end` (FSCTL_SET_ZERO_DATA); the size stays.
    pub async fn zero_range(&self, offset: u64, end: u64) -> Result<(), Error> {
        let mut input = Vec::with_capacity(16);
        input.extend_from_slice(&offset.to_le_bytes());
        input.extend_from_slice(&end.to_le_bytes());
        let request = Request::Ioctl(IoctlRequest {
            ctl_code: FSCTL_SET_ZERO_DATA,
            file_id: self.file_id,
            input,
            max_output_response: 0,
        });
        self.tree.call(&request, &[]).await?;
        Ok(())
    }

    /// Writes `input` to a named pipe and returns the pipe's answer (FSCTL_PIPE_TRANSCEIVE),
    /// reading on while the server says the answer overflowed `max_output`.
    pub async fn transceive(&self, input: Vec<u8>, max_output: u32) -> Result<Vec<u8>, Error> {
        let request = Request::Ioctl(IoctlRequest {
            ctl_code: FSCTL_PIPE_TRANSCEIVE,
            file_id: self.file_id,
            input,
            max_output_response: max_output,
        });
        let exchange = self
            .tree
            .call(&request, &[NtStatus::STATUS_BUFFER_OVERFLOW])
            .await?;
        let mut output = IoctlResponse::decode(&exchange.response)?.output;
        let mut status = NtStatus(exchange.header.status);
        // A bounded number of follow-up reads: each returns at least one byte or ends.
        let mut reads = 0;
        while status == NtStatus::STATUS_BUFFER_OVERFLOW && reads < 4096 {
            reads += 1;
            let (next_status, data) = self.read_chunk(0, max_output).await?;
            let data = &*data;
            if data.is_empty() {
                break;
            }
            status = next_status;
            output.extend_from_slice(data);
        }
        Ok(output)
    }

    /// Lists the entries of an open directory matching `pattern`, without `.` and `..`,
    /// within the default [`DirectoryLimits`].
    pub async fn query_directory(&self, pattern: &str) -> Result<Vec<DirectoryEntry>, Error> {
        self.query_directory_within(pattern, DirectoryLimits::default())
            .await
    }

    /// Lists the entries of an open directory as [`OpenFile::query_directory`], within
    /// `limits`: a server that sends more entries or bytes than they allow, or answers
    /// without new entries more often than a listing can, gets [`Error::LimitExceeded`]
    /// instead of a loop. The handle stays open.
    pub async fn query_directory_within(
        &self,
        pattern: &str,
        limits: DirectoryLimits,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let mut listing = DirectoryListing::new(limits);
        let mut flags = RESTART_SCANS;
        // The listing's limits end the loop first; the round cap is a second guard.
        for _ in 0..limits.max_answers() {
            let request = Request::QueryDirectory(QueryDirectoryRequest {
                file_id: self.file_id,
                information_class: FILE_DIRECTORY_INFORMATION,
                flags,
                pattern: pattern.to_owned(),
                output_buffer_length: DIRECTORY_BUFFER,
            });
            flags = 0;
            let response = match self.tree.call(&request, &[]).await {
                Ok(exchange) => exchange.response,
                Err(Error::Status { status, .. }) if status == NtStatus::STATUS_NO_MORE_FILES => {
                    return Ok(listing.into_entries());
                }
                Err(error) => return Err(error),
            };
            let buffer = QueryDirectoryResponse::decode(&response)?.output_buffer;
            if buffer.is_empty() {
                return Ok(listing.into_entries());
            }
            listing.take_answer(buffer)?;
        }
        Err(limit_exceeded("directory answers", limits.max_answers()))
    }

    /// Closes the handle.
    pub async fn close(self) -> Result<(), Error> {
        let request = Request::Close(CloseRequest {
            file_id: self.file_id,
            query_attributes: false,
        });
        self.tree.call(&request, &[]).await.map(|_| ())
    }

    /// Writes `data` at `offset` and closes the handle, as one related compound (WRITE, then
    /// CLOSE on the same file): one round trip where a write and a close take two. Returns
    /// how many bytes the server wrote. When the WRITE fails (the server then fails the CLOSE
    /// with the same status), the handle is closed on its own and the write's error returned.
    pub async fn write_and_close(self, offset: u64, data: Vec<u8>) -> Result<u32, Error> {
        let requests = [
            Request::Write(WriteRequest {
                file_id: self.file_id,
                offset,
                data,
                write_through: false,
            }),
            Request::Close(CloseRequest {
                file_id: FileId::RELATED,
                query_attributes: false,
            }),
        ];
        let (_, exchanges) = self.tree.exchange_compound(&requests).await?;
        let [write, close] = exchanges.as_slice() else {
            return Err(Error::Closed(CloseReason::IncompleteCompound));
        };
        let failure = |exchange: &Exchange| {
            let status = NtStatus(exchange.header.status);
            (status != NtStatus::STATUS_SUCCESS).then_some(Error::Status {
                command: exchange.header.command,
                status,
            })
        };
        if let Some(error) = failure(write) {
            if failure(close).is_some() {
                let _ = self.close().await;
            }
            return Err(error);
        }
        if let Some(error) = failure(close) {
            return Err(error);
        }
        Ok(WriteResponse::decode(&write.response)?.count)
    }

    /// Closes the handle and returns the file's attributes as of the close
    /// (SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB), when the server gives them.
    pub async fn close_with_attributes(self) -> Result<Option<FileAttributes>, Error> {
        let request = Request::Close(CloseRequest {
            file_id: self.file_id,
            query_attributes: true,
        });
        let exchange = self.tree.call(&request, &[]).await?;
        Ok(CloseResponse::decode(&exchange.response)?.attributes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FileDirectoryInformation buffer (MS-FSCC §2.4.10) holding `names`, each entry
    /// 8-aligned.
    fn directory_buffer(names: &[&str]) -> Vec<u8> {
        let mut buffer = Vec::new();
        for (index, name) in names.iter().enumerate() {
            let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let length = (64 + name.len()).next_multiple_of(8);
            let next = if index + 1 < names.len() { length } else { 0 };
            let start = buffer.len();
            buffer.extend_from_slice(&u32::try_from(next).expect("a small entry").to_le_bytes());
            buffer.extend_from_slice(&[0; 56]); // FileIndex, times, sizes, attributes
            buffer.extend_from_slice(
                &u32::try_from(name.len())
                    .expect("a short name")
                    .to_le_bytes(),
            );
            buffer.extend_from_slice(&name);
            buffer.resize(start + if next == 0 { 64 + name.len() } else { length }, 0);
        }
        buffer
    }

    fn names(listing: DirectoryListing) -> Vec<String> {
        listing
            .into_entries()
            .into_iter()
            .map(|entry| entry.name)
            .collect()
    }

    const SMALL: DirectoryLimits = DirectoryLimits {
        max_entries: 3,
        max_bytes: 4096,
    };

    #[test]
    fn a_listing_within_its_limits_keeps_every_entry_but_the_dots() {
        let mut listing = DirectoryListing::new(SMALL);
        listing
            .take_answer(&directory_buffer(&[".", "..", "a"]))
            .expect("within the limits");
        listing
            .take_answer(&directory_buffer(&["b", "c"]))
            .expect("exactly at the entry limit");
        assert_eq!(names(listing), ["a", "b", "c"]);
    }

    #[test]
    fn one_entry_more_than_the_limit_fails_naming_the_entries() {
        let mut listing = DirectoryListing::new(SMALL);
        listing
            .take_answer(&directory_buffer(&["a", "b"]))
            .expect("within the limits");
        let error = listing
            .take_answer(&directory_buffer(&["c", "d"]))
            .expect_err("four entries with a limit of three");
        assert!(
            matches!(
                error,
                Error::LimitExceeded {
                    what: "directory entries",
                    limit: 3
                }
            ),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "the server sent more directory entries than the limit of 3"
        );
    }

    #[test]
    fn bytes_beyond_the_limit_fail_before_they_are_decoded() {
        let answer = directory_buffer(&["a"]);
        let limits = DirectoryLimits {
            max_entries: 100,
            max_bytes: answer.len() * 2,
        };
        let mut listing = DirectoryListing::new(limits);
        listing.take_answer(&answer).expect("first answer");
        listing
            .take_answer(&answer)
            .expect("exactly at the byte limit");
        // Not even decodable: the limit is checked first.
        let error = listing
            .take_answer(&[0xff])
            .expect_err("one byte beyond the limit");
        assert!(
            matches!(
                error,
                Error::LimitExceeded { what: "bytes of directory entries", limit }
                    if limit == limits.max_bytes as u64
            ),
            "{error}"
        );
    }

    #[test]
    fn answers_without_new_entries_end_after_the_two_dots() {
        let mut listing = DirectoryListing::new(DirectoryLimits::default());
        listing
            .take_answer(&directory_buffer(&["."]))
            .expect("`.` alone");
        listing
            .take_answer(&directory_buffer(&[".."]))
            .expect("`..` alone");
        let error = listing
            .take_answer(&directory_buffer(&[".", ".."]))
            .expect_err("a third answer without a new entry");
        assert!(
            matches!(
                error,
                Error::LimitExceeded {
                    what: "directory answers without a new entry",
                    limit: 2
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn the_answer_cap_follows_the_entry_limit() {
        // One answer per entry, two with only a dot each, and the one that ends the listing.
        assert_eq!(
            DirectoryLimits::default().max_answers(),
            MAX_DIRECTORY_ENTRIES + 3
        );
        assert_eq!(SMALL.max_answers(), 6);
    }

    #[test]
    fn a_million_entries_with_long_names_fit_the_default_limits() {
        let name = "n".repeat(100);
        let entry = directory_buffer(&[&name, &name]).len() / 2;
        assert_eq!(entry, 264);
        assert!(1_000_000 * entry <= MAX_DIRECTORY_BYTES);
        const { assert!(1_000_000 <= MAX_DIRECTORY_ENTRIES) };
    }
}
