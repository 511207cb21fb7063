"""Optimizers from scratch in NumPy, named and parametrised as in `torch.optim`.

An optimizer holds a list of `Parameter`s and, after each backward pass, moves
every `p.data` a little against its gradient `p.grad`:

    optimizer = Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        optimizer.zero_grad()      # p.grad ← 0 for every parameter
        ...                        # forward, loss, backward: fills every p.grad
        optimizer.step()           # p.data ← p.data − (an update built from p.grad)

Each `step()` follows PyTorch's single-tensor code path (foreach=False,
maximize=False), so a run here and the same run with `torch.optim` land on the
same numbers up to rounding. Notation in the docstrings, for one parameter:

    p   the parameter array (any shape); g its gradient (the same shape)
    t   the step count: 1 on the first step
    η   lr    λ   weight_decay    ε   eps    μ   momentum
    Products, squares, square roots and divisions of arrays are element-wise.

State (momentum buffers, running averages, step counts) is kept per parameter
under the same names PyTorch uses ("momentum_buffer", "exp_avg", ...), so
`state_dict()` of both can be read side by side.

Differences from `torch.optim` (the first three keep the code short):
    - one list of parameters, no parameter groups; the hyper-parameters live in
      `optimizer.hyperparams` (PyTorch: `optimizer.param_groups[0]`);
    - `zero_grad()` sets the gradients to 0 (PyTorch's default sets them to None);
    - `step()` takes no closure;
    - stricter checks: lr and eps must be > 0 (PyTorch accepts 0), RMSprop's alpha
      must be in [0, 1) like Adam's betas, dampening must be ≥ 0, and a NaN or
      infinite gradient stops `step()` with `NonFiniteError` (naming the
      parameter's index) before any parameter has changed.
"""

from collections.abc import Iterable
from typing import Any

import numpy as np

from mmkit.scratch.layers import Module, Parameter
from mmkit.validate import as_float_array, check_finite, check_non_negative, check_positive

