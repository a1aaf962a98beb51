//! The Samba lab works as every later test expects: Samba's own clients see the shares, users
//! and names that `lab/samba status --json` describes, and the lab stops without leftovers.

use std::process::{Command, Output};
use std::time::Duration;

use wnet_testlab::{SambaLab, ShareAccess, run_bounded};

const TOOL_TIMEOUT: Duration = Duration::from_secs(30);

fn run(command: &mut Command) -> Output {
    run_bounded(command, TOOL_TIMEOUT).expect("peer tool ran")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn smbclient(lab: &SambaLab, share: &str, user: &str, password: &str, commands: &str) -> Output {
    run(Command::new("smbclient")
        .arg(lab.smb_path(share))
        .arg("-U")
        .arg(format!("{user}%{password}"))
        .args(["-c", commands]))
}

#[test]
fn smbclient_lists_the_configured_shares() {
    let lab = SambaLab::acquire().expect("lab up");
    let user = &lab.users[0];
    let output = run(Command::new("smbclient")
        .args(["-g", "-L"])
        .arg(format!("//{}", lab.address))
        .arg("-U")
        .arg(format!("{}%{}", user.name, user.password)));
    assert!(output.status.success(), "{}", text(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    let listed: Vec<(&str, &str, &str)> = listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '|');
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
        .collect();
    for share in &lab.shares {
        let entry = listed.iter().find(|(_, name, _)| *name == share.name);
        if share.hidden {
            assert!(entry.is_none(), "hidden share {} is listed", share.name);
        } else {
            assert_eq!(
                entry,
                Some(&("Disk", share.name.as_str(), share.comment.as_str())),
                "listing: {listing}"
            );
        }
    }
    assert!(
        listed
            .iter()
            .any(|(kind, name, _)| *kind == "IPC" && *name == "IPC$")
    );
}

#[test]
fn hidden_share_is_reachable_by_name() {
    let lab = SambaLab::acquire().expect("lab up");
    let hidden = lab
        .shares
        .iter()
        .find(|s| s.hidden)
        .expect("a hidden share");
    assert!(hidden.name.ends_with('$'));
    let user = lab
        .user(&hidden.users[0])
        .expect("a user of the hidden share");
    let output = smbclient(&lab, &hidden.name, &user.name, &user.password, "ls");
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn private_share_admits_only_its_user() {
    let lab = SambaLab::acquire().expect("lab up");
    let (share, allowed, refused) = lab.private_share().expect("a private share");
    let output = smbclient(&lab, &share.name, &allowed.name, &allowed.password, "ls");
    assert!(output.status.success(), "{}", text(&output));
    let output = smbclient(&lab, &share.name, &refused.name, &refused.password, "ls");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("NT_STATUS_ACCESS_DENIED"),
        "{}",
        text(&output)
    );
}

#[test]
fn read_only_share_serves_files_and_refuses_writes() {
    let lab = SambaLab::acquire().expect("lab up");
    let share = lab
        .common_share(ShareAccess::ReadOnly)
        .expect("a read-only share");
    let user = &lab.users[0];
    let local = std::env::temp_dir().join(format!("wnet-lab-get-{}", std::process::id()));
    let get = format!("get hello.txt {}", local.display());
    let output = smbclient(&lab, &share.name, &user.name, &user.password, &get);
    assert!(output.status.success(), "{}", text(&output));
    let fetched = std::fs::read(&local).expect("fetched file");
    let _ = std::fs::remove_file(&local);
    assert_eq!(
        fetched,
        std::fs::read(share.path.join("hello.txt")).unwrap()
    );

    let output = smbclient(
        &lab,
        &share.name,
        &user.name,
        &user.password,
        "mkdir newdir",
    );
    assert!(
        text(&output).contains("NT_STATUS_ACCESS_DENIED"),
        "{}",
        text(&output)
    );
    assert!(!share.path.join("newdir").exists());
}

#[test]
fn read_write_share_keeps_what_each_user_writes() {
    let lab = SambaLab::acquire().expect("lab up");
    let share = lab
        .common_share(ShareAccess::ReadWrite)
        .expect("a read-write share");
    for user in &lab.users {
        let dir = format!("written-by-{}-{}", user.name, std::process::id());
        let output = smbclient(
            &lab,
            &share.name,
            &user.name,
            &user.password,
            &format!("mkdir {dir}"),
        );
        assert!(output.status.success(), "{}", text(&output));
        assert!(share.path.join(&dir).is_dir());
        let output = smbclient(
            &lab,
            &share.name,
            &user.name,
            &user.password,
            &format!("rmdir {dir}"),
        );
        assert!(output.status.success(), "{}", text(&output));
        assert!(!share.path.join(&dir).exists());
    }
}

#[test]
fn wrong_password_guest_and_anonymous_are_refused() {
    let lab = SambaLab::acquire().expect("lab up");
    let share = lab
        .common_share(ShareAccess::ReadWrite)
        .expect("a read-write share");
    let user = &lab.users[0];
    let output = smbclient(&lab, &share.name, &user.name, "not-the-password", "ls");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("NT_STATUS_LOGON_FAILURE"),
        "{}",
        text(&output)
    );

    let output = run(Command::new("smbclient")
        .arg(lab.smb_path(&share.name))
        .args(["-U", "guest%", "-c", "ls"]));
    assert!(!output.status.success(), "guest got in: {}", text(&output));

    let output = run(Command::new("smbclient")
        .arg(lab.smb_path(&share.name))
        .args(["-N", "-c", "ls"]));
    assert!(
        !output.status.success(),
        "anonymous got in: {}",
        text(&output)
    );
}

#[test]
fn nmblookup_resolves_the_server_name() {
    let lab = SambaLab::acquire().expect("lab up");
    let address = lab.address.to_string();
    let output = run(Command::new("nmblookup")
        .args(["-U", &address, "--recursion"])
        .arg(&lab.server_name));
    assert!(output.status.success(), "{}", text(&output));
    let expected = format!("{address} {}<00>", lab.server_name);
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .any(|line| line == expected),
        "{}",
        text(&output)
    );

    let output = run(Command::new("nmblookup").args(["-U", &address, "-A", &address]));
    assert!(output.status.success(), "{}", text(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    let has = |name: &str, suffix: &str, group: bool| {
        table.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.first() == Some(&name)
                && fields.get(1) == Some(&suffix)
                && fields.contains(&"<GROUP>") == group
        })
    };
    assert!(has(&lab.server_name, "<00>", false), "{table}");
    assert!(has(&lab.server_name, "<20>", false), "{table}");
    assert!(has(&lab.workgroup, "<00>", true), "{table}");
}

