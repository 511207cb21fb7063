"""The kit's PyTorch training loop: one loop for every model, from autoencoders to GANs.

A model's training step is a plain function of one mini-batch that does the
work (zero_grad, forward, loss, backward, step) and returns its losses by
name; `train` runs it over the data for some epochs and keeps what a learner
plots:

    def step(x):                                  # x: one batch, (B, 64)
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # optional
        optimizer.step()
        return {"reconstruction": loss.item()}

    history = train(step, X_train, epochs=20, batch_size=64, seed=0)
    history["reconstruction"]                     # the mean per epoch, (epochs,)

A two-player game (a GAN) is one step that updates both players and returns
both losses. Gradient clipping belongs in the step, between `backward` and
`optimizer.step`, as above (`clip_grad_norm_` returns the norm before clipping:
return it too to plot it). `evaluate` averages a function over batches without
gradients. There is no second loop: notebooks 11–13 use this one.

Checkpoints. `checkpoint=path, state={"model": model, "optimizer": optimizer}` saves
after every epoch everything a resumed run needs to end with bit-identical weights:
the `state_dict` of every module, optimizer and scheduler of `state` (a
`torch.Generator` in `state`, e.g. the noise of a GAN's step, is saved by its
state), the shuffling generator, torch's global random states (CPU and CUDA:
dropout, `torch.randn`), the history and the early-stopping bookkeeping. NumPy's and
Python's global random states are not saved: a step that draws from them does not
resume bit for bit (draw with torch, or a `torch.Generator` in `state`). If the file
exists, the run resumes from it. The file is written atomically (a temporary file in
the same folder, flushed and fsynced, then `os.replace`, and the folder fsynced
where the system allows); the checkpoint it replaces is kept as `<name>.prev`. It is
loaded with `torch.load(weights_only=True)`, so it holds only tensors, dicts, lists,
tuples, numbers, strings and None: the History is stored as plain dicts and lists,
and snapshots are converted (NumPy arrays to tensors and back, NumPy scalars to
Python numbers); a snapshot of any other type (a figure, a dataclass) cannot be
checkpointed and is refused with a TypeError when it is taken, before training. A
file that does not load (truncated, corrupted) raises CheckpointError naming it (and
`.prev`, still there); a checkpoint of another configuration (other state names,
parameter names or shapes, optimizer groups, data rows or batch size) raises
CheckpointError listing every mismatch, before anything is loaded.

Early stopping and model selection work on what `snapshot` returns, a dict:
`monitor="val_loss"` (a key of it), `mode="min"` or `"max"`, `patience=k` stops
after k snapshots in a row without improvement, `restore_best=True` loads the
best snapshot's state into `state`'s objects at the end. history.best_epoch,
history.best_value and history.stopped_epoch say what happened.

Distributed data-parallel training (`torch.distributed`, processes started by `torchrun`).
`init_distributed()` joins the process group torchrun describes in the environment (gloo
on CPUs, nccl where GPUs exist); from then on `train` runs on this process's share of the
data, as PyTorch's `DistributedSampler` deals it: every epoch the rows are shuffled with
`seed + epoch` (`sampler.set_epoch(epoch)`: the same order on every process, a new one each
epoch), and process r of w takes rows r, r + w, r + 2w, ... of that order, in batches of
`batch_size` (per process: the global batch is w · batch_size). The step must update a
model wrapped in `torch.nn.parallel.DistributedDataParallel`, which averages the gradients
over the processes during `backward`, so every process takes the same optimizer step. The
losses in the history are reduced over the processes (every process holds the same
history), only process 0 writes the checkpoint (every process resumes from it) and shows
the progress bar. With w processes of batch b and one process of batch w · b (rows a
multiple of w · b, no randomness in the step), the weights end the same to rounding.
"""

import copy
import hashlib
import io
import os
import shutil
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
Stateful = torch.nn.Module | torch.optim.Optimizer | torch.Generator | Any

