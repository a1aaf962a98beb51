"""The WNet functions of win32wnet against the Samba lab (LABSERVER, 198.51.100.2, workgroup
WNETLAB), in both argument forms, with the error tuple of each failure, enumeration of every
scope, threads, and the agent (started as ``python -m wnet._agent``) stopped or killed under
the caller.

Each test has its own runtime and configuration directories, so its own agent, which the
``sandbox`` fixture stops at the end."""

import json
import os
import pathlib
import signal
import threading
import time

import pytest
from conftest import NOBODY, SERVER, SERVER_NAME, WORKGROUP, password

import win32netcon
import win32wnet

PROVIDER = "Microsoft Windows Network"


def unc(share, server=SERVER):
    return rf"\\{server}\{share}"


def resource(remote, local=None, kind=win32netcon.RESOURCETYPE_DISK):
    nr = win32wnet.NETRESOURCE()
    nr.dwType = kind
    nr.lpRemoteName = remote
    nr.lpLocalName = local
    return nr


def connected():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_CONNECTED, 0, 0, None)
    try:
        return win32wnet.WNetEnumResource(handle, -1)
    finally:
        handle.Close()


def connected_names():
    return sorted(item.lpRemoteName for item in connected())


def failure(call, *args, **kwargs):
    with pytest.raises(win32wnet.error) as info:
        call(*args, **kwargs)
    return info.value


@pytest.fixture
def world(lab, sandbox):
    """The lab's shape and this test's sandbox, with a helper for the users' passwords."""
    return lab, sandbox


def test_keyword_form_connects_lists_and_cancels(world):
    lab, box = world
    nr = resource(unc("public"))
    win32wnet.WNetAddConnection2(
        NetResource=nr, Password=password(lab, "wnetalice"), UserName="wnetalice", Flags=0
    )
    items = connected()
    assert [item.lpRemoteName for item in items] == [unc("public")]
    item = items[0]
    assert item.dwScope == win32netcon.RESOURCE_CONNECTED
    assert item.dwType == win32netcon.RESOURCETYPE_DISK
    assert item.dwUsage == win32netcon.RESOURCEUSAGE_CONNECTABLE
    assert item.lpLocalName is None and item.lpProvider == PROVIDER
    assert win32wnet.WNetGetUser(unc("public")).endswith("wnetalice")
    # The agent runs from the installed package, as the extension arranged.
    status = box.agent_pid()
    cmdline = open(f"/proc/{status}/cmdline", "rb").read().split(b"\0")
    assert cmdline[1] == b"-c" and b"from wnet._agent import main" in cmdline[2]
    assert win32wnet.WNetCancelConnection2(unc("public"), 0, True) is None
    assert connected() == []
    e = failure(win32wnet.WNetCancelConnection2, unc("public"), 0, True)
    assert e.args == (2250, "WNetCancelConnection2", "This network connection does not exist.")


def test_positional_forms_connect(world):
    lab, _ = world
    alice = password(lab, "wnetalice")
    # pywin32's legacy form: type, local, remote, provider, user, password (user first).
    win32wnet.WNetAddConnection2(
        win32netcon.RESOURCETYPE_DISK, None, unc("readonly"), None, "wnetalice", alice
    )
    # The NETRESOURCE form, positionally: NetResource, Password, UserName, Flags.
    win32wnet.WNetAddConnection2(resource(unc("alice")), alice, "wnetalice", 0)
    # WNetAddConnection3 with an owner window that does not exist here.
    win32wnet.WNetAddConnection3(None, resource(unc("public")), alice, "wnetalice")
    assert connected_names() == sorted([unc("readonly"), unc("alice"), unc("public")])
    for share in ("readonly", "alice", "public"):
        win32wnet.WNetCancelConnection2(unc(share), 0, False)
    assert connected() == []


def test_legacy_form_with_provider_and_flags(world):
    lab, _ = world
    win32wnet.WNetAddConnection2(
        win32netcon.RESOURCETYPE_DISK,
        None,
        unc("public"),
        PROVIDER,
        "wnetbob",
        password(lab, "wnetbob"),
        win32netcon.CONNECT_TEMPORARY,
    )
    assert win32wnet.WNetGetUser(unc("public")).endswith("wnetbob")
    win32wnet.WNetCancelConnection2(unc("public"), 0, True)


