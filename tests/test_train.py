"""mmkit.train: the one PyTorch training loop."""

import os
import shutil

import numpy as np
import pytest
import torch

from mmkit.train import (
    CheckpointError,
    History,
    as_batches,
    evaluate,
    load_checkpoint,
    previous_checkpoint,
    train,
)


def linear_problem(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(100, 3, generator=generator)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    return x, y


def make_step(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        return {"mse": loss.item()}

    return model, optimizer, step


def test_the_loss_falls_and_the_history_keeps_one_mean_per_epoch():
    x, y = linear_problem()
    model, _, step = make_step()
    history = train(step, (x, y), epochs=15, batch_size=16, progress=False)
    assert history.epochs == 15 and history["mse"].shape == (15,)
    assert history["mse"][-1] < 0.01 * history["mse"][0]
    np.testing.assert_allclose(model.weight.detach().numpy()[0], [1.0, -2.0, 0.5], atol=0.05)


def test_the_epoch_mean_weights_batches_by_their_size():
    x = torch.arange(10.0)[:, None]
    history = train(lambda batch: {"mean": batch.mean().item()}, x, epochs=1, batch_size=4,
                    progress=False)
    assert history["mean"][0] == pytest.approx(4.5)  # the mean of 0..9, not of batch means


def test_same_seed_same_run_and_snapshots_before_and_every_k_epochs():
    x, y = linear_problem()
    runs = []
    for _ in range(2):
        model, _, step = make_step()
        runs.append(train(step, (x, y), epochs=4, seed=3, progress=False,
                          snapshot=lambda m=model: m.weight.detach().clone(),
                          snapshot_every=2))
    np.testing.assert_array_equal(runs[0]["mse"], runs[1]["mse"])
    assert [epoch for epoch, _ in runs[0].snapshots] == [0, 2, 4]


def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path):
    x, y = linear_problem()
    model, optimizer, step = make_step()
    whole = train(step, (x, y), epochs=6, seed=1, progress=False)
    final = model.weight.detach().clone()

    model, optimizer, step = make_step()
    path = tmp_path / "run.pt"
    state = {"model": model, "optimizer": optimizer}
    train(step, (x, y), epochs=3, seed=1, progress=False, checkpoint=path, state=state)
    model, optimizer, step = make_step(seed=99)  # a fresh process: other weights until loaded
    resumed = train(step, (x, y), epochs=6, seed=1, progress=False, checkpoint=path,
                    state={"model": model, "optimizer": optimizer})
    np.testing.assert_allclose(resumed["mse"], whole["mse"], rtol=1e-6)
    torch.testing.assert_close(model.weight.detach(), final)


def test_divergence_and_bad_arguments_say_what_was_expected():
    x, y = linear_problem()
    with pytest.raises(FloatingPointError,
                       match="diverged at epoch 1, step 1 of 2: the mse loss became nan"):
        train(lambda a, b: {"mse": float("nan")}, (x, y), epochs=2, progress=False)
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        train(lambda a, b: {}, (x, y), epochs=1.5, progress=False)
    with pytest.raises(ValueError, match="pass state="):
        train(lambda a, b: {}, (x, y), epochs=1, progress=False, checkpoint="x.pt")
    with pytest.raises(ValueError, match=r"same number of rows, got \[100, 99\]"):
        list(as_batches((x, y[:99]), 10))
    with pytest.raises(TypeError, match="a tensor or a tuple of tensors"):
        list(as_batches(np.zeros(3), 10))
    with pytest.raises(KeyError, match="recorded \\['mse'\\]"):
        History(losses={"mse": [1.0]})["loss"]


def test_evaluate_is_the_weighted_mean_without_gradients():
    x = torch.arange(10.0, requires_grad=True)[:, None]

    def measure(batch):
        assert not torch.is_grad_enabled()
        return {"mean": batch.mean()}

    assert evaluate(measure, x.detach(), batch_size=3) == {"mean": pytest.approx(4.5)}
    batches = list(as_batches(x.detach(), 3, shuffle=False))
    assert [len(b[0]) for b in batches] == [3, 3, 3, 1]


# --- checkpoints: atomic, verified, resumed bit for bit ------------------------------------

class Interrupted(KeyboardInterrupt):
    pass


def make_noisy_run(seed: int = 0, interrupt_at: int | None = None):
    """A model with dropout, Adam and a private noise generator: every random state matters."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.9)
    noise = torch.Generator().manual_seed(seed + 7)
    calls = [0]

    def step(x, y):
        calls[0] += 1
        if calls[0] == interrupt_at:
            raise Interrupted  # Ctrl-C in the middle of an epoch
        optimizer.zero_grad()
        jitter = 0.01 * torch.randn(x.shape, generator=noise)
        loss = torch.nn.functional.mse_loss(model(x + jitter).squeeze(1), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        schedule.step()
        return {"mse": loss.item()}

    return model, optimizer, step, {"model": model, "optimizer": optimizer, "noise": noise,
                                    "schedule": schedule}


def assert_same_state(a: dict, b: dict):
    """Every parameter, buffer and optimizer tensor equal bit for bit (torch.equal)."""
    ma, mb = a["model"].state_dict(), b["model"].state_dict()
    assert ma.keys() == mb.keys() and all(torch.equal(ma[k], mb[k]) for k in ma)
    oa, ob = a["optimizer"].state_dict(), b["optimizer"].state_dict()
    assert oa["param_groups"] == ob["param_groups"] and oa["state"].keys() == ob["state"].keys()
    for index, tensors in oa["state"].items():
        for key, value in tensors.items():
            assert torch.equal(value, ob["state"][index][key]), (index, key)
    assert torch.equal(a["noise"].get_state(), b["noise"].get_state())
    assert a["schedule"].state_dict() == b["schedule"].state_dict()


def test_a_run_killed_mid_epoch_resumes_to_bit_identical_weights(tmp_path):
    x, y = linear_problem()
    *_, step, straight = make_noisy_run()
    whole = train(step, (x, y), epochs=6, batch_size=16, seed=1, progress=False)

    path = tmp_path / "run.pt"
    *_, step, state = make_noisy_run(interrupt_at=7 * 3 + 4)  # 7 batches an epoch: epoch 4
    with pytest.raises(Interrupted):
        train(step, (x, y), epochs=6, batch_size=16, seed=1, progress=False, checkpoint=path,
              state=state)
    assert load_checkpoint(path)["history"]["losses"]["mse"] == whole.losses["mse"][:3]
    *_, step, resumed_state = make_noisy_run(seed=99)  # a fresh process: other weights
    resumed = train(step, (x, y), epochs=6, batch_size=16, seed=1, progress=False,
                    checkpoint=path, state=resumed_state)
    assert resumed.losses == whole.losses
    assert_same_state(resumed_state, straight)


def test_k_epochs_then_n_equals_n_epochs_straight(tmp_path):
    x, y = linear_problem()
    *_, step, straight = make_noisy_run()
    train(step, (x, y), epochs=5, batch_size=32, seed=2, progress=False)
    path = tmp_path / "run.pt"
    for epochs in (2, 5):
        *_, step, state = make_noisy_run(seed=0 if epochs == 2 else 99)  # 99: a new process
        train(step, (x, y), epochs=epochs, batch_size=32, seed=2, progress=False,
              checkpoint=path, state=state)
    assert_same_state(state, straight)


def test_checkpoints_are_written_atomically_and_load_with_weights_only(tmp_path, monkeypatch):
    synced, replaced = [], []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: replaced.append((str(a), str(b)))
                        or real_replace(a, b))
    x, y = linear_problem()
    *_, step, state = make_noisy_run()
    path = tmp_path / "run.pt"
    train(step, (x, y), epochs=2, progress=False, checkpoint=path, state=state)
    assert (str(tmp_path / "run.pt.tmp"), str(path)) in replaced  # same folder, then renamed
    assert len(synced) >= 2  # the file and the folder, every epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt", "run.pt.prev"]
    torch.load(path, weights_only=True)  # plain data only: no pickled classes
    assert load_checkpoint(previous_checkpoint(path))["history"]["losses"]["mse"] == \
        load_checkpoint(path)["history"]["losses"]["mse"][:1]


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_checkpoint_is_refused_and_the_previous_one_is_kept(tmp_path, damage):
    x, y = linear_problem()
    *_, step, state = make_noisy_run()
    path = tmp_path / "run.pt"
    train(step, (x, y), epochs=2, progress=False, checkpoint=path, state=state)
    content = bytearray(path.read_bytes())
    if damage == "truncate":
        content = content[:len(content) // 2]
    else:
        content[len(content) // 3] ^= 0xFF
    path.write_bytes(bytes(content))
    *_, step, fresh = make_noisy_run(seed=5)
    before = [p.detach().clone() for p in fresh["model"].parameters()]
    with pytest.raises(CheckpointError, match=f"checkpoint {path} cannot be read") as error:
        train(step, (x, y), epochs=3, progress=False, checkpoint=path, state=fresh)
    assert f"{path}.prev is still there" in str(error.value)
    assert all(torch.equal(a, b) for a, b in zip(before, fresh["model"].parameters(), strict=True))
    shutil.copyfile(previous_checkpoint(path), path)  # what the message says to do
    history = train(step, (x, y), epochs=3, progress=False, checkpoint=path, state=fresh)
    assert history.epochs == 3


def test_a_checkpoint_of_another_configuration_lists_the_mismatches_and_loads_nothing(tmp_path):
    x, y = linear_problem()
    *_, step, state = make_noisy_run()
    path = tmp_path / "run.pt"
    train(step, (x, y), epochs=1, progress=False, checkpoint=path, state=state)
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(4, 1), torch.nn.Linear(1, 1))
    optimizer = torch.optim.Adam(other.parameters())
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointError, match="another configuration; nothing was loaded") as e:
        train(step, (x, y), epochs=2, progress=False, checkpoint=path,
              state={**state, "model": other, "optimizer": optimizer})
    message = str(e.value)
    for line in ["model.0.weight: shape (8, 3) in the file, (4, 3) here",
                 "model.0.bias: shape (8,) in the file, (4,) here",
                 "model.3.weight: shape (1, 8) in the file, (1, 4) here",
                 "model.4.weight: in this model, not in the file",
                 "optimizer: parameters per group [4] in the file, [6] here"]:
        assert line in message
    assert all(torch.equal(before[k], v) for k, v in other.state_dict().items())
    assert optimizer.state_dict()["state"] == {}
    names = r"state names \['model', 'noise', 'optimizer', 'schedule'\]"
    with pytest.raises(CheckpointError, match=rf"{names} in the file, \['model'\] here"):
        train(step, (x, y), epochs=2, progress=False, checkpoint=path,
              state={"model": state["model"]})
    with pytest.raises(CheckpointError, match="batch_size: 64 in the file, 10 here"):
        train(step, (x, y), epochs=2, batch_size=10, progress=False, checkpoint=path,
              state=state)


def test_a_nan_loss_names_the_epoch_the_step_and_the_last_good_checkpoint(tmp_path):
    x, y = linear_problem()
    calls = [0]

    def step(x, y):
        calls[0] += 1
        return {"mse": float("nan") if calls[0] == 2 * 4 + 3 else 1.0}  # 4 batches an epoch

    path = tmp_path / "run.pt"
    model = torch.nn.Linear(1, 1)
    with pytest.raises(FloatingPointError,
                       match=(r"diverged at epoch 3, step 3 of 4: the mse loss became nan; "
                              rf"the last good checkpoint is {path} \(epoch 2\)")):
        train(step, (x, y), epochs=5, batch_size=32, progress=False, checkpoint=path,
              state={"model": model})
    assert load_checkpoint(path)["history"]["losses"]["mse"] == [1.0, 1.0]


def test_snapshots_round_trip_through_a_checkpoint_and_other_objects_are_refused(tmp_path):
    x, y = linear_problem()
    model, optimizer, step = make_step()
    state = {"model": model, "optimizer": optimizer}
    snap = lambda: {"weights": model.weight.detach().numpy().copy(),  # noqa: E731
                    "norm": np.float64(model.weight.norm().item()), "tag": ("a", 1),
                    "tensor": model.bias.detach().clone()}
    path = tmp_path / "run.pt"
    straight = train(step, (x, y), epochs=2, progress=False, snapshot=snap, checkpoint=path,
                     state=state)
    resumed = train(step, (x, y), epochs=2, progress=False, snapshot=snap, checkpoint=path,
                    state=state)  # nothing left to do: the history comes from the file
    assert [e for e, _ in resumed.snapshots] == [0, 1, 2]
    for (_, a), (_, b) in zip(straight.snapshots, resumed.snapshots, strict=True):
        np.testing.assert_array_equal(a["weights"], b["weights"])
        assert isinstance(b["weights"], np.ndarray) and b["tag"] == ("a", 1)
        assert b["norm"] == a["norm"] and torch.equal(a["tensor"], b["tensor"])
    calls = []
    with pytest.raises(TypeError, match="snapshot at epoch 0: a object cannot be saved"):
        train(lambda a, b: calls.append(1) or {}, (x, y), epochs=1, progress=False,
              snapshot=object, checkpoint=tmp_path / "other.pt", state=state)
    assert calls == []  # refused before training


def scripted_run(values, **options):
    """A run whose snapshot reports the next of `values` and whose 'weight' is the epoch."""
    model = torch.nn.Linear(1, 1, bias=False)
    epoch = [0]

    def step(x):
        return {"loss": 0.0}

    def snapshot():
        with torch.no_grad():
            model.weight.fill_(epoch[0])
        epoch[0] += 1
        return {"val_loss": values[epoch[0] - 1]}

    history = train(step, torch.zeros(4, 1), epochs=len(values) - 1, progress=False,
                    snapshot=snapshot, state={"model": model}, **options)
    return history, model.weight.item()


def test_early_stopping_and_model_selection_on_a_snapshot_value(tmp_path):
    values = [5.0, 3.0, 2.0, 2.5, 2.1, 2.2, 1.0, 0.5]
    history, weight = scripted_run(values)
    assert history.epochs == 7 and history.stopped_epoch is None and weight == 7
    history, weight = scripted_run(values, monitor="val_loss", patience=3)
    assert (history.epochs, history.stopped_epoch) == (5, 5)
    assert (history.best_epoch, history.best_value) == (2, 2.0) and weight == 5
    history, weight = scripted_run(values, monitor="val_loss", patience=3, restore_best=True)
    assert weight == 2  # the best epoch's state, loaded back
    history, weight = scripted_run([-v for v in values], monitor="val_loss", mode="max")
    assert history.best_epoch == 7 and weight == 7
    path = tmp_path / "run.pt"
    first, _ = scripted_run(values, monitor="val_loss", patience=3, checkpoint=path)
    again, _ = scripted_run(values, monitor="val_loss", patience=3, checkpoint=path)
    assert again.losses == first.losses and again.stopped_epoch == 5  # stopped stays stopped
    with pytest.raises(ValueError, match="pass snapshot="):
        train(lambda x: {}, torch.zeros(2, 1), epochs=1, patience=2, progress=False)
    with pytest.raises(KeyError, match=r"monitor='accuracy': the snapshot at epoch 0 has"):
        scripted_run(values, monitor="accuracy")
