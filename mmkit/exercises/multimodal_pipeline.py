"""Checks for notebook 13's exercises: macro F1, choosing the epoch, recall from a confusion
matrix.

    check_macro_f1(macro_f1)                      labels → the macro-averaged F1
    check_choose_epoch(choose_epoch)              two logged curves → (epoch, what to report)
    check_recall_per_class(recall_per_class)      a confusion matrix → recall per class

Each check runs the learner's function on fixed inputs with the kit's own versions switched
off (`@check(kit=...)`: `mmkit.metrics`' `precision_recall_f1` and `classification_report`;
`mmkit.train.train` and `mmkit.pipeline.run`, which choose the epoch themselves), compares
with the private references of `_reference` (one-hot counts in torch; a stable sort; torch's
diagonal), and names the typical mistake when there is one: micro F1 (= accuracy), F1
weighted by support, the classes never predicted left out, the F1 of the averaged precision
and recall; the epoch chosen on the test curve, the last epoch, the last of tied epochs, the
best test accuracy or the validation accuracy reported; precision (columns) instead of
recall (rows), a division by all samples, NaN for a class without samples.
A check returns `Feedback`; it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np

from mmkit import metrics, pipeline
from mmkit import train as training
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    correct,
    diagnose,
    unpack,
)

# --- exercise 1: macro F1 --------------------------------------------------------------------

#: The kit's ways to F1.
F1_KIT = [metrics.precision_recall_f1, metrics.classification_report]


def _f1_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(y_true, y_pred, num_classes): every class occurs in y_true, with unequal supports,
    and at least one class is never predicted (so micro, weighted and macro all differ)."""
    y_true = np.array([0] * 6 + [1] * 4 + [2] * 3 + [3] * 2)
    y_pred = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 2, 2, 1, 2, 0])
    rng = np.random.default_rng(13)
    y_true_2 = np.concatenate([np.arange(5), rng.integers(0, 5, 25)])
    y_pred_2 = np.where(rng.random(30) < 0.6, y_true_2, rng.integers(0, 5, 30))
    y_pred_2 = np.where(y_pred_2 == 4, 0, y_pred_2)  # class 4 is never predicted
    return [(y_true, y_pred, 4), (y_true_2, y_pred_2, 5)]


def _per_class(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """(precision, recall, f1, support, predicted) per class, 0 where 0/0, each (k,)."""
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(k)], float)
    predicted = np.array([np.sum(y_pred == c) for c in range(k)], float)
    support = np.array([np.sum(y_true == c) for c in range(k)], float)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(k), where=total > 0)
    return precision, recall, f1, support, predicted


