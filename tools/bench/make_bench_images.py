#!/usr/bin/env python3
"""Makes photo-like JPEG test images for `make bench`: smooth gradients, shapes, texture and noise at
ImageNet's typical sizes (500×375 and 375×500), quality 90. Deterministic.

Usage: make_bench_images.py OUT_DIR COUNT
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def make(i, size):
    rng = np.random.default_rng(i)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([
        128 + 90 * np.sin(x / (23 + 7 * c + i % 5) + y / (31 + 3 * c) + rng.uniform(0, 6)) for c in range(3)
    ], axis=-1)
    base += rng.normal(0, 12, size=(h, w, 3))
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        x1, y1 = x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2))
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=color)
    return im.filter(ImageFilter.GaussianBlur(0.8))


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        size = (500, 375) if i % 4 else (375, 500)
        make(i, size).save(os.path.join(out, f"bench_{i:03d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
