"""The wheel others install (issue 20): built by ``scripts/build-wheel``, named by
``$WNET_TEST_WHEEL`` (``scripts/test`` builds it and sets it; without it these tests are
skipped, since building it takes minutes).

It is checked as a file (one abi3 wheel for CPython 3.9+, manylinux2014: no glibc symbol newer
than 2.17, stripped, small), then installed as a user would: into a fresh venv without the
system's site packages, by a non-root user (uid 65534, through ``setpriv``) whose PATH has no
cargo or rustc. That user runs both commands, and a pywin32-style script that maps the lab's
share to a drive letter and writes a file through the drive, which ``fusermount3`` mounts for
the user; ``smbclient`` then reads the file from the server. With a ``/dev/fuse`` of mode 0600
(FUSE kept from users, which ``fusermount3`` cannot get around: it opens the device as the
user) the same mapping fails with ERROR_ACCESS_DENIED and the reason. Each device mode is set
in a private mount namespace, so the machine is not changed.
"""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import textwrap
import uuid
import zipfile

import pytest

from conftest import SERVER, _wait_gone, password

WHEEL = os.environ.get("WNET_TEST_WHEEL")
USER = 65534
SHARE = "public"
LAB_USER = "wnetalice"
# The system's interpreter, which another user may run (the one running the tests may live in
# root's home).
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(
    not WHEEL, reason="no wheel to test: scripts/test builds one (scripts/build-wheel)"
)


def _elf_sections(data):
    """The section names of a 64-bit little-endian ELF file."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    shoff = int.from_bytes(data[0x28:0x30], "little")
    shentsize = int.from_bytes(data[0x3A:0x3C], "little")
    shnum = int.from_bytes(data[0x3C:0x3E], "little")
    shstrndx = int.from_bytes(data[0x3E:0x40], "little")

    def header(index):
        start = shoff + index * shentsize
        name = int.from_bytes(data[start : start + 4], "little")
        offset = int.from_bytes(data[start + 0x18 : start + 0x20], "little")
        return name, offset

    _, strings = header(shstrndx)
    names = []
    for index in range(shnum):
        name, _ = header(index)
        end = data.index(b"\0", strings + name)
        names.append(data[strings + name : end].decode())
    return names


def test_the_wheel_is_abi3_manylinux2014_stripped_and_small():
    wheel = pathlib.Path(WHEEL)
    name = wheel.name
    assert re.fullmatch(
        r"wnet-[0-9.]+-cp39-abi3-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl", name
    ), name
    size = wheel.stat().st_size
    # maturin's own wheel was 10 MB, unstripped.
    assert size < 6 * 1024 * 1024, f"{name} is {size} bytes"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        native = [entry for entry in names if entry.endswith(".so")]
        assert native == ["wnet/_native.abi3.so"], names
        data = archive.read(native[0])
        entry_points = next(e for e in names if e.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    sections = _elf_sections(data)
    assert ".symtab" not in sections, "the extension is not stripped"
    assert not [section for section in sections if section.startswith(".debug")], sections
    versions = {
        tuple(int(part) for part in match.groups())
        for match in re.finditer(rb"GLIBC_(\d+)\.(\d+)(?:\.\d+)?\0", data)
    }
    assert versions and max(versions) <= (2, 17), sorted(versions)
    lines = scripts.replace(" ", "").splitlines()
    assert "wnet=wnet._commands:wnet" in lines, scripts
    assert "wnet-agent=wnet._commands:wnet_agent" in lines, scripts


@pytest.fixture
def user_world():
    """A scratch directory another user can reach, with a home and a private runtime
    directory of that user's; the venv goes in it. Agents left there are stopped by PID."""
    # pytest's base directory is private to root; this one must be reachable by the user.
    world = pathlib.Path("/tmp") / f"wnet-wheel-test-{uuid.uuid4().hex[:12]}"
    world.mkdir(mode=0o755)
    home, runtime = world / "home", world / "run"
    try:
        for directory in (home, runtime):
            directory.mkdir(mode=0o700)
            os.chown(directory, USER, USER)
        shutil.copy(WHEEL, world / pathlib.Path(WHEEL).name)
        os.chmod(world / pathlib.Path(WHEEL).name, 0o644)
        yield world
    finally:
        needle = str(runtime).encode()
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if needle in cmdline or needle in environ:
                os.kill(int(entry.name), signal.SIGTERM)
                _wait_gone(int(entry.name), 5)
        shutil.rmtree(world, ignore_errors=True)


