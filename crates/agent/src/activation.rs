//! Socket activation (systemd's `sd_listen_fds` protocol, `contrib/systemd/`): the service
//! manager binds the agent's socket and starts the agent on the first connection, handing it
//! the listening socket as descriptor 3 with `LISTEN_FDS=1` and `LISTEN_PID` set to the agent's
//! process id. The agent then serves that socket instead of binding its own, and leaves the
//! socket file in place when it exits, for the manager to start the next agent on.

use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::socket::{AddressFamily, SockType, SockaddrLike as _, UnixAddr, getsockname};
use nix::sys::socket::{getsockopt, sockopt};

/// The first descriptor the protocol passes (`SD_LISTEN_FDS_START`).
const FIRST_FD: i32 = 3;

/// Whether this process has taken descriptor 3 already: it is owned once.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// A listening socket handed over by the service manager, and the path it is bound to.
#[derive(Debug)]
pub struct Inherited {
    /// The listening socket.
    pub listener: UnixListener,
    /// Where it is bound.
    pub path: PathBuf,
}

/// The listening socket the service manager passed to this process, if it passed one:
/// `Ok(None)` when `LISTEN_PID` is not this process (or unset), an error when what was passed
/// is not one listening Unix stream socket bound to a path.
pub fn inherited_listener() -> Result<Option<Inherited>, String> {
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        == Some(std::process::id());
    if !for_us {
        return Ok(None);
    }
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|count| count.trim().parse::<u32>().ok())
        .unwrap_or(0);
    match count {
        0 => return Ok(None),
        1 => {}
        _ => {
            return Err(format!(
                "the service manager passed {count} sockets (LISTEN_FDS); the agent serves one"
            ));
        }
    }
    if TAKEN.swap(true, Ordering::SeqCst) {
        return Err("the inherited socket was taken already".into());
    }
    // SAFETY: LISTEN_PID names this process and LISTEN_FDS=1, so the service manager opened
    // descriptor 3 for it and nothing in this process owns it; `TAKEN` makes this the only
    // owner.
    #[allow(unsafe_code)]
    let fd = unsafe { OwnedFd::from_raw_fd(FIRST_FD) };
    check_listening_unix_stream(&fd)?;
    // Programs the agent starts (fusermount3, mount.cifs) must not inherit it.
    nix::fcntl::fcntl(
        fd.as_fd(),
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .map_err(|errno| format!("the inherited socket: {errno}"))?;
    let address: UnixAddr =
        getsockname(fd.as_raw_fd()).map_err(|errno| format!("the inherited socket: {errno}"))?;
    let path = address
        .path()
        .map(PathBuf::from)
        .ok_or("the inherited socket is not bound to a path")?;
    Ok(Some(Inherited {
        listener: UnixListener::from(fd),
        path,
    }))
}

fn check_listening_unix_stream(fd: &OwnedFd) -> Result<(), String> {
    let problem = |what: String| format!("the inherited descriptor {FIRST_FD} {what}");
    let kind = getsockopt(fd, sockopt::SockType)
        .map_err(|errno| problem(format!("is not a socket ({errno})")))?;
    if kind != SockType::Stream {
        return Err(problem(format!("is a {kind:?} socket, not a stream")));
    }
    let family = getsockname::<nix::sys::socket::SockaddrStorage>(fd.as_raw_fd())
        .ok()
        .and_then(|address| address.family());
    if family != Some(AddressFamily::Unix) {
        return Err(problem(format!("is not a Unix socket ({family:?})")));
    }
    if !getsockopt(fd, sockopt::AcceptConn).unwrap_or(false) {
        return Err(problem("is not listening".into()));
    }
    Ok(())
}
