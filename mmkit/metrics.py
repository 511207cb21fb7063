"""How sure is a number? The spread of a result over seeds, as every notebook reports it.

A claim that one setting beats another shows its spread: each setting is run
with several seeds (initial weights, batch order) and reported as mean ± std.

    mean_std(values)             (mean, sample standard deviation) of the finite values
    format_mean_std(values)      "0.97 ± 0.01", the form the notebooks print
    bootstrap_interval(values)   where an accuracy measured on a few hundred samples could
                                 have landed: a 95% interval for the mean of 0/1 scores
"""

from collections.abc import Sequence

import numpy as np


def mean_std(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """(mean, std) of the finite values: values (S,) → two floats.

    The std is the sample standard deviation (ddof = 1), the usual estimate from a
    few seeds; 0 for a single value. Infinite values (e.g. "never reached 80%")
    are left out; with none left, both are NaN.
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def format_mean_std(values: Sequence[float] | np.ndarray, decimals: int = 2) -> str:
    """"0.97 ± 0.01": `mean_std` rounded (learned numbers differ in late digits across
    CPUs); "–" when no value is finite."""
    mean, std = mean_std(values)
    if np.isnan(mean):
        return "–"
    return f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def bootstrap_interval(values: np.ndarray, level: float = 0.95, resamples: int = 2000,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval for the mean of `values` (N,).

    For an accuracy, values are 1 where a prediction is right and 0 where it is wrong;
    for the difference between two models on the same samples, values are the difference
    of their 0/1 scores per sample (a *paired* bootstrap, tighter than two separate
    intervals). Resamples N of the N values with replacement `resamples` times and returns
    the (1 − level)/2 and (1 + level)/2 quantiles of the resampled means: where the mean
    could have landed had the split drawn other samples of the same kind.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"bootstrap_interval: expected values of shape (N,) with N >= 1, "
                         f"got {values.shape}")
    if not 0 < level < 1:
        raise ValueError(f"bootstrap_interval: level must lie in (0, 1), got {level!r}")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, (resamples, values.size))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
