"""Checks for notebook 04's exercises: a momentum step, an Adam step, a learning rate.

Each check runs the learner's function on small fixed inputs, compares it with
the reference, and names the typical mistake when it recognises one (a flipped
sign, a velocity that was not kept, a missing bias correction, ε in the wrong
place, a learning rate that diverges or crawls). A check returns `Feedback`;
it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.exercises.feedback import (
    Feedback,
    attempt,
    check,
    compare,
    correct,
    matches,
    unpack,
    wrong,
)
from mmkit.scratch.layers import Parameter
from mmkit.scratch.optim import SGD, Adam
from mmkit.scratch.surfaces import BOWL_CURVATURES, exit_step, path_losses, trajectory

# --------------------------------------------------------------------------- momentum

MOMENTUM_CASE = dict(p=np.array([1.0, -2.0, 0.5]), g=np.array([0.3, -0.1, 0.2]),
                     velocity=np.array([0.5, 0.0, -1.0]), lr=0.1, momentum=0.9)


def momentum_reference(p: np.ndarray, g: np.ndarray, velocity: np.ndarray, lr: float,
                       momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """One step of SGD with momentum as PyTorch takes it: b ← μb + g, p ← p − ηb.

    p, g, velocity: (D,) → (new p (D,), new velocity (D,)).
    """
    velocity = momentum * velocity + g
    return p - lr * velocity, velocity


def _same(answer: object, expected: np.ndarray) -> bool:
    """`matches` at the tolerance of one optimizer step."""
    return matches(answer, expected, rtol=1e-7, atol=1e-10)


def _call(function: Callable, case: dict) -> object:
    """Call the learner's function on copies, so an in-place update cannot change the case."""
    return attempt(function, **{k: v.copy() if isinstance(v, np.ndarray) else v
                                for k, v in case.items()})


def _momentum_feedback(out: object, case: dict) -> Feedback:
    """The verdict on one momentum step, naming a recognised mistake."""
    problem = unpack(out, ("new_p", "new_velocity"))
    if problem is not None:
        return problem
    new_p, new_v = out
    p, g, b, lr, mu = (case[k] for k in ("p", "g", "velocity", "lr", "momentum"))
    expected_p, expected_v = momentum_reference(p, g, b, lr, mu)
    if _same(new_p, expected_v) and _same(new_v, expected_p):
        return wrong("you returned (velocity, p): return (new_p, new_velocity), in that order")
    # the velocity first: a wrong velocity explains a wrong step
    if not _same(new_v, expected_v):
        if _same(new_v, b):
            return wrong("your new velocity is the old one: compute b ← μb + g and return it, "
                         "so that the next step can use it (momentum is the memory of past "
                         "gradients; without storing it every step starts from scratch)")
        if _same(new_v, g):
            return wrong("your new velocity is just g: add the old velocity times μ, "
                         "b ← μb + g")
        if _same(new_v, mu * b + (1 - mu) * g):
            return wrong("your velocity is μb + (1 − μ)g, a moving average (that is "
                         "`dampening`); PyTorch's SGD adds the whole gradient: b ← μb + g")
        if _same(new_v, mu * b - g) or _same(new_v, -(mu * b + g)):
            return wrong("your velocity has the wrong sign: it accumulates gradients, "
                         "b ← μb + g; the minus sign belongs in the step p ← p − ηb")
        if _same(new_v, b + mu * g):
            return wrong("μ multiplies the old velocity, not the new gradient: b ← μb + g")
        if _same(new_v, mu * b + lr * g):
            return wrong("your velocity is μb + ηg (another convention); here η goes into the "
                         "step instead: b ← μb + g, p ← p − ηb")
        return compare(new_v, expected_v, name="your new velocity")
    if not _same(new_p, expected_p):
        if _same(new_p, p + lr * expected_v):
            return wrong("your step goes uphill: subtract, p ← p − ηb (the gradient points "
                         "uphill)")
        if _same(new_p, p - lr * b):
            return wrong("you stepped along the old velocity: update it first, b ← μb + g, "
                         "then step along the new one, p ← p − ηb")
        if _same(new_p, p - lr * mu * b):
            return wrong("your step uses only the old velocity μb: the new gradient must be in "
                         "it too, p ← p − η(μb + g)")
        if _same(new_p, p - lr * g):
            return wrong("your step is plain gradient descent, p − ηg: step along the "
                         "velocity instead, p ← p − ηb")
        return compare(new_p, expected_p, name="your new p")
    return correct()