def _is_mounted(path):
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split(" ")[4] == str(path) for line in mountinfo)


def test_a_drive_letter_maps_the_share_in_both_forms(world, tmp_path):
    lab, sandbox = world
    alice = password(lab, "wnetalice")
    share_dir = pathlib.Path(next(s["path"] for s in lab["shares"] if s["name"] == "public"))
    mount = sandbox.runtime_dir / "wnet" / "drives" / "Z"
    name = f"py-drive-{os.getpid()}"

    # The NETRESOURCE form: Z: is mounted, and a file written there is on the server.
    win32wnet.WNetAddConnection2(resource(unc("public"), "Z:"), alice, "wnetalice")
    try:
        assert _is_mounted(mount)
        assert win32wnet.WNetGetConnection("Z:") == unc("public")
        (mount / name).write_bytes(b"written through Z: from Python\n")
        assert (share_dir / name).read_bytes() == b"written through Z: from Python\n"
        assert win32wnet.WNetGetUniversalName(rf"Z:\{name}") == rf"{unc('public')}\{name}"
        assert win32wnet.WNetGetUniversalName(str(mount / name)) == rf"{unc('public')}\{name}"
        # Z: is taken.
        e = failure(win32wnet.WNetAddConnection2, resource(unc("readonly"), "Z:"), alice, "wnetalice")
        assert e.winerror == 85
        # A file open on the drive: the cancel is refused until forced.
        with open(mount / name, "rb"):
            e = failure(win32wnet.WNetCancelConnection2, "Z:", 0, 0)
            assert e.args == (
                2401,
                "WNetCancelConnection2",
                "This network connection has files open or requests pending.",
            )
        win32wnet.WNetCancelConnection2("Z:", 0, 0)
    finally:
        (share_dir / name).unlink(missing_ok=True)
    assert not _is_mounted(mount)

    # The legacy positional form (type, local, remote, provider, user, password).
    win32wnet.WNetAddConnection2(1, "Y:", unc("public"), None, "wnetalice", alice)
    y = sandbox.runtime_dir / "wnet" / "drives" / "Y"
    assert _is_mounted(y)
    assert sorted(os.listdir(y)) == sorted(os.listdir(share_dir))
    win32wnet.WNetCancelConnection2("Y:", 0, 1)
    assert not _is_mounted(y)
    assert connected() == []


def test_error_tuples_of_failures(world):
    lab, _ = world
    e = failure(win32wnet.WNetAddConnection2, resource(unc("public")), "wrong", "wnetalice")
    assert e.args == (1326, "WNetAddConnection2", "The user name or password is incorrect.")
    assert e.ntstatus == 0xC000006D  # STATUS_LOGON_FAILURE, kept
    code, text, provider = win32wnet.WNetGetLastError()
    assert (code, provider) == (1326, PROVIDER) and "0xc000006d" in text
    alice = password(lab, "wnetalice")
    e = failure(win32wnet.WNetAddConnection2, resource(unc("nosuchshare")), alice, "wnetalice")
    assert e.args == (67, "WNetAddConnection2", "The network name cannot be found.")
    assert e.ntstatus == 0xC00000CC  # STATUS_BAD_NETWORK_NAME
    e = failure(win32wnet.WNetAddConnection3, None, resource(unc("x", NOBODY)), alice, "wnetalice")
    assert e.args == (53, "WNetAddConnection3", "The network path was not found.")
    # bob may not use alice's share.
    e = failure(
        win32wnet.WNetAddConnection2, resource(unc("alice")), password(lab, "wnetbob"), "wnetbob"
    )
    assert e.winerror == 5 and e.funcname == "WNetAddConnection2"
    assert connected() == []


def test_a_second_user_for_the_same_server_is_a_credential_conflict(world):
    lab, _ = world
    win32wnet.WNetAddConnection2(resource(unc("public")), password(lab, "wnetalice"), "wnetalice")
    e = failure(
        win32wnet.WNetAddConnection2, resource(unc("readonly")), password(lab, "wnetbob"), "wnetbob"
    )
    assert e.args[:2] == (1219, "WNetAddConnection2")
    assert e.strerror.startswith("Multiple connections to a server or shared resource")
    assert connected_names() == [unc("public")]
    win32wnet.WNetCancelConnection2(unc("public"), 0, True)


