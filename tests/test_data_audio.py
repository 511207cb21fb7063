"""Audio preprocessing: loading (and refusing bad files), waveform steps, features."""

import csv
import re
import warnings

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from mmkit.data.audio import (
    HOP,
    N_MELS,
    N_MFCC,
    SAMPLE_RATE,
    SILENCE_PEAK,
    AudioFileError,
    ResampledWarning,
    add_noise,
    load_audio,
    load_folder,
    log_mel,
    mfcc,
    n_frames,
    normalize_peak,
    normalize_rms,
    pad_or_truncate,
    trim_silence,
)
from mmkit.paths import data_dir
from mmkit.validate import NonFiniteError


def tone(seconds: float, rate: int = SAMPLE_RATE, hz: float = 440.0, amplitude: float = 0.5
         ) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture(scope="module")
def clip_path():
    folder = data_dir() / "mmdigits"
    with open(folder / "clips.csv", newline="") as f:
        first = next(csv.DictReader(f))
    return folder / first["file"]


@pytest.fixture(scope="module")
def clip(clip_path):
    return load_audio(clip_path)


# ---------------------------------------------------------------------------------------------
# Loading


def test_load_a_committed_clip(clip_path, clip):
    info = sf.info(clip_path)
    assert info.samplerate == SAMPLE_RATE and info.channels == 1
    assert clip.dtype == np.float32 and clip.ndim == 1 and len(clip) == info.frames
    assert 0 < np.abs(clip).max() <= 1


