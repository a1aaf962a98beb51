//! The file channel: a connection to the agent turned over to the files of one share, for the
//! direct file API (`wnet.open_file`, `wnet.listdir`…) and for UNC paths where no FUSE mount
//! can serve them. A client asks for it with the agent protocol's `Request::FileChannel` on a
//! fresh connection; once the agent has answered that JSON line with `Response::FileChannel`,
//! both sides speak the binary frames of this module on it until the client closes it, and
//! the agent closes the files the client left open.
//!
//! A frame is a little-endian `u32` length (of what follows it), a `u32` request number and
//! a one-byte kind, then the kind's fields. A client may send many requests before reading
//! the replies (reads ahead and writes behind are pipelined so), and replies may come in
//! any order: each carries its request's number. Strings are a `u16` byte length and UTF-8;
//! paths are relative to the share, components joined by `\`.
//!
//! This module only encodes and decodes (no I/O): every frame from the other side is checked
//! here, and a malformed one is a [`FrameError`], never a panic.

use wnet_smb2::wire::FileAttributes;

/// The most data one read or write carries (the client splits larger ones).
pub const MAX_DATA: u32 = 8 << 20;

/// The longest frame either side accepts: the most data and room for the fields beside it.
pub const MAX_FRAME: usize = MAX_DATA as usize + 4096;

/// The most entries one listing reply carries (a larger directory is refused as too large
/// for one reply rather than cut short).
pub const MAX_LISTING: usize = 1 << 20;

/// A frame that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame ends before its fields do.
    #[error("truncated file channel frame")]
    Truncated,
    /// The frame is longer than [`MAX_FRAME`] (or than its fields).
    #[error("file channel frame of {0} bytes is too long")]
    TooLong(usize),
    /// An unknown kind of request or reply.
    #[error("unknown file channel frame kind {0}")]
    UnknownKind(u8),
    /// A string that is not UTF-8.
    #[error("file channel string is not UTF-8")]
    NotUtf8,
}

/// What is known of a file: its size, times and attributes (as SMB2 gives them).
pub type FileInfo = FileAttributes;

/// How a file is opened: SMB2 CREATE's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenMode {
    /// DesiredAccess.
    pub access: u32,
    /// ShareAccess.
    pub share_access: u32,
    /// CreateDisposition.
    pub disposition: u32,
    /// CreateOptions.
    pub options: u32,
    /// FileAttributes for a new file.
    pub attributes: u32,
}

/// A request, from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRequest {
    /// Opens (or creates) `path`: [`FileReply::Opened`].
    Open {
        /// The path in the share.
        path: String,
        /// How.
        mode: OpenMode,
    },
    /// Reads up to `length` bytes at `offset`: [`FileReply::Data`] (empty at the end).
    Read {
        /// The open file.
        handle: u64,
        /// Where.
        offset: u64,
        /// How much, at most [`MAX_DATA`].
        length: u32,
    },
    /// Writes `data` at `offset`: [`FileReply::Written`].
    Write {
        /// The open file.
        handle: u64,
        /// Where.
        offset: u64,
        /// What.
        data: Vec<u8>,
    },
    /// Writes `data` at `offset`, then closes the file (one round trip to the server):
    /// [`FileReply::Written`]. The file is closed whether or not the write succeeds.
    WriteAndClose {
        /// The open file.
        handle: u64,
        /// Where.
        offset: u64,
        /// What.
        data: Vec<u8>,
    },
    /// Closes the file: [`FileReply::Done`].
    Close {
        /// The open file.
        handle: u64,
    },
    /// Flushes the file to the server's disk: [`FileReply::Done`].
    Flush {
        /// The open file.
        handle: u64,
    },
    /// Sets the file's size: [`FileReply::Done`].
    SetSize {
        /// The open file.
        handle: u64,
        /// The new size.
        size: u64,
    },
    /// The open file's attributes: [`FileReply::Info`].
    Query {
        /// The open file.
        handle: u64,
    },
    /// `path`'s attributes: [`FileReply::Info`].
    Stat {
        /// The path in the share.
        path: String,
    },
    /// The directory `path`'s entries, without `.` and `..`: [`FileReply::Listing`].
    List {
        /// The path in the share.
        path: String,
    },
    /// Renames `from` to `to`, replacing `to` if `replace`: [`FileReply::Done`].
    Rename {
        /// The path in the share.
        from: String,
        /// The new path in the share.
        to: String,
        /// Whether an existing `to` is replaced.
        replace: bool,
    },
    /// Deletes the file (or, with `directory`, the empty directory) `path`:
    /// [`FileReply::Done`].
    Delete {
        /// The path in the share.
        path: String,
        /// Whether it is a directory.
        directory: bool,
    },
    /// Makes the directory `path`: [`FileReply::Done`].
    MakeDirectory {
        /// The path in the share.
        path: String,
    },
}

