"""Notebook 10's tables, pictures and widget over the mmdigits data set."""

import struct

import numpy as np
import pytest
import torch

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.data import text as text_lib
from mmkit.data.baselines import baseline_accuracies, text_baseline_accuracy
from mmkit.data.dataset import PRESETS, collate
from mmkit.demos.multimodal_data import (
    BASELINE_COLUMNS,
    CLEANING_STEPS,
    accuracy_table,
    batch_table,
    clean_wave,
    cleaning_results_table,
    cleaning_steps,
    cleaning_table,
    clue_examples,
    compare_cleanings,
    corruptions,
    load_split,
    names_a_number,
    paired_difference,
    plot_audio_features,
    plot_band_normalisation,
    plot_corruptions,
    plot_image_pipeline,
    plot_waveforms,
    read_calibration,
    sample_audio,
    sample_widget,
    samples_with_voices,
    shared_items,
    show_sample,
    split_table,
    token_table,
)


@pytest.fixture(scope="module")
def val():
    return load_split("val", "standard")


@pytest.fixture(scope="module")
def train():
    return load_split("train", "standard")


# --------------------------------------------------------------------------- splits

def test_the_splits_share_nothing_and_the_table_counts_them():
    samples = samples_with_voices()
    assert len(samples) == 1740 and all(row["voice"] for row in samples)
    for key in ("image", "clip", "voice"):
        assert shared_items(samples, key) == set(), key
    lines = split_table(samples).splitlines()
    assert lines[0].split() == ["split", "samples", "per", "digit", "images", "clips", "voices"]
    assert lines[1].split() == ["train", "1200", "120", "1200", "1200", "64"]
    assert lines[3].split() == ["test", "270", "27", "270", "270", "16"]


def test_a_leak_between_splits_is_found():
    samples = samples_with_voices()
    leaky = [*samples, samples[0] | {"split": "test", "sample": -1}]
    assert shared_items(leaky, "image") == {samples[0]["image"]}
    assert shared_items(leaky, "voice") == {samples[0]["voice"]}
    with pytest.raises(KeyError, match="no 'speaker'"):
        shared_items(samples, "speaker")


def test_splits_are_built_once_and_bad_names_are_refused(val):
    assert load_split("val", "standard") is val
    with pytest.raises(ValueError, match="split must be one of"):
        load_split("dev")
    with pytest.raises(ValueError, match="preset must be one of"):
        load_split("val", "medium")


# --------------------------------------------------------------------------- audio

def test_clean_wave_is_the_noisy_window_minus_the_noise_at_the_preset_snr(val):
    clean, heard = clean_wave(val, 3), val.waves[3]
    assert clean.ndim == 1 and len(clean) < len(heard) == 8000 and clean.dtype == np.float32
    assert np.abs(clean).max() == pytest.approx(0.95)
    noise = heard.astype(float) - audio_lib.pad_or_truncate(clean, 8000)
    snr = 10 * np.log10(np.mean(clean.astype(float)**2) / np.mean(noise**2))
    assert snr == pytest.approx(PRESETS["standard"].snr_db, abs=0.01)
    with pytest.raises(IndexError, match=r"index must be an int in \[0, 269\]"):
        clean_wave(val, 270)


def test_waveform_panels_show_each_step_on_one_time_axis():
    steps = {"raw": np.zeros(4000), "padded": np.ones(8000)}
    axes = plot_waveforms(steps)
    assert axes.shape == (4,) and axes[0].get_title() == "raw: 4000 samples"
    x, y = axes[1].lines[0].get_data()
    assert x[-1] == pytest.approx(7999 / 8000) and np.all(y == 1)
    assert not axes[3].axison
    with pytest.raises(ValueError, match="1 to 4 steps"):
        plot_waveforms({str(k): np.zeros(3) for k in range(5)})


def test_feature_panels_are_log_mel_and_mfcc_of_the_clips(val):
    clean = audio_lib.pad_or_truncate(clean_wave(val, 0), 8000)
    noisy = audio_lib.pad_or_truncate(val.waves[0], 8000)
    axes = plot_audio_features(clean, noisy)
    np.testing.assert_array_equal(axes[0].images[0].get_array(), audio_lib.log_mel(clean))
    np.testing.assert_array_equal(axes[1].images[0].get_array(), audio_lib.log_mel(noisy))
    np.testing.assert_array_equal(axes[2].images[0].get_array(), audio_lib.mfcc(clean)[1:])
    assert "(40, 101)" in axes[0].get_title()
    assert axes[0].get_xlabel() == "time (s)" and axes[0].get_ylabel() == "mel band"
    colour_bars = [ax for ax in axes[0].figure.axes if ax not in axes]
    assert [bar.get_ylabel() for bar in colour_bars] == ["dB", "dB", ""]
    with pytest.raises(ValueError, match="same shape"):
        plot_audio_features(clean, noisy[:100])


