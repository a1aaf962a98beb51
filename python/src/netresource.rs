//! `win32wnet.NETRESOURCE` (pywin32's `PyNETRESOURCE`): winnetwk.h's `NETRESOURCE` with its
//! four DWORDs read as signed 32-bit ints and its four strings as `str` or `None`.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use wnet::NetResource;

use crate::convert::{c_long, wide_string};

/// A network resource (`NETRESOURCE`).
#[pyclass(name = "PyNETRESOURCE")]
#[derive(Debug, Clone, Default)]
pub(crate) struct PyNetResource {
    scope: i32,
    resource_type: i32,
    display_type: i32,
    usage: i32,
    local_name: Option<String>,
    remote_name: Option<String>,
    comment: Option<String>,
    provider: Option<String>,
}

fn no_delete() -> PyErr {
    PyAttributeError::new_err("can't delete NETRESOURCE attributes")
}

fn int_field(value: &Bound<'_, PyAny>) -> PyResult<i32> {
    c_long(value)
}

fn string_field(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    wide_string(value, true)
}

#[allow(non_snake_case)] // pywin32's attribute names
#[pymethods]
impl PyNetResource {
    #[new]
    fn py_new() -> PyNetResource {
        PyNetResource::default()
    }

    /// pywin32's default repr (the type has no module).
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        format!("<PyNETRESOURCE object at {:#x}>", slf.as_ptr() as usize)
    }

    // pywin32's own setattro refuses every deletion with its message; assignments go to the
    // attributes' setters as usual (a setattro slot has both halves, so both are defined).
    fn __setattr__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        match name {
            "dwScope" => self.set_dwScope(value),
            "dwType" => self.set_dwType(value),
            "dwDisplayType" => self.set_dwDisplayType(value),
            "dwUsage" => self.set_dwUsage(value),
            "lpLocalName" => self.set_lpLocalName(value),
            "lpRemoteName" => self.set_lpRemoteName(value),
            "lpComment" => self.set_lpComment(value),
            "lpProvider" => self.set_lpProvider(value),
            other => Err(crate::convert::no_such_attribute("PyNETRESOURCE", other)),
        }
    }

    fn __delattr__(_slf: &Bound<'_, Self>, _name: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(no_delete())
    }

    #[getter]
    fn dwScope(&self) -> i32 {
        self.scope
    }
    #[setter]
    fn set_dwScope(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.scope = int_field(value)?;
        Ok(())
    }
    #[getter]
    fn dwType(&self) -> i32 {
        self.resource_type
    }
    #[setter]
    fn set_dwType(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.resource_type = int_field(value)?;
        Ok(())
    }
    #[getter]
    fn dwDisplayType(&self) -> i32 {
        self.display_type
    }
    #[setter]
    fn set_dwDisplayType(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.display_type = int_field(value)?;
        Ok(())
    }
    #[getter]
    fn dwUsage(&self) -> i32 {
        self.usage
    }
    #[setter]
    fn set_dwUsage(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.usage = int_field(value)?;
        Ok(())
    }
    #[getter]
    fn lpLocalName(&self) -> Option<&str> {
        self.local_name.as_deref()
    }
    #[setter]
    fn set_lpLocalName(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.local_name = string_field(value)?;
        Ok(())
    }
    #[getter]
    fn lpRemoteName(&self) -> Option<&str> {
        self.remote_name.as_deref()
    }
    #[setter]
    fn set_lpRemoteName(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.remote_name = string_field(value)?;
        Ok(())
    }
    #[getter]
    fn lpComment(&self) -> Option<&str> {
        self.comment.as_deref()
    }
    #[setter]
    fn set_lpComment(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.comment = string_field(value)?;
        Ok(())
    }
    #[getter]
    fn lpProvider(&self) -> Option<&str> {
        self.provider.as_deref()
    }
    #[setter]
    fn set_lpProvider(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.provider = string_field(value)?;
        Ok(())
    }
}

impl PyNetResource {
    /// The Rust resource (the DWORDs as Windows holds them: unsigned).
    pub(crate) fn to_resource(&self) -> NetResource {
        NetResource {
            scope: self.scope.cast_unsigned(),
            resource_type: self.resource_type.cast_unsigned(),
            display_type: self.display_type.cast_unsigned(),
            usage: self.usage.cast_unsigned(),
            local_name: self.local_name.clone(),
            remote_name: self.remote_name.clone(),
            comment: self.comment.clone(),
            provider: self.provider.clone(),
        }
    }

    /// A new object holding its own copy of `resource`.
    pub(crate) fn from_resource(resource: NetResource) -> PyNetResource {
        let cut = |text: Option<String>| {
            text.map(|text| match text.split_once('\0') {
                Some((before, _)) => before.to_owned(),
                None => text,
            })
        };
        PyNetResource {
            scope: resource.scope.cast_signed(),
            resource_type: resource.resource_type.cast_signed(),
            display_type: resource.display_type.cast_signed(),
            usage: resource.usage.cast_signed(),
            local_name: cut(resource.local_name),
            remote_name: cut(resource.remote_name),
            comment: cut(resource.comment),
            provider: cut(resource.provider),
        }
    }
}

/// `PyWinObject_AsNETRESOURCE`: a NETRESOURCE, or `None` when `none_ok`.
pub(crate) fn as_resource(
    value: &Bound<'_, PyAny>,
    none_ok: bool,
) -> PyResult<Option<NetResource>> {
    if none_ok && value.is_none() {
        return Ok(None);
    }
    match value.cast::<PyNetResource>() {
        Ok(resource) => Ok(Some(resource.borrow().to_resource())),
        Err(_) => Err(PyTypeError::new_err(
            "The object is not a PyNETRESOURCE object",
        )),
    }
}
