//! DFS path resolution state, sans-IO (MS-DFSC §3.1): DFS paths, the referral cache (which
//! DFS path prefix maps to which targets), the domain cache (which names are domains and their
//! DCs) and a guard against referral loops.
//!
//! Nothing here sends a request or reads a clock: referral responses come in decoded
//! ([`crate::wire::dfs::ReferralResponse`]), time comes in as an [`Instant`], and the caller
//! does the I/O the answers call for.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use crate::wire::dfs::{ReferralKind, ReferralResponse, server_type};

/// The most referrals one path may need before resolution gives up as a loop.
pub const MAX_REFERRAL_HOPS: usize = 8;

/// The longest DFS path, in UTF-16 code units (the longest UNC path Windows accepts).
pub const MAX_PATH_UNITS: usize = 32_767;

/// The longest time a cache keeps an entry, whatever TTL the server gave: a server's TTL of
/// years would otherwise pin a target; asking again after a day costs one round trip.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a DFS operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DfsError {
    /// The referral decoded but does not make sense for what was asked.
    #[error("malformed referral for {path}: {fault:?}")]
    MalformedReferral {
        /// The path the referral was asked for.
        path: String,
        /// What is wrong with it.
        fault: ReferralFault,
    },
    /// The referral has no usable target (NumberOfReferrals 0, or no DC names).
    #[error("the referral for {path} has no targets")]
    NoTargets {
        /// The path (or domain) the referral was asked for.
        path: String,
    },
    /// Resolution came back to a (prefix, target) pair it had followed, or took more than
    /// [`MAX_REFERRAL_HOPS`] referrals.
    #[error("DFS referral loop at {path}")]
    ReferralLoop {
        /// The target that closed the loop or went one hop too far.
        path: String,
    },
    /// PathConsumed counts more than the request path holds.
    #[error("PathConsumed {consumed} exceeds the {length} UTF-16 units of {path}")]
    PathConsumedTooLong {
        /// The request path.
        path: String,
        /// PathConsumed, in UTF-16 code units.
        consumed: u16,
        /// The request path's length in the form it was sent (`\server\share\...`).
        length: usize,
    },
    /// A path is not a DFS path this client will follow.
    #[error("bad DFS path {path:?}: {problem:?}")]
    BadPath {
        /// The text, as given.
        path: String,
        /// What is wrong with it.
        problem: PathProblem,
    },
}

/// What makes a referral unusable for the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralFault {
    /// PathConsumed covers less than the server and share of the request path.
    PrefixShorterThanShare,
    /// A root or link referral holds a NameList (domain or DC) entry.
    NameListInTargetReferral,
}

/// What makes a text not a DFS path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// No components at all.
    Empty,
    /// Two separators in a row after the leading ones.
    EmptyComponent,
    /// A `.` or `..` component.
    DotComponent,
    /// A NUL character.
    Nul,
    /// Longer than [`MAX_PATH_UNITS`].
    TooLong,
}

/// A DFS path, `\\server\share\rest…`, as its components. Comparison ignores case (ASCII and
/// Unicode simple lowercase), on whole components.
#[derive(Debug, Clone)]
pub struct DfsPath {
    components: Vec<String>,
}

/// The case-folded form components are compared in.
fn fold(component: &str) -> String {
    component.chars().flat_map(char::to_lowercase).collect()
}

