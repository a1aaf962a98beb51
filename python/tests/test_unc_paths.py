"""UNC and drive-letter paths from unchanged scripts, against the Samba lab: after a connection,
``open``, ``os``, ``shutil`` and ``pathlib`` reach the share by ``\\\\server\\share\\…``,
``//server/share/…`` and ``Z:\\…`` (wnet._paths, over the agent's UNC mounts and drives). What
is written is checked on the server with smbclient, never only through wnet. No call may leave
a local file named after a UNC or drive-letter path: every test runs in an empty directory
that is checked afterwards.

Each test has its own runtime and configuration directories, so its own agent, which the
``sandbox`` fixture stops at the end."""

import io
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from conftest import NOBODY, SERVER, password

import win32netcon
import win32wnet

SMBCLIENT_TIMEOUT = 60


def unc(share, *parts, server=SERVER):
    return "\\".join([rf"\\{server}\{share}", *parts])


def resource(remote, local=None):
    nr = win32wnet.NETRESOURCE()
    nr.dwType = win32netcon.RESOURCETYPE_DISK
    nr.lpRemoteName = remote
    nr.lpLocalName = local
    return nr


def smbclient(lab, share, commands, user="wnetalice"):
    """Runs smbclient on ``share`` as ``user``: its stdout (it must succeed)."""
    done = subprocess.run(
        ["smbclient", f"//{SERVER}/{share}", "-U", f"{user}%{password(lab, user)}", "-c", commands],
        capture_output=True,
        text=True,
        timeout=SMBCLIENT_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "NT_STATUS_" not in said, f"smbclient -c {commands!r}: {said}"
    return done.stdout


def server_file(lab, share, path, user="wnetalice"):
    """The bytes of ``path`` (backslashes) on the server, as smbclient reads them."""
    return smbclient(lab, share, f'get "{path}" /dev/stdout', user).encode()


def server_names(lab, share, directory="", user="wnetalice"):
    """The names in ``directory`` of ``share`` on the server, as smbclient lists them."""
    listing = smbclient(lab, share, f'ls "{directory}\\*"', user)
    names = set()
    for line in listing.splitlines():
        # "  name   A   12  Sat Dec  5 01:02:03 2026"
        parts = line.split()
        if len(parts) >= 2 and line.startswith("  "):
            names.add(line[2:].rsplit(None, 7)[0].rstrip())
    return names - {".", ".."}


def looks_like_a_network_name(name):
    return name.startswith(("\\", "//")) or (len(name) >= 2 and name[1] == ":")


@pytest.fixture
def world(lab, sandbox, tmp_path, monkeypatch):
    """The lab, this test's sandbox and a unique name; the test runs in an empty directory in
    which no file named like a network path may appear."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    start = pathlib.Path(__file__).parent
    before = {name for name in os.listdir(start) if looks_like_a_network_name(name)}
    yield lab, sandbox, f"py-unc-{os.getpid()}-{os.urandom(3).hex()}"
    stray = [name for name in os.listdir(cwd) if looks_like_a_network_name(name)]
    stray += [
        name
        for name in os.listdir(start)
        if looks_like_a_network_name(name) and name not in before
    ]
    assert stray == [], f"local files named like network paths: {stray}"


def connected_names():
    handle = win32wnet.WNetOpenEnum(win32netcon.RESOURCE_CONNECTED, 0, 0, None)
    try:
        return sorted(item.lpRemoteName.lower() for item in win32wnet.WNetEnumResource(handle, -1))
    finally:
        handle.Close()


def test_a_unc_path_after_a_deviceless_connection_writes_to_the_server(world):
    lab, _, name = world
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(resource(unc("public")), alice, "wnetalice")
    path = unc("public", f"{name}.txt")
    try:
        with open(path, "w") as f:
            # The file keeps the name it was opened by, as on Windows.
            assert f.name == path
            f.write("written by UNC path\n")
        assert server_file(lab, "public", f"{name}.txt") == b"written by UNC path\n"
        # Both spellings, io.open and bytes read the same file.
        with open(f"//{SERVER}/public/{name}.txt") as f:
            assert f.read() == "written by UNC path\n"
        with io.open(os.fsencode(path), "rb") as f:
            assert f.read() == b"written by UNC path\n"
        assert os.path.isfile(path) and not os.path.isdir(path)
        assert os.path.getsize(path) == len("written by UNC path\n")
        assert os.stat(path).st_size == os.path.getsize(path)
        # Paths given by keyword are translated too.
        assert os.stat(path=path).st_size == os.path.getsize(path)
        with open(file=path, mode="rb") as f:
            assert f.read() == b"written by UNC path\n"
        # The same share connected by hand serves it: no second connection.
        assert connected_names() == [unc("public").lower()]
    finally:
        if os.path.exists(path):
            os.remove(path)
    assert f"{name}.txt" not in server_names(lab, "public")


def test_os_shutil_and_pathlib_work_on_unc_paths(world, tmp_path):
    lab, _, name = world
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(resource(unc("public")), alice, "wnetalice")
    top = unc("public", name)
    local = tmp_path / "local.txt"
    local.write_bytes(b"copied to the share\n")
    try:
        os.makedirs(unc("public", name, "a", "b"))
        os.makedirs(unc("public", name, "a", "b"), exist_ok=True)
        assert os.path.isdir(top) and os.path.exists(unc("public", name, "a"))
        os.mkdir(unc("public", name, "c"))
        assert sorted(os.listdir(top)) == ["a", "c"]
        assert sorted(entry.name for entry in os.scandir(top)) == ["a", "c"]
        assert server_names(lab, "public", name) == {"a", "c"}
        # shutil: a local file to the share and back, a rename and a replace on it.
        copied = shutil.copy(local, unc("public", name, "a"))
        assert os.path.basename(copied) == "local.txt"
        assert server_file(lab, "public", rf"{name}\a\local.txt") == b"copied to the share\n"
        back = shutil.copy(unc("public", name, "a", "local.txt"), tmp_path / "back.txt")
        assert pathlib.Path(back).read_bytes() == b"copied to the share\n"
        os.rename(unc("public", name, "a", "local.txt"), unc("public", name, "a", "moved.txt"))
        shutil.copy2(local, unc("public", name, "c", "other.txt"))
        os.replace(unc("public", name, "c", "other.txt"), unc("public", name, "a", "moved.txt"))
        assert server_names(lab, "public", rf"{name}\a") == {"b", "moved.txt"}
        assert server_names(lab, "public", rf"{name}\c") == set()
        walked = list(os.walk(top))
        assert len(walked) == 4
        assert sorted(name for _, _, files in walked for name in files) == ["moved.txt"]
        # os.path answers the Windows way for a network path.
        assert os.path.isabs(top)
        assert os.path.abspath(unc("public", name, "a", "..", "c")) == unc("public", name, "c")
        assert os.path.dirname(unc("public", name, "a")) == top
        # pathlib: the forward-slash form keeps its parts, the other opens and stats.
        folder = pathlib.Path(f"//{SERVER}/public/{name}")
        (folder / "p.txt").write_text("through pathlib\n")
        assert (folder / "p.txt").exists() and (folder / "p.txt").read_text() == "through pathlib\n"
        assert sorted(child.name for child in folder.iterdir()) == ["a", "c", "p.txt"]
        assert pathlib.Path(unc("public", name, "p.txt")).stat().st_size == len("through pathlib\n")
        (folder / "d" / "e").mkdir(parents=True)
        (folder / "p.txt").unlink()
        assert server_file(lab, "public", rf"{name}\a\moved.txt") == b"copied to the share\n"
        assert server_names(lab, "public", name) == {"a", "c", "d"}
        os.remove(unc("public", name, "a", "moved.txt"))
        os.rmdir(unc("public", name, "c"))
        shutil.rmtree(top)
        assert not os.path.exists(top)
    finally:
        if os.path.exists(top):
            shutil.rmtree(top)
    assert name not in server_names(lab, "public")
    # A missing file on a reachable share is the file error, named as given.
    with pytest.raises(FileNotFoundError) as info:
        open(unc("public", name, "missing.txt"))
    assert info.value.filename == unc("public", name, "missing.txt")
    assert info.value.winerror == 2


def test_a_drive_letter_path_after_mapping_reaches_the_share(world):
    lab, _, name = world
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(resource(unc("public"), "Z:"), alice, "wnetalice")
    try:
        with open(rf"Z:\{name}.txt", "w") as f:
            f.write("written through Z:\n")
        assert server_file(lab, "public", f"{name}.txt") == b"written through Z:\n"
        assert f"{name}.txt" in os.listdir("Z:/")
        assert f"{name}.txt" in os.listdir("z:\\")
        assert os.path.exists(f"Z:/{name}.txt")
        assert pathlib.Path(f"Z:/{name}.txt").read_text() == "written through Z:\n"
        os.remove(rf"Z:\{name}.txt")
        assert f"{name}.txt" not in server_names(lab, "public")
    finally:
        win32wnet.WNetCancelConnection2("Z:", 0, 1)
    # Cancelled, Z: is a drive that is not redirected: the Windows error, no local file.
    with pytest.raises(OSError) as info:
        open(rf"Z:\{name}.txt", "w")
    assert info.value.winerror == 3


def test_a_drive_letter_not_redirected_is_path_not_found(world):
    for call, args in [
        (open, (r"Q:\report.txt", "w")),
        (open, ("q:/report.txt",)),
        (os.stat, (r"Q:\report.txt",)),
        (os.listdir, ("Q:",)),
        (os.makedirs, (r"Q:\a\b",)),
        (os.mkdir, (b"Q:\\a",)),
        (shutil.copy, (__file__, r"Q:\copy.py")),
    ]:
        with pytest.raises(OSError) as info:
            call(*args)
        assert info.value.winerror == 3, (call, args)
        assert isinstance(info.value, FileNotFoundError), (call, args)
    assert not os.path.exists(r"Q:\report.txt")


def test_an_unconnected_share_connects_implicitly_over_the_server_session(world):
    lab, _, name = world
    alice = password(lab, "wnetalice")
    # The server alone: its IPC$, and a session later connections ride.
    win32wnet.WNetAddConnection2(resource(rf"\\{SERVER}"), alice, "wnetalice")
    path = unc("alice", f"{name}.txt")
    with open(path, "w") as f:
        f.write("alice's private share\n")
    assert server_file(lab, "alice", f"{name}.txt") == b"alice's private share\n"
    # The implicit connection is listed like any deviceless one, as wnetalice's.
    assert unc("alice").lower() in connected_names()
    assert win32wnet.WNetGetUser(unc("alice")).endswith("wnetalice")
    os.remove(path)
    assert f"{name}.txt" not in server_names(lab, "alice")
    # A share the server does not have is the error of the implicit connection.
    with pytest.raises(OSError) as info:
        open(unc("nosuchshare", "x.txt"), "w")
    assert info.value.winerror == 67
    assert info.value.filename == unc("nosuchshare", "x.txt")
    # A server that does not answer is ERROR_BAD_NETPATH.
    with pytest.raises(OSError) as info:
        os.stat(unc("public", "x.txt", server=NOBODY))
    assert info.value.winerror == 53
    # wnet.local_path gives the mount itself, for code that opens files on its own.
    import wnet

    mount = wnet.local_path(unc("alice"))
    assert os.path.ismount(mount) and mount.endswith("/alice")
    assert wnet.local_path(b"/tmp") == b"/tmp"
    assert pathlib.Path(unc("alice")).resolve() == pathlib.Path(unc("alice"))
    # Cancelled, the share is connected again when used again.
    win32wnet.WNetCancelConnection2(unc("alice"), 0, 1)
    assert unc("alice").lower() not in connected_names()
    assert os.path.isdir(unc("alice"))
    assert unc("alice").lower() in connected_names()


def test_without_a_session_the_implicit_connection_uses_the_default_credentials(world, monkeypatch):
    lab, _, name = world
    monkeypatch.setenv("WNET_USER", "wnetbob")
    # Wrong default credentials: the logon failure of the implicit connection.
    monkeypatch.setenv("WNET_PASSWORD", "not-bobs-password")
    with pytest.raises(PermissionError) as info:
        open(unc("public", f"{name}.txt"), "w")
    assert info.value.winerror == 1326
    monkeypatch.setenv("WNET_PASSWORD", password(lab, "wnetbob"))
    path = unc("public", f"{name}.txt")
    with open(path, "wb") as f:
        f.write(b"as bob\n")
    try:
        assert server_file(lab, "public", f"{name}.txt", user="wnetbob") == b"as bob\n"
        assert win32wnet.WNetGetUser(unc("public")).endswith("wnetbob")
    finally:
        os.remove(path)


def test_malformed_unc_paths_are_windows_errors_never_local_files(world):
    for bad in [
        rf"\\{SERVER}",
        rf"\\{SERVER}" + "\\",
        "\\\\\\\\x",
        rf"\\{SERVER}\\file.txt",
        rf"\\{SERVER}\public\a" + "\0" + "b",
        rf"\\{SERVER}\public\..\alice\x.txt",
        rf"\\{SERVER}\public\a\..\..\x.txt",
        rf"\\{SERVER}\public\a<b>.txt",
        "//",
        b"\\\\" + SERVER.encode(),
        b"\\\\" + SERVER.encode() + b"\\public\\..\\..\\x",
    ]:
        for call, args in [
            (open, (bad, "w")),
            (os.mkdir, (bad,)),
            (os.stat, (bad,)),
            (os.makedirs, (bad,)),
        ]:
            with pytest.raises(OSError) as info:
                call(*args)
            assert info.value.winerror in (53, 123), (bad, call, info.value)
            assert info.value.filename == bad


def test_bytes_paths_work_like_str_paths(world):
    lab, _, name = world
    alice = password(lab, "wnetalice")
    win32wnet.WNetAddConnection2(resource(unc("public")), alice, "wnetalice")
    folder = os.fsencode(unc("public", name))
    os.mkdir(folder)
    try:
        with open(folder + b"\\bytes.txt", "wb") as f:
            f.write(b"by a bytes path\n")
        assert os.listdir(folder) == [b"bytes.txt"]
        assert os.path.getsize(folder + b"/bytes.txt") == len(b"by a bytes path\n")
        assert server_file(lab, "public", rf"{name}\bytes.txt") == b"by a bytes path\n"
        assert os.path.basename(folder + b"\\bytes.txt") == b"bytes.txt"
    finally:
        shutil.rmtree(folder)
    assert name not in server_names(lab, "public")


def test_local_paths_are_untouched(world, tmp_path):
    # Local paths reach the original functions, whatever their spelling.
    (tmp_path / "local.txt").write_text("local\n")
    for spelling in [str(tmp_path / "local.txt"), f"/{tmp_path}/local.txt", tmp_path / "local.txt"]:
        with open(spelling) as f:
            assert f.read() == "local\n"
        assert os.stat(spelling).st_size == 6
    assert os.path.abspath("local.txt") == os.path.join(os.getcwd(), "local.txt")
    assert os.path.basename(r"a\b") == r"a\b"
    assert os.listdir(tmp_path / "cwd") == []
    # The wrappers are native objects: stored in a class, open stays a plain function, as
    # the builtin is, rather than becoming a method.

    class Opener:
        opener = open

        def read(self, path):
            with self.opener(path) as f:
                return f.read()

    assert Opener().read(tmp_path / "local.txt") == "local\n"
    assert open.__wrapped__ is io.open.__wrapped__ and os.stat.__name__ == "stat"


def test_wnet_paths_0_turns_the_path_support_off(world):
    check = (
        "import builtins, os, posix, posixpath, win32wnet, wnet, wnet._paths as p; "
        "print(os.stat is posix.stat, hasattr(builtins.open, '__wrapped__'), p.installed(), "
        "hasattr(posixpath.abspath, '__wrapped__'))"
    )
    env = dict(os.environ, WNET_PATHS="0")
    off = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=env, timeout=60
    )
    assert off.stdout.split() == ["True", "False", "False", "False"], off.stderr
    env["WNET_PATHS"] = "1"
    on = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=env, timeout=60
    )
    assert on.stdout.split() == ["False", "True", "True", "True"], on.stderr
