#!/usr/bin/env python3
"""`make bench`: tagood's hot paths measured side by side with their references, in one run.

Each benchmark runs tagood's `tagood bench ...` and the reference (Pillow, h5py, os.walk, ...) on the same
machine and the same input, alternating, --runs times each; the table shows medians and the ratio
tagood / reference (higher is better for every unit here). This machine is small and noisy: compare
ratios from one run, not absolute numbers across runs.

Usage: tools/bench.py --tagood .build/release/tagood [--runs 5] [--only decode,shard-write,scan]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("TAGOOD_BENCH_DIR", "/tmp/tagood-bench")


def run_json(cmd, env=None):
    """Runs a command that prints one JSON result line; returns the parsed line."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON result line from {' '.join(cmd)}:\n{out}")


def one_core_env():
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = "1"
    return env


def pinned(cmd):
    """Pins a command to core 0 with taskset when available (one-core comparisons)."""
    if subprocess.run(["which", "taskset"], capture_output=True).returncode == 0:
        return ["taskset", "-c", "0"] + cmd
    return cmd


# ---- data set-up -----------------------------------------------------------------------------

def bench_images():
    """Photo-like JPEGs at ImageNet's typical 500×375 (and portrait), made once with Pillow."""
    folder = os.path.join(CACHE, "images")
    if not os.path.isdir(folder) or len(os.listdir(folder)) < 48:
        os.makedirs(folder, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "bench", "make_bench_images.py"), folder, "48"], check=True)
    return folder


def scan_tree(classes=1000, per_class=100):
    """An ImageFolder tree of empty files: classes × per_class images (100k by default)."""
    root = os.path.join(CACHE, f"tree-{classes}x{per_class}")
    marker = os.path.join(root, ".complete")
    if not os.path.exists(marker):
        for c in range(classes):
            d = os.path.join(root, f"n{c:08d}")
            os.makedirs(d, exist_ok=True)
            for i in range(per_class):
                open(os.path.join(d, f"n{c:08d}_{i}.JPEG"), "w").close()
        open(marker, "w").close()
    return root


def list_file(lines=1_281_167):
    """A list file of ImageNet-train size (paths need not exist: the bench reads without stat)."""
    path = os.path.join(CACHE, f"list-{lines}.txt")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        with open(path + ".tmp", "w") as f:
            for i in range(lines):
                f.write(f"train/n{i % 1000:08d}/n{i % 1000:08d}_{i}.JPEG {i % 1000}\n")
        os.rename(path + ".tmp", path)
    return path


# ---- benchmarks ------------------------------------------------------------------------------

def benchmarks(tagood):
    py = sys.executable
    out = []

    def decode():
        images = bench_images()
        return (pinned([tagood, "bench", "decode", "--images", images, "--json"]),
                pinned([py, os.path.join(HERE, "bench", "decode_reference.py"), images]),
                "Pillow + numpy (ToTensor/Normalize ops)", "one core, 48 JPEGs 500x375/375x500 → 3x384x384 f32")
    out.append(("decode", decode))

    def shard_write():
        args = ["--images", "2000", "--tokens-per-image", "40", "--dtype", "f16"]
        return ([tagood, "bench", "shard-write", *args, "--json"],
                [py, os.path.join(HERE, "bench", "shard_write_reference.py"), *args],
                "h5py", "2000 images × 40 tokens × 512 f16")
    out.append(("shard-write", shard_write))

    def scan():
        root = scan_tree()
        return ([tagood, "bench", "scan", "--root", root, "--json"],
                [py, os.path.join(HERE, "bench", "scan_reference.py"), root],
                "torchvision ImageFolder logic (os.walk)", "100k files; ×12.8 for ImageNet train")
    out.append(("scan", scan))

    def scan_list():
        path = list_file()
        return ([tagood, "bench", "scan", "--root", CACHE, "--layout", "list", "--list", path, "--json"],
                [py, os.path.join(HERE, "bench", "scan_reference.py"), "--list", path],
                "Python line parsing", "1,281,167-line list file")
    out.append(("scan-list", scan_list))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tagood", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    rows = []
    for name, setup in benchmarks(os.path.abspath(args.tagood)):
        if only and name not in only:
            continue
        try:
            ours_cmd, ref_cmd, ref_name, what = setup()
        except (subprocess.CalledProcessError, ImportError, FileNotFoundError) as e:
            rows.append((name, "-", "-", "-", "-", f"skipped: {e}"))
            continue
        ours, ref = [], []
        unit = "?"
        t0 = time.time()
        for _ in range(args.runs):
            try:
                a = run_json(ours_cmd, env=one_core_env())
                ours.append(a["value"]); unit = a["unit"]
            except (subprocess.CalledProcessError, RuntimeError) as e:
                print(f"{name}: tagood failed: {getattr(e, 'stderr', e)}", file=sys.stderr)
                break
            try:
                b = run_json(ref_cmd, env=one_core_env())
                ref.append(b["value"])
            except (subprocess.CalledProcessError, RuntimeError) as e:
                print(f"{name}: reference failed (pip install Pillow numpy h5py?): {getattr(e, 'stderr', e)}", file=sys.stderr)
                ref = []
                break
        mo = statistics.median(ours) if ours else float("nan")
        mr = statistics.median(ref) if ref else float("nan")
        ratio = mo / mr if ours and ref else float("nan")
        rows.append((name, unit, f"{mo:,.1f}", f"{mr:,.1f}", f"{ratio:.2f}x", f"{ref_name}; {what}"))
        print(f"  {name}: done in {time.time() - t0:.0f} s", file=sys.stderr)

    header = ("bench", "unit", "tagood", "reference", "ratio", "reference and input")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if 1 < i < 5 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    print(f"\nmedians of {args.runs} alternating runs; ratio = tagood / reference (higher is better)")


if __name__ == "__main__":
    main()
