"""Notebook 04's pictures and widget: optimizers walking on 2-D loss surfaces, and on digits.

The surfaces and the paths optimizers take on them are in `mmkit.scratch.surfaces`,
the optimizers in `mmkit.scratch.optim`, the training loop in `mmkit.scratch.train`;
this module draws them, and trains the same small network on scikit-learn's
digits with each optimizer, over several seeds, reading the validation split.

    paths      paths_for, plot_trajectories, hyperparams_for, trajectory_widget
    digits     train_digits, compare_on_digits, plot_training_curves, results_table,
               lr_sweep, plot_lr_sweep (spreads from mmkit.metrics)
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
from mmkit.metrics import format_mean_std, mean_std
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
from mmkit.validate import NonFiniteError, lookup

# --------------------------------------------------------------------------- paths

Setting = tuple[str, dict[str, Any]]
"""(optimizer name in OPTIMIZERS, its hyper-parameters), e.g. ("SGD", {"lr": 0.1})."""

CHOICES = ("GD", "SGD+momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW")
"""The optimizers the pictures and the widget compare (on a surface SGD without momentum
is GD: the gradient is exact, there is no mini-batch noise)."""

USES = {"momentum": ("SGD+momentum", "Nesterov"), "beta1": ("Adam", "AdamW"),
        "beta2": ("RMSprop", "Adam", "AdamW")}
"""Which of `CHOICES` each slider of the widget applies to (RMSprop's α is the β₂ slider)."""

NONE = "none"
"""The widget's second optimizer when there is nothing to compare with."""

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
    `USES` says which choice reads which.
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
    return f"{value:.3g}" if isinstance(value, float) else str(value)


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


def paths_for(surface: str | Surface, settings: Mapping[str, Setting] | None = None,
              steps: int | None = None) -> dict[str, np.ndarray]:
    """label → the path (steps + 1, 2) of each setting on the surface (`trajectory`).

    settings: label → (optimizer name, hyper-parameters), SURFACE_SETTINGS[surface] if
    None; steps: the surface's default if None.
    """
    surface = get_surface(surface)
    settings = SURFACE_SETTINGS[surface.name] if settings is None else settings
    return {label: trajectory(name, surface, steps, **hyperparams)
            for label, (name, hyperparams) in settings.items()}


def plot_trajectories(surface: str | Surface, settings: Mapping[str, Setting] | None = None,
                      steps: int | None = None, note: str | None = None,
                      colors: Mapping[str, str] | None = None) -> np.ndarray:
    """Paths of several optimizers on one surface (left), their loss per step (middle), and
    how each ended (legend, right).

    settings: label → (optimizer name, hyper-parameters), SURFACE_SETTINGS[surface] if
    None; steps: the surface's default if None; note: text under the legend; colors:
    label → colour (`COLORS` by label if None). Returns the paths' and the losses'
    Axes, shape (2,); each path is the line labelled with its label, drawn up to where
    it left the box if it did. Labels starting "AdamW" are dashed.
    """
    surface = get_surface(surface)
    colors = COLORS if colors is None else colors
    _, (left, right, key) = plt.subplots(1, 3, figsize=(9.0, 3.5),
                                         gridspec_kw={"width_ratios": [1, 1, 0.6]})
    X, Y, Z = _grid(surface)
    # filled bands, light in the valleys (flat colours also keep the notebook's PNGs small)
    left.contourf(X, Y, Z, levels=_levels(surface, Z), cmap="Greys", alpha=0.45,
                  extend="both")
    left.grid(False)
    floor = 0.0 if surface.minimum is None else surface.floor()
    for label, path in paths_for(surface, settings, steps).items():
        end = exit_step(path, surface)
        shown = path if end is None else path[:end + 1]
        style = dict(color=colors.get(label), ls="--" if label.startswith("AdamW") else "-",
                     lw=1.3)
        dots = dict(marker=".", ms=2.5) if len(shown) <= 80 else {}  # dots show the steps
        left.plot(shown[:, 0], shown[:, 1], label=label, **dots, **style)
        losses = path_losses(shown, surface) - floor
        if surface.minimum is not None:
            losses = np.maximum(losses, 1e-12)  # a log axis cannot show 0
        right.plot(losses, label=f"{label}\n  {final_words(path, surface)}", **style)
    left.plot(*surface.start, "ko", ms=4, label="_start")
    if surface.minimum is not None:
        left.plot(*surface.minimum, "k*", ms=9, label="_minimum")
    left.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y",
             title=surface.title)
    if surface.minimum is not None:
        right.set(yscale="log", ylabel="f − min f")
    else:
        right.set(ylabel="f")
    right.set(xlabel="step", title="loss after each step")
    key.axis("off")
    key.legend(*right.get_legend_handles_labels(), loc="upper left", title="how it ended",
               frameon=False, borderaxespad=0, handlelength=1.2)
    if note:
        key.text(0.0, 0.0, note, transform=key.transAxes, va="bottom")
    return np.array([left, right])


