//! The NCB interface: Windows' `Netbios(PNCB)` from nb30.h, on Linux.
//!
//! This crate owns the `Ncb` control block, the command codes (NCBCALL 0x10 … NCBFINDNAME 0x78,
//! the ASYNCH flag 0x80), the NRC_* return codes, the byte layouts of nb30.h's structures
//! (ADAPTER_STATUS, NAME_BUFFER, LANA_ENUM, SESSION_HEADER/BUFFER, FIND_NAME_HEADER/BUFFER), the
//! LANA table and the execution of each command over the engines of `wnet-nbt`.
//!
//! It depends on `wnet-nbt` only. It must not depend on the WNet core (`wnet`), the agent, the
//! CLI or Python: those call into it.

mod datagram_commands;
mod engine;
pub mod lana;
mod name_commands;
pub mod names;
pub mod nb30;
pub mod ncb;
mod outcome;
pub mod published;
mod session_commands;
mod session_table;
mod state;
mod sync;

pub use engine::{Netbios, netbios};
pub use lana::{Lana, NetbiosConfig};
pub use ncb::{Ncb, SharedNcb, name_field};
pub use state::{DEFAULT_COMMANDS, DEFAULT_NAMES, DEFAULT_SESSIONS, Limits, MAX_RESOURCES};
