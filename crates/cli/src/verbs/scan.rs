//! `wnet scan TARGETS... [--rate N] [--timeout MS] [--retries N] [-s SEP] [--json]`: node
//! status of every address, printed as nbtscan prints it, as the answers arrive.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::json;
use wnet_nbt::name_service::scanner::{ScanEvent, ScanOptions, scan};
use wnet_nbt::name_service::schedule::LIVE_EXTRA_RETRIES;
use wnet_nbt::targets::{ScanTarget, addresses, total};

use crate::args::ScanArgs;
use crate::exit::Exit;
use crate::report::{nbtscan_header, nbtscan_row};
use crate::verbs::{block_on, config_from_env, host_status};

// The help of `--retries` (args.rs) says how many more retries a live neighbour gets.
const _: () = assert!(LIVE_EXTRA_RETRIES == 4, "update the help of --retries");

/// How long each probe waits by default, as nbtscan's `-t`.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) fn run(args: &ScanArgs, json: bool, timeout: Option<Duration>) -> Result<(), Exit> {
    let targets = args
        .targets
        .iter()
        .map(|text| {
            text.parse::<ScanTarget>()
                .map_err(|error| Exit::usage(error.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let settings = config_from_env()?;
    let options = ScanOptions {
        rate: args.rate,
        timeout: timeout.unwrap_or(PROBE_TIMEOUT),
        retries: args.retries,
        port: args.port,
        scope: settings.scope,
        ..ScanOptions::default()
    };
    let count = total(&targets);
    let progress = !json && args.separator.is_none() && std::io::stderr().is_terminal();
    if !json && args.separator.is_none() {
        print!("{}", nbtscan_header());
    }
    let mut done: u64 = 0;
    let summary = block_on(async {
        scan(addresses(&targets), &options, |event| {
            done += 1;
            if let ScanEvent::Found { target, status } = event {
                let mut report = host_status(&status);
                report.address = target;
                let line = if json {
                    serde_json::to_string(&report).unwrap_or_default()
                } else {
                    nbtscan_row(&report, args.separator.as_deref())
                };
                if progress {
                    eprint!("\r\x1b[K");
                }
                println!("{line}");
            }
            if progress {
                eprint!("\r{done}/{count} addresses scanned");
                let _ = std::io::stderr().flush();
            }
        })
        .await
        .map_err(|error| Exit::failed("socket", format!("cannot scan: {error}")))
    })?;
    if progress {
        eprintln!("\r\x1b[K{} of {count} addresses answered", summary.found);
    }
    if json {
        let body = json!({
            "summary": {
                "targets": count,
                "found": summary.found,
                "silent": summary.silent,
                "probes": summary.probes,
                "skipped": summary.skipped,
            }
        });
        println!("{body}");
    }
    Ok(())
}
