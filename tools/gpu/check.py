#!/usr/bin/env python3
"""The device check of libtagood_cuda (run by tools/gpu/check.sh on a GPU machine; docs/CUDA.md).

1. Kernel parity, both precisions: each kernel (through tagood_cuda_debug_kernel) against a NumPy version
   written the way Swin's PyTorch modules are, on RAM's shapes (grids 96/48/24/12, window 12, shift 6,
   Swin-L's widths and heads; 145 tokens; 719 columns; RAM++'s reweighting of 719 tags × 51 descriptions)
   and the test configs'.
2. Whole-model parity, both precisions, against the CPU path's outputs (tools/gpu/reference/*, made here
   by `tagood-bench gpu-reference`): image_embeds, the ID tags' and all tags' probabilities, layer 0's
   attention, tags_fire, and the selection (kept indices identical in fp32; the fraction identical in
   bf16), through the two-slot pipeline and with the chunk loops forced to one image; RAM and RAM++
   (ram_plus_shift), and PyTorch's RAM++ (torch_ram.py) against the same RAM++ reference.
3. Swin-L/384 itself (random weights) against PyTorch on the same GPU (fp32, TF32 off), and PyTorch's own
   bf16 autocast error as the yardstick for ours.
4. Throughput, bf16, batch 64/128/256: the backend (submit → probabilities → select, two slots) against
   PyTorch eager with bf16 autocast running RAM's modules (tools/gpu/torch_ram.py), all tags and 719 tags;
   RAM++ (51 descriptions per tag, reweighted per image) at batch 128, likewise.
Prints one table at the end. ‖gpu − ref‖ / ‖ref‖ is "rel err".

Where there is no GPU (or no driver) it checks what it can (the library loads, the references and the
NumPy side of every check), prints the table of what it would measure, and exits 0.

Usage: tools/gpu/check.py [--library .build/cuda/libtagood_cuda.so] [--quick] [--budget SECONDS]
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_numpy as rn  # noqa: E402
import tagood_cuda as tc  # noqa: E402

ROWS = []
START = time.time()
PRECISIONS = [("fp32", tc.FP32), ("bf16", tc.BF16)]


def record(section, check, precision, value, limit=None, unit="", verdict=None):
    if verdict is None:
        if value is None or isinstance(value, str):
            verdict = "—"
        elif limit is None:
            verdict = "info"
        else:
            verdict = "PASS" if value <= limit else "FAIL"
    ROWS.append((section, check, precision, value, limit, unit, verdict))
    shown = value if isinstance(value, str) or value is None else f"{value:.3g}"
    print(f"  {section:8} {check:52} {precision:5} {shown} {unit} {verdict}", flush=True)


def elapsed():
    return time.time() - START


# MARK: 1. Kernels

def kernel_cases(rng):
    """(name, label, params, inputs, output count, reference, fp32 limit, bf16 limit)."""
    f32 = np.float32

    def normal(*shape, scale=1.0, shift=0.0):
        return (shift + scale * rng.standard_normal(shape)).astype(f32)

    cases = []
    images = normal(2, 3, 384, 384)
    cases.append(("patch_rows", "patch rows 384 px, p 4", [2, 3, 384, 4], [images], 2 * 96 * 96 * 48,
                  lambda: rn.patch_rows(images, 4), 1e-7, 5e-3))
    for b, grid, c, ws, shift in [(2, 96, 192, 12, 6), (2, 48, 384, 12, 0), (2, 24, 8, 6, 3), (1, 12, 1536, 12, 0)]:
        x, g, bt = normal(b * grid * grid, c, scale=2, shift=0.5), normal(c, scale=0.1, shift=1), normal(c, scale=0.1)
        cases.append(("window_layer_norm", f"LN into windows grid {grid}, C {c}, w {ws}, shift {shift}",
                      [b, grid, c, ws, shift], [x, g, bt], b * grid * grid * c,
                      lambda x=x, g=g, bt=bt, grid=grid, ws=ws, shift=shift: rn.window_layer_norm(x, g, bt, grid, ws,
                                                                                                   shift),
                      2e-6, 8e-3))
    for b, grid, c, heads, ws, shift in [(1, 96, 192, 6, 12, 6), (1, 48, 384, 12, 12, 6), (2, 24, 768, 24, 12, 6),
                                         (2, 12, 1536, 48, 12, 0), (2, 24, 8, 1, 6, 3), (2, 3, 64, 4, 3, 0)]:
        rows = b * grid * grid
        qkv, bias = normal(rows, 3 * c), normal(3 * c, scale=0.1)
        table = normal((2 * ws - 1) ** 2, heads, scale=0.5)
        cases.append(("window_attention",
                      f"window attention grid {grid}, C {c}, {heads} heads, w {ws}, shift {shift}",
                      [b, grid, c, heads, ws, shift], [qkv, bias, table], rows * c,
                      lambda qkv=qkv, bias=bias, table=table, grid=grid, heads=heads, ws=ws, shift=shift:
                      rn.window_attention(qkv, bias, table, grid, heads, ws, shift), 2e-5, 5e-2))
    for b, grid, c, ws, shift in [(2, 48, 384, 12, 6), (2, 96, 192, 12, 0), (2, 24, 8, 6, 3)]:
        rows = b * grid * grid
        y, bias, x = normal(rows, c), normal(c, scale=0.1), normal(rows, c)
        cases.append(("window_scatter_add", f"window reverse + bias + residual grid {grid}, shift {shift}",
                      [b, grid, c, ws, shift], [y, bias, x], rows * c,
                      lambda y=y, bias=bias, x=x, grid=grid, ws=ws, shift=shift:
                      rn.window_scatter_add(y, bias, x, grid, ws, shift), 1e-7, 1e-2))
    for b, grid, c in [(2, 96, 192), (2, 24, 768), (2, 6, 64)]:
        x, g, bt = normal(b * grid * grid, c), normal(4 * c, scale=0.1, shift=1), normal(4 * c, scale=0.1)
        cases.append(("merge_layer_norm", f"patch merging + LN grid {grid}, C {c}", [b, grid, c], [x, g, bt],
                      b * (grid // 2) ** 2 * 4 * c, lambda x=x, g=g, bt=bt, grid=grid: rn.merge_layer_norm(x, g, bt,
                                                                                                            grid),
                      2e-6, 8e-3))
    for images_n, cols, l1, d, heads in [(3, 719, 145, 768, 4), (2, 8, 10, 32, 4)]:
        q, k = normal(cols, d, scale=0.5), normal(images_n, l1, d, scale=0.5)
        cases.append(("head_attention", f"layer-0 attention {cols} columns × {l1} tokens (shared queries)",
                      [images_n, cols, l1, d, heads], [q, k], images_n * heads * cols * l1,
                      lambda q=q, k=k, heads=heads: rn.head_attention(q, k, heads), 2e-5, 3e-2))
    # RAM++'s reweighting: 719 of 800 tags (a gather, in an order that is not ascending), 51 descriptions.
    for n_img, tags, dd, e, d, cols in [(3, 800, 51, 512, 768, rng.permutation(800)[:719].tolist()),
                                        (2, 12, 5, 24, 32, [3, 0, 11, 7])]:
        cls_source = normal(n_img, e)
        label = np.clip(normal(tags * dd, e, scale=0.02), -0.04, 0.04)
        ww, wb = normal(d, e, scale=0.05), normal(d, scale=0.02)
        qw, qb = normal(d, d, scale=0.05), normal(d, scale=0.02)
        scale, index = np.array([4.0], f32), np.array(cols, f32)
        cases.append(("reweighted_queries", f"RAM++ queries {n_img} images × {len(cols)} tags × {dd} rows, E {e}",
                      [n_img, tags, dd, e, d], [cls_source, label, ww, wb, qw, qb, scale, index],
                      2 * n_img * len(cols) * d,
                      lambda c=cls_source, lb=label, dd=dd, ww=ww, wb=wb, qw=qw, qb=qb, cols=cols:
                      np.concatenate([a.ravel() for a in rn.reweighted_queries(c, lb, dd, ww, wb, qw, qb, 4.0, cols)]),
                      2e-5, 3e-2))
    for rows, n_in, n_out in [(1000, 768, 3072), (37, 24, 13)]:
        x, w = normal(rows, n_in), normal(n_out, n_in, scale=0.05)
        cases.append(("linear", f"linear {rows}×{n_in} → {n_out}", [rows, n_in, n_out], [x, w], rows * n_out,
                      lambda x=x, w=w: x.astype(np.float64) @ w.astype(np.float64).T, 2e-6, 1e-2))
    return cases


def selection_case(rng, images=16, heads=4, cols=60, tokens=145):
    logits = rng.standard_normal((images, heads, cols, tokens)) * 2
    att = rn.softmax(logits).astype(np.float32)
    att[:, :, 7, :] = np.float32(1.0 / tokens)  # a constant column
    chosen = []
    for i in range(images):
        if i % 5 == 0:
            chosen.append([])
        else:
            chosen.append(sorted(rng.choice(cols, size=int(rng.integers(1, 6)), replace=False).tolist()))
    chosen[1] = [7]
    return att, chosen


def check_kernels(lib, rng, dry):
    print("kernel parity (tagood_cuda_debug_kernel against NumPy):", flush=True)
    for name, label, params, inputs, count, reference, limit32, limit16 in kernel_cases(rng):
        want = reference()
        for pname, precision in PRECISIONS:
            if dry:
                record("kernel", label, pname, "not run (no GPU)")
                continue
            try:
                got = lib.debug_kernel(name, precision, params, inputs, count)
                record("kernel", label, pname, rn.relative_error(got, want.ravel()),
                       limit32 if precision == tc.FP32 else limit16, "rel err")
            except tc.TagoodCUDAError as e:
                record("kernel", label, pname, f"error: {e}", verdict="FAIL")
    att, chosen = selection_case(rng)
    images, heads, cols, tokens = att.shape
    offsets = np.zeros(images + 1, dtype=np.float32)
    for i, c in enumerate(chosen):
        offsets[i + 1] = offsets[i] + len(c)
    flat_chosen = np.array([x for c in chosen for x in c], dtype=np.float32)
    want = [rn.select_tokens(att[i], chosen[i], 0.5) for i in range(images)]
    label = f"selection {images} images, {cols} columns, {tokens} tokens"
    if dry:
        record("kernel", label + " (identical)", "fp32", "not run (no GPU)")
        return
    try:
        out = lib.debug_kernel("select", tc.FP32, [images, heads, cols, tokens],
                               [att, offsets, flat_chosen, np.array([0.5], np.float32)],
                               images * tokens * 2 + images + images + 1)
        combined = out[:images * tokens].reshape(images, tokens)
        kept = out[images * tokens:2 * images * tokens].reshape(images, tokens).astype(np.int64)
        counts = out[2 * images * tokens:2 * images * tokens + images].astype(np.int64)
        packed = out[2 * images * tokens + images:].astype(np.int64)
        same = sum(int(np.array_equal(kept[i, :counts[i]], want[i][1]) and np.array_equal(combined[i], want[i][0]))
                   for i in range(images))
        scan_ok = np.array_equal(packed, np.concatenate([[0], np.cumsum(counts)]))
        record("kernel", label + " (identical; exact)", "fp32", float(images - same), 0, "images differ")
        record("kernel", "exclusive scan of the kept counts", "fp32", 0.0 if scan_ok else 1.0, 0, "wrong")
    except tc.TagoodCUDAError as e:
        record("kernel", label, "fp32", f"error: {e}", verdict="FAIL")


# MARK: 2. Whole model against the CPU path

def id_rule_columns(probs_id, threshold):
    """The ID rule's columns: those above the threshold, else the best one."""
    cols = [int(j) for j in np.nonzero(probs_id > threshold)[0]]
    return cols or [int(np.argmax(probs_id))]


