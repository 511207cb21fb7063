"""Audio preprocessing for spoken digits at 8 kHz: load, trim, normalise, pad, noise, features.

A clip is a 1-D float array of samples, shape (T,), mono, at `SAMPLE_RATE`
(8,000 samples per second, telephone quality: enough for speech up to 4 kHz).
The feature parameters suit short words at that rate:

- `N_FFT` = 256 samples (32 ms window, 31.25 Hz per frequency bin),
- `HOP` = 80 samples (10 ms between frames: 100 frames per second),
- `N_MELS` = 40 mel bands between 0 and 4 kHz, `N_MFCC` = 13 coefficients.

With librosa's `center=True` a clip of T samples gives `n_frames(T) = 1 + T // HOP`
frames, so `log_mel` returns (N_MELS, 1 + T // HOP) and `mfcc` (N_MFCC, 1 + T // HOP).

Bad files raise `AudioFileError` (a ValueError) naming the file and the problem;
NaN or infinite samples raise `NonFiniteError` naming the file.
"""

import re
import struct
import warnings
from pathlib import Path

import numpy as np

from mmkit.validate import (
    NonFiniteError,
    as_float_array,
    check_count,
    check_finite,
    check_shape,
    default_rng,
)

SAMPLE_RATE = 8000
N_FFT = 256
HOP = 80
N_MELS = 40
N_MFCC = 13
AUDIO_SUFFIXES = (".wav", ".flac")

Rng = np.random.Generator | int | None


class AudioFileError(ValueError):
    """An audio file that cannot be read: empty, not audio, truncated or corrupt."""


def _audio(audio: object, function: str) -> np.ndarray:
    """A float (T,) array of finite samples, or an error naming `function`."""
    name = f"{function}(audio)"
    array = check_shape(as_float_array(audio, name), ("T",), name)
    return check_finite(array, name)


# ---------------------------------------------------------------------------------------------
# Loading


