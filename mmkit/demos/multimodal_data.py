"""Notebook 10's tables, pictures and widget: the mmdigits data set from raw files to a batch.

The preprocessing itself lives in `mmkit.data` (`audio`, `image`, `text`,
`dataset`, `baselines`); this module only loads, measures and shows it:

    load_split                  one split under one preset, built once and cached
    samples_with_voices         samples.csv joined with clips.csv (who speaks each clip)
    split_table, shared_items   the splits' sizes, and what two splits have in common
    plot_waveforms              a clip through trim → normalise → pad → noise
    plot_audio_features         log-mel spectrograms and MFCCs, clean and noisy
    plot_band_normalisation     the training statistics of each mel band, and a clip after
    plot_image_pipeline         8×8 → 28×28 → normalised → padded
    plot_corruptions            the same digits under each preset, shifted, low-rank
    clue_examples, cleaning_table, token_table     a clue from sentence to ids
    compare_cleanings           what each way of cleaning leaves of the answer
    read_calibration, accuracy_table               the per-modality baselines per preset
    batch_table                 a collated batch: keys, shapes, dtypes
    show_sample, sample_audio, sample_widget       one sample seen and heard, any preset

Shapes: N samples, T audio samples (8,000 per second), F log-mel frames (101 for
one second), M = 40 mel bands, L = 16 token positions. Every choice shown here reads the
validation split; the notebook's final evaluation passes the test split in itself.
"""

import functools
import html
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.data import text as text_lib
from mmkit.data.baselines import text_baseline_predictions
from mmkit.data.dataset import PRESETS, SPLITS, MMDigits, read_clips
from mmkit.data.language import LEVELS, WORDS, Clue, make_clue
from mmkit.demos.plotting import plot_digit_grid, show_image
from mmkit.metrics import bootstrap_interval
from mmkit.paths import REPO_ROOT
from mmkit.validate import check_count, lookup

SAMPLE_RATE = audio_lib.SAMPLE_RATE
CALIBRATION = REPO_ROOT / "benchmarks" / "results" / "mmdigits_calibration.md"
BASELINE_COLUMNS = ("text", "image", "audio", "all three")


@functools.lru_cache(maxsize=8)
def load_split(split: str = "val", preset: str = "standard", seed: int = 0) -> MMDigits:
    """`MMDigits(split, preset, seed)`, built on the first call and cached afterwards.

    Building reads the clips (once per session), mixes in the noise and computes every
    clip's log-mel features, and fits the normalisers on the training split (once per
    preset and seed): about a second; the notebook and the widget share one copy per
    (split, preset, seed).
    """
    return MMDigits(lookup(split, SPLITS, "split"), lookup(preset, PRESETS, "preset"), seed)


# ------------------------------------------------------------------------- splits and leakage


def samples_with_voices(folder: Path | None = None) -> list[dict]:
    """samples.csv's rows (sample, split, digit, image, clip), each with its clip's `voice`."""
    from mmkit.data.dataset import read_samples

    voices = {row["file"]: row["voice"] for row in read_clips(folder)}
    rows = read_samples(folder)
    missing = [row["clip"] for row in rows if row["clip"] not in voices]
    if missing:
        raise ValueError(f"samples.csv names {len(missing)} clip(s) that clips.csv does not "
                         f"list, e.g. {missing[0]}")
    return [row | {"voice": voices[row["clip"]]} for row in rows]


def shared_items(samples: Sequence[Mapping], key: str) -> set:
    """The values of `key` ("image", "clip", "voice") found in more than one split."""
    if samples and key not in samples[0]:
        raise KeyError(f"shared_items: the samples have no {key!r}; keys: {sorted(samples[0])}")
    seen: dict[object, set[str]] = {}
    for row in samples:
        seen.setdefault(row[key], set()).add(row["split"])
    return {value for value, splits in seen.items() if len(splits) > 1}


def split_table(samples: Sequence[Mapping]) -> str:
    """One line per split: samples, samples per digit, distinct images, clips and voices."""
    lines = [f"{'split':<6} {'samples':>7} {'per digit':>10} {'images':>7} {'clips':>6} "
             f"{'voices':>7}"]
    for split in SPLITS:
        rows = [row for row in samples if row["split"] == split]
        counts = np.bincount([row["digit"] for row in rows], minlength=10)
        per_digit = f"{counts.min()}" if counts.min() == counts.max() else \
            f"{counts.min()}–{counts.max()}"
        lines.append(f"{split:<6} {len(rows):>7} {per_digit:>10} "
                     f"{len({r['image'] for r in rows}):>7} {len({r['clip'] for r in rows}):>6} "
                     f"{len({r['voice'] for r in rows}):>7}")
    return "\n".join(lines)


