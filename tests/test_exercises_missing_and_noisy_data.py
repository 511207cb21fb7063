"""Notebook 14's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest
import torch

from mmkit import cleaning, voices
from mmkit.exercises import _reference
from mmkit.exercises.missing_and_noisy_data import (
    ADAPT_KIT,
    DROPOUT_KIT,
    IMPUTE_KIT,
    check_adaptation_split,
    check_impute_training_mean,
    check_modality_dropout,
)
from mmkit.models import encoders


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: impute with training statistics ---------------------------------------------

def impute_solution(X_train, X, known):
    return np.where(known, X, X_train.mean(axis=0))


def impute_in_torch(X_train, X, known):
    filled = torch.where(torch.tensor(known), torch.tensor(X),
                         torch.tensor(X_train).mean(dim=0))
    return filled


def impute_in_place(X_train, X, known):
    X = X.copy()
    rows, columns = np.nonzero(~known)
    X[rows, columns] = X_train.mean(axis=0)[columns]
    return X


@pytest.mark.parametrize("answer", [impute_solution, impute_in_torch, impute_in_place])
def test_impute_accepts_the_solution(answer):
    feedback = check_impute_training_mean(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, message", [
    (lambda t, x, k: np.where(k, x, np.nanmean(x, axis=0)),
     "You filled with the mean of the images you are cleaning"),
    (lambda t, x, k: np.where(k, x, np.nanmean(np.vstack([t, x]), axis=0)),
     "You took the means over the training images and the images being cleaned together"),
    (lambda t, x, k: np.where(k, x, t.mean()), "You used one mean over every pixel"),
    (lambda t, x, k: np.broadcast_to(t.mean(axis=0), x.shape).copy(),
     "You replaced the known pixels too"),
    (lambda t, x, k: np.where(k, x, 0.0), "You filled the missing pixels with 0"),
])
def test_impute_names_each_typical_mistake(answer, message):
    feedback = check_impute_training_mean(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_impute_with_nan_left_says_where():
    feedback = check_impute_training_mean(lambda t, x, k: x)
    assert not feedback.ok and "NaN" in feedback.message


# --- exercise 2: modality dropout ------------------------------------------------------------

def dropout_solution(present, draws, p, training):
    if not training:
        return present
    kept = present & (draws >= p)
    return np.where(kept.any(axis=1, keepdims=True), kept, present)


def dropout_in_torch(present, draws, p, training):
    present = torch.tensor(present)
    if not training:
        return present
    kept = present & (torch.tensor(draws) >= torch.tensor(p))
    return torch.where(kept.any(dim=1, keepdim=True), kept, present)


@pytest.mark.parametrize("answer", [dropout_solution, dropout_in_torch])
def test_dropout_accepts_the_solution(answer):
    feedback = check_modality_dropout(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def always_on(present, draws, p, training):
    return dropout_solution(present, draws, p, True)


def inverted(present, draws, p, training):
    if not training:
        return present
    kept = present & (draws < p)
    return np.where(kept.any(axis=1, keepdims=True), kept, present)


def rows_emptied(present, draws, p, training):
    return present & (draws >= p) if training else present


def resurrected(present, draws, p, training):
    if not training:
        return present
    kept = draws >= p
    return np.where(kept.any(axis=1, keepdims=True), kept, present)


@pytest.mark.parametrize("answer, message", [
    (always_on, "Your dropout is still on at evaluation"),
    (inverted, "You kept a modality when its draw is below p"),
    (rows_emptied, "Some rows lost every modality they had"),
    (resurrected, "You brought back modalities that were missing in the data"),
])
def test_dropout_names_each_typical_mistake(answer, message):
    feedback = check_modality_dropout(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_dropout_with_a_wrong_shape_says_so():
    feedback = check_modality_dropout(lambda present, draws, p, training: present[:, :2])
    assert not feedback.ok and "shape" in feedback.message


# --- exercise 3: adapt on some clips, evaluate on the others ----------------------------------

def split_solution(labels, k):
    chosen = np.sort(np.concatenate([np.flatnonzero(labels == d)[:k // 10] for d in range(10)]))
    return chosen, np.setdiff1d(np.arange(len(labels)), chosen)


def split_with_a_loop(labels, k):
    seen, use, rest = {}, [], []
    for i, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        (use if seen[label] <= k // 10 else rest).append(i)
    return use, rest


@pytest.mark.parametrize("answer", [split_solution, split_with_a_loop])
def test_split_accepts_the_solution(answer):
    feedback = check_adaptation_split(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, message", [
    (lambda labels, k: (split_solution(labels, k)[0], np.arange(len(labels))),
     "You evaluate on every clip, the ones adapted on too"),
    (lambda labels, k: (split_solution(labels, k)[0], split_solution(labels, k)[0]),
     "You evaluate on exactly the clips you adapted on"),
    (lambda labels, k: (np.arange(k), np.arange(k, len(labels))),
     "You adapted on the first k clips of the list"),
])
def test_split_names_each_typical_mistake(answer, message):
    feedback = check_adaptation_split(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_split_with_bad_indices_says_so():
    feedback = check_adaptation_split(lambda labels, k: (np.array([0.5]), np.array([1])))
    assert not feedback.ok and feedback.message.startswith("adapt: expected integer indices")
    feedback = check_adaptation_split(lambda labels, k: split_solution(labels, k)[0])
    assert not feedback.ok and "return 2 values" in feedback.message


# --- every check: unanswered, the kit passed off ----------------------------------------------

@pytest.mark.parametrize("check", [check_impute_training_mean, check_modality_dropout,
                                   check_adaptation_split])
def test_an_unanswered_exercise_says_so(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_impute_training_mean, _reference.missing_impute_training_mean),
    (check_modality_dropout, encoders.drop_modalities),
    (check_modality_dropout, _reference.missing_modality_dropout),
    (check_adaptation_split, voices.adaptation_split),
    (check_adaptation_split, _reference.missing_adaptation_split),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def impute_through_the_kit(X_train, X, known):
    return cleaning.MeanImputer().fit(X_train).transform(np.nan_to_num(X), known)


def dropout_through_the_kit(present, draws, p, training):
    if not training:
        return present
    batch = {"present": torch.tensor(present)}
    rates = dict(zip(("text", "image", "audio"), p.tolist(), strict=True))
    return encoders.drop_modalities(batch, rates)["present"].numpy()


def split_through_the_kit(labels, k):
    return voices.adaptation_split(labels, k)


@pytest.mark.parametrize("check, answer, kit", [
    (check_impute_training_mean, impute_through_the_kit, "mmkit.cleaning.MeanImputer.__init__"),
    (check_modality_dropout, dropout_through_the_kit, "mmkit.models.encoders.drop_modalities"),
    (check_adaptation_split, split_through_the_kit, "mmkit.voices.adaptation_split"),
    (check_adaptation_split,
     lambda labels, k: _reference.missing_adaptation_split(labels, k),
     "mmkit.exercises._reference.missing_adaptation_split"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert cleaning.MeanImputer in IMPUTE_KIT
    assert encoders.drop_modalities in DROPOUT_KIT
    assert voices.adaptation_split in ADAPT_KIT
