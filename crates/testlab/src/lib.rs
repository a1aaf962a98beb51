//! Test helper: starts, stops and describes the labs of `lab/` for integration tests.
//!
//! Tests and benchmarks use this crate instead of shelling out to the lab scripts themselves:
//! [`SambaLab::acquire`] makes sure the Samba lab (`lab/samba`) is up and returns its shape as
//! `lab/samba status --json` reports it; [`NetnsLab::acquire`] does the same for the broadcast
//! domain of `lab/netns`, and [`AdLab::acquire`] for the Active Directory domain of `lab/ad`.
//! All hold a shared lock for as long as the test uses the lab, so a test that stops and
//! restarts a lab ([`SambaLab::acquire_exclusive`]) waits until no other test process is using
//! it, and the others wait for it in turn.
//!
//! [`run_bounded`] runs a peer tool (smbclient, nmblookup, nbtscan) with a time limit, so that a
//! hung peer fails a test instead of hanging it.
//!
//! This crate is for tests only. It depends on no other wnet crate, and no library crate may
//! depend on it except as a dev-dependency.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How long a lab script may take before the helper gives up on it.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// The exit code with which `lab/netns` says namespaces are impossible here.
const SKIP_EXIT_CODE: i32 = 77;

/// Why a lab could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A lab script or peer tool could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program that failed to start.
        program: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A lab script or peer tool ran longer than its limit and was killed.
    #[error("{program} did not finish within {limit:?} and was killed")]
    TimedOut {
        /// The program that was killed.
        program: String,
        /// The limit it exceeded.
        limit: Duration,
    },
    /// A lab script failed.
    #[error("{script} failed ({status}): {stderr}")]
    ScriptFailed {
        /// The script and its arguments.
        script: String,
        /// How it exited.
        status: ExitStatus,
        /// What it printed on standard error.
        stderr: String,
    },
    /// `status --json` printed something that is not the lab's shape.
    #[error("{script} printed an unexpected status: {source}")]
    BadStatus {
        /// The script that printed it.
        script: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The lab cannot exist on this machine (for example, network namespaces are impossible);
    /// the message says why. Tests skip with this message.
    #[error("lab unavailable here: {0}")]
    Unavailable(String),
    /// Taking the lock that coordinates test processes failed.
    #[error("cannot lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

/// The directory holding the lab scripts: `$WNET_LAB_DIR`, or `lab/` of this checkout.
pub fn lab_dir() -> PathBuf {
    std::env::var_os("WNET_LAB_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lab"),
        PathBuf::from,
    )
}

/// Runs `command` to completion, killing it if it runs longer than `limit`.
///
/// Standard output and standard error are captured; standard input is closed.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Result<Output, LabError> {
    run_bounded_inner(command, None, limit)
}

/// [`run_bounded`] with `input` written to the command's standard input, which is then closed:
/// for tools that read a password there (`kinit`).
pub fn run_bounded_with_input(
    command: &mut Command,
    input: &[u8],
    limit: Duration,
) -> Result<Output, LabError> {
    run_bounded_inner(command, Some(input), limit)
}

