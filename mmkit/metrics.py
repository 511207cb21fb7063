"""How good, and how sure? Classification metrics, and the spread of a result over seeds.

Classification metrics (written here because they are taught; tested equal to scikit-learn's
with `zero_division=0`). Labels are class indices 0 … K−1, one per sample, (N,): NumPy
arrays, lists or torch tensors of ints.

    accuracy(y_true, y_pred)             the fraction of samples predicted right
    confusion_matrix(y_true, y_pred)     (K, K) counts: row = true class, column = predicted
    precision_recall_f1(y_true, y_pred, average="macro" | "micro" | "weighted" | None)
                                         per class (None) or averaged over the classes
    classification_report(y_true, y_pred)  the table of all of them, per class and averaged

Spreads: a claim that one setting beats another shows its spread: each setting is run
with several seeds (initial weights, batch order) and reported as mean ± std.

    mean_std(values)             (mean, sample standard deviation) of the finite values
    format_mean_std(values)      "0.97 ± 0.01", the form the notebooks print
    bootstrap_interval(values)   where an accuracy measured on a few hundred samples could
                                 have landed: a 95% interval for the mean of 0/1 scores
"""

from collections.abc import Sequence

import numpy as np

from mmkit.validate import check_count, check_index_range, format_shape, lookup

# ---- classification metrics, all read off the confusion matrix ----------------------

AVERAGES = ("macro", "micro", "weighted")


