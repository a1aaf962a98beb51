//! The network neighbourhood as one view: servers and workgroups seen through NetBIOS (NBNS),
//! WS-Discovery (WSD), mDNS/DNS-SD, DNS and the directory, merged.
//!
//! - A server is one entry however many sources saw it: sightings with the same IPv4 address,
//!   or the same name (case-insensitive, `.local` ignored), are one server, and the entry keeps
//!   every source that saw it. Its name is the best one heard (NetBIOS, then WSD's metadata,
//!   then mDNS's host, then DNS), its workgroup the first one a source says.
//! - A workgroup or domain is known from NBNS (browse masters' node status), from WSD metadata
//!   (`NAME/Workgroup:WG`, `NAME/Domain:DOM`), from DNS (the host's Active Directory domains)
//!   and from the servers' workgroups.
//! - A WSD Bye or an mDNS goodbye takes that source away from its server; a server no source
//!   sees any more is gone.
//! - The view is bounded: at most [`MAX_SERVERS`] servers and [`MAX_WORKGROUPS`] workgroups;
//!   past them the least recently seen goes (announcements come from anyone on the link).
//!
//! Sans-IO: sightings go in, views come out. Discovery itself lives in `browse` (cold)
//! and in the agent (listening).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// The most servers a neighbourhood keeps.
pub const MAX_SERVERS: usize = 1024;
/// The most workgroups and domains a neighbourhood keeps.
pub const MAX_WORKGROUPS: usize = 256;

/// Where a server or a workgroup was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The NetBIOS name service: a group's members, node status, browse masters.
    Nbns,
    /// WS-Discovery: a ProbeMatch or Hello, with the metadata's name and workgroup.
    Wsd,
    /// mDNS/DNS-SD: an `_smb._tcp` service instance.
    Mdns,
    /// DNS: the host's Active Directory domains and their controllers.
    Dns,
    /// The directory (LDAP): a domain's computers.
    Directory,
}

impl Source {
    /// Its name as reports and JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Nbns => "nbns",
            Source::Wsd => "wsd",
            Source::Mdns => "mdns",
            Source::Dns => "dns",
            Source::Directory => "directory",
        }
    }

    /// How good a name this source gives a server: the lower, the better.
    fn name_rank(self) -> u8 {
        match self {
            Source::Nbns => 0,
            Source::Wsd => 1,
            Source::Mdns => 2,
            Source::Dns => 3,
            Source::Directory => 4,
        }
    }
}

/// One source's sighting of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The name it gives (NetBIOS name, WSD computer name, mDNS host, DNS host name).
    pub name: String,
    /// The server's IPv4 address.
    pub address: Ipv4Addr,
    /// The workgroup or domain it says the server is in, if it says.
    pub workgroup: Option<String>,
    /// Who saw it.
    pub source: Source,
    /// The identity the source knows it by, for its Bye or goodbye: a WSD endpoint address,
    /// an mDNS service instance name.
    pub identity: Option<String>,
}

/// A server of the neighbourhood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighbourServer {
    /// Its name: the best its sources gave.
    pub name: String,
    /// Its IPv4 address.
    pub address: Ipv4Addr,
    /// Its workgroup or domain, upper-case, if a source said.
    pub workgroup: Option<String>,
    /// Every source that sees it.
    pub sources: BTreeSet<Source>,
    /// The source whose name `name` is.
    name_source: Source,
    /// The identities its sources know it by (source, identity).
    identities: BTreeSet<(Source, String)>,
    /// When it was last seen, in the neighbourhood's own count of sightings.
    seen: u64,
}

impl NeighbourServer {
    /// A server one source saw, outside any neighbourhood (a domain shown as the server of its
    /// namespaces).
    pub fn seen_by(name: &str, address: Ipv4Addr, workgroup: Option<&str>, source: Source) -> Self {
        NeighbourServer {
            name: display_name(name, source),
            address,
            workgroup: workgroup.and_then(workgroup_name),
            sources: BTreeSet::from([source]),
            name_source: source,
            identities: BTreeSet::new(),
            seen: 0,
        }
    }
}

/// A workgroup or domain of the neighbourhood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighbourWorkgroup {
    /// Its name, upper-case (a domain's NetBIOS name, or its DNS name as a source gave it).
    pub name: String,
    /// Every source that knows it.
    pub sources: BTreeSet<Source>,
}

/// The merged neighbourhood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbourhood {
    servers: Vec<NeighbourServer>,
    workgroups: BTreeMap<String, (BTreeSet<Source>, u64)>,
    seen: u64,
}

