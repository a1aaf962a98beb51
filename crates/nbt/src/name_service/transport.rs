//! One UDP socket for the name service, shared by many requests at once.
//!
//! Every name-service packet starts with a 16-bit transaction id (NAME_TRN_ID, RFC 1002 §4.2.1.1)
//! and has the response bit R as the top bit of its third byte. The socket's receive task reads
//! those three bytes and nothing else: a response goes to the [`Transaction`] waiting for its id;
//! requests, and responses no transaction waits for, go to the unsolicited channel (for a
//! responder, which must see a conflict demand sent unprompted); runts are dropped and counted.
//! Decoding is left to the receiver, so this layer cannot be confused by malformed packets.
//!
//! The requests channel is bounded: under a flood, requests beyond its capacity are dropped
//! rather than queued without end, and responses to our own transactions still get through.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::socket::{bind_udp, id_seed, ipv4, is_transient};

/// The largest UDP payload a socket can receive.
const MAX_UDP_PAYLOAD: usize = 65_507;
/// Requests queued for the responder before further ones are dropped.
const REQUEST_QUEUE: usize = 1024;
/// The shortest name-service packet: the 12-byte header.
const HEADER_LENGTH: usize = 12;

/// A datagram received on the name-service socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The payload, undecoded.
    pub bytes: Vec<u8>,
    /// Who sent it.
    pub from: SocketAddrV4,
}

/// Counters of what the receive task did with incoming datagrams.
#[derive(Debug, Default)]
pub struct TransportStats {
    /// Responses handed to a waiting transaction.
    pub responses: AtomicU64,
    /// Requests and unsolicited responses handed to the unsolicited channel.
    pub requests: AtomicU64,
    /// Datagrams dropped: too short, from IPv6, or over the unsolicited channel's capacity.
    pub dropped: AtomicU64,
}

type Waiters = HashMap<u16, mpsc::UnboundedSender<Datagram>>;

#[derive(Debug)]
struct Shared {
    socket: UdpSocket,
    waiters: Mutex<Waiters>,
    next_id: Mutex<u16>,
    stats: TransportStats,
}

impl Shared {
    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        // The map stays consistent under a panic elsewhere: every operation is a single insert
        // or remove.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A name-service UDP socket with transaction-id demultiplexing.
#[derive(Debug)]
pub struct NameServiceSocket {
    shared: Arc<Shared>,
    receiver: JoinHandle<()>,
    broadcast_receiver: Option<JoinHandle<()>>,
}

impl NameServiceSocket {
    /// Binds `address` (port 0 for any) and starts the receive task. Broadcasts are allowed.
    ///
    /// Returns the socket and the channel of unsolicited datagrams (requests, and responses no
    /// transaction waits for) that arrive on it.
    pub async fn bind(address: SocketAddrV4) -> io::Result<(Self, mpsc::Receiver<Datagram>)> {
        Self::bind_with_broadcast(address, None).await
    }

