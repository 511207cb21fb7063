"""Notebook 12's pictures and widget: what they draw is what the models and the committed
comparison say."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.container import ErrorbarContainer

from mmkit.demos.fusion_strategies import (
    NoiseView,
    comparison_rows,
    comparison_summary,
    error_message,
    format_comparison,
    noise_view,
    noise_widget,
    plot_comparison,
    plot_fusion_diagram,
    plot_modality_weights,
    plot_noise_view,
    plot_validation_curves,
)
from mmkit.models.fusion import build_fusion
from mmkit.robustness import accuracies_under
from mmkit.train import History


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 10
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


def fake_comparison():
    """A small comparison in `mmkit.pipeline.load_comparison()`'s schema."""
    def model(name, kind, acc, params=1000):
        return {"name": name, "kind": kind, "parameters": params,
                "val_accuracy": [acc, acc + 0.01, acc - 0.01],
                "accuracy": [acc, acc - 0.02, acc + 0.02], "f1": [acc - 0.01] * 3,
                "best_epoch": [5, 6, 7], "training_time_s": [10.0, 11.0, 12.0]}

    def preset(shift):
        return {"models": [model("text", "unimodal", 0.6 - shift),
                           model("image", "unimodal", 0.62 - shift),
                           model("audio", "unimodal", 0.78 - shift),
                           model("early", "fusion", 0.93 - shift, 131178),
                           model("late", "fusion", 0.95 - shift),
                           model("hierarchical", "fusion", 0.91 - shift),
                           model("attention", "fusion", 0.9 - shift)],
                "logistic_regression": {"val_accuracy": 0.896 - shift,
                                        "accuracy": 0.88 - shift}}

    return {"last_run": "2026-12-02", "command": "make bench",
            "settings": {"epochs": 15, "patience": 5, "seeds": [0, 1, 2],
                         "text": "bag_of_words", "batch_size": 32, "learning_rate": 0.003},
            "presets": {"standard": preset(0.0), "hard": preset(0.2)}}


# --- the diagram and the error messages -------------------------------------------------------

def test_the_diagram_draws_the_four_strategies():
    axes = plot_fusion_diagram()
    assert [ax.get_title() for ax in axes] == [
        "feature-level\n(early)", "model-level\n(late)", "hierarchical\n(intermediate)",
        "attention"]
    texts = [{t.get_text() for t in ax.texts} for ax in axes]
    assert {"T", "I", "A", "concat\n+ mask", "one head"} <= texts[0]
    assert "Σ w·p" in texts[1] and "I + A" in texts[2] and "Σ α·token" in texts[3]
    assert all(len(ax.patches) > 10 for ax in axes)        # boxes and arrows
    assert_readable(axes[0].figure)


def test_error_message_names_the_error_without_keyerror_quotes():
    def missing(batch):
        raise KeyError("needs the batch key 'image'")
    assert error_message(missing, {}) == "KeyError: needs the batch key 'image'"
    assert error_message(build_fusion, "mid").startswith(
        "ValueError: fusion must be one of 'early', 'feature', 'late'")
    assert error_message(len, [1]) == "no error"


# --- curves and weights -----------------------------------------------------------------------

def history(values):
    run = History()
    run.snapshots = [(epoch, {"val_accuracy": v}) for epoch, v in enumerate(values)]
    run.losses = {"loss": [1.0] * (len(values) - 1)}
    return run


def test_validation_curves_draw_each_strategy_and_the_chosen_epoch():
    histories = {"early": history([0.1, 0.5, 0.7]), "late": history([0.1, 0.6, 0.55])}
    ax = plot_validation_curves(histories, {"early": 2, "late": 1})
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 0.5, 0.7])
    assert list(lines[0].get_xdata()) == [0, 1, 2]
    assert (list(lines[1].get_xdata()), list(lines[1].get_ydata())) == ([2], [0.7])
    assert (list(lines[3].get_xdata()), list(lines[3].get_ydata())) == ([1], [0.6])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["early", "late", "chance"]
    assert_readable(ax.figure)


def test_modality_weights_are_grouped_bars_per_model():
    ax = plot_modality_weights({"late (w)": [0.2, 0.5, 0.3],
                                "attention": torch.tensor([0.4, 0.3, 0.3])})
    heights = [round(p.get_height(), 2) for p in ax.patches]
    assert heights == [0.2, 0.4, 0.5, 0.3, 0.3, 0.3]       # text, image, audio groups
    assert [t.get_text() for t in ax.get_xticklabels()] == ["late (w)", "attention"]
    assert_readable(ax.figure)


# --- the noise widget -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models_and_batch(val_batch):
    torch.manual_seed(0)
    models = {"early": build_fusion("early"), "late": build_fusion("late")}
    return models, {key: value[:60] for key, value in val_batch.items()}


