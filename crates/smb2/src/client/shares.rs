//! Share enumeration: srvsvc NetrShareEnum (level 1) over DCE/RPC on `IPC$\srvsvc`.

use crate::client::{Error, Session};
use crate::rpc::srvsvc::{
    MAX_PREFERRED_LENGTH, OPNUM_NETR_SHARE_ENUM, PIPE_NAME, SRVSVC, ShareInfo1,
    net_share_enum_request, parse_net_share_enum_response, unc_server_name,
};
use crate::rpc::{ResponseAssembler, bind_request, parse_bind_ack, request_pdus};

/// The fragment size we offer and accept (what Samba's own clients use).
const MAX_FRAGMENT: u16 = 4280;
/// How many ERROR_MORE_DATA rounds one listing may take (each returns at least one share).
const MAX_ROUNDS: usize = 10_000;

/// The shares of the server the session is connected to, hidden ones included, as the
/// server lists them. `server` is the server's name as the caller knows it.
pub async fn list_shares(session: &Session, server: &str) -> Result<Vec<ShareInfo1>, Error> {
    let ipc = session.tree_connect(&format!("\\\\{server}\\IPC$")).await?;
    let pipe = match ipc.open_pipe(PIPE_NAME).await {
        Ok(pipe) => pipe,
        Err(error) => {
            let _ = ipc.disconnect().await;
            return Err(error);
        }
    };
    let result = enumerate(&pipe, server).await;
    let closed = pipe.close().await;
    let disconnected = ipc.disconnect().await;
    let shares = result?;
    closed?;
    disconnected?;
    Ok(shares)
}

async fn enumerate(pipe: &crate::client::OpenFile, server: &str) -> Result<Vec<ShareInfo1>, Error> {
    let rpc = |error: crate::rpc::RpcError| Error::Rpc(error.to_string());
    let mut call_id = 1;
    let bind = bind_request(call_id, SRVSVC, MAX_FRAGMENT, MAX_FRAGMENT);
    let answer = pipe.transceive(bind, u32::from(MAX_FRAGMENT)).await?;
    let ack = parse_bind_ack(&answer).map_err(rpc)?;
    ack.accepted(0).map_err(rpc)?;
    let max_xmit = ack.max_xmit_frag.min(MAX_FRAGMENT);

    let server_name = unc_server_name(server);
    let mut shares = Vec::new();
    let mut resume = None;
    for _ in 0..MAX_ROUNDS {
        call_id += 1;
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
                complete = assembler.push(&answer).map_err(rpc)?;
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
                return Err(Error::Rpc("the response never ended".into()));
            }
            let chunk = pipe.read_at(0, u32::from(MAX_FRAGMENT)).await?;
            if chunk.is_empty() {
                return Err(Error::Rpc("the pipe ended inside a response".into()));
            }
            complete = assembler.push(&chunk).map_err(rpc)?;
        };
        let page = parse_net_share_enum_response(&stub).map_err(rpc)?;
        let more = page.is_more_data();
        if page.status != 0 && !more {
            return Err(Error::Rpc(format!(
                "NetrShareEnum failed with Win32 error {}",
                page.status
            )));
        }
        let got_any = !page.shares.is_empty();
        shares.extend(page.shares);
        if !more || !got_any || page.resume_handle.is_none() {
            return Ok(shares);
        }
        resume = page.resume_handle;
    }
    Err(Error::Rpc(
        "NetrShareEnum kept asking for more rounds".into(),
    ))
}
