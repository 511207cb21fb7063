"""Notebook 08's exercise checks accept the solutions and name the typical mistakes."""

import numpy as np
import pytest
import torch

from mmkit.demos import transformers as demos
from mmkit.exercises import _reference
from mmkit.exercises.transformers import (
    MASK_KIT,
    PROBS_KIT,
    ROWS_KIT,
    check_bert_mask,
    check_next_token_probs,
    check_next_token_rows,
)
from mmkit.models import transformer as models
from mmkit.models.transformer import IGNORE_INDEX, PAD_ID


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: temperature and top-k --------------------------------------------------------

def keep_top(z, k):
    if k is None or k >= len(z):
        return z
    kth = torch.topk(z, k).values[-1]
    return z.masked_fill(z < kth, float("-inf"))


def probs_solution(logits, temperature, top_k=None):
    return torch.softmax(keep_top(logits / temperature, top_k), dim=-1)


def probs_by_sorting_in_numpy(logits, temperature, top_k=None):
    z = logits.numpy() / temperature
    if top_k is not None:
        z = np.where(z >= np.sort(z)[::-1][top_k - 1], z, -np.inf)
    e = np.exp(z - z.max())
    return e / e.sum()


def top_k_after_the_softmax(logits, temperature, top_k=None):
    p = torch.softmax(logits / temperature, dim=-1)
    if top_k is not None:  # cut and renormalised: the same distribution, accepted
        p = torch.where(keep_top(logits, top_k).isfinite(), p, 0.0)
        p = p / p.sum()
    return p


@pytest.mark.parametrize("answer", [probs_solution, probs_by_sorting_in_numpy,
                                    top_k_after_the_softmax])
