//! The session service: our call against our listener on loopback, bad peers, and calls to
//! Samba's smbd on port 139.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;
use wnet_nbt::session::{CallError, ReceiveError, SendError, SessionConfig, SessionListener, call};
use wnet_nbt::wire::session::{SessionPacket, refusal};
use wnet_nbt::wire::{NetbiosName, ScopedName};
use wnet_testlab::SambaLab;

const LIMIT: Duration = Duration::from_secs(10);

fn name(text: &str, suffix: u8) -> NetbiosName {
    NetbiosName::new(text, suffix).expect("a name")
}

fn scoped(text: &str, suffix: u8) -> ScopedName {
    ScopedName::new(name(text, suffix))
}

fn fast() -> SessionConfig {
    SessionConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(500),
        ..SessionConfig::default()
    }
}

async fn listener() -> SessionListener {
    SessionListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), fast())
        .await
        .expect("a listener")
}

#[tokio::test]
async fn call_and_listen_keep_messages_whole() {
    let listener = listener().await;
    let server = name("WNETSRV", 0x20);
    let (target, called_name, calling, config) = (
        [listener.local_addr()],
        ScopedName::new(server),
        scoped("WNETCLI", 0),
        fast(),
    );
    let (accepted, called) = tokio::join!(
        timeout(LIMIT, listener.listen(server, None)),
        call(&target, &called_name, &calling, &config)
    );
    let mut ours = accepted.expect("in time").expect("a session");
    let mut theirs = called.expect("the call succeeds");
    assert_eq!(ours.calling_name().name, name("WNETCLI", 0));
    assert_eq!(theirs.called_name().name, server);

    theirs.send(b"one").await.expect("sent");
    theirs.send(b"").await.expect("an empty message");
    let big: Vec<u8> = (0..128 * 1024u32 - 1).map(|i| (i % 253) as u8).collect();
    theirs
        .send(&big)
        .await
        .expect("131,071 bytes fit in 17 bits");
    assert_eq!(ours.receive().await.expect("one"), b"one");
    assert_eq!(ours.receive().await.expect("empty"), b"");
    assert_eq!(ours.receive().await.expect("big"), big);
    assert!(matches!(
        theirs.send(&vec![0; 131_072]).await,
        Err(SendError::TooLong(131_072))
    ));

    // Halves work at once; a hang-up is seen as Closed.
    let (mut reader, mut writer) = ours.split();
    let pending = tokio::spawn(async move { reader.receive().await });
    theirs.send(b"two").await.expect("sent");
    assert_eq!(pending.await.expect("joined").expect("two"), b"two");
    writer.hang_up().await;
    assert!(matches!(
        timeout(LIMIT, theirs.receive()).await.expect("in time"),
        Err(ReceiveError::Closed)
    ));
}

#[tokio::test]
async fn calls_nobody_listens_for_are_refused_as_the_rfc_says() {
    let listener = listener().await;
    listener.add_name(name("SERVED", 0x20));
    let calling = scoped("WNETCLI", 0);
    let refused = |result: Result<_, CallError>| match result {
        Err(CallError::Refused { code }) => code,
        other => panic!("{other:?}"),
    };
    let target = [listener.local_addr()];
    assert_eq!(
        refused(call(&target, &scoped("SERVED", 0x20), &calling, &fast()).await),
        refusal::NOT_LISTENING_ON_CALLED_NAME
    );
    assert_eq!(
        refused(call(&target, &scoped("NOBODY", 0x20), &calling, &fast()).await),
        refusal::CALLED_NAME_NOT_PRESENT
    );
    // A listen for one caller does not take another's call; a withdrawn listen takes none.
    let (served, config, friend) = (scoped("SERVED", 0x20), fast(), scoped("FRIEND", 0));
    {
        let picky = listener.listen(name("SERVED", 0x20), Some(name("FRIEND", 0)));
        tokio::pin!(picky);
        tokio::select! {
            _ = &mut picky => panic!("no call yet"),
            result = call(&target, &served, &calling, &config) => {
                assert_eq!(refused(result), refusal::NOT_LISTENING_ON_CALLED_NAME);
            }
        }
    }
    assert_eq!(
        refused(call(&target, &served, &friend, &config).await),
        refusal::NOT_LISTENING_ON_CALLED_NAME,
        "the dropped listen was withdrawn"
    );
    // Nothing listens on a closed port.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    assert!(matches!(
        call(
            &[SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)],
            &scoped("X", 0x20),
            &calling,
            &fast()
        )
        .await,
        Err(CallError::Connect(_))
    ));
}

