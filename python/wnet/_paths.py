"""Windows paths for unchanged scripts: UNC paths (``\\\\server\\share\\f``,
``//server/share/f``) and redirected drive letters (``Z:\\reports\\q3.txt``) reach the share.

Importing ``win32wnet`` or ``wnet`` installs wrappers around ``open`` (``builtins`` and
``io``), the path functions of ``os`` and a few of ``os.path``: a path that begins with two
separators or a drive letter is handed to the native module, which gives the local path serving
it (the agent's mount of the share, connected implicitly if need be, or the drive's mount
point) or raises ``OSError`` with Windows' code in ``winerror``. Every other path goes straight
to the original function after a test of its first two characters. ``WNET_PATHS=0`` turns
this off. What is patched, and what is not, is in docs/pywin32-migration.md.
"""

from __future__ import annotations

import builtins
import functools
import io
import ntpath
import os
import posixpath
from typing import Any, Callable, Tuple, Union

from wnet import _native

_Function = Callable[..., Any]

# The second character of every path that may be a network or drive path: a string whose
# second character is none of these is local (the fast test).
_MARKS = frozenset(("\\", "/", ":"))
_BYTE_MARKS = frozenset((ord("\\"), ord("/"), ord(":")))
_MISSING = object()
_installed = False


def _is_candidate(text: Union[str, bytes]) -> bool:
    """Whether the ``str`` or ``bytes`` ``text`` begins like a network or drive path."""
    if len(text) < 2:
        return False
    if isinstance(text, bytes):
        first, second = chr(text[0]), chr(text[1])
    else:
        first, second = text[0], text[1]
    if first in "\\/":
        return second in "\\/"
    return second == ":" and first.isascii() and first.isalpha()


def _translate(path: Any) -> Any:
    """The local path for ``path`` (``str``, ``bytes`` or path-like), or ``path`` itself when
    it is local or not a path at all (a descriptor: the original function decides)."""
    kind = type(path)
    text: Any  # str or bytes
    if kind is str or kind is bytes:
        text = path
    elif kind is int or path is None:
        return path
    else:
        try:
            text = os.fspath(path)
        except TypeError:
            return path
    if not _is_candidate(text):
        return path
    if _unmounted and _share_key(text) in _unmounted:
        raise _Direct()
    try:
        return _native._local_path(text, path)
    except OSError as error:
        # The agent cannot mount the share here (no FUSE, or WNET_DRIVE_BACKEND=none): the
        # call goes straight over SMB (wnet._files), and so do the next ones on this share.
        if getattr(error, "winerror", None) != _ERROR_NOT_SUPPORTED:
            raise
        key = _share_key(text)
        if key is None:
            raise
        _unmounted.add(key)
        raise _Direct() from error


_ERROR_NOT_SUPPORTED = 50
# Shares the agent cannot mount, as (agent socket, ``server\\share`` in lower case):
# another agent (another WNET_AGENT_SOCKET or XDG_RUNTIME_DIR) may mount them.
_unmounted: "set[Tuple[str, str]]" = set()


class _Direct(Exception):
    """Raised by ``_translate`` for a path of a share that is served over SMB directly."""


def _share_key(text: Union[str, bytes]) -> Any:
    """The agent and ``server\\share`` in lower case for a UNC path, else ``None``."""
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not (text[:1] in "\\/" and text[1:2] in "\\/"):
        return None
    parts = [part for part in text.replace("/", "\\").split("\\") if part]
    if len(parts) < 2:
        return None
    agent = os.environ.get("WNET_AGENT_SOCKET") or os.environ.get("XDG_RUNTIME_DIR") or ""
    return (agent, (parts[0] + "\\" + parts[1]).lower())


