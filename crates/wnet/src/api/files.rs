//! Files of a share straight over the agent's session, without a mount: the blocking client
//! of a file channel ([`crate::file_channel`]), for the direct file API and for UNC paths
//! where FUSE cannot serve them. Reads are split into pieces the server takes and sent
//! together (read ahead); writes are sent without waiting for their answers, a bounded
//! number at a time (written behind), and their failures reported by the next call on the
//! channel, as a failed write behind is reported by the next call on a file.

use std::collections::{HashMap, HashSet};
use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;

use crate::agent_client::AgentClient;
use crate::api::paths::{NetPath, classify};
use crate::api::{connections, resolve_credentials};
use crate::error::{Cause, WinError, codes};
use crate::file_channel::{
    FileInfo, FileReply, FileRequest, MAX_DATA, OpenMode, frame_length, reply_start,
    write_and_close_header, write_header,
};
use crate::unc::UncName;

/// The most one read or write of a channel asks of the server: larger pieces, up to the
/// server's 8 MiB, were slower on the lab (fewer of them overlap).
const PIECE: usize = 1 << 20;

/// The most one [`FileChannel::read`] call reads (the buffer for it is made at once).
pub const MAX_READ_CALL: usize = 1 << 30;

/// How many requests a channel has under way at most (reads ahead, writes behind).
const WINDOW: usize = 16;

/// The most pieces a sequential read sends ahead of its caller, for the next call.
const AHEAD_PIECES: usize = 8;

/// A share and a path in it, from a UNC or drive-letter path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePath {
    /// `\\server\share`.
    pub share: UncName,
    /// The path below it, components joined by `\` (empty for the share's root).
    pub path: String,
}

/// The share and path a UNC path (`\\server\share\…`, `//server/share/…`) or a redirected
/// drive's path (`X:\…`) names: ERROR_BAD_NETPATH for a local path or a malformed UNC one,
/// ERROR_PATH_NOT_FOUND for a drive letter that is not redirected, ERROR_INVALID_NAME for a
/// name Windows refuses.
pub fn share_path(path: &str) -> Result<SharePath, WinError> {
    let not_network = || {
        WinError::with_cause(
            codes::ERROR_BAD_NETPATH,
            Cause::LocalPath(format!("{path} is not a network path")),
        )
    };
    match classify(path)? {
        NetPath::Local => Err(not_network()),
        NetPath::Unc { share, rest, .. } => Ok(SharePath {
            share,
            path: rest.join("\\"),
        }),
        NetPath::Drive { letter, rest, .. } => {
            let remote = connections()
                .ok()
                .and_then(|table| {
                    table
                        .into_iter()
                        .find(|entry| entry.has_local_name(&letter))
                        .map(|entry| entry.remote_name)
                })
                .ok_or_else(|| {
                    WinError::with_cause(
                        codes::ERROR_PATH_NOT_FOUND,
                        Cause::LocalPath(format!("{letter} is not redirected")),
                    )
                })?;
            let mut parts = remote.path.clone();
            parts.extend(rest);
            Ok(SharePath {
                share: UncName {
                    server: remote.server,
                    share: remote.share,
                    path: Vec::new(),
                },
                path: parts.join("\\"),
            })
        }
    }
}

/// A file channel: one share's files, over a connection to the agent.
#[derive(Debug)]
pub struct FileChannel {
    stream: UnixStream,
    max_read: u32,
    max_write: u32,
    next_id: u32,
    /// Requests sent whose replies have not been read.
    pending: usize,
    /// Replies read before they were asked for, by request number.
    arrived: HashMap<u32, FileReply>,
    /// Writes sent behind and not yet answered (their numbers).
    behind: Vec<u32>,
    /// The first failure of a write behind, reported by the next call.
    failed_behind: Option<WinError>,
    /// Reads sent for what a sequential reader asks next.
    ahead: Option<ReadAhead>,
    /// Requests whose replies are dropped when they come (reads ahead no one wants now).
    discarded: HashSet<u32>,
    /// The path (lower-cased) each open file was opened by.
    paths: HashMap<u64, String>,
}

