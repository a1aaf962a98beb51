//! Human layouts of NetBIOS results (Windows' `nbtstat` name tables and `nbtscan`'s rows) and
//! of DFS referrals (`wnet unc --targets`, after `dfsutil client property state`).
//!
//! The layouts work on small report types, filled from the library's results by the verbs, so
//! that what the user reads is fixed here and tested byte for byte.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde::Serialize;

/// NetBIOS suffix of a workstation or machine name.
pub const SUFFIX_WORKSTATION: u8 = 0x00;
/// NetBIOS suffix of the messenger name (nbtscan reads the logged-on user from it).
pub const SUFFIX_MESSENGER: u8 = 0x03;
/// NetBIOS suffix of the file server service.
pub const SUFFIX_SERVER: u8 = 0x20;

/// The state of a name in a name table, as nbtstat words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameStatus {
    /// Registered and active.
    Registered,
    /// Registration under way.
    Registering,
    /// In conflict: another node owns it.
    Conflict,
    /// Being released.
    Deregistered,
}

impl NameStatus {
    fn word(self) -> &'static str {
        match self {
            NameStatus::Registered => "Registered",
            NameStatus::Registering => "Registering",
            NameStatus::Conflict => "Conflict",
            NameStatus::Deregistered => "Deregistered",
        }
    }
}

/// One name of a name table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameRow {
    /// The first 15 bytes of the name, trailing spaces removed.
    pub name: String,
    /// The 16th byte.
    pub suffix: u8,
    /// Whether it is a group name.
    pub group: bool,
    /// Its state.
    pub status: NameStatus,
}

impl NameRow {
    /// The name for a terminal: characters that are not printable ASCII become dots, as
    /// nbtstat and nmblookup show `..__MSBROWSE__.`.
    pub fn printable_name(&self) -> String {
        printable(&self.name)
    }
}

/// `name` for a terminal: characters that are not printable ASCII become dots.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '.'
            }
        })
        .collect()
}

/// A host's node status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostStatus {
    /// The host's address.
    pub address: Ipv4Addr,
    /// Its name table, in the order it sent it.
    pub names: Vec<NameRow>,
    /// The MAC address it reported (unit id).
    #[serde(serialize_with = "serialize_mac")]
    pub mac: [u8; 6],
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes the field by reference"
)]
fn serialize_mac<S: serde::Serializer>(mac: &[u8; 6], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&mac_nbtscan(*mac))
}

/// `00-15-5D-01-02-AB`, as nbtstat prints a MAC address.
fn mac_nbtstat(mac: [u8; 6]) -> String {
    let bytes: Vec<String> = mac.iter().map(|byte| format!("{byte:02X}")).collect();
    bytes.join("-")
}

/// `00:15:5d:01:02:ab`, as nbtscan prints a MAC address.
fn mac_nbtscan(mac: [u8; 6]) -> String {
    let bytes: Vec<String> = mac.iter().map(|byte| format!("{byte:02x}")).collect();
    bytes.join(":")
}

impl HostStatus {
    /// The machine name nbtscan shows: the first unique name with suffix 00.
    pub fn machine_name(&self) -> Option<&NameRow> {
        self.names
            .iter()
            .find(|row| row.suffix == SUFFIX_WORKSTATION && !row.group)
    }

    /// Whether the host runs the file server service (a name with suffix 20).
    pub fn is_server(&self) -> bool {
        self.names.iter().any(|row| row.suffix == SUFFIX_SERVER)
    }

    /// The logged-on user nbtscan shows: the first unique name with suffix 03.
    pub fn user(&self) -> Option<&NameRow> {
        self.names
            .iter()
            .find(|row| row.suffix == SUFFIX_MESSENGER && !row.group)
    }
}

/// Windows' `nbtstat -A` layout of a remote name table.
pub fn nbtstat_remote_table(status: &HostStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(out, "Node IpAddress: [{}] Scope Id: []", status.address);
    let _ = writeln!(out);
    let _ = writeln!(out, "           NetBIOS Remote Machine Name Table");
    let _ = writeln!(out);
    out.push_str(&name_table_rows(&status.names));
    let _ = writeln!(out);
    let _ = writeln!(out, "    MAC Address = {}", mac_nbtstat(status.mac));
    out
}

/// Windows' `nbtstat -n` layout of our own name table.
pub fn nbtstat_local_table(names: &[NameRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(out, "                NetBIOS Local Name Table");
    let _ = writeln!(out);
    if names.is_empty() {
        let _ = writeln!(out, "    No names in cache");
    } else {
        out.push_str(&name_table_rows(names));
    }
    out
}

/// One entry of the resolver's cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheRow {
    /// The first 15 bytes of the name, trailing spaces removed.
    pub name: String,
    /// The 16th byte.
    pub suffix: u8,
    /// Whether it is a group name.
    pub group: bool,
    /// The addresses it maps to (the table shows the first).
    pub addresses: Vec<Ipv4Addr>,
    /// Seconds the entry stays valid.
    pub life_seconds: u64,
}