/// A reply, from the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileReply {
    /// The file is open as `handle`.
    Opened {
        /// The handle for later requests.
        handle: u64,
        /// Its attributes when opened.
        info: FileInfo,
    },
    /// Bytes read.
    Data(Vec<u8>),
    /// How many bytes were written.
    Written(u32),
    /// Done.
    Done,
    /// A file's attributes.
    Info(FileInfo),
    /// A directory's entries: name and attributes.
    Listing(Vec<(String, FileInfo)>),
    /// The request failed with a Win32 error code, the NTSTATUS behind it (0 if none) and
    /// a sentence on the cause.
    Failed {
        /// The Win32 error code.
        code: u32,
        /// The NTSTATUS the server gave, or 0.
        ntstatus: u32,
        /// Why.
        message: String,
    },
}

mod kind {
    pub(super) const OPEN: u8 = 1;
    pub(super) const READ: u8 = 2;
    pub(super) const WRITE: u8 = 3;
    pub(super) const CLOSE: u8 = 4;
    pub(super) const FLUSH: u8 = 5;
    pub(super) const SET_SIZE: u8 = 6;
    pub(super) const QUERY: u8 = 7;
    pub(super) const STAT: u8 = 8;
    pub(super) const LIST: u8 = 9;
    pub(super) const RENAME: u8 = 10;
    pub(super) const DELETE: u8 = 11;
    pub(super) const MAKE_DIRECTORY: u8 = 12;
    pub(super) const WRITE_AND_CLOSE: u8 = 13;

    pub(super) const OPENED: u8 = 128;
    pub(super) const DATA: u8 = 129;
    pub(super) const WRITTEN: u8 = 130;
    pub(super) const DONE: u8 = 131;
    pub(super) const INFO: u8 = 132;
    pub(super) const LISTING: u8 = 133;
    pub(super) const FAILED: u8 = 134;
}

/// The length of the frame whose first four bytes are `prefix` (what follows them), checked
/// against [`MAX_FRAME`].
pub fn frame_length(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let length = u32::from_le_bytes(prefix) as usize;
    if length > MAX_FRAME {
        return Err(FrameError::TooLong(length));
    }
    Ok(length)
}

/// The first bytes of the frame of a [`FileReply::Data`] reply to request `id` carrying
/// `length` bytes, which follow them: for a sender that writes the data from where it lies
/// rather than copying it into a frame.
pub fn data_header(id: u32, length: u32) -> [u8; 13] {
    let mut header = [0u8; 13];
    let frame_length = length.saturating_add(9);
    header[..4].copy_from_slice(&frame_length.to_le_bytes());
    header[4..8].copy_from_slice(&id.to_le_bytes());
    header[8] = kind::DATA;
    header[9..].copy_from_slice(&length.to_le_bytes());
    header
}

/// The first bytes of the frame of a [`FileRequest::Write`] request `id` of `length` bytes
/// at `offset` of `handle`, which follow them: for a sender that writes the data from where
/// it lies rather than copying it into a frame.
pub fn write_header(id: u32, handle: u64, offset: u64, length: u32) -> [u8; 29] {
    data_request_header(kind::WRITE, id, handle, offset, length)
}

