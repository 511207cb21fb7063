"""Notebook 09's formatting, pictures and widget: they show what mmkit.models.scale computes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mmkit.demos.scale import (
    LAPTOP_MEMORY,
    SPEEDS,
    format_bytes,
    format_count,
    format_duration,
    format_flops,
    model_size_widget,
    plot_breakdown,
    plot_size_sweep,
    report_text,
    size_report,
)
from mmkit.models.scale import (
    PUBLISHED,
    SizeSweep,
    gpt_parameters,
    power_law,
    training_flops,
    training_memory,
)
from mmkit.models.transformer import GPTConfig


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 10
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


def test_formats_read_as_people_write_them():
    assert format_count(452) == "452"
    assert format_count(59_040) == "59.0 k"
    assert format_count(124_439_808) == "124.4 M"
    assert format_count(174_604_259_328) == "174.6 B"
    assert format_bytes(944_640) == "944.6 kB"
    assert format_bytes(2.8e12) == "2.8 TB"
    assert format_bytes(12) == "12 B"
    assert format_flops(3.14e23) == "3.1e+23"
    assert format_duration(1.6) == "1.6 s"
    assert format_duration(0.01) == "under 0.1 s"
    assert format_duration(7200) == "2.0 h"
    assert format_duration(100 * 365.25 * 86400) == "100 years"


def test_breakdown_bars_are_the_shares_of_each_part():
    configs = {"tiny": GPTConfig(34), "GPT-3": PUBLISHED["GPT-3"].config()}
    ax = plot_breakdown(configs)
    assert_readable(ax.figure)
    bars = ax.patches
    assert len(bars) == 2 * 4
    # each bar's widths sum to 1; GPT-3's MLP (third part) is two thirds of it
    widths = np.array([bar.get_width() for bar in bars]).reshape(2, 4)
    np.testing.assert_allclose(widths.sum(axis=1), 1)
    assert 0.6 < widths[1, 2] < 0.67
    assert "174.6 B" in [text.get_text() for text in ax.texts]


def test_size_sweep_draws_the_runs_the_means_and_the_fit():
    configs = (GPTConfig(34, n_layer=1, n_head=1, n_embd=4), GPTConfig(34, n_layer=1, n_embd=8))
    sweep = SizeSweep(configs, np.array([452, 1288]), (0, 1), np.array([[1.8, 1.4], [1.7, 1.5]]),
                      np.array([[40, 40], [38, 40]]), tokens=1000)
    ax = plot_size_sweep(sweep, 2.0, 0.05)
    assert_readable(ax.figure)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    means = ax.lines[0].get_ydata()
    np.testing.assert_allclose(means, [1.75, 1.45])
    fit = ax.lines[1]
    np.testing.assert_allclose(fit.get_ydata(), power_law(fit.get_xdata(), 2.0, 0.05))
    assert "N^(−0.050)" in ax.get_legend().get_texts()[-1].get_text()


def test_size_report_is_the_arithmetic_of_the_model_module():
    report = size_report(96, 12288, 50257, 2048, 3e11)
    assert report.parameters == PUBLISHED["GPT-3"].parameters()
    assert report.memory == training_memory(report.parameters)
    assert report.flops == training_flops(report.parameters, 300 * 10**9)
    assert report.seconds == {where: report.flops / speed for where, speed in SPEEDS.items()}
    text = report_text(report)
    assert "174.6 B" in text and "2.8 TB" in text and "does not fit" in text
    small = size_report(2, 48, 34, 16, 1e5, optimizer="sgd")
    assert small.parameters == gpt_parameters(GPTConfig(34, 16, 2, 4, 48))
    assert small.memory["optimizer"] == 0 and "fits in a" in report_text(small)
    with pytest.raises(ValueError, match="adam"):
        size_report(2, 48, 34, 16, 1e5, optimizer="lion")


def test_widget_answers_each_control():
    widget = model_size_widget()
    layers, width, vocab, context, tokens, optimizer, _output = widget.children
    first = widget.result
    assert first.parameters == gpt_parameters(GPTConfig(34, 16, 2, 4, 48))
    assert all(c.continuous_update is False for c in (layers, width, vocab, context, tokens))
    assert layers.style.description_width == "initial"
    layers.value = 4
    assert widget.result.config.n_layer == 4
    assert widget.result.parameters > first.parameters
    width.value = 12288
    vocab.value = 50257
    context.value = 2048
    layers.value = 96
    assert widget.result.parameters == PUBLISHED["GPT-3"].parameters()
    tokens.value = 1e11
    assert widget.result.flops == training_flops(widget.result.parameters, 10**11)
    optimizer.value = "sgd"
    assert widget.result.memory["optimizer"] == 0
    assert widget.result.memory["total"] > LAPTOP_MEMORY
