//! The native side of the direct file API (`wnet._files`): a file channel to one share's
//! files over the agent's session ([`wnet::api::FileChannel`]), each call made with the GIL
//! released, and `OSError`s carrying Windows' code in `winerror`.

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use wnet::api;
use wnet::file_channel::{FileInfo, OpenMode};
use wnet::unc::UncName;

use crate::paths::win_os_error;

/// A file's attributes as `_files` takes them: size, allocation size, attributes, then the
/// creation, last access, last write and change times (FILETIME).
type InfoTuple = (u64, u64, u32, u64, u64, u64, u64);

fn info_tuple(info: &FileInfo) -> InfoTuple {
    (
        info.end_of_file,
        info.allocation_size,
        info.attributes,
        info.creation_time,
        info.last_access_time,
        info.last_write_time,
        info.change_time,
    )
}

/// `_share_path(path)`: `(server, share, path in the share)` for a UNC or redirected drive
/// letter's path; `OSError` with `winerror` for any other.
#[pyfunction]
pub(crate) fn _share_path(
    py: Python<'_>,
    path: &Bound<'_, PyString>,
) -> PyResult<(String, String, String)> {
    let text: String = path.extract()?;
    let found = py
        .detach(|| api::share_path(&text))
        .map_err(|error| win_os_error(py, &error, path.as_any()))?;
    Ok((
        found.share.server,
        found.share.share.unwrap_or_default(),
        found.path,
    ))
}

/// A channel to one share's files (`FileChannel(server, share)`), connected implicitly if the
/// agent has no connection to the share. Safe to share between threads: calls take turns.
#[pyclass(frozen, module = "wnet._native", name = "FileChannel")]
pub(crate) struct FileChannel {
    channel: Mutex<api::FileChannel>,
    /// `\\server\share`, named in errors.
    name: String,
}

impl FileChannel {
    /// Runs `call` on the channel with the GIL released; an error names `filename`.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        filename: &str,
        call: impl FnOnce(&mut api::FileChannel) -> Result<T, wnet::WinError> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut channel = self.channel.lock().unwrap_or_else(PoisonError::into_inner);
            call(&mut channel)
        })
        .map_err(|error| {
            let name = format!("{}\\{}", self.name, filename);
            win_os_error(
                py,
                &error,
                PyString::new(py, name.trim_end_matches('\\')).as_any(),
            )
        })
    }
}

#[pymethods]
impl FileChannel {
    #[new]
    fn new(py: Python<'_>, server: &str, share: &str) -> PyResult<FileChannel> {
        let unc = UncName {
            server: server.to_owned(),
            share: Some(share.to_owned()),
            path: Vec::new(),
        };
        let name = unc.to_windows();
        let channel = py
            .detach(|| api::FileChannel::open(&unc))
            .map_err(|error| win_os_error(py, &error, PyString::new(py, &name).as_any()))?;
        Ok(FileChannel {
            channel: Mutex::new(channel),
            name,
        })
    }

    /// The most one read asks of the server.
    #[getter]
    fn max_read(&self) -> u32 {
        self.channel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .max_read()
    }

    /// Opens `path`: `(handle, info)`.
    #[allow(clippy::too_many_arguments)] // SMB2 CREATE's fields, each needed
    fn open_file(
        &self,
        py: Python<'_>,
        path: &str,
        access: u32,
        share_access: u32,
        disposition: u32,
        options: u32,
        attributes: u32,
    ) -> PyResult<(u64, InfoTuple)> {
        let mode = OpenMode {
            access,
            share_access,
            disposition,
            options,
            attributes,
        };
        self.run(py, path, |channel| channel.open_file(path, mode))
            .map(|(handle, info)| (handle, info_tuple(&info)))
    }

