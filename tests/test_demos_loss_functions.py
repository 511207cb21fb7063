"""Notebook 03's demos: the unstable softmax losses, the plotted curves, the widget, the data."""


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmkit.demos.loss_functions import (
    cross_entropy_log_of_softmax,
    cross_entropy_naive,
    epochs_to_reach,
    loss_curves,
    loss_widget,
    make_outlier_data,
    plot_gradient_vs_logit,
    plot_losses,
    plot_outlier_fits,
    plot_training_curves,
    point_losses,
    torch_value_and_grad,
)
from mmkit.scratch.gradcheck import numerical_gradient, relative_error
from mmkit.scratch.losses import (
    SoftmaxMSELoss,
    cross_entropy,
    huber_loss,
    mse_loss,
    softmax_mse_loss,
)
from mmkit.scratch.train import History


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
    assert "logit z = -4: BCE with logits 4.018; MSE on σ(z) 0.964" in axes[0].get_title()
    assert axes[1].get_title() == "gradient: BCE with logits -0.982; MSE on σ(z) -0.035"


def test_plot_losses_regression_shows_huber_with_its_delta():
    axes = plot_losses(prediction=2.0, target=-1.0, task="regression", delta=0.5)
    labels = [line.get_label() for line in axes[0].lines]
    assert "MSE" in labels and "Huber (δ = 0.5)" in labels
    assert axes[0].get_xlabel() == "prediction ŷ"
    assert "Huber +0.500" in axes[1].get_title()


def test_moving_the_widget_redraws_with_the_new_values():
    widget = loss_widget()
    task, prediction, target, delta = widget.children[:4]
    assert "logit z = -4" in widget.result[0].get_title()
    prediction.value = 2.0
    target.value = 0.0
    assert "target 0, logit z = 2:" in widget.result[0].get_title()
    task.value = "regression"
    assert (target.min, target.max) == (-3.0, 3.0)
    assert prediction.description == "prediction ŷ"
    target.value = -2.5
    delta.value = 2.0
    labels = [line.get_label() for line in widget.result[0].lines]
    assert "Huber (δ = 2)" in labels
    assert widget.result[0].get_title().startswith("target -2.5, prediction ŷ = 2:")
    task.value = "binary"  # the target is clamped back to a label
    assert target.value == 0.0 and prediction.description == "logit z"
    assert widget.result[0].get_title().startswith("target 0, logit z = 2:")


def test_gradient_plot_is_on_a_log_scale_and_checks_its_label():
    ax = plot_gradient_vs_logit(label=1)
    assert ax.get_yscale() == "log"
    z, g = ax.lines[0].get_data()
    np.testing.assert_allclose(g, np.abs(1 / (1 + np.exp(-z)) - 1))
    with pytest.raises(ValueError, match="label: expected 0 or 1, got 2"):
        plot_gradient_vs_logit(label=2)


def test_softmax_mse_loss_gradient_matches_finite_differences_and_torch():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(5, 4)) * 2, rng.integers(0, 4, 5)
    value, grad = softmax_mse_loss(logits, labels)
    numeric = numerical_gradient(lambda: softmax_mse_loss(logits, labels)[0], logits)
    assert relative_error(grad, numeric) < 1e-7
    zt = torch.tensor(logits, requires_grad=True)
    t = F.one_hot(torch.tensor(labels), 4).double()
    expected = ((torch.softmax(zt, 1) - t) ** 2).sum(1).mean()
    expected.backward()
    assert value == pytest.approx(expected.item())
    np.testing.assert_allclose(grad, zt.grad.numpy(), atol=1e-12)
    criterion = SoftmaxMSELoss()
    assert criterion(logits, labels) == value
    np.testing.assert_array_equal(criterion.backward(), grad)


def test_epochs_to_reach():
    assert epochs_to_reach([0.5, 0.8, 0.91, 0.95], 0.9) == 3
    assert epochs_to_reach([0.5, 0.8], 0.9) is None


def test_training_curves_need_validation_accuracy():
    good = History(train_loss=[1.0, 0.5], val_accuracy=[0.5, 0.9])
    axes = plot_training_curves({"a": good})
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), [0.5, 0.9])
    with pytest.raises(ValueError, match="no val_accuracy"):
        plot_training_curves({"b": History(train_loss=[1.0])})


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
