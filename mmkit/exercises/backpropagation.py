"""Checks for notebook 02's exercises: two backward passes and one chain rule by hand.

    check_sigmoid_backward(sigmoid_backward)   dx = dout ⊙ y(1 − y), given y = σ(x): (N, D)
    check_linear_backward(linear_backward)     (dx, dW, db) of y = x Wᵀ + b
    check_tanh_neuron_gradient(answer)         ∂L/∂w of L = (tanh(w·x + b) − y)², a number

Each check runs the learner's function on fixed inputs, compares with the
formula and, when the answer is wrong, names the typical mistake behind it
(an input used in place of the output, a missing factor, a transpose, a sum
over the wrong axis, ...). It returns `Feedback` and never raises on a wrong
answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.demos.backpropagation import NEURON
from mmkit.exercises.feedback import (
    Feedback,
    NotAnswered,
    attempt,
    check,
    compare,
    compare_number,
    correct,
    diagnose,
    known_mistake,
    wrong,
)
from mmkit.scratch.layers import sigmoid

#: Shapes of the linear-backward check: all different, so a transpose cannot pass unnoticed.
N, IN, OUT = 4, 3, 2


def _as_array(answer: object) -> np.ndarray | None:
    """The answer as a float array, or None if it is not one."""
    try:
        return np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None


# --- Exercise 1: the sigmoid's backward pass ----------------------------------------------------

def sigmoid_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(dout, y): an upstream gradient and the sigmoid's outputs y = σ(x), both (5, 3)."""
    rng = np.random.default_rng(seed)
    y = sigmoid(rng.normal(0, 2, size=(5, 3)))
    dout = rng.normal(size=(5, 3))
    return dout, y


@check
def check_sigmoid_backward(sigmoid_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
                           ) -> Feedback:
    """Check `sigmoid_backward(dout, y)` → dx = dout ⊙ y ⊙ (1 − y); all (N, D)."""
    dout, y = sigmoid_case()
    got = attempt(sigmoid_backward, dout.copy(), y.copy())
    expected = dout * y * (1 - y)
    array = _as_array(got) if got is not None else None
    if array is not None and array.shape == expected.shape and np.allclose(array, expected):
        return correct("Correct! σ'(x) = y(1 − y) reuses the forward output: the backward "
                       "pass needs no exp at all.")
    again = sigmoid(y)
    mistake = known_mistake(got, [
        (dout * again * (1 - again),
         "dx: you applied σ to y again. y is already σ(x), the layer's output: "
         "σ'(x) = y(1 − y), with y as it is."),
        (dout * y, "dx is missing the factor (1 − y): σ'(x) = σ(x)(1 − σ(x)) = y(1 − y)."),
        (dout * (1 - y), "dx is missing the factor y: σ'(x) = y(1 − y)."),
        (y * (1 - y), "dx is σ'(x) alone: multiply by the upstream gradient dout "
                      "(chain rule: upstream × local)."),
        (-expected, "dx has the opposite sign: σ'(x) = y(1 − y) is never negative, so dx "
                    "has the sign of dout. Drop the minus."),
        (dout * y * (1 + y), "dx uses (1 + y): the factor is (1 − y)."),
    ])
    return mistake if mistake is not None else compare(got, expected, name="dx")


# --- Exercise 2: the linear layer's backward pass -----------------------------------------------

def linear_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dout, x, W): dout (4, 2), x (4, 3), W (2, 3), i.e. (N, out), (N, in), (out, in)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, OUT)), rng.normal(size=(N, IN)), rng.normal(size=(OUT, IN))


SHAPES = (f"Shapes tell you the formula: dout is (N, out) = ({N}, {OUT}), x is (N, in) = "
          f"({N}, {IN}), W is (out, in) = ({OUT}, {IN}); each gradient has the shape of what "
          "it is the gradient of.")


