"""The welcome notebook's first toy: one artificial neuron, y = σ(w·x + b).

Every widget in the kit follows the pattern shown here: a plain function does
the work (`plot_neuron`), and a thin widget (`neuron_widget`) calls it when a
slider moves. The function runs without the widget, so it can be tested.
"""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

X_RANGE = (-6.0, 6.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(-z)), element-wise; any shape in, the same shape out."""
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))  # stable for large |z|


def neuron(x: np.ndarray, weight: float, bias: float) -> np.ndarray:
    """One neuron with a sigmoid activation: x of shape (N,) → outputs of shape (N,)."""
    return sigmoid(weight * np.asarray(x, dtype=float) + bias)


def switch_point(weight: float, bias: float) -> float | None:
    """The input where the neuron's output crosses 0.5 (w·x + b = 0), or None if w = 0."""
    return None if weight == 0 else -bias / weight + 0.0  # + 0.0 turns −0.0 into 0.0


def format_number(value: float, decimals: int = 2) -> str:
    """`value` rounded to `decimals`, never "-0.00": a value that rounds to zero prints as 0."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def plot_neuron(weight: float = 1.0, bias: float = 0.0, ax: plt.Axes | None = None) -> plt.Axes:
    """Plot σ(w·x + b) over x in [-6, 6] and mark where it crosses 0.5."""
    if ax is None:
        _, ax = plt.subplots()
    x = np.linspace(*X_RANGE, 241)
    ax.plot(x, neuron(x, weight, bias), color="tab:blue")
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    crossing = switch_point(weight, bias)
    if crossing is not None and X_RANGE[0] <= crossing <= X_RANGE[1]:
        ax.axvline(crossing, color="tab:orange", lw=1)
    where = "never" if crossing is None else f"at x = {format_number(crossing)}"
    sign = "-" if bias < 0 else "+"
    ax.set(xlim=X_RANGE, ylim=(-0.05, 1.05), xlabel="input x", ylabel="output y",
           title=f"y = σ({weight + 0.0:g}·x {sign} {abs(bias):g}): crosses 0.5 {where}")
    return ax


def neuron_widget() -> widgets.interactive:
    """Two sliders (weight, bias) driving `plot_neuron`; `.result` holds the latest Axes.

    The descriptions keep their full width (`description_width="initial"`), so
    JupyterLab does not cut them off.
    """

    def show(weight: float, bias: float) -> plt.Axes:
        ax = plot_neuron(weight, bias)
        display(ax.figure)
        plt.close(ax.figure)
        return ax

    slider = dict(min=-5.0, max=5.0, step=0.5, continuous_update=False,
                  style={"description_width": "initial"})
    return widgets.interactive(show,
                               weight=widgets.FloatSlider(value=1.0, description="weight w",
                                                          **slider),
                               bias=widgets.FloatSlider(value=0.0, description="bias b",
                                                        **slider))
