"""The Transformer, in the manner of a minimal GPT: config, block, GPT, generate; and a tiny BERT.

Read top to bottom:

    tokens       the digit language as word ids: `language_vocab()` (with <bos>, <eos>,
                 <mask>), `encode_prompt` (unknown words raise ValueError naming them),
                 `sentence_rows` (sentences → inputs and next-token targets)
    config       GPTConfig: vocab_size, block_size, n_layer, n_head, n_embd, dropout
    block        MLP, Block: attention (mmkit.models.attention) + MLP, each wrapped in a
                 layer norm and a residual connection
    GPT          token + position embeddings → blocks → layer norm → logits over the words;
                 `forward(idx, targets)`, `generate(...)`, `num_parameters()`
    training     `train_language_model` (a step function run by mmkit.train.train; the
                 validation loss by mmkit.train.evaluate), `language_model_loss`,
                 `memorisation_floor`, `validation_curve`, `restore_best`
    sampling     `complete` (prompt text → sentences), `next_word_probabilities`
    BERT         `tiny_bert` (transformers' BertForMaskedLM, a few hundred thousand
                 parameters), `mask_tokens` (BERT's 80/10/10 masking), `train_masked_lm`,
                 `fill_in_blanks` (mask each number word of held-out sentences, predict it)

Shapes: B sentences in a batch, T tokens (T ≤ block_size), C = n_embd features,
V = vocab_size words. A GPT reads left to right and predicts the next token at every
position; a BERT reads the whole sentence at once and predicts masked tokens. The
difference between the two blocks is one mask: GPT's attention is causal.

The GPT API, for later notebooks (notebook 09 trains several sizes):

    config = GPTConfig(vocab_size=len(vocab), block_size=16, n_layer=2, n_head=4, n_embd=48)
    model = GPT(config)                                   # seed torch first
    inputs, targets = sentence_rows(sentences, vocab, config.block_size)   # (N, T) each
    history = train_language_model(model, (inputs, targets), val_data, epochs=40)
    epochs, val_losses = validation_curve(history)        # history["loss"]: training
    logits, loss = model(inputs[:8], targets[:8])         # (8, T, V), a 0-d tensor
    model.generate(prompt_ids (B, t), max_new_tokens, temperature=1.0, top_k=None)
    model.num_parameters()
"""

import copy
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from mmkit.data import language
from mmkit.data.text import WordVocab
from mmkit.models.attention import MultiHeadAttention, causal_mask
from mmkit.train import History, evaluate, train
from mmkit.validate import check_count, check_non_negative, check_positive

# --- tokens: the digit language as word ids ---------------------------------------------------

BOS, EOS, MASK = "<bos>", "<eos>", "<mask>"
#: <pad> = 0 and <unk> = 1 (as every WordVocab), then <bos> = 2, <eos> = 3, <mask> = 4.
SPECIAL_TOKENS = (WordVocab.PAD, WordVocab.UNK, BOS, EOS, MASK)
PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKENS))
#: Targets equal to this are not predicted (padding after <eos>): cross-entropy ignores them.
IGNORE_INDEX = -1


@functools.lru_cache(maxsize=1)
def language_vocab() -> WordVocab:
    """The words of `mmkit.data.language.corpus` (about 30) after the special tokens.

    Deterministic: the words of 2,000 corpus sentences (seed 0), most frequent first.
    """
    words = WordVocab.build(language.corpus(2000, seed=0)).tokens[2:]
    return WordVocab((*SPECIAL_TOKENS, *words))


def encode_prompt(text: str, vocab: WordVocab | None = None) -> list[int]:
    """A prompt → its word ids (no <bos>); raises ValueError naming every unknown word.

    "after six" → [id of "after", id of "six"]. Words are `WordVocab.tokenize`'s
    (lower-cased; punctuation split off). The special tokens cannot be typed.
    """
    vocab = language_vocab() if vocab is None else vocab
    words = WordVocab.tokenize(text)
    unknown = [word for word in dict.fromkeys(words)
               if word not in vocab or word in SPECIAL_TOKENS]
    if unknown:
        known = ", ".join(t for t in vocab.tokens if t not in SPECIAL_TOKENS)
        raise ValueError(f"not in the vocabulary: {', '.join(map(repr, unknown))}. The model "
                         f"knows these {len(vocab) - len(SPECIAL_TOKENS)} words: {known}")
    return [vocab.index[word] for word in words]


