//! `Netbios()`: runs NCB commands over the NBT engines, blocking or in the background.
//!
//! Each [`Netbios`] owns a small tokio runtime. A command is checked, marked pending and run
//! as a task; a blocking call waits for it, an ASYNCH call returns [`nrc::NRC_GOODRET`] at
//! once and the submitter polls `cmd_cplt` or waits on the [`SharedNcb`]. Every running
//! command is listed so that NCBCANCEL and NCBRESET can stop it.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;
use wnet_nbt::config::Retransmit;
use wnet_nbt::name_service::client::NameServiceClient;
use wnet_nbt::name_service::name_table::Registrar;
use wnet_nbt::name_service::responder::{RegisterError, Responder, ResponderConfig};
use wnet_nbt::wire::node_status::name_flags as wire_flags;
use wnet_nbt::wire::{NetbiosName, ScopedName};

use crate::lana::{Lana, NetbiosConfig, adapters, renumber};
use crate::names::LocalNames;
use crate::nb30::{
    ASYNCH, AdapterStatus, FindNameBuffer, FindNameHeader, LanaEnum, NameBuffer, SessionHeader,
    command, name_flags, nrc, write_with_records,
};
use crate::ncb::{Data, Ncb, SharedNcb};
use crate::session_commands;

/// Sessions per LANA when NCBRESET asks for 0.
pub const DEFAULT_SESSIONS: u8 = 16;
/// Names per LANA when NCBRESET asks for 0.
pub const DEFAULT_NAMES: u8 = 8;
/// Pending commands per LANA when NCBRESET asks for 0.
pub const DEFAULT_COMMANDS: u8 = 16;
/// The most sessions, names or commands a LANA can have.
pub const MAX_RESOURCES: u8 = 254;
/// The largest datagram NCBASTAT reports (RFC 1002's 576-byte datagram less its headers).
const MAX_DATAGRAM: u16 = 512;
/// How long NCBCANCEL waits for the command it cancels to finish.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// What NCBRESET set up on a LANA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sessions at most.
    pub sessions: u8,
    /// Pending commands at most.
    pub commands: u8,
    /// Names at most.
    pub names: u8,
}

/// The tables of one LANA.
#[derive(Debug)]
pub(crate) struct LanaTables {
    /// `None` until NCBRESET defines the environment.
    pub(crate) limits: Option<Limits>,
    pub(crate) names: LocalNames,
}

/// One LANA's state: its tables and its lazily started network engines.
pub(crate) struct LanaState {
    pub(crate) lana: Lana,
    tables: Mutex<LanaTables>,
    responder: OnceCell<Arc<Responder>>,
    client: OnceCell<Arc<NameServiceClient>>,
    pub(crate) sessions: Mutex<session_commands::Sessions>,
    pub(crate) datagrams: OnceCell<Arc<crate::datagram_commands::LanaDatagrams>>,
}

impl LanaState {
    fn new(lana: Lana) -> LanaState {
        LanaState {
            lana,
            tables: Mutex::new(LanaTables {
                limits: None,
                names: LocalNames::new(0),
            }),
            responder: OnceCell::new(),
            client: OnceCell::new(),
            sessions: Mutex::new(session_commands::Sessions::default()),
            datagrams: OnceCell::new(),
        }
    }

    pub(crate) fn tables(&self) -> MutexGuard<'_, LanaTables> {
        // The tables hold plain values; one left half-updated by a panic is still usable.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A command in progress, for NCBCANCEL and NCBRESET.
#[derive(Debug, Clone)]
struct Running {
    ncb: SharedNcb,
    command: u8,
    lana: u8,
}

/// What a finished command writes back into its NCB.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) code: u8,
    pub(crate) lsn: Option<u8>,
    pub(crate) num: Option<u8>,
    pub(crate) length: Option<u16>,
    /// Written at the start of the buffer.
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) callname: Option<[u8; 16]>,
    /// The NCB's own buffer, given back after a command borrowed it.
    pub(crate) buffer: Option<Vec<u8>>,
}

impl Outcome {
    pub(crate) fn code(code: u8) -> Outcome {
        Outcome {
            code,
            ..Outcome::default()
        }
    }

    /// Bytes for the buffer (and `length`), with `code`.
    pub(crate) fn data(code: u8, data: Vec<u8>) -> Outcome {
        Outcome {
            code,
            length: Some(u16::try_from(data.len()).unwrap_or(u16::MAX)),
            data: Some(data),
            ..Outcome::default()
        }
    }

