//! A server states its own DNS name (the NTLM CHALLENGE's MsvAvDnsComputerName) before any
//! logon: what gives a server found only by its NetBIOS name the fully qualified name of its
//! Kerberos service principal. Against the AD lab's member file server (`lab/ad`).

use std::net::{SocketAddr, SocketAddrV4};
use std::time::Duration;

use wnet_smb2::client::{negotiate, server_identity};
use wnet_smb2::connect_tcp;
use wnet_testlab::AdLab;

const TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn the_file_server_states_its_fully_qualified_name_before_a_logon() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let address = SocketAddr::V4(SocketAddrV4::new(lab.fileserver.address, 445));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let name = runtime.block_on(async {
        let connection = connect_tcp(address, TIMEOUT).await.expect("connected");
        negotiate(&connection, true).await.expect("negotiated");
        server_identity(&connection)
            .await
            .expect("a CHALLENGE")
            .dns_name
    });
    assert_eq!(
        name.map(|name| name.to_ascii_lowercase()).as_deref(),
        Some(lab.fileserver.fqdn.as_str())
    );
}
