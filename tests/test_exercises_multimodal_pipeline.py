"""Notebook 13's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest
import torch

from mmkit import metrics, pipeline
from mmkit import train as training
from mmkit.exercises import _reference
from mmkit.exercises.multimodal_pipeline import (
    EPOCH_CASES,
    EPOCH_KIT,
    F1_KIT,
    RECALL_CASES,
    RECALL_KIT,
    check_choose_epoch,
    check_macro_f1,
    check_recall_per_class,
)


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: macro F1 --------------------------------------------------------------------

def per_class_f1(y_true, y_pred, num_classes):
    f1 = []
    for k in range(num_classes):
        tp = np.sum((y_true == k) & (y_pred == k))
        predicted, actual = np.sum(y_pred == k), np.sum(y_true == k)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return np.array(f1)


def f1_solution(y_true, y_pred, num_classes):
    return float(np.mean(per_class_f1(y_true, y_pred, num_classes)))


def f1_in_torch(y_true, y_pred, num_classes):
    t, p = torch.as_tensor(y_true), torch.as_tensor(y_pred)
    scores = []
    for k in range(num_classes):
        tp = ((t == k) & (p == k)).sum()
        scores.append(2 * tp / ((t == k).sum() + (p == k).sum()))  # 2TP / (2TP + FP + FN)
    return torch.stack(scores).double().mean()


@pytest.mark.parametrize("answer", [f1_solution, f1_in_torch])
def test_macro_f1_accepts_the_solution_written_several_ways(answer):
    feedback = check_macro_f1(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def f1_ignoring_unpredicted(y_true, y_pred, num_classes):
    f1 = per_class_f1(y_true, y_pred, num_classes)
    return float(np.mean(f1[np.unique(y_pred)]))


def f1_weighted(y_true, y_pred, num_classes):
    support = np.bincount(y_true, minlength=num_classes)
    return float(np.sum(per_class_f1(y_true, y_pred, num_classes) * support) / support.sum())


def f1_of_averages(y_true, y_pred, num_classes):
    p = np.mean([np.mean(y_true[y_pred == k] == k) if np.any(y_pred == k) else 0.0
                 for k in range(num_classes)])
    r = np.mean([np.mean(y_pred[y_true == k] == k) for k in range(num_classes)])
    return 2 * p * r / (p + r)


@pytest.mark.parametrize("answer, phrase", [
    (lambda t, p, k: float(np.mean(t == p)), "That is the micro F1"),
    (f1_weighted, "You weighted each class's F1 by its support"),
    (f1_ignoring_unpredicted, "You left out the classes the model never predicted"),
    (f1_of_averages, "You took the harmonic mean of the macro precision and the macro recall"),
    (lambda t, p, k: np.mean([np.mean(p[t == c] == c) for c in range(k)]),
     "That is the macro recall"),
    (lambda t, p, k: 0.3, "not the expected value"),
])
def test_macro_f1_names_typical_mistakes(answer, phrase):
    feedback = check_macro_f1(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: choosing the epoch ----------------------------------------------------------

def epoch_solution(val_curve, test_curve):
    epoch = int(np.argmax(val_curve))
    return epoch, test_curve[epoch]


def epoch_by_loop(val_curve, test_curve):
    best = 0
    for epoch, accuracy in enumerate(val_curve):
        if accuracy > val_curve[best]:
            best = epoch
    return torch.tensor(best), torch.tensor(test_curve[best])


@pytest.mark.parametrize("answer", [epoch_solution, epoch_by_loop])
def test_choose_epoch_accepts_the_solution(answer):
    feedback = check_choose_epoch(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def last_of_tied(val_curve, test_curve):
    epoch = max(e for e, v in enumerate(val_curve) if v == max(val_curve))
    return epoch, test_curve[epoch]


@pytest.mark.parametrize("answer, phrase", [
    (lambda v, t: (int(np.argmax(t)), max(t)), "You chose the epoch on the test curve"),
    (lambda v, t: (len(v) - 1, t[-1]), "You kept the last epoch"),
    (last_of_tied, "On a tie you kept the last of the best epochs"),
    (lambda v, t: (int(np.argmax(v)), max(t)), "you reported the best test accuracy"),
    (lambda v, t: (int(np.argmax(v)), max(v)), "you reported its validation accuracy"),
    (lambda v, t: (int(np.argmax(v)) + 1, t[int(np.argmax(v))]), "Off by one"),
    (lambda v, t: int(np.argmax(v)), "return 2 values, (epoch, accuracy); got a int"),
])
def test_choose_epoch_names_typical_mistakes(answer, phrase):
    feedback = check_choose_epoch(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_the_epoch_cases_tell_the_mistakes_apart():
    val_curve, test_curve = EPOCH_CASES[0]
    answers = {fn(val_curve, test_curve) for fn in (
        epoch_solution, last_of_tied, lambda v, t: (int(np.argmax(t)), max(t)),
        lambda v, t: (len(v) - 1, t[-1]), lambda v, t: (int(np.argmax(v)), max(t)))}
    assert len(answers) == 5


# --- exercise 3: recall from a confusion matrix -----------------------------------------------

def recall_solution(matrix):
    rows = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), rows, out=np.zeros(len(matrix)), where=rows > 0)


def recall_in_torch(matrix):
    m = torch.as_tensor(matrix, dtype=torch.float64)
    return torch.nan_to_num(m.diagonal() / m.sum(dim=1))


@pytest.mark.parametrize("answer", [recall_solution, recall_in_torch])
def test_recall_per_class_accepts_the_solution(answer):
    feedback = check_recall_per_class(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda m: recall_solution(m.T), "You divided by the column sums: that is precision"),
    (lambda m: np.diag(m) / m.sum(), "You divided by the number of all samples"),
    (lambda m: np.diag(m) / m.sum(axis=1), "NaN"),
    (lambda m: np.where(m.sum(axis=1) > 0, recall_solution(m), 1.0), "you returned 1"),
    (lambda m: recall_solution(m)[:-1], "has shape"),
])
def test_recall_per_class_names_typical_mistakes(answer, phrase):
    with np.errstate(invalid="ignore", divide="ignore"):
        feedback = check_recall_per_class(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- every check: not answered, the kit refused -------------------------------------------------

@pytest.mark.parametrize("check", [check_macro_f1, check_choose_epoch, check_recall_per_class])
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok and "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_macro_f1, metrics.precision_recall_f1),
    (check_macro_f1, metrics.classification_report),
    (check_choose_epoch, pipeline.run),
    (check_choose_epoch, training.train),
    (check_recall_per_class, metrics.precision_recall_f1),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def f1_through_the_kit(y_true, y_pred, num_classes):
    return metrics.precision_recall_f1(y_true, y_pred, "macro", num_classes)[2]


def epoch_through_the_kit(val_curve, test_curve):
    result = pipeline.run(fusion="late", epochs=len(val_curve) - 1)
    return result["best_epoch"], test_curve[result["best_epoch"]]


def recall_through_the_kit(matrix):
    y_true = np.repeat(np.arange(len(matrix)), matrix.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(len(matrix)), row) for row in matrix])
    return metrics.precision_recall_f1(y_true, y_pred, None, len(matrix))[1]


@pytest.mark.parametrize("check, answer, kit", [
    (check_macro_f1, f1_through_the_kit, "mmkit.metrics.precision_recall_f1"),
    (check_choose_epoch, epoch_through_the_kit, "mmkit.pipeline.run"),
    (check_recall_per_class, recall_through_the_kit, "mmkit.metrics.precision_recall_f1"),
    (check_macro_f1, lambda t, p, k: _reference.pipeline_macro_f1(t, p, k),
     "mmkit.exercises._reference.pipeline_macro_f1"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert metrics.precision_recall_f1 in F1_KIT and metrics.precision_recall_f1 in RECALL_KIT
    assert pipeline.run in EPOCH_KIT and training.train in EPOCH_KIT


def test_the_references_agree_with_the_kit():
    rng = np.random.default_rng(0)
    for k in (2, 5, 10):
        y_true = np.concatenate([np.arange(k), rng.integers(0, k, 60)])
        y_pred = np.where(rng.random(len(y_true)) < 0.5, y_true, rng.integers(0, k - 1,
                                                                               len(y_true)))
        assert _reference.pipeline_macro_f1(y_true, y_pred, k) == pytest.approx(
            metrics.precision_recall_f1(y_true, y_pred, "macro", k)[2], abs=1e-12)
        matrix = metrics.confusion_matrix(y_true, y_pred, k)
        np.testing.assert_allclose(_reference.pipeline_recall_per_class(matrix),
                                   metrics.precision_recall_f1(y_true, y_pred, None, k)[1],
                                   atol=1e-12)
    for matrix in RECALL_CASES:  # a class without samples: recall 0, as the kit says
        y_true = np.repeat(np.arange(len(matrix)), matrix.sum(axis=1))
        y_pred = np.concatenate([np.repeat(np.arange(len(matrix)), row) for row in matrix])
        np.testing.assert_allclose(
            _reference.pipeline_recall_per_class(matrix),
            metrics.precision_recall_f1(y_true, y_pred, None, len(matrix))[1], atol=1e-12)
    for val_curve, test_curve in EPOCH_CASES:  # the kit's loop keeps the first of ties
        epoch, reported = _reference.pipeline_choose_epoch(val_curve, test_curve)
        values = iter(val_curve)
        history = training.train(lambda x: {"loss": 0.0}, torch.zeros(4, 1),
                                 epochs=len(val_curve) - 1, batch_size=4,
                                 snapshot=lambda values=values: {"val_accuracy": next(values)},
                                 monitor="val_accuracy", mode="max")
        assert history.best_epoch == epoch and reported == test_curve[epoch]
