//! `wnet-agent`: the per-user workstation agent. Normally started on demand by the WNet library
//! or `wnet agent start`; run it by hand with `--socket` to debug.

use std::process::ExitCode;

/// Every block is zeroed when freed: the agent handles passwords, and some of their copies are
/// made where our code cannot zero them (see `wnet::zeroing_alloc`).
#[global_allocator]
static ALLOCATOR: wnet_agent::ZeroingAllocator = wnet_agent::ZeroingAllocator;

fn main() -> ExitCode {
    ExitCode::from(wnet_agent::run(std::env::args().skip(1)))
}
