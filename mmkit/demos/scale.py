"""Notebook 09's numbers, pictures and widget: what makes a model large.

The counts, memory, compute and the size sweep live in `mmkit.models.scale`; this module
only formats and draws them and wires the widget:

    format_count / format_bytes / format_flops      124.4 M, 2.0 GB, 3.1e+23
    plot_breakdown(configs)                          where a GPT's parameters are, by part
    plot_size_sweep(sweep, a, alpha)                 validation loss against parameters, log–log
    size_report / report_text / model_size_widget    choose the sizes → parameters, memory,
                                                     compute (pure arithmetic, instant)
"""

from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from mmkit.models.scale import (
    OPTIMIZER_STATES,
    SizeSweep,
    parameter_breakdown,
    power_law,
    training_flops,
    training_memory,
)
from mmkit.models.transformer import GPTConfig
from mmkit.validate import check_count, check_positive

#: A laptop's memory (bytes), for "does it fit?".
LAPTOP_MEMORY = 16 * 10**9
#: Assumed sustained training speeds (FLOP/s), orders of magnitude only: one laptop CPU core
#: in 32-bit floats, and one data-centre GPU in 16-bit at about a third of an A100's
#: 312 TFLOP/s peak (a realistic share of the peak in large training runs).
SPEEDS = {"a laptop CPU core": 1e10, "one data-centre GPU": 1e14}
PART_COLOURS = {"embeddings": "tab:green", "attention": "tab:blue", "mlp": "tab:orange",
                "layer norms": "tab:gray"}
SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
SECONDS_PER_YEAR = 365.25 * 24 * 3600


def format_count(n: float) -> str:
    """A parameter count for reading: 452, 59.0 k, 124.4 M, 174.6 B."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)}"


def format_bytes(b: float) -> str:
    """Bytes in decimal units: 1.8 kB, 2.0 GB, 2.8 TB."""
    for size, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{int(b)} B"


def format_flops(f: float) -> str:
    """An operation count in scientific notation, two significant digits: 3.1e+23."""
    return f"{f:.1e}"


def format_duration(seconds: float) -> str:
    """A duration for reading: under 0.1 s, 3.2 s, 4.1 h, 12 days, 99,600 years."""
    if seconds < 0.1:
        return "under 0.1 s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < SECONDS_PER_YEAR:
        return f"{seconds / 86400:.0f} days"
    return f"{seconds / SECONDS_PER_YEAR:,.0f} years"


def plot_breakdown(configs: Mapping[str, GPTConfig], ax: Axes | None = None) -> Axes:
    """One horizontal bar per model: the share of its parameters in the embeddings, the
    attention, the MLPs and the layer norms (`parameter_breakdown`), its total written at
    the right."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 + 0.55 * len(configs)))
    names = list(configs)
    for row, name in enumerate(names):
        parts = parameter_breakdown(configs[name])
        total = sum(parts.values())
        left = 0.0
        for part, count in parts.items():
            share = count / total
            ax.barh(row, share, left=left, color=PART_COLOURS[part],
                    label=part if row == 0 else None)
            if share >= 0.08:
                ax.text(left + share / 2, row, f"{share:.0%}", ha="center", va="center",
                        color="white", fontsize=10)
            left += share
        ax.text(1.01, row, format_count(total), va="center", fontsize=10)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the parameters")
    ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
              fontsize=10)
    return ax


