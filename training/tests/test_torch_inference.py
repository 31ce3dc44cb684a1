"""The bench's multiply-accumulate count (training/bench/torch_inference.py), which turns each
runtime's time into a rate, checked by hand on a network small enough to count on paper
(run by test/bench/torch-from-onnx.test.ts)."""
import torch
from torch import nn

from training.bench.torch_inference import macs_per_sample

torch.set_num_threads(1)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)  # 1 × 4 × 4 → 2 × 4 × 4
        self.grouped = nn.Conv2d(2, 2, 3, padding=1, groups=2)  # one input channel per output
        self.down = nn.Conv2d(2, 4, 2, stride=2)  # 2 × 4 × 4 → 4 × 2 × 2
        self.up = nn.ConvTranspose2d(4, 3, 2, stride=2)  # 4 × 2 × 2 → 3 × 4 × 4
        self.fc = nn.Linear(48, 5)

    def forward(self, x):
        y = self.up(self.down(self.grouped(self.conv(x))))
        return self.fc(y.flatten(1))


def test_macs_of_one_sample_counted_by_hand():
    m = Tiny().eval()
    # conv: 2·4·4 outputs × 3·3·1 taps = 288; grouped: 32 × 9 = 288; down: 4·2·2 × 2·2·2 = 128;
    # up: each of the 4·2·2 = 16 inputs feeds 2·2 taps of 3 channels = 192; fc: 5 × 48 = 240
    want = 288 + 288 + 128 + 192 + 240
    with torch.inference_mode():
        got = macs_per_sample(m, lambda f: m(f["x"]), {"x": torch.zeros(7, 1, 4, 4)})
    assert got == want
    # the hooks are removed afterwards: a second count gives the same, not double
    with torch.inference_mode():
        assert macs_per_sample(m, lambda f: m(f["x"]), {"x": torch.zeros(3, 1, 4, 4)}) == want
