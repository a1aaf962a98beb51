//! DFS namespaces (MS-DFSC): where a path lands. A path whose first component is an Active
//! Directory domain (`\\corp.example\files\...`) or whose share is a DFS root
//! (`\\fs1\dfs\link\...`) is sent by referrals to the share that holds it; every WNet
//! function that takes a remote name follows them the same way ([`Workstation::land`]).
//!
//! - **Referral cache** (`wnet_smb2::dfs::ReferralCache`): each referral under its prefix,
//!   for the server's TTL, the targets in the order given, bounded (least recently used
//!   first out). A path is looked up by its longest cached prefix; a miss on a DFS share asks
//!   the server for the referral of the whole path, on its IPC$, over the session held with
//!   it in the caller's logon (which later connections to the server ride).
//! - **Domains**: a name is a domain when the domain cache knows it, or when it is one of the
//!   host's domains (the Kerberos default realm, resolv.conf's search list, or their NetBIOS
//!   names) and DNS names its controllers; a controller then gives the domains it knows (a
//!   domain referral: the trusted ones become known too), the domain's controllers (a DC
//!   referral) and the namespace's root targets (a root referral).
//! - **Failover**: a target that cannot be reached is marked failed and the next in order is
//!   tried ([`Workstation::target_unreachable`]); when the entry's TTL runs out, a new
//!   referral starts at the first target again (failback).
//! - **Loops**: a referral that leads back to a path already followed, or more than
//!   `MAX_REFERRAL_HOPS` of them, fails with ERROR_BAD_NET_NAME, naming the path.
//!
//! A plain `\\server\share` is never probed: no referral, no extra round trip.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use wnet_smb2::dfs::{
    CacheHit, DfsError, DfsPath, DomainCache, ReferralCache, ReferralHops, ReferralType,
};
use wnet_smb2::rpc::srvsvc::{STYPE_DISKTREE, STYPE_MASK};
use wnet_smb2::wire::dfs::ReferralResponse;

use wnet::agent_protocol::{DfsReferralHop, Logon, Response, ShareEntry, WireCredentials};
use wnet::error::{Cause, WinError, codes};
use wnet::unc::UncName;

use crate::provider::{Provider, ProviderSession, ProviderTree};
use crate::redirector::{LinkLanding, LinkSource};

use super::{ServerEntry, Workstation, lock};

/// The most referrals the cache holds.
pub(super) const MAX_CACHED_REFERRALS: usize = 1024;
/// The most domains the domain cache holds.
pub(super) const MAX_CACHED_DOMAINS: usize = 64;
/// How long the host's candidate domain names are reused before they are read again.
const HOST_DOMAINS_TTL: Duration = Duration::from_secs(60);
/// The most attempts of one landing (each after a target that could not be reached).
const MAX_LANDING_ATTEMPTS: usize = 16;
/// The most shares remembered as outside any namespace.
const MAX_PLAIN_SHARES: usize = 256;
/// How long a share is remembered as outside any namespace (as a referral lives by default).
const PLAIN_SHARE_TTL: Duration = Duration::from_secs(300);

/// The workstation's DFS state: the caches and what they cost.
pub(super) struct DfsState {
    referrals: ReferralCache,
    domains: DomainCache,
    /// `\\server\share` (lower case) of shares found outside any namespace, until when.
    plain_shares: HashMap<String, Instant>,
    /// Referral requests sent since the agent started.
    referral_requests: u64,
    /// The controllers of the host's domain last located in DNS: where a trusted domain's
    /// controllers are asked.
    host_controllers: Vec<String>,
    /// Until when the domains a controller's domain referral named are taken as known.
    domains_learned_until: Option<Instant>,
    /// The host's candidate domain names (`wnet::domains::host_domain_names`), read from its
    /// configuration files at most once a minute rather than at every referral lookup.
    host_domains: Option<(Instant, Vec<String>)>,
}

