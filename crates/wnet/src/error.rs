//! Win32 error codes as the WNet functions return them, with Windows' standard English texts
//! and the protocol-level cause behind each one (an SMB NTSTATUS, a NetBIOS return code, an
//! operating-system error), which is never dropped.

use std::fmt;

/// The Win32 codes the WNet functions use (winerror.h numbers; WN_* aliases in comments).
pub mod codes {
    /// The operation completed successfully (WN_SUCCESS).
    pub const NO_ERROR: u32 = 0;
    /// The system cannot find the file specified.
    pub const ERROR_FILE_NOT_FOUND: u32 = 2;
    /// The system cannot find the path specified.
    pub const ERROR_PATH_NOT_FOUND: u32 = 3;
    /// Access is denied (WN_ACCESS_DENIED).
    pub const ERROR_ACCESS_DENIED: u32 = 5;
    /// The handle is invalid (WN_BAD_HANDLE).
    pub const ERROR_INVALID_HANDLE: u32 = 6;
    /// Not enough memory (WN_OUT_OF_MEMORY).
    pub const ERROR_NOT_ENOUGH_MEMORY: u32 = 8;
    /// The system cannot move the file to a different disk drive.
    pub const ERROR_NOT_SAME_DEVICE: u32 = 17;
    /// The media is write protected.
    pub const ERROR_WRITE_PROTECT: u32 = 19;
    /// A device attached to the system is not functioning (WN_DEVICE_ERROR).
    pub const ERROR_GEN_FAILURE: u32 = 31;
    /// The file is being used by another process.
    pub const ERROR_SHARING_VIOLATION: u32 = 32;
    /// Another process has locked a portion of the file.
    pub const ERROR_LOCK_VIOLATION: u32 = 33;
    /// The file exists.
    pub const ERROR_FILE_EXISTS: u32 = 80;
    /// There is not enough space on the disk.
    pub const ERROR_DISK_FULL: u32 = 112;
    /// The directory is not empty.
    pub const ERROR_DIR_NOT_EMPTY: u32 = 145;
    /// Cannot create a file when that file already exists.
    pub const ERROR_ALREADY_EXISTS: u32 = 183;
    /// The filename or extension is too long.
    pub const ERROR_FILENAME_EXCED_RANGE: u32 = 206;
    /// The directory name is invalid.
    pub const ERROR_DIRECTORY: u32 = 267;
    /// The request is not supported (WN_NOT_SUPPORTED).
    pub const ERROR_NOT_SUPPORTED: u32 = 50;
    /// The network path was not found.
    pub const ERROR_BAD_NETPATH: u32 = 53;
    /// An unexpected network error occurred (WN_NET_ERROR).
    pub const ERROR_UNEXP_NET_ERR: u32 = 59;
    /// The specified network name is no longer available.
    pub const ERROR_NETNAME_DELETED: u32 = 64;
    /// The network resource type is not correct (WN_BAD_DEV_TYPE).
    pub const ERROR_BAD_DEV_TYPE: u32 = 66;
    /// The network name cannot be found (WN_BAD_NETNAME).
    pub const ERROR_BAD_NET_NAME: u32 = 67;
    /// No more connections can be made to this remote computer at this time.
    pub const ERROR_REQ_NOT_ACCEP: u32 = 71;
    /// The local device name is already in use (WN_ALREADY_CONNECTED).
    pub const ERROR_ALREADY_ASSIGNED: u32 = 85;
    /// The specified network password is not correct (WN_BAD_PASSWORD).
    pub const ERROR_INVALID_PASSWORD: u32 = 86;
    /// The parameter is incorrect (WN_BAD_VALUE).
    pub const ERROR_INVALID_PARAMETER: u32 = 87;
    /// The semaphore timeout period has expired: a network operation got no answer in time.
    pub const ERROR_SEM_TIMEOUT: u32 = 121;
    /// The data area passed to a system call is too small.
    pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
    /// The filename, directory name, or volume label syntax is incorrect.
    pub const ERROR_INVALID_NAME: u32 = 123;
    /// The system call level is not correct (WN_BAD_LEVEL).
    pub const ERROR_INVALID_LEVEL: u32 = 124;
    /// The requested resource is in use (WN_FUNCTION_BUSY).
    pub const ERROR_BUSY: u32 = 170;
    /// More data is available (WN_MORE_DATA).
    pub const ERROR_MORE_DATA: u32 = 234;
    /// No more data is available (WN_NO_MORE_ENTRIES).
    pub const ERROR_NO_MORE_ITEMS: u32 = 259;
    /// Attempt to access invalid address (WN_BAD_POINTER).
    pub const ERROR_INVALID_ADDRESS: u32 = 487;
    /// The specified device name is invalid (WN_BAD_LOCALNAME).
    pub const ERROR_BAD_DEVICE: u32 = 1200;
    /// Not connected, but a remembered connection (WN_CONNECTION_CLOSED).
    pub const ERROR_CONNECTION_UNAVAIL: u32 = 1201;
    /// The local device name has a remembered connection to another resource.
    pub const ERROR_DEVICE_ALREADY_REMEMBERED: u32 = 1202;
    /// The network path was typed incorrectly, does not exist, or the provider is unavailable.
    pub const ERROR_NO_NET_OR_BAD_PATH: u32 = 1203;
    /// The specified network provider name is invalid.
    pub const ERROR_BAD_PROVIDER: u32 = 1204;
    /// Unable to open the network connection profile.
    pub const ERROR_CANNOT_OPEN_PROFILE: u32 = 1205;
    /// The network connection profile is corrupted.
    pub const ERROR_BAD_PROFILE: u32 = 1206;
    /// Cannot enumerate a noncontainer.
    pub const ERROR_NOT_CONTAINER: u32 = 1207;
    /// An extended error has occurred (see the last extended error).
    pub const ERROR_EXTENDED_ERROR: u32 = 1208;
    /// A second user name for a server already connected.
    pub const ERROR_SESSION_CREDENTIAL_CONFLICT: u32 = 1219;
    /// The network is not present or not started.
    pub const ERROR_NO_NETWORK: u32 = 1222;
    /// The operation was canceled by the user (WN_CANCEL).
    pub const ERROR_CANCELLED: u32 = 1223;
    /// A retry should be performed (WN_RETRY).
    pub const ERROR_RETRY: u32 = 1237;
    /// The user has not been authenticated.
    pub const ERROR_NOT_AUTHENTICATED: u32 = 1244;
    /// The user has not logged on to the network.
    pub const ERROR_NOT_LOGGED_ON: u32 = 1245;
    /// Initialization has already been completed (WN_NOT_INITIALIZING).
    pub const ERROR_ALREADY_INITIALIZED: u32 = 1247;
    /// No more local devices.
    pub const ERROR_NO_MORE_DEVICES: u32 = 1248;
    /// Guest access blocked by the insecure-guest-logon policy.
    pub const ERROR_SMB_GUEST_LOGON_BLOCKED: u32 = 1272;
    /// No logon servers available (WN_NOT_VALIDATED).
    pub const ERROR_NO_LOGON_SERVERS: u32 = 1311;
    /// A specified logon session does not exist: no Kerberos tickets to log on with.
    pub const ERROR_NO_SUCH_LOGON_SESSION: u32 = 1312;
    /// The user name or password is incorrect.
    pub const ERROR_LOGON_FAILURE: u32 = 1326;
    /// The password for this account has expired.
    pub const ERROR_PASSWORD_EXPIRED: u32 = 1330;
    /// The specified domain either does not exist or could not be contacted.
    pub const ERROR_NO_SUCH_DOMAIN: u32 = 1355;
    /// The target account name is incorrect: no such service principal.
    pub const ERROR_WRONG_TARGET_NAME: u32 = 1396;
    /// There is a time and/or date difference between the client and server.
    pub const ERROR_TIME_SKEW: u32 = 1398;
    /// The authentication failed since NTLM was blocked.
    pub const ERROR_NTLM_BLOCKED: u32 = 1937;
    /// Connected, with a password other than the one given.
    pub const ERROR_CONNECTED_OTHER_PASSWORD: u32 = 2108;
    /// Connected with default credentials.
    pub const ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT: u32 = 2109;
    /// The specified username is invalid (WN_BAD_USER).
    pub const ERROR_BAD_USERNAME: u32 = 2202;
    /// This network connection does not exist (WN_NOT_CONNECTED).
    pub const ERROR_NOT_CONNECTED: u32 = 2250;
    /// The connection has files open or requests pending (WN_OPEN_FILES).
    pub const ERROR_OPEN_FILES: u32 = 2401;
    /// The device is in use by an active process (WN_DEVICE_IN_USE).
    pub const ERROR_DEVICE_IN_USE: u32 = 2404;
}

