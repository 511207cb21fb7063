"""Checks for notebook 14's exercises: imputing with training statistics, modality
dropout only while training, and adapting on clips you then never evaluate on.

    check_impute_training_mean(impute)      fill each missing pixel with that pixel's mean
                                            over the TRAINING images; known pixels kept
    check_modality_dropout(drop)            hide each present modality with probability
                                            p while training (a row keeps at least one);
                                            at evaluation, nothing is hidden
    check_adaptation_split(split)           k / 10 clips of each digit to adapt on, every
                                            other clip to evaluate on, never the same one

Each check runs the learner's function on fixed inputs with the kit's own versions
switched off (`@check(kit=...)`: `mmkit.cleaning.MeanImputer`,
`mmkit.models.encoders.drop_modalities`, `mmkit.voices.adaptation_split`), compares with
the private references of `_reference` (torch), and names the typical mistake when there
is one: the imputation fitted on the images being cleaned (or on the training and those
together), one mean for every pixel, known pixels overwritten; dropout left on at
evaluation, the comparison inverted, a row left with nothing, a missing modality brought
back; the adapted clips evaluated on again, k clips that are not k / 10 of each digit.
A check returns `Feedback`; it never raises.
"""

from collections.abc import Callable

import numpy as np

from mmkit import cleaning, voices
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    correct,
    diagnose,
    unpack,
    wrong,
)
from mmkit.models import encoders

# --- exercise 1: impute with training statistics -----------------------------------------------

#: The kit's ways to fill missing pixels with training means.
IMPUTE_KIT = [cleaning.MeanImputer]


