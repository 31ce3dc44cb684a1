"""PyTorch side of `npm run bench` (scripts/bench/pipeline.ts): the SAME two networks the screening
pipeline runs through onnxruntime-node, evaluated with PyTorch on the CPU on the SAME inputs.

The TypeScript bench records every batch the pipeline fed to each network (and what onnxruntime
returned) into --inputs; this script loads the training checkpoints (the weights the ONNX files
were exported from), runs the same batches in the same order, and prints one JSON object:
  {"segmenter": {"ms": {"2": …, "1": …}, "batches": …, "maxAbsDiff": …} | {"skipped": why},
   "classifier": {…}, "torch": version, "threads": n, "peakRssMiB": …}
`maxAbsDiff` against the onnxruntime outputs shows the two runtimes ran the same network.

Usage: /usr/bin/python3 training/bench/torch_inference.py --inputs DIR
         [--segmenter-ckpt training/work/segmenter/checkpoint.pt]
         [--classifier-ckpt training/work/classifier/classifier-m2.ckpt] [--threads 2,1] [--repeats 3]
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
sys.path.insert(0, os.path.join(REPO, "training", "segmenter"))

from training.classifier.model import PatchClassifier  # noqa: E402


def load_array(inputs, spec):
    data = np.fromfile(os.path.join(inputs, spec["file"]), dtype="<f4")
    return torch.from_numpy(data.reshape(spec["shape"]))


def load_classifier(path):
    state = torch.load(path, map_location="cpu")["model"]
    k = state["head.4.weight"].shape[0]
    channels = state["backbone.stem.0.weight"].shape[1]
    use_distance = state["head.0.weight"].shape[1] == 17
    model = PatchClassifier(k, channels, use_distance=use_distance, distance_scale=float(state["distance_scale"]))
    model.load_state_dict(state)
    return model.eval(), lambda feeds: model(feeds["patches"], feeds["distance"])


def load_segmenter(path):
    from model import ProbabilityHead, UNet25D  # training/segmenter/model.py

    ck = torch.load(path, map_location="cpu")
    cfg = ck["config"]
    net = UNet25D(cfg["channels"], tuple(cfg["widths"]))
    net.load_state_dict(ck["model"])
    model = ProbabilityHead(net).eval()
    return model, lambda feeds: model(next(iter(feeds.values())))


def bench(name, ckpt, loader, batches, inputs, repeats, threads):
    if not ckpt or not os.path.exists(ckpt):
        return {"skipped": f"PyTorch checkpoint {ckpt} not present (checkpoints are not committed; run the training command)"}
    if not batches:
        return {"skipped": f"the pipeline fed no batch to the {name}"}
    _, forward = loader(ckpt)
    feeds = [{k: load_array(inputs, v) for k, v in b["feeds"].items()} for b in batches]
    expected = [load_array(inputs, b["output"]) for b in batches]
    max_diff = 0.0
    ms = {}
    with torch.inference_mode():
        for f, e in zip(feeds, expected):  # warm-up, and parity with onnxruntime
            out = forward(f).reshape(e.shape)
            max_diff = max(max_diff, float((out - e).abs().max()))
        for n in threads:
            torch.set_num_threads(n)
            forward(feeds[0])
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                for f in feeds:
                    forward(f)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            ms[str(n)] = times[len(times) // 2]
    return {"ms": ms, "batches": len(feeds), "maxAbsDiff": max_diff}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--segmenter-ckpt", default=os.path.join(REPO, "training/work/segmenter/checkpoint.pt"))
    ap.add_argument("--classifier-ckpt", default=os.path.join(REPO, "training/work/classifier/classifier-m2.ckpt"))
    # OpenMP threads spin: on a busy 2-core machine 2 threads can be far slower than 1, so both are timed
    ap.add_argument("--threads", default="2,1", help="comma-separated thread counts to time")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    threads = [int(t) for t in a.threads.split(",")]
    torch.set_num_threads(threads[0])
    with open(os.path.join(a.inputs, "batches.json")) as f:
        recorded = json.load(f)
    out = {
        "segmenter": bench("segmenter", a.segmenter_ckpt, load_segmenter, [b for b in recorded if b["model"] == "segmenter"], a.inputs, a.repeats, threads),
        "classifier": bench("classifier", a.classifier_ckpt, load_classifier, [b for b in recorded if b["model"] == "classifier"], a.inputs, a.repeats, threads),
        "torch": torch.__version__,
        "threads": threads,
        # ru_maxrss is in KiB on Linux
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
