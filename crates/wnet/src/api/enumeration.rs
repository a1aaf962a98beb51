//! Enumeration (WNetOpenEnum, WNetEnumResource, WNetCloseEnum): the items of a scope,
//! gathered when the enumeration opens, and the table of open handles.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::browsing::{browse_servers, browse_workgroups, server_shares};
use super::connections::connections;
use super::resources::{server_resource, share_resource, workgroup_resource};
use super::{check_provider, load_remembered, record};
use crate::browse::local_workgroup;
use crate::error::{WinError, codes};
use crate::resource::{NetResource, PROVIDER_NAME, display_type, resource_type, scope, usage};
use crate::unc::UncName;

/// A wnet extension of `dwUsage` for `WNetOpenEnum`: list shares whose names end in `$`,
/// which Windows' enumeration hides.
pub const RESOURCEUSAGE_WNET_HIDDEN: u32 = 0x4000_0000;

struct Enumeration {
    items: VecDeque<NetResource>,
}

static ENUMERATIONS: Mutex<Option<(u32, HashMap<u32, Enumeration>)>> = Mutex::new(None);

fn with_enumerations<T>(work: impl FnOnce(&mut u32, &mut HashMap<u32, Enumeration>) -> T) -> T {
    let mut guard = ENUMERATIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (next, table) = guard.get_or_insert_with(|| (1, HashMap::new()));
    work(next, table)
}

fn type_matches(filter: u32, resource: &NetResource) -> bool {
    filter == resource_type::RESOURCETYPE_ANY
        || resource.is_container()
        || resource.resource_type == filter
}

fn usage_matches(filter: u32, resource: &NetResource) -> bool {
    let wanted = filter & (usage::RESOURCEUSAGE_CONNECTABLE | usage::RESOURCEUSAGE_CONTAINER);
    wanted == 0 || resource.usage & wanted != 0
}

/// WNetOpenEnum: starts an enumeration and returns its handle.
pub fn open_enum(
    scope_value: u32,
    type_filter: u32,
    usage_filter: u32,
    resource: Option<&NetResource>,
) -> Result<u32, WinError> {
    let items = enumerate(scope_value, type_filter, usage_filter, resource).map_err(record)?;
    Ok(with_enumerations(|next, table| {
        let handle = *next;
        *next = next.wrapping_add(1).max(1);
        table.insert(
            handle,
            Enumeration {
                items: items.into(),
            },
        );
        handle
    }))
}

/// WNetEnumResource: up to `count` more items (`u32::MAX`: all); ERROR_NO_MORE_ITEMS at the
/// end; ERROR_INVALID_HANDLE for a closed or unknown handle.
pub fn enum_resource(handle: u32, count: u32) -> Result<Vec<NetResource>, WinError> {
    with_enumerations(|_, table| {
        let enumeration = table
            .get_mut(&handle)
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))?;
        if enumeration.items.is_empty() {
            return Err(WinError::new(codes::ERROR_NO_MORE_ITEMS));
        }
        let take = (count as usize).min(enumeration.items.len()).max(1);
        Ok(enumeration.items.drain(..take).collect())
    })
}

/// WNetCloseEnum.
pub fn close_enum(handle: u32) -> Result<(), WinError> {
    with_enumerations(|_, table| {
        table
            .remove(&handle)
            .map(|_| ())
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    })
}

/// What a GLOBALNET container is.
enum Container {
    Root,
    Provider,
    Workgroup(String),
    Server(String),
}

fn classify(resource: &NetResource) -> Result<Container, WinError> {
    check_provider(resource)?;
    let name = resource.remote_name.as_deref().unwrap_or_default();
    let marked_leaf = resource.usage != 0 && !resource.is_container();
    if name.is_empty() {
        return if resource.display_type == display_type::RESOURCEDISPLAYTYPE_NETWORK
            || resource.provider.is_some()
        {
            Ok(Container::Provider)
        } else {
            Ok(Container::Root)
        };
    }
    if name.eq_ignore_ascii_case(PROVIDER_NAME) {
        return Ok(Container::Provider);
    }
    if name.starts_with("\\\\") || name.starts_with("//") {
        let unc = UncName::parse(name)?;
        if unc.share.is_some() || marked_leaf {
            return Err(WinError::new(codes::ERROR_NOT_CONTAINER));
        }
        return Ok(Container::Server(unc.server));
    }
    if marked_leaf {
        return Err(WinError::new(codes::ERROR_NOT_CONTAINER));
    }
    Ok(Container::Workgroup(name.to_owned()))
}