fn run_bounded_inner(
    command: &mut Command,
    input: Option<&[u8]>,
    limit: Duration,
) -> Result<Output, LabError> {
    let program = format!("{command:?}");
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| LabError::Spawn {
            program: program.clone(),
            source,
        })?;
    // Fed on a thread: a child that does not read its input cannot block this one. A child
    // that exits without reading it makes the write fail, which is no error here.
    let feeder = child.stdin.take().zip(input).map(|(mut stdin, input)| {
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    // Drain both pipes on threads so that a chatty child cannot block on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                // The child is ours: end it by its PID, then reap it.
                let _ = child.kill();
                let _ = child.wait();
                return Err(LabError::TimedOut { program, limit });
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(source) => return Err(LabError::Spawn { program, source }),
        }
    };
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    let collect = |pipe: Option<thread::JoinHandle<Vec<u8>>>| {
        pipe.and_then(|handle| handle.join().ok())
            .unwrap_or_default()
    };
    Ok(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn run_script(script: &str, args: &[&str]) -> Result<Output, LabError> {
    let path = lab_dir().join(script);
    run_bounded(Command::new(&path).args(args), SCRIPT_TIMEOUT)
}

fn script_failed(script: &str, args: &[&str], output: &Output) -> LabError {
    LabError::ScriptFailed {
        script: format!("lab/{script} {}", args.join(" ")),
        status: output.status,
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    }
}

/// Runs `lab/<script> <verb>` and fails unless it succeeded (or skipped, for `lab/netns`).
fn run_verb(script: &str, verb: &str) -> Result<(), LabError> {
    let output = run_script(script, &[verb])?;
    match output.status.code() {
        Some(0) => Ok(()),
        Some(SKIP_EXIT_CODE) => Err(LabError::Unavailable(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        )),
        _ => Err(script_failed(script, &[verb], &output)),
    }
}

/// Reads `lab/<script> status --json`; `None` when the lab is not up.
fn read_status<T: for<'de> Deserialize<'de>>(script: &str) -> Result<Option<T>, LabError> {
    let output = run_script(script, &["status", "--json"])?;
    if !output.status.success() {
        return Ok(None);
    }
    serde_json::from_slice(&output.stdout)
        .map(Some)
        .map_err(|source| LabError::BadStatus {
            script: format!("lab/{script}"),
            source,
        })
}

/// A lock shared by the test processes that use one lab; a test that restarts the lab holds it
/// exclusively. Released on drop.
#[derive(Debug)]
pub struct LabLease {
    _file: File,
}

impl LabLease {
    fn take(lab: &str, exclusive: bool) -> Result<LabLease, LabError> {
        let dir = std::env::temp_dir().join("wnet-lab");
        let path = dir.join(format!("{lab}.tests.lock"));
        let lock_error = |source| LabError::Lock {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(lock_error)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_error)?;
        if exclusive {
            file.lock().map_err(lock_error)?;
        } else {
            file.lock_shared().map_err(lock_error)?;
        }
        Ok(LabLease { _file: file })
    }
}

/// A lab in use by this test: its shape, and the lease that keeps other tests from stopping it.
#[derive(Debug)]
pub struct InUse<T> {
    lab: T,
    _lease: LabLease,
}

impl<T> Deref for InUse<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.lab
    }
}

/// The ports the Samba lab serves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SambaPorts {
    /// SMB over TCP (445).
    pub smb: u16,
    /// NetBIOS session service (139).
    pub netbios_session: u16,
    /// NetBIOS name service (137/udp).
    pub netbios_name: u16,
    /// NetBIOS datagram service (138/udp).
    pub netbios_datagram: u16,
}

/// The PIDs of the lab's daemons.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SambaPids {
    /// The main smbd.
    pub smbd: u32,
    /// nmbd.
    pub nmbd: u32,
}

/// Who may do what on a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShareAccess {
    /// Users may read and write.
    ReadWrite,
    /// Users may only read.
    ReadOnly,
}

/// One share of the Samba lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Share {
    /// The share name (`hidden$` for the hidden one).
    pub name: String,
    /// Its directory on this machine.
    pub path: PathBuf,
    /// Read-write or read-only.
    pub access: ShareAccess,
    /// Whether the share is left out of share listings.
    pub hidden: bool,
    /// The share's comment, as listings show it.
    pub comment: String,
    /// The only users allowed to connect.
    pub users: Vec<String>,
}

/// A lab user (lab-only secrets).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LabUser {
    /// The account name.
    pub name: String,
    /// Its password.
    pub password: String,
}

/// The Samba lab as `lab/samba status --json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SambaLab {
    /// The network namespace the lab host lives in.
    pub netns: String,
    /// The lab host's address (where smbd and nmbd listen).
    pub address: Ipv4Addr,
    /// This host's address on the link to the lab.
    pub host_address: Ipv4Addr,
    /// The link's prefix length.
    pub prefix: u8,
    /// The link's broadcast address.
    pub broadcast: Ipv4Addr,
    /// The ports the lab serves.
    pub ports: SambaPorts,
    /// The workgroup.
    pub workgroup: String,
    /// The server's NetBIOS name.
    pub server_name: String,
    /// The server's comment.
    pub server_string: String,
    /// The daemons' PIDs.
    pub pids: SambaPids,
    /// The lab's smb.conf.
    pub config: PathBuf,
    /// The directory that holds all the lab's state.
    pub root: PathBuf,
    /// The lab's log directory.
    pub logs: PathBuf,
    /// The shares.
    pub shares: Vec<Share>,
    /// The users.
    pub users: Vec<LabUser>,
}

impl SambaLab {
    /// Makes sure the lab is up and returns it, held shared until the returned value is dropped.
    pub fn acquire() -> Result<InUse<SambaLab>, LabError> {
        let lease = LabLease::take("samba", false)?;
        Ok(InUse {
            lab: Self::up()?,
            _lease: lease,
        })
    }

