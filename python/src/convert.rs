//! Argument conversions with pywin32's rules: C `int`/`long` as 32-bit signed values (Windows
//! is LLP64), DWORD flags taken modulo 2^32, and wide-string parameters that accept `str` (and
//! `None` where pywin32 allows it) but never `bytes`.

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyString};
use zeroize::Zeroizing;

/// A C `long` on Windows (32 bits), as `PyLong_AsLong` reads it there: any object with
/// `__index__`; OverflowError outside the 32-bit range.
pub(crate) fn c_long(value: &Bound<'_, PyAny>) -> PyResult<i32> {
    let wide: i64 = value.extract()?;
    i32::try_from(wide)
        .map_err(|_| PyOverflowError::new_err("Python int too large to convert to C long"))
}

/// A C `int` (the `i` format). On Windows a `long` is an `int`, so `PyArg_Parse`'s own range
/// check ("signed integer is greater than maximum", as on Linux) is never reached:
/// `PyLong_AsLong` has already refused the value, with [`c_long`]'s message.
pub(crate) fn c_int(value: &Bound<'_, PyAny>) -> PyResult<i32> {
    c_long(value)
}

/// An unsigned long with no overflow check (the `k` format, which is `argument`): an `int`
/// (not merely an object with `__index__`), taken modulo 2^32.
pub(crate) fn dword_mask(value: &Bound<'_, PyAny>, argument: Argument) -> PyResult<u32> {
    if !value.is_instance_of::<PyInt>() {
        return Err(argument.must_be("int", value));
    }
    value.bitand(0xFFFF_FFFF_u32)?.extract()
}

/// `Py_TPFLAGS_HEAPTYPE`: the type was made at run time (a `class` statement, `type()`).
const HEAP_TYPE: u64 = 1 << 9;

/// The name of `value`'s type as CPython's messages spell it (its `tp_name`): a class made at
/// run time by its name; a static type by its dotted name unless it is a builtin
/// (`datetime.date`, but `int`).
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    let class = value.get_type();
    let Ok(name) = class.name() else {
        return "object".to_owned();
    };
    let heap = class
        .getattr("__flags__")
        .and_then(|flags| flags.extract::<u64>())
        .is_ok_and(|flags| flags & HEAP_TYPE != 0);
    if !heap
        && let Ok(module) = class.module()
        && module != "builtins"
    {
        return format!("{module}.{name}");
    }
    name.to_string()
}

/// A wide-string parameter (`PyWinObject_AsWCHAR`): `str` (lone surrogates too, see
/// [`str_text`]), or `None` when `none_ok`. As Windows reads a wide C string, the value ends
/// at an embedded NUL.
pub(crate) fn wide_string(value: &Bound<'_, PyAny>, none_ok: bool) -> PyResult<Option<String>> {
    wide_text(value, none_ok)?
        .map(|text| str_text(&text, Unrepresentable::Replaced))
        .transpose()
}

/// A local name or path (a device, a directory, a path below a mount) given as a wide string:
/// as [`wide_string`], except that a byte that is not UTF-8 travels as the character
/// `wnet::drives::escaped_byte` gives it, so the name reaches the directory the file system
/// has, and what cannot be carried (another lone surrogate, or a character of that escape
/// range typed as such) becomes a NUL, which no local name may hold: the call refuses it
/// (ERROR_BAD_DEVICE) rather than mount at a directory spelled differently.
pub(crate) fn local_name_string(
    value: &Bound<'_, PyAny>,
    none_ok: bool,
) -> PyResult<Option<String>> {
    wide_text(value, none_ok)?
        .map(|text| str_text(&text, Unrepresentable::LocalPath))
        .transpose()
}

/// A local name or path from the Rust crates as Python spells it: each character that stands
/// for a byte that is not UTF-8 (`wnet::drives::escaped_byte`) back to the lone surrogate
/// `os.fsdecode` makes of that byte.
pub(crate) fn local_path_text<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    if !text
        .chars()
        .any(|character| wnet::drives::unescaped_byte(character).is_some())
    {
        return Ok(PyString::new(py, text));
    }
    let path = wnet::drives::path_from_text(text);
    PyBytes::new(py, path.as_os_str().as_encoded_bytes())
        .call_method1("decode", ("utf-8", "surrogateescape"))?
        .cast_into::<PyString>()
        .map_err(PyErr::from)
}

/// A wide-string value as pywin32 holds it: the `str` (a `str` subclass becomes a `str`) up to
/// its first NUL, lone surrogates kept; `None` when `none_ok`.
pub(crate) fn wide_text<'py>(
    value: &Bound<'py, PyAny>,
    none_ok: bool,
) -> PyResult<Option<Bound<'py, PyString>>> {
    if value.is_none() {
        return if none_ok {
            Ok(None)
        } else {
            Err(PyTypeError::new_err(
                "None is not a valid string in this context",
            ))
        };
    }
    let Ok(text) = value.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "Objects of type '{}' can not be converted to Unicode.",
            type_name(value)
        )));
    };
    let py = value.py();
    let mut text = text.clone();
    if !text.is_exact_instance_of::<PyString>() {
        text = py
            .get_type::<PyString>()
            .call_method1("__str__", (&text,))?
            .cast_into::<PyString>()?;
    }
    if text.contains("\0")? {
        text = text
            .call_method1("partition", ("\0",))?
            .get_item(0)?
            .cast_into::<PyString>()?;
    }
    Ok(Some(text))
}

