"""Encoders: one network per modality of mmdigits, each mapping a batch to (N, d) features.

Every encoder reads its part of a `mmkit.data.dataset.collate` batch (a dict of tensors,
N rows) and returns an embedding of `out_features` = d numbers per row, so that a
classifier (below) or a fusion model (`mmkit.models.fusion`) can use any of them the same
way. Read top to bottom:

    base           Encoder: checks the batch, encodes only the rows whose modality is
                   present, gives the others an all-zero row
    text           TextEncoder (frozen MiniLM, cached per distinct clue, trainable
                   projection); BagOfWords (mean of learned word vectors, a cheap baseline)
    image          ImageCNN: (3×3 conv → ReLU → 2×2 max-pool) ×2 → linear
    audio          AudioLSTM: an LSTM over the log-mel frames, packed with audio_length
                   so the padding never enters its state; its last hidden state(s) → linear
    classifier     Classifier(encoder, num_classes=10): a unimodal baseline's logits
    training       to_tensors / from_tensors (a batch ↔ the tuple `mmkit.train.train`
                   shuffles), drop_modalities (modality dropout), classification_step
                   (one cross-entropy step), fit_classifier
                   (Adam, validation accuracy and weights per epoch), predict, accuracy,
                   num_parameters

    train_batch = collate([train_data[i] for i in range(len(train_data))])
    model = Classifier(ImageCNN(out_features=64))
    history = fit_classifier(model, train_batch, val_batch, epochs=5)
    model(val_batch)                              # logits, (N, 10)

Each encoder ends with ReLU(Linear(…)): its features are ≥ 0. **A missing modality**
(`batch["present"][:, k]` False, e.g. an absent clue or a clue cleaned away to no
tokens) gets an **all-zero row** and is never computed on: no learned value stands in
for it, so a model downstream sees exactly "no evidence" (a classifier then falls back
on its bias, the training split's prior). A batch that lacks a key an encoder needs
raises KeyError listing the keys it needs and the ones the batch has; a tensor of the
wrong shape raises ValueError naming the shape expected.
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from mmkit import metrics
from mmkit.data.dataset import IMAGE_SIZE, MODALITIES
from mmkit.models.minilm import token_embeddings
from mmkit.train import History, train
from mmkit.validate import check_count, check_positive, format_shape

Batch = Mapping[str, torch.Tensor]
MINILM_FEATURES = 384   # all-MiniLM-L6-v2's sentence embedding size
MEL_BANDS = 40          # log-mel bands per audio frame (mmkit.data.audio)
#: The keys of a collate batch that the models read, in the order `to_tensors` uses.
BATCH_KEYS = ("text_ids", "text_mask", "word_ids", "word_mask", "image", "audio",
              "audio_length", "label", "present")


# --- base -----------------------------------------------------------------------------------

def _shape_error(name: str, expected: Sequence, tensor: torch.Tensor) -> ValueError:
    return ValueError(f"{name}: expected shape {format_shape(expected)}, "
                      f"got {format_shape(tuple(tensor.shape))}")


class Encoder(nn.Module):
    """One modality's part of a batch → (N, out_features) features; subclasses define
    `modality` (one of "text", "image", "audio"), `keys` (the batch keys they read) and
    `encode(batch)` (the present rows only → (B, out_features))."""

    modality: str = ""
    keys: tuple[str, ...] = ()

    def __init__(self, out_features: int):
        super().__init__()
        self.out_features = check_count(out_features, "out_features", minimum=1)

    def check_batch(self, batch: Batch) -> int:
        """The batch's N after checking that it has `keys` and "present" (N, 3)."""
        if not isinstance(batch, Mapping):
            raise TypeError(f"{type(self).__name__}: expected a batch dict from collate, got "
                            f"{type(batch).__name__}")
        needed = (*self.keys, "present")
        missing = [key for key in needed if key not in batch]
        if missing:
            raise KeyError(f"{type(self).__name__} needs the batch keys {list(needed)}; "
                           f"missing {missing}; the batch has {sorted(batch)}")
        present = batch["present"]
        if present.ndim != 2 or present.shape[1] != len(MODALITIES):
            raise _shape_error(f"present (one column per modality {MODALITIES})",
                               (None, len(MODALITIES)), present)
        n = len(present)
        for key in self.keys:
            if len(batch[key]) != n:
                raise ValueError(f"{key}: expected {n} rows (as present), got "
                                 f"{len(batch[key])}")
        return n

    def rows(self, batch: Batch) -> torch.Tensor:
        """(N,) bool: the rows whose modality is present."""
        return batch["present"][:, MODALITIES.index(self.modality)].bool()

    def forward(self, batch: Batch) -> torch.Tensor:
        """batch → (N, out_features) float32; rows whose modality is missing are zeros."""
        n = self.check_batch(batch)
        self.check_shapes(batch)
        rows = self.rows(batch)
        # the dtype and device of the encoder's own output (a quantised encoder has no
        # float parameters to read them from); no row present: float32 on the batch's device
        if not rows.any():
            return torch.zeros(n, self.out_features, device=batch["present"].device)
        encoded = self.encode({key: batch[key][rows] for key in self.keys})
        out = torch.zeros(n, self.out_features, dtype=encoded.dtype, device=encoded.device)
        return out.index_put((rows.nonzero()[:, 0],), encoded)

    def check_shapes(self, batch: Batch) -> None:
        """Raise ValueError unless the batch's tensors have the shapes `encode` reads."""

    def encode(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError


# --- text -----------------------------------------------------------------------------------

def _check_tokens(batch: Batch, ids_key: str, mask_key: str) -> None:
    ids, mask = batch[ids_key], batch[mask_key]
    if ids.ndim != 2:
        raise _shape_error(ids_key, (None, "L"), ids)
    if mask.shape != ids.shape:
        raise _shape_error(mask_key, tuple(ids.shape), mask)


class TextEncoder(Encoder):
    """The clue through the frozen pretrained MiniLM, then a trainable projection.

    text_ids, text_mask (N, L) → sentence embeddings (N, 384), the mean of MiniLM's last
    layer over the real tokens (`mmkit.models.minilm.token_embeddings`)
    → ReLU(Linear(384, d)) → (N, d).
    MiniLM is frozen and not a submodule (its 22.7 M weights are not in this model's
    parameters or state_dict); its embeddings are **cached** in `cache`, a dict keyed by
    the clue's token ids, so each distinct clue goes through MiniLM once, however many
    epochs run. A row with no tokens counts as missing. `embed`: the function that computes
    the embeddings of new clues, (ids (B, L), mask (B, L)) → (B, 384) (default
    `token_embeddings`; the tests count its calls).
    """

    modality = "text"
    keys = ("text_ids", "text_mask")

    def __init__(self, out_features: int = 64,
                 embed: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None):
        super().__init__(out_features)
        self.embed = embed or token_embeddings
        self.cache: dict[tuple[int, ...], torch.Tensor] = {}
        self.project = nn.Linear(MINILM_FEATURES, out_features)

    def rows(self, batch: Batch) -> torch.Tensor:
        return super().rows(batch) & batch["text_mask"].bool().any(dim=1)

    def check_shapes(self, batch: Batch) -> None:
        _check_tokens(batch, "text_ids", "text_mask")

    def embeddings(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, L) ids and mask → (B, 384): from the cache, computing only clues not in it."""
        keys = [tuple(row[real].tolist()) for row, real in zip(ids, mask.bool(), strict=True)]
        new: dict[tuple[int, ...], int] = {}
        for i, key in enumerate(keys):
            if key not in self.cache and key not in new:
                new[key] = i
        if new:
            index = torch.tensor(list(new.values()), device=ids.device)
            computed = self.embed(ids[index].cpu(), mask[index].cpu()).detach().float().cpu()
            self.cache.update(zip(new, computed, strict=True))
        return torch.stack([self.cache[key] for key in keys])

    def encode(self, batch: Batch) -> torch.Tensor:
        features = self.embeddings(batch["text_ids"], batch["text_mask"])
        return F.relu(self.project(features.to(self.project.weight.device)))


class BagOfWords(Encoder):
    """The clue as a bag of words: the mean of learned word vectors over word_ids (N, L),
    padding excluded by word_mask → ReLU(Linear(dim, d)) → (N, d). Word order is lost
    ("three plus four" = "four plus three"); a cheap baseline for TextEncoder.
    vocab_size: `len(mmkit.data.text.digit_vocab())` (default)."""

    modality = "text"
    keys = ("word_ids", "word_mask")

    def __init__(self, out_features: int = 64, dim: int = 32, vocab_size: int | None = None):
        super().__init__(out_features)
        if vocab_size is None:
            from mmkit.data.text import digit_vocab

            vocab_size = len(digit_vocab())
        self.vocab_size = check_count(vocab_size, "vocab_size", minimum=2)
        self.words = nn.Embedding(self.vocab_size, check_count(dim, "dim", 1), padding_idx=0)
        self.project = nn.Linear(dim, out_features)

    def rows(self, batch: Batch) -> torch.Tensor:
        return super().rows(batch) & batch["word_mask"].bool().any(dim=1)

    def check_shapes(self, batch: Batch) -> None:
        _check_tokens(batch, "word_ids", "word_mask")
        ids = batch["word_ids"]
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.vocab_size):
            raise ValueError(f"word_ids: expected ids in [0, {self.vocab_size}), got "
                             f"{int(ids.min())}..{int(ids.max())}")

    def encode(self, batch: Batch) -> torch.Tensor:
        weights = batch["word_mask"].unsqueeze(-1).float()                  # (B, L, 1)
        vectors = self.words(batch["word_ids"]) * weights                  # (B, L, dim)
        mean = vectors.sum(dim=1) / weights.sum(dim=1).clamp(min=1)        # (B, dim)
        return F.relu(self.project(mean))


# --- image ----------------------------------------------------------------------------------

class ImageCNN(Encoder):
    """A small CNN on the normalised images (N, 1, 28, 28):

    conv 3×3 (1 → c1, padding 1) → ReLU → max-pool 2   (N, c1, 14, 14)
    conv 3×3 (c1 → c2, padding 1) → ReLU → max-pool 2  (N, c2, 7, 7)
    flatten → ReLU(Linear(c2·7·7, d))                   (N, d)
    `feature_maps(images)` returns both convolutions' maps (after ReLU) for plotting.
    """

    modality = "image"
    keys = ("image",)

    def __init__(self, out_features: int = 64, channels: tuple[int, int] = (8, 16)):
        super().__init__(out_features)
        c1, c2 = (check_count(c, "channels", minimum=1) for c in channels)
        self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)
        side = IMAGE_SIZE // 4
        self.project = nn.Linear(c2 * side * side, out_features)

    def check_shapes(self, batch: Batch) -> None:
        image = batch["image"]
        if image.shape[1:] != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise _shape_error("image", (None, 1, IMAGE_SIZE, IMAGE_SIZE), image)

    def feature_maps(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images (N, 1, 28, 28) → (conv1 maps (N, c1, 28, 28), conv2 maps (N, c2, 14, 14))."""
        first = F.relu(self.conv1(images))
        second = F.relu(self.conv2(F.max_pool2d(first, 2)))
        return first, second

    def encode(self, batch: Batch) -> torch.Tensor:
        _, second = self.feature_maps(batch["image"])
        return F.relu(self.project(F.max_pool2d(second, 2).flatten(1)))


# --- audio ----------------------------------------------------------------------------------

class AudioLSTM(Encoder):
    """An LSTM over the normalised log-mel frames, audio (N, T, 40) with audio_length (N,):

    pack_padded_sequence(audio, audio_length)  only each clip's first audio_length frames
    LSTM(40 → hidden, layers, bidirectional)   h_n: (layers·directions, N, hidden)
    last layer's final state(s), concatenated  (N, directions·hidden)
    ReLU(Linear(directions·hidden, d))         (N, d)
    Packed, the padding after a clip (noise in mmdigits) never enters the state: the
    forward direction stops at the clip's last frame, the backward one starts there. With
    `pack=False` the LSTM reads every frame of the batch, padding included, as a model
    that ignores audio_length would (notebook 11 shows what that costs).
    """

    modality = "audio"
    keys = ("audio", "audio_length")

    def __init__(self, out_features: int = 64, hidden: int = 64, layers: int = 1,
                 bidirectional: bool = True, pack: bool = True):
        super().__init__(out_features)
        self.lstm = nn.LSTM(MEL_BANDS, check_count(hidden, "hidden", minimum=1),
                            num_layers=check_count(layers, "layers", minimum=1),
                            batch_first=True, bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1
        self.pack = pack
        self.project = nn.Linear(self.directions * hidden, out_features)

    def check_shapes(self, batch: Batch) -> None:
        audio, lengths = batch["audio"], batch["audio_length"]
        if audio.ndim != 3 or audio.shape[2] != MEL_BANDS:
            raise _shape_error("audio (frames of log-mel bands)", (None, "T", MEL_BANDS), audio)
        if lengths.shape != (len(audio),):
            raise _shape_error("audio_length", (len(audio),), lengths)
        lengths = lengths[self.rows(batch)]
        if lengths.numel() and (int(lengths.min()) < 1 or int(lengths.max()) > audio.shape[1]):
            raise ValueError(f"audio_length: expected 1..{audio.shape[1]} frames (T) for each "
                             f"present clip, got {int(lengths.min())}..{int(lengths.max())}")

    def encode(self, batch: Batch) -> torch.Tensor:
        audio = batch["audio"]
        if self.pack:
            audio = pack_padded_sequence(audio, batch["audio_length"].cpu(), batch_first=True,
                                         enforce_sorted=False)
        _, (h_n, _) = self.lstm(audio)                       # (layers·directions, B, hidden)
        last = h_n[-self.directions:].transpose(0, 1).flatten(1)  # (B, directions·hidden)
        return F.relu(self.project(last))


# --- classifier -------------------------------------------------------------------------------

class Classifier(nn.Module):
    """A unimodal baseline: encoder features (N, d) → Linear(d, num_classes) → logits
    (N, num_classes). A row whose modality is missing gets the head's bias alone."""

    def __init__(self, encoder: Encoder, num_classes: int = 10):
        super().__init__()
        self.encoder = encoder
        self.num_classes = check_count(num_classes, "num_classes", 2)
        self.head = nn.Linear(encoder.out_features, self.num_classes)

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(self.encoder(batch))


def num_parameters(model: nn.Module) -> int:
    """The number of trainable parameters (a TextEncoder's frozen MiniLM is not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --- training -------------------------------------------------------------------------------

def to_tensors(batch: Batch, keys: Sequence[str] = BATCH_KEYS) -> tuple[torch.Tensor, ...]:
    """A collate batch → its tensors in the order of `keys`, the data `mmkit.train.train`
    shuffles into mini-batches (audio keeps its T frames; packing ignores the rest)."""
    missing = [key for key in keys if key not in batch]
    if missing:
        raise KeyError(f"to_tensors needs the batch keys {list(keys)}; missing {missing}; "
                       f"the batch has {sorted(batch)}")
    return tuple(batch[key] for key in keys)


def from_tensors(*tensors: torch.Tensor, keys: Sequence[str] = BATCH_KEYS
                 ) -> dict[str, torch.Tensor]:
    """The inverse of `to_tensors`: tensors in the order of `keys` → a batch dict."""
    if len(tensors) != len(keys):
        raise ValueError(f"from_tensors: expected {len(keys)} tensors {list(keys)}, got "
                         f"{len(tensors)}")
    return dict(zip(keys, tensors, strict=True))


@torch.no_grad()
def predict(model: nn.Module, batch: Batch, batch_size: int = 256) -> torch.Tensor:
    """The class of each row of `batch` (its largest logit), (N,) int64, in eval mode."""
    was_training = model.training
    model.eval()
    predictions = [model({key: value[start:start + batch_size] for key, value in batch.items()})
                   .argmax(dim=1) for start in range(0, len(batch["label"]), batch_size)]
    model.train(was_training)
    return torch.cat(predictions) if predictions else torch.zeros(0, dtype=torch.long)


def accuracy(model: nn.Module, batch: Batch, batch_size: int = 256) -> float:
    """The fraction of rows of `batch` whose predicted class is the label
    (`mmkit.metrics.accuracy` of `predict`)."""
    if not len(batch["label"]):
        return 0.0
    return metrics.accuracy(batch["label"], predict(model, batch, batch_size))


def _dropout_probabilities(p: float | Mapping[str, float]) -> dict[str, float]:
    """Modality dropout's probability for each modality, {text, image, audio}: a float p
    (every modality the same) or a mapping {modality: p} (modalities left out: 0). Each p
    must lie in [0, 1); an unknown modality or a p outside raises ValueError saying what
    is accepted and what arrived."""
    if isinstance(p, Mapping):
        unknown = [name for name in p if name not in MODALITIES]
        if unknown:
            raise ValueError(f"modality dropout: expected modalities among {MODALITIES}, "
                             f"got {unknown}")
        chosen = {name: p.get(name, 0.0) for name in MODALITIES}
    else:
        chosen = dict.fromkeys(MODALITIES, p)
    for name, value in chosen.items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"modality dropout: expected a probability in [0, 1) for "
                             f"{name}, got {value!r}") from None
        if not 0 <= value < 1:
            where = f"{name!r}: " if isinstance(p, Mapping) else ""
            raise ValueError(f"modality dropout: expected a probability in [0, 1), got "
                             f"{where}{value}")
        chosen[name] = value
    return chosen


def drop_modalities(batch: Batch, p: float | Mapping[str, float],
                    generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """Modality dropout: a copy of `batch` in which each present modality of each row is
    hidden (its `present` flag set False) with probability p, as if it were missing; a row
    that would lose every modality it has keeps them all. p: one float for every modality,
    or {"text": .., "image": .., "audio": ..} (`_dropout_probabilities`; e.g. hide the
    strongest modality more often, so the others learn to stand without it). The encoders
    then give the hidden modalities all-zero rows, so a fusion model learns not to lean on
    any one of them. A training-time device only: evaluation sees every modality the data
    has (`predict` and `accuracy` never drop)."""
    chosen = _dropout_probabilities(p)
    present = batch["present"]
    rates = torch.tensor([chosen[name] for name in MODALITIES])
    draws = torch.rand(present.shape, generator=generator)      # on the generator's CPU
    kept = present & (draws >= rates).to(present.device)
    emptied = ~kept.any(dim=1, keepdim=True)
    return {**batch, "present": torch.where(emptied, present, kept)}


def classification_step(model: nn.Module, optimizer: torch.optim.Optimizer,
                        modality_dropout: float | Mapping[str, float] = 0.0,
                        generator: torch.Generator | None = None,
                        max_grad_norm: float | None = None,
                        loss: Callable[[torch.Tensor, Batch], torch.Tensor] | None = None
                        ) -> Callable[..., dict[str, float]]:
    """The step `mmkit.train.train` runs for a classifier (batch → logits): the tensors of
    one mini-batch (`to_tensors` order) → cross-entropy, backward, one optimizer step;
    returns {"loss", "accuracy"} of the batch. With `modality_dropout` p > 0 (a float, or
    {modality: p}) each batch is first passed through `drop_modalities(batch, p,
    generator)` (put the generator in the trainer's `state` so that a resumed run draws
    the same); a bad p raises ValueError here, before training. With `max_grad_norm`, the
    gradients are clipped to that total norm before the step (`clip_grad_norm_`), and
    "grad_norm", their norm before clipping, is returned too. `loss(logits, batch)`
    replaces the cross-entropy with the labels (e.g. `mmkit.compress.distill`'s loss
    against a teacher's logits on the same batch)."""
    if max_grad_norm is not None:
        check_positive(max_grad_norm, "max_grad_norm")
    dropping = any(_dropout_probabilities(modality_dropout).values())  # checked before training

    def step(*tensors: torch.Tensor) -> dict[str, float]:
        batch = from_tensors(*tensors)
        if dropping:
            batch = drop_modalities(batch, modality_dropout, generator)
        model.train()
        optimizer.zero_grad()
        logits = model(batch)
        value = (F.cross_entropy(logits, batch["label"]) if loss is None
                 else loss(logits, batch))
        value.backward()
        taken = {"loss": value.item(),
                 "accuracy": (logits.argmax(dim=1) == batch["label"]).float().mean().item()}
        if max_grad_norm is not None:
            taken["grad_norm"] = nn.utils.clip_grad_norm_(
                [p for group in optimizer.param_groups for p in group["params"]],
                max_grad_norm).item()
        optimizer.step()
        return taken

    return step


def fit_classifier(model: nn.Module, train_batch: Batch, val_batch: Batch | None,
                   epochs: int, batch_size: int = 32, lr: float = 3e-3, seed: int = 0,
                   keep_states: bool = True, progress: bool = False) -> History:
    """Train `model` (batch → logits) on `train_batch` with Adam and cross-entropy, by
    `mmkit.train.train`; return its History ("loss", "accuracy": training means per epoch).

    With `val_batch`, a snapshot per epoch (epoch 0 before training) holds
    {"val_accuracy": accuracy on val_batch, "state": the weights (keep_states)}: plot the
    validation curve from it, and `mmkit.models.transformer.restore_best(model, history,
    "val_accuracy", larger_is_better=True)` selects the epoch on validation. seed: the batch
    order (seed the model's weights yourself, before building it). Leaves the model in
    eval mode.
    """
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=check_positive(lr, "lr"))
    step = classification_step(model, optimizer)

    def snapshot() -> dict[str, Any]:
        taken: dict[str, Any] = {"val_accuracy": accuracy(model, val_batch)}
        if keep_states:
            taken["state"] = copy.deepcopy(model.state_dict())
        return taken

    history = train(step, to_tensors(train_batch), epochs, batch_size=batch_size, seed=seed,
                    snapshot=snapshot if val_batch is not None else None,
                    progress=progress, description=type(model).__name__)
    model.eval()
    return history
