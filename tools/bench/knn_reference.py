#!/usr/bin/env python3
"""Reference for `tagood-bench reduce`'s KNN: exact k-th nearest neighbour of unit vectors with numpy
(float32 matmul through numpy's BLAS, blocked over the bank, np.partition for the top k), the way
KNN-OOD scripts without faiss do it. Prints one JSON line in GFLOP/s (2 x queries x bank x dim flops).

Usage: tools/bench/knn_reference.py [--queries 5000] [--bank 128000] [--dim 512] [--k 50]
"""
import argparse
import json
import time

import numpy as np


def unit_rows(rng, n, d):
    x = rng.standard_normal((n, d), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--queries", type=int, default=5000)
    p.add_argument("--bank", type=int, default=128000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--block", type=int, default=4096)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    q, b = unit_rows(rng, a.queries, a.dim), unit_rows(rng, a.bank, a.dim)
    start = time.perf_counter()
    best = np.full((a.queries, a.k), -np.inf, dtype=np.float32)
    for b0 in range(0, a.bank, a.block):
        sims = q @ b[b0:b0 + a.block].T
        both = np.concatenate([best, sims], axis=1)
        best = np.partition(both, both.shape[1] - a.k, axis=1)[:, -a.k:]
    kth = best.min(axis=1)
    seconds = time.perf_counter() - start
    flops = 2.0 * a.queries * a.bank * a.dim
    print(json.dumps({"bench": "knn", "impl": "numpy", "unit": "GFLOP/s", "value": flops / seconds / 1e9,
                      "seconds": f"{seconds:.3f}", "input": f"{a.queries} queries x {a.bank} bank x {a.dim}, k={a.k}",
                      "check": float(np.sqrt(np.maximum(0, 2 - 2 * kth)).mean())}))


if __name__ == "__main__":
    main()
