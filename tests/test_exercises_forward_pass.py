"""Notebook 01's exercise checks accept the solutions and name the typical mistakes."""

from itertools import pairwise

import numpy as np
import pytest

from mmkit.exercises.forward_pass import (
    check_count_parameters,
    check_linear_forward,
    check_softmax,
)


def unfinished(*args):
    raise NotImplementedError()


# --- linear_forward --------------------------------------------------------------------------


def linear_solution(x, W, b):
    return x @ W.T + b


@pytest.mark.parametrize("answer, phrase", [
    (lambda x, W, b: x @ W + b, "x @ W needs W as (in, out): use x @ W.T"),
    (lambda x, W, b: x @ W.T, "You forgot the bias"),
    (lambda x, W, b: np.maximum(x @ W.T + b, 0), "You applied ReLU"),
    (lambda x, W, b: W @ x.T + b[:, None], "it is the transpose of y"),
    (lambda x, W, b: x @ W.T - b, "15 of 15 values of y differ; the first at index [0, 0]"),
    (lambda x, W, b: None, "did you forget to `return` it?"),
])
def test_linear_mistakes_are_named(answer, phrase):
    feedback = check_linear_forward(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_linear_x_at_w_is_caught_even_when_w_is_square():
    # x @ W crashes on the first, non-square case; on a square W only the values tell
    def square_only(x, W, b):
        return x @ W + b if W.shape[0] == W.shape[1] else x @ W.T + b

    feedback = check_linear_forward(square_only)
    assert not feedback.ok
    assert "You computed x @ W + b" in feedback.message
    assert "(out_features, in_features)" in feedback.message


def test_linear_solution_passes():
    feedback = check_linear_forward(linear_solution)
    assert feedback.ok and "Correct!" in feedback.message
    assert check_linear_forward(lambda x, W, b: np.einsum("ni,oi->no", x, W) + b).ok


# --- softmax ---------------------------------------------------------------------------------


def softmax_solution(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_no_shift(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def softmax_wrong_axis(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_total_sum(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum()


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)


def softmax_unnormalised(z):
    return np.exp(z - z.max(axis=1, keepdims=True))


@pytest.mark.parametrize("answer, phrases", [
    (softmax_no_shift, ["NaN/inf", "e^z overflows", "Subtract the row's max"]),
    (softmax_global_max, ["NaN/inf", "Subtract each row's own max",
                          "z.max(axis=1, keepdims=True)"]),
    (softmax_wrong_axis, ["Each column sums to 1, not each row", "wrong axis"]),
    (softmax_total_sum, ["divided by the sum of all entries"]),
    (softmax_no_keepdims, ["could not be broadcast", "keepdims=True"]),
    (softmax_unnormalised, ["without normalising"]),
])
def test_softmax_mistakes_are_named(answer, phrases):
    feedback = check_softmax(answer)
    assert not feedback.ok
    for phrase in phrases:
        assert phrase in feedback.message, feedback.message


def test_softmax_overflow_gives_feedback_not_warnings():
    with np.errstate(all="raise"):  # a warning escaping the check would raise here
        feedback = check_softmax(softmax_no_shift)
    assert not feedback.ok


def test_softmax_solution_passes():
    feedback = check_softmax(softmax_solution)
    assert feedback.ok and "Correct!" in feedback.message


# --- count_parameters ------------------------------------------------------------------------


def count_solution(sizes):
    return sum(a * b + b for a, b in pairwise(sizes))


@pytest.mark.parametrize("answer, phrase", [
    (lambda sizes: sum(a * b for a, b in pairwise(sizes)), "counts the weights only"),
    (lambda sizes: int(np.prod(sizes)), "is the product of all the sizes"),
    (lambda sizes: count_solution(sizes) + sizes[0], "You gave the inputs biases too"),
    (lambda sizes: count_solution(sizes) - sizes[-1], "biases of the last layer"),
    (lambda sizes: 7, "not the number of parameters"),
    (lambda sizes: 2410.5, "should be a whole number"),
    (lambda sizes: None, "did you forget to `return`"),
])
def test_count_mistakes_are_named(answer, phrase):
    feedback = check_count_parameters(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_count_wrong_answer_does_not_reveal_the_count():
    assert "2410" not in check_count_parameters(lambda sizes: 7).message


def test_count_solution_passes_and_then_explains():
    feedback = check_count_parameters(count_solution)
    assert feedback.ok
    assert "2,410" in feedback.message
    assert check_count_parameters(lambda sizes: float(count_solution(sizes))).ok


# --- every check -----------------------------------------------------------------------------


@pytest.mark.parametrize("checker", [check_linear_forward, check_softmax,
                                     check_count_parameters])
def test_unfinished_stub_is_not_answered_yet(checker):
    feedback = checker(unfinished)
    assert not feedback.ok
    assert feedback.message.startswith("Not answered yet")