/// One [`FileChannel::read`] under way.
struct PieceReads {
    /// Its pieces sent and not answered: where each one's data goes, and its length.
    under_way: HashMap<u32, (usize, usize)>,
    /// Where its data ends: the length asked, or less once the file's end is seen.
    end: usize,
    /// How far its pieces are sent (or taken from those sent ahead).
    sent: usize,
    /// The first failure of a piece, reported once the others are in.
    failure: Option<WinError>,
}

/// Reads sent ahead of a sequential reader: the pieces of `handle` from `start` on, each
/// `(request number, offset, length)`, in order and back to back.
#[derive(Debug)]
struct ReadAhead {
    handle: u64,
    start: u64,
    pieces: Vec<(u32, u64, usize)>,
}

/// The error a failed reply stands for.
fn reply_error(code: u32, ntstatus: u32, message: String) -> WinError {
    if ntstatus != 0 {
        WinError::with_cause(code, Cause::NtStatus(ntstatus))
    } else {
        WinError::with_cause(code, Cause::Other(message))
    }
}

/// A reply as the outcome of its request: a failure is its error.
fn reply_result(reply: FileReply) -> Result<FileReply, WinError> {
    match reply {
        FileReply::Failed {
            code,
            ntstatus,
            message,
        } => Err(reply_error(code, ntstatus, message)),
        reply => Ok(reply),
    }
}

fn lost(error: impl std::fmt::Display) -> WinError {
    WinError::with_cause(
        codes::ERROR_NETNAME_DELETED,
        Cause::Agent(format!("lost the wnet agent's file channel: {error}")),
    )
}

fn unexpected(reply: &FileReply) -> WinError {
    WinError::with_cause(
        codes::ERROR_UNEXP_NET_ERR,
        Cause::Agent(format!("unexpected file channel reply {reply:?}")),
    )
}

impl FileChannel {
    /// Opens a channel to `share`'s files, connecting it implicitly (with the default
    /// credentials, or over the session the agent holds with the server) if it is not
    /// connected.
    pub fn open(share: &UncName) -> Result<FileChannel, WinError> {
        let credentials = resolve_credentials(&share.server, None, None)?;
        let share = UncName {
            server: share.server.clone(),
            share: share.share.clone(),
            path: Vec::new(),
        };
        let (stream, max_read, max_write) =
            AgentClient::connect()?.into_file_channel(share, credentials)?;
        // A file request may take as long as the server does; the agent's own timeouts bound
        // each one.
        let _ = stream.set_read_timeout(None);
        Ok(FileChannel {
            stream,
            max_read: max_read.clamp(4096, MAX_DATA),
            max_write: max_write.clamp(4096, MAX_DATA),
            next_id: 0,
            pending: 0,
            arrived: HashMap::new(),
            behind: Vec::new(),
            failed_behind: None,
            ahead: None,
            discarded: HashSet::new(),
            paths: HashMap::new(),
        })
    }

    /// The most one read asks of the server.
    pub fn max_read(&self) -> u32 {
        self.max_read
    }

    fn send(&mut self, request: &FileRequest) -> Result<u32, WinError> {
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        self.stream.write_all(&request.encode(id)).map_err(lost)?;
        self.pending += 1;
        Ok(id)
    }

    /// Reads one reply frame, whichever request it answers.
    fn read_reply(&mut self) -> Result<(u32, FileReply), WinError> {
        let (frame, start) = self.read_reply_start()?;
        self.read_reply_rest(frame, start)
    }

    /// Reads the start of the next reply frame: its length (what follows the prefix) and its
    /// first five bytes (request number and kind, see [`reply_start`]).
    fn read_reply_start(&mut self) -> Result<(usize, [u8; 5]), WinError> {
        let mut prefix = [0u8; 4];
        self.stream.read_exact(&mut prefix).map_err(lost)?;
        let frame = frame_length(prefix).map_err(lost)?;
        let mut start = [0u8; 5];
        if frame < start.len() {
            return Err(lost("a frame shorter than its header"));
        }
        self.stream.read_exact(&mut start).map_err(lost)?;
        Ok((frame, start))
    }

