"""A 2-D toy data set for the first notebooks: two interleaving half-moons.

Small enough to train on in a fraction of a second and to draw every point
of the plane's decision regions (notebooks 01 and 02).
"""

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def toy_data(n: int = 200, noise: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons, standardised: X (n, 2) float64, y (n,) int64 in {0, 1}."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X.flags.writeable = False  # cached and shared: nobody may change it
    return X, y.astype(np.int64)
