//! The AD lab works as the Kerberos, DNS and DFS tests expect: the domain that `lab/ad status
//! --json` describes issues tickets to its users, its member file server admits them by
//! Kerberos, its DNS answers for the domain, and the lab stops without leftovers.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use wnet_testlab::{AdLab, LabUser, Scratch, lab_dir, run_bounded};

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

fn kinit_ok(lab: &AdLab, user: &LabUser, ccache: &Path, extra: &[&str]) {
    let output = lab
        .kinit(user, &user.password, ccache, extra)
        .expect("kinit ran");
    assert!(
        output.status.success(),
        "kinit {}: {}",
        user.name,
        text(&output)
    );
}

/// smbclient on `share` of the file server, authenticated only by the tickets in `ccache`.
fn smbclient_kerberos(lab: &AdLab, ccache: &Path, share: &str, commands: &str) -> Output {
    let mut command = Command::new("smbclient");
    lab.kerberos(&mut command, ccache)
        .arg("--use-kerberos=required")
        .args(lab.smbclient_target(share))
        .args(["-c", commands]);
    run(&mut command)
}

fn dig(lab: &AdLab, kind: &str, name: &str) -> Output {
    run(Command::new("dig")
        .args(["+time=2", "+tries=1"])
        .arg(format!("@{}", lab.dns))
        .args([kind, name]))
}

fn dig_short(lab: &AdLab, kind: &str, name: &str) -> Vec<String> {
    let mut command = Command::new("dig");
    command
        .args(["+time=2", "+tries=1", "+short"])
        .arg(format!("@{}", lab.dns))
        .args([kind, name]);
    let output = run(&mut command);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn status_json_has_every_field_the_tests_need() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let output = run(Command::new(lab_dir().join("ad")).args(["status", "--json"]));
    assert!(output.status.success(), "{}", text(&output));
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for pointer in [
        "/realm",
        "/domain",
        "/dns",
        "/krb5_conf",
        "/dc/address",
        "/dc/fqdn",
        "/fileserver/address",
        "/fileserver/fqdn",
        "/fileserver/shares/0/name",
        "/users/0/name",
        "/users/0/password",
        "/users/1/name",
        "/users/1/password",
    ] {
        let value = status.pointer(pointer).and_then(serde_json::Value::as_str);
        assert!(
            value.is_some_and(|v| !v.is_empty()),
            "{pointer} missing: {status}"
        );
    }
    assert_eq!(lab.dns, lab.dc.address);
    assert_eq!(lab.realm, lab.dns_domain.to_uppercase());
    assert_eq!(lab.dc.fqdn, format!("{}.{}", lab.dc.name, lab.dns_domain));
    assert_eq!(
        lab.fileserver.fqdn,
        format!("{}.{}", lab.fileserver.name, lab.dns_domain)
    );
    assert!(
        lab.krb5_conf.starts_with(&lab.root) && lab.krb5_conf.is_file(),
        "{}",
        lab.krb5_conf.display()
    );
    let krb5_conf = std::fs::read_to_string(&lab.krb5_conf).expect("krb5.conf");
    assert!(
        krb5_conf.contains(&format!("kdc = {}", lab.dc.address)),
        "{krb5_conf}"
    );
    for share in &lab.fileserver.shares {
        let file = std::fs::read_to_string(share.path.join(&share.file)).expect("share's file");
        assert!(file.contains(&share.name), "{}: {file}", share.name);
    }
    assert!(lab.ticket_lifetime_seconds <= 3600);
}

#[test]
fn kinit_gets_a_ticket_for_each_user() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("ad-kinit");
    for user in &lab.users {
        let ccache = scratch.path(&user.name);
        kinit_ok(&lab, user, &ccache, &[]);
        let mut klist = Command::new("klist");
        let output = run(lab.kerberos(&mut klist, &ccache));
        assert!(output.status.success(), "{}", text(&output));
        let listing = String::from_utf8_lossy(&output.stdout);
        assert!(
            listing.contains(&format!("Default principal: {}", lab.principal(user))),
            "{listing}"
        );
        assert!(
            listing.contains(&format!("krbtgt/{}@{}", lab.realm, lab.realm)),
            "{listing}"
        );
    }
}

/// The expiry tests need tickets that run out soon: `kinit -l` gets one, and it expires.
#[test]
fn short_tickets_expire() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("ad-short");
    let ccache = scratch.path("cache");
    kinit_ok(&lab, &lab.users[0], &ccache, &["-l", "3s"]);
    let valid = |ccache: &Path| {
        let mut klist = Command::new("klist");
        run(lab.kerberos(&mut klist, ccache).arg("-s"))
            .status
            .success()
    };
    assert!(valid(&ccache), "a fresh ticket is valid");
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        !valid(&ccache),
        "a 3-second ticket is expired 5 seconds later"
    );
}

#[test]
fn smbclient_with_kerberos_reads_the_file_naming_each_share() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("ad-smbclient");
    for user in &lab.users {
        let ccache = scratch.path(&format!("{}.cc", user.name));
        kinit_ok(&lab, user, &ccache, &[]);
        for share in &lab.fileserver.shares {
            let local = scratch.path(&format!("{}-{}", user.name, share.file));
            let output = smbclient_kerberos(
                &lab,
                &ccache,
                &share.name,
                &format!("ls; get {} {}", share.file, local.display()),
            );
            if share.users.contains(&user.name) {
                assert!(
                    output.status.success(),
                    "{} on {}: {}",
                    user.name,
                    share.name,
                    text(&output)
                );
                assert!(
                    String::from_utf8_lossy(&output.stdout).contains(&share.file),
                    "{}",
                    text(&output)
                );
                let fetched = std::fs::read_to_string(&local).expect("fetched file");
                assert!(
                    fetched.contains(&format!("share {} on", share.name)),
                    "{fetched}"
                );
            } else {
                assert!(
                    text(&output).contains("NT_STATUS_ACCESS_DENIED"),
                    "{} on {}: {}",
                    user.name,
                    share.name,
                    text(&output)
                );
                assert!(!local.exists());
            }
        }
    }
}

