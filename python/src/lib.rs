//! The Python extension module `wnet._native`.
//!
//! This crate owns only the conversion between Python and the Rust crates: argument parsing,
//! type and error conversion, and releasing the GIL around every network call. All behaviour
//! lives in the Rust crates below it (`wnet-nbt`, `wnet-netbios`, `wnet`); the Python sources
//! beside it (`python/wnet`, and the pywin32-compatible modules) are thin. Nothing depends on
//! this crate.

use pyo3::prelude::*;

/// The native part of the `wnet` package.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
