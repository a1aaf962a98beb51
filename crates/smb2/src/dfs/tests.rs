use super::*;
use crate::wire::dfs::{ReferralEntry, entry_flags, header_flags};

fn path(text: &str) -> DfsPath {
    DfsPath::parse(text).unwrap()
}

fn target(address: &str, server: u16, ttl: u32, flags: u16) -> ReferralEntry {
    ReferralEntry {
        version: 4,
        server_type: server,
        entry_flags: flags,
        ttl_seconds: ttl,
        proximity: 0,
        kind: ReferralKind::Target {
            dfs_path: String::new(),
            dfs_alternate_path: String::new(),
            network_address: address.into(),
        },
    }
}

/// A root (server type 1) or link referral consuming `consumed` of the request path.
fn referral(consumed: &str, root: bool, ttl: u32, addresses: &[&str]) -> ReferralResponse {
    let server = if root { server_type::ROOT } else { 0 };
    ReferralResponse {
        path_consumed_chars: consumed.encode_utf16().count() as u16,
        header_flags: if root {
            header_flags::REFERRAL_SERVERS | header_flags::STORAGE_SERVERS
        } else {
            header_flags::STORAGE_SERVERS
        },
        entries: addresses
            .iter()
            .map(|address| target(address, server, ttl, 0))
            .collect(),
    }
}

fn name_list(special: &str, expanded: &[&str], ttl: u32) -> ReferralEntry {
    ReferralEntry {
        version: 3,
        server_type: 0,
        entry_flags: entry_flags::NAME_LIST_REFERRAL,
        ttl_seconds: ttl,
        proximity: 0,
        kind: ReferralKind::NameList {
            special_name: special.into(),
            expanded_names: expanded.iter().map(|name| (*name).into()).collect(),
        },
    }
}

#[test]
fn parses_displays_and_compares_paths() {
    let parsed = path("\\\\FS1\\Dfs\\Ünïcode\\x");
    assert_eq!(parsed.components(), ["FS1", "Dfs", "Ünïcode", "x"]);
    assert_eq!(parsed.to_string(), "\\\\FS1\\Dfs\\Ünïcode\\x");
    assert_eq!(parsed.request_form(), "\\FS1\\Dfs\\Ünïcode\\x");
    assert_eq!((parsed.server(), parsed.share()), ("FS1", Some("Dfs")));
    assert_eq!(path("\\fs1\\dfs\\ünïcode\\X"), parsed);
    assert_eq!(path("fs1\\dfs\\"), path("\\\\fs1\\dfs"));
    assert!(parsed.starts_with(&path("\\\\fs1\\DFS")));
    assert!(!parsed.starts_with(&path("\\\\fs1\\df")));
    assert!(!path("\\\\fs1\\dfs").starts_with(&parsed));
    let problem = |text: &str| match DfsPath::parse(text) {
        Err(DfsError::BadPath { problem, .. }) => problem,
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(problem(""), PathProblem::Empty);
    assert_eq!(problem("\\\\"), PathProblem::Empty);
    assert_eq!(problem("\\\\a\\\\b"), PathProblem::EmptyComponent);
    assert_eq!(problem("\\\\\\a"), PathProblem::EmptyComponent);
    assert_eq!(problem("\\\\a\\b\\\\"), PathProblem::EmptyComponent);
    assert_eq!(problem("\\\\a\\..\\b"), PathProblem::DotComponent);
    assert_eq!(problem("\\\\a\\.\\b"), PathProblem::DotComponent);
    assert_eq!(problem("\\\\a\\b\0c"), PathProblem::Nul);
    assert_eq!(problem(&"a\\".repeat(20_000)), PathProblem::TooLong);
    assert_eq!("\\\\a\\b".parse::<DfsPath>().unwrap(), path("a\\b"));
}

#[test]
fn caches_a_root_referral_and_resolves_the_remainder() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(8);
    let request = path("\\\\corp\\dfs\\docs\\a.txt");
    let response = referral("\\corp\\dfs", true, 300, &["\\fs2\\dfs", "\\fs1\\dfs"]);
    let hit = cache.insert_response(&request, &response, now).unwrap();
    assert_eq!(hit.prefix, path("\\\\corp\\dfs"));
    assert_eq!(hit.remainder, ["docs", "a.txt"]);
    assert_eq!(hit.kind, ReferralType::Root);
    assert!(!hit.interlink);
    assert_eq!(hit.targets, [path("\\\\fs2\\dfs"), path("\\\\fs1\\dfs")]);
    assert_eq!(hit.active, 0);
    assert_eq!(hit.ttl_remaining, Duration::from_secs(300));
    assert_eq!(hit.resolve(1), Some(path("\\\\fs1\\dfs\\docs\\a.txt")));
    assert_eq!(hit.resolve(2), None);

    let later = now + Duration::from_secs(100);
    let hit = cache
        .lookup(&path("\\\\CORP\\DFS\\Other\\b"), later)
        .unwrap();
    assert_eq!(hit.remainder, ["Other", "b"]);
    assert_eq!(hit.ttl_remaining, Duration::from_secs(200));
    assert_eq!(
        hit.resolve(0).unwrap().to_string(),
        "\\\\fs2\\dfs\\Other\\b"
    );
    assert!(cache.lookup(&path("\\\\corp\\dfsx\\a"), later).is_none());
    assert!(cache.lookup(&path("\\\\corp"), later).is_none());
}

