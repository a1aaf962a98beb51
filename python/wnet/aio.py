"""asyncio variants of the calls that wait on the network: each runs the blocking call on the
event loop's default executor (the native call releases the GIL), so the loop keeps going."""

from __future__ import annotations

import asyncio
import functools
from typing import IO, Any, AsyncIterator, Iterable, List, Optional, TypeVar, Union

import wnet._api as _api
import wnet._files as _files

T = TypeVar("T")


async def _in_thread(call: "functools.partial[T]") -> T:
    return await asyncio.get_running_loop().run_in_executor(None, call)


async def lookup(name: str, timeout: Optional[float] = None) -> List[_api.NameAddress]:
    """``wnet.lookup`` without blocking the event loop."""
    return await _in_thread(functools.partial(_api.lookup, name, timeout))


async def node_status(address: str, timeout: Optional[float] = None) -> _api.NodeStatus:
    """``wnet.node_status`` without blocking the event loop."""
    return await _in_thread(functools.partial(_api.node_status, address, timeout))


async def dfs_targets(path: str) -> _api.DfsTargets:
    """``wnet.dfs_targets`` without blocking the event loop."""
    return await _in_thread(functools.partial(_api.dfs_targets, path))


async def neighbourhood() -> List[_api.Server]:
    """``wnet.neighbourhood`` without blocking the event loop."""
    return await _in_thread(functools.partial(_api.neighbourhood))


async def connect(
    remote: str,
    user: Optional[str] = None,
    password: Optional[str] = None,
    device: Optional[str] = None,
    remember: bool = False,
    *,
    auth: Optional[str] = None,
) -> _api.Connection:
    """``wnet.connect`` without blocking the event loop."""
    return await _in_thread(
        functools.partial(_api.connect, remote, user, password, device, remember, auth=auth)
    )


async def scan(
    targets: Union[str, Iterable[str]],
    rate: int = 10_000,
    timeout: float = 1.0,
    retries: int = 1,
) -> AsyncIterator[_api.ScanResult]:
    """``wnet.scan`` as an async iterator: results as they arrive."""
    results = _api.scan(targets, rate, timeout, retries)
    done = object()
    while True:
        item = await _in_thread(functools.partial(next, results, done))
        if item is done:
            return
        yield item


class AsyncFile:
    """A file of a share for asyncio (``wnet.aio.open_file``): ``read``, ``write``, ``seek``
    and ``close`` run the blocking calls off the event loop; ``async with`` closes it."""

    def __init__(self, file: IO[Any]) -> None:
        self._file = file

    @property
    def name(self) -> str:
        return str(self._file.name)

    async def read(self, size: int = -1) -> Any:
        return await _in_thread(functools.partial(self._file.read, size))

    async def write(self, data: Any) -> int:
        return await _in_thread(functools.partial(self._file.write, data))

    async def seek(self, offset: int, whence: int = 0) -> int:
        return await _in_thread(functools.partial(self._file.seek, offset, whence))

    async def flush(self) -> None:
        await _in_thread(functools.partial(self._file.flush))

    async def close(self) -> None:
        await _in_thread(functools.partial(self._file.close))

    async def __aenter__(self) -> "AsyncFile":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def open_file(path: str, mode: str = "r", **kwargs: Any) -> AsyncFile:
    """``wnet.open_file`` for asyncio."""
    file = await _in_thread(functools.partial(_files.open_file, path, mode, **kwargs))
    return AsyncFile(file)


async def listdir(path: str) -> List[str]:
    """``wnet.listdir`` without blocking the event loop."""
    return await _in_thread(functools.partial(_files.listdir, path))
