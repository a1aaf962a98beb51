//! Active Directory domains in the network neighbourhood, against the AD lab (`lab/ad`):
//! `wnet view /domain` shows the lab's domain beside the workgroups, found through the lab's
//! DNS (`_ldap._tcp.dc._msdcs.<domain>`) from the Kerberos default realm or the resolv.conf
//! search list, and `wnet view /domain:CORP` lists its domain controller. The lab's servers
//! run no NetBIOS name service, so the domain controller is what DNS gives; with alice's
//! tickets (kinit into a private cache) the member file server is listed too, read from the
//! DC's directory over LDAP (SASL GSSAPI, signed).
//! DNS goes only to the lab's DC (`WNET_DNS_SERVERS`, or a resolv.conf of the test's own).

mod common;

use std::fs;
use std::process::Output;
use std::time::Duration;

use common::{Sandbox, json, text};
use serde_json::Value;
use wnet_testlab::{AdLab, InUse, run_bounded};

const LIMIT: Duration = Duration::from_secs(60);

/// The lab held shared and a sandbox.
struct World {
    lab: InUse<AdLab>,
    sandbox: Sandbox,
}

fn world() -> Option<World> {
    let lab = AdLab::acquire_or_skip()?;
    Some(World {
        lab,
        sandbox: Sandbox::without_lab(),
    })
}

impl World {
    /// `wnet ARGS` in the sandbox, its name service confined to the lab's subnet (no WINS
    /// server), Kerberos configured for the lab's realm, DNS asked of the lab's DC alone (the
    /// host's resolv.conf and its search list play no part), then `vars`.
    fn wnet(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.sandbox.command(args);
        command
            .env_remove("WNET_WINS_SERVERS")
            .env("WNET_BROADCAST_ADDRESSES", self.lab.broadcast().to_string())
            .env("KRB5_CONFIG", &self.lab.krb5_conf)
            .env("WNET_DNS_SERVERS", self.lab.dns.to_string())
            .env("WNET_RESOLV_CONF", "/dev/null");
        for (name, value) in vars {
            command.env(name, value);
        }
        run_bounded(&mut command, LIMIT).expect("wnet ran")
    }
}

fn workgroups(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{output:?}");
    json(output)["workgroups"]
        .as_array()
        .expect("workgroups")
        .iter()
        .map(|name| name.as_str().expect("a name").to_owned())
        .collect()
}

#[test]
fn view_domain_shows_the_realms_domain_beside_the_workgroups() {
    let Some(world) = world() else {
        return;
    };
    let lab = &world.lab;
    let output = world.wnet(&["--json", "view", "/domain"], &[]);
    let names = workgroups(&output);
    let domain = names.iter().filter(|name| **name == lab.domain).count();
    assert_eq!(domain, 1, "{} once in {names:?}", lab.domain);
    // The machine's own workgroup is still there.
    assert!(names.iter().any(|name| name == "WNETLAB"), "{names:?}");

    // Without DNS servers there is no domain to find.
    let mut command = world.sandbox.command(&["--json", "view", "/domain"]);
    command
        .env_remove("WNET_WINS_SERVERS")
        .env("WNET_BROADCAST_ADDRESSES", lab.broadcast().to_string())
        .env("KRB5_CONFIG", &lab.krb5_conf)
        .env("WNET_RESOLV_CONF", "/dev/null");
    let output = run_bounded(&mut command, LIMIT).expect("wnet ran");
    let names = workgroups(&output);
    assert!(!names.contains(&lab.domain), "{names:?}");
}

