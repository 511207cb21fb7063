"""The digit language: every clue is true of its digit, and its candidates are exactly right."""

import re

import numpy as np
import pytest

from mmkit.data.language import (
    DIGITS,
    GRAMMAR,
    LEVELS,
    PRIMES,
    WORDS,
    Statement,
    add_typos,
    corpus,
    is_true,
    make_clue,
    parse,
    parses,
    split_sentences,
)

NUMBER = {**{word: n for n, word in enumerate(WORDS)}, **{str(n): n for n in range(10)}}


def holds(text: str, d: int) -> bool:
    """Does the clue `text` (without typos) describe digit d? A tiny independent parser."""
    words = text.split()
    if re.fullmatch(r"(\w+) (plus|minus|times|\+|-|x) (\w+)", text):
        a, op, b = NUMBER[words[0]], words[1], NUMBER[words[2]]
        return {"plus": a + b, "+": a + b, "minus": a - b, "-": a - b,
                "times": a * b, "x": a * b}[op] == d
    match = re.fullmatch(r"(an odd|an even|a prime|not a prime) number (above|below) (\w+)", text)
    if match:
        kind, relation, bound = match.group(1), match.group(2), NUMBER[match.group(3)]
        fits = {"an odd": d % 2 == 1, "an even": d % 2 == 0, "a prime": d in PRIMES,
                "not a prime": d not in PRIMES}[kind]
        return fits and (d > bound if relation == "above" else d < bound)
    if NUMBER.get(words[-1]) is not None:
        return NUMBER[words[-1]] == d  # exact: "the number seven", "it is a 7"
    return True  # level "none": says nothing


@pytest.mark.parametrize("level", LEVELS)
def test_clues_are_true_and_candidates_are_exactly_the_digits_they_fit(level):
    rng = np.random.default_rng(0)
    for digit in range(10):
        for _ in range(30):
            clue = make_clue(digit, level, rng, digit_rate=0.3)
            assert clue.level == level and digit in clue.candidates
            assert clue.candidates == {d for d in DIGITS if holds(clue.text, d)}, clue


def test_informativeness_by_level():
    rng = np.random.default_rng(1)
    sizes = {level: {len(make_clue(d, level, rng).candidates) for d in range(10)
                     for _ in range(20)} for level in LEVELS}
    assert sizes["exact"] == sizes["arithmetic"] == {1}
    assert sizes["partial"] <= {2, 3, 4, 5} and sizes["none"] == {10}


def test_the_same_seed_gives_the_same_clues():
    def clues(seed):
        rng = np.random.default_rng(seed)
        return [make_clue(d, "partial", rng, typo_rate=0.1).text for d in range(10)]

    assert clues(5) == clues(5) and clues(5) != clues(6)


def test_typos_change_letters_only_and_only_when_asked():
    rng = np.random.default_rng(0)
    text = "an odd number above 5"
    assert add_typos(text, 0.0, rng) == text
    noisy = [add_typos(text, 0.3, rng) for _ in range(20)]
    assert any(n != text for n in noisy)
    assert all(re.sub(r"[a-z]", "", n) == re.sub(r"[a-z]", "", text) for n in noisy)


def test_corpus_states_only_true_facts():
    for sentence in corpus(500, seed=0):
        words = sentence.split()
        if " is " in sentence and words[1] in ("plus", "minus", "times"):
            assert holds(" ".join(words[:3]), NUMBER[words[-1]]), sentence
        elif words[0] in ("after", "before"):
            step = 1 if words[0] == "after" else -1
            assert NUMBER[words[3]] == NUMBER[words[1]] + step, sentence
        elif "than" in sentence or "equal" in sentence:
            a, b = NUMBER[words[0]], NUMBER[words[-1]]
            assert (a < b) if "less" in sentence else (a > b) if "greater" in sentence \
                else a == b, sentence
        else:
            assert holds(" ".join(words[2:]) + " above zero", NUMBER[words[0]]) or \
                NUMBER[words[0]] == 0, sentence
    assert corpus(50, seed=3) == corpus(50, seed=3)


