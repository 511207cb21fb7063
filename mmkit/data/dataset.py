"""The mmdigits data set as a torch `Dataset`: an image, a spoken clip and a clue per sample.

    data = MMDigits("train", preset="standard")
    sample = data[0]             # a dict of tensors, see MMDigits.__getitem__
    loader = DataLoader(data, batch_size=32, shuffle=True, collate_fn=collate)

The files (data/mmdigits, see `mmkit.data.build`) are clean; a difficulty
preset degrades them when they are loaded, the same way every time for a
given seed: noise and occlusion on the images, noise at a signal-to-noise
ratio on the audio, and clues drawn at lower levels of information. Each
modality can also be dropped (missing) or left clean with a probability, for
the notebooks on fusion and on missing data.

Every split is normalised with statistics of the *training* split as the model
sees it (degraded by the same preset, seed and `corrupt`): the 28×28 images with
one mean and standard deviation over all training pixels (`image.ImageNormalizer`),
the log-mel frames per mel band (`audio.LogMelNormalizer`). The clip's noise covers
the whole one-second window (`audio.pad_and_add_noise`), so the padding after a word
is not silent and does not give away its length; `audio_length`, which says how many
frames hold the clip (for packing sequences), does: a classifier on it alone beats
chance (notebook 10, section 3).

What the data cannot promise: the images are scikit-learn's digits, written by 13
people with no writer ids, so the image part of a split is not writer-independent
(the voices are: no voice is in two splits).
"""

import csv
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from mmkit.data import audio as audio_lib
from mmkit.data import image as image_lib
from mmkit.data import text as text_lib
from mmkit.data.language import LEVELS, make_clue
from mmkit.paths import dataset_dir
from mmkit.validate import lookup

MODALITIES = ("text", "image", "audio")
SPLITS = ("train", "val", "test")
IMAGE_SIZE = 28
AUDIO_SECONDS = 1.0
WINDOW = int(AUDIO_SECONDS * audio_lib.SAMPLE_RATE)  # samples in the one-second window
TEXT_LENGTH = 16


@dataclass(frozen=True)
class Preset:
    """How much each modality is degraded when loaded.

    image_noise: std of Gaussian noise on pixels in [0, 1]; image_occlusion:
    side of the square blanked out, in pixels of the 8×8 image (0: none);
    snr_db: signal-to-noise ratio of the white noise mixed into the audio
    (None: clean); clue_levels: probability of each clue level (exact,
    arithmetic, partial, none); typo_rate: chance of a typo per letter.
    """

    name: str
    image_noise: float
    image_occlusion: int
    snr_db: float | None
    clue_levels: dict[str, float] = field(default_factory=dict)
    typo_rate: float = 0.0

    def __post_init__(self):
        if set(self.clue_levels) != set(LEVELS) or not np.isclose(
                sum(self.clue_levels.values()), 1.0):
            raise ValueError(f"clue_levels must give a probability for each of {LEVELS} "
                             f"summing to 1, got {self.clue_levels}")


PRESETS = {
    "easy": Preset("easy", image_noise=0.1, image_occlusion=0, snr_db=20.0,
                   clue_levels={"exact": 0.4, "arithmetic": 0.3, "partial": 0.2, "none": 0.1}),
    # standard: each modality alone reaches roughly 50–80% with a linear baseline on the
    # validation split (benchmarks/results/mmdigits_calibration.md), all three clearly more
    "standard": Preset("standard", image_noise=0.4, image_occlusion=3, snr_db=-6.0,
                       clue_levels={"exact": 0.5, "arithmetic": 0.1, "partial": 0.25,
                                    "none": 0.15}, typo_rate=0.03),
    "hard": Preset("hard", image_noise=0.6, image_occlusion=4, snr_db=-10.0,
                   clue_levels={"exact": 0.25, "arithmetic": 0.1, "partial": 0.3, "none": 0.35},
                   typo_rate=0.06),
}


