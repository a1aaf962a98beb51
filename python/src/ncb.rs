//! `win32wnet.NCB` (pywin32's `PyNCB`), `NCBBuffer` and `Netbios`.
//!
//! The control block lives in a [`SharedNcb`] of `wnet-netbios`, so that an ASYNCH command can
//! finish on the engine's thread while Python reads `Retcode`/`Cmd_cplt`. The buffer is the
//! caller's writable memory (pywin32 hands Windows its address): its bytes are copied into the
//! NCB before each command and the command's bytes copied back when it completes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{
    PyAttributeError, PyBufferError, PySystemError, PyTypeError, PyUnicodeEncodeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PyString, PyTuple};
use wnet_netbios::nb30::nrc;
use wnet_netbios::{Ncb, SharedNcb};

use crate::convert::{c_long, type_name};
use crate::slots::{Member, SlottedType, new_base_object};

/// The codec pywin32's messages name for NCB names: it encodes them to the ANSI code page
/// with `mbcs` (strictly) and decodes them from it ignoring errors.
const NAME_CODEC: &str = "mbcs";
/// The reason Python's `mbcs` codec gives when Windows cannot encode a string.
const NAME_CODEC_REASON: &str = "invalid character";
/// The ANSI code page of an English Windows (1252), as Windows converts it: its characters for
/// the bytes 0x80..=0x9F (every other byte is its Latin-1 character). Where the Unicode
/// table of code page 1252 has no character (0x81, 0x8D, 0x8F, 0x90, 0x9D), Windows maps the
/// byte to the C1 control of the same number and back, so every byte round-trips.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// A name field's bytes as text in code page 1252 (every byte has a character; names are read
/// often, so without a round trip through Python's codecs).
fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| match byte {
            0x80..=0x9F => CP1252_HIGH[usize::from(byte - 0x80)],
            _ => char::from(byte),
        })
        .collect()
}

/// `text` in code page 1252, or `None` if a character has no byte there (Windows' strict
/// conversion takes no best-fit substitutes).
fn encode_cp1252(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|character| match u32::from(character) {
            code @ (0..=0x7F | 0xA0..=0xFF) => u8::try_from(code).ok(),
            _ => CP1252_HIGH
                .iter()
                .position(|&high| high == character)
                .and_then(|index| u8::try_from(index + 0x80).ok()),
        })
        .collect()
}

/// `str.encode("mbcs")` on an English Windows, as pywin32 converts an NCB name: the bytes,
/// or the `UnicodeEncodeError` Python's `mbcs` codec raises (for the whole string: Windows
/// does not say which character failed).
fn encode_name(value: &Bound<'_, PyString>) -> PyResult<Vec<u8>> {
    // A string with a lone surrogate has no UTF-8 form and no code page 1252 form either.
    let encoded = value.to_cow().ok().and_then(|text| encode_cp1252(&text));
    encoded.ok_or_else(|| {
        PyUnicodeEncodeError::new_err((NAME_CODEC, value.clone().unbind(), 0, 0, NAME_CODEC_REASON))
    })
}

/// The largest buffer an NCB can describe (`ncb_length` is a WORD).
const MAX_BUFFER: usize = 65_535;

/// What the NCB holds besides nb30.h's fields.
#[derive(Debug, Default)]
struct Attached {
    /// The object assigned to `Buffer`, returned when `Buffer` is read.
    user_buffer: Option<Py<PyAny>>,
    /// The object that provides the memory (`user_buffer`, or its `_buffer_`).
    memory: Option<Py<PyAny>>,
    /// A command's bytes are still to be copied into `memory`.
    copy_back: bool,
}

/// The attributes kept in slots, in slot order (see `slots`), each with the kind pywin32's
/// member table gives it. `Buffer` is not among them: it is a getter of the base, as pywin32
/// does not list it in `dir()`.
const SLOTS: [(&str, Member); 13] = [
    ("Command", Member::Number),
    ("Retcode", Member::Number),
    ("Lsn", Member::Number),
    ("Num", Member::Number),
    ("Bufflen", Member::ReadOnly),
    ("Callname", Member::String),
    ("Name", Member::String),
    ("Rto", Member::Number),
    ("Sto", Member::Number),
    ("Lana_num", Member::Number),
    ("Cmd_cplt", Member::Number),
    ("Event", Member::Number),
    ("Post", Member::Number),
];
const COMMAND: usize = 0;
const RETCODE: usize = 1;
const LSN: usize = 2;
const NUM: usize = 3;
const BUFFLEN: usize = 4;
const CALLNAME: usize = 5;
const NAME: usize = 6;
const RTO: usize = 7;
const STO: usize = 8;
const LANA_NUM: usize = 9;
const CMD_CPLT: usize = 10;
const EVENT: usize = 11;
const POST: usize = 12;

