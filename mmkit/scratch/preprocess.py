"""Preparing inputs for the first layer: normalise, pad, encode.

The forward pass starts before the first layer: a network wants numbers on a
similar scale (normalise), of a fixed size (pad), and categories as vectors
(encode).
"""

import numpy as np

from mmkit.validate import as_float_array, check_finite, check_index_range


def standardize(train: np.ndarray, *others: np.ndarray, eps: float = 1e-8
                ) -> tuple[np.ndarray, ...]:
    """Scale each feature to mean 0 and standard deviation 1, with statistics from `train`.

    train: (N, D), others: (M, D) each → the same shapes. Using the training
    statistics for every split is the rule: the validation and test splits must
    not leak into preprocessing. Constant features (std 0) are only centred. Same result as
    scikit-learn's StandardScaler.
    """
    train = check_finite(as_float_array(train, "train"), "train")
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std < eps, 1.0, std)
    out = [(train - mean) / std]
    for i, other in enumerate(others):
        other = check_finite(as_float_array(other, f"split {i + 1}"), f"split {i + 1}")
        if other.shape[1:] != train.shape[1:]:
            expected = ", ".join(map(str, train.shape[1:]))
            raise ValueError(f"split {i + 1}: expected shape (M, {expected}), got {other.shape}")
        out.append((other - mean) / std)
    return tuple(out)


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (N,) → one-hot rows (N, num_classes) of 0.0/1.0 (torch's F.one_hot)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels: expected integers of shape (N,), got {labels.dtype} "
                         f"{labels.shape}")
    check_index_range(labels, num_classes, "labels")
    return np.eye(num_classes)[labels]


def pad(sequences: list[np.ndarray], length: int | None = None, value: float = 0.0
        ) -> tuple[np.ndarray, np.ndarray]:
    """Pad (or cut) variable-length sequences to one length, with a mask of the real entries.

    sequences: N arrays of shape (Lᵢ,) → (padded (N, L), mask (N, L) of bools);
    L is the longest sequence unless `length` is given.
    """
    length = max((len(s) for s in sequences), default=0) if length is None else length
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    padded = np.full((len(sequences), length), value, dtype=np.float64)
    mask = np.zeros((len(sequences), length), dtype=bool)
    for i, sequence in enumerate(sequences):
        sequence = np.asarray(sequence, dtype=np.float64)[:length]
        padded[i, :len(sequence)] = sequence
        mask[i, :len(sequence)] = True
    return padded, mask
