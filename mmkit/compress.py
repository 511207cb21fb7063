"""Smaller models for limited compute: quantisation, pruning, distillation, and what each costs.

    small = quantize(model)                  # int8 weights in every Linear and LSTM layer
    sparse = prune_global(model, 0.5)        # the smallest half of the weights set to 0
    student = student_model(width=16)        # the early fusion, ~10 % of its parameters
    distill(teacher, student, train_batch, val_batch, epochs=20)   # learn from its logits
    measure(model, batch, accuracy_of=val)   # size on disk, parameters, latency, accuracy
    teacher = load_teacher()                 # data/models/early_fusion.pt, in eval mode

`quantize` and `prune_global` return a new model and leave the one given untouched, so
the float model stays available to compare with.

**Dynamic quantisation** (`torch.ao.quantization.quantize_dynamic`): each weight matrix of
a Linear or LSTM layer is stored as 8-bit integers with one float scale, w ≈ scale · q,
q in [−128, 127]: a quarter of float32's bytes. The activations are quantised on the
fly, batch by batch, so nothing needs calibrating. PyTorch now marks this API (and its
quantised tensors) as deprecated: quantisation moves to the separate `torchao` package
(`torchao.quantization.quantize_`), which is not in the kit's stack; the idea and the
numbers are the same. The deprecation warnings are silenced here, by their text, and
nowhere else.

**Magnitude pruning** (`torch.nn.utils.prune.global_unstructured` with the L1 norm):
the weights with the smallest |w| over all the chosen layers together (global), one by
one (unstructured), are set to 0 and stay 0. Zeros only save space or time with sparse
storage or kernels; what pruning shows here is how many weights a model can lose.

**Knowledge distillation** (Hinton et al., 2015): a small *student* learns from a large
*teacher*'s logits as well as from the labels. Both logits are divided by a temperature
T > 1 before the softmax, which spreads the teacher's probabilities over the wrong
classes too ("this 3 looks a bit like an 8"): more to learn from than the one-hot label.
The loss is α · T² · KL(teacher ‖ student) at temperature T + (1 − α) · cross-entropy with
the labels; T² keeps the soft part's gradients as large as the hard part's whatever T.

**The teacher** is the kit's best fused model (benchmarks/results/fusion.md: early
fusion), trained by `mmkit.pipeline.run` with the fusion bench's settings and shipped in
`data/models/early_fusion.pt` (`train_teacher` remakes it; `python -m benchmarks
compression --teacher-only`).
"""

import copy
import io
import re
import statistics
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import prune

from mmkit.train import History, train

#: The layers whose weights `quantize` stores as int8.
QUANTIZED_LAYERS = (nn.Linear, nn.LSTM)
#: The layers whose weights `prune_global` prunes (biases are kept).
PRUNED_LAYERS = (nn.Linear, nn.Conv2d, nn.Embedding)


def quantize(model: nn.Module, per_channel: bool = False, keep_float: str | None = None,
             embeddings: str | None = None) -> nn.Module:
    """A copy of `model` with int8 weights in its Linear and LSTM layers (dynamic
    quantisation), in eval mode; for inference on the CPU.

    per_channel: one scale per output row of each Linear weight instead of one per matrix
    (rows of very different sizes then keep their precision). keep_float: a regular
    expression; the Linear and LSTM layers whose names (`model.named_modules()`) it matches
    in full stay float (the layers whose int8 inputs cost the most accuracy). embeddings: a
    regular expression naming nn.Embedding layers whose tables are stored as int8 too,
    one scale per row, weight only (a word-embedding table is most of a language model's
    bytes). The defaults quantise every Linear and LSTM layer per matrix, nothing else.
    """
    from torch.ao.quantization import (
        default_dynamic_qconfig,
        float_qparams_weight_only_qconfig,
        per_channel_dynamic_qconfig,
    )

    if keep_float is None and embeddings is None and not per_channel:
        spec: Any = set(QUANTIZED_LAYERS)
    else:
        spec = {}
        for name, module in model.named_modules():
            if isinstance(module, QUANTIZED_LAYERS) and not (
                    keep_float is not None and re.fullmatch(keep_float, name)):
                spec[name] = (per_channel_dynamic_qconfig
                              if per_channel and isinstance(module, nn.Linear)
                              else default_dynamic_qconfig)
            elif (isinstance(module, nn.Embedding) and embeddings is not None
                  and re.fullmatch(embeddings, name)):
                spec[name] = float_qparams_weight_only_qconfig
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(deprecat|quantiz).*",
                                category=UserWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        quantized = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model).eval(), spec, dtype=torch.qint8)
    return quantized


