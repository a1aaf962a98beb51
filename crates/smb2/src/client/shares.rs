//! Share enumeration: srvsvc NetrShareEnum (level 1) over DCE/RPC on `IPC$\srvsvc`.

use crate::client::tree::limit_exceeded;
use crate::client::{Error, OpenFile, Session, Tree};
use crate::rpc::srvsvc::{
    MAX_PREFERRED_LENGTH, OPNUM_NETR_SHARE_ENUM, PIPE_NAME, SRVSVC, ShareInfo1,
    net_share_enum_request, parse_net_share_enum_response, unc_server_name,
};
use crate::rpc::{ResponseAssembler, RpcError, bind_request, parse_bind_ack, request_pdus};

/// The fragment size we offer and accept (what Samba's own clients use).
const MAX_FRAGMENT: u16 = 4280;
/// How many ERROR_MORE_DATA rounds one listing may take (each returns at least one share).
const MAX_ROUNDS: usize = 10_000;
/// The most shares one listing returns (2^20), over all its rounds: far more than any real
/// server has, few enough to bound a client's memory against one that streams them.
pub const MAX_SHARES: usize = 1_048_576;
/// The most NetrShareEnum stub bytes one listing takes over all its rounds (256 MiB). One
/// answer is bounded on its own by its fragments' reassembly
/// ([`crate::rpc::pdu::DEFAULT_MAX_RESPONSE`], 16 MiB); this bounds their sum.
pub const MAX_SHARE_LIST_BYTES: usize = 256 * 1024 * 1024;
// Every round that goes on brings a share, so the round cap stays under the share cap; one
// answer at its largest fits the byte cap.
const _: () = assert!(MAX_ROUNDS <= MAX_SHARES);
const _: () = assert!(crate::rpc::pdu::DEFAULT_MAX_RESPONSE <= MAX_SHARE_LIST_BYTES);

/// The shares of the server the session is connected to, hidden ones included, as the
/// server lists them. `server` is the server's name as the caller knows it.
///
/// The first listing on a session opens `IPC$\srvsvc` and binds it; the bound pipe stays open
/// with the session for the next listing (the tree connect, open and bind are three of a
/// listing's four round trips), until the session ends or a listing on it fails, when it is
/// closed by a task spawned on the current tokio runtime and a new one tried once.
pub async fn list_shares(session: &Session, server: &str) -> Result<Vec<ShareInfo1>, Error> {
    if let Some(kept) = session.take_srvsvc_pipe() {
        // Perhaps only the pipe failed: one more try on a new one.
        if let Ok(shares) = kept.enumerate_and_keep(session, server).await {
            return Ok(shares);
        }
    }
    SrvsvcPipe::open(session, server)
        .await?
        .enumerate_and_keep(session, server)
        .await
}

/// `IPC$\srvsvc`, open and bound, with the RPC call numbers it has used.
#[derive(Debug)]
pub(crate) struct SrvsvcPipe {
    ipc: Tree,
    pipe: OpenFile,
    /// The largest fragment the server takes.
    max_xmit: u16,
    /// The call ID of the last request sent.
    call_id: u32,
}

impl SrvsvcPipe {
    /// Connects `IPC$`, opens `srvsvc` and binds it; what was opened is closed on failure.
    async fn open(session: &Session, server: &str) -> Result<SrvsvcPipe, Error> {
        let ipc = session.tree_connect(&format!("\\\\{server}\\IPC$")).await?;
        let pipe = match ipc.open_pipe(PIPE_NAME).await {
            Ok(pipe) => pipe,
            Err(error) => {
                let _ = ipc.disconnect().await;
                return Err(error);
            }
        };
        let call_id = 1;
        let bind = bind_request(call_id, SRVSVC, MAX_FRAGMENT, MAX_FRAGMENT);
        let bound = async {
            let answer = pipe.transceive(bind, u32::from(MAX_FRAGMENT)).await?;
            let ack = parse_bind_ack(&answer)?;
            ack.accepted(0)?;
            Ok::<u16, Error>(ack.max_xmit_frag.min(MAX_FRAGMENT))
        }
        .await;
        match bound {
            Ok(max_xmit) => Ok(SrvsvcPipe {
                ipc,
                pipe,
                max_xmit,
                call_id,
            }),
            Err(error) => {
                let unbound = SrvsvcPipe {
                    ipc,
                    pipe,
                    max_xmit: 0,
                    call_id,
                };
                unbound.close_in_background();
                Err(error)
            }
        }
    }

    /// Lists the shares, then keeps the pipe with `session` for the next listing, or closes
    /// it when the listing failed.
    async fn enumerate_and_keep(
        mut self,
        session: &Session,
        server: &str,
    ) -> Result<Vec<ShareInfo1>, Error> {
        let listed = self.enumerate(server).await;
        if listed.is_ok() {
            session.keep_srvsvc_pipe(self);
        } else {
            self.close_in_background();
        }
        listed
    }

    /// Closes the pipe and disconnects the tree, without waiting (their failure changes
    /// nothing read).
    pub(crate) fn close_in_background(self) {
        tokio::spawn(async move {
            let _ = self.pipe.close().await;
            let _ = self.ipc.disconnect().await;
        });
    }

