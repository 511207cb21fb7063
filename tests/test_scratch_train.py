"""The training loop: it learns digits, resumes from a checkpoint, and stops on divergence."""

import numpy as np
import pytest

from mmkit.data.digits import load_digits_split
from mmkit.scratch.layers import mlp
from mmkit.scratch.losses import CrossEntropyLoss, MSELoss
from mmkit.scratch.optim import SGD, Adam
from mmkit.scratch.train import accuracy, fit, minibatches


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_from_scratch_mlp_learns_digits(digits):
    model = mlp([64, 64, 10], rng=0)
    history = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3),
                  digits.X_train, digits.y_train, epochs=20, batch_size=32,
                  X_val=digits.X_test, y_val=digits.y_test, rng=0)
    assert accuracy(model(digits.X_test), digits.y_test) >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 10
    assert history.val_accuracy[-1] == accuracy(model(digits.X_test), digits.y_test)


def train(digits, epochs, checkpoint=None, on_epoch_end=None):
    model = mlp([64, 16, 10], rng=1)
    optimizer = Adam(model.parameters(), lr=3e-3)
    history = fit(model, CrossEntropyLoss(), optimizer, digits.X_train[:300],
                  digits.y_train[:300], epochs=epochs, batch_size=50, rng=2,
                  checkpoint=checkpoint, on_epoch_end=on_epoch_end)
    return model, history


def test_an_interrupted_run_resumes_from_its_checkpoint(digits, tmp_path):
    straight, straight_history = train(digits, epochs=6)

    def interrupt(epoch, history):
        if epoch == 2:
            raise KeyboardInterrupt

    path = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(digits, epochs=6, checkpoint=path, on_epoch_end=interrupt)
    resumed, resumed_history = train(digits, epochs=6, checkpoint=path)
    assert resumed_history.train_loss == straight_history.train_loss
    for (name, a), (_, b) in zip(straight.named_parameters(), resumed.named_parameters(),
                                 strict=True):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert not path.with_name(path.name + ".tmp").exists()


def test_a_diverging_run_names_epoch_batch_and_learning_rate():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 3)) * 100, rng.standard_normal((64, 1)) * 100
    model = mlp([3, 32, 1], rng=0)
    with pytest.raises(FloatingPointError, match=r"diverged at epoch \d+, batch \d+: .*"
                                                 r"non-finite.*smaller learning rate than 10"):
        fit(model, MSELoss(), SGD(model.parameters(), lr=10.0), X, y, epochs=50,
            batch_size=16)


def test_minibatches_cover_every_row_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert [b.tolist() for b in minibatches(3, None, np.random.default_rng(0))] == [[0, 1, 2]]


def test_bad_arguments_are_named():
    model = mlp([2, 2], rng=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="same number of rows; got 3 and 2"):
        fit(model, MSELoss(), optimizer, np.zeros((3, 2)), np.zeros((2, 2)), epochs=1)
    with pytest.raises(ValueError, match="epochs must be an int >= 0, got -1"):
        fit(model, MSELoss(), optimizer, np.zeros((3, 2)), np.zeros((3, 2)), epochs=-1)
    with pytest.raises(ValueError, match=r"labels: expected shape \(3,\), got \(4,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(4))
