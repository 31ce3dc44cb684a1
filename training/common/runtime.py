"""Shared training plumbing: threads, seeds, progress with ETA, atomic checkpoints, JSON files.

Every training command in ctscreen is seeded and resumable (issue 5): a run killed mid-way picks up
at its last completed epoch when started again with the same configuration.
"""
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch

# The development machines have 2 cores shared by several people.
DEFAULT_THREADS = 2


def setup_torch(threads=DEFAULT_THREADS, seed=0):
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def config_hash(config):
    """Checkpoints are only resumed into a run with the same configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, expected_hash):
    """Returns the checkpoint dict, or None when absent or made by another configuration."""
    if not os.path.exists(path):
        return None
    state = torch.load(path, map_location="cpu")
    if state.get("config_hash") != expected_hash:
        log(f"ignoring checkpoint {path}: made with another configuration")
        return None
    return state


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class Progress:
    """Prints `label step/total, rate, ETA` to stderr at most every `every_s` seconds."""

    def __init__(self, label, total, every_s=5.0, done=0):
        self.label = label
        self.total = max(1, total)
        self.every_s = every_s
        self.start = time.monotonic()
        self.start_done = done
        self.done = done
        self.last = 0.0

    def update(self, done, extra=""):
        self.done = done
        now = time.monotonic()
        if now - self.last < self.every_s and done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        log(f"{self.label} {done}/{self.total} ({100.0 * done / self.total:.0f}%), {rate:.1f}/s, ETA {format_seconds(eta)} {extra}".rstrip())


def format_seconds(s):
    if s != s:  # NaN
        return "?"
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s"
