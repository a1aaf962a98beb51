//! The native side of the Pythonic `wnet` API: what it decides (connection flags, server
//! names, share kinds, which shares are hidden) and the records it returns: connections and
//! shares as the frozen dataclasses of `wnet._api`, built here; the other results as plain
//! tuples and lists. Errors are raised as the `wnet.Error` subclass for their winerror.h code
//! (each a `pywintypes.error`), with the NTSTATUS kept; name-service failures become
//! ERROR_BAD_NETPATH (the name is unknown) or ERROR_SEM_TIMEOUT (no answer).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::exceptions::{PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use wnet::agent_protocol::RequiredMechanism;
use wnet::api;
use wnet::error::codes;
use wnet::resource::connect::{
    CONNECT_REQUIRE_INTEGRITY, CONNECT_REQUIRE_PRIVACY, CONNECT_UPDATE_PROFILE,
};
use wnet::{Cause, NetResource, ShareKind, ShareType, WinError};
use wnet_nbt::config::{NAME_SERVICE_UDP_PORT, NameServiceConfig, Retransmit};
use wnet_nbt::name_service::client::{NameServiceClient, NodeStatusAnswer, QueryError};
use wnet_nbt::name_service::scanner::{ScanEvent, ScanOptions, scan};
use wnet_nbt::targets::ScanTarget;
use wnet_nbt::wire::NetbiosName;
use zeroize::Zeroizing;

use crate::blocking::interruptible;
use crate::errors::{Failed, wnet_error};
use crate::name_service::NameService;

/// The Pythonic API's exception for a failed call.
fn win_error(py: Python<'_>, error: &WinError, funcname: &str) -> PyErr {
    wnet_error(py, error, funcname, Failed::Call)
}

/// The record classes of `wnet._api` this module builds, looked up once.
struct Records {
    /// `wnet.Connection`.
    connection: Py<PyType>,
    /// `wnet.Share`.
    share: Py<PyType>,
}

static RECORDS: PyOnceLock<Records> = PyOnceLock::new();

fn records(py: Python<'_>) -> PyResult<&Records> {
    RECORDS.get_or_try_init(py, || {
        let module = py.import("wnet._api")?;
        let class = |name: &str| -> PyResult<Py<PyType>> {
            Ok(module.getattr(name)?.cast_into::<PyType>()?.unbind())
        };
        Ok(Records {
            connection: class("Connection")?,
            share: class("Share")?,
        })
    })
}

/// A `wnet.Connection` for an entry of the agent's table.
fn connection<'py>(
    py: Python<'py>,
    entry: &wnet::agent_protocol::ConnectionEntry,
    session_reused: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let fields = PyDict::new(py);
    fields.set_item("remote_name", entry.remote_name.to_string())?;
    let local_name = entry
        .local_name
        .as_ref()
        .map(|name| crate::convert::local_path_text(py, name.as_str()))
        .transpose()?;
    fields.set_item("local_name", local_name)?;
    fields.set_item("user", &entry.user)?;
    fields.set_item("dialect", &entry.dialect)?;
    fields.set_item("signing", entry.signing)?;
    fields.set_item("encryption", entry.encryption)?;
    fields.set_item("session_reused", session_reused)?;
    fields.set_item("authentication", &entry.authentication)?;
    records(py)?.connection.bind(py).call((), Some(&fields))
}

/// The winnetwk.h flags of a connection: `remember` keeps it across logons (a device's),
/// `integrity` and `privacy` require SMB signing and encryption.
fn connect_flags(remember: bool, integrity: bool, privacy: bool) -> u32 {
    [
        (remember, CONNECT_UPDATE_PROFILE),
        (integrity, CONNECT_REQUIRE_INTEGRITY),
        (privacy, CONNECT_REQUIRE_PRIVACY),
    ]
    .into_iter()
    .filter(|(wanted, _)| *wanted)
    .fold(0, |flags, (_, flag)| flags | flag)
}

