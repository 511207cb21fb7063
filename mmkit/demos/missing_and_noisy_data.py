"""Notebook 14's pictures and widgets: cleaning, modality dropout and robustness, and the
audio model on real voices.

The cleaners live in `mmkit.cleaning`, the corruption and its summaries in
`mmkit.robustness`, the real-voice model in `mmkit.voices`; this module only draws and
wires:

    plot_outlier_scores(scores, threshold)        histograms of robust z-scores, the cut-off
    plot_imputations(images, known, filled)       digits: complete, with holes, each imputer's
    plot_frame_imputations(frames, known, filled) one clip's log-mel frames filled two ways
    plot_missing_accuracies(missing)              accuracy with each modality missing, per model
    plot_noise_curves(curves)                     accuracy against noise, one panel per modality
    robustness_view / plot_robustness_view /      a missing modality and noise levels → each
    robustness_widget                             trained model's accuracy (cached results)
    plot_log_mels(log_mels)                       log-mel pictures side by side, one scale
    recording_view / plot_recording /             one real recording: hear it, see it, and
    recording_widget                              the model's prediction
    prediction_table(rows)                        `voices.predict_folder`'s answers as text
    upload_widget(model)                          the same on WAV files uploaded in the page
    robustness_table / robustness_summary /       the committed tables (make bench) as text,
    plot_robustness_losses,                       the numbers a sentence quotes, and the
    real_voices_table / real_voices_summary       worst loss with a modality missing as bars
"""

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display
from matplotlib.axes import Axes

from mmkit.data.audio import SAMPLE_RATE
from mmkit.data.dataset import MODALITIES
from mmkit.demos.plotting import plot_digit_grid
from mmkit.metrics import format_mean_std, mean_std
from mmkit.pipeline import describe_dropout
from mmkit.robustness import LEVELS, accuracies_under, area_under_curve, drop_modality

SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
COLOURS = {"text": "tab:green", "image": "tab:blue", "audio": "tab:orange"}
MODEL_STYLES = ("-", "--", ":", "-.")
NOISE_SYMBOL = {"text": "p", "image": "σ", "audio": "σ"}
#: Row labels short enough for a small grid (`mmkit.cleaning`'s imputer names).
SHORT_NAMES = {"training mean": "mean", "k nearest neighbours": "5-NN",
               "autoencoder": "autoenc."}


# --- cleaning --------------------------------------------------------------------------------

