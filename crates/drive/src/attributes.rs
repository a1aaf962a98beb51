//! Windows file attributes as POSIX ones, and back.
//!
//! The mapping (documented in the README's drive section):
//! - a directory is a directory, everything else a regular file;
//! - permissions: directories `0755`, files `0644`, and a file with the READONLY attribute
//!   `0444`; `chmod` that removes every write bit sets READONLY, one that adds a write bit
//!   clears it, other bits are accepted and not kept (SMB has no place for them);
//! - owner and group: the user the agent runs as (the share's own ACLs decide access);
//! - size: EndOfFile; blocks: AllocationSize in 512-byte units;
//! - times: LastAccessTime, LastWriteTime, ChangeTime and CreationTime as atime, mtime, ctime
//!   and crtime.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{FileAttr, FileType, INodeNo};
use wnet_smb2::wire::{FileAttributes, file_attributes};

/// 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// The block size reported in `st_blksize`: tools such as `cp` size their buffers by it, and
/// 1 MiB buffers become 1 MiB FUSE requests, which become 1 MiB SMB reads and writes.
pub const BLOCK_SIZE: u32 = 1 << 20;

/// A FILETIME as a `SystemTime` (0, "no time", and times before 1970 become the epoch).
pub fn from_filetime(filetime: u64) -> SystemTime {
    let since_unix = filetime.saturating_sub(FILETIME_UNIX_EPOCH);
    UNIX_EPOCH + Duration::from_nanos(since_unix.saturating_mul(100))
}

/// A `SystemTime` as a FILETIME (never 0, which SET_INFO reads as "leave unchanged").
pub fn to_filetime(time: SystemTime) -> u64 {
    let since_unix = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let intervals = u64::try_from(since_unix.as_nanos() / 100).unwrap_or(u64::MAX);
    FILETIME_UNIX_EPOCH.saturating_add(intervals).max(1)
}

/// The owner every file shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The user id.
    pub uid: u32,
    /// The group id.
    pub gid: u32,
}

/// The POSIX permission bits for Windows attributes.
pub fn permissions(attributes: &FileAttributes) -> u16 {
    if attributes.is_directory() {
        0o755
    } else if attributes.attributes & file_attributes::READONLY != 0 {
        0o444
    } else {
        0o644
    }
}

/// The Windows attributes after a `chmod` to `mode`: READONLY follows the write bits (for
/// files; directories keep theirs). Returns `None` when nothing changes.
pub fn attributes_for_mode(current: &FileAttributes, mode: u32) -> Option<u32> {
    if current.is_directory() {
        return None;
    }
    let readonly = mode & 0o222 == 0;
    let now = current.attributes & file_attributes::READONLY != 0;
    if readonly == now {
        return None;
    }
    let without = current.attributes & !(file_attributes::READONLY | file_attributes::NORMAL);
    let changed = if readonly {
        without | file_attributes::READONLY
    } else {
        without
    };
    // Zero would mean "unchanged" to SET_INFO; NORMAL is "no attributes".
    Some(if changed == 0 {
        file_attributes::NORMAL
    } else {
        changed
    })
}

/// The FUSE attributes of inode `ino`.
pub fn file_attr(ino: u64, attributes: &FileAttributes, owner: Owner) -> FileAttr {
    let directory = attributes.is_directory();
    FileAttr {
        ino: INodeNo(ino),
        size: if directory { 0 } else { attributes.end_of_file },
        blocks: attributes.allocation_size.div_ceil(512),
        atime: from_filetime(attributes.last_access_time),
        mtime: from_filetime(attributes.last_write_time),
        ctime: from_filetime(attributes.change_time),
        crtime: from_filetime(attributes.creation_time),
        kind: if directory {
            FileType::Directory
        } else {
            FileType::RegularFile
        },
        perm: permissions(attributes),
        nlink: if directory { 2 } else { 1 },
        uid: owner.uid,
        gid: owner.gid,
        rdev: 0,
        blksize: BLOCK_SIZE,
        flags: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_round_trip_to_the_100ns() {
        let time = UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_700);
        assert_eq!(from_filetime(to_filetime(time)), time);
        assert_eq!(to_filetime(UNIX_EPOCH), FILETIME_UNIX_EPOCH);
        assert_eq!(from_filetime(0), UNIX_EPOCH);
        assert_eq!(
            to_filetime(UNIX_EPOCH - Duration::from_secs(5)),
            FILETIME_UNIX_EPOCH
        );
    }

    #[test]
    fn modes_follow_the_readonly_attribute() {
        let file = FileAttributes {
            attributes: file_attributes::ARCHIVE,
            ..FileAttributes::default()
        };
        let directory = FileAttributes {
            attributes: file_attributes::DIRECTORY,
            ..FileAttributes::default()
        };
        assert_eq!(permissions(&file), 0o644);
        assert_eq!(permissions(&directory), 0o755);
        let readonly = attributes_for_mode(&file, 0o444);
        assert_eq!(
            readonly,
            Some(file_attributes::ARCHIVE | file_attributes::READONLY)
        );
        assert_eq!(attributes_for_mode(&file, 0o600), None);
        let now_readonly = FileAttributes {
            attributes: file_attributes::READONLY,
            ..file
        };
        assert_eq!(permissions(&now_readonly), 0o444);
        assert_eq!(
            attributes_for_mode(&now_readonly, 0o644),
            Some(file_attributes::NORMAL)
        );
        assert_eq!(attributes_for_mode(&directory, 0o555), None);
    }

    #[test]
    fn directories_and_files_as_fuse_sees_them() {
        let owner = Owner {
            uid: 1000,
            gid: 100,
        };
        let file = FileAttributes {
            end_of_file: 5000,
            allocation_size: 8192,
            last_write_time: to_filetime(UNIX_EPOCH + Duration::from_secs(86_400)),
            attributes: file_attributes::ARCHIVE,
            ..FileAttributes::default()
        };
        let attr = file_attr(7, &file, owner);
        assert_eq!(attr.ino, INodeNo(7));
        assert_eq!(attr.kind, FileType::RegularFile);
        assert_eq!((attr.size, attr.blocks), (5000, 16));
        assert_eq!(attr.mtime, UNIX_EPOCH + Duration::from_secs(86_400));
        assert_eq!((attr.uid, attr.gid), (1000, 100));
        let directory = FileAttributes {
            attributes: file_attributes::DIRECTORY,
            end_of_file: 4096,
            ..FileAttributes::default()
        };
        let attr = file_attr(1, &directory, owner);
        assert_eq!(
            (attr.kind, attr.size, attr.nlink),
            (FileType::Directory, 0, 2)
        );
    }
}
