"""The direct file API: a share's files over the agent's session, without a mount.

For people coming from smbprotocol's ``smbclient`` module: ``open_file``, ``listdir``,
``scandir``, ``stat``, ``makedirs``, ``mkdir``, ``remove``, ``unlink``, ``rmdir``, ``rename``,
``replace``, ``walk``, ``copyfile``, ``copytree`` and ``rmtree`` take the same arguments and
return the same shapes where that makes sense. Paths are UNC paths (``\\\\server\\share\\…`` or
``//server/share/…``) or a redirected drive letter's (``X:\\…``). The share is reached over
the agent's session with its server (``wnet.connect`` makes one, as ``register_session``
does), or connected implicitly with the default credentials. Failures raise ``OSError`` with
the errno and Windows' code in ``winerror``, as Python's file calls do on Windows.

Each share has one channel to the agent per process; reads are sent ahead in pieces and
writes behind (``flush`` and ``close`` wait for them), so a file streams at the speed of the
link rather than of one round trip at a time.
"""

import errno
import io
import os
import stat as stat_module
import threading
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from wnet import _native

# SMB2 CREATE's values (MS-SMB2 2.2.13).
_READ_DATA = 0x1
_WRITE_DATA = 0x2
_APPEND_DATA = 0x4
_READ_EA = 0x8
_WRITE_EA = 0x10
_READ_ATTRIBUTES = 0x80
_WRITE_ATTRIBUTES = 0x100
_DELETE = 0x10000
_READ_CONTROL = 0x20000
_SYNCHRONIZE = 0x100000
_SHARE_READ, _SHARE_WRITE, _SHARE_DELETE = 1, 2, 4
_OPEN, _CREATE, _OPEN_IF, _OVERWRITE_IF = 1, 2, 3, 5
_DIRECTORY_FILE = 0x1
_NON_DIRECTORY_FILE = 0x40
_ATTRIBUTE_READONLY = 0x1
_ATTRIBUTE_DIRECTORY = 0x10
_ATTRIBUTE_REPARSE_POINT = 0x400
_ATTRIBUTE_NORMAL = 0x80

# The buffer of a buffered file: reads and writes go to the agent in pieces this large.
_BUFFER = 1 << 20
# The most one native read asks for (its pieces of 1 MiB go to the server together).
_STEP = 16 << 20
# How much a sequential read fetches at once.
_AHEAD = 8 << 20
# Writes and truncations made by this process's files (bytes read ahead before one are
# dropped): a list, so that it is changed in place.
_writes = [0]

_channels: Dict[Tuple[str, str, str], "_native.FileChannel"] = {}
_channels_lock = threading.Lock()

Path = Union[str, "os.PathLike[str]"]


_ERROR_NETNAME_DELETED = 64


def _name_parts(path: Path) -> Tuple[str, str, str]:
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return _native._share_path(text)


def _channel_for(server: str, share: str) -> "_native.FileChannel":
    # One channel per share and agent (the socket the agent listens on names it).
    agent = os.environ.get("WNET_AGENT_SOCKET") or os.environ.get("XDG_RUNTIME_DIR") or ""
    key = (agent, server.lower(), share.lower())
    with _channels_lock:
        channel = _channels.get(key)
        if channel is None:
            channel = _native.FileChannel(server, share)
            _channels[key] = channel
    return channel


def _on_share(path: Path, call: Callable[["_native.FileChannel", str], Any]) -> Any:
    """``call(channel, path in the share)``; once more on a new channel if the agent's went
    (the agent was stopped, or restarted, since it was opened)."""
    server, share, inside = _name_parts(path)
    channel = _channel_for(server, share)
    try:
        return call(channel, inside)
    except OSError as error:
        if getattr(error, "winerror", None) != _ERROR_NETNAME_DELETED:
            raise
        _forget_channel(channel)
        return call(_channel_for(server, share), inside)


def _forget_channel(channel: "_native.FileChannel") -> None:
    with _channels_lock:
        for key, held in list(_channels.items()):
            if held is channel:
                del _channels[key]


