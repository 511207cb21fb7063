"""The committed mmdigits files: hashes, splits without leakage, balance, size; the Dataset."""

import csv
from collections import Counter

import numpy as np
import pytest
import torch

from mmkit.data.build import SPLIT_IMAGES, plan, sha256
from mmkit.data.dataset import PRESETS, MMDigits, collate, read_samples
from mmkit.paths import data_dir, dataset_dir

FOLDER = dataset_dir()


def clips() -> list[dict]:
    with open(FOLDER / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_file_matches_its_manifest_hash_and_nothing_else_is_there():
    rows = clips()
    wrong = [row["file"] for row in rows if sha256(FOLDER / row["file"]) != row["sha256"]]
    assert not wrong, f"files changed since the manifest was written: {wrong[:5]}"
    on_disk = {p.relative_to(FOLDER).as_posix() for p in (FOLDER / "audio").rglob("*")
               if p.is_file()}
    assert on_disk == {row["file"] for row in rows}


def test_the_committed_files_are_what_the_build_plans():
    planned_clips, planned_samples = plan()
    assert [spec.file for spec in planned_clips] == [row["file"] for row in clips()]
    assert [s["clip"] for s in planned_samples] == [s["clip"] for s in read_samples()]


def test_splits_share_no_image_clip_or_voice():
    samples, voices = read_samples(), {row["file"]: row["voice"] for row in clips()}
    by_split = {split: [s for s in samples if s["split"] == split] for split in SPLIT_IMAGES}
    for key in ("image", "clip"):
        sets = [{s[key] for s in rows} for rows in by_split.values()]
        assert sum(map(len, sets)) == len(set().union(*sets)), f"a {key} is in two splits"
    voice_sets = [{voices[s["clip"]] for s in rows} for rows in by_split.values()]
    assert [len(v) for v in voice_sets] == [64, 16, 16]
    assert sum(map(len, voice_sets)) == len(set().union(*voice_sets))


def test_classes_are_balanced_within_two_per_split():
    for split, per_digit in SPLIT_IMAGES.items():
        counts = Counter(s["digit"] for s in read_samples() if s["split"] == split)
        assert sorted(counts) == list(range(10))
        assert max(abs(n - per_digit) for n in counts.values()) <= 2, (split, counts)


def test_data_folder_stays_under_20_mb():
    """The budget data/README.md states: 20 MB (15 MB before the real recordings came)."""
    size = sum(p.stat().st_size for p in data_dir().rglob("*") if p.is_file())
    assert size < 20e6, f"data/ holds {size / 1e6:.1f} MB, over its 20 MB budget"
    assert "under **20 MB**" in (data_dir() / "README.md").read_text()


# ---- the Dataset ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def val() -> MMDigits:
    return MMDigits("val", preset="standard", seed=0)


def test_items_have_the_documented_shapes_and_dtypes(val):
    item = val[0]
    expected = {"text_ids": ((16,), torch.int64), "text_mask": ((16,), torch.int64),
                "word_ids": ((16,), torch.int64), "word_mask": ((16,), torch.bool),
                "image": ((1, 28, 28), torch.float32), "audio": ((101, 40), torch.float32),
                "audio_length": ((), torch.int64), "label": ((), torch.int64),
                "present": ((3,), torch.bool), "index": ((), torch.int64)}
    assert {key: (tuple(value.shape), value.dtype) for key, value in item.items()} == expected
    assert len(val) == 270


def test_the_same_seed_gives_the_same_batch(val):
    again = MMDigits("val", preset="standard", seed=0)
    other = MMDigits("val", preset="standard", seed=1)
    batch, batch_again = collate([val[i] for i in range(8)]), collate([again[i] for i in range(8)])
    for key in batch:
        assert torch.equal(batch[key], batch_again[key]), key
    assert not torch.equal(batch["image"], collate([other[i] for i in range(8)])["image"])


def test_presets_degrade_more_from_easy_to_hard():
    easy, hard = MMDigits("val", "easy"), MMDigits("val", "hard")
    clean = MMDigits("val", "easy", corrupt={"image": 0.0, "audio": 0.0, "text": 0.0})
    image_error = [np.abs(d.images_8x8 - clean.images_8x8).mean() for d in (easy, hard)]
    assert image_error[0] < image_error[1]
    informative = [np.mean([len(c.candidates) == 1 for c in d.clues]) for d in (easy, hard)]
    assert informative[0] > informative[1]
    assert all(len(c.candidates) == 1 for c in clean.clues)
    assert PRESETS["standard"].snr_db < PRESETS["easy"].snr_db


def test_missing_modalities_are_zeroed_and_flagged():
    data = MMDigits("val", missing={"audio": 1.0, "text": 0.5}, seed=3)
    batch = collate([data[i] for i in range(len(data))])
    assert not batch["present"][:, 2].any() and batch["audio"].abs().sum() == 0
    assert (batch["audio_length"] == 0).all() and batch["audio"].shape[1] == 1
    absent_text = ~batch["present"][:, 0]
    assert 0.3 < absent_text.float().mean() < 0.7
    assert batch["text_mask"][absent_text].sum() == 0 and batch["present"][:, 1].all()


def test_collate_cuts_audio_to_the_longest_clip(val):
    batch = collate([val[i] for i in range(4)])
    assert batch["audio"].shape[1] == int(batch["audio_length"].max())
    with pytest.raises(ValueError, match="empty batch"):
        collate([])


@pytest.mark.parametrize("kwargs, phrase", [
    ({"split": "dev"}, "split must be one of"),
    ({"preset": "medium"}, "preset must be one of"),
    ({"missing": {"video": 0.5}}, "expected keys among"),
    ({"corrupt": {"image": 1.5}}, "must be a probability"),
])
def test_bad_arguments_are_named(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        MMDigits(**kwargs)


# ---- normalised with the training split's statistics, as the model sees it -------------

@pytest.fixture(scope="module")
def train() -> MMDigits:
    return MMDigits("train", preset="standard", seed=0)


def test_every_split_is_normalised_with_the_degraded_training_split(train, val):
    from mmkit.data.image import ImageNormalizer, resize

    assert val.image_normalizer is train.image_normalizer
    assert val.audio_normalizer is train.audio_normalizer
    expected = ImageNormalizer().fit(resize(train.images_8x8, 28))  # degraded, not clean
    assert train.image_normalizer.mean == pytest.approx(expected.mean)
    assert train.image_normalizer.std == pytest.approx(expected.std)
    np.testing.assert_allclose(val.images, expected.transform(resize(val.images_8x8, 28)),
                               atol=1e-6)
    clean = ImageNormalizer().fit(resize(MMDigits(
        "train", corrupt={"image": 0.0}).images_8x8, 28))
    assert abs(clean.std - expected.std) > 0.01  # the clean scans have other statistics
    # the training images come out at mean 0, std 1; validation close, not exactly
    assert abs(train.images.mean()) < 1e-4 and train.images.std() == pytest.approx(1, abs=1e-4)
    assert 1e-4 < abs(val.images.mean()) < 0.1


def test_log_mel_bands_are_normalised_with_training_frames(train, val):
    frames = np.arange(train.audio.shape[1])[None, :] < train.audio_lengths[:, None]
    speech = train.audio[frames]  # (frames of all training clips, 40): mean 0, std 1 per band
    np.testing.assert_allclose(speech.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(speech.std(axis=0), 1, atol=1e-3)
    val_frames = val.audio[np.arange(val.audio.shape[1])[None, :] < val.audio_lengths[:, None]]
    assert np.abs(val_frames.mean(axis=0)).max() > 1e-3  # not its own statistics
    # the stored features are log_mel of the heard window, in dB, normalised per band
    from mmkit.data.audio import log_mel

    db = val.audio_normalizer.inverse_transform(val.audio[3])
    np.testing.assert_allclose(db, log_mel(val.waves[3]).T, atol=0.01)


def test_the_padding_is_as_noisy_as_the_word_and_clean_clips_stay_silent(val):
    assert val.waves.shape == (270, 8000) and val.waves.dtype == np.float32
    from mmkit.data.audio import HOP

    for i in range(5):
        end = int(val.audio_lengths[i]) * HOP
        assert end < 8000 and np.std(val.waves[i, end:]) > 0.05
    clean = MMDigits("val", corrupt={"audio": 0.0})
    end = int(clean.audio_lengths[0]) * HOP
    assert not np.any(clean.waves[0, end + HOP:])


def test_the_duration_alone_is_a_weak_clue(train, val):
    from mmkit.data.baselines import duration_accuracy

    accuracy = duration_accuracy(train, val)
    assert 0.1 < accuracy < 0.3  # above chance (0.1): notebook 10 says so


# --- a folder of recordings: {digit}_{anything}.wav ---------------------------------------------

def _recordings(folder, per_digit, split="train", offset=0):
    """Copy mmdigits clips of `split` into `folder` named `{digit}_{voice}.flac`."""
    import shutil

    folder.mkdir()
    rows = [r for r in csv.DictReader(open(dataset_dir() / "clips.csv")) if r["split"] == split]
    for digit in range(10):
        for row in [r for r in rows if int(r["digit"]) == digit][offset:offset + per_digit]:
            shutil.copy(dataset_dir() / row["file"], folder / f"{digit}_{row['voice']}.flac")
    return folder


def test_a_folder_of_recordings_gives_the_samples_of_mmdigits(tmp_path):
    from mmkit.data.dataset import AudioFolder

    clips = AudioFolder(_recordings(tmp_path / "mine", 2))
    reference = MMDigits("val", "easy")[0]
    item = clips[0]
    assert {k: (v.dtype, v.shape) for k, v in item.items()} == \
        {k: (v.dtype, v.shape) for k, v in reference.items()}
    assert item["present"].tolist() == [False, False, True]
    assert clips.labels.tolist() == [d for d in range(10) for _ in range(2)]
    frames = np.concatenate([a[:n] for a, n in zip(clips.audio, clips.audio_lengths, strict=True)])
    np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-4)  # fitted on its own clips
    np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-3)


def test_the_audio_encoder_and_trainer_learn_from_a_folder_unchanged(tmp_path):
    """The unimodal audio baseline of notebook 11, pointed at recordings on disk."""
    from mmkit.data.dataset import AudioFolder
    from mmkit.models.encoders import AudioLSTM, Classifier, fit_classifier, predict

    train = AudioFolder(_recordings(tmp_path / "train", 4))
    val = AudioFolder(_recordings(tmp_path / "val", 1, offset=4),
                      normalizer=train.audio_normalizer)
    assert val.audio_normalizer is train.audio_normalizer
    torch.manual_seed(0)
    model = Classifier(AudioLSTM(out_features=16, hidden=16))
    history = fit_classifier(model, collate(list(train)), collate(list(val)), epochs=8,
                             batch_size=8, lr=1e-2)
    losses = history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert predict(model, collate(list(val))).shape == (10,)


def test_a_folder_with_a_bad_name_or_file_says_which(tmp_path):
    from mmkit.data.dataset import AudioFolder

    folder = _recordings(tmp_path / "mine", 1)
    (folder / "12_too_big.flac").write_bytes(next(folder.glob("0_*")).read_bytes())
    with pytest.raises(ValueError, match=r"digit 0-9.*12_too_big"):
        AudioFolder(folder)
    (folder / "12_too_big.flac").unlink()
    (folder / "3_broken.wav").write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match=r"3_broken\.wav"):
        AudioFolder(folder)
    with pytest.warns(UserWarning, match=r"skipped 1 bad file.*3_broken\.wav"):
        assert len(AudioFolder(folder, skip_bad=True)) == 10
