//! The `wnet` binary: parses the command line and hands it to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wnet_cli::Cli::parse();
    wnet_cli::init_tracing(cli.global.verbose);
    wnet_cli::run(&cli)
}
