"""Quantisation and pruning: smaller as promised, close to the float model, the float model
untouched, and pruning that removes exactly the smallest weights."""

import numpy as np
import pytest
import torch
from torch import nn

from mmkit import compress
from mmkit.data.dataset import AudioFolder, collate
from mmkit.models.encoders import AudioLSTM, Classifier
from mmkit.paths import realspeech_dir


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))


def test_quantized_linear_layers_are_about_four_times_smaller_and_close():
    model, x = mlp(), torch.randn(32, 64, generator=torch.Generator().manual_seed(1))
    small = compress.quantize(model)
    assert compress.size_on_disk(small) < compress.size_on_disk(model) / 3
    assert compress.num_parameters(small) == compress.num_parameters(model) == 64 * 256 + 256 + 2570
    with torch.no_grad():
        error = (small(x) - model(x)).abs().max() / model(x).abs().max()
    assert 0 < error < 0.05
    assert all(type(m) is nn.Linear for m in model if not isinstance(m, nn.ReLU))


def test_the_kits_audio_lstm_quantizes_and_keeps_its_answers():
    folder = AudioFolder(realspeech_dir())
    batch = collate([folder[i] for i in range(0, 500, 25)])
    torch.manual_seed(0)
    model = Classifier(AudioLSTM(hidden=64)).eval()
    small = compress.quantize(model)
    assert type(small.encoder.lstm).__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert compress.size_on_disk(small) < compress.size_on_disk(model) / 2.5
    with torch.no_grad():
        full, quantized = model(batch), small(batch)
    assert torch.allclose(full, quantized, atol=0.05 * float(full.abs().max()))


@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.9])
def test_global_pruning_zeroes_exactly_the_smallest_weights(sparsity):
    model = mlp()
    pruned = compress.prune_global(model, sparsity)
    assert compress.weight_sparsity(model) == 0                     # the original is untouched
    assert compress.weight_sparsity(pruned) == pytest.approx(sparsity, abs=1e-3)
    before = torch.cat([m.weight.detach().abs().flatten() for m in model if hasattr(m, "weight")])
    after = torch.cat([m.weight.detach().flatten() for m in pruned if hasattr(m, "weight")])
    if sparsity:
        assert before[after == 0].max() <= before[after != 0].min()   # global, by magnitude
    kept = after != 0
    assert torch.equal(after[kept].abs(), before[kept])
    assert not any(name.endswith("_orig") for name, _ in pruned.named_parameters())


def test_pruning_refuses_a_share_outside_0_to_1_and_a_model_without_weights():
    with pytest.raises(ValueError, match=r"sparsity must be a share in \[0, 1\)"):
        compress.prune_global(mlp(), 1.0)
    with pytest.raises(ValueError, match="no trainable Linear"):
        compress.prune_global(nn.ReLU(), 0.5)


def test_size_on_disk_is_what_torch_save_writes(tmp_path):
    model = mlp()
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    assert compress.size_on_disk(model) == (tmp_path / "weights.pt").stat().st_size


def test_latency_skips_the_warm_up_calls_and_measure_reports_the_three_costs():
    calls = []

    class Slow(nn.Module):
        def forward(self, x):
            calls.append(len(calls))
            if len(calls) == 1:
                import time
                time.sleep(0.2)                # a first call that sets things up
            return x

    assert compress.latency_ms(Slow(), torch.zeros(1), repeats=5, warmup=1) < 100
    assert len(calls) == 6
    report = compress.measure(mlp(), torch.zeros(4, 64), repeats=3)
    assert set(report) == {"size_kb", "parameters", "latency_ms"}
    assert report["parameters"] == 19210 and report["latency_ms"] > 0
    with pytest.raises(ValueError, match="repeats"):
        compress.latency_ms(mlp(), torch.zeros(1, 64), repeats=0)
    assert np.isfinite(report["size_kb"])
