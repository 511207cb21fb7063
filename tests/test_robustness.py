"""mmkit.robustness: seeded corruption of one modality at a time, the input never modified,
and trained models evaluated on the corrupted batch without retraining."""

import pytest
import torch

from mmkit.data.dataset import MODALITIES
from mmkit.data.text import digit_vocab
from mmkit.models.encoders import accuracy
from mmkit.models.fusion import build_fusion
from mmkit.robustness import (
    BERT_SPECIAL,
    NOISE,
    accuracies_under,
    accuracy_under,
    corrupt,
    drop_modality,
)


@pytest.fixture(scope="module")
def batch(val_batch):
    """The first 40 validation samples."""
    return {key: value[:40] for key, value in val_batch.items()}


def copy(batch):
    return {key: value.clone() for key, value in batch.items()}


def same(a, b):
    return sorted(a) == sorted(b) and all(torch.equal(a[key], b[key]) for key in a)


def test_the_input_is_never_modified_and_no_noise_changes_nothing(batch):
    before = copy(batch)
    noisy = corrupt(batch, {"text": 0.5, "image": 1.0, "audio": 1.0}, seed=3)
    assert same(batch, before)
    assert noisy is not batch
    assert same(corrupt(batch, None), batch)
    assert same(corrupt(batch, {"text": 0.0, "image": 0.0, "audio": 0.0}), batch)


def test_the_same_seed_gives_the_same_batch_and_modalities_draw_their_own_streams(batch):
    noise = {"image": 1.0, "audio": 0.5, "text": 0.3}
    assert same(corrupt(batch, noise, seed=1), corrupt(batch, noise, seed=1))
    assert not torch.equal(corrupt(batch, noise, seed=1)["image"],
                           corrupt(batch, noise, seed=2)["image"])
    # the audio's noise does not depend on how much noise the image gets
    assert torch.equal(corrupt(batch, {"audio": 0.5}, seed=1)["audio"],
                       corrupt(batch, noise, seed=1)["audio"])


@pytest.mark.parametrize("modality, sigma", [("image", 0.5), ("audio", 2.0)])
def test_gaussian_noise_has_the_asked_std_and_leaves_the_rest_alone(batch, modality, sigma):
    noisy = corrupt(batch, {modality: sigma}, seed=0)
    difference = noisy[modality] - batch[modality]
    assert float(difference.std()) == pytest.approx(sigma, rel=0.05)
    assert abs(float(difference.mean())) < 0.05 * sigma
    others = [key for key in batch if key != modality]
    assert all(torch.equal(noisy[key], batch[key]) for key in others)


@pytest.mark.parametrize("modality", ["image", "audio"])
def test_a_missing_modality_stays_missing(batch, modality):
    holes = drop_modality(batch, modality, rows=[0, 3])
    noisy = corrupt(holes, {modality: 1.0}, seed=0)
    assert torch.equal(noisy[modality][[0, 3]], holes[modality][[0, 3]])
    assert (noisy[modality][[0, 3]] == 0).all()
    assert not torch.equal(noisy[modality][1], holes[modality][1])


def test_text_words_are_replaced_or_dropped_at_the_asked_share(batch):
    words = batch["word_mask"].bool()
    noisy = corrupt(batch, {"text": 1.0}, seed=0)
    kept = noisy["word_mask"].bool()
    assert not (kept & ~words).any()                       # nothing added
    dropped = float((words & ~kept).sum() / words.sum())
    assert 0.35 < dropped < 0.65                           # half dropped, half replaced
    replaced = noisy["word_ids"][kept]
    assert int(replaced.min()) >= 2 and int(replaced.max()) < len(digit_vocab())
    assert (noisy["word_ids"][~kept] == 0).all()
    # every WordPiece token but [CLS] / [SEP] is gone from the BERT ids
    special = torch.isin(batch["text_ids"], torch.tensor(BERT_SPECIAL))
    assert torch.equal(noisy["text_mask"].bool(), batch["text_mask"].bool() & special)
    some = corrupt(batch, {"text": 0.3}, seed=0)
    hit = float((some["word_ids"] != batch["word_ids"]).sum() / words.sum())
    assert 0.15 < hit < 0.45


@pytest.mark.parametrize("noise, message", [
    ({"video": 1.0}, "noise modality must be one of 'text', 'image', 'audio'; got 'video'"),
    ({"image": -1.0}, "noise['image']: expected a standard deviation σ ≥ 0, got -1.0"),
    ({"text": 1.5}, "noise['text']: expected a share of words in [0, 1], got 1.5"),
])
def test_bad_noise_is_refused_saying_what_is_accepted(batch, noise, message):
    with pytest.raises(ValueError) as error:
        corrupt(batch, noise)
    assert str(error.value) == message
    assert set(NOISE) == set(MODALITIES)


def test_a_batch_without_the_keys_is_refused_listing_them(batch):
    no_audio = {key: value for key, value in batch.items() if key != "audio"}
    with pytest.raises(KeyError, match=r"noise on audio needs the batch keys \['audio'\]; "
                                       r"missing \['audio'\]"):
        corrupt(no_audio, {"audio": 1.0})
    with pytest.raises(KeyError, match="'present'"):
        corrupt({"image": batch["image"]}, {"image": 1.0})


def test_drop_modality_marks_rows_missing_and_zeroes_them(batch):
    before = copy(batch)
    holes = drop_modality(batch, "audio", rows=[1, 2])
    assert same(batch, before)
    assert holes["present"][:, 2].tolist()[:4] == [True, False, False, True]
    assert (holes["audio"][[1, 2]] == 0).all() and (holes["audio_length"][[1, 2]] == 0).all()
    assert torch.equal(holes["audio"][0], batch["audio"][0])
    everything = drop_modality(batch, "text")
    assert not everything["present"][:, 0].any() and not everything["word_mask"].any()
    with pytest.raises(ValueError, match="modality must be one of 'text', 'image', 'audio'"):
        drop_modality(batch, "video")


def test_accuracy_under_evaluates_without_touching_the_model(batch):
    torch.manual_seed(0)
    model = build_fusion("late")
    weights = {key: value.clone() for key, value in model.state_dict().items()}
    noise = {"image": 2.0, "text": 0.5}
    assert accuracy_under(model, batch, noise, seed=4) == accuracy(model,
                                                                   corrupt(batch, noise, 4))
    assert accuracy_under(model, batch) == accuracy(model, batch)
    assert all(torch.equal(weights[key], value) for key, value in model.state_dict().items())
    both = accuracies_under({"late": model, "early": build_fusion("early")}, batch, noise, 4)
    assert list(both) == ["late", "early"]
    assert both["late"] == accuracy_under(model, batch, noise, 4)