    fn apply(self, ncb: &mut Ncb) {
        if let Some(buffer) = self.buffer {
            ncb.buffer = buffer;
        }
        if let Some(lsn) = self.lsn {
            ncb.lsn = lsn;
        }
        if let Some(num) = self.num {
            ncb.num = num;
        }
        if let Some(data) = self.data {
            let count = data.len().min(ncb.buffer.len());
            ncb.buffer[..count].copy_from_slice(&data[..count]);
        }
        if let Some(length) = self.length {
            ncb.length = length;
        }
        if let Some(callname) = self.callname {
            ncb.callname = callname;
        }
    }
}

/// The engine shared by the runtime's tasks.
pub(crate) struct Engine {
    pub(crate) config: NetbiosConfig,
    lanas: Mutex<Vec<Lana>>,
    states: Mutex<HashMap<u8, Arc<LanaState>>>,
    running: Mutex<Vec<Running>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The NetBIOS interface of this process: LANAs, their name and session tables, and the
/// commands that run on them.
pub struct Netbios {
    runtime: tokio::runtime::Runtime,
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Netbios {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Netbios")
            .field("lanas", &self.lanas())
            .finish_non_exhaustive()
    }
}

impl Netbios {
    /// An engine with `config`; the LANAs are enumerated now.
    pub fn new(config: NetbiosConfig) -> io::Result<Netbios> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wnet-netbios")
            .enable_all()
            .build()?;
        let lanas = renumber(&[], adapters(&config)?);
        Ok(Netbios {
            runtime,
            engine: Arc::new(Engine {
                config,
                lanas: Mutex::new(lanas),
                states: Mutex::new(HashMap::new()),
                running: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The engine of this process, configured from the environment
    /// ([`NetbiosConfig::from_env`]) on first use; `None` if that configuration is unusable
    /// (the reason is logged), in which case [`netbios`] answers NRC_OPENERR.
    pub fn global() -> Option<&'static Netbios> {
        static GLOBAL: OnceLock<Option<Netbios>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                let config = NetbiosConfig::from_env()
                    .map_err(|error| tracing::error!("NetBIOS configuration: {error}"))
                    .ok()?;
                Netbios::new(config)
                    .map_err(|error| tracing::error!("NetBIOS cannot start: {error}"))
                    .ok()
            })
            .as_ref()
    }

    /// The LANAs as they are now.
    pub fn lanas(&self) -> Vec<Lana> {
        lock(&self.engine.lanas).clone()
    }

    /// Runs the command in `ncb` as Windows' `Netbios()` does: blocking, or with ASYNCH in
    /// the background (the result is then NRC_GOODRET, and `retcode`/`cmd_cplt` stay
    /// NRC_PENDING until the command completes). Errors found before the command starts (no
    /// such LANA) are returned at once in both cases.
    ///
    /// Must not be called from inside an async task: a blocking call waits on this thread.
    pub fn submit(&self, ncb: &SharedNcb) -> u8 {
        let command_byte = ncb.lock().command;
        let asynch = command_byte & ASYNCH != 0;
        let code = command_byte & !ASYNCH;
        let data = match (sends_data(code), asynch) {
            (false, _) => Data::None,
            (true, true) => Data::Copy,
            (true, false) => Data::Borrow,
        };
        let request = ncb.request(data);
        if ncb.is_pending() {
            // Windows refuses an NCB that is still in use.
            return nrc::NRC_TOOMANY;
        }
        match code {
            command::NCBENUM => {
                let outcome = self.engine.enumerate(&request);
                return finish(ncb, outcome);
            }
            command::NCBCANCEL => {
                let outcome = self.engine.cancel(&request);
                return finish(ncb, outcome);
            }
            _ => {}
        }
        let Some(state) = self.engine.lana(request.lana_num) else {
            let outcome = Outcome {
                buffer: (data == Data::Borrow).then_some(request.buffer),
                ..Outcome::code(nrc::NRC_BRIDGE)
            };
            return finish(ncb, outcome);
        };
        ncb.begin();
        lock(&self.engine.running).push(Running {
            ncb: ncb.clone(),
            command: code,
            lana: request.lana_num,
        });
        let engine = Arc::clone(&self.engine);
        let task_ncb = ncb.clone();
        let task = async move {
            let mut outcome = tokio::select! {
                biased;
                outcome = engine.execute(&state, code, &request) => outcome,
                () = task_ncb.cancelled() => Outcome::code(nrc::NRC_CMDCAN),
            };
            if data == Data::Borrow {
                outcome.buffer = Some(request.buffer);
            }
            lock(&engine.running).retain(|running| !running.ncb.same(&task_ncb));
            let code = outcome.code;
            task_ncb.complete(|ncb| outcome.apply(ncb), code);
        };
        if asynch {
            self.runtime.spawn(task);
            return nrc::NRC_GOODRET;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from async code: run on the engine's workers, wait here.
            self.runtime.spawn(task);
        } else {
            // A blocking call runs the command on the caller's thread: no hand-off to a
            // worker and back for every command.
            self.runtime.block_on(task);
        }
        ncb.wait()
    }

    /// Runs `ncb`'s command and waits for it (ASYNCH or not), writing the results back.
    pub fn run(&self, ncb: &mut Ncb) -> u8 {
        let shared = SharedNcb::new(std::mem::take(ncb));
        let mut code = self.submit(&shared);
        if code == nrc::NRC_GOODRET {
            code = shared.wait();
        }
        *ncb = shared.take();
        code
    }
}

/// Runs `ncb`'s command on this process's engine ([`Netbios::global`]), as Windows'
/// `Netbios()`; NRC_OPENERR if the engine cannot start.
pub fn netbios(ncb: &SharedNcb) -> u8 {
    match Netbios::global() {
        Some(engine) => engine.submit(ncb),
        None => finish(ncb, Outcome::code(nrc::NRC_OPENERR)),
    }
}

/// Completes a command that ran on the caller's thread.
fn finish(ncb: &SharedNcb, outcome: Outcome) -> u8 {
    let code = outcome.code;
    ncb.complete(|fields| outcome.apply(fields), code);
    code
}

/// The part of the NCB's buffer a command may fill (the request's `length` is already cut
/// to the buffer).
pub(crate) fn room(request: &Ncb) -> usize {
    usize::from(request.length)
}

/// Whether the command sends the bytes of its buffer (the others only fill it).
fn sends_data(code: u8) -> bool {
    matches!(
        code,
        command::NCBSEND
            | command::NCBSENDNA
            | command::NCBCHAINSEND
            | command::NCBCHAINSENDNA
            | command::NCBDGSEND
            | command::NCBDGSENDBC
    )
}

/// Writes a fixed header and records into `request`'s buffer: NRC_BUFLEN when not even the
/// header fits, NRC_INCOMP when not every record does, the partial data either way.
fn structured(request: &Ncb, header: &[u8], records: &[&[u8]]) -> Outcome {
    let mut out = vec![0u8; room(request)];
    let (written, complete) = write_with_records(&mut out, header, records);
    out.truncate(written);
    let code = if written < header.len() {
        nrc::NRC_BUFLEN
    } else if complete {
        nrc::NRC_GOODRET
    } else {
        nrc::NRC_INCOMP
    };
    Outcome::data(code, out)
}

impl Engine {
    /// The state of LANA `number`, if it exists.
    fn lana(&self, number: u8) -> Option<Arc<LanaState>> {
        let lanas = lock(&self.lanas);
        let lana = lanas.iter().find(|lana| lana.number == number)?;
        // Every command asks: a LANA's state is made once, then looked up.
        let mut states = lock(&self.states);
        let state = states
            .entry(number)
            .or_insert_with(|| Arc::new(LanaState::new(lana.clone())));
        Some(Arc::clone(state))
    }