/// The public type, made at module init.
static NCB: PyOnceLock<SlottedType> = PyOnceLock::new();

/// Makes `win32wnet.NCB` (once).
pub(crate) fn ncb_type(py: Python<'_>) -> PyResult<&SlottedType> {
    NCB.get_or_try_init(py, || {
        let new = wrap_pyfunction!(new_ncb, py)?;
        SlottedType::build(py, &py.get_type::<PyNcb>(), "PyNCB", &SLOTS, new.as_any())
    })
}

fn the_type(py: Python<'_>) -> PyResult<&SlottedType> {
    NCB.get(py)
        .ok_or_else(|| PySystemError::new_err("win32wnet.NCB is not made yet"))
}

/// `NCB()`: the whole NCB zeroed, no buffer.
#[pyfunction]
#[pyo3(signature = (cls, *args, **kwargs))]
fn new_ncb<'py>(
    cls: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let object = new_base_object::<PyNcb>("NCB", cls, args, kwargs)?.cast_into::<PyNcb>()?;
    PyNcb::refresh(&object)?;
    let class = the_type(py)?;
    class.store(object.as_any(), EVENT, 0)?;
    class.store(object.as_any(), POST, 0)?;
    Ok(object.into_any())
}

// The base of `win32wnet.NCB`, which keeps nb30.h's fields in slots (see `slots`) and the
// control block itself, which an ASYNCH command fills on the engine's thread, here. The slots
// are written from the control block after each change: an assignment, a command's return, an
// ASYNCH command's completion (on the engine's thread, with the GIL), `Reset()`. The doc
// comment is the type's docstring.
/// A NetBIOS control block (`NCB`).
#[pyclass(name = "PyNCB", module = "wnet._native", subclass, frozen)]
pub(crate) struct PyNcb {
    ncb: SharedNcb,
    attached: Arc<Mutex<Attached>>,
}

fn no_delete() -> PyErr {
    PyAttributeError::new_err("can't delete NCB attributes")
}

/// The memory of `memory` as bytes (a C-contiguous view of unsigned bytes).
fn byte_view<'py>(memory: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // pywin32 asks for the buffer itself: no `memoryview: ` before the buffer protocol's
    // message.
    let view = PyMemoryView::from(memory).map_err(|error| {
        if error.is_instance_of::<PyTypeError>(memory.py()) {
            PyTypeError::new_err(format!(
                "a bytes-like object is required, not '{}'",
                type_name(memory)
            ))
        } else {
            error
        }
    })?;
    if view.getattr("readonly")?.is_truthy()? {
        return Err(PyBufferError::new_err("Object is not writable."));
    }
    if !view.getattr("c_contiguous")?.is_truthy()? {
        return Err(PyBufferError::new_err(
            "memoryview: underlying buffer is not C-contiguous",
        ));
    }
    view.call_method1("cast", ("B",))
}

/// Writes `data` (cut to the memory's size) at the start of `memory`.
fn write_memory(memory: &Bound<'_, PyAny>, data: &[u8]) -> PyResult<()> {
    let view = byte_view(memory)?;
    let count = data.len().min(view.len()?);
    let slice = pyo3::types::PySlice::new(memory.py(), 0, count.cast_signed(), 1);
    view.set_item(slice, PyBytes::new(memory.py(), &data[..count]))
}

/// A 16-byte name field as pywin32 reads it: up to the first NUL (`strncpy`), in code page
/// 1252.
fn read_name(field: &[u8; 16]) -> String {
    let end = field
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(field.len());
    decode_cp1252(&field[..end])
}