class SentenceEncoder(nn.Module):
    """MiniLM's sentence embeddings as a module on the kit's batches, so that `quantize`,
    `measure` and `latency_ms` take it: {"text_ids", "text_mask"} (N, T) → (N, 384) unit
    vectors (the last layer's mean over the real tokens, as
    `mmkit.models.minilm.token_embeddings`). Default: the shipped MiniLM."""

    def __init__(self, bert: nn.Module | None = None):
        super().__init__()
        if bert is None:
            from mmkit.models.minilm import load_minilm

            bert = load_minilm()[0]
        self.bert = bert

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        mask = batch["text_mask"]
        hidden = self.bert(input_ids=batch["text_ids"], attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return F.normalize(mean, dim=-1)


#: Ways to quantise MiniLM (`quantize`'s options), from the plainest: every Linear per
#: matrix; per output row; per row with the feed-forward output layers (their inputs,
#: after GELU, have the widest range) left float and the word embeddings stored as int8;
#: the same with the last of the 6 layers float too.
MINILM_RECIPES: dict[str, dict[str, Any]] = {
    "int8, per matrix": {},
    "int8, per row": {"per_channel": True},
    "int8 per row, FFN outputs float, embeddings int8": {
        "per_channel": True, "keep_float": r".*layer\.\d+\.output\.dense",
        "embeddings": r".*word_embeddings"},
    "int8 per row, FFN outputs and last layer float, embeddings int8": {
        "per_channel": True, "keep_float": r".*layer\.\d+\.output\.dense|.*layer\.5\..*",
        "embeddings": r".*word_embeddings"},
}


def _prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(module, "weight") for module in model.modules()
            if isinstance(module, PRUNED_LAYERS) and module.weight.requires_grad]


def prune_global(model: nn.Module, sparsity: float) -> nn.Module:
    """A copy of `model` whose Linear, Conv2d and Embedding weights (trainable ones only)
    have the share `sparsity` of smallest |w|, counted over all of them together, set to 0
    permanently (`prune.remove` applied: plain weights again, no mask left behind)."""
    if not 0 <= sparsity < 1:
        raise ValueError(f"prune_global: sparsity must be a share in [0, 1), got {sparsity!r}")
    pruned = copy.deepcopy(model)
    parameters = _prunable(pruned)
    if not parameters:
        raise ValueError(f"prune_global: {type(model).__name__} has no trainable Linear, "
                         f"Conv2d or Embedding weights to prune")
    if sparsity > 0:
        prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured,
                                  amount=float(sparsity))
        for module, name in parameters:
            prune.remove(module, name)
    return pruned


def prunable_weights(model: nn.Module) -> torch.Tensor:
    """Every weight `prune_global` would prune (trainable Linear, Conv2d and Embedding
    weights), flattened into one tensor (P,), detached."""
    weights = [module.weight.detach().ravel() for module, _ in _prunable(model)]
    return torch.cat(weights) if weights else torch.zeros(0)


def weight_sparsity(model: nn.Module) -> float:
    """The share of exact zeros among the weights `prune_global` would prune."""
    weights = prunable_weights(model)
    return float((weights == 0).sum()) / len(weights) if len(weights) else 0.0


