"""Notebook 15's pictures and widget: what a smaller model costs and keeps.

Quantisation, pruning, distillation and their measurements live in `mmkit.compress`,
data-parallel training in `mmkit.train` and `mmkit.pipeline`; this module only draws and
wires:

    plot_quantization(weight, scale)          a close-up of a layer's weights on their int8
                                              levels (w ≈ scale · q), and the rounding errors
    plot_tradeoff(rows)                       accuracy against size on disk and against
                                              latency, one point per model
    plot_softened(probabilities, label)       a teacher's probabilities at several
                                              temperatures
    pruning_sweep(model, batch, sparsities)   the model pruned at each sparsity: accuracy and
                                              the weights left (computed once, then cached)
    pruning_view / plot_pruning_view /        one sparsity of a sweep: the accuracy curve with
    pruning_widget                            the point chosen, and the weights kept
    tradeoff_rows / validation_table /        the committed tables of make bench
    final_table                               (benchmarks/results/compression.json): the
                                              trade-off's points, the smaller models on
                                              validation, the final evaluation
    processes_table                           benchmarks/results/distributed.json: 1 and 2
                                              processes, steps and samples per second
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
from torch import nn

from mmkit import compress
from mmkit.metrics import format_mean_std
from mmkit.models.encoders import accuracy

SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
#: The sparsities the notebook's sweep tries (shares of the weights set to 0).
SPARSITIES = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


# --- quantisation ----------------------------------------------------------------------------

def plot_quantization(weight: np.ndarray | torch.Tensor, scale: float, count: int = 30,
                      steps: int = 4, axes: np.ndarray | None = None) -> np.ndarray:
    """Left, a close-up near 0 in units of the scale: the first `count` weights of a layer
    within `steps` levels of 0, w / scale (dots), and the int8 values that replace them,
    q = round(w / scale) (crosses), on the grid of levels (the integers). Right: the
    histogram of every weight's rounding error w − scale · q, within ± scale / 2 (dashed)."""
    w = np.asarray(torch.as_tensor(weight).detach(), dtype=np.float64).ravel()
    q = np.clip(np.round(w / scale), -128, 127)
    error = w - scale * q
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    left, right = axes
    near = np.flatnonzero(np.abs(w) <= steps * scale)[:count]
    for level in range(-steps, steps + 1):
        left.axhline(level, color="0.8", lw=0.8, zorder=0)
    left.plot(np.arange(len(near)), w[near] / scale, "o", ms=4, label="w / scale (float32)")
    left.plot(np.arange(len(near)), q[near], "x", ms=6, color="tab:red", label="q (int8)")
    left.set(xlabel=f"weight (the first {len(near)} near 0)", ylabel="in units of the scale",
             ylim=(-steps - 0.5, steps + 0.5),
             title=f"a close-up: levels every scale = {scale:.2g}")
    left.legend(fontsize=10, loc="upper right", framealpha=0.9)
    right.hist(error, bins=41, color="tab:grey")
    for sign in (-1, 1):
        right.axvline(sign * scale / 2, color="k", ls="--", lw=1)
    right.set(xlabel="rounding error w − scale · q", ylabel="weights",
              title=f"{len(w):,} weights, all within ± scale / 2")
    return np.asarray(axes)


# --- the trade-off ---------------------------------------------------------------------------

def plot_tradeoff(rows: Sequence[Mapping], axes: np.ndarray | None = None) -> np.ndarray:
    """Each model (a row: "name", "size_kb", "latency_ms", "accuracy") as a point: accuracy
    against size on disk (left, log scale) and against latency per batch (right)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.3), sharey=True, layout="constrained")
    for ax, key, label in ((axes[0], "size_kb", "size on disk (kB, log scale)"),
                           (axes[1], "latency_ms", "latency per batch (ms)")):
        for k, row in enumerate(rows):
            ax.plot(row[key], row["accuracy"], "o", ms=7, color=f"C{k}", label=row["name"])
        ax.set(xlabel=label)
    axes[0].set_xscale("log")
    axes[0].xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0].xaxis.set_major_formatter(ScalarFormatter())
    axes[0].xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_ylabel("validation accuracy")
    axes[1].legend(fontsize=10, loc="lower right")
    return np.asarray(axes)


# --- distillation ----------------------------------------------------------------------------

def plot_softened(probabilities: Mapping[float, np.ndarray], label: int,
                  ax: Axes | None = None) -> Axes:
    """A teacher's probabilities over the classes for one sample (temperature T → (C,)),
    grouped bars, the true class `label` marked."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    temperatures = list(probabilities)
    width = 0.8 / len(temperatures)
    classes = np.arange(len(next(iter(probabilities.values()))))
    for k, temperature in enumerate(temperatures):
        ax.bar(classes + (k - (len(temperatures) - 1) / 2) * width,
               np.asarray(probabilities[temperature]), width, label=f"T = {temperature:g}")
    ax.set_xticks(classes, [f"{c}{' ✓' if c == label else ''}" for c in classes])
    ax.set(xlabel="class", ylabel="probability", ylim=(0, 1.05),
           title="softmax(teacher logits / T) for one validation sample")
    ax.legend(fontsize=10, loc="upper right")
    return ax


