//! The information classes the client sets and queries (MS-FSCC §2.4 and §2.5): sans-IO
//! encoders for SET_INFO buffers and decoders for QUERY_INFO answers.

use crate::bytes::Reader;
use crate::wire::attributes::read_file_attributes;
use crate::wire::{FileAttributes, WireError};

/// SMB2_0_INFO_FILE: the information is about a file.
pub const INFO_FILE: u8 = 0x01;
/// SMB2_0_INFO_FILESYSTEM: the information is about the file system.
pub const INFO_FILESYSTEM: u8 = 0x02;

/// FileBasicInformation (MS-FSCC §2.4.7): times and attributes.
pub const FILE_BASIC_INFORMATION: u8 = 4;
/// FileRenameInformation (MS-FSCC §2.4.37, the SMB2 form).
pub const FILE_RENAME_INFORMATION: u8 = 10;
/// FileDispositionInformation (MS-FSCC §2.4.11): delete on close.
pub const FILE_DISPOSITION_INFORMATION: u8 = 13;
/// FileEndOfFileInformation (MS-FSCC §2.4.14): the file's size.
pub const FILE_END_OF_FILE_INFORMATION: u8 = 20;
/// FileNetworkOpenInformation (MS-FSCC §2.4.29): times, sizes and attributes.
pub const FILE_NETWORK_OPEN_INFORMATION: u8 = 34;
/// FileFsFullSizeInformation (MS-FSCC §2.5.4): the volume's size and free space.
pub const FILE_FS_FULL_SIZE_INFORMATION: u8 = 7;

/// FileBasicInformation to set: a time of 0 leaves that time unchanged, and attributes of 0
/// leave the attributes unchanged (MS-FSCC §2.4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BasicInformation {
    /// Creation time (FILETIME), 0 to keep.
    pub creation_time: u64,
    /// Last access time (FILETIME), 0 to keep.
    pub last_access_time: u64,
    /// Last write time (FILETIME), 0 to keep.
    pub last_write_time: u64,
    /// Change time (FILETIME), 0 to keep.
    pub change_time: u64,
    /// `file_attributes` bits, 0 to keep.
    pub attributes: u32,
}

impl BasicInformation {
    /// The 40-byte buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(40);
        for time in [
            self.creation_time,
            self.last_access_time,
            self.last_write_time,
            self.change_time,
        ] {
            buffer.extend_from_slice(&time.to_le_bytes());
        }
        buffer.extend_from_slice(&self.attributes.to_le_bytes());
        buffer.extend_from_slice(&[0; 4]);
        buffer
    }
}

/// FileRenameInformation for SMB2: `new_name` is the full path from the share's root,
/// backslash-separated, without a leading backslash.
pub fn rename_information(new_name: &str, replace_if_exists: bool) -> Vec<u8> {
    let name: Vec<u8> = crate::bytes::utf16le(new_name);
    let mut buffer = Vec::with_capacity(20 + name.len());
    buffer.push(u8::from(replace_if_exists));
    buffer.extend_from_slice(&[0; 7]); // Reserved
    buffer.extend_from_slice(&0u64.to_le_bytes()); // RootDirectory: none for SMB2
    buffer.extend_from_slice(&(name.len() as u32).to_le_bytes());
    buffer.extend_from_slice(&name);
    buffer
}

/// FileDispositionInformation: whether the file is deleted when its last handle closes.
pub fn disposition_information(delete_pending: bool) -> Vec<u8> {
    vec![u8::from(delete_pending)]
}

/// FileEndOfFileInformation: the file's new size.
pub fn end_of_file_information(size: u64) -> Vec<u8> {
    size.to_le_bytes().to_vec()
}

impl FileAttributes {
    /// Decodes FileNetworkOpenInformation (56 bytes): a file's times, sizes and attributes.
    pub fn decode_network_open_information(buffer: &[u8]) -> Result<FileAttributes, WireError> {
        read_file_attributes(&mut Reader::at(buffer, 0))
    }
}

/// A volume's size (FileFsFullSizeInformation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsFullSize {
    /// Allocation units on the volume.
    pub total_units: u64,
    /// Allocation units free for the caller (quotas applied).
    pub caller_available_units: u64,
    /// Allocation units free on the volume.
    pub actual_available_units: u64,
    /// Sectors per allocation unit.
    pub sectors_per_unit: u32,
    /// Bytes per sector.
    pub bytes_per_sector: u32,
}

impl FsFullSize {
    /// Decodes FileFsFullSizeInformation (32 bytes).
    pub fn decode(buffer: &[u8]) -> Result<FsFullSize, WireError> {
        let mut reader = Reader::at(buffer, 0);
        Ok(FsFullSize {
            total_units: reader.u64("TotalAllocationUnits")?,
            caller_available_units: reader.u64("CallerAvailableAllocationUnits")?,
            actual_available_units: reader.u64("ActualAvailableAllocationUnits")?,
            sectors_per_unit: reader.u32("SectorsPerAllocationUnit")?,
            bytes_per_sector: reader.u32("BytesPerSector")?,
        })
    }

    /// Bytes per allocation unit (at least 1).
    pub fn unit_size(&self) -> u64 {
        (u64::from(self.sectors_per_unit) * u64::from(self.bytes_per_sector)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_information_is_forty_bytes_with_zero_meaning_unchanged() {
        let buffer = BasicInformation {
            last_write_time: 0x0102_0304_0506_0708,
            attributes: 0x20,
            ..BasicInformation::default()
        }
        .encode();
        assert_eq!(buffer.len(), 40);
        assert_eq!(&buffer[0..16], &[0; 16]);
        assert_eq!(&buffer[16..24], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&buffer[32..36], &0x20u32.to_le_bytes());
    }

    #[test]
    fn rename_information_layout() {
        let buffer = rename_information("dir\\b.txt", true);
        assert_eq!(buffer[0], 1);
        assert_eq!(&buffer[1..16], &[0; 15]);
        assert_eq!(&buffer[16..20], &18u32.to_le_bytes());
        assert_eq!(&buffer[20..24], &[b'd', 0, b'i', 0]);
        assert_eq!(buffer.len(), 38);
    }

    #[test]
    fn short_answers_are_errors_not_panics() {
        assert!(FileAttributes::decode_network_open_information(&[0; 51]).is_err());
        assert!(FsFullSize::decode(&[0; 31]).is_err());
        let size = FsFullSize::decode(&[
            10, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0,
            2, 0, 0,
        ])
        .unwrap();
        assert_eq!(size.total_units, 10);
        assert_eq!(size.caller_available_units, 4);
        assert_eq!(size.unit_size(), 4096);
    }
}
