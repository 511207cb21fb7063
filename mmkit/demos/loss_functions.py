"""Notebook 03's pictures and widget: what a loss measures and how hard it pulls.

The losses themselves live in `mmkit.scratch.losses`; this module only
evaluates them point by point for plotting, builds the notebook's data, and
wires the widget:

    plot_losses(prediction, target, task, delta)   loss and gradient against the prediction
    loss_widget()                                  the same, behind sliders (δ: regression only)
    plot_gradient_vs_logit(label)                  |∂L/∂z| of BCE and of MSE on σ(z)
    plot_training_curves(histories)                loss and validation accuracy per epoch,
                                                   mean ± std over seeds
    plot_outlier_fits(...)                         a line fitted with MSE and with Huber
                                                   (the data: mmkit.data.toy.make_outlier_data)
    cross_entropy_naive / _log_of_softmax          the two unstable ways to compute softmax loss
"""

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
from IPython.display import display

from mmkit.scratch.layers import sigmoid, softmax
from mmkit.scratch.losses import (
    binary_cross_entropy_with_logits,
    huber_loss,
    mse_loss,
)
from mmkit.scratch.train import History
from mmkit.validate import lookup

TASKS = ("binary", "regression")
PREDICTION_RANGE = (-6.0, 6.0)
COLORS = {"BCE with logits": "tab:blue", "MSE on σ(z)": "tab:red", "MSE": "tab:red",
          "Huber": "tab:green"}


# --- the softmax loss, three ways -------------------------------------------------------------

