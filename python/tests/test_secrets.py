"""Passwords given to the Python layer do not outlive their use in the agent it starts.

The agent is the interpreter running ``wnet._agent`` (the extension's own code). A password
reaches it through ``win32wnet.WNetAddConnection2``; once the call has failed (to a loopback
port with nothing listening), the agent's readable memory is searched through
``/proc/PID/mem`` for the password, in UTF-8 and UTF-16LE, and for its tail (a freed block's
first bytes become the allocator's links). The calling process keeps its own ``str``: Python
strings cannot be zeroed (see docs/pywin32-migration.md), so only the agent is searched.
"""

import os
import re
import socket
import time

import pytest

import win32wnet
import win32netcon

TAIL_FROM = 17


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mappings_holding(pid, needles):
    """The ``/proc/PID/maps`` lines of the readable mappings holding any of ``needles``;
    ``None`` when no mapping could be read at all."""
    found = []
    read_any = False
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as memory:
        for line in maps:
            fields = line.split()
            if len(fields) < 2 or not fields[1].startswith("r"):
                continue
            if line.rstrip().endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            start, end = (int(value, 16) for value in fields[0].split("-"))
            try:
                memory.seek(start)
                data = memory.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            read_any = True
            if any(needle in data for needle in needles):
                found.append(line.rstrip())
    return found if read_any else None


def test_the_python_hosted_agent_keeps_no_password_once_it_has_answered(
    sandbox, monkeypatch
):
    monkeypatch.setenv("WNET_SMB_PORTS", str(_closed_port()))
    monkeypatch.setenv("WNET_RESOLVE_ORDER", "hosts")
    monkeypatch.delenv("WNET_AGENT_PROGRAM", raising=False)
    nonce = time.time_ns()
    # One plain, one that JSON escapes (its parser unescapes it into a buffer of its own).
    passwords = [f"Plain-secret-pad-{nonce}-py", f'Escaped\\secret"pad-{nonce}-\\py"']
    resource = win32wnet.NETRESOURCE()
    resource.dwType = win32netcon.RESOURCETYPE_DISK
    resource.lpRemoteName = r"\\127.0.0.1\share"
    for password in passwords:
        with pytest.raises(win32wnet.error):
            win32wnet.WNetAddConnection2(resource, password, "alice", 0)
    pid = sandbox.agent_pid()
    assert pid is not None and pid != os.getpid()
    needles = []
    for password in passwords:
        for text in (password, password[TAIL_FROM:]):
            needles += [text.encode(), text.encode("utf-16-le")]
    # The search finds what the agent does hold: its socket's path.
    try:
        holding_socket = _mappings_holding(pid, [str(sandbox.socket).encode()])
    except PermissionError as error:
        pytest.skip(f"cannot read the agent's memory: {error}")
    if holding_socket is None:
        pytest.skip("cannot read the agent's memory")
    assert holding_socket, "the search finds nothing at all"
    deadline = time.monotonic() + 3
    while True:
        holding = _mappings_holding(pid, needles)
        if not holding or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    log = sandbox.agent_log.read_text() if sandbox.agent_log.exists() else ""
    assert not holding, "a password is still in the agent's memory, in:\n" + "\n".join(holding)
    assert not re.search(str(nonce), log), log