def size_on_disk(model: nn.Module) -> int:
    """Bytes of `torch.save(model.state_dict())`: what storing the weights costs."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def num_parameters(model: nn.Module) -> int:
    """Numbers the model holds: its parameters, and for a quantised layer its packed int8
    weights (which are no longer parameters) counted as the float weights they replace."""
    count = sum(p.numel() for p in model.parameters())
    for module in model.modules():
        if type(module).__module__.startswith("torch.ao.nn.quantized"):
            if hasattr(module, "weight") and callable(module.weight):   # Linear, Embedding
                bias = module.bias() if callable(getattr(module, "bias", None)) else None
                count += module.weight().numel() + (bias.numel() if bias is not None else 0)
            elif hasattr(module, "_all_weight_values"):                  # quantised LSTM
                for packed in module._all_weight_values:
                    count += _packed_numel(packed.param.__getstate__())
    return count


def _packed_numel(state: object) -> int:
    """Numbers in a quantised LSTM layer's packed state: its float biases and the int8
    weight matrices packed inside it (unpacked to count them)."""
    if isinstance(state, torch.Tensor):
        return state.numel()
    if isinstance(state, list | tuple):
        return sum(_packed_numel(part) for part in state)
    if isinstance(state, torch.ScriptObject):
        weight, _ = torch.ops.quantized.linear_unpack(state)   # the bias is counted above
        return weight.numel()
    return 0


def latency_ms(model: nn.Module, batch: object, repeats: int = 20, warmup: int = 3) -> float:
    """The median wall time of `model(batch)` in milliseconds, without gradients, after
    `warmup` calls that are not timed (the first calls allocate memory and pick kernels:
    timing them measures the start-up, not the model)."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"latency_ms: expected repeats ≥ 1 and warmup ≥ 0, got {repeats} "
                         f"and {warmup}")
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            model(batch)
            if i >= warmup:
                times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def measure(model: nn.Module, batch: object, repeats: int = 20,
            accuracy_of: object = None) -> dict[str, float]:
    """The costs a smaller model is meant to cut, and what it keeps:

    {"size_kb": `size_on_disk` / 1000, "parameters": `num_parameters`, "latency_ms":
    `latency_ms` of one call on `batch` (median of `repeats`, after warm-up)}, and with
    `accuracy_of`, "accuracy" too: the share of its rows the model gets right. accuracy_of:
    a batch of the kit (a dict with "label", as `dataset.collate` makes) or a pair
    (inputs, labels) for any model that maps inputs to (N, classes) logits.
    """
    report = {"size_kb": size_on_disk(model) / 1000, "parameters": num_parameters(model),
              "latency_ms": latency_ms(model, batch, repeats)}
    if accuracy_of is not None:
        report["accuracy"] = _accuracy(model, accuracy_of)
    return report


def _accuracy(model: nn.Module, data: object) -> float:
    from mmkit.models.encoders import accuracy

    if isinstance(data, Mapping):
        if "label" not in data:
            raise KeyError(f"measure: accuracy_of must hold a 'label' key; it has {sorted(data)}")
        return accuracy(model, data)
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise TypeError(f"measure: accuracy_of must be a batch dict with 'label' or a pair "
                        f"(inputs, labels), got {type(data).__name__}")
    inputs, labels = data
    model.eval()
    with torch.no_grad():
        predicted = model(inputs).argmax(dim=1)
    labels = torch.as_tensor(labels)
    if predicted.shape != labels.shape:
        raise ValueError(f"measure: expected {tuple(predicted.shape)} labels (one per "
                         f"row of the inputs), got {tuple(labels.shape)}")
    return float((predicted == labels).float().mean()) if len(labels) else 0.0


# --- distillation ------------------------------------------------------------------------

