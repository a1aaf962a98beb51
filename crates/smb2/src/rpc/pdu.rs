//! Connection-oriented DCE/RPC PDUs (C706 chapter 12, MS-RPCE 2.2.2): BIND, BIND_ACK,
//! BIND_NAK, REQUEST, RESPONSE and FAULT, without authentication verifiers.

use std::fmt;

use super::RpcError;
use crate::bytes::{ReadError, Reader};

/// `rpc_vers`: connection-oriented DCE/RPC is version 5.
pub const RPC_VERSION: u8 = 5;
/// `rpc_vers_minor` this client sends.
pub const RPC_VERSION_MINOR: u8 = 0;
/// Packed data representation: little-endian integers, ASCII characters, IEEE floats.
pub const DREP_LE_ASCII_IEEE: [u8; 4] = [0x10, 0, 0, 0];
/// Length of the common header every PDU starts with.
pub const HEADER_LEN: usize = 16;
/// Length of a REQUEST's header (common header, alloc_hint, p_cont_id, opnum) before the stub.
pub const REQUEST_HEADER_LEN: usize = 24;
/// Length of a RESPONSE's header (common header, alloc_hint, p_cont_id, cancel_count,
/// reserved) before the stub.
pub const RESPONSE_HEADER_LEN: usize = 24;

/// `pfc_flags`: the first fragment of a request or response.
pub const PFC_FIRST_FRAG: u8 = 0x01;
/// `pfc_flags`: the last fragment of a request or response.
pub const PFC_LAST_FRAG: u8 = 0x02;
/// `pfc_flags`: the request carries an object UUID after the opnum.
pub const PFC_OBJECT_UUID: u8 = 0x80;

/// Default limit on a reassembled response stub in [`ResponseAssembler::new`]: 16 MiB.
pub const DEFAULT_MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// A connection-oriented PDU type (`PTYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// REQUEST (0).
    Request,
    /// RESPONSE (2).
    Response,
    /// FAULT (3).
    Fault,
    /// BIND (11).
    Bind,
    /// BIND_ACK (12).
    BindAck,
    /// BIND_NAK (13).
    BindNak,
    /// Any other type; the number as sent.
    Other(u8),
}

impl PacketType {
    /// The type for a `PTYPE` byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Request,
            2 => Self::Response,
            3 => Self::Fault,
            11 => Self::Bind,
            12 => Self::BindAck,
            13 => Self::BindNak,
            other => Self::Other(other),
        }
    }

    /// The `PTYPE` byte.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Request => 0,
            Self::Response => 2,
            Self::Fault => 3,
            Self::Bind => 11,
            Self::BindAck => 12,
            Self::BindNak => 13,
            Self::Other(v) => v,
        }
    }
}

/// A DCE UUID. On the wire the first three fields are little-endian (in NDR's little-endian
/// representation) and the last eight bytes go as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid {
    /// The first 8 hex digits.
    pub data1: u32,
    /// The next 4.
    pub data2: u16,
    /// The next 4.
    pub data3: u16,
    /// The last 16 hex digits, in order.
    pub data4: [u8; 8],
}

impl Uuid {
    /// The 16 bytes as they appear in a little-endian PDU.
    pub fn to_le_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&self.data1.to_le_bytes());
        out[4..6].copy_from_slice(&self.data2.to_le_bytes());
        out[6..8].copy_from_slice(&self.data3.to_le_bytes());
        out[8..].copy_from_slice(&self.data4);
        out
    }

    /// The UUID in 16 bytes of a little-endian PDU.
    pub fn from_le_bytes(b: [u8; 16]) -> Self {
        let mut data4 = [0u8; 8];
        data4.copy_from_slice(&b[8..]);
        Self {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4,
        }
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

/// An interface or transfer syntax identifier: a UUID and a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyntaxId {
    /// The syntax UUID.
    pub uuid: Uuid,
    /// Major version (the low 16 bits of the wire's 32-bit version).
    pub version_major: u16,
    /// Minor version (the high 16 bits).
    pub version_minor: u16,
}

