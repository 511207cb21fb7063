"""The benchmark harness measures notebooks and keeps one committed row per notebook."""

import json

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from benchmarks.notebooks import RESULTS, measure, read_rows, write_table
from tools.notebooks import course_notebooks


def test_committed_table_has_a_row_for_every_notebook():
    rows = read_rows(RESULTS)
    missing = [p.name for p in course_notebooks() if p.name not in rows]
    assert not missing, f"run `make bench NOTEBOOKS=...` for {missing}"


def test_measure_reports_time_and_the_kernels_memory(tmp_path):
    nb = new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # ~400 MiB held by the kernel: the peak must include the kernel, not only the runner
    nb.cells.append(new_code_cell("import numpy as np\nx = np.ones(50_000_000)"))
    path = tmp_path / "big.ipynb"
    nbformat.write(nb, path)
    result = measure(path)
    assert result.notebook == "big.ipynb"
    assert result.wall_s > 0
    assert result.peak_mib > 380


def test_rows_are_merged_by_notebook(tmp_path):
    table = tmp_path / "t.md"
    write_table({"01_a.ipynb": "| 01_a.ipynb | 1.0 | 100 |"}, table)
    rows = read_rows(table)
    rows["00_b.ipynb"] = "| 00_b.ipynb | 2.0 | 200 |"
    write_table(rows, table)
    assert list(read_rows(table)) == ["00_b.ipynb", "01_a.ipynb"]


def test_scratch_vs_torch_writes_a_row_per_dtype(tmp_path):
    from benchmarks import scratch_vs_torch

    text = scratch_vs_torch.main(out=tmp_path / "s.md", steps=2, repeats=1)
    rows = [line for line in text.splitlines() if line.startswith("| float")]
    assert [row.split("|")[1].strip() for row in rows] == ["float64", "float32"]
    assert all(float(row.split("|")[4]) > 0 for row in rows)
    committed = scratch_vs_torch.RESULTS.read_text()
    assert "| float64 |" in committed and "| float32 |" in committed


def _robustness_goal_by_hand(results):
    """{fusion: (mean losses with dropout, without), in points}, from the seeds' figures."""
    by_hand = {}
    for row in results["models"]:
        full = np.asarray(row["missing"]["none"])
        loss = {m: float(np.mean(100 * (full - np.asarray(row["missing"][m]))))
                for m in ("text", "image", "audio")}
        by_hand.setdefault(row["fusion"], {})["with" if row["dropout"] else "without"] = loss
    return by_hand


def test_robustness_writes_its_table_and_figures_on_a_tiny_run(tmp_path):
    from benchmarks import robustness

    out = tmp_path / "robustness.md"
    text = robustness.main(out=out, fusions=("early",), seeds=(0, 1), epochs=1, patience=None,
                           limit=32, candidates=(0.2, {"audio": 0.5}))
    assert out.read_text() == text
    results = json.loads(out.with_suffix(".json").read_text())
    rows = results["models"]
    assert [(row["fusion"], bool(row["dropout"])) for row in rows] == [("early", False),
                                                                     ("early", True)]
    for row in rows:
        assert row["seeds"] == [0, 1] and len(row["missing"]) == 7
        assert all(len(v) == 2 for v in row["missing"].values())
        assert all(len(curve) == 10 for curves in row["curves"].values() for curve in curves)
    chosen = results["selection"]["early"]["chosen"]
    assert rows[1]["dropout"] == chosen
    assert "| early | none | " in text and "### Goal" in text
    losses = _robustness_goal_by_hand(results)["early"]["with"]
    assert " / ".join(f"{losses[m]:.1f}" for m in ("text", "image", "audio")) in text


def test_the_committed_robustness_table_says_what_its_figures_hold():
    from benchmarks import robustness
    from mmkit.pipeline import ROBUSTNESS_FUSIONS

    results = json.loads(robustness.RESULTS.with_suffix(".json").read_text())
    committed = robustness.RESULTS.read_text()
    assert committed.startswith(robustness.table(results))   # the table is the figures'
    assert results["settings"]["preset"] == "standard" and len(results["settings"]["seeds"]) >= 3
    assert {row["fusion"] for row in results["models"]} == set(ROBUSTNESS_FUSIONS)
    for fusion, part in results["selection"].items():     # the dropout chosen on validation
        scores = [c["val_score"] for c in part["candidates"]]
        assert part["candidates"][int(np.argmax(scores))]["p"] == part["chosen"]
        kept = next(r for r in results["models"] if r["fusion"] == fusion and r["dropout"])
        assert kept["dropout"] == part["chosen"] and kept["val_score"][0] == max(scores)
    for fusion, loss in _robustness_goal_by_hand(results).items():
        worst = max(loss["with"].values())
        verdict = "met" if worst <= 5 else f"**missed** by {worst - 5:.1f}"
        clearly = "yes" if max(loss["without"].values()) - worst >= 2 else "**no**"
        line = next(x for x in committed.splitlines() if x.startswith(f"| {fusion} | ")
                    and " / " in x)
        assert line.endswith(f"| {verdict} | {clearly} |"), line


def test_the_committed_real_voices_table_is_written_from_its_figures(tmp_path):
    from benchmarks import real_voices
    from mmkit.voices import RECIPES

    results = json.loads(real_voices.RESULTS.with_suffix(".json").read_text())
    assert real_voices.write(results, tmp_path / "real.md") == real_voices.RESULTS.read_text()
    assert results["folder"] == "data/realspeech" and len(results["seeds"]) >= 3
    assert [row["name"] for row in results["recipes"]] == list(RECIPES)
    for row in results["recipes"]:
        assert len(row["real"]) == len(row["val_accuracy"]) == len(results["seeds"])
    assert all(len(values) == len(results["seeds"]) for values in results["adapted"].values())