def _rows(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check logits (N, C) and integer labels (N,); return them as arrays."""
    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits: expected shape (N, C), got {logits.shape}")
    if labels.shape != (len(logits),) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels: expected integers of shape ({len(logits)},), got "
                         f"{labels.dtype} {labels.shape}")
    return logits, labels


def cross_entropy_naive(logits: np.ndarray, labels: np.ndarray) -> float:
    """Softmax loss straight from the formula: p = eᶻ / Σ eᶻ, then −mean(log p[label]).

    logits (N, C), labels (N,) → a float. e^1000 overflows to inf and inf/inf
    is NaN: this version breaks on large logits. (NumPy's overflow warnings are
    silenced here so that the notebook shows the NaN, not the warning.)
    """
    logits, labels = _rows(logits, labels)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exp = np.exp(logits)
        p = exp / exp.sum(axis=1, keepdims=True)
        return float(-np.log(p[np.arange(len(labels)), labels]).mean())


def cross_entropy_log_of_softmax(logits: np.ndarray, labels: np.ndarray) -> float:
    """Stable softmax (shifted by the row's max), *then* the log: −mean(log softmax(z)[label]).

    logits (N, C), labels (N,) → a float. No overflow any more, but a true
    class with probability below ~1e-308 underflows to 0 and log(0) = −inf:
    the loss comes out as inf instead of a large finite number.
    """
    logits, labels = _rows(logits, labels)
    with np.errstate(divide="ignore"):
        p = softmax(logits)
        return float(-np.log(p[np.arange(len(labels)), labels]).mean())


# --- checks against PyTorch -------------------------------------------------------------------

def torch_value_and_grad(loss_fn: Callable, pred: np.ndarray, target: np.ndarray
                         ) -> tuple[float, np.ndarray]:
    """Value and ∂loss/∂pred from PyTorch autograd, for comparison with `mmkit.scratch.losses`.

    loss_fn: a `torch.nn.functional` loss such as `F.mse_loss`; pred: any shape
    (float64); target: the same shape, or (N,) integer classes for
    `F.cross_entropy` / `F.nll_loss` → (value: float, grad: pred's shape).
    """
    import torch

    pred_t = torch.tensor(np.asarray(pred, dtype=np.float64), requires_grad=True)
    target = np.asarray(target)
    target_t = (torch.tensor(target, dtype=torch.long) if target.dtype.kind in "iu"
                else torch.tensor(target, dtype=torch.float64))
    value = loss_fn(pred_t, target_t)
    value.backward()
    return float(value.item()), pred_t.grad.numpy()


# --- loss and gradient at one prediction, and along a range of them ---------------------------

def _check_task(task: str, target: float, delta: float) -> None:
    lookup(task, TASKS, "task")
    if task == "binary" and not 0 <= target <= 1:
        raise ValueError(f"binary task: the target is a label (or probability) in [0, 1], "
                         f"got {target!r}")
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta!r}")


def point_losses(prediction: float, target: float, task: str = "binary", delta: float = 1.0
                 ) -> dict[str, tuple[float, float]]:
    """The losses of one prediction against one target: {name: (value, ∂L/∂prediction)}.

    task "binary": the prediction is a logit z, the target a label y in [0, 1];
    the losses are BCE with logits, and MSE between σ(z) and y (its gradient
    with respect to z by the chain rule, ∂L/∂σ · σ'(z)).
    task "regression": the prediction is ŷ; the losses are MSE and Huber(δ).
    """
    _check_task(task, target, delta)
    pred, y = np.array([float(prediction)]), np.array([float(target)])
    if task == "binary":
        bce, bce_grad = binary_cross_entropy_with_logits(pred, y)
        p = sigmoid(pred)
        mse, dl_dp = mse_loss(p, y)
        return {"BCE with logits": (bce, float(bce_grad[0])),
                "MSE on σ(z)": (mse, float(dl_dp[0] * p[0] * (1 - p[0])))}
    mse, mse_grad = mse_loss(pred, y)
    huber, huber_grad = huber_loss(pred, y, delta)
    return {"MSE": (mse, float(mse_grad[0])), "Huber": (huber, float(huber_grad[0]))}


def loss_curves(predictions: np.ndarray, target: float, task: str = "binary",
                delta: float = 1.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`point_losses` along a range of predictions (M,): {name: (values (M,), gradients (M,))}."""
    points = [point_losses(p, target, task, delta) for p in np.asarray(predictions, dtype=float)]
    return {name: (np.array([pt[name][0] for pt in points]),
                   np.array([pt[name][1] for pt in points])) for name in points[0]}


def plot_losses(prediction: float = -4.0, target: float = 1.0, task: str = "binary",
                delta: float = 1.0, axes: np.ndarray | None = None) -> np.ndarray:
    """Loss (left) and its gradient ∂L/∂prediction (right) against the prediction.

    The current prediction is marked on every curve and the legends give the
    values there ("BCE with logits: 4.018"); the left title names the target
    and the prediction. See `point_losses` for the tasks. Returns the two Axes (2,).
    """
    _check_task(task, target, delta)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    grid = np.linspace(*PREDICTION_RANGE, 241)
    curves = loss_curves(grid, target, task, delta)
    here = point_losses(prediction, target, task, delta)
    x_name = "logit z" if task == "binary" else "prediction ŷ"
    for name, (values, grads) in curves.items():
        label = f"Huber (δ = {delta:g})" if name == "Huber" else name
        value, grad = here[name]
        for ax, ys, at, number in ((axes[0], values, value, f"{value:.3f}"),
                                   (axes[1], grads, grad, f"{grad:+.3f}")):
            ax.plot(grid, ys, color=COLORS[name], label=f"{label}: {number}")
            ax.plot([prediction], [at], "o", color=COLORS[name], ms=7)
    for ax in axes:
        ax.axvline(prediction, color="grey", lw=0.8, ls="--")
        ax.set(xlim=PREDICTION_RANGE, xlabel=x_name)
        ax.legend(loc="best")
    axes[1].axhline(0, color="black", lw=0.6)
    axes[0].set(ylabel="loss", title=f"target {target:g}, {x_name} = {prediction:g}")
    axes[1].set(ylabel=f"∂L/∂{x_name.split()[-1]}",
                title="gradient (legend: the values at the dots)")
    return axes


def loss_widget() -> widgets.interactive:
    """Drop-down (task) and sliders (prediction, target, Huber δ) driving `plot_losses`.

    children: [task, prediction, target, delta, output]; `.result` holds the
    latest two Axes. Choosing "binary" limits the target to labels in [0, 1]
    and disables the δ slider (no Huber loss there); "regression" enables it.
    """
    task = widgets.Dropdown(options=[("binary: logit z, label y", "binary"),
                                     ("regression: prediction ŷ, target y", "regression")],
                            value="binary", description="task",
                            style={"description_width": "initial"},
                            layout=widgets.Layout(width="360px"))
    slider = dict(continuous_update=False, style={"description_width": "initial"})
    prediction = widgets.FloatSlider(value=-4.0, min=PREDICTION_RANGE[0],
                                     max=PREDICTION_RANGE[1], step=0.25,
                                     description="logit z", **slider)
    target = widgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.25,
                                 description="target y", **slider)
    delta = widgets.FloatSlider(value=1.0, min=0.25, max=3.0, step=0.25,
                                description="Huber δ", disabled=True, **slider)

    def adapt(change: dict) -> None:  # registered first: runs before the redraw
        binary = change["new"] == "binary"
        delta.disabled = binary  # δ only shapes the Huber loss of the regression task
        if binary:
            target.min, target.max = 0.0, 1.0
            prediction.description = "logit z"
        else:
            target.max, target.min = 3.0, -3.0
            prediction.description = "prediction ŷ"

    task.observe(adapt, names="value")

    def show(task: str, prediction: float, target: float, delta: float) -> np.ndarray:
        if task == "binary":  # the slider's range follows a moment later
            target = min(max(target, 0.0), 1.0)
        axes = plot_losses(prediction, target, task, delta)
        display(axes[0].figure)
        plt.close(axes[0].figure)
        return axes

    return widgets.interactive(show, task=task, prediction=prediction, target=target,
                               delta=delta)


# --- why cross-entropy trains classifiers faster ----------------------------------------------

def plot_gradient_vs_logit(label: int = 1, ax: plt.Axes | None = None) -> plt.Axes:
    """|∂L/∂z| against the logit z for one example with the given label (0 or 1).

    BCE with logits: |σ(z) − y|. MSE on σ(z): |2(σ(z) − y) σ(z)(1 − σ(z))|,
    which vanishes where the prediction is confidently wrong. Log scale.
    """
    if label not in (0, 1):
        raise ValueError(f"label: expected 0 or 1, got {label!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    z = np.linspace(-10, 10, 201)
    for name, (_, grads) in loss_curves(z, float(label), "binary").items():
        ax.semilogy(z, np.abs(grads), color=COLORS[name], label=name)
    wrong = (-10, -2) if label == 1 else (2, 10)
    ax.axvspan(*wrong, color="tab:orange", alpha=0.12, label="confidently wrong")
    ax.set(xlim=(-10, 10), ylim=(1e-5, 2), xlabel="logit z",
           ylabel="|∂L/∂z|  (log scale)",
           title=f"How hard each loss pushes z, true label y = {label}")
    ax.legend(loc="lower left" if label == 1 else "lower right")
    return ax


def plot_training_curves(histories: dict[str, list[History]], level: float | None = 0.8,
                         axes: np.ndarray | None = None) -> np.ndarray:
    """Training loss (log scale) and validation accuracy per epoch, one colour per loss.

    histories: {name: [History, ...]}, one History per seed (each with
    train_loss and val_accuracy over the same number of epochs). The line is
    the mean over the seeds, the band mean ± one standard deviation; `level`
    draws a dotted line at that accuracy (None: none). The losses have
    different units; on a log scale their *slopes* compare. → the two Axes (2,).
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    colors = iter(["tab:red", "tab:blue", "tab:green", "tab:purple"])
    for name, runs in histories.items():
        runs = [runs] if isinstance(runs, History) else list(runs)
        if not runs or any(not run.val_accuracy for run in runs):
            raise ValueError(f"{name}: every history needs a val_accuracy; pass X_val and "
                             "y_val to fit")
        if len({run.epochs for run in runs}) != 1:
            raise ValueError(f"{name}: the runs must have the same number of epochs, got "
                             f"{sorted({run.epochs for run in runs})}")
        color = next(colors)
        epochs = np.arange(1, runs[0].epochs + 1)
        seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
        for ax, curves in ((axes[0], [run.train_loss for run in runs]),
                           (axes[1], [run.val_accuracy for run in runs])):
            mean = np.mean(curves, axis=0)
            ax.plot(epochs, mean, color=color, label=name + seeds)
            if len(runs) > 1:  # the band: ± one sample std over the seeds, as mmkit.metrics
                std = np.std(curves, axis=0, ddof=1)
                ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2,
                                lw=0)
    axes[0].set_yscale("log")
    axes[0].set(xlabel="epoch", ylabel="training loss (log scale)",
                title="Training loss (each in its own units)")
    axes[0].yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0].yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    axes[0].yaxis.set_minor_formatter(ticker.NullFormatter())
    if level is not None:
        axes[1].axhline(level, color="grey", lw=0.8, ls=":")
    axes[1].set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
                title="Validation accuracy (mean ± std)")
    axes[1].legend(loc="lower right")
    for ax in axes:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    return axes


# --- outliers: MSE against Huber --------------------------------------------------------------

def plot_outlier_fits(x: np.ndarray, y: np.ndarray, outliers: np.ndarray,
                      lines: dict[str, tuple[float, float]], true_line: tuple[float, float],
                      delta: float = 1.0, axes: np.ndarray | None = None) -> np.ndarray:
    """Left: the data and the fitted lines; right: each point's pull ∂L/∂ŷ against its error.

    x, y: (N, 1); outliers: (N,) bools; lines: {"MSE" or "Huber ...": (slope,
    intercept)}; true_line: (slope, intercept). The pull is drawn per point
    (without the 1/N): MSE's 2e grows with the error e = ŷ − y, Huber's
    clip(e, −δ, δ) stops at δ. Returns the two Axes (2,).
    """
    x, y, outliers = np.ravel(x), np.ravel(y), np.asarray(outliers, dtype=bool)
    if not len(x) == len(y) == len(outliers):
        raise ValueError(f"x, y and outliers must have the same length; got {len(x)}, "
                         f"{len(y)} and {len(outliers)}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    ax = axes[0]
    ax.plot(x[~outliers], y[~outliers], ".", color="grey", label="data")
    ax.plot(x[outliers], y[outliers], "x", color="black", ms=8, label="outliers")
    grid = np.array([-2.0, 2.0])
    ax.plot(grid, true_line[0] * grid + true_line[1], "--", color="grey", label="true line")
    for name, (slope, intercept) in lines.items():
        color = COLORS["MSE"] if name.startswith("MSE") else COLORS["Huber"]
        ax.plot(grid, slope * grid + intercept, color=color,
                label=f"{name}: slope {slope:.2f}")
    ax.set(xlabel="x", ylabel="y", title="A line fitted with each loss")
    ax.legend(loc="upper left")

    ax = axes[1]
    errors = np.linspace(-10, 10, 201)
    ax.plot(errors, 2 * errors, color=COLORS["MSE"], label="MSE: 2e")
    ax.plot(errors, np.clip(errors, -delta, delta), color=COLORS["Huber"],
            label=f"Huber: clip(e, ±{delta:g})")
    for name, (slope, intercept) in lines.items():  # the outliers' pull under each fit
        e = slope * x[outliers] + intercept - y[outliers]
        pull = np.clip(e, -delta, delta) if name.startswith("Huber") else 2 * e
        ax.plot(e, pull, "x", color="black", ms=8,
                label="outliers, under each fit" if name == next(iter(lines)) else None)
    ax.axhline(0, color="black", lw=0.6)
    ax.set(xlabel="error e = ŷ − y", ylabel="pull ∂L/∂ŷ (per point)", ylim=(-12, 20),
           title="How hard one point pulls the fit")
    ax.legend(loc="upper left")
    return axes

