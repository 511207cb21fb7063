"""Notebook 07's exercise checks accept the solutions and name the typical mistakes."""

import math

import numpy as np
import pytest
import torch

from mmkit.demos import attention as demos
from mmkit.exercises import _reference
from mmkit.exercises.attention import (
    ATTENTION_KIT,
    CAUSAL_KIT,
    HEADS_KIT,
    check_attention,
    check_causal_mask,
    check_split_heads,
)
from mmkit.models import attention as models


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: attention ------------------------------------------------------------------------

def scores_of(q, k):
    return q @ k.T / math.sqrt(q.shape[-1])


def attention_solution(q, k, v, mask=None):
    scores = scores_of(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def attention_in_numpy(q, k, v, mask=None):
    scores = q.numpy() @ k.numpy().T / np.sqrt(q.shape[1])
    if mask is not None:
        scores = np.where(mask.numpy(), scores, -1e9)  # a large negative number works too
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights @ v.numpy(), weights


def masked_after_and_renormalised(q, k, v, mask=None):
    weights = torch.softmax(scores_of(q, k), dim=-1)
    if mask is not None:  # the same as masking before: accepted
        weights = weights * mask
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights @ v, weights


@pytest.mark.parametrize("answer", [attention_solution, attention_in_numpy,
                                    masked_after_and_renormalised])
def test_attention_accepts_the_solution_written_several_ways(answer):
    feedback = check_attention(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def with_scores(make_scores, fill=float("-inf"), dim=-1, inverted=False):
    """An answer that computes the scores with `make_scores` and masks as told."""
    def answer(q, k, v, mask=None):
        scores = make_scores(q, k)
        if mask is not None:
            scores = scores.masked_fill(mask if inverted else ~mask, fill)
        weights = torch.softmax(scores, dim=dim)
        return weights @ v, weights
    return answer


def masked_after_the_softmax(q, k, v, mask=None):
    weights = torch.softmax(scores_of(q, k), dim=-1)
    if mask is not None:
        weights = weights * mask
    return weights @ v, weights


def output_with_transposed_weights(q, k, v, mask=None):
    _, weights = attention_solution(q, k, v, mask)
    return weights.T @ v, weights


@pytest.mark.parametrize("answer, phrase", [
    (with_scores(lambda q, k: q @ k.T), "You forgot to divide the scores by √d"),
    (with_scores(lambda q, k: q @ k.T / q.shape[-1]), "You divided the scores by d"),
    (with_scores(scores_of, dim=0), "Your softmax runs over the wrong axis"),
    (with_scores(lambda q, k: k @ q.T / math.sqrt(q.shape[-1])),
     "You transposed the wrong matrix"),
    (masked_after_the_softmax, "You applied the mask after the softmax"),
    (with_scores(scores_of, inverted=True), "Your mask is the wrong way round"),
    (with_scores(scores_of, fill=0.0), "You set the masked scores to 0"),
    (output_with_transposed_weights, "the output uses their transpose"),
    (lambda q, k, v, mask=None: attention_solution(q, k, v, mask)[1],
     "return 2 values, (out, weights); got a Tensor"),
    (lambda q, k, v, mask=None: attention_solution(q, k, v, mask)[::-1],
     "your weights has shape (4, 3), expected (4, 4)"),
    (lambda q, k, v: attention_solution(q, k, v), "Your code raised TypeError"),
    (lambda q, k, v, mask=None: (None, None), "did you forget to `return` it?"),
])
def test_attention_names_typical_mistakes(answer, phrase):
    feedback = check_attention(answer)
    assert not feedback.ok
    assert phrase in feedback.message


def test_attention_checks_cross_attention_too():
    def square_only(q, k, v, mask=None):  # right when L = S, wrong weights' shape otherwise
        out, weights = attention_solution(q, k, v, mask)
        return out, weights[:, :len(q)]

    feedback = check_attention(square_only)
    assert not feedback.ok
    assert "(cross-attention: 3 queries, 5 keys) has shape (3, 3), expected (3, 5)" in \
        feedback.message


# --- exercise 2: the causal mask ------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    lambda n: torch.ones(n, n, dtype=torch.bool).tril(),
    lambda n: torch.arange(n)[None, :] <= torch.arange(n)[:, None],
    lambda n: np.tril(np.ones((n, n), dtype=bool)),
])
def test_causal_mask_accepts_the_solution(answer):
    feedback = check_causal_mask(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda n: torch.ones(n, n, dtype=torch.bool).tril(-1), "The diagonal is excluded"),
    (lambda n: torch.ones(n, n, dtype=torch.bool).tril(1), "Off by one: you let each position "
                                                           "see the next one too"),
    (lambda n: torch.ones(n, n, dtype=torch.bool).triu(), "That is the mask of the future"),
    (lambda n: torch.ones(n, n, dtype=torch.bool).triu(1), "True where attending is "
                                                           "*forbidden*"),
    (lambda n: torch.ones(n, n, dtype=torch.bool), "lets every position see every other"),
    (lambda n: torch.ones(n, n).tril(), "the mask holds float32 values: return bools"),
    (lambda n: torch.ones(n + 1, n + 1, dtype=torch.bool).tril(),
     "your mask for L = 5 has shape (6, 6), expected (5, 5)"),
])
def test_causal_mask_names_typical_mistakes(answer, phrase):
    feedback = check_causal_mask(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 3: splitting into heads -------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    lambda x, h: x.view(x.shape[0], x.shape[1], h, -1).transpose(1, 2),
    lambda x, h: x.unflatten(-1, (h, -1)).permute(0, 2, 1, 3).contiguous(),
    lambda x, h: torch.stack(x.chunk(h, dim=-1), dim=1),
])
def test_split_heads_accepts_the_solution(answer):
    feedback = check_split_heads(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), "straight to (B, H, L, D)"),
    (lambda x, h: x.view(x.shape[0], x.shape[1], h, -1), "kept the positions before the heads"),
    (lambda x, h: x.view(x.shape[0], x.shape[1], h, -1).permute(0, 2, 3, 1),
     "You moved the positions to the end"),
    (lambda x, h: x.view(x.shape[0], x.shape[1], -1, h).permute(0, 3, 1, 2),
     "You split E as (D, H)"),
    (lambda x, h: x.view(x.shape[0], x.shape[1], h, -1).transpose(1, 2)[:, :, :, :2],
     "expected shape (B, H, L, D) = (2, 3, 4, 4)"),
])
def test_split_heads_names_typical_mistakes(answer, phrase):
    feedback = check_split_heads(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- all three ------------------------------------------------------------------------------------

CHECKS = [check_attention, check_causal_mask, check_split_heads]


@pytest.mark.parametrize("check", CHECKS)
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_attention, models.scaled_dot_product_attention),
    (check_attention, demos.query_weights),
    (check_causal_mask, models.causal_mask),
    (check_split_heads, models.MultiHeadAttention._heads),
    (check_attention, _reference.attention_scaled_dot_product),
    (check_causal_mask, _reference.attention_causal_mask),
    (check_split_heads, _reference.attention_split_heads),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def attention_through_the_module(q, k, v, mask=None):
    heads = models.MultiHeadAttention(q.shape[-1], 1)
    return heads(q[None].float(), k[None].float(), v[None].float())


