"""Notebook 01's pictures and widget: they show what the from-scratch forward pass computes."""


import numpy as np
import pytest
import torch

from mmkit.data.digits import load_digits_split
from mmkit.data.toy import toy_data
from mmkit.demos.forward_pass import (
    ACTIVATION_NAMES,
    WIDTHS,
    activation_and_slope,
    class_one_probability,
    decision_boundary_widget,
    first_hidden_layer,
    flat_slope_fraction,
    layer_table,
    plot_activations,
    plot_decision_boundary,
    plot_digits_before_after,
    plot_forward_pass,
    plot_hidden_histograms,
    train_toy_model,
)
from mmkit.scratch.layers import mlp, softmax
from mmkit.scratch.preprocess import standardize


@pytest.fixture(scope="module")
def digits():
    raw = load_digits_split(standardized=False)
    X_train, X_val = standardize(raw.X_train, raw.X_val)
    return raw, X_train, X_val


def test_layer_table_lists_every_layer_with_its_output_and_weight_shapes():
    table = layer_table(mlp([64, 32, 10], rng=0), np.zeros((5, 64)))
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "output", "shape", "W", "shape", "b", "shape"]
    assert lines[1].split() == ["input", "(5,", "64)"]
    assert lines[2].split() == ["Linear(64→32)", "(5,", "32)", "(32,", "64)", "(32,)"]
    assert lines[3].split() == ["ReLU()", "(5,", "32)"]
    assert lines[4].split() == ["Linear(32→10)", "(5,", "10)", "(10,", "32)", "(10,)"]


