//! Kerberos through the system's GSS-API ([RFC 2743], [RFC 2744]), loaded at run time.
//!
//! The library is MIT krb5's `libgssapi_krb5.so.2`, opened with `dlopen` the first time a
//! Kerberos session is set up: nothing links against it, so a program (and the Python
//! wheel) runs where it is missing, and Kerberos then fails with
//! [`KerberosError::Unavailable`]. Going through the system's GSS-API means its credential
//! caches all work as they do for `kinit` and `smbclient`: FILE, DIR, KEYRING and KCM, chosen
//! by `KRB5CCNAME` or the krb5.conf default, or named per context
//! ([`KerberosCredentials::Ccache`]).
//!
//! [`InitiatorContext`] is the client side of one security context for the Kerberos mechanism
//! (1.2.840.113554.1.2.2) with mutual authentication: [`InitiatorContext::step`] turns the
//! server's token into the next one to send (the first call makes the AP-REQ, the second
//! verifies the AP-REP), and [`InitiatorContext::session_key`] reads the context's session key
//! (GSS_C_INQ_SSPI_SESSION_KEY), which SMB signs and seals with. Once complete,
//! [`InitiatorContext::wrap`] and [`InitiatorContext::unwrap`] protect messages with the
//! context's keys (gss_wrap, gss_unwrap), as SASL's GSSAPI security layer (RFC 4752) does.
//!
//! This module is the FFI edge: each function with an `unsafe` block allows `unsafe_code` by
//! itself and says why each call is sound. The signatures are those of MIT's `gssapi.h`.

use std::ffi::{CString, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use crate::ntlm::Password;
use crate::spnego::KERBEROS_OID;

/// The library opened, by its soname (the runtime package: `libgssapi-krb5-2` on Debian).
pub const LIBRARY: &str = "libgssapi_krb5.so.2";

/// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4: `service@host`.
const NT_HOSTBASED_SERVICE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];
/// GSS_KRB5_NT_PRINCIPAL_NAME, 1.2.840.113554.1.2.2.1: `user@REALM`.
const NT_KRB5_PRINCIPAL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01];
/// GSS_C_INQ_SSPI_SESSION_KEY, 1.2.840.113554.1.2.2.5.5.
const INQ_SSPI_SESSION_KEY: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x05, 0x05,
];

/// GSS_C_MUTUAL_FLAG.
const MUTUAL_FLAG: u32 = 2;
/// GSS_C_SEQUENCE_FLAG.
const SEQUENCE_FLAG: u32 = 8;
/// GSS_C_INTEG_FLAG.
const INTEG_FLAG: u32 = 32;
/// GSS_C_INITIATE.
const INITIATE: c_int = 1;
/// GSS_C_GSS_CODE and GSS_C_MECH_CODE for gss_display_status.
const GSS_CODE: c_int = 1;
const MECH_CODE: c_int = 2;
/// GSS_S_CONTINUE_NEEDED, the supplementary bit of a context that needs another token.
const CONTINUE_NEEDED: u32 = 1;
/// The routine error GSS_S_NO_CRED (7 << 16): no credentials were found.
const NO_CRED: u32 = 7 << 16;
/// The routine error GSS_S_CREDENTIALS_EXPIRED (11 << 16).
const CREDENTIALS_EXPIRED: u32 = 11 << 16;

/// The calling and routine error bits of a major status (GSS_ERROR).
fn is_error(major: u32) -> bool {
    major & 0xffff_0000 != 0
}