def _direct(original: _Function, args: Any, kwargs: Any) -> Any:
    """``original``'s call made straight over SMB by ``wnet._files``: ERROR_NOT_SUPPORTED for
    a function it has no equivalent of."""
    from wnet import _files

    name = getattr(original, "__name__", "")
    if name == "open":
        allowed = ("mode", "buffering", "encoding", "errors", "newline")
        unused = {key: value for key, value in kwargs.items() if key not in allowed}
        if len(args) > 6 or unused.get("opener") is not None or unused.get("closefd") is False:
            raise _not_supported(args[0])
        keywords = {key: value for key, value in kwargs.items() if key in allowed}
        return _files.open_file(*args[:6], **keywords)
    functions: "dict[str, _Function]" = {
        "stat": _files.stat,
        "lstat": _files.lstat,
        "listdir": _files.listdir,
        "scandir": _files.scandir,
        "mkdir": lambda path, mode=0o777, **_: _files.mkdir(path),
        "makedirs": lambda name, mode=0o777, exist_ok=False: _files.makedirs(name, exist_ok),
        "remove": _files.remove,
        "unlink": _files.unlink,
        "rmdir": _files.rmdir,
        "rename": _files.rename,
        "replace": _files.replace,
        # Without a mount a share's files keep the modes and times the server gives them, as
        # a share without Unix extensions does through a mount: these succeed on a file
        # that exists (shutil.copy and copy2 call them after the copy).
        "chmod": lambda path, mode, **_: _files.stat(path) and None,
        "utime": lambda path, times=None, **_: _files.stat(path) and None,
        "access": lambda path, mode, **_: _exists_direct(path),
    }
    direct = functions.get(name)
    if direct is None:
        raise _not_supported(args[0] if args else None)
    ignored = ("dir_fd", "follow_symlinks", "src_dir_fd", "dst_dir_fd")
    return direct(*args, **{key: value for key, value in kwargs.items() if key not in ignored})


def _exists_direct(path: Any) -> bool:
    from wnet import _files

    try:
        _files.stat(path)
    except OSError:
        return False
    return True


def _not_supported(path: Any) -> OSError:
    error = OSError(95, "not supported over SMB without a mount", path)
    setattr(error, "winerror", _ERROR_NOT_SUPPORTED)
    return error


def _fix_error(error: OSError, local: Any, path: Any) -> None:
    """Names ``path`` rather than its local form in ``error``, and sets Windows' code."""
    if error.filename is not None and error.filename == local:
        error.filename = path
    if error.errno is not None and getattr(error, "winerror", None) is None:
        setattr(error, "winerror", _native._winerror(error.errno))


def _call_with_path(original: _Function, path: Any, args: Any, kwargs: Any) -> Any:
    """``original(path, *args, **kwargs)`` with ``path`` translated: to the local path serving
    it, or made straight over SMB where the share cannot be mounted."""
    if type(path) is str and path[1:2] not in _MARKS:
        return original(path, *args, **kwargs)
    try:
        local = _translate(path)
    except _Direct:
        return _direct(original, (path, *args), kwargs)
    if local is path:
        return original(path, *args, **kwargs)
    try:
        return original(local, *args, **kwargs)
    except OSError as error:
        _fix_error(error, local, path)
        raise


def _one_path(original: _Function) -> _Function:
    """A wrapper of ``original(path, ...)`` translating ``path``."""

    @functools.wraps(original)
    def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
        return _call_with_path(original, path, args, kwargs)

    return wrapper


def _named_path(original: _Function) -> _Function:
    """A wrapper of ``original(name, ...)`` (``makedirs``, ``removedirs``)."""

    @functools.wraps(original)
    def wrapper(name: Any, *args: Any, **kwargs: Any) -> Any:
        return _call_with_path(original, name, args, kwargs)

    return wrapper


def _optional_path(original: _Function) -> _Function:
    """A wrapper of ``original(path='.', ...)`` (``listdir``, ``scandir``)."""

    @functools.wraps(original)
    def wrapper(path: Any = _MISSING, *args: Any, **kwargs: Any) -> Any:
        if path is _MISSING:
            return original(*args, **kwargs)
        return _call_with_path(original, path, args, kwargs)

    return wrapper


def _two_paths(original: _Function) -> _Function:
    """A wrapper of ``original(src, dst, ...)`` translating both."""

    @functools.wraps(original)
    def wrapper(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            type(src) is str
            and type(dst) is str
            and src[1:2] not in _MARKS
            and dst[1:2] not in _MARKS
        ):
            return original(src, dst, *args, **kwargs)
        try:
            local_src = _translate(src)
            local_dst = _translate(dst)
        except _Direct:
            return _direct(original, (src, dst, *args), kwargs)
        try:
            return original(local_src, local_dst, *args, **kwargs)
        except OSError as error:
            if local_src is not src:
                _fix_error(error, local_src, src)
            if local_dst is not dst:
                if error.filename2 is not None and error.filename2 == local_dst:
                    error.filename2 = dst
                _fix_error(error, local_dst, dst)
            raise

    return wrapper


