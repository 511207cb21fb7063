"""Checks for notebook 15's exercises: timing a model fairly, a shard per process that
changes every epoch, and the learning rate for a larger global batch.

    check_median_latency(median_latency)   warm-up calls untimed, then the median of the
                                           timed calls in milliseconds, without gradients
    check_epoch_shards(epoch_shards)       the indices DistributedSampler gives one rank in
                                           each epoch (the same seed on every rank,
                                           sampler.set_epoch(epoch) before each epoch)
    check_scaled_learning_rate(scaled)     the linear scaling rule: the rate × k for k × the
                                           global batch

Each check runs the learner's function on fixed inputs with the kit's own versions
switched off (`@check(kit=...)`: `mmkit.compress.latency_ms` and `measure`), compares
with the private references of `_reference` (torch: `quantile`, `DistributedSampler`),
and names the typical mistake when there is one: the warm-up calls timed (or never
made), the mean instead of the median, seconds instead of milliseconds, gradients on;
the same shard every epoch (no `set_epoch`), a seed per rank (overlapping shards), no
shuffling, blocks instead of every w-th index, unequal shards; the rate divided by k,
scaled by the number of processes alone, by √k, or left as it was.
A check returns `Feedback`; it never raises.
"""

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DistributedSampler

from mmkit import compress
from mmkit.exercises import _reference
from mmkit.exercises.feedback import (
    Feedback,
    as_numbers,
    attempt,
    check,
    compare_number,
    correct,
    diagnose,
    known_mistake,
    matches,
    wrong,
)

# --- exercise 1: latency after a warm-up --------------------------------------------------------

#: The kit's own latency measurements.
LATENCY_KIT = [compress.latency_ms, compress.measure]
WARMUP, REPEATS = 3, 5
#: Seconds each call of the check's model sleeps, by call: three slow first calls (what a
#: real model spends allocating memory and choosing kernels), then fast ones, with one
#: slow call among them (another program took the processor).
DELAYS = (0.05, 0.05, 0.05, 0.003, 0.003, 0.06, 0.003, 0.003)
#: How close a latency must come to what the model's own clock measured: the learner's
#: clock also counts the call itself (microseconds) and the machine's jitter.
LATENCY_RTOL = 0.3


class SlowStart(nn.Module):
    """A stand-in model whose first calls are slow: `forward` sleeps `DELAYS[i]` on its
    i-th call (the last delay afterwards) and records how long each call took and
    whether gradients were on."""

    def __init__(self, delays: tuple[float, ...] = DELAYS):
        super().__init__()
        self.delays = delays
        self.seconds: list[float] = []
        self.grad: list[bool] = []

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        time.sleep(self.delays[min(len(self.seconds), len(self.delays) - 1)])
        self.grad.append(torch.is_grad_enabled())
        self.seconds.append(time.perf_counter() - start)
        return batch


def _latency_mistakes(seconds: list[float]) -> list[tuple[object, str]]:
    timed = np.asarray(seconds[WARMUP:]) * 1e3
    every = np.asarray(seconds) * 1e3
    return [
        (float(np.median(every)),
         "You timed the warm-up calls too: the first calls are slow (memory is allocated, "
         "kernels are chosen), so they measure the start-up, not the model. Call the model "
         "`warmup` times without timing, then time `repeats` calls."),
        (float(np.mean(timed)),
         "You took the mean of the timed calls: one slow call (another program took the "
         "processor) pulls it up. Take the median, which one outlier cannot move."),
        (float(np.sum(timed)),
         "You returned the total time of the timed calls: report the time of ONE call, the "
         "median over the `repeats` calls."),
        (float(np.median(timed)) / 1e3,
         "Your latency is in seconds: time.perf_counter() counts seconds; return "
         "milliseconds (× 1000)."),
    ]


@check(kit=LATENCY_KIT)
def check_median_latency(median_latency: Callable) -> Feedback:
    """`median_latency(model, batch, repeats, warmup)` → milliseconds: `model(batch)` called
    `warmup` times untimed, then `repeats` times, each timed, without gradients; the median
    of the timed calls. The check's model is slow on its first three calls."""
    model = SlowStart()
    answer = as_numbers(attempt(median_latency, model, torch.zeros(4, 64), REPEATS, WARMUP))
    calls = len(model.seconds)
    if calls == REPEATS:
        return wrong(
            f"Your function called the model {calls} times, all timed: no warm-up. The first "
            "calls of a model are slow (memory is allocated, kernels are chosen); call it "
            "`warmup` times first, untimed, then time `repeats` calls.")
    if calls != WARMUP + REPEATS:
        return wrong(f"Your function called the model {calls} times; expected warmup + "
                     f"repeats = {WARMUP} + {REPEATS}: the warm-up calls untimed, then each "
                     "timed call.")
    if answer is None or np.ndim(answer) != 0:
        return compare_number(answer, 0.0, "your latency")
    expected = _reference.limited_median_latency_ms(model.seconds, WARMUP)
    problem = diagnose(answer, expected, _latency_mistakes(model.seconds), "your latency",
                       hint=f"the median of the {REPEATS} timed calls in ms, about "
                            f"{expected:.0f} ms here.", rtol=LATENCY_RTOL, atol=0.0)
    if problem is not None:
        return problem
    if any(model.grad):
        return wrong("The number is right, but the model ran with gradients on: PyTorch then "
                     "records every operation for a backward pass that never comes, which "
                     "costs time and memory a deployed model does not spend. Wrap the calls "
                     "in `with torch.no_grad():`.")
    return correct(
        "Correct! The warm-up calls pay for the start-up and are not timed, and the median "
        "of the timed calls ignores the one slow call: the number you would see serving the "
        "model, the same from run to run.")


