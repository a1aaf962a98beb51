//! `pywintypes.HANDLE` (`PyHANDLE`) as far as the WNet enumeration needs it: the handle that
//! `WNetOpenEnum` returns is a PyHANDLE whose `Close()` runs WNetCloseEnum, and which closes
//! itself when it is dropped.

use std::sync::atomic::{AtomicI64, Ordering};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple, PyType};

use crate::errors::win_error;
use crate::getargs::Positional;

/// What a handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandleKind {
    /// A plain handle (`pywintypes.HANDLE(n)`): closing it only forgets it.
    Plain,
    /// An enumeration of `WNetOpenEnum`: closing it runs WNetCloseEnum.
    NetEnum,
}

// pywin32's type can be subclassed (`Py_TPFLAGS_BASETYPE`) but not instantiated.
/// A Windows handle object.
#[pyclass(name = "PyHANDLE", frozen, subclass)]
#[derive(Debug)]
pub(crate) struct PyHandle {
    value: AtomicI64,
    kind: HandleKind,
}

impl PyHandle {
    /// A handle of `kind` with `value`.
    pub(crate) fn new(value: i64, kind: HandleKind) -> PyHandle {
        PyHandle {
            value: AtomicI64::new(value),
            kind,
        }
    }

    /// The handle's value now (0 once closed or detached).
    pub(crate) fn value(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }

    /// Closes the handle: sets it to 0 first, then (for an enumeration) runs WNetCloseEnum.
    pub(crate) fn close_handle(&self, py: Python<'_>) -> PyResult<()> {
        let value = self.value.swap(0, Ordering::SeqCst);
        if value == 0 || self.kind == HandleKind::Plain {
            return Ok(());
        }
        let Ok(handle) = u32::try_from(value) else {
            return Ok(());
        };
        wnet::api::close_enum(handle).map_err(|error| win_error(py, &error, "WNetCloseEnum"))
    }

    /// WNetCloseEnum of this handle: an enumeration closes (see [`PyHandle::close_handle`]);
    /// a plain handle closes the enumeration its value names, if one is open, and is forgotten
    /// either way. (pywin32 runs the plain handle's CloseHandle, which cannot end an
    /// enumeration; with no kernel handles here, the value is the enumeration's.)
    pub(crate) fn close_enumeration(&self, py: Python<'_>) -> PyResult<()> {
        if self.kind == HandleKind::NetEnum {
            return self.close_handle(py);
        }
        let value = self.value.swap(0, Ordering::SeqCst);
        if let Ok(handle) = u32::try_from(value)
            && handle != 0
        {
            // ERROR_INVALID_HANDLE: no enumeration has this value; the handle is only
            // forgotten, as closing a plain handle is.
            let _ = wnet::api::close_enum(handle);
        }
        Ok(())
    }
}

impl Drop for PyHandle {
    fn drop(&mut self) {
        // As pywin32's destructor: close, and swallow any error.
        if self.kind == HandleKind::NetEnum
            && let Ok(handle) = u32::try_from(*self.value.get_mut())
            && handle != 0
        {
            let _ = wnet::api::close_enum(handle);
        }
    }
}

fn bad_operand() -> PyErr {
    PyTypeError::new_err("bad operand type")
}

