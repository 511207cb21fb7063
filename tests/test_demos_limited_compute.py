"""Notebook 15's pictures and widget: what they draw is what the compressed models and the
committed tables say."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit import compress
from mmkit.demos.limited_compute import (
    PruningSweep,
    PruningView,
    final_table,
    plot_pruning_view,
    plot_quantization,
    plot_softened,
    plot_tradeoff,
    processes_table,
    pruning_sweep,
    pruning_view,
    pruning_widget,
    tradeoff_rows,
    validation_table,
)
from mmkit.models.encoders import accuracy


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 9
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


# --- quantisation, the trade-off, distillation ---------------------------------------------

def test_quantization_shows_the_int8_values_and_errors_within_half_a_step():
    weight = torch.tensor([[0.30, -0.0012, 0.005], [0.011, -0.30, 0.2]])
    scale = 0.3 / 127.5
    left, right = plot_quantization(weight, scale, count=4, steps=5)
    near = np.array([-0.0012, 0.005, 0.011]) / scale          # within 5 levels of 0
    shown, rounded = left.lines[-2].get_ydata(), left.lines[-1].get_ydata()
    assert np.allclose(shown, near, atol=1e-5) and np.allclose(rounded, np.round(near))
    assert np.abs(shown - rounded).max() <= 0.5 + 1e-6
    assert [line.get_ydata()[0] for line in left.lines[:-2]] == list(range(-5, 6))
    assert sorted(line.get_xdata()[0] for line in right.lines) == pytest.approx(
        [-scale / 2, scale / 2])
    errors = weight.numpy().ravel() - scale * np.clip(np.round(weight.numpy().ravel() / scale),
                                                      -128, 127)    # 0.3 / s = 127.5 → 127
    assert np.abs(errors).max() <= scale / 2 + 1e-7
    assert sum(p.get_height() for p in right.patches) == 6
    assert right.get_title() == "6 weights, all within ± scale / 2"
    assert_readable(left.figure)


def test_tradeoff_puts_each_model_at_its_size_latency_and_accuracy():
    rows = [{"name": "teacher", "size_kb": 532, "latency_ms": 25, "accuracy": 0.95},
            {"name": "int8", "size_kb": 157, "latency_ms": 24, "accuracy": 0.948}]
    by_size, by_latency = plot_tradeoff(rows)
    assert [tuple(line.get_xydata()[0]) for line in by_size.lines] == [(532, 0.95),
                                                                      (157, 0.948)]
    assert [tuple(line.get_xydata()[0]) for line in by_latency.lines] == [(25, 0.95),
                                                                         (24, 0.948)]
    assert by_size.get_xscale() == "log"
    assert [t.get_text() for t in by_latency.get_legend().get_texts()] == ["teacher", "int8"]
    assert_readable(by_size.figure)


def test_softened_probabilities_are_grouped_bars_with_the_label_marked():
    probabilities = {1: np.eye(10)[3], 4: np.full(10, 0.1)}
    ax = plot_softened(probabilities, label=3)
    heights = [round(p.get_height(), 3) for p in ax.patches]
    assert heights[:10] == list(np.eye(10)[3]) and heights[10:] == [0.1] * 10
    assert ax.get_xticklabels()[3].get_text() == "3 ✓"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "T = 4"]
    assert_readable(ax.figure)


# --- pruning --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_and_batch(val_batch):
    torch.manual_seed(0)
    model = compress.student_model(8).eval()
    return model, {key: value[:40] for key, value in val_batch.items()}


@pytest.fixture(scope="module")
def sweep(model_and_batch):
    model, batch = model_and_batch
    return pruning_sweep(model, batch, sparsities=(0.0, 0.5, 0.9))


def test_the_sweep_is_each_pruned_models_accuracy_and_its_weights_left(model_and_batch, sweep):
    model, batch = model_and_batch
    assert sweep.sparsities == [0.0, 0.5, 0.9]
    for sparsity, value, kept in zip(sweep.sparsities, sweep.accuracies, sweep.kept,
                                     strict=True):
        pruned = compress.prune_global(model, sparsity)
        assert value == accuracy(pruned, batch)
        left = round((1 - compress.weight_sparsity(pruned)) * sweep.total)
        assert len(kept) == left and not (kept == 0).any()
    assert compress.weight_sparsity(model) < 0.01        # the model itself is untouched
    assert accuracy(model, batch) == sweep.accuracies[0]


def test_the_view_reads_the_sweep_and_the_picture_marks_it(sweep):
    view = pruning_view(sweep, 0.5)
    assert (view.sparsity, view.accuracy, view.kept, view.total) == (
        0.5, sweep.accuracies[1], len(sweep.kept[1]), sweep.total)
    left, right = plot_pruning_view(sweep, view)
    assert list(left.lines[0].get_xdata()) == sweep.sparsities
    assert tuple(left.lines[-1].get_xydata()[0]) == (0.5, sweep.accuracies[1])
    assert list(left.lines[1].get_ydata()) == [sweep.accuracies[0] - 0.01] * 2
    before, left_ = (patch.get_data().values for patch in right.patches)    # two stairs
    assert before.sum() == len(sweep.kept[0]) and left_.sum() == len(sweep.kept[1])
    assert right.lines[0].get_xdata()[0] == pytest.approx(np.log10(np.abs(sweep.kept[1]).min()))
    assert right.get_title() == f"{view.kept:,} of {view.total:,} weights left"
    assert view.axes is not None
    assert_readable(left.figure)
    with pytest.raises(ValueError, match=r"sparsity: expected one of \[0.0, 0.5, 0.9\]"):
        pruning_view(sweep, 0.3)


def test_the_widget_redraws_from_the_sweep_without_pruning_again(sweep, monkeypatch):
    widget = pruning_widget(sweep)
    slider, _ = widget.children
    assert not slider.continuous_update
    assert slider.style.description_width == "initial"
    assert isinstance(widget.result, PruningView) and widget.result.sparsity == 0.0
    monkeypatch.setattr(compress, "prune_global", lambda *args: pytest.fail("pruned again"))
    slider.value = 0.9
    assert widget.result.sparsity == 0.9
    assert widget.result.accuracy == sweep.accuracies[2]
    assert widget.result.kept == len(sweep.kept[2])


def test_a_sweep_can_be_made_by_hand():
    sweep = PruningSweep([0.0, 0.5], [0.9, 0.8], [np.ones(4), np.ones(2)], 4)
    assert pruning_view(sweep, 0.5).kept == 2


# --- the committed tables -------------------------------------------------------------------

def fake_compression():
    def width(w, parameters, accuracies):
        return {"width": w, "parameters": parameters, "share": parameters / 1000,
                "size_kb": parameters / 100, "latency_ms": w / 4, "val_accuracy": accuracies}

    return {
        "teacher": {"float": {"size_kb": 10.0, "parameters": 1000, "latency_ms": 16.0,
                              "val_accuracy": 0.95},
                    "int8": {"size_kb": 3.0, "parameters": 1000, "latency_ms": 15.0,
                             "val_accuracy": 0.948}},
        "pruning": {"sweep": [{"sparsity": 0.0, "val_accuracy": 0.95},
                              {"sparsity": 0.6, "val_accuracy": 0.945}], "recommended": 0.6},
        "widths": {"teacher_parameters": 1000, "student": 16,
                   "rows": [width(16, 100, [0.90, 0.92, 0.91]),
                            width(64, 1000, [0.94, 0.95, 0.96])]},
        "distillation": {"width": 16, "parameters": 100, "temperature": 4.0, "alpha": 0.9,
                         "plain_val": [0.90, 0.92, 0.91], "distilled_val": [0.93, 0.93, 0.94]},
        "final": {"teacher": [0.93], "teacher int8": [0.925], "teacher pruned 0.6": [0.92],
                  "student, cross-entropy": [0.88, 0.90, 0.89],
                  "student, distilled": [0.91, 0.92, 0.90]},
    }


def test_tradeoff_rows_are_the_widths_the_int8_teacher_and_the_distilled_student():
    rows = tradeoff_rows(fake_compression())
    assert [r["name"] for r in rows] == ["width 16", "teacher (width 64)", "teacher, int8",
                                         "width 16, distilled"]
    assert rows[0]["accuracy"] == pytest.approx(0.91)
    assert (rows[2]["size_kb"], rows[2]["accuracy"]) == (3.0, 0.948)
    assert (rows[3]["size_kb"], rows[3]["latency_ms"]) == (1.0, 4.0)
    assert rows[3]["accuracy"] == pytest.approx(0.9333333)
    assert tradeoff_rows(fake_compression(), compressed=False) == rows[:2]


def test_validation_table_lists_every_model_with_its_share_and_spread():
    lines = validation_table(fake_compression()).splitlines()
    assert lines[1].split() == ["width", "16", "100", "10%", "1", "kB", "4.0", "ms", "0.910",
                                "±", "0.010"]
    assert lines[3].split()[:3] == ["teacher", "(64),", "int8"]
    assert lines[4].split()[-3:] == ["0.933", "±", "0.006"]
    assert lines[-1] == "(distilled with T = 4, alpha = 0.9, chosen on validation)"


def test_final_table_puts_validation_beside_the_held_out_numbers():
    lines = final_table(fake_compression()).splitlines()
    assert lines[1].split() == ["teacher", "0.950", "0.930"]
    assert lines[3].split() == ["teacher", "pruned", "0.6", "0.945", "0.920"]
    assert lines[5].split() == ["student,", "distilled", "0.933", "±", "0.006", "0.910", "±",
                                "0.010"]


def test_processes_table_shows_each_setting():
    results = {"runs": [{"processes": 1, "batch_per_process": 32, "global_batch": 32,
                         "learning_rate": 0.003, "steps_per_s": [10.0, 12.0],
                         "samples_per_s": [320.0, 384.0], "val_accuracy": [0.9, 0.92]}]}
    lines = processes_table(results).splitlines()
    assert lines[1].split() == ["1", "32", "32", "0.003", "11.0", "±", "1.4", "352", "0.910",
                                "±", "0.014"]
