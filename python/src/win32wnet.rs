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
    Argument, c_int, dword_mask, local_name_string, optional_local_name, optional_password,
    optional_wide_string, wide_string,
};
use crate::errors::{code_error, win_error};
use crate::getargs::Positional;
use crate::handle::{HandleKind, PyHandle, handle_value};
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
    let local_name = local_name_string(&args.get_item(1)?, true)?;
    let remote_name = wide_string(&args.get_item(2)?, false)?;
    let provider = optional_wide_string(item(3)?.as_ref())?;
    // This form takes the user name before the password, but pywin32 converts the password
    // first (the one that fails first is the one reported).
    let password = optional_password(item(5)?.as_ref())?;
    let user = optional_wide_string(item(4)?.as_ref())?;
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

/// Arguments bound to a keyword format's names.
struct KeywordArguments<'py> {
    /// The value of each name, in the format's order.
    values: Vec<Option<Bound<'py, PyAny>>>,
    /// A keyword that repeats a positional argument or names nothing: `PyArg_ParseTupleAndKeywords`
    /// reports it only after converting every value, so the caller converts first.
    misfit: Option<PyErr>,
}

impl<'py> KeywordArguments<'py> {
    /// The value of the name at `index`.
    fn get(&self, index: usize) -> Option<&Bound<'py, PyAny>> {
        self.values.get(index).and_then(Option::as_ref)
    }

    /// Raises the keyword error, if any, once the values are converted.
    fn check_keywords(&mut self) -> PyResult<()> {
        self.misfit.take().map_or(Ok(()), Err)
    }
}

/// Binds positional and keyword arguments to `names` as `PyArg_ParseTupleAndKeywords` does
/// for a format without a function name (`required` leading names), with its messages: too
/// many arguments and a missing required one now; a keyword that repeats a positional
/// argument or names nothing in [`KeywordArguments::misfit`].
fn bind_arguments<'py>(
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    names: &[&str],
    required: usize,
) -> PyResult<KeywordArguments<'py>> {
    let keywords = kwargs.map_or(0, PyDictMethods::len);
    if args.len() + keywords > names.len() {
        return Err(PyTypeError::new_err(format!(
            "function takes at most {} {}argument{} ({} given)",
            names.len(),
            if args.is_empty() { "keyword " } else { "" },
            if names.len() == 1 { "" } else { "s" },
            args.len() + keywords
        )));
    }
    let mut values: Vec<Option<Bound<'py, PyAny>>> = vec![None; names.len()];
    for (slot, value) in values.iter_mut().zip(args.iter()) {
        *slot = Some(value);
    }
    let mut misfit = None;
    if let Some(kwargs) = kwargs {
        for (position, name) in names.iter().enumerate() {
            if let Some(value) = kwargs.get_item(name)? {
                if position < args.len() {
                    misfit.get_or_insert_with(|| {
                        PyTypeError::new_err(format!(
                            "argument for function given by name ('{name}') and position ({})",
                            position + 1
                        ))
                    });
                } else {
                    values[position] = Some(value);
                }
            }
        }
        if misfit.is_none() {
            for key in kwargs.keys() {
                let known = key
                    .extract::<String>()
                    .is_ok_and(|key| names.contains(&key.as_str()));
                if !known {
                    misfit = Some(PyTypeError::new_err(format!(
                        "'{key}' is an invalid keyword argument for this function"
                    )));
                    break;
                }
            }
        }
    }
    for (position, name) in names.iter().enumerate().take(required) {
        if values[position].is_none() {
            return Err(PyTypeError::new_err(format!(
                "function missing required argument '{name}' (pos {})",
                position + 1
            )));
        }
    }
    Ok(KeywordArguments { values, misfit })
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

/// The `k` unit of a keyword form at `index` (from 0); 0 when absent.
fn flags_argument(value: Option<&Bound<'_, PyAny>>, index: usize) -> PyResult<u32> {
    let argument = Argument {
        function: None,
        number: index + 1,
    };
    value.map_or(Ok(0), |value| dword_mask(value, argument))
}

