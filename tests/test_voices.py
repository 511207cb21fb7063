"""The audio model on real voices: features prepared as the recipe says, an adaptation split
that never tests on what it adapted on, and a training and an adaptation that learn."""

import numpy as np
import pytest
import torch

from mmkit import voices
from mmkit.data import audio
from mmkit.data.dataset import AudioFolder, MMDigits, audio_only_batch, collate
from mmkit.models.encoders import accuracy
from mmkit.paths import realspeech_dir

TINY = voices.Recipe(copies=0, epochs=2, hidden=16)   # augmentation: tested on its own


def word(length: int = 3000, silence: int = 2000, seed: int = 0) -> np.ndarray:
    """Noise shaped like a word, with silence before and after it."""
    rng = np.random.default_rng(seed)
    speech = rng.standard_normal(length) * np.hanning(length)
    return np.concatenate([np.zeros(silence), speech, np.zeros(silence)]).astype(np.float32)


def test_mean_normalisation_centres_each_band_of_each_clip():
    log_mels, lengths = voices.frames([word(seed=0), word(4000, seed=1)], voices.Recipe())
    for clip, length in zip(log_mels, lengths, strict=True):
        assert np.allclose(clip[:length].mean(axis=0), 0, atol=1e-4)
        assert np.all(clip[length:] == 0)


def test_trimming_drops_the_silence_before_and_after_the_word():
    trimmed = voices.frames([word()], voices.Recipe(trim=True))[1][0]
    kept = voices.frames([word()], voices.Recipe(trim=False))[1][0]
    assert kept == 1 + 7000 // 80
    assert trimmed < kept - 30


