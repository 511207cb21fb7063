"""scikit-learn's handwritten digits: the one loader every notebook reads them with.

1,797 grey images of 8×8 pixels, ink counted from 0 to 16, labels 0–9; they
ship with scikit-learn, so nothing is downloaded. They are the test part of
UCI's optdigits, written by **13 people**, and no writer is recorded: a random
split puts the same hands in training, validation and test, so its scores say
how well a model reads *these* writers, not new ones (the mmdigits data set of
notebook 10 splits its voices properly; its images share this limit).

    load_digits()          the arrays, read-only: images (1797, 8, 8), labels (1797,)
    load_digits_split()    train / validation / test, stratified, standardised
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mmkit.scratch.preprocess import standardize

DIGIT_SIZE = 8
DIGIT_MAX = 16.0  # ink per pixel, from 0 to 16


@lru_cache(maxsize=1)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """images (1797, 8, 8) float64 in [0, 16], labels (1797,) int64; shared, so read-only."""
    from sklearn import datasets

    digits = datasets.load_digits()
    images, labels = digits.images.astype(np.float64), digits.target.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


@dataclass(frozen=True)
class Split:
    """X_*: (N, 64) float64 pixels (standardised, or raw ink 0–16); y_*: (N,) int64 digits.

    Train to fit, validation to choose (learning rate, loss, epochs...), test once at
    the end of a notebook.
    """

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray


def load_digits_split(val_size: float = 0.2, test_size: float = 0.2, seed: int = 0,
                      standardized: bool = True) -> Split:
    """The digits split at random into train / validation / test, stratified by class.

    val_size, test_size: fractions of all 1,797 images (default 20% each: 1,077 / 360 /
    360). standardized: each pixel standardised with the *training* split's mean and
    standard deviation (`standardize`), applied to all three.
    """
    from sklearn.model_selection import train_test_split

    for name, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 < size < 1:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {size!r}")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must leave images to train on; got "
                         f"{val_size} + {test_size} = {val_size + test_size}")
    images, labels = load_digits()
    X = images.reshape(len(images), -1)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, labels, test_size=test_size, random_state=seed, stratify=labels)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_size / (1 - test_size), random_state=seed,
        stratify=y_rest)
    if standardized:
        X_train, X_val, X_test = standardize(X_train, X_val, X_test)
    return Split(X_train, X_val, X_test, y_train, y_val, y_test)