def _labels(y: object, name: str) -> np.ndarray:
    """`y` as an int64 array of class labels (N,), or ValueError saying what arrived."""
    if hasattr(y, "detach"):  # a torch tensor, on any device
        y = y.detach().cpu().numpy()
    array = np.asarray(y)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected class labels of shape (N,), one per sample, got "
                         f"shape {format_shape(array.shape)} (scores or one-hot rows: take "
                         "argmax(axis=1) first)")
    if array.dtype.kind == "f":
        whole = np.isfinite(array) & (array == np.round(array))
        if not whole.all():
            first = int(np.argmax(~whole))
            raise ValueError(f"{name}: expected whole-number class labels, got "
                             f"{array[first].item()!r} at index {first}")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biu":
        raise ValueError(f"{name}: expected integer class labels, got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"{name}: class labels must be >= 0, got {array.min()}")
    return array


def _pair(y_true: object, y_pred: object, num_classes: int | None = None
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """Both label arrays, checked, and the number of classes K."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length (one label each per "
                         f"sample), got {len(y_true)} and {len(y_pred)}")
    if not len(y_true):
        raise ValueError("y_true and y_pred: expected at least one sample, got none")
    if num_classes is None:
        num_classes = int(max(y_true.max(), y_pred.max())) + 1
    else:
        num_classes = check_count(num_classes, "num_classes", minimum=1)
        check_index_range(y_true, num_classes, "y_true")
        check_index_range(y_pred, num_classes, "y_pred")
    return y_true, y_pred, num_classes


def accuracy(y_true: object, y_pred: object) -> float:
    """The fraction of samples whose predicted class is the true one: (N,), (N,) → float.

    accuracy = (number of i with y_pred[i] = y_true[i]) / N = trace(C) / N for the
    confusion matrix C. As `sklearn.metrics.accuracy_score`.
    """
    y_true, y_pred, _ = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: object, y_pred: object, num_classes: int | None = None
                     ) -> np.ndarray:
    """Counts C (K, K), int64: C[i, j] = how many samples of true class i were predicted j.

    Rows are the true classes, columns the predicted ones (as
    `sklearn.metrics.confusion_matrix`): the diagonal holds the right answers, row i sums
    to the support of class i (how many samples truly are i), column j to how often j was
    predicted. K is `num_classes`, or the largest label seen + 1; with `num_classes`
    given, a label ≥ num_classes is an error.
    """
    y_true, y_pred, num_classes = _pair(y_true, y_pred, num_classes)
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator != 0)


def _per_class(matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    """(precision, recall, f1, support, present), each (K,), from a confusion matrix."""
    true_positives = np.diag(matrix)
    predicted = matrix.sum(axis=0)  # tp + fp: how often each class was predicted
    support = matrix.sum(axis=1)    # tp + fn: how many samples truly are each class
    precision = _divide(true_positives, predicted)
    recall = _divide(true_positives, support)
    f1 = _divide(2 * precision * recall, precision + recall)
    present = (support > 0) | (predicted > 0)
    return precision, recall, f1, support, present


def precision_recall_f1(y_true: object, y_pred: object, average: str | None = "macro",
                        num_classes: int | None = None
                        ) -> tuple[float, float, float] | tuple[np.ndarray, ...]:
    """(precision, recall, F1): floats averaged over the classes, or (K,) arrays (average=None).

    Per class k, from the confusion matrix C (rows true, columns predicted):
        TP = C[k, k]   FP = column k − TP (predicted k, truly another)
                       FN = row k − TP    (truly k, predicted another)
        precision = TP / (TP + FP)   of the samples called k, the fraction that are k
        recall    = TP / (TP + FN)   of the samples that are k, the fraction found
        F1        = 2 · precision · recall / (precision + recall), their harmonic mean
    A class never predicted has TP + FP = 0: its precision is set to 0 (scikit-learn's
    `zero_division=0`), and so is any other 0/0 here (a recall without support, an F1
    whose precision and recall are both 0).

    average:
        None        the per-class arrays, (K,) each (K = num_classes or largest label + 1)
        "macro"     the plain mean over the classes: every class counts the same, however
                    rare, so a model that ignores a small class is punished
        "weighted"  the mean weighted by each class's support (its row sum): frequent
                    classes count more
        "micro"     pool TP, FP and FN of all classes first, then apply the formulas. With
                    one label per sample, every mistake is one FP (for the predicted class)
                    and one FN (for the true one), so ΣFP = ΣFN = N − ΣTP: micro
                    precision = ΣTP / (ΣTP + ΣFP) = ΣTP / N = accuracy, and so are micro
                    recall and micro F1 (micro averaging tells nothing new here; macro
                    shows the classes a model neglects)
    The averages run over the classes present in y_true or y_pred (a class in neither has
    nothing to measure), as scikit-learn does when not given `labels`; per class, such a
    class gets 0.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    precision, recall, f1, support, present = _per_class(matrix)
    if average is None:
        return precision, recall, f1
    average = lookup(average, AVERAGES, "average (or None, for per-class arrays)")
    if average == "micro":
        micro = float(np.trace(matrix) / matrix.sum())  # = accuracy, see above
        return micro, micro, micro
    weights = present.astype(float) if average == "macro" else support.astype(float)
    weights = weights / weights.sum()
    return tuple(float(np.sum(weights * metric)) for metric in (precision, recall, f1))


def classification_report(y_true: object, y_pred: object, num_classes: int | None = None,
                          names: Sequence[str] | None = None, digits: int = 2,
                          output_dict: bool = False) -> str | dict:
    """A table: precision, recall, F1 and support per class, then accuracy and the macro
    and weighted averages, as `sklearn.metrics.classification_report` prints it.

    Rows are the classes present in y_true or y_pred, named by `names` (K strings, one per
    class index) or by their index. Support is how many samples truly are of the class;
    a class never predicted shows precision 0. `output_dict=True` returns scikit-learn's
    dictionary instead: {"0": {"precision", "recall", "f1-score", "support"}, ...,
    "accuracy": float, "macro avg": {...}, "weighted avg": {...}}.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    if names is not None and len(names) != len(matrix):
        raise ValueError(f"names: expected {len(matrix)} names, one per class, got "
                         f"{len(names)}")
    digits = check_count(digits, "digits")
    precision, recall, f1, support, present = _per_class(matrix)
    total = int(support.sum())

    def row(p: float, r: float, f: float, s: int) -> dict:
        return {"precision": float(p), "recall": float(r), "f1-score": float(f),
                "support": int(s)}

    report = {(str(k) if names is None else str(names[k])):
              row(precision[k], recall[k], f1[k], support[k]) for k in np.flatnonzero(present)}
    report["accuracy"] = float(np.trace(matrix) / total)
    for average in ("macro", "weighted"):
        weights = present if average == "macro" else support
        weights = weights / weights.sum()
        report[f"{average} avg"] = row(*(np.sum(weights * metric)
                                         for metric in (precision, recall, f1)), total)
    if output_dict:
        return report

    width = max(len("weighted avg"), digits, *(len(name) for name in report))
    columns = ("precision", "recall", "f1-score", "support")
    lines = [" " * (width + 1) + "".join(f" {column:>9}" for column in columns), ""]
    for name, values in report.items():
        if name == "accuracy":
            lines += ["", f"{name:>{width}} " + " " * 20 + f" {values:>9.{digits}f} {total:>9}"]
        else:
            lines.append(f"{name:>{width}} " + "".join(
                f" {values[column]:>9.{digits}f}" for column in columns[:3])
                + f" {values['support']:>9}")
    return "\n".join(lines) + "\n"


# ---- spreads over seeds ---------------------------------------------------------------

def mean_std(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """(mean, std) of the finite values: values (S,) → two floats.

    The std is the sample standard deviation (ddof = 1), the usual estimate from a
    few seeds; 0 for a single value. Infinite values (e.g. "never reached 80%")
    are left out; with none left, both are NaN.
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def format_mean_std(values: Sequence[float] | np.ndarray, decimals: int = 2) -> str:
    """"0.97 ± 0.01": `mean_std` rounded (learned numbers differ in late digits across
    CPUs); "–" when no value is finite."""
    mean, std = mean_std(values)
    if np.isnan(mean):
        return "–"
    return f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def bootstrap_interval(values: np.ndarray, level: float = 0.95, resamples: int = 2000,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval for the mean of `values` (N,).

    For an accuracy, values are 1 where a prediction is right and 0 where it is wrong;
    for the difference between two models on the same samples, values are the difference
    of their 0/1 scores per sample (a *paired* bootstrap, tighter than two separate
    intervals). Resamples N of the N values with replacement `resamples` times and returns
    the (1 − level)/2 and (1 + level)/2 quantiles of the resampled means: where the mean
    could have landed had the split drawn other samples of the same kind.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"bootstrap_interval: expected values of shape (N,) with N >= 1, "
                         f"got {values.shape}")
    if not 0 < level < 1:
        raise ValueError(f"bootstrap_interval: level must lie in (0, 1), got {level!r}")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, (resamples, values.size))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
