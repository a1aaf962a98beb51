//! Kerberos single sign-on from the command line, against the AD lab (`lab/ad`): `wnet use`
//! with no credentials uses the user's tickets (`KRB5CCNAME`), falls back to NTLM with the
//! reason where it has none, and `BlockNTLM` makes that fallback an error. The host knows the
//! lab's names through a hosts file bound over `/etc/hosts` in a private mount namespace,
//! which the agent the command starts inherits; /etc is never written.

mod common;

use std::fs;
use std::process::{Command, Output};
use std::time::Duration;

use common::Sandbox;
use serde_json::Value;
use wnet_testlab::{AdLab, InUse, run_bounded, run_bounded_with_input};

const LIMIT: Duration = Duration::from_secs(60);

/// The lab held shared, a sandbox, and a hosts file naming the lab's servers.
struct World {
    lab: InUse<AdLab>,
    sandbox: Sandbox,
    hosts: std::path::PathBuf,
}

fn world() -> Option<World> {
    let lab = AdLab::acquire_or_skip()?;
    let mut sandbox = Sandbox::without_lab();
    let hosts = sandbox.root.join("hosts");
    fs::write(
        &hosts,
        format!(
            "127.0.0.1 localhost\n{} {} {}\n{} {} {}\n",
            lab.dc.address,
            lab.dc.fqdn,
            lab.dc.name,
            lab.fileserver.address,
            lab.fileserver.fqdn,
            lab.fileserver.name,
        ),
    )
    .expect("the hosts file");
    sandbox.set("KRB5_CONFIG", &lab.krb5_conf.display().to_string());
    sandbox.set("WNET_RESOLVE_ORDER", "hosts");
    Some(World {
        lab,
        sandbox,
        hosts,
    })
}

impl World {
    /// `wnet ARGS` in the sandbox, with `vars`, in a mount namespace whose /etc/hosts is the
    /// lab's.
    fn wnet(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut all = vec![env!("CARGO_BIN_EXE_wnet")];
        all.extend_from_slice(args);
        self.in_namespace(&all, vars)
    }

    /// `command` (a program and its arguments) in the sandbox, with `vars`, in a mount
    /// namespace whose /etc/hosts is the lab's: an agent it starts, and the drives that agent
    /// mounts, live in that namespace, seen only by the command and its children.
    fn in_namespace(&self, command: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut unshare = self.sandbox.program("unshare");
        unshare
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/hosts && exec \"$@\"")
            .arg(&self.hosts)
            .args(command);
        for (name, value) in vars {
            unshare.env(name, value);
        }
        run_bounded(&mut unshare, LIMIT).expect("the command ran")
    }

    fn share(&self) -> String {
        format!(r"\\{}\public", self.lab.fileserver.fqdn)
    }

    /// kinit alice into a private cache: its `KRB5CCNAME`.
    fn tickets(&self) -> String {
        self.kinit(&[])
    }

    /// kinit alice, with `options`, into a private cache: its `KRB5CCNAME`.
    fn kinit(&self, options: &[&str]) -> String {
        let ccache = format!("FILE:{}", self.sandbox.root.join("alice.cc").display());
        common::kinit_alice(&self.lab, &self.lab.krb5_conf, &ccache, options);
        ccache
    }
}