    async fn execute(&self, state: &Arc<LanaState>, code: u8, request: &Ncb) -> Outcome {
        match code {
            command::NCBRESET => return self.reset(state, request).await,
            // Windows NT answers these so: tracing and LAN alerts are not supported, an
            // action is not defined for NetBT, unlink is a no-op.
            command::NCBTRACE | command::NCBLANSTALERT | command::NCBACTION => {
                return Outcome::code(nrc::NRC_ILLCMD);
            }
            command::NCBUNLINK => return Outcome::code(nrc::NRC_GOODRET),
            _ => {}
        }
        if state.tables().limits.is_none() {
            return Outcome::code(nrc::NRC_ENVNOTDEF);
        }
        match code {
            command::NCBADDNAME => self.add_name(state, request, false).await,
            command::NCBADDGRNAME => self.add_name(state, request, true).await,
            command::NCBDELNAME => self.delete_name(state, request).await,
            command::NCBASTAT => self.adapter_status(state, request).await,
            command::NCBSSTAT => session_status(state, request),
            command::NCBFINDNAME => self.find_name(state, request).await,
            command::NCBCALL => self.call(state, request).await,
            command::NCBLISTEN => self.listen(state, request).await,
            command::NCBHANGUP => session_commands::hang_up(state, request).await,
            command::NCBSEND | command::NCBSENDNA => {
                session_commands::send(state, request, false).await
            }
            command::NCBCHAINSEND | command::NCBCHAINSENDNA => {
                session_commands::send(state, request, true).await
            }
            command::NCBRECV => session_commands::receive(state, request).await,
            command::NCBRECVANY => session_commands::receive_any(state, request).await,
            command::NCBDGSEND => self.send_datagram(state, request, false).await,
            command::NCBDGSENDBC => self.send_datagram(state, request, true).await,
            command::NCBDGRECV => self.receive_datagram(state, request, false).await,
            command::NCBDGRECVBC => self.receive_datagram(state, request, true).await,
            _ => Outcome::code(nrc::NRC_ILLCMD),
        }
    }