def test_a_server_alone_connects_its_ipc_share_for_later_connections(world):
    r"""pywin32's WNetAddConnection2 hands the NETRESOURCE to Windows as it is (win32wnet.cpp
    builds it from the legacy arguments and calls the API), and Windows connects a server
    alone to its IPC$: one logon, listed as \\server\IPC$, cancelled by \\server, which later
    connections without credentials ride. With a device it is ERROR_BAD_NET_NAME (67)."""
    lab, _ = world
    server = rf"\\{SERVER}"
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(0, None, server, None, "wnetalice", alice)
    items = connected()
    assert [item.lpRemoteName for item in items] == [unc("IPC$")]
    assert items[0].dwType == win32netcon.RESOURCETYPE_ANY
    assert win32wnet.WNetGetUser(server).endswith("wnetalice")
    # alice's private share, with no credentials: only her session lets it in.
    win32wnet.WNetAddConnection2(resource(unc("alice")), None, None)
    assert win32wnet.WNetGetUser(unc("alice")).endswith("wnetalice")
    e = failure(win32wnet.WNetAddConnection2, resource(server, "Z:"), alice, "wnetalice")
    assert e.args[:2] == (67, "WNetAddConnection2")
    win32wnet.WNetCancelConnection2(server, 0, True)
    assert connected_names() == [unc("alice")]
    win32wnet.WNetCancelConnection2(unc("alice"), 0, True)
    assert connected() == []


def test_connection_queries_without_a_device(world):
    lab, _ = world
    win32wnet.WNetAddConnection2(resource(unc("public")), password(lab, "wnetalice"), "wnetalice")
    e = failure(win32wnet.WNetGetConnection, "Z:")
    assert e.args[:2] == (2250, "WNetGetConnection")
    e = failure(win32wnet.WNetGetUniversalName, "Z:\\dir\\f.txt", win32netcon.REMOTE_NAME_INFO_LEVEL)
    assert e.args[:2] == (2250, "WNetGetUniversalName (for buffer size)")
    win32wnet.WNetCancelConnection2(unc("public"), 0, True)


@pytest.fixture
def alice_by_default(world, monkeypatch):
    """alice's credentials as the default ones (as WNET_USER/WNET_PASSWORD give them)."""
    lab, _ = world
    monkeypatch.setenv("WNET_USER", "wnetalice")
    monkeypatch.setenv("WNET_PASSWORD", password(lab, "wnetalice"))
    return lab


def children(container, usage=0, kind=win32netcon.RESOURCETYPE_ANY):
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, kind, usage, container)
    items = []
    while True:
        chunk = win32wnet.WNetEnumResource(handle, 2)
        if not chunk:
            break
        items.extend(chunk)
    handle.Close()
    return items


def test_globalnet_walk_from_the_root_to_the_lab_shares(alice_by_default):
    (provider,) = children(None)
    assert provider.lpRemoteName == PROVIDER
    # Right after a lab restart nmbd may not have registered its browse names yet (bounded).
    deadline = time.monotonic() + 30
    while True:
        workgroups = children(provider)
        servers = [
            item
            for group in workgroups
            if group.lpRemoteName.upper() == WORKGROUP
            for item in children(group)
        ]
        if any(item.lpRemoteName.upper() == rf"\\{SERVER_NAME}" for item in servers):
            break
        assert time.monotonic() < deadline, f"no {SERVER_NAME} in {WORKGROUP}"
        time.sleep(1)
    group = next(group for group in workgroups if group.lpRemoteName.upper() == WORKGROUP)
    assert group.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_DOMAIN
    assert group.dwUsage & win32netcon.RESOURCEUSAGE_CONTAINER
    server = next(item for item in servers if item.lpRemoteName.upper() == rf"\\{SERVER_NAME}")
    assert server.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_SERVER
    shares = children(server)
    names = sorted(share.lpRemoteName.rsplit("\\", 1)[1] for share in shares)
    # IPC$ ends in $ and is hidden, as Windows hides it; hidden$ is not browseable at all.
    assert names == ["alice", "public", "readonly"]
    for share in shares:
        assert share.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_SHARE
        assert share.dwUsage == win32netcon.RESOURCEUSAGE_CONNECTABLE
        assert share.dwType == win32netcon.RESOURCETYPE_DISK
        assert share.lpProvider == PROVIDER
    comments = {share.lpRemoteName.rsplit("\\", 1)[1]: share.lpComment for share in shares}
    assert comments["readonly"] == "Read-only share with sample files"
    # A share is not a container; the usage filter keeps containers only.
    e = failure(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_GLOBALNET, 0, 0, shares[0])
    assert e.winerror == 1207
    assert children(server, usage=win32netcon.RESOURCEUSAGE_CONTAINER) == []
    assert len(children(server, kind=win32netcon.RESOURCETYPE_DISK)) == 3
    assert children(server, kind=win32netcon.RESOURCETYPE_PRINT) == []


