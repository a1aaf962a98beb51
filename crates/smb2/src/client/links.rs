//! DFS links followed below a DFS share: a [`Tree`] given a [`LinkResolver`]
//! ([`Tree::with_links`]) sends each CREATE whose path crosses a link to the link's target,
//! as the Windows redirector does, so that the files of a namespace open through its root.
//!
//! A CREATE on the root that the server answers with STATUS_PATH_NOT_COVERED (the path
//! crosses a link) asks the resolver where the path goes; the answer is kept as a route — the
//! link's leading components, the target's tree, the path there they stand for — until its
//! TTL runs out or the target's connection is lost, and every later path under the link goes
//! straight to the target. The routes are shared by the clones of the tree and by the tree
//! that replaces it after a reconnection ([`Tree::with_links_of`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::client::{Error, Tree};

/// The most routes one DFS share keeps (the least recently made go first).
pub const MAX_LINK_ROUTES: usize = 256;

/// Where a DFS link sends the paths under it.
#[derive(Debug, Clone)]
pub struct LinkRoute {
    /// How many leading components of the path asked the link covers.
    pub covered: usize,
    /// The link's target share, connected.
    pub tree: Tree,
    /// The path on that share the covered components stand for (`dir\sub`, empty for its
    /// root).
    pub target_path: String,
    /// How long the route holds (the referral's TTL); the path is resolved again after.
    pub ttl: Duration,
}

/// A future that resolves a link.
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Result<LinkRoute, Error>> + Send + 'a>>;

/// Finds where a path of a DFS share goes (the agent does, through DFS referrals).
pub trait LinkResolver: Send + Sync {
    /// The route of `path` (`\`-separated, below the share), which the share said it does
    /// not cover (STATUS_PATH_NOT_COVERED).
    fn resolve<'a>(&'a self, path: &'a str) -> ResolveFuture<'a>;
}

/// One route kept.
struct Route {
    /// The covered components, case-folded.
    prefix: Vec<String>,
    target: LinkRoute,
    expires: Instant,
}

/// What is told of each link target's tree before a CREATE goes there
/// ([`Tree::observe_link_targets`]).
pub type LinkTargetObserver = dyn Fn(&Tree) + Send + Sync;

/// The routes of one DFS share and the resolver that makes them.
pub(crate) struct Links {
    resolver: Arc<dyn LinkResolver>,
    routes: Mutex<Vec<Route>>,
    /// Told of each new route's tree; dropped with their owners.
    observers: Mutex<Vec<std::sync::Weak<LinkTargetObserver>>>,
}

impl fmt::Debug for Links {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Links")
            .field("routes", &self.lock().len())
            .finish_non_exhaustive()
    }
}

fn fold(component: &str) -> String {
    component.chars().flat_map(char::to_lowercase).collect()
}

fn components(path: &str) -> Vec<&str> {
    path.split('\\').filter(|part| !part.is_empty()).collect()
}

/// `prefix` and the components of `path` after the first `skip`, joined with `\`.
fn joined(prefix: &str, path: &[&str], skip: usize) -> String {
    let mut parts: Vec<&str> = components(prefix);
    parts.extend(path.iter().skip(skip));
    parts.join("\\")
}

impl Links {
    pub(crate) fn new(resolver: Arc<dyn LinkResolver>) -> Links {
        Links {
            resolver,
            routes: Mutex::new(Vec::new()),
            observers: Mutex::new(Vec::new()),
        }
    }

    /// Tells `observer` of the tree of each route kept now and of each one made from now on,
    /// for as long as the caller keeps it.
    pub(crate) fn observe(&self, observer: &Arc<LinkTargetObserver>) {
        self.observers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(observer));
        let trees: Vec<Tree> = self
            .lock()
            .iter()
            .map(|route| route.target.tree.clone())
            .collect();
        for tree in &trees {
            observer(tree);
        }
    }

    /// Tells the observers still kept of `tree`.
    fn tell_observers(&self, tree: &Tree) {
        let observers: Vec<Arc<LinkTargetObserver>> = {
            let mut observers = self
                .observers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            observers.retain(|observer| observer.strong_count() > 0);
            observers
                .iter()
                .filter_map(std::sync::Weak::upgrade)
                .collect()
        };
        for observer in observers {
            observer(tree);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Route>> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The target tree and the path there for `path`, when a kept route covers it (the
    /// longest); routes whose time is up or whose connection is lost are dropped.
    pub(crate) fn route(&self, path: &str) -> Option<(Tree, String)> {
        let parts = components(path);
        let folded: Vec<String> = parts.iter().map(|part| fold(part)).collect();
        let now = Instant::now();
        let mut routes = self.lock();
        routes.retain(|route| route.expires > now && route.target.tree.session().is_connected());
        routes
            .iter()
            .filter(|route| {
                route.prefix.len() <= folded.len()
                    && route.prefix.iter().zip(&folded).all(|(a, b)| a == b)
            })
            .max_by_key(|route| route.prefix.len())
            .map(|route| {
                (
                    route.target.tree.clone(),
                    joined(&route.target.target_path, &parts, route.prefix.len()),
                )
            })
    }

    /// Asks the resolver where `path` goes, keeps the route, and returns the target tree and
    /// the path there.
    pub(crate) async fn follow(&self, path: &str) -> Result<(Tree, String), Error> {
        let route = self.resolver.resolve(path).await?;
        self.tell_observers(&route.tree);
        let parts = components(path);
        let covered = route.covered.min(parts.len());
        let target = (
            route.tree.clone(),
            joined(&route.target_path, &parts, covered),
        );
        let prefix: Vec<String> = parts.iter().take(covered).map(|part| fold(part)).collect();
        let expires = Instant::now() + route.ttl;
        let mut routes = self.lock();
        routes.retain(|kept| kept.prefix != prefix);
        if routes.len() >= MAX_LINK_ROUTES
            && let Some(oldest) = routes
                .iter()
                .enumerate()
                .min_by_key(|(_, kept)| kept.expires)
                .map(|(index, _)| index)
        {
            routes.swap_remove(oldest);
        }
        routes.push(Route {
            prefix,
            target: route,
            expires,
        });
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_replaces_the_covered_components() {
        let path = components(r"nested\deep\dir\file.txt");
        assert_eq!(joined("", &path, 2), r"dir\file.txt");
        assert_eq!(joined(r"sub\x", &path, 2), r"sub\x\dir\file.txt");
        assert_eq!(joined(r"\sub\", &path, 4), "sub");
        assert_eq!(joined("", &path, 9), "");
    }
}
