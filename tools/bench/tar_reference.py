#!/usr/bin/env python3
"""Reference for `tagood-bench tar-index`, and the tars both tar benchmarks read.

    tar_reference.py index TAR          list TAR with Python's tarfile (every member's name, data offset and
                                        size, as an index needs them); one JSON line, members per second
    tar_reference.py make-small TAR N   a tar of N small members in ImageNet-style class folders (made once)
    tar_reference.py make-from DIR TAR  a tar of DIR's files (the loose images of `tagood-bench tar-read`)
"""
import json
import os
import sys
import tarfile
import time
import io


def index(path):
    t0 = time.perf_counter()
    with tarfile.open(path) as tar:
        entries = [(m.name, m.offset_data, m.size) for m in tar.getmembers() if m.isfile()]
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": "tar-index", "impl": "reference", "unit": "members/s", "value": len(entries) / dt,
                      "members": len(entries)}))


def make_small(path, n):
    tmp = path + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        for i in range(n):
            data = (b"%08d" % i) * (25 + i % 50)  # 200 to 592 bytes
            info = tarfile.TarInfo(f"n{i % 1000:08d}/n{i % 1000:08d}_{i}.JPEG")
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)


def make_from(folder, path):
    tmp = path + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name)
    os.replace(tmp, path)


if __name__ == "__main__":
    if sys.argv[1] == "index":
        index(sys.argv[2])
    elif sys.argv[1] == "make-small":
        make_small(sys.argv[2], int(sys.argv[3]))
    else:
        make_from(sys.argv[2], sys.argv[3])
