"""The Pythonic ``wnet`` API against the Samba lab: connections as context managers, share
and server listings as frozen dataclasses, name lookup, node status and scans of the lab's
link, the exception hierarchy (also ``pywintypes.error``), and the asyncio variants."""

import asyncio
import dataclasses

import pytest
from conftest import NOBODY, SERVER, SERVER_NAME, WORKGROUP, password

import pywintypes
import wnet


@pytest.fixture
def world(lab, sandbox):
    return lab, sandbox


def test_connect_is_a_context_manager_that_cancels(world):
    lab, _ = world
    remote = rf"\\{SERVER}\public"
    with wnet.connect(remote, user="wnetalice", password=password(lab, "wnetalice")) as conn:
        assert isinstance(conn, wnet.Connection)
        assert conn.remote_name == remote and conn.local_name is None
        assert conn.user.endswith("wnetalice")
        assert conn.dialect.startswith(("2.", "3."))
        assert [c.remote_name for c in wnet.connections()] == [remote]
        with pytest.raises(dataclasses.FrozenInstanceError):
            conn.user = "someone"  # type: ignore[misc]
    assert wnet.connections() == []
    # Forward slashes are accepted too.
    conn = wnet.connect(f"//{SERVER}/readonly", "wnetalice", password(lab, "wnetalice"))
    assert len(wnet.connections()) == 1
    wnet.disconnect(conn.remote_name)
    assert wnet.connections() == []


def test_errors_are_a_hierarchy_and_pywintypes_errors(world):
    lab, _ = world
    with pytest.raises(wnet.LogonFailure) as info:
        wnet.connect(rf"\\{SERVER}\public", "wnetalice", "wrong")
    error = info.value
    assert isinstance(error, wnet.Error) and isinstance(error, pywintypes.error)
    assert (error.winerror, error.funcname) == (1326, "WNetAddConnection2")
    assert error.ntstatus == 0xC000006D
    with pytest.raises(wnet.BadNetName):
        wnet.connect(rf"\\{SERVER}\nosuchshare", "wnetalice", password(lab, "wnetalice"))
    with pytest.raises(wnet.BadNetPath):
        wnet.connect(rf"\\{NOBODY}\public", "wnetalice", "pw")
    with pytest.raises(wnet.NotConnected):
        wnet.disconnect(rf"\\{SERVER}\public")
    # A device: the share is mounted there while the context lasts.
    with wnet.connect(
        rf"\\{SERVER}\public", "wnetalice", password(lab, "wnetalice"), device="Z:"
    ) as drive:
        assert drive.local_name == "Z:"
        assert [c.local_name for c in wnet.connections()] == ["Z:"]
        assert wnet.universal_name("Z:\\").universal_name == rf"\\{SERVER}\public"
    assert wnet.connections() == []
    wnet.connect(rf"\\{SERVER}\public", "wnetalice", password(lab, "wnetalice"))
    with pytest.raises(wnet.CredentialConflict) as info:
        wnet.connect(rf"\\{SERVER}\readonly", "wnetbob", password(lab, "wnetbob"))
    assert info.value.winerror == 1219
    wnet.disconnect(rf"\\{SERVER}\public")


def test_shares_and_browsing(world):
    lab, _ = world
    alice = password(lab, "wnetalice")
    found = list(wnet.shares(SERVER, "wnetalice", alice))
    assert sorted(share.name for share in found) == ["alice", "public", "readonly"]
    readonly = next(share for share in found if share.name == "readonly")
    assert readonly == wnet.Share(
        name="readonly",
        remote_name=rf"\\{SERVER}\readonly",
        kind="disk",
        special=False,
        comment="Read-only share with sample files",
    )
    every = {s.name: s for s in wnet.shares(rf"\\{SERVER}", "wnetalice", alice, hidden=True)}
    # IPC$ is listed with hidden=True; hidden$ is not browseable in the lab's smb.conf, so
    # Samba leaves it out of the listing altogether.
    assert set(every) == {"alice", "public", "readonly", "IPC$"}
    assert every["IPC$"].kind == "ipc" and every["IPC$"].special and every["IPC$"].hidden
    assert WORKGROUP in [group.upper() for group in wnet.workgroups()]
    servers = list(wnet.browse(WORKGROUP))
    assert any(s.name.upper() == SERVER_NAME and s.address == SERVER for s in servers)
    assert all(s.workgroup == WORKGROUP for s in servers)
    # This machine's workgroup (WNET_WORKGROUP) by default.
    default = list(wnet.browse())
    assert default and all(s.workgroup == WORKGROUP for s in default)


