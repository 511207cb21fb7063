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
    assert compress.num_parameters(small) == compress.num_parameters(model)   # packed, counted
    with torch.no_grad():
        full, quantized = model(batch), small(batch)
    assert torch.allclose(full, quantized, atol=0.05 * float(full.abs().max()))


def test_quantize_options_per_row_layers_kept_float_and_int8_embeddings():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(100, 64), nn.Linear(64, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    ids = torch.randint(0, 100, (32,), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(ids)
        errors = {}
        for per_channel in (False, True):
            small = compress.quantize(model[1:], per_channel=per_channel)
            errors[per_channel] = float((small(model[0](ids)) - full).abs().max())
    assert errors[True] <= errors[False] * 1.5          # one scale per row: no worse
    mixed = compress.quantize(model, keep_float=r"3", embeddings=r"0")
    assert type(mixed[3]) is nn.Linear                     # kept float, by its name
    assert type(mixed[1]).__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert type(mixed[0]).__module__.startswith("torch.ao.nn.quantized")   # int8 table
    assert compress.num_parameters(mixed) == compress.num_parameters(model)
    assert compress.size_on_disk(mixed) < compress.size_on_disk(model) / 2
    with torch.no_grad():
        assert torch.allclose(mixed(ids), full, atol=0.05 * float(full.abs().max()))
    assert type(compress.quantize(model)[0]) is nn.Embedding   # by default: no embeddings


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


# --- measure with accuracy ----------------------------------------------------------------

def test_measure_reports_accuracy_on_a_pair_or_a_kit_batch():
    model = mlp()
    x = torch.randn(50, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        labels = model(x).argmax(dim=1)
    labels[:10] = (labels[:10] + 1) % 10                     # 10 of 50 made wrong
    report = compress.measure(model, x, repeats=2, accuracy_of=(x, labels))
    assert set(report) == {"size_kb", "parameters", "latency_ms", "accuracy"}
    assert report["accuracy"] == pytest.approx(0.8)
    with pytest.raises(ValueError, match=r"expected \(50,\) labels"):
        compress.measure(model, x, repeats=1, accuracy_of=(x, labels[:5]))
    with pytest.raises(TypeError, match="pair"):
        compress.measure(model, x, repeats=1, accuracy_of=x)


# --- distillation ---------------------------------------------------------------------------

def logits(n=6, c=5, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(n, c, generator=g, dtype=dtype),
            3 * torch.randn(n, c, generator=g, dtype=dtype),
            torch.randint(0, c, (n,), generator=g))


@pytest.mark.parametrize(("temperature", "alpha"), [(1.0, 0.5), (4.0, 0.5), (2.5, 0.9),
                                                    (4.0, 0.0), (4.0, 1.0)])
def test_distillation_loss_is_pytorchs_kl_and_cross_entropy(temperature, alpha):
    from torch.nn import functional as F

    student, teacher, labels = logits()
    got = compress.distillation_loss(student, teacher, labels, temperature, alpha)
    t = temperature
    kl = F.kl_div(F.log_softmax(student / t, dim=1), F.log_softmax(teacher / t, dim=1),
                  log_target=True, reduction="batchmean")
    expected = alpha * t * t * kl + (1 - alpha) * F.cross_entropy(student, labels)
    assert torch.allclose(got, expected, atol=1e-6)
    # the same by hand, in NumPy: Σ p (log p − log q), mean over rows; −log q_label
    s, te = student.double().numpy() / t, teacher.double().numpy() / t
    log_q = s - np.log(np.exp(s).sum(1, keepdims=True))
    log_p = te - np.log(np.exp(te).sum(1, keepdims=True))
    hand_kl = (np.exp(log_p) * (log_p - log_q)).sum(1).mean()
    z = student.double().numpy()
    hand_ce = -(z - np.log(np.exp(z).sum(1, keepdims=True)))[np.arange(6), labels.numpy()].mean()
    assert float(got) == pytest.approx(alpha * t * t * hand_kl + (1 - alpha) * hand_ce, rel=1e-5)


def test_distillation_loss_is_zero_when_the_student_copies_the_teacher_and_alpha_is_1():
    student, _, labels = logits()
    assert float(compress.distillation_loss(student, student.clone(), labels, 3.0, 1.0)) == \
        pytest.approx(0.0, abs=1e-6)


def test_distillation_loss_gradient_matches_finite_differences_and_skips_the_teacher():
    student, teacher, labels = logits(dtype=torch.float64)
    student.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s: compress.distillation_loss(s, teacher, labels, 3.0, 0.7), (student,))
    teacher.requires_grad_(True)
    compress.distillation_loss(student, teacher, labels, 3.0, 0.7).backward()
    assert teacher.grad is None                               # the teacher is a constant


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"teacher_logits": torch.zeros(6, 4)}, ValueError,
     r"teacher_logits must have the student's shape \(6, 5\), got \(6, 4\)"),
    ({"labels": torch.zeros(5, dtype=torch.int64)}, ValueError,
     r"labels must have shape \(6,\).*got \(5,\)"),
    ({"labels": torch.full((6,), 5)}, ValueError, r"labels must lie in \[0, 5\), got 5\.\.5"),
    ({"labels": torch.zeros(6)}, TypeError, "labels must be an int64 tensor.*float32"),
    ({"student_logits": torch.zeros(6)}, ValueError, r"\(N, classes\).*got \(6,\)"),
    ({"temperature": 0.0}, ValueError, "temperature must be a finite number > 0, got 0.0"),
    ({"temperature": -2}, ValueError, "temperature must be a finite number > 0, got -2.0"),
    ({"alpha": 1.5}, ValueError, r"alpha must lie in \[0, 1\], got 1.5"),
    ({"alpha": -0.1}, ValueError, r"alpha must lie in \[0, 1\], got -0.1"),
])
def test_distillation_loss_refuses_bad_input_saying_what_it_expected(change, error, message):
    student, teacher, labels = logits()
    arguments = {"student_logits": student, "teacher_logits": teacher, "labels": labels,
                 "temperature": 4.0, "alpha": 0.5, **change}
    with pytest.raises(error, match=message):
        compress.distillation_loss(**arguments)


