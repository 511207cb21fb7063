"""Checks for notebook 07's exercises: attention, the causal mask, splitting into heads.

    check_attention(attention)       softmax(Q Kᵀ / √d, masked) V, returning the weights too
    check_causal_mask(causal_mask)   (L, L) bool, True where position i may see j (j ≤ i)
    check_split_heads(split_heads)   (B, L, E) → (B, H, L, E / H)

Each check runs the learner's function on fixed inputs with the kit's own
versions switched off (`@check(kit=...)`: `mmkit.models.attention`'s
`scaled_dot_product_attention`, `causal_mask`, `MultiHeadAttention`, and the demo
that calls them), compares with the private references of `_reference` (PyTorch's
`F.scaled_dot_product_attention`, `nn.Transformer.generate_square_subsequent_mask`,
`unflatten`), and names the typical mistake when there is one: the √d forgotten, the
softmax over the wrong axis, the wrong matrix transposed, the mask applied after the
softmax or filled with 0, a causal mask off by one. A check returns `Feedback`; it
never raises on a wrong answer.
"""

import math
from collections.abc import Callable

import numpy as np
import torch

from mmkit.demos import attention as demos
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    correct,
    diagnose,
    unpack,
    wrong,
)
from mmkit.models import attention as models


def _softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


# --- exercise 1: scaled dot-product attention --------------------------------------------------

