//! The native side of the path support (`wnet._paths`): the local path a UNC or drive-letter
//! path stands for (`wnet::api::local_path_for`), and `OSError`s carrying Windows' code in
//! `winerror` beside the errno, as a file call on Windows raises them.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
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