def loaded_with_warnings(function, *args, **kwargs):
    """function(*args, **kwargs) and the warnings it gave, every one recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [(w.category, str(w.message)) for w in caught]


def test_a_wrong_sample_rate_is_resampled_and_said_once(tmp_path):
    path = tmp_path / "16k.wav"
    sf.write(path, tone(0.5, rate=16000), 16000, subtype="PCM_16")
    audio, said = loaded_with_warnings(load_audio, path)
    assert audio.dtype == np.float32 and abs(len(audio) - 4000) <= 1  # 0.5 s at 8 kHz
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(audio) == pytest.approx(440, abs=4)
    assert said == [(ResampledWarning, f"{path}: resampled from 16000 Hz to 8000 Hz")]
    _, said = loaded_with_warnings(load_audio, path, sample_rate=16000)
    assert said == []  # at the rate asked for: nothing to say


def test_a_committed_clip_loads_without_a_warning(clip_path):
    _, said = loaded_with_warnings(load_audio, clip_path)
    assert said == []


def test_stereo_is_averaged_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    left = tone(0.2)
    sf.write(path, np.stack([left, 0.5 * left], axis=1), SAMPLE_RATE, subtype="FLOAT")
    audio = load_audio(path)
    assert audio.shape == left.shape
    np.testing.assert_allclose(audio, 0.75 * left, atol=1e-6)


def test_a_stereo_44_1_khz_wav_is_mixed_down_and_resampled(tmp_path):
    path = tmp_path / "phone.wav"
    left, right = tone(0.5, rate=44100, hz=300), tone(0.5, rate=44100, hz=700, amplitude=0.3)
    sf.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")
    assert sf.info(path).channels == 2
    audio, said = loaded_with_warnings(load_audio, path)
    assert audio.shape == (4000,) and audio.dtype == np.float32  # 0.5 s at 8 kHz, mono
    spectrum = np.abs(np.fft.rfft(audio))
    hz = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE)
    top_two = sorted(hz[np.argsort(spectrum)[-2:]])
    np.testing.assert_allclose(top_two, [300, 700], atol=4)  # both channels are heard
    assert spectrum[np.argmin(abs(hz - 300))] > spectrum[np.argmin(abs(hz - 700))]
    assert said == [(ResampledWarning, f"{path}: resampled from 44100 Hz to 8000 Hz")]


@pytest.mark.parametrize(("samples", "what"), [
    (np.zeros(4000, np.float32), "all zeros"),
    (np.full(4000, 0.2, np.float32), "a constant (DC offset, no sound)"),
    (tone(0.5, amplitude=5e-5), "a whisper of 5e-5, below the threshold"),
], ids=["zeros", "constant", "below-threshold"])
def test_a_silent_file_is_named(tmp_path, samples, what):
    path = tmp_path / "3_quiet_0.wav"
    sf.write(path, samples, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=re.escape(str(path)) + r": silent \(peak .*"
                       r"SILENCE_PEAK = 0\.0001"):
        load_audio(path)


def test_left_and_right_that_cancel_are_silent_in_mono(tmp_path):
    path = tmp_path / "phase.wav"
    left = tone(0.2)
    sf.write(path, np.stack([left, -left], axis=1), SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(AudioFileError, match=r"phase\.wav: silent"):
        load_audio(path)


def test_quiet_but_real_recordings_are_not_silent(tmp_path):
    assert SILENCE_PEAK == 1e-4
    path = tmp_path / "quiet.wav"
    sf.write(path, tone(0.2, amplitude=1e-3), SAMPLE_RATE, subtype="PCM_16")  # −60 dBFS
    assert np.abs(load_audio(path)).max() == pytest.approx(1e-3, rel=0.05)


def _truncated(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    sf.write(whole, tone(1.0), SAMPLE_RATE, subtype="PCM_16")
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    return cut


def _empty(tmp_path):
    path = tmp_path / "empty.wav"
    path.touch()
    return path


def _text(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are my notes, not a recording\n" * 20)
    return path


def _no_samples(tmp_path):
    path = tmp_path / "header_only.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SAMPLE_RATE, subtype="PCM_16")
    return path


def _silent(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE, subtype="PCM_16")
    return path


@pytest.mark.parametrize(("make", "problem"), [
    (_empty, "empty file"),
    (_text, r"not an audio file \(.+\)"),
    (lambda tmp: _truncated(tmp, ".wav"), r"truncated or corrupt \(.+\)"),
    (lambda tmp: _truncated(tmp, ".flac"), r"truncated or corrupt \(.+\)"),
    (_no_samples, "no audio samples"),
    (_silent, r"silent \(.+\)"),
], ids=["empty", "text", "truncated-wav", "truncated-flac", "no-samples", "silent"])
def test_bad_files_raise_naming_the_file_and_the_problem(tmp_path, make, problem):
    path = make(tmp_path)
    with pytest.raises(AudioFileError, match=re.escape(str(path)) + ": " + problem):
        load_audio(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.wav"):
        load_audio(tmp_path / "nowhere.wav")


def test_nan_samples_are_refused_naming_the_file(tmp_path):
    audio = tone(0.1)
    audio[10] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, audio, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(NonFiniteError, match=re.escape(str(path)) + ": NaN"):
        load_audio(path)


@pytest.fixture
def recordings(tmp_path):
    """A user's folder: two good clips, an empty one, a text file, a badly named clip."""
    sf.write(tmp_path / "3_alice_0.wav", tone(0.3), SAMPLE_RATE, subtype="PCM_16")
    sf.write(tmp_path / "1_bob_2.flac", tone(0.2, rate=16000), 16000, subtype="PCM_16")
    (tmp_path / "2_carol_1.wav").touch()
    (tmp_path / "4_dave_0.wav").write_text("not audio")
    sf.write(tmp_path / "seven.wav", tone(0.1), SAMPLE_RATE, subtype="PCM_16")
    (tmp_path / "README.txt").write_text("ignored: not a .wav or .flac file")
    return tmp_path


def test_load_folder_raises_on_the_first_bad_file_by_default(recordings):
    with pytest.raises(AudioFileError, match=r"2_carol_1\.wav: empty file"):
        load_folder(recordings)


def test_load_folder_can_skip_bad_files_with_one_warning(recordings):
    loaded, said = loaded_with_warnings(load_folder, recordings, skip_bad=True)
    skipped = [message for category, message in said if category is UserWarning]
    assert len(skipped) == 1
    assert "skipped 3 bad file(s) of 5" in skipped[0]
    for name in ("2_carol_1.wav", "4_dave_0.wav", "seven.wav"):
        assert name in skipped[0]
    assert [(label, path.name) for label, path, _ in loaded] == [(1, "1_bob_2.flac"),
                                                                (3, "3_alice_0.wav")]
    assert [len(audio) for *_, audio in loaded] == [1600, 2400]  # 1_bob resampled to 8 kHz
    assert all(audio.dtype == np.float32 for *_, audio in loaded)
    assert [message for category, message in said if category is ResampledWarning] == [
        f"load_folder: resampled 1 of 2 file(s) in {recordings} to 8000 Hz (1 at 16000 Hz)"]


