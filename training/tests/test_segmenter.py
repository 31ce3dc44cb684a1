"""Unit tests of the segmenter training code (run by test/candidates/python-segmenter.test.ts)."""
import numpy as np
import torch

from training.segmenter.model import ProbabilityHead, UNet25D
from training.segmenter.train import augment, dice_at, loss_fn, random_crops

torch.set_num_threads(1)


def test_unet_keeps_the_tile_size_and_gives_one_map_per_slice():
    torch.manual_seed(0)
    net = UNet25D(3, (4, 8, 16, 32))
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, 1, 32, 32)
    p = ProbabilityHead(net).eval()(torch.rand(1, 3, 32, 32))
    assert float(p.min()) >= 0 and float(p.max()) <= 1


def test_augment_keeps_shapes_range_and_binary_masks_and_is_seeded():
    x = torch.rand(4, 3, 16, 16)
    y = (torch.rand(4, 1, 16, 16) > 0.7).float()
    xa, ya = augment(x.clone(), y.clone(), torch.Generator().manual_seed(5))
    xb, yb = augment(x.clone(), y.clone(), torch.Generator().manual_seed(5))
    assert xa.shape == x.shape and ya.shape == y.shape
    assert float(xa.min()) >= 0 and float(xa.max()) <= 1
    assert set(torch.unique(ya).tolist()) <= {0.0, 1.0}
    assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_loss_is_lower_for_the_right_answer():
    y = torch.zeros(1, 1, 8, 8)
    y[..., 2:5, 2:5] = 1
    right = (y * 2 - 1) * 8
    assert float(loss_fn(right, y)) < 0.05 < float(loss_fn(-right, y))


def test_dice_by_hand():
    p = np.array([[[0.9, 0.9, 0.1, 0.1]]], dtype=np.float32)
    t = np.array([[[1, 0, 1, 0]]], dtype=np.uint8)
    # P = {0, 1}, T = {0, 2}: 2·1 / (2 + 2)
    assert dice_at(p, t)["globalDice"] == 0.5


def test_random_crops_find_a_single_lesion_pixel_about_half_the_time():
    x = np.random.default_rng(0).random((1, 3, 32, 32), dtype=np.float32)
    y = np.zeros((1, 32, 32), np.uint8)
    y[0, 30, 2] = 1  # one infection pixel in a corner: a random 8² crop would rarely hold it
    xs, ys = random_crops(x, y, np.zeros(40, np.int64), 8, np.random.default_rng(1))
    assert xs.shape == (40, 3, 8, 8) and ys.shape == (40, 8, 8)
    hits = int((ys.reshape(40, -1).sum(1) > 0).sum())
    assert 10 <= hits <= 32
    # a crop is a true window of the sample: its pixels occur in the source
    assert np.isin(xs[0, 0], x[0, 0]).all()
