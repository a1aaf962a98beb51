//! The network neighbourhood: workgroups and servers by NetBIOS browsing, and a server's
//! shares through the agent.

use super::{record, runtime, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{Logon, Request, Response, ShareEntry};
use crate::browse::Browser;
use crate::connect_credentials::resolve_credentials;
use crate::error::WinError;

/// The servers of a workgroup, found by NetBIOS browsing.
pub fn browse_servers(workgroup: &str) -> Result<Vec<crate::browse::BrowsedServer>, WinError> {
    runtime()?.block_on(async { Browser::from_env().await?.servers(workgroup).await })
}

/// The workgroups visible from here.
pub fn browse_workgroups() -> Result<Vec<String>, WinError> {
    runtime()?.block_on(async { Ok(Browser::from_env().await?.workgroups().await) })
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
