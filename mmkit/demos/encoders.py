"""Notebook 11's pictures: what a CNN, an LSTM and MiniLM make of one modality each.

The encoders live in `mmkit.models.encoders`, the from-scratch pieces in
`mmkit.scratch.conv` and `mmkit.scratch.lstm`; this module only draws what they compute:

    plot_feature_maps(image, first, second)     one digit and a few maps of each conv layer
    plot_gates(gates, frames)                   an LSTM's four gates over one clip's frames
    plot_final_states(paddings, unpacked, packed)  how far padding moves the final state
    plot_validation_curves(curves)              validation accuracy per epoch, per model
    plot_embeddings_2d(embeddings, labels)      features projected on their 2 principal axes
    plot_accuracies(results)                    mean ± std of each model's accuracy as bars
    accuracy_table(results)                     the same as a Markdown-like text table
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from mmkit.demos.plotting import show_image
from mmkit.metrics import format_mean_std, mean_std
from mmkit.scratch.lstm import GATES, Gates
from mmkit.validate import check_count

CHANCE = 0.1  # ten digits, balanced splits


def _numbers(x: object) -> np.ndarray:
    """A tensor or an array as a float NumPy array (detached)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=float)


def plot_feature_maps(image: object, first: object, second: object, channels: int = 4
                      ) -> np.ndarray:
    """The input image (28, 28) and the first `channels` maps of each convolution (after
    ReLU): first (c1, 28, 28), second (c2, 14, 14). Each map has its own scale, from 0
    (white) to its largest value (black), printed above it. Returns the Axes (2, channels + 1).
    """
    channels = check_count(channels, "channels", minimum=1)
    image, first, second = _numbers(image), _numbers(first), _numbers(second)
    fig, axes = plt.subplots(2, channels + 1, figsize=(min(9.0, 1.5 * (channels + 1)), 3.6))
    show_image(axes[0, 0], image)
    axes[0, 0].set_title("input")
    axes[1, 0].set_axis_off()
    for row, (maps, name) in enumerate(((first, "conv1"), (second, "conv2"))):
        for k in range(channels):
            largest = float(maps[k].max())
            show_image(axes[row, k + 1], maps[k], vmin=0.0, vmax=largest or 1.0)
            axes[row, k + 1].set_title(f"{name}[{k}] ≤ {largest:.1f}", fontsize=10)
    axes[1, 1].set_ylabel(f"{second.shape[-2]}×{second.shape[-1]}")
    axes[0, 1].set_ylabel(f"{first.shape[-2]}×{first.shape[-1]}")
    fig.suptitle("feature maps after ReLU (white 0, black the map's largest value)",
                 fontsize=10)
    return axes


def plot_gates(gates: Gates, frames: int | None = None, units: int = 8,
               end: int | None = None) -> np.ndarray:
    """An LSTM's four gates over one clip: gates of one sequence, each (T, H) (or (1, T, H)),
    drawn for the first `frames` steps (None: all) and `units` hidden units, one panel per
    gate (i, f, o in 0..1; g in −1..1), with a colour bar each; a dashed line after frame
    `end` − 1 (the clip's last real frame), if given."""
    values = [np.squeeze(_numbers(g), axis=0) if np.ndim(g) == 3 else _numbers(g)
              for g in gates]
    frames = values[0].shape[0] if frames is None else check_count(frames, "frames", 1)
    units = min(check_count(units, "units", 1), values[0].shape[1])
    fig, axes = plt.subplots(1, 4, figsize=(9, 2.8), sharey=True)
    for ax, name, value in zip(axes, GATES, values, strict=True):
        low = -1.0 if name == "cell" else 0.0
        shown = ax.imshow(value[:frames, :units].T, aspect="auto", vmin=low, vmax=1.0,
                          cmap="RdBu_r" if name == "cell" else "viridis",
                          interpolation="nearest")
        ax.grid(False)
        ax.set(title=f"{name} ({'tanh' if name == 'cell' else 'σ'})", xlabel="frame")
        if end is not None:
            ax.axvline(end - 0.5, color="white", ls="--", lw=1.5)
        fig.colorbar(shown, ax=ax, fraction=0.08, pad=0.03)
    axes[0].set_ylabel("hidden unit")
    return axes


