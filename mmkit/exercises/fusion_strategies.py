"""Checks for notebook 12's exercises: early fusion's normalised features, the modality
mask, and late fusion's mean over the present modalities.

    check_fuse_features(fuse_features)      standardise each feature with TRAINING
                                            statistics, then concatenate the modalities
    check_mask_features(mask_features)      zero the columns of each missing modality
    check_late_mean(late_mean)              the mean of the present modalities' predictions

Each check runs the learner's function on fixed inputs with the kit's own versions
switched off (`@check(kit=...)`: `mmkit.scratch.preprocess.standardize`,
`mmkit.robustness.drop_modality`, `FusionModel.mask`, `LateFusion`), compares with the
private references of `_reference` (torch), and names the typical mistake when there is
one: features concatenated raw, standardised with the statistics of the batch being
evaluated, or with one mean and std over all columns; the mask inverted, or read in the
wrong modality order; the mean divided by 3 instead of the number of modalities present,
or taken over the missing ones too. A check returns `Feedback`; it never raises.
"""

from collections.abc import Callable

import numpy as np

from mmkit import robustness
from mmkit.exercises import _reference
from mmkit.exercises.feedback import Feedback, as_numbers, attempt, check, correct, diagnose
from mmkit.models import fusion
from mmkit.scratch import preprocess

# --- exercise 1: fuse normalised features ------------------------------------------------------

#: The kit's ways to standardise features with training statistics.
FUSE_KIT = [preprocess.standardize, fusion.EarlyFusion]


def _fuse_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(train_features, features): three modalities on very different scales (text ~0.5,
    image ~3, audio ~−50), 40 training rows and 6 rows to fuse drawn a little off the
    training distribution, so their own statistics differ from the training ones."""
    rng = np.random.default_rng(12)
    scales = [(0.5, 0.1, 2), (3.0, 2.0, 3), (-50.0, 30.0, 4)]   # (mean, std, width)
    train = [rng.normal(m, s, size=(40, d)) for m, s, d in scales]
    other = [rng.normal(m + s, 2 * s, size=(6, d)) for m, s, d in scales]
    return train, other


def _fuse_mistakes(train: list[np.ndarray], other: list[np.ndarray]
                   ) -> list[tuple[object, str]]:
    joined_train, joined = np.concatenate(train, axis=1), np.concatenate(other, axis=1)
    mean = joined_train.mean(axis=0)
    return [
        (joined,
         "You concatenated the raw features: the audio's (around −50, spread 30) then "
         "dwarf the text's (around 0.5, spread 0.1) in every distance and every gradient. "
         "Standardise each column first: (f − train mean) / train std."),
        ((joined - joined.mean(axis=0)) / joined.std(axis=0),
         "You standardised with the statistics of the features being fused (the batch you "
         "evaluate): that is leakage, and a single sample could not be fused at all. Use the "
         "mean and std of the TRAINING features, column by column."),
        ((joined - joined_train.mean()) / joined_train.std(),
         "You used one mean and one std over all columns together: the modalities keep "
         "their different scales (audio still dominates). Take the mean and std of each "
         "column (axis=0) of the training features."),
        ((joined - mean) / joined_train.std(axis=0, ddof=1),
         "You divided by the sample std (ddof=1); the kit, like np.std's default and "
         "scikit-learn's StandardScaler, uses the population std (ddof=0)."),
        ((joined - mean),
         "You centred the columns but did not divide by the training std: the scales still "
         "differ by a factor of 300."),
    ]


@check(kit=FUSE_KIT)
def check_fuse_features(fuse_features: Callable) -> Feedback:
    """`fuse_features(train_features, features)` → (N, Σ d_k): both lists of one array
    per modality (text, image, audio), (N_train, d_k) and (N, d_k); each column of
    `features` standardised with the mean and std (ddof 0) of that column of the training
    features, then the modalities concatenated in order."""
    train, other = _fuse_case()
    answer = attempt(fuse_features, [t.copy() for t in train], [o.copy() for o in other])
    expected = _reference.fusion_strategies_fuse_features(train, other)
    problem = diagnose(as_numbers(answer), expected, _fuse_mistakes(train, other),
                       "your fused features",
                       hint="(f − train.mean(axis=0)) / train.std(axis=0) per modality, "
                            "then np.concatenate(..., axis=1): shape (6, 9).")
    if problem is not None:
        return problem
    return correct(
        "Correct! Each column now has mean 0 and std 1 over the training split, so no "
        "modality dominates by its units alone, and a new sample is fused with the same "
        "numbers as the training data.")


# --- exercise 2: the mask -----------------------------------------------------------------------

#: The kit's ways to blank a missing modality.
MASK_KIT = [robustness.drop_modality, fusion.FusionModel.mask]
#: The widths of the text, image and audio columns in exercise 2 (distinct, so a mask read
#: in the wrong order shows).
MASK_WIDTHS = (2, 3, 4)


def _mask_case() -> tuple[np.ndarray, np.ndarray]:
    """(features (6, 9) with no zero, present (6, 3) bool: every pattern that matters)."""
    rng = np.random.default_rng(5)
    features = rng.uniform(0.5, 2.0, size=(6, sum(MASK_WIDTHS)))
    present = np.array([[1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 0, 0], [0, 0, 1]],
                       dtype=bool)
    return features, present


def _mask_mistakes(features: np.ndarray, present: np.ndarray) -> list[tuple[object, str]]:
    def keep(bits: np.ndarray, widths=MASK_WIDTHS) -> np.ndarray:
        return features * np.repeat(bits, widths, axis=1)

    return [
        (keep(~present),
         "Your mask is inverted: you zeroed the modalities that are PRESENT and kept the "
         "missing ones. present[:, k] is True where modality k is there: keep those columns."),
        (keep(present[:, ::-1]),
         "You read the mask in the wrong modality order (audio, image, text): the columns of "
         "present are text, image, audio (MODALITIES), the same order as the features."),
        (keep(present[:, ::-1], MASK_WIDTHS[::-1]),
         "You laid the columns out as audio, image, text: the features are text (2 columns), "
         "image (3), audio (4), in the order of MODALITIES."),
        (features * present.all(axis=1, keepdims=True),
         "You zeroed the whole row when any modality is missing: keep the present "
         "modalities' columns; only the missing one's become 0."),
    ]


@check(kit=MASK_KIT)
def check_mask_features(mask_features: Callable) -> Feedback:
    """`mask_features(features, present, widths)` → features (N, Σ d_k) with the columns of
    each missing modality set to 0: features (N, Σ d_k) are [text | image | audio] with
    widths (d_text, d_image, d_audio); present (N, 3) bool, columns text, image, audio."""
    features, present = _mask_case()
    answer = attempt(mask_features, features.copy(), present.copy(), MASK_WIDTHS)
    expected = _reference.fusion_strategies_mask_features(features, present, MASK_WIDTHS)
    problem = diagnose(as_numbers(answer), expected, _mask_mistakes(features, present),
                       "your masked features",
                       hint="features * np.repeat(present, widths, axis=1): shape (6, 9).")
    if problem is not None:
        return problem
    return correct(
        "Correct! A missing modality now reads as exactly 0, whatever its tensors held; "
        "early fusion also appends the mask bits, so the head can tell 'missing' from "
        "'all features 0'.")


# --- exercise 3: late fusion's mean --------------------------------------------------------------

#: The kit's ways to average the modalities' predictions.
LATE_KIT = [fusion.LateFusion]


def _late_case() -> tuple[np.ndarray, np.ndarray]:
    """(probs (5, 3, 4): each modality's predicted probabilities, present (5, 3) bool),
    with one row that has no modality at all."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(5, 3, 4))
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    present = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 0], [0, 1, 1], [0, 0, 0]], dtype=bool)
    return probs, present


