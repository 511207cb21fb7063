"""Attention, written out step by step: a soft lookup of values by the relevance of keys.

Each query asks "which positions matter to me?". Its dot product with every key,
scaled by 1/√d, is a relevance score; the softmax turns the scores into weights
that sum to 1; the answer is the weighted sum of the values:

    Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V

    scaled_dot_product_attention   the formula, with a mask, returning the weights too
    causal_mask, padding_mask      which keys each query may see
    MultiHeadAttention             h attentions side by side on learned projections

Shapes: B batch, L queries, S keys (= values), E the model's width, H heads of
width D = E / H. The names and mask conventions mirror PyTorch's, so the two can
be compared line by line: `scaled_dot_product_attention` follows
`torch.nn.functional.scaled_dot_product_attention` (a boolean mask is True where
attending is *allowed*), `MultiHeadAttention` follows `torch.nn.MultiheadAttention`
(`attn_mask` True where it is *forbidden*, `key_padding_mask` True at padding).
"""

import math

import torch
from torch import nn

from mmkit.validate import check_count


def _check(name: str, condition: bool, expected: str, got: str) -> None:
    if not condition:
        raise ValueError(f"{name}: expected {expected}, got {got}")


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 mask: torch.Tensor | None = None, scale: float | None = None
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q Kᵀ · scale + mask) V, and the weights.

    query (..., L, D), key (..., S, D), value (..., S, Dv); the leading dimensions
    (batch, heads) broadcast. mask: bool (..., L, S), True where query i may attend to
    key j (as `torch.nn.functional.scaled_dot_product_attention`), or a float mask added
    to the scores (−inf forbids). scale: 1/√D by default; without it, the scores grow
    with D and the softmax saturates on one key. Returns (output (..., L, Dv), weights
    (..., L, S)); a query allowed to see no key at all gets zero weights and a zero
    output (PyTorch returns NaN there).
    """
    _check("query, key", query.shape[-1] == key.shape[-1],
           "the same width D for queries and keys", f"query {tuple(query.shape)} and key "
           f"{tuple(key.shape)}")
    _check("key, value", key.shape[-2] == value.shape[-2],
           "as many values as keys (S)", f"key {tuple(key.shape)} and value "
           f"{tuple(value.shape)}")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale  # (..., L, S): relevance of key j to query i
    if mask is not None:
        want = (query.shape[-2], key.shape[-2])
        _check("mask", mask.dim() >= 2 and tuple(mask.shape[-2:]) in (want, (1, want[1])),
               f"a mask of shape (..., {want[0]}, {want[1]}) (queries × keys)",
               f"{tuple(mask.shape)}")
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))  # before the softmax, not after
        else:
            scores = scores + mask
    weights = torch.softmax(scores, dim=-1)
    weights = torch.nan_to_num(weights, nan=0.0)  # a row of −inf only: nothing to attend to
    return weights @ value, weights


def causal_mask(length: int) -> torch.Tensor:
    """(L, L) bool, True on and below the diagonal: position i may see positions 0..i only,
    never the future (a GPT predicting the next token)."""
    length = check_count(length, "length", minimum=1)
    return torch.ones(length, length, dtype=torch.bool).tril()


def padding_mask(lengths: torch.Tensor | list[int], max_length: int) -> torch.Tensor:
    """(B, S) bool, True at padding: key j of sequence b is padding if j ≥ lengths[b]
    (the `key_padding_mask` of `torch.nn.MultiheadAttention`)."""
    lengths = torch.as_tensor(lengths)
    max_length = check_count(max_length, "max_length", minimum=1)
    _check("lengths", lengths.dim() == 1 and bool(((lengths >= 0) & (lengths <= max_length))
                                                    .all()),
           f"one length per sequence, each in [0, {max_length}]", f"{lengths.tolist()}")
    return torch.arange(max_length)[None, :] >= lengths[:, None]


class MultiHeadAttention(nn.Module):
    """H attentions in parallel, each on its own learned projections of width D = E / H.

    Project queries, keys and values (E → E each), split the E features into H heads
    of D, attend in each head, join the heads and project once more (E → E):

        head_h = Attention(Q W_q^h, K W_k^h, V W_v^h),  out = concat(head_1..H) W_o

    Mirrors `torch.nn.MultiheadAttention(E, H, batch_first=True)`; `copy_from` takes its
    weights, so both compute the same thing.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__()
        embed_dim = check_count(embed_dim, "embed_dim", minimum=1)
        num_heads = check_count(num_heads, "num_heads", minimum=1)
        _check("num_heads", embed_dim % num_heads == 0, f"a divisor of embed_dim={embed_dim}",
               f"{num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, E) → (B, H, N, D): the features split into heads."""
        b, n, _ = x.shape
        return x.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None, average_attn_weights: bool = True
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, L, E), key and value (B, S, E) → (output (B, L, E), weights).

        key_padding_mask: bool (B, S), True at padded keys, which get zero weight.
        attn_mask: bool (L, S), True where query i may NOT see key j (e.g.
        `~causal_mask(L)`), as PyTorch's. Weights: (B, L, S) averaged over heads, or
        (B, H, L, S) with average_attn_weights=False.
        """
        for name, x in (("query", query), ("key", key), ("value", value)):
            _check(name, x.dim() == 3 and x.shape[-1] == self.embed_dim,
                   f"a tensor of shape (B, N, {self.embed_dim})", f"{tuple(x.shape)}")
        b, length, _ = query.shape
        keys = key.shape[1]
        _check("key, value", key.shape[:2] == value.shape[:2] and query.shape[0] == key.shape[0],
               "key and value of the same (B, S), and the query's B",
               f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
        allowed = torch.ones(b, 1, length, keys, dtype=torch.bool, device=query.device)
        if key_padding_mask is not None:
            _check("key_padding_mask", tuple(key_padding_mask.shape) == (b, keys),
                   f"a bool mask of shape ({b}, {keys}) (B, S)", f"{tuple(key_padding_mask.shape)}")
            allowed = allowed & ~key_padding_mask[:, None, None, :].bool()
        if attn_mask is not None:
            _check("attn_mask", tuple(attn_mask.shape) == (length, keys),
                   f"a bool mask of shape ({length}, {keys}) (L, S)", f"{tuple(attn_mask.shape)}")
            allowed = allowed & ~attn_mask.bool()
        q, k, v = (self._heads(proj(x)) for proj, x in ((self.q_proj, query),
                                                          (self.k_proj, key),
                                                          (self.v_proj, value)))
        heads, weights = scaled_dot_product_attention(q, k, v, mask=allowed)  # (B, H, L, D)
        joined = heads.transpose(1, 2).reshape(b, length, self.embed_dim)
        out = self.out_proj(joined)
        return out, weights.mean(dim=1) if average_attn_weights else weights

    @torch.no_grad()
    def copy_from(self, twin: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Take the weights of a `torch.nn.MultiheadAttention` of the same size (its packed
        in-projection is W_q, W_k, W_v stacked), so both compute the same thing."""
        _check("twin", twin.embed_dim == self.embed_dim and twin.num_heads == self.num_heads,
               f"embed_dim={self.embed_dim}, num_heads={self.num_heads}",
               f"embed_dim={twin.embed_dim}, num_heads={twin.num_heads}")
        for i, proj in enumerate((self.q_proj, self.k_proj, self.v_proj)):
            rows = slice(i * self.embed_dim, (i + 1) * self.embed_dim)
            proj.weight.copy_(twin.in_proj_weight[rows])
            if proj.bias is not None:
                proj.bias.copy_(twin.in_proj_bias[rows])
        self.out_proj.weight.copy_(twin.out_proj.weight)
        if self.out_proj.bias is not None:
            self.out_proj.bias.copy_(twin.out_proj.bias)
        return self
