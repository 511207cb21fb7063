"""Notebook 11's pictures draw what they are given: titles, lines, bars and scales."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.demos.encoders import (
    CHANCE,
    accuracy_table,
    plot_accuracies,
    plot_embeddings_2d,
    plot_feature_maps,
    plot_final_states,
    plot_gates,
    plot_validation_curves,
)
from mmkit.scratch.lstm import LSTMCell, lstm

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_feature_maps_show_the_input_and_each_layers_first_channels():
    rng = np.random.default_rng(0)
    first, second = torch.relu(torch.randn(8, 28, 28)), rng.random((16, 14, 14))
    axes = plot_feature_maps(rng.random((28, 28)), first, second, channels=3)
    assert axes.shape == (2, 4)
    assert axes[0, 0].get_title() == "input"
    assert axes[0, 1].get_title() == f"conv1[0] ≤ {float(first[0].max()):.1f}"
    assert axes[1, 3].get_title().startswith("conv2[2] ≤ ")
    assert axes[1, 1].images[0].get_array().shape == (14, 14)
    assert axes[0, 1].images[0].get_clim() == (0.0, pytest.approx(float(first[0].max())))


def test_gates_are_drawn_one_panel_each_with_the_clip_end_marked():
    cell = LSTMCell(3, 5, seed=0)
    _, _, gates = lstm(cell, np.random.default_rng(1).standard_normal((1, 12, 3)))
    axes = plot_gates(gates, units=4, end=9)
    assert [ax.get_title() for ax in axes] == ["input (σ)", "forget (σ)", "cell (tanh)",
                                               "output (σ)"]
    image = axes[1].images[0]
    assert image.get_array().shape == (4, 12)
    np.testing.assert_allclose(image.get_array(), gates.forget[0, :, :4].T)
    assert image.get_clim() == (0.0, 1.0) and axes[2].images[0].get_clim() == (-1.0, 1.0)
    assert axes[0].lines[0].get_xdata()[0] == pytest.approx(8.5)


def test_final_states_plot_the_distance_to_the_unpadded_state():
    unpacked = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    packed = np.zeros((3, 2))
    ax = plot_final_states([0, 5, 10], unpacked, packed)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0, 5, 1])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0, 0, 0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unpacked", "packed"]


def test_validation_curves_have_one_line_per_model_and_chance():
    ax = plot_validation_curves({"a": ([0, 1, 2], [0.1, 0.5, 0.6]), "b": ([0, 1], [0.1, 0.3])},
                                title="t")
    assert [line.get_label() for line in ax.lines] == ["a", "b", "chance"]
    assert ax.lines[2].get_ydata()[0] == CHANCE and ax.get_ylim() == (0, 1)


def test_embeddings_are_projected_on_their_principal_axes():
    rng = np.random.default_rng(0)
    embeddings = rng.standard_normal((50, 5)) * [5.0, 2.0, 0.1, 0.1, 0.1]
    ax = plot_embeddings_2d(embeddings, np.arange(50) % 10)
    shown = ax.collections[0].get_offsets()
    centred = embeddings - embeddings.mean(axis=0)
    _, eigenvectors = np.linalg.eigh(centred.T @ centred)
    expected = centred @ eigenvectors[:, ::-1][:, :2]  # the two largest, up to their signs
    np.testing.assert_allclose(np.abs(shown), np.abs(expected), atol=1e-9)
    assert "principal axis 1" in ax.get_xlabel() and "%" in ax.get_ylabel()


def test_accuracies_show_the_mean_and_std_over_seeds():
    ax = plot_accuracies({"text": [0.5, 0.6, 0.7], "image": [0.8]})
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, [0.6, 0.8])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["text", "image"]
    assert [t.get_text() for t in ax.texts] == ["0.60", "0.80"]


def test_accuracy_table_says_how_many_seeds():
    table = accuracy_table({"text": [0.5, 0.6, 0.7], "image": [0.81]}, header="val")
    assert table.splitlines() == ["model  val", "text   0.60 ± 0.10 (3 seeds)",
                                  "image  0.81 (1 seed)"]
