from typing import Any, Literal, Optional, SupportsIndex, SupportsInt, Union

from typing_extensions import disjoint_base

class error(Exception):
    winerror: Any
    funcname: Any
    strerror: Any
    ntstatus: Optional[int]
    detail: Optional[str]
    def __init__(self, *args: Any, **kw: Any) -> None: ...

# A native class: subclasses cannot share a layout with another native base.
@disjoint_base
class HANDLEType:
    @property
    def handle(self) -> int: ...
    def Close(self) -> None: ...
    def close(self) -> None: ...
    def Detach(self) -> int: ...
    def __int__(self) -> int: ...
    def __bool__(self) -> bool: ...

def HANDLE(
    handle: Union[HANDLEType, SupportsInt, SupportsIndex, str, bytes, bytearray, None] = ...,
    /,
) -> HANDLEType: ...

TRUE: Literal[True]
FALSE: Literal[False]