fn folded(components: &[String]) -> Vec<String> {
    components.iter().map(|component| fold(component)).collect()
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

impl DfsPath {
    /// Parses `\\server\share\rest`, `\server\share\rest` (the form referral requests and
    /// targets use) or `server\share`; one trailing separator is ignored. Empty components,
    /// `.` and `..`, NULs and paths over [`MAX_PATH_UNITS`] are refused.
    pub fn parse(text: &str) -> Result<DfsPath, DfsError> {
        let error = |problem| DfsError::BadPath {
            path: text.to_owned(),
            problem,
        };
        if text.contains('\0') {
            return Err(error(PathProblem::Nul));
        }
        if utf16_len(text) > MAX_PATH_UNITS {
            return Err(error(PathProblem::TooLong));
        }
        let body = text.strip_prefix('\\').unwrap_or(text);
        let body = body.strip_prefix('\\').unwrap_or(body);
        let body = body.strip_suffix('\\').unwrap_or(body);
        if body.is_empty() {
            return Err(error(PathProblem::Empty));
        }
        let components = body
            .split('\\')
            .map(|component| match component {
                "" => Err(error(PathProblem::EmptyComponent)),
                "." | ".." => Err(error(PathProblem::DotComponent)),
                _ => Ok(component.to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DfsPath { components })
    }

    /// The components: server, share, then the rest.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The server (or domain) component.
    pub fn server(&self) -> &str {
        self.components.first().map_or("", String::as_str)
    }

    /// The share (or DFS root) component, if there is one.
    pub fn share(&self) -> Option<&str> {
        self.components.get(1).map(String::as_str)
    }

    /// The form referral requests carry (MS-DFSC §3.1.4.2): `\server\share\rest`, one
    /// leading backslash.
    pub fn request_form(&self) -> String {
        let mut text = String::new();
        for component in &self.components {
            text.push('\\');
            text.push_str(component);
        }
        text
    }

    /// Whether `prefix`'s components begin this path's, ignoring case.
    pub fn starts_with(&self, prefix: &DfsPath) -> bool {
        prefix.components.len() <= self.components.len()
            && prefix
                .components
                .iter()
                .zip(&self.components)
                .all(|(a, b)| fold(a) == fold(b))
    }

    /// This path with `more` components appended (components of a parsed path, so already
    /// checked).
    fn joined(&self, more: &[String]) -> DfsPath {
        let mut components = self.components.clone();
        components.extend(more.iter().cloned());
        DfsPath { components }
    }

    fn key(&self) -> Vec<String> {
        folded(&self.components)
    }
}

impl PartialEq for DfsPath {
    fn eq(&self, other: &DfsPath) -> bool {
        self.components.len() == other.components.len() && self.starts_with(other)
    }
}

impl Eq for DfsPath {}

impl fmt::Display for DfsPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "\\{}", self.request_form())
    }
}

impl std::str::FromStr for DfsPath {
    type Err = DfsError;

    fn from_str(text: &str) -> Result<DfsPath, DfsError> {
        DfsPath::parse(text)
    }
}

/// Whether a referral is for a DFS root or a link under one (MS-DFSC §2.2.5.2 ServerType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralType {
    /// A root referral: the targets are root targets.
    Root,
    /// A link referral: the targets hold the link's folder (or, for an interlink, another
    /// namespace).
    Link,
}

/// What the referral cache knows about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHit {
    /// The DFS path prefix the referral covers.
    pub prefix: DfsPath,
    /// The components of the looked-up path after the prefix.
    pub remainder: Vec<String>,
    /// Root or link.
    pub kind: ReferralType,
    /// The link leads into another DFS namespace: a path resolved through it needs another
    /// referral.
    pub interlink: bool,
    /// The targets, in the order the server gave (site-cost order; never reordered).
    pub targets: Vec<DfsPath>,
    /// The indices in `targets` where a new target set begins (referral version 4's
    /// TargetSetBoundary; empty before version 4).
    pub target_set_starts: Vec<usize>,
    /// The target to use.
    pub active: usize,
    /// How long the entry stays valid.
    pub ttl_remaining: Duration,
}

impl CacheHit {
    /// Target `target_index` with the remainder appended: the path to open there, or `None`
    /// when there is no such target.
    pub fn resolve(&self, target_index: usize) -> Option<DfsPath> {
        self.targets
            .get(target_index)
            .map(|target| target.joined(&self.remainder))
    }
}

/// One referral cache entry.
#[derive(Debug, Clone)]
struct ReferralCacheEntry {
    prefix: DfsPath,
    kind: ReferralType,
    interlink: bool,
    targets: Vec<DfsPath>,
    target_set_starts: Vec<usize>,
    active: usize,
    failed: Vec<bool>,
    expires: Instant,
}

