//! The network neighbourhood: workgroups and servers from NetBIOS, WS-Discovery and mDNS
//! (merged: [`crate::neighbourhood`]), Active Directory domains and their controllers by DNS,
//! the directory's computers, and a server's shares through the agent.
//!
//! A running agent answers from what it has heard ([`Request::Neighbourhood`]); without one,
//! each call runs a cold round of discovery itself ([`discover_neighbourhood`]).

use super::{record, runtime, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{Logon, Request, Response, ShareEntry};
use crate::browse::{
    BrowsedServer, Browser, DiscoveryScope, discover_neighbourhood, local_workgroup,
};
use crate::connect_credentials::resolve_credentials;
use crate::dns::{DnsClient, DnsConfig};
use crate::domains::{Domain, computers, discover};
use crate::error::{Cause, WinError, codes};
use crate::neighbourhood::{NeighbourServer, NeighbourWorkgroup, Neighbourhood, Sighting, Source};

/// What the running agent has heard, if an agent runs and answers.
fn heard_by_agent() -> Option<Neighbourhood> {
    let mut agent = AgentClient::connect_running()?;
    match agent.call(Request::Neighbourhood) {
        Ok(Response::Neighbourhood { view, .. }) => Some(view),
        Ok(other) => {
            tracing::debug!(answer = ?other, "the agent has no neighbourhood");
            None
        }
        Err(error) => {
            tracing::debug!(%error, "the agent has no neighbourhood");
            None
        }
    }
}

/// The servers of a workgroup or domain: NetBIOS, WS-Discovery and mDNS merged (servers no
/// source places in a workgroup are shown in this machine's), and for a domain of the host's
/// (see [`crate::domains`]) its domain controllers from DNS and, where the user has Kerberos
/// tickets, its computers in the directory ([`computers`]), each server once with every
/// source that saw it; last, the domain itself where its DFS namespaces live.
pub fn browse_servers(workgroup: &str) -> Result<Vec<NeighbourServer>, WinError> {
    let heard = heard_by_agent();
    runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let dns = DnsClient::new(DnsConfig::from_env()?);
        let local = local_workgroup();
        let is_local = workgroup.eq_ignore_ascii_case(&local);
        let found = async {
            match heard {
                Some(view) if is_local || view.knows_workgroup(workgroup) => Ok(view),
                _ => discover_neighbourhood(DiscoveryScope::ServersOf(workgroup)).await,
            }
        };
        let (view, domains) = tokio::join!(found, discover(&dns, Some(&browser)));
        let mut view = view?;
        let domain = domains.iter().find(|domain| domain.is_called(workgroup));
        // A domain's DNS name is no NetBIOS name: DNS alone lists its servers.
        if domain.is_none() && wnet_nbt::wire::NetbiosName::new(workgroup, 0).is_err() {
            return Err(WinError::with_cause(
                codes::ERROR_BAD_NET_NAME,
                Cause::Other(format!("{workgroup:?} is neither a workgroup nor a domain")),
            ));
        }
        let mut names = vec![workgroup.to_owned()];
        if let Some(domain) = domain {
            names.extend([domain.name.clone(), domain.dns_name.clone()]);
            add_controllers(&mut view, domain);
            add_computers(&mut view, domain, computers(&dns, domain).await);
        }
        let mut servers: Vec<NeighbourServer> = Vec::new();
        for name in &names {
            for server in view.servers_in(name, is_local && name == workgroup) {
                if !servers.iter().any(|known| known.address == server.address) {
                    servers.push(server);
                }
            }
        }
        if let Some(namespaces) = domain.and_then(namespaces_server) {
            servers.push(namespaces);
        }
        Ok(servers)
    })
}

/// Every server of the neighbourhood, whatever its workgroup (what Windows' Network folder
/// shows): NetBIOS's servers of every workgroup seen, WS-Discovery's computers and mDNS's
/// SMB services, merged, each once with its workgroup (where a source said) and every source
/// that saw it, sorted by name.
pub fn browse_neighbourhood() -> Result<Vec<NeighbourServer>, WinError> {
    let heard = heard_by_agent();
    runtime()?.block_on(async {
        let view = match heard {
            Some(view) => view,
            None => discover_neighbourhood(DiscoveryScope::Everything).await?,
        };
        Ok(view.servers())
    })
}

