"""Toy data sets for the first notebooks, small enough to train on in a fraction of a second.

    toy_data            two interleaving half-moons: 2-D, two classes (notebooks 01, 02)
    make_outlier_data   points on a line, a few of them broken (notebook 03: MSE vs Huber)
    ring_of_gaussians   a ring of small Gaussian blobs: 2-D, several modes (notebook 06: GANs)
"""

from functools import lru_cache

import numpy as np

from mmkit.validate import check_count, check_positive


@lru_cache(maxsize=1)
def toy_data(n: int = 200, noise: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons, standardised: X (n, 2) float64, y (n,) int64 in {0, 1}."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X.flags.writeable = False  # cached and shared: nobody may change it
    return X, y.astype(np.int64)


def make_outlier_data(n: int = 40, n_outliers: int = 3, slope: float = 2.0,
                      intercept: float = 1.0, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on y = slope·x + intercept with noise 0.3, x in [−2, 2]; the `n_outliers`
    points of largest x are pulled down by 8 (a broken sensor, a typo).

    Returns x (n, 1), y (n, 1) and a boolean mask of the outliers (n,).
    """
    if not 0 <= n_outliers < n:
        raise ValueError(f"n_outliers must be in [0, n), got {n_outliers} with n = {n}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    y = slope * x + intercept + rng.normal(0, 0.3, n)
    outliers = np.zeros(n, dtype=bool)
    if n_outliers:
        outliers[np.argsort(x)[-n_outliers:]] = True
    y[outliers] -= 8.0
    return x[:, None], y[:, None], outliers


def ring_of_gaussians(n: int = 2048, modes: int = 8, radius: float = 2.0, std: float = 0.1,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points from `modes` round Gaussian blobs spaced evenly on a circle: the classic test of
    whether a generative model finds every mode.

    Mode k (0 ≤ k < modes) is centred at radius·(cos 2πk/modes, sin 2πk/modes) with
    standard deviation `std` along each axis; each point picks its mode uniformly at
    random. Returns X (n, 2) float64 and each point's mode (n,) int64.
    """
    n = check_count(n, "ring_of_gaussians: n", minimum=1)
    modes = check_count(modes, "ring_of_gaussians: modes", minimum=1)
    check_positive(radius, "ring_of_gaussians: radius")
    check_positive(std, "ring_of_gaussians: std")
    rng = np.random.default_rng(seed)
    mode = rng.integers(0, modes, n)
    angle = 2 * np.pi * mode / modes
    centres = radius * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + rng.normal(0.0, std, (n, 2)), mode.astype(np.int64)
