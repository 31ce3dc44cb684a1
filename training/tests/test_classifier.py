"""Unit tests of the classifier training code (run by test/classify/python-training.test.ts)."""
import numpy as np
import torch

from training.classifier.calibrate import fit_temperature, nll
from training.classifier.model import EMBED_DIM, PatchClassifier, ResNet18Backbone
from training.classifier.train import (INFECTION_OVERSAMPLING, augment, epoch_order, gaussian_kernels, intensity_augment,
                                      sampling_weights, window_level)

torch.set_num_threads(1)


def test_backbone_gives_the_papers_256_d_feature_and_the_head_16_d():
    torch.manual_seed(0)
    b = ResNet18Backbone(1)
    assert b(torch.rand(2, 1, 64, 64)).shape == (2, 256)
    m = PatchClassifier(3, 1, use_distance=True)
    assert m.embed(b(torch.rand(2, 1, 64, 64))).shape == (2, EMBED_DIM)
    assert m.head[0].in_features == EMBED_DIM + 1
    assert PatchClassifier(3, 1, use_distance=False).head[0].in_features == EMBED_DIM


def test_m2_output_depends_on_distance_and_m1_does_not():
    torch.manual_seed(0)
    x = torch.rand(4, 1, 64, 64)
    d0, d1 = torch.zeros(4, 1), torch.full((4, 1), 0.5)
    m2 = PatchClassifier(3, 1, use_distance=True, distance_scale=10.0).eval()
    m1 = PatchClassifier(3, 1, use_distance=False).eval()
    with torch.no_grad():
        assert not torch.allclose(m2(x, d0), m2(x, d1))
        assert torch.equal(m1(x, d0), m1(x, d1))
        assert float(m2.distance_scale) == 10.0


def test_temperature_fit_recovers_the_temperature_that_generated_the_labels():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, size=(4000, 3))
    t_true = 2.5
    p = np.exp(logits / t_true)
    p /= p.sum(1, keepdims=True)
    labels = np.array([rng.choice(3, p=row) for row in p])
    t = fit_temperature(logits, labels)
    assert abs(t - t_true) < 0.25, t
    assert nll(logits, labels, t) <= nll(logits, labels, 1.0)


def test_epoch_order_repeats_infection_samples_three_times():
    labels = np.array([0, 1, 2, 2, 2])
    order = epoch_order(labels, [0, 1], torch.Generator().manual_seed(0))
    counts = np.bincount(order, minlength=5)
    assert counts.tolist() == [INFECTION_OVERSAMPLING, INFECTION_OVERSAMPLING, 1, 1, 1]


def test_augment_is_seeded_and_keeps_shape_and_values():
    x = torch.rand(8, 1, 16, 16)
    a = augment(x, torch.Generator().manual_seed(3))
    b = augment(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and torch.equal(a, b)
    # crops with edge padding and flips only rearrange / repeat existing values
    assert float(a.min()) >= float(x.min()) and float(a.max()) <= float(x.max())


def test_sampling_weights_share_each_class_equally_among_its_sources_by_hand():
    # class 0 (infection): 2 samples from 'a', 1 from 'b' → class mass 3 × 3 = 9, 4.5 per source
    # class 1 (infection): 1 sample → 3; class 2: 1 sample → 1
    w = sampling_weights([0, 0, 0, 1, 2], [0, 1], ["a", "a", "b", "b", "b"])
    assert np.allclose(w, [2.25, 2.25, 4.5, 3.0, 1.0])
    order = epoch_order(np.array([0, 0, 0, 1, 2]), [0, 1], torch.Generator().manual_seed(0), ["a", "a", "b", "b", "b"])
    assert len(order) == 3 * 3 + 3 + 1


def test_window_level_by_hand():
    x = torch.tensor([0.0, 0.5, 1.0])
    # centre up by 0.1 window, width halved: (x - 0.6) / 0.5 + 0.5
    assert torch.allclose(window_level(x, 0.1, 0.5), torch.tensor([0.0, 0.3, 1.0]))
    assert torch.equal(window_level(x, 0.0, 1.0), x)


def test_gaussian_kernel_sums_to_one_and_sigma_zero_is_identity():
    k = gaussian_kernels(torch.tensor([0.0, 1.0]))
    assert k.shape == (2, 1, 5, 5)
    assert torch.allclose(k.sum((1, 2, 3)), torch.ones(2))
    assert float(k[0, 0, 2, 2]) > 0.999


def test_intensity_augment_is_seeded_in_range_and_changes_values():
    x = torch.rand(64, 1, 16, 16)
    a = intensity_augment(x, torch.Generator().manual_seed(5))
    b = intensity_augment(x, torch.Generator().manual_seed(5))
    assert a.shape == x.shape and torch.equal(a, b)
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    assert not torch.allclose(a, x)