    /// NCBENUM: the LANA numbers, re-enumerated now.
    fn enumerate(&self, request: &Ncb) -> Outcome {
        let lanas = {
            let mut lanas = lock(&self.lanas);
            if let Ok(found) = adapters(&self.config) {
                *lanas = renumber(&lanas, found);
            }
            lanas.clone()
        };
        let lana_enum = LanaEnum {
            lanas: lanas.iter().map(|lana| lana.number).collect(),
        };
        let mut out = lana_enum.to_bytes().to_vec();
        let fits = room(request);
        if fits < out.len() {
            out.truncate(fits);
            return Outcome::data(nrc::NRC_BUFLEN, out);
        }
        Outcome::data(nrc::NRC_GOODRET, out)
    }

    /// NCBCANCEL: stops the command in `cancel_target`.
    fn cancel(&self, request: &Ncb) -> Outcome {
        let Some(target) = &request.cancel_target else {
            return Outcome::code(nrc::NRC_BADDR);
        };
        let running = lock(&self.running)
            .iter()
            .find(|running| running.ncb.same(target))
            .cloned();
        let Some(running) = running else {
            return Outcome::code(nrc::NRC_CANOCCR);
        };
        if running.lana != request.lana_num {
            return Outcome::code(nrc::NRC_CANOCCR);
        }
        if matches!(
            running.command,
            command::NCBADDNAME
                | command::NCBADDGRNAME
                | command::NCBDELNAME
                | command::NCBRESET
                | command::NCBSSTAT
                | command::NCBCANCEL
        ) {
            return Outcome::code(nrc::NRC_CANCEL);
        }
        target.request_cancel();
        match target.wait_timeout(CANCEL_WAIT) {
            Some(nrc::NRC_CMDCAN) => Outcome::code(nrc::NRC_GOODRET),
            Some(_) => Outcome::code(nrc::NRC_CANOCCR),
            None => Outcome::code(nrc::NRC_SYSTEM),
        }
    }

    /// NCBRESET: cancels the LANA's commands, drops its names, and (with `lsn` 0) defines
    /// the environment with the limits in `callname[0..3]` (0 for the defaults), adding the
    /// permanent name when `callname[3]` asks for it; with `lsn` non-zero, frees it.
    async fn reset(&self, state: &Arc<LanaState>, request: &Ncb) -> Outcome {
        let others: Vec<SharedNcb> = lock(&self.running)
            .iter()
            .filter(|running| {
                running.lana == state.lana.number && running.command != command::NCBRESET
            })
            .map(|running| running.ncb.clone())
            .collect();
        for ncb in &others {
            ncb.request_cancel();
        }
        session_commands::hang_up_all(state).await;
        release_names(state).await;
        let pick = |asked: u8, default: u8| {
            if asked == 0 {
                default
            } else {
                asked.min(MAX_RESOURCES)
            }
        };
        let mut tables = state.tables();
        if request.lsn == 0 {
            let limits = Limits {
                sessions: pick(request.callname[0], DEFAULT_SESSIONS),
                commands: pick(request.callname[1], DEFAULT_COMMANDS),
                names: pick(request.callname[2], DEFAULT_NAMES),
            };
            tables.limits = Some(limits);
            tables.names = LocalNames::new(usize::from(limits.names));
            if request.callname[3] != 0 {
                tables.names.add_permanent(state.lana.mac);
            }
        } else {
            tables.limits = None;
            tables.names = LocalNames::new(0);
        }
        Outcome::code(nrc::NRC_GOODRET)
    }