/// As [`write_header`], for a [`FileRequest::WriteAndClose`].
pub fn write_and_close_header(id: u32, handle: u64, offset: u64, length: u32) -> [u8; 29] {
    data_request_header(kind::WRITE_AND_CLOSE, id, handle, offset, length)
}

/// The first bytes of a request of `kind` carrying `length` bytes of data for `handle` at
/// `offset`.
fn data_request_header(kind: u8, id: u32, handle: u64, offset: u64, length: u32) -> [u8; 29] {
    let mut header = [0u8; 29];
    header[..4].copy_from_slice(&length.saturating_add(25).to_le_bytes());
    header[4..8].copy_from_slice(&id.to_le_bytes());
    header[8] = kind;
    header[9..17].copy_from_slice(&handle.to_le_bytes());
    header[17..25].copy_from_slice(&offset.to_le_bytes());
    header[25..].copy_from_slice(&length.to_le_bytes());
    header
}

/// What the frame whose first five bytes after its length prefix are `start` is: its request
/// number, and whether it is a [`FileReply::Data`] reply (whose data length, a `u32`, comes
/// next, then the data): for a receiver that reads the data straight to where it belongs.
pub fn reply_start(start: [u8; 5]) -> (u32, bool) {
    let id = u32::from_le_bytes([start[0], start[1], start[2], start[3]]);
    (id, start[4] == kind::DATA)
}