def _open_wrapper(original: _Function) -> _Function:
    """``open`` (builtins and io): the file opened at the local path keeps the name given."""

    @functools.wraps(original)
    def open(file: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - it is open
        if type(file) is str and file[1:2] not in _MARKS:
            return original(file, *args, **kwargs)
        try:
            local = _translate(file)
        except _Direct:
            return _direct(original, (file, *args), kwargs)
        if local is file:
            return original(file, *args, **kwargs)
        try:
            opened = original(local, *args, **kwargs)
        except OSError as error:
            _fix_error(error, local, file)
            raise
        buffered: Any = getattr(opened, "buffer", opened)
        raw: Any = getattr(buffered, "raw", buffered)
        try:
            raw.name = file
        except (AttributeError, TypeError):
            pass
        return opened

    return open


def _string_wrapper(original: _Function, windows: _Function) -> _Function:
    """A wrapper of the ``os.path`` string function ``original`` using ``ntpath``'s
    ``windows`` for network and drive paths (their separators are backslashes too)."""

    @functools.wraps(original)
    def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
        if type(path) is str and path[1:2] not in _MARKS:
            return original(path, *args, **kwargs)
        try:
            text = os.fspath(path)
        except TypeError:
            return original(path, *args, **kwargs)
        if _is_candidate(text) and _native._is_network_path(text):
            return windows(text, *args, **kwargs)
        return original(path, *args, **kwargs)

    return wrapper


# The os functions taking one path first (those a platform lacks are skipped).
_ONE_PATH = (
    "stat",
    "lstat",
    "mkdir",
    "rmdir",
    "remove",
    "unlink",
    "chdir",
    "access",
    "chmod",
    "chown",
    "lchown",
    "utime",
    "truncate",
    "readlink",
    "statvfs",
    "open",
    "mkfifo",
    "mknod",
    "getxattr",
    "setxattr",
    "removexattr",
    "pathconf",
)
_NAMED_PATH = ("makedirs", "removedirs")
_OPTIONAL_PATH = ("listdir", "scandir", "listxattr")
_TWO_PATHS = ("rename", "replace", "link", "symlink")
# os.path's string functions answered the Windows way for network paths, so that
# ``abspath(r"\\server\share\f")`` is not made relative to the current directory and
# ``basename`` finds the file name after a backslash.
_STRING_FUNCTIONS = ("abspath", "realpath", "normpath", "isabs", "basename", "dirname", "split")


def local_path(path: Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]) -> Union[str, bytes]:
    """The local path serving ``path``: for ``\\\\server\\share\\f`` or ``//server/share/f``
    the agent's mount of the share (connected implicitly if it is not), for ``Z:\\f`` the
    drive's mount point, else the path itself (``os.fspath``'s ``str`` or ``bytes``). For code
    the wrappers do not reach: C extensions, functions bound before the import. Raises
    ``OSError`` with ``winerror`` as the wrapped calls do."""
    try:
        local: Union[str, bytes] = _translate(os.fspath(path))
    except _Direct:
        raise _not_supported(path) from None
    return local


def _windows_realpath(path: Any, *, strict: bool = False) -> Any:
    """``ntpath.realpath`` off Windows (``ntpath.abspath``, which takes no ``strict``): a share
    has no links the client follows."""
    return ntpath.abspath(path)


def install() -> bool:
    """Installs the wrappers, once; whether the path support is on (``WNET_PATHS``). Each is a
    native ``PathFunction``: a call whose paths are ``str``s that are plainly local (by their
    first two characters) goes straight to the original function; any other goes to the
    wrapper here, which translates its paths."""
    global _installed
    if _installed:
        return True
    if not _native._path_support():
        return False
    _installed = True

    def fast(original: _Function, slow: _Function, paths: int = 1) -> _Function:
        wrapped: _Function = _native.PathFunction(original, slow, paths)
        return wrapped

    patched_open = fast(builtins.open, _open_wrapper(builtins.open))
    builtins.open = patched_open
    io.open = patched_open
    for name in _ONE_PATH:
        if hasattr(os, name):
            original = getattr(os, name)
            setattr(os, name, fast(original, _one_path(original)))
    for name in _NAMED_PATH:
        original = getattr(os, name)
        setattr(os, name, fast(original, _named_path(original)))
    for name in _OPTIONAL_PATH:
        if hasattr(os, name):
            original = getattr(os, name)
            setattr(os, name, fast(original, _optional_path(original)))
    for name in _TWO_PATHS:
        if hasattr(os, name):
            original = getattr(os, name)
            setattr(os, name, fast(original, _two_paths(original), 2))
    for name in _STRING_FUNCTIONS:
        original = getattr(posixpath, name)
        windows = _windows_realpath if name == "realpath" else getattr(ntpath, name)
        setattr(posixpath, name, fast(original, _string_wrapper(original, windows)))
    return True


def installed() -> bool:
    """Whether the wrappers are installed in this process."""
    return _installed
