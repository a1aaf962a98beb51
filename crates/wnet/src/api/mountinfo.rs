//! The cifs/smb3 mounts of `/proc/self/mountinfo` (proc(5)): a pure parser of its text, and
//! the read of the file. Mounts of other types (fuse included) are left out.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use crate::drives::{path_from_text, text_from_path};
use crate::unc::UncName;

/// `(mount point, \\server\share, path inside the share)` of each cifs/smb3 mount of
/// `/proc/self/mountinfo`. The file is bytes (a mount point need not be UTF-8): they are read
/// as a local name spells them ([`text_from_path`]).
pub(super) fn cifs_mounts() -> Vec<(String, String, String)> {
    std::fs::read("/proc/self/mountinfo")
        .map(|mountinfo| cifs_mounts_in(&text_from_path(Path::new(OsStr::from_bytes(&mountinfo)))))
        .unwrap_or_default()
}

/// A field of mountinfo with its octal escapes (`\040` for a space, `\011`, `\012`, `\134`)
/// read as the bytes they stand for.
fn unescaped_field(field: &str) -> String {
    let bytes = path_from_text(field).into_os_string().into_encoded_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let octal = bytes
            .get(at + 1..at + 4)
            .filter(|digits| byte == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)))
            .and_then(|digits| {
                let value = digits
                    .iter()
                    .fold(0u32, |value, d| value * 8 + u32::from(d - b'0'));
                u8::try_from(value).ok()
            });
        if let Some(value) = octal {
            out.push(value);
            at += 4;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    text_from_path(Path::new(OsStr::from_bytes(&out)))
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
            let source = unescaped_field(after.next()?);
            let mount_point = unescaped_field(before.split(' ').nth(4)?);
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

    /// A mount point that is not UTF-8 (as mountinfo gives it, raw) or holds escaped tabs
    /// and backslashes reads as its local name; it no longer hides every other mount.
    #[test]
    fn mount_points_that_are_not_utf8_are_read_as_local_names() {
        let bytes = b"93 22 0:53 / /mnt/caf\xe9\\011x\\134y rw - cifs //srv/data rw\n";
        let text = text_from_path(Path::new(OsStr::from_bytes(bytes)));
        let mounts = cifs_mounts_in(&text);
        assert_eq!(mounts.len(), 1, "{mounts:?}");
        assert_eq!(mounts[0].0, "/mnt/caf\u{efe9}\tx\\y");
        assert_eq!(
            path_from_text(&mounts[0].0).as_os_str().as_bytes(),
            b"/mnt/caf\xe9\tx\\y"
        );
    }

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