#[test]
fn the_longest_prefix_wins_for_nested_entries() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(8);
    cache
        .insert_response(
            &path("\\\\fs1\\dfs"),
            &referral("\\fs1\\dfs", true, 300, &["\\fs1\\dfs"]),
            now,
        )
        .unwrap();
    cache
        .insert_response(
            &path("\\\\fs1\\dfs\\nested\\deep"),
            &referral("\\fs1\\dfs\\nested", false, 300, &["\\fs9\\share\\n"]),
            now,
        )
        .unwrap();
    let hit = cache
        .lookup(&path("\\\\fs1\\dfs\\nested\\deep\\x"), now)
        .unwrap();
    assert_eq!(hit.prefix, path("\\\\fs1\\dfs\\nested"));
    assert_eq!(hit.kind, ReferralType::Link);
    assert_eq!(hit.remainder, ["deep", "x"]);
    assert_eq!(
        hit.resolve(hit.active),
        Some(path("\\\\fs9\\share\\n\\deep\\x"))
    );
    let hit = cache
        .lookup(&path("\\\\fs1\\dfs\\nestedx\\deep"), now)
        .unwrap();
    assert_eq!(hit.prefix, path("\\\\fs1\\dfs"));
    let shown: Vec<String> = cache
        .entries(now)
        .iter()
        .map(|hit| hit.prefix.to_string())
        .collect();
    assert_eq!(shown, ["\\\\fs1\\dfs", "\\\\fs1\\dfs\\nested"]);
}

#[test]
fn ttl_is_the_smallest_and_expired_entries_go() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(8);
    let mut response = referral("\\d\\r", true, 900, &["\\a\\r", "\\b\\r"]);
    response.entries[1].ttl_seconds = 60;
    let hit = cache
        .insert_response(&path("\\\\d\\r"), &response, now)
        .unwrap();
    assert_eq!(hit.ttl_remaining, Duration::from_secs(60));
    assert!(
        cache
            .lookup(&path("\\\\d\\r\\x"), now + Duration::from_secs(59))
            .is_some()
    );
    assert!(
        cache
            .lookup(&path("\\\\d\\r\\x"), now + Duration::from_secs(60))
            .is_none()
    );
    assert_eq!(cache.len(), 0);
    response.entries[0].ttl_seconds = u32::MAX;
    response.entries[1].ttl_seconds = u32::MAX;
    let hit = cache
        .insert_response(&path("\\\\d\\r"), &response, now)
        .unwrap();
    assert_eq!(hit.ttl_remaining, MAX_TTL);
}

#[test]
fn failover_walks_the_targets_in_order_and_failback_follows_expiry() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(8);
    let prefix = path("\\\\d\\r");
    let response = referral("\\d\\r", true, 60, &["\\a\\r", "\\b\\r", "\\c\\r"]);
    cache.insert_response(&prefix, &response, now).unwrap();
    assert_eq!(cache.mark_target_failed(&prefix, 0), Some(1));
    assert_eq!(cache.lookup(&prefix, now).unwrap().active, 1);
    // A refresh before expiry keeps the target in use.
    let hit = cache.insert_response(&prefix, &response, now).unwrap();
    assert_eq!(hit.active, 1);
    assert_eq!(cache.mark_target_failed(&prefix, 1), Some(2));
    assert_eq!(cache.mark_target_failed(&prefix, 2), Some(0));
    assert_eq!(cache.mark_target_failed(&prefix, 0), None);
    assert_eq!(cache.mark_target_failed(&prefix, 7), None);
    assert_eq!(cache.mark_target_failed(&path("\\\\x\\y"), 0), None);
    assert!(cache.set_active(&prefix, 2));
    assert!(!cache.set_active(&prefix, 3));
    assert_eq!(cache.mark_target_failed(&prefix, 2), Some(0));
    // Targets are never reordered, and after expiry the first target is tried again.
    let later = now + Duration::from_secs(61);
    let hit = cache.insert_response(&prefix, &response, later).unwrap();
    assert_eq!(hit.active, 0);
    assert_eq!(
        hit.targets,
        [path("\\\\a\\r"), path("\\\\b\\r"), path("\\\\c\\r")]
    );
}

