#!/usr/bin/env python3
"""End-to-end extraction benchmark: `tagood launch` against the seed's way of doing the same job.

What it measures, in images/s = images / wall seconds of one whole command, from its start to its exit
(process start, model load, every image, every file written):

* tagood (`launch`): `tagood launch JOB --cluster CLUSTER` on a fresh job directory. The job extracts
  one `id-val` ImageFolder dataset of real photos with `swin_l_384` (random weights, f16 tokens);
  the cluster is the repository's cluster.yaml (two local workers pinned to cores 0 and 1, one thread
  each) with its fixed port replaced by 0 (a free port), so that the bench never collides with another
  launch on the machine.
* the seed-style PyTorch loop (`seed`): one Python process pinned to the same cores (taskset -c 0,1)
  with torch.set_num_threads(2): torch.load of the same weights, then for each image Pillow's transform
  (tools/bench/decode_reference.py), RAM's forward (tools/bench/forward_reference.py:
  Swin encoder, image_proj, the full 4585-tag head), TagOOD's token selection (the rule of
  Sources/Extract/TokenSelector.swift, ID role; forward_reference.py does not return layer 0's
  cross-attention, so it is recomputed for the chosen tags only, a few small products) and torch.save of
  one .pt per image (tokens, token indices, global embed, tags, probabilities, attention map). Batch 1 by default
  (--batch), the straightforward loop; see --help.

Both sides read the same weight file (a RAM-style checkpoint `{"model": state_dict}` converted once from
`tagood model init --config swin_l_384 --seed 0`), the same photos and the same class -> tag map, so the
kept token counts are comparable; both are printed.

The photos: real photographs shipped with scikit-image (skimage/data: astronaut, chelsea the cat,
coffee, rocket, two motorcycles, the Hubble deep field, a retina, an IHC micrograph, camera man, coins,
the moon), each written as two ImageNet-like JPEGs (quality 90, longer side 500): the whole photo, and a
mirrored off-centre crop of about 70% of it. Without scikit-image it falls back to the synthetic
photo-like JPEGs of tools/bench/make_bench_images.py and says so in the JSON ("photos": "synthetic").

Usage (tools/bench.py runs these as its `e2e` entry):
  tools/bench/e2e_reference.py prepare --tagood BIN [--dir DIR] [--images 24]
  tools/bench/e2e_reference.py launch  --tagood BIN [--dir DIR]
  tools/bench/e2e_reference.py seed    [--dir DIR] [--threads 2] [--batch 1]
Each of launch/seed prints one JSON line:
  {"bench": "e2e-swin_l_384", "impl": "tagood"|"pytorch", "unit": "images/s", "value": X,
   "images": N, "seconds": S, "tokens": T, "images_with_tokens": M, "loadavg_before": L0, "loadavg_after": L1, ...}
The load averages are there to judge the noise: on a shared 2-core machine another process's work lands on
the same cores, and it slows the 2-thread PyTorch loop (its OpenMP threads wait for each other) more than
tagood's two independent one-thread workers. Compare runs made on an otherwise idle machine.
"""
import argparse
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
REPO = os.path.dirname(TOOLS)
DEFAULT_DIR = os.path.join(os.environ.get("TAGOOD_BENCH_DIR", "/tmp/tagood-bench"), "e2e")
CONFIG = "swin_l_384"
JOB = "e2e"
DATASET = "photos"

# Real photographs bundled in scikit-image's wheel (skimage/data), colour first.
SKIMAGE_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
                  "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "camera.png",
                  "coins.png", "moon.png"]


def ram_data_dir():
    for d in (os.path.join(REPO, "data", "ram"), os.path.join(REPO, "..", "shared", "data", "ram")):
        if os.path.exists(os.path.join(d, "ram_tag_list.txt")):
            return os.path.abspath(d)
    raise FileNotFoundError("data/ram/ram_tag_list.txt (or ../shared/data/ram/) not found")


def pinned(cmd, cores="0,1"):
    if shutil.which("taskset"):
        return ["taskset", "-c", cores] + cmd
    return cmd


# ---- prepare -----------------------------------------------------------------------------------

