from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar, Union, final

from wnet._api import Connection, Share

__all__ = [
    "__version__",
    "win32wnet",
    "pywintypes",
    "_agent_main",
    "_cli_main",
    "_agent_status",
    "_agent_stop",
    "_ScanResults",
    "_connect",
    "_cancel",
    "_connections",
    "_shares",
    "_servers",
    "_workgroups",
    "_universal_name",
    "_lookup",
    "_node_status",
    "_scan",
    "_local_path",
    "_is_network_path",
    "_path_support",
    "_winerror",
    "PathFunction",
]

__version__: str
win32wnet: ModuleType
pywintypes: ModuleType

_NodeStatus = Tuple[str, List[Tuple[str, int, bool, int]], bytes]

@final
class _ScanResults:
    def __iter__(self) -> Iterator[Tuple[str, Optional[_NodeStatus]]]: ...
    def __next__(self) -> Tuple[str, Optional[_NodeStatus]]: ...

def _agent_main(args: List[str]) -> int: ...
def _cli_main(argv: List[str]) -> int: ...
def _agent_status() -> Optional[Dict[str, Any]]: ...
def _agent_stop() -> bool: ...
def _connect(
    remote: str,
    device: Optional[str],
    user: Optional[str],
    password: Optional[str],
    remember: bool,
    integrity: bool,
    privacy: bool,
) -> Connection: ...
def _cancel(name: str, force: bool, forget: bool) -> None: ...
def _connections() -> List[Connection]: ...
def _shares(
    server: str, user: Optional[str], password: Optional[str], hidden: bool
) -> List[Share]: ...
def _servers(workgroup: Optional[str]) -> Tuple[str, List[Tuple[str, str]]]: ...
def _workgroups() -> List[str]: ...
def _universal_name(path: str) -> Tuple[str, str, str]: ...
def _lookup(name: str, timeout: Optional[float]) -> List[Tuple[str, bool]]: ...
def _node_status(address: str, timeout: Optional[float]) -> _NodeStatus: ...
def _scan(targets: List[str], rate: int, timeout: float, retries: int) -> _ScanResults: ...

_AnyPath = TypeVar("_AnyPath", str, bytes)

def _local_path(path: _AnyPath, filename: Any) -> _AnyPath: ...
def _is_network_path(path: Union[str, bytes]) -> bool: ...
def _path_support() -> bool: ...
def _winerror(errno: int) -> int: ...

@final
class PathFunction:
    def __new__(
        cls, original: Callable[..., Any], slow: Callable[..., Any], paths: int
    ) -> "PathFunction": ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
    @property
    def __wrapped__(self) -> Callable[..., Any]: ...
