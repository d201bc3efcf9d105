#!/usr/bin/env python3
"""libtagood_cuda's data flow, emulated on the host without a GPU.

The index header (Sources/CTagoodCUDA/include/tagood_cuda_index.h) is compiled for the host with `cc`, then:
1. each kernel's data movement (the window gather, the head-major qkv permutation and the batched scores, the
   label-based shift mask, P·V per head into its columns, the reverse scatter, patch merging, the patch rows)
   is replayed through it in NumPy and compared with tools/gpu/reference_numpy.py, the device check's kernel
   references: they must agree exactly;
2. cuda/src/forward.cu's sequence of products and kernels is transcribed in float64 NumPy through the same
   functions and compared with the CPU path's outputs in tools/gpu/reference/ (image_embeds, the ID tags'
   probabilities, layer 0's attention), RAM++'s per-image reweighting (reweighted_queries: the padded description
   groups, the logits product, the grouped softmax, the mix batched over the columns) included.
It checks the pipeline's logic and the references, not the CUDA code itself. Usage: tools/gpu/emulate.py
"""
import ctypes as C
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import reference_numpy as rn  # noqa: E402
import tagood_cuda as tc  # noqa: E402

WRAPPERS = r"""
#include "tagood_cuda_index.h"
int64_t window_source(int64_t r, int32_t g, int32_t w, int32_t s) { return tagood_window_source(r, g, w, s); }
int32_t shift_label(int32_t w, int32_t t, int32_t g, int32_t ws, int32_t s) {
    return tagood_shift_label(w, t, g, ws, s);
}
int32_t bias_source(int32_t h, int32_t a, int32_t b, int32_t w, int32_t heads) {
    return tagood_relative_bias_source(h, a, b, w, heads);
}
int64_t qkv_dest(int64_t r, int32_t c, int64_t windows, int32_t n, int32_t width, int32_t heads) {
    return tagood_qkv_destination(r, c, windows, n, width, heads);
}
int32_t merge_source(int32_t t, int32_t part, int32_t g) { return tagood_merge_source(t, part, g); }
int64_t patch_pixel(int32_t t, int32_t c, int32_t p, int32_t r) { return tagood_patch_pixel(t, c, p, r); }
int32_t description_stride(int32_t dd) { return tagood_description_stride(dd); }
int64_t description_source(int64_t row, int32_t dd) { return tagood_description_source(row, dd); }
int64_t weight_offset(int32_t i, int32_t j, int32_t k, int32_t columns, int32_t stride) {
    return tagood_description_weight_offset(i, j, k, columns, stride);
}
int64_t head_row(int32_t i, int32_t j, int32_t columns) { return tagood_head_row(i, j, columns); }
"""


def load_index():
    folder = tempfile.mkdtemp(prefix="tagood-index-")
    c, so = os.path.join(folder, "index.c"), os.path.join(folder, "libindex.so")
    with open(c, "w") as f:
        f.write(WRAPPERS)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-I", os.path.join(ROOT, "Sources/CTagoodCUDA/include"), c,
                    "-o", so], check=True)
    lib = C.CDLL(so)
    i32, i64 = C.c_int32, C.c_int64
    lib.window_source.restype, lib.window_source.argtypes = i64, [i64, i32, i32, i32]
    lib.shift_label.argtypes = [i32] * 5
    lib.bias_source.argtypes = [i32] * 5
    lib.qkv_dest.restype, lib.qkv_dest.argtypes = i64, [i64, i32, i64, i32, i32, i32]
    lib.merge_source.argtypes = [i32] * 3
    lib.patch_pixel.restype, lib.patch_pixel.argtypes = i64, [i32] * 4
    lib.description_stride.argtypes = [i32]
    lib.description_source.restype, lib.description_source.argtypes = i64, [i64, i32]
    lib.weight_offset.restype, lib.weight_offset.argtypes = i64, [i32] * 5
    lib.head_row.restype, lib.head_row.argtypes = i64, [i32] * 3
    return lib


X = load_index()
_erf = np.vectorize(math.erf)


def gelu(x):
    return x * 0.5 * (1 + _erf(x * 0.7071067811865476))


# MARK: The kernels' data flow

def window_sources(rows, grid, ws, shift):
    return np.array([X.window_source(r, grid, ws, shift) for r in range(rows)])