def plot_size_sweep(sweep: SizeSweep, a: float, alpha: float, ax: Axes | None = None) -> Axes:
    """Each run's best validation loss against its parameter count (log–log), the mean over
    the seeds, and the fitted power law a · N^(−alpha)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for r in range(len(sweep.seeds)):
        ax.scatter(sweep.parameters, sweep.losses[r], s=14, color="tab:blue", alpha=0.5,
                   label="one seed" if r == 0 else None)
    ax.plot(sweep.parameters, sweep.mean_losses(), "o", color="tab:blue",
            label=f"mean of {len(sweep.seeds)} seeds")
    n = np.geomspace(sweep.parameters.min() / 1.5, sweep.parameters.max() * 1.5, 50)
    ax.plot(n, power_law(n, a, alpha), "--", color="tab:red",
            label=f"fit {a:.2f} · N^(−{alpha:.3f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("best validation loss (nats/token)")
    ax.yaxis.set_minor_formatter(plt.FormatStrFormatter("%.1f"))
    ax.yaxis.set_major_formatter(plt.FormatStrFormatter("%.1f"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=10)
    return ax


@dataclass(frozen=True)
class SizeReport:
    """A GPT's sizes and what they cost: parameters (by part), the bytes of training with
    `optimizer` in 32-bit floats, the FLOPs of training on `tokens` tokens, and the time
    that takes at each of SPEEDS (seconds)."""

    config: GPTConfig
    optimizer: str
    tokens: int
    parameters: int
    breakdown: dict[str, int]
    memory: dict[str, int]
    flops: int
    seconds: dict[str, float]


def size_report(n_layer: int, n_embd: int, vocab_size: int, block_size: int, tokens: float,
                optimizer: str = "adam") -> SizeReport:
    """Parameters, training memory and compute of a GPT of these sizes (the number of heads
    does not change the count): pure arithmetic, instant even for GPT-3's sizes."""
    config = GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer,
                       n_head=1, n_embd=n_embd)
    breakdown = parameter_breakdown(config)
    parameters = sum(breakdown.values())
    tokens = check_count(round(check_positive(tokens, "tokens")), "tokens")
    flops = training_flops(parameters, tokens)
    return SizeReport(config, optimizer, tokens, parameters, breakdown,
                      training_memory(parameters, optimizer=optimizer), flops,
                      {where: flops / speed for where, speed in SPEEDS.items()})


def report_text(report: SizeReport) -> str:
    """The report in a few lines, as the widget prints it."""
    parts = ", ".join(f"{part} {count / report.parameters:.0%}"
                      for part, count in report.breakdown.items())
    memory = report.memory
    fits = "fits" if memory["total"] <= LAPTOP_MEMORY else "does not fit"
    times = "; ".join(f"{where}: {format_duration(s)}" for where, s in report.seconds.items())
    return "\n".join([
        f"parameters: {format_count(report.parameters)} ({report.parameters:,}): {parts}",
        f"training memory ({report.optimizer}, 32-bit): {format_bytes(memory['weights'])} "
        f"weights + {format_bytes(memory['gradients'])} gradients + "
        f"{format_bytes(memory['optimizer'])} optimizer = {format_bytes(memory['total'])}",
        f"  {fits} in a {format_bytes(LAPTOP_MEMORY)} laptop (activations not counted)",
        f"training compute on {format_count(report.tokens)} tokens: 6 N T = "
        f"{format_flops(report.flops)} FLOPs",
        f"time at an assumed sustained speed: {times}",
    ])


#: The widget's choices: the digit language's GPT (vocabulary 34, context 16) up to GPT-3.
WIDTHS = (4, 8, 16, 32, 48, 64, 128, 256, 384, 512, 768, 1024, 1600, 2048, 4096, 8192, 12288)
VOCABULARIES = (34, 1000, 30522, 50257, 100000)
CONTEXTS = (16, 128, 512, 1024, 2048, 8192)


def model_size_widget(n_layer: int = 2, n_embd: int = 48, vocab_size: int = 34,
                      block_size: int = 16, tokens: float = 1e5,
                      optimizer: str = "adam") -> widgets.interactive:
    """Depth, width, vocabulary, context, training tokens and optimizer → `report_text`
    of `size_report`: pure arithmetic, so every move answers at once.

    children: [layers, width, vocabulary, context, tokens, optimizer, output]; `.result`
    holds the latest `SizeReport`.
    """
    layers = widgets.IntSlider(value=n_layer, min=1, max=96, description="layers (n_layer)",
                               **SLIDER)
    width = widgets.SelectionSlider(options=WIDTHS, value=n_embd,
                                    description="width (n_embd)", **SLIDER)
    vocab = widgets.SelectionSlider(options=VOCABULARIES, value=vocab_size,
                                    description="vocabulary (vocab_size)", **SLIDER)
    context = widgets.SelectionSlider(options=CONTEXTS, value=block_size,
                                      description="context (block_size)", **SLIDER)
    budget = widgets.FloatLogSlider(value=tokens, base=10, min=3, max=13, step=0.5,
                                    description="training tokens T", readout_format=".1e",
                                    **SLIDER)
    choose = widgets.Dropdown(options=list(OPTIMIZER_STATES), value=optimizer,
                              description="optimizer", style={"description_width": "initial"})

    def show(n_layer: int, n_embd: int, vocab_size: int, block_size: int, tokens: float,
             optimizer: str) -> SizeReport:
        report = size_report(n_layer, n_embd, vocab_size, block_size, tokens, optimizer)
        print(report_text(report))
        return report

    return widgets.interactive(show, n_layer=layers, n_embd=width, vocab_size=vocab,
                               block_size=context, tokens=budget, optimizer=choose)
