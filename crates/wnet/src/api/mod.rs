//! The WNet functions (mpr.dll's `WNet*`), blocking, with Windows' argument rules and error
//! codes. Connections live in the per-user agent, which is started on demand; remembered
//! connections in the per-user store; browsing goes through the NetBIOS name service.
//!
//! Every function returns `Result<_, WinError>`; the caller (the Python layer, the CLI) turns
//! the error into its own form. Failures with a cause are also recorded as the thread's last
//! extended error, which `WNetGetLastError` returns.
//!
//! One concern per module, each private and re-exported here: `connections` (add, cancel and
//! get connections, the user, restoring remembered devices), `enumeration` (the enumeration
//! handles of `WNetOpenEnum`), `browsing` (workgroups, servers and shares), `resources`
//! (resource information and parents), `names` (universal names), `dfs` (where a path
//! lands in DFS namespaces, and the referrals on the way), `paths` (the local path a
//! UNC or drive-letter path stands for) and `mountinfo` (the cifs/smb3 mounts of
//! `/proc/self/mountinfo`, a pure parser).

use std::path::Path;

use crate::agent_protocol::Response;
use crate::error::{Cause, WinError, codes};
use crate::last_error::set_last_error;
use crate::remembered::{RememberedStore, remembered_path};
use crate::resource::{NetResource, PROVIDER_NAME};

mod browsing;
mod connections;
mod dfs;
mod enumeration;
mod files;
mod mountinfo;
mod names;
mod paths;
mod resources;

pub use crate::connect_credentials::resolve_credentials;
pub use crate::remembered::restore_hint;
pub use browsing::{browse_neighbourhood, browse_servers, browse_workgroups, server_shares};
pub use connections::{
    Added, Restored, add_connection, add_connection_requiring, cancel_connection, connections,
    current_user, get_connection, get_user, restore_remembered,
};
pub use dfs::{DfsReferral, DfsTargets, dfs_targets};
pub use enumeration::{RESOURCEUSAGE_WNET_HIDDEN, close_enum, enum_resource, open_enum};
pub use files::{FileChannel, MAX_READ_CALL, SharePath, share_path};
pub use names::{UniversalName, get_universal_name};
pub use paths::{
    NetPath, classify, code_for_errno, forget_served_paths, is_network_path, local_path_for,
    may_be_network_path, may_begin_network_path, path_support_enabled,
};
pub use resources::{get_resource_information, get_resource_parent};

fn record(error: WinError) -> WinError {
    if let Some(cause) = &error.cause {
        set_last_error(error.code, cause.to_string(), PROVIDER_NAME);
    }
    error
}

fn unexpected(response: &Response) -> WinError {
    WinError::with_cause(
        codes::ERROR_UNEXP_NET_ERR,
        Cause::Agent(format!("unexpected answer from the agent: {response:?}")),
    )
}

fn check_provider(resource: &NetResource) -> Result<(), WinError> {
    match resource.provider.as_deref() {
        None | Some("") => Ok(()),
        Some(name) if name.eq_ignore_ascii_case(PROVIDER_NAME) => Ok(()),
        Some(_) => Err(WinError::new(codes::ERROR_BAD_PROVIDER)),
    }
}

fn load_remembered() -> Result<RememberedStore, WinError> {
    match remembered_path() {
        Some(path) => RememberedStore::load(&path).map_err(|error| error.to_win_error()),
        None => Ok(RememberedStore::empty(Path::new("/dev/null"))),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, WinError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            WinError::with_cause(
                codes::ERROR_NOT_ENOUGH_MEMORY,
                Cause::Other(error.to_string()),
            )
        })
}
