"""The Pythonic API: shares, a connection as a context manager, names and a scan.

    python3 examples/python/wnet_tour.py SERVER-ADDRESS USER PASSWORD
"""

import sys
from typing import List

import wnet


def main(argv: List[str]) -> int:
    server, user, password = argv[1], argv[2], argv[3]
    for share in wnet.shares(server, user, password):
        print(f"{share.remote_name:30} {share.kind:6} {share.comment}")
    try:
        with wnet.connect(rf"\\{server}\public", user=user, password=password) as conn:
            print("connected with SMB", conn.dialect, "signing" if conn.signing else "")
            print([c.remote_name for c in wnet.connections()])
    except wnet.LogonFailure as error:
        print("wrong password:", error.strerror, hex(error.ntstatus or 0))
    status = wnet.node_status(server)
    print("names:", ", ".join(str(name) for name in status.names), "MAC", status.mac)
    for result in wnet.scan(f"{server}/30", timeout=0.5):
        print(result.address, "silent" if result.status is None else len(result.status.names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
