//! The DFS referral messages (MS-DFSC §2.2): the request a client sends in an
//! FSCTL_DFS_GET_REFERRALS IOCTL to the server's IPC$ share, and the response that maps a DFS
//! path prefix to the servers and shares that hold it, in referral versions 1 to 4.
//!
//! Decoding never panics: every count is bounded, every string offset is checked against the
//! message and every string must end with its null terminator within [`MAX_STRING_BYTES`].

use super::WireError;
use crate::bytes::{Reader, from_utf16le, utf16le};

/// FSCTL_DFS_GET_REFERRALS (MS-SMB2 §2.2.31, MS-DFSC §2.2.2): ask for a referral, input a
/// REQ_GET_DFS_REFERRAL.
pub const FSCTL_DFS_GET_REFERRALS: u32 = 0x0006_0194;

/// FSCTL_DFS_GET_REFERRALS_EX (MS-SMB2 §2.2.31, MS-DFSC §2.2.3): the extended request, which
/// may name the client's site.
pub const FSCTL_DFS_GET_REFERRALS_EX: u32 = 0x0006_01B0;

/// The most referral entries a response may hold before it is refused.
pub const MAX_REFERRALS: usize = 256;

/// The longest string (in bytes of UTF-16LE, without the terminator) a referral may hold.
pub const MAX_STRING_BYTES: usize = 32 * 1024;

/// The most expanded names one NameList entry may hold.
pub const MAX_EXPANDED_NAMES: usize = 256;

/// ReferralHeaderFlags bits (MS-DFSC §2.2.4).
pub mod header_flags {
    /// R: the targets are DFS root targets that answer referral requests themselves.
    pub const REFERRAL_SERVERS: u32 = 0x0000_0001;
    /// S: the targets hold the storage (files and folders) directly.
    pub const STORAGE_SERVERS: u32 = 0x0000_0002;
    /// T: the client should fail back to a better target when one comes back.
    pub const TARGET_FAILBACK: u32 = 0x0000_0004;
}

/// ReferralEntryFlags bits (MS-DFSC §2.2.5.3, §2.2.5.4).
pub mod entry_flags {
    /// The entry is a NameList (a domain or DC referral), not a target.
    pub const NAME_LIST_REFERRAL: u16 = 0x0002;
    /// Version 4: this target begins a new target set (a new site-cost group).
    pub const TARGET_SET_BOUNDARY: u16 = 0x0004;
}

/// ServerType values (MS-DFSC §2.2.5.2).
pub mod server_type {
    /// The target is a link target, or a storage server (not a root).
    pub const NON_ROOT: u16 = 0x0000;
    /// The target is a DFS root target.
    pub const ROOT: u16 = 0x0001;
}

/// Why a referral response did not decode, beyond the reader's truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralProblem {
    /// NumberOfReferrals exceeds [`MAX_REFERRALS`].
    TooManyReferrals(u16),
    /// NumberOfExpandedNames exceeds [`MAX_EXPANDED_NAMES`].
    TooManyExpandedNames(u16),
    /// A VersionNumber outside 1 to 4.
    UnknownVersion(u16),
    /// An entry's Size is smaller than its version's fixed part or runs past the message.
    BadEntrySize(u16),
    /// A string has no null terminator within [`MAX_STRING_BYTES`] and the message.
    Unterminated,
}

/// Encodes a REQ_GET_DFS_REFERRAL (MS-DFSC §2.2.2): MaxReferralLevel, then `path` as a
/// null-terminated UTF-16LE string. `path` is sent as given; MS-DFSC §3.1.4.2 expects one
/// leading backslash (`\server\share\link`), an empty string for a domain referral and
/// `\domain` for a DC referral.
pub fn encode_referral_request(max_referral_level: u16, path: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 + 2 * path.len());
    bytes.extend_from_slice(&max_referral_level.to_le_bytes());
    bytes.extend_from_slice(&utf16le(path));
    bytes.extend_from_slice(&[0, 0]);
    bytes
}

/// A decoded RESP_GET_DFS_REFERRAL (MS-DFSC §2.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralResponse {
    /// How much of the request path the referral covers, in UTF-16 code units. The wire's
    /// PathConsumed counts bytes (MS-DFSC §2.2.4 says "bytes, not characters"; Windows and
    /// Samba send twice the character count), so it is halved here, an odd count rounded
    /// down.
    pub path_consumed_chars: u16,
    /// ReferralHeaderFlags: see [`header_flags`].
    pub header_flags: u32,
    /// The referral entries, in the order the server gave (cost order: never reorder).
    pub entries: Vec<ReferralEntry>,
}

