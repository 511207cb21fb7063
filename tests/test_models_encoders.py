"""The encoders of notebook 11 on real mmdigits batches: shapes, packing, missing rows, the
text cache, unimodal baselines that learn, and errors that say what was expected."""

import time

import pytest
import torch

from mmkit.data.dataset import collate
from mmkit.data.text import encode_bert
from mmkit.models import encoders as E
from mmkit.models.minilm import sentence_embeddings, token_embeddings
from mmkit.models.transformer import restore_best

ENCODERS = {"text": E.TextEncoder, "bag_of_words": E.BagOfWords, "image": E.ImageCNN,
            "audio": E.AudioLSTM}
COLUMN = {"text": 0, "bag_of_words": 0, "image": 1, "audio": 2}


@pytest.fixture(scope="module")
def batch(train_data):
    return collate([train_data[i] for i in range(48)])


def build(name, **kwargs):
    torch.manual_seed(0)
    return ENCODERS[name](**kwargs)


@pytest.mark.parametrize("name", ENCODERS)
def test_each_encoder_maps_a_batch_to_n_by_d(name, batch):
    encoder = build(name, out_features=24).eval()
    out = encoder(batch)
    assert out.shape == (48, 24) and out.dtype == torch.float32
    assert encoder.out_features == 24
    assert torch.isfinite(out).all() and (out >= 0).all()   # ReLU features
    logits = E.Classifier(encoder, num_classes=10)(batch)
    assert logits.shape == (48, 10) and logits.dtype == torch.float32


def test_the_collate_batch_is_what_the_encoders_read(batch):
    assert batch["image"].shape == (48, 1, 28, 28)
    assert batch["audio"].shape[0] == 48 and batch["audio"].shape[2] == E.MEL_BANDS
    assert batch["audio"].shape[1] == int(batch["audio_length"].max())
    assert batch["audio_length"].min() < batch["audio"].shape[1]  # some rows are padded


def with_extra_padding(batch, frames=25):
    noise = torch.randn(len(batch["audio"]), frames, E.MEL_BANDS,
                        generator=torch.Generator().manual_seed(1))
    return {**batch, "audio": torch.cat([batch["audio"], noise], dim=1)}


def test_packing_keeps_padding_out_of_the_lstm(batch):
    encoder = build("audio").eval()
    with torch.no_grad():
        packed = encoder(batch)
        padded_more = encoder(with_extra_padding(batch))
        encoder.pack = False
        unpacked = encoder(batch)
        unpacked_more = encoder(with_extra_padding(batch))
    torch.testing.assert_close(padded_more, packed, atol=1e-5, rtol=1e-5)
    # unpacked, the padding runs through the state: the features change with it
    assert (unpacked - packed).abs().max() > 1e-2
    assert (unpacked_more - unpacked).abs().max() > 1e-2
    # a clip that fills the batch's T frames reads the same frames either way, but only
    # in the forward direction; every shorter clip differs
    shorter = batch["audio_length"] < batch["audio"].shape[1]
    assert ((unpacked - packed).abs().amax(dim=1)[shorter] > 1e-6).all()


def test_the_unidirectional_lstm_packs_too(batch):
    encoder = build("audio", bidirectional=False, hidden=16, out_features=8).eval()
    with torch.no_grad():
        torch.testing.assert_close(encoder(with_extra_padding(batch)), encoder(batch),
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ENCODERS)
def test_a_missing_modality_gives_a_zero_row(name, batch):
    encoder = build(name).eval()
    present = batch["present"].clone()
    present[::3, COLUMN[name]] = False
    with torch.no_grad():
        full = encoder(batch)
        out = encoder({**batch, "present": present})
        none = encoder({**batch, "present": torch.zeros_like(present)})
    assert (out[::3] == 0).all()
    keep = present[:, COLUMN[name]]
    torch.testing.assert_close(out[keep], full[keep], atol=1e-5, rtol=1e-5)
    assert (none == 0).all() and none.shape == full.shape
    # a classifier falls back on its bias for a missing row
    classifier = E.Classifier(encoder).eval()
    with torch.no_grad():
        logits = classifier({**batch, "present": present})
    torch.testing.assert_close(logits[0], classifier.head.bias)


def test_a_clue_with_no_tokens_counts_as_missing(batch):
    encoder = build("text").eval()
    empty = {**batch, "text_ids": batch["text_ids"].clone(),
             "text_mask": batch["text_mask"].clone()}
    empty["text_ids"][0] = 0
    empty["text_mask"][0] = 0
    with torch.no_grad():
        assert (encoder(empty)[0] == 0).all()


def test_the_text_cache_runs_minilm_once_per_distinct_clue(batch):
    calls = []

    def counting(ids, mask):
        calls.append(len(ids))
        return token_embeddings(ids, mask)

    encoder = E.TextEncoder(embed=counting)
    rows = batch["present"][:, 0] & batch["text_mask"].bool().any(dim=1)
    distinct = {tuple(ids[mask.bool()].tolist())
                for ids, mask in zip(batch["text_ids"][rows], batch["text_mask"][rows],
                                     strict=True)}
    assert len(distinct) < int(rows.sum())      # some clues repeat in the batch
    encoder(batch)
    assert sum(calls) == len(distinct) == len(encoder.cache)
    encoder(batch)
    encoder({key: value[:10] for key, value in batch.items()})
    assert sum(calls) == len(distinct)          # nothing computed twice
    assert "cache" not in encoder.state_dict() and not any(
        key.startswith("embed") for key in encoder.state_dict())


