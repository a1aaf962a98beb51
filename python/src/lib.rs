//! The Python extension module `wnet._native`.
//!
//! This crate owns only the conversion between Python and the Rust crates: argument parsing,
//! type and error conversion, and releasing the GIL around every network call. All behaviour
//! lives in the Rust crates below it (`wnet-netbios`, `wnet`, `wnet-agent`); the Python sources
//! beside it (`python/wnet`, and the pywin32-compatible modules) are thin. Nothing depends on
//! this crate.
//!
//! Its submodules `win32wnet` and `pywintypes` hold pywin32's surface; the top-level modules of
//! the same names (`python/win32wnet.py`, `python/pywintypes.py`) re-export them.

mod blocking;
mod convert;
mod errors;
mod files;
mod getargs;
mod handle;
mod name_service;
mod ncb;
mod netresource;
mod path_function;
mod paths;
mod pythonic;
mod slots;
mod win32wnet;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Every block the extension's Rust code frees is zeroed first: passwords pass through it (as
/// a client, and as the agent when the interpreter runs `wnet._agent`), and some of their
/// copies are made where our code cannot zero them. Python's own objects (the `str` a password
/// came in) are the interpreter's and are not affected.
#[global_allocator]
static ALLOCATOR: wnet::zeroing_alloc::ZeroingAllocator = wnet::zeroing_alloc::ZeroingAllocator;

/// `wnet._native.win32wnet`: pywin32's `win32wnet`.
fn win32wnet_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let module = PyModule::new(py, "win32wnet")?;
    module.add("error", errors::error_class(py)?)?;
    let resource_type = netresource::netresource_type(py)?.class(py);
    module.add("NETRESOURCE", resource_type)?;
    module.add("NETRESOURCEType", resource_type)?;
    let ncb_type = ncb::ncb_type(py)?.class(py);
    module.add("NCB", ncb_type)?;
    module.add("NCBType", ncb_type)?;
    module.add_function(wrap_pyfunction!(ncb::ncb_buffer, &module)?)?;
    module.add_function(wrap_pyfunction!(ncb::netbios, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::add_connection2, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::add_connection3, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::cancel_connection2, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::open_enum, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::close_enum, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::enum_resource, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::get_user, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::get_connection, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::get_universal_name, &module)?)?;
    module.add_function(wrap_pyfunction!(
        win32wnet::get_resource_information,
        &module
    )?)?;
    module.add_function(wrap_pyfunction!(win32wnet::get_resource_parent, &module)?)?;
    module.add_function(wrap_pyfunction!(win32wnet::get_last_error, &module)?)?;
    Ok(module)
}

/// `wnet._native.pywintypes`: pywin32's `error` and `HANDLE`.
fn pywintypes_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let module = PyModule::new(py, "pywintypes")?;
    module.add("error", errors::error_class(py)?)?;
    handle::name_handle_type(py)?;
    module.add("HANDLEType", py.get_type::<handle::PyHandle>())?;
    module.add_function(wrap_pyfunction!(handle::new_handle, &module)?)?;
    Ok(module)
}

/// What the interpreter runs to be the agent: `sys.path[0]` is the current directory under
/// `-c`.
const AGENT_BOOTSTRAP: &str =
    "import sys; del sys.path[0]; from wnet._agent import main; sys.exit(main())";

/// Runs the agent (`python -m wnet._agent ARGS`) until it stops; returns its exit code.
#[pyfunction]
fn _agent_main(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| wnet_agent::run(args))
}

/// Runs the `wnet` command with `argv` (its program name first, as `sys.argv`) until it ends;
/// returns its exit code. The wheel's `wnet` entry point (`wnet._commands`).
#[pyfunction]
fn _cli_main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    py.detach(|| wnet_cli::main(argv))
}

/// The running agent's state (`pid`, `connections`, `sessions`), or `None` when none runs on
/// this process's socket.
#[pyfunction]
fn _agent_status(py: Python<'_>) -> PyResult<Option<Bound<'_, PyDict>>> {
    use wnet::agent_protocol::{Request, Response};
    let status = py.detach(|| {
        wnet::agent_client::AgentClient::connect_running()
            .and_then(|mut agent| agent.call(Request::Status).ok())
    });
    let Some(Response::Status {
        pid,
        connections,
        sessions,
        ..
    }) = status
    else {
        return Ok(None);
    };
    let state = PyDict::new(py);
    state.set_item("pid", pid)?;
    state.set_item("connections", connections)?;
    state.set_item("sessions", sessions)?;
    state.set_item(
        "socket",
        wnet::agent_client::agent_socket_path().into_os_string(),
    )?;
    Ok(Some(state))
}

/// Stops the agent of this process's socket (waiting until it has let go of the socket);
/// whether one was running.
#[pyfunction]
fn _agent_stop(py: Python<'_>) -> PyResult<bool> {
    py.detach(wnet::agent_client::stop_agent)
        .map_err(|error| errors::win_error(py, &error, "agent stop"))
}

/// The native part of the `wnet` package.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_submodule(&win32wnet_module(py)?)?;
    module.add_submodule(&pywintypes_module(py)?)?;
    module.add_function(wrap_pyfunction!(_agent_main, module)?)?;
    module.add_function(wrap_pyfunction!(_cli_main, module)?)?;
    module.add_function(wrap_pyfunction!(_agent_status, module)?)?;
    module.add_function(wrap_pyfunction!(_agent_stop, module)?)?;
    module.add_class::<pythonic::ScanResults>()?;
    module.add_function(wrap_pyfunction!(pythonic::_connect, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_cancel, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_connections, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_shares, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_servers, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_workgroups, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_neighbourhood, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_universal_name, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_dfs_targets, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_lookup, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_node_status, module)?)?;
    module.add_function(wrap_pyfunction!(pythonic::_scan, module)?)?;
    module.add_function(wrap_pyfunction!(paths::_local_path, module)?)?;
    module.add_function(wrap_pyfunction!(paths::_is_network_path, module)?)?;
    module.add_function(wrap_pyfunction!(paths::_path_support, module)?)?;
    module.add_function(wrap_pyfunction!(paths::_winerror, module)?)?;
    module.add(
        "PathFunction",
        path_function::path_function_type(module.py())?,
    )?;
    module.add_function(wrap_pyfunction!(files::_share_path, module)?)?;
    module.add_class::<files::FileChannel>()?;
    // The interpreter is this process's executable: no `wnet-agent` sits beside it, so the
    // interpreter runs `wnet._agent` (unless $WNET_AGENT_PROGRAM names an agent), the current
    // directory dropped from its import path first (a `wnet` source tree there must not stand
    // in for the installed package).
    let executable: Option<std::path::PathBuf> = py
        .import("sys")?
        .getattr("executable")?
        .extract::<Option<std::path::PathBuf>>()?
        .filter(|path| !path.as_os_str().is_empty());
    if let Some(executable) = executable {
        wnet::agent_client::set_agent_command(
            executable,
            vec!["-c".into(), AGENT_BOOTSTRAP.into()],
        );
    }
    Ok(())
}
