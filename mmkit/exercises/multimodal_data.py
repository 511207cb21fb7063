"""Checks for notebook 10's exercises: pad or cut a clip, mix in noise at an SNR, normalise
images with the training split's statistics.

Each check runs the learner's function on small fixed inputs, compares it with
the kit's own preprocessing (`mmkit.data.audio`, `mmkit.data.image`), and names
the typical mistake when it recognises one: padding at the wrong end, keeping
the end of a long clip, an amplitude ratio used as a power ratio (a factor of 2
in decibels), natural logarithms, a flipped sign, test-set statistics (leakage).
A check returns `Feedback`; it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.exercises.feedback import Feedback, attempt, check, compare, correct, wrong

# --------------------------------------------------------------------------- pad or truncate

#: A short "clip" whose samples say where they came from: 1, 2, ..., 7.
CLIP = np.arange(1, 8, dtype=np.float32)
#: (clip, length): pad, cut, already right, cut to nothing, pad an empty clip.
PAD_CASES = ((CLIP, 10), (CLIP, 4), (CLIP, 7), (CLIP, 0), (np.zeros(0, np.float32), 3))


def _as_array(out: object) -> np.ndarray | None:
    try:
        return np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return None


def _same(answer: np.ndarray | None, expected: np.ndarray, atol: float = 1e-7) -> bool:
    return answer is not None and answer.shape == expected.shape and \
        np.allclose(answer, expected, rtol=1e-6, atol=atol)


def _pad_feedback(out: object, clip: np.ndarray, length: int) -> Feedback:
    """The verdict on pad_or_truncate(clip, length), naming a recognised mistake."""
    size = len(clip)
    expected = audio_lib.pad_or_truncate(clip, length)
    case = f"a clip of {size} samples with length={length}"
    if out is None:
        return wrong(f"{case}: your function returned None: did you forget to `return`?")
    got = _as_array(out)
    if got is None or got.ndim != 1:
        shape = "not an array of numbers" if got is None else f"shape {got.shape}"
        return wrong(f"{case}: return a 1-D array of shape ({length},), got {shape}")
    if got.shape != expected.shape:
        if size > length and len(got) == size:
            return wrong(f"{case}: you returned the clip unchanged ({size} samples): when it "
                         f"is longer than `length`, cut it to its first {length} samples")
        if size < length and len(got) == size:
            return wrong(f"{case}: you returned the clip unchanged ({size} samples): when it "
                         f"is shorter, add {length - size} zeros after it")
        if abs(len(got) - length) == 1:
            return wrong(f"{case}: you returned {len(got)} samples, expected exactly {length}: "
                         "off by one (a long clip: clip[:length]; a short one: the clip, "
                         "then length − len(clip) zeros)")
        return wrong(f"{case}: you returned {len(got)} samples, expected exactly {length}")
    if not _same(got, expected):
        if size < length:
            front = np.concatenate([np.zeros(length - size), clip])
            start = (length - size) // 2
            centred = np.zeros(length)
            centred[start:start + size] = clip
            if _same(got, front):
                return wrong(f"{case}: you put the zeros before the clip; the kit pads at the "
                             "end, so the speech starts at sample 0 in every clip")
            if _same(got, centred):
                return wrong(f"{case}: you centred the clip; the kit's convention "
                             "(center=False) keeps it at the start and pads at the end")
            if _same(got[:size], clip):
                return wrong(f"{case}: the clip is in place, but pad with zeros (silence), "
                             f"not {got[size:][:3].tolist()}…: np.zeros, not np.empty or "
                             "np.pad(mode='edge')")
        if size > length:
            if _same(got, clip[size - length:]):
                return wrong(f"{case}: you kept the last {length} samples; keep the first "
                             f"{length} (clip[:length]): the word starts at the beginning")
            start = (size - length) // 2
            if _same(got, clip[start:start + length]):
                return wrong(f"{case}: you cut from both ends (centred); the kit's convention "
                             "(center=False) keeps the first `length` samples")
        return compare(got, expected, name=f"your result for {case}")
    if not isinstance(out, np.ndarray):
        return wrong(f"{case}: the values are right, but return a NumPy array, not a "
                     f"{type(out).__name__}")
    dtype = out.dtype
    if dtype != clip.dtype:
        return wrong(f"{case}: the values are right, but the dtype is {dtype}, not the clip's "
                     f"{clip.dtype}: keep it (np.zeros(length, dtype=audio.dtype)); models "
                     "and their features use float32, and float64 doubles the memory")
    return correct()


@check
def check_pad_or_truncate(pad_or_truncate: Callable) -> Feedback:
    """pad_or_truncate(audio (T,), length) → (length,) with the kit's convention (zeros after,
    or the first `length` samples), dtype kept; compared with `mmkit.data.audio`'s."""
    for clip, length in PAD_CASES:
        given = clip.copy()
        out = attempt(pad_or_truncate, given, length)
        if not np.array_equal(given, clip):
            return wrong("your function changed the clip it was given (in place): work on a "
                         "new array, e.g. np.zeros(length, dtype=audio.dtype), and copy into "
                         "it")
        feedback = _pad_feedback(out, clip, length)
        if not feedback.ok:
            return feedback
    return correct("Correct! Every case agrees with mmkit.data.audio.pad_or_truncate: zeros "
                   "after a short clip, the first `length` samples of a long one, the same "
                   "dtype.")