def test_a_server_named_by_hand_and_its_information(alice_by_default):
    server = win32wnet.NETRESOURCE()
    server.lpRemoteName = rf"\\{SERVER}"
    names = sorted(item.lpRemoteName for item in children(server))
    assert names == [unc("alice"), unc("public"), unc("readonly")]
    found, rest = win32wnet.WNetGetResourceInformation(resource(unc("readonly") + r"\docs\readme.txt"))
    assert found.lpRemoteName == unc("readonly") and found.lpProvider == PROVIDER
    assert found.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_SHARE
    assert rest == r"\docs\readme.txt"
    e = failure(win32wnet.WNetGetResourceInformation, resource(unc("readonly") + r"\no\such"))
    assert e.funcname == "WNetGetResourceInformation" and e.winerror in (2, 3, 67)
    found, rest = win32wnet.WNetGetResourceInformation(resource(rf"\\{SERVER_NAME}"))
    assert found.lpRemoteName == rf"\\{SERVER_NAME}" and rest is None
    parent = win32wnet.WNetGetResourceParent(resource(unc("public")))
    assert parent.lpRemoteName == rf"\\{SERVER}"
    parent.lpProvider = PROVIDER
    grandparent = win32wnet.WNetGetResourceParent(parent)
    assert grandparent.lpRemoteName.upper() == WORKGROUP
    assert grandparent.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_DOMAIN


def test_remembered_connections(world):
    _, box = world
    (box.config_dir / "remembered.json").write_text(
        json.dumps(
            {
                "version": 1,
                "connections": [
                    {
                        "local_name": "Y:",
                        "remote_name": unc("public"),
                        "user_name": "wnetalice",
                        "provider": PROVIDER,
                        "resource_type": 1,
                        "flags": 1,
                    }
                ],
            }
        )
    )
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_REMEMBERED, 0, 0, None)
    (item,) = win32wnet.WNetEnumResource(handle)
    handle.Close()
    assert (item.dwScope, item.lpLocalName, item.lpRemoteName) == (3, "Y:", unc("public"))
    assert item.dwUsage == win32netcon.RESOURCEUSAGE_CONNECTABLE and item.lpProvider == PROVIDER
    e = failure(win32wnet.WNetGetConnection, "Y:")
    assert e.args == (
        1201,
        "WNetGetConnection",
        "The device is not currently connected but it is a remembered connection.",
    )
    assert win32wnet.WNetGetUser("Y:") == "wnetalice"
    e = failure(win32wnet.WNetGetUniversalName, "Y:\\dir")
    assert e.winerror == 1201
    e = failure(win32wnet.WNetOpenEnum, win32netcon.RESOURCE_REMEMBERED, 0, 0, resource("x"))
    assert e.winerror == 87
    win32wnet.WNetCancelConnection2("Y:", win32netcon.CONNECT_UPDATE_PROFILE, True)
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_REMEMBERED, 0, 0, None)
    assert win32wnet.WNetEnumResource(handle) == []