def _error(code: int, winerror: int, name: str) -> OSError:
    error = OSError(code, os.strerror(code), name)
    error.winerror = winerror  # type: ignore[attr-defined]
    return error


def _filetime_seconds(filetime: int) -> float:
    """Seconds since 1970 for a FILETIME (100 ns since 1601)."""
    return (filetime - 116444736000000000) / 10_000_000 if filetime else 0.0


def _stat_result(info: Tuple[int, int, int, int, int, int, int]) -> os.stat_result:
    size, _allocation, attributes, created, accessed, written, changed = info
    if attributes & _ATTRIBUTE_DIRECTORY:
        mode = stat_module.S_IFDIR | 0o755
    else:
        mode = stat_module.S_IFREG | (0o444 if attributes & _ATTRIBUTE_READONLY else 0o644)
    times = [_filetime_seconds(value) for value in (accessed, written, changed)]
    return os.stat_result(
        (
            mode,
            0,
            0,
            1,
            0,
            0,
            size,
            int(times[0]),
            int(times[1]),
            int(times[2]),
            times[0],
            times[1],
            times[2],
        )
    )


class SMBRawIO(io.RawIOBase):
    """A file of a share, unbuffered: reads go to the server ahead in pieces, writes go
    behind (``flush`` and ``close`` wait for them)."""

    def __init__(
        self,
        path: Path,
        mode: str = "r",
        share_access: Optional[str] = None,
        desired_access: Optional[int] = None,
        file_attributes: Optional[int] = None,
        file_type: str = "file",
    ) -> None:
        super().__init__()
        self._handle: Optional[int] = None
        server, share, inside = _name_parts(path)
        name = "\\\\%s\\%s\\%s" % (server, share, inside)
        self._inside = inside
        self.name = os.fspath(path) if not isinstance(os.fspath(path), bytes) else name
        self.mode = mode
        kind = set(mode.replace("b", "").replace("t", ""))
        if len(mode) != len(set(mode)) or not kind or not kind <= set("rwax+") or (
            len(kind & set("rwax")) != 1
        ):
            raise ValueError("invalid mode: %r" % mode)
        self._readable = "r" in kind or "+" in kind
        self._writable = bool(kind & set("wax")) or "+" in kind
        self._append = "a" in kind
        access = 0
        if self._readable:
            access |= _READ_DATA | _READ_EA | _READ_ATTRIBUTES | _READ_CONTROL
        if self._writable:
            access |= _WRITE_DATA | _APPEND_DATA | _WRITE_EA | _WRITE_ATTRIBUTES
        access |= _SYNCHRONIZE | _READ_ATTRIBUTES
        if desired_access is not None:
            access = desired_access
        disposition = {"r": _OPEN, "w": _OVERWRITE_IF, "a": _OPEN_IF, "x": _CREATE}[
            next(iter(kind & set("rwax")))
        ]
        options = _DIRECTORY_FILE if file_type == "dir" else _NON_DIRECTORY_FILE
        # Unsaid, others may read and write it meanwhile, as open() on Windows lets them.
        sharing = 0
        for letter in "rw" if share_access is None else share_access:
            sharing |= {"r": _SHARE_READ, "w": _SHARE_WRITE, "d": _SHARE_DELETE}.get(letter, 0)
            if letter not in "rwd":
                raise ValueError("share_access may hold only r, w and d: %r" % share_access)
        attributes = _ATTRIBUTE_NORMAL if file_attributes is None else file_attributes
        channel, (handle, info) = _on_share(
            path,
            lambda channel, inside: (
                channel,
                channel.open_file(inside, access, sharing, disposition, options, attributes),
            ),
        )
        self._channel: "_native.FileChannel" = channel
        self._handle = handle
        self._size = info[0]
        # Bytes read ahead, from _ahead_at on, and the count of writes when they were read.
        self._ahead = memoryview(b"")
        self._ahead_at = 0
        self._ahead_writes = 0
        self._position = self._size if self._append else 0
        # The buffer sequential reads fill, made at the first one.
        self._buffer: Optional[bytearray] = None
        self._buffer_view = memoryview(b"")
        # Set when the file object above is closing: its last write is then held back
        # and goes with the close, in one round trip to the server.
        self._closing = False
        self._held: Optional[Tuple[int, bytes]] = None

    # -- io.RawIOBase ------------------------------------------------------------------------

    def readable(self) -> bool:
        self._check_open()
        return self._readable

    def writable(self) -> bool:
        self._check_open()
        return self._writable

    def seekable(self) -> bool:
        self._check_open()
        return True

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a file of a share has no descriptor")

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _handle_or_raise(self) -> int:
        self._check_open()
        assert self._handle is not None
        return self._handle

    def readinto(self, buffer: Any) -> int:
        handle = self._handle_or_raise()
        self._send_held()
        if not self._readable:
            raise io.UnsupportedOperation("not readable")
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view):
            if not self._ahead_fresh():
                # Sequential reads fetch _AHEAD at a time, its pieces in flight together;
                # what is not asked for yet waits here for the next call, unless a write of
                # this process comes first.
                want = min(max(len(view) - done, _AHEAD), _STEP)
                if want <= _AHEAD:
                    # Into the file's own buffer, made once and filled in place: no new
                    # memory for each step (fresh pages cost more than the copy).
                    if self._buffer is None:
                        self._buffer = bytearray(_AHEAD)
                        self._buffer_view = memoryview(self._buffer)
                    got = self._channel.read_into(
                        handle, self._position, self._buffer, want, self._inside
                    )
                    self._ahead = self._buffer_view[:got]
                else:
                    self._ahead = memoryview(
                        self._channel.read(handle, self._position, want, self._inside)
                    )
                self._ahead_at = self._position
                self._ahead_writes = _writes[0]
                if not self._ahead:
                    break
            count = min(len(view) - done, len(self._ahead))
            view[done : done + count] = self._ahead[:count]
            self._ahead = self._ahead[count:]
            self._ahead_at += count
            self._position += count
            done += count
        return done

    def _ahead_fresh(self) -> bool:
        """Whether bytes read ahead are there for the position, and no write of this process
        came since."""
        return (
            len(self._ahead) > 0
            and self._ahead_at == self._position
            and self._ahead_writes == _writes[0]
        )

    def readall(self) -> bytes:
        handle = self._handle_or_raise()
        self._send_held()
        if not self._readable:
            raise io.UnsupportedOperation("not readable")
        # The size known at the open and one byte more, to see the end: one round trip for a
        # small file. A large one is read in steps, whose buffers the allocator reuses, and
        # joined once: fresh memory costs more than the copy.
        want = min(max(self._size - self._position, 0) + 1, _STEP)
        pieces = []
        if self._ahead_fresh():
            pieces.append(bytes(self._ahead))
            self._position += len(self._ahead)
            self._ahead = memoryview(b"")
        while True:
            data = self._channel.read(handle, self._position, want, self._inside)
            self._position += len(data)
            if len(data) < want:
                if not pieces:
                    return data
                pieces.append(data)
                return b"".join(pieces)
            pieces.append(data)
            want = _STEP

    def write(self, data: Any) -> int:
        handle = self._handle_or_raise()
        if not self._writable:
            raise io.UnsupportedOperation("not writable")
        payload = bytes(data)
        _writes[0] += 1
        if self._append:
            self._position = max(self._position, self._size)
        if self._closing and self._held is None:
            self._held = (self._position, payload)
        else:
            self._send_held()
            self._channel.write(handle, self._position, payload, self._inside)
        self._position += len(payload)
        self._size = max(self._size, self._position)
        return len(payload)

    def _send_held(self) -> None:
        """Sends the write held back for the close, if any, behind like any other."""
        if self._held is not None and self._handle is not None:
            (offset, payload), self._held = self._held, None
            self._channel.write(self._handle, offset, payload, self._inside)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        handle = self._handle_or_raise()
        self._send_held()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._channel.query(handle, self._inside)[0] + offset
        else:
            raise ValueError("invalid whence (%r)" % whence)
        if position < 0:
            raise OSError(errno.EINVAL, "negative seek position %d" % position)
        self._position = position
        return position

    def tell(self) -> int:
        self._check_open()
        return self._position

    def truncate(self, size: Optional[int] = None) -> int:
        handle = self._handle_or_raise()
        self._send_held()
        if not self._writable:
            raise io.UnsupportedOperation("not writable")
        size = self._position if size is None else size
        _writes[0] += 1
        self._channel.set_size(handle, size, self._inside)
        self._size = size
        return size

    def flush(self) -> None:
        if self._handle is not None and not self.closed and self._writable:
            self._send_held()
            self._channel.settle(self._inside)

    def fsync(self) -> None:
        """Flushes the file to the server's disk."""
        handle = self._handle_or_raise()
        self._send_held()
        self._channel.flush(handle, self._inside)

    def close(self) -> None:
        if self.closed:
            return
        handle, self._handle = self._handle, None
        held, self._held = self._held, None
        try:
            if handle is not None and held is not None:
                self._channel.write_and_close(handle, held[0], held[1], self._inside)
            elif handle is not None:
                self._channel.close_file(handle, self._inside)
        finally:
            super().close()


