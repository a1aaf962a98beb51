"""wnet: the Windows Networking API (WNet and NetBIOS) on Linux.

This package is the Pythonic front of the Rust crates: ``connect`` (a context manager),
``connections``, ``shares``, ``browse``, ``neighbourhood``, ``workgroups``, ``universal_name``, ``dfs_targets``,
``lookup``, ``node_status`` and ``scan`` return frozen dataclasses; ``open_file``, ``listdir``, ``scandir``,
``stat``, ``walk``, ``copyfile``… reach a share's files straight over the agent's session, as
smbprotocol's ``smbclient`` module does (``wnet._files``); failures raise ``wnet.Error`` and its
subclasses, which are also ``pywintypes.error``. ``wnet.aio`` has asyncio variants. The
pywin32-compatible modules (``win32wnet``, ``win32netcon``, ``netbios``, ``pywintypes``) are
installed beside it. Importing it lets ``open``, ``os``, ``shutil`` and ``pathlib`` take UNC
paths and redirected drive letters' paths (``wnet._paths``; ``WNET_PATHS=0`` turns it off).
"""

from wnet._api import (
    Connection,
    DfsReferral,
    DfsTargets,
    NameAddress,
    NodeName,
    NodeStatus,
    ScanResult,
    Server,
    Share,
    UniversalName,
    browse,
    connect,
    connections,
    dfs_targets,
    disconnect,
    lookup,
    neighbourhood,
    node_status,
    scan,
    shares,
    universal_name,
    workgroup_sources,
    workgroups,
)
from wnet._errors import (
    AccessDenied,
    BadNetName,
    BadNetPath,
    CredentialConflict,
    Error,
    LogonFailure,
    NameNotFound,
    NoNetwork,
    NotConnected,
    NotSupported,
    Timeout,
)
from wnet._files import (
    copyfile,
    copytree,
    listdir,
    lstat,
    makedirs,
    mkdir,
    open_file,
    remove,
    rename,
    replace,
    rmdir,
    rmtree,
    scandir,
    stat,
    unlink,
    walk,
)
from wnet._native import __version__
from wnet._paths import install as _install_paths
from wnet._paths import local_path

# UNC and drive-letter paths reach the share from open(), os, shutil and pathlib
# (wnet._paths; WNET_PATHS=0 turns it off).
_install_paths()

__all__ = [
    "AccessDenied",
    "BadNetName",
    "BadNetPath",
    "Connection",
    "CredentialConflict",
    "DfsReferral",
    "DfsTargets",
    "Error",
    "LogonFailure",
    "NameAddress",
    "NameNotFound",
    "NoNetwork",
    "NodeName",
    "NodeStatus",
    "NotConnected",
    "NotSupported",
    "ScanResult",
    "Server",
    "Share",
    "Timeout",
    "UniversalName",
    "__version__",
    "browse",
    "connect",
    "connections",
    "copyfile",
    "copytree",
    "dfs_targets",
    "disconnect",
    "listdir",
    "local_path",
    "lookup",
    "lstat",
    "makedirs",
    "mkdir",
    "neighbourhood",
    "node_status",
    "open_file",
    "remove",
    "rename",
    "replace",
    "rmdir",
    "rmtree",
    "scan",
    "scandir",
    "shares",
    "stat",
    "universal_name",
    "unlink",
    "walk",
    "workgroup_sources",
    "workgroups",
]