    /// Waits until no other test uses the lab and holds it alone until the returned lease is
    /// dropped, for tests that stop and start it. The lab may be up or down on return.
    pub fn acquire_exclusive() -> Result<LabLease, LabError> {
        LabLease::take("samba", true)
    }

    /// Runs `lab/samba up` (idempotent) and returns the lab's shape.
    pub fn up() -> Result<SambaLab, LabError> {
        run_verb("samba", "up")?;
        Self::status()?.ok_or_else(|| LabError::Unavailable("lab/samba up left no lab".into()))
    }

    /// Runs `lab/samba down`.
    pub fn down() -> Result<(), LabError> {
        run_verb("samba", "down")
    }

    /// The lab's shape, or `None` when it is not up.
    pub fn status() -> Result<Option<SambaLab>, LabError> {
        read_status("samba")
    }

    /// The share called `name`.
    pub fn share(&self, name: &str) -> Option<&Share> {
        self.shares.iter().find(|share| share.name == name)
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&LabUser> {
        self.users.iter().find(|user| user.name == name)
    }

    /// The first share with the given access that every lab user may use and that is listed.
    pub fn common_share(&self, access: ShareAccess) -> Option<&Share> {
        self.shares.iter().find(|share| {
            share.access == access
                && !share.hidden
                && self
                    .users
                    .iter()
                    .all(|user| share.users.contains(&user.name))
        })
    }

    /// A share only some lab users may use, with one user who may and one who may not.
    pub fn private_share(&self) -> Option<(&Share, &LabUser, &LabUser)> {
        self.shares.iter().find_map(|share| {
            let allowed = self.users.iter().find(|u| share.users.contains(&u.name))?;
            let refused = self.users.iter().find(|u| !share.users.contains(&u.name))?;
            Some((share, allowed, refused))
        })
    }

    /// `//address/share`, the form Samba's tools take.
    pub fn smb_path(&self, share: &str) -> String {
        format!("//{}/{share}", self.address)
    }

    /// The live processes of this lab: every process whose program is a Samba daemon and whose
    /// command line names the lab's smb.conf (zombies are dead already and are not counted).
    pub fn processes(&self) -> Vec<u32> {
        processes_naming(&self.config)
    }
}

/// PIDs of the live processes whose command line contains `marker` (a lab's own config path).
pub fn processes_naming(marker: &Path) -> Vec<u32> {
    let marker = marker.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != std::process::id())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.windows(marker.len()).any(|w| w == marker))
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// One host of the broadcast-domain lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetnsHost {
    /// The host's network namespace.
    pub netns: String,
    /// Its address.
    pub address: Ipv4Addr,
    /// Whether it runs the lab's nmbd.
    pub nmbd: bool,
    /// Its NetBIOS and host name, where it announces itself.
    #[serde(default)]
    pub name: Option<String>,
    /// How it announces itself: "nbns", "wsd", "mdns"; empty for a free host.
    #[serde(default)]
    pub announces: Vec<String>,
    /// The workgroup it announces, where it does.
    #[serde(default)]
    pub workgroup: Option<String>,
}

/// The bridge that joins the hosts, in the root namespace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetnsBridge {
    /// Its interface name.
    pub name: String,
    /// The root namespace's address on it.
    pub address: Ipv4Addr,
}

/// The nmbd of the broadcast-domain lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetnsNmbd {
    /// The namespace it runs in.
    pub netns: String,
    /// Its address.
    pub address: Ipv4Addr,
    /// Its NetBIOS name.
    pub name: String,
    /// Its workgroup.
    pub workgroup: String,
    /// Its PID.
    pub pid: u32,
}

/// The broadcast domain of `lab/netns`, as its `status --json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NetnsLab {
    /// The subnet in CIDR form.
    pub subnet: String,
    /// Its prefix length.
    pub prefix: u8,
    /// Its broadcast address.
    pub broadcast: Ipv4Addr,
    /// The bridge in the root namespace.
    pub bridge: NetnsBridge,
    /// The hosts.
    pub hosts: Vec<NetnsHost>,
    /// The nmbd running on one of them.
    pub nmbd: NetnsNmbd,
    /// nmbd's config file.
    pub config: PathBuf,
    /// The lab's log directory.
    pub logs: PathBuf,
    /// The percentage of packets towards the hosts that the bridge drops (`lab/netns loss`).
    #[serde(default)]
    pub loss: u8,
}

