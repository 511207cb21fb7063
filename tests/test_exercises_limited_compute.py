"""Notebook 15's exercise checks accept the solutions and name the typical mistakes."""

import math
import statistics
import time

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler

from mmkit import compress
from mmkit.exercises import _reference
from mmkit.exercises.limited_compute import (
    LATENCY_KIT,
    SlowStart,
    check_epoch_shards,
    check_median_latency,
    check_scaled_learning_rate,
)


def stub(*args):
    raise NotImplementedError()


# --- exercise 1: latency after a warm-up ----------------------------------------------------

def timed_calls(model, batch, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        model(batch)
        times.append(time.perf_counter() - start)
    return times


def latency_solution(model, batch, repeats, warmup):
    model.eval()
    with torch.no_grad():
        for _ in range(warmup):
            model(batch)
        return 1000 * statistics.median(timed_calls(model, batch, repeats))


def latency_with_numpy_and_ns(model, batch, repeats, warmup):
    with torch.inference_mode():
        for _ in range(warmup):
            model(batch)
        times = []
        for _ in range(repeats):
            start = time.perf_counter_ns()
            model(batch)
            times.append(time.perf_counter_ns() - start)
    return float(np.median(times) / 1e6)


@pytest.mark.parametrize("answer", [latency_solution, latency_with_numpy_and_ns])
def test_latency_accepts_the_solution(answer):
    feedback = check_median_latency(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def no_warmup(model, batch, repeats, warmup):
    with torch.no_grad():
        return 1000 * statistics.median(timed_calls(model, batch, repeats))


def warmup_timed(model, batch, repeats, warmup):
    with torch.no_grad():
        return 1000 * statistics.median(timed_calls(model, batch, warmup + repeats))


def mean_latency(model, batch, repeats, warmup):
    with torch.no_grad():
        for _ in range(warmup):
            model(batch)
        return 1000 * statistics.mean(timed_calls(model, batch, repeats))


def total_time(model, batch, repeats, warmup):
    with torch.no_grad():
        for _ in range(warmup):
            model(batch)
        return 1000 * sum(timed_calls(model, batch, repeats))


def with_gradients(model, batch, repeats, warmup):
    for _ in range(warmup):
        model(batch)
    return 1000 * statistics.median(timed_calls(model, batch, repeats))


@pytest.mark.parametrize("answer, message", [
    (no_warmup, "Your function called the model 5 times, all timed: no warm-up"),
    (warmup_timed, "You timed the warm-up calls too"),
    (mean_latency, "You took the mean of the timed calls"),
    (lambda *args: latency_solution(*args) / 1000, "Your latency is in seconds"),
    (total_time, "You returned the total time"),
    (with_gradients, "The number is right, but the model ran with gradients on"),
])
def test_latency_names_each_typical_mistake(answer, message):
    feedback = check_median_latency(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_latency_with_the_wrong_number_of_calls_or_no_number_says_so():
    feedback = check_median_latency(lambda model, batch, repeats, warmup: model(batch))
    assert not feedback.ok and "called the model 1 times; expected warmup + repeats" in \
        feedback.message
    feedback = check_median_latency(
        lambda model, batch, repeats, warmup: timed_calls(model, batch, repeats + warmup))
    assert not feedback.ok and "should be a single number" in feedback.message


def test_the_slow_start_model_is_slow_first_and_records_each_call():
    model = SlowStart(delays=(0.02, 0.001))
    with torch.no_grad():
        for _ in range(3):
            model(torch.zeros(1))
    assert model.seconds[0] > 0.015 and max(model.seconds[1:]) < 0.015
    assert model.grad == [False] * 3


# --- exercise 2: a shard per process, a new one each epoch ------------------------------------

def shards_solution(n, rank, world_size, epochs, seed):
    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=seed)
    shards = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    return shards


def shards_by_hand(n, rank, world_size, epochs, seed):
    shards = []
    per_rank = math.ceil(n / world_size)
    for epoch in range(epochs):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        padded = torch.cat([order, order[:per_rank * world_size - n]])
        shards.append(padded[rank::world_size])
    return torch.stack(shards)


@pytest.mark.parametrize("answer", [shards_solution, shards_by_hand])
def test_shards_accept_the_solution(answer):
    feedback = check_epoch_shards(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


def no_set_epoch(n, rank, world_size, epochs, seed):
    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=seed)
    return [list(sampler) for _ in range(epochs)]


def unpadded(n, rank, world_size, epochs, seed):
    return [torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
            [rank::world_size] for epoch in range(epochs)]


def blocks(n, rank, world_size, epochs, seed):
    dealt = np.array([shards_solution(n, r, world_size, epochs, seed)
                      for r in range(world_size)])                # (rank, epoch, index)
    per_rank = dealt.shape[2]
    padded = dealt.transpose(1, 2, 0).reshape(epochs, -1)        # the shuffled, padded lists
    return padded[:, rank * per_rank:(rank + 1) * per_rank]


@pytest.mark.parametrize("answer, message", [
    (no_set_epoch, "Every epoch gives each rank the same samples in the same order: you did "
                   "not call sampler.set_epoch(epoch)"),
    (lambda n, rank, w, epochs, seed: shards_solution(n, rank, w, epochs, seed + rank),
     "Your ranks shuffle with different seeds (seed + rank)"),
    (lambda n, rank, w, epochs, seed: [
        list(DistributedSampler(range(n), num_replicas=w, rank=rank, shuffle=False))
        for _ in range(epochs)], "Your shards are not shuffled"),
    (blocks, "You cut the shuffled list into blocks"),
    (unpadded, "With n = 10 samples on 4 processes your ranks get 3, 3, 2, 2 indices"),
])
def test_shards_name_each_typical_mistake(answer, message):
    feedback = check_epoch_shards(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_shards_of_the_wrong_form_say_so():
    feedback = check_epoch_shards(lambda n, rank, w, epochs, seed: shards_solution(
        n, rank, w, epochs, seed)[:2])
    assert not feedback.ok and feedback.message == \
        "rank 0: expected 3 epochs (one list of indices each), got 2"
    feedback = check_epoch_shards(lambda n, rank, w, epochs, seed: None)
    assert not feedback.ok and "returned None" in feedback.message
    feedback = check_epoch_shards(lambda n, rank, w, epochs, seed: 3)
    assert not feedback.ok and "one list of indices per epoch" in feedback.message


# --- exercise 3: the learning rate for a larger global batch --------------------------------

@pytest.mark.parametrize("answer", [
    lambda lr, base, b, k: lr * b * k / base,
    lambda lr, base, b, k: torch.tensor(lr) * (b * k / base),
])
def test_learning_rate_accepts_the_solution(answer):
    feedback = check_scaled_learning_rate(answer)
    assert feedback.ok and feedback.message.startswith("Correct!")


@pytest.mark.parametrize("answer, message", [
    (lambda lr, base, b, k: lr / (b * k / base), "You divided the learning rate by k (lr / k)"),
    (lambda lr, base, b, k: lr * k, "You multiplied by the number of processes alone"),
    (lambda lr, base, b, k: lr * b / base, "You used the per-process batch"),
    (lambda lr, base, b, k: lr * math.sqrt(b * k / base), "That is the square-root rule"),
    (lambda lr, base, b, k: lr, "You kept the learning rate"),
])
def test_learning_rate_names_each_typical_mistake(answer, message):
    feedback = check_scaled_learning_rate(answer)
    assert not feedback.ok
    assert feedback.message.startswith(message)


def test_learning_rate_otherwise_says_which_case_and_the_rule():
    feedback = check_scaled_learning_rate(lambda lr, base, b, k: 2 * lr)
    assert not feedback.ok
    assert feedback.message.startswith("your rate for (0.01, 32, 32, 4) is 0.5 × the right")
    assert feedback.message.endswith("base_lr × (per_process_batch × processes) / base_batch.")
    feedback = check_scaled_learning_rate(lambda lr, base, b, k: [lr])
    assert not feedback.ok and "should be a single number" in feedback.message


# --- every check: unanswered, the kit passed off ----------------------------------------------

@pytest.mark.parametrize("check", [check_median_latency, check_epoch_shards,
                                   check_scaled_learning_rate])
def test_an_unanswered_exercise_says_so(check):
    feedback = check(stub)
    assert not feedback.ok
    assert "Not answered yet" in feedback.message


@pytest.mark.parametrize("check, kit", [
    (check_median_latency, compress.latency_ms),
    (check_median_latency, _reference.limited_median_latency_ms),
    (check_epoch_shards, _reference.limited_epoch_shards),
    (check_scaled_learning_rate, _reference.limited_scaled_learning_rate),
])
def test_the_kits_own_function_passed_off_directly_is_refused(check, kit):
    feedback = check(kit)
    assert not feedback.ok
    assert f"that is the kit's own `{kit.__module__}.{kit.__qualname__}`, not an answer" in \
        feedback.message


def latency_through_the_kit(model, batch, repeats, warmup):
    return compress.latency_ms(model, batch, repeats, warmup)


def latency_through_measure(model, batch, repeats, warmup):
    return compress.measure(model, batch, repeats)["latency_ms"]


def shards_through_the_reference(n, rank, world_size, epochs, seed):
    return _reference.limited_epoch_shards(n, rank, world_size, epochs, seed)


def rate_through_the_reference(lr, base, b, k):
    return _reference.limited_scaled_learning_rate(lr, base, b, k)


@pytest.mark.parametrize("check, wrapped, used", [
    (check_median_latency, latency_through_the_kit, "mmkit.compress.latency_ms"),
    (check_median_latency, latency_through_measure, "mmkit.compress.measure"),
    (check_epoch_shards, shards_through_the_reference,
     "mmkit.exercises._reference.limited_epoch_shards"),
    (check_scaled_learning_rate, rate_through_the_reference,
     "mmkit.exercises._reference.limited_scaled_learning_rate"),
])
def test_the_kits_own_function_wrapped_is_refused(check, wrapped, used):
    feedback = check(wrapped)
    assert not feedback.ok
    assert f"calls the kit's own `{used}`, which does what this exercise asks" in \
        feedback.message


def test_the_latency_checks_kit_is_the_compress_module():
    assert [f.__name__ for f in LATENCY_KIT] == ["latency_ms", "measure"]