/// Why a Kerberos context could not be established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KerberosError {
    /// The GSS-API library cannot be loaded, or lacks a function.
    #[error("Kerberos unavailable: {0}")]
    Unavailable(String),
    /// There are no usable tickets (an empty, missing or expired credential cache).
    #[error("Kerberos: no usable credentials: {0}")]
    NoCredentials(String),
    /// A GSS-API call failed; `message` is the library's own text.
    #[error("Kerberos: {call} failed: {message}")]
    Gss {
        /// The GSS-API function.
        call: &'static str,
        /// Its major status.
        major: u32,
        /// Its minor (mechanism) status.
        minor: u32,
        /// gss_display_status's text for both.
        message: String,
    },
    /// A name or password holds a NUL byte, which the C interface cannot carry.
    #[error("Kerberos: the {0} contains a NUL byte")]
    Nul(&'static str),
    /// The context completed without the mutual authentication or integrity it was asked for.
    #[error("Kerberos: the context lacks {0}")]
    MissingService(&'static str),
    /// A step was asked of a context that is already complete, or a key of one that is not.
    #[error("Kerberos: {0}")]
    State(&'static str),
}

impl KerberosError {
    /// What the failure means for the user, where the krb5 error behind it (the minor
    /// status) or the GSS-API routine error says: see [`KerberosFailure::of_minor`].
    pub fn failure(&self) -> Option<KerberosFailure> {
        match self {
            KerberosError::NoCredentials(_) => Some(KerberosFailure::NoTickets),
            KerberosError::Gss { minor, .. } => KerberosFailure::of_minor(*minor),
            _ => None,
        }
    }
}

/// The base of MIT krb5's error table (`ERROR_TABLE_BASE_krb5`, -1765328384): a krb5 error's
/// code is the base plus its index in `krb5_err.et`, and the GSS-API mechanism passes it on
/// as the minor status. The Kerberos protocol's own error codes (RFC 4120 7.5.9) are the first
/// 128 of the table.
const KRB5_ERROR_BASE: u32 = 0x96c7_3a00;

/// The krb5 errors a [`KerberosFailure`] is read from, by their `krb5_err.et` names.
mod krb5 {
    use super::KRB5_ERROR_BASE as BASE;
    /// Client not found in Kerberos database (KDC_ERR_C_PRINCIPAL_UNKNOWN, 6).
    pub(super) const KDC_ERR_C_PRINCIPAL_UNKNOWN: u32 = BASE + 6;
    /// Server not found in Kerberos database (KDC_ERR_S_PRINCIPAL_UNKNOWN, 7).
    pub(super) const KDC_ERR_S_PRINCIPAL_UNKNOWN: u32 = BASE + 7;
    /// Client's credentials have been revoked (KDC_ERR_CLIENT_REVOKED, 18): a disabled or
    /// locked-out account.
    pub(super) const KDC_ERR_CLIENT_REVOKED: u32 = BASE + 18;
    /// Password has expired (KDC_ERR_KEY_EXPIRED, 23).
    pub(super) const KDC_ERR_KEY_EXP: u32 = BASE + 23;
    /// Preauthentication failed (KDC_ERR_PREAUTH_FAILED, 24): a wrong password.
    pub(super) const KDC_ERR_PREAUTH_FAILED: u32 = BASE + 24;
    /// Decrypt integrity check failed (KRB_AP_ERR_BAD_INTEGRITY, 31): a wrong password.
    pub(super) const KRB_AP_ERR_BAD_INTEGRITY: u32 = BASE + 31;
    /// Ticket expired (KRB_AP_ERR_TKT_EXPIRED, 32).
    pub(super) const KRB_AP_ERR_TKT_EXPIRED: u32 = BASE + 32;
    /// Clock skew too great (KRB_AP_ERR_SKEW, 37).
    pub(super) const KRB_AP_ERR_SKEW: u32 = BASE + 37;
    /// Matching credential not found (KRB5_CC_NOTFOUND).
    pub(super) const CC_NOTFOUND: u32 = BASE + 141;
    /// End of credential cache reached (KRB5_CC_END).
    pub(super) const CC_END: u32 = BASE + 142;
    /// Clock skew too great in KDC reply (KRB5_KDCREP_SKEW).
    pub(super) const KDCREP_SKEW: u32 = BASE + 148;
    /// Cannot find KDC for requested realm (KRB5_REALM_UNKNOWN).
    pub(super) const REALM_UNKNOWN: u32 = BASE + 154;
    /// Cannot contact any KDC for requested realm (KRB5_KDC_UNREACH).
    pub(super) const KDC_UNREACH: u32 = BASE + 156;
    /// No credentials cache found (KRB5_FCC_NOFILE).
    pub(super) const FCC_NOFILE: u32 = BASE + 195;
    /// No credentials supplied to library routine (KRB5_NO_TKT_SUPPLIED).
    pub(super) const NO_TKT_SUPPLIED: u32 = BASE + 143;
    /// Cannot determine realm for host (KRB5_ERR_HOST_REALM_UNKNOWN).
    pub(super) const ERR_HOST_REALM_UNKNOWN: u32 = BASE + 217;
    /// Cannot resolve network address for KDC in requested realm (KRB5_REALM_CANT_RESOLVE).
    pub(super) const REALM_CANT_RESOLVE: u32 = BASE + 220;
    /// Configuration file does not specify default realm (KRB5_CONFIG_NODEFREALM).
    pub(super) const CONFIG_NODEFREALM: u32 = BASE + 224;
}

/// What a Kerberos failure means for the user, read from the krb5 error behind it: each is a
/// different thing to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KerberosFailure {
    /// No usable tickets: no credential cache, an empty one, or expired tickets (`kinit`).
    NoTickets,
    /// No KDC of the realm answered, or none could be found by name.
    KdcUnreachable,
    /// The clocks of this host and the KDC or the server differ by more than the allowed
    /// skew.
    ClockSkew,
    /// The KDC knows no service principal by the name asked (`cifs/<host>`).
    UnknownService,
    /// The KDC knows no such client principal.
    UnknownClient,
    /// The account's password has expired.
    PasswordExpired,
    /// The password is wrong.
    WrongPassword,
    /// The account is disabled or locked out.
    AccountRevoked,
    /// The Kerberos configuration (krb5.conf) does not know the realm: no KDC for it, no
    /// realm for the host, or no default realm.
    UnknownRealm,
}

impl KerberosFailure {
    /// The failure the krb5 error `minor` (a GSS-API minor status of the Kerberos mechanism)
    /// stands for; `None` for the others.
    pub fn of_minor(minor: u32) -> Option<KerberosFailure> {
        Some(match minor {
            krb5::CC_NOTFOUND
            | krb5::CC_END
            | krb5::FCC_NOFILE
            | krb5::NO_TKT_SUPPLIED
            | krb5::KRB_AP_ERR_TKT_EXPIRED => KerberosFailure::NoTickets,
            krb5::KDC_UNREACH | krb5::REALM_CANT_RESOLVE => KerberosFailure::KdcUnreachable,
            krb5::KRB_AP_ERR_SKEW | krb5::KDCREP_SKEW => KerberosFailure::ClockSkew,
            krb5::KDC_ERR_S_PRINCIPAL_UNKNOWN => KerberosFailure::UnknownService,
            krb5::KDC_ERR_C_PRINCIPAL_UNKNOWN => KerberosFailure::UnknownClient,
            krb5::KDC_ERR_KEY_EXP => KerberosFailure::PasswordExpired,
            krb5::KDC_ERR_PREAUTH_FAILED | krb5::KRB_AP_ERR_BAD_INTEGRITY => {
                KerberosFailure::WrongPassword
            }
            krb5::KDC_ERR_CLIENT_REVOKED => KerberosFailure::AccountRevoked,
            krb5::REALM_UNKNOWN | krb5::ERR_HOST_REALM_UNKNOWN | krb5::CONFIG_NODEFREALM => {
                KerberosFailure::UnknownRealm
            }
            _ => return None,
        })
    }
}

/// Where the initiator's tickets come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KerberosCredentials {
    /// The default credential cache: `KRB5CCNAME`, else krb5.conf's `default_ccache_name`.
    #[default]
    Default,
    /// A named credential cache (`FILE:/path`, `DIR:/dir`, `KEYRING:persistent:1000`,
    /// `KCM:1000`), whatever the process's `KRB5CCNAME` says.
    Ccache(String),
    /// The default credential cache as [`KerberosCredentials::Default`], and where it has no
    /// usable tickets, tickets got with the keys of this client keytab (`FILE:/path`, or a
    /// path) and stored in that cache: what MIT's `KRB5_CLIENT_KTNAME` does for every
    /// program, for this context alone. Tickets that run out are got again.
    Keytab(String),
    /// Tickets got from the KDC with a password, for `principal` (`user@REALM`), held in
    /// memory by the context alone.
    Password {
        /// `user@REALM`.
        principal: String,
        /// The principal's password.
        password: Password,
    },
}