def _wav_data_shortfall(path: Path) -> str | None:
    """For a RIFF/WAVE file whose data chunk claims more bytes than the file holds, say so.

    libsndfile reads such a file without complaint, returning only the samples present;
    a truncated download or copy should not pass silently as a shorter clip.
    """
    with open(path, "rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        size = path.stat().st_size
        position = 12
        while position + 8 <= size:
            f.seek(position)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                available = size - position - 8
                unknown = chunk_size in (0, 0xFFFFFFFF)  # streamed WAVs leave it unset
                if not unknown and chunk_size > available:
                    return f"the data chunk declares {chunk_size} bytes, the file holds " \
                           f"{available}"
                return None
            position += 8 + chunk_size + (chunk_size & 1)
    return None


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Read a WAV or FLAC file (any format libsndfile reads) → (T,) float32 mono at `sample_rate`.

    Stereo (or more channels) is averaged to mono; another sample rate is resampled with
    `librosa.resample` (soxr, high quality), so T = round(duration · sample_rate).
    Raises FileNotFoundError for a missing file; AudioFileError naming the file and the
    problem for an empty file, a file that is not audio, a truncated or corrupt one, or
    one with no samples; NonFiniteError naming the file for NaN or infinite samples.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: empty file (0 bytes)")
    try:
        with sf.SoundFile(path) as f:
            declared, rate, kind = f.frames, f.samplerate, f.format
            data = f.read(dtype="float32", always_2d=True)
    except sf.LibsndfileError as error:
        problem = error.error_string.strip().rstrip(".") or str(error)
        if error.code == 1 or "not recognised" in problem.lower():  # SF_ERR_UNRECOGNISED_FORMAT
            raise AudioFileError(f"{path}: not an audio file ({problem})") from error
        raise AudioFileError(f"{path}: truncated or corrupt ({problem})") from error
    except (RuntimeError, OSError) as error:  # other soundfile errors
        raise AudioFileError(f"{path}: truncated or corrupt ({error})") from error
    shortfall = _wav_data_shortfall(path)
    if shortfall is not None:
        raise AudioFileError(f"{path}: truncated or corrupt ({shortfall})")
    exact = kind in ("WAV", "WAVEX", "FLAC")  # headers of compressed formats may estimate
    if exact and 0 < declared != len(data):
        raise AudioFileError(f"{path}: truncated or corrupt (the header declares {declared} "
                             f"samples, {len(data)} could be read)")
    if len(data) == 0:
        raise AudioFileError(f"{path}: no audio samples (a header without data)")
    try:
        check_finite(data, "samples")
    except NonFiniteError as error:
        raise NonFiniteError(f"{path}: NaN or infinite samples are refused ({error})") from None
    audio = data.mean(axis=1, dtype=np.float32)
    if rate != sample_rate:
        import librosa

        audio = librosa.resample(audio, orig_sr=rate, target_sr=sample_rate)
    return np.ascontiguousarray(audio, dtype=np.float32)


_LABEL = re.compile(r"^(\d+)_")


def _label(path: Path) -> int:
    match = _LABEL.match(path.name)
    if match is None:
        raise ValueError(f"{path}: the file name must start with its digit label and an "
                         f"underscore, as in 7_jackson_0.wav")
    return int(match.group(1))


def load_folder(folder: str | Path, sample_rate: int = SAMPLE_RATE, skip_bad: bool = False
                ) -> list[tuple[int, Path, np.ndarray]]:
    """Load a folder of recordings named `{label}_{anything}.wav` (or .flac), not recursively.

    This is the layout of the Free Spoken Digit Dataset (`7_jackson_32.wav`), so real
    recordings can replace or extend the synthetic clips. Returns (label, path, audio (T,)
    float32) per file, sorted by file name; each clip as `load_audio(path, sample_rate)`.

    A bad file (a name without a leading label, an empty, non-audio, truncated or corrupt
    file, NaN samples) raises ValueError (AudioFileError, NonFiniteError) naming it; with
    `skip_bad=True` bad files are left out instead and one warning gives their count and the
    first few names. A folder without WAV or FLAC files raises FileNotFoundError.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    paths = sorted((p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES), key=lambda p: p.name)
    if not paths:
        raise FileNotFoundError(f"{folder}: no .wav or .flac files")
    loaded, bad = [], []
    for path in paths:
        try:
            loaded.append((_label(path), path, load_audio(path, sample_rate)))
        except ValueError as error:  # AudioFileError, NonFiniteError, a bad name
            if not skip_bad:
                raise
            bad.append((path.name, str(error).removeprefix(f"{path}: ")))
    if bad:
        first = "; ".join(f"{name} ({problem})" for name, problem in bad[:3])
        more = f"; and {len(bad) - 3} more" if len(bad) > 3 else ""
        warnings.warn(f"load_folder: skipped {len(bad)} bad file(s) of {len(paths)} in "
                      f"{folder}: {first}{more}", stacklevel=2)
    return loaded


# ---------------------------------------------------------------------------------------------
# Waveform processing


def trim_silence(audio: np.ndarray, top_db: float = 30) -> np.ndarray:
    """Cut leading and trailing parts quieter than the loudest frame by more than `top_db` dB.

    audio (T,) → (T',) with T' ≤ T, same float dtype (`librosa.effects.trim` with frames of
    N_FFT samples and hops of HOP). Quietness is relative to the clip's loudest frame, so
    pure digital silence (all zeros) has nothing to compare with and is returned whole.
    """
    import librosa

    array = _audio(audio, "trim_silence")
    if array.size == 0 or not np.any(array):
        return array.copy()
    trimmed, _ = librosa.effects.trim(array, top_db=top_db, frame_length=N_FFT,
                                      hop_length=HOP)
    return trimmed.copy()


def normalize_peak(audio: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale so that the largest |sample| is `peak`: (T,) → (T,), same float dtype.

    Silence (all zeros, or empty) stays as it is: there is nothing to scale.
    """
    array = _audio(audio, "normalize_peak")
    largest = float(np.max(np.abs(array), initial=0.0))
    if largest == 0.0:
        return array.copy()
    return (array * (peak / largest)).astype(array.dtype)


def normalize_rms(audio: np.ndarray, rms: float = 0.1) -> np.ndarray:
    """Scale so that the root mean square (loudness) is `rms`: (T,) → (T,), same float dtype.

    Peaks are not clipped: a spiky clip can exceed ±1 after this. Silence stays silence.
    """
    array = _audio(audio, "normalize_rms")
    current = float(np.sqrt(np.mean(np.square(array, dtype=np.float64)))) if array.size else 0.0
    if current == 0.0:
        return array.copy()
    return (array * (rms / current)).astype(array.dtype)


def pad_or_truncate(audio: np.ndarray, length: int, center: bool = False) -> np.ndarray:
    """Exactly `length` samples: (T,) → (length,), same float dtype, for any T ≥ 0.

    By default from the start: a longer clip keeps its first `length` samples, a shorter one
    is followed by zeros. With `center=True` the cut (or the zeros) is shared between both
    ends, the clip staying in the middle.
    """
    array = _audio(audio, "pad_or_truncate")
    length, size = check_count(length, "pad_or_truncate: length"), len(array)
    out = np.zeros(length, dtype=array.dtype)
    if size >= length:
        start = (size - length) // 2 if center else 0
        out[:] = array[start:start + length]
    else:
        start = (length - size) // 2 if center else 0
        out[start:start + size] = array
    return out


def add_noise(audio: np.ndarray, snr_db: float, rng: Rng = None) -> np.ndarray:
    """Add white Gaussian noise at a signal-to-noise ratio of `snr_db` decibels.

    SNR = 10·log10(P_signal / P_noise) with P the mean square; the noise is scaled so that
    its own mean square gives exactly `snr_db` (0 dB: as loud as the speech; 20 dB: a
    tenth of its amplitude). audio (T,) → (T,), same float dtype; the rounding to float32
    moves the measured SNR by far less than 0.01 dB for SNRs up to 80 dB. Silence (or an
    empty clip) is returned as it is: no SNR is defined for it.
    """
    array = _audio(audio, "add_noise")
    if not np.isfinite(snr_db):
        raise ValueError(f"add_noise: snr_db must be a finite number, got {snr_db!r}")
    signal = array.astype(np.float64)
    power = float(np.mean(np.square(signal))) if signal.size else 0.0
    if power == 0.0:
        return array.copy()
    noise = default_rng(rng).standard_normal(signal.shape)
    noise_power = float(np.mean(np.square(noise)))
    if noise_power == 0.0:  # a one-sample clip drawing exactly 0.0
        return array.copy()
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / noise_power)
    return (signal + noise).astype(array.dtype)


# ---------------------------------------------------------------------------------------------
# Features


def n_frames(length: int, hop: int = HOP) -> int:
    """Frames of a clip of `length` samples with librosa's `center=True`: 1 + length // hop."""
    if length < 0:
        raise ValueError(f"n_frames: length must be >= 0, got {length}")
    return 1 + int(length) // hop


def log_mel(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Log-mel spectrogram in dB: audio (T,) → (N_MELS, n_frames(T)) float32.

    Power mel spectrogram (`librosa.feature.melspectrogram`: n_fft N_FFT, hop HOP, N_MELS
    bands from 0 Hz to sample_rate / 2, center=True with zero padding), then
    `librosa.power_to_db(ref=1.0, top_db=80)`: absolute decibels (a full-scale sine is
    about +37 dB), floored at 80 dB below the clip's loudest value. Silence gives −100 dB.
    """
    import librosa

    array = _audio(audio, "log_mel").astype(np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_fft=.* is too large")  # short clips
        power = librosa.feature.melspectrogram(y=array, sr=sample_rate, n_fft=N_FFT,
                                               hop_length=HOP, n_mels=N_MELS, center=True,
                                               pad_mode="constant", fmax=sample_rate / 2)
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=80.0).astype(np.float32)


def mfcc(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, n_mfcc: int = N_MFCC
         ) -> np.ndarray:
    """Mel-frequency cepstral coefficients: audio (T,) → (n_mfcc, n_frames(T)) float32.

    The orthonormal DCT-II of `log_mel(audio)` along the mel axis (`librosa.feature.mfcc`
    given that spectrogram), keeping the first `n_mfcc` coefficients: a compact summary of
    the spectral envelope, i.e. of the vowel and consonant shapes, not of the pitch.
    """
    import librosa

    if not 1 <= n_mfcc <= N_MELS:
        raise ValueError(f"mfcc: n_mfcc must lie in [1, {N_MELS}], got {n_mfcc!r}")
    spectrogram = log_mel(audio, sample_rate)
    return librosa.feature.mfcc(S=spectrogram, n_mfcc=n_mfcc).astype(np.float32)
