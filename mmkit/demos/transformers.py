"""Notebook 08's pictures and widget: what a tiny GPT, a tiny BERT and MiniLM compute.

The models live in `mmkit.models.transformer` and `mmkit.models.minilm`; this module only
draws what they compute and wires the widget:

    plot_learning_curves(history, best_epoch)      training and validation loss per epoch
    plot_next_word(probabilities)                  a next-word distribution as bars
    plot_temperatures(model, prompt, settings)     the same distribution at several settings
    sample_view / plot_sampling / sampling_widget  prompt, temperature, top-k → the next-word
                                                   bars and a few sampled sentences
    plot_fill_in_scores(scores)                    fill-in accuracy against the baselines
    plot_similarity(matrix, labels)                a sentence-similarity heat map
    plot_attention_heads(weights, tokens, heads)   a few heads' weights over one sentence
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.axes import Axes

from mmkit.models.transformer import GPT, complete, next_word_probabilities, validation_curve
from mmkit.train import History
from mmkit.validate import check_count

SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
#: The widget's temperature range (the slider's ends and step).
TEMPERATURE_RANGE = (0.1, 2.0, 0.1)


def _numbers(x: object) -> np.ndarray:
    """A tensor or an array as a float NumPy array (detached)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=float)


# --- training curves -------------------------------------------------------------------------