type OmUint32 = u32;
/// gss_name_t, gss_ctx_id_t and gss_cred_id_t: opaque pointers.
type Handle = *mut c_void;

/// gss_OID_desc.
#[repr(C)]
struct OidDesc {
    length: OmUint32,
    elements: *mut c_void,
}

/// gss_buffer_desc.
#[repr(C)]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

/// gss_buffer_set_desc.
#[repr(C)]
struct BufferSetDesc {
    count: usize,
    elements: *mut BufferDesc,
}

/// gss_OID_set_desc.
#[repr(C)]
struct OidSetDesc {
    count: usize,
    elements: *mut OidDesc,
}

/// gss_key_value_element_desc.
#[repr(C)]
struct KeyValueElement {
    key: *const c_char,
    value: *const c_char,
}

/// gss_key_value_set_desc.
#[repr(C)]
struct KeyValueSet {
    count: OmUint32,
    elements: *const KeyValueElement,
}

/// An OID descriptor for `der` (the library only reads it).
fn oid(der: &'static [u8]) -> OidDesc {
    OidDesc {
        length: der.len() as OmUint32,
        elements: der.as_ptr().cast_mut().cast(),
    }
}

/// A buffer descriptor borrowing `bytes` for a call that only reads it.
fn input_buffer(bytes: &[u8]) -> BufferDesc {
    BufferDesc {
        length: bytes.len(),
        value: bytes.as_ptr().cast_mut().cast(),
    }
}

fn empty_buffer() -> BufferDesc {
    BufferDesc {
        length: 0,
        value: ptr::null_mut(),
    }
}

type ImportName =
    unsafe extern "C" fn(*mut OmUint32, *const BufferDesc, *const OidDesc, *mut Handle) -> u32;
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    *mut Handle,
    Handle,
    *const OidDesc,
    OmUint32,
    OmUint32,
    *const c_void,
    *const BufferDesc,
    *mut *mut OidDesc,
    *mut BufferDesc,
    *mut OmUint32,
    *mut OmUint32,
) -> u32;
type InquireSecContextByOid =
    unsafe extern "C" fn(*mut OmUint32, Handle, *const OidDesc, *mut *mut BufferSetDesc) -> u32;
type ReleaseBufferSet = unsafe extern "C" fn(*mut OmUint32, *mut *mut BufferSetDesc) -> u32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    c_int,
    *const OidDesc,
    *mut OmUint32,
    *mut BufferDesc,
) -> u32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> u32;
type InquireContext = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    *mut Handle,
    *mut Handle,
    *mut OmUint32,
    *mut *mut OidDesc,
    *mut OmUint32,
    *mut c_int,
    *mut c_int,
) -> u32;
type DisplayName =
    unsafe extern "C" fn(*mut OmUint32, Handle, *mut BufferDesc, *mut *mut OidDesc) -> u32;
type ReleaseHandle = unsafe extern "C" fn(*mut OmUint32, *mut Handle) -> u32;
type DeleteSecContext = unsafe extern "C" fn(*mut OmUint32, *mut Handle, *mut BufferDesc) -> u32;
type AcquireCredWithPassword = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    *const BufferDesc,
    OmUint32,
    *const OidSetDesc,
    c_int,
    *mut Handle,
    *mut *mut OidSetDesc,
    *mut OmUint32,
) -> u32;
type Wrap = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    c_int,
    OmUint32,
    *const BufferDesc,
    *mut c_int,
    *mut BufferDesc,
) -> u32;
type Unwrap = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    *const BufferDesc,
    *mut BufferDesc,
    *mut c_int,
    *mut OmUint32,
) -> u32;
type AcquireCredFrom = unsafe extern "C" fn(
    *mut OmUint32,
    Handle,
    OmUint32,
    *const OidSetDesc,
    c_int,
    *const KeyValueSet,
    *mut Handle,
    *mut *mut OidSetDesc,
    *mut OmUint32,
) -> u32;

/// The loaded library and the functions used.
struct Gssapi {
    /// Kept open for the life of the process: the function pointers point into it.
    _library: libloading::Library,
    import_name: ImportName,
    init_sec_context: InitSecContext,
    inquire_sec_context_by_oid: InquireSecContextByOid,
    release_buffer_set: ReleaseBufferSet,
    display_status: DisplayStatus,
    release_buffer: ReleaseBuffer,
    inquire_context: InquireContext,
    display_name: DisplayName,
    release_name: ReleaseHandle,
    release_cred: ReleaseHandle,
    delete_sec_context: DeleteSecContext,
    acquire_cred_with_password: Option<AcquireCredWithPassword>,
    acquire_cred_from: Option<AcquireCredFrom>,
    /// Optional so that SMB, which never wraps, works with a library that lacks them.
    wrap: Option<Wrap>,
    unwrap: Option<Unwrap>,
}

