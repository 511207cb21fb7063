"""Notebook 03's demos: the unstable softmax losses, the plotted curves, the widget, the data."""


import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.data.toy import make_outlier_data
from mmkit.demos.loss_functions import (
    cross_entropy_log_of_softmax,
    cross_entropy_naive,
    loss_curves,
    loss_widget,
    plot_gradient_vs_logit,
    plot_losses,
    plot_outlier_fits,
    plot_training_curves,
    point_losses,
    torch_value_and_grad,
)
from mmkit.scratch.losses import cross_entropy, huber_loss, mse_loss
from mmkit.scratch.train import History, epochs_to_reach


def test_the_naive_softmax_loss_breaks_where_the_fused_one_does_not():
    small = (np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    assert cross_entropy_naive(*small) == pytest.approx(cross_entropy(*small)[0])
    assert cross_entropy_log_of_softmax(*small) == pytest.approx(cross_entropy(*small)[0])
    overflow = (np.array([[1000.0, 999.0, 0.0]]), np.array([1]))
    with np.errstate(over="raise", invalid="raise"):  # no warning reaches the notebook
        assert np.isnan(cross_entropy_naive(*overflow))
    assert cross_entropy_log_of_softmax(*overflow) == pytest.approx(cross_entropy(*overflow)[0])
    underflow = (np.array([[0.0, 800.0, -5.0]]), np.array([0]))
    with np.errstate(divide="raise"):
        assert cross_entropy_log_of_softmax(*underflow) == np.inf
    assert cross_entropy(*underflow)[0] == pytest.approx(800.0)


def test_naive_versions_refuse_bad_shapes():
    with pytest.raises(ValueError, match=r"logits: expected shape \(N, C\), got \(3,\)"):
        cross_entropy_naive(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match=r"labels: expected integers of shape \(2,\)"):
        cross_entropy_log_of_softmax(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_torch_value_and_grad_handles_class_indices_and_float_targets():
    logits, labels = np.array([[2.0, 1.0, 0.1], [0.0, 3.0, -1.0]]), np.array([0, 2])
    value, grad = torch_value_and_grad(F.cross_entropy, logits, labels)
    ours = cross_entropy(logits, labels)
    assert value == pytest.approx(ours[0]) and np.allclose(grad, ours[1])
    pred, target = np.array([1.0, 2.0]), np.array([0.0, 0.5])
    value, grad = torch_value_and_grad(F.mse_loss, pred, target)
    assert value == pytest.approx(mse_loss(pred, target)[0])


@pytest.mark.parametrize("z, y", [(-4.0, 1.0), (3.0, 0.0), (0.5, 0.25)])
def test_point_losses_binary_match_torch(z, y):
    here = point_losses(z, y, "binary")
    zt = torch.tensor([z], dtype=torch.float64, requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(zt, torch.tensor([y], dtype=torch.float64))
    bce.backward()
    assert here["BCE with logits"] == pytest.approx((bce.item(), zt.grad.item()))
    zt.grad = None
    mse = (torch.sigmoid(zt) - y) ** 2
    mse.backward()
    assert here["MSE on σ(z)"] == pytest.approx((mse.item(), zt.grad.item()))


def test_point_losses_regression_and_bad_arguments():
    here = point_losses(4.0, 1.0, "regression", delta=1.0)
    assert here["MSE"] == pytest.approx((9.0, 6.0))
    assert here["Huber"] == pytest.approx((2.5, 1.0))  # δ(|e| − δ/2), gradient capped at δ
    with pytest.raises(ValueError, match="task must be one of 'binary', 'regression'; got"):
        point_losses(0.0, 1.0, "multiclass")
    with pytest.raises(ValueError, match=r"label \(or probability\) in \[0, 1\], got 2.0"):
        point_losses(0.0, 2.0, "binary")


def test_mse_gradient_vanishes_when_confidently_wrong_but_bce_does_not():
    here = point_losses(-8.0, 1.0, "binary")
    assert abs(here["BCE with logits"][1]) > 0.99
    assert abs(here["MSE on σ(z)"][1]) < 1e-3


def test_plot_losses_draws_the_curves_and_marks_the_point():
    axes = plot_losses(prediction=-4.0, target=1.0, task="binary")
    x, y = axes[0].lines[0].get_data()
    np.testing.assert_allclose(y, loss_curves(x, 1.0, "binary")["BCE with logits"][0])
    marker = axes[1].lines[1]
    assert marker.get_xdata()[0] == -4.0
    assert marker.get_ydata()[0] == pytest.approx(point_losses(-4.0, 1.0)["BCE with logits"][1])
    assert axes[0].get_title() == "target 1, logit z = -4"
    legends = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in axes]
    assert legends == [["BCE with logits: 4.018", "MSE on σ(z): 0.964"],
                       ["BCE with logits: -0.982", "MSE on σ(z): -0.035"]]


def test_plot_losses_regression_shows_huber_with_its_delta():
    axes = plot_losses(prediction=2.0, target=-1.0, task="regression", delta=0.5)
    labels = [line.get_label() for line in axes[0].lines]
    assert "MSE: 9.000" in labels and "Huber (δ = 0.5): 1.375" in labels
    assert axes[0].get_xlabel() == "prediction ŷ"
    assert "Huber (δ = 0.5): +0.500" in [line.get_label() for line in axes[1].lines]


def curve_labels(axes) -> list[str]:
    return [line.get_label() for line in axes[0].lines if not line.get_label().startswith("_")]


def test_moving_the_widget_redraws_with_the_new_values():
    widget = loss_widget()
    task, prediction, target, delta = widget.children[:4]
    assert widget.result[0].get_title() == "target 1, logit z = -4"
    prediction.value = 2.0
    target.value = 0.0
    assert widget.result[0].get_title() == "target 0, logit z = 2"
    task.value = "regression"
    assert (target.min, target.max) == (-3.0, 3.0)
    assert prediction.description == "prediction ŷ"
    target.value = -2.5
    delta.value = 2.0
    assert "Huber (δ = 2): 7.000" in curve_labels(widget.result)
    assert widget.result[0].get_title() == "target -2.5, prediction ŷ = 2"
    task.value = "binary"  # the target is clamped back to a label
    assert target.value == 0.0 and prediction.description == "logit z"
    assert widget.result[0].get_title() == "target 0, logit z = 2"


def test_the_huber_slider_is_live_only_in_regression():
    widget = loss_widget()
    task, delta = widget.children[0], widget.children[3]
    assert task.value == "binary" and delta.disabled  # binary: no Huber loss to shape
    before = curve_labels(widget.result)
    assert before == ["BCE with logits: 4.018", "MSE on σ(z): 0.964"]
    delta.value = 2.0  # what the disabled slider would do: nothing
    assert curve_labels(widget.result) == before
    task.value = "regression"
    assert not delta.disabled
    delta.value = 0.5
    assert "Huber (δ = 0.5): 2.375" in curve_labels(widget.result)
    delta.value = 2.0
    assert "Huber (δ = 2): 8.000" in curve_labels(widget.result)  # the slider changes the plot
    task.value = "binary"
    assert delta.disabled


def test_widget_labels_are_not_cut_off():
    widget = loss_widget()
    for control in widget.children[:4]:
        assert control.style.description_width == "initial", control.description


def test_gradient_plot_is_on_a_log_scale_and_checks_its_label():
    ax = plot_gradient_vs_logit(label=1)
    assert ax.get_yscale() == "log"
    z, g = ax.lines[0].get_data()
    np.testing.assert_allclose(g, np.abs(1 / (1 + np.exp(-z)) - 1))
    with pytest.raises(ValueError, match="label: expected 0 or 1, got 2"):
        plot_gradient_vs_logit(label=2)


def test_epochs_to_reach():
    assert epochs_to_reach([0.5, 0.8, 0.91, 0.95], 0.9) == 3
    assert epochs_to_reach([0.5, 0.8], 0.9) is None


def test_training_curves_show_the_mean_and_spread_over_seeds():
    runs = [History(train_loss=[1.0, 0.5], val_accuracy=[0.5, 0.9]),
            History(train_loss=[2.0, 0.5], val_accuracy=[0.7, 0.9])]
    axes = plot_training_curves({"a": runs})
    mean = next(line for line in axes[1].lines if line.get_label() == "a (2 seeds)")
    np.testing.assert_allclose(mean.get_ydata(), [0.6, 0.9])
    band = axes[1].collections[0].get_paths()[0].vertices[:, 1]
    spread = np.std([0.5, 0.7], ddof=1)  # the sample std over the seeds, as mmkit.metrics
    assert band.min() == pytest.approx(0.6 - spread) and band.max() == pytest.approx(0.9)
    assert axes[1].get_ylabel() == "validation accuracy"
    assert axes[1].lines[-1].get_ydata()[0] == 0.8  # the dotted 80% level
    single = plot_training_curves({"b": runs[0]}, level=None)  # one run: a line, no band
    assert not single[1].collections and single[1].lines[0].get_label() == "b"


def test_training_curves_refuse_runs_without_validation_or_of_unequal_length():
    with pytest.raises(ValueError, match="every history needs a val_accuracy"):
        plot_training_curves({"b": [History(train_loss=[1.0])]})
    with pytest.raises(ValueError, match=r"the same number of epochs, got \[1, 2\]"):
        plot_training_curves({"c": [History(train_loss=[1.0], val_accuracy=[0.5]),
                                    History(train_loss=[1.0, 0.5], val_accuracy=[0.5, 0.6])]})


def test_no_text_below_10_points_in_the_figures():
    x, y, outliers = make_outlier_data()
    figures = [plot_losses()[0].figure, plot_gradient_vs_logit().figure,
               plot_training_curves({"a": [History([1.0, 0.5], val_accuracy=[0.5, 0.9])]})[0]
               .figure,
               plot_outlier_fits(x, y, outliers, {"MSE": (1.3, 0.6)}, (2.0, 1.0))[0].figure]
    for figure in figures:
        sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
        assert min(sizes) >= 10
        width, height = figure.get_size_inches()
        assert width <= 9 and height <= 3.5


def test_outlier_data_and_plot():
    x, y, outliers = make_outlier_data(n=40, n_outliers=3, seed=0)
    assert x.shape == y.shape == (40, 1) and outliers.sum() == 3
    assert np.all(x[outliers, 0] >= np.sort(x[:, 0])[-3])  # the largest x: most leverage
    inliers = y[~outliers, 0] - (2 * x[~outliers, 0] + 1)
    assert np.abs(inliers).max() < 1.5 and np.all(y[outliers, 0] < 2 * x[outliers, 0] - 5)
    axes = plot_outlier_fits(x, y, outliers, {"MSE": (1.3, 0.6), "Huber (δ = 1)": (1.9, 1.0)},
                             (2.0, 1.0))
    labels = [line.get_label() for line in axes[0].lines]
    assert "MSE: slope 1.30" in labels and "Huber (δ = 1): slope 1.90" in labels
    huber_marks = axes[1].lines[3]  # the outliers under the Huber fit pull with at most δ
    assert np.all(np.abs(huber_marks.get_ydata()) <= 1.0)
    with pytest.raises(ValueError, match="n_outliers must be in"):
        make_outlier_data(n=5, n_outliers=5)


def test_huber_gradient_in_the_plot_matches_the_library():
    e = np.array([-3.0, -0.5, 0.2, 4.0])
    _, grad = huber_loss(e, np.zeros(4), delta=1.0)
    np.testing.assert_allclose(grad * e.size, np.clip(e, -1, 1))


# --- the notebook's folded answers hold --------------------------------------------------------

def test_the_widgets_try_it_answers():
    """Notebook 03, section 4: the numbers in the folded answers under the widget."""
    grid = np.arange(-6.0, 6.01, 0.25)  # the slider's steps
    for_z = [point_losses(z, 1.0) for z in grid]
    bce = np.array([here["BCE with logits"][1] for here in for_z])
    mse = np.array([here["MSE on σ(z)"][1] for here in for_z])
    assert grid[np.argmax(np.abs(bce))] == -6.0 and bce[0] == pytest.approx(-0.998, abs=5e-4)
    assert grid[np.argmax(np.abs(mse))] == -0.75 and mse[np.argmax(np.abs(mse))] == \
        pytest.approx(-0.296, abs=5e-4)
    assert mse[0] == pytest.approx(-0.005, abs=5e-4) and 150 < bce[0] / mse[0] < 250
    soft = [point_losses(z, 0.5) for z in grid]
    for name, minimum in (("BCE with logits", np.log(2)), ("MSE on σ(z)", 0.0)):
        values = [here[name][0] for here in soft]
        assert grid[np.argmin(values)] == 0.0 and min(values) == pytest.approx(minimum)
    for delta, loss in ((0.5, 2.875), (1.0, 5.5), (2.0, 10.0), (3.0, 13.5)):
        here = point_losses(6.0, 0.0, "regression", delta)
        assert here["MSE"][1] == 12.0 and here["Huber"] == pytest.approx((loss, delta))


def train_both_losses(learning_rate: float, epochs: int = 30, seeds=range(5)):
    """Notebook 03's section 5: each loss from the same seeds; validation accuracy per epoch."""
    from mmkit.data.digits import load_digits_split
    from mmkit.scratch.layers import mlp
    from mmkit.scratch.losses import CrossEntropyLoss, SoftmaxMSELoss
    from mmkit.scratch.optim import SGD
    from mmkit.scratch.train import fit

    data = load_digits_split()
    accuracies = {}
    for name, criterion in (("mse", SoftmaxMSELoss), ("ce", CrossEntropyLoss)):
        runs = []
        for seed in seeds:
            model = mlp([64, 32, 10], rng=seed)
            runs.append(fit(model, criterion(), SGD(model.parameters(), lr=learning_rate),
                            data.X_train, data.y_train, epochs=epochs, batch_size=64,
                            X_val=data.X_val, y_val=data.y_val, rng=seed).val_accuracy)
        accuracies[name] = np.array(runs)
    return accuracies


def reach(runs: np.ndarray) -> np.ndarray:
    return np.array([epochs_to_reach(run, 0.8) or np.inf for run in runs], dtype=float)


@pytest.mark.parametrize("learning_rate, quoted", [
    # (CE: epoch at 80% mean, std, final mean; MSE: epoch at 80% mean or None, final mean;
    #  lead after 30 epochs), as the notebook's text and its folded answer quote them
    (0.05, (4.8, 0.4, 0.95, 20.4, 0.89, 0.06)),
    (0.025, (9.0, 1.0, 0.93, None, 0.70, 0.23)),
])
def test_the_measured_claims_and_the_halved_learning_rate_answer(learning_rate, quoted):
    accuracies = train_both_losses(learning_rate)
    ce, mse = accuracies["ce"], accuracies["mse"]
    ce_reach, mse_reach = reach(ce), reach(mse)
    ce_epoch, ce_spread, ce_final, mse_epoch, mse_final, lead = quoted
    assert ce_reach.mean() == pytest.approx(ce_epoch, abs=0.3)
    assert ce_reach.std(ddof=1) == pytest.approx(ce_spread, abs=0.3)
    assert ce[:, -1].mean() == pytest.approx(ce_final, abs=0.01)
    if mse_epoch is None:
        assert np.all(np.isinf(mse_reach))  # "reaches 80% in none of the 5 seeds"
    else:
        assert mse_reach.mean() == pytest.approx(mse_epoch, abs=1.0)
    assert mse[:, -1].mean() == pytest.approx(mse_final, abs=0.01)
    assert (ce[:, -1] - mse[:, -1]).mean() == pytest.approx(lead, abs=0.01)
    # the notebook's asserts hold at both learning rates
    assert ce_reach.max() + 5 < mse_reach.min()
    assert ce[:, 9].mean() - mse[:, 9].mean() > 3 * (ce[:, 9].std() + mse[:, 9].std())