impl SyntaxId {
    /// The 20 bytes as they appear in a little-endian PDU.
    pub fn to_le_bytes(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..16].copy_from_slice(&self.uuid.to_le_bytes());
        out[16..18].copy_from_slice(&self.version_major.to_le_bytes());
        out[18..].copy_from_slice(&self.version_minor.to_le_bytes());
        out
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, ReadError> {
        Ok(Self {
            uuid: Uuid::from_le_bytes(r.array("transfer syntax uuid")?),
            version_major: r.u16("transfer syntax version")?,
            version_minor: r.u16("transfer syntax minor version")?,
        })
    }
}

impl fmt::Display for SyntaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} v{}.{}",
            self.uuid, self.version_major, self.version_minor
        )
    }
}

/// The NDR 2.0 transfer syntax, 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2.
pub const NDR20: SyntaxId = SyntaxId {
    uuid: Uuid {
        data1: 0x8a88_5d04,
        data2: 0x1ceb,
        data3: 0x11c9,
        data4: [0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60],
    },
    version_major: 2,
    version_minor: 0,
};

/// A provider's reason for rejecting a presentation context in a BIND_ACK (C706 12.6.3.1
/// `p_provider_reason_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderReason(pub u16);

impl ProviderReason {
    /// `reason_not_specified`.
    pub const NOT_SPECIFIED: Self = Self(0);
    /// `abstract_syntax_not_supported`: the server does not offer the interface (or version).
    pub const ABSTRACT_SYNTAX_NOT_SUPPORTED: Self = Self(1);
    /// `proposed_transfer_syntaxes_not_supported`: none of the offered transfer syntaxes.
    pub const PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED: Self = Self(2);
    /// `local_limit_exceeded`.
    pub const LOCAL_LIMIT_EXCEEDED: Self = Self(3);
}

impl fmt::Display for ProviderReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("reason not specified"),
            1 => f.write_str("abstract syntax not supported"),
            2 => f.write_str("proposed transfer syntaxes not supported"),
            3 => f.write_str("local limit exceeded"),
            n => write!(f, "reason {n}"),
        }
    }
}

/// Why a server refused an association with BIND_NAK (C706 12.6.3.1 `p_reject_reason_t`,
/// MS-RPCE 2.2.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BindNakReason(pub u16);

impl BindNakReason {
    /// `reason_not_specified`.
    pub const NOT_SPECIFIED: Self = Self(0);
    /// `temporary_congestion`.
    pub const TEMPORARY_CONGESTION: Self = Self(1);
    /// `local_limit_exceeded`.
    pub const LOCAL_LIMIT_EXCEEDED: Self = Self(2);
    /// `called_paddr_unknown`.
    pub const CALLED_PADDR_UNKNOWN: Self = Self(3);
    /// `protocol_version_not_supported`.
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: Self = Self(4);
    /// `default_context_not_supported`.
    pub const DEFAULT_CONTEXT_NOT_SUPPORTED: Self = Self(5);
    /// `user_data_not_readable`.
    pub const USER_DATA_NOT_READABLE: Self = Self(6);
    /// `no_psap_available`.
    pub const NO_PSAP_AVAILABLE: Self = Self(7);
    /// `authentication_type_not_recognized` (MS-RPCE).
    pub const AUTHENTICATION_TYPE_NOT_RECOGNIZED: Self = Self(8);
    /// `invalid_checksum` (MS-RPCE).
    pub const INVALID_CHECKSUM: Self = Self(9);
}

impl fmt::Display for BindNakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0 => "reason not specified",
            1 => "temporary congestion",
            2 => "local limit exceeded",
            3 => "called presentation address unknown",
            4 => "protocol version not supported",
            5 => "default context not supported",
            6 => "user data not readable",
            7 => "no PSAP available",
            8 => "authentication type not recognized",
            9 => "invalid checksum",
            n => return write!(f, "reason {n}"),
        };
        f.write_str(name)
    }
}