# --- pruning ---------------------------------------------------------------------------------

@dataclass
class PruningSweep:
    """A model pruned at each sparsity: its accuracy on the batch, and the weights that
    `prune_global` left (the non-zero ones, flattened); `bins` (log-spaced, over |w| of
    the first) and each one's histogram `counts` are computed once, for fast redraws."""

    sparsities: list[float]
    accuracies: list[float]
    kept: list[np.ndarray]
    total: int
    bins: np.ndarray = field(init=False, repr=False)
    counts: list[np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        every = np.abs(self.kept[0])
        self.bins = np.logspace(np.log10(every.min()), np.log10(every.max()), 50)
        self.counts = [np.histogram(np.abs(k), self.bins)[0] for k in self.kept]


def pruning_sweep(model: nn.Module, batch: Mapping[str, torch.Tensor],
                  sparsities: Sequence[float] = SPARSITIES) -> PruningSweep:
    """`compress.prune_global(model, s)` for each sparsity s and its accuracy on `batch`
    (a collate batch): everything the widget draws, computed once."""
    accuracies, kept = [], []
    total = len(compress.prunable_weights(model))
    for sparsity in sparsities:
        pruned = compress.prune_global(model, sparsity).eval()
        accuracies.append(accuracy(pruned, batch))
        weights = compress.prunable_weights(pruned).numpy()
        kept.append(weights[weights != 0])
    return PruningSweep([float(s) for s in sparsities], accuracies, kept, total)


@dataclass
class PruningView:
    """One sparsity of a sweep: its accuracy and how many weights are left."""

    sparsity: float
    accuracy: float
    kept: int
    total: int
    axes: np.ndarray | None = field(default=None, repr=False)


def pruning_view(sweep: PruningSweep, sparsity: float) -> PruningView:
    """The sweep's result at `sparsity` (one of `sweep.sparsities`)."""
    if sparsity not in sweep.sparsities:
        raise ValueError(f"sparsity: expected one of {sweep.sparsities}, got {sparsity!r}")
    k = sweep.sparsities.index(sparsity)
    return PruningView(sparsity, sweep.accuracies[k], len(sweep.kept[k]), sweep.total)


def plot_pruning_view(sweep: PruningSweep, view: PruningView,
                      axes: np.ndarray | None = None) -> np.ndarray:
    """Left: accuracy against sparsity, the unpruned accuracy − 1 point dashed, the chosen
    sparsity marked. Right: the histogram of log10 |w| before pruning (grey) and of the
    weights left at that sparsity, with the threshold τ below which all went."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    left, right = axes
    left.plot(sweep.sparsities, sweep.accuracies, "o-", color="tab:grey", ms=4)
    left.axhline(sweep.accuracies[0] - 0.01, color="k", ls="--", lw=1,
                 label="unpruned − 1 point")
    left.plot([view.sparsity], [view.accuracy], "o", ms=10, color="tab:red",
              label=f"sparsity {view.sparsity:.2f}: {view.accuracy:.3f}")
    left.set(xlabel="sparsity (share of weights set to 0)", ylabel="validation accuracy",
             ylim=(0, 1.02))
    left.legend(fontsize=10, loc="lower left")
    k = sweep.sparsities.index(view.sparsity)
    edges = np.log10(sweep.bins)        # a linear axis of log10 |w|: plain tick labels, fast
    right.stairs(sweep.counts[0], edges, fill=True, color="0.85", label="before pruning")
    right.stairs(sweep.counts[k], edges, fill=True, color="tab:blue", label="left")
    if view.sparsity > 0:
        tau = float(np.abs(sweep.kept[k]).min())
        right.axvline(np.log10(tau), color="k", ls="--", lw=1, label=f"τ = {tau:.2g}")
    right.set(xlabel="log₁₀ |w|", ylabel="weights",
              title=f"{view.kept:,} of {view.total:,} weights left")
    right.legend(fontsize=10, loc="upper left")
    view.axes = np.asarray(axes)
    return view.axes


def pruning_widget(sweep: PruningSweep) -> widgets.interactive:
    """A slider over the sweep's sparsities redrawing `plot_pruning_view` from the
    precomputed sweep (nothing is pruned or evaluated again).

    children: [sparsity, output]; `.result` holds the latest PruningView."""
    slider = widgets.SelectionSlider(options=[(f"{s:.2f}", s) for s in sweep.sparsities],
                                     value=sweep.sparsities[0], description="sparsity",
                                     **SLIDER)

    def show(sparsity: float) -> PruningView:
        view = pruning_view(sweep, sparsity)
        axes = plot_pruning_view(sweep, view)
        display(axes[0].figure)
        plt.close(axes[0].figure)
        return view

    return widgets.interactive(show, sparsity=slider)


# --- the committed tables (make bench) ---------------------------------------------------------

def _mean(values: Sequence[float] | float) -> float:
    return float(np.mean(values))


def tradeoff_rows(results: Mapping, compressed: bool = True) -> list[dict]:
    """The points of `plot_tradeoff` from `benchmarks/results/compression.json`: each width
    trained on the labels alone (mean validation accuracy over the seeds), then, with
    `compressed`, the teacher in int8 and the student distilled from the teacher (its
    width's size and latency)."""
    rows = []
    for row in results["widths"]["rows"]:
        name = "teacher (width 64)" if row["parameters"] == results["widths"][
            "teacher_parameters"] else f"width {row['width']}"
        rows.append({"name": name, "size_kb": row["size_kb"], "latency_ms": row["latency_ms"],
                     "accuracy": _mean(row["val_accuracy"])})
    if not compressed:
        return rows
    int8 = results["teacher"]["int8"]
    rows.append({"name": "teacher, int8", "size_kb": int8["size_kb"],
                 "latency_ms": int8["latency_ms"], "accuracy": int8["val_accuracy"]})
    distilled = results["distillation"]
    plain = _distilled_width(results)
    rows.append({"name": f"width {distilled['width']}, distilled", "size_kb": plain["size_kb"],
                 "latency_ms": plain["latency_ms"],
                 "accuracy": _mean(distilled["distilled_val"])})
    return rows


def _distilled_width(results: Mapping) -> Mapping:
    """The row of `compression.json`'s widths that the distilled student shares (its size
    and latency: distillation changes the weights, not the architecture)."""
    width = results["distillation"]["width"]
    return next(row for row in results["widths"]["rows"] if row["width"] == width)


def validation_table(results: Mapping) -> str:
    """The smaller models of `compression.json` as text, validation split only: each width
    trained on the labels (mean ± std over the seeds), the teacher in int8, and the student
    distilled (T and alpha chosen on validation)."""
    teacher = results["widths"]["teacher_parameters"]
    lines = [f"{'model':<24}{'parameters':>11}{'share':>8}{'size':>9}{'latency':>10}"
             f"{'validation accuracy':>21}"]

    def line(name: str, parameters: int, size_kb: float, latency_ms: float, accuracy: str):
        lines.append(f"{name:<24}{parameters:>11,}{100 * parameters / teacher:>7.0f}%"
                     f"{size_kb:>6.0f} kB{latency_ms:>7.1f} ms{accuracy:>21}")

    for row in results["widths"]["rows"]:
        line(f"width {row['width']}", row["parameters"], row["size_kb"], row["latency_ms"],
             format_mean_std(row["val_accuracy"], 3))
    int8 = results["teacher"]["int8"]
    line("teacher (64), int8", int8["parameters"], int8["size_kb"], int8["latency_ms"],
         f"{int8['val_accuracy']:.3f}")
    distilled = results["distillation"]
    plain = _distilled_width(results)
    line(f"width {distilled['width']}, distilled", distilled["parameters"], plain["size_kb"],
         plain["latency_ms"], format_mean_std(distilled["distilled_val"], 3))
    lines.append(f"(distilled with T = {distilled['temperature']:g}, alpha = "
                 f"{distilled['alpha']:g}, chosen on validation)")
    return "\n".join(lines)


def processes_table(results: Mapping) -> str:
    """`benchmarks/results/distributed.json` as text: per setting (processes, batch per
    process, learning rate), steps and samples per second and the validation accuracy,
    mean ± std over the seeds."""
    lines = [f"{'processes':>9}{'batch':>7}{'global':>8}{'lr':>8}{'steps/s':>14}"
             f"{'samples/s':>12}{'validation accuracy':>22}"]
    for row in results["runs"]:
        lines.append(f"{row['processes']:>9}{row['batch_per_process']:>7}"
                     f"{row['global_batch']:>8}{row['learning_rate']:>8g}"
                     f"{format_mean_std(row['steps_per_s'], 1):>14}"
                     f"{_mean(row['samples_per_s']):>12.0f}"
                     f"{format_mean_std(row['val_accuracy'], 3):>22}")
    return "\n".join(lines)


def final_table(results: Mapping) -> str:
    """`compression.json`'s final evaluation as text: each model kept, its validation
    accuracy (what chose it) and its accuracy on the held-out split, read once by the bench
    (mean ± std over the seeds where there are several)."""
    teacher, distilled = results["teacher"], results["distillation"]
    chosen = {"teacher": teacher["float"]["val_accuracy"],
              "teacher int8": teacher["int8"]["val_accuracy"],
              "student, cross-entropy": distilled["plain_val"],
              "student, distilled": distilled["distilled_val"]}
    for row in results["pruning"]["sweep"]:
        chosen[f"teacher pruned {row['sparsity']:g}"] = row["val_accuracy"]
    lines = [f"{'model':<26}{'validation':>14}{'held out':>14}"]
    for name, values in results["final"].items():
        validation = chosen.get(name)
        shown = "" if validation is None else format_mean_std(validation, 3) if np.ndim(
            validation) else f"{validation:.3f}"
        held = format_mean_std(values, 3) if len(values) > 1 else f"{values[0]:.3f}"
        lines.append(f"{name:<26}{shown:>14}{held:>14}")
    return "\n".join(lines)
