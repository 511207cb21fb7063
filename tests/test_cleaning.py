"""Cleaning: robust outliers, pixel imputers (against scikit-learn), frame interpolation;
every statistic from the training split only."""

import numpy as np
import pytest
import torch

from mmkit.cleaning import (
    MAD_TO_STD,
    AutoencoderImputer,
    FrameMeanImputer,
    KNNImputer,
    MeanImputer,
    OutlierDetector,
    compare_denoisers,
    compare_frame_imputers,
    compare_imputers,
    drop_frames,
    interpolate_frames,
    median_denoise,
    robust_scale,
    robust_z,
)
from mmkit.data.digits import DIGIT_MAX, load_digits_split
from mmkit.models.autoencoder import block_mask, random_mask


@pytest.fixture(scope="module")
def digits():
    """Training and validation images (N, 64) in [0, 1]."""
    split = load_digits_split(standardized=False)
    return split.X_train / DIGIT_MAX, split.X_val / DIGIT_MAX


@pytest.fixture(scope="module")
def autoencoder_imputer(digits):
    torch.set_num_threads(1)
    return AutoencoderImputer(epochs=30, seed=0).fit(digits[0])


# --- outliers -------------------------------------------------------------------------------

def test_robust_scale_is_scipys_median_abs_deviation():
    from scipy.stats import median_abs_deviation

    X = np.random.default_rng(0).standard_t(2, size=(301, 5)) * [1, 2, 3, 4, 5]
    median, scale = robust_scale(X)
    np.testing.assert_allclose(median, np.median(X, axis=0))
    np.testing.assert_allclose(scale, median_abs_deviation(X, axis=0, scale="normal"))
    assert MAD_TO_STD == pytest.approx(1 / 0.6744897501960817)
    normal = np.random.default_rng(1).normal(3.0, 2.0, size=(200_000, 1))
    assert robust_scale(normal)[1][0] == pytest.approx(2.0, rel=0.01)  # estimates σ


def test_robust_z_and_a_constant_column():
    z = robust_z(np.array([[1.0, 5.0], [3.0, 5.0], [3.0, 6.0]]), np.array([1.0, 5.0]),
                 np.array([2.0, 0.0]))
    np.testing.assert_array_equal(z, [[0.0, 0.0], [1.0, 0.0], [1.0, np.inf]])


def unusual_images(X_val):
    """30 rows no digit looks like: uniform noise, inverted digits, digits left in 0-16 ink."""
    rng = np.random.default_rng(0)
    return np.vstack([rng.random((10, 64)), 1 - X_val[:10], X_val[10:20] * DIGIT_MAX])


def test_outliers_are_flagged_and_clean_digits_are_not(digits):
    X_train, X_val = digits
    detector = OutlierDetector().fit(X_train)
    assert detector.flag(unusual_images(X_val)).all()
    assert detector.flag(X_val).mean() < 0.02
    assert detector.flag(X_train).mean() < 0.02
    assert detector.score(X_val).shape == (len(X_val),)


def test_outlier_statistics_are_the_training_sets(digits):
    X_train, X_val = digits
    detector = OutlierDetector().fit(X_train)
    np.testing.assert_array_equal(detector.center_, np.median(X_train, axis=0))
    distances = np.linalg.norm(X_train - np.median(X_train, axis=0), axis=1)
    assert detector.median_distance_ == pytest.approx(np.median(distances))
    # a row's score does not depend on the other rows it is scored with
    batch = np.vstack([X_val[:5], unusual_images(X_val)])
    np.testing.assert_allclose(detector.score(batch)[:5], detector.score(X_val[:5]))
    # fitted on the rows it judges (the mistake), the wild rows hide each other
    mixed = np.vstack([X_val[:30], np.tile(unusual_images(X_val)[:10], (4, 1))])
    assert detector.flag(mixed)[30:].all()
    assert not OutlierDetector().fit(mixed).flag(mixed)[30:].all()


def test_a_few_outliers_in_training_do_not_move_the_robust_fit(digits):
    X_train, X_val = digits
    wild = unusual_images(X_val)
    dirty = np.vstack([X_train, wild[:20]])  # about 2 % of the training rows are wild
    robust, clean = OutlierDetector().fit(dirty), OutlierDetector().fit(X_train)
    assert robust.flag(wild).all()
    assert robust.median_distance_ == pytest.approx(clean.median_distance_, rel=0.03)
    assert robust.distance_scale_ == pytest.approx(clean.distance_scale_, rel=0.05)
    distances = clean.distance(dirty)  # the mean and standard deviation move much more
    assert distances.std() > 1.5 * clean.distance(X_train).std()


def test_outlier_detector_refuses_misuse(digits):
    with pytest.raises(RuntimeError, match="call fit"):
        OutlierDetector().flag(digits[1])
    with pytest.raises(ValueError, match="expected 64 features per row"):
        OutlierDetector().fit(digits[0]).flag(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="threshold must be a positive number"):
        OutlierDetector(threshold=0)


# --- missing pixels -------------------------------------------------------------------------

