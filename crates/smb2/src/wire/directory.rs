//! QUERY_DIRECTORY (MS-SMB2 §2.2.33, §2.2.34) and the FileDirectoryInformation entries its
//! answer holds (MS-FSCC §2.4.10).

use super::attributes::FileAttributes;
use super::codec::{output_buffer, put_u16, put_u32};
use super::create::FileId;
use super::{Command, HEADER_LENGTH, WireError};
use crate::bytes::{Reader, from_utf16le, utf16le};

/// Query directory flag: start from the beginning.
pub const RESTART_SCANS: u8 = 0x01;
/// FileDirectoryInformation (MS-FSCC §2.4.10).
pub const FILE_DIRECTORY_INFORMATION: u8 = 0x01;

/// QUERY_DIRECTORY request (MS-SMB2 §2.2.33).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDirectoryRequest {
    /// The directory.
    pub file_id: FileId,
    /// The information class (e.g. [`FILE_DIRECTORY_INFORMATION`]).
    pub information_class: u8,
    /// SMB2_RESTART_SCANS and friends.
    pub flags: u8,
    /// The search pattern (`*` for all).
    pub pattern: String,
    /// The largest answer wanted.
    pub output_buffer_length: u32,
}

impl QueryDirectoryRequest {
    /// Appends the body to `message`, which holds the 64-byte header already.
    pub(super) fn encode_body(&self, message: &mut Vec<u8>) {
        let pattern = utf16le(&self.pattern);
        put_u16(message, 33);
        message.push(self.information_class);
        message.push(self.flags);
        put_u32(message, 0); // FileIndex
        message.extend_from_slice(&self.file_id.0);
        put_u16(message, (HEADER_LENGTH + 32) as u16);
        put_u16(message, pattern.len() as u16);
        put_u32(message, self.output_buffer_length);
        message.extend_from_slice(&pattern);
        if pattern.is_empty() {
            message.push(0);
        }
    }
}

/// QUERY_DIRECTORY response (MS-SMB2 §2.2.34): the output buffer, entries of the class asked
/// for (see [`DirectoryEntry::decode_all`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDirectoryResponse<'a> {
    /// The output buffer, inside the message.
    pub output_buffer: &'a [u8],
}

impl<'a> QueryDirectoryResponse<'a> {
    /// Decodes a QUERY_DIRECTORY response message.
    pub fn decode(message: &'a [u8]) -> Result<QueryDirectoryResponse<'a>, WireError> {
        Ok(QueryDirectoryResponse {
            output_buffer: output_buffer(message, Command::QueryDirectory)?,
        })
    }
}

/// One entry of FileDirectoryInformation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The file's name.
    pub name: String,
    /// Its attributes.
    pub attributes: FileAttributes,
}

impl DirectoryEntry {
    /// Decodes a FileDirectoryInformation buffer (MS-FSCC §2.4.10): every entry in it.
    pub fn decode_all(buffer: &[u8]) -> Result<Vec<DirectoryEntry>, WireError> {
        let mut entries = Vec::new();
        let mut offset = 0;
        loop {
            let mut reader = Reader::at(buffer, offset);
            let next = reader.u32("NextEntryOffset")? as usize;
            reader.skip(4, "FileIndex")?;
            let creation_time = reader.u64("CreationTime")?;
            let last_access_time = reader.u64("LastAccessTime")?;
            let last_write_time = reader.u64("LastWriteTime")?;
            let change_time = reader.u64("ChangeTime")?;
            let end_of_file = reader.u64("EndOfFile")?;
            let allocation_size = reader.u64("AllocationSize")?;
            let attributes = reader.u32("FileAttributes")?;
            let name_length = reader.u32("FileNameLength")? as usize;
            let name = from_utf16le(reader.take(name_length, "FileName")?, "FileName")?;
            entries.push(DirectoryEntry {
                name,
                attributes: FileAttributes {
                    creation_time,
                    last_access_time,
                    last_write_time,
                    change_time,
                    allocation_size,
                    end_of_file,
                    attributes,
                },
            });
            if next == 0 {
                return Ok(entries);
            }
            match offset.checked_add(next) {
                Some(following) if following < buffer.len() => offset = following,
                _ => return Err(WireError::BadEntryOffset(offset)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::attributes::file_attributes;
    use super::*;

    #[test]
    fn directory_entries_decode_and_reject_bad_offsets() {
        let mut buffer = Vec::new();
        for (index, name) in ["a.txt", "dir"].iter().enumerate() {
            let name = utf16le(name);
            let start = buffer.len();
            buffer.extend_from_slice(&0u32.to_le_bytes());
            buffer.extend_from_slice(&0u32.to_le_bytes());
            for time in 0..4u64 {
                buffer.extend_from_slice(&time.to_le_bytes());
            }
            buffer.extend_from_slice(&(10u64 + index as u64).to_le_bytes());
            buffer.extend_from_slice(&4096u64.to_le_bytes());
            let attributes = if index == 1 {
                file_attributes::DIRECTORY
            } else {
                file_attributes::ARCHIVE
            };
            buffer.extend_from_slice(&attributes.to_le_bytes());
            buffer.extend_from_slice(&(name.len() as u32).to_le_bytes());
            buffer.extend_from_slice(&name);
            while buffer.len() % 8 != 0 {
                buffer.push(0);
            }
            if index == 0 {
                let next = (buffer.len() - start) as u32;
                buffer[start..start + 4].copy_from_slice(&next.to_le_bytes());
            }
        }
        let entries = DirectoryEntry::decode_all(&buffer).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "a.txt");
        assert_eq!(entries[0].attributes.end_of_file, 10);
        assert!(entries[1].attributes.is_directory());

        let mut looping = buffer.clone();
        looping[0..4].copy_from_slice(&0x1000u32.to_le_bytes());
        assert_eq!(
            DirectoryEntry::decode_all(&looping),
            Err(WireError::BadEntryOffset(0))
        );
    }
}
