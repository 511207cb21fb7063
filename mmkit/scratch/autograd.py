"""A small reverse-mode autograd over NumPy arrays: how `torch.autograd` works inside.

Every operation on a `Tensor` returns a new Tensor that remembers the tensors
it was computed from (`_prev`), the operation's name (`_op`) and a local
backward closure. Given `grad`, the gradient of the final result with respect
to the op's output (the output's shape), the closure returns the gradient with
respect to each input (the input's shape): the chain rule, one op at a time.

`loss.backward()` lists the graph so that every node comes after its inputs
(`topological_order`), then walks that list backwards from the loss: when it
reaches a node, every node that used it has already passed its share of the
gradient back, so the node's gradient is complete and its closure can run.

    x = Tensor(rng.normal(size=(4, 3)), label="x")           # data: no gradient
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="w")
    loss = (x @ w).relu().sum()
    loss.backward()                                          # w.grad: (3, 2), ∂loss/∂w

Ops broadcast and reduce as in NumPy (axis=, keepdims=). `layers.py` computes
the same things layer by layer, with each backward pass written out by hand.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import TypeAlias

import numpy as np

from mmkit.scratch.layers import log_softmax as _log_softmax
from mmkit.scratch.layers import sigmoid as _sigmoid
from mmkit.validate import NonFiniteError, as_float_array, check_finite, check_shape

Backward = Callable[[np.ndarray], tuple[np.ndarray, ...]]
Axis = int | tuple[int, ...] | None
Operand: TypeAlias = "Tensor | np.ndarray | float"

# Why an op's output may hold NaN or infinity, shown in the NonFiniteError it raises.
HINTS = {"log": "log of a non-positive value?", "div": "division by zero?",
         "exp": "exp overflows above ~709: use logsumexp or log_softmax?",
         "pow": "a negative number to a fractional power, or 0 to a negative one?"}


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` back down to `shape`, undoing NumPy broadcasting.

    In x + y with x: (4,) and y: (3, 4), each x[j] is used 3 times (once per
    row), so its gradient is the sum over that new leading axis; an axis of
    size 1 stretched to n, (3, 1) → (3, 4), is summed keeping its place.
    grad: the broadcast shape → `shape`.
    """
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def _expand(grad: np.ndarray, axis: Axis, keepdims: bool, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a reduction (sum, mean, max, logsumexp), spread back over `shape`."""
    if axis is not None and not keepdims:
        axes = (axis,) if isinstance(axis, int) else axis
        grad = np.expand_dims(grad, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(grad, shape)


class Tensor:
    """An array in a computational graph (`torch.Tensor`).

    data: the values (float64, or float32 kept; shares memory with the array
    given, as `torch.as_tensor` does). grad: None until a backward pass reaches
    this tensor, then ∂(root)/∂self, the same shape as data, summed over
    backward passes (as PyTorch accumulates) until set back to None.
    requires_grad: whether gradients flow to this tensor; an op's result
    requires grad when any of its inputs does. label: the name a drawing of the graph shows
    (`mmkit.demos.backpropagation.draw_graph`).
    """

    __array_ufunc__ = None  # so ndarray + Tensor calls Tensor.__radd__, not NumPy's loop

    def __init__(self, data: object, requires_grad: bool = False, label: str = "", *,
                 _prev: tuple[Tensor, ...] = (), _op: str = "", _backward: Backward | None = None):
        self.data = as_float_array(data, label or "Tensor")
        if not _op:
            check_finite(self.data, label or "Tensor")
        self.requires_grad = requires_grad
        self.grad: np.ndarray | None = None
        self.label = label
        self._prev = _prev
        self._op = _op
        self._backward = _backward

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __repr__(self) -> str:
        parts = [f"{self.data.item():.4g}" if self.ndim == 0 else f"shape={self.shape}"]
        parts += [f"op={self._op}"] if self._op else []
        parts += [f"label={self.label!r}"] if self.label else []
        parts += ["requires_grad=True"] if self.requires_grad and not self._op else []
        parts += [f"dtype={self.dtype}"] if self.dtype != np.float64 else []
        return f"Tensor({', '.join(parts)})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float (a loss, say)."""
        if self.data.size != 1:
            raise ValueError(f"item(): only a one-element tensor has one value, this one has "
                             f"shape {self.shape}")
        return float(self.data.item())

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy)."""
        return self.data

    def detach(self) -> Tensor:
        """The same data as a new leaf, cut from the graph: no gradient flows through it."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (as `.grad = None`)."""
        self.grad = None

    def backward(self, gradient: np.ndarray | None = None) -> None:
        """Fill `.grad` of every tensor this one was computed from that requires grad.

        gradient: ∂(something)/∂self, the shape of self; it may be left out only
        when self has one element (a loss), and is then 1.
        """
        for _ in backward_steps(self, gradient):
            pass

    # --- building the graph ----------------------------------------------------------------

    def _apply(self, op: str, forward: Callable[..., np.ndarray], backward: Backward,
               *others: Tensor) -> Tensor:
        """A new node: forward(self.data, *others' data), remembering its inputs and closure.

        `backward(g)` returns one gradient per input, in order. It may read the
        returned tensor `out` (as exp does): a closure sees the variable's value
        when it runs, so `out` assigned after the closure was made is fine.
        """
        parents = (self, *others)
        with np.errstate(all="ignore"):  # a NaN or inf is reported below, naming the op
            data = np.asarray(forward(*(p.data for p in parents)))
        try:
            check_finite(data, f"{op} produced nan/inf")
        except NonFiniteError as error:
            raise NonFiniteError(f"{error}; {HINTS.get(op, 'overflow?')}") from None
        return Tensor(data, any(p.requires_grad for p in parents),
                      _prev=parents, _op=op, _backward=backward)

    def _wrap(self, other: Operand) -> Tensor:
        """A number or array as a constant Tensor (a Python number takes self's dtype)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Real):
            return Tensor(np.asarray(other, dtype=self.dtype))
        return Tensor(other)

    def _broadcastable(self, op: str, other: Operand) -> Tensor:
        other = self._wrap(other)
        try:
            np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(f"{op}: shapes {self.shape} and {other.shape} cannot be broadcast "
                             "together") from None
        return other

    # --- element-wise arithmetic, broadcasting: d(a+b) = da + db, d(ab) = b da + a db, ... ---

    def __add__(self, other: Operand) -> Tensor:
        other = self._broadcastable("add", other)
        a, b = self.shape, other.shape
        return self._apply("add", np.add, lambda g: (unbroadcast(g, a), unbroadcast(g, b)), other)

    def __sub__(self, other: Operand) -> Tensor:
        other = self._broadcastable("sub", other)
        a, b = self.shape, other.shape
        return self._apply("sub", np.subtract,
                           lambda g: (unbroadcast(g, a), unbroadcast(-g, b)), other)

    def __mul__(self, other: Operand) -> Tensor:
        other = self._broadcastable("mul", other)
        a, b = self.data, other.data
        return self._apply("mul", np.multiply,
                           lambda g: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)),
                           other)

    def __truediv__(self, other: Operand) -> Tensor:
        other = self._broadcastable("div", other)
        a, b = self.data, other.data
        return self._apply("div", np.divide, lambda g: (unbroadcast(g / b, a.shape),
                                                        unbroadcast(-g * a / b**2, b.shape)),
                           other)

    def __radd__(self, other: Operand) -> Tensor:
        return self._wrap(other) + self

    def __rsub__(self, other: Operand) -> Tensor:
        return self._wrap(other) - self

    def __rmul__(self, other: Operand) -> Tensor:
        return self._wrap(other) * self

    def __rtruediv__(self, other: Operand) -> Tensor:
        return self._wrap(other) / self

    def __neg__(self) -> Tensor:
        return self._apply("neg", np.negative, lambda g: (-g,))

    def __pow__(self, exponent: float) -> Tensor:
        """self ** p for a number p: d(xᵖ)/dx = p xᵖ⁻¹."""
        if not isinstance(exponent, numbers.Real):
            raise TypeError(f"pow: the exponent must be a number, got {type(exponent).__name__}")
        x, p = self.data, exponent
        return self._apply("pow", lambda x: x**p, lambda g: (g * p * x ** (p - 1),))

    # --- matrix product ----------------------------------------------------------------------

    def __matmul__(self, other: Operand) -> Tensor:
        """self @ other as np.matmul: (..., n, k) @ (..., k, m) → (..., n, m).

        A 1-D operand is a vector: (k,) @ (k, m) → (m,), (n, k) @ (k,) → (n,).
        Backward: ∂/∂a = g @ bᵀ, ∂/∂b = aᵀ @ g, summed over broadcast batch axes.
        """
        other = self._wrap(other)
        a, b = self.data, other.data
        ok = a.ndim > 0 and b.ndim > 0 and a.shape[-1] == b.shape[max(-2, -b.ndim)]
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match: "
                             "(..., n, k) @ (..., k, m) needs the same k and batch axes")

        def backward(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            a2 = a.reshape(1, -1) if a.ndim == 1 else a  # a vector on the left is a 1-row matrix
            b2 = b.reshape(-1, 1) if b.ndim == 1 else b  # ... on the right a 1-column one
            g = g[..., None] if b.ndim == 1 else g
            g = g[..., None, :] if a.ndim == 1 else g
            ga = g @ np.swapaxes(b2, -1, -2)
            gb = np.swapaxes(a2, -1, -2) @ g
            return (unbroadcast(ga, a2.shape).reshape(a.shape),
                    unbroadcast(gb, b2.shape).reshape(b.shape))

        return self._apply("matmul", np.matmul, backward, other)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return self._wrap(other) @ self

    # --- reductions: each input entry gets the gradient of the output entry it went into ----

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (all by default): d(sum)/dxᵢ = 1."""
        shape = self.shape
        return self._apply("sum", lambda x: x.sum(axis=axis, keepdims=keepdims),
                           lambda g: (_expand(g, axis, keepdims, shape),))

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over `axis` (all by default): d(mean)/dxᵢ = 1/n, n the entries averaged."""
        shape, size = self.shape, self.data.size
        return self._apply("mean", lambda x: x.mean(axis=axis, keepdims=keepdims),
                           lambda g: (_expand(g, axis, keepdims, shape) * (g.size / size),))

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Max over `axis`: the gradient goes to the maximum (shared equally by ties)."""
        x = self.data

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            is_max = x == x.max(axis=axis, keepdims=True)
            share = is_max / is_max.sum(axis=axis, keepdims=True)
            return (_expand(g, axis, keepdims, x.shape) * share,)

        return self._apply("max", lambda x: x.max(axis=axis, keepdims=keepdims), backward)

    def logsumexp(self, axis: Axis = -1, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) over `axis`, shifted by the max so exp never overflows.

        Its gradient is softmax(x): exp(x − logsumexp(x)).
        """
        x = self.data

        def forward(x: np.ndarray) -> np.ndarray:
            top = x.max(axis=axis, keepdims=True)
            out = top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))
            return out if keepdims else np.squeeze(out, axis=axis)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            lse = _expand(out.data, axis, keepdims, x.shape)  # the output, spread back over x
            return (_expand(g, axis, keepdims, x.shape) * np.exp(x - lse),)

        out = self._apply("logsumexp", forward, backward)
        return out

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x − logsumexp(x) along `axis`, stably.  Backward: g − softmax · Σ g."""
        out = self._apply("log_softmax", lambda x: _log_softmax(x, axis),
                          lambda g: (g - np.exp(out.data) * g.sum(axis=axis, keepdims=True),))
        return out

    # --- element-wise functions: the closure multiplies g by the derivative -------------------

    def exp(self) -> Tensor:
        out = self._apply("exp", np.exp, lambda g: (g * out.data,))  # (eˣ)' = eˣ, the output
        return out

    def log(self) -> Tensor:
        x = self.data
        return self._apply("log", np.log, lambda g: (g / x,))

    def relu(self) -> Tensor:
        """max(x, 0); its derivative is 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)."""
        x = self.data
        return self._apply("relu", lambda x: np.maximum(x, 0), lambda g: (g * (x > 0),))

    def sigmoid(self) -> Tensor:
        out = self._apply("sigmoid", _sigmoid, lambda g: (g * out.data * (1 - out.data),))
        return out

    def tanh(self) -> Tensor:
        out = self._apply("tanh", np.tanh, lambda g: (g * (1 - out.data**2),))
        return out

    def abs(self) -> Tensor:
        x = self.data
        return self._apply("abs", np.abs, lambda g: (g * np.sign(x),))

    # --- moving entries around: the gradient moves back the same way -------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """reshape(2, 3) or reshape((2, 3)); the gradient is reshaped back."""
        new = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], Sequence) else shape
        old = self.shape
        return self._apply("reshape", lambda x: x.reshape(new), lambda g: (g.reshape(old),))

    def transpose(self, *axes: int) -> Tensor:
        """Axes permuted (reversed by default, as `.T`); the gradient is permuted back."""
        order = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], Sequence) else axes
        order = tuple(a % self.ndim for a in order) or tuple(reversed(range(self.ndim)))
        return self._apply("transpose", lambda x: np.transpose(x, order),
                           lambda g: (np.transpose(g, np.argsort(order)),))

    T = property(transpose)

    def __getitem__(self, index: object) -> Tensor:
        """x[index] as in NumPy; the gradient is added back at the picked places."""
        shape = self.shape

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            grad = np.zeros(shape, dtype=g.dtype)
            np.add.at(grad, index, g)  # add, not assign: an entry picked twice gets both
            return (grad,)

        return self._apply("getitem", lambda x: x[index], backward)


