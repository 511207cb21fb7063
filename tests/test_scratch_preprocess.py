"""Preprocessing against scikit-learn and PyTorch."""

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from mmkit.scratch.preprocess import one_hot, pad, standardize


def test_standardize_matches_scikit_learn_and_uses_train_statistics():
    rng = np.random.default_rng(0)
    train, test = rng.normal(5, 3, (50, 4)), rng.normal(0, 1, (10, 4))
    train[:, 2] = 7.0  # a constant feature
    scaler = StandardScaler().fit(train)
    ours = standardize(train, test)
    np.testing.assert_allclose(ours[0], scaler.transform(train), atol=1e-12)
    np.testing.assert_allclose(ours[1], scaler.transform(test), atol=1e-12)


def test_standardize_refuses_a_split_with_other_features():
    with pytest.raises(ValueError, match=r"split 1: expected shape \(M, 4\), got \(3, 5\)"):
        standardize(np.zeros((5, 4)), np.zeros((3, 5)))


def test_one_hot_matches_torch():
    labels = np.array([0, 3, 1, 3])
    np.testing.assert_array_equal(one_hot(labels, 5),
                                  torch.nn.functional.one_hot(torch.from_numpy(labels), 5))
    with pytest.raises(ValueError, match=r"\[0, 2\], got values from 0 to 3"):
        one_hot(labels, 3)


def test_pad_and_mask():
    padded, mask = pad([np.array([1.0, 2.0]), np.array([]), np.array([3.0, 4.0, 5.0])])
    np.testing.assert_array_equal(padded, [[1, 2, 0], [0, 0, 0], [3, 4, 5]])
    np.testing.assert_array_equal(mask.sum(1), [2, 0, 3])
    cut, _ = pad([np.arange(5.0)], length=2)
    np.testing.assert_array_equal(cut, [[0, 1]])