__all__ = ["GD", "OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]


def _check_fraction(value: float, name: str) -> float:
    """Refuse a decay rate (a beta, RMSprop's alpha) outside [0, 1)."""
    if not (isinstance(value, int | float | np.floating) and 0 <= value < 1):
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


class Optimizer:
    """Base class: the parameters, a state dict per parameter, and the hyper-parameters.

    params: an iterable of `Parameter` (e.g. `model.parameters()`), in a fixed
        order; `state_dict()` refers to each parameter by its index in it.
    defaults: the hyper-parameters by name, already checked by the subclass;
        kept in `self.hyperparams`, which `step()` reads on every call (so
        `optimizer.hyperparams["lr"] = 0.01` changes the learning rate).
    """

    def __init__(self, params: Iterable[Parameter], defaults: dict[str, Any]):
        name = type(self).__name__
        if isinstance(params, Parameter | Module):
            raise TypeError(f"{name}: expected an iterable of Parameters such as "
                            f"model.parameters(), got a {type(params).__name__}")
        try:
            self.params: list[Parameter] = list(params)
        except TypeError as error:
            raise TypeError(f"{name}: expected an iterable of Parameters, got "
                            f"{type(params).__name__}") from error
        if not self.params:
            raise ValueError(f"{name} got an empty list of parameters: nothing to optimize")
        for i, param in enumerate(self.params):
            if not isinstance(param, Parameter):
                raise TypeError(f"{name}: parameter {i} is a {type(param).__name__}, "
                                f"expected a Parameter")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears more than once in the list")
        self.hyperparams: dict[str, Any] = dict(defaults)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """g ← 0 for every parameter (before the next backward pass adds to it)."""
        for param in self.params:
            param.grad[...] = 0

    def step(self) -> None:
        """Update every parameter from its gradient; each optimizer says how."""
        raise NotImplementedError

    def _gradients(self) -> list[tuple[np.ndarray, np.ndarray, dict[str, Any]]]:
        """(p, g, state) for each parameter, once every gradient has been checked.

        p is the parameter's `.data` (to update in place), g a copy of its
        gradient in p's dtype (free to change), state its dict in `self.state`.
        """
        name = type(self).__name__
        checked = []
        for i, (param, state) in enumerate(zip(self.params, self.state, strict=True)):
            if param.grad is None:
                raise ValueError(f"{name}: parameter {i} has no gradient (grad is None)")
            grad = as_float_array(param.grad, f"{name}: gradient of parameter {i}")
            if grad.shape != param.data.shape:
                raise ValueError(f"{name}: gradient of parameter {i} has shape {grad.shape}, "
                                 f"the parameter {param.data.shape}")
            check_finite(grad, f"{name}: gradient of parameter {i}")
            checked.append((param.data, grad.astype(param.data.dtype), state))
        return checked

    def state_dict(self) -> dict[str, Any]:
        """A copy of everything needed to resume training exactly.

        {"state": {index: {"step": 3, "exp_avg": array, ...}, ...},
         "hyperparams": {"lr": 0.001, ...}}; arrays are copies, not the live buffers.
        """
        state = {i: {key: value.copy() if isinstance(value, np.ndarray) else value
                     for key, value in entry.items()}
                 for i, entry in enumerate(self.state)}
        return {"state": state, "hyperparams": dict(self.hyperparams)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a `state_dict()` made by the same optimizer over parameters of the same shapes.

        The arrays are copied (into each parameter's dtype) and the hyper-parameters
        are checked again, so a bad dict raises before anything changes.
        """
        name = type(self).__name__
        if set(state_dict) != {"state", "hyperparams"}:
            raise KeyError(f"{name}: expected a state_dict with keys 'hyperparams' and "
                           f"'state', got {sorted(state_dict)}")
        hyperparams = dict(state_dict["hyperparams"])
        if set(hyperparams) != set(self.hyperparams):
            raise KeyError(f"{name}: hyper-parameters {sorted(hyperparams)} do not match "
                           f"{sorted(self.hyperparams)} (a state_dict of another optimizer?)")
        # Building a throw-away twin re-runs the subclass's checks on the loaded values.
        hyperparams = type(self)(self.params, **hyperparams).hyperparams
        loaded = state_dict["state"]
        if not set(loaded) <= set(range(len(self.params))):
            raise KeyError(f"{name}: state for parameters {sorted(loaded)}, but there are "
                           f"only {len(self.params)} parameters")
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for i, entry in loaded.items():
            param = self.params[i]
            for key, value in entry.items():
                if isinstance(value, np.ndarray):
                    if value.shape != param.shape:
                        raise ValueError(f"{name}: state {key!r} of parameter {i} has shape "
                                         f"{value.shape}, the parameter {param.shape}")
                    value = np.array(value, dtype=param.data.dtype)  # a copy
                new_state[i][key] = value
        self.hyperparams, self.state = hyperparams, new_state

    def __repr__(self) -> str:
        n = len(self.params)
        settings = ", ".join(f"{key}={value!r}" for key, value in self.hyperparams.items())
        return f"{type(self).__name__}({n} parameter{'s' * (n != 1)}, {settings})"


class GD(Optimizer):
    """Gradient descent (`torch.optim.SGD(params, lr)` fed full-batch gradients).

        p ← p − ηg

    The update is the one of plain SGD; the name says where g comes from. In
    (full-batch) gradient descent g is the gradient of the loss averaged over
    the whole training set: every step follows the exact downhill direction of
    the training loss, which goes down at every step when η is small enough,
    but each step costs a pass over all the data. Stochastic gradient descent
    uses the gradient on one example or a mini-batch: a noisy estimate of the
    same gradient, much cheaper, and the noise even helps to escape sharp
    minima. So GD is "SGD on the whole data set": the same code, different
    gradients.
    """

    def __init__(self, params: Iterable[Parameter], lr: float):
        super().__init__(params, {"lr": check_positive(lr, "lr")})

    def step(self) -> None:
        """p ← p − ηg for every parameter."""
        lr = self.hyperparams["lr"]
        for p, g, _ in self._gradients():
            p -= lr * g


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (`torch.optim.SGD`).

    momentum μ keeps a running sum b of past gradients (the "velocity") and
    steps along it; dampening τ scales down the new gradient added to it;
    nesterov steps along g + μb, a look-ahead at where the velocity goes next
    (needs μ > 0 and τ = 0); weight_decay λ adds λp to g (L2 regularisation).
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False):
        momentum = check_non_negative(momentum, "momentum")
        dampening = check_non_negative(dampening, "dampening")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        super().__init__(params, {"lr": check_positive(lr, "lr"), "momentum": momentum,
                                  "dampening": dampening,
                                  "weight_decay": check_non_negative(weight_decay, "weight_decay"),
                                  "nesterov": bool(nesterov)})

    def step(self) -> None:
        """For every parameter:

            g ← g + λp                                 (if λ ≠ 0)
            b ← g on the first step, else μb + (1 − τ)g  (if μ ≠ 0)
            g ← g + μb if nesterov, else b             (if μ ≠ 0)
            p ← p − ηg
        """
        h = self.hyperparams
        lr, momentum, dampening = h["lr"], h["momentum"], h["dampening"]
        weight_decay, nesterov = h["weight_decay"], h["nesterov"]
        for p, g, state in self._gradients():
            if weight_decay != 0:
                g = g + weight_decay * p
            if momentum != 0:
                b = state.get("momentum_buffer")
                b = g.copy() if b is None else momentum * b + (1 - dampening) * g
                state["momentum_buffer"] = b
                g = g + momentum * b if nesterov else b
            p -= lr * g


class Adagrad(Optimizer):
    """Adagrad (`torch.optim.Adagrad`): each entry gets its own step size.

    s sums the squares of all past gradients, so entries that have seen large
    gradients take smaller steps; the steps only ever shrink. lr_decay slows
    the base rate further: η_t = η / (1 + (t − 1)·lr_decay).
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10):
        super().__init__(params, {
            "lr": check_positive(lr, "lr"),
            "lr_decay": check_non_negative(lr_decay, "lr_decay"),
            "weight_decay": check_non_negative(weight_decay, "weight_decay"),
            "initial_accumulator_value": check_non_negative(initial_accumulator_value,
                                                            "initial_accumulator_value"),
            "eps": check_positive(eps, "eps")})

    def step(self) -> None:
        """For every parameter (s starts at initial_accumulator_value):

            t ← t + 1
            g ← g + λp                          (if λ ≠ 0)
            η_t ← η / (1 + (t − 1)·lr_decay)
            s ← s + g²
            p ← p − η_t · g / (√s + ε)
        """
        h = self.hyperparams
        lr, lr_decay, weight_decay, eps = h["lr"], h["lr_decay"], h["weight_decay"], h["eps"]
        for p, g, state in self._gradients():
            if not state:
                state.update(step=0, sum=np.full_like(p, h["initial_accumulator_value"]))
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * p
            lr_t = lr / (1 + (state["step"] - 1) * lr_decay)
            s = state["sum"] = state["sum"] + g * g
            p -= lr_t * g / (np.sqrt(s) + eps)


class RMSprop(Optimizer):
    """RMSprop (`torch.optim.RMSprop`): divide the step by a running RMS of the gradient.

    Like Adagrad, but v is a moving average (weight alpha α on the past), so old
    gradients are forgotten and the steps need not shrink for ever. centered
    also tracks the mean gradient ḡ and divides by an estimate of the standard
    deviation instead; momentum μ adds a velocity b as in SGD.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False):
        super().__init__(params, {
            "lr": check_positive(lr, "lr"), "alpha": _check_fraction(alpha, "alpha"),
            "eps": check_positive(eps, "eps"),
            "weight_decay": check_non_negative(weight_decay, "weight_decay"),
            "momentum": check_non_negative(momentum, "momentum"), "centered": bool(centered)})

    def step(self) -> None:
        """For every parameter (v, ḡ and b start at 0):

            g ← g + λp                            (if λ ≠ 0)
            v ← αv + (1 − α)g²
            ḡ ← αḡ + (1 − α)g,   d ← √(v − ḡ²) + ε  (if centered)
                                  d ← √v + ε        (otherwise)
            b ← μb + g / d,      p ← p − ηb        (if μ > 0)
                                  p ← p − ηg / d    (otherwise)
        """
        h = self.hyperparams
        lr, alpha, eps = h["lr"], h["alpha"], h["eps"]
        weight_decay, momentum, centered = h["weight_decay"], h["momentum"], h["centered"]
        for p, g, state in self._gradients():
            if not state:
                state.update(step=0, square_avg=np.zeros_like(p))
                if momentum > 0:
                    state["momentum_buffer"] = np.zeros_like(p)
                if centered:
                    state["grad_avg"] = np.zeros_like(p)
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * p
            v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
            if centered:
                mean = state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
                d = np.sqrt(v - mean * mean) + eps
            else:
                d = np.sqrt(v) + eps
            if momentum > 0:
                b = state["momentum_buffer"] = momentum * state["momentum_buffer"] + g / d
                p -= lr * b
            else:
                p -= lr * g / d


class Adam(Optimizer):
    """Adam (`torch.optim.Adam`): momentum and RMSprop together, with bias correction.

    m is a moving average of g (weight β₁ on the past) and v one of g² (β₂).
    Both start at 0, so early on they are too small; dividing by 1 − βᵗ undoes
    that. amsgrad divides by the largest v seen so far, so the step size of an
    entry never grows. weight_decay λ adds λp to g (L2 regularisation), which
    then gets rescaled like the gradient; `AdamW` decays p directly instead.
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False):
        if not (isinstance(betas, tuple | list) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (β₁, β₂), got {betas!r}")
        super().__init__(params, {
            "lr": check_positive(lr, "lr"),
            "betas": (_check_fraction(betas[0], "betas[0]"),
                      _check_fraction(betas[1], "betas[1]")),
            "eps": check_positive(eps, "eps"),
            "weight_decay": check_non_negative(weight_decay, "weight_decay"),
            "amsgrad": bool(amsgrad)})

    def step(self) -> None:
        """For every parameter (m, v and v̂ start at 0):

            t ← t + 1
            p ← p − ηλp  (AdamW)   or   g ← g + λp  (Adam)     (if λ ≠ 0)
            m ← β₁m + (1 − β₁)g
            v ← β₂v + (1 − β₂)g²
            v̂ ← max(v̂, v), then use v̂ in place of v           (if amsgrad)
            p ← p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
        """
        h = self.hyperparams
        lr, (beta1, beta2), eps = h["lr"], h["betas"], h["eps"]
        weight_decay, amsgrad = h["weight_decay"], h["amsgrad"]
        for p, g, state in self._gradients():
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
                if amsgrad:
                    state["max_exp_avg_sq"] = np.zeros_like(p)
            state["step"] += 1
            t = state["step"]
            if weight_decay != 0:
                if self.decoupled_weight_decay:
                    p *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * p
            m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
            v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
            if amsgrad:
                v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
            denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
            p -= lr / (1 - beta1**t) * m / denominator


class AdamW(Adam):
    """AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay.

    Adam's L2 term λp goes through the moving averages and is divided by √v,
    so entries with large gradients are barely regularised. AdamW leaves g
    alone and shrinks the weights directly, p ← p − ηλp, before the Adam step:
    every weight decays at the same rate. Note the larger default λ = 0.01.
    The update is in `Adam.step`.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.__name__: cls for cls in (GD, SGD, Adagrad, RMSprop, Adam, AdamW)}
"""Optimizer classes by name, for notebooks and widgets: `OPTIMIZERS["Adam"](params)`."""
