//! NTSTATUS values (MS-ERREF §2.3) as SMB2 servers send them, with their names.

use std::fmt;

/// An NTSTATUS code. `Display` gives its name where known (`STATUS_LOGON_FAILURE`), else hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtStatus(pub u32);

macro_rules! statuses {
    ($($name:ident = $value:literal,)*) => {
        impl NtStatus {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: NtStatus = NtStatus($value);
            )*

            /// The status's name, if this crate knows it.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    STATUS_SUCCESS = 0x0000_0000,
    STATUS_PENDING = 0x0000_0103,
    STATUS_BUFFER_OVERFLOW = 0x8000_0005,
    STATUS_NO_MORE_FILES = 0x8000_0006,
    STATUS_STOPPED_ON_SYMLINK = 0x8000_002D,
    STATUS_UNSUCCESSFUL = 0xC000_0001,
    STATUS_NOT_IMPLEMENTED = 0xC000_0002,
    STATUS_INVALID_INFO_CLASS = 0xC000_0003,
    STATUS_INVALID_HANDLE = 0xC000_0008,
    STATUS_INVALID_PARAMETER = 0xC000_000D,
    STATUS_NO_SUCH_FILE = 0xC000_000F,
    STATUS_INVALID_DEVICE_REQUEST = 0xC000_0010,
    STATUS_END_OF_FILE = 0xC000_0011,
    STATUS_MORE_PROCESSING_REQUIRED = 0xC000_0016,
    STATUS_ACCESS_DENIED = 0xC000_0022,
    STATUS_OBJECT_NAME_INVALID = 0xC000_0033,
    STATUS_OBJECT_NAME_NOT_FOUND = 0xC000_0034,
    STATUS_OBJECT_NAME_COLLISION = 0xC000_0035,
    STATUS_OBJECT_PATH_NOT_FOUND = 0xC000_003A,
    STATUS_SHARING_VIOLATION = 0xC000_0043,
    STATUS_DELETE_PENDING = 0xC000_0056,
    STATUS_NO_SUCH_USER = 0xC000_0064,
    STATUS_WRONG_PASSWORD = 0xC000_006A,
    STATUS_LOGON_FAILURE = 0xC000_006D,
    STATUS_ACCOUNT_RESTRICTION = 0xC000_006E,
    STATUS_INVALID_LOGON_HOURS = 0xC000_006F,
    STATUS_INVALID_WORKSTATION = 0xC000_0070,
    STATUS_PASSWORD_EXPIRED = 0xC000_0071,
    STATUS_ACCOUNT_DISABLED = 0xC000_0072,
    STATUS_DISK_FULL = 0xC000_007F,
    STATUS_MEDIA_WRITE_PROTECTED = 0xC000_00A2,
    STATUS_IO_TIMEOUT = 0xC000_00B5,
    STATUS_FILE_IS_A_DIRECTORY = 0xC000_00BA,
    STATUS_NOT_SUPPORTED = 0xC000_00BB,
    STATUS_BAD_NETWORK_PATH = 0xC000_00BE,
    STATUS_NETWORK_NAME_DELETED = 0xC000_00C9,
    STATUS_NETWORK_ACCESS_DENIED = 0xC000_00CA,
    STATUS_BAD_NETWORK_NAME = 0xC000_00CC,
    STATUS_REQUEST_NOT_ACCEPTED = 0xC000_00D0,
    STATUS_DIRECTORY_NOT_EMPTY = 0xC000_0101,
    STATUS_NOT_A_DIRECTORY = 0xC000_0103,
    STATUS_CANCELLED = 0xC000_0120,
    STATUS_CANNOT_DELETE = 0xC000_0121,
    STATUS_FILE_CLOSED = 0xC000_0128,
    STATUS_USER_SESSION_DELETED = 0xC000_0203,
    STATUS_INSUFF_SERVER_RESOURCES = 0xC000_0205,
    STATUS_PASSWORD_MUST_CHANGE = 0xC000_0224,
    STATUS_NOT_FOUND = 0xC000_0225,
    STATUS_PATH_NOT_COVERED = 0xC000_0257,
    STATUS_FS_DRIVER_REQUIRED = 0xC000_019C,
    STATUS_DFS_UNAVAILABLE = 0xC000_026D,
    STATUS_ACCOUNT_LOCKED_OUT = 0xC000_0234,
    STATUS_NETWORK_SESSION_EXPIRED = 0xC000_035C,
}

impl NtStatus {
    /// Whether this is a success or informational status (severity 0 or 1).
    pub fn is_success(self) -> bool {
        self.0 >> 30 <= 1
    }
}

impl fmt::Display for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#010x})", self.0),
            None => write!(f, "NTSTATUS {:#010x}", self.0),
        }
    }
}

impl fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_severity() {
        assert_eq!(
            NtStatus::STATUS_LOGON_FAILURE.to_string(),
            "STATUS_LOGON_FAILURE (0xc000006d)"
        );
        assert_eq!(NtStatus(0xC0FF_EE00).to_string(), "NTSTATUS 0xc0ffee00");
        assert!(NtStatus::STATUS_SUCCESS.is_success());
        assert!(NtStatus::STATUS_PENDING.is_success());
        assert!(!NtStatus::STATUS_BUFFER_OVERFLOW.is_success());
        assert!(!NtStatus::STATUS_ACCESS_DENIED.is_success());
    }
}