/// A completion routine that writes the finished command into the slots of `object` (and its
/// bytes into the caller's memory), once; it holds the object until then, as Windows needs an
/// NCB kept while its command runs.
fn refresh_on_completion(object: Py<PyNcb>) -> impl FnMut(&Ncb) + Send + 'static {
    let mut object = Some(object);
    move |_finished| {
        if let Some(object) = object.take() {
            // (No interpreter, no one to read the slots.)
            let _ = Python::try_attach(|py| PyNcb::refresh(object.bind(py)));
        }
    }
}

impl PyNcb {
    fn attached(&self) -> MutexGuard<'_, Attached> {
        self.attached.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Copies a finished command's bytes into the caller's memory, once, when the command is
    /// no longer pending (the check and the bytes come from one look at the NCB).
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        let mut attached = self.attached();
        if !attached.copy_back {
            return Ok(());
        }
        let ncb = self.ncb.lock();
        if ncb.cmd_cplt == nrc::NRC_PENDING {
            return Ok(());
        }
        attached.copy_back = false;
        if let Some(memory) = &attached.memory {
            write_memory(memory.bind(py), &ncb.buffer)?;
        }
        Ok(())
    }

    /// Writes the control block into the slots (`Cmd_cplt` last, as Windows does), after
    /// copying a finished command's bytes into the caller's memory.
    fn refresh(object: &Bound<'_, PyNcb>) -> PyResult<()> {
        let py = object.py();
        object.get().sync(py)?;
        // One look at the control block (its buffer is not copied).
        let (bytes, length, callname, name) = {
            let ncb = object.get().ncb.lock();
            let bytes = [
                (COMMAND, ncb.command),
                (RETCODE, ncb.retcode),
                (LSN, ncb.lsn),
                (NUM, ncb.num),
                (RTO, ncb.rto),
                (STO, ncb.sto),
                (LANA_NUM, ncb.lana_num),
                (CMD_CPLT, ncb.cmd_cplt),
            ];
            (bytes, ncb.length, ncb.callname, ncb.name)
        };
        let class = the_type(py)?;
        let object = object.as_any();
        class.store(object, BUFFLEN, length.cast_signed())?;
        class.store(object, CALLNAME, read_name(&callname))?;
        class.store(object, NAME, read_name(&name))?;
        for (slot, byte) in bytes {
            class.store(object, slot, byte.cast_signed())?;
        }
        Ok(())
    }

    /// Stores the low byte of a C long in the NCB and its slot, then warns (as CPython's
    /// `T_BYTE` members do) when the value does not fit a signed char: the byte is stored
    /// either way.
    fn set_byte(
        object: &Bound<'_, PyNcb>,
        slot: usize,
        value: &Bound<'_, PyAny>,
        write: impl FnOnce(&mut Ncb, u8),
    ) -> PyResult<()> {
        let py = object.py();
        let long = c_long(value)?;
        // `(char)v`: the low byte.
        let byte = long.to_le_bytes()[0];
        write(&mut object.get().ncb.lock(), byte);
        the_type(py)?.store(object.as_any(), slot, byte.cast_signed())?;
        if !(-128..=127).contains(&long) {
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                c"Truncation of value to char",
                1,
            )?;
        }
        Ok(())
    }

    fn set_name(
        object: &Bound<'_, PyNcb>,
        slot: usize,
        value: &Bound<'_, PyAny>,
        write: impl FnOnce(&mut Ncb, [u8; 16]),
    ) -> PyResult<()> {
        let bytes: Vec<u8> = if let Ok(text) = value.cast::<PyString>() {
            encode_name(text)?
        } else if value.is_instance_of::<PyBytes>() {
            value.extract()?
        } else if value.is_none() {
            return Err(PyTypeError::new_err(
                "None is not a valid string in this context",
            ));
        } else {
            return Err(PyTypeError::new_err(format!(
                "Expected 'bytes', got '{}'",
                type_name(value)
            )));
        };
        // pywin32: spaces, then strncpy of at most 16 bytes (a NUL ends the name and zeroes
        // the rest of its length). An empty value leaves the 16 spaces, and pywin32 then
        // zeroes the first byte of Callname whichever name was set: an empty Callname reads
        // "", an empty Name 16 spaces (its Callname is left alone here).
        let count = bytes.len().min(16);
        let mut field = [b' '; 16];
        let mut ended = false;
        for (slot, &byte) in field.iter_mut().zip(&bytes[..count]) {
            ended |= byte == 0;
            *slot = if ended { 0 } else { byte };
        }
        if count == 0 && slot == CALLNAME {
            field[0] = 0;
        }
        write(&mut object.get().ncb.lock(), field);
        the_type(object.py())?.store(object.as_any(), slot, read_name(&field))
    }

    /// Takes a writable buffer (or an object whose `_buffer_` is one) of at most 65,535
    /// bytes; `Bufflen` becomes its length.
    fn set_buffer(object: &Bound<'_, PyNcb>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if value.is_none() {
            return Err(PyTypeError::new_err("Buffer cannot be None"));
        }
        // pywin32 (PyNCB::setattro) clears whatever error reading `_buffer_` raises and uses
        // the object itself.
        let memory = value
            .getattr(pyo3::intern!(value.py(), "_buffer_"))
            .unwrap_or_else(|_| value.clone());
        let length = byte_view(&memory)?.len()?;
        if length > MAX_BUFFER {
            return Err(PyValueError::new_err("Buffer can be at most 65535 bytes"));
        }
        let ncb = object.get();
        ncb.sync(value.py())?;
        ncb.ncb.lock().length = length as u16;
        {
            let mut attached = ncb.attached();
            attached.user_buffer = Some(value.clone().unbind());
            attached.memory = Some(memory.unbind());
            attached.copy_back = false;
        }
        the_type(object.py())?.store(object.as_any(), BUFFLEN, (length as u16).cast_signed())
    }

    /// Runs the NCB's command (`Netbios(ncb)`), the GIL released while it runs.
    fn run(object: &Bound<'_, PyNcb>) -> PyResult<u8> {
        let py = object.py();
        let this = object.get();
        this.sync(py)?;
        let memory = this
            .attached()
            .memory
            .as_ref()
            .map(|memory| memory.clone_ref(py));
        let data: Vec<u8> = match &memory {
            Some(memory) => byte_view(memory.bind(py))?
                .call_method0("tobytes")?
                .extract()?,
            None => Vec::new(),
        };
        let (starts, asynch) = {
            let mut ncb = this.ncb.lock();
            // An NCB still in use is refused by the engine, its buffer untouched.
            let starts = ncb.cmd_cplt != nrc::NRC_PENDING;
            if starts {
                ncb.buffer = data;
            }
            (starts, ncb.command & wnet_netbios::nb30::ASYNCH != 0)
        };
        if starts {
            this.attached().copy_back = memory.is_some();
        }
        let ncb = this.ncb.clone();
        // An ASYNCH command finishes on the engine's thread: its completion writes the slots
        // there (while Python runs). A refused NCB keeps the completion routine of the command
        // still running on it.
        let completion = (starts && asynch).then(|| object.clone().unbind());
        let ran = crate::blocking::interruptible(py, move || {
            if starts {
                match completion {
                    Some(object) => ncb.set_post(refresh_on_completion(object)),
                    None => ncb.set_post(|_| {}),
                }
            }
            wnet_netbios::netbios(&ncb)
        });
        if ran.is_err() && starts && !asynch {
            // Ctrl-C ends the wait, not the command: the NCB stays pending until it completes,
            // and then its completion writes the slots (or, if it has already, this does).
            let ncb = this.ncb.clone();
            let completion = refresh_on_completion(object.clone().unbind());
            py.detach(move || ncb.set_post(completion));
        }
        PyNcb::refresh(object)?;
        ran
    }
}