/// One referral entry (MS-DFSC §2.2.5.1 to §2.2.5.4), whatever its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralEntry {
    /// VersionNumber: 1 to 4.
    pub version: u16,
    /// ServerType: see [`server_type`].
    pub server_type: u16,
    /// ReferralEntryFlags: see [`entry_flags`].
    pub entry_flags: u16,
    /// TimeToLive in seconds (0 for version 1, which has none).
    pub ttl_seconds: u32,
    /// Proximity (version 2 only; 0 otherwise).
    pub proximity: u32,
    /// What the entry names.
    pub kind: ReferralKind,
}

/// What a referral entry names: a target, or a list of names (domain and DC referrals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferralKind {
    /// A target for a root or link referral.
    Target {
        /// DFSPath: the DFS path the referral is for (empty for version 1).
        dfs_path: String,
        /// DFSAlternatePath: the 8.3 form of that path (empty for version 1).
        dfs_alternate_path: String,
        /// NetworkAddress: the target, `\server\share[\path]` (ShareName for version 1).
        network_address: String,
    },
    /// A NameList entry (versions 3 and 4): a domain referral (SpecialName a domain, no
    /// expanded names) or a DC referral (SpecialName the domain, expanded names its DCs).
    NameList {
        /// SpecialName: a domain name.
        special_name: String,
        /// The expanded names: DC names for a DC referral.
        expanded_names: Vec<String>,
    },
}

impl ReferralEntry {
    /// Whether the entry is a NameList (domain or DC referral) entry.
    pub fn is_name_list(&self) -> bool {
        matches!(self.kind, ReferralKind::NameList { .. })
    }

    /// Whether the entry starts a new target set (version 4's TargetSetBoundary).
    pub fn is_target_set_boundary(&self) -> bool {
        self.entry_flags & entry_flags::TARGET_SET_BOUNDARY != 0
    }
}

/// The size of RESP_GET_DFS_REFERRAL's fixed header.
const HEADER_BYTES: usize = 8;

impl ReferralResponse {
    /// Decodes a RESP_GET_DFS_REFERRAL (the IOCTL's output bytes).
    pub fn decode(message: &[u8]) -> Result<ReferralResponse, WireError> {
        let mut reader = Reader::new(message);
        let path_consumed = reader.u16("PathConsumed")?;
        let count = reader.u16("NumberOfReferrals")?;
        let header_flags = reader.u32("ReferralHeaderFlags")?;
        if usize::from(count) > MAX_REFERRALS {
            return Err(bad(
                "NumberOfReferrals",
                2,
                ReferralProblem::TooManyReferrals(count),
            ));
        }
        let mut entries = Vec::with_capacity(usize::from(count));
        let mut start = HEADER_BYTES;
        for _ in 0..count {
            let (entry, size) = decode_entry(message, start)?;
            entries.push(entry);
            start = start.checked_add(size).ok_or(bad(
                "Size",
                start,
                ReferralProblem::BadEntrySize(0),
            ))?;
        }
        Ok(ReferralResponse {
            path_consumed_chars: path_consumed / 2,
            header_flags,
            entries,
        })
    }

    /// Whether ReferralServers (R) is set: the targets answer referral requests.
    pub fn referral_servers(&self) -> bool {
        self.header_flags & header_flags::REFERRAL_SERVERS != 0
    }

    /// Whether StorageServers (S) is set: the targets hold the storage.
    pub fn storage_servers(&self) -> bool {
        self.header_flags & header_flags::STORAGE_SERVERS != 0
    }

    /// Whether TargetFailback (T) is set.
    pub fn target_failback(&self) -> bool {
        self.header_flags & header_flags::TARGET_FAILBACK != 0
    }
}

fn bad(field: &'static str, offset: usize, problem: ReferralProblem) -> WireError {
    WireError::BadReferral {
        field,
        offset,
        problem,
    }
}

/// The fixed part of each version's entry, in bytes (V3/V4 as a target with its GUID; a
/// NameList entry needs only its three name fields, 18 bytes).
fn fixed_size(version: u16, name_list: bool) -> Option<usize> {
    match version {
        1 => Some(8),
        2 => Some(22),
        3 | 4 if name_list => Some(18),
        3 | 4 => Some(34),
        _ => None,
    }
}

