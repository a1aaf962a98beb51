//! The `wnet` binary: hands the command line to the library.

use std::process::ExitCode;

/// Every block is zeroed when freed: a password given on the command line or asked for passes
/// through clap's and the library's copies, some of which our code cannot zero.
#[global_allocator]
static ALLOCATOR: wnet::zeroing_alloc::ZeroingAllocator = wnet::zeroing_alloc::ZeroingAllocator;

fn main() -> ExitCode {
    // Windows' switches (`/user:NAME`, `/delete`, `/?`) are rewritten for the clap grammar.
    ExitCode::from(wnet_cli::main(std::env::args_os()))
}
