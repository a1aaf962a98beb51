//! The inode table: FUSE's inode numbers for the share's paths, with each node's lookup count
//! (the kernel's references, which `forget` returns) and its cached attributes.
//!
//! SMB2 hands out no stable file numbers over the information classes we read, so a node is
//! known by its path (backslash-separated, from the share's root; the root is `""`). A rename
//! moves a node and everything below it; a removed name leaves its node alive until the
//! kernel forgets it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use wnet_smb2::wire::FileAttributes;

/// The root's inode number (FUSE_ROOT_ID).
pub const ROOT: u64 = 1;

/// Attributes as a server's answer gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    /// The attributes.
    pub attributes: FileAttributes,
    /// When the request they answer was sent, on the drive's clock
    /// ([`crate::files::Clock`]).
    pub fetched_at: u64,
}

#[derive(Debug)]
struct Node {
    /// `None` once the name was removed or replaced.
    path: Option<String>,
    lookups: u64,
    /// The latest attributes and when they were cached.
    attributes: Option<(Dated, Instant)>,
}

/// Inode numbers and what is known of each.
#[derive(Debug)]
pub struct InodeTable {
    nodes: HashMap<u64, Node>,
    by_path: HashMap<String, u64>,
    next: u64,
}

impl Default for InodeTable {
    fn default() -> Self {
        InodeTable::new()
    }
}

/// The path of `name` in the directory `parent` (both as the share names them).
pub fn child_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}\\{name}")
    }
}