def make_photos(folder, count):
    """Writes `count` JPEGs under folder/<photo>/ (ImageFolder layout); returns 'skimage' or 'synthetic'."""
    from PIL import Image, ImageOps
    try:
        import skimage
        src = os.path.join(os.path.dirname(skimage.__file__), "data")
        photos = [os.path.join(src, n) for n in SKIMAGE_PHOTOS if os.path.exists(os.path.join(src, n))]
    except ImportError:
        photos = []
    if len(photos) < 4:
        flat = folder + ".synthetic"
        os.makedirs(flat, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "make_bench_images.py"), flat, str(count)], check=True)
        for i, name in enumerate(sorted(os.listdir(flat))[:count]):
            os.makedirs(os.path.join(folder, f"c{i % 8}"), exist_ok=True)
            shutil.copy(os.path.join(flat, name), os.path.join(folder, f"c{i % 8}", name))
        return "synthetic"
    for i in range(count):
        path, variant = photos[i % len(photos)], i // len(photos)
        with Image.open(path) as im:
            im = im.convert("RGB")
        if variant % 2 == 1:  # a mirrored off-centre crop of ~70% of the area
            w, h = im.size
            cw, ch = int(w * 0.84), int(h * 0.84)
            x0, y0 = (w - cw) * (variant % 3) // 2, (h - ch) // 3
            im = ImageOps.mirror(im.crop((x0, y0, x0 + cw, y0 + ch)))
        scale = 500.0 / max(im.size)
        im = im.resize((max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale))), Image.BICUBIC)
        stem = os.path.splitext(os.path.basename(path))[0]
        os.makedirs(os.path.join(folder, stem), exist_ok=True)
        im.save(os.path.join(folder, stem, f"{stem}_{variant}.JPEG"), quality=90)
    return "skimage"


def prepare(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    photos = os.path.join(d, f"photos-{args.images}")
    marker = photos + ".complete"
    if not os.path.exists(marker):
        shutil.rmtree(photos, ignore_errors=True)
        kind = make_photos(photos, args.images)
        with open(marker, "w") as f:
            f.write(kind)
    kind = open(marker).read().strip()

    # The weights: tagood's deterministic random RAM, as a RAM-style PyTorch checkpoint both sides load.
    pth = os.path.join(d, f"ram-{CONFIG}-seed0.pth")
    if not os.path.exists(pth):
        import numpy as np
        import torch
        st = os.path.join(d, f"ram-{CONFIG}-seed0.safetensors")
        subprocess.run([args.tagood, "model", "init", "--config", CONFIG, "--seed", "0", "-o", st], check=True,
                       stdout=subprocess.DEVNULL)
        with open(st, "rb") as f:
            blob = f.read()
        n = int.from_bytes(blob[:8], "little")
        header = json.loads(blob[8:8 + n])
        assert all(e["dtype"] == "F32" for k, e in header.items() if k != "__metadata__")
        data = memoryview(blob)[8 + n:]
        sd = {k: torch.from_numpy(np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtype="<f4")
                                  .reshape(e["shape"]).copy()) for k, e in header.items() if k != "__metadata__"}
        torch.save({"model": sd}, pth + ".tmp")
        os.rename(pth + ".tmp", pth)
        os.remove(st)

    ram = ram_data_dir()
    with open(os.path.join(d, "job.yaml"), "w") as f:
        f.write(f"""# Written by tools/bench/e2e_reference.py prepare: the end-to-end bench's job.
job: {JOB}
output: {d}/out
model:
  config: {CONFIG}
  weights: {pth}
  tags: {ram}/ram_tag_list.txt
class_tags: {ram}/imagenet_class_tags.txt
datasets:
  - {{name: {DATASET}, role: id-val, layout: imagefolder, root: {photos}}}
extract:
  images_per_shard: {args.images_per_shard}
  token_dtype: f16
  batch_size: {args.batch_size}
  decode_threads: 1
""")
    with open(os.path.join(REPO, "cluster.yaml")) as f:
        cluster = f.read()
    cluster = re.sub(r"(?m)^(\s*port:\s*)\d+", r"\g<1>0", cluster)
    with open(os.path.join(d, "cluster.yaml"), "w") as f:
        f.write(cluster)
    print(json.dumps({"dir": d, "photos": photos, "photo_source": kind, "weights": pth,
                      "images": sum(len(fs) for _, _, fs in os.walk(photos))}))


# ---- tagood launch -----------------------------------------------------------------------------

