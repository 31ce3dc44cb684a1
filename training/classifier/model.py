"""Patch classifiers of paper §2.5.2.

Backbone: ResNet-18 (BasicBlock × [2, 2, 2, 2]) with stage widths 32-64-128-256, so the global
pooled feature is the paper's 256-d vector. Head: FC 256→16, then
  M1: three FC layers 16 → 64 → 32 → classes;
  M2 (location attention): the relative distance-from-edge (§2.5.1), multiplied by a scale fixed
      from the training set so it has the order of magnitude of the features, is concatenated to
      the 16-d vector: three FC layers 17 → 64 → 32 → classes.
Both models take the same two inputs (patches, distance) so the pipeline feeds them alike; M1's
graph simply does not use the distance.
"""
import torch
from torch import nn

STAGE_WIDTHS = (32, 64, 128, 256)
BLOCKS_PER_STAGE = (2, 2, 2, 2)
EMBED_DIM = 16
HEAD_HIDDEN = (64, 32)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + idt)


class ResNet18Backbone(nn.Module):
    """The classical ResNet-18 layout (7×7/2 stem + 3×3/2 max pool, four stages) at reduced width."""

    def __init__(self, in_channels=1, widths=STAGE_WIDTHS):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers = []
        cin = widths[0]
        for i, (w, n) in enumerate(zip(widths, BLOCKS_PER_STAGE)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = widths[-1]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return torch.flatten(self.pool(self.stages(self.stem(x))), 1)


class PatchClassifier(nn.Module):
    def __init__(self, num_classes, in_channels=1, use_distance=True, distance_scale=1.0):
        super().__init__()
        self.use_distance = use_distance
        self.backbone = ResNet18Backbone(in_channels)
        self.embed = nn.Sequential(nn.Linear(self.backbone.out_dim, EMBED_DIM), nn.ReLU(inplace=True))
        head_in = EMBED_DIM + (1 if use_distance else 0)
        h1, h2 = HEAD_HIDDEN
        self.head = nn.Sequential(
            nn.Linear(head_in, h1), nn.ReLU(inplace=True),
            nn.Linear(h1, h2), nn.ReLU(inplace=True),
            nn.Linear(h2, num_classes),
        )
        # a buffer, so the scale travels inside the ONNX graph and the caller feeds the raw distance
        self.register_buffer("distance_scale", torch.tensor(float(distance_scale)))

    def forward(self, patches, distance):
        z = self.embed(self.backbone(patches))
        if self.use_distance:
            z = torch.cat([z, distance * self.distance_scale], dim=1)
        return self.head(z)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
