//! The numbers and byte layouts of Windows' nb30.h: command codes, return codes, name and
//! session states, and the structures `Netbios()` writes into NCB buffers.
//!
//! Every structure is laid out exactly as Windows lays it out (natural alignment,
//! little-endian, no padding but what the C compiler adds), so that code reading the buffer
//! with Python's `struct` (pywin32's netbios.py uses native alignment) or with C casts reads
//! it unchanged. The encoders write into a caller's buffer and report how much fitted.

/// The length of a NetBIOS name in an NCB.
pub const NCBNAMSZ: usize = 16;
/// The most LANAs an LANA_ENUM can list.
pub const MAX_LANA: usize = 254;

/// NCB command codes (`ncb_command`, without [`ASYNCH`]).
pub mod command {
    /// Open a session with a remote name.
    pub const NCBCALL: u8 = 0x10;
    /// Wait for a session from a remote name (or any).
    pub const NCBLISTEN: u8 = 0x11;
    /// Close a session.
    pub const NCBHANGUP: u8 = 0x12;
    /// Send a message on a session.
    pub const NCBSEND: u8 = 0x14;
    /// Receive a message on a session.
    pub const NCBRECV: u8 = 0x15;
    /// Receive a message on any session of a name (or of any name).
    pub const NCBRECVANY: u8 = 0x16;
    /// Send two buffers as one message.
    pub const NCBCHAINSEND: u8 = 0x17;
    /// Send a datagram to a name.
    pub const NCBDGSEND: u8 = 0x20;
    /// Receive a datagram sent to a name (or to any of ours).
    pub const NCBDGRECV: u8 = 0x21;
    /// Send a broadcast datagram.
    pub const NCBDGSENDBC: u8 = 0x22;
    /// Receive a broadcast datagram.
    pub const NCBDGRECVBC: u8 = 0x23;
    /// Add a unique name to the local name table.
    pub const NCBADDNAME: u8 = 0x30;
    /// Delete a name from the local name table.
    pub const NCBDELNAME: u8 = 0x31;
    /// Reset the LANA: drop names and sessions, set the limits.
    pub const NCBRESET: u8 = 0x32;
    /// Adapter status: local (`*`) or of a remote name.
    pub const NCBASTAT: u8 = 0x33;
    /// Session status of a local name (or `*` for all).
    pub const NCBSSTAT: u8 = 0x34;
    /// Cancel a pending command.
    pub const NCBCANCEL: u8 = 0x35;
    /// Add a group name to the local name table.
    pub const NCBADDGRNAME: u8 = 0x36;
    /// Enumerate the LANAs.
    pub const NCBENUM: u8 = 0x37;
    /// Unlink (a remote-boot command; a no-op on Windows NT).
    pub const NCBUNLINK: u8 = 0x70;
    /// Send without waiting for an acknowledgement.
    pub const NCBSENDNA: u8 = 0x71;
    /// Chained send without waiting for an acknowledgement.
    pub const NCBCHAINSENDNA: u8 = 0x72;
    /// LAN status alert (not supported by Windows NT).
    pub const NCBLANSTALERT: u8 = 0x73;
    /// Transport-specific action (not supported over NetBT).
    pub const NCBACTION: u8 = 0x77;
    /// Find the nodes that hold a name.
    pub const NCBFINDNAME: u8 = 0x78;
    /// Trace (not supported by Windows NT).
    pub const NCBTRACE: u8 = 0x79;
}

/// The flag that makes a command run in the background.
pub const ASYNCH: u8 = 0x80;

/// An NCB command, parsed once from `ncb_command` (see [`Command::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// NCBCALL.
    Call,
    /// NCBLISTEN.
    Listen,
    /// NCBHANGUP.
    Hangup,
    /// NCBSEND.
    Send,
    /// NCBRECV.
    Receive,
    /// NCBRECVANY.
    ReceiveAny,
    /// NCBCHAINSEND.
    ChainSend,
    /// NCBDGSEND.
    DatagramSend,
    /// NCBDGRECV.
    DatagramReceive,
    /// NCBDGSENDBC.
    DatagramSendBroadcast,
    /// NCBDGRECVBC.
    DatagramReceiveBroadcast,
    /// NCBADDNAME.
    AddName,
    /// NCBDELNAME.
    DeleteName,
    /// NCBRESET.
    Reset,
    /// NCBASTAT.
    AdapterStatus,
    /// NCBSSTAT.
    SessionStatus,
    /// NCBCANCEL.
    Cancel,
    /// NCBADDGRNAME.
    AddGroupName,
    /// NCBENUM.
    Enumerate,
    /// NCBUNLINK.
    Unlink,
    /// NCBSENDNA.
    SendNoAck,
    /// NCBCHAINSENDNA.
    ChainSendNoAck,
    /// NCBLANSTALERT.
    LanStatusAlert,
    /// NCBACTION.
    Action,
    /// NCBFINDNAME.
    FindName,
    /// NCBTRACE.
    Trace,
}

