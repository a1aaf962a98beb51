//! The `WNet*` functions of pywin32's `win32wnet`, over `wnet::api`: pywin32's argument
//! parsing, return shapes and error rules (`error(winerror, funcname, strerror)`), with the
//! GIL released around every call that may reach the agent or the network.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use wnet::NetResource;
use wnet::api;
use wnet::error::codes;
use zeroize::Zeroizing;

use crate::blocking::interruptible;
use crate::convert::{
    c_int, dword_mask, optional_password, optional_wide_string, type_name, wide_string,
};
use crate::errors::{code_error, win_error};
use crate::handle::{HandleKind, PyHandle};
use crate::netresource::{as_resource, exact_resource, from_resource};

/// The arguments of WNetAddConnection2/3 once parsed.
struct AddArguments {
    resource: NetResource,
    /// Zeroed when dropped.
    password: Option<Zeroizing<String>>,
    user: Option<String>,
    flags: u32,
}

/// pywin32's backwards-compatible form, `"iOO|OOOi"` from the positional arguments only:
/// `(dwType, lpLocalName, lpRemoteName[, lpProvider, UserName, Password, flags])`. `None` when
/// the arguments do not have that shape (the keyword form is tried next); an error when they
/// do but a value is wrong.
fn legacy_form(args: &Bound<'_, PyTuple>) -> PyResult<Option<AddArguments>> {
    if !(3..=7).contains(&args.len()) {
        return Ok(None);
    }
    let Ok(resource_type) = c_int(&args.get_item(0)?) else {
        return Ok(None);
    };
    let flags = match args.len() {
        7 => match c_int(&args.get_item(6)?) {
            Ok(flags) => flags.cast_unsigned(),
            Err(_) => return Ok(None),
        },
        _ => 0,
    };
    let item = |index: usize| -> PyResult<Option<Bound<'_, PyAny>>> {
        if index < args.len() {
            args.get_item(index).map(Some)
        } else {
            Ok(None)
        }
    };
    let local_name = wide_string(&args.get_item(1)?, true)?;
    let remote_name = wide_string(&args.get_item(2)?, false)?;
    let provider = optional_wide_string(item(3)?.as_ref())?;
    // This form takes the user name before the password.
    let user = optional_wide_string(item(4)?.as_ref())?;
    let password = optional_password(item(5)?.as_ref())?;
    Ok(Some(AddArguments {
        resource: NetResource {
            resource_type: resource_type.cast_unsigned(),
            local_name,
            remote_name,
            provider,
            ..NetResource::default()
        },
        password,
        user,
        flags,
    }))
}

/// Binds positional and keyword arguments to `names` as `PyArg_ParseTupleAndKeywords` does
/// (`required` leading names).
fn bind_arguments<'py>(
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    names: &[&str],
    required: usize,
) -> PyResult<Vec<Option<Bound<'py, PyAny>>>> {
    if args.len() > names.len() {
        return Err(PyTypeError::new_err(format!(
            "function takes at most {} arguments ({} given)",
            names.len(),
            args.len() + kwargs.map_or(0, PyDictMethods::len)
        )));
    }
    let mut bound: Vec<Option<Bound<'py, PyAny>>> = vec![None; names.len()];
    for (slot, value) in bound.iter_mut().zip(args.iter()) {
        *slot = Some(value);
    }
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs.iter() {
            let key: String = key.extract()?;
            let Some(position) = names.iter().position(|name| *name == key) else {
                return Err(PyTypeError::new_err(format!(
                    "'{key}' is an invalid keyword argument for this function"
                )));
            };
            if bound[position].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "argument for function given by name ('{key}') and position ({})",
                    position + 1
                )));
            }
            bound[position] = Some(value);
        }
    }
    for (position, name) in names.iter().enumerate().take(required) {
        if bound[position].is_none() {
            return Err(PyTypeError::new_err(format!(
                "function missing required argument '{name}' (pos {})",
                position + 1
            )));
        }
    }
    Ok(bound)
}

fn required_resource(value: Option<&Bound<'_, PyAny>>) -> PyResult<NetResource> {
    match value {
        Some(value) => as_resource(value, false)?
            .ok_or_else(|| PyTypeError::new_err("The object is not a PyNETRESOURCE object")),
        None => Err(PyTypeError::new_err(
            "The object is not a PyNETRESOURCE object",
        )),
    }
}

fn flags_argument(value: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    value.map_or(Ok(0), dword_mask)
}