@check
def check_linear_backward(linear_backward: Callable[..., tuple[np.ndarray, ...]]) -> Feedback:
    """Check `linear_backward(dout, x, W)` → (dx, dW, db) for y = x Wᵀ + b.

    dout: (N, out), x: (N, in), W: (out, in) → dx: (N, in), dW: (out, in), db: (out,).
    """
    dout, x, W = linear_case()
    try:
        result = attempt(linear_backward, dout.copy(), x.copy(), W.copy())
    except NotAnswered as failure:
        if failure.feedback.message.startswith("Your code raised"):
            return wrong(f"{failure.feedback.message}. {SHAPES}")
        raise
    if not isinstance(result, tuple | list) or len(result) != 3:
        kind = "None" if result is None else type(result).__name__
        return wrong(f"linear_backward should return three arrays, `return dx, dW, db`; "
                     f"got {kind}" + (f" of length {len(result)}"
                                      if isinstance(result, tuple | list) else ""))
    dx, dW, db = result
    n = len(x)

    expected_dx = dout @ W
    problem = diagnose(dx, expected_dx, [
        (dout @ W / n, "dx is divided by N: the layer does not average; any 1/N is already "
                       "inside dout, put there by the loss."),
    ], name="dx", hint="dx = dout W has x's shape (N, in). " + SHAPES)
    if problem is not None:
        return problem

    expected_dW = dout.T @ x
    problem = diagnose(dW, expected_dW, [
        (x.T @ dout, f"dW has shape ({IN}, {OUT}): it is xᵀ dout, the transpose. W is "
                     f"(out, in) = ({OUT}, {IN}), so dW = doutᵀ x."),
        (dout.T @ x / n, "dW is divided by N: sum over the batch, do not average (the loss "
                         "already put any 1/N into dout)."),
        (np.einsum("no,ni->noi", dout, x), "dW has one matrix per example, shape "
                                           f"({N}, {OUT}, {IN}): sum them over the batch; "
                                           "doutᵀ x does that sum for you."),
    ], name="dW", hint="dW = doutᵀ x has W's shape (out, in). " + SHAPES)
    if problem is not None:
        return problem

    expected_db = dout.sum(axis=0)
    problem = diagnose(db, expected_db, [
        (dout.sum(axis=1), f"db summed over the wrong axis: axis 1 gives one value per "
                           f"example, shape ({N},). The bias is shared by every example: "
                           f"sum over the batch, axis 0, shape ({OUT},)."),
        (dout, f"db has one row per example, shape ({N}, {OUT}): the bias is shared by every "
               "example, so its gradient is the sum over the batch, dout.sum(axis=0)."),
        (dout.mean(axis=0), "db is the mean over the batch: use the sum (the loss already put "
                            "any 1/N into dout)."),
        (dout.sum(axis=0, keepdims=True), f"db has shape (1, {OUT}): drop keepdims, the bias "
                                          f"has shape ({OUT},)."),
        (dout.sum(), "db is a single number: sum over the batch only (axis 0), one value per "
                     "output."),
    ], name="db", hint="db = Σₙ dout has b's shape (out,).")
    if problem is not None:
        return problem
    return correct("Correct! dx = dout W, dW = doutᵀ x, db = Σₙ dout: what Linear.backward "
                   "computes, and what PyTorch computes for nn.Linear.")


# --- Exercise 3: the chain rule by hand on a tanh neuron ----------------------------------------

def tanh_neuron_gradients(x: float = NEURON["x"], w: float = NEURON["w"], b: float = NEURON["b"],
                          y: float = NEURON["y"]) -> dict[str, float]:
    """∂L/∂w of L = (tanh(w·x + b) − y)², and the numbers typical mistakes give instead."""
    t = np.tanh(w * x + b)
    s = float(sigmoid(np.float64(w * x + b)))
    return {
        "right": 2 * (t - y) * (1 - t**2) * x,
        "sigmoid neuron": 2 * (s - y) * s * (1 - s) * x,
        "sigmoid derivative": 2 * (t - y) * t * (1 - t) * x,
        "no 2": (t - y) * (1 - t**2) * x,
        "no x": 2 * (t - y) * (1 - t**2),
        "1 - z²": 2 * (t - y) * (1 - (w * x + b) ** 2) * x,
        "w for x": 2 * (t - y) * (1 - t**2) * w,
    }


HINTS = {
    "sigmoid neuron": "that is ∂L/∂w of the sigmoid neuron from section 2. Here ŷ = tanh(z): "
                      "recompute ŷ, e, and use tanh'(z) = 1 − tanh²(z).",
    "sigmoid derivative": "you used ŷ(1 − ŷ), the sigmoid's derivative. For tanh, "
                          "∂ŷ/∂z = 1 − tanh²(z) = 1 − ŷ².",
    "no 2": "half the right value: the factor 2 from ∂L/∂e = 2e is missing.",
    "no x": "that is ∂L/∂b (or ∂L/∂(wx)): the last link, ∂(w·x)/∂w = x, is missing.",
    "1 - z²": "1 − z² is not tanh's derivative: it is 1 − tanh²(z), with z = w·x + b.",
    "w for x": "the last link is ∂(w·x)/∂w = x, not w.",
}


@check
def check_tanh_neuron_gradient(answer: Callable[[], float] | float) -> Feedback:
    """Check ∂L/∂w for L = (tanh(w·x + b) − y)² at x = 1.5, w = 0.8, b = −0.5, y = 1.

    answer: the number, or a function of no arguments returning it. Four
    correct decimals are enough.
    """
    got = attempt(answer) if callable(answer) else answer
    values = tanh_neuron_gradients()
    rtol, atol = 1e-3, 5e-5
    number = _as_array(got) if got is not None else None
    if number is None or number.ndim != 0:
        return compare_number(got, values["right"], name="∂L/∂w", rtol=rtol, atol=atol)
    number = float(number)
    if np.isclose(number, values["right"], rtol, atol):
        return correct(f"Correct! ∂L/∂w = 2(ŷ − y) · (1 − ŷ²) · x = {values['right']:.4f}: "
                       "one factor per edge on the path from L back to w.")
    for key, hint in HINTS.items():
        if np.isclose(number, values[key], rtol, atol):
            return wrong(f"{number:.4f}: {hint}")
    if np.isclose(number, -values["right"], rtol, atol):
        return wrong(f"{number:.4f} has the opposite sign: ∂L/∂e = 2e with e = ŷ − y "
                     "(prediction minus target), which is negative here since ŷ < y = 1.")
    return wrong(f"{number:.4f} is not ∂L/∂w (and not a mistake this check knows). Multiply "
                 "one local derivative per edge on the path L → e → ŷ → z → wx → w (five "
                 "factors), with ŷ = tanh(z) and z = w·x + b = 0.7.")
