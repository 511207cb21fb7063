"""Speech augmentation: each change does what it says, measured on clips whose answer is
known (a sine's pitch, a clip's length, white noise's spectrum), and the same seed gives
the same clip."""

import numpy as np
import pytest

from mmkit.data import augment
from mmkit.data.audio import SAMPLE_RATE

SECOND = np.arange(SAMPLE_RATE) / SAMPLE_RATE


def sine(hz: float) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * SECOND)).astype(np.float32)


def peak_hz(clip: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(len(clip))))
    return float(np.fft.rfftfreq(len(clip), 1 / SAMPLE_RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("factor", [0.8, 1.25, 2.0])
def test_change_speed_shortens_the_clip_and_raises_the_pitch_together(factor):
    out = augment.change_speed(sine(400), factor)
    assert out.dtype == np.float32
    assert len(out) == round(SAMPLE_RATE / factor)
    assert peak_hz(out) == pytest.approx(400 * factor, rel=0.02)


def test_change_speed_by_one_is_a_copy_and_refuses_a_factor_of_zero():
    clip = sine(300)
    out = augment.change_speed(clip, 1.0)
    assert np.array_equal(out, clip) and out is not clip
    with pytest.raises(ValueError, match="factor must be > 0"):
        augment.change_speed(clip, 0)


@pytest.mark.parametrize("semitones", [-3.0, 3.0, 12.0])
def test_shift_pitch_moves_the_pitch_and_keeps_the_length(semitones):
    out = augment.shift_pitch(sine(300), semitones)
    assert len(out) == SAMPLE_RATE
    assert peak_hz(out) == pytest.approx(300 * 2 ** (semitones / 12), rel=0.03)


def test_a_room_response_has_unit_energy_and_dies_away():
    response = augment.room_response(0.3, rng=0)
    assert len(response) == int(0.3 * SAMPLE_RATE)
    assert np.sum(response ** 2) == pytest.approx(1.0, rel=1e-5)
    tenth = len(response) // 10
    assert np.sum(response[-tenth:] ** 2) < 1e-4 * np.sum(response[1:tenth + 1] ** 2)
    assert np.array_equal(response, augment.room_response(0.3, rng=0))
    with pytest.raises(ValueError, match="rt60 must be > 0"):
        augment.room_response(0.0)


def test_reverb_adds_a_tail_of_half_the_response():
    clip = sine(200)[:4000]
    out = augment.add_reverb(clip, 0.2, rng=1)
    assert len(out) == 4000 + int(0.2 * SAMPLE_RATE) // 2
    assert np.abs(out[4000:]).max() > 0.01      # the room still rings after the word
    assert np.array_equal(out, augment.add_reverb(clip, 0.2, rng=1))


def test_tilt_brightens_or_darkens_white_noise():
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32)

    def high_share(clip):
        power = np.abs(np.fft.rfft(clip)) ** 2
        return power[len(power) // 2:].sum() / power.sum()

    assert high_share(augment.tilt(noise, 0.8)) > 0.8 > high_share(noise) + 0.2
    assert high_share(augment.tilt(noise, -0.8)) < 0.2
    assert np.allclose(augment.tilt(noise, 0.0), noise)
    with pytest.raises(ValueError, match=r"coefficient must lie in \(-1, 1\)"):
        augment.tilt(noise, 1.0)


def test_augment_clip_is_reproducible_from_its_seed():
    clip = sine(250)[:5000]
    first = augment.augment_clip(clip, rng=3)
    assert np.array_equal(first, augment.augment_clip(clip, rng=3))
    assert not np.array_equal(first, augment.augment_clip(clip, rng=4))
    assert np.abs(first).max() == pytest.approx(0.95, rel=1e-5)   # peak-normalised


def test_augment_clip_with_p_zero_only_normalises():
    clip = sine(250)[:5000]
    out = augment.augment_clip(clip, rng=0, p=0.0)
    assert np.allclose(out, clip * (0.95 / np.abs(clip).max()), atol=1e-6)


def test_augment_clip_names_an_unknown_change():
    with pytest.raises(ValueError, match="changes must be among"):
        augment.augment_clip(sine(250), changes=("echo",))


def test_warp_bands_moves_a_formant_up_or_down():
    frames = np.zeros((3, 40), dtype=np.float32)
    frames[:, 10] = 1.0
    assert np.array_equal(augment.warp_bands(frames, 1.0), frames)
    assert np.argmax(augment.warp_bands(frames, 1.2)[0]) == 12
    assert np.argmax(augment.warp_bands(frames, 0.8)[0]) == 8
    with pytest.raises(ValueError, match=r"expected frames \(F, M\)"):
        augment.warp_bands(frames[0], 1.1)


def test_masks_zero_whole_bands_and_frames_within_the_clip_only():
    frames = np.ones((101, 40), dtype=np.float32)
    out = augment.mask_spectrogram(frames, 50, rng=2, max_bands=6, max_frames=10, masks=2)
    assert np.all(frames == 1)                     # the input is left alone
    bands = np.flatnonzero(np.all(out == 0, axis=0))
    assert len(bands) <= 12
    masked_frames = np.flatnonzero(np.all(out == 0, axis=1))
    assert np.all(masked_frames < 50)
    zeros = out == 0
    assert np.array_equal(zeros, np.logical_or(zeros.all(axis=0, keepdims=True),
                                               zeros.all(axis=1, keepdims=True)))