impl InodeTable {
    /// A table holding only the root.
    pub fn new() -> InodeTable {
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node {
                path: Some(String::new()),
                lookups: 1,
                attributes: None,
            },
        );
        let mut by_path = HashMap::new();
        by_path.insert(String::new(), ROOT);
        InodeTable {
            nodes,
            by_path,
            next: ROOT + 1,
        }
    }

    /// The path of `ino`, if it still has one.
    pub fn path(&self, ino: u64) -> Option<String> {
        self.nodes.get(&ino).and_then(|node| node.path.clone())
    }

    /// The inode of `path`, if it has one.
    pub fn find(&self, path: &str) -> Option<u64> {
        self.by_path.get(path).copied()
    }

    /// Whether the node `ino` is still known (the kernel has not forgotten it).
    pub fn contains(&self, ino: u64) -> bool {
        self.nodes.contains_key(&ino)
    }

    /// The inode of `path`, made if new, without counting a lookup.
    pub fn ino(&mut self, path: &str) -> u64 {
        if let Some(&ino) = self.by_path.get(path) {
            return ino;
        }
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(
            ino,
            Node {
                path: Some(path.to_owned()),
                lookups: 0,
                attributes: None,
            },
        );
        self.by_path.insert(path.to_owned(), ino);
        ino
    }

    /// The inode of `path` with one more lookup (the kernel now holds a reference), and its
    /// attributes cached.
    pub fn lookup(&mut self, path: &str, attributes: Dated) -> u64 {
        let ino = self.ino(path);
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.lookups += 1;
            node.attributes = Some((attributes, Instant::now()));
        }
        ino
    }

    /// Counts one more lookup of a known inode (a readdirplus entry the kernel accepted).
    pub fn count_lookup(&mut self, ino: u64) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.lookups += 1;
        }
    }

    /// The kernel dropped `count` references; a node without references and without a path
    /// is gone, one with a path stays findable but may be dropped too.
    pub fn forget(&mut self, ino: u64, count: u64) {
        if ino == ROOT {
            return;
        }
        let Some(node) = self.nodes.get_mut(&ino) else {
            return;
        };
        node.lookups = node.lookups.saturating_sub(count);
        if node.lookups == 0
            && let Some(node) = self.nodes.remove(&ino)
            && let Some(path) = node.path
            && self.by_path.get(&path) == Some(&ino)
        {
            self.by_path.remove(&path);
        }
    }

    /// Caches `path`'s attributes (a directory listing's entries, a fresh stat).
    pub fn cache(&mut self, path: &str, attributes: Dated) {
        let ino = self.ino(path);
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.attributes = Some((attributes, Instant::now()));
        }
    }

    /// `ino`'s attributes if cached less than `timeout` ago.
    pub fn fresh_attributes(&self, ino: u64, timeout: Duration) -> Option<Dated> {
        let (attributes, at) = self.nodes.get(&ino)?.attributes?;
        (at.elapsed() < timeout).then_some(attributes)
    }

    /// The cached attributes of `path` if younger than `timeout`.
    pub fn fresh_attributes_of(&self, path: &str, timeout: Duration) -> Option<Dated> {
        self.by_path
            .get(path)
            .and_then(|&ino| self.fresh_attributes(ino, timeout))
    }

    /// A directory's entries changed through the mount: its cached times become `now` (a
    /// FILETIME), as the server sets them, and what else is cached stays (the kernel asks
    /// for a directory's attributes before every change in it, to check permissions).
    pub fn touch_directory(&mut self, ino: u64, now: u64) {
        if let Some(node) = self.nodes.get_mut(&ino)
            && let Some((dated, _)) = node.attributes.as_mut()
        {
            dated.attributes.last_write_time = now;
            dated.attributes.change_time = now;
        }
    }

    /// Forgets what is cached of `ino`'s attributes (it changed).
    pub fn invalidate(&mut self, ino: u64) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.attributes = None;
        }
    }

    /// Forgets the attributes of every node (another mount of the share changed it).
    pub fn invalidate_all(&mut self) {
        for node in self.nodes.values_mut() {
            node.attributes = None;
        }
    }

    /// The name `path` is gone (unlink, rmdir): its node keeps living for the kernel's
    /// references, nameless.
    pub fn remove(&mut self, path: &str) {
        if let Some(ino) = self.by_path.remove(path)
            && let Some(node) = self.nodes.get_mut(&ino)
        {
            node.path = None;
            node.attributes = None;
        }
    }

    /// `from` is now `to`: the node and everything below it move; a node at `to` (replaced)
    /// loses its name.
    pub fn rename(&mut self, from: &str, to: &str) {
        self.remove(to);
        let prefix = format!("{from}\\");
        let moved: Vec<(String, u64)> = self
            .by_path
            .iter()
            .filter(|(path, _)| path.as_str() == from || path.starts_with(&prefix))
            .map(|(path, &ino)| (path.clone(), ino))
            .collect();
        for (old, ino) in moved {
            self.by_path.remove(&old);
            let new = format!("{to}{}", &old[from.len()..]);
            if let Some(node) = self.nodes.get_mut(&ino) {
                node.path = Some(new.clone());
                node.attributes = None;
            }
            self.by_path.insert(new, ino);
        }
    }

    /// How many nodes the table holds (for tests and the agent's status).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether only the root is left.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(size: u64) -> Dated {
        Dated {
            attributes: FileAttributes {
                end_of_file: size,
                ..FileAttributes::default()
            },
            fetched_at: 0,
        }
    }

    #[test]
    fn lookups_are_counted_and_forgotten() {
        let mut table = InodeTable::new();
        let a = table.lookup("a", attributes(1));
        assert_ne!(a, ROOT);
        assert_eq!(table.lookup("a", attributes(2)), a);
        assert_eq!(
            table.fresh_attributes(a, Duration::from_secs(60)),
            Some(attributes(2))
        );
        table.forget(a, 1);
        assert_eq!(table.path(a).as_deref(), Some("a"));
        table.forget(a, 1);
        assert_eq!(table.path(a), None);
        assert!(table.is_empty());
        table.forget(ROOT, 100);
        assert_eq!(table.path(ROOT).as_deref(), Some(""));
    }

    #[test]
    fn rename_moves_the_subtree_and_drops_the_replaced_node() {
        let mut table = InodeTable::new();
        let dir = table.lookup("d", attributes(0));
        let file = table.lookup("d\\f", attributes(3));
        let sibling = table.lookup("dd\\x", attributes(0));
        let target = table.lookup("e", attributes(0));
        table.rename("d", "e");
        assert_eq!(table.path(dir).as_deref(), Some("e"));
        assert_eq!(table.path(file).as_deref(), Some("e\\f"));
        assert_eq!(table.path(sibling).as_deref(), Some("dd\\x"));
        assert_eq!(table.path(target), None);
        assert_eq!(table.ino("e\\f"), file);
        assert_eq!(table.fresh_attributes(file, Duration::from_secs(60)), None);
    }

    #[test]
    fn a_removed_name_is_free_for_a_new_node() {
        let mut table = InodeTable::new();
        let old = table.lookup("x", attributes(1));
        table.remove("x");
        let new = table.lookup("x", attributes(2));
        assert_ne!(old, new);
        table.forget(old, 1);
        assert_eq!(table.path(new).as_deref(), Some("x"));
        assert_eq!(child_path("", "a"), "a");
        assert_eq!(child_path("a", "b"), "a\\b");
    }

    #[test]
    fn stale_attributes_are_not_fresh() {
        let mut table = InodeTable::new();
        let a = table.lookup("a", attributes(1));
        assert_eq!(table.fresh_attributes(a, Duration::ZERO), None);
        table.invalidate(a);
        assert_eq!(table.fresh_attributes(a, Duration::from_secs(60)), None);
    }
}
