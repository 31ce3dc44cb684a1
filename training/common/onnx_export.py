"""ONNX export with a fixed opset, plus the PyTorch side of the parity check.

The TypeScript parity test feeds the same inputs to onnxruntime-node and compares with the outputs
PyTorch wrote here (issue 5: max |difference| ≤ 1e-4).
"""
import hashlib

import numpy as np
import torch

from .runtime import write_json

# torch 1.13 ships the TorchScript-based exporter; opset 13 is supported by it and by onnxruntime 1.x.
ONNX_OPSET = 13


def export_onnx(model, example_inputs, path, input_names, output_names):
    model.eval()
    dynamic = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(example_inputs),
            path,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic,
            opset_version=ONNX_OPSET,
            do_constant_folding=True,
        )
    with open(path, "rb") as f:
        data = f.read()
    return {"opset": ONNX_OPSET, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def write_parity(model, inputs, input_names, output_names, prefix):
    """Writes `<prefix>.parity.json` + one `<prefix>.parity.<name>.bin` per tensor (float32 LE)."""
    model.eval()
    with torch.no_grad():
        outputs = model(*inputs)
    if not isinstance(outputs, (tuple, list)):
        outputs = (outputs,)
    tensors = {}
    for name, t in list(zip(input_names, inputs)) + list(zip(output_names, outputs)):
        arr = t.detach().cpu().numpy().astype("<f4")
        arr.tofile(f"{prefix}.parity.{name}.bin")
        tensors[name] = {"shape": list(arr.shape), "file": f"{prefix.split('/')[-1]}.parity.{name}.bin"}
    write_json(f"{prefix}.parity.json", {"inputs": list(input_names), "outputs": list(output_names), "tensors": tensors})