/// The mechanism `auth` requires: `"kerberos"`, `"ntlm"`, or `None` (the agent chooses, as
/// Windows does); any other value is a `ValueError`.
fn required_mechanism(auth: Option<&str>) -> PyResult<Option<RequiredMechanism>> {
    match auth {
        None => Ok(None),
        Some("kerberos") => Ok(Some(RequiredMechanism::Kerberos)),
        Some("ntlm") => Ok(Some(RequiredMechanism::Ntlm)),
        Some(other) => Err(PyValueError::new_err(format!(
            "auth must be \"kerberos\", \"ntlm\" or None, not {other:?}"
        ))),
    }
}

/// Connects `remote` (deviceless, or redirecting `device`), with only the mechanism `auth`
/// names if it names one; the connection as the agent holds it, with `session_reused`.
#[pyfunction]
#[pyo3(signature = (remote, device, user, password, remember, integrity, privacy, auth=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _connect<'py>(
    py: Python<'py>,
    remote: String,
    device: Option<String>,
    user: Option<String>,
    password: Option<String>,
    remember: bool,
    integrity: bool,
    privacy: bool,
    auth: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let mechanism = required_mechanism(auth)?;
    let flags = connect_flags(remember, integrity, privacy);
    // Our copy of the password is zeroed when the call is done (the caller's `str` cannot be).
    let password = password.map(Zeroizing::new);
    let resource = NetResource {
        resource_type: wnet::resource::resource_type::RESOURCETYPE_DISK,
        local_name: device,
        remote_name: Some(remote),
        ..NetResource::default()
    };
    let added = interruptible(py, move || {
        api::add_connection_requiring(
            &resource,
            password.as_deref().map(String::as_str),
            user.as_deref(),
            flags,
            mechanism,
        )
    })?
    .map_err(|error| win_error(py, &error, "WNetAddConnection2"))?;
    connection(py, &added.entry, added.session_reused)
}

/// Cancels a connection by local or remote name (`forget`: and its remembered entry).
#[pyfunction]
pub(crate) fn _cancel(py: Python<'_>, name: String, force: bool, forget: bool) -> PyResult<()> {
    let flags = if forget { CONNECT_UPDATE_PROFILE } else { 0 };
    interruptible(py, move || api::cancel_connection(&name, flags, force))?
        .map_err(|error| win_error(py, &error, "WNetCancelConnection2"))
}

/// The agent's connection table.
#[pyfunction]
pub(crate) fn _connections(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    let entries = interruptible(py, api::connections)?
        .map_err(|error| win_error(py, &error, "WNetOpenEnum"))?;
    entries
        .iter()
        .map(|entry| connection(py, entry, false))
        .collect()
}

/// The Pythonic name of a share's kind (`wnet.Share.kind`).
fn kind_name(share_type: ShareType) -> &'static str {
    match share_type.kind {
        ShareKind::Disk => "disk",
        ShareKind::PrintQueue => "print",
        ShareKind::Device => "device",
        ShareKind::Ipc => "ipc",
        ShareKind::Unknown(_) => "unknown",
    }
}

/// Whether a share is hidden from an enumeration, as Windows hides it: its name ends in `$`.
fn is_hidden(name: &str) -> bool {
    name.ends_with('$')
}

/// A server's name without the leading `\\` (or `//`) of its UNC form.
fn server_name(server: &str) -> &str {
    server.trim_start_matches(['\\', '/'])
}