impl World {
    /// A keytab for alice made with ktutil from her password (the salt fetched from the KDC):
    /// its name, for `KRB5_CLIENT_KTNAME`.
    fn keytab(&self) -> String {
        let path = self.sandbox.root.join("alice.keytab");
        let alice = self.lab.user("alice").expect("alice");
        let script = format!(
            "addent -password -p {} -k 1 -e aes256-cts-hmac-sha1-96 -f\n{}\nwkt {}\nq\n",
            self.lab.principal(alice),
            alice.password,
            path.display()
        );
        let mut command = Command::new("ktutil");
        command.env("KRB5_CONFIG", &self.lab.krb5_conf);
        let output =
            run_bounded_with_input(&mut command, script.as_bytes(), LIMIT).expect("ktutil ran");
        assert!(
            output.status.success() && path.exists(),
            "ktutil: {output:?}"
        );
        format!("FILE:{}", path.display())
    }
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn a_user_with_tickets_connects_with_kerberos_and_no_password() {
    let Some(world) = world() else {
        return;
    };
    let ccache = world.tickets();
    let share = world.share();
    let added = json(&world.wnet(
        &["--json", "use", &share],
        &[("KRB5CCNAME", ccache.as_str())],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    assert_eq!(added["signing"], true, "{added}");
    // No user was given: the connection runs as the tickets' principal, as Windows says.
    let alice = world.lab.user("alice").expect("alice");
    let principal = world.lab.principal(alice);
    assert_eq!(added["user"], principal.as_str(), "{added}");
    let listed = json(&world.wnet(&["--json", "use"], &[]));
    let row = listed
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["remote"] == share.as_str()))
        .unwrap_or_else(|| panic!("{share} listed: {listed}"));
    assert_eq!(row["authentication"], "Kerberos");
    assert_eq!(row["user"], principal.as_str(), "{row}");
    // `wnet -v use` says it in words; the long remote name has its own line, as `net use`
    // puts it, and the network name the next.
    let words = world.wnet(&["-v", "use"], &[]);
    let text = String::from_utf8_lossy(&words.stdout);
    assert!(
        text.contains(&format!(
            "authentication: Kerberos as {principal}; SMB 3.1.1, signed"
        )),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line.ends_with(share.as_str()))
            && text
                .lines()
                .any(|line| line.trim() == "Microsoft Windows Network"),
        "{text}"
    );
    // WNetGetUser of the connection.
    let user = json(&world.wnet(&["--json", "user", &share], &[]));
    assert_eq!(user["user"], principal.as_str(), "{user}");
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
}

