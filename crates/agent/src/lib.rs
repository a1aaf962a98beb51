//! The per-user workstation agent, the equivalent of Windows' workstation service or gvfsd.
//!
//! This crate owns the long-lived state behind the WNet API: the SMB sessions, the connection
//! table, the FUSE mounts of redirected local devices, and the local RPC endpoint (a Unix socket
//! in a 0700 directory, with a peer-uid check) through which `wnet` clients reach it.
//!
//! It depends on the WNet core (`wnet`) for the protocol types, names, credentials and name
//! resolution. It must not depend on the CLI or on Python, which are its clients.

pub mod activation;
pub mod drives;
mod file_service;
mod idle_sessions;
pub mod neighbourhood;
pub mod provider;
pub mod redirector;
mod run;
pub mod server;
pub mod smb_provider;
pub mod workstation;

pub use run::run;
pub use wnet::zeroing_alloc::ZeroingAllocator;
