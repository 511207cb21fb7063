"""Notebook 02's graph, its step-by-step backward pass, its widget and its helpers."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba

from mmkit.demos.backpropagation import (
    COLORS,
    NEURON,
    PENALTY,
    backward_state,
    backward_widget,
    chain_rule_step,
    contributions,
    difference_errors,
    draw_graph,
    gradcheck_table,
    local_derivative,
    n_backward_steps,
    neuron_graph,
    neuron_loss,
    plot_backward_step,
    plot_difference_errors,
    plot_graph,
    plot_losses,
    read_relative_error,
)
from mmkit.scratch.autograd import backward_steps, topological_order
from mmkit.scratch.gradcheck import check_module
from mmkit.scratch.layers import Sigmoid, mlp
from tests.test_scratch_autograd import build_graph  # the same small two-layer graph


def torch_neuron():
    x, w, b, y = (torch.tensor(NEURON[k], dtype=torch.float64, requires_grad=k in "wb")
                  for k in "xwby")
    loss = (torch.sigmoid(w * x + b) - y) ** 2
    loss.backward()
    return loss, w, b


def test_neuron_graph_matches_torch_forward_and_backward():
    nodes = neuron_graph()
    loss, w, b = torch_neuron()
    assert nodes["L"].item() == pytest.approx(loss.item())
    assert nodes["L"].item() == pytest.approx(neuron_loss(**NEURON))
    nodes["L"].backward()
    assert nodes["w"].grad.item() == pytest.approx(w.grad.item())
    assert nodes["b"].grad.item() == pytest.approx(b.grad.item())
    assert nodes["y_hat"].label == "ŷ" and nodes["wx"].label == "wx"


def test_neuron_graph_refuses_non_numbers():
    with pytest.raises(TypeError, match="w must be a number, got str"):
        neuron_graph(w="0.8")


def test_local_derivative_is_the_ops_own_slope():
    nodes = neuron_graph()
    s = nodes["y_hat"].item()
    assert local_derivative(nodes["y_hat"], nodes["z"]) == pytest.approx(s * (1 - s))
    assert local_derivative(nodes["wx"], nodes["w"]) == pytest.approx(NEURON["x"])
    assert local_derivative(nodes["L"], nodes["e"]) == pytest.approx(2 * nodes["e"].item())
    assert local_derivative(nodes["e"], nodes["y"]) == -1.0
    with pytest.raises(ValueError, match="is not an input of"):
        local_derivative(nodes["L"], nodes["w"])


def test_local_derivative_sums_over_an_input_used_twice():
    nodes = neuron_graph()
    square = nodes["z"] * nodes["z"]
    assert local_derivative(square, nodes["z"]) == pytest.approx(2 * nodes["z"].item())


def torch_penalized(x=NEURON["x"], w=NEURON["w"], b=NEURON["b"], y=NEURON["y"],
                    penalty=PENALTY):
    """PyTorch's ∂L/∂w and ∂L/∂b of L = (σ(w·x + b) − y)² + λ·w², and L."""
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = (torch.sigmoid(w_t * x + b_t) - y) ** 2 + penalty * w_t**2
    loss.backward()
    return w_t.grad.item(), b_t.grad.item(), loss.item()


def test_penalized_graph_uses_w_twice_and_sums_both_contributions():
    nodes = neuron_graph(**NEURON, penalty=PENALTY)
    users = [node for node in nodes.values() if nodes["w"] in node._prev]
    assert {node.label for node in users} == {"wx", "q"}
    nodes["L"].backward()
    dw, db, loss = torch_penalized()
    assert nodes["L"].item() == pytest.approx(loss)
    assert nodes["L"].item() == pytest.approx(neuron_loss(**NEURON, penalty=PENALTY))
    through_wx = nodes["wx"].grad.item() * NEURON["x"]
    through_q = nodes["q"].grad.item() * 2 * NEURON["w"]
    assert through_q == pytest.approx(PENALTY * 2 * NEURON["w"])
    assert nodes["w"].grad.item() == pytest.approx(through_wx + through_q, rel=1e-12)
    assert nodes["w"].grad.item() == pytest.approx(dw, rel=1e-12)
    assert nodes["b"].grad.item() == pytest.approx(db, rel=1e-12)
    with pytest.raises(TypeError, match="penalty must be a number, got bool"):
        neuron_graph(penalty=True)


