"""Robustness: how a trained model fares when its inputs are corrupted after training.

A model is trained once on clean(er) data; here its *inputs* are made worse and it is
evaluated again, with no retraining, so the drop in accuracy says how much it leans on
each modality:

    noisy = corrupt(batch, {"image": 1.0, "audio": 0.5, "text": 0.3}, seed=0)
    accuracy_under(model, batch, {"image": 1.0}, seed=0)          # one number
    accuracies_under({"early": m1, "late": m2}, batch, noise)    # several models, one batch
    drop_modality(batch, "audio", rows=[0, 1])                   # those rows lose their audio

and summarised as MultiBench reports robustness (Liang et al., 2021):

    noise_curve(model, batch, "audio")       # accuracy at 10 rising noise levels (LEVELS)
    area_under_curve(LEVELS["audio"], curve) # its normalised area: 1.0 = perfect throughout
    missing_accuracies(model, batch)         # nothing, each one, each pair of modalities missing

What `corrupt` does to each modality of a `mmkit.data.dataset.collate` batch (NOISE):

    image   σ ≥ 0: Gaussian noise of standard deviation σ added to every pixel of the
            normalised image (a pixel of the normalised image has std 1 over the training
            split, so σ = 1 is noise as strong as the images' own spread)
    audio   σ ≥ 0: the same on every normalised log-mel value (each band has std 1 over
            the training split); frames after `audio_length` get noise too, packing
            ignores them
    text    p in [0, 1]: each word of the clue is hit with probability p; a hit word is
            replaced by a random word of the vocabulary (`word_ids`, ids ≥ 2, never
            padding or <unk>) or dropped (its mask set to False), half of each. The BERT
            ids (`text_ids`) lose each hit WordPiece token ([CLS] and [SEP] kept). A clue
            whose words are all dropped then counts as missing for the encoders.

A missing modality (`present` False) stays exactly as it was (all zeros): noise on "no
evidence" is not evidence. The noise is drawn from a torch.Generator seeded by `seed` and
the modality (its own stream each), so the same call gives the same batch every time, and
changing the image's σ does not change the audio's draws. The input batch is never
modified: `corrupt` returns a new dict (unchanged tensors shared, changed ones new).
A modality name outside NOISE raises ValueError listing the accepted ones; a negative σ,
or p outside [0, 1], raises ValueError too.

The noise levels of a curve (LEVELS), 10 evenly spaced per modality, level 0 = clean:

    image, audio   σ = 0, 1/3, …, 3: at σ = 3 the noise is three times the inputs' own
                   spread, where the strongest modality alone is near chance
    text           p = 0, 0.1, …, 0.9: at 0.9 nine words in ten are hit (p = 1 would leave
                   no word at all, the same as the text missing, which `missing_accuracies`
                   measures)
"""

import functools
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from mmkit.data.dataset import MODALITIES
from mmkit.models.encoders import accuracy
from mmkit.validate import lookup

Batch = Mapping[str, torch.Tensor]

#: What the noise level of each modality means (see the module docstring).
NOISE = {
    "text": "share p of clue words replaced or dropped, in [0, 1]",
    "image": "σ of Gaussian noise on the normalised pixels, ≥ 0",
    "audio": "σ of Gaussian noise on the normalised log-mel frames, ≥ 0",
}
#: The keys `corrupt` needs for each modality it corrupts.
KEYS = {"text": ("word_ids", "word_mask", "text_ids", "text_mask"), "image": ("image",),
        "audio": ("audio",)}
#: The noise levels of `noise_curve`, per modality (module docstring): 10 each, from 0.
LEVELS = {"text": tuple(np.round(np.linspace(0.0, 0.9, 10), 6).tolist()),
          "image": tuple(np.round(np.linspace(0.0, 3.0, 10), 6).tolist()),
          "audio": tuple(np.round(np.linspace(0.0, 3.0, 10), 6).tolist())}
FIRST_WORD_ID = 2        # WordVocab: 0 is <pad>, 1 is <unk>
BERT_SPECIAL = (0, 101, 102)   # [PAD], [CLS], [SEP] in MiniLM's WordPiece vocabulary


@functools.cache
def _vocab_size() -> int:
    from mmkit.data.text import digit_vocab

    return len(digit_vocab())