@check
def check_momentum_step(momentum_step: Callable) -> Feedback:
    """momentum_step(p, g, velocity, lr, momentum) → (new_p, new_velocity), arrays (D,).

    One case, then three steps from rest against `mmkit.scratch.optim.SGD(momentum=μ)`.
    """
    feedback = _momentum_feedback(_call(momentum_step, MOMENTUM_CASE), MOMENTUM_CASE)
    if not feedback.ok:
        return feedback
    # three steps from velocity 0 on f = ½‖Ap‖², against the library's SGD
    scales = np.array([1.0, 5.0, 0.5])
    p, velocity = np.array([1.0, 1.0, -2.0]), np.zeros(3)
    param = Parameter(p.copy())
    sgd = SGD([param], lr=0.05, momentum=0.9)
    for step in range(1, 4):
        g = scales * p
        case = dict(p=p, g=g, velocity=velocity, lr=0.05, momentum=0.9)
        out = _call(momentum_step, case)
        feedback = _momentum_feedback(out, case)
        if not feedback.ok:
            return wrong(f"step {step} from zero velocity: {feedback.message}")
        p, velocity = (np.asarray(a, dtype=float) for a in out)
        sgd.zero_grad()
        param.grad += g
        sgd.step()
    if not np.allclose(p, param.data):
        return compare(p, param.data, name="your p after three steps")
    return correct("Correct! Three steps from rest land where mmkit's SGD(momentum=0.9) "
                   "(and torch.optim.SGD) lands.")


# --------------------------------------------------------------------------- Adam

ADAM_FIRST_STEP = dict(p=np.array([1.0, -2.0, 0.5]), g=np.array([0.4, -0.02, 3.0]),
                       m=np.zeros(3), v=np.zeros(3), t=1, lr=0.01, beta1=0.9, beta2=0.999,
                       eps=1e-8)
ADAM_LATER_STEP = dict(p=np.array([0.3, -1.0, 2.0]), g=np.array([0.5, -0.02, 0.001]),
                       m=np.array([0.1, 0.05, -0.2]), v=np.array([0.04, 0.002, 0.01]), t=3,
                       lr=0.1, beta1=0.8, beta2=0.95, eps=1e-3)