impl ReferralCacheEntry {
    fn hit(&self, remainder: Vec<String>, now: Instant) -> CacheHit {
        CacheHit {
            prefix: self.prefix.clone(),
            remainder,
            kind: self.kind,
            interlink: self.interlink,
            targets: self.targets.clone(),
            target_set_starts: self.target_set_starts.clone(),
            active: self.active,
            ttl_remaining: self.expires.saturating_duration_since(now),
        }
    }
}

/// A map bounded to a number of entries that evicts the least recently used.
#[derive(Debug, Clone)]
struct LruMap<K, V> {
    entries: HashMap<K, (V, u64)>,
    max_entries: usize,
    clock: u64,
}

impl<K: std::hash::Hash + Eq + Clone, V> LruMap<K, V> {
    fn new(max_entries: usize) -> LruMap<K, V> {
        LruMap {
            entries: HashMap::new(),
            max_entries: max_entries.max(1),
            clock: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let now = self.tick();
        self.entries.get_mut(key).map(|(value, used)| {
            *used = now;
            value
        })
    }

    fn peek(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(value, _)| value)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|(value, _)| value)
    }

    /// Inserts, first dropping what `expired` says is stale, then the least recently used
    /// entries while the map is full.
    fn insert(&mut self, key: K, value: V, expired: impl Fn(&V) -> bool) {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.max_entries {
            self.entries.retain(|_, (value, _)| !expired(value));
        }
        while !self.entries.contains_key(&key) && self.entries.len() >= self.max_entries {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(oldest) => self.entries.remove(&oldest),
                None => break,
            };
        }
        let now = self.tick();
        self.entries.insert(key, (value, now));
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.values().map(|(value, _)| value)
    }
}

/// The referral cache (MS-DFSC §3.1.1 ReferralCache): DFS path prefixes and their targets,
/// each until its TTL runs out, at most `max_entries` of them (the least recently used go
/// first).
#[derive(Debug, Clone)]
pub struct ReferralCache {
    entries: LruMap<Vec<String>, ReferralCacheEntry>,
}

impl ReferralCache {
    /// An empty cache holding at most `max_entries` (at least one).
    pub fn new(max_entries: usize) -> ReferralCache {
        ReferralCache {
            entries: LruMap::new(max_entries),
        }
    }

