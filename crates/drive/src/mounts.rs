//! The system's mount table (`/proc/self/mountinfo`) and unmounting: a plain unmount, a lazy
//! one (MNT_DETACH) when the mount is busy or forced away, through `fusermount3` when the
//! agent is not root. Stale mounts of a crashed agent are found here and detached.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file system type of our mounts (`fuse.` + the subtype) when `fusermount3` mounts them.
pub const FS_TYPE: &str = "fuse.wnet";
/// The file system type of our mounts when root mounts them directly: fuser's own `mount(2)`
/// passes the type `fuse` and drops the subtype, so they are known by their source instead.
pub const DIRECT_FS_TYPE: &str = "fuse";

/// One line of `/proc/self/mountinfo`, as much of it as we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The file system type, e.g. `fuse.wnet` or `cifs`.
    pub fs_type: String,
    /// The mount source, e.g. `//server/share`.
    pub source: String,
    /// The super block options, e.g. `rw,user_id=1000,group_id=1000`.
    pub super_options: String,
}

impl MountEntry {
    /// Whether this is a wnet drive: type `fuse.wnet`, or a direct FUSE mount (type `fuse`,
    /// see [`DIRECT_FS_TYPE`]) whose source is a share (`//server/share`).
    pub fn is_wnet(&self) -> bool {
        self.fs_type == FS_TYPE
            || (self.fs_type == DIRECT_FS_TYPE
                && self.source.strip_prefix("//").is_some_and(|rest| {
                    rest.split('/').filter(|part| !part.is_empty()).count() == 2
                }))
    }

    /// The `user_id=` of a FUSE mount: whose it is.
    pub fn fuse_user(&self) -> Option<u32> {
        self.super_options
            .split(',')
            .find_map(|option| option.strip_prefix("user_id="))
            .and_then(|uid| uid.parse().ok())
    }
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\134` for a backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\'
            && index + 3 < bytes.len()
            && bytes[index + 1..index + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = bytes[index + 1..index + 4]
                .iter()
                .fold(0u32, |value, digit| value * 8 + u32::from(digit - b'0'));
            out.push(value as u8);
            index += 4;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses mountinfo text; malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mount_point = before.split(' ').nth(4)?;
            let mut after = after.split(' ');
            let fs_type = after.next()?;
            let source = after.next()?;
            let super_options = after.next().unwrap_or("");
            Some(MountEntry {
                mount_point: PathBuf::from(unescape(mount_point)),
                fs_type: fs_type.to_owned(),
                source: unescape(source),
                super_options: super_options.to_owned(),
            })
        })
        .collect()
}

/// The current mount table.
pub fn mount_table() -> Vec<MountEntry> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| parse_mountinfo(&text))
        .unwrap_or_default()
}

/// Whether one of our FUSE mounts sits at `path`.
pub fn is_wnet_mount(path: &Path) -> bool {
    mount_table()
        .iter()
        .any(|entry| entry.is_wnet() && entry.mount_point == path)
}

/// Unmounts `path`: directly when allowed (root), else through `fusermount3 -u`; `lazy`
/// detaches it even while files on it are open (MNT_DETACH, `-z`).
pub fn unmount(path: &Path, lazy: bool) -> io::Result<()> {
    let flags = if lazy {
        nix::mount::MntFlags::MNT_DETACH
    } else {
        nix::mount::MntFlags::empty()
    };
    match nix::mount::umount2(path, flags) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EPERM) => fusermount_unmount(path, lazy),
        Err(errno) => Err(io::Error::from(errno)),
    }
}

fn fusermount_unmount(path: &Path, lazy: bool) -> io::Result<()> {
    let mut command = Command::new("fusermount3");
    command.arg("-u").arg("-q");
    if lazy {
        command.arg("-z");
    }
    let output = command.arg("--").arg(path).output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "fusermount3 -u {}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// Detaches every wnet mount of user `uid` at one of `mount_points` or below `drives_dir`:
/// what a crashed agent left (its FUSE connection is gone, so each answers ENOTCONN). Returns
/// the mount points cleaned.
pub fn clean_stale_mounts(uid: u32, drives_dir: &Path, mount_points: &[PathBuf]) -> Vec<PathBuf> {
    let mut cleaned = Vec::new();
    for entry in mount_table() {
        let ours = entry.is_wnet()
            && entry.fuse_user() == Some(uid)
            && (entry.mount_point.starts_with(drives_dir)
                || mount_points.contains(&entry.mount_point));
        if ours {
            match unmount(&entry.mount_point, true) {
                Ok(()) => cleaned.push(entry.mount_point),
                Err(error) => tracing::warn!(
                    mount_point = %entry.mount_point.display(),
                    %error,
                    "cannot detach a stale drive"
                ),
            }
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
85 22 0:45 / /run/user/1000/wnet/drives/Z rw,nosuid,nodev,relatime shared:40 - fuse.wnet //labserver/public rw,user_id=1000,group_id=1000,default_permissions
86 22 0:46 / /mnt/with\\040space rw shared:41 - fuse.wnet //srv/a\\134b rw,user_id=0,group_id=0
87 22 0:47 / /root/drives/Y rw,nosuid,nodev,noatime - fuse //198.51.100.2/public rw,user_id=0,group_id=0,default_permissions
88 22 0:48 / /home/u/sshfs rw,nosuid,nodev - fuse.sshfs u@host:/ rw,user_id=1000,group_id=1000
89 22 0:49 / /home/u/other rw,nosuid,nodev - fuse /dev/fuse rw,user_id=1000,group_id=1000
bad line without separator
";

    #[test]
    fn mountinfo_lines_parse_with_escapes() {
        let entries = parse_mountinfo(SAMPLE);
        assert_eq!(entries.len(), 6);
        assert_eq!(entries[1].fs_type, FS_TYPE);
        assert_eq!(
            entries[1].mount_point,
            PathBuf::from("/run/user/1000/wnet/drives/Z")
        );
        assert_eq!(entries[1].source, "//labserver/public");
        assert_eq!(entries[1].fuse_user(), Some(1000));
        assert_eq!(entries[2].mount_point, PathBuf::from("/mnt/with space"));
        assert_eq!(entries[2].source, "//srv/a\\b");
        assert_eq!(entries[2].fuse_user(), Some(0));
        assert_eq!(entries[0].fuse_user(), None);
    }

    #[test]
    fn direct_mounts_of_shares_are_ours_other_fuse_mounts_are_not() {
        let entries = parse_mountinfo(SAMPLE);
        let ours: Vec<bool> = entries.iter().map(MountEntry::is_wnet).collect();
        assert_eq!(ours, [false, true, true, true, false, false]);
    }
}
