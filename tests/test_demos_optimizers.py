"""Notebook 04's pictures, widget, digits comparison and the numbers its text quotes."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mmkit.data.digits import load_digits_split
from mmkit.demos.optimizers import (
    CHOICES,
    DIGITS_RUNS,
    DIVERGED_LOSS,
    NONE,
    SURFACE_SETTINGS,
    USES,
    compare_on_digits,
    describe,
    final_words,
    hyperparams_for,
    lr_sweep,
    paths_for,
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


def texts(figure):
    """Every piece of text drawn in a figure (titles, labels, ticks, legends, notes)."""
    return [t for t in figure.findobj(plt.Text) if t.get_text().strip() and t.get_visible()]


def assert_readable(figure):
    """No text under 10 pt, and at most about 9 × 3.5 inches."""
    small = [(t.get_text(), t.get_fontsize()) for t in texts(figure) if t.get_fontsize() < 10]
    assert not small, small
    width, height = figure.get_size_inches()
    assert width <= 9.0 and height <= 3.5


# --------------------------------------------------------------------------- settings

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


@pytest.mark.parametrize("choice", CHOICES)
def test_uses_names_exactly_the_sliders_each_choice_reads(choice):
    """A slider listed for a choice changes its setting; one not listed changes nothing."""
    base = hyperparams_for(choice, 0.1, momentum=0.5, beta1=0.5, beta2=0.6)
    for slider, moved in (("momentum", 0.7), ("beta1", 0.7), ("beta2", 0.7)):
        changed = hyperparams_for(choice, 0.1, **{"momentum": 0.5, "beta1": 0.5, "beta2": 0.6,
                                                  slider: moved})
        assert (changed != base) == (choice in USES[slider]), (choice, slider)


# --------------------------------------------------------------------------- pictures

def test_paths_for_runs_each_setting():
    paths = paths_for("bowl")
    assert list(paths) == list(CHOICES)
    name, hyperparams = SURFACE_SETTINGS["bowl"]["Nesterov"]
    np.testing.assert_array_equal(paths["Nesterov"], trajectory(name, "bowl", **hyperparams))


def test_final_words_name_the_exit_or_the_loss():
    path = trajectory("GD", "saddle", 100, lr=0.1)
    assert final_words(path, "saddle") == f"left the box at step {exit_step(path, 'saddle')}"
    assert final_words(trajectory("GD", "bowl", 60, lr=0.09), "bowl") == "f = 9.7e-05"


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
    assert_readable(paths.figure)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_plots_of_every_surface_are_readable(surface):
    paths, losses = plot_trajectories(surface, note="a note")
    assert len(losses.lines) == len(CHOICES)
    assert paths.get_xlabel() == "x" and paths.get_ylabel() == "y"
    assert losses.get_xlabel() == "step" and losses.get_ylabel()
    assert_readable(paths.figure)


def test_plot_of_a_bounded_surface_uses_a_log_loss_axis():
    _, losses = plot_trajectories("bowl")
    assert losses.get_yscale() == "log"
    assert all("f = " in line.get_label() for line in losses.lines)


def test_plot_colours_can_be_chosen():
    paths, _ = plot_trajectories("bowl", {"mine": ("GD", {"lr": 0.05})},
                                 colors={"mine": "black"})
    assert paths.lines[0].get_color() == "black"


# --------------------------------------------------------------------------- widget

OPTIMIZER, LR, VERSUS, VERSUS_LR, SURFACE, MOMENTUM, BETA1, BETA2 = range(8)


def path_of(axes, label):
    line = next(line for line in axes[0].lines if line.get_label() == label)
    return np.column_stack(line.get_data())


def shown(control):
    return control.layout.display != "none" and not control.disabled


def test_widget_controls_and_labels_fit():
    widget = trajectory_widget()
    controls = widget.children[:8]
    assert [c.description for c in controls] == [
        "optimizer", "lr η", "compare with", "its lr η", "surface", "momentum μ", "β₁", "β₂"]
    assert all(c.style.description_width == "initial" for c in controls)
    assert controls[LR].min == -4 and controls[LR].max == 0.5  # a log slider: exponents of 10
    assert controls[VERSUS].options == (NONE, *CHOICES)


def test_widget_starts_on_adam_against_gd_without_the_momentum_slider():
    widget = trajectory_widget()
    children = widget.children
    assert children[OPTIMIZER].value == "Adam" and children[VERSUS].value == "GD"
    assert not shown(children[MOMENTUM])
    assert children[MOMENTUM].layout.display == "none" and children[MOMENTUM].disabled
    assert shown(children[BETA1]) and shown(children[BETA2]) and shown(children[VERSUS_LR])
    assert widget.result[1].get_title() == \
        "Adam(lr=0.1, betas=(0.9, 0.999))\nvs GD(lr=0.075)"


def test_a_hidden_slider_changes_nothing_and_a_shown_one_does():
    """The issue: starting on Adam, "momentum μ" left the plot identical."""
    widget = trajectory_widget()
    before = path_of(widget.result, "Adam")
    widget.children[MOMENTUM].value = 0.3  # hidden: Adam and GD have no μ
    np.testing.assert_array_equal(path_of(widget.result, "Adam"), before)
    widget.children[BETA1].value = 0.5  # shown: Adam's β₁
    np.testing.assert_allclose(path_of(widget.result, "Adam"),
                               trajectory("Adam", "bowl", lr=0.1, betas=(0.5, 0.999)))
    assert not np.allclose(path_of(widget.result, "Adam"), before)


def test_choosing_optimizers_shows_exactly_their_sliders():
    widget = trajectory_widget()
    children = widget.children
    children[VERSUS].value = NONE
    children[OPTIMIZER].value = "GD"
    assert not any(shown(children[i]) for i in (MOMENTUM, BETA1, BETA2, VERSUS_LR))
    assert [line.get_label() for line in widget.result[0].lines if line.get_label()[0] != "_"] \
        == ["GD"]
    children[OPTIMIZER].value = "Nesterov"
    assert shown(children[MOMENTUM]) and not shown(children[BETA1])
    assert not shown(children[BETA2])
    children[OPTIMIZER].value = "RMSprop"
    assert shown(children[BETA2]) and not shown(children[BETA1])
    assert not shown(children[MOMENTUM])
    assert children[BETA2].description == "RMSprop α"
    children[BETA2].value = 0.9
    assert widget.result[1].get_title() == "RMSprop(lr=0.1, alpha=0.9)"
    children[VERSUS].value = "AdamW"
    assert children[BETA2].description == "β₂ (RMSprop: α)"
    assert shown(children[BETA1]) and shown(children[VERSUS_LR])
    children[VERSUS].value = "SGD+momentum"
    assert shown(children[MOMENTUM]) and not shown(children[BETA1])


def test_two_optimizers_each_with_their_own_learning_rate():
    widget = trajectory_widget()
    children = widget.children
    children[SURFACE].value = "rosenbrock"
    children[OPTIMIZER].value = "SGD+momentum"
    children[LR].value = 0.001
    children[MOMENTUM].value = 0.5
    children[VERSUS].value = "Adam"
    children[VERSUS_LR].value = 0.1
    np.testing.assert_allclose(path_of(widget.result, "SGD+momentum"),
                               trajectory("SGD", "rosenbrock", lr=0.001, momentum=0.5))
    np.testing.assert_allclose(path_of(widget.result, "Adam"),
                               trajectory("Adam", "rosenbrock", lr=0.1))
    assert widget.result[1].get_title() == \
        "SGD(lr=0.001, momentum=0.5)\nvs Adam(lr=0.1, betas=(0.9, 0.999))"
    assert_readable(widget.result[0].figure)


def test_the_same_optimizer_twice_is_told_apart():
    widget = trajectory_widget()
    widget.children[VERSUS].value = "Adam"
    widget.children[VERSUS_LR].value = 10 ** -0.5
    first, second = (path_of(widget.result, label)
                     for label in ("Adam, η = 0.1", "Adam, η = 0.316"))
    np.testing.assert_allclose(second, trajectory("Adam", "bowl", lr=10 ** -0.5))
    colors = {line.get_label(): line.get_color() for line in widget.result[0].lines}
    assert colors["Adam, η = 0.1"] != colors["Adam, η = 0.316"]
    assert not np.allclose(first, second)


def test_widget_explains_nesterov_without_momentum():
    widget = trajectory_widget()
    widget.children[MOMENTUM].value = 0.0
    widget.children[OPTIMIZER].value = "Nesterov"
    assert widget.result == "Nesterov needs a momentum > 0, got momentum=0"


# --------------------------------------------------------------------------- the Try-it answers

def on_slider(lr):
    """The widget's log slider steps by 10^(1/8): the value it shows nearest to `lr`."""
    return 10 ** (np.round(np.log10(lr) * 8) / 8)