    /// Reads the rest of a reply frame of `frame` bytes whose `start` was read, and decodes it.
    fn read_reply_rest(
        &mut self,
        frame: usize,
        start: [u8; 5],
    ) -> Result<(u32, FileReply), WinError> {
        let mut body = vec![0u8; frame];
        body[..start.len()].copy_from_slice(&start);
        self.stream
            .read_exact(&mut body[start.len()..])
            .map_err(lost)?;
        let (id, reply) = FileReply::decode(&body).map_err(lost)?;
        self.pending = self.pending.saturating_sub(1);
        Ok((id, reply))
    }

    /// Files a reply that arrived: a write behind's is checked and dropped, a discarded
    /// read's dropped.
    fn file_reply(&mut self, id: u32, reply: FileReply) {
        if self.discarded.remove(&id) {
            return;
        }
        if let Some(at) = self.behind.iter().position(|&behind| behind == id) {
            self.behind.swap_remove(at);
            if let Err(error) = reply_result(reply) {
                self.failed_behind.get_or_insert(error);
            }
            return;
        }
        self.arrived.insert(id, reply);
    }

    /// Waits for the reply to request `id`.
    fn wait(&mut self, id: u32) -> Result<FileReply, WinError> {
        loop {
            if let Some(reply) = self.arrived.remove(&id) {
                return reply_result(reply);
            }
            let (got, reply) = self.read_reply()?;
            self.file_reply(got, reply);
        }
    }

    /// Reads replies until at most `room` requests are under way.
    fn make_room(&mut self, room: usize) -> Result<(), WinError> {
        while self.pending > room {
            let (id, reply) = self.read_reply()?;
            self.file_reply(id, reply);
        }
        Ok(())
    }

