//! `pywintypes.error`, and turning a [`WinError`] into it.
//!
//! pywin32 creates the class by running Python source in a namespace named `pywintypes`, so
//! that `error.__module__ == "pywintypes"`; this does the same, once per process.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use wnet::WinError;

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
/// it. The NTSTATUS behind the error, when an SMB server gave one, is kept as `ntstatus`
/// (an addition: pywin32's errors have no such attribute).
pub(crate) fn win_error(py: Python<'_>, error: &WinError, funcname: &str) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = error_class(py)?;
        let instance = class.call1((error.code.cast_signed(), funcname, error.message()))?;
        instance.setattr("ntstatus", error.ntstatus())?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|failure| failure)
}

/// `error(code, funcname, text)` for a code with no [`WinError`] behind it.
pub(crate) fn code_error(py: Python<'_>, code: u32, funcname: &str) -> PyErr {
    win_error(py, &WinError::new(code), funcname)
}