/// The text of a file operation's error code, as Windows words it.
fn file_message(code: u32) -> Option<&'static str> {
    use codes::{
        ERROR_ALREADY_EXISTS, ERROR_DIR_NOT_EMPTY, ERROR_DIRECTORY, ERROR_DISK_FULL,
        ERROR_FILE_EXISTS, ERROR_FILENAME_EXCED_RANGE, ERROR_LOCK_VIOLATION, ERROR_NOT_SAME_DEVICE,
        ERROR_SHARING_VIOLATION, ERROR_WRITE_PROTECT,
    };
    Some(match code {
        ERROR_NOT_SAME_DEVICE => "The system cannot move the file to a different disk drive.",
        ERROR_WRITE_PROTECT => "The media is write protected.",
        ERROR_SHARING_VIOLATION => {
            "The process cannot access the file because it is being used by another process."
        }
        ERROR_LOCK_VIOLATION => {
            "The process cannot access the file because another process has locked a portion \
             of the file."
        }
        ERROR_FILE_EXISTS => "The file exists.",
        ERROR_DISK_FULL => "There is not enough space on the disk.",
        ERROR_DIR_NOT_EMPTY => "The directory is not empty.",
        ERROR_ALREADY_EXISTS => "Cannot create a file when that file already exists.",
        ERROR_FILENAME_EXCED_RANGE => "The filename or extension is too long.",
        ERROR_DIRECTORY => "The directory name is invalid.",
        _ => return None,
    })
}

