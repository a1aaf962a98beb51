//! What a finished command writes back into its NCB, and the helpers that fill its buffer.

use crate::nb30::{Nrc, nrc, write_with_records};
use crate::ncb::Ncb;

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

    /// Writes the outcome into `ncb`.
    pub(crate) fn apply(self, ncb: &mut Ncb) {
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

impl From<Nrc> for Outcome {
    /// A command that failed with `nrc`.
    fn from(nrc: Nrc) -> Outcome {
        Outcome::code(nrc.0)
    }
}

/// The part of the NCB's buffer a command may fill (the request's `length` is already cut
/// to the buffer).
pub(crate) fn room(request: &Ncb) -> usize {
    usize::from(request.length)
}

/// Writes a fixed header and records into `request`'s buffer: NRC_BUFLEN when not even the
/// header fits, NRC_INCOMP when not every record does, the partial data either way.
pub(crate) fn structured(request: &Ncb, header: &[u8], records: &[&[u8]]) -> Outcome {
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