impl Command {
    /// Splits an `ncb_command` byte into its command and whether [`ASYNCH`] is set; a code
    /// nb30.h does not define is NRC_ILLCMD.
    pub fn parse(byte: u8) -> (Result<Command, Nrc>, bool) {
        let asynch = byte & ASYNCH != 0;
        let parsed = match byte & !ASYNCH {
            command::NCBCALL => Command::Call,
            command::NCBLISTEN => Command::Listen,
            command::NCBHANGUP => Command::Hangup,
            command::NCBSEND => Command::Send,
            command::NCBRECV => Command::Receive,
            command::NCBRECVANY => Command::ReceiveAny,
            command::NCBCHAINSEND => Command::ChainSend,
            command::NCBDGSEND => Command::DatagramSend,
            command::NCBDGRECV => Command::DatagramReceive,
            command::NCBDGSENDBC => Command::DatagramSendBroadcast,
            command::NCBDGRECVBC => Command::DatagramReceiveBroadcast,
            command::NCBADDNAME => Command::AddName,
            command::NCBDELNAME => Command::DeleteName,
            command::NCBRESET => Command::Reset,
            command::NCBASTAT => Command::AdapterStatus,
            command::NCBSSTAT => Command::SessionStatus,
            command::NCBCANCEL => Command::Cancel,
            command::NCBADDGRNAME => Command::AddGroupName,
            command::NCBENUM => Command::Enumerate,
            command::NCBUNLINK => Command::Unlink,
            command::NCBSENDNA => Command::SendNoAck,
            command::NCBCHAINSENDNA => Command::ChainSendNoAck,
            command::NCBLANSTALERT => Command::LanStatusAlert,
            command::NCBACTION => Command::Action,
            command::NCBFINDNAME => Command::FindName,
            command::NCBTRACE => Command::Trace,
            _ => return (Err(Nrc(nrc::NRC_ILLCMD)), asynch),
        };
        (Ok(parsed), asynch)
    }

    /// Whether the command sends the bytes of its buffer (the others only fill it).
    pub fn sends_data(self) -> bool {
        matches!(
            self,
            Command::Send
                | Command::SendNoAck
                | Command::ChainSend
                | Command::ChainSendNoAck
                | Command::DatagramSend
                | Command::DatagramSendBroadcast
        )
    }
}

/// An NRC return code (one of [`nrc`]'s), as the error of a command that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nrc(pub u8);

/// The name number that means "any of our names" to NCBRECVANY and NCBDGRECV.
pub const ANY_NAME: u8 = 0xFF;