def sentence_rows(sentences: Sequence[str], vocab: WordVocab | None = None,
                  block_size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentences → (inputs (N, T), targets (N, T)), int64, for a GPT.

    Each sentence becomes `<bos> w1 … wn <eos>`, padded with <pad> to the longest
    (T + 1 tokens, at most block_size + 1: no row is longer than it needs to be); the
    targets are the inputs shifted one to the left (at position t the model predicts
    token t + 1), with IGNORE_INDEX where nothing is left to predict. Unknown words
    raise ValueError naming them; a sentence too long for block_size raises ValueError.
    """
    vocab = language_vocab() if vocab is None else vocab
    block_size = check_count(block_size, "block_size", minimum=2)
    if isinstance(sentences, str):
        raise TypeError("sentence_rows: expected a list of str, got one str (wrap it: [text])")
    encoded = [[BOS_ID, *encode_prompt(sentence, vocab), EOS_ID] for sentence in sentences]
    for i, ids in enumerate(encoded):
        if len(ids) > block_size + 1:
            raise ValueError(f"sentence {i} has {len(ids)} tokens with <bos> and <eos>, more "
                             f"than block_size + 1 = {block_size + 1}: {sentences[i]!r}")
    length = max((len(ids) for ids in encoded), default=2)
    rows = torch.full((len(encoded), length), PAD_ID, dtype=torch.long)
    for i, ids in enumerate(encoded):
        rows[i, :len(ids)] = torch.tensor(ids)
    inputs, targets = rows[:, :-1].clone(), rows[:, 1:].clone()
    targets[targets == PAD_ID] = IGNORE_INDEX
    return inputs, targets


# --- config -----------------------------------------------------------------------------------

@dataclass
class GPTConfig:
    """The sizes of a GPT. vocab_size: V words; block_size: the longest context T;
    n_layer blocks, each with n_head heads over n_embd = C features (n_head must divide
    it); dropout: the probability of zeroing an activation in training (0: none)."""

    vocab_size: int
    block_size: int = 16
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 48
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            setattr(self, name, check_count(getattr(self, name), name, minimum=1))
        if self.n_embd % self.n_head:
            raise ValueError(f"n_head must divide n_embd, got n_embd={self.n_embd}, "
                             f"n_head={self.n_head}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {self.dropout!r}")


# --- block --------------------------------------------------------------------------------------

class MLP(nn.Module):
    """Position-wise feed-forward network: C → 4C → GELU → C, applied to each token alone.

    Attention mixes information *between* positions; the MLP then computes on each
    position's features separately (most of a Transformer's parameters are here).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, C) → (B, T, C)."""
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """One Transformer block (GPT-2's pre-norm form):

        x = x + attention(layer_norm(x))     tokens look at each other (causal: only back)
        x = x + mlp(layer_norm(x))           each token computes on what it gathered

    The residual connections (x + ...) let each block add a correction to its input
    instead of replacing it, so gradients reach the first layers unchanged through the
    sums; the layer norms keep every token's features at mean 0 and variance 1 before
    each sub-layer, so the scale of the activations does not drift with depth.
    causal=False gives BERT's bidirectional attention (every token sees every token).
    """

    def __init__(self, config: GPTConfig, causal: bool = True):
        super().__init__()
        self.causal = causal
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = MultiHeadAttention(config.n_embd, config.n_head)
        self.dropout = nn.Dropout(config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, return_attention: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, C) → (B, T, C); with return_attention also the weights (B, H, T, T)."""
        h = self.ln_1(x)
        forbidden = ~causal_mask(x.shape[1]).to(x.device) if self.causal else None
        attended, weights = self.attn(h, h, h, attn_mask=forbidden, average_attn_weights=False)
        x = x + self.dropout(attended)
        x = x + self.mlp(self.ln_2(x))
        return (x, weights) if return_attention else x


# --- GPT ----------------------------------------------------------------------------------------

class GPT(nn.Module):
    """A decoder-only Transformer language model (GPT-2's design, tiny).

        idx (B, T) → token embedding + position embedding (B, T, C) → n_layer causal
        Blocks → layer norm → linear head → logits (B, T, V)

    The logits at position t score every word as token t + 1. The head shares its
    weight matrix with the token embedding (weight tying, as GPT-2): a word's input
    vector and output vector are the same V × C matrix.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)   # token embedding
        self.wpe = nn.Embedding(config.block_size, config.n_embd)   # position embedding
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config, causal=True) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight                        # weight tying
        self.apply(self._init_weights)
        for block in self.blocks:  # GPT-2: residual projections scaled by 1/√(2 n_layer)
            for layer in (block.attn.out_proj, block.mlp.proj):
                nn.init.normal_(layer.weight, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def num_parameters(self) -> int:
        """Every trainable number, biases and layer norms included; the tied embedding and
        head count once (as `sum(p.numel() for p in model.parameters())`)."""
        return sum(p.numel() for p in self.parameters())

    def _check_ids(self, idx: torch.Tensor, name: str = "idx") -> None:
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            got = (f"{idx.dtype} of shape {tuple(idx.shape)}" if isinstance(idx, torch.Tensor)
                   else type(idx).__name__)
            raise ValueError(f"{name}: expected token ids, an int64 tensor (B, T), got {got}")
        if idx.shape[1] > self.config.block_size:
            raise ValueError(f"{name}: {idx.shape[1]} tokens, more than block_size = "
                             f"{self.config.block_size}")
        if idx.numel() and (idx.min() < 0 or idx.max() >= self.config.vocab_size):
            raise ValueError(f"{name}: ids must lie in [0, {self.config.vocab_size}), got "
                             f"{int(idx.min())} to {int(idx.max())}")

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                return_attention: bool = False):
        """idx (B, T) token ids → (logits (B, T, V), loss or None).

        targets (B, T): the next token at each position (IGNORE_INDEX: skip); the loss is
        their mean cross-entropy. return_attention: also a list of each block's weights
        (B, H, T, T).
        """
        self._check_ids(idx)
        if targets is not None and targets.shape != idx.shape:
            raise ValueError(f"targets: expected the shape of idx {tuple(idx.shape)}, got "
                             f"{tuple(targets.shape)}")
        positions = torch.arange(idx.shape[1], device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(positions))           # (B, T, C)
        attention = []
        for block in self.blocks:
            x, weights = block(x, return_attention=True)
            attention.append(weights)
        logits = self.lm_head(self.ln_f(x))                          # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
        if return_attention:
            return logits, loss, attention
        return logits, loss

    @torch.no_grad()
    def generate(self, prompt: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, stop_token: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Extend prompt (B, t) by up to max_new_tokens tokens → (B, t + new), sampled.

        At each step: the logits of the last position (the context cut to the last
        block_size tokens), divided by `temperature` *before* the softmax (below 1:
        sharper, above 1: flatter; 0: always the most likely word), only the `top_k`
        largest kept (None: all), then one token drawn. stop_token: stop once every row
        has produced it (a row that did keeps producing, cut it at its first stop).
        """
        self._check_ids(prompt, "prompt")
        if prompt.shape[1] == 0:
            raise ValueError("prompt: expected at least one token (start with <bos>)")
        max_new_tokens = check_count(max_new_tokens, "max_new_tokens")
        temperature = check_non_negative(temperature, "temperature")
        if top_k is not None:
            top_k = min(check_count(top_k, "top_k", minimum=1), self.config.vocab_size)
        was_training = self.training
        self.eval()
        idx = prompt
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config.block_size:])
            probabilities = next_token_distribution(logits[:, -1, :], temperature, top_k)
            if temperature == 0:
                new = probabilities.argmax(dim=-1, keepdim=True)
            else:
                new = torch.multinomial(probabilities, 1, generator=generator)
            idx = torch.cat([idx, new], dim=1)
            if stop_token is not None and bool((idx[:, prompt.shape[1]:] == stop_token)
                                               .any(dim=1).all()):
                break
        self.train(was_training)
        return idx


