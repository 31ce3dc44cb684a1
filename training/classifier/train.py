"""Trains one patch classifier (M1 or M2, paper §2.5.2) on tensors exported by
`ctscreen dataset patches`, fits the temperature on validation, exports ONNX and the PyTorch side of
the parity check. Called by `npm run train:classifier` (src/train/classifier/train-classifier.ts), which
then checks parity in onnxruntime-node, measures the validation tables and writes the model card.

  /usr/bin/python3 -m training.classifier.train --data DIR --variant m2 --out DIR --work DIR [...]

Seeded and resumable: a checkpoint is written after every epoch to --work and picked up when the
same configuration runs again.
"""
import argparse
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from training.common.onnx_export import export_onnx, write_parity
from training.common.runtime import (DEFAULT_THREADS, Progress, config_hash, load_checkpoint, log, save_checkpoint,
                                     setup_torch, write_json)
from training.common.tensors import PatchDataset
from training.classifier.calibrate import expected_calibration_error, fit_temperature
from training.classifier.model import PatchClassifier, count_parameters

# §2.4: "The sampling possibility of COVID-19 and Influenza-A-viral-pneumonia cases was expanded three times".
INFECTION_OVERSAMPLING = 3
# §2.4 random clipping: pad by this many pixels (edge values) and crop back at a random offset.
CROP_PAD_PX = 4
# The distance scale maps this percentile of training distances to 1 (§2.5.2 "same order of magnitude").
DISTANCE_SCALE_PERCENTILE = 95
PARITY_SAMPLES = 32

# Training-only intensity augmentation against the image-SOURCE shortcut (v1: COVID-19 from 8-bit
# images vs other pneumonia from DICOM HU was learned as "source", not "disease"). Patches arrive
# lung-window normalised in [0, 1] (preprocessing stays in TypeScript); each transform is one that
# differs between scanners, reconstructions and 8-bit exports. Each is applied to a sample with
# probability AUG_PROBABILITY.
AUG_PROBABILITY = 0.5
# window/level jitter: centre moved by up to this share of the window width (0.08 × 1500 HU = 120 HU) ...
WINDOW_SHIFT_MAX = 0.08
# ... and width scaled by a factor in this range (an exported image's display window is not known)
WINDOW_SCALE_RANGE = (0.8, 1.25)
# gamma exp(U(-g, g)): monitor / export tone curves
GAMMA_LOG_MAX = 0.3
# additive Gaussian noise, standard deviation up to this (in window units; ≈ 45 HU): dose and kernel
NOISE_SIGMA_MAX = 0.03
# Gaussian blur, sigma up to this many pixels: soft vs sharp reconstruction kernels, resampling
BLUR_SIGMA_MAX = 1.0
BLUR_KERNEL_PX = 5
# re-quantisation to between this many grey levels and 255: JPEG / 8-bit exports of different depth
QUANT_LEVELS_RANGE = (16, 255)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--variant", choices=["m1", "m2"], required=True)
    p.add_argument("--out", required=True, help="folder for <id>.onnx, <id>.train.json and parity files")
    p.add_argument("--work", required=True, help="folder for checkpoints")
    p.add_argument("--id", default=None, help="model id (default classifier-<variant>)")
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=20200219)
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (CI smoke run); 0 = no limit")
    return p.parse_args(argv)


def sampling_weights(labels, infection_ids, sources):
    """Expected draws per sample in one epoch: each class keeps its size (infection classes ×3,
    §2.4), shared equally among the sources it has, so no class is "mostly one source"."""
    labels = np.asarray(labels)
    sources = np.asarray(sources)
    w = np.zeros(len(labels), dtype=np.float64)
    for c in np.unique(labels):
        in_c = labels == c
        rep = INFECTION_OVERSAMPLING if c in infection_ids else 1
        srcs = np.unique(sources[in_c])
        for s in srcs:
            m = in_c & (sources == s)
            w[m] = rep * in_c.sum() / (len(srcs) * m.sum())
    return w


def epoch_order(labels, infection_ids, gen, sources=None):
    """Indices of one epoch (seeded). Without sources: infection samples repeated ×3, all shuffled.
    With sources: the same epoch length, drawn with replacement by sampling_weights."""
    labels = np.asarray(labels)
    reps = np.where(np.isin(labels, infection_ids), INFECTION_OVERSAMPLING, 1)
    if sources is None:
        idx = np.repeat(np.arange(len(labels)), reps)
        perm = torch.randperm(len(idx), generator=gen).numpy()
        return idx[perm]
    w = torch.from_numpy(sampling_weights(labels, infection_ids, sources))
    return torch.multinomial(w, int(reps.sum()), replacement=True, generator=gen).numpy()


def window_level(x, shift, scale):
    """Re-window lung-window values: centre moved by `shift` window widths, width × `scale`, clipped."""
    return ((x - 0.5 - shift) / scale + 0.5).clamp(0.0, 1.0)