# --- losses built from the ops above (mean reduction, as torch.nn.functional) --------------

def mse_loss(pred: Tensor, target: Operand) -> Tensor:
    """mean((pred − target)²).  pred and target: the same shape."""
    target = pred._wrap(target)
    if target.shape != pred.shape:
        raise ValueError(f"mse_loss: pred shape {pred.shape} and target shape {target.shape} "
                         "differ")
    return ((pred - target) ** 2).mean()


def cross_entropy(logits: Tensor, target: Sequence[int] | np.ndarray) -> Tensor:
    """mean over the batch of −log softmax(logits)[target].

    logits: (N, C) raw class scores; target: (N,) class indices in 0..C-1.
    """
    check_shape(logits.data, ("N", "C"), "cross_entropy logits")
    target = np.asarray(target)
    check_shape(target, (logits.shape[0],), "cross_entropy target")
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy target: expected class indices (ints), got dtype "
                        f"{target.dtype}")
    if target.size and not 0 <= target.min() <= target.max() < logits.shape[1]:
        raise ValueError(f"cross_entropy target: class indices must be in 0..{logits.shape[1] - 1}"
                         f", got {target.min()}..{target.max()}")
    return -logits.log_softmax(axis=-1)[np.arange(len(target)), target].mean()


def binary_cross_entropy_with_logits(logits: Tensor, targets: Operand) -> Tensor:
    """mean of −[y log σ(x) + (1 − y) log(1 − σ(x))] for logits x and targets y in [0, 1].

    Computed stably as max(x, 0) − x·y + log(1 + e^−|x|). logits, targets: the same shape.
    """
    y = logits._wrap(targets)
    if y.shape != logits.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: logits shape {logits.shape} and "
                         f"targets shape {y.shape} differ")
    return (logits.relu() - logits * y + (1 + (-logits.abs()).exp()).log()).mean()


