"""pywin32's ``win32wnet`` on Linux: the WNet functions and the NetBIOS ``Netbios()`` call.

The functions, ``NETRESOURCE``, ``NCB``, ``NCBBuffer`` and ``error`` are those of the native
module ``wnet._native.win32wnet`` (Rust): this file only makes them importable as
``win32wnet``, as pywin32's C extension is. Importing it also installs the path support of
``wnet._paths``: UNC and drive-letter paths reach the share, as on Windows.
"""

from wnet import _paths
from wnet._native import win32wnet as _native

# As on Windows, a connected share is reachable by its UNC path, and a redirected drive by its
# letter, from open(), os, shutil and pathlib (WNET_PATHS=0 turns it off).
_paths.install()

error = _native.error
NETRESOURCE = _native.NETRESOURCE
NETRESOURCEType = _native.NETRESOURCEType
NCB = _native.NCB
NCBType = _native.NCBType
NCBBuffer = _native.NCBBuffer
Netbios = _native.Netbios
WNetAddConnection2 = _native.WNetAddConnection2
WNetAddConnection3 = _native.WNetAddConnection3
WNetCancelConnection2 = _native.WNetCancelConnection2
WNetOpenEnum = _native.WNetOpenEnum
WNetCloseEnum = _native.WNetCloseEnum
WNetEnumResource = _native.WNetEnumResource
WNetGetUser = _native.WNetGetUser
WNetGetUniversalName = _native.WNetGetUniversalName
WNetGetResourceInformation = _native.WNetGetResourceInformation
WNetGetLastError = _native.WNetGetLastError
WNetGetResourceParent = _native.WNetGetResourceParent
WNetGetConnection = _native.WNetGetConnection

del _native, _paths