fn enumerate(
    scope_value: u32,
    type_filter: u32,
    usage_filter: u32,
    resource: Option<&NetResource>,
) -> Result<Vec<NetResource>, WinError> {
    if !matches!(
        type_filter,
        resource_type::RESOURCETYPE_ANY
            | resource_type::RESOURCETYPE_DISK
            | resource_type::RESOURCETYPE_PRINT
    ) {
        return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
    }
    let show_hidden = usage_filter & RESOURCEUSAGE_WNET_HIDDEN != 0;
    let items = match scope_value {
        scope::RESOURCE_CONNECTED => {
            if resource.is_some() {
                return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
            }
            connections()?
                .into_iter()
                .map(|entry| NetResource {
                    scope: scope::RESOURCE_CONNECTED,
                    resource_type: entry.resource_type,
                    display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
                    usage: usage::RESOURCEUSAGE_CONNECTABLE,
                    local_name: entry.local_name.map(String::from),
                    remote_name: Some(entry.remote_name.to_string()),
                    comment: None,
                    provider: Some(PROVIDER_NAME.to_owned()),
                })
                .filter(|item| type_matches(type_filter, item))
                .collect()
        }
        scope::RESOURCE_REMEMBERED => {
            if resource.is_some() {
                return Err(WinError::new(codes::ERROR_INVALID_PARAMETER));
            }
            load_remembered()?
                .entries()
                .iter()
                .map(|entry| NetResource {
                    scope: scope::RESOURCE_REMEMBERED,
                    resource_type: entry.resource_type,
                    display_type: display_type::RESOURCEDISPLAYTYPE_SHARE,
                    usage: usage::RESOURCEUSAGE_CONNECTABLE,
                    local_name: Some(entry.local_name.clone()),
                    remote_name: Some(entry.remote_name.clone()),
                    comment: None,
                    provider: Some(entry.provider.clone()),
                })
                .filter(|item| type_matches(type_filter, item))
                .collect()
        }
        scope::RESOURCE_CONTEXT => {
            let mut items = vec![NetResource {
                scope: scope::RESOURCE_GLOBALNET,
                resource_type: resource_type::RESOURCETYPE_ANY,
                display_type: display_type::RESOURCEDISPLAYTYPE_ROOT,
                usage: usage::RESOURCEUSAGE_CONTAINER,
                local_name: None,
                remote_name: Some("Entire Network".to_owned()),
                comment: None,
                provider: Some(PROVIDER_NAME.to_owned()),
            }];
            items.extend(
                browse_servers(&local_workgroup())?
                    .iter()
                    .map(|server| server_resource(&server.name)),
            );
            items
        }
        scope::RESOURCE_GLOBALNET => {
            let container = resource.map_or(Ok(Container::Root), classify)?;
            let items = match container {
                Container::Root => vec![NetResource::provider_root()],
                Container::Provider => browse_workgroups()?
                    .iter()
                    .map(|workgroup| workgroup_resource(&workgroup.name))
                    .collect(),
                Container::Workgroup(name) => browse_servers(&name)?
                    .iter()
                    .map(|server| server_resource(&server.name))
                    .collect(),
                Container::Server(server) => server_shares(&server, None, None)?
                    .iter()
                    .filter(|share| show_hidden || !share.name.ends_with('$'))
                    .map(|share| share_resource(&server, share, scope::RESOURCE_GLOBALNET))
                    .collect(),
            };
            items
                .into_iter()
                .filter(|item| type_matches(type_filter, item) && usage_matches(usage_filter, item))
                .collect()
        }
        _ => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
    };
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_handles_follow_windows_rules() {
        let handle = open_enum(scope::RESOURCE_GLOBALNET, 0, 0, None).unwrap();
        let items = enum_resource(handle, 10).unwrap();
        assert_eq!(items, vec![NetResource::provider_root()]);
        assert_eq!(
            enum_resource(handle, 10).unwrap_err().code,
            codes::ERROR_NO_MORE_ITEMS
        );
        close_enum(handle).unwrap();
        assert_eq!(
            enum_resource(handle, 10).unwrap_err().code,
            codes::ERROR_INVALID_HANDLE
        );
        assert_eq!(
            close_enum(handle).unwrap_err().code,
            codes::ERROR_INVALID_HANDLE
        );
        let share = NetResource {
            remote_name: Some("\\\\srv\\share".into()),
            ..NetResource::default()
        };
        assert_eq!(
            open_enum(scope::RESOURCE_GLOBALNET, 0, 0, Some(&share))
                .unwrap_err()
                .code,
            codes::ERROR_NOT_CONTAINER
        );
        assert_eq!(
            open_enum(scope::RESOURCE_CONNECTED, 0, 0, Some(&share))
                .unwrap_err()
                .code,
            codes::ERROR_INVALID_PARAMETER
        );
        assert_eq!(
            open_enum(9, 0, 0, None).unwrap_err().code,
            codes::ERROR_INVALID_PARAMETER
        );
    }
}