impl NetnsLab {
    /// Makes sure the broadcast domain is up and returns it, held shared until dropped.
    ///
    /// Returns [`LabError::Unavailable`] where network namespaces are impossible; tests skip
    /// with its message.
    pub fn acquire() -> Result<InUse<NetnsLab>, LabError> {
        let lease = LabLease::take("netns", false)?;
        run_verb("netns", "up")?;
        let lab = read_status("netns")?
            .ok_or_else(|| LabError::Unavailable("lab/netns up left no lab".into()))?;
        Ok(InUse { lab, _lease: lease })
    }

    /// Makes sure the broadcast domain is up and returns it, held alone until dropped: for a
    /// test that stops and starts the hosts' announcers or drops packets.
    pub fn acquire_exclusive() -> Result<InUse<NetnsLab>, LabError> {
        let lease = LabLease::take("netns", true)?;
        run_verb("netns", "up")?;
        let lab = read_status("netns")?
            .ok_or_else(|| LabError::Unavailable("lab/netns up left no lab".into()))?;
        Ok(InUse { lab, _lease: lease })
    }

    /// [`NetnsLab::acquire`] for a test: `None`, with `skipped: <why>` on standard error, where
    /// network namespaces are impossible; any other failure of the lab fails the test.
    ///
    /// # Panics
    ///
    /// When the lab exists here but cannot be started: that is a test failure, not a skip.
    pub fn acquire_or_skip() -> Option<InUse<NetnsLab>> {
        match Self::acquire() {
            Ok(lab) => Some(lab),
            Err(LabError::Unavailable(why)) => {
                eprintln!("skipped: {why}");
                None
            }
            Err(error) => panic!("the netns lab failed: {error}"),
        }
    }

    /// [`NetnsLab::acquire_exclusive`] for a test: `None`, with `skipped: <why>` on standard
    /// error, where network namespaces are impossible.
    ///
    /// # Panics
    ///
    /// When the lab exists here but cannot be started: that is a test failure, not a skip.
    pub fn acquire_exclusive_or_skip() -> Option<InUse<NetnsLab>> {
        match Self::acquire_exclusive() {
            Ok(lab) => Some(lab),
            Err(LabError::Unavailable(why)) => {
                eprintln!("skipped: {why}");
                None
            }
            Err(error) => panic!("the netns lab failed: {error}"),
        }
    }

    /// The hosts that run none of the lab's daemons, free for the tests' own programs.
    pub fn free_hosts(&self) -> impl Iterator<Item = &NetnsHost> {
        self.hosts
            .iter()
            .filter(|host| !host.nmbd && host.announces.is_empty())
    }

    /// Runs `lab/netns ARGS` (`stop-wsdd wnetnb4`, `loss 20`...), which must succeed. Hold
    /// the lab alone ([`NetnsLab::acquire_exclusive`]) to change it.
    pub fn run(&self, args: &[&str]) -> Result<(), LabError> {
        let output = run_script("netns", args)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(script_failed("netns", args, &output))
        }
    }

    /// The hosts that announce themselves `how` ("nbns", "wsd" or "mdns").
    pub fn announcers<'a>(&'a self, how: &'a str) -> impl Iterator<Item = &'a NetnsHost> {
        self.hosts
            .iter()
            .filter(move |host| host.announces.iter().any(|a| a == how))
    }
}

/// The bridge that joins the AD lab's hosts, in the root namespace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdBridge {
    /// Its interface name.
    pub name: String,
    /// The root namespace's address on it.
    pub address: Ipv4Addr,
}

/// The AD lab's domain controller.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDc {
    /// Its host name (`dc1`).
    pub name: String,
    /// Its DNS name (`dc1.corp.example.test`).
    pub fqdn: String,
    /// Its address: the KDC, LDAP server, name server and SMB server of the domain.
    pub address: Ipv4Addr,
    /// The network namespace it runs in.
    pub netns: String,
    /// Its smb.conf.
    pub config: PathBuf,
    /// The PID of its root `samba` process.
    pub pid: u32,
}

/// The PIDs of the file server's daemons.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdFileServerPids {
    /// The main smbd.
    pub smbd: u32,
    /// winbindd.
    pub winbindd: u32,
}

/// A share of the AD lab's file server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdShare {
    /// The share name.
    pub name: String,
    /// Its directory on this machine.
    pub path: PathBuf,
    /// The file in its root whose text names the share (`<name>.txt`), so that a test can tell
    /// which share it landed on.
    pub file: String,
    /// The share's comment.
    pub comment: String,
    /// The only domain users (account names without the domain) allowed to connect.
    pub users: Vec<String>,
}

