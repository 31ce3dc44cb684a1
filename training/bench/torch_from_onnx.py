"""The PyTorch networks (training/classifier/model.py, training/segmenter/model.py) rebuilt from the
weights inside the committed ONNX files, so `npm run bench` compares the runtimes on a fresh clone,
where the training checkpoints are absent.

The exporter (training/common/onnx_export.py, do_constant_folding) folded every BatchNorm into the
convolution before it: the Conv initializers carry unnamed (onnx::Conv_N) folded weight and bias. The
node's name keeps the module path ('/backbone/stages/stages.0/conv1/Conv' → backbone.stages.0.conv1),
so each conv gets its folded weight, and the BatchNorm registered right after it becomes an exact
identity plus the folded bias (γ = 1, β = bias, μ = 0, σ² = 1 − ε): PyTorch still runs every BatchNorm,
as the trained network does. Named initializers (linear layers, transposed convs, the head,
distance_scale) load by name. Every state_dict entry must be filled, or this fails naming the missing.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, REPO)

from training.bench.onnx_weights import read_onnx  # noqa: E402


def module_path(node_name):
    """'/backbone/stages/stages.0/conv1/Conv' → 'backbone.stages.0.conv1' (scopes repeat their parent's prefix)."""
    path = []
    for scope in node_name.strip("/").split("/")[:-1]:
        if path and scope.startswith(path[-1] + "."):
            path[-1] = scope  # 'stages' then 'stages.0': the child's scope repeats its parent's name
        else:
            path.append(scope)
    return ".".join(path)


def _folded_convs(graph):
    """{module path: (weight, bias)} of every Conv node with unnamed (folded) initializers."""
    inits = graph["initializers"]
    out = {}
    for node in graph["nodes"]:
        if node["op"] != "Conv":
            continue
        w, b = (node["inputs"] + [None, None])[1:3]
        if w in inits and w.startswith("onnx::"):
            out[module_path(node["name"])] = (inits[w], inits[b] if b in inits else None)
    return out


def load_from_onnx(model, graph, unused=()):
    """Fills `model` (eval mode) from the ONNX graph; returns it. `unused`: state entries the graph
    legitimately lacks (the exporter drops what the forward pass never reads)."""
    inits = graph["initializers"]
    convs = _folded_convs(graph)
    state = {}
    modules = list(model.named_modules())
    for i, (name, m) in enumerate(modules):
        if name not in convs:
            continue
        weight, bias = convs[name]
        if not isinstance(m, nn.Conv2d):
            raise ValueError(f"ONNX Conv {name} is a {type(m).__name__} in the PyTorch model")
        state[f"{name}.weight"] = weight
        bn_name, bn = next(((n, x) for n, x in modules[i + 1:] if isinstance(x, (nn.BatchNorm2d, nn.Conv2d))), (None, None))
        if isinstance(bn, nn.BatchNorm2d) and m.bias is None:
            c = weight.shape[0]
            state[f"{bn_name}.weight"] = np.ones(c, "f4")
            state[f"{bn_name}.bias"] = bias if bias is not None else np.zeros(c, "f4")
            state[f"{bn_name}.running_mean"] = np.zeros(c, "f4")
            state[f"{bn_name}.running_var"] = np.full(c, 1.0 - bn.eps, "f4")
        elif bias is not None:
            state[f"{name}.bias"] = bias
    expected = model.state_dict()
    for key in expected:
        if key not in state and key in inits:
            state[key] = inits[key]
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked") and k not in unused]
    if missing:
        raise ValueError(f"ONNX graph gives no value for {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    tensors = {k: torch.from_numpy(np.asarray(v, dtype="f4").reshape(expected[k].shape)) for k, v in state.items()}
    model.load_state_dict(tensors, strict=False)
    return model.eval()


def classifier_from_onnx(path):
    """The patch classifier (M1 or M2) of training/classifier/model.py; forward(feeds) → logits."""
    from training.classifier.model import PatchClassifier

    graph = read_onnx(path)
    inits = graph["initializers"]
    stem = _folded_convs(graph)["backbone.stem.0"][0]
    use_distance = inits["head.0.weight"].shape[1] == 17
    scale = float(inits["distance_scale"]) if "distance_scale" in inits else 1.0
    model = PatchClassifier(inits["head.4.weight"].shape[0], stem.shape[1], use_distance=use_distance, distance_scale=scale)
    # M1 never reads distance_scale, so its graph has none
    model = load_from_onnx(model, graph, unused=() if use_distance else ("distance_scale",))
    return model, lambda feeds: model(feeds["patches"], feeds["distance"])


def segmenter_from_onnx(path):
    """The 2.5D U-Net with its sigmoid (training/segmenter/model.py ProbabilityHead); forward(feeds) → probability."""
    from training.segmenter.model import ProbabilityHead, UNet25D

    graph = read_onnx(path)
    convs = _folded_convs(graph)
    widths = []
    while f"net.down.{len(widths)}.0" in convs:
        widths.append(convs[f"net.down.{len(widths)}.0"][0].shape[0])
    in_channels = convs["net.down.0.0"][0].shape[1]
    model = load_from_onnx(ProbabilityHead(UNet25D(in_channels, tuple(widths))), graph)
    return model, lambda feeds: model(next(iter(feeds.values())))
