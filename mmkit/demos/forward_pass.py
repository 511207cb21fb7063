"""Notebook 01's pictures and widget: preprocessing, layers, activations, softmax, decisions.

The forward pass itself lives in `mmkit.scratch` (`Linear`, `ReLU`, ..., `mlp`,
`softmax`); this module only shows it:

    plot_digits_before_after   raw 8×8 digits next to their standardised versions
    layer_table                the shape after each layer of a model, as text
    plot_activations           ReLU, sigmoid and tanh, and their slopes
    plot_hidden_histograms     hidden activations on standardised vs raw inputs
    plot_forward_pass          one input → hidden units → logits → probabilities
    plot_decision_boundary     what a small trained MLP draws on a 2-D toy set
    decision_boundary_widget   the same, with the activation and width to pick

Shapes: N examples, D input features, H hidden units, C classes.
"""

from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from mmkit.data.toy import toy_data
from mmkit.demos.plotting import plot_digit_grid, show_image
from mmkit.scratch.layers import ACTIVATIONS, Activation, Linear, Sequential, mlp, softmax
from mmkit.validate import check_count, lookup

ACTIVATION_NAMES = ("relu", "sigmoid", "tanh")
#: The largest slope each activation ever has (at z = 0, or for any z > 0 for ReLU).
MAX_SLOPE = {"relu": 1.0, "sigmoid": 0.25, "tanh": 1.0}
#: Hidden widths the decision-boundary widget offers.
WIDTHS = (1, 2, 4, 8, 32)
COLORS = {"relu": "tab:blue", "sigmoid": "tab:orange", "tanh": "tab:green"}


def _check_activation(name: str) -> str:
    return lookup(name, ACTIVATION_NAMES, "activation")


# --- Step 1: preprocessing ------------------------------------------------------------------


def plot_digits_before_after(raw: np.ndarray, standardized: np.ndarray, labels: np.ndarray,
                             n: int = 6) -> plt.Figure:
    """Top row: the first `n` digits as pixel values 0–16; bottom row: the same, standardised.

    raw, standardized: (N, 64) with N ≥ n; labels: (N,) digits 0–9.
    """
    raw, standardized = np.asarray(raw, dtype=float), np.asarray(standardized, dtype=float)
    if raw.ndim != 2 or raw.shape[1] != 64 or standardized.shape != raw.shape:
        raise ValueError(f"expected raw and standardized of the same shape (N, 64), got "
                         f"{raw.shape} and {standardized.shape}")
    if len(raw) < n:
        raise ValueError(f"need at least n={n} digits, got {len(raw)}")
    fig, axes = plt.subplots(2, n, figsize=(9, 3.4), layout="constrained")
    plot_digit_grid(raw[:n].reshape(n, 8, 8), [f"label {label}" for label in labels[:n]],
                    ["raw\n(0 to 16)"], vmin=0, vmax=16, axes=axes[:1])
    plot_digit_grid(standardized[:n].reshape(n, 8, 8), row_labels=["standardised\n(train stats)"],
                    cmap="RdBu_r", vmin=-3, vmax=3, axes=axes[1:])
    fig.colorbar(axes[0, 0].images[0], ax=axes[0, :].tolist(), shrink=0.8, pad=0.02)
    fig.colorbar(axes[1, 0].images[0], ax=axes[1, :].tolist(), shrink=0.8, pad=0.02)
    return fig


# --- Steps 2 and 3: layer by layer ----------------------------------------------------------


