#!/usr/bin/env python3
"""TagOOD's projector and one training step in PyTorch, as the authors define them (issue 13): the reference
for tagood's native trainer, the fixture generator for Tests/LearningTests/Fixtures, and the PyTorch side of
`make bench` (`python3 tools/projector_reference.py bench`).

The class names and the state-dict keys are the authors' (torchvision's ViT `Encoder` layout):
  cls_token, image_proj.*, layers.pos_embedding, layers.layers.encoder_layer_{i}.{ln_1, self_attention, ln_2,
  mlp.0, mlp.3}.*, layers.ln.*, classifier.*, w_layer.*, and the `centers` buffer.

  python3 tools/projector_reference.py fixtures [--out Tests/LearningTests/Fixtures]
  python3 tools/projector_reference.py bench [--threads 2] [--batch 256] [--steps 5] [--tokens FILE.json]
  python3 tools/projector_reference.py bench-score [--threads 2] [--batch 64] [--images 1024]
Needs torch and safetensors (dev machines only; CI needs neither).
"""
import argparse
import collections
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class EncoderBlock(nn.Module):
    """Pre-LN block: x + dropout(MHA(LN(x), mask)), then + dropout(MLP(LN(x)))."""

    def __init__(self, heads, width, mlp, dropout, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.self_attention = nn.MultiheadAttention(width, heads, dropout=0.0, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = nn.LayerNorm(width, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(width, mlp), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp, width), nn.Dropout(dropout))
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x, mask):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, attn_mask=mask, need_weights=False)
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq_length, layers, heads, width, mlp, dropout, eps):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_length, width).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(collections.OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(heads, width, mlp, dropout, eps)) for i in range(layers)))
        self.ln = nn.LayerNorm(width, eps=eps)

    def forward(self, x, mask):
        x = self.dropout(x + self.pos_embedding[:, : x.shape[1]])
        for block in self.layers:
            x = block(x, mask)
        return self.ln(x)


class Classifier(nn.Module):
    """The projector: image_proj, CLS + positions, the encoder, f = CLS output, the classifier."""

    def __init__(self, num_classes=1000, input_dim=512, width=512, heads=8, layers=2, mlp=2048, max_tokens=145,
                 patterns=4, dropout=0.1, eps=1e-6):
        super().__init__()
        self.heads = heads
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.image_proj = nn.Linear(input_dim, width)
        self.layers = Encoder(max_tokens + 1, layers, heads, width, mlp, dropout, eps)
        self.classifier = nn.Linear(width, num_classes)
        self.w_layer = nn.Linear(width, patterns)  # defined by the authors, never trained
        self.register_buffer("centers", torch.randn(num_classes, patterns, width // patterns))

    def forward(self, tokens):
        """tokens [B, L, input_dim], zero-padded; returns (f [B, width], logits [B, C])."""
        b, l, _ = tokens.shape
        padded = tokens.abs().sum(-1) == 0                                   # [B, L]
        keys = torch.cat([torch.zeros(b, 1, dtype=torch.bool), padded], 1)  # CLS is never masked
        mask = torch.zeros(b, l + 1, l + 1)
        mask.masked_fill_(keys[:, None, :], -1000.0)
        mask = mask.repeat_interleave(self.heads, 0)                         # [B·heads, L+1, L+1]
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.image_proj(tokens)], 1)
        f = self.layers(x, mask)[:, 0]
        return f, self.classifier(f)


def training_step(model, optimizer, scheduler, tokens, labels, centers, patterns):
    """The authors' step: clamp(0.1·L_center + CE), AdamW, the schedule, the centers' EMA (last duplicate wins)."""
    f, logits = model(tokens)
    b = f.shape[0]
    ce = F.cross_entropy(logits, labels)
    target = centers[labels]
    lc = ((f.view(b, patterns, -1) - target) ** 2).mean(-1).sum(-1).mean()
    loss = torch.clamp(0.1 * lc + ce, 1e-5, 1e3)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    with torch.no_grad():
        centers[labels] = 0.999 * centers[labels] + 0.001 * f.detach().view(b, patterns, -1)
    return loss, ce, lc, f, logits