def test_eight_threads_connect_and_enumerate_at_once(alice_by_default):
    lab = alice_by_default
    shares = ["public", "readonly", "alice"]
    errors = []
    listings = []

    def work(index):
        try:
            share = shares[index % len(shares)]
            win32wnet.WNetAddConnection2(resource(unc(share)), password(lab, "wnetalice"), "wnetalice")
            server = win32wnet.NETRESOURCE()
            server.lpRemoteName = rf"\\{SERVER}"
            listings.append(sorted(item.lpRemoteName for item in children(server)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert listings == [[unc("alice"), unc("public"), unc("readonly")]] * 8
    assert set(connected_names()) == {unc(share) for share in shares}
    for share in shares:
        win32wnet.WNetCancelConnection2(unc(share), 0, True)


def test_the_gil_is_released_during_network_calls(world):
    lab, _ = world
    outcome = []

    def slow():
        # Nothing answers there: the call waits for its SMB timeout (seconds).
        try:
            win32wnet.WNetAddConnection2(resource(unc("x", NOBODY)), "pw", "wnetalice")
        except win32wnet.error as error:
            outcome.append(error.winerror)

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    time.sleep(0.2)
    spins = 0
    while time.monotonic() - started < 1.2:
        spins += 1
    assert thread.is_alive(), "the call ended too soon to tell"
    assert spins > 10_000, "Python did not run while the call was in progress"
    thread.join(30)
    assert outcome == [53]


def test_after_the_agent_stops_or_dies(world):
    lab, box = world
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(resource(unc("public")), alice, "wnetalice")
    first = box.agent_pid()
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_CONNECTED, 0, 0, None)
    box.stop_agent()
    assert box.agent_pid() is None
    # The connections went with the agent; queries answer cleanly, none starts an agent.
    assert connected() == []
    e = failure(win32wnet.WNetCancelConnection2, unc("public"), 0, True)
    assert e.winerror == 2250
    assert box.agent_pid() is None
    # A handle opened before still enumerates what it held.
    assert [item.lpRemoteName for item in win32wnet.WNetEnumResource(handle)] == [unc("public")]
    handle.Close()
    # The next connection starts a new agent.
    win32wnet.WNetAddConnection2(resource(unc("public")), alice, "wnetalice")
    second = box.agent_pid()
    assert second is not None and second != first
    # Killed outright (our own agent, by its PID): the next call starts another.
    os.kill(second, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while box.agent_pid() is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert connected() == []
    win32wnet.WNetAddConnection2(resource(unc("readonly")), alice, "wnetalice")
    assert connected_names() == [unc("readonly")]
    assert box.agent_pid() not in (None, first, second)
    win32wnet.WNetCancelConnection2(unc("readonly"), 0, True)


def test_ctrl_c_interrupts_a_blocking_call_within_a_second(world, monkeypatch):
    # The agent this call starts gives up on the silent host after 2 s per step.
    monkeypatch.setenv("WNET_SMB_TIMEOUT", "2")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        win32wnet.WNetAddConnection2(resource(unc("x", NOBODY)), "pw", "wnetalice")
    interrupted = time.monotonic() - started
    timer.join()
    assert interrupted < 1.3, f"the interrupt took {interrupted:.2f} s"
    # The abandoned call ends on its own thread (bounded by the agent's timeouts) before the
    # sandbox stops the agent; a later call works.
    time.sleep(max(0.0, started + 6 - time.monotonic()))
    assert connected() == []


def test_the_agent_starts_from_a_directory_holding_another_wnet(world, tmp_path, monkeypatch):
    lab, _ = world
    impostor = tmp_path / "cwd" / "wnet"
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("raise ImportError('not the installed wnet')\n")
    monkeypatch.chdir(impostor.parent)
    win32wnet.WNetAddConnection2(resource(unc("public")), password(lab, "wnetalice"), "wnetalice")
    assert connected_names() == [unc("public")]
    win32wnet.WNetCancelConnection2(unc("public"), 0, True)


def test_forward_slash_names_are_accepted_and_answered_in_windows_form(world):
    lab, _ = world
    forward = f"//{SERVER}/public"
    win32wnet.WNetAddConnection2(resource(forward), password(lab, "wnetalice"), "wnetalice")
    assert connected_names() == [unc("public")]
    assert win32wnet.WNetGetUser(forward) == win32wnet.WNetGetUser(unc("public"))
    win32wnet.WNetCancelConnection2(unc("public"), 0, True)
    assert connected() == []
