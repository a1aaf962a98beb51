"""DFS from unchanged pywin32 scripts and the Python API, against the AD lab's namespaces
(``lab/ad``): ``WNetAddConnection2`` to a link, ``WNetGetUniversalName``,
``WNetGetResourceInformation`` and ``WNetGetResourceParent`` of namespace paths, ``open`` of a
UNC path that crosses two links, and ``wnet.open_file`` reading and writing through links.

A path names what the user typed (``\\\\fs1.corp.example.test\\dfs\\mirror``), never the link's
target; which target a read landed on is told by the ``target.txt`` each target holds.

The lab's names are known only through a hosts file, bound over ``/etc/hosts`` in a private
mount namespace for a child interpreter (and the agent it starts, with the drives it mounts),
as the Kerberos lab tests do; /etc is never written. DNS, which finds the domain's
controllers, is asked of the lab's DC alone."""

import json
import os
import subprocess
import sys

import pytest
from conftest import password

TIMEOUT = 120

# Every child starts with this: the NETRESOURCE of a disk, and a call whose exception comes
# back as data, so that one child reports every step.
PRELUDE = r"""
import json, os, sys
import win32netcon, win32wnet, wnet
args = json.loads(sys.argv[1])
def resource(remote, local=None):
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpRemoteName = remote
    nr.lpLocalName = local
    return nr
def attempt(call):
    try:
        return {"value": call()}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}",
                "winerror": getattr(error, "winerror", None)}
"""


def _link(ad_lab, name):
    for root in ad_lab["dfs"]["roots"]:
        for link in root["links"]:
            if link["name"] == name:
                return link
    raise AssertionError(f"the lab has no DFS link {name}")


def _root(ad_lab, server):
    for root in ad_lab["dfs"]["roots"]:
        if root["server"] == server:
            return root
    raise AssertionError(f"the lab has no DFS root on {server}")


def _share_directory(ad_lab, unc):
    host, share = unc.lstrip("\\").split("\\")[:2]
    for server in ad_lab["fileservers"]:
        if server["fqdn"].lower() == host.lower():
            for candidate in server["shares"]:
                if candidate["name"].lower() == share.lower():
                    return candidate["path"]
    raise AssertionError(f"the lab has no share {unc}")


@pytest.fixture
def dfs_lab(ad_lab, sandbox):
    """The AD lab with its DFS namespaces and a hosts file naming its servers:
    ``(lab status, sandbox, hosts file)``. Skips a lab without DFS."""
    if not ad_lab.get("dfs") or len(ad_lab.get("fileservers", [])) < 2:
        pytest.skip("this lab/ad has no DFS namespaces or no second file server")
    lines = ["127.0.0.1 localhost"]
    for host in [ad_lab["dc"], *ad_lab["fileservers"]]:
        lines.append(f"{host['address']} {host['fqdn']} {host['name']}")
    hosts = sandbox.root / "hosts"
    hosts.write_text("\n".join(lines) + "\n")
    return ad_lab, sandbox, hosts


def _child(dfs_lab, code, args, default_credentials=False):
    """Runs ``PRELUDE + code`` with ``args`` (JSON) in a child interpreter that sees the
    lab's hosts file; the JSON it prints last."""
    ad_lab, _, hosts = dfs_lab
    env = {
        **os.environ,
        "WNET_RESOLVE_ORDER": "hosts",
        "WNET_DNS_SERVERS": ad_lab["dns"],
        "WNET_RESOLV_CONF": "/dev/null",
        "KRB5_CONFIG": ad_lab["krb5_conf"],
    }
    if default_credentials:
        env["WNET_USER"] = f"{ad_lab['domain']}\\alice"
        env["WNET_PASSWORD"] = password(ad_lab, "alice")
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
            PRELUDE + code,
            json.dumps(args),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout.splitlines()[-1])


def _credentials(ad_lab):
    return {"user": f"{ad_lab['domain']}\\alice", "password": password(ad_lab, "alice")}


DEVICELESS = r"""
seen = {}
win32wnet.WNetAddConnection2(resource(args["link"]), args["password"], args["user"])
seen["remotes"] = [(c.local_name, c.remote_name) for c in wnet.connections()]
seen["user"] = win32wnet.WNetGetUser(args["link"])
print(json.dumps(seen))
"""


def test_wnetaddconnection2_connects_a_link_deviceless_by_its_namespace_path(dfs_lab):
    ad_lab = dfs_lab[0]
    mirror = _link(ad_lab, "mirror")
    seen = _child(dfs_lab, DEVICELESS, {"link": mirror["path"], **_credentials(ad_lab)})
    assert seen["remotes"] == [[None, mirror["path"]]], seen
    assert seen["user"].lower() == f"{ad_lab['domain']}\\alice".lower(), seen


DRIVE = r"""
seen = {}
win32wnet.WNetAddConnection2(resource(args["root"], "Z:"), args["password"], args["user"])
seen["universal"] = attempt(lambda: win32wnet.WNetGetUniversalName(args["path"]))
with open(args["path"]) as f:
    seen["text"] = f.read().strip()
print(json.dumps(seen))
"""


