"""Checks for notebook 03's exercises: MSE, a stable softmax loss, the gradient of BCE.

    check_mse(mse)                          (value, grad) of mean((pred − target)²)
    check_cross_entropy(my_cross_entropy)   the mean softmax loss, stable for any logits
    check_bce_grad(bce_grad)                ∂L/∂z of the mean BCE with logits, (σ(z) − y)/N

Each check runs the learner's function on fixed inputs with the kit's own
losses switched off (`@check(kit=...)`: `mmkit.scratch.losses`, the autograd
engine's losses, and notebook 03's demos that compute them), compares with
the private references of `_reference` (PyTorch), and names the typical
mistake when there is one (a sum for a mean, a forgotten 2, a flipped sign,
probabilities for log-probabilities, an overflow). A check returns
`Feedback`; it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.demos import loss_functions as demos
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    attempt,
    check,
    correct,
    diagnose,
    known_mistake,
    unpack,
)
from mmkit.scratch import autograd, layers, losses


def _quietly(function: Callable, *args: object) -> object:
    """`attempt(function, *args)` with NumPy's overflow and log(0) warnings silenced."""
    with np.errstate(all="ignore"):
        return attempt(function, *args)


# --- exercise 1: mean squared error -----------------------------------------------------------

def _mse_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.normal(size=(3, 4)).round(2), rng.normal(size=(3, 4)).round(2)


#: The kit's ways to the MSE and its gradient: twice Huber with a large δ is MSE too.
MSE_KIT = [losses.mse_loss, losses.MSELoss, losses.huber_loss, losses.HuberLoss,
           autograd.mse_loss, demos.point_losses, demos.torch_value_and_grad]


@check(kit=MSE_KIT)
def check_mse(mse: Callable) -> Feedback:
    """`mse(pred, target)` → (value, grad): mean((pred − target)²) and 2(pred − target)/n."""
    pred, target = _mse_inputs()
    value, grad = _reference.loss_functions_mse(pred, target)
    n, rows, cols = pred.size, len(pred), pred.shape[1]
    out = attempt(mse, pred.copy(), target.copy())
    problem = unpack(out, ("value", "grad"))
    if problem is not None:
        return problem
    got_value, got_grad = out
    diff = pred - target
    problem = diagnose(got_value, value, [
        (value * n, f"The value is {n} × too large: you summed the squared errors. MSE is "
                    f"their *mean*: divide by n = pred.size = {n}."),
        (value * cols, f"The value is {cols} × too large: you divided by the number of rows "
                       f"({rows}), but the mean runs over all n = {n} entries (pred.size)."),
        (np.sqrt(value), "That is the root of the MSE (RMSE): leave out the square root."),
        (np.abs(diff).mean(), "That is the mean *absolute* error: square the errors instead."),
    ], "the value")
    if problem is not None:
        return problem
    problem = diagnose(got_grad, grad, [
        (-grad, "The gradient has the wrong sign: it is 2(pred − target)/n, positive where "
                "the prediction is too high (so that a step against it lowers the prediction)."),
        (grad / 2, "The gradient is half the right one: you forgot the 2 from d(e²)/de = 2e."),
        (grad * n, f"The gradient is {n} × too large: the mean's 1/n carries into the "
                   "gradient, ∂L/∂pred = 2(pred − target)/n."),
        (grad * cols, f"The gradient is {cols} × too large: divide by n = pred.size = {n}, "
                      f"not by the number of rows ({rows})."),
        (np.full(pred.shape, 2 * diff.mean()), "Your gradient is the same number everywhere: "
                                               "each entry's gradient depends on its own error, "
                                               "2(pred − target)/n element-wise."),
    ], "the gradient")
    if problem is not None:
        return problem
    return correct(f"Correct! value {value:.4f}; the gradient is 2(pred − target)/n with "
                   f"n = {n}.")


# --- exercise 2: a stable softmax loss --------------------------------------------------------

def _cross_entropy_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    return rng.normal(size=(5, 4)).round(2) * 2, np.array([0, 3, 1, 1, 2])


#: Logits a confident network produces; the first row overflows e^z, the second
#: underflows the true class's probability (e^-800 is 0 in float64).
LARGE_LOGITS = np.array([[1000.0, 999.0, 0.0], [0.0, 800.0, -5.0], [2.0, 1.0, 0.1]])
LARGE_LABELS = np.array([1, 0, 0])

#: The kit's ways to the softmax loss, stable or not.
CROSS_ENTROPY_KIT = [losses.cross_entropy, losses.CrossEntropyLoss, losses.nll_loss,
                     losses.NLLLoss, layers.log_softmax, layers.softmax, layers.Softmax,
                     autograd.cross_entropy, autograd.Tensor.log_softmax,
                     autograd.Tensor.logsumexp, demos.cross_entropy_naive,
                     demos.cross_entropy_log_of_softmax, demos.torch_value_and_grad]


def _nan_or_inf(out: object) -> tuple[bool, bool]:
    """(is NaN, is ±inf) for a single number; (False, False) for anything else."""
    try:
        value = float(out) if np.ndim(out) == 0 else 0.0
    except (TypeError, ValueError):
        value = 0.0
    return bool(np.isnan(value)), bool(np.isinf(value))