/// The shares of `server` (`\\server` or `server`) as `wnet.Share`s; those whose names end in
/// `$` only with `hidden`.
#[pyfunction]
#[pyo3(signature = (server, user, password, hidden))]
pub(crate) fn _shares<'py>(
    py: Python<'py>,
    server: &str,
    user: Option<String>,
    password: Option<String>,
    hidden: bool,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let password = password.map(Zeroizing::new);
    let server = server_name(server).to_owned();
    let asked = server.clone();
    let shares = interruptible(py, move || {
        api::server_shares(
            &asked,
            user.as_deref(),
            password.as_deref().map(String::as_str),
        )
    })?
    .map_err(|error| win_error(py, &error, "WNetEnumResource"))?;
    let class = records(py)?.share.bind(py);
    shares
        .into_iter()
        .filter(|share| hidden || !is_hidden(&share.name))
        .map(|share| {
            let share_type = ShareType::from_stype(share.share_type);
            let fields = PyDict::new(py);
            fields.set_item("remote_name", format!("\\\\{server}\\{}", share.name))?;
            fields.set_item("name", share.name)?;
            fields.set_item("kind", kind_name(share_type))?;
            fields.set_item("special", share_type.special)?;
            fields.set_item("comment", share.comment)?;
            class.call((), Some(&fields))
        })
        .collect()
}

