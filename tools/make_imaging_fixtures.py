#!/usr/bin/env python3
"""Generate the Imaging test fixtures and their Pillow reference outputs.

    python3 tools/make_imaging_fixtures.py [OUT_DIR]   (default: Tests/ImagingTests/Fixtures)

Writes, deterministically (fixed seeds, fixed encoder settings):

  images/   the source images: JPEG (baseline, progressive, 4:4:4, 4:2:2, grayscale, CMYK) and PNG
            (RGB, RGBA, palette 8/4/2-bit, palette+tRNS, grey 1/2/8/16-bit, LA 8/16-bit, RGB/RGBA 16-bit,
            interlaced), odd sizes, 1x1, 3x2, 392x392, 900x700, extreme aspect ratios, and a PNG named .JPEG.
  ref/      Pillow's results, all as 8-bit RGB PNG:
              <name>.crop.png      Image.open(p).convert("RGB").resize((392, 392), BILINEAR) then the
                                   torchvision CenterCrop(384) box (4, 4, 388, 388)
              <name>.rgb.png       Image.open(p).convert("RGB") (for the smaller images)
              <name>.<W>x<H>.png   convert("RGB").resize((W, H), BILINEAR) for extra targets
  bad/      inputs that must fail: truncated, corrupt, empty, text, GIF/BMP/TIFF, 30000x30000 headers.
  norm_table.f32   3 x 256 little-endian float32: (np.float32(v)/np.float32(255) - mean[c]) / std[c]
  manifest.json    what each file is and what is expected of it.

Needs Pillow and numpy only.
"""
import io
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import PIL
from PIL import Image, features

RESIZE = 392
CROP = 384
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


# --------------------------------------------------------------------------- content

