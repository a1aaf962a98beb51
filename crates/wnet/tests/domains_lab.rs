//! The domain search's questions to a real domain controller (`lab/ad`): the NetBIOS domain
//! name its SMB server gives before any logon, which names the domain where NetBIOS is off
//! (as on the lab's DC), and the controllers its DNS server gives for the domain.

use std::time::Duration;

use wnet::dns::{DnsClient, DnsConfig};
use wnet::domains::{controller_identity, controllers_srv_name};
use wnet_testlab::AdLab;

fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(work)
}

#[test]
fn the_dc_names_its_domain_in_its_ntlm_challenge() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let identity = block_on(controller_identity(lab.dc.address)).expect("the DC's names");
    assert_eq!(
        identity.netbios_domain.as_deref(),
        Some(lab.domain.as_str())
    );
    assert_eq!(
        identity.dns_domain.map(|name| name.to_ascii_lowercase()),
        Some(lab.dns_domain.clone())
    );
    assert!(
        identity
            .netbios_name
            .is_some_and(|name| name.eq_ignore_ascii_case(&lab.dc.name))
    );
}

#[test]
fn the_labs_dns_gives_the_domain_controller_by_srv() {
    let Some(lab) = AdLab::acquire_or_skip() else {
        return;
    };
    let client = DnsClient::new(DnsConfig {
        servers: vec![(lab.dns, 53).into()],
        search: Vec::new(),
        timeout: Duration::from_secs(2),
        attempts: 2,
    });
    let hosts =
        block_on(client.service_hosts(&controllers_srv_name(&lab.dns_domain))).expect("an answer");
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    assert_eq!(hosts[0].host, lab.dc.fqdn);
    assert_eq!(hosts[0].port, 389);
    assert_eq!(hosts[0].addresses, vec![lab.dc.address]);
    // A name that is no domain: an answer with no records, not an error.
    let none = block_on(client.service_hosts(&controllers_srv_name("nowhere.example.test")))
        .expect("an answer");
    assert!(none.is_empty());
}