def test_noise_view_evaluates_the_models_under_that_noise(models_and_batch):
    models, batch = models_and_batch
    view = noise_view(models, batch, text=0.5, image=1.0, audio=0.0, seed=0)
    assert view.noise == {"text": 0.5, "image": 1.0, "audio": 0.0}
    assert view.accuracies == accuracies_under(models, batch, view.noise, 0)
    assert view.clean == accuracies_under(models, batch, None, 0)
    ax = plot_noise_view(view)
    assert [round(p.get_height(), 4) for p in ax.patches] == [
        round(view.accuracies[n], 4) for n in models]
    assert ax.get_title() == "text p = 0.5, image σ = 1.00, audio σ = 0.00"
    assert view.axes is ax
    assert_readable(ax.figure)


def test_the_widget_re_evaluates_on_each_slider(models_and_batch):
    models, batch = models_and_batch
    widget = noise_widget(models, batch)
    text, image, audio, _ = widget.children
    assert [c.description for c in (text, image, audio)] == [
        "text: share of words hit", "image: noise σ", "audio: noise σ"]
    assert all(not c.continuous_update for c in (text, image, audio))
    assert isinstance(widget.result, NoiseView) and widget.result.noise["image"] == 0.0
    weights = {key: value.clone() for key, value in models["late"].state_dict().items()}
    for control, name, value in ((image, "image", 2.0), (audio, "audio", 1.5),
                                 (text, "text", 0.7)):
        control.value = value
        assert widget.result.noise[name] == value
        assert widget.result.accuracies == accuracies_under(models, batch,
                                                            widget.result.noise, 0)
    assert widget.result.noise == {"text": 0.7, "image": 2.0, "audio": 1.5}
    # no retraining: the weights are those the models came with
    assert all(torch.equal(weights[k], v) for k, v in models["late"].state_dict().items())


# --- the comparison ---------------------------------------------------------------------------

def test_comparison_rows_are_mean_and_std_over_the_seeds():
    rows = comparison_rows(fake_comparison(), "standard")
    assert [r.name for r in rows] == ["text", "image", "audio", "early", "late",
                                      "hierarchical", "attention"]
    early = rows[3]
    assert early.kind == "fusion" and early.parameters == 131178 and early.seeds == 3
    assert early.accuracy[0] == pytest.approx(0.93)
    assert early.accuracy[1] == pytest.approx(0.02)        # sample std of (0.93, 0.91, 0.95)
    with pytest.raises(ValueError, match="preset must be one of 'standard', 'hard'; got 'x'"):
        comparison_rows(fake_comparison(), "x")


def test_the_summary_names_the_best_fusion_and_single_modality():
    summary = comparison_summary(fake_comparison(), "standard")
    assert summary["best_fusion"] == "late" and summary["best_single"] == "audio"
    assert summary["margin_points"] == pytest.approx(17)
    assert summary["logistic_regression"] == pytest.approx(0.88)
    table = format_comparison(fake_comparison(), "standard")
    assert "late          fusion          1,000  0.950 ± 0.010  0.950 ± 0.020" in table
    assert table.splitlines()[-1].split()[-2:] == ["0.896", "0.880"]


def test_the_best_model_is_chosen_on_validation_not_on_the_held_out_split():
    comparison = fake_comparison()
    hierarchical = comparison["presets"]["standard"]["models"][5]
    hierarchical["accuracy"] = [0.99, 0.99, 0.99]          # best held out, not on validation
    summary = comparison_summary(comparison, "standard")
    assert summary["best_fusion"] == "late"
    assert summary["fusion_accuracy"][0] == pytest.approx(0.95)


def test_the_comparison_chart_has_error_bars_and_the_yardstick():
    axes = plot_comparison(fake_comparison(), ("standard", "hard"))
    assert [ax.get_title() for ax in axes] == ["standard (mean ± std, 3 seeds)",
                                               "hard (mean ± std, 3 seeds)"]
    heights = [round(p.get_height(), 3) for p in axes[0].patches]
    assert heights[:7] == [0.6, 0.62, 0.78, 0.93, 0.95, 0.91, 0.9]   # accuracy bars
    assert heights[7:] == [0.59, 0.61, 0.77, 0.92, 0.94, 0.9, 0.89]  # macro-F1 bars
    bars = [c for c in axes[0].containers if isinstance(c, ErrorbarContainer)]
    assert [len(c.lines[2][0].get_segments()) for c in bars] == [7, 7]   # ± std on each
    segment = bars[0].lines[2][0].get_segments()[3]                      # early's accuracy
    assert segment[:, 1] == pytest.approx([0.91, 0.95])
    assert axes[0].get_lines()[-1].get_ydata()[0] == pytest.approx(0.88)
    assert_readable(axes[0].figure)