def _closing(raw: Any) -> None:
    """Tells an open ``SMBRawIO`` that the file object above it is closing: the write that
    empties its buffer is the last, and goes with the close."""
    if isinstance(raw, SMBRawIO) and not raw.closed:
        raw._closing = True


class _BufferedWriter(io.BufferedWriter):
    """``io.BufferedWriter`` whose close sends the last write and the close together."""

    def close(self) -> None:
        _closing(self.raw)
        super().close()


class _BufferedRandom(io.BufferedRandom):
    """``io.BufferedRandom`` whose close sends the last write and the close together."""

    def close(self) -> None:
        _closing(self.raw)
        super().close()


class _TextWriter(io.TextIOWrapper):
    """``io.TextIOWrapper`` over a writable file whose close sends the last write and the
    close together."""

    def close(self) -> None:
        _closing(getattr(self.buffer, "raw", None))
        super().close()


def open_file(
    path: Path,
    mode: str = "r",
    buffering: int = -1,
    encoding: Optional[str] = None,
    errors: Optional[str] = None,
    newline: Optional[str] = None,
    share_access: Optional[str] = None,
    desired_access: Optional[int] = None,
    file_attributes: Optional[int] = None,
    file_type: str = "file",
    **kwargs: Any,
) -> IO[Any]:
    """Opens a file of a share, as ``open`` opens a local one (``smbclient.open_file``'s
    arguments: ``share_access`` is any of ``"rwd"``, what others may do with the file while
    it is open, ``"rw"`` by default as ``open`` on Windows; ``desired_access`` and
    ``file_attributes`` are the SMB2 values)."""
    raw = SMBRawIO(path, mode, share_access, desired_access, file_attributes, file_type)
    try:
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("can't have unbuffered text I/O")
            return raw  # type: ignore[return-value]
        size = _BUFFER if buffering in (-1, 1) else buffering
        buffered: Any
        if raw.readable() and raw.writable():
            buffered = _BufferedRandom(raw, size)
        elif raw.writable():
            buffered = _BufferedWriter(raw, size)
        else:
            buffered = io.BufferedReader(raw, size)
        if "b" in mode:
            return buffered  # type: ignore[no-any-return]
        if raw.writable():
            return _TextWriter(buffered, encoding, errors, newline, line_buffering=buffering == 1)
        return io.TextIOWrapper(
            buffered, encoding, errors, newline, line_buffering=buffering == 1
        )
    except BaseException:
        raw.close()
        raise


