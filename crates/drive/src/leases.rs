//! Leases: what the server lets the drive cache of a file, and what the drive gives back
//! when another client needs the file.
//!
//! Every open of a file asks for a read, handle and write caching lease (read and handle
//! for an open that only reads) under the file's lease key, the same for every descriptor
//! of the file. While the drive holds a READ lease, what it read ahead stays good until a
//! break; without one, it is trusted for the attribute timeout only. A break that takes the
//! WRITE lease away sends the writes held back first; one that takes READ away drops what
//! was read ahead, the cached attributes and listing, and the kernel's attributes, so that
//! the other client's write or truncation is what the next read and stat see. The break is
//! then acknowledged, which lets the other client's open go on.

use wnet_smb2::wire::lease::lease_state;

/// The leasing state a descriptor asks for.
pub fn wanted(writable: bool) -> u32 {
    if writable {
        lease_state::READ | lease_state::HANDLE | lease_state::WRITE
    } else {
        lease_state::READ | lease_state::HANDLE
    }
}

/// Lease keys of one mount: a random half, made per mount, and the file's inode number.
/// Keys of other mounts or clients are never taken for ours.
#[derive(Debug, Clone, Copy)]
pub struct LeaseKeys {
    salt: [u8; 8],
}

impl LeaseKeys {
    /// Keys with a fresh random half.
    pub fn new() -> LeaseKeys {
        let mut salt = [0u8; 8];
        if getrandom::fill(&mut salt).is_err() {
            // No randomness: a key still unique to this process and moment.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64;
            salt = (nanos ^ (u64::from(std::process::id()) << 32)).to_le_bytes();
        }
        LeaseKeys { salt }
    }

    /// The lease key of the file `ino`.
    pub fn key(&self, ino: u64) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.salt);
        key[8..].copy_from_slice(&ino.to_le_bytes());
        key
    }

    /// The inode a key of this mount names; `None` for any other key.
    pub fn ino(&self, key: &[u8; 16]) -> Option<u64> {
        if key[..8] != self.salt {
            return None;
        }
        let mut ino = [0u8; 8];
        ino.copy_from_slice(&key[8..]);
        Some(u64::from_le_bytes(ino))
    }
}

impl Default for LeaseKeys {
    fn default() -> Self {
        LeaseKeys::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_inode_and_only_this_mounts() {
        let keys = LeaseKeys::new();
        let other = LeaseKeys { salt: [1; 8] };
        assert_eq!(keys.ino(&keys.key(42)), Some(42));
        assert_ne!(keys.key(42), keys.key(43));
        assert_eq!(keys.ino(&other.key(42)), None);
        assert_eq!(wanted(false) & lease_state::WRITE, 0);
        assert_ne!(wanted(true) & lease_state::WRITE, 0);
    }
}