/// The keyword form, `"O|OOk"`: `(NetResource, Password=None, UserName=None, Flags=0)`.
fn keyword_form(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<AddArguments> {
    let mut bound = bind_arguments(
        args,
        kwargs,
        &["NetResource", "Password", "UserName", "Flags"],
        1,
    )?;
    let flags = flags_argument(bound.get(3), 3)?;
    bound.check_keywords()?;
    let resource = required_resource(bound.get(0))?;
    Ok(AddArguments {
        resource,
        password: optional_password(bound.get(1))?,
        user: optional_wide_string(bound.get(2))?,
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
    let mut bound = bind_arguments(
        args,
        kwargs,
        &["HwndOwner", "NetResource", "Password", "UserName", "Flags"],
        2,
    )?;
    let flags = flags_argument(bound.get(4), 4)?;
    bound.check_keywords()?;
    // The owner window, read as any handle is (there are no windows to own here).
    if let Some(owner) = bound.get(0) {
        handle_value(owner)?;
    }
    let resource = required_resource(bound.get(1))?;
    let arguments = AddArguments {
        resource,
        password: optional_password(bound.get(2))?,
        user: optional_wide_string(bound.get(3))?,
        flags,
    };
    add_connection(py, arguments, "WNetAddConnection3")
}

/// `"Okk"`.
const CANCEL_CONNECTION2: Positional = Positional {
    name: "WNetCancelConnection2",
    named: false,
    min: 3,
    max: 3,
};

/// localname,dwflags,bforce
#[pyfunction]
#[pyo3(
    name = "WNetCancelConnection2",
    signature = (*args, **kwargs),
    text_signature = "(localname, dwflags, bforce, /)"
)]
pub(crate) fn cancel_connection2(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let args = CANCEL_CONNECTION2.parse(args, kwargs)?;
    let flags = dword_mask(&args[1], CANCEL_CONNECTION2.argument(1))?;
    let force = dword_mask(&args[2], CANCEL_CONNECTION2.argument(2))? != 0;
    let name = local_name_string(&args[0], false)?.unwrap_or_default();
    interruptible(py, move || api::cancel_connection(&name, flags, force))?
        .map_err(|error| win_error(py, &error, "WNetCancelConnection2"))
}

/// `"iiiO"`.
const OPEN_ENUM: Positional = Positional {
    name: "WNetOpenEnum",
    named: false,
    min: 4,
    max: 4,
};

/// dwScope,dwType,dwUsage,NETRESOURCE - returns PyHANDLE
#[pyfunction]
#[pyo3(
    name = "WNetOpenEnum",
    signature = (*args, **kwargs),
    text_signature = "(dwScope, dwType, dwUsage, NETRESOURCE, /)"
)]
pub(crate) fn open_enum(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyHandle> {
    let args = OPEN_ENUM.parse(args, kwargs)?;
    let scope = c_int(&args[0])?.cast_unsigned();
    let resource_type = c_int(&args[1])?.cast_unsigned();
    let usage = c_int(&args[2])?.cast_unsigned();
    let resource = as_resource(&args[3], true)?;
    let handle = interruptible(py, move || {
        api::open_enum(scope, resource_type, usage, resource.as_ref())
    })?
    .map_err(|error| win_error(py, &error, "WNetOpenEnum"))?;
    Ok(PyHandle::new(i64::from(handle), HandleKind::NetEnum))
}

/// `"O"`.
const CLOSE_ENUM: Positional = Positional {
    name: "WNetCloseEnum",
    named: false,
    min: 1,
    max: 1,
};

/// PyHANDLE from WNetOpenEnum()
#[pyfunction]
#[pyo3(
    name = "WNetCloseEnum",
    signature = (*args, **kwargs),
    text_signature = "(handle, /)"
)]
pub(crate) fn close_enum(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let args = CLOSE_ENUM.parse(args, kwargs)?;
    // `PyHANDLE_Check`: the type itself, not a subclass.
    let handle = args[0]
        .cast::<PyHandle>()
        .ok()
        .filter(|handle| handle.get_type().is(handle.py().get_type::<PyHandle>()))
        .ok_or_else(|| PyTypeError::new_err("Not a handle object"))?;
    handle.get().close_enumeration(handle.py())
}

/// `"O!|i"`.
const ENUM_RESOURCE: Positional = Positional {
    name: "WNetEnumResource",
    named: false,
    min: 1,
    max: 2,
};

/// Enum
#[pyfunction]
#[pyo3(
    name = "WNetEnumResource",
    signature = (*args, **kwargs),
    text_signature = "(handle, maxExtries=64, /)"
)]
pub(crate) fn enum_resource<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyList>> {
    let args = ENUM_RESOURCE.parse(args, kwargs)?;
    let handle = args[0]
        .cast::<PyHandle>()
        .map_err(|_| ENUM_RESOURCE.argument(0).must_be("PyHANDLE", &args[0]))?;
    // An absent count is 64; a given one (None included) must be an int.
    let count = args.get(1).map_or(Ok(0), c_int)?;
    // 0 means 64; -1 (0xFFFFFFFF) as many as there are.
    let mut wanted = if count == 0 {
        64
    } else {
        count.cast_unsigned()
    };
    let result = PyList::empty(py);
    // pywin32 passes the handle's value, whatever object holds it: a plain handle of an open
    // enumeration's value enumerates it.
    let value = match u32::try_from(handle.get().value()) {
        Ok(value) if value != 0 => value,
        // No enumeration has that value (0 once closed): Windows answers
        // ERROR_INVALID_HANDLE, which ends the loop before anything is gathered.
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

/// `"|O"`.
const GET_USER: Positional = Positional {
    name: "WNetGetUser",
    named: false,
    min: 0,
    max: 1,
};

/// connectionName=None
#[pyfunction]
#[pyo3(
    name = "WNetGetUser",
    signature = (*args, **kwargs),
    text_signature = "(connectionName=None, /)"
)]
pub(crate) fn get_user(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let args = GET_USER.parse(args, kwargs)?;
    let connection = optional_local_name(args.first())?;
    interruptible(py, move || api::get_user(connection.as_deref()))?
        .map_err(|error| win_error(py, &error, "WNetGetUser"))
}