#[test]
fn lab_restarts_idempotently_and_stops_without_leftovers() {
    let _alone = SambaLab::acquire_exclusive().expect("exclusive use of the lab");
    let first = SambaLab::up().expect("lab up");
    let again = SambaLab::up().expect("second up");
    assert_eq!(
        first.pids, again.pids,
        "a second `up` restarted the daemons"
    );
    let running = first.processes();
    assert!(running.contains(&first.pids.smbd) && running.contains(&first.pids.nmbd));

    SambaLab::down().expect("lab down");
    assert_eq!(
        first.processes(),
        Vec::<u32>::new(),
        "processes left behind"
    );
    assert_eq!(SambaLab::status().expect("status ran"), None);
    let namespaces = run(Command::new("ip").args(["netns", "list"]));
    assert!(
        !String::from_utf8_lossy(&namespaces.stdout)
            .split_whitespace()
            .any(|name| name == first.netns),
        "namespace {} left behind",
        first.netns
    );
    SambaLab::down().expect("a second down is harmless");

    let restarted = SambaLab::up().expect("lab up again");
    assert_ne!(restarted.pids, first.pids);
}

/// What `ip route get` says of `address` (no packet is sent).
fn route_to(address: &str) -> String {
    text(&run(Command::new("ip").args(["route", "get", address])))
}

/// While the lab is down, its documentation range is unreachable on this host: a client
/// pointed at the stopped lab fails at once with EHOSTUNREACH instead of sending its packets
/// to the default gateway; while it is up, its own route wins over the guard.
#[test]
fn a_stopped_lab_leaves_its_range_unreachable() {
    let _alone = SambaLab::acquire_exclusive().expect("exclusive use of the lab");
    let lab = SambaLab::up().expect("lab up");
    let address = lab.address.to_string();
    let routes = text(&run(Command::new("ip").args([
        "route",
        "show",
        "198.51.100.0/24",
    ])));
    assert!(
        routes.contains("unreachable 198.51.100.0/24 metric 4242"),
        "the guard route is in place while the lab is up: {routes}"
    );
    assert!(
        route_to(&address).contains("dev wnl-host"),
        "the lab's own route wins while it is up: {}",
        route_to(&address)
    );

    SambaLab::down().expect("lab down");
    let route = route_to(&address);
    // Checked before anything is sent: without the guard the route would lead off the machine.
    assert!(
        route.starts_with("unreachable") || route.contains("No route to host"),
        "the stopped lab's address must be unreachable, not routed off the machine: {route}"
    );
    let refused = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::new(lab.address.into(), 445),
        Duration::from_secs(5),
    )
    .expect_err("nothing answers for a stopped lab");
    assert_eq!(
        refused.raw_os_error(),
        Some(113), // EHOSTUNREACH: refused on this host, no packet sent
        "{refused}"
    );

    SambaLab::up().expect("lab up again");
    assert!(route_to(&address).contains("dev wnl-host"));
}
