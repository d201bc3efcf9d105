#!/usr/bin/env python3
"""libtagood_cuda without a GPU: it loads with dlopen, speaks API version 2, refuses a bad config with
INVALID_ARGUMENT, and answers tagood_cuda_describe_device and tagood_cuda_create with NO_DEVICE and a message
(or OK where there is a GPU). `make test` runs it after compiling the library.

Usage: tools/gpu/smoke.py [.build/cuda/libtagood_cuda.so]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import tagood_cuda as tc  # noqa: E402
except ImportError as missing:  # no NumPy: check only that the library loads and answers
    tc = None
    MISSING = missing

TEST_SHIFT = dict(name="test_shift", image_res=96, embed_dim=8, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4],
                  window_size=6, hidden_size=32, num_attention_heads=4, num_hidden_layers=2, intermediate_size=64,
                  encoder_width=24, num_tags=24)


def bare(path):
    import ctypes
    lib = ctypes.CDLL(os.path.abspath(path))
    assert lib.tagood_cuda_api_version() == 2
    info, err = ctypes.create_string_buffer(512), ctypes.create_string_buffer(1024)
    status = lib.tagood_cuda_describe_device(0, info, err, len(err))
    print(f"smoke: {path} loads (API version 2); describe_device: status {status} {err.value.decode()!r} "
          f"({MISSING}: the rest of the smoke check needs NumPy)")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else ".build/cuda/libtagood_cuda.so"
    if tc is None:
        return bare(path)
    lib = tc.Library(path)
    assert lib.api_version() == tc.API_VERSION, f"API version {lib.api_version()}"
    weights = tc.random_weights(TEST_SHIFT)

    # A bad config is refused before the device is looked at.
    bad = dict(TEST_SHIFT, num_heads=[3, 2, 2, 4])
    try:
        tc.Context(lib, bad, weights.get, precision=tc.FP32, max_batch=2, id_tags=[1, 2])
        sys.exit("smoke: a config whose width 8 is not divisible by 3 heads was accepted")
    except tc.TagoodCUDAError as e:
        assert e.status == tc.STATUS.index("INVALID_ARGUMENT"), e
        assert "num_heads" in str(e), e

    status, info, message = lib.describe_device(0)
    if status == tc.OK:
        print(f"smoke: {path}: device 0 is {info.name.decode()} (sm_{info.compute_major}{info.compute_minor})")
        with tc.Context(lib, TEST_SHIFT, weights.get, precision=tc.FP32, max_batch=2, id_tags=[1, 2]) as ctx:
            assert ctx.columns == 2
        return
    assert status == tc.NO_DEVICE, f"describe_device: status {tc.STATUS[status]}: {message}"
    assert message, "describe_device gave NO_DEVICE without a message"
    try:
        tc.Context(lib, TEST_SHIFT, weights.get, precision=tc.BF16, max_batch=2, id_tags=[1, 2])
        sys.exit("smoke: tagood_cuda_create succeeded where describe_device found no device")
    except tc.TagoodCUDAError as e:
        assert e.status == tc.NO_DEVICE and str(e) != "NO_DEVICE: ", e
        print(f"smoke: {path} loads (API version {tc.API_VERSION}); without a GPU, create says {e}")


if __name__ == "__main__":
    main()
