"""The shipped real recordings (data/realspeech): listed with their hashes, balanced, loadable,
and their licence and credit beside them."""

import csv
import re
import warnings
from collections import Counter

import pytest
import soundfile as sf

from mmkit.data.audio import SAMPLE_RATE, load_folder
from mmkit.data.build import sha256
from mmkit.paths import data_dir, realspeech_dir

FOLDER = realspeech_dir()
COLUMNS = ["file", "digit", "speaker", "index", "sha256"]


def listed() -> list[dict]:
    with open(FOLDER / "recordings.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_the_folder_is_found_under_data():
    assert FOLDER == data_dir() / "realspeech" and FOLDER.is_dir()


def test_every_listed_file_is_here_and_matches_its_sha256():
    rows = listed()
    assert len(rows) == 500
    missing = [row["file"] for row in rows if not (FOLDER / row["file"]).is_file()]
    assert not missing, f"listed but not in {FOLDER}: {missing[:5]}"
    wrong = [row["file"] for row in rows if sha256(FOLDER / row["file"]) != row["sha256"]]
    assert not wrong, f"files changed since recordings.csv was written: {wrong[:5]}"
    assert all(re.fullmatch("[0-9a-f]{64}", row["sha256"]) for row in rows)


def test_no_unlisted_file_is_there():
    documents = {"README.md", "LICENSE", "recordings.csv"}
    on_disk = {p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob("*") if p.is_file()}
    unlisted = on_disk - documents - {row["file"] for row in listed()}
    assert not unlisted, f"files in {FOLDER} that recordings.csv does not list: {unlisted}"
    assert documents <= on_disk


def test_rows_agree_with_the_file_names_and_are_unique():
    rows = listed()
    assert len({row["file"] for row in rows}) == len(rows)
    assert len({row["sha256"] for row in rows}) == len(rows)  # no recording twice
    for row in rows:
        assert row["file"] == f"{row['digit']}_{row['speaker']}_{row['index']}.wav", row


def test_fifty_recordings_of_each_digit_indices_0_to_49():
    rows = listed()
    assert Counter(int(row["digit"]) for row in rows) == {d: 50 for d in range(10)}
    for digit in range(10):
        indices = sorted(int(r["index"]) for r in rows if int(r["digit"]) == digit)
        assert indices == list(range(50)), digit
    assert {row["speaker"] for row in rows} == {"theo"}


def test_format_is_8_khz_mono_16_bit():
    for row in listed():
        info = sf.info(FOLDER / row["file"])
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16"), \
            row["file"]


def test_all_load_at_8_khz_with_their_digits_and_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing resampled, nothing skipped, none silent
        loaded = load_folder(FOLDER)
    rows = {row["file"]: int(row["digit"]) for row in listed()}
    assert {path.name: label for label, path, _ in loaded} == rows
    assert all(len(audio) >= 0.1 * SAMPLE_RATE for *_, audio in loaded)


@pytest.mark.parametrize("name", ["README.md", "LICENSE"])
def test_licence_and_credit_sit_beside_the_recordings(name):
    text = (FOLDER / name).read_text()
    assert "CC BY-SA 4.0" in text
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in text
    assert "Zohar Jackson and contributors" in text and "Free Spoken Digit Dataset" in text
    assert "26eb9aaf76e81b692f806f9140c2d2777410d7a1" in text


def test_readme_states_the_speaker_format_and_fsdds_test_split():
    text = " ".join((FOLDER / "README.md").read_text().split())
    for fact in ("one male speaker of US English", "8 kHz", "mono", "16-bit",
                 "50 of each digit", "indices 0–4 in its test split"):
        assert fact in text, fact
    assert "realspeech/" in (data_dir() / "README.md").read_text()