def test_mean_imputer_is_sklearns_simple_imputer(digits):
    from sklearn.impute import SimpleImputer

    X_train, X_val = digits
    known = random_mask(len(X_val), 0.4, seed=3)
    ours = MeanImputer().fit(X_train).transform(X_val, known)
    theirs = SimpleImputer(strategy="mean").fit(X_train).transform(np.where(known, X_val, np.nan))
    np.testing.assert_allclose(ours, theirs)


def test_knn_imputer_is_sklearns(digits):
    from sklearn.impute import KNNImputer as SklearnKNNImputer

    X_train, X_val = digits
    known = random_mask(len(X_val), 0.4, seed=4)
    ours = KNNImputer(k=5).fit(X_train).transform(X_val, known)
    theirs = SklearnKNNImputer(n_neighbors=5).fit(X_train).transform(
        np.where(known, X_val, np.nan))
    np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("make", [MeanImputer, lambda: KNNImputer(k=3), "autoencoder"])
def test_imputers_keep_known_pixels_and_never_read_missing_ones(digits, autoencoder_imputer,
                                                               make):
    X_train, X_val = digits
    imputer = autoencoder_imputer if make == "autoencoder" else make().fit(X_train)
    known = random_mask(len(X_val), 0.5, seed=5)
    filled = imputer.transform(np.where(known, X_val, np.nan), known)
    assert filled.shape == X_val.shape and np.isfinite(filled).all()
    np.testing.assert_array_equal(filled[known], X_val[known])
    assert 0 <= filled.min() and filled.max() <= 1
    other = imputer.transform(np.where(known, X_val, 0.77), known)  # other values where missing
    np.testing.assert_allclose(other, filled)


def test_imputers_use_the_training_sets_statistics_not_the_imputed_sets(digits):
    """The learner's mistake: fitting on the split being imputed (or on the test split)."""
    X_train, X_val = digits
    known = random_mask(len(X_val), 0.5, seed=6)
    brighter = np.clip(X_val + 0.3, 0, 1)  # a split whose own means differ from training's
    filled = MeanImputer().fit(X_train).transform(brighter, known)
    columns = np.nonzero(~known)
    np.testing.assert_allclose(filled[columns], X_train.mean(axis=0)[columns[1]])
    wrong = MeanImputer().fit(brighter).transform(brighter, known)
    assert not np.allclose(wrong[columns], filled[columns])
    # nearest neighbours come from the training images, never from the imputed split
    twin = np.vstack([X_val[:1], X_val[:1]])  # two identical validation images
    hide = np.ones((2, 64), dtype=bool)
    hide[0, :32] = False
    one = KNNImputer(k=1).fit(X_train)
    nearest = np.argmin(np.nansum((X_train - np.where(hide[0], twin[0], np.nan)) ** 2, axis=1))
    np.testing.assert_allclose(one.transform(twin, hide)[0, :32], X_train[nearest, :32])


def test_autoencoder_imputer_trains_on_masked_training_images(digits, autoencoder_imputer):
    X_train, X_val = digits
    np.testing.assert_allclose(autoencoder_imputer.mean_, X_train.mean(axis=0))
    losses = autoencoder_imputer.history.losses["reconstruction"]
    assert len(losses) == 30 and losses[-1] < 0.5 * losses[0]
    known = random_mask(len(X_val), 0.5, seed=7)
    ours = compare_imputers(X_train, X_val, known, [MeanImputer(), autoencoder_imputer])
    assert ours["autoencoder"] < 0.7 * ours["training mean"]
    again = AutoencoderImputer(epochs=2, seed=1).fit(X_train[:200])
    same = AutoencoderImputer(epochs=2, seed=1).fit(X_train[:200])
    np.testing.assert_array_equal(again.transform(X_val[:5], known[:5]),
                                  same.transform(X_val[:5], known[:5]))


def test_compare_imputers_scores_the_missing_pixels_only(digits, autoencoder_imputer):
    X_train, X_val = digits
    known = block_mask(len(X_val), 2, 2, 4, 4)
    errors = compare_imputers(X_train, X_val, known,
                              [MeanImputer(), KNNImputer(k=5), autoencoder_imputer])
    assert list(errors) == ["training mean", "k nearest neighbours", "autoencoder"]
    filled = MeanImputer().fit(X_train).transform(X_val, known)
    assert errors["training mean"] == pytest.approx(np.mean((filled - X_val)[~known] ** 2))
    assert errors["k nearest neighbours"] < errors["training mean"]
    assert errors["autoencoder"] < errors["training mean"]


def test_imputers_refuse_misuse(digits):
    X_train, X_val = digits
    with pytest.raises(RuntimeError, match="MeanImputer: call fit"):
        MeanImputer().transform(X_val, np.ones(X_val.shape, bool))
    with pytest.raises(ValueError, match=r"known: expected bools of shape \(360, 64\)"):
        MeanImputer().fit(X_train).transform(X_val, np.ones((360, 8, 8), bool))
    with pytest.raises(ValueError, match="divide scikit-learn's digits by 16"):
        MeanImputer().fit(X_train * DIGIT_MAX)
    with pytest.raises(ValueError, match="NaN"):
        KNNImputer().fit(np.where(X_train > 0.5, np.nan, X_train))  # training data is complete
    with pytest.raises(ValueError, match="max_missing"):
        AutoencoderImputer(max_missing=0)


