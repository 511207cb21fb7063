"""The digit language: a small seeded grammar of English sentences about the numbers 0–9.

It serves two purposes. It writes the *clue* that goes with each sample of the
multimodal data set, at a chosen level of information:

    exact        "the number seven", "it is a 7"             → one candidate
    arithmetic   "three plus four", "2 times 4"              → one candidate
    partial      "an odd number above five"                  → a few candidates
    none         "a handwritten number"                      → all ten

and it writes a *corpus* of true statements ("three plus four is seven",
"after six comes seven", "eight is even") for training tiny language models
on the same words later in the course.

Some sentences write numbers as digits ("3 + 4", "a 7"): cleaning that drops
digits then throws the information away, which notebook 10 shows.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmkit.validate import check_count, lookup

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
LEVELS = ("exact", "arithmetic", "partial", "none")
PRIMES = frozenset({2, 3, 5, 7})
DIGITS = frozenset(range(10))


@dataclass(frozen=True)
class Clue:
    """A sentence and the digits it is consistent with."""

    text: str
    level: str
    candidates: frozenset[int]


def _number(n: int, rng: np.random.Generator, digit_rate: float) -> str:
    """A number as a word ("seven") or, with probability `digit_rate`, as a numeral ("7")."""
    return str(n) if rng.random() < digit_rate else WORDS[n]


def _choice(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _exact(digit: int, rng: np.random.Generator, digit_rate: float) -> str:
    number = _number(digit, rng, digit_rate)
    article = "an" if number in ("eight", "8") else "a"
    return _choice(rng, [f"the number {number}", f"it is {article} {number}",
                         f"this shows {article} {number}", f"the digit {number}",
                         f"{article} handwritten {number}"])


def _arithmetic(digit: int, rng: np.random.Generator, digit_rate: float) -> str:
    options = [("plus", a, digit - a) for a in range(digit + 1)]
    options += [("minus", digit + b, b) for b in range(1, 10 - digit)]
    options += [("times", a, digit // a) for a in range(2, 10) if digit % a == 0 and digit // a > 1]
    operation, a, b = _choice(rng, options)
    if rng.random() < digit_rate:
        symbol = {"plus": "+", "minus": "-", "times": "x"}[operation]
        return f"{a} {symbol} {b}"
    return f"{WORDS[a]} {operation} {WORDS[b]}"


def _properties(digit: int) -> list[tuple[str, frozenset[int]]]:
    """Descriptions true of `digit`, each with the digits it fits."""
    parity = "even" if digit % 2 == 0 else "odd"
    found = [(f"an {parity} number", frozenset(d for d in DIGITS if d % 2 == digit % 2))]
    if digit in PRIMES:
        found.append(("a prime number", PRIMES))
    else:
        found.append(("not a prime number", DIGITS - PRIMES))
    return found


def _partial(digit: int, rng: np.random.Generator, digit_rate: float) -> tuple[str, frozenset]:
    """A property and a bound, e.g. "an odd number above five": 2 to 5 candidates."""
    options = []
    for description, fits in _properties(digit):
        for low in range(digit):
            options.append((description, "above", low, fits & {d for d in DIGITS if d > low}))
        for high in range(digit + 1, 10):
            options.append((description, "below", high, fits & {d for d in DIGITS if d < high}))
    options = [option for option in options if 2 <= len(option[3]) <= 5]
    description, relation, bound, candidates = _choice(rng, options)
    return f"{description} {relation} {_number(bound, rng, digit_rate)}", frozenset(candidates)


def _none(rng: np.random.Generator) -> str:
    return _choice(rng, ["a handwritten number", "guess the number", "some digit",
                         "a number written by hand", "which number is it"])


def add_typos(text: str, rate: float, rng: np.random.Generator) -> str:
    """Each letter is, with probability `rate`, dropped, doubled or swapped with the next."""
    if rate <= 0:
        return text
    chars, out, i = list(text), [], 0
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < rate:
            kind = int(rng.integers(3))
            if kind == 0:
                i += 1
                continue  # dropped
            if kind == 1:
                out += [c, c]
            elif i + 1 < len(chars) and chars[i + 1].isalpha():
                out += [chars[i + 1], c]
                i += 1
            else:
                out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def make_clue(digit: int, level: str, rng: np.random.Generator, digit_rate: float = 0.2,
              typo_rate: float = 0.0) -> Clue:
    """A clue about `digit` at `level` (one of LEVELS); numerals with `digit_rate`."""
    if check_count(digit, "digit") not in DIGITS:
        raise ValueError(f"digit must be an int from 0 to 9, got {digit!r}")
    lookup(level, LEVELS, "level")
    if level == "exact":
        text, candidates = _exact(digit, rng, digit_rate), frozenset({digit})
    elif level == "arithmetic":
        text, candidates = _arithmetic(digit, rng, digit_rate), frozenset({digit})
    elif level == "partial":
        text, candidates = _partial(digit, rng, digit_rate)
    else:
        text, candidates = _none(rng), DIGITS
    return Clue(add_typos(text, typo_rate, rng), level, frozenset(candidates))


def corpus(n: int, seed: int = 0, digit_rate: float = 0.0) -> list[str]:
    """`n` true sentences of the digit language, for training language models.

    Facts of several kinds: sums, differences and products ("three plus four
    is seven"), order ("after six comes seven", "two is less than five"),
    properties ("eight is even", "seven is a prime number").
    """
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(n):
        digit = int(rng.integers(10))
        kind = int(rng.integers(4))
        if kind == 0:
            sentences.append(f"{_arithmetic(digit, rng, digit_rate)} is {WORDS[digit]}")
        elif kind == 1 and digit < 9:
            sentences.append(f"after {WORDS[digit]} comes {WORDS[digit + 1]}")
        elif kind == 1:
            sentences.append(f"before {WORDS[digit]} comes {WORDS[digit - 1]}")
        elif kind == 2:
            other = int(rng.integers(10))
            relation = ("equal to" if other == digit else "less than" if digit < other
                        else "greater than")
            sentences.append(f"{WORDS[digit]} is {relation} {WORDS[other]}")
        else:
            description, _ = _choice(rng, _properties(digit))
            sentences.append(f"{WORDS[digit]} is {description}")
    return sentences


# --- the corpus's grammar: parse a sentence, check its fact, split held-out sentences --------

#: A number word's value: "seven" → 7.
NUMBER_VALUES: dict[str, int] = {word: n for n, word in enumerate(WORDS)}
_WORD = "(" + "|".join(WORDS) + ")"
_NUMERAL = "([0-9])"
_OPERATIONS = {"plus": "+", "minus": "-", "times": "x", "+": "+", "-": "-", "x": "x"}
_RELATIONS = {"less than": "<", "greater than": ">", "equal to": "="}
_PROPERTIES = ("an even number", "an odd number", "a prime number", "not a prime number")
#: The grammar of `corpus`, one pattern per kind of sentence (N a number word, D a numeral):
#:   arithmetic   N plus|minus|times N is N,  or  D +|-|x D is N
#:   order        after N comes N,  before N comes N
#:   comparison   N is less than|greater than|equal to N
#:   property     N is an even number | an odd number | a prime number | not a prime number
GRAMMAR: dict[str, tuple[re.Pattern, ...]] = {
    "arithmetic": (re.compile(rf"{_WORD} (plus|minus|times) {_WORD} is {_WORD}"),
                   re.compile(rf"{_NUMERAL} (\+|-|x) {_NUMERAL} is {_WORD}")),
    "order": (re.compile(rf"(after|before) {_WORD} comes {_WORD}"),),
    "comparison": (re.compile(rf"{_WORD} is ({'|'.join(_RELATIONS)}) {_WORD}"),),
    "property": (re.compile(rf"{_WORD} is ({'|'.join(_PROPERTIES)})"),),
}


@dataclass(frozen=True)
class Statement:
    """What a corpus sentence claims: its kind (a key of GRAMMAR), its numbers in order, and
    the word(s) that relate them ("plus", "after", "less than", "an even number")."""

    kind: str
    numbers: tuple[int, ...]
    relation: str

    def holds(self) -> bool:
        """Is the claim true? "three plus four is seven" yes, "three plus four is nine" no."""
        if self.kind == "arithmetic":
            a, b, result = self.numbers
            operation = _OPERATIONS[self.relation]
            return {"+": a + b, "-": a - b, "x": a * b}[operation] == result
        if self.kind == "order":
            a, b = self.numbers
            return b == a + (1 if self.relation == "after" else -1)
        if self.kind == "comparison":
            a, b = self.numbers
            return {"<": a < b, ">": a > b, "=": a == b}[_RELATIONS[self.relation]]
        (n,) = self.numbers
        return {"an even number": n % 2 == 0, "an odd number": n % 2 == 1,
                "a prime number": n in PRIMES, "not a prime number": n not in PRIMES
                }[self.relation]


def _value(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_VALUES[word]


def parse(sentence: str) -> Statement | None:
    """The statement a sentence of `corpus`'s grammar makes, or None if it is not one.

    The grammar (`GRAMMAR`) is that of the corpus: words in lower case, separated by
    spaces (runs of whitespace count as one). Well-formed is not true: "three plus four
    is nine" parses; `is_true` checks the fact. Raises TypeError for anything but a str.

    >>> parse("after six comes seven")
    Statement(kind='order', numbers=(6, 7), relation='after')
    >>> parse("six is a even number") is None
    True
    """
    if not isinstance(sentence, str):
        raise TypeError(f"parse: expected a str, got {type(sentence).__name__}")
    text = " ".join(sentence.split())
    for kind, patterns in GRAMMAR.items():
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            groups = match.groups()
            if kind == "arithmetic":
                return Statement(kind, (_value(groups[0]), _value(groups[2]),
                                        _value(groups[3])), groups[1])
            if kind == "order":
                return Statement(kind, (_value(groups[1]), _value(groups[2])), groups[0])
            if kind == "comparison":
                return Statement(kind, (_value(groups[0]), _value(groups[2])), groups[1])
            return Statement(kind, (_value(groups[0]),), groups[1])
    return None


def parses(sentence: str) -> bool:
    """Is `sentence` well-formed in the grammar of `corpus` (true or not)? See `parse`."""
    return parse(sentence) is not None


def is_true(sentence: str) -> bool:
    """Is `sentence` well-formed *and* a true statement? "after six comes seven": True;
    "after six comes nine" (false) and "after six seven" (not a sentence): False."""
    statement = parse(sentence)
    return statement is not None and statement.holds()


def split_sentences(sentences: Sequence[str], val_size: float = 0.15, test_size: float = 0.15,
                    seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """The *distinct* sentences of `sentences`, shuffled and cut into train / val / test.

    No sentence is in two parts, so a model scored on a held-out part has never seen
    those sentences (a random split of `corpus(n)` would repeat training sentences:
    the language has only a few hundred). Sizes are fractions of the distinct sentences;
    each part is sorted, so the result depends on the set and the seed, not the order.
    """
    if isinstance(sentences, str):
        raise TypeError("split_sentences: expected a list of str, got one str")
    for name, size in (("val_size", val_size), ("test_size", test_size)):
        if not 0 <= size < 1:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {size!r}")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must leave sentences to train on, got "
                         f"{val_size} + {test_size}")
    distinct = sorted(set(sentences))
    order = np.random.default_rng(seed).permutation(len(distinct))
    n_val, n_test = round(val_size * len(distinct)), round(test_size * len(distinct))
    parts = (order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test])
    train, val, test = ([distinct[i] for i in sorted(part)] for part in parts)
    return train, val, test
