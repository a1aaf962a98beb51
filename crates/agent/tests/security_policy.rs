//! The workstation's security policy against the hostile SMB2 server of `wnet-smb2`'s tests
//! (on loopback): a guest logon for explicit credentials is refused with
//! ERROR_SMB_GUEST_LOGON_BLOCKED (1272) and a message naming the setting, while the
//! connections already made keep working; every authenticated session signs, even with a
//! server that does not require it; relaxing the policy (as for an old NAS) lets both
//! through, and each connection shows the policy it was made under.

#[path = "../../smb2/tests/hostile/mod.rs"]
#[allow(dead_code)]
mod hostile;

use std::time::Duration;

use hostile::{HostileServer, Script};
use wnet::agent_protocol::{ConnectionEntry, Request, Response, WireCredentials};
use wnet::error::codes;
use wnet::resolve::ProviderConfig;
use wnet::security_policy::SecurityPolicy;
use wnet_agent::smb_provider::SmbProvider;
use wnet_agent::workstation::Workstation;
use wnet_smb2::wire::dialect;

const RESOURCETYPE_DISK: u32 = 1;

fn workstation(server: &HostileServer, policy: SecurityPolicy) -> Workstation {
    Workstation::new(SmbProvider::new(ProviderConfig {
        timeout: Duration::from_secs(5),
        ports: vec![server.address.port()],
        resolve_order: Vec::new(),
        security: policy,
        ..ProviderConfig::default()
    }))
}

/// The harness's account, as a caller names it (built from the wire format, which other
/// tests pin).
fn credentials() -> WireCredentials {
    serde_json::from_value(serde_json::json!({
        "user": Script::USER,
        "domain": "",
        "password": Script::PASSWORD,
        "source": "explicit",
        "explicit": true,
    }))
    .expect("credentials in the wire format")
}

async fn add(workstation: &Workstation, share: &str) -> Response {
    workstation
        .handle(Request::AddConnection {
            remote_name: wnet::UncName::parse(share).expect("a UNC name"),
            local_name: None,
            credentials: Some(credentials()),
            flags: 0,
            resource_type: RESOURCETYPE_DISK,
            logon: wnet::agent_protocol::Logon::default(),
        })
        .await
}

fn added(response: Response) -> ConnectionEntry {
    match response {
        Response::Added { entry, .. } => *entry,
        other => panic!("not added: {other:?}"),
    }
}

#[tokio::test]
async fn a_guest_logon_is_refused_with_1272_and_other_connections_stay() {
    let good = HostileServer::start(Script::new(dialect::SMB_3_1_1)).await;
    let workstation = workstation(&good, SecurityPolicy::default());
    let share = r"\\127.0.0.1\share";
    let entry = added(add(&workstation, share).await);
    assert!(entry.signing && !entry.guest);
    assert_eq!(entry.policy, SecurityPolicy::default());

    // A second server of the same workstation, on another loopback address and the same
    // port, logs everyone on as guest.
    let guest_address = std::net::SocketAddr::from(([127, 0, 0, 2], good.address.port()));
    let guest =
        HostileServer::start_at(Script::new(dialect::SMB_3_1_1).guest(), guest_address).await;
    let Response::Error(error) = add(&workstation, r"\\127.0.0.2\share").await else {
        panic!("a guest logon must be refused");
    };
    let error = wnet::error::WinError::from(error);
    assert_eq!(error.code, codes::ERROR_SMB_GUEST_LOGON_BLOCKED, "{error}");
    assert!(
        error.to_string().contains("AllowInsecureGuestAuth"),
        "{error}"
    );
    drop(guest);

    let held = workstation.connections();
    assert_eq!(held.len(), 1);
    assert!(held[0].connected, "the first connection is untouched");
}

#[tokio::test]
async fn guest_logons_pass_only_with_both_settings_relaxed() {
    for (require_security_signature, expected) in [(true, false), (false, true)] {
        let server = HostileServer::start(Script::new(dialect::SMB_3_1_1).guest()).await;
        let policy = SecurityPolicy {
            require_security_signature,
            allow_insecure_guest_auth: true,
            block_ntlm: false,
        };
        let response = add(&workstation(&server, policy), r"\\127.0.0.1\share").await;
        match response {
            Response::Added { entry, .. } => {
                assert!(expected, "a guest cannot sign, yet it was added");
                assert!(entry.guest && !entry.signing);
                assert_eq!(entry.policy, policy);
            }
            Response::Error(error) => {
                assert!(!expected, "refused: {error:?}");
                let error = wnet::error::WinError::from(error);
                assert_eq!(error.code, codes::ERROR_NOT_SUPPORTED, "{error}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// RequireSecuritySignature: a server that does not require signing still gets a signed
/// session; relaxed, the session signs only as the server asks.
#[tokio::test]
async fn every_authenticated_session_signs_unless_relaxed() {
    for require_security_signature in [true, false] {
        let mut script = Script::new(dialect::SMB_3_1_1);
        script.require_signing = false;
        let server = HostileServer::start(script).await;
        let policy = SecurityPolicy {
            require_security_signature,
            allow_insecure_guest_auth: false,
            block_ntlm: false,
        };
        let entry = added(add(&workstation(&server, policy), r"\\127.0.0.1\share").await);
        assert_eq!(entry.signing, require_security_signature);
    }
}
