//! Resource information: the provider's resource for a remote path
//! (WNetGetResourceInformation), a resource's parent (WNetGetResourceParent), and the
//! NETRESOURCEs of the provider's containers and shares.

use super::{check_provider, record, runtime, unexpected};
use crate::agent_client::AgentClient;
use crate::agent_protocol::{Logon, Request, Response, ShareEntry};
use crate::browse::{Browser, local_workgroup};
use crate::connect_credentials::resolve_credentials;
use crate::error::{WinError, codes};
use crate::resource::{NetResource, PROVIDER_NAME, display_type, resource_type, scope, usage};
use crate::unc::UncName;

pub(super) fn share_resource(server: &str, share: &ShareEntry, scope_value: u32) -> NetResource {
    let decoded = crate::ShareType::from_stype(share.share_type);
    NetResource {
        scope: scope_value,
        resource_type: match decoded.kind {
            crate::ShareKind::Disk => resource_type::RESOURCETYPE_DISK,
            crate::ShareKind::PrintQueue => resource_type::RESOURCETYPE_PRINT,
            _ => resource_type::RESOURCETYPE_ANY,
        },
        display_type: if decoded.special {
            display_type::RESOURCEDISPLAYTYPE_SHAREADMIN
        } else {
            display_type::RESOURCEDISPLAYTYPE_SHARE
        },
        usage: usage::RESOURCEUSAGE_CONNECTABLE,
        local_name: None,
        remote_name: Some(format!("\\\\{server}\\{}", share.name)),
        comment: Some(share.comment.clone()),
        provider: Some(PROVIDER_NAME.to_owned()),
    }
}

/// A GLOBALNET container of the provider: a workgroup or a server.
fn container_resource(remote_name: String, display: u32, comment: Option<String>) -> NetResource {
    NetResource {
        scope: scope::RESOURCE_GLOBALNET,
        resource_type: resource_type::RESOURCETYPE_ANY,
        display_type: display,
        usage: usage::RESOURCEUSAGE_CONTAINER,
        local_name: None,
        remote_name: Some(remote_name),
        comment,
        provider: Some(PROVIDER_NAME.to_owned()),
    }
}

pub(super) fn server_resource(name: &str) -> NetResource {
    container_resource(
        format!("\\\\{name}"),
        display_type::RESOURCEDISPLAYTYPE_SERVER,
        Some(String::new()),
    )
}

pub(super) fn workgroup_resource(name: &str) -> NetResource {
    container_resource(
        name.to_owned(),
        display_type::RESOURCEDISPLAYTYPE_DOMAIN,
        None,
    )
}

/// WNetGetResourceInformation: the provider's resource for a remote path, and the part of
/// the path below it; the path must exist on the server.
pub fn get_resource_information(
    resource: &NetResource,
) -> Result<(NetResource, Option<String>), WinError> {
    get_resource_information_inner(resource).map_err(record)
}

