"""Notebook 14's pictures and widgets: what they draw is what the cleaners, the models and
the committed tables say."""

import datetime
import wave

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmkit.data import audio as audio_lib
from mmkit.data.dataset import MODALITIES
from mmkit.demos.missing_and_noisy_data import (
    RecordingView,
    RobustnessView,
    plot_frame_imputations,
    plot_imputations,
    plot_log_mels,
    plot_missing_accuracies,
    plot_noise_curves,
    plot_outlier_scores,
    plot_recording,
    plot_robustness_losses,
    plot_robustness_view,
    prediction_table,
    real_voices_summary,
    real_voices_table,
    recording_view,
    recording_widget,
    robustness_summary,
    robustness_table,
    robustness_view,
    robustness_widget,
    save_uploads,
    upload_widget,
)
from mmkit.models.encoders import AudioLSTM, Classifier
from mmkit.models.fusion import build_fusion
from mmkit.robustness import LEVELS, accuracies_under, area_under_curve, drop_modality
from mmkit.voices import Recipe, VoiceModel, frames


def assert_readable(figure):
    sizes = [text.get_fontsize() for text in figure.findobj(plt.Text) if text.get_text()]
    assert min(sizes) >= 9
    width, height = figure.get_size_inches()
    assert width <= 9 and height <= 3.5


# --- cleaning ---------------------------------------------------------------------------------

def test_outlier_scores_are_histograms_with_the_threshold():
    scores = {"ordinary": np.linspace(-1, 2, 30), "odd": np.array([5.0, 8.0])}
    ax = plot_outlier_scores(scores, 3.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "ordinary (30)", "odd (2)", "threshold 3.5"]
    assert list(ax.lines[0].get_xdata()) == [3.5, 3.5]
    assert_readable(ax.figure)


def test_imputations_show_complete_missing_and_each_filling():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(5, 64))
    known = rng.random((5, 64)) > 0.5
    filled = {"training mean": np.full((5, 64), 0.5), "k nearest neighbours": images}
    axes = plot_imputations(images, known, filled, count=3)
    assert axes.shape == (3, 4)
    assert [ax.get_title() for ax in axes[0]] == ["complete", "missing", "mean", "5-NN"]
    shown = axes[1, 1].images[0].get_array()
    assert np.isnan(np.ma.filled(shown, np.nan)).sum() == (~known[1]).sum()
    assert np.allclose(axes[2, 2].images[0].get_array(), 0.5)
    assert_readable(axes[0, 0].figure)


def test_frame_imputations_share_one_scale_and_blank_the_missing_frames():
    rng = np.random.default_rng(1)
    frames_ = rng.normal(size=(20, 40))
    known = np.ones(20, dtype=bool)
    known[5:9] = False
    axes = plot_frame_imputations(frames_, known, {"mean": np.zeros((20, 40))}, length=15)
    assert [ax.get_title() for ax in axes] == ["complete", "missing frames", "mean"]
    assert axes[0].images[0].get_array().shape == (40, 15)
    assert {ax.images[0].get_clim() for ax in axes} == {axes[0].images[0].get_clim()}
    assert np.isnan(np.ma.filled(axes[1].images[0].get_array(), np.nan)[:, 5:9]).all()
    assert_readable(axes[0].figure)


# --- robustness -------------------------------------------------------------------------------

def test_missing_accuracies_are_grouped_bars():
    missing = {"without": {"none": 0.8, "text": 0.7, "image": 0.5, "audio": 0.4},
               "with": {"none": 0.8, "text": 0.75, "image": 0.7, "audio": 0.6}}
    ax = plot_missing_accuracies(missing)
    heights = [round(p.get_height(), 4) for p in ax.patches]
    assert heights == [0.8, 0.7, 0.5, 0.4, 0.8, 0.75, 0.7, 0.6]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "nothing", "no text", "no image", "no audio"]
    assert_readable(ax.figure)


def test_noise_curves_give_each_curve_its_area():
    curves = {"a": {m: np.linspace(0.9, 0.5, 10) for m in MODALITIES},
              "b": {m: np.full(10, 0.7) for m in MODALITIES}}
    axes = plot_noise_curves(curves)
    assert [ax.get_title() for ax in axes] == [f"noise on the {m}" for m in MODALITIES]
    area = area_under_curve(LEVELS["image"], curves["a"]["image"])
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == [
        f"a: area {area:.2f}", "b: area 0.70"]
    assert list(axes[2].lines[0].get_xdata()) == list(LEVELS["audio"])
    assert_readable(axes[0].figure)