def plot_final_states(paddings: Sequence[int], unpacked: object, packed: object,
                      ax: Axes | None = None) -> Axes:
    """How far each final state is from the one without padding, against the frames of
    padding added: unpacked and packed (N, H) final states, row k after paddings[k] frames
    (paddings[0] must be 0, the reference). The distance is the Euclidean norm."""
    unpacked, packed = _numbers(unpacked), _numbers(packed)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for states, name, marker in ((unpacked, "unpacked", "o-"), (packed, "packed", "s--")):
        ax.plot(paddings, np.linalg.norm(states - states[0], axis=1), marker, ms=4, label=name)
    ax.set(xlabel="frames of padding after the clip",
           ylabel="‖h_T − h_T(no padding)‖", title="the same clip, padded more and more")
    ax.legend()
    return ax


def plot_validation_curves(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
                           ax: Axes | None = None, title: str = "") -> Axes:
    """curves: model name → (epochs, validation accuracy), e.g. from
    `mmkit.models.transformer.validation_curve(history, "val_accuracy")`; chance dotted."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for name, (epochs, values) in curves.items():
        ax.plot(epochs, values, "o-", ms=3, label=name)
    ax.axhline(CHANCE, color="grey", ls=":", lw=1.5, label="chance")
    ax.set(xlabel="epoch (0: before training)", ylabel="validation accuracy", ylim=(0, 1),
           title=title)
    ax.legend(loc="lower right")
    return ax


def plot_embeddings_2d(embeddings: object, labels: object, ax: Axes | None = None,
                       title: str = "") -> Axes:
    """embeddings (N, D) projected on their two principal axes (centred, by an SVD), each
    point coloured by its digit label (N,), with a colour bar; the share of the variance
    each axis explains is in its label."""
    x, labels = _numbers(embeddings), np.asarray(labels).astype(int)
    x = x - x.mean(axis=0)
    _, singular, axes_t = np.linalg.svd(x, full_matrices=False)
    points = x @ axes_t[:2].T
    share = singular**2 / np.sum(singular**2)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    shown = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=-0.5,
                       vmax=9.5, s=12)
    colour_bar = plt.colorbar(shown, ax=ax, ticks=range(10))
    colour_bar.set_label("digit")
    ax.set(xlabel=f"principal axis 1 ({share[0]:.0%} of the variance)",
           ylabel=f"axis 2 ({share[1]:.0%})", title=title)
    return ax


def plot_accuracies(results: Mapping[str, Sequence[float]], ax: Axes | None = None,
                    ylabel: str = "validation accuracy", title: str = "") -> Axes:
    """One bar per model: the mean of its accuracies (one per seed), the sample std as an
    error bar when there are several (none for one seed), the value written on the bar;
    chance dotted."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = list(results)
    means, stds = zip(*(mean_std(results[n]) for n in names), strict=True)
    stds = [std if len(results[n]) > 1 else np.nan for n, std in zip(names, stds, strict=True)]
    bars = ax.bar(range(len(names)), means, yerr=stds, capsize=4, color="tab:blue")
    ax.bar_label(bars, labels=[f"{m:.2f}" for m in means], label_type="center", color="white",
                 fontsize=10)
    ax.axhline(CHANCE, color="grey", ls=":", lw=1.5, label="chance")
    ax.set_xticks(range(len(names)), names)
    ax.set(ylim=(0, 1), ylabel=ylabel, title=title)
    ax.legend(loc="upper right")
    return ax


def accuracy_table(results: Mapping[str, Sequence[float]], header: str = "accuracy") -> str:
    """Each model's accuracies as "mean ± std (n seeds)", or the one value, one row each."""
    width = max(len(name) for name in results)
    lines = [f"{'model':<{width}}  {header}"]
    for name, values in results.items():
        shown = (f"{format_mean_std(values)} ({len(values)} seeds)" if len(values) > 1
                 else f"{values[0]:.2f} (1 seed)")
        lines.append(f"{name:<{width}}  {shown}")
    return "\n".join(lines)