    /// As [`bind`](Self::bind), and when `broadcast` is given, a second socket bound to that
    /// (broadcast) address with SO_REUSEADDR, so that several nodes of one host, each on its
    /// own address, all hear broadcasts. What the second socket receives joins the same
    /// channels; everything is sent from the first.
    pub async fn bind_with_broadcast(
        address: SocketAddrV4,
        broadcast: Option<SocketAddrV4>,
    ) -> io::Result<(Self, mpsc::Receiver<Datagram>)> {
        let socket = UdpSocket::bind(address).await?;
        socket.set_broadcast(true)?;
        let broadcast_socket = broadcast
            .map(|address| bind_udp(address, true))
            .transpose()?;
        let shared = Arc::new(Shared {
            socket,
            waiters: Mutex::new(HashMap::new()),
            next_id: Mutex::new(id_seed()),
            stats: TransportStats::default(),
        });
        let (requests_tx, requests_rx) = mpsc::channel(REQUEST_QUEUE);
        let broadcast_receiver = broadcast_socket.map(|socket| {
            tokio::spawn(receive_loop(
                Arc::clone(&shared),
                Some(socket),
                requests_tx.clone(),
            ))
        });
        let receiver = tokio::spawn(receive_loop(Arc::clone(&shared), None, requests_tx));
        Ok((
            NameServiceSocket {
                shared,
                receiver,
                broadcast_receiver,
            },
            requests_rx,
        ))
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddrV4> {
        ipv4(self.shared.socket.local_addr()?)
    }

    /// Sends one datagram.
    pub async fn send_to(&self, bytes: &[u8], to: SocketAddrV4) -> io::Result<()> {
        self.shared.socket.send_to(bytes, to).await.map(drop)
    }

    /// Starts a transaction with a transaction id no other open transaction uses; `None` when
    /// all 65,536 are in use.
    pub fn transaction(&self) -> Option<Transaction> {
        let mut waiters = self.shared.waiters();
        if waiters.len() > usize::from(u16::MAX) {
            return None;
        }
        let mut next = self
            .shared
            .next_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Ids advance by one from a random start (a resolver's ids should not be guessable from
        // the start, and consecutive ids make scans easy to follow in a capture).
        let id = loop {
            let id = *next;
            *next = next.wrapping_add(1);
            if !waiters.contains_key(&id) {
                break id;
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        waiters.insert(id, tx);
        Some(Transaction {
            id,
            responses: rx,
            shared: Arc::clone(&self.shared),
        })
    }

    /// What the receive task has done so far.
    pub fn stats(&self) -> &TransportStats {
        &self.shared.stats
    }
}

impl Drop for NameServiceSocket {
    fn drop(&mut self) {
        self.receiver.abort();
        if let Some(receiver) = &self.broadcast_receiver {
            receiver.abort();
        }
    }
}

/// An open request: the responses that carry its transaction id. Closed on drop.
#[derive(Debug)]
pub struct Transaction {
    id: u16,
    responses: mpsc::UnboundedReceiver<Datagram>,
    shared: Arc<Shared>,
}

impl Transaction {
    /// The transaction id to put in the request.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The next response, or `None` once `deadline` has passed.
    pub async fn next_response(&mut self, deadline: Instant) -> Option<Datagram> {
        tokio::time::timeout_at(deadline, self.responses.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.shared.waiters().remove(&self.id);
    }
}

/// Receives on `own` if given (a broadcast socket), else on the shared socket.
async fn receive_loop(
    shared: Arc<Shared>,
    own: Option<UdpSocket>,
    requests: mpsc::Sender<Datagram>,
) {
    let mut buffer = vec![0u8; MAX_UDP_PAYLOAD];
    loop {
        let socket = own.as_ref().unwrap_or(&shared.socket);
        let (length, from) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            // ICMP errors (port unreachable from an earlier send) surface here on Linux;
            // they concern one send, not the socket.
            Err(error) if is_transient(&error) => continue,
            Err(error) => {
                tracing::warn!(%error, "name-service socket failed; receiving stops");
                return;
            }
        };
        let SocketAddr::V4(from) = from else {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let bytes = buffer.get(..length).unwrap_or_default();
        let (&[high, low, flags, ..], true) = (bytes, length >= HEADER_LENGTH) else {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let datagram = Datagram {
            bytes: bytes.to_vec(),
            from,
        };
        let is_response = flags & 0x80 != 0;
        let waiter = if is_response {
            let id = u16::from_be_bytes([high, low]);
            shared.waiters().get(&id).cloned()
        } else {
            None
        };
        let datagram = match waiter {
            Some(waiter) => match waiter.send(datagram) {
                Ok(()) => {
                    shared.stats.responses.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // The transaction closed between the lookup and the send.
                Err(mpsc::error::SendError(datagram)) => datagram,
            },
            None => datagram,
        };
        // Requests, and responses nobody waits for (late answers, or a conflict demand sent
        // unprompted), go to the unsolicited channel.
        if requests.try_send(datagram).is_ok() {
            shared.stats.requests.fetch_add(1, Ordering::Relaxed);
        } else {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;

    fn loopback() -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)
    }

    fn packet(id: u16, response: bool) -> Vec<u8> {
        let mut bytes = vec![0u8; HEADER_LENGTH];
        bytes[..2].copy_from_slice(&id.to_be_bytes());
        bytes[2] = if response { 0x85 } else { 0x01 };
        bytes
    }

    #[tokio::test]
    async fn responses_reach_their_transaction_and_requests_the_responder() {
        let (client, mut client_unsolicited) = NameServiceSocket::bind(loopback()).await.unwrap();
        let (server, mut requests) = NameServiceSocket::bind(loopback()).await.unwrap();
        let server_address = server.local_addr().unwrap();
        let client_address = client.local_addr().unwrap();

        let mut first = client.transaction().unwrap();
        let mut second = client.transaction().unwrap();
        assert_ne!(first.id(), second.id());

        client
            .send_to(&packet(first.id(), false), server_address)
            .await
            .unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.from, client_address);

        // Answer the second transaction first, plus a stray id and a runt.
        for bytes in [
            packet(second.id(), true),
            packet(second.id().wrapping_add(7), true),
            vec![0x85; 3],
            packet(first.id(), true),
        ] {
            server.send_to(&bytes, client_address).await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let answer = first.next_response(deadline).await.unwrap();
        assert_eq!(answer.bytes, packet(first.id(), true));
        assert_eq!(answer.from, server_address);
        let answer = second.next_response(deadline).await.unwrap();
        assert_eq!(answer.bytes, packet(second.id(), true));
        assert_eq!(client.stats().responses.load(Ordering::Relaxed), 2);
        assert_eq!(
            client.stats().dropped.load(Ordering::Relaxed),
            1,
            "the runt"
        );
        let stray = client_unsolicited.recv().await.unwrap();
        assert_eq!(stray.bytes, packet(second.id().wrapping_add(7), true));
    }

    #[tokio::test]
    async fn a_silent_peer_ends_in_none_at_the_deadline() {
        let (client, _) = NameServiceSocket::bind(loopback()).await.unwrap();
        let mut transaction = client.transaction().unwrap();
        let deadline = Instant::now() + Duration::from_millis(50);
        assert_eq!(transaction.next_response(deadline).await, None);
    }

    #[tokio::test]
    async fn closed_transactions_free_their_id() {
        let (client, _) = NameServiceSocket::bind(loopback()).await.unwrap();
        drop(client.transaction().unwrap());
        assert!(client.shared.waiters().is_empty());
        let open: Vec<_> = (0..1000).map(|_| client.transaction().unwrap()).collect();
        let ids: std::collections::HashSet<u16> = open.iter().map(Transaction::id).collect();
        assert_eq!(ids.len(), 1000);
        assert_eq!(client.shared.waiters().len(), 1000);
        drop(open);
        assert!(client.shared.waiters().is_empty());
    }
}
