//! The cifs/smb3 mounts of `/proc/self/mountinfo` (proc(5)): a pure parser of its text, and
//! the read of the file. Mounts of other types (fuse included) are left out.

use crate::unc::UncName;

/// `(mount point, \\server\share, path inside the share)` of each cifs/smb3 mount of
/// `/proc/self/mountinfo`.
pub(super) fn cifs_mounts() -> Vec<(String, String, String)> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|mountinfo| cifs_mounts_in(&mountinfo))
        .unwrap_or_default()
}

/// The cifs/smb3 mounts of mountinfo text.
fn cifs_mounts_in(mountinfo: &str) -> Vec<(String, String, String)> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mut after = after.split(' ');
            let fstype = after.next()?;
            if fstype != "cifs" && fstype != "smb3" {
                return None;
            }
            let source = after.next()?.replace("\\040", " ");
            let mount_point = before.split(' ').nth(4)?.replace("\\040", " ");
            let unc = UncName::parse(&source).ok()?;
            let share = format!("\\\\{}\\{}", unc.server, unc.share.clone()?);
            let inside: String = unc
                .path
                .iter()
                .flat_map(|part| ["\\", part.as_str()])
                .collect();
            Some((mount_point, share, inside))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cifs_mounts_of_mountinfo_name_their_share() {
        let mountinfo = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
90 22 0:50 / /mnt/lab\\040share rw,relatime shared:60 - cifs //labserver/public/sub/dir rw,vers=3.1.1
91 22 0:51 / /mnt/other rw shared:61 - smb3 //srv/data rw
92 22 0:52 / /mnt/fuse rw - fuse //srv/data rw,user_id=0
";
        let mounts = cifs_mounts_in(mountinfo);
        assert_eq!(
            mounts,
            [
                (
                    "/mnt/lab share".to_owned(),
                    "\\\\labserver\\public".to_owned(),
                    "\\sub\\dir".to_owned()
                ),
                (
                    "/mnt/other".to_owned(),
                    "\\\\srv\\data".to_owned(),
                    String::new()
                ),
            ]
        );
    }
}
