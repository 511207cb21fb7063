"""Losses: value and gradient against PyTorch and finite differences; bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.scratch import losses
from mmkit.scratch.gradcheck import numerical_gradient, relative_error
from mmkit.validate import NonFiniteError

SHAPES = [(1, 1), (4, 3), (16, 10)]


def inputs(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    pred = rng.standard_normal(shape) * 3
    if name in ("cross_entropy", "nll_loss"):
        target = rng.integers(0, shape[1], shape[0])
        if name == "nll_loss":
            pred = torch.log_softmax(torch.from_numpy(pred), 1).numpy()
    elif name == "binary_cross_entropy_with_logits":
        target = rng.uniform(0, 1, shape)
    else:
        target = rng.standard_normal(shape) * 3
    return pred, target


TORCH = {
    "mse_loss": F.mse_loss,
    "huber_loss": F.huber_loss,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
    "nll_loss": F.nll_loss,
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(TORCH))
def test_loss_value_and_gradient_match_torch(name, shape):
    pred, target = inputs(name, shape)
    value, grad = getattr(losses, name)(pred, target)
    pred_t = torch.tensor(pred, requires_grad=True)
    expected = TORCH[name](pred_t, torch.from_numpy(target))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12, abs=1e-15)
    assert relative_error(grad, pred_t.grad.numpy()) < 1e-12


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(TORCH))
def test_loss_gradient_matches_finite_differences(name, shape):
    pred, target = inputs(name, shape, seed=1)
    function = getattr(losses, name)
    _, grad = function(pred, target)
    numeric = numerical_gradient(lambda: function(pred, target)[0], pred)
    assert relative_error(grad, numeric) < 1e-7


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 0.0]])
    value, grad = losses.cross_entropy(logits, np.array([1, 1]))
    expected = F.cross_entropy(torch.from_numpy(logits), torch.tensor([1, 1]))
    assert value == pytest.approx(expected.item())
    assert np.isfinite(grad).all()


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = np.array([[2.0, 1.0, 0.1]])
    _, grad = losses.cross_entropy(logits, np.array([0]))
    probabilities = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(grad, probabilities - [[1, 0, 0]])


def test_huber_caps_the_pull_of_an_outlier():
    pred = np.array([0.0, 0.0, 0.0, 100.0])
    target = np.zeros(4)
    _, mse_grad = losses.mse_loss(pred, target)
    _, huber_grad = losses.huber_loss(pred, target, delta=1.0)
    assert mse_grad[-1] == pytest.approx(50.0) and huber_grad[-1] == pytest.approx(0.25)


def test_loss_classes_wrap_the_functions():
    pred, target = inputs("cross_entropy", (5, 4))
    criterion = losses.CrossEntropyLoss()
    value = criterion(pred, target)
    assert (value, criterion.backward().tolist()) == (
        losses.cross_entropy(pred, target)[0], losses.cross_entropy(pred, target)[1].tolist())
    assert repr(losses.HuberLoss(2.0)) == "HuberLoss(delta=2)"
    with pytest.raises(RuntimeError, match="before the loss"):
        losses.MSELoss().backward()


# ---- softmax + MSE: a classifier trained the "regression way" (notebook 03, section 5) ----

def torch_softmax_mse(logits, labels):
    """PyTorch's value and gradient of sum over classes of (softmax − one-hot)², mean over N."""
    zt = torch.tensor(logits, requires_grad=True)
    t = F.one_hot(torch.from_numpy(labels), logits.shape[1]).double()
    value = ((torch.softmax(zt, 1) - t) ** 2).sum(1).mean()
    value.backward()
    return value.item(), zt.grad.numpy()


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_mse_loss_matches_torch(shape):
    pred, target = inputs("cross_entropy", shape)
    value, grad = losses.softmax_mse_loss(pred, target)
    expected_value, expected_grad = torch_softmax_mse(pred, target)
    assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_mse_loss_gradient_matches_finite_differences(shape):
    pred, target = inputs("cross_entropy", shape, seed=1)
    _, grad = losses.softmax_mse_loss(pred, target)
    numeric = numerical_gradient(lambda: losses.softmax_mse_loss(pred, target)[0], pred)
    assert relative_error(grad, numeric) < 1e-7


def test_softmax_mse_criterion_wraps_the_function():
    pred, target = inputs("cross_entropy", (5, 4))
    value, grad = losses.softmax_mse_loss(pred, target)
    criterion = losses.SoftmaxMSELoss()
    assert criterion(pred, target) == value
    np.testing.assert_array_equal(criterion.backward(), grad)


def test_softmax_mse_gradient_vanishes_when_confidently_wrong():
    """The reason it trains slowly: its push shrinks as the mistake grows; cross-entropy's not."""
    logits, labels = np.array([[0.0, 12.0, 0.0]]), np.array([0])
    assert np.abs(losses.softmax_mse_loss(logits, labels)[1]).max() < 1e-4
    assert losses.cross_entropy(logits, labels)[1][0, 0] == pytest.approx(-1.0, abs=1e-4)


def test_softmax_mse_refuses_bad_input():
    with pytest.raises(ValueError, match=r"softmax_mse_loss: expected logits of shape \(N, C\)"):
        losses.softmax_mse_loss(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"one-hot\? pass the class indices"):
        losses.softmax_mse_loss(np.zeros((3, 4)), np.eye(4)[[0, 1, 2]])


# ---- bad input -----------------------------------------------------------------------

def test_mismatched_shapes_name_both():
    with pytest.raises(ValueError, match=r"prediction \(4, 1\) and target \(4,\)"):
        losses.mse_loss(np.zeros((4, 1)), np.zeros(4))


def test_one_hot_targets_get_a_hint():
    with pytest.raises(ValueError, match=r"one-hot\? pass the class indices"):
        losses.cross_entropy(np.zeros((3, 4)), np.eye(4)[[0, 1, 2]])


def test_class_index_out_of_range_is_named():
    with pytest.raises(ValueError, match=r"\[0, 2\], got values from 0 to 3"):
        losses.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))


def test_float_class_targets_are_refused():
    with pytest.raises(TypeError, match="integer class indices"):
        losses.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_nan_prediction_is_refused():
    with pytest.raises(NonFiniteError, match="mse_loss prediction"):
        losses.mse_loss(np.array([1.0, np.nan]), np.zeros(2))


def test_bce_targets_outside_zero_one_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        losses.binary_cross_entropy_with_logits(np.zeros(2), np.array([0.0, 2.0]))


@pytest.mark.parametrize("delta", [0, -1.0, float("nan")])
def test_non_positive_delta_is_refused(delta):
    with pytest.raises(ValueError, match="delta must be a positive number"):
        losses.HuberLoss(delta)
