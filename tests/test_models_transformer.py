"""The tiny GPT and tiny BERT: tokens, causal blocks, generation, training and masking."""

import math

import pytest
import torch
from torch.nn import functional as F

from mmkit.data import language
from mmkit.models import transformer as T

VOCAB = T.language_vocab()


def _gpt(seed=0, **sizes):
    torch.manual_seed(seed)
    return T.GPT(T.GPTConfig(vocab_size=len(VOCAB), **{"n_embd": 32, **sizes}))


@pytest.fixture(scope="module")
def splits():
    return language.split_sentences(language.corpus(3000, seed=0))


# --- tokens -----------------------------------------------------------------------------------

def test_the_vocabulary_starts_with_the_special_tokens_and_holds_every_corpus_word():
    assert VOCAB.tokens[:5] == T.SPECIAL_TOKENS
    assert (T.PAD_ID, T.UNK_ID, T.BOS_ID, T.EOS_ID, T.MASK_ID) == (0, 1, 2, 3, 4)
    words = {w for s in language.corpus(5000, seed=7) for w in s.split()}
    assert words <= set(VOCAB.tokens) and set(language.WORDS) <= words


def test_encode_prompt_names_every_unknown_word_and_lists_the_known_ones():
    assert T.encode_prompt("After six") == [VOCAB.index["after"], VOCAB.index["six"]]
    with pytest.raises(ValueError, match="not in the vocabulary: 'eleven', 'banana'") as error:
        T.encode_prompt("eleven plus banana is eleven")
    assert "seven" in str(error.value)
    with pytest.raises(ValueError, match="'<', 'mask', '>'"):
        T.encode_prompt("<mask>")  # special tokens cannot be typed


def test_sentence_rows_shift_targets_by_one_and_ignore_padding():
    inputs, targets = T.sentence_rows(["after six comes seven", "one is an odd number"])
    ids = lambda text: [VOCAB.index[w] for w in text.split()]  # noqa: E731
    assert inputs.shape == targets.shape == (2, 6) and inputs.dtype == torch.long
    assert inputs[0].tolist() == [T.BOS_ID, *ids("after six comes seven"), T.EOS_ID, T.PAD_ID][:6]
    assert targets[0].tolist() == [*ids("after six comes seven"), T.EOS_ID, T.IGNORE_INDEX]
    assert targets[1].tolist() == [*ids("one is an odd number"), T.EOS_ID]
    assert torch.equal(inputs[:, 1:][targets[:, :-1] != T.IGNORE_INDEX],
                       targets[:, :-1][targets[:, :-1] != T.IGNORE_INDEX])


def test_sentence_rows_names_bad_input():
    with pytest.raises(TypeError, match="got one str"):
        T.sentence_rows("after six comes seven")
    with pytest.raises(ValueError, match="more than block_size"):
        T.sentence_rows(["three plus four is seven"], block_size=4)
    with pytest.raises(ValueError, match="'twelve'"):
        T.sentence_rows(["after twelve comes thirteen"])


# --- config and block ---------------------------------------------------------------------------

@pytest.mark.parametrize(("sizes", "message"), [
    ({"n_embd": 30, "n_head": 4}, "n_head must divide n_embd"),
    ({"n_layer": 0}, "n_layer"),
    ({"dropout": 1.0}, "dropout must be a probability"),
])
def test_config_names_bad_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        T.GPTConfig(vocab_size=10, **sizes)


@pytest.mark.parametrize("causal", [True, False])
def test_a_causal_block_never_reads_the_future(causal):
    torch.manual_seed(0)
    block = T.Block(T.GPTConfig(vocab_size=10, n_embd=16, n_head=2), causal=causal).eval()
    x = torch.randn(2, 6, 16)
    changed = x.clone()
    changed[:, 4:] += torch.randn(2, 2, 16)
    y, weights = block(x, return_attention=True)
    assert y.shape == x.shape and weights.shape == (2, 2, 6, 6)
    same_past = torch.allclose(block(changed)[:, :4], y[:, :4], atol=1e-6)
    assert same_past is causal
    future = ~torch.ones(6, 6, dtype=torch.bool).tril()
    assert bool((weights[..., future] == 0).all()) is causal


