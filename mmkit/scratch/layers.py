"""Layers with an explicit forward and backward pass, named as in `torch.nn`.

Each layer computes `out = layer(x)` (its `forward`), remembers what its
backward pass needs, and `dx = layer.backward(dout)` turns the gradient of the
loss with respect to its output into the gradient with respect to its input,
adding the gradients of its parameters to their `.grad` (as PyTorch
accumulates them). Shapes: N is the batch size.
"""

from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from mmkit.validate import (
    as_float_array,
    check_count,
    check_finite,
    check_shape,
    default_rng,
    lookup,
)

if TYPE_CHECKING:
    import torch


class Parameter:
    """A learnable array and the gradient of the loss with respect to it (`torch.nn.Parameter`)."""

    def __init__(self, data: np.ndarray):
        self.data = as_float_array(data, "parameter")
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: `layer(x)` calls `forward`; parameters are found by attribute, in order."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) → out: (N, ...), the layer's output for a batch of N examples.

        Caches what `backward` will need (the input, or the output, or a mask) on
        the layer itself, so the next `backward` refers to this call: run forward,
        then backward, once per batch.
        """
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout = ∂L/∂out, out's shape → dx = ∂L/∂x, x's shape (of the last forward call).

        Adds (never assigns) each parameter's gradient to its `.grad`, as PyTorch
        accumulates: call `zero_grad()` between steps. Raises `RuntimeError` if
        called before `forward`, `ValueError` if dout's shape is not out's.
        """
        raise NotImplementedError

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """("0.weight", Parameter), ... in the order PyTorch's twin lists them."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield from item.named_parameters(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        for parameter in self.parameters():
            parameter.grad[...] = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters by name, as `torch.nn.Module.state_dict`."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        own = dict(self.named_parameters())
        if set(state) != set(own):
            raise KeyError(f"state_dict keys {sorted(state)} do not match the model's "
                           f"{sorted(own)}")
        for name, array in state.items():
            if array.shape != own[name].shape:
                raise ValueError(f"{name}: expected shape {own[name].shape}, got {array.shape}")
            own[name].data[...] = array

    def _check_backward(self, cache: object, dout: np.ndarray, shape: tuple) -> np.ndarray:
        if cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        dout = as_float_array(dout, f"{self!r}.backward dout")
        if dout.shape != shape:
            raise ValueError(f"{self!r}.backward: expected dout of shape {shape} (the shape of "
                             f"the forward output), got {dout.shape}")
        return dout


class Linear(Module):
    """y = x Wᵀ + b.  x: (N, in_features) → y: (N, out_features).

    weight: (out_features, in_features) and bias: (out_features,), initialised
    as PyTorch does, uniformly in ±1/√in_features.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | int | None = None, dtype: type = np.float64):
        in_features = check_count(in_features, "in_features", minimum=1)
        out_features = check_count(out_features, "out_features", minimum=1)
        rng = default_rng(rng)
        bound = 1 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features))
                                .astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) \
            if bias else None
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, f"{self!r} input")
        check_shape(x, (None, self.in_features), f"{self!r} input")
        check_finite(x, f"{self!r} input")
        self._x = x
        out = x @ self.weight.data.T
        return out if self.bias is None else out + self.bias.data

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, out_features) → dx: (N, in_features); adds to weight.grad, bias.grad."""
        x = self._x
        dout = self._check_backward(x, dout, (len(x) if x is not None else 0, self.out_features))
        self.weight.grad += dout.T @ x
        if self.bias is not None:
            self.bias.grad += dout.sum(axis=0)
        return dout @ self.weight.data

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"


class Activation(Module):
    """An element-wise non-linearity: any shape in, the same shape out."""

    def __init__(self):
        self._cache = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """max(0, x); its derivative is 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_finite(as_float_array(x, "ReLU input"), "ReLU input")
        self._cache = x > 0
        return np.where(self._cache, x, 0.0).astype(x.dtype)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        mask = self._cache
        dout = self._check_backward(mask, dout, mask.shape if mask is not None else ())
        return dout * mask


