"""Data-parallel training on one machine: `benchmarks/results/distributed.md` and `.json`.

    python -m benchmarks distributed

Early fusion on mmdigits standard (1,200 training samples, 10 epochs, 3 seeds), trained by
`python -m mmkit.train --distributed` started by torchrun with 1 and 2 processes
(`mmkit.pipeline.compare_processes`), one thread per process: steps per second and samples
per second measured, not assumed. Two of the settings show the learning-rate scaling
rule: with 2 processes the global batch doubles and an epoch has half the steps, so the
same learning rate learns less per epoch; doubling it (the linear scaling rule) is the
usual first answer. Every figure is the validation split's; the test split is not read.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np

from mmkit.metrics import format_mean_std
from mmkit.paths import REPO_ROOT
from mmkit.pipeline import compare_processes

RESULTS = REPO_ROOT / "benchmarks" / "results" / "distributed.md"


def _mean(row: dict[str, Any], key: str) -> float:
    return float(np.mean(row[key]))


def table(results: dict[str, Any]) -> str:
    """The Markdown table of `compare_processes`' results, one row per setting."""
    lines = ["| processes | batch per process | global batch | learning rate | steps per "
             "process | steps/s | samples/s | training time (s) | validation accuracy |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in results["runs"]:
        lines.append(
            f"| {row['processes']} | {row['batch_per_process']} | {row['global_batch']} | "
            f"{row['learning_rate']:g} | {int(np.mean(row['steps']))} | "
            f"{format_mean_std(row['steps_per_s'], 2)} | "
            f"{format_mean_std(row['samples_per_s'], 0)} | "
            f"{format_mean_std(row['training_time_s'], 1)} | "
            f"{format_mean_std(row['val_accuracy'], 3)} |")
    return "\n".join(lines)


def findings(results: dict[str, Any]) -> list[str]:
    """What the table says, computed from it: the speed-up and the learning-rate scaling."""
    rows = {(r["processes"], r["batch_per_process"], r["learning_rate"]): r
            for r in results["runs"]}
    one = next(r for r in results["runs"] if r["processes"] == 1)
    two = [r for r in results["runs"] if r["processes"] == 2
           and r["batch_per_process"] == one["batch_per_process"]]
    lines = []
    if two:
        same_lr = min(two, key=lambda r: r["learning_rate"])
        speedup = _mean(same_lr, "samples_per_s") / _mean(one, "samples_per_s")
        step_ratio = _mean(same_lr, "steps_per_s") / _mean(one, "steps_per_s")
        lines.append(
            f"- **Scaling, measured:** 2 processes process {speedup:.2f}× the samples per "
            f"second of 1 (ideal: 2×); each of their steps takes "
            f"{1 / step_ratio:.2f}× as long as one process's step of the same per-process "
            f"batch: the gradients' all-reduce over gloo, and the two processes sharing "
            f"this machine's {results['cores']} cores and memory bandwidth.")
        scaled = max(two, key=lambda r: r["learning_rate"])
        if scaled is not same_lr:
            lines.append(
                f"- **Learning rate:** with the global batch doubled and the same learning "
                f"rate ({same_lr['learning_rate']:g}), validation accuracy is "
                f"{format_mean_std(same_lr['val_accuracy'], 3)}; scaled ×2 "
                f"({scaled['learning_rate']:g}) it is "
                f"{format_mean_std(scaled['val_accuracy'], 3)}; one process "
                f"({one['learning_rate']:g}, batch {one['global_batch']}): "
                f"{format_mean_std(one['val_accuracy'], 3)}.")
    big = rows.get((1, 2 * one["batch_per_process"], one["learning_rate"]))
    if big is not None and two:
        lines.append(
            f"- **The same global batch in one process** (batch {big['global_batch']}): "
            f"{format_mean_std(big['samples_per_s'], 0)} samples/s, validation accuracy "
            f"{format_mean_std(big['val_accuracy'], 3)}: the step count and what is "
            f"learned per epoch follow the global batch, not the number of processes.")
    return lines


def write(results: dict[str, Any], out: Path = RESULTS) -> str:
    """The Markdown report of `results`, written to `out`."""
    s = results["settings"]
    part = f" (first {s['limit']} samples)" if s["limit"] else ""
    text = "\n".join([
        "# Distributed data-parallel training on one machine",
        "",
        f"`python -m benchmarks distributed` ({results['last_run']}, this machine: "
        f"{results['cores']} cores, one thread per process, load average "
        f"{results['load_average_before']} before it started): {s['fusion']} fusion on mmdigits "
        f"standard{part}, "
        f"{s['epochs']} epochs, started by torchrun (`torchrun --standalone "
        f"--nproc_per_node=N -m mmkit.train --distributed ...`), gloo. Mean ± standard "
        f"deviation over seeds {', '.join(map(str, s['seeds']))}. Steps/s and samples/s count "
        f"training only (validation excluded); a step of 2 processes is one step of each, "
        f"on a global batch of 2 × the batch per process. Validation accuracy: the best "
        f"epoch's.",
        "",
        table(results),
        "",
        *findings(results),
        *([f"- **Other work on the machine:** the 1-minute load average was "
           f"{results['load_average_before']} on {results['cores']} cores when the bench "
           f"started (it also counts work that had just finished); processes sharing the "
           f"cores with other work run slower, which widens the spreads. An idle machine "
           f"gives cleaner figures."]
          if results["load_average_before"] >= results["cores"] / 2 else []),
        "",
        "At many machines the same program runs on each (see the README); what changes is "
        "the network: every step all-reduces the gradients, 4 bytes per parameter, so a "
        "model of P parameters sends about 2 · 4P bytes per process and step (ring "
        "all-reduce), and the global batch grows with the processes, which is why the "
        "learning rate is scaled and warmed up.",
        ""])
    out.write_text(text)
    return text


def main(out: Path = RESULTS, **options: Any) -> str:
    """Measure (`compare_processes(**options)`, printing each run), write the .json beside
    `out` and the table to `out`; return the table."""
    results = compare_processes(log=print, **options)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    return write(results, out)