/// NRC return codes (`ncb_retcode`, `ncb_cmd_cplt` and `Netbios()`'s result).
pub mod nrc {
    /// Good return.
    pub const NRC_GOODRET: u8 = 0x00;
    /// Illegal buffer length.
    pub const NRC_BUFLEN: u8 = 0x01;
    /// Illegal command.
    pub const NRC_ILLCMD: u8 = 0x03;
    /// Command timed out.
    pub const NRC_CMDTMO: u8 = 0x05;
    /// Message incomplete: more data to come.
    pub const NRC_INCOMP: u8 = 0x06;
    /// Illegal buffer address.
    pub const NRC_BADDR: u8 = 0x07;
    /// Session number out of range.
    pub const NRC_SNUMOUT: u8 = 0x08;
    /// No resource available.
    pub const NRC_NORES: u8 = 0x09;
    /// Session closed.
    pub const NRC_SCLOSED: u8 = 0x0A;
    /// Command cancelled.
    pub const NRC_CMDCAN: u8 = 0x0B;
    /// Duplicate name in the local name table.
    pub const NRC_DUPNAME: u8 = 0x0D;
    /// Name table full.
    pub const NRC_NAMTFUL: u8 = 0x0E;
    /// The name has active sessions and is now marked for deletion.
    pub const NRC_ACTSES: u8 = 0x0F;
    /// Local session table full.
    pub const NRC_LOCTFUL: u8 = 0x11;
    /// Remote session table full.
    pub const NRC_REMTFUL: u8 = 0x12;
    /// Illegal name number.
    pub const NRC_ILLNN: u8 = 0x13;
    /// No callname: nobody listens for the name called.
    pub const NRC_NOCALL: u8 = 0x14;
    /// No such name, or `*`/NUL where a name is needed.
    pub const NRC_NOWILD: u8 = 0x15;
    /// Name in use on a remote adapter.
    pub const NRC_INUSE: u8 = 0x16;
    /// Name deleted.
    pub const NRC_NAMERR: u8 = 0x17;
    /// Session ended abnormally.
    pub const NRC_SABORT: u8 = 0x18;
    /// Name conflict detected.
    pub const NRC_NAMCONF: u8 = 0x19;
    /// Interface busy.
    pub const NRC_IFBUSY: u8 = 0x21;
    /// Too many commands outstanding.
    pub const NRC_TOOMANY: u8 = 0x22;
    /// No such LANA number.
    pub const NRC_BRIDGE: u8 = 0x23;
    /// Command completed while the cancel was occurring.
    pub const NRC_CANOCCR: u8 = 0x24;
    /// The command is not valid to cancel.
    pub const NRC_CANCEL: u8 = 0x26;
    /// Name defined by another local process.
    pub const NRC_DUPENV: u8 = 0x30;
    /// Environment undefined: NCBRESET must be issued first.
    pub const NRC_ENVNOTDEF: u8 = 0x34;
    /// Operating-system resources exhausted.
    pub const NRC_OSRESNOTAV: u8 = 0x35;
    /// Maximum number of applications exceeded.
    pub const NRC_MAXAPPS: u8 = 0x36;
    /// No service access points available.
    pub const NRC_NOSAPS: u8 = 0x37;
    /// Requested resources not available.
    pub const NRC_NORESOURCES: u8 = 0x38;
    /// Invalid NCB address or length.
    pub const NRC_INVADDRESS: u8 = 0x39;
    /// Invalid NCB DDID.
    pub const NRC_INVDDID: u8 = 0x3B;
    /// Lock of the user area failed.
    pub const NRC_LOCKFAIL: u8 = 0x3C;
    /// The NetBIOS driver could not be opened.
    pub const NRC_OPENERR: u8 = 0x3F;
    /// System error.
    pub const NRC_SYSTEM: u8 = 0x40;
    /// The command is still pending (ASYNCH).
    pub const NRC_PENDING: u8 = 0xFF;
}

/// Name flags of NAME_BUFFER (`name_flags`).
pub mod name_flags {
    /// The bits that hold the flags.
    pub const NAME_FLAGS_MASK: u8 = 0x87;
    /// A group name.
    pub const GROUP_NAME: u8 = 0x80;
    /// A unique name.
    pub const UNIQUE_NAME: u8 = 0x00;
    /// Registration under way.
    pub const REGISTERING: u8 = 0x00;
    /// Registered.
    pub const REGISTERED: u8 = 0x04;
    /// Deleted, waiting for its sessions to end.
    pub const DEREGISTERED: u8 = 0x05;
    /// Another node claims it.
    pub const DUPLICATE: u8 = 0x06;
    /// Another node claims it and it is being deleted.
    pub const DUPLICATE_DEREG: u8 = 0x07;
}

/// Session states of SESSION_BUFFER (`state`).
pub mod session_state {
    /// A listen waits for a caller.
    pub const LISTEN_OUTSTANDING: u8 = 0x01;
    /// A call is under way.
    pub const CALL_PENDING: u8 = 0x02;
    /// The session is open.
    pub const SESSION_ESTABLISHED: u8 = 0x03;
    /// A hang-up is under way.
    pub const HANGUP_PENDING: u8 = 0x04;
    /// The session was hung up.
    pub const HANGUP_COMPLETE: u8 = 0x05;
    /// The session ended abnormally.
    pub const SESSION_ABORTED: u8 = 0x06;
}