/// Decodes the entry at `start` of `message`; returns it and its Size.
fn decode_entry(message: &[u8], start: usize) -> Result<(ReferralEntry, usize), WireError> {
    let mut reader = Reader::at(message, start);
    let version = reader.u16("VersionNumber")?;
    let size = reader.u16("Size")?;
    let server_type = reader.u16("ServerType")?;
    let flags = reader.u16("ReferralEntryFlags")?;
    let name_list = version >= 3 && flags & entry_flags::NAME_LIST_REFERRAL != 0;
    let fixed = fixed_size(version, name_list).ok_or(bad(
        "VersionNumber",
        start,
        ReferralProblem::UnknownVersion(version),
    ))?;
    // The entry's fixed part must lie within its Size and the message; strings it points to
    // may lie anywhere in the message (usually in the string buffer after the entries).
    let end = start.checked_add(usize::from(size));
    if usize::from(size) < fixed || end.is_none_or(|end| end > message.len()) {
        return Err(bad("Size", start + 2, ReferralProblem::BadEntrySize(size)));
    }
    let mut entry = ReferralEntry {
        version,
        server_type,
        entry_flags: flags,
        ttl_seconds: 0,
        proximity: 0,
        kind: ReferralKind::Target {
            dfs_path: String::new(),
            dfs_alternate_path: String::new(),
            network_address: String::new(),
        },
    };
    match version {
        1 => {
            let share = string_at(message, start, 8, "ShareName")?;
            entry.kind = ReferralKind::Target {
                dfs_path: String::new(),
                dfs_alternate_path: String::new(),
                network_address: share,
            };
        }
        2 => {
            entry.proximity = reader.u32("Proximity")?;
            entry.ttl_seconds = reader.u32("TimeToLive")?;
            entry.kind = target_strings(message, start, &mut reader)?;
        }
        _ => {
            entry.ttl_seconds = reader.u32("TimeToLive")?;
            entry.kind = if name_list {
                name_list_strings(message, start, &mut reader)?
            } else {
                target_strings(message, start, &mut reader)?
            };
        }
    }
    Ok((entry, usize::from(size)))
}

/// Reads DFSPathOffset, DFSAlternatePathOffset and NetworkAddressOffset and their strings.
fn target_strings(
    message: &[u8],
    start: usize,
    reader: &mut Reader<'_>,
) -> Result<ReferralKind, WireError> {
    let path_offset = reader.u16("DFSPathOffset")?;
    let alternate_offset = reader.u16("DFSAlternatePathOffset")?;
    let address_offset = reader.u16("NetworkAddressOffset")?;
    Ok(ReferralKind::Target {
        dfs_path: string_at(message, start, path_offset.into(), "DFSPath")?,
        dfs_alternate_path: string_at(message, start, alternate_offset.into(), "DFSAlternatePath")?,
        network_address: string_at(message, start, address_offset.into(), "NetworkAddress")?,
    })
}

/// Reads SpecialNameOffset, NumberOfExpandedNames and ExpandedNameOffset and their strings
/// (the expanded names lie back to back, each null-terminated).
fn name_list_strings(
    message: &[u8],
    start: usize,
    reader: &mut Reader<'_>,
) -> Result<ReferralKind, WireError> {
    let special_offset = reader.u16("SpecialNameOffset")?;
    let count_offset = reader.offset();
    let count = reader.u16("NumberOfExpandedNames")?;
    let expanded_offset = reader.u16("ExpandedNameOffset")?;
    if usize::from(count) > MAX_EXPANDED_NAMES {
        return Err(bad(
            "NumberOfExpandedNames",
            count_offset,
            ReferralProblem::TooManyExpandedNames(count),
        ));
    }
    let special_name = string_at(message, start, special_offset.into(), "SpecialName")?;
    let mut expanded_names = Vec::with_capacity(usize::from(count));
    let mut at = usize::from(expanded_offset);
    for _ in 0..count {
        let (name, next) = terminated_string(message, start, at, "ExpandedName")?;
        expanded_names.push(name);
        at = next;
    }
    Ok(ReferralKind::NameList {
        special_name,
        expanded_names,
    })
}