def heads_through_the_module(x, num_heads):
    return models.MultiHeadAttention(x.shape[-1], num_heads)._heads(x)


@pytest.mark.parametrize("check, answer, kit", [
    (check_attention, lambda q, k, v, mask=None: models.scaled_dot_product_attention(q, k, v,
                                                                                    mask),
     "mmkit.models.attention.scaled_dot_product_attention"),
    (check_attention, attention_through_the_module,
     "mmkit.models.attention.MultiHeadAttention.__init__"),
    (check_causal_mask, lambda n: models.causal_mask(n), "mmkit.models.attention.causal_mask"),
    (check_split_heads, heads_through_the_module,
     "mmkit.models.attention.MultiHeadAttention.__init__"),
    (check_causal_mask, lambda n: _reference.attention_causal_mask(n),
     "mmkit.exercises._reference.attention_causal_mask"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert models.scaled_dot_product_attention in ATTENTION_KIT
    assert models.causal_mask in CAUSAL_KIT
    assert models.MultiHeadAttention in HEADS_KIT


def test_the_references_agree_with_the_kit():
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(*shape, generator=generator, dtype=torch.float64)
               for shape in ((3, 4), (5, 4), (5, 2)))
    mask = torch.rand(3, 5, generator=generator) > 0.4
    mask[:, 0] = True
    out, weights = models.scaled_dot_product_attention(q, k, v, mask=mask)
    expected_out, expected_weights = _reference.attention_scaled_dot_product(q, k, v, mask)
    np.testing.assert_allclose(out.numpy(), expected_out)
    np.testing.assert_allclose(weights.numpy(), expected_weights, atol=1e-12)
    np.testing.assert_array_equal(models.causal_mask(6).numpy(),
                                  _reference.attention_causal_mask(6))
    x = torch.randn(2, 3, 12, generator=generator, dtype=torch.float64)
    np.testing.assert_array_equal(models.MultiHeadAttention(12, 4)._heads(x).numpy(),
                                  _reference.attention_split_heads(x, 4))