/// Writes `bytes` at the start of `out` as far as they fit; returns how many did.
fn write_prefix(out: &mut [u8], bytes: &[u8]) -> usize {
    let count = bytes.len().min(out.len());
    out[..count].copy_from_slice(&bytes[..count]);
    count
}

/// ADAPTER_STATUS (60 bytes): what NCBASTAT returns before its NAME_BUFFERs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterStatus {
    /// The adapter's MAC address (a remote node's unit id).
    pub adapter_address: [u8; 6],
    /// Major version of the NetBIOS software (3 on Windows).
    pub rev_major: u8,
    /// Adapter type: 0xFE Ethernet, 0xFF Token Ring.
    pub adapter_type: u8,
    /// Minor version.
    pub rev_minor: u8,
    /// Minutes since the last reset.
    pub duration: u16,
    /// Frames sent.
    pub xmit_success: u32,
    /// Frames received.
    pub recv_success: u32,
    /// Free command blocks.
    pub free_ncbs: u16,
    /// Command blocks configured.
    pub max_cfg_ncbs: u16,
    /// Command blocks at most.
    pub max_ncbs: u16,
    /// The largest datagram.
    pub max_dgram_size: u16,
    /// Sessions open.
    pub pending_sess: u16,
    /// Sessions configured.
    pub max_cfg_sess: u16,
    /// Sessions at most.
    pub max_sess: u16,
    /// The largest session message.
    pub max_sess_pkt_size: u16,
    /// How many NAME_BUFFERs follow.
    pub name_count: u16,
}

impl AdapterStatus {
    /// The size of the structure.
    pub const SIZE: usize = 60;

    /// The structure's bytes (the counters Windows keeps for token-ring and frame-level
    /// errors are zero).
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        bytes[0..6].copy_from_slice(&self.adapter_address);
        bytes[6] = self.rev_major;
        // bytes[7]: reserved0
        bytes[8] = self.adapter_type;
        bytes[9] = self.rev_minor;
        bytes[10..12].copy_from_slice(&self.duration.to_le_bytes());
        // 12..20: frmr_recv, frmr_xmit, iframe_recv_err, xmit_aborts
        bytes[20..24].copy_from_slice(&self.xmit_success.to_le_bytes());
        bytes[24..28].copy_from_slice(&self.recv_success.to_le_bytes());
        // 28..36: iframe_xmit_err, recv_buff_unavail, t1_timeouts, ti_timeouts; 36..40: reserved1
        bytes[40..42].copy_from_slice(&self.free_ncbs.to_le_bytes());
        bytes[42..44].copy_from_slice(&self.max_cfg_ncbs.to_le_bytes());
        bytes[44..46].copy_from_slice(&self.max_ncbs.to_le_bytes());
        // 46..48: xmit_buf_unavail
        bytes[48..50].copy_from_slice(&self.max_dgram_size.to_le_bytes());
        bytes[50..52].copy_from_slice(&self.pending_sess.to_le_bytes());
        bytes[52..54].copy_from_slice(&self.max_cfg_sess.to_le_bytes());
        bytes[54..56].copy_from_slice(&self.max_sess.to_le_bytes());
        bytes[56..58].copy_from_slice(&self.max_sess_pkt_size.to_le_bytes());
        bytes[58..60].copy_from_slice(&self.name_count.to_le_bytes());
        bytes
    }
}

/// NAME_BUFFER (18 bytes): one name of a name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameBuffer {
    /// The 16 bytes of the name.
    pub name: [u8; NCBNAMSZ],
    /// Its name number (local names; 0 in a remote table).
    pub name_num: u8,
    /// [`name_flags`].
    pub name_flags: u8,
}

impl NameBuffer {
    /// The size of the structure.
    pub const SIZE: usize = 18;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        bytes[..NCBNAMSZ].copy_from_slice(&self.name);
        bytes[16] = self.name_num;
        bytes[17] = self.name_flags;
        bytes
    }
}

/// LANA_ENUM (256 bytes): the LANA numbers in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanaEnum {
    /// The LANA numbers (at most [`MAX_LANA`]).
    pub lanas: Vec<u8>,
}

impl LanaEnum {
    /// The size of the structure.
    pub const SIZE: usize = 256;

