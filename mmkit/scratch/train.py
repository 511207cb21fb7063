"""A small training loop: forward, loss, backward, step; mini-batches, history, checkpoints.

    for each epoch:
        for each mini-batch (X_b, y_b):
            optimizer.zero_grad()
            loss = criterion(model(X_b), y_b)            forward pass and loss
            model.backward(criterion.backward())         backpropagation
            optimizer.step()                             update

With `checkpoint=path`, `fit` saves everything needed to continue after every
epoch (parameters, optimizer state, history, the shuffling generator), and a
later call with the same path carries on from there: an interrupted run loses
at most one epoch, and the result is the same as an uninterrupted run.
"""

import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmkit.scratch.layers import Module
from mmkit.scratch.losses import Loss
from mmkit.validate import NonFiniteError, check_count, check_shape, default_rng


@dataclass
class History:
    """Per-epoch mean training loss, and accuracies when the task is classification."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose largest score is the true class.  logits (N, C), labels (N,)."""
    logits, labels = np.asarray(logits), np.asarray(labels)
    check_shape(logits, (None, None), "logits")
    check_shape(labels, (len(logits),), "labels")
    return float(np.mean(logits.argmax(axis=1) == labels))


def epochs_to_reach(accuracies: list[float], level: float) -> int | None:
    """The first epoch (counting from 1) whose accuracy is ≥ level; None if none is."""
    for epoch, value in enumerate(accuracies, start=1):
        if value >= level:
            return epoch
    return None


def minibatches(n: int, batch_size: int | None, rng: np.random.Generator
                ) -> Iterator[np.ndarray]:
    """Shuffled index arrays of `batch_size` (the last may be smaller); None: one full batch."""
    if batch_size is not None:
        batch_size = check_count(batch_size, "batch_size (or None: the full batch)", minimum=1)
    if batch_size is None or batch_size >= n:
        yield np.arange(n)
        return
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def _save(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        pickle.dump(state, f)
    os.replace(temporary, path)  # atomic: a crash mid-write never leaves half a checkpoint


def _batch_loss(model: Module, criterion: Loss, X: np.ndarray, y: np.ndarray
                ) -> tuple[np.ndarray | None, float, Exception | None]:
    """Forward pass and loss; a non-finite value comes back as (None, nan, the error)."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # reported by the caller instead
            out = model(X)
            return out, criterion(out, y), None
    except NonFiniteError as error:
        return None, float("nan"), error


def fit(model: Module, criterion: Loss, optimizer, X: np.ndarray, y: np.ndarray,
        epochs: int, batch_size: int | None = 64, X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None, rng: np.random.Generator | int | None = 0,
        checkpoint: str | Path | None = None,
        on_epoch_end: Callable[[int, History], None] | None = None) -> History:
    """Train `model` for `epochs` passes over (X, y); return the per-epoch history.

    X: (N, D); y: (N,) class indices for classification losses, or targets of
    the model's output shape. Raises FloatingPointError naming the epoch and
    batch if the loss stops being finite (usually: the learning rate is too high).
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows; got {len(X)} and {len(y)}")
    epochs = check_count(epochs, "epochs")
    rng = default_rng(rng)
    history = History()
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        with open(path, "rb") as f:
            state = pickle.load(f)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        history = state["history"]
    classify = np.asarray(y).dtype.kind in "iu"

    for epoch in range(history.epochs, epochs):
        losses, correct = [], 0
        for batch, index in enumerate(minibatches(len(X), batch_size, rng)):
            optimizer.zero_grad()
            out, loss, cause = _batch_loss(model, criterion, X[index], y[index])
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"training diverged at epoch {epoch + 1}, batch {batch + 1}: "
                    f"{cause or f'the loss became {loss}'}. Try a smaller learning rate "
                    f"than {optimizer.hyperparams.get('lr', '?')}") from cause
            model.backward(criterion.backward())
            optimizer.step()
            losses.append(loss * len(index))
            if classify:
                correct += int(np.sum(out.argmax(axis=1) == y[index]))
        history.train_loss.append(float(np.sum(losses) / len(X)))
        if classify:
            history.train_accuracy.append(correct / len(X))
        if X_val is not None and y_val is not None:
            out = model(X_val)
            history.val_loss.append(criterion(out, y_val))
            if classify:
                history.val_accuracy.append(accuracy(out, y_val))
        if path is not None:
            _save(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "rng": rng.bit_generator.state, "history": history})
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history
