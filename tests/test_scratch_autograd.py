"""mmkit.scratch.autograd: every op's gradient against finite differences and torch.autograd."""

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.scratch.autograd import (
    Tensor,
    backward_steps,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    topological_order,
    unbroadcast,
)
from mmkit.validate import NonFiniteError


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max over entries of |a − b| / max(|a| + |b|, 1e-12)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12), initial=0.0))


def numerical_grads(f: Callable[..., np.ndarray], inputs: list[np.ndarray], weight: np.ndarray,
                    eps: float = 1e-6) -> list[np.ndarray]:
    """Centred differences of L(inputs) = Σ weight · f(inputs), one entry at a time.

    (f(x + ε) − f(x − ε)) is taken output entry by output entry before the
    weighted sum, so outputs an input does not touch cancel exactly.
    """
    grads = []
    for x in inputs:
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            plus = np.array(f(*inputs))  # a copy: f may return a view of x
            x[i] = old - eps
            minus = np.array(f(*inputs))
            x[i] = old
            grad[i] = np.sum((plus - minus) * weight) / (2 * eps)
        grads.append(grad)
    return grads


@dataclass
class Case:
    name: str
    ours: Callable  # on Tensors
    theirs: Callable  # the same on torch tensors
    shapes: tuple[tuple[int, ...], ...]
    # per input, or one for all: "any": N(0, 1); "positive": [0.5, 2]; "nonzero": ±[0.3, 1.5];
    # "unit": [0.05, 0.95] (probabilities)
    domain: str | tuple[str, ...] = "any"


_rng = np.random.default_rng(7)
C34 = _rng.choice([-1.0, 1.0], (3, 4)) * _rng.uniform(0.5, 1.5, (3, 4))  # a constant operand
IDX = (np.array([0, 2, 1, 0]), np.array([3, 0, 1, 3]))  # picks (0, 3) twice

