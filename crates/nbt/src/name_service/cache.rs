//! The resolver's name cache: answers kept for as long as their TTL allows (`nbtstat -c`).
//!
//! Generic over the name type, like the local name table. Bounded: when full, the entry that
//! expires first makes room.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedName {
    /// The addresses the name maps to (every member, for a group name).
    pub addresses: Vec<Ipv4Addr>,
    /// Whether the name is a group name.
    pub group: bool,
    /// When the answer stops being valid.
    pub expires_at: Instant,
}

impl CachedName {
    /// How long the answer stays valid after `now` (zero once expired).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }
}

/// Answers by name, each until its TTL runs out.
#[derive(Debug, Clone)]
pub struct NameCache<N> {
    capacity: usize,
    entries: HashMap<N, CachedName>,
}

impl<N: Clone + Eq + Hash> NameCache<N> {
    /// A cache of at most `capacity` names.
    pub fn new(capacity: usize) -> Self {
        NameCache {
            capacity,
            entries: HashMap::new(),
        }
    }

    /// The answer for `name` if it is still valid at `now`.
    pub fn get(&self, name: &N, now: Instant) -> Option<&CachedName> {
        self.entries
            .get(name)
            .filter(|entry| entry.expires_at > now)
    }

    /// Keeps an answer for `ttl`. A zero TTL, or no addresses, keeps nothing (RFC 1002 §4.2.13:
    /// a TTL of zero means the answer must not be cached).
    pub fn insert(
        &mut self,
        name: N,
        addresses: Vec<Ipv4Addr>,
        group: bool,
        ttl: Duration,
        now: Instant,
    ) {
        if ttl.is_zero() || addresses.is_empty() || self.capacity == 0 {
            return;
        }
        self.purge(now);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&name) {
            let soonest = self
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.expires_at)
                .map(|(name, _)| name.clone());
            if let Some(soonest) = soonest {
                self.entries.remove(&soonest);
            }
        }
        self.entries.insert(
            name,
            CachedName {
                addresses,
                group,
                expires_at: now + ttl,
            },
        );
    }

    /// Forgets `name`.
    pub fn remove(&mut self, name: &N) {
        self.entries.remove(name);
    }

    /// Drops every answer that has expired at `now`.
    pub fn purge(&mut self, now: Instant) {
        self.entries.retain(|_, entry| entry.expires_at > now);
    }

    /// The valid answers at `now`, soonest to expire first.
    pub fn entries(&self, now: Instant) -> Vec<(&N, &CachedName)> {
        let mut valid: Vec<(&N, &CachedName)> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.expires_at > now)
            .collect();
        valid.sort_by_key(|(_, entry)| entry.expires_at);
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn address(last: u8) -> Vec<Ipv4Addr> {
        vec![Ipv4Addr::new(198, 51, 100, last)]
    }

    #[test]
    fn answers_live_exactly_as_long_as_their_ttl() {
        let mut cache = NameCache::new(8);
        let now = Instant::now();
        cache.insert("FRED", address(1), false, 10 * SECOND, now);
        assert_eq!(
            cache.get(&"FRED", now + 9 * SECOND).unwrap().addresses,
            address(1)
        );
        assert_eq!(
            cache
                .get(&"FRED", now + 9 * SECOND)
                .unwrap()
                .remaining(now + 9 * SECOND),
            SECOND
        );
        assert!(cache.get(&"FRED", now + 10 * SECOND).is_none());
        assert!(cache.entries(now + 11 * SECOND).is_empty());
    }

    #[test]
    fn zero_ttls_and_empty_answers_are_not_kept() {
        let mut cache = NameCache::new(8);
        let now = Instant::now();
        cache.insert("FRED", address(1), false, Duration::ZERO, now);
        cache.insert("BARNEY", Vec::new(), true, SECOND, now);
        assert!(cache.entries(now).is_empty());
    }

    #[test]
    fn a_full_cache_evicts_the_answer_that_expires_first() {
        let mut cache = NameCache::new(2);
        let now = Instant::now();
        cache.insert("LONG", address(1), false, 100 * SECOND, now);
        cache.insert("SHORT", address(2), false, 5 * SECOND, now);
        cache.insert("NEW", address(3), true, 50 * SECOND, now);
        let names: Vec<&str> = cache.entries(now).iter().map(|(name, _)| **name).collect();
        assert_eq!(names, ["NEW", "LONG"]);
        cache.insert("NEW", address(4), true, 60 * SECOND, now);
        assert_eq!(cache.entries(now).len(), 2);
        assert_eq!(cache.get(&"NEW", now).unwrap().addresses, address(4));
        cache.remove(&"NEW");
        assert!(cache.get(&"NEW", now).is_none());
    }
}
