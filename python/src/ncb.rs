//! `win32wnet.NCB` (pywin32's `PyNCB`), `NCBBuffer` and `Netbios`.
//!
//! The control block lives in a [`SharedNcb`] of `wnet-netbios`, so that an ASYNCH command can
//! finish on the engine's thread while Python reads `Retcode`/`Cmd_cplt`. The buffer is the
//! caller's writable memory (pywin32 hands Windows its address): its bytes are copied into the
//! NCB before each command and the command's bytes copied back when it completes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{PyAttributeError, PyBufferError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use wnet_netbios::nb30::nrc;
use wnet_netbios::{Ncb, SharedNcb};

use crate::convert::{c_long, type_name};

/// The ANSI code page pywin32 uses for NCB names (`mbcs` on an English Windows).
const NAME_CODEC: &str = "cp1252";
/// Code page 1252's characters for the bytes 0x80..=0x9F (`None`: undefined there); every
/// other byte is its Latin-1 character.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// `bytes.decode("cp1252", "ignore")`, without a round trip through Python's codecs (names
/// are read often).
fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .filter_map(|&byte| match byte {
            0x80..=0x9F => CP1252_HIGH[usize::from(byte - 0x80)],
            _ => Some(char::from(byte)),
        })
        .collect()
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
    /// `Event` and `Post`: 32-bit values, kept but unused (no Windows events or callbacks here).
    event: i32,
    post: i32,
}

/// A NetBIOS control block (`NCB`).
#[pyclass(name = "PyNCB", frozen)]
pub(crate) struct PyNcb {
    ncb: SharedNcb,
    attached: Arc<Mutex<Attached>>,
}

fn no_delete() -> PyErr {
    PyAttributeError::new_err("can't delete NCB attributes")
}