/// `"|O"`.
const GET_CONNECTION: Positional = Positional {
    name: "WNetGetConnection",
    named: false,
    min: 0,
    max: 1,
};

/// Retrieves the name of the network resource associated with a local device
#[pyfunction]
#[pyo3(
    name = "WNetGetConnection",
    signature = (*args, **kwargs),
    text_signature = "(connection=None, /)"
)]
pub(crate) fn get_connection(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let args = GET_CONNECTION.parse(args, kwargs)?;
    let connection = optional_local_name(args.first())?;
    let Some(connection) = connection else {
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

/// `"O|i:WNetGetUniversalName"`.
const GET_UNIVERSAL_NAME: Positional = Positional {
    name: "WNetGetUniversalName",
    named: true,
    min: 1,
    max: 2,
};

/// localPath, infoLevel=UNIVERSAL_NAME_INFO_LEVEL
#[pyfunction]
#[pyo3(
    name = "WNetGetUniversalName",
    signature = (*args, **kwargs),
    text_signature = "(localPath, infoLevel=1, /)"
)]
pub(crate) fn get_universal_name<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let args = GET_UNIVERSAL_NAME.parse(args, kwargs)?;
    // An absent level is UNIVERSAL_NAME_INFO_LEVEL; a given one (None included) must be an
    // int.
    let level = args.get(1).map_or(Ok(1), c_int)?;
    let path = local_name_string(&args[0], false)?.unwrap_or_default();
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

/// `"O!"`.
const GET_RESOURCE_INFORMATION: Positional = Positional {
    name: "WNetGetResourceInformation",
    named: false,
    min: 1,
    max: 1,
};

/// Finds the type and provider of a network resource
#[pyfunction]
#[pyo3(
    name = "WNetGetResourceInformation",
    signature = (*args, **kwargs),
    text_signature = "(NetResource, /)"
)]
pub(crate) fn get_resource_information<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyAny>, Option<String>)> {
    let args = GET_RESOURCE_INFORMATION.parse(args, kwargs)?;
    let resource = exact_resource(&args[0])?.ok_or_else(|| {
        GET_RESOURCE_INFORMATION
            .argument(0)
            .must_be("PyNETRESOURCE", &args[0])
    })?;
    let (found, system) = interruptible(py, move || api::get_resource_information(&resource))?
        .map_err(|error| win_error(py, &error, "WNetGetResourceInformation"))?;
    Ok((from_resource(py, found)?, system))
}

/// `"O:WNetGetResourceParent"`.
const GET_RESOURCE_PARENT: Positional = Positional {
    name: "WNetGetResourceParent",
    named: true,
    min: 1,
    max: 1,
};

/// Finds the parent resource of a network resource
#[pyfunction]
#[pyo3(
    name = "WNetGetResourceParent",
    signature = (*args, **kwargs),
    text_signature = "(NetResource, /)"
)]
pub(crate) fn get_resource_parent<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let args = GET_RESOURCE_PARENT.parse(args, kwargs)?;
    let resource = required_resource(args.first())?;
    let parent = interruptible(py, move || api::get_resource_parent(&resource))?
        .map_err(|error| win_error(py, &error, "WNetGetResourceParent"))?;
    from_resource(py, parent)
}

/// `":WNetGetLastError"`.
const GET_LAST_ERROR: Positional = Positional {
    name: "WNetGetLastError",
    named: true,
    min: 0,
    max: 0,
};

/// Retrieves extended error information set by a network provider when one of the WNet* functions fails
#[pyfunction]
#[pyo3(
    name = "WNetGetLastError",
    signature = (*args, **kwargs),
    text_signature = "()"
)]
pub(crate) fn get_last_error(
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(u32, String, String)> {
    GET_LAST_ERROR.parse(args, kwargs)?;
    let (code, text, provider) = wnet::get_last_error();
    // pywin32's buffers: 1024 and 256 wide characters with their NULs.
    Ok((
        code,
        text.chars().take(1023).collect(),
        provider.chars().take(255).collect(),
    ))
}