impl DfsState {
    pub(super) fn new() -> DfsState {
        DfsState {
            referrals: ReferralCache::new(MAX_CACHED_REFERRALS),
            domains: DomainCache::new(MAX_CACHED_DOMAINS),
            plain_shares: HashMap::new(),
            referral_requests: 0,
            host_controllers: Vec::new(),
            domains_learned_until: None,
            host_domains: None,
        }
    }

    /// The DNS name of the host's domain that `name` names (by its DNS name or its NetBIOS
    /// name), if it names one.
    fn host_domain_named(&mut self, name: &str, now: Instant) -> Option<String> {
        let fresh = self
            .host_domains
            .as_ref()
            .is_some_and(|(read_at, _)| now.duration_since(*read_at) < HOST_DOMAINS_TTL);
        if !fresh {
            self.host_domains = Some((now, wnet::domains::host_domain_names()));
        }
        let (_, domains) = self.host_domains.as_ref()?;
        wnet::domains::domain_named(domains, name).map(str::to_owned)
    }

    fn is_plain_share(&mut self, key: &str, now: Instant) -> bool {
        self.plain_shares.retain(|_, until| *until > now);
        self.plain_shares.contains_key(key)
    }

    fn remember_plain_share(&mut self, key: String, now: Instant) {
        self.plain_shares.retain(|_, until| *until > now);
        if self.plain_shares.len() >= MAX_PLAIN_SHARES {
            // The oldest is the first to go.
            if let Some(oldest) = self
                .plain_shares
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(key, _)| key.clone())
            {
                self.plain_shares.remove(&oldest);
            }
        }
        self.plain_shares.insert(key, now + PLAIN_SHARE_TTL);
    }
}

/// Where a path landed.
#[derive(Debug, Clone)]
pub(crate) struct Landing {
    /// The physical path: the share that holds the path, and the path below it.
    pub physical: UncName,
    /// The referrals followed, in order, each with the target chosen.
    pub hops: Vec<Hop>,
    /// How many of the asked path's last components reach `physical` unchanged: the
    /// components before them were covered by links (all of them when no referral was
    /// followed).
    pub unchanged: usize,
}

/// One referral followed: its cache entry as it was then (prefix, targets, the one in use).
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    /// The entry as the cache had it when it was followed.
    pub hit: CacheHit,
}

/// A DFS error as the Win32 error a caller sees: a path outside the rules or a referral that
/// loops or does not decode is ERROR_BAD_NET_NAME, with what was wrong.
fn dfs_error(error: &DfsError) -> WinError {
    WinError::with_cause(codes::ERROR_BAD_NET_NAME, Cause::Other(error.to_string()))
}

fn to_dfs_path(unc: &UncName) -> Result<DfsPath, WinError> {
    DfsPath::parse(&unc.to_windows()).map_err(|error| dfs_error(&error))
}

fn to_unc(path: &DfsPath) -> Result<UncName, WinError> {
    UncName::parse(&path.to_string())
}

/// Whether a failure to reach a target is one the next target may not have: the server is
/// unreachable or refuses connections, the connection broke, the share is gone.
pub(super) fn is_unreachable(error: &WinError) -> bool {
    [
        codes::ERROR_BAD_NETPATH,
        codes::ERROR_NETNAME_DELETED,
        codes::ERROR_UNEXP_NET_ERR,
        codes::ERROR_SEM_TIMEOUT,
        codes::ERROR_BAD_NET_NAME,
    ]
    .contains(&error.code)
}

