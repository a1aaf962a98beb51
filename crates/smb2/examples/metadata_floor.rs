//! Benchmark helper: what one metadata operation costs on the wire alone — the compounds a
//! mapped drive sends for a stat (CREATE+CLOSE), a chmod (CREATE+SET_INFO basic+CLOSE) and a
//! rename (CREATE+SET_INFO rename+CLOSE), timed back to back over one session with no file
//! system in between. bench/drive prints these beside the drive's own times: the floor no
//! drive on this server can go below. Prints one JSON object of mean microseconds per
//! operation.
//!
//! `metadata_floor ADDRESS:PORT \\server\share USER PASSWORD DIR COUNT`, where DIR (inside
//! the share, backslashes) holds a writable file `a` and no `b`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wnet_smb2::client::{Credentials, Session, SessionOptions, negotiate};
use wnet_smb2::connect_tcp;
use wnet_smb2::wire::access;
use wnet_smb2::wire::file_attributes;
use wnet_smb2::wire::file_info::{
    BasicInformation, FILE_BASIC_INFORMATION, FILE_RENAME_INFORMATION, rename_information,
};

fn micros(elapsed: Duration, count: u32) -> f64 {
    elapsed.as_secs_f64() * 1e6 / f64::from(count)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [address, share, user, password, dir, count] = arguments.as_slice() else {
        return Err(
            "usage: metadata_floor ADDRESS:PORT \\\\server\\share USER PASSWORD DIR COUNT".into(),
        );
    };
    let address: SocketAddr = address.parse()?;
    let count: u32 = count.parse()?;
    let connection = connect_tcp(address, Duration::from_secs(10)).await?;
    let options = SessionOptions::default();
    let negotiated = negotiate(&connection, options.require_signing).await?;
    let credentials = Credentials::new(user.as_str(), "", password.as_str());
    let session = Session::setup(&connection, &negotiated, &credentials, &options).await?;
    let tree = session.tree_connect(share).await?;
    let names = [format!("{dir}\\a"), format!("{dir}\\b")];

    let start = Instant::now();
    for _ in 0..count {
        tree.stat(&names[0]).await?;
    }
    let stat_us = micros(start.elapsed(), count);

    let start = Instant::now();
    for index in 0..count {
        let readonly = if index % 2 == 0 {
            file_attributes::READONLY
        } else {
            file_attributes::NORMAL
        };
        let basic = BasicInformation {
            attributes: readonly,
            ..BasicInformation::default()
        };
        tree.set_info_by_path(
            &names[0],
            access::FILE_WRITE_ATTRIBUTES | access::SYNCHRONIZE,
            FILE_BASIC_INFORMATION,
            basic.encode(),
        )
        .await?;
    }
    let chmod_us = micros(start.elapsed(), count);

    let start = Instant::now();
    for index in 0..count {
        tree.set_info_by_path(
            &names[index as usize % 2],
            access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
            FILE_RENAME_INFORMATION,
            rename_information(&names[(index as usize + 1) % 2], true),
        )
        .await?;
    }
    let rename_us = micros(start.elapsed(), count);
    if count % 2 == 1 {
        // Back to `a`, as found.
        tree.set_info_by_path(
            &names[1],
            access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
            FILE_RENAME_INFORMATION,
            rename_information(&names[0], true),
        )
        .await?;
    }
    let _ = session.logoff().await;
    println!("{{\"stat\": {stat_us:.1}, \"chmod\": {chmod_us:.1}, \"rename\": {rename_us:.1}}}");
    Ok(())
}