# ------------------------------------------------------------------------- audio


def clean_wave(data: MMDigits, index: int) -> np.ndarray:
    """Sample `index`'s clip as the data set loads it before adding noise: (T,) float32.

    The file, read at 8 kHz and peak-normalised (`normalize_peak`), as `MMDigits` does;
    not padded (`data.waves[index]` is the padded, noisy one-second window).
    """
    row = data.rows[_check_index(data, index)]
    return audio_lib.normalize_peak(audio_lib.load_audio(data.folder / row["clip"]))


def _check_index(data: MMDigits, index: int) -> int:
    index = check_count(index, "index", minimum=-sys.maxsize)  # an int, not a bool
    if not 0 <= index < len(data):
        raise IndexError(f"index must be an int in [0, {len(data) - 1}] for the "
                         f"{data.split} split, got {index!r}")
    return index


def plot_waveforms(steps: Mapping[str, np.ndarray], sample_rate: int = SAMPLE_RATE,
                   axes: np.ndarray | None = None) -> np.ndarray:
    """One panel per step of a clip's preprocessing, on a common time axis in seconds.

    steps: title → waveform (T_k,), in order (up to 4, drawn on a 2×2 grid).
    Returns the array of Axes.
    """
    if not 1 <= len(steps) <= 4:
        raise ValueError(f"plot_waveforms: expected 1 to 4 steps, got {len(steps)}")
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(9, 3.5), sharex=True, sharey=True)
    axes = np.asarray(axes).ravel()
    longest = max(len(wave) for wave in steps.values()) / sample_rate
    for ax, (title, wave) in zip(axes, steps.items(), strict=False):
        wave = np.asarray(wave)
        ax.plot(np.arange(len(wave)) / sample_rate, wave, lw=0.5, color="tab:blue")
        ax.set_title(f"{title}: {len(wave)} samples")
        ax.set_xlim(0, longest)
    for ax in axes[len(steps):]:
        ax.axis("off")
    for ax in axes[-2:]:
        ax.set_xlabel("time (s)")
    return axes


def plot_audio_features(clean: np.ndarray, noisy: np.ndarray, sample_rate: int = SAMPLE_RATE,
                        axes: np.ndarray | None = None) -> np.ndarray:
    """Log-mel of the clean and the noisy clip, and the clean clip's MFCCs 1–12.

    clean, noisy: (T,) waveforms of the same length (e.g. padded to one second).
    Returns the 3 Axes; each image is (bands or coefficients) × frames, time in seconds.
    MFCC 0, the frame's overall loudness, is left out: its range would swamp the others'.
    """
    if np.shape(clean) != np.shape(noisy):
        raise ValueError(f"plot_audio_features: clean and noisy must have the same shape, got "
                         f"{np.shape(clean)} and {np.shape(noisy)}")
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(9, 2.8))
    seconds = len(clean) / sample_rate
    clean_mel, noisy_mel = audio_lib.log_mel(clean), audio_lib.log_mel(noisy)
    low = min(clean_mel.min(), noisy_mel.min())
    high = max(clean_mel.max(), noisy_mel.max())
    coefficients = audio_lib.mfcc(clean)[1:]
    largest = float(np.abs(coefficients).max())
    panels = [(clean_mel, "log-mel, clean", "mel band", 0, (low, high), "magma", "dB"),
              (noisy_mel, "log-mel, noisy", "mel band", 0, (low, high), "magma", "dB"),
              (coefficients, "MFCC 1–12", "coefficient", 1, (-largest, largest),
               "coolwarm", None)]
    for ax, (image, title, ylabel, first, (vmin, vmax), cmap, unit) in zip(axes, panels,
                                                                            strict=True):
        shown = ax.imshow(image, origin="lower", aspect="auto", vmin=vmin, vmax=vmax,
                          extent=(0, seconds, first - 0.5, first + image.shape[0] - 0.5),
                          interpolation="nearest", cmap=cmap)
        ax.set(title=f"{title} {image.shape}", xlabel="time (s)", ylabel=ylabel)
        ax.grid(False)
        ax.figure.colorbar(shown, ax=ax, pad=0.02, label=unit)
    return np.asarray(axes)