def test_try_it_1_gd_on_the_bowl_around_two_twentieths():
    below, at, above = (trajectory("GD", "bowl", lr=on_slider(lr)) for lr in (0.075, 0.1, 0.133))
    assert exit_step(below, "bowl") is None and path_losses(below, "bowl")[-1] < 1e-3
    assert exit_step(at, "bowl") is None
    np.testing.assert_allclose(np.abs(at[:, 1]), 1.5)  # y jumps between ±1.5 for ever
    assert path_losses(at, "bowl").min() >= 22.5
    assert exit_step(above, "bowl") == 1 and above[1, 1] == pytest.approx(-2.5, abs=0.01)


def test_try_it_2_momentum_on_the_bowl():
    final = {mu: path_losses(trajectory("SGD", "bowl", lr=on_slider(0.03), momentum=mu),
                             "bowl")[-1] for mu in (0.0, 0.5, 0.9, 0.99)}
    assert min(final, key=final.get) == 0.5
    assert f"{final[0.0]:.2f}" == "0.17" and f"{final[0.5]:.3f}" == "0.002"
    assert f"{final[0.9]:.2f}" == "0.04" and 8 < final[0.99] < 10


def test_try_it_3_largest_learning_rates_on_rosenbrock():
    grid = 10 ** (np.arange(-32, 5) / 8)  # every position of the slider

    def stays(name, lr, **kw):
        return exit_step(trajectory(name, "rosenbrock", lr=lr, **kw), "rosenbrock") is None

    gd_ok = [lr for lr in grid if stays("GD", lr)]
    assert f"{max(gd_ok):.2g}" == "0.0056" and not stays("GD", on_slider(0.0075))
    assert exit_step(trajectory("GD", "rosenbrock", lr=on_slider(0.0075)), "rosenbrock") == 2
    adam_first_exit = next(lr for lr in grid if not stays("Adam", lr))
    assert f"{adam_first_exit:.2g}" == "1" and stays("Adam", on_slider(0.75))
    assert on_slider(0.75) / max(gd_ok) > 100
    assert 200 < np.linalg.norm(SURFACES["rosenbrock"].gradient(
        np.array(SURFACES["rosenbrock"].start))) < 250
    with_momentum, without = (path_losses(trajectory("Adam", "rosenbrock", lr=0.1,
                                                     betas=(b1, 0.999)), "rosenbrock")[-1]
                              for b1 in (0.9, 0.0))
    assert f"{without:.2f}" == "0.67" and f"{with_momentum:.3f}" == "0.016"