/// The null-terminated UTF-16LE string at `offset` from the entry at `start`.
fn string_at(
    message: &[u8],
    start: usize,
    offset: usize,
    field: &'static str,
) -> Result<String, WireError> {
    terminated_string(message, start, offset, field).map(|(text, _)| text)
}

/// The null-terminated UTF-16LE string at `offset` from the entry at `start`, and the offset
/// (from the entry) just past its terminator.
fn terminated_string(
    message: &[u8],
    start: usize,
    offset: usize,
    field: &'static str,
) -> Result<(String, usize), WireError> {
    let absolute =
        start
            .checked_add(offset)
            .ok_or(bad(field, start, ReferralProblem::Unterminated))?;
    let tail =
        message
            .get(absolute..)
            .ok_or(bad(field, absolute, ReferralProblem::Unterminated))?;
    let limit = tail.len().min(MAX_STRING_BYTES + 2);
    let window = tail.get(..limit).unwrap_or(tail);
    let length = window
        .chunks_exact(2)
        .position(|unit| unit == [0, 0])
        .map(|units| units * 2)
        .ok_or(bad(field, absolute, ReferralProblem::Unterminated))?;
    let text = from_utf16le(window.get(..length).unwrap_or_default(), field)?;
    Ok((text, offset + length + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put16(bytes: &mut Vec<u8>, value: u16) {
        bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn put32(bytes: &mut Vec<u8>, value: u32) {
        bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn z(text: &str) -> Vec<u8> {
        let mut bytes = utf16le(text);
        bytes.extend_from_slice(&[0, 0]);
        bytes
    }

    fn header(path_consumed_bytes: u16, count: u16, flags: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        put16(&mut bytes, path_consumed_bytes);
        put16(&mut bytes, count);
        put32(&mut bytes, flags);
        bytes
    }

    /// A V3 or V4 target response: fixed entries (34 bytes each) then a string buffer; each
    /// entry's offsets are relative to its own start.
    fn target_response(version: u16, consumed: &str, targets: &[(&str, u32, u16)]) -> Vec<u8> {
        let mut bytes = header((consumed.encode_utf16().count() * 2) as u16, 3, 0x3);
        bytes[2..4].copy_from_slice(&(targets.len() as u16).to_le_bytes());
        let strings_start = 8 + 34 * targets.len();
        let mut strings = Vec::new();
        for (index, (address, ttl, flags)) in targets.iter().enumerate() {
            let entry_start = 8 + 34 * index;
            let path_at = strings_start + strings.len() - entry_start;
            strings.extend(z(consumed));
            let alternate_at = strings_start + strings.len() - entry_start;
            strings.extend(z(consumed));
            let address_at = strings_start + strings.len() - entry_start;
            strings.extend(z(address));
            put16(&mut bytes, version);
            put16(&mut bytes, 34);
            put16(&mut bytes, 1);
            put16(&mut bytes, *flags);
            put32(&mut bytes, *ttl);
            put16(&mut bytes, path_at as u16);
            put16(&mut bytes, alternate_at as u16);
            put16(&mut bytes, address_at as u16);
            bytes.extend_from_slice(&[0xAB; 16]);
        }
        bytes.extend(strings);
        bytes
    }

    /// A V3 NameList response with one entry.
    fn name_list_response(special: &str, expanded: &[&str]) -> Vec<u8> {
        let mut bytes = header(0, 1, 0);
        put16(&mut bytes, 3);
        put16(&mut bytes, 18);
        put16(&mut bytes, 0);
        put16(&mut bytes, entry_flags::NAME_LIST_REFERRAL);
        put32(&mut bytes, 600);
        put16(&mut bytes, 18);
        put16(&mut bytes, expanded.len() as u16);
        put16(&mut bytes, 18 + z(special).len() as u16);
        bytes.extend(z(special));
        for name in expanded {
            bytes.extend(z(name));
        }
        bytes
    }

    #[test]
    fn request_is_level_then_terminated_utf16() {
        assert_eq!(
            encode_referral_request(4, "\\a\\b"),
            vec![4, 0, b'\\', 0, b'a', 0, b'\\', 0, b'b', 0, 0, 0]
        );
        assert_eq!(encode_referral_request(3, ""), vec![3, 0, 0, 0]);
    }

    #[test]
    fn decodes_version_1() {
        let mut bytes = header(20, 1, 0x2);
        let share = z("\\srv\\share");
        put16(&mut bytes, 1);
        put16(&mut bytes, 8 + share.len() as u16);
        put16(&mut bytes, 0);
        put16(&mut bytes, 0);
        bytes.extend(share);
        let response = ReferralResponse::decode(&bytes).unwrap();
        assert_eq!(response.path_consumed_chars, 10);
        assert!(response.storage_servers() && !response.referral_servers());
        assert_eq!(
            response.entries,
            vec![ReferralEntry {
                version: 1,
                server_type: 0,
                entry_flags: 0,
                ttl_seconds: 0,
                proximity: 0,
                kind: ReferralKind::Target {
                    dfs_path: String::new(),
                    dfs_alternate_path: String::new(),
                    network_address: "\\srv\\share".into(),
                },
            }]
        );
    }

    #[test]
    fn decodes_version_2() {
        let mut bytes = header(16, 1, 0x1);
        put16(&mut bytes, 2);
        put16(&mut bytes, 22);
        put16(&mut bytes, 1);
        put16(&mut bytes, 0);
        put32(&mut bytes, 7);
        put32(&mut bytes, 300);
        put16(&mut bytes, 22);
        put16(&mut bytes, 22 + 18);
        put16(&mut bytes, 22 + 36);
        bytes.extend(z("\\dom\\dfs"));
        bytes.extend(z("\\dom\\dfs"));
        bytes.extend(z("\\fs1\\dfs"));
        let response = ReferralResponse::decode(&bytes).unwrap();
        assert_eq!(response.path_consumed_chars, 8);
        let entry = &response.entries[0];
        assert_eq!(
            (entry.version, entry.proximity, entry.ttl_seconds),
            (2, 7, 300)
        );
        assert_eq!(
            entry.kind,
            ReferralKind::Target {
                dfs_path: "\\dom\\dfs".into(),
                dfs_alternate_path: "\\dom\\dfs".into(),
                network_address: "\\fs1\\dfs".into(),
            }
        );
    }

    #[test]
    fn decodes_version_3_targets_in_order() {
        let bytes = target_response(
            3,
            "\\dom\\dfs\\link",
            &[("\\fs2\\share", 900, 0), ("\\fs1\\share", 300, 0)],
        );
        let response = ReferralResponse::decode(&bytes).unwrap();
        assert_eq!(response.path_consumed_chars, 13);
        let addresses: Vec<_> = response
            .entries
            .iter()
            .map(|entry| match &entry.kind {
                ReferralKind::Target {
                    network_address,
                    dfs_path,
                    ..
                } => {
                    assert_eq!(dfs_path, "\\dom\\dfs\\link");
                    network_address.clone()
                }
                ReferralKind::NameList { .. } => panic!("a target"),
            })
            .collect();
        assert_eq!(addresses, ["\\fs2\\share", "\\fs1\\share"]);
        assert_eq!(response.entries[1].ttl_seconds, 300);
        assert_eq!(response.entries[0].server_type, server_type::ROOT);
    }

    #[test]
    fn decodes_version_4_target_set_boundary() {
        let bytes = target_response(
            4,
            "\\dom\\dfs",
            &[
                ("\\a\\s", 60, entry_flags::TARGET_SET_BOUNDARY),
                ("\\b\\s", 60, 0),
                ("\\c\\s", 60, entry_flags::TARGET_SET_BOUNDARY),
            ],
        );
        let response = ReferralResponse::decode(&bytes).unwrap();
        let boundaries: Vec<_> = response
            .entries
            .iter()
            .map(ReferralEntry::is_target_set_boundary)
            .collect();
        assert_eq!(boundaries, [true, false, true]);
        assert!(response.entries.iter().all(|entry| entry.version == 4));
    }

    #[test]
    fn decodes_dc_referral() {
        let bytes = name_list_response("CORP", &["dc1.corp.example", "dc2.corp.example"]);
        let response = ReferralResponse::decode(&bytes).unwrap();
        let entry = &response.entries[0];
        assert!(entry.is_name_list());
        assert_eq!(entry.ttl_seconds, 600);
        assert_eq!(
            entry.kind,
            ReferralKind::NameList {
                special_name: "CORP".into(),
                expanded_names: vec!["dc1.corp.example".into(), "dc2.corp.example".into()],
            }
        );
    }

    #[test]
    fn decodes_domain_referral() {
        let bytes = name_list_response("corp.example", &[]);
        let response = ReferralResponse::decode(&bytes).unwrap();
        assert_eq!(
            response.entries[0].kind,
            ReferralKind::NameList {
                special_name: "corp.example".into(),
                expanded_names: vec![],
            }
        );
    }

    #[test]
    fn every_truncation_fails_without_panicking() {
        for bytes in [
            target_response(3, "\\dom\\dfs", &[("\\a\\s", 1, 0), ("\\b\\s", 1, 0)]),
            name_list_response("CORP", &["dc1", "dc2"]),
        ] {
            assert!(ReferralResponse::decode(&bytes).is_ok());
            for length in 0..bytes.len() {
                assert!(
                    ReferralResponse::decode(&bytes[..length]).is_err(),
                    "length {length}"
                );
            }
        }
    }

    #[test]
    fn bad_offsets_and_sizes_are_refused() {
        let good = target_response(3, "\\dom\\dfs", &[("\\a\\s", 1, 0)]);
        // NetworkAddressOffset past the end.
        let mut bytes = good.clone();
        bytes[8 + 16..8 + 18].copy_from_slice(&0xFFF0u16.to_le_bytes());
        assert!(matches!(
            ReferralResponse::decode(&bytes),
            Err(WireError::BadReferral {
                field: "NetworkAddress",
                problem: ReferralProblem::Unterminated,
                ..
            })
        ));
        // An odd offset into the string that never meets an aligned terminator.
        let mut bytes = good.clone();
        let last = bytes.len() - 1;
        bytes[8 + 16..8 + 18].copy_from_slice(&((last - 8) as u16).to_le_bytes());
        assert!(ReferralResponse::decode(&bytes).is_err());
        // A Size smaller than the fixed part, and past the message.
        for size in [0u16, 33, 0xFFFF] {
            let mut bytes = good.clone();
            bytes[10..12].copy_from_slice(&size.to_le_bytes());
            assert_eq!(
                ReferralResponse::decode(&bytes),
                Err(WireError::BadReferral {
                    field: "Size",
                    offset: 10,
                    problem: ReferralProblem::BadEntrySize(size)
                })
            );
        }
        // An unknown version.
        let mut bytes = good.clone();
        bytes[8..10].copy_from_slice(&5u16.to_le_bytes());
        assert!(matches!(
            ReferralResponse::decode(&bytes),
            Err(WireError::BadReferral {
                problem: ReferralProblem::UnknownVersion(5),
                ..
            })
        ));
        // A string longer than the limit.
        let mut bytes = good;
        let long = z(&"x".repeat(MAX_STRING_BYTES / 2 + 1));
        let at = bytes.len() - 8;
        bytes[8 + 16..8 + 18].copy_from_slice(&(at as u16).to_le_bytes());
        bytes.extend(long);
        assert!(ReferralResponse::decode(&bytes).is_err());
    }

    #[test]
    fn too_many_referrals_or_names_are_refused() {
        let bytes = header(0, 257, 0);
        assert_eq!(
            ReferralResponse::decode(&bytes),
            Err(WireError::BadReferral {
                field: "NumberOfReferrals",
                offset: 2,
                problem: ReferralProblem::TooManyReferrals(257)
            })
        );
        let mut bytes = name_list_response("CORP", &[]);
        bytes[8 + 14..8 + 16].copy_from_slice(&300u16.to_le_bytes());
        assert!(matches!(
            ReferralResponse::decode(&bytes),
            Err(WireError::BadReferral {
                problem: ReferralProblem::TooManyExpandedNames(300),
                ..
            })
        ));
        // Exactly 256 entries decode.
        let targets: Vec<_> = (0..256).map(|_| ("\\a\\s", 1, 0)).collect();
        let bytes = target_response(3, "\\d\\r", &targets);
        assert_eq!(ReferralResponse::decode(&bytes).unwrap().entries.len(), 256);
    }

    #[test]
    fn odd_path_consumed_rounds_down() {
        let mut bytes = name_list_response("CORP", &[]);
        bytes[0..2].copy_from_slice(&9u16.to_le_bytes());
        assert_eq!(
            ReferralResponse::decode(&bytes)
                .unwrap()
                .path_consumed_chars,
            4
        );
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = ReferralResponse::decode(&bytes);
        }
    }
}