def plot_band_normalisation(normalizer: audio_lib.LogMelNormalizer, frames: np.ndarray,
                            length: int | None = None, axes: np.ndarray | None = None
                            ) -> np.ndarray:
    """Left: each mel band's training mean ± one standard deviation (dB), the statistics of
    `normalizer`. Right: one clip's normalised frames (F, M), as the model gets them, with
    a colour bar in standard deviations; a dashed line where the clip's `length` frames end.
    Returns the 2 Axes."""
    if normalizer.mean is None:
        raise ValueError("plot_band_normalisation: the normalizer is not fitted yet")
    frames = np.asarray(frames)
    if frames.ndim != 2 or frames.shape[1] != len(normalizer.mean):
        raise ValueError(f"plot_band_normalisation: expected frames (F, "
                         f"{len(normalizer.mean)}), got {frames.shape}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 2.8), gridspec_kw={"width_ratios": [1, 1.4]})
    bands = np.arange(len(normalizer.mean))
    axes[0].fill_between(bands, normalizer.mean - normalizer.std,
                         normalizer.mean + normalizer.std, color="tab:blue", alpha=0.3)
    axes[0].plot(bands, normalizer.mean, color="tab:blue")
    axes[0].set(xlabel="mel band", ylabel="dB", title="training mean ± 1 std, per band")
    frame_s = audio_lib.HOP / SAMPLE_RATE
    shown = axes[1].imshow(frames.T, origin="lower", aspect="auto", cmap="magma",
                           interpolation="nearest",
                           extent=(0, frames.shape[0] * frame_s, -0.5, frames.shape[1] - 0.5))
    if length is not None:
        axes[1].axvline(length * frame_s, color="cyan", ls="--", lw=1)
    axes[1].set(xlabel="time (s)", ylabel="mel band", title="a clip, normalised per band")
    axes[1].grid(False)
    axes[1].figure.colorbar(shown, ax=axes[1], pad=0.02, label="std from the band's mean")
    return np.asarray(axes)


class ClipPlayer(Audio):
    """IPython's audio player with a line beside it that states the clip's length.

    Browsers round a sub-second clip's duration down ("0:00 / 0:00" in Chromium), so the
    player alone does not say how long the sound is; `label` does. `.data` holds the WAV
    bytes, `.label` the text, `.seconds` and `.samples` the length.
    """

    def __init__(self, wave: np.ndarray, label: str, rate: int = SAMPLE_RATE) -> None:
        wave = np.asarray(wave, dtype=np.float32)
        super().__init__(wave, rate=rate)
        self.samples, self.seconds = len(wave), len(wave) / rate
        self.label = f"{label}: {self.seconds:.2f} s = {self.samples} samples at {rate} Hz"

    def _repr_html_(self) -> str:
        return ('<div style="display:flex;align-items:center;gap:1em">'
                f"{super()._repr_html_()}<span>{html.escape(self.label)}</span></div>")


def sample_audio(data: "MMDigits | str" = "val", index: int = 0, preset: str | None = None,
                 clean: bool = False) -> ClipPlayer:
    """An audio player for sample `index`, its length written beside it: what the model
    hears (the one-second window with the preset's noise), or the clip before the noise
    (`clean=True`, unpadded). 8 kHz; the player rescales to its peak."""
    data = _dataset(data, preset)
    index = _check_index(data, index)
    if clean:
        return ClipPlayer(clean_wave(data, index), f"sample {index}, clean clip")
    return ClipPlayer(data.waves[index], f"sample {index}, what the model hears")


# ------------------------------------------------------------------------- images


def plot_image_pipeline(stages: Mapping[str, np.ndarray], axes: np.ndarray | None = None
                        ) -> np.ndarray:
    """One grey-scale panel per stage, e.g. 8×8 → 28×28 → normalised → padded.

    stages: title → image (H_k, W_k). Each panel keeps its own colour scale and says its
    shape and value range. Returns the Axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, len(stages), figsize=(9, 2.6))
    axes = np.atleast_1d(np.asarray(axes))
    for ax, (title, image) in zip(axes, stages.items(), strict=True):
        image = np.asarray(image)
        if image.ndim != 2:
            raise ValueError(f"plot_image_pipeline: stage {title!r} must be one image (H, W), "
                             f"got shape {image.shape}")
        shown = show_image(ax, image)
        ax.set_title(f"{title}\n{image.shape[0]}×{image.shape[1]}, "
                     f"{image.min():.2f} to {image.max():.2f}")
        ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
    return axes


def corruptions(clean: np.ndarray, degraded: Mapping[str, np.ndarray], seed: int = 0
                ) -> dict[str, np.ndarray]:
    """The gallery of `plot_corruptions`: clean (N, 8, 8), each preset's version, and two
    corruptions the presets do not use: a random shift of up to 2 pixels and a rank-2
    approximation. degraded: preset name → (N, 8, 8). Returns name → (N, 8, 8)."""
    clean = np.asarray(clean, dtype=np.float32)
    gallery = {"clean": clean}
    for name, images in degraded.items():
        if np.shape(images) != clean.shape:
            raise ValueError(f"corruptions: {name!r} has shape {np.shape(images)}, expected "
                             f"{clean.shape} like the clean images")
        gallery[name] = np.asarray(images)
    gallery["shift ≤ 2 px"] = image_lib.shift(clean, 2, rng=seed)
    gallery["rank 2"] = image_lib.low_rank(clean, 2)
    return gallery


def plot_corruptions(gallery: Mapping[str, np.ndarray], labels: Sequence[int] | None = None,
                     axes: np.ndarray | None = None) -> np.ndarray:
    """A grid: one row per image, one column per version (clean, presets, shift, rank 2).

    gallery: name → (N, 8, 8), as `corruptions` returns; all drawn on the same scale
    (0 white, 1 black; values outside are clipped for display). Returns the (N, K) Axes.
    """
    names = list(gallery)
    grid = np.stack([np.clip(gallery[name], 0, 1) for name in names], axis=1)  # (N, K, 8, 8)
    if axes is None:
        _, axes = plt.subplots(len(grid), len(names), figsize=(9, 1.6 * len(grid) + 0.3),
                               squeeze=False)
    rows = None if labels is None else [f"digit {label}" for label in labels]
    return plot_digit_grid(grid, names, rows, axes=axes)


# ------------------------------------------------------------------------- text


def clue_examples(digit: int, seed: int = 0, typo_rate: float = 0.05,
                  digit_rate: float = 0.3) -> list[Clue]:
    """Two clues per level (exact, arithmetic, partial, none) about `digit`: the first
    without typos, the second with `typo_rate`. Numerals with probability `digit_rate`."""
    rng = np.random.default_rng(seed)
    return [make_clue(digit, level, rng, digit_rate=digit_rate, typo_rate=rate)
            for level in LEVELS for rate in (0.0, typo_rate)]


def describe_candidates(candidates: frozenset[int]) -> str:
    """{5, 7, 9} → "5, 7, 9"; all ten digits → "any digit"."""
    return "any digit" if len(candidates) == 10 else ", ".join(map(str, sorted(candidates)))


#: The cleaning steps in the order `clean_text` applies them, each added to the previous.
CLEANING_STEPS = ("lower-case", "− punctuation", "− digits", "− stop words")


def cleaning_steps(text: str) -> list[str]:
    """`text` after each of `CLEANING_STEPS`, each step added to the ones before (4 strings).

    Each is `clean_text` with the switches up to that step on; the last is the full
    cleaning of the source article.
    """
    return [text_lib.clean_text(text, lowercase=True, punctuation=k >= 1, digits=k >= 2,
                                stop_words=k >= 3) for k in range(4)]


def cleaning_table(texts: Sequence[str]) -> str:
    """One line per text: the text, then what each of `CLEANING_STEPS` leaves, joined by →."""
    lines = ["clue → " + " → ".join(CLEANING_STEPS)]
    lines += [" → ".join(repr(step) for step in (text, *cleaning_steps(text))) for text in texts]
    return "\n".join(lines)


def names_a_number(text: str) -> bool:
    """Whether `text` still names a number: a number word ("seven") or a numeral ("7")."""
    return any(word in WORDS for word in text.lower().split()) or \
        any(char.isdigit() for char in text)


#: Three ways of cleaning a clue: none, the source article's (every step) and the kit's
#: (`MMDigits` keeps digits and symbols such as "+" and "-": they carry the answer here).
CLEANINGS: dict[str, Callable[[str], str]] = {
    "none": lambda text: text,
    "article: all steps": text_lib.clean_text,
    "kit: keep digits, symbols": lambda text: text_lib.clean_text(text, digits=False,
                                                                  punctuation=False),
}


@dataclass(frozen=True)
class CleaningResult:
    """What one way of cleaning leaves of a held-out split's clues (the validation split,
    to choose a cleaning).

    named: fraction of the informative clues (exact or arithmetic: one candidate) that
    still name a number; empty: fraction of all clues cleaned to nothing; accuracy: the
    text baseline's accuracy on the split, trained on the training split cleaned the same
    way; low, high: its 95% bootstrap interval over the split's samples; correct (M,): 1
    where the baseline is right, 0 where wrong (for paired comparisons).
    """

    named: float
    empty: float
    accuracy: float
    low: float
    high: float
    correct: np.ndarray


def compare_cleanings(train: MMDigits, held_out: MMDigits,
                      cleanings: Mapping[str, Callable[[str], str]] | None = None
                      ) -> dict[str, CleaningResult]:
    """Each cleaning (default `CLEANINGS`) applied to both splits' raw clues → its result."""
    results = {}
    informative = [clue for clue in held_out.clues if len(clue.candidates) == 1]
    for name, clean in (cleanings or CLEANINGS).items():
        texts = [clean(clue.text) for clue in held_out.clues]
        predicted = text_baseline_predictions([clean(clue.text) for clue in train.clues],
                                              train.labels, texts)
        correct = (predicted == held_out.labels).astype(float)
        results[name] = CleaningResult(
            named=float(np.mean([names_a_number(clean(clue.text)) for clue in informative])),
            empty=float(np.mean([not text.strip() for text in texts])),
            accuracy=float(correct.mean()), correct=correct,
            **dict(zip(("low", "high"), bootstrap_interval(correct), strict=True)))
    return results