/// The text of a logon's error code, as Windows words it.
fn logon_message(code: u32) -> Option<&'static str> {
    use codes::{
        ERROR_LOGON_FAILURE, ERROR_NO_LOGON_SERVERS, ERROR_NO_SUCH_DOMAIN,
        ERROR_NO_SUCH_LOGON_SESSION, ERROR_NTLM_BLOCKED, ERROR_PASSWORD_EXPIRED, ERROR_TIME_SKEW,
        ERROR_WRONG_TARGET_NAME,
    };
    Some(match code {
        ERROR_NO_LOGON_SERVERS => {
            "There are currently no logon servers available to service the logon request."
        }
        ERROR_NO_SUCH_LOGON_SESSION => {
            "A specified logon session does not exist. It may already have been terminated."
        }
        ERROR_LOGON_FAILURE => "The user name or password is incorrect.",
        ERROR_PASSWORD_EXPIRED => "The password for this account has expired.",
        ERROR_NO_SUCH_DOMAIN => {
            "The specified domain either does not exist or could not be contacted."
        }
        ERROR_WRONG_TARGET_NAME => "The target account name is incorrect.",
        ERROR_TIME_SKEW => "There is a time and/or date difference between the client and server.",
        ERROR_NTLM_BLOCKED => "The authentication failed since NTLM was blocked.",
        _ => return None,
    })
}