/// The domain's controllers, each named by its host name, placed in the domain.
fn add_controllers(view: &mut Neighbourhood, domain: &Domain) {
    for controller in &domain.controllers {
        let Some(address) = controller.addresses.first() else {
            continue;
        };
        view.observe(Sighting {
            name: controller.host.clone(),
            address: *address,
            workgroup: Some(domain.name.clone()),
            source: Source::Dns,
            identity: None,
        });
    }
}

/// The domain's computers the directory lists, placed in the domain.
fn add_computers(view: &mut Neighbourhood, domain: &Domain, computers: Vec<BrowsedServer>) {
    for computer in computers {
        view.observe(Sighting {
            name: computer.name,
            address: computer.address,
            workgroup: Some(domain.name.clone()),
            source: Source::Directory,
            identity: None,
        });
    }
}

/// The domain itself, by its DNS name, where its domain-based DFS namespaces live
/// (`\\corp.example\<namespace>`): its shares are the namespaces, which the agent finds
/// through the domain's controllers. Its address is its first controller's.
fn namespaces_server(domain: &Domain) -> Option<NeighbourServer> {
    let address = domain
        .controllers
        .iter()
        .find_map(|controller| controller.addresses.first())?;
    Some(NeighbourServer::seen_by(
        &domain.dns_name,
        *address,
        Some(&domain.name),
        Source::Dns,
    ))
}

/// The workgroups and domains visible from here, each once with the sources that know it,
/// sorted: this machine's workgroup, NetBIOS's, WS-Discovery's (from the computers'
/// metadata) and the host's Active Directory domains found by DNS.
pub fn browse_workgroups() -> Result<Vec<NeighbourWorkgroup>, WinError> {
    let heard = heard_by_agent();
    runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let dns = DnsClient::new(DnsConfig::from_env()?);
        let found = async {
            match heard {
                Some(view) => Ok(view),
                None => discover_neighbourhood(DiscoveryScope::Workgroups).await,
            }
        };
        let (view, domains) = tokio::join!(found, discover(&dns, Some(&browser)));
        let mut view = view?;
        for domain in domains {
            view.observe_workgroup(&domain.name, Source::Dns);
        }
        let mut workgroups = view.workgroups();
        let local = local_workgroup();
        if !workgroups.iter().any(|known| known.name == local) {
            workgroups.push(NeighbourWorkgroup {
                name: local,
                sources: std::collections::BTreeSet::new(),
            });
            workgroups.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(workgroups)
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

    fn corp() -> Domain {
        Domain {
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
        }
    }

    fn listed(view: &Neighbourhood) -> Vec<(String, Vec<&'static str>)> {
        view.servers_in("CORP", false)
            .into_iter()
            .map(|server| {
                let sources = server.sources.iter().map(|source| source.name()).collect();
                (server.name, sources)
            })
            .collect()
    }

    #[test]
    fn domain_controllers_join_the_servers_once_by_address() {
        let mut view = Neighbourhood::new();
        view.observe(Sighting {
            name: "DC2".into(),
            address: Ipv4Addr::new(198, 51, 100, 196),
            workgroup: Some("CORP".into()),
            source: Source::Nbns,
            identity: None,
        });
        add_controllers(&mut view, &corp());
        add_controllers(&mut view, &corp());
        assert_eq!(
            listed(&view),
            [
                ("dc1.corp.example.test".into(), vec!["dns"]),
                ("DC2".into(), vec!["nbns", "dns"]),
            ]
        );
    }

    #[test]
    fn directory_computers_join_the_servers_once_by_name_or_address() {
        let mut view = Neighbourhood::new();
        add_controllers(&mut view, &corp());
        let computer = |name: &str, last: u8| BrowsedServer {
            name: name.into(),
            address: Ipv4Addr::new(198, 51, 100, last),
        };
        add_computers(
            &mut view,
            &corp(),
            vec![
                computer("DC1.corp.example.test", 194),
                computer("fs1.corp.example.test", 195),
                computer("fs1.corp.example.test", 195),
            ],
        );
        assert_eq!(
            listed(&view),
            [
                ("dc1.corp.example.test".into(), vec!["dns", "directory"]),
                ("dc2.corp.example.test".into(), vec!["dns"]),
                ("fs1.corp.example.test".into(), vec!["directory"]),
            ]
        );
    }

    #[test]
    fn the_domain_serves_its_namespaces_at_its_first_controller() {
        let server = namespaces_server(&corp()).unwrap();
        assert_eq!(server.name, "corp.example.test");
        assert_eq!(server.address, Ipv4Addr::new(198, 51, 100, 194));
    }
}
