"""Notebook 11's exercise checks accept the solutions and name the typical mistakes."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.exercises import _reference
from mmkit.exercises.encoders import (
    CONV_KIT,
    LAST_KIT,
    SIZE_KIT,
    STEP_KIT,
    check_conv2d_single,
    check_conv_output_size,
    check_last_real_frame,
    check_lstm_step,
)
from mmkit.scratch import conv as scratch_conv
from mmkit.scratch import lstm as scratch_lstm


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: a convolution's output size ------------------------------------------------

def size_solution(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


@pytest.mark.parametrize("answer", [
    size_solution,
    lambda s, k, st, p: math.floor((s + 2 * p - k) / st) + 1,
    lambda s, k, st, p: len(range(0, s + 2 * p - k + 1, st)),
    lambda s, k, st, p: np.int64((s + 2 * p - k) // st + 1),
])
def test_conv_output_size_accepts_the_solution(answer):
    feedback = check_conv_output_size(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda s, k, st, p: (s + p - k) // st + 1, "You added the padding once"),
    (lambda s, k, st, p: (s - k) // st + 1, "You left the padding out"),
    (lambda s, k, st, p: (s + 2 * p - k) // st, "Off by one: count the windows"),
    (lambda s, k, st, p: math.ceil((s + 2 * p - k) / st) + 1, "You rounded up"),
    (lambda s, k, st, p: (s + 2 * p - k) / st + 1, "Your size is not a whole number"),
    (lambda s, k, st, p: s + 2 * p, "your size (size 8, kernel 3, stride 1, padding 2) is 12"),
    (lambda s, k, st, p: None, "did you forget to `return` it?"),
])
def test_conv_output_size_names_typical_mistakes(answer, phrase):
    feedback = check_conv_output_size(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: a convolution as a loop ----------------------------------------------------

def conv_solution(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out


def conv_with_torch(image, kernel):
    return F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])[0, 0]


def flipped(image, kernel):
    return conv_solution(image, kernel[::-1, ::-1])


def short_loop(image, kernel):
    return conv_solution(image, kernel)[:-1, :-1]


def same_padding(image, kernel):
    kh, kw = kernel.shape
    return conv_solution(np.pad(image, ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2))),
                         kernel)


@pytest.mark.parametrize("answer", [conv_solution, conv_with_torch])
def test_conv2d_single_accepts_the_solution(answer):
    feedback = check_conv2d_single(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (flipped, "You flipped the kernel: that is the textbook convolution"),
    (short_loop, "Your map misses the last row and column of positions"),
    (same_padding, "You zero-padded the image ('same' size)"),
    (lambda image, kernel: conv_solution(image, kernel.T) if kernel.shape[0] == kernel.shape[1]
     else conv_solution(image, kernel), "values of your map for a (6, 7) image"),
])
def test_conv2d_single_names_typical_mistakes(answer, phrase):
    feedback = check_conv2d_single(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 3: one LSTM step ----------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def step(x, h, c, w_ih, w_hh, b_ih, b_hh, order="ifgo", candidate=np.tanh, gate=sigmoid,
         forget_h=False, cell_tanh=True):
    z = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    parts = dict(zip(order, np.split(z, 4, axis=1), strict=True))
    i, f, g, o = gate(parts["i"]), gate(parts["f"]), candidate(parts["g"]), gate(parts["o"])
    c_new = f * (h if forget_h else c) + i * g
    return o * (np.tanh(c_new) if cell_tanh else c_new), c_new


def step_with_torch_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1]).double()
    with torch.no_grad():
        for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                               (w_ih, w_hh, b_ih, b_hh), strict=True):
            getattr(cell, name).copy_(torch.tensor(value))
        return cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))


@pytest.mark.parametrize("answer", [step, step_with_torch_cell])
def test_lstm_step_accepts_the_solution(answer):
    feedback = check_lstm_step(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda *a: step(*a, candidate=sigmoid, gate=np.tanh), "You swapped σ and tanh"),
    (lambda *a: step(*a, candidate=sigmoid), "Your candidate g uses σ"),
    (lambda *a: step(*a, forget_h=True), "Your forget gate multiplies h"),
    (lambda *a: step(*a, cell_tanh=False), "Your h is o ⊙ c'"),
    (lambda *a: step(*a, order="ifog"), "Your gates are in another order"),
    (lambda *a: step(*a)[0], "return 2 values, (h, c); got a ndarray"),
    (lambda *a: (step(*a)[0], step(*a)[1] * 2), "your c' (N = 2) is 2 × the right answer"),
])
def test_lstm_step_names_typical_mistakes(answer, phrase):
    feedback = check_lstm_step(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 4: the last real frame -------------------------------------------------------------

def last_solution(outputs, lengths):
    return outputs[np.arange(len(outputs)), lengths - 1]


def last_with_torch(outputs, lengths):
    return torch.stack([torch.tensor(row[n - 1]) for row, n in zip(outputs, lengths,
                                                                   strict=True)])


@pytest.mark.parametrize("answer", [last_solution, last_with_torch])
def test_last_real_frame_accepts_the_solution(answer):
    feedback = check_last_real_frame(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda outputs, lengths: outputs[:, -1], "You took the last step, outputs[:, −1]"),
    (lambda outputs, lengths: outputs[np.arange(len(outputs)), lengths],
     "Off by one: a clip of length L"),
    (lambda outputs, lengths: outputs[:, lengths - 1],
     "outputs[:, lengths − 1] takes every clip's frames at every clip's length"),
    (lambda outputs, lengths: outputs[:, 0], "values of your frames for outputs of shape"),
])
def test_last_real_frame_names_typical_mistakes(answer, phrase):
    feedback = check_last_real_frame(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- every check ---------------------------------------------------------------------------------

CHECKS = [check_conv_output_size, check_conv2d_single, check_lstm_step, check_last_real_frame]


@pytest.mark.parametrize("check", CHECKS)
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_conv_output_size, scratch_conv.conv_output_size),
    (check_conv_output_size, _reference.encoders_conv_output_size),
    (check_conv2d_single, _reference.encoders_conv2d_single),
    (check_lstm_step, scratch_lstm.lstm_step),
    (check_lstm_step, _reference.encoders_lstm_step),
    (check_last_real_frame, scratch_lstm.last_outputs),
    (check_last_real_frame, _reference.encoders_last_real_frame),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def conv_through_the_kit(image, kernel):
    return scratch_conv.conv2d(image[None, None], kernel[None, None])[0, 0]


def step_through_the_kit(x, h, c, *weights):
    return scratch_lstm.lstm_step(x, h, c, *weights)[:2]


def step_through_the_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    cell = scratch_lstm.LSTMCell(x.shape[1], h.shape[1])
    cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh = w_ih, w_hh, b_ih, b_hh
    return cell(x, (h, c))


@pytest.mark.parametrize("check, answer, kit", [
    (check_conv_output_size, lambda s, k, st, p: scratch_conv.conv_output_size(s, k, st, p),
     "mmkit.scratch.conv.conv_output_size"),
    (check_conv_output_size,
     lambda s, k, st, p: scratch_conv.conv2d(np.zeros((1, 1, s, s)), np.zeros((1, 1, k, k)),
                                             stride=st, padding=p).shape[-1],
     "mmkit.scratch.conv.conv2d"),
    (check_conv2d_single, conv_through_the_kit, "mmkit.scratch.conv.conv2d"),
    (check_lstm_step, step_through_the_kit, "mmkit.scratch.lstm.lstm_step"),
    (check_lstm_step, step_through_the_cell, "mmkit.scratch.lstm.LSTMCell.__init__"),
    (check_last_real_frame, lambda o, n: scratch_lstm.last_outputs(o, n),
     "mmkit.scratch.lstm.last_outputs"),
    (check_last_real_frame, lambda o, n: _reference.encoders_last_real_frame(o, n),
     "mmkit.exercises._reference.encoders_last_real_frame"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert scratch_conv.conv_output_size in SIZE_KIT
    assert scratch_conv.conv2d in CONV_KIT
    assert scratch_lstm.lstm_step in STEP_KIT
    assert scratch_lstm.last_outputs in LAST_KIT


def test_the_references_agree_with_the_kit():
    rng = np.random.default_rng(0)
    for size, kernel, stride, padding in ((8, 3, 1, 2), (9, 4, 2, 1), (28, 3, 1, 1)):
        assert _reference.encoders_conv_output_size(size, kernel, stride, padding) == \
            scratch_conv.conv_output_size(size, kernel, stride, padding)
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(_reference.encoders_conv2d_single(image, kernel),
                               scratch_conv.conv2d(image[None, None], kernel[None, None])[0, 0],
                               atol=1e-12)
    cell = scratch_lstm.LSTMCell(3, 4, seed=1)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    for ours, theirs in zip(scratch_lstm.lstm_step(x, h, c, *weights)[:2],
                            _reference.encoders_lstm_step(x, h, c, *weights), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    outputs, lengths = rng.standard_normal((3, 5, 2)), np.array([2, 5, 1])
    np.testing.assert_array_equal(_reference.encoders_last_real_frame(outputs, lengths),
                                  scratch_lstm.last_outputs(outputs, lengths))