def plot_outlier_scores(scores: Mapping[str, np.ndarray], threshold: float,
                        ax: Axes | None = None) -> Axes:
    """Histograms of robust z-scores (name → (N,) scores, e.g. ordinary validation images
    and corrupted ones) and a dashed line at the threshold above which a row is flagged."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    every = np.concatenate([np.asarray(s, dtype=float) for s in scores.values()])
    bins = np.linspace(min(every.min(), -3.0), max(every.max(), threshold + 1), 40)
    for name, values in scores.items():
        ax.hist(values, bins=bins, alpha=0.6, label=f"{name} ({len(values)})")
    ax.axvline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set(xlabel="robust z-score of the distance to the median training image",
           ylabel="images")
    ax.legend(fontsize=10)
    return ax


def plot_imputations(images: np.ndarray, known: np.ndarray,
                     filled: Mapping[str, np.ndarray], count: int = 3) -> np.ndarray:
    """One row per image (the first `count` of images (N, 64)); columns: complete, with its
    missing pixels in red (known (N, 64) False), then each imputer's filling (name →
    (N, 64)). Returns the axes (count, 2 + len(filled))."""
    images, known = np.asarray(images)[:count], np.asarray(known)[:count]
    columns = [images, np.where(known, images, np.nan),
               *(np.asarray(f)[:count] for f in filled.values())]
    grid = np.stack([column.reshape(-1, 8, 8) for column in columns], axis=1)
    titles = ["complete", "missing", *(SHORT_NAMES.get(name, name) for name in filled)]
    axes = plot_digit_grid(grid, column_titles=titles, cell_inches=0.9)
    for ax in axes[:, 1]:
        ax.images[0].set_cmap(ax.images[0].cmap.with_extremes(bad="tab:red"))
    return axes


def plot_frame_imputations(frames: np.ndarray, known: np.ndarray,
                           filled: Mapping[str, np.ndarray], length: int | None = None,
                           axes: np.ndarray | None = None) -> np.ndarray:
    """One clip's normalised log-mel frames (F, M): complete, with its missing frames
    (known (F,) False) blanked, and filled by each method (name → (F, M)); time on x, mel
    band on y, one colour scale and a colour bar. `length`: frames shown (default all)."""
    length = length or len(frames)
    pictures = {"complete": frames, "missing frames": np.where(known[:, None], frames, np.nan),
                **filled}
    if axes is None:
        _, axes = plt.subplots(1, len(pictures), figsize=(9, 2.8), sharey=True,
                               layout="constrained")
    low, high = np.percentile(frames[:length], [1, 99])
    for ax, (name, picture) in zip(axes, pictures.items(), strict=True):
        image = ax.imshow(np.asarray(picture)[:length].T, origin="lower", aspect="auto",
                          vmin=low, vmax=high, cmap="magma", interpolation="nearest")
        ax.set(title=name, xlabel="frame")
        ax.grid(False)
    axes[0].set_ylabel("mel band")
    plt.colorbar(image, ax=list(axes), label="normalised log-mel", shrink=0.9)
    return np.asarray(axes)


# --- modality dropout and robustness ---------------------------------------------------------

def _model_style(names: Sequence[str], name: str) -> str:
    return MODEL_STYLES[list(names).index(name) % len(MODEL_STYLES)]


def plot_missing_accuracies(missing: Mapping[str, Mapping[str, float]],
                            keys: Sequence[str] = ("none", *MODALITIES),
                            ax: Axes | None = None) -> Axes:
    """Grouped bars: for each model (name → `robustness.missing_accuracies` dict), its
    accuracy with nothing missing and with each modality missing (`keys`)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.2))
    names = list(missing)
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        values = [missing[name][key] for key in keys]
        bars = ax.bar(np.arange(len(keys)) + (k - (len(names) - 1) / 2) * width, values,
                      width, label=name, hatch="//" if k % 2 else None,
                      color="tab:purple" if k % 2 else "tab:grey", edgecolor="w")
        ax.bar_label(bars, fmt="%.2f", fontsize=9)
    ax.axhline(0.1, color="grey", ls=":", lw=1)
    ax.set_xticks(range(len(keys)), ["nothing" if k == "none" else f"no {k}" for k in keys])
    ax.set(ylabel="validation accuracy", ylim=(0, 1.05), xlabel="missing at evaluation")
    ax.legend(loc="upper right", fontsize=10)
    return ax


def plot_noise_curves(curves: Mapping[str, Mapping[str, Sequence[float]]],
                      levels: Mapping[str, Sequence[float]] = LEVELS,
                      axes: np.ndarray | None = None) -> np.ndarray:
    """One panel per modality: each model's accuracy (name → {modality: (10,) accuracies
    at `levels[modality]`}) against that modality's noise level, the others clean; the
    legend gives each curve's normalised area (`robustness.area_under_curve`)."""
    if axes is None:
        _, axes = plt.subplots(1, len(MODALITIES), figsize=(9, 3.2), sharey=True,
                               layout="constrained")
    names = list(curves)
    for ax, modality in zip(axes, MODALITIES, strict=True):
        for name in names:
            values = curves[name][modality]
            area = area_under_curve(levels[modality], values)
            ax.plot(levels[modality], values, _model_style(names, name), marker="o", ms=3,
                    color=COLOURS[modality] if name == names[-1] else "0.35",
                    label=f"{name}: area {area:.2f}")
        ax.axhline(0.1, color="grey", ls=":", lw=1)
        ax.set(title=f"noise on the {modality}", ylim=(0, 1),
               xlabel="share of words hit p" if modality == "text" else "noise σ")
        ax.legend(fontsize=9, loc="lower left")
    axes[0].set_ylabel("validation accuracy")
    return np.asarray(axes)


@dataclass
class RobustnessView:
    """What `robustness_view` computed: the modality removed, the noise on the others,
    and each model's accuracy."""

    missing: str
    noise: dict[str, float]
    accuracies: dict[str, float] = field(default_factory=dict)
    axes: Axes | None = None