def trajectory_widget() -> widgets.interactive:
    """Pick an optimizer and its lr, optionally a second one to compare with and its lr, a
    surface, and the momentum μ, β₁, β₂ that apply; see both paths.

    Children, in order: optimizer, lr, versus (a second optimizer, or "none"),
    versus_lr, surface, momentum, beta1, beta2, and the output. A slider that
    applies to neither chosen optimizer (see `USES`) is hidden and disabled, and the
    β₂ slider is labelled α for RMSprop; `observe` on both dropdowns keeps that up
    to date. `.result` holds the latest Axes (shape (2,)), or the message shown
    instead of a picture.
    """
    wide = {"description_width": "initial"}  # the whole label, at any notebook width
    slider = dict(continuous_update=False, readout_format=".3g", style=wide)
    log_lr = dict(base=10, min=-4, max=0.5, step=0.125, **slider)
    controls = dict(
        optimizer=widgets.Dropdown(options=list(CHOICES), value="Adam",
                                   description="optimizer", style=wide),
        lr=widgets.FloatLogSlider(value=0.1, description="lr η", **log_lr),
        versus=widgets.Dropdown(options=[NONE, *CHOICES], value="GD",
                                description="compare with", style=wide),
        versus_lr=widgets.FloatLogSlider(value=10**-1.125, description="its lr η", **log_lr),
        surface=widgets.Dropdown(options=list(SURFACES), value="bowl", description="surface",
                                 style=wide),
        momentum=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                     description="momentum μ", **slider),
        beta1=widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                  description="β₁", **slider),
        beta2=widgets.FloatSlider(value=0.999, min=0.5, max=0.999, step=0.001,
                                  description="β₂", **slider),
    )

    def show(optimizer: str, lr: float, versus: str, versus_lr: float, surface: str,
             momentum: float, beta1: float, beta2: float) -> np.ndarray | str:
        chosen = [(optimizer, lr)] + ([] if versus == NONE else [(versus, versus_lr)])
        same = len(chosen) == 2 and optimizer == versus
        settings, colors, tuned = {}, {}, []
        try:
            for i, (choice, rate) in enumerate(chosen):
                label = f"{choice}, η = {rate:.3g}" if same else choice
                settings[label] = hyperparams_for(choice, rate, momentum, beta1, beta2)
                colors[label] = "black" if same and i == 1 else COLORS[choice]
                tuned.append(f"{choice}: {SURFACE_SETTINGS[surface][choice][1]['lr']:g}")
        except ValueError as error:
            print(error)
            return str(error)
        axes = plot_trajectories(surface, settings, colors=colors,
                                 note="lr tuned by hand\nfor this surface:\n" + "\n".join(
                                     dict.fromkeys(tuned)))
        axes[1].set_title("\nvs ".join(describe(s) for s in settings.values()))
        display(axes[0].figure)
        plt.close(axes[0].figure)
        return axes

    widget = widgets.interactive(show, **controls)

    def adapt(_change: object = None) -> None:
        chosen = {controls["optimizer"].value, controls["versus"].value}
        for name, users in USES.items():
            applies = bool(chosen & set(users))
            controls[name].disabled = not applies
            controls[name].layout.display = None if applies else "none"
        adam, rmsprop = bool(chosen & {"Adam", "AdamW"}), "RMSprop" in chosen
        controls["beta2"].description = ("β₂ (RMSprop: α)" if adam and rmsprop
                                         else "RMSprop α" if rmsprop else "β₂")
        alone = controls["versus"].value == NONE
        controls["versus_lr"].disabled = alone
        controls["versus_lr"].layout.display = "none" if alone else None

    controls["optimizer"].observe(adapt, names="value")
    controls["versus"].observe(adapt, names="value")
    adapt()
    return widget


# --------------------------------------------------------------------------- digits

SEEDS = (0, 1, 2)
"""The seeds every digits comparison is repeated with (initial weights, mini-batch order)."""

