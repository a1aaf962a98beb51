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
def WNetCancelConnection2(localname: str, dwflags: int, bforce: int, /) -> None: ...
def WNetOpenEnum(
    dwScope: int, dwType: int, dwUsage: int, NETRESOURCE: Optional[NETRESOURCE], /
) -> pywintypes.HANDLEType: ...
def WNetCloseEnum(handle: pywintypes.HANDLEType, /) -> None: ...
def WNetEnumResource(
    handle: pywintypes.HANDLEType, maxExtries: int = ..., /
) -> List[NETRESOURCE]: ...
def WNetGetUser(connectionName: Optional[str] = ..., /) -> str: ...
def WNetGetConnection(connection: Optional[str] = ..., /) -> str: ...
@overload
def WNetGetUniversalName(localPath: str, /) -> str: ...
@overload
def WNetGetUniversalName(localPath: str, infoLevel: int, /) -> Any: ...
def WNetGetResourceInformation(
    NetResource: NETRESOURCE, /
) -> Tuple[NETRESOURCE, Optional[str]]: ...
def WNetGetResourceParent(NetResource: NETRESOURCE, /) -> NETRESOURCE: ...
def WNetGetLastError() -> Tuple[int, str, str]: ...
