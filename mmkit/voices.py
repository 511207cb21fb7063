"""Real voices: the audio model trained on synthetic speech, tested on people, and mended.

The kit's spoken digits are synthetic. A model that reads them perfectly can still fail
on a person: the voices, the room and the microphone differ (a *domain shift*). Here the
audio model (`encoders.AudioLSTM`) is trained on synthetic clips by a `Recipe`, tested
on real recordings (`data/realspeech`, or any folder of `{digit}_*.wav`), and adapted to
a speaker with a few of their clips:

    model = train_voice_model(RECIPES["+ augmentation"], seed=0)
    clips, labels = real_clips()                  # 500 real recordings, one speaker
    model.accuracy(clips, labels)
    use, rest = adaptation_split(labels, k=50, seed=0)
    adapted = adapt(model, [clips[i] for i in use], labels[use], seed=0)
    adapted.accuracy([clips[i] for i in rest], labels[rest])   # never the clips adapted on

The ingredients, added one at a time in RECIPES (`benchmarks/results/real_voices.md`
measures each):

    synthetic only         mmdigits' eSpeak clips as `MMDigits` prepares them: the clip in
                           a one-second window, log-mel frames, each band scaled by the
                           training split's statistics
    + trim and mean norm.  silence cut from both ends (recordings start and stop anywhere),
                           and each clip's own mean removed from each band: a microphone or
                           a room that colours the sound adds a constant to a band's
                           decibels, and the clip's mean takes it away (cepstral mean
                           normalisation)
    + more voices          the Flite and Festival voices of `data/voices`, made from real
                           speakers' recordings, beside eSpeak's rule-made ones
    + augmentation         each training clip also in `copies` changed versions
                           (`augment.augment_clip`: speed, pitch, room, microphone, noise),
                           their mel bands warped and masked (`augment.warp_bands`,
                           `augment.mask_spectrogram`)

Choices are made without the real recordings: each model keeps its last epoch, and the
validation split of mmdigits (16 eSpeak voices never trained on) is reported beside it.
"""

import copy
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from mmkit.data import audio as audio_lib
from mmkit.data import augment
from mmkit.data.dataset import WINDOW, _frames_and_lengths, audio_only_batch, read_clips
from mmkit.models.encoders import AudioLSTM, Classifier, fit_classifier, predict
from mmkit.paths import dataset_dir, realspeech_dir, voices_dir
from mmkit.validate import check_count, default_rng

TRIM_DB = 30          # silence: quieter than the clip's loudest frame by more than this


@dataclass(frozen=True)
class Recipe:
    """How the synthetic training set is prepared, and how long the model trains.

    trim: cut silence from both ends; mean_normalize: remove each clip's mean per band;
    voices: add data/voices to eSpeak's clips; copies: augmented versions of each training
    clip (0: none); epochs, hidden: the training length and the LSTM's size.
    """

    trim: bool = True
    mean_normalize: bool = True
    voices: bool = True
    copies: int = 2
    epochs: int = 8
    hidden: int = 128


#: Each ingredient added to the one before (the order of the table in real_voices.md).
RECIPES = {
    "synthetic only": Recipe(trim=False, mean_normalize=False, voices=False, copies=0,
                             epochs=12),
    "+ trim and mean normalisation": Recipe(voices=False, copies=0, epochs=12),
    "+ more voices": Recipe(copies=0, epochs=12),
    "+ augmentation": Recipe(),
}


# --- clips ----------------------------------------------------------------------------------

def synthetic_clips(split: str = "train", voices: bool = False
                    ) -> tuple[list[np.ndarray], np.ndarray]:
    """The clean mmdigits clips of `split` (eSpeak NG), with data/voices' clips too if
    `voices` (those are for training only) → (clips, each (T,) float32; labels (N,) int64)."""
    rows = [row for row in read_clips() if row["split"] == split]
    clips = [audio_lib.load_audio(dataset_dir() / row["file"]) for row in rows]
    labels = [int(row["digit"]) for row in rows]
    if voices:
        for label, _, clip in audio_lib.load_folder(voices_dir() / "audio"):
            clips.append(clip)
            labels.append(label)
    return clips, np.array(labels, dtype=np.int64)


def real_clips(folder: str | Path | None = None, skip_bad: bool = False
               ) -> tuple[list[np.ndarray], np.ndarray]:
    """Real recordings named `{digit}_*.wav` (default data/realspeech: 500 clips of one
    speaker) → (clips, each (T,) float32 at 8 kHz; labels (N,) int64), in file-name order."""
    loaded = audio_lib.load_folder(folder or realspeech_dir(), skip_bad=skip_bad)
    return [clip for _, _, clip in loaded], np.array([label for label, _, _ in loaded])