class Reference:
    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "manifest.json")) as f:
            self.manifest = m = json.load(f)
        self.name = m["name"]
        self.cfg = tc.complete(json.loads(m["config"]))
        self.n = m["images"]
        self.id_tags = m["id_tags"]
        self.threshold = m["tag_threshold"]
        self.weights = tc.load_safetensors(os.path.join(folder, "weights.safetensors"))
        self.images = tc.load_bf16(os.path.join(folder, "images.bf16"), m["image_shape"])
        shapes = m["shapes"]

        def f32(name):
            return np.fromfile(os.path.join(folder, name + ".f32"), dtype="<f4").reshape(shapes[name])

        self.embeds = f32("image_embeds")
        self.probs_all = f32("probs_all")
        self.probs_id = f32("probs_id")
        self.attention = f32("attention_id")
        self.others_fire = np.fromfile(os.path.join(folder, "others_fire.u8"), dtype=np.uint8)
        ids = set(self.id_tags)
        self.others = [t for t in range(self.cfg["num_tags"]) if t not in ids]
        self.chosen = [id_rule_columns(self.probs_id[i], self.threshold) for i in range(self.n)]
        self.selection = [rn.select_tokens(self.attention[i], self.chosen[i], 0.5) for i in range(self.n)]
        missing = [s for s, _, _ in tc.parameter_specs(self.cfg) if s not in self.weights]
        assert not missing, f"{folder}: weights lack {missing[:3]}"
        assert np.allclose(self.probs_id, self.probs_all[:, self.id_tags]), f"{folder}: probs_id ≠ probs_all[ids]"


