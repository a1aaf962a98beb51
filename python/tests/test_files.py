"""The direct file API (``wnet.open_file``, ``wnet.listdir``…) against the lab, as people
coming from smbprotocol's ``smbclient`` module use it: every result is checked with
smbclient, the real peer, on the server."""

import asyncio
import hashlib
import json
import os
import stat
import threading

import pytest
from conftest import SERVER, password
from test_unc_paths import server_file, server_names, smbclient

import wnet
import wnet.aio


def server_bytes(lab, path):
    """The bytes of ``path`` in the public share, as smbclient fetches them."""
    local = f"/tmp/wnet-files-{os.getpid()}-{os.urandom(3).hex()}"
    try:
        smbclient(lab, "public", f'get "{path}" {local}')
        with open(local, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(local):
            os.unlink(local)


def unc(*parts):
    return "\\\\" + "\\".join((SERVER, "public") + parts)


@pytest.fixture
def share(lab, sandbox):
    """A fresh directory on the lab's public share, connected with alice's credentials (the
    way ``smbclient.register_session`` is used), removed afterwards."""
    name = f"py-files-{os.getpid()}-{os.urandom(3).hex()}"
    with wnet.connect(unc(), "wnetalice", password(lab, "wnetalice")):
        wnet.mkdir(unc(name))
        try:
            yield lab, name
        finally:
            wnet.rmtree(unc(name), ignore_errors=True)


def test_text_and_binary_files_round_trip_and_reach_the_server(share):
    lab, name = share
    with wnet.open_file(unc(name, "notes.txt"), "w", encoding="utf-8") as f:
        f.write("première ligne\nsecond line\n")
    assert server_file(lab, "public", f"{name}\\notes.txt") == "première ligne\nsecond line\n".encode()
    with wnet.open_file(unc(name, "notes.txt")) as f:
        assert f.readlines() == ["première ligne\n", "second line\n"]
    with wnet.open_file(unc(name, "notes.txt"), "a") as f:
        f.write("appended\n")
    with wnet.open_file(unc(name, "notes.txt"), "rb") as f:
        assert f.read().endswith(b"second line\nappended\n")
        f.seek(3)
        assert f.read(6) == "mière".encode()[:6]
    # "x" refuses an existing file, as open() does.
    with pytest.raises(FileExistsError) as raised:
        wnet.open_file(unc(name, "notes.txt"), "x")
    assert raised.value.winerror in (80, 183)
    # r+ reads and writes in place; truncate cuts.
    with wnet.open_file(unc(name, "notes.txt"), "r+b") as f:
        f.write(b"PREM")
        f.truncate(10)
    assert server_bytes(lab, f"{name}\\notes.txt") == b"PREMi\xc3\xa8re "


def test_a_large_file_streams_both_ways_byte_for_byte(share):
    lab, name = share
    data = os.urandom(24 << 20) + b"tail"
    with wnet.open_file(unc(name, "big.bin"), "wb") as f:
        # In pieces of odd sizes, as copy loops write.
        for start in range(0, len(data), 777_777):
            f.write(data[start : start + 777_777])
    with wnet.open_file(unc(name, "big.bin"), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(data).hexdigest()
        f.seek(len(data) - 10)
        assert f.read(100) == data[-10:]
    assert wnet.stat(unc(name, "big.bin")).st_size == len(data)
    on_server = server_bytes(lab, f"{name}\\big.bin")
    assert hashlib.sha256(on_server).digest() == hashlib.sha256(data).digest()


def test_a_write_of_this_process_is_seen_by_a_file_that_read_ahead(share):
    _, name = share
    path = unc(name, "ahead.bin")
    with wnet.open_file(path, "wb") as f:
        f.write(b"a" * (2 << 20))
    with wnet.open_file(path, "rb", buffering=0) as reader:
        assert reader.read(10) == b"a" * 10  # the rest of the file is read ahead
        with wnet.open_file(path, "r+b") as writer:
            writer.seek(100)
            writer.write(b"CHANGED")
        assert reader.read(90) == b"a" * 90
        assert reader.read(7) == b"CHANGED"
        reader.seek(0)
        assert len(reader.read()) == 2 << 20


def test_reads_sent_ahead_of_a_reader_give_way_to_this_process_writes(share):
    # A sequential reader has the next 8 MiB under way while it uses what it got; a write of
    # this process to the file (through another file object) drops them, so the reader sees
    # it. The whole file still reads back, and so does a second file read alongside.
    lab, name = share
    size = 24 << 20
    path = unc(name, "far-ahead.bin")
    with wnet.open_file(path, "wb") as f:
        f.write(b"a" * size)
    with wnet.open_file(unc(name, "other.bin"), "wb") as f:
        f.write(b"o" * (10 << 20))
    with wnet.open_file(path, "rb") as reader, wnet.open_file(unc(name, "other.bin"), "rb") as other:
        assert reader.read(8 << 20) == b"a" * (8 << 20)  # the next 8 MiB sent ahead
        assert other.read(3 << 20) == b"o" * (3 << 20)
        with wnet.open_file(path, "r+b") as writer:
            writer.seek(9 << 20)
            writer.write(b"CHANGED")
        rest = reader.read()
        assert len(rest) == size - (8 << 20)
        assert rest[1 << 20 : (1 << 20) + 7] == b"CHANGED"
        assert rest.count(b"a") == len(rest) - 7
        assert other.read() == b"o" * (7 << 20)


def test_directories_listings_renames_and_deletes_are_what_the_server_holds(share):
    lab, name = share
    wnet.makedirs(unc(name, "a", "b", "c"))
    wnet.makedirs(unc(name, "a", "b"), exist_ok=True)
    with pytest.raises(FileExistsError):
        wnet.makedirs(unc(name, "a", "b"))
    for file in ("one.txt", "two.txt"):
        with wnet.open_file(unc(name, "a", file), "w") as f:
            f.write(file)
    assert sorted(wnet.listdir(unc(name, "a"))) == ["b", "one.txt", "two.txt"]
    assert server_names(lab, "public", f"{name}\\a") == {"b", "one.txt", "two.txt"}
    entries = {entry.name: entry for entry in wnet.scandir(unc(name, "a"))}
    assert entries["b"].is_dir() and not entries["b"].is_file()
    assert entries["one.txt"].is_file() and entries["one.txt"].stat().st_size == 7
    assert entries["one.txt"].path == unc(name, "a", "one.txt")
    assert stat.S_ISDIR(wnet.stat(unc(name, "a")).st_mode)
    assert [(top, sorted(dirs), sorted(files)) for top, dirs, files in wnet.walk(unc(name))] == [
        (unc(name), ["a"], []),
        (unc(name, "a"), ["b"], ["one.txt", "two.txt"]),
        (unc(name, "a", "b"), ["c"], []),
        (unc(name, "a", "b", "c"), [], []),
    ]
    # rename refuses to replace, as on Windows; replace replaces.
    with pytest.raises(FileExistsError):
        wnet.rename(unc(name, "a", "one.txt"), unc(name, "a", "two.txt"))
    wnet.replace(unc(name, "a", "one.txt"), unc(name, "a", "two.txt"))
    assert server_file(lab, "public", f"{name}\\a\\two.txt") == b"one.txt"
    wnet.rename(unc(name, "a", "two.txt"), unc(name, "moved.txt"))
    assert server_names(lab, "public", name) == {"a", "moved.txt"}
    wnet.remove(unc(name, "moved.txt"))
    with pytest.raises(OSError) as raised:
        wnet.rmdir(unc(name, "a"))
    assert raised.value.winerror == 145  # ERROR_DIR_NOT_EMPTY
    wnet.rmdir(unc(name, "a", "b", "c"))
    assert server_names(lab, "public", f"{name}\\a\\b") == set()


def test_copies_between_local_and_share_and_within_the_share(share, tmp_path):
    lab, name = share
    local = tmp_path / "local.bin"
    local.write_bytes(os.urandom(3 << 20))
    wnet.copyfile(str(local), unc(name, "copied.bin"))
    assert server_bytes(lab, f"{name}\\copied.bin") == local.read_bytes()
    wnet.makedirs(unc(name, "tree", "sub"))
    wnet.copyfile(unc(name, "copied.bin"), unc(name, "tree", "sub", "again.bin"))
    wnet.copytree(unc(name, "tree"), unc(name, "tree2"))
    assert server_bytes(lab, f"{name}\\tree2\\sub\\again.bin") == local.read_bytes()
    back = tmp_path / "back.bin"
    wnet.copyfile(unc(name, "tree2", "sub", "again.bin"), str(back))
    assert back.read_bytes() == local.read_bytes()
    wnet.rmtree(unc(name, "tree2"))
    assert "tree2" not in server_names(lab, "public", name)


def test_failures_raise_oserror_with_windows_codes(share):
    _, name = share
    with pytest.raises(FileNotFoundError) as raised:
        wnet.open_file(unc(name, "missing.txt"))
    assert raised.value.winerror == 2
    with pytest.raises(FileNotFoundError):
        wnet.stat(unc(name, "missing", "deeper.txt"))
    with pytest.raises(OSError) as raised:
        wnet.listdir("/tmp")
    assert raised.value.winerror == 53  # ERROR_BAD_NETPATH: not a network path
    with pytest.raises(OSError) as raised:
        wnet.listdir("Q:\\")
    assert raised.value.winerror == 3  # ERROR_PATH_NOT_FOUND: Q: is not redirected
    with pytest.raises(OSError) as raised:
        wnet.listdir(unc(name, "..", "..", "..", "etc"))
    assert raised.value.winerror == 53
    with pytest.raises(OSError) as raised:
        wnet.open_file(unc(name, "bad|name.txt"), "w")
    assert raised.value.winerror == 123  # ERROR_INVALID_NAME
    with pytest.raises(ValueError):
        wnet.open_file(unc(name, "f.txt"), "rw")
    # A file opened sharing nothing: another open of it is a sharing violation.
    with wnet.open_file(unc(name, "locked.txt"), "w", share_access=""):
        with pytest.raises(PermissionError) as raised:
            wnet.open_file(unc(name, "locked.txt"))
        assert raised.value.winerror == 32
    with pytest.raises(OSError) as raised:
        wnet.rename(unc(name, "a"), f"\\\\{SERVER}\\readonly\\a")
    assert raised.value.winerror == 17  # ERROR_NOT_SAME_DEVICE


def test_threads_share_a_channel_and_each_file_keeps_its_own_position(share):
    lab, name = share
    payloads = {index: os.urandom(300_000 + index) for index in range(6)}
    failures = []

    def work(index):
        try:
            path = unc(name, f"thread-{index}.bin")
            with wnet.open_file(path, "wb") as f:
                f.write(payloads[index])
            with wnet.open_file(path, "rb") as f:
                assert f.read() == payloads[index]
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    for index, payload in payloads.items():
        assert server_bytes(lab, f"{name}\\thread-{index}.bin") == payload


def test_asyncio_variants_read_write_and_list(share):
    lab, name = share

    async def main():
        async with await wnet.aio.open_file(unc(name, "aio.txt"), "w") as f:
            await f.write("from asyncio\n")
        f = await wnet.aio.open_file(unc(name, "aio.txt"))
        try:
            text = await f.read()
        finally:
            await f.close()
        return text, await wnet.aio.listdir(unc(name))

    text, names = asyncio.run(main())
    assert text == "from asyncio\n"
    assert names == ["aio.txt"]
    assert server_file(lab, "public", f"{name}\\aio.txt") == b"from asyncio\n"


def test_a_stopped_agent_is_replaced_for_the_next_call(share, sandbox):
    lab, name = share
    with wnet.open_file(unc(name, "before.txt"), "w") as f:
        f.write("before")
    sandbox.stop_agent()
    # The share's connection went with the agent: the next call connects it again, with the
    # default credentials (alice's, from the environment here).
    os.environ["WNET_USER"] = "wnetalice"
    os.environ["WNET_PASSWORD"] = password(lab, "wnetalice")
    try:
        assert wnet.listdir(unc(name)) == ["before.txt"]
    finally:
        del os.environ["WNET_USER"], os.environ["WNET_PASSWORD"]


def test_without_a_mount_unc_paths_go_straight_over_smb(
    lab, sandbox, monkeypatch, tmp_path, capfd
):
    # An agent that mounts nothing, as in a container without /dev/fuse: scripts' UNC paths
    # still reach the share, through the file channel.
    import pathlib
    import shutil

    monkeypatch.setenv("WNET_DRIVE_BACKEND", "none")
    name = f"py-nofuse-{os.getpid()}-{os.urandom(3).hex()}"
    with wnet.connect(f"\\\\{SERVER}", "wnetalice", password(lab, "wnetalice")):
        base = unc(name)
        os.mkdir(base)
        try:
            with open(base + "\\report.txt", "w") as f:
                f.write("no FUSE here\n")
            assert os.listdir(base) == ["report.txt"]
            assert os.path.isfile(base + "\\report.txt")
            assert os.path.getsize(base + "\\report.txt") == 13
            assert not os.path.exists(base + "\\missing.txt")
            local = tmp_path / "copy.txt"
            shutil.copyfile(base + "\\report.txt", local)
            assert local.read_text() == "no FUSE here\n"
            shutil.copyfile(local, base + "\\back.txt")
            assert pathlib.Path(base + "\\back.txt").read_text() == "no FUSE here\n"
            os.replace(base + "\\back.txt", base + "\\report.txt")
            assert [entry.name for entry in os.scandir(base)] == ["report.txt"]
            assert server_file(lab, "public", f"{name}\\report.txt") == b"no FUSE here\n"
            # `wnet use --json` shows how the share is reached: straight over SMB.
            capfd.readouterr()
            assert wnet._native._cli_main(["wnet", "--json", "use"]) == 0
            rows = json.loads(capfd.readouterr().out)
            served = {row["remote"].lower(): row for row in rows}
            assert served[unc().lower()]["served"] == "smb", rows
            assert served[unc().lower()]["file_channels"] >= 1, rows
            # shutil.copy and copy2 set the mode and times after the copy: the file keeps
            # the server's, as through a mount of a share without Unix extensions.
            shutil.copy(local, base + "\\copied.txt")
            shutil.copy2(local, base + "\\copied2.txt")
            assert server_file(lab, "public", f"{name}\\copied2.txt") == b"no FUSE here\n"
            os.chmod(base + "\\copied.txt", 0o600)
            with pytest.raises(FileNotFoundError):
                os.chmod(base + "\\missing.txt", 0o600)
            # What has no SMB equivalent here says so, with Windows' code.
            with pytest.raises(OSError) as raised:
                os.link(base + "\\copied.txt", base + "\\linked.txt")
            assert raised.value.winerror == 50
            # A drive letter cannot be mapped without mounts.
            with pytest.raises(wnet.Error) as refused:
                wnet.connect(unc(), device="Y:")
            assert refused.value.winerror == 50
        finally:
            wnet.rmtree(base, ignore_errors=True)
    assert name not in server_names(lab, "public")
    # No mount was made.
    with open("/proc/self/mountinfo") as table:
        assert str(sandbox.runtime_dir) not in table.read()


def _lab_smbd_children(lab):
    """The smbd processes serving the lab's client connections (children of its main smbd)."""
    main = str(lab["pids"]["smbd"])
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if fields[1] == main and comm == "smbd":
            children.add(int(entry))
    return children


@pytest.mark.parametrize("through", ["file API", "mounted UNC path"])
def test_open_files_read_and_write_on_across_a_lost_connection(lab, sandbox, through):
    # The smbd serving the agent's connection is killed (SIGTERM: it drops the connection;
    # Samba keeps the durable opens for their timeout) while one thread writes a file and
    # another reads one, each through a file opened before: with wnet.open_file (the file
    # channel), or with the built-in open on a UNC path (the share's mount, the drive). The
    # agent reconnects, the durable handles are reopened, and both threads finish: the files
    # are whole on both sides (SHA-256). Before the channel reopened its files, both failed.
    import builtins
    import signal
    import time

    opener = wnet.open_file if through == "file API" else builtins.open

    name = f"py-durable-{os.getpid()}-{os.urandom(3).hex()}"
    chunk, chunks = 1 << 20, 32
    source = os.urandom(chunk * chunks)
    public = next(share for share in lab["shares"] if share["name"] == "public")["path"]
    before = _lab_smbd_children(lab)
    with wnet.connect(unc(), "wnetalice", password(lab, "wnetalice")):
        ours = _lab_smbd_children(lab) - before
        assert len(ours) == 1, f"one smbd serves the agent's connection: {ours}"
        wnet.mkdir(unc(name))
        on_disk = os.path.join(public, name)
        remote = os.urandom(chunk * chunks)
        with open(os.path.join(on_disk, "remote.bin"), "wb") as f:
            f.write(remote)
        progress = {"written": 0, "read": 0}
        outcome = {}
        received = bytearray()

        def write():
            try:
                with opener(unc(name, "written.bin"), "wb") as f:
                    for index in range(chunks):
                        f.write(source[index * chunk : (index + 1) * chunk])
                        f.flush()
                        progress["written"] += chunk
                        time.sleep(0.05)
                outcome["writer"] = "done"
            except Exception as error:  # reported by the assertion below
                outcome["writer"] = repr(error)

        def read():
            try:
                with opener(unc(name, "remote.bin"), "rb", buffering=0) as f:
                    while True:
                        data = f.read(chunk)
                        if not data:
                            break
                        received.extend(data)
                        progress["read"] += len(data)
                        time.sleep(0.05)
                outcome["reader"] = "done"
            except Exception as error:
                outcome["reader"] = repr(error)

        threads = [threading.Thread(target=write), threading.Thread(target=read)]
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while min(progress.values()) < 4 * chunk and time.monotonic() < deadline:
                time.sleep(0.01)
            assert min(progress.values()) >= 4 * chunk, (progress, outcome)
            for pid in ours:
                os.kill(pid, signal.SIGTERM)
            then = dict(progress)
        finally:
            for thread in threads:
                thread.join(120)
        assert not any(thread.is_alive() for thread in threads), "both finish within 2 min"
        assert then["written"] < chunk * chunks and then["read"] < chunk * chunks, then
        assert outcome == {"writer": "done", "reader": "done"}, outcome
        with open(os.path.join(on_disk, "written.bin"), "rb") as f:
            on_server = f.read()
        assert hashlib.sha256(on_server).hexdigest() == hashlib.sha256(source).hexdigest()
        assert hashlib.sha256(received).hexdigest() == hashlib.sha256(remote).hexdigest()
        assert not (_lab_smbd_children(lab) & ours), "the killed smbd is gone"
        wnet.rmtree(unc(name), ignore_errors=True)


def test_a_closing_files_last_write_goes_with_the_close(share):
    # Closing a file sends its last write and the close together; the bytes are on the
    # server and the handle is gone (an exclusive open succeeds) after binary, text and
    # read-write files alike. A flush before the close still sends what was written at once:
    # another reader sees it while the file is open.
    lab, name = share
    for mode, data in (("wb", b"binary \x00\xff"), ("w", "text\n"), ("w+b", b"read-write")):
        path = unc(name, f"last-{mode.replace('+', 'plus')}.bin")
        with wnet.open_file(path, mode) as f:
            f.write(data)
        expected = data.encode() if isinstance(data, str) else data
        assert server_bytes(lab, f"{name}\\last-{mode.replace('+', 'plus')}.bin") == expected
        with wnet.open_file(path, "rb", share_access="") as alone:
            assert alone.read() == expected
    path = unc(name, "flushed.txt")
    with wnet.open_file(path, "w") as f:
        f.write("seen before the close")
        f.flush()
        with wnet.open_file(path, "r") as reader:
            assert reader.read() == "seen before the close"
        f.write(", and the rest after")
    assert server_bytes(lab, f"{name}\\flushed.txt") == b"seen before the close, and the rest after"