/// Windows' standard English text for `code` (FormatMessage), or the text Windows gives a
/// code it has no message for.
#[allow(clippy::wildcard_imports)] // every code of the table is matched here
pub fn message(code: u32) -> &'static str {
    use codes::*;
    if let Some(text) = file_message(code) {
        return text;
    }
    if let Some(text) = logon_message(code) {
        return text;
    }
    match code {
        NO_ERROR => "The operation completed successfully.",
        ERROR_FILE_NOT_FOUND => "The system cannot find the file specified.",
        ERROR_PATH_NOT_FOUND => "The system cannot find the path specified.",
        ERROR_ACCESS_DENIED => "Access is denied.",
        ERROR_INVALID_HANDLE => "The handle is invalid.",
        ERROR_NOT_ENOUGH_MEMORY => {
            "Not enough memory resources are available to process this command."
        }
        ERROR_GEN_FAILURE => "A device attached to the system is not functioning.",
        ERROR_NOT_SUPPORTED => "The request is not supported.",
        ERROR_BAD_NETPATH => "The network path was not found.",
        ERROR_UNEXP_NET_ERR => "An unexpected network error occurred.",
        ERROR_NETNAME_DELETED => "The specified network name is no longer available.",
        ERROR_REQ_NOT_ACCEP => {
            "No more connections can be made to this remote computer at this time because the \
             computer has accepted the maximum number of connections."
        }
        ERROR_BAD_DEV_TYPE => "The network resource type is not correct.",
        ERROR_BAD_NET_NAME => "The network name cannot be found.",
        ERROR_ALREADY_ASSIGNED => "The local device name is already in use.",
        ERROR_INVALID_PASSWORD => "The specified network password is not correct.",
        ERROR_INVALID_PARAMETER => "The parameter is incorrect.",
        ERROR_SEM_TIMEOUT => "The semaphore timeout period has expired.",
        ERROR_INSUFFICIENT_BUFFER => "The data area passed to a system call is too small.",
        ERROR_INVALID_NAME => "The filename, directory name, or volume label syntax is incorrect.",
        ERROR_INVALID_LEVEL => "The system call level is not correct.",
        ERROR_BUSY => "The requested resource is in use.",
        ERROR_MORE_DATA => "More data is available.",
        ERROR_NO_MORE_ITEMS => "No more data is available.",
        ERROR_INVALID_ADDRESS => "Attempt to access invalid address.",
        ERROR_BAD_DEVICE => "The specified device name is invalid.",
        ERROR_CONNECTION_UNAVAIL => {
            "The device is not currently connected but it is a remembered connection."
        }
        ERROR_DEVICE_ALREADY_REMEMBERED => {
            "The local device name has a remembered connection to another network resource."
        }
        ERROR_NO_NET_OR_BAD_PATH => {
            "The network path was either typed incorrectly, does not exist, or the network \
             provider is not currently available. Please try retyping the path or contact your \
             network administrator."
        }
        ERROR_BAD_PROVIDER => "The specified network provider name is invalid.",
        ERROR_CANNOT_OPEN_PROFILE => "Unable to open the network connection profile.",
        ERROR_BAD_PROFILE => "The network connection profile is corrupted.",
        ERROR_NOT_CONTAINER => "Cannot enumerate a noncontainer.",
        ERROR_EXTENDED_ERROR => "An extended error has occurred.",
        ERROR_SESSION_CREDENTIAL_CONFLICT => {
            "Multiple connections to a server or shared resource by the same user, using more \
             than one user name, are not allowed. Disconnect all previous connections to the \
             server or shared resource and try again."
        }
        ERROR_NO_NETWORK => "The network is not present or not started.",
        ERROR_CANCELLED => "The operation was canceled by the user.",
        ERROR_RETRY => "The operation could not be completed. A retry should be performed.",
        ERROR_NOT_AUTHENTICATED => {
            "The operation being requested was not performed because the user has not been \
             authenticated."
        }
        ERROR_NOT_LOGGED_ON => {
            "The operation being requested was not performed because the user has not logged on \
             to the network. The specified service does not exist."
        }
        ERROR_ALREADY_INITIALIZED => {
            "An attempt was made to perform an initialization operation when initialization has \
             already been completed."
        }
        ERROR_NO_MORE_DEVICES => "No more local devices.",
        ERROR_SMB_GUEST_LOGON_BLOCKED => {
            "You can't access this shared folder because your organization's security policies \
             block unauthenticated guest access. These policies help protect your PC from \
             unsafe or malicious devices on the network."
        }
        ERROR_CONNECTED_OTHER_PASSWORD => {
            "The network connection was made successfully, but the user had to be prompted for a \
             password other than the one originally specified."
        }
        ERROR_CONNECTED_OTHER_PASSWORD_DEFAULT => {
            "The network connection was made successfully using default credentials."
        }
        ERROR_BAD_USERNAME => "The specified username is invalid.",
        ERROR_NOT_CONNECTED => "This network connection does not exist.",
        ERROR_OPEN_FILES => "This network connection has files open or requests pending.",
        ERROR_DEVICE_IN_USE => {
            "The device is in use by an active process and cannot be disconnected."
        }
        _ => "No error message is available",
    }
}

