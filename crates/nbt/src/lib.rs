//! NetBIOS over TCP/IP (RFC 1001 and RFC 1002).
//!
//! This crate owns the protocol: the sans-IO `wire` codecs for NetBIOS names and for the name,
//! datagram and session service packets, and the async engines built on them (resolver, node
//! status, scanner, local name table, session call/listen, datagram send/receive).
//!
//! It must not depend on any other wnet crate: the NCB engine (`wnet-netbios`), the WNet core
//! (`wnet`), the agent and the CLI are built on top of it, never the other way round. It knows
//! nothing of Win32 error codes, NCBs or SMB, nor of the host: per-user state files and the
//! environment helper are in `wnet-host` (`wnet_host::user_state`, `wnet_host::env_var`). The
//! one exception is `config::NameServiceConfig::from_env`, which reads its `WNET_*` settings
//! through a private copy of that helper.

pub mod config;
pub mod datagram;
pub mod interfaces;
pub mod name_service;
pub mod neighbours;
pub mod session;
mod socket;
pub mod targets;
pub mod wire;
