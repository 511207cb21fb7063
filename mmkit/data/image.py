"""Image preprocessing for the 8×8 digits: load, resize, normalise, pad, corrupt.

Images are batches of grey-scale arrays of shape (N, H, W), values in [0, 1]
when loaded. Every function checks its input (a ValueError names the expected
and the received shape; NaN or infinity raises NonFiniteError naming the
function) and returns a new array of the documented shape. The corruptions
(`add_noise`, `occlude`, `shift`) take a seed or a `np.random.Generator`, so
the same seed gives the same images; `low_rank` is deterministic.
"""

import functools

import numpy as np

from mmkit.data.digits import DIGIT_MAX, load_digits
from mmkit.validate import (
    as_float_array,
    check_count,
    check_finite,
    check_index_range,
    check_shape,
    default_rng,
)

Rng = np.random.Generator | int | None


def _images(images: object, function: str) -> np.ndarray:
    """A float (N, H, W) array of finite values, or an error naming `function`."""
    name = f"{function}(images)"
    array = check_shape(as_float_array(images, name), ("N", "H", "W"), name)
    return check_finite(array, name)


def _count(value: int, name: str, function: str, minimum: int = 0) -> int:
    return check_count(value, f"{function}: {name}", minimum)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """All digits scaled to [0, 1] as float32, cached read-only."""
    images, labels = load_digits()
    scaled = (images / DIGIT_MAX).astype(np.float32)
    scaled.flags.writeable = False
    return scaled, labels


