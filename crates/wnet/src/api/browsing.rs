//! The network neighbourhood: workgroups and servers by NetBIOS browsing, Active Directory
//! domains and their controllers by DNS, and a server's shares through the agent.

use super::{record, runtime, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{Logon, Request, Response, ShareEntry};
use crate::browse::{BrowsedServer, Browser};
use crate::connect_credentials::resolve_credentials;
use crate::dns::{DnsClient, DnsConfig};
use crate::domains::{Domain, computers, discover};
use crate::error::WinError;

/// The servers of a workgroup or domain: found by NetBIOS browsing and, for a domain of the
/// host's (see [`crate::domains`]), its domain controllers from DNS, named by their host names
/// where NetBIOS does not name them, and where the user has Kerberos tickets, its computers in
/// the directory ([`computers`]), each server once.
pub fn browse_servers(workgroup: &str) -> Result<Vec<BrowsedServer>, WinError> {
    runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let dns = DnsClient::new(DnsConfig::from_env()?);
        let (servers, domains) =
            tokio::join!(browser.servers(workgroup), discover(&dns, Some(&browser)));
        // A domain's DNS name is no NetBIOS name: DNS alone lists its servers.
        let mut servers = match servers {
            Err(_) if domains.iter().any(|domain| domain.is_called(workgroup)) => Vec::new(),
            other => other?,
        };
        add_controllers(&mut servers, workgroup, &domains);
        if let Some(domain) = domains.iter().find(|domain| domain.is_called(workgroup)) {
            add_computers(&mut servers, computers(&dns, domain).await);
            add_namespaces(&mut servers, domain);
        }
        Ok(servers)
    })
}

/// Adds the controllers of the domain called `name` (by its NetBIOS or DNS name) that are
/// not among `servers` by address, each named by its host name.
fn add_controllers(servers: &mut Vec<BrowsedServer>, name: &str, domains: &[Domain]) {
    let wanted = domains.iter().filter(|domain| domain.is_called(name));
    for controller in wanted.flat_map(|domain| domain.controllers.iter()) {
        let Some(address) = controller.addresses.first() else {
            continue;
        };
        if servers
            .iter()
            .any(|server| controller.addresses.contains(&server.address))
        {
            continue;
        }
        servers.push(BrowsedServer {
            name: controller.host.clone(),
            address: *address,
        });
    }
}

/// Adds the domain itself, by its DNS name, where its domain-based DFS namespaces live
/// (`\\corp.example\<namespace>`): its shares are the namespaces, which the agent finds
/// through the domain's controllers. Its address is its first controller's.
fn add_namespaces(servers: &mut Vec<BrowsedServer>, domain: &Domain) {
    let Some(address) = domain
        .controllers
        .iter()
        .find_map(|controller| controller.addresses.first())
    else {
        return;
    };
    servers.push(BrowsedServer {
        name: domain.dns_name.clone(),
        address: *address,
    });
}

/// Adds the `computers` not among `servers` by name (in any case) or address.
fn add_computers(servers: &mut Vec<BrowsedServer>, computers: Vec<BrowsedServer>) {
    for computer in computers {
        if !servers.iter().any(|server| {
            server.name.eq_ignore_ascii_case(&computer.name) || server.address == computer.address
        }) {
            servers.push(computer);
        }
    }
}

/// The workgroups visible from here, and the host's Active Directory domains found by DNS,
/// each name once, sorted.
pub fn browse_workgroups() -> Result<Vec<String>, WinError> {
    runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let dns = DnsClient::new(DnsConfig::from_env()?);
        let (mut names, domains) =
            tokio::join!(browser.workgroups(), discover(&dns, Some(&browser)));
        for domain in domains {
            if !names
                .iter()
                .any(|name| name.eq_ignore_ascii_case(&domain.name))
            {
                names.push(domain.name);
            }
        }
        names.sort();
        Ok(names)
    })
}

/// The shares of `server` (over the agent's session with it, or one made with the default
/// credentials or `user`/`password`), hidden ones included.
pub fn server_shares(
    server: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Vec<ShareEntry>, WinError> {
    let credentials = resolve_credentials(server, user, password)?;
    let mut agent = AgentClient::connect()?;
    match agent.call(Request::Shares {
        server: server.to_owned(),
        credentials,
        logon: Logon::of_caller(),
    })? {
        Response::Shares { shares } => Ok(shares),
        other => Err(unexpected(&other)),
    }
    .map_err(record)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::domains::DomainController;

    #[test]
    fn domain_controllers_join_the_servers_once_by_address() {
        let domains = vec![Domain {
            name: "CORP".into(),
            dns_name: "corp.example.test".into(),
            controllers: vec![
                DomainController {
                    host: "dc1.corp.example.test".into(),
                    addresses: vec![Ipv4Addr::new(198, 51, 100, 194)],
                },
                DomainController {
                    host: "dc2.corp.example.test".into(),
                    addresses: vec![Ipv4Addr::new(198, 51, 100, 196)],
                },
                DomainController {
                    host: "nowhere.corp.example.test".into(),
                    addresses: vec![],
                },
            ],
        }];
        let mut servers = vec![BrowsedServer {
            name: "DC2".into(),
            address: Ipv4Addr::new(198, 51, 100, 196),
        }];
        add_controllers(&mut servers, "corp", &domains);
        let names: Vec<_> = servers.iter().map(|server| server.name.as_str()).collect();
        assert_eq!(names, ["DC2", "dc1.corp.example.test"]);
        add_controllers(&mut servers, "corp.example.test", &domains);
        assert_eq!(servers.len(), 2);
        add_controllers(&mut servers, "WORKGROUP", &domains);
        assert_eq!(servers.len(), 2);
    }

    #[test]
    fn directory_computers_join_the_servers_once_by_name_or_address() {
        let server = |name: &str, last: u8| BrowsedServer {
            name: name.into(),
            address: Ipv4Addr::new(198, 51, 100, last),
        };
        let mut servers = vec![server("dc1.corp.example.test", 194), server("FS2", 197)];
        add_computers(
            &mut servers,
            vec![
                server("DC1.corp.example.test", 194),
                server("fs1.corp.example.test", 195),
                server("fs2.corp.example.test", 197),
                server("fs1.corp.example.test", 195),
            ],
        );
        let names: Vec<_> = servers.iter().map(|server| server.name.as_str()).collect();
        assert_eq!(
            names,
            ["dc1.corp.example.test", "FS2", "fs1.corp.example.test"]
        );
    }
}