def adaptation_split(labels: np.ndarray, k: int, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Choose k clips to adapt on, k / 10 of each digit, at random → (indices to adapt on
    (k,), the other indices (N − k,)), both sorted. Test on the others only."""
    labels = np.asarray(labels)
    k = check_count(k, "adaptation_split: k", minimum=1)
    digits = np.unique(labels)
    if k % len(digits):
        raise ValueError(f"adaptation_split: k must be a multiple of {len(digits)} (the same "
                         f"number of clips of each digit), got {k}")
    rng = default_rng(seed)
    chosen = []
    for digit in digits:
        pool = np.flatnonzero(labels == digit)
        if len(pool) <= k // len(digits):
            raise ValueError(f"adaptation_split: digit {digit} has {len(pool)} clips; "
                             f"{k // len(digits)} to adapt on would leave none to test on")
        chosen.extend(rng.choice(pool, k // len(digits), replace=False))
    chosen = np.sort(np.array(chosen))
    return chosen, np.setdiff1d(np.arange(len(labels)), chosen)


# --- features -------------------------------------------------------------------------------

def frames(clips: list[np.ndarray], recipe: Recipe) -> tuple[np.ndarray, np.ndarray]:
    """clips → (log-mel frames in dB (N, 101, 40), lengths (N,)), prepared by `recipe`:
    trimmed if `recipe.trim`, peak-normalised, in the one-second window, and with each
    clip's own mean per band (over its `length` frames) removed if `recipe.mean_normalize`
    (the frames after `length` are then 0)."""
    if recipe.trim:
        clips = [audio_lib.trim_silence(clip, TRIM_DB) for clip in clips]
    clips = [audio_lib.normalize_peak(clip) for clip in clips]
    windows = np.stack([audio_lib.pad_or_truncate(clip, WINDOW) for clip in clips])
    log_mels, lengths = _frames_and_lengths(windows, clips)
    if recipe.mean_normalize:
        for clip, length in zip(log_mels, lengths, strict=True):
            clip[:length] -= clip[:length].mean(axis=0)
            clip[length:] = 0
    return log_mels, lengths


def _augmented(clips: list[np.ndarray], labels: np.ndarray, recipe: Recipe, seed: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The clips and `recipe.copies` augmented versions of each → (frames, lengths, labels,
    how many of them come first unchanged). Warping comes here, before normalisation."""
    rng = np.random.default_rng(seed)
    every = list(clips)
    for _ in range(recipe.copies):
        every += [augment.augment_clip(clip, rng) for clip in clips]
    log_mels, lengths = frames(every, recipe)
    for i in range(len(clips), len(every)):
        if rng.random() < 0.7:
            log_mels[i] = augment.warp_bands(log_mels[i], rng.uniform(*augment.STRENGTHS["warp"]))
    return log_mels, lengths, np.tile(labels, recipe.copies + 1), len(clips)


def _masked(audio: np.ndarray, lengths: np.ndarray, first: int, seed: int) -> np.ndarray:
    """SpecAugment masks on the augmented clips (from index `first`), after normalising."""
    rng = np.random.default_rng(seed + 1)
    out = audio.copy()
    for i in range(first, len(out)):
        if rng.random() < 0.7:
            out[i] = augment.mask_spectrogram(out[i], int(lengths[i]), rng)
    return out


# --- the model ------------------------------------------------------------------------------

@dataclass
class VoiceModel:
    """A trained audio classifier with the preparation it was trained with.

    classifier: `Classifier(AudioLSTM)`; normalizer: the per-band statistics of its
    training frames; recipe: how clips are prepared. `predict`, `probabilities` and
    `accuracy` take raw clips (each (T,) float32 at 8 kHz, any length).
    """

    classifier: Classifier
    normalizer: audio_lib.LogMelNormalizer
    recipe: Recipe

    def batch(self, clips: list[np.ndarray], labels: np.ndarray | None = None
              ) -> dict[str, torch.Tensor]:
        log_mels, lengths = frames(clips, self.recipe)
        return audio_only_batch(self.normalizer.transform(log_mels), lengths, labels)

    def probabilities(self, clips: list[np.ndarray]) -> np.ndarray:
        """(N, 10): the softmax of the classifier's logits for each clip."""
        self.classifier.eval()
        with torch.no_grad():
            logits = self.classifier(self.batch(clips))
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, clips: list[np.ndarray]) -> np.ndarray:
        """(N,) the predicted digit of each clip."""
        return predict(self.classifier, self.batch(clips)).numpy()

    def accuracy(self, clips: list[np.ndarray], labels: np.ndarray) -> float:
        return float(np.mean(self.predict(clips) == np.asarray(labels)))


