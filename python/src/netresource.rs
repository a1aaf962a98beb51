//! `win32wnet.NETRESOURCE` (pywin32's `PyNETRESOURCE`): winnetwk.h's `NETRESOURCE` with its
//! four DWORDs read as signed 32-bit ints and its four strings as `str` or `None`.

use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};
use wnet::NetResource;

use crate::convert::{Unrepresentable, c_long, local_path_text, str_text, up_to_nul, wide_text};
use crate::slots::{Member, SlottedType, new_base_object};

/// The attributes, in slot order: four signed 32-bit ints, then four strings (or `None`),
/// each with the kind pywin32's member table gives it.
const SLOTS: [(&str, Member); 8] = [
    ("dwScope", Member::Number),
    ("dwType", Member::Number),
    ("dwDisplayType", Member::Number),
    ("dwUsage", Member::Number),
    ("lpLocalName", Member::String),
    ("lpRemoteName", Member::String),
    ("lpComment", Member::String),
    ("lpProvider", Member::String),
];
/// The first of the string slots.
const FIRST_STRING: usize = 4;

/// The public type, made at module init.
static NETRESOURCE: PyOnceLock<SlottedType> = PyOnceLock::new();

// The base of `win32wnet.NETRESOURCE`, which keeps its values in slots (see `slots`); the doc
// comment is the type's docstring.
/// A network resource (`NETRESOURCE`).
#[pyclass(name = "PyNETRESOURCE", module = "wnet._native", subclass, frozen)]
pub(crate) struct NetResourceBase;

/// Makes `win32wnet.NETRESOURCE` (once).
pub(crate) fn netresource_type(py: Python<'_>) -> PyResult<&SlottedType> {
    NETRESOURCE.get_or_try_init(py, || {
        let new = wrap_pyfunction!(new_netresource, py)?;
        SlottedType::build(
            py,
            &py.get_type::<NetResourceBase>(),
            "PyNETRESOURCE",
            &SLOTS,
            new.as_any(),
        )
    })
}

fn the_type(py: Python<'_>) -> PyResult<&SlottedType> {
    NETRESOURCE
        .get(py)
        .ok_or_else(|| PySystemError::new_err("win32wnet.NETRESOURCE is not made yet"))
}

/// `NETRESOURCE()`: all zeros, the strings `None`.
#[pyfunction]
#[pyo3(signature = (cls, *args, **kwargs))]
fn new_netresource<'py>(
    cls: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let object = new_base_object::<NetResourceBase>("NETRESOURCE", cls, args, kwargs)?;
    let class = the_type(py)?;
    for slot in 0..FIRST_STRING {
        class.store(&object, slot, 0)?;
    }
    for slot in FIRST_STRING..SLOTS.len() {
        class.store(&object, slot, py.None())?;
    }
    Ok(object)
}

#[pymethods]
impl NetResourceBase {
    #[new]
    fn py_new() -> NetResourceBase {
        NetResourceBase
    }

    /// pywin32's default repr (the type has no module).
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        format!("<PyNETRESOURCE object at {:#x}>", slf.as_ptr() as usize)
    }

    /// Checks and converts `value` by pywin32's rules, then stores it in its slot.
    fn __setattr__(slf: &Bound<'_, Self>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let class = the_type(py)?;
        match SLOTS.iter().position(|(slot, _)| *slot == name) {
            Some(slot) if slot < FIRST_STRING => class.store(slf.as_any(), slot, c_long(value)?),
            // The `str` itself (lone surrogates and all), as pywin32 keeps its UTF-16.
            Some(slot) => class.store(slf.as_any(), slot, wide_text(value, true)?),
            None => Err(crate::convert::no_such_attribute("PyNETRESOURCE", name)),
        }
    }

    /// pywin32 refuses every deletion, of the integers too.
    fn __delattr__(_slf: &Bound<'_, Self>, _name: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(pyo3::exceptions::PyAttributeError::new_err(
            "can't delete NETRESOURCE attributes",
        ))
    }

    /// pywin32's objects cannot be pickled or copied.
    fn __reduce_ex__(_slf: &Bound<'_, Self>, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle 'PyNETRESOURCE' object"))
    }
}

/// The Rust resource of a `NETRESOURCE` (the DWORDs as Windows holds them: unsigned).
fn to_resource(object: &Bound<'_, PyAny>) -> PyResult<NetResource> {
    let int = |slot: usize| -> PyResult<u32> {
        Ok(object
            .getattr(SLOTS[slot].0)?
            .extract::<i32>()?
            .cast_unsigned())
    };
    let string = |slot: usize, unrepresentable: Unrepresentable| -> PyResult<Option<String>> {
        object
            .getattr(SLOTS[slot].0)?
            .cast_into::<PyString>()
            .ok()
            .map(|text| str_text(&text, unrepresentable))
            .transpose()
    };
    Ok(NetResource {
        scope: int(0)?,
        resource_type: int(1)?,
        display_type: int(2)?,
        usage: int(3)?,
        // A local name keeps the bytes of its directory (see `local_name_string`).
        local_name: string(4, Unrepresentable::LocalPath)?,
        remote_name: string(5, Unrepresentable::Replaced)?,
        comment: string(6, Unrepresentable::Replaced)?,
        provider: string(7, Unrepresentable::Replaced)?,
    })
}

/// A new `NETRESOURCE` holding its own copy of `resource` (the DWORDs read as signed).
pub(crate) fn from_resource(py: Python<'_>, resource: NetResource) -> PyResult<Bound<'_, PyAny>> {
    let class = the_type(py)?;
    let object = class.unfilled_instance::<NetResourceBase>(py)?;
    let cut = |text: Option<String>| text.map(up_to_nul);
    class.store(&object, 0, resource.scope.cast_signed())?;
    class.store(&object, 1, resource.resource_type.cast_signed())?;
    class.store(&object, 2, resource.display_type.cast_signed())?;
    class.store(&object, 3, resource.usage.cast_signed())?;
    let local_name = cut(resource.local_name)
        .map(|name| local_path_text(py, &name))
        .transpose()?;
    class.store(&object, 4, local_name)?;
    class.store(&object, 5, cut(resource.remote_name))?;
    class.store(&object, 6, cut(resource.comment))?;
    class.store(&object, 7, cut(resource.provider))?;
    Ok(object)
}

/// `PyWinObject_AsNETRESOURCE`: a NETRESOURCE, or `None` when `none_ok`.
pub(crate) fn as_resource(
    value: &Bound<'_, PyAny>,
    none_ok: bool,
) -> PyResult<Option<NetResource>> {
    if none_ok && value.is_none() {
        return Ok(None);
    }
    exact_resource(value)?
        .map(Some)
        .ok_or_else(|| PyTypeError::new_err("The object is not a PyNETRESOURCE object"))
}

/// The resource of `value` if it is a `NETRESOURCE` (exactly), else `None`.
pub(crate) fn exact_resource(value: &Bound<'_, PyAny>) -> PyResult<Option<NetResource>> {
    if the_type(value.py())?.is_instance(value) {
        to_resource(value).map(Some)
    } else {
        Ok(None)
    }
}
