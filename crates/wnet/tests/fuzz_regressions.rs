//! Credential files the fuzz targets once found wrong (testdata/fuzz): each must fail to parse
//! with a typed error, or parse to a file whose written text parses to the same text.

use std::path::Path;

use wnet::credentials::CredentialFile;

#[test]
fn every_past_fuzz_finding_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|extension| extension != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        if let Ok(file) = CredentialFile::parse(&text, &path) {
            let written = file.to_text();
            let again = CredentialFile::parse(&written, &path).expect("written text parses");
            assert_eq!(
                again.to_text(),
                written,
                "{} changes when saved",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no fuzz findings in {}", dir.display());
}