def test_token_embeddings_of_ids_are_the_kits_sentence_embeddings(train_data):
    texts = [clue for clue in train_data.clean_clues[:40] if clue.strip()][:12]
    ids, mask = (torch.from_numpy(a) for a in encode_bert(texts, 32))
    torch.testing.assert_close(token_embeddings(ids, mask), sentence_embeddings(texts),
                               atol=1e-5, rtol=1e-4)


def test_trainable_parameters_leave_minilm_out():
    encoder = E.TextEncoder(out_features=64)
    assert E.num_parameters(encoder) == E.MINILM_FEATURES * 64 + 64
    assert E.num_parameters(E.Classifier(encoder)) == E.MINILM_FEATURES * 64 + 64 + 650


# Per encoder: (epochs, learning rate); chance is 0.10 on the ten digits.
TRAINING = {"text": (10, 1e-2), "bag_of_words": (10, 3e-3), "image": (8, 3e-3),
            "audio": (8, 3e-3)}


@pytest.mark.parametrize("name", ENCODERS)
def test_each_unimodal_baseline_beats_chance_on_validation(name, train_batch, val_batch):
    epochs, lr = TRAINING[name]
    model = E.Classifier(build(name))
    start = time.perf_counter()
    history = E.fit_classifier(model, train_batch, val_batch, epochs=epochs, lr=lr)
    seconds = time.perf_counter() - start
    curve = [taken["val_accuracy"] for _, taken in history.snapshots]
    assert len(curve) == epochs + 1 and history["loss"][-1] < history["loss"][0]
    best = restore_best(model, history, "val_accuracy", larger_is_better=True)
    assert E.accuracy(model, val_batch) == pytest.approx(curve[best])
    assert max(curve) > 0.3, f"{name}: validation accuracy per epoch {curve}"
    assert seconds < 30, f"{name}: {seconds:.1f} s"


def test_to_tensors_round_trips(batch):
    tensors = E.to_tensors(batch)
    assert E.from_tensors(*tensors).keys() == set(E.BATCH_KEYS)
    with pytest.raises(ValueError, match="expected 9 tensors"):
        E.from_tensors(*tensors[:3])
    with pytest.raises(KeyError, match="missing \\['label'\\]"):
        E.to_tensors({key: v for key, v in batch.items() if key != "label"})


@pytest.mark.parametrize("name", ENCODERS)
def test_a_batch_without_the_needed_key_is_refused_with_the_keys(name, batch):
    encoder = build(name)
    needed = encoder.keys[0]
    with pytest.raises(KeyError) as error:
        encoder({key: value for key, value in batch.items() if key != needed})
    message = str(error.value)
    assert f"missing ['{needed}']" in message and "needs the batch keys" in message
    assert "'label'" in message                          # what the batch has
    with pytest.raises(KeyError, match="present"):
        encoder({key: value for key, value in batch.items() if key != "present"})
    with pytest.raises(TypeError, match="batch dict"):
        encoder(batch["image"])


def test_wrong_shapes_name_the_expected_shape(batch):
    shape = r"image: expected shape \(N, 1, 28, 28\), got \(48, 28, 28\)"
    with pytest.raises(ValueError, match=shape):
        E.ImageCNN()({**batch, "image": batch["image"][:, 0]})
    with pytest.raises(ValueError, match=r"expected shape \(N, T, 40\)"):
        E.AudioLSTM()({**batch, "audio": batch["audio"][..., :13]})
    with pytest.raises(ValueError, match="audio_length: expected 1"):
        E.AudioLSTM()({**batch, "audio": batch["audio"][:, :5]})
    with pytest.raises(ValueError, match=r"present .*expected shape \(N, 3\)"):
        E.ImageCNN()({**batch, "present": batch["present"][:, :2]})
    with pytest.raises(ValueError, match="expected 48 rows"):
        E.ImageCNN()({**batch, "image": batch["image"][:10]})
    with pytest.raises(ValueError, match=r"text_mask: expected shape \(48, 16\)"):
        E.TextEncoder()({**batch, "text_mask": batch["text_mask"][:, :4]})
    with pytest.raises(ValueError, match=r"word_ids: expected ids in \[0, "):
        E.BagOfWords()({**batch, "word_ids": batch["word_ids"] + 1000})


def test_modality_dropout_hides_present_modalities_at_its_rate_and_never_all(batch):
    from mmkit.models.encoders import drop_modalities

    big = {"present": torch.ones(4000, 3, dtype=torch.bool)}
    big["present"][:1000, 0] = False                      # some rows lack the text already
    dropped = drop_modalities(big, 0.3, torch.Generator().manual_seed(0))["present"]
    assert not (dropped & ~big["present"]).any()        # nothing absent comes back
    assert dropped.any(dim=1).all()                     # every row keeps a modality
    rate = 1 - dropped[1000:].float().mean().item()     # ~0.3, a little less: rows that would
    assert 0.25 < rate < 0.30                           # lose all three keep them
    assert drop_modalities(batch, 0.0)["present"].equal(batch["present"])
    assert batch["present"].all()                       # the input is not modified
    with pytest.raises(ValueError, match=r"probability in \[0, 1\), got 1.0"):
        drop_modalities(batch, 1.0)


def test_gradient_clipping_bounds_the_step_and_reports_the_norm_before(batch):
    torch.manual_seed(0)
    model = E.Classifier(E.ImageCNN(out_features=8, channels=(2, 2)))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    taken = E.classification_step(model, optimizer, max_grad_norm=1e-3)(*E.to_tensors(batch))
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before,
                                                                     strict=True)])
    assert taken["grad_norm"] > 1e-3                       # the raw gradient was larger
    assert moved.norm().item() == pytest.approx(1e-3, rel=1e-4)  # SGD, lr 1: step = gradient
    with pytest.raises(ValueError, match="max_grad_norm"):
        E.classification_step(model, optimizer, max_grad_norm=0)
