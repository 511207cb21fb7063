"""Notebook 07's pictures and widget: what they draw is what attention computes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.demos.attention import (
    QueryView,
    plot_heads,
    plot_mask_and_weights,
    plot_patch_attention,
    plot_query_weights,
    plot_saturation,
    plot_soft_lookup,
    plot_weights,
    query_weights,
    query_widget,
)
from mmkit.models.attention import causal_mask, scaled_dot_product_attention

TOKENS = ["two", "plus", "two", "is", "four"]


@pytest.fixture
def sentence():
    """Five token vectors, the 1st and 3rd equal (the same word), as notebook 07's."""
    x = torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
    x[2] = x[0]
    return x


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 10
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


def cell_texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


# --- the soft lookup ----------------------------------------------------------------------------

def test_soft_lookup_draws_one_bar_per_key_and_weight_set():
    keys = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])
    query = torch.tensor([1.0, 1.0]) / 2**0.5
    weights = {f"× {n}": scaled_dot_product_attention(n * query[None], keys, keys)[1][0]
               for n in (1, 4)}
    axes = plot_soft_lookup(keys, ["north", "east", "south", "west"], query, weights)
    assert_readable(axes[0].figure)
    heights = [bar.get_height() for bar in axes[1].patches]
    np.testing.assert_allclose(heights, np.concatenate([w.numpy() for w in weights.values()]),
                               rtol=1e-6)
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["north", "east", "south",
                                                                  "west"]
    assert "0.37" in [t.get_text() for t in axes[1].texts]  # the bar labels
    with pytest.raises(ValueError, match=r"keys \(S, 2\) with S names.*got keys \(4, 2\), 3"):
        plot_soft_lookup(keys, ["north", "east", "south"], query, weights)


# --- why 1/√d -------------------------------------------------------------------------------------

def test_saturation_plot_shows_the_mean_and_the_spread_over_seeds():
    dims = [1, 2, 4, 8]
    runs = {"scaled": np.array([[0.2, 0.2, 0.2, 0.2], [0.3, 0.3, 0.3, 0.3]]),
            "not scaled": np.array([[0.2, 0.4, 0.6, 0.8], [0.2, 0.4, 0.6, 0.8]])}
    axes = plot_saturation(dims, runs, runs, keys=16)
    assert_readable(axes[0].figure)
    scaled = next(line for line in axes[0].lines if line.get_label() == "scaled")
    np.testing.assert_allclose(scaled.get_ydata(), [0.25] * 4)
    band = axes[0].collections[0].get_paths()[0].vertices[:, 1]
    spread = np.std([0.2, 0.3], ddof=1)
    assert band.min() == pytest.approx(0.25 - spread) and band.max() == pytest.approx(0.25 + spread)
    assert axes[0].get_xscale() == "log" and axes[1].get_xscale() == "log"
    uniform = next(line for line in axes[0].lines if line.get_label() == "uniform, 1/16")
    assert uniform.get_ydata()[0] == pytest.approx(1 / 16)


# --- heat maps and masks -------------------------------------------------------------------------

def test_weights_heat_map_writes_exact_zeros_as_0_and_small_weights_as_0_00():
    weights = np.array([[1.0, 0.0], [0.999, 0.001]])
    ax = plot_weights(weights, ["a", "b"], ["c", "d"], title="t")
    assert cell_texts(ax) == ["1.00", "0", "1.00", "0.00"]
    np.testing.assert_array_equal(ax.images[0].get_array(), weights)
    assert ax.get_xlabel() == "key" and ax.get_ylabel() == "query" and ax.get_title() == "t"
    assert not cell_texts(plot_weights(weights, ["a", "b"], ["c", "d"], annotate=False))
    with pytest.raises(ValueError, match=r"expected weights of shape \(3, 2\).*got \(2, 2\)"):
        plot_weights(weights, ["a", "b", "c"], ["c", "d"])


def test_mask_and_weights_mark_every_masked_pair_and_its_zero(sentence):
    allowed = causal_mask(5)
    _, weights = scaled_dot_product_attention(sentence, sentence, sentence, mask=allowed)
    axes = plot_mask_and_weights(allowed, weights, TOKENS, TOKENS, title="causal")
    assert_readable(axes[0].figure)
    assert cell_texts(axes[0]).count("×") == int((~allowed).sum()) == 10
    texts = np.array(cell_texts(axes[1])).reshape(5, 5)
    assert np.all(texts[~allowed.numpy()] == "0")  # the future: exactly zero
    assert texts[0, 0] == "1.00"  # the first token sees only itself
    assert axes[0].get_title() == "causal mask (×: may not attend)"


def test_heads_share_one_colour_scale_and_one_bar(sentence):
    weights = torch.stack([torch.full((5, 5), 0.2), torch.eye(5)])
    axes = plot_heads(weights, TOKENS)
    assert_readable(axes[0].figure)
    assert [ax.get_title() for ax in axes] == ["head 1", "head 2"]
    assert all(ax.images[0].get_clim() == (0, 1.0) for ax in axes)
    assert len(axes[0].figure.axes) == 3  # two heads and one colour bar
    with pytest.raises(ValueError, match=r"plot_heads: expected weights of shape \(H, 5, 5\)"):
        plot_heads(weights[0], TOKENS)


# --- patches -------------------------------------------------------------------------------------

