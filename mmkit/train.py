"""The kit's PyTorch training loop: one loop for every model, from autoencoders to GANs.

A model's training step is a plain function of one mini-batch that does the
work (zero_grad, forward, loss, backward, step) and returns its losses by
name; `train` runs it over the data for some epochs and keeps what a learner
plots:

    def step(x):                                  # x: one batch, (B, 64)
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), x)
        loss.backward()
        optimizer.step()
        return {"reconstruction": loss.item()}

    history = train(step, X_train, epochs=20, batch_size=64, seed=0)
    history["reconstruction"]                     # the mean per epoch, (epochs,)

A two-player game (a GAN) is one step that updates both players and returns
both losses. `evaluate` averages a function over batches without gradients;
`checkpoint=` saves everything after each epoch so that an interrupted run
carries on where it stopped. Notebooks 11–13 extend this loop (metrics on the
validation split, early stopping, distributed data parallel); there is no
second one.
"""

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from mmkit.validate import check_count

Batch = tuple[torch.Tensor, ...]
Data = torch.Tensor | tuple[torch.Tensor, ...]
Stateful = torch.nn.Module | torch.optim.Optimizer


@dataclass
class History:
    """What a run recorded: each loss's mean per epoch, and the snapshots taken.

    losses: name → one mean per epoch; snapshots: (epoch, what `snapshot` returned),
    epoch 0 being before any training.
    """

    losses: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, Any]] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return max((len(values) for values in self.losses.values()), default=0)

    def __getitem__(self, name: str) -> np.ndarray:
        """One loss's per-epoch means, (epochs,)."""
        if name not in self.losses:
            raise KeyError(f"no loss named {name!r}; this run recorded {sorted(self.losses)}")
        return np.asarray(self.losses[name])


def as_batches(data: Data, batch_size: int, shuffle: bool = True,
               generator: torch.Generator | None = None) -> Iterator[Batch]:
    """Mini-batches of `data`: a tensor (N, ...) or a tuple of tensors sharing N.

    Yields tuples of tensors of B ≤ batch_size rows (the last batch may be
    smaller); the order is shuffled by `generator` when `shuffle`.
    """
    tensors = data if isinstance(data, tuple) else (data,)
    if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError(f"data: expected a tensor or a tuple of tensors, got "
                        f"{type(data).__name__}")
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"data: every tensor needs the same number of rows, got "
                         f"{[len(t) for t in tensors]}")
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        yield tuple(t[index] for t in tensors)


def _save(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)  # atomic: a crash mid-write never leaves half a checkpoint


def train(step: Callable[..., Mapping[str, float]], data: Data, epochs: int,
          batch_size: int = 64, seed: int = 0,
          snapshot: Callable[[], Any] | None = None, snapshot_every: int = 1,
          checkpoint: str | Path | None = None, state: Mapping[str, Stateful] | None = None,
          progress: bool = True, description: str = "training") -> History:
    """Run `step(*batch)` over shuffled mini-batches of `data` for `epochs`; return the history.

    step: one training step on one batch (the tensors of `data`, B rows each),
    returning {loss name: float}; the history keeps each name's mean per epoch,
    weighted by batch size. seed: the shuffling order (seed the models yourself
    before building them). snapshot: called before training and every
    `snapshot_every` epochs; what it returns is kept with its epoch (pictures,
    samples). checkpoint: a file where the modules and optimizers of `state`
    (name → object with `state_dict`), the history and the shuffling generator
    are saved after every epoch; if the file exists, the run resumes from it.
    A loss that stops being finite raises FloatingPointError naming the epoch.
    """
    epochs = check_count(epochs, "epochs")
    snapshot_every = check_count(snapshot_every, "snapshot_every", minimum=1)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and not state:
        raise ValueError("checkpoint: pass state={name: module or optimizer} to save and "
                         "resume the models' and optimizers' parameters")
    if path is not None and path.exists():
        saved = torch.load(path, weights_only=False)
        for name, obj in (state or {}).items():
            obj.load_state_dict(saved["state"][name])
        generator.set_state(saved["generator"])
        history = saved["history"]
    elif snapshot is not None:
        history.snapshots.append((0, snapshot()))

    epoch_bar = tqdm(range(history.epochs, epochs), desc=description, disable=not progress,
                     initial=history.epochs, total=epochs)
    for epoch in epoch_bar:
        sums: dict[str, float] = {}
        seen = 0
        for batch in as_batches(data, batch_size, generator=generator):
            losses = step(*batch)
            size = len(batch[0])
            for name, value in losses.items():
                value = float(value)
                if not np.isfinite(value):
                    raise FloatingPointError(f"training diverged at epoch {epoch + 1}: the "
                                             f"{name} loss became {value}")
                sums[name] = sums.get(name, 0.0) + value * size
            seen += size
        for name, total in sums.items():
            history.losses.setdefault(name, []).append(total / seen)
        epoch_bar.set_postfix({name: f"{values[-1]:.3g}"
                               for name, values in history.losses.items()})
        if snapshot is not None and (epoch + 1) % snapshot_every == 0:
            history.snapshots.append((epoch + 1, snapshot()))
        if path is not None:
            _save(path, {"state": {name: obj.state_dict() for name, obj in state.items()},
                         "generator": generator.get_state(), "history": history})
    return history


@torch.no_grad()
def evaluate(function: Callable[..., Mapping[str, float]], data: Data,
             batch_size: int = 256) -> dict[str, float]:
    """The batch-size-weighted mean of each value `function(*batch)` returns, over `data`
    in order, without gradients: e.g. the reconstruction error on the validation split."""
    sums: dict[str, float] = {}
    seen = 0
    for batch in as_batches(data, batch_size, shuffle=False):
        size = len(batch[0])
        for name, value in function(*batch).items():
            sums[name] = sums.get(name, 0.0) + float(value) * size
        seen += size
    return {name: total / seen for name, total in sums.items()}