/// The server's answer for one offered presentation context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextResult {
    /// `acceptance`, with the transfer syntax the server chose.
    Accepted {
        /// The accepted transfer syntax.
        transfer_syntax: SyntaxId,
    },
    /// `user_rejection`.
    UserRejection {
        /// The reason field.
        reason: ProviderReason,
    },
    /// `provider_rejection`.
    ProviderRejection {
        /// Why.
        reason: ProviderReason,
    },
    /// `negotiate_ack` (MS-RPCE bind time feature negotiation): the reason field holds the
    /// features the server supports. Only in answer to a negotiation context, never to ours.
    NegotiateAck {
        /// The bind time feature flags.
        features: u16,
    },
    /// A result code C706 and MS-RPCE do not define.
    Other {
        /// The result field.
        result: u16,
        /// The reason field.
        reason: u16,
    },
}

/// A parsed BIND_ACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAck {
    /// The call id (the bind's).
    pub call_id: u32,
    /// The largest fragment the server will send.
    pub max_xmit_frag: u16,
    /// The largest fragment the server will receive: cap request fragments at this.
    pub max_recv_frag: u16,
    /// The association group.
    pub assoc_group_id: u32,
    /// The secondary address (for a named pipe, the pipe's name such as `\pipe\srvsvc`),
    /// without its NUL; bytes that are not UTF-8 are replaced.
    pub secondary_address: String,
    /// One result per offered presentation context, in the order they were offered.
    pub results: Vec<ContextResult>,
}

impl BindAck {
    /// The transfer syntax the server accepted for the `index`th offered context (0 for the
    /// one context [`bind_request`] offers), or why it did not.
    pub fn accepted(&self, index: usize) -> Result<SyntaxId, RpcError> {
        match self.results.get(index) {
            None => Err(RpcError::MissingContext(index)),
            Some(ContextResult::Accepted { transfer_syntax }) => Ok(*transfer_syntax),
            Some(ContextResult::UserRejection { reason }) => Err(RpcError::ContextRejected {
                result: 1,
                reason: *reason,
            }),
            Some(ContextResult::ProviderRejection { reason }) => Err(RpcError::ContextRejected {
                result: 2,
                reason: *reason,
            }),
            Some(ContextResult::NegotiateAck { features }) => Err(RpcError::ContextRejected {
                result: 3,
                reason: ProviderReason(*features),
            }),
            Some(ContextResult::Other { result, reason }) => Err(RpcError::ContextRejected {
                result: *result,
                reason: ProviderReason(*reason),
            }),
        }
    }
}

/// The common header of a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    ptype: u8,
    flags: u8,
    frag_length: u16,
    call_id: u32,
}

/// The fixed length of each PDU type this module reads, from the start of the PDU.
fn min_length(ptype: u8) -> usize {
    match PacketType::from_u8(ptype) {
        PacketType::Response | PacketType::Request => RESPONSE_HEADER_LEN,
        // alloc_hint, p_cont_id, cancel_count, reserved, status: the reserved word after the
        // status is in C706 but some servers omit it.
        PacketType::Fault => HEADER_LEN + 12,
        PacketType::BindAck => HEADER_LEN + 10,
        PacketType::BindNak => HEADER_LEN + 2,
        _ => HEADER_LEN,
    }
}

/// Reads and checks the common header of the PDU at the start of `data`. Only the 16 header
/// bytes need to be there.
fn parse_header(data: &[u8]) -> Result<Header, RpcError> {
    let mut c = Reader::new(data);
    let major = c.u8("rpc_vers")?;
    let minor = c.u8("rpc_vers_minor")?;
    let ptype = c.u8("PTYPE")?;
    let flags = c.u8("pfc_flags")?;
    let drep: [u8; 4] = c.array("packed_drep")?;
    let frag_length = c.u16("frag_length")?;
    let auth_length = c.u16("auth_length")?;
    let call_id = c.u32("call_id")?;
    if major != RPC_VERSION || minor > 1 {
        return Err(RpcError::UnsupportedVersion { major, minor });
    }
    // Integer representation in the high nibble of byte 0 (1 = little-endian), character
    // representation in its low nibble (0 = ASCII), floating point in byte 1 (0 = IEEE).
    if drep[0] != 0x10 || drep[1] != 0 {
        return Err(RpcError::UnsupportedDataRepresentation(drep));
    }
    if auth_length != 0 {
        return Err(RpcError::UnexpectedAuth { auth_length });
    }
    if usize::from(frag_length) < min_length(ptype) {
        return Err(RpcError::InvalidFragLength { ptype, frag_length });
    }
    Ok(Header {
        ptype,
        flags,
        frag_length,
        call_id,
    })
}

