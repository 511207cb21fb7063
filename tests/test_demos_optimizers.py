"""Notebook 04's surfaces, trajectories, pictures, widget and digits comparison."""


import numpy as np
import pytest
import torch

from mmkit.data.digits import load_digits_split
from mmkit.demos.optimizers import (
    CHOICES,
    DIGITS_RUNS,
    SURFACE_SETTINGS,
    compare_on_digits,
    describe,
    final_words,
    hyperparams_for,
    lr_sweep,
    plot_lr_sweep,
    plot_training_curves,
    plot_trajectories,
    results_table,
    trajectory_widget,
)
from mmkit.scratch.optim import OPTIMIZERS
from mmkit.scratch.surfaces import SURFACES, exit_step, path_losses, trajectory


@pytest.fixture(scope="module")
def small_split():
    """A quarter of the digits training set, to keep the training tests quick."""
    split = load_digits_split()
    return type(split)(split.X_train[:300], split.X_val[:200], split.X_test[:200],
                       split.y_train[:300], split.y_val[:200], split.y_test[:200])


# --------------------------------------------------------------------------- surfaces

@pytest.mark.parametrize("name", list(SURFACES))
def test_gradients_match_autograd(name):
    surface = SURFACES[name]
    for point in ([0.3, -0.7], [-1.2, 1.0], [1.5, 0.2]):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        surface.function(p[0], p[1]).backward()
        np.testing.assert_allclose(surface.gradient(np.array(point)), p.grad.numpy(),
                                   rtol=1e-12, atol=1e-12)
        assert surface.value(np.array(point)) == pytest.approx(float(surface.function(*point)))


def test_minima_are_where_the_gradient_vanishes():
    for surface in SURFACES.values():
        if surface.minimum is not None:
            np.testing.assert_allclose(surface.gradient(np.array(surface.minimum)), 0)
            assert surface.floor() == 0.0
    assert SURFACES["saddle"].floor() == -np.inf


def test_contains_points_and_paths():
    bowl = SURFACES["bowl"]
    assert bowl.contains(np.array([0.0, 0.0])) is True
    assert bowl.contains(np.array([0.0, 3.0])) is False
    np.testing.assert_array_equal(bowl.contains(np.array([[0, 0], [5, 0]])), [True, False])


def test_a_point_must_have_two_coordinates():
    with pytest.raises(ValueError, match=r"expected a point of shape \(2,\), got shape \(3,\)"):
        SURFACES["bowl"].gradient(np.zeros(3))


# --------------------------------------------------------------------------- trajectories

def test_gd_trajectory_is_the_textbook_update():
    bowl = SURFACES["bowl"]
    path = trajectory("GD", "bowl", steps=5, lr=0.05)
    assert path.shape == (6, 2)
    np.testing.assert_array_equal(path[0], bowl.start)
    expected = np.array(bowl.start)
    for row in path[1:]:
        expected = expected - 0.05 * bowl.gradient(expected)
        np.testing.assert_allclose(row, expected)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.001, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.3}),
    ("RMSprop", {"lr": 0.01}),
    ("Adam", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
])
def test_trajectories_match_torch_optim(name, kwargs):
    rosenbrock = SURFACES["rosenbrock"]
    ours = trajectory(name, rosenbrock, 30, **kwargs)
    p = torch.tensor(rosenbrock.start, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, name)([p], **kwargs)
    theirs = [p.detach().numpy().copy()]
    for _ in range(30):
        optimizer.zero_grad()
        rosenbrock.function(p[0], p[1]).backward()
        optimizer.step()
        theirs.append(p.detach().numpy().copy())
    np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-10, atol=1e-12)


def test_a_path_that_leaves_the_box_stops_there():
    path = trajectory("GD", "saddle", 100, lr=0.1)
    left = exit_step(path, "saddle")
    assert left is not None and 0 < left < 100
    assert not SURFACES["saddle"].contains(path[left])
    assert SURFACES["saddle"].contains(path[left - 1])
    assert (path[left:] == path[left]).all()
    assert final_words(path, "saddle") == f"left the box at step {left}"


