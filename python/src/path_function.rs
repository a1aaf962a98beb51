//! `wnet._native.PathFunction`: a file function of `os` or `builtins` wrapped for network
//! paths. A call whose path arguments are `str`s that are plainly local (by their first two
//! characters) goes straight to the original function; any other goes to `slow`
//! (`wnet._paths`' wrapper, which translates the paths).
//!
//! Every local `open`, `os.stat`… of a process that imported `wnet` goes through it, so it is
//! written against the C API directly, as a type made with `PyType_FromSpec` whose `tp_call`
//! hands the caller's own argument tuple and keyword dict on: no argument is copied or
//! converted, no Rust object is touched, nothing can panic. (As a `#[pyclass]` its `__call__`
//! cost a local `os.stat` 10 %; this costs what the tuple the interpreter builds for it does.)
//! Like the builtins it stands for, it does not bind as a method when stored in a class (it
//! has no `__get__`). `__wrapped__` is the original, and attributes it lacks (`__name__`,
//! `__qualname__`…) are the original's.

#![allow(unsafe_code)]

use std::ffi::{CStr, c_int, c_uint, c_void};
use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;
use wnet::api;

/// Keywords that name a path argument of the wrapped functions.
const PATH_KEYWORDS: [&CStr; 5] = [c"path", c"file", c"src", c"dst", c"name"];

/// A `PathFunction` object: the object header, then what the constructor took (each a strong
/// reference, released by [`dealloc`]).
#[repr(C)]
struct RawPathFunction {
    header: ffi::PyObject,
    original: *mut ffi::PyObject,
    slow: *mut ffi::PyObject,
    /// How many leading positional arguments are paths (1 or 2).
    paths: ffi::Py_ssize_t,
}

/// Whether `value` is an exact `str` that is a local path by its first two characters
/// ([`api::may_begin_network_path`]); read in place, as the stable ABI of CPython 3.9 lends no
/// UTF-8 view of a str and a copy would cost every local call.
///
/// # Safety
/// The GIL is held and `value` is a live object.
unsafe fn plainly_local(value: *mut ffi::PyObject) -> bool {
    // SAFETY: per this function's contract; PyUnicode_Type is the interpreter's static type.
    unsafe {
        if ffi::Py_TYPE(value) != ptr::addr_of_mut!(ffi::PyUnicode_Type) {
            return false;
        }
        if ffi::PyUnicode_GetLength(value) < 2 {
            return true; // too short to begin `\\`, `//` or `X:`
        }
        let first = char::from_u32(ffi::PyUnicode_ReadChar(value, 0));
        let second = char::from_u32(ffi::PyUnicode_ReadChar(value, 1));
        match (first, second) {
            (Some(first), Some(second)) => !api::may_begin_network_path(first, second),
            // A lone surrogate: no network path begins with one.
            _ => true,
        }
    }
}

/// `tp_call`: the original function when every path argument is plainly local, else `slow`,
/// called with the caller's arguments as they are.
unsafe extern "C" fn call(
    callable: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: the interpreter calls tp_call with the GIL held, `callable` an instance of this
    // type (so a RawPathFunction, its fields set by `new`), `args` a tuple and `kwargs` NULL
    // or a dict; PyTuple_GetItem lends a reference the tuple keeps alive for the call.
    unsafe {
        let this = callable.cast::<RawPathFunction>();
        let count = ffi::PyTuple_Size(args).min((*this).paths);
        let mut local = (0..count).all(|index| plainly_local(ffi::PyTuple_GetItem(args, index)));
        if local && !kwargs.is_null() && ffi::PyDict_Size(kwargs) > 0 {
            local = PATH_KEYWORDS
                .iter()
                .all(|key| ffi::PyDict_GetItemString(kwargs, key.as_ptr()).is_null());
        }
        let target = if local {
            (*this).original
        } else {
            (*this).slow
        };
        ffi::PyObject_Call(target, args, kwargs)
    }
}

/// `tp_new`: `PathFunction(original, slow, paths)`.
unsafe extern "C" fn new(
    subtype: *mut ffi::PyTypeObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: called by the interpreter with the GIL held, `subtype` this type, `args` a
    // tuple; the allocator returns a zeroed object of the spec's basic size (or NULL with an
    // exception set), whose fields are then set to new strong references.
    unsafe {
        if ffi::PyTuple_Size(args) != 3 || (!kwargs.is_null() && ffi::PyDict_Size(kwargs) > 0) {
            ffi::PyErr_SetString(
                ffi::PyExc_TypeError,
                c"PathFunction(original, slow, paths) takes three positional arguments".as_ptr(),
            );
            return ptr::null_mut();
        }
        let paths = ffi::PyLong_AsSsize_t(ffi::PyTuple_GetItem(args, 2));
        if paths == -1 && !ffi::PyErr_Occurred().is_null() {
            return ptr::null_mut();
        }
        let alloc = ffi::PyType_GetSlot(subtype, ffi::Py_tp_alloc);
        if alloc.is_null() {
            return ptr::null_mut();
        }
        let alloc: ffi::allocfunc = std::mem::transmute::<*mut c_void, ffi::allocfunc>(alloc);
        let object = alloc(subtype, 0);
        if object.is_null() {
            return ptr::null_mut();
        }
        let this = object.cast::<RawPathFunction>();
        let (original, slow) = (ffi::PyTuple_GetItem(args, 0), ffi::PyTuple_GetItem(args, 1));
        ffi::Py_IncRef(original);
        ffi::Py_IncRef(slow);
        (*this).original = original;
        (*this).slow = slow;
        (*this).paths = paths;
        object
    }
}