fn write_header(out: &mut Vec<u8>, ptype: PacketType, flags: u8, call_id: u32) {
    out.extend_from_slice(&[RPC_VERSION, RPC_VERSION_MINOR, ptype.to_u8(), flags]);
    out.extend_from_slice(&DREP_LE_ASCII_IEEE);
    out.extend_from_slice(&[0, 0]); // frag_length, patched by finish_pdu
    out.extend_from_slice(&0u16.to_le_bytes()); // auth_length
    out.extend_from_slice(&call_id.to_le_bytes());
}

fn finish_pdu(mut pdu: Vec<u8>) -> Vec<u8> {
    let len = u16::try_from(pdu.len()).unwrap_or(u16::MAX);
    pdu[8..10].copy_from_slice(&len.to_le_bytes());
    pdu
}

/// A BIND PDU offering one presentation context (id 0) for `interface` with the NDR 2.0
/// transfer syntax, in a new association group (0).
///
/// `max_xmit_frag` and `max_recv_frag` are the largest fragments this client will send and
/// receive; 4280 is what Windows and Samba offer, and servers must accept at least 1432.
pub fn bind_request(
    call_id: u32,
    interface: SyntaxId,
    max_xmit_frag: u16,
    max_recv_frag: u16,
) -> Vec<u8> {
    let mut pdu = Vec::with_capacity(72);
    write_header(
        &mut pdu,
        PacketType::Bind,
        PFC_FIRST_FRAG | PFC_LAST_FRAG,
        call_id,
    );
    pdu.extend_from_slice(&max_xmit_frag.to_le_bytes());
    pdu.extend_from_slice(&max_recv_frag.to_le_bytes());
    pdu.extend_from_slice(&0u32.to_le_bytes()); // assoc_group_id
    // p_context_elem: n_context_elem, reserved, reserved2.
    pdu.extend_from_slice(&[1, 0, 0, 0]);
    // p_cont_elem_t: p_cont_id, n_transfer_syn, reserved, abstract and transfer syntaxes.
    pdu.extend_from_slice(&0u16.to_le_bytes());
    pdu.extend_from_slice(&[1, 0]);
    pdu.extend_from_slice(&interface.to_le_bytes());
    pdu.extend_from_slice(&NDR20.to_le_bytes());
    finish_pdu(pdu)
}

/// Checks that `data` is exactly one PDU and returns its header.
fn single_pdu(data: &[u8]) -> Result<Header, RpcError> {
    let header = parse_header(data)?;
    let len = usize::from(header.frag_length);
    if data.len() < len {
        return Err(RpcError::Truncated {
            needed: len,
            available: data.len(),
        });
    }
    if data.len() > len {
        return Err(RpcError::TrailingBytes(data.len() - len));
    }
    Ok(header)
}

/// Parses the server's answer to [`bind_request`]: exactly one PDU.
///
/// A BIND_ACK parses to [`BindAck`] whatever its per-context results (check them with
/// [`BindAck::accepted`]); a BIND_NAK is [`RpcError::BindNak`], a FAULT [`RpcError::Fault`].
pub fn parse_bind_ack(data: &[u8]) -> Result<BindAck, RpcError> {
    let header = single_pdu(data)?;
    // single_pdu checked that `data` is exactly one PDU.
    let pdu = data;
    let mut c = Reader::at(pdu, HEADER_LEN);
    match PacketType::from_u8(header.ptype) {
        PacketType::BindAck => {}
        PacketType::BindNak => {
            return Err(RpcError::BindNak {
                reason: BindNakReason(c.u16("provider_reject_reason")?),
            });
        }
        PacketType::Fault => return Err(parse_fault(pdu)),
        _ => return Err(RpcError::UnexpectedPacketType(header.ptype)),
    }
    let max_xmit_frag = c.u16("max_xmit_frag")?;
    let max_recv_frag = c.u16("max_recv_frag")?;
    let assoc_group_id = c.u32("assoc_group_id")?;
    let addr_len = c.u16("sec_addr length")?;
    let addr = c.take(usize::from(addr_len), "sec_addr port_spec")?;
    let addr = addr.split(|&b| b == 0).next().unwrap_or_default();
    let secondary_address = String::from_utf8_lossy(addr).into_owned();
    c.align(4, "sec_addr padding")?;
    let n_results = c.u8("n_results")?;
    c.skip(3, "reserved")?; // reserved, reserved2
    let mut results = Vec::with_capacity(usize::from(n_results));
    for _ in 0..n_results {
        let result = c.u16("result")?;
        let reason = c.u16("reason")?;
        let transfer_syntax = SyntaxId::read(&mut c)?;
        results.push(match result {
            0 => ContextResult::Accepted { transfer_syntax },
            1 => ContextResult::UserRejection {
                reason: ProviderReason(reason),
            },
            2 => ContextResult::ProviderRejection {
                reason: ProviderReason(reason),
            },
            3 => ContextResult::NegotiateAck { features: reason },
            _ => ContextResult::Other { result, reason },
        });
    }
    Ok(BindAck {
        call_id: header.call_id,
        max_xmit_frag,
        max_recv_frag,
        assoc_group_id,
        secondary_address,
        results,
    })
}

