"""The benchmark harness measures notebooks and keeps one committed row per notebook."""

import nbformat
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
