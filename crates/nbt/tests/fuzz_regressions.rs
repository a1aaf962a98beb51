//! Inputs the fuzz targets once found wrong (testdata/fuzz): each must now fail to decode with
//! a typed error, or decode and re-encode to a packet that decodes the same.

use wnet_nbt::wire::Packet;

#[test]
fn every_past_fuzz_finding_is_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fuzz") {
        let path = entry.expect("an entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        if let Ok(packet) = Packet::decode(&bytes) {
            assert_eq!(
                Packet::decode(&packet.encode()),
                Ok(packet),
                "{} does not round-trip",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no fuzz findings in {}", dir.display());
}
