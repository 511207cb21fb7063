"""Checks for notebook 08's exercises: sampling's distribution, next-token targets, and the
80/10/10 masking of BERT.

    check_next_token_probs(next_token_probs)    logits → temperature → top-k → softmax
    check_next_token_rows(next_token_rows)      padded sentences → (inputs, targets)
    check_bert_mask(bert_mask)                  ids and given draws → (inputs, labels)

Each check runs the learner's function on fixed inputs with the kit's own versions
switched off (`@check(kit=...)`: `mmkit.models.transformer`'s `next_token_distribution`,
`next_word_probabilities`, `GPT`, `sentence_rows`, `encode_sentences`, `mask_tokens`,
`train_masked_lm`), compares with the private references of `_reference` (a sort-based
top-k and torch's softmax; torch.narrow; torch.isin and torch.bucketize), and names the
typical mistake when there is one: the temperature applied after the softmax, top-k keeping
one word too many or too few, the softmax forgotten; targets not shifted, shifted the wrong
way, padding not ignored; special tokens masked, labels on positions that were not chosen,
every chosen word turned into <mask>.
A check returns `Feedback`; it never raises on a wrong answer.
"""

from collections.abc import Callable

import numpy as np
import torch

from mmkit.demos import transformers as demos
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
from mmkit.models import transformer as models


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# --- exercise 1: temperature and top-k --------------------------------------------------------

#: The kit's ways to sampling's distribution.
PROBS_KIT = [models.next_token_distribution, models.next_word_probabilities, models.GPT,
             demos.sample_view]


def _probs_cases() -> list[tuple[np.ndarray, float, int | None]]:
    """(logits (V,), temperature, top_k): no ties among the logits, so top-k is exact."""
    logits = np.array([2.0, -1.0, 0.5, 3.0, 1.2, -0.3, 0.1, 2.5])
    return [(logits, 0.5, None), (logits, 2.0, 3), (logits, 1.0, 1), (logits[::-1].copy(), 0.7, 5)]


def _keep_top(z: np.ndarray, k: int | None) -> np.ndarray:
    """z with all but its k largest at −inf (k None or ≥ V: all kept; k ≤ 0: none)."""
    if k is None or k >= len(z):
        return z
    order = np.argsort(-z)
    out = np.full_like(z, -np.inf)
    out[order[:max(k, 0)]] = z[order[:max(k, 0)]]
    return out


def _probs_mistakes(z: np.ndarray, temperature: float, k: int | None
                    ) -> list[tuple[object, str]]:
    """What each typical slip returns on these inputs, with its explanation."""
    mistakes: list[tuple[object, str]] = [
        (_softmax(_keep_top(z, k)) / temperature,
         "You divided by the temperature *after* the softmax: the probabilities no longer "
         "sum to 1 and their order of sizes does not change. Divide the logits by T, then "
         "take the softmax."),
        (_softmax(_keep_top(z * temperature, k)),
         "You multiplied the logits by the temperature: divide them by T (T < 1 sharpens, "
         "T > 1 flattens)."),
        (_softmax(_keep_top(z, k)),
         "The temperature has no effect in your answer: divide the logits by T before the "
         "softmax."),
        (_keep_top(z / temperature, k),
         "You forgot the softmax: these are the scaled logits, not probabilities (they "
         "should be ≥ 0 and sum to 1)."),
    ]
    if k is not None and k < len(z):
        mistakes += [
            (_softmax(_keep_top(z / temperature, k + 1)),
             f"Your top-k keeps {k + 1} words, one too many: keep exactly the k = {k} largest "
             "logits (the k-th largest included, everything below it at −inf)."),
            (_softmax(_keep_top(z / temperature, k - 1)) if k > 1 else np.full_like(z, np.nan),
             f"Your top-k keeps {k - 1} words, one too few: keep the k = {k} largest logits, "
             "the k-th largest included (mask logits < the k-th largest, not ≤)."),
            (np.where(np.isfinite(_keep_top(z, k)), _softmax(z / temperature), 0.0),
             "You cut to the top k after the softmax and did not renormalise: the kept "
             "probabilities no longer sum to 1. Set the other logits to −inf *before* the "
             "softmax."),
            (_softmax(np.where(np.isfinite(_keep_top(-z, k)), z / temperature, -np.inf)),
             "You kept the k *smallest* logits: keep the k largest (torch.topk returns the "
             "largest by default)."),
        ]
    return mistakes