# --- missing audio frames -------------------------------------------------------------------

def smooth_frames(n=20, frames=101, bands=40, seed=0):
    """Log-mel-like frames (n, frames, bands) that change slowly in time."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, frames)[None, :, None]
    phase, level = rng.uniform(0, 6, (n, 1, bands)), rng.normal(-30, 5, (n, 1, bands))
    return level + 10 * np.sin(2 * np.pi * t + phase)


def test_drop_frames_loses_bursts():
    known = drop_frames(50, 101, missing=0.3, burst=5, seed=0)
    assert known.shape == (50, 101) and known.dtype == bool
    lost = (~known).sum(axis=1)
    assert (lost >= 30).all() and (lost < 30 + 5).all()
    runs = np.diff(known.astype(int), axis=1)
    assert (runs == -1).sum() <= (lost.sum() / 5) + 50  # runs of frames, not single ones
    np.testing.assert_array_equal(known, drop_frames(50, 101, 0.3, 5, seed=0))
    assert drop_frames(3, 4, missing=0.99, burst=10).any(axis=1).all()
    assert drop_frames(2, 10, missing=0.0).all()


def test_interpolation_is_numpys_interp_band_by_band():
    from scipy.interpolate import interp1d

    x = smooth_frames(3, 50, 4)
    known = drop_frames(3, 50, 0.4, 4, seed=1)
    known[:, 0] = known[:, -1] = True  # inside the clip: scipy's interp1d agrees
    filled = interpolate_frames(np.where(known[..., None], x, np.nan), known)
    for clip, present, out in zip(x, known, filled, strict=True):
        t = np.arange(50)
        expected = interp1d(t[present], clip[present], axis=0)(t)
        np.testing.assert_allclose(out, expected)


def test_interpolation_fills_a_straight_line_exactly_and_repeats_at_the_ends():
    ramp = np.stack([np.arange(10.0), 5 - 2 * np.arange(10.0)], axis=1)  # (F=10, M=2)
    known = np.array([False, True, True, False, False, True, True, False, True, False])
    filled = interpolate_frames(ramp, known)
    assert filled.shape == (10, 2)
    np.testing.assert_allclose(filled[1:9], ramp[1:9])  # between present frames: exact
    np.testing.assert_allclose(filled[0], ramp[1])  # before the first present frame
    np.testing.assert_allclose(filled[9], ramp[8])  # after the last
    with pytest.raises(ValueError, match="at least one present frame"):
        interpolate_frames(ramp, np.zeros(10, bool))


def test_frame_mean_imputer_uses_training_bands_and_lengths():
    train, val = smooth_frames(20, seed=0), smooth_frames(10, seed=1) + 25.0
    imputer = FrameMeanImputer().fit(train)
    np.testing.assert_allclose(imputer.mean_, train.reshape(-1, 40).mean(axis=0))
    known = drop_frames(10, 101, 0.3, seed=2)
    filled = imputer.transform(val, known)
    np.testing.assert_array_equal(filled[known], val[known])
    np.testing.assert_allclose(filled[~known], np.broadcast_to(imputer.mean_, filled[~known].shape))
    assert not np.allclose(FrameMeanImputer().fit(val).mean_, imputer.mean_)  # the mistake
    lengths = np.full(20, 30)
    np.testing.assert_allclose(FrameMeanImputer().fit(train, lengths).mean_,
                               train[:, :30].reshape(-1, 40).mean(axis=0))
    with pytest.raises(ValueError, match="expected 40 bands"):
        imputer.transform(np.zeros((2, 101, 13)), np.ones((2, 101), bool))


def test_interpolation_beats_the_training_mean_on_smooth_frames():
    train, val = smooth_frames(30, seed=0), smooth_frames(10, seed=1)
    known = drop_frames(10, 101, 0.3, burst=5, seed=3)
    errors = compare_frame_imputers(train, val, known)
    assert list(errors) == ["training mean per band", "linear interpolation"]
    assert errors["linear interpolation"] < 0.05 * errors["training mean per band"]


# --- noisy pixels -------------------------------------------------------------------------------

def test_the_median_filter_removes_a_speck_and_keeps_flat_images():
    flat = np.full((1, 64), 0.25)
    speck = flat.copy()
    speck[0, 27] = 1.0
    assert np.allclose(median_denoise(speck), flat)
    assert np.allclose(median_denoise(flat), flat)
    assert median_denoise(np.zeros((5, 64))).shape == (5, 64)


def test_the_denoising_autoencoder_beats_the_noise_and_the_median_filter_on_digits():
    split = load_digits_split(standardized=False)
    scores = compare_denoisers(split.X_train / DIGIT_MAX, split.X_val / DIGIT_MAX,
                                        noise_level=0.3, epochs=30)
    assert list(scores) == ["noisy", "median filter", "denoising autoencoder"]
    assert scores["denoising autoencoder"] > scores["noisy"] + 2       # dB
    assert scores["denoising autoencoder"] > scores["median filter"] + 2
