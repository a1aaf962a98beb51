"""The merged network neighbourhood from Python, on lab/netns's announcers: NBHOST1 answers
NetBIOS only, WSDHOST WS-Discovery only (in WNETWSD, a workgroup nothing else knows), MDNSHOST
mDNS only, ALLHOST all three. ``wnet.neighbourhood()`` lists each once with its sources;
pywin32's GLOBALNET walk reaches the workgroup known only from WS-Discovery and its server.

Multicast goes only to the lab's bridge, broadcasts only to the lab's subnet."""

import fcntl
import json
import os
import pathlib
import subprocess
import time

import pytest

import win32netcon
import win32wnet
import wnet
from conftest import LAB_DIR


@pytest.fixture(scope="module")
def netns_lab():
    """lab/netns up, held shared for the module: its ``status --json``."""
    lock_dir = pathlib.Path(os.environ.get("TMPDIR") or "/tmp") / "wnet-lab"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lease = open(lock_dir / "netns.tests.lock", "a")
    fcntl.flock(lease, fcntl.LOCK_SH)
    try:
        run = lambda *args: subprocess.run(  # noqa: E731
            [str(LAB_DIR / "netns"), *args],
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        up = run("up")
        if up.returncode == 77:
            pytest.skip(up.stderr.strip())
        assert up.returncode == 0, f"lab/netns up failed: {up.stderr}"
        status = run("status", "--json")
        assert status.returncode == 0, status.stderr
        yield json.loads(status.stdout)
    finally:
        lease.close()


@pytest.fixture
def in_the_lab(netns_lab, sandbox, monkeypatch):
    monkeypatch.setenv("WNET_BROADCAST_ADDRESSES", netns_lab["broadcast"])
    monkeypatch.setenv("WNET_DISCOVERY_INTERFACES", netns_lab["bridge"]["name"])
    monkeypatch.setenv("WNET_WORKGROUP", netns_lab["nmbd"]["workgroup"])
    monkeypatch.delenv("WNET_WINS_SERVERS", raising=False)
    return netns_lab


def announcers(lab):
    return {
        host["name"]: (host["address"], tuple(host["announces"]))
        for host in lab["hosts"]
        if host["announces"]
    }


def until(found, attempt, limit=30.0):
    """``attempt()`` again until ``found`` holds of its result (nmbd may still be registering
    its names right after the lab came up), at most ``limit`` seconds: the last result."""
    deadline = time.monotonic() + limit
    while True:
        result = attempt()
        if found(result) or time.monotonic() >= deadline:
            return result
        time.sleep(0.5)


def test_neighbourhood_lists_each_announcer_once_with_its_sources(in_the_lab):
    wanted = announcers(in_the_lab)
    assert len(wanted) >= 4, in_the_lab["hosts"]

    def seen(servers):
        return {server.name: (server.address, server.sources) for server in servers}

    servers = until(
        lambda servers: all(seen(servers).get(name) == shape for name, shape in wanted.items()),
        wnet.neighbourhood,
    )
    names = [server.name for server in servers]
    assert len(names) == len(set(names)), names
    for name, shape in wanted.items():
        assert seen(servers).get(name) == shape, (name, servers)
    by_name = {server.name: server for server in servers}
    assert by_name["WSDHOST"].workgroup == "WNETWSD"
    assert by_name["MDNSHOST"].workgroup == ""


def test_browse_lists_mdns_servers_in_this_machines_workgroup(in_the_lab):
    workgroup = in_the_lab["nmbd"]["workgroup"]
    servers = until(
        lambda servers: {"ALLHOST", "MDNSHOST", "NBHOST1"} <= {s.name for s in servers},
        lambda: list(wnet.browse()),
    )
    names = {server.name for server in servers}
    assert {"ALLHOST", "MDNSHOST", "NBHOST1"} <= names, servers
    assert "WSDHOST" not in names
    assert all(server.workgroup == workgroup for server in servers)
    assert wnet.workgroup_sources().get("WNETWSD") == ("wsd",)


def children(container):
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_GLOBALNET, 0, 0, container)
    items = []
    while True:
        chunk = win32wnet.WNetEnumResource(handle, 16)
        if not chunk:
            break
        items.extend(chunk)
    handle.Close()
    return items


def test_globalnet_reaches_a_workgroup_known_only_from_ws_discovery(in_the_lab):
    (provider,) = children(None)
    workgroups = {item.lpRemoteName.upper(): item for item in children(provider)}
    assert "WNETWSD" in workgroups, sorted(workgroups)
    group = workgroups["WNETWSD"]
    assert group.dwDisplayType == win32netcon.RESOURCEDISPLAYTYPE_DOMAIN
    servers = [item.lpRemoteName for item in children(group)]
    assert servers == [r"\\WSDHOST"], servers