def adam_reference(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int,
                   lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                   eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step: p, g, m, v (D,), t the step number from 1 → (new p, new m, new v)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_feedback(out: object, case: dict) -> Feedback:
    """The verdict on one Adam step, naming a recognised mistake."""
    problem = unpack(out, ("new_p", "new_m", "new_v"))
    if problem is not None:
        return problem
    new_p, new_m, new_v = out
    p, g, m, v, t = (case[k] for k in ("p", "g", "m", "v", "t"))
    lr, b1, b2, eps = (case[k] for k in ("lr", "beta1", "beta2", "eps"))
    expected_p, expected_m, expected_v = adam_reference(**case)
    m_hat, v_hat = expected_m / (1 - b1**t), expected_v / (1 - b2**t)
    if not _same(new_m, expected_m):
        if _same(new_m, b1 * g + (1 - b1) * m):
            return wrong("β₁ weights the past: m ← β₁m + (1 − β₁)g (you swapped β₁ and 1 − β₁)")
        if _same(new_m, m_hat):
            return wrong("return the raw average m, not the bias-corrected m̂ = m/(1 − β₁ᵗ): "
                         "m̂ is recomputed from m at every step")
        return compare(new_m, expected_m, name="your new m")
    if not _same(new_v, expected_v):
        if _same(new_v, b2 * v + (1 - b2) * g):
            return wrong("v averages the squared gradient: v ← β₂v + (1 − β₂)g²")
        if _same(new_v, b2 * g * g + (1 - b2) * v):
            return wrong("β₂ weights the past: v ← β₂v + (1 − β₂)g² (you swapped β₂ and 1 − β₂)")
        if _same(new_v, v_hat):
            return wrong("return the raw average v, not the bias-corrected v̂ = v/(1 − β₂ᵗ): "
                         "v̂ is recomputed from v at every step")
        return compare(new_v, expected_v, name="your new v")
    if _same(new_p, expected_p):
        return correct()
    if np.shape(new_p) != p.shape:
        return compare(new_p, expected_p, name="your new p")
    step = expected_p - p
    variants = [
        (p - lr * expected_m / (np.sqrt(expected_v) + eps),
         "the bias correction is missing: divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ). m and v "
         "start at 0, so early on they are far too small (at t = 1, m is only (1 − β₁)g); "
         "without the correction the first steps have the wrong size"),
        (p - lr * expected_m / (np.sqrt(v_hat) + eps),
         "only v is bias-corrected: correct m too, m̂ = m/(1 − β₁ᵗ)"),
        (p - lr * m_hat / (np.sqrt(expected_v) + eps),
         "only m is bias-corrected: correct v too, v̂ = v/(1 − β₂ᵗ)"),
        (p - lr * m_hat / np.sqrt(v_hat + eps),
         "ε is inside the square root: it goes outside, √v̂ + ε (PyTorch's placement)"),
        (p - lr * m_hat / (v_hat + eps),
         "the square root is missing: divide by √v̂ + ε, the root of the mean square (an "
         "RMS has the units of g, so the step has the units of η)"),
        (p + lr * m_hat / (np.sqrt(v_hat) + eps),
         "your step goes uphill: subtract, p ← p − η m̂/(√v̂ + ε)"),
        (p - lr * g / (np.sqrt(v_hat) + eps),
         "you stepped along g: step along the average m̂ (that is the momentum part of Adam)"),
    ]
    for wrong_p, hint in variants:
        if _same(new_p, wrong_p):
            return wrong(hint)
    try:
        got_step = np.asarray(new_p, dtype=float) - p
    except (TypeError, ValueError):
        return compare(new_p, expected_p, name="your new p")
    if t == 1 and np.all(np.abs(got_step) > 2 * np.abs(step)):
        return wrong("your first step is much bigger than Adam's (about η per entry at t = 1): "
                     "is the bias correction missing or misplaced?")
    return compare(new_p, expected_p, name="your new p")


@check
def check_adam_step(adam_step: Callable) -> Feedback:
    """adam_step(p, g, m, v, t, lr, beta1, beta2, eps) → (new_p, new_m, new_v), arrays (D,).

    A first step (t = 1, where the bias correction matters most), a later one with
    a large ε, then five steps against `mmkit.scratch.optim.Adam`.
    """
    for name, case in (("the first step (t = 1)", ADAM_FIRST_STEP),
                       ("a later step (t = 3, ε = 1e-3)", ADAM_LATER_STEP)):
        feedback = _adam_feedback(_call(adam_step, case), case)
        if not feedback.ok:
            return wrong(f"{name}: {feedback.message}")
    scales = np.array([1.0, 10.0, 0.1])
    p, m, v = np.array([1.0, -1.0, 2.0]), np.zeros(3), np.zeros(3)
    param = Parameter(p.copy())
    adam = Adam([param], lr=0.1)
    for t in range(1, 6):
        g = scales * p
        case = dict(p=p, g=g, m=m, v=v, t=t, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
        out = _call(adam_step, case)
        feedback = _adam_feedback(out, case)
        if not feedback.ok:
            return wrong(f"step {t} of five: {feedback.message}")
        p, m, v = (np.asarray(a, dtype=float) for a in out)
        adam.zero_grad()
        param.grad += g
        adam.step()
    if not np.allclose(p, param.data):
        return compare(p, param.data, name="your p after five steps")
    return correct("Correct! Five steps agree with mmkit's Adam (and torch.optim.Adam).")


# --------------------------------------------------------------------------- learning rate

BOWL_STEPS = 100
BOWL_TARGET = 1e-3


@check
def check_bowl_learning_rate(choose_learning_rate: Callable[[], float]) -> Feedback:
    """choose_learning_rate() → η such that GD on the bowl reaches f < 1e-3 within 100 steps."""
    lr = attempt(choose_learning_rate)
    if lr is None:
        return wrong("your function returned None: did you forget `return`?")
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.integer | np.floating):
        return wrong(f"the learning rate should be a single number, got {type(lr).__name__}")
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        return wrong(f"the learning rate must be a positive number, got {lr:g}")
    flat, steep = BOWL_CURVATURES
    path = trajectory("GD", "bowl", BOWL_STEPS, lr=lr)
    left = exit_step(path, "bowl")
    if left is not None:
        return wrong(f"η = {lr:g} diverges: the path leaves the box at step {left}. Along y the "
                     f"curvature is {steep:g}, so each step multiplies y by (1 − {steep:g}η) = "
                     f"{1 - steep * lr:.3g}; that shrinks only if η < 2/{steep:g} = "
                     f"{2 / steep:g}")
    final = path_losses(path, "bowl")[-1]
    if final < BOWL_TARGET:
        return correct(f"Correct! With η = {lr:g}, GD reaches f = {final:.2g} in {BOWL_STEPS} "
                       "steps. The best η balances both directions: 2/(1 + 20) ≈ 0.095, where "
                       "x and y shrink equally fast, by 0.905 per step.")
    x, y = path[-1]
    if flat * x * x >= steep * y * y:
        return wrong(f"too slow: after {BOWL_STEPS} steps f = {final:.3g} (target < "
                     f"{BOWL_TARGET:g}). Along the flat x-direction each step only multiplies x "
                     f"by (1 − η) = {1 - flat * lr:.3g}: try a larger η (but below "
                     f"{2 / steep:g})")
    factor = 1 - steep * lr
    shrinks = "never shrinks it" if abs(factor) >= 1 else "shrinks it only slowly"
    return wrong(f"too slow: after {BOWL_STEPS} steps f = {final:.3g} (target < "
                 f"{BOWL_TARGET:g}). It zigzags across the valley: each step multiplies y by "
                 f"(1 − {steep:g}η) = {factor:.3g}, which {shrinks}; try a slightly smaller η")
