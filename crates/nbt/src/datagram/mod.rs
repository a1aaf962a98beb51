//! The datagram service (RFC 1001 §17, RFC 1002 §4.4 and §5.3, UDP port 138): connectionless
//! NetBIOS datagrams to a unique name, to a group name, or broadcast to every node.
//!
//! - [`fragment`]: sans-IO fragmentation and reassembly (F/M flags, PACKET_OFFSET) with
//!   bounded memory and a timeout;
//! - [`endpoint`]: [`DatagramEndpoint`], the tokio engine on one UDP socket: send unique,
//!   group and broadcast datagrams, and receive reassembled datagrams through subscriptions
//!   (one per destination name, one for broadcast datagrams, or everything) with bounded
//!   queues — what NCBDGSEND, NCBDGSENDBC, NCBDGRECV and NCBDGRECVBC are built on.
//!
//! The packets themselves are in [`crate::wire::datagram`].

pub mod endpoint;
pub mod fragment;

pub use endpoint::{
    DatagramConfig, DatagramEndpoint, DatagramError, DatagramFilter, DatagramReceiver,
    DatagramStats, ReceivedDatagram,
};
pub use fragment::{
    FragmentError, MAX_MESSAGE_LENGTH, Reassembled, Reassembler, ReassemblyLimits, ReassemblyStats,
    split,
};
