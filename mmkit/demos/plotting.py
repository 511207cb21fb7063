"""Plots shared by several notebooks: one way to draw a grid of digit images.

    show_image        one image on an Axes: square pixels, no ticks, no grid
    plot_digit_grid   rows × columns of images, with column titles and row labels
"""

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage


def show_image(ax: Axes, image: np.ndarray, cmap: str = "gray_r", vmin: float | None = None,
               vmax: float | None = None) -> AxesImage:
    """Draw one image (H, W) on `ax`: each pixel a square, no ticks, no grid."""
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"show_image: expected one image of shape (H, W), got {image.shape}")
    shown = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    return shown


def plot_digit_grid(images: np.ndarray, column_titles: Sequence[str] | None = None,
                    row_labels: Sequence[str] | None = None, cmap: str = "gray_r",
                    vmin: float | None = 0.0, vmax: float | None = 1.0,
                    axes: np.ndarray | None = None, cell_inches: float = 1.2) -> np.ndarray:
    """A grid of images: images (R, C, H, W), or (C, H, W) for one row → Axes (R, C).

    Every image shares one colour scale (vmin to vmax, e.g. 0 white to 1 black;
    None: each image its own). column_titles: C strings over the top row;
    row_labels: R strings left of the first column. A new figure is
    `cell_inches` per image, at most 9 inches wide, unless `axes` is given.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"plot_digit_grid: expected images of shape (R, C, H, W) or "
                         f"(C, H, W), got {images.shape}")
    rows, columns = images.shape[:2]
    for name, given, size in (("column_titles", column_titles, columns),
                              ("row_labels", row_labels, rows)):
        if given is not None and len(given) != size:
            raise ValueError(f"plot_digit_grid: {size} {name} expected, got {len(given)}")
    if axes is None:
        width = min(9.0, cell_inches * columns)
        scale = width / (cell_inches * columns)
        _, axes = plt.subplots(rows, columns, squeeze=False,
                               figsize=(width, scale * cell_inches * rows + 0.3))
    axes = np.asarray(axes).reshape(rows, columns)
    for r in range(rows):
        for c in range(columns):
            show_image(axes[r, c], images[r, c], cmap, vmin, vmax)
    for c, title in enumerate(column_titles or ()):
        axes[0, c].set_title(title)
    for r, label in enumerate(row_labels or ()):
        axes[r, 0].set_ylabel(label)
    return axes