/// The AD lab's member file server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdFileServer {
    /// Its host name (`fs1`).
    pub name: String,
    /// Its DNS name, registered in the DC's DNS (`fs1.corp.example.test`).
    pub fqdn: String,
    /// Its address.
    pub address: Ipv4Addr,
    /// The network namespace it runs in.
    pub netns: String,
    /// Its smb.conf.
    pub config: PathBuf,
    /// Its daemons' PIDs.
    pub pids: AdFileServerPids,
    /// Its shares.
    pub shares: Vec<AdShare>,
}

/// A target of a DFS link of the AD lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDfsTarget {
    /// `\\server\share` it sends the link to.
    pub path: String,
    /// The file in it whose text names the target, so that a test can tell where it landed;
    /// empty for a loop's target, which holds no file.
    #[serde(default)]
    pub file: String,
    /// The text of that file (`fs2.corp.example.test\mirror`); empty for a loop's target.
    #[serde(default)]
    pub names: String,
}

/// A link of a DFS root of the AD lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDfsLink {
    /// Its name in the root (`mirror`).
    pub name: String,
    /// Its whole path (`\\fs1.corp.example.test\dfs\mirror`).
    pub path: String,
    /// Its targets, in the order the server refers them.
    pub targets: Vec<AdDfsTarget>,
}

/// A standalone DFS root of the AD lab.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDfsRoot {
    /// `\\server\share` of the root.
    pub path: String,
    /// The file server's host name (`fs1`).
    pub server: String,
    /// The root's share.
    pub share: String,
    /// The root share's directory on this machine.
    #[serde(default)]
    pub directory: PathBuf,
    /// Its links.
    pub links: Vec<AdDfsLink>,
    /// Its links that lead back into a namespace they come from (a referral loop).
    #[serde(default)]
    pub loops: Vec<AdDfsLink>,
}

/// A domain-based DFS root of the AD lab (`\\corp.example.test\sysvol`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDfsDomainRoot {
    /// Its path by the domain's DNS name.
    pub path: String,
    /// Its path by the domain's NetBIOS name (`\\CORP\sysvol`).
    pub netbios_path: String,
    /// Its targets (the domain controllers' shares).
    pub targets: Vec<AdDfsTarget>,
    /// What its directory holds, two levels deep, with backslashes.
    #[serde(default)]
    pub holds: Vec<String>,
}

/// The AD lab's DFS namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdDfs {
    /// The standalone roots, with their links.
    pub roots: Vec<AdDfsRoot>,
    /// The domain's roots; empty in a status written before them.
    #[serde(default)]
    pub domain_roots: Vec<AdDfsDomainRoot>,
}

/// The Active Directory domain of `lab/ad`, as its `status --json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AdLab {
    /// The Kerberos realm (`CORP.EXAMPLE.TEST`).
    pub realm: String,
    /// The NetBIOS domain name (`CORP`).
    pub domain: String,
    /// The DNS domain (`corp.example.test`).
    pub dns_domain: String,
    /// The lab's subnet in CIDR form.
    pub subnet: String,
    /// Its prefix length.
    pub prefix: u8,
    /// The bridge in the root namespace.
    pub bridge: AdBridge,
    /// The domain's name server (the DC's address).
    pub dns: Ipv4Addr,
    /// A krb5.conf for Kerberos clients on this host, in the lab's directory: use it through
    /// `KRB5_CONFIG` (see [`AdLab::kerberos`]).
    pub krb5_conf: PathBuf,
    /// The longest ticket the KDC issues; `kinit -l` asks for shorter ones.
    pub ticket_lifetime_seconds: u64,
    /// The longest a ticket can be renewed for.
    pub renew_lifetime_seconds: u64,
    /// The domain controller.
    pub dc: AdDc,
    /// The member file server.
    pub fileserver: AdFileServer,
    /// Every member file server, `fs1` (the one above) first; empty in a status written
    /// before the lab had a second one.
    #[serde(default)]
    pub fileservers: Vec<AdFileServer>,
    /// The DFS namespaces the file servers serve; absent from a status written before them.
    #[serde(default)]
    pub dfs: Option<AdDfs>,
    /// The domain users (lab-only secrets).
    pub users: Vec<LabUser>,
    /// The domain's administrator.
    pub admin: LabUser,
    /// The directory that holds all the lab's state.
    pub root: PathBuf,
    /// The lab's log directory.
    pub logs: PathBuf,
}