def pad(samples, input_dim):
    longest = max(len(s) for s in samples)
    out = torch.zeros(len(samples), longest, input_dim)
    for i, s in enumerate(samples):
        if len(s):
            out[i, : len(s)] = torch.tensor(s)
    return out


def fixtures(out):
    from safetensors.torch import save_file
    torch.manual_seed(42)
    cfg = dict(num_classes=5, input_dim=16, width=32, heads=4, layers=2, mlp=64, max_tokens=7, patterns=4)
    model = Classifier(**cfg, dropout=0.0)
    with torch.no_grad():  # O(1) activations everywhere
        model.cls_token.normal_(std=0.5)
        model.layers.pos_embedding.normal_(std=0.5)
        for n, p in model.named_parameters():
            if n.endswith("bias") or ".ln" in n:
                p.add_(torch.randn_like(p) * 0.1)
    counts = [3, 7, 1, 5, 4, 2]
    labels = torch.tensor([2, 0, 2, 4, 1, 2])  # class 2 three times: the EMA's last-occurrence rule
    samples = [torch.randn(k, cfg["input_dim"]).tolist() for k in counts]
    samples[3][2] = [0.0] * cfg["input_dim"]  # an all-zero token inside a sample: masked like padding
    tokens = pad(samples, cfg["input_dim"])
    initial = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(initial, os.path.join(out, "projector-initial.safetensors"))

    model.eval()
    with torch.no_grad():
        f_eval, logits_eval = model(tokens)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=1e-5)
    centers = model.centers
    before = centers.clone()
    loss, ce, lc, f, logits = training_step(model, optimizer, scheduler, tokens, labels, centers, cfg["patterns"])
    grads = {"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    after = {"after." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    moments = {}
    for n, p in model.named_parameters():
        if p in optimizer.state:
            moments["exp_avg." + n] = optimizer.state[p]["exp_avg"].clone()
            moments["exp_avg_sq." + n] = optimizer.state[p]["exp_avg_sq"].clone()
    # a second step (a new batch order) checks the bias corrections and the scheduled learning rate
    loss2, _, _, _, _ = training_step(model, optimizer, scheduler, tokens.flip(0), labels.flip(0), centers, cfg["patterns"])
    after2 = {"after2." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    io = {
        "tokens": tokens, "counts": torch.tensor(counts, dtype=torch.float32), "labels": labels.float(),
        "eval.features": f_eval, "eval.logits": logits_eval, "train.features": f.detach(), "train.logits": logits.detach(),
        "loss": torch.tensor([loss.item(), ce.item(), lc.item(), loss2.item()]), "centers.before": before,
        **grads, **after, **moments, **after2,
    }
    save_file({k: v.float().contiguous() for k, v in io.items()}, os.path.join(out, "projector-step.safetensors"),
              metadata={"config": json.dumps(cfg), "lr": "0.01", "t_max": "4"})

    # the schedule: T_max 10 over 25 steps (past T_max, where PyTorch's recursion takes its other branch)
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=1e-5)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(25):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    with open(os.path.join(out, "cosine-schedule.json"), "w") as fh:
        json.dump({"base_lr": 0.01, "eta_min": 1e-5, "t_max": 10, "lr": [repr(x) for x in lrs]}, fh, indent=1)
    print(f"wrote fixtures to {out}")


def synthetic_tokens(counts, g, input_dim=512):
    """Zero-padded standard-normal tokens for images with `counts` tokens (the authors' padded batch)."""
    tokens = torch.zeros(len(counts), max(counts), input_dim)
    for i, k in enumerate(counts):
        tokens[i, :k] = torch.randn(k, input_dim, generator=g)
    return tokens


def bench(args):
    """Training samples/s of the authors' model and step on CPU: batches of `--batch` images with token counts
    drawn uniformly from --min-tokens..--max-tokens (or from --tokens, a JSON list of counts), padded to the batch's
    longest, as the authors' loader does. The first step is a warm-up; the result is the median step.
    Prints one `make bench` JSON line."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    counts = json.load(open(args.tokens)) if args.tokens else None
    g = torch.Generator().manual_seed(1)
    model = Classifier(num_classes=args.classes)
    model.train()
    steps_total = args.steps + 1
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100 * steps_total, eta_min=1e-5)
    times = []
    for step in range(steps_total):
        ks = [counts[(step * args.batch + i) % len(counts)] for i in range(args.batch)] if counts else \
            torch.randint(args.min_tokens, args.max_tokens + 1, (args.batch,), generator=g).tolist()
        tokens = synthetic_tokens(ks, g)
        labels = torch.randint(0, args.classes, (args.batch,), generator=g)
        t0 = time.perf_counter()
        training_step(model, optimizer, scheduler, tokens, labels, model.centers, 4)
        times.append(time.perf_counter() - t0)
    times = sorted(times[1:])
    median = times[len(times) // 2]
    print(json.dumps({"bench": "train", "impl": "pytorch", "unit": "samples/s", "value": args.batch / median,
                      "median_step_s": median, "threads": args.threads, "batch": args.batch, "torch": torch.__version__}))


def learned_scores(model, tokens, tag_max, centers_normalised, patterns=4):
    """The tagood-learned score: max over classes of the mean over patterns of cos(f_p, center_c,p), times the
    best selected-tag probability (eval mode)."""
    f, _ = model(tokens)
    f = F.normalize(f.view(f.shape[0], patterns, -1), dim=-1)
    similarity = torch.einsum("bpd,cpd->bc", f, centers_normalised) / patterns
    return similarity.max(1).values * tag_max


def bench_score(args):
    """Images/s of the learned score in PyTorch: the authors' model in eval mode on padded batches of
    `--batch` images, the cosine against every class's centers and the max. Prints one JSON line."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    model = Classifier(num_classes=args.classes)
    model.eval()
    centers = F.normalize(model.centers, dim=-1)
    counts = torch.randint(args.min_tokens, args.max_tokens + 1, (args.images,), generator=g).tolist()
    batches = [(synthetic_tokens(counts[i:i + args.batch], g), torch.rand(len(counts[i:i + args.batch]), generator=g) / 2 + 0.5)
               for i in range(0, args.images, args.batch)]
    times = []
    with torch.no_grad():
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            for tokens, tag_max in batches:
                learned_scores(model, tokens, tag_max, centers)
            times.append(time.perf_counter() - t0)
    times = sorted(times[1:])
    median = times[len(times) // 2]
    print(json.dumps({"bench": "score", "impl": "pytorch", "unit": "images/s", "value": args.images / median,
                      "threads": args.threads, "batch": args.batch, "torch": torch.__version__}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    fx = sub.add_parser("fixtures")
    fx.add_argument("--out", default="Tests/LearningTests/Fixtures")
    b = sub.add_parser("bench")
    sc = sub.add_parser("bench-score")
    for p in (b, sc):
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--classes", type=int, default=1000)
        p.add_argument("--max-tokens", type=int, default=40)
        p.add_argument("--min-tokens", type=int, default=1)
    b.add_argument("--batch", type=int, default=256)
    b.add_argument("--steps", type=int, default=5)
    b.add_argument("--tokens", default=None)
    sc.add_argument("--batch", type=int, default=64)
    sc.add_argument("--images", type=int, default=1024)
    sc.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.cmd == "fixtures":
        os.makedirs(args.out, exist_ok=True)
        fixtures(args.out)
    elif args.cmd == "bench":
        bench(args)
    else:
        bench_score(args)


if __name__ == "__main__":
    sys.exit(main())