FORMAT = "mmkit.train/2"
#: The environment torchrun gives each process it starts.
LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from: unreadable, or of another configuration."""


@dataclass
class History:
    """What a run recorded: each loss's mean per epoch, and the snapshots taken.

    losses: name → one mean per epoch; snapshots: (epoch, what `snapshot` returned),
    epoch 0 being before any training. With `monitor`: best_epoch and best_value
    (the best snapshot so far), stopped_epoch (the epoch early stopping stopped at,
    or None).
    """

    losses: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_epoch: int | None = None

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
    tensors = _tensors(data)
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    n = len(tensors[0])
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        yield tuple(t[index] for t in tensors)


def _tensors(data: Data) -> tuple[torch.Tensor, ...]:
    tensors = data if isinstance(data, tuple) else (data,)
    if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
        raise TypeError(f"data: expected a tensor or a tuple of tensors, got "
                        f"{type(data).__name__}")
    if any(len(t) != len(tensors[0]) for t in tensors):
        raise ValueError(f"data: every tensor needs the same number of rows, got "
                         f"{[len(t) for t in tensors]}")
    return tensors


# --- plain data: what torch.load(weights_only=True) accepts --------------------------------

_NUMPY = "__numpy__"


def _to_plain(value: Any, where: str) -> Any:
    """`value` as tensors, dicts, lists, tuples, numbers, strings and None (NumPy converted)."""
    if isinstance(value, np.generic):  # before float: np.float64 is a float subclass
        return value.item()
    if value is None or type(value) in (bool, int, float, str) or \
            isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return {_NUMPY: torch.from_numpy(np.array(value, copy=True))}
    if isinstance(value, (list, tuple)):
        plain = [_to_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return plain if isinstance(value, list) else tuple(plain)
    if isinstance(value, dict):
        return {key: _to_plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(f"{where}: a {type(value).__name__} cannot be saved in a checkpoint "
                    f"(loaded with weights_only=True); return tensors, NumPy arrays, numbers, "
                    f"strings, or lists and dicts of them from snapshot, or train without "
                    f"checkpoint=")


def _from_plain(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_NUMPY}:
            return value[_NUMPY].numpy()
        return {key: _from_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_from_plain(item) for item in value)
    return value


# --- state: modules, optimizers, schedulers, generators ------------------------------------

def _get_state(obj: Stateful) -> Any:
    if isinstance(obj, torch.Generator):
        return obj.get_state()
    return obj.state_dict()


def _set_state(obj: Stateful, saved: Any) -> None:
    if isinstance(obj, torch.Generator):
        obj.set_state(saved)
    else:
        obj.load_state_dict(saved)


def _mismatches(name: str, obj: Stateful, saved: Any) -> list[str]:
    """What differs between the checkpoint's `saved` state of `name` and `obj`'s."""
    current = _get_state(obj)
    if isinstance(obj, torch.Generator):
        return [] if isinstance(saved, torch.Tensor) else [f"{name}: not a generator state"]
    if not isinstance(saved, dict):
        return [f"{name}: saved a {type(saved).__name__}, expected a state dict"]
    if isinstance(obj, torch.optim.Optimizer):
        ours = [len(group["params"]) for group in current["param_groups"]]
        theirs = [len(group.get("params", [])) for group in saved.get("param_groups", [])]
        problems = ([] if ours == theirs else
                    [f"{name}: parameters per group {theirs} in the file, {ours} here"])
        if type(obj).__name__ != saved.get("_mmkit_type", type(obj).__name__):
            problems.append(f"{name}: a {saved['_mmkit_type']} in the file, "
                            f"a {type(obj).__name__} here")
        return problems
    if not isinstance(obj, torch.nn.Module):
        return []
    problems = []
    for key in sorted(set(saved) - set(current)):
        problems.append(f"{name}.{key}: in the file, not in this model")
    for key in sorted(set(current) - set(saved)):
        problems.append(f"{name}.{key}: in this model, not in the file")
    for key in sorted(set(current) & set(saved)):
        a, b = saved[key], current[key]
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape != b.shape:
            problems.append(f"{name}.{key}: shape {tuple(a.shape)} in the file, "
                            f"{tuple(b.shape)} here")
    return problems


# --- writing and reading checkpoints -------------------------------------------------------

def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder: os.replace is all it offers
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def previous_checkpoint(path: str | Path) -> Path:
    """Where `train` keeps the checkpoint that the latest one replaced: `<name>.prev`."""
    path = Path(path)
    return path.with_name(path.name + ".prev")


def save_checkpoint(path: str | Path, content: dict) -> None:
    """Write `content` to `path` atomically, keeping the file it replaces as `<name>.prev`.

    A temporary file in the same folder is written, flushed and fsynced, then renamed
    over `path` (atomic), and the folder fsynced: a crash leaves the old file or the new
    one, never half of one. A SHA-256 of the bytes is stored so that a corrupted file is
    recognised on loading.
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(content, buffer)
    payload = buffer.getvalue()
    record = {"format": FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
              "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as file:
        torch.save(record, file)
        file.flush()
        os.fsync(file.fileno())
    if path.exists():  # keep the last good one: a hard link (no copy) where possible
        previous = previous_checkpoint(path)
        staged = previous.with_name(previous.name + ".tmp")
        staged.unlink(missing_ok=True)
        try:
            os.link(path, staged)
        except OSError:
            shutil.copyfile(path, staged)
        os.replace(staged, previous)
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def load_checkpoint(path: str | Path) -> dict:
    """The content `save_checkpoint` wrote to `path`, read with weights_only=True and its
    SHA-256 verified; CheckpointError naming the file if it is truncated or corrupted."""
    path = Path(path)
    previous = previous_checkpoint(path)
    hint = (f"; the previous checkpoint {previous} is still there: move it to {path} to "
            f"resume from it, or delete {path} to start again" if previous.exists() else
            f"; delete {path} to start again")
    try:
        record = torch.load(path, weights_only=True)
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError(f"not an {FORMAT} checkpoint")
        payload = record["payload"].numpy().tobytes()
        if hashlib.sha256(payload).hexdigest() != record["sha256"]:
            raise ValueError("its SHA-256 does not match the one saved with it")
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as error:  # truncated zip, bad pickle, wrong content: all refused
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(error).__name__}: "
                              f"{error}){hint}") from error


