"""mmkit.metrics: the spread of a result over seeds."""

import math

import numpy as np
import pytest

from mmkit.metrics import bootstrap_interval, format_mean_std, mean_std


def test_mean_and_sample_std_match_numpy_and_statistics():
    import statistics

    values = [0.91, 0.95, 0.93, 0.96, 0.90]
    mean, std = mean_std(values)
    assert mean == pytest.approx(statistics.mean(values))
    assert std == pytest.approx(statistics.stdev(values))  # ddof = 1
    assert std == pytest.approx(np.std(values, ddof=1))


def test_infinite_values_are_left_out_and_none_left_is_nan():
    assert mean_std([4.0, 6.0, np.inf]) == pytest.approx((5.0, math.sqrt(2)))
    assert mean_std([3.0]) == (3.0, 0.0)
    mean, std = mean_std([np.inf, np.inf])
    assert math.isnan(mean) and math.isnan(std)


def test_format_rounds_and_says_when_nothing_is_finite():
    assert format_mean_std([0.91, 0.95, 0.93]) == "0.93 ± 0.02"
    assert format_mean_std([4.0, 5.0, 6.0], decimals=1) == "5.0 ± 1.0"
    assert format_mean_std([np.inf]) == "–"


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_samples():
    rng = np.random.default_rng(0)
    few, many = ((rng.random(n) < 0.6).astype(float) for n in (270, 2700))
    low, high = bootstrap_interval(few)
    assert low < few.mean() < high and 0.08 < high - low < 0.15  # ≈ ±1.96·√(p(1−p)/270)
    low_many, high_many = bootstrap_interval(many)
    assert high_many - low_many < (high - low) / 2
    assert bootstrap_interval(few) == (low, high)  # seeded
    assert bootstrap_interval(np.ones(5)) == (1.0, 1.0)
    with pytest.raises(ValueError, match=r"expected values of shape \(N,\)"):
        bootstrap_interval(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="level must lie in"):
        bootstrap_interval(few, level=95)
    from scipy import stats  # the library's percentile bootstrap: the same interval

    reference = stats.bootstrap((few,), np.mean, method="percentile", n_resamples=2000,
                                random_state=1).confidence_interval
    assert abs(low - reference.low) < 0.01 and abs(high - reference.high) < 0.01
