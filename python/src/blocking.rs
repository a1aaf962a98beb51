//! Blocking calls that Ctrl-C interrupts: the call runs on a thread of its own while the
//! caller waits without the GIL, looking at Python's signals every 100 ms, so that a
//! KeyboardInterrupt reaches the script within a second however long the network takes. An
//! interrupted call finishes on its thread (every one is bounded by its own timeouts) and its
//! result is dropped.

use std::sync::mpsc;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often a waiting caller looks at Python's signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `work` on its own thread and waits for it, the GIL released, answering Ctrl-C. The
/// WNet last error it records is carried over to the caller's thread, where
/// `WNetGetLastError` looks.
pub(crate) fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("wnet-call".into())
        .spawn(move || {
            let value = work();
            // The caller may have been interrupted and gone: then nobody wants the value.
            let _ = sender.send((value, wnet::get_last_error()));
        })
        .map_err(|error| PyRuntimeError::new_err(format!("cannot start a thread: {error}")))?;
    let mut receiver = receiver;
    loop {
        // The receiver goes with the wait (it may not be shared) and comes back.
        let (outcome, back) = py.detach(move || (receiver.recv_timeout(SIGNAL_CHECK), receiver));
        receiver = back;
        match outcome {
            Ok((value, (code, text, provider))) => {
                if code != 0 || !text.is_empty() || !provider.is_empty() {
                    wnet::set_last_error(code, text, provider);
                }
                return Ok(value);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "a wnet call ended without an answer (its thread panicked)",
                ));
            }
        }
    }
}