def robustness_view(models: Mapping[str, torch.nn.Module], batch: Mapping[str, torch.Tensor],
                    missing: str = "none", text: float = 0.0, image: float = 0.0,
                    audio: float = 0.0, seed: int = 0, cache: dict | None = None
                    ) -> RobustnessView:
    """Each trained model's accuracy on `batch` with `missing` ("none" or a modality)
    removed from every row and seeded noise on the others (`robustness.corrupt`: a share
    `text` of words hit, σ `image` and `audio`). Noise asked for on the missing modality is
    ignored (set to 0). `cache` (a dict) keeps results: the same question is not
    evaluated twice."""
    if missing != "none" and missing not in MODALITIES:
        raise ValueError(f"missing must be 'none' or one of {MODALITIES}; got {missing!r}")
    noise = {"text": float(text), "image": float(image), "audio": float(audio)}
    if missing != "none":
        noise[missing] = 0.0
    key = (missing, *noise.values(), seed)
    if cache is not None and key in cache:
        return RobustnessView(missing, noise, dict(cache[key]))
    holes = batch if missing == "none" else drop_modality(batch, missing)
    accuracies = accuracies_under(models, holes, noise, seed)
    if cache is not None:
        cache[key] = dict(accuracies)
    return RobustnessView(missing, noise, accuracies)


def plot_robustness_view(view: RobustnessView, reference: Mapping[str, float] | None = None,
                         ax: Axes | None = None) -> Axes:
    """One bar per model: its accuracy in `view`; a dash at `reference` (name → accuracy
    with nothing missing and no noise) when given."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = list(view.accuracies)
    bars = ax.bar(range(len(names)), [view.accuracies[n] for n in names],
                  color=["tab:grey" if k % 2 == 0 else "tab:purple" for k in range(len(names))])
    ax.bar_label(bars, fmt="%.2f", fontsize=10)
    if reference:
        ax.plot(range(len(names)), [reference[n] for n in names], "_", ms=40, mew=2,
                color="k", label="nothing missing, no noise")
        ax.legend(loc="upper right", fontsize=10)
    ax.axhline(0.1, color="grey", ls=":", lw=1)
    ax.set_xticks(range(len(names)), names)
    noisy = ", ".join(f"{m} {NOISE_SYMBOL[m]} = {v:g}" for m, v in view.noise.items()
                      if m != view.missing)
    ax.set(ylim=(0, 1.1), ylabel="validation accuracy",
           title=f"missing: {view.missing}; {noisy}")
    view.axes = ax
    return ax


def robustness_widget(models: Mapping[str, torch.nn.Module], batch: Mapping[str, torch.Tensor],
                      seed: int = 0) -> widgets.interactive:
    """A dropdown (the modality missing from every row, or none) and one slider per
    modality (its noise, on `robustness.LEVELS`) re-evaluating the trained `models` on
    `batch` (no retraining; each answer cached). The missing modality's slider is
    disabled: noise on what is not there changes nothing.

    children: [missing, text, image, audio, output]; `.result` holds the latest view."""
    cache: dict = {}
    reference = robustness_view(models, batch, seed=seed, cache=cache).accuracies
    missing = widgets.Dropdown(options=["none", *MODALITIES], value="none",
                               description="missing modality", style=SLIDER["style"])
    sliders = {m: widgets.SelectionSlider(
        options=[(f"{level:.2f}", level) for level in LEVELS[m]], value=LEVELS[m][0],
        description=f"{m}: noise {'share p' if m == 'text' else 'σ'}", **SLIDER)
        for m in MODALITIES}

    def show(missing: str, text: float, image: float, audio: float) -> RobustnessView:
        for modality, slider in sliders.items():
            slider.disabled = modality == missing
        view = robustness_view(models, batch, missing, text, image, audio, seed, cache)
        ax = plot_robustness_view(view, reference)
        display(ax.figure)
        plt.close(ax.figure)
        return view

    return widgets.interactive(show, missing=missing, **sliders)


# --- real voices -----------------------------------------------------------------------------

def plot_log_mels(log_mels: Mapping[str, np.ndarray], lengths: Mapping[str, int] | None = None,
                  axes: np.ndarray | None = None) -> np.ndarray:
    """Log-mel pictures (title → (F, 40) frames in dB, or normalised) side by side on one
    colour scale, each cut to its `lengths[title]` frames when given; a colour bar."""
    if axes is None:
        _, axes = plt.subplots(1, len(log_mels), figsize=(9, 2.8), sharey=True,
                               layout="constrained", squeeze=False)
        axes = axes[0]
    pictures = {name: np.asarray(x)[:(lengths or {}).get(name, len(x))]
                for name, x in log_mels.items()}
    low, high = np.percentile(np.concatenate(list(pictures.values())), [2, 99.5])
    for ax, (name, picture) in zip(axes, pictures.items(), strict=True):
        image = ax.imshow(picture.T, origin="lower", aspect="auto", vmin=low, vmax=high,
                          cmap="magma", interpolation="nearest")
        ax.set(title=name, xlabel="frame (10 ms)")
        ax.grid(False)
    axes[0].set_ylabel("mel band")
    plt.colorbar(image, ax=list(axes), label="log-mel", shrink=0.9)
    return np.asarray(axes)


@dataclass
class RecordingView:
    """One real recording as the model hears it: its file name, digit, the prediction and
    its probability, and the prepared log-mel frames."""

    name: str
    label: int
    predicted: int
    probability: float
    log_mel: np.ndarray
    axes: Axes | None = None

    @property
    def correct(self) -> bool:
        return self.predicted == self.label


def recording_view(model, clips: Sequence[np.ndarray], labels: np.ndarray,
                   names: Sequence[str], index: int) -> RecordingView:
    """The `model` (a `voices.VoiceModel`) on recording `index` of `clips`."""
    from mmkit.voices import frames

    index = int(index)
    if not 0 <= index < len(clips):
        raise ValueError(f"index: expected 0 to {len(clips) - 1}, got {index}")
    probabilities = model.probabilities([clips[index]])[0]
    log_mels, lengths = frames([clips[index]], model.recipe)
    return RecordingView(names[index], int(labels[index]), int(probabilities.argmax()),
                         float(probabilities.max()), log_mels[0][:lengths[0]])


def plot_recording(view: RecordingView, ax: Axes | None = None) -> Axes:
    """The recording's prepared log-mel frames, titled with the prediction."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
    image = ax.imshow(view.log_mel.T, origin="lower", aspect="auto", cmap="magma",
                      interpolation="nearest")
    plt.colorbar(image, ax=ax, label="log-mel (clip mean removed)")
    ax.grid(False)
    verdict = "right" if view.correct else "wrong"
    ax.set(xlabel="frame (10 ms)", ylabel="mel band",
           title=f"{view.name}: says {view.label}, model hears {view.predicted} "
                 f"(p = {view.probability:.2f}, {verdict})")
    view.axes = ax
    return ax


