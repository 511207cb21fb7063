"""Checks for notebook 10's exercises: pad or cut a clip, mix in noise at an SNR, normalise
images with the training split's statistics.

    check_pad_or_truncate(pad_or_truncate)          (T,) → (length,): the first samples, zeros
    check_add_noise_at_snr(add_noise_at_snr)        audio + noise at snr_db decibels
    check_normalize_with_training_stats(normalize_with_training_stats)
                                                    (images − train mean) / train std

Each check runs the learner's function on small fixed inputs with the kit's own
preprocessing switched off (`@check(kit=...)`: `mmkit.data.audio`'s padding and
noise, `mmkit.data.image`'s padding, noise and normaliser, the log-mel
normaliser), compares with the private references of `_reference` (PyTorch),
and names the typical mistake when it recognises one: padding at the wrong
end, keeping the end of a long clip, an amplitude ratio used as a power ratio
(a factor of 2 in decibels), natural logarithms, a flipped sign, statistics of
the split being normalised (leakage). A check returns `Feedback`; it never
raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    attempt,
    check,
    compare,
    correct,
    diagnose,
    known_mistake,
    matches,
    wrong,
)

# --------------------------------------------------------------------------- pad or truncate

#: A short "clip" whose samples say where they came from: 1, 2, ..., 7.
CLIP = np.arange(1, 8, dtype=np.float32)
#: (clip, length): pad, cut, already right, cut to nothing, pad an empty clip.
PAD_CASES = ((CLIP, 10), (CLIP, 4), (CLIP, 7), (CLIP, 0), (np.zeros(0, np.float32), 3))
#: The kit's ways to pad or cut a clip (and an image's border).
PAD_KIT = [audio_lib.pad_or_truncate, audio_lib.pad_and_add_noise, image_lib.pad]


def _pad_mistakes(clip: np.ndarray, length: int, case: str) -> list[tuple[object, str]]:
    """(what a typical mistake returns for pad_or_truncate(clip, length), what it is)."""
    size, short = len(clip), max(length - len(clip), 0)
    centred, start = np.zeros(length), max(length - size, 0) // 2
    centred[start:start + min(size, length)] = clip[max(size - length, 0) // 2:][:length]
    unchanged = (f"you returned the clip unchanged ({size} samples): when it is longer than "
                 f"`length`, cut it to its first {length} samples" if size > length else
                 f"you returned the clip unchanged ({size} samples): when it is shorter, add "
                 f"{short} zeros after it")
    off_by_one = (f"off by one: return exactly {length} samples (a long clip: clip[:length]; "
                  "a short one: the clip, then length − len(clip) zeros)")
    mistakes = [
        (clip, unchanged),
        (np.concatenate([np.zeros(short), clip[:length]]),
         "you put the zeros before the clip; the kit pads at the end, so the speech starts "
         "at sample 0 in every clip"),
        (centred, "you centred the clip; the kit's convention (center=False) keeps it at the "
                  "start: the first `length` samples of a long clip, zeros after a short one"),
        (clip[size - length:] if 0 < length <= size else clip[:0],
         f"you kept the last {length} samples; keep the first {length} (clip[:length]): the "
         "word starts at the beginning"),
        (np.concatenate([clip[:length], np.ones(short)]),
         "the clip is in place, but pad with zeros (silence), not ones: np.zeros"),
        (np.concatenate([clip[:length], np.full(short, clip[-1] if size else 0.0)]),
         "the clip is in place, but pad with zeros (silence), not copies of the last sample "
         "(np.pad(mode='edge')): np.zeros"),
        (_reference.multimodal_data_pad_or_truncate(clip, length)[:-1], off_by_one),
        (_reference.multimodal_data_pad_or_truncate(clip, length + 1), off_by_one),
    ]
    return [(result, f"{case}: {message}") for result, message in mistakes]


def _pad_problem(out: object, clip: np.ndarray, length: int) -> Feedback | None:
    """What is wrong with pad_or_truncate(clip, length) = out, or None."""
    case = f"a clip of {len(clip)} samples with length={length}"
    expected = _reference.multimodal_data_pad_or_truncate(clip, length)
    problem = diagnose(out, expected, _pad_mistakes(clip, length, case),
                       name=f"your result for {case}",
                       hint="A long clip keeps clip[:length]; a short one is followed by "
                            "length − len(clip) zeros")
    if problem is not None:
        return problem
    if not isinstance(out, np.ndarray):
        return wrong(f"{case}: the values are right, but return a NumPy array, not a "
                     f"{type(out).__name__}")
    if out.dtype != clip.dtype:
        return wrong(f"{case}: the values are right, but the dtype is {out.dtype}, not the "
                     f"clip's {clip.dtype}: keep it (np.zeros(length, dtype=audio.dtype)); "
                     "models and their features use float32, and float64 doubles the memory")
    return None


@check(kit=PAD_KIT)
def check_pad_or_truncate(pad_or_truncate: Callable) -> Feedback:
    """pad_or_truncate(audio (T,), length) → (length,) with the kit's convention (zeros after,
    or the first `length` samples), dtype kept; for clips longer, shorter, equal, empty."""
    for clip, length in PAD_CASES:
        given = clip.copy()
        out = attempt(pad_or_truncate, given, length)
        if not np.array_equal(given, clip):
            return wrong("your function changed the clip it was given (in place): work on a "
                         "new array, e.g. np.zeros(length, dtype=audio.dtype), and copy into "
                         "it")
        problem = _pad_problem(out, clip, length)
        if problem is not None:
            return problem
    return correct("Correct! Zeros after a short clip, the first `length` samples of a long "
                   "one, exactly `length` samples, the same dtype: the convention of "
                   "mmkit.data.audio.pad_or_truncate.")


# --------------------------------------------------------------------------- noise at an SNR

#: A test tone: 0.3 s of a 440 Hz sine (amplitude 0.5) at 8 kHz, float64.
TONE = 0.5 * np.sin(2 * np.pi * 440 * np.arange(2400) / audio_lib.SAMPLE_RATE)
#: The SNRs the check asks for, in dB: noise louder than the tone, then quieter.
SNR_TARGETS = (-6.0, 10.0)
#: A mix counts as right within this many dB; a typical mistake is recognised within 0.3 dB.
SNR_TOLERANCE_DB = 0.5
MISTAKE_TOLERANCE_DB = 0.3
#: The kit's ways to mix in noise.
NOISE_KIT = [audio_lib.add_noise, audio_lib.pad_and_add_noise, image_lib.add_noise]


def _snr_mistakes(targets: np.ndarray, power: float, peak: float
                  ) -> list[tuple[np.ndarray, str]]:
    """(the SNRs a typical mistake produces at `targets`, what it is), for a clip of mean
    square `power` and peak `peak`."""
    return [
        (2 * targets, "your SNR comes out twice the one asked for, in dB: 10^(snr/10) is a "
                      "ratio of *powers* (mean squares), but you scaled the noise's amplitude "
                      "by it. Amplitudes scale with its square root, 10^(snr/20)"),
        (targets / 2, "your SNR comes out half the one asked for, in dB: you used "
                      "10^(snr/20), an amplitude ratio, where the power ratio 10^(snr/10) "
                      "belongs (or took the square root twice)"),
        (-targets, "your SNR has the opposite sign: SNR = 10·log10(P_signal / P_noise), so a "
                   "negative SNR means noise *louder* than the signal; you divided the other "
                   "way round"),
        (targets * np.log10(np.e), "your SNR comes out 0.434 × the one asked for: you used "
                                   "e^(snr/10) (np.exp) where decibels need 10^(snr/10): "
                                   "they are base 10"),
        (2 * targets - 10 * np.log10(power), "you scaled unit noise by a power (P_signal / "
                                             "10^(snr/10)) instead of its square root: the "
                                             "noise's standard deviation is √P_noise"),
        (targets + 10 * np.log10(power / peak**2), "you measured the signal by its peak; the "
                                                   "SNR compares mean powers: P_signal = "
                                                   "mean(audio²)"),
        (targets + 5 * np.log10(power), "you measured the signal by its RMS, √mean(audio²), "
                                        "and used it as a power; the power is mean(audio²)"),
    ]


def _mix_problem(out: object, clip: np.ndarray, target: float) -> Feedback | None:
    """None if `out` is a noisy version of `clip` whose SNR can be measured, else what is
    wrong with it."""
    case = f"snr_db={target:g}"
    if out is None:
        return wrong(f"{case}: your function returned None: did you forget to `return`?")
    try:
        got = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        got = None
    if got is None or got.shape != clip.shape:
        shape = "not an array of numbers" if got is None else f"shape {got.shape}"
        return wrong(f"{case}: return the noisy clip, shape {clip.shape} like the input; "
                     f"got {shape}")
    if not np.all(np.isfinite(got)):
        return wrong(f"{case}: your clip contains NaN or infinity (a division by zero?)")
    unchanged = known_mistake(out, [(clip, f"{case}: you returned the clip unchanged: add "
                                           "the noise to it")])
    if unchanged is not None:
        return unchanged
    noise = got - clip
    if abs(np.corrcoef(noise, clip)[0, 1]) > 0.5:
        return wrong(f"{case}: what you added follows the clip itself (scaled the clip?): "
                     "add independent random noise, e.g. rng.standard_normal(len(audio)) "
                     "scaled to the right power")
    return None


@check(kit=NOISE_KIT)
def check_add_noise_at_snr(add_noise_at_snr: Callable) -> Feedback:
    """add_noise_at_snr(audio (T,), snr_db, rng) → audio + noise (T,), measured SNR within
    0.5 dB of snr_db at −6 and +10 dB; the noise drawn from `rng` (same seed, same mix)."""
    mixes = []
    for target in SNR_TARGETS:
        with np.errstate(all="ignore"):
            out = attempt(add_noise_at_snr, TONE.copy(), target, np.random.default_rng(0))
        problem = _mix_problem(out, TONE, target)
        if problem is not None:
            return problem
        mixes.append(np.asarray(out, dtype=float))
    again = attempt(add_noise_at_snr, TONE.copy(), SNR_TARGETS[0], np.random.default_rng(0))
    other = attempt(add_noise_at_snr, TONE.copy(), SNR_TARGETS[0], np.random.default_rng(1))
    if not matches(again, mixes[0], rtol=0, atol=0):
        return wrong("two calls with the same seed, np.random.default_rng(0), gave different "
                     "noise: draw it from the `rng` argument (rng.standard_normal(...)), not "
                     "from np.random.* directly, so the data set is the same every time")
    if matches(other, mixes[0], rtol=0, atol=0):
        return wrong("rng seeded 0 and rng seeded 1 gave the same noise: draw it from the "
                     "`rng` argument instead of making a generator of your own")
    targets = np.array(SNR_TARGETS)
    measured = np.array([_reference.multimodal_data_snr_db(TONE, mix) for mix in mixes])
    found = ", ".join(f"{snr:.2f} dB for {t:g}" for t, snr in zip(targets, measured,
                                                                  strict=True))
    if matches(measured, targets, rtol=0, atol=SNR_TOLERANCE_DB):
        largest = float(np.abs(measured - targets).max())
        note = "" if largest < 1e-3 else (
            f" Only about right, though (off by up to {largest:.2f} dB): a random draw's mean "
            "square is not exactly 1; divide the noise by its own measured power to hit the "
            "SNR exactly.")
        return correct(f"Correct! Your mixes measure {found}.{note}")
    power, peak = float(np.mean(TONE**2)), float(np.max(np.abs(TONE)))
    mistake = known_mistake(measured, _snr_mistakes(targets, power, peak), rtol=0,
                            atol=MISTAKE_TOLERANCE_DB)
    if mistake is not None:
        return wrong(f"Your mixes measure {found}. {mistake.message[0].upper()}"
                     f"{mistake.message[1:]}")
    return wrong(f"Your mixes measure {found}, expected {', '.join(f'{t:g}' for t in targets)} "
                 f"dB (within {SNR_TOLERANCE_DB} dB). Scale unit noise n by "
                 "√(P_signal / (10^(snr/10) · P_n)), with P the mean square")


# --------------------------------------------------------------------------- normalisation

#: The kit's normalisers (and the data set, which applies them).
NORMALIZE_KIT = [image_lib.ImageNormalizer, audio_lib.LogMelNormalizer]


def _normalisation_case() -> tuple[np.ndarray, np.ndarray]:
    """(train (40, 8, 8), images (6, 8, 8)): digits, the second set noisier and brighter, so
    its own statistics differ from the training split's."""
    images, _ = image_lib.load_digit_images(np.arange(46))
    rng = np.random.default_rng(0)
    train = images[:40]
    others = np.clip(images[40:] + 0.2 + rng.normal(0, 0.3, images[40:].shape), 0, 1)
    return train.astype(np.float32), others.astype(np.float32)