def test_load_folder_lists_every_file_it_skipped_with_its_problem(tmp_path):
    """Six kinds of bad file, each named with its own problem, in one warning."""
    sf.write(tmp_path / "0_good_0.wav", tone(0.3), SAMPLE_RATE, subtype="PCM_16")
    bad = {
        "1_empty_0.wav": "empty file (0 bytes)",
        "2_text_0.wav": "not an audio file (",
        "3_cut_0.wav": "truncated or corrupt (",
        "4_silent_0.wav": "silent (peak 0 around the mean",
        "5_header_0.wav": "no audio samples",
        "unlabelled.wav": "the file name must start with its digit label",
    }
    (tmp_path / "1_empty_0.wav").touch()
    (tmp_path / "2_text_0.wav").write_text("not a recording\n" * 30)
    whole = tmp_path / "whole.tmp"
    sf.write(whole, tone(1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")
    (tmp_path / "3_cut_0.wav").write_bytes(whole.read_bytes()[:5000])
    sf.write(tmp_path / "4_silent_0.wav", np.zeros(800, np.int16), SAMPLE_RATE)
    sf.write(tmp_path / "5_header_0.wav", np.zeros(0, np.float32), SAMPLE_RATE)
    sf.write(tmp_path / "unlabelled.wav", tone(0.1), SAMPLE_RATE)
    loaded, said = loaded_with_warnings(load_folder, tmp_path, skip_bad=True)
    assert [path.name for _, path, _ in loaded] == ["0_good_0.wav"]
    assert len(said) == 1 and said[0][0] is UserWarning
    message = said[0][1]
    assert message.startswith(f"load_folder: skipped 6 bad file(s) of 7 in {tmp_path}: ")
    listed = message.split(": ", 2)[2].split("; ")
    assert len(listed) == 6
    for entry, (name, problem) in zip(listed, sorted(bad.items()), strict=True):
        assert entry.startswith(f"{name} ({problem}"), (entry, name, problem)
    for name in bad:  # each bad file alone raises naming it
        with pytest.raises(ValueError, match=re.escape(name)):
            load_folder(tmp_path)
        (tmp_path / name).unlink()
    assert [path.name for _, path, _ in load_folder(tmp_path)] == ["0_good_0.wav"]


def test_load_folder_says_once_what_it_resampled(tmp_path):
    for i in range(3):
        sf.write(tmp_path / f"{i}_wide_0.wav", tone(0.25, rate=16000), 16000)
    for i in range(2):
        sf.write(tmp_path / f"{i}_cd_0.wav", np.stack([tone(0.25, rate=44100)] * 2, axis=1),
                 44100)
    sf.write(tmp_path / "9_phone_0.wav", tone(0.25), SAMPLE_RATE)
    loaded, said = loaded_with_warnings(load_folder, tmp_path)
    assert len(loaded) == 6 and all(len(audio) == 2000 for *_, audio in loaded)
    assert said == [(ResampledWarning, f"load_folder: resampled 5 of 6 file(s) in {tmp_path} "
                                       f"to 8000 Hz (3 at 16000 Hz, 2 at 44100 Hz)")]


def test_load_folder_names_a_file_without_a_label(tmp_path):
    sf.write(tmp_path / "seven.wav", tone(0.1), SAMPLE_RATE, subtype="PCM_16")
    with pytest.raises(ValueError, match=r"seven\.wav: the file name must start with its digit"):
        load_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no \.wav or \.flac"):
        load_folder(tmp_path / "..")


# ---------------------------------------------------------------------------------------------
# Waveform steps


def test_trim_silence_cuts_the_quiet_ends():
    speech = tone(0.5)
    padded = np.concatenate([np.zeros(4000, np.float32), speech, np.zeros(4000, np.float32)])
    trimmed = trim_silence(padded)
    assert abs(len(trimmed) - len(speech)) <= 2 * 256  # within a frame at each end
    assert trimmed.dtype == np.float32
    silence = np.zeros(800, np.float32)
    np.testing.assert_array_equal(trim_silence(silence), silence)
    assert trim_silence(np.zeros(0)).shape == (0,)


def test_normalisation_scales_and_leaves_silence_alone(clip):
    assert np.abs(normalize_peak(clip)).max() == pytest.approx(0.95, rel=1e-6)
    assert np.abs(normalize_peak(clip, 0.5)).max() == pytest.approx(0.5, rel=1e-6)
    rms = normalize_rms(clip)
    assert np.sqrt(np.mean(rms.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-5)
    assert normalize_peak(clip).dtype == rms.dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero warning either
        for silence in (np.zeros(100, np.float32), np.zeros(0, np.float32)):
            np.testing.assert_array_equal(normalize_peak(silence), silence)
            np.testing.assert_array_equal(normalize_rms(silence), silence)


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 3000), length=st.integers(0, 3000), center=st.booleans())
def test_pad_or_truncate_always_gives_the_target_length(size, length, center):
    audio = np.arange(1, size + 1, dtype=np.float32)
    out = pad_or_truncate(audio, length, center=center)
    assert out.shape == (length,) and out.dtype == np.float32
    kept = min(size, length)
    assert np.count_nonzero(out) == kept  # every kept sample is there, the rest zeros
    if not center:
        np.testing.assert_array_equal(out[:kept], audio[:kept])


def test_pad_or_truncate_centred():
    audio = np.arange(1.0, 5.0)
    np.testing.assert_array_equal(pad_or_truncate(audio, 8, center=True), [0, 0, 1, 2, 3, 4, 0, 0])
    np.testing.assert_array_equal(pad_or_truncate(audio, 2, center=True), [2, 3])
    np.testing.assert_array_equal(pad_or_truncate(audio, 2), [1, 2])
    with pytest.raises(ValueError, match="length must be an int >= 0"):
        pad_or_truncate(audio, -1)


def measured_snr(audio: np.ndarray, noisy: np.ndarray) -> float:
    signal = audio.astype(np.float64)
    noise = noisy.astype(np.float64) - signal
    return 10 * np.log10(np.mean(signal**2) / np.mean(noise**2))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 4000),
       amplitude=st.floats(1e-3, 10.0), snr_db=st.floats(-20.0, 60.0),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_add_noise_hits_the_requested_snr(seed, size, amplitude, snr_db, dtype):
    rng = np.random.default_rng(seed)
    audio = (amplitude * rng.standard_normal(size)).astype(dtype)
    noisy = add_noise(audio, snr_db, rng)
    assert noisy.shape == audio.shape and noisy.dtype == audio.dtype
    assert measured_snr(audio, noisy) == pytest.approx(snr_db, abs=0.5)