def recording_widget(model, clips: Sequence[np.ndarray], labels: np.ndarray,
                     names: Sequence[str]) -> widgets.interactive:
    """A slider over the recordings: the player (`IPython.display.Audio`), the log-mel
    picture and the model's prediction of the one chosen.

    children: [recording, output]; `.result` holds the latest RecordingView."""
    chooser = widgets.IntSlider(value=0, min=0, max=len(clips) - 1,
                                description="real recording", **SLIDER)

    def show(recording: int) -> RecordingView:
        view = recording_view(model, clips, labels, names, recording)
        display(Audio(clips[recording], rate=SAMPLE_RATE))
        ax = plot_recording(view)
        display(ax.figure)
        plt.close(ax.figure)
        return view

    return widgets.interactive(show, recording=chooser)


def prediction_table(rows: Sequence[Mapping]) -> str:
    """`voices.predict_folder`'s answers as lines: file, the digit in its name, the
    prediction with its probability, and whether it is right; then the accuracy."""
    lines = [f"{'file':<22}{'says':>5}{'heard':>7}{'p':>7}"]
    for row in rows:
        lines.append(f"{row['file']:<22}{row['label']:>5}{row['predicted']:>7}"
                     f"{row['probability']:>7.2f}  {'✓' if row['correct'] else '✗'}")
    if rows:
        lines.append(f"{sum(r['correct'] for r in rows)} of {len(rows)} right")
    return "\n".join(lines)