impl Gssapi {
    /// The library, loaded once per process; the error of a failed load is kept and repeated.
    fn get() -> Result<&'static Gssapi, KerberosError> {
        static LOADED: OnceLock<Result<Gssapi, String>> = OnceLock::new();
        LOADED
            .get_or_init(|| Gssapi::load(LIBRARY))
            .as_ref()
            .map_err(|why| KerberosError::Unavailable(why.clone()))
    }

    /// Opens `soname` (always [`LIBRARY`] but in tests) and finds the functions.
    #[allow(unsafe_code)]
    fn load(soname: &str) -> Result<Gssapi, String> {
        // SAFETY: loading MIT's GSS-API library runs its initialisers, which only set up
        // the library's own state (error tables, mutexes); it is a system library meant to
        // be loaded into any process.
        let library = unsafe { libloading::Library::new(soname) }
            .map_err(|error| format!("cannot load {soname}: {error}"))?;
        macro_rules! symbol {
            ($name:literal, $type:ty) => {
                // SAFETY: `$type` is the function's signature in MIT's gssapi.h (or
                // gssapi_ext.h); the pointer is copied out and used only while `library`,
                // kept in the returned value for the life of the process, stays loaded.
                unsafe { library.get::<$type>($name) }.map(|symbol| *symbol)
            };
        }
        let required =
            |name: &str, error: libloading::Error| format!("{soname} has no {name}: {error}");
        Ok(Gssapi {
            import_name: symbol!("gss_import_name", ImportName)
                .map_err(|e| required("gss_import_name", e))?,
            init_sec_context: symbol!("gss_init_sec_context", InitSecContext)
                .map_err(|e| required("gss_init_sec_context", e))?,
            inquire_sec_context_by_oid: symbol!(
                "gss_inquire_sec_context_by_oid",
                InquireSecContextByOid
            )
            .map_err(|e| required("gss_inquire_sec_context_by_oid", e))?,
            release_buffer_set: symbol!("gss_release_buffer_set", ReleaseBufferSet)
                .map_err(|e| required("gss_release_buffer_set", e))?,
            display_status: symbol!("gss_display_status", DisplayStatus)
                .map_err(|e| required("gss_display_status", e))?,
            release_buffer: symbol!("gss_release_buffer", ReleaseBuffer)
                .map_err(|e| required("gss_release_buffer", e))?,
            inquire_context: symbol!("gss_inquire_context", InquireContext)
                .map_err(|e| required("gss_inquire_context", e))?,
            display_name: symbol!("gss_display_name", DisplayName)
                .map_err(|e| required("gss_display_name", e))?,
            release_name: symbol!("gss_release_name", ReleaseHandle)
                .map_err(|e| required("gss_release_name", e))?,
            release_cred: symbol!("gss_release_cred", ReleaseHandle)
                .map_err(|e| required("gss_release_cred", e))?,
            delete_sec_context: symbol!("gss_delete_sec_context", DeleteSecContext)
                .map_err(|e| required("gss_delete_sec_context", e))?,
            acquire_cred_with_password: symbol!(
                "gss_acquire_cred_with_password",
                AcquireCredWithPassword
            )
            .ok(),
            acquire_cred_from: symbol!("gss_acquire_cred_from", AcquireCredFrom).ok(),
            wrap: symbol!("gss_wrap", Wrap).ok(),
            unwrap: symbol!("gss_unwrap", Unwrap).ok(),
            _library: library,
        })
    }

    /// The library's text for a major and minor status (of the Kerberos mechanism).
    #[allow(unsafe_code)]
    fn message(&self, major: u32, minor: u32) -> String {
        let mut parts = Vec::new();
        let mech = oid(KERBEROS_OID);
        for (code, kind) in [(major, GSS_CODE), (minor, MECH_CODE)] {
            if code == 0 {
                continue;
            }
            let mut context: OmUint32 = 0;
            // gss_display_status hands out one message per call; a bound keeps a library
            // that never resets the context from looping.
            for _ in 0..8 {
                let mut ignored: OmUint32 = 0;
                let mut text = empty_buffer();
                // SAFETY: every pointer is to a live local; `mech` outlives the call; the
                // library fills `text`, which is released below.
                let status = unsafe {
                    (self.display_status)(
                        &raw mut ignored,
                        code,
                        kind,
                        &raw const mech,
                        &raw mut context,
                        &raw mut text,
                    )
                };
                if is_error(status) {
                    break;
                }
                // SAFETY: on success `text` holds `length` bytes at `value` (or nothing).
                let bytes = unsafe { buffer_bytes(&text) };
                parts.push(String::from_utf8_lossy(&bytes).into_owned());
                // SAFETY: `text` was allocated by the library and is released once.
                unsafe { (self.release_buffer)(&raw mut ignored, &raw mut text) };
                if context == 0 {
                    break;
                }
            }
        }
        if parts.is_empty() {
            format!("major status {major:#x}, minor status {minor:#x}")
        } else {
            parts.join(": ")
        }
    }

    /// The error for a failed `call`: no credentials where the routine error says so and the
    /// krb5 error says nothing more precise (an unreachable KDC also leaves no credentials).
    fn error(&self, call: &'static str, major: u32, minor: u32) -> KerberosError {
        let message = self.message(major, minor);
        let precise = KerberosFailure::of_minor(minor)
            .is_some_and(|failure| failure != KerberosFailure::NoTickets);
        match major & 0x00ff_0000 {
            NO_CRED | CREDENTIALS_EXPIRED if !precise => KerberosError::NoCredentials(message),
            _ => KerberosError::Gss {
                call,
                major,
                minor,
                message,
            },
        }
    }

    /// Imports `name` as a name of type `name_type`.
    #[allow(unsafe_code)]
    fn import_name(
        &self,
        name: &str,
        name_type: &'static [u8],
        what: &'static str,
    ) -> Result<Handle, KerberosError> {
        if name.as_bytes().contains(&0) {
            return Err(KerberosError::Nul(what));
        }
        let buffer = input_buffer(name.as_bytes());
        let name_type = oid(name_type);
        let mut minor: OmUint32 = 0;
        let mut output: Handle = ptr::null_mut();
        // SAFETY: `buffer` borrows `name`, `name_type` a static OID, both alive through the
        // call, which only reads them and writes the new name to `output`.
        let major = unsafe {
            (self.import_name)(
                &raw mut minor,
                &raw const buffer,
                &raw const name_type,
                &raw mut output,
            )
        };
        if is_error(major) {
            return Err(self.error("gss_import_name", major, minor));
        }
        Ok(output)
    }

    /// Initiator credentials of the default name from the credential store element `key` =
    /// `value` (gss_acquire_cred_from: `ccache`, `client_keytab`); `what` names the value in
    /// errors.
    #[allow(unsafe_code)]
    fn acquire_from(
        &self,
        key: &'static std::ffi::CStr,
        value: &str,
        what: &'static str,
    ) -> Result<Handle, KerberosError> {
        let acquire = self.acquire_cred_from.ok_or_else(|| {
            KerberosError::Unavailable(format!(
                "{LIBRARY} has no gss_acquire_cred_from to use the {what} {value}"
            ))
        })?;
        let value = CString::new(value).map_err(|_| KerberosError::Nul(what))?;
        let mut mech = oid(KERBEROS_OID);
        let mechs = OidSetDesc {
            count: 1,
            elements: &raw mut mech,
        };
        let element = KeyValueElement {
            key: key.as_ptr(),
            value: value.as_ptr(),
        };
        let store = KeyValueSet {
            count: 1,
            elements: &raw const element,
        };
        let mut minor: OmUint32 = 0;
        let mut credential: Handle = ptr::null_mut();
        // SAFETY: `mechs`, `store` and what they point to (`mech`, `element`, `value`, a
        // static string) are alive through the call, which reads them and writes the new
        // credential to `credential`; no actual mechanisms or time are asked for (null).
        let major = unsafe {
            acquire(
                &raw mut minor,
                ptr::null_mut(),
                0,
                &raw const mechs,
                INITIATE,
                &raw const store,
                &raw mut credential,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if is_error(major) {
            return Err(self.error("gss_acquire_cred_from", major, minor));
        }
        Ok(credential)
    }

    /// Initiator credentials from `source`; null (GSS_C_NO_CREDENTIAL) for the default.
    #[allow(unsafe_code)]
    fn acquire(&self, source: &KerberosCredentials) -> Result<Handle, KerberosError> {
        let mut mech = oid(KERBEROS_OID);
        let mechs = OidSetDesc {
            count: 1,
            elements: &raw mut mech,
        };
        let mut minor: OmUint32 = 0;
        let mut credential: Handle = ptr::null_mut();
        match source {
            KerberosCredentials::Default => Ok(ptr::null_mut()),
            KerberosCredentials::Ccache(ccache) => {
                self.acquire_from(c"ccache", ccache, "credential cache name")
            }
            KerberosCredentials::Keytab(keytab) => {
                self.acquire_from(c"client_keytab", keytab, "keytab name")
            }
            KerberosCredentials::Password {
                principal,
                password,
            } => {
                let acquire = self.acquire_cred_with_password.ok_or_else(|| {
                    KerberosError::Unavailable(format!(
                        "{LIBRARY} has no gss_acquire_cred_with_password"
                    ))
                })?;
                let name = self.import_name(principal, NT_KRB5_PRINCIPAL, "principal")?;
                let name = Name { api: self, name };
                let secret = Zeroizing::new(password.as_str().as_bytes().to_vec());
                let buffer = input_buffer(&secret);
                // SAFETY: `name.name` is a live name of this library, `buffer` borrows
                // `secret` and `mechs` points to `mech`, all alive through the call, which
                // reads them and writes the new credential to `credential`.
                let major = unsafe {
                    acquire(
                        &raw mut minor,
                        name.name,
                        &raw const buffer,
                        0,
                        &raw const mechs,
                        INITIATE,
                        &raw mut credential,
                        ptr::null_mut(),
                        ptr::null_mut(),
                    )
                };
                if is_error(major) {
                    return Err(self.error("gss_acquire_cred_with_password", major, minor));
                }
                Ok(credential)
            }
        }
    }
}

/// Copies the bytes of a buffer the library filled.
///
/// # Safety
///
/// `buffer.value` points to `buffer.length` readable bytes, or `length` is 0.
#[allow(unsafe_code)]
unsafe fn buffer_bytes(buffer: &BufferDesc) -> Zeroizing<Vec<u8>> {
    if buffer.length == 0 || buffer.value.is_null() {
        return Zeroizing::new(Vec::new());
    }
    // SAFETY: the caller's promise.
    Zeroizing::new(
        unsafe { std::slice::from_raw_parts(buffer.value.cast::<u8>(), buffer.length) }.to_vec(),
    )
}

/// A name, released when dropped.
struct Name<'a> {
    api: &'a Gssapi,
    name: Handle,
}

