"""The fusion strategies of notebook 12 on real mmdigits batches: shapes, missing modalities
(finite, and exactly ignored by late and attention fusion), attention weights, the names,
errors that say what was expected, and each strategy trained briefly against the unimodal
baselines."""

import math

import pytest
import torch
from torch.nn import functional as F

from mmkit.data.dataset import MODALITIES, collate
from mmkit.models import encoders as E
from mmkit.models import fusion as Fu
from mmkit.models.transformer import restore_best

# name → options; every strategy and every combination rule
STRATEGIES = {
    "early": ("early", {}),
    "late-mean": ("late", {}),
    "late-weighted": ("late", {"combine": "weighted", "weights": (1.0, 2.0, 3.0)}),
    "late-learned": ("late", {"combine": "learned"}),
    "hierarchical": ("hierarchical", {}),
    "attention": ("attention", {}),
    "attention-transformer": ("attention", {"mode": "transformer", "heads": 2}),
}
IGNORING = [key for key in STRATEGIES if key.startswith(("late", "attention"))]


def small_encoders(out_features=32):
    return {"text": E.BagOfWords(out_features), "image": E.ImageCNN(out_features),
            "audio": E.AudioLSTM(out_features, hidden=32)}


def build(key, **extra):
    name, options = STRATEGIES[key]
    torch.manual_seed(0)
    return Fu.build_fusion(name, small_encoders(), **options, **extra)


@pytest.fixture(scope="module")
def batch(train_data):
    return collate([train_data[i] for i in range(48)])


def with_missing(batch):
    """Rows 0–5: nothing present; 6–11: text only missing; 12–17: image only; 18–23: audio
    only; 24–29: only text present; the rest untouched (all present in standard)."""
    present = batch["present"].clone()
    present[0:6] = False
    for k in range(3):
        present[6 + 6 * k:12 + 6 * k, k] = False
    present[24:30, 1:] = False
    return {**batch, "present": present}


def test_the_batch_has_every_modality_at_first(batch):
    assert batch["present"].shape == (48, len(MODALITIES)) and batch["present"].all()


@pytest.mark.parametrize("key", STRATEGIES)
def test_each_strategy_maps_a_batch_to_logits(key, batch):
    model = build(key).eval()
    logits = model(batch)
    assert logits.shape == (48, 10) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    assert model.modalities == MODALITIES


@pytest.mark.parametrize("key", STRATEGIES)
def test_missing_modalities_give_finite_logits_and_gradients(key, batch):
    model = build(key)
    logits = model(with_missing(batch))
    assert torch.isfinite(logits).all()
    F.cross_entropy(logits, batch["label"]).backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    everything_missing = {**batch, "present": torch.zeros_like(batch["present"])}
    assert torch.isfinite(model(everything_missing)).all()


def scrambled(batch, generator_seed=1):
    """The same batch with every modality's input replaced by noise where it is missing."""
    g = torch.Generator().manual_seed(generator_seed)
    present = batch["present"]
    out = dict(batch)
    text_gone = ~present[:, 0:1]
    out["word_ids"] = torch.where(text_gone, torch.randint(1, 10, batch["word_ids"].shape,
                                                           generator=g), batch["word_ids"])
    out["word_mask"] = torch.where(text_gone, True, batch["word_mask"])
    image = torch.randn(batch["image"].shape, generator=g)
    out["image"] = torch.where(present[:, 1, None, None, None], batch["image"], image)
    audio = torch.randn(batch["audio"].shape, generator=g)
    out["audio"] = torch.where(present[:, 2, None, None], batch["audio"], audio)
    return out


@pytest.mark.parametrize("key", STRATEGIES)
def test_the_input_of_a_missing_modality_changes_nothing(key, batch):
    model = build(key).eval()
    missing = with_missing(batch)
    with torch.no_grad():
        torch.testing.assert_close(model(scrambled(missing)), model(missing), atol=0, rtol=0)