def test_the_universal_name_of_a_drive_path_is_the_namespace_path(dfs_lab):
    ad_lab = dfs_lab[0]
    root = _root(ad_lab, "fs1")
    mirror = _link(ad_lab, "mirror")
    seen = _child(
        dfs_lab,
        DRIVE,
        {"root": root["path"], "path": r"Z:\mirror\target.txt", **_credentials(ad_lab)},
    )
    # The path the user connected, not the target's (\\fs2...\mirror\target.txt).
    assert seen["universal"] == {"value": mirror["path"] + r"\target.txt"}, seen
    assert seen["text"] == mirror["targets"][0]["names"], seen


RESOURCE_INFORMATION = r"""
found, system = win32wnet.WNetGetResourceInformation(resource(args["path"]))
print(json.dumps({"remote": found.lpRemoteName, "system": system}))
"""


def test_resource_information_of_a_path_under_a_link_splits_at_the_link(dfs_lab):
    ad_lab = dfs_lab[0]
    mirror = _link(ad_lab, "mirror")
    seen = _child(
        dfs_lab,
        RESOURCE_INFORMATION,
        {"path": mirror["path"] + r"\target.txt"},
        default_credentials=True,
    )
    assert seen == {"remote": mirror["path"], "system": r"\target.txt"}, seen


RESOURCE_PARENT = r"""
parent = win32wnet.WNetGetResourceParent(resource(args["path"]))
print(json.dumps({"parent": parent.lpRemoteName}))
"""


def test_the_resource_parent_of_a_link_is_its_root(dfs_lab):
    ad_lab = dfs_lab[0]
    mirror = _link(ad_lab, "mirror")
    seen = _child(
        dfs_lab, RESOURCE_PARENT, {"path": mirror["path"]}, default_credentials=True
    )
    assert seen == {"parent": _root(ad_lab, "fs1")["path"]}, seen


UNC_OPEN = r"""
with open(args["path"]) as f:
    print(json.dumps({"text": f.read().strip()}))
"""


def test_open_of_a_unc_path_crosses_two_links(dfs_lab):
    ad_lab = dfs_lab[0]
    root = _root(ad_lab, "fs1")
    deep = _link(ad_lab, "deep")
    # \\fs1...\dfs\nested is \\fs2...\dfs2, whose link deep is \\fs1...\docs.
    seen = _child(
        dfs_lab,
        UNC_OPEN,
        {"path": root["path"] + r"\nested\deep\target.txt"},
        default_credentials=True,
    )
    assert seen == {"text": deep["targets"][0]["names"]}, seen


FILE_API = r"""
seen = {}
with wnet.open_file(args["marker"]) as f:
    seen["marker"] = f.read().strip()
with wnet.open_file(args["new"], "w") as f:
    f.write(args["content"])
with open(args["on_server"]) as f:
    seen["on_server"] = f.read()
with wnet.open_file(args["new"]) as f:
    seen["read_back"] = f.read()
wnet.remove(args["new"])
seen["removed"] = not os.path.exists(args["on_server"])
print(json.dumps(seen))
"""


def test_the_file_api_reads_and_writes_through_links(dfs_lab):
    ad_lab = dfs_lab[0]
    mirror = _link(ad_lab, "mirror")
    projects = _link(ad_lab, "projects")
    name = f"py-file-api-{os.getpid()}-{os.urandom(4).hex()}.txt"
    content = f"written through {projects['path']}\n"
    on_server = os.path.join(_share_directory(ad_lab, projects["targets"][0]["path"]), name)
    try:
        seen = _child(
            dfs_lab,
            FILE_API,
            {
                "marker": mirror["path"] + r"\target.txt",
                "new": projects["path"] + "\\" + name,
                "content": content,
                "on_server": on_server,
            },
            default_credentials=True,
        )
    finally:
        if os.path.exists(on_server):
            os.remove(on_server)
    assert seen == {
        "marker": mirror["targets"][0]["names"],
        "on_server": content,
        "read_back": content,
        "removed": True,
    }, seen


AFTER_A_LINK_CONNECTION = r"""
win32wnet.WNetAddConnection2(resource(args["link"]), args["password"], args["user"])
seen = {
    "root_file": attempt(lambda: wnet.open_file(args["root_file"]).read().strip()),
    "marker": attempt(lambda: wnet.open_file(args["marker"]).read().strip()),
}
print(json.dumps(seen))
"""


def test_a_connection_to_a_link_leaves_the_rest_of_its_root_reachable(dfs_lab):
    ad_lab = dfs_lab[0]
    root = _root(ad_lab, "fs1")
    mirror = _link(ad_lab, "mirror")
    seen = _child(
        dfs_lab,
        AFTER_A_LINK_CONNECTION,
        {
            "link": mirror["path"],
            "root_file": root["path"] + r"\dfs.txt",
            "marker": mirror["path"] + r"\target.txt",
            **_credentials(ad_lab),
        },
    )
    assert "error" not in seen["root_file"], seen
    assert seen["marker"] == {"value": mirror["targets"][0]["names"]}, seen