@pytest.fixture(scope="module")
def models_and_batch(val_batch):
    torch.manual_seed(0)
    models = {"without dropout": build_fusion("early"), "with dropout": build_fusion("early")}
    return models, {key: value[:60] for key, value in val_batch.items()}


def test_robustness_view_drops_the_modality_and_adds_the_noise(models_and_batch):
    models, batch = models_and_batch
    cache = {}
    view = robustness_view(models, batch, "image", text=0.3, image=2.0, audio=1.0,
                           cache=cache)
    assert view.noise == {"text": 0.3, "image": 0.0, "audio": 1.0}   # none on the missing one
    expected = accuracies_under(models, drop_modality(batch, "image"), view.noise, 0)
    assert view.accuracies == expected and len(cache) == 1
    again = robustness_view(models, batch, "image", text=0.3, image=1.0, audio=1.0,
                            cache=cache)
    assert again.accuracies == expected and len(cache) == 1           # answered from the cache
    ax = plot_robustness_view(view, reference={"without dropout": 0.5, "with dropout": 0.6})
    assert [round(p.get_height(), 4) for p in ax.patches] == [
        round(view.accuracies[n], 4) for n in models]
    assert ax.get_title() == "missing: image; text p = 0.3, audio σ = 1"
    assert view.axes is ax
    assert_readable(ax.figure)
    with pytest.raises(ValueError, match="missing must be 'none' or one of"):
        robustness_view(models, batch, "video")


def test_the_robustness_widget_disables_the_missing_modalitys_slider(models_and_batch):
    models, batch = models_and_batch
    widget = robustness_widget(models, batch)
    missing, text, image, audio, _ = widget.children
    assert missing.options == ("none", *MODALITIES)
    assert all(not c.continuous_update for c in (text, image, audio))
    assert isinstance(widget.result, RobustnessView) and widget.result.missing == "none"
    assert not any(c.disabled for c in (text, image, audio))
    audio.value = LEVELS["audio"][-1]
    assert widget.result.noise["audio"] == 3.0
    assert widget.result.accuracies == accuracies_under(models, batch, widget.result.noise, 0)
    missing.value = "audio"
    assert audio.disabled and not text.disabled and not image.disabled
    assert widget.result.noise["audio"] == 0.0
    assert widget.result.accuracies == accuracies_under(
        models, drop_modality(batch, "audio"), {"text": 0, "image": 0, "audio": 0}, 0)
    missing.value = "text"
    assert text.disabled and not audio.disabled


# --- real voices ------------------------------------------------------------------------------

def tone(frequency: float, seconds: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * audio_lib.SAMPLE_RATE)) / audio_lib.SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@pytest.fixture(scope="module")
def voice_model():
    torch.manual_seed(0)
    recipe = Recipe(hidden=8)
    clips = [tone(200 + 100 * k) for k in range(4)]
    log_mels, lengths = frames(clips, recipe)
    normalizer = audio_lib.LogMelNormalizer().fit(log_mels, lengths)
    model = VoiceModel(Classifier(AudioLSTM(hidden=8)), normalizer, recipe)
    model.classifier.eval()
    return model, clips, np.array([0, 1, 2, 3])


def test_log_mels_side_by_side_on_one_scale():
    rng = np.random.default_rng(2)
    pictures = {"a": rng.normal(size=(30, 40)), "b": rng.normal(size=(50, 40))}
    axes = plot_log_mels(pictures, {"a": 20})
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    assert axes[0].images[0].get_array().shape == (40, 20)
    assert axes[1].images[0].get_array().shape == (40, 50)
    assert axes[0].images[0].get_clim() == axes[1].images[0].get_clim()
    assert_readable(axes[0].figure)


def test_recording_view_is_the_models_prediction(voice_model):
    model, clips, labels = voice_model
    view = recording_view(model, clips, labels, ["a", "b", "c", "d"], 2)
    probabilities = model.probabilities([clips[2]])[0]
    assert (view.name, view.label) == ("c", 2)
    assert view.predicted == int(probabilities.argmax())
    assert view.probability == pytest.approx(float(probabilities.max()))
    assert view.correct == (view.predicted == 2)
    ax = plot_recording(view)
    assert ax.get_title().startswith(f"c: says 2, model hears {view.predicted} (p = ")
    assert_readable(ax.figure)
    with pytest.raises(ValueError, match="index: expected 0 to 3, got 4"):
        recording_view(model, clips, labels, ["a", "b", "c", "d"], 4)


