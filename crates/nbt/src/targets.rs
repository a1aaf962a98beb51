//! Scan targets: the addresses a node-status scan visits, in nbtscan's notations.
//!
//! A target is one IPv4 address (`198.51.100.7`), a CIDR block (`198.51.100.0/24`), or a range
//! (`198.51.100.1-20`, or `198.51.100.1-198.51.100.20`). As in nbtscan, a CIDR block covers every
//! address in it, network and broadcast addresses included, so that both tools visit the same
//! hosts. Addresses are produced lazily: a /8 costs nothing until it is walked.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Why a scan target was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The text is not an address, a CIDR block or a range.
    #[error("`{0}` is not an IPv4 address, a CIDR block (a.b.c.d/n) or a range (a.b.c.d-e)")]
    Malformed(String),
    /// The prefix length is over 32.
    #[error("`{0}`: a prefix length is at most 32")]
    PrefixTooLong(String),
    /// The range ends before it starts.
    #[error("`{0}`: the range ends before it starts")]
    Backwards(String),
}

/// An inclusive block of consecutive IPv4 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanTarget {
    first: Ipv4Addr,
    last: Ipv4Addr,
}

impl ScanTarget {
    /// The block from `first` to `last`, both included; `None` if `last` comes before `first`.
    pub fn range(first: Ipv4Addr, last: Ipv4Addr) -> Option<ScanTarget> {
        (first <= last).then_some(ScanTarget { first, last })
    }

    /// A single address.
    pub fn single(address: Ipv4Addr) -> ScanTarget {
        ScanTarget {
            first: address,
            last: address,
        }
    }

    /// The CIDR block holding `address` with the given prefix length (at most 32).
    pub fn cidr(address: Ipv4Addr, prefix: u8) -> Option<ScanTarget> {
        if prefix > 32 {
            return None;
        }
        let host_bits = 32 - u32::from(prefix);
        let host_mask = u32::MAX.checked_shr(32 - host_bits).unwrap_or(0);
        let first = u32::from(address) & !host_mask;
        Some(ScanTarget {
            first: Ipv4Addr::from(first),
            last: Ipv4Addr::from(first | host_mask),
        })
    }

    /// The first address.
    pub fn first(&self) -> Ipv4Addr {
        self.first
    }

    /// The last address.
    pub fn last(&self) -> Ipv4Addr {
        self.last
    }

    /// How many addresses the block holds (1 to 2³²).
    pub fn len(&self) -> u64 {
        u64::from(u32::from(self.last)) - u64::from(u32::from(self.first)) + 1
    }

    /// Always false: a block holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `address` lies in the block.
    pub fn contains(&self, address: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&address)
    }

    /// The addresses of the block, in order.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + use<> {
        (u32::from(self.first)..=u32::from(self.last)).map(Ipv4Addr::from)
    }
}

impl FromStr for ScanTarget {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<ScanTarget, TargetError> {
        let text = text.trim();
        let malformed = || TargetError::Malformed(text.to_owned());
        if let Some((address, prefix)) = text.split_once('/') {
            let address: Ipv4Addr = address.parse().map_err(|_| malformed())?;
            if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            let prefix: u8 = prefix
                .parse()
                .map_err(|_| TargetError::PrefixTooLong(text.to_owned()))?;
            return ScanTarget::cidr(address, prefix)
                .ok_or_else(|| TargetError::PrefixTooLong(text.to_owned()));
        }
        if let Some((first, end)) = text.split_once('-') {
            let first: Ipv4Addr = first.parse().map_err(|_| malformed())?;
            let last = if end.contains('.') {
                end.parse().map_err(|_| malformed())?
            } else {
                // `a.b.c.d-e`: e replaces the last octet.
                if end.is_empty() || !end.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(malformed());
                }
                let octet: u8 = end.parse().map_err(|_| malformed())?;
                let [a, b, c, _] = first.octets();
                Ipv4Addr::new(a, b, c, octet)
            };
            return ScanTarget::range(first, last)
                .ok_or_else(|| TargetError::Backwards(text.to_owned()));
        }
        text.parse()
            .map(ScanTarget::single)
            .map_err(|_| malformed())
    }
}

impl fmt::Display for ScanTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// The addresses of several targets, in the order given (an address named twice is visited
/// twice, as nbtscan does).
pub fn addresses(targets: &[ScanTarget]) -> impl Iterator<Item = Ipv4Addr> + '_ {
    targets.iter().flat_map(ScanTarget::addresses)
}

/// How many addresses the targets hold together.
pub fn total(targets: &[ScanTarget]) -> u64 {
    targets.iter().map(ScanTarget::len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScanTarget, TargetError> {
        text.parse()
    }

    #[test]
    fn single_addresses() {
        let target = parse("198.51.100.7").unwrap();
        assert_eq!(target.len(), 1);
        assert_eq!(
            target.addresses().collect::<Vec<_>>(),
            [Ipv4Addr::new(198, 51, 100, 7)]
        );
        assert_eq!(target.to_string(), "198.51.100.7");
    }

    #[test]
    fn cidr_blocks_cover_network_and_broadcast_addresses_like_nbtscan() {
        let target = parse("127.0.0.9/29").unwrap();
        assert_eq!(target.first(), Ipv4Addr::new(127, 0, 0, 8));
        assert_eq!(target.last(), Ipv4Addr::new(127, 0, 0, 15));
        assert_eq!(target.addresses().count(), 8);
        assert_eq!(parse("127.0.0.0/22").unwrap().len(), 1024);
        assert_eq!(parse("10.1.2.3/32").unwrap().len(), 1);
        assert_eq!(parse("0.0.0.0/0").unwrap().len(), 1 << 32);
        assert_eq!(parse("198.51.100.0/16").unwrap().len(), 65536);
    }

    #[test]
    fn ranges_in_both_notations() {
        let short = parse("198.51.100.1-20").unwrap();
        let long = parse("198.51.100.1-198.51.100.20").unwrap();
        assert_eq!(short, long);
        assert_eq!(short.len(), 20);
        assert_eq!(short.to_string(), "198.51.100.1-198.51.100.20");
        let across = parse("198.51.100.250-198.51.101.5").unwrap();
        assert_eq!(across.len(), 12);
        assert!(across.contains(Ipv4Addr::new(198, 51, 101, 0)));
    }

    #[test]
    fn bad_targets_say_why() {
        for bad in [
            "",
            "host",
            "1.2.3",
            "1.2.3.4/",
            "1.2.3.4/x",
            "1.2.3.4-",
            "1.2.3.4-x",
            "1.2.3.4-256",
            "1.2.3.4/-1",
            "1.2.3.4-5-6",
            "::1",
        ] {
            assert_eq!(parse(bad), Err(TargetError::Malformed(bad.into())), "{bad}");
        }
        assert_eq!(
            parse("1.2.3.4/33"),
            Err(TargetError::PrefixTooLong("1.2.3.4/33".into()))
        );
        assert_eq!(
            parse("1.2.3.4/999999"),
            Err(TargetError::PrefixTooLong("1.2.3.4/999999".into()))
        );
        assert_eq!(
            parse("1.2.3.9-3"),
            Err(TargetError::Backwards("1.2.3.9-3".into()))
        );
    }

    #[test]
    fn several_targets_are_walked_in_order() {
        let targets = [parse("127.0.0.3").unwrap(), parse("127.0.0.1-2").unwrap()];
        assert_eq!(total(&targets), 3);
        let walked: Vec<_> = addresses(&targets).map(|a| a.octets()[3]).collect();
        assert_eq!(walked, [3, 1, 2]);
    }
}