# --- the backward pass ------------------------------------------------------------------------

def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor `root` was computed from, each after its inputs; `root` comes last.

    A depth-first search with an explicit stack (no recursion, so a graph
    thousands of ops deep is fine): a node is listed when popped the second
    time, after everything pushed above it (its inputs) has been listed.
    """
    order: list[Tensor] = []
    seen: set[Tensor] = set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node._prev))
    return order


def backward_steps(root: Tensor, gradient: np.ndarray | None = None
                   ) -> Iterator[tuple[Tensor, np.ndarray]]:
    """The backward pass of `root.backward(gradient)`, one node at a time.

    Each step takes the next node (from the root towards the inputs) whose
    gradient is complete, adds it to node.grad, runs the node's closure to
    pass gradients on to its inputs, and yields (node, the gradient it
    received in this pass). Only nodes that require grad are visited.
    """
    if not root.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad: no tensor it was "
                           "computed from was created with requires_grad=True")
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                               f"output has shape {root.shape}: pass backward(gradient)")
        gradient = np.ones_like(root.data)
    gradient = as_float_array(gradient, "gradient")
    if gradient.shape != root.shape:
        raise ValueError(f"backward: gradient shape {gradient.shape} differs from the output "
                         f"shape {root.shape}")
    return _backward_pass(root, gradient)


def _backward_pass(root: Tensor, gradient: np.ndarray) -> Iterator[tuple[Tensor, np.ndarray]]:
    pending = {root: gradient}  # gradients being summed up, for nodes not yet reached
    for node in reversed(topological_order(root)):
        if not node.requires_grad:
            continue  # nothing it came from needs a gradient
        grad = pending.pop(node).astype(node.dtype, copy=False)
        if node.grad is None:
            node.grad = grad.copy()
        else:
            node.grad += grad
        if node._backward is not None:
            for parent, parent_grad in zip(node._prev, node._backward(grad), strict=True):
                if parent_grad.shape != parent.shape:
                    raise RuntimeError(f"{node._op} backward returned a gradient of shape "
                                       f"{parent_grad.shape} for an input of shape {parent.shape}")
                if parent.requires_grad:
                    pending[parent] = pending[parent] + parent_grad if parent in pending \
                        else parent_grad
        yield node, grad
