"""Checks for notebook 01's exercises: a linear layer, a stable softmax, counting parameters.

    check_linear_forward(linear_forward)        y = x Wᵀ + b, x (N, in), W (out, in), b (out,)
    check_softmax(softmax)                      row-wise softmax of z (N, C), stable for any z
    check_count_parameters(count_parameters)    how many numbers mlp(sizes) learns

Each check runs the learner's function on fixed inputs, compares with the
from-scratch reference and, when the answer is wrong, names the typical
mistake behind it. It returns `Feedback` and never raises on a wrong answer.
"""

from collections.abc import Callable
from itertools import pairwise

import numpy as np

from mmkit.exercises.feedback import (
    Feedback,
    NotAnswered,
    attempt,
    check,
    compare,
    correct,
    matches,
    wrong,
)
from mmkit.scratch.layers import mlp
from mmkit.scratch.layers import softmax as reference_softmax

SHAPE_ERRORS = ("matmul", "shapes", "mismatch", "broadcast", "aligned")


def _is_shape_error(feedback: Feedback) -> bool:
    return feedback.message.startswith("Your code raised") and \
        any(word in feedback.message for word in SHAPE_ERRORS)


def _then(message: str, hint: str) -> str:
    """`message` followed by `hint`, with one full stop between them."""
    return f"{message.rstrip('.')}{'' if message.endswith(('?', '!')) else '.'} {hint}"


# --- Exercise 1: the linear map of one layer -------------------------------------------------


def _linear_case(n: int, d_in: int, d_out: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d_in)), rng.standard_normal((d_out, d_in)),
            rng.standard_normal(d_out))


