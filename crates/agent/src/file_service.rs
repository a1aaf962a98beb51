//! The agent's side of a file channel ([`wnet::file_channel`]): a client connection turned
//! over to one share's files. Requests are read one frame at a time and run concurrently (a
//! client pipelines its reads ahead and writes behind), at most [`IN_FLIGHT`] at once; each
//! reply goes back as soon as it is ready. The files a client leaves open are closed when it
//! goes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use wnet::error::{Cause, WinError, codes};
use wnet::file_channel::{
    FileReply, FileRequest, MAX_DATA, MAX_LISTING, data_header, frame_length,
};
use wnet_smb2::Tree;
use wnet_smb2::client::{OpenFile, ReadBuffer};
use wnet_smb2::wire::file_info::{
    FILE_DISPOSITION_INFORMATION, FILE_RENAME_INFORMATION, disposition_information,
    rename_information,
};
use wnet_smb2::wire::{CreateRequest, access, create_options, disposition, share_access};

use crate::smb_provider::{map_error, status_error};

/// The Win32 error a file operation failing with `error` gives on Windows (its NTSTATUS
/// mapped as RtlNtStatusToDosError does for the file statuses; the redirector's mapping for
/// the rest).
fn file_error(error: &wnet_smb2::Error) -> WinError {
    use wnet_smb2::NtStatus as S;
    let wnet_smb2::Error::Status { status, .. } = error else {
        return map_error(error);
    };
    let code = match *status {
        S::STATUS_SHARING_VIOLATION => codes::ERROR_SHARING_VIOLATION,
        S::STATUS_OBJECT_NAME_COLLISION => codes::ERROR_ALREADY_EXISTS,
        S::STATUS_DIRECTORY_NOT_EMPTY => codes::ERROR_DIR_NOT_EMPTY,
        S::STATUS_NOT_A_DIRECTORY => codes::ERROR_DIRECTORY,
        S::STATUS_FILE_IS_A_DIRECTORY | S::STATUS_DELETE_PENDING | S::STATUS_CANNOT_DELETE => {
            codes::ERROR_ACCESS_DENIED
        }
        S::STATUS_DISK_FULL => codes::ERROR_DISK_FULL,
        S::STATUS_OBJECT_NAME_INVALID => codes::ERROR_INVALID_NAME,
        S::STATUS_INVALID_PARAMETER => codes::ERROR_INVALID_PARAMETER,
        S::STATUS_MEDIA_WRITE_PROTECTED => codes::ERROR_WRITE_PROTECT,
        S::STATUS_FILE_CLOSED | S::STATUS_INVALID_HANDLE => codes::ERROR_INVALID_HANDLE,
        _ => return status_error(*status),
    };
    WinError::with_cause(code, Cause::NtStatus(status.0))
}

/// The most requests of one channel running at once (each read holds up to
/// [`MAX_DATA`] bytes).
const IN_FLIGHT: usize = 16;

/// Each open file's uses under way count against this many permits; a close takes them all,
/// so it runs after the reads and writes sent before it.
const USES: u32 = 1 << 20;

/// The files a channel has open, by handle, each with the permits of its uses under way.
#[derive(Default)]
struct OpenFiles {
    next: AtomicU64,
    files: Mutex<HashMap<u64, (OpenFile, Arc<Semaphore>)>>,
}

impl OpenFiles {
    fn insert(&self, file: OpenFile) -> u64 {
        let handle = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let uses = Arc::new(Semaphore::new(USES as usize));
        self.lock().insert(handle, (file, uses));
        handle
    }

    fn get(&self, handle: u64) -> Result<OpenFile, WinError> {
        self.lock()
            .get(&handle)
            .map(|(file, _)| file.clone())
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    }

    /// A use of `handle` under way, taken in the order requests arrive (none for a handle
    /// unknown or closing: the request fails on its own).
    fn use_of(&self, handle: u64) -> Option<OwnedSemaphorePermit> {
        let uses = self.lock().get(&handle).map(|(_, uses)| Arc::clone(uses))?;
        uses.try_acquire_owned().ok()
    }

    /// Removes `handle` once the uses of it under way are done.
    async fn remove_when_idle(&self, handle: u64) -> Result<OpenFile, WinError> {
        let uses = self
            .lock()
            .get(&handle)
            .map(|(_, uses)| Arc::clone(uses))
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))?;
        let _all = uses.acquire_many_owned(USES).await;
        self.lock()
            .remove(&handle)
            .map(|(file, _)| file)
            .ok_or_else(|| WinError::new(codes::ERROR_INVALID_HANDLE))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (OpenFile, Arc<Semaphore>)>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The open file a request uses, if it uses one (a close waits for them instead).