def test_band_normalisation_shows_the_training_statistics_and_a_normalised_clip(val):
    normalizer = val.audio_normalizer
    axes = plot_band_normalisation(normalizer, val.audio[0], val.audio_lengths[0])
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), normalizer.mean)
    np.testing.assert_array_equal(axes[1].images[0].get_array(), val.audio[0].T)
    assert axes[1].get_ylabel() == "mel band" and axes[1].get_xlabel() == "time (s)"
    assert axes[1].figure.axes[-1].get_ylabel() == "std from the band's mean"
    with pytest.raises(ValueError, match=r"expected frames \(F, 40\)"):
        plot_band_normalisation(normalizer, val.audio[0].T)


def _wav_header(player) -> tuple[int, int]:
    """(sample rate, number of 16-bit samples) of an IPython Audio player's WAV bytes."""
    return struct.unpack("<I", player.data[24:28])[0], (len(player.data) - 44) // 2


def test_sample_audio_plays_the_heard_or_the_clean_clip_at_8_khz_and_says_how_long(val):
    heard, clean = sample_audio(val, 5), sample_audio("val", 5, "standard", clean=True)
    size = len(clean_wave(val, 5))
    assert _wav_header(heard) == (8000, 8000) and _wav_header(clean) == (8000, size)
    assert heard.data != clean.data
    assert heard.label == "sample 5, what the model hears: 1.00 s = 8000 samples at 8000 Hz"
    assert clean.label.endswith(f"{size / 8000:.2f} s = {size} samples at 8000 Hz")
    page = clean._repr_html_()
    assert "<audio" in page and f"{size} samples" in page
    with pytest.raises(ValueError, match="uses the preset 'standard', not 'hard'"):
        sample_audio(val, 5, "hard")


# --------------------------------------------------------------------------- images

def test_image_pipeline_panels_say_shape_and_range():
    image = np.linspace(0, 1, 64).reshape(8, 8)
    axes = plot_image_pipeline({"8×8": image, "padded": image_lib.pad(image[None], 2)[0]})
    assert axes[0].get_title() == "8×8\n8×8, 0.00 to 1.00"
    assert axes[1].images[0].get_array().shape == (12, 12)
    with pytest.raises(ValueError, match=r"one image \(H, W\)"):
        plot_image_pipeline({"batch": np.zeros((2, 8, 8))})


def test_corruption_gallery_has_every_version_of_the_same_images(val):
    clean, _ = image_lib.load_digit_images([row["image"] for row in val.rows[:2]])
    gallery = corruptions(clean, {"standard": val.images_8x8[:2]})
    assert list(gallery) == ["clean", "standard", "shift ≤ 2 px", "rank 2"]
    assert all(images.shape == (2, 8, 8) for images in gallery.values())
    assert np.linalg.matrix_rank(gallery["rank 2"][0], tol=1e-4) <= 2
    axes = plot_corruptions(gallery, labels=val.labels[:2])
    assert axes.shape == (2, 4) and axes[0, 1].get_title() == "standard"
    assert axes[1, 0].get_ylabel() == f"digit {val.labels[1]}"
    with pytest.raises(ValueError, match="expected \\(2, 8, 8\\)"):
        corruptions(clean, {"hard": val.images_8x8[:3]})


# --------------------------------------------------------------------------- text

def test_clue_examples_cover_every_level_with_and_without_typos():
    clues = clue_examples(7, seed=0)
    assert [clue.level for clue in clues] == ["exact", "exact", "arithmetic", "arithmetic",
                                              "partial", "partial", "none", "none"]
    assert all(7 in clue.candidates for clue in clues)
    assert clue_examples(7, seed=0) == clues


def test_cleaning_steps_add_up_to_the_article_cleaning():
    assert cleaning_steps("It is a 7!") == ["it is a 7!", "it is a 7", "it is a", ""]
    assert cleaning_steps("3 + 4") == ["3 + 4", "3 4", "", ""]
    for text in ("An odd number above 5", "", "Ünïcode ٣ ½"):
        assert cleaning_steps(text)[-1] == text_lib.clean_text(text)
    table = cleaning_table(["3 + 4"]).splitlines()
    assert table == ["clue → " + " → ".join(CLEANING_STEPS), "'3 + 4' → '3 + 4' → '3 4' → '' → ''"]


def test_names_a_number():
    assert names_a_number("digit 7") and names_a_number("Seven plus") and names_a_number("٣")
    assert not names_a_number("sevn") and not names_a_number("") and not names_a_number("x")


def test_text_baseline_is_the_baselines_text_model(train, val):
    ours = text_baseline_accuracy(train.clean_clues, train.labels, val.clean_clues, val.labels)
    assert ours == baseline_accuracies(train, val)["text"]
    with pytest.raises(ValueError, match="one label per text"):
        text_baseline_accuracy(["a"], np.array([1, 2]), ["b"], np.array([1]))
    with pytest.raises(ValueError, match="one label per text"):
        text_baseline_accuracy(["a"], np.array([1]), ["b"], np.array([1, 2]))
    with pytest.raises(ValueError, match="every training text is empty"):
        text_baseline_accuracy(["", " "], np.array([1, 2]), ["b"], np.array([1]))


