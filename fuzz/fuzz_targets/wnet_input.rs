//! Any bytes as the text the WNet layer reads from users and from per-user files, the first
//! byte picking the parser: a network name (`UncName::parse`), the credential file, a
//! credential file entry written with `set`, the remembered-connections store, the resolver's
//! name cache file, and a line of the agent protocol (a request the agent reads, a response
//! the library reads). None panics, and what parses is written back to text that parses the
//! same.
#![no_main]

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use wnet::agent_protocol::{RequestEnvelope, Response};
use wnet::credentials::{CredentialFile, Credentials, Secret};
use wnet::remembered::RememberedStore;
use wnet::unc::UncName;
use wnet_cli::name_cache_file;

fn unc(text: &str) {
    let Ok(name) = UncName::parse(text) else {
        return;
    };
    let windows = name.to_windows();
    assert!(windows.len() <= text.len());
    assert_eq!(UncName::parse(&windows).as_ref(), Ok(&name), "{windows}");
    assert_eq!(name.to_string(), windows);
    let resource = UncName::parse(&name.resource()).expect("the resource of a name parses");
    assert_eq!(
        (&resource.server, &resource.share),
        (&name.server, &name.share)
    );
    assert!(resource.path.is_empty());
}

/// What a credential file says, server by server, in its order.
fn saved(file: &CredentialFile) -> Vec<(String, Option<Credentials>)> {
    file.servers()
        .map(|server| (server.to_owned(), file.get(server)))
        .collect()
}

fn credential_file(text: &str) {
    let path = Path::new("credentials");
    let Ok(file) = CredentialFile::parse(text, path) else {
        return;
    };
    let again = CredentialFile::parse(&file.to_text(), path).expect("written text parses");
    assert_eq!(saved(&again), saved(&file));
    assert_eq!(
        again.to_text(),
        file.to_text(),
        "saving again changes nothing"
    );
}

/// Server, user, domain and password on four lines, then a credential file to set them in
/// (empty when it does not parse).
fn credential_entry(text: &str) {
    let mut parts = text.splitn(5, '\n');
    let (Some(server), Some(user), Some(domain), Some(password)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let path = Path::new("credentials");
    let mut file = CredentialFile::parse(parts.next().unwrap_or(""), path).unwrap_or_default();
    let credentials = Credentials {
        user: user.to_owned(),
        domain: domain.to_owned(),
        password: Secret::new(password.to_owned()),
    };
    if file.set(server, &credentials).is_err() {
        return;
    }
    assert_eq!(file.get(server).as_ref(), Some(&credentials));
    let again = CredentialFile::parse(&file.to_text(), path).expect("a set entry is written");
    assert_eq!(again.get(server).as_ref(), Some(&credentials));
    assert_eq!(saved(&again), saved(&file));
}

fn remembered(bytes: &[u8]) {
    let path = Path::new("remembered.json");
    let Ok(store) = RememberedStore::parse(bytes, path) else {
        return;
    };
    let written = store.to_bytes().expect("a store serializes");
    let again = RememberedStore::parse(&written, path).expect("written bytes parse");
    assert_eq!(again, store);
    for entry in store.entries() {
        assert_eq!(store.find_local(&entry.local_name), Some(entry));
    }
}

fn name_cache(text: &str) {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let Ok(entries) = name_cache_file::parse(text, now) else {
        return;
    };
    for entry in &entries {
        assert!(!entry.remaining(now).is_zero());
        assert!(entry.scoped_name().is_some());
    }
    assert!(entries.is_sorted_by_key(|entry| entry.expires_unix));
    let written = name_cache_file::to_bytes(&entries).expect("entries serialize");
    let written = std::str::from_utf8(&written).expect("JSON is UTF-8");
    assert_eq!(name_cache_file::parse(written, now).ok(), Some(entries));
}

fn agent_line(bytes: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<RequestEnvelope>(bytes) {
        let line = serde_json::to_vec(&request).expect("a request serializes");
        assert_eq!(
            serde_json::from_slice::<RequestEnvelope>(&line).ok(),
            Some(request)
        );
    }
    if let Ok(response) = serde_json::from_slice::<Response>(bytes) {
        let line = serde_json::to_vec(&response).expect("a response serializes");
        assert_eq!(
            serde_json::from_slice::<Response>(&line).ok(),
            Some(response)
        );
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest);
    match (selector % 6, text) {
        (0, Ok(text)) => unc(text),
        (1, Ok(text)) => credential_file(text),
        (2, Ok(text)) => credential_entry(text),
        (3, _) => remembered(rest),
        (4, Ok(text)) => name_cache(text),
        (5, _) => agent_line(rest),
        _ => {}
    }
});