def test_backward_visits_ten_nodes_from_the_loss_to_w():
    assert n_backward_steps() == 10
    state = backward_state(10)
    assert [node.label for node in state.visited] == ["L", "p", "q", "s", "e", "ŷ", "z", "b",
                                                      "wx", "w"]
    assert backward_state(0).current is None
    for bad in (-1, 11, 2.5):
        with pytest.raises(ValueError, match=r"step \(from 0 to 10\) must be"):
            backward_state(bad)


def test_chain_rule_step_multiplies_upstream_by_local_and_sums_over_users():
    state = backward_state(7)
    root, z = state.nodes["L"], state.current
    assert z.label == "z"
    text = chain_rule_step(z, root)
    assert text.startswith("∂L/∂z = ∂L/∂ŷ · ∂ŷ/∂z = (-0.664)(0.222) = -0.147")
    assert chain_rule_step(root, root).startswith("∂L/∂L = 1")
    with pytest.raises(ValueError, match="has no gradient yet"):
        chain_rule_step(state.nodes["w"], root)
    state = backward_state(10)
    assert chain_rule_step(state.nodes["w"], state.nodes["L"]) == (
        "∂L/∂w = ∂L/∂wx · ∂wx/∂w + ∂L/∂q · ∂q/∂w = (-0.147)(1.5) + (0.1)(1.6) = -0.0607")


def test_w_collects_its_two_contributions_one_at_a_time():
    for step, (received, total) in [(2, (0, 0.0)), (3, (1, 0.16)), (8, (1, 0.16)),
                                    (10, (2, -0.0607))]:
        state = backward_state(step)
        got, n_received, n_users = contributions(state.nodes["w"], state.nodes["L"])
        assert (n_received, n_users) == (received, 2)
        assert got == pytest.approx(total, abs=5e-5)
    state = backward_state(3)
    assert state.partial() == {state.nodes["w"]: "grad so far 0.16\n(1 of 2 arrived)"}
    assert backward_state(10).partial() == {}


def test_plot_backward_step_fills_gradients_up_to_the_step():
    for step in (0, 3, 10):
        ax = plot_backward_step(step)
        with_grad = [t for t in ax.texts if t.get_text().split("\n")[-1].startswith("grad ")]
        assert len(with_grad) == step
        highlighted = [p for p in ax.patches
                       if p.get_facecolor() == to_rgba(COLORS["highlight"])]
        assert len(highlighted) == (step > 0)
        assert ax.get_title().startswith(f"step {step} of 10")
    assert any(t.get_text() == "grad so far 0.16\n(1 of 2 arrived)"
               for t in plot_backward_step(3).texts)
    title = plot_backward_step(10).get_title()
    assert title.startswith("step 10 of 10: w, used 2 times: the contributions add\n")
    assert "∂L/∂w = ∂L/∂wx · ∂wx/∂w + ∂L/∂q · ∂q/∂w" in title
    _, ax = plt.subplots()
    assert plot_backward_step(1, ax=ax) is ax


def test_every_text_is_at_least_10_points():
    for ax in (plot_backward_step(3), plot_graph(neuron_graph()["L"], title="t"),
               plot_difference_errors()):
        texts = [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label]
        legend = ax.get_legend()
        texts += legend.get_texts() if legend else []
        assert min(text.get_fontsize() for text in texts) >= 10
    assert draw_graph(neuron_graph()["L"]).texts[0].get_fontsize() >= 10


def test_the_widget_steps_through_the_pass_and_recomputes_when_a_number_moves():
    widget = backward_widget()
    step, x, w, b, y, penalty = widget.children[:6]
    assert [c.description for c in widget.children[:6]] == [
        "backward step", "input x", "weight w", "bias b", "target y", "penalty λ"]
    assert all(c.style.description_width == "initial" for c in widget.children[:6])
    assert step.max == 10 and not step.continuous_update
    assert widget.result.get_title().startswith("step 0 of 10")
    step.value = 8
    assert widget.result.get_title().startswith("step 8 of 10: b\n∂L/∂b")
    assert sum(t.get_text().split("\n")[-1].startswith("grad ")
               for t in widget.result.texts) == 8

    step.value = 10
    x.value, w.value, b.value, y.value, penalty.value = -1.0, 1.2, 0.3, 0.0, 0.5
    dw, _, _ = torch_penalized(-1.0, 1.2, 0.3, 0.0, 0.5)
    box_of_w = next(t.get_text() for t in widget.result.texts if t.get_text().startswith("w\n"))
    assert box_of_w == f"w\n1.2\ngrad {dw:.3g}"
    assert widget.result.get_title().endswith(f"= {dw:.3g}")
    penalty.value = 0.0
    assert "+ (0)(2.4)" in widget.result.get_title()