/// The keyword form, `"O|OOk"`: `(NetResource, Password=None, UserName=None, Flags=0)`.
fn keyword_form(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<AddArguments> {
    let bound = bind_arguments(
        args,
        kwargs,
        &["NetResource", "Password", "UserName", "Flags"],
        1,
    )?;
    let flags = flags_argument(bound[3].as_ref())?;
    let resource = required_resource(bound[0].as_ref())?;
    Ok(AddArguments {
        resource,
        password: optional_password(bound[1].as_ref())?,
        user: optional_wide_string(bound[2].as_ref())?,
        flags,
    })
}

fn add_connection(py: Python<'_>, arguments: AddArguments, funcname: &str) -> PyResult<()> {
    let AddArguments {
        resource,
        password,
        user,
        flags,
    } = arguments;
    interruptible(py, move || {
        api::add_connection(
            &resource,
            password.as_deref().map(String::as_str),
            user.as_deref(),
            flags,
        )
    })?
    .map(|_| ())
    .map_err(|error| win_error(py, &error, funcname))
}

/// WNetAddConnection2(NetResource, Password, UserName, Flags)
#[pyfunction]
#[pyo3(name = "WNetAddConnection2", signature = (*args, **kwargs))]
pub(crate) fn add_connection2(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    // The positional form first; its keywords, if any, are ignored as pywin32 ignores them.
    let arguments = match legacy_form(args)? {
        Some(arguments) => arguments,
        None => keyword_form(args, kwargs)?,
    };
    add_connection(py, arguments, "WNetAddConnection2")
}

/// WNetAddConnection3(HwndParent, NetResource, Password, UserName, Flags)
#[pyfunction]
#[pyo3(name = "WNetAddConnection3", signature = (*args, **kwargs))]
pub(crate) fn add_connection3(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let bound = bind_arguments(
        args,
        kwargs,
        &["HwndOwner", "NetResource", "Password", "UserName", "Flags"],
        2,
    )?;
    let flags = flags_argument(bound[4].as_ref())?;
    // The owner window: None, an int or a PyHANDLE (there are no windows to own here).
    if let Some(owner) = &bound[0]
        && !(owner.is_none()
            || owner.is_instance_of::<pyo3::types::PyInt>()
            || owner.cast::<PyHandle>().is_ok())
    {
        return Err(PyTypeError::new_err("The object is not a PyHANDLE object"));
    }
    let resource = required_resource(bound[1].as_ref())?;
    let arguments = AddArguments {
        resource,
        password: optional_password(bound[2].as_ref())?,
        user: optional_wide_string(bound[3].as_ref())?,
        flags,
    };
    add_connection(py, arguments, "WNetAddConnection3")
}

/// localname,dwflags,bforce
#[pyfunction]
#[pyo3(name = "WNetCancelConnection2", signature = (name, flags, force, /))]
pub(crate) fn cancel_connection2(
    py: Python<'_>,
    name: &Bound<'_, PyAny>,
    flags: &Bound<'_, PyAny>,
    force: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let flags = dword_mask(flags)?;
    let force = dword_mask(force)? != 0;
    let name = wide_string(name, false)?.unwrap_or_default();
    interruptible(py, move || api::cancel_connection(&name, flags, force))?
        .map_err(|error| win_error(py, &error, "WNetCancelConnection2"))
}

/// dwScope,dwType,dwUsage,NETRESOURCE - returns PyHANDLE
#[pyfunction]
#[pyo3(name = "WNetOpenEnum", signature = (scope, resource_type, usage, resource, /))]
pub(crate) fn open_enum(
    py: Python<'_>,
    scope: &Bound<'_, PyAny>,
    resource_type: &Bound<'_, PyAny>,
    usage: &Bound<'_, PyAny>,
    resource: &Bound<'_, PyAny>,
) -> PyResult<PyHandle> {
    let scope = c_int(scope)?.cast_unsigned();
    let resource_type = c_int(resource_type)?.cast_unsigned();
    let usage = c_int(usage)?.cast_unsigned();
    let resource = as_resource(resource, true)?;
    let handle = interruptible(py, move || {
        api::open_enum(scope, resource_type, usage, resource.as_ref())
    })?
    .map_err(|error| win_error(py, &error, "WNetOpenEnum"))?;
    Ok(PyHandle::new(i64::from(handle), HandleKind::NetEnum))
}

/// PyHANDLE from WNetOpenEnum()
#[pyfunction]
#[pyo3(name = "WNetCloseEnum", signature = (handle, /))]
pub(crate) fn close_enum(handle: &Bound<'_, PyAny>) -> PyResult<()> {
    let handle = handle
        .cast::<PyHandle>()
        .map_err(|_| PyTypeError::new_err("Not a handle object"))?;
    handle.get().close_handle(handle.py())
}

/// Enum
#[pyfunction]
#[pyo3(name = "WNetEnumResource", signature = (handle, count = None, /))]
pub(crate) fn enum_resource<'py>(
    py: Python<'py>,
    handle: &Bound<'py, PyAny>,
    count: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let handle = handle.cast::<PyHandle>().map_err(|_| {
        PyTypeError::new_err(format!(
            "argument 1 must be PyHANDLE, not {}",
            type_name(handle)
        ))
    })?;
    let count = count.map_or(Ok(0), c_int)?;
    // 0 means 64; -1 (0xFFFFFFFF) as many as there are.
    let mut wanted = if count == 0 {
        64
    } else {
        count.cast_unsigned()
    };
    let result = PyList::empty(py);
    let handle = handle.get();
    let value = match (handle.kind(), u32::try_from(handle.value())) {
        (HandleKind::NetEnum, Ok(value)) if value != 0 => value,
        // Not an enumeration (or closed): Windows answers ERROR_INVALID_HANDLE, which ends
        // the loop before anything is gathered.
        _ => return Ok(result),
    };
    // API errors (ERROR_NO_MORE_ITEMS at the end among them) end the loop; what was gathered
    // is the answer.
    while wanted != 0 {
        let Ok(items) = py.detach(|| api::enum_resource(value, wanted)) else {
            break;
        };
        if items.is_empty() {
            // A provider that answers success with nothing would loop forever.
            break;
        }
        wanted = wanted.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX));
        for item in items {
            result.append(from_resource(py, item)?)?;
        }
    }
    Ok(result)
}

