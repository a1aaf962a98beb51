//! `wnet-agent`: the per-user workstation agent. Normally started on demand by the WNet library
//! or `wnet agent start`; run it by hand with `--socket` to debug.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(wnet_agent::run(std::env::args().skip(1)))
}