def _attention_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
    """(q, k, v, mask): self-attention without a mask (L = S = 4, d = 8), the same with a
    mask (every query sees at least one key), and cross-attention (L = 3 ≠ S = 5)."""
    rng = np.random.default_rng(7)
    q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 3))
    mask = np.array([[1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=bool)
    cross = rng.normal(size=(3, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 2))
    return [(q, k, v, None), (q, k, v, mask), (*cross, None)]


def _attention_mistakes(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None
                        ) -> list[tuple[object, str]]:
    """What each typical slip returns as weights on these inputs, with its explanation."""
    d = q.shape[-1]
    scores = q @ k.T / math.sqrt(d)
    allowed = np.ones_like(scores, dtype=bool) if mask is None else mask

    def masked(s: np.ndarray) -> np.ndarray:
        return np.where(allowed, s, -np.inf)

    mistakes = [
        (_softmax(masked(q @ k.T)), "You forgot to divide the scores by √d: without it they "
                                    "grow with the width d and the softmax saturates."),
        (_softmax(masked(q @ k.T / d)), "You divided the scores by d: divide by √d (the "
                                        "standard deviation of q·k for unit-variance entries)."),
        (_softmax(masked(scores), axis=0), "Your softmax runs over the wrong axis (the queries, "
                                           "dim 0): each query's weights over the keys must "
                                           "sum to 1, softmax(..., dim=-1)."),
    ]
    if q.shape == k.shape:  # self-attention: the transposed scores have the same shape
        mistakes.append((_softmax(masked(k @ q.T / math.sqrt(d))),
                         "You transposed the wrong matrix: scores[i, j] = q_i · k_j is "
                         "Q Kᵀ (queries as rows), not K Qᵀ."))
    if mask is not None:
        mistakes += [
            (_softmax(scores) * mask, "You applied the mask after the softmax: the weights of "
                                      "a query no longer sum to 1. Set the masked scores to "
                                      "−inf *before* the softmax."),
            (_softmax(np.where(mask, -np.inf, scores)), "Your mask is the wrong way round: "
                                                        "True means *may* attend (as in "
                                                        "F.scaled_dot_product_attention); "
                                                        "forbid where it is False."),
            (_softmax(np.where(mask, scores, 0.0)), "You set the masked scores to 0: a score "
                                                    "of 0 still gets weight e⁰ = 1 in the "
                                                    "softmax. Use −inf (masked_fill(~mask, "
                                                    "float('-inf')))."),
        ]
    return mistakes


#: The kit's ways to attention.
ATTENTION_KIT = [models.scaled_dot_product_attention, models.MultiHeadAttention,
                 demos.query_weights]


@check(kit=ATTENTION_KIT)
def check_attention(attention: Callable) -> Feedback:
    """`attention(q, k, v, mask=None)` → (out, weights): weights = softmax(q kᵀ / √d) with
    the masked scores at −inf before the softmax, out = weights v. q (L, d), k (S, d),
    v (S, dv), mask bool (L, S) True where query i may attend to key j: float64 tensors."""
    for q, k, v, mask in _attention_cases():
        args = [torch.tensor(q), torch.tensor(k), torch.tensor(v)]
        if mask is not None:
            args.append(torch.tensor(mask))
        answer = attempt(attention, *args)
        problem = unpack(answer, ("out", "weights"))
        if problem is not None:
            return problem
        out, weights = (as_numbers(a) for a in answer)
        expected_out, expected_weights = _reference.attention_scaled_dot_product(q, k, v, mask)
        where = ("" if mask is None and q.shape == k.shape else
                 " (with a mask)" if mask is not None else
                 f" (cross-attention: {len(q)} queries, {len(k)} keys)")
        problem = diagnose(weights, expected_weights, _attention_mistakes(q, k, v, mask),
                           f"your weights{where}", hint="weights = softmax(q kᵀ / √d) over "
                           "the keys (the last axis), shape (L, S).")
        if problem is not None:
            return problem
        mistakes = [(expected_weights.T @ v, "The weights are right, but the output uses "
                                             "their transpose: out = weights @ v.")
                    ] if q.shape == k.shape else []
        problem = diagnose(out, expected_out, mistakes, f"your output{where}",
                           hint="out = weights @ v, shape (L, dv).")
        if problem is not None:
            return problem
    return correct("Correct! softmax(Q Kᵀ / √d) V with the mask before the softmax: the "
                   "same numbers as F.scaled_dot_product_attention, masked keys at exactly "
                   "0, each query's weights summing to 1.")


# --- exercise 2: the causal mask ---------------------------------------------------------------

#: The kit's ways to a causal mask.
CAUSAL_KIT = [models.causal_mask]


def _causal_mistakes(length: int) -> list[tuple[np.ndarray, str]]:
    i, j = np.arange(length)[:, None], np.arange(length)[None, :]
    return [
        (j < i, "The diagonal is excluded: position i may see itself (j ≤ i), otherwise the "
                "first position sees nothing at all."),
        (j <= i + 1, "Off by one: you let each position see the next one too (j ≤ i + 1); "
                     "the future must stay hidden (j ≤ i)."),
        (j >= i, "That is the mask of the future (on and above the diagonal): position i may "
                 "see 0..i, on and *below* the diagonal (transpose it, or use tril)."),
        (j > i, "True where attending is *forbidden* (nn.MultiheadAttention's attn_mask): "
                "here True means *may* attend, as in F.scaled_dot_product_attention; "
                "invert it."),
        (np.ones((length, length), dtype=bool), "That lets every position see every other: "
                                                "the future must be hidden (j ≤ i)."),
    ]


@check(kit=CAUSAL_KIT)
def check_causal_mask(causal_mask: Callable) -> Feedback:
    """`causal_mask(length)` → (L, L) bool, True where position i may see position j,
    i.e. j ≤ i (on and below the diagonal)."""
    for length in (5, 1, 8):
        answer = attempt(causal_mask, length)
        expected = _reference.attention_causal_mask(length)
        problem = diagnose(as_numbers(answer), expected, _causal_mistakes(length),
                           f"your mask for L = {length}",
                           hint="True on and below the diagonal: torch.tril, or "
                                "j ≤ i with torch.arange.")
        if problem is not None:
            return problem
        dtype = np.asarray(as_numbers(answer)).dtype
        if dtype.kind != "b":
            return wrong(f"The pattern is right, but the mask holds {dtype} values: return "
                         "bools (torch.bool). A float or integer mask is *added* to the "
                         "scores by F.scaled_dot_product_attention (and by the kit), which "
                         "means something else.")
    return correct("Correct! Position i sees positions 0..i: under this mask a GPT cannot "
                   "peek at the token it has to predict.")


# --- exercise 3: splitting the features into heads ----------------------------------------------

#: The kit's ways to split into heads (MultiHeadAttention._heads).
HEADS_KIT = [models.MultiHeadAttention]


def _heads_cases() -> list[tuple[np.ndarray, int]]:
    """(x, H): B = 2, L = 4, E = 12, H = 3 (D = 4), the features numbered, so every slip
    gives other numbers or another shape; then B = 1, L = 5, E = 8, H = 2."""
    return [(np.arange(2 * 4 * 12, dtype=float).reshape(2, 4, 12), 3),
            (np.random.default_rng(3).normal(size=(1, 5, 8)), 2)]


def _heads_mistakes(x: np.ndarray, heads: int) -> list[tuple[np.ndarray, str]]:
    b, length, width = x.shape
    d = width // heads
    return [
        (x.reshape(b, heads, length, d), "You reshaped (B, L, E) straight to (B, H, L, D): "
                                         "that mixes positions into heads. Split the features "
                                         "first, (B, L, H, D), then swap L and H."),
        (x.reshape(b, length, heads, d), "You split E into (H, D) but kept the positions "
                                         "before the heads: (B, L, H, D). Move the head axis "
                                         "forward: .transpose(1, 2)."),
        (x.reshape(b, length, heads, d).transpose(0, 2, 3, 1),
         "You moved the positions to the end, (B, H, D, L): swap only L and H, "
         ".transpose(1, 2)."),
        (x.reshape(b, length, d, heads).transpose(0, 3, 1, 2),
         "You split E as (D, H): head h then takes every H-th feature. Each head owns a "
         "contiguous block of D features, h·D to (h + 1)·D − 1: .view(B, L, H, D)."),
    ]


@check(kit=HEADS_KIT)
def check_split_heads(split_heads: Callable) -> Feedback:
    """`split_heads(x, num_heads)` → x (B, L, E) as (B, H, L, D) with D = E / H: head h
    holds features h·D to (h + 1)·D − 1 of every position. x: a float64 tensor."""
    for x, heads in _heads_cases():
        answer = attempt(split_heads, torch.tensor(x), heads)
        expected = _reference.attention_split_heads(x, heads)
        problem = diagnose(as_numbers(answer), expected, _heads_mistakes(x, heads),
                           f"your heads for x {x.shape}, H = {heads}",
                           hint=f"expected shape (B, H, L, D) = {expected.shape}.")
        if problem is not None:
            return problem
    return correct("Correct! (B, L, E) → view (B, L, H, D) → transpose (B, H, L, D): each head "
                   "attends over all positions with its own D features, and all heads run in "
                   "one batched matrix product.")
