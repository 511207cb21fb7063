"""Checks for notebook 01's exercises: a linear layer, a stable softmax, counting parameters.

    check_linear_forward(linear_forward)        y = x Wᵀ + b, x (N, in), W (out, in), b (out,)
    check_softmax(softmax)                      row-wise softmax of z (N, C), stable for any z
    check_count_parameters(count_parameters)    how many numbers mlp(sizes) learns

Each check runs the learner's function on fixed inputs, compares with the
private reference (PyTorch: `F.linear`, `torch.softmax`, the parameters of a
`torch.nn.Sequential` of `torch.nn.Linear`) and, when the answer is wrong,
names the typical mistake behind it. The kit's own versions (`Linear`,
`softmax`, `log_softmax`, `Softmax`, `mlp`, `Module.parameters`, ...) are
switched off while the learner's function runs. A check returns `Feedback`
and never raises on a wrong answer.
"""

from collections.abc import Callable
from itertools import pairwise

import numpy as np

from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    NotAnswered,
    attempt,
    check,
    correct,
    diagnose,
    known_mistake,
    wrong,
)
from mmkit.scratch.layers import Linear, Module, Softmax, log_softmax, mlp, softmax

SHAPE_ERRORS = ("matmul", "shapes", "mismatch", "broadcast", "aligned")


def _shape_error(failure: NotAnswered, hint: str, *words: str) -> NotAnswered:
    """`failure` with `hint` appended when the learner's code crashed on shapes, else as is."""
    message = failure.feedback.message
    crashed_on_shapes = message.startswith("Your code raised") and \
        any(word in message for word in words or SHAPE_ERRORS)
    if not crashed_on_shapes:
        return failure
    return NotAnswered(wrong(f"{message.rstrip('.')}. {hint}"))


# --- Exercise 1: the linear map of one layer -------------------------------------------------

#: (N, in, out, seed): a non-square W, where x @ W crashes, then a square one, where it does not.
LINEAR_CASES = ((5, 4, 3, 1), (4, 3, 3, 2))


def _linear_case(n: int, d_in: int, d_out: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d_in)), rng.standard_normal((d_out, d_in)),
            rng.standard_normal(d_out))


def _linear_mistakes(x: np.ndarray, W: np.ndarray, b: np.ndarray, expected: np.ndarray
                     ) -> list[tuple[object, str]]:
    """What the typical mistakes return on (x, W, b), and what explains each."""
    mistakes = [
        (x @ W.T, "You forgot the bias: y = x Wᵀ + b. Add b (shape (out,)); NumPy adds it to "
                  "every row."),
        (np.maximum(expected, 0), "You applied ReLU. linear_forward is only the linear map; "
                                  "the activation is a separate layer that comes after it."),
        (expected.T, f"Your answer has shape {expected.T.shape}: it is the transpose of y, one "
                     "column per example (W @ x.T?). Keep one row per example: x @ W.T + b has "
                     f"shape {expected.shape} = (N, out)."),
    ]
    if W.shape[0] == W.shape[1]:
        mistakes.append((x @ W + b, "You computed x @ W + b. W is stored as (out_features, "
                                    "in_features), as in PyTorch (one row per output neuron), "
                                    "so the map is x @ W.T + b. (W was square here, so the "
                                    "shapes did not warn you.)"))
    return mistakes


@check(kit=[Linear])
def check_linear_forward(linear_forward: Callable) -> Feedback:
    """linear_forward(x, W, b) with x (N, in), W (out, in), b (out,) must return x Wᵀ + b (N, out).

    Tried on a non-square W (5 examples, 4 → 3) and on a square one (3 → 3), where
    x @ W does not crash but is wrong. The kit's `Linear` is switched off.
    """
    for n, d_in, d_out, seed in LINEAR_CASES:
        x, W, b = _linear_case(n, d_in, d_out, seed)
        try:
            got = attempt(linear_forward, x.copy(), W.copy(), b.copy())
        except NotAnswered as failure:
            raise _shape_error(failure, f"Shapes: x is {x.shape} = (N, in), W is {W.shape} = "
                                        f"(out, in), b is {b.shape} = (out,). x @ W needs W as "
                                        "(in, out): use x @ W.T, which has shape (N, out).") \
                from None
        expected = _reference.forward_pass_linear(x, W, b)
        feedback = diagnose(got, expected, _linear_mistakes(x, W, b, expected), name="y")
        if feedback is not None:
            return feedback
    return correct("Correct! y = x Wᵀ + b: one row per example, one column per output neuron "
                   "(row j of W holds neuron j's weights).")


# --- Exercise 2: a numerically stable softmax ------------------------------------------------

UNNORMALISED = ("You returned the exponentials without normalising: divide each row by its "
                "sum, so that every row sums to 1.")
WRONG_AXIS = ("Each column sums to 1, not each row: you normalised over the wrong axis. A row "
              "is one example and its columns are the classes: use axis=1 (or -1) with "
              "keepdims=True.")
TOTAL_SUM = ("The whole array sums to 1: you divided by the sum of all entries. Divide each "
             "row by its own sum: e.sum(axis=1, keepdims=True).")