/// A server as `_servers` gives it: name, address, the sources that saw it.
type ServerRow = (String, String, Vec<&'static str>);

/// The servers of `workgroup` (this machine's when `None`): the workgroup asked, and
/// `(name, address, sources)` for each server.
#[pyfunction]
#[pyo3(signature = (workgroup))]
pub(crate) fn _servers(
    py: Python<'_>,
    workgroup: Option<String>,
) -> PyResult<(String, Vec<ServerRow>)> {
    let workgroup = workgroup.unwrap_or_else(wnet::browse::local_workgroup);
    let asked = workgroup.clone();
    let servers = interruptible(py, move || api::browse_servers(&asked))?
        .map_err(|error| win_error(py, &error, "WNetEnumResource"))?;
    Ok((
        workgroup,
        servers
            .into_iter()
            .map(|server| {
                let sources = server.sources.iter().map(|source| source.name()).collect();
                (server.name, server.address.to_string(), sources)
            })
            .collect(),
    ))
}

/// A server as `_neighbourhood` gives it: name, address, workgroup (or ""), sources.
type NeighbourRow = (String, String, String, Vec<&'static str>);

/// Every server of the neighbourhood: `(name, address, workgroup or "", sources)`.
#[pyfunction]
pub(crate) fn _neighbourhood(py: Python<'_>) -> PyResult<Vec<NeighbourRow>> {
    let servers = interruptible(py, api::browse_neighbourhood)?
        .map_err(|error| win_error(py, &error, "WNetEnumResource"))?;
    Ok(servers
        .into_iter()
        .map(|server| {
            let sources = server.sources.iter().map(|source| source.name()).collect();
            let workgroup = server.workgroup.unwrap_or_default();
            (server.name, server.address.to_string(), workgroup, sources)
        })
        .collect())
}

/// The workgroups visible from here, each with the sources that know it.
#[pyfunction]
pub(crate) fn _workgroups(py: Python<'_>) -> PyResult<Vec<(String, Vec<&'static str>)>> {
    let workgroups = interruptible(py, api::browse_workgroups)?
        .map_err(|error| win_error(py, &error, "WNetEnumResource"))?;
    Ok(workgroups
        .into_iter()
        .map(|workgroup| {
            let sources = workgroup
                .sources
                .iter()
                .map(|source| source.name())
                .collect();
            (workgroup.name, sources)
        })
        .collect())
}

/// The universal name of a local path: `(universal, connection, remaining)`.
#[pyfunction]
pub(crate) fn _universal_name(py: Python<'_>, path: String) -> PyResult<(String, String, String)> {
    let name = interruptible(py, move || {
        api::get_universal_name(&path, wnet::resource::info_level::REMOTE_NAME_INFO_LEVEL)
    })?
    .map_err(|error| win_error(py, &error, "WNetGetUniversalName"))?;
    Ok((
        name.universal_name,
        name.connection_name,
        name.remaining_path,
    ))
}

/// One DFS referral as `wnet._api` takes it: `(prefix, link, targets, active, ttl_seconds)`.
type DfsReferralTuple = (String, bool, Vec<String>, usize, u64);

/// Where a path lands in DFS: `(physical, referrals, referral_requests)`.
#[pyfunction]
pub(crate) fn _dfs_targets(
    py: Python<'_>,
    path: String,
) -> PyResult<(String, Vec<DfsReferralTuple>, u64)> {
    let targets = interruptible(py, move || api::dfs_targets(&path))?
        .map_err(|error| win_error(py, &error, "NetDfsGetClientInfo"))?;
    Ok((
        targets.physical,
        targets
            .referrals
            .into_iter()
            .map(|referral| {
                (
                    referral.prefix,
                    referral.link,
                    referral.targets,
                    referral.active,
                    referral.ttl_seconds,
                )
            })
            .collect(),
        targets.referral_requests,
    ))
}

fn query_error(py: Python<'_>, error: &QueryError, funcname: &str, failed: Failed) -> PyErr {
    wnet_error(py, &WinError::from(error), funcname, failed)
}

/// The process's name service (its runtime built on first use).
fn name_service(py: Python<'_>) -> PyResult<std::sync::Arc<NameService>> {
    NameService::get().map_err(|error| {
        win_error(
            py,
            &WinError::with_cause(
                codes::ERROR_NOT_ENOUGH_MEMORY,
                Cause::Other(error.to_string()),
            ),
            "runtime",
        )
    })
}

/// The name service settings of the environment (`WNET_WINS_SERVERS`, `WNET_NODE_TYPE`, …).
fn name_config() -> PyResult<NameServiceConfig> {
    NameServiceConfig::from_env(NAME_SERVICE_UDP_PORT)
        .map_err(|error| PyValueError::new_err(error.to_string()))
}

/// Four sends spread over `timeout` seconds (RFC 1002's pattern), or `default`.
fn retransmit_within(timeout: Option<f64>, default: Retransmit) -> PyResult<Retransmit> {
    match timeout {
        None => Ok(default),
        Some(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(Retransmit {
            interval: Duration::from_secs_f64(seconds) / 4,
            retries: 3,
        }),
        Some(_) => Err(PyValueError::new_err(
            "timeout must be a positive number of seconds",
        )),
    }
}

/// Resolves a NetBIOS name (`NAME`, `NAME#XX`) as the node type says (name servers,
/// broadcast): `(address, group)` for each address found.
#[pyfunction]
#[pyo3(signature = (name, timeout))]
pub(crate) fn _lookup(
    py: Python<'_>,
    name: &str,
    timeout: Option<f64>,
) -> PyResult<Vec<(String, bool)>> {
    let name: NetbiosName = name
        .parse()
        .map_err(|error: wnet_nbt::wire::NameError| PyValueError::new_err(error.to_string()))?;
    let mut config = name_config()?;
    if timeout.is_some() {
        config.unicast = retransmit_within(timeout, config.unicast)?;
        config.broadcast = retransmit_within(timeout, config.broadcast)?;
    }
    // A client of its own: its name cache lives as long as this call, so every lookup asks
    // the network, as before.
    let service = name_service(py)?;
    let answer = service.run(py, async move {
        let client =
            NameServiceClient::bind(config, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).await?;
        let name = client.scoped(name);
        client.resolve(&name).await
    })?;
    let answer = answer.map_err(|error| query_error(py, &error, "lookup", Failed::NameLookup))?;
    Ok(answer
        .addresses
        .into_iter()
        .map(|found| (found.address.to_string(), found.group))
        .collect())
}

/// A node status answer as `(address, [(name, suffix, group, flags)], mac)`.
type NodeStatusTuple = (String, Vec<(String, u8, bool, u16)>, [u8; 6]);

fn node_status_tuple(answer: &NodeStatusAnswer) -> NodeStatusTuple {
    (
        answer.from.ip().to_string(),
        answer
            .names
            .iter()
            .map(|entry| {
                (
                    entry.name.name(),
                    entry.name.suffix(),
                    entry.is_group(),
                    entry.flags,
                )
            })
            .collect(),
        answer.mac,
    )
}

/// The name table and MAC of the node at `address`.
#[pyfunction]
#[pyo3(signature = (address, timeout))]
pub(crate) fn _node_status(
    py: Python<'_>,
    address: &str,
    timeout: Option<f64>,
) -> PyResult<NodeStatusTuple> {
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| PyValueError::new_err(format!("{address:?} is not an IPv4 address")))?;
    let config = name_config()?;
    let retransmit = retransmit_within(timeout, config.unicast)?;
    let service = name_service(py)?;
    let client = service
        .client(py, config)?
        .map_err(|error| query_error(py, &QueryError::from(error), "node_status", Failed::Call))?;
    let answer = service.run(py, async move {
        client
            .node_status(
                SocketAddrV4::new(address, NAME_SERVICE_UDP_PORT),
                retransmit,
            )
            .await
    })?;
    answer
        .map(|answer| node_status_tuple(&answer))
        .map_err(|error| query_error(py, &error, "node_status", Failed::Call))
}

/// One scan result: `(address, status or None when silent)`.
type ScanItem = (String, Option<NodeStatusTuple>);

/// The results of a running scan, as they arrive.
#[pyclass(name = "_ScanResults", frozen)]
pub(crate) struct ScanResults {
    results: std::sync::Mutex<mpsc::Receiver<Result<ScanItem, String>>>,
}

#[pymethods]
impl ScanResults {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next result; waits (without the GIL, answering Ctrl-C) until one arrives.
    fn __next__(&self, py: Python<'_>) -> PyResult<ScanItem> {
        let receive = || {
            self.results
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .recv_timeout(Duration::from_millis(100))
        };
        loop {
            match py.detach(receive) {
                Ok(Ok(item)) => return Ok(item),
                Ok(Err(problem)) => {
                    let error =
                        WinError::with_cause(codes::ERROR_UNEXP_NET_ERR, Cause::Other(problem));
                    return Err(win_error(py, &error, "scan"));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(PyStopIteration::new_err(()));
                }
            }
        }
    }
}

/// Starts a node-status scan of `targets` (addresses, `a.b.c.d/n`, `a.b.c.d-e`) on a thread of
/// its own; its results arrive through the returned iterator.
#[pyfunction]
#[pyo3(signature = (targets, rate, timeout, retries))]
pub(crate) fn _scan(
    targets: Vec<String>,
    rate: u32,
    timeout: f64,
    retries: u32,
) -> PyResult<ScanResults> {
    let targets = targets
        .into_iter()
        .map(|text| text.parse::<ScanTarget>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| PyValueError::new_err(error.to_string()))?;
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(PyValueError::new_err(
            "timeout must be a positive number of seconds",
        ));
    }
    let config = name_config()?;
    let options = ScanOptions {
        rate,
        timeout: Duration::from_secs_f64(timeout),
        retries,
        scope: config.scope,
        ..ScanOptions::default()
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("wnet-scan".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = sender.send(Err(error.to_string()));
                    return;
                }
            };
            let results = sender.clone();
            let outcome = runtime.block_on(scan(
                wnet_nbt::targets::addresses(&targets),
                &options,
                move |event| {
                    let item = match event {
                        ScanEvent::Found { target, status } => {
                            (target.to_string(), Some(node_status_tuple(&status)))
                        }
                        ScanEvent::Silent(target) => (target.to_string(), None),
                    };
                    // The caller may have stopped reading; the scan still ends on its own.
                    let _ = results.send(Ok(item));
                },
            ));
            if let Err(error) = outcome {
                let _ = sender.send(Err(error.to_string()));
            }
        })
        .map_err(|error| PyValueError::new_err(format!("cannot start the scan: {error}")))?;
    Ok(ScanResults {
        results: std::sync::Mutex::new(receiver),
    })
}