def test_a_diverging_learning_rate_leaves_the_bowl_without_overflow():
    with np.errstate(all="raise"):
        path = trajectory("GD", "bowl", 200, lr=0.5)
    assert exit_step(path, "bowl") == 1
    assert np.isfinite(path).all()


def test_start_on_the_saddle_axis_stays_on_it_with_gd():
    path = trajectory("GD", "saddle", 60, start=(-1.8, 0.0), lr=0.1)
    assert exit_step(path, "saddle") is None and (path[:, 1] == 0).all()


def test_trajectory_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"optimizer must be one of .*'Adam'.*; got 'Adamm'"):
        trajectory("Adamm", "bowl", 3, lr=0.1)
    with pytest.raises(ValueError, match=r"surface must be one of .*; got 'bowel'"):
        trajectory("GD", "bowel", 3, lr=0.1)
    with pytest.raises(ValueError, match="steps must be an int >= 0, got -1"):
        trajectory("GD", "bowl", -1, lr=0.1)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        trajectory("GD", "bowl", 3, lr=0.0)


def test_default_settings_cover_every_choice_and_are_sensible():
    for name, settings in SURFACE_SETTINGS.items():
        assert list(settings) == list(CHOICES)
        for optimizer, hyperparams in settings.values():
            path = trajectory(optimizer, name, **hyperparams)
            assert path.shape == (SURFACES[name].steps + 1, 2)
    # the saddle: every optimizer escapes; the bowl: every optimizer gets close
    for optimizer, hyperparams in SURFACE_SETTINGS["saddle"].values():
        assert exit_step(trajectory(optimizer, "saddle", **hyperparams), "saddle") is not None
    for optimizer, hyperparams in SURFACE_SETTINGS["bowl"].values():
        assert path_losses(trajectory(optimizer, "bowl", **hyperparams), "bowl")[-1] < 0.05


# --------------------------------------------------------------------------- pictures and widget

def test_hyperparams_for_each_choice():
    assert hyperparams_for("GD", 0.1) == ("GD", {"lr": 0.1})
    assert hyperparams_for("SGD+momentum", 0.1, momentum=0.5) == \
        ("SGD", {"lr": 0.1, "momentum": 0.5})
    assert hyperparams_for("Nesterov", 0.1, momentum=0.5)[1]["nesterov"] is True
    assert hyperparams_for("RMSprop", 0.01, beta2=0.9) == ("RMSprop", {"lr": 0.01, "alpha": 0.9})
    assert hyperparams_for("AdamW", 0.01, beta1=0.8, beta2=0.99) == \
        ("AdamW", {"lr": 0.01, "betas": (0.8, 0.99)})
    with pytest.raises(ValueError, match="Nesterov needs a momentum > 0"):
        hyperparams_for("Nesterov", 0.1, momentum=0.0)
    with pytest.raises(ValueError, match=r"optimizer must be one of .*; got 'Lion'"):
        hyperparams_for("Lion", 0.1)
    assert describe(("Adam", {"lr": 0.1, "betas": (0.9, 0.999)})) == \
        "Adam(lr=0.1, betas=(0.9, 0.999))"


def test_plot_draws_each_path_as_trajectory_computes_it():
    settings = {"GD": ("GD", {"lr": 0.1}), "Adam": ("Adam", {"lr": 0.1})}
    paths, losses = plot_trajectories("saddle", settings)
    lines = {line.get_label(): line for line in paths.lines}
    for label, (name, hyperparams) in settings.items():
        path = trajectory(name, "saddle", **hyperparams)
        shown = path[:exit_step(path, "saddle") + 1]
        np.testing.assert_allclose(np.column_stack(lines[label].get_data()), shown)
    labels = [line.get_label() for line in losses.lines]
    assert labels[0].startswith("GD\n") and "left the box at step" in labels[0]
    assert losses.get_yscale() == "linear"