def train_voice_model(recipe: Recipe = RECIPES["+ augmentation"], seed: int = 0,
                      progress: bool = False) -> tuple[VoiceModel, list[float]]:
    """Train the audio model on synthetic clips prepared by `recipe` → (the model after its
    last epoch, accuracy on mmdigits' validation clips after each epoch: epochs + 1
    values, the first before training). seed: the weights, the batch order, the
    augmentation. About a minute on one CPU thread with augmentation."""
    clips, labels = synthetic_clips("train", voices=recipe.voices)
    log_mels, lengths, labels, first = _augmented(clips, labels, recipe, seed)
    normalizer = audio_lib.LogMelNormalizer().fit(log_mels, lengths)
    audio = _masked(normalizer.transform(log_mels), lengths, first, seed)
    torch.manual_seed(seed)
    classifier = Classifier(AudioLSTM(hidden=recipe.hidden))
    model = VoiceModel(classifier, normalizer, recipe)
    val_clips, val_labels = synthetic_clips("val")
    history = fit_classifier(classifier, audio_only_batch(audio, lengths, labels),
                             model.batch(val_clips, val_labels), recipe.epochs, seed=seed,
                             keep_states=False, progress=progress)
    return model, [taken["val_accuracy"] for _, taken in history.snapshots]


def adapt(model: VoiceModel, clips: list[np.ndarray], labels: np.ndarray, epochs: int = 15,
          lr: float = 3e-3, copies: int = 10, rehearse: int = 1000, seed: int = 0
          ) -> VoiceModel:
    """Fine-tune a copy of `model` on a few clips of a new speaker (few-shot adaptation).

    It trains every weight, for `epochs`, at learning rate `lr`, on
    - the clips and `copies` augmented versions of each (k clips become k · (copies + 1)),
    - `rehearse` synthetic training clips drawn by the seed (rehearsal: practising the old
      voices too keeps the model from fitting the few new clips by heart).
    The features keep the synthetic training statistics (`model.normalizer`): nothing is
    fitted on the new speaker's clips beyond the weights. Returns the adapted copy; `model`
    is unchanged.
    """
    adapted = VoiceModel(copy.deepcopy(model.classifier), model.normalizer, model.recipe)
    recipe = replace(model.recipe, copies=copies)
    log_mels, lengths, every, first = _augmented(list(clips), np.asarray(labels), recipe, seed)
    audio = _masked(model.normalizer.transform(log_mels), lengths, first, seed)
    if rehearse:
        old, old_labels = synthetic_clips("train", voices=model.recipe.voices)
        chosen = np.random.default_rng(seed).choice(len(old), min(rehearse, len(old)),
                                                    replace=False)
        old_frames, old_lengths = frames([old[i] for i in chosen], model.recipe)
        audio = np.concatenate([audio, model.normalizer.transform(old_frames)])
        lengths = np.concatenate([lengths, old_lengths])
        every = np.concatenate([every, old_labels[chosen]])
    torch.manual_seed(seed)
    fit_classifier(adapted.classifier, audio_only_batch(audio, lengths, every), None, epochs,
                   batch_size=16, lr=lr, seed=seed, keep_states=False)
    return adapted


def predict_folder(model: VoiceModel, folder: str | Path, skip_bad: bool = True
                   ) -> list[dict]:
    """Your own voice: the model's answer for each recording of `folder`, named
    `{digit}_{anything}.wav` (or .flac; any sample rate or channel count) → one dict per
    file, in file-name order: "file", "label" (the digit its name says), "predicted",
    "probability" (of the prediction), "correct". Bad files are skipped with one warning
    naming each (`skip_bad=False` raises at the first instead)."""
    loaded = audio_lib.load_folder(folder, skip_bad=skip_bad)
    clips = [clip for _, _, clip in loaded]
    probabilities = model.probabilities(clips)
    return [{"file": path.name, "label": label, "predicted": int(row.argmax()),
             "probability": float(row.max()), "correct": int(row.argmax()) == label}
            for (label, path, _), row in zip(loaded, probabilities, strict=True)]


# --- the trained model the notebook reads ----------------------------------------------------

TRAINED = "voices.pt"    # in data/models: the "+ augmentation" model of seed 0


def save_voice_model(model: VoiceModel, path: str | Path) -> None:
    """Write the weights, the normaliser's statistics and the recipe (tensors and plain
    values only, read back by `load_voice_model` with torch's weights_only loading)."""
    torch.save({"state": model.classifier.state_dict(),
                "mean": torch.from_numpy(model.normalizer.mean),
                "std": torch.from_numpy(model.normalizer.std),
                "recipe": dict(vars(model.recipe))}, path)


def load_voice_model(path: str | Path | None = None) -> VoiceModel:
    """The model `save_voice_model` wrote (default: data/models/voices.pt, trained by
    `python -m benchmarks real_voices`), in eval mode."""
    from mmkit.paths import data_dir

    path = Path(path) if path is not None else data_dir() / "models" / TRAINED
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained voice model; `python -m benchmarks "
                                f"real_voices` writes it")
    saved = torch.load(path, weights_only=True)
    recipe = Recipe(**saved["recipe"])
    classifier = Classifier(AudioLSTM(hidden=recipe.hidden))
    classifier.load_state_dict(saved["state"])
    classifier.eval()
    normalizer = audio_lib.LogMelNormalizer()
    normalizer.mean, normalizer.std = saved["mean"].numpy(), saved["std"].numpy()
    return VoiceModel(classifier, normalizer, recipe)
