#!/usr/bin/env python3
"""Checks that the authors' code path loads tagood's `checkpoint_<epoch>.pth` unchanged (issue 27, part 3).

Runs `tagood demo` (or takes a trained job with --job), trains with `--pth-every 1`, reduces, then does what
the authors' `ood_inference_distance.py` does with the folder `train/pth/`:
  - lists the names containing "checkpoint", parses `split("_")[1]`, removes "init", takes the highest epoch;
  - `torch.load(path, weights_only=True)`, `proj.load_state_dict(state["projector"], strict=False)` with no
    missing key, `centers = state["ema"]`;
and scores every image of the job's scored datasets with that projector (eval mode, one image at a time, as
their `get_scores`): max over classes of the mean over patterns of cos(f_p, ema_c,p), times the image's best
selected-tag probability (the `max-tag-prob` column), 0 without tokens. The scores must equal tagood's
`tagood-learned` column within 1e-4. It also loads `optimizer` and `scheduler` into torch's AdamW and
CosineAnnealingLR (the authors' resume path) and `checkpoint_init.pth`.

The projector is `Classifier` of tools/projector_reference.py without its `centers` buffer: the authors' class
has none, so `strict=False` reports no missing key only if every parameter is in the file.

  python3 tools/authors_checkpoint_check.py --tagood .build/debug/tagood [--job DIR] [--keep]
Needs torch and h5py (dev machines only; CI runs the Swift reader's test instead).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import h5py
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from projector_reference import Classifier  # noqa: E402


def authors_pick(folder):
    """ood_inference_distance.py's choice of file, line for line."""
    checkpoint_list = os.listdir(folder)
    checkpoint_list = [i for i in checkpoint_list if "checkpoint" in i]
    al_epoch = [cp.split("_")[1].split(".")[0] for cp in checkpoint_list if "checkpoint" in cp]
    al_epoch.remove("init")
    al_epoch = [int(i) for i in al_epoch]
    al_epoch = int(max(al_epoch))
    return os.path.join(folder, f"checkpoint_{al_epoch}.pth")


def run(args):
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tagood", required=True)
    ap.add_argument("--job", help="a demo job already made (skips `tagood demo`)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tagood = os.path.abspath(args.tagood)
    work = tempfile.mkdtemp(prefix="tagood-pth-check-")
    job = args.job
    if job is None:
        run([tagood, "demo", "--out", work])
        job = os.path.join(work, "demo")
    run([tagood, "train", job, "--restart", "--epochs", str(args.epochs), "--batch", "32", "--threads", "2",
         "--center-momentum", "0.9", "--pth-every", "1", "--quiet"])
    run([tagood, "reduce", job, "--quiet"])

    folder = os.path.join(job, "train", "pth")
    names = sorted(os.listdir(folder))
    expected = ["checkpoint_init.pth"] + [f"checkpoint_{e}.pth" for e in range(args.epochs)]
    assert sorted(names) == sorted(expected), f"train/pth holds {names}, expected {expected}"
    path = authors_pick(folder)
    assert path.endswith(f"checkpoint_{args.epochs - 1}.pth"), path

    state = torch.load(path, map_location="cpu", weights_only=True)
    assert set(state) == {"projector", "ema", "optimizer", "scheduler"}, set(state)
    sd = state["projector"]
    classes, width = sd["classifier.weight"].shape
    heads = 8
    model = Classifier(num_classes=classes, input_dim=sd["image_proj.weight"].shape[1], width=width, heads=heads,
                       layers=sum(1 for k in sd if k.endswith("ln_1.weight")), mlp=sd[
                           "layers.layers.encoder_layer_0.mlp.0.weight"].shape[0],
                       max_tokens=sd["layers.pos_embedding"].shape[1] - 1, patterns=sd["w_layer.weight"].shape[0])
    del model._buffers["centers"]  # the authors' Classifier has no such buffer
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not missing, f"missing keys: {missing}"
    assert not unexpected, f"unexpected keys: {unexpected}"
    model.eval()
    centers = state["ema"].cpu()
    patterns = centers.shape[1]

    # The authors' resume path: AdamW and CosineAnnealingLR take the saved states.
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=5e-4)
    optimizer.load_state_dict(state["optimizer"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=state["scheduler"]["T_max"], eta_min=1e-5)
    scheduler.load_state_dict(state["scheduler"])
    assert len(optimizer.state) == len(list(model.parameters())) - 2  # all but w_layer's weight and bias
    init = torch.load(os.path.join(folder, "checkpoint_init.pth"), map_location="cpu", weights_only=True)
    assert set(init) == {"projector"} and set(init["projector"]) == set(sd)

    normalised = F.normalize(centers, dim=-1)
    worst, count = 0.0, 0
    for scores_file in sorted(glob.glob(os.path.join(job, "reduce", "scores-*.json"))):
        scores = json.load(open(scores_file))
        dataset = scores["dataset"]
        tokens_of = {}
        for shard in sorted(glob.glob(os.path.join(job, "shards", dataset, "*.h5"))):
            with h5py.File(shard, "r") as f:
                off = f["token_offsets"][:]
                tokens = f["tokens"][:]
                for i, p in enumerate(f["paths"].asstr()):
                    tokens_of[p] = tokens[off[i]:off[i + 1]]
        learned, tag_max = scores["scores"]["tagood-learned"], scores["scores"]["max-tag-prob"]
        for i, p in enumerate(scores["paths"]):
            t = tokens_of.get(p)
            if t is None or len(t) == 0:
                ours = 0.0
            else:
                with torch.no_grad():
                    f, _ = model(torch.tensor(t, dtype=torch.float32).unsqueeze(0))
                    f = F.normalize(f.view(1, patterns, -1), dim=-1)
                    ours = float((torch.einsum("bpd,cpd->bc", f, normalised) / patterns).max()) * tag_max[i]
            worst = max(worst, abs(ours - learned[i]))
            count += 1
        print(f"{dataset}: {len(scores['paths'])} images")
    print(f"authors' code path on {os.path.basename(path)}: {count} scores, max |difference| = {worst:.3g}")
    if not args.keep and args.job is None:
        subprocess.run(["rm", "-rf", work])
    if count == 0 or worst > 1e-4:
        sys.exit("FAIL: the scores differ by more than 1e-4")
    print("OK")


if __name__ == "__main__":
    main()