def _check_logits(name: str, logits: object) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"distillation_loss: {name} must be a float tensor (N, classes), "
                        f"got {type(logits).__name__}"
                        + (f" of {logits.dtype}" if isinstance(logits, torch.Tensor) else ""))
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(f"distillation_loss: {name} must have shape (N, classes) with at "
                         f"least 2 classes, got {tuple(logits.shape)}")
    return logits


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      labels: torch.Tensor, temperature: float = 4.0, alpha: float = 0.5
                      ) -> torch.Tensor:
    """The knowledge-distillation loss of a batch, a scalar tensor:

        alpha · T² · KL(softmax(teacher / T) ‖ softmax(student / T))
        + (1 − alpha) · cross_entropy(student, labels)

    KL(p ‖ q) = Σ_c p_c (log p_c − log q_c), averaged over the N rows (as the
    cross-entropy is). student_logits and teacher_logits: (N, C) float, the same shape;
    labels: (N,) int64 class indices in [0, C). temperature T > 0 (1: the plain softmax;
    larger: softer probabilities); alpha in [0, 1] (0: cross-entropy alone, the plain
    training; 1: the teacher alone). Gradients flow into student_logits only (the
    teacher's are constants: detach them, or compute them under torch.no_grad()).
    Anything else raises ValueError or TypeError saying what was expected and what arrived.
    """
    student = _check_logits("student_logits", student_logits)
    teacher = _check_logits("teacher_logits", teacher_logits)
    if teacher.shape != student.shape:
        raise ValueError(f"distillation_loss: teacher_logits must have the student's shape "
                         f"{tuple(student.shape)}, got {tuple(teacher.shape)}")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        raise TypeError(f"distillation_loss: labels must be an int64 tensor (N,) of class "
                        f"indices, got {type(labels).__name__}"
                        + (f" of {labels.dtype}" if isinstance(labels, torch.Tensor) else ""))
    if labels.shape != student.shape[:1]:
        raise ValueError(f"distillation_loss: labels must have shape ({student.shape[0]},), "
                         f"one per row of the logits, got {tuple(labels.shape)}")
    classes = student.shape[1]
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"distillation_loss: labels must lie in [0, {classes}), got "
                         f"{int(labels.min())}..{int(labels.max())}")
    try:
        temperature = float(temperature)
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"distillation_loss: temperature and alpha must be numbers, got "
                        f"{temperature!r} and {alpha!r}") from None
    if not (temperature > 0 and temperature < float("inf")):
        raise ValueError(f"distillation_loss: temperature must be a finite number > 0, got "
                         f"{temperature}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"distillation_loss: alpha must lie in [0, 1], got {alpha}")
    log_q = F.log_softmax(student / temperature, dim=1)            # student, (N, C)
    log_p = F.log_softmax(teacher.detach() / temperature, dim=1)   # teacher, (N, C)
    kl = (log_p.exp() * (log_p - log_q)).sum(dim=1).mean()
    hard = F.cross_entropy(student, labels)
    return alpha * temperature ** 2 * kl + (1 - alpha) * hard


#: The teacher's sizes (`pipeline.build_model("early")`): what `student_model` scales down.
TEACHER_WIDTH = 64


def student_model(width: int = 16, dim: int | None = None,
                  channels: tuple[int, int] | None = None, hidden: int | None = None
                  ) -> nn.Module:
    """An early fusion like the teacher's, its sizes scaled by width / 64:

    BagOfWords(out_features=width, dim=width / 2), ImageCNN(width, channels=(width / 8,
    width / 4)), AudioLSTM(width, hidden=width, bidirectional), EarlyFusion(hidden=width):
    width 64 is the teacher's architecture (`pipeline.build_model("early")`), width 16
    has about a tenth of its parameters. dim, channels, hidden override the scaled sizes
    (the text's word vectors, the image's convolutions, the audio LSTM's units). Seed
    torch before building it."""
    from mmkit.models.encoders import AudioLSTM, BagOfWords, ImageCNN
    from mmkit.models.fusion import EarlyFusion
    from mmkit.validate import check_count

    width = check_count(width, "student_model: width", minimum=1)
    dim = max(width // 2, 1) if dim is None else dim
    channels = (max(width // 8, 1), max(width // 4, 1)) if channels is None else channels
    hidden = width if hidden is None else hidden
    encoders = {"text": BagOfWords(width, dim=dim), "image": ImageCNN(width, channels),
                "audio": AudioLSTM(width, hidden=hidden)}
    return EarlyFusion(encoders, hidden=width)


def distill(teacher: nn.Module | None, student: nn.Module, train_batch: Mapping[str, torch.Tensor],
            val_batch: Mapping[str, torch.Tensor] | None, epochs: int,
            temperature: float = 4.0, alpha: float = 0.5, seed: int = 0, lr: float = 3e-3,
            batch_size: int = 32, modality_dropout: float | Mapping[str, float] = 0.0,
            patience: int | None = None, progress: bool = False) -> History:
    """Train `student` on `train_batch` (a collate batch) with `distillation_loss` against
    `teacher`'s logits, by the kit's one loop (`mmkit.train.train`): Adam (lr), shuffled
    mini-batches of `batch_size` drawn by `seed`. In each step the teacher, in eval mode,
    computes its logits under torch.no_grad() on the same mini-batch the student sees.

    With `val_batch`, a snapshot per epoch (0 = before training) holds {"val_accuracy"};
    the epoch with the best one is selected (restore_best), stopping early after `patience`
    epochs without progress. modality_dropout p: each batch passes through
    `encoders.drop_modalities(batch, p)` first, as in `classification_step` (its draws
    seeded by `seed`). alpha=0 is plain cross-entropy training: the teacher's logits
    then change nothing, and `teacher` may be None (nothing is computed for it). Returns
    the History ("loss",
    "accuracy" per epoch); leaves the student in eval mode. Seed torch before building the
    student.
    """
    from mmkit.models.encoders import accuracy, classification_step, to_tensors
    from mmkit.validate import check_positive

    distillation_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, dtype=torch.int64),
                      temperature, alpha)      # the settings refused now, not in the loop
    if teacher is None and alpha != 0:
        raise ValueError(f"distill: a teacher is needed for alpha > 0, got alpha={alpha} "
                         f"and no teacher")
    if teacher is not None:
        teacher.eval()
    trainable = [p for p in student.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=check_positive(lr, "lr"))
    draws = torch.Generator().manual_seed(seed)

    def loss(logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        if teacher is None:
            targets = logits.detach()                 # alpha = 0: never used
        else:
            with torch.no_grad():                     # the teacher only answers
                targets = teacher(batch)
        return distillation_loss(logits, targets, batch["label"], temperature, alpha)

    step = classification_step(student, optimizer, modality_dropout, draws, loss=loss)
    selecting = val_batch is not None
    history = train(step, to_tensors(train_batch), epochs, batch_size=batch_size, seed=seed,
                    snapshot=(lambda: {"val_accuracy": accuracy(student, val_batch)})
                    if selecting else None,
                    monitor="val_accuracy" if selecting else None, mode="max",
                    patience=patience if selecting else None, restore_best=selecting,
                    state={"student": student, "optimizer": optimizer, "dropout": draws},
                    progress=progress, description="distillation")
    student.eval()
    return history


# --- the teacher that ships ----------------------------------------------------------------

TEACHER = "early_fusion.pt"       # in data/models
#: How the shipped teacher is trained: `mmkit.pipeline.run` with the fusion bench's settings
#: (benchmarks/results/fusion.md, where early fusion is the best on validation).
TEACHER_SETTINGS = {"fusion": "early", "preset": "standard", "text": "bag_of_words",
                    "epochs": 20, "patience": 5, "seed": 0, "modality_dropout": 0.2}


def _teacher_path(path: str | Path | None) -> Path:
    from mmkit.paths import data_dir

    return Path(path) if path is not None else data_dir() / "models" / TEACHER


def _architecture(model: nn.Module) -> dict[str, list[int]]:
    return {name: list(value.shape) for name, value in model.state_dict().items()}


def save_teacher(model: nn.Module, path: str | Path | None = None,
                 info: Mapping[str, Any] | None = None) -> Path:
    """Write the teacher's weights (default data/models/early_fusion.pt), with what it was
    trained with and its validation accuracy (`info`: plain values) and the shape of each
    weight (what `load_teacher` checks): tensors and plain values only, read back with
    torch's weights_only loading. Returns the path."""
    path = _teacher_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = dict(TEACHER_SETTINGS if info is None else info)
    torch.save({"kind": "mmkit teacher", "info": info,
                "architecture": _architecture(model),
                "state": {name: value.detach().clone()
                          for name, value in model.state_dict().items()}}, path)
    return path


def load_teacher(path: str | Path | None = None, with_info: bool = False) -> Any:
    """The teacher `save_teacher` wrote (default: data/models/early_fusion.pt, made by
    `train_teacher`), built by `pipeline.build_model(fusion, text)` and in eval mode; with
    `with_info`, (model, info): what it was trained with, "val_accuracy", "best_epoch".
    A missing file raises FileNotFoundError saying how to make it; a file that is not a
    teacher, or whose weights have other names or shapes than that architecture, raises
    ValueError naming the differences."""
    from mmkit.pipeline import build_model

    path = _teacher_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained teacher; `python -m benchmarks "
                                f"compression --teacher-only` (compress.train_teacher) "
                                f"writes it")
    saved = torch.load(path, weights_only=True)
    if not isinstance(saved, dict) or saved.get("kind") != "mmkit teacher":
        raise ValueError(f"{path}: expected a teacher written by compress.save_teacher (a "
                         f"dict with kind 'mmkit teacher'), got "
                         + (f"a dict with keys {sorted(saved)}" if isinstance(saved, dict)
                            else type(saved).__name__))
    info = saved["info"]
    model = build_model(info.get("fusion", "early"), info.get("text", "bag_of_words"))
    expected, found = _architecture(model), saved["architecture"]
    differences = ([f"{name}: {expected.get(name)} expected, {found.get(name)} in the file"
                    for name in sorted(set(expected) | set(found))
                    if expected.get(name) != found.get(name)])
    if differences:
        shown = "; ".join(differences[:4]) + (f"; and {len(differences) - 4} more"
                                              if len(differences) > 4 else "")
        raise ValueError(f"{path} holds another architecture than "
                         f"{info.get('fusion', 'early')} fusion with the "
                         f"{info.get('text', 'bag_of_words')} text encoder: {shown}")
    model.load_state_dict(saved["state"])
    model.eval()
    return (model, info) if with_info else model


def train_teacher(path: str | Path | None = None, out: str | Path | None = None,
                  progress: bool = False) -> dict[str, Any]:
    """Train the teacher as the fusion bench does (`pipeline.run` with TEACHER_SETTINGS:
    early fusion, up to 20 epochs, patience 5, modality dropout 0.2, seed 0, the epoch
    chosen on validation accuracy) and save its selected weights by `save_teacher` to
    `path` (default data/models/early_fusion.pt). out: the run's folder (default a
    temporary one). About a minute on one CPU thread. Returns the info saved."""
    import tempfile

    from mmkit.pipeline import run

    with tempfile.TemporaryDirectory() as folder:
        where = Path(out) if out is not None else Path(folder)
        settings = dict(TEACHER_SETTINGS)
        done = run(**settings, out=where, checkpoint=False,
                   progress=progress)
        from mmkit.pipeline import build_model

        model = build_model(settings["fusion"], settings["text"])
        model.load_state_dict(torch.load(where / "model.pt", weights_only=True))
        model.eval()
    info = {**settings, "best_epoch": int(done["best_epoch"]),
            "epochs_run": int(done["epochs_run"]),
            "val_accuracy": float(done["val_accuracy"]),
            "parameters": int(done["report"]["parameters"])}
    save_teacher(model, path, info)
    return info


# --- the final evaluation ----------------------------------------------------------------

def final_accuracies(models: Mapping[str, list[nn.Module]], preset: str = "standard"
                     ) -> dict[str, list[float]]:
    """The held-out (test) split of mmdigits under `preset`, read once here, after every
    choice was made on validation: {name: [accuracy of each model of that name]} (e.g.
    one model per seed). Benchmarks call this rather than read the split themselves."""
    from mmkit.models.encoders import accuracy
    from mmkit.pipeline import _batch

    held_out = _batch("test", preset)
    return {name: [accuracy(model, held_out) for model in group]
            for name, group in models.items()}


def splits(preset: str = "standard", limit: int | None = None
           ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(training batch, validation batch) of mmdigits under `preset`, collated as
    `pipeline.run` reads them (`limit`: the first rows of the training split only)."""
    from mmkit.pipeline import _batch

    return _batch("train", preset, limit), _batch("val", preset)
