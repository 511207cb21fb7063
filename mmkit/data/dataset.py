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
"""

import csv
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
    # standard: each modality alone reaches roughly 50–80% with a linear baseline
    # (benchmarks/results/mmdigits_calibration.md), all three together clearly more
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
        self._prepare_images(rows)
        self._prepare_audio()
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

    def _prepare_images(self, all_rows: list[dict]) -> None:
        images, _ = image_lib.load_digit_images([row["image"] for row in self.rows])
        degraded = []
        for row, picture in zip(self.rows, images, strict=True):
            picture = picture[None]
            if self._degrade("image", row):
                rng = _sample_rng(self.seed, row["sample"], 1)
                if self.preset.image_occlusion:
                    picture = image_lib.occlude(picture, self.preset.image_occlusion, rng)
                picture = np.clip(image_lib.add_noise(picture, self.preset.image_noise, rng), 0, 1)
            degraded.append(picture[0])
        self.images_8x8 = np.stack(degraded).astype(np.float32)
        # normalise with the training split's clean statistics, whatever split this is
        train, _ = image_lib.load_digit_images([r["image"] for r in all_rows
                                                if r["split"] == "train"])
        normalizer = image_lib.ImageNormalizer().fit(image_lib.resize(train, IMAGE_SIZE))
        self.images = normalizer.transform(image_lib.resize(self.images_8x8, IMAGE_SIZE))

    def _prepare_audio(self) -> None:
        length = int(AUDIO_SECONDS * audio_lib.SAMPLE_RATE)
        features, lengths, waves = [], [], []
        for row in self.rows:
            wave = audio_lib.load_audio(self.folder / row["clip"])
            wave = audio_lib.normalize_peak(wave)
            if self.preset.snr_db is not None and self._degrade("audio", row):
                wave = audio_lib.add_noise(wave, self.preset.snr_db,
                                           _sample_rng(self.seed, row["sample"], 2))
            waves.append(wave)
            frames = audio_lib.log_mel(audio_lib.pad_or_truncate(wave, length)).T
            lengths.append(min(audio_lib.n_frames(len(wave)), len(frames)))
            features.append(frames)
        self.waves = waves
        self.audio = np.stack(features).astype(np.float32)
        self.audio_lengths = np.array(lengths, dtype=np.int64)

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
        image (1, 28, 28) float32            normalised with training statistics
        audio (101, 40) float32              log-mel frames (1 s, padded), audio_length int64
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
