"""Reads the training tensors written by the TypeScript exporter (`ctscreen dataset patches`).

All preprocessing lives once, in TypeScript; Python only reads:
  index.json   {"format": "ctscreen-patches", "version": 1, "channels", "size", "count", "labels", "samples": [...]}
  patches.bin  float32 little-endian, count × channels × size × size, sample order of index.json
  split.json   {"unit", "train": [groups], "validation": [groups]}
"""
import os

import numpy as np

from .runtime import read_json

FORMAT = "ctscreen-patches"


class PatchDataset:
    def __init__(self, root):
        self.root = root
        index = read_json(os.path.join(root, "index.json"))
        if index.get("format") != FORMAT:
            raise ValueError(f"{root}/index.json is not a {FORMAT} index")
        self.index = index
        self.labels = list(index["labels"])
        self.channels = int(index["channels"])
        self.size = int(index["size"])
        self.samples = index["samples"]
        n = int(index["count"])
        if n != len(self.samples):
            raise ValueError(f"{root}/index.json: count {n} but {len(self.samples)} samples")
        path = os.path.join(root, "patches.bin")
        expected = n * self.channels * self.size * self.size * 4
        if os.path.getsize(path) != expected:
            raise ValueError(f"{path}: {os.path.getsize(path)} bytes, expected {expected}")
        self.patches = np.fromfile(path, dtype="<f4").reshape(n, self.channels, self.size, self.size)
        self.label_ids = np.array([self.labels.index(s["label"]) for s in self.samples], dtype=np.int64)
        self.distance = np.array([s["distance"] for s in self.samples], dtype=np.float32)
        self.split = read_json(os.path.join(root, "split.json"))

    def indices(self, split_name):
        groups = set(self.split[split_name])
        return np.array([i for i, s in enumerate(self.samples) if s["group"] in groups], dtype=np.int64)
