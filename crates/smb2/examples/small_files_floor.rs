//! Benchmark helper: what creating, writing and closing a small file costs on the wire alone,
//! with no agent, channel or Python in between — the floor of bench/files' "4 KiB files"
//! figure. Two ways over one session, each for COUNT new files in its own directory:
//!
//! - `separate`: CREATE (a durable handle and a read-and-handle lease, as the file channel
//!   asks), WRITE and CLOSE, each waiting for its answer: three round trips, what any client
//!   that opens a file, writes it and closes it does;
//! - `compound`: CREATE, WRITE and CLOSE as one related compound: one round trip, the least
//!   any client can do.
//!
//! The session is signed, as the agent's and smbprotocol's are by default. Prints one JSON
//! object of files per second.
//!
//! `small_files_floor ADDRESS:PORT \\server\share USER PASSWORD DIR COUNT`, where DIR (inside
//! the share, backslashes) exists and is writable; `DIR\separate` and `DIR\compound` are made.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wnet_smb2::client::{Credentials, Session, SessionOptions, negotiate};
use wnet_smb2::connect_tcp;
use wnet_smb2::wire::lease::lease_state;
use wnet_smb2::wire::{
    CloseRequest, CreateRequest, FileId, Request, WriteRequest, access, create_options,
    disposition, file_attributes, share_access,
};

/// A new file `name` to write.
fn new_file(name: String) -> CreateRequest {
    CreateRequest {
        name,
        desired_access: access::FILE_WRITE_DATA
            | access::FILE_APPEND_DATA
            | access::FILE_WRITE_ATTRIBUTES
            | access::FILE_READ_ATTRIBUTES
            | access::SYNCHRONIZE,
        file_attributes: file_attributes::NORMAL,
        share_access: share_access::READ | share_access::WRITE,
        create_disposition: disposition::OVERWRITE_IF,
        create_options: create_options::NON_DIRECTORY_FILE,
    }
}

fn directory(name: String) -> CreateRequest {
    CreateRequest {
        name,
        desired_access: access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
        file_attributes: 0,
        share_access: share_access::ALL,
        create_disposition: disposition::CREATE,
        create_options: create_options::DIRECTORY_FILE,
    }
}

fn per_second(elapsed: Duration, count: u32) -> f64 {
    f64::from(count) / elapsed.as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [address, share, user, password, dir, count] = arguments.as_slice() else {
        return Err(
            "usage: small_files_floor ADDRESS:PORT \\\\server\\share USER PASSWORD DIR COUNT"
                .into(),
        );
    };
    let address: SocketAddr = address.parse()?;
    let count: u32 = count.parse()?;
    let connection = connect_tcp(address, Duration::from_secs(10)).await?;
    // Signed, as the agent's sessions (and smbprotocol's) are by default.
    let options = SessionOptions {
        require_signing: true,
        ..SessionOptions::default()
    };
    let negotiated = negotiate(&connection, options.require_signing).await?;
    let credentials = Credentials::new(user.as_str(), "", password.as_str());
    let session = Session::setup(&connection, &negotiated, &credentials, &options).await?;
    let tree = session.tree_connect(share).await?;
    let data = vec![0x5a_u8; 4096];
    let _breaks = session.lease_breaks();

    tree.create_and_close(directory(format!("{dir}\\separate")))
        .await?;
    let start = Instant::now();
    for index in 0..count {
        let mut key = [0u8; 16];
        key[..4].copy_from_slice(&index.to_le_bytes());
        let file = tree
            .create_durable_with_lease(
                new_file(format!("{dir}\\separate\\f{index}.bin")),
                key,
                lease_state::READ | lease_state::HANDLE,
            )
            .await?;
        file.write_at(0, data.clone()).await?;
        file.close().await?;
    }
    let separate = per_second(start.elapsed(), count);

    tree.create_and_close(directory(format!("{dir}\\compound")))
        .await?;
    let start = Instant::now();
    for index in 0..count {
        let requests = [
            Request::Create(new_file(format!("{dir}\\compound\\f{index}.bin"))),
            Request::Write(WriteRequest {
                file_id: FileId::RELATED,
                offset: 0,
                data: data.clone(),
                write_through: false,
            }),
            Request::Close(CloseRequest {
                file_id: FileId::RELATED,
                query_attributes: false,
            }),
        ];
        let exchanges = session.exchange_compound(&requests, tree.id()).await?;
        if exchanges.iter().any(|exchange| exchange.header.status != 0) {
            return Err("a compound failed".into());
        }
    }
    let compound = per_second(start.elapsed(), count);
    let _ = session.logoff().await;
    println!("{{\"separate\": {separate:.1}, \"compound\": {compound:.1}}}");
    Ok(())
}
