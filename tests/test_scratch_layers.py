"""Layers: forward and backward against PyTorch and against finite differences."""

import numpy as np
import pytest
import torch

from mmkit.scratch.gradcheck import check_module, numerical_gradient, relative_error
from mmkit.scratch.layers import (
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    log_softmax,
    mlp,
    sigmoid,
    softmax,
)
from mmkit.scratch.layers import torch_twin as scratch_torch_twin
from mmkit.validate import NonFiniteError

SHAPES = [(1, 3), (5, 4), (16, 7)]


def away_from_zero(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)  # ReLU's kink at 0 has no derivative


def torch_twin(layer):
    """The PyTorch twin of one layer: the kit's `torch_twin` of a one-layer Sequential."""
    return scratch_torch_twin(Sequential(layer))[0]


def make(name, features):
    return {"linear": lambda: Linear(features, 3, rng=1), "relu": ReLU, "sigmoid": Sigmoid,
            "tanh": Tanh, "softmax": Softmax}[name]()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["linear", "relu", "sigmoid", "tanh", "softmax"])
def test_layer_matches_torch_forward_and_backward(name, shape):
    rng = np.random.default_rng(0)
    layer = make(name, shape[1])
    x = away_from_zero(rng, shape)
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)

    twin = torch_twin(layer)
    xt = torch.tensor(x, requires_grad=True)
    outt = twin(xt)
    outt.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, outt.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    if name == "linear":
        assert relative_error(layer.weight.grad, twin.weight.grad.numpy()) < 1e-12
        assert relative_error(layer.bias.grad, twin.bias.grad.numpy()) < 1e-12


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["linear", "relu", "sigmoid", "tanh", "softmax"])
def test_layer_gradients_match_finite_differences(name, shape):
    x = away_from_zero(np.random.default_rng(1), shape)
    report = check_module(make(name, shape[1]), x)
    assert report.ok and max(report.errors.values()) < 1e-7, repr(report)


def test_mlp_matches_torch_end_to_end():
    model = mlp([6, 8, 5, 3], activation="tanh", rng=2)
    twin = torch.nn.Sequential(torch_twin(model[0]), torch.nn.Tanh(), torch_twin(model[2]),
                               torch.nn.Tanh(), torch_twin(model[4]))
    x = np.random.default_rng(3).standard_normal((10, 6))
    dout = np.random.default_rng(4).standard_normal((10, 3))
    out = model(x)
    model.backward(dout)
    twin(torch.from_numpy(x)).backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    ours = dict(model.named_parameters())
    theirs = dict(twin.named_parameters())
    assert list(ours) == list(theirs)  # the same names, in the same order, as PyTorch
    for name in ours:
        assert relative_error(ours[name].grad, theirs[name].grad.numpy()) < 1e-12, name


def test_gradients_accumulate_until_zero_grad():
    layer = Linear(3, 2, rng=0)
    x = np.ones((4, 3))
    for _ in range(2):
        layer(x)
        layer.backward(np.ones((4, 2)))
    np.testing.assert_allclose(layer.bias.grad, [8.0, 8.0])
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def test_linear_initialisation_matches_torch_bounds():
    layer = Linear(100, 50, rng=0)
    assert np.abs(layer.weight.data).max() <= 0.1 and np.abs(layer.weight.data).max() > 0.09
    assert Linear(100, 50, rng=0).weight.data.tolist() == layer.weight.data.tolist()


def test_float32_is_kept():
    model = mlp([4, 5, 2], rng=0, dtype=np.float32)
    out = model(np.ones((3, 4), dtype=np.float32))
    assert out.dtype == np.float32
    assert model.backward(np.ones((3, 2), dtype=np.float32)).dtype == np.float32


def test_stable_functions_match_torch_on_extreme_inputs():
    z = np.array([[-800.0, 0.0, 800.0], [1e-3, 2e-3, -1e-3]])
    np.testing.assert_allclose(softmax(z), torch.softmax(torch.from_numpy(z), -1).numpy())
    np.testing.assert_allclose(log_softmax(z), torch.log_softmax(torch.from_numpy(z), -1).numpy())
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.from_numpy(z)).numpy())


def test_state_dict_round_trip():
    a, b = mlp([4, 3, 2], rng=0), mlp([4, 3, 2], rng=1)
    b.load_state_dict(a.state_dict())
    x = np.ones((2, 4))
    np.testing.assert_array_equal(a(x), b(x))
    with pytest.raises(KeyError, match="do not match"):
        b.load_state_dict({"0.weight": np.zeros((3, 4))})


# ---- bad input -----------------------------------------------------------------------

def test_wrong_input_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"Linear\(4→3\) input: expected shape \(N, 4\), "
                                         r"got \(2, 5\)"):
        Linear(4, 3)(np.ones((2, 5)))


def test_wrong_dout_shape_names_both_shapes():
    layer = Linear(4, 3)
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"expected dout of shape \(2, 3\).*got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="before forward"):
        Tanh().backward(np.ones(3))


def test_non_finite_input_is_refused_naming_the_layer_and_place():
    x = np.ones((2, 4))
    x[1, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"Linear\(4→3\) input: 1 non-finite.*\[1, 2\]"):
        Sequential(Linear(4, 3))(x)


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="in_features must be an int >= 1"):
        Linear(bad, 3)


def test_mlp_arguments_are_checked():
    with pytest.raises(ValueError,
                       match="activation must be one of 'relu', 'sigmoid', 'tanh'; got 'gelu'"):
        mlp([2, 3], activation="gelu")
    with pytest.raises(ValueError, match="at least"):
        mlp([2])


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(x**3)), x), 3 * x**2,
                               rtol=1e-8)


def test_torch_twin_has_the_same_weights_and_gradients():
    model = mlp([4, 5, 3], activation="tanh", rng=0)
    twin = scratch_torch_twin(model)
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    xt = torch.tensor(x, requires_grad=True)
    out = twin(xt)
    np.testing.assert_allclose(out.detach().numpy(), model(x))
    out.backward(torch.tensor(dout))
    np.testing.assert_allclose(xt.grad.numpy(), model.backward(dout))
    for (name, p), (tname, tp) in zip(model.named_parameters(), twin.named_parameters(),
                                      strict=True):
        assert name == tname
        np.testing.assert_allclose(p.grad, tp.grad.numpy())


def test_torch_twin_refuses_what_it_cannot_copy():
    with pytest.raises(TypeError, match="expected a Sequential"):
        scratch_torch_twin(Linear(2, 3, rng=0))
