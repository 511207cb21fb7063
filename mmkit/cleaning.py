"""Cleaning data before a model sees it: outliers, missing pixels, missing audio frames.

Every cleaner here is *fitted on the training split only* and then applied to any split,
as a scaler is: `cleaner.fit(X_train)` learns the statistics, `cleaner.transform(X, ...)`
(or `.flag(X)`) uses them. Fitting on the split you clean, or on the test split, lets
that split's own values leak into its cleaning: the classic mistake this API is shaped
against. Read top to bottom:

    outliers      robust_scale (median and MAD per column), robust_z,
                  OutlierDetector: a row's distance to the training median row, as a
                  robust z-score against the training rows' distances
    pixels        MeanImputer (SimpleImputer's mean), KNNImputer (scikit-learn's),
                  AutoencoderImputer (notebook 05's autoencoder, trained on masked images),
                  compare_imputers: the mean squared error of each on the missing pixels
    noisy pixels  median_denoise (a 3×3 median filter), compare_denoisers: the noisy image,
                  the median filter and notebook 05's denoising autoencoder by PSNR
    audio frames  drop_frames (bursts of missing frames), FrameMeanImputer (each band's
                  training mean), interpolate_frames (linear in time, per band),
                  compare_frame_imputers

Images are flat rows of 8×8 = 64 pixels in [0, 1] (scikit-learn's digits divided by
`mmkit.data.digits.DIGIT_MAX`), shape (N, 64); a mask `known` has the images' shape, True
where a pixel is present. Audio features are log-mel frames (N, F, M) (frames, mel bands),
as `mmkit.data.dataset.MMDigits` gives them, with `known` (N, F) True where a frame is present.
"""

import numpy as np
import torch
from torch.nn import functional as F

from mmkit.models import autoencoder as ae
from mmkit.train import train
from mmkit.validate import (
    as_float_array,
    check_count,
    check_finite,
    check_positive,
    check_shape,
    default_rng,
)

MAD_TO_STD = 1.482602218505602  # 1 / Φ⁻¹(3/4): the MAD of a normal distribution is 0.6745 σ


def _rows(X: object, name: str) -> np.ndarray:
    """X as a finite float64 (N, D) array, or an error naming `name`."""
    return check_finite(check_shape(as_float_array(X, name).astype(np.float64), ("N", "D"),
                                    name), name)


def _mask(known: object, shape: tuple[int, ...], name: str = "known") -> np.ndarray:
    known = np.asarray(known)
    if known.dtype != bool or known.shape != shape:
        raise ValueError(f"{name}: expected bools of shape {shape} (True where present), got "
                         f"{known.dtype} {known.shape}")
    return known


def _not_fitted(obj: object, attribute: str) -> None:
    if getattr(obj, attribute, None) is None:
        raise RuntimeError(f"{type(obj).__name__}: call fit(training data) first")


# --- outliers -------------------------------------------------------------------------------