/// The status of a FAULT PDU (at least [`min_length`] bytes, checked by the header parser).
fn parse_fault(pdu: &[u8]) -> RpcError {
    match Reader::at(pdu, HEADER_LEN + 8).u32("status") {
        Ok(status) => RpcError::Fault { status },
        Err(e) => e.into(),
    }
}

/// Splits `stub` into fragments of at most `max_xmit_frag` bytes each (C706 12.6.4.9).
///
/// The stub is cut into pieces that are multiples of 8 bytes (except the last), each
/// fragment's `alloc_hint` is the stub length still to come from that fragment on, the first
/// carries PFC_FIRST_FRAG and the last PFC_LAST_FRAG (one fragment carries both). Use the
/// smaller of this client's `max_xmit_frag` and the server's `max_recv_frag` from the
/// BIND_ACK. Fragments smaller than 32 bytes are not possible; smaller values mean 32.
pub fn request_pdus(
    call_id: u32,
    context_id: u16,
    opnum: u16,
    stub: &[u8],
    max_xmit_frag: u16,
) -> Vec<Vec<u8>> {
    let [c0, c1] = context_id.to_le_bytes();
    let [o0, o1] = opnum.to_le_bytes();
    fragment(
        stub,
        max_xmit_frag,
        PacketType::Request,
        call_id,
        [c0, c1, o0, o1],
    )
}

/// RESPONSE PDUs carrying `stub`, fragmented like [`request_pdus`]: what a server sends, for
/// tests and fake servers.
pub fn response_pdus(
    call_id: u32,
    context_id: u16,
    stub: &[u8],
    max_xmit_frag: u16,
) -> Vec<Vec<u8>> {
    let [c0, c1] = context_id.to_le_bytes();
    // p_cont_id, then cancel_count and reserved.
    fragment(
        stub,
        max_xmit_frag,
        PacketType::Response,
        call_id,
        [c0, c1, 0, 0],
    )
}

fn fragment(
    stub: &[u8],
    max_frag: u16,
    ptype: PacketType,
    call_id: u32,
    after_alloc_hint: [u8; 4],
) -> Vec<Vec<u8>> {
    let room = usize::from(max_frag)
        .saturating_sub(REQUEST_HEADER_LEN)
        .max(8)
        & !7;
    let mut pdus = Vec::new();
    let mut offset = 0;
    loop {
        let end = stub.len().min(offset + room);
        let mut flags = 0;
        if offset == 0 {
            flags |= PFC_FIRST_FRAG;
        }
        if end == stub.len() {
            flags |= PFC_LAST_FRAG;
        }
        let mut pdu = Vec::with_capacity(REQUEST_HEADER_LEN + end - offset);
        write_header(&mut pdu, ptype, flags, call_id);
        let alloc_hint = u32::try_from(stub.len() - offset).unwrap_or(u32::MAX);
        pdu.extend_from_slice(&alloc_hint.to_le_bytes());
        pdu.extend_from_slice(&after_alloc_hint);
        pdu.extend_from_slice(&stub[offset..end]);
        pdus.push(finish_pdu(pdu));
        offset = end;
        if offset == stub.len() {
            return pdus;
        }
    }
}

