#!/usr/bin/env python3
"""An independent float64 NumPy implementation of RAM's forward pass (Swin encoder, image_proj, tagging head).

Written from the Swin Transformer paper (Liu et al., ICCV 2021) and the semantics of RAM's PyTorch source
(recognize-anything: ram/models/swin_transformer.py, bert.py, ram.py), with the same tensor layouts as those
modules (reshape/transpose window partition, np.roll for the cyclic shift, the slice-based attention mask),
not from tagood's Swift code. Used by tools/make_model_fixtures.py to produce the expected outputs of the
parity tests, and importable as a library:

    cfg = load_config("config.json")            # or BUILTINS["swin_l_384"]
    sd = load_safetensors("model.safetensors")  # name -> float64 array
    out = forward(sd, cfg, images)              # images [N, 3, H, W]
    out["image_embeds"], out["probs"], out["attn0"]  # attn0: [N, heads, tags, L+1]
"""
import json
import math
import struct

import numpy as np
from scipy.special import erf

BUILTINS = {
    "swin_l_384": dict(image_res=384, embed_dim=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48], window_size=12),
    "swin_b_384": dict(image_res=384, embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32], window_size=12),
}
HEAD_DEFAULTS = dict(hidden_size=768, num_attention_heads=4, num_hidden_layers=2, intermediate_size=3072,
                     encoder_width=512, num_tags=4585, patch_size=4)


def complete(cfg):
    out = dict(HEAD_DEFAULTS)
    out.update(cfg)
    out["vision_width"] = out["embed_dim"] * 2 ** (len(out["depths"]) - 1)
    return out


def load_config(path):
    with open(path) as f:
        return complete(json.load(f))