/// What [`str_text`] puts for a byte a name cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrepresentable {
    /// U+FFFD, the replacement character: the name then matches nothing that exists.
    Replaced,
    /// A local name or path: a byte that is not UTF-8 as `wnet::drives::escaped_byte`'s
    /// character, anything else that cannot be carried (and that escape range typed as such)
    /// as NUL, which every local name refuses.
    LocalPath,
}

/// The text of `value` for the Rust crates, whose names are UTF-8.
///
/// Windows takes a `str` as UTF-16, lone surrogates included. A lone surrogate
/// U+DC80..U+DCFF is how `os.fsdecode` (surrogateescape) spells a byte of a Linux name that
/// is not UTF-8, so it stands for that byte here, and the bytes are read as UTF-8: a name
/// spelled that way is the name the file system has. A byte that is still not part of UTF-8
/// stays that byte in a local path (as `wnet::drives::escaped_byte`'s character) and becomes
/// U+FFFD elsewhere; any other lone surrogate becomes `unrepresentable`'s character.
pub(crate) fn str_text(
    value: &Bound<'_, PyString>,
    unrepresentable: Unrepresentable,
) -> PyResult<String> {
    let local = unrepresentable == Unrepresentable::LocalPath;
    let typed_escape = |character: char| local && wnet::drives::unescaped_byte(character).is_some();
    // (`to_cow`, not `to_str`: the stable ABI of CPython 3.9 lends no UTF-8 view of a str.)
    if let Ok(text) = value.to_cow() {
        if text.chars().any(typed_escape) {
            return Ok(text
                .chars()
                .map(|character| {
                    if typed_escape(character) {
                        '\0'
                    } else {
                        character
                    }
                })
                .collect());
        }
        return Ok(text.into_owned());
    }
    let replacement = match unrepresentable {
        Unrepresentable::Replaced => char::REPLACEMENT_CHARACTER,
        Unrepresentable::LocalPath => '\0',
    };
    // (The UTF-16 copy is a Python object, not zeroed when freed; a password reaches it only
    // when it holds a lone surrogate.)
    let wide = value
        .call_method1("encode", ("utf-16-le", "surrogatepass"))?
        .cast_into::<PyBytes>()?;
    let units = wide
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    let mut bytes = Vec::with_capacity(wide.as_bytes().len());
    let mut buffer = [0; 4];
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(character) if typed_escape(character) => bytes.push(0),
            Ok(character) => bytes.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes()),
            Err(lone) => match lone
                .unpaired_surrogate()
                .checked_sub(0xDC00)
                .and_then(|low| u8::try_from(low).ok())
            {
                Some(byte) if byte >= 0x80 => bytes.push(byte),
                _ => bytes.extend_from_slice(replacement.encode_utf8(&mut buffer).as_bytes()),
            },
        }
    }
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for &byte in chunk.invalid() {
            let escaped = wnet::drives::escaped_byte(byte).filter(|_| local);
            text.push(escaped.unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }
    Ok(text)
}

/// `text` up to its first NUL, as Windows reads a wide C string. Cut in place, so that a
/// password's caller can zero the one allocation (its whole capacity) that ever held it.
pub(crate) fn up_to_nul(mut text: String) -> String {
    if let Some(nul) = text.find('\0') {
        text.truncate(nul);
    }
    text
}

/// A password argument: [`optional_wide_string`], zeroed when dropped. The Python `str` it
/// came from cannot be zeroed from here (Python strings are immutable and shared).
pub(crate) fn optional_password(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Zeroizing<String>>> {
    Ok(optional_wide_string(value)?.map(Zeroizing::new))
}

/// An optional argument given as `None` or absent.
pub(crate) fn optional_wide_string(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        Some(value) => wide_string(value, true),
        None => Ok(None),
    }
}

/// An optional local name or path argument ([`local_name_string`]); `None` when absent or
/// `None`.
pub(crate) fn optional_local_name(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match value {
        Some(value) => local_name_string(value, true),
        None => Ok(None),
    }
}

/// The error of assigning an attribute a class does not have (or a method).
pub(crate) fn no_such_attribute(class: &str, name: &str) -> PyErr {
    pyo3::exceptions::PyAttributeError::new_err(format!(
        "'{class}' object has no attribute '{name}'"
    ))
}

/// One argument of a format, as its conversion errors name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Argument {
    /// The function's name when the format gives one.
    pub(crate) function: Option<&'static str>,
    /// The argument's number, from 1.
    pub(crate) number: usize,
}

impl Argument {
    /// The error of a format unit that refuses `value`'s type: `argument 2 must be int, not
    /// float` (`None` is named `None`, not `NoneType`).
    pub(crate) fn must_be(&self, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
        let found = if value.is_none() {
            "None".to_owned()
        } else {
            type_name(value)
        };
        let prefix = self
            .function
            .map_or_else(String::new, |name| format!("{name}() "));
        PyTypeError::new_err(format!(
            "{prefix}argument {} must be {expected}, not {found}",
            self.number
        ))
    }
}