def robust_scale(X_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's median and MAD scaled to a standard deviation: X_train (N, D) → (D,), (D,).

    MAD = median(|x − median(x)|), multiplied by 1.4826 so that for normal data it
    estimates σ (`scipy.stats.median_abs_deviation(x, scale="normal")`). Unlike the mean and
    standard deviation, a few wild values barely move either.
    """
    X = _rows(X_train, "X_train")
    median = np.median(X, axis=0)
    return median, MAD_TO_STD * np.median(np.abs(X - median), axis=0)


def robust_z(X: np.ndarray, median: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The robust z-score (x − median) / scale, column by column: (N, D) → (N, D).

    median, scale: (D,), from `robust_scale` on the *training* rows. A column whose
    scale is 0 (constant in training) gives 0 where x equals the median, ±inf elsewhere.
    """
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (X - median) / scale
    return np.where(X == median, 0.0, z)


class OutlierDetector:
    """Flag rows far from the training data: a robust z-score of their distance, median/MAD.

    fit(X_train (N, D)): the median row m (D,) of the training rows; each training row's
    distance d = ‖x − m‖₂; their median and scaled MAD (`robust_scale`).
    score(X (N, D)) → (N,): z = (d − median(d_train)) / (1.4826 · MAD(d_train)).
    flag(X) → (N,) bools: z > threshold (3.5, Iglewicz and Hoaglin's rule for robust
    z-scores). Only far rows are flagged: being closer to the median than usual is not odd.

    Why one distance per row rather than a z-score per feature: pixels are mostly ink or
    no ink, so many have a MAD of 0 and any ink there would be "infinitely" unusual; one
    number per row, scaled by how far the training rows themselves lie, stays meaningful.
    """

    def __init__(self, threshold: float = 3.5):
        self.threshold = check_positive(threshold, "threshold")
        self.center_: np.ndarray | None = None  # the median training row (D,)
        self.median_distance_: float | None = None
        self.distance_scale_: float | None = None

    def fit(self, X_train: np.ndarray) -> "OutlierDetector":
        X = _rows(X_train, "X_train")
        self.center_ = np.median(X, axis=0)
        median, scale = robust_scale(self.distance(X)[:, None])
        self.median_distance_, self.distance_scale_ = float(median[0]), float(scale[0])
        if self.distance_scale_ == 0:
            raise ValueError("X_train: at least half of the rows are the same: no spread to "
                             "measure outliers against")
        return self

    def distance(self, X: np.ndarray) -> np.ndarray:
        """Each row's Euclidean distance to the median training row: (N, D) → (N,)."""
        _not_fitted(self, "center_")
        X = _rows(X, "X")
        if X.shape[1] != len(self.center_):
            raise ValueError(f"X: expected {len(self.center_)} features per row (as in "
                             f"training), got {X.shape[1]}")
        return np.sqrt(np.sum((X - self.center_) ** 2, axis=1))

    def score(self, X: np.ndarray) -> np.ndarray:
        """The robust z-score of each row's distance: (N, D) → (N,)."""
        return robust_z(self.distance(X), self.median_distance_, self.distance_scale_)

    def flag(self, X: np.ndarray) -> np.ndarray:
        """(N, D) → (N,) bools, True for an outlier (score above the threshold)."""
        return self.score(X) > self.threshold


# --- missing pixels -------------------------------------------------------------------------

def _images(X: object, name: str, known: np.ndarray | None = None) -> np.ndarray:
    """Images (N, 64) in [0, 1] as float64; with `known`, values where a pixel is missing
    (NaN, say) are never read: they become 0."""
    X = np.asarray(X, dtype=np.float64)
    if known is not None:
        X = np.where(_mask(known, X.shape), X, 0.0)
    return ae.check_images(X, name).numpy().astype(np.float64)


class MeanImputer:
    """Fill each missing pixel with that pixel's mean over the training images.

    fit(X_train (N, 64)) → mean_ (64,); transform(X (N, 64), known (N, 64) bools) →
    (N, 64) with the known pixels as given. The same numbers as
    `sklearn.impute.SimpleImputer(strategy="mean")` fitted on X_train and applied to X
    with NaN where a pixel is missing. Training images are complete here; the mean of a
    pixel is taken over all of them.
    """

    name = "training mean"

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None

    def fit(self, X_train: np.ndarray) -> "MeanImputer":
        self.mean_ = _images(X_train, "X_train").mean(axis=0)
        return self

    def transform(self, X: np.ndarray, known: np.ndarray) -> np.ndarray:
        _not_fitted(self, "mean_")
        X = _images(X, "X", known)
        return np.where(known, X, self.mean_)


class KNNImputer:
    """Fill each missing pixel with its mean over the k training images nearest to this one.

    Nearness is measured on the pixels this image has (scikit-learn's `nan_euclidean`
    distance, rescaled for the missing coordinates); the neighbours are always
    *training* images. A thin wrapper around `sklearn.impute.KNNImputer(n_neighbors=k)`:
    fit(X_train (N, 64)), transform(X (N, 64), known (N, 64)) → (N, 64).
    """

    name = "k nearest neighbours"

    def __init__(self, k: int = 5):
        self.k = check_count(k, "k", minimum=1)
        self.imputer_ = None

    def fit(self, X_train: np.ndarray) -> "KNNImputer":
        from sklearn.impute import KNNImputer as SklearnKNNImputer

        self.imputer_ = SklearnKNNImputer(n_neighbors=self.k, keep_empty_features=True)
        self.imputer_.fit(_images(X_train, "X_train"))
        return self

    def transform(self, X: np.ndarray, known: np.ndarray) -> np.ndarray:
        _not_fitted(self, "imputer_")
        X = _images(X, "X", known)
        filled = self.imputer_.transform(np.where(known, X, np.nan))
        return np.where(known, X, filled)


class AutoencoderImputer:
    """Notebook 05's autoencoder, trained to fill in pixels that were masked out.

    fit(X_train (N, 64)): the `mmkit.models.autoencoder.Autoencoder` (64 → hidden → latent
    → hidden → 64, sigmoid output) learns from training images whose pixels are hidden at
    random (each with a probability drawn between 0 and `max_missing`, fresh at every
    step) and filled with the training mean image; the target is the complete image.
    This is the denoising autoencoder of notebook 05 with masking as the corruption
    instead of Gaussian noise: the same network (`DenoisingAutoencoder` differs only in
    its training step), so it learns what digits look like and guesses what is hidden.
    Trained with `mmkit.train.train`, Adam, batches of 64; about 4 s on one thread for the
    default 120 epochs on 1,077 images. (On the 8×8 digits, validation preferred latent 32
    and hidden (256,) to notebook 05's 16 and (128,), and one pass of `impute` to several.)

    transform(X (N, 64), known (N, 64)) → (N, 64): missing pixels start at the training
    mean, then `mmkit.models.autoencoder.impute` copies the reconstruction into the
    missing pixels only, `iterations` times; known pixels are returned as given.
    """

    name = "autoencoder"

    def __init__(self, latent: int = 32, hidden: tuple[int, ...] = (256,),
                 max_missing: float = 0.8, epochs: int = 120, lr: float = 3e-3,
                 iterations: int = 1, seed: int = 0):
        if not 0 < max_missing <= 1:
            raise ValueError(f"max_missing: expected a fraction in (0, 1], got {max_missing!r}")
        self.latent, self.hidden, self.max_missing = latent, hidden, float(max_missing)
        self.epochs = check_count(epochs, "epochs", minimum=1)
        self.lr, self.seed = check_positive(lr, "lr"), seed
        self.iterations = check_count(iterations, "iterations", minimum=1)
        self.model: ae.Autoencoder | None = None
        self.mean_: np.ndarray | None = None
        self.history = None

    def fit(self, X_train: np.ndarray) -> "AutoencoderImputer":
        X = _images(X_train, "X_train")
        self.mean_ = X.mean(axis=0)
        torch.manual_seed(self.seed)
        model = ae.Autoencoder(self.latent, self.hidden)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        masks = torch.Generator().manual_seed(self.seed + 1)
        mean = torch.as_tensor(self.mean_, dtype=torch.float32)

        def step(batch: torch.Tensor) -> dict[str, float]:
            model.train()
            optimizer.zero_grad()
            missing = self.max_missing * torch.rand((len(batch), 1), generator=masks)
            known = torch.rand(batch.shape, generator=masks) >= missing
            loss = F.mse_loss(model(torch.where(known, batch, mean)), batch)
            loss.backward()
            optimizer.step()
            return {"reconstruction": loss.item()}

        self.history = train(step, torch.as_tensor(X, dtype=torch.float32), self.epochs,
                             batch_size=64, seed=self.seed, progress=False,
                             description="masked autoencoder")
        self.model = model.eval()
        return self

    def transform(self, X: np.ndarray, known: np.ndarray) -> np.ndarray:
        _not_fitted(self, "model")
        X = _images(X, "X", known)
        filled = ae.impute(self.model, X, known, fill=self.mean_, iterations=self.iterations)
        return np.where(known, X, filled.astype(np.float64))


def default_imputers(seed: int = 0) -> list:
    """The three pixel imputers compared in notebook 14: mean, 5 nearest neighbours, autoencoder."""
    return [MeanImputer(), KNNImputer(k=5), AutoencoderImputer(seed=seed)]


def compare_imputers(X_train: np.ndarray, X_val: np.ndarray, known_val: np.ndarray,
                     imputers: list | None = None) -> dict[str, float]:
    """Fit each imputer on X_train (N, 64), fill X_val's missing pixels, and score it.

    known_val: (M, 64) bools, True where a validation pixel is present. Returns
    {imputer name: mean squared error over the missing pixels only}
    (`mmkit.models.autoencoder.missing_pixel_error`), in the order given (default:
    `default_imputers()`). The imputers never see the validation images' missing values.
    """
    X_val = _images(X_val, "X_val")
    known_val = _mask(known_val, X_val.shape, "known_val")
    hidden = np.where(known_val, X_val, np.nan)  # what is missing cannot be read
    errors = {}
    for imputer in imputers if imputers is not None else default_imputers():
        filled = imputer.fit(X_train).transform(hidden, known_val)
        errors[imputer.name] = ae.missing_pixel_error(X_val, filled, known_val)
    return errors


# --- noisy pixels -----------------------------------------------------------------------------

def median_denoise(X: np.ndarray, size: int = 3) -> np.ndarray:
    """Each pixel replaced by the median of its size × size neighbourhood in its own 8×8
    image (`scipy.ndimage.median_filter`, edges mirrored): X (N, 64) → (N, 64). A classic
    filter with nothing to fit: it removes isolated specks, and blurs thin strokes too."""
    from scipy.ndimage import median_filter

    images = _images(X, "X").reshape(-1, ae.IMAGE_SIDE, ae.IMAGE_SIDE)
    size = check_count(size, "size", minimum=1)
    return median_filter(images, size=(1, size, size), mode="mirror").reshape(-1, ae.IMAGE_SIZE)


def compare_denoisers(X_train: np.ndarray, X_val: np.ndarray, noise_level: float = 0.3,
                      epochs: int = 60, seed: int = 0) -> dict[str, float]:
    """Add Gaussian noise of `noise_level` to the validation images X_val (M, 64) (seeded,
    clipped to [0, 1]) and clean them two ways → {"noisy": PSNR of the noisy images,
    "median filter": of `median_denoise`, "denoising autoencoder": of notebook 05's
    `DenoisingAutoencoder` trained for `epochs` on X_train (N, 64) only, with the same
    noise level}: the peak signal-to-noise ratio in dB against the clean X_val (higher is
    better; +3 dB halves the squared error)."""
    X_train, X_val = _images(X_train, "X_train"), _images(X_val, "X_val")
    noisy = ae.add_noise(X_val, noise_level, seed=seed)
    torch.manual_seed(seed)
    model = ae.DenoisingAutoencoder(noise_level=noise_level)
    ae.fit_autoencoder(model, X_train.astype(np.float32), epochs, seed=seed)
    return {"noisy": ae.psnr(X_val, noisy),
            "median filter": ae.psnr(X_val, median_denoise(noisy)),
            "denoising autoencoder": ae.psnr(X_val, ae.reconstruct(model, noisy))}


# --- missing audio frames -------------------------------------------------------------------

def _frames(frames: object, name: str, known: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Log-mel frames (N, F, M) as finite float64, or (F, M) → (1, F, M), and the mask
    `known` ((N, F), or (F,) → (1, F)) checked against them; missing frames (NaN, say)
    are never read: they become 0."""
    array = as_float_array(frames, name).astype(np.float64)
    single = array.ndim == 2
    array = check_shape(array[None] if single else array, ("N", "F", "M"), name)
    if known is not None:
        known = _mask(np.asarray(known)[None] if single else known, array.shape[:2])
        array = np.where(known[..., None], array, 0.0)
    return check_finite(array, name), known


def drop_frames(n: int, frames: int, missing: float = 0.2, burst: int = 5,
                seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Which frames are present when bursts of `burst` consecutive frames are lost:
    (n, frames) bools, True where present. Bursts fall at random (the first and last
    frames may be lost too) until at least round(missing · frames) frames of each clip are
    lost: a dropped network packet or a glitch loses a run of frames, not single ones.
    missing in [0, 1): at least one frame is always kept to interpolate from."""
    n, frames = check_count(n, "n"), check_count(frames, "frames", minimum=1)
    burst = check_count(burst, "burst", minimum=1)
    if not 0 <= missing < 1:
        raise ValueError(f"drop_frames: expected a fraction missing in [0, 1), got {missing!r}")
    rng = default_rng(seed)
    lost = min(round(missing * frames), frames - 1)
    known = np.ones((n, frames), dtype=bool)
    for row in known:
        while frames - row.sum() < lost:
            start = rng.integers(-burst + 1, frames)
            row[max(start, 0):start + burst] = False
        if not row.any():
            row[rng.integers(frames)] = True
    return known


def interpolate_frames(frames: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill missing frames by linear interpolation in time, band by band.

    frames: (N, F, M) or (F, M) log-mel frames; known: (N, F) or (F,) bools, True where a
    frame is present (at least one per clip). A missing frame t between present frames a < t < b
    gets x_a + (t − a)/(b − a) · (x_b − x_a) in every band; before the first (after the
    last) present frame, that frame's values are repeated (`numpy.interp`). Needs no
    fitting: it reads only the clip's own present frames. Returns the input's shape.
    """
    single = np.asarray(frames).ndim == 2
    x, known = _frames(frames, "frames", known)
    if not known.any(axis=1).all():
        raise ValueError("known: every clip needs at least one present frame to interpolate "
                         "from")
    out = x.copy()
    time = np.arange(x.shape[1])
    for clip, present in zip(out, known, strict=True):
        for band in range(x.shape[2]):
            clip[~present, band] = np.interp(time[~present], time[present], clip[present, band])
    return out[0] if single else out


class FrameMeanImputer:
    """The baseline: fill each missing frame with every band's mean over the training frames.

    fit(train_frames (N, F, M), lengths (N,) or None): the mean of each of the M bands over
    the training clips' frames (the first `lengths[i]` of clip i only, if given: the rest
    is padding) → mean_ (M,). transform(frames (N, F, M), known (N, F)) → (N, F, M).
    """

    name = "training mean per band"

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None

    def fit(self, train_frames: np.ndarray, lengths: np.ndarray | None = None
            ) -> "FrameMeanImputer":
        x, _ = _frames(train_frames, "train_frames")
        if lengths is None:
            self.mean_ = x.reshape(-1, x.shape[2]).mean(axis=0)
        else:
            lengths = np.asarray(lengths)
            inside = np.arange(x.shape[1]) < lengths[:, None]
            self.mean_ = x[inside].mean(axis=0)
        return self

    def transform(self, frames: np.ndarray, known: np.ndarray) -> np.ndarray:
        _not_fitted(self, "mean_")
        single = np.asarray(frames).ndim == 2
        x, known = _frames(frames, "frames", known)
        if x.shape[2] != len(self.mean_):
            raise ValueError(f"frames: expected {len(self.mean_)} bands (as in training), got "
                             f"{x.shape[2]}")
        filled = np.where(known[..., None], x, self.mean_)
        return filled[0] if single else filled


def compare_frame_imputers(train_frames: np.ndarray, val_frames: np.ndarray,
                           known_val: np.ndarray, train_lengths: np.ndarray | None = None
                           ) -> dict[str, float]:
    """The mean squared error over the missing validation frames (all bands) of the
    training-mean baseline (fitted on train_frames (N, F, M)) and of linear interpolation:
    val_frames (V, F, M), known_val (V, F) → {name: MSE}."""
    val, known_val = _frames(val_frames, "val_frames")[0], np.asarray(known_val)
    known_val = _mask(known_val, val.shape[:2], "known_val")
    hidden = np.where(known_val[..., None], val, np.nan)  # what is missing cannot be read
    filled = {
        FrameMeanImputer.name: FrameMeanImputer().fit(train_frames, train_lengths).transform(
            hidden, known_val),
        "linear interpolation": interpolate_frames(hidden, known_val),
    }
    missing = ~known_val
    return {name: float(np.mean((x - val)[missing] ** 2)) for name, x in filled.items()}