def test_without_the_ingredients_frames_are_what_the_data_set_computes():
    folder = AudioFolder(realspeech_dir())
    raw = voices.frames([folder.waves[i][:1000] for i in range(3)],
                        voices.RECIPES["synthetic only"])
    assert raw[0].shape == (3, 101, 40)
    assert np.all(raw[1] == 1 + 1000 // 80)


def test_an_audio_only_batch_has_the_keys_and_shapes_of_a_collated_mmdigits_one():
    folder = AudioFolder(realspeech_dir())
    data = MMDigits("val", "standard")
    expected = collate([data[0], data[1]])
    batch = audio_only_batch(folder.audio[:2], folder.audio_lengths[:2], folder.labels[:2])
    assert batch.keys() == expected.keys()
    for key in expected:
        if key != "audio":
            assert batch[key].shape == expected[key].shape, key
        assert batch[key].dtype == expected[key].dtype, key
    assert batch["present"].tolist() == [[False, False, True]] * 2
    assert batch["label"].tolist() == folder.labels[:2].tolist()
    one = collate([folder[0], folder[1]])      # AudioFolder's samples: the same, audio cut
    assert all(torch.equal(one[key], batch[key]) for key in batch if key != "audio")
    assert torch.equal(one["audio"], batch["audio"][:, :one["audio"].shape[1]])


def test_the_adaptation_split_takes_k_over_10_of_each_digit_and_tests_on_the_rest():
    labels = np.repeat(np.arange(10), 50)
    use, rest = voices.adaptation_split(labels, 50, seed=0)
    assert len(use) == 50 and len(rest) == 450
    assert not set(use) & set(rest) and set(use) | set(rest) == set(range(500))
    assert np.all(np.bincount(labels[use], minlength=10) == 5)
    again, _ = voices.adaptation_split(labels, 50, seed=0)
    other, _ = voices.adaptation_split(labels, 50, seed=1)
    assert np.array_equal(use, again) and not np.array_equal(use, other)


@pytest.mark.parametrize("k, message", [(15, "multiple of 10"), (0, "k must be"),
                                        (500, "would leave none to test on")])
def test_the_adaptation_split_refuses_what_cannot_be_split(k, message):
    with pytest.raises(ValueError, match=message):
        voices.adaptation_split(np.repeat(np.arange(10), 50), k)


def test_augmented_copies_follow_the_clips_with_their_labels():
    clips = [word(seed=i) for i in range(4)]
    log_mels, lengths, labels, first = voices._augmented(clips, np.arange(4),
                                                         voices.Recipe(copies=2), seed=0)
    assert first == 4 and log_mels.shape == (12, 101, 40)
    assert labels.tolist() == [0, 1, 2, 3] * 3
    plain = voices.frames(clips, voices.Recipe())
    assert np.array_equal(log_mels[:4], plain[0]) and np.array_equal(lengths[:4], plain[1])
    assert not np.allclose(log_mels[4:8], plain[0])
    again = voices._augmented(clips, np.arange(4), voices.Recipe(copies=2), seed=0)
    assert np.array_equal(again[0], log_mels)


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    return voices.train_voice_model(TINY, seed=0)


def test_training_on_synthetic_clips_learns_them(trained):
    model, val = trained
    assert len(val) == TINY.epochs + 1
    assert val[-1] > max(val[0] + 0.3, 0.5)       # unseen eSpeak voices, well above chance
    assert isinstance(model.normalizer.mean, np.ndarray)


def test_predictions_and_probabilities_agree(trained):
    model, _ = trained
    clips, _ = voices.real_clips()
    some = [clips[i] for i in range(0, 500, 25)]
    probabilities = model.probabilities(some)
    assert probabilities.shape == (20, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(probabilities.argmax(axis=1), model.predict(some))


def test_adapting_changes_a_copy_and_fits_the_clips_adapted_on(trained):
    model, _ = trained
    clips, labels = voices.real_clips()
    use, _ = voices.adaptation_split(labels, 20, seed=0)
    chosen = [clips[i] for i in use]
    before = {k: v.clone() for k, v in model.classifier.state_dict().items()}
    adapted = voices.adapt(model, chosen, labels[use], epochs=6, copies=2, rehearse=100,
                           seed=0)
    assert all(torch.equal(before[k], v) for k, v in model.classifier.state_dict().items())
    assert adapted.normalizer is model.normalizer    # no statistics from the new speaker
    assert adapted.accuracy(chosen, labels[use]) > model.accuracy(chosen, labels[use])
    assert adapted.accuracy(chosen, labels[use]) >= 0.8
    assert accuracy(adapted.classifier, adapted.batch(chosen, labels[use])) == pytest.approx(
        adapted.accuracy(chosen, labels[use]))


def test_a_saved_model_loads_back_with_the_same_answers(trained, tmp_path):
    model, _ = trained
    voices.save_voice_model(model, tmp_path / "model.pt")
    again = voices.load_voice_model(tmp_path / "model.pt")
    assert again.recipe == model.recipe
    clips, _ = voices.real_clips()
    some = [clips[i] for i in range(0, 500, 50)]
    assert np.allclose(again.probabilities(some), model.probabilities(some), atol=1e-6)
    with pytest.raises(FileNotFoundError, match="benchmarks real_voices"):
        voices.load_voice_model(tmp_path / "none.pt")


def test_predict_folder_answers_for_each_recording_and_skips_a_bad_one(trained, tmp_path):
    import shutil

    model, _ = trained
    for name in ("3_theo_7.wav", "8_theo_12.wav"):
        shutil.copy(realspeech_dir() / name, tmp_path / name)
    (tmp_path / "5_broken.wav").write_bytes(b"not a recording")
    with pytest.warns(UserWarning, match="5_broken.wav"):
        answers = voices.predict_folder(model, tmp_path)
    assert [a["file"] for a in answers] == ["3_theo_7.wav", "8_theo_12.wav"]
    assert [a["label"] for a in answers] == [3, 8]
    clips = [audio.load_audio(tmp_path / a["file"]) for a in answers]
    assert [a["predicted"] for a in answers] == list(model.predict(clips))
    assert all(a["correct"] == (a["predicted"] == a["label"]) for a in answers)
    assert all(0.1 <= a["probability"] <= 1 for a in answers)


def test_the_shipped_model_scores_what_the_committed_table_says():
    import json

    from benchmarks.real_voices import RESULTS

    results = json.loads(RESULTS.with_suffix(".json").read_text())
    model = voices.load_voice_model()
    assert model.recipe == list(voices.RECIPES.values())[-1]
    clips, labels = voices.real_clips()
    assert results["folder"].endswith("realspeech") and results["clips"] == len(clips)
    assert model.accuracy(clips, labels) == pytest.approx(results["recipes"][-1]["real"][0],
                                                          abs=0.01)
