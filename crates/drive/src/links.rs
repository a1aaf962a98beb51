//! The DFS links a drive follows: the agent's resolver, wrapped so that the drive listens for
//! the lease breaks of every link target's connection before any file opens there (a break
//! nobody hears would leave the drive's caches stale).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use wnet_smb2::client::{LinkResolver, ResolveFuture};

use crate::state::{DriveState, lock};

/// A link resolver that has the drive watch each target's lease breaks.
pub(crate) struct WatchingResolver {
    inner: Arc<dyn LinkResolver>,
    state: OnceLock<Weak<DriveState>>,
    /// The sessions whose breaks the drive takes already.
    watched: Mutex<HashSet<u64>>,
}

impl WatchingResolver {
    pub(crate) fn new(inner: Arc<dyn LinkResolver>) -> WatchingResolver {
        WatchingResolver {
            inner,
            state: OnceLock::new(),
            watched: Mutex::new(HashSet::new()),
        }
    }

    /// Serves `state`'s drive from now on.
    pub(crate) fn serve(&self, state: &Arc<DriveState>) {
        let _ = self.state.set(Arc::downgrade(state));
    }
}

impl LinkResolver for WatchingResolver {
    fn resolve<'a>(&'a self, path: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let route = self.inner.resolve(path).await?;
            let session = route.tree.session();
            // A session's breaks are taken once; a new session (after a reconnection, or
            // with another server) is watched anew.
            let first = lock(&self.watched).insert(session.id());
            if first && let Some(state) = self.state.get().and_then(Weak::upgrade) {
                state.watch_lease_breaks(&route.tree);
            }
            Ok(route)
        })
    }
}
