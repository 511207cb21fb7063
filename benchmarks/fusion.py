"""Fusion against each modality alone, over seeds: `benchmarks/results/fusion.md` and `.json`.

Every model of `mmkit.pipeline.COMPARED` (each modality alone, then each fusion
strategy) is trained by `mmkit.pipeline.run` on each preset with 3 seeds: the epoch is
chosen on the validation split, and the held-out split is read once per trained model,
inside `run`, after that choice. This script decides nothing: it reports. The JSON is
what notebook 12's final evaluation reads (`mmkit.pipeline.load_comparison`).
"""

import json
from pathlib import Path

import numpy as np

from mmkit.paths import REPO_ROOT
from mmkit.pipeline import compare, comparison_table

RESULTS = REPO_ROOT / "benchmarks" / "results" / "fusion.md"


def goals(results: dict) -> list[str]:
    """The issue's goals on `standard`, each as a line saying met or missed, and by how much."""
    part = results["presets"].get("standard")
    if part is None:
        return []
    mean = {row["name"]: float(np.mean(row["accuracy"])) for row in part["models"]}
    chosen_by = {row["name"]: float(np.mean(row["val_accuracy"])) for row in part["models"]}
    kinds = {row["name"]: row["kind"] for row in part["models"]}
    # "best" is a choice: made on validation, like every other
    fused = max((n for n in mean if kinds[n] == "fusion"), key=chosen_by.get)
    single = max((n for n in mean if kinds[n] == "unimodal"), key=chosen_by.get)
    gain = mean[fused] - mean[single]
    yardstick = part["logistic_regression"]["accuracy"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    return [
        f"- Best fusion ({fused}) at least 0.90: {mean[fused]:.3f}, "
        f"{verdict(mean[fused] >= 0.90)}.",
        f"- At least 10 points over the best single modality ({single}, "
        f"{mean[single]:.3f}): +{100 * gain:.1f} points, {verdict(gain >= 0.10)}.",
        f"- Above the logistic-regression early fusion ({yardstick:.3f}): "
        f"{mean[fused] - yardstick:+.3f}, {verdict(mean[fused] > yardstick)}.",
    ]


def main(out: Path = RESULTS, **options) -> str:
    results = compare(log=print, **options)
    text = "\n".join([
        "# Fusion strategies against each modality alone",
        "",
        "`make bench` (`python -m benchmarks fusion`): each model trained by",
        "`mmkit.pipeline.run` (the same run as `python -m mmkit.train`) on the full",
        "training split; the epoch chosen on validation accuracy; the held-out split",
        "(voices never heard in training or validation) read once per trained model, after",
        "that choice. Mean ± standard deviation over the seeds. Terms as in",
        "`mmkit.models.fusion`: early = feature-level, late = model-level (mean of the",
        "modalities' predictions), hierarchical = image and audio first, then the text;",
        "attention = learned weights over the modalities. The yardstick is the",
        "logistic-regression early fusion of `mmdigits_calibration.md`. Chance is 0.100.",
        "",
        comparison_table(results),
        "## Goals on `standard` (mean accuracy over the seeds; the best model of each kind "
        "is the one with the best mean validation accuracy)",
        "",
        *goals(results),
        "",
    ])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    return text
