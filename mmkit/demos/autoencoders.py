"""Notebook 05's pictures and widgets: what an autoencoder keeps, and what it can repair.

The models, their training and the numbers (reconstruction error, PSNR,
imputation) live in `mmkit.models.autoencoder`; this module only draws them
and wires the two widgets:

    plot_error_vs_latent(...)       validation error against the latent size: PCA, autoencoders
    plot_validation_curves(...)     validation error per epoch, mean ± std over seeds
    plot_rows(rows)                 rows of digits with labels (reconstructions, noise, samples)
    plot_latent_space(latents, ...) the 2-D codes, coloured by digit, with a colour bar
    show_latent_point(...)          a point of the latent plane and the digit decoded there
    latent_explorer(...)            the same, behind two sliders
    denoising_view(...)             clean / noisy / denoised digits at one noise level
    noise_widget(...)               the same, behind a noise-level slider
    plot_psnr_by_noise_level(...)   PSNR before and after denoising, against the noise level
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.axes import Axes

from mmkit.demos.plotting import plot_digit_grid, show_image
from mmkit.models.autoencoder import (
    IMAGE_SIDE,
    add_noise,
    check_images,
    decode,
    psnr,
    reconstruct,
)

SLIDER = dict(continuous_update=False, style={"description_width": "initial"})
DIGIT_COLORS = "tab10"
MAX_HEIGHT = 3.5  # inches: the kit's figures stay small
MISSING_IN_RED = plt.get_cmap("gray_r").with_extremes(bad="tab:red")


def plot_error_vs_latent(pca_errors: Mapping[int, float],
                         models: Mapping[str, Mapping[int, Sequence[float]]],
                         ax: Axes | None = None) -> Axes:
    """Validation reconstruction error (MSE per pixel) against the latent size.

    pca_errors: {latent size: PCA's error}, drawn as a line; models: {name: {latent
    size: errors over seeds}}, each drawn as mean ± std (error bars). Log y-axis.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    sizes = sorted(pca_errors)
    ax.plot(sizes, [pca_errors[k] for k in sizes], "-", color="tab:gray", label="PCA")
    markers = iter(["o", "s", "^", "D"])
    for name, points in models.items():
        ks = sorted(points)
        means = [np.mean(points[k]) for k in ks]
        stds = [np.std(points[k], ddof=1) if len(points[k]) > 1 else 0.0 for k in ks]
        seeds = len(next(iter(points.values())))
        ax.errorbar(ks, means, yerr=stds, fmt=next(markers), ms=7, capsize=3,
                    label=f"{name} ({seeds} seed{'s' if seeds > 1 else ''})")
    ax.set_yscale("log")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(k) for k in sizes])
    ax.set(xlabel="latent size (numbers kept per image)",
           ylabel="validation MSE per pixel", title="Reconstruction error on validation")
    ax.legend()
    return ax


def plot_validation_curves(epochs: Sequence[int], curves: np.ndarray, pca_error: float,
                           chosen: int | None = None, label: str = "autoencoder",
                           ax: Axes | None = None) -> Axes:
    """Validation error per epoch: mean over seeds (line) ± one std (band).

    epochs (E,): where the errors were measured; curves (S, E): one row per seed;
    pca_error: PCA's error at the same latent size (dashed); chosen: an epoch to mark.
    """
    curves = np.asarray(curves, dtype=float)
    if curves.ndim != 2 or curves.shape[1] != len(epochs):
        raise ValueError(f"curves: expected shape (seeds, {len(epochs)}), got {curves.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    mean = curves.mean(axis=0)
    std = curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(mean)
    ax.plot(epochs, mean, "o-", color="tab:blue", label=f"{label} ({len(curves)} seeds)")
    ax.fill_between(epochs, mean - std, mean + std, color="tab:blue", alpha=0.25, lw=0)
    ax.axhline(pca_error, color="tab:gray", ls="--", label="PCA, same latent size")
    if chosen is not None:
        ax.axvline(chosen, color="tab:red", ls=":", label=f"chosen: {chosen} epochs")
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="validation MSE per pixel",
           title="Validation error while training")
    ax.legend()
    return ax


def plot_rows(rows: Mapping[str, np.ndarray], titles: Sequence[str] | None = None,
              cell_inches: float | None = None) -> np.ndarray:
    """Rows of digits, one row per entry: {row label: images (C, 64)} → Axes (R, C).

    Every row must hold the same number C of images; pixel values in [0, 1]
    (white 0 to black 1; values outside are clipped by the colour scale); NaN
    marks a missing pixel, drawn in red. The labels stand left of the rows;
    cell_inches: the size of one image (default: at most 0.9, and small enough
    for the figure to stay within 3.5 inches of height).
    """
    images = [np.asarray(value, dtype=float) for value in rows.values()]
    counts = {len(value) for value in images}
    if len(counts) != 1:
        raise ValueError(f"plot_rows: every row needs the same number of images, got "
                         f"{[len(value) for value in images]}")
    grid = np.stack([value.reshape(len(value), IMAGE_SIDE, IMAGE_SIDE) for value in images])
    if cell_inches is None:
        cell_inches = min(0.9, (MAX_HEIGHT - 0.3) / len(grid))
    axes = plot_digit_grid(grid, column_titles=titles, row_labels=list(rows),
                           cell_inches=cell_inches, cmap=MISSING_IN_RED)
    for ax in axes[:, 0]:
        ax.yaxis.label.set(rotation=0, horizontalalignment="right", verticalalignment="center")
    return axes