    /// NCBADDNAME / NCBADDGRNAME: registers the name on the network, then numbers it.
    async fn add_name(&self, state: &Arc<LanaState>, request: &Ncb, group: bool) -> Outcome {
        if let Err(code) = state.tables().names.check_add(&request.name) {
            return Outcome::code(code);
        }
        let responder = match self.responder(state).await {
            Ok(responder) => responder,
            Err(error) => {
                tracing::error!(
                    lana = state.lana.number,
                    "name service cannot start: {error}"
                );
                return Outcome::code(nrc::NRC_SYSTEM);
            }
        };
        let name = NetbiosName::from_bytes(request.name);
        let code = match responder.add_name(name, group).await {
            Ok(()) => None,
            Err(RegisterError::Duplicate) => Some(nrc::NRC_DUPNAME),
            Err(RegisterError::TableFull) => Some(nrc::NRC_NAMTFUL),
            Err(RegisterError::Refused { .. }) => Some(nrc::NRC_INUSE),
            Err(RegisterError::Unanswered) => Some(nrc::NRC_CMDTMO),
            Err(RegisterError::Stopped) => Some(nrc::NRC_SYSTEM),
        };
        if let Some(code) = code {
            return Outcome::code(code);
        }
        let added = state.tables().names.add(request.name, group);
        match added {
            Ok(number) => Outcome {
                num: Some(number),
                ..Outcome::code(nrc::NRC_GOODRET)
            },
            Err(code) => {
                // Added meanwhile by another command, or the table filled up: give it back.
                responder.release(name).await;
                Outcome::code(code)
            }
        }
    }

    /// NCBDELNAME: releases the name; NRC_ACTSES (and deleted later) while sessions use it.
    async fn delete_name(&self, state: &Arc<LanaState>, request: &Ncb) -> Outcome {
        let in_use = session_commands::sessions_of_name(state, &request.name) > 0;
        {
            let mut tables = state.tables();
            if tables.names.find(&request.name).is_none() {
                return Outcome::code(nrc::NRC_NOWILD);
            }
            if in_use {
                tables.names.mark_deregistered(&request.name);
                return Outcome::code(nrc::NRC_ACTSES);
            }
            tables.names.remove(&request.name);
        }
        if let Some(responder) = state.responder.get() {
            responder
                .release(NetbiosName::from_bytes(request.name))
                .await;
        }
        Outcome::code(nrc::NRC_GOODRET)
    }

    /// NCBASTAT: our adapter (`callname` `*`) or a remote node's.
    async fn adapter_status(&self, state: &Arc<LanaState>, request: &Ncb) -> Outcome {
        if request.callname[0] == b'*' {
            return local_adapter_status(state, request);
        }
        let Some(address) = self.address_of(state, &request.callname).await else {
            return Outcome::code(nrc::NRC_CMDTMO);
        };
        let Ok(client) = self.client(state).await else {
            return Outcome::code(nrc::NRC_SYSTEM);
        };
        let target = SocketAddrV4::new(address, self.config.name_port);
        let retransmit = Retransmit {
            interval: Duration::from_millis(750),
            retries: 2,
        };
        let Ok(answer) = client.node_status(target, retransmit).await else {
            return Outcome::code(nrc::NRC_CMDTMO);
        };
        let status = AdapterStatus {
            adapter_address: answer.mac,
            rev_major: 3,
            adapter_type: 0xFE,
            max_dgram_size: MAX_DATAGRAM,
            max_sess_pkt_size: u16::MAX,
            name_count: u16::try_from(answer.names.len()).unwrap_or(u16::MAX),
            ..AdapterStatus::default()
        };
        let names: Vec<[u8; NameBuffer::SIZE]> = answer
            .names
            .iter()
            .map(|entry| {
                NameBuffer {
                    name: *entry.name.as_bytes(),
                    name_num: 0,
                    name_flags: remote_name_flags(entry.flags),
                }
                .to_bytes()
            })
            .collect();
        let records: Vec<&[u8]> = names.iter().map(<[u8; 18]>::as_slice).collect();
        structured(request, &status.to_bytes(), &records)
    }

