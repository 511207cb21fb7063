"""mmkit.metrics: classification metrics equal to scikit-learn's, and the spread of a result
over seeds."""

import math
import re

import numpy as np
import pytest

from mmkit.metrics import (
    accuracy,
    bootstrap_interval,
    classification_report,
    confusion_matrix,
    format_mean_std,
    mean_std,
    precision_recall_f1,
)


def test_mean_and_sample_std_match_numpy_and_statistics():
    import statistics

    values = [0.91, 0.95, 0.93, 0.96, 0.90]
    mean, std = mean_std(values)
    assert mean == pytest.approx(statistics.mean(values))
    assert std == pytest.approx(statistics.stdev(values))  # ddof = 1
    assert std == pytest.approx(np.std(values, ddof=1))


def test_infinite_values_are_left_out_and_none_left_is_nan():
    assert mean_std([4.0, 6.0, np.inf]) == pytest.approx((5.0, math.sqrt(2)))
    assert mean_std([3.0]) == (3.0, 0.0)
    mean, std = mean_std([np.inf, np.inf])
    assert math.isnan(mean) and math.isnan(std)


def test_format_rounds_and_says_when_nothing_is_finite():
    assert format_mean_std([0.91, 0.95, 0.93]) == "0.93 ± 0.02"
    assert format_mean_std([4.0, 5.0, 6.0], decimals=1) == "5.0 ± 1.0"
    assert format_mean_std([np.inf]) == "–"


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_samples():
    rng = np.random.default_rng(0)
    few, many = ((rng.random(n) < 0.6).astype(float) for n in (270, 2700))
    low, high = bootstrap_interval(few)
    assert low < few.mean() < high and 0.08 < high - low < 0.15  # ≈ ±1.96·√(p(1−p)/270)
    low_many, high_many = bootstrap_interval(many)
    assert high_many - low_many < (high - low) / 2
    assert bootstrap_interval(few) == (low, high)  # seeded
    assert bootstrap_interval(np.ones(5)) == (1.0, 1.0)
    with pytest.raises(ValueError, match=r"expected values of shape \(N,\)"):
        bootstrap_interval(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="level must lie in"):
        bootstrap_interval(few, level=95)
    from scipy import stats  # the library's percentile bootstrap: the same interval

    reference = stats.bootstrap((few,), np.mean, method="percentile", n_resamples=2000,
                                random_state=1).confidence_interval
    assert abs(low - reference.low) < 0.01 and abs(high - reference.high) < 0.01


# ---- classification metrics against scikit-learn --------------------------------------

def label_sets():
    """Random (y_true, y_pred, K): several class counts, skewed classes, classes missing
    from the predictions, from the truth, or from both (a gap inside 0 … K−1)."""
    rng = np.random.default_rng(0)
    for num_classes in (2, 3, 5, 10):
        for size in (1, 7, 60, 500):
            for case in range(6):
                y_true = rng.integers(0, num_classes, size)
                y_pred = np.where(rng.random(size) < 0.6, y_true,
                                  rng.integers(0, num_classes, size))
                if case == 1:  # the model never predicts the last class
                    y_pred[y_pred == num_classes - 1] = 0
                elif case == 2:  # the last class never occurs in the truth
                    y_true[y_true == num_classes - 1] = 0
                elif case == 3 and num_classes > 2:  # class 1 in neither
                    y_true[y_true == 1] = 0
                    y_pred[y_pred == 1] = 0
                elif case == 4:  # skewed: mostly class 0
                    y_true[rng.random(size) < 0.7] = 0
                elif case == 5:  # all wrong
                    y_pred = (y_true + 1) % num_classes
                yield y_true, y_pred, num_classes


def present_labels(y_true, y_pred):
    return np.union1d(y_true, y_pred)


def test_accuracy_and_confusion_matrix_equal_sklearn():
    from sklearn import metrics

    for y_true, y_pred, num_classes in label_sets():
        assert accuracy(y_true, y_pred) == pytest.approx(metrics.accuracy_score(y_true, y_pred))
        matrix = confusion_matrix(y_true, y_pred, num_classes)
        assert matrix.shape == (num_classes, num_classes) and matrix.dtype == np.int64
        expected = metrics.confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
        np.testing.assert_array_equal(matrix, expected)
        # without num_classes: K = the largest label seen + 1
        size = max(y_true.max(), y_pred.max()) + 1
        np.testing.assert_array_equal(confusion_matrix(y_true, y_pred),
                                      expected[:size, :size])


@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1_equal_sklearn(average):
    from sklearn import metrics

    for y_true, y_pred, num_classes in label_sets():
        ours = precision_recall_f1(y_true, y_pred, average=average, num_classes=num_classes)
        if average is None:  # (K,) arrays; sklearn's over all K labels
            theirs = metrics.precision_recall_fscore_support(
                y_true, y_pred, labels=np.arange(num_classes), average=None,
                zero_division=0)[:3]
            for mine, reference in zip(ours, theirs, strict=True):
                assert mine.shape == (num_classes,)
                np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)
            continue
        theirs = (metrics.precision_score(y_true, y_pred, average=average, zero_division=0),
                  metrics.recall_score(y_true, y_pred, average=average, zero_division=0),
                  metrics.f1_score(y_true, y_pred, average=average, zero_division=0))
        assert all(isinstance(value, float) for value in ours)
        assert ours == pytest.approx(theirs, abs=1e-12)
        # num_classes larger than needed changes nothing: absent classes are not averaged
        assert precision_recall_f1(y_true, y_pred, average, num_classes + 3) \
            == pytest.approx(ours, abs=1e-12)