#[test]
fn interlinks_and_target_sets_are_kept() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(8);
    let mut response = referral(
        "\\d\\r\\link",
        false,
        60,
        &["\\other\\ns", "\\b\\s", "\\c\\s"],
    );
    response.header_flags = header_flags::REFERRAL_SERVERS;
    response.entries[0].entry_flags = entry_flags::TARGET_SET_BOUNDARY;
    response.entries[2].entry_flags = entry_flags::TARGET_SET_BOUNDARY;
    let hit = cache
        .insert_response(&path("\\\\d\\r\\link\\x"), &response, now)
        .unwrap();
    assert!(hit.interlink);
    assert_eq!(hit.target_set_starts, [0, 2]);
    response.header_flags |= header_flags::STORAGE_SERVERS;
    let hit = cache
        .insert_response(&path("\\\\d\\r\\link\\x"), &response, now)
        .unwrap();
    assert!(!hit.interlink);
}

#[test]
fn path_consumed_in_any_counting_gives_whole_components() {
    let request = path("\\\\fs1\\dfs\\link\\x");
    let prefix = |consumed: u16| consumed_prefix(&request, consumed).map(|p| p.to_string());
    // `\fs1\dfs\link` is 13 units as sent; `\\fs1...` 14; `fs1\...` 12; a trailing `\` 14.
    for consumed in [13, 14, 12] {
        assert_eq!(prefix(consumed).unwrap(), "\\\\fs1\\dfs\\link");
    }
    assert_eq!(prefix(9).unwrap(), "\\\\fs1\\dfs");
    // Inside a component: rounded down.
    assert_eq!(prefix(11).unwrap(), "\\\\fs1\\dfs");
    assert_eq!(prefix(15).unwrap(), "\\\\fs1\\dfs\\link\\x");
    assert_eq!(prefix(16).unwrap(), "\\\\fs1\\dfs\\link\\x");
    assert!(matches!(
        consumed_prefix(&request, 17),
        Err(DfsError::PathConsumedTooLong {
            consumed: 17,
            length: 15,
            ..
        })
    ));
    let mut cache = ReferralCache::new(4);
    let now = Instant::now();
    let too_short = referral("\\fs1", true, 60, &["\\a\\b"]);
    assert!(matches!(
        cache.insert_response(&request, &too_short, now),
        Err(DfsError::MalformedReferral {
            fault: ReferralFault::PrefixShorterThanShare,
            ..
        })
    ));
}

#[test]
fn unusable_referrals_are_refused() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(4);
    let request = path("\\\\d\\r");
    let empty = referral("\\d\\r", true, 60, &[]);
    assert!(matches!(
        cache.insert_response(&request, &empty, now),
        Err(DfsError::NoTargets { .. })
    ));
    let mut names = referral("\\d\\r", true, 60, &["\\a\\b"]);
    names.entries.push(name_list("CORP", &["dc1"], 60));
    assert!(matches!(
        cache.insert_response(&request, &names, now),
        Err(DfsError::MalformedReferral {
            fault: ReferralFault::NameListInTargetReferral,
            ..
        })
    ));
    let hostile = referral("\\d\\r", true, 60, &["\\a\\..\\b"]);
    assert!(matches!(
        cache.insert_response(&request, &hostile, now),
        Err(DfsError::BadPath {
            problem: PathProblem::DotComponent,
            ..
        })
    ));
    assert!(cache.is_empty());
}

