//! The WNet core: the Windows Networking API (mpr.dll's `WNet*` functions) on Linux.
//!
//! This crate owns `NetResource`, `WinError` (Win32 codes with their standard texts and the
//! NTSTATUS or NBT cause behind them), the per-thread last extended error, name resolution for
//! servers, the host's Active Directory domains (DNS SRV), the WS-Discovery client codec
//! (`wsd`, not used yet), enumeration scopes, universal names, resource information and
//! parent, user names, credentials and the remembered-connections store. It is a client of the per-user agent
//! (`wnet-agent`), which holds the SMB sessions, the connection table and the mounts.
//!
//! It may depend on `wnet-nbt` for name resolution. It must not depend on the agent's crate,
//! the CLI or Python; the agent and the front ends depend on it.

pub mod agent_client;
pub mod agent_protocol;
pub mod api;
pub mod browse;
pub mod config_dir;
pub mod connect_credentials;
pub mod credentials;
pub mod dns;
pub mod domains;
pub mod drives;
pub mod error;
pub mod file_channel;
pub mod last_error;
pub mod ldap;
pub mod multicast;
pub mod neighbourhood;
pub mod remembered;
pub mod resolve;
pub mod resource;
pub mod secret_buffer;
pub mod security_policy;
#[cfg(test)]
mod test_dir;
pub mod unc;
pub mod wsd;
pub mod zeroing_alloc;

pub use error::{Cause, WinError};
pub use last_error::{ExtendedError, get_last_error, set_last_error};
pub use resource::NetResource;
pub use unc::UncName;
/// A srvsvc share type decoded once, for every front end (`ShareEntry::share_type` holds it raw).
pub use wnet_smb2::rpc::srvsvc::{ShareKind, ShareType};
