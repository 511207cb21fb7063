"""Notebook 02's exercise checks accept the solution and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.exercises.backpropagation import (
    check_linear_backward,
    check_sigmoid_backward,
    check_tanh_neuron_gradient,
    tanh_neuron_gradients,
)
from mmkit.scratch.layers import Linear, sigmoid


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
    (lambda dout, x, W: (dout @ W, dout.T @ x), "should return three arrays"),
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


# --- the tanh neuron by hand ----------------------------------------------------------------------

def test_tanh_gradient_matches_torch_and_the_solution_passes():
    torch = pytest.importorskip("torch")
    w = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    loss = (torch.tanh(w * 1.5 - 0.5) - 1.0) ** 2
    loss.backward()
    right = tanh_neuron_gradients()["right"]
    assert right == pytest.approx(w.grad.item())
    assert check_tanh_neuron_gradient(lambda: right).ok
    assert check_tanh_neuron_gradient(round(right, 4)).ok


def test_typical_mistakes_give_distinct_numbers():
    values = list(tanh_neuron_gradients().values())
    assert len({round(v, 3) for v in values}) == len(values)


@pytest.mark.parametrize("mistake, phrase", [
    ("sigmoid neuron", "the sigmoid neuron from section 2"),
    ("sigmoid derivative", "you used ŷ(1 − ŷ)"),
    ("no 2", "the factor 2 from ∂L/∂e = 2e is missing"),
    ("no x", "∂(w·x)/∂w = x, is missing"),
    ("1 - z²", "1 − z² is not tanh's derivative"),
    ("w for x", "not w"),
])
def test_tanh_gradient_mistakes_are_named(mistake, phrase):
    feedback = check_tanh_neuron_gradient(lambda: tanh_neuron_gradients()[mistake])
    assert not feedback.ok
    assert phrase in feedback.message


def test_tanh_gradient_sign_and_bad_types():
    right = tanh_neuron_gradients()["right"]
    assert "opposite sign" in check_tanh_neuron_gradient(-right).message
    assert "single number" in check_tanh_neuron_gradient(lambda: [right, right]).message
    assert "forget to `return`" in check_tanh_neuron_gradient(lambda: None).message
    message = check_tanh_neuron_gradient(0.1).message
    assert "0.1000 is not ∂L/∂w" in message and "-0.75" not in message  # no answer given away


def test_tanh_gradient_unfinished():
    assert check_tanh_neuron_gradient(unfinished).message.startswith("Not answered yet")