def cleaning_results_table(results: Mapping[str, CleaningResult]) -> str:
    """The results of `compare_cleanings` as an aligned text table: fractions as %, the
    accuracy (a learned number, which may differ in the last digits across CPUs) and its
    95% bootstrap interval to 2 places."""
    width = max(len(name) for name in results)
    lines = [f"{'cleaning':<{width}}  {'still name a number':>19}  {'empty':>6}  "
             f"{'accuracy':>8}  {'95% interval':>12}"]
    for name, result in results.items():
        lines.append(f"{name:<{width}}  {result.named:>19.1%}  {result.empty:>6.1%}  "
                     f"{result.accuracy:>8.2f}  {result.low:>5.2f} – {result.high:.2f}")
    return "\n".join(lines)


def paired_difference(a: CleaningResult, b: CleaningResult) -> tuple[float, float, float]:
    """accuracy(a) − accuracy(b) on the same samples, and its 95% paired bootstrap interval:
    (difference, low, high). An interval that contains 0 is a difference within the noise."""
    difference = a.correct - b.correct
    return (float(difference.mean()), *bootstrap_interval(difference))


def token_table(text: str, max_length: int = 16) -> str:
    """How BERT's WordPiece tokenizer encodes one text: a line per row of `encode_bert`.

    Lines: the positions, the tokens ([CLS] … [SEP] [PAD]…), their ids and the attention
    mask, aligned in columns; max_length positions.
    """
    ids, mask = text_lib.encode_bert([text], max_length)
    tokens = text_lib.bert_tokenizer().convert_ids_to_tokens(ids[0].tolist())
    columns = [(str(i), token, str(token_id), str(m))
               for i, (token, token_id, m) in enumerate(zip(tokens, ids[0], mask[0],
                                                            strict=True))]
    widths = [max(len(cell) for cell in column) for column in columns]
    names = ("position", "token", "id", "mask")
    return "\n".join(f"{name:<8} " + " ".join(column[k].rjust(width)
                                              for column, width in zip(columns, widths,
                                                                       strict=True))
                     for k, name in enumerate(names))


