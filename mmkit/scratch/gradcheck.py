"""Gradient checking: compare an analytic gradient with centred finite differences.

    ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / 2h      error O(h²)

The relative error ‖a − n‖ / (‖a‖ + ‖n‖) is the number to read: around 1e-9 a
gradient is right; 1e-3 or more, it is wrong. (Norms over the whole array, not
entry by entry: an entry whose true gradient is ~0 would otherwise show pure
rounding noise as a large relative error.)

It costs two forward passes per checked number, which is why it is a test and
not a way to train: `gradient_cost` counts what one gradient costs either way.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mmkit.scratch.layers import Activation, Linear, Module, Sequential
from mmkit.validate import check_count, default_rng


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar `f()` with respect to `x`, perturbed in place.

    x: any shape (float64 for useful accuracy) → gradient of the same shape.
    `f` takes no arguments and reads `x` itself, so `x` can be a layer's weight.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = f()
        x[index] = original - h
        minus = f()
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, 1e-300): 0 when both are exactly zero."""
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"shapes differ: analytic {a.shape}, numeric {n.shape}")
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300))


@dataclass(frozen=True)
class GradCheck:
    """Relative error per checked array ("input", "weight", "0.bias", ...)."""

    errors: dict[str, float]
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(error < self.tolerance for error in self.errors.values())

    def __repr__(self) -> str:
        lines = [f"{'✓' if e < self.tolerance else '✗'} {name:<12} relative error "
                 + ("< 1e-09" if e < 1e-9 else f"{e:.1e}")  # below: rounding noise, CPU-dependent
                 for name, e in self.errors.items()]
        return "\n".join(lines)


def check_module(module: Module, x: np.ndarray, tolerance: float = 1e-7,
                 rng: np.random.Generator | int | None = 0) -> GradCheck:
    """Check `module.backward` for its input and every parameter against finite differences.

    Uses the scalar loss L = Σ out ⊙ R with a fixed random R, so that every
    output entry matters: then dL/dout = R is fed to `backward`.
    """
    x = np.array(x, dtype=np.float64)
    out = module(x)
    weights = default_rng(rng).standard_normal(out.shape)

    def loss() -> float:
        return float(np.sum(module(x) * weights))

    module.zero_grad()
    module(x)
    dx = module.backward(weights)
    analytic = {"input": dx, **{name: p.grad.copy() for name, p in module.named_parameters()}}
    numeric = {"input": numerical_gradient(loss, x),
               **{name: numerical_gradient(loss, p.data) for name, p in module.named_parameters()}}
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    return GradCheck(errors, tolerance)


# --- what one gradient costs: backpropagation against finite differences ----------------------

def _matmul(rows: int, inner: int, columns: int) -> int:
    """Multiply-adds of a (rows, inner) @ (inner, columns) matrix product."""
    return rows * inner * columns


@dataclass(frozen=True)
class GradientCost:
    """Multiply-adds of the matrix products in one gradient of a model, for one batch.

    forward: the forward pass (x Wᵀ for each Linear); backward: the backward
    pass (dx = dout W and dW = doutᵀ x for each Linear, as `Linear.backward`
    computes them); n_params: how many numbers the gradient has. Element-wise
    work (activations, adding the bias, summing db) is left out: it is a few
    operations per number, against `in_features` multiply-adds per output of a
    product.
    """

    forward: int
    backward: int
    n_params: int

    @property
    def backpropagation(self) -> int:
        """One forward and one backward pass: the gradient for every parameter at once."""
        return self.forward + self.backward

    @property
    def finite_differences(self) -> int:
        """Two forward passes per parameter (centred differences)."""
        return 2 * self.n_params * self.forward

    def __repr__(self) -> str:
        return "\n".join([
            f"forward pass          {self.forward:>12,} multiply-adds",
            f"backward pass         {self.backward:>12,} = {self.backward / self.forward:.1f} × "
            "the forward pass",
            f"backpropagation       {self.backpropagation:>12,} = "
            f"{self.backpropagation / self.forward:.1f} forward passes, for all "
            f"{self.n_params:,} parameters at once",
            f"finite differences    {self.finite_differences:>12,} = "
            f"{2 * self.n_params:,} forward passes (2 per parameter)",
        ])


def gradient_cost(model: Module, batch_size: int) -> GradientCost:
    """Count the multiply-adds of one gradient of `model` for a batch of `batch_size` examples.

    model: a `Linear`, or a `Sequential` of `Linear` layers and element-wise
    activations (what `mlp` builds). For each Linear, x: (N, in), W: (out, in):
    forward x Wᵀ is N·in·out multiply-adds; backward dx = dout W and dW = doutᵀ x
    are N·out·in each, so the backward pass is exactly twice the forward pass.
    """
    n = check_count(batch_size, "batch_size", minimum=1)
    layers = model.layers if isinstance(model, Sequential) else [model]
    forward = backward = 0
    for layer in layers:
        if isinstance(layer, Linear):
            d_in, d_out = layer.in_features, layer.out_features
            forward += _matmul(n, d_in, d_out)                          # x Wᵀ
            backward += _matmul(n, d_out, d_in) + _matmul(d_out, n, d_in)  # dout W, doutᵀ x
        elif not isinstance(layer, Activation):
            raise TypeError(f"gradient_cost: expected Linear layers and element-wise "
                            f"activations, got {layer!r}")
    n_params = sum(p.data.size for p in model.parameters())
    return GradientCost(forward, backward, n_params)
