"""Notebook 03's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.demos import loss_functions as demos
from mmkit.exercises import _reference
from mmkit.exercises.loss_functions import (
    BCE_KIT,
    CROSS_ENTROPY_KIT,
    MSE_KIT,
    check_bce_grad,
    check_cross_entropy,
    check_mse,
)
from mmkit.scratch import autograd, layers, losses


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: mse --------------------------------------------------------------------------

def mse_solution(pred, target):
    diff = pred - target
    return float(np.mean(diff**2)), 2 * diff / diff.size


def test_mse_accepts_the_solution():
    feedback = check_mse(mse_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda p, t: (float(np.sum((p - t) ** 2)), 2 * (p - t) / p.size),
     "you summed the squared errors"),
    (lambda p, t: (float(np.sum((p - t) ** 2) / len(p)), 2 * (p - t) / p.size),
     "you divided by the number of rows (3)"),
    (lambda p, t: (float(np.sqrt(np.mean((p - t) ** 2))), 2 * (p - t) / p.size), "RMSE"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), 2 * (t - p) / p.size),
     "The gradient has the wrong sign"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), (p - t) / p.size), "you forgot the 2"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), 2 * (p - t)),
     "the mean's 1/n carries into the gradient"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), 2 * (p - t) / len(p)),
     "not by the number of rows (3)"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), (2 * (p - t) / p.size).T),
     "transpose of the right answer"),
    (lambda p, t: (float(np.mean(np.abs(p - t))), 2 * (p - t) / p.size),
     "mean *absolute* error"),
    (lambda p, t: (float(np.mean((p - t) ** 2)), np.full(p.shape, 2 * np.mean(p - t))),
     "the same number everywhere"),
    (lambda p, t: float(np.mean((p - t) ** 2)), "return 2 values, (value, grad); got a float"),
    (lambda p, t: None, "did you forget `return value, grad`?"),
])
def test_mse_names_typical_mistakes(answer, phrase):
    feedback = check_mse(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: cross_entropy ----------------------------------------------------------------

def cross_entropy_solution(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def naive(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(-np.log(p[np.arange(len(labels)), labels]).mean())


def log_of_shifted_softmax(logits, labels):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-np.log(p[np.arange(len(labels)), labels]).mean())


def log_probabilities(logits):
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))


def summed(logits, labels):
    return cross_entropy_solution(logits, labels) * len(labels)


def probabilities(logits, labels):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return float(-p[np.arange(len(labels)), labels].mean())


def every_class(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    return float(-(logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))).mean())


def test_cross_entropy_accepts_the_solution():
    feedback = check_cross_entropy(cross_entropy_solution)
    assert feedback.ok and "stable" in feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (naive, "NaN for logits like 1000: e^1000 overflows"),
    (log_of_shifted_softmax, "log(0) = −inf. Don't take the log of softmax"),
    (summed, "you summed over the batch"),
    (probabilities, "You averaged probabilities"),
    (every_class, "You averaged −log p over every class"),
    (lambda z, y: -cross_entropy_solution(z, y), "wrong sign"),
    (lambda z, y: (cross_entropy_solution(z, y), None), "Return only the loss"),
    (lambda z, y: -log_probabilities(z)[np.arange(len(y)), y], "one loss per example"),
    (lambda z, y: float(np.mean(1 - np.exp(log_probabilities(z)[np.arange(len(y)), y]))),
     "You averaged 1 − p[label]"),
    (lambda z, y: float(-log_probabilities(z)[:, y].mean()), "picks an N × N block"),
    (lambda z, y: float(np.log(np.exp(z).sum(axis=1)).mean()),
     "forgot to subtract the true class's logit"),
])
def test_cross_entropy_names_typical_mistakes(answer, phrase):
    # the check must silence the learner's overflows: here they would raise
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        feedback = check_cross_entropy(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_cross_entropy_reports_a_crash_with_its_line():
    def crashing(logits, labels):
        return logits @ labels  # (5, 4) @ (5,)

    feedback = check_cross_entropy(crashing)
    assert feedback.message.startswith("Your code raised ValueError")
    assert "logits @ labels" in feedback.message


# --- exercise 3: bce_grad ---------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce_grad_solution(logits, targets):
    return (sigmoid(logits) - targets) / len(logits)


def test_bce_grad_accepts_the_solution():
    feedback = check_bce_grad(bce_grad_solution)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda z, y: (y - sigmoid(z)) / len(z), "The sign is flipped"),
    (lambda z, y: sigmoid(z) - y, "the gradient carries a 1/N"),
    (lambda z, y: (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)) / len(z),
     "You multiplied by σ'(z)"),
    (lambda z, y: (z - y) / len(z), "You used the logit z where the probability σ(z) belongs"),
    (lambda z, y: 2 * (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)) / len(z),
     "That is the gradient of MSE on σ(z)"),
    (lambda z, y: ((sigmoid(z) - y) / len(z))[:, None], "has shape (6, 1), expected (6,)"),
    (lambda z, y: None, "forget to `return`"),
])
def test_bce_grad_names_typical_mistakes(answer, phrase):
    feedback = check_bce_grad(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- all three: an unfinished stub ------------------------------------------------------------

@pytest.mark.parametrize("check", [check_mse, check_cross_entropy, check_bce_grad])
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


# --- all three: the kit's own answer is not an answer -----------------------------------------

def torch_mse(pred, target):
    import torch.nn.functional as F

    return demos.torch_value_and_grad(F.mse_loss, pred, target)


def huber_twice(pred, target):  # ½e² near the target: twice Huber with a large δ is MSE
    value, grad = losses.huber_loss(pred, target, delta=1e9)
    return 2 * value, 2 * grad


def criterion_mse(pred, target):
    criterion = losses.MSELoss()
    return criterion(pred, target), criterion.backward()


def autograd_mse(pred, target):
    pred_t = autograd.Tensor(pred, requires_grad=True)
    autograd.mse_loss(pred_t, target).backward()
    return float(np.mean((pred - target) ** 2)), pred_t.grad


def log_softmax_loss(logits, labels):
    return float(-layers.log_softmax(logits)[np.arange(len(labels)), labels].mean())


def softmax_then_log(logits, labels):
    return float(-np.log(layers.softmax(logits)[np.arange(len(labels)), labels]).mean())


def nll_of_own_log_softmax(logits, labels):
    return losses.nll_loss(log_probabilities(logits), labels)[0]


def autograd_cross_entropy(logits, labels):
    return autograd.cross_entropy(autograd.Tensor(logits), labels).item()


def tensor_logsumexp(logits, labels):
    lse = autograd.Tensor(logits).logsumexp(axis=1).numpy()
    return float((lse - logits[np.arange(len(labels)), labels]).mean())


def bce_from_the_kit(logits, targets):
    return losses.binary_cross_entropy_with_logits(logits, targets)[1]


def bce_point_by_point(logits, targets):
    return np.array([demos.point_losses(z, y)["BCE with logits"][1]
                     for z, y in zip(logits, targets, strict=True)]) / len(logits)


def bce_criterion(logits, targets):
    criterion = losses.BCEWithLogitsLoss()
    criterion(logits, targets)
    return criterion.backward()


@pytest.mark.parametrize("check, kit", [
    (check_mse, losses.mse_loss),
    (check_cross_entropy, losses.cross_entropy),
    (check_cross_entropy, demos.cross_entropy_naive),
    (check_cross_entropy, demos.cross_entropy_log_of_softmax),
    (check_bce_grad, losses.binary_cross_entropy_with_logits),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


@pytest.mark.parametrize("check, answer, kit", [
    (check_mse, lambda p, t: losses.mse_loss(p, t), "mmkit.scratch.losses.mse_loss"),
    (check_mse, huber_twice, "mmkit.scratch.losses.huber_loss"),
    (check_mse, criterion_mse, "mmkit.scratch.losses.mse_loss"),
    (check_mse, autograd_mse, "mmkit.scratch.autograd.mse_loss"),
    (check_mse, torch_mse, "mmkit.demos.loss_functions.torch_value_and_grad"),
    (check_cross_entropy, lambda z, y: losses.cross_entropy(z, y)[0],
     "mmkit.scratch.losses.cross_entropy"),
    (check_cross_entropy, lambda z, y: losses.CrossEntropyLoss()(z, y),
     "mmkit.scratch.losses.cross_entropy"),
    (check_cross_entropy, log_softmax_loss, "mmkit.scratch.layers.log_softmax"),
    (check_cross_entropy, softmax_then_log, "mmkit.scratch.layers.softmax"),
    (check_cross_entropy, nll_of_own_log_softmax, "mmkit.scratch.losses.nll_loss"),
    (check_cross_entropy, autograd_cross_entropy, "mmkit.scratch.autograd.cross_entropy"),
    (check_cross_entropy, tensor_logsumexp, "mmkit.scratch.autograd.Tensor.logsumexp"),
    (check_cross_entropy, lambda z, y: demos.cross_entropy_naive(z, y),
     "mmkit.demos.loss_functions.cross_entropy_naive"),
    (check_bce_grad, bce_from_the_kit,
     "mmkit.scratch.losses.binary_cross_entropy_with_logits"),
    (check_bce_grad, bce_point_by_point, "mmkit.demos.loss_functions.point_losses"),
    (check_bce_grad, bce_criterion, "mmkit.scratch.losses.binary_cross_entropy_with_logits"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_sigmoid_stays_allowed_in_exercise_3():
    def with_the_kits_sigmoid(logits, targets):
        return (layers.sigmoid(logits) - targets) / len(logits)

    assert check_bce_grad(with_the_kits_sigmoid).ok
    assert layers.sigmoid not in BCE_KIT


def test_the_kit_lists_name_what_each_exercise_asks_for():
    assert {losses.mse_loss, losses.MSELoss} <= set(MSE_KIT)
    assert {losses.cross_entropy, layers.log_softmax, layers.softmax, losses.nll_loss,
            losses.CrossEntropyLoss, losses.NLLLoss} <= set(CROSS_ENTROPY_KIT)
    assert {losses.binary_cross_entropy_with_logits, losses.BCEWithLogitsLoss} <= set(BCE_KIT)


def test_the_references_agree_with_the_kit():
    """The private references (PyTorch) and `mmkit.scratch.losses` give the same numbers."""
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    value, grad = _reference.loss_functions_mse(pred, target)
    assert value == pytest.approx(losses.mse_loss(pred, target)[0])
    np.testing.assert_allclose(grad, losses.mse_loss(pred, target)[1])
    logits, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    assert _reference.loss_functions_cross_entropy(logits, labels) == pytest.approx(
        losses.cross_entropy(logits, labels)[0])
    np.testing.assert_allclose(_reference.loss_functions_log_probabilities(logits),
                               layers.log_softmax(logits))
    z, y = rng.normal(size=6), rng.uniform(size=6)
    np.testing.assert_allclose(_reference.loss_functions_bce_grad(z, y),
                               losses.binary_cross_entropy_with_logits(z, y)[1])