/// A name as sightings compare it: without `.local`, upper-case.
fn comparable_name(name: &str) -> String {
    let trimmed = name.trim().trim_end_matches('.');
    let short = trimmed
        .strip_suffix(".local")
        .or_else(|| trimmed.strip_suffix(".LOCAL"))
        .unwrap_or(trimmed);
    short.to_ascii_uppercase()
}

/// A workgroup's name as the neighbourhood keeps it: trimmed, upper-case; `None` when empty.
fn workgroup_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_ascii_uppercase())
}

impl Neighbourhood {
    /// An empty neighbourhood.
    pub fn new() -> Neighbourhood {
        Neighbourhood::default()
    }

    fn tick(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    /// Takes in a sighting: a new server, or a new source, name or workgroup of a known one.
    pub fn observe(&mut self, sighting: Sighting) {
        let seen = self.tick();
        let workgroup = sighting.workgroup.as_deref().and_then(workgroup_name);
        if let Some(workgroup) = &workgroup {
            self.note_workgroup(workgroup, sighting.source, seen);
        }
        let wanted = comparable_name(&sighting.name);
        let has_identity = sighting.identity.is_some();
        let identity = sighting
            .identity
            .map(|identity| (sighting.source, identity));
        let position = identity
            .as_ref()
            .and_then(|identity| {
                self.servers
                    .iter()
                    .position(|server| server.identities.contains(identity))
            })
            .or_else(|| {
                self.servers
                    .iter()
                    .position(|server| server.address == sighting.address)
            })
            .or_else(|| {
                self.servers.iter().position(|server| {
                    !wanted.is_empty() && comparable_name(&server.name) == wanted
                })
            });
        let Some(position) = position else {
            self.servers.push(NeighbourServer {
                name: display_name(&sighting.name, sighting.source),
                address: sighting.address,
                workgroup,
                sources: BTreeSet::from([sighting.source]),
                name_source: sighting.source,
                identities: identity.into_iter().collect(),
                seen,
            });
            self.bound_servers();
            return;
        };
        let server = &mut self.servers[position];
        server.sources.insert(sighting.source);
        server.seen = seen;
        if let Some(identity) = identity {
            server.identities.insert(identity);
        }
        if sighting.source.name_rank() < server.name_source.name_rank() && !wanted.is_empty() {
            server.name = display_name(&sighting.name, sighting.source);
            server.name_source = sighting.source;
        }
        if server.workgroup.is_none() {
            server.workgroup = workgroup;
        }
        // The identity's source knows best where its server is now (a new DHCP lease).
        if has_identity {
            server.address = sighting.address;
        }
    }

    /// Takes in a workgroup or domain a source knows of.
    pub fn observe_workgroup(&mut self, name: &str, source: Source) {
        let seen = self.tick();
        if let Some(name) = workgroup_name(name) {
            self.note_workgroup(&name, source, seen);
        }
    }

    fn note_workgroup(&mut self, name: &str, source: Source, seen: u64) {
        let entry = self
            .workgroups
            .entry(name.to_owned())
            .or_insert_with(|| (BTreeSet::new(), seen));
        entry.0.insert(source);
        entry.1 = seen;
        while self.workgroups.len() > MAX_WORKGROUPS {
            let oldest = self
                .workgroups
                .iter()
                .min_by_key(|(_, (_, seen))| *seen)
                .map(|(name, _)| name.clone());
            match oldest {
                Some(oldest) => self.workgroups.remove(&oldest),
                None => break,
            };
        }
    }

    fn bound_servers(&mut self) {
        while self.servers.len() > MAX_SERVERS {
            let oldest = self
                .servers
                .iter()
                .enumerate()
                .min_by_key(|(_, server)| server.seen)
                .map(|(position, _)| position);
            match oldest {
                Some(position) => self.servers.remove(position),
                None => break,
            };
        }
    }

    /// A source says the server it knows as `identity` is gone (a WSD Bye, an mDNS goodbye):
    /// the source leaves that server, and the server leaves the view when no source is left.
    /// Whether a server was known by that identity.
    pub fn forget(&mut self, source: Source, identity: &str) -> bool {
        let key = (source, identity.to_owned());
        let Some(position) = self
            .servers
            .iter()
            .position(|server| server.identities.contains(&key))
        else {
            return false;
        };
        let server = &mut self.servers[position];
        server.identities.remove(&key);
        if !server.identities.iter().any(|(other, _)| *other == source) {
            server.sources.remove(&source);
        }
        if server.sources.is_empty() {
            self.servers.remove(position);
        }
        true
    }

    /// Takes in every sighting and workgroup of `other` (a newer round of discovery).
    pub fn merge(&mut self, other: &Neighbourhood) {
        for (name, (sources, _)) in &other.workgroups {
            for source in sources {
                self.observe_workgroup(name, *source);
            }
        }
        let mut servers: Vec<_> = other.servers.iter().collect();
        servers.sort_by_key(|server| server.seen);
        for server in servers {
            for source in &server.sources {
                let identities: Vec<_> = server
                    .identities
                    .iter()
                    .filter(|(known, _)| known == source)
                    .map(|(_, identity)| Some(identity.clone()))
                    .collect();
                let identities = if identities.is_empty() {
                    vec![None]
                } else {
                    identities
                };
                for identity in identities {
                    self.observe(Sighting {
                        name: server.name.clone(),
                        address: server.address,
                        workgroup: server.workgroup.clone(),
                        source: *source,
                        identity,
                    });
                }
            }
        }
    }

    /// Every server, sorted by name.
    pub fn servers(&self) -> Vec<NeighbourServer> {
        let mut servers = self.servers.clone();
        servers.sort_by_key(|server| (comparable_name(&server.name), server.address));
        servers
    }

    /// The servers of `workgroup` (any case), sorted by name; with `include_unplaced`, also
    /// those no source placed in a workgroup (mDNS says none: they are shown in the local
    /// workgroup, as other clients show them in their one list).
    pub fn servers_in(&self, workgroup: &str, include_unplaced: bool) -> Vec<NeighbourServer> {
        let wanted = workgroup.trim();
        self.servers()
            .into_iter()
            .filter(|server| match &server.workgroup {
                Some(name) => name.eq_ignore_ascii_case(wanted),
                None => include_unplaced,
            })
            .collect()
    }

    /// Whether a source knows the workgroup or domain `name` (any case).
    pub fn knows_workgroup(&self, name: &str) -> bool {
        workgroup_name(name).is_some_and(|name| self.workgroups.contains_key(&name))
    }

    /// Every workgroup and domain, sorted by name.
    pub fn workgroups(&self) -> Vec<NeighbourWorkgroup> {
        self.workgroups
            .iter()
            .map(|(name, (sources, _))| NeighbourWorkgroup {
                name: name.clone(),
                sources: sources.clone(),
            })
            .collect()
    }
}

/// The name a server is shown by: an mDNS host without `.local`, the rest as given.
fn display_name(name: &str, source: Source) -> String {
    let name = name.trim().trim_end_matches('.');
    match source {
        Source::Mdns => name
            .strip_suffix(".local")
            .or_else(|| name.strip_suffix(".LOCAL"))
            .unwrap_or(name)
            .to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(name: &str, last: u8, workgroup: Option<&str>, source: Source) -> Sighting {
        Sighting {
            name: name.into(),
            address: Ipv4Addr::new(198, 51, 100, last),
            workgroup: workgroup.map(Into::into),
            source,
            identity: None,
        }
    }

    fn with_identity(mut sighting: Sighting, identity: &str) -> Sighting {
        sighting.identity = Some(identity.into());
        sighting
    }

    fn names(servers: &[NeighbourServer]) -> Vec<(String, Vec<&'static str>)> {
        servers
            .iter()
            .map(|server| {
                let sources = server.sources.iter().map(|source| source.name()).collect();
                (server.name.clone(), sources)
            })
            .collect()
    }

    #[test]
    fn one_server_seen_three_ways_is_one_entry_with_three_sources() {
        let mut view = Neighbourhood::new();
        view.observe(with_identity(
            sighting("allhost.local", 135, None, Source::Mdns),
            "ALLHOST._smb._tcp.local",
        ));
        view.observe(with_identity(
            sighting("ALLHOST", 135, Some("wnetbcast"), Source::Wsd),
            "urn:uuid:1",
        ));
        view.observe(sighting("ALLHOST", 135, Some("WNETBCAST"), Source::Nbns));
        view.observe(sighting("WSDHOST", 133, Some("WNETWSD"), Source::Wsd));
        view.observe(sighting("MDNSHOST.local", 134, None, Source::Mdns));
        view.observe(sighting("NBHOST1", 130, Some("WNETBCAST"), Source::Nbns));
        assert_eq!(
            names(&view.servers()),
            [
                ("ALLHOST".into(), vec!["nbns", "wsd", "mdns"]),
                ("MDNSHOST".into(), vec!["mdns"]),
                ("NBHOST1".into(), vec!["nbns"]),
                ("WSDHOST".into(), vec!["wsd"]),
            ]
        );
        let workgroups: Vec<_> = view
            .workgroups()
            .into_iter()
            .map(|workgroup| workgroup.name)
            .collect();
        assert_eq!(workgroups, ["WNETBCAST", "WNETWSD"]);
        assert_eq!(
            names(&view.servers_in("wnetbcast", true)),
            [
                ("ALLHOST".into(), vec!["nbns", "wsd", "mdns"]),
                ("MDNSHOST".into(), vec!["mdns"]),
                ("NBHOST1".into(), vec!["nbns"]),
            ]
        );
        assert_eq!(
            names(&view.servers_in("WNETWSD", false)),
            [("WSDHOST".into(), vec!["wsd"])]
        );
    }

    #[test]
    fn the_same_name_at_another_address_is_the_same_server() {
        let mut view = Neighbourhood::new();
        view.observe(sighting("NAS", 140, Some("HOME"), Source::Nbns));
        view.observe(sighting("nas.local", 141, None, Source::Mdns));
        let servers = view.servers();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].address, Ipv4Addr::new(198, 51, 100, 140));
        assert_eq!(servers[0].workgroup.as_deref(), Some("HOME"));
    }