def content(width, height, seed, channels=3, noise=1.5):
    """Photo-like test content: gradients, hard-edged shapes, a fine checker patch, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u = x / max(width - 1, 1)
    v = y / max(height - 1, 1)
    planes = []
    for c in range(channels):
        phase = rng.uniform(0, 2 * np.pi)
        freq = rng.uniform(2, 7)
        p = 40 + 150 * (0.6 * u if c % 2 == 0 else 0.6 * v) + 40 * np.sin(freq * (u + v) + phase)
        planes.append(p)
    img = np.stack(planes, axis=-1)
    # hard-edged shapes
    for _ in range(6):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.05, 0.3) * max(width, height)
        colour = rng.uniform(0, 255, size=channels)
        if rng.uniform() < 0.5:
            mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        else:
            mask = (np.abs(x - cx) < r) & (np.abs(y - cy) < r * 0.6)
        img[mask] = 0.35 * img[mask] + 0.65 * colour
    # a fine checkerboard patch (aliasing test for the antialiased resize)
    cw, ch = max(width // 5, 1), max(height // 5, 1)
    checker = ((x.astype(int) // 2 + y.astype(int) // 2) % 2) * 200 + 20
    sel = (x < cw) & (y < ch)
    img[sel] = checker[sel][:, None]
    img += rng.normal(0, 0.4 * noise, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- a minimal PNG writer
# Pillow cannot write 16-bit RGB/RGBA/LA, 2-bit grey, interlaced PNGs, or short palettes; this can.

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pack_rows(samples, bit_depth):
    """samples: (h, w, c) ints -> list of raw scanlines (without filter byte)."""
    h, w, c = samples.shape
    rows = []
    for row in samples:
        flat = row.reshape(-1)
        if bit_depth == 16:
            rows.append(flat.astype(">u2").tobytes())
        elif bit_depth == 8:
            rows.append(flat.astype(np.uint8).tobytes())
        else:
            per = 8 // bit_depth
            n = len(flat)
            padded = np.zeros(((n + per - 1) // per) * per, dtype=np.int64)
            padded[:n] = flat
            padded = padded.reshape(-1, per)
            out = np.zeros(len(padded), dtype=np.int64)
            for i in range(per):
                out |= padded[:, i] << (8 - bit_depth * (i + 1))
            rows.append(out.astype(np.uint8).tobytes())
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_bytes(samples, bit_depth, color_type, interlace=False, plte=None, trns=None):
    if samples.ndim == 2:
        samples = samples[:, :, None]
    h, w, _ = samples.shape
    raw = b""
    if interlace:
        for xs, ys, dx, dy in ADAM7:
            sub = samples[ys::dy, xs::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            raw += b"".join(b"\x00" + r for r in _pack_rows(sub, bit_depth))
    else:
        raw = b"".join(b"\x00" + r for r in _pack_rows(samples, bit_depth))
    out = b"\x89PNG\r\n\x1a\n"
    out += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if plte is not None:
        out += _chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    out += _chunk(b"IDAT", zlib.compress(raw, 9))
    out += _chunk(b"IEND", b"")
    return out


# --------------------------------------------------------------------------- fixtures

def pil_bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def make_images():
    """(file name, bytes, extra resize targets) for every good image."""
    items = []

    def add(name, data, resizes=()):
        items.append((name, data, list(resizes)))

    rgb = lambda w, h, s, **k: Image.fromarray(content(w, h, s, **k), "RGB")
    # JPEG
    add("jpeg_baseline_640x427.jpg", pil_bytes(rgb(640, 427, 1), "JPEG", quality=90),
        [(57, 43), (391, 93), (640, 211), (1, 1)])
    add("jpeg_progressive_500x375.jpg", pil_bytes(rgb(500, 375, 2), "JPEG", quality=85, progressive=True),
        [(250, 188), (600, 100)])
    add("jpeg_444_301x199.jpg", pil_bytes(rgb(301, 199, 3), "JPEG", quality=92, subsampling=0))
    add("jpeg_422_257x311.jpg", pil_bytes(rgb(257, 311, 4), "JPEG", quality=88, subsampling=1))
    add("jpeg_gray_333x517.jpg", pil_bytes(Image.fromarray(content(333, 517, 5, channels=1)[:, :, 0], "L"),
                                           "JPEG", quality=90))
    cmyk = content(300, 200, 6, channels=4)
    add("jpeg_cmyk_300x200.jpg", pil_bytes(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=90),
        [(123, 77)])
    add("jpeg_large_900x700.jpg", pil_bytes(rgb(900, 700, 7), "JPEG", quality=80),
        [(100, 100), (450, 351), (800, 100)])
    add("jpeg_portrait_375x500.jpg", pil_bytes(rgb(375, 500, 15), "JPEG", quality=75))
    add("jpeg_exact_392x392.jpg", pil_bytes(rgb(392, 392, 8), "JPEG", quality=90))
    add("jpeg_1x1.jpg", pil_bytes(rgb(1, 1, 9), "JPEG", quality=90), [(5, 3)])
    add("jpeg_3x2.jpg", pil_bytes(rgb(3, 2, 10), "JPEG", quality=95), [(7, 5), (2, 1)])
    add("jpeg_wide_1000x60.jpg", pil_bytes(rgb(1000, 60, 11), "JPEG", quality=85), [(97, 400)])
    add("jpeg_tall_45x800.jpg", pil_bytes(rgb(45, 800, 12), "JPEG", quality=85))
    add("jpeg_upscale_200x150.jpg", pil_bytes(rgb(200, 150, 13), "JPEG", quality=90), [(201, 149)])
    add("jpeg_progressive_gray_211x157.jpg",
        pil_bytes(Image.fromarray(content(211, 157, 14, channels=1)[:, :, 0], "L"), "JPEG", quality=80,
                  progressive=True))
    # PNG written by Pillow
    add("png_rgb_257x193.png", pil_bytes(rgb(257, 193, 20, noise=1.5), "PNG"), [(300, 100), (64, 64)])
    rgba = content(200, 300, 21, channels=4, noise=1.0)
    rgba[::7, :, 3] = 0  # fully transparent rows: alpha must be dropped, not composited
    add("png_rgba_200x300.png", pil_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    add("png_palette_150x100.png", pil_bytes(rgb(150, 100, 22).quantize(256), "PNG"))
    add("png_palette4_97x61.png", pil_bytes(rgb(97, 61, 23).quantize(16), "PNG", bits=4))
    pal = rgb(120, 90, 24).quantize(64)
    add("png_palette_trns_120x90.png", pil_bytes(pal, "PNG", transparency=bytes(range(0, 256, 4))[:64]))
    add("png_grey_181x97.png", pil_bytes(Image.fromarray(content(181, 97, 25, channels=1, noise=1)[:, :, 0], "L"),
                                         "PNG"))
    grey1 = content(64, 48, 26, channels=1)[:, :, 0] > 128
    add("png_grey1_64x48.png", pil_bytes(Image.fromarray(grey1).convert("1"), "PNG"))
    la = np.stack([content(100, 80, 27, channels=1, noise=1)[:, :, 0],
                   content(100, 80, 28, channels=1)[:, :, 0]], axis=-1)
    add("png_la_100x80.png", pil_bytes(Image.fromarray(la, "LA"), "PNG"))
    add("png_1x1.png", pil_bytes(rgb(1, 1, 29), "PNG"), [(4, 4)])
    add("png_3x2.png", pil_bytes(rgb(3, 2, 30), "PNG"), [(5, 7)])
    add("png_saved_as.JPEG", pil_bytes(rgb(160, 120, 31, noise=1), "PNG"))
    # PNG written by the minimal writer above
    wide = content(140, 110, 32, noise=1).astype(np.int64)
    rgb16 = wide * 257 + np.random.default_rng(33).integers(0, 256, size=wide.shape)
    add("png_rgb16_140x110.png", png_bytes(rgb16, 16, 2))
    rgba16 = content(90, 70, 34, channels=4, noise=1).astype(np.int64) * 257
    add("png_rgba16_90x70.png", png_bytes(rgba16, 16, 6))
    la16 = content(77, 55, 35, channels=2, noise=1).astype(np.int64) * 257 + 100
    add("png_la16_77x55.png", png_bytes(np.minimum(la16, 65535), 16, 4))
    grey16 = (content(160, 120, 36, channels=1, noise=1).astype(np.int64) * 3)[:, :, 0]  # 0..765: clips at 255
    add("png_grey16_160x120.png", png_bytes(grey16, 16, 0))
    grey2 = content(50, 40, 37, channels=1)[:, :, 0] // 64
    add("png_grey2_50x40.png", png_bytes(grey2, 2, 0))
    grey4 = content(61, 43, 38, channels=1)[:, :, 0] // 16
    add("png_grey4_interlaced_61x43.png", png_bytes(grey4, 4, 0, interlace=True))
    add("png_interlaced_rgb_123x77.png", png_bytes(content(123, 77, 39, noise=1), 8, 2, interlace=True),
        [(33, 21)])
    ipal = np.array(rgb(45, 33, 40).quantize(16))
    plte = np.array(rgb(45, 33, 40).quantize(16).getpalette()[:48]).reshape(16, 3)
    add("png_interlaced_palette4_45x33.png", png_bytes(ipal, 4, 3, interlace=True, plte=plte))
    short = (np.arange(8 * 6).reshape(6, 8) % 4)
    add("png_palette_short_8x6.png", png_bytes(short, 2, 3, plte=[[200, 10, 10], [10, 200, 10], [10, 10, 200]]))
    return items


def make_bad(good):
    """(file name, bytes, expected error code) for every input that must fail."""
    items = []
    base = good["jpeg_baseline_640x427.jpg"]
    items.append(("truncated.jpg", base[: len(base) * 6 // 10], "image.truncated"))
    prog = good["jpeg_progressive_500x375.jpg"]
    items.append(("truncated_progressive.jpg", prog[: len(prog) // 2], "image.truncated"))
    png = good["png_rgb_257x193.png"]
    items.append(("truncated.png", png[: len(png) * 6 // 10], "image.truncated"))
    # A DQT with table index 7 (libjpeg: "Bogus DQT index 7"): a hard error.
    small = bytearray(good["jpeg_3x2.jpg"])
    dqt = small.index(b"\xff\xdb")
    small[dqt + 4] = (small[dqt + 4] & 0xF0) | 7
    items.append(("corrupt_marker.jpg", bytes(small), "image.corrupt"))
    # A SOF claiming 0 components.
    sof_bad = bytearray(good["jpeg_3x2.jpg"])
    sof = sof_bad.index(b"\xff\xc0")
    sof_bad[sof + 9] = 0
    items.append(("corrupt_sof.jpg", bytes(sof_bad), "image.corrupt"))
    # Broken zlib data in the IDAT (CRC fixed so that only the deflate stream is wrong).
    p = bytearray(good["png_grey_181x97.png"])
    idat = p.index(b"IDAT")
    length = struct.unpack(">I", p[idat - 4: idat])[0]
    for i in range(idat + 4 + 2, idat + 4 + min(length, 40)):
        p[i] ^= 0x5A
    p[idat + 4 + length: idat + 8 + length] = struct.pack(">I", zlib.crc32(bytes(p[idat: idat + 4 + length])) & 0xFFFFFFFF)
    items.append(("corrupt.png", bytes(p), "image.corrupt"))
    items.append(("empty.jpg", b"", "image.empty"))
    items.append(("text.jpg", b"<html><body>404 Not Found</body></html>\n", "image.unsupported-format"))
    items.append(("image.gif", pil_bytes(Image.fromarray(content(20, 10, 50)), "GIF"), "image.unsupported-format"))
    items.append(("image.bmp", pil_bytes(Image.fromarray(content(20, 10, 51)), "BMP"), "image.unsupported-format"))
    items.append(("image.tiff", pil_bytes(Image.fromarray(content(20, 10, 52)), "TIFF"), "image.unsupported-format"))
    items.append(("gif_named.jpg", pil_bytes(Image.fromarray(content(20, 10, 53)), "GIF"), "image.unsupported-format"))
    # 30000 x 30000 headers, patched into small real files.
    j = bytearray(good["jpeg_3x2.jpg"])
    sof = j.index(b"\xff\xc0")
    j[sof + 5: sof + 9] = struct.pack(">HH", 30000, 30000)
    items.append(("huge_30000x30000.jpg", bytes(j), "image.too-large"))
    q = bytearray(good["png_3x2.png"])
    ihdr = q.index(b"IHDR")
    q[ihdr + 4: ihdr + 12] = struct.pack(">II", 30000, 30000)
    q[ihdr + 17: ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(q[ihdr: ihdr + 17])) & 0xFFFFFFFF)
    items.append(("huge_30000x30000.png", bytes(q), "image.too-large"))
    return items


def pillow_outcome(path, root):
    try:
        with Image.open(path) as im:
            im.convert("RGB")
        return "ok"
    except Exception as e:  # noqa: BLE001 - recording what Pillow says
        return f"{type(e).__name__}: {e}".replace(root + os.sep, "")


def save_ref(img, path):
    img.save(path, "PNG", compress_level=9)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests",
                                                              "ImagingTests", "Fixtures")
    out = os.path.normpath(out)
    for sub in ("images", "ref", "bad"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub))
    images = make_images()
    manifest_images = []
    good = {}
    for name, data, resizes in images:
        good[name] = data
        path = os.path.join(out, "images", name)
        with open(path, "wb") as f:
            f.write(data)
        stem = name.rsplit(".", 1)[0]
        with Image.open(path) as im:
            mode, fmt, size = im.mode, im.format, im.size
            rgb = im.convert("RGB")
        top = int(round((RESIZE - CROP) / 2.0))
        crop = rgb.resize((RESIZE, RESIZE), Image.BILINEAR).crop((top, top, top + CROP, top + CROP))
        save_ref(crop, os.path.join(out, "ref", f"{stem}.crop.png"))
        entry = {"file": f"images/{name}", "format": fmt, "mode": mode, "width": size[0], "height": size[1],
                 "crop": f"ref/{stem}.crop.png", "rgb": None, "resizes": []}
        if size[0] * size[1] <= 130_000:
            save_ref(rgb, os.path.join(out, "ref", f"{stem}.rgb.png"))
            entry["rgb"] = f"ref/{stem}.rgb.png"
        for (w, h) in resizes:
            ref = f"ref/{stem}.{w}x{h}.png"
            save_ref(rgb.resize((w, h), Image.BILINEAR), os.path.join(out, ref))
            entry["resizes"].append({"width": w, "height": h, "ref": ref})
        manifest_images.append(entry)
    bad_entries = []
    for name, data, code in make_bad(good):
        path = os.path.join(out, "bad", name)
        with open(path, "wb") as f:
            f.write(data)
        bad_entries.append({"file": f"bad/{name}", "code": code, "pillow": pillow_outcome(path, out)})

    mean = np.array(MEAN, dtype=np.float32)[:, None]
    std = np.array(STD, dtype=np.float32)[:, None]
    v = np.arange(256, dtype=np.float32)[None, :]
    table = ((v / np.float32(255)) - mean) / std
    assert table.dtype == np.float32 and table.shape == (3, 256)
    table.astype("<f4").tofile(os.path.join(out, "norm_table.f32"))

    manifest = {
        "generator": "tools/make_imaging_fixtures.py",
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "transform": {"resize": RESIZE, "crop": CROP, "mean": MEAN, "std": STD, "table": "norm_table.f32"},
        "images": manifest_images,
        "bad": bad_entries,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print(f"{len(manifest_images)} images, {len(bad_entries)} bad inputs, {total / 1e6:.2f} MB in {out}")


if __name__ == "__main__":
    main()
