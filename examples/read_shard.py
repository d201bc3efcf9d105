#!/usr/bin/env python3
"""Read a tagood shard with h5py: a starting point for training in PyTorch.

A shard is one HDF5 file (schema: docs/DESIGN.md, "The shard schema"). Image i's tokens are the rows
``tokens[token_offsets[i]:token_offsets[i+1]]`` and its tags ``tag_ids/tag_probs[tag_offsets[i]:tag_offsets[i+1]]``.
``status[i] != 0`` marks an image that failed (``errors[i]`` says why); it has no tokens and no tags.

Usage:
    python3 examples/read_shard.py SHARD.h5 [--images N] [--file-checksum HEX]

It checks the seal in the file's first 512 bytes before h5py opens it, then the ``content_checksum``
attribute (both need the ``xxhash`` package; skipped with a note otherwise), prints a summary and the
first N images. In your own code, use ``iter_images()``:

    with h5py.File(path, "r") as f:
        for image in iter_images(f):
            x = torch.from_numpy(image["tokens"].astype("float32"))   # [n_tokens, embed_dim]

The content checksum (the same definition as Sources/Shards/ContentChecksum.swift):

    for each dataset d in SCHEMA_ORDER:
        h_d = xxh64(data(d))               # seed 0
    content_checksum = xxh64(concat(utf8(d) + b"\\0" + uint64_le(h_d) for d in SCHEMA_ORDER)).hexdigest()

data(d) is every element in row-major order as the little-endian bytes of its stored type (float16 is
2 bytes), and for the string datasets (paths, errors) each string's UTF-8 followed by one 0 byte.
The file checksum the job journal records is the seal's hash of the bytes after the 512-byte seal:
xxh3_64 (body_xxh3) for a seal of version 2, xxh64 (body_xxh64) for version 1 (tagood 0.2), or xxh64 of
the whole file for a shard written by tagood 0.1.0, which has no seal.
"""
import argparse
import struct
import sys

import h5py
import numpy as np

try:
    import xxhash
except ImportError:  # the checksums are optional
    xxhash = None

SCHEMA_ORDER = ["paths", "labels", "token_offsets", "tokens", "token_index", "global_embed",
                "tag_ids", "tag_offsets", "tag_probs", "attention", "status", "errors"]
STRING_DATASETS = {"paths", "errors"}
BLOCK_ROWS = 65536  # rows read at a time while hashing; keeps memory bounded


def iter_images(f, block=1024):
    """Yields one dict per image, reading a block of images (and only their tokens) at a time."""
    n = f["paths"].shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        off = f["token_offsets"][start:stop + 1]
        toff = f["tag_offsets"][start:stop + 1]
        tokens = f["tokens"][off[0]:off[-1]]
        token_index = f["token_index"][off[0]:off[-1]]
        tag_ids = f["tag_ids"][toff[0]:toff[-1]]
        tag_probs = f["tag_probs"][toff[0]:toff[-1]]
        paths = f["paths"].asstr()[start:stop]
        errors = f["errors"].asstr()[start:stop]
        labels, status = f["labels"][start:stop], f["status"][start:stop]
        global_embed, attention = f["global_embed"][start:stop], f["attention"][start:stop]
        all_tag_probs = f["all_tag_probs"][start:stop] if "all_tags" in f.attrs else None
        for j in range(stop - start):
            a, b = off[j] - off[0], off[j + 1] - off[0]
            c, d = toff[j] - toff[0], toff[j + 1] - toff[0]
            yield {
                "index": start + j, "path": paths[j], "label": int(labels[j]), "status": int(status[j]),
                "error": errors[j], "tokens": tokens[a:b], "token_index": token_index[a:b],
                "global_embed": global_embed[j], "tag_ids": tag_ids[c:d], "tag_probs": tag_probs[c:d],
                "attention": attention[j],
                **({"all_tag_probs": all_tag_probs[j]} if all_tag_probs is not None else {}),
            }


def dataset_digest(dataset):
    """xxh64 of data(d), streamed in blocks."""
    h = xxhash.xxh64()
    for start in range(0, dataset.shape[0], BLOCK_ROWS):
        rows = dataset[start:start + BLOCK_ROWS]
        if dataset.name.lstrip("/") in STRING_DATASETS:
            for s in rows:
                h.update((s if isinstance(s, bytes) else s.encode("utf-8")) + b"\0")
        else:
            h.update(np.ascontiguousarray(rows, dtype=rows.dtype.newbyteorder("<")).tobytes())
    return h.intdigest()


def schema_order(f):
    """The schema's datasets; `all_tag_probs` comes last, in shards whose root has `all_tags`."""
    return SCHEMA_ORDER + (["all_tag_probs"] if "all_tags" in f.attrs else [])


