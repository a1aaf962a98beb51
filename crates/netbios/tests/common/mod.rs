//! Helpers shared by the NCB tests.

use std::net::SocketAddrV4;

use wnet_netbios::{Netbios, NetbiosConfig};
use wnet_testlab::SambaLab;

/// An engine whose only LANA is the Samba lab's link, resolving through the lab's WINS server
/// (nmbd answers there as soon as the lab is up; its broadcast answers can lag behind).
pub(crate) fn lab_engine(lab: &SambaLab) -> Netbios {
    let interface = wnet_nbt::interfaces::ipv4_interfaces()
        .expect("interfaces")
        .into_iter()
        .find(|interface| interface.address == lab.host_address)
        .expect("the lab's host-side interface");
    let mut config = NetbiosConfig {
        interfaces: Some(vec![interface.name]),
        loopback_address: None,
        ..NetbiosConfig::default()
    };
    config.name_service.name_servers = vec![SocketAddrV4::new(lab.address, config.name_port)];
    Netbios::new(config).expect("an engine")
}
