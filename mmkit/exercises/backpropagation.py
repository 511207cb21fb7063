"""Checks for notebook 02's exercises: two backward passes and one chain rule by hand.

    check_sigmoid_backward(sigmoid_backward)   dx = dout ⊙ y(1 − y), given y = σ(x): (N, D)
    check_linear_backward(linear_backward)     (dx, dW, db) of y = x Wᵀ + b
    check_tanh_neuron_gradient(answer)         ∂L/∂w of L = (tanh(w·x + b) − y)², a number

Each check runs the learner's function on fixed inputs, compares with the
private reference (PyTorch's autograd, in `mmkit.exercises._reference`) and,
when the answer is wrong, names the typical mistake behind it (an input used
in place of the output, a missing factor, a transpose, a sum over the wrong
axis, ...). The kit's own versions are switched off while the learner's
function runs: `Sigmoid` and `Tensor.sigmoid`, `Linear`, `Tanh`, the kit's
autograd (`Tensor.backward`, `backward_steps`) and `numerical_gradient`. A
check returns `Feedback` and never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.demos.backpropagation import NEURON
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    NotAnswered,
    attempt,
    check,
    compare_number,
    correct,
    diagnose,
    known_mistake,
    unpack,
    wrong,
)
from mmkit.scratch.autograd import Tensor, backward_steps
from mmkit.scratch.gradcheck import numerical_gradient
from mmkit.scratch.layers import Linear, Sigmoid, Tanh

#: The kit's autograd: computing a gradient with it is not computing it yourself.
AUTOGRAD = (Tensor.backward, backward_steps)
#: Shapes of the linear-backward check: all different, so a transpose cannot pass unnoticed.
N, IN, OUT = 4, 3, 2


# --- Exercise 1: the sigmoid's backward pass ----------------------------------------------------

def sigmoid_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(dout, y): an upstream gradient and the sigmoid's outputs y = σ(x), both (5, 3)."""
    rng = np.random.default_rng(seed)
    y = 1 / (1 + np.exp(-rng.normal(0, 2, size=(5, 3))))
    dout = rng.normal(size=(5, 3))
    return dout, y


@check(kit=[Sigmoid, Tensor.sigmoid, *AUTOGRAD])
def check_sigmoid_backward(sigmoid_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
                           ) -> Feedback:
    """Check `sigmoid_backward(dout, y)` → dx = dout ⊙ y ⊙ (1 − y); all (N, D)."""
    dout, y = sigmoid_case()
    got = attempt(sigmoid_backward, dout.copy(), y.copy())
    expected = _reference.backpropagation_sigmoid_backward(dout, y)
    again = 1 / (1 + np.exp(-y))
    problem = diagnose(got, expected, [
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
    ], name="dx")
    if problem is not None:
        return problem
    return correct("Correct! σ'(x) = y(1 − y) reuses the forward output: the backward pass "
                   "needs no exp at all.")


# --- Exercise 2: the linear layer's backward pass -----------------------------------------------

def linear_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dout, x, W): dout (4, 2), x (4, 3), W (2, 3), i.e. (N, out), (N, in), (out, in)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, OUT)), rng.normal(size=(N, IN)), rng.normal(size=(OUT, IN))


SHAPES = (f"Shapes tell you the formula: dout is (N, out) = ({N}, {OUT}), x is (N, in) = "
          f"({N}, {IN}), W is (out, in) = ({OUT}, {IN}); each gradient has the shape of what "
          "it is the gradient of.")