def test_patch_attention_spreads_each_patch_weight_over_its_pixels():
    image = np.zeros((8, 8))
    image[2:6, 3:5] = 1.0
    weights = np.random.default_rng(0).dirichlet(np.ones(16), size=16)
    axes = plot_patch_attention(image, weights, patch=2, queries=[5, 0])
    assert_readable(axes[0].figure)
    assert len(axes) == 3 and axes[1].get_title() == "query patch 5"
    drawn = axes[1].images[0].get_array()
    assert drawn.shape == (8, 8)
    np.testing.assert_allclose(drawn[::2, ::2], weights[5].reshape(4, 4))
    np.testing.assert_allclose(drawn[1::2, 1::2], weights[5].reshape(4, 4))
    outline = axes[1].patches[0]  # patch 5: row 1, column 1
    assert outline.get_xy() == (1.5, 1.5) and outline.get_width() == 2
    with pytest.raises(ValueError, match=r"divisible into 3×3 patches, got \(8, 8\)"):
        plot_patch_attention(image, weights, patch=3, queries=[0])
    with pytest.raises(ValueError, match=r"expected weights of shape \(16, 16\)"):
        plot_patch_attention(image, weights[:4], patch=2, queries=[0])


# --- the temperature -----------------------------------------------------------------------------

def test_query_weights_are_the_softmax_of_the_scores_over_the_temperature(sentence):
    scores = sentence[3] @ sentence.T / 4  # √d = 4
    for temperature in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(query_weights(sentence, sentence, 3, temperature),
                                   torch.softmax(scores / temperature, dim=0).numpy(),
                                   rtol=1e-5)


def test_temperature_to_infinity_flattens_and_to_zero_picks_the_arg_max(sentence):
    q = sentence @ torch.randn(16, 16, generator=torch.Generator().manual_seed(1)) / 4
    scores = (q @ sentence.T).numpy()
    hot = query_weights(q, sentence, 1, temperature=1e6)
    np.testing.assert_allclose(hot, 1 / 5, atol=1e-5)
    cold = query_weights(q, sentence, 1, temperature=1e-4)
    best = int(np.argmax(scores[1]))
    assert cold[best] == pytest.approx(1.0, abs=1e-6) and np.argmax(cold) == best
    tied = query_weights(sentence, sentence, 0, temperature=1e-4)  # two equal keys: a tie
    np.testing.assert_allclose(tied, [0.5, 0, 0.5, 0, 0], atol=1e-6)


def test_query_weights_refuse_a_bad_query_or_temperature(sentence):
    with pytest.raises(ValueError, match=r"query must be a position in 0..4, got 5"):
        query_weights(sentence, sentence, 5)
    with pytest.raises(ValueError, match="temperature must be a positive number, got 0"):
        query_weights(sentence, sentence, 0, temperature=0)


def test_plot_query_weights_draws_the_chosen_row(sentence):
    view = plot_query_weights(sentence, sentence, TOKENS, query=1, temperature=1.0)
    assert isinstance(view, QueryView)
    assert_readable(view.axes[0].figure)
    np.testing.assert_allclose(view.weights, query_weights(sentence, sentence, 1, 1.0))
    np.testing.assert_allclose([bar.get_height() for bar in view.axes[1].patches],
                               view.weights)
    np.testing.assert_allclose(view.axes[0].images[0].get_array()[1], view.weights)
    assert view.axes[0].patches[0].get_xy() == (-0.5, 0.5)  # row 1 outlined
    best = int(np.argmax(view.weights))
    assert view.axes[1].get_title() == (f"query '1: plus': {view.weights[best]:.2f} on "
                                        f"'{best}: {TOKENS[best]}'")
    with pytest.raises(ValueError, match=r"expected q and k of shape \(5, d\)"):
        plot_query_weights(sentence[:4], sentence[:4], TOKENS)


def test_the_widget_redraws_for_another_query_and_another_temperature(sentence):
    widget = query_widget(sentence, sentence, TOKENS, query=1)
    choose, heat = widget.children[:2]
    assert choose.description == "query token" and heat.description == "temperature T"
    assert all(c.style.description_width == "initial" for c in (choose, heat))
    assert not heat.continuous_update
    assert [label for label, _ in choose.options] == [f"{i}: {t}" for i, t in enumerate(TOKENS)]
    before = widget.result.weights.copy()
    np.testing.assert_allclose(before, query_weights(sentence, sentence, 1, 1.0))
    choose.value = 3
    assert not np.allclose(widget.result.weights, before)
    np.testing.assert_allclose(widget.result.weights, query_weights(sentence, sentence, 3, 1.0))
    assert widget.result.axes[1].get_title().startswith("query '3: is'")
    assert (heat.base, heat.min, heat.max) == (10, -2, 2)  # T from 0.01 to 100
    heat.value = 100.0  # nearly uniform
    assert np.ptp(widget.result.weights) < 0.05
    assert widget.result.axes[0].get_title() == "all queries, T = 100"
    heat.value = 0.01  # all on the best key
    assert widget.result.weights.max() > 0.999 and np.argmax(widget.result.weights) == 3
    choose.value = 0  # the first "two": a tie with the other "two"
    np.testing.assert_allclose(widget.result.weights, [0.5, 0, 0.5, 0, 0], atol=1e-6)