# --- GPT ----------------------------------------------------------------------------------------

def test_gpt_parameters_count_every_number_once_with_the_head_tied():
    model = _gpt(n_layer=2, n_head=4)
    c, v, t = 32, len(VOCAB), model.config.block_size
    per_block = 2 * 2 * c + (4 * c * c + 4 * c) + (8 * c * c + 5 * c)
    assert model.lm_head.weight is model.wte.weight
    assert model.num_parameters() == v * c + t * c + 2 * per_block + 2 * c
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_gpt_loss_is_the_cross_entropy_of_the_next_token(splits):
    model = _gpt()
    inputs, targets = T.sentence_rows(splits[0][:8])
    logits, loss = model(inputs, targets)
    assert logits.shape == (*inputs.shape, len(VOCAB))
    kept = targets != T.IGNORE_INDEX
    assert torch.allclose(loss, F.cross_entropy(logits[kept], targets[kept]))
    assert abs(loss.item() - math.log(len(VOCAB))) < 0.3  # starts near uniform
    assert T.language_model_loss(model, (inputs, targets), batch_size=3) == pytest.approx(
        loss.item(), abs=1e-5)


@pytest.mark.parametrize(("idx", "message"), [
    (torch.zeros(2, 17, dtype=torch.long), "17 tokens, more than block_size = 16"),
    (torch.full((1, 3), 99), r"ids must lie in \[0, 34\)"),
    (torch.zeros(1, 3), "expected token ids, an int64 tensor"),
    (torch.zeros(3, dtype=torch.long), "expected token ids"),
])
def test_gpt_names_bad_ids(idx, message):
    with pytest.raises(ValueError, match=message):
        _gpt()(idx)


def test_the_memorisation_floor_is_the_entropy_of_what_the_prefix_leaves_open():
    assert T.memorisation_floor(T.sentence_rows(["after six comes seven"])) == 0
    # after <bos> "after": six or one, each half the time; everything else is determined
    two = T.sentence_rows(["after six comes seven", "after one comes two"])
    assert T.memorisation_floor(two) == pytest.approx(2 * math.log(2) / 10)
    assert T.memorisation_floor(T.sentence_rows(["one is an odd number"] * 3)) == 0


@pytest.mark.parametrize("rows", [slice(0, 8), slice(40, 56)])
def test_gpt_memorises_one_small_batch_down_to_its_floor(splits, rows):
    model = _gpt(n_layer=2, n_head=4)
    batch = T.sentence_rows(splits[0][rows])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(150):
        _, loss = model(*batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert T.memorisation_floor(batch) < 0.5 and loss.item() < T.memorisation_floor(batch) + 0.05


def test_next_token_distribution_applies_temperature_before_the_softmax_then_top_k():
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0])
    assert torch.allclose(T.next_token_distribution(logits, 2.0), torch.softmax(logits / 2, 0))
    top2 = T.next_token_distribution(logits, 1.0, top_k=2)
    assert torch.allclose(top2, torch.tensor([torch.e / (torch.e + 1), 1 / (torch.e + 1), 0, 0]))
    assert torch.equal(T.next_token_distribution(logits, 0.0), torch.tensor([1.0, 0, 0, 0]))


@pytest.fixture(scope="module")
def trained(splits):
    model = _gpt(n_layer=2, n_head=4, n_embd=48)
    train, val, _ = splits
    history = T.train_language_model(model, T.sentence_rows(train), T.sentence_rows(val),
                                     epochs=30, keep_states=True)
    return model, history


def test_training_lowers_the_validation_loss_and_keeps_the_best_weights(trained, splits):
    model, history = trained
    epochs, losses = T.validation_curve(history)
    assert epochs[0] == 0 and len(epochs) == 31 and losses[-1] < losses[0] - 1.5
    best = T.restore_best(model, history)
    val = T.sentence_rows(splits[1])
    assert T.language_model_loss(model, val) == pytest.approx(losses.min(), abs=1e-6)
    assert losses[best] == losses.min()


