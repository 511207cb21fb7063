"""Notebook 02's exercise checks accept the solution, name the typical mistakes, refuse the kit."""

import numpy as np
import pytest
import torch

from mmkit.demos.backpropagation import NEURON, neuron_graph
from mmkit.exercises import _reference
from mmkit.exercises.backpropagation import (
    check_linear_backward,
    check_sigmoid_backward,
    check_tanh_neuron_gradient,
    linear_case,
    sigmoid_case,
)
from mmkit.scratch.autograd import Tensor
from mmkit.scratch.gradcheck import numerical_gradient
from mmkit.scratch.layers import Linear, Sigmoid, Tanh, sigmoid

KIT_OWN = "calls the kit's own"


def unfinished(*args):
    raise NotImplementedError()


# --- sigmoid_backward ---------------------------------------------------------------------------

def test_sigmoid_backward_solution_passes():
    feedback = check_sigmoid_backward(lambda dout, y: dout * y * (1 - y))
    assert feedback.ok and "reuses the forward output" in feedback.message


@pytest.mark.parametrize("answer, phrase", [
    (lambda dout, y: dout * sigmoid(y) * (1 - sigmoid(y)), "you applied σ to y again"),
    (lambda dout, y: dout * y, "missing the factor (1 − y)"),
    (lambda dout, y: dout * (1 - y), "missing the factor y"),
    (lambda dout, y: y * (1 - y), "multiply by the upstream gradient dout"),
    (lambda dout, y: -dout * y * (1 - y), "opposite sign"),
    (lambda dout, y: (dout * y * (1 - y)).sum(axis=0), "dx has shape (3,), expected (5, 3)"),
    (lambda dout, y: None, "forget to `return`"),
])
def test_sigmoid_backward_mistakes_are_named(answer, phrase):
    feedback = check_sigmoid_backward(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_sigmoid_backward_unfinished():
    assert check_sigmoid_backward(unfinished).message.startswith("Not answered yet")


def test_sigmoid_reference_is_the_formula():
    dout, y = sigmoid_case()
    np.testing.assert_allclose(_reference.backpropagation_sigmoid_backward(dout, y),
                               dout * y * (1 - y), rtol=1e-9)


def _sigmoid_layer_backward(dout, y):
    layer = Sigmoid()
    layer(np.log(y / (1 - y)))
    return layer.backward(dout)


def _sigmoid_by_autograd(dout, y):
    x = Tensor(np.log(y / (1 - y)), requires_grad=True)
    x.sigmoid().backward(dout)
    return x.grad


def _sigmoid_layer_hidden(dout, y):
    try:
        return _sigmoid_layer_backward(dout, y)
    except Exception:
        return dout * y * (1 - y)


@pytest.mark.parametrize("answer, phrase", [
    (Sigmoid.backward, "that is the kit's own `mmkit.scratch.layers.Sigmoid.backward`, not an "
                       "answer"),
    (_sigmoid_layer_backward, "`_sigmoid_layer_backward` calls the kit's own "
                              "`mmkit.scratch.layers.Sigmoid.forward`"),
    (_sigmoid_by_autograd, f"{KIT_OWN} `mmkit.scratch.autograd.Tensor.sigmoid`"),
    (_sigmoid_layer_hidden, f"{KIT_OWN} `mmkit.scratch.layers.Sigmoid.forward`"),
])
def test_sigmoid_backward_refuses_the_kits_own(answer, phrase):
    feedback = check_sigmoid_backward(answer)
    assert not feedback.ok
    assert phrase in feedback.message
    assert np.allclose(Sigmoid()(np.zeros(2)), 0.5)  # switched on again afterwards


# --- linear_backward ----------------------------------------------------------------------------

def solution(dout, x, W):
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def test_linear_backward_solution_passes_and_agrees_with_linear_layer():
    assert check_linear_backward(solution).ok
    rng = np.random.default_rng(3)
    layer = Linear(3, 2, rng=1)
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer(x)
    dx = layer.backward(dout)
    for ours, theirs in zip(solution(dout, x, layer.weight.data),
                            (dx, layer.weight.grad, layer.bias.grad), strict=True):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("answer, phrase", [
    (lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)),
     "it is xᵀ dout, the transpose"),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout.sum(axis=1)),
     "db summed over the wrong axis"),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout), "db has one row per example"),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout.mean(axis=0)), "db is the mean"),
    (lambda dout, x, W: (dout @ W, dout.T @ x / len(x), dout.sum(axis=0)), "dW is divided by N"),
    (lambda dout, x, W: (dout @ W, np.einsum("no,ni->noi", dout, x), dout.sum(axis=0)),
     "one matrix per example"),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout.sum(axis=0, keepdims=True)),
     "drop keepdims"),
    (lambda dout, x, W: (-dout @ W, dout.T @ x, dout.sum(axis=0)), "dx has the right size "
                                                                   "everywhere but the opposite"),
    (lambda dout, x, W: (dout @ W, dout.T @ x), "return 3 values, (dx, dW, db); got 2 values"),
    (lambda dout, x, W: (dout @ W / len(x), dout.T @ x, dout.sum(axis=0)), "dx is divided by N"),
])
def test_linear_backward_mistakes_are_named(answer, phrase):
    feedback = check_linear_backward(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_linear_backward_crash_gets_the_shapes_hint():
    feedback = check_linear_backward(lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(0)))
    assert feedback.message.startswith("Your code raised ValueError")
    assert "dout is (N, out) = (4, 2)" in feedback.message


def test_linear_backward_unfinished():
    assert check_linear_backward(unfinished).message.startswith("Not answered yet")