# --- exercise 2: a shard per process, a new one each epoch -------------------------------------

#: n samples over `WORLD` processes, for `EPOCHS` epochs: 10 does not divide by 4, so
#: DistributedSampler pads the shuffled list (its first 2 indices again) to 12.
SHARD_N, WORLD, EPOCHS, SHARD_SEED = 10, 4, 3, 7


def _sampler_shards(seed_of_rank: Callable[[int], int] = lambda rank: SHARD_SEED,
                    set_epoch: bool = True, shuffle: bool = True) -> np.ndarray:
    """(WORLD, EPOCHS, per rank): DistributedSampler's shards, with the given mistakes."""
    shards = []
    for rank in range(WORLD):
        sampler = DistributedSampler(range(SHARD_N), num_replicas=WORLD, rank=rank,
                                     shuffle=shuffle, seed=seed_of_rank(rank))
        epochs = []
        for epoch in range(EPOCHS):
            if set_epoch:
                sampler.set_epoch(epoch)
            epochs.append(list(sampler))
        shards.append(epochs)
    return np.array(shards)


def _block_shards() -> np.ndarray:
    """The same shuffled and padded lists, cut into WORLD blocks instead of dealt out."""
    every = _sampler_shards().transpose(1, 2, 0).reshape(EPOCHS, -1)   # rank r at r::WORLD
    per_rank = every.shape[1] // WORLD
    return np.stack([every[:, r * per_rank:(r + 1) * per_rank] for r in range(WORLD)])


def _shard_mistakes() -> list[tuple[object, str]]:
    return [
        (_sampler_shards(set_epoch=False),
         "Every epoch gives each rank the same samples in the same order: you did not call "
         "sampler.set_epoch(epoch). DistributedSampler shuffles with seed + epoch, and its "
         "epoch stays 0 until you set it; call sampler.set_epoch(epoch) at the start of each "
         "epoch."),
        (_sampler_shards(seed_of_rank=lambda rank: SHARD_SEED + rank),
         "Your ranks shuffle with different seeds (seed + rank), so their shards overlap: "
         "some samples are trained on by two processes in an epoch and others by none. "
         "Every rank must shuffle with the SAME seed; the rank only picks its share."),
        (_sampler_shards(shuffle=False),
         "Your shards are not shuffled: each rank sees the same samples in the same order "
         "every epoch. Use shuffle=True (with the same seed on every rank) and "
         "sampler.set_epoch(epoch)."),
        (_block_shards(),
         "You cut the shuffled list into blocks (rank r takes the r-th block). "
         "DistributedSampler deals it out in turn, indices[rank::world_size], so that step "
         "t of the processes together sees the same samples as step t of one process with "
         "the global batch: what lets a 2-process run match a 1-process one."),
    ]


def _shard_rows(answers: list[object]) -> np.ndarray | Feedback:
    """The learner's answers for every rank as one (WORLD, EPOCHS, per rank) int array, or
    what is wrong with them."""
    rows = []
    for rank, answer in enumerate(answers):
        answer = as_numbers(answer)
        if answer is None:
            return wrong("your function returned None: did you forget `return shards`?")
        try:
            epochs = [np.asarray(as_numbers(e)).ravel() for e in answer]
        except TypeError:
            return wrong(f"return one list of indices per epoch; got a {type(answer).__name__}")
        if len(epochs) != EPOCHS:
            return wrong(f"rank {rank}: expected {EPOCHS} epochs (one list of indices each), "
                         f"got {len(epochs)}")
        rows.append(epochs)
    sizes = sorted({len(e) for epochs in rows for e in epochs})
    if len(sizes) > 1:
        per_rank = ", ".join(str(len(epochs[0])) for epochs in rows)
        return wrong(
            f"With n = {SHARD_N} samples on {WORLD} processes your ranks get {per_rank} "
            f"indices: DistributedSampler pads the shuffled list with its first "
            f"{WORLD * math.ceil(SHARD_N / WORLD) - SHARD_N} indices so that every rank gets "
            f"{math.ceil(SHARD_N / WORLD)}. With unequal shards one process runs an extra "
            "step and waits for the others in the gradient all-reduce forever.")
    return np.array(rows, dtype=float)


