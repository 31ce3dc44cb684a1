"""Exports the trained segmenter to ONNX (legacy TorchScript exporter, fixed opset) and writes the
PyTorch reference outputs the TypeScript parity check compares onnxruntime-node against.

Writes into --out:
  <name>.onnx              input 'input' float32[batch, C, S, S] → output 'probability' float32[batch, 1, S, S]
  parity-input.f32         P × C × S × S: validation tiles (and random tiles when too few)
  parity-expected.f32      P × 1 × S × S: PyTorch probabilities for them
  parity.json              shapes, names, opset

Usage: /usr/bin/python3 training/segmenter/export_onnx.py --data DIR --work DIR --out FILE.onnx
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ProbabilityHead, UNet25D  # noqa: E402
from train import load_dataset  # noqa: E402

ONNX_OPSET = 13
PARITY_SAMPLES = 8


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="exported dataset folder")
    ap.add_argument("--work", required=True, help="training folder with checkpoint.pt")
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    ck = torch.load(os.path.join(a.work, "checkpoint.pt"))
    cfg = ck["config"]
    net = UNet25D(cfg["channels"], tuple(cfg["widths"]))
    net.load_state_dict(ck["model"])
    model = ProbabilityHead(net).eval()
    s, c = cfg["tileSize"], cfg["channels"]
    index, x, _ = load_dataset(a.data)
    val = [smp["index"] for smp in index["samples"] if smp["split"] == "validation"]
    rng = np.random.default_rng(a.seed)
    pick = list(rng.choice(val, size=min(len(val), PARITY_SAMPLES - 2), replace=False)) if val else []
    parts = [x[sorted(pick)]] if pick else []
    parts.append(rng.random((PARITY_SAMPLES - len(pick), c, s, s), dtype=np.float32))
    inp = np.ascontiguousarray(np.concatenate(parts).astype("<f4"))
    with torch.no_grad():
        expected = model(torch.from_numpy(inp)).numpy().astype("<f4")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.onnx.export(
        model,
        torch.from_numpy(inp[:1]),
        a.out,
        opset_version=ONNX_OPSET,
        input_names=["input"],
        output_names=["probability"],
        dynamic_axes={"input": {0: "batch"}, "probability": {0: "batch"}},
        do_constant_folding=True,
    )
    inp.tofile(os.path.join(a.work, "parity-input.f32"))
    expected.tofile(os.path.join(a.work, "parity-expected.f32"))
    with open(os.path.join(a.work, "parity.json"), "w") as f:
        json.dump({"samples": int(len(inp)), "inputShape": [int(len(inp)), c, s, s], "outputShape": [int(len(inp)), 1, s, s], "input": "input", "output": "probability", "opset": ONNX_OPSET, "onnx": os.path.abspath(a.out)}, f, indent=1)
    print(json.dumps({"onnx": a.out, "bytes": os.path.getsize(a.out), "paritySamples": int(len(inp))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
