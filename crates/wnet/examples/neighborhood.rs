//! `neighborhood`: walks the network as Windows' "Network Neighborhood" does, through
//! WNetOpenEnum/WNetEnumResource over RESOURCE_GLOBALNET (provider → workgroups → servers →
//! shares), then lists RESOURCE_CONNECTED and RESOURCE_REMEMBERED; one JSON object per
//! resource, `depth` giving its level. Server shares need a session or default credentials
//! (`WNET_USER`/`WNET_PASSWORD`, the credential file); a failure is printed as an `error`
//! object with its Win32 code and the walk goes on.
//!
//! Usage: `cargo run -p wnet --example neighborhood [MAX_DEPTH]` (default 3: down to shares).

use serde_json::json;
use wnet::api::{close_enum, enum_resource, open_enum};
use wnet::error::{WinError, codes};
use wnet::resource::{NetResource, scope};

fn list(scope_value: u32, parent: Option<&NetResource>) -> Result<Vec<NetResource>, WinError> {
    let handle = open_enum(scope_value, 0, 0, parent)?;
    let mut items = Vec::new();
    // Bounded: each call returns at least one item until ERROR_NO_MORE_ITEMS.
    for _ in 0..100_000 {
        match enum_resource(handle, 64) {
            Ok(batch) => items.extend(batch),
            Err(error) if error.code == codes::ERROR_NO_MORE_ITEMS => break,
            Err(error) => {
                let _ = close_enum(handle);
                return Err(error);
            }
        }
    }
    close_enum(handle)?;
    Ok(items)
}

fn print(resource: &NetResource, depth: usize, scope_name: &str) {
    println!(
        "{}",
        json!({
            "scope": scope_name,
            "depth": depth,
            "remote_name": resource.remote_name,
            "local_name": resource.local_name,
            "display_type": resource.display_type,
            "usage": resource.usage,
            "type": resource.resource_type,
            "comment": resource.comment,
            "provider": resource.provider,
        })
    );
}

fn print_error(error: &WinError, depth: usize, under: Option<&NetResource>) {
    println!(
        "{}",
        json!({
            "error": error.code,
            "message": error.message(),
            "cause": error.cause.as_ref().map(ToString::to_string),
            "depth": depth,
            "under": under.and_then(|resource| resource.remote_name.clone()),
        })
    );
}

fn walk(parent: Option<&NetResource>, depth: usize, max_depth: usize) {
    match list(scope::RESOURCE_GLOBALNET, parent) {
        Ok(items) => {
            for item in &items {
                print(item, depth, "globalnet");
                if item.is_container() && depth < max_depth {
                    walk(Some(item), depth + 1, max_depth);
                }
            }
        }
        Err(error) => print_error(&error, depth, parent),
    }
}

fn main() {
    let max_depth = std::env::args()
        .nth(1)
        .and_then(|depth| depth.parse().ok())
        .unwrap_or(3);
    walk(None, 0, max_depth);
    for (scope_value, name) in [
        (scope::RESOURCE_CONNECTED, "connected"),
        (scope::RESOURCE_REMEMBERED, "remembered"),
    ] {
        match list(scope_value, None) {
            Ok(items) => items.iter().for_each(|item| print(item, 0, name)),
            Err(error) => print_error(&error, 0, None),
        }
    }
}
