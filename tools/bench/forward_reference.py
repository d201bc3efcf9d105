#!/usr/bin/env python3
"""The PyTorch side of `tagood-bench forward`: RAM's forward pass (Swin encoder, image_proj, tagging head)
in float32 on the CPU with random weights, timed like tagood's, printing one JSON line.

It is a straightforward torch implementation with the structure of tools/ram_reference.py (the NumPy
reference) on torch tensors: torch.nn.functional linear / layer_norm / gelu / softmax, torch.roll, the
reshape-based window partition. No timm, no RAM package needed. Thread count: --threads, default
OPENBLAS_NUM_THREADS/OMP_NUM_THREADS or all cores, applied with torch.set_num_threads, so both sides use the
same number. Without torch it falls back to tools/ram_reference.py (float64 NumPy, much slower; impl=numpy).

Usage: tools/bench/forward_reference.py --config swin_l_384 --batch 1 --iterations 2 [--threads N]
Output: {"bench": "forward-swin_l_384", "impl": "pytorch", "unit": "images/s", "value": X, "peak_rss_mb": Y, ...}
"""
import argparse
import json
import math
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ram_reference as ref  # noqa: E402
import make_model_fixtures as fixtures  # noqa: E402  (the parameter list)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


DESCRIPTIONS = 51  # RAM++'s label_embed rows per tag (ram_plus_swin_large_14m.pth)


def random_state_dict(torch, cfg, ram_plus=False):
    """RAM's parameters as torch tensors, seeded (0): truncated-normal weights (std 0.02), unit LayerNorm
    scales, zero biases. The ONNX Runtime reference exports these very weights. With `ram_plus`, RAM++'s:
    DESCRIPTIONS rows of label_embed per tag and reweight_scale = log(1 / 0.07)."""
    torch.manual_seed(0)
    sd = {}
    for n, shape, kind in fixtures.parameters(cfg):
        if ram_plus and n == "label_embed":
            shape = (shape[0] * DESCRIPTIONS, shape[1])
        t = torch.empty(shape)
        if kind in ("weight", "table", "embed"):
            torch.nn.init.trunc_normal_(t, std=0.02)
        elif kind == "ln_w":
            t.fill_(1.0)
        else:
            t.zero_()
        sd[n] = t
    if ram_plus:
        sd["reweight_scale"] = torch.tensor(math.log(1 / 0.07))
    return sd


