"""Data augmentation for speech: more ways for a word to sound, made from the clips we have.

A model trained on a few synthetic voices learns those voices. Augmentation changes each
training clip the way real recordings differ from one another (a faster speaker, a
higher voice, a room, a microphone, background noise), so the model has to find what
stays the same: the word. Each function changes one thing and is plain NumPy/librosa,
so its effect can be heard and seen (notebook 14).

On the waveform, a clip (T,) float32 at 8 kHz → (T',) float32:

    change_speed(clip, factor)     tempo and pitch together, as a tape played faster
                                   (factor > 1) or slower: T' ≈ T / factor (Kaldi's speed
                                   perturbation, by resampling)
    shift_pitch(clip, semitones)   pitch only, the duration kept (librosa's pitch_shift)
    add_reverb(clip, rt60, rng)    a room: convolution with an impulse response of decaying
                                   noise that falls by 60 dB in rt60 seconds; T' = T + rt60/2 s
    tilt(clip, coefficient)        a microphone's colour: y[t] = x[t] − c·x[t−1] (c > 0
                                   brightens, c < 0 darkens)
    audio.add_noise(clip, snr_db, rng)   white noise at a signal-to-noise ratio

On the log-mel frames (F, M), time first as `MMDigits` stores them:

    warp_bands(frames, alpha)      vocal tract length: the mel axis stretched by alpha
                                   (alpha > 1 moves the formants up, as a shorter tract)
    mask_spectrogram(frames, length, rng)   SpecAugment: random bands and frames set to 0

`augment_clip(clip, rng)` applies each waveform change with probability `p`, with its
strength drawn from `STRENGTHS`. Warp frames before normalising them (warping moves
decibels between bands), mask them after (0 is then each band's mean).
Every random draw comes from the `rng` given (a seed or a `numpy.random.Generator`), so
the same seed gives the same clips.
"""

import numpy as np

from mmkit.data import audio as audio_lib
from mmkit.validate import default_rng

SAMPLE_RATE = audio_lib.SAMPLE_RATE

#: The range each random change draws its strength from (uniformly).
STRENGTHS = {
    "speed": (0.8, 1.25),          # factor
    "pitch": (-3.0, 3.0),          # semitones
    "reverb": (0.05, 0.5),         # rt60, seconds
    "tilt": (-0.9, 0.9),           # coefficient
    "noise": (5.0, 30.0),          # SNR, dB
    "warp": (0.88, 1.12),          # alpha
}
WAVE_CHANGES = ("speed", "pitch", "reverb", "tilt", "noise")


def _clip(clip: object, function: str) -> np.ndarray:
    return audio_lib._audio(clip, function).astype(np.float32)


def change_speed(clip: np.ndarray, factor: float) -> np.ndarray:
    """Play `clip` (T,) `factor` times faster: (T,) → (round(T / factor),) float32.

    Tempo and pitch rise together (pitch by 12·log2(factor) semitones), as in the speed
    perturbation of speech recognisers; done by resampling to SAMPLE_RATE / factor Hz and
    reading the result at SAMPLE_RATE.
    """
    import librosa

    array = _clip(clip, "change_speed")
    if not factor > 0:
        raise ValueError(f"change_speed: factor must be > 0 (1 = unchanged), got {factor!r}")
    target = round(SAMPLE_RATE / factor)
    if target == SAMPLE_RATE or array.size == 0:
        return array.copy()
    return librosa.resample(array, orig_sr=SAMPLE_RATE, target_sr=target).astype(np.float32)


def shift_pitch(clip: np.ndarray, semitones: float) -> np.ndarray:
    """Raise the pitch by `semitones` (negative: lower), keeping the duration: (T,) → (T,).

    `librosa.effects.pitch_shift` (a phase vocoder, then resampling), with frames of 256
    samples (32 ms) as the features use.
    """
    import librosa

    array = _clip(clip, "shift_pitch")
    if semitones == 0 or array.size < audio_lib.N_FFT:
        return array.copy()
    return librosa.effects.pitch_shift(array, sr=SAMPLE_RATE, n_steps=float(semitones),
                                       n_fft=audio_lib.N_FFT, hop_length=64
                                       ).astype(np.float32)


def room_response(rt60: float, rng: audio_lib.Rng = None) -> np.ndarray:
    """A synthetic room impulse response: (int(rt60 · SAMPLE_RATE),) float32, unit energy.

    The direct sound (1 at t = 0) followed by Gaussian noise whose envelope falls by
    60 dB in `rt60` seconds, exp(−6.9·t / rt60): a simple model of a room's echoes.
    """
    if not rt60 > 0:
        raise ValueError(f"room_response: rt60 must be > 0 seconds, got {rt60!r}")
    size = max(int(rt60 * SAMPLE_RATE), 1)
    t = np.arange(size) / SAMPLE_RATE
    response = default_rng(rng).standard_normal(size) * np.exp(-6.9 * t / rt60)
    response[0] = 1.0
    return (response / np.sqrt(np.sum(response ** 2))).astype(np.float32)