def _linear_mistake(got: object, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> str | None:
    """The name of a typical mistake whose result `got` is, or None."""
    expected = x @ W.T + b
    if matches(got, x @ W.T):
        return ("You forgot the bias: y = x Wᵀ + b. Add b (shape (out,)); NumPy adds it to "
                "every row.")
    if matches(got, np.maximum(expected, 0)):
        return ("You applied ReLU. linear_forward is only the linear map; the activation is "
                "a separate layer that comes after it.")
    if W.shape[0] == W.shape[1] and matches(got, x @ W + b):
        return ("You computed x @ W + b. W is stored as (out_features, in_features), as in "
                "PyTorch (one row per output neuron), so the map is x @ W.T + b. (W was square "
                "here, so the shapes did not warn you.)")
    if matches(got, expected.T):
        return (f"Your answer has shape {np.shape(got)}: it is the transpose of y, one column "
                f"per example (W @ x.T?). Keep one row per example: x @ W.T + b has shape "
                f"{expected.shape} = (N, out).")
    return None


@check
def check_linear_forward(linear_forward: Callable) -> Feedback:
    """linear_forward(x, W, b) with x (N, in), W (out, in), b (out,) must return x Wᵀ + b (N, out).

    Tried on a non-square W (5 examples, 4 → 3) and on a square one (3 → 3), where
    x @ W does not crash but is wrong.
    """
    for n, d_in, d_out, seed in ((5, 4, 3, 1), (4, 3, 3, 2)):
        x, W, b = _linear_case(n, d_in, d_out, seed)
        try:
            got = attempt(linear_forward, x.copy(), W.copy(), b.copy())
        except NotAnswered as failure:
            if _is_shape_error(failure.feedback):
                return wrong(_then(failure.feedback.message,
                                   f"Shapes: x is {x.shape} = (N, in), W is {W.shape} = "
                                   f"(out, in), b is {b.shape} = (out,). x @ W needs W as "
                                   "(in, out): use x @ W.T, which has shape (N, out)."))
            raise
        feedback = compare(got, x @ W.T + b, "y")
        if not feedback.ok:
            return wrong(_linear_mistake(got, x, W, b) or feedback.message)
    return correct("Correct! y = x Wᵀ + b: one row per example, one column per output neuron "
                   "(row j of W holds neuron j's weights).")


# --- Exercise 2: a numerically stable softmax ------------------------------------------------


def _softmax_mistake(got: object, z: np.ndarray) -> str | None:
    """The name of a typical softmax mistake whose result `got` is, or None."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    if got.shape != z.shape or not np.all(np.isfinite(got)):
        return None
    if matches(got, np.exp(z)) or matches(got, np.exp(z - z.max(axis=1, keepdims=True))):
        return ("You returned the exponentials without normalising: divide each row by its "
                "sum, so that every row sums to 1.")
    if np.allclose(got.sum(axis=0), 1) and not np.allclose(got.sum(axis=1), 1):
        return ("Each column sums to 1, not each row: you normalised over the wrong axis. A "
                "row is one example and its columns are the classes: use axis=1 (or -1) with "
                "keepdims=True.")
    if np.isclose(got.sum(), 1):
        return ("The whole array sums to 1: you divided by the sum of all entries. Divide each "
                "row by its own sum: e.sum(axis=1, keepdims=True).")
    return None


@check
def check_softmax(softmax: Callable) -> Feedback:
    """softmax(z) with z (N, C) must return (N, C) rows of probabilities, also for huge logits.

    Three tries: ordinary logits (4, 3); one row of large logits (1000, 1001, 1002),
    where e^z overflows unless the row's max is subtracted; and rows at very
    different levels (±1000), where subtracting the max of the whole array is not enough.
    """
    rng = np.random.default_rng(3)
    ordinary = rng.standard_normal((4, 3)) * 2
    large = np.array([[1000.0, 1001.0, 1002.0]])
    apart = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0],
                      [0.0, 2.0, -1.0]])
    cases = (("ordinary logits", ordinary), ("large logits", large),
              ("rows at very different levels", apart))
    for name, z in cases:
        try:
            with np.errstate(all="ignore"):  # the feedback explains overflow; no warnings
                got = attempt(softmax, z.copy())
        except NotAnswered as failure:
            if _is_shape_error(failure.feedback) and "broadcast" in failure.feedback.message:
                return wrong(_then(failure.feedback.message,
                                   "z.max(axis=1) has shape (N,), z has (N, C): keep the "
                                   "axis, z.max(axis=1, keepdims=True), to subtract each "
                                   "row's max from its own row."))
            raise
        feedback = compare(got, reference_softmax(z, dim=1), f"softmax on {name}")
        if feedback.ok:
            continue
        mistake = _softmax_mistake(got, z)
        if mistake:
            return wrong(mistake)
        finite = np.all(np.isfinite(np.asarray(got, dtype=float))) \
            if np.shape(got) == z.shape else True
        if not finite and name == "large logits":
            return wrong(_then(feedback.message,
                               "With z = [1000, 1001, 1002], e^z overflows to inf and "
                               "inf / inf is NaN. Subtract the row's max first: softmax(z) = "
                               "softmax(z − max(z)) gives the same probabilities, and "
                               "e^(a number ≤ 0) never overflows."))
        if not finite and name == "rows at very different levels":
            return wrong(_then(feedback.message,
                               "One row is near +1000 and another near −1000: subtracting "
                               "the max of the whole array leaves e^(−2000) = 0 in the "
                               "second row, and 0 / 0 is NaN. Subtract each row's own max: "
                               "z.max(axis=1, keepdims=True)."))
        return feedback
    return correct("Correct! Every row sums to 1, and subtracting the row's max keeps e^z "
                   "finite however large the logits.")


# --- Exercise 3: counting parameters --------------------------------------------------------

PARAMETER_CASES = ((64, 32, 10), (2, 8, 8, 2), (784, 100, 10), (3, 1))


def _count_mistake(got: int, sizes: tuple[int, ...], expected: int) -> str | None:
    """The name of a typical counting mistake whose result `got` is, or None."""
    weights = sum(a * b for a, b in pairwise(sizes))
    sizes_text = list(sizes)
    if got == weights:
        return (f"count_parameters({sizes_text}) = {got} counts the weights only. Each Linear "
                "layer also has a bias per output neuron: add the out_features of every layer.")
    if got == int(np.prod(sizes)) and len(sizes) > 2:
        return (f"count_parameters({sizes_text}) = {got} is the product of all the sizes. "
                "Count layer by layer instead: Linear(a→b) has a·b weights and b biases; then "
                "add up the layers.")
    if got == expected + sizes[0]:
        return ("You gave the inputs biases too. The input is data, not a layer: only the "
                f"Linear layers have biases, one per output ({sizes_text[1:]}).")
    if got == expected - sizes[-1]:
        return "You left out the biases of the last layer (one per output, here " \
               f"{sizes[-1]})."
    return None


@check
def check_count_parameters(count_parameters: Callable) -> Feedback:
    """count_parameters(sizes) must return how many numbers mlp(sizes) learns (an int).

    Tried on several architectures and compared with the parameters of the real
    `mlp(sizes)`; the expected counts are not revealed unless the answer is right.
    """
    for sizes in PARAMETER_CASES:
        expected = sum(p.data.size for p in mlp(list(sizes), rng=0).parameters())
        got = attempt(count_parameters, list(sizes))
        if got is None:
            return wrong(f"count_parameters({list(sizes)}) returned None: did you forget to "
                         "`return` the count?")
        if isinstance(got, bool) or not isinstance(got, int | np.integer | float | np.floating) \
                or not float(got).is_integer():
            return wrong(f"count_parameters({list(sizes)}) should be a whole number, got "
                         f"{got!r} ({type(got).__name__})")
        got = int(got)
        if got == expected:
            continue
        mistake = _count_mistake(got, sizes, expected)
        if mistake:
            return wrong(mistake)
        return wrong(f"count_parameters({list(sizes)}) returned {got}, which is not the number "
                     "of parameters of mlp(sizes). For each pair of consecutive sizes (a, b) "
                     "there is a Linear(a→b): a·b weights and b biases.")
    n = sum(p.data.size for p in mlp([64, 32, 10], rng=0).parameters())
    return correct(f"Correct! mlp([64, 32, 10]) learns {n:,} numbers: 64·32 + 32·10 = 2,368 "
                   "weights and 32 + 10 = 42 biases.")
