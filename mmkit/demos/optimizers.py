"""Notebook 04's pictures and widget: optimizers walking on 2-D loss surfaces, and on digits.

The surfaces and the paths optimizers take on them are in `mmkit.scratch.surfaces`;
this module draws them, and trains the same small network on scikit-learn's
digits with each optimizer.

    paths      plot_trajectories, hyperparams_for, trajectory_widget
    digits     train_digits, compare_on_digits, plot_training_curves, results_table,
               lr_sweep, plot_lr_sweep
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from mmkit.data.digits import Split, load_digits_split
from mmkit.scratch.layers import mlp
from mmkit.scratch.losses import CrossEntropyLoss
from mmkit.scratch.optim import OPTIMIZERS
from mmkit.scratch.surfaces import (
    SURFACES,
    Surface,
    exit_step,
    get_surface,
    path_losses,
    trajectory,
)
from mmkit.scratch.train import History, accuracy, fit
from mmkit.validate import lookup

# --------------------------------------------------------------------------- paths

Setting = tuple[str, dict[str, Any]]
"""(optimizer name in OPTIMIZERS, its hyper-parameters), e.g. ("SGD", {"lr": 0.1})."""

CHOICES = ("GD", "SGD+momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW")
"""The optimizers the pictures and the widget compare (on a surface SGD without momentum
is GD: the gradient is exact, there is no mini-batch noise)."""

COLORS = {"GD": "tab:gray", "GD (full batch)": "tab:gray", "SGD": "tab:brown",
          "SGD+momentum": "tab:blue", "Nesterov": "tab:cyan", "Adagrad": "tab:green",
          "RMSprop": "tab:purple", "Adam": "tab:red", "AdamW": "tab:orange"}
"""One colour per optimizer, the same in every picture."""

SURFACE_SETTINGS: dict[str, dict[str, Setting]] = {
    "bowl": {
        "GD": ("GD", {"lr": 0.09}),
        "SGD+momentum": ("SGD", {"lr": 0.08, "momentum": 0.6}),
        "Nesterov": ("SGD", {"lr": 0.05, "momentum": 0.7, "nesterov": True}),
        "Adagrad": ("Adagrad", {"lr": 1.0}),
        "RMSprop": ("RMSprop", {"lr": 0.1}),
        "Adam": ("Adam", {"lr": 0.3}),
        "AdamW": ("AdamW", {"lr": 0.3, "weight_decay": 0.1}),
    },
    "rosenbrock": {
        "GD": ("GD", {"lr": 0.002}),
        "SGD+momentum": ("SGD", {"lr": 0.001, "momentum": 0.9}),
        "Nesterov": ("SGD", {"lr": 0.001, "momentum": 0.9, "nesterov": True}),
        "Adagrad": ("Adagrad", {"lr": 0.5}),
        "RMSprop": ("RMSprop", {"lr": 0.01}),
        "Adam": ("Adam", {"lr": 0.1}),
        "AdamW": ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    },
    "saddle": {
        "GD": ("GD", {"lr": 0.1}),
        "SGD+momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
        "Nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        "Adagrad": ("Adagrad", {"lr": 0.3}),
        "RMSprop": ("RMSprop", {"lr": 0.05}),
        "Adam": ("Adam", {"lr": 0.1}),
        "AdamW": ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    },
}
"""A reasonable setting of every optimizer on every surface (lr tuned by hand, by eye)."""


def hyperparams_for(choice: str, lr: float, momentum: float = 0.9, beta1: float = 0.9,
                    beta2: float = 0.999) -> Setting:
    """The widget's sliders → (optimizer name, hyper-parameters) for one of `CHOICES`.

    momentum is SGD's μ (ignored by the others); beta1 and beta2 are Adam's β₁ and
    β₂; RMSprop's α plays β₂'s role (the decay of the average of g²), so it takes beta2.
    """
    if choice == "GD":
        return "GD", {"lr": lr}
    if choice in ("SGD+momentum", "Nesterov"):
        if choice == "Nesterov" and momentum <= 0:
            raise ValueError("Nesterov needs a momentum > 0, got momentum=0")
        if choice == "Nesterov":
            return "SGD", {"lr": lr, "momentum": momentum, "nesterov": True}
        return "SGD", {"lr": lr, "momentum": momentum}
    if choice == "Adagrad":
        return "Adagrad", {"lr": lr}
    if choice == "RMSprop":
        return "RMSprop", {"lr": lr, "alpha": beta2}
    if choice in ("Adam", "AdamW"):
        return choice, {"lr": lr, "betas": (beta1, beta2)}
    lookup(choice, CHOICES, "optimizer")  # raises: an unknown name
    raise AssertionError(f"{choice!r} is in CHOICES but has no settings")


def describe(setting: Setting) -> str:
    """("SGD", {"lr": 0.1, "momentum": 0.9}) → "SGD(lr=0.1, momentum=0.9)"."""
    name, hyperparams = setting
    values = ", ".join(f"{k}={_short(v)}" for k, v in hyperparams.items())
    return f"{name}({values})"


def _short(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


@lru_cache(maxsize=8)
def _grid(surface: Surface, n: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f on an n × n grid over the box: X, Y, Z each of shape (n, n). Cached for the widget."""
    X, Y = np.meshgrid(np.linspace(*surface.xlim, n), np.linspace(*surface.ylim, n))
    return X, Y, np.asarray(surface.function(X, Y), dtype=float)


