#!/usr/bin/env python3
"""ONNX Runtime's side of `tagood-bench forward`: the same RAM forward pass as forward_reference.py (same
random weights, same input shape), exported once to ONNX and run by onnxruntime's CPU provider with the
same thread count, printing one JSON line. `make bench` adds it beside PyTorch when onnxruntime is
installed (issue 14); without onnxruntime or torch it exits with status 2 and says why.

The model is exported with PyTorch's exporter (`torch.onnx.export(dynamo=True)`, weights as external data)
to $TAGOOD_BENCH_DIR/onnx/<config>-b<batch>/, once per shape; later runs reuse it. `--check` also compares
ONNX Runtime's outputs with PyTorch's on the same input (after an export in the same run).

Usage: tools/bench/forward_onnx_reference.py --config swin_l_384 --batch 1 --iterations 2 [--threads N]
Output: {"bench": "forward-swin_l_384", "impl": "onnxruntime", "unit": "images/s", "value": X, ...}
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import forward_reference as fr  # noqa: E402
import make_model_fixtures as fixtures  # noqa: E402
import ram_reference as ref  # noqa: E402

CACHE = os.environ.get("TAGOOD_BENCH_DIR", "/tmp/tagood-bench")


def export(torch, cfg, batch, path):
    """Exports forward_reference.py's model with its seeded random weights to `path` (atomically)."""
    sd = fr.random_state_dict(torch, cfg)
    fwd = fr.torch_forward_fn(torch)

    class RAM(torch.nn.Module):
        def forward(self, images):
            return fwd(sd, cfg, images)

    r = cfg["image_res"]
    folder = os.path.dirname(path)
    temporary = f"{folder}.tmp-{os.getpid()}"  # the model and its weights file, renamed into place together
    os.makedirs(temporary)
    with torch.no_grad():
        torch.onnx.export(RAM(), (torch.randn(batch, 3, r, r),), os.path.join(temporary, os.path.basename(path)),
                          dynamo=True, external_data=True, input_names=["images"], output_names=["image_embeds", "tag_probs"])
    os.replace(temporary, folder)
    return sd, fwd


def main():
    ap = fr.argument_parser(__doc__)
    ap.add_argument("--check", action="store_true", help="compare with PyTorch's outputs (exports anew)")
    a = ap.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
        import torch
    except ImportError as e:
        print(f"forward_onnx_reference: {e}; install onnxruntime and torch to measure ONNX Runtime", file=sys.stderr)
        sys.exit(2)
    cfg = ref.complete(ref.BUILTINS.get(a.config) or fixtures.CONFIGS[a.config])
    threads = fr.thread_count(a.threads)
    path = os.path.join(CACHE, "onnx", f"{a.config}-b{a.batch}", "model.onnx")
    exported = None
    if a.check and os.path.exists(path):
        import shutil
        shutil.rmtree(os.path.dirname(path))
    if not os.path.exists(path):
        torch.set_num_threads(threads)
        exported = export(torch, cfg, a.batch, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    r = cfg["image_res"]
    images = np.random.default_rng(0).standard_normal((a.batch, 3, r, r)).astype(np.float32)
    outputs = session.run(None, {"images": images})  # warm-up
    if a.check:
        sd, _ = exported
        fwd = fr.torch_forward_fn(torch)  # a fresh one: the exporter's pass left traced constants in the first one's cache
        with torch.inference_mode():
            want = fwd(sd, cfg, torch.from_numpy(images))
        worst = max(float(np.abs(o - w.numpy()).max()) for o, w in zip(outputs, want))
        print(f"forward_onnx_reference: largest difference from PyTorch {worst:.2e}", file=sys.stderr)
        if worst > 1e-3:
            sys.exit(f"ONNX Runtime's outputs differ from PyTorch's by {worst}")
    times = []
    for _ in range(a.iterations):
        t0 = time.perf_counter()
        session.run(None, {"images": images})
        times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"bench": f"forward-{a.config}", "impl": "onnxruntime", "unit": "images/s", "value": a.batch / median,
                      "peak_rss_mb": fr.peak_rss_mb(), "batch": a.batch, "threads": threads, "seconds_per_batch": median,
                      "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