# ------------------------------------------------------------------------- presets


def read_calibration(path: Path | None = None) -> dict[str, dict[str, float]]:
    """The committed calibration table (benchmarks/results/mmdigits_calibration.md).

    Returns preset → {"text", "image", "audio", "all three"} → validation accuracy.
    """
    path = Path(path or CALIBRATION)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no calibration table (make bench writes it)")
    rows: dict[str, dict[str, float]] = {}
    header: list[str] | None = None
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "preset":
            header = cells[1:]
        elif header and cells[0] in PRESETS:
            rows[cells[0]] = {name: float(value) for name, value in zip(header, cells[1:],
                                                                        strict=True)}
    if set(rows) != set(PRESETS) or any(set(r) != set(BASELINE_COLUMNS) for r in rows.values()):
        raise ValueError(f"{path}: expected a table with the columns preset, "
                         f"{', '.join(BASELINE_COLUMNS)} and one row per preset "
                         f"{tuple(PRESETS)}; found rows {sorted(rows)}")
    return {preset: rows[preset] for preset in PRESETS}


def accuracy_table(rows: Mapping[str, Mapping[str, float]], decimals: int = 3) -> str:
    """Rows (e.g. presets) → columns (text, image, audio, all three) → accuracy, as text."""
    width = max(6, *(len(name) for name in rows))
    lines = [f"{'':<{width}}" + "".join(f"{column:>11}" for column in BASELINE_COLUMNS)]
    for name, scores in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{scores[c]:>11.{decimals}f}"
                                                  for c in BASELINE_COLUMNS))
    return "\n".join(lines)