@check(kit=PROBS_KIT)
def check_next_token_probs(next_token_probs: Callable) -> Feedback:
    """`next_token_probs(logits, temperature, top_k=None)` → probabilities (V,): the logits
    (a float64 tensor (V,)) divided by the temperature, all but the top_k largest set to
    −inf (None: all kept), then the softmax."""
    for logits, temperature, top_k in _probs_cases():
        answer = attempt(next_token_probs, torch.tensor(logits), temperature, top_k)
        expected = _reference.transformers_next_token_probs(logits, temperature, top_k)
        where = f"temperature {temperature:g}, top_k {top_k}"
        problem = diagnose(as_numbers(answer), expected,
                           _probs_mistakes(logits, temperature, top_k),
                           f"your probabilities ({where})",
                           hint="softmax(keep_top_k(logits / T)), shape (V,).")
        if problem is not None:
            return problem
    return correct("Correct! Divide by T, keep the k largest logits (the rest at −inf), then "
                   "the softmax: T < 1 sharpens the distribution, T > 1 flattens it, and "
                   "top-k never lets a word outside the k best be drawn.")


# --- exercise 2: next-token targets -------------------------------------------------------------

#: The kit's ways to (inputs, targets).
ROWS_KIT = [models.sentence_rows, models.encode_sentences]


def _rows_cases() -> list[np.ndarray]:
    """Padded rows `<bos> w1 … wn <eos> <pad> …` (ids of the digit language's vocabulary:
    <pad> 0, <bos> 2, <eos> 3, words from 5), of different lengths."""
    return [np.array([[2, 11, 22, 12, 5, 17, 3],
                      [2, 8, 14, 7, 17, 3, 0],
                      [2, 15, 5, 29, 3, 0, 0]]),
            np.array([[2, 9, 3, 0], [2, 30, 12, 3]])]


WRONG_WAY = ("You shifted the wrong way: the inputs are ids[:, :-1] (everything but the last "
             "token) and the targets ids[:, 1:] (everything but the first).")


def _rows_mistakes(ids: np.ndarray) -> list[tuple[object, str]]:
    pad, ignore = models.PAD_ID, models.IGNORE_INDEX
    inputs, ahead = ids[:, :-1], ids[:, 1:]
    targets = np.where(ahead == pad, ignore, ahead)
    return [
        ((inputs, np.where(inputs == pad, ignore, inputs)),
         "Your targets are the inputs themselves: at position t the model must predict token "
         "t + 1, so the targets are the ids shifted one step to the left (ids[:, 1:])."),
        ((ahead, np.where(inputs == pad, ignore, inputs)), WRONG_WAY),
        ((ahead, inputs), WRONG_WAY),
        ((inputs, ahead),
         "The targets still hold <pad> (0) after <eos>: set them to IGNORE_INDEX (−1), or the "
         "model is trained to predict padding."),
        ((np.where(inputs == pad, ignore, inputs), targets),
         "You replaced the padding in the *inputs* by −1 too: −1 is not a token id (the "
         "embedding would fail). Only the targets get IGNORE_INDEX."),
    ]


def _same(a: object, b: np.ndarray) -> bool:
    return np.shape(a) == b.shape and bool(np.array_equal(np.asarray(a), b))


@check(kit=ROWS_KIT)
def check_next_token_rows(next_token_rows: Callable) -> Feedback:
    """`next_token_rows(ids)` → (inputs, targets): ids (N, L) int64 padded with <pad> = 0;
    inputs = ids without the last column, targets = ids without the first column, with
    IGNORE_INDEX (−1) where the target is padding."""
    for ids in _rows_cases():
        answer = attempt(next_token_rows, torch.tensor(ids))
        problem = unpack(answer, ("inputs", "targets"))
        if problem is not None:
            return problem
        got = tuple(np.asarray(as_numbers(a)) for a in answer)
        expected = _reference.transformers_next_token_rows(ids, models.PAD_ID,
                                                           models.IGNORE_INDEX)
        if all(_same(g, e) for g, e in zip(got, expected, strict=True)):
            continue
        for (inputs, targets), message in _rows_mistakes(ids):
            if _same(got[0], inputs) and _same(got[1], targets):
                return wrong(message)
        for name, g, e in zip(("inputs", "targets"), got, expected, strict=True):
            problem = diagnose(g, e, (), f"your {name} for ids of shape {ids.shape}",
                               hint="inputs = ids[:, :-1]; targets = ids[:, 1:] with −1 "
                                    "where it is 0, both (N, L − 1).")
            if problem is not None:
                return problem
    return correct("Correct! Position t reads tokens 0..t and is scored on token t + 1; the "
                   "padding after <eos> is not predicted. One row of L tokens gives L − 1 "
                   "training examples at once.")


# --- exercise 3: BERT's masking -------------------------------------------------------------------

#: The kit's ways to BERT's masking.
MASK_KIT = [models.mask_tokens, models.train_masked_lm]
#: What the exercise calls the draws: which positions, and what becomes of a chosen word.
RATE = 0.3


