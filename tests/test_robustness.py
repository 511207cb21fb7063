"""mmkit.robustness: seeded corruption of one modality at a time, the input never modified,
and trained models evaluated on the corrupted batch without retraining."""

import numpy as np
import pytest
import torch

from mmkit.data.dataset import MODALITIES
from mmkit.data.text import digit_vocab
from mmkit.models.encoders import accuracy
from mmkit.models.fusion import build_fusion
from mmkit.robustness import (
    BERT_SPECIAL,
    LEVELS,
    MISSING,
    NOISE,
    accuracies_under,
    accuracy_under,
    area_under_curve,
    corrupt,
    drop_modality,
    missing_accuracies,
    missing_name,
    noise_curve,
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


# --- modality dropout with a probability per modality ---------------------------------------

def _all_present(n=20000):
    return {"present": torch.ones(n, 3, dtype=torch.bool)}


def test_dropout_per_modality_hides_each_at_its_own_rate():
    from mmkit.models.encoders import drop_modalities

    p = {"text": 0.1, "image": 0.3, "audio": 0.5}
    kept = drop_modalities(_all_present(), p, torch.Generator().manual_seed(0))["present"]
    assert kept.any(dim=1).all()                           # every row keeps a modality
    rates = 1 - kept.float().mean(dim=0)
    # a little under p: the 1.5 % of rows that would lose all three keep them
    for rate, expected in zip(rates.tolist(), p.values(), strict=True):
        assert expected - 0.04 < rate < expected + 0.01
    only_audio = drop_modalities(_all_present(), {"audio": 0.4},
                                 torch.Generator().manual_seed(1))["present"]
    assert only_audio[:, :2].all()                         # modalities left out: never hidden
    assert 0.37 < 1 - only_audio[:, 2].float().mean().item() < 0.43


def test_one_float_is_the_same_probability_for_every_modality():
    from mmkit.models.encoders import drop_modalities

    one = drop_modalities(_all_present(500), 0.3, torch.Generator().manual_seed(2))
    each = drop_modalities(_all_present(500), dict.fromkeys(MODALITIES, 0.3),
                           torch.Generator().manual_seed(2))
    assert torch.equal(one["present"], each["present"])


@pytest.mark.parametrize("p, message", [
    ({"smell": 0.1}, r"expected modalities among \('text', 'image', 'audio'\), got \['smell'\]"),
    ({"audio": 1.0}, r"expected a probability in \[0, 1\), got 'audio': 1.0"),
    ({"text": -0.1}, r"expected a probability in \[0, 1\), got 'text': -0.1"),
    (1.5, r"expected a probability in \[0, 1\), got 1.5"),
    ({"image": "a lot"}, r"for image, got 'a lot'"),
])
def test_bad_dropout_is_refused_saying_what_was_expected(batch, p, message):
    from mmkit.models.encoders import classification_step, drop_modalities

    with pytest.raises(ValueError, match=message):
        drop_modalities(batch, p)
    model = build_fusion("early")
    with pytest.raises(ValueError, match=message):          # before any training
        classification_step(model, torch.optim.SGD(model.parameters(), lr=0.1), p)


class Spy(torch.nn.Module):
    """A late fusion model that records the `present` of every batch it sees."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.model = build_fusion("late")
        self.seen = []

    def forward(self, batch):
        self.seen.append(batch["present"].clone())
        return self.model(batch)


def test_dropout_acts_in_training_and_never_at_evaluation(batch):
    from mmkit.models.encoders import classification_step, predict, to_tensors

    spy = Spy()
    step = classification_step(spy, torch.optim.SGD(spy.parameters(), lr=0.01),
                               {"text": 0.0, "image": 0.0, "audio": 0.9},
                               torch.Generator().manual_seed(0))
    step(*to_tensors(batch))
    trained_on = spy.seen.pop()
    assert trained_on[:, :2].all() and not trained_on[:, 2].all()  # audio hidden, only it
    spy.seen.clear()
    predict(spy, batch)
    assert accuracy(spy, batch) == accuracy(spy.model, batch)
    assert all(seen.all() for seen in spy.seen)           # evaluation saw every modality


def test_the_run_and_its_command_line_take_one_probability_per_modality(tmp_path):
    from mmkit.pipeline import parse_modality_dropout, run

    assert parse_modality_dropout("0.2") == 0.2
    assert parse_modality_dropout("text=0.1, image=0.3,audio=0.2") == {
        "text": 0.1, "image": 0.3, "audio": 0.2}
    with pytest.raises(ValueError, match="smell"):
        parse_modality_dropout("smell=0.1")
    with pytest.raises(ValueError, match=r"modality=probability pairs .* got 'image'"):
        parse_modality_dropout("text=0.1,image")
    with pytest.raises(ValueError, match="got 'lots'"):
        parse_modality_dropout("lots")
    p = {"audio": 0.5}
    done = run(fusion="early", epochs=1, limit=64, out=tmp_path / "a", checkpoint=False,
               modality_dropout=p)
    assert done["modality_dropout"] == p
    plain = run(fusion="early", epochs=1, limit=64, out=tmp_path / "b", checkpoint=False)
    assert done["loss_curve"] != plain["loss_curve"]
    with pytest.raises(ValueError, match=r"'audio': 1\.0"):
        run(fusion="early", epochs=1, limit=64, out=tmp_path / "c", modality_dropout={
            "audio": 1.0})


# --- the accuracy–noise curve, its area, missing modalities ---------------------------------

def test_the_levels_are_ten_from_clean_to_each_modalitys_maximum():
    assert set(LEVELS) == set(MODALITIES)
    for levels in LEVELS.values():
        assert len(levels) == 10 and levels[0] == 0 and np.all(np.diff(levels) > 0)
    assert LEVELS["text"][-1] == pytest.approx(0.9) and LEVELS["audio"][-1] == 3.0


def test_a_model_that_ignores_a_modality_has_a_flat_curve_for_it(batch):
    from mmkit.models.encoders import Classifier, ImageCNN

    torch.manual_seed(0)
    model = Classifier(ImageCNN(out_features=16))           # reads the image only
    for modality in ("text", "audio"):
        curve = noise_curve(model, batch, modality, seed=1)
        assert curve.shape == (10,) and np.all(curve == curve[0])
    image = noise_curve(model, batch, "image", seed=1)
    assert image[0] == accuracy(model, batch)                # level 0 = clean
    assert len(set(image.tolist())) > 1                      # noise on what it reads matters
    assert image[3] == accuracy_under(model, batch, {"image": LEVELS["image"][3]}, seed=1)
    assert noise_curve(model, batch, "image", [0.0, 2.0], seed=1).shape == (2,)
    with pytest.raises(ValueError, match="noise modality must be one of"):
        noise_curve(model, batch, "video")


def test_area_under_curve_is_the_trapezoid_over_the_range():
    from sklearn.metrics import auc

    rng = np.random.default_rng(0)
    levels = np.sort(rng.uniform(0, 3, 10))
    accuracies = rng.uniform(0, 1, 10)
    expected = np.trapezoid(accuracies, levels) / (levels[-1] - levels[0])
    assert area_under_curve(levels, accuracies) == pytest.approx(expected)
    assert area_under_curve(levels, accuracies) == pytest.approx(
        auc(levels, accuracies) / (levels[-1] - levels[0]))
    assert area_under_curve(LEVELS["image"], [1.0] * 10) == pytest.approx(1.0)
    assert area_under_curve([0, 1], [1.0, 0.0]) == pytest.approx(0.5)     # a straight fall
    assert area_under_curve([0, 1, 3], [1.0, 0.0, 0.0]) == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="one accuracy per level, got 3 levels and 2"):
        area_under_curve([0, 1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="at least 2 levels"):
        area_under_curve([0], [1.0])
    with pytest.raises(ValueError, match="increasing levels"):
        area_under_curve([0, 2, 1], [1.0, 0.5, 0.2])


def test_missing_accuracies_remove_each_modality_and_each_pair(batch):
    from mmkit.models.encoders import Classifier, ImageCNN

    torch.manual_seed(0)
    model = build_fusion("late")
    result = missing_accuracies(model, batch)
    assert list(result) == ["none", "text", "image", "audio", "text+image", "text+audio",
                            "image+audio"]
    assert [missing_name(m) for m in MISSING] == list(result)
    assert result["none"] == accuracy(model, batch)
    # missing all but one = that modality alone, the others' rows absent
    audio_only = {**batch, "present": batch["present"] & torch.tensor([False, False, True])}
    assert result["text+image"] == accuracy(model, audio_only)
    image_model = Classifier(ImageCNN(out_features=16))
    alone = missing_accuracies(image_model, batch)
    assert alone["none"] == alone["text"] == alone["audio"] == alone["text+audio"]
    # without its image every row gets the head's bias alone: one class for all
    bias_class = int(image_model.head.bias.argmax())
    share = float((batch["label"] == bias_class).float().mean())
    assert alone["image"] == alone["image+audio"] == pytest.approx(share)