CASES = [
    Case("add", lambda a, b: a + b, lambda a, b: a + b, ((3, 4), (3, 4))),
    Case("add_row", lambda a, b: a + b, lambda a, b: a + b, ((3, 4), (4,))),
    Case("add_outer", lambda a, b: a + b, lambda a, b: a + b, ((3, 1), (1, 4))),
    Case("add_scalar_tensor", lambda a, b: a + b, lambda a, b: a + b, ((), (2, 3))),
    Case("sub_row", lambda a, b: a - b, lambda a, b: a - b, ((4,), (3, 4))),
    Case("sub_scalar_tensor", lambda a, b: a - b, lambda a, b: a - b, ((2, 3), ())),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, ((3, 4), (3, 4))),
    Case("mul_outer", lambda a, b: a * b, lambda a, b: a * b, ((3, 1), (1, 4))),
    Case("mul_batch", lambda a, b: a * b, lambda a, b: a * b, ((2, 3, 4), (3, 1))),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (4,)), "nonzero"),
    Case("div_scalars", lambda a, b: a / b, lambda a, b: a / b, ((), ()), "nonzero"),
    Case("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, ((3,),)),
    Case("rsub_number", lambda a: 1.5 - a, lambda a: 1.5 - a, ((2, 3),)),
    Case("rmul_number", lambda a: 3 * a, lambda a: 3 * a, ((2, 3),)),
    Case("rdiv_number", lambda a: 2.0 / a, lambda a: 2.0 / a, ((2, 3),), "nonzero"),
    Case("radd_array", lambda a: C34 + a, lambda a: torch.tensor(C34) + a, ((4,),)),
    Case("rsub_array", lambda a: C34 - a, lambda a: torch.tensor(C34) - a, ((3, 1),)),
    Case("rmul_array", lambda a: C34 * a, lambda a: torch.tensor(C34) * a, ((3, 4),)),
    Case("rdiv_array", lambda a: C34 / a, lambda a: torch.tensor(C34) / a, ((4,),), "nonzero"),
    Case("add_array", lambda a: a + C34, lambda a: a + torch.tensor(C34), ((1, 4),)),
    Case("div_number", lambda a: a / 4.0, lambda a: a / 4.0, ((3,),)),
    Case("neg", lambda a: -a, lambda a: -a, ((2, 3),)),
    Case("pow2", lambda a: a**2, lambda a: a**2, ((2, 3),)),
    Case("pow3", lambda a: a**3, lambda a: a**3, ((4,),)),
    Case("pow_half", lambda a: a**0.5, lambda a: a**0.5, ((2, 3),), "positive"),
    Case("pow_negative", lambda a: a**-1.5, lambda a: a**-1.5, ((3,),), "positive"),
    Case("matmul", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 5))),
    Case("matmul_vec_mat", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4, 5))),
    Case("matmul_mat_vec", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,))),
    Case("matmul_dot", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (4,))),
    Case("matmul_batch_mat", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4, 5))),
    Case("matmul_batch", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (2, 4, 5))),
    Case("matmul_broadcast", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (3, 4, 2))),
    Case("matmul_vec_batch", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (2, 4, 5))),
    Case("matmul_batch_vec", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4,))),
    Case("rmatmul_array", lambda a: C34 @ a, lambda a: torch.tensor(C34) @ a, ((4, 2),)),
    Case("sum", lambda a: a.sum(), lambda a: a.sum(), ((2, 3, 4),)),
    Case("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), ((2, 3, 4),)),
    Case("sum_last_keep", lambda a: a.sum(axis=-1, keepdims=True),
         lambda a: a.sum(dim=-1, keepdim=True), ((2, 3, 4),)),
    Case("sum_axes", lambda a: a.sum(axis=(0, -1)), lambda a: a.sum(dim=(0, -1)), ((2, 3, 4),)),
    Case("sum_all_keep", lambda a: a.sum(keepdims=True),
         lambda a: a.sum(dim=(0, 1), keepdim=True), ((3, 4),)),
    Case("mean", lambda a: a.mean(), lambda a: a.mean(), ((3, 4),)),
    Case("mean_axis", lambda a: a.mean(axis=0), lambda a: a.mean(dim=0), ((3, 4),)),
    Case("mean_axes_keep", lambda a: a.mean(axis=(1, 2), keepdims=True),
         lambda a: a.mean(dim=(1, 2), keepdim=True), ((2, 3, 4),)),
    Case("max", lambda a: a.max(), lambda a: a.amax(), ((3, 4),)),
    Case("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), ((3, 4),)),
    Case("max_axis_keep", lambda a: a.max(axis=0, keepdims=True),
         lambda a: a.amax(dim=0, keepdim=True), ((2, 3, 4),)),
    Case("exp", lambda a: a.exp(), lambda a: a.exp(), ((2, 3),)),
    Case("log", lambda a: a.log(), lambda a: a.log(), ((2, 3),), "positive"),
    Case("relu", lambda a: a.relu(), lambda a: a.relu(), ((3, 4),), "nonzero"),
    Case("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), ((3, 4),)),
    Case("tanh", lambda a: a.tanh(), lambda a: a.tanh(), ((3, 4),)),
    Case("abs", lambda a: a.abs(), lambda a: a.abs(), ((3, 4),), "nonzero"),
    Case("reshape", lambda a: a.reshape(6, 4), lambda a: a.reshape(6, 4), ((2, 3, 4),)),
    Case("reshape_tuple", lambda a: a.reshape((-1,)), lambda a: a.reshape(-1), ((3, 4),)),
    Case("T", lambda a: a.T, lambda a: a.T, ((3, 4),)),
    Case("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1),
         ((2, 3, 4),)),
    Case("getitem_row", lambda a: a[1], lambda a: a[1], ((3, 4),)),
    Case("getitem_slice", lambda a: a[:, 1:3], lambda a: a[:, 1:3], ((3, 4),)),
    Case("getitem_fancy_repeated", lambda a: a[IDX],
         lambda a: a[tuple(map(torch.tensor, IDX))], ((3, 4),)),
    Case("log_softmax", lambda a: a.log_softmax(), lambda a: a.log_softmax(dim=-1), ((3, 4),)),
    Case("log_softmax_axis0", lambda a: a.log_softmax(axis=0), lambda a: a.log_softmax(dim=0),
         ((3, 4),)),
    Case("logsumexp", lambda a: a.logsumexp(), lambda a: a.logsumexp(dim=-1), ((3, 4),)),
    Case("logsumexp_keep", lambda a: a.logsumexp(axis=0, keepdims=True),
         lambda a: a.logsumexp(dim=0, keepdim=True), ((3, 4),)),
    Case("logsumexp_axes", lambda a: a.logsumexp(axis=(0, 2)),
         lambda a: a.logsumexp(dim=(0, 2)), ((2, 3, 4),)),
    Case("mse_loss", mse_loss, F.mse_loss, ((3, 4), (3, 4))),
    Case("cross_entropy", lambda a: cross_entropy(a, [2, 0, 3, 3, 1]),
         lambda a: F.cross_entropy(a, torch.tensor([2, 0, 3, 3, 1])), ((5, 4),)),
    Case("bce_with_logits", lambda a: binary_cross_entropy_with_logits(a, C34 > 0),
         lambda a: F.binary_cross_entropy_with_logits(a, torch.tensor(C34 > 0.0).double()),
         ((3, 4),), "nonzero"),
    Case("bce_with_logits_soft_targets", binary_cross_entropy_with_logits,
         F.binary_cross_entropy_with_logits, ((2, 3), (2, 3)), ("nonzero", "unit")),
    Case("composite", lambda a, b: ((a @ b).tanh() * a.sum(axis=1, keepdims=True)).exp().mean(),
         lambda a, b: ((a @ b).tanh() * a.sum(dim=1, keepdim=True)).exp().mean(),
         ((3, 4), (4, 2))),
]


def sample(shape: tuple[int, ...], domain: str, rng: np.random.Generator) -> np.ndarray:
    if domain == "positive":
        x = rng.uniform(0.5, 2.0, shape)
    elif domain == "unit":
        x = rng.uniform(0.05, 0.95, shape)
    elif domain == "nonzero":
        x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.5, shape)
    else:
        x = rng.normal(size=shape)
    return np.array(x, dtype=np.float64)  # an array even for shape ()


def draw(case: Case, rng: np.random.Generator
         ) -> tuple[list[np.ndarray], np.ndarray, torch.Tensor, list[np.ndarray]]:
    """Inputs, output weights, torch's output and gradients of Σ weight · output.

    Redrawn while a gradient entry is nearly, but not exactly, 0: there the relative
    error means nothing, as the finite differences' rounding error (~1e-10) is not small
    next to the gradient. Exact zeros (relu, max, unpicked entries) are kept.
    """
    domains = (case.domain,) * len(case.shapes) if isinstance(case.domain, str) else case.domain
    for _ in range(100):
        inputs = [sample(shape, domain, rng) for shape, domain in zip(case.shapes, domains,
                                                                      strict=True)]
        theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
        out = case.theirs(*theirs)
        weight = rng.choice([-1.0, 1.0], out.shape) * rng.uniform(0.5, 1.5, out.shape)
        (out * torch.tensor(weight)).sum().backward()
        grads = [t.grad.numpy() for t in theirs]
        if all(np.all((g == 0) | (np.abs(g) > 1e-2)) for g in grads):
            return inputs, weight, out.detach(), grads
    raise AssertionError(f"{case.name}: no inputs without near-zero gradients")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_op_gradients_match_finite_differences_and_torch(case: Case) -> None:
    rng = np.random.default_rng(sum(map(ord, case.name)))
    inputs, weight, out_torch, torch_grads = draw(case, rng)
    tensors = [Tensor(x.copy(), requires_grad=True) for x in inputs]
    out = case.ours(*tensors)
    assert out.shape == tuple(out_torch.shape)
    assert rel_error(out.data, out_torch.numpy()) < 1e-12
    (out * weight).sum().backward()

    numeric = numerical_grads(lambda *xs: case.ours(*map(Tensor, xs)).data,
                              [x.copy() for x in inputs], weight)
    for ours, torch_grad, fd in zip(tensors, torch_grads, numeric, strict=True):
        assert ours.grad is not None and ours.grad.shape == ours.shape
        assert rel_error(ours.grad, torch_grad) < 1e-10
        assert rel_error(ours.grad, fd) < 1e-7


@pytest.mark.parametrize(("grad_shape", "shape"), [((3, 4), (4,)), ((3, 4), (3, 1)),
                                                   ((2, 3, 4), (1, 4)), ((3, 4), ()),
                                                   ((3, 4), (3, 4))])
def test_unbroadcast_sums_back_to_the_operand_shape(grad_shape, shape) -> None:
    grad = np.random.default_rng(0).normal(size=grad_shape)
    reduced = unbroadcast(grad, shape)
    assert reduced.shape == shape
    assert np.isclose(reduced.sum(), grad.sum())


def test_max_shares_the_gradient_between_ties_as_torch_amax() -> None:
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), requires_grad=True)
    x_t = torch.tensor(x.data.copy(), requires_grad=True)
    x.max(axis=1).sum().backward()
    x_t.amax(dim=1).sum().backward()
    assert np.array_equal(x.grad, x_t.grad.numpy())
    assert np.array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_two_layer_mlp_with_cross_entropy_matches_torch() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 5)), rng.integers(0, 3, 8)
    arrays = {"W1": rng.normal(size=(5, 16)) / 2, "b1": rng.normal(size=16) / 10,
              "W2": rng.normal(size=(16, 3)) / 4, "b2": rng.normal(size=3) / 10}
    ours = {k: Tensor(v.copy(), requires_grad=True, label=k) for k, v in arrays.items()}
    logits = ((Tensor(x) @ ours["W1"] + ours["b1"]).relu() @ ours["W2"] + ours["b2"])
    loss = cross_entropy(logits, y)
    loss.backward()

    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    logits_t = ((torch.tensor(x) @ theirs["W1"] + theirs["b1"]).relu() @ theirs["W2"]
                + theirs["b2"])
    loss_t = F.cross_entropy(logits_t, torch.tensor(y))
    loss_t.backward()
    assert abs(loss.item() - loss_t.item()) < 1e-12
    for name in arrays:
        assert rel_error(ours[name].grad, theirs[name].grad.numpy()) < 1e-10, name


