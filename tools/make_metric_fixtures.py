#!/usr/bin/env python3
"""Writes Tests/ReduceTests/Fixtures/metrics.json: OOD metrics computed by scikit-learn.

Every case is an (ID scores, OOD scores) pair, higher score = more in-distribution, and the values
tagood must reproduce within 1e-9:

  auroc          sklearn.metrics.roc_auc_score(y, s), ID = 1
  aupr_in        sklearn.metrics.average_precision_score(y, s), ID = 1
  aupr_out       sklearn.metrics.average_precision_score(1 - y, -s), OOD = 1
  fpr95_tagood   MOS/TagOOD: on roc_curve(y, s) (ID positive), interpolate between the last vertex with
                 TPR < 0.95 and the first with TPR >= 0.95:
                 ((0.95 - tpr0) * fpr1 + (tpr1 - 0.95) * fpr0) / (tpr1 - tpr0)
  fpr95_openood  OpenOOD v1.5: fpr, tpr, _ = roc_curve(ood_indicator, -s); fpr[argmax(tpr >= 0.95)]

Run: python3 tools/make_metric_fixtures.py   (needs numpy and scikit-learn)
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ReduceTests", "Fixtures", "metrics.json")


def fpr95_tagood(y, s):
    fpr, tpr, _ = metrics.roc_curve(y, s)
    i = int(np.argmax(tpr >= 0.95))  # first vertex at or above 0.95
    if i == 0:
        return float(fpr[0])
    tpr0, fpr0, tpr1, fpr1 = tpr[i - 1], fpr[i - 1], tpr[i], fpr[i]
    return float(((0.95 - tpr0) * fpr1 + (tpr1 - 0.95) * fpr0) / (tpr1 - tpr0))


def fpr95_openood(y, s):
    fpr, tpr, _ = metrics.roc_curve(1 - y, -s)
    return float(fpr[np.argmax(tpr >= 0.95)])


def case(name, id_scores, ood_scores):
    id_scores = np.asarray(id_scores, dtype=np.float64)
    ood_scores = np.asarray(ood_scores, dtype=np.float64)
    s = np.concatenate([id_scores, ood_scores])
    y = np.concatenate([np.ones(len(id_scores), int), np.zeros(len(ood_scores), int)])
    return {
        "name": name,
        "id": id_scores.tolist(),
        "ood": ood_scores.tolist(),
        "auroc": float(metrics.roc_auc_score(y, s)),
        "aupr_in": float(metrics.average_precision_score(y, s)),
        "aupr_out": float(metrics.average_precision_score(1 - y, -s)),
        "fpr95_tagood": fpr95_tagood(y, s),
        "fpr95_openood": fpr95_openood(y, s),
    }


def main():
    rng = np.random.default_rng(2024)
    cases = [
        case("separated-normals", rng.normal(1.0, 1.0, 400), rng.normal(-0.5, 1.0, 300)),
        case("overlapping-normals", rng.normal(0.2, 1.0, 257), rng.normal(0.0, 1.0, 311)),
        case("heavy-ties", np.round(rng.normal(0.6, 0.2, 500), 1), np.round(rng.normal(0.4, 0.2, 500), 1)),
        case("all-equal", np.full(50, 0.3), np.full(40, 0.3)),
        case("single-ood", rng.uniform(0, 1, 100), [0.42]),
        case("single-id", [0.9], rng.uniform(0, 1, 60)),
        case("ood-30pct-tied-at-zero", rng.uniform(0.1, 1.0, 300),
             np.concatenate([np.zeros(90), rng.uniform(0.0, 0.8, 210)])),
        case("id-and-ood-tied-at-zero", np.concatenate([np.zeros(10), rng.uniform(0, 1, 190)]),
             np.concatenate([np.zeros(60), rng.uniform(0, 0.7, 140)])),
        case("perfect", rng.uniform(0.6, 1.0, 80), rng.uniform(0.0, 0.4, 70)),
        case("reversed", rng.uniform(0.0, 0.4, 80), rng.uniform(0.6, 1.0, 70)),
        case("tiny", [0.8, 0.4], [0.5, 0.1, 0.4]),
    ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "tools/make_metric_fixtures.py", "sklearn": sklearn.__version__, "cases": cases}, f)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