    /// Caches a root or link referral that answered a request for `request_path`.
    ///
    /// The entry covers the first PathConsumed units of the request path, as whole
    /// components. Its TTL is the smallest of the entries' TTLs (capped at [`MAX_TTL`]):
    /// every target stays valid for the whole of the entry's life, and Windows servers give
    /// every entry the same TTL anyway, so the minimum only matters when a server mixes them.
    /// Re-inserting an entry that has not expired keeps its active target when that target
    /// is still offered; an expired one (or a new one) starts at the first target
    /// (failback).
    pub fn insert_response(
        &mut self,
        request_path: &DfsPath,
        response: &ReferralResponse,
        now: Instant,
    ) -> Result<CacheHit, DfsError> {
        let malformed = |fault| DfsError::MalformedReferral {
            path: request_path.to_string(),
            fault,
        };
        let Some(first) = response.entries.first() else {
            return Err(DfsError::NoTargets {
                path: request_path.to_string(),
            });
        };
        let prefix = consumed_prefix(request_path, response.path_consumed_chars)?;
        if prefix.components.len() < 2 {
            return Err(malformed(ReferralFault::PrefixShorterThanShare));
        }
        let mut targets = Vec::with_capacity(response.entries.len());
        let mut target_set_starts = Vec::new();
        for (index, entry) in response.entries.iter().enumerate() {
            let ReferralKind::Target {
                network_address, ..
            } = &entry.kind
            else {
                return Err(malformed(ReferralFault::NameListInTargetReferral));
            };
            targets.push(DfsPath::parse(network_address)?);
            if entry.is_target_set_boundary() {
                target_set_starts.push(index);
            }
        }
        // A referral for a share itself is a root's, whatever its ServerType says (Samba's
        // domain roots say non-root); below a share, ServerType decides.
        let kind = if first.server_type == server_type::ROOT || prefix.components.len() <= 2 {
            ReferralType::Root
        } else {
            ReferralType::Link
        };
        // MS-DFSC §3.1.5.4.3: a link whose targets answer referrals themselves
        // (ReferralServers) rather than hold storage (StorageServers) leads into another
        // namespace.
        let interlink = kind == ReferralType::Link
            && response.referral_servers()
            && !response.storage_servers();
        let ttl_seconds = response
            .entries
            .iter()
            .map(|entry| entry.ttl_seconds)
            .min()
            .unwrap_or(0);
        let ttl = Duration::from_secs(u64::from(ttl_seconds)).min(MAX_TTL);
        let expires = now.checked_add(ttl).unwrap_or(now);
        let key = prefix.key();
        let active = self
            .entries
            .peek(&key)
            .filter(|old| old.expires > now)
            .and_then(|old| old.targets.get(old.active))
            .and_then(|old_target| targets.iter().position(|target| target == old_target))
            .unwrap_or(0);
        let entry = ReferralCacheEntry {
            prefix,
            kind,
            interlink,
            failed: vec![false; targets.len()],
            targets,
            target_set_starts,
            active,
            expires,
        };
        let remainder = request_path
            .components
            .get(entry.prefix.components.len()..)
            .unwrap_or_default()
            .to_vec();
        let hit = entry.hit(remainder, now);
        self.entries
            .insert(key, entry, |entry| entry.expires <= now);
        Ok(hit)
    }

    /// The unexpired entry with the longest prefix (in whole components) of `path`; expired
    /// entries met on the way are removed.
    pub fn lookup(&mut self, path: &DfsPath, now: Instant) -> Option<CacheHit> {
        let key = path.key();
        for length in (1..=key.len()).rev() {
            let prefix = key.get(..length).unwrap_or_default().to_vec();
            let Some(entry) = self.entries.get_mut(&prefix) else {
                continue;
            };
            if entry.expires <= now {
                self.entries.remove(&prefix);
                continue;
            }
            let remainder = path.components.get(length..).unwrap_or_default().to_vec();
            return Some(entry.hit(remainder, now));
        }
        None
    }

    /// Records that target `target_index` of the entry for `prefix` failed and makes the next
    /// untried target (in the server's order, wrapping) the active one, returning it; `None`
    /// when every target has failed or there is no such entry or target.
    pub fn mark_target_failed(&mut self, prefix: &DfsPath, target_index: usize) -> Option<usize> {
        let entry = self.entries.get_mut(&prefix.key())?;
        *entry.failed.get_mut(target_index)? = true;
        let count = entry.targets.len();
        let next = (1..=count)
            .map(|step| (target_index + step) % count)
            .find(|&index| !entry.failed.get(index).copied().unwrap_or(true))?;
        entry.active = next;
        Some(next)
    }

    /// Makes target `target_index` the active one for `prefix` (after connecting to it) and
    /// forgets earlier failures; false when there is no such entry or target.
    pub fn set_active(&mut self, prefix: &DfsPath, target_index: usize) -> bool {
        match self.entries.get_mut(&prefix.key()) {
            Some(entry) if target_index < entry.targets.len() => {
                entry.active = target_index;
                entry.failed.iter_mut().for_each(|failed| *failed = false);
                true
            }
            _ => false,
        }
    }

    /// How many entries the cache holds (expired ones included until they are met).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// The unexpired entries, for display, sorted by prefix (each with an empty remainder).
    pub fn entries(&self, now: Instant) -> Vec<CacheHit> {
        let mut hits: Vec<_> = self
            .entries
            .values()
            .filter(|entry| entry.expires > now)
            .map(|entry| entry.hit(Vec::new(), now))
            .collect();
        hits.sort_by_key(|hit| hit.prefix.key());
        hits
    }
}

