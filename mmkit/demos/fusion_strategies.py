"""Notebook 12's pictures and widget: the four fusion strategies, what they learn, and how
they hold up when one modality gets noisy.

The models live in `mmkit.models.fusion`, the corruption in `mmkit.robustness`, the
comparison over seeds in `mmkit.pipeline`; this module only draws and wires:

    plot_fusion_diagram()                       the four strategies as boxes and arrows
    error_message(function, *args)              "KeyError: ..." of a call that fails
    plot_validation_curves(histories, chosen)   validation accuracy per epoch, per strategy
    plot_modality_weights(weights)              learned weight of each modality, per model
    noise_view / plot_noise_view / noise_widget  per-modality noise → each trained model's
                                                validation accuracy (no retraining)
    comparison_rows / comparison_summary /      the committed comparison over 3 seeds
    plot_comparison                             (`mmkit.pipeline.load_comparison()`) as a
                                                table, the numbers a sentence quotes, bars
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from mmkit.data.dataset import MODALITIES
from mmkit.metrics import mean_std
from mmkit.models.transformer import validation_curve
from mmkit.robustness import accuracies_under
from mmkit.train import History

SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
#: The widget's ranges: (min, max, step) of the text share and of the image / audio σ.
TEXT_RANGE = (0.0, 1.0, 0.1)
SIGMA_RANGE = (0.0, 3.0, 0.25)
COLOURS = {"text": "tab:green", "image": "tab:blue", "audio": "tab:orange",
           "early": "tab:purple", "late": "tab:red", "hierarchical": "tab:brown",
           "attention": "tab:cyan", "fused": "0.35"}


# --- the diagram -----------------------------------------------------------------------------

def _box(ax: Axes, x: float, y: float, text: str, colour: str = "0.85", w: float = 0.26,
         h: float = 0.11) -> tuple[float, float]:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01",
                                fc=colour, ec="0.3", lw=1, alpha=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)
    return x, y


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float],
           h: float = 0.11) -> None:
    (x0, y0), (x1, y1) = start, end
    ax.add_patch(FancyArrowPatch((x0, y0 - h / 2), (x1, y1 + h / 2), arrowstyle="-|>",
                                 mutation_scale=9, lw=1, color="0.3"))


def plot_fusion_diagram(axes: np.ndarray | None = None) -> np.ndarray:
    """Four small panels, data flowing top to bottom: the three encoders (T, I, A), then
    where each strategy joins them: early (concatenate → one head), late (a head per
    modality → a weighted mean of their predictions), hierarchical (I + A first, then T),
    attention (a softmax weight per modality token)."""
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(9, 3.4))
    xs = {"text": 0.17, "image": 0.5, "audio": 0.83}
    short = {"text": "T", "image": "I", "audio": "A"}
    for ax in axes:
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.set_axis_off()
    panels = dict(zip(("early", "late", "hierarchical", "attention"), axes, strict=True))
    for name, ax in panels.items():
        ax.set_title({"early": "feature-level\n(early)", "late": "model-level\n(late)",
                      "hierarchical": "hierarchical\n(intermediate)",
                      "attention": "attention"}[name], fontsize=11)
        for m, x in xs.items():
            _box(ax, x, 0.9, short[m], COLOURS[m], w=0.24)
        enc = {m: _box(ax, x, 0.72, "enc", "0.92", w=0.24) for m, x in xs.items()}
        for m, x in xs.items():
            _arrow(ax, (x, 0.9), enc[m])
        if name == "early":
            joined = _box(ax, 0.5, 0.46, "concat\n+ mask", "0.92", w=0.5, h=0.14)
            for m in MODALITIES:
                _arrow(ax, enc[m], joined, h=0.11)
            out = _box(ax, 0.5, 0.17, "one head", COLOURS["early"], w=0.5)
            _arrow(ax, joined, out, h=0.14)
        elif name == "late":
            heads = {m: _box(ax, xs[m], 0.46, "head", "0.92", w=0.24) for m in MODALITIES}
            for m in MODALITIES:
                _arrow(ax, enc[m], heads[m])
            out = _box(ax, 0.5, 0.17, "Σ w·p", COLOURS["late"], w=0.5)
            for m in MODALITIES:
                _arrow(ax, heads[m], out)
        elif name == "hierarchical":
            pair = _box(ax, 0.66, 0.46, "I + A", "0.92", w=0.4)
            _arrow(ax, enc["image"], pair)
            _arrow(ax, enc["audio"], pair)
            out = _box(ax, 0.5, 0.17, "+ T → head", COLOURS["hierarchical"], w=0.6)
            _arrow(ax, pair, out)
            _arrow(ax, enc["text"], out)
        else:
            tokens = {m: _box(ax, xs[m], 0.46, "token", "0.92", w=0.26) for m in MODALITIES}
            for m in MODALITIES:
                _arrow(ax, enc[m], tokens[m])
            out = _box(ax, 0.5, 0.17, "Σ α·token", COLOURS["attention"], w=0.5)
            for m in MODALITIES:
                _arrow(ax, tokens[m], out)
    return np.asarray(axes)


# --- bad input -----------------------------------------------------------------------------

def error_message(function: Callable, *args, **kwargs) -> str:
    """'ErrorType: message' of `function(*args, **kwargs)`, which is expected to fail
    ("no error" if it does not). KeyError's message is shown without its quotes."""
    try:
        function(*args, **kwargs)
    except Exception as error:  # shown, whatever it is
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        return f"{type(error).__name__}: {text}"
    return "no error"


