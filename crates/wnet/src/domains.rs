//! Active Directory domains found through DNS, for the network neighbourhood.
//!
//! The host's domains are the DNS names of the Kerberos default realm (`default_realm` of the
//! `[libdefaults]` of `$KRB5_CONFIG`, else `/etc/krb5.conf`) and of resolv.conf's search list.
//! A name is a domain when `_ldap._tcp.dc._msdcs.<name>` has SRV records (its domain
//! controllers, [MS-ADTS] 6.3.2.3). The domain is shown by its NetBIOS name: the one a
//! controller's SMB server gives in its NTLM challenge (MsvAvNbDomainName: a connection that
//! sends no credentials and holds no session), else the domain group name in a controller's
//! node status (`<1C>`, else `<00>`) where NetBIOS runs, else the first label of its DNS
//! name, which is what `samba-tool domain provision` and Windows' promotion wizard choose
//! unless told otherwise.
//!
//! A domain's servers are its controllers, and where the user has Kerberos tickets, its
//! computers by their `dNSHostName` in the first controller's directory ([`computers`], over
//! [`crate::ldap`]), each at its address in DNS.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use wnet_host::env_var;
use wnet_nbt::config::Retransmit;
use wnet_smb2::client::{ServerIdentity, negotiate, server_identity};

use crate::browse::{BrowsedServer, Browser};
use crate::dns::{DnsClient, normal_domain};
use crate::ldap::{LDAP_TIME, domain_computers};
use crate::resolve::SMB_PORT;

/// The timers of a controller's node status: it answered DNS, so a name service on it
/// answers within a second; a controller without one (NetBIOS disabled) costs 2 s, not 20.
const CONTROLLER_STATUS: Retransmit = Retransmit {
    interval: Duration::from_secs(1),
    retries: 1,
};

/// How long each step of asking a controller's SMB server for its names may take.
const CONTROLLER_STEP: Duration = Duration::from_secs(2);

/// The domain controllers' SRV name of a domain ([MS-ADTS] 6.3.2.3).
pub fn controllers_srv_name(domain: &str) -> String {
    format!("_ldap._tcp.dc._msdcs.{domain}")
}

/// A domain controller found by DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainController {
    /// Its host name (the SRV target), lower-case.
    pub host: String,
    /// Its IPv4 addresses.
    pub addresses: Vec<Ipv4Addr>,
}

/// An Active Directory domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// Its NetBIOS name, upper-case: what the neighbourhood shows.
    pub name: String,
    /// Its DNS name, lower-case.
    pub dns_name: String,
    /// Its domain controllers.
    pub controllers: Vec<DomainController>,
}

impl Domain {
    /// Whether `name` is its NetBIOS or DNS name (in any case, a trailing dot allowed).
    pub fn is_called(&self, name: &str) -> bool {
        let name = name.strip_suffix('.').unwrap_or(name);
        self.name.eq_ignore_ascii_case(name) || self.dns_name.eq_ignore_ascii_case(name)
    }
}

/// The Kerberos default realm of the krb5.conf files named by `$KRB5_CONFIG` (colon-separated,
/// the first that sets it wins), else of `/etc/krb5.conf`.
pub fn kerberos_default_realm() -> Option<String> {
    let files = env_var("KRB5_CONFIG").unwrap_or_else(|| "/etc/krb5.conf".to_owned());
    files
        .split(':')
        .filter(|path| !path.is_empty())
        .find_map(|path| default_realm_of(&std::fs::read_to_string(path).ok()?))
}

/// `default_realm` in the `[libdefaults]` section of a krb5.conf's text.
pub fn default_realm_of(text: &str) -> Option<String> {
    let mut in_libdefaults = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            in_libdefaults =
                section.trim_end().strip_suffix(']').map(str::trim) == Some("libdefaults");
            continue;
        }
        if !in_libdefaults {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "default_realm"
        {
            let realm = value.trim();
            if !realm.is_empty() {
                return Some(realm.to_owned());
            }
        }
    }
    None
}

/// The DNS names that may be domains: the Kerberos default realm's, then the search list's,
/// each once.
pub fn candidate_names(realm: Option<&str>, search: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in realm
        .into_iter()
        .filter_map(normal_domain)
        .chain(search.iter().filter_map(|name| normal_domain(name)))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The host's candidate domain names as the host is configured now: the Kerberos default
/// realm of [`kerberos_default_realm`] and resolv.conf's search list ([`candidate_names`]).
pub fn host_domain_names() -> Vec<String> {
    let realm = kerberos_default_realm();
    let search = crate::dns::DnsConfig::from_env()
        .map(|config| config.search)
        .unwrap_or_default();
    candidate_names(realm.as_deref(), &search)
}

/// The one of `domains` (DNS names) that `name` names, by its DNS name or by its NetBIOS
/// name ([`netbios_name_of`]).
pub fn domain_named<'a>(domains: &'a [String], name: &str) -> Option<&'a str> {
    domains
        .iter()
        .find(|domain| {
            domain.eq_ignore_ascii_case(name) || netbios_name_of(domain).eq_ignore_ascii_case(name)
        })
        .map(String::as_str)
}

