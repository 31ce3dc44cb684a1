"""PyTorch side of `npm run bench` (scripts/bench/pipeline.ts): the SAME two networks the screening
pipeline runs through onnxruntime-node, evaluated with PyTorch on the CPU on the SAME inputs.

The TypeScript bench records every batch the pipeline fed to each network (and what onnxruntime
returned) into --inputs; this script rebuilds the PyTorch networks from the weights inside the ONNX
files the pipeline ran (torch_from_onnx.py: no training checkpoint needed, so a fresh clone benches
too), runs the same batches in the same order, and prints one JSON object:
  {"segmenter": {"ms": {"2": …, "1": …}, "batches": …, "maxAbsDiff": …} | {"skipped": why},
   "classifier": {…}, "torch": version, "threads": n, "peakRssMiB": …}
`maxAbsDiff` against the onnxruntime outputs shows the two runtimes ran the same network.

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


def bench(name, onnx_path, loader, batches, inputs, repeats, threads):
    if not batches:
        return {"skipped": f"the pipeline fed no batch to the {name}"}
    if not onnx_path or not os.path.exists(onnx_path):
        return {"skipped": f"{onnx_path} not present"}
    _, forward = loader(onnx_path)

    def feeds_of(b):
        # read per batch, untimed: a long CT's segmenter batches are about a GB together
        return {k: load_array(inputs, v) for k, v in b["feeds"].items()}

    max_diff = 0.0
    ms = {}
    with torch.inference_mode():
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
    return {"ms": ms, "batches": len(batches), "maxAbsDiff": max_diff}


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
        "torch": torch.__version__,
        "threads": threads,
        # ru_maxrss is in KiB on Linux
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