def _impute_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X_train (30, 6), X (5, 6) with NaN where missing, known (5, 6) bools): the images
    to clean are drawn brighter than the training ones, so their own statistics differ."""
    rng = np.random.default_rng(14)
    X_train = rng.uniform(0.0, 0.6, size=(30, 6))
    X = rng.uniform(0.3, 1.0, size=(5, 6))
    known = rng.random((5, 6)) >= 0.4
    known[:, 0] = [True, False, False, True, True]    # every column has known values ...
    known[0] = [True, False, True, False, True, True]  # ... and missing ones
    known[:, 3] = [False, True, False, True, False]
    return X_train, np.where(known, X, np.nan), known


def _impute_mistakes(X_train: np.ndarray, X: np.ndarray, known: np.ndarray
                     ) -> list[tuple[object, str]]:
    own = np.nanmean(X, axis=0)
    pooled = np.nanmean(np.vstack([X_train, X]), axis=0)
    train_mean = X_train.mean(axis=0)
    return [
        (np.where(known, X, own),
         "You filled with the mean of the images you are cleaning (their own statistics): "
         "fit on the wrong split. On held-out or new data those statistics are not yours to "
         "use (a single new image has none); fit the means on X_train only."),
        (np.where(known, X, pooled),
         "You took the means over the training images and the images being cleaned "
         "together: their values leak into their own cleaning. Fit on X_train only."),
        (np.where(known, X, X_train.mean()),
         "You used one mean over every pixel of the training images: a corner pixel, never "
         "inked, gets the same grey as a centre pixel. Take each pixel's (column's) mean, "
         "X_train.mean(axis=0)."),
        (np.broadcast_to(train_mean, X.shape),
         "You replaced the known pixels too: every image became the training mean image. "
         "Fill only where known is False and keep the pixels you have."),
        (np.where(known, X, 0.0),
         "You filled the missing pixels with 0 (no ink): the digit loses strokes wherever "
         "pixels went missing. Fill with each pixel's training mean."),
    ]


@check(kit=IMPUTE_KIT)
def check_impute_training_mean(impute: Callable) -> Feedback:
    """`impute(X_train, X, known)` → (N, D): X (N, D) with NaN where a pixel is missing
    (known (N, D) False), each missing pixel filled with that pixel's mean over X_train
    (N_train, D); the known pixels unchanged."""
    X_train, X, known = _impute_case()
    answer = attempt(impute, X_train.copy(), X.copy(), known.copy())
    expected = _reference.missing_impute_training_mean(X_train, X, known)
    problem = diagnose(as_numbers(answer), expected, _impute_mistakes(X_train, X, known),
                       "your filled images",
                       hint="np.where(known, X, X_train.mean(axis=0)): shape (5, 6).")
    if problem is not None:
        return problem
    return correct(
        "Correct! The statistics come from the training images only, as a scaler's do: "
        "the same numbers fill a validation image, a held-out one or a single new one, and "
        "nothing about the images being cleaned leaks into their cleaning.")


# --- exercise 2: modality dropout --------------------------------------------------------------

#: The kit's modality dropout.
DROPOUT_KIT = [encoders.drop_modalities]
#: The dropout probability of each modality (text, image, audio) in exercise 2.
DROPOUT_P = (0.3, 0.3, 0.5)


def _dropout_case() -> tuple[np.ndarray, np.ndarray]:
    """(present (8, 3) bools, draws (8, 3) uniform in [0, 1)): rows with a modality
    already missing, and rows whose draws would hide every modality they have."""
    present = np.array([[1, 1, 1], [1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1],
                        [0, 0, 1], [1, 1, 1]], dtype=bool)
    draws = np.array([[0.9, 0.1, 0.7], [0.2, 0.8, 0.6], [0.05, 0.2, 0.9], [0.4, 0.1, 0.3],
                      [0.6, 0.25, 0.1], [0.1, 0.2, 0.3], [0.8, 0.9, 0.2], [0.5, 0.9, 0.4]])
    return present, draws


def _dropped(present: np.ndarray, draws: np.ndarray, p: np.ndarray, keep_rows: bool = True,
             invert: bool = False, ignore_present: bool = False) -> np.ndarray:
    survive = (draws < p) if invert else (draws >= p)
    kept = survive if ignore_present else present & survive
    if keep_rows:
        kept = np.where(kept.any(axis=1, keepdims=True), kept, present)
    return kept


def _dropout_mistakes(present: np.ndarray, draws: np.ndarray) -> list[tuple[object, str]]:
    p = np.asarray(DROPOUT_P)
    right = _dropped(present, draws, p)
    return [
        (np.stack([right, right]),
         "Your dropout is still on at evaluation (training=False): the model is then judged "
         "on randomly hidden modalities, and its answers change from run to run. Hide "
         "modalities only while training; at evaluation return present unchanged."),
        (np.stack([_dropped(present, draws, p, invert=True), present]),
         "You kept a modality when its draw is below p: that keeps it with probability p "
         "(hides it with 1 − p). Hide it when draws < p, keep it when draws ≥ p."),
        (np.stack([_dropped(present, draws, p, keep_rows=False), present]),
         "Some rows lost every modality they had: such a row is no lesson at all (the "
         "model sees nothing and is asked for the label). When a row would lose "
         "everything, keep its modalities as they were."),
        (np.stack([_dropped(present, draws, p, ignore_present=True), present]),
         "You brought back modalities that were missing in the data (draws ≥ p alone): "
         "dropout may only hide what is present. Combine with present: present & (draws "
         ">= p)."),
    ]


@check(kit=DROPOUT_KIT)
def check_modality_dropout(drop: Callable) -> Feedback:
    """`drop(present, draws, p, training)` → (N, 3) bools, what the model may see:
    present (N, 3) bools (text, image, audio), draws (N, 3) uniform in [0, 1), p (3,)
    each modality's dropout probability. While training, a present modality stays when
    its draw ≥ p (hidden with probability p); a row that would lose every modality keeps
    the ones it had. At evaluation (training False), present unchanged."""
    present, draws = _dropout_case()
    p = np.asarray(DROPOUT_P)
    answers = [as_numbers(attempt(drop, present.copy(), draws.copy(), p.copy(), training))
               for training in (True, False)]
    expected = np.stack([_reference.missing_modality_dropout(present, draws, p, training)
                         for training in (True, False)])
    try:
        got = np.stack([np.asarray(a) for a in answers])
    except ValueError:
        return wrong("return one (N, 3) array of bools for each call, the same shape as "
                     "present")
    problem = diagnose(got, expected, _dropout_mistakes(present, draws),
                       "what you kept (training, then evaluation)",
                       hint="present & (draws >= p) while training, a row left empty "
                            "restored; present at evaluation: shape (8, 3).")
    if problem is not None:
        return problem
    return correct(
        "Correct! While training each modality is hidden now and then, so the model learns "
        "to answer without it; at evaluation it sees everything the data has, and the "
        "answers are the same every run.")


# --- exercise 3: adapt on some clips, evaluate on the others ------------------------------------

#: The kit's way to choose the clips to adapt on.
ADAPT_KIT = [voices.adaptation_split]
ADAPT_K = 20


def _adapt_case() -> np.ndarray:
    """labels (40,): each digit 4 times, shuffled, so that 'the first k clips' are not
    k / 10 of each digit."""
    return np.random.default_rng(4).permutation(np.repeat(np.arange(10), 4))


def _membership(answer: tuple, n: int) -> np.ndarray | Feedback:
    """(2, n) 0/1: row 0 marks the clips to adapt on, row 1 those to evaluate on; or what
    is wrong with the indices."""
    rows = np.zeros((2, n))
    for row, (name, indices) in zip(rows, zip(("adapt", "evaluate"), answer, strict=True),
                                    strict=True):
        try:
            indices = np.asarray(as_numbers(indices)).ravel()
        except (TypeError, ValueError):
            return wrong(f"{name}: expected an array of indices, got {type(indices).__name__}")
        if indices.size and (indices.dtype.kind not in "iu" or indices.min() < 0
                             or indices.max() >= n):
            return wrong(f"{name}: expected integer indices from 0 to {n - 1}, got "
                         f"{indices[:5].tolist()}…")
        if len(np.unique(indices)) != len(indices):
            return wrong(f"{name}: an index appears twice; list each clip once")
        row[indices] = 1
    return rows


def _adapt_mistakes(labels: np.ndarray, k: int) -> list[tuple[object, str]]:
    n = len(labels)
    use = _reference.missing_adaptation_split(labels, k)[0]
    adapt = np.zeros(n)
    adapt[use] = 1
    first = np.zeros(n)
    first[:k] = 1
    return [
        (np.stack([adapt, np.ones(n)]),
         "You evaluate on every clip, the ones adapted on too: the model has been trained on "
         "those, so the accuracy is optimistic (it partly measures memory). Evaluate on the "
         "clips NOT adapted on only."),
        (np.stack([adapt, adapt]),
         "You evaluate on exactly the clips you adapted on: that measures how well the model "
         "remembers them, not how it does on the speaker's other recordings."),
        (np.stack([first, 1 - first]),
         "You adapted on the first k clips of the list: here they are not k / 10 of each "
         "digit, so some digits are never adapted on. Take the first k / 10 clips of each "
         "digit (in the order they come)."),
    ]


@check(kit=ADAPT_KIT)
def check_adaptation_split(split: Callable) -> Feedback:
    """`split(labels, k)` → (adapt, evaluate): the indices of the first k / 10 clips of
    each digit (in the order they come in labels (N,)) to adapt on, and the indices of
    every other clip to evaluate on, each sorted."""
    labels = _adapt_case()
    answer = attempt(split, labels.copy(), ADAPT_K)
    problem = unpack(answer, ("adapt", "evaluate"))
    if problem is not None:
        return problem
    got = _membership(answer, len(labels))
    if isinstance(got, Feedback):
        return got
    use, rest = _reference.missing_adaptation_split(labels, ADAPT_K)
    expected = np.zeros((2, len(labels)))
    expected[0, use], expected[1, rest] = 1, 1
    problem = diagnose(got, expected, _adapt_mistakes(labels, ADAPT_K),
                       "the clips you chose (adapt, evaluate)",
                       hint="for each digit d: np.flatnonzero(labels == d)[:k // 10] to adapt "
                            "on; every other index to evaluate on.")
    if problem is not None:
        return problem
    return correct(
        "Correct! Each digit is adapted on k / 10 times, and the accuracy is measured only "
        "on recordings the model never trained on: an honest estimate for the speaker's "
        "next recording.")