def test_distributed_measures_one_and_two_processes_on_a_tiny_run(tmp_path):
    from benchmarks import distributed

    out = tmp_path / "distributed.md"
    text = distributed.main(out=out, settings=((1, 32, 3e-3), (2, 32, 6e-3)), seeds=(0,),
                            epochs=1, limit=64)
    results = json.loads(out.with_suffix(".json").read_text())
    one, two = results["runs"]
    assert (one["global_batch"], two["global_batch"]) == (32, 64)
    assert one["steps"] == [2] and two["steps"] == [1]        # 64 rows: per process, 1 epoch
    assert all(row["steps_per_s"][0] > 0 and 0 <= row["val_accuracy"][0] <= 1
               for row in results["runs"])
    assert two["samples_per_s"][0] == pytest.approx(64 * two["steps_per_s"][0])
    assert out.read_text() == text and "| 2 | 32 | 64 | 0.006 | 1 |" in text
    speedup = two["samples_per_s"][0] / one["samples_per_s"][0]
    assert f"2 processes process {speedup:.2f}× the samples" in text
    same = {**two, "learning_rate": 3e-3, "val_accuracy": [0.5]}   # the scaling line
    lines = distributed.findings({**results, "runs": [one, same, two]})
    assert any("same learning rate (0.003), validation accuracy is 0.500" in line and
               f"scaled ×2 (0.006) it is {two['val_accuracy'][0]:.3f}" in line
               for line in lines)


def test_compression_bench_runs_its_steps_on_a_tiny_setting(tmp_path):
    from benchmarks import compression
    from mmkit import compress

    out = tmp_path / "compression.md"
    text = compression.main(out, seeds=(0, 1), widths=(4, 8), sparsities=(0.0, 0.5, 0.99),
                            temperatures=(2.0,), alphas=(0.5, 0.9), epochs=1, patience=None,
                            limit=48, repeats=1, log=lambda line: None)
    assert out.read_text() == text
    results = json.loads(out.with_suffix(".json").read_text())
    assert compression.write(results, tmp_path / "again.md") == text   # the text is the figures'
    names = [r["name"] for r in results["minilm"]["recipes"]]
    assert names == list(compress.MINILM_RECIPES) and results["minilm"]["chosen"] in names
    assert all(r["cosine_val"] > 0.8 and r["smaller"] > 1.2 for r in results["minilm"]["recipes"])
    teacher = results["teacher"]
    assert teacher["int8"]["size_kb"] < teacher["float"]["size_kb"] / 2
    assert teacher["int8"]["parameters"] == teacher["float"]["parameters"] == 131178
    sweep = results["pruning"]["sweep"]
    assert [r["sparsity"] for r in sweep] == [0.0, 0.5, 0.99]
    assert abs(sweep[1]["zeros"] - 0.5) < 1e-3 and results["pruning"]["breaks_at"] == 0.99
    rows = results["widths"]["rows"]
    assert [r["width"] for r in rows] == [4, 8] and all(len(r["val_accuracy"]) == 2 for r in rows)
    distilled = results["distillation"]
    assert distilled["width"] == results["widths"]["student"]
    assert len(distilled["grid"]) == 2 and len(distilled["distilled_val"]) == 2
    best = max(distilled["grid"], key=lambda g: g["val_accuracy"])
    assert (best["temperature"], best["alpha"]) == (distilled["temperature"], distilled["alpha"])
    assert distilled["distilled_val"][0] == best["val_accuracy"]
    final = results["final"]
    assert len(final["student, distilled"]) == len(final["student, cross-entropy"]) == 2
    assert all(0 <= a <= 1 for values in final.values() for a in values)
    assert "## Distributed training on one machine" in text and "### " not in text
    assert text.count("met") + text.count("**missed**") >= 3


def test_the_committed_compression_table_is_written_from_its_figures(tmp_path):
    from benchmarks import compression
    from mmkit import compress

    results = json.loads(compression.RESULTS.with_suffix(".json").read_text())
    assert compression.write(results, tmp_path / "c.md") == compression.RESULTS.read_text()
    s = results["settings"]
    assert s["preset"] == "standard" and len(s["seeds"]) >= 3 and s["limit"] is None
    assert results["teacher"]["info"]["val_accuracy"] == compress.load_teacher(
        with_info=True)[1]["val_accuracy"]                  # the shipped teacher's figures
    for row in results["widths"]["rows"]:
        assert len(row["val_accuracy"]) == len(s["seeds"])
    d = results["distillation"]
    assert len(d["grid"]) == len(s["temperatures"]) * len(s["alphas"])
    best = max(d["grid"], key=lambda g: g["val_accuracy"])   # T and alpha chosen on validation
    assert (best["temperature"], best["alpha"]) == (d["temperature"], d["alpha"])
    assert d["parameters"] <= 0.25 * results["widths"]["teacher_parameters"]
    assert all(len(v) == len(s["seeds"]) for k, v in results["final"].items()
               if k.startswith("student"))


def test_the_committed_distributed_table_is_written_from_its_figures(tmp_path):
    from benchmarks import distributed

    results = json.loads(distributed.RESULTS.with_suffix(".json").read_text())
    assert distributed.write(results, tmp_path / "d.md") == distributed.RESULTS.read_text()
    runs = {(r["processes"], r["batch_per_process"], r["learning_rate"]): r
            for r in results["runs"]}
    one, two = runs[(1, 32, 0.003)], runs[(2, 32, 0.003)]
    assert one["steps"] == [2 * s for s in two["steps"]]     # half the steps per process
    assert len(one["val_accuracy"]) == len(results["settings"]["seeds"]) == 3