def _levels(surface: Surface, Z: np.ndarray) -> np.ndarray:
    """Contour levels: evenly spaced for the saddle, geometric above the minimum otherwise."""
    if surface.minimum is None:
        return np.linspace(Z.min(), Z.max(), 11)
    floor = surface.floor()
    low = max(float(Z.min()) - floor, 1e-3)
    return floor + np.geomspace(low * 10, float(Z.max()) - floor, 10)


def final_words(path: np.ndarray, surface: str | Surface) -> str:
    """How a path ended: "f = 0.0012", or "left the box at step 17". path: (T, 2)."""
    left = exit_step(path, surface)
    if left is not None:
        return f"left the box at step {left}"
    return f"f = {path_losses(path[-1:], surface)[0]:.2g}"


def plot_trajectories(surface: str | Surface, settings: Mapping[str, Setting] | None = None,
                      steps: int | None = None, note: str | None = None) -> np.ndarray:
    """Paths of several optimizers on one surface (left), their loss per step (middle), and
    how each ended (legend, right).

    settings: label → (optimizer name, hyper-parameters), SURFACE_SETTINGS[surface] if
    None; steps: the surface's default if None; note: text under the legend. Returns
    the paths' and the losses' Axes, shape (2,); each path is the line labelled with
    its label, drawn up to where it left the box if it did.
    """
    surface = get_surface(surface)
    settings = SURFACE_SETTINGS[surface.name] if settings is None else settings
    _, (left, right, key) = plt.subplots(1, 3, figsize=(9.0, 3.5),
                                         gridspec_kw={"width_ratios": [1, 1, 0.45]})
    X, Y, Z = _grid(surface)
    # filled bands, light in the valleys (flat colours also keep the notebook's PNGs small)
    left.contourf(X, Y, Z, levels=_levels(surface, Z), cmap="Greys", alpha=0.45,
                  extend="both")
    left.grid(False)
    floor = 0.0 if surface.minimum is None else surface.floor()
    for label, (name, hyperparams) in settings.items():
        path = trajectory(name, surface, steps, **hyperparams)
        end = exit_step(path, surface)
        shown = path if end is None else path[:end + 1]
        style = dict(color=COLORS.get(label), ls="--" if label == "AdamW" else "-", lw=1.3)
        dots = dict(marker=".", ms=2.5) if len(shown) <= 80 else {}  # dots show the steps
        left.plot(shown[:, 0], shown[:, 1], label=label, **dots, **style)
        losses = path_losses(shown, surface) - floor
        if surface.minimum is not None:
            losses = np.maximum(losses, 1e-12)  # a log axis cannot show 0
        right.plot(losses, label=f"{label}\n  {final_words(path, surface)}", **style)
    left.plot(*surface.start, "ko", ms=4, label="_start")
    if surface.minimum is not None:
        left.plot(*surface.minimum, "k*", ms=9, label="_minimum")
    left.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y")
    left.set_title(surface.title, fontsize=9)
    if surface.minimum is not None:
        right.set(yscale="log", ylabel="f − min f")
    else:
        right.set(ylabel="f")
    right.set_xlabel("step")
    right.set_title("loss after each step", fontsize=9)
    key.axis("off")
    key.legend(*right.get_legend_handles_labels(), loc="center left", fontsize=8,
               title="how it ended", title_fontsize=8, frameon=False)
    if note:
        key.text(0.0, 0.05, note, fontsize=8, transform=key.transAxes)
    return np.array([left, right])