impl Drop for Name<'_> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        if !self.name.is_null() {
            let mut minor: OmUint32 = 0;
            // SAFETY: a name the library made, released once.
            unsafe { (self.api.release_name)(&raw mut minor, &raw mut self.name) };
        }
    }
}

/// The initiator side of one Kerberos security context with a service.
pub struct InitiatorContext {
    api: &'static Gssapi,
    target: Handle,
    credential: Handle,
    context: Handle,
    complete: bool,
}

// SAFETY: the handles belong to this value alone and are used through `&mut self` (or dropped)
// on one thread at a time; MIT's GSS-API lets a context move between threads as long as it is
// not used from two at once.
#[allow(unsafe_code)]
unsafe impl Send for InitiatorContext {}

impl std::fmt::Debug for InitiatorContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitiatorContext")
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

impl InitiatorContext {
    /// A context for the service `service@host` (for SMB, `cifs@<the server's DNS name>`), a
    /// host-based name the library makes canonical as krb5.conf says; or for the principal
    /// `service/host` (no `@`), taken as it is, in the default realm. Tickets come from
    /// `credentials`. Talks to nothing yet.
    pub fn new(service: &str, credentials: &KerberosCredentials) -> Result<Self, KerberosError> {
        let api = Gssapi::get()?;
        let target = if service.contains('@') {
            api.import_name(service, NT_HOSTBASED_SERVICE, "service name")?
        } else {
            api.import_name(service, NT_KRB5_PRINCIPAL, "service principal")?
        };
        let mut context = InitiatorContext {
            api,
            target,
            credential: ptr::null_mut(),
            context: ptr::null_mut(),
            complete: false,
        };
        context.credential = api.acquire(credentials)?;
        Ok(context)
    }

