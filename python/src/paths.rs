//! The native side of the path support (`wnet._paths`): the local path a UNC or drive-letter
//! path stands for (`wnet::api::local_path_for`), and `OSError`s carrying Windows' code in
//! `winerror` beside the errno, as a file call on Windows raises them.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use wnet::WinError;
use wnet::api;
use wnet::error::codes;

/// `OSError(errno, strerror, filename)` (the subclass for the errno, as Python picks it) with
/// `winerror` set.
fn os_error(
    py: Python<'_>,
    errno: i32,
    code: u32,
    text: &str,
    filename: &Bound<'_, PyAny>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let error = py
            .import("builtins")?
            .getattr("OSError")?
            .call1((errno, text, filename))?;
        error.setattr("winerror", code)?;
        Ok(PyErr::from_value(error))
    };
    build().unwrap_or_else(|failure| failure)
}

pub(crate) fn win_os_error(py: Python<'_>, error: &WinError, filename: &Bound<'_, PyAny>) -> PyErr {
    os_error(py, error.errno(), error.code, error.message(), filename)
}

/// The path as text: `str` or `bytes` (`os.fsdecode`'s bytes), else `None`.
fn path_text(path: &Bound<'_, PyAny>) -> Option<(String, bool)> {
    if let Ok(text) = path.cast::<PyString>() {
        let os: OsString = text.extract().ok()?;
        return Some((os.into_string().ok()?, false));
    }
    let bytes = path.cast::<PyBytes>().ok()?;
    let text = String::from_utf8(bytes.as_bytes().to_vec()).ok()?;
    Some((text, true))
}

/// `_local_path(path, filename)`: the local path that `path` (`str` or `bytes`) stands for,
/// of the same type; `OSError` with `winerror` (naming `filename`) when it names a share that
/// cannot be reached, a drive letter that is not redirected or a malformed network path.
/// Connects the share implicitly when it is not connected (with the GIL released).
#[pyfunction]
pub(crate) fn _local_path<'py>(
    py: Python<'py>,
    path: &Bound<'py, PyAny>,
    filename: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some((text, is_bytes)) = path_text(path) else {
        // Not UTF-8: no share has such a name.
        return Err(win_os_error(
            py,
            &WinError::new(codes::ERROR_INVALID_NAME),
            filename,
        ));
    };
    if !api::may_be_network_path(&text) {
        return Ok(path.clone());
    }
    let local = py
        .detach(|| api::local_path_for(&text))
        .map_err(|error| win_os_error(py, &error, filename))?;
    let bytes = local.into_os_string().into_vec();
    if is_bytes {
        Ok(PyBytes::new(py, &bytes).into_any())
    } else {
        Ok(OsString::from_vec(bytes).into_pyobject(py)?.into_any())
    }
}

/// `_is_network_path(path)`: whether the `str` or `bytes` `path` names a share's or a drive
/// letter's path (malformed ones included), by its spelling.
#[pyfunction]
pub(crate) fn _is_network_path(path: &Bound<'_, PyAny>) -> bool {
    path_text(path).is_some_and(|(text, _)| api::is_network_path(&text))
}

/// `_path_support()`: whether the path support is on (`WNET_PATHS` is not `0`).
#[pyfunction]
pub(crate) fn _path_support() -> bool {
    api::path_support_enabled()
}

/// `_winerror(errno)`: the Win32 code Windows gives a file call failing with `errno`.
#[pyfunction]
pub(crate) fn _winerror(errno: i32) -> u32 {
    api::code_for_errno(errno)
}

/// Keywords that name a path argument of the wrapped functions.
const PATH_KEYWORDS: [&str; 5] = ["path", "file", "src", "dst", "name"];

/// Whether `value` is a `str` that is a local path by its first two characters (the fast
/// test: [`api::may_begin_network_path`]). It reads the two characters in place: the stable
/// ABI of CPython 3.9 lends no UTF-8 view of a str, and a copy would cost every local call.
fn plainly_local(value: &Bound<'_, PyAny>) -> bool {
    let Ok(text) = value.cast_exact::<PyString>() else {
        return false;
    };
    match (character_at(text, 0), character_at(text, 1)) {
        (Some(first), Some(second)) => !api::may_begin_network_path(first, second),
        _ => true,
    }
}

/// The character at `index` of `text`; `None` past its end (or for a lone surrogate, which no
/// path prefix tested here contains).
#[allow(unsafe_code)]
fn character_at(text: &Bound<'_, PyString>, index: isize) -> Option<char> {
    // SAFETY: `text` is a live `str` (the bound reference holds it and the GIL is held), which
    // is all PyUnicode_ReadChar (stable ABI since 3.7) needs; it checks `index` against the
    // length itself, returning (Py_UCS4)-1 with an IndexError set when it is out of range.
    let code = unsafe { pyo3::ffi::PyUnicode_ReadChar(text.as_ptr(), index) };
    if code == u32::MAX {
        // The IndexError is expected here: take it so that it is not raised later.
        drop(PyErr::take(text.py()));
        return None;
    }
    char::from_u32(code)
}

/// A file function of `os` or `builtins` wrapped for network paths: a call whose path
/// arguments are `str`s that are plainly local goes straight to `original`; any other goes to
/// `slow` (`wnet._paths`' wrapper, which translates the paths). Being a native object it
/// costs a local call next to nothing, and like the builtin it stands for it does not bind
/// as a method when stored in a class.
#[pyclass(frozen, module = "wnet._native", name = "PathFunction")]
pub(crate) struct PathFunction {
    original: Py<PyAny>,
    slow: Py<PyAny>,
    /// How many leading positional arguments are paths (1 or 2).
    paths: usize,
}

#[pymethods]
impl PathFunction {
    #[new]
    fn new(original: Py<PyAny>, slow: Py<PyAny>, paths: usize) -> PathFunction {
        PathFunction {
            original,
            slow,
            paths,
        }
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let positional_local = args
            .iter()
            .take(self.paths)
            .all(|argument| plainly_local(&argument));
        let keywords_local = kwargs.is_none_or(|kwargs| {
            kwargs.is_empty()
                || PATH_KEYWORDS
                    .iter()
                    .all(|key| kwargs.contains(key).is_ok_and(|found| !found))
        });
        let target = if positional_local && keywords_local {
            &self.original
        } else {
            &self.slow
        };
        target.bind(py).call(args, kwargs)
    }

    /// The function wrapped.
    #[getter]
    fn __wrapped__(&self, py: Python<'_>) -> Py<PyAny> {
        self.original.clone_ref(py)
    }

    /// The wrapped function's other attributes (`__name__`, `__qualname__`, `__module__`…).
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        self.original.bind(py).getattr(name)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<wnet path function {}>",
            self.original.bind(py).repr()?
        ))
    }
}