def add_reverb(clip: np.ndarray, rt60: float, rng: audio_lib.Rng = None) -> np.ndarray:
    """`clip` (T,) as heard in a room of reverberation time `rt60` seconds:
    (T,) → (T + len(response) // 2,) float32, the echo's first half kept as a tail."""
    import scipy.signal

    array = _clip(clip, "add_reverb")
    response = room_response(rt60, rng)
    wet = scipy.signal.fftconvolve(array, response)
    return wet[:len(array) + len(response) // 2].astype(np.float32)


def tilt(clip: np.ndarray, coefficient: float) -> np.ndarray:
    """A first-order filter y[t] = x[t] − c·x[t−1]: (T,) → (T,) float32.

    c > 0 lifts the high frequencies (as a thin microphone), c < 0 the low ones; |c| < 1.
    """
    import scipy.signal

    array = _clip(clip, "tilt")
    if not -1 < coefficient < 1:
        raise ValueError(f"tilt: coefficient must lie in (-1, 1), got {coefficient!r}")
    return scipy.signal.lfilter([1.0, -coefficient], [1.0], array).astype(np.float32)


def augment_clip(clip: np.ndarray, rng: audio_lib.Rng = None, p: float = 0.7,
                 changes: tuple[str, ...] = WAVE_CHANGES) -> np.ndarray:
    """Each change of `changes` (names of STRENGTHS) with probability `p`, its strength
    drawn uniformly from STRENGTHS, in the order of WAVE_CHANGES; then peak-normalised:
    (T,) → (T',) float32."""
    unknown = sorted(set(changes) - set(WAVE_CHANGES))
    if unknown:
        raise ValueError(f"augment_clip: changes must be among {WAVE_CHANGES}, got {unknown}")
    rng = default_rng(rng)
    array = _clip(clip, "augment_clip")
    for name in WAVE_CHANGES:
        if name not in changes or rng.random() >= p:
            continue
        strength = rng.uniform(*STRENGTHS[name])
        if name == "speed":
            array = change_speed(array, strength)
        elif name == "pitch":
            array = shift_pitch(array, strength)
        elif name == "reverb":
            array = add_reverb(array, strength, rng)
        elif name == "tilt":
            array = tilt(array, strength)
        else:
            array = audio_lib.add_noise(array, strength, rng)
    return audio_lib.normalize_peak(array)


def warp_bands(frames: np.ndarray, alpha: float) -> np.ndarray:
    """Stretch the mel axis by `alpha` (vocal tract length perturbation): (F, M) → (F, M).

    Band m of the result reads band m / alpha of the input (linear interpolation, the top
    band repeated past the edge): alpha > 1 moves the formants to higher bands, as a
    shorter vocal tract does, alpha < 1 to lower ones.
    """
    array = np.asarray(frames, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"warp_bands: expected frames (F, M), got shape {array.shape}")
    if not alpha > 0:
        raise ValueError(f"warp_bands: alpha must be > 0 (1 = unchanged), got {alpha!r}")
    bands = np.arange(array.shape[1])
    source = np.clip(bands / alpha, 0, array.shape[1] - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, array.shape[1] - 1)
    weight = (source - low).astype(np.float32)
    return array[:, low] * (1 - weight) + array[:, high] * weight


def mask_spectrogram(frames: np.ndarray, length: int, rng: audio_lib.Rng = None,
                     max_bands: int = 6, max_frames: int = 10, masks: int = 2) -> np.ndarray:
    """SpecAugment's masks: `masks` times, up to `max_bands` neighbouring mel bands and up to
    `max_frames` neighbouring frames (within the first `length`) set to 0 (the mean of
    normalised features): (F, M) → (F, M) float32, a copy."""
    rng = default_rng(rng)
    out = np.array(frames, dtype=np.float32)
    if out.ndim != 2:
        raise ValueError(f"mask_spectrogram: expected frames (F, M), got shape {out.shape}")
    count, bands = out.shape
    length = min(int(length), count)
    for _ in range(masks):
        width = int(rng.integers(0, max_bands + 1))
        start = int(rng.integers(0, bands - width + 1))
        out[:, start:start + width] = 0
        width = int(rng.integers(0, min(max_frames, length) + 1))
        start = int(rng.integers(0, length - width + 1))
        out[start:start + width] = 0
    return out
