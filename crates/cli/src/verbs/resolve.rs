//! `wnet resolve NAME`: a server name resolved as `wnet use` resolves it, with the step that
//! answered (`hosts`, `dns`, `mdns`, `llmnr`, `netbios`).

use serde_json::json;
use wnet::resolve::{ProviderConfig, Resolution, Resolver};

use crate::args::ResolveArgs;
use crate::exit::Exit;
use crate::verbs::block_on;

pub(crate) fn run(args: &ResolveArgs, json: bool) -> Result<(), Exit> {
    let config = ProviderConfig::from_env().map_err(|error| Exit::usage(error.to_string()))?;
    let resolver = Resolver::new(config);
    let resolution = block_on(async {
        resolver
            .resolve_detailed(&args.name)
            .await
            .map_err(|error| {
                let detail = error
                    .cause
                    .as_ref()
                    .map_or_else(|| error.message().to_owned(), ToString::to_string);
                Exit::failed("not_found", detail)
            })
    })?;
    print_resolution(&args.name, resolution, json);
    Ok(())
}

/// The source's name: a step, or `address` for an address literal.
fn source(resolution: Resolution) -> &'static str {
    resolution.step.map_or("address", |step| step.name())
}

fn print_resolution(name: &str, resolution: Resolution, json: bool) {
    if json {
        let body = json!({
            "name": name,
            "address": resolution.address.to_string(),
            "source": source(resolution),
            "cached": resolution.cached,
        });
        println!("{body}");
    } else {
        println!("{name}\t{}\t{}", resolution.address, source(resolution));
    }
}