def test_add_noise_on_a_real_clip_is_seeded(clip):
    noisy = add_noise(clip, 10.0, rng=0)
    assert measured_snr(clip, noisy) == pytest.approx(10.0, abs=0.01)
    np.testing.assert_array_equal(noisy, add_noise(clip, 10.0, rng=0))
    assert not np.array_equal(noisy, add_noise(clip, 10.0, rng=1))
    silence = np.zeros(100, np.float32)
    np.testing.assert_array_equal(add_noise(silence, 10.0, rng=0), silence)


# ---------------------------------------------------------------------------------------------
# Features


@pytest.mark.parametrize("length", [0, 1, 79, 80, 256, 1000, 8000])
def test_feature_shapes_are_predictable(length):
    audio = np.random.default_rng(length).normal(0, 0.1, length).astype(np.float32)
    assert n_frames(length) == 1 + length // HOP
    spectrogram, coefficients = log_mel(audio), mfcc(audio)
    assert spectrogram.shape == (N_MELS, n_frames(length)) and spectrogram.dtype == np.float32
    assert coefficients.shape == (N_MFCC, n_frames(length))
    assert coefficients.dtype == np.float32
    assert np.isfinite(spectrogram).all() and np.isfinite(coefficients).all()


def test_features_of_a_clip_are_deterministic(clip_path, clip):
    spectrogram = log_mel(clip)
    assert spectrogram.shape == (N_MELS, n_frames(len(clip)))
    np.testing.assert_array_equal(spectrogram, log_mel(load_audio(clip_path)))
    np.testing.assert_array_equal(mfcc(clip), mfcc(load_audio(clip_path)))
    assert mfcc(clip, n_mfcc=20).shape == (20, n_frames(len(clip)))
    assert spectrogram.max() - spectrogram.min() <= 80.0 + 1e-3  # floored at top_db