#[allow(non_snake_case)] // pywin32's attribute names
#[pymethods]
impl PyNcb {
    #[new]
    fn py_new() -> PyNcb {
        PyNcb {
            ncb: SharedNcb::new(Ncb::new()),
            attached: Arc::new(Mutex::new(Attached::default())),
        }
    }

    /// pywin32's default repr (the type has no module).
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        format!("<PyNCB object at {:#x}>", slf.as_ptr() as usize)
    }

    /// Checks and converts `value` by pywin32's rules, then stores it in the NCB and its slot.
    fn __setattr__(slf: &Bound<'_, Self>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        match name {
            "Command" => Self::set_byte(slf, COMMAND, value, |ncb, byte| ncb.command = byte),
            "Retcode" => Self::set_byte(slf, RETCODE, value, |ncb, byte| ncb.retcode = byte),
            "Lsn" => Self::set_byte(slf, LSN, value, |ncb, byte| ncb.lsn = byte),
            "Num" => Self::set_byte(slf, NUM, value, |ncb, byte| ncb.num = byte),
            "Rto" => Self::set_byte(slf, RTO, value, |ncb, byte| ncb.rto = byte),
            "Sto" => Self::set_byte(slf, STO, value, |ncb, byte| ncb.sto = byte),
            "Lana_num" => Self::set_byte(slf, LANA_NUM, value, |ncb, byte| ncb.lana_num = byte),
            "Cmd_cplt" => Self::set_byte(slf, CMD_CPLT, value, |ncb, byte| ncb.cmd_cplt = byte),
            "Bufflen" => Err(PyAttributeError::new_err("readonly attribute")),
            "Callname" => Self::set_name(slf, CALLNAME, value, |ncb, field| ncb.callname = field),
            "Name" => Self::set_name(slf, NAME, value, |ncb, field| ncb.name = field),
            // 32-bit values, kept but unused (no Windows events or callbacks here).
            "Event" => the_type(slf.py())?.store(slf.as_any(), EVENT, c_long(value)?),
            "Post" => the_type(slf.py())?.store(slf.as_any(), POST, c_long(value)?),
            "Buffer" => Self::set_buffer(slf, value),
            other => Err(crate::convert::no_such_attribute("PyNCB", other)),
        }
    }

    fn __delattr__(_slf: &Bound<'_, Self>, _name: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(no_delete())
    }

    /// pywin32's objects cannot be pickled or copied.
    fn __reduce_ex__(_slf: &Bound<'_, Self>, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle 'PyNCB' object"))
    }

    /// Zeroes the whole NCB and drops its buffer.
    fn Reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        *slf.get().ncb.lock() = Ncb::new();
        *slf.get().attached() = Attached::default();
        Self::refresh(slf)?;
        let class = the_type(slf.py())?;
        class.store(slf.as_any(), EVENT, 0)?;
        class.store(slf.as_any(), POST, 0)
    }

    /// The attribute names, without `Buffer` (pywin32 does not list it).
    fn __dir__(slf: &Bound<'_, Self>) -> PyResult<Vec<String>> {
        let names: Vec<String> = slf
            .py()
            .import("builtins")?
            .getattr("object")?
            .call_method1("__dir__", (slf,))?
            .extract()?;
        Ok(names.into_iter().filter(|name| name != "Buffer").collect())
    }

    /// The object assigned to `Buffer`, or `None`.
    #[getter]
    fn Buffer(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.sync(py)?;
        Ok(self
            .attached()
            .user_buffer
            .as_ref()
            .map(|buffer| buffer.clone_ref(py)))
    }
}

