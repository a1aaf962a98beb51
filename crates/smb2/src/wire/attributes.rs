//! A file's attributes (MS-FSCC §2.6) and the times and sizes that CREATE, CLOSE,
//! directory entries and FileNetworkOpenInformation give with them: shared by the message
//! codecs and the information classes, which do not import each other.

use super::WireError;
use crate::bytes::Reader;

/// File attributes (MS-FSCC §2.6).
pub mod file_attributes {
    /// Read-only.
    pub const READONLY: u32 = 0x0000_0001;
    /// Hidden.
    pub const HIDDEN: u32 = 0x0000_0002;
    /// A directory.
    pub const DIRECTORY: u32 = 0x0000_0010;
    /// Archive.
    pub const ARCHIVE: u32 = 0x0000_0020;
    /// No other attribute set.
    pub const NORMAL: u32 = 0x0000_0080;
}

/// A file's times, sizes and attributes as CREATE, CLOSE and directory entries give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileAttributes {
    /// Creation time (FILETIME).
    pub creation_time: u64,
    /// Last access time.
    pub last_access_time: u64,
    /// Last write time.
    pub last_write_time: u64,
    /// Change time.
    pub change_time: u64,
    /// Allocated size.
    pub allocation_size: u64,
    /// End of file: the size.
    pub end_of_file: u64,
    /// [`file_attributes`].
    pub attributes: u32,
}

impl FileAttributes {
    /// Whether the file is a directory.
    pub fn is_directory(&self) -> bool {
        self.attributes & file_attributes::DIRECTORY != 0
    }
}

/// Reads the four times, the allocation size, the end of file and the attributes, in the
/// order CREATE, CLOSE and FileNetworkOpenInformation share.
pub(crate) fn read_file_attributes(reader: &mut Reader<'_>) -> Result<FileAttributes, WireError> {
    Ok(FileAttributes {
        creation_time: reader.u64("CreationTime")?,
        last_access_time: reader.u64("LastAccessTime")?,
        last_write_time: reader.u64("LastWriteTime")?,
        change_time: reader.u64("ChangeTime")?,
        allocation_size: reader.u64("AllocationSize")?,
        end_of_file: reader.u64("EndOfFile")?,
        attributes: reader.u32("FileAttributes")?,
    })
}
