"""Test setup for the Python package: every test runs with wnet confined to loopback and the
Samba lab's link, and the lab tests hold the lab the way the Rust tests do.

- The whole session: no DNS (server names resolve through /etc/hosts, then NetBIOS through
  the lab's WINS server), broadcasts only onto the lab's link, no loopback LANA and, once the
  lab is up, the lab's link as the NCB interface's only LANA, and none of the caller's other
  WNET_* settings. These are set at import,
  before the native module can read them (the NCB engine reads its settings once).
- ``lab`` (session): ``lab/samba up`` (idempotent), its ``status --json``, and a shared flock
  lease on the lab's lock file, the same lease ``crates/testlab`` takes, so that no test
  process stops the lab under another.
- ``ad_lab`` (session): the same for ``lab/ad``, the Active Directory domain; skipped where
  it cannot run.
- ``sandbox`` (each test): a private runtime directory (0700: the agent's socket and log), a
  private configuration directory (credentials, remembered connections); the agent the test
  started is stopped at the end by its own PID.
"""

import fcntl
import functools
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAB_DIR = pathlib.Path(os.environ.get("WNET_LAB_DIR", ROOT / "lab"))
SERVER = "198.51.100.2"
HOST_ADDRESS = "198.51.100.1"
WORKGROUP = "WNETLAB"
SERVER_NAME = "LABSERVER"
# An address on the lab's link where nothing answers.
NOBODY = "198.51.100.77"
LAB_SCRIPT_TIMEOUT = 180


def _lab_interface():
    """The host-side interface of the lab's link (the one holding 198.51.100.1), if up."""
    try:
        out = subprocess.run(
            ["ip", "-j", "-4", "addr", "show"], capture_output=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for link in json.loads(out or b"[]"):
        for address in link.get("addr_info", []):
            if address.get("local") == HOST_ADDRESS:
                return link["ifname"]
    return None


def _confine_session():
    for name in list(os.environ):
        kept = ("WNET_LAB_DIR", "WNET_LAB_ROOT", "WNET_TEST_WHEEL")
        if name.startswith("WNET_") and name not in kept:
            del os.environ[name]
    os.environ.pop("RUST_LOG", None)
    os.environ.update(
        {
            "WNET_RESOLVE_ORDER": "hosts,netbios",
            "WNET_WINS_SERVERS": SERVER,
            "WNET_BROADCAST_ADDRESSES": "198.51.100.255",
            "WNET_WORKGROUP": WORKGROUP,
            "WNET_SMB_TIMEOUT": "5",
            "WNET_AGENT_TIMEOUT": "60",
            # The NCB interface: no loopback LANA, and no LANA at all until the ``lab`` fixture
            # names the lab's link (the engine reads this at its first command).
            "WNET_NETBIOS_LOOPBACK": "off",
            "WNET_NETBIOS_INTERFACES": "wnet-no-such-interface",
        }
    )


_confine_session()


def _run_lab(*args):
    return subprocess.run(
        [str(LAB_DIR / "samba"), *args],
        capture_output=True,
        text=True,
        timeout=LAB_SCRIPT_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def lab():
    """The Samba lab, up, held shared for the session: its ``status --json``."""
    lock_dir = pathlib.Path(os.environ.get("TMPDIR") or "/tmp") / "wnet-lab"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lease = open(lock_dir / "samba.tests.lock", "a")
    fcntl.flock(lease, fcntl.LOCK_SH)
    try:
        up = _run_lab("up")
        assert up.returncode == 0, f"lab/samba up failed: {up.stderr}"
        status = _run_lab("status", "--json")
        assert status.returncode == 0, f"lab/samba status failed: {status.stderr}"
        shape = json.loads(status.stdout)
        assert shape["address"] == SERVER, "the lab moved"
        interface = _lab_interface()
        assert interface, f"no interface holds {HOST_ADDRESS} with the lab up"
        # Before any test runs an NCB command (only lab tests do): the engine's one LANA is
        # then the lab's link.
        os.environ["WNET_NETBIOS_INTERFACES"] = interface
        yield shape
    finally:
        lease.close()


def _process_gone(pid):
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state in ("Z", "X")


def _wait_gone(pid, limit):
    deadline = time.monotonic() + limit
    while not _process_gone(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


class Sandbox:
    """One test's private runtime and configuration directories."""

    def __init__(self, root):
        self.root = root
        self.runtime_dir = root / "run"
        self.config_dir = root / "config"
        for directory in (root, self.runtime_dir, self.config_dir):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        self.socket = self.runtime_dir / "wnet" / "agent.sock"
        self.agent_log = self.runtime_dir / "wnet" / "agent.log"

    def agent_pid(self):
        from wnet import _native

        status = _native._agent_status()
        return None if status is None else status["pid"]

    def stop_agent(self):
        """Stops this sandbox's agent, if one runs, and waits until its process has ended; one
        that ignores the request gets SIGTERM, by its own PID, if it is ours."""
        from wnet import _native

        pid = self.agent_pid()
        _native._agent_stop()
        if pid is None or _wait_gone(pid, 5):
            return
        try:
            cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        if str(self.socket).encode() in cmdline:
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid, 5)

    def stray_agents(self):
        """Agents still running on this sandbox's socket path (its path is unique to the test,
        so they are the test's own): PIDs."""
        needle = str(self.socket).encode()
        found = []
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if needle in cmdline and not _process_gone(int(entry.name)):
                found.append(int(entry.name))
        return found


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A private world for one test; its agent is stopped at the end."""
    box = Sandbox(tmp_path / "wnet")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(box.runtime_dir))
    monkeypatch.setenv("WNET_AGENT_SOCKET", str(box.socket))
    monkeypatch.setenv("WNET_CONFIG_DIR", str(box.config_dir))
    monkeypatch.delenv("WNET_USER", raising=False)
    monkeypatch.delenv("WNET_PASSWORD", raising=False)
    try:
        yield box
    finally:
        box.stop_agent()
        # An agent that came up after the one stopped (a start that lost a race) is a leak:
        # stop it, by its PID, and fail the test that left it.
        strays = box.stray_agents()
        for pid in strays:
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid, 5)
        if strays:
            pytest.fail(f"agents left running after the test: {strays}")


@pytest.fixture
def lab_sandbox(lab, sandbox):
    """A sandbox on the running lab: ``(lab status, sandbox)``."""
    return lab, sandbox


@pytest.fixture(scope="session")
def ad_lab():
    """The AD lab (``lab/ad``), up, held shared for the session as the Rust tests hold it:
    its ``status --json``. Skips where the lab cannot run (no Samba AD DC here)."""
    lock_dir = pathlib.Path(os.environ.get("TMPDIR") or "/tmp") / "wnet-lab"
    lock_dir.mkdir(parents=True, exist_ok=True)
    lease = open(lock_dir / "ad.tests.lock", "a")
    fcntl.flock(lease, fcntl.LOCK_SH)
    try:
        script = str(LAB_DIR / "ad")
        run = functools.partial(
            subprocess.run,
            capture_output=True,
            text=True,
            timeout=LAB_SCRIPT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        up = run([script, "up"])
        if up.returncode != 0:
            pytest.skip(f"lab/ad cannot run here: {up.stderr.strip()[-300:]}")
        status = run([script, "status", "--json"])
        assert status.returncode == 0, f"lab/ad status failed: {status.stderr}"
        yield json.loads(status.stdout)
    finally:
        lease.close()


def password(lab, user):
    for entry in lab["users"]:
        if entry["name"] == user:
            return entry["password"]
    raise AssertionError(f"the lab has no user {user}")