#[test]
fn without_tickets_ntlm_is_used_and_says_why_unless_blocked() {
    let Some(world) = world() else {
        return;
    };
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let share = world.share();
    let alice = world.lab.user("alice").expect("alice");
    let user = format!("/user:{}\\alice", world.lab.domain);
    // A named account: NTLM, as Windows uses it for DOMAIN\user with a password.
    let added = json(&world.wnet(
        &["--json", "use", &share, &alice.password, &user],
        &[("KRB5CCNAME", empty.as_str())],
    ));
    assert_eq!(added["authentication"], "NTLM", "{added}");
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
    world.wnet(&["agent", "stop"], &[]);
    // BlockNTLM: Kerberos or nothing; without tickets for the account, nothing, and why.
    let refused = world.wnet(
        &["-v", "use", &share, &alice.password, &user],
        &[("KRB5CCNAME", empty.as_str()), ("WNET_BLOCK_NTLM", "1")],
    );
    // CORP\alice is alice@CORP for Kerberos: a realm krb5.conf does not know, and the
    // likelier fix said.
    let said = common::assert_system_error(&refused, 1355); // ERROR_NO_SUCH_DOMAIN
    assert!(said.contains("Kerberos"), "{said}");
    assert!(
        said.contains("a NetBIOS domain name is not a Kerberos realm"),
        "{said}"
    );
    world.wnet(&["agent", "stop"], &[]);
    // With user@REALM and a password, Kerberos gets the tickets itself, NTLM blocked or not.
    let principal = format!("/user:{}", world.lab.principal(alice));
    let added = json(&world.wnet(
        &["--json", "use", &share, &alice.password, &principal],
        &[("KRB5CCNAME", empty.as_str()), ("WNET_BLOCK_NTLM", "1")],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
}

#[test]
fn a_client_keytab_connects_with_kerberos_without_tickets_or_password() {
    let Some(world) = world() else {
        return;
    };
    let keytab = world.keytab();
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let share = world.share();
    // NTLM blocked: only Kerberos, with tickets got through the keytab, can connect.
    let added = json(&world.wnet(
        &["--json", "use", &share],
        &[
            ("KRB5CCNAME", empty.as_str()),
            ("KRB5_CLIENT_KTNAME", keytab.as_str()),
            ("WNET_BLOCK_NTLM", "1"),
        ],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
}

#[test]
fn the_callers_ticket_cache_reaches_an_agent_started_under_another() {
    let Some(world) = world() else {
        return;
    };
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    // The agent starts under a cache with no tickets, as when another program started it,
    // with NTLM blocked: only the caller's tickets can make the logon below.
    let started = world.wnet(
        &["agent", "start"],
        &[("KRB5CCNAME", empty.as_str()), ("WNET_BLOCK_NTLM", "1")],
    );
    assert!(started.status.success(), "{started:?}");
    let ccache = world.tickets();
    let share = world.share();
    let added = json(&world.wnet(
        &["--json", "use", &share],
        &[("KRB5CCNAME", ccache.as_str())],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
}

#[test]
fn the_keytab_setting_connects_with_kerberos_without_tickets_or_password() {
    let Some(world) = world() else {
        return;
    };
    let keytab = world.keytab();
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let share = world.share();
    // WNET_KERBEROS_KEYTAB, read by the agent when it starts; no KRB5_CLIENT_KTNAME.
    let added = json(&world.wnet(
        &["--json", "use", &share],
        &[
            ("KRB5CCNAME", empty.as_str()),
            ("WNET_KERBEROS_KEYTAB", keytab.as_str()),
            ("WNET_BLOCK_NTLM", "1"),
        ],
    ));
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    let deleted = world.wnet(&["use", &share, "/delete"], &[]);
    assert!(deleted.status.success(), "{deleted:?}");
}

/// Holds a file open on a mapped drive across the expiry of the session's ticket: writes,
/// renews the tickets (a fresh kinit into the same cache), waits past the first ticket's end,
/// then reads and writes the same open file again. Prints the file's name.
const HOLD_ACROSS_EXPIRY: &str = r#"
import os, subprocess, sys, time
path = os.path.join(sys.argv[1], "expiry-%d.txt" % os.getpid())
with open(path, "w+b", buffering=0) as f:
    f.write(b"before expiry\n")
    os.fsync(f.fileno())
    subprocess.run(["kinit", os.environ["LAB_PRINCIPAL"]], check=True, timeout=10,
                   input=(os.environ["LAB_PASSWORD"] + "\n").encode(),
                   stdout=subprocess.DEVNULL)
    time.sleep(float(sys.argv[2]))
    f.seek(0)
    got = f.read()
    assert got == b"before expiry\n", got
    f.write(b"after expiry\n")
    os.fsync(f.fileno())
print(os.path.basename(path))
"#;

/// The lifetime of the service ticket the drive is mapped with. Samba's KDC issues no
/// service ticket from a TGT with under about two minutes left, so it comes straight from the
/// AS (`kinit -S`); smbd ends the session's logon when it ends.
const SHORT_TICKET_SECONDS: u64 = 20;

#[test]
fn a_mapped_drive_keeps_an_open_file_across_the_tickets_expiry() {
    let Some(world) = world() else {
        return;
    };
    let service = format!("cifs/{}@{}", world.lab.fileserver.fqdn, world.lab.realm);
    let lifetime = format!("{SHORT_TICKET_SECONDS}s");
    let ccache = world.kinit(&["-l", &lifetime, "-S", &service]);
    let alice = world.lab.user("alice").expect("alice");
    let principal = world.lab.principal(alice);
    let share = world.share();
    let mount = world
        .sandbox
        .runtime_dir()
        .join("wnet")
        .join("drives")
        .join("Z");
    let wait = (SHORT_TICKET_SECONDS + 6).to_string();
    // One namespace for the mapping, the open file and the unmapping: the drive is mounted
    // in the namespace of the agent the first command starts.
    let script = r#"set -e
"$0" use Z: "$1" >/dev/null
status=0
/usr/bin/python3 -c "$2" "$3" "$4" || status=$?
"$0" use Z: /delete >/dev/null || true
exit $status"#;
    let output = world.in_namespace(
        &[
            "sh",
            "-c",
            script,
            env!("CARGO_BIN_EXE_wnet"),
            &share,
            HOLD_ACROSS_EXPIRY,
            &mount.display().to_string(),
            &wait,
        ],
        &[
            ("KRB5CCNAME", ccache.as_str()),
            ("LAB_PRINCIPAL", principal.as_str()),
            ("LAB_PASSWORD", alice.password.as_str()),
        ],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let on_server = world.lab.share("public").expect("public").path.join(&name);
    let content = fs::read(&on_server).expect("the file on the server's disk");
    let _ = fs::remove_file(&on_server);
    assert_eq!(content, b"before expiry\nafter expiry\n");
    // The server did end the logon, and the agent logged the session on again, once.
    let log = fs::read_to_string(world.sandbox.agent_log()).unwrap_or_default();
    assert_eq!(
        log.matches("re-authenticating").count(),
        1,
        "the agent's log: {log}"
    );
    assert!(!log.contains("re-authentication failed"), "{log}");
}

/// A krb5.conf for the lab's realm whose KDC is `kdc`, or (`None`) one that knows only
/// another realm, written in the sandbox.
fn krb5_conf(world: &World, name: &str, kdc: Option<&str>) -> String {
    let realm = world.lab.realm.as_str();
    let text = match kdc {
        Some(kdc) => format!(
            "[libdefaults]\n default_realm = {realm}\n dns_lookup_realm = false\n \
             dns_lookup_kdc = false\n dns_canonicalize_hostname = false\n rdns = false\n\
             [realms]\n {realm} = {{\n  kdc = {kdc}\n }}\n\
             [domain_realm]\n .{domain} = {realm}\n",
            domain = world.lab.dns_domain,
        ),
        None => "[libdefaults]\n default_realm = OTHER.EXAMPLE.TEST\n dns_lookup_realm = false\n \
                 dns_lookup_kdc = false\n dns_canonicalize_hostname = false\n rdns = false\n\
                 [realms]\n OTHER.EXAMPLE.TEST = {\n  kdc = 127.0.0.1:1\n }\n"
            .to_owned(),
    };
    let path = world.sandbox.root.join(name);
    fs::write(&path, text).expect("a krb5.conf");
    path.display().to_string()
}

/// With NTLM blocked, each Kerberos failure is its Windows error with what to fix named:
/// an address with no SPN, a KDC that does not answer, a krb5.conf without the realm, no
/// tickets.
#[test]
fn kerberos_failures_say_what_to_fix() {
    let Some(world) = world() else {
        return;
    };
    let ccache = world.tickets();
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let lab_conf = world.lab.krb5_conf.display().to_string();
    // 127.0.0.1:1: nothing listens there, so the KDC is refused at once.
    let unreachable = krb5_conf(&world, "unreachable.conf", Some("127.0.0.1:1"));
    let no_realm = krb5_conf(&world, "no-realm.conf", None);
    let by_address = format!(r"\\{}\public", world.lab.fileserver.address);
    let share = world.share();
    for (unc, config, cache, code, named) in [
        (
            &by_address,
            &lab_conf,
            &ccache,
            1396, // ERROR_WRONG_TARGET_NAME
            format!("no service principal cifs/{}", world.lab.fileserver.address),
        ),
        (
            &share,
            &unreachable,
            &ccache,
            1311, // ERROR_NO_LOGON_SERVERS
            "no KDC of the realm answered: check that the domain controller is up".to_owned(),
        ),
        (
            &share,
            &no_realm,
            &ccache,
            1355, // ERROR_NO_SUCH_DOMAIN
            format!("{no_realm} does not know the realm"),
        ),
        (
            &share,
            &lab_conf,
            &empty,
            1312, // ERROR_NO_SUCH_LOGON_SESSION
            format!("no usable Kerberos tickets in the credential cache {empty}"),
        ),
    ] {
        // The agent reads krb5.conf and the policy from its environment: one per case.
        let refused = world.wnet(
            &["use", unc],
            &[
                ("KRB5CCNAME", cache.as_str()),
                ("KRB5_CONFIG", config.as_str()),
                ("WNET_BLOCK_NTLM", "1"),
            ],
        );
        world.wnet(&["agent", "stop"], &[]);
        let said = common::assert_system_error(&refused, code);
        assert!(said.contains(&named), "{said}");
    }
}

/// A domain account made for one test, deleted when dropped.
struct TemporaryAccount<'a> {
    lab: &'a AdLab,
    name: String,
}

impl<'a> TemporaryAccount<'a> {
    /// `samba-tool user add NAME PASSWORD ARGS` on the domain controller; `None` (the test
    /// skips) where that cannot run.
    fn add(lab: &'a AdLab, name: String, password: &str, args: &[&str]) -> Option<Self> {
        let output = run_bounded(
            Command::new("ip")
                .args(["netns", "exec", &lab.dc.netns, "samba-tool", "user", "add"])
                .args([name.as_str(), password])
                .args(args)
                .arg("-s")
                .arg(&lab.dc.config),
            LIMIT,
        )
        .ok()?;
        if !output.status.success() {
            eprintln!(
                "skipped: cannot add a domain account: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Some(TemporaryAccount { lab, name })
    }
}

impl Drop for TemporaryAccount<'_> {
    fn drop(&mut self) {
        let _ = run_bounded(
            Command::new("ip")
                .args(["netns", "exec", &self.lab.dc.netns, "samba-tool", "user"])
                .args(["delete", self.name.as_str(), "-s"])
                .arg(&self.lab.dc.config),
            LIMIT,
        );
    }
}

/// An account whose password must be changed gets no tickets: ERROR_PASSWORD_EXPIRED, and
/// what to do. The account is this test's own, deleted at the end.
#[test]
fn an_expired_password_is_said_with_what_to_do() {
    let Some(world) = world() else {
        return;
    };
    let name = format!("wnetexp{}", std::process::id());
    let password = "Expired-pw-9";
    let Some(account) =
        TemporaryAccount::add(&world.lab, name, password, &["--must-change-at-next-login"])
    else {
        return;
    };
    let principal = format!("/user:{}@{}", account.name, world.lab.realm);
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let refused = world.wnet(
        &["use", &world.share(), password, &principal],
        &[("KRB5CCNAME", empty.as_str()), ("WNET_BLOCK_NTLM", "1")],
    );
    let said = common::assert_system_error(&refused, 1330); // ERROR_PASSWORD_EXPIRED
    assert!(said.contains("password has expired: change it"), "{said}");
}

/// A KCM credential cache (`KRB5CCNAME=KCM:`), the kind desktops with sssd use: tickets that
/// `kinit` put in a KCM server log on with no password. The server is Heimdal's `kcm`
/// (Debian's heimdal-kcm), which MIT's library speaks to on its fixed socket in /run: it runs
/// in a private mount namespace with its own /run, so no other program of the host meets it.
#[test]
fn a_kcm_credential_cache_serves_too() {
    let Some(world) = world() else {
        return;
    };
    let kcm = "/usr/sbin/kcm";
    if !std::path::Path::new(kcm).exists() {
        eprintln!("skipping: no KCM server here ({kcm}, Debian's heimdal-kcm)");
        return;
    }
    let alice = world.lab.user("alice").expect("alice");
    let share = world.share();
    let script = r#"
        mount -t tmpfs -o mode=0755 tmpfs /run && mount --bind "$0" /etc/hosts || exit 97
        "$KCM" & kcm=$!
        trap 'kill $kcm' EXIT
        for _ in $(seq 1 50); do
            [ -S /run/.heim_org.h5l.kcm-socket ] && break
            sleep 0.1
        done
        printf '%s\n' "$ALICE_PASSWORD" | kinit "$ALICE" >/dev/null || exit 98
        "$WNET" --json use "$SHARE" || exit 99
        "$WNET" --json use "$SHARE" /delete >/dev/null
        "$WNET" agent stop >/dev/null 2>&1
        exit 0
    "#;
    let mut unshare = world.sandbox.program("unshare");
    unshare
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .arg(&world.hosts)
        .env("KCM", kcm)
        .env("KRB5CCNAME", "KCM:")
        .env("ALICE", world.lab.principal(alice))
        .env("ALICE_PASSWORD", &alice.password)
        .env("WNET", env!("CARGO_BIN_EXE_wnet"))
        .env("SHARE", &share)
        .env("WNET_BLOCK_NTLM", "1");
    let output = run_bounded(&mut unshare, LIMIT).expect("the command ran");
    assert!(output.status.success(), "{output:?}");
    let added = json(&output);
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    assert_eq!(
        added["user"],
        world.lab.principal(alice).as_str(),
        "{added}"
    );
}

/// The host's krb5.conf is honoured as the system's Kerberos library honours it: here it
/// names no KDC for the realm and asks for DNS (`dns_lookup_kdc = true`), and the resolver
/// (a resolv.conf bound over /etc/resolv.conf in the namespace) is the domain controller's
/// DNS, which answers `_kerberos._udp` with the DC. A logon with a password and an empty
/// cache, NTLM blocked, can only succeed by the agent finding the KDC that way.
#[test]
fn the_kdc_is_found_through_dns_as_krb5_conf_asks() {
    let Some(world) = world() else {
        return;
    };
    let conf = fs::read_to_string(&world.lab.krb5_conf).expect("the lab's krb5.conf");
    let by_dns = conf
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !line.starts_with("kdc =") && !line.starts_with("admin_server =")
        })
        .map(|line| line.replace("dns_lookup_kdc = false", "dns_lookup_kdc = true"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(by_dns.contains("dns_lookup_kdc = true"), "{by_dns}");
    let krb5_conf = world.sandbox.root.join("krb5-by-dns.conf");
    fs::write(&krb5_conf, by_dns).expect("the krb5.conf");
    let resolv = world.sandbox.root.join("resolv.conf");
    fs::write(&resolv, format!("nameserver {}\n", world.lab.dns)).expect("the resolv.conf");
    let alice = world.lab.user("alice").expect("alice");
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let script = r#"
        mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf || exit 97
        shift
        exec "$@"
    "#;
    let principal = format!("/user:{}", world.lab.principal(alice));
    let mut unshare = world.sandbox.program("unshare");
    unshare
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .arg(&world.hosts)
        .arg(&resolv)
        .args([
            env!("CARGO_BIN_EXE_wnet"),
            "--json",
            "use",
            &world.share(),
            &alice.password,
            &principal,
        ])
        .env("KRB5_CONFIG", &krb5_conf)
        .env("KRB5CCNAME", &empty)
        .env("WNET_BLOCK_NTLM", "1");
    let output = run_bounded(&mut unshare, LIMIT).expect("the command ran");
    let added = json(&output);
    assert_eq!(added["authentication"], "Kerberos", "{added}");
    let stop = world.wnet(&["agent", "stop"], &[]);
    assert!(stop.status.success(), "{stop:?}");
}

/// A clock off the domain's by more than Kerberos allows is ERROR_TIME_SKEW (1398), saying by
/// how much. The agent runs ten minutes behind (libfaketime's `faketime`, its monotonic clock
/// left alone), and krb5.conf turns off MIT's correction of the offset it learns from the KDC
/// (`kdc_timesync = 0`), as a host without it would be.
#[test]
fn a_skewed_clock_is_error_1398_with_the_skew() {
    let Some(world) = world() else {
        return;
    };
    if Command::new("faketime").arg("--help").output().is_err() {
        eprintln!("skipping: no faketime here (Debian's faketime)");
        return;
    }
    let conf = fs::read_to_string(&world.lab.krb5_conf).expect("the lab's krb5.conf");
    let no_timesync = conf.replacen("[libdefaults]", "[libdefaults]\n  kdc_timesync = 0", 1);
    let krb5_conf = world.sandbox.root.join("krb5-no-timesync.conf");
    fs::write(&krb5_conf, no_timesync).expect("the krb5.conf");
    let alice = world.lab.user("alice").expect("alice");
    let empty = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    // The agent alone runs skewed (libfaketime in the command line tool kept it from
    // exiting); the command finds it running.
    let script = r#"
        mount --bind "$0" /etc/hosts || exit 97
        FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f -600s "$WNET_AGENT_PROGRAM" & agent=$!
        for _ in $(seq 1 100); do
            [ -S "$WNET_AGENT_SOCKET" ] && break
            sleep 0.1
        done
        "$WNET" use "$SHARE" "$ALICE_PASSWORD" "/user:$ALICE"
        said=$?
        "$WNET" agent stop >/dev/null 2>&1 || kill "$agent"
        wait "$agent"
        exit "$said"
    "#;
    let mut unshare = world.sandbox.program("unshare");
    unshare
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .arg(&world.hosts)
        .env("WNET", env!("CARGO_BIN_EXE_wnet"))
        .env("SHARE", world.share())
        .env("ALICE", world.lab.principal(alice))
        .env("ALICE_PASSWORD", &alice.password)
        .env("KRB5_CONFIG", &krb5_conf)
        .env("KRB5CCNAME", &empty)
        .env("WNET_BLOCK_NTLM", "1");
    let refused = run_bounded(&mut unshare, LIMIT).expect("the command ran");
    let said = common::assert_system_error(&refused, 1398); // ERROR_TIME_SKEW
    assert!(said.contains("synchronise this host's clock"), "{said}");
    assert!(said.contains("10 min behind"), "the skew is said: {said}");
}
