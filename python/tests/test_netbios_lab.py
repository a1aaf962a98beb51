"""``Netbios()`` from Python against the Samba lab: pywin32's netbios.py way (NCBENUM, NCBRESET,
NCBASTAT filling real nb30.h structures), remote adapter status and find-name of LABSERVER
(nmbd), ASYNCH commands, and the NRC codes of failures.

The NCB engine's only LANA is the lab's link (conftest), so every packet goes to the lab."""

import pathlib
import threading
import time
import warnings

import pytest
from conftest import SERVER, SERVER_NAME, WORKGROUP

import netbios
import win32wnet

pytestmark = pytest.mark.usefixtures("lab", "reset_lana")


@pytest.fixture(scope="module")
def reset_lana(lab):
    """NCBRESET on LANA 0, as a Windows program does before its first command there (without
    it, commands answer NRC_ENVNOTDEF); each test can then run alone."""
    ncb = netbios.NCB()
    ncb.Command = netbios.NCBRESET
    ncb.Lana_num = 0
    assert netbios.Netbios(ncb) == netbios.NRC_GOODRET


def lab_mac():
    import os

    interface = os.environ["WNET_NETBIOS_INTERFACES"]
    text = pathlib.Path(f"/sys/class/net/{interface}/address").read_text().strip()
    return bytes.fromhex(text.replace(":", ""))


def enumerate_lanas():
    ncb = netbios.NCB()
    ncb.Command = netbios.NCBENUM
    lanas = netbios.LANA_ENUM()
    ncb.Buffer = lanas
    rc = netbios.Netbios(ncb)
    assert rc == netbios.NRC_GOODRET
    assert ncb.Retcode == 0 and ncb.Cmd_cplt == 0
    return [lanas.lana[i] for i in range(lanas.length)]


def test_enum_reset_and_local_adapter_status_as_pywin32s_demo():
    lanas = enumerate_lanas()
    assert lanas == [0], "one LANA: the lab's link"
    ncb = netbios.NCB()
    ncb.Command = netbios.NCBRESET
    ncb.Lana_num = lanas[0]
    assert netbios.Netbios(ncb) == netbios.NRC_GOODRET
    ncb.Reset()
    ncb.Command = netbios.NCBASTAT
    ncb.Lana_num = lanas[0]
    ncb.Callname = b"*               "
    adapter = netbios.ADAPTER_STATUS()
    ncb.Buffer = adapter
    assert netbios.Netbios(ncb) == netbios.NRC_GOODRET
    assert adapter.adapter_address == lab_mac()
    assert adapter.rev_major == 3
    assert ncb.Buffer is adapter


def node_status(name, size=60 + 18 * 20):
    ncb = win32wnet.NCB()
    ncb.Command = netbios.NCBASTAT
    ncb.Lana_num = 0
    ncb.Callname = name
    buf = win32wnet.NCBBuffer(size)
    ncb.Buffer = buf
    return win32wnet.Netbios(ncb), ncb, buf


def parse_names(buf):
    adapter = netbios.ADAPTER_STATUS()
    adapter._buffer_[:] = buf[:60]
    adapter._unpack()
    names = []
    for i in range(adapter.name_count):
        entry = netbios.NAME_BUFFER()
        entry._buffer_[:] = buf[60 + 18 * i : 78 + 18 * i]
        entry._unpack()
        names.append((entry.name[:15].rstrip(b" "), entry.name[15], entry.name_flags))
    return adapter, names


def test_remote_adapter_status_lists_the_lab_servers_names():
    rc, ncb, buf = node_status(SERVER_NAME)
    assert rc == netbios.NRC_GOODRET and ncb.Retcode == 0
    adapter, names = parse_names(buf)
    assert ncb.Bufflen == 60 + 18 * adapter.name_count
    unique = netbios.REGISTERED | netbios.UNIQUE_NAME
    group = netbios.REGISTERED | netbios.GROUP_NAME
    assert (SERVER_NAME.encode(), 0x20, unique) in names
    assert (SERVER_NAME.encode(), 0x00, unique) in names
    assert (WORKGROUP.encode(), 0x00, group) in names


def test_adapter_status_by_address_and_with_short_buffers():
    rc, _, buf = node_status(SERVER)  # an IPv4 literal is a name too (Wine's rule)
    assert rc == netbios.NRC_GOODRET
    assert (SERVER_NAME.encode(), 0x20, netbios.REGISTERED) in parse_names(buf)[1]
    rc, ncb, _ = node_status(SERVER_NAME, size=60)
    assert rc == netbios.NRC_INCOMP and ncb.Retcode == netbios.NRC_INCOMP
    rc, _, _ = node_status(SERVER_NAME, size=10)
    assert rc == netbios.NRC_BUFLEN


def test_find_name_gives_the_servers_address():
    ncb = win32wnet.NCB()
    ncb.Command = netbios.NCBFINDNAME
    ncb.Callname = SERVER_NAME
    header = netbios.FIND_NAME_HEADER()
    buf = win32wnet.NCBBuffer(4 + 33 * 4)
    ncb.Buffer = buf
    assert win32wnet.Netbios(ncb) == netbios.NRC_GOODRET
    header._buffer_[:] = buf[:4]
    header._unpack()
    assert header.node_count >= 1
    found = netbios.FIND_NAME_BUFFER()
    found._buffer_[:] = buf[4:37]
    found._unpack()
    assert found.source_addr[2:] == bytes(map(int, SERVER.split(".")))