fn get_resource_information_inner(
    resource: &NetResource,
) -> Result<(NetResource, Option<String>), WinError> {
    check_provider(resource)?;
    let remote = resource
        .remote_name
        .as_deref()
        .filter(|remote| !remote.is_empty())
        .ok_or_else(|| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    let unc = UncName::parse(remote).map_err(|_| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if unc.share.is_none() {
        runtime()?
            .block_on(async {
                crate::resolve::Resolver::new(crate::resolve::ProviderConfig::from_env()?)
                    .resolve(&unc.server)
                    .await
            })
            .map_err(|error| WinError {
                code: codes::ERROR_BAD_NET_NAME,
                cause: error.cause,
            })?;
        return Ok((server_resource(&unc.server), None));
    }
    let credentials = resolve_credentials(&unc.server, None, None)?;
    let mut agent = AgentClient::connect()?;
    let response = agent.call(Request::ResourceInformation {
        remote_path: unc,
        credentials,
        logon: Logon::of_caller(),
    })?;
    let Response::ResourceInformation {
        remote_name,
        remaining_path,
        ..
    } = response
    else {
        return Err(unexpected(&response));
    };
    Ok((
        NetResource {
            scope: 0,
            resource_type: resource_type::RESOURCETYPE_DISK,
            display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
            usage: usage::RESOURCEUSAGE_CONNECTABLE,
            local_name: None,
            remote_name: Some(remote_name),
            comment: None,
            provider: Some(PROVIDER_NAME.to_owned()),
        },
        remaining_path,
    ))
}

/// The parent of a path below a share, one component up: a folder of a DFS namespace
/// (`\\fs1\dfs\link` → `\\fs1\dfs`, a link's own folders above it) or of a share;
/// `None` for a share or a server.
fn folder_parent(unc: &UncName) -> Option<NetResource> {
    let (_, above) = unc.path.split_last()?;
    let parent = UncName {
        path: above.to_vec(),
        ..unc.clone()
    };
    Some(NetResource {
        scope: scope::RESOURCE_GLOBALNET,
        resource_type: resource_type::RESOURCETYPE_DISK,
        display_type: if above.is_empty() {
            display_type::RESOURCEDISPLAYTYPE_SHARE
        } else {
            display_type::RESOURCEDISPLAYTYPE_DIRECTORY
        },
        usage: usage::RESOURCEUSAGE_CONNECTABLE | usage::RESOURCEUSAGE_CONTAINER,
        local_name: None,
        remote_name: Some(parent.to_windows()),
        comment: None,
        provider: Some(PROVIDER_NAME.to_owned()),
    })
}

/// The NetBIOS name of the host's domain that `name` names by its DNS name (the Kerberos
/// default realm or a resolv.conf search domain), if it names one: the parent of a domain's
/// own name (`\\corp.example`, where its namespaces live) is the domain.
fn host_domain_netbios_name(name: &str) -> Option<String> {
    let domains = crate::domains::host_domain_names();
    crate::domains::domain_named(&domains, name)
        .filter(|dns_name| dns_name.eq_ignore_ascii_case(name))
        .map(crate::domains::netbios_name_of)
}

/// WNetGetResourceParent: a folder → the folder or share above it → server → workgroup or
/// domain → provider.
pub fn get_resource_parent(resource: &NetResource) -> Result<NetResource, WinError> {
    check_provider(resource)?;
    let remote = resource
        .remote_name
        .as_deref()
        .filter(|remote| !remote.is_empty())
        .ok_or_else(|| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if remote.eq_ignore_ascii_case(PROVIDER_NAME) {
        return Ok(NetResource {
            provider: Some(PROVIDER_NAME.to_owned()),
            ..NetResource::default()
        });
    }
    if !(remote.starts_with("\\\\") || remote.starts_with("//")) {
        return Ok(NetResource::provider_root());
    }
    let unc = UncName::parse(remote).map_err(|_| WinError::new(codes::ERROR_BAD_NET_NAME))?;
    if let Some(parent) = folder_parent(&unc) {
        return Ok(parent);
    }
    if unc.share.is_some() {
        return Ok(server_resource(&unc.server));
    }
    if let Some(domain) = host_domain_netbios_name(&unc.server) {
        return Ok(workgroup_resource(&domain));
    }
    let workgroup = runtime()?.block_on(async {
        let browser = Browser::from_env().await?;
        let address = match unc.server.parse() {
            Ok(address) => Some(address),
            Err(_) => browser.resolve(&unc.server).await,
        };
        Ok::<_, WinError>(match address {
            Some(address) => browser.workgroup_of(address).await,
            None => None,
        })
    })?;
    Ok(workgroup_resource(
        &workgroup.unwrap_or_else(local_workgroup),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent_of(text: &str) -> Option<(String, u32)> {
        folder_parent(&UncName::parse(text).unwrap())
            .map(|parent| (parent.remote_name.unwrap_or_default(), parent.display_type))
    }

    #[test]
    fn folders_walk_up_to_their_share_then_stop() {
        assert_eq!(
            parent_of(r"\\fs1\dfs\mirror\sub"),
            Some((
                r"\\fs1\dfs\mirror".to_owned(),
                display_type::RESOURCEDISPLAYTYPE_DIRECTORY
            ))
        );
        assert_eq!(
            parent_of(r"\\fs1\dfs\mirror"),
            Some((
                r"\\fs1\dfs".to_owned(),
                display_type::RESOURCEDISPLAYTYPE_SHARE
            ))
        );
        assert_eq!(parent_of(r"\\fs1\dfs"), None);
        assert_eq!(parent_of(r"\\fs1"), None);
    }
}