    /// The structure's bytes: the count, then the numbers, then zeros.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        let count = self.lanas.len().min(MAX_LANA);
        bytes[0] = count as u8;
        bytes[1..=count].copy_from_slice(&self.lanas[..count]);
        bytes
    }
}

/// SESSION_HEADER (4 bytes): what NCBSSTAT returns before its SESSION_BUFFERs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionHeader {
    /// The name number asked about.
    pub sess_name: u8,
    /// How many SESSION_BUFFERs follow.
    pub num_sess: u8,
    /// Datagram receives pending for the name.
    pub rcv_dg_outstanding: u8,
    /// Receive-any commands pending for the name.
    pub rcv_any_outstanding: u8,
}

impl SessionHeader {
    /// The size of the structure.
    pub const SIZE: usize = 4;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        [
            self.sess_name,
            self.num_sess,
            self.rcv_dg_outstanding,
            self.rcv_any_outstanding,
        ]
    }
}

/// SESSION_BUFFER (36 bytes): one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionBuffer {
    /// The local session number.
    pub lsn: u8,
    /// [`session_state`].
    pub state: u8,
    /// Our name.
    pub local_name: [u8; NCBNAMSZ],
    /// The peer's name.
    pub remote_name: [u8; NCBNAMSZ],
    /// Receives pending.
    pub rcvs_outstanding: u8,
    /// Sends pending.
    pub sends_outstanding: u8,
}

impl SessionBuffer {
    /// The size of the structure.
    pub const SIZE: usize = 36;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        bytes[0] = self.lsn;
        bytes[1] = self.state;
        bytes[2..18].copy_from_slice(&self.local_name);
        bytes[18..34].copy_from_slice(&self.remote_name);
        bytes[34] = self.rcvs_outstanding;
        bytes[35] = self.sends_outstanding;
        bytes
    }
}

/// FIND_NAME_HEADER (4 bytes): what NCBFINDNAME returns before its FIND_NAME_BUFFERs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindNameHeader {
    /// How many FIND_NAME_BUFFERs follow.
    pub node_count: u16,
    /// 0 for a unique name, 1 for a group name.
    pub unique_group: u8,
}

impl FindNameHeader {
    /// The size of the structure.
    pub const SIZE: usize = 4;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let count = self.node_count.to_le_bytes();
        [count[0], count[1], 0, self.unique_group]
    }
}

/// FIND_NAME_BUFFER (33 bytes): one node holding the name. Over TCP/IP, Windows puts the IPv4
/// addresses in the last four bytes of the six-byte address fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindNameBuffer {
    /// The length of the data that follows (14 over TCP/IP).
    pub length: u8,
    /// Access control byte (0).
    pub access_control: u8,
    /// Frame control byte (0).
    pub frame_control: u8,
    /// Our end: two zero bytes and our IPv4 address.
    pub destination_addr: [u8; 6],
    /// The node's end: two zero bytes and its IPv4 address.
    pub source_addr: [u8; 6],
}

impl FindNameBuffer {
    /// The size of the structure.
    pub const SIZE: usize = 33;

    /// The structure's bytes (the 18 bytes of source-routing information are zero).
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        bytes[0] = self.length;
        bytes[1] = self.access_control;
        bytes[2] = self.frame_control;
        bytes[3..9].copy_from_slice(&self.destination_addr);
        bytes[9..15].copy_from_slice(&self.source_addr);
        bytes
    }

    /// An IPv4 address in a six-byte address field, as NetBT puts it.
    pub fn address_field(address: std::net::Ipv4Addr) -> [u8; 6] {
        let octets = address.octets();
        [0, 0, octets[0], octets[1], octets[2], octets[3]]
    }
}

