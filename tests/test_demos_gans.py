"""Notebook 06's pictures and widgets: they show what the model computed, and stay readable."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.data.digits import load_digits_split
from mmkit.demos.gans import (
    RING_SETTINGS,
    SNAPSHOT_EVERY,
    coverage_table,
    interpolation_widget,
    plot_digit_snapshots,
    plot_digits_by_class,
    plot_gan_losses,
    plot_generator_gradients,
    plot_interpolation,
    plot_ring,
    plot_ring_snapshots,
    run_ring_settings,
    saturation_experiment,
    snapshot_at,
    snapshot_widget,
)
from mmkit.models.gan import (
    DIGITS,
    GAN,
    RING,
    digits_data,
    interpolate,
    latents,
    mode_coverage,
    train_digit_classifier,
    train_gan,
)


def assert_readable(figure):
    """No text under 10 pt, and at most about 9 × 3.5 inches."""
    small = [(t.get_text(), t.get_fontsize()) for t in figure.findobj(plt.Text)
             if t.get_text().strip() and t.get_visible() and t.get_fontsize() < 10]
    assert not small, small
    width, height = figure.get_size_inches()
    assert width <= 9.0 and height <= 3.5


@pytest.fixture(scope="module")
def runs():
    """Both ring settings, one seed, 10 epochs: snapshots at epochs 0, 5 and 10."""
    return run_ring_settings(seeds=(0,), epochs=10)


@pytest.fixture(scope="module")
def judge():
    split = load_digits_split(standardized=False)
    classifier, _ = train_digit_classifier(digits_data(split.X_train), split.y_train,
                                           digits_data(split.X_val), split.y_val, epochs=5)
    return classifier, digits_data(split.X_val).numpy(), split.y_val


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- losses

def test_generator_gradients_are_d_and_one_minus_d():
    left, right = plot_generator_gradients()
    saturating, non_saturating = right.get_lines()
    d = saturating.get_xdata()
    np.testing.assert_allclose(saturating.get_ydata(), d)
    np.testing.assert_allclose(non_saturating.get_ydata(), 1 - d)
    np.testing.assert_allclose(left.get_lines()[1].get_ydata(), -np.log(d))
    assert_readable(left.figure)


def test_saturation_experiment_reports_each_seed_and_loss():
    result = saturation_experiment(d_epochs=10, seeds=(0, 1))
    assert result.fake_scores.shape == (2,) and result.fake_scores.max() < 0.05
    assert set(result.gradient_norms) == {"non-saturating", "saturating"}
    assert (result.gradient_norms["non-saturating"] >
            20 * result.gradient_norms["saturating"]).all()


# --------------------------------------------------------------------------- the ring

def test_run_ring_settings_keeps_every_snapshot(runs):
    assert list(runs) == list(RING_SETTINGS)
    run = runs["balanced"]
    assert run.config == RING and run.seeds == (0,)
    assert [epoch for epoch, _ in run.histories[0].snapshots] == [0, SNAPSHOT_EVERY, 10]
    np.testing.assert_array_equal(snapshot_at(run.histories[0], 10),
                                  run.gans[0].generate(latents(500, 2, 1234)))
    with pytest.raises(ValueError, match=r"epoch: expected one of the snapshots' epochs "
                                         r"\[0, 5, 10\], got 7"):
        snapshot_at(run.histories[0], 7)


def test_coverage_table_has_one_row_per_setting(runs):
    table = coverage_table(runs).splitlines()
    assert table[0].split()[:3] == ["setting", "lr", "G"]
    assert table[1].startswith("balanced") and "2e-03  2e-03" in table[1]
    assert table[2].startswith("G 10× faster") and "1e-02  1e-03" in table[2]
    covered = runs["balanced"].coverages()[0].covered
    assert f"{covered:.1f} ± 0.0" in table[1]


def test_plot_ring_draws_the_samples_and_the_modes():
    samples = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    ax = plot_ring(samples)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), samples)
    assert len(ax.patches) == 8
    assert mode_coverage(samples).covered == 2 and ax.get_title() == "2/8 modes"
    assert plot_ring(samples, title="mine").get_title() == "mine"


def test_ring_snapshots_and_losses(runs):
    history = runs["balanced"].histories[0]
    axes = plot_ring_snapshots(history, epochs=(0, 5, 10))
    assert [ax.get_title().split(":")[0] for ax in axes] == ["epoch 0", "epoch 5", "epoch 10"]
    np.testing.assert_allclose(axes[2].collections[0].get_offsets(), snapshot_at(history, 10))
    assert list(axes[0].get_yticks()) == [-2, 0, 2] and list(axes[1].get_yticks()) == []
    assert_readable(axes[0].figure)
    ax = plot_gan_losses(history)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["discriminator"].get_ydata(), history["discriminator"])
    np.testing.assert_allclose(lines["generator"].get_ydata(), history["generator"])
    assert_readable(ax.figure)


def test_snapshot_widget_steps_through_the_precomputed_snapshots(runs):
    widget = snapshot_widget(runs)
    setting, epoch = widget.children[:2]
    assert setting.options == tuple(RING_SETTINGS) and epoch.options == (0, 5, 10)
    assert all(c.style.description_width == "initial" for c in (setting, epoch))
    assert epoch.continuous_update is False
    epoch.value = 10
    collapsed = runs["G 10× faster"].histories[0]
    np.testing.assert_allclose(widget.result.collections[0].get_offsets(),
                               snapshot_at(runs["balanced"].histories[0], 10))
    assert widget.result.get_title().startswith("balanced, epoch 10:")
    setting.value = "G 10× faster"
    np.testing.assert_allclose(widget.result.collections[0].get_offsets(),
                               snapshot_at(collapsed, 10))
    coverage = mode_coverage(snapshot_at(collapsed, 10))
    assert widget.result.get_title() == (f"G 10× faster, epoch 10: {coverage.covered}/8 modes, "
                                         f"{coverage.off_mode_share:.0%} off-mode")


# --------------------------------------------------------------------------- digits

def test_digits_by_class_sorts_by_the_judges_verdict(judge):
    classifier, images, _ = judge
    axes = plot_digits_by_class(images[:200], classifier, per_class=3)
    assert axes.shape == (3, 10)
    predicted = classifier.probabilities(images[:200]).argmax(axis=1)
    counts = np.bincount(predicted, minlength=10)
    assert [ax.get_title() for ax in axes[0]] == [f"{d}: {counts[d]}" for d in range(10)]
    shown = axes[0, 3].get_images()[0].get_array().reshape(1, 64)
    assert classifier.probabilities(shown).argmax() == 3
    assert_readable(axes[0, 0].figure)


def test_digit_snapshots_show_rows_of_epochs():
    gan = GAN(DIGITS, seed=0)
    split = load_digits_split(standardized=False)
    history = train_gan(gan, digits_data(split.X_train[:128]), epochs=2, seed=0,
                        snapshot_latents=latents(12, 16), snapshot_every=1)
    axes = plot_digit_snapshots(history, [0, 2], columns=5)
    assert axes.shape == (2, 5)
    assert [axes[r, 0].get_ylabel() for r in range(2)] == ["epoch 0", "epoch 2"]
    np.testing.assert_allclose(axes[1, 4].get_images()[0].get_array(),
                               gan.generate(latents(12, 16))[4].reshape(8, 8))
    with pytest.raises(ValueError, match=r"got \[5\]"):
        plot_digit_snapshots(history, [0, 5])


def test_interpolation_plot_and_widget_decode_the_line(judge):
    classifier = judge[0]
    gan = GAN(DIGITS, seed=0)
    z0, z1 = latents(2, 16, seed=3)
    axes = plot_interpolation(gan, z0, z1, classifier, steps=5)
    assert len(axes) == 5 and axes[0].get_title().startswith("t=0\n")
    np.testing.assert_allclose(axes[2].get_images()[0].get_array(),  # batched: last bits
                               gan.generate(interpolate(z0, z1, 0.5)[None])[0].reshape(8, 8),
                               atol=1e-6)
    assert_readable(axes[0].figure)

    widget = interpolation_widget(gan, z0, z1, classifier)
    t = widget.children[0]
    assert (t.min, t.max, t.value, t.continuous_update) == (0.0, 1.0, 0.0, False)
    t.value = 0.75
    image = gan.generate(interpolate(z0, z1, 0.75)[None])[0]
    np.testing.assert_allclose(widget.result.get_images()[0].get_array(), image.reshape(8, 8))
    probabilities = classifier.probabilities(image[None])[0]
    assert widget.result.get_title() == (f"t = 0.75\nclassifier: {probabilities.argmax()} "
                                         f"({probabilities.max():.2f})")
    assert_readable(widget.result.figure)
    assert isinstance(z0, torch.Tensor)
