"""Checks for notebook 04's exercises: a momentum step, an Adam step, a learning rate.

Each check runs the learner's function on small fixed inputs, compares it with
the private reference (`torch.optim.SGD` and `torch.optim.Adam` stepping a
tensor, GD on the bowl in closed form), and names the typical mistake when it
recognises one (a flipped sign, a velocity that was not kept, a missing bias
correction, ε in the wrong place, a learning rate that diverges or crawls). The
kit's own optimizers are switched off while the learner's function runs. A
check returns `Feedback`; it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    attempt,
    check,
    correct,
    diagnose,
    known_mistake,
    matches,
    unpack,
    wrong,
)
from mmkit.scratch.optim import SGD, Adam, AdamW, Optimizer
from mmkit.scratch.surfaces import BOWL_CURVATURES, SURFACES, trajectory

#: Tolerances of one optimizer step (the answers are float64, the reference too).
RTOL, ATOL = 1e-7, 1e-10


def _call(function: Callable, case: dict) -> object:
    """Call the learner's function on copies, so an in-place update cannot change the case."""
    return attempt(function, **{k: v.copy() if isinstance(v, np.ndarray) else v
                                for k, v in case.items()})


# --------------------------------------------------------------------------- momentum

MOMENTUM_CASE = dict(p=np.array([1.0, -2.0, 0.5]), g=np.array([0.3, -0.1, 0.2]),
                     velocity=np.array([0.5, 0.0, -1.0]), lr=0.1, momentum=0.9)


def _momentum_feedback(out: object, case: dict) -> Feedback:
    """The verdict on one momentum step, naming a recognised mistake."""
    problem = unpack(out, ("new_p", "new_velocity"))
    if problem is not None:
        return problem
    new_p, new_v = out
    p, g, b, lr, mu = (case[k] for k in ("p", "g", "velocity", "lr", "momentum"))
    expected_p, expected_v = _reference.optimizers_momentum_step(p, g, b, lr, mu)
    swapped = [((expected_v, expected_p),
                "you returned (velocity, p): return (new_p, new_velocity), in that order")]
    if not matches(out, (expected_p, expected_v), RTOL, ATOL) \
            and known_mistake(out, swapped, RTOL, ATOL) is not None:
        return known_mistake(out, swapped, RTOL, ATOL)
    # the velocity first: a wrong velocity explains a wrong step
    problem = diagnose(new_v, expected_v, [
        (b, "your new velocity is the old one: compute b ← μb + g and return it, so that the "
            "next step can use it (momentum is the memory of past gradients; without storing "
            "it every step starts from scratch)"),
        (g, "your new velocity is just g: add the old velocity times μ, b ← μb + g"),
        (mu * b + (1 - mu) * g,
         "your velocity is μb + (1 − μ)g, a moving average (that is `dampening`); PyTorch's "
         "SGD adds the whole gradient: b ← μb + g"),
        (mu * b - g, "your velocity has the wrong sign: it accumulates gradients, b ← μb + g; "
                     "the minus sign belongs in the step p ← p − ηb"),
        (-(mu * b + g), "your velocity has the wrong sign: it accumulates gradients, "
                        "b ← μb + g; the minus sign belongs in the step p ← p − ηb"),
        (b + mu * g, "μ multiplies the old velocity, not the new gradient: b ← μb + g"),
        (mu * b + lr * g, "your velocity is μb + ηg (another convention); here η goes into "
                          "the step instead: b ← μb + g, p ← p − ηb"),
    ], name="your new velocity", rtol=RTOL, atol=ATOL)
    if problem is not None:
        return problem
    problem = diagnose(new_p, expected_p, [
        (p + lr * expected_v,
         "your step goes uphill: subtract, p ← p − ηb (the gradient points uphill)"),
        (p - lr * b, "you stepped along the old velocity: update it first, b ← μb + g, then "
                     "step along the new one, p ← p − ηb"),
        (p - lr * mu * b, "your step uses only the old velocity μb: the new gradient must be "
                          "in it too, p ← p − η(μb + g)"),
        (p - lr * g, "your step is plain gradient descent, p − ηg: step along the velocity "
                     "instead, p ← p − ηb"),
    ], name="your new p", rtol=RTOL, atol=ATOL)
    return correct() if problem is None else problem