def test_micro_f1_is_accuracy_and_a_class_never_predicted_has_precision_zero():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 0, 1, 0])  # class 2 is never predicted
    assert precision_recall_f1(y_true, y_pred, "micro") == pytest.approx((0.5, 0.5, 0.5))
    assert accuracy(y_true, y_pred) == 0.5
    precision, recall, f1 = precision_recall_f1(y_true, y_pred, None)
    np.testing.assert_allclose(precision, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(recall, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(f1, [2 / 3, 0.5, 0.0])
    assert precision_recall_f1(y_true, y_pred, "macro")[0] == pytest.approx(1 / 3)


def test_lists_and_torch_tensors_give_the_same_numbers():
    import torch

    y_true, y_pred = [0, 1, 2, 2, 1], [0, 2, 2, 2, 1]
    expected = confusion_matrix(np.array(y_true), np.array(y_pred))
    for convert in (list, np.array, torch.tensor, lambda y: np.array(y, dtype=float),
                    lambda y: torch.tensor(y, dtype=torch.float32)):
        np.testing.assert_array_equal(confusion_matrix(convert(y_true), convert(y_pred)),
                                      expected)
        assert accuracy(convert(y_true), convert(y_pred)) == 0.8
    logits = torch.randn(5, 3, requires_grad=True)
    assert accuracy(torch.tensor(y_true), logits.argmax(dim=1)) >= 0.0


def tokens(table: str) -> list[str | float]:
    """The words of a printed report, numbers as floats."""
    words = table.split()
    return [float(word) if re.fullmatch(r"[\d.]+", word) else word for word in words]


def test_report_equals_sklearn_dict_and_text():
    from sklearn import metrics

    for y_true, y_pred, _ in label_sets():
        ours = classification_report(y_true, y_pred, output_dict=True)
        theirs = metrics.classification_report(y_true, y_pred, output_dict=True,
                                               zero_division=0)
        assert list(ours) == list(theirs)
        assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-12)
        for name, row in theirs.items():
            if name != "accuracy":
                assert ours[name] == pytest.approx(row, abs=1e-12), name
        for digits in (2, 4):  # the printed numbers: the same table, to the last digit shown
            text = classification_report(y_true, y_pred, digits=digits)
            reference = metrics.classification_report(y_true, y_pred, digits=digits,
                                                       zero_division=0)
            # the same table; a number may differ by one in its last digit where it lies
            # exactly half-way (0.34375 → 0.3437 or 0.3438), and sklearn may print 1 as 1.0
            assert tokens(text) == pytest.approx(tokens(reference), abs=1.01 * 10**-digits)


def test_report_names_the_classes_and_prints_every_row():
    text = classification_report([0, 1, 2, 2], [0, 2, 2, 2], names=["cat", "dog", "eel"])
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[3].split() == ["dog", "0.00", "0.00", "0.00", "1"]  # never predicted: 0
    assert lines[6].split() == ["accuracy", "0.75", "4"]
    assert [line.split()[0] for line in lines[2:5]] == ["cat", "dog", "eel"]
    assert lines[-1].startswith("weighted avg")
    with pytest.raises(ValueError, match="names: expected 3 names, one per class, got 2"):
        classification_report([0, 1, 2], [0, 1, 2], names=["cat", "dog"])


@pytest.mark.parametrize(("y_true", "y_pred", "kwargs", "message"), [
    ([0, 1, 2], [0, 1], {}, r"same length .*got 3 and 2"),
    ([], [], {}, "at least one sample"),
    ([0, 1.5], [0, 1], {}, r"y_true: expected whole-number class labels, got 1\.5 at index 1"),
    ([0, 1], [0, float("nan")], {}, "y_pred: expected whole-number class labels, got nan"),
    ([0, -1], [0, 1], {}, "y_true: class labels must be >= 0, got -1"),
    ([0, 1], [0, 3], {"num_classes": 3}, r"y_pred must lie in \[0, 2\], got values from 0 "
                                         "to 3"),
    ([[0, 1], [1, 0]], [0, 1], {}, r"y_true: expected class labels of shape \(N,\), one per "
                                   r"sample, got shape \(2, 2\)"),
    (["a", "b"], [0, 1], {}, "y_true: expected integer class labels, got dtype <U1"),
    ([0, 1], [0, 1], {"num_classes": 0}, "num_classes must be an int >= 1, got 0"),
    ([0, 1], [0, 1], {"num_classes": 2.0}, "num_classes must be an int >= 1, got 2.0"),
])
def test_bad_labels_say_what_was_expected_and_what_arrived(y_true, y_pred, kwargs, message):
    for metric in (confusion_matrix, precision_recall_f1, classification_report):
        with pytest.raises(ValueError, match=message):
            metric(y_true, y_pred, **kwargs)
    if not kwargs:
        with pytest.raises(ValueError, match=message):
            accuracy(y_true, y_pred)


def test_an_unknown_average_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"average \(or None, for per-class arrays\) must be "
                                         r"one of 'macro', 'micro', 'weighted'; got 'binary'"):
        precision_recall_f1([0, 1], [0, 1], average="binary")
