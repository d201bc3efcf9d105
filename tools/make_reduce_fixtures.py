#!/usr/bin/env python3
"""Reference values for the reducer tests: Tests/ReduceTests/Fixtures/reduce_reference.json.

A small random job (d = 8, 3 classes; id-train, id-val and an OOD set where a third of the images have
no tokens) with every score computed independently here with numpy and scikit-learn:

- object feature: mean of the image's float32 tokens (in float64), L2-normalised, rounded to float32;
  pooled feature: global_embed normalised the same way;
- centers: per-class sum of object features (float64), normalised;
- TagOOD: max_c cos(object, center_c) x max tag prob, 0 without tokens; the symmetric variant scores an
  image without tokens by its pooled feature x (its best tag prob, or tag_threshold);
- KNN: k-th largest inner product with the id-train object features (brute force), -sqrt(2 - 2 s);
- Mahalanobis: OpenOOD's MDS recipe: class means, sklearn EmpiricalCovariance of the class-centered
  training features, precision = pinv(covariance), -min_c (x - mu_c)^T P (x - mu_c).

Usage: tools/make_reduce_fixtures.py [output.json]
"""
import json
import os
import sys

import numpy as np
from sklearn.covariance import EmpiricalCovariance

D, CLASSES, K, TAG_THRESHOLD = 8, 3, 5, 0.68


def image(rng, mean, with_tokens=True):
    n = int(rng.integers(1, 5)) if with_tokens else 0
    tokens = (mean + rng.normal(0, 1, (n, D))).astype(np.float32)
    glob = (0.5 * mean + rng.normal(0, 1, D)).astype(np.float32)
    tags = int(rng.integers(1, 4)) if with_tokens else 0
    probs = rng.uniform(0.5, 1.0, tags).astype(np.float32)
    return {"tokens": tokens, "global": glob, "tag_probs": probs}


def normalise32(v):
    v = np.asarray(v, dtype=np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def features(img):
    obj = normalise32(img["tokens"].astype(np.float64).mean(axis=0)) if len(img["tokens"]) else None
    return obj, normalise32(img["global"].astype(np.float64))


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "Tests", "ReduceTests", "Fixtures", "reduce_reference.json")
    rng = np.random.default_rng(20240711)
    means = rng.normal(0, 2, (CLASSES, D))
    train = [(c, image(rng, means[c])) for c in range(CLASSES) for _ in range(20)]
    val = [(c, image(rng, means[c])) for c in range(CLASSES) for _ in range(5)]
    ood = [(-1, image(rng, rng.normal(0, 1.5, D), with_tokens=(i % 3 != 0))) for i in range(12)]

    tr_obj = np.array([features(i)[0] for _, i in train], dtype=np.float64)
    tr_pool = np.array([features(i)[1] for _, i in train], dtype=np.float64)
    tr_lab = np.array([c for c, _ in train])

    sums = np.array([tr_obj[tr_lab == c].sum(axis=0) for c in range(CLASSES)])
    centers = (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32).astype(np.float64)

    def mds(train_x):
        mu = np.array([train_x[tr_lab == c].mean(axis=0) for c in range(CLASSES)])
        centered = train_x - mu[tr_lab]
        cov = EmpiricalCovariance(assume_centered=False).fit(centered).covariance_
        return mu, np.linalg.pinv(cov)

    mu_o, prec_o = mds(tr_obj)
    mu_p, prec_p = mds(tr_pool)

    def maha(x, mu, prec):
        d = [np.einsum("ij,jk,ik->i", x - m, prec, x - m) for m in mu]
        return -np.min(np.array(d), axis=0)

    def score(rows):
        feats, pooled, has, tagmax = [], [], [], []
        for _, img in rows:
            obj, pool = features(img)
            has.append(obj is not None)
            feats.append(obj if obj is not None else pool)
            pooled.append(pool)
            tagmax.append(float(img["tag_probs"].max()) if len(img["tag_probs"]) else None)
        f = np.array(feats, dtype=np.float64)
        p = np.array(pooled, dtype=np.float64)
        cos_all = f @ centers.T
        cos = cos_all.max(axis=1)
        sims = np.sort(f @ tr_obj.T, axis=1)[:, ::-1]
        kth = sims[:, K - 1]
        return {
            "tagood": [c * (t or 0.0) if h else 0.0 for c, t, h in zip(cos, tagmax, has)],
            "tagood-symmetric": [c * (t if t is not None else (0.0 if h else TAG_THRESHOLD)) for c, t, h in zip(cos, tagmax, has)],
            "max-tag-prob": [t or 0.0 for t in tagmax],
            "cosine": cos.tolist(),
            "knn": (-np.sqrt(np.maximum(0, 2 - 2 * kth))).tolist(),
            "mahalanobis-object": maha(f, mu_o, prec_o).tolist(),
            "mahalanobis-pooled": maha(p, mu_p, prec_p).tolist(),
        }, cos_all.argmax(axis=1)

    val_scores, val_pred = score(val)
    ood_scores, _ = score(ood)
    accuracy = float(np.mean(val_pred == np.array([c for c, _ in val])))

    def records(rows):
        return [{"label": int(c), "tokens": img["tokens"].astype(float).tolist(), "global": img["global"].astype(float).tolist(),
                 "tag_probs": img["tag_probs"].astype(float).tolist()} for c, img in rows]

    fixture = {
        "generator": "tools/make_reduce_fixtures.py", "embed_dim": D, "classes": CLASSES, "knn_k": K,
        "tag_threshold": TAG_THRESHOLD,
        "datasets": {"train": records(train), "val": records(val), "ood": records(ood)},
        "expected": {"centers": centers.tolist(), "top1_accuracy": accuracy, "val": val_scores, "ood": ood_scores},
    }
    with open(out_path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
