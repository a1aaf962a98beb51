"""A pywin32-style script, unchanged from Windows: enumerate the network down to a server's
shares, connect one, list the connections, and read a host's NetBIOS names with Netbios().

    python3 examples/python/win32wnet_tour.py SERVER [USER PASSWORD]
"""

import sys
from typing import List, Optional

import netbios
import win32netcon
import win32wnet


def children(container: Optional[win32wnet.NETRESOURCE]) -> List[win32wnet.NETRESOURCE]:
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, container)
    items: List[win32wnet.NETRESOURCE] = []
    try:
        while True:
            chunk = win32wnet.WNetEnumResource(handle, 0)
            if not chunk:
                return items
            items.extend(chunk)
    finally:
        handle.Close()


def main(argv: List[str]) -> int:
    server = argv[1]
    user = argv[2] if len(argv) > 2 else None
    password = argv[3] if len(argv) > 3 else None
    for provider in children(None):
        print("provider:", provider.lpRemoteName)
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpRemoteName = "\\\\%s\\public" % server
    try:
        win32wnet.WNetAddConnection2(nr, password, user, 0)
    except win32wnet.error as error:
        print("connect failed:", error.winerror, error.strerror)
        return 1
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_CONNECTED, 0, 0, None)
    for item in win32wnet.WNetEnumResource(handle):
        print("connected:", item.lpRemoteName, "as", win32wnet.WNetGetUser(item.lpRemoteName))
    handle.Close()
    # The server's shares, over the session the connection made.
    container = win32wnet.NETRESOURCE()
    container.lpRemoteName = "\\\\" + server
    for share in children(container):
        print("share:", share.lpRemoteName, "-", share.lpComment)
    win32wnet.WNetCancelConnection2(nr.lpRemoteName or "", 0, True)
    # The server's NetBIOS names: NCBRESET, then NCBASTAT into a buffer with room for them.
    ncb = netbios.NCB()
    ncb.Command = netbios.NCBRESET
    netbios.Netbios(ncb)
    ncb.Reset()
    ncb.Command = netbios.NCBASTAT
    ncb.Callname = server
    buf = win32wnet.NCBBuffer(60 + 18 * 32)
    ncb.Buffer = buf
    rc = netbios.Netbios(ncb)
    adapter = netbios.ADAPTER_STATUS()
    adapter._buffer_[:] = buf[:60]
    adapter._unpack()
    names = []
    for i in range(adapter.name_count):
        entry = netbios.NAME_BUFFER()
        entry._buffer_[:] = buf[60 + 18 * i : 78 + 18 * i]
        entry._unpack()
        names.append("%s<%02x>" % (entry.name[:15].decode("cp1252").rstrip(), entry.name[15]))
    print("adapter status:", rc, "names:", ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