def load_digit_images(indices: np.ndarray | list[int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten 8×8 digits (shipped with it: no download).

    indices: positions in `mmkit.data.digits.load_digits()` (as `samples.csv` stores them),
    or None for all → (images (N, 8, 8) float32 in [0, 1], labels (N,) int64 digits 0–9).
    """
    images, labels = _digits()
    if indices is None:
        return images.copy(), labels.copy()
    indices = np.asarray(indices)
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise ValueError(f"load_digit_images: indices must be integers of shape (N,), got "
                         f"{indices.dtype} {indices.shape}")
    check_index_range(indices, len(labels), "load_digit_images: indices", IndexError)
    return images[indices], labels[indices]


def resize(images: np.ndarray, size: int | tuple[int, int] = 28) -> np.ndarray:
    """Bilinear resize: images (N, H, W) → (N, size, size) float32 (or (N, h, w) for a pair).

    Uses `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`, the
    usual choice for enlarging the 8×8 digits to MNIST's 28×28. Resizing adds no
    information: a bigger picture, the same 64 numbers' worth of detail.
    """
    import torch

    array = _images(images, "resize")
    height, width = (size, size) if isinstance(size, int | np.integer) else size
    _count(height, "size", "resize", 1)
    _count(width, "size", "resize", 1)
    batch = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[:, None]
    out = torch.nn.functional.interpolate(batch, size=(int(height), int(width)),
                                          mode="bilinear", align_corners=False)
    return out[:, 0].numpy()


class ImageNormalizer:
    """Scale images to mean 0 and standard deviation 1 with the *training* split's statistics.

    `fit(train_images)` computes one mean and one standard deviation over all pixels of
    the training images (grey-scale: one channel, as torchvision's `Normalize` keeps one
    pair per channel); `transform` applies them to any split. Fitting on the validation or
    test images, or on all images, would let those splits leak into preprocessing: the
    model would be evaluated with knowledge of the very data it is tested on, and the
    score would no longer predict how it does on new images. Fit it on the images the
    model is trained on, as it sees them: `MMDigits` fits it on the *degraded* training
    images (noise and occlusion change the mean and spread of the pixels).
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.mean: float | None = None
        self.std: float | None = None

    def fit(self, train_images: np.ndarray) -> "ImageNormalizer":
        """Learn mean and std from train_images (N, H, W); returns self."""
        array = _images(train_images, "ImageNormalizer.fit")
        if array.size == 0:
            raise ValueError("ImageNormalizer.fit: no training images (got shape "
                             f"{array.shape})")
        self.mean = float(array.mean(dtype=np.float64))
        std = float(array.std(dtype=np.float64))
        self.std = std if std > self.eps else 1.0  # constant images are only centred
        return self

    def transform(self, images: np.ndarray) -> np.ndarray:
        """images (N, H, W) → (images − mean) / std, float32, with the fitted statistics."""
        if self.mean is None or self.std is None:
            raise RuntimeError("ImageNormalizer: call fit(train_images) before transform: "
                               "the statistics must come from the training split")
        array = _images(images, "ImageNormalizer.transform")
        return ((array - self.mean) / self.std).astype(np.float32)

    def fit_transform(self, train_images: np.ndarray) -> np.ndarray:
        """fit(train_images), then transform(train_images)."""
        return self.fit(train_images).transform(train_images)

    def __repr__(self) -> str:
        if self.mean is None:
            return "ImageNormalizer(not fitted)"
        return f"ImageNormalizer(mean={self.mean:.4f}, std={self.std:.4f})"


def pad(images: np.ndarray, width: int, value: float = 0.0) -> np.ndarray:
    """Add a border of `width` pixels of `value`: (N, H, W) → (N, H + 2·width, W + 2·width).

    The dtype is kept (float32 stays float32). `value` is in the images' own units: for
    raw images in [0, 1], 0 is blank paper (no ink); after normalisation, blank is
    (0 − mean) / std, and 0 is the training images' *mean* pixel, a mid grey. A
    convolution that pads its input with zeros (PyTorch's `Conv2d(padding=...)`) therefore
    frames a normalised image in that grey, not in blank paper.
    """
    array = _images(images, "pad")
    width = _count(width, "width", "pad")
    return np.pad(array, ((0, 0), (width, width), (width, width)), constant_values=value)


def add_noise(images: np.ndarray, std: float, rng: Rng = None) -> np.ndarray:
    """Add Gaussian noise of standard deviation `std` to every pixel (not clipped).

    images (N, H, W) → (N, H, W), same float dtype. rng: a Generator, a seed, or None.
    """
    array = _images(images, "add_noise")
    if not (np.isfinite(std) and std >= 0):
        raise ValueError(f"add_noise: std must be a non-negative number, got {std!r}")
    noise = default_rng(rng).normal(0.0, std, array.shape)
    return (array + noise).astype(array.dtype)


def occlude(images: np.ndarray, size: int, rng: Rng = None, value: float = 0.0
            ) -> np.ndarray:
    """Set one random `size`×`size` square per image to `value` (0: erased ink).

    The square lies wholly inside the image, its corner drawn uniformly.
    images (N, H, W) → (N, H, W), same float dtype.
    """
    array = _images(images, "occlude").copy()
    size = _count(size, "size", "occlude")
    _, height, width = array.shape
    if size > min(height, width):
        raise ValueError(f"occlude: size {size} does not fit in images of {height}×{width}")
    generator = default_rng(rng)
    tops = generator.integers(0, height - size + 1, len(array))
    lefts = generator.integers(0, width - size + 1, len(array))
    for image, top, left in zip(array, tops, lefts, strict=True):
        image[top:top + size, left:left + size] = value
    return array


def shift(images: np.ndarray, max_shift: int, rng: Rng = None) -> np.ndarray:
    """Move each image by a random whole number of pixels, up to `max_shift` each way.

    Rows and columns shift independently, drawn uniformly from [−max_shift, max_shift];
    pixels moved out are lost, the uncovered border is 0.
    images (N, H, W) → (N, H, W), same float dtype.
    """
    array = _images(images, "shift")
    max_shift = _count(max_shift, "max_shift", "shift")
    generator = default_rng(rng)
    moves = generator.integers(-max_shift, max_shift + 1, (len(array), 2))
    out = np.zeros_like(array)
    _, height, width = array.shape
    for i, (dy, dx) in enumerate(moves):
        if abs(dy) >= height or abs(dx) >= width:
            continue  # moved out entirely: all border
        src_y = slice(max(0, -dy), min(height, height - dy))
        dst_y = slice(max(0, dy), min(height, height + dy))
        src_x = slice(max(0, -dx), min(width, width - dx))
        dst_x = slice(max(0, dx), min(width, width + dx))
        out[i, dst_y, dst_x] = array[i, src_y, src_x]
    return out


def low_rank(images: np.ndarray, rank: int) -> np.ndarray:
    """Keep each image's top-`rank` singular vectors: the best rank-`rank` approximation.

    images (N, H, W) → (N, H, W), same float dtype. rank ≥ min(H, W) returns the images
    (up to rounding); rank 1 keeps one outer product u·σ·vᵀ per image, a blur of
    horizontal and vertical strokes.
    """
    array = _images(images, "low_rank")
    rank = _count(rank, "rank", "low_rank")
    if array.size == 0:
        return array.copy()
    u, s, vt = np.linalg.svd(array.astype(np.float64), full_matrices=False)
    rank = min(rank, s.shape[-1])
    out = (u[..., :rank] * s[..., None, :rank]) @ vt[..., :rank, :]
    return out.astype(array.dtype)
