//! `Netbios()`: runs NCB commands over the NBT engines, blocking or in the background.
//!
//! Each [`Netbios`] owns a small tokio runtime. A command is checked, marked pending and run
//! as a task; a blocking call waits for it, an ASYNCH call returns [`nrc::NRC_GOODRET`] at
//! once and the submitter polls `cmd_cplt` or waits on the [`SharedNcb`]. Every running
//! command is listed so that NCBCANCEL and NCBRESET can stop it.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::lana::{Lana, NetbiosConfig, adapters, renumber};
use crate::name_commands::{self, release_names};
use crate::names::LocalNames;
use crate::nb30::{Command, LanaEnum, Nrc, nrc};
use crate::ncb::{Data, Ncb, SharedNcb};
use crate::outcome::{Outcome, room};
use crate::state::{
    DEFAULT_COMMANDS, DEFAULT_NAMES, DEFAULT_SESSIONS, LanaState, Limits, MAX_RESOURCES,
};
use crate::sync::lock;
use crate::{datagram_commands, session_commands};

/// How long NCBCANCEL waits for the command it cancels to finish.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// A command in progress, for NCBCANCEL and NCBRESET.
#[derive(Debug, Clone)]
struct Running {
    ncb: SharedNcb,
    /// `None` for a code nb30.h does not define.
    command: Option<Command>,
    lana: u8,
}

/// The engine shared by the runtime's tasks.
pub(crate) struct Engine {
    config: NetbiosConfig,
    lanas: Mutex<Vec<Lana>>,
    states: Mutex<HashMap<u8, Arc<LanaState>>>,
    running: Mutex<Vec<Running>>,
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
        let (command, asynch) = Command::parse(ncb.lock().command);
        let sends_data = command.is_ok_and(Command::sends_data);
        let data = match (sends_data, asynch) {
            (false, _) => Data::None,
            (true, true) => Data::Copy,
            (true, false) => Data::Borrow,
        };
        let request = ncb.request(data);
        if ncb.is_pending() {
            // Windows refuses an NCB that is still in use.
            return nrc::NRC_TOOMANY;
        }
        match command {
            Ok(Command::Enumerate) => {
                let outcome = self.engine.enumerate(&request);
                return finish(ncb, outcome);
            }
            Ok(Command::Cancel) => {
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
            command: command.ok(),
            lana: request.lana_num,
        });
        let engine = Arc::clone(&self.engine);
        let task_ncb = ncb.clone();
        let task = async move {
            let mut outcome = tokio::select! {
                biased;
                outcome = engine.execute(&state, command, &request) => outcome,
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

    /// Runs a command on a LANA; NCBENUM and NCBCANCEL were answered by `submit`.
    async fn execute(
        &self,
        state: &Arc<LanaState>,
        command: Result<Command, Nrc>,
        request: &Ncb,
    ) -> Outcome {
        let command = match command {
            Ok(Command::Reset) => return self.reset(state, request).await,
            // Windows NT answers these so: tracing and LAN alerts are not supported, an
            // action is not defined for NetBT, unlink is a no-op.
            Ok(Command::Trace | Command::LanStatusAlert | Command::Action) => {
                return Outcome::code(nrc::NRC_ILLCMD);
            }
            Ok(Command::Unlink) => return Outcome::code(nrc::NRC_GOODRET),
            _ if state.tables().limits.is_none() => {
                return Outcome::code(nrc::NRC_ENVNOTDEF);
            }
            Err(code) => return Outcome::from(code),
            Ok(command) => command,
        };
        let config = &self.config;
        match command {
            Command::AddName => name_commands::add_name(config, state, request, false).await,
            Command::AddGroupName => name_commands::add_name(config, state, request, true).await,
            Command::DeleteName => name_commands::delete_name(state, request).await,
            Command::AdapterStatus => name_commands::adapter_status(config, state, request).await,
            Command::SessionStatus => session_commands::session_status(state, request),
            Command::FindName => name_commands::find_name(config, state, request).await,
            Command::Call => session_commands::call(config, state, request).await,
            Command::Listen => session_commands::listen(config, state, request).await,
            Command::Hangup => session_commands::hang_up(state, request).await,
            Command::Send | Command::SendNoAck => {
                session_commands::send(state, request, false).await
            }
            Command::ChainSend | Command::ChainSendNoAck => {
                session_commands::send(state, request, true).await
            }
            Command::Receive => session_commands::receive(state, request).await,
            Command::ReceiveAny => session_commands::receive_any(state, request).await,
            Command::DatagramSend => {
                datagram_commands::send_datagram(config, state, request, false).await
            }
            Command::DatagramSendBroadcast => {
                datagram_commands::send_datagram(config, state, request, true).await
            }
            Command::DatagramReceive => {
                datagram_commands::receive_datagram(config, state, request, false).await
            }
            Command::DatagramReceiveBroadcast => {
                datagram_commands::receive_datagram(config, state, request, true).await
            }
            // Answered above, or by `submit` before the command reaches a LANA.
            Command::Reset
            | Command::Trace
            | Command::LanStatusAlert
            | Command::Action
            | Command::Unlink
            | Command::Enumerate
            | Command::Cancel => Outcome::code(nrc::NRC_ILLCMD),
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
            Some(
                Command::AddName
                    | Command::AddGroupName
                    | Command::DeleteName
                    | Command::Reset
                    | Command::SessionStatus
                    | Command::Cancel
            )
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
                running.lana == state.lana.number && running.command != Some(Command::Reset)
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
