//! srvsvc (MS-SRVS) `NetrShareEnum` at level 1: the names, types and comments of a server's
//! shares, over the `\PIPE\srvsvc` named pipe.
//!
//! ```text
//! NET_API_STATUS NetrShareEnum(                      // opnum 15
//!     [in, string, unique] SRVSVC_HANDLE ServerName,
//!     [in, out] LPSHARE_ENUM_STRUCT InfoStruct,
//!     [in] DWORD PreferedMaximumLength,
//!     [out] DWORD* TotalEntries,
//!     [in, out, unique] DWORD* ResumeHandle);
//! SHARE_ENUM_STRUCT { DWORD Level; [switch_is(Level)] SHARE_ENUM_UNION ShareInfo; }
//! SHARE_ENUM_UNION  { [case(1)] SHARE_INFO_1_CONTAINER* Level1; ... }
//! SHARE_INFO_1_CONTAINER { DWORD EntriesRead; [size_is(EntriesRead)] LPSHARE_INFO_1 Buffer; }
//! SHARE_INFO_1 { [string] wchar_t* shi1_netname; DWORD shi1_type; [string] wchar_t* shi1_remark; }
//! ```

use super::RpcError;
use super::ndr::{NdrReader, NdrWriter};
use super::pdu::{SyntaxId, Uuid};

/// The srvsvc interface, 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0.
pub const SRVSVC: SyntaxId = SyntaxId {
    uuid: Uuid {
        data1: 0x4b32_4fc8,
        data2: 0x1670,
        data3: 0x01d3,
        data4: [0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88],
    },
    version_major: 3,
    version_minor: 0,
};

/// The pipe srvsvc listens on, as opened over SMB2 (relative to `IPC$`).
pub const PIPE_NAME: &str = "srvsvc";

/// Operation number of `NetrShareEnum` (Samba calls it `NetShareEnumAll`).
pub const OPNUM_NETR_SHARE_ENUM: u16 = 15;

/// `PreferedMaximumLength` asking the server for everything in one answer.
pub const MAX_PREFERRED_LENGTH: u32 = 0xffff_ffff;

/// Share type: a disk share.
pub const STYPE_DISKTREE: u32 = 0x0000_0000;
/// Share type: a print queue.
pub const STYPE_PRINTQ: u32 = 0x0000_0001;
/// Share type: a communication device.
pub const STYPE_DEVICE: u32 = 0x0000_0002;
/// Share type: interprocess communication (`IPC$`).
pub const STYPE_IPC: u32 = 0x0000_0003;
/// Share type: a cluster file server share.
pub const STYPE_CLUSTER_FS: u32 = 0x0200_0000;
/// Share type: a cluster scale-out file server share.
pub const STYPE_CLUSTER_SOFS: u32 = 0x0400_0000;
/// Share type: a cluster DFS share.
pub const STYPE_CLUSTER_DFS: u32 = 0x0800_0000;
/// Share type flag: a temporary share.
pub const STYPE_TEMPORARY: u32 = 0x4000_0000;
/// Share type flag: a special (administrative, `$`) share.
pub const STYPE_SPECIAL: u32 = 0x8000_0000;
/// The bits of a share type that hold the base type (disk, print queue, device, IPC).
pub const STYPE_MASK: u32 = 0x0000_00ff;

/// WERROR `NERR_Success`: the enumeration is complete.
pub const NERR_SUCCESS: u32 = 0;
/// WERROR `ERROR_MORE_DATA`: more entries follow; call again with the resume handle.
pub const ERROR_MORE_DATA: u32 = 234;

/// One share at level 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareInfo1 {
    /// The share name (`shi1_netname`); empty when the server sent NULL.
    pub name: String,
    /// The share type (`shi1_type`): a base type ([`STYPE_MASK`]) and flags.
    pub share_type: u32,
    /// The comment (`shi1_remark`); empty when the server sent NULL.
    pub remark: String,
}

