//! What wnet needs of the host it runs on, apart from the network.
//!
//! [`user_state`] is where wnet keeps per-user state between runs (the runtime and
//! configuration directories, checked directories, private files written whole and read back
//! only if they are this user's), and [`env_var`] reads a `WNET_*` setting from the
//! environment.
//!
//! It must not depend on any other wnet crate: the protocol crates (`wnet-nbt`, `wnet-smb2`)
//! know nothing of the host, and the crates that do (`wnet-netbios`, `wnet`, the agent, the CLI,
//! the Python module) use this one.

pub mod user_state;

/// A variable's value, `None` when unset or blank.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
