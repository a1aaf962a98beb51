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
//!
//! A slot's own descriptor (in the type's `__dict__`) would store anything its `__set__` is
//! given. A script reaches a descriptor as `Type.name`, as pywin32's member descriptors, so the
//! public type has a metaclass whose data descriptors answer `Type.name` with a
//! [`SlotDescriptor`] instead: it reads through the slot, writes through the checks of an
//! assignment, and refuses what pywin32's member of that kind refuses. The metaclass is
//! consulted only for attributes of the type itself, so instance reads stay slot reads. It
//! also refuses any change to the type (`Type.name = value` would replace a descriptor), as
//! pywin32's static types do.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple, PyType};
use pyo3::{IntoPyObjectExt, PyTypeInfo};

/// A public type made of a Rust base and slots, with a setter per slot.
pub(crate) struct SlottedType {
    /// The public type (the subclass).
    class: Py<PyType>,
    /// Each slot's descriptor's `__set__`, bound, in the order of the slot names.
    setters: Vec<Py<PyAny>>,
}

/// How pywin32's type declares an attribute in its member table (`PyMemberDef`), which
/// decides what the attribute's descriptor does when a script calls its `__set__` or
/// `__delete__` itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    /// A number (`T_BYTE`, `T_SHORT`, `T_INT`, `T_LONG`): `__set__` is an assignment, checked
    /// as one; `__delete__` raises `TypeError`.
    Number,
    /// A read-only number (`READONLY`): `__set__` and `__delete__` raise
    /// `AttributeError("readonly attribute")`.
    ReadOnly,
    /// A string (`T_STRING`), which pywin32's type converts itself on assignment: its
    /// descriptor's `__set__` raises `TypeError("readonly attribute")` and `__delete__`
    /// `TypeError`.
    String,
}