# ------------------------------------------------------------------------- batches

#: What each key of a sample holds (see `MMDigits.__getitem__`).
BATCH_KEYS = {
    "text_ids": "BERT WordPiece ids of the cleaned clue",
    "text_mask": "1 on real tokens, 0 on padding",
    "word_ids": "the same clue in the small word vocabulary",
    "word_mask": "True on real words",
    "image": "28×28, normalised with training statistics",
    "audio": "log-mel frames (time × 40 bands, normalised per band), cut to the longest",
    "audio_length": "real frames per clip (the rest is padding)",
    "label": "the digit, 0–9",
    "present": "which of text, image, audio are there",
    "index": "position of the sample in its split",
}


def batch_table(batch: Mapping[str, torch.Tensor]) -> str:
    """One line per key of a collated batch: shape, dtype and what it holds."""
    width = max(len(key) for key in batch)
    lines = [f"{'key':<{width}}  {'shape':<16} {'dtype':<14} meaning"]
    for key, value in batch.items():
        shape = str(tuple(value.shape))
        lines.append(f"{key:<{width}}  {shape:<16} {value.dtype!s:<14} "
                     f"{BATCH_KEYS.get(key, '')}".rstrip())
    return "\n".join(lines)


# ----------------------------------------------------------------- one sample, and the widget


def _dataset(data: "MMDigits | str", preset: str | None) -> MMDigits:
    """A split name (with a preset, default "standard") → the cached MMDigits; an MMDigits
    is used as it is, and `preset`, if given, must be its own."""
    if isinstance(data, MMDigits):
        if preset is not None and preset != data.preset.name:
            raise ValueError(f"the data set given uses the preset {data.preset.name!r}, not "
                             f"{preset!r}: pass the split name instead to load {preset!r}")
        return data
    return load_split(data, preset or "standard")


@dataclass(frozen=True)
class SampleView:
    """What `show_sample` drew and wrote: its Axes (4,) and the sample's clue, line by line."""

    axes: np.ndarray
    split: str
    index: int
    preset: str
    digit: int
    clue: str
    cleaned: str
    tokens: tuple[str, ...]
    words: str
    text: str

    def __repr__(self) -> str:
        return self.text


def _clue_lines(data: MMDigits, index: int) -> tuple[str, str, tuple[str, ...], str]:
    clue, cleaned = data.clues[index].text, data.clean_clues[index]
    real = data.text_mask[index].astype(bool)
    tokens = tuple(text_lib.bert_tokenizer().convert_ids_to_tokens(
        data.text_ids[index][real].tolist()))
    words = data.vocab.decode(data.word_ids[index][data.word_mask[index]])
    return clue, cleaned, tokens, words


