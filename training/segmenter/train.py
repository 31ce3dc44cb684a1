"""Trains the 2.5D candidate segmenter (paper §2.3) on tensors exported by
`ctscreen dataset segmentation` (the TypeScript preprocessing; nothing is re-normalised here).

Loss: binary cross-entropy + soft Dice. Seeded and bit-reproducible on one machine kind and thread
count (torch.use_deterministic_algorithms, every random draw from (seed, epoch)), resumable (checkpoint after every epoch, continued
automatically when the same --out is given again), progress with ETA on stderr. Writes into --out:
  checkpoint.pt        model + optimiser + schedule state, epoch, history
  train-log.jsonl      one line per epoch (loss, validation Dice, seconds)
  metrics-python.json  final validation Dice per source (lesion recall and the low threshold of
                       §3.3.2 are measured afterwards in TypeScript, through the exported ONNX)

Usage: /usr/bin/python3 training/segmenter/train.py --data DIR --out DIR [--epochs N] [--max-steps N]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import UNet25D  # noqa: E402

NEIGHBOUR_DROPOUT = 0.15
# Training crops: a fully convolutional net can learn from crops a quarter of the tile, 4× cheaper
# per sample on these 2 shared cores; half are centred on a lesion pixel so the 3 % of infection
# pixels are seen often enough to leave the all-background start.
CROP_PX = 64
# One torch thread by default: with the 2 cores shared by ~20 runnable jobs, 2 OpenMP threads
# thrash — measured 2026-12-01 on this machine, batch 32 of 48 px crops: 1 thread 1.05 s a step,
# 2 threads 11.9 s a step (the classifier measured the same, src/train/classifier/train-classifier.ts).
DEFAULT_THREADS = 1
LESION_CENTRED_SHARE = 0.5
# v2 hard negatives: of the crops not centred on a lesion, this share is centred on dense lung that
# is not lesion (vessels, hila, dependent lung, nodules: lung-window value ≥ HARD_NEGATIVE_MIN_VALUE,
# ≈ −500 HU) — where a segmenter trained only on lesion slices fires on every normal CT.
HARD_NEGATIVE_SHARE = 0.5
HARD_NEGATIVE_MIN_VALUE = 0.55
# Infection pixels weigh this much more in the cross-entropy: the candidate stage wants recall (§3.3.2).
# (v2 tried 2.0 with 10 epochs: validation Dice at 0.5 fell to 0.00 on the expert slices and 0.24
# on the pseudo-label patients, measured 2026-12-01; v2 keeps v1's 3.0 and trains 24 epochs.)
POS_WEIGHT = 3.0
VALIDATE_EVERY_EPOCHS = 4
# the resampling costs about a third of a training step on 2 cores: half the batches get it
AFFINE_PROBABILITY = 0.5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_dataset(data_dir: str):
    with open(os.path.join(data_dir, "index.json")) as f:
        index = json.load(f)
    s, c = index["tileSize"], index["channels"]
    n = len(index["samples"])
    x = np.fromfile(os.path.join(data_dir, index["inputs"]), dtype="<f4").reshape(n, c, s, s)
    y = np.fromfile(os.path.join(data_dir, index["masks"]), dtype=np.uint8).reshape(n, s, s)
    return index, x, y


def augment(x: torch.Tensor, y: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Eight flips/rotations (the 8-bit sources are stored in several orientations), a random
    window (the sources were windowed differently), mild scale/shift, neighbour dropout."""
    n = x.shape[0]
    k = int(torch.randint(0, 4, (1,), generator=g))
    x = torch.rot90(x, k, (2, 3))
    y = torch.rot90(y, k, (2, 3))
    if torch.rand(1, generator=g) < 0.5:
        x, y = x.flip(3), y.flip(3)
    lo = (torch.rand(n, 1, 1, 1, generator=g) - 0.5) * 0.3
    hi = 1 + (torch.rand(n, 1, 1, 1, generator=g) - 0.5) * 0.3
    x = ((x - lo) / (hi - lo)).clamp(0, 1)
    if torch.rand(1, generator=g) < AFFINE_PROBABILITY:
        scale = 0.85 + 0.3 * torch.rand(n, generator=g)
        shift = (torch.rand(n, 2, generator=g) - 0.5) * 0.2
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = scale
        theta[:, 1, 1] = scale
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        y = (F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False) >= 0.5).float()
    drop = torch.rand(n, generator=g) < NEIGHBOUR_DROPOUT
    if drop.any():
        centre = x[drop, 1:2]
        x[drop] = centre.expand(-1, x.shape[1], -1, -1).contiguous()
    return x.contiguous(), y.contiguous()