def gaussian_kernels(sigmas, size=BLUR_KERNEL_PX):
    """One normalised 2-D Gaussian per sigma (sigma 0 = identity), shape (n, 1, size, size)."""
    r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    s = sigmas.clamp(min=1e-3)[:, None]
    g = torch.exp(-(r[None, :] ** 2) / (2 * s ** 2))
    g = g / g.sum(1, keepdim=True)
    return (g[:, :, None] * g[:, None, :])[:, None]


def intensity_augment(x, gen):
    """Window/level jitter, gamma, Gaussian noise, blur and re-quantisation, each with probability
    AUG_PROBABILITY per sample (seeded); values stay in [0, 1]."""
    n = x.shape[0]
    u = lambda *shape: torch.rand(*shape, generator=gen)
    on = u(n, 5) < AUG_PROBABILITY
    col = lambda v: v.view(n, 1, 1, 1)
    shift = torch.where(on[:, 0], (u(n) * 2 - 1) * WINDOW_SHIFT_MAX, torch.zeros(n))
    lo, hi = np.log(WINDOW_SCALE_RANGE[0]), np.log(WINDOW_SCALE_RANGE[1])
    scale = torch.where(on[:, 0], torch.exp(lo + u(n) * (hi - lo)), torch.ones(n))
    x = window_level(x, col(shift), col(scale))
    gamma = torch.where(on[:, 1], torch.exp((u(n) * 2 - 1) * GAMMA_LOG_MAX), torch.ones(n))
    x = x.clamp(min=0.0) ** col(gamma)
    sig = torch.where(on[:, 3], u(n) * BLUR_SIGMA_MAX, torch.zeros(n))
    if bool(on[:, 3].any()):
        pad = BLUR_KERNEL_PX // 2
        xp = F.pad(x.reshape(1, n * x.shape[1], *x.shape[2:]), (pad,) * 4, mode="replicate")
        k = gaussian_kernels(sig).repeat_interleave(x.shape[1], 0)
        x = F.conv2d(xp, k, groups=n * x.shape[1]).reshape(x.shape)
    noise = torch.where(on[:, 2], u(n) * NOISE_SIGMA_MAX, torch.zeros(n))
    x = (x + col(noise) * torch.randn(x.shape, generator=gen)).clamp(0.0, 1.0)
    levels = torch.where(on[:, 4], torch.randint(QUANT_LEVELS_RANGE[0], QUANT_LEVELS_RANGE[1] + 1, (n,), generator=gen).float(), torch.zeros(n))
    q = torch.round(x * col(levels.clamp(min=1))) / col(levels.clamp(min=1))
    return torch.where(col(on[:, 4]), q, x)


def augment(x, gen):
    """Random crop (edge-padded), left-right / up-down flips and transposition (§2.4), per sample."""
    n, _, h, w = x.shape
    padded = F.pad(x, (CROP_PAD_PX,) * 4, mode="replicate")
    r = torch.randint(0, 2 * CROP_PAD_PX + 1, (n, 2), generator=gen)
    f = torch.randint(0, 2, (n, 3), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        y0, x0 = int(r[i, 0]), int(r[i, 1])
        p = padded[i, :, y0:y0 + h, x0:x0 + w]
        if f[i, 0]:
            p = p.flip(2)
        if f[i, 1]:
            p = p.flip(1)
        if f[i, 2] and h == w:
            p = p.transpose(1, 2)
        out[i] = p
    return out


@torch.no_grad()
def predict_logits(model, patches, distance, batch=256):
    model.eval()
    out = []
    for s in range(0, len(patches), batch):
        out.append(model(torch.from_numpy(patches[s:s + batch]), torch.from_numpy(distance[s:s + batch, None])))
    return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)