/// The prefix of `request_path` that `consumed` UTF-16 units cover, in whole components.
///
/// MS-DFSC counts PathConsumed in the request's own form, `\server\share\...` with one
/// leading backslash (Samba trims the request to that form before counting). Some servers
/// count the request as `\\server\...` (one more), others without the leading backslash (one
/// less), and some count a trailing separator: each form is tried in that order and the first
/// in which the count ends exactly at a component (or just past its separator) wins. A count
/// that fits none is rounded down to the components it covers whole in the one-backslash
/// form, so the cache never claims more than the server did. A count past the request plus
/// one unit (the second leading backslash) is refused.
fn consumed_prefix(request_path: &DfsPath, consumed: u16) -> Result<DfsPath, DfsError> {
    let lengths: Vec<usize> = request_path
        .components
        .iter()
        .map(|component| utf16_len(component))
        .collect();
    let sent_length = lengths.iter().map(|length| length + 1).sum::<usize>();
    let consumed_units = usize::from(consumed);
    if consumed_units > sent_length + 1 {
        return Err(DfsError::PathConsumedTooLong {
            path: request_path.to_string(),
            consumed,
            length: sent_length,
        });
    }
    // The offset just past component j, in a form with `leading` separators before the server.
    let ends = |leading: usize| {
        lengths.iter().scan(leading, |end, length| {
            *end += length;
            let this = *end;
            *end += 1;
            Some(this)
        })
    };
    let exact = [1, 2, 0].into_iter().find_map(|leading| {
        ends(leading)
            .position(|end| consumed_units == end || consumed_units == end + 1)
            .map(|index| index + 1)
    });
    let count = exact.unwrap_or_else(|| ends(1).take_while(|&end| end <= consumed_units).count());
    Ok(DfsPath {
        components: request_path
            .components
            .get(..count)
            .unwrap_or_default()
            .to_vec(),
    })
}

/// Guards one resolution against referral loops: each (prefix, target) followed is recorded,
/// and coming back to one, or following more than [`MAX_REFERRAL_HOPS`], is an error.
#[derive(Debug, Clone, Default)]
pub struct ReferralHops {
    visited: Vec<(Vec<String>, Vec<String>)>,
}

impl ReferralHops {
    /// A guard with nothing followed yet.
    pub fn new() -> ReferralHops {
        ReferralHops::default()
    }

    /// Records following `prefix` to `target`; [`DfsError::ReferralLoop`] when that pair
    /// was followed before or this is one hop more than [`MAX_REFERRAL_HOPS`].
    pub fn record(&mut self, prefix: &DfsPath, target: &DfsPath) -> Result<(), DfsError> {
        let pair = (prefix.key(), target.key());
        if self.visited.contains(&pair) || self.visited.len() >= MAX_REFERRAL_HOPS {
            return Err(DfsError::ReferralLoop {
                path: target.to_string(),
            });
        }
        self.visited.push(pair);
        Ok(())
    }

    /// How many referrals have been followed.
    pub fn hops(&self) -> usize {
        self.visited.len()
    }
}

/// What the domain cache knows about a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainHit {
    /// The domain name as first given.
    pub domain: String,
    /// Its DCs, in the order the DC referral gave (empty when only a domain referral named
    /// it).
    pub dcs: Vec<String>,
    /// How long the entry stays valid.
    pub ttl_remaining: Duration,
}

#[derive(Debug, Clone)]
struct DomainCacheEntry {
    domain: String,
    dcs: Vec<String>,
    expires: Instant,
}

/// The domain cache (MS-DFSC §3.1.1 DomainCache): domain names (NetBIOS or DNS, compared
/// ignoring case) and their DCs, each until its TTL runs out, at most `max_entries` of them
/// (the least recently used go first).
#[derive(Debug, Clone)]
pub struct DomainCache {
    entries: LruMap<String, DomainCacheEntry>,
}