    /// NCBFINDNAME: every node that holds `callname`.
    async fn find_name(&self, state: &Arc<LanaState>, request: &Ncb) -> Outcome {
        if room(request) < FindNameHeader::SIZE {
            return Outcome::code(nrc::NRC_BUFLEN);
        }
        if request.callname[0] == b'*' {
            return Outcome::code(nrc::NRC_NOWILD);
        }
        let Ok(client) = self.client(state).await else {
            return Outcome::code(nrc::NRC_SYSTEM);
        };
        let name = self.scoped(request.callname);
        let Ok(answer) = client.resolve(&name).await else {
            return Outcome::code(nrc::NRC_CMDTMO);
        };
        let group = answer.addresses.iter().any(|found| found.group);
        let header = FindNameHeader {
            node_count: u16::try_from(answer.addresses.len()).unwrap_or(u16::MAX),
            unique_group: u8::from(group),
        };
        let buffers: Vec<[u8; FindNameBuffer::SIZE]> = answer
            .addresses
            .iter()
            .map(|found| {
                FindNameBuffer {
                    length: 14,
                    destination_addr: FindNameBuffer::address_field(state.lana.address),
                    source_addr: FindNameBuffer::address_field(found.address),
                    ..FindNameBuffer::default()
                }
                .to_bytes()
            })
            .collect();
        let records: Vec<&[u8]> = buffers.iter().map(<[u8; 33]>::as_slice).collect();
        structured(request, &header.to_bytes(), &records)
    }

    pub(crate) fn scoped(&self, name: [u8; 16]) -> ScopedName {
        ScopedName {
            name: NetbiosName::from_bytes(name),
            scope: self.config.name_service.scope.clone(),
        }
    }

    /// The address of the node called `callname`: a dotted IPv4 address written as the name
    /// (as Windows and Wine accept), else the name resolved on the LANA.
    pub(crate) async fn address_of(
        &self,
        state: &Arc<LanaState>,
        callname: &[u8; 16],
    ) -> Option<Ipv4Addr> {
        let text = String::from_utf8_lossy(callname);
        if let Ok(address) = text.trim_end_matches([' ', '\0']).parse::<Ipv4Addr>() {
            return Some(address);
        }
        let client = self.client(state).await.ok()?;
        let answer = client.resolve(&self.scoped(*callname)).await.ok()?;
        answer.addresses.first().map(|found| found.address)
    }

    /// The LANA's resolver: broadcasts on the LANA's broadcast address, asks the configured
    /// name servers, from the LANA's address.
    pub(crate) async fn client(
        &self,
        state: &Arc<LanaState>,
    ) -> io::Result<Arc<NameServiceClient>> {
        let client = state
            .client
            .get_or_try_init(|| async {
                tracing::debug!(lana = state.lana.number, "starting the LANA's resolver");
                let mut config = self.config.name_service.clone();
                config.broadcast_addresses = vec![SocketAddrV4::new(
                    state.lana.broadcast,
                    self.config.name_port,
                )];
                NameServiceClient::bind(config, SocketAddrV4::new(state.lana.address, 0))
                    .await
                    .map(Arc::new)
                    .inspect_err(|error| {
                        tracing::error!(lana = state.lana.number, "resolver cannot start: {error}");
                    })
            })
            .await?;
        Ok(Arc::clone(client))
    }