def _mask_cases() -> list[tuple[np.ndarray, ...]]:
    """(ids, pick, draw, random_words): padded rows `<bos> w… <eos> <pad>…` with every kind
    of draw present (chosen words becoming <mask>, a random word, themselves; special
    tokens with pick < rate, which must not be chosen)."""
    cases = []
    for seed, lengths in ((0, (5, 3, 4)), (1, (6, 2, 5, 4))):
        rng = np.random.default_rng(seed)
        width = max(lengths) + 2
        ids = np.zeros((len(lengths), width), dtype=np.int64)
        for row, n in enumerate(lengths):
            ids[row, :n + 2] = [models.BOS_ID, *rng.integers(5, 34, n), models.EOS_ID]
        pick = rng.random(ids.shape)
        pick[:, 0] = 0.01  # <bos> would be chosen if it were a word
        draw = np.tile(np.linspace(0.02, 0.98, width), (len(lengths), 1))
        draw = np.take_along_axis(draw, rng.permuted(np.tile(np.arange(width),
                                                              (len(lengths), 1)), axis=1), 1)
        cases.append((ids, pick, draw, rng.integers(5, 34, ids.shape)))
    return cases


def _mask_mistakes(ids: np.ndarray, pick: np.ndarray, draw: np.ndarray, random_words: np.ndarray
                   ) -> list[tuple[tuple[np.ndarray, np.ndarray], str]]:
    words = ids >= len(models.SPECIAL_TOKENS)

    def masked(chosen, to_mask, to_random, labelled=None, fill=-100):
        inputs = np.where(chosen & to_mask, models.MASK_ID, ids)
        inputs = np.where(chosen & to_random, random_words, inputs)
        labelled = chosen if labelled is None else labelled
        return inputs, np.where(labelled, ids, fill)

    chosen = words & (pick < RATE)
    to_mask, to_random = draw < 0.8, (draw >= 0.8) & (draw < 0.9)
    return [
        (masked(pick < RATE, to_mask, to_random),
         "You chose special tokens too (<bos>, <eos>, <pad>): only words may be masked, "
         "ids ≥ len(SPECIAL_TOKENS)."),
        (masked(chosen, to_mask, to_random, labelled=np.ones_like(chosen)),
         "Your labels hold every token: set them to −100 wherever the word was not chosen, so "
         "the loss counts the chosen positions only."),
        (masked(chosen, to_mask, to_random, fill=0),
         "Your labels hold 0 where the word was not chosen: 0 is <pad>, a token the model "
         "would be trained to predict. The loss ignores −100."),
        (masked(chosen, to_mask, to_random, labelled=chosen & to_mask),
         "Your labels cover only the positions that became <mask>: the chosen words replaced "
         "by a random word or left unchanged must be predicted too (that is why they exist)."),
        (masked(chosen, np.ones_like(chosen), np.zeros_like(chosen)),
         "You replaced every chosen word by <mask>: 80% become <mask>, 10% a random word "
         "(0.8 ≤ draw < 0.9) and 10% stay unchanged, so the model cannot rely on seeing "
         "<mask>."),
        (masked(chosen, to_mask, draw >= 0.9),
         "You swapped the last two tenths: a random word for 0.8 ≤ draw < 0.9, the word "
         "unchanged for draw ≥ 0.9."),
        (masked(words & (pick >= 1 - RATE), to_mask, to_random),
         "You chose the words with pick ≥ 1 − rate: choose those with pick < rate."),
    ]


@check(kit=MASK_KIT)
def check_bert_mask(bert_mask: Callable) -> Feedback:
    """`bert_mask(ids, pick, draw, random_words, rate)` → (inputs, labels): the words (ids ≥
    len(SPECIAL_TOKENS)) with pick < rate are chosen; a chosen word becomes MASK_ID if
    draw < 0.8, random_words if 0.8 ≤ draw < 0.9, and stays otherwise; labels are the
    chosen words' ids and −100 elsewhere. ids, random_words: int64 tensors (B, T); pick,
    draw: float64 tensors (B, T)."""
    for ids, pick, draw, random_words in _mask_cases():
        answer = attempt(bert_mask, torch.tensor(ids), torch.tensor(pick), torch.tensor(draw),
                         torch.tensor(random_words), RATE)
        problem = unpack(answer, ("inputs", "labels"))
        if problem is not None:
            return problem
        got = tuple(np.asarray(as_numbers(a)) for a in answer)
        expected = _reference.transformers_bert_mask(
            ids, pick, draw, random_words, RATE, range(len(models.SPECIAL_TOKENS)),
            models.MASK_ID)
        if all(_same(g, e) for g, e in zip(got, expected, strict=True)):
            continue
        for (inputs, labels), message in _mask_mistakes(ids, pick, draw, random_words):
            if _same(got[0], inputs) and _same(got[1], labels):
                return wrong(message)
        for name, g, e in zip(("inputs", "labels"), got, expected, strict=True):
            problem = diagnose(g, e, (), f"your {name} for ids of shape {ids.shape}",
                               hint="chosen = words & (pick < rate); <mask> below 0.8, a "
                                    "random word below 0.9; labels −100 where not chosen.")
            if problem is not None:
                return problem
    return correct("Correct! BERT's masking: words only, chosen at the rate; 80% <mask>, 10% "
                   "a random word, 10% unchanged; the loss reads the labels of the chosen "
                   "positions only.")
