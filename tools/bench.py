#!/usr/bin/env python3
"""`make bench`: tagood's hot paths measured side by side with their references, in one run.

Each benchmark runs `tagood-bench ...` (the benchmark executable built beside tagood) and the reference
(Pillow, h5py, os.walk, ...) on the same machine and the same input, alternating, --runs times each; the
table shows medians and the ratio tagood / reference (higher is better for every unit here). The e2e
benchmark runs the real `tagood launch`, and `tagood-bench coordinator` starts `tagood worker`s.
This machine is small and noisy: compare ratios from one run, not absolute numbers across runs.

Usage: tools/bench.py --tagood .build/release/tagood [--bench .build/release/tagood-bench] [--runs 5]
                      [--only decode,shard-write,scan,tar-index,tar-read]
"""
import argparse
import importlib.util
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


def small_tar(members=100_000):
    """A tar of `members` small members in class folders (tools/bench/tar_reference.py make-small), made once."""
    path = os.path.join(CACHE, f"small-{members}.tar")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "bench", "tar_reference.py"), "make-small", path,
                        str(members)], check=True)
    return path


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
#
# Each benchmark gives the commands of one run; every JSON line they print is a measurement
# {"bench", "impl", "unit", "value", ...}. Lines of the same bench are compared: tagood's against the
# other implementation (the reference, or a ceiling such as `cat` or plain sgemm measured in the same run).