@pytest.mark.parametrize("function", [log_mel, mfcc, trim_silence, normalize_peak,
                                      normalize_rms, lambda a: pad_or_truncate(a, 10),
                                      lambda a: add_noise(a, 10.0, 0)])
def test_bad_arrays_are_refused(function):
    audio = np.zeros(100, np.float32)
    audio[5] = np.nan
    with pytest.raises(NonFiniteError, match=r"\(audio\): 1 non-finite"):
        function(audio)
    with pytest.raises(ValueError, match=r"expected shape \(T,\), got \(2, 50\)"):
        function(np.zeros((2, 50), np.float32))


# ---------------------------------------------------------------------------------------------
# The mel scale, features of a batch, noise over a padded window, per-band normalisation


def slaney_mel(hz):
    """The formula notebook 10 shows: 3f/200 below 1 kHz, 15 + 27 ln(f/1000)/ln 6.4 above."""
    hz = np.asarray(hz, dtype=float)
    return np.where(hz < 1000, 3 * hz / 200, 15 + 27 * np.log(np.maximum(hz, 1e-9) / 1000)
                    / np.log(6.4))


def test_the_notebooks_mel_formula_is_librosas_default_slaney_scale():
    import librosa

    from mmkit.data.audio import hz_to_mel, mel_to_hz

    # the band edges log_mel uses: N_MELS + 2 points evenly spaced in mel from 0 to 4 kHz
    edges = librosa.mel_frequencies(n_mels=N_MELS + 2, fmin=0.0, fmax=SAMPLE_RATE / 2,
                                    htk=False)
    top = float(slaney_mel(SAMPLE_RATE / 2))
    ours = np.linspace(0.0, top, N_MELS + 2)
    np.testing.assert_allclose(slaney_mel(edges), ours, atol=1e-9)
    np.testing.assert_allclose(mel_to_hz(ours), edges, rtol=1e-9, atol=1e-9)
    frequencies = np.array([0.0, 60.0, 440.0, 999.0, 1000.0, 2500.0, 4000.0])
    np.testing.assert_allclose(hz_to_mel(frequencies), librosa.hz_to_mel(frequencies),
                               atol=1e-9)
    np.testing.assert_allclose(slaney_mel(frequencies), hz_to_mel(frequencies), atol=1e-9)
    # HTK's 2595·log10(1 + f/700) (what the notebook showed before) places other bands
    htk = librosa.mel_frequencies(n_mels=N_MELS + 2, fmin=0.0, fmax=SAMPLE_RATE / 2, htk=True)
    assert np.abs(htk - edges).max() > 50


def test_the_notebook_shows_the_formula_the_code_uses():
    import nbformat

    from mmkit.paths import notebooks_dir

    nb = nbformat.read(notebooks_dir() / "10_multimodal_data.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    shown = re.search(r"\\mathrm\{mel\}\(f\) = \\begin\{cases\}(.*?)\\end\{cases\}", text,
                      re.S)
    assert shown, "the notebook shows no mel formula"
    assert r"\dfrac{3f}{200}" in shown.group(1) and r"\ln 6.4" in shown.group(1)
    assert "2595" not in shown.group(1)
    for mention in re.finditer("2595", text):  # HTK's scale only as what log_mel does not use
        assert "not HTK" in text[mention.start() - 30:mention.start()]


def test_log_mel_batch_is_log_mel_of_each_clip(clip):
    from mmkit.data.audio import log_mel_batch, pad_and_add_noise

    clips = np.stack([pad_or_truncate(clip, 8000),
                      pad_and_add_noise(clip, 8000, -6.0, rng=0),
                      tone(1.0), np.zeros(8000, np.float32)])
    batch = log_mel_batch(clips)
    assert batch.shape == (4, N_MELS, n_frames(8000)) and batch.dtype == np.float32
    for one, features in zip(clips, batch, strict=True):
        np.testing.assert_allclose(features, log_mel(one), atol=0.01)
    assert log_mel_batch(np.zeros((0, 800), np.float32)).shape == (0, N_MELS, n_frames(800))
    with pytest.raises(ValueError, match=r"expected shape \(N, T\)"):
        log_mel_batch(clip)