def next_token_distribution(logits: torch.Tensor, temperature: float = 1.0,
                            top_k: int | None = None) -> torch.Tensor:
    """logits (..., V) → probabilities (..., V): divided by the temperature, then all but
    the top_k largest set to −inf, then the softmax. Temperature 0: all the probability on
    the largest logit (greedy decoding)."""
    if temperature == 0:
        return F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]    # the k-th largest
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)


# --- training -----------------------------------------------------------------------------------

LMData = tuple[torch.Tensor, torch.Tensor]


def _check_data(data: LMData, name: str) -> LMData:
    if not (isinstance(data, tuple) and len(data) == 2
            and all(isinstance(t, torch.Tensor) for t in data)
            and data[0].shape == data[1].shape and data[0].dim() == 2):
        raise ValueError(f"{name}: expected (inputs, targets), two int64 tensors of the same "
                         "shape (N, T), as sentence_rows returns")
    return data


@torch.no_grad()
def language_model_loss(model: GPT, data: LMData, batch_size: int = 256) -> float:
    """The mean cross-entropy per predicted token (nats) of `model` on (inputs, targets),
    by mmkit.train.evaluate; e⁽ˡᵒˢˢ⁾ is the perplexity."""
    inputs, targets = _check_data(data, "data")
    was_training = model.training
    model.eval()

    def score(x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        logits, _ = model(x)
        flat = y.reshape(-1)
        total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat,
                                ignore_index=IGNORE_INDEX, reduction="sum")
        rows = len(x)  # evaluate weights each value by the batch size: give means per row
        return {"sum": total.item() / rows, "count": int((flat != IGNORE_INDEX).sum()) / rows}

    sums = evaluate(score, (inputs, targets), batch_size=batch_size)
    model.train(was_training)
    return sums["sum"] / max(sums["count"], 1e-12)