#[tokio::test]
async fn retargets_are_followed_and_bad_peers_fail_in_time() {
    let listener = listener().await;
    let real = listener.local_addr();
    // A node that retargets every caller to the real listener.
    let redirector = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let redirect_at = match redirector.local_addr().expect("address") {
        std::net::SocketAddr::V4(address) => address,
        std::net::SocketAddr::V6(_) => unreachable!(),
    };
    tokio::spawn(async move {
        for _ in 0..3 {
            let Ok((mut stream, _)) = redirector.accept().await else {
                return;
            };
            let mut request = [0u8; 4 + 68];
            let _ = stream.read_exact(&mut request).await;
            let retarget = SessionPacket::Retarget {
                address: *real.ip(),
                port: real.port(),
            };
            let _ = stream.write_all(&retarget.encode().unwrap()).await;
        }
    });
    let server = name("WNETSRV", 0x20);
    let (targets, called_name, calling, config) = (
        [redirect_at],
        ScopedName::new(server),
        scoped("WNETCLI", 0),
        fast(),
    );
    let (accepted, called) = tokio::join!(
        timeout(LIMIT, listener.listen(server, None)),
        call(&targets, &called_name, &calling, &config)
    );
    accepted.expect("in time").expect("a session");
    assert_eq!(called.expect("retarget followed").peer(), real);

    // A peer that never answers the request, and one that answers garbage.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let garbage = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let to = |listener: &TcpListener| match listener.local_addr().expect("address") {
        std::net::SocketAddr::V4(address) => address,
        std::net::SocketAddr::V6(_) => unreachable!(),
    };
    let (silent_at, garbage_at) = (to(&silent), to(&garbage));
    tokio::spawn(async move {
        let accepted = silent.accept().await;
        tokio::time::sleep(LIMIT).await;
        drop(accepted);
    });
    tokio::spawn(async move {
        if let Ok((mut stream, _)) = garbage.accept().await {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let outcome = timeout(LIMIT, call(&[silent_at], &called_name, &calling, &config))
        .await
        .expect("bounded by the request timeout");
    assert!(matches!(outcome, Err(CallError::Timeout)), "{outcome:?}");
    let outcome = timeout(LIMIT, call(&[garbage_at], &called_name, &calling, &config))
        .await
        .expect("in time");
    assert!(
        matches!(outcome, Err(CallError::Protocol(_))),
        "{outcome:?}"
    );

    // A session whose peer stops in the middle of a message.
    let direct = [real];
    let (accepted, called) = tokio::join!(
        timeout(LIMIT, listener.listen(server, None)),
        call(&direct, &called_name, &calling, &config)
    );
    let mut ours = accepted.expect("in time").expect("a session");
    drop(called.expect("called"));
    // The caller's side is gone: the listener's session sees Closed.
    assert!(matches!(
        timeout(LIMIT, ours.receive()).await.expect("in time"),
        Err(ReceiveError::Closed)
    ));
}

#[tokio::test]
async fn a_message_cut_short_is_an_abort() {
    let listener = listener().await;
    let server = name("WNETSRV", 0x20);
    let at = listener.local_addr();
    let calling = scoped("WNETCLI", 0);
    let raw_call = async {
        let mut stream = tokio::net::TcpStream::connect(at).await.expect("connect");
        let request = SessionPacket::Request {
            called: ScopedName::new(server),
            calling: calling.clone(),
        };
        stream
            .write_all(&request.encode().unwrap())
            .await
            .expect("request");
        let mut answer = [0u8; 4];
        stream.read_exact(&mut answer).await.expect("answer");
        // A header announcing 100 bytes, then 10 bytes and the end.
        stream.write_all(&[0, 0, 0, 100]).await.expect("header");
        stream.write_all(&[1; 10]).await.expect("part");
        stream
    };
    let (accepted, stream) = tokio::join!(timeout(LIMIT, listener.listen(server, None)), raw_call);
    let mut ours = accepted.expect("in time").expect("a session");
    drop(stream);
    assert!(matches!(
        timeout(LIMIT, ours.receive()).await.expect("in time"),
        Err(ReceiveError::Aborted)
    ));
}

#[tokio::test]
async fn samba_accepts_sessions_to_its_name_and_to_smbserver() {
    let lab = SambaLab::acquire().expect("lab up");
    let smbd = SocketAddrV4::new(lab.address, 139);
    let calling = scoped("WNETCLIENT", 0);
    let mut smbserver = *b"*SMBSERVER      ";
    smbserver[15] = 0x20;
    let smbserver = ScopedName::new(NetbiosName::from_bytes(smbserver));
    for called in [scoped(&lab.server_name, 0x20), smbserver] {
        let session = timeout(LIMIT, call(&[smbd], &called, &calling, &fast()))
            .await
            .expect("in time");
        assert!(session.is_ok(), "{called}: {session:?}");
    }
    // smbd answers any name it is called by (it serves whatever name the client uses).
    let other = timeout(
        LIMIT,
        call(&[smbd], &scoped("NOSUCHNAME", 0x20), &calling, &fast()),
    )
    .await
    .expect("in time");
    assert!(other.is_ok(), "{other:?}");
}
