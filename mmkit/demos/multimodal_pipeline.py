"""Notebook 13's tables and pictures: one run of the multimodal pipeline, read step by step.

The pipeline itself is `mmkit.pipeline.run` (data → fusion model → Adam → the epoch chosen
on validation → one final evaluation → report); the models are `mmkit.models.encoders` and
`mmkit.models.fusion`, the metrics `mmkit.metrics`. This module only shows what they give:

    parameter_table(model)                          trainable parameters per part
    plot_training(loss_curve, val_curve, best)      training loss and validation accuracy per
                                                    epoch, the chosen epoch marked
    report_table(report)                            a run's report: parameters, time, memory
    plot_mistakes(images, log_mels, lengths, titles)    the image and the log-mel of a few
                                                    samples side by side
    describe_mistake(...)                           one sample: the clue, each modality's own
                                                    vote (late fusion), the fused answer
    share_table(groups, names)                      how often each value (e.g. a clue level)
                                                    occurs in several groups of samples

Every function takes the arrays it draws: which split they come from is the notebook's
choice (its final evaluation passes the held-out samples in itself).
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from torch import nn

from mmkit.data.audio import HOP, SAMPLE_RATE
from mmkit.data.dataset import MODALITIES
from mmkit.demos.plotting import show_image
from mmkit.models.encoders import num_parameters


def parameter_table(model: nn.Module) -> str:
    """Trainable parameters per part of a fusion model: each encoder, then the rest (heads,
    fusion layers) grouped by their attribute name, and the total."""
    rows = [(f"{name} encoder ({type(encoder).__name__})", num_parameters(encoder))
            for name, encoder in model.encoders.items()]
    for name, child in model.named_children():
        if name == "encoders":
            continue
        if isinstance(child, nn.ModuleDict):
            rows += [(f"{name}: {key}", num_parameters(part)) for key, part in child.items()]
        else:
            rows.append((name, num_parameters(child)))
    extra = num_parameters(model) - sum(n for _, n in rows)
    if extra:
        rows.append(("other (direct parameters)", extra))
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {n:>8,}" for label, n in rows if n]
    lines.append(f"{'total (trainable)':<{width}}  {num_parameters(model):>8,}")
    return "\n".join(lines)


def plot_training(loss_curve: Sequence[float], val_curve: Sequence[float], best_epoch: int,
                  axes: Sequence[Axes] | None = None, title: str = "") -> np.ndarray:
    """Two panels: the mean training loss per epoch (1 …), and the validation accuracy per
    epoch (0 = before training) with the epoch chosen on it marked. → Axes (2,)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8))
    axes = np.asarray(axes).ravel()
    epochs = np.arange(1, len(loss_curve) + 1)
    axes[0].plot(epochs, loss_curve, "o-", color="tab:blue")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", title="training loss (mean per epoch)")
    val_epochs = np.arange(len(val_curve))
    axes[1].plot(val_epochs, val_curve, "o-", color="tab:green", label="validation")
    axes[1].axvline(best_epoch, color="tab:red", ls="--", lw=1,
                    label=f"chosen: epoch {best_epoch}")
    axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="validation accuracy")
    axes[1].legend(loc="lower right", fontsize=10)
    if len(val_epochs) <= 16:
        axes[0].set_xticks(epochs)
        axes[1].set_xticks(val_epochs)
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes


def report_table(report: Mapping[str, float]) -> str:
    """A run's `report` (see `mmkit.pipeline`), one line per number."""
    return "\n".join([
        f"parameters (trainable)   {report['parameters']:,}",
        f"training time            {report['training_time_s']:.0f} s (all epochs, validation "
        "included)",
        f"peak memory              {report['peak_memory_mib']:.0f} MiB (peak RSS of the whole "
        "process)",
        f"inference                {report['inference_ms_per_batch']:.0f} ms per batch of "
        f"{report['inference_batch_size']}",
    ])


def plot_mistakes(images: np.ndarray, log_mels: np.ndarray, lengths: Sequence[int],
                  titles: Sequence[str], axes: np.ndarray | None = None) -> np.ndarray:
    """For each of n samples a column: its image (H, W) on top, its log-mel frames (F, M)
    below (mel band up, time across; the dashed line ends the clip, the rest is noise).
    images (n, H, W), log_mels (n, F, M), lengths (n,), titles (n,). → Axes (2, n)."""
    images, log_mels = np.asarray(images), np.asarray(log_mels)
    n = len(images)
    if not len(log_mels) == len(lengths) == len(titles) == n:
        raise ValueError(f"plot_mistakes: expected n images, log-mels, lengths and titles, "
                         f"got {n}, {len(log_mels)}, {len(lengths)}, {len(titles)}")
    if axes is None:
        _, axes = plt.subplots(2, n, figsize=(min(9.0, 2.8 * n), 3.6), squeeze=False,
                               gridspec_kw={"height_ratios": [1, 0.9]}, layout="constrained")
    axes = np.asarray(axes).reshape(2, n)
    frame_s = HOP / SAMPLE_RATE
    limit = float(np.abs(log_mels).max()) or 1.0
    for j in range(n):
        show_image(axes[0, j], images[j])
        axes[0, j].set_title(titles[j], fontsize=10)
        frames = log_mels[j].T  # (M, F)
        shown = axes[1, j].imshow(frames, origin="lower", aspect="auto", cmap="magma",
                                  interpolation="nearest", vmin=-limit, vmax=limit,
                                  extent=(0, frames.shape[1] * frame_s, -0.5,
                                          frames.shape[0] - 0.5))
        axes[1, j].axvline(lengths[j] * frame_s, color="cyan", ls="--", lw=1)
        axes[1, j].set(xlabel="time (s)", ylabel="mel band" if j == 0 else "")
        axes[1, j].grid(False)
    axes[0, 0].figure.colorbar(shown, ax=list(axes[1]), pad=0.02, label="normalised log-mel")
    return axes


def describe_mistake(index: int, label: int, predicted: int, clue: str, level: str,
                     votes: np.ndarray, present: Sequence[bool],
                     modalities: Sequence[str] = MODALITIES) -> str:
    """One sample in a few lines: its clue (raw, and its level of information), then each
    modality's own vote (votes (M, C): each head's probabilities, late fusion) with the
    probability it gives the true digit, then the fused answer."""
    votes = np.asarray(votes, dtype=float)
    lines = [f"sample {index}: digit {label}, predicted {predicted}; clue {clue!r} ({level})"]
    for name, vote, here in zip(modalities, votes, present, strict=True):
        if not here:
            lines.append(f"  {name:<6} missing: no vote")
            continue
        best = int(np.argmax(vote))
        verdict = "right" if best == label else "wrong"
        lines.append(f"  {name:<6} votes {best} ({vote[best]:.2f}, {verdict}); "
                     f"P(digit {label}) = {vote[label]:.2f}")
    return "\n".join(lines)


def share_table(groups: Mapping[str, Sequence[str]], values: Sequence[str]) -> str:
    """How often each of `values` occurs in each group: groups {name: (n,) strings} → a
    table, one row per value, one column per group (shares of the group's size)."""
    names = list(groups)
    width = max(len(str(v)) for v in values)
    header = f"{'':<{width}}  " + "  ".join(f"{f'{name} ({len(groups[name])})':>16}"
                                            for name in names)
    lines = [header]
    for value in values:
        shares = [np.mean([g == value for g in groups[name]]) if len(groups[name]) else
                  float("nan") for name in names]
        lines.append(f"{value:<{width}}  " + "  ".join(f"{s:>16.0%}" for s in shares))
    return "\n".join(lines)
