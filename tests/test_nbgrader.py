"""nbgrader's own tools on the course notebooks: its schema, its solution clearing, its grades."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from nbgrader.utils import determine_grade, is_grade

from tools.notebooks import course_notebooks

ASSIGNMENT = "lab"


def grade_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if is_grade(cell)]


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_nbgrader_accepts_the_metadata_and_clears_every_solution(path):
    nb = nbformat.read(path, as_version=4)
    MetadataValidator().validate_nb(nb)  # nbgrader's schema, version 3; unique grade_ids
    assert grade_cells(nb), f"{path.name}: no autograded check cell"
    # With enforce_metadata (the default) this raises on a solution region outside a
    # solution cell, Markdown cells included.
    released, _ = ClearSolutions().preprocess(nb, {})
    released, _ = ClearHiddenTests().preprocess(released, {})
    for cell in released.cells:
        assert "SOLUTION" not in cell.source or cell.cell_type != "code", cell.source


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_the_stored_solved_outputs_get_full_points(path):
    for cell in grade_cells(nbformat.read(path, as_version=4)):
        points = cell.metadata.nbgrader["points"]
        assert determine_grade(cell) == (points, points), (cell.source, cell.outputs)


def nbgrader(course: Path, *args: str) -> None:
    """Run nbgrader's command line in `course` (it needs the venv's `alembic` on PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stderr, result.stderr


def course_directory(root: Path, notebook: Path) -> Path:
    """An nbgrader course whose one assignment holds `notebook`, as its source."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "source" / ASSIGNMENT / notebook.name).write_bytes(notebook.read_bytes())
    (root / "ipc").mkdir()
    # Kernels talk over Unix sockets: no TCP port to collide with another worker's kernel.
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'mmkit'\n"
        "c.Execute.timeout = 300\n"
        "c.KernelManager.transport = 'ipc'\n"
        f"c.KernelManager.ip = {str(root / 'ipc' / 'kernel')!r}\n")
    return root


def test_autograde_gives_the_solution_full_points_and_the_stub_zero(tmp_path):
    notebook = course_notebooks()[0]  # the welcome notebook: the quickest to run
    course = course_directory(tmp_path, notebook)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / notebook.name
    assert "BEGIN SOLUTION" not in released.read_text()
    for student, submission in (("solved", notebook), ("stubbed", released)):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / notebook.name).write_bytes(submission.read_bytes())
    nbgrader(course, "autograde", ASSIGNMENT)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: gradebook.find_submission(ASSIGNMENT, student)
                  for student in ("solved", "stubbed")}
        total = sum(cell.metadata.nbgrader["points"]
                    for cell in grade_cells(nbformat.read(notebook, as_version=4)))
        assert total > 0
        assert (scores["solved"].score, scores["solved"].max_score) == (total, total)
        assert (scores["stubbed"].score, scores["stubbed"].max_score) == (0, total)
