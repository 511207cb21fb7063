"""mmkit.data.toy.ring_of_gaussians: the ring of Gaussians notebook 06's GAN learns."""

import numpy as np
import pytest

from mmkit.data.toy import ring_of_gaussians


def test_shapes_types_and_reproducibility():
    X, mode = ring_of_gaussians(1000, seed=3)
    assert X.shape == (1000, 2) and X.dtype == np.float64
    assert mode.shape == (1000,) and mode.dtype == np.int64
    assert set(mode.tolist()) == set(range(8))
    again, _ = ring_of_gaussians(1000, seed=3)
    np.testing.assert_array_equal(X, again)
    assert not np.allclose(X, ring_of_gaussians(1000, seed=4)[0])


def test_each_mode_sits_where_the_docstring_says_with_its_std():
    X, mode = ring_of_gaussians(40_000, modes=6, radius=3.0, std=0.2, seed=0)
    for k in range(6):
        angle = 2 * np.pi * k / 6
        points = X[mode == k]
        np.testing.assert_allclose(points.mean(axis=0), 3.0 * np.array([np.cos(angle),
                                                                         np.sin(angle)]),
                                   atol=0.02)
        np.testing.assert_allclose(points.std(axis=0), [0.2, 0.2], rtol=0.05)
    assert np.bincount(mode).min() > 0.9 * 40_000 / 6  # modes picked uniformly


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), r"ring_of_gaussians: n must be an int >= 1, got 0"),
    (dict(modes=2.0), r"ring_of_gaussians: modes must be an int >= 1, got 2.0"),
    (dict(radius=-1.0), r"ring_of_gaussians: radius must be a positive number, got -1.0"),
    (dict(std=0.0), r"ring_of_gaussians: std must be a positive number, got 0.0"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ring_of_gaussians(**kwargs)