    /// The failure of a write behind, if one failed since the last call.
    fn check_behind(&mut self) -> Result<(), WinError> {
        match self.failed_behind.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Sends `request` and waits for its answer (after reporting a failed write behind).
    fn call(&mut self, request: &FileRequest) -> Result<FileReply, WinError> {
        self.check_behind()?;
        let id = self.send(request)?;
        self.wait(id)
    }

    /// Waits for every write behind: the first failure among them, if any.
    pub fn settle(&mut self) -> Result<(), WinError> {
        while !self.behind.is_empty() {
            let (id, reply) = self.read_reply()?;
            self.file_reply(id, reply);
        }
        self.check_behind()
    }

    /// Opens `path` in the share.
    pub fn open_file(&mut self, path: &str, mode: OpenMode) -> Result<(u64, FileInfo), WinError> {
        match self.call(&FileRequest::Open {
            path: path.to_owned(),
            mode,
        })? {
            FileReply::Opened { handle, info } => {
                self.paths.insert(handle, path.to_lowercase());
                Ok((handle, info))
            }
            other => Err(unexpected(&other)),
        }
    }

    /// Drops the reads sent ahead (their replies are dropped as they come), if any are of
    /// `handle` (of any file, for `None`).
    fn forget_ahead(&mut self, handle: Option<u64>) {
        if let Some(ahead) = self
            .ahead
            .take_if(|ahead| handle.is_none_or(|h| h == ahead.handle))
        {
            for (id, _, _) in ahead.pieces {
                if self.arrived.remove(&id).is_none() {
                    self.discarded.insert(id);
                }
            }
        }
    }

    /// Drops the reads sent ahead if they are of the file `handle` is open on (through this
    /// handle or another): a write to it makes them stale.
    fn forget_ahead_of_file(&mut self, handle: u64) {
        let same_file = self.ahead.as_ref().is_some_and(|ahead| {
            ahead.handle == handle
                || self
                    .paths
                    .get(&ahead.handle)
                    .is_some_and(|path| self.paths.get(&handle) == Some(path))
        });
        if same_file {
            self.forget_ahead(None);
        }
    }

    /// Sends reads of `handle` for `length` bytes from `start` on (at most [`AHEAD_PIECES`]
    /// pieces, within the window), for the caller's next sequential read.
    fn send_ahead(&mut self, handle: u64, start: u64, length: usize) -> Result<(), WinError> {
        let piece = (self.max_read as usize).min(PIECE);
        let room = WINDOW.saturating_sub(self.pending).min(AHEAD_PIECES);
        let mut pieces = Vec::new();
        let mut at = 0usize;
        while at < length && pieces.len() < room {
            let count = piece.min(length - at);
            let offset = start + at as u64;
            let id = self.send(&FileRequest::Read {
                handle,
                offset,
                length: u32::try_from(count).unwrap_or(u32::MAX),
            })?;
            pieces.push((id, offset, count));
            at += count;
        }
        if !pieces.is_empty() {
            self.ahead = Some(ReadAhead {
                handle,
                start,
                pieces,
            });
        }
        Ok(())
    }

    /// Takes for `read` the pieces sent ahead that lie wholly inside it (it begins where they
    /// do): their data, if it came already, goes to its place in `data`, the others are
    /// waited for with the read's own. The pieces after it stay ahead.
    fn take_ahead(&mut self, handle: u64, offset: u64, data: &mut [u8], read: &mut PieceReads) {
        let Some(mut ahead) = self
            .ahead
            .take_if(|ahead| ahead.handle == handle && ahead.start == offset)
        else {
            return;
        };
        let read_end = offset + data.len() as u64;
        let inside = ahead
            .pieces
            .iter()
            .take_while(|&&(_, piece_offset, count)| piece_offset + count as u64 <= read_end)
            .count();
        let rest = ahead.pieces.split_off(inside);
        for (id, piece_offset, count) in ahead.pieces {
            let place = usize::try_from(piece_offset - offset).unwrap_or(usize::MAX);
            match self.arrived.remove(&id).map(reply_result) {
                Some(Ok(FileReply::Data(bytes))) if bytes.len() <= count => {
                    data[place..place + bytes.len()].copy_from_slice(&bytes);
                    if bytes.len() < count {
                        read.end = read.end.min(place + bytes.len());
                    }
                }
                Some(Ok(other)) => {
                    read.failure.get_or_insert(unexpected(&other));
                }
                Some(Err(error)) => {
                    read.failure.get_or_insert(error);
                }
                None => {
                    read.under_way.insert(id, (place, count));
                }
            }
            read.sent = place + count;
        }
        if let Some(&(_, next, _)) = rest.first() {
            self.ahead = Some(ReadAhead {
                handle,
                start: next,
                pieces: rest,
            });
        }
    }

    /// Reads up to `length` bytes (at most [`MAX_READ_CALL`]) at `offset`, in pieces sent
    /// together; fewer at the end of the file. Each piece's data is read from the socket
    /// straight to its place. A read that goes on where the last one ended takes the pieces
    /// that one sent ahead, and sends the next ones ahead in its turn, so that a sequential
    /// reader always has reads under way while it uses what it got.
    pub fn read(&mut self, handle: u64, offset: u64, length: usize) -> Result<Vec<u8>, WinError> {
        // Zeroed lazily by the allocator: only the pages the data reaches are touched.
        let mut data = vec![0u8; length.min(MAX_READ_CALL)];
        let count = self.read_into(handle, offset, &mut data)?;
        data.truncate(count);
        Ok(data)
    }

    /// As [`FileChannel::read`], into `data` (at most [`MAX_READ_CALL`] bytes of it): how many
    /// bytes were read, fewer than `data` holds at the end of the file. For a caller that has
    /// the place for the data already (a Python `bytes` being made), so that it is written
    /// once, where it stays.
    pub fn read_into(
        &mut self,
        handle: u64,
        offset: u64,
        data: &mut [u8],
    ) -> Result<usize, WinError> {
        self.check_behind()?;
        let length = data.len().min(MAX_READ_CALL);
        let data = &mut data[..length];
        let piece = (self.max_read as usize).min(PIECE);
        let mut read = PieceReads {
            under_way: HashMap::new(),
            end: length,
            sent: 0,
            failure: None,
        };
        self.take_ahead(handle, offset, data, &mut read);
        // Reads ahead of this file but of another place are not wanted now.
        if self
            .ahead
            .as_ref()
            .is_some_and(|ahead| ahead.handle == handle && ahead.start < offset + length as u64)
        {
            self.forget_ahead(Some(handle));
        }
        loop {
            while read.failure.is_none() && read.sent < read.end && read.under_way.len() < WINDOW {
                let count = piece.min(read.end - read.sent);
                let id = self.send(&FileRequest::Read {
                    handle,
                    offset: offset + read.sent as u64,
                    length: u32::try_from(count).unwrap_or(u32::MAX),
                })?;
                read.under_way.insert(id, (read.sent, count));
                read.sent += count;
            }
            if read.under_way.is_empty() {
                break;
            }
            self.read_piece(data, &mut read)?;
        }
        if let Some(error) = read.failure {
            self.forget_ahead(Some(handle));
            return Err(error);
        }
        if read.end < length {
            // The end of the file: nothing to read ahead.
            self.forget_ahead(Some(handle));
        } else if self.ahead.is_none() && length >= piece {
            self.send_ahead(handle, offset + length as u64, length)?;
        }
        Ok(read.end)
    }

    /// Reads the next reply: a piece of `read` straight to its place in `data`, else filed.
    fn read_piece(&mut self, data: &mut [u8], read: &mut PieceReads) -> Result<(), WinError> {
        let (frame, start) = self.read_reply_start()?;
        let (id, is_data) = reply_start(start);
        match read.under_way.get(&id).copied() {
            Some((place, asked)) if is_data => {
                let mut count = [0u8; 4];
                self.stream.read_exact(&mut count).map_err(lost)?;
                let count = u32::from_le_bytes(count) as usize;
                if count > asked || frame != 9 + count {
                    return Err(lost(format!(
                        "a read of {asked} bytes answered with {count} in a frame of {frame}"
                    )));
                }
                self.stream
                    .read_exact(&mut data[place..place + count])
                    .map_err(lost)?;
                read.under_way.remove(&id);
                self.pending = self.pending.saturating_sub(1);
                if count < asked {
                    // The end of the file: nothing after it is asked for.
                    read.end = read.end.min(place + count);
                }
            }
            _ => {
                let (id, reply) = self.read_reply_rest(frame, start)?;
                if read.under_way.remove(&id).is_some() {
                    // A read that failed (or was answered with something else): the others
                    // under way are read before the failure is reported.
                    let error = match reply_result(reply) {
                        Err(error) => error,
                        Ok(other) => unexpected(&other),
                    };
                    read.failure.get_or_insert(error);
                } else {
                    self.file_reply(id, reply);
                }
            }
        }
        Ok(())
    }

    /// Writes `data` at `offset` behind: sent now in pieces, answered later (see
    /// [`FileChannel::settle`]).
    pub fn write_behind(&mut self, handle: u64, offset: u64, data: &[u8]) -> Result<(), WinError> {
        self.check_behind()?;
        self.forget_ahead_of_file(handle);
        let piece = (self.max_write as usize).min(PIECE);
        for (index, chunk) in data.chunks(piece).enumerate() {
            let at = offset + (index * piece) as u64;
            let id = self.send_data(write_header, handle, at, chunk)?;
            self.behind.push(id);
        }
        Ok(())
    }

    /// Sends a request carrying `chunk` for `handle` at `offset` (its header made by
    /// `header`, then the data from where it lies), once the window has room: its number.
    fn send_data(
        &mut self,
        header: fn(u32, u64, u64, u32) -> [u8; 29],
        handle: u64,
        offset: u64,
        chunk: &[u8],
    ) -> Result<u32, WinError> {
        self.make_room(WINDOW - 1)?;
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        let length = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
        self.stream
            .write_all(&header(id, handle, offset, length))
            .map_err(lost)?;
        self.stream.write_all(chunk).map_err(lost)?;
        self.pending += 1;
        Ok(id)
    }

    /// Writes `data` at `offset` and closes the file: the last piece and the close go to the
    /// server together (one round trip where a write and a close take two), the pieces before
    /// it behind; then everything is waited for. The file is closed even when a write fails.
    pub fn write_and_close(
        &mut self,
        handle: u64,
        offset: u64,
        data: &[u8],
    ) -> Result<(), WinError> {
        self.forget_ahead_of_file(handle);
        self.paths.remove(&handle);
        let piece = (self.max_write as usize).min(PIECE);
        let last_start = data.len().saturating_sub(1) / piece * piece;
        let (before, last) = data.split_at(last_start);
        let sent_before = self.write_behind(handle, offset, before);
        if sent_before.is_err() {
            // The file is still closed; the first failure is the one reported.
            let closed = self.close_file(handle);
            return sent_before.and(closed);
        }
        let at = offset + last_start as u64;
        let id = self.send_data(write_and_close_header, handle, at, last)?;
        let settled = self.settle();
        let closed = self.wait(id).map(|_| ());
        settled.and(closed)
    }

    /// Closes the file: sent at once (the agent closes it after the writes sent before),
    /// then the writes behind and the close are waited for.
    pub fn close_file(&mut self, handle: u64) -> Result<(), WinError> {
        self.forget_ahead(Some(handle));
        self.paths.remove(&handle);
        let id = self.send(&FileRequest::Close { handle })?;
        let settled = self.settle();
        let closed = self.wait(id).map(|_| ());
        settled.and(closed)
    }

    /// Flushes the file to the server's disk after its writes behind are answered.
    pub fn flush(&mut self, handle: u64) -> Result<(), WinError> {
        self.settle()?;
        self.call(&FileRequest::Flush { handle }).map(|_| ())
    }

    /// Sets the file's size (after its writes behind).
    pub fn set_size(&mut self, handle: u64, size: u64) -> Result<(), WinError> {
        self.forget_ahead_of_file(handle);
        self.settle()?;
        self.call(&FileRequest::SetSize { handle, size })
            .map(|_| ())
    }

    /// The open file's attributes (after its writes behind).
    pub fn query(&mut self, handle: u64) -> Result<FileInfo, WinError> {
        self.settle()?;
        match self.call(&FileRequest::Query { handle })? {
            FileReply::Info(info) => Ok(info),
            other => Err(unexpected(&other)),
        }
    }

    /// `path`'s attributes.
    pub fn stat(&mut self, path: &str) -> Result<FileInfo, WinError> {
        match self.call(&FileRequest::Stat {
            path: path.to_owned(),
        })? {
            FileReply::Info(info) => Ok(info),
            other => Err(unexpected(&other)),
        }
    }

    /// The directory `path`'s entries (without `.` and `..`).
    pub fn list(&mut self, path: &str) -> Result<Vec<(String, FileInfo)>, WinError> {
        match self.call(&FileRequest::List {
            path: path.to_owned(),
        })? {
            FileReply::Listing(entries) => Ok(entries),
            other => Err(unexpected(&other)),
        }
    }

    /// Renames `from` to `to` in the share, replacing an existing `to` if `replace`.
    pub fn rename(&mut self, from: &str, to: &str, replace: bool) -> Result<(), WinError> {
        self.call(&FileRequest::Rename {
            from: from.to_owned(),
            to: to.to_owned(),
            replace,
        })
        .map(|_| ())
    }

    /// Deletes the file, or with `directory` the empty directory, `path`.
    pub fn delete(&mut self, path: &str, directory: bool) -> Result<(), WinError> {
        self.call(&FileRequest::Delete {
            path: path.to_owned(),
            directory,
        })
        .map(|_| ())
    }

    /// Makes the directory `path`.
    pub fn make_directory(&mut self, path: &str) -> Result<(), WinError> {
        self.call(&FileRequest::MakeDirectory {
            path: path.to_owned(),
        })
        .map(|_| ())
    }
}
