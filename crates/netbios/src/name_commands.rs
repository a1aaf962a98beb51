//! The name commands (NCBADDNAME, NCBADDGRNAME, NCBDELNAME, NCBFINDNAME) and NCBASTAT,
//! over the NetBIOS name service.

use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;

use wnet_nbt::config::Retransmit;
use wnet_nbt::name_service::responder::RegisterError;
use wnet_nbt::wire::NetbiosName;
use wnet_nbt::wire::node_status::name_flags as wire_flags;

use crate::lana::NetbiosConfig;
use crate::names::PERMANENT_NAME_NUMBER;
use crate::nb30::{AdapterStatus, FindNameBuffer, FindNameHeader, NameBuffer, name_flags, nrc};
use crate::ncb::Ncb;
use crate::outcome::{Outcome, room, structured};
use crate::session_commands;
use crate::state::{
    DEFAULT_COMMANDS, DEFAULT_NAMES, DEFAULT_SESSIONS, LanaState, Limits, MAX_RESOURCES, scoped,
};

/// The largest datagram NCBASTAT reports (RFC 1002's 576-byte datagram less its headers).
const MAX_DATAGRAM: u16 = 512;

/// NCBADDNAME / NCBADDGRNAME: registers the name on the network, then numbers it.
pub(crate) async fn add_name(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
    group: bool,
) -> Outcome {
    if let Err(code) = state.tables().names.check_add(&request.name) {
        return Outcome::from(code);
    }
    let responder = match state.responder(config).await {
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
            Outcome::from(code)
        }
    }
}

/// NCBDELNAME: releases the name; NRC_ACTSES (and deleted later) while sessions use it.
pub(crate) async fn delete_name(state: &Arc<LanaState>, request: &Ncb) -> Outcome {
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
    if let Some(responder) = state.started_responder() {
        responder
            .release(NetbiosName::from_bytes(request.name))
            .await;
    }
    Outcome::code(nrc::NRC_GOODRET)
}

/// NCBASTAT: our adapter (`callname` `*`) or a remote node's.
pub(crate) async fn adapter_status(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
) -> Outcome {
    if request.callname[0] == b'*' {
        return local_adapter_status(state, request);
    }
    let Some(address) = state.address_of(config, &request.callname).await else {
        return Outcome::code(nrc::NRC_CMDTMO);
    };
    let Ok(client) = state.client(config).await else {
        return Outcome::code(nrc::NRC_SYSTEM);
    };
    let target = SocketAddrV4::new(address, config.name_port);
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
pub(crate) async fn find_name(
    config: &NetbiosConfig,
    state: &Arc<LanaState>,
    request: &Ncb,
) -> Outcome {
    if room(request) < FindNameHeader::SIZE {
        return Outcome::code(nrc::NRC_BUFLEN);
    }
    if request.callname[0] == b'*' {
        return Outcome::code(nrc::NRC_NOWILD);
    }
    let Ok(client) = state.client(config).await else {
        return Outcome::code(nrc::NRC_SYSTEM);
    };
    let name = scoped(config, request.callname);
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

/// Takes every name off the LANA's table and releases it on the network (the permanent node
/// name was never registered).
pub(crate) async fn release_names(state: &Arc<LanaState>) {
    let released = state.tables().names.clear();
    if let Some(responder) = state.started_responder() {
        for name in released
            .iter()
            .filter(|name| name.number != PERMANENT_NAME_NUMBER)
        {
            responder.release(NetbiosName::from_bytes(name.name)).await;
        }
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