def test_next_token_probs_accepts_the_solution_written_several_ways(answer):
    feedback = check_next_token_probs(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def with_k(shift):
    def answer(logits, temperature, top_k=None):
        return torch.softmax(keep_top(logits / temperature,
                                      None if top_k is None else top_k + shift), dim=-1)
    return answer


def not_renormalised(logits, temperature, top_k=None):
    p = torch.softmax(logits / temperature, dim=-1)
    return p if top_k is None else torch.where(keep_top(logits, top_k).isfinite(), p, 0.0)


def smallest_k(logits, temperature, top_k=None):
    smallest = keep_top(-logits, top_k).isfinite()
    return torch.softmax(torch.where(smallest, logits / temperature, float("-inf")), dim=-1)


@pytest.mark.parametrize("answer, phrase", [
    (lambda z, t, k=None: torch.softmax(keep_top(z, k), -1) / t,
     "You divided by the temperature *after* the softmax"),
    (lambda z, t, k=None: torch.softmax(keep_top(z * t, k), -1),
     "You multiplied the logits by the temperature"),
    (lambda z, t, k=None: torch.softmax(keep_top(z, k), -1), "The temperature has no effect"),
    (lambda z, t, k=None: keep_top(z / t, k), "You forgot the softmax"),
    (with_k(+1), "Your top-k keeps 4 words, one too many"),
    (with_k(-1), "Your top-k keeps 2 words, one too few"),
    (not_renormalised, "You cut to the top k after the softmax and did not renormalise"),
    (smallest_k, "You kept the k *smallest* logits"),
    (lambda z, t, k=None: probs_solution(z, t, k)[:-1], "has shape (7,), expected (8,)"),
    (lambda z, t: probs_solution(z, t), "Your code raised TypeError"),
    (lambda z, t, k=None: None, "did you forget to `return` it?"),
])
def test_next_token_probs_names_typical_mistakes(answer, phrase):
    feedback = check_next_token_probs(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 2: next-token targets -------------------------------------------------------------

def rows_solution(ids):
    targets = ids[:, 1:].clone()
    targets[targets == PAD_ID] = IGNORE_INDEX
    return ids[:, :-1], targets


def rows_in_numpy(ids):
    ids = ids.numpy()
    return ids[:, :-1], np.where(ids[:, 1:] == 0, -1, ids[:, 1:])


def ignored(x):
    return torch.where(x == PAD_ID, IGNORE_INDEX, x)


@pytest.mark.parametrize("answer", [rows_solution, rows_in_numpy])
def test_next_token_rows_accepts_the_solution(answer):
    feedback = check_next_token_rows(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, phrase", [
    (lambda ids: (ids[:, :-1], ignored(ids[:, :-1])), "Your targets are the inputs themselves"),
    (lambda ids: (ids[:, 1:], ignored(ids[:, :-1])), "You shifted the wrong way"),
    (lambda ids: (ids[:, 1:], ids[:, :-1]), "You shifted the wrong way"),
    (lambda ids: (ids[:, :-1], ids[:, 1:]), "The targets still hold <pad> (0) after <eos>"),
    (lambda ids: (ignored(ids[:, :-1]), ignored(ids[:, 1:])),
     "You replaced the padding in the *inputs* by −1 too"),
    (lambda ids: rows_solution(ids)[1], "return 2 values, (inputs, targets); got a Tensor"),
    (lambda ids: (ids, ignored(ids.roll(-1, dims=1))),
     "your inputs for ids of shape (3, 7) has shape (3, 7), expected (3, 6)"),
])
def test_next_token_rows_names_typical_mistakes(answer, phrase):
    feedback = check_next_token_rows(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- exercise 3: BERT's masking ----------------------------------------------------------------

WORDS_FROM = len(models.SPECIAL_TOKENS)


def mask_solution(ids, pick, draw, random_words, rate):
    chosen = (ids >= WORDS_FROM) & (pick < rate)
    inputs = ids.clone()
    inputs[chosen & (draw < 0.8)] = models.MASK_ID
    swap = chosen & (draw >= 0.8) & (draw < 0.9)
    inputs[swap] = random_words[swap]
    return inputs, torch.where(chosen, ids, -100)


def mask_in_numpy(ids, pick, draw, random_words, rate):
    ids, pick, draw, random_words = (a.numpy() for a in (ids, pick, draw, random_words))
    chosen = (ids >= WORDS_FROM) & (pick < rate)
    inputs = np.select([chosen & (draw < 0.8), chosen & (draw < 0.9)],
                       [models.MASK_ID, random_words], ids)
    return inputs, np.where(chosen, ids, -100)


@pytest.mark.parametrize("answer", [mask_solution, mask_in_numpy])
def test_bert_mask_accepts_the_solution(answer):
    feedback = check_bert_mask(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def mask_with(chosen_of=None, mask_below=0.8, random_from=0.8, random_below=0.9,
              labelled=None, fill=-100):
    """A masking answer with one slip: how words are chosen, which draws become <mask> or a
    random word, where the labels are set and with what elsewhere."""
    def answer(ids, pick, draw, random_words, rate):
        chosen = ((ids >= WORDS_FROM) & (pick < rate) if chosen_of is None
                  else chosen_of(ids, pick, rate))
        to_mask = chosen & (draw < mask_below)
        inputs = torch.where(to_mask, models.MASK_ID, ids)
        swap = chosen & (draw >= random_from) & (draw < random_below)
        inputs = torch.where(swap, random_words, inputs)
        where = chosen if labelled is None else labelled(chosen, to_mask)
        return inputs, torch.where(where, ids, fill)
    return answer


@pytest.mark.parametrize("answer, phrase", [
    (mask_with(chosen_of=lambda ids, pick, rate: pick < rate), "You chose special tokens too"),
    (mask_with(labelled=lambda chosen, to_mask: torch.ones_like(chosen)),
     "Your labels hold every token"),
    (mask_with(fill=0), "Your labels hold 0 where the word was not chosen"),
    (mask_with(labelled=lambda chosen, to_mask: to_mask),
     "Your labels cover only the positions that became <mask>"),
    (mask_with(mask_below=1.0, random_from=1.0), "You replaced every chosen word by <mask>"),
    (mask_with(random_from=0.9, random_below=1.0), "You swapped the last two tenths"),
    (mask_with(chosen_of=lambda ids, pick, rate: (ids >= WORDS_FROM) & (pick >= 1 - rate)),
     "You chose the words with pick ≥ 1 − rate"),
    (lambda *args: mask_solution(*args)[0], "return 2 values, (inputs, labels); got a Tensor"),
    (lambda *args: (args[0], mask_solution(*args)[1]), "values of your inputs for ids of shape"),
])
def test_bert_mask_names_typical_mistakes(answer, phrase):
    feedback = check_bert_mask(answer)
    assert not feedback.ok
    assert phrase in feedback.message


# --- every check --------------------------------------------------------------------------------

CHECKS = [check_next_token_probs, check_next_token_rows, check_bert_mask]


@pytest.mark.parametrize("check", CHECKS)
def test_an_unfinished_stub_is_not_answered_yet(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_next_token_probs, models.next_token_distribution),
    (check_next_token_probs, models.next_word_probabilities),
    (check_next_token_probs, demos.sample_view),
    (check_next_token_rows, models.sentence_rows),
    (check_next_token_rows, models.encode_sentences),
    (check_next_token_probs, _reference.transformers_next_token_probs),
    (check_next_token_rows, _reference.transformers_next_token_rows),
    (check_bert_mask, models.mask_tokens),
    (check_bert_mask, _reference.transformers_bert_mask),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def rows_through_the_kit(ids):
    vocab = models.language_vocab()
    sentences = [" ".join(vocab.tokens[i] for i in row.tolist() if i > models.MASK_ID)
                 for row in ids]
    return models.sentence_rows(sentences, vocab)


def mask_through_the_kit(ids, pick, draw, random_words, rate):
    return models.mask_tokens(ids, 34, rate, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("check, answer, kit", [
    (check_next_token_probs, lambda z, t, k=None: models.next_token_distribution(z, t, k),
     "mmkit.models.transformer.next_token_distribution"),
    (check_next_token_rows, rows_through_the_kit, "mmkit.models.transformer.sentence_rows"),
    (check_bert_mask, mask_through_the_kit, "mmkit.models.transformer.mask_tokens"),
    (check_bert_mask, lambda *args: _reference.transformers_bert_mask(*args, range(5), 4),
     "mmkit.exercises._reference.transformers_bert_mask"),
])
def test_a_learner_function_that_calls_the_kit_is_refused(check, answer, kit):
    feedback = check(answer)
    assert not feedback.ok
    assert f"calls the kit's own `{kit}`, which does what this exercise asks" in \
        feedback.message


def test_every_kit_list_holds_the_function_the_exercise_asks_for():
    assert models.next_token_distribution in PROBS_KIT
    assert models.sentence_rows in ROWS_KIT
    assert models.mask_tokens in MASK_KIT


def test_the_references_agree_with_the_kit():
    logits = torch.randn(3, 11, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for temperature, top_k in ((1.0, None), (0.5, 4), (2.0, 1)):
        np.testing.assert_allclose(_reference.transformers_next_token_probs(logits, temperature,
                                                                            top_k),
                                   models.next_token_distribution(logits, temperature,
                                                                  top_k).numpy(), atol=1e-12)
    inputs, targets = models.sentence_rows(["after six comes seven", "eight is even"])
    ids = torch.cat([inputs, targets[:, -1:].clamp(min=PAD_ID)], dim=1)
    expected_inputs, expected_targets = _reference.transformers_next_token_rows(ids)
    np.testing.assert_array_equal(expected_inputs, inputs.numpy())
    np.testing.assert_array_equal(expected_targets, targets.numpy())
    generator = torch.Generator().manual_seed(0)
    ids, _ = models.encode_sentences(["after six comes seven", "eight is an even number"])
    inputs, labels = models.mask_tokens(ids, 34, 0.5, generator)
    replay = torch.Generator().manual_seed(0)  # the kit's draws, in the kit's order
    pick, draw = torch.rand(ids.shape, generator=replay), torch.rand(ids.shape, generator=replay)
    random_words = torch.randint(WORDS_FROM, 34, ids.shape, generator=replay)
    expected_inputs, expected_labels = _reference.transformers_bert_mask(
        ids, pick, draw, random_words, 0.5, range(WORDS_FROM), models.MASK_ID)
    np.testing.assert_array_equal(expected_inputs, inputs.numpy())
    np.testing.assert_array_equal(expected_labels, labels.numpy())