@pytest.mark.parametrize("f", [lambda x: x * x, lambda x: x + x, lambda x: (x * x + x).exp() / x],
                         ids=["x*x", "x+x", "mixed"])
def test_a_tensor_used_twice_gets_both_gradients_and_backward_twice_accumulates(f) -> None:
    data = np.random.default_rng(2).uniform(0.5, 1.5, (2, 3))
    x, x_t = Tensor(data.copy(), requires_grad=True), torch.tensor(data, requires_grad=True)
    loss, loss_t = f(x).sum(), f(x_t).sum()
    loss.backward()
    loss_t.backward(retain_graph=True)
    assert rel_error(x.grad, x_t.grad.numpy()) < 1e-12
    once = x.grad.copy()
    loss.backward()
    loss_t.backward()
    assert rel_error(x.grad, x_t.grad.numpy()) < 1e-12
    assert rel_error(x.grad, 2 * once) < 1e-12
    x.zero_grad()
    assert x.grad is None


def test_intermediate_gradients_are_kept_and_accumulate() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    loss = (y * y).sum()
    loss.backward()
    assert np.allclose(y.grad, 2 * y.data) and np.allclose(x.grad, 18 * x.data)
    loss.backward()
    assert np.allclose(y.grad, 4 * y.data) and np.allclose(x.grad, 36 * x.data)
    assert loss.grad == 2.0


