"""PyTorch side of `npm run bench` (scripts/bench/pipeline.ts): the SAME two networks the screening
pipeline runs through onnxruntime-node, evaluated with PyTorch on the CPU on the SAME inputs.

The TypeScript bench records every batch the pipeline fed to each network (and what onnxruntime
returned) into --inputs; this script rebuilds the PyTorch networks from the weights inside the ONNX
files the pipeline ran (torch_from_onnx.py: no training checkpoint needed, so a fresh clone benches
too), runs the same batches in the same order, and prints one JSON object:
  {"segmenter": {"ms": {"2": …, "1": …}, "batches": …, "maxAbsDiff": …} | {"skipped": why},
   "classifier": {…}, "torch": version, "threads": n, "peakRssMiB": …}
`maxAbsDiff` against the onnxruntime outputs shows the two runtimes ran the same network.
`macsPerSample` (multiply-accumulates of one sample through every Conv / ConvTranspose / Linear,
counted with forward hooks) turns each runtime's time into a rate, and "gemm" times one fixed fp32
matrix product (1024 × 1024 by 1024 × 1024) through PyTorch and writes it as an ONNX file
(gemm.onnx in --inputs) for onnxruntime to time too: the rate a runtime reaches on the best-shaped
work there is, on this machine at this minute, against which a network's rate can be read.

Usage: /usr/bin/python3 training/bench/torch_inference.py --inputs DIR
         [--segmenter-onnx models/candidates-segmenter.onnx]
         [--classifier-onnx models/classifier-m2.onnx] [--threads 2] [--repeats 3]
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, REPO)

from training.bench.torch_from_onnx import classifier_from_onnx, segmenter_from_onnx  # noqa: E402


def load_array(inputs, spec):
    data = np.fromfile(os.path.join(inputs, spec["file"]), dtype="<f4")
    return torch.from_numpy(data.reshape(spec["shape"]))


def macs_per_sample(module, forward, feeds):
    """Multiply-accumulates of ONE sample (the first of `feeds`) through the network's layers."""
    total = [0]

    def hook(m, inputs, out):
        if isinstance(m, torch.nn.Conv2d):
            total[0] += out.numel() * m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        elif isinstance(m, torch.nn.ConvTranspose2d):
            total[0] += inputs[0].numel() * m.kernel_size[0] * m.kernel_size[1] * (m.out_channels // m.groups)
        elif isinstance(m, torch.nn.Linear):
            total[0] += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in module.modules()]
    try:
        forward({k: v[:1] for k, v in feeds.items()})
    finally:
        for h in handles:
            h.remove()
    return total[0]


GEMM_N = 1024


def bench_gemm(inputs, repeats, threads):
    """One fp32 matrix product through PyTorch; gemm.onnx (the same product) for onnxruntime."""
    torch.manual_seed(0)
    w = torch.randn(GEMM_N, GEMM_N)

    class Product(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(w)

        def forward(self, x):
            return x @ self.w

    x = torch.randn(GEMM_N, GEMM_N)
    path = os.path.join(inputs, "gemm.onnx")
    torch.onnx.export(Product(), x, path, input_names=["x"], output_names=["y"], opset_version=13)
    ms = {}
    with torch.inference_mode():
        for n in threads:
            torch.set_num_threads(n)
            x @ w
            times = []
            for _ in range(max(repeats, 5)):
                t0 = time.perf_counter()
                x @ w
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            ms[str(n)] = times[(len(times) - 1) // 2]
    return {"ms": ms, "macs": GEMM_N ** 3, "onnx": path, "shape": [GEMM_N, GEMM_N]}


def bench(name, onnx_path, loader, batches, inputs, repeats, threads):
    if not batches:
        return {"skipped": f"the pipeline fed no batch to the {name}"}
    if not onnx_path or not os.path.exists(onnx_path):
        return {"skipped": f"{onnx_path} not present"}
    module, forward = loader(onnx_path)

    def feeds_of(b):
        # read per batch, untimed: a long CT's segmenter batches are about a GB together
        return {k: load_array(inputs, v) for k, v in b["feeds"].items()}

    max_diff = 0.0
    ms = {}
    with torch.inference_mode():
        macs = macs_per_sample(module, forward, feeds_of(batches[0]))
        for b in batches:  # warm-up, and parity with onnxruntime
            e = load_array(inputs, b["output"])
            out = forward(feeds_of(b)).reshape(e.shape)
            max_diff = max(max_diff, float((out - e).abs().max()))
        for n in threads:
            torch.set_num_threads(n)
            forward(feeds_of(batches[0]))
            times = []
            for _ in range(repeats):
                total = 0.0
                for b in batches:
                    f = feeds_of(b)
                    t0 = time.perf_counter()
                    forward(f)
                    total += time.perf_counter() - t0
                times.append(total * 1000)
            times.sort()
            ms[str(n)] = times[(len(times) - 1) // 2]
    samples = sum(b["output"]["shape"][0] for b in batches)
    return {"ms": ms, "batches": len(batches), "samples": samples, "macsPerSample": macs, "maxAbsDiff": max_diff}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--segmenter-onnx", default=os.path.join(REPO, "models/candidates-segmenter.onnx"))
    ap.add_argument("--classifier-onnx", default=os.path.join(REPO, "models/classifier-m2.onnx"))
    # OpenMP threads spin: on a busy 2-core machine 2 threads can be far slower than 1 ("2,1" times both)
    ap.add_argument("--threads", default="2", help="comma-separated thread counts to time")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    threads = [int(t) for t in a.threads.split(",")]
    torch.set_num_threads(threads[0])
    with open(os.path.join(a.inputs, "batches.json")) as f:
        recorded = json.load(f)
    out = {
        "segmenter": bench("segmenter", a.segmenter_onnx, segmenter_from_onnx, [b for b in recorded if b["model"] == "segmenter"], a.inputs, a.repeats, threads),
        "classifier": bench("classifier", a.classifier_onnx, classifier_from_onnx, [b for b in recorded if b["model"] == "classifier"], a.inputs, a.repeats, threads),
        "gemm": bench_gemm(a.inputs, a.repeats, threads),
        "torch": torch.__version__,
        "threads": threads,
        # ru_maxrss is in KiB on Linux
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