def test_plot_graph_draws_every_node():
    nodes = neuron_graph()
    ax = plot_graph(nodes["L"], title="forward")
    assert len(ax.texts) == 9 and ax.get_title() == "forward"
    assert len(plot_graph(neuron_graph(penalty=0.0)["L"]).texts) == 13


def test_draw_graph_takes_positions_and_notes():
    nodes = neuron_graph()
    places = {node: (i, 0) for i, node in enumerate(topological_order(nodes["L"]))}
    ax = draw_graph(nodes["L"], positions=places, notes={nodes["w"]: "note"})
    assert ax.get_xlim() == (-0.5, 8.5)
    assert [t.get_text() for t in ax.texts].count("note") == 1
    del places[nodes["b"]]
    with pytest.raises(ValueError, match="positions has no place for b"):
        draw_graph(nodes["L"], positions=places)


def test_centred_differences_beat_forward_differences():
    hs = np.array([1e-2, 1e-3, 1e-4])
    forward, centred = difference_errors(hs)
    assert forward.shape == centred.shape == (3,)
    assert np.all(centred < forward / 10)
    # truncation error: O(h) for forward, O(h²) for centred
    assert forward[0] / forward[1] == pytest.approx(10, rel=0.2)
    assert centred[0] / centred[1] == pytest.approx(100, rel=0.2)
    with pytest.raises(ValueError, match="positive step sizes"):
        difference_errors([0.0, 1e-3])
    ax = plot_difference_errors()
    assert len(ax.lines) == 3 and ax.get_xscale() == "log"


def test_plot_losses():
    ax = plot_losses([1.0, 0.5, 0.25], title="t")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot_losses([])


def test_relative_errors_are_read_in_words():
    assert read_relative_error(3e-11).startswith("< 1e-7   ✓ right")
    assert "suspicious" in read_relative_error(2e-6)
    assert read_relative_error(0.31).startswith("0.31") and "wrong" in read_relative_error(0.31)
    with pytest.raises(ValueError, match="finite number"):
        read_relative_error(float("nan"))


def test_gradcheck_table_flags_a_buggy_backward():
    class Buggy(Sigmoid):
        def backward(self, dout):
            return dout * self._cache

    x = np.random.default_rng(0).normal(size=(4, 3))
    assert "✓ right" in gradcheck_table(check_module(Sigmoid(), x))
    table = gradcheck_table(check_module(Buggy(), x))
    assert table.startswith("input  relative error") and "✗ wrong" in table
    model_table = gradcheck_table(check_module(mlp([3, 4, 2], rng=0), x)).splitlines()
    assert [line.split()[0] for line in model_table] == ["input", "0.weight", "0.bias",
                                                         "2.weight", "2.bias"]


def test_draw_graph_one_box_per_node_with_and_without_highlight() -> None:
    loss, params = build_graph()
    n_nodes = len(topological_order(loss))
    ax = draw_graph(loss)
    assert len(ax.texts) == n_nodes
    assert any("W1" in text.get_text() for text in ax.texts)
    steps = backward_steps(loss)
    node, _ = next(steps)
    ax = draw_graph(loss, highlight=node)
    assert len(ax.texts) == n_nodes
    highlighted = [p for p in ax.patches if p.get_facecolor() == to_rgba(COLORS["highlight"])]
    assert len(highlighted) == 1
    list(steps)
    _, ax = plt.subplots()
    assert draw_graph(loss, ax=ax, highlight=set(params)) is ax
    assert len(ax.texts) == n_nodes
    assert any("grad" in text.get_text() for text in ax.texts)
    plt.close("all")
