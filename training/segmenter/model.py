"""Small 2.5D U-Net: three adjacent axial slices in (z-1, z, z+1), one lesion logit map out.

Why 2.5D and not the paper's 3D V-Net (§2.3): the public masks are single axial slices
(COVID-SemiSeg) plus three coarse TB volumes, so a 3D network could not be supervised.
The neighbour slices give the network the through-plane context a 3D net would use to
tell a vessel (a tube that moves between slices) from a ground-glass focus (a blob).
"""
from __future__ import annotations

import torch
from torch import nn


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet25D(nn.Module):
    """U-Net with `len(widths)` resolution levels; input side must be divisible by 2**(levels-1)."""

    def __init__(self, in_channels: int = 3, widths: tuple[int, ...] = (8, 16, 32, 64)):
        super().__init__()
        self.widths = tuple(widths)
        self.down = nn.ModuleList()
        c = in_channels
        for w in widths:
            self.down.append(conv_block(c, w))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.upconv = nn.ModuleList()
        self.up = nn.ModuleList()
        for w_skip in reversed(widths[:-1]):
            self.upconv.append(nn.ConvTranspose2d(c, w_skip, 2, stride=2))
            self.up.append(conv_block(2 * w_skip, w_skip))
            c = w_skip
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        for upconv, block in zip(self.upconv, self.up):
            x = upconv(x)
            x = block(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)


class ProbabilityHead(nn.Module):
    """What is exported to ONNX: the sigmoid lives in the graph so TypeScript reads probabilities."""

    def __init__(self, net: UNet25D):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x))
