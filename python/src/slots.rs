//! Public types whose attributes read as fast as a plain Python object's.
//!
//! A getter written in Rust costs a call through PyO3 on every read (about 3× a plain
//! attribute read). pywin32's `NETRESOURCE` and `NCB` are read far more often than written, so
//! their values live in Python slots instead: the public type is a heap subclass, made here at
//! module init, of a Rust base class, with `__slots__` for its attributes. A read is CPython's
//! own slot read (no Rust runs); a write goes to the base's `__setattr__`, which checks and
//! converts the value by pywin32's rules and stores it through the slot's descriptor. The base
//! keeps whatever else the type needs (the NCB's shared control block).
//!
//! The subclass takes no arguments and cannot itself be subclassed, as pywin32's types; its
//! `__new__` (a Rust function) makes the object through the base and fills every slot, so no
//! attribute is ever unset.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};
use pyo3::{IntoPyObjectExt, PyTypeInfo};

/// A public type made of a Rust base and slots, with a setter per slot.
pub(crate) struct SlottedType {
    /// The public type (the subclass).
    class: Py<PyType>,
    /// Each slot's descriptor's `__set__`, bound, in the order of the slot names.
    setters: Vec<Py<PyAny>>,
}

impl SlottedType {
    /// Makes `name`, a subclass of `base` with one slot for each of `slots`, whose `__new__`
    /// is `new` (called as `new(cls, *args, **kwargs)`). The type reads as pywin32's: no
    /// module (`builtins`), no `__dict__`, no subclasses.
    pub(crate) fn build(
        py: Python<'_>,
        base: &Bound<'_, PyType>,
        name: &str,
        slots: &[&str],
        new: &Bound<'_, PyAny>,
    ) -> PyResult<SlottedType> {
        let builtins = py.import("builtins")?;
        let namespace = PyDict::new(py);
        namespace.set_item("__slots__", PyTuple::new(py, slots)?)?;
        namespace.set_item("__module__", "builtins")?;
        namespace.set_item("__qualname__", name)?;
        namespace.set_item("__doc__", base.getattr("__doc__")?)?;
        namespace.set_item("__new__", builtins.getattr("staticmethod")?.call1((new,))?)?;
        let refuse = wrap_pyfunction!(refuse_subclass, py)?;
        namespace.set_item(
            "__init_subclass__",
            builtins.getattr("classmethod")?.call1((refuse,))?,
        )?;
        let class = builtins
            .getattr("type")?
            .call1((name, (base,), namespace))?
            .cast_into::<PyType>()?;
        let setters = slots
            .iter()
            .map(|slot| {
                Ok(class
                    .getattr(*slot)?
                    .getattr(pyo3::intern!(py, "__set__"))?
                    .unbind())
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(SlottedType {
            class: class.unbind(),
            setters,
        })
    }

    /// The public type.
    pub(crate) fn class<'py>(&self, py: Python<'py>) -> &Bound<'py, PyType> {
        self.class.bind(py)
    }

    /// Whether `value` is exactly of the public type (pywin32 checks the exact type).
    pub(crate) fn is_instance(&self, value: &Bound<'_, PyAny>) -> bool {
        value.get_type().is(self.class.bind(value.py()))
    }

    /// A new object of the public type, made by its Rust base `Base`, its slots still empty
    /// (the caller fills every one).
    pub(crate) fn unfilled_instance<'py, Base: PyTypeInfo>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        base_new::<Base>(self.class.bind(py).as_any())
    }

    /// Stores `value` in slot number `slot` of `object`, unchecked (the caller converted it).
    pub(crate) fn store<'py>(
        &self,
        object: &Bound<'py, PyAny>,
        slot: usize,
        value: impl IntoPyObject<'py>,
    ) -> PyResult<()> {
        let py = object.py();
        let setter = self.setters.get(slot).ok_or_else(|| {
            pyo3::exceptions::PySystemError::new_err(format!("no slot number {slot}"))
        })?;
        let value = value.into_bound_py_any(py)?;
        setter.bind(py).call1((object, value))?;
        Ok(())
    }
}

/// `__init_subclass__` of the public types: pywin32's types cannot be subclassed.
#[pyfunction]
#[pyo3(signature = (cls, **_kwargs))]
fn refuse_subclass(cls: &Bound<'_, PyType>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let base = cls.getattr("__base__")?;
    let name = base.getattr("__name__")?;
    Err(PyTypeError::new_err(format!(
        "type '{name}' is not an acceptable base type"
    )))
}

/// The start of a public type's `__new__(cls, *args, **kwargs)`: pywin32's argument check
/// (`function` takes none), then the object, made by the Rust base `Base` (its slots empty).
pub(crate) fn new_base_object<'py, Base: PyTypeInfo>(
    function: &str,
    cls: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    refuse_arguments(function, args, kwargs)?;
    base_new::<Base>(cls)
}

/// `Base.__new__(cls)`: an object of `cls` (a subclass of `Base`) with `Base`'s Rust part.
fn base_new<'py, Base: PyTypeInfo>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    py.get_type::<Base>()
        .call_method1(pyo3::intern!(py, "__new__"), (cls,))
}

/// pywin32's constructors take no arguments (`PyArg_ParseTupleAndKeywords(args, kw, ":NAME")`):
/// the error for any that are given, in that function's words.
fn refuse_arguments(
    function: &str,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let given = args.len() + kwargs.map_or(0, PyDictMethods::len);
    if given == 0 {
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "{function}() takes at most 0 {}arguments ({given} given)",
        if args.is_empty() { "keyword " } else { "" }
    )))
}
