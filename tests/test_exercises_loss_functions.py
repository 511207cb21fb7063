"""Notebook 03's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.exercises.loss_functions import check_bce_grad, check_cross_entropy, check_mse


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
    (lambda p, t: float(np.mean((p - t) ** 2)), "should return a pair (value, grad), got float"),
    (lambda p, t: None, "mse returned None"),
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
