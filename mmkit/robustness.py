"""Robustness: how a trained model fares when its inputs are corrupted after training.

A model is trained once on clean(er) data; here its *inputs* are made worse and it is
evaluated again, with no retraining, so the drop in accuracy says how much it leans on
each modality:

    noisy = corrupt(batch, {"image": 1.0, "audio": 0.5, "text": 0.3}, seed=0)
    accuracy_under(model, batch, {"image": 1.0}, seed=0)          # one number
    accuracies_under({"early": m1, "late": m2}, batch, noise)    # several models, one batch
    drop_modality(batch, "audio", rows=[0, 1])                   # those rows lose their audio

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
"""

import functools
from collections.abc import Mapping

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