/// Windows' `nbtstat -c` layout of the resolver's cache: one row per name, its first address
/// and the seconds it has left.
pub fn nbtstat_cache_table(rows: &[CacheRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(out, "                  NetBIOS Remote Cache Name Table");
    let _ = writeln!(out);
    if rows.is_empty() {
        let _ = writeln!(out, "    No names in cache");
        return out;
    }
    let _ = writeln!(
        out,
        "        Name              Type       Host Address    Life [sec]"
    );
    let _ = writeln!(out, "    {}", "-".repeat(60));
    for row in rows {
        let kind = if row.group { "GROUP" } else { "UNIQUE" };
        let address = row
            .addresses
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<15}<{:02X}>  {:<10} {:<15} {:>10}",
            printable(&row.name),
            row.suffix,
            kind,
            address,
            row.life_seconds
        );
    }
    out
}

/// A 16-byte NetBIOS name as nbtstat prints it: the 15 characters (unprintable ones as dots),
/// space padded, and the suffix in hex (`WNETECHO       <20>`).
pub fn name_with_suffix(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes.get(..15).unwrap_or(bytes));
    let suffix = bytes.get(15).copied().unwrap_or(0);
    format!("{:<15}<{suffix:02X}>", printable(&text))
}

/// Windows' `nbtstat -s` layout of the sessions of this user's NetBIOS programs: our name,
/// the state, the direction, the peer's name, and (here) its address and the process.
pub fn nbtstat_session_table(sessions: &[wnet_netbios::published::PublishedSession]) -> String {
    let mut out = String::new();
    let _ = writeln!(out);
    let _ = writeln!(out, "                  NetBIOS Connection Table");
    let _ = writeln!(out);
    if sessions.is_empty() {
        let _ = writeln!(out, "    No Connections");
        return out;
    }
    let _ = writeln!(
        out,
        "    Local Name             State    In/Out  Remote Host           Address               PID"
    );
    let _ = writeln!(out, "    {}", "-".repeat(88));
    for session in sessions {
        let _ = writeln!(
            out,
            "    {}  Connected  {:<6}  {}   {:<21} {}",
            name_with_suffix(&session.local_name),
            if session.outgoing { "Out" } else { "In" },
            name_with_suffix(&session.remote_name),
            session.remote.to_string(),
            session.pid
        );
    }
    out
}

fn name_table_rows(names: &[NameRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "       Name               Type         Status");
    let _ = writeln!(out, "    ---------------------------------------------");
    for row in names {
        let kind = if row.group { "GROUP" } else { "UNIQUE" };
        let _ = writeln!(
            out,
            "    {:<15}<{:02X}>  {:<10}  {}",
            row.printable_name(),
            row.suffix,
            kind,
            row.status.word()
        );
    }
    out
}

/// nbtscan's column header (two lines).
pub fn nbtscan_header() -> String {
    format!(
        "{:<17}{:<17}{:<10}{:<17}{:<17}\n{}\n",
        "IP address",
        "NetBIOS Name",
        "Server",
        "User",
        "MAC address",
        "-".repeat(78)
    )
}

/// One nbtscan row; with a separator, nbtscan's script-friendly form (`-s SEP`), in which a
/// name is its raw 15 bytes (space padded) and a missing one a bare `<unknown>`.
pub fn nbtscan_row(status: &HostStatus, separator: Option<&str>) -> String {
    let padded = |row: Option<&NameRow>| row.map(|row| format!("{:<15}", row.printable_name()));
    let name = padded(status.machine_name());
    let user = padded(status.user());
    let server = if status.is_server() { "<server>" } else { "" };
    let mac = mac_nbtscan(status.mac);
    let unknown = || "<unknown>".to_owned();
    match separator {
        Some(sep) => format!(
            "{}{sep}{}{sep}{server}{sep}{}{sep}{mac}",
            status.address,
            name.unwrap_or_else(unknown),
            user.unwrap_or_else(unknown),
        ),
        None => format!(
            "{:<17}{:<17}{server:<10}{:<17}{mac}",
            status.address.to_string(),
            name.unwrap_or_else(unknown),
            user.unwrap_or_else(unknown),
        ),
    }
}