def plot_latent_space(latents: np.ndarray, labels: np.ndarray, ax: Axes | None = None,
                      title: str = "Latent space (validation digits)",
                      colorbar: bool = True) -> Axes:
    """Scatter the 2-D codes (N, 2), coloured by their digit labels (N,), with a colour bar."""
    latents = np.asarray(latents, dtype=float)
    if latents.ndim != 2 or latents.shape[1] != 2:
        raise ValueError(f"latents: expected shape (N, 2), got {latents.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 3.5))
    points = ax.scatter(latents[:, 0], latents[:, 1], c=labels, cmap=DIGIT_COLORS, s=9,
                        vmin=-0.5, vmax=9.5, alpha=0.8)
    if colorbar:
        bar = ax.figure.colorbar(points, ax=ax, ticks=range(10))
        bar.set_label("digit")
    ax.set(xlabel="z₁", ylabel="z₂", title=title)
    return ax


def show_latent_point(model, z1: float, z2: float, latents: np.ndarray, labels: np.ndarray,
                      axes: np.ndarray | None = None) -> np.ndarray:
    """Left: the latent plane with the point (z1, z2) starred; right: the digit decoded there.

    model: a trained autoencoder with a 2-D latent; latents (N, 2), labels (N,): the
    codes of some images and their digits, for orientation. → the two Axes (2,).
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7, 3.3), width_ratios=(1.5, 1))
    plot_latent_space(latents, labels, ax=axes[0], title="Latent plane")
    axes[0].plot([z1], [z2], "*", color="black", ms=16, mec="white")
    image = decode(model, np.array([z1, z2], dtype=np.float32))[0]
    show_image(axes[1], image.reshape(IMAGE_SIDE, IMAGE_SIDE), vmin=0, vmax=1)
    axes[1].set_title(f"decoded at ({z1:.1f}, {z2:.1f})")
    return axes


def latent_explorer(model, latents: np.ndarray, labels: np.ndarray) -> widgets.interactive:
    """Two sliders (z₁, z₂) over the range of `latents` (and at least −1 to 1), starting at
    the origin, driving `show_latent_point`.

    children: [z₁, z₂, output]; `.result` holds the latest two Axes (the decoded
    image is `result[1].images[0]`). Decoding one point is instant: no training here.
    """
    latents = np.asarray(latents, dtype=float)
    low = np.minimum(np.floor(latents.min(axis=0) * 2) / 2, -1.0)  # the origin always inside
    high = np.maximum(np.ceil(latents.max(axis=0) * 2) / 2, 1.0)
    z1 = widgets.FloatSlider(value=0.0, min=low[0], max=high[0], step=0.1, description="z₁",
                             **SLIDER)
    z2 = widgets.FloatSlider(value=0.0, min=low[1], max=high[1], step=0.1, description="z₂",
                             **SLIDER)

    def show(z1: float, z2: float) -> np.ndarray:
        axes = show_latent_point(model, z1, z2, latents, labels)
        display(axes[0].figure)
        plt.close(axes[0].figure)
        return axes

    return widgets.interactive(show, z1=z1, z2=z2)


@dataclass
class DenoisingView:
    """What `denoising_view` drew: the Axes (3, C), and the PSNR (dB) of the noisy and the
    denoised images against the clean ones, over every image passed in."""

    axes: np.ndarray
    noisy_db: float
    denoised_db: float


def denoising_view(model, images: np.ndarray, noise_level: float, seed: int = 0,
                   shown: int = 8) -> DenoisingView:
    """Rows clean / noisy / denoised for the first `shown` of images (N, 64) in [0, 1].

    The noise: `add_noise(images, noise_level, seed)`; the PSNRs in the title are
    over all N images.
    """
    clean = check_images(images).numpy()
    noisy = add_noise(clean, noise_level, seed=seed)
    denoised = reconstruct(model, noisy)
    view = DenoisingView(axes=np.empty(0), noisy_db=psnr(clean, noisy),
                         denoised_db=psnr(clean, denoised))
    view.axes = plot_rows({"clean": clean[:shown], "noisy": noisy[:shown],
                           "denoised": denoised[:shown]})
    view.axes[0, 0].figure.suptitle(
        f"noise σ = {noise_level:.2f}: PSNR {view.noisy_db:.1f} dB noisy → "
        f"{view.denoised_db:.1f} dB denoised ({len(clean)} digits)", fontsize=11)
    return view


def noise_widget(model, images: np.ndarray, value: float = 0.3) -> widgets.interactive:
    """A noise-level slider (σ from 0 to 0.8) driving `denoising_view`.

    children: [σ, output]; `.result` holds the latest `DenoisingView`. One forward
    pass per move: fast enough without precomputing.
    """
    level = widgets.FloatSlider(value=value, min=0.0, max=0.8, step=0.05,
                                description="noise σ", **SLIDER)

    def show(noise_level: float) -> DenoisingView:
        view = denoising_view(model, images, noise_level)
        figure = view.axes[0, 0].figure
        display(figure)
        plt.close(figure)
        return view

    return widgets.interactive(show, noise_level=level)


def plot_psnr_by_noise_level(levels: Sequence[float], noisy_db: Sequence[float],
                             denoised_db: Sequence[float], trained_level: float | None = None,
                             ax: Axes | None = None) -> Axes:
    """PSNR of the noisy and of the denoised images against the noise level σ (dB)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    levels = np.asarray(levels, dtype=float)
    ax.plot(levels, noisy_db, "o-", color="tab:gray", label="noisy input")
    ax.plot(levels, denoised_db, "o-", color="tab:green", label="denoised")
    if trained_level is not None:
        ax.axvline(trained_level, color="tab:red", ls=":",
                   label=f"trained at σ = {trained_level:g}")
    ax.set(xlabel="noise σ", ylabel="PSNR (dB, higher is better)",
           title="Denoising helps where the noise is strong")
    ax.legend()
    return ax