impl ShareInfo1 {
    /// The base type: [`STYPE_DISKTREE`], [`STYPE_PRINTQ`], [`STYPE_DEVICE`] or [`STYPE_IPC`].
    pub fn base_type(&self) -> u32 {
        self.share_type & STYPE_MASK
    }

    /// Whether the share is special (administrative, such as `IPC$` or `C$`).
    pub fn is_special(&self) -> bool {
        self.share_type & STYPE_SPECIAL != 0
    }

    /// Whether the share is temporary.
    pub fn is_temporary(&self) -> bool {
        self.share_type & STYPE_TEMPORARY != 0
    }

    /// The share type decoded: its kind and flags.
    pub fn decoded_type(&self) -> ShareType {
        ShareType::from_stype(self.share_type)
    }
}

/// The base type of a share (the [`STYPE_MASK`] bits of its type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShareKind {
    /// [`STYPE_DISKTREE`]: a disk share.
    Disk,
    /// [`STYPE_PRINTQ`]: a print queue.
    PrintQueue,
    /// [`STYPE_DEVICE`]: a communication device.
    Device,
    /// [`STYPE_IPC`]: interprocess communication (`IPC$`).
    Ipc,
    /// A base type this crate does not know, as the server sent it.
    Unknown(u8),
}

/// A srvsvc share type (`shi1_type`) decoded once: the kind, and the special (`$`,
/// administrative) and temporary flags; the cluster bits are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShareType {
    /// The base type.
    pub kind: ShareKind,
    /// [`STYPE_SPECIAL`]: an administrative share such as `IPC$` or `C$`.
    pub special: bool,
    /// [`STYPE_TEMPORARY`]: a temporary share.
    pub temporary: bool,
}

impl ShareType {
    /// Decodes a `STYPE_*` value: its base type and flag bits.
    pub fn from_stype(value: u32) -> Self {
        let kind = match value & STYPE_MASK {
            STYPE_DISKTREE => ShareKind::Disk,
            STYPE_PRINTQ => ShareKind::PrintQueue,
            STYPE_DEVICE => ShareKind::Device,
            STYPE_IPC => ShareKind::Ipc,
            // The mask keeps the low byte.
            _ => ShareKind::Unknown(value.to_le_bytes()[0]),
        };
        Self {
            kind,
            special: value & STYPE_SPECIAL != 0,
            temporary: value & STYPE_TEMPORARY != 0,
        }
    }
}

impl From<u32> for ShareType {
    fn from(value: u32) -> Self {
        Self::from_stype(value)
    }
}

/// The decoded answer to `NetrShareEnum` at level 1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShareEnum {
    /// The entries in this answer, in the server's order.
    pub shares: Vec<ShareInfo1>,
    /// How many entries the server has in all (`TotalEntries`).
    pub total_entries: u32,
    /// The resume handle to continue from, when the server returned one.
    pub resume_handle: Option<u32>,
    /// The WERROR result: [`NERR_SUCCESS`], [`ERROR_MORE_DATA`], or a failure such as 5
    /// (access denied).
    pub status: u32,
}

impl ShareEnum {
    /// Whether the server has more entries for a further call with [`resume_handle`](Self::resume_handle).
    pub fn is_more_data(&self) -> bool {
        self.status == ERROR_MORE_DATA
    }
}