/// A structure followed by records, written into a caller's buffer as far as it fits.
///
/// Returns the bytes written and whether everything fitted. Only whole records are written
/// after the header; a buffer shorter than the header gets the header's first bytes.
pub fn write_with_records(out: &mut [u8], header: &[u8], records: &[&[u8]]) -> (usize, bool) {
    let mut written = write_prefix(out, header);
    if written < header.len() {
        return (written, false);
    }
    for record in records {
        let Some(room) = out.get_mut(written..written + record.len()) else {
            return (written, false);
        };
        room.copy_from_slice(record);
        written += record.len();
    }
    (written, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_sizes_match_windows_and_netbios_py() {
        // The sizes pywin32's netbios.py computes with struct.calcsize on native alignment.
        assert_eq!(AdapterStatus::default().to_bytes().len(), 60);
        assert_eq!(NameBuffer::SIZE, 18);
        assert_eq!(LanaEnum::SIZE, 256);
        assert_eq!(SessionHeader::SIZE, 4);
        assert_eq!(SessionBuffer::SIZE, 36);
        assert_eq!(FindNameHeader::SIZE, 4);
        assert_eq!(FindNameBuffer::SIZE, 33);
    }

    #[test]
    fn adapter_status_fields_sit_at_their_c_offsets() {
        let status = AdapterStatus {
            adapter_address: [0x00, 0x15, 0x5d, 0x01, 0x02, 0xab],
            rev_major: 3,
            adapter_type: 0xFE,
            rev_minor: 0,
            duration: 0x0102,
            xmit_success: 0x0A0B_0C0D,
            recv_success: 0x1122_3344,
            free_ncbs: 5,
            max_cfg_ncbs: 6,
            max_ncbs: 7,
            max_dgram_size: 512,
            pending_sess: 2,
            max_cfg_sess: 16,
            max_sess: 254,
            max_sess_pkt_size: 0xFFFF,
            name_count: 3,
        };
        let bytes = status.to_bytes();
        assert_eq!(&bytes[0..6], &[0x00, 0x15, 0x5d, 0x01, 0x02, 0xab]);
        assert_eq!((bytes[6], bytes[7], bytes[8], bytes[9]), (3, 0, 0xFE, 0));
        assert_eq!(&bytes[10..12], &[0x02, 0x01]);
        assert_eq!(&bytes[20..24], &[0x0D, 0x0C, 0x0B, 0x0A]);
        assert_eq!(&bytes[24..28], &[0x44, 0x33, 0x22, 0x11]);
        assert_eq!(&bytes[40..46], &[5, 0, 6, 0, 7, 0]);
        assert_eq!(
            &bytes[48..60],
            &[0, 2, 2, 0, 16, 0, 254, 0, 0xFF, 0xFF, 3, 0]
        );
    }

    #[test]
    fn records_are_written_whole_or_not_at_all() {
        let header = [1u8, 2, 3, 4];
        let record = [9u8; 18];
        let mut room = [0u8; 4 + 18 + 10];
        assert_eq!(
            write_with_records(&mut room, &header, &[&record, &record]),
            (22, false)
        );
        let mut short = [0u8; 3];
        assert_eq!(write_with_records(&mut short, &header, &[]), (3, false));
        assert_eq!(short, [1, 2, 3]);
        let mut exact = [0u8; 40];
        assert_eq!(
            write_with_records(&mut exact, &header, &[&record, &record]),
            (40, true)
        );
    }

    #[test]
    fn small_structures_lay_out_as_nb30_h() {
        let lanas = LanaEnum {
            lanas: vec![0, 1, 3],
        }
        .to_bytes();
        assert_eq!(&lanas[..5], &[3, 0, 1, 3, 0]);
        let header = FindNameHeader {
            node_count: 0x0102,
            unique_group: 1,
        };
        assert_eq!(header.to_bytes(), [0x02, 0x01, 0, 1]);
        let found = FindNameBuffer {
            length: 14,
            destination_addr: FindNameBuffer::address_field([127, 0, 0, 1].into()),
            source_addr: FindNameBuffer::address_field([198, 51, 100, 2].into()),
            ..FindNameBuffer::default()
        }
        .to_bytes();
        assert_eq!(
            &found[..15],
            &[14, 0, 0, 0, 0, 127, 0, 0, 1, 0, 0, 198, 51, 100, 2]
        );
        let session = SessionBuffer {
            lsn: 7,
            state: session_state::SESSION_ESTABLISHED,
            local_name: *b"LOCAL           ",
            remote_name: *b"REMOTE         \x20",
            rcvs_outstanding: 1,
            sends_outstanding: 0,
        }
        .to_bytes();
        assert_eq!(&session[..3], &[7, 3, b'L']);
        assert_eq!(&session[18..24], b"REMOTE");
        assert_eq!(session[34], 1);
    }
}