def test_removing_digits_loses_the_answer_on_validation(train, val):
    results = compare_cleanings(train, val)
    article, kit = results["article: all steps"], results["kit: keep digits, symbols"]
    assert article.named < kit.named and article.empty > kit.empty == 0
    assert article.accuracy < kit.accuracy
    for result in results.values():
        assert result.low < result.accuracy < result.high and result.correct.shape == (270,)
        assert result.accuracy == result.correct.mean()
    difference, low, high = paired_difference(kit, article)
    assert difference == pytest.approx(kit.accuracy - article.accuracy) and 0 < low < high
    lines = cleaning_results_table(results).splitlines()
    assert lines[0].split()[-3:] == ["accuracy", "95%", "interval"]
    assert lines[2].split()[-3] == f"{article.low:.2f}"


def test_token_table_shows_pieces_ids_and_mask():
    lines = token_table("sevven", max_length=6).splitlines()
    assert [line.split()[0] for line in lines] == ["position", "token", "id", "mask"]
    assert lines[1].split()[1:] == ["[CLS]", "se", "##v", "##ven", "[SEP]", "[PAD]"]
    assert lines[2].split()[1:] == ["101", "7367", "2615", "8159", "102", "0"]
    assert lines[3].split()[1:] == ["1", "1", "1", "1", "1", "0"]
    assert token_table("", max_length=3).splitlines()[3].split()[1:] == ["0", "0", "0"]


# --------------------------------------------------------------------------- presets and batches

def test_the_committed_calibration_is_read(tmp_path):
    table = read_calibration()
    assert list(table) == list(PRESETS)
    assert all(list(row) == list(BASELINE_COLUMNS) for row in table.values())
    assert all(0.1 <= value <= 1 for row in table.values() for value in row.values())
    text = accuracy_table(table).splitlines()
    assert text[0].split() == ["text", "image", "audio", "all", "three"]
    assert text[2].split()[0] == "standard" and len(text) == 4
    broken = tmp_path / "table.md"
    broken.write_text("| preset | text |\n|---|---:|\n| easy | 0.5 |\n")
    with pytest.raises(ValueError, match="one row per preset"):
        read_calibration(broken)
    with pytest.raises(FileNotFoundError, match="make bench"):
        read_calibration(tmp_path / "missing.md")


def test_batch_table_lists_every_key_with_shape_and_dtype(val):
    batch = collate([val[i] for i in range(4)])
    lines = batch_table(batch).splitlines()
    assert len(lines) == 1 + len(batch)
    image = next(line for line in lines if line.startswith("image "))
    assert "(4, 1, 28, 28)" in image and "torch.float32" in image
    present = next(line for line in lines if line.startswith("present "))
    assert "(4, 3)" in present and "torch.bool" in present
    assert "(4,)" in next(line for line in lines if line.startswith("label "))


# ------------------------------------------------------------------ one sample and the widget

def test_show_sample_draws_the_model_inputs_and_describes_the_clue(val):
    view = show_sample(val, 7)
    np.testing.assert_array_equal(view.axes[1].images[0].get_array(), val.images[7])
    assert view.digit == val.labels[7] and view.clue == val.clues[7].text
    assert view.cleaned == val.clean_clues[7]
    assert view.tokens[0] == "[CLS]" and view.tokens[-1] == "[SEP]"
    assert f"val sample 7: digit {val.labels[7]}, preset standard" in view.text
    assert "SNR -6 dB" in view.text and repr(view) == view.text
    assert "in a 1.00 s window" in view.text
    db = val.audio_normalizer.inverse_transform(val.audio[7]).T  # drawn in dB, colour bar
    np.testing.assert_allclose(view.axes[3].images[0].get_array(), db, rtol=1e-6)
    assert view.axes[3].figure.axes[-1].get_ylabel() == "dB"
    with pytest.raises(IndexError, match="index must be an int"):
        show_sample(val, -1)


def test_widget_redraws_the_chosen_sample_and_preset():
    widget = sample_widget()
    index, preset = widget.children[:2]
    assert widget.result.index == 0 and widget.result.preset == "standard"
    index.value = 12
    preset.value = "hard"
    view = widget.result
    hard = load_split("val", "hard")
    assert (view.index, view.preset, view.clue) == (12, "hard", hard.clues[12].text)
    np.testing.assert_array_equal(view.axes[1].images[0].get_array(), hard.images[12])
    assert "SNR -10 dB" in view.text
    assert isinstance(hard[12]["image"], torch.Tensor)


def test_no_text_smaller_than_10_points_in_any_figure(val):
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    show_sample(val, 0)
    plot_audio_features(np.zeros(8000, np.float32), np.ones(8000, np.float32) * 0.1)
    plot_band_normalisation(val.audio_normalizer, val.audio[0])
    plot_image_pipeline({"a": np.eye(8)})
    plot_waveforms({"a": np.zeros(80)})
    for number in plt.get_fignums():
        figure = plt.figure(number)
        width, height = figure.get_size_inches()
        assert width <= 9 and height <= 3.5
        sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_text()]
        assert min(sizes) >= 10, (number, min(sizes))