class Sigmoid(Activation):
    """σ(x) = 1 / (1 + e⁻ˣ); σ'(x) = σ(x)(1 − σ(x))."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_finite(as_float_array(x, "Sigmoid input"), "Sigmoid input")
        self._cache = sigmoid(x)
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self._cache
        dout = self._check_backward(y, dout, y.shape if y is not None else ())
        return dout * y * (1 - y)


class Tanh(Activation):
    """tanh(x); tanh'(x) = 1 − tanh²(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_finite(as_float_array(x, "Tanh input"), "Tanh input")
        self._cache = np.tanh(x)
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self._cache
        dout = self._check_backward(y, dout, y.shape if y is not None else ())
        return dout * (1 - y * y)


class Softmax(Activation):
    """softmax along `dim`: eˣⁱ / Σⱼ eˣʲ, computed stably.  x: (..., C) → same shape.

    Backward: dx = s ⊙ (dout − Σ dout ⊙ s), the Jacobian-vector product without
    building the C×C Jacobian. To train a classifier, feed raw scores (logits)
    to `CrossEntropyLoss` instead: it fuses softmax and cross-entropy, and its
    gradient is simply softmax − one-hot.
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_finite(as_float_array(x, "Softmax input"), "Softmax input")
        self._cache = softmax(x, self.dim)
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._cache
        dout = self._check_backward(s, dout, s.shape if s is not None else ())
        return s * (dout - (dout * s).sum(axis=self.dim, keepdims=True))

    def __repr__(self) -> str:
        return f"Softmax(dim={self.dim})"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) element-wise, stable for large |x| (no overflow warnings)."""
    return np.exp(-np.logaddexp(0, -x)).astype(np.result_type(x, np.float32))


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """Softmax along `dim`, shifted by the max so that e^x never overflows."""
    z = np.exp(x - x.max(axis=dim, keepdims=True))
    return z / z.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """log softmax(x) = x − logsumexp(x), without forming softmax (no log(0))."""
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


class Sequential(Module):
    """Layers applied in order; backward runs them in reverse (`torch.nn.Sequential`)."""

    def __init__(self, *layers: Module):
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def mlp(sizes: list[int], activation: str = "relu",
        rng: np.random.Generator | int | None = None, dtype: type = np.float64) -> Sequential:
    """A multi-layer perceptron: Linear layers of the given sizes with `activation` between.

    mlp([64, 256, 10]) is Linear(64→256), ReLU, Linear(256→10): it returns logits.
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least [inputs, outputs], got {sizes!r}")
    make_activation = lookup(activation, ACTIVATIONS, "activation")
    rng = default_rng(rng)
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(make_activation())
    return Sequential(*layers)


def torch_twin(model: Sequential) -> "torch.nn.Sequential":
    """A `torch.nn.Sequential` (float64) with the same layers and weights as `model`.

    model: a from-scratch `Sequential` of `Linear`, `ReLU`, `Sigmoid`, `Tanh`
    and `Softmax` layers (what `mlp` builds). Parameter names match: "0.weight", ...
    """
    import torch

    activations = {ReLU: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid, Tanh: torch.nn.Tanh}
    if not isinstance(model, Sequential):
        raise TypeError(f"torch_twin: expected a Sequential (e.g. from mlp), got "
                        f"{type(model).__name__}")
    layers: list[torch.nn.Module] = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            twin = torch.nn.Linear(layer.in_features, layer.out_features,
                                   bias=layer.bias is not None, dtype=torch.float64)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(layer.weight.data))
                if layer.bias is not None:
                    twin.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(twin)
        elif type(layer) in activations:
            layers.append(activations[type(layer)]())
        elif isinstance(layer, Softmax):
            layers.append(torch.nn.Softmax(dim=layer.dim))
        else:
            raise TypeError(f"torch_twin: no PyTorch twin for {layer!r}; expected Linear, "
                            "ReLU, Sigmoid, Tanh or Softmax layers")
    return torch.nn.Sequential(*layers)
