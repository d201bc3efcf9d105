#!/usr/bin/env python3
"""Reference for `tagood-bench scan`: torchvision's ImageFolder listing logic in plain Python.

    scan_reference.py ROOT          classes = sorted dirs; sorted(os.walk(class dir)); extension filter
    scan_reference.py --list FILE   parse 'path [label]' lines

Prints one JSON line: {"bench": ..., "impl": "reference", "unit": "paths/s", "value": ...}.
"""
import json
import os
import sys
import time

EXTENSIONS = (".jpg", ".jpeg", ".png")


def image_folder(root):
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    samples = []
    for index, name in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, name), followlinks=True)):
            for f in sorted(files):
                if f.lower().endswith(EXTENSIONS) and not f.startswith("."):
                    samples.append((os.path.join(dirpath, f), index))
    return samples


def list_file(path):
    samples = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            head, _, tail = line.rpartition(" ")
            samples.append((head, int(tail)) if head and tail.lstrip("-").isdigit() else (line, -1))
    return samples


def main():
    t0 = time.perf_counter()
    if sys.argv[1] == "--list":
        n, bench = len(list_file(sys.argv[2])), "scan-list"
    else:
        n, bench = len(image_folder(sys.argv[1])), "scan-imagefolder"
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": bench, "impl": "reference", "unit": "paths/s", "value": n / dt, "paths": n}))


if __name__ == "__main__":
    main()
