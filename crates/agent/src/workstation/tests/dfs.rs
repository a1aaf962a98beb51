//! DFS namespaces over the in-memory network: where a namespace path lands, the referral
//! cache and its TTL, failover and failback in the server's order, loops, and a lost
//! connection moved to the next target.

use super::*;

/// `fs1` holds the root `dfs` with `mirror` (targets fs2 then fs1, TTL 300 s) and `self`
/// (a link to itself); `fs2` and `fs1` both hold `mirror`.
fn namespace() -> (Network, Devices, Workstation<MemoryProvider>) {
    let (network, devices, workstation) = setup();
    for server in ["fs1", "fs2"] {
        network.add_server(server, &["dfs", "mirror"], &[("alice", "pw-a")]);
    }
    network.add_dfs_root(
        "fs1",
        "dfs",
        &[
            ("mirror", &[r"\\fs2\mirror", r"\\fs1\mirror"], 300),
            ("self", &[r"\\fs1\dfs\self"], 300),
        ],
    );
    (network, devices, workstation)
}

async fn landing(
    workstation: &Workstation<MemoryProvider>,
    path: &str,
) -> Result<String, WinError> {
    let landing = workstation
        .land(
            &UncName::parse(path)?,
            Some(&credentials("alice", "pw-a")),
            &Logon::default(),
        )
        .await?;
    Ok(landing.physical.to_windows())
}

#[tokio::test(start_paused = true)]
async fn a_namespace_path_lands_on_the_first_target_and_keeps_its_name() {
    let (network, _, workstation) = namespace();
    add(&workstation, r"\\fs1\dfs\mirror", None, "alice", "pw-a")
        .await
        .unwrap();
    let rows = workstation.connections();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].remote_name.to_windows(), r"\\fs1\dfs\mirror");
    assert_eq!(
        landing(&workstation, r"\\fs1\dfs\mirror\dir\file")
            .await
            .unwrap(),
        r"\\fs2\mirror\dir\file"
    );
    // One referral for both: the second came from the cache.
    assert_eq!(network.referrals(), 1);
    // A plain share is never probed.
    assert_eq!(
        landing(&workstation, r"\\fs2\mirror").await.unwrap(),
        r"\\fs2\mirror"
    );
    assert_eq!(network.referrals(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_target_gives_way_to_the_next_until_the_ttl_runs_out() {
    let (network, _, workstation) = namespace();
    network.drop_connections("fs2", true);
    add(&workstation, r"\\fs1\dfs\mirror", None, "alice", "pw-a")
        .await
        .unwrap();
    assert_eq!(
        landing(&workstation, r"\\fs1\dfs\mirror\x").await.unwrap(),
        r"\\fs1\mirror\x"
    );
    // fs2 answers again, but the referral still says fs1 is the one in use...
    network.bring_up("fs2");
    tokio::time::advance(Duration::from_secs(299)).await;
    assert_eq!(
        landing(&workstation, r"\\fs1\dfs\mirror\x").await.unwrap(),
        r"\\fs1\mirror\x"
    );
    assert_eq!(network.referrals(), 1);
    // ...until its TTL runs out: a new referral starts at the first target (failback).
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        landing(&workstation, r"\\fs1\dfs\mirror\x").await.unwrap(),
        r"\\fs2\mirror\x"
    );
    assert_eq!(network.referrals(), 2);
}

#[tokio::test(start_paused = true)]
async fn every_target_down_is_an_error_naming_them() {
    let (network, _, workstation) = namespace();
    // The referral is cached; then both targets go.
    let probe = landing(&workstation, r"\\fs1\dfs\mirror").await.unwrap();
    assert_eq!(probe, r"\\fs2\mirror");
    network.drop_connections("fs2", true);
    network.drop_connections("fs1", true);
    let error = add(&workstation, r"\\fs1\dfs\mirror", None, "alice", "pw-a")
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_BAD_NETPATH, "{error}");
    let text = error.to_string();
    assert!(
        text.contains(r"\\fs2\mirror") && text.contains(r"\\fs1\mirror"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_link_to_itself_is_a_loop() {
    let (_, _, workstation) = namespace();
    let error = landing(&workstation, r"\\fs1\dfs\self\x")
        .await
        .unwrap_err();
    assert_eq!(error.code, codes::ERROR_BAD_NET_NAME);
    assert!(error.to_string().contains("loop"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_lost_target_moves_its_connection_to_the_next() {
    let (network, devices, workstation) = namespace();
    let dir = local_dir("dfs-failover");
    add(
        &workstation,
        r"\\fs1\dfs\mirror",
        Some(&dir),
        "alice",
        "pw-a",
    )
    .await
    .unwrap();
    network.drop_connections("fs2", true);
    assert!(workstation.has_lost_connections());
    workstation.reconnect_lost_connections().await;
    let rows = workstation.connections();
    assert!(rows[0].connected, "moved to fs1's mirror");
    assert_eq!(rows[0].remote_name.to_windows(), r"\\fs1\dfs\mirror");
    assert_eq!(devices.reconnected.load(Ordering::SeqCst), 1);
    assert_eq!(
        landing(&workstation, r"\\fs1\dfs\mirror").await.unwrap(),
        r"\\fs1\mirror"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