@check(kit=[SGD, Optimizer, trajectory])
def check_momentum_step(momentum_step: Callable) -> Feedback:
    """momentum_step(p, g, velocity, lr, momentum) → (new_p, new_velocity), arrays (D,).

    One case, then three steps from rest on f = ½ Σ aᵢpᵢ², each against
    `torch.optim.SGD(momentum=μ)`; the kit's `SGD` is switched off meanwhile.
    """
    feedback = _momentum_feedback(_call(momentum_step, MOMENTUM_CASE), MOMENTUM_CASE)
    if not feedback.ok:
        return feedback
    scales = np.array([1.0, 5.0, 0.5])
    p, velocity = np.array([1.0, 1.0, -2.0]), np.zeros(3)
    for step in range(1, 4):
        case = dict(p=p, g=scales * p, velocity=velocity, lr=0.05, momentum=0.9)
        out = _call(momentum_step, case)
        feedback = _momentum_feedback(out, case)
        if not feedback.ok:
            return wrong(f"step {step} from zero velocity: {feedback.message}")
        p, velocity = (np.asarray(a, dtype=float) for a in out)
    return correct("Correct! Three steps from rest land where torch.optim.SGD(momentum=0.9) "
                   "lands.")


# --------------------------------------------------------------------------- Adam

ADAM_FIRST_STEP = dict(p=np.array([1.0, -2.0, 0.5]), g=np.array([0.4, -0.02, 3.0]),
                       m=np.zeros(3), v=np.zeros(3), t=1, lr=0.01, beta1=0.9, beta2=0.999,
                       eps=1e-8)
ADAM_LATER_STEP = dict(p=np.array([0.3, -1.0, 2.0]), g=np.array([0.5, -0.02, 0.001]),
                       m=np.array([0.1, 0.05, -0.2]), v=np.array([0.04, 0.002, 0.01]), t=3,
                       lr=0.1, beta1=0.8, beta2=0.95, eps=1e-3)


def _adam_feedback(out: object, case: dict) -> Feedback:
    """The verdict on one Adam step, naming a recognised mistake."""
    problem = unpack(out, ("new_p", "new_m", "new_v"))
    if problem is not None:
        return problem
    new_p, new_m, new_v = out
    p, g, m, v, t = (case[k] for k in ("p", "g", "m", "v", "t"))
    lr, b1, b2, eps = (case[k] for k in ("lr", "beta1", "beta2", "eps"))
    expected_p, expected_m, expected_v = _reference.optimizers_adam_step(**case)
    m_hat, v_hat = expected_m / (1 - b1**t), expected_v / (1 - b2**t)
    problem = diagnose(new_m, expected_m, [
        (b1 * g + (1 - b1) * m,
         "β₁ weights the past: m ← β₁m + (1 − β₁)g (you swapped β₁ and 1 − β₁)"),
        (m_hat, "return the raw average m, not the bias-corrected m̂ = m/(1 − β₁ᵗ): m̂ is "
                "recomputed from m at every step"),
    ], name="your new m", rtol=RTOL, atol=ATOL)
    if problem is not None:
        return problem
    problem = diagnose(new_v, expected_v, [
        (b2 * v + (1 - b2) * g, "v averages the squared gradient: v ← β₂v + (1 − β₂)g²"),
        (b2 * g * g + (1 - b2) * v,
         "β₂ weights the past: v ← β₂v + (1 − β₂)g² (you swapped β₂ and 1 − β₂)"),
        (v_hat, "return the raw average v, not the bias-corrected v̂ = v/(1 − β₂ᵗ): v̂ is "
                "recomputed from v at every step"),
    ], name="your new v", rtol=RTOL, atol=ATOL)
    if problem is not None:
        return problem
    first = ("at t = 1 Adam moves every entry by about η (m̂/√v̂ = g/|g|): check the bias "
             "correction" if t == 1 else "")
    problem = diagnose(new_p, expected_p, [
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
         "the square root is missing: divide by √v̂ + ε, the root of the mean square (an RMS "
         "has the units of g, so the step has the units of η)"),
        (p + lr * m_hat / (np.sqrt(v_hat) + eps),
         "your step goes uphill: subtract, p ← p − η m̂/(√v̂ + ε)"),
        (p - lr * g / (np.sqrt(v_hat) + eps),
         "you stepped along g: step along the average m̂ (that is the momentum part of Adam)"),
    ], name="your new p", hint=first, rtol=RTOL, atol=ATOL)
    return correct() if problem is None else problem