def test_the_recording_widget_follows_its_slider(voice_model):
    model, clips, labels = voice_model
    widget = recording_widget(model, clips, labels, ["a", "b", "c", "d"])
    chooser, _ = widget.children
    assert (chooser.min, chooser.max, chooser.continuous_update) == (0, 3, False)
    assert isinstance(widget.result, RecordingView) and widget.result.name == "a"
    chooser.value = 3
    assert (widget.result.name, widget.result.label) == ("d", 3)


def test_prediction_table_lists_each_file_and_the_score():
    rows = [{"file": "3_me.wav", "label": 3, "predicted": 3, "probability": 0.91,
             "correct": True},
            {"file": "5_me.wav", "label": 5, "predicted": 6, "probability": 0.4,
             "correct": False}]
    lines = prediction_table(rows).splitlines()
    assert lines[1].split() == ["3_me.wav", "3", "3", "0.91", "✓"]
    assert lines[2].split() == ["5_me.wav", "5", "6", "0.40", "✗"]
    assert lines[-1] == "1 of 2 right"


def write_wav(path, clip):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio_lib.SAMPLE_RATE)
        out.writeframes((clip * 32767).astype(np.int16).tobytes())


def test_uploads_are_saved_under_their_names_and_predicted(tmp_path, voice_model):
    model, clips, _ = voice_model
    source = tmp_path / "source.wav"
    write_wav(source, clips[1])
    saved = save_uploads([{"name": "1_me.wav", "content": memoryview(source.read_bytes())}],
                         tmp_path / "up")
    assert saved == [tmp_path / "up" / "1_me.wav"] and saved[0].read_bytes() == \
        source.read_bytes()
    widget = upload_widget(model)
    upload, out = widget.children
    assert upload.accept == ".wav,.flac" and upload.multiple
    upload.value = ({"name": "1_me.wav", "content": memoryview(source.read_bytes()),
                     "type": "audio/wav", "size": source.stat().st_size,
                     "last_modified": datetime.datetime(2026, 1, 1)},)
    printed = "".join(o.get("text", "") for o in out.outputs)
    assert "1_me.wav" in printed and "of 1 right" in printed


# --- the committed tables ---------------------------------------------------------------------

def fake_robustness():
    def row(fusion, dropout, full, missing_audio):
        return {"fusion": fusion, "dropout": dropout, "seeds": [0, 1, 2],
                "missing": {"none": full, "text": full, "image": full,
                            "audio": missing_audio},
                "auc": {m: [0.8, 0.8, 0.8] for m in MODALITIES}}

    return {"models": [row("early", 0.0, [0.9, 0.9, 0.9], [0.6, 0.6, 0.6]),
                       row("early", {"text": 0.2, "image": 0.2, "audio": 0.5},
                           [0.9, 0.9, 0.9], [0.8, 0.8, 0.8])]}


def test_robustness_table_and_summary_read_the_seeds():
    results = fake_robustness()
    lines = robustness_table(results).splitlines()
    assert lines[1].split()[:2] == ["early", "none"]
    assert "text 0.2, image 0.2, audio 0.5" in lines[2]
    assert lines[1].split()[-6:] == ["0.80", "±", "0.00"] * 2
    summary = robustness_summary(results)
    assert summary["early"]["without"]["worst"] == "audio"
    assert summary["early"]["without"]["points"] == pytest.approx(30.0)
    assert summary["early"]["with"]["points"] == pytest.approx(10.0)
    ax = plot_robustness_losses(results)
    assert [round(p.get_height(), 4) for p in ax.patches] == [30.0, 10.0]
    assert_readable(ax.figure)


def test_real_voices_table_and_summary():
    results = {"recipes": [{"name": "synthetic only", "val_accuracy": [1.0, 0.98],
                            "real": [0.4, 0.42]},
                           {"name": "+ augmentation", "val_accuracy": [1.0, 1.0],
                            "real": [0.78, 0.8]}],
               "adapted": {"10": [0.85, 0.87], "50": [0.93, 0.95]}}
    lines = real_voices_table(results).splitlines()
    assert lines[1].split() == ["synthetic", "only", "0.99", "±", "0.01", "0.41", "±", "0.01"]
    assert lines[-1].split()[-3:] == ["0.94", "±", "0.01"]
    summary = real_voices_summary(results)
    assert summary["synthetic only"] == pytest.approx((0.41, np.std([0.4, 0.42], ddof=1)))
    assert summary["adapted 50"][0] == pytest.approx(0.94)