# --- training: curves and weights ------------------------------------------------------------

def plot_validation_curves(histories: Mapping[str, History],
                           chosen: Mapping[str, int] | None = None,
                           ax: Axes | None = None) -> Axes:
    """Validation accuracy against the epoch (0: before training) for each strategy, a
    marker on the epoch chosen for it (`chosen`: name → epoch)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    for name, history in histories.items():
        epochs, values = validation_curve(history, "val_accuracy")
        colour = COLOURS.get(name)
        ax.plot(epochs, values, "o-", ms=3, color=colour, label=name)
        if chosen and name in chosen:
            ax.plot([chosen[name]], [values[list(epochs).index(chosen[name])]], "*",
                    ms=12, color=colour, markeredgecolor="k")
    ax.axhline(0.1, color="grey", ls=":", lw=1, label="chance")
    ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1))
    ax.legend(loc="lower right", fontsize=10)
    return ax


def plot_modality_weights(weights: Mapping[str, Sequence[float]], ax: Axes | None = None
                          ) -> Axes:
    """Grouped bars: for each model (name → (3,) weights of text, image, audio, e.g. late
    fusion's learned weights or attention's mean α), the weight of each modality."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = list(weights)
    width = 0.8 / len(MODALITIES)
    for k, modality in enumerate(MODALITIES):
        values = [float(weights[name][k]) for name in names]
        bars = ax.bar(np.arange(len(names)) + (k - 1) * width, values, width,
                      color=COLOURS[modality], label=modality)
        ax.bar_label(bars, fmt="%.2f", fontsize=10)
    ax.axhline(1 / 3, color="grey", ls=":", lw=1, label="equal (1/3)")
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="weight of the modality", ylim=(0, 1))
    ax.legend(loc="upper right", fontsize=10, ncols=2)
    return ax


# --- the noise widget -------------------------------------------------------------------------

@dataclass
class NoiseView:
    """What `noise_view` computed: the noise levels and each model's validation accuracy."""

    noise: dict[str, float]
    accuracies: dict[str, float] = field(default_factory=dict)
    clean: dict[str, float] = field(default_factory=dict)
    axes: Axes | None = None