def confusion(labels, pred, k):
    m = np.zeros((k, k), dtype=np.int64)
    for a, b in zip(labels, pred):
        m[a, b] += 1
    return m


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_torch(args.threads, args.seed)
    model_id = args.id or f"classifier-{args.variant}"
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    ds = PatchDataset(args.data)
    infection = [ds.labels.index(l) for l in ds.index["infectionLabels"]]
    tr, va = ds.indices("train"), ds.indices("validation")
    if len(tr) == 0:
        raise SystemExit(f"{args.data}: the train split is empty")
    k = len(ds.labels)
    train_d = ds.distance[tr]
    scale = 1.0 / max(float(np.percentile(train_d, DISTANCE_SCALE_PERCENTILE)), 1e-3)
    config = {k_: v for k_, v in vars(args).items() if k_ not in ("out", "work", "threads")}
    config["augmentation"] = "crop-flip-transpose + window/level, gamma, noise, blur, quantisation; sources balanced per class"
    config.update({"fingerprint": ds.index.get("fingerprintHash", ""), "count": len(ds.samples)})
    chash = config_hash(config)

    model = PatchClassifier(k, ds.channels, use_distance=args.variant == "m2", distance_scale=scale)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sources = [ds.samples[i]["source"] for i in tr]
    steps_per_epoch = (len(epoch_order(ds.label_ids[tr], infection, torch.Generator().manual_seed(0))) + args.batch_size - 1) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(total_steps, 1), pct_start=0.15)
    gen = torch.Generator().manual_seed(args.seed)
    ckpt_path = os.path.join(args.work, f"{model_id}.ckpt")
    history, start_epoch, step, elapsed_before = [], 0, 0, 0.0
    state = load_checkpoint(ckpt_path, chash)
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        torch.set_rng_state(state["torch_rng"])
        history, start_epoch, step, elapsed_before = state["history"], state["epoch"], state["step"], state["elapsed"]
        log(f"{model_id}: resuming after epoch {start_epoch} (step {step})")
    log(f"{model_id}: {len(tr)} train / {len(va)} validation patches, {count_parameters(model)} parameters, "
        f"distance scale {scale:.3f}, {args.epochs} epochs × {steps_per_epoch} steps")

    t0 = time.monotonic()
    progress = Progress(model_id, total_steps, done=step)
    x_all = torch.from_numpy(ds.patches)
    d_all = torch.from_numpy(ds.distance)[:, None]
    y_all = torch.from_numpy(ds.label_ids)
    for epoch in range(start_epoch, args.epochs):
        if args.max_steps and step >= total_steps:
            break
        model.train()
        order = tr[epoch_order(ds.label_ids[tr], infection, gen, sources)]
        loss_sum, correct, seen = 0.0, 0, 0
        for s in range(0, len(order), args.batch_size):
            if args.max_steps and step >= total_steps:
                break
            b = torch.from_numpy(order[s:s + args.batch_size])
            x = intensity_augment(augment(x_all[b], gen), gen)
            y = y_all[b]
            logits = model(x, d_all[b])
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            loss_sum += float(loss) * len(b)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(b)
            progress.update(step, f"epoch {epoch + 1}/{args.epochs} loss {loss_sum / seen:.3f}")
        entry = {"epoch": epoch + 1, "step": step, "trainLoss": loss_sum / max(seen, 1), "trainAccuracy": correct / max(seen, 1)}
        if len(va):
            vl = predict_logits(model, ds.patches[va], ds.distance[va])
            vy = ds.label_ids[va]
            entry["validationLoss"] = float(F.cross_entropy(torch.from_numpy(vl), torch.from_numpy(vy)))
            entry["validationAccuracy"] = float((vl.argmax(1) == vy).mean())
        history.append(entry)
        log(f"{model_id} epoch {epoch + 1}: " + ", ".join(f"{k_} {v:.4f}" for k_, v in entry.items() if isinstance(v, float)))
        save_checkpoint(ckpt_path, {
            "config_hash": chash, "model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
            "gen": gen.get_state(), "torch_rng": torch.get_rng_state(), "history": history, "epoch": epoch + 1,
            "step": step, "elapsed": elapsed_before + time.monotonic() - t0,
        })
    train_seconds = elapsed_before + time.monotonic() - t0

    # The last epoch is kept (no selection on validation): validation serves the temperature and the report.
    model.eval()
    result = {"id": model_id, "variant": args.variant, "labels": ds.labels, "parameters": count_parameters(model),
              "distanceScale": scale, "history": history, "trainSeconds": train_seconds, "steps": step,
              "epochs": len(history), "config": config, "torch": torch.__version__,
              "hardware": f"{platform.processor() or platform.machine()}, {args.threads} torch threads (CPU)"}
    if len(va):
        vl = predict_logits(model, ds.patches[va], ds.distance[va])
        vy = ds.label_ids[va]
        t = fit_temperature(vl, vy)
        p1 = torch.softmax(torch.from_numpy(vl), 1).numpy()
        pt = torch.softmax(torch.from_numpy(vl / t), 1).numpy()
        result["validation"] = {"count": int(len(va)), "confusion": confusion(vy, vl.argmax(1), k).tolist(),
                                "nllBefore": float(F.cross_entropy(torch.from_numpy(vl), torch.from_numpy(vy))),
                                "nllAfter": float(F.cross_entropy(torch.from_numpy(vl / t), torch.from_numpy(vy))),
                                "eceBefore": expected_calibration_error(p1, vy), "eceAfter": expected_calibration_error(pt, vy)}
    else:
        t = 1.0
    result["temperature"] = t

    onnx_path = os.path.join(args.out, f"{model_id}.onnx")
    n_par = min(PARITY_SAMPLES, len(ds.samples))
    par_idx = np.concatenate([va, tr])[:n_par]
    example = (torch.from_numpy(ds.patches[par_idx[:2]]), torch.from_numpy(ds.distance[par_idx[:2], None]))
    result["onnx"] = export_onnx(model, example, onnx_path, ["patches", "distance"], ["logits"])
    result["onnx"]["file"] = f"{model_id}.onnx"
    par_in = (torch.from_numpy(ds.patches[par_idx]), torch.from_numpy(ds.distance[par_idx, None]))
    write_parity(model, par_in, ["patches", "distance"], ["logits"], os.path.join(args.out, model_id))
    write_json(os.path.join(args.out, f"{model_id}.train.json"), result)
    log(f"{model_id}: done in {train_seconds:.0f}s, T={t:.3f}, ONNX {result['onnx']['bytes'] / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