def test_linear_reference_is_the_formula():
    dout, x, W = linear_case()
    for ours, theirs in zip(_reference.backpropagation_linear_backward(dout, x, W),
                            solution(dout, x, W), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def _linear_layer_backward(dout, x, W):
    layer = Linear(W.shape[1], W.shape[0], rng=0)
    layer.weight.data[...] = W
    layer(x)
    dx = layer.backward(dout)
    return dx, layer.weight.grad, layer.bias.grad


def _linear_by_autograd(dout, x, W):
    x_t, W_t = Tensor(x, requires_grad=True), Tensor(W, requires_grad=True)
    b_t = Tensor(np.zeros(len(W)), requires_grad=True)
    (x_t @ W_t.T + b_t).backward(dout)
    return x_t.grad, W_t.grad, b_t.grad


@pytest.mark.parametrize("answer, phrase", [
    (Linear.backward, "that is the kit's own `mmkit.scratch.layers.Linear.backward`, not an "
                      "answer"),
    (_linear_layer_backward, "`_linear_layer_backward` calls the kit's own "
                             "`mmkit.scratch.layers.Linear.__init__`"),
    (_linear_by_autograd, f"{KIT_OWN} `mmkit.scratch.autograd.Tensor.backward`"),
])
def test_linear_backward_refuses_the_kits_own(answer, phrase):
    feedback = check_linear_backward(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- the tanh neuron by hand ----------------------------------------------------------------------

RIGHT = _reference.backpropagation_tanh_neuron_gradient(**NEURON)
MISTAKES = _reference.backpropagation_tanh_neuron_mistakes(**NEURON)


def tanh_neuron_dL_dw():
    x, w, b, y = NEURON["x"], NEURON["w"], NEURON["b"], NEURON["y"]
    t = np.tanh(w * x + b)
    return 2 * (t - y) * (1 - t**2) * x


def test_tanh_gradient_solution_passes_and_matches_the_reference():
    assert tanh_neuron_dL_dw() == pytest.approx(RIGHT, rel=1e-12)
    assert RIGHT == pytest.approx(-0.7534, abs=5e-5)
    feedback = check_tanh_neuron_gradient(tanh_neuron_dL_dw)
    assert feedback.ok and "= -0.7534: one factor per edge" in feedback.message
    assert check_tanh_neuron_gradient(round(RIGHT, 4)).ok


def test_typical_mistakes_give_distinct_numbers():
    values = [RIGHT, *MISTAKES.values()]
    assert len({round(v, 3) for v in values}) == len(values)


@pytest.mark.parametrize("mistake, phrase", [
    ("sigmoid neuron", "the sigmoid neuron from sections 1–3"),
    ("sigmoid derivative", "You used ŷ(1 − ŷ)"),
    ("no 2", "the factor 2 from ∂L/∂e = 2e is missing"),
    ("no x", "∂(w·x)/∂w = x, is missing"),
    ("1 - z²", "1 − z² is not tanh's derivative"),
    ("w for x", "not w"),
    ("opposite sign", "opposite sign"),
])
def test_tanh_gradient_mistakes_are_named(mistake, phrase):
    feedback = check_tanh_neuron_gradient(lambda: MISTAKES[mistake])
    assert not feedback.ok
    assert phrase in feedback.message


def test_tanh_gradient_bad_types_and_unknown_numbers():
    assert "single number" in check_tanh_neuron_gradient(lambda: [RIGHT, RIGHT]).message
    assert "forget to `return` it? Multiply" in check_tanh_neuron_gradient(lambda: None).message
    message = check_tanh_neuron_gradient(0.1).message
    assert "∂L/∂w is 0.1: not the expected value" in message
    assert "-0.75" not in message  # the answer is not given away


def _tanh_by_kit_autograd():
    nodes = neuron_graph()
    w = nodes["w"]
    loss = (((w * nodes["x"]) + nodes["b"]).tanh() - nodes["y"]) ** 2
    loss.backward()
    return w.grad.item()


def _tanh_by_finite_differences():
    w = np.array([NEURON["w"]])
    return numerical_gradient(
        lambda: (np.tanh(w[0] * NEURON["x"] + NEURON["b"]) - NEURON["y"]) ** 2, w)[0]


def _tanh_by_layer():
    x, w, b, y = NEURON["x"], NEURON["w"], NEURON["b"], NEURON["y"]
    layer = Tanh()
    t = layer(np.array([w * x + b]))
    return float(layer.backward(2 * (t - y))[0] * x)


@pytest.mark.parametrize("answer, phrase", [
    (_tanh_by_kit_autograd, f"`_tanh_by_kit_autograd` {KIT_OWN} "
                            "`mmkit.scratch.autograd.Tensor.backward`"),
    (_tanh_by_finite_differences, f"{KIT_OWN} `mmkit.scratch.gradcheck.numerical_gradient`"),
    (_tanh_by_layer, f"{KIT_OWN} `mmkit.scratch.layers.Tanh.forward`"),
    (numerical_gradient, "that is the kit's own `mmkit.scratch.gradcheck.numerical_gradient`, "
                         "not an answer"),
])
def test_tanh_gradient_refuses_the_kits_own(answer, phrase):
    assert _tanh_by_kit_autograd() == pytest.approx(RIGHT)  # it would be right...
    feedback = check_tanh_neuron_gradient(answer)
    assert not feedback.ok  # ...but it is not the learner's own
    assert phrase in feedback.message


def test_tanh_gradient_reference_is_pytorchs_autograd():
    w = torch.tensor(NEURON["w"], dtype=torch.float64, requires_grad=True)
    ((torch.tanh(w * NEURON["x"] + NEURON["b"]) - NEURON["y"]) ** 2).backward()
    assert RIGHT == w.grad.item()


def test_tanh_gradient_unfinished():
    assert check_tanh_neuron_gradient(unfinished).message.startswith("Not answered yet")