def stat(path: Path, **kwargs: Any) -> os.stat_result:
    """``path``'s attributes as an ``os.stat_result``."""
    return _stat_result(_on_share(path, lambda channel, inside: channel.stat(inside)))


def lstat(path: Path, **kwargs: Any) -> os.stat_result:
    """As ``stat`` (a share's links are followed by the server)."""
    return stat(path, **kwargs)


def listdir(path: Path, search_pattern: str = "*", **kwargs: Any) -> List[str]:
    """The names in the directory ``path`` (not ``.`` and ``..``)."""
    listing = _on_share(path, lambda channel, inside: channel.list(inside))
    names = [name for name, _info in listing]
    if search_pattern != "*":
        import fnmatch

        names = [name for name in names if fnmatch.fnmatch(name.lower(), search_pattern.lower())]
    return names


class SMBDirEntry:
    """An entry of ``scandir``: ``os.DirEntry``'s methods, from the listing alone."""

    def __init__(self, directory: str, name: str, info: Tuple[int, ...]) -> None:
        self.name = name
        self.path = directory.rstrip("\\/") + "\\" + name
        self._stat = _stat_result(info)  # type: ignore[arg-type]
        self._attributes = info[2]

    def __repr__(self) -> str:
        return "<SMBDirEntry %r>" % self.name

    def __fspath__(self) -> str:
        return self.path

    def is_dir(self, follow_symlinks: bool = True) -> bool:
        return bool(self._attributes & _ATTRIBUTE_DIRECTORY)

    def is_file(self, follow_symlinks: bool = True) -> bool:
        return not self._attributes & _ATTRIBUTE_DIRECTORY

    def is_symlink(self) -> bool:
        return bool(self._attributes & _ATTRIBUTE_REPARSE_POINT)

    def stat(self, follow_symlinks: bool = True) -> os.stat_result:
        return self._stat

    def inode(self) -> int:
        return 0