def check_noise(noise: Mapping[str, float] | None) -> dict[str, float]:
    """`noise` as {modality: level} after checking the names (NOISE's keys) and the levels;
    None or {} means no noise."""
    checked: dict[str, float] = {}
    for name, level in (noise or {}).items():
        lookup(name, tuple(NOISE), "noise modality")
        level = float(level)
        if name == "text" and not 0.0 <= level <= 1.0:
            raise ValueError(f"noise['text']: expected a share of words in [0, 1], got {level}")
        if name != "text" and not level >= 0.0:
            raise ValueError(f"noise[{name!r}]: expected a standard deviation σ ≥ 0, "
                             f"got {level}")
        checked[name] = level
    return checked


def _generator(seed: int, modality: str) -> torch.Generator:
    return torch.Generator().manual_seed(1000 * int(seed) + MODALITIES.index(modality))


def _add_gaussian(values: torch.Tensor, present: torch.Tensor, sigma: float,
                  generator: torch.Generator) -> torch.Tensor:
    """values + σ·N(0, 1) on the present rows (the others unchanged)."""
    noise = torch.randn(values.shape, generator=generator, dtype=values.dtype)
    keep = present.reshape(-1, *([1] * (values.ndim - 1))).to(values.dtype)
    return values + sigma * noise * keep


def _corrupt_text(batch: Batch, share: float, generator: torch.Generator
                  ) -> dict[str, torch.Tensor]:
    present = batch["present"][:, MODALITIES.index("text")].bool()[:, None]
    word_ids, word_mask = batch["word_ids"], batch["word_mask"].bool()
    hit = (torch.rand(word_ids.shape, generator=generator) < share) & word_mask & present
    replace = torch.rand(word_ids.shape, generator=generator) < 0.5
    random_words = torch.randint(FIRST_WORD_ID, _vocab_size(), word_ids.shape,
                                 generator=generator)
    drop = hit & ~replace
    new_ids = torch.where(hit & replace, random_words, word_ids).masked_fill(drop, 0)
    new_mask = word_mask & ~drop
    out = {"word_ids": new_ids.to(word_ids.dtype),
           "word_mask": new_mask.to(batch["word_mask"].dtype)}
    text_ids, text_mask = batch["text_ids"], batch["text_mask"]
    real = text_mask.bool() & ~torch.isin(text_ids, torch.tensor(BERT_SPECIAL)) & present
    gone = (torch.rand(text_ids.shape, generator=generator) < share) & real
    out["text_ids"] = text_ids.masked_fill(gone, 0)
    out["text_mask"] = text_mask.masked_fill(gone, 0)
    return out


def corrupt(batch: Batch, noise: Mapping[str, float] | None = None, seed: int = 0
            ) -> dict[str, torch.Tensor]:
    """A new batch: `batch` with each modality in `noise` corrupted (see the module
    docstring: σ for image and audio, a share p of words for text), seeded by `seed`.
    The input is not modified; a level of 0 leaves its modality as it was."""
    levels = check_noise(noise)
    if not isinstance(batch, Mapping) or "present" not in batch:
        raise KeyError("corrupt: expected a collate batch with the key 'present'; got "
                       f"{sorted(batch) if isinstance(batch, Mapping) else type(batch).__name__}")
    out = dict(batch)
    for modality, level in levels.items():
        missing = [key for key in KEYS[modality] if key not in batch]
        if missing:
            raise KeyError(f"corrupt: noise on {modality} needs the batch keys "
                           f"{list(KEYS[modality])}; missing {missing}; the batch has "
                           f"{sorted(batch)}")
        if level == 0:
            continue
        generator = _generator(seed, modality)
        if modality == "text":
            out.update(_corrupt_text(batch, level, generator))
        else:
            present = batch["present"][:, MODALITIES.index(modality)].bool()
            out[modality] = _add_gaussian(batch[modality], present, level, generator)
    return out


def drop_modality(batch: Batch, modality: str, rows: object = None) -> dict[str, torch.Tensor]:
    """A new batch in which `modality` is missing from `rows` (indices or a bool mask;
    None: every row), as `MMDigits(missing=...)` makes it: `present` False and its tensors
    zero (audio_length 0). The input is not modified."""
    lookup(modality, MODALITIES, "modality")
    present = batch["present"].clone()
    n = len(present)
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.arange(n) if rows is None else torch.as_tensor(rows)] = True
    present[chosen, MODALITIES.index(modality)] = False
    out = dict(batch, present=present)
    keys = {"text": ("text_ids", "text_mask", "word_ids", "word_mask"), "image": ("image",),
            "audio": ("audio", "audio_length")}[modality]
    for key in keys:
        if key in batch:
            shape = (-1, *([1] * (batch[key].ndim - 1)))
            out[key] = batch[key] * (~chosen).reshape(shape).to(batch[key].dtype)
    return out


