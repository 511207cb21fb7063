"""The welcome notebook's neuron, its plot and its widget."""

import numpy as np
import pytest
import torch

from mmkit.demos.welcome import (
    format_number,
    neuron,
    neuron_widget,
    plot_neuron,
    sigmoid,
    switch_point,
)


def test_sigmoid_matches_torch_and_stays_finite():
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 30.0, 1000.0])
    expected = torch.sigmoid(torch.tensor(z, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(sigmoid(z), expected, rtol=1e-14, atol=0)
    assert np.all(np.isfinite(sigmoid(z)))


def test_neuron_crosses_one_half_at_its_switch_point():
    for weight, bias in [(2.0, -1.0), (-3.0, 1.5), (0.5, 2.0)]:
        x0 = switch_point(weight, bias)
        assert neuron(np.array([x0]), weight, bias)[0] == pytest.approx(0.5)
    assert switch_point(0.0, 1.0) is None


def test_plot_draws_the_neuron_and_its_switch_point():
    ax = plot_neuron(weight=2.0, bias=-1.0)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, neuron(x, 2.0, -1.0))
    assert ax.lines[-1].get_xdata()[0] == pytest.approx(0.5)
    assert "crosses 0.5 at x = 0.50" in ax.get_title()


def test_plot_with_zero_weight_says_it_never_switches():
    ax = plot_neuron(weight=0.0, bias=1.0)
    assert "never" in ax.get_title()


def test_moving_a_slider_redraws_with_the_new_value():
    widget = neuron_widget()
    weight, bias = widget.children[:2]
    assert widget.result.get_title().startswith("y = σ(1·x + 0):")
    weight.value = 3.0
    bias.value = -1.5
    x, y = widget.result.lines[0].get_data()
    np.testing.assert_allclose(y, neuron(x, 3.0, -1.5))
    assert "crosses 0.5 at x = 0.50" in widget.result.get_title()


def test_title_writes_a_negative_bias_as_a_minus():
    assert plot_neuron(weight=2.0, bias=-1.0).get_title().startswith("y = σ(2·x - 1):")


def test_the_default_title_says_zero_not_minus_zero():
    title = neuron_widget().result.get_title()
    assert title == "y = σ(1·x + 0): crosses 0.5 at x = 0.00"
    assert "-0.00" not in plot_neuron(weight=-2.0, bias=0.0).get_title()
    assert str(switch_point(3.0, 0.0)) == "0.0"


@pytest.mark.parametrize("value, text", [(-0.0, "0.00"), (-0.004, "0.00"), (0.004, "0.00"),
                                         (-0.006, "-0.01"), (2.5, "2.50"), (-1.0, "-1.00")])
def test_format_number_never_writes_minus_zero(value, text):
    assert format_number(value) == text


def test_slider_descriptions_are_not_cut_off():
    for slider in neuron_widget().children[:2]:
        assert slider.style.description_width == "initial"