impl AdLab {
    /// The broadcast address of the lab's subnet (`198.51.100.192/27`: `198.51.100.223`),
    /// where the tests' NetBIOS broadcasts go.
    pub fn broadcast(&self) -> Ipv4Addr {
        let network = self
            .subnet
            .split('/')
            .next()
            .and_then(|address| address.parse::<Ipv4Addr>().ok())
            .unwrap_or(self.bridge.address);
        let host_bits = u32::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
        Ipv4Addr::from(u32::from(network) | host_bits)
    }

    /// Makes sure the domain is up and returns it, held shared until the returned value is
    /// dropped.
    ///
    /// Returns [`LabError::Unavailable`] where network namespaces are impossible.
    pub fn acquire() -> Result<InUse<AdLab>, LabError> {
        let lease = LabLease::take("ad", false)?;
        Ok(InUse {
            lab: Self::up()?,
            _lease: lease,
        })
    }

    /// [`AdLab::acquire`] for a test: `None`, with `skipped: <why>` on standard error, where
    /// network namespaces are impossible; any other failure of the lab fails the test.
    ///
    /// # Panics
    ///
    /// When the lab exists here but cannot be started: that is a test failure, not a skip.
    pub fn acquire_or_skip() -> Option<InUse<AdLab>> {
        match Self::acquire() {
            Ok(lab) => Some(lab),
            Err(LabError::Unavailable(why)) => {
                eprintln!("skipped: {why}");
                None
            }
            Err(error) => panic!("the AD lab failed: {error}"),
        }
    }

    /// Waits until no other test uses the lab and holds it alone until the returned lease is
    /// dropped, for tests that stop and start it. The lab may be up or down on return.
    pub fn acquire_exclusive() -> Result<LabLease, LabError> {
        LabLease::take("ad", true)
    }

    /// Waits until no other test uses the lab, makes sure it is up and returns it, held
    /// alone until the returned value is dropped: for a test that stops one of its servers
    /// ([`AdLab::stop_smbd`]).
    pub fn acquire_alone() -> Result<InUse<AdLab>, LabError> {
        let lease = LabLease::take("ad", true)?;
        Ok(InUse {
            lab: Self::up()?,
            _lease: lease,
        })
    }

    /// `lab/ad stop-smbd NAME`: stops the smbd of the file server `name` (`fs2`) and waits
    /// until its port 445 is closed. Only with the lab held alone, and always followed by
    /// [`AdLab::start_smbd`].
    pub fn stop_smbd(name: &str) -> Result<(), LabError> {
        Self::smbd("stop-smbd", name)
    }

    /// `lab/ad start-smbd NAME`: starts the smbd of the file server `name` again (nothing if
    /// it runs) and waits until it listens.
    pub fn start_smbd(name: &str) -> Result<(), LabError> {
        Self::smbd("start-smbd", name)
    }

    fn smbd(verb: &str, name: &str) -> Result<(), LabError> {
        let output = run_script("ad", &[verb, name])?;
        if output.status.success() {
            Ok(())
        } else {
            Err(script_failed("ad", &[verb, name], &output))
        }
    }

    /// Runs `lab/ad up` (idempotent) and returns the domain's shape.
    pub fn up() -> Result<AdLab, LabError> {
        run_verb("ad", "up")?;
        Self::status()?.ok_or_else(|| LabError::Unavailable("lab/ad up left no lab".into()))
    }

    /// Runs `lab/ad down`.
    pub fn down() -> Result<(), LabError> {
        run_verb("ad", "down")
    }