def random_crops(x: np.ndarray, y: np.ndarray, ids: np.ndarray, crop: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One crop per sample: centred on a random lesion pixel (LESION_CENTRED_SHARE), else on a
    dense non-lesion pixel (HARD_NEGATIVE_SHARE), else anywhere."""
    s = x.shape[-1]
    if crop >= s:
        return x[ids].copy(), y[ids].copy()
    xs = np.empty((len(ids), x.shape[1], crop, crop), np.float32)
    ys = np.empty((len(ids), crop, crop), np.uint8)
    mid = x.shape[1] // 2
    for k, i in enumerate(ids):
        pos = np.flatnonzero(y[i]) if rng.random() < LESION_CENTRED_SHARE else np.empty(0, np.int64)
        if len(pos) == 0 and rng.random() < HARD_NEGATIVE_SHARE:
            pos = np.flatnonzero((x[i, mid] >= HARD_NEGATIVE_MIN_VALUE) & (y[i] == 0))
        if len(pos):
            c = pos[rng.integers(len(pos))]
            cy, cx = divmod(int(c), s)
            y0 = min(max(cy - crop // 2 + int(rng.integers(-crop // 4, crop // 4 + 1)), 0), s - crop)
            x0 = min(max(cx - crop // 2 + int(rng.integers(-crop // 4, crop // 4 + 1)), 0), s - crop)
        else:
            y0, x0 = int(rng.integers(0, s - crop + 1)), int(rng.integers(0, s - crop + 1))
        xs[k] = x[i, :, y0 : y0 + crop, x0 : x0 + crop]
        ys[k] = y[i, y0 : y0 + crop, x0 : x0 + crop]
    return xs, ys


def loss_fn(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor(POS_WEIGHT))
    p = torch.sigmoid(logits)
    inter = (p * y).sum()
    dice = (2 * inter + 1) / (p.sum() + y.sum() + 1)
    return bce + (1 - dice)


@torch.no_grad()
def predict(model: torch.nn.Module, x: np.ndarray, batch: int = 32) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(x), batch):
        out.append(torch.sigmoid(model(torch.from_numpy(np.ascontiguousarray(x[i : i + batch])))).squeeze(1).numpy())
    return np.concatenate(out) if out else np.zeros((0,) + x.shape[2:], np.float32)


def dice_at(prob: np.ndarray, truth: np.ndarray, t: float = 0.5) -> dict:
    p = prob >= t
    g = truth > 0
    inter = float(np.logical_and(p, g).sum())
    glob = 2 * inter / max(1.0, float(p.sum() + g.sum()))
    per = []
    for i in range(len(g)):
        s = p[i].sum() + g[i].sum()
        if g[i].sum() > 0:
            per.append(2 * np.logical_and(p[i], g[i]).sum() / s)
    return {"globalDice": glob, "meanSliceDice": float(np.mean(per)) if per else None, "slices": int(len(g))}


def evaluate(model, index, x, y, val_idx) -> dict:
    res = {}
    prob_all = predict(model, x[val_idx])
    srcs = np.array([index["samples"][i]["source"] for i in val_idx])
    for src in sorted(set(srcs)):
        sel = srcs == src
        res[src] = {"dice@0.5": dice_at(prob_all[sel], y[val_idx][sel])}
    res["all"] = {"dice@0.5": dice_at(prob_all, y[val_idx])}
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--crop", type=int, default=CROP_PX, help="training crop side, px (the tile size = no crop)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--widths", default="8,16,32,64")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps in total (tiny CI runs)")
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    ap.add_argument("--stop-after-epochs", type=int, default=0, help="leave after this many epochs in this run (an interruption; run again to resume)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    index, x, y = load_dataset(a.data)
    train_idx = np.array([s["index"] for s in index["samples"] if s["split"] == "train"])
    val_idx = np.array([s["index"] for s in index["samples"] if s["split"] == "validation"])
    if len(train_idx) == 0:
        log(f"train.py: {a.data} has no training samples")
        return 2
    widths = tuple(int(v) for v in a.widths.split(","))
    config = {"widths": widths, "batchSize": a.batch_size, "lr": a.lr, "seed": a.seed, "epochs": a.epochs, "tileSize": index["tileSize"], "channels": index["channels"], "loss": f"BCE (infection weight {POS_WEIGHT}) + soft Dice", "crop": a.crop, "lesionCentredShare": LESION_CENTRED_SHARE, "hardNegativeShare": HARD_NEGATIVE_SHARE, "hardNegativeMinValue": HARD_NEGATIVE_MIN_VALUE, "deterministic": True, "optimiser": "Adam, cosine decay", "augmentation": "8 flips/rotations, random window ±15 %, scale 0.85–1.15 and shift ±10 % on half the batches, neighbour dropout 0.15"}
    model = UNet25D(index["channels"], widths)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps_per_epoch = math.ceil(len(train_idx) / a.batch_size)
    total_steps = a.epochs * steps_per_epoch if a.max_steps <= 0 else min(a.max_steps, a.epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / max(1, total_steps))))
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    start_epoch, step, history, seconds = 0, 0, [], 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck["config"] != config:
            log(f"train.py: {ckpt_path} was made with another configuration; delete it or use another --out")
            return 2
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        start_epoch, step, history, seconds = ck["epoch"], ck["step"], ck["history"], ck["seconds"]
        log(f"resuming from epoch {start_epoch} (step {step})")
    g = torch.Generator().manual_seed(a.seed)
    log(f"training on {len(train_idx)} tiles, validating on {len(val_idx)}; {total_steps} steps, {steps_per_epoch} per epoch")
    for epoch in range(start_epoch, a.epochs):
        if step >= total_steps:
            break
        if a.stop_after_epochs and epoch - start_epoch >= a.stop_after_epochs:
            log(f"stopping after {a.stop_after_epochs} epoch(s) as asked; run again to resume")
            return 0
        g.manual_seed(a.seed * 1000 + epoch)  # each epoch's order and augmentation depend only on (seed, epoch): resumable
        rng = np.random.default_rng(a.seed * 1000 + epoch)
        order = train_idx[torch.randperm(len(train_idx), generator=g).numpy()]
        model.train()
        t0 = time.time()
        run_loss, seen = 0.0, 0
        for b in range(0, len(order), a.batch_size):
            if step >= total_steps:
                break
            ids = np.sort(order[b : b + a.batch_size])
            xc, yc = random_crops(x, y, ids, a.crop, rng)
            xb = torch.from_numpy(xc)
            yb = torch.from_numpy(yc.astype(np.float32)).unsqueeze(1)
            xb, yb = augment(xb, yb, g)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            run_loss += float(loss) * len(ids)
            seen += len(ids)
            if step % 20 == 0 or step == total_steps:
                el = seconds + time.time() - t0
                rate = step / max(el, 1e-9)
                eta = (total_steps - step) / max(rate, 1e-9)
                log(f"epoch {epoch + 1}/{a.epochs} step {step}/{total_steps} loss {run_loss / seen:.4f} {seen / (time.time() - t0):.1f} tiles/s ETA {eta / 60:.1f} min")
        seconds += time.time() - t0
        last = epoch + 1 == a.epochs or step >= total_steps or (a.stop_after_epochs and epoch + 1 - start_epoch >= a.stop_after_epochs)
        val = evaluate(model, index, x, y, val_idx) if len(val_idx) and ((epoch + 1) % VALIDATE_EVERY_EPOCHS == 0 or last) else {}
        entry = {"epoch": epoch + 1, "step": step, "trainLoss": run_loss / max(1, seen), "validation": {k: v["dice@0.5"] for k, v in val.items()}, "seconds": seconds}
        history.append(entry)
        with open(os.path.join(a.out, "train-log.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        log(f"epoch {epoch + 1}: train loss {entry['trainLoss']:.4f}, validation Dice " + ", ".join(f"{k} {v['dice@0.5']['globalDice']:.3f}" for k, v in val.items()))
        torch.save({"config": config, "model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch + 1, "step": step, "history": history, "seconds": seconds}, ckpt_path)
    final = next((h["validation"] for h in reversed(history) if h["validation"]), {})
    metrics = {
        "config": config,
        "epochs": len(history),
        "steps": step,
        "trainSeconds": seconds,
        "trainTiles": int(len(train_idx)),
        "validationTiles": int(len(val_idx)),
        "validation": final,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "torch": torch.__version__,
        "threads": a.threads,
    }
    with open(os.path.join(a.out, "metrics-python.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    log(f"done: {step} steps in {seconds / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
