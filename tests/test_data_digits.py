"""mmkit.data.digits: the one loader of scikit-learn's digits, and its three splits."""

import numpy as np
import pytest
from sklearn import datasets

from mmkit.data.digits import load_digits, load_digits_split


def test_load_digits_is_sklearns_read_only():
    images, labels = load_digits()
    reference = datasets.load_digits()
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(labels, reference.target)
    assert images.shape == (1797, 8, 8) and images.max() == 16
    with pytest.raises(ValueError, match="read-only"):
        images[0, 0, 0] = 1.0


def test_split_is_stratified_disjoint_standardised_and_reproducible():
    split = load_digits_split()
    sizes = [len(split.X_train), len(split.X_val), len(split.X_test)]
    assert sizes == [1077, 360, 360]
    share = np.bincount(load_digits()[1]) / 1797
    for y in (split.y_train, split.y_val, split.y_test):
        counts = np.bincount(y, minlength=10)
        np.testing.assert_allclose(counts, share * len(y), atol=1.5)  # stratified
    raw = load_digits_split(standardized=False)
    rows = {tuple(row) for row in raw.X_train}
    assert not rows & {tuple(row) for row in raw.X_val}
    assert not rows & {tuple(row) for row in raw.X_test}  # (no duplicate images in digits)
    assert sum(sizes) == 1797
    np.testing.assert_allclose(split.X_train.mean(0), 0, atol=1e-12)
    assert abs(split.X_val.mean()) > 1e-6  # validation uses the training statistics
    assert load_digits_split().X_test.tolist() == split.X_test.tolist()
    assert load_digits_split(seed=1).X_test.tolist() != split.X_test.tolist()


@pytest.mark.parametrize("val_size, test_size, message", [
    (0.0, 0.2, "val_size must be a fraction"),
    (0.2, 1.5, "test_size must be a fraction"),
    (0.5, 0.5, "must leave images to train on"),
])
def test_bad_fractions_are_refused(val_size, test_size, message):
    with pytest.raises(ValueError, match=message):
        load_digits_split(val_size, test_size)