/// `tp_dealloc`: releases the fields, frees the object and its reference to its heap type.
unsafe extern "C" fn dealloc(object: *mut ffi::PyObject) {
    // SAFETY: called once, with the GIL held, on an object `new` made (fields NULL only if
    // `new` failed before setting them, which Py_DecRef's NULL check would not cover: hence
    // the checks); heap types' instances own a reference to their type.
    unsafe {
        let this = object.cast::<RawPathFunction>();
        for field in [(*this).original, (*this).slow] {
            if !field.is_null() {
                ffi::Py_DecRef(field);
            }
        }
        let kind = ffi::Py_TYPE(object);
        let free = ffi::PyType_GetSlot(kind, ffi::Py_tp_free);
        if !free.is_null() {
            let free: ffi::freefunc = std::mem::transmute::<*mut c_void, ffi::freefunc>(free);
            free(object.cast());
        }
        ffi::Py_DecRef(kind.cast());
    }
}

/// `tp_getattro`: what the object lacks (`__name__`, `__qualname__`…) is the original's.
unsafe extern "C" fn getattro(
    object: *mut ffi::PyObject,
    name: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: called with the GIL held on an instance of this type, `name` a str.
    unsafe {
        let this = object.cast::<RawPathFunction>();
        let found = ffi::PyObject_GenericGetAttr(object, name);
        if !found.is_null() || ffi::PyErr_ExceptionMatches(ffi::PyExc_AttributeError) == 0 {
            return found;
        }
        ffi::PyErr_Clear();
        ffi::PyObject_GetAttr((*this).original, name)
    }
}

/// `tp_repr`: `<wnet path function <the original's repr>>`.
unsafe extern "C" fn repr(object: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: called with the GIL held on an instance of this type.
    unsafe {
        let this = object.cast::<RawPathFunction>();
        let py = Python::assume_attached();
        let original = Bound::from_borrowed_ptr(py, (*this).original);
        let text = match original.repr() {
            Ok(text) => format!("<wnet path function {text}>"),
            Err(error) => {
                error.restore(py);
                return ptr::null_mut();
            }
        };
        pyo3::types::PyString::new(py, &text).into_ptr()
    }
}

/// The `PathFunction` type, made once for the module.
pub(crate) fn path_function_type(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let offset = |offset: usize| {
        ffi::Py_ssize_t::try_from(offset)
            .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("PathFunction layout"))
    };
    // `__wrapped__`, read-only: the original function.
    let mut members = [
        ffi::PyMemberDef {
            name: c"__wrapped__".as_ptr(),
            type_code: ffi::Py_T_OBJECT_EX,
            offset: offset(std::mem::offset_of!(RawPathFunction, original))?,
            flags: ffi::Py_READONLY,
            doc: c"The function wrapped.".as_ptr(),
        },
        ffi::PyMemberDef::default(),
    ];
    let mut slots = [
        ffi::PyType_Slot {
            slot: ffi::Py_tp_call,
            pfunc: call as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_new,
            pfunc: new as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_dealloc,
            pfunc: dealloc as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_getattro,
            pfunc: getattro as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_repr,
            pfunc: repr as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_members,
            pfunc: members.as_mut_ptr().cast(),
        },
        ffi::PyType_Slot {
            slot: 0,
            pfunc: ptr::null_mut(),
        },
    ];
    let mut spec = ffi::PyType_Spec {
        name: c"wnet._native.PathFunction".as_ptr(),
        basicsize: c_int::try_from(std::mem::size_of::<RawPathFunction>())
            .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("PathFunction layout"))?,
        itemsize: 0,
        flags: c_uint::try_from(ffi::Py_TPFLAGS_DEFAULT).unwrap_or(0),
        slots: slots.as_mut_ptr(),
    };
    // SAFETY: the GIL is held (`py`); the spec, its slots and the member table are read during
    // the call only (the interpreter copies them into the new heap type); the names and doc
    // they point to are static C strings.
    unsafe {
        let kind = ffi::PyType_FromSpec(&raw mut spec);
        Bound::from_owned_ptr_or_err(py, kind)
    }
}