impl SlottedType {
    /// Makes `name`, a subclass of `base` with one slot for each of `slots` (a name and how
    /// pywin32 declares it), whose `__new__` is `new` (called as `new(cls, *args, **kwargs)`).
    /// The type reads as pywin32's: no module (`builtins`), no `__dict__`, no subclasses, and
    /// its attributes' descriptors cannot store an unchecked value.
    pub(crate) fn build(
        py: Python<'_>,
        base: &Bound<'_, PyType>,
        name: &str,
        slots: &[(&str, Member)],
        new: &Bound<'_, PyAny>,
    ) -> PyResult<SlottedType> {
        let builtins = py.import("builtins")?;
        let slot_names = slots.iter().map(|(slot, _)| *slot).collect::<Vec<_>>();
        let namespace = PyDict::new(py);
        namespace.set_item("__slots__", PyTuple::new(py, &slot_names)?)?;
        namespace.set_item("__module__", "builtins")?;
        namespace.set_item("__qualname__", name)?;
        namespace.set_item("__doc__", base.getattr("__doc__")?)?;
        namespace.set_item("__new__", builtins.getattr("staticmethod")?.call1((new,))?)?;
        let refuse = wrap_pyfunction!(refuse_subclass, py)?;
        namespace.set_item(
            "__init_subclass__",
            builtins.getattr("classmethod")?.call1((refuse,))?,
        )?;
        // The metaclass: `type` itself to a script (its name and module are `type`'s), with
        // one data descriptor per slot, added once the type exists.
        let type_type = builtins.getattr("type")?;
        let meta_namespace = PyDict::new(py);
        meta_namespace.set_item("__module__", "builtins")?;
        meta_namespace.set_item("__qualname__", "type")?;
        let meta = type_type
            .call1(("type", (&type_type,), meta_namespace))?
            .cast_into::<PyType>()?;
        let class = meta
            .call1((name, (base,), namespace))?
            .cast_into::<PyType>()?;
        let own = class.getattr(pyo3::intern!(py, "__dict__"))?;
        let mut setters = Vec::with_capacity(slots.len());
        for &(slot, member) in slots {
            let raw = own.get_item(slot)?;
            setters.push(raw.getattr(pyo3::intern!(py, "__set__"))?.unbind());
            let descriptor = SlotDescriptor {
                name: slot.to_owned(),
                owner: name.to_owned(),
                class: class.clone().unbind(),
                raw: raw.unbind(),
                member,
            };
            meta.setattr(slot, Bound::new(py, descriptor)?)?;
        }
        // pywin32's types are static types, which cannot be changed: the metaclass refuses to
        // set or delete any attribute of the type.
        meta.setattr("__setattr__", refuse_type_change(py, name)?)?;
        meta.setattr("__delattr__", refuse_type_change(py, name)?)?;
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

/// What a script gets for `Type.name`, where `name` is one of the type's slots: a descriptor
/// that reads as the slot's own, but whose `__set__` is an assignment (with its checks) and
/// which refuses what pywin32's member of the same kind refuses. It reads as a member
/// descriptor (`<member 'Command' of 'PyNCB' objects>`).
#[pyclass(name = "member_descriptor", module = "builtins", frozen)]
pub(crate) struct SlotDescriptor {
    /// The attribute's name.
    name: String,
    /// The public type's name, for messages.
    owner: String,
    /// The public type.
    class: Py<PyType>,
    /// The slot's own descriptor, which reads it.
    raw: Py<PyAny>,
    /// How pywin32 declares the attribute.
    member: Member,
}

impl SlotDescriptor {
    /// Whether `object` is the public type itself (the metaclass asks for `Type.name`).
    fn is_the_type(&self, object: &Bound<'_, PyAny>) -> bool {
        object.is(self.class.bind(object.py()))
    }

    /// CPython's checks before a member descriptor stores or deletes: `Type.name = value` on
    /// the (immutable) type, an object of another type.
    fn check_target(&self, object: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.is_the_type(object) {
            return Err(PyTypeError::new_err(format!(
                "cannot set '{}' attribute of immutable type '{}'",
                self.name, self.owner
            )));
        }
        if !object.is_instance(self.class.bind(object.py()))? {
            return Err(PyTypeError::new_err(format!(
                "descriptor '{}' for '{}' objects doesn't apply to a '{}' object",
                self.name,
                self.owner,
                crate::convert::type_name(object)
            )));
        }
        Ok(())
    }
}

#[pymethods]
impl SlotDescriptor {
    /// The descriptor itself when asked on the type, else the object's value.
    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        object: Option<&Bound<'py, PyAny>>,
        owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        match object {
            Some(object) if !object.is_none() && !this.is_the_type(object) => this
                .raw
                .bind(slf.py())
                .call_method1(pyo3::intern!(slf.py(), "__get__"), (object, owner)),
            _ => Ok(slf.clone().into_any()),
        }
    }

    /// An assignment to the attribute, with its checks.
    fn __set__(&self, object: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.check_target(object)?;
        match self.member {
            Member::Number => object.setattr(self.name.as_str(), value),
            Member::ReadOnly => Err(PyAttributeError::new_err("readonly attribute")),
            Member::String => Err(PyTypeError::new_err("readonly attribute")),
        }
    }

    /// Refused, as every deletion of these attributes is.
    fn __delete__(&self, object: &Bound<'_, PyAny>) -> PyResult<()> {
        self.check_target(object)?;
        match self.member {
            Member::ReadOnly => Err(PyAttributeError::new_err("readonly attribute")),
            Member::Number | Member::String => {
                Err(PyTypeError::new_err("can't delete numeric/char attribute"))
            }
        }
    }

    fn __repr__(&self) -> String {
        format!("<member '{}' of '{}' objects>", self.name, self.owner)
    }

    /// The attribute's name.
    #[getter]
    fn __name__(&self) -> &str {
        &self.name
    }

    /// `Type.name`.
    #[getter]
    fn __qualname__(&self) -> String {
        format!("{}.{}", self.owner, self.name)
    }

    /// The public type.
    #[getter]
    fn __objclass__(&self, py: Python<'_>) -> Py<PyType> {
        self.class.clone_ref(py)
    }
}

/// The metaclass's `__setattr__` and `__delattr__`, which refuse as CPython does for an
/// immutable type. A builtin function does not bind, so CPython calls it with the attribute's
/// name (and value) only: the type's name is the closure's.
fn refuse_type_change<'py>(py: Python<'py>, type_name: &str) -> PyResult<Bound<'py, PyCFunction>> {
    let type_name = type_name.to_owned();
    PyCFunction::new_closure(py, None, None, move |args, _kwargs| -> PyResult<()> {
        let attribute = args.get_item(0)?.repr()?;
        Err(PyTypeError::new_err(format!(
            "cannot set {attribute} attribute of immutable type '{type_name}'"
        )))
    })
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