fn handle_of(request: &FileRequest) -> Option<u64> {
    match request {
        FileRequest::Read { handle, .. }
        | FileRequest::Write { handle, .. }
        | FileRequest::Flush { handle }
        | FileRequest::SetSize { handle, .. }
        | FileRequest::Query { handle } => Some(*handle),
        _ => None,
    }
}

/// Serves the file channel over `tree` until the client closes it or sends a frame that
/// cannot be read; then closes what the client left open.
pub(crate) async fn serve_files<R, W>(tree: Tree, mut reader: R, mut writer: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let files = Arc::new(OpenFiles::default());
    let (replies, mut outgoing) = mpsc::channel::<Outgoing>(IN_FLIGHT);
    let sender = tokio::spawn(async move {
        while let Some(reply) = outgoing.recv().await {
            let sent = match reply {
                Outgoing::Frame(frame) => writer.write_all(&frame).await,
                Outgoing::Data(header, data) => match writer.write_all(&header).await {
                    Ok(()) => writer.write_all(&data).await,
                    Err(error) => Err(error),
                },
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let mut prefix = [0u8; 4];
        if reader.read_exact(&mut prefix).await.is_err() {
            break;
        }
        let Ok(length) = frame_length(prefix) else {
            tracing::debug!("file channel: a frame too long; closing");
            break;
        };
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            break;
        }
        let (id, request) = match FileRequest::decode_owned(body) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::debug!(%error, "file channel: a malformed frame; closing");
                break;
            }
        };
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            break;
        };
        let tree = tree.clone();
        let files = Arc::clone(&files);
        let replies = replies.clone();
        let using = handle_of(&request).and_then(|handle| files.use_of(handle));
        tokio::spawn(async move {
            let reply = match request {
                FileRequest::Read {
                    handle,
                    offset,
                    length,
                } => read(&tree, &files, id, handle, offset, length).await,
                request => Ok(Outgoing::Frame(
                    answer(&tree, &files, request)
                        .await
                        .unwrap_or_else(|error| failed(&error))
                        .encode(id),
                )),
            };
            let reply = reply.unwrap_or_else(|error| Outgoing::Frame(failed(&error).encode(id)));
            drop(using);
            let _ = replies.send(reply).await;
            drop(permit);
        });
    }
    // Wait for the requests under way, then close what is left open.
    let _ = in_flight.acquire_many(IN_FLIGHT as u32).await;
    drop(replies);
    let _ = sender.await;
    let left: Vec<OpenFile> = files.lock().drain().map(|(_, (file, _))| file).collect();
    for file in left {
        let _ = file.close().await;
    }
}

/// A reply on its way to the client.
enum Outgoing {
    /// A whole frame.
    Frame(Vec<u8>),
    /// A data reply: its header, then the data where the SMB response holds it (not copied
    /// into a frame).
    Data([u8; 13], ReadBuffer),
}

/// A read, answered from the SMB response's own buffer.
async fn read(
    tree: &Tree,
    files: &OpenFiles,
    id: u32,
    handle: u64,
    offset: u64,
    length: u32,
) -> Result<Outgoing, WinError> {
    let file = files.get(handle)?;
    let length = length.min(MAX_DATA).min(tree.max_read_size());
    let data = file
        .read_buffer_at(offset, length)
        .await
        .map_err(|error| file_error(&error))?;
    let count = u32::try_from(data.len()).unwrap_or(u32::MAX);
    Ok(Outgoing::Data(data_header(id, count), data))
}

/// The reply for a failure.
fn failed(error: &WinError) -> FileReply {
    let ntstatus = match &error.cause {
        Some(Cause::NtStatus(status)) => *status,
        _ => 0,
    };
    FileReply::Failed {
        code: error.code,
        ntstatus,
        message: error.to_string(),
    }
}

/// A path from the client, checked: relative to the share, `\`-separated, no empty, `.` or
/// `..` component (the client resolves those; one here would climb out of what it names).
fn checked(path: String) -> Result<String, WinError> {
    let invalid = |why: &str| {
        WinError::with_cause(
            codes::ERROR_INVALID_NAME,
            Cause::Other(format!("{path:?}: {why}")),
        )
    };
    if path.is_empty() {
        return Ok(path);
    }
    if path.contains('\0') || path.contains('/') {
        return Err(invalid("a NUL or a slash in a path"));
    }
    if path
        .split('\\')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(invalid("an empty, . or .. component"));
    }
    Ok(path)
}

