"""The learner's copy of a notebook: solutions stubbed, the teaching outputs kept.

    python -m tools.student [--out student] [NOTEBOOK ...]      (make student)

One transformation, `student_copy`, makes both the students' copies in
`student/` and the learner's workspace (`tools.workspace`). It runs nbgrader's
own preprocessors on the code cells, after giving them nbgrader's metadata
(`tools.notebooks.stamp`):

- ClearSolutions: each `### BEGIN SOLUTION` ... `### END SOLUTION` region becomes
  `# YOUR CODE HERE` / `raise NotImplementedError()`, indented as the marker was;
- ClearHiddenTests: `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` is removed;
- LockCells: check cells cannot be edited or deleted, solution cells not deleted.

The teaching cells keep their stored outputs (figures, printed numbers), so the
copy reads well before anything runs; solution and check cells lose theirs, so a
check says "Not answered yet" only once it is run. A stored widget view is
replaced by a note to run its cell: without its kernel, JupyterLab would show an
error box. Execution counts are cleared: no cell has run in the learner's
kernel yet. Unbalanced markers are refused, naming the notebook and the cell.
Markdown cells are left alone (prose may name the markers).
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, LockCells

from mmkit.paths import REPO_ROOT
from tools.notebooks import (
    HIDDEN_TESTS,
    SOLUTION,
    WIDGET_VIEW,
    course_notebooks,
    marker_problem,
    stamp,
)

#: What replaces a stored widget view in the copy.
WIDGET_NOTE = "▶ Run this cell to get the widget: it needs a running kernel."


def check_markers(nb: nbformat.NotebookNode, name: str) -> None:
    """Raise ValueError naming the notebook and the cell if a code cell's markers are unbalanced."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for markers in (SOLUTION, HIDDEN_TESTS):
            problem = marker_problem(cell.source, markers)
            if problem:
                raise ValueError(f"{name}, cell {index}: {problem}")


def without_widget_views(outputs: list) -> list:
    """The outputs with each stored widget view replaced by `WIDGET_NOTE`."""
    return [new_output("display_data", data={"text/plain": WIDGET_NOTE})
            if WIDGET_VIEW in output.get("data", {}) else output for output in outputs]


def student_copy(nb: nbformat.NotebookNode, name: str = "notebook",
                 banner: str | None = None) -> nbformat.NotebookNode:
    """The learner's copy of a solved notebook (`name` is used in error messages);
    `banner`: Markdown put in a first cell. The original is left untouched."""
    copy = nbformat.from_dict(nb)
    check_markers(copy, name)
    stamp(copy, name)
    resources = {"language": copy.metadata.get("kernelspec", {}).get("language", "python")}
    preprocessors = [ClearSolutions(), ClearHiddenTests(), LockCells()]
    for index, cell in enumerate(copy.cells):
        if cell.cell_type != "code":
            continue
        for preprocessor in preprocessors:
            cell, resources = preprocessor.preprocess_cell(cell, resources, index)
        cell.execution_count = None
        if "nbgrader" in cell.metadata:  # a solution or a check: nothing to show yet
            cell.outputs = []
        cell.outputs = without_widget_views(cell.outputs)
        for output in cell.outputs:
            if "execution_count" in output:
                output.execution_count = None
    copy.metadata.pop("widgets", None)
    if banner:
        copy.cells.insert(0, new_markdown_cell(banner))
    nbformat.validate(copy)
    return copy


def write_copies(paths: list[Path], out: Path) -> list[Path]:
    """Write the students' copies of `paths` into `out`; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_copy(nb, path.name), out / path.name)
        written.append(out / path.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "student")
    args = parser.parse_args(argv)
    for path in write_copies(args.notebooks or course_notebooks(), args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