@pytest.mark.parametrize("name, torch_function", [
    ("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)])
def test_activation_and_slope_match_torch_autograd(name, torch_function):
    z = np.array([-30.0, -2.0, -0.5, 0.7, 3.0, 30.0])
    out, slope = activation_and_slope(name, z)
    zt = torch.tensor(z, requires_grad=True)
    torch_function(zt).sum().backward()
    np.testing.assert_allclose(out, torch_function(zt).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(slope, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_unknown_activation_says_what_is_expected():
    with pytest.raises(ValueError, match=r"activation must be one of 'relu', 'sigmoid', "
                                         r"'tanh'; got 'gelu'"):
        activation_and_slope("gelu", np.zeros(3))


def test_raw_pixels_saturate_sigmoid_and_tanh_but_standardised_inputs_do_not(digits):
    raw, X_train, _ = digits
    for name in ("sigmoid", "tanh"):
        model = mlp([64, 32, 10], name, rng=0)
        standardized = flat_slope_fraction(name, first_hidden_layer(model, X_train))
        unscaled = flat_slope_fraction(name, first_hidden_layer(model, raw.X_train))
        assert standardized < 0.02 and unscaled > 0.3, (name, standardized, unscaled)
    relu = first_hidden_layer(mlp([64, 32, 10], "relu", rng=0), X_train)
    assert flat_slope_fraction("relu", relu) == pytest.approx(np.mean(relu.pre <= 0))


def test_first_hidden_layer_refuses_a_model_without_an_activation():
    with pytest.raises(ValueError, match="starts with Linear then an activation"):
        first_hidden_layer(mlp([4, 2]), np.zeros((1, 4)))


def test_pictures_have_the_promised_panels(digits):
    raw, X_train, X_val = digits
    fig = plot_digits_before_after(raw.X_train, X_train, raw.y_train, n=4)
    assert len([ax for ax in fig.axes if ax.images]) == 8
    assert [line.get_label() for line in plot_activations()[0].lines] == list(ACTIVATION_NAMES)
    titles = [ax.get_title() for ax in plot_hidden_histograms(X_train, raw.X_train)]
    assert titles[1].startswith("sigmoid: slope ≈ 0 for 0% → ")
    axes = plot_forward_pass(mlp([64, 32, 10], rng=0), X_val[0], int(raw.y_val[0]))
    assert len(axes) == 4 and axes[-1].get_title().startswith(f"softmax: P({raw.y_val[0]}) =")
    assert axes[0].get_title() == "input x (8×8 = 64)" and axes[0].images
    heights = [bar.get_height() for bar in axes[-1].patches]
    assert sum(heights) == pytest.approx(1.0)


def test_pictures_say_what_shape_they_expected():
    with pytest.raises(ValueError, match=r"expected one digit of shape \(64,\), got \(8, 8\)"):
        plot_forward_pass(mlp([64, 32, 10], rng=0), np.zeros((8, 8)), 0)
    with pytest.raises(ValueError, match=r"same shape \(N, 64\), got \(3, 64\) and \(3, 63\)"):
        plot_digits_before_after(np.zeros((3, 64)), np.zeros((3, 63)), np.zeros(3, int))


def test_toy_data_is_fixed_and_standardised():
    X, y = toy_data()
    assert X.shape == (200, 2) and set(np.unique(y)) == {0, 1}
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    assert not X.flags.writeable


def test_wider_networks_fit_the_moons_better():
    assert train_toy_model("relu", 1).accuracy < 0.87
    for name in ACTIVATION_NAMES:
        assert train_toy_model(name, 32).accuracy > 0.93


def test_plot_shows_the_models_own_probabilities():
    ax = plot_decision_boundary("tanh", 4)
    toy = train_toy_model("tanh", 4)
    assert ax.get_title() == f"tanh, width 4: train accuracy {toy.accuracy:.2f}"
    X, _ = toy_data()
    expected = softmax(toy.model(X))[:, 1]
    np.testing.assert_allclose(class_one_probability(toy.model, X), expected)


def test_decision_panels_have_axes_and_a_colour_bar_for_the_probability():
    ax = plot_decision_boundary("relu", 2)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    assert len(ax.get_xticks()) > 2 and len(ax.get_yticks()) > 2
    colour_bars = [other for other in ax.figure.axes if other.get_ylabel() == "P(class 1)"]
    assert len(colour_bars) == 1
    assert colour_bars[0].get_ylim() == pytest.approx((0, 1))


def test_no_text_is_smaller_than_10_points(digits):
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    raw, X_train, X_val = digits
    figures = [plot_digits_before_after(raw.X_train, X_train, raw.y_train),
               plot_activations()[0].figure, plot_hidden_histograms(X_train, raw.X_train)[0].figure,
               plot_forward_pass(mlp([64, 32, 10], rng=0), X_val[0], 0, "title")[0].figure,
               plot_decision_boundary("tanh", 2).figure]
    for fig in figures:
        fig.canvas.draw()
        sizes = [text.get_fontsize() for text in fig.findobj(Text) if text.get_text()]
        assert min(sizes) >= 10, fig
        width, height = fig.get_size_inches()
        assert width <= 9 and height <= 3.5, (width, height)
        plt.close(fig)


def test_bad_settings_are_refused_with_the_expected_values():
    with pytest.raises(ValueError, match="width must be an int >= 1, got 0"):
        train_toy_model("relu", 0)
    with pytest.raises(ValueError, match="got 'linear'"):
        plot_decision_boundary("linear", 2)


def test_widget_redraws_for_the_chosen_activation_and_width():
    widget = decision_boundary_widget()
    activation, width = widget.children[:2]
    assert widget.result.get_title().startswith("relu, width 2:")
    activation.value = "sigmoid"
    assert widget.result.get_title().startswith("sigmoid, width 2:")
    width.value = 32
    accuracy = train_toy_model("sigmoid", 32).accuracy
    assert widget.result.get_title() == f"sigmoid, width 32: train accuracy {accuracy:.2f}"
    assert tuple(width.options) == WIDTHS


def test_widget_labels_are_not_cut_off():
    # JupyterLab's default description width cuts "hidden width" to "hidden wi…"
    widget = decision_boundary_widget()
    controls = [child for child in widget.children if hasattr(child, "description")]
    assert [control.description for control in controls] == ["activation", "hidden width"]
    assert all(control.style.description_width == "initial" for control in controls)


def test_widget_trains_each_setting_once_and_reuses_it():
    # Responsiveness is measured, not asserted (timed tests are noisy): each
    # (activation, width) trains once, and going back to it is a cache hit.
    train_toy_model.cache_clear()
    widget = decision_boundary_widget()
    widget.children[0].value = "tanh"
    widget.children[1].value = 8
    misses = train_toy_model.cache_info().misses
    widget.children[1].value = 2
    widget.children[1].value = 8
    info = train_toy_model.cache_info()
    assert info.misses == misses and info.hits >= 2
