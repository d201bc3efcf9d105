#!/usr/bin/env python3
"""Reference for `tagood-bench shard-write`: h5py writing the same shard arrays.

Same datasets, shapes, dtypes and chunk shapes as tagood's ShardWriter (chunk rule: rows =
clamp(512 KiB // row_bytes, 1, 16384), 16 bytes a row for strings; extendible, uncompressed), filled with
seeded random data. Each dataset is written in one call (h5py's best case; tagood appends image by image).
Timed from creating the file to closing, fsync'ing and renaming it into place, like tagood's commit.
Prints one JSON line: {"bench": "shard-write", "impl": "reference", "unit": "MB/s", "value": ...}
(MB/s of token data).

Usage: tools/bench/shard_write_reference.py [--images 2000] [--tokens-per-image 40] [--dtype f16] [--dir DIR]
"""
import argparse
import json
import os
import shutil
import tempfile
import time

import h5py
import numpy as np

CHUNK_BYTES = 512 << 10
MAX_CHUNK_ROWS = 16384


def chunk_rows(row_bytes):
    return max(1, min(CHUNK_BYTES // max(row_bytes, 1), MAX_CHUNK_ROWS))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--tokens-per-image", type=int, default=40)
    p.add_argument("--dtype", default="f16", choices=["f16", "f32", "float16", "float32"])
    p.add_argument("--embed-dim", type=int, default=512)
    p.add_argument("--image-tokens", type=int, default=145)
    p.add_argument("--tags-per-image", type=int, default=8)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dir")
    args = p.parse_args()

    n, k, d, a, g = args.images, args.tokens_per_image, args.embed_dim, args.image_tokens, args.tags_per_image
    token_dtype = np.float16 if args.dtype in ("f16", "float16") else np.float32
    rng = np.random.default_rng(args.seed)
    t = n * k
    arrays = {
        "paths": np.array([f"synthetic/{i // 1000}/image-{i}.jpg" for i in range(n)], dtype=object),
        "labels": (np.arange(n) % 1000).astype(np.int32),
        "token_offsets": (np.arange(n + 1, dtype=np.int64) * k),
        "tokens": rng.standard_normal((t, d), dtype=np.float32).astype(token_dtype),
        "token_index": (np.arange(t) % k % a).astype(np.int16),
        "global_embed": rng.standard_normal((n, d), dtype=np.float32).astype(token_dtype),
        "tag_ids": rng.integers(0, 4585, n * g).astype(np.int32),
        "tag_offsets": (np.arange(n + 1, dtype=np.int64) * g),
        "tag_probs": (0.5 + rng.random(n * g, dtype=np.float32) / 2),
        "attention": rng.random((n, a), dtype=np.float32).astype(np.float16),
        "status": np.zeros(n, dtype=np.uint8),
        "errors": np.array([""] * n, dtype=object),
    }
    string = h5py.string_dtype("utf-8")

    scratch = None if args.dir else tempfile.mkdtemp(prefix="tagood-bench-shard-ref-")
    folder = args.dir or scratch
    final = os.path.join(folder, "bench-shard-ref.h5")
    temporary = final + f".tmp-{os.getpid()}-1"
    try:
        start = time.perf_counter()
        with h5py.File(temporary, "w") as f:
            f.attrs["schema_version"] = 1
            f.attrs["complete"] = 1
            for name, data in arrays.items():
                is_string = data.dtype == object
                row_bytes = 16 if is_string else data.dtype.itemsize * (data.shape[1] if data.ndim == 2 else 1)
                rows = chunk_rows(row_bytes)
                chunks = (rows,) if data.ndim == 1 else (rows, data.shape[1])
                maxshape = (None,) if data.ndim == 1 else (None, data.shape[1])
                f.create_dataset(name, data=data, dtype=string if is_string else data.dtype,
                                 chunks=chunks, maxshape=maxshape)
        fd = os.open(temporary, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        os.rename(temporary, final)
        dfd = os.open(folder, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        seconds = time.perf_counter() - start
        token_mb = arrays["tokens"].nbytes / 1e6
        print(json.dumps({"bench": "shard-write", "impl": "reference", "unit": "MB/s", "value": token_mb / seconds,
                          "images": n, "tokens": t, "token_mb": round(token_mb, 1),
                          "file_mb": round(os.path.getsize(final) / 1e6, 1), "seconds": round(seconds, 3)}))
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