@pytest.mark.parametrize("digit, level", [(10, "exact"), (-1, "none"), (3, "vague")])
def test_bad_arguments_are_named(digit, level):
    with pytest.raises(ValueError, match="must be"):
        make_clue(digit, level, np.random.default_rng(0))


# ---------------------------------------------------------------------------------------------
# The corpus's grammar: parse, check the fact, split into distinct held-out sentences


@pytest.mark.parametrize("digit_rate", [0.0, 0.5])
def test_every_corpus_sentence_parses_and_holds(digit_rate):
    sentences = corpus(2000, seed=3, digit_rate=digit_rate)
    assert all(parses(s) for s in sentences)
    assert all(is_true(s) for s in sentences)
    kinds = {parse(s).kind for s in sentences}
    assert kinds == set(GRAMMAR)


@pytest.mark.parametrize(("sentence", "statement"), [
    ("three plus four is seven", Statement("arithmetic", (3, 4, 7), "plus")),
    ("3 x 2 is six", Statement("arithmetic", (3, 2, 6), "x")),
    ("before six comes five", Statement("order", (6, 5), "before")),
    ("two is greater than nine", Statement("comparison", (2, 9), "greater than")),
    ("  nine   is an odd number ", Statement("property", (9,), "an odd number")),
])
def test_parse_reads_numbers_and_relation(sentence, statement):
    assert parse(sentence) == statement


@pytest.mark.parametrize(("sentence", "true"), [
    ("three plus four is seven", True), ("three plus four is nine", False),
    ("two minus five is three", False), ("seven minus five is two", True),
    ("after six comes seven", True), ("after six comes five", False),
    ("before six comes five", True), ("one is less than two", True),
    ("two is less than two", False), ("two is equal to two", True),
    ("nine is a prime number", False), ("one is not a prime number", True),
    ("zero is an even number", True), ("4 x 2 is eight", True),
])
def test_holds_checks_the_fact(sentence, true):
    assert parse(sentence).holds() is true
    assert is_true(sentence) is true


@pytest.mark.parametrize("sentence", [
    "", "three plus four", "three plus four is", "after six seven", "six is a even number",
    "Three plus four is seven", "three plus four is 7", "ten is an even number",
    "after six comes seven .", "seven is less then nine",
])
def test_what_is_not_a_sentence_does_not_parse(sentence):
    assert parse(sentence) is None and not parses(sentence) and not is_true(sentence)


@pytest.mark.parametrize("bad", [None, 7, ["three plus four is seven"]])
def test_parse_names_what_it_expected(bad):
    with pytest.raises(TypeError, match=f"expected a str, got {type(bad).__name__}"):
        parse(bad)


def test_split_sentences_holds_out_distinct_sentences():
    sentences = corpus(3000, seed=0)
    train, val, test = split_sentences(sentences, val_size=0.2, test_size=0.1, seed=1)
    assert set(train) | set(val) | set(test) == set(sentences)
    assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
    assert len(train) + len(val) + len(test) == len(set(sentences))
    assert (len(val), len(test)) == (round(0.2 * len(set(sentences))),
                                     round(0.1 * len(set(sentences))))
    assert train == sorted(train) and val == sorted(val)
    assert split_sentences(list(reversed(sentences)), 0.2, 0.1, seed=1) == (train, val, test)
    assert split_sentences(sentences, 0.2, 0.1, seed=2) != (train, val, test)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"val_size": 1.2}, "val_size must be a fraction"),
    ({"test_size": -0.1}, "test_size must be a fraction"),
    ({"val_size": 0.5, "test_size": 0.5}, "must leave sentences to train on"),
])
def test_split_sentences_names_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_sentences(["one is less than two"], **kwargs)


def test_split_sentences_refuses_one_string():
    with pytest.raises(TypeError, match="got one str"):
        split_sentences("one is less than two")