/// Reassembles the response to one call from whatever byte chunks the pipe returns.
///
/// Chunks may hold several PDUs, or part of one; [`push`](Self::push) buffers the bytes of an
/// incomplete PDU (at most one fragment, so at most 64 KiB) and processes every complete one.
/// Each RESPONSE fragment must answer the expected call id, the first must carry
/// PFC_FIRST_FRAG and no later one may; the stubs are concatenated until PFC_LAST_FRAG. A
/// FAULT ends the call with [`RpcError::Fault`].
///
/// After an error the assembler's state is unspecified: drop it (and usually the pipe).
#[derive(Debug, Clone)]
pub struct ResponseAssembler {
    call_id: u32,
    limit: usize,
    pending: Vec<u8>,
    stub: Vec<u8>,
    started: bool,
    done: bool,
}

impl ResponseAssembler {
    /// An assembler for the response to `call_id`, with a limit of [`DEFAULT_MAX_RESPONSE`]
    /// stub bytes.
    pub fn new(call_id: u32) -> Self {
        Self::with_limit(call_id, DEFAULT_MAX_RESPONSE)
    }

    /// An assembler whose reassembled stub may not exceed `limit` bytes.
    pub fn with_limit(call_id: u32, limit: usize) -> Self {
        Self {
            call_id,
            limit,
            pending: Vec::new(),
            stub: Vec::new(),
            started: false,
            done: false,
        }
    }

    /// Whether the last fragment has been seen (and the stub returned).
    pub fn is_complete(&self) -> bool {
        self.done
    }

    /// Feeds bytes read from the pipe. Returns the whole stub once the last fragment has
    /// arrived, `None` while more are needed. Bytes after the last fragment, or any bytes once
    /// complete, are [`RpcError::TrailingBytes`].
    pub fn push(&mut self, chunk: &[u8]) -> Result<Option<Vec<u8>>, RpcError> {
        if self.done {
            return if chunk.is_empty() {
                Ok(None)
            } else {
                Err(RpcError::TrailingBytes(chunk.len()))
            };
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(chunk);
        let mut consumed = 0;
        let mut result = Ok(None);
        while pending.len() - consumed >= HEADER_LEN {
            let Some(rest) = pending.get(consumed..) else {
                break;
            };
            let header = match parse_header(rest) {
                Ok(header) => header,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let len = usize::from(header.frag_length);
            let Some(fragment) = rest.get(..len) else {
                break;
            };
            consumed += len;
            match self.accept(header, fragment) {
                Ok(false) => {}
                Ok(true) => {
                    result = Ok(Some(std::mem::take(&mut self.stub)));
                    self.done = true;
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        pending.drain(..consumed);
        self.pending = pending;
        if result.is_ok() && self.done && !self.pending.is_empty() {
            return Err(RpcError::TrailingBytes(self.pending.len()));
        }
        result
    }

    /// Handles one complete fragment; true when it was the last.
    fn accept(&mut self, header: Header, pdu: &[u8]) -> Result<bool, RpcError> {
        match PacketType::from_u8(header.ptype) {
            PacketType::Response => {}
            PacketType::Fault => {
                if header.call_id != self.call_id {
                    return Err(RpcError::CallIdMismatch {
                        expected: self.call_id,
                        got: header.call_id,
                    });
                }
                return Err(parse_fault(pdu));
            }
            _ => return Err(RpcError::UnexpectedPacketType(header.ptype)),
        }
        if header.call_id != self.call_id {
            return Err(RpcError::CallIdMismatch {
                expected: self.call_id,
                got: header.call_id,
            });
        }
        let first = header.flags & PFC_FIRST_FRAG != 0;
        if first == self.started {
            return Err(RpcError::FragmentOrder);
        }
        self.started = true;
        let stub = Reader::at(pdu, RESPONSE_HEADER_LEN).rest("stub data")?;
        if self.stub.len().saturating_add(stub.len()) > self.limit {
            return Err(RpcError::ResponseTooLarge { limit: self.limit });
        }
        self.stub.extend_from_slice(stub);
        Ok(header.flags & PFC_LAST_FRAG != 0)
    }
}
