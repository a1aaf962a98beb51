//! An SMB2/3 client for the WNet provider and the agent's drives.
//!
//! Layers, bottom up, as in the rest of wnet:
//! - `wire`: sans-IO codecs for the SMB2 header and every request and response the client uses
//!   (negotiate, session setup, logoff, tree connect/disconnect, create, close, read, write,
//!   flush, query directory, query/set info, ioctl, echo, error responses, DFS referrals).
//! - `dfs`: sans-IO DFS state (MS-DFSC §3.1.1): DFS paths, the referral and domain caches and
//!   a referral-loop guard, fed decoded referrals (`wire::dfs`) and the time.
//! - `ntlm`, `gssapi`, `spnego`, `crypto`: NTLMv2, or Kerberos through the system's GSS-API
//!   (loaded at run time), wrapped in SPNEGO; the SMB 3.x key derivation, message signing
//!   (HMAC-SHA256, AES-CMAC, AES-GMAC) and encryption (AES-CCM, AES-GCM transform headers).
//! - `rpc`: DCE/RPC over a named pipe with the NDR transfer syntax, and srvsvc
//!   `NetrShareEnum` (level 1).
//! - `client`: an async connection (tokio, TCP_NODELAY, pipelined requests matched by message
//!   id, credits, a timeout on every request), sessions, trees and open files. A session whose
//!   logon the server says has expired (its Kerberos ticket ran out) is re-authenticated with
//!   the credentials it was set up with, and the request sent again, in one place
//!   (`Session::exchange_compound`).
//!
//! Nothing here knows about WNet, Win32 error codes or the agent: errors carry the NTSTATUS
//! the server sent, and the WNet layer maps them.

pub mod bytes;
pub mod client;
pub mod crypto;
pub mod dfs;
pub mod gssapi;
pub mod ntlm;
mod ntlmssp;
pub mod ntstatus;
pub mod rpc;
pub mod spnego;
pub mod wire;

pub use client::{Connection, Error, Session, Tree, connect_tcp};
pub use ntstatus::NtStatus;
