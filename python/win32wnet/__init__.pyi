from typing import Any, List, Optional, Tuple, Union, final, overload

import pywintypes

error = pywintypes.error

@final
class NETRESOURCE:
    dwScope: int
    dwType: int
    dwDisplayType: int
    dwUsage: int
    lpLocalName: Optional[str]
    lpRemoteName: Optional[str]
    lpComment: Optional[str]
    lpProvider: Optional[str]
    def __init__(self) -> None: ...

NETRESOURCEType = NETRESOURCE

@final
class NCB:
    Command: int
    Retcode: int
    Lsn: int
    Num: int
    @property
    def Bufflen(self) -> int: ...
    Buffer: Any
    Callname: Union[str, bytes]
    Name: Union[str, bytes]
    Rto: int
    Sto: int
    Lana_num: int
    Cmd_cplt: int
    Event: int
    Post: int
    def __init__(self) -> None: ...
    def Reset(self) -> None: ...

NCBType = NCB

def NCBBuffer(size: int, /) -> memoryview: ...
def Netbios(ncb: NCB, /) -> int: ...
@overload
def WNetAddConnection2(
    NetResource: NETRESOURCE,
    Password: Optional[str] = ...,
    UserName: Optional[str] = ...,
    Flags: int = ...,
) -> None: ...
@overload
def WNetAddConnection2(
    dwType: int,
    lpLocalName: Optional[str],
    lpRemoteName: str,
    lpProviderName: Optional[str] = ...,
    Username: Optional[str] = ...,
    Password: Optional[str] = ...,
    flags: int = ...,
    /,
) -> None: ...
def WNetAddConnection3(
    HwndOwner: Any,
    NetResource: NETRESOURCE,
    Password: Optional[str] = ...,
    UserName: Optional[str] = ...,
    Flags: int = ...,
) -> None: ...
def WNetCancelConnection2(name: str, flags: int, force: int, /) -> None: ...
def WNetOpenEnum(
    scope: int, resource_type: int, usage: int, resource: Optional[NETRESOURCE], /
) -> pywintypes.HANDLEType: ...
def WNetCloseEnum(handle: pywintypes.HANDLEType, /) -> None: ...
def WNetEnumResource(
    handle: pywintypes.HANDLEType, count: Optional[int] = ..., /
) -> List[NETRESOURCE]: ...
def WNetGetUser(connection: Optional[str] = ..., /) -> str: ...
def WNetGetConnection(connection: Optional[str] = ..., /) -> str: ...
@overload
def WNetGetUniversalName(local_path: str, level: None = ..., /) -> str: ...
@overload
def WNetGetUniversalName(local_path: str, level: int, /) -> Any: ...
def WNetGetResourceInformation(
    resource: NETRESOURCE, /
) -> Tuple[NETRESOURCE, Optional[str]]: ...
def WNetGetResourceParent(resource: NETRESOURCE, /) -> NETRESOURCE: ...
def WNetGetLastError() -> Tuple[int, str, str]: ...
