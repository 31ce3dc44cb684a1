"""Two probes of where the segmenter's expert-slice Dice is limited (issue 9: target 0.74), on a dataset
exported by `npm run train:candidates` (its `segmentation-dataset` folder) and the committed ONNX model,
rebuilt in PyTorch from the weights inside it (training/bench/torch_from_onnx.py). An experiment, not a
training step: it changes no model.

  /usr/bin/python3 -m training.segmenter.dice_probes --data <work>/segmentation-dataset [--steps 400]

1. Test-time augmentation: the mean probability over 1, 2 and all 8 flips/rotations (training uses all
   8) on the 50 expert (Doctor-label) slices and the pseudo-label validation tiles; Dice at 0.4–0.7.
2. Fine-tuning on expert slices: the 50 expert slices split in two folds by file number (< 33 and the
   rest; the slices carry no patient ids, so slices of one patient may sit in both folds: optimistic).
   For each held-out fold, `--steps` Adam steps (lr 3e-4, batches of 24 training crops + 8 crops of
   the other fold's expert slices) from the committed weights, against a control with 32 training crops
   and no expert slices, same steps and seeds; BatchNorm stays as exported (folded into the
   convolutions, frozen). Dice on the held-out fold, on the pseudo-label validation tiles, and lesion
   pixels at 0.6 on the lesion-free LIDC-IDRI-0002 validation tiles (specificity kept or not).
One JSON line per result on stdout.
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
from training.bench.torch_from_onnx import segmenter_from_onnx  # noqa: E402
from training.segmenter.train import augment, dice_at, load_dataset, loss_fn, random_crops  # noqa: E402

THRESHOLDS = (0.4, 0.5, 0.6, 0.7)


def predict(model, xs, batch=32):
    """Probabilities (the exported model ends in its sigmoid)."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(xs), batch):
            out.append(model(torch.from_numpy(np.ascontiguousarray(xs[i : i + batch]))).squeeze(1).numpy())
    return np.concatenate(out)


def tta(model, xs, k):
    """Mean of the first k of the 8 flips/rotations, each mapped back."""
    acc = np.zeros((len(xs),) + xs.shape[2:], np.float32)
    n = 0
    for r in range(4):
        for flip in (False, True):
            if n >= k:
                return acc / n
            a = np.rot90(xs, r, axes=(2, 3))
            a = a[..., ::-1] if flip else a
            p = predict(model, a)
            p = p[..., ::-1] if flip else p
            acc += np.rot90(p, -r, axes=(1, 2))
            n += 1
    return acc / n


def dices(p, y):
    return {str(t): round(dice_at(p, y, t)["globalDice"], 4) for t in THRESHOLDS}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default="models/candidates-segmenter.onnx")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    index, x, y = load_dataset(a.data)
    s = index["samples"]
    pick = lambda f: np.array([i for i, e in enumerate(s) if f(e)])  # noqa: E731
    doctor = pick(lambda e: e["source"] == "infnet-doctor")
    pseudo_val = pick(lambda e: e["source"] == "infnet-pseudo" and e["split"] == "validation")
    lidc_val = pick(lambda e: e["source"] == "lidc-idri" and e["split"] == "validation")
    train = pick(lambda e: e["split"] == "train")
    number = lambda i: int(re.search(r"(\d+)\.(jpg|png)$", s[i]["file"]).group(1))  # noqa: E731
    folds = {"A": np.array([i for i in doctor if number(i) < 33]), "B": np.array([i for i in doctor if number(i) >= 33])}

    model, _ = segmenter_from_onnx(a.model)
    for name, sel in (("expert", doctor), ("pseudo-validation", pseudo_val)):
        for k in (1, 2, 8):
            print(json.dumps({"probe": "tta", "tiles": name, "n": len(sel), "views": k, "dice": dices(tta(model, x[sel], k), y[sel])}), flush=True)

    for held, other in (("B", "A"), ("A", "B")):
        print(json.dumps({"probe": "fine-tune", "held": held, "n": len(folds[held]), "steps": 0, "dice": dices(predict(model, x[folds[held]]), y[folds[held]])}), flush=True)
        for with_expert in (False, True):
            m, _ = segmenter_from_onnx(a.model)
            net = m.net
            opt = torch.optim.Adam(net.parameters(), lr=3e-4)
            rng = np.random.default_rng(11)
            g = torch.Generator().manual_seed(11)
            t0 = time.time()
            for _ in range(a.steps):
                ids = np.concatenate([rng.choice(train, 24), rng.choice(folds[other] if with_expert else train, 8)])
                xs, ys = random_crops(x, y, ids, 64, rng)
                xb, yb = augment(torch.from_numpy(xs), torch.from_numpy(ys).float().unsqueeze(1), g)
                net.eval()  # BatchNorm folded by the exporter: kept frozen
                loss = loss_fn(net(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            print(json.dumps({
                "probe": "fine-tune", "held": held, "n": len(folds[held]), "steps": a.steps, "expertSlices": with_expert, "seconds": round(time.time() - t0),
                "dice": dices(predict(m, x[folds[held]]), y[folds[held]]),
                "pseudoValidationDice@0.6": round(dice_at(predict(m, x[pseudo_val]), y[pseudo_val], 0.6)["globalDice"], 4),
                "lidcValidationLesionPixels@0.6": int((predict(m, x[lidc_val]) >= 0.6).sum()),
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
