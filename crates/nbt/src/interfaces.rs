//! The IPv4 interfaces of this host, with their broadcast addresses: where a B node broadcasts
//! by default, and (in `wnet-netbios`) what becomes a LANA.

use std::io;
use std::net::Ipv4Addr;

/// One IPv4 address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ipv4Interface {
    /// The interface's name (`eth0`, `lo`).
    pub name: String,
    /// The kernel's index of the interface.
    pub index: Option<u32>,
    /// The address.
    pub address: Ipv4Addr,
    /// The netmask.
    pub netmask: Ipv4Addr,
    /// The broadcast address, if the interface has one.
    pub broadcast: Option<Ipv4Addr>,
    /// Whether this is a loopback interface.
    pub loopback: bool,
}

impl Ipv4Interface {
    /// The prefix length of the netmask.
    pub fn prefix_len(&self) -> u32 {
        u32::from(self.netmask).leading_ones()
    }

    /// Whether `address` is on this interface's subnet.
    pub fn on_link(&self, address: Ipv4Addr) -> bool {
        let mask = u32::from(self.netmask);
        u32::from(address) & mask == u32::from(self.address) & mask
    }
}

/// Every IPv4 address of every up interface, ordered by interface index, then address.
pub fn ipv4_interfaces() -> io::Result<Vec<Ipv4Interface>> {
    let mut found: Vec<Ipv4Interface> = if_addrs::get_if_addrs()?
        .into_iter()
        .filter_map(|interface| {
            let loopback = interface.is_loopback();
            let if_addrs::IfAddr::V4(v4) = interface.addr else {
                return None;
            };
            Some(Ipv4Interface {
                name: interface.name,
                index: interface.index,
                address: v4.ip,
                netmask: v4.netmask,
                broadcast: v4.broadcast,
                loopback,
            })
        })
        .collect();
    found.sort_by_key(|interface| (interface.index.unwrap_or(u32::MAX), interface.address));
    Ok(found)
}

/// The hardware (MAC) address of the interface called `name`, read from sysfs; `None` where
/// there is none to read (loopback reports zeros, which is returned as such).
pub fn mac_address(name: &str) -> Option<[u8; 6]> {
    // Interface names never hold a path separator; refuse one rather than read elsewhere.
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed() {
        let interfaces = ipv4_interfaces().unwrap();
        let loopback = interfaces
            .iter()
            .find(|interface| interface.address == Ipv4Addr::LOCALHOST)
            .expect("127.0.0.1 on some interface");
        assert!(loopback.loopback);
        assert_eq!(loopback.prefix_len(), 8);
        assert!(loopback.on_link(Ipv4Addr::new(127, 3, 2, 1)));
        assert!(!loopback.on_link(Ipv4Addr::new(198, 51, 100, 1)));
        assert_eq!(mac_address(&loopback.name), Some([0; 6]));
        assert_eq!(mac_address("../lo"), None);
        assert_eq!(mac_address("no-such-interface0"), None);
    }
}