def test_samples_of_the_trained_gpt_are_mostly_sentences(trained):
    model, _ = trained
    samples = T.complete(model, num_samples=200, seed=0)
    assert sum(language.parses(s) for s in samples) / 200 >= 0.8
    assert T.complete(model, num_samples=5, seed=3) == T.complete(model, num_samples=5, seed=3)
    assert all(s.startswith("after six ") for s in T.complete(model, "after six", 5))


def test_greedy_generation_is_top_1_and_stops_at_eos(trained):
    model, _ = trained
    prompt = torch.tensor([[T.BOS_ID, *T.encode_prompt("after four")]])
    greedy = model.generate(prompt, 8, temperature=0, stop_token=T.EOS_ID)
    top1 = model.generate(prompt, 8, temperature=1.0, top_k=1, stop_token=T.EOS_ID,
                          generator=torch.Generator().manual_seed(5))
    assert torch.equal(greedy, top1) and greedy[0, -1] == T.EOS_ID
    assert language.parses(T.complete(model, "after four", temperature=0)[0])
    probabilities = T.next_word_probabilities(model, "after four comes", top_k=3)
    assert len(probabilities) == 3 and sum(probabilities.values()) == pytest.approx(1)
    assert list(probabilities.values()) == sorted(probabilities.values(), reverse=True)
    everything = T.next_word_probabilities(model, "after four comes")
    assert list(everything)[:3] == list(probabilities) and len(everything) == len(VOCAB)


def test_a_prompt_with_unknown_words_is_named(trained):
    model, _ = trained
    with pytest.raises(ValueError, match="not in the vocabulary: 'eleven'"):
        T.complete(model, "after eleven")
    with pytest.raises(ValueError, match="at most 14 fit"):
        T.complete(model, " ".join(["one"] * 15))


def test_validation_curve_needs_validation_snapshots():
    model = _gpt()
    history = T.train_language_model(model, T.sentence_rows(["one is less than two"]), epochs=1)
    with pytest.raises(ValueError, match="train with val_data"):
        T.validation_curve(history)
    with pytest.raises(ValueError, match="keep_states=True"):
        T.restore_best(model, history)


# --- BERT ---------------------------------------------------------------------------------------

def test_tiny_bert_has_about_a_hundred_thousand_parameters():
    torch.manual_seed(0)
    model = T.tiny_bert(len(VOCAB))
    assert 100_000 < sum(p.numel() for p in model.parameters()) < 200_000
    assert model.config.initializer_range == 1 / 8  # 1/√64
    assert model.config.pad_token_id == T.PAD_ID


def test_encode_sentences_wraps_in_bos_eos_and_masks_padding():
    ids, mask = T.encode_sentences(["one is an odd number", "after six comes seven"])
    assert ids[0].tolist() == [T.BOS_ID, *T.encode_prompt("one is an odd number"), T.EOS_ID]
    assert ids[1, -1] == T.PAD_ID and mask[1].tolist() == [1] * 6 + [0]


def test_mask_tokens_follows_bert_80_10_10_and_never_masks_special_tokens():
    ids, _ = T.encode_sentences(language.corpus(2000, seed=1))
    inputs, labels = T.mask_tokens(ids, len(VOCAB), rate=0.15,
                                   generator=torch.Generator().manual_seed(0))
    words = ids >= len(T.SPECIAL_TOKENS)
    chosen = labels != -100
    assert not (chosen & ~words).any() and torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])
    assert chosen.sum() / words.sum() == pytest.approx(0.15, abs=0.01)
    masked = (inputs[chosen] == T.MASK_ID).float().mean()
    kept = (inputs[chosen] == ids[chosen]).float().mean()
    assert masked == pytest.approx(0.8, abs=0.03) and kept == pytest.approx(0.1 + 0.1 / 29,
                                                                           abs=0.03)
    assert (inputs >= len(T.SPECIAL_TOKENS))[chosen & (inputs != T.MASK_ID)].all()
    with pytest.raises(ValueError, match="rate must be in"):
        T.mask_tokens(ids, len(VOCAB), rate=0)