/// connectionName=None
#[pyfunction]
#[pyo3(name = "WNetGetUser", signature = (connection = None, /))]
pub(crate) fn get_user(py: Python<'_>, connection: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let connection = optional_wide_string(connection)?;
    interruptible(py, move || api::get_user(connection.as_deref()))?
        .map_err(|error| win_error(py, &error, "WNetGetUser"))
}

/// Retrieves the name of the network resource associated with a local device
#[pyfunction]
#[pyo3(name = "WNetGetConnection", signature = (connection = None, /))]
pub(crate) fn get_connection(
    py: Python<'_>,
    connection: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let Some(connection) = optional_wide_string(connection)? else {
        // Windows is given a NULL name: WN_BAD_POINTER.
        return Err(code_error(
            py,
            codes::ERROR_INVALID_ADDRESS,
            "WNetGetConnection",
        ));
    };
    interruptible(py, move || api::get_connection(&connection))?
        .map_err(|error| win_error(py, &error, "WNetGetConnection"))
}

/// localPath, infoLevel=UNIVERSAL_NAME_INFO_LEVEL
#[pyfunction]
#[pyo3(name = "WNetGetUniversalName", signature = (local_path, level = None, /))]
pub(crate) fn get_universal_name<'py>(
    py: Python<'py>,
    local_path: &Bound<'py, PyAny>,
    level: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let level = level.map_or(Ok(1), c_int)?;
    let path = wide_string(local_path, false)?.unwrap_or_default();
    // Windows fails the first (sizing) call for every error, hence pywin32's funcname.
    let name = interruptible(py, move || {
        api::get_universal_name(&path, level.cast_unsigned())
    })?
    .map_err(|error| win_error(py, &error, "WNetGetUniversalName (for buffer size)"))?;
    match level {
        1 => Ok(name.universal_name.into_pyobject(py)?.into_any()),
        2 => Ok((
            name.universal_name,
            name.connection_name,
            name.remaining_path,
        )
            .into_pyobject(py)?
            .into_any()),
        _ => Err(PyTypeError::new_err("Unsupported infoLevel")),
    }
}

/// Finds the type and provider of a network resource
#[pyfunction]
#[pyo3(name = "WNetGetResourceInformation", signature = (resource, /))]
pub(crate) fn get_resource_information<'py>(
    py: Python<'py>,
    resource: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Option<String>)> {
    let resource = exact_resource(resource)?.ok_or_else(|| {
        PyTypeError::new_err(format!(
            "argument 1 must be PyNETRESOURCE, not {}",
            type_name(resource)
        ))
    })?;
    let (found, system) = interruptible(py, move || api::get_resource_information(&resource))?
        .map_err(|error| win_error(py, &error, "WNetGetResourceInformation"))?;
    Ok((from_resource(py, found)?, system))
}

/// Finds the parent resource of a network resource
#[pyfunction]
#[pyo3(name = "WNetGetResourceParent", signature = (resource, /))]
pub(crate) fn get_resource_parent<'py>(
    py: Python<'py>,
    resource: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let resource = required_resource(Some(resource))?;
    let parent = interruptible(py, move || api::get_resource_parent(&resource))?
        .map_err(|error| win_error(py, &error, "WNetGetResourceParent"))?;
    from_resource(py, parent)
}

/// Retrieves extended error information set by a network provider when one of the WNet* functions fails
#[pyfunction]
#[pyo3(name = "WNetGetLastError", signature = ())]
pub(crate) fn get_last_error() -> (u32, String, String) {
    let (code, text, provider) = wnet::get_last_error();
    // pywin32's buffers: 1024 and 256 wide characters with their NULs.
    (
        code,
        text.chars().take(1023).collect(),
        provider.chars().take(255).collect(),
    )
}
