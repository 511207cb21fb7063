"""Loss functions, each returning its value and its gradient, named as in `torch.nn`.

The functional forms return `(value, grad)`: the mean loss over the batch and
its gradient with respect to the prediction. The classes wrap them the
PyTorch way: `loss = criterion(pred, target)`, then `dpred = criterion.backward()`.

    mse_loss                          (N, ...) regression          nn.MSELoss
    huber_loss                        (N, ...) robust regression   nn.HuberLoss
    binary_cross_entropy_with_logits  (N, ...) yes/no             nn.BCEWithLogitsLoss
    cross_entropy                     (N, C) logits + (N,) class   nn.CrossEntropyLoss
    nll_loss                          (N, C) log-probabilities     nn.NLLLoss
    softmax_mse_loss                  (N, C) logits + (N,) class   (none: MSE on probabilities,
                                                                    the "regression way" to
                                                                    train a classifier)

"Softmax loss" is cross-entropy applied to the softmax of the logits: this is
what `cross_entropy` computes, fused, so its gradient is softmax − one-hot.
"""

import numpy as np

from mmkit.scratch.layers import log_softmax, sigmoid, softmax
from mmkit.validate import (
    as_float_array,
    check_finite,
    check_index_range,
    check_positive,
)


def _pair(pred: np.ndarray, target: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    pred = check_finite(as_float_array(pred, f"{name} prediction"), f"{name} prediction")
    target = check_finite(as_float_array(target, f"{name} target"), f"{name} target")
    if pred.shape != target.shape:
        raise ValueError(f"{name}: prediction and target must have the same shape; got "
                         f"prediction {pred.shape} and target {target.shape}")
    if pred.size == 0:
        raise ValueError(f"{name}: got an empty batch")
    return pred, target.astype(pred.dtype)


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """L = mean((pred − target)²);  ∂L/∂pred = 2 (pred − target) / n.  Any shape, n elements."""
    pred, target = _pair(pred, target, "mse_loss")
    diff = pred - target
    return float(np.mean(diff**2)), 2 * diff / diff.size


def huber_loss(pred: np.ndarray, target: np.ndarray, delta: float = 1.0
               ) -> tuple[float, np.ndarray]:
    """Quadratic for |error| ≤ δ, linear beyond: outliers pull with a force of at most δ.

    L = mean(½e² if |e| ≤ δ else δ(|e| − ½δ));  ∂L/∂pred = clip(e, −δ, δ) / n.
    """
    delta = check_positive(delta, "delta")
    pred, target = _pair(pred, target, "huber_loss")
    e = pred - target
    small = np.abs(e) <= delta
    values = np.where(small, 0.5 * e**2, delta * (np.abs(e) - 0.5 * delta))
    return float(np.mean(values)), np.clip(e, -delta, delta) / e.size


def binary_cross_entropy_with_logits(logits: np.ndarray, target: np.ndarray
                                     ) -> tuple[float, np.ndarray]:
    """BCE on raw scores z with targets y in [0, 1]:

    L = mean(−y log σ(z) − (1 − y) log(1 − σ(z))) = mean(max(z, 0) − z y + log(1 + e^−|z|)),
    the second form never takes log(0);  ∂L/∂z = (σ(z) − y) / n.
    """
    z, y = _pair(logits, target, "binary_cross_entropy_with_logits")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("binary_cross_entropy_with_logits: targets must lie in [0, 1], got "
                         f"values from {y.min()} to {y.max()}")
    values = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(values)), (sigmoid(z) - y) / z.size


def _class_targets(target: np.ndarray, n: int, classes: int, name: str) -> np.ndarray:
    target = np.asarray(target)
    if target.shape != (n,):
        raise ValueError(f"{name}: expected class indices of shape ({n},), got {target.shape}"
                         + (" (one-hot? pass the class indices, e.g. y.argmax(1))"
                            if target.shape == (n, classes) else ""))
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class indices, got dtype {target.dtype}")
    return check_index_range(target, classes, f"{name}: class indices")


def nll_loss(log_probs: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log-likelihood: L = −mean(log p[i, target[i]]).

    log_probs: (N, C), target: (N,) integers in [0, C) → ∂L/∂log_probs, shape (N, C).
    """
    log_probs = check_finite(as_float_array(log_probs, "nll_loss input"), "nll_loss input")
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: expected log-probabilities of shape (N, C), got "
                         f"{log_probs.shape}")
    n, classes = log_probs.shape
    target = _class_targets(target, n, classes, "nll_loss")
    rows = np.arange(n)
    grad = np.zeros_like(log_probs)
    grad[rows, target] = -1.0 / n
    return float(-log_probs[rows, target].mean()), grad


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax loss: cross-entropy between softmax(logits) and the true class.

    logits: (N, C) raw scores, target: (N,) integers in [0, C).
    L = mean(logsumexp(z) − z[target]) (log-sum-exp: stable for any logits);
    ∂L/∂z = (softmax(z) − one_hot(target)) / N.
    """
    z = check_finite(as_float_array(logits, "cross_entropy logits"), "cross_entropy logits")
    if z.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {z.shape}")
    n, classes = z.shape
    target = _class_targets(target, n, classes, "cross_entropy")
    rows = np.arange(n)
    value = -log_softmax(z)[rows, target].mean()
    grad = softmax(z)
    grad[rows, target] -= 1.0
    return float(value), grad / n


def softmax_mse_loss(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """MSE between softmax(logits) and the one-hot labels, summed over classes, mean over N.

    logits (N, C), labels (N,) integers → (value, ∂L/∂logits (N, C)). The
    gradient goes through the softmax's Jacobian: with p = softmax(z) and
    g = ∂L/∂p = 2(p − t)/N, ∂L/∂z = p ⊙ (g − Σₖ gₖ pₖ). A classifier trained
    the "regression way", for comparison with `cross_entropy`.
    """
    z = check_finite(as_float_array(logits, "softmax_mse_loss logits"),
                     "softmax_mse_loss logits")
    if z.ndim != 2:
        raise ValueError(f"softmax_mse_loss: expected logits of shape (N, C), got {z.shape}")
    n, classes = z.shape
    labels = _class_targets(labels, n, classes, "softmax_mse_loss")
    p, t = softmax(z), np.eye(classes)[labels]
    value = float(np.sum((p - t) ** 2) / n)
    g = 2 * (p - t) / n
    return value, p * (g - (g * p).sum(axis=1, keepdims=True))


class Loss:
    """`loss = criterion(pred, target)` stores the gradient; `criterion.backward()` returns it."""

    def __init__(self):
        self._grad = None

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        value, self._grad = self.function(pred, target)
        return value

    def function(self, pred, target) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """∂loss/∂pred, the same shape as the prediction."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the loss")
        return self._grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    function = staticmethod(mse_loss)


class BCEWithLogitsLoss(Loss):
    function = staticmethod(binary_cross_entropy_with_logits)


class CrossEntropyLoss(Loss):
    function = staticmethod(cross_entropy)


class NLLLoss(Loss):
    function = staticmethod(nll_loss)


class HuberLoss(Loss):
    def __init__(self, delta: float = 1.0):
        super().__init__()
        self.delta = check_positive(delta, "delta")

    def function(self, pred, target):
        return huber_loss(pred, target, self.delta)

    def __repr__(self) -> str:
        return f"HuberLoss(delta={self.delta:g})"


class SoftmaxMSELoss(Loss):
    """`SoftmaxMSELoss()(logits, labels)`: `softmax_mse_loss` as a criterion for `fit`."""

    function = staticmethod(softmax_mse_loss)