    /// Whether the context is established (the server's AP-REP verified).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// One step: `input` is empty for the first (which makes the AP-REQ, asking the KDC for
    /// a service ticket if the cache has none: this blocks on the network) and the server's
    /// token after it (the AP-REP, which completes the context). Returns the token to send,
    /// possibly empty.
    #[allow(unsafe_code)]
    pub fn step(&mut self, input: &[u8]) -> Result<Vec<u8>, KerberosError> {
        if self.complete {
            return Err(KerberosError::State(
                "the server sent a token after the context was complete",
            ));
        }
        let first = self.context.is_null();
        if !first && input.is_empty() {
            return Err(KerberosError::State(
                "the server's answer carried no token to complete mutual authentication",
            ));
        }
        let api = self.api;
        let mech = oid(KERBEROS_OID);
        let input_token = input_buffer(input);
        let mut output = empty_buffer();
        let mut minor: OmUint32 = 0;
        let mut flags: OmUint32 = 0;
        // SAFETY: the handles are this context's own (null before the first call, as the
        // interface requires); `mech` and `input_token` (borrowing `input`) outlive the call;
        // null channel bindings, actual mechanism and lifetime are allowed; `output` and
        // `flags` are locals the library fills.
        let major = unsafe {
            (api.init_sec_context)(
                &raw mut minor,
                self.credential,
                &raw mut self.context,
                self.target,
                &raw const mech,
                MUTUAL_FLAG | INTEG_FLAG | SEQUENCE_FLAG,
                0,
                ptr::null(),
                if first {
                    ptr::null()
                } else {
                    &raw const input_token
                },
                ptr::null_mut(),
                &raw mut output,
                &raw mut flags,
                ptr::null_mut(),
            )
        };
        // SAFETY: `output` is empty or holds the library's token of `length` bytes.
        let token = unsafe { buffer_bytes(&output) };
        if !output.value.is_null() {
            let mut ignored: OmUint32 = 0;
            // SAFETY: the library's buffer, released once.
            unsafe { (api.release_buffer)(&raw mut ignored, &raw mut output) };
        }
        if is_error(major) {
            return Err(api.error("gss_init_sec_context", major, minor));
        }
        if major & CONTINUE_NEEDED == 0 {
            if flags & MUTUAL_FLAG == 0 {
                return Err(KerberosError::MissingService("mutual authentication"));
            }
            if flags & INTEG_FLAG == 0 {
                return Err(KerberosError::MissingService("integrity"));
            }
            self.complete = true;
        }
        Ok(token.to_vec())
    }