@check(kit=[Adam, AdamW, Optimizer, trajectory])
def check_adam_step(adam_step: Callable) -> Feedback:
    """adam_step(p, g, m, v, t, lr, beta1, beta2, eps) → (new_p, new_m, new_v), arrays (D,).

    A first step (t = 1, where the bias correction matters most), a later one with
    a large ε, then five steps from zero averages, each against `torch.optim.Adam`;
    the kit's `Adam` and `AdamW` are switched off meanwhile.
    """
    for name, case in (("the first step (t = 1)", ADAM_FIRST_STEP),
                       ("a later step (t = 3, ε = 1e-3)", ADAM_LATER_STEP)):
        feedback = _adam_feedback(_call(adam_step, case), case)
        if not feedback.ok:
            return wrong(f"{name}: {feedback.message}")
    scales = np.array([1.0, 10.0, 0.1])
    p, m, v = np.array([1.0, -1.0, 2.0]), np.zeros(3), np.zeros(3)
    for t in range(1, 6):
        case = dict(p=p, g=scales * p, m=m, v=v, t=t, lr=0.1, beta1=0.9, beta2=0.999,
                    eps=1e-8)
        out = _call(adam_step, case)
        feedback = _adam_feedback(out, case)
        if not feedback.ok:
            return wrong(f"step {t} of five: {feedback.message}")
        p, m, v = (np.asarray(a, dtype=float) for a in out)
    return correct("Correct! Five steps agree with torch.optim.Adam.")


# --------------------------------------------------------------------------- learning rate

BOWL_STEPS = 100
BOWL_TARGET = 1e-3


@check
def check_bowl_learning_rate(choose_learning_rate: Callable[[], float]) -> Feedback:
    """choose_learning_rate() → η such that GD on the bowl reaches f < 1e-3 within 100 steps.

    Judged on GD's path in closed form (the private reference); a path that leaves the
    plotting box of `SURFACES["bowl"]` has diverged.
    """
    lr = attempt(choose_learning_rate)
    if lr is None:
        return wrong("your function returned None: did you forget `return`?")
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.integer | np.floating):
        return wrong(f"the learning rate should be a single number, got {type(lr).__name__}")
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        return wrong(f"the learning rate must be a positive number, got {lr:g}")
    flat, steep = BOWL_CURVATURES
    bowl = SURFACES["bowl"]
    path, losses = _reference.optimizers_bowl_gd_path(lr, BOWL_STEPS, bowl.start,
                                                      BOWL_CURVATURES)
    outside = ~bowl.contains(path)
    if outside.any():
        return wrong(f"η = {lr:g} diverges: the path leaves the box at step "
                     f"{int(np.argmax(outside))}. Along y the curvature is {steep:g}, so each "
                     f"step multiplies y by (1 − {steep:g}η) = {1 - steep * lr:.3g}; that "
                     f"shrinks only if η < 2/{steep:g} = {2 / steep:g}")
    final = losses[-1]
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