// `NCBBuffer(size)`: `memoryview(bytearray(size))`, zero-filled (pywin32 leaves it
// uninitialised). The doc comment is pywin32's docstring.
/// Creates a memory buffer
#[pyfunction]
#[pyo3(name = "NCBBuffer", signature = (size, /))]
pub(crate) fn ncb_buffer<'py>(size: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyMemoryView>> {
    let py = size.py();
    let size = crate::convert::c_int(size)?;
    let size = usize::try_from(size).map_err(|_| {
        pyo3::exceptions::PySystemError::new_err(
            "Negative size passed to PyByteArray_FromStringAndSize",
        )
    })?;
    let array = PyByteArray::new(py, &vec![0; size]);
    PyMemoryView::from(&array)
}

// `Netbios(ncb)`: runs the NCB's command with the GIL released and returns its NRC code
// (unsigned); NetBIOS failures are only that code and the NCB's fields, never an exception.
// The doc comment is pywin32's docstring.
/// Calls the windows Netbios function
#[pyfunction]
#[pyo3(name = "Netbios", signature = (ncb, /))]
pub(crate) fn netbios(ncb: &Bound<'_, PyAny>) -> PyResult<u8> {
    if !the_type(ncb.py())?.is_instance(ncb) {
        // `"O!:Netbios"`.
        let argument = crate::convert::Argument {
            function: Some("Netbios"),
            number: 1,
        };
        return Err(argument.must_be("PyNCB", ncb));
    }
    PyNcb::run(ncb.cast::<PyNcb>()?)
}