def test_the_student_has_at_most_a_quarter_of_the_teachers_parameters():
    from mmkit.models.encoders import num_parameters
    from mmkit.pipeline import build_model

    teacher = build_model("early")
    assert num_parameters(compress.student_model(16)) <= 0.25 * num_parameters(teacher)
    assert num_parameters(compress.student_model(24)) <= 0.25 * num_parameters(teacher)
    same = compress.student_model(compress.TEACHER_WIDTH)    # width 64: the teacher's sizes
    assert {k: v.shape for k, v in same.state_dict().items()} == \
        {k: v.shape for k, v in teacher.state_dict().items()}


@pytest.fixture(scope="module")
def small_data():
    from mmkit.pipeline import _batch

    return _batch("train", "standard", 96), _batch("val", "standard", 64)


def test_distillation_with_alpha_0_is_plain_cross_entropy_training(small_data):
    from mmkit.models.encoders import classification_step, to_tensors
    from mmkit.train import train

    data, _ = small_data
    torch.manual_seed(5)
    teacher = compress.student_model(8)
    torch.manual_seed(0)
    student = compress.student_model(8)
    plain = copy_of(student)
    compress.distill(teacher, student, data, None, epochs=2, alpha=0.0, seed=3,
                     modality_dropout=0.3)
    optimizer = torch.optim.Adam(plain.parameters(), lr=3e-3)
    step = classification_step(plain, optimizer, 0.3, torch.Generator().manual_seed(3))
    train(step, to_tensors(data), 2, batch_size=32, seed=3, progress=False)
    for (name, a), b in zip(student.state_dict().items(), plain.state_dict().values(),
                            strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def copy_of(model):
    import copy

    return copy.deepcopy(model)


def test_distill_moves_the_student_towards_the_teacher_and_keeps_the_best_epoch(small_data):
    from mmkit.models.encoders import accuracy

    data, val = small_data

    class ImageLinear(nn.Module):                             # any batch → logits model
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(28 * 28, 10)

        def forward(self, batch):
            return self.linear(batch["image"].flatten(1))

    torch.manual_seed(1)
    teacher = ImageLinear()
    torch.manual_seed(0)
    student = ImageLinear()

    def gap():      # KL(teacher ‖ student) at T = 2 on the training rows
        with torch.no_grad():
            return float(compress.distillation_loss(student(data), teacher(data),
                                                    data["label"], 2.0, 1.0))

    before = gap()
    compress.distill(teacher, student, data, None, epochs=4, temperature=2.0, alpha=1.0)
    assert gap() < 0.25 * before                              # it learned the teacher's logits
    assert not student.training and not teacher.training

    torch.manual_seed(0)
    student = compress.student_model(8)
    history = compress.distill(compress.load_teacher(), student, data, val, epochs=4, seed=0)
    scores = [s["val_accuracy"] for _, s in history.snapshots]
    assert len(scores) == 5 and history.best_value == max(scores)
    assert accuracy(student, val) == pytest.approx(history.best_value)   # the best restored
    with pytest.raises(ValueError, match="temperature"):
        compress.distill(teacher, student, data, val, epochs=1, temperature=0)


# --- the shipped teacher --------------------------------------------------------------------

def test_the_shipped_teacher_loads_and_reaches_its_recorded_validation_accuracy():
    from mmkit.models.encoders import accuracy
    from mmkit.pipeline import _batch

    teacher, info = compress.load_teacher(with_info=True)
    assert not teacher.training
    assert {k: info[k] for k in compress.TEACHER_SETTINGS} == compress.TEACHER_SETTINGS
    assert info["val_accuracy"] > 0.9 and info["parameters"] == 131178
    assert accuracy(teacher, _batch("val", info["preset"])) == pytest.approx(
        info["val_accuracy"], abs=1e-9)
    assert compress.load_teacher().state_dict().keys() == teacher.state_dict().keys()


def test_a_saved_teacher_loads_back_and_another_architecture_is_refused(tmp_path):
    torch.manual_seed(0)
    from mmkit.pipeline import build_model

    model = build_model("early").eval()
    path = compress.save_teacher(model, tmp_path / "t.pt", {**compress.TEACHER_SETTINGS,
                                                           "val_accuracy": 0.5})
    loaded, info = compress.load_teacher(path, with_info=True)
    assert info["val_accuracy"] == 0.5
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 loaded.state_dict().values(), strict=True))
    compress.save_teacher(compress.student_model(16), tmp_path / "small.pt")
    with pytest.raises(ValueError, match=r"another architecture than early fusion.*"
                                         r"expected, .* in the file"):
        compress.load_teacher(tmp_path / "small.pt")
    torch.save(model.state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ValueError, match=r"expected a teacher written by compress\.save_teacher"):
        compress.load_teacher(tmp_path / "plain.pt")
    with pytest.raises(FileNotFoundError, match="benchmarks compression --teacher-only"):
        compress.load_teacher(tmp_path / "none.pt")
