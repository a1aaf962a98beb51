//! DFS namespaces as the client sees them (`dfsutil client property state`,
//! NetDfsGetClientInfo): where a path lands, and the referrals that sent it there, each with
//! its targets in order and the one in use. The agent follows the referrals and keeps their
//! cache; this module asks it.

use super::names::get_universal_name;
use super::{record, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{DfsReferralHop, Logon, Request, Response};
use crate::connect_credentials::resolve_credentials;
use crate::error::{WinError, codes};
use crate::resource::info_level;
use crate::unc::UncName;

/// Where a path lands in DFS and how it got there ([`dfs_targets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfsTargets {
    /// The physical path: `\\server\share\path` on the share that holds it (the path itself
    /// when it is in no namespace).
    pub physical: String,
    /// The referrals followed, in order: a namespace root's first, then its link's, and so on
    /// through nested namespaces. Empty when the path is in no namespace.
    pub referrals: Vec<DfsReferral>,
    /// How many referral requests the agent has sent since it started: a path answered from
    /// the referral cache leaves it unchanged.
    pub referral_requests: u64,
}

/// One referral a path was sent through: what `dfsutil` lists for a cached entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfsReferral {
    /// The part of the path the referral covers, `\\server\root` or `\\server\root\link`.
    pub prefix: String,
    /// Whether it is a link's referral (else a namespace root's).
    pub link: bool,
    /// The targets, `\\server\share[\path]`, in the order the server gave them (the order
    /// failover tries them in).
    pub targets: Vec<String>,
    /// The index in `targets` of the one in use.
    pub active: usize,
    /// How many seconds the referral stays cached.
    pub ttl_seconds: u64,
}

impl DfsReferral {
    /// The target in use, if `active` names one.
    pub fn active_target(&self) -> Option<&str> {
        self.targets.get(self.active).map(String::as_str)
    }
}

impl From<DfsReferralHop> for DfsReferral {
    fn from(hop: DfsReferralHop) -> DfsReferral {
        DfsReferral {
            prefix: hop.prefix,
            link: hop.link,
            targets: hop.targets,
            active: hop.active,
            ttl_seconds: hop.ttl_seconds,
        }
    }
}

/// Where `path` lands in DFS: its physical path and each referral on the way, as
/// `dfsutil client property state` and NetDfsGetClientInfo show them.
///
/// `path` is a UNC path (`\\server\share\...`, `\\domain\namespace\...`, or with `/`) or a
/// path on a redirected device or under its mount point (`Z:\dir`), which is first made its
/// universal name as [`get_universal_name`] does. A path in no namespace has no referrals and
/// is its own physical path. Sessions the referrals need are made with the default
/// credentials for the server named ([`resolve_credentials`]) or the caller's Kerberos
/// tickets.
///
/// Errors: ERROR_INVALID_PARAMETER for an empty path, ERROR_BAD_NET_NAME for a name with no
/// share, ERROR_NOT_CONNECTED for a local path on no redirected device, and what the agent
/// reports (ERROR_BAD_NET_NAME for a referral loop or a link with no target left).
pub fn dfs_targets(path: &str) -> Result<DfsTargets, WinError> {
    dfs_targets_inner(path).map_err(record)
}

fn dfs_targets_inner(path: &str) -> Result<DfsTargets, WinError> {
    let unc = remote_path(path)?;
    let credentials = resolve_credentials(&unc.server, None, None)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::DfsTargets {
        remote_path: unc,
        credentials,
        logon: Logon::of_caller(),
    })?;
    from_response(response)
}

/// The UNC name `path` stands for: itself when it is one, else the universal name of the
/// local path; it must name a share.
fn remote_path(path: &str) -> Result<UncName, WinError> {
    if path.is_empty() {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let is_unc = path.starts_with("\\\\") || path.starts_with("//");
    let unc = if is_unc {
        UncName::parse(path)?
    } else {
        let name = get_universal_name(path, info_level::REMOTE_NAME_INFO_LEVEL)?;
        UncName::parse(&name.universal_name)?
    };
    if unc.share.is_none() {
        return Err(WinError::new(codes::ERROR_BAD_NET_NAME));
    }
    Ok(unc)
}

/// The agent's answer as a [`DfsTargets`].
fn from_response(response: Response) -> Result<DfsTargets, WinError> {
    let Response::DfsTargets {
        physical,
        hops,
        referral_requests,
    } = response
    else {
        return Err(unexpected(&response));
    };
    Ok(DfsTargets {
        physical: physical.to_windows(),
        referrals: hops.into_iter().map(DfsReferral::from).collect(),
        referral_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unc(text: &str) -> UncName {
        UncName::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn unc_paths_are_taken_as_they_are() {
        assert_eq!(
            remote_path(r"\\fs1\dfs\mirror\target.txt").ok(),
            Some(unc(r"\\fs1\dfs\mirror\target.txt"))
        );
        assert_eq!(
            remote_path("//corp.example/files/a").ok(),
            Some(unc(r"\\corp.example\files\a"))
        );
    }

    #[test]
    fn paths_without_a_share_are_refused() {
        let code = |path: &str| remote_path(path).err().map(|error| error.code);
        assert_eq!(code(""), Some(codes::ERROR_INVALID_PARAMETER));
        assert_eq!(code(r"\\fs1"), Some(codes::ERROR_BAD_NET_NAME));
        assert_eq!(code(r"\\fs1\"), Some(codes::ERROR_BAD_NET_NAME));
    }

    #[test]
    fn the_answer_keeps_the_referrals_in_order() {
        let hop = |prefix: &str, link: bool, targets: &[&str], active: usize| DfsReferralHop {
            prefix: prefix.to_owned(),
            link,
            targets: targets.iter().map(|target| (*target).to_owned()).collect(),
            active,
            ttl_seconds: 300,
        };
        let answer = from_response(Response::DfsTargets {
            physical: unc(r"\\fs1\docs\target.txt"),
            hops: vec![
                hop(r"\\fs1\dfs\nested", true, &[r"\\fs2\dfs2"], 0),
                hop(r"\\fs2\dfs2\deep", true, &[r"\\fs1\docs", r"\\fs3\docs"], 1),
            ],
            referral_requests: 4,
        })
        .ok();
        let Some(answer) = answer else {
            panic!("a DfsTargets answer was refused");
        };
        assert_eq!(answer.physical, r"\\fs1\docs\target.txt");
        assert_eq!(answer.referral_requests, 4);
        let prefixes: Vec<&str> = answer.referrals.iter().map(|r| r.prefix.as_str()).collect();
        assert_eq!(prefixes, [r"\\fs1\dfs\nested", r"\\fs2\dfs2\deep"]);
        assert_eq!(answer.referrals[1].active_target(), Some(r"\\fs3\docs"));
        assert_eq!(answer.referrals[1].ttl_seconds, 300);
    }

    #[test]
    fn other_answers_are_unexpected() {
        let code = from_response(Response::Ok).err().map(|error| error.code);
        assert_eq!(code, Some(codes::ERROR_UNEXP_NET_ERR));
    }
}