def benchmarks(tagood, bench):
    """`tagood` is the shipped CLI (e2e, the coordinator's workers); `bench` is tagood-bench."""
    py = sys.executable
    ref = lambda name: os.path.join(HERE, "bench", name)
    out = []

    def decode():
        images = bench_images()
        return [pinned([bench, "decode", "--images", images, "--json"]),
                pinned([py, ref("decode_reference.py"), images])], "one core, 48 JPEGs 500x375/375x500 -> 3x384x384 f32"
    out.append(("decode", decode, None))

    def shard_write():
        args = ["--images", "2000", "--tokens-per-image", "40", "--dtype", "f16"]
        return [[bench, "shard-write", *args, "--json"], [py, ref("shard_write_reference.py"), *args]], \
            "2000 images x 40 tokens x 512 f16"
    out.append(("shard-write", shard_write, None))

    def scan():
        root = scan_tree()
        return [[bench, "scan", "--root", root, "--json"], [py, ref("scan_reference.py"), root]], \
            "100k files; x12.8 for ImageNet train"
    out.append(("scan", scan, None))

    def scan_list():
        path = list_file()
        return [[bench, "scan", "--root", CACHE, "--layout", "list", "--list", path, "--json"],
                [py, ref("scan_reference.py"), "--list", path]], "1,281,167-line list file"
    out.append(("scan-list", scan_list, None))

    def tar_index():
        path = small_tar()
        return [[bench, "tar-index", "--tar", path, "--json"], [py, ref("tar_reference.py"), "index", path]], \
            "a tar of 100k small members (200-592 bytes, class folders) vs Python's tarfile listing it"
    out.append(("tar-index", tar_index, None))

    def tar_read():
        images = bench_images()
        path = os.path.join(CACHE, "images.tar")
        if not os.path.exists(path):
            subprocess.run([py, ref("tar_reference.py"), "make-from", images, path], check=True)
        return [pinned([bench, "tar-read", "--images", images, "--tar", path, "--json"])], \
            "one core, 48 JPEGs read+decode+transform from a tar (one pread each) vs the loose files, alternating"
    out.append(("tar-read", tar_read, None))

    def reduce():
        return [[bench, "reduce", "--json"]], "8 shards x 500 images x 40 tokens x 512 f16; KNN 5k x 128k x 512"
    out.append(("reduce", reduce, 3))

    for workers in (2, 256):
        def coordinator(workers=workers):
            args = ["--workers", str(workers), "--shards", "2000", "--tagood", tagood]
            return [[bench, "coordinator", *args, "--json"]], \
                f"{workers} local worker processes on the 2 cores, 2000 one-image shards, decode-only, exactly-once checked"
        out.append((f"coordinator-{workers}", coordinator, 1))

    def knn_numpy():
        return [[py, ref("knn_reference.py"), "--queries", "5000", "--bank", "128000"]], "numpy reference of the same KNN"
    out.append(("knn-numpy", knn_numpy, 3))

    for config, batch, iterations in [("swin_b_384", 1, 2), ("swin_l_384", 1, 2), ("swin_l_384", 8, 1)]:
        def forward(config=config, batch=batch, iterations=iterations):
            args = ["--config", config, "--batch", str(batch), "--iterations", str(iterations)]
            return [[bench, "forward", *args, "--json"], [py, ref("forward_reference.py"), *args]], \
                f"{config} batch {batch}, fp32, all cores, random weights"
        out.append((f"forward-{config}-b{batch}", forward, 3))

    # RAM extraction as tagood runs it for an ID image (the encoder, then only the 719 ID tags of the ImageNet
    # map; exact, see TagSubsetTests) against RAM's full forward in PyTorch: the issue-14 comparison.
    # ONNX Runtime's CPU provider on the same model (exported from PyTorch), when onnxruntime is installed.
    has_onnxruntime = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx", "onnxscript", "torch"))
    for batch, iterations in [(1, 2), (8, 1)]:
        def forward_id(batch=batch, iterations=iterations):
            args = ["--config", "swin_l_384", "--batch", str(batch), "--iterations", str(iterations)]
            commands = [[bench, "forward", *args, "--id-tags", "719", "--json"], [py, ref("forward_reference.py"), *args]]
            if has_onnxruntime:
                commands.append([py, ref("forward_onnx_reference.py"), *args])
            return commands, f"extraction of an ID image (encoder + 719 ID tags) vs the full RAM forward in PyTorch (and ONNX Runtime), batch {batch}"
        out.append((f"forward-id-swin_l_384-b{batch}", forward_id, 3))

    # RAM++ (51 descriptions per tag, mixed per image): tagood's ID extraction against PyTorch running
    # ram_plus.py's generate_tag (the per-image reweighting loop, then the full head), on the same threads.
    def forward_id_ram_plus():
        args = ["--config", "swin_l_384", "--batch", "1", "--iterations", "2"]
        return [[bench, "forward", *args, "--ram-plus", "--id-tags", "719", "--json"],
                [py, ref("forward_reference.py"), *args, "--ram-plus"]], \
            "RAM++ extraction of an ID image (encoder + reweighting + 719 ID tags) vs RAM++'s full forward in PyTorch, batch 1"
    out.append(("forward-id-ram_plus-swin_l_384-b1", forward_id_ram_plus, 3))

    # Class-center learning: training steps and the learned score, against the authors' model in PyTorch
    # (same shapes, batch, token-count distribution and threads).
    threads = str(os.cpu_count() or 1)
    projector = os.path.join(HERE, "projector_reference.py")

    def projector_pair(command, reference, args, what):
        """`tagood-bench COMMAND ARGS` against `projector_reference.py REFERENCE ARGS`."""
        return lambda: ([[bench, command, *args, "--json"], [py, projector, reference, *args]], what)

    out.append(("train", projector_pair(
        "train", "bench", ["--batch", "256", "--steps", "5", "--threads", threads, "--max-tokens", "40"],
        f"projector training step, batch 256, 1-40 tokens per image, 1000 classes, {threads} threads"), 3))
    # Every image 40 tokens: no padding for PyTorch to compute, so only the kernels differ.
    out.append(("train-unpadded", projector_pair(
        "train", "bench",
        ["--batch", "256", "--steps", "3", "--threads", threads, "--min-tokens", "40", "--max-tokens", "40"],
        f"the same step with 40 tokens in every image (no padding), {threads} threads"), 3))
    out.append(("score", projector_pair(
        "score", "bench-score", ["--batch", "64", "--images", "1024", "--threads", threads, "--max-tokens", "40"],
        f"learned score (eval forward + cosine vs 1000x4 centers), 1024 images, {threads} threads"), 3))

    def e2e():
        # End to end: `tagood launch` of 24 real photos (scikit-image's) with swin_l_384 (random weights) on
        # cluster.yaml's 2 pinned one-thread workers, against the seed-style PyTorch loop (Pillow transform,
        # RAM's forward, token selection, torch.save per image) on the same 2 cores; wall time of each command.
        e2e_ref = ref("e2e_reference.py")
        subprocess.run([py, e2e_ref, "prepare", "--tagood", tagood], check=True, stdout=subprocess.DEVNULL)
        return [[py, e2e_ref, "launch", "--tagood", tagood], [py, e2e_ref, "seed"]], \
            "24 photos, swin_l_384 random weights, id-val; launch on 2 pinned 1-thread workers vs a batch-1 torch loop, 2 threads"
    out.append(("e2e", e2e, 2))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tagood", required=True, help="the tagood executable (e2e; the coordinator's workers)")
    parser.add_argument("--bench", help="the tagood-bench executable (default: tagood-bench next to --tagood)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    measurements = {}  # (bench, impl) -> values
    units, notes, extras = {}, {}, {}
    order = []
    tagood = os.path.abspath(args.tagood)
    bench_bin = os.path.abspath(args.bench or os.path.join(os.path.dirname(tagood), "tagood-bench"))
    OURS.update({tagood, bench_bin})
    for name, setup, runs in benchmarks(tagood, bench_bin):
        if only and name not in only:
            continue
        try:
            commands, what = setup()
        except (subprocess.CalledProcessError, ImportError, FileNotFoundError) as e:
            print(f"  {name}: skipped ({e})", file=sys.stderr)
            continue
        t0 = time.time()
        for _ in range(runs or args.runs):
            for cmd in commands:  # alternate the implementations within each run
                try:
                    lines = run_all_json(cmd, env=bench_env(cmd))
                except (subprocess.CalledProcessError, RuntimeError) as e:
                    print(f"  {name}: {' '.join(cmd[:3])} failed: {getattr(e, 'stderr', e)}", file=sys.stderr)
                    continue
                for line in lines:
                    if name.startswith("forward-") or name.startswith("train-"):
                        line["bench"] = name
                    elif name.startswith("coordinator-"):
                        line["bench"] = name + "/" + line["bench"]
                    key = (line["bench"], line.get("impl", "?"))
                    if key not in measurements:
                        measurements[key] = []
                        if line["bench"] not in order:
                            order.append(line["bench"])
                            notes[line["bench"]] = what
                    measurements[key].append(line["value"])
                    units[line["bench"]] = line["unit"]
                    extras[key] = {k: v for k, v in line.items() if k in ("peak_rss_mb", "input", "tokens")}
        print(f"  {name}: done in {time.time() - t0:.0f} s", file=sys.stderr)
        save_raw(measurements)

    rows = []
    for bench in order:
        impls = [impl for (b, impl) in measurements if b == bench]
        ours = measurements.get((bench, "tagood"))
        others = [i for i in impls if i != "tagood"]
        mo = statistics.median(ours) if ours else None
        for other in others or [None]:
            mr = statistics.median(measurements[(bench, other)]) if other else None
            lower_is_better = units[bench] == "s"
            ratio = "-"
            if mo and mr:
                ratio = f"{(mr / mo if lower_is_better else mo / mr):.2f}x"
            rss = extras.get((bench, "tagood"), {}).get("peak_rss_mb")
            rss_ref = extras.get((bench, other), {}).get("peak_rss_mb") if other else None
            memory = f"; peak RSS {float(rss):.0f} MB vs {float(rss_ref):.0f} MB" if rss and rss_ref else (f"; peak RSS {float(rss):.0f} MB" if rss else "")
            tokens, tokens_ref = extras.get((bench, "tagood"), {}).get("tokens"), extras.get((bench, other), {}).get("tokens") if other else None
            if tokens is not None and tokens_ref is not None:
                memory += f"; tokens kept {int(tokens):,} vs {int(tokens_ref):,}"
            rows.append((bench, units[bench], f"{mo:,.1f}" if mo is not None else "-", f"{mr:,.1f}" if mr is not None else "-",
                         ratio, f"{other or '-'}; {notes[bench]}{memory}"))

    header = ("bench", "unit", "tagood", "reference", "ratio", "reference and input")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if 1 < i < 5 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    print(f"\nmedians of alternating runs; ratio = tagood / reference (for seconds: reference / tagood); higher is better")


def save_raw(measurements):
    """Every measurement so far, in $TAGOOD_BENCH_DIR/last-run.json: a long run keeps its numbers even if the
    table cannot be printed."""
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, "last-run.json.tmp"), "w") as f:
        json.dump([{"bench": b, "impl": i, "values": v} for (b, i), v in measurements.items()], f, indent=1)
    os.replace(os.path.join(CACHE, "last-run.json.tmp"), os.path.join(CACHE, "last-run.json"))


def run_all_json(cmd, env=None):
    """Runs a command; returns every JSON result line it printed."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError(f"no JSON result line from {' '.join(cmd)}:\n{out}")
    for l in lines:
        l.setdefault("impl", "tagood" if is_ours(cmd) else "reference")
    return lines


OURS = set()  # the tagood and tagood-bench executables, set by main()


def is_ours(cmd):
    """Whether a command runs tagood or tagood-bench (directly or under taskset), not a reference."""
    program = cmd[3] if cmd[0] == "taskset" else cmd[0]
    return os.path.abspath(program) in OURS


def bench_env(cmd):
    """One-core runs (pinned with taskset) get one BLAS thread; the others use the machine."""
    return one_core_env() if cmd[0] == "taskset" else dict(os.environ)


if __name__ == "__main__":
    main()