# --------------------------------------------------------------------------- noise at an SNR

#: A test tone: 0.3 s of a 440 Hz sine (amplitude 0.5) at 8 kHz, float64.
TONE = 0.5 * np.sin(2 * np.pi * 440 * np.arange(2400) / audio_lib.SAMPLE_RATE)
#: The SNRs the check asks for, in dB: noise louder than the tone, then quieter.
SNR_TARGETS = (-6.0, 10.0)
#: A mix counts as right within this many dB (the issue's tolerance for the kit's own).
SNR_TOLERANCE_DB = 0.5


def measured_snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """10·log10(P_clean / P_noise) with P the mean square and noise = noisy − clean."""
    clean, noisy = np.asarray(clean, dtype=float), np.asarray(noisy, dtype=float)
    noise_power = np.mean(np.square(noisy - clean))
    return float(10 * np.log10(np.mean(np.square(clean)) / noise_power))


def _snr_mistakes(target: float, power: float, peak: float) -> list[tuple[float, str]]:
    """(the SNR a typical mistake produces, what it is) for a clip of mean square `power`."""
    return [
        (2 * target, "your SNR comes out twice the one asked for, in dB: 10^(snr/10) is a "
                     "ratio of *powers* (mean squares), but you scaled the noise's amplitude by "
                     "it. Amplitudes scale with its square root, 10^(snr/20)"),
        (target / 2, "your SNR comes out half the one asked for, in dB: you used 10^(snr/20), "
                     "an amplitude ratio, where the power ratio 10^(snr/10) belongs (or took "
                     "the square root twice)"),
        (-target, "your SNR has the opposite sign: SNR = 10·log10(P_signal / P_noise), so a "
                  "negative SNR means noise *louder* than the signal; you divided the other "
                  "way round"),
        (target * np.log10(np.e), "your SNR comes out 0.434 × the one asked for: you used "
                                  "e^(snr/10) (np.exp) where decibels need 10^(snr/10): "
                                  "they are base 10"),
        (2 * target - 10 * np.log10(power), "you scaled unit noise by a power (P_signal / "
                                            "10^(snr/10)) instead of its square root: the "
                                            "noise's standard deviation is √P_noise"),
        (target + 10 * np.log10(power / peak**2), "you measured the signal by its peak; the "
                                                  "SNR compares mean powers: P_signal = "
                                                  "mean(audio²)"),
        (target + 5 * np.log10(power), "you measured the signal by its RMS, √mean(audio²), "
                                       "and used it as a power; the power is mean(audio²)"),
    ]