_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    """A tiny safetensors reader (F32/F16/BF16/F64) returning float64 arrays."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[b:end]
        if e["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(e["shape"]).astype(np.float64)
    return out


# ---- building blocks -----------------------------------------------------------------------------

def linear(x, sd, prefix, bias=True):
    y = x @ sd[prefix + ".weight"].T
    if bias:
        y = y + sd[prefix + ".bias"]
    return y


def layer_norm(x, sd, prefix, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * sd[prefix + ".weight"] + sd[prefix + ".bias"]


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def window_partition(x, ws):
    """[B, H, W, C] -> [B*nW, ws, ws, C] (as in Swin's window_partition)."""
    B, H, W, C = x.shape
    x = x.reshape(B, H // ws, ws, W // ws, ws, C)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, C)


def window_reverse(windows, ws, H, W):
    B = windows.shape[0] // ((H // ws) * (W // ws))
    x = windows.reshape(B, H // ws, W // ws, ws, ws, -1)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)


def relative_position_index(ws):
    coords = np.stack(np.meshgrid(np.arange(ws), np.arange(ws), indexing="ij"))  # 2, ws, ws
    flat = coords.reshape(2, -1)
    rel = (flat[:, :, None] - flat[:, None, :]).transpose(1, 2, 0).copy()
    rel[:, :, 0] += ws - 1
    rel[:, :, 1] += ws - 1
    rel[:, :, 0] *= 2 * ws - 1
    return rel.sum(-1)


def shifted_window_mask(H, W, ws, shift):
    img = np.zeros((1, H, W, 1))
    cnt = 0
    for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
        for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
            img[:, hs, wsl, :] = cnt
            cnt += 1
    mw = window_partition(img, ws).reshape(-1, ws * ws)
    m = mw[:, None, :] - mw[:, :, None]
    return np.where(m != 0, -100.0, 0.0)


def window_attention(x, sd, prefix, heads, ws, mask):
    Bw, N, C = x.shape
    hd = C // heads
    qkv = linear(x, sd, prefix + ".qkv").reshape(Bw, N, 3, heads, hd).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0] * hd ** -0.5, qkv[1], qkv[2]
    attn = q @ k.transpose(0, 1, 3, 2)
    table = sd[prefix + ".relative_position_bias_table"]
    bias = table[relative_position_index(ws).reshape(-1)].reshape(N, N, -1).transpose(2, 0, 1)
    attn = attn + bias[None]
    if mask is not None:
        nW = mask.shape[0]
        attn = attn.reshape(Bw // nW, nW, heads, N, N) + mask[None, :, None]
        attn = attn.reshape(-1, heads, N, N)
    attn = softmax(attn)
    out = (attn @ v).transpose(0, 2, 1, 3).reshape(Bw, N, C)
    return linear(out, sd, prefix + ".proj")


def swin_block(x, sd, prefix, res, heads, ws, shift):
    B, L, C = x.shape
    shortcut = x
    x = layer_norm(x, sd, prefix + ".norm1", 1e-5).reshape(B, res, res, C)
    if shift > 0:
        x = np.roll(x, shift=(-shift, -shift), axis=(1, 2))
    windows = window_partition(x, ws).reshape(-1, ws * ws, C)
    mask = shifted_window_mask(res, res, ws, shift) if shift > 0 else None
    attn = window_attention(windows, sd, prefix + ".attn", heads, ws, mask)
    x = window_reverse(attn.reshape(-1, ws, ws, C), ws, res, res)
    if shift > 0:
        x = np.roll(x, shift=(shift, shift), axis=(1, 2))
    x = shortcut + x.reshape(B, L, C)
    h = layer_norm(x, sd, prefix + ".norm2", 1e-5)
    h = linear(gelu(linear(h, sd, prefix + ".mlp.fc1")), sd, prefix + ".mlp.fc2")
    return x + h


def patch_merging(x, sd, prefix, res):
    B, L, C = x.shape
    x = x.reshape(B, res, res, C)
    x0 = x[:, 0::2, 0::2]
    x1 = x[:, 1::2, 0::2]
    x2 = x[:, 0::2, 1::2]
    x3 = x[:, 1::2, 1::2]
    x = np.concatenate([x0, x1, x2, x3], -1).reshape(B, -1, 4 * C)
    x = layer_norm(x, sd, prefix + ".norm", 1e-5)
    return linear(x, sd, prefix + ".reduction", bias=False)


def swin_encoder(sd, cfg, images):
    p = cfg["patch_size"]
    w = sd["visual_encoder.patch_embed.proj.weight"]  # [E, 3, p, p]
    B, Cin, H, W = images.shape
    # The stride-p convolution, written as a sum over kernel positions.
    patches = images.reshape(B, Cin, H // p, p, W // p, p)
    x = np.einsum("bchiwj,ecij->bhwe", patches, w) + sd["visual_encoder.patch_embed.proj.bias"]
    x = x.reshape(B, -1, w.shape[0])
    x = layer_norm(x, sd, "visual_encoder.patch_embed.norm", 1e-5)
    res = H // p
    ws_cfg = cfg["window_size"]
    for i, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        ws, shift_base = ws_cfg, ws_cfg // 2
        if res <= ws_cfg:
            ws, shift_base = res, 0
        for j in range(depth):
            x = swin_block(x, sd, f"visual_encoder.layers.{i}.blocks.{j}", res, heads, ws, 0 if j % 2 == 0 else shift_base)
        if i < len(cfg["depths"]) - 1:
            x = patch_merging(x, sd, f"visual_encoder.layers.{i}.downsample", res)
            res //= 2
    x = layer_norm(x, sd, "visual_encoder.norm", 1e-5)
    return np.concatenate([x.mean(1, keepdims=True), x], 1)


def cross_attention_probs(hidden, image_embeds, sd, prefix, heads):
    """BertSelfAttention as cross-attention: Q from the tags, K/V from the image; no mask."""
    T, D = hidden.shape
    hd = D // heads
    q = linear(hidden, sd, prefix + ".query").reshape(T, heads, hd).transpose(1, 0, 2)
    k = linear(image_embeds, sd, prefix + ".key").reshape(-1, heads, hd).transpose(1, 0, 2)
    v = linear(image_embeds, sd, prefix + ".value").reshape(-1, heads, hd).transpose(1, 0, 2)
    probs = softmax(q @ k.transpose(0, 2, 1) / math.sqrt(hd))  # heads, T, L1
    ctx = (probs @ v).transpose(1, 0, 2).reshape(T, D)
    return ctx, probs


def tagging_head(sd, cfg, image_embeds):
    """One image: image_embeds [L1, E] -> (probs [T], layer-0 attention [heads, T, L1])."""
    x = np.maximum(linear(sd["label_embed"], sd, "wordvec_proj"), 0.0)
    attn0 = None
    for l in range(cfg["num_hidden_layers"]):
        pre = f"tagging_head.encoder.layer.{l}"
        ctx, probs = cross_attention_probs(x, image_embeds, sd, pre + ".crossattention.self", cfg["num_attention_heads"])
        if l == 0:
            attn0 = probs
        a = layer_norm(linear(ctx, sd, pre + ".crossattention.output.dense") + x, sd, pre + ".crossattention.output.LayerNorm", 1e-12)
        inter = gelu(linear(a, sd, pre + ".intermediate.dense"))
        x = layer_norm(linear(inter, sd, pre + ".output.dense") + a, sd, pre + ".output.LayerNorm", 1e-12)
    logits = linear(x, sd, "fc")[:, 0]
    return 1.0 / (1.0 + np.exp(-logits)), attn0


def forward(sd, cfg, images):
    cfg = complete(cfg)
    feats = swin_encoder(sd, cfg, np.asarray(images, dtype=np.float64))
    image_embeds = linear(feats, sd, "image_proj")
    probs, attn0 = zip(*[tagging_head(sd, cfg, e) for e in image_embeds])
    return {"image_embeds": image_embeds, "probs": np.stack(probs), "attn0": np.stack(attn0)}


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights")
    ap.add_argument("config")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    cfg = load_config(a.config) if a.config.endswith(".json") else complete(BUILTINS[a.config])
    sd = load_safetensors(a.weights)
    img = np.random.default_rng(a.seed).standard_normal((1, 3, cfg["image_res"], cfg["image_res"]))
    out = forward(sd, cfg, img)
    print("image_embeds", out["image_embeds"].shape, "probs", out["probs"].shape, "max prob", out["probs"].max())
