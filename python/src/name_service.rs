//! The name service from Python without a thread or a runtime per call: one current-thread
//! tokio runtime for the process, driven by whichever Python thread is waiting on it (with the
//! GIL released), and one name-service client (one UDP socket) that node-status queries share,
//! each matched to its answer by its transaction ID. A call looks at Python's signals every
//! 100 ms, so Ctrl-C interrupts it within a second. After `fork()` the child builds its own
//! runtime and socket: the parent's are left alone (the child must not close what the parent
//! still uses).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;
use wnet_nbt::config::NameServiceConfig;
use wnet_nbt::name_service::client::NameServiceClient;

/// How often a waiting call looks at Python's signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The runtime of one process and the client it keeps.
pub(crate) struct NameService {
    /// The process that built it (a forked child builds its own).
    pid: u32,
    runtime: Runtime,
    /// The shared client and the settings it was bound with.
    client: Mutex<Option<Arc<NameServiceClient>>>,
}

/// The process's name service, built on first use.
static SHARED: Mutex<Option<Arc<NameService>>> = Mutex::new(None);

impl NameService {
    /// The process's name service.
    pub(crate) fn get() -> io::Result<Arc<NameService>> {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        let pid = std::process::id();
        if let Some(service) = shared.as_ref() {
            if service.pid == pid {
                return Ok(Arc::clone(service));
            }
            // A forked child: the parent's runtime and socket are the parent's. Dropping them
            // here would deregister the parent's socket from an epoll instance both processes
            // share, so they are leaked instead (once per fork).
            if let Some(inherited) = shared.take() {
                std::mem::forget(inherited);
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let service = Arc::new(NameService {
            pid,
            runtime,
            client: Mutex::new(None),
        });
        *shared = Some(Arc::clone(&service));
        Ok(service)
    }

    /// The shared client for `config`: the one kept if it was bound with the same settings,
    /// else a new one (the settings come from the environment, which a script may change).
    pub(crate) fn client(
        &self,
        py: Python<'_>,
        config: NameServiceConfig,
    ) -> PyResult<io::Result<Arc<NameServiceClient>>> {
        let kept = self
            .client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .filter(|client| *client.config() == config);
        if let Some(client) = kept {
            return Ok(Ok(client));
        }
        let bound = self.run(py, async move {
            NameServiceClient::bind(config, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).await
        })?;
        Ok(bound.map(|client| {
            let client = Arc::new(client);
            *self.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&client));
            client
        }))
    }

    /// Runs `work` to its end on this thread, the GIL released; Ctrl-C (any exception a signal
    /// handler raises) ends the wait and drops the work.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl Future<Output = T> + Send,
    ) -> PyResult<T> {
        let mut work = pin!(work);
        loop {
            let slice = py.detach(|| {
                // The timer is made inside the runtime, which it needs.
                self.runtime
                    .block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut work).await })
            });
            match slice {
                Ok(value) => return Ok(value),
                Err(_) => py.check_signals()?,
            }
        }
    }
}