@check
def check_epoch_shards(epoch_shards: Callable) -> Feedback:
    """`epoch_shards(n, rank, world_size, epochs, seed)` → (epochs, ⌈n / world_size⌉)
    indices: the samples process `rank` of `world_size` trains on in each epoch, as
    torch's DistributedSampler gives them (shuffle=True, `seed` on every rank,
    `sampler.set_epoch(epoch)` before each epoch). Checked for every rank of 4, n = 10."""
    answers = [attempt(epoch_shards, SHARD_N, rank, WORLD, EPOCHS, SHARD_SEED)
               for rank in range(WORLD)]
    got = _shard_rows(answers)
    if isinstance(got, Feedback):
        return got
    expected = np.stack([_reference.limited_epoch_shards(SHARD_N, rank, WORLD, EPOCHS,
                                                         SHARD_SEED)
                         for rank in range(WORLD)])
    problem = diagnose(got, expected, _shard_mistakes(), "your shards (rank, epoch, index)",
                       hint="DistributedSampler(range(n), num_replicas=world_size, rank=rank, "
                            "shuffle=True, seed=seed), and sampler.set_epoch(epoch) before "
                            "list(sampler) in each epoch.")
    if problem is not None:
        return problem
    return correct(
        "Correct! The ranks share one shuffle (the same seed), each takes every "
        f"{WORLD}th index, so together they cover the data once per epoch, and set_epoch "
        "reshuffles it every epoch, as a single process's DataLoader would.")


# --- exercise 3: the learning rate for a larger global batch -----------------------------------

#: (base_lr, base_batch, per_process_batch, processes): tuned on one process with
#: base_batch; the new run's global batch is per_process_batch × processes.
LR_CASES = ((0.01, 32, 32, 4), (0.1, 256, 64, 8), (3e-3, 64, 16, 2))


def _rates(rule: Callable[[float, float], float]) -> np.ndarray:
    """rule(base_lr, k) for each case, k = global batch / base batch."""
    return np.array([rule(lr, b * p / base) for lr, base, b, p in LR_CASES])


def _lr_mistakes() -> list[tuple[object, str]]:
    return [
        (_rates(lambda lr, k: lr / k),
         "You divided the learning rate by k (lr / k): with k × the global batch, an epoch "
         "has k × fewer steps, and each gradient, an average over k × more samples, is less "
         "noisy but no larger. The linear scaling rule multiplies: lr × k."),
        (np.array([lr * p for lr, _, _, p in LR_CASES]),
         "You multiplied by the number of processes alone: k is the global batch "
         "(per_process_batch × processes) divided by the batch the rate was tuned with "
         "(base_batch); when each process takes a smaller batch than base_batch, k is less "
         "than the number of processes."),
        (np.array([lr * b / base for lr, base, b, _ in LR_CASES]),
         "You used the per-process batch: with data parallelism the gradients of all "
         "processes are averaged, so one step sees the GLOBAL batch, per_process_batch × "
         "processes."),
        (_rates(lambda lr, k: lr * math.sqrt(k)),
         "That is the square-root rule (lr × √k), which some use with Adam; this exercise "
         "asks for the linear scaling rule, lr × k."),
        (_rates(lambda lr, k: lr),
         "You kept the learning rate: with k × the global batch an epoch has k × fewer "
         "steps, so the same rate moves the weights k × less per epoch. Scale it: lr × k."),
    ]


@check
def check_scaled_learning_rate(scaled_learning_rate: Callable) -> Feedback:
    """`scaled_learning_rate(base_lr, base_batch, per_process_batch, processes)` → the
    learning rate for `processes` processes of `per_process_batch` samples each, by the
    linear scaling rule, for a rate `base_lr` tuned with `base_batch` samples per step."""
    answers = [as_numbers(attempt(scaled_learning_rate, *case)) for case in LR_CASES]
    for case, answer in zip(LR_CASES, answers, strict=True):
        if answer is None or np.ndim(answer) != 0:
            return compare_number(answer, _reference.limited_scaled_learning_rate(*case),
                                  f"your rate for {case}")
    got = np.array([float(a) for a in answers])
    expected = np.array([_reference.limited_scaled_learning_rate(*case) for case in LR_CASES])
    mistake = known_mistake(got, _lr_mistakes()) if not matches(got, expected) else None
    if mistake is not None:
        return mistake
    for case, answer, right in zip(LR_CASES, got, expected, strict=True):
        feedback = compare_number(answer, right, f"your rate for {case}")
        if not feedback.ok:
            return wrong(f"{feedback.message}; the linear scaling rule: base_lr × "
                         "(per_process_batch × processes) / base_batch.")
    return correct(
        "Correct! k × the global batch, k × the learning rate: each epoch takes k × fewer "
        "steps, each k × longer. It holds up to a point (a warm-up of the rate helps, and "
        "very large batches stop paying), so check the validation curve.")
