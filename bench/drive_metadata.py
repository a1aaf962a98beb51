"""Per-operation times of metadata operations in a directory (a mapped drive's, for
bench/drive): stat of files whose attributes are not cached, stat of names that do not exist
(first and again), rename, chmod, touch, mkdir+rmdir. Prints one JSON object: the mean
microseconds per operation of each.

Usage: python3 bench/drive_metadata.py DIR COUNT [ATTRIBUTE_TIMEOUT_SECONDS]
DIR must hold files many/file-1.txt ... many/file-COUNT.txt; everything else it makes it
removes again.
"""

import json
import os
import sys
import time


def per_op(count, operation):
    start = time.perf_counter_ns()
    for index in range(count):
        operation(index)
    return (time.perf_counter_ns() - start) / count / 1000


def main():
    directory, count = sys.argv[1], int(sys.argv[2])
    expire = float(sys.argv[3]) if len(sys.argv) > 3 else 1.2
    many = os.path.join(directory, "many")
    scratch = os.path.join(directory, "metadata")
    os.makedirs(scratch, exist_ok=True)
    results = {}

    time.sleep(expire)  # nothing of `many` is cached
    results["stat"] = per_op(count, lambda i: os.stat(f"{many}/file-{i + 1}.txt"))

    def absent(i):
        try:
            os.stat(f"{scratch}/absent-{i}")
        except FileNotFoundError:
            return
        raise SystemExit("a name that should not exist does")

    time.sleep(expire)
    results["stat_absent"] = per_op(count, absent)
    results["stat_absent_again"] = per_op(count, absent)

    first, second = f"{scratch}/renamed-a", f"{scratch}/renamed-b"
    with open(first, "w"):
        pass
    names = [first, second]
    results["rename"] = per_op(count, lambda i: os.rename(names[i % 2], names[(i + 1) % 2]))
    os.unlink(names[count % 2])

    target = f"{scratch}/chmod"
    with open(target, "w"):
        pass
    modes = [0o444, 0o644]
    results["chmod"] = per_op(count, lambda i: os.chmod(target, modes[i % 2]))
    os.chmod(target, 0o644)
    results["touch"] = per_op(count, lambda i: os.utime(target, (i, i)))
    os.unlink(target)

    def mkdir_rmdir(i):
        os.mkdir(f"{scratch}/d-{i}")
        os.rmdir(f"{scratch}/d-{i}")

    results["mkdir_rmdir"] = per_op(count, mkdir_rmdir)
    os.rmdir(scratch)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