#[test]
fn view_domain_finds_the_domain_from_the_resolv_conf_search_list() {
    let Some(world) = world() else {
        return;
    };
    let lab = &world.lab;
    let resolv_conf = world.sandbox.root.join("resolv.conf");
    fs::write(
        &resolv_conf,
        format!(
            "nameserver {}\nsearch {}\noptions timeout:2 attempts:1\n",
            lab.dns, lab.dns_domain
        ),
    )
    .expect("resolv.conf written");
    let output = world.wnet(
        &["--json", "view", "/domain"],
        &[
            ("KRB5_CONFIG", "/dev/null"),
            ("WNET_DNS_SERVERS", ""),
            ("WNET_RESOLV_CONF", &resolv_conf.display().to_string()),
        ],
    );
    let names = workgroups(&output);
    assert!(names.contains(&lab.domain), "{names:?}");
}

#[test]
fn view_domain_name_lists_the_domain_controller() {
    let Some(world) = world() else {
        return;
    };
    let lab = &world.lab;
    let asked = format!("/domain:{}", lab.domain);
    let output = world.wnet(&["--json", "view", &asked], &[]);
    assert!(output.status.success(), "{output:?}");
    let listing = json(&output);
    assert_eq!(listing["workgroup"], lab.domain.as_str());
    let servers = listing["servers"].as_array().expect("servers");
    let dc = servers
        .iter()
        .find(|server| {
            let name = server["name"].as_str().unwrap_or_default();
            name.eq_ignore_ascii_case(&lab.dc.fqdn) || name.eq_ignore_ascii_case(&lab.dc.name)
        })
        .unwrap_or_else(|| panic!("{} in {servers:?}", lab.dc.fqdn));
    assert_eq!(dc["address"], Value::from(lab.dc.address.to_string()));

    // The same in Windows' table, by the DNS name too, in lower case.
    let asked = format!("/domain:{}", lab.dns_domain);
    let output = world.wnet(&["view", &asked], &[]);
    assert!(output.status.success(), "{output:?}");
    let table = text(&output.stdout);
    assert!(table.contains(&format!("\\\\{} ", lab.dc.fqdn)), "{table}");
}

impl World {
    /// kinit alice into a private cache: its `KRB5CCNAME`.
    fn tickets(&self) -> String {
        let ccache = format!("FILE:{}", self.sandbox.root.join("alice.cc").display());
        common::kinit_alice(&self.lab, &self.lab.krb5_conf, &ccache, &[]);
        ccache
    }
}

/// The names (lower-case) of `wnet --json view /domain:<domain>`'s servers.
fn server_names(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{output:?}");
    json(output)["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|server| {
            server["name"]
                .as_str()
                .expect("a name")
                .to_ascii_lowercase()
        })
        .collect()
}

#[test]
fn view_domain_name_lists_the_directorys_computers_with_tickets() {
    let Some(world) = world() else {
        return;
    };
    let lab = &world.lab;
    let asked = format!("/domain:{}", lab.domain);
    let ccache = world.tickets();
    let output = world.wnet(&["--json", "view", &asked], &[("KRB5CCNAME", &ccache)]);
    let names = server_names(&output);
    let fs1 = lab.fileserver.fqdn.to_ascii_lowercase();
    let dc1 = lab.dc.fqdn.to_ascii_lowercase();
    assert!(names.contains(&fs1), "{fs1} in {names:?}");
    assert!(names.contains(&dc1), "{dc1} in {names:?}");
    // Each once, though DNS and the directory both name the controller.
    assert_eq!(
        names.iter().filter(|name| **name == dc1).count(),
        1,
        "{names:?}"
    );
    let servers = json(&output)["servers"].clone();
    let listed = servers
        .as_array()
        .into_iter()
        .flatten()
        .find(|server| server["name"].as_str() == Some(fs1.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        listed["address"],
        Value::from(lab.fileserver.address.to_string())
    );

    // Without tickets the directory is not read, and the controller is still listed.
    let none = format!("FILE:{}", world.sandbox.root.join("none.cc").display());
    let output = world.wnet(&["--json", "view", &asked], &[("KRB5CCNAME", &none)]);
    let names = server_names(&output);
    assert!(names.contains(&dc1), "{dc1} in {names:?}");
    assert!(!names.contains(&fs1), "{names:?}");
}