#[test]
fn the_bound_holds_and_keeps_the_recent_entries() {
    let now = Instant::now();
    let mut cache = ReferralCache::new(10);
    cache
        .insert_response(
            &path("\\\\keep\\me"),
            &referral("\\keep\\me", true, 600, &["\\k\\m"]),
            now,
        )
        .unwrap();
    for index in 0..100 {
        let name = format!("\\srv\\share{index}");
        cache
            .insert_response(&path(&name), &referral(&name, true, 600, &["\\t\\s"]), now)
            .unwrap();
        // Used all along, so never the least recently used.
        assert!(cache.lookup(&path("\\\\keep\\me\\x"), now).is_some());
        assert!(cache.len() <= 10);
    }
    assert_eq!(cache.len(), 10);
    for index in 91..100 {
        let name = format!("\\\\srv\\share{index}");
        assert!(cache.lookup(&path(&name), now).is_some(), "{name}");
    }
    assert!(cache.lookup(&path("\\\\srv\\share90"), now).is_none());
    assert!(cache.lookup(&path("\\\\srv\\share0"), now).is_none());
}

#[test]
fn hops_stop_loops_and_long_chains() {
    let mut hops = ReferralHops::new();
    hops.record(&path("\\\\a\\r"), &path("\\\\b\\r")).unwrap();
    assert_eq!(
        hops.record(&path("\\\\A\\R"), &path("\\\\B\\r")),
        Err(DfsError::ReferralLoop {
            path: "\\\\B\\r".into()
        })
    );
    let mut hops = ReferralHops::new();
    for index in 0..MAX_REFERRAL_HOPS {
        hops.record(&path(&format!("\\\\n{index}\\r")), &path("\\\\t\\r"))
            .unwrap();
    }
    assert_eq!(hops.hops(), MAX_REFERRAL_HOPS);
    assert!(matches!(
        hops.record(&path("\\\\last\\r"), &path("\\\\t\\r")),
        Err(DfsError::ReferralLoop { .. })
    ));
}

#[test]
fn domain_cache_holds_domains_and_their_dcs() {
    let now = Instant::now();
    let mut cache = DomainCache::new(4);
    let domains = ReferralResponse {
        path_consumed_chars: 0,
        header_flags: 0,
        entries: vec![
            name_list("\\CORP", &[], 600),
            name_list("\\corp.example", &[], 600),
        ],
    };
    assert_eq!(cache.insert_domain_referral(&domains, now).unwrap(), 2);
    assert!(cache.is_domain("corp", now));
    assert!(cache.is_domain("CORP.Example", now));
    assert!(!cache.is_domain("fs1", now));
    assert_eq!(cache.lookup("corp", now).unwrap().dcs, Vec::<String>::new());

    let dcs = ReferralResponse {
        path_consumed_chars: 0,
        header_flags: 0,
        entries: vec![name_list(
            "\\CORP",
            &["\\dc2.corp.example", "dc1.corp.example"],
            120,
        )],
    };
    let hit = cache.insert_dc_referral("\\corp", &dcs, now).unwrap();
    assert_eq!(hit.domain, "corp");
    assert_eq!(hit.dcs, ["dc2.corp.example", "dc1.corp.example"]);
    assert_eq!(hit.ttl_remaining, Duration::from_secs(120));
    // A later domain referral keeps the DCs.
    cache.insert_domain_referral(&domains, now).unwrap();
    assert_eq!(cache.lookup("CORP", now).unwrap().dcs.len(), 2);
    assert!(!cache.is_domain("corp", now + Duration::from_secs(120)));
    assert!(cache.is_domain("corp.example", now + Duration::from_secs(120)));

    let empty = ReferralResponse {
        path_consumed_chars: 0,
        header_flags: 0,
        entries: vec![name_list("\\CORP", &[], 60)],
    };
    assert!(matches!(
        cache.insert_dc_referral("corp", &empty, now),
        Err(DfsError::NoTargets { .. })
    ));
    assert!(
        cache
            .insert_domain_referral(&referral("\\a\\b", true, 1, &["\\a\\b"]), now)
            .is_err()
    );
}

#[test]
fn domain_cache_is_bounded() {
    let now = Instant::now();
    let mut cache = DomainCache::new(5);
    for index in 0..50 {
        let response = ReferralResponse {
            path_consumed_chars: 0,
            header_flags: 0,
            entries: vec![name_list(&format!("\\D{index}"), &[], 60)],
        };
        cache.insert_domain_referral(&response, now).unwrap();
        assert!(cache.len() <= 5);
    }
    assert!(cache.is_domain("d49", now) && cache.is_domain("d45", now));
    assert!(!cache.is_domain("d44", now));
}