/// The stub of a `NetrShareEnum` request (opnum [`OPNUM_NETR_SHARE_ENUM`]).
///
/// `server_name` is sent as given, as a unique `[string]` pointer (NULL when empty). Windows
/// clients send `\\host`; Samba's sends the bare host; servers accept both, and
/// [`unc_server_name`] makes the former. `level` selects the answer's form: the request is
/// valid for any level (each level's container starts empty), but only level 1 answers can be
/// parsed here. [`MAX_PREFERRED_LENGTH`] asks for everything at once. `resume_handle` is 0 (or
/// `None`) for a first call, or the handle an [`ERROR_MORE_DATA`] answer returned.
pub fn net_share_enum_request(
    server_name: &str,
    level: u32,
    preferred_max_length: u32,
    resume_handle: Option<u32>,
) -> Vec<u8> {
    let mut w = NdrWriter::new();
    if w.unique_pointer(!server_name.is_empty()) {
        w.wide_string(server_name);
    }
    // InfoStruct: a [ref] top-level pointer, so only its pointee goes on the wire.
    w.u32(level);
    w.u32(level); // the union's discriminant
    w.referent(); // the container pointer for the level
    w.u32(0); // EntriesRead
    w.null_pointer(); // Buffer
    w.u32(preferred_max_length);
    if let Some(handle) = resume_handle {
        w.referent();
        w.u32(handle);
    } else {
        w.null_pointer();
    }
    w.into_bytes()
}

/// `\\host` for a host name or address, unless it already starts with `\\`.
pub fn unc_server_name(host: &str) -> String {
    if host.starts_with("\\\\") {
        host.to_owned()
    } else {
        format!("\\\\{host}")
    }
}

/// Size of one SHARE_INFO_1 in the conformant array (two pointers and the type).
const SHARE_INFO_1_LEN: usize = 12;
/// The smallest a deferred non-NULL string can be: its three counts.
const MIN_STRING_LEN: usize = 12;

/// Decodes the stub of a `NetrShareEnum` response at level 1.
///
/// A NULL container, or a NULL buffer, is an empty list (servers answer failures that way);
/// the WERROR is in [`ShareEnum::status`], not an `Err`. Every count is checked against the
/// bytes that remain before anything is allocated. Bytes after the status are ignored.
pub fn parse_net_share_enum_response(stub: &[u8]) -> Result<ShareEnum, RpcError> {
    let mut r = NdrReader::new(stub);
    let level = r.u32()?;
    if level != 1 {
        return Err(r
            .invalid("share enumeration answer is not at level 1")
            .into());
    }
    let discriminant = r.u32()?;
    if discriminant != level {
        return Err(r
            .invalid("union discriminant differs from the level")
            .into());
    }
    let mut shares = Vec::new();
    if r.pointer()?.is_some() {
        let entries_read = r.u32()?;
        if r.pointer()?.is_some() {
            let count = r.conformant_count(SHARE_INFO_1_LEN)?;
            if count != entries_read {
                return Err(r.invalid("array size differs from EntriesRead").into());
            }
            // conformant_count checked that `count` entries fit in the remaining bytes.
            let mut fixed = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let name = r.pointer()?.is_some();
                let share_type = r.u32()?;
                let remark = r.pointer()?.is_some();
                fixed.push((name, share_type, remark));
            }
            let strings = fixed
                .iter()
                .map(|&(n, _, c)| usize::from(n) + usize::from(c));
            if strings.sum::<usize>().saturating_mul(MIN_STRING_LEN) > r.remaining() {
                return Err(r.invalid("more string pointers than data").into());
            }
            shares.reserve_exact(fixed.len());
            for (has_name, share_type, has_remark) in fixed {
                let name = if has_name {
                    r.wide_string()?
                } else {
                    String::new()
                };
                let remark = if has_remark {
                    r.wide_string()?
                } else {
                    String::new()
                };
                shares.push(ShareInfo1 {
                    name,
                    share_type,
                    remark,
                });
            }
        } else if entries_read != 0 {
            return Err(r
                .invalid("EntriesRead is not 0 but the buffer is NULL")
                .into());
        }
    }
    let total_entries = r.u32()?;
    let resume_handle = match r.pointer()? {
        Some(_) => Some(r.u32()?),
        None => None,
    };
    let status = r.u32()?;
    Ok(ShareEnum {
        shares,
        total_entries,
        resume_handle,
        status,
    })
}
