"""DFS namespaces against the AD lab, in one run (``bash bench/dfs`` sets the environment up).

- The referral requests the agent sends for reads through a namespace link: the first read
  and the reads while the referral is cached (``wnet.dfs_targets`` reports the count).
- Open + read of a small file through the link against the same file by its physical path,
  in one process, the two taking turns; and whole processes, ``python3 -c`` against
  ``smbclient -c get`` through the same link.
- Failover: with the link's first target's smbd stopped, how long until a read through the
  namespace names the second target, for wnet (the agent's cache holds the first target) and
  for smbclient (a new process).

A benchmark, not a test: prints medians and ratios.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import wnet


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def read(path: str) -> str:
    with wnet.open_file(path, "rb") as file:
        return file.read().decode().strip()


def main(runs: int) -> None:
    with open(os.environ["WNET_BENCH_STATUS"]) as file:
        status = json.load(file)
    root = next(r for r in status["dfs"]["roots"] if r["share"] == "dfs")
    mirror = next(link for link in root["links"] if link["name"] == "mirror")
    namespace = mirror["path"] + r"\target.txt"
    first, second = mirror["targets"][0], mirror["targets"][1]
    physical = first["path"] + r"\target.txt"
    fs1 = root["path"].split("\\")[2]

    def requests() -> int:
        return wnet.dfs_targets(physical).referral_requests

    print(f"== referral requests for reads of {namespace}")
    before = requests()
    assert read(namespace) == first["names"]
    after_first = requests()
    for _ in range(runs):
        read(namespace)
    after_more = requests()
    print(f"{'first read':<44} {after_first - before}")
    print(f"{f'next {runs} reads (cached, TTL {wnet.dfs_targets(namespace).referrals[0].ttl} s)':<44} "
          f"{after_more - after_first}")

    print()
    print(f"== open + read of a small file (median of {runs})")
    through, direct = [], []
    for _ in range(runs):
        through.append(timed(lambda: read(namespace)))
        direct.append(timed(lambda: read(physical)))
    ns_ms = statistics.median(through) * 1e3
    phys_ms = statistics.median(direct) * 1e3
    print(f"{'wnet, physical path':<44} {phys_ms:8.2f} ms")
    print(f"{'wnet, namespace path':<44} {ns_ms:8.2f} ms   {ns_ms / phys_ms:.2f}x physical")

    share = "//" + fs1 + "/dfs"
    smbclient = ["smbclient", share, "--use-kerberos=required", "-c", r"get mirror\target.txt -"]
    python = [sys.executable, "-c", f"import wnet; wnet.open_file({namespace!r}, 'rb').read()"]
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(timed(lambda: subprocess.run(python, check=True, capture_output=True)))
        theirs.append(timed(lambda: subprocess.run(smbclient, check=True, capture_output=True)))
    ours_ms, theirs_ms = statistics.median(ours) * 1e3, statistics.median(theirs) * 1e3
    print(f"{'smbclient get through the link (process)':<44} {theirs_ms:8.2f} ms")
    print(f"{'python3 -c wnet.open_file (process)':<44} {ours_ms:8.2f} ms   "
          f"{ours_ms / theirs_ms:.2f}x smbclient")

    print()
    print("== failover: fs2's smbd stopped, until a read names the second target")
    subprocess.run(["lab/ad", "stop-smbd", "fs2"], check=True, capture_output=True)
    try:
        start = time.perf_counter()
        deadline = start + 30
        while True:
            try:
                if read(namespace) == second["names"]:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit("bench/dfs: wnet did not fail over within 30 s")
            time.sleep(0.01)
        wnet_s = time.perf_counter() - start
        start = time.perf_counter()
        got = subprocess.run(smbclient, capture_output=True, text=True)
        smb_s = time.perf_counter() - start
    finally:
        subprocess.run(["lab/ad", "start-smbd", "fs2"], check=True, capture_output=True)
    print(f"{'wnet (cached referral, first target lost)':<44} {wnet_s * 1e3:8.1f} ms")
    landed = second["names"] in got.stdout
    print(f"{'smbclient (new process)':<44} {smb_s * 1e3:8.1f} ms"
          f"{'' if landed else '   (did not land on the second target)'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