    /// The principal the context authenticated as (`alice@CORP.EXAMPLE`: the client of the
    /// tickets used), once it is complete.
    #[allow(unsafe_code)]
    pub fn initiator_name(&self) -> Result<String, KerberosError> {
        if !self.complete {
            return Err(KerberosError::State(
                "the initiator's name was asked of an incomplete context",
            ));
        }
        let api = self.api;
        let mut minor: OmUint32 = 0;
        let mut source: Handle = ptr::null_mut();
        // SAFETY: `self.context` is a complete context of this library; only the source
        // name is asked for (every other output null, which the interface allows), written
        // to `source` and released below by `Name`.
        let major = unsafe {
            (api.inquire_context)(
                &raw mut minor,
                self.context,
                &raw mut source,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if is_error(major) {
            return Err(api.error("gss_inquire_context", major, minor));
        }
        let source = Name { api, name: source };
        let mut text = empty_buffer();
        // SAFETY: `source.name` is a live name of this library; the library fills `text`,
        // released below, and no name type is asked for (null).
        let major = unsafe {
            (api.display_name)(&raw mut minor, source.name, &raw mut text, ptr::null_mut())
        };
        if is_error(major) {
            return Err(api.error("gss_display_name", major, minor));
        }
        // SAFETY: on success `text` holds `length` bytes at `value` (or nothing).
        let bytes = unsafe { buffer_bytes(&text) };
        let mut ignored: OmUint32 = 0;
        // SAFETY: the library's buffer, released once.
        unsafe { (api.release_buffer)(&raw mut ignored, &raw mut text) };
        String::from_utf8(bytes.to_vec())
            .ok()
            .filter(|name| !name.is_empty())
            .ok_or(KerberosError::State(
                "the initiator's name is empty or not UTF-8",
            ))
    }

    /// The context's session key (GSS_C_INQ_SSPI_SESSION_KEY: the subkey of the AP-REP, else
    /// of the AP-REQ, else the ticket's), once the context is complete. Zeroed when dropped.
    #[allow(unsafe_code)]
    pub fn session_key(&self) -> Result<Zeroizing<Vec<u8>>, KerberosError> {
        if !self.complete {
            return Err(KerberosError::State(
                "the session key was asked of an incomplete context",
            ));
        }
        let api = self.api;
        let desired = oid(INQ_SSPI_SESSION_KEY);
        let mut minor: OmUint32 = 0;
        let mut set: *mut BufferSetDesc = ptr::null_mut();
        // SAFETY: `self.context` is a complete context of this library; `desired` outlives
        // the call, which writes a new buffer set to `set`.
        let major = unsafe {
            (api.inquire_sec_context_by_oid)(
                &raw mut minor,
                self.context,
                &raw const desired,
                &raw mut set,
            )
        };
        if is_error(major) {
            return Err(api.error("gss_inquire_sec_context_by_oid", major, minor));
        }
        if set.is_null() {
            return Err(KerberosError::State("the context has no session key"));
        }
        // SAFETY: on success `set` points to the library's buffer set, whose `elements`
        // holds `count` buffers; the first is the key.
        let key = unsafe {
            let set = &*set;
            if set.count == 0 || set.elements.is_null() {
                None
            } else {
                Some(buffer_bytes(&*set.elements))
            }
        };
        // SAFETY: the library's buffer set, released once.
        unsafe { (api.release_buffer_set)(&raw mut minor, &raw mut set) };
        key.filter(|key| !key.is_empty())
            .ok_or(KerberosError::State("the context has no session key"))
    }
}

/// A message unwrapped by [`InitiatorContext::unwrap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    /// The message.
    pub message: Zeroizing<Vec<u8>>,
    /// Whether it was sealed (encrypted), not only signed.
    pub confidential: bool,
}

impl InitiatorContext {
    /// Wraps `message` for the peer (gss_wrap, default protection): signed, and sealed too
    /// when `confidential`. The context must be complete.
    #[allow(unsafe_code)]
    pub fn wrap(&mut self, message: &[u8], confidential: bool) -> Result<Vec<u8>, KerberosError> {
        if !self.complete {
            return Err(KerberosError::State(
                "wrap was asked of an incomplete context",
            ));
        }
        let api = self.api;
        let wrap = api
            .wrap
            .ok_or_else(|| KerberosError::Unavailable(format!("{LIBRARY} has no gss_wrap")))?;
        let input = input_buffer(message);
        let mut output = empty_buffer();
        let mut minor: OmUint32 = 0;
        let mut sealed: c_int = 0;
        // SAFETY: `self.context` is a complete context of this library; `input` borrows
        // `message`, alive through the call, which only reads it; `sealed` and `output` are
        // locals the library fills, `output` released below.
        let major = unsafe {
            wrap(
                &raw mut minor,
                self.context,
                c_int::from(confidential),
                0,
                &raw const input,
                &raw mut sealed,
                &raw mut output,
            )
        };
        // SAFETY: `output` is empty or holds the library's token of `length` bytes.
        let token = unsafe { buffer_bytes(&output) };
        if !output.value.is_null() {
            let mut ignored: OmUint32 = 0;
            // SAFETY: the library's buffer, released once.
            unsafe { (api.release_buffer)(&raw mut ignored, &raw mut output) };
        }
        if is_error(major) {
            return Err(api.error("gss_wrap", major, minor));
        }
        if confidential && sealed == 0 {
            return Err(KerberosError::MissingService("confidentiality"));
        }
        Ok(token.to_vec())
    }

    /// Unwraps the peer's `token` (gss_unwrap): verifies its signature (and sequence) and
    /// unseals it where it was sealed. The context must be complete.
    #[allow(unsafe_code)]
    pub fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped, KerberosError> {
        if !self.complete {
            return Err(KerberosError::State(
                "unwrap was asked of an incomplete context",
            ));
        }
        let api = self.api;
        let unwrap = api
            .unwrap
            .ok_or_else(|| KerberosError::Unavailable(format!("{LIBRARY} has no gss_unwrap")))?;
        let input = input_buffer(token);
        let mut output = empty_buffer();
        let mut minor: OmUint32 = 0;
        let mut sealed: c_int = 0;
        let mut qop: OmUint32 = 0;
        // SAFETY: `self.context` is a complete context of this library; `input` borrows
        // `token`, alive through the call, which only reads it; `output`, `sealed` and `qop`
        // are locals the library fills, `output` released below.
        let major = unsafe {
            unwrap(
                &raw mut minor,
                self.context,
                &raw const input,
                &raw mut output,
                &raw mut sealed,
                &raw mut qop,
            )
        };
        // SAFETY: `output` is empty or holds the library's message of `length` bytes.
        let message = unsafe { buffer_bytes(&output) };
        if !output.value.is_null() {
            let mut ignored: OmUint32 = 0;
            // SAFETY: the library's buffer, released once.
            unsafe { (api.release_buffer)(&raw mut ignored, &raw mut output) };
        }
        if is_error(major) {
            return Err(api.error("gss_unwrap", major, minor));
        }
        Ok(Unwrapped {
            message,
            confidential: sealed != 0,
        })
    }
}

impl Drop for InitiatorContext {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        let api = self.api;
        let mut minor: OmUint32 = 0;
        // SAFETY: each handle is this value's own, made by the library, released once here
        // (null ones are skipped); no output token is asked of the deletion.
        unsafe {
            if !self.context.is_null() {
                (api.delete_sec_context)(&raw mut minor, &raw mut self.context, ptr::null_mut());
            }
            if !self.credential.is_null() {
                (api.release_cred)(&raw mut minor, &raw mut self.credential);
            }
            if !self.target.is_null() {
                (api.release_name)(&raw mut minor, &raw mut self.target);
            }
        }
    }
}