def train_language_model(model: GPT, train_data: LMData, val_data: LMData | None = None,
                         epochs: int = 40, batch_size: int = 32, lr: float = 3e-3,
                         weight_decay: float = 0.0, seed: int = 0, eval_every: int = 1,
                         keep_states: bool = False, progress: bool = False) -> History:
    """Train a GPT on (inputs, targets) (N, T) with AdamW; return the History.

    history["loss"]: the training loss per epoch (the mean over its batches, in nats per
    token). With val_data, the validation loss (`language_model_loss`) is recorded before
    training and every `eval_every` epochs in history.snapshots as (epoch, {"validation":
    loss}), plus "state" (a copy of the weights) with keep_states, for `restore_best`.
    seed: the batch order (seed the model's weights yourself before building it).
    """
    train_data = _check_data(train_data, "train_data")
    optimizer = torch.optim.AdamW(model.parameters(), lr=check_positive(lr, "lr"),
                                  weight_decay=check_non_negative(weight_decay, "weight_decay"))

    def step(inputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(inputs, targets)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    snapshot = None
    if val_data is not None:
        val_data = _check_data(val_data, "val_data")

        def snapshot() -> dict[str, Any]:
            taken: dict[str, Any] = {"validation": language_model_loss(model, val_data)}
            if keep_states:
                taken["state"] = copy.deepcopy(model.state_dict())
            return taken

    history = train(step, train_data, epochs, batch_size=batch_size, seed=seed,
                    snapshot=snapshot, snapshot_every=eval_every, progress=progress,
                    description="GPT")
    model.eval()
    return history


def memorisation_floor(data: LMData) -> float:
    """The lowest mean cross-entropy per predicted token (nats) that *any* model can reach
    on (inputs, targets): where rows share a prefix and then go on differently (eight
    sentences that all start "after ..."), the next token cannot be known, and the best a
    model can do is predict the batch's own frequencies. A model that memorised the batch
    reaches this floor; the floor is 0 only if no two rows share a prefix that they
    continue differently."""
    inputs, targets = _check_data(data, "data")
    counts: dict[tuple[int, ...], Counter] = defaultdict(Counter)
    for row, following in zip(inputs.tolist(), targets.tolist(), strict=True):
        for t, target in enumerate(following):
            if target != IGNORE_INDEX:
                counts[tuple(row[:t + 1])][target] += 1
    total = sum(-n * math.log(n / sum(seen.values()))
                for seen in counts.values() for n in seen.values())
    predicted = sum(sum(seen.values()) for seen in counts.values())
    return total / max(predicted, 1)


def validation_curve(history: History, key: str = "validation") -> tuple[np.ndarray, np.ndarray]:
    """(epochs (S,), values (S,)) of what the snapshots recorded under `key`."""
    points = [(epoch, taken[key]) for epoch, taken in history.snapshots
              if isinstance(taken, dict) and key in taken]
    if not points:
        raise ValueError(f"this history recorded no {key!r} snapshots: train with val_data")
    epochs, values = zip(*points, strict=True)
    return np.asarray(epochs), np.asarray(values, dtype=float)


def restore_best(model: nn.Module, history: History, key: str = "validation",
                 larger_is_better: bool = False) -> int:
    """Load the weights of the snapshot with the best `key` (lowest, or highest with
    larger_is_better) into `model`; return its epoch. Needs keep_states=True."""
    candidates = [(epoch, taken) for epoch, taken in history.snapshots
                  if isinstance(taken, dict) and key in taken and "state" in taken]
    if not candidates:
        raise ValueError("no snapshot kept the weights: train with keep_states=True")
    sign = -1 if larger_is_better else 1
    epoch, best = min(candidates, key=lambda c: (sign * c[1][key], c[0]))
    model.load_state_dict(best["state"])
    return epoch


# --- sampling -----------------------------------------------------------------------------------

def _cut(ids: list[int], vocab: WordVocab) -> str:
    """Token ids after <bos> → text, up to the first <eos>."""
    if EOS_ID in ids:
        ids = ids[:ids.index(EOS_ID)]
    return " ".join(vocab.tokens[i] for i in ids if i != PAD_ID)


def complete(model: GPT, prompt: str = "", num_samples: int = 1, temperature: float = 1.0,
             top_k: int | None = None, seed: int = 0, vocab: WordVocab | None = None
             ) -> list[str]:
    """`num_samples` sentences that start with `prompt` ("" for none), sampled from the GPT
    until <eos> (or the block is full). Unknown words in the prompt raise ValueError
    naming them. The same seed gives the same sentences."""
    vocab = language_vocab() if vocab is None else vocab
    num_samples = check_count(num_samples, "num_samples", minimum=1)
    ids = [BOS_ID, *encode_prompt(prompt, vocab)]
    room = model.config.block_size - len(ids)
    if room < 1:
        raise ValueError(f"the prompt has {len(ids) - 1} words; at most "
                         f"{model.config.block_size - 2} fit in this model's context")
    start = torch.tensor([ids] * num_samples)
    generator = torch.Generator().manual_seed(seed)
    out = model.generate(start, room, temperature=temperature, top_k=top_k,
                         stop_token=EOS_ID, generator=generator)
    return [_cut(row[1:], vocab) for row in out.tolist()]


@torch.no_grad()
def next_word_probabilities(model: GPT, prompt: str = "", temperature: float = 1.0,
                            top_k: int | None = None, vocab: WordVocab | None = None
                            ) -> dict[str, float]:
    """The GPT's distribution of the word after `prompt`, as sampling uses it (temperature
    and top-k applied): {word: probability}, most likely first, zeros left out."""
    vocab = language_vocab() if vocab is None else vocab
    ids = torch.tensor([[BOS_ID, *encode_prompt(prompt, vocab)]])
    model.eval()
    logits, _ = model(ids[:, -model.config.block_size:])
    probabilities = next_token_distribution(logits[0, -1], check_non_negative(
        temperature, "temperature"), top_k)
    order = torch.argsort(probabilities, descending=True).tolist()
    return {vocab.tokens[i]: float(probabilities[i]) for i in order if probabilities[i] > 0}


# --- BERT: a tiny encoder trained by masked-language modelling ----------------------------------

def tiny_bert(vocab_size: int, hidden_size: int = 64, num_layers: int = 2, num_heads: int = 4,
              max_length: int = 16, dropout: float = 0.0,
              initializer_range: float | None = None) -> Any:
    """A tiny BERT for masked-language modelling: transformers' `BertForMaskedLM` with a
    `BertConfig` of our sizes (MLP 4 × hidden; <pad> = 0). Built from the config, never
    downloaded. Its layer is our Block without the causal mask, with the layer norms after
    the residual sums (post-norm, as the original BERT). Seed torch before calling.

    initializer_range: the standard deviation of the initial weights; None gives
    1/√hidden_size. BERT's 0.02 was chosen for its 768 features; at 64 features it
    makes the first outputs so small that training idles on a plateau for hundreds of steps.
    """
    from transformers import BertConfig, BertForMaskedLM

    hidden_size = check_count(hidden_size, "hidden_size", minimum=1)
    if initializer_range is None:
        initializer_range = 1 / math.sqrt(hidden_size)
    config = BertConfig(initializer_range=check_positive(initializer_range, "initializer_range"),
                        vocab_size=check_count(vocab_size, "vocab_size", minimum=1),
                        hidden_size=hidden_size, num_hidden_layers=num_layers,
                        num_attention_heads=num_heads, intermediate_size=4 * hidden_size,
                        max_position_embeddings=max_length, type_vocab_size=1,
                        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
                        pad_token_id=PAD_ID)
    return BertForMaskedLM(config)


def encode_sentences(sentences: Sequence[str], vocab: WordVocab | None = None,
                     max_length: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentences → (ids (N, L), attention mask (N, L)) for a BERT: `<bos> w1 … wn <eos>`
    (BERT's [CLS] … [SEP]), padded with <pad> (mask 0) to the longest, L ≤ max_length."""
    inputs, targets = sentence_rows(sentences, vocab, max_length - 1)
    ids = torch.cat([inputs[:, :1], targets.clamp(min=PAD_ID)], dim=1)
    return ids, (ids != PAD_ID).long()


def mask_tokens(ids: torch.Tensor, vocab_size: int, rate: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking: ids (B, T) → (inputs (B, T), labels (B, T)).

    Each word (not <pad>, <bos>, <eos>) is chosen with probability `rate`; a chosen word
    becomes <mask> 80% of the time, a random word 10%, stays itself 10% (so the model
    cannot rely on seeing <mask>). labels hold the chosen words' ids and −100 elsewhere
    (the positions the loss ignores, as transformers expects).
    """
    if not 0 < rate <= 1:
        raise ValueError(f"rate must be in (0, 1], got {rate!r}")
    words = ids >= len(SPECIAL_TOKENS)
    chosen = words & (torch.rand(ids.shape, generator=generator) < rate)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    draw = torch.rand(ids.shape, generator=generator)
    random_words = torch.randint(len(SPECIAL_TOKENS), vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (draw < 0.8), torch.full_like(ids, MASK_ID), ids)
    inputs = torch.where(chosen & (draw >= 0.8) & (draw < 0.9), random_words, inputs)
    return inputs, labels


def train_masked_lm(model: Any, ids: torch.Tensor, attention_mask: torch.Tensor,
                    epochs: int = 60, batch_size: int = 32, lr: float = 3e-3, rate: float = 0.15,
                    warmup_steps: int = 0, weight_decay: float = 0.0, seed: int = 0,
                    snapshot: Callable[[], Any] | None = None, snapshot_every: int = 1,
                    progress: bool = False) -> History:
    """Train a BERT by masked-language modelling with AdamW: every step masks a fresh
    `rate` of the words of its batch (`mask_tokens`) and lowers the cross-entropy of the
    masked words. The learning rate rises linearly over the first `warmup_steps` steps
    (the layer norms after the residual sums make the first steps fragile), then stays
    (transformers' `get_constant_schedule_with_warmup`; BERT's own schedule then decays
    it linearly to 0, which in a run this short stops learning before it has taken off).
    Returns the History (history["loss"] per epoch)."""
    from transformers import get_constant_schedule_with_warmup

    optimizer = torch.optim.AdamW(model.parameters(), lr=check_positive(lr, "lr"),
                                  weight_decay=check_non_negative(weight_decay, "weight_decay"))
    schedule = get_constant_schedule_with_warmup(optimizer,
                                                 check_count(warmup_steps, "warmup_steps"))
    masking = torch.Generator().manual_seed(seed + 1)
    vocab_size = model.config.vocab_size

    def step(batch: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
        model.train()
        inputs, labels = mask_tokens(batch, vocab_size, rate, masking)
        if not bool((labels != -100).any()):
            return {}
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=inputs, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        return {"loss": loss.item()}

    history = train(step, (ids, attention_mask), epochs, batch_size=batch_size, seed=seed,
                    snapshot=snapshot, snapshot_every=snapshot_every, progress=progress,
                    description="BERT")
    model.eval()
    return history


@dataclass(frozen=True)
class Blank:
    """One masked number word: the sentence, the position of the word, the word, the model's
    best guess and its probability."""

    sentence: str
    position: int
    answer: str
    guess: str
    probability: float

    @property
    def shown(self) -> str:
        """The sentence with the blank: "three plus [MASK] is seven"."""
        words = self.sentence.split()
        words[self.position] = "[MASK]"
        return " ".join(words)

    @property
    def filled(self) -> str:
        """The sentence with the model's guess in the blank."""
        words = self.sentence.split()
        words[self.position] = self.guess
        return " ".join(words)

    @property
    def true(self) -> bool:
        """Does the guess make the sentence true (`language.is_true`)? In "two is less than
        [MASK]" seven is as right as the original nine; in "three plus four is [MASK]" only
        seven is."""
        return language.is_true(self.filled)

    @property
    def chance(self) -> float:
        """The share of the ten number words that make the sentence true: how often a guess
        at random is right here (0.1 where one word is, up to 0.9)."""
        words = self.sentence.split()
        fits = 0
        for word in language.WORDS:
            words[self.position] = word
            fits += language.is_true(" ".join(words))
        return fits / len(language.WORDS)


@torch.no_grad()
def fill_in_blanks(model: Any, sentences: Sequence[str], vocab: WordVocab | None = None,
                   max_length: int = 16) -> list[Blank]:
    """Mask each number word of each sentence in turn (one blank at a time) and take the
    BERT's most likely word there. Returns one Blank per number word."""
    vocab = language_vocab() if vocab is None else vocab
    model.eval()
    ids, mask = encode_sentences(sentences, vocab, max_length)
    rows, positions = [], []
    for row, sentence in enumerate(sentences):
        for position, word in enumerate(sentence.split()):
            if word in language.NUMBER_VALUES:
                rows.append(row)
                positions.append(position)
    if not rows:
        return []
    row_index, columns = torch.tensor(rows), torch.tensor(positions) + 1  # +1: after <bos>
    inputs = ids[row_index].clone()
    inputs[torch.arange(len(rows)), columns] = MASK_ID
    logits = model(input_ids=inputs, attention_mask=mask[row_index]).logits
    probabilities = torch.softmax(logits[torch.arange(len(rows)), columns], dim=-1)
    best = probabilities.max(dim=-1)
    return [Blank(sentences[r], p, sentences[r].split()[p], vocab.tokens[int(i)], float(q))
            for r, p, i, q in zip(rows, positions, best.indices, best.values, strict=True)]