    /// The domain's shape, or `None` when it is not up.
    pub fn status() -> Result<Option<AdLab>, LabError> {
        read_status("ad")
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&LabUser> {
        self.users.iter().find(|user| user.name == name)
    }

    /// The file server's share called `name`.
    pub fn share(&self, name: &str) -> Option<&AdShare> {
        self.fileserver
            .shares
            .iter()
            .find(|share| share.name == name)
    }

    /// `user@REALM`.
    pub fn principal(&self, user: &LabUser) -> String {
        format!("{}@{}", user.name, self.realm)
    }

    /// Sets `command` up as a Kerberos client of the domain: the lab's krb5.conf through
    /// `KRB5_CONFIG` and the credential cache `ccache` (a file path) through `KRB5CCNAME`.
    pub fn kerberos<'c>(&self, command: &'c mut Command, ccache: &Path) -> &'c mut Command {
        command
            .env("KRB5_CONFIG", &self.krb5_conf)
            .env("KRB5CCNAME", format!("FILE:{}", ccache.display()))
    }

    /// Runs `kinit` for `user` with `password` into the credential cache `ccache`, with
    /// `extra` arguments before the principal (`-l 30s` for a short ticket).
    pub fn kinit(
        &self,
        user: &LabUser,
        password: &str,
        ccache: &Path,
        extra: &[&str],
    ) -> Result<Output, LabError> {
        let mut command = Command::new("kinit");
        self.kerberos(&mut command, ccache)
            .args(extra)
            .arg(self.principal(user));
        run_bounded_with_input(
            &mut command,
            format!("{password}\n").as_bytes(),
            SCRIPT_TIMEOUT,
        )
    }

    /// The arguments that make smbclient reach `share` on the file server by its DNS name
    /// (the name Kerberos needs) at its address: `-I` keeps smbclient from resolving the name
    /// through this host's resolver, which knows nothing of the lab and would ask off the
    /// machine.
    pub fn smbclient_target(&self, share: &str) -> [String; 3] {
        [
            format!("//{}/{share}", self.fileserver.fqdn),
            "-I".into(),
            self.fileserver.address.to_string(),
        ]
    }

    /// The live processes of this lab, as `lab_pids` of `lab/lib.sh` finds them (the DC's
    /// samba processes overwrite their command line, so [`processes_naming`] cannot see them).
    pub fn processes(&self) -> Result<Vec<u32>, LabError> {
        let mut marker = self.root.clone().into_os_string();
        marker.push("/");
        let output = run_bounded(
            Command::new("bash")
                .args(["-c", "source \"$1\" && lab_pids", "bash"])
                .arg(lab_dir().join("lib.sh"))
                .env("LAB_NAME", "wnet-testlab")
                .env("LAB_MARKER", marker),
            SCRIPT_TIMEOUT,
        )?;
        if !output.status.success() {
            return Err(script_failed("lib.sh", &["lab_pids"], &output));
        }
        let mut pids: Vec<u32> = String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect();
        pids.sort_unstable();
        Ok(pids)
    }
}

/// A command that runs `program` inside the network namespace `netns`.
pub fn command_in(netns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new("ip");
    command.args(["netns", "exec", netns]).arg(program);
    command
}