def content_checksum(f):
    combined = xxhash.xxh64()
    for name in schema_order(f):
        combined.update(name.encode("utf-8") + b"\0" + struct.pack("<Q", dataset_digest(f[name])))
    return combined.hexdigest()


SEAL_BYTES = 512  # the user block tagood fills after HDF5 closes the file (docs/DESIGN.md, "The seal")


SEALS = {b"tagood shard seal 2\n": ("body_xxh3", "xxh3_64"), b"tagood shard seal 1\n": ("body_xxh64", "xxh64")}


def seal_version(block):
    """The (hash field, xxhash constructor) of the seal `block` starts with, or None for a file without one."""
    return next(((field, getattr(xxhash, name)) for magic, (field, name) in SEALS.items() if block.startswith(magic)), None)


def check_seal(path):
    """Checks the seal in the first 512 bytes before h5py parses the file: returns "sealed",
    "unsealed" (tagood 0.1.0 wrote none) or exits with the reason."""
    with open(path, "rb") as stream:
        block = stream.read(SEAL_BYTES)
        version = seal_version(block)
        if version is None:
            if block.startswith(b"tagood shard seal "):
                sys.exit(f"{path}: the seal is damaged (or of a newer tagood)")
            return "unsealed"
        field, hasher = version
        lines = block.rstrip(b"\0").decode("ascii", "replace").split("\n")
        fields = dict(line.split(" ", 1) for line in lines[1:3] if " " in line)
        if len(lines) != 4 or "body_bytes" not in fields or field not in fields:
            sys.exit(f"{path}: the seal is damaged")
        h, size = hasher(), 0
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    if size != int(fields["body_bytes"]):
        sys.exit(f"{path}: seal MISMATCH: it covers {fields['body_bytes']} bytes, the file has {size} after it")
    if h.hexdigest() != fields[field]:
        sys.exit(f"{path}: seal MISMATCH: the bytes hash to {h.hexdigest()}, the seal says {fields[field]}")
    return "sealed"


def file_checksum(path):
    """The journal's file checksum: the seal's hash of the bytes after it (xxh64 of the whole file when unsealed)."""
    with open(path, "rb") as stream:
        version = seal_version(stream.read(SEAL_BYTES))
        h = version[1]() if version else xxhash.xxh64()
        if version is None:
            stream.seek(0)
        for block in iter(lambda: stream.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shard")
    parser.add_argument("--images", type=int, default=3, help="images to print (default 3)")
    parser.add_argument("--file-checksum", help="the file checksum the journal recorded")
    args = parser.parse_args()

    # The seal first: HDF5 itself can crash on a damaged file, so h5py should not parse one.
    if xxhash is None:
        print("seal: skipped (pip install xxhash to verify)")
    else:
        seal = check_seal(args.shard)
        print("seal ok: every byte matches" if seal == "sealed" else "seal: none (written by tagood 0.1.0)")
    with h5py.File(args.shard, "r") as f:
        attrs = dict(f.attrs)
        if attrs.get("complete") != 1:
            sys.exit(f"{args.shard}: not complete (the writer never committed it)")
        n, t = f["paths"].shape[0], f["tokens"].shape[0]
        failed = int(np.count_nonzero(f["status"][:]))
        print(f"shard {args.shard}: dataset={attrs['dataset']} role={attrs['role']} shard_index={attrs['shard_index']}")
        print(f"images={n} ok={n - failed} failed={failed} tokens={t} tags={f['tag_ids'].shape[0]} "
              f"token_dtype={f['tokens'].dtype} embed_dim={attrs['embed_dim']}")
        if xxhash is None:
            print("checksum: skipped (pip install xxhash to verify)")
        else:
            computed = content_checksum(f)
            if computed != attrs["content_checksum"]:
                sys.exit(f"content checksum MISMATCH: stored {attrs['content_checksum']}, computed {computed}")
            print(f"content checksum ok: {computed}")
        for image in iter_images(f):
            if image["index"] >= args.images:
                break
            tags = ", ".join(f"{i}:{p:.2f}" for i, p in zip(image["tag_ids"][:5], image["tag_probs"][:5]))
            line = (f"  #{image['index']} {image['path']} label={image['label']} "
                    f"tokens={len(image['tokens'])} tags=[{tags}]")
            if image["status"] != 0:
                line += f" FAILED status={image['status']}: {image['error']}"
            print(line)
    if args.file_checksum is not None:
        if xxhash is None:
            print("file checksum: skipped (pip install xxhash to verify)")
        elif file_checksum(args.shard) != args.file_checksum.lower():
            sys.exit(f"file checksum MISMATCH: expected {args.file_checksum}, computed {file_checksum(args.shard)}")
        else:
            print(f"file checksum ok: {args.file_checksum.lower()}")


if __name__ == "__main__":
    main()
