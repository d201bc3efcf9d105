"""ctypes binding of libtagood_cuda's C API (Sources/CTagoodCUDA/include/tagood_cuda.h), for the device check.

NumPy only (no torch): it loads on a machine without a GPU, where the library answers NO_DEVICE.

    lib = Library(".build/cuda/libtagood_cuda.so")
    status, info, message = lib.describe_device(0)
    ctx = Context(lib, config, weights.get, precision=FP32, max_batch=4, id_tags=[1, 4, 7])
    ctx.submit(0, images)                 # float32 [n, 3, R, R]
    probs = ctx.probabilities(0)          # [n, columns]
    out = ctx.select(0, [[0, 2], [], [1]], 0.5)
"""
import ctypes as C
import json
import os
import struct
import zlib

import numpy as np

MAX_STAGES = 8
API_VERSION = 2
BF16, FP32 = 0, 1
PRECISIONS = {"bf16": BF16, "fp32": FP32}
STATUS = ["OK", "NO_DEVICE", "CUDA_ERROR", "CUBLAS_ERROR", "OUT_OF_MEMORY", "INVALID_ARGUMENT", "MISSING_WEIGHT",
          "BAD_STATE"]
OK, NO_DEVICE = 0, 1


class TagoodCUDAError(RuntimeError):
    def __init__(self, status, message):
        name = STATUS[status] if 0 <= status < len(STATUS) else str(status)
        super().__init__(f"{name}: {message}")
        self.status = status


class ModelConfig(C.Structure):
    _fields_ = [("image_resolution", C.c_int32), ("patch_size", C.c_int32), ("input_channels", C.c_int32),
                ("embed_dim", C.c_int32), ("stages", C.c_int32), ("depths", C.c_int32 * MAX_STAGES),
                ("num_heads", C.c_int32 * MAX_STAGES), ("window_size", C.c_int32), ("mlp_ratio", C.c_int32),
                ("layer_norm_eps", C.c_float), ("head_hidden", C.c_int32), ("head_heads", C.c_int32),
                ("head_layers", C.c_int32), ("head_intermediate", C.c_int32), ("encoder_width", C.c_int32),
                ("num_tags", C.c_int32), ("head_layer_norm_eps", C.c_float), ("descriptions_per_tag", C.c_int32)]


class Options(C.Structure):
    _fields_ = [("device", C.c_int32), ("precision", C.c_int32), ("max_batch", C.c_int32),
                ("id_tags", C.POINTER(C.c_int32)), ("id_tag_count", C.c_int32), ("all_tags", C.c_int32)]


class DeviceInfo(C.Structure):
    _fields_ = [("name", C.c_char * 256), ("memory_bytes", C.c_int64), ("compute_major", C.c_int32),
                ("compute_minor", C.c_int32), ("multiprocessors", C.c_int32), ("driver_version", C.c_int32),
                ("runtime_version", C.c_int32)]


TENSOR_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_char_p, C.POINTER(C.POINTER(C.c_float)), C.POINTER(C.c_int64))

_f32p = np.ctypeslib.ndpointer(dtype=np.float32, flags="C_CONTIGUOUS")
_i32p = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")
_i16p = np.ctypeslib.ndpointer(dtype=np.int16, flags="C_CONTIGUOUS")
_u8p = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")


# MARK: Configs (tagood's RAMConfig JSON: RAM's config_swin*_384.json + q2l_config.json keys)

HEAD_DEFAULTS = dict(patch_size=4, hidden_size=768, num_attention_heads=4, num_hidden_layers=2,
                     intermediate_size=3072, encoder_width=512, num_tags=4585)
SWIN_L_384 = dict(name="swin_l_384", image_res=384, embed_dim=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48],
                  window_size=12)
# RAM++ (ram_plus_swin_large_14m.pth): the same, with 51 label_embed rows per tag and reweight_scale.
SWIN_L_384_PLUS = dict(SWIN_L_384, name="swin_l_384_plus", tagger="ram_plus", descriptions_per_tag=51)


def complete(cfg):
    out = dict(HEAD_DEFAULTS)
    out.update(cfg)
    if "descriptions_per_tag" not in cfg:  # RAMConfig's default: 51 for ram_plus, RAM's 1 otherwise
        out["descriptions_per_tag"] = 51 if out.get("tagger") == "ram_plus" else 1
    out["vision_width"] = out["embed_dim"] * 2 ** (len(out["depths"]) - 1)
    return out