def get_preset(preset: str | Preset) -> Preset:
    """A `Preset` from itself or its name in `PRESETS`."""
    return preset if isinstance(preset, Preset) else lookup(preset, PRESETS, "preset")


def read_samples(folder: Path | None = None) -> list[dict]:
    """The rows of samples.csv: sample, split, digit, image, clip."""
    with open((folder or dataset_dir()) / "samples.csv", newline="") as f:
        return [{"sample": int(row["sample"]), "split": row["split"], "digit": int(row["digit"]),
                 "image": int(row["image"]), "clip": row["clip"]} for row in csv.DictReader(f)]


def read_clips(folder: Path | None = None) -> list[dict]:
    """The rows of clips.csv: file, digit, voice, accent, variant, speed, pitch, split, sha256."""
    with open((folder or dataset_dir()) / "clips.csv", newline="") as f:
        return list(csv.DictReader(f))


@functools.lru_cache(maxsize=4096)
def _clean_clip(path: Path) -> np.ndarray:
    """A clip file read at 8 kHz and peak-normalised: (T,) float32, read-only, cached (the
    files never change, and every split and preset starts from them)."""
    wave = audio_lib.normalize_peak(audio_lib.load_audio(path))
    wave.flags.writeable = False
    return wave


#: Training-split normalisers already fitted, by (folder, preset, seed, corrupt): building a
#: validation or test split reuses the ones its training split was (or would be) given.
_TRAINING_NORMALIZERS: dict[tuple, tuple[image_lib.ImageNormalizer,
                                         audio_lib.LogMelNormalizer]] = {}


