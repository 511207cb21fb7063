"""Notebook 13's tables and pictures: what they show, and the errors they refuse."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mmkit.demos.multimodal_pipeline import (
    describe_mistake,
    parameter_table,
    plot_mistakes,
    plot_training,
    report_table,
    share_table,
)
from mmkit.models.encoders import num_parameters
from mmkit.models.fusion import build_fusion, default_encoders


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("fusion", ["late", "early", "attention"])
def test_the_parameter_table_adds_up_to_the_models_count(fusion):
    model = build_fusion(fusion, default_encoders())
    table = parameter_table(model)
    lines = table.splitlines()
    counts = [int(line.rsplit(None, 1)[1].replace(",", "")) for line in lines]
    assert sum(counts[:-1]) == counts[-1] == num_parameters(model)
    assert lines[0].startswith("text encoder (BagOfWords)")
    assert "image encoder (ImageCNN)" in table and "audio encoder (AudioLSTM)" in table
    if fusion == "late":
        assert "heads: text" in table and f"{650:>8,}" in table


def test_plot_training_marks_the_chosen_epoch():
    axes = plot_training([2.0, 1.2, 0.8], [0.1, 0.6, 0.8, 0.78], best_epoch=2)
    loss_line, = axes[0].get_lines()
    np.testing.assert_array_equal(loss_line.get_xdata(), [1, 2, 3])
    val_line, marker = axes[1].get_lines()
    np.testing.assert_array_equal(val_line.get_xdata(), [0, 1, 2, 3])
    assert list(marker.get_xdata()) == [2, 2]
    assert "chosen: epoch 2" in [t.get_text() for t in axes[1].get_legend().get_texts()]


def test_report_table_prints_every_number_rounded():
    text = report_table({"parameters": 119934, "training_time_s": 17.26,
                         "peak_memory_mib": 812.4, "inference_ms_per_batch": 11.8,
                         "inference_batch_size": 64})
    assert "119,934" in text and "17 s" in text and "812 MiB" in text
    assert "12 ms per batch of 64" in text


def test_plot_mistakes_draws_a_column_per_sample():
    rng = np.random.default_rng(0)
    axes = plot_mistakes(rng.random((3, 8, 8)), rng.standard_normal((3, 101, 40)), [40, 60, 80],
                         ["a", "b", "c"])
    assert axes.shape == (2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["a", "b", "c"]
    assert axes[1, 1].get_lines()[0].get_xdata()[0] == pytest.approx(60 * 0.01)
    with pytest.raises(ValueError, match="expected n images, log-mels, lengths and titles"):
        plot_mistakes(rng.random((3, 8, 8)), rng.standard_normal((2, 101, 40)), [1, 2, 3],
                      ["a", "b", "c"])


def test_describe_mistake_gives_each_modalitys_vote():
    votes = np.full((3, 10), 0.05)
    votes[0, 3], votes[1, 5], votes[2, 5] = 0.55, 0.55, 0.55
    text = describe_mistake(7, 3, 5, "three", "exact", votes, [True, True, False])
    lines = text.splitlines()
    assert lines[0] == "sample 7: digit 3, predicted 5; clue 'three' (exact)"
    assert lines[1].split() == ["text", "votes", "3", "(0.55,", "right);", "P(digit", "3)",
                                "=", "0.55"]
    assert "votes 5 (0.55, wrong); P(digit 3) = 0.05" in lines[2]
    assert lines[3].split() == ["audio", "missing:", "no", "vote"]


def test_share_table_gives_each_values_share_per_group():
    table = share_table({"all": ["a", "a", "b", "c"], "some": ["b", "b"]}, ["a", "b", "c"])
    header, a, b, c = table.splitlines()
    assert "all (4)" in header and "some (2)" in header
    assert a.split() == ["a", "50%", "0%"]
    assert b.split() == ["b", "25%", "100%"]
    assert c.split() == ["c", "25%", "0%"]
