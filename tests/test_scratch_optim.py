"""The from-scratch optimizers against torch.optim, their state_dict, and their errors."""

import numpy as np
import pytest
import torch

from mmkit.scratch.layers import Linear, Parameter
from mmkit.scratch.optim import GD, OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from mmkit.validate import NonFiniteError

# A fixed smooth, non-quadratic problem in three parameter tensors of different shapes:
#   loss(W, b, c) = Σ softplus(z) − y·z  with z = XW + b       (logistic regression)
#                 + Σ log cosh(c − c₀)                          (Huber-like)
#                 + 0.05 ‖W‖² ‖c‖²                              (couples W and c)
_rng = np.random.default_rng(0)
X = _rng.normal(size=(8, 3))
Y = (_rng.random((8, 2)) < 0.5).astype(np.float64)
C0 = _rng.normal(size=4)
START = (_rng.normal(size=(3, 2)), _rng.normal(size=2), _rng.normal(size=4))
STEPS = 100


def numpy_gradients(w: np.ndarray, b: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """The loss's gradients, by hand: dz = σ(z) − y."""
    dz = 1 / (1 + np.exp(-(X @ w + b))) - Y
    dw = X.T @ dz + 0.1 * w * np.sum(c * c)
    dc = np.tanh(c - C0) + 0.1 * c * np.sum(w * w)
    return [dw, dz.sum(axis=0), dc]


def torch_loss(w: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    x, y, c0 = (torch.from_numpy(a).to(w.dtype) for a in (X, Y, C0))
    z = x @ w + b
    return ((torch.nn.functional.softplus(z) - y * z).sum()
            + torch.log(torch.cosh(c - c0)).sum()
            + 0.05 * (w * w).sum() * (c * c).sum())


def run_scratch(cls: type[Optimizer], kwargs: dict, steps: int = STEPS,
                dtype: type = np.float64) -> tuple[list[Parameter], Optimizer]:
    params = [Parameter(a.astype(dtype)) for a in START]
    optimizer = cls(params, **kwargs)
    take_steps(optimizer, params, steps)
    return params, optimizer


def take_steps(optimizer: Optimizer, params: list[Parameter], steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        for param, grad in zip(params, numpy_gradients(*(p.data for p in params)), strict=True):
            param.grad += grad
        optimizer.step()


def run_torch(name: str, kwargs: dict, steps: int = STEPS,
              dtype: torch.dtype = torch.float64) -> list[np.ndarray]:
    params = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in START]
    cls = torch.optim.SGD if name == "GD" else getattr(torch.optim, name)
    optimizer = cls(params, **kwargs, foreach=False)
    for _ in range(steps):
        optimizer.zero_grad()
        torch_loss(*params).backward()
        optimizer.step()
    return [p.detach().numpy() for p in params]


CASES = [
    ("GD", {"lr": 0.1}),
    ("GD", {"lr": 0.01}),
    ("SGD", {}),
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.03, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05,
                 "initial_accumulator_value": 0.5}),
    # RMSprop with a small alpha near a minimum moves almost like sign descent and can
    # bounce chaotically, blowing rounding differences up 5x a step: these settings
    # stay in the calm regime for 100 steps (and the defaults only up to about 80).
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.005, "centered": True}),
    ("RMSprop", {"lr": 0.002, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.002, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99)}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "eps": 1e-6}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.02, "betas": (0.5, 0.9), "amsgrad": True}),
]


