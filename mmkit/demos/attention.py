"""Notebook 07's pictures and widget: what attention weights look like.

Attention itself lives in `mmkit.models.attention`; this module only draws
what it computes and wires the widget:

    plot_soft_lookup(keys, names, query, weights)   a lookup by similarity: keys and weights
    plot_saturation(dims, max_weight, gradient)      the softmax saturating as d grows
    plot_weights(weights, query_tokens, key_tokens)  one heat map, exact zeros written "0"
    plot_mask_and_weights(allowed, weights, ...)     a mask and the weights it leaves
    plot_heads(weights, tokens)                      one heat map per head, one colour scale
    plot_patch_attention(image, weights, patch, queries)  patch-to-patch weights over a digit
    query_weights / plot_query_weights / query_widget     one query's weights at a
                                                          temperature, behind two controls
"""

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from mmkit.demos.plotting import show_image
from mmkit.models.attention import scaled_dot_product_attention
from mmkit.validate import check_count, check_positive

#: The widget's temperature range: 10⁻² (one key) to 10² (nearly uniform).
TEMPERATURE_RANGE = (-2.0, 2.0)
SLIDER = dict(continuous_update=False, style={"description_width": "initial"})


def _numbers(x: object) -> np.ndarray:
    """A tensor or an array as a float NumPy array (detached)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=float)


def _matrix(weights: object, rows: int, columns: int, name: str) -> np.ndarray:
    weights = _numbers(weights)
    if weights.shape != (rows, columns):
        raise ValueError(f"{name}: expected weights of shape ({rows}, {columns}) (queries × "
                         f"keys, one per token given), got {weights.shape}")
    return weights


# --- a soft lookup --------------------------------------------------------------------------------

def plot_soft_lookup(keys: object, names: Sequence[str], query: object,
                     weights: dict[str, object], axes: np.ndarray | None = None) -> np.ndarray:
    """Left: the 2-D keys as arrows and the query's direction; right: the weights per key.

    keys (S, 2); names: S labels; query (2,); weights: {label: (S,)}, e.g. the weights of
    the query and of a longer one, drawn as grouped bars. → the two Axes (2,).
    """
    keys, query = _numbers(keys), _numbers(query)
    if keys.ndim != 2 or keys.shape[1] != 2 or len(names) != len(keys) or query.shape != (2,):
        raise ValueError(f"plot_soft_lookup: expected keys (S, 2) with S names and a query (2,), "
                         f"got keys {keys.shape}, {len(names)} names, query {query.shape}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.3), gridspec_kw={"width_ratios": [1, 1.6]})
    left, right = axes
    for key, name in zip(keys, names, strict=True):
        left.annotate("", xy=key, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="grey"))
        left.text(*(key * 1.22), name, ha="center", va="center")
    unit = query / max(np.linalg.norm(query), 1e-12)
    left.annotate("", xy=unit, xytext=(0, 0),
                  arrowprops=dict(arrowstyle="->", color="tab:red", lw=2))
    left.text(*(unit * 1.25), "query", color="tab:red", ha="left", va="bottom")
    left.set(xlim=(-1.6, 1.6), ylim=(-1.6, 1.6), aspect="equal", xticks=[], yticks=[],
             title="keys (grey) and the query")
    width = 0.8 / len(weights)
    positions = np.arange(len(keys))
    for i, (label, values) in enumerate(weights.items()):
        values = _numbers(values)
        bars = right.bar(positions + (i - (len(weights) - 1) / 2) * width, values, width,
                         label=label)
        right.bar_label(bars, fmt="%.2f", fontsize=10)
    right.set(xticks=positions, xticklabels=list(names), ylim=(0, 1.1), ylabel="weight",
              title="attention weights (each set sums to 1)")
    right.legend(loc="upper right")
    return axes


# --- why scale by 1/√d ----------------------------------------------------------------------------

def _band(ax: Axes, x: np.ndarray, runs: np.ndarray, label: str, color: str) -> None:
    """The mean over seeds (rows of `runs`) as a line, ± one sample std as a band."""
    runs = np.atleast_2d(runs)
    mean = runs.mean(axis=0)
    ax.plot(x, mean, "o-", color=color, ms=4, label=label)
    if len(runs) > 1:
        std = runs.std(axis=0, ddof=1)
        ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.25, lw=0)


def plot_saturation(dims: Sequence[int], max_weight: dict[str, object],
                    gradient: dict[str, object], keys: int,
                    axes: np.ndarray | None = None) -> np.ndarray:
    """The largest weight (left) and the softmax's gradient size (right) against the width d.

    dims: the widths (D,); max_weight and gradient: {"label": (seeds, D)}, e.g. "scaled by
    1/√d" and "not scaled"; keys: how many keys each query saw (the uniform weight is
    1/keys). Lines: the mean over seeds; bands: ± one sample std. → the two Axes (2,).
    """
    dims = np.asarray(dims)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    colors = iter(["tab:blue", "tab:red", "tab:green"])
    for label, color in zip(max_weight, colors, strict=False):
        _band(axes[0], dims, _numbers(max_weight[label]), label, color)
        _band(axes[1], dims, _numbers(gradient[label]), label, color)
    axes[0].axhline(1 / keys, color="grey", ls=":", lw=1, label=f"uniform, 1/{keys}")
    axes[0].set(ylim=(0, 1.05), ylabel="largest weight (mean)",
                title=f"How peaked: {keys} keys per query")
    axes[1].set(ylim=(0, None), ylabel="‖∂weights/∂scores‖ (mean)",
                title="How much gradient passes the softmax")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set(xlabel="width d of queries and keys")
        ax.set_xticks(dims[::2], [str(d) for d in dims[::2]])
        ax.xaxis.set_minor_locator(plt.NullLocator())
    axes[0].legend(loc="center right")
    return axes


# --- heat maps of weights -----------------------------------------------------------------------

def plot_weights(weights: object, query_tokens: Sequence[str], key_tokens: Sequence[str],
                 ax: Axes | None = None, title: str = "", colorbar: bool = True,
                 vmax: float = 1.0, annotate: bool = True) -> Axes:
    """Weights (L, S) as a heat map: queries down, keys across, each cell's value written in it.

    An exact zero is written "0", anything else with two decimals ("0.00" is a small
    weight, not none). vmax: the top of the colour scale (0 is the bottom).
    """
    weights = _matrix(weights, len(query_tokens), len(key_tokens), "plot_weights")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.4))
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
    ax.grid(False)
    ax.set_xticks(range(len(key_tokens)), list(key_tokens), rotation=45, ha="right")
    ax.set_yticks(range(len(query_tokens)), list(query_tokens))
    ax.set(xlabel="key", ylabel="query", title=title)
    if annotate:
        for (i, j), value in np.ndenumerate(weights):
            text = "0" if value == 0 else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=10,
                    color="black" if value > 0.6 * vmax else "white")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="weight")
    return ax


def plot_mask_and_weights(allowed: object, weights: object, query_tokens: Sequence[str],
                          key_tokens: Sequence[str], title: str = "",
                          axes: np.ndarray | None = None) -> np.ndarray:
    """Left: the mask (L, S) (white: may attend, grey and ×: masked); right: the weights
    (L, S) it leaves, exact zeros written "0". → the two Axes (2,)."""
    allowed = _matrix(allowed, len(query_tokens), len(key_tokens),
                      "plot_mask_and_weights").astype(bool)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].imshow(allowed, cmap="Greys_r", vmin=-0.6, vmax=1, interpolation="nearest")
    axes[0].grid(False)
    for i, j in zip(*np.nonzero(~allowed), strict=True):
        axes[0].text(j, i, "×", ha="center", va="center", fontsize=12)
    axes[0].set_xticks(range(len(key_tokens)), list(key_tokens), rotation=45, ha="right")
    axes[0].set_yticks(range(len(query_tokens)), list(query_tokens))
    axes[0].set(xlabel="key", ylabel="query", title=f"{title} mask (×: may not attend)")
    plot_weights(weights, query_tokens, key_tokens, ax=axes[1], title="weights")
    return axes


def _row_with_colorbar(panels: int, height: float, width: float = 9.0
                       ) -> tuple[np.ndarray, Axes]:
    """A row of `panels` Axes and a narrow Axes at its right end for one colour bar."""
    _, axes = plt.subplots(1, panels + 1, figsize=(width, height),
                           gridspec_kw={"width_ratios": [1] * panels + [0.06]})
    return axes[:-1], axes[-1]


def plot_heads(weights: object, tokens: Sequence[str], axes: np.ndarray | None = None
               ) -> np.ndarray:
    """One heat map per head, weights (H, L, L) over the same tokens, on one colour scale
    (its bar at the right end of a new figure)."""
    weights = _numbers(weights)
    if weights.ndim != 3 or weights.shape[1:] != (len(tokens), len(tokens)):
        raise ValueError(f"plot_heads: expected weights of shape (H, {len(tokens)}, "
                         f"{len(tokens)}), got {weights.shape}")
    heads = len(weights)
    bar = None
    if axes is None:
        axes, bar = _row_with_colorbar(heads, 3.4, width=min(9.0, 3.5 * heads + 0.8))
    axes = np.asarray(axes).reshape(-1)
    vmax = float(weights.max())
    for h, ax in enumerate(axes):
        plot_weights(weights[h], tokens, tokens, ax=ax, title=f"head {h + 1}",
                     colorbar=False, vmax=vmax)
    if bar is not None:
        axes[0].figure.colorbar(axes[0].images[0], cax=bar, label="weight")
    return axes


# --- attention between the patches of an image ---------------------------------------------------

def plot_patch_attention(image: object, weights: object, patch: int, queries: Sequence[int],
                         axes: np.ndarray | None = None) -> np.ndarray:
    """The digit, then each query patch's weights over all patches, drawn over the image.

    image (H, W) in [0, 1]; weights (P, P) between its P = (H/patch)·(W/patch) patches,
    numbered row by row; queries: the patches whose weights to draw (outlined in red).
    The digit's outline is drawn in white over each map; one colour scale for all (its
    bar at the right end of a new figure). → the Axes (1 + len(queries),).
    """
    image = _numbers(image)
    patch = check_count(patch, "patch", minimum=1)
    if image.ndim != 2 or image.shape[0] % patch or image.shape[1] % patch:
        raise ValueError(f"plot_patch_attention: expected an image (H, W) divisible into "
                         f"{patch}×{patch} patches, got {image.shape}")
    rows, columns = image.shape[0] // patch, image.shape[1] // patch
    weights = _matrix(weights, rows * columns, rows * columns, "plot_patch_attention")
    bar = None
    if axes is None:
        axes, bar = _row_with_colorbar(1 + len(queries), 2.7)
    axes = np.asarray(axes).reshape(-1)
    show_image(axes[0], image, vmin=0, vmax=1)
    axes[0].set_title("the digit")
    vmax = float(weights[list(queries)].max())
    for ax, query in zip(axes[1:], queries, strict=True):
        spread = np.kron(weights[query].reshape(rows, columns), np.ones((patch, patch)))
        shown = show_image(ax, spread, cmap="viridis", vmin=0, vmax=vmax)
        ax.contour(image, levels=[0.4], colors="white", linewidths=1)
        r, c = divmod(int(query), columns)
        ax.add_patch(Rectangle((c * patch - 0.5, r * patch - 0.5), patch, patch, fill=False,
                               edgecolor="tab:red", lw=2.5))
        ax.set_title(f"query patch {query}")
    if bar is not None:
        axes[0].figure.colorbar(shown, cax=bar, label="weight")
    return axes


# --- one query's weights, at a temperature: the widget -------------------------------------------

def query_weights(q: object, k: object, query: int, temperature: float = 1.0) -> np.ndarray:
    """The weights of query `query` over the keys: softmax(q_i · Kᵀ / (√d · T)).

    q (L, d), k (S, d); temperature T > 0 divides the scores: T → 0 puts all weight on
    the best-matching key (the arg-max), T → ∞ spreads it evenly (1/S each). By
    `mmkit.models.attention.scaled_dot_product_attention` → (S,).
    """
    q, k = torch.as_tensor(_numbers(q)), torch.as_tensor(_numbers(k))
    query = check_count(query, "query")
    if query >= len(q):
        raise ValueError(f"query must be a position in 0..{len(q) - 1}, got {query}")
    temperature = check_positive(temperature, "temperature")
    _, weights = scaled_dot_product_attention(q[query:query + 1], k, k,
                                              scale=1 / (np.sqrt(q.shape[-1]) * temperature))
    return weights[0].numpy()


@dataclass
class QueryView:
    """What `plot_query_weights` drew: its two Axes and the chosen query's weights (S,)."""

    axes: np.ndarray
    weights: np.ndarray