def save_uploads(uploaded: Sequence[Mapping], folder: str | Path) -> list[Path]:
    """Write the files of an `ipywidgets.FileUpload` value (dicts with "name" and
    "content") into `folder` under their own names → their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in uploaded:
        path = folder / Path(item["name"]).name
        path.write_bytes(bytes(item["content"]))
        paths.append(path)
    return paths


def upload_widget(model) -> widgets.VBox:
    """Your own voice, in the page: upload WAV files named `{digit}_{anything}.wav`; each
    upload is written to a temporary folder and read by `voices.predict_folder`, whose
    answers are printed. children: [upload, output]."""
    from mmkit.voices import predict_folder

    upload = widgets.FileUpload(accept=".wav,.flac", multiple=True,
                                description="your recordings")
    out = widgets.Output()

    def read(change: Mapping) -> None:
        with tempfile.TemporaryDirectory() as folder:
            save_uploads(change["new"], folder)
            text = prediction_table(predict_folder(model, folder))
        out.outputs = ()
        out.append_stdout(text + "\n")

    upload.observe(read, names="value")
    return widgets.VBox([upload, out])


# --- the committed tables (make bench) ---------------------------------------------------------

def robustness_table(results: Mapping) -> str:
    """`benchmarks/results/robustness.json` as text: per fusion strategy and dropout, the
    accuracy with nothing missing and with each modality missing, and the area under each
    modality's noise curve, mean ± std over the seeds."""
    width = max(len(describe_dropout(row["dropout"])) for row in results["models"]) + 1
    lines = [f"{'fusion':<13}{'dropout':<{width}}{'nothing':>12}"
             + "".join(f"{'no ' + m:>12}" for m in MODALITIES)
             + "".join(f"{'area ' + m:>12}" for m in MODALITIES)]
    for row in results["models"]:
        cells = [format_mean_std(row["missing"][k], 2) for k in ("none", *MODALITIES)]
        cells += [format_mean_std(row["auc"][m], 2) for m in MODALITIES]
        lines.append(f"{row['fusion']:<13}{describe_dropout(row['dropout']):<{width}}"
                     + "".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def robustness_summary(results: Mapping) -> dict[str, dict[str, object]]:
    """Per fusion strategy: the worst loss in points (mean over seeds) when one modality
    is missing, without and with modality dropout, and which modality it is."""
    summary = {}
    for row in results["models"]:
        full = np.asarray(row["missing"]["none"], dtype=float)
        loss = {m: float(np.mean(100 * (full - np.asarray(row["missing"][m], dtype=float))))
                for m in MODALITIES}
        worst = max(loss, key=loss.get)
        kind = "with" if row["dropout"] else "without"
        summary.setdefault(row["fusion"], {})[kind] = {
            "worst": worst, "points": loss[worst], "full": mean_std(row["missing"]["none"])}
    return summary


def plot_robustness_losses(results: Mapping, goal_points: float = 5.0,
                           ax: Axes | None = None) -> Axes:
    """Per fusion strategy, the worst loss in points (mean over seeds) with one modality
    missing, without and with modality dropout (`robustness_summary`: which modality it
    is, it says), and a dashed line at the goal."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.2))
    summary = robustness_summary(results)
    names = list(summary)
    for offset, kind, colour in ((-0.2, "without", "tab:grey"), (0.2, "with", "tab:purple")):
        values = [summary[name][kind]["points"] for name in names]
        bars = ax.bar(np.arange(len(names)) + offset, values, 0.4, color=colour,
                      label=f"{kind} dropout")
        ax.bar_label(bars, fmt="%.0f", fontsize=10)
    ax.axhline(goal_points, color="k", ls="--", lw=1, label=f"goal: ≤ {goal_points:g} points")
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="worst loss, one modality\nmissing (points)",
           ylim=(0, 1.2 * max(s["without"]["points"] for s in summary.values())))
    ax.legend(fontsize=10, loc="upper right")
    return ax


def real_voices_table(results: Mapping) -> str:
    """`benchmarks/results/real_voices.json` as text: each recipe's accuracy on mmdigits'
    synthetic validation clips and on the real recordings, then the adapted models'."""
    lines = [f"{'recipe':<32}{'synthetic val':>15}{'real':>15}"]
    for row in results["recipes"]:
        lines.append(f"{row['name']:<32}{format_mean_std(row['val_accuracy'], 2):>15}"
                     f"{format_mean_std(row['real'], 2):>15}")
    for k, values in results["adapted"].items():
        lines.append(f"{'+ adapted on k = ' + k + ' real clips':<32}{'':>15}"
                     f"{format_mean_std(values, 2):>15}")
    return "\n".join(lines)


def real_voices_summary(results: Mapping) -> dict[str, tuple[float, float]]:
    """(mean, std) on the real recordings of the first recipe, of the last, and of each
    adaptation ("adapted k")."""
    recipes = results["recipes"]
    summary = {"synthetic only": mean_std(recipes[0]["real"]),
               "all ingredients": mean_std(recipes[-1]["real"])}
    for k, values in results["adapted"].items():
        summary[f"adapted {k}"] = mean_std(values)
    return summary
