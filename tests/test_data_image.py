"""Image preprocessing: loading, resizing, train-only normalisation, padding, corruptions."""

import re

import numpy as np
import pytest

from mmkit.data.image import (
    ImageNormalizer,
    add_noise,
    load_digit_images,
    low_rank,
    occlude,
    pad,
    resize,
    shift,
)
from mmkit.validate import NonFiniteError


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digit_images(np.arange(40))
    return images, labels


def test_load_digit_images_all_and_by_index():
    images, labels = load_digit_images()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    some, some_labels = load_digit_images([5, 0, 1796])
    np.testing.assert_array_equal(some, images[[5, 0, 1796]])
    np.testing.assert_array_equal(some_labels, labels[[5, 0, 1796]])
    some[0] = 7.0  # a copy: the cached images are untouched
    assert load_digit_images([5])[0].max() <= 1.0
    with pytest.raises(IndexError, match=r"\[0, 1796\]"):
        load_digit_images([1797])


def test_resize_shapes_dtype_and_values(digits):
    images, _ = digits
    big = resize(images)
    assert big.shape == (40, 28, 28) and big.dtype == np.float32
    assert resize(images, (16, 12)).shape == (40, 16, 12)
    assert resize(images.astype(np.float64), 8).dtype == np.float32
    np.testing.assert_allclose(resize(images, 8), images, atol=1e-6)  # same size: unchanged
    flat = resize(np.full((2, 8, 8), 0.25), 28)
    np.testing.assert_allclose(flat, 0.25, atol=1e-6)
    assert 0.0 <= big.min() and big.max() <= 1.0  # bilinear: no overshoot


@pytest.mark.parametrize("shape", [(8, 8), (2, 1, 8, 8), (64,)])
def test_resize_refuses_wrong_shapes_naming_both(shape):
    with pytest.raises(ValueError, match=r"expected shape \(N, H, W\), got "
                                         + re.escape(str(shape))):
        resize(np.zeros(shape))


def test_normalizer_uses_training_statistics_only(digits):
    images, _ = digits
    train, test = images[:30], images[30:] * 0.5 + 0.3  # a test split with other statistics
    normalizer = ImageNormalizer().fit(train)
    assert normalizer.mean == pytest.approx(train.mean()) and normalizer.std == pytest.approx(
        train.std())
    out = normalizer.transform(test)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (test - train.mean()) / train.std(), rtol=1e-5, atol=1e-5)
    assert abs(out.mean()) > 0.1  # not re-centred on the test images
    scaled = ImageNormalizer().fit_transform(train)
    assert abs(scaled.mean()) < 1e-5 and scaled.std() == pytest.approx(1.0, abs=1e-4)
    assert "mean=" in repr(normalizer)


def test_normalizer_refuses_to_transform_before_fit(digits):
    with pytest.raises(RuntimeError, match="call fit"):
        ImageNormalizer().transform(digits[0])
    with pytest.raises(ValueError, match=r"got \(64,\)"):
        ImageNormalizer().fit(np.zeros(64))


def test_pad_adds_a_border(digits):
    images, _ = digits
    padded = pad(images, 2)
    assert padded.shape == (40, 12, 12) and padded.dtype == np.float32
    np.testing.assert_array_equal(padded[:, 2:-2, 2:-2], images)
    assert (padded[:, :2] == 0).all() and (padded[:, :, -2:] == 0).all()
    assert (pad(images, 1, value=-1.0)[:, 0] == -1).all()
    np.testing.assert_array_equal(pad(images, 0), images)
    with pytest.raises(ValueError, match="width must be an int >= 0"):
        pad(images, -1)


CORRUPTIONS = [
    pytest.param(lambda x, rng: add_noise(x, 0.3, rng), id="add_noise"),
    pytest.param(lambda x, rng: occlude(x, 3, rng), id="occlude"),
    pytest.param(lambda x, rng: shift(x, 2, rng), id="shift"),
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_corruptions_are_seeded_keep_the_shape_and_change_the_images(corrupt, digits):
    images, _ = digits
    before = images.copy()
    out = corrupt(images, 0)
    assert out.shape == images.shape and out.dtype == images.dtype
    np.testing.assert_array_equal(out, corrupt(images, 0))  # same seed, same images
    np.testing.assert_array_equal(out, corrupt(images, np.random.default_rng(0)))
    assert not np.array_equal(out, corrupt(images, 1))
    assert not np.array_equal(out, images)
    assert np.mean([not np.array_equal(a, b) for a, b in zip(out, images, strict=True)]) > 0.5
    np.testing.assert_array_equal(images, before)  # the input is not modified


def test_occlude_erases_one_square_per_image():
    out = occlude(np.ones((20, 8, 8), dtype=np.float32), 3, rng=5)
    assert ((out == 0).sum(axis=(1, 2)) == 9).all()
    with pytest.raises(ValueError, match="does not fit"):
        occlude(np.ones((1, 8, 8)), 9, rng=0)


def test_shift_moves_the_ink_and_fills_with_zeros():
    image = np.zeros((1, 8, 8))
    image[0, 3, 4] = 1.0
    moved = shift(np.repeat(image, 50, axis=0), 2, rng=0)
    assert (moved.sum(axis=(1, 2)) == 1).all()  # the pixel never leaves an 8×8 image here
    rows, cols = np.nonzero(moved)[1:]
    assert set(rows) == {1, 2, 3, 4, 5} and set(cols) == {2, 3, 4, 5, 6}
    np.testing.assert_array_equal(shift(image, 0, rng=0), image)
    far = shift(np.ones((10, 4, 4)), 10, rng=0)  # shifts past the edge leave zeros
    assert far.shape == (10, 4, 4) and far.max() <= 1


def test_low_rank(digits):
    images, _ = digits
    np.testing.assert_allclose(low_rank(images, 8), images, atol=1e-5)  # full rank: identity
    one = low_rank(images, 1)
    assert one.shape == images.shape and one.dtype == images.dtype
    assert all(np.linalg.matrix_rank(image, tol=1e-4) <= 1 for image in one)
    errors = [np.abs(low_rank(images, r) - images).sum() for r in range(0, 9)]
    assert errors == sorted(errors, reverse=True) and errors[0] > errors[-1]
    np.testing.assert_array_equal(low_rank(images, 0), 0)
    np.testing.assert_array_equal(low_rank(images, 4), low_rank(images, 4))  # deterministic


FUNCTIONS = {
    "resize": lambda x: resize(x),
    "pad": lambda x: pad(x, 1),
    "add_noise": lambda x: add_noise(x, 0.1, 0),
    "occlude": lambda x: occlude(x, 2, 0),
    "shift": lambda x: shift(x, 1, 0),
    "low_rank": lambda x: low_rank(x, 2),
    "ImageNormalizer.fit": lambda x: ImageNormalizer().fit(x),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_nan_is_refused_naming_the_function(name):
    images = np.zeros((2, 8, 8), dtype=np.float32)
    images[1, 4, 4] = np.nan
    with pytest.raises(NonFiniteError, match=rf"{name}\(images\): 1 non-finite"):
        FUNCTIONS[name](images)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_wrong_shapes_are_refused_naming_both_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}\(images\): expected shape \(N, H, W\), "
                                         r"got \(8, 8\)"):
        FUNCTIONS[name](np.zeros((8, 8)))
