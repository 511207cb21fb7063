"""The Flite and Festival voices (data/voices): every clip listed with its hash, balanced,
loadable, and the tools that made them recorded; the build's plan matches the files."""

import csv
from collections import Counter

from mmkit.data import build
from mmkit.data.audio import SAMPLE_RATE, load_folder
from mmkit.paths import voices_dir

FOLDER = voices_dir()


def listed() -> list[dict]:
    with open(FOLDER / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_listed_clip_is_here_and_matches_its_sha256():
    rows = listed()
    assert len(rows) == len(build.VOICES) * len(build.STRETCHES) * 10 == 240
    wrong = [row["file"] for row in rows if build.sha256(FOLDER / row["file"]) != row["sha256"]]
    assert not wrong, f"changed or missing since clips.csv was written: {wrong[:5]}"
    on_disk = {f"audio/{p.name}" for p in (FOLDER / "audio").iterdir()}
    assert on_disk == {row["file"] for row in rows}, "unlisted or missing files"


def test_the_build_plan_names_the_shipped_clips():
    planned = build.voice_clips()
    rows = listed()
    assert [f"audio/{clip['file']}" for clip in planned] == [row["file"] for row in rows]
    assert [str(clip["digit"]) for clip in planned] == [row["digit"] for row in rows]


def test_each_voice_says_each_digit_at_each_duration():
    rows = listed()
    per_digit = Counter(row["digit"] for row in rows)
    assert set(per_digit.values()) == {len(build.VOICES) * len(build.STRETCHES)}
    voices = {(row["engine"], row["voice"]) for row in rows}
    assert voices == set(build.VOICES)


def test_clips_load_as_labelled_8_khz_speech():
    loaded = load_folder(FOLDER / "audio")
    assert len(loaded) == 240
    for label, path, clip in loaded:
        assert path.name.startswith(f"{label}_")
        assert 0.2 * SAMPLE_RATE < len(clip) < 1.5 * SAMPLE_RATE, path.name
        assert 0.1 < abs(clip).max() <= 1.0, path.name


def test_the_tools_and_their_versions_are_recorded():
    with open(FOLDER / "tools.csv", newline="") as f:
        tools = {row["package"]: row["version"] for row in csv.DictReader(f)}
    assert list(tools) == list(build.VOICE_PACKAGES)
    assert all(tools.values())
