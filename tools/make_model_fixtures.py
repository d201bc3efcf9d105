#!/usr/bin/env python3
"""Writes the model fixtures of Tests/ModelTests/Fixtures (run from the repository root):

  <cfg>.json                  the config, in RAM's JSON format (+ tagood's optional head keys; "ckpt" is ignored)
  <cfg>.safetensors           random weights (float32) under RAM's state-dict names
  <cfg>-io.safetensors        inputs and expected outputs from tools/ram_reference.py (float64, stored f32):
                                images [N,3,H,W] (values exactly representable in f16, stored F16),
                                image_embeds [N,L+1,E], probs [N,T], attn_tags [k] (tag indices, as F32),
                                attn0 [N,heads,k,L+1] (layer-0 cross-attention of those tags)
  test_tiny-f16.safetensors, test_tiny-bf16.safetensors   the tiny weights stored as f16 / bf16
  test_tiny-plain.pth         torch.save(state_dict) with float32 tensors + relative_position_index/attn_mask buffers
  test_tiny-wrapped-f16.pth   torch.save({"model": state_dict in float16, "epoch": 3, ...}) with extra keys and
                              a non-contiguous tensor (fc.weight is a strided view into a larger storage)

The .pth files are written by PyTorch itself (torch.save) when torch is installed; without torch they are skipped.
Weights are random with O(1) activations (std 1/sqrt(fan_in), LayerNorm gains around 1, nonzero biases, unit
bias tables) so that every part of the network, masks included, moves the outputs.
Usage: python3 tools/make_model_fixtures.py [--out Tests/ModelTests/Fixtures]
"""
import argparse
import collections
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ram_reference as ref  # noqa: E402

CONFIGS = {
    # 4 stages: 24x24 grid of 6x6 windows (shift 3, masks), 12x12 (shift 3), 6x6 (window = grid, shift 0),
    # 3x3 (window shrinks to 3, shift 0).
    "test_shift": dict(image_res=96, embed_dim=8, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], window_size=6,
                       hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=64,
                       encoder_width=24, num_tags=24),
    # 2 stages: 16x16 grid of 4x4 windows, then 8x8 with 3 blocks (shifts on blocks 1).
    "test_small": dict(image_res=64, embed_dim=16, depths=[2, 3], num_heads=[2, 4], window_size=4,
                       hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=48,
                       encoder_width=32, num_tags=16),
    # 2 stages: 8x8 grid of 4x4 windows (shift 2), then one 4x4 window.
    "test_tiny": dict(image_res=32, embed_dim=8, depths=[2, 2], num_heads=[2, 2], window_size=4,
                      hidden_size=16, num_attention_heads=4, num_hidden_layers=2, intermediate_size=32,
                      encoder_width=12, num_tags=10),
}
BATCH = {"test_shift": 2, "test_small": 2, "test_tiny": 1}
ATTN_TAGS = {"test_shift": [0, 5, 23], "test_small": [3, 15], "test_tiny": [1, 9]}


def parameters(cfg):
    """(name, shape, kind) for RAM's parameters; kind in weight/bias/ln_w/ln_b/table/embed."""
    cfg = ref.complete(cfg)
    out = []

    def lin(prefix, o, i, bias=True):
        out.append((prefix + ".weight", (o, i), "weight"))
        if bias:
            out.append((prefix + ".bias", (o,), "bias"))

    def ln(prefix, w):
        out.append((prefix + ".weight", (w,), "ln_w"))
        out.append((prefix + ".bias", (w,), "ln_b"))

    e, p = cfg["embed_dim"], cfg["patch_size"]
    out.append(("visual_encoder.patch_embed.proj.weight", (e, 3, p, p), "weight"))
    out.append(("visual_encoder.patch_embed.proj.bias", (e,), "bias"))
    ln("visual_encoder.patch_embed.norm", e)
    res = cfg["image_res"] // p
    for i, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        c = e * 2 ** i
        ws = min(cfg["window_size"], res)
        for j in range(depth):
            b = f"visual_encoder.layers.{i}.blocks.{j}"
            ln(b + ".norm1", c)
            out.append((b + ".attn.relative_position_bias_table", ((2 * ws - 1) ** 2, heads), "table"))
            lin(b + ".attn.qkv", 3 * c, c)
            lin(b + ".attn.proj", c, c)
            ln(b + ".norm2", c)
            lin(b + ".mlp.fc1", 4 * c, c)
            lin(b + ".mlp.fc2", c, 4 * c)
        if i < len(cfg["depths"]) - 1:
            ln(f"visual_encoder.layers.{i}.downsample.norm", 4 * c)
            lin(f"visual_encoder.layers.{i}.downsample.reduction", 2 * c, 4 * c, bias=False)
            res //= 2
    ln("visual_encoder.norm", cfg["vision_width"])
    d, ew = cfg["hidden_size"], cfg["encoder_width"]
    lin("image_proj", ew, cfg["vision_width"])
    out.append(("label_embed", (cfg["num_tags"], ew), "embed"))
    lin("wordvec_proj", d, ew)
    for l in range(cfg["num_hidden_layers"]):
        b = f"tagging_head.encoder.layer.{l}"
        lin(b + ".crossattention.self.query", d, d)
        lin(b + ".crossattention.self.key", d, ew)
        lin(b + ".crossattention.self.value", d, ew)
        lin(b + ".crossattention.output.dense", d, d)
        ln(b + ".crossattention.output.LayerNorm", d)
        lin(b + ".intermediate.dense", cfg["intermediate_size"], d)
        lin(b + ".output.dense", d, cfg["intermediate_size"])
        ln(b + ".output.LayerNorm", d)
    lin("fc", 1, d)
    return out