@check(kit=CROSS_ENTROPY_KIT)
def check_cross_entropy(cross_entropy_fn: Callable) -> Feedback:
    """`cross_entropy(logits, labels)` → the mean softmax loss, a number; stable for any logits."""
    logits, labels = _cross_entropy_inputs()
    n = len(logits)
    expected = _reference.loss_functions_cross_entropy(logits, labels)
    out = _quietly(cross_entropy_fn, logits.copy(), labels.copy())
    rows = np.arange(n)
    log_p = _reference.loss_functions_log_probabilities(logits)
    per_example = -log_p[rows, labels]
    p_true = np.exp(-per_example)
    problem = diagnose(out, expected, [
        (expected * n, f"{n} × too large: you summed over the batch; take the mean over the "
                       f"N = {n} examples."),
        (per_example, "You returned one loss per example (shape (N,)): average them into one "
                      "number."),
        (-p_true.mean(), "You averaged probabilities: the loss is the mean of −log p[label], "
                         "the negative *log*-probability."),
        ((1 - p_true).mean(), "You averaged 1 − p[label]: the loss is −log p[label], which "
                              "grows without bound as p[label] → 0."),
        (-log_p.mean(), "You averaged −log p over every class: pick only the true class in each "
                        "row, log_p[np.arange(N), labels]."),
        (-log_p[:, labels].mean(), "log_p[:, labels] picks an N × N block: use "
                                   "log_p[np.arange(N), labels], one entry per row."),
        (np.log(np.exp(logits).sum(axis=1)).mean(), "You forgot to subtract the true class's "
                                                    "logit: the loss is logsumexp(z) − z[label]."),
        (-expected, "The loss has the wrong sign: it is −log p[label], never negative."),
    ], "your loss", hint="Return only the loss, one number: the mean over the batch of "
                              "−log p[label].")
    if problem is not None:
        return problem

    expected = _reference.loss_functions_cross_entropy(LARGE_LOGITS, LARGE_LABELS)
    out = _quietly(cross_entropy_fn, LARGE_LOGITS.copy(), LARGE_LABELS.copy())
    problem = known_mistake(_nan_or_inf(out), [
        ((True, False), "Right for small logits, but NaN for logits like 1000: e^1000 "
                        "overflows to inf, and inf/inf is NaN. Subtract each row's max before "
                        "exp (log-sum-exp: logsumexp(z) = m + log Σ e^(z − m))."),
        ((False, True), "Right for small logits, but inf when the true class's probability "
                        "underflows to 0 (e^-800): log(0) = −inf. Don't take the log of "
                        "softmax; compute log p = z − logsumexp(z) directly."),
    ])
    if problem is None:
        problem = diagnose(out, expected, name="your loss on large logits")
    if problem is not None:
        return problem
    return correct(f"Correct, and stable: {expected:.4f} on the batch with logits up to 1000 "
                   "(PyTorch's F.cross_entropy gives the same).")


# --- exercise 3: the gradient of BCE with logits ----------------------------------------------

def _bce_inputs() -> tuple[np.ndarray, np.ndarray]:
    z = np.array([-3.0, -0.5, 0.0, 0.8, 2.5, 4.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    return z, y


#: The kit's ways to the gradient of BCE with logits (`sigmoid` stays allowed).
BCE_KIT = [losses.binary_cross_entropy_with_logits, losses.BCEWithLogitsLoss,
           autograd.binary_cross_entropy_with_logits, demos.point_losses,
           demos.torch_value_and_grad]


@check(kit=BCE_KIT)
def check_bce_grad(bce_grad: Callable) -> Feedback:
    """`bce_grad(logits, targets)` → ∂L/∂z of the mean BCE with logits: (σ(z) − y)/N, shape (N,)."""
    z, y = _bce_inputs()
    n = len(z)
    expected = _reference.loss_functions_bce_grad(z, y)
    out = _quietly(bce_grad, z.copy(), y.copy())
    s = 1 / (1 + np.exp(-z))
    problem = diagnose(out, expected, [
        (-expected, "The sign is flipped: it is σ(z) − y, positive when the predicted "
                    "probability is too high, so that a step against it lowers z."),
        (expected * n, f"{n} × too large: the loss is a mean over the N = {n} examples, so "
                       "the gradient carries a 1/N."),
        (expected * s * (1 - s), "You multiplied by σ'(z) = σ(z)(1 − σ(z)). That factor "
                                 "cancels against the 1/(σ(1 − σ)) from the log's derivative: "
                                 "the result is simply (σ(z) − y)/N."),
        ((z - y) / n, "You used the logit z where the probability σ(z) belongs: (σ(z) − y)/N."),
        ((s - y) * s * (1 - s) * 2 / n, "That is the gradient of MSE on σ(z), not of BCE: "
                                        "it is (σ(z) − y)/N."),
    ], "your gradient")
    if problem is not None:
        return problem
    return correct("Correct! ∂L/∂z = (σ(z) − y)/N: the error of the predicted probability, "
                   "with no σ'(z) to shrink it.")