def plot_query_weights(q: object, k: object, tokens: Sequence[str], query: int = 0,
                       temperature: float = 1.0, axes: np.ndarray | None = None) -> QueryView:
    """Left: every query's weights at this temperature, the chosen row outlined; right: the
    chosen query's weights as bars (the dotted line: uniform, 1/S). q, k (L, d) over the
    same L tokens (self-attention)."""
    q, k = _numbers(q), _numbers(k)
    if q.shape != k.shape or q.ndim != 2 or len(q) != len(tokens):
        raise ValueError(f"plot_query_weights: expected q and k of shape ({len(tokens)}, d), one "
                         f"row per token, got q {q.shape} and k {k.shape}")
    every = np.stack([query_weights(q, k, i, temperature) for i in range(len(q))])
    weights = every[query]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    labels = [f"{i}: {token}" for i, token in enumerate(tokens)]
    plot_weights(every, labels, labels, ax=axes[0], annotate=False,
                 title=f"all queries, T = {temperature:.3g}")
    axes[0].add_patch(Rectangle((-0.5, query - 0.5), len(tokens), 1, fill=False,
                                edgecolor="tab:red", lw=2.5))
    bars = axes[1].bar(range(len(tokens)), weights, color="tab:blue")
    axes[1].bar_label(bars, fmt="%.2f", fontsize=10)
    axes[1].axhline(1 / len(tokens), color="grey", ls=":", lw=1)
    best = int(np.argmax(weights))
    axes[1].set(ylim=(0, 1.12), ylabel="weight", xlabel="key",
                title=f"query {labels[query]!r}: {weights[best]:.2f} on {labels[best]!r}")
    axes[1].set_xticks(range(len(tokens)), labels, rotation=45, ha="right")
    return QueryView(axes=np.asarray(axes), weights=weights)


def query_widget(q: object, k: object, tokens: Sequence[str], query: int = 0,
                 temperature: float = 1.0) -> widgets.interactive:
    """A query drop-down and a temperature slider (log scale, 0.01 to 100) driving
    `plot_query_weights` on precomputed q, k (L, d): one softmax per move.

    children: [query, temperature, output]; `.result` holds the latest `QueryView`.
    """
    choose = widgets.Dropdown(options=[(f"{i}: {token}", i) for i, token in enumerate(tokens)],
                              value=query, description="query token",
                              style={"description_width": "initial"})
    low, high = TEMPERATURE_RANGE
    heat = widgets.FloatLogSlider(value=temperature, base=10, min=low, max=high, step=0.1,
                                  description="temperature T", readout_format=".2g", **SLIDER)

    def show(query: int, temperature: float) -> QueryView:
        view = plot_query_weights(q, k, tokens, query, temperature)
        display(view.axes[0].figure)
        plt.close(view.axes[0].figure)
        return view

    return widgets.interactive(show, query=choose, temperature=heat)