/// `wnet unc --targets`: each referral the path went through (its prefix, whether a root's
/// or a link's, its targets one per line with the one in use marked, its TTL), then where
/// the path lands.
pub fn dfs_targets_report(targets: &wnet::api::DfsTargets) -> String {
    let mut out = String::new();
    if targets.referrals.is_empty() {
        out.push_str("The path is in no DFS namespace.\n");
    }
    for referral in &targets.referrals {
        let kind = if referral.link { "link" } else { "root" };
        let _ = writeln!(out, "{} ({kind})", referral.prefix);
        for (index, target) in referral.targets.iter().enumerate() {
            if index == referral.active {
                let _ = writeln!(out, "  * {target} (active)");
            } else {
                let _ = writeln!(out, "    {target}");
            }
        }
        let _ = writeln!(out, "  TTL: {} seconds", referral.ttl_seconds);
    }
    let _ = writeln!(out, "Lands on: {}", targets.physical);
    out
}

/// `wnet --json unc --targets`: the path asked, where it lands, the referrals in order and
/// the agent's count of referral requests.
pub fn dfs_targets_json(path: &str, targets: &wnet::api::DfsTargets) -> serde_json::Value {
    let referrals: Vec<serde_json::Value> = targets
        .referrals
        .iter()
        .map(|referral| {
            serde_json::json!({
                "prefix": referral.prefix,
                "link": referral.link,
                "targets": referral.targets,
                "active": referral.active,
                "ttl_seconds": referral.ttl_seconds,
            })
        })
        .collect();
    serde_json::json!({
        "path": path,
        "physical": targets.physical,
        "referrals": referrals,
        "referral_requests": targets.referral_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested() -> wnet::api::DfsTargets {
        let referral =
            |prefix: &str, link: bool, targets: &[&str], active: usize| wnet::api::DfsReferral {
                prefix: prefix.to_owned(),
                link,
                targets: targets.iter().map(|target| (*target).to_owned()).collect(),
                active,
                ttl_seconds: 300,
            };
        wnet::api::DfsTargets {
            physical: r"\\fs1\docs\target.txt".to_owned(),
            referrals: vec![
                referral(r"\\fs1\dfs\nested", true, &[r"\\fs2\dfs2"], 0),
                referral(r"\\fs2\dfs2\deep", true, &[r"\\fs3\docs", r"\\fs1\docs"], 1),
            ],
            referral_requests: 3,
        }
    }

    #[test]
    fn dfs_referrals_mark_the_active_target() {
        let expected = concat!(
            "\\\\fs1\\dfs\\nested (link)\n",
            "  * \\\\fs2\\dfs2 (active)\n",
            "  TTL: 300 seconds\n",
            "\\\\fs2\\dfs2\\deep (link)\n",
            "    \\\\fs3\\docs\n",
            "  * \\\\fs1\\docs (active)\n",
            "  TTL: 300 seconds\n",
            "Lands on: \\\\fs1\\docs\\target.txt\n",
        );
        assert_eq!(dfs_targets_report(&nested()), expected);
    }

    #[test]
    fn a_path_in_no_namespace_says_so() {
        let plain = wnet::api::DfsTargets {
            physical: r"\\fs1\public\a.txt".to_owned(),
            referrals: Vec::new(),
            referral_requests: 0,
        };
        assert_eq!(
            dfs_targets_report(&plain),
            "The path is in no DFS namespace.\nLands on: \\\\fs1\\public\\a.txt\n"
        );
    }

    #[test]
    fn dfs_json_keeps_every_field() {
        let value = dfs_targets_json(r"\\fs1\dfs\nested\deep\target.txt", &nested());
        assert_eq!(value["physical"], r"\\fs1\docs\target.txt");
        assert_eq!(value["referral_requests"], 3);
        assert_eq!(value["referrals"][1]["prefix"], r"\\fs2\dfs2\deep");
        assert_eq!(value["referrals"][1]["link"], true);
        assert_eq!(value["referrals"][1]["active"], 1);
        assert_eq!(value["referrals"][1]["ttl_seconds"], 300);
        assert_eq!(
            value["referrals"][1]["targets"],
            serde_json::json!([r"\\fs3\docs", r"\\fs1\docs"])
        );
    }

    fn row(name: &str, suffix: u8, group: bool) -> NameRow {
        NameRow {
            name: name.to_owned(),
            suffix,
            group,
            status: NameStatus::Registered,
        }
    }

    fn labserver() -> HostStatus {
        HostStatus {
            address: Ipv4Addr::new(198, 51, 100, 2),
            names: vec![
                row("LABSERVER", 0x00, false),
                row("LABSERVER", 0x03, false),
                row("LABSERVER", 0x20, false),
                row("\u{1}\u{2}__MSBROWSE__\u{2}", 0x01, true),
                row("WNETLAB", 0x00, true),
                row("WNETLAB", 0x1d, false),
                row("WNETLAB", 0x1e, true),
            ],
            mac: [0x00, 0x15, 0x5d, 0x01, 0x02, 0xab],
        }
    }

    #[test]
    fn nbtstat_remote_table_has_windows_layout() {
        let expected = "
Node IpAddress: [198.51.100.2] Scope Id: []

           NetBIOS Remote Machine Name Table

       Name               Type         Status
    ---------------------------------------------
    LABSERVER      <00>  UNIQUE      Registered
    LABSERVER      <03>  UNIQUE      Registered
    LABSERVER      <20>  UNIQUE      Registered
    ..__MSBROWSE__.<01>  GROUP       Registered
    WNETLAB        <00>  GROUP       Registered
    WNETLAB        <1D>  UNIQUE      Registered
    WNETLAB        <1E>  GROUP       Registered

    MAC Address = 00-15-5D-01-02-AB
";
        assert_eq!(nbtstat_remote_table(&labserver()), expected);
    }

    #[test]
    fn nbtstat_local_table_says_when_it_is_empty() {
        assert!(nbtstat_local_table(&[]).contains("No names in cache"));
        let mut conflicted = row("FRED", 0x00, false);
        conflicted.status = NameStatus::Conflict;
        assert!(
            nbtstat_local_table(&[conflicted])
                .contains("FRED           <00>  UNIQUE      Conflict")
        );
    }

    #[test]
    fn nbtstat_cache_table_has_windows_layout() {
        assert!(nbtstat_cache_table(&[]).contains("    No names in cache\n"));
        let rows = [
            CacheRow {
                name: "LABSERVER".to_owned(),
                suffix: 0x20,
                group: false,
                addresses: vec![Ipv4Addr::new(198, 51, 100, 2)],
                life_seconds: 597,
            },
            CacheRow {
                name: "WNETLAB".to_owned(),
                suffix: 0x1e,
                group: true,
                addresses: vec![
                    Ipv4Addr::new(198, 51, 100, 2),
                    Ipv4Addr::new(198, 51, 100, 9),
                ],
                life_seconds: 12,
            },
        ];
        let expected = "
                  NetBIOS Remote Cache Name Table

        Name              Type       Host Address    Life [sec]
    ------------------------------------------------------------
    LABSERVER      <20>  UNIQUE     198.51.100.2           597
    WNETLAB        <1E>  GROUP      198.51.100.2            12
";
        assert_eq!(nbtstat_cache_table(&rows), expected);
    }

    #[test]
    fn nbtstat_session_table_has_windows_layout() {
        assert!(nbtstat_session_table(&[]).contains("    No Connections\n"));
        let session = wnet_netbios::published::PublishedSession {
            pid: 4242,
            lana: 0,
            lsn: 1,
            local_name: b"WNETCALLER      ".to_vec(),
            remote_name: b"WNETECHO        ".to_vec(),
            outgoing: true,
            remote: "127.0.0.61:139".parse().unwrap(),
        };
        let table = nbtstat_session_table(&[session]);
        assert!(
            table.contains(
                "    WNETCALLER     <20>  Connected  Out     WNETECHO       <20>   127.0.0.61:139        4242\n"
            ),
            "{table}"
        );
    }

    #[test]
    fn nbtscan_rows_match_nbtscan_byte_for_byte() {
        // As nbtscan 1.7.2 prints the lab server (MAC changed to be non-zero).
        assert_eq!(
            nbtscan_header(),
            "IP address       NetBIOS Name     Server    User             MAC address      \n\
             ------------------------------------------------------------------------------\n"
        );
        assert_eq!(
            nbtscan_row(&labserver(), None),
            "198.51.100.2     LABSERVER        <server>  LABSERVER        00:15:5d:01:02:ab"
        );
        assert_eq!(
            nbtscan_row(&labserver(), Some(":")),
            "198.51.100.2:LABSERVER      :<server>:LABSERVER      :00:15:5d:01:02:ab"
        );
    }

    #[test]
    fn hosts_without_server_or_user_names_say_unknown() {
        let bare = HostStatus {
            address: Ipv4Addr::new(127, 0, 0, 9),
            names: vec![row("WORKGROUP", 0x00, true)],
            mac: [0; 6],
        };
        assert_eq!(
            nbtscan_row(&bare, None),
            "127.0.0.9        <unknown>                  <unknown>        00:00:00:00:00:00"
        );
        assert_eq!(
            nbtscan_row(&bare, Some(":")),
            "127.0.0.9:<unknown>::<unknown>:00:00:00:00:00:00"
        );
    }

    #[test]
    fn json_carries_every_field() {
        let json = serde_json::to_value(labserver()).unwrap();
        assert_eq!(json["address"], "198.51.100.2");
        assert_eq!(json["mac"], "00:15:5d:01:02:ab");
        assert_eq!(json["names"][4]["name"], "WNETLAB");
        assert_eq!(json["names"][4]["group"], true);
        assert_eq!(json["names"][5]["suffix"], 0x1d);
        assert_eq!(json["names"][0]["status"], "registered");
    }
}