def trajectory_widget() -> widgets.interactive:
    """Pick an optimizer, a surface, lr (log slider), momentum, β₁ and β₂; see the path.

    Wires the sliders to `hyperparams_for` and `plot_trajectories`; children, in
    order: optimizer, surface, lr, momentum, beta1, beta2, and the output. `.result`
    holds the latest Axes (shape (2,)), or the message shown instead of a picture.
    """

    def show(optimizer: str, surface: str, lr: float, momentum: float, beta1: float,
             beta2: float) -> np.ndarray | str:
        try:
            setting = hyperparams_for(optimizer, lr, momentum, beta1, beta2)
        except ValueError as error:
            print(error)
            return str(error)
        tuned = SURFACE_SETTINGS[surface][optimizer][1]["lr"]
        axes = plot_trajectories(surface, {optimizer: setting},
                                 note=f"lr tuned by hand\nfor this surface: {tuned:g}")
        axes[1].set_title(describe(setting), fontsize=9)
        display(axes[0].figure)
        plt.close(axes[0].figure)
        return axes

    slider = dict(continuous_update=False, readout_format=".3g")
    return widgets.interactive(
        show,
        optimizer=widgets.Dropdown(options=list(CHOICES), value="Adam", description="optimizer"),
        surface=widgets.Dropdown(options=list(SURFACES), value="bowl", description="surface"),
        lr=widgets.FloatLogSlider(value=0.1, base=10, min=-4, max=0.5, step=0.125,
                                  description="lr η", **slider),
        momentum=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                     description="momentum μ", **slider),
        beta1=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                  description="β₁", **slider),
        beta2=widgets.FloatSlider(value=0.999, min=0.5, max=0.999, step=0.001,
                                  description="β₂ (RMSprop α)", **slider),
    )


# --------------------------------------------------------------------------- digits

RunSpec = tuple[str, dict[str, Any], int | None]
"""(optimizer name, hyper-parameters, batch size or None for the full batch)."""

DIGITS_RUNS: dict[str, RunSpec] = {
    "GD (full batch)": ("GD", {"lr": 1.0}, None),
    "SGD": ("SGD", {"lr": 0.1}, 32),
    "SGD+momentum": ("SGD", {"lr": 0.02, "momentum": 0.9}, 32),
    "Adagrad": ("Adagrad", {"lr": 0.03}, 32),
    "RMSprop": ("RMSprop", {"lr": 0.002}, 32),
    "Adam": ("Adam", {"lr": 0.003}, 32),
}
"""Each optimizer with a reasonable learning rate for mlp([64, 64, 10]) on digits."""


@dataclass(frozen=True)
class DigitsRun:
    """One training run: what was used, the per-epoch history, and the test accuracy."""

    label: str
    optimizer: str
    hyperparams: dict[str, Any]
    batch_size: int | None
    steps: int
    history: History
    test_accuracy: float


def train_digits(optimizer_name: str, hyperparams: Mapping[str, Any],
                 batch_size: int | None = 32, epochs: int = 10, split: Split | None = None,
                 sizes: Sequence[int] = (64, 64, 10), seed: int = 0) -> tuple[Any, History]:
    """Train mlp(sizes) on digits (X_train (N, 64), y_train (N,)); return (model, history).

    The same `seed` gives every optimizer the same initial weights and the same
    mini-batch order. Raises FloatingPointError (from `fit`) if training diverges.
    """
    optimizer_class = lookup(optimizer_name, OPTIMIZERS, "optimizer")
    split = load_digits_split() if split is None else split
    model = mlp(list(sizes), rng=seed)
    optimizer = optimizer_class(model.parameters(), **hyperparams)
    history = fit(model, CrossEntropyLoss(), optimizer, split.X_train, split.y_train,
                  epochs=epochs, batch_size=batch_size, rng=seed)
    return model, history