/// A directory of one test's own (credential caches, fetched files) under the temporary
/// directory, named after the test and the process, made empty and removed on drop.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    /// `wnet-<test>-<pid>` in the temporary directory, empty.
    ///
    /// # Panics
    /// When the directory cannot be made (a test cannot go on without it).
    pub fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("wnet-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("scratch directory {}: {error}", dir.display()));
        Scratch(dir)
    }

    /// `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `lab/ad status --json` from before the second file server and DFS.
    const OLD_AD_STATUS: &str = r#"{"realm":"CORP.EXAMPLE.TEST","domain":"CORP",
        "dns_domain":"corp.example.test","subnet":"198.51.100.192/27","prefix":27,
        "bridge":{"name":"wad-br","address":"198.51.100.193"},"dns":"198.51.100.194",
        "krb5_conf":"/tmp/k","ticket_lifetime_seconds":3600,"renew_lifetime_seconds":7200,
        "dc":{"name":"dc1","fqdn":"dc1.corp.example.test","address":"198.51.100.194",
              "netns":"n","config":"/c","pid":1},
        "fileserver":{"name":"fs1","fqdn":"fs1.corp.example.test","address":"198.51.100.195",
              "netns":"n","config":"/c","pids":{"smbd":2,"winbindd":3},"shares":[]},
        "users":[],"admin":{"name":"Administrator","password":"p"},"root":"/r","logs":"/l"}"#;

    #[test]
    fn an_ad_status_without_fileservers_or_dfs_still_parses() {
        let lab: AdLab = serde_json::from_str(OLD_AD_STATUS).expect("the old status parses");
        assert!(lab.fileservers.is_empty());
        assert_eq!(lab.dfs, None);
    }

    #[test]
    fn the_dfs_roots_and_second_file_server_are_read() {
        let mut status: serde_json::Value = serde_json::from_str(OLD_AD_STATUS).expect("JSON");
        status["fileservers"] = serde_json::json!([status["fileserver"].clone()]);
        status["dfs"] = serde_json::json!({"roots": [{
            "path": r"\\fs1\dfs", "server": "fs1", "share": "dfs", "directory": "/d",
            "links": [{"name": "mirror", "path": r"\\fs1\dfs\mirror", "targets": [
                {"path": r"\\fs2\mirror", "file": "target.txt", "names": r"fs2\mirror"}]}],
            "loops": [{"name": "self", "path": r"\\fs1\dfs\self", "targets": [
                {"path": r"\\fs1\dfs\self"}]}]}],
            "domain_roots": [{"path": r"\\corp\sysvol", "netbios_path": r"\\CORP\sysvol",
                "targets": [{"path": r"\\dc1\sysvol"}], "netbios_targets": [],
                "holds": ["corp"]}]});
        let lab: AdLab = serde_json::from_value(status).expect("the new status parses");
        assert_eq!(lab.fileservers.len(), 1);
        let dfs = lab.dfs.expect("dfs");
        assert_eq!(dfs.roots[0].links[0].targets[0].path, r"\\fs2\mirror");
        assert_eq!(dfs.roots[0].links[0].targets[0].names, r"fs2\mirror");
        assert_eq!(dfs.roots[0].directory, Path::new("/d"));
        assert_eq!(dfs.roots[0].loops[0].targets[0].file, "");
        assert_eq!(dfs.domain_roots[0].netbios_path, r"\\CORP\sysvol");
        assert_eq!(dfs.domain_roots[0].holds, ["corp"]);
    }

    const NETNS_HEAD: &str = r#""up":true,"subnet":"198.51.100.128/26","prefix":26,
        "broadcast":"198.51.100.191","bridge":{"name":"wnb-br","address":"198.51.100.129"},"#;
    const NETNS_TAIL: &str = r#""nmbd":{"netns":"wnetnb1","address":"198.51.100.130",
        "name":"NBHOST1","workgroup":"WNETBCAST","pid":7},"config":"/c","logs":"/l""#;

    #[test]
    fn an_old_netns_status_parses_and_its_free_hosts_are_those_without_nmbd() {
        let status = format!(
            r#"{{{NETNS_HEAD}"hosts":[
              {{"netns":"wnetnb1","address":"198.51.100.130","nmbd":true}},
              {{"netns":"wnetnb2","address":"198.51.100.131","nmbd":false}},
              {{"netns":"wnetnb3","address":"198.51.100.132","nmbd":false}}],{NETNS_TAIL}}}"#
        );
        let lab: NetnsLab = serde_json::from_str(&status).expect("the old status parses");
        let free: Vec<_> = lab.free_hosts().map(|host| host.netns.as_str()).collect();
        assert_eq!(free, ["wnetnb2", "wnetnb3"]);
        assert_eq!(lab.loss, 0);
    }

    #[test]
    fn the_announcer_hosts_are_not_free() {
        let status = format!(
            r#"{{{NETNS_HEAD}"hosts":[
              {{"netns":"wnetnb1","address":"198.51.100.130","nmbd":true,"name":"NBHOST1",
                "announces":["nbns"],"workgroup":"WNETBCAST","pids":{{"nmbd":7}}}},
              {{"netns":"wnetnb2","address":"198.51.100.131","nmbd":false,"name":null,
                "announces":[],"workgroup":null,"pids":{{}}}},
              {{"netns":"wnetnb3","address":"198.51.100.132","nmbd":false,"name":null,
                "announces":[],"workgroup":null,"pids":{{}}}},
              {{"netns":"wnetnb4","address":"198.51.100.133","nmbd":false,"name":"WSDHOST",
                "announces":["wsd"],"workgroup":"WNETWSD","pids":{{"wsdd":8}}}},
              {{"netns":"wnetnb5","address":"198.51.100.134","nmbd":false,"name":"MDNSHOST",
                "announces":["mdns"],"workgroup":null,"pids":{{"avahi":null}}}},
              {{"netns":"wnetnb6","address":"198.51.100.135","nmbd":true,"name":"ALLHOST",
                "announces":["nbns","wsd","mdns"],"workgroup":"WNETBCAST",
                "pids":{{"nmbd":9,"wsdd":10,"avahi":11}}}}],{NETNS_TAIL},"loss":20}}"#
        );
        let lab: NetnsLab = serde_json::from_str(&status).expect("the new status parses");
        let names = |hosts: Vec<&NetnsHost>| -> Vec<String> {
            hosts.iter().map(|host| host.netns.clone()).collect()
        };
        assert_eq!(names(lab.free_hosts().collect()), ["wnetnb2", "wnetnb3"]);
        assert_eq!(
            names(lab.announcers("wsd").collect()),
            ["wnetnb4", "wnetnb6"]
        );
        assert_eq!(
            names(lab.announcers("mdns").collect()),
            ["wnetnb5", "wnetnb6"]
        );
        assert_eq!(lab.hosts[3].workgroup.as_deref(), Some("WNETWSD"));
        assert_eq!(lab.hosts[4].name.as_deref(), Some("MDNSHOST"));
        assert_eq!(lab.loss, 20);
    }
}