/// A domain or DC name without the leading backslashes referrals give it
/// (`\corp.example`).
fn bare_name(name: &str) -> &str {
    name.trim_start_matches('\\')
}

impl DomainCache {
    /// An empty cache holding at most `max_entries` (at least one).
    pub fn new(max_entries: usize) -> DomainCache {
        DomainCache {
            entries: LruMap::new(max_entries),
        }
    }

    fn put(&mut self, domain: &str, dcs: Vec<String>, ttl_seconds: u32, now: Instant) {
        let ttl = Duration::from_secs(u64::from(ttl_seconds)).min(MAX_TTL);
        let entry = DomainCacheEntry {
            domain: domain.to_owned(),
            dcs,
            expires: now.checked_add(ttl).unwrap_or(now),
        };
        self.entries
            .insert(fold(domain), entry, |entry| entry.expires <= now);
    }

    /// Caches the DCs a DC referral (MS-DFSC §3.1.4.2, a request for `\domain`) names for
    /// `domain`: the first NameList entry with expanded names, with that entry's TTL.
    pub fn insert_dc_referral(
        &mut self,
        domain: &str,
        response: &ReferralResponse,
        now: Instant,
    ) -> Result<DomainHit, DfsError> {
        let domain = bare_name(domain);
        let found = response.entries.iter().find_map(|entry| match &entry.kind {
            ReferralKind::NameList { expanded_names, .. } if !expanded_names.is_empty() => {
                Some((expanded_names, entry.ttl_seconds))
            }
            _ => None,
        });
        let Some((names, ttl_seconds)) = found.filter(|_| !domain.is_empty()) else {
            return Err(DfsError::NoTargets {
                path: domain.to_owned(),
            });
        };
        let dcs: Vec<String> = names
            .iter()
            .map(|name| bare_name(name).to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        self.put(domain, dcs, ttl_seconds, now);
        self.lookup(domain, now).ok_or(DfsError::NoTargets {
            path: domain.to_owned(),
        })
    }

    /// Caches the domains a domain referral (a request for the empty path) names: each
    /// NameList entry's SpecialName, with its TTL. A domain already cached with DCs keeps
    /// them and its expiry. Returns how many domains the referral named.
    pub fn insert_domain_referral(
        &mut self,
        response: &ReferralResponse,
        now: Instant,
    ) -> Result<usize, DfsError> {
        let mut count = 0;
        for entry in &response.entries {
            let ReferralKind::NameList { special_name, .. } = &entry.kind else {
                continue;
            };
            let domain = bare_name(special_name);
            if domain.is_empty() {
                continue;
            }
            count += 1;
            let has_dcs = self
                .entries
                .peek(&fold(domain))
                .is_some_and(|old| old.expires > now && !old.dcs.is_empty());
            if !has_dcs {
                self.put(domain, Vec::new(), entry.ttl_seconds, now);
            }
        }
        if count == 0 {
            return Err(DfsError::NoTargets {
                path: String::new(),
            });
        }
        Ok(count)
    }

    /// The unexpired entry for `domain` (ignoring case and leading backslashes); an expired
    /// one is removed.
    pub fn lookup(&mut self, domain: &str, now: Instant) -> Option<DomainHit> {
        let key = fold(bare_name(domain));
        let entry = self.entries.get_mut(&key)?;
        if entry.expires <= now {
            self.entries.remove(&key);
            return None;
        }
        Some(DomainHit {
            domain: entry.domain.clone(),
            dcs: entry.dcs.clone(),
            ttl_remaining: entry.expires.saturating_duration_since(now),
        })
    }

    /// Whether `name` is a domain the cache knows (so `\\name\x` is a domain-based DFS path).
    pub fn is_domain(&mut self, name: &str, now: Instant) -> bool {
        self.lookup(name, now).is_some()
    }

    /// How many entries the cache holds (expired ones included until they are met).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }
}

#[cfg(test)]
mod tests;