/// What lay behind a Win32 error at the protocol or system level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// An SMB2/3 status (NTSTATUS) from the server.
    NtStatus(u32),
    /// A NetBIOS return code (NRC_*).
    Nrc(u8),
    /// A NetBIOS session service refusal (RFC 1002 negative session response code).
    SessionRefused(u8),
    /// An operating-system error (errno) while talking to the server.
    Os(i32),
    /// An SMB2/3 failure that carries no status from the server: what failed, and its text.
    Smb {
        /// What failed.
        failure: SmbFailure,
        /// The client's explanation.
        detail: String,
    },
    /// A NetBIOS name query failed: how, and its text.
    NameQuery {
        /// How it failed.
        failure: NameQueryFailure,
        /// The client's explanation.
        detail: String,
    },
    /// The wnet agent could not be reached, refused the caller, or answered nonsense.
    Agent(String),
    /// A credentials or remembered-connections file could not be read or written.
    Profile(String),
    /// A local directory (a mount point) cannot serve.
    LocalPath(String),
    /// A setting of the environment or the settings file is invalid.
    Setting(String),
    /// Any other explanation, in words.
    Other(String),
}

/// What failed in an SMB2/3 exchange that ended without a status from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SmbFailure {
    /// The TCP connection could not be made.
    Connect,
    /// The connection ended or a request went unanswered.
    ConnectionLost,
    /// Authentication could not proceed (NTLM, SPNEGO, an anonymous logon where credentials
    /// were given).
    Authentication,
    /// A guest logon, refused by the insecure-guest-logon policy.
    GuestLogonBlocked,
    /// The server cannot give what the connection requires (a dialect, signing, encryption).
    Unsupported,
    /// A response was malformed or refused (a bad signature, another session, a tampered
    /// negotiation).
    Protocol,
    /// Signing, sealing or key derivation failed.
    Crypto,
    /// A DCE/RPC exchange over a pipe failed.
    Rpc,
    /// The server sent more than the client takes, or a message was too large to send.
    Limit,
}

/// How a NetBIOS name query failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameQueryFailure {
    /// The name is not registered (a negative answer, or nobody answered a broadcast).
    NotFound,
    /// No answer came in time.
    Timeout,
    /// The query could not be sent or its answer was unusable.
    Network,
}

impl NameQueryFailure {
    /// The Win32 code Windows gives the failure.
    pub fn code(self) -> u32 {
        match self {
            NameQueryFailure::NotFound => codes::ERROR_BAD_NETPATH,
            NameQueryFailure::Timeout => codes::ERROR_SEM_TIMEOUT,
            NameQueryFailure::Network => codes::ERROR_UNEXP_NET_ERR,
        }
    }
}

