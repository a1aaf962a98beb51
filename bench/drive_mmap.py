"""mmap I/O through a file system (a mapped drive's, for bench/drive): a 256 MiB file read by
touching one byte of every page in order, then written in 1 MiB slices and msynced; and 4,096
random pages of a 64 MiB file read, then written and msynced. Prints one JSON object of MiB/s.

Usage: python3 bench/drive_mmap.py DIR
"""

import json
import mmap
import os
import random
import sys
import time

PAGE = 4096


def throughput(size, operation):
    start = time.perf_counter()
    operation()
    return size / (time.perf_counter() - start) / 2**20


def mapped(path, size, operation):
    fd = os.open(path, os.O_RDWR)
    try:
        with mmap.mmap(fd, size) as view:
            return throughput(size, lambda: operation(view))
    finally:
        os.close(fd)


def main():
    path = os.path.join(sys.argv[1], "mmap-bench.bin")
    results = {}
    size = 256 << 20
    with open(path, "wb") as f:
        f.write(os.urandom(1 << 20) * (size >> 20))

    def read_pages(view):
        total = 0
        for offset in range(0, size, PAGE):
            total += view[offset]
        return total

    def write_slices(view):
        block = b"x" * (1 << 20)
        for offset in range(0, size, 1 << 20):
            view[offset : offset + (1 << 20)] = block
        view.flush()

    results["sequential_read"] = mapped(path, size, read_pages)
    results["sequential_write"] = mapped(path, size, write_slices)

    size = 64 << 20
    with open(path, "wb") as f:
        f.write(os.urandom(1 << 20) * (size >> 20))
    chooser = random.Random(1)
    pages = [chooser.randrange(size // PAGE) * PAGE for _ in range(4096)]
    touched = len(pages) * PAGE

    def read_random(view):
        return sum(view[offset] for offset in pages)

    def write_random(view):
        for offset in pages:
            view[offset] = 1
        view.flush()

    results["random_read"] = mapped(path, size, read_random) * touched / size
    results["random_write"] = mapped(path, size, write_random) * touched / size
    os.unlink(path)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