/// The SMB session key from a GSS session key (MS-SMB2 §3.2.5.3.1): its first 16 bytes,
/// right-padded with zeros when it is shorter.
pub fn smb_session_key(gss_key: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut key = Zeroizing::new([0u8; 16]);
    let len = gss_key.len().min(16);
    key[..len].copy_from_slice(&gss_key[..len]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smb_session_key_truncates_and_pads() {
        let long: Vec<u8> = (0..32).collect();
        assert_eq!(
            *smb_session_key(&long),
            <[u8; 16]>::try_from(&long[..16]).unwrap()
        );
        let short = [7u8; 8];
        let mut padded = [0u8; 16];
        padded[..8].copy_from_slice(&short);
        assert_eq!(*smb_session_key(&short), padded);
    }

    #[test]
    fn krb5_errors_are_read_as_what_to_fix() {
        let failure = |index: u32| KerberosFailure::of_minor(KRB5_ERROR_BASE + index);
        // Indices in krb5_err.et (MIT krb5 1.20's error_message gives the text beside each).
        for (index, expected) in [
            (6, KerberosFailure::UnknownClient), // Client not found in Kerberos database
            (7, KerberosFailure::UnknownService), // Server not found in Kerberos database
            (18, KerberosFailure::AccountRevoked), // Client's credentials have been revoked
            (23, KerberosFailure::PasswordExpired), // Password has expired
            (24, KerberosFailure::WrongPassword), // Preauthentication failed
            (31, KerberosFailure::WrongPassword), // Decrypt integrity check failed
            (32, KerberosFailure::NoTickets),    // Ticket expired
            (37, KerberosFailure::ClockSkew),    // Clock skew too great
            (141, KerberosFailure::NoTickets),   // Matching credential not found
            (142, KerberosFailure::NoTickets),   // End of credential cache reached
            (143, KerberosFailure::NoTickets),   // Request did not supply a ticket
            (148, KerberosFailure::ClockSkew),   // Clock skew too great in KDC reply
            (154, KerberosFailure::UnknownRealm), // Cannot find KDC for requested realm
            (156, KerberosFailure::KdcUnreachable), // Cannot contact any KDC for requested realm
            (195, KerberosFailure::NoTickets),   // No credentials cache found
            (217, KerberosFailure::UnknownRealm), // Cannot determine realm for host
            (220, KerberosFailure::KdcUnreachable), // Cannot resolve network address for KDC
            (224, KerberosFailure::UnknownRealm), // Configuration file does not specify default realm
        ] {
            assert_eq!(failure(index), Some(expected), "krb5 error {index}");
        }
        assert_eq!(failure(0), None);
        assert_eq!(failure(41), None); // Message stream modified
        assert_eq!(KerberosFailure::of_minor(0), None);
        assert_eq!(KerberosFailure::of_minor(2), None); // ENOENT from another table
        let gss = |minor| KerberosError::Gss {
            call: "gss_init_sec_context",
            major: 0x000d_0000,
            minor,
            message: String::new(),
        };
        assert_eq!(
            gss(KRB5_ERROR_BASE + 37).failure(),
            Some(KerberosFailure::ClockSkew)
        );
        assert_eq!(
            KerberosError::NoCredentials(String::new()).failure(),
            Some(KerberosFailure::NoTickets)
        );
        assert_eq!(KerberosError::Nul("principal").failure(), None);
    }

    #[test]
    fn a_missing_library_is_a_message_not_a_panic() {
        let Err(why) = Gssapi::load("libwnet-no-such-gssapi.so.9") else {
            panic!("a library that does not exist loaded");
        };
        assert!(
            why.starts_with("cannot load libwnet-no-such-gssapi.so.9"),
            "{why}"
        );
        assert_eq!(
            KerberosError::Unavailable(why.clone()).to_string(),
            format!("Kerberos unavailable: {why}")
        );
    }

    #[test]
    fn a_nul_in_a_name_is_refused_without_the_library_call() {
        // Only where the library loads: elsewhere the error is Unavailable, also typed.
        match InitiatorContext::new("cifs@host\0evil", &KerberosCredentials::Default) {
            Err(KerberosError::Nul("service name")) => {}
            Err(KerberosError::Unavailable(_)) if Gssapi::get().is_err() => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrapping_needs_a_complete_context() {
        let Ok(mut context) =
            InitiatorContext::new("ldap@nowhere.invalid", &KerberosCredentials::Default)
        else {
            return;
        };
        assert!(matches!(
            context.wrap(b"x", false),
            Err(KerberosError::State(_))
        ));
        assert!(matches!(context.unwrap(b"x"), Err(KerberosError::State(_))));
    }

    #[test]
    fn an_empty_cache_is_a_typed_no_credentials_error() {
        let dir = std::env::temp_dir().join(format!("wnet-gss-empty-{}", std::process::id()));
        let ccache = KerberosCredentials::Ccache(format!("FILE:{}", dir.join("none").display()));
        let result = InitiatorContext::new("cifs@nowhere.invalid", &ccache)
            .and_then(|mut context| context.step(&[]));
        match result {
            Err(KerberosError::NoCredentials(message)) => {
                assert!(message.contains("credentials"), "{message}");
            }
            Err(KerberosError::Unavailable(_)) if Gssapi::get().is_err() => {}
            other => panic!("{other:?}"),
        }
    }
}
