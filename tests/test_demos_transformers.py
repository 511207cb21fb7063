"""Notebook 08's pictures and widget: what they draw is what the models compute."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.data import language
from mmkit.demos.transformers import (
    SamplingView,
    plot_attention_heads,
    plot_fill_in_scores,
    plot_learning_curves,
    plot_next_word,
    plot_sampling,
    plot_similarity,
    plot_temperatures,
    sample_view,
    sampling_widget,
)
from mmkit.models.transformer import (
    GPT,
    GPTConfig,
    language_vocab,
    next_word_probabilities,
    restore_best,
    sentence_rows,
    train_language_model,
)


@pytest.fixture(scope="module")
def trained():
    """A small GPT trained briefly on the digit language, with its History."""
    vocab = language_vocab()
    sentences = sorted(set(language.corpus(400, seed=0)))
    rows = sentence_rows(sentences[:-20], vocab)
    val_rows = sentence_rows(sentences[-20:], vocab)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(vocab), n_layer=1, n_head=2, n_embd=32))
    history = train_language_model(model, rows, val_rows, epochs=8, keep_states=True)
    return model, history


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 10
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


# --- curves and bars ----------------------------------------------------------------------------

def test_learning_curves_draw_training_validation_and_the_chosen_epoch(trained):
    model, history = trained
    best = restore_best(model, history)
    ax = plot_learning_curves(history, best, title="tiny")
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), history["loss"])
    assert list(lines[0].get_xdata()) == list(range(1, 9))
    assert list(lines[1].get_xdata()) == list(range(0, 9))  # before training, then each epoch
    assert list(lines[2].get_xdata()) == [best, best]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training", "validation", f"chosen: epoch {best}"]
    assert_readable(ax.figure)
    plt.close("all")


def test_next_word_bars_are_sorted_and_cut_to_the_top():
    ax = plot_next_word({"a": 0.1, "b": 0.6, "c": 0.3}, top=2)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "c"]
    assert [round(p.get_height(), 2) for p in ax.patches] == [0.6, 0.3]
    assert_readable(ax.figure)
    plt.close("all")


def test_temperatures_draw_one_panel_per_setting(trained):
    model, _ = trained
    axes = plot_temperatures(model, "after six", [(0.5, None), (1.0, None), (1.0, 3)])
    assert [ax.get_title() for ax in axes] == ["T = 0.5, top-k = all", "T = 1, top-k = all",
                                              "T = 1, top-k = 3"]
    assert len(axes[2].patches) == 3  # top-3: three words left
    heights = [max(p.get_height() for p in ax.patches) for ax in axes[:2]]
    assert heights[0] > heights[1]  # a lower temperature is sharper
    assert_readable(axes[0].figure)
    plt.close("all")


def test_fill_in_scores_are_bars_with_their_values():
    ax = plot_fill_in_scores({"BERT": 0.4, "chance": 0.1})
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.4, 0.1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["BERT", "chance"]
    assert_readable(ax.figure)
    plt.close("all")


# --- sampling -----------------------------------------------------------------------------------

def test_sample_view_gives_the_distribution_and_reproducible_samples(trained):
    model, _ = trained
    view = sample_view(model, "after six", temperature=0.8, top_k=5, num_samples=4, seed=1)
    assert isinstance(view, SamplingView) and not view.error
    assert len(view.probabilities) == 5 and abs(sum(view.probabilities.values()) - 1) < 1e-6
    assert view.probabilities == next_word_probabilities(model, "after six", 0.8, 5)
    assert len(view.samples) == 4 and all(s.startswith("after six") for s in view.samples)
    again = sample_view(model, "after six", temperature=0.8, top_k=5, num_samples=4, seed=1)
    assert again.samples == view.samples


def test_an_unknown_word_gives_the_message_not_an_exception(trained):
    model, _ = trained
    view = sample_view(model, "three plus eleven")
    assert "not in the vocabulary: 'eleven'" in view.error
    assert view.samples == [] and view.probabilities == {}
    ax = plot_sampling(view)
    assert "not in the vocabulary" in ax.get_title()
    plt.close("all")


def test_the_widget_redraws_for_each_control(trained):
    model, _ = trained
    widget = sampling_widget(model, prompt="after six")
    text, heat, keep = widget.children[:3]
    assert [c.description for c in (text, heat, keep)] == [
        "prompt", "temperature T", "top-k (0: all words)"]
    assert all(c.style.description_width == "initial" for c in (text, heat, keep))
    assert not heat.continuous_update and not keep.continuous_update
    assert not text.continuous_update
    assert (heat.min, heat.max) == (0.1, 2.0) and (keep.min, keep.max) == (0, len(language_vocab()))
    first = widget.result
    assert first.prompt == "after six" and len(first.samples) == 5 and first.top_k is None
    assert not heat.disabled
    keep.value = 1  # greedy: one word left, five equal samples, the temperature moot
    assert len(widget.result.probabilities) == 1 and len(set(widget.result.samples)) == 1
    assert heat.disabled
    keep.value = 0
    assert not heat.disabled
    heat.value = 2.0
    assert max(widget.result.probabilities.values()) < max(first.probabilities.values())
    text.value = "three plus eleven"
    assert "'eleven'" in widget.result.error
    text.value = "three plus four is"
    assert not widget.result.error
    assert all(s.startswith("three plus four is") for s in widget.result.samples)
    plt.close("all")


# --- MiniLM's pictures --------------------------------------------------------------------------

def test_similarity_heat_map_writes_every_value():
    matrix = np.array([[1.0, 0.72, 0.05], [0.72, 1.0, 0.1], [0.05, 0.1, 1.0]])
    ax = plot_similarity(matrix, ["a", "b", "c"])
    assert [t.get_text() for t in ax.texts][:3] == ["1.00", "0.72", "0.05"]
    assert len(ax.texts) == 9
    assert_readable(ax.figure)
    with pytest.raises(ValueError, match=r"expected a \(2, 2\) matrix"):
        plot_similarity(matrix, ["a", "b"])
    plt.close("all")


def test_attention_heads_draw_the_chosen_heads_on_one_scale():
    weights = torch.softmax(torch.randn(12, 5, 5, generator=torch.Generator().manual_seed(0)), -1)
    tokens = ["[CLS]", "a", "b", "c", "[SEP]"]
    axes = plot_attention_heads(weights, tokens, [9, 8, 10], layer=1)
    assert [ax.get_title() for ax in axes] == ["layer 2, head 10", "layer 2, head 9",
                                              "layer 2, head 11"]
    np.testing.assert_allclose(axes[0].images[0].get_array(), weights[9].numpy(), rtol=1e-6)
    assert_readable(axes[0].figure)
    with pytest.raises(ValueError, match=r"expected weights \(H, 4, 4\)"):
        plot_attention_heads(weights, tokens[:4], [0])
    plt.close("all")
