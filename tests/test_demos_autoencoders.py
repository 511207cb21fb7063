"""Notebook 05's pictures and widgets: readable figures, and sliders that change what is shown."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.data.digits import DIGIT_MAX, load_digits_split
from mmkit.demos.autoencoders import (
    DenoisingView,
    denoising_view,
    latent_explorer,
    noise_widget,
    plot_error_vs_latent,
    plot_latent_space,
    plot_psnr_by_noise_level,
    plot_rows,
    plot_validation_curves,
    show_latent_point,
)
from mmkit.models.autoencoder import (
    DenoisingAutoencoder,
    VariationalAutoencoder,
    add_noise,
    decode,
    encode,
    fit_autoencoder,
    psnr,
    reconstruct,
)


@pytest.fixture(scope="module")
def digits():
    split = load_digits_split(standardized=False)
    return split.X_train[:300] / DIGIT_MAX, split.X_val[:80] / DIGIT_MAX, split.y_val[:80]


@pytest.fixture(scope="module")
def vae(digits):
    torch.manual_seed(0)
    model = VariationalAutoencoder(latent=2)
    fit_autoencoder(model, digits[0], epochs=3)
    return model


@pytest.fixture(scope="module")
def denoiser(digits):
    torch.manual_seed(0)
    model = DenoisingAutoencoder(latent=8, noise_level=0.3)
    fit_autoencoder(model, digits[0], epochs=3)
    return model


def texts(figure):
    return [t for t in figure.findobj(plt.Text) if t.get_text().strip() and t.get_visible()]


def assert_readable(figure):
    """No text under 10 pt, and at most about 9 × 3.5 inches."""
    small = [(t.get_text(), t.get_fontsize()) for t in texts(figure) if t.get_fontsize() < 10]
    assert not small, small
    width, height = figure.get_size_inches()
    assert width <= 9.0 and height <= 3.5


# --- static pictures ----------------------------------------------------------------------------

def test_error_vs_latent_draws_pca_and_each_model_with_its_spread():
    ax = plot_error_vs_latent({1: 0.06, 2: 0.05, 8: 0.02},
                              {"ReLU": {2: [0.04, 0.041, 0.039], 8: [0.014, 0.015, 0.013]},
                               "linear": {8: [0.025]}})
    assert_readable(ax.figure)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["PCA", "ReLU (3 seeds)", "linear (1 seed)"]
    assert ax.get_yscale() == "log"


def test_validation_curves_mark_the_chosen_epoch_and_check_shapes():
    ax = plot_validation_curves([10, 20, 30], np.array([[3, 2, 1.5], [3.2, 2.1, 1.4]]) / 100,
                                pca_error=0.025, chosen=30)
    assert_readable(ax.figure)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "chosen: 30 epochs" in labels and "autoencoder (2 seeds)" in labels
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.031, 0.0205, 0.0145])
    with pytest.raises(ValueError, match=r"expected shape \(seeds, 3\), got \(2, 2\)"):
        plot_validation_curves([10, 20, 30], np.ones((2, 2)), 0.02)


def test_plot_rows_labels_rows_and_marks_missing_pixels_in_red():
    images = np.random.default_rng(0).random((8, 64))
    missing = images.copy()
    missing[:, :10] = np.nan
    axes = plot_rows({"original": images, "known\n(red: missing)": missing, "third": images,
                      "fourth": images})
    assert axes.shape == (4, 8)
    assert_readable(axes[0, 0].figure)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["original", "known\n(red: missing)",
                                                      "third", "fourth"]
    shown = axes[1, 0].images[0]
    assert np.isnan(shown.get_array().filled(np.nan)[0, 0])
    red = plt.matplotlib.colors.to_rgba("tab:red")
    assert shown.cmap.get_bad().tolist() == pytest.approx(list(red))
    with pytest.raises(ValueError, match=r"the same number of images, got \[8, 3\]"):
        plot_rows({"a": images, "b": images[:3]})


def test_latent_space_has_a_colour_bar_for_the_digits(digits, vae):
    codes = encode(vae, digits[1])
    ax = plot_latent_space(codes, digits[2])
    assert_readable(ax.figure)
    bar = ax.figure.axes[-1]
    assert bar.get_ylabel() == "digit"
    assert [int(float(t.get_text().replace("−", "-"))) for t in bar.get_yticklabels()] == \
        list(range(10))
    with pytest.raises(ValueError, match=r"expected shape \(N, 2\), got \(80, 3\)"):
        plot_latent_space(np.zeros((80, 3)), digits[2])


def test_psnr_picture_shows_both_curves():
    ax = plot_psnr_by_noise_level([0.1, 0.2], [20, 14], [18, 17], trained_level=0.3)
    assert_readable(ax.figure)
    assert [line.get_label() for line in ax.lines[:2]] == ["noisy input", "denoised"]


# --- the latent-space explorer ------------------------------------------------------------------

def test_show_latent_point_draws_the_decoded_digit_and_the_star(digits, vae):
    codes = encode(vae, digits[1])
    axes = show_latent_point(vae, 0.5, -1.0, codes, digits[2])
    assert_readable(axes[0].figure)
    np.testing.assert_allclose(axes[1].images[0].get_array(),
                               decode(vae, [0.5, -1.0])[0].reshape(8, 8))
    star = axes[0].lines[-1]
    assert star.get_marker() == "*" and list(star.get_xdata()) == [0.5]
    assert axes[1].get_title() == "decoded at (0.5, -1.0)"


def test_latent_explorer_redraws_the_digit_when_a_slider_moves(digits, vae):
    codes = encode(vae, digits[1])
    widget = latent_explorer(vae, codes, digits[2])
    z1, z2 = widget.children[:2]
    assert [z1.description, z2.description] == ["z₁", "z₂"]
    assert all(s.style.description_width == "initial" and not s.continuous_update
               for s in (z1, z2))
    assert z1.min <= codes[:, 0].min() and z1.max >= codes[:, 0].max()
    assert z1.value == z2.value == 0.0  # the origin, where the prior is densest
    before = widget.result[1].images[0].get_array().copy()
    z1.value = round(z1.max - 0.5, 1)
    after = widget.result[1].images[0].get_array()
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, decode(vae, [z1.value, z2.value])[0].reshape(8, 8))
    z2.value = round(z2.min + 0.5, 1)
    assert widget.result[1].get_title() == f"decoded at ({z1.value:.1f}, {z2.value:.1f})"


# --- denoising ----------------------------------------------------------------------------------

def test_denoising_view_shows_clean_noisy_denoised_and_their_psnr(digits, denoiser):
    view = denoising_view(denoiser, digits[1], 0.4, shown=6)
    assert isinstance(view, DenoisingView) and view.axes.shape == (3, 6)
    assert_readable(view.axes[0, 0].figure)
    noisy = add_noise(digits[1], 0.4, seed=0)
    assert view.noisy_db == pytest.approx(psnr(digits[1], noisy))
    assert view.denoised_db == pytest.approx(psnr(digits[1], reconstruct(denoiser, noisy)))
    np.testing.assert_allclose(view.axes[1, 0].images[0].get_array(), noisy[0].reshape(8, 8))
    assert f"{view.noisy_db:.1f} dB noisy" in view.axes[0, 0].figure.texts[0].get_text()


def test_noise_widget_adds_more_noise_as_the_slider_moves(digits, denoiser):
    widget = noise_widget(denoiser, digits[1])
    level = widget.children[0]
    assert level.description == "noise σ" and level.value == 0.3 and not level.continuous_update
    assert level.style.description_width == "initial"
    before = widget.result
    noisy_before = before.axes[1, 0].images[0].get_array().copy()
    level.value = 0.7
    after = widget.result
    assert after.noisy_db < before.noisy_db - 3  # more noise: a lower PSNR
    assert not np.allclose(after.axes[1, 0].images[0].get_array(), noisy_before)
    assert "σ = 0.70" in after.axes[0, 0].figure.texts[0].get_text()
    level.value = 0.0  # no noise: the noisy row is the clean one
    np.testing.assert_allclose(widget.result.axes[1, 0].images[0].get_array(),
                               widget.result.axes[0, 0].images[0].get_array())