def random_weights(cfg, seed):
    rng = np.random.default_rng(seed)
    sd = collections.OrderedDict()
    for name, shape, kind in parameters(cfg):
        if kind == "weight":
            fan_in = int(np.prod(shape[1:]))
            v = rng.standard_normal(shape) / np.sqrt(fan_in)
        elif kind == "bias":
            v = 0.1 * rng.standard_normal(shape)
        elif kind == "ln_w":
            v = 1.0 + 0.2 * rng.standard_normal(shape)
        elif kind == "ln_b":
            v = 0.1 * rng.standard_normal(shape)
        elif kind == "table":
            v = rng.standard_normal(shape)
        else:  # label_embed
            v = rng.standard_normal(shape)
        sd[name] = v.astype(np.float32)
    return sd


def bf16_bits(a):
    """float32 -> bfloat16 bit patterns, round to nearest even."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write_safetensors(path, tensors, metadata=None):
    """tensors: name -> (array, dtype) with dtype in F32/F16/BF16."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (arr, dt) in tensors.items():
        if dt == "F32":
            raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        elif dt == "F16":
            raw = np.ascontiguousarray(arr, dtype="<f2").tobytes()
        elif dt == "BF16":
            raw = bf16_bits(arr).astype("<u2").tobytes()
        else:
            raise ValueError(dt)
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def write_pth(out_dir, name, cfg, sd):
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the .pth fixtures", file=sys.stderr)
        return
    cfgc = ref.complete(cfg)
    plain = collections.OrderedDict()
    res = cfgc["image_res"] // cfgc["patch_size"]
    buffers = {}
    for i, depth in enumerate(cfgc["depths"]):
        ws = min(cfgc["window_size"], res)
        for j in range(depth):
            b = f"visual_encoder.layers.{i}.blocks.{j}"
            buffers[b + ".attn.relative_position_index"] = torch.from_numpy(ref.relative_position_index(ws).astype(np.int64))
            if j % 2 == 1 and res > cfgc["window_size"]:
                m = ref.shifted_window_mask(res, res, ws, ws // 2)
                buffers[b + ".attn_mask"] = torch.from_numpy(m.astype(np.float32))
        res //= 2
    for k, v in sd.items():
        plain[k] = torch.from_numpy(v.copy())
        if k.endswith("relative_position_bias_table"):
            idx = k.replace("relative_position_bias_table", "relative_position_index")
            plain[idx] = buffers[idx]
            mask = k.replace("attn.relative_position_bias_table", "attn_mask")
            if mask in buffers:
                plain[mask] = buffers[mask]
    torch.save(plain, os.path.join(out_dir, f"{name}-plain.pth"))

    half = collections.OrderedDict()
    for k, v in sd.items():
        half[k] = torch.from_numpy(v.copy()).half()
    # fc.weight as a non-contiguous view with a storage offset: column 1 of a [D, 3] tensor, transposed.
    fc = torch.from_numpy(sd["fc.weight"].copy()).half()  # [1, D]
    big = torch.zeros(fc.shape[1], 3, dtype=torch.float16)
    big[:, 1] = fc[0]
    half["fc.weight"] = big[:, 1:2].t()
    assert not half["fc.weight"].is_contiguous() and half["fc.weight"].storage_offset() == 1
    half["text_decoder.bert.embeddings.word_embeddings.weight"] = torch.zeros(4, 2)
    half["tagging_head.embeddings.position_ids"] = torch.arange(5)
    torch.save({"model": half, "epoch": 3, "config": {"note": "fixture", "lr": 1e-4}},
               os.path.join(out_dir, f"{name}-wrapped-f16.pth"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/ModelTests/Fixtures")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for seed, (name, cfg) in enumerate(CONFIGS.items()):
        full = dict(cfg, name=name, vision_width=ref.complete(cfg)["vision_width"], ckpt="ignored/by/tagood.pth")
        with open(os.path.join(a.out, f"{name}.json"), "w") as f:
            json.dump(full, f, indent=1)
            f.write("\n")
        sd = random_weights(cfg, 1000 + seed)
        write_safetensors(os.path.join(a.out, f"{name}.safetensors"), {k: (v, "F32") for k, v in sd.items()},
                          metadata={"format": "pt", "source": "tools/make_model_fixtures.py"})
        rng = np.random.default_rng(2000 + seed)
        n, r = BATCH[name], cfg["image_res"]
        images = rng.standard_normal((n, 3, r, r)).astype(np.float16)
        sd64 = {k: v.astype(np.float64) for k, v in sd.items()}
        out = ref.forward(sd64, cfg, images.astype(np.float64))
        tags = ATTN_TAGS[name]
        attn = out["attn0"][:, :, tags, :]
        write_safetensors(os.path.join(a.out, f"{name}-io.safetensors"), {
            "images": (images, "F16"),
            "image_embeds": (out["image_embeds"], "F32"),
            "probs": (out["probs"], "F32"),
            "attn_tags": (np.array(tags, dtype=np.float32), "F32"),
            "attn0": (attn, "F32"),
        })
        print(f"{name}: {sum(v.size for v in sd.values())} parameters, image_embeds {out['image_embeds'].shape}, "
              f"probs in [{out['probs'].min():.3f}, {out['probs'].max():.3f}]")
        if name == "test_tiny":
            write_safetensors(os.path.join(a.out, f"{name}-f16.safetensors"), {k: (v, "F16") for k, v in sd.items()})
            write_safetensors(os.path.join(a.out, f"{name}-bf16.safetensors"), {k: (v, "BF16") for k, v in sd.items()})
            write_pth(a.out, name, cfg, sd)


if __name__ == "__main__":
    main()