def scandir(path: Path, search_pattern: str = "*", **kwargs: Any) -> Iterator[SMBDirEntry]:
    """The entries of the directory ``path``, with their attributes from one listing."""
    listing = _on_share(path, lambda channel, inside: channel.list(inside))
    directory = os.fspath(path)
    if isinstance(directory, bytes):
        directory = os.fsdecode(directory)
    import fnmatch

    for name, info in listing:
        if search_pattern == "*" or fnmatch.fnmatch(name.lower(), search_pattern.lower()):
            yield SMBDirEntry(directory, name, info)


def mkdir(path: Path, **kwargs: Any) -> None:
    """Makes the directory ``path`` (``FileExistsError`` if it exists)."""
    _on_share(path, lambda channel, inside: channel.make_directory(inside))


def makedirs(path: Path, exist_ok: bool = False, **kwargs: Any) -> None:
    """Makes the directory ``path`` and any missing parent."""
    try:
        mkdir(path)
        return
    except FileExistsError:
        if not exist_ok or not stat_module.S_ISDIR(stat(path).st_mode):
            raise
        return
    except FileNotFoundError:
        pass
    text = os.fspath(path)
    text = os.fsdecode(text) if isinstance(text, bytes) else text
    head = text.rstrip("\\/")
    cut = max(head.rfind("\\"), head.rfind("/"))
    if cut <= 0:
        raise
    makedirs(head[:cut], exist_ok=True)
    try:
        mkdir(path)
    except FileExistsError:
        if not exist_ok:
            raise


def remove(path: Path, **kwargs: Any) -> None:
    """Deletes the file ``path``."""
    _on_share(path, lambda channel, inside: channel.delete(inside, False))


unlink = remove


def rmdir(path: Path, **kwargs: Any) -> None:
    """Deletes the empty directory ``path``."""
    _on_share(path, lambda channel, inside: channel.delete(inside, True))


def _rename(src: Path, dst: Path, replace: bool) -> None:
    server, share, source = _name_parts(src)
    target_server, target_share, target = _name_parts(dst)
    if (server.lower(), share.lower()) != (target_server.lower(), target_share.lower()):
        name = "\\\\%s\\%s\\%s" % (target_server, target_share, target)
        raise _error(errno.EXDEV, 17, name)  # ERROR_NOT_SAME_DEVICE
    _on_share(src, lambda channel, _inside: channel.rename(source, target, replace))