def test_pad_and_add_noise_covers_the_padding_at_the_speech_snr(clip):
    from mmkit.data.audio import pad_and_add_noise

    noisy = pad_and_add_noise(clip, 8000, -6.0, rng=0)
    assert noisy.shape == (8000,) and noisy.dtype == np.float32 and len(clip) < 8000
    noise = noisy.astype(np.float64) - pad_or_truncate(clip, 8000)
    speech_power = np.mean(clip.astype(np.float64) ** 2)
    assert 10 * np.log10(speech_power / np.mean(noise**2)) == pytest.approx(-6.0, abs=1e-4)
    padding, word = noisy[len(clip):], noisy[:len(clip)]
    assert np.std(padding) > 0.5 * np.sqrt(np.mean(noise**2))  # not silent any more
    assert np.mean(padding.astype(float) ** 2) < np.mean(word.astype(float) ** 2)
    np.testing.assert_array_equal(noisy, pad_and_add_noise(clip, 8000, -6.0, rng=0))
    cut = pad_and_add_noise(clip, 1000, 10.0, rng=1)  # a longer clip is cut first
    power = np.mean(clip[:1000].astype(float) ** 2)
    assert 10 * np.log10(power / np.mean((cut - clip[:1000]).astype(float) ** 2)) == \
        pytest.approx(10.0, abs=1e-4)
    np.testing.assert_array_equal(pad_and_add_noise(np.zeros(10, np.float32), 20, 0.0),
                                  np.zeros(20, np.float32))
    with pytest.raises(ValueError, match="snr_db must be a finite number"):
        pad_and_add_noise(clip, 8000, float("nan"))


def test_log_mel_normalizer_uses_each_bands_training_statistics():
    from mmkit.data.audio import LogMelNormalizer

    rng = np.random.default_rng(0)
    levels, spreads = np.linspace(-60, 0, N_MELS), np.linspace(1, 10, N_MELS)
    train = (levels + spreads * rng.standard_normal((30, 101, N_MELS))).astype(np.float32)
    other = train[:5] + 20.0  # a split with its own, louder statistics
    normalizer = LogMelNormalizer().fit(train)
    flat = train.reshape(-1, N_MELS).astype(np.float64)
    np.testing.assert_allclose(normalizer.mean, flat.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(normalizer.std, flat.std(axis=0), rtol=1e-9)
    scaled = normalizer.transform(train)
    assert scaled.dtype == np.float32 and scaled.shape == train.shape
    np.testing.assert_allclose(scaled.reshape(-1, N_MELS).mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(scaled.reshape(-1, N_MELS).std(axis=0), 1, atol=1e-4)
    moved = normalizer.transform(other)  # training statistics, not its own
    np.testing.assert_allclose(moved, (other - normalizer.mean) / normalizer.std, rtol=1e-5,
                               atol=1e-4)
    assert moved.mean() > 1.0
    np.testing.assert_allclose(normalizer.inverse_transform(scaled), train, atol=1e-3)
    assert "40 bands" in repr(normalizer)
    lengths = np.full(30, 10)
    short = LogMelNormalizer().fit(train, lengths)
    np.testing.assert_allclose(short.mean, train[:, :10].reshape(-1, N_MELS).mean(
        axis=0, dtype=np.float64), rtol=1e-9)


def test_log_mel_normalizer_refuses_misuse():
    from mmkit.data.audio import LogMelNormalizer

    with pytest.raises(RuntimeError, match="call fit"):
        LogMelNormalizer().transform(np.zeros((3, N_MELS)))
    with pytest.raises(ValueError, match=r"expected shape \(N, F, M\)"):
        LogMelNormalizer().fit(np.zeros((101, N_MELS)))
    with pytest.raises(ValueError, match=r"lengths must be 2 integers in \[0, 5\]"):
        LogMelNormalizer().fit(np.zeros((2, 5, N_MELS)), np.array([3, 6]))
    with pytest.raises(ValueError, match="no training frames"):
        LogMelNormalizer().fit(np.zeros((2, 5, N_MELS)), np.array([0, 0]))
    fitted = LogMelNormalizer().fit(np.ones((2, 5, N_MELS)))
    np.testing.assert_array_equal(fitted.std, 1.0)  # constant bands are only centred
    with pytest.raises(ValueError, match=r"expected frames \(\.\.\., 40\)"):
        fitted.transform(np.zeros((101, 13)))