impl From<&wnet_nbt::name_service::client::QueryError> for WinError {
    /// The one conversion of a name-query failure, for the CLI and Python alike:
    /// ERROR_BAD_NETPATH for an unknown name, ERROR_SEM_TIMEOUT for no answer,
    /// ERROR_UNEXP_NET_ERR otherwise, with the query's text as the cause.
    fn from(error: &wnet_nbt::name_service::client::QueryError) -> WinError {
        use wnet_nbt::name_service::client::QueryError;
        let failure = match error {
            QueryError::NotFound { .. } => NameQueryFailure::NotFound,
            QueryError::Timeout { .. } => NameQueryFailure::Timeout,
            _ => NameQueryFailure::Network,
        };
        WinError::with_cause(
            failure.code(),
            Cause::NameQuery {
                failure,
                detail: error.to_string(),
            },
        )
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::NtStatus(status) => write!(f, "NTSTATUS {status:#010x}"),
            Cause::Nrc(code) => write!(f, "NetBIOS return code {code:#04x}"),
            Cause::SessionRefused(code) => write!(f, "NetBIOS session refused ({code:#04x})"),
            Cause::Os(errno) => write!(f, "{}", std::io::Error::from_raw_os_error(*errno)),
            Cause::Smb { detail, .. } | Cause::NameQuery { detail, .. } => f.write_str(detail),
            Cause::Agent(text)
            | Cause::Profile(text)
            | Cause::LocalPath(text)
            | Cause::Setting(text)
            | Cause::Other(text) => f.write_str(text),
        }
    }
}

/// A Win32 error: the code a Windows caller would see, and its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinError {
    /// The winerror.h code.
    pub code: u32,
    /// What lay behind it, when known.
    pub cause: Option<Cause>,
}

impl WinError {
    /// `code` with no further cause.
    pub fn new(code: u32) -> WinError {
        WinError { code, cause: None }
    }

    /// `code` caused by `cause`.
    pub fn with_cause(code: u32, cause: Cause) -> WinError {
        WinError {
            code,
            cause: Some(cause),
        }
    }

    /// Windows' standard text for the code.
    pub fn message(&self) -> &'static str {
        message(self.code)
    }

    /// The NTSTATUS behind the error, if an SMB server gave one.
    pub fn ntstatus(&self) -> Option<u32> {
        match self.cause {
            Some(Cause::NtStatus(status)) => Some(status),
            _ => None,
        }
    }

    /// The errno a file call failing with this error gives (an `OSError`'s `errno` beside
    /// its `winerror`): ENOENT for a path or name not found, EINVAL for a malformed name,
    /// EACCES for a refused logon or access, else the errno closest to the code.
    #[allow(clippy::wildcard_imports)] // the codes matched
    pub fn errno(&self) -> i32 {
        use codes::*;
        use nix::errno::Errno;
        if let Some(Cause::Os(errno)) = self.cause
            && self.code == ERROR_UNEXP_NET_ERR
        {
            return errno;
        }
        let errno = match self.code {
            ERROR_FILE_NOT_FOUND
            | ERROR_PATH_NOT_FOUND
            | ERROR_BAD_NETPATH
            | ERROR_BAD_NET_NAME
            | ERROR_NO_NET_OR_BAD_PATH => Errno::ENOENT,
            ERROR_INVALID_NAME | ERROR_INVALID_PARAMETER | ERROR_BAD_DEV_TYPE => Errno::EINVAL,
            ERROR_ACCESS_DENIED
            | ERROR_INVALID_PASSWORD
            | ERROR_LOGON_FAILURE
            | ERROR_NO_SUCH_LOGON_SESSION
            | ERROR_PASSWORD_EXPIRED
            | ERROR_WRONG_TARGET_NAME
            | ERROR_TIME_SKEW
            | ERROR_NTLM_BLOCKED
            | ERROR_SESSION_CREDENTIAL_CONFLICT
            | ERROR_NOT_AUTHENTICATED
            | ERROR_SMB_GUEST_LOGON_BLOCKED
            | ERROR_BAD_USERNAME
            | ERROR_SHARING_VIOLATION
            | ERROR_LOCK_VIOLATION
            | ERROR_WRITE_PROTECT => Errno::EACCES,
            ERROR_SEM_TIMEOUT => Errno::ETIMEDOUT,
            ERROR_NO_NETWORK => Errno::ENETDOWN,
            ERROR_NOT_SUPPORTED => Errno::EOPNOTSUPP,
            ERROR_NOT_ENOUGH_MEMORY => Errno::ENOMEM,
            ERROR_BUSY | ERROR_OPEN_FILES | ERROR_DEVICE_IN_USE => Errno::EBUSY,
            // File errors, as Python on Windows maps them.
            ERROR_FILE_EXISTS | ERROR_ALREADY_EXISTS => Errno::EEXIST,
            ERROR_DIR_NOT_EMPTY => Errno::ENOTEMPTY,
            ERROR_DIRECTORY => Errno::ENOTDIR,
            ERROR_DISK_FULL => Errno::ENOSPC,
            ERROR_NOT_SAME_DEVICE => Errno::EXDEV,
            ERROR_FILENAME_EXCED_RANGE => Errno::ENAMETOOLONG,
            ERROR_INVALID_HANDLE => Errno::EBADF,
            _ => Errno::EIO,
        };
        errno as i32
    }
}