def _mix_problem(out: object, clip: np.ndarray, target: float) -> Feedback | None:
    """None if `out` is a valid noisy version of `clip`, else what is wrong with it."""
    case = f"snr_db={target:g}"
    if out is None:
        return wrong(f"{case}: your function returned None: did you forget to `return`?")
    got = _as_array(out)
    if got is None or got.shape != clip.shape:
        shape = "not an array of numbers" if got is None else f"shape {got.shape}"
        return wrong(f"{case}: return the noisy clip, shape {clip.shape} like the input; "
                     f"got {shape}")
    if not np.all(np.isfinite(got)):
        return wrong(f"{case}: your clip contains NaN or infinity (a division by zero?)")
    noise = got - clip
    if not np.any(noise):
        return wrong(f"{case}: you returned the clip unchanged: add the noise to it")
    if abs(np.corrcoef(noise, clip)[0, 1]) > 0.5:
        return wrong(f"{case}: what you added follows the clip itself (scaled the clip?): "
                     "add independent random noise, e.g. rng.standard_normal(len(audio)) "
                     "scaled to the right power")
    return None


def _snr_verdict(measured: dict[float, float], clip: np.ndarray) -> Feedback:
    """Target → measured SNR in dB: right within the tolerance, a recognised mistake (the
    same at every target), or how far off the first wrong one is."""
    off = {t: snr for t, snr in measured.items() if abs(snr - t) > SNR_TOLERANCE_DB}
    if not off:
        found = ", ".join(f"{snr:.2f} dB for {t:g}" for t, snr in measured.items())
        largest = max(abs(snr - t) for t, snr in measured.items())
        note = "" if largest < 1e-3 else (
            f" Only about right, though (off by up to {largest:.2f} dB): a random draw's mean "
            "square is not exactly 1; divide the noise by its own measured power to hit the "
            "SNR exactly.")
        return correct(f"Correct! Your mixes measure {found}.{note}")
    power, peak = float(np.mean(clip**2)), float(np.max(np.abs(clip)))
    targets = list(measured)
    hints = [_snr_mistakes(t, power, peak) for t in targets]
    for k, (_, hint) in enumerate(hints[0]):
        if all(abs(measured[t] - hints[i][k][0]) <= 0.3 for i, t in enumerate(targets)):
            found = ", ".join(f"{measured[t]:.2f} dB for snr_db={t:g}" for t in targets)
            return wrong(f"Your mixes measure {found}. {hint[0].upper()}{hint[1:]}")
    target, snr = next(iter(off.items()))
    return wrong(f"snr_db={target:g}: the mix measures {snr:.2f} dB, expected {target:g} dB "
                 f"(within {SNR_TOLERANCE_DB} dB). Scale unit noise n by "
                 "√(P_signal / (10^(snr/10) · P_n)), with P the mean square")


@check
def check_add_noise_at_snr(add_noise_at_snr: Callable) -> Feedback:
    """add_noise_at_snr(audio (T,), snr_db, rng) → audio + noise (T,), measured SNR within
    0.5 dB of snr_db at −6 and +10 dB; the noise drawn from `rng` (same seed, same mix)."""
    measured, first = {}, None
    for target in SNR_TARGETS:
        out = attempt(add_noise_at_snr, TONE.copy(), target, np.random.default_rng(0))
        problem = _mix_problem(out, TONE, target)
        if problem is not None:
            return problem
        measured[target] = measured_snr_db(TONE, out)
        first = _as_array(out) if first is None else first
    again = _as_array(attempt(add_noise_at_snr, TONE.copy(), SNR_TARGETS[0],
                              np.random.default_rng(0)))
    other = _as_array(attempt(add_noise_at_snr, TONE.copy(), SNR_TARGETS[0],
                              np.random.default_rng(1)))
    if not _same(first, again, atol=0):
        return wrong("two calls with the same seed, np.random.default_rng(0), gave different "
                     "noise: draw it from the `rng` argument (rng.standard_normal(...)), not "
                     "from np.random.* directly, so the data set is the same every time")
    if _same(first, other, atol=0):
        return wrong("rng seeded 0 and rng seeded 1 gave the same noise: draw it from the "
                     "`rng` argument instead of making a generator of your own")
    return _snr_verdict(measured, TONE)


# --------------------------------------------------------------------------- normalisation


