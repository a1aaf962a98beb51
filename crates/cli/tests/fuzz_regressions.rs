//! Name cache files that once made the parser panic (testdata/fuzz): each must now parse to
//! entries that round-trip through the file's JSON, or fail with a typed error.

use std::time::{Duration, UNIX_EPOCH};

use wnet_cli::name_cache_file::{parse, to_bytes};

#[test]
fn every_past_fuzz_finding_is_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|extension| extension != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        if let Ok(entries) = parse(&text, now) {
            let again = String::from_utf8(to_bytes(&entries).expect("entries serialize"))
                .expect("JSON is UTF-8");
            assert_eq!(
                parse(&again, now).expect("re-encoded entries parse"),
                entries,
                "{} does not round-trip",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no fuzz findings in {}", dir.display());
}
