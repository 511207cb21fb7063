"""Notebook 12's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest
import torch

from mmkit import robustness
from mmkit.exercises import _reference
from mmkit.exercises.fusion_strategies import (
    FUSE_KIT,
    LATE_KIT,
    MASK_KIT,
    MASK_WIDTHS,
    check_fuse_features,
    check_late_mean,
    check_mask_features,
)
from mmkit.models import fusion
from mmkit.scratch import preprocess


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: fuse normalised features -----------------------------------------------------

def fuse_solution(train_features, features):
    return np.concatenate([(f - t.mean(axis=0)) / t.std(axis=0)
                           for t, f in zip(train_features, features, strict=True)], axis=1)


def fuse_in_torch(train_features, features):
    parts = [(torch.tensor(f) - torch.tensor(t).mean(0)) / torch.tensor(t).std(0, unbiased=False)
             for t, f in zip(train_features, features, strict=True)]
    return torch.cat(parts, dim=1)


@pytest.mark.parametrize("answer", [fuse_solution, fuse_in_torch])
def test_fuse_features_accepts_the_solution(answer):
    feedback = check_fuse_features(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def own_statistics(train_features, features):
    return np.concatenate([(f - f.mean(axis=0)) / f.std(axis=0) for f in features], axis=1)


def all_columns_together(train_features, features):
    train, joined = np.concatenate(train_features, axis=1), np.concatenate(features, axis=1)
    return (joined - train.mean()) / train.std()


@pytest.mark.parametrize("answer, message", [
    (lambda t, f: np.concatenate(f, axis=1), "You concatenated the raw features"),
    (own_statistics, "You standardised with the statistics of the features being fused"),
    (all_columns_together, "You used one mean and one std over all columns together"),
    (lambda t, f: np.concatenate([(x - s.mean(0)) / s.std(0, ddof=1)
                                  for s, x in zip(t, f, strict=True)], 1),
     "You divided by the sample std (ddof=1)"),
    (lambda t, f: np.concatenate([x - s.mean(0) for s, x in zip(t, f, strict=True)], 1),
     "You centred the columns but did not divide"),
])
def test_fuse_features_names_each_typical_mistake(answer, message):
    feedback = check_fuse_features(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


# --- exercise 2: the mask ---------------------------------------------------------------------

def mask_solution(features, present, widths):
    return features * np.repeat(present, widths, axis=1)


def mask_by_slices(features, present, widths):
    out, start = features.copy(), 0
    for k, width in enumerate(widths):
        out[~present[:, k], start:start + width] = 0
        start += width
    return out


@pytest.mark.parametrize("answer", [mask_solution, mask_by_slices])
def test_mask_features_accepts_the_solution(answer):
    feedback = check_mask_features(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, message", [
    (lambda f, p, w: f * np.repeat(~p, w, axis=1), "Your mask is inverted"),
    (lambda f, p, w: f * np.repeat(p[:, ::-1], w, axis=1),
     "You read the mask in the wrong modality order"),
    (lambda f, p, w: f * np.repeat(p[:, ::-1], w[::-1], axis=1),
     "You laid the columns out as audio, image, text"),
    (lambda f, p, w: f * p.all(axis=1, keepdims=True), "You zeroed the whole row"),
])
def test_mask_features_names_each_typical_mistake(answer, message):
    feedback = check_mask_features(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


# --- exercise 3: late fusion's mean -----------------------------------------------------------

def late_solution(probs, present):
    count = present.sum(axis=1, keepdims=True)
    total = (probs * present[:, :, None]).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), 1 / probs.shape[2])


def late_in_torch(probs, present):
    p, m = torch.tensor(probs), torch.tensor(present, dtype=torch.float64)
    weights = m / m.sum(1, keepdim=True)
    out = (weights[:, :, None] * p).sum(1)
    return torch.where(m.sum(1, keepdim=True) > 0, out, torch.full_like(out, 0.25))


@pytest.mark.parametrize("answer", [late_solution, late_in_torch])
def test_late_mean_accepts_the_solution(answer):
    feedback = check_late_mean(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def divided_by_three(probs, present):
    total = (probs * present[:, :, None]).sum(axis=1)
    return np.where(present.any(axis=1, keepdims=True), total / 3, 1 / probs.shape[2])


@pytest.mark.parametrize("answer, message", [
    (divided_by_three, "You divided by 3 instead of by the number of modalities present: a row"),
    (lambda p, m: (p * m[:, :, None]).sum(axis=1) / 3,
     "You divided by 3 instead of by the number of modalities present (and a row"),
    (lambda p, m: p.mean(axis=1), "You averaged over all three modalities, the missing ones"),
    (lambda p, m: np.nan_to_num((p * m[:, :, None]).sum(1) / m.sum(1, keepdims=True)),
     "A row with no modality present should get the uniform guess"),
])
def test_late_mean_names_each_typical_mistake(answer, message):
    with np.errstate(invalid="ignore", divide="ignore"):
        feedback = check_late_mean(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


# --- every check: unanswered, the kit passed off ----------------------------------------------

@pytest.mark.parametrize("check", [check_fuse_features, check_mask_features, check_late_mean])
def test_an_unanswered_exercise_says_so(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_fuse_features, preprocess.standardize),
    (check_fuse_features, _reference.fusion_strategies_fuse_features),
    (check_mask_features, robustness.drop_modality),
    (check_mask_features, _reference.fusion_strategies_mask_features),
    (check_late_mean, _reference.fusion_strategies_late_mean),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def fuse_through_the_kit(train_features, features):
    train, joined = np.concatenate(train_features, 1), np.concatenate(features, 1)
    return preprocess.standardize(train, joined)[1]


def mask_through_the_kit(features, present, widths):
    model = fusion.EarlyFusion()
    batch = {"present": torch.tensor(present), "label": torch.zeros(len(present))}
    bits = model.mask(batch).numpy()
    return features * np.repeat(bits, widths, axis=1)


def late_through_the_kit(probs, present):
    model = fusion.LateFusion()
    mask = torch.tensor(present)
    weights = model._log_weights(mask).exp().numpy()
    return (weights[:, :, None] * probs).sum(axis=1)


@pytest.mark.parametrize("check, answer, kit", [
    (check_fuse_features, fuse_through_the_kit, "mmkit.scratch.preprocess.standardize"),
    (check_mask_features, mask_through_the_kit, "mmkit.models.fusion.FusionModel.mask"),
    (check_mask_features, lambda f, p, w: _reference.fusion_strategies_mask_features(f, p, w),
     "mmkit.exercises._reference.fusion_strategies_mask_features"),
    (check_late_mean, late_through_the_kit, "mmkit.models.fusion.LateFusion.__init__"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert preprocess.standardize in FUSE_KIT
    assert robustness.drop_modality in MASK_KIT and fusion.FusionModel.mask in MASK_KIT
    assert fusion.LateFusion in LATE_KIT
    assert MASK_WIDTHS == (2, 3, 4)