def test_plot_of_a_bounded_surface_uses_a_log_loss_axis():
    _, losses = plot_trajectories("bowl")
    assert losses.get_yscale() == "log"
    assert len(losses.lines) == len(CHOICES)
    assert all("f = " in line.get_label() for line in losses.lines)


def test_moving_the_widget_redraws():
    widget = trajectory_widget()
    optimizer, surface, lr, momentum = widget.children[:4]
    assert widget.result[1].get_title() == "Adam(lr=0.1, betas=(0.9, 0.999))"
    optimizer.value = "SGD+momentum"
    surface.value = "rosenbrock"
    lr.value = 0.001
    momentum.value = 0.5
    paths = widget.result[0]
    line = next(line for line in paths.lines if line.get_label() == "SGD+momentum")
    expected = trajectory("SGD", "rosenbrock", lr=0.001, momentum=0.5)
    np.testing.assert_allclose(np.column_stack(line.get_data()), expected)
    assert widget.result[1].get_title() == "SGD(lr=0.001, momentum=0.5)"
    assert lr.min == -4 and lr.max == 0.5  # a log slider: exponents of 10


def test_widget_betas_reach_adam_and_rmsprop():
    widget = trajectory_widget()
    _, _, _, _, beta1, beta2 = widget.children[:6]
    beta1.value = 0.5
    beta2.value = 0.9
    assert widget.result[1].get_title() == "Adam(lr=0.1, betas=(0.5, 0.9))"
    widget.children[0].value = "RMSprop"
    assert widget.result[1].get_title() == "RMSprop(lr=0.1, alpha=0.9)"


def test_widget_explains_nesterov_without_momentum():
    widget = trajectory_widget()
    widget.children[3].value = 0.0
    widget.children[0].value = "Nesterov"
    assert widget.result == "Nesterov needs a momentum > 0, got momentum=0"


# --------------------------------------------------------------------------- digits

def test_compare_on_digits_same_start_and_table(small_split):
    runs = {"GD (full batch)": DIGITS_RUNS["GD (full batch)"], "Adam": DIGITS_RUNS["Adam"]}
    results = compare_on_digits(runs, epochs=2, split=small_split)
    assert list(results) == list(runs)
    gd, adam = results.values()
    assert gd.steps == 2 and adam.steps == 2 * 10  # 300 examples in batches of 32
    assert gd.history.epochs == adam.history.epochs == 2
    assert adam.history.train_loss[-1] < gd.history.train_loss[-1]
    table = results_table(results).splitlines()
    assert table[0].split() == ["optimizer", "settings", "batch", "steps", "loss", "test", "acc"]
    assert table[1].startswith("GD (full batch)  GD(lr=1)") and " all " in table[1]
    ax = plot_training_curves(results)
    assert [line.get_label().split(" (test")[0] for line in ax.lines] == list(runs)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), adam.history.train_loss)


def test_lr_sweep_records_divergence_and_crawling(small_split):
    points = lr_sweep("SGD", [1e-5, 0.1, 1e10], epochs=2, split=small_split)
    crawl, good, diverged = points
    assert crawl.final_loss > 2.0 and good.final_loss < crawl.final_loss
    assert diverged.final_loss is None
    assert diverged.error.startswith("training diverged at epoch")
    ax = plot_lr_sweep({"SGD": points})
    xs, ys = ax.lines[1].get_data()  # the × markers
    assert list(xs) == [1e10] and list(ys) == [10.0]


def test_every_digits_run_names_a_real_optimizer():
    for name, hyperparams, batch_size in DIGITS_RUNS.values():
        assert name in OPTIMIZERS and "lr" in hyperparams
        assert batch_size is None or batch_size > 0