def model_config(cfg):
    """The C struct for a config dict."""
    cfg = complete(cfg)
    c = ModelConfig()
    c.image_resolution = cfg["image_res"]
    c.patch_size = cfg["patch_size"]
    c.input_channels = 3
    c.embed_dim = cfg["embed_dim"]
    c.stages = len(cfg["depths"])
    for i, (d, h) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        c.depths[i] = d
        c.num_heads[i] = h
    c.window_size = cfg["window_size"]
    c.mlp_ratio = 4
    c.layer_norm_eps = 1e-5
    c.head_hidden = cfg["hidden_size"]
    c.head_heads = cfg["num_attention_heads"]
    c.head_layers = cfg["num_hidden_layers"]
    c.head_intermediate = cfg["intermediate_size"]
    c.encoder_width = cfg["encoder_width"]
    c.num_tags = cfg["num_tags"]
    c.head_layer_norm_eps = 1e-12
    c.descriptions_per_tag = cfg["descriptions_per_tag"]
    return c


def image_tokens(cfg):
    cfg = complete(cfg)
    last = (cfg["image_res"] // cfg["patch_size"]) >> (len(cfg["depths"]) - 1)
    return last * last + 1


def parameter_specs(cfg):
    """(name, shape, kind) of every parameter, as RAMConfig.parameterSpecs lists them; kind is one of
    matrix, bias, ln_weight, ln_bias, table, embed, scalar (RAM++'s reweight_scale)."""
    cfg = complete(cfg)
    out = []

    def linear(p, o, i, bias=True):
        out.append((p + ".weight", (o, i), "matrix"))
        if bias:
            out.append((p + ".bias", (o,), "bias"))

    def norm(p, w):
        out.append((p + ".weight", (w,), "ln_weight"))
        out.append((p + ".bias", (w,), "ln_bias"))

    e, p = cfg["embed_dim"], cfg["patch_size"]
    out.append(("visual_encoder.patch_embed.proj.weight", (e, 3, p, p), "matrix"))
    out.append(("visual_encoder.patch_embed.proj.bias", (e,), "bias"))
    norm("visual_encoder.patch_embed.norm", e)
    r = cfg["image_res"] // p
    stages = len(cfg["depths"])
    for i in range(stages):
        c, res = e << i, r >> i
        w = min(cfg["window_size"], res)
        for j in range(cfg["depths"][i]):
            b = f"visual_encoder.layers.{i}.blocks.{j}"
            norm(b + ".norm1", c)
            out.append((b + ".attn.relative_position_bias_table", ((2 * w - 1) ** 2, cfg["num_heads"][i]), "table"))
            linear(b + ".attn.qkv", 3 * c, c)
            linear(b + ".attn.proj", c, c)
            norm(b + ".norm2", c)
            linear(b + ".mlp.fc1", 4 * c, c)
            linear(b + ".mlp.fc2", c, 4 * c)
        if i < stages - 1:
            norm(f"visual_encoder.layers.{i}.downsample.norm", 4 * c)
            linear(f"visual_encoder.layers.{i}.downsample.reduction", 2 * c, 4 * c, bias=False)
    norm("visual_encoder.norm", cfg["vision_width"])
    d, ew, t = cfg["hidden_size"], cfg["encoder_width"], cfg["num_tags"]
    linear("image_proj", ew, cfg["vision_width"])
    dd = cfg["descriptions_per_tag"]
    out.append(("label_embed", (t * dd, ew), "embed"))
    if dd > 1:
        out.append(("reweight_scale", (), "scalar"))
    linear("wordvec_proj", d, ew)
    for l in range(cfg["num_hidden_layers"]):
        b = f"tagging_head.encoder.layer.{l}"
        linear(b + ".crossattention.self.query", d, d)
        linear(b + ".crossattention.self.key", d, ew)
        linear(b + ".crossattention.self.value", d, ew)
        linear(b + ".crossattention.output.dense", d, d)
        norm(b + ".crossattention.output.LayerNorm", d)
        linear(b + ".intermediate.dense", cfg["intermediate_size"], d)
        linear(b + ".output.dense", d, cfg["intermediate_size"])
        norm(b + ".output.LayerNorm", d)
    linear("fc", 1, d)
    return out


def random_weights(cfg, seed=0):
    """Random float32 weights with every bias and LayerNorm parameter non-zero (so every bias path is
    exercised): weights N(0, 0.02) clipped at ±0.04, biases N(0, 0.02), LayerNorm scales 1 + N(0, 0.1); RAM++'s
    reweight_scale log(1 / 0.07), its value at initialisation."""
    out = {}
    for name, shape, kind in parameter_specs(cfg):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        n = int(np.prod(shape))
        if kind == "scalar":
            v = np.full(n, np.log(1 / 0.07), dtype=np.float32)
        elif kind == "ln_weight":
            v = 1.0 + 0.1 * rng.standard_normal(n, dtype=np.float32)
        else:
            v = 0.02 * rng.standard_normal(n, dtype=np.float32)
            if kind in ("matrix", "table", "embed"):
                np.clip(v, -0.04, 0.04, out=v)
        out[name] = v.astype(np.float32).reshape(shape)
    return out


# MARK: Files

def load_safetensors(path):
    """name -> float32 array (F32, F16 and BF16 tensors)."""
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
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        else:
            continue
        out[name] = arr.reshape(e["shape"])
    return out


def load_bf16(path, shape):
    raw = np.fromfile(path, dtype="<u2").astype(np.uint32) << 16
    return raw.view(np.float32).reshape(shape)


# MARK: The library

class Library:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.lib = lib = C.CDLL(self.path)
        lib.tagood_cuda_api_version.restype = C.c_int32
        lib.tagood_cuda_describe_device.argtypes = [C.c_int32, C.POINTER(DeviceInfo), C.c_char_p, C.c_size_t]
        lib.tagood_cuda_describe_device.restype = C.c_int32
        lib.tagood_cuda_create.argtypes = [C.POINTER(ModelConfig), C.POINTER(Options), TENSOR_FN, C.c_void_p,
                                           C.POINTER(C.c_void_p), C.c_char_p, C.c_size_t]
        lib.tagood_cuda_create.restype = C.c_int32
        lib.tagood_cuda_last_error.argtypes = [C.c_void_p]
        lib.tagood_cuda_last_error.restype = C.c_char_p
        lib.tagood_cuda_destroy.argtypes = [C.c_void_p]
        lib.tagood_cuda_destroy.restype = None
        lib.tagood_cuda_submit.argtypes = [C.c_void_p, C.c_int32, _f32p, C.c_int32]
        lib.tagood_cuda_submit.restype = C.c_int32
        lib.tagood_cuda_probabilities.argtypes = [C.c_void_p, C.c_int32, _f32p]
        lib.tagood_cuda_probabilities.restype = C.c_int32
        lib.tagood_cuda_tags_fire.argtypes = [C.c_void_p, C.c_int32, _i32p, C.c_int32, _i32p, C.c_int32, C.c_float,
                                              _u8p]
        lib.tagood_cuda_tags_fire.restype = C.c_int32
        lib.tagood_cuda_select.argtypes = [C.c_void_p, C.c_int32, _i32p, _i32p, C.c_float, _f32p, _i32p, _i16p,
                                           _f32p, _f32p]
        lib.tagood_cuda_select.restype = C.c_int32
        lib.tagood_cuda_image_embeds.argtypes = [C.c_void_p, C.c_int32, _f32p]
        lib.tagood_cuda_image_embeds.restype = C.c_int32
        lib.tagood_cuda_layer0_attention.argtypes = [C.c_void_p, C.c_int32, _f32p]
        lib.tagood_cuda_layer0_attention.restype = C.c_int32
        self.has_debug = hasattr(lib, "tagood_cuda_debug_kernel")
        if self.has_debug:
            lib.tagood_cuda_debug_kernel.argtypes = [C.c_char_p, C.c_int32, C.POINTER(C.c_int64), C.c_int32,
                                                     C.POINTER(C.c_void_p), C.POINTER(C.c_int64), C.c_int32, _f32p,
                                                     C.c_int64, C.c_char_p, C.c_size_t]
            lib.tagood_cuda_debug_kernel.restype = C.c_int32

    def api_version(self):
        return self.lib.tagood_cuda_api_version()

    def describe_device(self, device=0):
        """(status, DeviceInfo or None, message)."""
        info = DeviceInfo()
        err = C.create_string_buffer(1024)
        status = self.lib.tagood_cuda_describe_device(device, C.byref(info), err, len(err))
        return status, (info if status == OK else None), err.value.decode(errors="replace")

    def debug_kernel(self, name, precision, params, inputs, output_count):
        """tagood_cuda_debug_kernel: float32 inputs, float32 output [output_count]."""
        arrays = [np.ascontiguousarray(a, dtype=np.float32).ravel() for a in inputs]
        pointers = (C.c_void_p * len(arrays))(*[a.ctypes.data for a in arrays])
        counts = (C.c_int64 * len(arrays))(*[a.size for a in arrays])
        p = (C.c_int64 * max(1, len(params)))(*params)
        out = np.zeros(output_count, dtype=np.float32)
        err = C.create_string_buffer(2048)
        status = self.lib.tagood_cuda_debug_kernel(name.encode(), precision, p, len(params), pointers, counts,
                                                   len(arrays), out, output_count, err, len(err))
        if status != OK:
            raise TagoodCUDAError(status, err.value.decode(errors="replace"))
        return out


class Context:
    """One tagood_cuda_context. `tensor(name)` gives a weight as a float32 array (or None)."""

    def __init__(self, lib, cfg, tensor, precision=BF16, max_batch=8, id_tags=None, all_tags=False, device=0):
        self.lib, self.cfg = lib, complete(cfg)
        self.tokens = image_tokens(cfg)
        self.all_tags = bool(all_tags)
        self.columns = self.cfg["num_tags"] if all_tags else len(id_tags)
        self._current = None
        self._tags = np.ascontiguousarray(id_tags if id_tags is not None else [], dtype=np.int32)
        self.handle = C.c_void_p()

        def fetch(_user, name, data, count):
            array = tensor(name.decode())
            if array is None:
                return 1
            self._current = np.ascontiguousarray(array, dtype=np.float32).ravel()
            data[0] = self._current.ctypes.data_as(C.POINTER(C.c_float))
            count[0] = self._current.size
            return 0

        self._callback = TENSOR_FN(fetch)
        config = model_config(cfg)
        options = Options(device=device, precision=precision, max_batch=max_batch,
                          id_tags=self._tags.ctypes.data_as(C.POINTER(C.c_int32)), id_tag_count=len(self._tags),
                          all_tags=1 if all_tags else 0)
        err = C.create_string_buffer(2048)
        status = lib.lib.tagood_cuda_create(C.byref(config), C.byref(options), self._callback, None,
                                            C.byref(self.handle), err, len(err))
        self._current = None
        if status != OK:
            raise TagoodCUDAError(status, err.value.decode(errors="replace"))
        self.counts = [0, 0]

    def _check(self, status):
        if status != OK:
            message = self.lib.lib.tagood_cuda_last_error(self.handle) or b""
            raise TagoodCUDAError(status, message.decode(errors="replace"))

    def close(self):
        if self.handle:
            self.lib.lib.tagood_cuda_destroy(self.handle)
            self.handle = C.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def submit(self, slot, images):
        images = np.ascontiguousarray(images, dtype=np.float32)
        self._check(self.lib.lib.tagood_cuda_submit(self.handle, slot, images, images.shape[0]))
        self.counts[slot] = images.shape[0]

    def probabilities(self, slot):
        out = np.zeros(self.counts[slot] * self.columns, dtype=np.float32)
        self._check(self.lib.lib.tagood_cuda_probabilities(self.handle, slot, out))
        return out.reshape(self.counts[slot], self.columns)

    def tags_fire(self, slot, images, tags, threshold):
        images = np.ascontiguousarray(images, dtype=np.int32)
        tags = np.ascontiguousarray(tags, dtype=np.int32)
        fired = np.zeros(max(1, images.size), dtype=np.uint8)
        self._check(self.lib.lib.tagood_cuda_tags_fire(self.handle, slot, images, images.size, tags, tags.size,
                                                       threshold, fired))
        return fired[:images.size]

    def select(self, slot, chosen, threshold):
        """chosen: per image, a list of columns. Returns dict(attention [n, L1], counts [n], kept [list of
        index arrays], tokens [Σ, E], global [n, E])."""
        n, l1, e = self.counts[slot], self.tokens, self.cfg["encoder_width"]
        offsets = np.zeros(n + 1, dtype=np.int32)
        for i, c in enumerate(chosen):
            offsets[i + 1] = offsets[i] + len(c)
        columns = np.ascontiguousarray([x for c in chosen for x in c] or [0], dtype=np.int32)
        attention = np.zeros(n * l1, dtype=np.float32)
        counts = np.zeros(n, dtype=np.int32)
        kept = np.zeros(n * l1, dtype=np.int16)
        tokens = np.zeros(n * l1 * e, dtype=np.float32)
        global_embeds = np.zeros(n * e, dtype=np.float32)
        self._check(self.lib.lib.tagood_cuda_select(self.handle, slot, offsets, columns, threshold, attention, counts,
                                                    kept, tokens, global_embeds))
        kept = kept.reshape(n, l1)
        total = int(counts.sum())
        return dict(attention=attention.reshape(n, l1), counts=counts,
                    kept=[kept[i, :counts[i]].astype(np.int64) for i in range(n)],
                    tokens=tokens[:total * e].reshape(total, e), global_embeds=global_embeds.reshape(n, e))

    def image_embeds(self, slot):
        out = np.zeros(self.counts[slot] * self.tokens * self.cfg["encoder_width"], dtype=np.float32)
        self._check(self.lib.lib.tagood_cuda_image_embeds(self.handle, slot, out))
        return out.reshape(self.counts[slot], self.tokens, self.cfg["encoder_width"])

    def layer0_attention(self, slot):
        heads = self.cfg["num_attention_heads"]
        out = np.zeros(self.counts[slot] * heads * self.columns * self.tokens, dtype=np.float32)
        self._check(self.lib.lib.tagood_cuda_layer0_attention(self.handle, slot, out))
        return out.reshape(self.counts[slot], heads, self.columns, self.tokens)