def launch(args):
    d = os.path.abspath(args.dir)
    job_dir = os.path.join(d, "out", JOB)
    shutil.rmtree(job_dir, ignore_errors=True)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    p = subprocess.run([args.tagood, "launch", os.path.join(d, "job.yaml"), "--cluster", os.path.join(d, "cluster.yaml")],
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"tagood launch failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    # The summary table: dataset shards committed failed images unreadable tokens
    row = next((l.split() for l in (p.stdout + p.stderr).splitlines() if l.split()[:1] == [DATASET]), None)
    if row is None:
        sys.exit(f"no '{DATASET}' row in tagood launch's summary:\n{p.stdout}\n{p.stderr}")
    images, tokens = int(row[4].replace(",", "")), int(row[6].replace(",", ""))
    with_tokens = shard_images_with_tokens(args.tagood, job_dir)
    print(json.dumps({"bench": f"e2e-{CONFIG}", "impl": "tagood", "unit": "images/s", "value": images / seconds,
                      "images": images, "seconds": round(seconds, 2), "tokens": tokens,
                      "images_with_tokens": with_tokens, "loadavg_before": load, "loadavg_after": os.getloadavg()[0]}))


def shard_images_with_tokens(tagood, job_dir):
    """Images with at least one kept token, from `tagood inspect --json` of every shard (None if unknown)."""
    total = 0
    shards = sorted(glob.glob(os.path.join(job_dir, "shards", "**", "*.h5"), recursive=True))
    for shard in shards:
        p = subprocess.run([tagood, "inspect", shard, "--images", "1000000", "--json"], capture_output=True, text=True)
        try:
            info = json.loads(p.stdout)
        except json.JSONDecodeError:
            return None
        listed = info.get("first_images") or []
        if len(listed) != info.get("images"):
            return None
        total += sum(1 for image in listed if image.get("tokens", 0) > 0)
    return total if shards else None


# ---- the seed-style PyTorch loop ---------------------------------------------------------------

def seed(args):
    """Times the loop (`seed-loop`, a child process pinned to the same cores) from spawn to exit."""
    d = os.path.abspath(args.dir)
    out = os.path.join(d, "out", "seed-pt")
    shutil.rmtree(out, ignore_errors=True)
    summary = os.path.join(d, "out", "seed-summary.json")
    cmd = pinned([sys.executable, os.path.abspath(__file__), "seed-loop", "--dir", d, "--out", out,
                  "--threads", str(args.threads), "--batch", str(args.batch), "--summary", summary])
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(args.threads)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    seconds = time.perf_counter() - t0
    with open(summary) as f:
        s = json.load(f)
    print(json.dumps({"bench": f"e2e-{CONFIG}", "impl": "pytorch", "unit": "images/s", "value": s["images"] / seconds,
                      "seconds": round(seconds, 2), **s, "loadavg_before": load, "loadavg_after": os.getloadavg()[0]}))


def seed_loop(args):
    import numpy as np
    import torch
    sys.path.insert(0, HERE)
    sys.path.insert(0, TOOLS)
    import decode_reference  # noqa: E402  (Pillow's transform)
    import forward_reference  # noqa: E402  (RAM's forward in PyTorch)
    import ram_reference as ref  # noqa: E402
    import make_model_fixtures as fixtures  # noqa: E402

    torch.set_num_threads(args.threads)
    d = args.dir
    job = open(os.path.join(d, "job.yaml")).read()
    weights = re.search(r"(?m)^\s*weights:\s*(\S+)", job).group(1)
    root = re.search(r"root:\s*([^,}\s]+)", job).group(1)
    ram = ram_data_dir()
    cfg = ref.complete(ref.BUILTINS.get(CONFIG) or fixtures.CONFIGS[CONFIG])

    # The ID tag set: the RAM tags of the class -> tag map (everything after the first comma).
    tag_ids = {t: i for i, t in enumerate(open(os.path.join(ram, "ram_tag_list.txt"), encoding="utf-8").read().split("\n"))}
    id_tags = sorted({tag_ids[l.split(" ", 2)[2].split(",", 1)[1]]
                      for l in open(os.path.join(ram, "imagenet_class_tags.txt"), encoding="utf-8").read().split("\n") if l.strip()})
    id_tags_t = torch.tensor(id_tags)

    t_start = time.perf_counter()
    sd = torch.load(weights, map_location="cpu")["model"]
    t_loaded = time.perf_counter()
    forward = forward_reference.torch_forward_fn(torch)
    F = torch.nn.functional
    heads, D = cfg["num_attention_heads"], cfg["hidden_size"]
    hd = D // heads
    l0 = "tagging_head.encoder.layer.0.crossattention.self"
    with torch.inference_mode():
        queries = F.relu(F.linear(sd["label_embed"], sd["wordvec_proj.weight"], sd["wordvec_proj.bias"]))

    # ImageFolder order: sorted class folders, sorted files; label = class index.
    classes = sorted(e for e in os.listdir(root) if os.path.isdir(os.path.join(root, e)))
    items = [(os.path.join(c, f), label) for label, c in enumerate(classes) for f in sorted(os.listdir(os.path.join(root, c)))]
    os.makedirs(args.out, exist_ok=True)
    tokens_kept = with_tokens = 0
    for start in range(0, len(items), args.batch):
        batch = items[start:start + args.batch]
        x = torch.from_numpy(np.stack([decode_reference.transform(os.path.join(root, p)) for p, _ in batch]))
        with torch.inference_mode():
            emb, probs = forward(sd, cfg, x)  # [B, L1, E], [B, 4585]
            for b, (path, label) in enumerate(batch):
                # TagOOD's selection, ID role: the tags over 0.5 that are ID tags, else the best ID tag.
                p_id = probs[b, id_tags_t]
                chosen = id_tags_t[p_id > args.tag_threshold]
                if chosen.numel() == 0:
                    chosen = id_tags_t[p_id.argmax()].view(1)
                # Layer 0's cross-attention of the chosen tags, summed over heads, min-max per tag, max over tags.
                q = F.linear(queries[chosen], sd[l0 + ".query.weight"], sd[l0 + ".query.bias"]).view(-1, heads, hd).transpose(0, 1)
                k = F.linear(emb[b], sd[l0 + ".key.weight"], sd[l0 + ".key.bias"]).view(-1, heads, hd).transpose(0, 1)
                a = (q @ k.transpose(-2, -1) / math.sqrt(hd)).softmax(-1).sum(0)  # [tags, L1]
                lo, hi = a.min(-1, keepdim=True).values, a.max(-1, keepdim=True).values
                a = torch.where(hi > lo, (a - lo) / (hi - lo), torch.zeros_like(a)).max(0).values
                kept = (a > args.attention_threshold).nonzero().flatten()
                tokens_kept += kept.numel()
                with_tokens += int(kept.numel() > 0)
                torch.save({"path": path, "label": label, "tokens": emb[b, kept].clone(), "token_index": kept,
                            "global_embed": emb[b, 0].clone(), "tag_ids": chosen, "tag_probs": probs[b, chosen],
                            "attention": a},
                           os.path.join(args.out, path.replace("/", "__") + ".pt"))
    t_end = time.perf_counter()
    with open(args.summary, "w") as f:
        json.dump({"images": len(items), "tokens": tokens_kept, "images_with_tokens": with_tokens,
                   "batch": args.batch, "threads": args.threads, "load_seconds": round(t_loaded - t_start, 2),
                   "loop_seconds": round(t_end - t_loaded, 2)}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="make the photos, the weights, the job and cluster files (cached)")
    p.add_argument("--tagood", required=True)
    p.add_argument("--images", type=int, default=24)
    p.add_argument("--images-per-shard", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=4, help="tagood's extract.batch_size")
    p = sub.add_parser("launch", help="time `tagood launch` on a fresh job directory")
    p.add_argument("--tagood", required=True)
    p = sub.add_parser("seed", help="time the seed-style PyTorch loop")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1, help="images per forward (1: one image at a time)")
    p = sub.add_parser("seed-loop", help=argparse.SUPPRESS)
    p.add_argument("--out", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--tag-threshold", type=float, default=0.5)
    p.add_argument("--attention-threshold", type=float, default=0.5)
    for p in sub.choices.values():
        p.add_argument("--dir", default=DEFAULT_DIR)
    args = ap.parse_args()
    {"prepare": prepare, "launch": launch, "seed": seed, "seed-loop": seed_loop}[args.cmd](args)


if __name__ == "__main__":
    main()