/// The memory of `memory` as bytes (a C-contiguous view of unsigned bytes).
fn byte_view<'py>(memory: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let view = PyMemoryView::from(memory)?;
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

    fn byte(&self, py: Python<'_>, read: impl FnOnce(&Ncb) -> u8) -> PyResult<i8> {
        self.sync(py)?;
        Ok(read(&self.ncb.lock()).cast_signed())
    }

    /// Stores the low byte of a C long, warning (as CPython's `T_BYTE` members do) when the
    /// value does not fit a signed char; the byte is stored either way.
    fn set_byte(&self, value: &Bound<'_, PyAny>, write: impl FnOnce(&mut Ncb, u8)) -> PyResult<()> {
        let long = c_long(value)?;
        // `(char)v`: the low byte.
        write(&mut self.ncb.lock(), long.to_le_bytes()[0]);
        if !(-128..=127).contains(&long) {
            let py = value.py();
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                c"Truncation of value to char",
                1,
            )?;
        }
        Ok(())
    }

    fn name(&self, read: impl FnOnce(&Ncb) -> [u8; 16]) -> String {
        let field = read(&self.ncb.lock());
        // strncpy: the name ends at the first NUL.
        let end = field
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(field.len());
        decode_cp1252(&field[..end])
    }

    fn set_name(
        &self,
        value: &Bound<'_, PyAny>,
        write: impl FnOnce(&mut Ncb, [u8; 16]),
    ) -> PyResult<()> {
        let bytes: Vec<u8> = if value.is_instance_of::<PyString>() {
            value.call_method1("encode", (NAME_CODEC,))?.extract()?
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
        // the rest of its length), and an empty name is a NUL first byte.
        let count = bytes.len().min(16);
        let mut field = [b' '; 16];
        let mut ended = false;
        for (slot, &byte) in field.iter_mut().zip(&bytes[..count]) {
            ended |= byte == 0;
            *slot = if ended { 0 } else { byte };
        }
        if count == 0 {
            field[0] = 0;
        }
        write(&mut self.ncb.lock(), field);
        Ok(())
    }

    /// Runs the NCB's command (`Netbios(ncb)`), the GIL released while it runs.
    pub(crate) fn run(&self, py: Python<'_>) -> PyResult<u8> {
        self.sync(py)?;
        let memory = self
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
            let mut ncb = self.ncb.lock();
            // An NCB still in use is refused by the engine, its buffer untouched.
            let starts = ncb.cmd_cplt != nrc::NRC_PENDING;
            if starts {
                ncb.buffer = data;
            }
            (starts, ncb.command & wnet_netbios::nb30::ASYNCH != 0)
        };
        if starts {
            self.attached().copy_back = memory.is_some();
        }
        let ncb = self.ncb.clone();
        let attached = Arc::clone(&self.attached);
        // Ctrl-C ends the wait, not the command: the NCB stays pending until it completes.
        let code = crate::blocking::interruptible(py, move || {
            // (A refused NCB keeps the completion routine of the command still running on it.)
            if starts {
                match memory.filter(|_| asynch) {
                    // The command finishes on the engine's thread: its bytes are copied back
                    // there (while Python runs), unless a read of the NCB did it first.
                    Some(memory) => ncb.set_post(move |finished| {
                        let _ = Python::try_attach(|py| {
                            let mut attached =
                                attached.lock().unwrap_or_else(PoisonError::into_inner);
                            if attached.copy_back {
                                attached.copy_back = false;
                                let _ = write_memory(memory.bind(py), &finished.buffer);
                            }
                        });
                    }),
                    None => ncb.set_post(|_| {}),
                }
            }
            wnet_netbios::netbios(&ncb)
        })?;
        self.sync(py)?;
        Ok(code)
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

    // pywin32's own setattro refuses every deletion with its message; assignments go to the
    // attributes' setters as usual (a setattro slot has both halves, so both are defined).
    fn __setattr__(slf: &Bound<'_, Self>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let ncb = slf.get();
        match name {
            "Command" => ncb.set_Command(value),
            "Retcode" => ncb.set_Retcode(value),
            "Lsn" => ncb.set_Lsn(value),
            "Num" => ncb.set_Num(value),
            "Rto" => ncb.set_Rto(value),
            "Sto" => ncb.set_Sto(value),
            "Lana_num" => ncb.set_Lana_num(value),
            "Cmd_cplt" => ncb.set_Cmd_cplt(value),
            "Bufflen" => Err(PyAttributeError::new_err("readonly attribute")),
            "Callname" => ncb.set_Callname(value),
            "Name" => ncb.set_Name(value),
            "Event" => ncb.set_Event(value),
            "Post" => ncb.set_Post(value),
            "Buffer" => ncb.set_Buffer(value),
            other => Err(crate::convert::no_such_attribute("PyNCB", other)),
        }
    }

    fn __delattr__(_slf: &Bound<'_, Self>, _name: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(no_delete())
    }

    /// Zeroes the whole NCB and drops its buffer.
    fn Reset(&self) {
        *self.ncb.lock() = Ncb::new();
        *self.attached() = Attached::default();
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

    #[getter]
    fn Command(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.command)
    }
    #[setter]
    fn set_Command(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.command = byte)
    }
    #[getter]
    fn Retcode(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.retcode)
    }
    #[setter]
    fn set_Retcode(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.retcode = byte)
    }
    #[getter]
    fn Lsn(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.lsn)
    }
    #[setter]
    fn set_Lsn(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.lsn = byte)
    }
    #[getter]
    fn Num(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.num)
    }
    #[setter]
    fn set_Num(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.num = byte)
    }
    #[getter]
    fn Rto(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.rto)
    }
    #[setter]
    fn set_Rto(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.rto = byte)
    }
    #[getter]
    fn Sto(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.sto)
    }
    #[setter]
    fn set_Sto(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.sto = byte)
    }
    #[getter]
    fn Lana_num(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.lana_num)
    }
    #[setter]
    fn set_Lana_num(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.lana_num = byte)
    }
    #[getter]
    fn Cmd_cplt(&self, py: Python<'_>) -> PyResult<i8> {
        self.byte(py, |ncb| ncb.cmd_cplt)
    }
    #[setter]
    fn set_Cmd_cplt(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_byte(value, |ncb, byte| ncb.cmd_cplt = byte)
    }

    /// `ncb_length`, signed 16-bit, read-only (assigning `Buffer` sets it).
    #[getter]
    fn Bufflen(&self, py: Python<'_>) -> PyResult<i16> {
        self.sync(py)?;
        Ok(self.ncb.lock().length.cast_signed())
    }
    #[setter]
    fn set_Bufflen(_slf: &Bound<'_, Self>, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err("readonly attribute"))
    }

    #[getter]
    fn Callname(&self) -> String {
        self.name(|ncb| ncb.callname)
    }
    #[setter]
    fn set_Callname(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_name(value, |ncb, field| ncb.callname = field)
    }
    #[getter]
    fn Name(&self) -> String {
        self.name(|ncb| ncb.name)
    }
    #[setter]
    fn set_Name(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_name(value, |ncb, field| ncb.name = field)
    }

    #[getter]
    fn Event(&self) -> i32 {
        self.attached().event
    }
    #[setter]
    fn set_Event(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.attached().event = c_long(value)?;
        Ok(())
    }
    #[getter]
    fn Post(&self) -> i32 {
        self.attached().post
    }
    #[setter]
    fn set_Post(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.attached().post = c_long(value)?;
        Ok(())
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
    /// Takes a writable buffer (or an object whose `_buffer_` is one) of at most 65,535
    /// bytes; `Bufflen` becomes its length.
    #[setter]
    fn set_Buffer(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if value.is_none() {
            return Err(PyTypeError::new_err("Buffer cannot be None"));
        }
        let memory = match value.getattr_opt("_buffer_")? {
            Some(inner) => inner,
            None => value.clone(),
        };
        let length = byte_view(&memory)?.len()?;
        if length > MAX_BUFFER {
            return Err(PyValueError::new_err("Buffer can be at most 65535 bytes"));
        }
        self.sync(value.py())?;
        self.ncb.lock().length = length as u16;
        let mut attached = self.attached();
        attached.user_buffer = Some(value.clone().unbind());
        attached.memory = Some(memory.unbind());
        attached.copy_back = false;
        Ok(())
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
    let ncb = ncb.cast::<PyNcb>().map_err(|_| {
        PyTypeError::new_err(format!("argument 1 must be PyNCB, not {}", type_name(ncb)))
    })?;
    ncb.get().run(ncb.py())
}