def rename(src: Path, dst: Path, **kwargs: Any) -> None:
    """Renames ``src`` to ``dst`` in the same share (``FileExistsError`` if ``dst`` exists,
    as on Windows)."""
    _rename(src, dst, False)


def replace(src: Path, dst: Path, **kwargs: Any) -> None:
    """Renames ``src`` to ``dst`` in the same share, replacing ``dst`` if it exists."""
    _rename(src, dst, True)


def walk(
    top: Path,
    topdown: bool = True,
    onerror: Optional[Callable[[OSError], Any]] = None,
    follow_symlinks: bool = False,
    **kwargs: Any,
) -> Iterator[Tuple[str, List[str], List[str]]]:
    """``os.walk`` over a share: ``(directory, dirnames, filenames)`` for each directory."""
    directory = os.fspath(top)
    directory = os.fsdecode(directory) if isinstance(directory, bytes) else directory
    try:
        entries = list(scandir(directory))
    except OSError as error:
        if onerror is not None:
            onerror(error)
        return
    dirs = [entry.name for entry in entries if entry.is_dir()]
    files = [entry.name for entry in entries if not entry.is_dir()]
    if topdown:
        yield directory, dirs, files
    for name in dirs:
        path = directory.rstrip("\\/") + "\\" + name
        yield from walk(path, topdown, onerror, follow_symlinks)
    if not topdown:
        yield directory, dirs, files


def _is_network(path: Path) -> bool:
    text = os.fspath(path)
    return bool(_native._is_network_path(text))


def _open_any(path: Path, mode: str) -> IO[bytes]:
    if _is_network(path):
        return open_file(path, mode)
    return io.open(os.fspath(path), mode)


def copyfile(src: Path, dst: Path, **kwargs: Any) -> None:
    """Copies the file ``src`` to ``dst``; either may be local or on a share."""
    with _open_any(src, "rb") as source, _open_any(dst, "wb") as target:
        while True:
            piece = source.read(8 * _BUFFER)
            if not piece:
                break
            target.write(piece)


def copytree(src: Path, dst: Path, dirs_exist_ok: bool = False, **kwargs: Any) -> str:
    """Copies the directory tree ``src`` (on a share) to ``dst`` (on a share)."""
    source = os.fspath(src)
    target = os.fspath(dst)
    source = os.fsdecode(source) if isinstance(source, bytes) else source
    target = os.fsdecode(target) if isinstance(target, bytes) else target
    makedirs(target, exist_ok=dirs_exist_ok)
    for entry in scandir(source):
        into = target.rstrip("\\/") + "\\" + entry.name
        if entry.is_dir():
            copytree(entry.path, into, dirs_exist_ok=dirs_exist_ok)
        else:
            copyfile(entry.path, into)
    return target


def rmtree(
    path: Path,
    ignore_errors: bool = False,
    onerror: Optional[Callable[..., Any]] = None,
    **kwargs: Any,
) -> None:
    """Deletes the directory tree ``path``."""
    directory = os.fspath(path)
    directory = os.fsdecode(directory) if isinstance(directory, bytes) else directory

    def failed(function: Callable[..., Any], name: str, error: OSError) -> None:
        if ignore_errors:
            return
        if onerror is not None:
            onerror(function, name, (type(error), error, error.__traceback__))
            return
        raise error

    try:
        entries = list(scandir(directory))
    except OSError as error:
        failed(scandir, directory, error)
        return
    for entry in entries:
        try:
            if entry.is_dir() and not entry.is_symlink():
                rmtree(entry.path, ignore_errors, onerror)
            else:
                remove(entry.path)
        except OSError as error:
            failed(remove, entry.path, error)
    try:
        rmdir(directory)
    except OSError as error:
        failed(rmdir, directory, error)


__all__ = [
    "SMBDirEntry",
    "SMBRawIO",
    "copyfile",
    "copytree",
    "listdir",
    "lstat",
    "makedirs",
    "mkdir",
    "open_file",
    "remove",
    "rename",
    "replace",
    "rmdir",
    "rmtree",
    "scandir",
    "stat",
    "unlink",
    "walk",
]
