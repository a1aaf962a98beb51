"""bench/files: the direct file API against smbprotocol's ``smbclient``, in one run on the lab.

- 256 MiB written and read back through ``wnet.open_file`` and ``smbclient.open_file``, in
  1 MiB writes and reads as a copy loop makes them, MB/s, beside the floor: Samba's own
  ``smbclient`` putting and getting the same file (to ``/dev/null``), signed as both are;
- 1,000 files of 4 KiB created, written and closed, files per second, beside two floors
  (``crates/smb2/examples/small_files_floor.rs``, SMB alone with no agent or Python): the
  three round trips any client that opens, writes and closes a file makes, and one compound
  of the three, the least any client can do;
- ``scandir`` of a directory of 10,000 entries (made on the server's disk), entries per second;
- ``open`` + ``read`` of a 4 KiB file by UNC path (the agent's mount for UNC paths) against
  the same through the drive's mount path and through ``wnet.open_file``;
- ``os.stat`` of a local path with the path support installed against without (``posix.stat``,
  the function it wraps), beside two floors: ``functools.partial`` (the cheapest C wrapper)
  and a ``PathFunction`` checking no argument (the cheapest wrapper the wheel's stable ABI
  allows).

Each figure is the median of the runs, the two sides taking turns in every run. A benchmark,
not a test: run by ``bash bench/files``, which sets the environment up; prints medians and
ratios (wnet's figure over smbprotocol's: above 1 is faster for a rate). Traffic goes to the
lab (198.51.100.2) only.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import timeit
import uuid

SERVER = "198.51.100.2"
USER = "wnetalice"
MIB = 1 << 20


def timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(runs, password, share_dir):
    import posix

    import smbclient

    import wnet

    smbclient.register_session(SERVER, username=USER, password=password)
    connection = wnet.connect(f"\\\\{SERVER}\\public", USER, password)
    base = f"bench-files-{uuid.uuid4().hex[:8]}"
    unc = f"\\\\{SERVER}\\public\\{base}"
    disk = os.path.join(share_dir, base)
    os.mkdir(disk)
    os.chmod(disk, 0o777)
    payload = os.urandom(256 * MIB)
    small = os.urandom(4096)
    results = {}

    def record(name, value):
        results.setdefault(name, []).append(value)

    def write_file(opener, path):
        with opener(path, "wb") as f:
            for start in range(0, len(payload), MIB):
                f.write(payload[start : start + MIB])

    def read_file(opener, path):
        total = 0
        with opener(path, "rb") as f:
            while True:
                piece = f.read(MIB)
                if not piece:
                    break
                total += len(piece)
        assert total == len(payload)

    def many_files(opener, directory):
        for index in range(1000):
            with opener(f"{directory}\\f{index}.bin", "wb") as f:
                f.write(small)

    try:
        listing = os.path.join(disk, "ten-thousand")
        os.mkdir(listing)
        for index in range(10_000):
            open(os.path.join(listing, f"entry-{index:05}.txt"), "wb").close()
        os.chmod(listing, 0o777)
        def samba_client(command):
            subprocess.run(
                [
                    "smbclient",
                    f"//{SERVER}/public",
                    "-U",
                    f"{USER}%{password}",
                    # Signed, as wnet's and smbprotocol's sessions are by default.
                    "--option=client signing=required",
                    "-c",
                    command,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )

        source = os.path.join(disk, "floor-source.bin")
        with open(source, "wb") as f:
            f.write(payload)
        for run in range(runs):
            # The floor: Samba's own client, smbclient, over the same link.
            record("write floor", 256 / timed(lambda: samba_client(f'put "{source}" "{base}\\floor.bin"')))
            record("read floor", 256 / timed(lambda: samba_client(f'get "{base}\\floor.bin" /dev/null')))
            for side, opener, scan in (
                ("wnet", wnet.open_file, wnet.scandir),
                ("smbprotocol", smbclient.open_file, smbclient.scandir),
            ):
                path = f"{unc}\\big-{side}.bin"
                record(f"write {side}", 256 / timed(lambda: write_file(opener, path)))
                record(f"read {side}", 256 / timed(lambda: read_file(opener, path)))
                directory = f"{unc}\\many-{side}-{run}"
                wnet.mkdir(directory)
                record(f"files {side}", 1000 / timed(lambda: many_files(opener, directory)))
                count = [0]

                def scan_all():
                    count[0] = sum(1 for _ in scan(f"{unc}\\ten-thousand"))

                record(f"scandir {side}", 10_000 / timed(scan_all))
                assert count[0] == 10_000, count
            floor_dir = f"floor-{run}"
            os.mkdir(os.path.join(disk, floor_dir))
            os.chmod(os.path.join(disk, floor_dir), 0o777)
            floors = json.loads(
                subprocess.run(
                    [
                        os.environ["WNET_BENCH_FLOOR"],
                        f"{SERVER}:445",
                        f"\\\\{SERVER}\\public",
                        USER,
                        password,
                        f"{base}\\{floor_dir}",
                        "1000",
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=300,
                ).stdout
            )
            record("files floor", floors["separate"])
            record("files compound floor", floors["compound"])

        print(f"== wnet against smbprotocol {smbclient.__name__} (median of {runs})")
        for label, unit, key in (
            ("256 MiB written, 1 MiB writes", "MB/s", "write"),
            ("256 MiB read, 1 MiB reads", "MB/s", "read"),
            ("4 KiB files created, written, closed", "files/s", "files"),
            ("scandir of 10,000 entries", "entries/s", "scandir"),
        ):
            ours = statistics.median(results[f"{key} wnet"])
            theirs = statistics.median(results[f"{key} smbprotocol"])
            print(
                f"  {label:40} wnet {ours:10.1f} {unit:9} smbprotocol {theirs:10.1f}"
                f" {unit:9} {ours / theirs:6.2f}x"
            )
            if f"{key} floor" in results and key == "files":
                for name, floor_key in (
                    ("open, write, close over SMB alone", "files floor"),
                    ("one compound over SMB alone", "files compound floor"),
                ):
                    floor = statistics.median(results[floor_key])
                    print(
                        f"  {'':40} {name} (a floor) {floor:10.1f} {unit}: wnet"
                        f" {ours / floor:.2f}x, smbprotocol {theirs / floor:.2f}x of it"
                    )
            elif f"{key} floor" in results:
                floor = statistics.median(results[f"{key} floor"])
                print(
                    f"  {'':40} smbclient (the floor) {floor:10.1f} {unit}: wnet"
                    f" {ours / floor:.2f}x, smbprotocol {theirs / floor:.2f}x of it"
                )

        # A small file by UNC path, by the drive's mount path and by the file API.
        small_unc = f"{unc}\\small.bin"
        with wnet.open_file(small_unc, "wb") as f:
            f.write(small)
        drive = wnet.connect(f"\\\\{SERVER}\\public", device="Y:")
        mounted = os.path.join(wnet.local_path("Y:\\"), base, "small.bin")

        def read_by(path, opener=open):
            with opener(path, "rb") as f:
                assert f.read() == small

        number = 200
        timings = {"unc": [], "mount": [], "api": []}
        for _ in range(max(runs, 5)):
            timings["mount"].append(timed(lambda: [read_by(mounted) for _ in range(number)]))
            timings["unc"].append(timed(lambda: [read_by(small_unc) for _ in range(number)]))
            timings["api"].append(
                timed(lambda: [read_by(small_unc, wnet.open_file) for _ in range(number)])
            )
        mount_us = statistics.median(timings["mount"]) / number * 1e6
        unc_us = statistics.median(timings["unc"]) / number * 1e6
        api_us = statistics.median(timings["api"]) / number * 1e6
        print(f"== open + read of a 4 KiB file (median of {max(runs, 5)} x {number})")
        print(f"  {'through the drive mount path':40} {mount_us:9.1f} us   1.00x")
        print(f"  {'by UNC path (open)':40} {unc_us:9.1f} us   {unc_us / mount_us:.2f}x")
        print(f"  {'wnet.open_file':40} {api_us:9.1f} us   {api_us / mount_us:.2f}x")
        drive.close()

        # Local paths with the path support installed (os.stat wraps posix.stat), beside two
        # floors: functools.partial, the cheapest C wrapper (vectorcall), and a PathFunction
        # that checks no argument: the cheapest wrapper a type of CPython 3.9's stable ABI
        # (the wheel's abi3) can be, called through tp_call. The four take turns; the best of
        # each is kept.
        import functools

        from wnet import _native

        local = "/usr/lib/python3/dist-packages"
        number = 100_000
        floors = {
            "plain": posix.stat,
            "partial": functools.partial(posix.stat),
            "forwarder": _native.PathFunction(posix.stat, posix.stat, 0),
            "wrapped": os.stat,
        }
        stats = {key: [] for key in floors}
        for _ in range(15):
            for key, function in floors.items():
                stats[key].append(timeit.timeit(lambda: function(local), number=number))
        best = {key: min(times) / number * 1e9 for key, times in stats.items()}
        plain = best["plain"]
        print(f"== os.stat of a local path (best of 15 x {number:,})")
        for label, key in (
            ("without the path support (posix.stat)", "plain"),
            ("functools.partial(posix.stat) (a floor)", "partial"),
            ("a stable-ABI forwarder (abi3's floor)", "forwarder"),
            ("with it (os.stat)", "wrapped"),
        ):
            print(f"  {label:40} {best[key]:9.1f} ns   {best[key] / plain:.2f}x")
    finally:
        shutil.rmtree(disk, ignore_errors=True)
        connection.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), os.environ["WNET_BENCH_PASSWORD"], os.environ["WNET_BENCH_SHARE_DIR"])
