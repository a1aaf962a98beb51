//! The kernel's IPv4 neighbour (ARP) table, as `/proc/net/arp` shows it: which on-link
//! addresses answered ARP, and which the kernel is still resolving (or gave up on). The
//! scanner reads it to tell a live host that ignores NetBIOS from an address nobody holds.
//!
//! The table is parsed as untrusted text: bounded in size and line count, malformed lines
//! skipped, never a panic.

use std::collections::HashMap;
use std::io::{self, Read as _};
use std::net::Ipv4Addr;

/// Where Linux shows the IPv4 neighbour table.
pub const ARP_TABLE: &str = "/proc/net/arp";

/// The most of the table read (a line is under 100 bytes, so this is over 40,000 entries).
pub const MAX_TABLE_BYTES: u64 = 4 << 20;

/// The most lines parsed.
pub const MAX_TABLE_LINES: usize = 65_536;

/// The `ATF_COM` flag: the entry is complete (reachable, stale, delay or probe).
const ATF_COM: u32 = 0x2;

/// What the kernel knows of one neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighbourEntry {
    /// The neighbour answered ARP: its hardware address is known (flags has `ATF_COM`).
    Resolved,
    /// The kernel is resolving it, or gave up (flags 0x0): `/proc/net/arp` shows INCOMPLETE
    /// and FAILED entries alike.
    Unresolved,
}

/// Parses the text of `/proc/net/arp`: the header, then one line per entry,
/// `IP HW-type Flags HW-address Mask Device`. An address listed on several devices counts as
/// resolved if any entry is. Malformed lines are skipped; at most [`MAX_TABLE_LINES`] are read.
pub fn parse_arp_table(text: &str) -> HashMap<Ipv4Addr, NeighbourEntry> {
    let mut table = HashMap::new();
    for line in text.lines().skip(1).take(MAX_TABLE_LINES) {
        let Some((address, entry)) = parse_line(line) else {
            continue;
        };
        let slot = table.entry(address).or_insert(entry);
        if entry == NeighbourEntry::Resolved {
            *slot = entry;
        }
    }
    table
}

fn parse_line(line: &str) -> Option<(Ipv4Addr, NeighbourEntry)> {
    let mut fields = line.split_whitespace();
    let address = fields.next()?.parse::<Ipv4Addr>().ok()?;
    let _hardware_type = fields.next()?;
    let flags = fields.next()?;
    let hex = flags
        .strip_prefix("0x")
        .or_else(|| flags.strip_prefix("0X"))?;
    let flags = u32::from_str_radix(hex, 16).ok()?;
    let entry = if flags & ATF_COM == 0 {
        NeighbourEntry::Unresolved
    } else {
        NeighbourEntry::Resolved
    };
    Some((address, entry))
}

/// Reads and parses [`ARP_TABLE`] (at most [`MAX_TABLE_BYTES`] of it).
///
/// # Errors
///
/// When the file cannot be read (not Linux, no procfs).
pub fn read_arp_table() -> io::Result<HashMap<Ipv4Addr, NeighbourEntry>> {
    let mut text = String::new();
    std::fs::File::open(ARP_TABLE)?
        .take(MAX_TABLE_BYTES)
        .read_to_string(&mut text)?;
    Ok(parse_arp_table(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    const HEADER: &str =
        "IP address       HW type     Flags       HW address            Mask     Device\n";

    #[test]
    fn complete_and_incomplete_entries_are_told_apart() {
        let text = format!(
            "{HEADER}\
             198.51.100.2     0x1         0x2         5a:0b:6f:11:22:33     *        wnetlab-br\n\
             198.51.100.77    0x1         0x0         00:00:00:00:00:00     *        wnetlab-br\n\
             198.51.100.9     0x1         0x6         5a:0b:6f:11:22:34     *        wnetlab-br\n"
        );
        let table = parse_arp_table(&text);
        assert_eq!(table.len(), 3);
        assert_eq!(
            table[&Ipv4Addr::new(198, 51, 100, 2)],
            NeighbourEntry::Resolved
        );
        assert_eq!(
            table[&Ipv4Addr::new(198, 51, 100, 77)],
            NeighbourEntry::Unresolved
        );
        // Permanent (0x4) and complete.
        assert_eq!(
            table[&Ipv4Addr::new(198, 51, 100, 9)],
            NeighbourEntry::Resolved
        );
    }

    #[test]
    fn resolved_on_any_device_wins() {
        let text = format!(
            "{HEADER}10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n10.0.0.1 0x1 0x0 00:00:00:00:00:00 * eth1\n"
        );
        assert_eq!(
            parse_arp_table(&text)[&Ipv4Addr::new(10, 0, 0, 1)],
            NeighbourEntry::Resolved
        );
    }

    #[test]
    fn malformed_lines_are_skipped_without_panic() {
        let text = format!(
            "{HEADER}\n   \nnot-an-address 0x1 0x2\n10.0.0.2 0x1\n10.0.0.3 0x1 2 x * eth0\n\
             10.0.0.4 0x1 0xzz x * eth0\n10.0.0.5 0x1 0xffffffffff x * eth0\n\
             10.0.0.6 0x1 0x2\n\u{0}\u{ff}\n"
        );
        let table = parse_arp_table(&text);
        assert_eq!(table.len(), 1, "{table:?}");
        assert_eq!(table[&Ipv4Addr::new(10, 0, 0, 6)], NeighbourEntry::Resolved);
        assert!(parse_arp_table("").is_empty());
        // The header alone, or a first line that looks like an entry, lists nothing.
        assert!(parse_arp_table("10.0.0.7 0x1 0x2 x * eth0").is_empty());
    }

    #[test]
    fn the_line_count_is_bounded() {
        let mut text = String::from(HEADER);
        for index in 0..(MAX_TABLE_LINES + 10) {
            let [_, _, high, low] = u32::try_from(index).unwrap().to_be_bytes();
            writeln!(text, "10.1.{high}.{low} 0x1 0x0 0 * eth0").unwrap();
        }
        assert_eq!(parse_arp_table(&text).len(), MAX_TABLE_LINES);
    }

    #[test]
    fn the_live_table_reads_where_procfs_exists() {
        if std::path::Path::new(ARP_TABLE).exists() {
            read_arp_table().unwrap();
        }
    }
}
