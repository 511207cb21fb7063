"""mmkit.data.baselines: the per-modality yardsticks."""

import numpy as np

from mmkit.data.baselines import text_baseline_predictions


def test_text_baseline_predictions_are_digits_for_each_text():
    texts = ["one", "two", "one two", "seven"] * 3
    labels = np.array([1, 2, 1, 7] * 3)
    predicted = text_baseline_predictions(texts, labels, ["one", "seven", "unknown"])
    assert predicted.dtype == np.int64 and predicted.shape == (3,)
    assert list(predicted[:2]) == [1, 7]