    /// The LANA's responder, started on first use: it answers on the LANA's address and
    /// hears its broadcasts, and registers by broadcast or with the first name server.
    pub(crate) async fn responder(&self, state: &Arc<LanaState>) -> io::Result<Arc<Responder>> {
        let responder = state
            .responder
            .get_or_try_init(|| async {
                let settings = &self.config.name_service;
                let port = self.config.name_port;
                let broadcast = SocketAddrV4::new(state.lana.broadcast, port);
                let (registrar, node_type) = Registrar::for_settings(settings);
                Responder::start(ResponderConfig {
                    registrar,
                    broadcasts: vec![broadcast],
                    scope: settings.scope.clone(),
                    node_type,
                    ttl: settings.registration_ttl,
                    mac: state.lana.mac,
                    capacity: usize::from(MAX_RESOURCES),
                    broadcast_bind: Some(broadcast),
                    ..ResponderConfig::new(state.lana.at(port), state.lana.address)
                })
                .await
                .map(Arc::new)
            })
            .await?;
        Ok(Arc::clone(responder))
    }
}

/// Takes every name off the LANA's table and releases it on the network (the permanent node
/// name was never registered).
async fn release_names(state: &Arc<LanaState>) {
    let released = state.tables().names.clear();
    if let Some(responder) = state.responder.get() {
        for name in released
            .iter()
            .filter(|name| name.number != crate::names::PERMANENT_NAME_NUMBER)
        {
            responder.release(NetbiosName::from_bytes(name.name)).await;
        }
    }
}

/// How long dropping an engine spends releasing its names at most.
const RELEASE_ON_DROP: Duration = Duration::from_secs(3);

impl Drop for Netbios {
    /// Hangs up the sessions and releases the names of every LANA, as a process's NetBIOS
    /// resources go when it ends on Windows.
    fn drop(&mut self) {
        let states: Vec<Arc<LanaState>> = lock(&self.engine.states).values().cloned().collect();
        if tokio::runtime::Handle::try_current().is_ok() {
            tracing::warn!(
                "a NetBIOS engine dropped inside an async task keeps its names registered"
            );
            return;
        }
        self.runtime.block_on(async {
            let release_all = async {
                for state in &states {
                    session_commands::hang_up_all(state).await;
                    release_names(state).await;
                }
            };
            if tokio::time::timeout(RELEASE_ON_DROP, release_all)
                .await
                .is_err()
            {
                tracing::warn!("releasing NetBIOS names took too long; some stay registered");
            }
        });
    }
}

/// NAME_BUFFER flags of a name in a node status answer.
fn remote_name_flags(flags: u16) -> u8 {
    let group = if flags & wire_flags::GROUP != 0 {
        name_flags::GROUP_NAME
    } else {
        name_flags::UNIQUE_NAME
    };
    let deregistering = flags & wire_flags::DEREGISTERING != 0;
    let conflict = flags & wire_flags::CONFLICT != 0;
    let state = match (conflict, deregistering) {
        (true, true) => name_flags::DUPLICATE_DEREG,
        (true, false) => name_flags::DUPLICATE,
        (false, true) => name_flags::DEREGISTERED,
        (false, false) => name_flags::REGISTERED,
    };
    group | state
}

/// NCBASTAT with `*`: our adapter and our names on it.
fn local_adapter_status(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    let (limits, names) = {
        let tables = state.tables();
        (tables.limits, tables.names.entries().to_vec())
    };
    let limits = limits.unwrap_or(Limits {
        sessions: DEFAULT_SESSIONS,
        commands: DEFAULT_COMMANDS,
        names: DEFAULT_NAMES,
    });
    let open_sessions = session_commands::open_sessions(state);
    let status = AdapterStatus {
        adapter_address: state.lana.mac,
        rev_major: 3,
        adapter_type: 0xFE,
        max_dgram_size: MAX_DATAGRAM,
        pending_sess: u16::from(open_sessions),
        max_cfg_sess: u16::from(limits.sessions),
        max_sess: u16::from(MAX_RESOURCES),
        max_cfg_ncbs: u16::from(limits.commands),
        max_ncbs: u16::from(MAX_RESOURCES),
        free_ncbs: u16::from(limits.commands),
        max_sess_pkt_size: u16::MAX,
        name_count: u16::try_from(names.len()).unwrap_or(u16::MAX),
        ..AdapterStatus::default()
    };
    let buffers: Vec<[u8; NameBuffer::SIZE]> = names
        .iter()
        .map(|name| {
            NameBuffer {
                name: name.name,
                name_num: name.number,
                name_flags: name.flags(),
            }
            .to_bytes()
        })
        .collect();
    let records: Vec<&[u8]> = buffers.iter().map(<[u8; 18]>::as_slice).collect();
    structured(request, &status.to_bytes(), &records)
}

/// NCBSSTAT: the sessions of the name in `ncb_name` (`*` for all names).
fn session_status(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
    if room(request) < SessionHeader::SIZE {
        return Outcome::code(nrc::NRC_BUFLEN);
    }
    let number = if request.name[0] == b'*' {
        0
    } else {
        match state.tables().names.find(&request.name) {
            Some(entry) => entry.number,
            None => return Outcome::code(nrc::NRC_NOWILD),
        }
    };
    let (header, sessions) = session_commands::session_buffers(state, &request.name);
    let header = SessionHeader {
        sess_name: number,
        ..header
    };
    let records: Vec<&[u8]> = sessions.iter().map(<[u8; 36]>::as_slice).collect();
    structured(request, &header.to_bytes(), &records)
}