@check(kit=[Linear, *AUTOGRAD])
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
    problem = unpack(result, ("dx", "dW", "db"))
    if problem is not None:
        return problem
    dx, dW, db = result
    expected_dx, expected_dW, expected_db = _reference.backpropagation_linear_backward(dout, x, W)
    n = len(x)
    problems = [
        diagnose(dx, expected_dx, [
            (expected_dx / n, "dx is divided by N: the layer does not average; any 1/N is "
                              "already inside dout, put there by the loss."),
        ], name="dx", hint="dx = dout W has x's shape (N, in). " + SHAPES),
        diagnose(dW, expected_dW, [
            (x.T @ dout, f"dW has shape ({IN}, {OUT}): it is xᵀ dout, the transpose. W is "
                         f"(out, in) = ({OUT}, {IN}), so dW = doutᵀ x."),
            (expected_dW / n, "dW is divided by N: sum over the batch, do not average (the "
                              "loss already put any 1/N into dout)."),
            (np.einsum("no,ni->noi", dout, x), "dW has one matrix per example, shape "
                                               f"({N}, {OUT}, {IN}): sum them over the batch; "
                                               "doutᵀ x does that sum for you."),
        ], name="dW", hint="dW = doutᵀ x has W's shape (out, in). " + SHAPES),
        diagnose(db, expected_db, [
            (dout.sum(axis=1), f"db summed over the wrong axis: axis 1 gives one value per "
                               f"example, shape ({N},). The bias is shared by every example: "
                               f"sum over the batch, axis 0, shape ({OUT},)."),
            (dout, f"db has one row per example, shape ({N}, {OUT}): the bias is shared by "
                   "every example, so its gradient is the sum over the batch, "
                   "dout.sum(axis=0)."),
            (expected_db / n, "db is the mean over the batch: use the sum (the loss already "
                              "put any 1/N into dout)."),
            (expected_db[None], f"db has shape (1, {OUT}): drop keepdims, the bias has shape "
                                f"({OUT},)."),
            (expected_db.sum(), "db is a single number: sum over the batch only (axis 0), one "
                                "value per output."),
        ], name="db", hint="db = Σₙ dout has b's shape (out,)."),
    ]
    for problem in problems:  # dx first, then dW, then db
        if problem is not None:
            return problem
    return correct("Correct! dx = dout W, dW = doutᵀ x, db = Σₙ dout: what Linear.backward "
                   "computes, and what PyTorch computes for nn.Linear.")


# --- Exercise 3: the chain rule by hand on a tanh neuron ----------------------------------------

#: What each typical slip (named as in `_reference.backpropagation_tanh_neuron_mistakes`) means.
TANH_MISTAKES = {
    "sigmoid neuron": "That is ∂L/∂w of the sigmoid neuron from sections 1–3. Here ŷ = tanh(z): "
                      "recompute ŷ, e, and use tanh'(z) = 1 − tanh²(z).",
    "sigmoid derivative": "You used ŷ(1 − ŷ), the sigmoid's derivative. For tanh, "
                          "∂ŷ/∂z = 1 − tanh²(z) = 1 − ŷ².",
    "no 2": "That is half the right value: the factor 2 from ∂L/∂e = 2e is missing.",
    "no x": "That is ∂L/∂b (or ∂L/∂(wx)): the last link, ∂(w·x)/∂w = x, is missing.",
    "1 - z²": "1 − z² is not tanh's derivative: it is 1 − tanh²(z), with z = w·x + b.",
    "w for x": "The last link is ∂(w·x)/∂w = x, not w.",
    "opposite sign": "That has the opposite sign: ∂L/∂e = 2e with e = ŷ − y (prediction "
                     "minus target), which is negative here since ŷ < y = 1.",
}
#: Four correct decimals are enough.
RTOL, ATOL = 1e-3, 5e-5


@check(kit=[Tanh, *AUTOGRAD, numerical_gradient])
def check_tanh_neuron_gradient(answer: Callable[[], float] | float) -> Feedback:
    """Check ∂L/∂w for L = (tanh(w·x + b) − y)² at x = 1.5, w = 0.8, b = −0.5, y = 1.

    answer: the number, or a function of no arguments returning it. Four
    correct decimals are enough.
    """
    got = attempt(answer) if callable(answer) else answer
    expected = _reference.backpropagation_tanh_neuron_gradient(**NEURON)
    values = _reference.backpropagation_tanh_neuron_mistakes(**NEURON)
    mistake = known_mistake(got, [(values[name], message)
                                  for name, message in TANH_MISTAKES.items()], RTOL, ATOL)
    if mistake is not None:
        return mistake
    feedback = compare_number(got, expected, name="∂L/∂w", rtol=RTOL, atol=ATOL)
    if feedback.ok:
        return correct(f"Correct! ∂L/∂w = 2(ŷ − y) · (1 − ŷ²) · x = {expected:.4f}: one factor "
                       "per edge on the path from L back to w.")
    end = " " if feedback.message.endswith("?") else ". "
    return wrong(f"{feedback.message}{end}Multiply one local derivative per edge on the path "
                 "L → e → ŷ → z → wx → w (five factors), with ŷ = tanh(z) and z = w·x + b = 0.7.")