def _frames_and_lengths(windows: np.ndarray, clips: list[np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The one-second windows (N, WINDOW) of `clips` → (log-mel frames in dB (N, 101, 40),
    time first; lengths (N,) int64: the frames that hold each clip)."""
    lengths = np.array([min(audio_lib.n_frames(len(clip)), audio_lib.n_frames(WINDOW))
                        for clip in clips], dtype=np.int64)
    frames = audio_lib.log_mel_batch(windows).transpose(0, 2, 1)  # (N, F, M): time first
    return np.ascontiguousarray(frames), lengths


def _sample_rng(seed: int, sample: int, stream: int) -> np.random.Generator:
    """An independent generator per (seed, sample, what for): loading order never matters."""
    return np.random.default_rng([seed, sample, stream])


def _probabilities(given: dict[str, float] | None, name: str) -> dict[str, float]:
    given = dict(given or {})
    unknown = set(given) - set(MODALITIES)
    if unknown:
        raise ValueError(f"{name}: expected keys among {MODALITIES}, got {sorted(unknown)}")
    for key, p in given.items():
        if not 0 <= p <= 1:
            raise ValueError(f"{name}[{key!r}] must be a probability in [0, 1], got {p!r}")
    return given


class MMDigits(Dataset):
    """One split of mmdigits, preprocessed and degraded by a preset; items are dicts of tensors.

    missing: probability per modality that it is absent from a sample (its
    tensors are zeros and `present` says so); corrupt: probability per
    modality that the preset's degradation applies (default 1: always).

    Attributes (N samples): `labels` (N,); `clues`, `clean_clues` (N strings);
    `images_8x8` (N, 8, 8) degraded, in [0, 1]; `images` (N, 28, 28) resized and
    normalised; `waves` (N, 8000) float32, the one-second window the model hears (noise
    over all of it); `audio` (N, 101, 40) log-mel frames, normalised per band;
    `audio_lengths` (N,) frames that hold the clip; `image_normalizer` and
    `audio_normalizer`, fitted on the training split under the same preset, seed and
    `corrupt` (the same objects for every split).
    """

    def __init__(self, split: str = "train", preset: str | Preset = "standard", seed: int = 0,
                 missing: dict[str, float] | None = None,
                 corrupt: dict[str, float] | None = None, folder: Path | None = None):
        self.split = lookup(split, SPLITS, "split")
        self.preset, self.seed = get_preset(preset), seed
        self.missing = _probabilities(missing, "missing")
        self.corrupt = {key: 1.0 for key in MODALITIES} | _probabilities(corrupt, "corrupt")
        self.folder = folder or dataset_dir()
        rows = read_samples(self.folder)
        self.rows = [row for row in rows if row["split"] == split]
        self.labels = np.array([row["digit"] for row in self.rows], dtype=np.int64)
        self.clues = [self._clue(row) for row in self.rows]
        self.images_8x8 = self._degraded_images(self.rows)
        self.waves, log_mels, self.audio_lengths = self._degraded_audio(self.rows)
        own = (self.images_8x8, log_mels, self.audio_lengths) if split == "train" else None
        self.image_normalizer, self.audio_normalizer = self._training_normalizers(rows, own)
        self.images = self.image_normalizer.transform(image_lib.resize(self.images_8x8,
                                                                       IMAGE_SIZE))
        self.audio = self.audio_normalizer.transform(log_mels)
        self._prepare_text()
        self.present = self._presence()

    # --- each modality, prepared once -------------------------------------------------
    def _degrade(self, modality: str, row: dict) -> bool:
        return _sample_rng(self.seed, row["sample"], 10 + MODALITIES.index(modality)).random() \
            < self.corrupt[modality]

    def _clue(self, row: dict):
        rng = _sample_rng(self.seed, row["sample"], 0)
        levels = self.preset.clue_levels if self._degrade("text", row) else {"exact": 1.0}
        level = rng.choice(list(levels), p=list(levels.values()))
        return make_clue(row["digit"], str(level), rng, typo_rate=self.preset.typo_rate)

    def _degraded_images(self, rows: list[dict]) -> np.ndarray:
        """The rows' 8×8 scans with the preset's occlusion and noise: (N, 8, 8) float32."""
        images, _ = image_lib.load_digit_images([row["image"] for row in rows])
        degraded = [np.zeros((0, 8, 8), dtype=np.float32)]
        for row, picture in zip(rows, images, strict=True):
            picture = picture[None]
            if self._degrade("image", row):
                rng = _sample_rng(self.seed, row["sample"], 1)
                if self.preset.image_occlusion:
                    picture = image_lib.occlude(picture, self.preset.image_occlusion, rng)
                picture = np.clip(image_lib.add_noise(picture, self.preset.image_noise, rng), 0, 1)
            degraded.append(picture)
        return np.concatenate(degraded).astype(np.float32)

    def _degraded_audio(self, rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows' clips in a one-second window with the preset's noise over all of it →
        (windows (N, 8000) float32, log-mel frames in dB (N, 101, 40), lengths (N,) int64)."""
        windows = np.zeros((len(rows), WINDOW), dtype=np.float32)
        clips = []
        for i, row in enumerate(rows):
            clip = _clean_clip(self.folder / row["clip"])
            clips.append(clip)
            if self.preset.snr_db is not None and self._degrade("audio", row):
                windows[i] = audio_lib.pad_and_add_noise(
                    clip, WINDOW, self.preset.snr_db, _sample_rng(self.seed, row["sample"], 2))
            else:  # clean: the padding stays silent
                windows[i] = audio_lib.pad_or_truncate(clip, WINDOW)
        return (windows, *_frames_and_lengths(windows, clips))

    def _training_normalizers(self, all_rows: list[dict], own: tuple | None
                              ) -> tuple[image_lib.ImageNormalizer, audio_lib.LogMelNormalizer]:
        """The normalisers fitted on the training split as degraded here (same preset, seed,
        corrupt): the pixels of its 28×28 images; each mel band over its clips' frames (the
        first `audio_length` of each, the frames a sequence model reads). Computed once per
        (folder, preset, seed, corrupt); `own`: the training split's features, if this is it."""
        key = (str(self.folder), repr(self.preset), self.seed,
               tuple(sorted(self.corrupt.items())))
        if key not in _TRAINING_NORMALIZERS:
            if own is None:
                train_rows = [row for row in all_rows if row["split"] == "train"]
                _, log_mels, lengths = self._degraded_audio(train_rows)
                own = (self._degraded_images(train_rows), log_mels, lengths)
            images, log_mels, lengths = own
            _TRAINING_NORMALIZERS[key] = (
                image_lib.ImageNormalizer().fit(image_lib.resize(images, IMAGE_SIZE)),
                audio_lib.LogMelNormalizer().fit(log_mels, lengths))
        return _TRAINING_NORMALIZERS[key]

    def _prepare_text(self) -> None:
        # lower-case and drop stop words; keep digits and symbols: "3 + 4" is the answer here
        cleaned = [text_lib.clean_text(clue.text, digits=False, punctuation=False)
                   for clue in self.clues]
        self.clean_clues = cleaned
        self.text_ids, self.text_mask = text_lib.encode_bert(cleaned, TEXT_LENGTH)
        self.vocab = text_lib.digit_vocab()
        self.word_ids, self.word_mask = self.vocab.encode(cleaned, TEXT_LENGTH)

    def _presence(self) -> np.ndarray:
        present = np.ones((len(self.rows), len(MODALITIES)), dtype=bool)
        for i, row in enumerate(self.rows):
            rng = _sample_rng(self.seed, row["sample"], 3)
            for j, modality in enumerate(MODALITIES):
                present[i, j] = rng.random() >= self.missing.get(modality, 0.0)
        present[:, 0] &= self.text_mask.any(axis=1)  # a clue cleaned away to nothing is missing
        return present

    # --- the Dataset interface ------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        """One sample:

        text_ids, text_mask (16,) int64      BERT WordPiece ids and attention mask
        word_ids (16,) int64, word_mask (16,) bool   the word vocabulary's encoding
        image (1, 28, 28) float32            normalised with the (degraded) training
                                             images' mean and std
        audio (101, 40) float32              log-mel frames of the 1 s window, each band
                                             normalised with training statistics;
                                             audio_length int64: frames holding the clip
        An absent modality (`present` False) is all zeros: for image and audio, the
        training mean once normalised.
        label int64, present (3,) bool       which of text, image, audio are there
        """
        present = self.present[i]
        item = {
            "text_ids": torch.from_numpy(self.text_ids[i] * present[0]),
            "text_mask": torch.from_numpy(self.text_mask[i] * present[0]),
            "word_ids": torch.from_numpy(self.word_ids[i] * present[0]),
            "word_mask": torch.from_numpy(self.word_mask[i] & present[0]),
            "image": torch.from_numpy(self.images[i][None] * present[1]),
            "audio": torch.from_numpy(self.audio[i] * present[2]),
            "audio_length": torch.tensor(self.audio_lengths[i] if present[2] else 0),
            "label": torch.tensor(self.labels[i]),
            "present": torch.from_numpy(present.copy()),
            "index": torch.tensor(i),
        }
        return item

    def with_preset(self, **changes) -> "MMDigits":
        """The same split and seed with some preset fields changed (e.g. snr_db=0)."""
        return MMDigits(self.split, replace(self.preset, **changes), self.seed, self.missing,
                        self.corrupt, self.folder)


class AudioFolder(Dataset):
    """Recordings named `{digit}_{anything}.wav` (or .flac), e.g. your own voice or the Free
    Spoken Digit Dataset, as mmdigits samples that hold only the audio modality.

        train_clips = AudioFolder("my_recordings/train")
        val_clips = AudioFolder("my_recordings/val", normalizer=train_clips.audio_normalizer)
        model = Classifier(AudioLSTM())
        fit_classifier(model, collate(list(train_clips)), collate(list(val_clips)))

    Each file is read by `audio.load_folder` (any sample rate and channel count: resampled
    to 8 kHz, mixed to mono; a bad file raises naming it, or with `skip_bad=True` is left
    out with a warning), peak-normalised, and prepared as `MMDigits` prepares its clips:
    padded or cut to the one-second window (a longer recording keeps its first second),
    log-mel frames (101, 40), `audio_length` the frames that hold the clip. The frames are
    normalised per band by `normalizer`, a fitted `audio.LogMelNormalizer`: give a
    training set's (`audio_normalizer`) to a validation or test folder; without one, the
    folder is taken as training data and one is fitted on its own clips.

    Items have the keys of `MMDigits.__getitem__`, so `collate`, the encoders and the
    trainer take them unchanged: text and image all zeros, `present` (False, False, True).
    Attributes: `paths`, `labels` (N,), `waves` (N, 8000), `audio` (N, 101, 40),
    `audio_lengths` (N,), `audio_normalizer`.
    """

    def __init__(self, folder: str | Path, normalizer: audio_lib.LogMelNormalizer | None = None,
                 skip_bad: bool = False):
        loaded = audio_lib.load_folder(folder, skip_bad=skip_bad)
        self.paths = [path for _, path, _ in loaded]
        self.labels = np.array([label for label, _, _ in loaded], dtype=np.int64)
        if self.labels.max() >= 10:
            bad = [p.name for p, label in zip(self.paths, self.labels, strict=True) if label >= 10]
            raise ValueError(f"{folder}: expected file names starting with a digit 0-9 and an "
                             f"underscore, got {bad[:3]}")
        clips = [audio_lib.normalize_peak(wave) for _, _, wave in loaded]
        self.waves = np.stack([audio_lib.pad_or_truncate(clip, WINDOW) for clip in clips])
        log_mels, self.audio_lengths = _frames_and_lengths(self.waves, clips)
        if normalizer is None:
            normalizer = audio_lib.LogMelNormalizer().fit(log_mels, self.audio_lengths)
        self.audio_normalizer = normalizer
        self.audio = normalizer.transform(log_mels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        """One recording, with the keys of `MMDigits.__getitem__` (only audio present)."""
        batch = audio_only_batch(self.audio[i:i + 1], self.audio_lengths[i:i + 1],
                                 self.labels[i:i + 1], index=np.array([i]))
        return {key: value[0] for key, value in batch.items()}


def audio_only_batch(audio: np.ndarray, lengths: np.ndarray, labels: np.ndarray | None = None,
                     index: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Normalised log-mel frames (N, T, 40) and their lengths (N,) → a batch with the keys
    of `collate` in which only audio is present: text and image all zeros, `present`
    (False, False, True) on every row, labels −1 when not given, index 0..N−1 by default."""
    n = len(audio)
    tokens = torch.zeros(n, TEXT_LENGTH, dtype=torch.int64)
    return {"text_ids": tokens, "text_mask": tokens.clone(), "word_ids": tokens.clone(),
            "word_mask": torch.zeros(n, TEXT_LENGTH, dtype=torch.bool),
            "image": torch.zeros(n, 1, IMAGE_SIZE, IMAGE_SIZE),
            "audio": torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)),
            "audio_length": torch.as_tensor(np.asarray(lengths), dtype=torch.int64),
            "label": torch.as_tensor(np.full(n, -1) if labels is None else labels,
                                     dtype=torch.int64),
            "present": torch.tensor([[False, False, True]] * n, dtype=torch.bool).reshape(n, 3),
            "index": torch.arange(n) if index is None else torch.as_tensor(index)}


def collate(batch: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Stack a list of samples into a batch; audio is cut to the longest clip in the batch.

    Keys as in `MMDigits.__getitem__`, each with a leading batch dimension B;
    audio becomes (B, T_max, 40) with T_max = max(audio_length) (at least 1).
    """
    if not batch:
        raise ValueError("collate: got an empty batch")
    out = {key: torch.stack([sample[key] for sample in batch]) for key in batch[0]}
    longest = max(int(out["audio_length"].max()), 1)
    out["audio"] = out["audio"][:, :longest]
    return out