/// Builds a frame: the length prefix, `id`, `kind` and the fields `body` writes.
fn frame(id: u32, kind: u8, body: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut writer = Writer(Vec::with_capacity(64));
    writer.u32(0);
    writer.u32(id);
    writer.u8(kind);
    body(&mut writer);
    let mut bytes = writer.0;
    let length = u32::try_from(bytes.len() - 4).unwrap_or(u32::MAX);
    bytes[..4].copy_from_slice(&length.to_le_bytes());
    bytes
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    /// A string, cut (at a character boundary) to the most a `u16` length can say.
    fn text(&mut self, value: &str) {
        let mut end = value.len().min(usize::from(u16::MAX));
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        self.0
            .extend_from_slice(&u16::try_from(end).unwrap_or(u16::MAX).to_le_bytes());
        self.0.extend_from_slice(&value.as_bytes()[..end]);
    }
    fn bytes(&mut self, value: &[u8]) {
        self.u32(u32::try_from(value.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(value);
    }
    fn info(&mut self, info: &FileInfo) {
        self.u64(info.creation_time);
        self.u64(info.last_access_time);
        self.u64(info.last_write_time);
        self.u64(info.change_time);
        self.u64(info.allocation_size);
        self.u64(info.end_of_file);
        self.u32(info.attributes);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], FrameError> {
        if self.0.len() < count {
            return Err(FrameError::Truncated);
        }
        let (taken, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(taken)
    }
    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FrameError> {
        let mut bytes = [0; 2];
        bytes.copy_from_slice(self.take(2)?);
        Ok(u16::from_le_bytes(bytes))
    }
    fn u32(&mut self) -> Result<u32, FrameError> {
        let mut bytes = [0; 4];
        bytes.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(bytes))
    }
    fn u64(&mut self) -> Result<u64, FrameError> {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(bytes))
    }
    fn text(&mut self) -> Result<String, FrameError> {
        let length = usize::from(self.u16()?);
        let bytes = self.take(length)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::NotUtf8)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, FrameError> {
        let length = self.u32()? as usize;
        if length > MAX_DATA as usize {
            return Err(FrameError::TooLong(length));
        }
        Ok(self.take(length)?.to_vec())
    }
    fn info(&mut self) -> Result<FileInfo, FrameError> {
        Ok(FileInfo {
            creation_time: self.u64()?,
            last_access_time: self.u64()?,
            last_write_time: self.u64()?,
            change_time: self.u64()?,
            allocation_size: self.u64()?,
            end_of_file: self.u64()?,
            attributes: self.u32()?,
        })
    }
    /// The end of the frame: nothing may follow the fields.
    fn end(&self) -> Result<(), FrameError> {
        match self.0.len() {
            0 => Ok(()),
            extra => Err(FrameError::TooLong(extra)),
        }
    }
}

impl FileRequest {
    /// The whole frame of this request, numbered `id`.
    pub fn encode(&self, id: u32) -> Vec<u8> {
        match self {
            FileRequest::Open { path, mode } => frame(id, kind::OPEN, |w| {
                w.u32(mode.access);
                w.u32(mode.share_access);
                w.u32(mode.disposition);
                w.u32(mode.options);
                w.u32(mode.attributes);
                w.text(path);
            }),
            FileRequest::Read {
                handle,
                offset,
                length,
            } => frame(id, kind::READ, |w| {
                w.u64(*handle);
                w.u64(*offset);
                w.u32(*length);
            }),
            FileRequest::Write {
                handle,
                offset,
                data,
            } => frame(id, kind::WRITE, |w| {
                w.u64(*handle);
                w.u64(*offset);
                w.bytes(data);
            }),
            FileRequest::WriteAndClose {
                handle,
                offset,
                data,
            } => frame(id, kind::WRITE_AND_CLOSE, |w| {
                w.u64(*handle);
                w.u64(*offset);
                w.bytes(data);
            }),
            FileRequest::Close { handle } => frame(id, kind::CLOSE, |w| w.u64(*handle)),
            FileRequest::Flush { handle } => frame(id, kind::FLUSH, |w| w.u64(*handle)),
            FileRequest::SetSize { handle, size } => frame(id, kind::SET_SIZE, |w| {
                w.u64(*handle);
                w.u64(*size);
            }),
            FileRequest::Query { handle } => frame(id, kind::QUERY, |w| w.u64(*handle)),
            FileRequest::Stat { path } => frame(id, kind::STAT, |w| w.text(path)),
            FileRequest::List { path } => frame(id, kind::LIST, |w| w.text(path)),
            FileRequest::Rename { from, to, replace } => frame(id, kind::RENAME, |w| {
                w.u8(u8::from(*replace));
                w.text(from);
                w.text(to);
            }),
            FileRequest::Delete { path, directory } => frame(id, kind::DELETE, |w| {
                w.u8(u8::from(*directory));
                w.text(path);
            }),
            FileRequest::MakeDirectory { path } => {
                frame(id, kind::MAKE_DIRECTORY, |w| w.text(path))
            }
        }
    }

    /// As [`FileRequest::decode`], taking the frame: a write's data stays in the frame's own
    /// buffer (moved to its start) rather than being copied out.
    pub fn decode_owned(mut frame: Vec<u8>) -> Result<(u32, FileRequest), FrameError> {
        const WRITE_FIELDS: usize = 4 + 1 + 8 + 8 + 4;
        let carries_data = matches!(frame.get(4), Some(&kind::WRITE | &kind::WRITE_AND_CLOSE));
        if !carries_data || frame.len() < WRITE_FIELDS {
            return FileRequest::decode(&frame);
        }
        let mut r = Reader(&frame[..WRITE_FIELDS]);
        let id = r.u32()?;
        let kind = r.u8()?;
        let handle = r.u64()?;
        let offset = r.u64()?;
        let length = r.u32()? as usize;
        if length > MAX_DATA as usize {
            return Err(FrameError::TooLong(length));
        }
        match (frame.len() - WRITE_FIELDS).cmp(&length) {
            std::cmp::Ordering::Less => return Err(FrameError::Truncated),
            std::cmp::Ordering::Greater => {
                return Err(FrameError::TooLong(frame.len() - WRITE_FIELDS - length));
            }
            std::cmp::Ordering::Equal => {}
        }
        frame.drain(..WRITE_FIELDS);
        let request = if kind == kind::WRITE_AND_CLOSE {
            FileRequest::WriteAndClose {
                handle,
                offset,
                data: frame,
            }
        } else {
            FileRequest::Write {
                handle,
                offset,
                data: frame,
            }
        };
        Ok((id, request))
    }

    /// Reads a request frame (what follows its length prefix): its number and the request.
    pub fn decode(frame: &[u8]) -> Result<(u32, FileRequest), FrameError> {
        let mut r = Reader(frame);
        let id = r.u32()?;
        let request = match r.u8()? {
            kind::OPEN => {
                let mode = OpenMode {
                    access: r.u32()?,
                    share_access: r.u32()?,
                    disposition: r.u32()?,
                    options: r.u32()?,
                    attributes: r.u32()?,
                };
                FileRequest::Open {
                    path: r.text()?,
                    mode,
                }
            }
            kind::READ => FileRequest::Read {
                handle: r.u64()?,
                offset: r.u64()?,
                length: r.u32()?,
            },
            kind::WRITE => FileRequest::Write {
                handle: r.u64()?,
                offset: r.u64()?,
                data: r.bytes()?,
            },
            kind::WRITE_AND_CLOSE => FileRequest::WriteAndClose {
                handle: r.u64()?,
                offset: r.u64()?,
                data: r.bytes()?,
            },
            kind::CLOSE => FileRequest::Close { handle: r.u64()? },
            kind::FLUSH => FileRequest::Flush { handle: r.u64()? },
            kind::SET_SIZE => FileRequest::SetSize {
                handle: r.u64()?,
                size: r.u64()?,
            },
            kind::QUERY => FileRequest::Query { handle: r.u64()? },
            kind::STAT => FileRequest::Stat { path: r.text()? },
            kind::LIST => FileRequest::List { path: r.text()? },
            kind::RENAME => {
                let replace = r.u8()? != 0;
                FileRequest::Rename {
                    from: r.text()?,
                    to: r.text()?,
                    replace,
                }
            }
            kind::DELETE => {
                let directory = r.u8()? != 0;
                FileRequest::Delete {
                    path: r.text()?,
                    directory,
                }
            }
            kind::MAKE_DIRECTORY => FileRequest::MakeDirectory { path: r.text()? },
            other => return Err(FrameError::UnknownKind(other)),
        };
        r.end()?;
        Ok((id, request))
    }
}

impl FileReply {
    /// The whole frame of this reply to request `id`.
    pub fn encode(&self, id: u32) -> Vec<u8> {
        match self {
            FileReply::Opened { handle, info } => frame(id, kind::OPENED, |w| {
                w.u64(*handle);
                w.info(info);
            }),
            FileReply::Data(data) => frame(id, kind::DATA, |w| w.bytes(data)),
            FileReply::Written(count) => frame(id, kind::WRITTEN, |w| w.u32(*count)),
            FileReply::Done => frame(id, kind::DONE, |_| {}),
            FileReply::Info(info) => frame(id, kind::INFO, |w| w.info(info)),
            FileReply::Listing(entries) => frame(id, kind::LISTING, |w| {
                w.u32(u32::try_from(entries.len()).unwrap_or(u32::MAX));
                for (name, info) in entries {
                    w.text(name);
                    w.info(info);
                }
            }),
            FileReply::Failed {
                code,
                ntstatus,
                message,
            } => frame(id, kind::FAILED, |w| {
                w.u32(*code);
                w.u32(*ntstatus);
                w.text(message);
            }),
        }
    }

    /// Reads a reply frame (what follows its length prefix): its request's number and the
    /// reply.
    pub fn decode(frame: &[u8]) -> Result<(u32, FileReply), FrameError> {
        let mut r = Reader(frame);
        let id = r.u32()?;
        let reply = match r.u8()? {
            kind::OPENED => FileReply::Opened {
                handle: r.u64()?,
                info: r.info()?,
            },
            kind::DATA => FileReply::Data(r.bytes()?),
            kind::WRITTEN => FileReply::Written(r.u32()?),
            kind::DONE => FileReply::Done,
            kind::INFO => FileReply::Info(r.info()?),
            kind::LISTING => {
                let count = r.u32()? as usize;
                if count > MAX_LISTING {
                    return Err(FrameError::TooLong(count));
                }
                // Each entry takes at least its name's length and the attributes: a count the
                // frame cannot hold is refused before anything is reserved for it.
                if count > r.0.len() / (2 + 52) {
                    return Err(FrameError::Truncated);
                }
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    let name = r.text()?;
                    entries.push((name, r.info()?));
                }
                FileReply::Listing(entries)
            }
            kind::FAILED => FileReply::Failed {
                code: r.u32()?,
                ntstatus: r.u32()?,
                message: r.text()?,
            },
            other => return Err(FrameError::UnknownKind(other)),
        };
        r.end()?;
        Ok((id, reply))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(size: u64) -> FileInfo {
        FileInfo {
            creation_time: 1,
            last_access_time: 2,
            last_write_time: 3,
            change_time: 4,
            allocation_size: 4096,
            end_of_file: size,
            attributes: 0x20,
        }
    }

    fn requests() -> Vec<FileRequest> {
        vec![
            FileRequest::Open {
                path: "dir\\ré sumé.txt".into(),
                mode: OpenMode {
                    access: 0x0012_019f,
                    share_access: 7,
                    disposition: 5,
                    options: 0x40,
                    attributes: 0x80,
                },
            },
            FileRequest::Read {
                handle: 9,
                offset: 1 << 40,
                length: MAX_DATA,
            },
            FileRequest::Write {
                handle: 9,
                offset: 3,
                data: b"data".to_vec(),
            },
            FileRequest::WriteAndClose {
                handle: 9,
                offset: 0,
                data: b"last".to_vec(),
            },
            FileRequest::Close { handle: 9 },
            FileRequest::Flush { handle: 9 },
            FileRequest::SetSize { handle: 9, size: 7 },
            FileRequest::Query { handle: 9 },
            FileRequest::Stat {
                path: String::new(),
            },
            FileRequest::List {
                path: "a\\b".into(),
            },
            FileRequest::Rename {
                from: "a".into(),
                to: "b".into(),
                replace: true,
            },
            FileRequest::Delete {
                path: "a".into(),
                directory: true,
            },
            FileRequest::MakeDirectory { path: "d".into() },
        ]
    }

    fn replies() -> Vec<FileReply> {
        vec![
            FileReply::Opened {
                handle: 1,
                info: info(5),
            },
            FileReply::Data(vec![1, 2, 3]),
            FileReply::Data(Vec::new()),
            FileReply::Written(3),
            FileReply::Done,
            FileReply::Info(info(0)),
            FileReply::Listing(vec![("a".into(), info(1)), ("b".into(), info(2))]),
            FileReply::Failed {
                code: 2,
                ntstatus: 0xc000_0034,
                message: "no such file".into(),
            },
        ]
    }

    fn body(frame: &[u8]) -> &[u8] {
        let length = frame_length([frame[0], frame[1], frame[2], frame[3]]).unwrap();
        assert_eq!(length, frame.len() - 4);
        &frame[4..]
    }

    #[test]
    fn every_request_and_reply_reads_back_as_written() {
        for (id, request) in requests().into_iter().enumerate() {
            let id = id as u32 + 100;
            let frame = request.encode(id);
            assert_eq!(FileRequest::decode(body(&frame)), Ok((id, request)));
        }
        for (id, reply) in replies().into_iter().enumerate() {
            let id = id as u32;
            let frame = reply.encode(id);
            assert_eq!(FileReply::decode(body(&frame)), Ok((id, reply)));
        }
    }

    #[test]
    fn every_cut_of_a_frame_is_an_error_not_a_panic() {
        let frames: Vec<(Vec<u8>, bool)> = requests()
            .iter()
            .map(|request| (request.encode(1), true))
            .chain(replies().iter().map(|reply| (reply.encode(1), false)))
            .collect();
        for (frame, is_request) in frames {
            let body = &frame[4..];
            for cut in 0..body.len() {
                let decoded = if is_request {
                    FileRequest::decode(&body[..cut]).map(|_| ())
                } else {
                    FileReply::decode(&body[..cut]).map(|_| ())
                };
                assert!(decoded.is_err(), "a frame cut at {cut} was read");
            }
            let mut longer = body.to_vec();
            longer.push(0);
            let decoded = if is_request {
                FileRequest::decode(&longer).map(|_| ())
            } else {
                FileReply::decode(&longer).map(|_| ())
            };
            assert_eq!(decoded, Err(FrameError::TooLong(1)));
        }
    }

    #[test]
    fn hostile_lengths_and_kinds_are_refused() {
        assert_eq!(
            frame_length((MAX_FRAME as u32 + 1).to_le_bytes()),
            Err(FrameError::TooLong(MAX_FRAME + 1))
        );
        assert_eq!(
            FileRequest::decode(&[1, 0, 0, 0, 99]),
            Err(FrameError::UnknownKind(99))
        );
        assert_eq!(
            FileReply::decode(&[1, 0, 0, 0, 1]),
            Err(FrameError::UnknownKind(1))
        );
        // Data longer than a read may be, and a listing claiming more entries than it holds.
        let mut data = vec![1, 0, 0, 0, kind::DATA];
        data.extend_from_slice(&(MAX_DATA + 1).to_le_bytes());
        assert_eq!(
            FileReply::decode(&data),
            Err(FrameError::TooLong(MAX_DATA as usize + 1))
        );
        let mut listing = vec![1, 0, 0, 0, kind::LISTING];
        listing.extend_from_slice(&1000u32.to_le_bytes());
        assert_eq!(FileReply::decode(&listing), Err(FrameError::Truncated));
        // A name that is not UTF-8.
        let mut stat = vec![1, 0, 0, 0, kind::STAT, 2, 0];
        stat.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(FileRequest::decode(&stat), Err(FrameError::NotUtf8));
    }

    #[test]
    fn owned_decoding_reads_what_decoding_reads() {
        for request in requests() {
            let frame = request.encode(5);
            assert_eq!(
                FileRequest::decode_owned(frame[4..].to_vec()),
                FileRequest::decode(&frame[4..])
            );
            let body = &frame[4..];
            for cut in 0..body.len() {
                assert!(
                    FileRequest::decode_owned(body[..cut].to_vec()).is_err(),
                    "cut {cut}"
                );
            }
        }
        let write = FileRequest::Write {
            handle: 1,
            offset: 2,
            data: b"abc".to_vec(),
        };
        let mut frame = write_header(9, 1, 2, 3).to_vec();
        frame.extend_from_slice(b"abc");
        assert_eq!(frame, write.encode(9));
        frame.push(0);
        assert_eq!(
            FileRequest::decode_owned(frame[4..].to_vec()),
            Err(FrameError::TooLong(1))
        );
        let last = FileRequest::WriteAndClose {
            handle: 1,
            offset: 2,
            data: b"abc".to_vec(),
        };
        let mut frame = write_and_close_header(9, 1, 2, 3).to_vec();
        frame.extend_from_slice(b"abc");
        assert_eq!(frame, last.encode(9));
        assert_eq!(
            FileRequest::decode_owned(frame[4..].to_vec()),
            Ok((9, last))
        );
    }

    #[test]
    fn a_data_header_begins_the_frame_a_data_reply_makes() {
        let frame = FileReply::Data(b"bytes".to_vec()).encode(77);
        assert_eq!(data_header(77, 5), frame[..13]);
        assert_eq!(
            reply_start([frame[4], frame[5], frame[6], frame[7], frame[8]]),
            (77, true)
        );
        let done = FileReply::Done.encode(3);
        assert_eq!(
            reply_start([done[4], done[5], done[6], done[7], done[8]]),
            (3, false)
        );
    }

    #[test]
    fn a_string_too_long_for_its_length_is_cut_at_a_character() {
        let path = "é".repeat(40_000); // 80,000 bytes
        let frame = FileRequest::Stat { path }.encode(1);
        let Ok((_, FileRequest::Stat { path })) = FileRequest::decode(body(&frame)) else {
            panic!("the frame reads back");
        };
        assert_eq!(path.len(), 65_534);
    }
}