def layer_table(model: Sequential, x: np.ndarray) -> str:
    """Run `x` (N, D) through `model` layer by layer; one text row per layer with the
    output's shape and, for a Linear layer, the shapes of W (out, in) and b (out,)."""
    rows = [("layer", "output shape", "W shape", "b shape"), ("input", str(np.shape(x)), "", "")]
    for layer in model.layers:
        x = layer(x)
        if isinstance(layer, Linear):
            bias = "" if layer.bias is None else str(layer.bias.shape)
            rows.append((repr(layer), str(x.shape), str(layer.weight.shape), bias))
        else:
            rows.append((repr(layer), str(x.shape), "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def activation_and_slope(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """φ(z) and its derivative φ'(z), element-wise, from the scratch layer `name`.

    z: any shape → two arrays of the same shape. The slope comes from the layer's own
    backward pass (fed ones), so it is exactly what training will use.
    """
    layer = ACTIVATIONS[_check_activation(name)]()
    out = layer(np.asarray(z, dtype=float))
    return out, layer.backward(np.ones_like(out))


def plot_activations(z_max: float = 6.0) -> np.ndarray:
    """Left: ReLU, sigmoid and tanh over z in [−z_max, z_max]; right: their slopes φ'(z),
    with the saturated zone (|z| > 4, where sigmoid's and tanh's slopes are almost 0) shaded.
    Returns the two Axes."""
    z = np.linspace(-z_max, z_max, 401)
    _, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    for name in ACTIVATION_NAMES:
        out, slope = activation_and_slope(name, z)
        left.plot(z, out, color=COLORS[name], label=name)
        right.plot(z, slope, color=COLORS[name], label=name)
    for side in (-1, 1):
        right.axvspan(4 * side, z_max * side, color="grey", alpha=0.15, lw=0)
    right.text(z_max - 0.1, 0.55, "saturated:\nslope ≈ 0", ha="right")
    right.text(-z_max + 0.1, 0.55, "saturated:\nslope ≈ 0", ha="left")
    left.set(xlabel="pre-activation z", ylabel="φ(z)", ylim=(-1.2, 2.5),
             title="activation φ(z)")
    right.set(xlabel="pre-activation z", ylabel="φ'(z)", ylim=(-0.05, 1.1),
              title="slope φ'(z): what the gradient is multiplied by")
    left.legend(loc="upper left")
    return np.array([left, right])


@dataclass(frozen=True)
class HiddenLayer:
    """The first hidden layer of an MLP on a batch: pre-activations z = x W₁ᵀ + b₁, the
    activations h = φ(z) and the slopes φ'(z), each of shape (N, H)."""

    pre: np.ndarray
    post: np.ndarray
    slope: np.ndarray


def first_hidden_layer(model: Sequential, X: np.ndarray) -> HiddenLayer:
    """z, φ(z) and φ'(z) of the first Linear + activation of `model` on X (N, D)."""
    if len(model) < 2 or not isinstance(model[0], Linear) or \
            not isinstance(model[1], Activation):
        raise ValueError(f"expected a model that starts with Linear then an activation, got "
                         f"{model!r}")
    pre = model[0](X)
    post = model[1](pre)
    return HiddenLayer(pre, post, model[1].backward(np.ones_like(post)))


def flat_slope_fraction(name: str, hidden: HiddenLayer, threshold: float = 0.05) -> float:
    """Fraction of hidden values (all N × H of them) whose slope φ'(z) is below `threshold`
    times the activation's largest slope: for sigmoid and tanh that is saturation; for ReLU,
    the units that are off (z ≤ 0)."""
    return float(np.mean(hidden.slope < threshold * MAX_SLOPE[_check_activation(name)]))


def hidden_layers_by_activation(X: np.ndarray, sizes: tuple[int, ...] = (64, 32, 10),
                                seed: int = 0) -> dict[str, HiddenLayer]:
    """For each activation, the first hidden layer of an untrained `mlp(sizes, activation,
    rng=seed)` on X (N, sizes[0]); the same seed gives every model the same weights."""
    return {name: first_hidden_layer(mlp(list(sizes), name, rng=seed), X)
            for name in ACTIVATION_NAMES}


def plot_hidden_histograms(X_standardized: np.ndarray, X_raw: np.ndarray, seed: int = 0
                           ) -> np.ndarray:
    """One panel per activation: histograms of the first hidden layer's values h = φ(x W₁ᵀ + b₁)
    of an untrained mlp([64, 32, 10]) on standardised inputs (filled) and raw pixels (outline).
    X_standardized, X_raw: (N, 64). Returns the three Axes."""
    _, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    standardized = hidden_layers_by_activation(X_standardized, seed=seed)
    raw = hidden_layers_by_activation(X_raw, seed=seed)
    for ax, name in zip(axes, ACTIVATION_NAMES, strict=True):
        values = np.concatenate([standardized[name].post.ravel(), raw[name].post.ravel()])
        high = np.quantile(values, 0.99) if name == "relu" else values.max()
        bins = np.linspace(values.min(), high, 41)
        ax.hist(np.clip(standardized[name].post.ravel(), None, high), bins=bins,
                color=COLORS[name], alpha=0.6, label="standardised")
        ax.hist(np.clip(raw[name].post.ravel(), None, high), bins=bins, histtype="step",
                color="black", lw=1.2, label="raw pixels")
        flat = (flat_slope_fraction(name, standardized[name]),
                flat_slope_fraction(name, raw[name]))
        ax.set(title=f"{name}: slope ≈ 0 for {flat[0]:.0%} → {flat[1]:.0%}",
               xlabel="hidden activation h", yticks=[])
    axes[0].set_ylabel("count")
    axes[0].legend(loc="upper right")
    return axes


# --- Step 4: the output ---------------------------------------------------------------------


def plot_forward_pass(model: Sequential, x: np.ndarray, label: int, title: str = ""
                      ) -> np.ndarray:
    """One digit through `model`: the input x (64,) as an 8×8 image, every hidden layer's
    activations, the logits z (C,) and the probabilities softmax(z) (C,), the true class
    `label` in orange. Returns the Axes, left to right."""
    x = np.asarray(x, dtype=float)
    if x.shape != (64,):
        raise ValueError(f"x: expected one digit of shape (64,), got {x.shape}")
    hidden, out = [], x[None, :]
    for layer in model.layers:
        out = layer(out)
        if isinstance(layer, Activation):
            hidden.append((repr(layer), out[0]))
    logits = out[0]
    probs = softmax(out)[0]
    n_panels = 3 + len(hidden)
    widths = [0.8] + [1.2] * len(hidden) + [1, 1]
    fig, axes = plt.subplots(1, n_panels, figsize=(9, 2.6), width_ratios=widths)
    show_image(axes[0], x.reshape(8, 8), cmap="RdBu_r", vmin=-3, vmax=3)
    axes[0].set_title("input x (8×8 = 64)")
    for ax, (name, h) in zip(axes[1:], hidden, strict=False):
        ax.bar(np.arange(len(h)), h, color="grey", width=0.8)
        ax.set(title=f"hidden: {name} ({len(h)})", xticks=[])
    classes = np.arange(len(logits))
    colors = ["tab:orange" if c == label else "tab:blue" for c in classes]
    axes[-2].bar(classes, logits, color=colors)
    axes[-2].set(title=f"logits z ({len(logits)})", xticks=classes, xlabel="class")
    axes[-1].bar(classes, probs, color=colors)
    axes[-1].set(title=f"softmax: P({label}) = {probs[label]:.2f}", xticks=classes,
                 xlabel="class", ylim=(0, 1))
    if title:
        fig.suptitle(title)
    return axes


# --- What the forward pass can draw: decision regions on a 2-D toy set ----------------------


@dataclass(frozen=True)
class ToyModel:
    """A trained 2 → width → 2 MLP on the toy set and its accuracy on the training points."""

    model: Sequential
    activation: str
    width: int
    accuracy: float


@lru_cache(maxsize=64)
def train_toy_model(activation: str, width: int, epochs: int = 300, lr: float = 0.05
                    ) -> ToyModel:
    """Train mlp([2, width, 2], activation, rng=0) with Adam on `toy_data()` (full batch).

    Cached: each (activation, width) trains once (about 0.2 s), then comes back at once.
    """
    from mmkit.scratch.losses import CrossEntropyLoss
    from mmkit.scratch.optim import Adam
    from mmkit.scratch.train import accuracy, fit

    _check_activation(activation)
    width = check_count(width, "width", minimum=1)
    X, y = toy_data()
    model = mlp([2, int(width), 2], activation, rng=0)
    fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=lr), X, y, epochs=epochs,
        batch_size=None, rng=0)
    return ToyModel(model, activation, int(width), accuracy(model(X), y))


