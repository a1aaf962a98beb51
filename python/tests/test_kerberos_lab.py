"""Kerberos from Python against the AD lab (``lab/ad``): ``wnet.connect(..., auth=...)``
requires one mechanism, a connection made from the caller's tickets runs as their principal
(``WNetGetUser`` says so), and a logon Kerberos cannot make says what to fix.

MIT krb5 reads ``KRB5_CONFIG`` and ``KRB5CCNAME`` from the environment of the agent, which
the first call starts: they are set before it. The lab's names are known only through a
hosts file, bound over ``/etc/hosts`` in a private mount namespace for a child interpreter
(and the agent it starts), as the CLI's tests do; /etc is never written."""

import json
import os
import subprocess
import sys

import pytest

import wnet

TIMEOUT = 120

# The child: connects with auth="kerberos", reads the user back, tries NTLM on the session
# Kerberos made, and prints what it saw.
CHILD = r"""
import json, sys
import win32wnet, wnet
share = sys.argv[1]
seen = {}
with wnet.connect(share, auth="kerberos") as conn:
    seen["authentication"] = conn.authentication
    seen["user"] = conn.user
    seen["signing"] = conn.signing
    seen["get_user"] = win32wnet.WNetGetUser(share)
    try:
        wnet.connect(share.rsplit("\\", 1)[0] + "\\alice", auth="ntlm")
        seen["ntlm"] = "connected"
    except wnet.CredentialConflict as error:
        seen["ntlm"] = error.winerror
print(json.dumps(seen))
"""


def _kinit(ad_lab, cache):
    alice = next(user for user in ad_lab["users"] if user["name"] == "alice")
    done = subprocess.run(
        ["kinit", f"alice@{ad_lab['realm']}"],
        input=alice["password"] + "\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={
            "PATH": "/usr/bin:/bin",
            "KRB5_CONFIG": ad_lab["krb5_conf"],
            "KRB5CCNAME": cache,
        },
    )
    assert done.returncode == 0, f"kinit: {done.stderr}"


@pytest.fixture
def tickets(ad_lab, sandbox, monkeypatch):
    """alice's tickets in a private cache, named by ``KRB5CCNAME`` with the lab's
    krb5.conf: ``(lab status, sandbox)``."""
    cache = f"FILE:{sandbox.root / 'alice.cc'}"
    _kinit(ad_lab, cache)
    monkeypatch.setenv("KRB5_CONFIG", ad_lab["krb5_conf"])
    monkeypatch.setenv("KRB5CCNAME", cache)
    return ad_lab, sandbox


def test_auth_kerberos_connects_with_the_callers_tickets(tickets):
    ad_lab, sandbox = tickets
    fileserver = ad_lab["fileserver"]
    hosts = sandbox.root / "hosts"
    hosts.write_text(
        "127.0.0.1 localhost\n"
        f"{ad_lab['dc']['address']} {ad_lab['dc']['fqdn']} {ad_lab['dc']['name']}\n"
        f"{fileserver['address']} {fileserver['fqdn']} {fileserver['name']}\n"
    )
    share = rf"\\{fileserver['fqdn']}\public"
    child = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"',
            str(hosts),
            sys.executable,
            "-c",
            CHILD,
            share,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "WNET_RESOLVE_ORDER": "hosts"},
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout)
    principal = f"alice@{ad_lab['realm']}"
    assert seen["authentication"] == "Kerberos", seen
    assert seen["user"] == principal, seen
    assert seen["get_user"] == principal, seen
    assert seen["signing"] is True, seen
    # NTLM required on a server whose session Kerberos made: not reused, and said so.
    assert seen["ntlm"] == 1219, seen  # ERROR_SESSION_CREDENTIAL_CONFLICT


def test_auth_kerberos_refuses_an_address_with_no_spn_and_says_why(tickets):
    ad_lab, _ = tickets
    address = ad_lab["fileserver"]["address"]
    # Without auth="kerberos" the address would be logged on with NTLM instead.
    with pytest.raises(wnet.LogonFailure) as raised:
        wnet.connect(rf"\\{address}\public", auth="kerberos")
    error = raised.value
    assert error.winerror == 1396  # ERROR_WRONG_TARGET_NAME
    assert f"cifs/{address}" in (error.detail or ""), error.detail
    assert wnet.connections() == []


def test_auth_takes_only_the_mechanisms_it_names(sandbox):
    with pytest.raises(ValueError, match="auth must be"):
        wnet.connect(r"\\server\share", auth="negotiate")


# A pywin32 script as it runs on a domain-joined Windows machine: WNetAddConnection2 with no
# user and no password, the share then read by UNC path, the user asked back, cancelled.
PYWIN32_CHILD = r"""
import json, sys
import win32netcon, win32wnet
share = sys.argv[1]
resource = win32wnet.NETRESOURCE()
resource.dwType = win32netcon.RESOURCETYPE_DISK
resource.lpRemoteName = share
win32wnet.WNetAddConnection2(resource, None, None)
seen = {"user": win32wnet.WNetGetUser(share)}
with open(share + "\\public.txt") as f:
    seen["text"] = f.read()
win32wnet.WNetCancelConnection2(share, 0, True)
print(json.dumps(seen))
"""


def test_a_pywin32_script_connects_with_the_users_tickets_and_no_password(tickets):
    ad_lab, sandbox = tickets
    fileserver = ad_lab["fileserver"]
    hosts = sandbox.root / "hosts"
    hosts.write_text(
        "127.0.0.1 localhost\n"
        f"{ad_lab['dc']['address']} {ad_lab['dc']['fqdn']} {ad_lab['dc']['name']}\n"
        f"{fileserver['address']} {fileserver['fqdn']} {fileserver['name']}\n"
    )
    share = rf"\\{fileserver['fqdn']}\public"
    child = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"',
            str(hosts),
            sys.executable,
            "-c",
            PYWIN32_CHILD,
            share,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        # NTLM blocked: only the tickets can make this logon.
        env={**os.environ, "WNET_RESOLVE_ORDER": "hosts", "WNET_BLOCK_NTLM": "1"},
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout)
    assert seen["user"] == f"alice@{ad_lab['realm']}", seen
    expected = f"This is the share public on {fileserver['fqdn']}"
    assert seen["text"].startswith(expected), seen