DIVERGED_LOSS = 10.0
"""A training loss above this (ln 10 ≈ 2.3 is guessing) counts as diverged, like inf."""

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
    """One setting trained once per seed: what was used, each seed's per-epoch history, and
    each seed's validation accuracy (seeds (S,), histories (S,), val_accuracies (S,))."""

    label: str
    optimizer: str
    hyperparams: dict[str, Any]
    batch_size: int | None
    steps: int
    seeds: tuple[int, ...]
    histories: tuple[History, ...]
    val_accuracies: tuple[float, ...]

    @property
    def train_losses(self) -> np.ndarray:
        """The mean training loss of every epoch, one row per seed: (S, epochs)."""
        return np.array([history.train_loss for history in self.histories])

    @property
    def val_accuracy(self) -> float:
        """The mean over seeds of the validation accuracy."""
        return mean_std(self.val_accuracies)[0]


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


def val_accuracy(model: Any, split: Split) -> float | None:
    """The model's accuracy on the validation split, or None if its outputs are not finite."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model(split.X_val)
    except NonFiniteError:
        return None
    return accuracy(logits, split.y_val) if np.isfinite(logits).all() else None


def compare_on_digits(runs: Mapping[str, RunSpec] | None = None, epochs: int = 10,
                      split: Split | None = None, seeds: Sequence[int] = SEEDS
                      ) -> dict[str, DigitsRun]:
    """Train the same network from the same starts with each run's optimizer; label → run.

    runs: label → (optimizer name, hyper-parameters, batch size); DIGITS_RUNS if None.
    Every run is repeated for each seed (the same seeds for every optimizer) and
    scored on the validation split.
    """
    runs = DIGITS_RUNS if runs is None else runs
    split = load_digits_split() if split is None else split
    results = {}
    for label, (name, hyperparams, batch_size) in runs.items():
        histories, accuracies = [], []
        for seed in seeds:
            model, history = train_digits(name, hyperparams, batch_size, epochs, split,
                                          seed=seed)
            histories.append(history)
            accuracies.append(val_accuracy(model, split))
        n = len(split.X_train)
        per_epoch = 1 if batch_size is None or batch_size >= n else -(-n // batch_size)
        results[label] = DigitsRun(label, name, dict(hyperparams), batch_size,
                                   per_epoch * epochs, tuple(seeds), tuple(histories),
                                   tuple(accuracies))
    return results


def plot_training_curves(results: Mapping[str, DigitsRun], ax: plt.Axes | None = None
                         ) -> plt.Axes:
    """Training loss per epoch (log scale) of each run: the mean over seeds, and the band
    from the lowest to the highest seed; labelled with the validation accuracy."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 3.5))
    for label, run in results.items():
        losses = run.train_losses
        epochs = np.arange(1, losses.shape[1] + 1)
        line, = ax.plot(epochs, losses.mean(axis=0), marker=".", color=COLORS.get(label),
                        label=f"{label}: {format_mean_std(run.val_accuracies)}")
        ax.fill_between(epochs, losses.min(axis=0), losses.max(axis=0), alpha=0.2,
                        color=line.get_color(), lw=0)
    seeds = len(next(iter(results.values())).seeds)
    ax.set(yscale="log", xlabel="epoch", ylabel="mean training loss", xticks=epochs,
           title=f"mlp([64, 64, 10]) on digits: mean and range over {seeds} seeds")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="validation accuracy")
    return ax


def results_table(results: Mapping[str, DigitsRun]) -> str:
    """A plain-text table: optimizer, settings, steps, the training loss after the first and
    the last epoch, and the validation accuracy, each as mean ± std over the seeds."""
    rows = [f"{'optimizer':<17}{'settings':<28}{'steps':>5}{'loss, epoch 1':>15}"
            f"{'final loss':>13}{'val accuracy':>14}"]
    for label, run in results.items():
        losses = run.train_losses
        rows.append(f"{label:<17}{describe((run.optimizer, run.hyperparams)):<28}"
                    f"{run.steps:>5}{format_mean_std(losses[:, 0]):>15}"
                    f"{format_mean_std(losses[:, -1]):>13}"
                    f"{format_mean_std(run.val_accuracies):>14}")
    return "\n".join(rows)


