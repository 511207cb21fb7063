"""One training step of the from-scratch MLP against the same network in PyTorch, on the CPU.

The step is the whole loop body: zero_grad, forward, cross-entropy loss,
backward, SGD update; network 64→256→10 (ReLU), batch 128. Each side runs
`steps` steps `repeats` times; the table reports the median time per step.
"""

import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from mmkit.paths import REPO_ROOT
from mmkit.scratch.layers import mlp
from mmkit.scratch.losses import CrossEntropyLoss
from mmkit.scratch.optim import SGD

RESULTS = REPO_ROOT / "benchmarks" / "results" / "scratch_vs_torch.md"
SIZES, BATCH = [64, 256, 10], 128


def scratch_step(dtype: type):
    model = mlp(SIZES, rng=0, dtype=dtype)
    criterion, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((BATCH, SIZES[0])).astype(dtype), rng.integers(0, 10, BATCH)

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        optimizer.step()

    return step


def torch_step(dtype: torch.dtype):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10)).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = torch.nn.CrossEntropyLoss()
    x, y = torch.randn(BATCH, SIZES[0], dtype=dtype), torch.randint(0, 10, (BATCH,))

    def step() -> None:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()

    return step


def time_per_step(step, steps: int, repeats: int) -> float:
    """Median over `repeats` runs of the mean seconds per step."""
    for _ in range(20):
        step()  # warm-up: caches, lazy initialisation
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        runs.append((time.perf_counter() - start) / steps)
    return statistics.median(runs)


def main(out: Path = RESULTS, steps: int = 200, repeats: int = 7) -> str:
    threads = int(os.environ.get("MMKIT_THREADS", "1"))
    torch.set_num_threads(threads)
    rows = []
    for name, ours, theirs in (("float64", np.float64, torch.float64),
                               ("float32", np.float32, torch.float32)):
        scratch = time_per_step(scratch_step(ours), steps, repeats)
        reference = time_per_step(torch_step(theirs), steps, repeats)
        rows.append(f"| {name} | {scratch * 1e6:.0f} | {reference * 1e6:.0f} | "
                    f"{scratch / reference:.2f} |")
    text = "\n".join([
        "# From-scratch MLP vs PyTorch: one training step",
        "",
        "`make bench` (`python -m benchmarks scratch`): zero_grad, forward, cross-entropy,",
        f"backward and SGD step; MLP {'→'.join(map(str, SIZES))} with ReLU, batch {BATCH};",
        f"median of {repeats} runs of {steps} steps. Target: the from-scratch step within",
        "2× of PyTorch's (ratio ≤ 2).",
        "",
        f"Last run {date.today().isoformat()}: {os.cpu_count()} CPU cores, {threads} thread(s), "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"PyTorch {torch.__version__}.",
        "",
        "| dtype | from scratch (µs/step) | PyTorch (µs/step) | ratio |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