def show_sample(data: "MMDigits | str" = "val", index: int = 0, preset: str | None = None,
                axes: np.ndarray | None = None) -> SampleView:
    """Draw one sample from raw to model-ready, and describe its clue.

    data: an `MMDigits`, or a split name loaded (cached) under `preset` (default
    "standard"). Panels: the clean 8×8 scan; the model's 28×28 input (degraded by the
    preset, normalised); the waveform (grey: before the noise; blue: what the model hears)
    over one second; its log-mel spectrogram in dB (40 bands × 101 frames, before the
    per-band normalisation; the dashed line ends the clip, the rest is the noisy padding).
    Returns a `SampleView` whose `text` holds the clue raw, cleaned, as BERT tokens and as
    vocabulary words.
    """
    data = _dataset(data, preset)
    index = _check_index(data, index)
    row = data.rows[index]
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(9, 2.8),
                               gridspec_kw={"width_ratios": [1, 1, 1.6, 1.9]})
    axes = np.asarray(axes).ravel()
    scan, _ = image_lib.load_digit_images([row["image"]])
    for ax, image, title in ((axes[0], scan[0], "8×8 scan"),
                             (axes[1], data.images[index], "model input")):
        show_image(ax, image)
        ax.set_title(title)
    clean, heard = clean_wave(data, index), data.waves[index]
    axes[2].plot(np.arange(len(heard)) / SAMPLE_RATE, heard, lw=0.4, color="tab:blue")
    axes[2].plot(np.arange(len(clean)) / SAMPLE_RATE, clean, lw=0.4, color="0.25")
    axes[2].set(xlim=(0, len(heard) / SAMPLE_RATE), xlabel="time (s)", title="waveform")
    db = data.audio_normalizer.inverse_transform(data.audio[index]).T  # (M, F) in dB
    frame_s = audio_lib.HOP / SAMPLE_RATE
    shown = axes[3].imshow(db, origin="lower", aspect="auto", cmap="magma",
                           interpolation="nearest",
                           extent=(0, db.shape[1] * frame_s, -0.5, db.shape[0] - 0.5))
    axes[3].axvline(data.audio_lengths[index] * frame_s, color="cyan", ls="--", lw=1)
    axes[3].set(xlabel="time (s)", ylabel="mel band", title="log-mel")
    axes[3].grid(False)
    axes[3].figure.colorbar(shown, ax=axes[3], pad=0.02, label="dB")
    name = data.preset.name
    axes[0].figure.suptitle(f"{data.split} sample {index}: digit {data.labels[index]}, "
                            f"preset {name} (waveform: grey before the noise, blue heard)")
    clue, cleaned, tokens, words = _clue_lines(data, index)
    level = data.clues[index].level
    snr = "clean" if data.preset.snr_db is None else f"SNR {data.preset.snr_db:g} dB"
    text = "\n".join([
        f"{data.split} sample {index}: digit {data.labels[index]}, preset {name}",
        f"clue     {clue!r} ({level}; fits {describe_candidates(data.clues[index].candidates)})",
        f"cleaned  {cleaned!r}",
        f"BERT     {' '.join(tokens) or '(fully masked: no tokens)'}",
        f"words    {words or '(fully masked: no words)'}",
        f"audio    the clip {len(clean) / SAMPLE_RATE:.2f} s ({len(clean)} samples) in a "
        f"{len(heard) / SAMPLE_RATE:.2f} s window at 8 kHz, {snr}: "
        f"{data.audio_lengths[index]} of {data.audio.shape[1]} log-mel frames hold the clip",
    ])
    return SampleView(axes=axes, split=data.split, index=index, preset=name,
                      digit=int(data.labels[index]), clue=clue, cleaned=cleaned, tokens=tokens,
                      words=words, text=text)


def sample_widget(split: str = "val") -> widgets.interactive:
    """A slider for the sample, a dropdown for the preset: see, read and hear the sample.

    Wires `show_sample` and `sample_audio`; children, in order: index, preset, and the
    output. `.result` holds the latest `SampleView`. Each preset's split is built once
    (about a second) and cached, so moving the slider only redraws.
    """
    size = len(load_split(split, "standard"))

    def show(index: int, preset: str) -> SampleView:
        view = show_sample(split, index, preset)
        figure = view.axes[0].figure
        display(figure)
        plt.close(figure)
        print(view.text)
        display(sample_audio(split, index, preset))
        return view

    return widgets.interactive(
        show,
        index=widgets.IntSlider(value=0, min=0, max=size - 1, description="sample",
                                continuous_update=False),
        preset=widgets.Dropdown(options=list(PRESETS), value="standard", description="preset"),
    )

