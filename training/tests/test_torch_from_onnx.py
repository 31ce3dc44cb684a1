"""The bench's PyTorch networks rebuilt from ONNX weights (training/bench/torch_from_onnx.py) compute
what the exported network computes (run by test/bench/torch-from-onnx.test.ts)."""
import os

import numpy as np
import torch

from training.bench.onnx_weights import read_onnx
from training.bench.torch_from_onnx import classifier_from_onnx, module_path, segmenter_from_onnx
from training.classifier.model import PatchClassifier
from training.common.onnx_export import export_onnx
from training.segmenter.model import ProbabilityHead, UNet25D

torch.set_num_threads(1)
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _random_batchnorm_statistics(model, seed):
    """Trained-looking BatchNorm (γ, β, μ, σ² far from 1, 0, 0, 1), so folding them is really tested."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=g)
            m.bias.data = torch.randn(c, generator=g) * 0.3
            m.running_mean.data = torch.randn(c, generator=g) * 0.2
            m.running_var.data = 0.5 + torch.rand(c, generator=g)
    return model.eval()


def test_module_path_joins_scopes_that_repeat_their_parent():
    assert module_path("/backbone/stages/stages.0/conv1/Conv") == "backbone.stages.0.conv1"
    assert module_path("/net/down.0/down.0.0/Conv") == "net.down.0.0"
    assert module_path("/backbone/stages/stages.2/down/down.0/Conv") == "backbone.stages.2.down.0"
    assert module_path("/backbone/stem/stem.0/Conv") == "backbone.stem.0"


def test_classifier_rebuilt_from_its_onnx_export_gives_the_same_logits(tmp_path):
    torch.manual_seed(0)
    model = _random_batchnorm_statistics(PatchClassifier(3, 1, use_distance=True, distance_scale=7.5), 1)
    patches, distance = torch.rand(4, 1, 64, 64), torch.rand(4, 1)
    path = str(tmp_path / "classifier.onnx")
    export_onnx(model, [patches, distance], path, ["patches", "distance"], ["logits"])
    assert any(k.startswith("onnx::Conv") for k in read_onnx(path)["initializers"]), "BatchNorm folded into conv"
    rebuilt, forward = classifier_from_onnx(path)
    assert float(rebuilt.distance_scale) == 7.5
    with torch.no_grad():
        diff = (forward({"patches": patches, "distance": distance}) - model(patches, distance)).abs().max()
    assert float(diff) < 1e-4


def test_segmenter_rebuilt_from_its_onnx_export_gives_the_same_probabilities(tmp_path):
    torch.manual_seed(0)
    model = _random_batchnorm_statistics(ProbabilityHead(UNet25D(3, (4, 8, 16))), 2)
    x = torch.rand(2, 3, 32, 32)
    path = str(tmp_path / "segmenter.onnx")
    export_onnx(model, [x], path, ["input"], ["probability"])
    rebuilt, forward = segmenter_from_onnx(path)
    assert rebuilt.net.widths == (4, 8, 16)
    with torch.no_grad():
        diff = (forward({"input": x}) - model(x)).abs().max()
    assert float(diff) < 1e-5


def test_the_committed_models_rebuild_completely():
    # load_from_onnx fails naming any state entry the graph does not give
    for name in ("classifier-m1", "classifier-m2"):
        model, forward = classifier_from_onnx(os.path.join(REPO, "models", f"{name}.onnx"))
        with torch.no_grad():
            assert forward({"patches": torch.rand(2, 1, 64, 64), "distance": torch.rand(2, 1)}).shape == (2, 3)
        assert model.use_distance == (name == "classifier-m2")
    _, forward = segmenter_from_onnx(os.path.join(REPO, "models", "candidates-segmenter.onnx"))
    with torch.no_grad():
        p = forward({"input": torch.rand(1, 3, 128, 128)})
    assert p.shape == (1, 1, 128, 128) and 0 <= float(p.min()) and float(p.max()) <= 1
