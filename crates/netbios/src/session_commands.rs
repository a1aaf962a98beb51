//! The session commands (NCBCALL, NCBLISTEN, NCBSEND, NCBRECV, NCBHANGUP, …) over the
//! NetBIOS session service, and the LANA's session table.

use std::sync::Arc;

use crate::engine::LanaState;
use crate::nb30::{NCBNAMSZ, SessionBuffer, SessionHeader};

/// Sessions open on `name`.
pub(crate) fn sessions_of_name(_state: &Arc<LanaState>, _name: &[u8; NCBNAMSZ]) -> usize {
    0
}

/// Sessions open on the LANA.
pub(crate) fn open_sessions(_state: &Arc<LanaState>) -> u8 {
    0
}

/// NCBSSTAT's header and session records for `name` (`*` for all).
pub(crate) fn session_buffers(
    _state: &Arc<LanaState>,
    _name: &[u8; NCBNAMSZ],
) -> (SessionHeader, Vec<[u8; SessionBuffer::SIZE]>) {
    (SessionHeader::default(), Vec::new())
}

/// Hangs up every session of the LANA.
#[allow(clippy::unused_async)] // sessions land with the session service
pub(crate) async fn hang_up_all(_state: &Arc<LanaState>) {}