def _f1_mistakes(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> list[tuple[object, str]]:
    precision, recall, f1, support, predicted = _per_class(y_true, y_pred, k)
    p, r = precision.mean(), recall.mean()
    return [
        (np.mean(y_true == y_pred),
         "That is the micro F1, which with one label per sample equals the accuracy: every "
         "mistake is one false positive and one false negative, so pooled precision = pooled "
         "recall = accuracy. Macro F1 computes F1 per class first, then averages the classes "
         "with equal weight."),
        (np.sum(f1 * support) / support.sum(),
         "You weighted each class's F1 by its support (how many samples it has): that is the "
         "'weighted' average, which lets frequent classes dominate. Macro F1 gives every "
         "class the same weight, 1/K."),
        (f1[predicted > 0].mean(),
         "You left out the classes the model never predicted (a 0/0 precision turned into "
         "NaN and dropped by nanmean, or a loop over the predicted labels only): such a "
         "class has recall 0 and F1 0, and it counts in the mean; that is what macro F1 is "
         "for."),
        (2 * p * r / (p + r),
         "You took the harmonic mean of the macro precision and the macro recall: average "
         "the per-class F1 scores instead (F1 per class, then the mean)."),
        (p, "That is the macro precision: F1 is the harmonic mean 2·P·R / (P + R) of "
            "precision and recall, per class."),
        (r, "That is the macro recall (balanced accuracy): F1 is the harmonic mean "
            "2·P·R / (P + R) of precision and recall, per class."),
    ]


@check(kit=F1_KIT)
def check_macro_f1(macro_f1: Callable) -> Feedback:
    """`macro_f1(y_true, y_pred, num_classes)` → float: F1 per class (2·P·R / (P + R), 0
    where 0/0) averaged with equal weight over the classes; y_true and y_pred are int64
    arrays (N,) and every class 0 … num_classes − 1 occurs in y_true."""
    for y_true, y_pred, k in _f1_cases():
        answer = attempt(macro_f1, y_true.copy(), y_pred.copy(), k)
        expected = _reference.pipeline_macro_f1(y_true, y_pred, k)
        problem = diagnose(as_numbers(answer), np.asarray(expected),
                           _f1_mistakes(y_true, y_pred, k),
                           f"your macro F1 ({len(y_true)} samples, {k} classes)",
                           hint="Per class k: P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2PR/(P+R) "
                                "(0 if P + R = 0); then the plain mean over the K classes.")
        if problem is not None:
            return problem
    return correct("Correct! Macro F1 is the plain mean of the per-class F1 scores: a class "
                   "the model neglects pulls it down as much as any other, however few "
                   "samples it has. Micro F1 would just be the accuracy.")


# --- exercise 2: choosing the epoch --------------------------------------------------------

#: The kit's ways to choose the epoch: the training loop's restore_best, the pipeline's run.
EPOCH_KIT = [training.train, pipeline.run]

#: (val_curve, test_curve) per case, index 0 = before training; case 1 has two epochs tied
#: on validation, a test curve that peaks elsewhere, and a last epoch that is not the best.
EPOCH_CASES = [
    ([0.09, 0.62, 0.81, 0.85, 0.85, 0.84, 0.83], [0.10, 0.60, 0.84, 0.80, 0.81, 0.82, 0.79]),
    ([0.11, 0.50, 0.70, 0.75, 0.74], [0.10, 0.52, 0.73, 0.71, 0.76]),
]


def _epoch_mistakes(val_curve: list[float], test_curve: list[float]
                    ) -> list[tuple[object, str]]:
    val, held_out = np.asarray(val_curve), np.asarray(test_curve)
    first = int(np.argmax(val))
    last_tied = int(len(val) - 1 - np.argmax(val[::-1]))
    on_test = int(np.argmax(held_out))
    last = len(val) - 1
    return [
        ((on_test, held_out[on_test]),
         "You chose the epoch on the test curve: then the test accuracy is no longer an "
         "estimate for new data, it is the best of several tries on it (optimistic). "
         "Choose on the validation curve; the test split only reports."),
        ((last, held_out[last]),
         "You kept the last epoch: training further does not always help (here validation "
         "accuracy fell after its best epoch). Keep the epoch with the highest validation "
         "accuracy."),
        ((last_tied, held_out[last_tied]),
         "On a tie you kept the last of the best epochs: keep the first (fewer epochs for "
         "the same validation accuracy; the kit's loop only moves on when a later epoch is "
         "strictly better, as np.argmax does)."),
        ((first, held_out.max()),
         "The epoch is right, but you reported the best test accuracy over all epochs: that "
         "picks a number on the test split after the fact. Report the test accuracy *at* the "
         "chosen epoch."),
        ((first, val[first]),
         "The epoch is right, but you reported its validation accuracy: that number chose the "
         "epoch (it is the maximum of the curve), so it flatters the model. Report the test "
         "accuracy at that epoch."),
        ((first + 1, held_out[first]),
         "Off by one: val_curve[0] is the accuracy before training, so the index in the curve "
         "*is* the epoch number; return np.argmax(val_curve), not one more."),
    ]


@check(kit=EPOCH_KIT)
def check_choose_epoch(choose_epoch: Callable) -> Feedback:
    """`choose_epoch(val_curve, test_curve)` → (epoch, accuracy to report): the first index
    of the highest validation accuracy, and the test accuracy at that index."""
    for val_curve, test_curve in EPOCH_CASES:
        answer = attempt(choose_epoch, list(val_curve), list(test_curve))
        problem = unpack(answer, ("epoch", "accuracy"))
        if problem is not None:
            return problem
        got = [as_numbers(value) for value in answer]
        expected = np.array(_reference.pipeline_choose_epoch(val_curve, test_curve), float)
        problem = diagnose(got, expected, _epoch_mistakes(val_curve, test_curve),
                           f"your (epoch, accuracy) for val_curve {val_curve}",
                           hint="epoch = the first argmax of val_curve; report "
                                "test_curve[epoch].")
        if problem is not None:
            return problem
    return correct("Correct! The validation curve chooses (the first of tied epochs), the "
                   "test curve only reports, once, at the chosen epoch. That is what "
                   "`run(...)` did above: `best_epoch` from validation, the test split read "
                   "after training with those weights.")


# --- exercise 3: recall from a confusion matrix ------------------------------------------

#: The kit's ways to recall per class.
RECALL_KIT = [metrics.precision_recall_f1, metrics.classification_report]

#: Confusion matrices (rows true, columns predicted); the second has a class without
#: samples (row of zeros) that is still predicted (column not zero).
RECALL_CASES = [
    np.array([[5, 1, 0], [2, 6, 2], [0, 3, 1]]),
    np.array([[4, 0, 1, 0], [1, 3, 0, 0], [0, 0, 0, 0], [0, 2, 1, 7]]),
]


def _recall_mistakes(matrix: np.ndarray) -> list[tuple[object, str]]:
    m = matrix.astype(float)
    columns, rows = m.sum(axis=0), m.sum(axis=1)
    return [
        (np.divide(np.diag(m), columns, out=np.zeros(len(m)), where=columns > 0),
         "You divided by the column sums: that is precision (of the samples *predicted* k, "
         "the fraction that are k). Recall divides by the row sums: of the samples that "
         "*are* k, the fraction found. Rows are the true classes."),
        (np.diag(m) / m.sum(),
         "You divided by the number of all samples: the diagonal over N sums to the "
         "accuracy. Recall of class k divides by the samples of class k (row k's sum)."),
        (np.divide(np.diag(m), rows, out=np.ones(len(m)), where=rows > 0),
         "For a class without samples (its row sums to 0) you returned 1: there is nothing "
         "to find, so the kit (and scikit-learn's zero_division=0) reports 0."),
    ]


@check(kit=RECALL_KIT)
def check_recall_per_class(recall_per_class: Callable) -> Feedback:
    """`recall_per_class(matrix)` → (K,): matrix (K, K) int64, rows true, columns predicted;
    recall_k = matrix[k, k] / (row k's sum), 0 for a row that sums to 0."""
    for matrix in RECALL_CASES:
        answer = attempt(recall_per_class, matrix.copy())
        expected = _reference.pipeline_recall_per_class(matrix)
        problem = diagnose(as_numbers(answer), expected, _recall_mistakes(matrix),
                           f"your recall for a {len(matrix)}×{len(matrix)} matrix",
                           hint="recall = diagonal / row sums (axis=1), 0 where a row sums "
                                "to 0; shape (K,).")
        if problem is not None:
            return problem
    return correct("Correct! Recall reads the rows (the true classes), precision the columns "
                   "(the predicted ones); a class with no samples gets 0.")
