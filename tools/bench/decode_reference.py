#!/usr/bin/env python3
"""Reference for `tagood-bench decode`: decode + TagOOD transform with Pillow + NumPy on one thread.

    python3 tools/bench/decode_reference.py DIR [--repeat N]

For every regular file in DIR (sorted, not recursive): Image.open, convert("RGB"),
resize((392, 392), BILINEAR), CenterCrop(384), /255, ImageNet normalisation to a float32 CHW array
(what torchvision's Resize/CenterCrop/ToTensor/Normalize do on a PIL image). One warm-up pass, then
N timed passes. Prints one JSON line:
{"bench": "decode+transform", "impl": "reference", "unit": "images/s", "value": ...}
"""
import argparse
import json
import os
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]
RESIZE, CROP = 392, 384


def transform(path):
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    top = int(round((RESIZE - CROP) / 2.0))
    crop = rgb.resize((RESIZE, RESIZE), Image.BILINEAR).crop((top, top, top + CROP, top + CROP))
    x = np.asarray(crop, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    return (x - MEAN) / STD


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = [os.path.join(args.images, n) for n in sorted(os.listdir(args.images))]
    files = [f for f in files if os.path.isfile(f)]
    failed = 0

    def one_pass():
        nonlocal failed
        for f in files:
            try:
                transform(f)
            except Exception:  # noqa: BLE001 - bad inputs count as failures, as in the Swift bench
                failed += 1

    one_pass()
    failed_per_pass = failed
    start = time.perf_counter()
    for _ in range(args.repeat):
        one_pass()
    seconds = time.perf_counter() - start
    print(json.dumps({"bench": "decode+transform", "impl": "reference", "unit": "images/s",
                      "value": len(files) * args.repeat / seconds, "images": len(files),
                      "repeat": args.repeat, "failed": failed_per_pass, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