def plot_learning_curves(history: History, best_epoch: int | None = None,
                         ax: Axes | None = None, title: str = "") -> Axes:
    """history["loss"] (the training loss, one mean per epoch) and the validation loss of
    its snapshots against the epoch; a dotted line at `best_epoch` (the one chosen)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    train_loss = np.asarray(history["loss"], dtype=float)
    ax.plot(np.arange(1, len(train_loss) + 1), train_loss, "o-", ms=3, label="training")
    epochs, values = validation_curve(history)
    ax.plot(epochs, values, "s-", ms=3, label="validation")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", ls=":", lw=1.5,
                   label=f"chosen: epoch {best_epoch}")
    ax.set(xlabel="epoch", ylabel="cross-entropy (nats per token)", title=title,
           ylim=(0, None))
    ax.legend(loc="upper right")
    return ax


# --- the next word ---------------------------------------------------------------------------

def plot_next_word(probabilities: Mapping[str, float], ax: Axes | None = None,
                   title: str = "", top: int = 10) -> Axes:
    """The `top` most likely next words as bars, most likely first, each with its value."""
    top = check_count(top, "top", minimum=1)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    words = sorted(probabilities, key=lambda w: -probabilities[w])[:top]
    values = [probabilities[w] for w in words]
    bars = ax.bar(range(len(words)), values, color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", fontsize=10)
    ax.set_xticks(range(len(words)), words, rotation=45, ha="right")
    ax.set(ylim=(0, 1.12), ylabel="probability", title=title)
    return ax


def plot_temperatures(model: GPT, prompt: str, settings: Sequence[tuple[float, int | None]],
                      top: int = 6, axes: np.ndarray | None = None) -> np.ndarray:
    """One bar chart per (temperature, top_k) of the GPT's next word after `prompt`."""
    if axes is None:
        _, axes = plt.subplots(1, len(settings), figsize=(9, 3.3), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (temperature, top_k) in zip(axes, settings, strict=True):
        shown = next_word_probabilities(model, prompt, temperature, top_k)
        plot_next_word(shown, ax=ax, top=top,
                       title=f"T = {temperature:g}, top-k = {top_k or 'all'}")
    axes[0].set_ylabel(f"P(next word | {prompt!r})" if len(prompt) < 24 else "probability")
    for ax in axes[1:]:
        ax.set_ylabel("")
    return axes


# --- the sampling widget ---------------------------------------------------------------------

@dataclass
class SamplingView:
    """What `sample_view` computed: the next-word distribution after the prompt, sampled
    sentences, and the error message if the prompt could not be read ("" if none)."""

    prompt: str
    temperature: float
    top_k: int | None
    probabilities: dict[str, float] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    error: str = ""
    axes: Axes | None = None


def sample_view(model: GPT, prompt: str = "", temperature: float = 1.0,
                top_k: int | None = None, num_samples: int = 5, seed: int = 0
                ) -> SamplingView:
    """The GPT's next-word distribution after `prompt` and `num_samples` sentences, at this
    temperature and top-k (None: all words). A prompt the model cannot read (a word outside
    its vocabulary, too many words) gives the ValueError's message in `.error`."""
    view = SamplingView(prompt, temperature, top_k)
    try:
        view.probabilities = next_word_probabilities(model, prompt, temperature, top_k)
        view.samples = complete(model, prompt, num_samples, temperature, top_k, seed=seed)
    except ValueError as error:
        view.error = str(error)
    return view


def plot_sampling(view: SamplingView, ax: Axes | None = None, top: int = 8) -> Axes:
    """The next-word bars of a `SamplingView`, titled with its settings (nothing drawn,
    only the message, when the prompt had an error)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    settings = f"T = {view.temperature:g}, top-k = {view.top_k or 'all'}"
    if view.error:
        ax.set_axis_off()
        ax.set_title(f"prompt {view.prompt!r}: not in the vocabulary")
    else:
        plot_next_word(view.probabilities, ax=ax, top=top,
                       title=f"after {view.prompt!r} ({settings})")
    view.axes = ax
    return ax


def sampling_widget(model: GPT, prompt: str = "three plus four is", temperature: float = 1.0,
                    top_k: int = 0, num_samples: int = 5) -> widgets.interactive:
    """A prompt text box, a temperature slider (0.1 to 2) and a top-k slider (0: all words)
    driving `sample_view` on a trained GPT: the next-word bars and `num_samples` sentences.

    children: [prompt, temperature, top-k, output]; `.result` holds the latest SamplingView.
    An unknown word shows the ValueError's message (the words the model knows), not a
    traceback. At top-k = 1 (greedy) the temperature slider is disabled: it changes nothing.
    """
    vocabulary = model.config.vocab_size
    text = widgets.Text(value=prompt, description="prompt", placeholder="e.g. after six",
                        continuous_update=False, style={"description_width": "initial"})
    low, high, step = TEMPERATURE_RANGE
    heat = widgets.FloatSlider(value=temperature, min=low, max=high, step=step,
                               description="temperature T", readout_format=".1f", **SLIDER)
    keep = widgets.IntSlider(value=top_k, min=0, max=vocabulary, step=1,
                             description="top-k (0: all words)", **SLIDER)

    def show(prompt: str, temperature: float, top_k: int) -> SamplingView:
        heat.disabled = top_k == 1  # one word left: the temperature changes nothing
        view = sample_view(model, prompt, temperature, top_k or None, num_samples)
        if view.error:
            print(view.error)
            return view
        ax = plot_sampling(view)
        display(ax.figure)
        plt.close(ax.figure)
        print("samples:")
        for sentence in view.samples:
            print("  ", sentence)
        return view

    return widgets.interactive(show, prompt=text, temperature=heat, top_k=keep)


# --- BERT's fill-in scores ----------------------------------------------------------------------

def plot_fill_in_scores(scores: Mapping[str, float], ax: Axes | None = None,
                        title: str = "") -> Axes:
    """Accuracies as horizontal bars with their values, e.g. the BERT against chance and
    the majority word."""
    names = list(scores)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, min(3.5, 0.9 + 0.4 * len(names))))
    bars = ax.barh(range(len(names)), [scores[n] for n in names], color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", fontsize=10, padding=3)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="accuracy on the masked number words", title=title)
    return ax


# --- MiniLM: similarities and attention ---------------------------------------------------------

def plot_similarity(matrix: object, labels: Sequence[str], ax: Axes | None = None,
                    title: str = "cosine similarity of the sentence embeddings") -> Axes:
    """A symmetric (N, N) similarity matrix as a heat map, each value written in its cell,
    sentences labelled by `labels` (short names)."""
    matrix = _numbers(matrix)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"plot_similarity: expected a ({len(labels)}, {len(labels)}) matrix, "
                         f"one row per label, got {matrix.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    image = ax.imshow(matrix, cmap="viridis", vmin=min(0.0, float(matrix.min())), vmax=1,
                      interpolation="nearest")
    ax.grid(False)
    for (i, j), value in np.ndenumerate(matrix):
        text = f"{value:.2f}".replace("-0.00", "0.00")
        ax.text(j, i, text, ha="center", va="center", fontsize=10,
                color="black" if value > 0.6 else "white")
    ax.set_xticks(range(len(labels)), list(labels), rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), list(labels))
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="cosine")
    return ax


def plot_attention_heads(weights: object, tokens: Sequence[str], heads: Sequence[int],
                         layer: int | None = None) -> np.ndarray:
    """The weights (H, T, T) of the chosen `heads` over one sentence's tokens, one heat map
    each on one colour scale (its bar at the right end); rows: queries, columns: keys.
    → the Axes (len(heads),)."""
    weights = _numbers(weights)
    if weights.ndim != 3 or weights.shape[1:] != (len(tokens), len(tokens)):
        raise ValueError(f"plot_attention_heads: expected weights (H, {len(tokens)}, "
                         f"{len(tokens)}), got {weights.shape}")
    chosen = weights[list(heads)]
    _, axes = plt.subplots(1, len(heads) + 1, figsize=(9, 3.4),
                           gridspec_kw={"width_ratios": [1] * len(heads) + [0.06]})
    axes, bar = axes[:-1], axes[-1]
    for ax, head, shown in zip(axes, heads, chosen, strict=True):
        image = ax.imshow(shown, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.grid(False)
        ax.set_xticks(range(len(tokens)), list(tokens), rotation=90, fontsize=10)
        ax.set_yticks(range(len(tokens)), list(tokens) if ax is axes[0] else [], fontsize=10)
        where = f"layer {layer + 1}, " if layer is not None else ""
        ax.set_title(f"{where}head {head + 1}")
    axes[0].set_ylabel("query")
    axes[len(axes) // 2].set_xlabel("key")
    axes[0].figure.colorbar(image, cax=bar, label="weight")
    return np.asarray(axes)