def noise_view(models: Mapping[str, torch.nn.Module], batch: Mapping[str, torch.Tensor],
               text: float = 0.0, image: float = 0.0, audio: float = 0.0, seed: int = 0,
               clean: Mapping[str, float] | None = None) -> NoiseView:
    """Each trained model's accuracy on `batch` with this much noise on each modality
    (`mmkit.robustness.corrupt`: a share `text` of words hit, σ `image` and `audio`);
    `clean` (name → accuracy without noise) is kept for the picture, computed if None."""
    noise = {"text": float(text), "image": float(image), "audio": float(audio)}
    view = NoiseView(noise, accuracies_under(models, batch, noise, seed))
    view.clean = dict(clean) if clean is not None else accuracies_under(models, batch, None,
                                                                          seed)
    return view


def plot_noise_view(view: NoiseView, ax: Axes | None = None) -> Axes:
    """One bar per model: its accuracy under the noise, a dash at its clean accuracy."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = list(view.accuracies)
    values = [view.accuracies[name] for name in names]
    bars = ax.bar(range(len(names)), values, color=[COLOURS.get(n, "0.5") for n in names])
    ax.bar_label(bars, fmt="%.2f", fontsize=10)
    if view.clean:
        ax.plot(range(len(names)), [view.clean[n] for n in names], "_", ms=30, mew=2,
                color="k", label="no noise")
        ax.legend(loc="upper right", fontsize=10)
    ax.axhline(0.1, color="grey", ls=":", lw=1)
    ax.set_xticks(range(len(names)), names)
    level = view.noise
    ax.set(ylim=(0, 1.1), ylabel="validation accuracy",
           title=f"text p = {level['text']:.1f}, image σ = {level['image']:.2f}, "
                 f"audio σ = {level['audio']:.2f}")
    view.axes = ax
    return ax


def noise_widget(models: Mapping[str, torch.nn.Module], batch: Mapping[str, torch.Tensor],
                 seed: int = 0) -> widgets.interactive:
    """Three sliders (text: share of words hit; image, audio: σ of the noise) re-evaluating
    the trained `models` on `batch` (no retraining): a bar of each one's accuracy.

    children: [text, image, audio, output]; `.result` holds the latest NoiseView."""
    clean = accuracies_under(models, batch, None, seed)
    low, high, step = TEXT_RANGE
    text = widgets.FloatSlider(value=0.0, min=low, max=high, step=step, readout_format=".1f",
                               description="text: share of words hit", **SLIDER)
    low, high, step = SIGMA_RANGE
    image = widgets.FloatSlider(value=0.0, min=low, max=high, step=step, readout_format=".2f",
                                description="image: noise σ", **SLIDER)
    audio = widgets.FloatSlider(value=0.0, min=low, max=high, step=step, readout_format=".2f",
                                description="audio: noise σ", **SLIDER)

    def show(text: float, image: float, audio: float) -> NoiseView:
        view = noise_view(models, batch, text, image, audio, seed, clean)
        ax = plot_noise_view(view)
        display(ax.figure)
        plt.close(ax.figure)
        return view

    return widgets.interactive(show, text=text, image=image, audio=audio)


# --- the comparison over seeds (make bench) ------------------------------------------------------

@dataclass(frozen=True)
class ComparisonRow:
    """One model of a preset in the committed comparison: mean and std over the seeds."""

    name: str
    kind: str
    parameters: int
    val_accuracy: tuple[float, float]
    accuracy: tuple[float, float]
    f1: tuple[float, float]
    seeds: int


def comparison_rows(comparison: Mapping, preset: str = "standard") -> list[ComparisonRow]:
    """The models of `preset` in `comparison` (the dict of `load_comparison()`), in its
    order, each with (mean, std) of its validation accuracy, accuracy and macro-F1."""
    presets = comparison["presets"]
    if preset not in presets:
        raise ValueError(f"preset must be one of {', '.join(map(repr, presets))}; "
                         f"got {preset!r}")
    rows = []
    for model in presets[preset]["models"]:
        rows.append(ComparisonRow(
            model["name"], model["kind"], int(model["parameters"]),
            mean_std(model["val_accuracy"]), mean_std(model["accuracy"]),
            mean_std(model["f1"]), len(model["accuracy"])))
    return rows


def format_comparison(comparison: Mapping, preset: str = "standard") -> str:
    """A text table: one line per model, mean ± std of validation accuracy, accuracy and
    macro-F1 over the seeds, then the logistic-regression line."""
    rows = comparison_rows(comparison, preset)
    lines = [f"{'model':<14}{'kind':<10}{'parameters':>11}  {'val accuracy':>13}  "
             f"{'accuracy':>13}  {'macro-F1':>13}"]
    for row in rows:
        cells = [f"{m:.3f} ± {s:.3f}" for m, s in (row.val_accuracy, row.accuracy, row.f1)]
        lines.append(f"{row.name:<14}{row.kind:<10}{row.parameters:>11,}  "
                     + "  ".join(f"{c:>13}" for c in cells))
    baseline = comparison["presets"][preset].get("logistic_regression")
    if baseline:
        lines.append(f"{'logistic reg.':<14}{'early':<10}{'':>11}  "
                     f"{baseline['val_accuracy']:>13.3f}  {baseline['accuracy']:>13.3f}")
    return "\n".join(lines)


def comparison_summary(comparison: Mapping, preset: str = "standard") -> dict[str, object]:
    """The numbers a sentence about `preset` quotes: the best fusion and the best single
    modality (name, mean and std of accuracy), the margin between them in points, and the
    logistic-regression early fusion's accuracy (None if absent). "Best" is a choice, so
    it is made on the mean validation accuracy; the held-out accuracy is only reported."""
    rows = comparison_rows(comparison, preset)
    fusion = max((r for r in rows if r.kind == "fusion"), key=lambda r: r.val_accuracy[0])
    single = max((r for r in rows if r.kind == "unimodal"), key=lambda r: r.val_accuracy[0])
    baseline = comparison["presets"][preset].get("logistic_regression") or {}
    return {"best_fusion": fusion.name, "fusion_accuracy": fusion.accuracy,
            "fusion_f1": fusion.f1, "best_single": single.name,
            "single_accuracy": single.accuracy,
            "margin_points": 100 * (fusion.accuracy[0] - single.accuracy[0]),
            "logistic_regression": baseline.get("accuracy")}


def plot_comparison(comparison: Mapping, presets: Sequence[str] = ("standard",),
                    axes: np.ndarray | None = None) -> np.ndarray:
    """One panel per preset: accuracy and macro-F1 of each model as bars, mean over the
    seeds with ± std error bars; a dashed line at the logistic-regression early fusion."""
    if axes is None:
        _, axes = plt.subplots(1, len(presets), figsize=(4.5 * len(presets), 3.4),
                               squeeze=False)
    axes = np.asarray(axes).ravel()
    for ax, preset in zip(axes, presets, strict=True):
        rows = comparison_rows(comparison, preset)
        x = np.arange(len(rows))
        for offset, key, colour in ((-0.2, "accuracy", "tab:blue"),
                                    (0.2, "f1", "tab:orange")):
            means = [getattr(r, key)[0] for r in rows]
            stds = [getattr(r, key)[1] for r in rows]
            ax.bar(x + offset, means, 0.4, yerr=stds, capsize=3, color=colour,
                   label="accuracy" if key == "accuracy" else "macro-F1")
        baseline = comparison["presets"][preset].get("logistic_regression")
        if baseline:
            ax.axhline(baseline["accuracy"], color="k", ls="--", lw=1,
                       label="logistic regression")
        ax.set_xticks(x, [r.name for r in rows], rotation=35, ha="right")
        seeds = rows[0].seeds if rows else 0
        ax.set(ylim=(0, 1.05), title=f"{preset} (mean ± std, {seeds} seeds)")
    axes[0].set_ylabel("score")
    axes[0].legend(loc="lower left", fontsize=10)
    return axes