def _user_env(world):
    """The user's environment: the session's WNET_ settings (the lab's), the user's own home
    and runtime directory, and only the venv and the system's directories on PATH."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name.startswith("WNET_")
        and name not in ("WNET_TEST_WHEEL", "WNET_AGENT_SOCKET", "WNET_CONFIG_DIR")
    }
    env.update(
        {
            "HOME": str(world / "home"),
            "XDG_RUNTIME_DIR": str(world / "run"),
            "PATH": f"{world / 'venv' / 'bin'}:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            # The agent the script starts goes soon after its last connection.
            "WNET_AGENT_IDLE": "2",
        }
    )
    return env


def _as_user(world, command, **kwargs):
    """Runs `command` as uid 65534 in the user's environment."""
    env = _user_env(world)
    setpriv = ["setpriv", "--reuid", str(USER), "--regid", str(USER), "--clear-groups"]
    return subprocess.run(
        [*setpriv, *command],
        env=env,
        cwd=world,
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", 300),
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def _install(world):
    venv = world / "venv"
    os.chown(world, USER, USER)
    created = _as_user(world, [SYSTEM_PYTHON, "-m", "venv", str(venv)])
    assert created.returncode == 0, created.stderr
    installed = _as_user(
        world,
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--quiet",
            str(world / pathlib.Path(WHEEL).name),
        ],
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


def test_the_installed_commands_run_without_rust(user_world):
    venv = _install(user_world)
    user_path = _user_env(user_world)["PATH"]
    for tool in ("cargo", "rustc"):
        assert shutil.which(tool, path=user_path) is None, f"{tool} is on the user's PATH"
    usage = _as_user(user_world, ["wnet", "--help"])
    assert usage.returncode == 0, usage.stderr
    assert "net use" in usage.stdout
    agent = _as_user(user_world, ["wnet-agent", "--help"])
    assert agent.returncode == 0, agent.stderr
    assert agent.stdout.startswith("usage: wnet-agent"), agent.stdout
    wrong = _as_user(user_world, ["wnet", "no-such-verb"])
    assert wrong.returncode == 2, wrong.stderr
    # The modules, in the venv's own interpreter (no system site packages).
    imported = _as_user(
        user_world,
        [
            "python",
            "-c",
            "import sys, win32wnet, win32netcon, netbios, pywintypes, wnet; "
            "print(sys.flags.no_site, wnet.__file__)",
        ],
    )
    assert imported.returncode == 0, imported.stderr
    assert str(venv) in imported.stdout, imported.stdout


# The pywin32-style script, run by the user, as scripts written for Windows use a connection:
# it authenticates to the server alone and writes a file by its UNC path, then maps the share
# to X:, writes a second file by its X:\ path and reads it back by its UNC path, and cancels
# both connections.
SCRIPT = textwrap.dedent(
    r"""
    import os, sys
    import win32wnet, win32netcon

    server, share, user, secret, by_unc, by_drive = sys.argv[1:7]
    host = "\\\\" + server
    unc = host + "\\" + share

    win32wnet.WNetAddConnection2(0, None, host, None, user, secret)
    with open(unc + "\\" + by_unc, "w") as file:
        file.write("written by UNC path by uid %d\n" % os.getuid())
    print(by_unc in os.listdir(unc))

    resource = win32wnet.NETRESOURCE()
    resource.dwType = win32netcon.RESOURCETYPE_DISK
    resource.lpLocalName = "X:"
    resource.lpRemoteName = unc
    win32wnet.WNetAddConnection2(resource, None, None, 0)
    try:
        assert win32wnet.WNetGetConnection("X:") == unc, win32wnet.WNetGetConnection("X:")
        with open("X:\\" + by_drive, "w") as file:
            file.write("written through X: by uid %d\n" % os.getuid())
        with open(unc + "\\" + by_drive) as file:
            print(file.read(), end="")
        # Who mounted the drive: fusermount3 names the type with its subtype, for the user.
        drive = os.path.join(os.environ["XDG_RUNTIME_DIR"], "wnet", "drives", "X")
        with open("/proc/self/mountinfo") as table:
            entry = [line.split() for line in table if line.split()[4] == drive]
        fields = entry[-1]
        after = fields[fields.index("-") + 1 :]
        print(after[0], "user_id=%d" % os.getuid() in after[2].split(","))
    finally:
        win32wnet.WNetCancelConnection2("X:", 0, True)
        win32wnet.WNetCancelConnection2(host, 0, True)
    print("cancelled", os.path.exists("X:\\" + by_drive))
    """
)

# Run by root in a private mount namespace, so that the machine is not changed: /dev/fuse there
# is a node of the given mode (0666 as Debian ships it, or 0600: root's only, as on systems
# that keep FUSE from users), then the command runs as the user, and the agent is stopped with
# the `wnet` command.
NAMESPACE = textwrap.dedent(
    r"""
    set -u
    world=$1 mode=$2; shift 2
    mount -t tmpfs -o mode=0755 wnet-wheel-test "$world/dev"
    mknod -m "$mode" "$world/dev/fuse" c 10 229
    mount --bind "$world/dev/fuse" /dev/fuse
    setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"
    status=$?
    setpriv --reuid 65534 --regid 65534 --clear-groups -- wnet agent stop >&2 || true
    exit $status
    """
)


def _in_namespace(world, device_mode, command):
    """Runs `command` as the user in a private mount namespace whose /dev/fuse has
    `device_mode`; the agent it started is stopped after it."""
    (world / "dev").mkdir(exist_ok=True)
    env = _user_env(world)
    namespace = ["unshare", "--mount", "--propagation", "private", "bash", "-c", NAMESPACE]
    ran = subprocess.run(
        [*namespace, "namespace", str(world), device_mode, *command],
        env=env,
        cwd=world,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    log = world / "run" / "wnet" / "agent.log"
    agent_log = log.read_text(errors="replace") if log.exists() else "(no agent log)"
    return ran, f"{ran.stdout}\n{ran.stderr}\nagent log:\n{agent_log}"


def _script(world):
    script = world / "map_drive.py"
    script.write_text(SCRIPT)
    script.chmod(0o644)
    return str(script)


def test_a_user_script_writes_by_unc_and_drive_paths_and_the_server_has_the_files(
    lab, user_world
):
    venv = _install(user_world)
    by_unc = f"wheel-unc-{uuid.uuid4().hex[:12]}.txt"
    by_drive = f"wheel-drive-{uuid.uuid4().hex[:12]}.txt"
    secret = password(lab, LAB_USER)
    python = str(venv / "bin" / "python")
    command = [python, _script(user_world), SERVER, SHARE, LAB_USER, secret, by_unc, by_drive]
    ran, said = _in_namespace(user_world, "0666", command)
    assert ran.returncode == 0, said
    assert ran.stdout == (
        f"True\nwritten through X: by uid {USER}\nfuse.wnet True\ncancelled False\n"
    ), said
    fetched = subprocess.run(
        [
            "smbclient",
            f"//{SERVER}/{SHARE}",
            "-U",
            f"{LAB_USER}%{secret}",
            "-c",
            f"get {by_unc} -; get {by_drive} -; del {by_unc}; del {by_drive}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert f"written by UNC path by uid {USER}" in fetched.stdout, fetched.stdout
    assert f"written through X: by uid {USER}" in fetched.stdout, fetched.stdout


def test_a_user_kept_from_fuse_gets_access_denied_for_drives_and_smb_for_unc_paths(
    lab, user_world
):
    _install(user_world)
    secret = password(lab, LAB_USER)
    unc = f"\\\\{SERVER}\\{SHARE}"
    # win32wnet: pywin32's error, ERROR_ACCESS_DENIED (not ERROR_BAD_DEVICE, 1200).
    probe = (
        "import sys, win32wnet, win32netcon, pywintypes\n"
        "resource = win32wnet.NETRESOURCE()\n"
        "resource.dwType = win32netcon.RESOURCETYPE_DISK\n"
        "resource.lpLocalName = 'X:'\n"
        f"resource.lpRemoteName = {unc!r}\n"
        "try:\n"
        f"    win32wnet.WNetAddConnection2(resource, {secret!r}, {LAB_USER!r}, 0)\n"
        "except pywintypes.error as error:\n"
        "    print(error.winerror, error.funcname)\n"
    )
    ran, said = _in_namespace(user_world, "0600", ["python", "-c", probe])
    assert ran.returncode == 0, said
    assert ran.stdout == "5 WNetAddConnection2\n", said
    # The command says why.
    ran, said = _in_namespace(
        user_world, "0600", ["wnet", "use", "X:", unc, f"/user:{LAB_USER}", secret]
    )
    assert ran.returncode == 1, said
    assert "/dev/fuse" in ran.stderr and "may not use FUSE" in ran.stderr, said
    # UNC paths still work: the library serves them straight over SMB when the agent may not
    # mount them, and the server has the file.
    name = f"wheel-nofuse-{uuid.uuid4().hex[:12]}.txt"
    host = "\\\\" + SERVER
    script = (
        "import os, win32wnet\n"
        f"host = {host!r}\n"
        f"path = {unc!r} + '\\\\' + {name!r}\n"
        f"win32wnet.WNetAddConnection2(0, None, host, None, {LAB_USER!r}, {secret!r})\n"
        "with open(path, 'w') as f:\n"
        "    f.write('no FUSE for this user\\n')\n"
        "print(open(path).read(), end='')\n"
        f"print({name!r} in os.listdir({unc!r}))\n"
    )
    ran, said = _in_namespace(user_world, "0600", ["python", "-c", script])
    assert ran.returncode == 0, said
    assert ran.stdout == "no FUSE for this user\nTrue\n", said
    fetched = subprocess.run(
        ["smbclient", f"//{SERVER}/{SHARE}", "-U", f"{LAB_USER}%{secret}", "-c",
         f"get {name} -; del {name}"],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "no FUSE for this user" in fetched.stdout, fetched.stdout + fetched.stderr
