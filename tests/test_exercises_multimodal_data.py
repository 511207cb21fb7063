"""Notebook 10's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.exercises._reference import multimodal_data_snr_db
from mmkit.exercises.multimodal_data import (
    SNR_TARGETS,
    TONE,
    check_add_noise_at_snr,
    check_normalize_with_training_stats,
    check_pad_or_truncate,
)


def unfinished(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [check_pad_or_truncate, check_add_noise_at_snr,
                                   check_normalize_with_training_stats])
def test_unfinished_answers_are_not_answered(check):
    feedback = check(unfinished)
    assert not feedback.ok and "Not answered yet" in feedback.message


# --------------------------------------------------------------------------- pad or truncate

def pad_solution(audio, length):
    out = np.zeros(length, dtype=audio.dtype)
    kept = audio[:length]
    out[:len(kept)] = kept
    return out


def pad_with_concatenate(audio, length):
    if len(audio) >= length:
        return audio[:length].copy()
    return np.concatenate([audio, np.zeros(length - len(audio), dtype=audio.dtype)])


def test_pad_solutions_pass():
    for answer in (pad_solution, pad_with_concatenate):
        feedback = check_pad_or_truncate(answer)
        assert feedback.ok, feedback.message
    assert "Zeros after a short clip" in check_pad_or_truncate(pad_solution).message


@pytest.mark.parametrize("answer, phrase", [
    (audio_lib.pad_or_truncate, "that is the kit's own `mmkit.data.audio.pad_or_truncate`"),
    (lambda a, n: audio_lib.pad_or_truncate(a, n), "calls the kit's own `mmkit.data.audio."
                                                   "pad_or_truncate`"),
    (lambda a, n: image_lib.pad(a[None, None], n)[0, 0], "calls the kit's own "
                                                         "`mmkit.data.image.pad`"),
])
def test_pad_the_kits_own_is_not_an_answer(answer, phrase):
    feedback = check_pad_or_truncate(answer)
    assert not feedback.ok and phrase in feedback.message, feedback.message


def _front(audio, length):
    if len(audio) >= length:
        return audio[:length].copy()
    return np.concatenate([np.zeros(length - len(audio), audio.dtype), audio])


def _keep_last(audio, length):
    if len(audio) >= length:
        return audio[len(audio) - length:].copy()
    return pad_solution(audio, length)


def _unchanged_when_longer(audio, length):
    return audio.copy() if len(audio) >= length else pad_solution(audio, length)


def _off_by_one(audio, length):
    return pad_solution(audio, length)[:max(length - 1, 0)] if length else pad_solution(audio, 0)


def _float64(audio, length):
    return pad_solution(audio, length).astype(np.float64)


def _padded_with_ones(audio, length):
    out = np.ones(length, dtype=audio.dtype)
    kept = audio[:length]
    out[:len(kept)] = kept
    return out


def _centred(audio, length):
    out = np.zeros(length, audio.dtype)
    if len(audio) >= length:
        start = (len(audio) - length) // 2
        return audio[start:start + length].copy()
    start = (length - len(audio)) // 2
    out[start:start + len(audio)] = audio
    return out


def _padded_with_edge(audio, length):
    if len(audio) >= length:
        return audio[:length].copy()
    return np.pad(audio, (0, length - len(audio)), mode="edge")


def _in_place(audio, length):
    audio[:] = 0
    return pad_solution(audio, length)


@pytest.mark.parametrize("answer, phrase", [
    (_front, "you put the zeros before the clip"),
    (_centred, "you centred the clip"),
    (_keep_last, "you kept the last 4 samples; keep the first 4"),
    (_unchanged_when_longer, "you returned the clip unchanged (7 samples): when it is longer"),
    (lambda a, n: a.copy(), "you returned the clip unchanged (7 samples): when it is shorter"),
    (_off_by_one, "off by one"),
    (_float64, "the dtype is float64, not the clip's float32"),
    (lambda a, n: pad_solution(a, n).tolist(), "return a NumPy array, not a list"),
    (_padded_with_ones, "pad with zeros (silence), not ones"),
    (_padded_with_edge, "not copies of the last sample"),
    (_in_place, "changed the clip it was given"),
    (lambda a, n: None, "is None: did you forget to `return` it?"),
    (lambda a, n: np.full(n, 0.5, np.float32), "values of your result for a clip of 7"),
])
def test_pad_mistakes_are_named(answer, phrase):
    feedback = check_pad_or_truncate(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


# --------------------------------------------------------------------------- noise at an SNR

def noise_solution(audio, snr_db, rng):
    noise = rng.standard_normal(audio.shape)
    p_signal, p_noise = np.mean(audio**2), np.mean(noise**2)
    return audio + noise * np.sqrt(p_signal / (10 ** (snr_db / 10) * p_noise))


def noise_roughly(audio, snr_db, rng):
    """Unit noise assumed to have power 1 exactly: right within a tenth of a dB."""
    return audio + rng.standard_normal(audio.shape) * np.sqrt(np.mean(audio**2)
                                                              / 10 ** (snr_db / 10))


def test_noise_solutions_pass():
    feedback = check_add_noise_at_snr(noise_solution)
    assert feedback.ok and "-6.00 dB for -6" in feedback.message, feedback.message
    assert "Only about right" not in feedback.message
    rough = check_add_noise_at_snr(noise_roughly)
    assert rough.ok and "Only about right" in rough.message, rough.message


@pytest.mark.parametrize("answer, phrase", [
    (audio_lib.add_noise, "that is the kit's own `mmkit.data.audio.add_noise`"),
    (lambda a, s, rng: audio_lib.add_noise(a, s, rng), "calls the kit's own "
                                                       "`mmkit.data.audio.add_noise`"),
    (lambda a, s, rng: audio_lib.pad_and_add_noise(a, len(a), s, rng),
     "calls the kit's own `mmkit.data.audio.pad_and_add_noise`"),
])
def test_noise_the_kits_own_is_not_an_answer(answer, phrase):
    feedback = check_add_noise_at_snr(answer)
    assert not feedback.ok and phrase in feedback.message, feedback.message


def _noise_scaled(scale):
    """A mix whose noise std is scale(P_signal, snr_db), from unit noise of power exactly 1."""
    def answer(audio, snr_db, rng):
        noise = rng.standard_normal(audio.shape)
        noise /= np.sqrt(np.mean(noise**2))
        return audio + noise * scale(np.mean(audio**2), snr_db, audio)
    return answer


@pytest.mark.parametrize("scale, phrase", [
    (lambda p, s, a: np.sqrt(p) / 10 ** (s / 10), "twice the one asked for"),
    (lambda p, s, a: np.sqrt(p / 10 ** (s / 20)), "half the one asked for"),
    (lambda p, s, a: np.sqrt(p * 10 ** (s / 10)), "the opposite sign"),
    (lambda p, s, a: np.sqrt(p / np.exp(s / 10)), "e^(snr/10) (np.exp)"),
    (lambda p, s, a: p / 10 ** (s / 10), "instead of its square root"),
    (lambda p, s, a: np.abs(a).max() / 10 ** (s / 20), "measured the signal by its peak"),
    (lambda p, s, a: np.sqrt(np.sqrt(p) / 10 ** (s / 10)), "measured the signal by its RMS"),
    (lambda p, s, a: 0.1, "expected -6, 10 dB"),
])
def test_snr_mistakes_are_named(scale, phrase):
    feedback = check_add_noise_at_snr(_noise_scaled(scale))
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def _global_rng(audio, snr_db, rng):
    noise = np.random.default_rng().standard_normal(audio.shape)  # ignores rng
    return noise_solution(audio, snr_db, np.random.default_rng(int(1e6 * abs(noise[0]))))


@pytest.mark.parametrize("answer, phrase", [
    (_global_rng, "draw it from the `rng` argument"),
    (lambda a, s, rng: noise_solution(a, s, np.random.default_rng(7)), "seeded 1 gave the same"),
    (lambda a, s, rng: a * (1 + 0.1 * s), "follows the clip itself"),
    (lambda a, s, rng: a.copy(), "returned the clip unchanged"),
    (lambda a, s, rng: noise_solution(a, s, rng)[:-1], "shape (2400,) like the input"),
    (lambda a, s, rng: a / 0.0, "NaN or infinity"),
])
def test_other_noise_mistakes_are_named(answer, phrase):
    with np.errstate(divide="ignore", invalid="ignore"):
        feedback = check_add_noise_at_snr(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message


def test_the_reference_snr_is_the_definition():
    noisy = audio_lib.add_noise(TONE, SNR_TARGETS[0], rng=0)
    assert multimodal_data_snr_db(TONE, noisy) == pytest.approx(SNR_TARGETS[0], abs=1e-6)


# --------------------------------------------------------------------------- normalisation

def normalise_solution(train_images, images):
    return (images - train_images.mean()) / train_images.std()


def test_normalise_solution_passes():
    feedback = check_normalize_with_training_stats(normalise_solution)
    assert feedback.ok and "ImageNormalizer" in feedback.message, feedback.message
    in_float64 = check_normalize_with_training_stats(
        lambda t, x: (x.astype(float) - t.astype(float).mean()) / t.astype(float).std())
    assert in_float64.ok, in_float64.message


def _kit_normalise(train_images, images):
    return image_lib.ImageNormalizer().fit(train_images).transform(images)


def _kit_log_mel_normalise(train_images, images):
    normalizer = audio_lib.LogMelNormalizer().fit(train_images.reshape(1, -1, 1))
    return normalizer.transform(images[..., None])[..., 0]


@pytest.mark.parametrize("answer, phrase", [
    (image_lib.ImageNormalizer().fit(np.ones((1, 2, 2))).transform,
     "that is the kit's own `mmkit.data.image.ImageNormalizer.transform`"),
    (_kit_normalise, "calls the kit's own `mmkit.data.image.ImageNormalizer.__init__`"),
    (_kit_log_mel_normalise, "calls the kit's own `mmkit.data.audio.LogMelNormalizer"),
])
def test_normalise_the_kits_own_is_not_an_answer(answer, phrase):
    feedback = check_normalize_with_training_stats(answer)
    assert not feedback.ok and phrase in feedback.message, feedback.message


def _in_place_normalise(train_images, images):
    images -= train_images.mean()
    images /= train_images.std()
    return images


@pytest.mark.parametrize("answer, phrase", [
    (lambda t, x: (x - x.mean()) / x.std(), "that is leakage"),
    (lambda t, x: (x - np.concatenate([t, x]).mean()) / np.concatenate([t, x]).std(),
     "you pooled the training images"),
    (lambda t, x: (x - t.mean()) / x.std(), "the std is that of `images`"),
    (lambda t, x: (x - x.mean()) / t.std(), "the mean is that of `images`"),
    (lambda t, x: (x - t.mean()) / t.std(ddof=1), "sample std (ddof=1)"),
    (lambda t, x: (x - t.mean()) / t.var(), "divided by the variance"),
    (lambda t, x: x - t.mean(), "did not divide"),
    (lambda t, x: x / t.std(), "did not subtract the mean"),
    (lambda t, x: (x - t.mean(axis=0)) / t.std(axis=0), "one mean and one std per pixel"),
    (lambda t, x: (x - t.mean(axis=0)) / (t.std(axis=0) + 1e-8), "one mean and one std per"),
    (lambda t, x: (t - t.mean()) / t.std(), "as many as the training split"),
    (lambda t, x: -(x - t.mean()) / t.std(), "opposite sign"),
    (_in_place_normalise, "changed its input arrays in place"),
    (lambda t, x: None, "is None: did you forget"),
    (lambda t, x: (x - t.mean()) / t.std() + 0.1, "values of your result differ"),
])
def test_normalise_mistakes_are_named(answer, phrase):
    with np.errstate(divide="ignore", invalid="ignore"):
        feedback = check_normalize_with_training_stats(answer)
    assert not feedback.ok
    assert phrase in feedback.message, feedback.message
