//! The name service engines (RFC 1001 §15, RFC 1002 §4): the shared UDP transport, and on it the
//! resolver, node status, the scanner and the responder.

pub mod cache;
pub mod client;
pub mod name_table;
pub mod resolver;
pub mod responder;
pub mod scanner;
pub mod schedule;
pub mod transport;

pub use transport::{Datagram, NameServiceSocket, Transaction, TransportStats};