def class_one_probability(model: Sequential, points: np.ndarray) -> np.ndarray:
    """P(class 1) = softmax(model(points))[:, 1] for points (M, 2) → (M,)."""
    return softmax(model(points))[:, 1]


def plot_decision_boundary(activation: str = "relu", width: int = 8,
                           ax: plt.Axes | None = None) -> plt.Axes:
    """Decision regions of the trained toy model for (activation, width): background colour
    P(class 1) from the forward pass on a 150×150 grid (its colour bar beside the panel),
    the 0.5 boundary in black, the training points on top, the inputs x₁, x₂ on the axes;
    the title gives the training accuracy."""
    toy = train_toy_model(activation, width)
    X, y = toy_data()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
    prob = class_one_probability(toy.model, np.column_stack([gx.ravel(), gy.ravel()]))
    prob = prob.reshape(gx.shape)
    filled = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.2)
    ax.scatter(*X[y == 0].T, s=12, color="tab:blue", edgecolor="white", lw=0.4, label="class 0")
    ax.scatter(*X[y == 1].T, s=12, color="tab:red", edgecolor="white", lw=0.4, label="class 1")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x₁", ylabel="x₂",
           title=f"{activation}, width {toy.width}: train accuracy {toy.accuracy:.2f}")
    ax.grid(False)
    ax.figure.colorbar(filled, ax=ax, label="P(class 1)", ticks=[0, 0.25, 0.5, 0.75, 1])
    return ax


def decision_boundary_widget() -> widgets.interactive:
    """Activation buttons and a width slider driving `plot_decision_boundary`;
    `.result` holds the latest Axes. children: [activation, width, output]."""

    def show(activation: str, width: int) -> plt.Axes:
        ax = plot_decision_boundary(activation, width)
        display(ax.figure)
        plt.close(ax.figure)
        return ax

    wide = {"description_width": "initial"}  # the whole label, at any notebook width
    return widgets.interactive(
        show,
        activation=widgets.ToggleButtons(options=ACTIVATION_NAMES, value="relu",
                                         description="activation", style=wide),
        width=widgets.SelectionSlider(options=WIDTHS, value=2, description="hidden width",
                                      continuous_update=False, style=wide))