async fn answer(
    tree: &Tree,
    files: &OpenFiles,
    request: FileRequest,
) -> Result<FileReply, WinError> {
    let smb = |error: wnet_smb2::Error| file_error(&error);
    Ok(match request {
        FileRequest::Open { path, mode } => {
            let file = tree
                .create(CreateRequest {
                    name: checked(path)?,
                    desired_access: mode.access,
                    file_attributes: mode.attributes,
                    share_access: mode.share_access,
                    create_disposition: mode.disposition,
                    create_options: mode.options,
                })
                .await
                .map_err(smb)?;
            let info = file.attributes;
            FileReply::Opened {
                handle: files.insert(file),
                info,
            }
        }
        FileRequest::Write {
            handle,
            offset,
            data,
        } => {
            let file = files.get(handle)?;
            FileReply::Written(file.write_at(offset, data).await.map_err(smb)?)
        }
        FileRequest::Close { handle } => {
            files
                .remove_when_idle(handle)
                .await?
                .close()
                .await
                .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::Flush { handle } => {
            files.get(handle)?.flush().await.map_err(smb)?;
            FileReply::Done
        }
        FileRequest::SetSize { handle, size } => {
            files
                .get(handle)?
                .set_end_of_file(size)
                .await
                .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::Query { handle } => {
            FileReply::Info(files.get(handle)?.query_attributes().await.map_err(smb)?)
        }
        FileRequest::Stat { path } => {
            FileReply::Info(tree.stat(&checked(path)?).await.map_err(smb)?)
        }
        FileRequest::List { path } => {
            let entries = tree.list_directory(&checked(path)?).await.map_err(smb)?;
            if entries.len() > MAX_LISTING {
                return Err(WinError::new(codes::ERROR_NOT_ENOUGH_MEMORY));
            }
            FileReply::Listing(
                entries
                    .into_iter()
                    .filter(|entry| entry.name != "." && entry.name != "..")
                    .map(|entry| (entry.name, entry.attributes))
                    .collect(),
            )
        }
        // Answered by `read`, from the SMB response's buffer.
        FileRequest::Read { .. } => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
        request @ (FileRequest::Rename { .. }
        | FileRequest::Delete { .. }
        | FileRequest::MakeDirectory { .. }) => change_names(tree, request).await?,
    })
}

/// The requests that make, remove or rename names.
async fn change_names(tree: &Tree, request: FileRequest) -> Result<FileReply, WinError> {
    let smb = |error: wnet_smb2::Error| file_error(&error);
    Ok(match request {
        FileRequest::Rename { from, to, replace } => {
            tree.set_info_by_path(
                &checked(from)?,
                access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                FILE_RENAME_INFORMATION,
                rename_information(&checked(to)?, replace),
            )
            .await
            .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::Delete { path, directory } => {
            let kind = if directory {
                create_options::DIRECTORY_FILE
            } else {
                create_options::NON_DIRECTORY_FILE
            };
            let create = CreateRequest {
                name: checked(path)?,
                desired_access: access::DELETE | access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::OPEN,
                create_options: kind,
            };
            tree.set_info_on(
                create,
                FILE_DISPOSITION_INFORMATION,
                disposition_information(true),
            )
            .await
            .map_err(smb)?;
            FileReply::Done
        }
        FileRequest::MakeDirectory { path } => {
            tree.create_and_close(CreateRequest {
                name: checked(path)?,
                desired_access: access::FILE_READ_ATTRIBUTES | access::SYNCHRONIZE,
                file_attributes: 0,
                share_access: share_access::ALL,
                create_disposition: disposition::CREATE,
                create_options: create_options::DIRECTORY_FILE,
            })
            .await
            .map_err(smb)?;
            FileReply::Done
        }
        _ => return Err(WinError::new(codes::ERROR_INVALID_PARAMETER)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_or_hide_a_separator_are_refused() {
        assert_eq!(checked(String::new()), Ok(String::new()));
        assert_eq!(checked("a\\b c".into()), Ok("a\\b c".into()));
        for bad in [
            "..",
            "a\\..\\..\\b",
            ".\\a",
            "a\\\\b",
            "\\a",
            "a/b",
            "a\0b",
            "a\\",
        ] {
            assert_eq!(
                checked(bad.into()).map_err(|error| error.code),
                Err(codes::ERROR_INVALID_NAME),
                "{bad:?}"
            );
        }
    }
}