def _normalise_mistakes(train: np.ndarray, images: np.ndarray) -> list[tuple[object, str]]:
    """(what a typical mistake returns for normalize_with_training_stats(train, images),
    what it is)."""
    train, images = train.astype(np.float64), images.astype(np.float64)
    mean, std = train.mean(), train.std()
    both = np.concatenate([train.ravel(), images.ravel()])
    return [
        ((train - mean) / std,
         f"you returned {len(train)} images, as many as the training split: return `images` "
         f"({len(images)} of them) normalised with the training statistics"),
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
         "you divided by the sample std (ddof=1); the kit, like np.std's default, uses the "
         "population std (ddof=0)"),
        ((images - mean) / std**2,
         "you divided by the variance; divide by the standard deviation, its square root"),
        (images - mean, "you subtracted the mean but did not divide by the standard deviation"),
        (images / std, "you divided by the standard deviation but did not subtract the mean "
                       "first"),
    ]


PER_PIXEL = ("you used one mean and one std per pixel (axis=0); pixels that are always 0 in "
             "training (the corners) have std 0, so you divide by zero (or by a tiny ε, "
             "blowing up any ink there). Use one mean and one std over all pixels of the "
             "training images: train.mean(), train.std()")


@check(kit=NORMALIZE_KIT)
def check_normalize_with_training_stats(normalize_with_training_stats: Callable) -> Feedback:
    """normalize_with_training_stats(train (N, H, W), images (M, H, W)) → (M, H, W):
    (images − train mean) / train std, one mean and one std over all training pixels."""
    train, images = _normalisation_case()
    train_given, images_given = train.copy(), images.copy()
    with np.errstate(all="ignore"):
        out = attempt(normalize_with_training_stats, train_given, images_given)
    if not (np.array_equal(train_given, train) and np.array_equal(images_given, images)):
        return wrong("your function changed its input arrays in place: return a new array "
                     "(x = (images − mean) / std, not images -= mean)")
    expected = _reference.multimodal_data_normalize(train, images)
    mistake = known_mistake(out, _normalise_mistakes(train, images), rtol=1e-5, atol=1e-5)
    if mistake is not None:
        return mistake
    with np.errstate(all="ignore"):
        per_pixel = (images - train.mean(axis=0)) / train.std(axis=0)
    finite = np.isfinite(per_pixel)  # pixels where the training std is not 0
    if matches(np.shape(out), images.shape):
        mistake = known_mistake(np.asarray(out)[finite], [(per_pixel[finite], PER_PIXEL)],
                                rtol=1e-4, atol=1e-4)
        if mistake is not None:
            return mistake
    feedback = compare(out, expected, name="your result", rtol=1e-5, atol=1e-5)
    if not feedback.ok:
        return feedback
    return correct("Correct! One mean and one std from the training split, applied to any "
                   "split: what ImageNormalizer().fit(train).transform(images) does.")