impl fmt::Display for WinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (error {})", self.message(), self.code)?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WinError {}

#[cfg(test)]
mod tests {
    use super::codes::*;
    use super::*;

    #[test]
    fn every_design_code_has_its_windows_text() {
        for (code, text) in [
            (ERROR_BAD_NETPATH, "The network path was not found."),
            (ERROR_BAD_NET_NAME, "The network name cannot be found."),
            (ERROR_MORE_DATA, "More data is available."),
            (ERROR_NO_MORE_ITEMS, "No more data is available."),
            (
                ERROR_LOGON_FAILURE,
                "The user name or password is incorrect.",
            ),
            (
                ERROR_NOT_CONNECTED,
                "This network connection does not exist.",
            ),
        ] {
            assert_eq!(message(code), text);
        }
        for code in [
            ERROR_ALREADY_ASSIGNED,
            ERROR_INVALID_PASSWORD,
            ERROR_BAD_DEVICE,
            ERROR_CONNECTION_UNAVAIL,
            ERROR_DEVICE_ALREADY_REMEMBERED,
            ERROR_NO_NET_OR_BAD_PATH,
            ERROR_BAD_PROVIDER,
            ERROR_NOT_CONTAINER,
            ERROR_EXTENDED_ERROR,
            ERROR_SESSION_CREDENTIAL_CONFLICT,
            ERROR_SMB_GUEST_LOGON_BLOCKED,
            ERROR_NO_NETWORK,
            ERROR_OPEN_FILES,
            ERROR_DEVICE_IN_USE,
            ERROR_ACCESS_DENIED,
            ERROR_INVALID_HANDLE,
            ERROR_NOT_SUPPORTED,
            ERROR_INVALID_PARAMETER,
        ] {
            assert_ne!(message(code), message(99_999), "code {code}");
        }
        assert_eq!(message(99_999), "No error message is available");
    }

    #[test]
    fn the_cause_is_kept_and_shown() {
        let error = WinError::with_cause(ERROR_LOGON_FAILURE, Cause::NtStatus(0xC000_006D));
        assert_eq!(error.ntstatus(), Some(0xC000_006D));
        assert_eq!(
            error.to_string(),
            "The user name or password is incorrect. (error 1326): NTSTATUS 0xc000006d"
        );
        assert_eq!(WinError::new(ERROR_NOT_CONNECTED).ntstatus(), None);
    }

    #[test]
    fn name_query_failures_become_one_code_each() {
        use wnet_nbt::name_service::client::QueryError;
        let not_found = QueryError::NotFound {
            name: "NOBODY".into(),
            rcode: Some(3),
        };
        let timeout = QueryError::Timeout {
            target: "192.0.2.1:137".parse().unwrap(),
            waited: std::time::Duration::from_millis(750),
        };
        for (error, code, failure) in [
            (not_found, ERROR_BAD_NETPATH, NameQueryFailure::NotFound),
            (timeout, ERROR_SEM_TIMEOUT, NameQueryFailure::Timeout),
            (
                QueryError::NoSources,
                ERROR_UNEXP_NET_ERR,
                NameQueryFailure::Network,
            ),
        ] {
            let win = WinError::from(&error);
            assert_eq!(win.code, code);
            assert_eq!(
                win.cause,
                Some(Cause::NameQuery {
                    failure,
                    detail: error.to_string()
                })
            );
        }
        assert_eq!(
            message(ERROR_SEM_TIMEOUT),
            "The semaphore timeout period has expired."
        );
    }
}