def test_lookup_and_node_status(world):
    found = wnet.lookup(SERVER_NAME)
    assert wnet.NameAddress(SERVER, False) in found
    assert any(item.group for item in wnet.lookup(f"{WORKGROUP}#00"))
    with pytest.raises(wnet.NameNotFound) as info:
        wnet.lookup("NOSUCHHOST", timeout=1)
    assert isinstance(info.value, wnet.BadNetPath) and info.value.winerror == 53
    status = wnet.node_status(SERVER)
    assert status.address == SERVER
    assert status.has(SERVER_NAME, 0x20) and status.has(WORKGROUP, 0x00)
    assert any(str(name) == f"{SERVER_NAME}<20>" for name in status.names)
    assert len(status.mac) == 17
    with pytest.raises(wnet.Timeout) as info:
        wnet.node_status(NOBODY, timeout=0.4)
    assert info.value.winerror == 121
    with pytest.raises(ValueError):
        wnet.node_status("not an address")


def test_name_queries_from_eight_threads_share_one_runtime(world):
    # Node status shares one socket and one runtime across threads, each query matched to its
    # answer; lookups and silent hosts mixed in must not hold the others up or cross answers.
    import threading

    errors = []
    statuses = []

    def work(index):
        try:
            for _ in range(5):
                if index % 4 == 3:
                    with pytest.raises(wnet.Timeout):
                        wnet.node_status(NOBODY, timeout=0.3)
                elif index % 4 == 2:
                    assert wnet.NameAddress(SERVER, False) in wnet.lookup(SERVER_NAME)
                else:
                    statuses.append(wnet.node_status(SERVER, timeout=3))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(statuses) == 4 * 5
    assert all(status == statuses[0] and status.has(SERVER_NAME, 0x20) for status in statuses)


def test_a_forked_child_queries_on_its_own(world):
    import os

    assert wnet.node_status(SERVER).has(SERVER_NAME, 0x20)  # the parent's runtime exists
    child = os.fork()
    if child == 0:
        try:
            ok = wnet.node_status(SERVER, timeout=3).has(SERVER_NAME, 0x20)
        except BaseException:  # noqa: BLE001 - the exit code says it
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert wnet.node_status(SERVER).has(SERVER_NAME, 0x20)  # and the parent's still works


def test_scan_reports_every_address_as_it_arrives(world):
    results = list(wnet.scan([f"{SERVER}", "198.51.100.76-78"], timeout=0.3, retries=0))
    by_address = {result.address: result for result in results}
    assert set(by_address) == {SERVER, "198.51.100.76", "198.51.100.77", "198.51.100.78"}
    assert by_address[SERVER].status is not None
    assert by_address[SERVER].status.has(SERVER_NAME, 0x20)
    assert by_address[NOBODY].status is None
    # The answering host comes before the silent ones time out.
    assert results[0].address == SERVER
    with pytest.raises(ValueError):
        list(wnet.scan("not a target"))


def test_asyncio_variants(world):
    lab, _ = world

    async def main():
        found, status = await asyncio.gather(wnet.aio.lookup(SERVER_NAME), wnet.aio.node_status(SERVER))
        conn = await wnet.aio.connect(rf"\\{SERVER}\public", "wnetalice", password(lab, "wnetalice"))
        scanned = [result async for result in wnet.aio.scan(SERVER, timeout=0.5)]
        return found, status, conn, scanned

    import wnet.aio  # noqa: F401 - the submodule under test

    found, status, conn, scanned = asyncio.run(main())
    assert wnet.NameAddress(SERVER, False) in found
    assert status.has(SERVER_NAME, 0x20)
    assert [result.address for result in scanned] == [SERVER]
    conn.close()
    assert wnet.connections() == []


def test_universal_name_of_an_unmapped_path(world):
    with pytest.raises(wnet.NotConnected):
        wnet.universal_name("Z:\\dir")


def test_the_example_scripts_run_against_the_lab(world):
    import os
    import pathlib
    import subprocess
    import sys

    lab, _ = world
    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
    alice = password(lab, "wnetalice")
    for script, expected in (
        ("win32wnet_tour.py", rf"share: \\{SERVER}\readonly - Read-only share"),
        ("win32wnet_tour.py", f"{SERVER_NAME}<20>"),
        ("wnet_tour.py", f"names: {SERVER_NAME}<00>"),
        ("wnet_tour.py", "connected with SMB 3."),
    ):
        result = subprocess.run(
            [sys.executable, str(examples / script), SERVER, "wnetalice", alice],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout, result.stdout
    assert wnet.connections() == []


def test_ctrl_c_interrupts_a_name_query_within_a_second(world):
    import os
    import signal
    import threading
    import time

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        wnet.node_status(NOBODY, timeout=3)
    timer.join()
    assert time.monotonic() - started < 1.3