// pywin32's method names; the operators refuse every operand, whatever the handle.
#[allow(non_snake_case, clippy::unused_self)]
#[pymethods]
impl PyHandle {
    /// pywin32's type has no constructor (`pywintypes.HANDLE()` makes handles), nor have its
    /// subclasses.
    #[new]
    #[classmethod]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(
        cls: &Bound<'_, PyType>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyHandle> {
        Err(PyTypeError::new_err(format!(
            "cannot create '{}' instances",
            cls.name()?
        )))
    }

    /// The handle's value.
    #[getter]
    fn handle(&self) -> i64 {
        self.value()
    }

    /// Closes the handle (an enumeration runs WNetCloseEnum); closing it again does nothing.
    fn Close(&self, py: Python<'_>) -> PyResult<()> {
        self.close_handle(py)
    }

    /// Closes the handle (a synonym of `Close`).
    #[pyo3(name = "close")]
    fn close_synonym(&self, py: Python<'_>) -> PyResult<()> {
        self.close_handle(py)
    }

    /// Returns the value and forgets it without closing.
    fn Detach(&self) -> i64 {
        self.value.swap(0, Ordering::SeqCst)
    }

    fn __int__(&self) -> i64 {
        self.value()
    }

    fn __bool__(&self) -> bool {
        self.value() != 0
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        if let Ok(handle) = other.cast::<PyHandle>() {
            return Ok((handle.get().value() == self.value())
                .into_pyobject(py)?
                .to_owned()
                .into_any()
                .unbind());
        }
        if other.is_instance_of::<PyInt>() {
            let value: Option<i64> = other.extract().ok();
            return Ok((value == Some(self.value()))
                .into_pyobject(py)?
                .to_owned()
                .into_any()
                .unbind());
        }
        Ok(py.NotImplemented())
    }

    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        // By identity, as pywin32's PyHANDLE.
        slf.as_ptr() as isize
    }

    fn __repr__(&self) -> String {
        match self.kind {
            HandleKind::Plain => format!("<PyHANDLE:{}>", self.value()),
            HandleKind::NetEnum => format!("<PyNetEnumHANDLE:{}>", self.value()),
        }
    }

    fn __str__(&self) -> String {
        self.__repr__()
    }

    fn __add__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __radd__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __sub__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __rsub__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __mul__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __rmul__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __truediv__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __floordiv__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __mod__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __and__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __or__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __xor__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __lshift__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __rshift__(&self, _other: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __neg__(&self) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __pos__(&self) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __abs__(&self) -> PyResult<()> {
        Err(bad_operand())
    }
    fn __invert__(&self) -> PyResult<()> {
        Err(bad_operand())
    }
}

/// `PyWinObject_AsHANDLE`: the value of a handle argument. `None` is 0, a `PyHANDLE` (or a
/// subclass) its value, anything else what `int()` makes of it (`1.5`, `"5"`), read as a
/// pointer: from -2**63 to 2**64 - 1, the values from 2**63 up wrapping to negative ones.
pub(crate) fn handle_value(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    if value.is_none() {
        return Ok(0);
    }
    if let Ok(handle) = value.cast::<PyHandle>() {
        return Ok(handle.get().value());
    }
    let not_a_handle = || PyTypeError::new_err("The object is not a PyHANDLE object");
    let number = value
        .py()
        .get_type::<PyInt>()
        .call1((value,))
        .map_err(|_| not_a_handle())?;
    if let Ok(signed) = number.extract::<i64>() {
        return Ok(signed);
    }
    number
        .extract::<u64>()
        .map(u64::cast_signed)
        .map_err(|_| not_a_handle())
}

/// `"|O:HANDLE"`.
const HANDLE: Positional = Positional {
    name: "HANDLE",
    named: true,
    min: 0,
    max: 1,
};

/// `pywintypes.HANDLE(handle=0)`: a plain handle object.
#[pyfunction]
#[pyo3(
    name = "HANDLE",
    signature = (*args, **kwargs),
    text_signature = "(handle=None, /)"
)]
pub(crate) fn new_handle(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyHandle> {
    let args = HANDLE.parse(args, kwargs)?;
    let value = args.first().map_or(Ok(0), handle_value)?;
    Ok(PyHandle::new(value, HandleKind::Plain))
}

/// Gives the type pywin32's `tp_name`, `PyHANDLE` (a PyO3 class's is `builtins.PyHANDLE`,
/// which CPython's messages show: "'builtins.PyHANDLE' object cannot be interpreted as an
/// integer"). Setting `__name__` of a heap type sets its `tp_name`.
pub(crate) fn name_handle_type(py: Python<'_>) -> PyResult<()> {
    py.get_type::<PyHandle>().setattr("__name__", "PyHANDLE")
}