def test_try_it_4_rmsprop_on_the_saddle():
    escapes = {label: exit_step(path, "saddle") for label, path in paths_for("saddle").items()}
    assert min(escapes, key=escapes.get) == "RMSprop" and escapes["RMSprop"] == 5
    assert exit_step(trajectory("RMSprop", "saddle", lr=0.1), "saddle") == 2
    for alpha, first, steps in ((0.99, 10.0, 5), (0.9, 3.2, 21), (0.5, 1.4, 37)):
        path = trajectory("RMSprop", "saddle", lr=0.05, alpha=alpha)
        np.testing.assert_allclose(np.abs(path[1] - path[0]) / 0.05, first, rtol=0.02)
        assert exit_step(path, "saddle") == steps


# --------------------------------------------------------------------------- digits

def test_compare_on_digits_same_start_seeds_and_table(small_split):
    runs = {"GD (full batch)": DIGITS_RUNS["GD (full batch)"], "Adam": DIGITS_RUNS["Adam"]}
    results = compare_on_digits(runs, epochs=2, split=small_split, seeds=(0, 1))
    assert list(results) == list(runs)
    gd, adam = results.values()
    assert gd.steps == 2 and adam.steps == 2 * 10  # 300 examples in batches of 32
    assert gd.train_losses.shape == adam.train_losses.shape == (2, 2)  # (seeds, epochs)
    assert gd.seeds == (0, 1) and len(adam.val_accuracies) == 2
    assert not np.allclose(adam.train_losses[0], adam.train_losses[1])  # seeds differ
    assert adam.train_losses[:, -1].max() < gd.train_losses[:, -1].min()
    assert adam.val_accuracy == pytest.approx(np.mean(adam.val_accuracies))
    table = results_table(results).splitlines()
    assert table[0].split() == ["optimizer", "settings", "steps", "loss,", "epoch", "1",
                                "final", "loss", "val", "accuracy"]
    assert table[1].startswith("GD (full batch)  GD(lr=1)") and " ± " in table[1]
    ax = plot_training_curves(results)
    assert [line.get_label().split(":")[0] for line in ax.lines] == list(runs)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), adam.train_losses.mean(axis=0))
    assert_readable(ax.figure)