def compare_on_digits(runs: Mapping[str, RunSpec] | None = None, epochs: int = 10,
                      split: Split | None = None, seed: int = 0) -> dict[str, DigitsRun]:
    """Train the same network from the same start with each run's optimizer; label → run.

    runs: label → (optimizer name, hyper-parameters, batch size); DIGITS_RUNS if None.
    """
    runs = DIGITS_RUNS if runs is None else runs
    split = load_digits_split() if split is None else split
    results = {}
    for label, (name, hyperparams, batch_size) in runs.items():
        model, history = train_digits(name, hyperparams, batch_size, epochs, split, seed=seed)
        n = len(split.X_train)
        per_epoch = 1 if batch_size is None or batch_size >= n else -(-n // batch_size)
        results[label] = DigitsRun(label, name, dict(hyperparams), batch_size,
                                   per_epoch * epochs, history,
                                   accuracy(model(split.X_test), split.y_test))
    return results


def plot_training_curves(results: Mapping[str, DigitsRun], ax: plt.Axes | None = None
                         ) -> plt.Axes:
    """Training loss per epoch (log scale) of each run, labelled with its test accuracy."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 3.5))
    for label, run in results.items():
        epochs = np.arange(1, run.history.epochs + 1)
        ax.plot(epochs, run.history.train_loss, marker=".", color=COLORS.get(label),
                label=f"{label} (test {run.test_accuracy:.2f})")
    ax.set(yscale="log", xlabel="epoch", ylabel="mean training loss",
           title="mlp([64, 64, 10]) on digits, same start", xticks=epochs)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def results_table(results: Mapping[str, DigitsRun]) -> str:
    """A plain-text table: optimizer, settings, batch, steps, final loss, test accuracy."""
    rows = [f"{'optimizer':<17}{'settings':<30}{'batch':>6}{'steps':>7}{'loss':>8}"
            f"{'test acc':>10}"]
    for label, run in results.items():
        batch = "all" if run.batch_size is None else str(run.batch_size)
        rows.append(f"{label:<17}{describe((run.optimizer, run.hyperparams)):<30}{batch:>6}"
                    f"{run.steps:>7}{run.history.train_loss[-1]:>8.3f}"
                    f"{run.test_accuracy:>10.3f}")
    return "\n".join(rows)


@dataclass(frozen=True)
class SweepPoint:
    """One learning rate of a sweep: the training loss after `epochs`, or why there is none."""

    lr: float
    epochs: int
    final_loss: float | None
    error: str | None


def lr_sweep(optimizer_name: str, lrs: Sequence[float], epochs: int = 5,
             batch_size: int | None = 32, split: Split | None = None, seed: int = 0,
             **hyperparams: Any) -> list[SweepPoint]:
    """Train once per learning rate (same start each time); a diverged run keeps its message."""
    split = load_digits_split() if split is None else split
    points = []
    for lr in lrs:
        try:
            _, history = train_digits(optimizer_name, {"lr": float(lr), **hyperparams},
                                      batch_size, epochs, split, seed=seed)
        except FloatingPointError as error:
            points.append(SweepPoint(float(lr), epochs, None, str(error)))
        else:
            points.append(SweepPoint(float(lr), epochs, history.train_loss[-1], None))
    return points


def plot_lr_sweep(sweeps: Mapping[str, Sequence[SweepPoint]], ceiling: float = 10.0,
                  ax: plt.Axes | None = None) -> plt.Axes:
    """Final training loss against the learning rate, one line per optimizer (log–log).

    A run that raised, or ended above `ceiling`, is drawn as an × at the ceiling:
    it diverged. The dotted line is ln 10 ≈ 2.3, the loss of guessing among 10 digits.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    for label, points in sweeps.items():
        lrs = np.array([p.lr for p in points])
        losses = np.array([np.inf if p.final_loss is None else p.final_loss for p in points])
        ok = losses <= ceiling
        line, = ax.plot(lrs[ok], losses[ok], marker="o", ms=4, color=COLORS.get(label),
                        label=label)
        ax.plot(lrs[~ok], np.full((~ok).sum(), ceiling), "x", ms=8, mew=2,
                color=line.get_color())
    ax.axhline(np.log(10), color="0.5", ls=":", lw=1)
    ax.annotate("guessing: ln 10", (0.99, np.log(10)), xycoords=("axes fraction", "data"),
                xytext=(0, 3), textcoords="offset points", ha="right", fontsize=8, color="0.4")
    epochs = sorted({p.epochs for points in sweeps.values() for p in points})
    after = f"{epochs[0]} epochs" if len(epochs) == 1 else "the run"
    ax.set(xscale="log", yscale="log", xlabel="learning rate η",
           ylabel=f"training loss after {after}", ylim=(None, ceiling * 1.6),
           title=f"× : diverged (loss > {ceiling:g}, or inf)")
    ax.legend(fontsize=8, loc="lower left")
    return ax