#[test]
fn a_wrong_password_is_refused() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let scratch = Scratch::new("ad-wrong");
    let ccache = scratch.path("cache");
    let user = &lab.users[0];
    let output = lab
        .kinit(user, "not-the-password", &ccache, &[])
        .expect("kinit ran");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("Password incorrect"),
        "{}",
        text(&output)
    );

    // Without a ticket, Kerberos-only smbclient cannot get in either.
    let output = smbclient_kerberos(&lab, &ccache, "public", "ls");
    assert!(!output.status.success(), "{}", text(&output));

    // Nor can a wrong password over NTLM, which the file server checks with the DC.
    let mut command = Command::new("smbclient");
    command
        .args(lab.smbclient_target("public"))
        .arg("-U")
        .arg(format!("{}\\{}%not-the-password", lab.domain, user.name))
        .args(["--use-kerberos=off", "-c", "ls"]);
    let output = run(&mut command);
    assert!(
        text(&output).contains("NT_STATUS_LOGON_FAILURE"),
        "{}",
        text(&output)
    );
}

#[test]
fn dns_on_the_dc_answers_for_the_domain() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let srv = dig_short(
        &lab,
        "SRV",
        &format!("_ldap._tcp.dc._msdcs.{}", lab.dns_domain),
    );
    assert!(
        srv.iter()
            .any(|line| line.ends_with(&format!(" 389 {}.", lab.dc.fqdn))),
        "{srv:?}"
    );
    let srv = dig_short(&lab, "SRV", &format!("_kerberos._tcp.{}", lab.dns_domain));
    assert!(
        srv.iter()
            .any(|line| line.ends_with(&format!(" 88 {}.", lab.dc.fqdn))),
        "{srv:?}"
    );
    assert_eq!(
        dig_short(&lab, "A", &lab.fileserver.fqdn),
        [lab.fileserver.address.to_string()]
    );
    assert_eq!(
        dig_short(&lab, "A", &lab.dc.fqdn),
        [lab.dc.address.to_string()]
    );
    // A name outside the domain is not forwarded anywhere: the DC says it does not exist.
    let output = dig(&lab, "A", "outside.example.org");
    assert!(
        text(&output).contains("status: NXDOMAIN"),
        "{}",
        text(&output)
    );
}

#[test]
fn lab_restarts_idempotently_and_stops_without_leftovers() {
    let _alone = AdLab::acquire_exclusive().expect("exclusive use of the lab");
    let first = match AdLab::up() {
        Ok(lab) => lab,
        Err(wnet_testlab::LabError::Unavailable(why)) => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(error) => panic!("the AD lab failed: {error}"),
    };
    let again = AdLab::up().expect("second up");
    assert_eq!(first.dc.pid, again.dc.pid, "a second `up` restarted the DC");
    assert_eq!(
        first.fileserver.pids, again.fileserver.pids,
        "a second `up` restarted the file server"
    );
    let running = first.processes().expect("lab_pids ran");
    for pid in [
        first.dc.pid,
        first.fileserver.pids.smbd,
        first.fileserver.pids.winbindd,
    ] {
        assert!(running.contains(&pid), "{pid} not among {running:?}");
    }

    AdLab::down().expect("lab down");
    assert_eq!(
        first.processes().expect("lab_pids ran"),
        Vec::<u32>::new(),
        "processes left behind"
    );
    assert_eq!(AdLab::status().expect("status ran"), None);
    let namespaces = run(Command::new("ip").args(["netns", "list"]));
    for netns in [&first.dc.netns, &first.fileserver.netns] {
        assert!(
            !String::from_utf8_lossy(&namespaces.stdout)
                .split_whitespace()
                .any(|name| name == netns),
            "namespace {netns} left behind"
        );
    }
    let bridge = run(Command::new("ip").args(["link", "show", &first.bridge.name]));
    assert!(!bridge.status.success(), "bridge left behind");
    assert!(!first.root.exists(), "{} left behind", first.root.display());
    AdLab::down().expect("a second down is harmless");
}

/// What `ip route get` says of `address` (no packet is sent).
fn route_to(address: &str) -> String {
    text(&run(Command::new("ip").args(["route", "get", address])))
}

/// While the lab is up, its own route wins over the documentation range's guard; once it is
/// down, its addresses are unreachable (or, while the Samba lab is up, on that lab's link):
/// never routed through a gateway, off the machine.
#[test]
fn a_stopped_lab_leaves_its_addresses_on_this_machine() {
    let _alone = AdLab::acquire_exclusive().expect("exclusive use of the lab");
    let lab = match AdLab::up() {
        Ok(lab) => lab,
        Err(wnet_testlab::LabError::Unavailable(why)) => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(error) => panic!("the AD lab failed: {error}"),
    };
    for address in [lab.dc.address, lab.fileserver.address] {
        let route = route_to(&address.to_string());
        assert!(
            route.contains(&format!("dev {}", lab.bridge.name)),
            "the lab's own route wins while it is up: {route}"
        );
    }
    AdLab::down().expect("lab down");
    for address in [lab.dc.address, lab.fileserver.address] {
        let route = route_to(&address.to_string());
        assert!(
            !route.contains(" via "),
            "a stopped lab's address must not be routed off the machine: {route}"
        );
    }
}