    /// NetrShareEnum at level 1, as many rounds as the server asks for.
    async fn enumerate(&mut self, server: &str) -> Result<Vec<ShareInfo1>, Error> {
        let pipe = &self.pipe;
        let max_xmit = self.max_xmit;
        let server_name = unc_server_name(server);
        let mut listing = ShareListing::new(MAX_SHARES, MAX_SHARE_LIST_BYTES);
        let mut resume = None;
        for _ in 0..MAX_ROUNDS {
            self.call_id = self.call_id.wrapping_add(1);
            let call_id = self.call_id;
            let stub = net_share_enum_request(&server_name, 1, MAX_PREFERRED_LENGTH, resume);
            let fragments = request_pdus(call_id, 0, OPNUM_NETR_SHARE_ENUM, &stub, max_xmit);
            let mut assembler = ResponseAssembler::new(call_id);
            let mut complete = None;
            let last = fragments.len().saturating_sub(1);
            for (index, fragment) in fragments.into_iter().enumerate() {
                if index < last {
                    pipe.write_at(0, fragment).await?;
                } else {
                    let answer = pipe.transceive(fragment, u32::from(MAX_FRAGMENT)).await?;
                    complete = assembler.push(&answer)?;
                }
            }
            // The rest of a multi-fragment answer is read from the pipe, a bounded number of
            // times: each read returns at least one fragment or the pipe errs.
            let mut reads = 0;
            let stub = loop {
                if let Some(stub) = complete.take() {
                    break stub;
                }
                reads += 1;
                if reads > MAX_ROUNDS {
                    return Err(RpcError::NeverEnded.into());
                }
                let chunk = pipe.read_at(0, u32::from(MAX_FRAGMENT)).await?;
                if chunk.is_empty() {
                    return Err(RpcError::PipeEnded.into());
                }
                complete = assembler.push(&chunk)?;
            };
            listing.take_stub(stub.len())?;
            let page = parse_net_share_enum_response(&stub)?;
            let more = page.is_more_data();
            if page.status != 0 && !more {
                return Err(RpcError::Failed {
                    operation: "NetrShareEnum",
                    status: page.status,
                }
                .into());
            }
            let got_any = !page.shares.is_empty();
            listing.take_shares(page.shares)?;
            if !more || !got_any || page.resume_handle.is_none() {
                return Ok(listing.shares);
            }
            resume = page.resume_handle;
        }
        Err(limit_exceeded("NetrShareEnum rounds", MAX_ROUNDS))
    }
}

/// A share list being gathered over NetrShareEnum rounds within its limits (sans-IO: the
/// stubs' sizes and the decoded shares in, the list out).
#[derive(Debug)]
struct ShareListing {
    shares: Vec<ShareInfo1>,
    bytes: usize,
    max_shares: usize,
    max_bytes: usize,
}

impl ShareListing {
    fn new(max_shares: usize, max_bytes: usize) -> ShareListing {
        ShareListing {
            shares: Vec::new(),
            bytes: 0,
            max_shares,
            max_bytes,
        }
    }

    /// Counts the reassembled stub of one answer, before it is decoded.
    fn take_stub(&mut self, length: usize) -> Result<(), Error> {
        self.bytes = self.bytes.saturating_add(length);
        if self.bytes > self.max_bytes {
            return Err(limit_exceeded("bytes of share list", self.max_bytes));
        }
        Ok(())
    }

    /// Adds the shares of one answer.
    fn take_shares(&mut self, shares: Vec<ShareInfo1>) -> Result<(), Error> {
        if self.shares.len().saturating_add(shares.len()) > self.max_shares {
            return Err(limit_exceeded("shares", self.max_shares));
        }
        self.shares.extend(shares);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(count: usize) -> Vec<ShareInfo1> {
        (0..count)
            .map(|n| ShareInfo1 {
                name: format!("s{n}"),
                share_type: 0,
                remark: String::new(),
            })
            .collect()
    }

    #[test]
    fn shares_up_to_the_limit_are_kept_one_more_fails() {
        let mut listing = ShareListing::new(5, 1024);
        listing.take_shares(shares(3)).expect("within the limit");
        listing
            .take_shares(shares(2))
            .expect("exactly at the limit");
        assert_eq!(listing.shares.len(), 5);
        let error = listing
            .take_shares(shares(1))
            .expect_err("one share more than the limit");
        assert!(
            matches!(
                error,
                Error::LimitExceeded {
                    what: "shares",
                    limit: 5
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn stub_bytes_over_all_rounds_are_bounded() {
        let mut listing = ShareListing::new(5, 1024);
        listing.take_stub(1000).expect("within the limit");
        listing.take_stub(24).expect("exactly at the limit");
        let error = listing.take_stub(1).expect_err("one byte beyond");
        assert!(
            matches!(
                error,
                Error::LimitExceeded {
                    what: "bytes of share list",
                    limit: 1024
                }
            ),
            "{error}"
        );
        assert!(listing.take_stub(usize::MAX).is_err(), "no overflow");
    }
}