def test_numpy_gradients_match_autograd():
    params = [torch.tensor(a, requires_grad=True) for a in START]
    torch_loss(*params).backward()
    for ours, param in zip(numpy_gradients(*START), params, strict=True):
        np.testing.assert_allclose(ours, param.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_torch_for_100_steps(name, kwargs):
    params, _ = run_scratch(OPTIMIZERS[name], kwargs)
    expected = run_torch(name, kwargs)
    for param, want, start in zip(params, expected, START, strict=True):
        assert not np.allclose(want, start), "the test should move the parameters"
        np.testing.assert_allclose(param.data, want, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_float32_stays_float32(name):
    kwargs = {"lr": 0.01}
    params, optimizer = run_scratch(OPTIMIZERS[name], kwargs, steps=20, dtype=np.float32)
    expected = run_torch(name, kwargs, steps=20, dtype=torch.float32)
    for param, want in zip(params, expected, strict=True):
        assert param.data.dtype == np.float32
        np.testing.assert_allclose(param.data, want, rtol=1e-4, atol=1e-6)
    for entry in optimizer.state:
        for value in entry.values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32


def test_float64_gradient_on_float32_parameter_keeps_float32():
    param = Parameter(np.ones(3, dtype=np.float32))
    param.grad = np.full(3, 0.5)  # float64
    Adam([param], lr=0.1).step()
    assert param.data.dtype == np.float32


ROUND_TRIP = [
    ("GD", {"lr": 0.05}),
    ("SGD", {"lr": 0.03, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}),
    ("RMSprop", {"lr": 0.002, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05}),
    ("AdamW", {"lr": 0.02, "betas": (0.5, 0.9), "amsgrad": True}),
]


@pytest.mark.parametrize(("name", "kwargs"), ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_resumes_exactly(name, kwargs):
    cls = OPTIMIZERS[name]
    params, optimizer = run_scratch(cls, kwargs, steps=50)
    saved_params = [p.data.copy() for p in params]
    saved = optimizer.state_dict()
    take_steps(optimizer, params, 50)  # the uninterrupted run: 100 steps

    fresh = [Parameter(a) for a in saved_params]
    resumed = cls(fresh, lr=0.5)  # other hyper-parameters: load must restore them
    resumed.load_state_dict(saved)
    assert resumed.hyperparams == optimizer.hyperparams
    take_steps(resumed, fresh, 50)
    for param, want in zip(fresh, params, strict=True):
        np.testing.assert_array_equal(param.data, want.data)


def test_state_dict_returns_copies():
    params, optimizer = run_scratch(SGD, {"lr": 0.01, "momentum": 0.9}, steps=3)
    saved = optimizer.state_dict()
    buffer = optimizer.state[0]["momentum_buffer"].copy()
    saved["state"][0]["momentum_buffer"][...] = 123.0
    saved["hyperparams"]["lr"] = 7.0
    np.testing.assert_array_equal(optimizer.state[0]["momentum_buffer"], buffer)
    assert optimizer.hyperparams["lr"] == 0.01

    other = SGD(params, lr=0.01, momentum=0.9)
    other.load_state_dict(optimizer.state_dict())
    other.state[0]["momentum_buffer"][...] = -1.0
    np.testing.assert_array_equal(optimizer.state[0]["momentum_buffer"], buffer)


def test_state_dict_keys_follow_torch():
    _, optimizer = run_scratch(Adam, {"amsgrad": True}, steps=2)
    assert set(optimizer.state_dict()["state"][1]) == {"step", "exp_avg", "exp_avg_sq",
                                                       "max_exp_avg_sq"}
    assert optimizer.state_dict()["state"][1]["step"] == 2


def test_load_state_dict_refuses_mismatches():
    _, adam = run_scratch(Adam, {}, steps=2)
    params = [Parameter(a) for a in START]
    with pytest.raises(KeyError, match="another optimizer"):
        SGD(params).load_state_dict(adam.state_dict())
    small = Adam([Parameter(np.zeros(5)), *params[1:]])
    with pytest.raises(ValueError, match="parameter 0 has shape"):
        small.load_state_dict(adam.state_dict())
    bad = adam.state_dict()
    bad["hyperparams"]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        Adam(params).load_state_dict(bad)


def test_zero_grad_zeroes_gradients():
    params = [Parameter(a) for a in START]
    for param in params:
        param.grad += 1.5
    optimizer = SGD(params, lr=0.1)
    optimizer.zero_grad()
    for param in params:
        assert param.grad.shape == param.data.shape
        assert not param.grad.any()


def test_step_leaves_gradients_and_state_separate():
    param = Parameter(np.array([1.0, -2.0]))
    param.grad[...] = [0.5, 0.25]
    optimizer = SGD([param], lr=0.1, momentum=0.9, weight_decay=0.1)
    optimizer.step()
    np.testing.assert_array_equal(param.grad, [0.5, 0.25])  # weight decay did not touch it
    buffer = optimizer.state[0]["momentum_buffer"].copy()
    optimizer.zero_grad()
    np.testing.assert_array_equal(optimizer.state[0]["momentum_buffer"], buffer)


def test_gd_step_is_p_minus_lr_g():
    param = Parameter(np.array([[1.0, 2.0], [3.0, 4.0]]))
    param.grad[...] = [[1.0, -1.0], [0.5, 0.0]]
    GD([param], lr=0.5).step()
    np.testing.assert_array_equal(param.data, [[0.5, 2.5], [2.75, 4.0]])


@pytest.mark.parametrize("cls, kwargs, size", [
    (Adagrad, {}, 1.0),                                 # s = g²: exactly η
    (Adam, {}, 1.0),                                    # bias-corrected: about η
    (RMSprop, {}, 10.0),                                # v = 0.01 g²: η/√(1 − 0.99) = 10η
    (RMSprop, {"alpha": 0.9}, 1 / np.sqrt(0.1)),        # 3.2η
    (RMSprop, {"alpha": 0.5}, np.sqrt(2)),              # 1.4η
])
def test_first_step_of_the_adaptive_methods(cls, kwargs, size):
    """Notebook 04: the first step is η per coordinate for Adagrad and Adam, whatever the
    gradient's scale, but η/√(1 − α) for RMSprop, whose average starts at 0 uncorrected."""
    lr, grad = 0.1, np.array([0.001, -1.0, 100.0])
    param = Parameter(np.zeros(3))
    param.grad[...] = grad
    cls([param], lr=lr, **kwargs).step()
    np.testing.assert_allclose(-param.data, lr * size * np.sign(grad), rtol=1e-4)
    twin = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    twin.grad = torch.tensor(grad)
    getattr(torch.optim, cls.__name__)([twin], lr=lr, **kwargs).step()
    np.testing.assert_allclose(param.data, twin.detach().numpy(), rtol=1e-12)


def test_works_with_module_parameters():
    layer = Linear(3, 2, rng=0)
    optimizer = AdamW(layer.parameters(), lr=0.1)
    before = layer.weight.data.copy()
    layer(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    optimizer.step()
    assert not np.allclose(layer.weight.data, before)


def test_optimizers_registry_and_repr():
    assert list(OPTIMIZERS) == ["GD", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
    assert all(name == cls.__name__ and issubclass(cls, Optimizer)
               for name, cls in OPTIMIZERS.items())
    text = repr(Adam([Parameter(np.zeros(2))], lr=0.01))
    assert text.startswith("Adam(1 parameter, ") and "lr=0.01" in text and "betas=" in text


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
@pytest.mark.parametrize("lr", [0, -1, float("nan")])
def test_non_positive_lr_refused(cls, lr):
    with pytest.raises(ValueError, match=rf"lr must be a positive number, got {lr!r}"):
        cls([Parameter(np.zeros(2))], lr=lr)


@pytest.mark.parametrize(("cls", "kwargs", "bad"), [
    (SGD, {"weight_decay": -0.1}, "weight_decay"),
    (SGD, {"momentum": -0.5}, "momentum"),
    (RMSprop, {"momentum": -0.5}, "momentum"),
    (RMSprop, {"alpha": 1.0}, "alpha"),
    (Adagrad, {"lr_decay": -1.0}, "lr_decay"),
    (Adagrad, {"eps": 0}, "eps"),
    (Adam, {"weight_decay": -1e-3}, "weight_decay"),
    (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (AdamW, {"betas": (0.9, 1.0)}, r"betas\[1\]"),
    (AdamW, {"betas": (0.9,)}, "pair"),
    (AdamW, {"eps": -1e-8}, "eps"),
    (RMSprop, {"eps": 0.0}, "eps"),
])
def test_bad_hyperparameters_refused(cls, kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        cls([Parameter(np.zeros(2))], **kwargs)


def test_nesterov_needs_momentum_and_no_dampening():
    param = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([param], nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([param], momentum=0.9, dampening=0.1, nesterov=True)


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_gradient_raises_naming_the_parameter(cls, bad):
    params = [Parameter(a) for a in START]
    params[0].grad[...] = 1.0
    params[1].grad[1] = bad
    optimizer = cls(params, lr=0.1)
    with pytest.raises(NonFiniteError, match="parameter 1"):
        optimizer.step()
    for param, start in zip(params, START, strict=True):  # nothing was updated
        np.testing.assert_array_equal(param.data, start)


def test_gradient_of_wrong_shape_refused():
    params = [Parameter(a) for a in START]
    params[2].grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"parameter 2 has shape \(3,\)"):
        Adam(params).step()


def test_bad_params_refused():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        Adam(iter([]))
    with pytest.raises(TypeError, match="parameter 1"):
        SGD([Parameter(np.zeros(2)), np.zeros(2)])
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        SGD(Linear(2, 2, rng=0))
    param = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="more than once"):
        SGD([param, param])