impl<P: Provider> Workstation<P> {
    /// Where `unc` lands: through the referral cache, asking referrals where it has none
    /// (of a domain's controller for a domain's namespace, of the server for a path on a DFS
    /// share). A target that cannot be reached is marked failed and the next one tried.
    pub(crate) async fn land(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Landing, WinError> {
        // Each attempt that meets an unreachable target marks it failed, so the next takes
        // the next target; every entry runs out of targets, and the attempts are bounded.
        for _ in 0..MAX_LANDING_ATTEMPTS {
            match self.land_once(unc, credentials, logon).await {
                Err((error, Some(landing))) if is_unreachable(&error) => {
                    if !self.target_unreachable(&landing) {
                        return Err(no_target_left(&landing, error));
                    }
                }
                Err((error, _)) => return Err(error),
                Ok(landing) => return Ok(landing),
            }
        }
        Err(WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::Other(format!("no DFS target of {unc} can be reached")),
        ))
    }

    /// One attempt of [`Workstation::land`]; a failure after a referral was followed comes
    /// with the landing so far, whose last hop chose the server that failed.
    async fn land_once(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Landing, (WinError, Option<Landing>)> {
        let asked = unc.path.len() + usize::from(unc.share.is_some());
        let mut landing = Landing {
            physical: unc.clone(),
            hops: Vec::new(),
            unchanged: asked,
        };
        if unc.share.is_none() {
            return Ok(landing);
        }
        let mut path = to_dfs_path(unc).map_err(|error| (error, None))?;
        let mut followed = ReferralHops::new();
        // Each turn follows a cached referral (a hop, bounded by the loop guard), or asks
        // for one and follows it on the next turn.
        for _ in 0..=2 * wnet_smb2::dfs::MAX_REFERRAL_HOPS {
            let now = Instant::now();
            let hit = lock(&self.table)
                .dfs
                .referrals
                .lookup(&path, now.into_std());
            if let Some(hit) = hit {
                let Some(next) = hit.resolve(hit.active) else {
                    return Err((all_targets_failed(&hit), None));
                };
                if next == path {
                    if hit.kind == ReferralType::Link {
                        // A link whose target is the link itself.
                        return Err((
                            dfs_error(&DfsError::ReferralLoop {
                                path: path.to_string(),
                            }),
                            None,
                        ));
                    }
                    // A root whose target is itself: the path is on this share.
                    break;
                }
                followed
                    .record(&hit.prefix, &next)
                    .map_err(|error| (dfs_error(&error), None))?;
                landing.unchanged = landing.unchanged.min(hit.remainder.len());
                landing.hops.push(Hop { hit });
                path = next;
                continue;
            }
            match self.ask_referral(&path, credentials, logon).await {
                Ok(true) => {}
                Ok(false) => {
                    landing.physical = to_unc(&path).map_err(|error| (error, None))?;
                    return Ok(landing);
                }
                Err(error) if landing.hops.is_empty() => return Err((error, None)),
                Err(error) => return Err((error, Some(landing))),
            }
        }
        landing.physical = to_unc(&path).map_err(|error| (error, None))?;
        Ok(landing)
    }

    /// Marks the target the last hop of `landing` chose as failed, so that the next landing
    /// takes the next one. Returns whether another target is left.
    pub(crate) fn target_unreachable(&self, landing: &Landing) -> bool {
        let Some(hop) = landing.hops.last() else {
            return false;
        };
        let mut table = lock(&self.table);
        let next = table
            .dfs
            .referrals
            .mark_target_failed(&hop.hit.prefix, hop.hit.active);
        tracing::info!(
            prefix = %hop.hit.prefix,
            failed = ?hop.hit.resolve(hop.hit.active).map(|path| path.to_string()),
            next = ?next,
            "DFS target unreachable"
        );
        next.is_some()
    }

    /// Asks the referral that covers `path`, where one may exist, and caches it: of a
    /// controller when the first component is a domain, of the server when the share is a
    /// DFS share and the path goes below it. `Ok(false)`: there is none, the path is
    /// where it is.
    async fn ask_referral(
        &self,
        path: &DfsPath,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<bool, WinError> {
        let (server, Some(share)) = (path.server(), path.share()) else {
            return Ok(false);
        };
        if let Some(controllers) = self.domain_controllers(server, credentials, logon).await? {
            let root = DfsPath::parse(&format!("\\\\{server}\\{share}"))
                .map_err(|error| dfs_error(&error))?;
            for controller in &controllers {
                match self
                    .referral_of(controller, &root.request_form(), credentials, logon)
                    .await
                {
                    Ok(Some(referral)) => return self.cache_referral(&root, &referral),
                    Ok(None) => return Ok(false),
                    Err(error) if is_unreachable(&error) => {
                        tracing::info!(controller, %error, "domain controller unreachable");
                    }
                    Err(error) => return Err(error),
                }
            }
            return Err(WinError::with_cause(
                codes::ERROR_BAD_NETPATH,
                Cause::Other(format!(
                    "no controller of the domain {server} answered ({})",
                    controllers.join(", ")
                )),
            ));
        }
        if path.components().len() <= 2 {
            return Ok(false);
        }
        let share_key = format!("\\\\{server}\\{share}").to_lowercase();
        if lock(&self.table)
            .dfs
            .is_plain_share(&share_key, Instant::now())
        {
            return Ok(false);
        }
        let share_path = format!("\\\\{server}\\{share}");
        let request_path = path.request_form();
        let session = self.held_session(server, credentials, logon).await?;
        let tree = session.tree_connect(&share_path).await?;
        let is_dfs = tree.is_dfs();
        let _ = tree.disconnect().await;
        let referral = if is_dfs {
            self.count_referral_request();
            session.dfs_referral(server, &request_path).await?
        } else {
            None
        };
        if let Some(referral) = referral {
            return self.cache_referral(path, &referral);
        }
        // A DFS root has no referral for a path outside its links (Samba answers
        // STATUS_OBJECT_PATH_NOT_FOUND), but its other paths may still cross one: only a
        // share outside DFS is remembered as plain.
        if !is_dfs {
            lock(&self.table)
                .dfs
                .remember_plain_share(share_key, Instant::now());
        }
        Ok(false)
    }

    fn count_referral_request(&self) {
        lock(&self.table).dfs.referral_requests += 1;
    }

    /// Caches the referral the server gave for `request_path`.
    fn cache_referral(
        &self,
        request_path: &DfsPath,
        referral: &ReferralResponse,
    ) -> Result<bool, WinError> {
        let now = Instant::now().into_std();
        let hit = lock(&self.table)
            .dfs
            .referrals
            .insert_response(request_path, referral, now)
            .map_err(|error| dfs_error(&error))?;
        tracing::debug!(prefix = %hit.prefix, targets = hit.targets.len(), ttl = ?hit.ttl_remaining, "DFS referral cached");
        Ok(true)
    }

    /// Asks `server` for the referral of `request_path` (the form a request carries), over
    /// the session held with it.
    async fn referral_of(
        &self,
        server: &str,
        request_path: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Option<ReferralResponse>, WinError> {
        let session = self.held_session(server, credentials, logon).await?;
        self.count_referral_request();
        session.dfs_referral(server, request_path).await
    }

    /// The session with `server` held for the user as a connection's is: the one held, else
    /// a new one, held from now on. Referrals are asked over it, as Windows' DFS client asks
    /// them in the user's logon, and later connections to the server ride it (a UNC path
    /// below a namespace root the user reached through a link, say).
    async fn held_session(
        &self,
        server: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<P::Session, WinError> {
        let options = wnet_smb2::client::SessionOptions::default();
        let (session, user, reused) = self
            .session_for(server, credentials, logon, &options)
            .await?;
        if !reused {
            let mut table = lock(&self.table);
            let held = table
                .servers
                .entry(server.to_ascii_lowercase())
                .or_insert_with(|| ServerEntry {
                    session: session.clone(),
                    user,
                    credentials: credentials.cloned(),
                    logon: logon.clone(),
                    options,
                    retry_at: None,
                    failed_reconnections: 0,
                });
            if !held.session.is_connected() {
                held.session = session.clone();
            }
        }
        Ok(session)
    }

    /// The controllers of `name` when it is a domain, as MS-DFSC's DC referral names them
    /// (cached): asked of the domain's own controllers (its `_ldap._tcp.dc._msdcs` SRV
    /// records) when it is one of the host's domains, which are also asked the domain
    /// referral that names the domains they know (the trusted ones, cached); asked of the
    /// host's controllers for a domain only that referral named. `None`: not a domain.
    async fn domain_controllers(
        &self,
        name: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Option<Vec<String>>, WinError> {
        let known = lock(&self.table)
            .dfs
            .domains
            .lookup(name, Instant::now().into_std());
        if let Some(hit) = &known
            && !hit.dcs.is_empty()
        {
            return Ok(Some(hit.dcs.clone()));
        }
        let host_domain = lock(&self.table)
            .dfs
            .host_domain_named(name, Instant::now());
        let (asked, own) = if let Some(dns_name) = host_domain {
            let located = locate_controllers(&dns_name).await;
            if located.is_empty() {
                return Ok(None);
            }
            lock(&self.table).dfs.host_controllers.clone_from(&located);
            (located, true)
        } else if known.is_some() {
            (lock(&self.table).dfs.host_controllers.clone(), false)
        } else {
            return Ok(None);
        };
        let request_path = format!("\\{}", name.trim_start_matches('\\'));
        for controller in &asked {
            if own {
                self.learn_domains(controller, credentials, logon).await;
            }
            let referral = self
                .referral_of(controller, &request_path, credentials, logon)
                .await;
            match referral {
                Ok(Some(referral)) => {
                    let hit = lock(&self.table)
                        .dfs
                        .domains
                        .insert_dc_referral(name, &referral, Instant::now().into_std())
                        .map_err(|error| dfs_error(&error))?;
                    return Ok(Some(hit.dcs));
                }
                // One of the host's domains' controllers that gives no DC referral still
                // serves the domain's roots.
                Ok(None) => return Ok(own.then_some(asked)),
                Err(error) if is_unreachable(&error) => {
                    tracing::info!(controller, %error, "domain controller unreachable");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(own.then_some(asked))
    }

    /// Asks `controller` for the domain referral (the domains it knows: its own and the
    /// trusted ones) and caches the names, once while the last answer's TTL holds; a failure
    /// only means that no other domain becomes known.
    async fn learn_domains(
        &self,
        controller: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) {
        let now = Instant::now();
        if lock(&self.table)
            .dfs
            .domains_learned_until
            .is_some_and(|until| until > now)
        {
            return;
        }
        match self.referral_of(controller, "", credentials, logon).await {
            Ok(Some(referral)) => {
                let ttl = referral
                    .entries
                    .iter()
                    .map(|entry| entry.ttl_seconds)
                    .min()
                    .unwrap_or(0);
                let mut table = lock(&self.table);
                let learned = table
                    .dfs
                    .domains
                    .insert_domain_referral(&referral, now.into_std());
                tracing::debug!(controller, ?learned, "domain referral");
                table.dfs.domains_learned_until =
                    Some(now + Duration::from_secs(u64::from(ttl.max(60))));
            }
            Ok(None) => {}
            Err(error) => tracing::debug!(controller, %error, "no domain referral"),
        }
    }

    /// What lands the paths below the connected DFS share `root` (its `tree`) that cross its
    /// links, with the connection's credentials and logon; `None` for a share outside DFS, or
    /// a workstation not [shared](Workstation::shared).
    pub(super) fn link_source(
        &self,
        root: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        tree: &P::Tree,
    ) -> Option<LinkSource<P::Tree>> {
        if !tree.is_dfs() {
            return None;
        }
        let me = self.me.get()?.clone();
        let (root, credentials, logon) = (root.clone(), credentials.cloned(), logon.clone());
        Some(Arc::new(move |path: String| {
            let (me, root, credentials, logon) =
                (me.clone(), root.clone(), credentials.clone(), logon.clone());
            Box::pin(async move {
                let workstation = me.upgrade().ok_or_else(|| {
                    WinError::with_cause(
                        codes::ERROR_NETNAME_DELETED,
                        Cause::Other("the agent is stopping".into()),
                    )
                })?;
                workstation
                    .land_link(&root, &path, credentials.as_ref(), &logon)
                    .await
            })
        }))
    }

    /// Lands `path` below the DFS share `root`, connects the share it lands on (a session
    /// held for the server, as a connection's), and says how much of the path the links
    /// covered. A target that cannot be reached gives way to the next.
    async fn land_link(
        &self,
        root: &UncName,
        path: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<LinkLanding<P::Tree>, WinError> {
        let mut unc = root.clone();
        unc.path = path
            .split('\\')
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
            .collect();
        let asked = &unc;
        let (landing, tree) = self
            .connect_where_it_lands(asked, credentials, logon, |landing| async move {
                if landing.hops.is_empty() {
                    return Err(WinError::with_cause(
                        codes::ERROR_BAD_NET_NAME,
                        Cause::Other(format!(
                            "{asked} crosses a DFS link, but no referral covers it"
                        )),
                    ));
                }
                self.connect_link_target(&landing.physical, credentials, logon)
                    .await
            })
            .await?;
        let physical = &landing.physical.path;
        let kept = physical.len().saturating_sub(landing.unchanged);
        Ok(LinkLanding {
            tree,
            covered: unc.path.len().saturating_sub(landing.unchanged),
            target_path: physical.get(..kept).unwrap_or_default().join("\\"),
            ttl: landing
                .hops
                .iter()
                .map(|hop| hop.hit.ttl_remaining)
                .min()
                .unwrap_or_default(),
        })
    }

    /// Lands `unc` and runs `connect` where it landed; when that fails because the target
    /// cannot be reached, marks the target failed and lands again, on the next target, until
    /// one connects or none is left (the error then names them all). A path that no referral
    /// sent anywhere is connected once, where it is.
    pub(super) async fn connect_where_it_lands<T, F, Fut>(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
        mut connect: F,
    ) -> Result<(Landing, T), WinError>
    where
        F: FnMut(Landing) -> Fut,
        Fut: std::future::Future<Output = Result<T, WinError>>,
    {
        for _ in 0..MAX_LANDING_ATTEMPTS {
            let landing = self.land(unc, credentials, logon).await?;
            match connect(landing.clone()).await {
                Ok(connected) => return Ok((landing, connected)),
                Err(error) if !landing.hops.is_empty() && is_unreachable(&error) => {
                    if !self.target_unreachable(&landing) {
                        return Err(no_target_left(&landing, error));
                    }
                    tracing::info!(%error, target = %landing.physical, "DFS target failed; trying the next");
                }
                Err(error) => return Err(error),
            }
        }
        Err(WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::Other(format!("no DFS target of {unc} can be reached")),
        ))
    }

    /// Connects the share of `physical` over the session held for its server (made, and
    /// held, if there is none).
    pub(super) async fn connect_link_target(
        &self,
        physical: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<P::Tree, WinError> {
        let session = self
            .held_session(&physical.server, credentials, logon)
            .await?;
        session.tree_connect(&physical.resource()).await
    }

    /// The domain-based DFS namespaces of `name` when it is a domain (see
    /// [`Workstation::land`]): the disk shares of its first reachable controller for which
    /// that controller answers a root referral (`\\domain\share`), as shares of the
    /// domain. `None`: not a domain.
    pub(super) async fn domain_namespaces(
        &self,
        name: &str,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Option<Vec<ShareEntry>>, WinError> {
        let Some(controllers) = self.domain_controllers(name, credentials, logon).await? else {
            return Ok(None);
        };
        let mut last_error = None;
        for controller in &controllers {
            let shares = self
                .on_listing_session(controller, credentials, logon, |session| async move {
                    session.list_shares(controller).await
                })
                .await;
            let shares = match shares {
                Ok(shares) => shares,
                Err(error) if is_unreachable(&error) => {
                    last_error = Some(error);
                    continue;
                }
                Err(error) => return Err(error),
            };
            let mut namespaces = Vec::new();
            for share in shares {
                if share.share_type & STYPE_MASK != STYPE_DISKTREE || share.name.ends_with('$') {
                    continue;
                }
                let root = DfsPath::parse(&format!("\\\\{name}\\{}", share.name))
                    .map_err(|error| dfs_error(&error))?;
                let cached = lock(&self.table)
                    .dfs
                    .referrals
                    .lookup(&root, Instant::now().into_std())
                    .is_some();
                let referral = if cached {
                    true
                } else {
                    match self
                        .referral_of(controller, &root.request_form(), credentials, logon)
                        .await?
                    {
                        Some(referral) => self.cache_referral(&root, &referral)?,
                        None => false,
                    }
                };
                if referral {
                    namespaces.push(ShareEntry {
                        comment: format!("DFS namespace of {name}"),
                        ..share
                    });
                }
            }
            return Ok(Some(namespaces));
        }
        Err(last_error.unwrap_or_else(|| WinError::new(codes::ERROR_BAD_NETPATH)))
    }

    /// Where `unc` lands and each referral on the way, with its targets and the one in use:
    /// what `dfsutil` and NetDfsGetClientInfo show.
    pub(super) async fn dfs_targets(
        &self,
        unc: &UncName,
        credentials: Option<&WireCredentials>,
        logon: &Logon,
    ) -> Result<Response, WinError> {
        let landing = self.land(unc, credentials, logon).await?;
        let referral_requests = lock(&self.table).dfs.referral_requests;
        Ok(Response::DfsTargets {
            physical: landing.physical.clone(),
            hops: landing
                .hops
                .iter()
                .map(|hop| DfsReferralHop {
                    prefix: hop.hit.prefix.to_string(),
                    link: hop.hit.kind == ReferralType::Link,
                    targets: hop.hit.targets.iter().map(ToString::to_string).collect(),
                    active: hop.hit.active,
                    ttl_seconds: hop.hit.ttl_remaining.as_secs(),
                })
                .collect(),
            referral_requests,
        })
    }
}

/// The error when every target of a referral failed.
fn all_targets_failed(hit: &CacheHit) -> WinError {
    WinError::with_cause(codes::ERROR_BAD_NETPATH, Cause::Other(no_target_text(hit)))
}

fn no_target_text(hit: &CacheHit) -> String {
    let targets: Vec<String> = hit.targets.iter().map(ToString::to_string).collect();
    format!(
        "no target of {} can be reached ({})",
        hit.prefix,
        targets.join(", ")
    )
}

/// The error when the target `landing` chose failed with `error` and no other is left: the
/// referral's targets named, and the last failure.
pub(super) fn no_target_left(landing: &Landing, error: WinError) -> WinError {
    match landing.hops.last() {
        Some(hop) => WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::Other(format!("{}; the last: {error}", no_target_text(&hop.hit))),
        ),
        None => error,
    }
}

/// The controllers DNS names for the domain `dns_name`, in SRV order.
async fn locate_controllers(dns_name: &str) -> Vec<String> {
    let Ok(config) = wnet::dns::DnsConfig::from_env() else {
        return Vec::new();
    };
    let client = wnet::dns::DnsClient::new(config);
    match client
        .service_hosts(&wnet::domains::controllers_srv_name(dns_name))
        .await
    {
        Ok(hosts) => hosts.into_iter().map(|host| host.host).collect(),
        Err(error) => {
            tracing::debug!(dns_name, %error, "no domain controllers in DNS");
            Vec::new()
        }
    }
}
