"""mmkit.train: the one PyTorch training loop."""

import numpy as np
import pytest
import torch

from mmkit.train import History, as_batches, evaluate, train


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
    with pytest.raises(FloatingPointError, match="diverged at epoch 1: the mse loss became nan"):
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
