//! The `wnet` command line: verbs in the spirit of `net use`, `net view`, `nbtstat` and
//! `nbtscan`, human tables by default and JSON for scripts.
//!
//! This crate owns argument parsing, output formatting and exit codes. Every behaviour lives in
//! the library crates (`wnet-nbt`, `wnet-netbios`, `wnet`). Only the Python extension depends
//! on this crate: its `wnet` entry point runs [`main`] inside the interpreter.

mod args;
mod duration;
mod exit;
pub mod help;
// Public for the fuzz targets only.
#[doc(hidden)]
pub mod name_cache_file;
pub mod report;
mod verbs;
pub mod windows_syntax;

pub use args::{
    AgentAction, AgentArgs, Cli, Command, CompletionsArgs, GlobalArgs, LookupArgs, ManArgs,
    NbtstatArgs, ResolveArgs, ResponderArgs, ScanArgs, UncArgs, UseArgs, UserArgs, ViewArgs, YesNo,
};
pub use duration::{ParseTimeoutError, parse_timeout};
pub use exit::Exit;

/// Sets up `tracing` on standard error: warnings by default, more with each `-v`.
///
/// `RUST_LOG` overrides the level chosen by the flags.
pub fn init_tracing(verbosity: u8) {
    let default_level = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // A second initialisation (as in tests that call `run` twice) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn write_man_pages(dir: &std::path::Path) -> Result<(), Exit> {
    let written = help::write_man_pages(dir).map_err(|error| {
        Exit::failed(
            "io",
            format!(
                "cannot write the manual pages into {}: {error}",
                dir.display()
            ),
        )
    })?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// Runs the command line `args` (the program's name first) as the `wnet` command does:
/// parses it (Windows' switches too), sets up logging and runs it; returns the process exit
/// code. A command line clap refuses (or `--help`, `--version`) is answered here, with clap's
/// exit code, rather than by exiting: the Python package's `wnet` entry point calls this inside
/// the interpreter.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let cli = match help::parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Nothing more can be said if standard error is gone.
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    init_tracing(cli.global.verbose);
    run(&cli)
}

/// Runs one parsed command line and returns the process exit code.
pub fn run(cli: &Cli) -> u8 {
    tracing::debug!(command = cli.command.verb(), timeout = ?cli.global.timeout, "wnet starting");
    let json = cli.global.json;
    let timeout = cli.global.timeout;
    let outcome = match &cli.command {
        Command::Lookup(args) => verbs::lookup::run(args, json, timeout),
        Command::Nbtstat(args) => verbs::nbtstat::run(args, json, timeout),
        Command::Resolve(args) => verbs::resolve::run(args, json),
        Command::Responder(args) => verbs::responder::run(args, json),
        Command::Scan(args) => verbs::scan::run(args, json, timeout),
        Command::Use(args) => verbs::net::run_use(args, json, cli.global.verbose),
        Command::View(args) => verbs::net::run_view(args, json),
        Command::User(args) => verbs::net::run_user(args, json),
        Command::Unc(args) => verbs::net::run_unc(args, json),
        Command::Agent(args) => verbs::net::run_agent(args, json),
        Command::Completions(args) => help::write_completions(args.shell, &mut std::io::stdout())
            .map_err(|error| Exit::failed("io", format!("cannot write the completions: {error}"))),
        Command::Man(args) => write_man_pages(&args.dir),
    };
    match outcome {
        Ok(()) => 0,
        Err(exit) => exit.report(json),
    }
}