/// The NetBIOS name that stands for `dns_name` when no controller tells it: its first label,
/// upper-case, cut to 15 characters.
pub fn netbios_name_of(dns_name: &str) -> String {
    dns_name
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The domains among the host's candidate names ([`candidate_names`]): those with domain
/// controllers in DNS, each named by a controller's NTLM challenge, else by its node status
/// through `browser` when there is one, else by its first label (see the module's header).
pub async fn discover(dns: &DnsClient, browser: Option<&Browser>) -> Vec<Domain> {
    let realm = kerberos_default_realm();
    let mut domains: Vec<Domain> = Vec::new();
    for dns_name in candidate_names(realm.as_deref(), &dns.config().search) {
        let hosts = match dns.service_hosts(&controllers_srv_name(&dns_name)).await {
            Ok(hosts) if !hosts.is_empty() => hosts,
            Ok(_) => continue,
            Err(error) => {
                tracing::debug!(%dns_name, %error, "no domain controllers");
                continue;
            }
        };
        let controllers: Vec<DomainController> = hosts
            .into_iter()
            .map(|host| DomainController {
                host: host.host,
                addresses: host.addresses,
            })
            .collect();
        let addresses: Vec<Ipv4Addr> = controllers
            .iter()
            .flat_map(|dc| dc.addresses.iter().copied())
            .take(3)
            .collect();
        let mut name = None;
        for address in &addresses {
            name = challenge_domain_name(*address, &dns_name).await;
            if name.is_some() {
                break;
            }
        }
        if let Some(browser) = browser.filter(|_| name.is_none()) {
            for address in &addresses {
                name = domain_group_name(browser, *address).await;
                if name.is_some() {
                    break;
                }
            }
        }
        let name = name.unwrap_or_else(|| netbios_name_of(&dns_name));
        if domains.iter().any(|domain| domain.name == name) {
            continue;
        }
        domains.push(Domain {
            name,
            dns_name,
            controllers,
        });
    }
    domains
}

/// The computers of `domain` in its first controller's directory, read over LDAP with the
/// user's Kerberos tickets ([`domain_computers`]), each named by its DNS host name at its
/// first address in DNS (those without one left out); none where there are no tickets or the
/// controller does not answer (said at debug level). Bounded by twice [`LDAP_TIME`].
pub async fn computers(dns: &DnsClient, domain: &Domain) -> Vec<BrowsedServer> {
    let Some((controller, address)) = domain.controllers.iter().find_map(|controller| {
        controller
            .addresses
            .first()
            .map(|address| (controller, *address))
    }) else {
        return Vec::new();
    };
    let names = match domain_computers(&controller.host, address).await {
        Ok(names) => names,
        Err(error) => {
            tracing::debug!(domain = %domain.dns_name, dc = %controller.host, %error,
                "no computers from the directory");
            return Vec::new();
        }
    };
    let deadline = tokio::time::Instant::now() + LDAP_TIME;
    let mut servers = Vec::new();
    for name in names {
        let addresses = if name == controller.host {
            controller.addresses.clone()
        } else {
            let Ok(addresses) = tokio::time::timeout_at(deadline, dns.addresses(&name)).await
            else {
                tracing::debug!(domain = %domain.dns_name, "out of time resolving computers");
                break;
            };
            addresses
        };
        if let Some(address) = addresses.first() {
            servers.push(BrowsedServer {
                name,
                address: *address,
            });
        } else {
            tracing::debug!(%name, "a computer without an address in DNS");
        }
    }
    servers
}

/// The NetBIOS domain name that the controller at `address` gives in the NTLM challenge of
/// its SMB server, when the DNS domain it gives (if any) is `dns_name`.
async fn challenge_domain_name(address: Ipv4Addr, dns_name: &str) -> Option<String> {
    let identity = controller_identity(address).await?;
    if identity
        .dns_domain
        .as_deref()
        .is_some_and(|domain| !domain.trim_end_matches('.').eq_ignore_ascii_case(dns_name))
    {
        return None;
    }
    let name = identity.netbios_domain?.to_ascii_uppercase();
    (name.len() <= 15 && !name.contains(['.', '\\', '/'])).then_some(name)
}

/// What the SMB server at `address` says of itself before a logon ([`server_identity`]):
/// a connection that negotiates, sends no credentials and ends, within 2 s
/// for each step.
pub async fn controller_identity(address: Ipv4Addr) -> Option<ServerIdentity> {
    let target = SocketAddr::from((address, SMB_PORT));
    let connection = wnet_smb2::connect_tcp(target, CONTROLLER_STEP).await.ok()?;
    negotiate(&connection, false).await.ok()?;
    server_identity(&connection).await.ok()
}

/// The domain's name in the node status of its controller at `address`: the group name of
/// suffix `<1C>` (domain controllers), else `<00>`.
async fn domain_group_name(browser: &Browser, address: Ipv4Addr) -> Option<String> {
    let names = browser.node_names_with(address, CONTROLLER_STATUS).await;
    [0x1C, 0x00].into_iter().find_map(|suffix| {
        names
            .iter()
            .find(|entry| entry.is_group() && entry.name.suffix() == suffix)
            .map(|entry| entry.name.name().trim_end().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_realm_is_read_from_libdefaults_only() {
        let text = "[realms]\n default_realm = WRONG\n[libdefaults]\n  dns_lookup_kdc = false\n\
                    # default_realm = COMMENTED\n  default_realm = CORP.EXAMPLE.TEST\n";
        assert_eq!(default_realm_of(text).as_deref(), Some("CORP.EXAMPLE.TEST"));
        assert_eq!(default_realm_of("[libdefaults]\ndefault_realm =\n"), None);
        assert_eq!(default_realm_of(""), None);
    }

    #[test]
    fn candidates_are_the_realm_then_the_search_list_once_each() {
        let search = vec!["corp.example.test".to_owned(), "lab.example".to_owned()];
        assert_eq!(
            candidate_names(Some("CORP.EXAMPLE.TEST."), &search),
            ["corp.example.test", "lab.example"]
        );
        assert!(candidate_names(None, &[]).is_empty());
    }

    #[test]
    fn a_domain_without_netbios_is_named_by_its_first_label() {
        assert_eq!(netbios_name_of("corp.example.test"), "CORP");
        assert_eq!(
            netbios_name_of("averyveryverylongname.test"),
            "AVERYVERYVERYLO"
        );
    }
}