def test_failures_are_nrc_codes_not_exceptions():
    rc, ncb, _ = node_status("NOSUCHHOST")
    assert rc == netbios.NRC_CMDTMO and ncb.Retcode == netbios.NRC_CMDTMO
    ncb = win32wnet.NCB()
    ncb.Command = netbios.NCBASTAT
    ncb.Lana_num = 5
    ncb.Callname = "*"
    ncb.Buffer = netbios.ADAPTER_STATUS()
    assert netbios.Netbios(ncb) == netbios.NRC_BRIDGE
    ncb = win32wnet.NCB()
    ncb.Command = netbios.NCBENUM
    ncb.Buffer = win32wnet.NCBBuffer(10)
    assert win32wnet.Netbios(ncb) == netbios.NRC_BUFLEN


def asynch_adapter_status(callname, room=60 + 18 * 20):
    """An NCB set up for an ASYNCH NCBASTAT of ``callname``, and its buffer."""
    ncb = win32wnet.NCB()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0xB3 does not fit a signed char
        ncb.Command = netbios.NCBASTAT | netbios.ASYNCH
    ncb.Callname = callname
    buf = win32wnet.NCBBuffer(room)
    ncb.Buffer = buf
    return ncb, buf


def test_asynch_command_completes_in_the_background():
    ncb, buf = asynch_adapter_status(SERVER_NAME)
    assert win32wnet.Netbios(ncb) == netbios.NRC_GOODRET
    deadline = time.monotonic() + 10
    while ncb.Cmd_cplt == -1:  # NRC_PENDING read signed
        assert time.monotonic() < deadline, "the ASYNCH command never completed"
        time.sleep(0.005)
    assert ncb.Cmd_cplt == 0 and ncb.Retcode == 0
    names = parse_names(buf)[1]
    assert (SERVER_NAME.encode(), 0x20, netbios.REGISTERED) in names


def test_asynch_results_reach_the_buffer_without_reading_the_ncb():
    ncb, buf = asynch_adapter_status(SERVER_NAME)
    assert win32wnet.Netbios(ncb) == 0
    deadline = time.monotonic() + 10
    while bytes(buf[60:69]) != SERVER_NAME.encode():
        assert time.monotonic() < deadline, "the buffer was never filled"
        time.sleep(0.005)


def test_asynch_completion_reaches_a_busy_polling_loop():
    # The NCB's attributes are written on completion, from the engine's thread: a loop that
    # never sleeps (and so holds the GIL but for the interpreter's switches) still sees it.
    ncb, buf = asynch_adapter_status(SERVER_NAME)
    assert win32wnet.Netbios(ncb) == netbios.NRC_GOODRET
    deadline = time.monotonic() + 10
    while ncb.Cmd_cplt == -1 and time.monotonic() < deadline:
        pass
    assert (ncb.Cmd_cplt, ncb.Retcode) == (0, 0)
    assert ncb.Bufflen > 60
    assert (SERVER_NAME.encode(), 0x20, netbios.REGISTERED) in parse_names(buf)[1]


def test_an_interrupted_command_still_completes_its_ncb():
    import os
    import signal

    ncb = win32wnet.NCB()
    ncb.Command = netbios.NCBASTAT
    ncb.Callname = "NOSUCHHOST"  # resolution takes its full timeout (about a second)
    ncb.Buffer = win32wnet.NCBBuffer(60)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        win32wnet.Netbios(ncb)
    timer.join()
    # Ctrl-C ended the wait, not the command: the NCB reads pending until the command ends.
    assert ncb.Cmd_cplt == -1
    deadline = time.monotonic() + 10
    while ncb.Cmd_cplt == -1:
        assert time.monotonic() < deadline, "the interrupted command never completed"
        time.sleep(0.01)
    assert ncb.Cmd_cplt == netbios.NRC_CMDTMO and ncb.Retcode == netbios.NRC_CMDTMO


def test_eight_threads_at_once():
    results = [None] * 8
    errors = []

    def work(index):
        try:
            rc, _, buf = node_status(SERVER_NAME)
            results[index] = (rc, parse_names(buf)[1])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert all(result is not None and result[0] == 0 for result in results)
    assert all(result[1] == results[0][1] for result in results)


def test_an_ncb_in_use_is_refused_until_its_command_completes():
    # NOSUCHHOST: resolution takes its full timeout (about a second).
    ncb, _ = asynch_adapter_status("NOSUCHHOST", room=60)
    assert win32wnet.Netbios(ncb) == netbios.NRC_GOODRET
    assert ncb.Cmd_cplt == -1
    assert win32wnet.Netbios(ncb) == netbios.NRC_TOOMANY
    deadline = time.monotonic() + 10
    while ncb.Cmd_cplt == -1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert ncb.Cmd_cplt == netbios.NRC_CMDTMO and ncb.Retcode == netbios.NRC_CMDTMO