def test_a_seed_reproduces_its_run(small_split):
    runs = {"Adam": DIGITS_RUNS["Adam"]}
    first = compare_on_digits(runs, epochs=1, split=small_split, seeds=(3,))["Adam"]
    again = compare_on_digits(runs, epochs=1, split=small_split, seeds=(3,))["Adam"]
    assert first.val_accuracies == again.val_accuracies
    np.testing.assert_array_equal(first.train_losses, again.train_losses)


def test_lr_sweep_records_divergence_crawling_and_validation(small_split):
    points = lr_sweep("SGD", [1e-5, 0.1, 1e10], epochs=2, split=small_split, seeds=(0, 1))
    crawl, good, diverged = points
    assert crawl.final_loss > 2.0 and good.final_loss < crawl.final_loss
    assert not crawl.diverged and not good.diverged
    assert good.val_accuracy > crawl.val_accuracy and len(good.val_accuracies) == 2
    assert diverged.diverged and diverged.final_loss is None
    assert diverged.errors[0].startswith("training diverged at epoch")
    loss_ax, acc_ax = plot_lr_sweep({"SGD": points})
    xs, ys = loss_ax.lines[1].get_data()  # the × markers
    assert list(xs) == [1e10] and list(ys) == [DIVERGED_LOSS]
    assert acc_ax.get_ylabel() == "validation accuracy"
    assert_readable(loss_ax.figure)


def test_a_huge_but_finite_loss_counts_as_diverged(small_split):
    point = lr_sweep("SGD", [3.0], epochs=3, split=small_split, seeds=(0,))[0]
    assert point.diverged
    assert point.final_loss is None or point.final_loss > DIVERGED_LOSS


def test_every_digits_run_names_a_real_optimizer():
    for name, hyperparams, batch_size in DIGITS_RUNS.values():
        assert name in OPTIMIZERS and "lr" in hyperparams
        assert batch_size is None or batch_size > 0