@dataclass(frozen=True)
class SweepPoint:
    """One learning rate of a sweep, trained once per seed: each seed's training loss after
    `epochs` and validation accuracy, or None and the error where the run raised."""

    lr: float
    epochs: int
    final_losses: tuple[float | None, ...]
    val_accuracies: tuple[float | None, ...]
    errors: tuple[str | None, ...]

    @property
    def diverged(self) -> bool:
        """Whether some seed's run raised or ended above `DIVERGED_LOSS`."""
        return any(loss is None or loss > DIVERGED_LOSS for loss in self.final_losses)

    @property
    def final_loss(self) -> float | None:
        """The mean over seeds of the final training loss; None if a run raised."""
        if any(loss is None for loss in self.final_losses):
            return None
        return float(np.mean(self.final_losses))  # no std: a diverged run's square overflows

    @property
    def val_accuracy(self) -> float | None:
        """The mean over seeds of the validation accuracy; None if a run has none."""
        if any(acc is None for acc in self.val_accuracies):
            return None
        return mean_std(self.val_accuracies)[0]


def lr_sweep(optimizer_name: str, lrs: Sequence[float], epochs: int = 5,
             batch_size: int | None = 32, split: Split | None = None,
             seeds: Sequence[int] = SEEDS, **hyperparams: Any) -> list[SweepPoint]:
    """Train once per learning rate and seed (each seed the same start at every rate);
    record the training loss and the validation accuracy; a diverged run keeps its message."""
    split = load_digits_split() if split is None else split
    points = []
    for lr in lrs:
        losses, accuracies, errors = [], [], []
        for seed in seeds:
            try:
                model, history = train_digits(optimizer_name, {"lr": float(lr), **hyperparams},
                                              batch_size, epochs, split, seed=seed)
            except FloatingPointError as error:
                losses.append(None)
                accuracies.append(None)
                errors.append(str(error))
            else:
                losses.append(history.train_loss[-1])
                accuracies.append(val_accuracy(model, split))
                errors.append(None)
        points.append(SweepPoint(float(lr), epochs, tuple(losses), tuple(accuracies),
                                 tuple(errors)))
    return points


def plot_lr_sweep(sweeps: Mapping[str, Sequence[SweepPoint]], ceiling: float = DIVERGED_LOSS,
                  axes: Sequence[plt.Axes] | None = None) -> np.ndarray:
    """Against the learning rate (log axis), one line per optimizer, means over the seeds:
    the final training loss (left, log) and the validation accuracy with ± std bars (right).

    A learning rate where some seed's run raised or ended above `ceiling` is drawn as
    an × at the ceiling, and left out on the right: it diverged. The dotted line is
    ln 10 ≈ 2.3, the loss of guessing among 10 digits. Returns the Axes, shape (2,).
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.0, 3.5))
    loss_ax, acc_ax = axes
    for label, points in sweeps.items():
        lrs = np.array([p.lr for p in points])
        bad = np.array([p.diverged or p.final_loss > ceiling for p in points])
        losses = np.array([np.nan if b else p.final_loss for p, b in zip(points, bad,
                                                                         strict=True)])
        line, = loss_ax.plot(lrs[~bad], losses[~bad], marker="o", ms=4,
                             color=COLORS.get(label), label=label)
        loss_ax.plot(lrs[bad], np.full(bad.sum(), ceiling), "x", ms=8, mew=2,
                     color=line.get_color(), label="_diverged")
        kept = [p for p, b in zip(points, bad, strict=True) if not b]
        spread = np.array([mean_std(p.val_accuracies) for p in kept]).reshape(-1, 2)
        acc_ax.errorbar([p.lr for p in kept], spread[:, 0], yerr=spread[:, 1], marker="o",
                        ms=4, capsize=3, color=line.get_color(), label=label)
    loss_ax.axhline(np.log(10), color="0.5", ls=":", lw=1)
    loss_ax.annotate("guessing: ln 10", (0.99, np.log(10)), xycoords=("axes fraction", "data"),
                     xytext=(0, 3), textcoords="offset points", ha="right", color="0.4")
    epochs = sorted({p.epochs for points in sweeps.values() for p in points})
    after = f"{epochs[0]} epochs" if len(epochs) == 1 else "the run"
    loss_ax.set(xscale="log", yscale="log", xlabel="learning rate η",
                ylabel=f"training loss after {after}", ylim=(None, ceiling * 1.6),
                title=f"× : diverged (loss > {ceiling:g}, or inf)")
    loss_ax.legend(loc="lower left")
    acc_ax.set(xscale="log", xlabel="learning rate η", ylabel="validation accuracy",
               title="validation accuracy (mean ± std)")
    return np.array([loss_ax, acc_ax])
