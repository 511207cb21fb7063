"""Input checks shared by the whole kit: errors say what was expected and what arrived.

    as_float_array, check_shape, check_finite    arrays: dtype, shape, NaN/inf
    check_index_range                            labels, token ids, row indices in [0, size)
    check_count                                  a count: an int (not a bool) ≥ a minimum
    check_positive, check_non_negative           hyper-parameters such as a learning rate
    lookup                                       a name among the accepted ones (presets, ...)
    default_rng                                  a Generator from a seed, a Generator or None
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

FLOAT_TYPES = (np.float32, np.float64)


class NonFiniteError(FloatingPointError, ValueError):
    """An array holds NaN or infinity where finite numbers are needed."""


def as_float_array(x: object, name: str = "input") -> np.ndarray:
    """`x` as a float array: float32 and float64 are kept, anything else becomes float64."""
    try:
        array = np.asarray(x)
    except Exception as error:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}") from error
    if array.dtype.type in FLOAT_TYPES:
        return array
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected an array of numbers, got dtype {array.dtype}")
    return array.astype(np.float64)


def format_shape(shape: Sequence[int | str | None]) -> str:
    """(None, 3) → "(N, 3)": None or a name stands for any size."""
    parts = ["N" if size is None else str(size) for size in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_shape(x: np.ndarray, expected: Sequence[int | str | None], name: str = "input"
                ) -> np.ndarray:
    """Raise `ValueError` unless `x.shape` matches `expected`.

    `expected` holds ints for fixed sizes and None (or a letter such as "N")
    for free ones; the same letter used twice must match the same size.
    """
    sizes: dict[str, int] = {}
    ok = x.ndim == len(expected)
    for actual, want in zip(x.shape, expected, strict=False):
        if isinstance(want, int):
            ok &= actual == want
        elif isinstance(want, str):
            ok &= sizes.setdefault(want, actual) == actual
    if not ok:
        raise ValueError(f"{name}: expected shape {format_shape(expected)}, "
                         f"got {format_shape(x.shape)}")
    return x


def check_finite(x: np.ndarray, name: str = "input") -> np.ndarray:
    """Raise `NonFiniteError` naming `name`, how many values and the first one's index."""
    finite = np.isfinite(x)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        raise NonFiniteError(f"{name}: {len(bad)} non-finite value(s), the first "
                             f"{x[first]} at index {list(first)}")
    return x


def check_index_range(indices: np.ndarray, size: int, name: str,
                      error: type[Exception] = ValueError) -> np.ndarray:
    """Raise `error` unless every entry lies in [0, size): class labels, token ids, row indices."""
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise error(f"{name} must lie in [0, {size - 1}], got values from {indices.min()} to "
                    f"{indices.max()}")
    return indices


def check_count(value: object, name: str, minimum: int = 0) -> int:
    """`value` as an int if it is a whole number ≥ `minimum`, else `ValueError`.

    Python and NumPy integers are accepted; bools (True is 1 to Python, but never a
    count) and floats such as 3.0 are refused. `name` says where, e.g. "pad: length".
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer) \
            or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def lookup(name: object, options: Mapping[str, Any] | Collection[str], what: str) -> Any:
    """`options[name]` for a mapping (the name itself for a tuple of names), or `ValueError`
    listing the accepted names.

    what: what the name names, e.g. "preset" or "optimizer", for the message
    "optimizer must be one of 'Adam', 'SGD'; got 'adam'".
    """
    if isinstance(name, str) and name in options:
        return options[name] if isinstance(options, Mapping) else name
    accepted = ", ".join(repr(key) for key in options)
    raise ValueError(f"{what} must be one of {accepted}; got {name!r}")


def check_positive(value: float, name: str) -> float:
    """Refuse a non-positive (or non-finite) hyper-parameter such as a learning rate."""
    if not (isinstance(value, int | float | np.floating) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_non_negative(value: float, name: str) -> float:
    """Refuse a negative (or non-finite) hyper-parameter such as a weight decay."""
    if not (isinstance(value, int | float | np.floating) and np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def default_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator: the one given, one seeded with an int, or (None) one seeded from NumPy's
    global state, so `nb_setup(seed)` makes even unseeded calls reproducible."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        rng = int(np.random.randint(2**31))  # noqa: NPY002 (the state nb_setup seeds)
    return np.random.default_rng(rng)
