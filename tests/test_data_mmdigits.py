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


def test_data_folder_stays_under_15_mb():
    size = sum(p.stat().st_size for p in data_dir().rglob("*") if p.is_file())
    assert size < 15e6, f"data/ holds {size / 1e6:.1f} MB"


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