    /// Reads up to `length` bytes at `offset`: the data goes straight into the `bytes` object
    /// returned (with the GIL released), not through a buffer of its own; a read cut short by
    /// the end of the file is copied into a shorter one.
    fn read<'py>(
        &self,
        py: Python<'py>,
        handle: u64,
        offset: u64,
        length: usize,
        path: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let length = length.min(api::MAX_READ_CALL);
        let mut count = 0;
        let data = PyBytes::new_with(py, length, |buffer| {
            count = self.run(py, path, |channel| {
                channel.read_into(handle, offset, buffer)
            })?;
            Ok(())
        })?;
        if count == length {
            Ok(data)
        } else {
            Ok(PyBytes::new(py, &data.as_bytes()[..count]))
        }
    }

    /// Reads up to `length` bytes at `offset` into the start of `buffer` (with the GIL
    /// released): how many were read. The buffer is the file object's own, which nothing
    /// else writes.
    fn read_into(
        &self,
        py: Python<'_>,
        handle: u64,
        offset: u64,
        buffer: &Bound<'_, PyByteArray>,
        length: usize,
        path: &str,
    ) -> PyResult<usize> {
        // A view exported for the call: a bytearray refuses to be resized while one is, so
        // its storage stays where it is even with the GIL released.
        let _pinned = PyMemoryView::from(buffer.as_any())?;
        let length = length.min(buffer.len()).min(api::MAX_READ_CALL);
        // SAFETY: `buffer` is a live bytearray of at least `length` bytes (checked above),
        // kept alive by the borrow and kept from being resized or freed by `_pinned` until
        // the read returns; the file object it belongs to is the only writer of it.
        #[allow(unsafe_code)]
        let target = unsafe { &mut buffer.as_bytes_mut()[..length] };
        self.run(py, path, |channel| {
            channel.read_into(handle, offset, target)
        })
    }

    /// Writes `data` at `offset`, behind (a failure is reported by a later call).
    fn write(
        &self,
        py: Python<'_>,
        handle: u64,
        offset: u64,
        data: &Bound<'_, PyBytes>,
        path: &str,
    ) -> PyResult<()> {
        let bytes = data.as_bytes();
        self.run(py, path, |channel| {
            channel.write_behind(handle, offset, bytes)
        })
    }

    /// Writes `data` at `offset` and closes the file, the last write and the close in one
    /// round trip to the server; once everything is answered.
    fn write_and_close(
        &self,
        py: Python<'_>,
        handle: u64,
        offset: u64,
        data: &Bound<'_, PyBytes>,
        path: &str,
    ) -> PyResult<()> {
        let bytes = data.as_bytes();
        self.run(py, path, |channel| {
            channel.write_and_close(handle, offset, bytes)
        })
    }

    /// Closes the file, once its writes are answered.
    fn close_file(&self, py: Python<'_>, handle: u64, path: &str) -> PyResult<()> {
        self.run(py, path, |channel| channel.close_file(handle))
    }

    /// Flushes the file to the server's disk.
    fn flush(&self, py: Python<'_>, handle: u64, path: &str) -> PyResult<()> {
        self.run(py, path, |channel| channel.flush(handle))
    }

    /// Waits for the writes behind.
    fn settle(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        self.run(py, path, api::FileChannel::settle)
    }

    /// Sets the file's size.
    fn set_size(&self, py: Python<'_>, handle: u64, size: u64, path: &str) -> PyResult<()> {
        self.run(py, path, |channel| channel.set_size(handle, size))
    }

    /// The open file's attributes.
    fn query(&self, py: Python<'_>, handle: u64, path: &str) -> PyResult<InfoTuple> {
        self.run(py, path, |channel| channel.query(handle))
            .map(|info| info_tuple(&info))
    }

    /// `path`'s attributes.
    fn stat(&self, py: Python<'_>, path: &str) -> PyResult<InfoTuple> {
        self.run(py, path, |channel| channel.stat(path))
            .map(|info| info_tuple(&info))
    }

    /// The directory's entries: `[(name, info)]`.
    fn list(&self, py: Python<'_>, path: &str) -> PyResult<Vec<(String, InfoTuple)>> {
        self.run(py, path, |channel| channel.list(path))
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|(name, info)| (name, info_tuple(&info)))
                    .collect()
            })
    }

    /// Renames `source` to `target`.
    fn rename(&self, py: Python<'_>, source: &str, target: &str, replace: bool) -> PyResult<()> {
        self.run(py, source, |channel| {
            channel.rename(source, target, replace)
        })
    }

    /// Deletes a file (or an empty directory).
    fn delete(&self, py: Python<'_>, path: &str, directory: bool) -> PyResult<()> {
        self.run(py, path, |channel| channel.delete(path, directory))
    }

    /// Makes a directory.
    fn make_directory(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        self.run(py, path, |channel| channel.make_directory(path))
    }
}