def shift_labels(grid, ws, shift):
    n, windows = ws * ws, (grid // ws) ** 2
    return np.array([[X.shift_label(w, t, grid, ws, shift) for t in range(n)] for w in range(windows)])


def dense_bias(table, ws, heads):
    n, flat = ws * ws, table.ravel()
    return np.array([[[flat[X.bias_source(h, a, b, ws, heads)] for b in range(n)] for a in range(n)]
                     for h in range(heads)])


def window_attention(qkv, qkv_bias, table, grid, dim, heads, ws, shift):
    """qkv_permute → one batched scores product → window_softmax (bias, labels) → P·V per head."""
    rows, n, hd = qkv.shape[0], ws * ws, dim // heads
    windows, per_image = rows // n, (grid // ws) ** 2
    perm = np.zeros(rows * 3 * dim)
    for r in range(rows):
        perm[[X.qkv_dest(r, c, windows, n, dim, heads) for c in range(3 * dim)]] = qkv[r] + qkv_bias
    part = rows * dim
    q = perm[:part].reshape(heads * windows, n, hd)
    k = perm[part:2 * part].reshape(heads * windows, n, hd)
    v = perm[2 * part:].reshape(heads, windows, n, hd)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    bias = dense_bias(table, ws, heads)
    labels = shift_labels(grid, ws, shift) if shift else None
    for g in range(heads * windows):
        scores[g] += bias[g // windows]
        if labels is not None:
            w = labels[(g % windows) % per_image]
            scores[g] += np.where(w[:, None] != w[None, :], -100.0, 0.0)
    p = rn.softmax(scores).reshape(heads, windows, n, n)
    out = np.zeros((rows, dim))
    for h in range(heads):
        out[:, h * hd:(h + 1) * hd] = (p[h] @ v[h]).reshape(rows, hd)
    return out


def scatter_add(y, bias, x, grid, ws, shift):
    out = x.astype(np.float64).copy()
    for r, s in enumerate(window_sources(y.shape[0], grid, ws, shift)):
        out[s] = (out[s] + bias) + y[r]
    return out


def merge_rows(x, images, grid):
    half = grid // 2
    return np.array([np.concatenate([x[i * grid * grid + X.merge_source(t, part, grid)] for part in range(4)])
                     for i in range(images) for t in range(half * half)])


def patch_rows(images, p):
    n, ch, res, _ = images.shape
    r0 = res // p
    index = np.array([[X.patch_pixel(t, c, p, res) for c in range(ch * p * p)] for t in range(r0 * r0)])
    return np.concatenate([images[i].ravel()[index] for i in range(n)])


def kernels():
    rng = np.random.default_rng(0)
    worst = 0.0
    for b, grid, dim, heads, ws, shift in [(2, 8, 8, 2, 4, 2), (1, 12, 12, 3, 6, 3), (2, 3, 4, 1, 3, 0),
                                           (1, 24, 8, 2, 12, 6)]:
        rows = b * grid * grid
        x, y = rng.standard_normal((rows, dim)), rng.standard_normal((rows, dim))
        g, beta = 1 + 0.1 * rng.standard_normal(dim), 0.1 * rng.standard_normal(dim)
        ln = rn.layer_norm(x[window_sources(rows, grid, ws, shift)], g, beta)
        worst = max(worst, rn.relative_error(ln, rn.window_layer_norm(x, g, beta, grid, ws, shift)))
        qkv, qb = rng.standard_normal((rows, 3 * dim)), rng.standard_normal(3 * dim)
        table = rng.standard_normal(((2 * ws - 1) ** 2, heads))
        worst = max(worst, rn.relative_error(window_attention(qkv, qb, table, grid, dim, heads, ws, shift),
                                             rn.window_attention(qkv, qb, table, grid, heads, ws, shift)))
        worst = max(worst, rn.relative_error(scatter_add(y, beta, x, grid, ws, shift),
                                             rn.window_scatter_add(y, beta, x, grid, ws, shift)))
        if grid % 2 == 0:
            g4, b4 = 1 + 0.1 * rng.standard_normal(4 * dim), 0.1 * rng.standard_normal(4 * dim)
            worst = max(worst, rn.relative_error(rn.layer_norm(merge_rows(x, b, grid), g4, b4),
                                                 rn.merge_layer_norm(x, g4, b4, grid)))
    images = rng.standard_normal((2, 3, 16, 16))
    worst = max(worst, rn.relative_error(patch_rows(images, 4), rn.patch_rows(images, 4)))
    print(f"kernels: the index functions' data flow against the NumPy references: worst rel err {worst:.1e}")
    return worst < 1e-12


# MARK: forward.cu's sequence

def reweighted_queries(cfg, w, embeds, tags):
    """forward.cu's reweighted_queries for `tags` (the columns): the padded description groups (pad_descriptions,
    gather_rows), cls_rows, the logits product, grouped_softmax over [images][columns][stride], the mix as a
    product per column with the operands' strides, relu(wordvec_proj(·)). Returns x [images · columns, D]."""
    n, l1, e = embeds.shape
    dd, cols = cfg["descriptions_per_tag"], len(tags)
    stride = X.description_stride(dd)
    source = np.array([X.description_source(r, dd) for r in range(cfg["num_tags"] * stride)])
    groups = np.where(source[:, None] >= 0, w["label_embed"][np.maximum(source, 0)], 0.0)
    groups = groups.reshape(cfg["num_tags"], stride * e)[tags].ravel()  # [columns, stride, E]
    cls = embeds[:, 0] / np.linalg.norm(embeds[:, 0], axis=-1, keepdims=True)
    logits = (np.exp(w["reweight_scale"].item()) * cls @ groups.reshape(cols * stride, e).T).ravel()
    weights = np.full(n * cols * stride, np.nan)
    for i in range(n):
        for j in range(cols):
            offsets = np.array([X.weight_offset(i, j, k, cols, stride) for k in range(stride)])
            weights[offsets[:dd]] = rn.softmax(logits[offsets[:dd]])
            weights[offsets[dd:]] = 0.0
    mixed = np.full(n * cols * e, np.nan)
    for j in range(cols):  # batch j: A lda cols·stride, B ldb E, C ldc cols·E
        a = np.array([[weights[j * stride + i * cols * stride + k] for k in range(stride)] for i in range(n)])
        b = groups[j * stride * e:(j + 1) * stride * e].reshape(stride, e)
        c = a @ b
        for i in range(n):
            mixed[j * e + i * cols * e:j * e + i * cols * e + e] = c[i]
    rows = np.array([X.head_row(i, j, cols) for i in range(n) for j in range(cols)])
    assert np.array_equal(rows, np.arange(n * cols)) and not np.isnan(mixed).any()
    return np.maximum(mixed.reshape(n * cols, e) @ w["wordvec_proj.weight"].T + w["wordvec_proj.bias"], 0)


def forward(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    cfg = tc.complete(json.loads(manifest["config"]))
    w = {k: v.astype(np.float64) for k, v in tc.load_safetensors(os.path.join(folder, "weights.safetensors")).items()}
    images = tc.load_bf16(os.path.join(folder, "images.bf16"), manifest["image_shape"]).astype(np.float64)
    n, p, res, e0 = images.shape[0], cfg["patch_size"], cfg["image_res"], cfg["embed_dim"]
    r0 = res // p
    # Patch embedding: rows, product, + bias, LN.
    x = patch_rows(images, p) @ w["visual_encoder.patch_embed.proj.weight"].reshape(e0, -1).T
    x = rn.layer_norm(x + w["visual_encoder.patch_embed.proj.bias"], w["visual_encoder.patch_embed.norm.weight"],
                      w["visual_encoder.patch_embed.norm.bias"])
    stages = len(cfg["depths"])
    for s in range(stages):
        grid, dim, heads = r0 >> s, e0 << s, cfg["num_heads"][s]
        ws = min(cfg["window_size"], grid)
        for j in range(cfg["depths"][s]):
            shift = cfg["window_size"] // 2 if (j % 2 == 1 and grid > cfg["window_size"]) else 0
            b = f"visual_encoder.layers.{s}.blocks.{j}"
            rows = n * grid * grid
            sources = window_sources(rows, grid, ws, shift)
            ln = rn.layer_norm(x[sources], w[b + ".norm1.weight"], w[b + ".norm1.bias"])
            attn = window_attention(ln @ w[b + ".attn.qkv.weight"].T, w[b + ".attn.qkv.bias"],
                                    w[b + ".attn.relative_position_bias_table"], grid, dim, heads, ws, shift)
            y = attn @ w[b + ".attn.proj.weight"].T
            for r, src in enumerate(sources):
                x[src] = (x[src] + w[b + ".attn.proj.bias"]) + y[r]
            ln2 = rn.layer_norm(x, w[b + ".norm2.weight"], w[b + ".norm2.bias"])
            x = x + w[b + ".mlp.fc2.bias"]  # layer_norm_then_add
            x = x + gelu(ln2 @ w[b + ".mlp.fc1.weight"].T + w[b + ".mlp.fc1.bias"]) @ w[b + ".mlp.fc2.weight"].T
        if s < stages - 1:
            m = f"visual_encoder.layers.{s}.downsample"
            merged = rn.layer_norm(merge_rows(x, n, grid), w[m + ".norm.weight"], w[m + ".norm.bias"])
            x = merged @ w[m + ".reduction.weight"].T
    cv = cfg["vision_width"]
    l = x.shape[0] // n
    x = rn.layer_norm(x, w["visual_encoder.norm.weight"], w["visual_encoder.norm.bias"]).reshape(n, l, cv)
    rows = np.concatenate([x.mean(1, keepdims=True), x], 1).reshape(n * (l + 1), cv)  # pooled_rows
    embeds = (rows @ w["image_proj.weight"].T + w["image_proj.bias"]).reshape(n, l + 1, -1)

    # The head over the ID columns. RAM: shared layer-0 queries, residual base = the columns' queries.
    # RAM++: both per image (reweighted_queries).
    ids, d, heads = manifest["id_tags"], cfg["hidden_size"], cfg["num_attention_heads"]
    hd, l1, cols = d // heads, l + 1, len(manifest["id_tags"])
    q0w = w["tagging_head.encoder.layer.0.crossattention.self.query.weight"]
    q0b = w["tagging_head.encoder.layer.0.crossattention.self.query.bias"]
    if cfg["descriptions_per_tag"] > 1:
        base = reweighted_queries(cfg, w, embeds, ids)
        query0 = (base @ q0w.T + q0b).reshape(n, cols, d)
    else:
        queries = np.maximum(w["label_embed"] @ w["wordvec_proj.weight"].T + w["wordvec_proj.bias"], 0)
        query0 = np.broadcast_to((queries @ q0w.T + q0b)[ids], (n, cols, d))
        base = np.tile(queries[ids], (n, 1))
    flat = embeds.reshape(n * l1, -1)
    hidden, attention0 = None, None
    for li in range(cfg["num_hidden_layers"]):
        b = f"tagging_head.encoder.layer.{li}"
        keys = (flat @ w[b + ".crossattention.self.key.weight"].T + w[b + ".crossattention.self.key.bias"])
        values = (flat @ w[b + ".crossattention.self.value.weight"].T + w[b + ".crossattention.self.value.bias"])
        keys, values = keys.reshape(n, l1, d), values.reshape(n, l1, d)
        if li == 0:
            q = query0
        else:
            q = (hidden @ w[b + ".crossattention.self.query.weight"].T +
                 w[b + ".crossattention.self.query.bias"]).reshape(n, cols, d)
        scores = np.stack([q[:, :, h * hd:(h + 1) * hd] @ keys[:, :, h * hd:(h + 1) * hd].transpose(0, 2, 1)
                           for h in range(heads)], 1) / math.sqrt(hd)
        probs = rn.softmax(scores)
        if li == 0:
            attention0 = probs
        ctx = np.concatenate([probs[:, h] @ values[:, :, h * hd:(h + 1) * hd] for h in range(heads)], -1)
        residual = base if li == 0 else hidden
        a = rn.layer_norm((residual + ctx.reshape(n * cols, d) @ w[b + ".crossattention.output.dense.weight"].T) +
                          w[b + ".crossattention.output.dense.bias"], w[b + ".crossattention.output.LayerNorm.weight"],
                          w[b + ".crossattention.output.LayerNorm.bias"], 1e-12)
        inter = gelu(a @ w[b + ".intermediate.dense.weight"].T + w[b + ".intermediate.dense.bias"])
        hidden = rn.layer_norm((a + inter @ w[b + ".output.dense.weight"].T) + w[b + ".output.dense.bias"],
                               w[b + ".output.LayerNorm.weight"], w[b + ".output.LayerNorm.bias"], 1e-12)
    probs = 1 / (1 + np.exp(-(hidden @ w["fc.weight"].ravel() + w["fc.bias"][0]))).reshape(n, cols)

    shapes = manifest["shapes"]

    def reference(name):
        return np.fromfile(os.path.join(folder, name + ".f32"), dtype="<f4").reshape(shapes[name])

    errors = (rn.relative_error(embeds, reference("image_embeds")), rn.relative_error(probs, reference("probs_id")),
              rn.relative_error(attention0, reference("attention_id")))
    print(f"forward.cu's sequence, {manifest['name']}: image_embeds {errors[0]:.1e}, ID probabilities "
          f"{errors[1]:.1e}, layer-0 attention {errors[2]:.1e} (rel err against the CPU path)")
    return max(errors)


def main():
    ok = kernels()
    worst = max(forward(os.path.join(HERE, "reference", name))
                for name in ("test_shift", "swin_l_shape", "ram_plus_shift"))
    return 0 if ok and worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