def torch_forward_fn(torch):
    F = torch.nn.functional

    def lin(x, sd, p, bias=True):
        return F.linear(x, sd[p + ".weight"], sd[p + ".bias"] if bias else None)

    def ln(x, sd, p, eps):
        return F.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)

    def partition(x, ws):
        B, H, W, C = x.shape
        return x.view(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, C)

    def reverse(w, ws, H, W):
        B = w.shape[0] // ((H // ws) * (W // ws))
        return w.view(B, H // ws, W // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, -1)

    cache = {}

    def block_consts(res, ws, shift, table):
        key = (res, ws, shift, id(table))
        if key not in cache:
            idx = torch.from_numpy(ref.relative_position_index(ws).reshape(-1))
            n = ws * ws
            bias = table[idx].view(n, n, -1).permute(2, 0, 1).contiguous()
            mask = torch.from_numpy(ref.shifted_window_mask(res, res, ws, shift)).float() if shift else None
            cache[key] = (bias, mask)
        return cache[key]

    def block(x, sd, p, res, heads, ws, shift):
        B, L, C = x.shape
        hd = C // heads
        h = ln(x, sd, p + ".norm1", 1e-5).view(B, res, res, C)
        if shift:
            h = torch.roll(h, (-shift, -shift), (1, 2))
        w = partition(h, ws)
        Bw, N, _ = w.shape
        qkv = lin(w, sd, p + ".attn.qkv").view(Bw, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * hd ** -0.5, qkv[1], qkv[2]
        bias, mask = block_consts(res, ws, shift, sd[p + ".attn.relative_position_bias_table"])
        a = q @ k.transpose(-2, -1) + bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            a = (a.view(Bw // nW, nW, heads, N, N) + mask.unsqueeze(1).unsqueeze(0)).view(-1, heads, N, N)
        a = (a.softmax(-1) @ v).transpose(1, 2).reshape(Bw, N, C)
        h = reverse(lin(a, sd, p + ".attn.proj"), ws, res, res)
        if shift:
            h = torch.roll(h, (shift, shift), (1, 2))
        x = x + h.reshape(B, L, C)
        return x + lin(F.gelu(lin(ln(x, sd, p + ".norm2", 1e-5), sd, p + ".mlp.fc1")), sd, p + ".mlp.fc2")

    def forward(sd, cfg, images):
        p = cfg["patch_size"]
        x = F.conv2d(images, sd["visual_encoder.patch_embed.proj.weight"], sd["visual_encoder.patch_embed.proj.bias"], stride=p)
        B, C, R, _ = x.shape
        x = ln(x.flatten(2).transpose(1, 2), sd, "visual_encoder.patch_embed.norm", 1e-5)
        res = R
        for i, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
            ws, sh = (cfg["window_size"], cfg["window_size"] // 2) if res > cfg["window_size"] else (res, 0)
            for j in range(depth):
                x = block(x, sd, f"visual_encoder.layers.{i}.blocks.{j}", res, heads, ws, sh if j % 2 else 0)
            if i < len(cfg["depths"]) - 1:
                Bx, L, Cx = x.shape
                g = x.view(Bx, res, res, Cx)
                g = torch.cat([g[:, 0::2, 0::2], g[:, 1::2, 0::2], g[:, 0::2, 1::2], g[:, 1::2, 1::2]], -1).view(Bx, -1, 4 * Cx)
                x = lin(ln(g, sd, f"visual_encoder.layers.{i}.downsample.norm", 1e-5), sd, f"visual_encoder.layers.{i}.downsample.reduction", bias=False)
                res //= 2
        x = ln(x, sd, "visual_encoder.norm", 1e-5)
        emb = lin(torch.cat([x.mean(1, keepdim=True), x], 1), sd, "image_proj")
        # Tagging head, batched over images like RAM (label_embed repeated per image).
        heads, D = cfg["num_attention_heads"], cfg["hidden_size"]
        hd = D // heads
        if "reweight_scale" in sd:
            # RAM++ (ram_plus.py's generate_tag): each tag's descriptions mixed per image.
            label_embed = sd["label_embed"]
            num_class = cfg["num_tags"]
            des_per_class = label_embed.shape[0] // num_class
            cls = emb[:, 0, :] / emb[:, 0, :].norm(dim=-1, keepdim=True)
            logits = (sd["reweight_scale"].exp() * cls @ label_embed.t()).view(B, -1, des_per_class)
            weights = F.softmax(logits, dim=2)
            mixed = torch.empty(B, num_class, label_embed.shape[1])
            for i in range(B):
                mixed[i] = (weights[i].unsqueeze(-1) * label_embed.view(-1, des_per_class, label_embed.shape[1])).sum(1)
            h = F.relu(lin(mixed, sd, "wordvec_proj"))
        else:
            queries = F.relu(lin(sd["label_embed"], sd, "wordvec_proj"))
            h = queries.unsqueeze(0).expand(B, -1, -1)
        T = h.shape[1]
        for l in range(cfg["num_hidden_layers"]):
            pre = f"tagging_head.encoder.layer.{l}"
            q = lin(h, sd, pre + ".crossattention.self.query").view(B, T, heads, hd).transpose(1, 2)
            k = lin(emb, sd, pre + ".crossattention.self.key").view(B, -1, heads, hd).transpose(1, 2)
            v = lin(emb, sd, pre + ".crossattention.self.value").view(B, -1, heads, hd).transpose(1, 2)
            probs = (q @ k.transpose(-2, -1) / math.sqrt(hd)).softmax(-1)
            ctx = (probs @ v).transpose(1, 2).reshape(B, T, D)
            a = ln(lin(ctx, sd, pre + ".crossattention.output.dense") + h, sd, pre + ".crossattention.output.LayerNorm", 1e-12)
            h = ln(lin(F.gelu(lin(a, sd, pre + ".intermediate.dense")), sd, pre + ".output.dense") + a, sd, pre + ".output.LayerNorm", 1e-12)
        return emb, torch.sigmoid(lin(h, sd, "fc")[..., 0])

    return forward


def argument_parser(description):
    """The options every forward-pass reference takes (the same as `tagood-bench forward`'s)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="swin_l_384")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    return ap


def thread_count(requested):
    """`--threads`, else what the BLAS environment asks for, else every core."""
    return requested or int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or os.cpu_count())


def main():
    ap = argument_parser(__doc__)
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--ram-plus", action="store_true", help="RAM++: 51 descriptions per tag, mixed per image")
    a = ap.parse_args()
    cfg = ref.load_config(a.config) if a.config.endswith(".json") else ref.complete(ref.BUILTINS.get(a.config) or fixtures.CONFIGS[a.config])
    name = os.path.basename(a.config)[:-5] if a.config.endswith(".json") else a.config
    threads = thread_count(a.threads)
    import numpy as np
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    params = fixtures.parameters(cfg)
    r = cfg["image_res"]
    if torch is not None:
        torch.set_num_threads(threads)
        sd = random_state_dict(torch, cfg, ram_plus=a.ram_plus)
        fwd = torch_forward_fn(torch)
        images = torch.randn(a.batch, 3, r, r)
        impl = "pytorch"

        def run():
            with torch.inference_mode():
                return fwd(sd, cfg, images)
    else:
        sd = {n: (0.02 * rng.standard_normal(s)).astype(np.float32) for n, s, _ in params}
        images = rng.standard_normal((a.batch, 3, r, r)).astype(np.float32)
        impl = "numpy"

        def run():
            return ref.forward(sd, cfg, images)
    if not a.no_warmup:
        run()
    times = []
    for _ in range(a.iterations):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    if a.ram_plus:
        name = "ram_plus_" + name
    print(json.dumps({"bench": f"forward-{name}", "impl": impl, "unit": "images/s", "value": a.batch / median,
                      "peak_rss_mb": peak_rss_mb(), "batch": a.batch, "threads": threads, "seconds_per_batch": median}))


if __name__ == "__main__":
    main()