def _softmax_cases() -> tuple[tuple[np.ndarray, str], ...]:
    """(logits, the hint for a wrong answer on them): ordinary logits (4, 3); one row of
    large logits, where e^z overflows unless the row's max is subtracted; rows at very
    different levels (±1000), where subtracting the max of the whole array is not enough."""
    ordinary = np.random.default_rng(3).standard_normal((4, 3)) * 2
    large = np.array([[1000.0, 1001.0, 1002.0]])
    apart = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0], [0.0, 2.0, -1.0]])
    return ((ordinary, ""),
            (large, "With z = [1000, 1001, 1002], e^z overflows to inf and inf / inf is NaN. "
                    "Subtract the row's max first: softmax(z) = softmax(z − max(z)) gives the "
                    "same probabilities, and e^(a number ≤ 0) never overflows."),
            (apart, "One row is near +1000 and another near −1000: subtracting the max of the "
                    "whole array leaves e^(−2000) = 0 in the second row, and 0 / 0 is NaN. "
                    "Subtract each row's own max: z.max(axis=1, keepdims=True)."))


def _softmax_mistakes(z: np.ndarray) -> list[tuple[object, str]]:
    """What the typical softmax mistakes return on z (N, C), and what explains each."""
    with np.errstate(all="ignore"):
        e = np.exp(z)
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return [(e, UNNORMALISED), (shifted, UNNORMALISED),
                (e / e.sum(axis=0, keepdims=True), WRONG_AXIS),
                (shifted / shifted.sum(axis=0, keepdims=True), WRONG_AXIS),
                (e / e.sum(), TOTAL_SUM), (shifted / shifted.sum(), TOTAL_SUM)]


@check(kit=[softmax, log_softmax, Softmax])
def check_softmax(softmax: Callable) -> Feedback:
    """softmax(z) with z (N, C) must return (N, C) rows of probabilities, also for huge logits.

    Three tries (see `_softmax_cases`); the kit's `softmax`, `log_softmax` and
    `Softmax` are switched off.
    """
    for z, hint in _softmax_cases():
        try:
            with np.errstate(all="ignore"):  # the feedback explains overflow; no warnings
                got = attempt(softmax, z.copy())
        except NotAnswered as failure:
            raise _shape_error(failure, "z.max(axis=1) has shape (N,), z has (N, C): keep the "
                                        "axis, z.max(axis=1, keepdims=True), to subtract each "
                                        "row's max from its own row.", "broadcast") from None
        expected = _reference.forward_pass_softmax(z)
        # a mistake that overflows has no clear result (one that is right here, such as
        # dividing by the total on a single row, is passed over by diagnose)
        mistakes = [(result, message) for result, message in _softmax_mistakes(z)
                    if np.isfinite(result).all()]
        feedback = diagnose(got, expected, mistakes, name="your softmax", hint=hint)
        if feedback is not None:
            return feedback
    return correct("Correct! Every row sums to 1, and subtracting the row's max keeps e^z "
                   "finite however large the logits.")


# --- Exercise 3: counting parameters --------------------------------------------------------

PARAMETER_CASES = ((64, 32, 10), (2, 8, 8, 2), (784, 100, 10), (3, 1))


def _count_mistakes(sizes: tuple[int, ...], expected: int) -> list[tuple[object, str]]:
    """What the typical counting mistakes return for `sizes`, and what explains each."""
    weights = sum(a * b for a, b in pairwise(sizes))
    text = list(sizes)
    mistakes = [
        (weights, f"count_parameters({text}) = {weights} counts the weights only. Each Linear "
                  "layer also has a bias per output neuron: add the out_features of every "
                  "layer."),
        (expected + sizes[0], "You gave the inputs biases too. The input is data, not a "
                              "layer: only the Linear layers have biases, one per output "
                              f"({text[1:]})."),
        (expected - sizes[-1], "You left out the biases of the last layer (one per output, "
                               f"here {sizes[-1]})."),
    ]
    if len(sizes) > 2:  # with two sizes, the product is the weights
        product = int(np.prod(sizes))
        mistakes.append((product, f"count_parameters({text}) = {product} is the product of "
                                  "all the sizes. Count layer by layer instead: Linear(a→b) "
                                  "has a·b weights and b biases; then add up the layers."))
    return mistakes


@check(kit=[mlp, Linear, Module.parameters, Module.named_parameters,
             Module.state_dict])
def check_count_parameters(count_parameters: Callable) -> Feedback:
    """count_parameters(sizes) must return how many numbers mlp(sizes) learns (an int).

    Tried on several architectures and compared with the parameters of a
    `torch.nn.Sequential` of `torch.nn.Linear` of those sizes; the expected counts are
    not revealed unless the answer is right. The kit's `mlp` and `Linear`, and the
    `parameters`, `named_parameters` and `state_dict` every layer inherits from
    `Module`, are switched off.
    """
    for sizes in PARAMETER_CASES:
        expected = _reference.forward_pass_parameter_count(sizes)
        got = attempt(count_parameters, list(sizes))
        if got is None:
            return wrong(f"count_parameters({list(sizes)}) returned None: did you forget to "
                         "`return` the count?")
        if isinstance(got, bool) or not isinstance(got, int | np.integer | float | np.floating) \
                or not float(got).is_integer():
            return wrong(f"count_parameters({list(sizes)}) should be a whole number, got "
                         f"{got!r} ({type(got).__name__})")
        if int(got) == expected:
            continue
        mistake = known_mistake(int(got), _count_mistakes(sizes, expected))
        if mistake is not None:
            return mistake
        return wrong(f"count_parameters({list(sizes)}) returned {int(got)}, which is not the "
                     "number of parameters of mlp(sizes). For each pair of consecutive sizes "
                     "(a, b) there is a Linear(a→b): a·b weights and b biases.")
    n = _reference.forward_pass_parameter_count((64, 32, 10))
    return correct(f"Correct! mlp([64, 32, 10]) learns {n:,} numbers: 64·32 + 32·10 = 2,368 "
                   "weights and 32 + 10 = 42 biases.")