class NoisyWhereMissing(torch.nn.Module):
    """Wraps an encoder: its features where the modality is missing become noise instead
    of zeros, to test that a strategy ignores them rather than relying on the zeros."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.modality, self.out_features = encoder.modality, encoder.out_features

    def rows(self, batch):
        return self.encoder.rows(batch)

    def forward(self, batch):
        features = self.encoder(batch)
        noise = torch.randn(features.shape, generator=torch.Generator().manual_seed(3)) + 5
        return torch.where(self.rows(batch)[:, None], features, noise)


def features_noisy_where_missing(model):
    for name in model.modalities:
        model.encoders[name] = NoisyWhereMissing(model.encoders[name])
    return model


@pytest.mark.parametrize("key", IGNORING)
def test_late_and_attention_fusion_exactly_ignore_a_missing_modality(key, batch):
    model = build(key).eval()
    missing = with_missing(batch)
    with torch.no_grad():
        before = model(missing)
        after = features_noisy_where_missing(model)(missing)
    keep = missing["present"].any(dim=1)     # rows with something present
    torch.testing.assert_close(after[keep], before[keep], atol=0, rtol=0)


def test_early_fusion_does_read_the_zero_features_of_a_missing_modality(batch):
    # the contrast: the joint head sees the missing modality's (zero) features
    model = build("early").eval()
    missing = with_missing(batch)
    with torch.no_grad():
        before = model(missing)
        after = features_noisy_where_missing(model)(missing)
    assert not torch.allclose(after[6:12], before[6:12])


def test_late_fusion_with_one_modality_present_is_that_models_prediction(batch):
    model = build("late-weighted").eval()
    missing = with_missing(batch)
    with torch.no_grad():
        logits = model(missing)
        own = model.modality_logits(missing)
    torch.testing.assert_close(logits[24:30], F.log_softmax(own[24:30, 0], dim=1))
    assert (logits[0:6] == 0).all()                 # nothing present: a uniform guess


def test_late_fusion_averages_probabilities_with_renormalised_weights(batch):
    model = build("late-weighted").eval()
    missing = with_missing(batch)
    with torch.no_grad():
        logits = model(missing)
        probabilities = F.softmax(model.modality_logits(missing), dim=2)    # (N, 3, C)
    weights = torch.tensor([1.0, 2.0, 3.0]) * missing["present"]
    weights = weights / weights.sum(dim=1, keepdim=True).clamp(min=1e-12)
    expected = (weights[:, :, None] * probabilities).sum(dim=1)
    keep = missing["present"].any(dim=1)
    torch.testing.assert_close(logits[keep].exp(), expected[keep])
    # image missing (rows 12–17): text and audio weighted 1 : 3
    a = model.modality_weights(missing)
    torch.testing.assert_close(a[12], torch.tensor([0.25, 0.0, 0.75]))


@pytest.mark.parametrize("key", ["late-mean", "late-learned", "attention",
                                 "attention-transformer"])
def test_modality_weights_sum_to_one_over_the_present_ones(key, batch):
    model = build(key).eval()
    missing = with_missing(batch)
    present = missing["present"]
    with torch.no_grad():
        weights = model.modality_weights(missing)
    assert weights.shape == (48, 3)
    assert (weights[~present] == 0).all()                       # exactly 0 when missing
    assert (weights[present] > 0).all()
    some = present.any(dim=1)
    torch.testing.assert_close(weights[some].sum(dim=1), torch.ones(int(some.sum())))
    assert (weights[~some] == 0).all()                          # nothing to weigh
    if key.startswith("attention"):
        model(missing)
        torch.testing.assert_close(model.last_weights, weights)  # kept for plotting


def test_the_late_weights_are_learned_only_when_asked(batch):
    learned = dict(build("late-learned").named_parameters())
    fixed = dict(build("late-mean").named_parameters())
    assert "log_weights" in learned and "log_weights" not in fixed
    assert "log_weights" in build("late-mean").state_dict()   # a buffer, saved


def test_hierarchical_fusion_follows_its_stages(batch):
    model = build("hierarchical")
    assert model.stages == (("image", "audio"), ("text",))
    assert model.fuse[0].in_features == 2 * 32 + 2 and model.fuse[1].in_features == 64 + 32 + 1
    torch.manual_seed(0)
    three = Fu.build_fusion("intermediate", small_encoders(),
                            stages=(("text",), ("image",), ("audio",)))
    assert len(three.fuse) == 3 and torch.isfinite(three(with_missing(batch))).all()


def test_the_aliases_build_the_same_strategies():
    expected = {"early": Fu.EarlyFusion, "feature": Fu.EarlyFusion, "late": Fu.LateFusion,
                "model": Fu.LateFusion, "decision": Fu.LateFusion,
                "hierarchical": Fu.HierarchicalFusion,
                "intermediate": Fu.HierarchicalFusion, "attention": Fu.AttentionFusion}
    for name, cls in expected.items():
        assert type(Fu.build_fusion(name, small_encoders())) is cls


def test_a_subset_of_modalities_works(batch):
    torch.manual_seed(0)
    encoders = {"audio": E.AudioLSTM(16, hidden=16), "image": E.ImageCNN(16)}
    model = Fu.build_fusion("attention", encoders).eval()
    assert model.modalities == ("image", "audio")
    assert model(batch).shape == (48, 10)
    assert model.modality_weights(batch).shape == (48, 2)


def test_an_unknown_name_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"fusion must be one of 'early', 'feature', 'late'.*"
                                         r"'attention'; got 'middle'"):
        Fu.build_fusion("middle")


def test_bad_options_say_what_is_accepted():
    with pytest.raises(ValueError, match="combine must be one of 'mean', 'weighted', "
                                         "'learned'"):
        Fu.build_fusion("late", small_encoders(), combine="max")
    with pytest.raises(ValueError, match=r"weights: expected 3 positive numbers"):
        Fu.build_fusion("late", small_encoders(), combine="weighted", weights=(1.0, 2.0))
    with pytest.raises(ValueError, match="weights must be a positive number"):
        Fu.build_fusion("late", small_encoders(), combine="weighted", weights=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="only with combine='weighted'"):
        Fu.build_fusion("late", small_encoders(), weights=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="attention mode must be one of 'weights', "
                                         "'transformer'"):
        Fu.build_fusion("attention", small_encoders(), mode="cross")
    with pytest.raises(ValueError, match="stages: expected non-empty groups naming each"):
        Fu.build_fusion("hierarchical", small_encoders(), stages=(("image", "audio"),))
    with pytest.raises(ValueError, match="modality must be one of 'text', 'image', 'audio'"):
        Fu.build_fusion("early", {"video": E.ImageCNN(8)})
    with pytest.raises(ValueError, match=r"encoders\['text'\]: expected an Encoder of the "
                                         "text modality, got ImageCNN"):
        Fu.build_fusion("early", {"text": E.ImageCNN(8)})


@pytest.mark.parametrize("key", STRATEGIES)
def test_a_mask_of_the_wrong_shape_names_the_expected_shape(key, batch):
    model = build(key)
    for present in (batch["present"][:, :2], batch["present"][:40], batch["present"][:, 0]):
        with pytest.raises(ValueError, match=r"present .*expected shape \(48, 3\), got"):
            model({**batch, "present": present})
    with pytest.raises(KeyError, match="needs the batch key 'present'"):
        model({k: v for k, v in batch.items() if k != "present"})
    with pytest.raises(KeyError, match="missing \\['audio_length'\\]"):
        model({k: v for k, v in batch.items() if k != "audio_length"})


# --- trained briefly ------------------------------------------------------------------------------

EPOCHS = 12
LR = {"late-mean": 1e-2, "late-weighted": 1e-2, "late-learned": 1e-2, "attention": 1e-2}
# (the others: 3e-3)


def best_validation_accuracy(model, train_batch, val_batch, lr=3e-3):
    history = E.fit_classifier(model, train_batch, val_batch, epochs=EPOCHS, lr=lr)
    curve = [taken["val_accuracy"] for _, taken in history.snapshots]
    best = restore_best(model, history, "val_accuracy", larger_is_better=True)
    assert E.accuracy(model, val_batch) == pytest.approx(curve[best])
    return curve[best]


@pytest.fixture(scope="module")
def best_single_modality(train_batch, val_batch):
    """The best unimodal baseline's validation accuracy, same encoders and training."""
    accuracies = {}
    for name in MODALITIES:
        torch.manual_seed(0)
        model = E.Classifier(small_encoders()[name])
        accuracies[name] = best_validation_accuracy(model, train_batch, val_batch)
    print("unimodal validation accuracies", accuracies)
    return max(accuracies.values())


# The margin each strategy must beat the best single modality by. Measured on one CPU thread
# (best validation epoch of 12, 300 training samples): text 0.567, image 0.541, audio 0.496;
# early 0.767, late mean 0.737 / weighted 0.663 / learned 0.719, hierarchical 0.719,
# attention 0.659, attention with a Transformer block 0.667.
MARGIN = {"early": 0.08, "late-mean": 0.05, "late-weighted": 0.05, "late-learned": 0.05,
          "hierarchical": 0.05, "attention": 0.0, "attention-transformer": 0.0}


@pytest.mark.parametrize("key", STRATEGIES)
def test_each_strategy_beats_the_best_single_modality(key, train_batch, val_batch,
                                                      best_single_modality):
    accuracy = best_validation_accuracy(build(key), train_batch, val_batch, LR.get(key, 3e-3))
    print(f"{key}: validation accuracy {accuracy:.3f}, best single {best_single_modality:.3f}")
    assert accuracy > 0.4, f"{key}: {accuracy:.3f} (chance 0.10)"
    assert accuracy > best_single_modality + MARGIN[key], (
        f"{key}: {accuracy:.3f} against the best single modality {best_single_modality:.3f}")
    assert math.isfinite(accuracy)
