//! The WNet enumeration functions against the Samba lab, through the `neighborhood` example
//! (run as its own process, so that its environment — private agent, lab name service, lab
//! credentials — is set for it alone): RESOURCE_GLOBALNET from the provider down to the lab's
//! shares, with Windows' display types and usages, `$` shares hidden, then the connections;
//! and against the AD lab, the domain found by DNS under the provider, its controller in it.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use wnet_testlab::{AdLab, SambaLab, run_bounded};

fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let debug = exe
        .ancestors()
        .nth(2)
        .expect("target/<profile>/deps/<test>")
        .to_owned();
    let example = debug.join("examples").join("neighborhood");
    assert!(example.is_file(), "{} was not built", example.display());
    assert!(
        debug.join("wnet-agent").is_file(),
        "build the agent first (cargo build --workspace)"
    );
    example
}

#[test]
fn globalnet_walks_from_the_provider_to_the_labs_shares() {
    let lab = SambaLab::acquire().expect("the Samba lab");
    let alice = lab.user("wnetalice").expect("wnetalice");
    let runtime = std::env::temp_dir().join(format!("wnet-neighborhood-{}", std::process::id()));
    std::fs::create_dir_all(&runtime).unwrap();
    // The agent refuses a socket directory that others could enter.
    std::fs::set_permissions(
        &runtime,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700),
    )
    .unwrap();
    let agent = runtime.join("agent.sock");
    let walk = || {
        let output = run_bounded(
            Command::new(example())
                .env("WNET_AGENT_SOCKET", &agent)
                .env("WNET_AGENT_IDLE", "2")
                .env("WNET_CONFIG_DIR", runtime.join("config"))
                .env("WNET_RESOLVE_ORDER", "hosts,netbios")
                .env("WNET_WINS_SERVERS", lab.address.to_string())
                .env("WNET_BROADCAST_ADDRESSES", lab.broadcast.to_string())
                .env("WNET_WORKGROUP", &lab.workgroup)
                .env("WNET_USER", &alice.name)
                .env("WNET_PASSWORD", &alice.password),
            Duration::from_secs(60),
        )
        .expect("the example runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect::<Vec<Value>>()
    };
    // Right after a lab (re)start, nmbd may not have registered the workgroup with its WINS
    // server yet, so the walk is repeated, bounded, until the server shows up.
    let server = format!("\\\\{}", lab.server_name);
    let deadline = Instant::now() + Duration::from_secs(30);
    let items = loop {
        let items = walk();
        let found = items
            .iter()
            .any(|item| item["remote_name"] == server.as_str());
        if found || Instant::now() >= deadline {
            break items;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let errors: Vec<&Value> = items
        .iter()
        .filter(|item| item.get("error").is_some())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let at = |depth: u64| -> Vec<&Value> {
        items
            .iter()
            .filter(|item| item["scope"] == "globalnet" && item["depth"] == depth)
            .collect()
    };
    // The provider: RESOURCEDISPLAYTYPE_NETWORK, CONTAINER | RESERVED.
    let provider = at(0);
    assert_eq!(provider.len(), 1);
    assert_eq!(provider[0]["remote_name"], "Microsoft Windows Network");
    assert_eq!(provider[0]["display_type"], 6);
    assert_eq!(provider[0]["usage"], 0x8000_0002_u64);
    // The lab's workgroup (RESOURCEDISPLAYTYPE_DOMAIN), its server (SERVER), its shares.
    assert!(
        at(1)
            .iter()
            .any(|item| item["remote_name"] == lab.workgroup.as_str() && item["display_type"] == 1),
        "{:?}",
        at(1)
    );
    assert!(
        at(2)
            .iter()
            .any(|item| item["remote_name"] == server.as_str() && item["display_type"] == 2),
        "{:?}",
        at(2)
    );
    let mut shares: Vec<String> = at(3)
        .iter()
        .filter_map(|item| item["remote_name"].as_str())
        .filter(|name| name.starts_with(&server))
        .map(|name| name[server.len() + 1..].to_owned())
        .collect();
    shares.sort();
    let mut expected: Vec<String> = lab
        .shares
        .iter()
        .filter(|share| !share.hidden)
        .map(|share| share.name.clone())
        .collect();
    expected.sort();
    // IPC$ is listed by the server and hidden by the enumeration, as Windows hides `$` shares.
    assert_eq!(shares, expected);
    for share in at(3) {
        assert_eq!(share["display_type"], 3, "{share}");
        assert_eq!(share["usage"], 1, "{share}");
        assert_eq!(share["type"], 1, "{share}");
    }
    let _ = std::fs::remove_dir_all(&runtime);
}

#[test]
fn globalnet_shows_the_ad_domain_and_its_controller_under_the_provider() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let runtime = std::env::temp_dir().join(format!("wnet-neighborhood-ad-{}", std::process::id()));
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700),
    )
    .unwrap();
    // Down to the servers (depth 2): the walk needs no credentials.
    let output = run_bounded(
        Command::new(example())
            .arg("2")
            .env_remove("WNET_WINS_SERVERS")
            .env("WNET_AGENT_SOCKET", runtime.join("agent.sock"))
            .env("WNET_AGENT_IDLE", "2")
            .env("WNET_CONFIG_DIR", runtime.join("config"))
            .env("WNET_BROADCAST_ADDRESSES", lab.broadcast().to_string())
            .env("WNET_WORKGROUP", "WNETADTEST")
            .env("KRB5_CONFIG", &lab.krb5_conf)
            .env("WNET_DNS_SERVERS", lab.dns.to_string())
            .env("WNET_RESOLV_CONF", "/dev/null"),
        Duration::from_secs(60),
    )
    .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let at = |depth: u64| -> Vec<&Value> {
        items
            .iter()
            .filter(|item| item["scope"] == "globalnet" && item["depth"] == depth)
            .collect()
    };
    // The domain, once, as a RESOURCEDISPLAYTYPE_DOMAIN container beside the workgroup.
    let domains: Vec<_> = at(1)
        .into_iter()
        .filter(|item| item["remote_name"] == lab.domain.as_str())
        .collect();
    assert_eq!(domains.len(), 1, "{items:?}");
    assert_eq!(domains[0]["display_type"], 1);
    assert_eq!(domains[0]["usage"], 2);
    // Its controller, a RESOURCEDISPLAYTYPE_SERVER, by its DNS name.
    let dc = format!("\\\\{}", lab.dc.fqdn);
    assert!(
        at(2)
            .iter()
            .any(|item| item["remote_name"] == dc.as_str() && item["display_type"] == 2),
        "{dc} in {:?}",
        at(2)
    );
    let _ = std::fs::remove_dir_all(&runtime);
}