# --- distributed: the process group torchrun starts ---------------------------------------

class LaunchError(RuntimeError):
    """`init_distributed` in a process that no launcher started."""


def launch_help(arguments: str = "--fusion early") -> str:
    """How to start `python -m mmkit.train --distributed`: on one machine, and on several."""
    return (f"launch it with torchrun, which starts the processes and tells each its rank:\n"
            f"  one machine, 2 processes:\n"
            f"    torchrun --standalone --nproc_per_node=2 -m mmkit.train --distributed "
            f"{arguments}\n"
            f"  2 machines of 2 processes each (run on both, --node_rank 0 on the machine "
            f"HOST, 1 on the other):\n"
            f"    torchrun --nnodes=2 --node_rank=0 --nproc_per_node=2 --master_addr=HOST "
            f"--master_port=29500 -m mmkit.train --distributed {arguments}\n"
            f"  (`python -m torch.distributed.run` is the same as `torchrun`); without "
            f"--distributed it trains in this one process")


def distributed() -> tuple[int, int] | None:
    """(rank, world size) of this process when a process group is initialised, else None."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return None


def init_distributed(environ: Mapping[str, str] | None = None) -> tuple[int, int, torch.device]:
    """Join the process group that torchrun described in the environment: (rank, world size,
    device). Backend gloo on CPUs; nccl, each process on GPU LOCAL_RANK, where GPUs exist.

    A process that no launcher started (RANK, WORLD_SIZE, ... missing) raises LaunchError
    saying how to launch it."""
    import torch.distributed as dist

    environ = os.environ if environ is None else environ
    missing = [name for name in LAUNCHER_VARIABLES if name not in environ]
    if missing:
        raise LaunchError(f"--distributed: this process was not started by a launcher "
                          f"({', '.join(missing)} not set in its environment); "
                          + launch_help())
    if not dist.is_available():
        raise LaunchError("--distributed: this PyTorch build has no torch.distributed")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size(), device


def all_reduce_sum(values: list[float]) -> list[float]:
    """The sums of `values` over every process (the values themselves outside a process
    group), in float64: counts and totals that become means."""
    if distributed() is None:
        return list(values)
    import torch.distributed as dist

    totals = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        totals = totals.cuda()
    dist.all_reduce(totals)
    return totals.cpu().tolist()


def _barrier() -> None:
    if distributed() is not None:
        import torch.distributed as dist

        dist.barrier()


# --- the loop ------------------------------------------------------------------------------

def _improved(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value < best if mode == "min" else value > best)


def train(step: Callable[..., Mapping[str, float]], data: Data, epochs: int,
          batch_size: int = 64, seed: int = 0,
          snapshot: Callable[[], Any] | None = None, snapshot_every: int = 1,
          checkpoint: str | Path | None = None, state: Mapping[str, Stateful] | None = None,
          progress: bool = True, description: str = "training",
          monitor: str | None = None, mode: str = "min", patience: int | None = None,
          restore_best: bool = False) -> History:
    """Run `step(*batch)` over shuffled mini-batches of `data` for `epochs`; return the history.

    step: one training step on one batch (the tensors of `data`, B rows each),
    returning {loss name: float}; the history keeps each name's mean per epoch,
    weighted by batch size. seed: the shuffling order (seed the models yourself
    before building them). snapshot: called before training and every
    `snapshot_every` epochs; what it returns is kept with its epoch (pictures,
    samples, validation metrics). checkpoint: a file where `state` (name → module,
    optimizer, scheduler or torch.Generator), the history and the random states are
    saved after every epoch; if the file exists, the run resumes from it (see the
    module docstring). monitor: a key of the snapshot dict to select on, `mode`
    "min" or "max"; patience: stop after that many snapshots without improvement;
    restore_best: load the best snapshot's state into `state` at the end.
    A loss that stops being finite raises FloatingPointError naming the epoch, the
    step and the last good checkpoint. In a process group (`init_distributed`), each
    process trains on its share of `data` (`DistributedSampler`, see the module
    docstring) with `batch_size` rows per process.
    """
    epochs = check_count(epochs, "epochs")
    snapshot_every = check_count(snapshot_every, "snapshot_every", minimum=1)
    rows = len(_tensors(data)[0])
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    if mode not in ("min", "max"):
        raise ValueError(f"mode: expected 'min' or 'max', got {mode!r}")
    if (patience is not None or restore_best) and (monitor is None or snapshot is None):
        raise ValueError("patience and restore_best select on a snapshot value: pass "
                         "snapshot= (returning a dict) and monitor= (one of its keys)")
    if patience is not None:
        patience = check_count(patience, "patience", minimum=1)
    path = Path(checkpoint) if checkpoint is not None else None
    if (path is not None or restore_best) and not state:
        raise ValueError("checkpoint and restore_best: pass state={name: module or optimizer} "
                         "to save and resume the models' and optimizers' parameters")
    state = dict(state or {})
    shard = distributed()
    sampler = None
    if shard is not None:
        from torch.utils.data import DistributedSampler

        sampler = DistributedSampler(range(rows), num_replicas=shard[1], rank=shard[0],
                                     shuffle=True, seed=seed)
    writer = shard is None or shard[0] == 0
    progress = progress and writer
    steps_per_epoch = -(-(rows if sampler is None else len(sampler)) // batch_size)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    settings = {"rows": rows, "batch_size": batch_size}
    best_state: dict | None = None
    waited = 0
    saved_epoch = None

    def take(epoch: int) -> None:
        nonlocal best_state, waited
        taken = snapshot()
        if path is not None:
            _to_plain(taken, f"snapshot at epoch {epoch}")  # refused now, not at the save
        history.snapshots.append((epoch, taken))
        if monitor is None:
            return
        if not isinstance(taken, Mapping) or monitor not in taken:
            keys = sorted(taken) if isinstance(taken, Mapping) else type(taken).__name__
            raise KeyError(f"monitor={monitor!r}: the snapshot at epoch {epoch} has {keys}")
        value = float(taken[monitor])
        if _improved(value, history.best_value, mode):
            history.best_epoch, history.best_value, waited = epoch, value, 0
            if restore_best:
                best_state = {name: copy.deepcopy(_get_state(obj)) for name, obj in state.items()}
        elif epoch > 0:
            waited += 1

    if path is not None and path.exists():
        saved = load_checkpoint(path)
        problems = []
        if sorted(saved["state"]) != sorted(state):
            problems.append(f"state names {sorted(saved['state'])} in the file, "
                            f"{sorted(state)} here")
        for name in sorted(set(saved["state"]) & set(state)):
            problems += _mismatches(name, state[name], saved["state"][name])
        for key, value in settings.items():
            if saved["settings"].get(key) != value:
                problems.append(f"{key}: {saved['settings'].get(key)} in the file, {value} here")
        if problems:
            raise CheckpointError(f"checkpoint {path} is of another configuration; nothing "
                                  f"was loaded:\n  " + "\n  ".join(problems)
                                  + f"\nuse another checkpoint path or delete {path}")
        for name, obj in state.items():
            own = saved["state"][name]
            if isinstance(obj, torch.optim.Optimizer):
                own = {key: value for key, value in own.items() if key != "_mmkit_type"}
            _set_state(obj, own)
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["torch_rng"])
        if torch.cuda.is_available() and len(saved["cuda_rng"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        plain = saved["history"]
        history = History(losses={k: list(v) for k, v in plain["losses"].items()},
                          snapshots=[(int(e), _from_plain(s)) for e, s in plain["snapshots"]],
                          best_epoch=plain["best_epoch"], best_value=plain["best_value"],
                          stopped_epoch=plain["stopped_epoch"])
        best_state, waited = saved["best_state"], saved["waited"]
        saved_epoch = history.epochs
    if shard is not None and all_reduce_sum([history.epochs])[0] != history.epochs * shard[1]:
        raise CheckpointError(f"the processes do not resume from the same epoch (rank "
                              f"{shard[0]}: epoch {history.epochs}, from {path}): every "
                              f"process must see the checkpoint rank 0 writes; put it in a "
                              f"folder that every machine shares")
    if saved_epoch is None and snapshot is not None:
        take(0)

    def save(epoch: int) -> None:
        nonlocal saved_epoch
        own = {}
        for name, obj in state.items():
            own[name] = _get_state(obj)
            if isinstance(obj, torch.optim.Optimizer):
                own[name] = {**own[name], "_mmkit_type": type(obj).__name__}
        plain_history = {"losses": history.losses,
                         "snapshots": [[e, _to_plain(s, f"snapshot at epoch {e}")]
                                       for e, s in history.snapshots],
                         "best_epoch": history.best_epoch, "best_value": history.best_value,
                         "stopped_epoch": history.stopped_epoch}
        save_checkpoint(path, {"state": own, "generator": generator.get_state(),
                               "torch_rng": torch.get_rng_state(),
                               "cuda_rng": (torch.cuda.get_rng_state_all()
                                            if torch.cuda.is_available() else []),
                               "history": plain_history,
                               "settings": settings, "best_state": best_state,
                               "waited": waited})
        saved_epoch = epoch

    start = history.epochs if history.stopped_epoch is None else epochs
    epoch_bar = tqdm(range(start, epochs), desc=description, disable=not progress,
                     initial=start, total=epochs)
    try:
        for epoch in epoch_bar:
            sums: dict[str, float] = {}
            seen = 0
            if sampler is None:
                batches = as_batches(data, batch_size, generator=generator)
            else:                               # this process's share, a new order each epoch
                sampler.set_epoch(epoch)
                share = torch.tensor(list(sampler))
                batches = as_batches(tuple(t[share] for t in _tensors(data)), batch_size,
                                     shuffle=False)
            for number, batch in enumerate(batches, 1):
                losses = step(*batch)
                size = len(batch[0])
                for name, value in losses.items():
                    value = float(value)
                    if not np.isfinite(value):
                        last = (f"the last good checkpoint is {path} (epoch {saved_epoch})"
                                if saved_epoch is not None else
                                "no checkpoint was written" if path is not None else
                                "no checkpoint (pass checkpoint= to keep one)")
                        raise FloatingPointError(
                            f"training diverged at epoch {epoch + 1}, step {number} of "
                            f"{steps_per_epoch}: the {name} loss became {value}; {last}")
                    sums[name] = sums.get(name, 0.0) + value * size
                seen += size
            if shard is not None:                     # the means over every process's rows
                names = sorted(sums)
                *totals, seen = all_reduce_sum([sums[name] for name in names] + [seen])
                sums = dict(zip(names, totals, strict=True))
            for name, total in sums.items():
                history.losses.setdefault(name, []).append(total / seen)
            epoch_bar.set_postfix({name: f"{values[-1]:.3g}"
                                   for name, values in history.losses.items()})
            if snapshot is not None and (epoch + 1) % snapshot_every == 0:
                take(epoch + 1)
            stop = patience is not None and waited >= patience
            if stop:
                history.stopped_epoch = epoch + 1
            if path is not None:
                if writer:
                    save(epoch + 1)
                else:
                    saved_epoch = epoch + 1
                _barrier()                           # the file is complete for everyone
            if stop:
                break
    finally:
        epoch_bar.close()
    if restore_best and best_state is not None:
        for name, obj in state.items():
            _set_state(obj, best_state[name])
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


if __name__ == "__main__":  # python -m mmkit.train --fusion late --preset standard ...
    from mmkit.pipeline import main

    raise SystemExit(main())