def test_non_scalar_backward_needs_a_gradient() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))
    y.backward(np.full((2, 3), 0.5))
    assert np.array_equal(x.grad, np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(2)) * 2.0).sum().backward()


def test_gradients_reach_only_tensors_that_require_grad() -> None:
    x, w = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 1)), requires_grad=True)
    h = x @ w
    assert h.requires_grad and not x.requires_grad
    h.sum().backward()
    assert x.grad is None and w.grad.shape == (3, 1) and h.grad.shape == (2, 1)


def test_a_deep_chain_needs_no_recursion() -> None:
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1.0
    y.backward()
    assert y.item() == 3001.0 and x.grad == 1.0
    assert len(topological_order(y)) == 6001


def test_float32_stays_float32() -> None:
    x = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    y = (x * 2.0 + 1).exp().log().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and np.allclose(x.grad, 2.0)


def build_graph() -> tuple[Tensor, list[Tensor]]:
    """A small two-layer network with a loss: 13 nodes."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(4, 3)), label="x")
    w1 = Tensor(rng.normal(size=(3, 5)), requires_grad=True, label="W1")
    b1 = Tensor(rng.normal(size=5), requires_grad=True, label="b1")
    w2 = Tensor(rng.normal(size=(5, 2)), requires_grad=True, label="W2")
    h = (x @ w1 + b1).tanh()
    h.label = "h"
    loss = mse_loss(h @ w2, np.zeros((4, 2)))
    loss.label = "loss"
    return loss, [w1, b1, w2]


def test_topological_order_puts_inputs_before_outputs() -> None:
    loss, params = build_graph()
    order = topological_order(loss)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is loss
    assert all(position[parent] < position[node] for node in order for parent in node._prev)
    assert all(p in position for p in params)


def test_backward_steps_visit_each_node_once_and_equal_backward() -> None:
    loss, params = build_graph()
    steps = list(backward_steps(loss))
    nodes = [node for node, _ in steps]
    assert nodes[0] is loss
    assert len(set(nodes)) == len(nodes)
    assert set(nodes) == {node for node in topological_order(loss) if node.requires_grad}
    assert all(np.array_equal(grad, node.grad) for node, grad in steps)

    reference, reference_params = build_graph()
    reference.backward()
    for ours, theirs in zip(params, reference_params, strict=True):
        assert np.array_equal(ours.grad, theirs.grad)


def test_backward_steps_can_stop_part_way() -> None:
    loss, params = build_graph()
    steps = backward_steps(loss)
    node, grad = next(steps)
    assert node is loss and grad == 1.0
    assert all(p.grad is None for p in params)


def test_repr_item_and_numpy() -> None:
    x = Tensor(np.ones((2, 4)))
    w = Tensor(np.ones((4, 3)), requires_grad=True)
    assert repr(x @ w) == "Tensor(shape=(2, 3), op=matmul)"
    assert (x @ w).sum().item() == 24.0
    assert (x @ w).numpy().shape == (2, 3)
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        x.item()


def test_shape_errors_name_both_shapes() -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        a @ b
    with pytest.raises(ValueError, match=r"add.*\(3, 4\).*\(5,\)"):
        a + np.ones(5)
    with pytest.raises(ValueError, match="matmul"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match="mse_loss"):
        mse_loss(a, np.ones(4))
    with pytest.raises(ValueError, match="cross_entropy target"):
        cross_entropy(a, [0, 1, 4])
    with pytest.raises(TypeError, match="pow"):
        a ** Tensor(2.0)


@pytest.mark.parametrize(("make", "op"), [
    (lambda: Tensor(np.array([1.0, -1.0])).log(), "log"),
    (lambda: Tensor(np.array([1.0, 0.0])).log(), "log"),
    (lambda: Tensor(np.array([1000.0])).exp(), "exp"),
    (lambda: Tensor(np.ones(2)) / Tensor(np.zeros(2)), "div"),
    (lambda: Tensor(np.array([-1.0])) ** 0.5, "pow"),
])
def test_a_non_finite_forward_value_names_the_op(make, op) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning first: just the error
        with pytest.raises(NonFiniteError, match=f"^{op} produced nan/inf"):
            make()
    with pytest.raises(NonFiniteError, match="Tensor"):
        Tensor(np.array([np.nan]))