@torch.no_grad()
def accuracy_under(model: nn.Module, batch: Batch, noise: Mapping[str, float] | None = None,
                   seed: int = 0) -> float:
    """The accuracy of a trained `model` (batch → logits) on `corrupt(batch, noise, seed)`;
    no training, the model's weights untouched."""
    return accuracy(model, corrupt(batch, noise, seed), batch_size=max(len(batch["label"]), 1))


@torch.no_grad()
def accuracies_under(models: Mapping[str, nn.Module], batch: Batch,
                     noise: Mapping[str, float] | None = None, seed: int = 0
                     ) -> dict[str, float]:
    """{name: accuracy} of each trained model on the SAME corrupted batch (corrupted once)."""
    noisy = corrupt(batch, noise, seed)
    size = max(len(batch["label"]), 1)
    return {name: accuracy(model, noisy, batch_size=size) for name, model in models.items()}


# --- summaries: the accuracy-noise curve, its area, and missing modalities ------------------

def noise_curve(model: nn.Module, batch: Batch, modality: str,
                levels: Sequence[float] | None = None, seed: int = 0) -> np.ndarray:
    """The accuracy of a trained `model` on `batch` with `modality` corrupted at each
    noise level (σ for image and audio, a share of words for text; default LEVELS[modality],
    10 levels from 0 = clean), the other modalities clean: (len(levels),) float64. Each
    level is `accuracy_under(model, batch, {modality: level}, seed)`: the same seed, so a
    higher level adds noise along the same random direction."""
    lookup(modality, tuple(NOISE), "noise modality")
    levels = LEVELS[modality] if levels is None else levels
    return np.array([accuracy_under(model, batch, {modality: float(level)}, seed)
                     for level in levels], dtype=np.float64)


def area_under_curve(levels: Sequence[float], accuracies: Sequence[float]) -> float:
    """The normalised area under the accuracy–noise curve: the trapezoid rule over
    `levels` (K,) increasing, K ≥ 2, divided by their range (levels[-1] − levels[0]), so
    it is the curve's mean height: 1.0 = perfect at every level, chance = flat at chance.
    `accuracies` (K,) in [0, 1]. Mismatched lengths, fewer than 2 levels or levels not
    increasing raise ValueError."""
    x = np.asarray(levels, dtype=np.float64).ravel()
    y = np.asarray(accuracies, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"area_under_curve: expected one accuracy per level, got {len(x)} "
                         f"levels and {len(y)} accuracies")
    if len(x) < 2:
        raise ValueError(f"area_under_curve: expected at least 2 levels, got {len(x)}")
    if not (np.diff(x) > 0).all():
        raise ValueError(f"area_under_curve: expected increasing levels, got {x.tolist()}")
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2) / (x[-1] - x[0]))


#: The sets of modalities `missing_accuracies` removes: none, each one, each pair.
MISSING = ((), *((m,) for m in MODALITIES), *itertools.combinations(MODALITIES, 2))


def missing_name(missing: Sequence[str]) -> str:
    """A set of missing modalities as a key: () → "none", ("text", "image") → "text+image"."""
    return "+".join(missing) or "none"


@torch.no_grad()
def missing_accuracies(model: nn.Module, batch: Batch) -> dict[str, float]:
    """The accuracy of a trained `model` on `batch` with nothing missing, with each
    modality missing and with each pair missing, from every row (`drop_modality`: present
    False, the tensors zero): {"none", "text", "image", "audio", "text+image",
    "text+audio", "image+audio": accuracy} in the order of MISSING. "text+image" missing
    is the model on its audio alone."""
    size = max(len(batch["label"]), 1)
    result = {}
    for missing in MISSING:
        holes = dict(batch)
        for modality in missing:
            holes = drop_modality(holes, modality)
        result[missing_name(missing)] = accuracy(model, holes, batch_size=size)
    return result
