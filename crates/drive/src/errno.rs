//! SMB2 failures as the errno a file operation returns.

use fuser::Errno;
use wnet_smb2::{Error, NtStatus};

/// The errno for a failed SMB2 request: the status's POSIX meaning; a timeout, a lost
/// connection or an undecodable answer is EIO.
pub fn errno(error: &Error) -> Errno {
    match error.status() {
        Some(status) => status_errno(status),
        None => Errno::EIO,
    }
}

/// The errno for an NTSTATUS.
pub fn status_errno(status: NtStatus) -> Errno {
    match status {
        NtStatus::STATUS_OBJECT_NAME_NOT_FOUND
        | NtStatus::STATUS_OBJECT_PATH_NOT_FOUND
        | NtStatus::STATUS_NO_SUCH_FILE
        | NtStatus::STATUS_DELETE_PENDING
        | NtStatus::STATUS_NOT_FOUND => Errno::ENOENT,
        NtStatus::STATUS_OBJECT_NAME_COLLISION => Errno::EEXIST,
        NtStatus::STATUS_ACCESS_DENIED
        | NtStatus::STATUS_NETWORK_ACCESS_DENIED
        | NtStatus::STATUS_CANNOT_DELETE => Errno::EACCES,
        NtStatus::STATUS_MEDIA_WRITE_PROTECTED => Errno::EROFS,
        NtStatus::STATUS_NOT_A_DIRECTORY => Errno::ENOTDIR,
        NtStatus::STATUS_FILE_IS_A_DIRECTORY => Errno::EISDIR,
        NtStatus::STATUS_DIRECTORY_NOT_EMPTY => Errno::ENOTEMPTY,
        NtStatus::STATUS_DISK_FULL => Errno::ENOSPC,
        NtStatus::STATUS_SHARING_VIOLATION => Errno::EBUSY,
        NtStatus::STATUS_OBJECT_NAME_INVALID | NtStatus::STATUS_INVALID_PARAMETER => Errno::EINVAL,
        NtStatus::STATUS_NOT_SUPPORTED
        | NtStatus::STATUS_NOT_IMPLEMENTED
        | NtStatus::STATUS_INVALID_DEVICE_REQUEST
        | NtStatus::STATUS_INVALID_INFO_CLASS => Errno::ENOTSUP,
        NtStatus::STATUS_INSUFF_SERVER_RESOURCES => Errno::ENOMEM,
        NtStatus::STATUS_IO_TIMEOUT => Errno::ETIMEDOUT,
        // The session's logon expired and could not be renewed: EKEYEXPIRED, as the
        // kernel's cifs client says it, so that a user sees "Key has expired" and renews
        // their tickets.
        NtStatus::STATUS_NETWORK_SESSION_EXPIRED => Errno::from_i32(nix::libc::EKEYEXPIRED),
        _ => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_their_posix_meaning() {
        assert_eq!(
            status_errno(NtStatus::STATUS_OBJECT_NAME_NOT_FOUND),
            Errno::ENOENT
        );
        assert_eq!(
            status_errno(NtStatus::STATUS_OBJECT_NAME_COLLISION),
            Errno::EEXIST
        );
        assert_eq!(status_errno(NtStatus::STATUS_ACCESS_DENIED), Errno::EACCES);
        assert_eq!(status_errno(NtStatus::STATUS_CANNOT_DELETE), Errno::EACCES);
        assert_eq!(
            status_errno(NtStatus::STATUS_DIRECTORY_NOT_EMPTY),
            Errno::ENOTEMPTY
        );
        assert_eq!(status_errno(NtStatus(0xC000_9999)), Errno::EIO);
        assert_eq!(
            status_errno(NtStatus::STATUS_NETWORK_SESSION_EXPIRED).code(),
            nix::libc::EKEYEXPIRED
        );
        assert_eq!(
            errno(&Error::Closed(wnet_smb2::client::CloseReason::ServerClosed)),
            Errno::EIO
        );
    }
}