def _normalisation_case() -> tuple[np.ndarray, np.ndarray]:
    """(train (40, 8, 8), images (6, 8, 8)): digits, the second set noisier and brighter, so
    its own statistics differ from the training split's."""
    images, _ = image_lib.load_digit_images(np.arange(46))
    rng = np.random.default_rng(0)
    train = images[:40]
    others = np.clip(images[40:] + 0.2 + rng.normal(0, 0.3, images[40:].shape), 0, 1)
    return train.astype(np.float32), others.astype(np.float32)


def _normalise_feedback(out: object, train: np.ndarray, images: np.ndarray) -> Feedback:
    """The verdict on normalize_with_training_stats(train, images)."""
    expected = image_lib.ImageNormalizer().fit(train).transform(images)
    if out is None:
        return wrong("your function returned None: did you forget to `return`?")
    got = _as_array(out)
    if got is None:
        return wrong(f"return an array of numbers, got {type(out).__name__}")
    if got.shape == train.shape and got.shape != images.shape:
        return wrong(f"you returned {got.shape[0]} images, as many as the training split: "
                     f"return `images` ({images.shape[0]} of them) normalised with the training "
                     "statistics")
    if got.shape != images.shape:
        return compare(got, expected, name="your result")
    mean, std = float(train.mean()), float(train.std())
    both = np.concatenate([train.ravel(), images.ravel()])
    with np.errstate(divide="ignore", invalid="ignore"):
        per_pixel = (images - train.mean(axis=0)) / train.std(axis=0)
    variants = [
        ((images - images.mean()) / images.std(),
         "you used the statistics of `images` themselves: that is leakage. Normalising the "
         "validation or test split with its own mean and std lets it shape its own "
         "preprocessing; a new image at prediction time has no split to take statistics "
         "from. Use the training split's: (images − train.mean()) / train.std()"),
        ((images - both.mean()) / both.std(),
         "you pooled the training images with `images`: the statistics still see the data "
         "they are applied to (leakage). Use the training split's alone"),
        ((images - mean) / images.std(),
         "the mean is the training split's, but the std is that of `images`: take both from "
         "the training split"),
        ((images - images.mean()) / std,
         "the std is the training split's, but the mean is that of `images`: take both from "
         "the training split"),
        ((images - mean) / train.std(ddof=1),
         "you divided by the sample std (ddof=1); ImageNormalizer, like torchvision's "
         "Normalize statistics and np.std's default, uses ddof=0"),
        ((images - mean) / std**2,
         "you divided by the variance; divide by the standard deviation, its square root"),
        (images - mean,
         "you subtracted the mean but did not divide by the standard deviation"),
        (images / std,
         "you divided by the standard deviation but did not subtract the mean first"),
    ]
    if _same(got, expected, atol=1e-5):
        return correct()
    for variant, hint in variants:
        if _same(got, variant, atol=1e-5):
            return wrong(hint)
    finite = np.isfinite(per_pixel)
    if np.allclose(got[finite], per_pixel[finite], rtol=1e-4, atol=1e-4):
        return wrong("you used one mean and one std per pixel (axis=0); pixels that are "
                     "always 0 in training (the corners) have std 0, so you divide by zero "
                     "(or by a tiny ε, blowing up any ink there). ImageNormalizer uses one "
                     "mean and one std over all pixels of the training images: "
                     "train.mean(), train.std()")
    return compare(got, expected, name="your result", atol=1e-5)


@check
def check_normalize_with_training_stats(normalize_with_training_stats: Callable) -> Feedback:
    """normalize_with_training_stats(train (N, H, W), images (M, H, W)) → (M, H, W):
    (images − train mean) / train std, one mean and one std over all training pixels."""
    train, images = _normalisation_case()
    train_given, images_given = train.copy(), images.copy()
    out = attempt(normalize_with_training_stats, train_given, images_given)
    if not (np.array_equal(train_given, train) and np.array_equal(images_given, images)):
        return wrong("your function changed its input arrays in place: return a new array "
                     "(x = (images − mean) / std, not images -= mean)")
    feedback = _normalise_feedback(out, train, images)
    if not feedback.ok:
        return feedback
    return correct("Correct! The same as ImageNormalizer().fit(train).transform(images): "
                   "statistics from the training split, applied to any split.")