def compare_selection(ref, sel, embeds, label, pname):
    same = sum(int(np.array_equal(sel["kept"][i], ref.selection[i][1])) for i in range(ref.n))
    if pname == "fp32":
        record("model", f"{label}: selections identical", pname, float(ref.n - same), 0, f"of {ref.n} differ")
    else:
        record("model", f"{label}: selections identical", pname, same / ref.n, None, "fraction")
    record("model", f"{label}: combined attention map", pname,
           rn.relative_error(sel["attention"], np.stack([s[0] for s in ref.selection])),
           1e-4 if pname == "fp32" else None, "rel err")
    rows = np.concatenate([embeds[i, sel["kept"][i]] for i in range(ref.n)] or [np.zeros((0, embeds.shape[2]))])
    exact = sel["tokens"].shape == rows.shape and np.array_equal(sel["tokens"], rows) and \
        np.array_equal(sel["global_embeds"], embeds[:, 0])
    record("model", f"{label}: kept rows and row 0 are image_embeds'", pname, 0.0 if exact else 1.0, 0, "wrong")


def check_model(lib, ref, dry):
    label = f"{ref.name} ({ref.n} images)"
    print(f"whole-model parity against the CPU path: {label}, {len(ref.id_tags)} ID tags of "
          f"{ref.cfg['num_tags']}:", flush=True)
    limits = {"fp32": 1e-4, "bf16": 5e-2}
    for pname, precision in PRECISIONS:
        lim = limits[pname]
        if dry:
            for what in ("image_embeds", "ID tags' probabilities", "layer-0 attention (ID tags)",
                         "all tags' probabilities", "tags_fire (other tags)", "selections identical",
                         "two slots, chunks of 1 image: probabilities"):
                record("model", f"{label}: {what}", pname, "not run (no GPU)")
            continue
        try:
            with tc.Context(lib, ref.cfg, ref.weights.get, precision=precision, max_batch=ref.n,
                            id_tags=ref.id_tags) as ctx:
                ctx.submit(0, ref.images)
                probs = ctx.probabilities(0)
                embeds = ctx.image_embeds(0)
                att = ctx.layer0_attention(0)
                record("model", f"{label}: image_embeds", pname, rn.relative_error(embeds, ref.embeds), lim, "rel err")
                record("model", f"{label}: ID tags' probabilities", pname, rn.relative_error(probs, ref.probs_id),
                       lim, "rel err")
                record("model", f"{label}: layer-0 attention (ID tags)", pname, rn.relative_error(att, ref.attention),
                       lim, "rel err")
                fired = ctx.tags_fire(0, list(range(ref.n)), ref.others, ref.threshold)
                margin = np.abs(ref.probs_all[:, ref.others] - ref.threshold).min()
                agree = float(np.mean(fired == ref.others_fire))
                record("model", f"{label}: tags_fire (other tags; closest prob {margin:.1e} from the threshold)",
                       pname, agree, None, "fraction agree")
                sel = ctx.select(0, ref.chosen, 0.5)
                compare_selection(ref, sel, embeds, label, pname)
            with tc.Context(lib, ref.cfg, ref.weights.get, precision=precision, max_batch=ref.n, all_tags=True) as ctx:
                ctx.submit(1, ref.images)
                record("model", f"{label}: all tags' probabilities", pname,
                       rn.relative_error(ctx.probabilities(1), ref.probs_all), lim, "rel err")
                sel = ctx.select(1, [[] for _ in range(ref.n)], 0.5)
                record("model", f"{label}: no columns keep no tokens", pname,
                       float(sel["counts"].sum() + np.abs(sel["attention"]).sum()), 0, "kept")
            # The two slots in flight at once, with the encoder and the head one image at a time.
            os.environ["TAGOOD_CUDA_ENCODER_CHUNK"] = "1"
            os.environ["TAGOOD_CUDA_HEAD_CHUNK"] = "1"
            try:
                with tc.Context(lib, ref.cfg, ref.weights.get, precision=precision, max_batch=ref.n,
                                id_tags=ref.id_tags) as ctx:
                    half = max(1, ref.n // 2)
                    ctx.submit(0, ref.images[:half])
                    ctx.submit(1, ref.images[half:])
                    p1, p0 = ctx.probabilities(1), ctx.probabilities(0)
                    s1 = ctx.select(1, ref.chosen[half:], 0.5)
                    s0 = ctx.select(0, ref.chosen[:half], 0.5)
                    probs = np.concatenate([p0, p1])
                    record("model", f"{label}: two slots, chunks of 1 image: probabilities", pname,
                           rn.relative_error(probs, ref.probs_id), lim, "rel err")
                    kept = s0["kept"] + s1["kept"]
                    same = sum(int(np.array_equal(kept[i], ref.selection[i][1])) for i in range(ref.n))
                    record("model", f"{label}: two slots, chunks of 1 image: selections identical", pname,
                           same / ref.n, 1.0 if pname == "fp32" else None, "fraction", None if pname == "bf16" else
                           ("PASS" if same == ref.n else "FAIL"))
            finally:
                del os.environ["TAGOOD_CUDA_ENCODER_CHUNK"]
                del os.environ["TAGOOD_CUDA_HEAD_CHUNK"]
        except tc.TagoodCUDAError as e:
            record("model", f"{label}", pname, f"error: {e}", verdict="FAIL")


def check_api_errors(lib, ref, dry, plus=None):
    print("API errors:", flush=True)
    if dry:
        record("api", "missing weight, bad state, bad batch, bad column", "-", "not run (no GPU)")
        if plus is not None:
            record("api", "RAM++ without reweight_scale is MISSING_WEIGHT, named", "-", "not run (no GPU)")
        return
    if plus is not None:
        weights = dict(plus.weights)
        del weights["reweight_scale"]
        try:
            tc.Context(lib, plus.cfg, weights.get, precision=tc.FP32, max_batch=1, id_tags=plus.id_tags)
            record("api", "RAM++ without reweight_scale is MISSING_WEIGHT", "-", "created anyway", verdict="FAIL")
        except tc.TagoodCUDAError as e:
            ok = e.status == tc.STATUS.index("MISSING_WEIGHT") and "reweight_scale" in str(e)
            record("api", "RAM++ without reweight_scale is MISSING_WEIGHT, named", "-", 0.0 if ok else str(e), 0,
                   "wrong")
    weights = dict(ref.weights)
    del weights["fc.bias"]
    try:
        tc.Context(lib, ref.cfg, weights.get, precision=tc.FP32, max_batch=2, id_tags=ref.id_tags)
        record("api", "a missing weight is MISSING_WEIGHT", "-", "created anyway", verdict="FAIL")
    except tc.TagoodCUDAError as e:
        ok = e.status == tc.STATUS.index("MISSING_WEIGHT") and "fc.bias" in str(e)
        record("api", "a missing weight is MISSING_WEIGHT, named", "-", 0.0 if ok else str(e), 0, "wrong")
    with tc.Context(lib, ref.cfg, ref.weights.get, precision=tc.FP32, max_batch=1, id_tags=ref.id_tags) as ctx:
        def status_of(f):
            try:
                f()
                return "OK"
            except tc.TagoodCUDAError as e:
                return tc.STATUS[e.status]
        got = [status_of(lambda: ctx.select(0, [[0]], 0.5)),
               status_of(lambda: ctx.submit(0, ref.images[:2] if ref.n >= 2 else np.zeros((2,) + ref.images.shape[1:],
                                                                                          np.float32))),
               status_of(lambda: ctx.submit(2, ref.images[:1]))]
        ctx.submit(0, ref.images[:1])
        got.append(status_of(lambda: ctx.submit(0, ref.images[:1])))
        got.append(status_of(lambda: ctx.select(0, [[len(ref.id_tags)]], 0.5)))
        got.append(status_of(lambda: ctx.select(0, [[0]], 0.5)))
        want = ["BAD_STATE", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "BAD_STATE", "INVALID_ARGUMENT", "OK"]
        record("api", "BAD_STATE / INVALID_ARGUMENT where the header says", "-",
               0.0 if got == want else f"{got}", 0, "wrong")


def check_torch_ram_plus(ref):
    """PyTorch's RAM++ (torch_ram.py, the timing's yardstick) against the CPU path's RAM++ reference, fp32, on
    the GPU where there is one (else on the CPU: this row then ran here)."""
    try:
        import torch
    except ImportError:
        record("torch", f"{ref.name}: torch_ram's RAM++ vs the CPU path", "fp32", "not run (no PyTorch)")
        return
    import torch_ram
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    fwd = torch_ram.forward_fn(torch)
    sd = torch_ram.state_dict(torch, ref.weights, device)
    with torch.inference_mode():
        emb, probs = fwd(sd, ref.cfg, torch.from_numpy(ref.images).to(device))
        _, probs_id = fwd(sd, ref.cfg, torch.from_numpy(ref.images).to(device),
                          torch.tensor(ref.id_tags, device=device))
    record("torch", f"{ref.name}: torch_ram's RAM++ all tags' probabilities ({device})", "fp32",
           rn.relative_error(probs.double().cpu().numpy(), ref.probs_all), 1e-4, "rel err")
    record("torch", f"{ref.name}: torch_ram's RAM++ ID tags' probabilities ({device})", "fp32",
           rn.relative_error(probs_id.double().cpu().numpy(), ref.probs_id), 1e-4, "rel err")


# MARK: 3 and 4: Swin-L against PyTorch

def torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def check_swin_l(lib, torch, dry, images_n=2):
    print("Swin-L/384 (random weights, non-zero biases) against PyTorch on the same GPU:", flush=True)
    if dry or torch is None:
        why = "not run (no GPU)" if dry else "not run (no PyTorch with CUDA)"
        for what in ("image_embeds vs torch fp32", "all tags' probabilities vs torch fp32"):
            for pname, _ in PRECISIONS + [("torch bf16", None)]:
                record("swin-l", what, pname, why)
        return None
    import torch_ram
    cfg = tc.complete(tc.SWIN_L_384)
    t0 = time.time()
    weights = tc.random_weights(cfg, seed=0)
    rng = np.random.default_rng(5)
    images = rng.standard_normal((images_n, 3, 384, 384)).astype(np.float32)
    print(f"  random weights in {time.time() - t0:.1f} s", flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    fwd = torch_ram.forward_fn(torch)
    sd = torch_ram.state_dict(torch, weights, "cuda")
    x = torch.from_numpy(images).cuda()
    with torch.inference_mode():
        emb, probs = fwd(sd, cfg, x)
        ref_emb, ref_probs = emb.double().cpu().numpy(), probs.double().cpu().numpy()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            emb16, probs16 = fwd(sd, cfg, x)
    record("swin-l", "image_embeds vs torch fp32", "torch bf16", rn.relative_error(emb16.float().cpu().numpy(),
                                                                                   ref_emb), None, "rel err")
    record("swin-l", "all tags' probabilities vs torch fp32", "torch bf16",
           rn.relative_error(probs16.float().cpu().numpy(), ref_probs), None, "rel err")
    del sd, x, emb, probs, emb16, probs16
    torch.cuda.empty_cache()
    for pname, precision in PRECISIONS:
        try:
            with tc.Context(lib, cfg, weights.get, precision=precision, max_batch=images_n, all_tags=True) as ctx:
                ctx.submit(0, images)
                probs = ctx.probabilities(0)
                emb = ctx.image_embeds(0)
            lim = 1e-3 if pname == "fp32" else None
            record("swin-l", "image_embeds vs torch fp32", pname, rn.relative_error(emb, ref_emb), lim, "rel err")
            record("swin-l", "all tags' probabilities vs torch fp32", pname, rn.relative_error(probs, ref_probs), lim,
                   "rel err")
        except tc.TagoodCUDAError as e:
            record("swin-l", "Swin-L", pname, f"error: {e}", verdict="FAIL")
    return weights


def time_tagood(lib, cfg, weights, images, batches, reps, id_tags=None):
    """images/s of the pipeline: submit batch k+1, then probabilities and select of batch k."""
    rates = {}
    all_tags = id_tags is None
    with tc.Context(lib, cfg, weights.get, precision=tc.BF16, max_batch=max(batches), id_tags=id_tags,
                    all_tags=all_tags) as ctx:
        for b in batches:
            x = images[:b]

            def collect(slot):
                # Each image keeps its best column (the ID rule's fallback; cheap on the host).
                best = ctx.probabilities(slot).argmax(1)
                ctx.select(slot, [[int(j)] for j in best], 0.5)

            ctx.submit(0, x)  # warm-up (cuBLASLt's algorithms are chosen on first use)
            collect(0)
            t0 = time.perf_counter()
            ctx.submit(0, x)
            for k in range(reps):
                if k + 1 < reps:
                    ctx.submit((k + 1) % 2, x)
                collect(k % 2)
            rates[b] = b * reps / (time.perf_counter() - t0)
    return rates


def time_torch(torch, cfg, weights, batches, reps, tags=None):
    import torch_ram
    fwd = torch_ram.forward_fn(torch)
    sd = torch_ram.state_dict(torch, weights, "cuda")
    t = torch.arange(tags, device="cuda") if tags else None
    rates = {}
    for b in batches:
        x = None
        try:
            x = torch.randn(b, 3, 384, 384, device="cuda")
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
                fwd(sd, cfg, x, t)
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(reps):
                    fwd(sd, cfg, x, t)
                torch.cuda.synchronize()
            rates[b] = b * reps / (time.perf_counter() - t0)
        except torch.cuda.OutOfMemoryError:
            rates[b] = "out of memory"
        del x
        torch.cuda.empty_cache()
    del sd
    torch.cuda.empty_cache()
    return rates


PLUS_BATCH = 128


def ram_plus_weights(weights, seed=0):
    """Swin-L's random RAM weights made RAM++'s: label_embed [4585 · 51, 512] (N(0, 0.02) clipped at ±0.04) and
    reweight_scale log(1 / 0.07)."""
    cfg = tc.complete(tc.SWIN_L_384_PLUS)
    rng = np.random.default_rng([seed, 26])
    rows = cfg["num_tags"] * cfg["descriptions_per_tag"]
    label = 0.02 * rng.standard_normal(rows * cfg["encoder_width"], dtype=np.float32)
    np.clip(label, -0.04, 0.04, out=label)
    out = dict(weights)
    out["label_embed"] = label.reshape(rows, cfg["encoder_width"])
    out["reweight_scale"] = np.array(np.log(1 / 0.07), dtype=np.float32)
    return cfg, out


def check_speed(lib, torch, weights, dry, batches, reps, budget):
    print("throughput, bf16 (images/s; tagood from host memory through the two-slot pipeline with the "
          "selection, PyTorch eager + bf16 autocast on images already on the GPU):", flush=True)
    ram = ("tagood, all 4585 tags", "tagood, 719 ID tags", "PyTorch eager, all 4585 tags", "PyTorch eager, 719 tags")
    plus = ("tagood RAM++, all 4585 tags", "tagood RAM++, 719 ID tags", "PyTorch eager RAM++, all 4585 tags",
            "PyTorch eager RAM++, 719 tags")
    if dry or torch is None or weights is None:
        why = "not run (no GPU)" if dry else "not run (no PyTorch with CUDA)"
        for b in batches:
            for who in ram:
                record("speed", f"{who}, batch {b}", "bf16", why)
        for who in plus:
            record("speed", f"{who}, batch {PLUS_BATCH}", "bf16", why)
        return
    cfg = tc.complete(tc.SWIN_L_384)
    rng = np.random.default_rng(9)
    images = rng.standard_normal((max(batches + [PLUS_BATCH]), 3, 384, 384)).astype(np.float32)
    ids = list(range(719))
    runs = [(ram[0], batches, lambda: time_tagood(lib, cfg, weights, images, batches, reps)),
            (ram[1], batches, lambda: time_tagood(lib, cfg, weights, images, batches, reps, id_tags=ids)),
            (ram[2], batches, lambda: time_torch(torch, cfg, weights, batches, reps)),
            (ram[3], batches, lambda: time_torch(torch, cfg, weights, batches, reps, tags=719))]
    # RAM++ at one batch size: the same encoder and head, the per-image reweighting of 51 descriptions per tag.
    plus_cfg, plus_weights = None, None

    def with_plus(f):
        def run():
            nonlocal plus_cfg, plus_weights
            if plus_weights is None:
                plus_cfg, plus_weights = ram_plus_weights(weights)
            return f(plus_cfg, plus_weights)
        return run

    one = [PLUS_BATCH]
    runs += [(plus[0], one, with_plus(lambda c, w: time_tagood(lib, c, w, images, one, reps))),
             (plus[1], one, with_plus(lambda c, w: time_tagood(lib, c, w, images, one, reps, id_tags=ids))),
             (plus[2], one, with_plus(lambda c, w: time_torch(torch, c, w, one, reps))),
             (plus[3], one, with_plus(lambda c, w: time_torch(torch, c, w, one, reps, tags=719)))]
    for who, sizes, run in runs:
        if elapsed() > budget:
            for b in sizes:
                record("speed", f"{who}, batch {b}", "bf16", f"skipped (past the {budget:.0f} s budget)")
            continue
        try:
            rates = run()
        except tc.TagoodCUDAError as e:
            rates = {b: f"error: {e}" for b in sizes}
        for b in sizes:
            record("speed", f"{who}, batch {b}", "bf16", rates[b], None, "images/s")


# MARK: The table

def print_table(device):
    print()
    print("=" * 118)
    print(f"libtagood_cuda device check — {device} — {elapsed():.0f} s")
    print("=" * 118)
    print(f"{'section':8} | {'check':60} | {'prec':10} | {'value':>12} | {'limit':>8} | {'unit':14} | verdict")
    print("-" * 118)
    for section, check, precision, value, limit, unit, verdict in ROWS:
        shown = value if isinstance(value, str) else f"{value:.4g}" if value is not None else "—"
        if len(shown) > 40:
            shown = shown[:40] + "…"
        lim = "" if limit is None else f"{limit:.0e}" if limit else "0"
        print(f"{section:8} | {check[:60]:60} | {precision:10} | {shown:>12} | {lim:>8} | {unit:14} | {verdict}")
    failures = sum(1 for r in ROWS if r[6] == "FAIL")
    passes = sum(1 for r in ROWS if r[6] == "PASS")
    print("-" * 118)
    print(f"{passes} passed, {failures} failed, {len(ROWS) - passes - failures} measured or not run")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", default=".build/cuda/libtagood_cuda.so")
    ap.add_argument("--references", default=os.path.join(HERE, "reference"))
    ap.add_argument("--batches", default="64,128,256")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip Swin-L and the timing")
    ap.add_argument("--budget", type=float, default=390, help="seconds after which the timing is skipped")
    a = ap.parse_args()
    batches = [int(b) for b in a.batches.split(",")]

    lib = tc.Library(a.library)
    assert lib.api_version() == tc.API_VERSION
    status, info, message = lib.describe_device(0)
    dry = status != tc.OK
    if dry:
        device = f"NO GPU ({tc.STATUS[status]}): nothing below ran on a device"
        print(f"{a.library} loads (API version {lib.api_version()}), but there is no usable GPU here:\n  {message}\n"
              "Checking what runs without one (the references, the NumPy side of every check), then printing what "
              "would be measured.", flush=True)
    else:
        device = (f"{info.name.decode()} (sm_{info.compute_major}{info.compute_minor}, {info.multiprocessors} SMs, "
                  f"{info.memory_bytes / 2**30:.0f} GiB, driver {info.driver_version}, runtime {info.runtime_version})")
        print(f"device 0: {device}", flush=True)
    torch = None if dry else torch_cuda()
    if torch is not None:
        print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}", flush=True)

    rng = np.random.default_rng(0)
    check_kernels(lib, rng, dry)
    references = [Reference(f) for f in sorted(glob.glob(os.path.join(a.references, "*")))
                  if os.path.exists(os.path.join(f, "manifest.json"))]
    if not references:
        record("model", f"no reference folders in {a.references} (tools/gpu/make_reference.sh)", "-", "missing",
               verdict="FAIL")
    for ref in references:
        check_model(lib, ref, dry)
    ram = [r for r in references if r.cfg["descriptions_per_tag"] == 1]
    plus = [r for r in references if r.cfg["descriptions_per_tag"] > 1]
    if references:
        check_api_errors(lib, (ram or references)[0], dry, plus[0] if plus else None)
    if not plus:
        record("model", "no RAM++ reference folder (tools/gpu/make_reference.sh)", "-", "missing", verdict="FAIL")
    for ref in plus:
        check_torch_ram_plus(ref)
    weights = None
    if not a.quick:
        weights = check_swin_l(lib, torch, dry)
        check_speed(lib, torch, weights, dry, batches, a.reps, a.budget)
    failures = print_table(device)
    if dry:
        print("No GPU: the library loaded and the checks' NumPy side ran; every device measurement above is "
              "'not run'. Run tools/gpu/check.sh on a GPU machine.")
        return 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