def _late_mistakes(probs: np.ndarray, present: np.ndarray) -> list[tuple[object, str]]:
    masked = (probs * present[:, :, None]).sum(axis=1)
    count = present.sum(axis=1, keepdims=True)
    uniform = np.full_like(masked, 1 / probs.shape[2])
    right = np.where(count > 0, masked / np.maximum(count, 1), uniform)
    return [
        (np.where(count > 0, masked / 3, uniform),
         "You divided by 3 instead of by the number of modalities present: a row with one "
         "modality gets probabilities summing to 1/3. Divide by present.sum(axis=1)."),
        (masked / 3,
         "You divided by 3 instead of by the number of modalities present (and a row with "
         "none gets all zeros): divide by present.sum(axis=1), and give a row with no "
         "modality the uniform 1/C."),
        (probs.mean(axis=1),
         "You averaged over all three modalities, the missing ones too: their heads saw "
         "all-zero features, so their 'predictions' are guesses. Average the present ones "
         "only."),
        (np.where(count > 0, right, 0.0),
         "A row with no modality present should get the uniform guess 1/C (what LateFusion's "
         "logits of 0 give), not zeros: it must still be a probability distribution."),
    ]


@check(kit=LATE_KIT)
def check_late_mean(late_mean: Callable) -> Feedback:
    """`late_mean(probs, present)` → (N, C): probs (N, M, C) each modality's predicted
    probabilities, present (N, M) bool; the mean of the PRESENT modalities' probabilities
    per row (divided by how many are present), the uniform 1/C for a row with none."""
    probs, present = _late_case()
    answer = attempt(late_mean, probs.copy(), present.copy())
    expected = _reference.fusion_strategies_late_mean(probs, present)
    problem = diagnose(as_numbers(answer), expected, _late_mistakes(probs, present),
                       "your fused probabilities",
                       hint="(probs * present[:, :, None]).sum(axis=1) / present.sum(axis=1, "
                            "keepdims=True), uniform where none is present: shape (5, 4).")
    if problem is not None:
        return problem
    return correct(
        "Correct! Each row is a probability distribution over the present modalities only: "
        "what LateFusion(combine='mean') computes, so a missing modality changes the weights "
        "of the others, never the answer's scale.")
