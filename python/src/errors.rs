//! `pywintypes.error`, and turning a [`WinError`] into it (or, for the Pythonic API, into the
//! `wnet.Error` subclass for its code).
//!
//! pywin32 creates the class by running Python source in a namespace named `pywintypes`, so
//! that `error.__module__ == "pywintypes"`; this does the same, once per process.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use wnet::WinError;
use wnet::error::codes;

/// The class as pywin32 defines it: `winerror`, `funcname` and `strerror` from the arguments.
const ERROR_CLASS: &std::ffi::CStr = c"
class error(Exception):
    def __init__(self, *args, **kw):
        nargs = len(args)
        if nargs > 0:
            self.winerror = args[0]
        else:
            self.winerror = None
        if nargs > 1:
            self.funcname = args[1]
        else:
            self.funcname = None
        if nargs > 2:
            self.strerror = args[2]
        else:
            self.strerror = None
        Exception.__init__(self, *args, **kw)
";

static ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `pywintypes.error`.
pub(crate) fn error_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    ERROR
        .get_or_try_init(py, || {
            let namespace = PyDict::new(py);
            namespace.set_item("__name__", "pywintypes")?;
            namespace.set_item("__builtins__", py.import("builtins")?)?;
            py.run(ERROR_CLASS, Some(&namespace), None)?;
            let class = namespace
                .get_item("error")?
                .ok_or_else(|| pyo3::exceptions::PySystemError::new_err("no error class"))?;
            Ok::<_, PyErr>(class.cast_into::<PyType>()?.unbind())
        })
        .map(|class| class.bind(py))
}

/// `error(winerror, funcname, strerror)`, with the code as a signed C int as pywin32 builds
/// it. The NTSTATUS behind the error, when an SMB server gave one, is kept as `ntstatus`, and
/// any other cause in words as `detail` (additions: pywin32's errors have no such
/// attributes).
pub(crate) fn win_error(py: Python<'_>, error: &WinError, funcname: &str) -> PyErr {
    raise_as(error_class(py), error, funcname)
}

/// An instance of `class` (`pywintypes.error` or one of its subclasses) for `error`.
fn raise_as(class: PyResult<&Bound<'_, PyType>>, error: &WinError, funcname: &str) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let instance = class?.call1((error.code.cast_signed(), funcname, error.message()))?;
        instance.setattr("ntstatus", error.ntstatus())?;
        // What lay behind the error in words (what to fix, for a failed Kerberos logon);
        // an NTSTATUS has its own attribute.
        let detail = error
            .cause
            .as_ref()
            .filter(|_| error.ntstatus().is_none())
            .map(ToString::to_string);
        instance.setattr("detail", detail)?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|failure| failure)
}

/// The `wnet.Error` subclass (by name, in `wnet._errors`) for each code a caller acts on;
/// every other code raises `wnet.Error` itself.
const SUBCLASSES: [(u32, &str); 17] = [
    (codes::ERROR_ACCESS_DENIED, "AccessDenied"),
    (codes::ERROR_NOT_SUPPORTED, "NotSupported"),
    (codes::ERROR_BAD_NETPATH, "BadNetPath"),
    (codes::ERROR_BAD_NET_NAME, "BadNetName"),
    (codes::ERROR_INVALID_PASSWORD, "LogonFailure"),
    (codes::ERROR_SEM_TIMEOUT, "Timeout"),
    (
        codes::ERROR_SESSION_CREDENTIAL_CONFLICT,
        "CredentialConflict",
    ),
    (codes::ERROR_NO_NETWORK, "NoNetwork"),
    (codes::ERROR_LOGON_FAILURE, "LogonFailure"),
    // A logon Kerberos could not make, NTLM not being allowed (see `kerberos_error`).
    (codes::ERROR_NO_LOGON_SERVERS, "LogonFailure"),
    (codes::ERROR_NO_SUCH_LOGON_SESSION, "LogonFailure"),
    (codes::ERROR_PASSWORD_EXPIRED, "LogonFailure"),
    (codes::ERROR_NO_SUCH_DOMAIN, "LogonFailure"),
    (codes::ERROR_WRONG_TARGET_NAME, "LogonFailure"),
    (codes::ERROR_TIME_SKEW, "LogonFailure"),
    (codes::ERROR_NTLM_BLOCKED, "LogonFailure"),
    (codes::ERROR_NOT_CONNECTED, "NotConnected"),
];

/// The classes of `wnet._errors`, looked up once.
struct PythonicClasses {
    /// `wnet.Error`.
    error: Py<PyType>,
    /// `wnet.NameNotFound`: ERROR_BAD_NETPATH from a name lookup.
    name_not_found: Py<PyType>,
    /// [`SUBCLASSES`] with their classes.
    by_code: Vec<(u32, Py<PyType>)>,
}

static PYTHONIC: PyOnceLock<PythonicClasses> = PyOnceLock::new();

fn pythonic_classes(py: Python<'_>) -> PyResult<&PythonicClasses> {
    PYTHONIC.get_or_try_init(py, || {
        let module = py.import("wnet._errors")?;
        let class = |name: &str| -> PyResult<Py<PyType>> {
            Ok(module.getattr(name)?.cast_into::<PyType>()?.unbind())
        };
        Ok(PythonicClasses {
            error: class("Error")?,
            name_not_found: class("NameNotFound")?,
            by_code: SUBCLASSES
                .iter()
                .map(|&(code, name)| Ok((code, class(name)?)))
                .collect::<PyResult<_>>()?,
        })
    })
}

/// What a failure came from, where that chooses the `wnet.Error` subclass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failed {
    /// A NetBIOS name lookup: ERROR_BAD_NETPATH is `NameNotFound`.
    NameLookup,
    /// Anything else.
    Call,
}

/// The Pythonic API's exception for `error`: the `wnet.Error` subclass for its code (or
/// `wnet.Error`), which is a `pywintypes.error` too, with the same attributes.
pub(crate) fn wnet_error(
    py: Python<'_>,
    error: &WinError,
    funcname: &str,
    failed: Failed,
) -> PyErr {
    let class = pythonic_classes(py).map(|classes| {
        if failed == Failed::NameLookup && error.code == codes::ERROR_BAD_NETPATH {
            return classes.name_not_found.bind(py);
        }
        classes
            .by_code
            .iter()
            .find(|(code, _)| *code == error.code)
            .map_or(classes.error.bind(py), |(_, class)| class.bind(py))
    });
    raise_as(class, error, funcname)
}

/// `error(code, funcname, text)` for a code with no [`WinError`] behind it.
pub(crate) fn code_error(py: Python<'_>, code: u32, funcname: &str) -> PyErr {
    win_error(py, &WinError::new(code), funcname)
}
