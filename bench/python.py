"""bench/python: the Python package against the Python peers, in one run on the Samba lab.

- node status of the lab server: ``wnet.node_status`` against impacket's
  ``NetBIOS.getnodestatus`` and pysmb's ``NetBIOS.queryIPForName``, beside the floor (a
  hand-made request on a bare UDP socket, its answer unparsed);
- a server's share list: ``wnet.shares`` (agent running, and agent started on demand)
  against impacket's ``SMBConnection.listShares`` and pysmb's ``SMBConnection.listShares``
  (each a whole connect, authenticate, list, log off; smbprotocol has no share listing);
- ``wnet.scan`` of 1,024 loopback addresses against the ``wnet scan`` command;
- attribute reads on ``NETRESOURCE``/``NCB`` against a plain Python object.

A benchmark, not a test: run by ``bash bench/python`` (which sets the environment up), prints
medians and ratios. Traffic goes to the lab (198.51.100.2) and to loopback only.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
import timeit

SERVER = "198.51.100.2"
USER = "wnetalice"


def median_ms(call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def interleaved_medians_ms(calls, runs):
    """The median time of each of ``calls``, run one after another ``runs`` times round."""
    times = [[] for _ in calls]
    for _ in range(runs):
        for call, spent in zip(calls, times):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) * 1000 for spent in times]


def row(label, ms, base=None):
    ratio = "" if base is None else f"   {ms / base:.2f}x"
    print(f"  {label:52} {ms:9.3f} ms{ratio}")


def main(runs, password, wnet_cli):
    import wnet
    from wnet import _native

    from impacket.nmb import NetBIOS as ImpacketNetBIOS
    from impacket.smbconnection import SMBConnection as ImpacketConnection
    from nmb.NetBIOS import NetBIOS as PysmbNetBIOS
    from smb.SMBConnection import SMBConnection as PysmbConnection

    def impacket_status():
        names = ImpacketNetBIOS().getnodestatus("*", destaddr=SERVER, timeout=2)
        assert names

    pysmb_nb = PysmbNetBIOS(broadcast=False)

    def pysmb_status():
        assert pysmb_nb.queryIPForName(SERVER, timeout=2)

    def wnet_status():
        assert wnet.node_status(SERVER, timeout=2).names

    # The floor: one hand-made NBSTAT request for "*" on a bare UDP socket, and its answer
    # received, with no parsing; no library can be faster than the network and nmbd.
    encoded_star = b"CK" + b"AA" * 15
    nbstat_request = (
        b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        + b"\x20" + encoded_star + b"\x00\x00\x21\x00\x01"
    )
    floor_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    floor_socket.settimeout(2)

    def bare_socket_status():
        floor_socket.sendto(nbstat_request, (SERVER, 137))
        assert floor_socket.recv(2048)[:2] == nbstat_request[:2]

    print(f"== node status of {SERVER} (median of {runs})")
    for call in (bare_socket_status, impacket_status, pysmb_status, wnet_status):
        call()  # warm up
    # Round robin, so that the link's drift over the run weighs on every client alike (one
    # round trip is ~0.07 ms; a block of runs after another sees a different link).
    floor_ms, impacket_ms, pysmb_ms, wnet_ms = interleaved_medians_ms(
        (bare_socket_status, impacket_status, pysmb_status, wnet_status), runs
    )
    floor_socket.close()
    fastest = min(impacket_ms, pysmb_ms)
    row("a bare UDP socket (the floor: no parsing)", floor_ms, fastest)
    row("impacket NetBIOS.getnodestatus", impacket_ms, fastest)
    row("pysmb NetBIOS.queryIPForName", pysmb_ms, fastest)
    row("wnet.node_status", wnet_ms, fastest)

    def impacket_shares():
        conn = ImpacketConnection(SERVER, SERVER, timeout=10)
        conn.login(USER, password)
        assert conn.listShares()
        conn.logoff()
        conn.close()

    def pysmb_shares():
        conn = PysmbConnection(USER, password, "wnetbench", "LABSERVER", use_ntlm_v2=True,
                               is_direct_tcp=True)  # fmt: skip
        assert conn.connect(SERVER, 445, timeout=10)
        assert conn.listShares(timeout=10)
        conn.close()

    def wnet_shares():
        assert list(wnet.shares(SERVER, USER, password))

    def wnet_shares_cold():
        _native._agent_stop()
        wnet_shares()

    print(f"== the share list of {SERVER} (median of {runs})")
    for call in (impacket_shares, pysmb_shares, wnet_shares):
        call()
    impacket_ms = median_ms(impacket_shares, runs)
    pysmb_ms = median_ms(pysmb_shares, runs)
    warm_ms = median_ms(wnet_shares, runs)
    cold_ms = median_ms(wnet_shares_cold, runs)
    fastest = min(impacket_ms, pysmb_ms)
    row("impacket SMBConnection.listShares (whole)", impacket_ms, fastest)
    row("pysmb SMBConnection.listShares (whole)", pysmb_ms, fastest)
    row("wnet.shares, agent running", warm_ms, fastest)
    row("wnet.shares, agent started on demand", cold_ms, fastest)
    _native._agent_stop()

    print(f"== node-status scan of 127.0.0.0/22, 1,024 addresses (median of {min(runs, 5)})")

    def cli_scan():
        subprocess.run([wnet_cli, "--timeout", "300ms", "scan", "127.0.0.0/22"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip

    def python_scan():
        assert len(list(wnet.scan("127.0.0.0/22", timeout=0.3))) == 1024

    cli_ms = median_ms(cli_scan, min(runs, 5))
    py_ms = median_ms(python_scan, min(runs, 5))
    row("wnet scan (command)", cli_ms, cli_ms)
    row("wnet.scan (Python)", py_ms, cli_ms)

    import win32wnet

    class Plain:
        def __init__(self):
            self.dwType = 1
            self.Command = 0x33

    plain = Plain()
    nr = win32wnet.NETRESOURCE()
    nr.dwType = 1
    ncb = win32wnet.NCB()
    ncb.Command = 0x33
    print("== attribute reads (best of 5 x 1,000,000)")
    number = 1_000_000
    base = None
    for label, stmt, env in (
        ("plain object .dwType", "o.dwType", {"o": plain}),
        ("NETRESOURCE.dwType", "o.dwType", {"o": nr}),
        ("NCB.Command", "o.Command", {"o": ncb}),
    ):
        best = min(timeit.repeat(stmt, globals=env, number=number, repeat=5))
        base = base or best
        print(f"  {label:52} {best / number * 1e9:9.1f} ns   {best / base:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]), os.environ["WNET_BENCH_PASSWORD"], sys.argv[2])