    #[test]
    fn a_bye_takes_its_source_away_and_the_last_source_the_server() {
        let mut view = Neighbourhood::new();
        view.observe(with_identity(
            sighting("ALLHOST", 135, Some("WNETBCAST"), Source::Wsd),
            "urn:uuid:all",
        ));
        view.observe(sighting("ALLHOST", 135, Some("WNETBCAST"), Source::Nbns));
        view.observe(with_identity(
            sighting("WSDHOST", 133, Some("WNETWSD"), Source::Wsd),
            "urn:uuid:wsd",
        ));
        assert!(view.forget(Source::Wsd, "urn:uuid:wsd"));
        assert!(view.forget(Source::Wsd, "urn:uuid:all"));
        assert!(!view.forget(Source::Wsd, "urn:uuid:unknown"));
        assert_eq!(names(&view.servers()), [("ALLHOST".into(), vec!["nbns"])]);
        // The workgroup known from WSD stays known: a workgroup has no Bye.
        assert_eq!(view.workgroups().len(), 2);
    }

    #[test]
    fn an_identity_follows_its_server_to_a_new_address() {
        let mut view = Neighbourhood::new();
        view.observe(with_identity(
            sighting("MDNSHOST.local", 134, None, Source::Mdns),
            "MDNSHOST._smb._tcp.local",
        ));
        view.observe(with_identity(
            sighting("MDNSHOST.local", 150, None, Source::Mdns),
            "MDNSHOST._smb._tcp.local",
        ));
        let servers = view.servers();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].address, Ipv4Addr::new(198, 51, 100, 150));
    }

    #[test]
    fn a_flood_of_announcements_keeps_the_newest_within_the_bound() {
        let mut view = Neighbourhood::new();
        for n in 0..(MAX_SERVERS as u32 * 3) {
            view.observe(Sighting {
                name: format!("HOST{n}"),
                address: Ipv4Addr::from(0x0a00_0000 + n),
                workgroup: Some(format!("WG{n}")),
                source: Source::Mdns,
                identity: Some(format!("HOST{n}._smb._tcp.local")),
            });
        }
        let servers = view.servers();
        assert_eq!(servers.len(), MAX_SERVERS);
        let last = format!("HOST{}", MAX_SERVERS as u32 * 3 - 1);
        assert!(servers.iter().any(|server| server.name == last));
        assert!(!servers.iter().any(|server| server.name == "HOST0"));
        assert_eq!(view.workgroups().len(), MAX_WORKGROUPS);
    }

    #[test]
    fn a_newer_round_merges_into_what_was_heard() {
        let mut heard = Neighbourhood::new();
        heard.observe(with_identity(
            sighting("WSDHOST", 133, Some("WNETWSD"), Source::Wsd),
            "urn:uuid:wsd",
        ));
        let mut round = Neighbourhood::new();
        round.observe(sighting("NBHOST1", 130, Some("WNETBCAST"), Source::Nbns));
        round.observe(with_identity(
            sighting("WSDHOST", 133, Some("WNETWSD"), Source::Wsd),
            "urn:uuid:wsd",
        ));
        heard.merge(&round);
        assert_eq!(
            names(&heard.servers()),
            [
                ("NBHOST1".into(), vec!["nbns"]),
                ("WSDHOST".into(), vec!["wsd"])
            ]
        );
        assert!(heard.forget(Source::Wsd, "urn:uuid:wsd"));
        assert_eq!(heard.servers().len(), 1);
    }
}
